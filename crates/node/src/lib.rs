//! Node checks: the CIS Kubernetes benchmark definitions of kube-bench (`cfg/`), evaluated against a
//! node's files and process arguments that Rampart collects itself.
//!
//! - [`catalog`] loads the definitions directory and picks a benchmark and its targets;
//! - [`mod@evaluate`] is kube-bench's test-item semantics as a pure function of audit outputs;
//! - [`node`] is the node under test (a root directory, a process list, stat overrides);
//!   [`variables`] resolves the definitions' `$variables` on it and [`version`] reads its Kubernetes
//!   version from static pod manifests;
//! - [`shell`] answers the audit commands natively by interpreting the small shell subset the
//!   definitions use — nothing is executed unless [`RunOptions::allow_shell`] is set;
//! - [`runner`] runs the checks and [`results`] turns them into kube-bench-style results and findings.

pub mod bundled;
pub mod catalog;
pub mod definitions;
pub mod error;
pub mod evaluate;
pub mod fuzzing;
pub mod jsonpath;
pub mod node;
pub mod results;
pub mod runner;
pub mod shell;
pub mod variables;
pub mod version;
mod yaml;

pub use bundled::bundled_catalog;
pub use catalog::{Benchmark, Catalog};
pub use definitions::{BinOp, Check, CheckType, Compare, Controls, Group, TestItem, Tests};
pub use error::{Error, Result};
pub use evaluate::{Outcome, evaluate};
pub use node::{Node, Process, ProcessSource};
pub use results::{CheckResult, NodeReport, State, TargetReport, Totals};
pub use runner::{RunOptions, run};
