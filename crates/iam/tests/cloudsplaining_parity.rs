//! Every finding Cloudsplaining 0.9.1 reports on the seeded account (`cloudsplaining scan -s -t` on
//! `data/seeded-auth-details.json`, recorded by `bench/iam.sh`) has a Rampart counterpart.

use rampart_iam::{Account, Options, analyze, findings};
use std::collections::{BTreeMap, BTreeSet};

/// (principal, Cloudsplaining category) as Cloudsplaining reported them.
const CLOUDSPLAINING: &[(&str, &str)] = &[
    ("role/cnapp-open-role", "AssumableByAnyPrincipal"),
    ("role/cnapp-open-role", "DataExfiltration"),
    ("role/cnapp-open-role", "InfrastructureModification"),
    ("role/cnapp-open-role", "ResourceExposure"),
    ("role/cnapp-open-role", "ServiceWildcard"),
    (
        "role/cross-account-audit",
        "AssumableByCrossAccountPrincipal",
    ),
    ("role/ec2-app-role", "AssumableByComputeServices"),
    ("role/ec2-app-role", "DataExfiltration"),
    ("role/ec2-app-role", "InfrastructureModification"),
    ("role/lambda-admin-role", "AssumableByComputeServices"),
    (
        "role/org-shared-role",
        "AssumableByAnyPrincipalWithConditions",
    ),
    ("role/vendor-role", "AssumableByCrossAccountPrincipal"),
    ("user/bounded-dev", "CredentialsExposure"),
    ("user/bounded-dev", "DataExfiltration"),
    ("user/bounded-dev", "InfrastructureModification"),
    ("user/bounded-dev", "PrivilegeEscalation"),
    ("user/bounded-dev", "ResourceExposure"),
    ("user/bounded-dev", "ServiceWildcard"),
    ("user/ci-bot", "InfrastructureModification"),
    ("user/dev-alice", "DataExfiltration"),
    ("user/dev-alice", "InfrastructureModification"),
    ("user/dev-alice", "PrivilegeEscalation"),
    ("user/dev-alice", "ResourceExposure"),
    ("user/poweruser", "CredentialsExposure"),
    ("user/poweruser", "DataExfiltration"),
    ("user/poweruser", "InfrastructureModification"),
    ("user/poweruser", "PrivilegeEscalation"),
    ("user/poweruser", "ResourceExposure"),
];

fn rampart_rules(category: &str) -> &'static [&'static str] {
    match category {
        "PrivilegeEscalation" => &["iam-privilege-escalation"],
        "DataExfiltration" => &["iam-data-exfiltration"],
        "ResourceExposure" => &["iam-resource-exposure"],
        "CredentialsExposure" => &["iam-credentials-exposure"],
        "InfrastructureModification" => &["iam-infrastructure-modification"],
        "ServiceWildcard" => &["iam-service-wildcard"],
        "AssumableByComputeServices" => &["iam-role-assumable-by-compute-service"],
        "AssumableByCrossAccountPrincipal" => &[
            "iam-role-trust-cross-account",
            "iam-role-trust-cross-account-no-external-id",
        ],
        "AssumableByAnyPrincipal" => &["iam-role-trust-public"],
        "AssumableByAnyPrincipalWithConditions" => &["iam-role-trust-public-conditional"],
        _ => &[],
    }
}

#[test]
fn every_cloudsplaining_finding_has_a_rampart_finding() {
    let v: serde_json::Value =
        serde_json::from_str(include_str!("data/seeded-auth-details.json")).expect("json");
    let a = analyze(
        &Account::from_value(&v).expect("account"),
        &Options::default(),
    );
    let mut have: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for f in findings(&a) {
        let short = f
            .subject
            .splitn(6, ':')
            .last()
            .unwrap_or_default()
            .to_string();
        have.entry(short).or_default().insert(f.rule_id);
    }
    let mut missing = Vec::new();
    for (subject, cat) in CLOUDSPLAINING {
        let rules = have.get(*subject).cloned().unwrap_or_default();
        // An admin-equivalent principal gets one finding that covers every category.
        let covered = rules.contains("iam-admin-equivalent")
            || rampart_rules(cat).iter().any(|r| rules.contains(*r));
        if !covered {
            missing.push(format!("{subject} {cat} (rampart: {rules:?})"));
        }
    }
    assert!(missing.is_empty(), "{missing:#?}");
}
