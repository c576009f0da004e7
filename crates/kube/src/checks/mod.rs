//! Built-in workload checks beyond the Pod Security Standards (what kube-score, Polaris and Checkov
//! users expect), and the network exposure facts they rest on.

pub mod catalogue;
pub mod exposure;
mod ingress;
mod network;
pub mod secrets;
mod tiller;
pub mod workload;

pub use catalogue::{CATALOGUE, CheckInfo};
pub use exposure::{Exposure, ExposureKind, exposures};

use crate::index::Index;
use crate::object::KubeObject;
use rampart_core::Evidence;

pub(crate) type Ev = Evidence;

/// Everything a check may look at besides its own object.
pub(crate) struct Ctx<'a> {
    pub index: Index<'a>,
}

/// One check that fired on one subject.
pub(crate) struct Hit<'a> {
    pub check: &'static CheckInfo,
    /// The object the finding is about, when there is one (suppression annotations are read from it).
    pub object: Option<&'a KubeObject>,
    /// Resource address of the subject.
    pub subject: String,
    pub evidence: Vec<Ev>,
}

/// Kinds the default-namespace check reports.
const DEFAULT_NS_KINDS: &[&str] = &[
    "Service",
    "Ingress",
    "Secret",
    "ConfigMap",
    "Role",
    "RoleBinding",
];

/// Runs every built-in check over the objects.
pub(crate) fn run_all(objects: &[KubeObject]) -> Vec<Hit<'_>> {
    let ctx = Ctx {
        index: Index::new(objects),
    };
    let mut hits = Vec::new();
    for pod in &ctx.index.pods {
        for (check, f) in workload::POD_CHECKS {
            let evidence = workload::run(&ctx, pod, *f);
            if !evidence.is_empty() {
                hits.push(Hit {
                    check,
                    object: Some(pod.object),
                    subject: pod.object.address(),
                    evidence,
                });
            }
        }
    }
    for obj in objects {
        hits.extend(default_namespace(obj));
        hits.extend(ingress::snippet_hit(obj));
    }
    hits.extend(network::run(&ctx.index));
    hits.extend(tiller::service_hits(&ctx.index));
    hits
}

/// Every (check id, subject) pair [`run_all`] evaluates: a pair without a hit passed. Pod-spec
/// checks per workload; the default-namespace check per namespaced object of the kinds it
/// reports; NetworkPolicy coverage per namespace with workloads (`Namespace/NS`); the
/// load-balancer, node-port and Tiller Service checks per Service; the Ingress checks per Ingress.
pub fn evaluated(objects: &[KubeObject]) -> Vec<(&'static str, String)> {
    let index = Index::new(objects);
    let mut out = Vec::new();
    let mut namespaces = std::collections::BTreeSet::new();
    for pod in &index.pods {
        let address = pod.object.address();
        out.extend(
            workload::POD_CHECKS
                .iter()
                .map(|(check, _)| (check.id, address.clone())),
        );
        if let Some(ns) = pod.object.effective_namespace() {
            namespaces.insert(ns);
        }
    }
    out.extend(
        namespaces
            .into_iter()
            .map(|ns| (catalogue::NETWORK_POLICY.id, format!("Namespace/{ns}"))),
    );
    for obj in objects.iter().filter(|o| o.is_builtin()) {
        let kind = obj.kind.as_str();
        if !obj.is_cluster_scoped()
            && (crate::podspec::is_workload_kind(kind) || DEFAULT_NS_KINDS.contains(&kind))
        {
            out.push((catalogue::DEFAULT_NAMESPACE.id, obj.address()));
        }
        let exposure_checks: &[&CheckInfo] = match kind {
            "Service" => &[
                &catalogue::SERVICE_LOADBALANCER,
                &catalogue::SERVICE_NODEPORT,
                &catalogue::TILLER_SERVICE,
            ],
            "Ingress" => &[
                &catalogue::INGRESS_EXPOSED,
                &catalogue::INGRESS_TLS,
                &catalogue::INGRESS_SNIPPET,
            ],
            _ => &[],
        };
        out.extend(exposure_checks.iter().map(|c| (c.id, obj.address())));
    }
    out
}

fn default_namespace(obj: &KubeObject) -> Option<Hit<'_>> {
    if obj.namespace.as_deref() != Some("default") || !obj.is_builtin() {
        return None;
    }
    let reported = crate::podspec::is_workload_kind(&obj.kind)
        || DEFAULT_NS_KINDS.contains(&obj.kind.as_str());
    // Objects every cluster has in `default` (seen in snapshots) are not the user's choice.
    let built_in = matches!(
        (obj.kind.as_str(), obj.name.as_str()),
        ("Service", "kubernetes") | ("ConfigMap", "kube-root-ca.crt")
    );
    if !reported || built_in {
        return None;
    }
    Some(Hit {
        check: &catalogue::DEFAULT_NAMESPACE,
        object: Some(obj),
        subject: obj.address(),
        evidence: vec![Ev {
            label: "metadata.namespace".into(),
            location: Some(obj.source.location()),
            detail: "namespace is default".into(),
        }],
    })
}

#[cfg(test)]
mod tests;
