//! Times `UserPolicies::scan` (what `rampart k8s --policy DIR` runs) over a manifest file, with the
//! process's resident memory after each stage:
//! `cargo run --release -p rampart-posture --example policy_scan_timing -- SNAPSHOT.yaml POLICY_DIR`.
//! `RAMPART_TIMING_DETAIL=1` also audits each template alone.

use rampart_posture::Document;
use rampart_posture::policy_dir::UserPolicies;
use std::path::Path;
use std::time::Instant;

/// `VmRSS` and `VmHWM` of this process in MB (Linux), for the stage lines.
fn memory() -> String {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<u64>().ok())
            .map(|kb| kb / 1024)
            .unwrap_or(0)
    };
    format!("rss {} MB, peak {} MB", field("VmRSS:"), field("VmHWM:"))
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(snapshot), Some(dir)) = (args.first(), args.get(1)) else {
        eprintln!("usage: policy_scan_timing SNAPSHOT.yaml POLICY_DIR");
        std::process::exit(2);
    };
    let started = Instant::now();
    // One document at a time: the parser bounds the documents of one text.
    let text = std::fs::read_to_string(snapshot).expect("snapshot");
    let docs: Vec<Document> = text
        .split("\n---\n")
        .flat_map(|chunk| rampart_posture::docs::parse_documents(snapshot, chunk).expect("parse"))
        .filter(|v| v.is_object())
        .map(|v| Document::from_k8s(v, None))
        .collect();
    println!(
        "{} documents loaded in {:.3}s ({})",
        docs.len(),
        started.elapsed().as_secs_f64(),
        memory()
    );
    let started = Instant::now();
    let mut policies =
        UserPolicies::load(Path::new(dir), rampart_posture::Limits::default()).expect("policies");
    println!(
        "{} templates, {} constraints compiled in {:.3}s ({})",
        policies.gatekeeper.templates.len(),
        policies.gatekeeper.constraints.len(),
        started.elapsed().as_secs_f64(),
        memory()
    );
    if std::env::var_os("RAMPART_TIMING_DETAIL").is_some() {
        let values: Vec<serde_json::Value> = docs.iter().map(|d| d.value.clone()).collect();
        let locations = vec![None; values.len()];
        for t in &policies.gatekeeper.templates {
            let mut one = rampart_posture::gatekeeper::PolicySet {
                templates: vec![t.clone()],
                constraints: policies
                    .gatekeeper
                    .constraints
                    .iter()
                    .filter(|c| c.kind == t.kind)
                    .cloned()
                    .collect(),
                prefer_cel: false,
            };
            let started = Instant::now();
            let n = one.audit(&values, &locations).map(|v| v.len()).unwrap_or(0);
            println!(
                "  {:40} {:>6} violations {:.3}s",
                t.name,
                n,
                started.elapsed().as_secs_f64()
            );
        }
    }
    let started = Instant::now();
    let (violations, ran) = policies.scan(&docs).expect("scan");
    println!(
        "scan: {} violations of {} checks in {:.3}s ({})",
        violations.len(),
        ran.len(),
        started.elapsed().as_secs_f64(),
        memory()
    );
}
