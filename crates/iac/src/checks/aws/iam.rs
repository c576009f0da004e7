//! IAM: policy documents (managed, inline, role/user/group inline policies, and the non-default
//! versions of customer managed policies), users (with the live credential report: unused and
//! unrotated credentials), roles' trust policies, the account password policy and the root user (live
//! `aws_iam_account`: account summary and the credential report's root row).

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

/// Days since 1970-01-01 of an RFC 3339 date or date-time (`2024-05-01T…`); `None` when it is not one.
pub fn day_number(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> { s.get(r)?.parse().ok() };
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    // Howard Hinnant's days_from_civil.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

/// Whole days from the date at `field` of `row` to the row's `as_of` (when the account was read);
/// `None` when either is missing or not a date.
fn age_days(row: &Json, field: &str) -> Option<i64> {
    day_diff(row, row, field)
}

/// The credential report row of a user (`credential_report`), or the outcome when there is none:
/// pass for a declaration (Terraform has no such thing), unknown for a live user whose row could not
/// be read (null).
fn report_row(r: &Resource) -> Result<&Json, Outcome> {
    match r.get("credential_report") {
        Attr::Known(v @ Json::Object(_)) => Ok(v),
        Attr::Absent => Err(Outcome::Pass),
        _ => Err(Outcome::unknown(
            "credential_report (the IAM credential report could not be read)",
        )),
    }
}

/// CIS 1.12: a console password or an active access key unused for 45 days or more (never used and
/// set 45 or more days ago counts as unused).
const UNUSED_DAYS: i64 = 45;
/// CIS 1.14: an active access key older than 90 days.
const ROTATION_DAYS: i64 = 90;

fn unused_credentials(r: &Resource, _: &ResourceSet) -> Outcome {
    let row = match report_row(r) {
        Ok(row) => row,
        Err(o) => return o,
    };
    let mut bad = Vec::new();
    let mut unknown = false;
    if row.get("password_enabled") == Some(&Json::Bool(true)) {
        let since = age_days(row, "password_last_used")
            .map(|d| (d, "last used"))
            .or_else(|| {
                age_days(row, "password_last_changed")
                    .or_else(|| age_days(row, "user_creation_time"))
                    .map(|d| (d, "never used, set"))
            });
        match since {
            Some((d, how)) if d >= UNUSED_DAYS => {
                bad.push(format!("console password {how} {d} days ago"));
            }
            Some(_) => {}
            None => unknown = true,
        }
    }
    for k in row
        .get("access_keys")
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
    {
        if k.get("active") != Some(&Json::Bool(true)) {
            continue;
        }
        let n = k.get("n").and_then(Json::as_u64).unwrap_or(0);
        let since = if k.get("last_used_date").is_some_and(Json::is_string) {
            day_diff(row, k, "last_used_date").map(|d| (d, "last used"))
        } else {
            day_diff(row, k, "last_rotated").map(|d| (d, "never used, created"))
        };
        match since {
            Some((d, how)) if d >= UNUSED_DAYS => {
                bad.push(format!("access key {n} {how} {d} days ago"));
            }
            Some(_) => {}
            None => unknown = true,
        }
    }
    if !bad.is_empty() {
        Outcome::fail(bad.join("; "))
    } else if unknown {
        Outcome::unknown("credential_report dates")
    } else {
        Outcome::Pass
    }
}

/// Days from `item[field]` (a field of the row or of one of its access keys) to `row.as_of`.
fn day_diff(row: &Json, item: &Json, field: &str) -> Option<i64> {
    let as_of = day_number(row.get("as_of")?.as_str()?)?;
    Some(as_of - day_number(item.get(field)?.as_str()?)?)
}

fn key_rotation(r: &Resource, _: &ResourceSet) -> Outcome {
    let row = match report_row(r) {
        Ok(row) => row,
        Err(o) => return o,
    };
    let mut bad = Vec::new();
    for k in row
        .get("access_keys")
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
        .filter(|k| k.get("active") == Some(&Json::Bool(true)))
    {
        let n = k.get("n").and_then(Json::as_u64).unwrap_or(0);
        match day_diff(row, k, "last_rotated") {
            Some(d) if d > ROTATION_DAYS => {
                bad.push(format!("access key {n} created {d} days ago"))
            }
            Some(_) => {}
            None => return Outcome::unknown("access key last_rotated"),
        }
    }
    Outcome::check(bad.is_empty(), bad.join("; "))
}

/// A root fact from the account summary (`summary_key`, live) or, failing that, from the credential
/// report's root row (`from_row`).
fn root_fact(
    r: &Resource,
    summary_key: &str,
    from_row: impl Fn(&Json) -> Option<bool>,
) -> Option<(bool, &'static str)> {
    if let Attr::Known(Json::Bool(b)) = r.get(summary_key) {
        return Some((*b, "account summary"));
    }
    match r.get("root_credentials") {
        Attr::Known(row @ Json::Object(_)) => from_row(row).map(|b| (b, "credential report")),
        _ => None,
    }
}

fn root_access_keys(r: &Resource, _: &ResourceSet) -> Outcome {
    let from_row = |row: &Json| {
        let keys = row.get("access_keys")?.as_array()?;
        Some(
            keys.iter()
                .any(|k| k.get("active") == Some(&Json::Bool(true))),
        )
    };
    match root_fact(r, "account_access_keys_present", from_row) {
        Some((true, src)) => Outcome::fail(format!("the root user has access keys ({src})")),
        Some((false, _)) => Outcome::Pass,
        None => Outcome::unknown("account_access_keys_present"),
    }
}

fn root_mfa(r: &Resource, _: &ResourceSet) -> Outcome {
    let from_row = |row: &Json| row.get("mfa_active")?.as_bool();
    match root_fact(r, "account_mfa_enabled", from_row) {
        Some((false, src)) => {
            Outcome::fail(format!("MFA is not enabled for the root user ({src})"))
        }
        Some((true, _)) => Outcome::Pass,
        None => Outcome::unknown("account_mfa_enabled"),
    }
}

/// CIS 1.7: the root user signed in or used an access key within the last day of the report.
fn root_used(r: &Resource, _: &ResourceSet) -> Outcome {
    let row = match r.get("root_credentials") {
        Attr::Known(row @ Json::Object(_)) => row,
        _ => return Outcome::unknown("root_credentials (the credential report has no root row)"),
    };
    let mut uses = vec![("password", age_days(row, "password_last_used"))];
    for k in row
        .get("access_keys")
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
    {
        let n = k.get("n").and_then(Json::as_u64).unwrap_or(0);
        let what = if n == 2 {
            "access key 2"
        } else {
            "access key 1"
        };
        uses.push((what, day_diff(row, k, "last_used_date")));
    }
    match uses
        .iter()
        .find_map(|(w, d)| d.filter(|d| *d <= 1).map(|d| (w, d)))
    {
        Some((w, d)) => Outcome::fail(format!(
            "the root user's {w} was used {} ago",
            if d <= 0 {
                "today".to_string()
            } else {
                format!("{d} day")
            }
        )),
        None => Outcome::Pass,
    }
}

/// A customer managed policy with a non-default version granting full administrative rights: one
/// `iam:SetDefaultPolicyVersion` away from being effective.
fn admin_in_other_version(r: &Resource, _: &ResourceSet) -> Outcome {
    let versions = match r.get("versions") {
        Attr::Known(Json::Array(v)) => v,
        Attr::Absent => return Outcome::Pass,
        _ => return Outcome::unknown("versions (ListPolicyVersions could not be read)"),
    };
    let mut unknown = false;
    for v in versions {
        if v.get("is_default") == Some(&Json::Bool(true)) {
            continue;
        }
        let id = v.get("version_id").and_then(Json::as_str).unwrap_or("?");
        match policy::parse(v.get("policy")) {
            Doc::Parsed(stmts) => {
                for s in &stmts {
                    for f in [all_actions, full_iam] {
                        match f(s) {
                            Some(Ok(why)) => {
                                return Outcome::fail(format!(
                                    "non-default version {id} {why}; iam:SetDefaultPolicyVersion makes it effective"
                                ));
                            }
                            Some(Err(())) => unknown = true,
                            None => {}
                        }
                    }
                }
            }
            Doc::Unknown => unknown = true,
            Doc::Invalid => {}
        }
    }
    if unknown {
        Outcome::unknown("policy version document")
    } else {
        Outcome::Pass
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
    check!(
        "AWS-IAM-018",
        Critical,
        "Root user has access keys",
        "Access keys of the root user cannot be limited by any policy; CIS requires that none exist.",
        ["aws_iam_account"],
        ["1.4"],
        "Sign in as root > Security credentials > Access keys: delete every key.",
        "aws iam delete-access-key --access-key-id KEY_ID (run with the root user's credentials)",
        "Root access keys cannot be managed in Terraform; delete them in the console.",
        root_access_keys
    ),
    check!(
        "AWS-IAM-019",
        Critical,
        "Root user has no MFA",
        "Without MFA the root user's password alone gives unrestricted access to the account.",
        ["aws_iam_account"],
        ["1.5"],
        "Sign in as root > Security credentials > Multi-factor authentication: Assign MFA device (hardware preferred).",
        "aws iam enable-mfa-device --user-name root --serial-number SERIAL --authentication-code1 CODE1 --authentication-code2 CODE2 (as root)",
        "Root MFA cannot be managed in Terraform; enable it in the console.",
        root_mfa
    ),
    check!(
        "AWS-IAM-020",
        Medium,
        "Root user was used in the last day",
        "The root user should be kept for the few tasks only it can do; daily use exposes its credentials.",
        ["aws_iam_account"],
        ["1.7"],
        "Create administrators in IAM Identity Center (or IAM roles) and stop using the root user; review CloudTrail for root activity.",
        "aws iam generate-credential-report && aws iam get-credential-report --query Content --output text | base64 -d | grep '<root_account>'",
        "Use roles and Identity Center permission sets instead of the root user.",
        root_used
    ),
    check!(
        "AWS-IAM-021",
        Medium,
        "IAM user credentials unused for 45 days or more",
        "A console password or an active access key nobody used for 45 days (or never used since it was set 45 days ago) is a standing credential to leak.",
        ["aws_iam_user"],
        ["1.12"],
        "IAM > Users > user > Security credentials: disable console access and deactivate the unused access keys.",
        "aws iam update-access-key --user-name USER --access-key-id KEY_ID --status Inactive && aws iam delete-login-profile --user-name USER",
        "Remove aws_iam_user_login_profile and aws_iam_access_key resources for users who no longer sign in.",
        unused_credentials
    ),
    check!(
        "AWS-IAM-022",
        Medium,
        "IAM access key not rotated in 90 days",
        "An active access key older than 90 days has had a long time to leak.",
        ["aws_iam_user"],
        ["1.14"],
        "IAM > Users > user > Security credentials: create a new access key, switch the application to it, deactivate and delete the old one.",
        "aws iam create-access-key --user-name USER && aws iam update-access-key --user-name USER --access-key-id OLD_KEY_ID --status Inactive",
        "Replace the aws_iam_access_key resource (taint it) at least every 90 days.",
        key_rotation
    ),
    check!(
        "AWS-IAM-023",
        High,
        "Customer managed policy keeps a non-default version with administrative rights",
        "Anyone allowed iam:SetDefaultPolicyVersion on the policy can make the old version effective and become administrator of the account.",
        ["aws_iam_policy"],
        [],
        "IAM > Policies > policy > Policy versions: delete the versions granting \"*\" or iam:*.",
        "aws iam delete-policy-version --policy-arn ARN --version-id VERSION",
        "Terraform keeps only the default version; delete the old versions with the AWS CLI.",
        admin_in_other_version
    ),
];

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn live(t: &str, attributes: Json) -> Resource {
        crate::resource::live_for_test(t, "x", attributes)
    }

    fn eval(id: &str, r: &Resource) -> Outcome {
        let c = CHECKS.iter().find(|c| c.id == id).expect("check");
        (c.eval)(r, &ResourceSet::new(Vec::new()))
    }

    fn failed(o: &Outcome, text: &str) -> bool {
        matches!(o, Outcome::Fail(d) if d.contains(text))
    }

    #[test]
    fn day_numbers() {
        assert_eq!(day_number("1970-01-01"), Some(0));
        assert_eq!(day_number("2000-03-01T00:00:00Z"), Some(11_017));
        assert_eq!(
            day_number("2026-11-27T00:00:00+00:00").zip(day_number("2026-08-29")),
            Some((20_784, 20_694))
        );
        assert_eq!(day_number("N/A"), None);
        assert_eq!(day_number("2026-13-01"), None);
    }

    fn user(row: Json) -> Resource {
        live(
            "aws_iam_user",
            json!({ "name": "u", "credential_report": row }),
        )
    }

    #[test]
    fn unused_and_unrotated_credentials() {
        let as_of = "2026-11-27T10:00:00Z";
        let key = |active, rotated: Option<&str>, used: Option<&str>| json!({"n": 1, "active": active, "last_rotated": rotated, "last_used_date": used});
        // Password used 50 days ago, key used yesterday but created 100 days ago.
        let u = user(json!({
            "password_enabled": true, "password_last_used": "2026-10-08T00:00:00+00:00",
            "access_keys": [key(true, Some("2026-08-19T00:00:00+00:00"), Some("2026-11-26T00:00:00+00:00"))],
            "as_of": as_of,
        }));
        assert!(failed(
            &eval("AWS-IAM-021", &u),
            "console password last used 50 days ago"
        ));
        assert!(failed(
            &eval("AWS-IAM-022", &u),
            "access key 1 created 100 days ago"
        ));
        // A key never used, created 46 days ago; an inactive old key is ignored; no password.
        let u = user(json!({
            "password_enabled": false,
            "access_keys": [key(true, Some("2026-10-12"), None),
                            {"n": 2, "active": false, "last_rotated": "2020-01-01", "last_used_date": null}],
            "as_of": as_of,
        }));
        assert!(failed(
            &eval("AWS-IAM-021", &u),
            "access key 1 never used, created 46 days ago"
        ));
        assert_eq!(eval("AWS-IAM-022", &u), Outcome::Pass);
        // A password set 10 days ago and never used; a fresh key.
        let u = user(json!({
            "password_enabled": true, "password_last_used": null,
            "password_last_changed": "2026-11-17T00:00:00+00:00",
            "access_keys": [key(true, Some("2026-11-20"), None)], "as_of": as_of,
        }));
        assert_eq!(eval("AWS-IAM-021", &u), Outcome::Pass);
        assert_eq!(eval("AWS-IAM-022", &u), Outcome::Pass);
        // Terraform users have no report: pass; a live user whose row is missing: unknown.
        let tf = live("aws_iam_user", json!({"name": "u"}));
        assert_eq!(eval("AWS-IAM-021", &tf), Outcome::Pass);
        assert!(matches!(
            eval("AWS-IAM-021", &user(Json::Null)),
            Outcome::Unknown(_)
        ));
        assert!(matches!(
            eval("AWS-IAM-022", &user(Json::Null)),
            Outcome::Unknown(_)
        ));
    }

    #[test]
    fn root_user_from_summary_or_report() {
        let acct = |attrs: Json| live("aws_iam_account", attrs);
        let summary =
            acct(json!({"account_mfa_enabled": false, "account_access_keys_present": true}));
        assert!(failed(&eval("AWS-IAM-019", &summary), "account summary"));
        assert!(failed(&eval("AWS-IAM-018", &summary), "account summary"));
        let ok = acct(json!({"account_mfa_enabled": true, "account_access_keys_present": false}));
        assert_eq!(eval("AWS-IAM-019", &ok), Outcome::Pass);
        assert_eq!(eval("AWS-IAM-018", &ok), Outcome::Pass);
        // Summary unreadable: the report's root row decides.
        let row = json!({"mfa_active": false, "password_last_used": "2026-11-27T08:00:00+00:00",
            "access_keys": [{"n": 1, "active": true, "last_used_date": null}], "as_of": "2026-11-27T10:00:00Z"});
        let report = acct(json!({"account_mfa_enabled": null, "root_credentials": row}));
        assert!(failed(&eval("AWS-IAM-019", &report), "credential report"));
        assert!(failed(&eval("AWS-IAM-018", &report), "credential report"));
        assert!(failed(
            &eval("AWS-IAM-020", &report),
            "password was used today"
        ));
        // Neither: unknown, never a pass.
        let none = acct(json!({"support_roles": []}));
        for id in ["AWS-IAM-018", "AWS-IAM-019", "AWS-IAM-020"] {
            assert!(matches!(eval(id, &none), Outcome::Unknown(_)), "{id}");
        }
    }

    #[test]
    fn admin_in_a_non_default_version() {
        let admin = r#"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;
        let read = r#"{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#;
        let p = |versions: Json| {
            live(
                "aws_iam_policy",
                json!({"policy": read, "versions": versions}),
            )
        };
        let bad = p(json!([
            {"version_id": "v2", "is_default": true, "policy": read},
            {"version_id": "v1", "is_default": false, "policy": admin},
        ]));
        assert!(failed(
            &eval("AWS-IAM-023", &bad),
            "non-default version v1 allows Action"
        ));
        let ok = p(json!([
            {"version_id": "v2", "is_default": true, "policy": admin},
            {"version_id": "v1", "is_default": false, "policy": read},
        ]));
        assert_eq!(eval("AWS-IAM-023", &ok), Outcome::Pass);
        assert!(matches!(
            eval("AWS-IAM-023", &p(Json::Null)),
            Outcome::Unknown(_)
        ));
        assert_eq!(
            eval(
                "AWS-IAM-023",
                &live("aws_iam_policy", json!({"policy": read}))
            ),
            Outcome::Pass
        );
    }
}
