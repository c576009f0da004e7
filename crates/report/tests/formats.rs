//! What each machine-readable format says about the sample report, beyond schema validity.

mod common;

use common::{TARGET, empty_report, render, render_json, sample_report};
use rampart_core::{Report, Severity};
use rampart_report::{Format, RenderOptions};
use serde_json::Value;
use std::collections::BTreeSet;

fn array<'a>(v: &'a Value, what: &str) -> &'a Vec<Value> {
    v.as_array()
        .unwrap_or_else(|| panic!("{what} is an array: {v}"))
}

#[test]
fn json_is_the_report_itself_and_keeps_suppressed_findings() {
    let report = sample_report();
    let text = render(&report, Format::Json, &RenderOptions::default());
    let back: Report = serde_json::from_str(&text).expect("JSON parses back into a Report");
    assert_eq!(back, report);
    let suppressed = back.findings.iter().find(|f| f.rule_id == "CVE-2024-22195");
    let reason = suppressed
        .and_then(|f| f.suppressed.as_ref())
        .map(|s| s.status.as_str());
    assert_eq!(reason, Some("not_affected"));
}

#[test]
fn json_drops_findings_below_min_severity_but_keeps_the_summary() {
    let report = sample_report();
    let opts = RenderOptions {
        min_severity: Severity::High,
        ..RenderOptions::default()
    };
    let back: Report =
        serde_json::from_str(&render(&report, Format::Json, &opts)).expect("JSON report");
    assert_eq!(back.findings.len(), 4);
    assert!(back.findings.iter().all(|f| f.severity >= Severity::High));
    assert_eq!(back.summary, report.summary, "summary is not recomputed");
    assert_eq!(back.packages, report.packages);
}

#[test]
fn sarif_has_one_rule_per_rule_id_and_results_for_shown_findings() {
    let sarif = render_json(&sample_report(), Format::Sarif);
    let run = &sarif["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "rampart");
    assert_eq!(run["tool"]["driver"]["version"], "0.1.0");
    let rules = array(&run["tool"]["driver"]["rules"], "rules");
    let results = array(&run["results"], "results");
    // 6 unsuppressed vulnerabilities + 1 misconfiguration; the suppressed one is left out.
    assert_eq!(results.len(), 7);
    assert_eq!(rules.len(), 7);
    assert!(results.iter().all(|r| r["ruleId"] != "CVE-2024-22195"));
    let log4j = rules
        .iter()
        .find(|r| r["id"] == "CVE-2021-44228")
        .expect("log4j rule");
    assert_eq!(log4j["properties"]["security-severity"], "10.0");
    assert_eq!(
        log4j["helpUri"],
        "https://nvd.nist.gov/vuln/detail/CVE-2021-44228"
    );
    for r in results {
        let index = r["ruleIndex"].as_u64().expect("ruleIndex") as usize;
        assert_eq!(rules[index]["id"], r["ruleId"]);
        assert!(
            r["partialFingerprints"]["rampart/v1"]
                .as_str()
                .is_some_and(|s| s.len() == 32)
        );
    }
}

#[test]
fn sarif_levels_messages_and_locations() {
    let sarif = render_json(&sample_report(), Format::Sarif);
    let results = array(&sarif["runs"][0]["results"], "results");
    let by_rule = |id: &str| {
        results
            .iter()
            .find(|r| r["ruleId"] == id)
            .unwrap_or_else(|| panic!("result for {id}"))
    };
    assert_eq!(by_rule("CVE-2021-44228")["level"], "error");
    assert_eq!(by_rule("CVE-2021-23337")["level"], "error");
    assert_eq!(by_rule("CVE-2024-0727")["level"], "warning");
    assert_eq!(by_rule("RUSTSEC-2021-0003")["level"], "note");
    let lodash = by_rule("CVE-2021-23337");
    let text = lodash["message"]["text"].as_str().unwrap_or("");
    assert!(text.contains("lodash") && text.contains("4.17.20") && text.contains("4.17.21"));
    let place = &lodash["locations"][0]["physicalLocation"];
    assert_eq!(place["artifactLocation"]["uri"], "app/package-lock.json");
    assert_eq!(place["artifactLocation"]["uriBaseId"], "ROOTPATH");
    assert_eq!(place["region"]["startLine"], 120);
    let openssl = &by_rule("CVE-2024-0727")["locations"][0]["physicalLocation"];
    assert_eq!(openssl["artifactLocation"]["uri"], "var/lib/dpkg/status");
    assert_eq!(
        openssl["region"]["startLine"], 1,
        "start line defaults to 1"
    );
    let misconfig = &by_rule("DS002")["locations"][0]["physicalLocation"];
    assert_eq!(misconfig["artifactLocation"]["uri"], "Dockerfile");
}

#[test]
fn sarif_for_an_empty_report_has_no_results() {
    let sarif = render_json(&empty_report(), Format::Sarif);
    assert_eq!(array(&sarif["runs"][0]["results"], "results").len(), 0);
}

#[test]
fn cyclonedx_lists_every_package_with_unique_bom_refs() {
    let bom = render_json(&sample_report(), Format::CycloneDx);
    assert_eq!(bom["specVersion"], "1.6");
    let components = array(&bom["components"], "components");
    // 7 packages + the operating system.
    assert_eq!(components.len(), 8);
    assert_eq!(components[0]["type"], "operating-system");
    assert_eq!(components[0]["name"], "debian");
    let refs: Vec<&str> = components
        .iter()
        .filter_map(|c| c["bom-ref"].as_str())
        .collect();
    let unique: BTreeSet<&str> = refs.iter().copied().collect();
    assert_eq!(unique.len(), refs.len(), "bom-refs are unique: {refs:?}");
    assert!(refs.contains(&"pkg:npm/lodash@4.17.20"));
    assert!(refs.contains(&"pkg:npm/lodash@4.17.20#2"));
    let lodash = components
        .iter()
        .find(|c| c["bom-ref"] == "pkg:npm/lodash@4.17.20")
        .expect("lodash component");
    assert_eq!(lodash["purl"], "pkg:npm/lodash@4.17.20");
    assert_eq!(lodash["licenses"][0]["license"]["name"], "MIT");
    let location = array(&lodash["properties"], "properties")
        .iter()
        .find(|p| p["name"] == "rampart:location")
        .expect("location property");
    assert_eq!(location["value"], "app/package-lock.json:120");
    assert_eq!(bom["metadata"]["component"]["name"], TARGET);
    assert_eq!(bom["metadata"]["component"]["type"], "container");
    assert_eq!(bom["metadata"]["tools"]["components"][0]["name"], "rampart");
}

#[test]
fn cyclonedx_vulnerabilities_rate_affect_and_recommend() {
    let bom = render_json(&sample_report(), Format::CycloneDx);
    let refs: BTreeSet<&str> = array(&bom["components"], "components")
        .iter()
        .filter_map(|c| c["bom-ref"].as_str())
        .collect();
    let vulns = array(&bom["vulnerabilities"], "vulnerabilities");
    assert_eq!(
        vulns.len(),
        7,
        "every vulnerability finding, suppressed included"
    );
    for v in vulns {
        let target = v["affects"][0]["ref"].as_str().unwrap_or("");
        assert!(
            refs.contains(target),
            "affects points at a component: {target}"
        );
    }
    let log4j = vulns
        .iter()
        .find(|v| v["id"] == "CVE-2021-44228")
        .expect("log4j");
    assert_eq!(log4j["ratings"][0]["method"], "CVSSv31");
    assert_eq!(log4j["ratings"][0]["score"], 10.0);
    assert_eq!(log4j["ratings"][0]["severity"], "critical");
    assert_eq!(
        log4j["recommendation"],
        "Upgrade org.apache.logging.log4j:log4j-core to 2.15.0"
    );
    assert_eq!(log4j["affects"][0]["versions"][0]["version"], "2.14.1");
    let xnet = vulns
        .iter()
        .find(|v| v["id"] == "CVE-2023-44487")
        .expect("x/net");
    assert_eq!(xnet["ratings"][0]["method"], "CVSSv4");
}

#[test]
fn cyclonedx_marks_suppressed_findings_not_affected() {
    let bom = render_json(&sample_report(), Format::CycloneDx);
    let vulns = array(&bom["vulnerabilities"], "vulnerabilities");
    let jinja = vulns
        .iter()
        .find(|v| v["id"] == "CVE-2024-22195")
        .expect("jinja");
    assert_eq!(jinja["analysis"]["state"], "not_affected");
    assert_eq!(jinja["analysis"]["justification"], "code_not_reachable");
    let others_analysed = vulns
        .iter()
        .filter(|v| v["id"] != "CVE-2024-22195")
        .any(|v| v.get("analysis").is_some());
    assert!(!others_analysed);
}

#[test]
fn cyclonedx_serial_number_is_stable_per_target_and_time() {
    let a = render_json(&sample_report(), Format::CycloneDx);
    let b = render_json(&sample_report(), Format::CycloneDx);
    assert_eq!(a["serialNumber"], b["serialNumber"]);
    let mut later = sample_report();
    later.created_at = "2026-11-27T12:00:00Z".into();
    let c = render_json(&later, Format::CycloneDx);
    assert_ne!(a["serialNumber"], c["serialNumber"]);
    assert_eq!(a["metadata"]["timestamp"], "2026-11-26T12:00:00Z");
}

#[test]
fn cyclonedx_honours_min_severity() {
    let opts = RenderOptions {
        min_severity: Severity::Critical,
        ..RenderOptions::default()
    };
    let text = render(&sample_report(), Format::CycloneDx, &opts);
    let bom: Value = serde_json::from_str(&text).expect("JSON");
    assert_eq!(array(&bom["vulnerabilities"], "vulnerabilities").len(), 1);
    assert_eq!(
        array(&bom["components"], "components").len(),
        8,
        "inventory is complete"
    );
}

#[test]
fn spdx_root_package_describes_and_contains_every_package() {
    let doc = render_json(&sample_report(), Format::Spdx);
    assert_eq!(doc["spdxVersion"], "SPDX-2.3");
    assert_eq!(doc["dataLicense"], "CC0-1.0");
    assert_eq!(doc["creationInfo"]["creators"][0], "Tool: rampart-0.1.0");
    assert_eq!(doc["creationInfo"]["created"], "2026-11-26T12:00:00Z");
    let packages = array(&doc["packages"], "packages");
    assert_eq!(packages.len(), 9, "root + OS + 7 packages");
    let ids: Vec<&str> = packages
        .iter()
        .filter_map(|p| p["SPDXID"].as_str())
        .collect();
    let unique: BTreeSet<&str> = ids.iter().copied().collect();
    assert_eq!(unique.len(), ids.len(), "SPDX ids are unique: {ids:?}");
    for id in &ids {
        let rest = id.strip_prefix("SPDXRef-").unwrap_or("");
        assert!(
            !rest.is_empty()
                && rest
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-'),
            "{id} matches ^SPDXRef-[A-Za-z0-9.-]+$"
        );
    }
    let relationships = array(&doc["relationships"], "relationships");
    let root = packages[0]["SPDXID"].as_str().unwrap_or("");
    assert_eq!(packages[0]["name"], TARGET);
    assert!(
        relationships
            .iter()
            .any(|r| r["spdxElementId"] == "SPDXRef-DOCUMENT"
                && r["relationshipType"] == "DESCRIBES"
                && r["relatedSpdxElement"] == root)
    );
    let contained: BTreeSet<&str> = relationships
        .iter()
        .filter(|r| r["spdxElementId"] == root && r["relationshipType"] == "CONTAINS")
        .filter_map(|r| r["relatedSpdxElement"].as_str())
        .collect();
    assert_eq!(contained.len(), 8);
    assert!(ids.iter().skip(1).all(|id| contained.contains(id)));
}

#[test]
fn spdx_packages_carry_purls_and_licences() {
    let doc = render_json(&sample_report(), Format::Spdx);
    let packages = array(&doc["packages"], "packages");
    let find = |name: &str| {
        packages
            .iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("package {name}"))
    };
    let jinja = find("Jinja2");
    assert_eq!(jinja["versionInfo"], "2.10");
    assert_eq!(jinja["downloadLocation"], "NOASSERTION");
    assert_eq!(jinja["filesAnalyzed"], false);
    assert_eq!(jinja["licenseDeclared"], "BSD-3-Clause");
    assert_eq!(
        jinja["externalRefs"][0]["referenceCategory"],
        "PACKAGE-MANAGER"
    );
    assert_eq!(jinja["externalRefs"][0]["referenceType"], "purl");
    assert_eq!(
        jinja["externalRefs"][0]["referenceLocator"],
        "pkg:pypi/jinja2@2.10"
    );
    let log4j = find("org.apache.logging.log4j:log4j-core");
    assert_eq!(
        log4j["licenseDeclared"], "NOASSERTION",
        "free-text licence names are not SPDX"
    );
    assert_eq!(find("smallvec")["licenseDeclared"], "MIT OR Apache-2.0");
}

#[test]
fn spdx_namespace_is_deterministic_and_unique_per_scan() {
    let a = render_json(&sample_report(), Format::Spdx);
    let b = render_json(&sample_report(), Format::Spdx);
    assert_eq!(a["documentNamespace"], b["documentNamespace"]);
    let ns = a["documentNamespace"].as_str().unwrap_or("");
    assert!(ns.starts_with("https://"), "{ns}");
    assert!(
        ns.contains("registry.example.com-shop-web-frontend-1.4.2"),
        "{ns}"
    );
    let other = render_json(&empty_report(), Format::Spdx);
    assert_ne!(a["documentNamespace"], other["documentNamespace"]);
}

#[test]
fn every_format_renders_through_the_registry() {
    for format in Format::ALL {
        let out = render(&sample_report(), format, &RenderOptions::default());
        assert!(!out.is_empty(), "{format} wrote something");
        assert!(out.ends_with('\n'), "{format} ends with a newline");
    }
}

#[test]
fn cyclonedx_adds_packages_that_only_findings_name() {
    let mut report = sample_report();
    report.packages.retain(|p| p.name != "lodash");
    let bom = render_json(&report, Format::CycloneDx);
    let refs: BTreeSet<&str> = array(&bom["components"], "components")
        .iter()
        .filter_map(|c| c["bom-ref"].as_str())
        .collect();
    assert!(refs.contains("pkg:npm/lodash@4.17.20"));
    for v in array(&bom["vulnerabilities"], "vulnerabilities") {
        let target = v["affects"][0]["ref"].as_str().unwrap_or("");
        assert!(refs.contains(target), "dangling affects ref {target}");
    }
}

#[test]
fn junit_lists_shown_findings_as_failures() {
    let report = sample_report();
    let xml = render(&report, Format::Junit, &RenderOptions::default());
    let doc = roxmltree::Document::parse(&xml).expect("well-formed XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    let shown = report
        .active_findings(rampart_core::Severity::Unknown)
        .count();
    assert_eq!(root.attribute("tests"), Some(shown.to_string().as_str()));
    assert_eq!(root.attribute("failures"), Some(shown.to_string().as_str()));
    let failures = doc
        .descendants()
        .filter(|n| n.has_tag_name("failure"))
        .count();
    assert_eq!(failures, shown);
    for suite in root.children().filter(|n| n.has_tag_name("testsuite")) {
        let cases = suite
            .children()
            .filter(|n| n.has_tag_name("testcase"))
            .count();
        assert_eq!(suite.attribute("tests"), Some(cases.to_string().as_str()));
    }
}

#[test]
fn junit_with_recorded_checks_lists_passes_and_unknowns() {
    use rampart_core::{CheckOutcome, CheckStatus};
    let mut report = sample_report();
    let failing = report
        .findings
        .iter()
        .find(|f| f.kind == rampart_core::FindingKind::Misconfiguration)
        .expect("sample has a misconfiguration")
        .clone();
    report.checks = vec![
        CheckOutcome {
            rule_id: failing.rule_id.clone(),
            subject: failing.subject.clone(),
            status: CheckStatus::Fail,
        },
        CheckOutcome {
            rule_id: failing.rule_id.clone(),
            subject: "Other<&>\"file\"".into(),
            status: CheckStatus::Pass,
        },
        CheckOutcome {
            rule_id: "AWS-S3-001".into(),
            subject: "aws_s3_bucket.logs".into(),
            status: CheckStatus::Unknown,
        },
    ];
    let xml = render(&report, Format::Junit, &RenderOptions::default());
    let doc = roxmltree::Document::parse(&xml).expect("well-formed XML");
    let root = doc.root_element();
    assert_eq!(root.attribute("tests"), Some("3"));
    assert_eq!(root.attribute("failures"), Some("1"));
    assert_eq!(root.attribute("skipped"), Some("1"));
    let names: Vec<&str> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .filter_map(|n| n.attribute("name"))
        .collect();
    assert!(names.contains(&"Other<&>\"file\""), "{names:?}");
    let failure = doc
        .descendants()
        .find(|n| n.has_tag_name("failure"))
        .unwrap();
    assert_eq!(failure.attribute("message"), Some(failing.title.as_str()));
    assert!(failure.text().unwrap_or_default().contains("remediation:"));
}
