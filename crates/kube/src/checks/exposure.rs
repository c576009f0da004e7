//! Network exposure facts: which Services, Ingresses and pods are reachable from outside the cluster
//! and which workloads stand behind them. Kept as data for the risk graph; the exposure checks report
//! the same facts as evidence.

use crate::index::Index;
use crate::object::KubeObject;
use crate::podspec::PodSpecRef;
use crate::pss::util::{array, get_bool, get_i64, get_str};
use crate::selector::{equality_matches, labels_of};
use serde::Serialize;
use serde_json::Value;

/// How something is exposed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ExposureKind {
    LoadBalancer,
    NodePort,
    Ingress,
    HostPort,
    HostNetwork,
}

/// One exposure: the exposing resource, how, on which ports/hosts, and what it leads to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Exposure {
    pub kind: ExposureKind,
    /// Address of the exposing resource (`Service/prod/web`, `Ingress/prod/web`, or the workload).
    pub resource: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Service ports, node ports or host ports.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ports: Vec<i64>,
    /// Ingress host names (`*` for a rule without host).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub hosts: Vec<String>,
    /// Ingress hosts covered by TLS.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tls_hosts: Vec<String>,
    /// `loadBalancerSourceRanges` of a LoadBalancer Service.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub source_ranges: Vec<String>,
    /// True for load balancers annotated as internal by a cloud provider.
    pub internal: bool,
    /// Services an Ingress routes to (addresses).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub backends: Vec<String>,
    /// Workloads reached (addresses).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub workloads: Vec<String>,
}

impl Exposure {
    fn new(kind: ExposureKind, obj: &KubeObject) -> Exposure {
        Exposure {
            kind,
            resource: obj.address(),
            namespace: obj.effective_namespace().map(str::to_string),
            ports: Vec::new(),
            hosts: Vec::new(),
            tls_hosts: Vec::new(),
            source_ranges: Vec::new(),
            internal: false,
            backends: Vec::new(),
            workloads: Vec::new(),
        }
    }

    /// A one-line summary for finding evidence.
    pub fn summary(&self) -> String {
        let mut parts = Vec::new();
        if !self.ports.is_empty() {
            let p: Vec<String> = self.ports.iter().map(i64::to_string).collect();
            parts.push(format!("ports {}", p.join(",")));
        }
        if !self.hosts.is_empty() {
            parts.push(format!("hosts {}", self.hosts.join(",")));
        }
        if !self.tls_hosts.is_empty() {
            parts.push(format!("tls {}", self.tls_hosts.join(",")));
        }
        if !self.source_ranges.is_empty() {
            parts.push(format!("source ranges {}", self.source_ranges.join(",")));
        }
        if self.internal {
            parts.push("internal load balancer".into());
        }
        if !self.backends.is_empty() {
            parts.push(format!("backends {}", self.backends.join(",")));
        }
        if !self.workloads.is_empty() {
            parts.push(format!("workloads {}", self.workloads.join(",")));
        }
        parts.join("; ")
    }
}

/// Annotations cloud providers use to make a load balancer internal.
const INTERNAL_LB: &[(&str, &str)] = &[
    ("service.beta.kubernetes.io/aws-load-balancer-internal", ""),
    (
        "service.beta.kubernetes.io/aws-load-balancer-scheme",
        "internal",
    ),
    ("networking.gke.io/load-balancer-type", "Internal"),
    ("cloud.google.com/load-balancer-type", "Internal"),
    (
        "service.beta.kubernetes.io/azure-load-balancer-internal",
        "true",
    ),
];

/// Every exposure among the objects.
pub fn exposures(objects: &[KubeObject]) -> Vec<Exposure> {
    exposures_of(&Index::new(objects))
        .into_iter()
        .map(|(e, _)| e)
        .collect()
}

/// Every exposure with the object that causes it.
pub(crate) fn exposures_of<'a>(index: &Index<'a>) -> Vec<(Exposure, &'a KubeObject)> {
    let mut out = Vec::new();
    for obj in index.objects.iter().filter(|o| o.is_builtin()) {
        match obj.kind.as_str() {
            "Service" => out.extend(service_exposure(obj, index).map(|e| (e, obj))),
            "Ingress" => out.push((ingress_exposure(obj, index), obj)),
            _ => {}
        }
    }
    for pod in &index.pods {
        out.extend(pod_exposures(pod).into_iter().map(|e| (e, pod.object)));
    }
    out
}

fn service_targets(svc: &KubeObject, index: &Index<'_>) -> Vec<String> {
    let selector = svc.doc.get("spec").and_then(|s| s.get("selector"));
    let Some(ns) = svc.effective_namespace() else {
        return Vec::new();
    };
    index
        .pods_in(ns)
        .filter(|p| equality_matches(selector, labels_of(p.metadata)))
        .map(|p| p.object.address())
        .collect()
}

fn service_exposure(svc: &KubeObject, index: &Index<'_>) -> Option<Exposure> {
    let kind = match get_str(&svc.doc, &["spec", "type"]) {
        Some("LoadBalancer") => ExposureKind::LoadBalancer,
        Some("NodePort") => ExposureKind::NodePort,
        _ => return None,
    };
    let mut e = Exposure::new(kind, svc);
    for port in array(&svc.doc, &["spec", "ports"]) {
        let field = if kind == ExposureKind::NodePort {
            "nodePort"
        } else {
            "port"
        };
        if let Some(p) = get_i64(port, &[field]).or_else(|| get_i64(port, &["port"])) {
            e.ports.push(p);
        }
    }
    e.source_ranges = array(&svc.doc, &["spec", "loadBalancerSourceRanges"])
        .iter()
        .filter_map(Value::as_str)
        .map(str::to_string)
        .collect();
    e.internal = INTERNAL_LB.iter().any(|(k, v)| {
        svc.annotations
            .get(*k)
            .is_some_and(|a| if v.is_empty() { a != "false" } else { a == v })
    });
    e.workloads = service_targets(svc, index);
    Some(e)
}

fn ingress_exposure(ing: &KubeObject, index: &Index<'_>) -> Exposure {
    let mut e = Exposure::new(ExposureKind::Ingress, ing);
    let mut services = Vec::new();
    let mut backend = |b: &Value| {
        let name = get_str(b, &["service", "name"]).or_else(|| get_str(b, &["serviceName"]));
        if let Some(n) = name {
            services.push(n.to_string());
        }
    };
    if let Some(b) = ing
        .doc
        .get("spec")
        .and_then(|s| s.get("defaultBackend").or_else(|| s.get("backend")))
    {
        backend(b);
        e.hosts.push("*".into());
    }
    for rule in array(&ing.doc, &["spec", "rules"]) {
        e.hosts
            .push(get_str(rule, &["host"]).unwrap_or("*").to_string());
        for path in array(rule, &["http", "paths"]) {
            if let Some(b) = path.get("backend") {
                backend(b);
            }
        }
    }
    e.hosts.sort();
    e.hosts.dedup();
    for tls in array(&ing.doc, &["spec", "tls"]) {
        let hosts = array(tls, &["hosts"]);
        if hosts.is_empty() {
            e.tls_hosts.push("*".into());
        }
        e.tls_hosts
            .extend(hosts.iter().filter_map(Value::as_str).map(str::to_string));
    }
    services.sort();
    services.dedup();
    let ns = ing.effective_namespace();
    for name in services {
        match index.services.get(&(ns.unwrap_or(""), name.as_str())) {
            Some(svc) => {
                e.backends.push(svc.address());
                e.workloads.extend(service_targets(svc, index));
            }
            None => e
                .backends
                .push(format!("Service/{}/{name}", ns.unwrap_or("default"))),
        }
    }
    e.workloads.sort();
    e.workloads.dedup();
    e
}

fn pod_exposures(pod: &PodSpecRef<'_>) -> Vec<Exposure> {
    let mut out = Vec::new();
    let mut host_ports = Vec::new();
    for (_, c) in crate::podspec::containers(pod.spec) {
        for p in array(c, &["ports"]) {
            if let Some(hp) = get_i64(p, &["hostPort"]).filter(|&hp| hp != 0) {
                host_ports.push(hp);
            }
        }
    }
    if !host_ports.is_empty() {
        let mut e = Exposure::new(ExposureKind::HostPort, pod.object);
        e.ports = host_ports;
        e.workloads = vec![pod.object.address()];
        out.push(e);
    }
    if get_bool(pod.spec, &["hostNetwork"]) == Some(true) {
        let mut e = Exposure::new(ExposureKind::HostNetwork, pod.object);
        e.workloads = vec![pod.object.address()];
        out.push(e);
    }
    out
}
