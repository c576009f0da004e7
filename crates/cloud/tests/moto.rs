//! Against a real moto server: seed an insecure account with the shared `seed.py`, collect it with the SDK
//! and check every insecure resource is reported with the right check.

use rampart_cloud::{AwsOptions, Inventory, collect_blocking, scan};
use rampart_testkit::moto::Moto;
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Instant;

/// Runs `crates/cloud/tests/seed/extra.py` after the shared seed.
fn seed_extra(moto: &Moto) {
    moto.python(&PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/seed/extra.py"));
}

/// SDK options for the server, with its test credentials.
fn options(moto: &Moto) -> AwsOptions {
    AwsOptions {
        region: Some("us-east-1".into()),
        endpoint_url: Some(moto.url.clone()),
        static_credentials: Some(("testing".into(), "testing".into())),
        ..AwsOptions::default()
    }
}

/// The collector's warnings minus moto's known gap (docs/cloud.md): the SDK speaks CloudWatch only in
/// Smithy RPC v2 CBOR (`POST /service/GraniteServiceVersion20100801/operation/DescribeAlarms`), a route
/// moto 5.2 does not have (it serves CloudWatch's query and JSON 1.0 protocols at `/`); its 404 HTML page
/// fails CBOR decoding with "expected map", so alarms cannot be read from moto.
fn warnings(inv: &Inventory) -> Vec<&rampart_cloud::Warning> {
    inv.warnings
        .iter()
        .filter(|w| !(w.what.starts_with("DescribeAlarms") && w.error.contains("expected map")))
        .collect()
}

fn hits(inv: &Inventory) -> BTreeSet<(String, String)> {
    scan(inv, "aws:test", &[])
        .findings
        .iter()
        .map(|f| (f.rule_id.clone(), f.subject.clone()))
        .collect()
}

#[test]
fn seeded_moto_account_reports_every_insecure_resource() {
    let Some(seed) = rampart_testkit::shared("peers/aws/seed.py") else {
        return;
    };
    let Some(moto) = Moto::start() else { return };
    moto.python(&seed);
    let t = Instant::now();
    let inv = collect_blocking(&options(&moto)).expect("collect");
    eprintln!(
        "collected {} resources in {:?}; warnings: {:#?}",
        inv.resources.len(),
        t.elapsed(),
        inv.warnings
    );
    let found = hits(&inv);
    for (id, target) in &found {
        eprintln!("{id} {target}");
    }
    let sg = inv
        .resources
        .iter()
        .find(|r| r.str("name") == Some("cnapp-ssh-open"))
        .map(|r| r.address.clone())
        .expect("the seeded security group was collected");
    let kms = inv
        .resources
        .iter()
        .find(|r| {
            r.resource_type == "aws_kms_key" && r.str("description") == Some("cnapp-no-rotation")
        })
        .map(|r| r.address.clone())
        .expect("the seeded KMS key was collected");
    let expected = [
        (
            "AWS-S3-001",
            "aws_s3_bucket.cnapp-public-bucket".to_string(),
        ),
        ("AWS-IAM-007", "aws_iam_role.cnapp-open-role".to_string()),
        ("AWS-VPC-001", sg),
        ("AWS-CT-001", "aws_cloudtrail.cnapp-trail".to_string()),
        ("AWS-CT-LIVE-001", "aws_cloudtrail.cnapp-trail".to_string()),
        ("AWS-KMS-001", kms),
        ("AWS-IAM-017", "aws_iam_user.cnapp-admin".to_string()),
        ("AWS-S3-015", "aws_s3_bucket.cnapp-trail-logs".to_string()),
        ("AWS-CT-007", "aws_cloudtrail.cnapp-trail".to_string()),
    ];
    for (id, target) in expected {
        assert!(
            found.contains(&(id.to_string(), target.clone())),
            "missing {id} on {target}"
        );
    }
    assert!(
        found.iter().any(|(_, t)| t == "aws_iam_user.cnapp-admin"),
        "the admin user is reported"
    );
    assert!(warnings(&inv).is_empty(), "warnings: {:?}", inv.warnings);
}

/// Declared buckets (Terraform) against the live account, before and after an out-of-band change.
#[test]
fn drift_shows_an_out_of_band_change() {
    let Some(seed) = rampart_testkit::shared("peers/aws/seed.py") else {
        return;
    };
    let Some(moto) = Moto::start() else { return };
    moto.python(&seed);
    let dir = std::env::temp_dir().join(format!("rampart-cloud-drift-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    std::fs::write(
        dir.join("main.tf"),
        r#"
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
"#,
    )
    .expect("write main.tf");
    let declared = rampart_iac::ResourceSet::new(
        rampart_iac::scan_dir(&dir, &rampart_iac::Options::default()).resources,
    );
    let _ = std::fs::remove_dir_all(&dir);
    let changed_acls = |report: &rampart_iac::drift::DriftReport| -> BTreeSet<String> {
        report
            .changed
            .iter()
            .filter(|(_, _, c)| c.iter().any(|c| c.path == "acl"))
            .map(|(d, _, _)| d.clone())
            .collect()
    };
    let o = options(&moto);
    let before = rampart_cloud::drift(&declared, &collect_blocking(&o).expect("collect"));
    assert_eq!(
        changed_acls(&before),
        BTreeSet::from(["aws_s3_bucket.public".to_string()])
    );
    assert_eq!(before.only_declared, vec!["aws_s3_bucket.gone".to_string()]);
    assert!(
        before
            .only_live
            .iter()
            .any(|a| a == "aws_iam_role.cnapp-open-role"),
        "unmanaged live resources are listed"
    );

    // Out of band: someone makes the log bucket public.
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let conf = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("us-east-1"))
            .endpoint_url(&moto.url)
            .credentials_provider(aws_sdk_s3::config::Credentials::new(
                "testing", "testing", None, None, "test",
            ))
            .load()
            .await;
        let s3 = aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&conf)
                .force_path_style(true)
                .build(),
        );
        s3.put_bucket_acl()
            .bucket("cnapp-trail-logs")
            .acl(aws_sdk_s3::types::BucketCannedAcl::PublicRead)
            .send()
            .await
            .expect("put_bucket_acl");
    });
    let after = rampart_cloud::drift(&declared, &collect_blocking(&o).expect("collect"));
    assert_eq!(
        changed_acls(&after),
        BTreeSet::from([
            "aws_s3_bucket.logs".to_string(),
            "aws_s3_bucket.public".to_string()
        ])
    );
}

/// `fix` plans one call per fixable finding, applies it, and a re-scan no longer reports those findings.
#[test]
fn fix_apply_resolves_the_fixable_findings() {
    let Some(seed) = rampart_testkit::shared("peers/aws/seed.py") else {
        return;
    };
    let Some(moto) = Moto::start() else { return };
    moto.python(&seed);
    seed_extra(&moto);
    let o = options(&moto);
    let inv = collect_blocking(&o).expect("collect");
    let before = scan(&inv, "aws:test", &[]).findings;
    let plan = rampart_cloud::fix::plan(&before, &inv, &[]);
    for a in &plan.actions {
        eprintln!("{} {} -> {}", a.operation(), a.target(), a.cli());
    }
    let ops: BTreeSet<&str> = plan.actions.iter().map(|a| a.operation()).collect();
    assert_eq!(
        ops,
        BTreeSet::from([
            "s3:PutPublicAccessBlock",
            "s3:PutBucketEncryption",
            "kms:EnableKeyRotation",
            "cloudtrail:StartLogging",
            "ec2:EnableEbsEncryptionByDefault",
            "ec2:ModifyInstanceMetadataOptions",
        ])
    );
    let planned: BTreeSet<(String, String)> = plan
        .actions
        .iter()
        .flat_map(|a| {
            a.checks
                .iter()
                .flat_map(|c| a.addresses.iter().map(move |s| (c.clone(), s.clone())))
        })
        .collect();
    assert!(planned.contains(&(
        "AWS-S3-003".to_string(),
        "aws_s3_bucket.cnapp-public-bucket".to_string()
    )));

    // The dry run changed nothing.
    let again = hits(&collect_blocking(&o).expect("collect"));
    assert!(planned.iter().all(|p| again.contains(p)));

    let results = rampart_cloud::fix::apply_blocking(&o, &plan).expect("apply");
    for r in &results {
        assert!(
            r.error.is_none(),
            "{} failed: {:?}",
            r.action.cli(),
            r.error
        );
    }
    let after = hits(&collect_blocking(&o).expect("collect"));
    let still: Vec<_> = planned.intersection(&after).collect();
    assert!(still.is_empty(), "not resolved: {still:?}");
    assert!(
        after.contains(&(
            "AWS-S3-001".to_string(),
            "aws_s3_bucket.cnapp-public-bucket".to_string()
        )),
        "findings without a safe fix stay"
    );
}

/// RDS, Lambda, EKS, CloudWatch, Config and the account's S3 public access block are collected into the
/// same documents the IaC checks read.
#[test]
fn extra_services_are_collected_and_judged() {
    let Some(seed) = rampart_testkit::shared("peers/aws/seed.py") else {
        return;
    };
    let Some(moto) = Moto::start() else { return };
    moto.python(&seed);
    seed_extra(&moto);
    let inv = collect_blocking(&options(&moto)).expect("collect");
    assert!(warnings(&inv).is_empty(), "warnings: {:#?}", inv.warnings);
    let found = hits(&inv);
    let expected = [
        ("AWS-RDS-001", "aws_db_instance.cnapp-public-db"),
        ("AWS-RDS-002", "aws_db_instance.cnapp-public-db"),
        ("AWS-RDS-003", "aws_db_instance.cnapp-public-db"),
        ("AWS-RDS-013", "aws_db_snapshot.cnapp-public-snap"),
        ("AWS-RDS-014", "aws_db_snapshot.cnapp-public-snap"),
        ("AWS-LAMBDA-001", "aws_lambda_function.cnapp-old-fn"),
        ("AWS-LAMBDA-002", "aws_lambda_function.cnapp-old-fn"),
        ("AWS-LAMBDA-003", "aws_lambda_function_url.cnapp-old-fn"),
        (
            "AWS-LAMBDA-010",
            "aws_lambda_permission.cnapp-old-fn-public-invoke",
        ),
        ("AWS-EKS-001", "aws_eks_cluster.cnapp-eks"),
        ("AWS-EKS-003", "aws_eks_cluster.cnapp-eks"),
        ("AWS-EKS-004", "aws_eks_cluster.cnapp-eks"),
        (
            "AWS-CONFIG-001",
            "aws_config_configuration_recorder_status.us-east-1",
        ),
        ("AWS-CW-001", "aws_cloudtrail.cnapp-trail"),
        ("AWS-CT-007", "aws_cloudtrail.cnapp-trail"),
        ("AWS-CT-008", "aws_cloudtrail.cnapp-trail"),
        ("AWS-S3-015", "aws_s3_bucket.cnapp-public-bucket"),
        ("AWS-S3-016", "aws_s3_bucket.cnapp-public-bucket"),
    ];
    let account_pab = inv
        .resources
        .iter()
        .find(|r| r.resource_type == "aws_s3_account_public_access_block")
        .map(|r| r.address.clone())
        .expect("the account public access block was read");
    for (id, target) in expected
        .iter()
        .map(|(i, t)| (*i, t.to_string()))
        .chain([("AWS-S3-014", account_pab)])
    {
        assert!(
            found.contains(&(id.to_string(), target.clone())),
            "missing {id} on {target}"
        );
    }
    assert!(
        inv.resources
            .iter()
            .any(|r| r.resource_type == "aws_cloudwatch_log_metric_filter"),
        "metric filters are collected"
    );
    let cw_003 = (
        "AWS-CW-003".to_string(),
        "aws_cloudtrail.cnapp-trail".to_string(),
    );
    if inv
        .resources
        .iter()
        .any(|r| r.resource_type == "aws_cloudwatch_metric_alarm")
    {
        assert!(
            !found.contains(&cw_003),
            "the root-use filter and alarm satisfy CIS 4.3"
        );
    } else {
        // Alarms unreadable from moto (see `warnings`): CIS 4.3 is unknown, not failed.
        assert!(
            !found.contains(&cw_003),
            "judged on alarms that were not read"
        );
        let report = scan(&inv, "aws:test", &[]);
        assert!(
            report.unknown.iter().any(|u| u.check_id == "AWS-CW-003"
                && u.address == "aws_cloudtrail.cnapp-trail"
                && u.reason.contains("DescribeAlarms us-east-1")),
            "{:#?}",
            report.unknown
        );
    }
    // The secret never enters the document; the finding shows it masked.
    let f = inv
        .resources
        .iter()
        .find(|r| r.address == "aws_lambda_function.cnapp-old-fn")
        .expect("function");
    assert!(!f.attributes.to_string().contains("hunter2hunter2"));
    let report = scan(&inv, "aws:test", &[]);
    let secret = report
        .findings
        .iter()
        .find(|x| x.rule_id == "AWS-LAMBDA-002")
        .expect("secret finding");
    assert!(!format!("{secret:?}").contains("hunter2"));
    // Remediation: three ways, with the resource's names filled in.
    let rds = report
        .findings
        .iter()
        .find(|x| x.rule_id == "AWS-RDS-001")
        .expect("rds finding");
    assert!(rds.remediation.contains("Console: "));
    assert!(
        rds.remediation
            .contains("--db-instance-identifier cnapp-public-db")
    );
    assert!(
        rds.remediation
            .contains("Terraform: publicly_accessible = false")
    );
    assert!(
        report
            .findings
            .iter()
            .all(|f| f.remediation.contains("AWS CLI: "))
    );
}

/// The CloudTrail-from-S3 reader lists, gets and gunzips log files, skipping digests.
#[test]
fn reads_cloudtrail_logs_from_s3() {
    let Some(moto) = Moto::start() else { return };
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let prefix = "AWSLogs/123456789012/CloudTrail/us-east-1/2026/11/27/";
    rt.block_on(async {
        let s3 = test_s3(&moto.url).await;
        s3.create_bucket()
            .bucket("trail-logs")
            .send()
            .await
            .expect("bucket");
        for (key, body) in [
            (
                format!("{prefix}a.json.gz"),
                gz(br#"{"Records":[{"eventName":"ListBuckets"},{"eventName":"GetObject"}]}"#),
            ),
            (
                format!("{prefix}b.json.gz"),
                gz(br#"{"Records":[{"eventName":"PutObject"}]}"#),
            ),
            (
                "AWSLogs/123456789012/CloudTrail-Digest/us-east-1/2026/11/27/d.json.gz".to_string(),
                gz(b"{}"),
            ),
            (format!("{prefix}bad.json.gz"), b"\x1f\x8bnot gzip".to_vec()),
        ] {
            s3.put_object()
                .bucket("trail-logs")
                .key(key)
                .body(body.into())
                .send()
                .await
                .expect("put");
        }
    });
    let logs = rampart_cloud::cloudtrail_s3::read_trail_logs_blocking(
        &options(&moto),
        "trail-logs",
        "AWSLogs/123456789012/",
        rampart_cloud::cloudtrail_s3::ReadLimits::default(),
    )
    .expect("read");
    let keys: Vec<String> = logs.files.iter().map(|f| f.key.clone()).collect();
    assert_eq!(
        keys,
        vec![format!("{prefix}a.json.gz"), format!("{prefix}b.json.gz")]
    );
    let (records, bad) = logs.records();
    assert_eq!(records.len(), 3);
    assert!(bad.is_empty());
    assert_eq!(logs.warnings.len(), 1, "{:?}", logs.warnings);
    assert!(logs.warnings[0].what.ends_with("bad.json.gz"));
}

fn gz(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).expect("write");
    e.finish().expect("finish")
}

async fn test_s3(url: &str) -> aws_sdk_s3::Client {
    let conf = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .endpoint_url(url)
        .credentials_provider(aws_sdk_s3::config::Credentials::new(
            "testing", "testing", None, None, "test",
        ))
        .load()
        .await;
    aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&conf)
            .force_path_style(true)
            .build(),
    )
}

#[test]
fn authorization_details_feed_the_iam_analysis() {
    let Some(seed) = rampart_testkit::shared("peers/aws/seed.py") else {
        return;
    };
    let Some(moto) = Moto::start() else { return };
    moto.python(&seed);
    let t = Instant::now();
    let (doc, warnings) =
        rampart_cloud::authorization_details_blocking(&options(&moto)).expect("fetch");
    eprintln!(
        "authorization details in {:?}; warnings: {warnings:#?}",
        t.elapsed()
    );
    assert!(warnings.is_empty(), "{warnings:#?}");
    // The CLI's shape: documents decoded into objects, every list present.
    let role = doc["RoleDetailList"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["RoleName"] == "cnapp-open-role")
        .expect("cnapp-open-role");
    assert_eq!(
        role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"],
        serde_json::json!({"AWS": "*"})
    );
    assert_eq!(
        role["RolePolicyList"][0]["PolicyDocument"]["Statement"][0]["Action"],
        serde_json::json!(["s3:*", "iam:PassRole"])
    );
    let user = doc["UserDetailList"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["UserName"] == "cnapp-admin")
        .expect("cnapp-admin");
    assert_eq!(user["AccessKeys"].as_array().map(Vec::len), Some(1));
    assert_eq!(user["AccessKeys"][0]["Status"], "Active");
    assert!(
        doc["Policies"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["Arn"] == "arn:aws:iam::aws:policy/AdministratorAccess")
    );

    let account = rampart_iam::Account::from_json(&doc.to_string()).expect("parse");
    assert_eq!(account.account_id, "123456789012");
    assert!(account.roles.iter().any(|r| r.name == "cnapp-open-role"));
    let admin = account
        .users
        .iter()
        .find(|u| u.name == "cnapp-admin")
        .expect("user");
    assert_eq!(admin.access_keys.len(), 1);
    assert!(admin.access_keys[0].active && admin.access_keys[0].created.is_some());
    let analysis = rampart_iam::analyze(&account, &rampart_iam::Options::default());
    let found: BTreeSet<(String, String)> = rampart_iam::findings(&analysis)
        .into_iter()
        .map(|f| (f.rule_id, f.subject))
        .collect();
    let has =
        |rule: &str, subject: &str| found.iter().any(|(r, s)| r == rule && s.ends_with(subject));
    assert!(
        has("iam-role-trust-public", "role/cnapp-open-role"),
        "{found:?}"
    );
    assert!(has("iam-admin-equivalent", "user/cnapp-admin"), "{found:?}");
}

/// Runs a seed script of `tests/seed` directly (its standard output is returned).
fn run_seed(moto: &Moto, script: &str, env: &[(&str, &str)]) -> Vec<u8> {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/seed")
        .join(script);
    let mut cmd =
        std::process::Command::new(rampart_testkit::moto::tools_venv().join("bin/python"));
    cmd.arg(&script);
    for (k, v) in rampart_testkit::moto::aws_env(&moto.url) {
        cmd.env(k, v);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run seed script");
    assert!(
        out.status.success(),
        "{}: {}",
        script.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Runs `tests/seed/scp.py` (an organization whose OU SCP denies IAM changes) and returns the member
/// account's id and credentials.
fn seed_organization(moto: &Moto) -> (String, String, String) {
    let out = run_seed(moto, "scp.py", &[]);
    let v: serde_json::Value = serde_json::from_slice(&out).expect("scp.py prints JSON");
    let s = |k: &str| v[k].as_str().unwrap_or_default().to_string();
    (s("member"), s("key"), s("secret"))
}

#[test]
fn service_control_policies_downgrade_what_they_block() {
    let Some(moto) = Moto::start() else { return };
    let (member, key, secret) = seed_organization(&moto);
    // The member account, reading Organizations through a role in the management account.
    let opts = AwsOptions {
        static_credentials: Some((key, secret)),
        org_role_arn: Some("arn:aws:iam::123456789012:role/OrgReader".into()),
        services: vec!["iam".into(), "organizations".into()],
        ..options(&moto)
    };
    let inv = collect_blocking(&opts).expect("collect");
    assert!(warnings(&inv).is_empty(), "{:#?}", inv.warnings);
    let chain = rampart_cloud::scp::chain(&inv).expect("SCP chain collected");
    assert_eq!(chain.account_id, member);
    let labels: Vec<String> = chain.levels.iter().map(|l| l.label()).collect();
    assert_eq!(labels.len(), 3, "{labels:?}");
    assert!(labels[0].starts_with("root r-") && labels[1].starts_with("OU Prod (ou-"));
    assert_eq!(labels[2], format!("account {member}"));
    let report = scan(&inv, "aws:test", &[]);
    let get = |rule: &str, subject: &str| {
        report
            .findings
            .iter()
            .find(|f| f.rule_id == rule && f.subject == subject)
            .unwrap_or_else(|| panic!("no {rule} on {subject}"))
    };
    let admin = get("AWS-IAM-011", "aws_iam_user.org-admin");
    assert_eq!(admin.severity, rampart_core::Severity::Medium);
    assert!(
        admin.evidence.iter().any(|e| e.label == "limited by SCP"
            && e.detail.contains("SCP DenyIamWrites (p-")
            && e.detail
                .contains("statement NoIamWrites (attached to OU Prod")),
        "{:#?}",
        admin.evidence
    );
    // AdministratorAccess on a group: judged for its member, with the same SCP evidence.
    let group = get("AWS-IAM-011", "aws_iam_group.org-admins");
    assert_eq!(group.severity, rampart_core::Severity::Medium);
    assert!(
        group
            .evidence
            .iter()
            .any(|e| e.label == "limited by SCP" && e.detail.contains("SCP DenyIamWrites (p-"))
            && group
                .evidence
                .iter()
                .any(|e| e.label == "judged for" && e.detail.ends_with("user/group-admin")),
        "{:#?}",
        group.evidence
    );
    let esc = get("AWS-IAM-009", "aws_iam_role.esc-role");
    assert_eq!(esc.severity, rampart_core::Severity::Low);
    assert!(esc.title.ends_with("(blocked by SCP)"), "{}", esc.title);

    // `rampart iam analyze --live`: the chain rides along with the authorization details.
    let (doc, w) = rampart_cloud::authorization_details_blocking(&opts).expect("fetch");
    assert!(w.is_empty(), "{w:#?}");
    assert!(doc["ServiceControlPolicies"]["Levels"].is_array());
    let account = rampart_iam::Account::from_value(&doc).expect("account");
    let a = rampart_iam::analyze(&account, &rampart_iam::Options::default());
    let f = rampart_iam::findings(&a);
    let admin = f
        .iter()
        .find(|f| f.rule_id == "iam-admin-equivalent" && f.subject.ends_with("user/org-admin"))
        .expect("admin finding");
    assert_eq!(admin.severity, rampart_core::Severity::Medium);
    let member = f
        .iter()
        .find(|f| f.rule_id == "iam-admin-equivalent" && f.subject.ends_with("user/group-admin"))
        .expect("group member's admin finding");
    assert_eq!(member.severity, rampart_core::Severity::Medium);
    assert!(
        member
            .evidence
            .iter()
            .any(|e| e.label == "via group" && e.detail.contains("group/org-admins")),
        "{:#?}",
        member.evidence
    );
    let path = f
        .iter()
        .find(|f| {
            f.rule_id == "iam-privilege-escalation-path" && f.subject.ends_with("user/helpdesk")
        })
        .expect("blocked helpdesk path");
    assert_eq!(path.severity, rampart_core::Severity::Low);
    assert!(
        path.evidence
            .iter()
            .any(|e| e.label == "blocked by SCP" && e.detail.contains("DenyIamWrites")),
        "{:#?}",
        path.evidence
    );

    // SCPs disabled in the root: no level applies, nothing is downgraded.
    run_seed(&moto, "scp_disable.py", &[]);
    let inv = collect_blocking(&opts).expect("collect");
    let chain = rampart_cloud::scp::chain(&inv).expect("chain");
    assert!(chain.levels.is_empty() && !chain.applies(), "{chain:?}");
    let report = scan(&inv, "aws:test", &[]);
    assert!(
        report
            .findings
            .iter()
            .any(|f| f.rule_id == "AWS-IAM-011" && f.severity == rampart_core::Severity::High)
    );

    // The management account: SCPs do not apply, nothing is downgraded.
    let mgmt = AwsOptions {
        services: vec!["iam".into(), "organizations".into()],
        ..options(&moto)
    };
    let inv = collect_blocking(&mgmt).expect("collect");
    let chain = rampart_cloud::scp::chain(&inv).expect("chain");
    assert!(chain.is_management_account() && !chain.applies());
    let report = scan(&inv, "aws:test", &[]);
    for subject in ["aws_iam_user.org-admin", "aws_iam_group.org-admins"] {
        let admin = report
            .findings
            .iter()
            .find(|f| f.rule_id == "AWS-IAM-011" && f.subject == subject)
            .expect("admin finding");
        assert_eq!(admin.severity, rampart_core::Severity::High, "{subject}");
    }
}

/// A TCP proxy to `upstream` (`host:port`) that holds every chunk a client sends for `delay`: the
/// round-trip latency of a real AWS endpoint, which moto on localhost lacks. Returns its URL.
fn latency_proxy(upstream: String, delay: std::time::Duration) -> String {
    use std::net::{TcpListener, TcpStream};
    fn pump(mut from: TcpStream, mut to: TcpStream, delay: Option<std::time::Duration>) {
        use std::io::{Read, Write};
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = match from.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            if let Some(d) = delay {
                std::thread::sleep(d);
            }
            if to.write_all(&buf[..n]).is_err() {
                break;
            }
        }
        let _ = to.shutdown(std::net::Shutdown::Write);
    }
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind proxy");
    let addr = listener.local_addr().expect("proxy address");
    std::thread::spawn(move || {
        for client in listener.incoming().flatten() {
            let Ok(server) = TcpStream::connect(&upstream) else {
                continue;
            };
            let (Ok(c2), Ok(s2)) = (client.try_clone(), server.try_clone()) else {
                continue;
            };
            std::thread::spawn(move || pump(client, server, Some(delay)));
            std::thread::spawn(move || pump(s2, c2, None));
        }
    });
    format!("http://{addr}")
}

/// Collects IAM and the authorization details with `concurrency`; checks users keep IAM's order and
/// every key is read; returns both durations.
fn bulk_run(opts: &AwsOptions, n: usize) -> (f64, f64) {
    let t = Instant::now();
    let inv = collect_blocking(opts).expect("collect");
    let collect_time = t.elapsed().as_secs_f64();
    assert!(warnings(&inv).is_empty(), "{:#?}", inv.warnings);
    let users: Vec<&rampart_iac::Resource> = inv
        .resources
        .iter()
        .filter(|r| r.resource_type == "aws_iam_user")
        .collect();
    assert_eq!(users.len(), n);
    let names: Vec<&str> = users.iter().filter_map(|u| u.str("name")).collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted, "users keep IAM's (alphabetical) order");
    for u in &users {
        let keys = u.attributes["access_keys"].as_array().map_or(0, Vec::len);
        assert_eq!(keys, 2, "{}", u.address);
        assert_eq!(
            u.attributes["inline_policy"].as_array().map(Vec::len),
            Some(1)
        );
    }
    let t = Instant::now();
    let (doc, w) = rampart_cloud::authorization_details_blocking(opts).expect("fetch");
    let details_time = t.elapsed().as_secs_f64();
    assert!(w.is_empty(), "{w:#?}");
    let list = doc["UserDetailList"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    assert_eq!(list.len(), n);
    for u in list {
        let keys = u["AccessKeys"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default();
        assert_eq!(keys.len(), 2, "{}", u["UserName"]);
        assert!(keys.iter().all(|k| k["UserName"] == u["UserName"]));
    }
    (collect_time, details_time)
}

/// Per-user IAM calls run concurrently (bounded) and the output keeps the order IAM lists users in.
/// `RAMPART_BULK_USERS` (default 60; the benchmark uses 200) sets the number of users. With `RAMPART_BENCH_LATENCY_MS` set,
/// it also times concurrency 1 against the default through a proxy adding that latency (the numbers in
/// docs/benchmarks.md).
#[test]
fn many_users_are_collected_in_order() {
    let Some(moto) = Moto::start() else { return };
    let n: usize = std::env::var("RAMPART_BULK_USERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(60);
    run_seed(&moto, "many_users.py", &[("USERS", &n.to_string())]);
    let opts = AwsOptions {
        services: vec!["iam".into()],
        ..options(&moto)
    };
    let mut runs = vec![("moto direct", opts.clone())];
    if let Some(ms) = std::env::var("RAMPART_BENCH_LATENCY_MS")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
    {
        let upstream = moto.url.trim_start_matches("http://").to_string();
        let url = latency_proxy(upstream, std::time::Duration::from_millis(ms));
        runs.insert(
            0,
            (
                "moto direct, sequential",
                AwsOptions {
                    concurrency: 1,
                    ..opts.clone()
                },
            ),
        );
        for c in [1, AwsOptions::default().concurrency] {
            runs.push((
                if c == 1 {
                    "with latency, sequential"
                } else {
                    "with latency, concurrent"
                },
                AwsOptions {
                    endpoint_url: Some(url.clone()),
                    concurrency: c,
                    ..opts.clone()
                },
            ));
        }
    }
    for (what, o) in &runs {
        let (c, d) = bulk_run(o, n);
        eprintln!(
            "{n} users, {what} (concurrency {}): collect (iam) {c:.2} s, authorization details {d:.2} s",
            o.concurrency
        );
    }
}

/// The live checks that close Prowler gaps: unused security groups, the AWS Support and SecurityAudit
/// roles (CIS 1.17), Bedrock data events in trails.
#[test]
fn prowler_gap_checks_pass_and_fail_on_moto() {
    let Some(moto) = Moto::start() else { return };
    run_seed(&moto, "parity.py", &[("PHASE", "1")]);
    let opts = AwsOptions {
        services: vec!["iam".into(), "ec2".into(), "cloudtrail".into()],
        ..options(&moto)
    };
    let inv = collect_blocking(&opts).expect("collect");
    assert!(warnings(&inv).is_empty(), "{:#?}", inv.warnings);
    let found = hits(&inv);
    let sg = |name: &str| {
        inv.resources
            .iter()
            .find(|r| r.resource_type == "aws_security_group" && r.str("name") == Some(name))
            .map(|r| r.address.clone())
            .unwrap_or_else(|| panic!("{name} collected"))
    };
    let has = |rule: &str, subject: &str| found.contains(&(rule.to_string(), subject.to_string()));
    assert!(has("AWS-VPC-LIVE-001", &sg("cnapp-unused-sg")), "{found:?}");
    assert!(!has("AWS-VPC-LIVE-001", &sg("cnapp-used-sg")), "{found:?}");
    assert!(
        !has("AWS-VPC-LIVE-001", &sg("cnapp-referenced-sg")),
        "{found:?}"
    );
    assert!(
        !found
            .iter()
            .any(|(r, s)| r == "AWS-VPC-LIVE-001" && s.starts_with("aws_default_security_group")),
        "default groups are not reported: {found:?}"
    );
    assert!(
        has("AWS-CT-LIVE-002", "aws_cloudtrail.plain-trail"),
        "{found:?}"
    );
    assert!(
        !has("AWS-CT-LIVE-002", "aws_cloudtrail.bedrock-trail"),
        "{found:?}"
    );
    assert!(
        has("AWS-IAM-LIVE-001", "aws_iam_account.account"),
        "{found:?}"
    );
    assert!(
        has("AWS-IAM-LIVE-002", "aws_iam_account.account"),
        "{found:?}"
    );

    run_seed(&moto, "parity.py", &[("PHASE", "2")]);
    let inv = collect_blocking(&opts).expect("collect");
    let found = hits(&inv);
    assert!(
        !found.iter().any(|(r, _)| r.starts_with("AWS-IAM-LIVE-")),
        "{found:?}"
    );
    let account = inv
        .resources
        .iter()
        .find(|r| r.resource_type == "aws_iam_account")
        .expect("account");
    assert_eq!(
        account.attributes["support_roles"],
        serde_json::json!(["aws-support"])
    );
    assert_eq!(
        account.attributes["security_audit_roles"],
        serde_json::json!(["security-audit"])
    );
}

/// The resource of `resource_type` whose `key` attribute is `value`.
fn find<'a>(
    inv: &'a Inventory,
    resource_type: &str,
    key: &str,
    value: &str,
) -> &'a rampart_iac::Resource {
    inv.resources
        .iter()
        .find(|r| r.resource_type == resource_type && r.str(key) == Some(value))
        .unwrap_or_else(|| panic!("no {resource_type} with {key} = {value}"))
}

/// The credential report (GenerateCredentialReport + GetCredentialReport), the account summary and
/// every policy version are collected into the documents the CIS IAM checks read. moto's report has no
/// `<root_account>` row and dates every credential "now"; the 45/90-day checks are judged again on the
/// same documents as of a later date.
#[test]
fn credential_report_account_summary_and_policy_versions() {
    let Some(moto) = Moto::seeded() else { return };
    let ids = run_seed(&moto, "iam_ec2.py", &[]);
    assert!(!ids.is_empty());
    let opts = AwsOptions {
        services: vec!["iam".into()],
        ..options(&moto)
    };
    let mut inv = collect_blocking(&opts).expect("collect");
    assert!(warnings(&inv).is_empty(), "{:#?}", inv.warnings);

    let console = find(&inv, "aws_iam_user", "name", "cnapp-console");
    let row = &console.attributes["credential_report"];
    assert_eq!(row["password_enabled"], true, "{row}");
    assert_eq!(row["mfa_active"], false);
    assert_eq!(row["access_keys"][0]["active"], true);
    assert!(row["access_keys"][0]["last_rotated"].is_string(), "{row}");
    assert_eq!(row["access_keys"][1]["active"], false);
    assert!(row["as_of"].as_str().is_some_and(|s| s.len() >= 20));
    let admin = find(&inv, "aws_iam_user", "name", "cnapp-admin");
    assert_eq!(
        admin.attributes["credential_report"]["password_enabled"],
        false
    );

    let account = inv
        .resources
        .iter()
        .find(|r| r.address == "aws_iam_account.account")
        .expect("aws_iam_account.account");
    // moto: AccountMFAEnabled and AccountAccessKeysPresent are always 0; no root row in the report.
    assert_eq!(account.attributes["account_mfa_enabled"], false);
    assert_eq!(account.attributes["account_access_keys_present"], false);
    assert!(account.attributes["summary"]["Users"].as_i64() >= Some(2));
    assert!(account.attributes["root_credentials"].is_null());

    let versioned = find(&inv, "aws_iam_policy", "name", "cnapp-versioned");
    let versions = versioned.attributes["versions"]
        .as_array()
        .expect("versions");
    assert_eq!(versions.len(), 2, "{versions:?}");
    let v1 = versions
        .iter()
        .find(|v| v["version_id"] == "v1")
        .expect("v1");
    assert_eq!(v1["is_default"], false);
    assert!(v1["policy"].as_str().is_some_and(|p| p.contains("\"*\"")));

    let report = scan(&inv, "aws:test", &[]);
    let found: BTreeSet<(String, String)> = report
        .findings
        .iter()
        .map(|f| (f.rule_id.clone(), f.subject.clone()))
        .collect();
    let has = |rule: &str, subject: &str| found.contains(&(rule.to_string(), subject.to_string()));
    assert!(has("AWS-IAM-019", "aws_iam_account.account"), "{found:?}");
    assert!(!has("AWS-IAM-018", "aws_iam_account.account"), "{found:?}");
    assert!(
        has("AWS-IAM-023", "aws_iam_policy.cnapp-versioned"),
        "{found:?}"
    );
    assert!(
        !has("AWS-IAM-023", "aws_iam_policy.cnapp-clean"),
        "{found:?}"
    );
    // Fresh credentials pass; root use is unknown without the report's root row.
    for user in ["aws_iam_user.cnapp-console", "aws_iam_user.cnapp-admin"] {
        assert!(!has("AWS-IAM-021", user), "{found:?}");
        assert!(!has("AWS-IAM-022", user), "{found:?}");
    }
    assert!(
        report
            .unknown
            .iter()
            .any(|u| u.check_id == "AWS-IAM-020" && u.address == "aws_iam_account.account"),
        "{:#?}",
        report.unknown
    );

    // The same documents judged as of 2099: every never-used credential is stale.
    for r in inv
        .resources
        .iter_mut()
        .filter(|r| r.resource_type == "aws_iam_user")
    {
        if let Some(row) = r.attributes["credential_report"].as_object_mut() {
            row.insert("as_of".into(), "2099-01-01T00:00:00Z".into());
        }
    }
    let later = scan(&inv, "aws:test", &[]);
    let finding = |rule: &str, subject: &str| {
        later
            .findings
            .iter()
            .find(|f| f.rule_id == rule && f.subject == subject)
            .unwrap_or_else(|| panic!("no {rule} on {subject}"))
    };
    let unused = finding("AWS-IAM-021", "aws_iam_user.cnapp-console");
    let text = format!("{unused:?}");
    assert!(text.contains("console password never used"), "{text}");
    assert!(text.contains("access key 1 never used"), "{text}");
    finding("AWS-IAM-021", "aws_iam_user.cnapp-admin");
    finding("AWS-IAM-022", "aws_iam_user.cnapp-admin");
    finding("AWS-IAM-022", "aws_iam_user.cnapp-console");
}

/// Public snapshots and AMIs, network ACLs and unencrypted volumes, seeded in moto, fail the right
/// checks; their private or encrypted twins pass.
#[test]
fn ec2_snapshots_amis_network_acls_and_volumes() {
    let Some(moto) = Moto::start() else { return };
    let out = run_seed(&moto, "iam_ec2.py", &[]);
    let ids: serde_json::Value = serde_json::from_slice(&out).expect("iam_ec2.py prints JSON");
    let id = |k: &str| ids[k].as_str().expect(k).to_string();
    let opts = AwsOptions {
        services: vec!["ec2".into()],
        ..options(&moto)
    };
    let inv = collect_blocking(&opts).expect("collect");
    assert!(warnings(&inv).is_empty(), "{:#?}", inv.warnings);
    let found = hits(&inv);
    let has = |rule: &str, t: &str, k: &str| {
        found.contains(&(rule.to_string(), format!("{t}.{}", id(k))))
    };
    assert!(
        has("AWS-EBS-001", "aws_ebs_volume", "plain_volume"),
        "{found:?}"
    );
    assert!(
        !has("AWS-EBS-001", "aws_ebs_volume", "encrypted_volume"),
        "{found:?}"
    );
    assert!(
        has("AWS-EBS-004", "aws_ebs_snapshot", "public_snapshot"),
        "{found:?}"
    );
    assert!(
        has("AWS-EBS-005", "aws_ebs_snapshot", "public_snapshot"),
        "{found:?}"
    );
    assert!(
        !has("AWS-EBS-004", "aws_ebs_snapshot", "private_snapshot"),
        "{found:?}"
    );
    assert!(
        !has("AWS-EBS-005", "aws_ebs_snapshot", "private_snapshot"),
        "{found:?}"
    );
    assert!(has("AWS-EC2-008", "aws_ami", "public_ami"), "{found:?}");
    assert!(!has("AWS-EC2-008", "aws_ami", "private_ami"), "{found:?}");
    assert!(has("AWS-VPC-012", "aws_network_acl", "acl"), "{found:?}");
    assert!(has("AWS-VPC-013", "aws_network_acl", "acl"), "{found:?}");
    let acl = inv
        .resources
        .iter()
        .find(|r| r.address == format!("aws_network_acl.{}", id("acl")))
        .expect("acl");
    assert_eq!(acl.attributes["ingress"][0]["from_port"], 22, "{acl:?}");
    // The remediation names the snapshot and its region.
    let report = scan(&inv, "aws:test", &[]);
    let f = report
        .findings
        .iter()
        .find(|f| f.rule_id == "AWS-EBS-004")
        .expect("public snapshot finding");
    assert!(
        f.remediation
            .contains(&format!("--snapshot-id {} ", id("public_snapshot")))
            && f.remediation.contains("--region us-east-1"),
        "{}",
        f.remediation
    );
}

/// `--role-arn`: the scan runs with the assumed role's credentials, so it reads the role's account
/// (moto switches accounts on AssumeRole) and not the caller's.
#[test]
fn role_arn_scans_as_the_assumed_role() {
    let Some(moto) = Moto::seeded() else { return };
    run_seed(&moto, "accounts.py", &[]);
    let opts = AwsOptions {
        services: vec!["iam".into()],
        role_arn: Some("arn:aws:iam::222222222222:role/rampart-audit".into()),
        ..options(&moto)
    };
    let inv = collect_blocking(&opts).expect("collect");
    assert!(warnings(&inv).is_empty(), "{:#?}", inv.warnings);
    let users: Vec<(&str, &str)> = inv
        .resources
        .iter()
        .filter(|r| r.resource_type == "aws_iam_user")
        .map(|r| {
            (
                r.str("name").unwrap_or_default(),
                r.str("arn").unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        users,
        vec![(
            "member-auditor",
            "arn:aws:iam::222222222222:user/member-auditor"
        )]
    );
    // Without the role: the caller's own account.
    let own = collect_blocking(&AwsOptions {
        role_arn: None,
        ..opts
    })
    .expect("collect");
    assert!(
        own.resources
            .iter()
            .any(|r| r.address == "aws_iam_user.cnapp-admin")
    );
    assert!(
        !own.resources
            .iter()
            .any(|r| r.address == "aws_iam_user.member-auditor")
    );
}

/// `--all-regions`: DescribeRegions, then the regional services in each; resources seeded in two
/// regions are both reported, each with its region.
#[test]
fn all_regions_reads_every_region() {
    let Some(moto) = Moto::start() else { return };
    run_seed(&moto, "accounts.py", &[]);
    let opts = AwsOptions {
        services: vec!["ec2".into()],
        ..options(&moto)
    };
    let home = collect_blocking(&opts).expect("collect");
    let sg = |inv: &Inventory, name: &str| {
        inv.resources
            .iter()
            .find(|r| r.resource_type == "aws_security_group" && r.str("name") == Some(name))
            .and_then(|r| r.str("region").map(str::to_string))
    };
    assert_eq!(sg(&home, "cnapp-us-sg").as_deref(), Some("us-east-1"));
    assert_eq!(
        sg(&home, "cnapp-eu-sg"),
        None,
        "one region without --all-regions"
    );
    let all = collect_blocking(&AwsOptions {
        all_regions: true,
        ..opts
    })
    .expect("collect");
    assert!(warnings(&all).is_empty(), "{:#?}", all.warnings);
    assert_eq!(sg(&all, "cnapp-us-sg").as_deref(), Some("us-east-1"));
    assert_eq!(sg(&all, "cnapp-eu-sg").as_deref(), Some("eu-west-1"));
    let regions: BTreeSet<&str> = all
        .coverage
        .services
        .iter()
        .filter(|(s, _, _)| s == "ec2")
        .map(|(_, r, _)| r.as_str())
        .collect();
    assert!(
        regions.contains("us-east-1") && regions.contains("eu-west-1") && regions.len() > 2,
        "{regions:?}"
    );
    let found = hits(&all);
    assert!(
        found.iter().any(|(r, s)| r == "AWS-VPC-LIVE-001"
            && all
                .resources
                .iter()
                .any(|x| x.address == *s && x.str("name") == Some("cnapp-eu-sg"))),
        "the eu-west-1 group is judged: {found:?}"
    );
}
