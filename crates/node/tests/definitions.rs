//! Every benchmark folder of the kube-bench definitions loads, with the check counts SOURCES.md gives.

use rampart_node::{Catalog, CheckType};
use std::collections::BTreeMap;

fn catalog() -> Option<Catalog> {
    let dir = rampart_testkit::shared("testdata/kube-bench/cfg")?;
    Some(Catalog::open(dir).expect("cfg/config.yaml loads"))
}

#[test]
fn all_46_benchmarks_load_with_documented_check_counts() {
    let Some(cat) = catalog() else { return };
    let names = cat.benchmarks().unwrap();
    assert_eq!(names.len(), 46);
    let mut counts = BTreeMap::new();
    for name in &names {
        let bench = cat.load(name).unwrap_or_else(|e| panic!("{name}: {e}"));
        counts.insert(name.clone(), bench.check_count());
    }
    let documented = [
        ("cis-1.5", 122),
        ("cis-1.6", 122),
        ("cis-1.7", 131),
        ("cis-1.8", 130),
        ("cis-1.9", 130),
        ("cis-1.10", 130),
        ("cis-1.11", 133),
        ("cis-1.12", 131),
        ("cis-1.20", 123),
        ("cis-1.23", 125),
        ("cis-1.24", 124),
        ("gke-1.0", 159),
        ("gke-1.9.0", 57),
        ("eks-1.8.0", 50),
        ("aks-1.8", 51),
        ("ack-1.0", 134),
        ("rh-1.8", 115),
        ("eks-stig-kubernetes-v1r6", 95),
    ];
    for (name, n) in documented {
        assert_eq!(counts[name], n, "{name}");
    }
    assert_eq!(counts.values().sum::<usize>(), 4860);
}

#[test]
fn every_benchmark_has_a_target_mapping_and_files_for_it() {
    let Some(cat) = catalog() else { return };
    for name in cat.benchmarks().unwrap() {
        let bench = cat.load(&name).unwrap();
        let targets = cat.targets(&name);
        assert!(!targets.is_empty(), "{name} has no target_mapping");
        for t in targets {
            assert!(bench.controls.contains_key(&t), "{name} lacks {t}.yaml");
        }
    }
}

#[test]
fn benchmark_selection_by_version_and_name() {
    let Some(cat) = catalog() else { return };
    assert_eq!(cat.select(None, Some("1.28")).unwrap(), "cis-1.10");
    assert_eq!(cat.select(None, Some("v1.33.2")).unwrap(), "cis-1.12");
    assert_eq!(cat.select(None, Some("eks-1.8.0")).unwrap(), "eks-1.8.0");
    assert_eq!(
        cat.select(Some("gke-1.9.0"), Some("1.28")).unwrap(),
        "gke-1.9.0"
    );
    assert_eq!(cat.select(None, None).unwrap(), "cis-1.12");
    assert!(cat.select(Some("cis-9.9"), None).is_err());
    assert!(cat.select(None, Some("1.2")).is_err());
}

#[test]
fn cis_1_10_node_checks_parse_as_kube_bench_reads_them() {
    let Some(cat) = catalog() else { return };
    let bench = cat.load("cis-1.10").unwrap();
    let node = &bench.controls["node"];
    assert_eq!(node.node_type, "node");
    let check = node.checks().find(|(_, c)| c.id == "4.2.1").unwrap().1;
    assert_eq!(check.audit, "/bin/ps -fC $kubeletbin");
    assert_eq!(check.audit_config, "/bin/cat $kubeletconf");
    let item = &check.tests.as_ref().unwrap().test_items[0];
    assert_eq!(item.flag, "--anonymous-auth");
    assert_eq!(item.path, "{.authentication.anonymous.enabled}");
    assert!(item.set);
    let cmp = item.compare.as_ref().unwrap();
    assert_eq!((cmp.op.as_str(), cmp.value.as_str()), ("eq", "false"));
    let manual = bench
        .controls
        .values()
        .flat_map(|c| c.checks())
        .filter(|(_, c)| c.check_type == CheckType::Manual)
        .count();
    assert!(manual > 0);
}

#[test]
fn malformed_definitions_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("config.yaml"), "version_mapping: {}\n").unwrap();
    std::fs::create_dir(dir.path().join("bad")).unwrap();
    std::fs::write(dir.path().join("bad/node.yaml"), "groups: [ {checks: : }").unwrap();
    let cat = Catalog::open(dir.path()).unwrap();
    let err = cat.load("bad").unwrap_err().to_string();
    assert!(err.contains("bad/node.yaml"), "{err}");
    std::fs::write(dir.path().join("bad/node.yaml"), "groups: 3\n").unwrap();
    let err = cat.load("bad").unwrap_err().to_string();
    assert!(
        err.contains("bad/node.yaml") && err.contains("groups"),
        "{err}"
    );
}
