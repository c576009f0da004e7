//! Audit commands answered natively: the definitions' audits are small shell scripts; this module
//! parses the subset they are written in and computes their output from the [`Node`] — no process is
//! started. A script using anything outside the subset (`journalctl`, `systemctl`, `kubectl`, `oc`,
//! `jq`, writing redirections, …) is reported as not interpretable. With the explicit opt-in,
//! [`system`] runs such scripts with `/bin/sh` instead.

mod commands;
mod exec;
mod lex;
mod parse;
pub mod system;

pub use exec::Out;

use crate::node::Node;

/// Why an audit cannot be answered natively.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Unsupported(pub String);

/// Whether `audit` is within the interpreted subset (parsing only; nothing is evaluated).
pub fn interpretable(audit: &str) -> Result<(), Unsupported> {
    parse::parse(audit).map(|_| ())
}

/// Computes the output streams and exit status of `audit` on `node`.
pub fn run(audit: &str, node: &Node) -> Result<Out, Unsupported> {
    let script = parse::parse(audit)?;
    let mut shell = exec::Shell::new(node);
    shell.run(&script, "")
}
