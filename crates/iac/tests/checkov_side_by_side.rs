//! Every finding Checkov reported on the corpus is covered by a Rampart finding of the mapped check on the
//! same resource in the same file — or on the resource it configures (an ACL or policy resource configures
//! its bucket) — unless `rampart_iac::checkov` documents it as a disagreement or a gap.
//!
//! The expectations are Checkov's failed checks, recorded from real runs of Checkov 3.3.30 (`framework`,
//! `check_id`, `resource`, `file` relative to the corpus, `lines`):
//!
//! - `checkov_expected.json`: `checkov -d crates/iac/tests/corpus --skip-download -o json --quiet
//!   --framework terraform cloudformation dockerfile`;
//! - `checkov_expected_kubernetes.json`: the same with `--framework kubernetes` (Checkov prints the
//!   Kubernetes paths from the working directory; the `crates/iac/tests/corpus/` prefix is stripped).
//!
//! Rampart's side is `scan_dir` on the whole corpus, which is what `rampart iac` runs: Kubernetes YAML
//! goes through the KSPM checks (`pss:*`, `k8s:*`, `rbac:*`).

use rampart_iac::{IacReport, Options, ResourceSet, scan_dir};
use std::collections::HashSet;
use std::path::Path;

#[derive(serde::Deserialize)]
struct Expected {
    framework: String,
    check_id: String,
    resource: String,
    file: String,
    lines: Vec<u32>,
}

fn corpus() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/corpus"))
}

fn expected(name: &str) -> Vec<Expected> {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests")
            .join(name),
    )
    .expect("expectation file");
    serde_json::from_str(&text).expect("valid expectation JSON")
}

/// One Rampart finding as the matcher sees it.
struct Seen {
    rule: String,
    subject: String,
    /// (file, first line, last line) of every located evidence.
    places: Vec<(String, u32, u32)>,
    details: Vec<String>,
}

impl Seen {
    fn in_file(&self, file: &str) -> bool {
        self.places.iter().any(|(p, _, _)| p == file)
    }
}

fn seen(report: &IacReport) -> Vec<Seen> {
    report
        .findings
        .iter()
        .map(|f| Seen {
            rule: f.rule_id.clone(),
            subject: f.subject.clone(),
            places: f
                .evidence
                .iter()
                .filter_map(|e| e.location.as_ref())
                .map(|l| {
                    let start = l.line.unwrap_or(0);
                    (l.path.clone(), start, l.end_line.unwrap_or(start))
                })
                .collect(),
            details: f.evidence.iter().map(|e| e.detail.clone()).collect(),
        })
        .collect()
}

/// Terraform and CloudFormation: the (address, file) pairs whose findings cover a Checkov finding on
/// `e`: the resource itself, the resources it references (where they are declared), and a
/// CloudFormation bucket's public access block.
fn aws_subjects(e: &Expected, resources: &ResourceSet) -> Vec<(String, String)> {
    let address = match e.framework.as_str() {
        "cloudformation" => e.resource.rsplit('.').next().unwrap_or("").to_string(),
        _ if e.resource.starts_with("aws_iam_policy_document.") => format!("data.{}", e.resource),
        _ => e.resource.clone(),
    };
    let mut subjects = vec![(address.clone(), e.file.clone())];
    for r in resources
        .all()
        .iter()
        .filter(|r| r.address == address && r.source.file == e.file)
    {
        for tok in r.references.values() {
            if let Some(t) = resources.resolve_ref(r, tok) {
                subjects.push((t.address.clone(), t.source.file.clone()));
            }
        }
    }
    subjects.push((format!("{address}/PublicAccessBlock"), e.file.clone()));
    subjects
}

/// Kubernetes: whether a Rampart finding covers Checkov's finding on `e` (`Kind.namespace.name`, the
/// namespace `default` when the manifest has none). Workloads and other namespaced objects are
/// `Kind/namespace/name` (or `Kind/name` without a namespace) in the same file; a Role or ClusterRole is
/// covered by an `rbac:*` finding on a grant of it, a binding by an `rbac:*` finding on that binding,
/// both in the same file; a `default` ServiceAccount by a `k8s:default-service-account` finding on a
/// workload of its namespace that runs as it.
fn kubernetes_covered(e: &Expected, rules: &[&str], seen: &[Seen]) -> bool {
    let mut parts = e.resource.splitn(3, '.');
    let (kind, ns, name) = match (parts.next(), parts.next(), parts.next()) {
        (Some(k), Some(n), Some(m)) => (k, n, m),
        _ => return false,
    };
    let direct = [format!("{kind}/{ns}/{name}"), format!("{kind}/{name}")];
    let role = match kind {
        "ClusterRole" => Some(format!("→ ClusterRole {name}")),
        "Role" => Some(format!("→ Role {ns}/{name}")),
        _ => None,
    };
    let binding = match kind {
        "ClusterRoleBinding" => Some(format!(" via ClusterRoleBinding {name}")),
        "RoleBinding" => Some(format!(" via RoleBinding {ns}/{name}")),
        _ => None,
    };
    seen.iter()
        .filter(|s| rules.contains(&s.rule.as_str()))
        .any(|s| {
            if kind == "ServiceAccount"
                && name == "default"
                && s.rule == "k8s:default-service-account"
            {
                let mut p = s.subject.split('/');
                return p.nth(1) == Some(ns) && p.next().is_some();
            }
            s.in_file(&e.file)
                && (direct.contains(&s.subject)
                    || role
                        .as_ref()
                        .is_some_and(|r| s.details.iter().any(|d| d.ends_with(r.as_str())))
                    || binding
                        .as_ref()
                        .is_some_and(|b| s.subject.ends_with(b.as_str())))
        })
}

/// Checks every expectation; returns (covered, documented exceptions, missing descriptions).
fn coverage(expected: &[Expected], report: &IacReport) -> (usize, usize, Vec<String>) {
    let seen = seen(report);
    let found: HashSet<(&str, &str, &str)> = seen
        .iter()
        .flat_map(|s| {
            s.places
                .iter()
                .map(|(p, _, _)| (s.rule.as_str(), p.as_str(), s.subject.as_str()))
        })
        .collect();
    let resources = ResourceSet::new(report.resources.clone());
    let mut missing = Vec::new();
    let (mut covered_count, mut skipped) = (0, 0);
    for e in expected {
        if rampart_iac::checkov::exception(&e.check_id, &e.resource).is_some() {
            skipped += 1;
            continue;
        }
        let Some(rules) = rampart_iac::checkov::rampart_for(&e.check_id) else {
            missing.push(format!(
                "{} {} {}: no mapping",
                e.check_id, e.file, e.resource
            ));
            continue;
        };
        let covered = match e.framework.as_str() {
            "dockerfile" => seen.iter().any(|s| {
                rules.contains(&s.rule.as_str())
                    && s.places
                        .iter()
                        .any(|(p, a, b)| *p == e.file && *a <= e.lines[1] && *b >= e.lines[0])
            }),
            "kubernetes" => kubernetes_covered(e, rules, &seen),
            _ => aws_subjects(e, &resources).iter().any(|(subject, file)| {
                rules
                    .iter()
                    .any(|rule| found.contains(&(*rule, file.as_str(), subject.as_str())))
            }),
        };
        if covered {
            covered_count += 1;
        } else {
            missing.push(format!(
                "{} ({}) {} {}",
                e.check_id,
                rules.join("/"),
                e.file,
                e.resource
            ));
        }
    }
    (covered_count, skipped, missing)
}

fn assert_covered(name: &str) {
    let expected = expected(name);
    assert!(!expected.is_empty(), "{name} is empty");
    let report = scan_dir(corpus(), &Options::default());
    let (covered, skipped, missing) = coverage(&expected, &report);
    eprintln!(
        "{name}: {covered} of {} Checkov findings covered, {skipped} documented as disagreements or gaps",
        expected.len()
    );
    assert!(
        missing.is_empty(),
        "{} of {} Checkov findings not covered:\n{}",
        missing.len(),
        expected.len(),
        missing.join("\n")
    );
}

#[test]
fn rampart_covers_every_checkov_finding_on_the_corpus() {
    assert_covered("checkov_expected.json");
}

#[test]
fn rampart_covers_every_checkov_kubernetes_finding_on_the_corpus() {
    assert_covered("checkov_expected_kubernetes.json");
}

#[test]
fn every_documented_kubernetes_exception_is_still_needed() {
    // An exception that no longer hides a miss (Checkov stopped reporting it, or Rampart now covers it)
    // should be removed, so the documented list stays the real list.
    let expected = expected("checkov_expected_kubernetes.json");
    let report = scan_dir(corpus(), &Options::default());
    let seen = seen(&report);
    for (id, resource, _) in rampart_iac::checkov::FINDING_DISAGREEMENTS
        .iter()
        .chain(rampart_iac::checkov::GAPS)
        .filter(|(id, _, _)| id.starts_with("CKV_K8S") || id.starts_with("CKV2_K8S"))
    {
        let hits: Vec<&Expected> = expected
            .iter()
            .filter(|e| e.check_id == *id && (*resource == "*" || e.resource == *resource))
            .collect();
        assert!(
            !hits.is_empty(),
            "{id} {resource}: Checkov no longer reports it"
        );
        if let Some(rules) = rampart_iac::checkov::rampart_for(id) {
            for e in hits {
                assert!(
                    !kubernetes_covered(e, rules, &seen),
                    "{id} {}: now covered by Rampart; drop the exception",
                    e.resource
                );
            }
        }
    }
}

#[test]
fn matching_needs_the_same_file() {
    // The same address in two roots: a finding in one file must not cover Checkov's finding in the other.
    let report = scan_dir(corpus(), &Options::default());
    let probe = Expected {
        framework: "terraform".into(),
        check_id: "CKV_AWS_7".into(),
        resource: "aws_kms_key.data".into(),
        file: "terraform/nowhere/main.tf".into(),
        lines: vec![1, 1],
    };
    let (covered, _, missing) = coverage(&[probe], &report);
    assert_eq!((covered, missing.len()), (0, 1), "{missing:?}");
    let probe = Expected {
        framework: "kubernetes".into(),
        check_id: "CKV_K8S_16".into(),
        resource: "Pod.default.debug-shell".into(),
        file: "kubernetes/shop/cart.yaml".into(),
        lines: vec![1, 1],
    };
    let (covered, _, missing) = coverage(&[probe], &report);
    assert_eq!((covered, missing.len()), (0, 1), "{missing:?}");
}
