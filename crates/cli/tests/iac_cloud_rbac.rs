//! End-to-end tests of `rampart iac`, `rampart cloud aws`, `rampart drift` and `rampart rbac`: the IaC
//! and RBAC ones on files written here, the cloud ones against a real moto server seeded with the
//! shared `peers/aws/seed.py` (skipped with a note when moto is not installed, except under CI=true).

use rampart_testkit::moto::{Moto, aws_env};
use serde_json::Value;
use std::io::Write;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Instant;

fn rampart(args: &[&str]) -> Output {
    rampart_env(args, &[])
}

fn rampart_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rampart"));
    cmd.args(args)
        .env_remove("RAMPART_DB")
        .env_remove("AWS_ENDPOINT_URL")
        .env_remove("AWS_PROFILE");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run rampart")
}

fn rampart_stdin(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_rampart"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run rampart");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin)
        .expect("write stdin");
    child.wait_with_output().expect("wait rampart")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn json(o: &Output) -> Value {
    assert!(
        o.status.code() != Some(2),
        "rampart failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{}",
            stdout(o),
            String::from_utf8_lossy(&o.stderr)
        )
    })
}

fn s(p: &Path) -> &str {
    p.to_str().expect("UTF-8 path")
}

// ---------------------------------------------------------------------------------------------- iac

const MAIN_TF: &str = r#"variable "logs_acl" {
  type = string
}

resource "aws_s3_bucket" "public" {
  bucket = "acme-public"
  acl    = "public-read"
}

resource "aws_s3_bucket" "logs" {
  bucket = "acme-logs"
  acl    = var.logs_acl
}
"#;

fn iac_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("main.tf"), MAIN_TF).expect("write main.tf");
    dir
}

fn check_status(report: &Value, rule: &str, subject: &str) -> Option<String> {
    report["checks"]
        .as_array()?
        .iter()
        .find(|c| c["rule_id"] == rule && c["subject"] == subject)
        .and_then(|c| c["status"].as_str().map(str::to_string))
}

#[test]
fn iac_reports_failures_with_lines_unknowns_and_cis_summary() {
    let dir = iac_dir();
    let out = rampart(&["iac", s(dir.path()), "-f", "json", "-q"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r = json(&out);
    assert_eq!(r["target"]["kind"], "iac");
    let f = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule_id"] == "AWS-S3-001")
        .expect("the public-read bucket is reported");
    assert_eq!(f["subject"], "aws_s3_bucket.public");
    let loc = &f["evidence"][0]["location"];
    assert_eq!(loc["path"], "main.tf");
    assert_eq!(loc["line"], 5);
    assert_eq!(loc["end_line"], 8);
    assert!(
        f["controls"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["framework"].as_str().unwrap().starts_with("CIS AWS")),
        "{f}"
    );
    // The ACL from a variable without a value is neither a pass nor a failure.
    assert_eq!(
        check_status(&r, "AWS-S3-001", "aws_s3_bucket.public").as_deref(),
        Some("fail")
    );
    assert_eq!(
        check_status(&r, "AWS-S3-001", "aws_s3_bucket.logs").as_deref(),
        Some("unknown")
    );
    assert!(
        !r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["rule_id"] == "AWS-S3-001" && f["subject"] == "aws_s3_bucket.logs")
    );
    let unknowns = r["unknowns"].as_array().expect("unknowns listed");
    assert!(
        unknowns
            .iter()
            .any(|u| u["check_id"] == "AWS-S3-001" && u["address"] == "aws_s3_bucket.logs"),
        "{unknowns:?}"
    );
    let cis = &r["compliance"][0];
    assert_eq!(cis["framework"], "cis-aws-foundations");
    assert!(cis["failed"].as_u64().unwrap() >= 1, "{cis}");

    // A value from --var decides the check.
    let r = json(&rampart(&[
        "iac",
        s(dir.path()),
        "--var",
        "logs_acl=private",
        "-f",
        "json",
        "-q",
    ]));
    assert_eq!(
        check_status(&r, "AWS-S3-001", "aws_s3_bucket.logs").as_deref(),
        Some("pass")
    );
    let r = json(&rampart(&[
        "iac",
        s(dir.path()),
        "--var",
        "logs_acl=public-read-write",
        "-f",
        "json",
        "-q",
    ]));
    assert_eq!(
        check_status(&r, "AWS-S3-001", "aws_s3_bucket.logs").as_deref(),
        Some("fail")
    );

    // --var-file works the same way; --skip-check drops the check.
    let vars = dir.path().join("prod.tfvars");
    std::fs::write(&vars, "logs_acl = \"public-read\"\n").unwrap();
    let r = json(&rampart(&[
        "iac",
        s(dir.path()),
        "--var-file",
        s(&vars),
        "--skip-check",
        "AWS-S3-004",
        "-f",
        "json",
        "-q",
    ]));
    assert_eq!(
        check_status(&r, "AWS-S3-001", "aws_s3_bucket.logs").as_deref(),
        Some("fail")
    );
    assert!(
        !r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["rule_id"] == "AWS-S3-004")
    );
    assert_eq!(
        check_status(&r, "AWS-S3-004", "aws_s3_bucket.public").as_deref(),
        Some("skipped")
    );
}

#[test]
fn iac_table_sarif_junit_and_exit_code() {
    let dir = iac_dir();
    let out = rampart(&[
        "iac",
        s(dir.path()),
        "--exit-code",
        "3",
        "--fail-on",
        "high",
    ]);
    assert_eq!(out.status.code(), Some(3), "{}", stdout(&out));
    let table = stdout(&out);
    assert!(table.contains("AWS-S3-001"), "{table}");
    assert!(table.contains("aws_s3_bucket.public"), "{table}");
    assert!(table.contains("Undecided checks"), "{table}");
    assert!(
        table.contains("AWS-S3-001 aws_s3_bucket.logs (main.tf:10)"),
        "{table}"
    );
    // Only high and above fail the run; with the public bucket skipped nothing high remains.
    let out = rampart(&[
        "iac",
        s(dir.path()),
        "--skip-check",
        "AWS-S3-001",
        "--exit-code",
        "3",
        "--fail-on",
        "critical",
        "-q",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));

    let sarif = json(&rampart(&["iac", s(dir.path()), "-f", "sarif", "-q"]));
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let hit = results
        .iter()
        .find(|r| r["ruleId"] == "AWS-S3-001")
        .expect("SARIF result");
    let region = &hit["locations"][0]["physicalLocation"]["region"];
    assert_eq!(region["startLine"], 5, "{hit}");
    assert_eq!(region["endLine"], 8, "{hit}");
    assert!(
        hit["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .unwrap()
            .ends_with("main.tf")
    );

    let junit = stdout(&rampart(&["iac", s(dir.path()), "-f", "junit", "-q"]));
    assert!(junit.contains("<testsuite name=\"AWS-S3-001\""), "{junit}");
    assert!(junit.contains("<failure message=\"S3 bucket ACL grants public access\""));
    assert!(junit.contains("a value the check needs is not known"));
}

#[test]
fn iac_corpus_scans_and_missing_paths_fail_clearly() {
    let corpus = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../iac/tests/corpus"));
    let r = json(&rampart(&["iac", s(&corpus), "-f", "json", "-q"]));
    let rules: Vec<&str> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["rule_id"].as_str())
        .collect();
    assert!(rules.iter().any(|r| r.starts_with("AWS-")), "{rules:?}");
    assert!(rules.iter().any(|r| r.starts_with("DOCKER-")), "{rules:?}");
    assert!(r["checks"].as_array().unwrap().len() > rules.len());

    let out = rampart(&["iac", "/nonexistent/rampart-iac"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no such file"));
    let out = rampart(&["iac", ".", "--var", "novalue"]);
    assert_eq!(out.status.code(), Some(2));
}

// --------------------------------------------------------------------------------------------- rbac

const RBAC: &str = r#"apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: secret-reader}
rules:
  - {apiGroups: [""], resources: [secrets], verbs: [get, list]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: api-secrets}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: secret-reader}
subjects:
  - {kind: ServiceAccount, name: api, namespace: prod}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: pod-exec, namespace: dev}
rules:
  - {apiGroups: [""], resources: [pods, pods/exec], verbs: [get, create]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: alice-exec, namespace: dev}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: pod-exec}
subjects:
  - {apiGroup: rbac.authorization.k8s.io, kind: User, name: alice}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: impersonator}
rules:
  - {apiGroups: [""], resources: [serviceaccounts], verbs: [impersonate]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: bob-impersonates}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: impersonator}
subjects:
  - {apiGroup: rbac.authorization.k8s.io, kind: User, name: bob}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: everything}
rules:
  - {apiGroups: ["*"], resources: ["*"], verbs: ["*"]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: builder-admin}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: everything}
subjects:
  - {kind: ServiceAccount, name: builder, namespace: ci}
"#;

fn rbac_file() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("rbac.yaml");
    std::fs::write(&path, RBAC).expect("write rbac.yaml");
    (dir, path)
}

#[test]
fn rbac_who_can_lists_subjects_with_binding_and_role() {
    let (_dir, file) = rbac_file();
    let out = rampart(&["rbac", "who-can", "get", "secrets", s(&file)]);
    assert!(out.status.success());
    let text = stdout(&out);
    assert!(
        text.contains("ServiceAccount prod/api")
            && text.contains("via ClusterRoleBinding api-secrets → ClusterRole secret-reader"),
        "{text}"
    );
    assert!(text.contains("ServiceAccount ci/builder"), "{text}");
    assert!(!text.contains("alice"), "{text}");

    // The namespaced grant only answers a request in its namespace.
    let text = stdout(&rampart(&[
        "rbac",
        "who-can",
        "create",
        "pods/exec",
        "-n",
        "dev",
        s(&file),
    ]));
    assert!(
        text.contains("User alice") && text.contains("RoleBinding dev/alice-exec"),
        "{text}"
    );
    let text = stdout(&rampart(&[
        "rbac",
        "who-can",
        "create",
        "pods/exec",
        "-n",
        "prod",
        s(&file),
    ]));
    assert!(!text.contains("alice"), "{text}");

    // Standard input and JSON.
    let out = rampart_stdin(
        &[
            "rbac",
            "who-can",
            "impersonate",
            "serviceaccounts",
            "-",
            "-f",
            "json",
        ],
        RBAC.as_bytes(),
    );
    let r = json(&out);
    let subjects: Vec<&str> = r["subjects"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["subject"].as_str())
        .collect();
    assert!(subjects.contains(&"User bob"), "{subjects:?}");
    assert!(
        subjects.contains(&"ServiceAccount ci/builder"),
        "{subjects:?}"
    );
}

#[test]
fn rbac_can_lists_the_rules_of_a_subject() {
    let (_dir, file) = rbac_file();
    let text = stdout(&rampart(&[
        "rbac",
        "can",
        "system:serviceaccount:prod:api",
        s(&file),
    ]));
    assert!(
        text.contains("ServiceAccount prod/api holds 1 rule(s)"),
        "{text}"
    );
    assert!(
        text.contains(
            "cluster-wide via ClusterRoleBinding api-secrets → ClusterRole secret-reader"
        ),
        "{text}"
    );
    assert!(text.contains("get,list secrets (apiGroups core)"), "{text}");

    let r = json(&rampart(&[
        "rbac",
        "can",
        "user:alice",
        s(&file),
        "-f",
        "json",
    ]));
    assert_eq!(r["subject"], "User alice");
    let g = &r["grants"][0];
    assert_eq!(g["namespace"], "dev");
    assert_eq!(g["role"], "Role dev/pod-exec");

    let text = stdout(&rampart(&["rbac", "can", "group:nobody", s(&file)]));
    assert!(text.contains("holds no rules"), "{text}");
}

#[test]
fn rbac_analyze_reports_risky_grants_and_escalation_paths() {
    let (_dir, file) = rbac_file();
    let out = rampart(&["rbac", "analyze", s(&file), "--exit-code", "4"]);
    assert_eq!(out.status.code(), Some(4));
    let table = stdout(&out);
    assert!(table.contains("Privilege-escalation paths"), "{table}");
    assert!(
        table.contains("User bob → cluster-admin-equivalent"),
        "bob impersonates the admin service account: {table}"
    );
    assert!(
        table.contains("  1. User bob → ServiceAccount ci/builder"),
        "{table}"
    );

    let r = json(&rampart(&["rbac", "analyze", s(&file), "-f", "json", "-q"]));
    let findings = r["findings"].as_array().unwrap();
    assert!(
        findings
            .iter()
            .any(|f| f["rule_id"].as_str().unwrap().starts_with("rbac:")
                && f["subject"].as_str().unwrap().contains("prod/api")),
        "{findings:?}"
    );
    let paths = r["escalation_paths"].as_array().unwrap();
    let bob = paths
        .iter()
        .find(|p| p["start"] == "User bob")
        .expect("bob's path");
    assert_eq!(bob["hops"][0]["to"], "ServiceAccount ci/builder");
    assert_eq!(
        bob["hops"].as_array().unwrap().last().unwrap()["to"],
        "cluster-admin-equivalent"
    );

    let sarif = json(&rampart(&[
        "rbac",
        "analyze",
        s(&file),
        "-f",
        "sarif",
        "-q",
    ]));
    assert!(!sarif["runs"][0]["results"].as_array().unwrap().is_empty());
}

// ------------------------------------------------------------------------------------ cloud + drift

/// `rampart` with the moto server's test credentials and endpoint, and wide tables (resource addresses
/// stay on one line).
fn rampart_aws(url: &str, args: &[&str]) -> Output {
    let mut env = aws_env(url);
    env.push(("COLUMNS", "250".into()));
    let pairs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    rampart_env(args, &pairs)
}

#[test]
fn cloud_aws_reports_the_seeded_account_against_moto() {
    let Some(moto) = Moto::seeded() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let inv_path = dir.path().join("inventory.json");
    let started = Instant::now();
    let out = rampart_aws(
        &moto.url,
        &[
            "cloud",
            "aws",
            "--endpoint-url",
            &moto.url,
            "--region",
            "us-east-1",
            "--inventory",
            s(&inv_path),
            "-f",
            "json",
            "--exit-code",
            "5",
        ],
    );
    eprintln!("rampart cloud aws against moto: {:?}", started.elapsed());
    assert_eq!(
        out.status.code(),
        Some(5),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r = json(&out);
    assert_eq!(r["target"]["kind"], "cloud");
    assert_eq!(r["target"]["name"], "aws:123456789012");
    let hits: Vec<(String, String)> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule_id"].as_str().unwrap().to_string(),
                f["subject"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    for (id, subject) in [
        ("AWS-S3-001", "aws_s3_bucket.cnapp-public-bucket"),
        ("AWS-IAM-007", "aws_iam_role.cnapp-open-role"),
        ("AWS-CT-001", "aws_cloudtrail.cnapp-trail"),
        ("AWS-CT-LIVE-001", "aws_cloudtrail.cnapp-trail"),
    ] {
        assert!(
            hits.contains(&(id.to_string(), subject.to_string())),
            "missing {id} on {subject}: {hits:?}"
        );
    }
    assert!(hits.iter().any(|(id, _)| id == "AWS-KMS-001"), "{hits:?}");
    assert!(hits.iter().any(|(id, _)| id == "AWS-VPC-001"), "{hits:?}");
    assert_eq!(
        check_status(&r, "AWS-S3-001", "aws_s3_bucket.cnapp-trail-logs").as_deref(),
        Some("pass")
    );
    assert_eq!(r["compliance"][0]["framework"], "cis-aws-foundations");
    let inv = &r["inventory"];
    assert!(
        inv["resources"]
            .as_array()
            .unwrap()
            .iter()
            .any(|res| res["address"] == "aws_iam_user.cnapp-admin"),
        "the inventory travels with the JSON report"
    );
    let written: Value =
        serde_json::from_str(&std::fs::read_to_string(&inv_path).expect("inventory written"))
            .expect("inventory JSON");
    assert_eq!(
        written["resources"].as_array().unwrap().len(),
        inv["resources"].as_array().unwrap().len()
    );

    // Table output names the findings; JUnit passes too.
    let table = stdout(&rampart_aws(
        &moto.url,
        &["cloud", "aws", "--endpoint-url", &moto.url, "-q"],
    ));
    assert!(table.contains("cnapp-public-bucket"), "{table}");
    let junit = stdout(&rampart_aws(
        &moto.url,
        &["cloud", "aws", "--services", "s3", "-f", "junit", "-q"],
    ));
    assert!(junit.contains("<testsuite name=\"AWS-S3-001\""), "{junit}");
    assert!(
        !junit.contains("aws_iam_role"),
        "--services s3 collects S3 only"
    );

    // Two regions: the regional services twice, the global ones once.
    let r = json(&rampart_aws(
        &moto.url,
        &[
            "cloud",
            "aws",
            "--region",
            "us-east-1,us-west-2",
            "-f",
            "json",
            "-q",
        ],
    ));
    let coverage = r["inventory"]["coverage"]["services"].as_array().unwrap();
    let seen = |service: &str, region: &str| {
        coverage
            .iter()
            .filter(|c| c[0] == service && c[1] == region)
            .count()
    };
    assert_eq!(seen("ec2", "us-west-2"), 1, "{coverage:?}");
    assert_eq!(seen("ec2", "us-east-1"), 1, "{coverage:?}");
    assert_eq!(seen("iam", "global"), 1, "{coverage:?}");
    assert_eq!(seen("s3", "global"), 1, "{coverage:?}");
}

#[test]
fn cloud_aws_collection_errors_are_warnings() {
    // Nothing listens on this port: every call fails, and the scan still reports.
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let out = rampart_aws(
        &url,
        &["cloud", "aws", "--services", "s3,kms", "-f", "json", "-q"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r = json(&out);
    let warnings = r["warnings"].as_array().unwrap();
    assert!(
        warnings
            .iter()
            .any(|w| w["path"].as_str().unwrap().starts_with("s3: ")),
        "{warnings:?}"
    );
    assert_eq!(r["target"]["name"], "aws:unknown-account");
    // An unknown service is refused before anything is called.
    let out = rampart_aws(&url, &["cloud", "aws", "--services", "route66"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("route66"));
}

const DRIFT_TF: &str = r#"
resource "aws_s3_bucket" "public" {
  bucket = "cnapp-public-bucket"
  acl    = "private"
}
resource "aws_s3_bucket" "logs" {
  bucket = "cnapp-trail-logs"
  acl    = "private"
}
resource "aws_s3_bucket" "gone" {
  bucket = "cnapp-never-created"
}
"#;

const MAKE_LOGS_PUBLIC: &str = r#"
import os, boto3
s3 = boto3.client("s3", endpoint_url=os.environ["AWS_ENDPOINT_URL"], region_name="us-east-1")
s3.put_bucket_acl(Bucket="cnapp-trail-logs", ACL="public-read")
"#;

#[test]
fn drift_shows_an_out_of_band_change_against_moto() {
    let Some(moto) = Moto::seeded() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let tf = dir.path().join("infra");
    std::fs::create_dir(&tf).unwrap();
    std::fs::write(tf.join("main.tf"), DRIFT_TF).unwrap();
    let drift = |extra: &[&str]| {
        let mut args = vec!["drift", "--iac", s(&tf), "--live", "aws", "-q"];
        args.extend_from_slice(extra);
        rampart_aws(&moto.url, &args)
    };
    let before = json(&drift(&["-f", "json"]));
    let changed = |r: &Value| -> Vec<String> {
        r["drift"]["changed"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c[0].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(changed(&before), vec!["aws_s3_bucket.public".to_string()]);
    assert_eq!(before["drift"]["only_declared"][0], "aws_s3_bucket.gone");
    assert!(
        before["drift"]["only_live"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a == "aws_iam_role.cnapp-open-role")
    );
    assert_eq!(before["live"], "aws:123456789012");

    // Out of band: someone makes the log bucket public.
    let script = dir.path().join("oob.py");
    std::fs::write(&script, MAKE_LOGS_PUBLIC).unwrap();
    moto.python(&script);
    let out = drift(&["--exit-code", "7"]);
    assert_eq!(out.status.code(), Some(7));
    let table = stdout(&out);
    assert!(table.contains("Changed (2):"), "{table}");
    assert!(
        table.contains("aws_s3_bucket.logs  (live aws_s3_bucket.cnapp-trail-logs)"),
        "{table}"
    );
    assert!(
        table.contains("acl: declared \"private\", live \"public-read\""),
        "{table}"
    );
    assert!(table.contains("Only in IaC (missing live) (1):"), "{table}");
    assert!(table.contains("  aws_s3_bucket.gone"), "{table}");
    assert!(table.contains("Unmanaged (live only)"), "{table}");

    // A saved inventory gives the same answer without calling AWS; a declaration matching the live
    // account exits 0.
    let inv = dir.path().join("inv.json");
    let out = rampart_aws(
        &moto.url,
        &[
            "cloud",
            "aws",
            "--services",
            "s3",
            "--inventory",
            s(&inv),
            "-q",
            "-f",
            "json",
        ],
    );
    assert!(out.status.success() || out.status.code() == Some(0));
    let same = dir.path().join("same");
    std::fs::create_dir(&same).unwrap();
    std::fs::write(
        same.join("main.tf"),
        "resource \"aws_s3_bucket\" \"logs\" {\n  bucket = \"cnapp-trail-logs\"\n  acl = \"public-read\"\n}\n",
    )
    .unwrap();
    let out = rampart(&[
        "drift",
        "--iac",
        s(&same),
        "--live-inventory",
        s(&inv),
        "--exit-code",
        "7",
        "-q",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(
        stdout(&out).contains("0 changed, 0 only in IaC"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn drift_reads_terraform_state() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = dir.path().join("terraform.tfstate");
    std::fs::write(
        &state,
        r#"{"version": 4, "terraform_version": "1.9.0", "resources": [
  {"mode": "managed", "type": "aws_s3_bucket", "name": "logs", "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]",
   "instances": [{"attributes": {"bucket": "acme-logs", "acl": "private", "arn": "arn:aws:s3:::acme-logs"}}]},
  {"mode": "data", "type": "aws_caller_identity", "name": "me", "instances": [{"attributes": {}}]}
]}"#,
    )
    .unwrap();
    let inv = dir.path().join("inv.json");
    std::fs::write(
        &inv,
        r#"{"resources": [{"resource_type": "aws_s3_bucket", "address": "aws_s3_bucket.acme-logs",
  "name": "acme-logs", "provider": "aws", "attributes": {"bucket": "acme-logs", "acl": "public-read"},
  "source": {"file": "aws://aws_s3_bucket/acme-logs", "start_line": 0, "end_line": 0},
  "origin": "live"}]}"#,
    )
    .unwrap();
    let r = json(&rampart(&[
        "drift",
        "--state",
        s(&state),
        "--live-inventory",
        s(&inv),
        "-f",
        "json",
        "-q",
    ]));
    let changed = &r["drift"]["changed"][0];
    assert_eq!(changed[0], "aws_s3_bucket.logs");
    let paths: Vec<&str> = changed[2]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["path"].as_str())
        .collect();
    assert_eq!(
        paths,
        vec!["acl"],
        "attributes the collector does not read are not drift"
    );
}

#[test]
fn cloud_aws_fix_plans_by_default_and_apply_resolves_the_findings() {
    let Some(moto) = Moto::seeded() else { return };
    let aws = ["--endpoint-url", moto.url.as_str(), "--region", "us-east-1"];
    let fix = |extra: &[&str]| {
        let mut args = vec!["cloud", "aws", "fix"];
        args.extend_from_slice(&aws);
        args.extend_from_slice(&["--check", "AWS-S3-003,AWS-S3-004,AWS-KMS-001", "--json"]);
        args.extend_from_slice(extra);
        rampart_aws(&moto.url, &args)
    };
    // Unknown checks are refused before anything is collected.
    let bad = rampart_aws(
        &moto.url,
        &["cloud", "aws", "fix", "--check", "AWS-IAM-007"],
    );
    assert_eq!(bad.status.code(), Some(2), "{}", stdout(&bad));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("no automatic fix"));

    let dry = fix(&[]);
    assert!(
        dry.status.success(),
        "{}",
        String::from_utf8_lossy(&dry.stderr)
    );
    let plan = json(&dry);
    let actions = plan["plan"]["actions"].as_array().expect("actions");
    assert!(
        !actions.is_empty(),
        "the seeded account has fixable findings: {plan}"
    );
    let kinds: Vec<&str> = actions
        .iter()
        .filter_map(|a| a["kind"]["kind"].as_str())
        .collect();
    assert!(kinds.contains(&"s3_public_access_block"), "{kinds:?}");
    assert!(kinds.contains(&"kms_rotation"), "{kinds:?}");
    // The dry run changed nothing: planning again gives the same plan.
    assert_eq!(json(&fix(&[]))["plan"], plan["plan"]);

    let applied = fix(&["--apply"]);
    let r = json(&applied);
    assert!(applied.status.success(), "{r}");
    assert_eq!(r["remaining"].as_array().map(Vec::len), Some(0), "{r}");
    assert!(
        r["results"]
            .as_array()
            .unwrap()
            .iter()
            .all(|x| x["error"].is_null())
    );
    let after = json(&fix(&[]));
    assert_eq!(
        after["plan"]["actions"].as_array().map(Vec::len),
        Some(0),
        "{after}"
    );
}

#[test]
fn iam_analyze_live_reads_the_seeded_account_and_saves_it() {
    let Some(moto) = Moto::seeded() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let saved = dir.path().join("auth-details.json");
    let live = rampart_aws(
        &moto.url,
        &[
            "iam",
            "analyze",
            "--live",
            "--endpoint-url",
            &moto.url,
            "--save",
            s(&saved),
            "-f",
            "json",
            "--exit-code",
            "5",
            "--fail-on",
            "critical",
        ],
    );
    assert_eq!(
        live.status.code(),
        Some(5),
        "{}",
        String::from_utf8_lossy(&live.stderr)
    );
    assert!(String::from_utf8_lossy(&live.stderr).contains("from aws:123456789012"));
    let r = json(&live);
    assert_eq!(r["target"]["kind"], "cloud");
    assert_eq!(r["target"]["name"], "aws:123456789012");
    let hits = |r: &Value| -> Vec<(String, String)> {
        r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["rule_id"].as_str().unwrap().to_string(),
                    f["subject"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    let found = hits(&r);
    for (rule, subject) in [
        ("iam-role-trust-public", "role/cnapp-open-role"),
        ("iam-admin-equivalent", "user/cnapp-admin"),
    ] {
        assert!(
            found
                .iter()
                .any(|(id, s)| id == rule && s.ends_with(subject)),
            "missing {rule} on {subject}: {found:?}"
        );
    }
    // The saved JSON is the CLI's shape and analyses to the same findings.
    let doc: Value = serde_json::from_slice(&std::fs::read(&saved).expect("saved")).unwrap();
    assert!(
        doc["RoleDetailList"]
            .as_array()
            .is_some_and(|l| !l.is_empty())
    );
    assert!(doc["RoleDetailList"][0]["AssumeRolePolicyDocument"].is_object());
    let from_file = rampart_aws(
        &moto.url,
        &["iam", "analyze", s(&saved), "-f", "json", "-q"],
    );
    let mut a = hits(&json(&from_file));
    let mut b = found.clone();
    a.sort();
    b.sort();
    assert_eq!(a, b);
    // FILE and --live are exclusive; one of them is needed; --save needs --live.
    assert_eq!(
        rampart_aws(&moto.url, &["iam", "analyze", "--live", s(&saved)])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        rampart_aws(&moto.url, &["iam", "analyze"]).status.code(),
        Some(2)
    );
    assert_eq!(
        rampart_aws(
            &moto.url,
            &["iam", "analyze", s(&saved), "--save", s(&saved)]
        )
        .status
        .code(),
        Some(2)
    );
}

const UPLOAD_TRAIL: &str = r#"
import gzip, json, os, boto3
s3 = boto3.client("s3", endpoint_url=os.environ["AWS_ENDPOINT_URL"], region_name="us-east-1")
rec = lambda user, mfa, t: {"eventVersion": "1.08", "eventSource": "signin.amazonaws.com",
    "eventName": "ConsoleLogin", "eventTime": t, "awsRegion": "us-east-1",
    "userIdentity": {"type": "IAMUser", "userName": user,
                     "arn": "arn:aws:iam::123456789012:user/" + user, "accountId": "123456789012"},
    "additionalEventData": {"MFAUsed": mfa}, "responseElements": {"ConsoleLogin": "Success"}}
p = "AWSLogs/123456789012/CloudTrail/us-east-1/2026/11/27/"
s3.put_object(Bucket="cnapp-trail-logs", Key=p + "a.json.gz",
              Body=gzip.compress(json.dumps({"Records": [rec("alice", "No", "2026-11-27T10:00:00Z")]}).encode()))
s3.put_object(Bucket="cnapp-trail-logs", Key=p + "b.json.gz",
              Body=gzip.compress(json.dumps({"Records": [rec("bob", "Yes", "2026-11-27T10:01:00Z"),
                                                         rec("carol", "No", "2026-11-27T10:02:00Z")]}).encode()))
s3.put_object(Bucket="cnapp-trail-logs", Key=p + "broken.json.gz", Body=b"not gzip at all")
"#;

/// Moto with the trail bucket filled by [`UPLOAD_TRAIL`], a scratch folder, and a rules file with
/// "Console login without MFA".
fn trail_bucket() -> Option<(Moto, tempfile::TempDir, PathBuf)> {
    let moto = Moto::seeded()?;
    let dir = tempfile::tempdir().expect("tempdir");
    let script = dir.path().join("upload.py");
    std::fs::write(&script, UPLOAD_TRAIL).unwrap();
    moto.python(&script);
    let rule = dir.path().join("ct.yaml");
    std::fs::write(
        &rule,
        "- rule: Console login without MFA\n  desc: d\n  condition: ct.name = \"ConsoleLogin\" and json.value[/additionalEventData/MFAUsed] = \"No\"\n  output: login without MFA (user=%ct.user)\n  priority: WARNING\n  source: aws_cloudtrail\n",
    )
    .unwrap();
    Some((moto, dir, rule))
}

#[test]
fn runtime_replay_reads_cloudtrail_logs_from_s3() {
    let Some((moto, _dir, rule)) = trail_bucket() else {
        return;
    };
    let out = rampart_aws(
        &moto.url,
        &[
            "runtime",
            "replay",
            "--source",
            "cloudtrail",
            "--rules",
            s(&rule),
            "s3://cnapp-trail-logs/AWSLogs/123456789012/CloudTrail/",
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let users: Vec<String> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).expect("alert JSON"))
        .map(|a| {
            a["output_fields"]["ct.user"]
                .as_str()
                .unwrap_or("")
                .to_string()
        })
        .collect();
    assert_eq!(users, vec!["alice", "carol"], "{stderr}");
    // The object that is not gzip is a warning naming it; the others were still read.
    assert!(stderr.contains("broken.json.gz"), "{stderr}");
    assert!(stderr.contains("3 events, 2 alerts"), "{stderr}");
}

const UPLOAD_LATER: &str = r#"
import gzip, json, os, boto3
s3 = boto3.client("s3", endpoint_url=os.environ["AWS_ENDPOINT_URL"], region_name="us-east-1")
rec = {"eventVersion": "1.08", "eventSource": "signin.amazonaws.com", "eventName": "ConsoleLogin",
       "eventTime": "2026-11-27T11:00:00Z", "awsRegion": "us-east-1",
       "userIdentity": {"type": "IAMUser", "userName": "dave",
                        "arn": "arn:aws:iam::123456789012:user/dave", "accountId": "123456789012"},
       "additionalEventData": {"MFAUsed": "No"}, "responseElements": {"ConsoleLogin": "Success"}}
s3.put_object(Bucket="cnapp-trail-logs", Key="AWSLogs/123456789012/CloudTrail/us-east-1/2026/11/27/c.json.gz",
              Body=gzip.compress(json.dumps({"Records": [rec]}).encode()))
"#;

/// `runtime run --cloudtrail-s3`: the files already in the bucket, then one delivered while the
/// agent runs, each read once; the unreadable object is a warning.
#[test]
fn runtime_run_polls_cloudtrail_logs_in_s3() {
    let Some((moto, dir, rule)) = trail_bucket() else {
        return;
    };
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_rampart"));
    cmd.args([
        "runtime",
        "run",
        "--source",
        "cloudtrail",
        "--rules",
        s(&rule),
        "--cloudtrail-s3",
        "s3://cnapp-trail-logs/AWSLogs/123456789012/CloudTrail/",
        "--cloudtrail-poll",
        "300ms",
        "--duration",
        "8s",
    ])
    .envs(aws_env(&moto.url))
    .stdout(std::process::Stdio::piped())
    .stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().expect("rampart runs");
    // the alerts of the files already there, then a file delivered while the agent runs
    let mut lines = std::io::BufRead::lines(std::io::BufReader::new(
        child.stdout.take().expect("stdout"),
    ));
    let mut alerts: Vec<String> = lines.by_ref().map_while(Result::ok).take(2).collect();
    assert_eq!(alerts.len(), 2, "two alerts from the first poll");
    let later = dir.path().join("later.py");
    std::fs::write(&later, UPLOAD_LATER).unwrap();
    moto.python(&later);
    alerts.extend(lines.map_while(Result::ok));
    let out = child.wait_with_output().expect("rampart ends");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let mut users: Vec<String> = alerts
        .iter()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|a| a["rule"] == "Console login without MFA")
        .map(|a| {
            a["output_fields"]["ct.user"]
                .as_str()
                .unwrap_or("")
                .to_string()
        })
        .collect();
    users.sort();
    assert_eq!(users, vec!["alice", "carol", "dave"], "{stderr}");
    assert_eq!(
        stderr.matches("broken.json.gz").count(),
        1,
        "the unreadable object is reported once: {stderr}"
    );
}
