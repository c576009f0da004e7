//! End-to-end behaviour on a realistic manifest set (`tests/data/shop`): loading, findings with
//! controls, exposure facts, suppressions and the compliance summary.

use rampart_core::ControlStatus;
use rampart_core::Finding;
use rampart_kube::{
    ExposureKind, Framework, Level, LoadOptions, PolicyVersion, ScanOptions, SuppressionFile,
    compliance, exposures, load_path, load_reader, scan,
};
use std::path::Path;

fn shop() -> rampart_kube::Loaded {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/shop");
    load_path(&dir, &LoadOptions::default()).expect("shop manifests load")
}

fn options() -> ScanOptions {
    ScanOptions {
        asset: "tests/data/shop".into(),
        today: Some((2026, 6, 1)),
        ..ScanOptions::default()
    }
}

fn rules_on<'a>(findings: &'a [Finding], subject: &str) -> Vec<&'a str> {
    let mut v: Vec<&str> = findings
        .iter()
        .filter(|f| f.subject == subject && !f.is_suppressed())
        .map(|f| f.rule_id.as_str())
        .collect();
    v.sort();
    v
}

#[test]
fn loads_every_document_and_notes_custom_resources() {
    let l = shop();
    assert!(l.warnings.is_empty(), "{:?}", l.warnings);
    assert_eq!(l.objects.len(), 11);
    assert!(l.notes.iter().any(|n| n.message.contains("Widget/shop/w1")));
    let web = l
        .objects
        .iter()
        .find(|o| o.address() == "Deployment/shop/web")
        .expect("web");
    assert!(web.source.path.ends_with("web.yaml"));
    assert_eq!((web.source.first_line, web.source.last_line), (1, 20));
}

#[test]
fn hardened_workload_has_no_findings() {
    let l = shop();
    let (findings, _) = scan(&l.objects, &options());
    assert_eq!(
        rules_on(&findings, "Deployment/shop/api"),
        Vec::<&str>::new()
    );
}

#[test]
fn insecure_workload_findings_name_pss_checks_and_controls() {
    let l = shop();
    let (findings, warnings) = scan(&l.objects, &options());
    assert!(warnings.is_empty());
    let web = rules_on(&findings, "Deployment/shop/web");
    for expected in [
        "pss:privileged",
        "pss:hostPorts",
        "pss:runAsNonRoot",
        "pss:allowPrivilegeEscalation",
        "pss:seccompProfile_restricted",
        "pss:capabilities_restricted",
        "k8s:image-tag-unpinned",
        "k8s:resource-limits",
        "k8s:resource-requests",
        "k8s:liveness-probe-missing",
        "k8s:readiness-probe-missing",
        "k8s:readonly-root-filesystem",
        "k8s:automount-service-account-token",
        "k8s:host-port",
        "k8s:net-raw-capability",
    ] {
        assert!(web.contains(&expected), "missing {expected} in {web:?}");
    }
    let privileged = findings
        .iter()
        .find(|f| f.rule_id == "pss:privileged")
        .expect("privileged finding");
    let controls: Vec<(&str, &str)> = privileged
        .controls
        .iter()
        .map(|c| (c.framework.as_str(), c.id.as_str()))
        .collect();
    assert!(controls.contains(&("pss-baseline", "privileged")));
    assert!(controls.contains(&("pss-restricted", "privileged")));
    assert!(controls.contains(&("cis-kubernetes", "5.2.2")));
    let ev = &privileged.evidence[0];
    assert!(
        ev.detail
            .contains("container \"nginx\" must not set securityContext.privileged=true")
    );
    assert_eq!(ev.location.as_ref().and_then(|l| l.line), Some(1));
    // A restricted-only failure carries only the restricted control.
    let ape = findings
        .iter()
        .find(|f| f.rule_id == "pss:allowPrivilegeEscalation")
        .expect("allowPrivilegeEscalation");
    assert!(ape.controls.iter().all(|c| c.framework != "pss-baseline"));
}

#[test]
fn exposure_and_network_policy_coverage() {
    let l = shop();
    let (findings, _) = scan(&l.objects, &options());
    assert_eq!(
        rules_on(&findings, "Service/shop/web"),
        vec!["k8s:service-loadbalancer"]
    );
    assert_eq!(
        rules_on(&findings, "Ingress/shop/web"),
        vec!["k8s:ingress-exposed", "k8s:ingress-without-tls"]
    );
    let np = findings
        .iter()
        .find(|f| f.rule_id == "k8s:networkpolicy-missing" && f.subject == "Namespace/shop")
        .expect("coverage finding");
    let uncovered: Vec<&str> = np.evidence.iter().map(|e| e.detail.as_str()).collect();
    assert_eq!(
        uncovered,
        vec!["CronJob/shop/report", "Deployment/shop/web"]
    );

    let ex = exposures(&l.objects);
    let lb = ex
        .iter()
        .find(|e| e.kind == ExposureKind::LoadBalancer)
        .expect("load balancer");
    assert_eq!(lb.workloads, vec!["Deployment/shop/web".to_string()]);
    let ing = ex
        .iter()
        .find(|e| e.kind == ExposureKind::Ingress)
        .expect("ingress");
    assert_eq!(ing.hosts, vec!["shop.example.com".to_string()]);
    assert_eq!(ing.backends, vec!["Service/shop/web".to_string()]);
    assert_eq!(ing.workloads, vec!["Deployment/shop/web".to_string()]);
    assert!(ex.iter().any(
        |e| e.kind == ExposureKind::HostNetwork && e.resource == "DaemonSet/default/node-agent"
    ));
}

#[test]
fn host_level_daemonset_findings() {
    let l = shop();
    let (findings, _) = scan(&l.objects, &options());
    let agent = rules_on(&findings, "DaemonSet/default/node-agent");
    for expected in [
        "pss:hostNamespaces",
        "pss:hostPathVolumes",
        "k8s:container-runtime-socket",
        "k8s:default-namespace",
    ] {
        assert!(agent.contains(&expected), "missing {expected} in {agent:?}");
    }
    // restrictedVolumes replaces hostPathVolumes at restricted: the finding names both levels' checks.
    assert!(agent.contains(&"pss:restrictedVolumes"));
}

#[test]
fn annotation_suppresses_listed_rules_only() {
    let l = shop();
    let (findings, _) = scan(&l.objects, &options());
    let limits = findings
        .iter()
        .find(|f| f.rule_id == "k8s:resource-limits" && f.subject == "CronJob/shop/report")
        .expect("kept when suppressed");
    let s = limits.suppressed.as_ref().expect("suppressed");
    assert_eq!(s.justification, "short batch job, sized by LimitRange");
    let report = rules_on(&findings, "CronJob/shop/report");
    assert!(report.contains(&"k8s:secret-in-env"));
    assert!(
        !report.contains(&"k8s:liveness-probe-missing"),
        "jobs need no probes"
    );
    let secret = findings
        .iter()
        .find(|f| f.rule_id == "k8s:secret-in-env")
        .expect("secret");
    assert_eq!(secret.evidence.len(), 2);
    assert!(
        secret
            .evidence
            .iter()
            .all(|e| !e.detail.contains("s3cr3t-Passw0rd"))
    );
}

#[test]
fn suppression_file_with_glob_and_expiry() {
    let l = shop();
    let file = SuppressionFile::parse(
        "ignore:\n\
         - id: k8s:default-namespace\n  resource: DaemonSet/default/*\n  reason: legacy\n\
         - id: k8s:host-port\n  expires: 2026-01-01\n",
        "rampart-ignore.yaml",
    )
    .expect("valid file");
    let opts = ScanOptions {
        suppressions: vec![file],
        ..options()
    };
    let (findings, warnings) = scan(&l.objects, &opts);
    let agent = rules_on(&findings, "DaemonSet/default/node-agent");
    assert!(!agent.contains(&"k8s:default-namespace"));
    assert!(rules_on(&findings, "Deployment/shop/web").contains(&"k8s:host-port"));
    assert_eq!(warnings.len(), 1);
    assert!(warnings[0].message.contains("expired"));
}

#[test]
fn compliance_summaries_per_level() {
    let l = shop();
    let (findings, _) = scan(&l.objects, &options());
    let base = compliance(
        &l.objects,
        &findings,
        Framework::PssBaseline,
        PolicyVersion::LATEST,
    );
    assert!(base.any_failed());
    let failed: Vec<&str> = base
        .controls
        .iter()
        .filter(|c| c.status == ControlStatus::Failed)
        .map(|c| c.id.as_str())
        .collect();
    assert_eq!(
        failed,
        vec![
            "hostNamespaces",
            "privileged",
            "hostPathVolumes",
            "hostPorts"
        ]
    );
    assert_eq!(
        base.passed + base.failed + base.not_applicable,
        base.controls.len()
    );
    assert_eq!(base.version.as_deref(), Some("v1.37 (4 workloads)"));
    let restricted = compliance(
        &l.objects,
        &findings,
        Framework::PssRestricted,
        PolicyVersion::new(22),
    );
    let na: Vec<&str> = restricted
        .controls
        .iter()
        .filter(|c| c.status == ControlStatus::NotApplicable)
        .map(|c| c.id.as_str())
        .collect();
    assert!(
        na.contains(&"runAsUser"),
        "runAsUser starts at 1.23: {na:?}"
    );
    assert!(restricted.score < 100.0);
    assert_eq!(
        "pss-restricted".parse::<Framework>().map(|f| f.level()),
        Ok(Level::Restricted)
    );
}

#[test]
fn helm_output_from_a_reader() {
    let helm = "---\n# Source: app/templates/deploy.yaml\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\nspec:\n  template:\n    spec:\n      containers:\n      - name: app\n        image: app\n---\n# Source: app/templates/svc.yaml\napiVersion: v1\nkind: Service\nmetadata:\n  name: app\nspec:\n  type: NodePort\n  selector: {app: app}\n  ports: [{port: 80, nodePort: 30080}]\n";
    let l = load_reader(helm.as_bytes(), "-", &LoadOptions::default()).expect("reader");
    assert_eq!(l.objects.len(), 2);
    assert_eq!(l.objects[0].source.path, "-");
    assert_eq!(
        l.objects[0].source.template.as_deref(),
        Some("app/templates/deploy.yaml")
    );
    let (findings, _) = scan(&l.objects, &ScanOptions::default());
    let np = findings
        .iter()
        .find(|f| f.rule_id == "k8s:service-nodeport")
        .expect("node port");
    assert!(np.evidence[0].detail.contains("ports 30080"));
}

#[test]
fn cluster_snapshot_directory_of_json_lists() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pods = r#"{"apiVersion":"v1","kind":"List","metadata":{"resourceVersion":""},"items":[
  {"apiVersion":"v1","kind":"Pod","metadata":{"name":"a","namespace":"prod"},
   "spec":{"containers":[{"name":"c","image":"busybox:1.36","securityContext":{"privileged":true}}]}},
  {"apiVersion":"v1","kind":"Pod","metadata":{"name":"b","namespace":"prod"},
   "spec":{"containers":[{"name":"c","image":"busybox:1.36"}]}}]}"#;
    let deploys = r#"{"apiVersion":"apps/v1","kind":"DeploymentList","items":[
  {"metadata":{"name":"d","namespace":"prod"},"spec":{"template":{"spec":{"hostPID":true,"containers":[{"name":"x","image":"x:1"}]}}}}]}"#;
    std::fs::write(dir.path().join("pods.json"), pods).expect("write");
    std::fs::write(dir.path().join("deployments.json"), deploys).expect("write");
    let l = load_path(dir.path(), &LoadOptions::default()).expect("snapshot");
    assert_eq!(l.objects.len(), 3);
    assert_eq!(l.objects[0].kind, "Deployment");
    let opts = ScanOptions {
        pss_level: Some(Level::Baseline),
        version: "1.30".parse().expect("version"),
        builtin_checks: false,
        ..ScanOptions::default()
    };
    let (findings, _) = scan(&l.objects, &opts);
    let rules: Vec<(&str, &str)> = findings
        .iter()
        .map(|f| (f.rule_id.as_str(), f.subject.as_str()))
        .collect();
    assert_eq!(
        rules,
        vec![
            ("pss:hostNamespaces", "Deployment/prod/d"),
            ("pss:privileged", "Pod/prod/a")
        ]
    );
}

#[test]
fn list_items_get_their_own_lines() {
    let json = "{\n  \"apiVersion\": \"v1\",\n  \"kind\": \"List\",\n  \"items\": [\n    {\n      \"kind\": \"Pod\",\n      \"metadata\": {\"name\": \"a\"}\n    },\n    {\n      \"kind\": \"Pod\",\n      \"metadata\": {\"name\": \"b\"}\n    }\n  ]\n}\n";
    let l = rampart_kube::load_str(json, "pods.json", &LoadOptions::default());
    let lines: Vec<(u32, u32)> = l
        .objects
        .iter()
        .map(|o| (o.source.first_line, o.source.last_line))
        .collect();
    assert_eq!(lines, vec![(5, 8), (9, 12)]);
    let yaml = "apiVersion: v1\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata:\n    name: a\n- apiVersion: v1\n  kind: Pod\n  metadata:\n    name: b\nkind: List\nmetadata:\n  resourceVersion: \"\"\n";
    let l = rampart_kube::load_str(yaml, "pods.yaml", &LoadOptions::default());
    let lines: Vec<(u32, u32)> = l
        .objects
        .iter()
        .map(|o| (o.source.first_line, o.source.last_line))
        .collect();
    assert_eq!(lines, vec![(3, 6), (7, 10)]);
}
