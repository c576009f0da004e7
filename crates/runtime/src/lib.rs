//! Rampart's runtime detection: a Falco-compatible rule engine with Kubernetes-audit, CloudTrail and
//! recorded-syscall event sources, replay, and alerts as Falco JSON or core findings.
//!
//! Library use, as the CLI does it:
//!
//! ```no_run
//! use rampart_runtime::{Engine, Source, rules, replay};
//! let (ruleset, _report) = rules::load(&["rules/falco_rules.yaml"]).expect("rules load");
//! let engine = Engine::new(ruleset).with_hostname("node-1");
//! let result = replay::replay(Source::K8sAudit, &engine, "audit.log".as_ref()).expect("input");
//! for alert in &result.alerts {
//!     println!("{}", alert.to_json_line());
//! }
//! ```
//!
//! Architecture: the engine knows fields, not where events come from. Each source module under
//! [`fields`] lists its fields and implements [`Event`] for its events; decoders under [`sources`]
//! only turn bytes into events and count what they could not decode.

#[cfg(unix)]
pub mod agent;
pub mod alert;
pub mod diag;
pub mod engine;
pub mod fields;
pub mod filter;
pub mod fuzzing;
mod hash;
pub mod replay;
pub mod rules;
pub mod sources;
pub mod yaml;

pub use alert::Alert;
pub use diag::{Code, Diagnostic, FileResult, LoadReport};
pub use engine::Engine;
pub use fields::cloudtrail::CloudTrailEvent;
pub use fields::k8s_audit::K8sAuditEvent;
pub use fields::syscall::SyscallEvent;
pub use fields::{Event, Source};
pub use rules::{Loader, Priority, Ruleset};
