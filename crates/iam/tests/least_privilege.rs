//! Least privilege from a CloudTrail log file and the seeded account's authorization details.

use rampart_iam::Account;
use rampart_iam::least_privilege::{Options, Usage, least_privilege, records_from_bytes};
use std::io::Write;

fn data(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn usage() -> Usage {
    // CloudTrail delivers gzip files; the fixture is plain JSON, gzipped here.
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(&data("cloudtrail-sample.json")).expect("gzip");
    let gz = e.finish().expect("gzip");
    let records = records_from_bytes(&gz, 1 << 20).expect("records");
    Usage::from_records(&records)
}

fn account() -> Account {
    let text = String::from_utf8(data("seeded-auth-details.json")).expect("utf-8");
    Account::from_json(&text).expect("account")
}

#[test]
fn used_only_policy_per_principal_from_cloudtrail() {
    let u = usage();
    assert_eq!(u.skipped, 3, "console sign-in and two AWS service events");
    assert_eq!(u.malformed, 0);
    let acct = account();
    let lp = least_privilege(&u, Some(&acct), &Options::default());
    let get = |arn: &str| {
        lp.iter()
            .find(|l| l.principal == arn)
            .unwrap_or_else(|| panic!("no result for {arn}"))
    };

    let ci = get("arn:aws:iam::123456789012:user/ci-bot");
    assert_eq!(
        ci.used,
        vec!["lambda:InvokeFunction", "lambda:ListFunctions"]
    );
    let stmts = ci.policy["Statement"].as_array().expect("statements");
    assert!(stmts.iter().any(
        |s| s["Action"] == serde_json::json!(["lambda:InvokeFunction"])
            && s["Resource"]
                == serde_json::json!([
                    "arn:aws:lambda:us-east-1:123456789012:function:build-artifacts"
                ])
    ));
    assert!(stmts.iter().any(
        |s| s["Action"] == serde_json::json!(["lambda:ListFunctions"])
            && s["Resource"] == serde_json::json!(["*"])
    ));
    assert!(ci.in_account);
    assert_eq!(ci.granted, 3, "PassRole, CreateFunction, InvokeFunction");
    assert_eq!(ci.unused, vec!["iam:PassRole", "lambda:CreateFunction"]);

    let app = get("arn:aws:iam::123456789012:role/ec2-app-role");
    assert_eq!(app.used, vec!["secretsmanager:GetSecretValue"]);
    assert_eq!(
        app.denied.get("s3:GetObject"),
        Some(&1),
        "refused calls are not granted"
    );
    assert_eq!(app.unused, vec!["ssm:GetParameters"]);

    let admin = get("arn:aws:iam::123456789012:user/cnapp-admin");
    assert_eq!(
        admin.used,
        vec![
            "cloudwatch:GetMetricData",
            "ec2:DescribeInstances",
            "s3:GetObject",
            "s3:ListAllMyBuckets",
            "s3:ListBucket"
        ]
    );
    let text = admin.policy.to_string();
    assert!(text.contains("arn:aws:s3:::prod-config/app.yaml"));
    assert!(text.contains("\"arn:aws:s3:::prod-config\""));
    assert!(
        admin.unused.contains(&"iam:*".to_string()),
        "an admin's untouched services are listed whole"
    );
    assert!(!admin.unused.contains(&"s3:*".to_string()));
    assert!(admin.unused_count + 5 == admin.granted);

    let partner = get("arn:aws:iam::999988887777:role/partner-readonly");
    assert!(
        !partner.in_account,
        "another account's principal: a policy, no unused list"
    );
    assert!(partner.unused.is_empty());
}

#[test]
fn without_an_account_only_policies() {
    let lp = least_privilege(&usage(), None, &Options::default());
    assert_eq!(lp.len(), 4);
    assert!(lp.iter().all(|l| !l.in_account && l.unused.is_empty()));
}
