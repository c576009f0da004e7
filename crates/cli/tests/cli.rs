//! End-to-end tests of the `rampart` binary on the bundled samples and snapshot, and against cargo-audit.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

fn repo() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

fn rampart(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rampart"))
        .args(args)
        .env_remove("RAMPART_DB")
        .output()
        .expect("run rampart")
}

/// The demo database, built once per test binary from `examples/vulndb`.
fn demo_db() -> &'static Path {
    static DB: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    &DB.get_or_init(|| {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = dir.path().join("demo.db");
        let from = repo().join("examples/vulndb");
        let out = rampart(&[
            "db",
            "build",
            "--from",
            from.to_str().unwrap(),
            "--out",
            db.to_str().unwrap(),
            "-q",
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        (dir, db)
    })
    .1
}

fn scan_json(cmd: &str, target: &Path, extra: &[&str]) -> Value {
    let mut args = vec![
        cmd,
        target.to_str().unwrap(),
        "--db",
        demo_db().to_str().unwrap(),
        "-f",
        "json",
        "-q",
    ];
    args.extend_from_slice(extra);
    let out = rampart(&args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON report")
}

fn finding_ids(report: &Value, package: &str) -> Vec<String> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| {
            f["vulnerability"]["package"]["name"] == package && f.get("suppressed").is_none()
        })
        .flat_map(|f| {
            let v = &f["vulnerability"];
            std::iter::once(v["id"].as_str().unwrap().to_string()).chain(
                v["aliases"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|a| a.as_str().unwrap().to_string()),
            )
        })
        .collect()
}

#[test]
fn rootfs_scan_finds_debian_python_and_npm_vulnerabilities() {
    let r = scan_json("rootfs", &repo().join("examples/rootfs-debian11"), &[]);
    assert_eq!(r["target"]["os"]["id"], "debian");
    assert!(
        finding_ids(&r, "libssl1.1")
            .iter()
            .any(|i| i == "DSA-5103-1"),
        "openssl DSA-5103-1"
    );
    assert!(finding_ids(&r, "urllib3").contains(&"CVE-2021-33503".to_string()));
    assert!(
        finding_ids(&r, "lodash")
            .iter()
            .any(|i| i.starts_with("CVE-"))
    );
    assert!(
        finding_ids(&r, "libc6").is_empty(),
        "glibc 2.31-13+deb11u2 has no DSA in the data"
    );
    assert!(r["summary"]["total"].as_u64().unwrap() > 50);
}

#[test]
fn alpine_rootfs_matches_on_origin() {
    let r = scan_json("rootfs", &repo().join("examples/rootfs-alpine310"), &[]);
    assert!(finding_ids(&r, "musl").contains(&"CVE-2019-14697".to_string()));
    assert!(
        finding_ids(&r, "busybox").is_empty(),
        "busybox 1.30.1-r2 is the fixed version"
    );
}

#[test]
fn project_scan_covers_every_lockfile_and_applies_vex() {
    let project = repo().join("examples/project");
    let vex = repo().join("examples/vex/demo.openvex.json");
    let r = scan_json("fs", &project, &["--vex", vex.to_str().unwrap()]);
    for pkg in ["smallvec", "django", "lodash", "golang.org/x/text", "rack"] {
        assert!(
            !finding_ids(&r, pkg).is_empty(),
            "{pkg} should have findings"
        );
    }
    let suppressed: Vec<&Value> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f.get("suppressed").is_some())
        .collect();
    assert_eq!(suppressed.len(), 1);
    assert_eq!(suppressed[0]["rule_id"], "CVE-2021-33203");
    assert_eq!(r["summary"]["suppressed"], 1);
}

#[test]
fn exit_code_follows_fail_on() {
    let project = repo().join("examples/project");
    let db = demo_db().to_str().unwrap();
    let base = [
        "fs",
        project.to_str().unwrap(),
        "--db",
        db,
        "-q",
        "--exit-code",
        "3",
    ];
    let out = rampart(&[&base[..], &["--fail-on", "critical"]].concat());
    assert_eq!(out.status.code(), Some(3));
    let out = rampart(&[&base[..], &["--severity", "LOW", "--fail-on", "high"]].concat());
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn sarif_cyclonedx_and_spdx_outputs_parse() {
    let project = repo().join("examples/project");
    for (format, key, value) in [
        ("sarif", "version", "2.1.0"),
        ("cyclonedx", "specVersion", "1.6"),
        ("spdx", "spdxVersion", "SPDX-2.3"),
    ] {
        let out = rampart(&[
            "fs",
            project.to_str().unwrap(),
            "--db",
            demo_db().to_str().unwrap(),
            "-q",
            "-f",
            format,
        ]);
        assert!(out.status.success());
        let v: Value =
            serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{format}: {e}"));
        assert_eq!(v[key], value, "{format}");
    }
}

#[test]
fn ignore_file_and_ignore_unfixed() {
    let dir = tempfile::tempdir().unwrap();
    let ignore = dir.path().join("ignore");
    std::fs::write(
        &ignore,
        "CVE-2021-33503 urllib3\nCVE-2000-0001 exp:2001-01-01\n",
    )
    .unwrap();
    let r = scan_json(
        "rootfs",
        &repo().join("examples/rootfs-debian11"),
        &[
            "--ignore-file",
            ignore.to_str().unwrap(),
            "--ignore-unfixed",
        ],
    );
    assert!(!finding_ids(&r, "urllib3").contains(&"CVE-2021-33503".to_string()));
    assert!(
        r["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w["message"].as_str().unwrap().contains("expired"))
    );
}

#[test]
fn corrupt_truncated_and_newer_databases_are_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let good = std::fs::read(demo_db()).unwrap();
    let target = repo().join("examples/project");
    let check = |bytes: &[u8], expect: &str| {
        let p = dir.path().join("bad.db");
        std::fs::write(&p, bytes).unwrap();
        let out = rampart(&[
            "fs",
            target.to_str().unwrap(),
            "--db",
            p.to_str().unwrap(),
            "-q",
        ]);
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(expect) && err.contains("bad.db"), "{err}");
    };
    check(&good[..good.len() / 2], "truncated");
    let mut flipped = good.clone();
    let last = flipped.len() - 1;
    flipped[last] ^= 0xff;
    check(&flipped, "rampart db update");
    let mut newer = good.clone();
    newer[8..12].copy_from_slice(&99u32.to_le_bytes());
    check(&newer, "newer");
    check(b"hello", "not a Rampart vulnerability database");
}

#[test]
fn db_status_reports_counts_and_staleness() {
    let out = rampart(&[
        "db",
        "status",
        "--db",
        demo_db().to_str().unwrap(),
        "--json",
    ]);
    assert!(out.status.success());
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["advisories"].as_u64().unwrap() > 500);
    assert_eq!(v["stale"], false);
    let out = rampart(&[
        "db",
        "status",
        "--db",
        demo_db().to_str().unwrap(),
        "--max-age",
        "0",
    ]);
    assert_eq!(out.status.code(), Some(1));
}

/// `rampart fs Cargo.lock` agrees with `cargo audit` on the same lockfile and the same RustSec data.
#[test]
fn cargo_lock_findings_equal_cargo_audit() {
    let fixtures = std::env::var_os("RAMPART_FIXTURES")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/rampart-fixtures"))
        });
    let tools = std::env::var_os("RAMPART_TOOLS")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/rampart-tools"))
        });
    let (Some(fixtures), Some(tools)) = (fixtures, tools) else {
        return;
    };
    let audit_db = fixtures.join("rustsec-db");
    let cargo_audit = tools.join("cargo/bin/cargo-audit");
    if !audit_db.is_dir() || !cargo_audit.is_file() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "cargo-audit or the rustsec-db fixture is missing; run scripts/test-deps.sh and scripts/build-fixtures.sh"
        );
        eprintln!("note: cargo-audit or fixtures missing; skipping");
        return;
    }
    let lock = repo().join("examples/project/Cargo.lock");
    let out = Command::new(&cargo_audit)
        .args([
            "audit",
            "--db",
            audit_db.to_str().unwrap(),
            "--no-fetch",
            "--json",
            "-f",
            lock.to_str().unwrap(),
        ])
        .output()
        .expect("run cargo-audit");
    let audit: Value = serde_json::from_slice(&out.stdout).expect("cargo audit JSON");
    let mut theirs: Vec<(String, String, String)> = audit["vulnerabilities"]["list"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["advisory"]["id"].as_str().unwrap().to_string(),
                v["package"]["name"].as_str().unwrap().to_string(),
                v["package"]["version"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    // Rampart matches the OSV form of the same RustSec data, from the shared folder.
    let shared = std::env::var_os("RAMPART_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("../shared"));
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("rustsec.db");
    let from = shared.join("data/vulndb/rustsec-osv");
    let built = rampart(&[
        "db",
        "build",
        "--from",
        from.to_str().unwrap(),
        "--out",
        db.to_str().unwrap(),
        "-q",
    ]);
    assert!(built.status.success());
    let out = rampart(&[
        "fs",
        lock.to_str().unwrap(),
        "--db",
        db.to_str().unwrap(),
        "-f",
        "json",
        "-q",
    ]);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut ours: Vec<(String, String, String)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let v = &f["vulnerability"];
            let ids: Vec<&str> = std::iter::once(v["id"].as_str().unwrap())
                .chain(
                    v["aliases"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(|a| a.as_str().unwrap()),
                )
                .collect();
            let rustsec = ids
                .iter()
                .find(|i| i.starts_with("RUSTSEC-"))
                .copied()
                .unwrap_or(ids[0]);
            (
                rustsec.to_string(),
                v["package"]["name"].as_str().unwrap().to_string(),
                v["installed_version"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    theirs.sort();
    ours.sort();
    assert!(!theirs.is_empty());
    assert_eq!(ours, theirs);
}

#[test]
fn secrets_in_the_project_are_reported_masked() {
    let project = repo().join("examples/project");
    let r = scan_json("fs", &project, &["--scanners", "secret"]);
    let findings = r["findings"].as_array().unwrap();
    let rules: Vec<&str> = findings
        .iter()
        .map(|f| f["rule_id"].as_str().unwrap())
        .collect();
    assert_eq!(rules.len(), 3, "{rules:?}");
    for rule in [
        "aws-access-key-id",
        "aws-secret-access-key",
        "generic-secret-assignment",
    ] {
        assert!(rules.contains(&rule), "{rule} missing from {rules:?}");
    }
    assert!(findings.iter().all(|f| f["kind"] == "secret"));
    let raw = std::fs::read_to_string(project.join("deploy/settings.py")).unwrap();
    let text = r.to_string();
    for secret in raw
        .split('"')
        .filter(|s| s.len() >= 20 && !s.contains([' ', '.']))
    {
        assert!(
            !text.contains(secret),
            "unmasked secret {secret} in the report"
        );
    }
    // With both scanners (the default for fs), vulnerabilities and secrets are reported together.
    let both = scan_json("fs", &project, &[]);
    let kinds: std::collections::BTreeSet<&str> = both["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds.into_iter().collect::<Vec<_>>(),
        ["secret", "vulnerability"]
    );
}

/// The (rule, package) pairs of a report's findings, sorted.
fn finding_pairs(r: &Value) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule_id"].as_str().unwrap().to_string(),
                f["vulnerability"]["package"]["name"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn sbom_written_then_scanned_gives_the_same_findings_as_a_direct_scan() {
    let dir = tempfile::tempdir().unwrap();
    for (cmd, target) in [
        ("rootfs", "examples/rootfs-debian11"),
        ("rootfs", "examples/rootfs-alpine310"),
        ("fs", "examples/project"),
    ] {
        let target = repo().join(target);
        let direct = scan_json(cmd, &target, &["--scanners", "vuln"]);
        assert!(!finding_pairs(&direct).is_empty());
        for format in ["cyclonedx", "spdx"] {
            let sbom = dir.path().join(format!("{format}.json"));
            let out = rampart(&[
                "sbom",
                target.to_str().unwrap(),
                "-f",
                format,
                "-o",
                sbom.to_str().unwrap(),
                "-q",
            ]);
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            let rescanned = scan_json("sbom", Path::new("scan"), &[sbom.to_str().unwrap()]);
            assert_eq!(rescanned["target"]["kind"], "sbom");
            assert_eq!(
                finding_pairs(&rescanned),
                finding_pairs(&direct),
                "{format} round trip of {}",
                target.display()
            );
        }
    }
}

fn rampart_with_stdin(args: &[&str], stdin: &[u8]) -> Output {
    use std::io::Write as _;
    let mut child = Command::new(env!("CARGO_BIN_EXE_rampart"))
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run rampart");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin)
        .expect("write stdin");
    child.wait_with_output().expect("wait")
}

#[test]
fn k8s_manifests_give_findings_compliance_and_the_exit_code() {
    let shop = repo().join("crates/kube/tests/data/shop");
    let out = rampart(&[
        "k8s",
        shop.to_str().unwrap(),
        "--framework",
        "pss-restricted",
        "-f",
        "json",
        "-q",
        "--exit-code",
        "4",
    ]);
    assert_eq!(
        out.status.code(),
        Some(4),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["target"]["kind"], "kubernetes");
    assert_eq!(r["compliance"][0]["framework"], "pss-restricted");
    assert!(r["compliance"][0]["failed"].as_u64().unwrap() > 0);
    let rules: Vec<&str> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule_id"].as_str().unwrap())
        .collect();
    assert!(rules.contains(&"pss:privileged"), "{rules:?}");
    assert!(rules.iter().any(|r| r.starts_with("k8s:")), "{rules:?}");

    // helm template / kustomize build output on standard input, SARIF out.
    let manifest = std::fs::read(shop.join("web.yaml")).unwrap();
    let out = rampart_with_stdin(&["k8s", "-", "-f", "sarif", "-q"], &manifest);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let sarif: Value = serde_json::from_slice(&out.stdout).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert!(!results.is_empty());
    // Every result points at the manifest (stdin, `-`) and a line of the object it is about.
    let lines = String::from_utf8_lossy(&manifest).lines().count() as u64;
    for r in results {
        let loc = &r["locations"][0]["physicalLocation"];
        assert_eq!(loc["artifactLocation"]["uri"], "-", "{r}");
        let line = loc["region"]["startLine"].as_u64().unwrap_or(0);
        assert!((1..=lines).contains(&line), "{r}");
    }
    // The Deployment is the file's first document, the LoadBalancer Service a later one: each
    // result's region starts at its own object.
    let text = String::from_utf8_lossy(&manifest);
    let start_of = |rule: &str| {
        let r = results
            .iter()
            .find(|r| r["ruleId"] == rule)
            .unwrap_or_else(|| panic!("no {rule} result"));
        r["locations"][0]["physicalLocation"]["region"]["startLine"]
            .as_u64()
            .unwrap() as usize
    };
    let deployment = start_of("k8s:readonly-root-filesystem");
    let service = start_of("k8s:service-loadbalancer");
    assert_eq!(deployment, 1);
    assert!(service > deployment);
    let object_at = |line: usize| -> String {
        text.lines()
            .skip(line - 1)
            .take_while(|l| *l != "---")
            .find(|l| l.starts_with("kind:"))
            .unwrap_or("")
            .to_string()
    };
    assert_eq!(object_at(deployment), "kind: Deployment");
    assert_eq!(object_at(service), "kind: Service");
}

#[test]
fn k8s_node_checks_a_fixture_node_tree() {
    let node = repo().join("crates/node/tests/fixtures/insecure");
    let out = rampart(&[
        "k8s",
        "node",
        "--root",
        node.join("root").to_str().unwrap(),
        "--processes",
        node.join("processes.txt").to_str().unwrap(),
        "--stat-overrides",
        node.join("stat-overrides.yaml").to_str().unwrap(),
        "-f",
        "json",
        "-q",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["target"]["kind"], "node");
    let compliance = &r["compliance"][0];
    assert!(
        compliance["framework"]
            .as_str()
            .unwrap()
            .starts_with("cis-kubernetes-")
    );
    assert!(compliance["failed"].as_u64().unwrap() > 0);
    let rules: Vec<&str> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule_id"].as_str().unwrap())
        .collect();
    // The insecure kubelet allows anonymous requests (CIS 4.2.1).
    assert!(rules.iter().any(|r| r.ends_with("/4.2.1")), "{rules:?}");
    assert_eq!(
        r["checks"].as_array().unwrap().len() as u64,
        compliance["passed"].as_u64().unwrap()
            + compliance["failed"].as_u64().unwrap()
            + compliance["not_applicable"].as_u64().unwrap()
    );
}

fn gatekeeper_library() -> Option<PathBuf> {
    rampart_testkit::shared("testdata/gatekeeper-library/library")
}

#[test]
fn policy_verify_runs_gatekeeper_suites_like_gator() {
    let Some(lib) = gatekeeper_library() else {
        return;
    };
    let out = rampart(&["policy", "verify", lib.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.lines().filter(|l| l.starts_with("--- PASS")).count() >= 100);
    assert!(!text.contains("--- FAIL"));

    // A suite whose expectation is wrong fails with a non-zero exit.
    let dir = tempfile::tempdir().unwrap();
    let src = lib.join("general/allowedrepos");
    copy_tree(&src, dir.path());
    let suite = dir.path().join("suite.yaml");
    let text = std::fs::read_to_string(&suite).unwrap();
    std::fs::write(
        &suite,
        text.replacen("violations: yes", "violations: no", 1),
    )
    .unwrap();
    let out = rampart(&["policy", "verify", suite.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("--- FAIL"));
}

#[test]
fn k8s_policy_folder_applies_gatekeeper_constraints() {
    let Some(lib) = gatekeeper_library() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        lib.join("general/allowedrepos/template.yaml"),
        dir.path().join("template.yaml"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("constraint.yaml"),
        "apiVersion: constraints.gatekeeper.sh/v1beta1\nkind: K8sAllowedRepos\nmetadata:\n  name: only-internal\n\
         spec:\n  match:\n    kinds:\n      - apiGroups: [\"\", \"apps\"]\n        kinds: [\"Pod\", \"Deployment\"]\n\
         \x20 parameters:\n    repos: [\"registry.internal/\"]\n",
    )
    .unwrap();
    let manifests = tempfile::tempdir().unwrap();
    std::fs::write(
        manifests.path().join("pods.yaml"),
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  containers:\n\
         \x20   - name: web\n      image: nginx:1.25\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: ok\n\
         \x20 namespace: shop\nspec:\n  containers:\n    - name: ok\n      image: registry.internal/ok:1\n",
    )
    .unwrap();
    let out = rampart(&[
        "k8s",
        manifests.path().to_str().unwrap(),
        "--policy",
        dir.path().to_str().unwrap(),
        "-f",
        "json",
        "-q",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    let gk: Vec<&Value> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule_id"].as_str().unwrap().starts_with("gatekeeper:"))
        .collect();
    assert_eq!(gk.len(), 1, "{gk:?}");
    assert_eq!(gk[0]["subject"], "Pod/shop/web");
    assert!(gk.iter().all(|f| {
        f["evidence"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("registry.internal/")
    }));
}

fn copy_tree(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[test]
fn iam_analyze_reports_public_trust_admins_and_escalation_paths() {
    let file = repo().join("crates/iam/tests/data/seeded-auth-details.json");
    let out = rampart(&[
        "iam",
        "analyze",
        file.to_str().unwrap(),
        "-f",
        "json",
        "-q",
        "--exit-code",
        "5",
        "--fail-on",
        "critical",
    ]);
    assert_eq!(
        out.status.code(),
        Some(5),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    let has =
        |rule: &str, subject_part: &str| {
            r["findings"].as_array().unwrap().iter().any(|f| {
                f["rule_id"] == rule && f["subject"].as_str().unwrap().contains(subject_part)
            })
        };
    assert!(has("iam-role-trust-public", "role/cnapp-open-role"));
    assert!(has("iam-admin-equivalent", "user/cnapp-admin"));
    assert!(has("iam-privilege-escalation-path", "user/poweruser"));
    assert!(
        r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["kind"] == "entitlement")
    );
    // The table form prints every escalation path hop by hop.
    let out = rampart(&["iam", "analyze", file.to_str().unwrap(), "-q"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Privilege-escalation paths:"));
    assert!(text.contains("--[AssumeRole"));
}

#[test]
fn image_sources_agree_and_report_layers_config_and_deleted_secrets() {
    let Some(images) = rampart_testkit::fixture("images") else {
        return;
    };
    let refs = [
        format!("oci:{}:app", images.join("oci").display()),
        format!("oci-archive:{}", images.join("app.oci.tar").display()),
        format!("docker-archive:{}", images.join("app.docker.tar").display()),
    ];
    let mut package_sets = Vec::new();
    for reference in &refs {
        let out = rampart(&[
            "image",
            reference,
            "--db",
            demo_db().to_str().unwrap(),
            "-f",
            "json",
            "-q",
        ]);
        assert!(
            out.status.success(),
            "{reference}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let r: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(r["target"]["kind"], "image");
        let packages = r["packages"].as_array().unwrap();
        let requests = packages
            .iter()
            .find(|p| p["name"] == "requests")
            .expect("requests from layer 1");
        assert_eq!(requests["layer"]["index"], 1, "{reference}");
        assert!(
            packages.iter().all(|p| p["name"] != "jinja2"),
            "jinja2 was deleted by layer 2"
        );
        let rules: Vec<&str> = r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["rule_id"].as_str().unwrap())
            .collect();
        for rule in [
            "IMG001",
            "IMG002",
            "IMG004",
            "IMG005",
            "aws-access-key-id",
            "CVE-2018-18074",
        ] {
            assert!(
                rules.contains(&rule),
                "{reference}: {rule} missing from {rules:?}"
            );
        }
        let secret = r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["rule_id"] == "aws-access-key-id")
            .unwrap();
        assert!(secret.to_string().contains("deleted by layer 2"));
        assert!(!secret.to_string().contains("AKIAQ3EGWMXR7ZK4PLTN"));
        let mut names: Vec<String> = packages
            .iter()
            .map(|p| format!("{} {} {}", p["name"], p["version"], p["layer"]["index"]))
            .collect();
        names.sort();
        package_sets.push(names);
    }
    assert_eq!(package_sets[0], package_sets[1]);
    assert_eq!(package_sets[0], package_sets[2]);

    // Re-matching without content scanners answers from the analysis cache: a copy of the layout
    // (hard links where possible) loses its layer blobs after the first scan, and the second scan
    // still reports the same packages and findings.
    let cache = tempfile::tempdir().unwrap();
    let layout = cache.path().join("layout");
    let src = images.join("oci");
    let mut dirs = vec![src.clone()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let entry = entry.unwrap().path();
            if entry.is_dir() {
                dirs.push(entry);
                continue;
            }
            let to = layout.join(entry.strip_prefix(&src).unwrap());
            std::fs::create_dir_all(to.parent().unwrap()).unwrap();
            if std::fs::hard_link(&entry, &to).is_err() {
                std::fs::copy(&entry, &to).unwrap();
            }
        }
    }
    let reference = format!("oci:{}:app", layout.display());
    let scan = || {
        let out = Command::new(env!("CARGO_BIN_EXE_rampart"))
            .args(["image", &reference, "--db", demo_db().to_str().unwrap()])
            .args(["-f", "json", "-q", "--scanners", "vuln,config"])
            .env("XDG_CACHE_HOME", cache.path().join("cache"))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let r: Value = serde_json::from_slice(&out.stdout).unwrap();
        let ids = |key: &str, field: &str| {
            let mut v: Vec<String> = r[key]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x[field].to_string())
                .collect();
            v.sort();
            v
        };
        (ids("packages", "purl"), ids("findings", "id"))
    };
    let first = scan();
    assert!(first.0.len() > 50 && !first.1.is_empty());
    let blob = |d: &Value| {
        let (alg, hex) = d.as_str().unwrap().split_once(':').unwrap();
        layout.join("blobs").join(alg).join(hex)
    };
    let read =
        |p: PathBuf| -> Value { serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap() };
    let index = read(layout.join("index.json"));
    let app = index["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["annotations"]["org.opencontainers.image.ref.name"] == "app")
        .unwrap();
    let manifest = read(blob(&app["digest"]));
    for layer in manifest["layers"].as_array().unwrap() {
        std::fs::remove_file(blob(&layer["digest"])).unwrap();
    }
    assert_eq!(scan(), first, "the second scan differs (or read a layer)");
}

#[test]
fn runtime_rules_validate_list_and_replay() {
    // The bundled rules validate cleanly and list.
    let out = rampart(&["runtime", "rules", "validate"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let out = rampart(&["runtime", "rules", "list", "-f", "json"]);
    let rules: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(rules.as_array().unwrap().len() > 40);

    // A broken rules file: Falco-style error with code, item and position; exit 1.
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.yaml");
    std::fs::write(
        &bad,
        "- rule: Broken\n  desc: d\n  condition: evt.type = open and nosuch.field = 1\n  output: o\n  priority: WARNING\n",
    )
    .unwrap();
    let out = rampart(&[
        "runtime",
        "rules",
        "validate",
        bad.to_str().unwrap(),
        "-f",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(report.contains("LOAD_ERR_COMPILE_CONDITION"), "{report}");
    assert!(report.contains("Broken"), "{report}");

    // CloudTrail: a custom rule over a gzip log file.
    let rule = dir.path().join("ct.yaml");
    std::fs::write(
        &rule,
        "- rule: Console login without MFA\n  desc: d\n  condition: ct.name = \"ConsoleLogin\" and json.value[/additionalEventData/MFAUsed] = \"No\"\n  output: login without MFA (user=%ct.user)\n  priority: WARNING\n  source: aws_cloudtrail\n",
    )
    .unwrap();
    let log = dir.path().join("trail.json.gz");
    let records = r#"{"Records":[{"eventVersion":"1.08","eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin","eventTime":"2026-11-26T10:00:00Z","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.9","userIdentity":{"type":"IAMUser","userName":"alice","arn":"arn:aws:iam::123456789012:user/alice","accountId":"123456789012"},"additionalEventData":{"MFAUsed":"No"},"responseElements":{"ConsoleLogin":"Success"}},{"eventVersion":"1.08","eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin","eventTime":"2026-11-26T10:01:00Z","awsRegion":"us-east-1","userIdentity":{"type":"IAMUser","userName":"bob"},"additionalEventData":{"MFAUsed":"Yes"}}]}"#;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gz, records.as_bytes()).unwrap();
    std::fs::write(&log, gz.finish().unwrap()).unwrap();
    let out = rampart(&[
        "runtime",
        "replay",
        "--source",
        "cloudtrail",
        "--rules",
        rule.to_str().unwrap(),
        log.to_str().unwrap(),
        "-q",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let alerts: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert_eq!(alerts[0]["rule"], "Console login without MFA");
    assert_eq!(alerts[0]["source"], "aws_cloudtrail");
    assert!(alerts[0]["output"].as_str().unwrap().contains("alice"));
}

#[test]
fn runtime_replay_of_kubernetes_audit_events_with_the_bundled_rules() {
    let Some(dir) =
        rampart_testkit::shared("testdata/falco-regression-tests/trace_files/k8s_audit")
    else {
        return;
    };
    let out = rampart(&[
        "runtime",
        "replay",
        "--source",
        "k8s_audit",
        dir.join("create_nginx_pod_privileged.json")
            .to_str()
            .unwrap(),
        "-q",
    ]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    let alert: Value = serde_json::from_str(text.lines().next().expect("one alert")).unwrap();
    assert_eq!(alert["rule"], "Create Privileged Pod");
    for key in [
        "output",
        "priority",
        "time",
        "output_fields",
        "source",
        "tags",
        "hostname",
    ] {
        assert!(alert.get(key).is_some(), "Falco alert field {key} missing");
    }
}

#[test]
fn iam_least_privilege_from_cloudtrail() {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../iam/tests/data");
    let dir = tempfile::tempdir().expect("tempdir");
    // CloudTrail delivers gzip files in dated folders; a bad file is a warning, not a failure.
    let day = dir
        .path()
        .join("AWSLogs/123456789012/CloudTrail/us-east-1/2026/11/27");
    std::fs::create_dir_all(&day).expect("mkdir");
    let plain = std::fs::read(data.join("cloudtrail-sample.json")).expect("fixture");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gz, &plain).expect("gzip");
    std::fs::write(day.join("a.json.gz"), gz.finish().expect("gzip")).expect("write");
    std::fs::write(day.join("broken.json.gz"), b"\x1f\x8bnot gzip").expect("write");
    let auth = data.join("seeded-auth-details.json");
    let run = |extra: &[&str]| {
        let mut args = vec![
            "iam",
            "least-privilege",
            dir.path().to_str().unwrap(),
            "--auth-details",
            auth.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        rampart(&args)
    };
    let out = run(&["--json", "--principal", "user/ci-bot"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("broken.json.gz"));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["files"], 1);
    let p = &v["principals"].as_array().expect("principals")[0];
    assert_eq!(p["principal"], "arn:aws:iam::123456789012:user/ci-bot");
    assert_eq!(
        p["used"],
        serde_json::json!(["lambda:InvokeFunction", "lambda:ListFunctions"])
    );
    assert_eq!(
        p["unused"],
        serde_json::json!(["iam:PassRole", "lambda:CreateFunction"])
    );
    let text = run(&["--principal", "user/ci-bot"]);
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains("granted 3 action(s), 2 unused: iam:PassRole, lambda:CreateFunction"),
        "{text}"
    );
    assert!(text.contains("least-privilege policy:"), "{text}");
}
