//! Version schemes.
