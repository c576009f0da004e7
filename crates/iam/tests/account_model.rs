//! Reading authorization details: encodings, boundaries, malformed entries, unused credentials, scale.

use rampart_iam::analysis::trust::TrustKind;
use rampart_iam::{Account, Options, analyze, findings, synthetic};
use serde_json::json;

fn opts() -> Options {
    Options {
        now: "2025-01-01T00:00:00Z".parse().ok(),
        ..Options::default()
    }
}

const ADMIN_DOC: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;

#[test]
fn url_encoded_trust_policy_and_permission_boundary() {
    let trust = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Principal%22%3A%7B%22AWS%22%3A%22arn%3Aaws%3Aiam%3A%3A999999999999%3Aroot%22%7D%2C%22Action%22%3A%22sts%3AAssumeRole%22%7D%5D%7D";
    let v = json!({
        "UserDetailList": [{"UserName": "capped", "Arn": "arn:aws:iam::111122223333:user/capped",
            "UserPolicyList": [{"PolicyName": "all", "PolicyDocument": ADMIN_DOC}],
            "PermissionsBoundary": {"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": "arn:aws:iam::111122223333:policy/s3-only"}}],
        "RoleDetailList": [{"RoleName": "r", "Arn": "arn:aws:iam::111122223333:role/r", "AssumeRolePolicyDocument": trust,
            "RoleLastUsed": {"LastUsedDate": "2024-12-30T10:00:00Z"}, "CreateDate": "2020-01-01T00:00:00Z"}],
        "Policies": [{"PolicyName": "s3-only", "Arn": "arn:aws:iam::111122223333:policy/s3-only", "DefaultVersionId": "v1",
            "PolicyVersionList": [{"VersionId": "v1", "IsDefaultVersion": true,
                "Document": "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22s3%3A%2A%22%2C%22Resource%22%3A%22%2A%22%7D%7D"}]}]
    });
    let account = Account::from_value(&v).expect("account");
    assert!(account.warnings.is_empty(), "{:?}", account.warnings);
    let a = analyze(&account, &opts());
    let capped = &a.principals[0];
    assert!(!capped.admin, "the boundary caps the inline *:*");
    assert!(
        capped
            .risks
            .contains_key(&rampart_iam::analysis::risk::RiskCategory::DataExfiltration)
    );
    assert!(
        matches!(&a.trusts[0].kind, TrustKind::CrossAccount { account, external_id: false } if account == "999999999999")
    );
    assert!(a.unused.is_empty(), "the role was used two days ago");
}

#[test]
fn malformed_entries_become_warnings_naming_the_policy() {
    let v = json!({
        "UserDetailList": [{"UserName": "no-arn"}, 7,
            {"UserName": "u", "Arn": "arn:aws:iam::111122223333:user/u",
             "UserPolicyList": [{"PolicyName": "broken", "PolicyDocument": "{not json"},
                                {"PolicyName": "odd", "PolicyDocument": {"Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "*",
                                    "Condition": {"StringMaybe": {"a": "b"}}}}}],
             "AttachedManagedPolicies": [{"PolicyArn": "arn:aws:iam::111122223333:policy/missing"}]}],
        "RoleDetailList": "not a list"
    });
    let account = Account::from_value(&v).expect("account");
    let a = analyze(&account, &opts());
    let text: Vec<String> = a
        .warnings
        .iter()
        .map(|w| format!("{}: {}", w.policy, w.message))
        .collect();
    let all = text.join("\n");
    assert!(all.contains("user/u#broken: not JSON"), "{all}");
    assert!(
        all.contains("user/u#odd: statement #0: unknown condition operator StringMaybe"),
        "{all}"
    );
    assert!(all.contains("policy/missing: attached to user"), "{all}");
    assert!(all.contains("no-arn"), "{all}");
    // The unknown operator never grants.
    assert!(a.principals[0].risks.is_empty());
    assert!(Account::from_json("[1,2]").is_err());
    assert!(Account::from_json("{").is_err());
}

#[test]
fn unused_roles_and_keys() {
    let v = json!({
        "UserDetailList": [{"UserName": "k", "Arn": "arn:aws:iam::111122223333:user/k",
            "AccessKeys": [{"AccessKeyId": "AKIAOLD", "Status": "Active", "CreateDate": "2023-01-01T00:00:00Z", "LastUsedDate": "2024-06-01T00:00:00Z"},
                           {"AccessKeyId": "AKIAOFF", "Status": "Inactive", "CreateDate": "2020-01-01T00:00:00Z"},
                           {"AccessKeyId": "AKIANEW", "Status": "Active", "CreateDate": "2024-12-20T00:00:00Z"}]}],
        "RoleDetailList": [
            {"RoleName": "never", "Arn": "arn:aws:iam::111122223333:role/never", "CreateDate": "2024-01-01T00:00:00Z", "RoleLastUsed": {}},
            {"RoleName": "fresh", "Arn": "arn:aws:iam::111122223333:role/fresh", "CreateDate": "2024-12-01T00:00:00Z", "RoleLastUsed": {}},
            {"RoleName": "slr", "Path": "/aws-service-role/x/", "Arn": "arn:aws:iam::111122223333:role/aws-service-role/x/slr", "CreateDate": "2020-01-01T00:00:00Z"}]
    });
    let a = analyze(&Account::from_value(&v).expect("account"), &opts());
    let f = findings(&a);
    let got: Vec<(String, String)> = f
        .iter()
        .filter(|f| f.rule_id.starts_with("iam-unused"))
        .map(|f| (f.rule_id.clone(), f.title.clone()))
        .collect();
    assert_eq!(got.len(), 2, "{got:?}");
    assert!(got.iter().any(|(r, t)| r == "iam-unused-access-key"
        && t.contains("AKIAOLD")
        && t.contains("214 days")));
    assert!(
        got.iter()
            .any(|(r, t)| r == "iam-unused-role" && t.contains("366 days"))
    );
}

/// 200 roles / 600 policies with assume-role rings in a debug build; the full 1,000 / 3,000 account is the
/// criterion bench `analyze` (release, < 2 s).
#[test]
fn synthetic_account_with_cycles_is_analysed() {
    let shape = synthetic::Shape {
        roles: 200,
        policies: 600,
        users: 50,
        ring: 10,
    };
    let v = synthetic::account(&shape);
    let account = Account::from_value(&v).expect("account");
    assert_eq!(account.roles.len(), 200);
    let start = std::time::Instant::now();
    let a = analyze(&account, &opts());
    assert!(start.elapsed().as_secs() < 60);
    assert!(!a.escalations.is_empty());
    // Every path is finite and ends in admin access.
    for p in &a.escalations {
        assert!(p.hops.len() <= 200);
        assert!(
            p.hops.last().is_some_and(|h| h.to.starts_with("admin")),
            "{p}"
        );
    }
}

/// A complete assume-role graph (every role may assume every other: n² edges, countless cycles) is
/// searched in polynomial time, and the one admin role is reached in at most two hops from anywhere.
#[test]
fn dense_assume_role_cycles_stay_polynomial() {
    let n = 120;
    let roles: Vec<serde_json::Value> = (0..n)
        .map(|i| {
            let mut inline = vec![json!({"PolicyName": "hop", "PolicyDocument": {"Version": "2012-10-17",
                "Statement": {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "arn:aws:iam::111122223333:role/*"}}})];
            if i == n - 1 {
                inline.push(json!({"PolicyName": "admin", "PolicyDocument": ADMIN_DOC}));
            }
            json!({"RoleName": format!("r{i}"), "Arn": format!("arn:aws:iam::111122223333:role/r{i}"),
                   "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": {"Effect": "Allow",
                       "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "sts:AssumeRole"}},
                   "RolePolicyList": inline})
        })
        .collect();
    let account = Account::from_value(&json!({"RoleDetailList": roles})).expect("account");
    let start = std::time::Instant::now();
    let a = analyze(&account, &opts());
    assert!(start.elapsed().as_secs() < 30, "{:?}", start.elapsed());
    assert_eq!(a.escalations.len(), n - 1);
    assert!(a.escalations.iter().all(|p| p.hops.len() == 2));
}
