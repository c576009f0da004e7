//! Vulnerability knowledge base.
