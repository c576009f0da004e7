//! The built-in workload checks: ids, texts and framework controls. Data only; the logic is in the
//! sibling modules.

use rampart_core::Severity;

/// Framework names used in finding controls.
pub const CIS: &str = "cis-kubernetes";
pub const NSA: &str = "nsa-cisa";
pub const MITRE: &str = "mitre-attack";

/// A built-in check.
#[derive(Debug)]
pub struct CheckInfo {
    /// Stable id, `k8s:<slug>`.
    pub id: &'static str,
    pub title: &'static str,
    pub severity: Severity,
    pub description: &'static str,
    pub remediation: &'static str,
    /// (framework, control id) pairs.
    pub controls: &'static [(&'static str, &'static str)],
}

macro_rules! check {
    ($name:ident, $id:literal, $sev:ident, $title:literal, $desc:literal, $rem:literal, [$(($fw:expr, $ctl:literal)),* $(,)?]) => {
        pub static $name: CheckInfo = CheckInfo {
            id: $id,
            title: $title,
            severity: Severity::$sev,
            description: $desc,
            remediation: $rem,
            controls: &[$(($fw, $ctl)),*],
        };
    };
}

check!(
    RESOURCE_LIMITS,
    "k8s:resource-limits",
    Medium,
    "Container has no CPU or memory limits",
    "Without limits one container can starve its node of CPU or memory (denial of service, cryptomining).",
    "Set resources.limits.cpu and resources.limits.memory on every container.",
    [
        (NSA, "Network separation and hardening: Resource policies"),
        (MITRE, "T1496")
    ]
);
check!(
    RESOURCE_REQUESTS,
    "k8s:resource-requests",
    Low,
    "Container has no CPU or memory requests",
    "Without requests the scheduler cannot place the pod sensibly and it is evicted first under pressure.",
    "Set resources.requests.cpu and resources.requests.memory on every container.",
    [
        (NSA, "Network separation and hardening: Resource policies"),
        (MITRE, "T1499")
    ]
);
check!(
    IMAGE_TAG,
    "k8s:image-tag-unpinned",
    Medium,
    "Image is not pinned (latest or no tag)",
    "An image referenced by `latest` or without a tag can change under the same name, so what runs is not what was reviewed.",
    "Reference images by digest (`image@sha256:…`) or by an immutable version tag.",
    [
        (
            NSA,
            "Kubernetes Pod security: Building secure container images"
        ),
        (MITRE, "T1525")
    ]
);
check!(
    LIVENESS_PROBE,
    "k8s:liveness-probe-missing",
    Low,
    "Container has no liveness probe",
    "Without a liveness probe a hung container is never restarted.",
    "Add a livenessProbe to every long-running container.",
    [(MITRE, "T1499")]
);
check!(
    READINESS_PROBE,
    "k8s:readiness-probe-missing",
    Low,
    "Container has no readiness probe",
    "Without a readiness probe traffic is sent to containers that are not ready to serve.",
    "Add a readinessProbe to every long-running container.",
    [(MITRE, "T1499")]
);
check!(
    READ_ONLY_ROOT,
    "k8s:readonly-root-filesystem",
    Medium,
    "Root filesystem is writable",
    "A writable root filesystem lets an attacker drop tools and persist changes inside the container.",
    "Set securityContext.readOnlyRootFilesystem: true and mount emptyDir volumes where writes are needed.",
    [
        (
            NSA,
            "Kubernetes Pod security: Immutable container file systems"
        ),
        (MITRE, "T1105")
    ]
);
check!(
    AUTOMOUNT_TOKEN,
    "k8s:automount-service-account-token",
    Medium,
    "Service account token is mounted automatically",
    "Every container gets an API token it rarely needs; a compromised container can use it against the API server.",
    "Set automountServiceAccountToken: false on the pod (or its ServiceAccount) unless it calls the Kubernetes API.",
    [
        (CIS, "5.1.6"),
        (
            NSA,
            "Kubernetes Pod security: Protecting Pod service account tokens"
        ),
        (MITRE, "T1528")
    ]
);
check!(
    DEFAULT_SERVICE_ACCOUNT,
    "k8s:default-service-account",
    Medium,
    "Workload runs as the default service account with its token mounted",
    "The namespace's default service account is shared by every pod that names none; its automounted token gives each of them whatever is later granted to default.",
    "Give the workload its own ServiceAccount (serviceAccountName), or set automountServiceAccountToken: false on the pod or on the default ServiceAccount.",
    [
        (CIS, "5.1.5"),
        (CIS, "5.1.6"),
        (
            NSA,
            "Kubernetes Pod security: Protecting Pod service account tokens"
        ),
        (MITRE, "T1528")
    ]
);
check!(
    DEFAULT_NAMESPACE,
    "k8s:default-namespace",
    Low,
    "Resource is in the default namespace",
    "The default namespace mixes unrelated workloads and is usually left without quotas, policies or narrow RBAC.",
    "Deploy into a dedicated namespace.",
    [
        (CIS, "5.7.4"),
        (NSA, "Network separation and hardening: Namespaces"),
        (MITRE, "T1610")
    ]
);
check!(
    HOST_PORT,
    "k8s:host-port",
    Medium,
    "Container binds a host port",
    "A hostPort exposes the container on the node's address, bypassing Services and network policies, and limits scheduling.",
    "Remove hostPort and expose the pod through a Service.",
    [
        (CIS, "5.2.13"),
        (NSA, "Network separation and hardening: Network policies"),
        (MITRE, "T1133")
    ]
);
check!(
    NET_RAW,
    "k8s:net-raw-capability",
    Medium,
    "NET_RAW capability is not dropped",
    "NET_RAW lets a container craft packets (ARP/DNS spoofing, sniffing) against its neighbours.",
    "Drop NET_RAW (or ALL) in securityContext.capabilities.drop.",
    [
        (CIS, "5.2.8"),
        (
            NSA,
            "Kubernetes Pod security: Hardening container environments"
        ),
        (MITRE, "T1557"),
        (MITRE, "T1040")
    ]
);
check!(
    SECRET_IN_ENV,
    "k8s:secret-in-env",
    High,
    "Secret value written literally in an environment variable",
    "A credential in the manifest is visible to anyone who can read the object or the repository, and in every log of the spec.",
    "Store the value in a Secret and reference it with valueFrom.secretKeyRef, or mount it as a file.",
    [
        (CIS, "5.4.1"),
        (NSA, "Network separation and hardening: Secrets"),
        (MITRE, "T1552")
    ]
);
check!(
    RUNTIME_SOCKET,
    "k8s:container-runtime-socket",
    High,
    "Container runtime socket is mounted",
    "Access to the Docker, containerd or CRI-O socket is root on the node: it can start privileged containers.",
    "Remove the hostPath volume for the runtime socket.",
    [
        (CIS, "5.2.12"),
        (
            NSA,
            "Kubernetes Pod security: Hardening container environments"
        ),
        (MITRE, "T1610"),
        (MITRE, "T1611")
    ]
);
check!(
    NETWORK_POLICY,
    "k8s:networkpolicy-missing",
    Medium,
    "Workloads not selected by any NetworkPolicy",
    "Pods that no NetworkPolicy selects accept traffic from, and send traffic to, anything in the cluster.",
    "Add a default-deny NetworkPolicy to the namespace and allow only the flows each workload needs.",
    [
        (CIS, "5.3.2"),
        (NSA, "Network separation and hardening: Network policies"),
        (MITRE, "T1046")
    ]
);
check!(
    SERVICE_LOADBALANCER,
    "k8s:service-loadbalancer",
    Medium,
    "Service is exposed through a load balancer",
    "A LoadBalancer Service usually gets an address reachable from outside the cluster.",
    "Confirm the exposure is intended; restrict loadBalancerSourceRanges or use an internal load balancer.",
    [
        (NSA, "Network separation and hardening: Network policies"),
        (MITRE, "T1190")
    ]
);
check!(
    SERVICE_NODEPORT,
    "k8s:service-nodeport",
    Low,
    "Service is exposed on every node's port",
    "A NodePort Service opens the same port on every node, often reachable from outside the cluster.",
    "Prefer ClusterIP behind an Ingress or a LoadBalancer with source ranges.",
    [
        (NSA, "Network separation and hardening: Network policies"),
        (MITRE, "T1190")
    ]
);
check!(
    INGRESS_EXPOSED,
    "k8s:ingress-exposed",
    Low,
    "Ingress exposes services over HTTP(S)",
    "An Ingress publishes backends to clients outside the cluster.",
    "Confirm the exposure is intended and that every host uses TLS.",
    [(MITRE, "T1190")]
);
check!(
    INGRESS_TLS,
    "k8s:ingress-without-tls",
    Medium,
    "Ingress serves hosts without TLS",
    "Hosts not listed under spec.tls are served over plain HTTP.",
    "Add a spec.tls entry covering every host.",
    [
        (NSA, "Network separation and hardening: Network policies"),
        (MITRE, "T1040")
    ]
);

check!(
    RISKY_COMPONENT,
    "k8s:risky-component",
    High,
    "Workload runs a component known to open the cluster",
    "Tiller (Helm v2) serves an unauthenticated gRPC API that installs anything with its own, usually cluster-admin, rights; the Kubernetes dashboard is a web console onto the cluster that has been a common way in when exposed.",
    "Remove Tiller (migrate to Helm 3, which has no in-cluster component). Remove the dashboard, or keep it internal with its own least-privilege service account and authentication in front.",
    [(MITRE, "T1133"), (MITRE, "T1068")]
);

check!(
    LOW_UID,
    "k8s:low-uid",
    Low,
    "Container runs with a low user id",
    "A container whose user id is below 10000 (or not set, so the image decides, usually root) shares its id with system accounts and users of the node; after an escape it acts as that host user and can reach their files.",
    "Set securityContext.runAsUser to 10000 or more on the pod or on every container (and runAsGroup likewise), or run the pod in a user namespace (hostUsers: false).",
    [
        (
            NSA,
            "Kubernetes Pod security: Non-root containers and rootless container engines"
        ),
        (MITRE, "T1611")
    ]
);
check!(
    TILLER_REACHABLE,
    "k8s:tiller-reachable",
    High,
    "Tiller (Helm v2) accepts connections from inside the cluster",
    "Tiller's gRPC API has no authentication by default and installs whatever it is sent with its own, usually cluster-admin, rights; unless it listens on loopback only, every pod that can reach its address can use it.",
    "Remove Tiller (migrate to Helm 3). Until then start it with --listen=localhost:44134 so clients reach it only through kubectl port-forward, which the API server authorises.",
    [(MITRE, "T1610"), (MITRE, "T1068")]
);
check!(
    TILLER_SERVICE,
    "k8s:tiller-service",
    Medium,
    "Service fronts Tiller (Helm v2)",
    "The Tiller Service gives Tiller's unauthenticated gRPC API a stable in-cluster name (tiller-deploy.kube-system:44134), the first address a compromised pod tries.",
    "Delete the Service (Helm clients reach Tiller through port-forward) and remove Tiller by migrating to Helm 3.",
    [(MITRE, "T1610"), (MITRE, "T1046")]
);
check!(
    INGRESS_SNIPPET,
    "k8s:ingress-snippet-annotation",
    High,
    "Ingress injects configuration snippets into the ingress controller",
    "Snippet annotations (nginx.ingress.kubernetes.io/server-snippet, configuration-snippet, …) are copied verbatim into the controller's nginx configuration; anyone who can write an Ingress can then read the controller's service account token and every Secret it can see (CVE-2021-25742).",
    "Remove the snippet annotations and use dedicated annotations or a ConfigMap owned by the platform team; set allow-snippet-annotations: \"false\" in the ingress-nginx ConfigMap.",
    [
        (NSA, "Network separation and hardening: Secrets"),
        (MITRE, "T1552.007"),
        (MITRE, "T1190")
    ]
);

/// Every built-in check.
pub static CATALOGUE: &[&CheckInfo] = &[
    &RESOURCE_LIMITS,
    &RESOURCE_REQUESTS,
    &IMAGE_TAG,
    &LIVENESS_PROBE,
    &READINESS_PROBE,
    &READ_ONLY_ROOT,
    &AUTOMOUNT_TOKEN,
    &DEFAULT_SERVICE_ACCOUNT,
    &DEFAULT_NAMESPACE,
    &HOST_PORT,
    &NET_RAW,
    &SECRET_IN_ENV,
    &RUNTIME_SOCKET,
    &RISKY_COMPONENT,
    &TILLER_REACHABLE,
    &LOW_UID,
    &NETWORK_POLICY,
    &SERVICE_LOADBALANCER,
    &SERVICE_NODEPORT,
    &INGRESS_EXPOSED,
    &INGRESS_TLS,
    &INGRESS_SNIPPET,
    &TILLER_SERVICE,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_prefixed() {
        let mut ids: Vec<_> = CATALOGUE.iter().map(|c| c.id).collect();
        assert!(ids.iter().all(|id| id.starts_with("k8s:")));
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), CATALOGUE.len());
    }

    #[test]
    fn every_check_names_a_mitre_technique() {
        for c in CATALOGUE {
            assert!(
                c.controls
                    .iter()
                    .any(|(fw, id)| *fw == MITRE && is_technique(id)),
                "{} has no MITRE ATT&CK technique",
                c.id
            );
        }
    }

    /// `T1234` or `T1234.001`.
    pub(crate) fn is_technique(id: &str) -> bool {
        let Some(rest) = id.strip_prefix('T') else {
            return false;
        };
        let (main, sub) = rest.split_once('.').unwrap_or((rest, "000"));
        main.len() == 4
            && sub.len() == 3
            && main.bytes().chain(sub.bytes()).all(|b| b.is_ascii_digit())
    }
}
