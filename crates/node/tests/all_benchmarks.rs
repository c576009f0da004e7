//! Every benchmark and target runs on a fixture node without a shell: no panics, every check gets a
//! state, and nothing is run that the interpreter does not understand.

use rampart_node::{Catalog, Node, ProcessSource, RunOptions, run};
use std::path::Path;

#[test]
fn every_benchmark_runs_natively_on_a_fixture_node() {
    let Some(cfg) = rampart_testkit::shared("testdata/kube-bench/cfg") else {
        return;
    };
    let catalog = Catalog::open(cfg).unwrap();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/hardened");
    let node = Node::new(
        dir.join("root"),
        &ProcessSource::File(dir.join("processes.txt")),
    )
    .unwrap()
    .with_stat_overrides(&dir.join("stat-overrides.yaml"))
    .unwrap();
    let (mut checks, mut evaluated, mut uninterpreted) = (0, 0, 0);
    for name in catalog.benchmarks().unwrap() {
        let opts = RunOptions {
            benchmark: Some(name.clone()),
            ..RunOptions::default()
        };
        let report = run(&catalog, &node, &opts).unwrap_or_else(|e| panic!("{name}: {e}"));
        let totals = report.totals();
        let n = report.results().count();
        assert_eq!(
            totals.pass + totals.fail + totals.warn + totals.info,
            n,
            "{name}"
        );
        checks += n;
        evaluated += report
            .results()
            .filter(|r| r.native && !r.expected_result.is_empty())
            .count();
        uninterpreted += totals.uninterpreted;
        // The upstream CIS benchmarks' host targets need nothing beyond the interpreter.
        let upstream =
            name.starts_with("cis-1.") && !name.contains("-k3s") && !name.contains("microk8s");
        if upstream {
            let host: Vec<_> = report
                .results()
                .filter(|r| r.target != "policies" && r.uninterpreted)
                .map(|r| format!("{}/{}", r.target, r.id))
                .collect();
            assert!(host.is_empty(), "{name}: {host:?}");
        }
    }
    eprintln!(
        "checks run: {checks}; evaluated natively against tests: {evaluated}; not interpretable: {uninterpreted}"
    );
    assert!(evaluated > 1500, "{evaluated}");
}
