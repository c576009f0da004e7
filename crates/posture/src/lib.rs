//! Rampart's posture check engine: built-in checks, Rego policies (Gatekeeper, kubescape), frameworks and
//! controls.
//!
//! - [`check`]: the catalogue of checks (built-in Rust checks and policy-backed ones) and their findings.
//! - [`gatekeeper`]: ConstraintTemplates + Constraints, `spec.match`, `data.inventory`, `gator verify`.
//! - [`kubescape`]: regolibrary rules, controls and frameworks.
//! - [`policy_dir`]: a user policy directory in either form.
//! - [`framework`]: frameworks as data and compliance summaries.
//! - [`rego`]: the bounded Rego engine under all of them.

pub mod check;
pub mod docs;
pub mod error;
pub mod framework;
pub mod fuzzing;
pub mod gatekeeper;
pub mod kubescape;
pub mod policy_dir;
pub mod rego;
mod rego_compat;
mod rego_join;

pub use check::{Catalogue, Check, CheckId, CheckMeta, ControlRef, Document, Violation};
pub use error::{PolicyError, Result};
pub use rego::{Limits, Program, RegoSource};
