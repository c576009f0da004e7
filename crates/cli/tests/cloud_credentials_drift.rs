//! `rampart cloud aws --profile` (a named profile from temporary AWS config and credentials files, set
//! on the child process only) and `rampart drift --plan` (a Terraform plan JSON against the live
//! account), against a real moto server (skipped with a note when moto is not installed, except under
//! CI=true).

use rampart_testkit::moto::{Moto, aws_env, tools_venv};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// `rampart` with `env` and nothing of the test process's AWS settings.
fn rampart(args: &[&str], env: &[(&str, String)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rampart"));
    cmd.args(args)
        .env_remove("RAMPART_DB")
        .env("COLUMNS", "250");
    for k in [
        "AWS_ENDPOINT_URL",
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_ROLE_ARN",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
    ] {
        cmd.env_remove(k);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run rampart")
}

fn json(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    })
}

fn s(p: &Path) -> &str {
    p.to_str().expect("UTF-8 path")
}

/// Runs a seed script of the cloud crate (`crates/cloud/tests/seed`) and returns its standard output.
fn seed(moto: &Moto, script: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../cloud/tests/seed")
        .join(script);
    let mut cmd = Command::new(tools_venv().join("bin/python"));
    cmd.arg(&path);
    for (k, v) in aws_env(&moto.url) {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run seed script");
    assert!(
        out.status.success(),
        "{}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// `--profile audit` takes the credentials (an assumed role in account 333333333333) and the region
/// (eu-west-2) from the files AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE name.
#[test]
fn profile_from_temporary_config_files() {
    let Some(moto) = Moto::seeded() else { return };
    let creds: Value =
        serde_json::from_slice(&seed(&moto, "accounts.py")).expect("credentials JSON");
    let c = |k: &str| creds[k].as_str().expect(k).to_string();
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("config");
    let credentials = dir.path().join("credentials");
    std::fs::write(
        &config,
        "[default]\nregion = us-east-1\n\n[profile audit]\nregion = eu-west-2\noutput = json\n",
    )
    .unwrap();
    std::fs::write(
        &credentials,
        format!(
            "[default]\naws_access_key_id = testing\naws_secret_access_key = testing\n\n[audit]\naws_access_key_id = {}\naws_secret_access_key = {}\naws_session_token = {}\n",
            c("aws_access_key_id"),
            c("aws_secret_access_key"),
            c("aws_session_token")
        ),
    )
    .unwrap();
    let env = vec![
        ("AWS_CONFIG_FILE", s(&config).to_string()),
        ("AWS_SHARED_CREDENTIALS_FILE", s(&credentials).to_string()),
        ("AWS_EC2_METADATA_DISABLED", "true".to_string()),
    ];
    let scan = |extra: &[&str]| {
        let mut args = vec![
            "cloud",
            "aws",
            "--endpoint-url",
            &moto.url,
            "--services",
            "iam,ec2",
            "-f",
            "json",
            "-q",
        ];
        args.extend_from_slice(extra);
        json(&rampart(&args, &env))
    };
    let r = scan(&["--profile", "audit"]);
    assert_eq!(
        r["target"]["name"], "aws:333333333333",
        "{}",
        r["inventory"]["warnings"]
    );
    let resources = r["inventory"]["resources"].as_array().expect("resources");
    let has = |addr: &str| resources.iter().any(|x| x["address"] == addr);
    assert!(has("aws_iam_user.profile-user"));
    assert!(
        !has("aws_iam_user.cnapp-admin"),
        "not the default profile's account"
    );
    let sg = resources
        .iter()
        .find(|x| x["attributes"]["name"] == "profile-sg")
        .expect("the profile region's security group");
    assert_eq!(sg["attributes"]["region"], "eu-west-2");
    let regions: Vec<&str> = r["inventory"]["coverage"]["services"]
        .as_array()
        .expect("coverage")
        .iter()
        .filter_map(|c| c[1].as_str().or_else(|| c["region"].as_str()))
        .collect();
    assert!(regions.contains(&"eu-west-2"), "{regions:?}");
    assert!(!regions.contains(&"us-east-1"), "{regions:?}");

    // The same files without --profile: the default profile, the seeded account in us-east-1.
    let r = scan(&[]);
    assert_eq!(r["target"]["name"], "aws:123456789012");
    assert!(
        r["inventory"]["resources"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["address"] == "aws_iam_user.cnapp-admin")
    );
}

const PLAN: &str = r#"{
  "format_version": "1.2",
  "terraform_version": "1.9.0",
  "planned_values": {"root_module": {"resources": [
    {"address": "aws_s3_bucket.public", "mode": "managed", "type": "aws_s3_bucket", "name": "public",
     "values": {"bucket": "cnapp-public-bucket", "acl": "private", "force_destroy": false}},
    {"address": "aws_s3_bucket.logs", "mode": "managed", "type": "aws_s3_bucket", "name": "logs",
     "values": {"bucket": "cnapp-trail-logs", "acl": "private"}},
    {"address": "aws_s3_bucket.gone", "mode": "managed", "type": "aws_s3_bucket", "name": "gone",
     "values": {"bucket": "cnapp-never-created"}},
    {"address": "aws_iam_role.open", "mode": "managed", "type": "aws_iam_role", "name": "open",
     "values": {"name": "cnapp-open-role"}}
  ]}},
  "resource_changes": [
    {"address": "aws_iam_role.open", "change": {"actions": ["update"], "after_unknown": {"max_session_duration": true}}}
  ]
}"#;

/// `rampart drift --plan FILE`: a plan's planned values against the live account, before and after an
/// out-of-band change; unknown planned values are not drift, and neither are attributes the plan records
/// but the collector does not read (`force_destroy`).
#[test]
fn drift_reads_a_terraform_plan() {
    let Some(moto) = Moto::seeded() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let plan = dir.path().join("plan.json");
    std::fs::write(&plan, PLAN).unwrap();
    let env = aws_env(&moto.url);
    let drift = |extra: &[&str]| {
        let mut args = vec![
            "drift",
            "--plan",
            s(&plan),
            "--live",
            "aws",
            "--endpoint-url",
            &moto.url,
            "-q",
        ];
        args.extend_from_slice(extra);
        rampart(&args, &env)
    };
    let changed = |r: &Value| -> Vec<(String, Vec<String>)> {
        r["drift"]["changed"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c[0].as_str().unwrap().to_string(),
                    c[2].as_array()
                        .unwrap()
                        .iter()
                        .map(|x| x["path"].as_str().unwrap().to_string())
                        .collect(),
                )
            })
            .collect()
    };
    let before = json(&drift(&["-f", "json"]));
    assert_eq!(before["declared"], s(&plan));
    assert_eq!(before["live"], "aws:123456789012");
    assert_eq!(
        changed(&before),
        vec![("aws_s3_bucket.public".to_string(), vec!["acl".to_string()])]
    );
    assert_eq!(
        before["drift"]["only_declared"],
        serde_json::json!(["aws_s3_bucket.gone"])
    );
    let only_live = before["drift"]["only_live"].as_array().unwrap();
    assert!(only_live.iter().any(|a| a == "aws_iam_user.cnapp-admin"));
    assert!(
        !only_live
            .iter()
            .any(|a| a == "aws_iam_role.cnapp-open-role"),
        "the planned role matches the live one by name"
    );

    // Out of band: the log bucket made public; the plan's exit code reports it.
    let script = dir.path().join("oob.py");
    std::fs::write(
        &script,
        "import boto3, os\nboto3.client('s3', endpoint_url=os.environ['AWS_ENDPOINT_URL'], region_name='us-east-1').put_bucket_acl(Bucket='cnapp-trail-logs', ACL='public-read')\n",
    )
    .unwrap();
    moto.python(&script);
    let out = drift(&["--exit-code", "7"]);
    assert_eq!(
        out.status.code(),
        Some(7),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.contains("Changed (2):"), "{table}");
    assert!(
        table.contains("aws_s3_bucket.logs  (live aws_s3_bucket.cnapp-trail-logs)"),
        "{table}"
    );

    // Not a plan: a clear error, not an empty comparison.
    let bogus = dir.path().join("bogus.json");
    std::fs::write(&bogus, r#"{"hello": "world"}"#).unwrap();
    let out = rampart(
        &[
            "drift",
            "--plan",
            s(&bogus),
            "--live",
            "aws",
            "--endpoint-url",
            &moto.url,
            "-q",
        ],
        &env,
    );
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no resources"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
