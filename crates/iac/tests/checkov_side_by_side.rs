//! Every finding Checkov reported on the corpus (recorded in `checkov_expected.json`) is covered by a Rampart
//! finding of the mapped check on the same resource — or on the resource it configures (an ACL or policy
//! resource configures its bucket).

use rampart_iac::{Options, scan_dir};
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

#[test]
fn rampart_covers_every_checkov_finding_on_the_corpus() {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/checkov_expected.json"),
    )
    .expect("expectation file");
    let expected: Vec<Expected> = serde_json::from_str(&text).expect("valid expectation JSON");
    let report = scan_dir(corpus(), &Options::default());
    // (rule, file, subject) of every Rampart finding, plus Dockerfile (rule, file, line).
    let mut found: HashSet<(String, String, String)> = HashSet::new();
    let mut lines: Vec<(String, String, u32, u32)> = Vec::new();
    for f in &report.findings {
        for e in &f.evidence {
            if let Some(loc) = &e.location {
                found.insert((f.rule_id.clone(), loc.path.clone(), f.subject.clone()));
                let l = loc.line.unwrap_or(0);
                lines.push((
                    f.rule_id.clone(),
                    loc.path.clone(),
                    l,
                    loc.end_line.unwrap_or(l),
                ));
            }
        }
    }
    let resources = rampart_iac::ResourceSet::new(report.resources.clone());
    let mut missing = Vec::new();
    let (mut covered_count, mut skipped) = (0, 0);
    for e in &expected {
        let documented = rampart_iac::checkov::NOT_COVERED
            .iter()
            .chain(rampart_iac::checkov::DISAGREEMENTS);
        if documented.clone().any(|(c, _)| *c == e.check_id) {
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
            "dockerfile" => lines.iter().any(|(r, p, s, end)| {
                rules.contains(&r.as_str())
                    && *p == e.file
                    && *s <= e.lines[1]
                    && *end >= e.lines[0]
            }),
            _ => {
                let address = match e.framework.as_str() {
                    "cloudformation" => e.resource.rsplit('.').next().unwrap_or("").to_string(),
                    _ if e.resource.starts_with("aws_iam_policy_document.") => {
                        format!("data.{}", e.resource)
                    }
                    _ => e.resource.clone(),
                };
                let mut subjects = vec![address.clone()];
                for r in resources
                    .all()
                    .iter()
                    .filter(|r| r.address == address && r.source.file == e.file)
                {
                    for tok in r.references.values() {
                        if let Some(t) = resources.resolve_ref(r, tok) {
                            subjects.push(t.address.clone());
                        }
                    }
                }
                subjects.push(format!("{address}/PublicAccessBlock"));
                rules.iter().any(|rule| {
                    subjects
                        .iter()
                        .any(|s| found.iter().any(|(fr, _, fs)| fr == rule && fs == s))
                })
            }
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
    eprintln!(
        "{covered_count} of {} Checkov findings covered, {skipped} documented as not applicable",
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
