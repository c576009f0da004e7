//! Inventory of the audit commands across all benchmark folders: how many the built-in interpreter
//! understands, and which commands the rest need.

use rampart_node::shell::interpretable;
use rampart_node::{Catalog, CheckType};
use std::collections::{BTreeMap, BTreeSet};

#[test]
fn most_audits_of_automated_checks_are_interpreted_natively() {
    let Some(dir) = rampart_testkit::shared("testdata/kube-bench/cfg") else {
        return;
    };
    let cat = Catalog::open(dir).unwrap();
    let (mut total, mut native) = (0usize, 0usize);
    let (mut host_total, mut host_native) = (0usize, 0usize);
    let mut missing: BTreeMap<String, usize> = BTreeMap::new();
    let (mut distinct, mut distinct_native) = (BTreeSet::new(), BTreeSet::new());
    for name in cat.benchmarks().unwrap() {
        let bench = cat.load(&name).unwrap();
        for (target, controls) in &bench.controls {
            let host = matches!(target.as_str(), "master" | "node" | "etcd" | "controlplane");
            for (_, check) in controls.checks() {
                if check.check_type != CheckType::Automated {
                    continue;
                }
                for audit in [&check.audit, &check.audit_config, &check.audit_env] {
                    if audit.trim().is_empty() {
                        continue;
                    }
                    total += 1;
                    let form = audit.split_whitespace().collect::<Vec<_>>().join(" ");
                    distinct.insert(form.clone());
                    host_total += usize::from(host);
                    match interpretable(audit) {
                        Ok(()) => {
                            distinct_native.insert(form);
                            native += 1;
                            host_native += usize::from(host);
                        }
                        Err(why) => *missing.entry(why.0).or_default() += 1,
                    }
                }
            }
        }
    }
    let mut reasons: Vec<_> = missing.into_iter().collect();
    reasons.sort_by_key(|r| std::cmp::Reverse(r.1));
    eprintln!("audit commands of automated checks: {total}, interpreted natively: {native}");
    eprintln!(
        "distinct audit texts: {}, interpreted natively: {}",
        distinct.len(),
        distinct_native.len()
    );
    eprintln!("of which on host targets: {host_total}, natively: {host_native}");
    for (why, n) in reasons.iter().take(25) {
        eprintln!("{n:5}  {why}");
    }
    // What is left needs the cluster API or the journal (kubectl, oc, journalctl, systemctl, gcloud,
    // vendor helper scripts): none of it can be computed from a node's files and processes.
    let elsewhere: usize = reasons
        .iter()
        .filter(|(why, _)| {
            [
                "journalctl",
                "`oc`",
                "kubectl",
                "systemctl",
                "gcloud",
                "master-exec",
                ".sh`",
                "openssl",
            ]
            .iter()
            .any(|k| why.contains(k))
        })
        .map(|(_, n)| n)
        .sum();
    eprintln!("needing the API server, the journal or helpers: {elsewhere}");
    assert!(native >= 2500, "{native}/{total}");
    assert!(
        (native + elsewhere) * 100 >= total * 98,
        "{native}+{elsewhere}/{total}"
    );
}
