//! A user policy directory in Gatekeeper or kubescape form, scanned into findings; policy errors name
//! the file and line.

use rampart_core::finding::FindingKind;
use rampart_posture::policy_dir::UserPolicies;
use rampart_posture::{Catalogue, Document, Limits, PolicyError};
use serde_json::json;
use std::path::Path;

const TEMPLATE: &str = r#"apiVersion: templates.gatekeeper.sh/v1
kind: ConstraintTemplate
metadata:
  name: k8srequiredowner
  annotations:
    metadata.gatekeeper.sh/title: "Required owner label"
spec:
  crd:
    spec:
      names:
        kind: K8sRequiredOwner
  targets:
    - target: admission.k8s.gatekeeper.sh
      rego: |
        package k8srequiredowner

        violation[{"msg": msg}] {
          not input.review.object.metadata.labels.owner
          msg := sprintf("%v has no owner label", [input.review.object.metadata.name])
        }
"#;

const CONSTRAINT: &str = r#"apiVersion: constraints.gatekeeper.sh/v1beta1
kind: K8sRequiredOwner
metadata:
  name: pods-need-owner
spec:
  match:
    kinds: [{apiGroups: [""], kinds: ["Pod"]}]
    excludedNamespaces: ["kube-*"]
"#;

const RULE: &str = r#"package armo_builtins
import rego.v1

deny contains msga if {
	pod := input[_]
	pod.kind == "Pod"
	pod.spec.hostNetwork == true
	msga := {"alertMessage": sprintf("pod %v uses the host network", [pod.metadata.name]),
		"alertObject": {"k8sApiObjects": [pod]}}
}
"#;

fn write(dir: &Path, rel: &str, text: &str) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
    std::fs::write(p, text).expect("write");
}

fn pod(name: &str, ns: &str, labels: serde_json::Value, host_network: bool) -> Document {
    let value = json!({"apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": ns, "labels": labels},
        "spec": {"hostNetwork": host_network, "containers": [{"name": "c", "image": "nginx"}]}});
    Document::from_k8s(
        value,
        Some(rampart_core::Location::with_lines("pods.yaml", 1, 9)),
    )
}

#[test]
fn policy_directory_with_templates_and_rules_yields_findings() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "gatekeeper/template.yaml", TEMPLATE);
    write(dir.path(), "gatekeeper/constraint.yaml", CONSTRAINT);
    write(dir.path(), "rules/host-network/raw.rego", RULE);
    write(
        dir.path(),
        "rules/host-network/rule.metadata.json",
        r#"{"name": "host-network", "match": [{"apiGroups": [""], "apiVersions": ["v1"], "resources": ["Pod"]}], "ruleQuery": "armo_builtins"}"#,
    );
    let mut policies = UserPolicies::load(dir.path(), Limits::default()).expect("load");
    assert_eq!(policies.gatekeeper.templates.len(), 1);
    assert_eq!(policies.rules.len(), 1);
    let docs = [
        pod("good", "prod", json!({"owner": "me"}), false),
        pod("anon", "prod", json!({}), true),
        pod("system", "kube-system", json!({}), false),
    ];
    let (violations, evaluated) = policies.scan(&docs).expect("scan");
    assert_eq!(evaluated.len(), 2);
    let mut catalogue = Catalogue::new();
    for m in policies.check_metas() {
        catalogue.register_policy(m);
    }
    let findings = catalogue.findings("manifests", &violations);
    let mut got: Vec<(String, String)> = findings
        .iter()
        .map(|f| (f.rule_id.clone(), f.subject.clone()))
        .collect();
    got.sort();
    assert_eq!(
        got,
        [
            (
                "gatekeeper:k8srequiredowner/pods-need-owner".to_string(),
                "Pod/prod/anon".to_string()
            ),
            ("rego:host-network".to_string(), "Pod/prod/anon".to_string()),
        ]
    );
    let gk = findings
        .iter()
        .find(|f| f.rule_id.starts_with("gatekeeper:"))
        .expect("gatekeeper finding");
    assert_eq!(gk.kind, FindingKind::Misconfiguration);
    assert_eq!(gk.title, "Required owner label");
    assert_eq!(gk.evidence[0].detail, "anon has no owner label");
    assert_eq!(
        gk.evidence[0].location.as_ref().map(|l| l.path.as_str()),
        Some("pods.yaml")
    );
}

#[test]
fn template_with_rego_syntax_error_names_yaml_file_and_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let broken = TEMPLATE.replace("msg := sprintf", "msg := := sprintf");
    write(dir.path(), "template.yaml", &broken);
    let err = UserPolicies::load(dir.path(), Limits::default()).expect_err("must not compile");
    let PolicyError::Compile { path, line, .. } = &err else {
        panic!("unexpected error {err}");
    };
    assert!(path.ends_with("template.yaml"), "{err}");
    // `msg := := sprintf(...)` is on line 19 of the YAML file.
    assert_eq!(*line, 19, "{err}");
    assert!(err.to_string().contains("template.yaml:19"), "{err}");
}

#[test]
fn constraint_without_template_is_an_error_naming_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "constraint.yaml", CONSTRAINT);
    let err = UserPolicies::load(dir.path(), Limits::default()).expect_err("no template");
    assert!(err.to_string().contains("constraint.yaml"), "{err}");
}
