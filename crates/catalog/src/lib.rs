//! Package catalogers.
