//! KMS keys: rotation and key policies.

use super::policy::{self, Doc};
use super::{Fact, require_true, str_at};
use crate::checks::Check;
use crate::resource::{Attr, Outcome, Resource, ResourceSet};

fn rotation(r: &Resource, s: &ResourceSet) -> Outcome {
    // Rotation applies to symmetric encryption keys only.
    match str_at(r, "customer_master_key_spec") {
        Fact::Known(spec) if spec != "SYMMETRIC_DEFAULT" => return Outcome::Pass,
        Fact::Unknown => return Outcome::unknown("customer_master_key_spec"),
        _ => {}
    }
    let _ = s;
    require_true(
        r,
        "enable_key_rotation",
        false,
        "enable_key_rotation is not true",
    )
}

fn public_policy(r: &Resource, _: &ResourceSet) -> Outcome {
    match policy::parse(r.get("policy").known()) {
        Doc::Parsed(stmts) => {
            let mut unknown = false;
            for s in &stmts {
                match policy::is_public(s) {
                    Some(true) => {
                        return Outcome::fail(
                            "key policy allows Principal \"*\" without a condition",
                        );
                    }
                    None => unknown = true,
                    _ => {}
                }
            }
            if unknown {
                Outcome::unknown("policy principal")
            } else {
                Outcome::Pass
            }
        }
        Doc::Unknown if r.get("policy") == Attr::Absent => Outcome::Pass,
        Doc::Unknown => Outcome::unknown("policy"),
        Doc::Invalid => Outcome::Pass,
    }
}

fn policy_defined(r: &Resource, _: &ResourceSet) -> Outcome {
    match r.get("policy") {
        Attr::Absent => Outcome::fail("no key policy (the default grants the whole account)"),
        _ => Outcome::Pass,
    }
}

pub const CHECKS: &[Check] = &[
    check!(
        "AWS-KMS-001",
        Medium,
        "KMS key rotation is not enabled",
        "Customer managed symmetric keys should rotate yearly.",
        ["aws_kms_key"],
        ["3.6"],
        "KMS > Customer managed keys > key > Key rotation: enable automatic rotation.",
        "aws kms enable-key-rotation --key-id KEY",
        "enable_key_rotation = true",
        rotation
    ),
    check!(
        "AWS-KMS-002",
        Critical,
        "KMS key policy allows any principal",
        "A key policy statement with Principal \"*\" and no condition lets anyone use or manage the key.",
        ["aws_kms_key"],
        [],
        "KMS > key > Key policy > Edit: replace \"*\" principals with specific accounts or roles.",
        "aws kms put-key-policy --key-id KEY --policy-name default --policy file://policy.json",
        "Set specific principals in the policy of aws_kms_key.",
        public_policy
    ),
    check!(
        "AWS-KMS-003",
        Low,
        "KMS key has no explicit key policy",
        "Without a policy the default grants the whole account, delegating all control to IAM.",
        ["aws_kms_key"],
        [],
        "KMS > key > Key policy: write a policy naming key administrators and users.",
        "aws kms put-key-policy --key-id KEY --policy-name default --policy file://policy.json",
        "Set policy on aws_kms_key.",
        policy_defined
    ),
];
