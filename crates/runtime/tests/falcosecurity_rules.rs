//! Every falcosecurity/rules file loads with zero errors and zero warnings, as Falco's own CI
//! requires (`rules-check validate` / `falco -V`).

use rampart_runtime::rules::Loader;
use rampart_runtime::{Engine, Source};

const FILES: &[&str] = &[
    "rules/falco_rules.yaml",
    "rules/falco-incubating_rules.yaml",
    "rules/falco-sandbox_rules.yaml",
    "archive/falco-deprecated_rules.yaml",
];

#[test]
fn each_rules_file_loads_without_errors_or_warnings() {
    let Some(root) = rampart_testkit::shared("testdata/falcosecurity-rules") else {
        return;
    };
    let mut problems = Vec::new();
    for f in FILES {
        let mut loader = Loader::new();
        loader.add_file(&root.join(f));
        let report = loader.report();
        for d in report.errors().chain(report.warnings()) {
            problems.push(format!("{f}: {}", d.to_text()));
        }
    }
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn rule_counts_match_the_corpus() {
    let Some(root) = rampart_testkit::shared("testdata/falcosecurity-rules") else {
        return;
    };
    for (f, rules) in [
        ("rules/falco_rules.yaml", 25),
        ("rules/falco-incubating_rules.yaml", 31),
        ("rules/falco-sandbox_rules.yaml", 37),
        ("archive/falco-deprecated_rules.yaml", 4),
    ] {
        let (ruleset, _) = rampart_runtime::rules::load(&[root.join(f)]).expect("loads");
        assert_eq!(ruleset.rules.len(), rules, "{f}");
        assert!(ruleset.rules.iter().all(|r| r.source == Source::Syscall));
    }
}

#[test]
fn stable_and_incubating_load_together_into_an_engine() {
    let Some(root) = rampart_testkit::shared("testdata/falcosecurity-rules") else {
        return;
    };
    let (ruleset, _) = rampart_runtime::rules::load(&[
        root.join("rules/falco_rules.yaml"),
        root.join("rules/falco-incubating_rules.yaml"),
    ])
    .expect("loads");
    let engine = Engine::new(ruleset);
    assert_eq!(engine.rules().len(), 56);
}

/// `application_rules.yaml` holds only macros (no rules): Falco loads it without errors but warns
/// `LOAD_UNUSED_MACRO` for each macro no other macro refers to. Twelve of its 21 macros are such.
#[test]
fn application_rules_archive_gives_falcos_unused_macro_warnings() {
    let Some(root) = rampart_testkit::shared("testdata/falcosecurity-rules") else {
        return;
    };
    let mut loader = Loader::new();
    loader.add_file(&root.join("archive/application_rules.yaml"));
    let report = loader.report();
    assert_eq!(report.errors().count(), 0);
    let warnings: Vec<_> = report.warnings().collect();
    assert_eq!(warnings.len(), 12);
    assert!(
        warnings
            .iter()
            .all(|w| w.code == rampart_runtime::Code::LOAD_UNUSED_MACRO)
    );
    assert!(
        warnings
            .iter()
            .any(|w| w.concerns("macro", "elasticsearch_port"))
    );
}

#[test]
fn all_rule_files_load_together_cleanly() {
    let Some(root) = rampart_testkit::shared("testdata/falcosecurity-rules") else {
        return;
    };
    let files: Vec<_> = FILES.iter().map(|f| root.join(f)).collect();
    let report = rampart_runtime::rules::validate(&files);
    assert!(report.successful(), "{}", report.to_text());
    assert_eq!(report.warnings().count(), 0, "{}", report.to_text());
}

/// The syscall event types each rules file can match: the eBPF source reports only those (plus
/// the descriptor producers they need). The stable rules need opens, execs and connections, not
/// every watched syscall.
#[test]
fn each_rules_file_needs_a_bounded_set_of_syscalls() {
    let Some(root) = rampart_testkit::shared("testdata/falcosecurity-rules") else {
        return;
    };
    for f in FILES {
        let (ruleset, _) = rampart_runtime::rules::load(&[root.join(f)]).expect("loads");
        let types = Engine::new(ruleset).syscall_event_types();
        eprintln!("{f}: {types:?}");
        let types = types.unwrap_or_else(|| panic!("{f}: a rule matches any event type"));
        // the archived rules are all disabled
        assert_eq!(types.is_empty(), f.starts_with("archive/"), "{f}");
    }
    let (ruleset, _) =
        rampart_runtime::rules::load(&[root.join("rules/falco_rules.yaml")]).expect("loads");
    let stable = Engine::new(ruleset).syscall_event_types().expect("bounded");
    for t in ["openat", "execve", "connect"] {
        assert!(stable.contains(t), "the stable rules need {t}");
    }
}
