//! Kubernetes RBAC entitlements (CIEM): the RBAC model from loaded objects ([`model`]), Kubernetes'
//! rule matching ([`authz`]), effective permissions and `who-can` ([`engine`]), risky grants as
//! `rbac:*` findings ([`risks`]) and escalation paths ([`paths`]).
//!
//! Only what is given is analysed: bootstrap ClusterRoles (`cluster-admin`, `admin`, …) are not
//! synthesised when a snapshot lacks them.

pub mod authz;
pub mod engine;
pub mod fuzzing;
pub mod model;
pub mod paths;
pub mod risks;

pub use authz::Request;
pub use engine::{Grant, Rbac};
pub use model::{Model, Rule, Subject};
pub use paths::{EscalationPath, Hop, escalation_paths};

use crate::object::KubeObject;
use rampart_core::{Finding, ScanWarning};

/// Builds the analysed RBAC state from loaded objects.
pub fn analyze_objects(objects: &[KubeObject]) -> Rbac {
    Rbac::new(Model::from_objects(objects))
}

/// `rampart rbac who-can VERB RESOURCE [-n NS] [NAME]`: subjects with the binding and role allowing it.
pub fn who_can(
    objects: &[KubeObject],
    verb: &str,
    resource: &str,
    namespace: Option<&str>,
    name: Option<&str>,
) -> Vec<(Subject, String, String)> {
    analyze_objects(objects).who_can(&Request::parse(verb, resource, namespace, name))
}

/// `rampart rbac can SUBJECT`: every rule the subject holds, with binding, role and scope.
pub fn can(objects: &[KubeObject], subject: &str) -> Vec<Grant> {
    analyze_objects(objects).can(&Subject::parse(subject))
}

/// The result of `rampart rbac analyze`.
#[derive(Debug, Clone)]
pub struct Analysis {
    pub findings: Vec<Finding>,
    pub paths: Vec<EscalationPath>,
    pub warnings: Vec<ScanWarning>,
}

/// `rampart rbac analyze PATH`: risky-grant findings (and risky roles nothing is bound to),
/// escalation paths, and model warnings.
pub fn analyze(objects: &[KubeObject]) -> Analysis {
    let rbac = analyze_objects(objects);
    let mut findings = risks::findings(&rbac);
    findings.extend(risks::unbound_role_findings(&rbac));
    Analysis {
        findings,
        paths: escalation_paths(&rbac),
        warnings: rbac.model.warnings.clone(),
    }
}
