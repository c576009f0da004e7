//! `rampart k8s` end to end: framework summaries (`pss-baseline`, `--k8s-version`, `nsa`,
//! `cis-kubernetes` with the RBAC checks), JUnit with passes and failures, and the wide table.

use serde_json::Value;
use std::io::Write as _;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

fn data(rel: &str) -> String {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../kube/tests/data"))
        .join(rel)
        .to_string_lossy()
        .into_owned()
}

fn rampart(args: &[&str], stdin: Option<&str>, env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rampart"));
    cmd.args(args)
        .env_remove("RAMPART_DB")
        .env_remove("COLUMNS")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("run rampart");
    let mut input = child.stdin.take().expect("stdin");
    if let Some(text) = stdin {
        input.write_all(text.as_bytes()).expect("write stdin");
    }
    drop(input);
    child.wait_with_output().expect("wait")
}

fn json(args: &[&str], stdin: Option<&str>) -> (Option<i32>, Value) {
    let out = rampart(args, stdin, &[]);
    let v = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code(), v)
}

/// Control id → (status, failing subjects) of the report's only compliance summary.
fn controls(report: &Value, framework: &str) -> Vec<(String, String, Vec<String>)> {
    let summary = report["compliance"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["framework"] == framework)
        .unwrap_or_else(|| panic!("no {framework} summary: {}", report["compliance"]));
    summary["controls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["id"].as_str().unwrap().to_string(),
                c["status"].as_str().unwrap().to_string(),
                c["failing"]
                    .as_array()
                    .map(|a| a.iter().map(|s| s.as_str().unwrap().to_string()).collect())
                    .unwrap_or_default(),
            )
        })
        .collect()
}

fn status_of(controls: &[(String, String, Vec<String>)], id: &str) -> String {
    controls
        .iter()
        .find(|c| c.0 == id)
        .unwrap_or_else(|| panic!("no control {id}"))
        .1
        .clone()
}

fn rules(report: &Value) -> Vec<String> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule_id"].as_str().unwrap().to_string())
        .collect()
}

/// Passes restricted up to 1.21; from 1.22 `capabilities_restricted` also wants `drop: [ALL]`.
const NO_DROP: &str = "apiVersion: v1
kind: Pod
metadata: {name: p, namespace: app}
spec:
  securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}
  containers:
  - name: a
    image: nginx:1.27
    securityContext: {allowPrivilegeEscalation: false}
";

#[test]
fn pss_baseline_summary_and_exit_code() {
    let shop = data("shop");
    let (code, r) = json(
        &[
            "k8s",
            &shop,
            "--framework",
            "pss-baseline",
            "-f",
            "json",
            "-q",
            "--exit-code",
            "3",
        ],
        None,
    );
    assert_eq!(code, Some(3), "a failed baseline control gives --exit-code");
    let c = controls(&r, "pss-baseline");
    assert_eq!(status_of(&c, "privileged"), "failed");
    assert_eq!(status_of(&c, "hostNamespaces"), "failed");
    // Baseline only: no restricted control in the summary, and no restricted finding.
    assert!(c.iter().all(|(id, _, _)| id != "runAsNonRoot"), "{c:?}");
    let rules = rules(&r);
    assert!(rules.iter().any(|r| r == "pss:privileged"), "{rules:?}");
    assert!(!rules.iter().any(|r| r == "pss:runAsNonRoot"), "{rules:?}");
    let summary = &r["compliance"][0];
    assert_eq!(
        summary["passed"].as_u64().unwrap()
            + summary["failed"].as_u64().unwrap()
            + summary["not_applicable"].as_u64().unwrap(),
        c.len() as u64
    );
}

#[test]
fn k8s_version_selects_the_policy_version() {
    let args = |v: &'static str| {
        vec![
            "k8s",
            "-",
            "--framework",
            "pss-restricted",
            "--k8s-version",
            v,
            "-f",
            "json",
            "-q",
        ]
    };
    let (_, old) = json(&args("1.21"), Some(NO_DROP));
    assert_eq!(old["compliance"][0]["failed"], 0, "{}", old["compliance"]);
    let c = controls(&old, "pss-restricted");
    assert_eq!(status_of(&c, "capabilities_restricted"), "not-applicable");
    assert_eq!(status_of(&c, "runAsNonRoot"), "passed");
    assert!(
        old["compliance"][0]["version"]
            .as_str()
            .unwrap()
            .starts_with("v1.21")
    );
    assert!(
        !rules(&old)
            .iter()
            .any(|r| r == "pss:capabilities_restricted")
    );

    let (_, new) = json(&args("1.22"), Some(NO_DROP));
    assert_eq!(new["compliance"][0]["failed"], 1, "{}", new["compliance"]);
    let c = controls(&new, "pss-restricted");
    assert_eq!(status_of(&c, "capabilities_restricted"), "failed");
    assert!(
        rules(&new)
            .iter()
            .any(|r| r == "pss:capabilities_restricted")
    );

    let bad = rampart(&["k8s", "-", "--k8s-version", "2.x"], Some(NO_DROP), &[]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--k8s-version"));
}

#[test]
fn nsa_summary() {
    let (_, r) = json(
        &[
            "k8s",
            &data("shop"),
            "--framework",
            "nsa",
            "-f",
            "json",
            "-q",
        ],
        None,
    );
    let summary = &r["compliance"][0];
    assert_eq!(summary["framework"], "nsa");
    let c = controls(&r, "nsa");
    assert_eq!(status_of(&c, "pod-privileged"), "failed");
    let priv_failing = &c.iter().find(|c| c.0 == "pod-privileged").unwrap().2;
    assert_eq!(priv_failing, &vec!["Deployment/shop/web".to_string()]);
    assert_eq!(status_of(&c, "network-exposure"), "failed");
    // No RBAC objects in the shop: the RBAC control is judged only on the default-SA workload check.
    assert_eq!(
        summary["failed"].as_u64().unwrap(),
        c.iter().filter(|c| c.1 == "failed").count() as u64
    );

    // A hardened workload in its own namespace passes the pod controls.
    let good = "apiVersion: v1
kind: Pod
metadata: {name: p, namespace: app}
spec:
  automountServiceAccountToken: false
  serviceAccountName: app
  securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}
  containers:
  - name: a
    image: nginx:1.27
    resources: {limits: {cpu: 100m, memory: 64Mi}, requests: {cpu: 100m, memory: 64Mi}}
    securityContext: {allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: {drop: [ALL]}}
";
    let (_, r) = json(
        &["k8s", "-", "--framework", "nsa", "-f", "json", "-q"],
        Some(good),
    );
    let c = controls(&r, "nsa");
    for id in [
        "pod-non-root",
        "pod-privileged",
        "pod-capabilities",
        "pod-sa-token",
        "resource-limits",
    ] {
        assert_eq!(status_of(&c, id), "passed", "{id}: {c:?}");
    }
    assert_eq!(status_of(&c, "network-policies"), "failed");
}

#[test]
fn cis_kubernetes_summary_runs_the_rbac_checks() {
    let (code, r) = json(
        &[
            "k8s",
            &data("rbac"),
            "--framework",
            "cis-kubernetes",
            "-f",
            "json",
            "-q",
            "--exit-code",
            "2",
        ],
        None,
    );
    assert_eq!(code, Some(2));
    let rules = rules(&r);
    for id in [
        "rbac:cluster-admin-binding",
        "rbac:read-secrets",
        "rbac:create-pods",
        "rbac:escalate-bind-impersonate",
        "k8s:default-service-account",
    ] {
        assert!(rules.iter().any(|r| r == id), "{id} missing: {rules:?}");
    }
    let c = controls(&r, "cis-kubernetes");
    for id in ["5.1.1", "5.1.2", "5.1.3", "5.1.4", "5.1.5", "5.1.8"] {
        assert_eq!(status_of(&c, id), "failed", "{id}: {c:?}");
    }
    // RBAC findings point at the binding's file and line.
    let rbac = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule_id"] == "rbac:read-secrets")
        .unwrap();
    let loc = &rbac["evidence"][0]["location"];
    assert!(
        loc["path"].as_str().unwrap().ends_with("bindings.yaml"),
        "{rbac}"
    );
    assert!(loc["line"].as_u64().unwrap() > 0, "{rbac}");

    // A narrow role, bound to a named group, on its own: the RBAC controls pass, the workload
    // ones are not applicable.
    let clean = "apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: reader, namespace: app}
rules:
- apiGroups: ['']
  resources: [configmaps]
  verbs: [get]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: reader, namespace: app}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: reader}
subjects:
- {kind: Group, name: readers, apiGroup: rbac.authorization.k8s.io}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: masters-admin}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
subjects:
- {kind: Group, name: system:masters, apiGroup: rbac.authorization.k8s.io}
";
    let (_, r) = json(
        &[
            "k8s",
            "-",
            "--framework",
            "cis-kubernetes",
            "-f",
            "json",
            "-q",
        ],
        Some(clean),
    );
    let c = controls(&r, "cis-kubernetes");
    for id in ["5.1.1", "5.1.2", "5.1.3", "5.1.4", "5.1.8", "5.1.13"] {
        assert_eq!(status_of(&c, id), "passed", "{id}: {c:?}");
    }
    assert_eq!(status_of(&c, "5.1.7"), "failed", "system:masters bound");
    assert_eq!(status_of(&c, "5.2.2"), "not-applicable");
}

#[test]
fn junit_lists_passes_and_failures() {
    let out = rampart(&["k8s", &data("shop"), "-f", "junit", "-q"], None, &[]);
    let xml = String::from_utf8_lossy(&out.stdout);
    let cases = xml.matches("<testcase ").count();
    let failures = xml.matches("<failure ").count();
    assert!(failures > 0, "{xml}");
    assert!(
        cases > failures + 50,
        "passes are listed: {cases} cases, {failures} failures"
    );
    let header = xml.lines().nth(1).unwrap();
    assert!(
        header.contains(&format!("tests=\"{cases}\""))
            && header.contains(&format!("failures=\"{failures}\"")),
        "{header}"
    );
    // One case per check × resource: the api Deployment passes the privileged and read-only root
    // checks, the web one fails both; the web Service is a load balancer, not a node port.
    let case = |suite: &str, name: &str| -> String {
        let start = xml
            .find(&format!("<testsuite name=\"{suite}\""))
            .unwrap_or_else(|| panic!("no suite {suite}"));
        let rest = &xml[start..];
        let rest = &rest[..rest.find("</testsuite>").unwrap()];
        let at = rest
            .find(&format!("name=\"{name}\""))
            .unwrap_or_else(|| panic!("no case {name} in {suite}"));
        let case = &rest[at..];
        // A passing case is `<testcase … />`, a failing one holds `<failure …>…</testcase>`.
        let end = [case.find("/>"), case.find("</testcase>")]
            .into_iter()
            .flatten()
            .min()
            .unwrap();
        case[..end].to_string()
    };
    assert!(!case("pss:privileged", "Deployment/shop/api").contains("<failure"));
    assert!(case("pss:privileged", "Deployment/shop/web").contains("<failure"));
    assert!(!case("k8s:readonly-root-filesystem", "Deployment/shop/api").contains("<failure"));
    assert!(case("k8s:readonly-root-filesystem", "Deployment/shop/web").contains("<failure"));
    assert!(case("k8s:service-loadbalancer", "Service/shop/web").contains("<failure"));
    assert!(!case("k8s:service-nodeport", "Service/shop/web").contains("<failure"));
}

#[test]
fn wide_table_shows_controls_and_the_compliance_table() {
    let out = rampart(
        &["k8s", &data("shop"), "--framework", "cis-kubernetes"],
        None,
        &[("COLUMNS", "120")],
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.lines().all(|l| l.chars().count() <= 120), "{text}");
    let header = text
        .lines()
        .find(|l| l.contains("Severity") && l.contains("Title"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(header.contains("Controls"), "{header}");
    assert!(text.contains("CIS 5.2.2"), "{text}");
    assert!(text.contains("T1611"), "{text}");
    assert!(
        text.contains("Compliance: CIS Kubernetes Benchmark"),
        "{text}"
    );
    let compliance = &text[text.find("Compliance:").unwrap()..];
    assert!(
        compliance.contains("Control") && compliance.contains("Status"),
        "{compliance}"
    );
    assert!(
        compliance.contains("5.2.2") && compliance.contains("FAIL"),
        "{compliance}"
    );

    // Narrow: no controls column.
    let out = rampart(
        &["k8s", &data("shop"), "--framework", "cis-kubernetes"],
        None,
        &[("COLUMNS", "80")],
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let header = text
        .lines()
        .find(|l| l.contains("Severity") && l.contains("Title"))
        .unwrap();
    assert!(!header.contains("Controls"), "{header}");
}
