//! Rampart's AWS IAM policy evaluation engine and entitlement analysis (effective permissions,
//! escalation paths).
//!
//! Pure library: no AWS calls. The input is policy JSON ([`Policy::parse`]) or the output of
//! `aws iam get-account-authorization-details` ([`Account::from_json`]); the live collector fills the same
//! model.
//!
//! - [`evaluate`] answers one request with AWS's evaluation logic.
//! - [`analyze`] runs the entitlement analysis of an account; [`findings`] turns it into core findings.
//! - [`least_privilege`] turns CloudTrail records into used-only policies and granted-but-unused lists.

pub mod account;
pub mod actions;
pub mod analysis;
pub mod condition;
pub mod context;
pub mod eval;
pub mod findings;
pub mod fuzzing;
pub mod least_privilege;
pub mod policy;
pub mod scp;
pub mod synthetic;
pub mod variables;
pub mod wildcard;

pub use account::Account;
pub use analysis::{Analysis, Options, analyze};
pub use context::{ContextValue, PrincipalKind, Request, RequestPrincipal};
pub use eval::{Decision, DecisionEffect, PolicyKind, PolicySet, evaluate};
pub use findings::findings;
pub use least_privilege::{LeastPrivilege, Usage, least_privilege};
pub use policy::{Effect, Policy, PolicyWarning};
pub use scp::{ScpChain, ScpLevel, ScpVerdict, TargetKind};

/// Errors of whole-input loading (single malformed policies are warnings, not errors).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("authorization details are not JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("authorization details are {size} bytes, over the {limit} byte limit")]
    TooLarge { size: usize, limit: usize },
    #[error("authorization details are not a JSON object")]
    NotAnObject,
}
