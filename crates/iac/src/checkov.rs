//! Which Rampart check covers each Checkov check that fires on the resource types Rampart models
//! (see `docs/checkov.md`). Used by the side-by-side tests and the comparison docs.
//!
//! Kubernetes ids map to the KSPM checks `rampart iac` and `rampart k8s` run on manifests:
//! `pss:<check>` (Pod Security Standards, restricted), `k8s:<slug>` (built-in workload checks) and
//! `rbac:<slug>` (risky grants, reported per binding and subject; risky roles bound to nobody, per
//! role).

/// (Checkov id, Rampart check ids that cover it).
pub const MAPPING: &[(&str, &[&str])] = &[
    // S3
    ("CKV_AWS_18", &["AWS-S3-007"]),
    ("CKV_AWS_19", &["AWS-S3-004"]),
    ("CKV_AWS_20", &["AWS-S3-001"]),
    ("CKV_AWS_57", &["AWS-S3-001"]),
    ("CKV_AWS_21", &["AWS-S3-006"]),
    ("CKV_AWS_52", &["AWS-S3-009"]),
    ("CKV_AWS_53", &["AWS-S3-013", "AWS-S3-003"]),
    ("CKV_AWS_54", &["AWS-S3-013", "AWS-S3-003"]),
    ("CKV_AWS_55", &["AWS-S3-013", "AWS-S3-003"]),
    ("CKV_AWS_56", &["AWS-S3-013", "AWS-S3-003"]),
    ("CKV_AWS_70", &["AWS-S3-002"]),
    ("CKV_AWS_144", &["AWS-S3-011"]),
    ("CKV_AWS_145", &["AWS-S3-005"]),
    ("CKV_AWS_379", &["AWS-S3-008"]),
    ("CKV2_AWS_6", &["AWS-S3-003"]),
    ("CKV2_AWS_61", &["AWS-S3-010"]),
    ("CKV2_AWS_62", &["AWS-S3-012"]),
    // Security groups and VPCs
    ("CKV_AWS_23", &["AWS-VPC-008"]),
    ("CKV_AWS_24", &["AWS-VPC-001", "AWS-VPC-003"]),
    ("CKV_AWS_25", &["AWS-VPC-002", "AWS-VPC-003"]),
    ("CKV_AWS_260", &["AWS-VPC-004", "AWS-VPC-009"]),
    ("CKV_AWS_277", &["AWS-VPC-004"]),
    ("CKV_AWS_382", &["AWS-VPC-011"]),
    ("CKV2_AWS_5", &["AWS-VPC-010"]),
    ("CKV2_AWS_11", &["AWS-VPC-007"]),
    ("CKV2_AWS_12", &["AWS-VPC-006", "AWS-VPC-005"]),
    ("CKV_AWS_229", &["AWS-VPC-012"]),
    ("CKV_AWS_230", &["AWS-VPC-012"]),
    ("CKV_AWS_231", &["AWS-VPC-012"]),
    ("CKV_AWS_232", &["AWS-VPC-012"]),
    ("CKV2_AWS_1", &["AWS-VPC-013"]),
    // EC2 and EBS
    ("CKV_AWS_79", &["AWS-EC2-001"]),
    ("CKV_AWS_88", &["AWS-EC2-002"]),
    ("CKV_AWS_8", &["AWS-EC2-003"]),
    ("CKV_AWS_126", &["AWS-EC2-004"]),
    ("CKV_AWS_135", &["AWS-EC2-005"]),
    ("CKV_AWS_46", &["AWS-EC2-006"]),
    ("CKV2_AWS_41", &["AWS-EC2-007"]),
    ("CKV_AWS_3", &["AWS-EBS-001"]),
    ("CKV_AWS_106", &["AWS-EBS-002"]),
    ("CKV_AWS_189", &["AWS-EBS-003"]),
    // IAM
    ("CKV_AWS_1", &["AWS-IAM-001"]),
    ("CKV_AWS_62", &["AWS-IAM-001"]),
    ("CKV_AWS_63", &["AWS-IAM-001"]),
    ("CKV_AWS_40", &["AWS-IAM-002"]),
    ("CKV_AWS_10", &["AWS-IAM-003"]),
    ("CKV_AWS_13", &["AWS-IAM-004"]),
    ("CKV_AWS_11", &["AWS-IAM-005"]),
    ("CKV_AWS_12", &["AWS-IAM-005"]),
    ("CKV_AWS_14", &["AWS-IAM-005"]),
    ("CKV_AWS_15", &["AWS-IAM-005"]),
    ("CKV_AWS_9", &["AWS-IAM-006"]),
    ("CKV_AWS_60", &["AWS-IAM-007"]),
    ("CKV_AWS_61", &["AWS-IAM-007"]),
    ("CKV_AWS_273", &["AWS-IAM-008"]),
    ("CKV_AWS_110", &["AWS-IAM-009"]),
    ("CKV_AWS_286", &["AWS-IAM-009"]),
    ("CKV_AWS_107", &["AWS-IAM-010"]),
    ("CKV_AWS_287", &["AWS-IAM-010"]),
    ("CKV_AWS_274", &["AWS-IAM-011"]),
    ("CKV2_AWS_40", &["AWS-IAM-012"]),
    ("CKV_AWS_108", &["AWS-IAM-013"]),
    ("CKV_AWS_288", &["AWS-IAM-013"]),
    ("CKV_AWS_109", &["AWS-IAM-014"]),
    ("CKV_AWS_289", &["AWS-IAM-014"]),
    ("CKV_AWS_111", &["AWS-IAM-015"]),
    ("CKV_AWS_290", &["AWS-IAM-015"]),
    ("CKV_AWS_355", &["AWS-IAM-016"]),
    ("CKV_AWS_356", &["AWS-IAM-016"]),
    // KMS
    ("CKV_AWS_7", &["AWS-KMS-001"]),
    ("CKV_AWS_33", &["AWS-KMS-002"]),
    ("CKV2_AWS_64", &["AWS-KMS-003"]),
    // CloudTrail and logs
    ("CKV_AWS_67", &["AWS-CT-001"]),
    ("CKV_AWS_36", &["AWS-CT-002"]),
    ("CKV_AWS_35", &["AWS-CT-003"]),
    ("CKV2_AWS_10", &["AWS-CT-005"]),
    ("CKV_AWS_252", &["AWS-CT-006"]),
    ("CKV_AWS_158", &["AWS-LOGS-001"]),
    // RDS
    ("CKV_AWS_17", &["AWS-RDS-001"]),
    ("CKV_AWS_16", &["AWS-RDS-002"]),
    ("CKV_AWS_133", &["AWS-RDS-003"]),
    ("CKV_AWS_293", &["AWS-RDS-004"]),
    ("CKV_AWS_226", &["AWS-RDS-005"]),
    ("CKV_AWS_161", &["AWS-RDS-006"]),
    ("CKV_AWS_157", &["AWS-RDS-007"]),
    ("CKV_AWS_118", &["AWS-RDS-008"]),
    ("CKV_AWS_129", &["AWS-RDS-009"]),
    ("CKV2_AWS_60", &["AWS-RDS-010"]),
    ("CKV_AWS_353", &["AWS-RDS-011"]),
    ("CKV2_AWS_30", &["AWS-RDS-012"]),
    // EKS
    ("CKV_AWS_39", &["AWS-EKS-001"]),
    ("CKV_AWS_38", &["AWS-EKS-002"]),
    ("CKV_AWS_58", &["AWS-EKS-003"]),
    ("CKV_AWS_37", &["AWS-EKS-004"]),
    // Lambda
    ("CKV_AWS_363", &["AWS-LAMBDA-001"]),
    ("CKV_AWS_45", &["AWS-LAMBDA-002"]),
    ("CKV_AWS_258", &["AWS-LAMBDA-003"]),
    ("CKV_AWS_50", &["AWS-LAMBDA-004"]),
    ("CKV_AWS_117", &["AWS-LAMBDA-005"]),
    ("CKV_AWS_116", &["AWS-LAMBDA-006"]),
    ("CKV_AWS_115", &["AWS-LAMBDA-007"]),
    ("CKV_AWS_173", &["AWS-LAMBDA-008"]),
    ("CKV_AWS_272", &["AWS-LAMBDA-009"]),
    // Dockerfiles
    ("CKV_DOCKER_1", &["DOCKER-010"]),
    ("CKV_DOCKER_2", &["DOCKER-009"]),
    ("CKV_DOCKER_3", &["DOCKER-001"]),
    ("CKV_DOCKER_4", &["DOCKER-003", "DOCKER-011"]),
    ("CKV_DOCKER_5", &["DOCKER-012"]),
    ("CKV_DOCKER_6", &["DOCKER-016"]),
    ("CKV_DOCKER_7", &["DOCKER-002"]),
    ("CKV_DOCKER_8", &["DOCKER-001"]),
    ("CKV_DOCKER_9", &["DOCKER-015"]),
    ("CKV2_DOCKER_1", &["DOCKER-014"]),
    ("CKV2_DOCKER_2", &["DOCKER-013"]),
    ("CKV2_DOCKER_3", &["DOCKER-013"]),
    ("CKV2_DOCKER_4", &["DOCKER-013"]),
    ("CKV2_DOCKER_5", &["DOCKER-013"]),
    ("CKV2_DOCKER_6", &["DOCKER-013"]),
    ("CKV2_DOCKER_7", &["DOCKER-013"]),
    ("CKV2_DOCKER_8", &["DOCKER-013"]),
    // Kubernetes workloads (pod specs of Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet,
    // ReplicationController, Job, CronJob)
    ("CKV_K8S_8", &["k8s:liveness-probe-missing"]),
    ("CKV_K8S_33", &["k8s:risky-component"]),
    ("CKV_K8S_34", &["k8s:risky-component"]),
    // The Tiller Service, and Tiller not listening on loopback only.
    ("CKV_K8S_44", &["k8s:tiller-service"]),
    ("CKV_K8S_45", &["k8s:tiller-reachable"]),
    ("CKV_K8S_153", &["k8s:ingress-snippet-annotation"]),
    ("CKV_K8S_9", &["k8s:readiness-probe-missing"]),
    ("CKV_K8S_10", &["k8s:resource-requests"]),
    ("CKV_K8S_12", &["k8s:resource-requests"]),
    ("CKV_K8S_11", &["k8s:resource-limits"]),
    ("CKV_K8S_13", &["k8s:resource-limits"]),
    ("CKV_K8S_14", &["k8s:image-tag-unpinned"]),
    ("CKV_K8S_43", &["k8s:image-tag-unpinned"]),
    ("CKV_K8S_16", &["pss:privileged"]),
    ("CKV_K8S_17", &["pss:hostNamespaces"]),
    ("CKV_K8S_18", &["pss:hostNamespaces"]),
    ("CKV_K8S_19", &["pss:hostNamespaces"]),
    ("CKV_K8S_20", &["pss:allowPrivilegeEscalation"]),
    ("CKV_K8S_21", &["k8s:default-namespace"]),
    ("CKV_K8S_22", &["k8s:readonly-root-filesystem"]),
    ("CKV_K8S_23", &["pss:runAsNonRoot", "pss:runAsUser"]),
    ("CKV_K8S_40", &["k8s:low-uid"]),
    (
        "CKV_K8S_24",
        &["pss:capabilities_baseline", "pss:capabilities_restricted"],
    ),
    (
        "CKV_K8S_25",
        &["pss:capabilities_baseline", "pss:capabilities_restricted"],
    ),
    ("CKV_K8S_39", &["pss:capabilities_baseline"]),
    ("CKV_K8S_37", &["pss:capabilities_restricted"]),
    ("CKV_K8S_26", &["k8s:host-port", "pss:hostPorts"]),
    ("CKV_K8S_27", &["k8s:container-runtime-socket"]),
    ("CKV_K8S_28", &["k8s:net-raw-capability"]),
    // No pod securityContext: restricted requires runAsNonRoot and a seccomp profile there.
    (
        "CKV_K8S_29",
        &["pss:runAsNonRoot", "pss:seccompProfile_restricted"],
    ),
    // No container securityContext: restricted requires allowPrivilegeEscalation=false and drop ALL.
    (
        "CKV_K8S_30",
        &[
            "pss:allowPrivilegeEscalation",
            "pss:capabilities_restricted",
        ],
    ),
    (
        "CKV_K8S_31",
        &[
            "pss:seccompProfile_restricted",
            "pss:seccompProfile_baseline",
        ],
    ),
    (
        "CKV_K8S_32",
        &[
            "pss:seccompProfile_restricted",
            "pss:seccompProfile_baseline",
        ],
    ),
    ("CKV_K8S_38", &["k8s:automount-service-account-token"]),
    // On the `default` ServiceAccount; Rampart reports the workloads that run as it with its token.
    ("CKV_K8S_41", &["k8s:default-service-account"]),
    ("CKV2_K8S_6", &["k8s:networkpolicy-missing"]),
    // Kubernetes RBAC: Checkov reports the Role/ClusterRole (or, for CKV2, the binding); Rampart the
    // grant, per binding and subject. `rbac:wildcard-admin` stands for every narrower risk.
    ("CKV_K8S_42", &["rbac:default-sa-bound"]),
    (
        "CKV_K8S_49",
        &[
            "rbac:wildcard",
            "rbac:wildcard-admin",
            "rbac:public-binding",
        ],
    ),
    // A role bound to nobody: `rbac:unbound-risky-role` on the role itself.
    (
        "CKV_K8S_155",
        &[
            "rbac:modify-webhooks",
            "rbac:wildcard-admin",
            "rbac:unbound-risky-role",
        ],
    ),
    (
        "CKV_K8S_156",
        &[
            "rbac:approve-csr",
            "rbac:wildcard-admin",
            "rbac:unbound-risky-role",
        ],
    ),
    (
        "CKV_K8S_157",
        &["rbac:escalate-bind-impersonate", "rbac:wildcard-admin"],
    ),
    (
        "CKV_K8S_158",
        &["rbac:escalate-bind-impersonate", "rbac:wildcard-admin"],
    ),
    (
        "CKV2_K8S_1",
        &["rbac:escalate-bind-impersonate", "rbac:wildcard-admin"],
    ),
    (
        "CKV2_K8S_2",
        &[
            "rbac:create-pods",
            "rbac:nodes-proxy",
            "rbac:wildcard-admin",
        ],
    ),
    (
        "CKV2_K8S_3",
        &["rbac:escalate-bind-impersonate", "rbac:wildcard-admin"],
    ),
    ("CKV2_K8S_4", &["rbac:wildcard-admin"]),
    ("CKV2_K8S_5", &["rbac:read-secrets", "rbac:wildcard-admin"]),
];

/// Checkov checks deliberately not covered, with the reason.
pub const NOT_COVERED: &[(&str, &str)] = &[(
    "CKV_TF_1",
    "module source pinning to a commit hash is a supply-chain rule on module blocks, not a check on a cloud resource; Rampart lists remote modules as not followed",
)];

/// Checkov findings Rampart deliberately does not reproduce because they are false positives or a
/// policy Rampart does not share, with the reason. Each is listed in `docs/checkov.md`.
pub const DISAGREEMENTS: &[(&str, &str)] = &[
    (
        "CKV_AWS_226",
        "fires when auto_minor_version_upgrade is absent, but the Terraform AWS provider and the RDS API default it to true; AWS-RDS-005 reports an explicit false only",
    ),
    (
        "CKV_K8S_15",
        "requires imagePullPolicy: Always; the risk is a mutable tag, which k8s:image-tag-unpinned reports (Kubernetes already defaults to Always for latest or no tag), and with a digest or a version tag IfNotPresent is the recommended setting",
    ),
    (
        "CKV_K8S_35",
        "fires on valueFrom.secretKeyRef, which is what Rampart recommends; k8s:secret-in-env reports secret values written literally in env, which Checkov does not report",
    ),
    (
        "CKV_K8S_43",
        "requires a digest; k8s:image-tag-unpinned accepts an immutable version tag (issue 4: digest or non-latest) and reports latest or no tag, the 7 findings CKV_K8S_14 also has",
    ),
];

/// Single Checkov findings Rampart deliberately does not reproduce: (Checkov id, Checkov resource,
/// reason). Listed in `docs/checkov.md`.
pub const FINDING_DISAGREEMENTS: &[(&str, &str, &str)] = &[
    (
        "CKV_K8S_21",
        "Deployment.default.admin-panel",
        "no metadata.namespace: the namespace is chosen when the manifest is applied (kubectl -n, Helm, kustomize); k8s:default-namespace reports an explicit namespace: default",
    ),
    (
        "CKV_K8S_21",
        "Service.default.admin-panel",
        "no metadata.namespace (see Deployment.default.admin-panel)",
    ),
    (
        "CKV_K8S_21",
        "Secret.default.web-db",
        "no metadata.namespace (see Deployment.default.admin-panel)",
    ),
    (
        "CKV_K8S_21",
        "CronJob.default.cache-warmer",
        "no metadata.namespace (see Deployment.default.admin-panel)",
    ),
    (
        "CKV_K8S_25",
        "Deployment.shop.cart",
        "adds NET_BIND_SERVICE after dropping ALL, the one capability the restricted Pod Security Standard allows",
    ),
    (
        "CKV_K8S_38",
        "Deployment.shop.cart",
        "runs as ServiceAccount shop/storefront, which sets automountServiceAccountToken: false, so no token is mounted; Checkov reads the pod spec only",
    ),
];

/// Checkov findings on the corpus that Rampart does not cover yet: (Checkov id, Checkov resource or
/// `*` for every finding of the check, what is missing). Work for the KSPM checks (`crates/kube`);
/// listed in `docs/checkov.md`.
pub const GAPS: &[(&str, &str, &str)] = &[];

/// Why a Checkov finding (id, Checkov resource) is not expected to be covered: a deliberate
/// disagreement or a known gap. `None` when Rampart must cover it.
pub fn exception(checkov_id: &str, resource: &str) -> Option<&'static str> {
    NOT_COVERED
        .iter()
        .chain(DISAGREEMENTS)
        .find(|(c, _)| *c == checkov_id)
        .map(|(_, why)| *why)
        .or_else(|| {
            FINDING_DISAGREEMENTS
                .iter()
                .chain(GAPS)
                .find(|(c, r, _)| *c == checkov_id && (*r == "*" || *r == resource))
                .map(|(_, _, why)| *why)
        })
}

/// The Rampart checks covering a Checkov id.
pub fn rampart_for(checkov_id: &str) -> Option<&'static [&'static str]> {
    MAPPING
        .iter()
        .find(|(c, _)| *c == checkov_id)
        .map(|(_, r)| *r)
}
