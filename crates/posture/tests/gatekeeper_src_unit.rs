//! The Gatekeeper library's `src_test.rego` unit tests (`opa test`): every `test_*` rule is true.

use rampart_posture::{Limits, Program, RegoSource};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn rego_files(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "rego"))
        .collect();
    out.sort();
    out
}

fn source(p: &Path) -> RegoSource {
    RegoSource::file(
        p.display().to_string(),
        std::fs::read_to_string(p).expect("read"),
    )
}

fn test_names(text: &str) -> BTreeSet<String> {
    text.lines()
        .filter(|l| l.starts_with("test_"))
        .filter_map(|l| {
            let name: String = l
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            (!name.is_empty()).then_some(name)
        })
        .collect()
}

#[test]
fn gatekeeper_src_unit_tests_are_true() {
    let Some(src) = rampart_testkit::shared("testdata/gatekeeper-library/src") else {
        return;
    };
    let libs: Vec<RegoSource> = ["rego/lib_exclude_update", "rego/lib_exempt_container"]
        .iter()
        .flat_map(|d| rego_files(&src.join(d)))
        .filter(|p| !p.to_string_lossy().ends_with("_test.rego"))
        .map(|p| source(&p))
        .collect();
    let mut dirs: Vec<PathBuf> = Vec::new();
    for category in ["general", "pod-security-policy", "rego"] {
        dirs.extend(
            std::fs::read_dir(src.join(category))
                .into_iter()
                .flatten()
                .filter_map(|e| e.ok().map(|e| e.path())),
        );
    }
    dirs.sort();
    let (mut total, mut failures) = (0, Vec::new());
    for dir in dirs {
        let files = rego_files(&dir);
        let Some(test_file) = files
            .iter()
            .find(|p| p.to_string_lossy().ends_with("_test.rego"))
        else {
            continue;
        };
        let mut modules: Vec<RegoSource> = vec![source(test_file)];
        modules.extend(files.iter().filter(|p| *p != test_file).map(|p| source(p)));
        let missing: Vec<RegoSource> = libs
            .iter()
            .filter(|l| !modules.iter().any(|m| m.origin == l.origin))
            .cloned()
            .collect();
        modules.extend(missing);
        let names = test_names(&modules[0].text);
        let (mut program, packages) = match Program::compile(&modules, Limits::default()) {
            Ok(p) => p,
            Err(e) => {
                total += names.len();
                failures.push(format!("{}: {e}", dir.display()));
                continue;
            }
        };
        let package = &packages[0];
        for name in names {
            total += 1;
            match program.eval(&format!("{package}.{name}"), serde_json::json!({})) {
                Ok(serde_json::Value::Bool(true)) => {}
                other => failures.push(format!("{} {name}: {other:?}", dir.display())),
            }
        }
    }
    eprintln!(
        "gatekeeper src_test.rego: {}/{total} test rules true",
        total - failures.len()
    );
    for f in &failures {
        eprintln!("FAIL {f}");
    }
    assert!(total > 100, "only {total} test rules found");
    assert!(failures.is_empty(), "{} failures", failures.len());
}
