//! Cross-object checks: NetworkPolicy coverage per namespace, and exposure through Services and
//! Ingresses.

use super::catalogue as cat;
use super::exposure::{Exposure, ExposureKind, exposures_of};
use super::{Ev, Hit};
use crate::index::Index;
use crate::object::KubeObject;
use crate::selector::{label_selector_matches, labels_of};
use std::collections::BTreeMap;

pub(crate) fn run<'a>(index: &Index<'a>) -> Vec<Hit<'a>> {
    let mut hits = network_policy_coverage(index);
    for (e, obj) in exposures_of(index) {
        if let Some(hit) = exposure_hit(obj, &e) {
            hits.push(hit);
        }
        let plain: Vec<&str> = e
            .hosts
            .iter()
            .filter(|h| !e.tls_hosts.iter().any(|t| t == *h || t == "*"))
            .map(String::as_str)
            .collect();
        if e.kind == ExposureKind::Ingress && !plain.is_empty() {
            hits.push(Hit {
                check: &cat::INGRESS_TLS,
                object: Some(obj),
                subject: e.resource.clone(),
                evidence: vec![Ev {
                    label: "spec.tls".into(),
                    location: Some(obj.source.location()),
                    detail: format!("hosts without TLS: {}", plain.join(",")),
                }],
            });
        }
    }
    hits
}

fn exposure_hit<'a>(obj: &'a KubeObject, e: &Exposure) -> Option<Hit<'a>> {
    let check = match e.kind {
        ExposureKind::LoadBalancer => &cat::SERVICE_LOADBALANCER,
        ExposureKind::NodePort => &cat::SERVICE_NODEPORT,
        ExposureKind::Ingress => &cat::INGRESS_EXPOSED,
        // Host ports and host networking are reported by the pod checks.
        ExposureKind::HostPort | ExposureKind::HostNetwork => return None,
    };
    Some(Hit {
        check,
        object: Some(obj),
        subject: e.resource.clone(),
        evidence: vec![Ev {
            label: format!("exposure: {}", kind_name(e.kind)),
            location: Some(obj.source.location()),
            detail: e.summary(),
        }],
    })
}

fn kind_name(k: ExposureKind) -> &'static str {
    match k {
        ExposureKind::LoadBalancer => "load balancer",
        ExposureKind::NodePort => "node port",
        ExposureKind::Ingress => "ingress",
        ExposureKind::HostPort => "host port",
        ExposureKind::HostNetwork => "host network",
    }
}

/// One finding per namespace whose workloads include some that no NetworkPolicy selects.
fn network_policy_coverage<'a>(index: &Index<'a>) -> Vec<Hit<'a>> {
    let mut uncovered: BTreeMap<&str, Vec<&KubeObject>> = BTreeMap::new();
    for pod in &index.pods {
        let Some(ns) = pod.object.effective_namespace() else {
            continue;
        };
        let labels = labels_of(pod.metadata);
        let covered = index
            .policies_by_ns
            .get(ns)
            .is_some_and(|sels| sels.iter().any(|s| label_selector_matches(Some(s), labels)));
        if !covered {
            uncovered.entry(ns).or_default().push(pod.object);
        }
    }
    uncovered
        .into_iter()
        .map(|(ns, workloads)| Hit {
            check: &cat::NETWORK_POLICY,
            object: index.namespaces.get(ns).copied(),
            subject: format!("Namespace/{ns}"),
            evidence: workloads
                .iter()
                .map(|w| Ev {
                    label: "workload without NetworkPolicy".into(),
                    location: Some(w.source.location()),
                    detail: w.address(),
                })
                .collect(),
        })
        .collect()
}
