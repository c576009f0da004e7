//! IAM: policy documents (managed, inline, role/user/group inline policies), users, roles' trust policies and
//! the account password policy.

use super::policy::{self, Doc, allowed_actions};
use super::{Fact, bool_at, num_at};
use crate::checks::Check;
use crate::resource::{Attr, Outcome, Resource, ResourceSet};
use serde_json::Value as Json;

/// Types carrying a `policy` attribute.
const POLICY_TYPES: &[&str] = &[
    "aws_iam_policy",
    "aws_iam_role_policy",
    "aws_iam_user_policy",
    "aws_iam_group_policy",
    "aws_iam_policy_document",
];

/// The policy documents a resource holds, as attribute values: its `policy` (the policy types), or the
/// `policy` of each `inline_policy` block (roles, users, groups), [`Attr::Unknown`] for a block list
/// Terraform cannot know. Shared with the live collector's SCP judgement (`rampart_cloud::scp`), which
/// decodes the same values with the IAM evaluation engine.
pub fn policy_attrs(r: &Resource) -> Vec<Attr<'_>> {
    if POLICY_TYPES.contains(&r.resource_type.as_str()) {
        return match r.get("policy") {
            Attr::Absent => Vec::new(),
            a => vec![a],
        };
    }
    match r.get("inline_policy") {
        Attr::Known(Json::Array(ps)) => (0..ps.len())
            .map(|i| r.get(&format!("inline_policy.{i}.policy")))
            .collect(),
        Attr::Unknown => vec![Attr::Unknown],
        _ => Vec::new(),
    }
}

/// Every policy document a resource holds (see [`policy_attrs`]), parsed.
fn documents(r: &Resource) -> Vec<Doc> {
    policy_attrs(r)
        .into_iter()
        .map(|a| policy::parse(a.known()))
        .collect()
}

/// Fails when some Allow statement satisfies `bad` (which returns a description), unknown when a statement
/// could not be read.
fn any_statement(r: &Resource, bad: impl Fn(&Json) -> Option<Result<String, ()>>) -> Outcome {
    let mut unknown = false;
    for d in documents(r) {
        match d {
            Doc::Parsed(stmts) => {
                for s in &stmts {
                    match bad(s) {
                        Some(Ok(why)) => return Outcome::fail(why),
                        Some(Err(())) => unknown = true,
                        None => {}
                    }
                }
            }
            Doc::Unknown => unknown = true,
            Doc::Invalid => {}
        }
    }
    if unknown {
        Outcome::unknown("policy document")
    } else {
        Outcome::Pass
    }
}

/// Glob match of an IAM action pattern (`s3:Get*`, `*`) against an action, case-insensitively.
pub fn action_matches(pattern: &str, action: &str) -> bool {
    fn go(p: &[u8], a: &[u8]) -> bool {
        match (p.first(), a.first()) {
            (None, None) => true,
            (Some(b'*'), _) => go(&p[1..], a) || (!a.is_empty() && go(p, &a[1..])),
            (Some(b'?'), Some(_)) => go(&p[1..], &a[1..]),
            (Some(x), Some(y)) if x.eq_ignore_ascii_case(y) => go(&p[1..], &a[1..]),
            _ => false,
        }
    }
    pattern.len() <= 256 && go(pattern.as_bytes(), action.as_bytes())
}

fn resource_star(s: &Json) -> Option<bool> {
    Some(policy::strings(s.get("Resource"))?.iter().any(|r| r == "*"))
}

/// Allow statements on `Resource: "*"` granting one of `targets` (directly or by wildcard).
fn grants_on_star(s: &Json, targets: &[&str], what: &str) -> Option<Result<String, ()>> {
    let Some(actions) = allowed_actions(s) else {
        return Some(Err(()));
    };
    if actions.is_empty() {
        return None;
    }
    match resource_star(s) {
        None => return Some(Err(())),
        Some(false) => return None,
        Some(true) => {}
    }
    let hit = targets
        .iter()
        .find(|t| actions.iter().any(|a| action_matches(a, t)))?;
    Some(Ok(format!("allows {hit} on \"*\" ({what})")))
}

/// Actions that let a principal grant itself more (AWS-IAM-009; the live SCP judgement asks about them too).
pub const PRIVESC: &[&str] = &[
    "iam:PassRole",
    "iam:CreatePolicyVersion",
    "iam:SetDefaultPolicyVersion",
    "iam:AttachUserPolicy",
    "iam:AttachRolePolicy",
    "iam:AttachGroupPolicy",
    "iam:PutUserPolicy",
    "iam:PutRolePolicy",
    "iam:PutGroupPolicy",
    "iam:CreateAccessKey",
    "iam:CreateLoginProfile",
    "iam:UpdateLoginProfile",
    "iam:UpdateAssumeRolePolicy",
    "iam:AddUserToGroup",
    "lambda:UpdateFunctionCode",
    "glue:UpdateDevEndpoint",
    "cloudformation:CreateStack",
];
/// Actions that mint or reveal credentials (AWS-IAM-010; the live SCP judgement asks about them too).
pub const CREDENTIALS: &[&str] = &[
    "iam:CreateAccessKey",
    "iam:UpdateAccessKey",
    "iam:CreateLoginProfile",
    "iam:UpdateLoginProfile",
    "iam:CreateServiceSpecificCredential",
    "iam:ResetServiceSpecificCredential",
    "iam:UploadSSHPublicKey",
    "sts:GetSessionToken",
    "sts:GetFederationToken",
    "ecr:GetAuthorizationToken",
    "redshift:GetClusterCredentials",
    "sso:GetRoleCredentials",
    "lightsail:GetInstanceAccessDetails",
    "chime:CreateApiKey",
    "gamelift:RequestUploadCredentials",
];
const EXFILTRATION: &[&str] = &[
    "s3:GetObject",
    "ssm:GetParameter",
    "ssm:GetParameters",
    "ssm:GetParametersByPath",
    "secretsmanager:GetSecretValue",
    "rds:CopyDBSnapshot",
    "rds:CreateDBSnapshot",
];
const PERMISSIONS: &[&str] = &[
    "iam:AttachRolePolicy",
    "iam:PutRolePolicy",
    "iam:CreatePolicy",
    "iam:UpdateAssumeRolePolicy",
    "s3:PutBucketPolicy",
    "s3:PutBucketAcl",
    "s3:PutObjectAcl",
    "kms:CreateGrant",
    "kms:PutKeyPolicy",
    "lambda:AddPermission",
    "ecr:SetRepositoryPolicy",
    "sqs:AddPermission",
    "sns:AddPermission",
    "secretsmanager:PutResourcePolicy",
];
const WRITE: &[&str] = &[
    "s3:PutObject",
    "s3:DeleteObject",
    "s3:DeleteBucket",
    "ec2:RunInstances",
    "ec2:TerminateInstances",
    "iam:CreateUser",
    "iam:DeleteRole",
    "dynamodb:PutItem",
    "dynamodb:DeleteTable",
    "lambda:CreateFunction",
    "rds:DeleteDBInstance",
    "kms:ScheduleKeyDeletion",
    "sqs:DeleteQueue",
    "sns:DeleteTopic",
    "logs:DeleteLogGroup",
    "cloudtrail:StopLogging",
];

/// `Action: "*"` (any resource).
fn all_actions(s: &Json) -> Option<Result<String, ()>> {
    let Some(actions) = allowed_actions(s) else {
        return Some(Err(()));
    };
    actions
        .iter()
        .any(|a| a == "*" || a == "*:*")
        .then(|| Ok("allows Action \"*\"".to_string()))
}

/// Restrictable actions (anything but list/describe-only wildcards) on `Resource: "*"`.
fn restrictable_on_star(s: &Json) -> Option<Result<String, ()>> {
    let Some(actions) = allowed_actions(s) else {
        return Some(Err(()));
    };
    match resource_star(s) {
        None => return Some(Err(())),
        Some(false) => return None,
        Some(true) => {}
    }
    let unrestrictable = |a: &str| {
        let verb = a.split(':').nth(1).unwrap_or("");
        verb.starts_with("describe")
            || verb.starts_with("list")
            || a == "sts:getcalleridentity"
            || a == "ecr:getauthorizationtoken"
    };
    let hit = actions.iter().find(|a| !unrestrictable(a))?;
    Some(Ok(format!("allows {hit} on Resource \"*\"")))
}

fn full_iam(s: &Json) -> Option<Result<String, ()>> {
    let Some(actions) = allowed_actions(s) else {
        return Some(Err(()));
    };
    actions
        .iter()
        .any(|a| a == "*" || a == "iam:*")
        .then(|| Ok("allows iam:*".to_string()))
}

fn trust_everyone(r: &Resource, _: &ResourceSet) -> Outcome {
    match policy::parse(r.get("assume_role_policy").known()) {
        Doc::Parsed(stmts) => {
            let mut unknown = false;
            for s in &stmts {
                if !policy::effect_allow(s) {
                    continue;
                }
                match policy::principal_everyone(s.get("Principal")) {
                    Some(true) => return Outcome::fail("trust policy allows Principal AWS \"*\""),
                    None => unknown = true,
                    _ => {}
                }
            }
            if unknown {
                Outcome::unknown("assume_role_policy principal")
            } else {
                Outcome::Pass
            }
        }
        Doc::Unknown => Outcome::unknown("assume_role_policy"),
        Doc::Invalid => Outcome::Pass,
    }
}

fn user_policies(r: &Resource, _: &ResourceSet) -> Outcome {
    match r.resource_type.as_str() {
        "aws_iam_user_policy" | "aws_iam_user_policy_attachment" => {
            Outcome::fail("policy attached directly to a user")
        }
        "aws_iam_policy_attachment" => match r.get("users") {
            Attr::Known(Json::Array(u)) if !u.is_empty() => {
                Outcome::fail("policy attached directly to users")
            }
            Attr::Unknown => Outcome::unknown("users"),
            _ => Outcome::Pass,
        },
        "aws_iam_policy" => match r.get("users") {
            Attr::Known(Json::Array(u)) if !u.is_empty() => {
                Outcome::fail("policy attached directly to users")
            }
            _ => Outcome::Pass,
        },
        _ => match (r.get("inline_policy"), r.get("managed_policy_arns")) {
            (Attr::Known(Json::Array(a)), _) if !a.is_empty() => {
                Outcome::fail("user has inline policies")
            }
            (_, Attr::Known(Json::Array(a))) if !a.is_empty() => {
                Outcome::fail("user has managed policies attached directly")
            }
            _ => Outcome::Pass,
        },
    }
}

fn admin_access(r: &Resource, _: &ResourceSet) -> Outcome {
    let arn_admin = |v: &Json| {
        v.as_str()
            .is_some_and(|s| s.ends_with(":policy/AdministratorAccess"))
    };
    for k in ["policy_arn", "managed_policy_arns"] {
        match r.get(k) {
            Attr::Known(v) if arn_admin(v) => return Outcome::fail("AdministratorAccess attached"),
            Attr::Known(Json::Array(a)) if a.iter().any(arn_admin) => {
                return Outcome::fail("AdministratorAccess attached");
            }
            _ => {}
        }
    }
    Outcome::Pass
}

fn min_num(r: &Resource, path: &str, min: f64, default: f64) -> Outcome {
    match num_at(r, path).or_default(default) {
        Some(n) if n >= min => Outcome::Pass,
        Some(n) => Outcome::fail(format!("{path} = {n}")),
        None => Outcome::unknown(path),
    }
}

fn complexity(r: &Resource, _: &ResourceSet) -> Outcome {
    let mut off = Vec::new();
    for k in [
        "require_lowercase_characters",
        "require_uppercase_characters",
        "require_numbers",
        "require_symbols",
    ] {
        match bool_at(r, k) {
            Fact::Known(true) => {}
            Fact::Unknown => return Outcome::unknown(k),
            _ => off.push(k),
        }
    }
    Outcome::check(off.is_empty(), format!("{} not required", off.join(", ")))
}

fn max_age(r: &Resource, _: &ResourceSet) -> Outcome {
    match num_at(r, "max_password_age") {
        Fact::Known(n) if n > 0.0 && n <= 90.0 => Outcome::Pass,
        Fact::Known(n) => Outcome::fail(format!("max_password_age = {n}")),
        Fact::Unknown => Outcome::unknown("max_password_age"),
        Fact::Absent => Outcome::fail("passwords never expire"),
    }
}

const DOC_TYPES: [&str; 8] = [
    "aws_iam_policy",
    "aws_iam_role_policy",
    "aws_iam_user_policy",
    "aws_iam_group_policy",
    "aws_iam_role",
    "aws_iam_user",
    "aws_iam_group",
    "aws_iam_policy_document",
];
const PW: &str = "IAM > Account settings > Password policy > Edit.";

/// Only a live account (or an inventory) lists a user's MFA devices; a declaration that says nothing passes.
fn user_mfa(r: &Resource, _: &ResourceSet) -> Outcome {
    match r.get("mfa_devices") {
        Attr::Known(Json::Array(a)) if a.is_empty() => Outcome::fail("no MFA device assigned"),
        Attr::Unknown => Outcome::unknown("mfa_devices"),
        _ => Outcome::Pass,
    }
}

pub const CHECKS: &[Check] = &[
    check!(
        "AWS-IAM-001",
        Critical,
        "IAM policy allows all actions (\"*\")",
        "A statement allowing Action \"*\" (full administrative privileges on \"*\") grants everything.",
        DOC_TYPES,
        ["1.16"],
        "IAM > Policies > policy > Edit: replace \"*\" with the actions the principal needs; detach it from users, groups and roles.",
        "aws iam create-policy-version --policy-arn ARN --policy-document file://least-privilege.json --set-as-default",
        "Replace Action = \"*\" in the policy document with specific actions and resources.",
        |r, _| any_statement(r, all_actions)
    ),
    check!(
        "AWS-IAM-002",
        Low,
        "IAM policy attached directly to a user",
        "Granting permissions through groups or roles keeps access reviewable.",
        [
            "aws_iam_user_policy",
            "aws_iam_user_policy_attachment",
            "aws_iam_policy_attachment",
            "aws_iam_user",
            "aws_iam_policy"
        ],
        ["1.15"],
        "IAM > Users > user > Permissions: remove directly attached policies; add the user to a group instead.",
        "aws iam detach-user-policy --user-name USER --policy-arn ARN && aws iam add-user-to-group --user-name USER --group-name GROUP",
        "Use aws_iam_group_policy_attachment and aws_iam_user_group_membership instead of user policies.",
        user_policies
    ),
    check!(
        "AWS-IAM-003",
        Medium,
        "IAM password policy minimum length is below 14",
        "CIS requires passwords of at least 14 characters.",
        ["aws_iam_account_password_policy"],
        ["1.8"],
        PW,
        "aws iam update-account-password-policy --minimum-password-length 14",
        "minimum_password_length = 14",
        |r, _| min_num(r, "minimum_password_length", 14.0, 6.0)
    ),
    check!(
        "AWS-IAM-004",
        Medium,
        "IAM password policy allows password reuse",
        "CIS requires preventing reuse of the last 24 passwords.",
        ["aws_iam_account_password_policy"],
        ["1.9"],
        PW,
        "aws iam update-account-password-policy --password-reuse-prevention 24",
        "password_reuse_prevention = 24",
        |r, _| min_num(r, "password_reuse_prevention", 24.0, 0.0)
    ),
    check!(
        "AWS-IAM-005",
        Low,
        "IAM password policy does not require all character classes",
        "Require lower-case, upper-case, numbers and symbols.",
        ["aws_iam_account_password_policy"],
        [],
        PW,
        "aws iam update-account-password-policy --require-uppercase-characters --require-lowercase-characters --require-numbers --require-symbols",
        "require_lowercase_characters, require_uppercase_characters, require_numbers, require_symbols = true",
        complexity
    ),
    check!(
        "AWS-IAM-006",
        Low,
        "IAM passwords do not expire within 90 days",
        "A maximum password age bounds the use of a leaked password.",
        ["aws_iam_account_password_policy"],
        [],
        PW,
        "aws iam update-account-password-policy --max-password-age 90",
        "max_password_age = 90",
        max_age
    ),
    check!(
        "AWS-IAM-007",
        Critical,
        "IAM role can be assumed by any AWS principal",
        "A trust policy with Principal AWS \"*\" (and no condition) lets any AWS account assume the role.",
        ["aws_iam_role"],
        [],
        "IAM > Roles > role > Trust relationships > Edit: name the trusted accounts or services; add sts:ExternalId for third parties.",
        "aws iam update-assume-role-policy --role-name ROLE --policy-document file://trust.json",
        "Set Principal = { AWS = \"arn:aws:iam::ACCOUNT:root\" } (or a Service) in assume_role_policy.",
        trust_everyone
    ),
    check!(
        "AWS-IAM-008",
        Low,
        "IAM user defined instead of federated (SSO) access",
        "Long-lived IAM users are harder to govern than identities from IAM Identity Center.",
        ["aws_iam_user"],
        [],
        "Set up IAM Identity Center and migrate people to it; remove IAM users.",
        "aws iam delete-user --user-name USER",
        "Remove aws_iam_user; use aws_ssoadmin_* resources.",
        |_, _| Outcome::fail("IAM user")
    ),
    check!(
        "AWS-IAM-009",
        High,
        "IAM policy allows privilege escalation",
        "Actions like iam:PassRole, iam:CreatePolicyVersion or iam:Attach*Policy on \"*\" let a principal grant itself more.",
        DOC_TYPES,
        [],
        "IAM > Policies > policy > Edit: scope the IAM actions to specific resources or remove them.",
        "aws iam create-policy-version --policy-arn ARN --policy-document file://scoped.json --set-as-default",
        "Limit the resources of iam:* escalation actions; never grant them on \"*\".",
        |r, _| any_statement(r, |s| grants_on_star(s, PRIVESC, "privilege escalation"))
    ),
    check!(
        "AWS-IAM-010",
        High,
        "IAM policy allows credentials exposure",
        "Actions that mint or reveal credentials (iam:CreateAccessKey, sts:GetSessionToken, ecr:GetAuthorizationToken…) on \"*\".",
        DOC_TYPES,
        [],
        "IAM > Policies > policy > Edit: remove or scope credential-issuing actions.",
        "aws iam create-policy-version --policy-arn ARN --policy-document file://scoped.json --set-as-default",
        "Remove credential-issuing actions or restrict their resources.",
        |r, _| any_statement(r, |s| grants_on_star(
            s,
            CREDENTIALS,
            "credentials exposure"
        ))
    ),
    check!(
        "AWS-IAM-011",
        High,
        "AdministratorAccess managed policy attached",
        "AdministratorAccess grants every action on every resource.",
        [
            "aws_iam_role_policy_attachment",
            "aws_iam_user_policy_attachment",
            "aws_iam_group_policy_attachment",
            "aws_iam_policy_attachment",
            "aws_iam_role",
            "aws_iam_user",
            "aws_iam_group"
        ],
        ["1.16"],
        "IAM > role/user/group > Permissions: detach AdministratorAccess and attach scoped policies.",
        "aws iam detach-role-policy --role-name ROLE --policy-arn arn:aws:iam::aws:policy/AdministratorAccess",
        "Replace the AdministratorAccess attachment with a least-privilege policy.",
        admin_access
    ),
    check!(
        "AWS-IAM-012",
        High,
        "IAM policy allows full IAM privileges (iam:*)",
        "iam:* lets the principal create users, keys and policies: it is administrator access.",
        DOC_TYPES,
        [],
        "IAM > Policies > policy > Edit: replace iam:* with the specific IAM actions needed.",
        "aws iam create-policy-version --policy-arn ARN --policy-document file://scoped.json --set-as-default",
        "Replace iam:* with specific actions.",
        |r, _| any_statement(r, full_iam)
    ),
    check!(
        "AWS-IAM-013",
        Medium,
        "IAM policy allows data exfiltration actions on \"*\"",
        "s3:GetObject, ssm:GetParameter*, secretsmanager:GetSecretValue… on every resource.",
        DOC_TYPES,
        [],
        "IAM > Policies > policy > Edit: restrict read actions to the buckets, parameters and secrets needed.",
        "aws iam create-policy-version --policy-arn ARN --policy-document file://scoped.json --set-as-default",
        "Set Resource to specific ARNs for data-reading actions.",
        |r, _| any_statement(r, |s| grants_on_star(s, EXFILTRATION, "data exfiltration"))
    ),
    check!(
        "AWS-IAM-014",
        Medium,
        "IAM policy allows permissions management or resource exposure on \"*\"",
        "Actions that change policies or ACLs (s3:PutBucketPolicy, kms:PutKeyPolicy, lambda:AddPermission…) on every resource.",
        DOC_TYPES,
        [],
        "IAM > Policies > policy > Edit: remove policy-changing actions or scope them.",
        "aws iam create-policy-version --policy-arn ARN --policy-document file://scoped.json --set-as-default",
        "Scope permissions-management actions to specific resources.",
        |r, _| any_statement(r, |s| grants_on_star(
            s,
            PERMISSIONS,
            "permissions management"
        ))
    ),
    check!(
        "AWS-IAM-015",
        Medium,
        "IAM policy allows write access without constraints",
        "Write actions (create, delete, put, run…) on every resource.",
        DOC_TYPES,
        [],
        "IAM > Policies > policy > Edit: scope write actions to specific resources or add conditions.",
        "aws iam create-policy-version --policy-arn ARN --policy-document file://scoped.json --set-as-default",
        "Scope write actions to specific resources.",
        |r, _| any_statement(r, |s| grants_on_star(s, WRITE, "write access"))
    ),
    check!(
        "AWS-IAM-016",
        Medium,
        "IAM policy allows restrictable actions on Resource \"*\"",
        "Actions that support resource-level permissions should name their resources.",
        DOC_TYPES,
        [],
        "IAM > Policies > policy > Edit: replace Resource \"*\" with ARNs.",
        "aws iam create-policy-version --policy-arn ARN --policy-document file://scoped.json --set-as-default",
        "Replace Resource = \"*\" with specific ARNs.",
        |r, _| any_statement(r, restrictable_on_star)
    ),
    check!(
        "AWS-IAM-017",
        Medium,
        "IAM user has no MFA device",
        "Without a second factor, a phished or leaked password is enough to sign in as the user.",
        ["aws_iam_user"],
        ["1.10"],
        "IAM > Users > user > Security credentials > Multi-factor authentication: Assign MFA device (hardware or passkey preferred).",
        "aws iam enable-mfa-device --user-name USER --serial-number SERIAL --authentication-code1 CODE1 --authentication-code2 CODE2",
        "MFA devices cannot be declared for IAM users in Terraform; enforce with a policy denying actions when aws:MultiFactorAuthPresent is false.",
        user_mfa
    ),
];
