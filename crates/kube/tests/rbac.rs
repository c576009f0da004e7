//! RBAC entitlements on a realistic fixture set (`tests/data/rbac`): who-can answers as Kubernetes
//! RBAC would give them, effective rules, risky-grant findings and multi-hop escalation paths.

use rampart_kube::rbac::{self, Subject};
use rampart_kube::{KubeObject, LoadOptions, load_path, load_str};
use std::path::Path;

fn objects() -> Vec<KubeObject> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/rbac");
    load_path(&dir, &LoadOptions::default())
        .expect("rbac fixtures load")
        .objects
}

fn sa(ns: &str, n: &str) -> Subject {
    Subject::ServiceAccount(ns.into(), n.into())
}

fn who(
    objs: &[KubeObject],
    verb: &str,
    res: &str,
    ns: Option<&str>,
    name: Option<&str>,
) -> Vec<Subject> {
    let mut v: Vec<Subject> = rbac::who_can(objs, verb, res, ns, name)
        .into_iter()
        .map(|x| x.0)
        .collect();
    v.dedup();
    v
}

fn paths_by_start(objs: &[KubeObject]) -> Vec<(Subject, usize)> {
    rbac::analyze(objs)
        .paths
        .into_iter()
        .map(|p| (p.start.clone(), p.hops.len()))
        .collect()
}

#[test]
fn role_binding_to_cluster_role_grants_only_in_its_namespace() {
    let objs = objects();
    let prod = who(&objs, "get", "secrets", Some("prod"), None);
    assert!(prod.contains(&sa("prod", "api")));
    assert!(!prod.contains(&sa("ci", "deployer-sa")), "{prod:?}");
    let ci = who(&objs, "get", "secrets", Some("ci"), None);
    assert!(ci.contains(&sa("ci", "deployer-sa")));
    // cluster-scoped request: only ClusterRoleBindings count
    let cluster = who(&objs, "list", "secrets", None, None);
    assert!(!cluster.contains(&sa("ci", "deployer-sa")));
    assert!(cluster.contains(&Subject::Group("system:masters".into())));
}

#[test]
fn resource_names_do_not_allow_list() {
    let objs = objects();
    let d = sa("prod", "default");
    assert!(who(&objs, "get", "configmaps", Some("prod"), Some("app-config")).contains(&d));
    assert!(!who(&objs, "get", "configmaps", Some("prod"), Some("other")).contains(&d));
    assert!(!who(&objs, "list", "configmaps", Some("prod"), None).contains(&d));
}

#[test]
fn subresources_are_distinct_from_their_resource() {
    let objs = objects();
    let dev = Subject::Group("dev-team".into());
    assert!(who(&objs, "create", "pods/exec", Some("prod"), None).contains(&dev));
    assert!(!who(&objs, "get", "pods", Some("prod"), None).contains(&dev));
    assert!(!who(&objs, "create", "pods/exec", Some("ci"), None).contains(&dev));
    assert!(who(&objs, "get", "pods/log", Some("prod"), None).contains(&dev));
    // group-qualified resources
    let alice = Subject::User("alice".into());
    assert!(who(&objs, "create", "deployments.apps", Some("ci"), None).contains(&alice));
    assert!(!who(&objs, "create", "deployments", Some("ci"), None).contains(&alice));
}

#[test]
fn non_resource_urls_and_aggregation() {
    let objs = objects();
    let mon = sa("monitoring", "monitor");
    // metrics-reader reaches monitoring through monitoring-extra (transitive, cyclic aggregation)
    assert!(who(&objs, "get", "/metrics", None, None).contains(&mon));
    assert!(who(&objs, "get", "/metrics/cadvisor", None, None).contains(&mon));
    assert!(!who(&objs, "get", "/healthz", None, None).contains(&mon));
    assert!(!who(&objs, "post", "/metrics", None, None).contains(&mon));
    assert!(
        who(&objs, "get", "/healthz", None, None)
            .contains(&Subject::Group("system:unauthenticated".into()))
    );
    assert!(who(&objs, "list", "pods", Some("default"), None).contains(&mon));
    assert!(!who(&objs, "delete", "pods", Some("default"), None).contains(&mon));
}

#[test]
fn can_lists_effective_rules_with_scope() {
    let objs = objects();
    let grants = rbac::can(&objs, "system:serviceaccount:ci:deployer-sa");
    assert_eq!(grants.len(), 1);
    assert_eq!(grants[0].scope.as_deref(), Some("ci"));
    assert_eq!(grants[0].binding, "RoleBinding ci/ci-secrets");
    assert_eq!(grants[0].role, "ClusterRole secret-reader");
    let mon = rbac::can(&objs, "ServiceAccount:monitoring/monitor");
    assert!(
        mon.iter()
            .any(|g| g.rule.non_resource_urls.contains(&"/metrics".to_string()))
    );
    assert!(
        mon.iter()
            .any(|g| g.rule.resources.contains(&"nodes/proxy".to_string()))
    );
}

#[test]
fn risky_grants_are_findings_with_workloads() {
    let objs = objects();
    let a = rbac::analyze(&objs);
    assert!(a.warnings.is_empty(), "{:?}", a.warnings);
    let has = |rule: &str, subject: &str| {
        a.findings
            .iter()
            .find(|f| f.rule_id == rule && f.subject.starts_with(subject))
    };
    let api = has("rbac:read-secrets", "ServiceAccount prod/api").expect("api reads secrets");
    assert!(api.evidence.iter().any(|e| e.detail.starts_with(
        "Deployment/prod/api runs as ServiceAccount prod/api which can read Secrets cluster-wide via ClusterRoleBinding api-secrets → ClusterRole secret-reader"
    )));
    assert!(api.controls.iter().any(|c| c.id == "5.1.2"));
    assert!(api.controls.iter().any(|c| c.id == "T1552.007"));
    for (rule, subject) in [
        ("rbac:wildcard-admin", "ServiceAccount ci/builder"),
        ("rbac:cluster-admin-binding", "ServiceAccount ci/builder"),
        ("rbac:nodes-proxy", "ServiceAccount monitoring/monitor"),
        ("rbac:escalate-bind-impersonate", "ServiceAccount ci/ops"),
        ("rbac:escalate-bind-impersonate", "User bob"),
        ("rbac:public-binding", "Group system:unauthenticated"),
        ("rbac:approve-csr", "Group security"),
        ("rbac:modify-webhooks", "Group security"),
        ("rbac:create-tokens", "User carol"),
        ("rbac:create-pods", "Group dev-team"),
        ("rbac:create-workloads", "User alice"),
        ("rbac:default-sa-bound", "ServiceAccount prod/default"),
    ] {
        assert!(has(rule, subject).is_some(), "missing {rule} on {subject}");
    }
    // system:masters holding cluster-admin is expected, not a finding
    assert!(has("rbac:cluster-admin-binding", "Group system:masters").is_none());
    // an admin-equivalent grant is reported once, not as every category
    assert!(has("rbac:read-secrets", "ServiceAccount ci/builder").is_none());
    assert!(
        a.findings
            .iter()
            .all(|f| f.kind == rampart_core::FindingKind::Entitlement)
    );
}

#[test]
fn multi_hop_escalation_paths() {
    let objs = objects();
    let paths = paths_by_start(&objs);
    let hops = |s: Subject| paths.iter().find(|p| p.0 == s).map(|p| p.1);
    // exec into api's pod → read ops' legacy token → bind/escalate
    assert_eq!(hops(Subject::Group("dev-team".into())), Some(3));
    // impersonate monitor → nodes/proxy exec into controller → cluster-admin
    assert_eq!(hops(Subject::User("bob".into())), Some(3));
    // create a token for builder → cluster-admin
    assert_eq!(hops(Subject::User("carol".into())), Some(2));
    // create a deployment in ci running as builder
    assert_eq!(hops(Subject::User("alice".into())), Some(2));
    assert_eq!(hops(sa("prod", "api")), Some(2));
    assert_eq!(hops(sa("ci", "ops")), Some(1));
    // nobody else escalates
    assert_eq!(hops(sa("prod", "default")), None);
    let a = rbac::analyze(&objs);
    let bob = a
        .paths
        .iter()
        .find(|p| p.start == Subject::User("bob".into()))
        .expect("bob");
    let text = bob.to_string();
    assert!(text.contains("impersonate serviceaccounts"), "{text}");
    assert!(
        text.contains("nodes/proxy → kubelet exec into Deployment/kube-system/controller"),
        "{text}"
    );
}

#[test]
fn malformed_rbac_objects_are_warnings() {
    let text = r#"
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: bad-rules}
rules: "everything"
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: odd, namespace: x}
rules:
  - 42
  - apiGroups: [""]
    resources: ["pods"]
  - apiGroups: 7
    resources: ["secrets"]
    verbs: ["get"]
  - apiGroups: [""]
    resources: [1, "pods"]
    verbs: "get"
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: no-ref}
subjects: [{kind: User, name: eve}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: role-in-crb}
roleRef: {kind: Role, name: odd}
subjects: [{kind: User, name: eve}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: weird, namespace: x}
roleRef: {kind: Role, name: odd}
subjects: [{kind: Robot, name: r2}, {kind: User}, "nope", {kind: ServiceAccount, name: sa}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: agg}
aggregationRule: {clusterRoleSelectors: [{matchLabels: {a: 1}}, 5, {matchExpressions: [{key: k}]}]}
"#;
    let loaded = load_str(text, "bad.yaml", &LoadOptions::default());
    let a = rbac::analyze(&loaded.objects);
    assert!(a.warnings.len() >= 6, "{:?}", a.warnings);
    // a rule whose apiGroups is not a list grants nothing; the salvageable rule still works
    assert!(rbac::who_can(&loaded.objects, "get", "secrets", Some("x"), None).is_empty());
    let who = rbac::who_can(&loaded.objects, "get", "pods", Some("x"), None);
    assert_eq!(who.len(), 1, "{who:?}");
    assert_eq!(who[0].0, sa("x", "sa"));
}

#[test]
fn truncated_fixtures_never_panic() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/rbac");
    for file in ["clusterroles.yaml", "bindings.yaml", "snapshot.json"] {
        let bytes = std::fs::read(dir.join(file)).expect("fixture");
        for end in (0..bytes.len()).step_by(97) {
            rbac::fuzzing::fuzz_rbac(&bytes[..end]);
        }
    }
}

/// Bindings to `system:anonymous` (a User) and `system:authenticated` (a Group) are public bindings like
/// `system:unauthenticated`: critical when the role holds a risky permission, high otherwise, none when
/// the role grants nothing.
#[test]
fn anonymous_and_all_authenticated_bindings_are_public() {
    let text = r#"
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: secret-reader}
rules: [{apiGroups: [""], resources: ["secrets"], verbs: ["get", "list"]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: config-reader, namespace: web}
rules: [{apiGroups: [""], resources: ["configmaps"], verbs: ["get"]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: nothing}
rules: []
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: anon-secrets}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: secret-reader}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: "system:anonymous"}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: everyone-config, namespace: web}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: config-reader}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: Group, name: "system:authenticated"}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: everyone-nothing}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: nothing}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: Group, name: "system:authenticated"}]
"#;
    let loaded = load_str(text, "public.yaml", &LoadOptions::default());
    let a = rbac::analyze(&loaded.objects);
    assert!(a.warnings.is_empty(), "{:?}", a.warnings);
    let public: Vec<_> = a
        .findings
        .iter()
        .filter(|f| f.rule_id == "rbac:public-binding")
        .collect();
    let anon = public
        .iter()
        .find(|f| f.subject.starts_with("User system:anonymous"))
        .expect("binding to system:anonymous reported");
    assert_eq!(anon.severity, rampart_core::Severity::Critical);
    assert!(
        format!("{anon:?}").contains("anon-secrets"),
        "names the binding: {anon:?}"
    );
    let all = public
        .iter()
        .filter(|f| f.subject.starts_with("Group system:authenticated"))
        .collect::<Vec<_>>();
    assert_eq!(
        all.len(),
        1,
        "only the binding that grants something: {all:?}"
    );
    assert_eq!(all[0].severity, rampart_core::Severity::High);
    assert!(format!("{:?}", all[0]).contains("everyone-config"));
    // who-can answers with the public subjects themselves.
    assert!(
        who(&loaded.objects, "get", "secrets", Some("web"), None)
            .contains(&Subject::User("system:anonymous".into()))
    );
    assert!(
        who(&loaded.objects, "get", "configmaps", Some("web"), None)
            .contains(&Subject::Group("system:authenticated".into()))
    );
}

#[test]
fn system_masters_bindings_are_reported_except_the_bootstrap_one() {
    let y = "apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: cluster-admin}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
subjects: [{kind: Group, name: system:masters, apiGroup: rbac.authorization.k8s.io}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: ops, namespace: prod}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
subjects: [{kind: Group, name: system:masters, apiGroup: rbac.authorization.k8s.io}]
";
    let objs = load_str(y, "m.yaml", &LoadOptions::default()).objects;
    let hits: Vec<String> = rbac::analyze(&objs)
        .findings
        .into_iter()
        .filter(|f| f.rule_id == "rbac:system-masters")
        .map(|f| f.subject)
        .collect();
    assert_eq!(
        hits,
        vec!["Group system:masters via RoleBinding prod/ops".to_string()]
    );
}

#[test]
fn k8s_scan_runs_the_rbac_checks_with_binding_locations_and_suppressions() {
    let mut opts = rampart_kube::ScanOptions {
        rbac: true,
        ..rampart_kube::ScanOptions::default()
    };
    let (findings, _) = rampart_kube::scan(&objects(), &opts);
    let secrets = findings
        .iter()
        .find(|f| f.rule_id == "rbac:read-secrets")
        .expect("rbac findings in the scan");
    let loc = secrets.evidence[0].location.as_ref().expect("location");
    assert!(loc.path.ends_with("bindings.yaml"), "{loc:?}");
    assert!(loc.line.is_some_and(|l| l > 0));
    // Every rbac finding is among the evaluated (check, subject) pairs.
    let pairs = rampart_kube::scan::evaluated(&objects(), &opts);
    for f in findings.iter().filter(|f| f.rule_id.starts_with("rbac:")) {
        assert!(
            pairs
                .binary_search(&(f.rule_id.clone(), f.subject.clone()))
                .is_ok(),
            "{} {} not evaluated",
            f.rule_id,
            f.subject
        );
    }
    // Off by default (`rampart rbac analyze` runs them on its own).
    opts.rbac = false;
    let (findings, _) = rampart_kube::scan(&objects(), &opts);
    assert!(!findings.iter().any(|f| f.rule_id.starts_with("rbac:")));

    // The binding's annotation suppresses its findings.
    let y = "apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: ops-admin
  annotations: {rampart.dev/ignore: rbac:cluster-admin-binding, rampart.dev/ignore-reason: break-glass}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
subjects: [{kind: User, name: alice, apiGroup: rbac.authorization.k8s.io}]
";
    let objs = load_str(y, "b.yaml", &LoadOptions::default()).objects;
    opts.rbac = true;
    let (findings, _) = rampart_kube::scan(&objs, &opts);
    let f = findings
        .iter()
        .find(|f| f.rule_id == "rbac:cluster-admin-binding")
        .expect("finding kept");
    assert!(f.is_suppressed());
}
