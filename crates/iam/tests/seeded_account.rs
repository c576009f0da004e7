//! End-to-end analysis of a moto account seeded by `../shared/peers/aws/seed.py` and `data/seed_iam.py`
//! (captured to `data/seeded-auth-details.json`).

use rampart_iam::analysis::escalation::EscalationPath;
use rampart_iam::{Account, Analysis, Options, analyze, findings};
use std::collections::BTreeSet;

const ACCT: &str = "arn:aws:iam::123456789012";

fn load() -> serde_json::Value {
    let text = include_str!("data/seeded-auth-details.json");
    serde_json::from_str(text).expect("captured file is JSON")
}

fn run(v: &serde_json::Value) -> Analysis {
    let account = Account::from_value(v).expect("account");
    let opts = Options {
        now: "2027-06-01T00:00:00Z".parse().ok(),
        ..Options::default()
    };
    analyze(&account, &opts)
}

fn rules_for(a: &Analysis, subject: &str) -> BTreeSet<String> {
    findings(a)
        .into_iter()
        .filter(|f| f.subject == subject)
        .map(|f| f.rule_id)
        .collect()
}

fn path<'a>(a: &'a Analysis, start: &str) -> &'a EscalationPath {
    a.escalations
        .iter()
        .find(|p| p.start == start)
        .unwrap_or_else(|| panic!("no escalation path for {start}: {}", a.render_paths()))
}

fn techniques(p: &EscalationPath) -> Vec<&str> {
    p.hops.iter().map(|h| h.technique.as_str()).collect()
}

#[test]
fn role_trusting_any_aws_principal_is_reported_critical() {
    let a = run(&load());
    let role = format!("{ACCT}:role/cnapp-open-role");
    let f = findings(&a);
    let public = f
        .iter()
        .find(|f| f.rule_id == "iam-role-trust-public" && f.subject == role)
        .expect("public trust finding");
    assert_eq!(public.severity, rampart_core::Severity::Critical);
    assert!(rules_for(&a, &role).contains("iam-admin-equivalent"));
    // Anyone outside the account becomes admin through it.
    let outside = f
        .iter()
        .find(|f| f.rule_id == "iam-external-escalation-path" && f.subject == role)
        .expect("external escalation path");
    assert_eq!(outside.severity, rampart_core::Severity::Critical);
    assert!(
        outside.evidence[0]
            .detail
            .starts_with("anyone (Principal \"*\") -> ")
    );
    // The org-restricted public trust is no way in for outsiders.
    let org = format!("{ACCT}:role/org-shared-role");
    assert!(
        !f.iter()
            .any(|f| f.rule_id == "iam-external-escalation-path" && f.subject == org)
    );
    // The cross-account role without ExternalId is a way in too (via the open role).
    let cross = a
        .escalations
        .iter()
        .find(|p| p.external && p.start.contains("999988887777"))
        .expect("cross-account entry");
    assert_eq!(cross.hops.len(), 3);
    // Everyone in the account can become admin through it in two hops.
    let p = path(&a, &format!("{ACCT}:user/intern"));
    assert_eq!(techniques(p), ["AssumeRole", "AdminEquivalent"]);
    assert_eq!(p.hops[0].to, role);
}

#[test]
fn seeded_account_findings() {
    let a = run(&load());
    assert_eq!(a.account_id, "123456789012");
    let admin = |n: &str| rules_for(&a, &format!("{ACCT}:{n}"));
    assert!(admin("user/cnapp-admin").contains("iam-admin-equivalent"));
    assert!(admin("role/lambda-admin-role").contains("iam-admin-equivalent"));
    assert!(admin("role/lambda-admin-role").contains("iam-role-assumable-by-compute-service"));
    let alice = admin("user/dev-alice");
    for r in [
        "iam-privilege-escalation",
        "iam-data-exfiltration",
        "iam-resource-exposure",
    ] {
        assert!(alice.contains(r), "{r} missing for dev-alice: {alice:?}");
    }
    assert!(
        admin("role/cross-account-audit").contains("iam-role-trust-cross-account-no-external-id")
    );
    assert!(admin("role/vendor-role").contains("iam-role-trust-cross-account"));
    assert!(!admin("role/vendor-role").contains("iam-role-trust-cross-account-no-external-id"));
    assert!(admin("role/org-shared-role").contains("iam-role-trust-public-conditional"));
    assert!(admin("role/ec2-app-role").contains("iam-data-exfiltration"));
    let power = admin("user/poweruser");
    assert!(power.contains("iam-credentials-exposure") && !power.contains("iam-admin-equivalent"));
    // Roles were created in 2026 and never used; "now" is 2027-06-01.
    assert!(admin("role/hop-a").contains("iam-unused-role"));
    assert!(admin("user/cnapp-admin").contains("iam-unused-access-key"));
    let cis = findings(&a)
        .into_iter()
        .find(|f| f.rule_id == "iam-admin-equivalent" && f.subject.ends_with("user/cnapp-admin"))
        .expect("admin finding");
    assert!(cis.controls.iter().any(|c| c.id == "1.16"));
    assert!(a.warnings.is_empty(), "{:?}", a.warnings);
}

/// Without the wide-open role the other routes show: each path names every hop and its permission.
#[test]
fn escalation_paths_without_the_open_role() {
    let mut v = load();
    if let Some(roles) = v["RoleDetailList"].as_array_mut() {
        roles.retain(|r| r["RoleName"] != "cnapp-open-role");
    }
    let a = run(&v);
    let ci = path(&a, &format!("{ACCT}:user/ci-bot"));
    assert_eq!(techniques(ci), ["PassRole+Lambda", "AdminEquivalent"]);
    assert!(ci.hops[0].permission.contains("lambda:InvokeFunction"));
    assert_eq!(ci.hops[0].to, format!("{ACCT}:role/lambda-admin-role"));

    let help = path(&a, &format!("{ACCT}:user/helpdesk"));
    assert_eq!(techniques(help), ["CreateAccessKey", "AdminEquivalent"]);

    let intern = path(&a, &format!("{ACCT}:user/intern"));
    assert_eq!(
        techniques(intern),
        ["AssumeRole", "AssumeRole", "AttachRolePolicy"]
    );
    assert_eq!(intern.hops[1].to, format!("{ACCT}:role/hop-b"));

    let auditor = path(&a, &format!("{ACCT}:user/auditor"));
    assert_eq!(techniques(auditor), ["SetDefaultPolicyVersion"]);

    let power = path(&a, &format!("{ACCT}:user/poweruser"));
    assert_eq!(techniques(power)[0], "AssumeRole");

    // dev-alice may rewrite any customer policy but no policy applies to her: a risk, not a path.
    assert!(
        a.escalations
            .iter()
            .all(|p| !p.start.ends_with("user/dev-alice"))
    );
    let rendered = a.render_paths();
    assert!(
        rendered.contains("--[PassRole+Lambda: iam:PassRole on"),
        "{rendered}"
    );
}

/// An SCP denying IAM changes takes admin-equivalence and the IAM-based routes away.
#[test]
fn service_control_policies_limit_the_analysis() {
    let account = Account::from_value(&load()).expect("account");
    let deny_iam = rampart_iam::Policy::parse(
        "scp-deny-iam",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},
            {"Effect":"Deny","Action":["iam:Create*","iam:Attach*","iam:Put*","iam:Set*","iam:Update*"],"Resource":"*"}]}"#,
    )
    .policy;
    let opts = Options {
        scps: Some(one_level(deny_iam)),
        ..Options::default()
    };
    let a = analyze(&account, &opts);
    let admin = a
        .principals
        .iter()
        .find(|p| p.name == "cnapp-admin")
        .expect("user");
    assert!(!admin.admin);
    assert!(
        a.escalations
            .iter()
            .all(|p| !p.start.ends_with("user/helpdesk"))
    );
    assert!(
        a.escalations
            .iter()
            .all(|p| !p.start.ends_with("user/auditor"))
    );
}

/// A chain of one root level holding `p`.
fn one_level(p: rampart_iam::Policy) -> rampart_iam::ScpChain {
    rampart_iam::ScpChain {
        account_id: "123456789012".into(),
        management_account_id: None,
        levels: vec![rampart_iam::ScpLevel {
            target_id: "r-test".into(),
            name: None,
            kind: rampart_iam::TargetKind::Root,
            policies: vec![p],
        }],
    }
}
