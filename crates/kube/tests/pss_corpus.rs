//! Pod Security Standards against the upstream pod-security-admission fixtures: every `pass/` pod is
//! allowed and every `fail/` pod denied at its folder's level and version, with the check named by the
//! file prefix (or the restricted check that replaces it) among the denials.

use rampart_kube::pss::{self, Level, PolicyVersion};
use rampart_kube::{LoadOptions, load_path};
use std::collections::BTreeMap;
use std::path::Path;

/// Fixture file prefix → check id, as upstream derives fixture names from lower-cased check ids.
fn check_for_prefix(prefix: &str) -> Option<&'static str> {
    pss::CHECKS
        .iter()
        .map(|c| c.id)
        .find(|id| id.to_ascii_lowercase() == prefix)
}

/// The substring upstream's fixtures expect in the denial message (`test/fixtures_*.go`).
fn expected_substring(prefix: &str) -> &'static str {
    match prefix {
        "apparmorprofile" => "forbidden AppArmor profile",
        "capabilities_baseline" => "capabilities",
        "capabilities_restricted" => "unrestricted capabilities",
        "hostnamespaces" => "host namespaces",
        "hostpathvolumes" => "hostPath",
        "hostports" => "hostPort",
        "hostprobesandhostlifecycle" => "probe or lifecycle host",
        "procmount" | "procmount_restricted" => "procMount",
        "restrictedvolumes" => "restricted volume types",
        "selinuxoptions" => "seLinuxOptions",
        "seccompprofile_baseline" | "seccompprofile_restricted" => "seccompProfile",
        "sysctls" => "forbidden sysctl",
        "windowshostprocess" => "hostProcess",
        _ => "",
    }
}

/// True when `id` fired, or a check that replaces it at this level and version fired.
fn fired(results: &[pss::CheckResult], id: &str, level: Level, version: PolicyVersion) -> bool {
    results.iter().filter(|r| !r.allowed).any(|r| {
        r.id == id
            || pss::check(r.id).is_some_and(|def| {
                def.versions
                    .iter()
                    .rev()
                    .find(|v| v.min_minor <= version.minor)
                    .is_some_and(|v| v.overrides.contains(&id))
                    && def.level <= level
            })
    })
}

/// Fixtures in `../shared/testdata/pod-security-admission/testdata` (one pod per file): 894 under
/// `baseline/`, 1,628 under `restricted/`. Pinned so a corpus that shrinks, or folders that stop
/// being read, fail the test instead of passing on fewer fixtures.
const EXPECTED: [(&str, usize); 2] = [("baseline", 894), ("restricted", 1628)];

#[test]
fn pod_security_admission_fixtures() {
    let Some(root) = rampart_testkit::shared("testdata/pod-security-admission/testdata") else {
        return;
    };
    let mut totals: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    let mut failures = Vec::new();
    for level in [Level::Baseline, Level::Restricted] {
        let level_dir = root.join(level.as_str());
        let versions = std::fs::read_dir(&level_dir)
            .unwrap_or_else(|e| panic!("{}: {e}", level_dir.display()));
        for vdir in versions {
            let vdir = vdir.unwrap_or_else(|e| panic!("{}: {e}", level_dir.display()));
            let vname = vdir.file_name().to_string_lossy().to_string();
            let version: PolicyVersion = vname.parse().expect("version folder");
            for expect_pass in [true, false] {
                let dir = vdir.path().join(if expect_pass { "pass" } else { "fail" });
                check_dir(
                    &dir,
                    level,
                    version,
                    expect_pass,
                    &mut totals,
                    &mut failures,
                );
            }
        }
    }
    for (level, (ok, total)) in &totals {
        eprintln!("pss fixtures {level}: {ok}/{total} agree");
    }
    let total: usize = totals.values().map(|t| t.1).sum();
    let counts: Vec<(&str, usize)> = totals.iter().map(|(l, t)| (*l, t.1)).collect();
    assert_eq!(counts, EXPECTED, "fixture count per level");
    assert_eq!(total, 2522);
    assert!(
        failures.is_empty(),
        "{} of {total} fixtures disagree:\n{}",
        failures.len(),
        failures[..failures.len().min(40)].join("\n")
    );
}

fn check_dir(
    dir: &Path,
    level: Level,
    version: PolicyVersion,
    expect_pass: bool,
    totals: &mut BTreeMap<&'static str, (usize, usize)>,
    failures: &mut Vec<String>,
) {
    // Every version folder has both `pass/` and `fail/`: one that cannot be read is an error.
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let mut files: Vec<_> = entries
        .map(|e| {
            e.unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
                .path()
        })
        .collect();
    files.sort();
    for file in files {
        let loaded = load_path(&file, &LoadOptions::default()).expect("fixture readable");
        let entry = totals.entry(level.as_str()).or_default();
        entry.1 += 1;
        let Some(pod) = loaded.objects.first() else {
            failures.push(format!("{}: no object loaded", file.display()));
            continue;
        };
        let results = pss::evaluate_pod(&pod.doc, level, version);
        let denied: Vec<&str> = results
            .iter()
            .filter(|r| !r.allowed)
            .map(|r| r.id)
            .collect();
        let stem = file.file_stem().and_then(|s| s.to_str()).unwrap_or("");
        let prefix = stem.trim_end_matches(|c: char| c.is_ascii_digit());
        let message = pss::denial_message(&results, level, version).unwrap_or_default();
        let ok = if expect_pass {
            denied.is_empty()
        } else {
            match check_for_prefix(prefix) {
                Some(id) => {
                    fired(&results, id, level, version)
                        && message.contains(expected_substring(prefix))
                }
                None => false,
            }
        };
        if ok {
            entry.0 += 1;
        } else {
            failures.push(format!(
                "{}: expected {}, denied by {:?}: {message}",
                file.display(),
                if expect_pass { "allow" } else { "deny" },
                denied
            ));
        }
    }
}
