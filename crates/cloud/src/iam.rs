//! IAM: users (inline and attached policies, access keys with last use, MFA devices), roles (trust
//! policy, inline and attached policies), groups (inline and attached policies, members), customer
//! managed policies with every version (`versions`: a non-default version can be made the default with
//! `iam:SetDefaultPolicyVersion`), the account password policy, and `aws_iam_account.account`: the
//! roles holding AWSSupportAccess and SecurityAudit, the account summary (root MFA and access keys)
//! and the credential report's root row. The credential report's user rows are merged into the
//! `aws_iam_user` documents (`credential_report`; null when the report could not be read or does not
//! list the user).
//!
//! The per-user, per-role, per-group and per-policy calls (policies and their versions, access keys
//! and their last use, MFA devices, members) run through [`each_bounded`], `AwsOptions::concurrency` principals at a time (default
//! [`CONCURRENCY`]); results keep the order IAM lists them in.

use crate::aws::{ServiceOut, Sink, describe, each_bounded};
use crate::doc::{live_resource, policy_string};
use aws_sdk_iam::Client;
use aws_sdk_iam::error::ProvideErrorMetadata;
use aws_types::SdkConfig;
use serde_json::{Value as Json, json};

/// Principals whose calls are in flight at once, by default.
pub(crate) const CONCURRENCY: usize = 8;

pub(crate) async fn collect(conf: &SdkConfig, concurrency: usize) -> ServiceOut {
    let c = Client::new(conf);
    let mut sink = Sink::new("iam");
    let mut resources = Vec::new();
    let n = concurrency.max(1);
    // Each kind of principal listed, then read `n` at a time.
    macro_rules! each {
        ($what:expr, $req:expr, |$p:ident| $items:expr, $one:expr) => {{
            let listed = paginate!(sink, $what, $req, |$p| $items);
            resources.extend(each_bounded(&mut sink, listed, n, $one).await);
        }};
    }
    each!(
        "ListUsers (no user could be read)",
        c.list_users(),
        |p| p.users().to_vec(),
        |u| user(&c, u)
    );
    each!(
        "ListRoles (no role could be read)",
        c.list_roles(),
        |p| p.roles().to_vec(),
        |r| role(&c, r)
    );
    each!(
        "ListGroups (no group could be read)",
        c.list_groups(),
        |p| p.groups().to_vec(),
        |g| group(&c, g)
    );
    let listed = paginate!(
        sink,
        "ListPolicies Scope=Local (no customer managed policy could be read)",
        c.list_policies()
            .scope(aws_sdk_iam::types::PolicyScopeType::Local),
        |p| p.policies().to_vec()
    );
    let policies = each_bounded(&mut sink, listed, n, |p| policy(&c, p)).await;
    resources.extend(policies.into_iter().flatten());
    password_policy(&c, &mut sink, &mut resources).await;
    let report = credential_report(&c, &mut sink).await;
    for u in resources
        .iter_mut()
        .filter(|r| r.resource_type == "aws_iam_user")
    {
        let row = report
            .as_ref()
            .and_then(|r| r.users.iter().find(|(n, _)| *n == u.name))
            .map_or(Json::Null, |(_, row)| row.clone());
        if let Some(m) = u.attributes.as_object_mut() {
            m.insert("credential_report".into(), row);
        }
    }
    account(&c, &mut sink, &mut resources, report.and_then(|r| r.root)).await;
    ServiceOut {
        service: "iam",
        resources,
        sink,
    }
}

/// What kind of IAM identity a per-principal call is about.
#[derive(Clone, Copy)]
enum Kind {
    User,
    Role,
    Group,
}

impl Kind {
    /// `User`, `Role`, `Group`, as in the API's operation names.
    fn op(self) -> &'static str {
        match self {
            Kind::User => "User",
            Kind::Role => "Role",
            Kind::Group => "Group",
        }
    }
}

/// The ARNs of the managed policies attached to a user, role or group, and its inline policies as
/// `{name, policy}` blocks.
async fn policies_of(
    c: &Client,
    sink: &mut Sink,
    kind: Kind,
    name: &str,
) -> (Vec<String>, Vec<Json>) {
    let what = |op: &str| format!("{op}{}Policies {name}", kind.op());
    macro_rules! attached {
        ($req:expr) => {
            paginate!(sink, what("ListAttached"), $req, |p| p
                .attached_policies()
                .iter()
                .filter_map(|a| a.policy_arn().map(str::to_string))
                .collect::<Vec<_>>())
        };
    }
    macro_rules! names {
        ($req:expr) => {
            paginate!(sink, what("List"), $req, |p| p.policy_names().to_vec())
        };
    }
    let (attached, names) = match kind {
        Kind::User => (
            attached!(c.list_attached_user_policies().user_name(name)),
            names!(c.list_user_policies().user_name(name)),
        ),
        Kind::Role => (
            attached!(c.list_attached_role_policies().role_name(name)),
            names!(c.list_role_policies().role_name(name)),
        ),
        Kind::Group => (
            attached!(c.list_attached_group_policies().group_name(name)),
            names!(c.list_group_policies().group_name(name)),
        ),
    };
    let mut inline = Vec::new();
    for p in names {
        macro_rules! document {
            ($req:expr) => {
                $req.policy_name(&p)
                    .send()
                    .await
                    .map(|r| r.policy_document().to_string())
                    .map_err(|e| describe(&e))
            };
        }
        let doc = match kind {
            Kind::User => document!(c.get_user_policy().user_name(name)),
            Kind::Role => document!(c.get_role_policy().role_name(name)),
            Kind::Group => document!(c.get_group_policy().group_name(name)),
        };
        match doc {
            Ok(d) => inline.push(json!({ "name": p, "policy": policy_string(&d) })),
            Err(e) => sink.warn(format!("Get{}Policy {name}/{p}", kind.op()), e),
        }
    }
    (attached, inline)
}

/// One user's document, with what could not be read about it.
async fn user(c: &Client, u: aws_sdk_iam::types::User) -> (rampart_iac::Resource, Sink) {
    let mut sink = Sink::new("iam");
    let name = u.user_name().to_string();
    let (attached, inline) = policies_of(c, &mut sink, Kind::User, &name).await;
    let keys_meta = paginate!(
        sink,
        format!("ListAccessKeys {name}"),
        c.list_access_keys().user_name(&name),
        |p| p.access_key_metadata().to_vec()
    );
    let mut keys = Vec::new();
    for k in keys_meta {
        let id = k.access_key_id().unwrap_or_default().to_string();
        let last_used = match c.get_access_key_last_used().access_key_id(&id).send().await {
            Ok(r) => r
                .access_key_last_used()
                .and_then(|l| l.last_used_date())
                .map(|d| d.to_string()),
            Err(e) => {
                sink.warn(format!("GetAccessKeyLastUsed {name}"), describe(&e));
                None
            }
        };
        keys.push(json!({
            "id": id,
            "status": k.status().map(|s| s.as_str()),
            "create_date": k.create_date().map(|d| d.to_string()),
            "last_used_date": last_used,
        }));
    }
    let mfa = paginate!(
        sink,
        format!("ListMFADevices {name}"),
        c.list_mfa_devices().user_name(&name),
        |p| p
            .mfa_devices()
            .iter()
            .map(|d| d.serial_number().to_string())
            .collect::<Vec<_>>()
    );
    let attrs = json!({
        "name": name,
        "arn": u.arn(),
        "path": u.path(),
        "unique_id": u.user_id(),
        "password_last_used": u.password_last_used().map(|d| d.to_string()),
        "managed_policy_arns": attached,
        "inline_policy": inline,
        "access_keys": keys,
        "mfa_devices": mfa,
    });
    (live_resource("aws_iam_user", &name, attrs), sink)
}

/// One role's document, with what could not be read about it.
async fn role(c: &Client, r: aws_sdk_iam::types::Role) -> (rampart_iac::Resource, Sink) {
    let mut sink = Sink::new("iam");
    let name = r.role_name().to_string();
    let (attached, inline) = policies_of(c, &mut sink, Kind::Role, &name).await;
    let attrs = json!({
        "name": name,
        "arn": r.arn(),
        "path": r.path(),
        "unique_id": r.role_id(),
        "assume_role_policy": r.assume_role_policy_document().map(policy_string),
        "managed_policy_arns": attached,
        "inline_policy": inline,
        "max_session_duration": r.max_session_duration(),
    });
    (live_resource("aws_iam_role", &name, attrs), sink)
}

/// One group's document: its policies and its members (`users`, user names; null when `GetGroup`
/// failed, so nobody is judged as a member).
async fn group(c: &Client, g: aws_sdk_iam::types::Group) -> (rampart_iac::Resource, Sink) {
    let mut sink = Sink::new("iam");
    let name = g.group_name().to_string();
    let (attached, inline) = policies_of(c, &mut sink, Kind::Group, &name).await;
    let before = sink.warnings.len();
    let members = paginate!(
        sink,
        format!("GetGroup {name}"),
        c.get_group().group_name(&name),
        |p| p
            .users()
            .iter()
            .map(|u| u.user_name().to_string())
            .collect::<Vec<_>>()
    );
    let users = if sink.warnings.len() == before {
        json!(members)
    } else {
        Json::Null
    };
    let attrs = json!({
        "name": name,
        "arn": g.arn(),
        "path": g.path(),
        "unique_id": g.group_id(),
        "managed_policy_arns": attached,
        "inline_policy": inline,
        "users": users,
    });
    (live_resource("aws_iam_group", &name, attrs), sink)
}

/// A customer managed policy with its default document and every version (`None` for a policy
/// listed without an ARN or name).
async fn policy(
    c: &Client,
    p: aws_sdk_iam::types::Policy,
) -> (Option<rampart_iac::Resource>, Sink) {
    let mut sink = Sink::new("iam");
    let (Some(arn), Some(name)) = (p.arn(), p.policy_name()) else {
        return (None, sink);
    };
    let mut doc = Json::Null;
    if let Some(v) = p.default_version_id() {
        match c
            .get_policy_version()
            .policy_arn(arn)
            .version_id(v)
            .send()
            .await
        {
            Ok(r) => {
                if let Some(d) = r.policy_version().and_then(|pv| pv.document()) {
                    doc = policy_string(d);
                }
            }
            Err(e) => sink.warn(format!("GetPolicyVersion {arn}"), describe(&e)),
        }
    }
    let versions = policy_versions(c, &mut sink, arn, p.default_version_id(), &doc).await;
    let attrs = json!({
        "name": name,
        "arn": arn,
        "path": p.path(),
        "policy": doc,
        "default_version_id": p.default_version_id(),
        "attachment_count": p.attachment_count(),
        "versions": versions,
    });
    (Some(live_resource("aws_iam_policy", name, attrs)), sink)
}

/// Every version of a customer managed policy (`ListPolicyVersions`), `{version_id, is_default,
/// create_date, policy}`, the non-default ones' documents read with `GetPolicyVersion` (the default's
/// is `default_doc`, already read). Null when the versions could not be listed, so nothing is judged
/// on a partial list.
async fn policy_versions(
    c: &Client,
    sink: &mut Sink,
    arn: &str,
    default: Option<&str>,
    default_doc: &Json,
) -> Json {
    let before = sink.warnings.len();
    let listed = paginate!(
        sink,
        format!("ListPolicyVersions {arn}"),
        c.list_policy_versions().policy_arn(arn),
        |p| p.versions().to_vec()
    );
    if sink.warnings.len() != before {
        return Json::Null;
    }
    let mut out = Vec::new();
    for v in listed {
        let Some(id) = v.version_id() else { continue };
        let is_default = v.is_default_version() || Some(id) == default;
        let doc = if is_default {
            default_doc.clone()
        } else {
            match c
                .get_policy_version()
                .policy_arn(arn)
                .version_id(id)
                .send()
                .await
            {
                Ok(r) => r
                    .policy_version()
                    .and_then(|pv| pv.document())
                    .map_or(Json::Null, policy_string),
                Err(e) => {
                    sink.warn(format!("GetPolicyVersion {arn} {id}"), describe(&e));
                    Json::Null
                }
            }
        };
        out.push(json!({
            "version_id": id,
            "is_default": is_default,
            "create_date": v.create_date().map(|d| d.to_string()),
            "policy": doc,
        }));
    }
    Json::Array(out)
}

/// The credential report: generated (`GenerateCredentialReport`, polled until complete, at most
/// [`REPORT_POLLS`] times) and read (`GetCredentialReport`); `None`, with a warning, when it could not be.
async fn credential_report(
    c: &Client,
    sink: &mut Sink,
) -> Option<crate::credential_report::Report> {
    use aws_sdk_iam::primitives::{DateTime, DateTimeFormat};
    let as_of = DateTime::from(std::time::SystemTime::now())
        .fmt(DateTimeFormat::DateTime)
        .unwrap_or_default();
    let mut last = String::from("the report was not complete after polling");
    for attempt in 0..REPORT_POLLS {
        if let Err(e) = c.generate_credential_report().send().await {
            sink.warn("GenerateCredentialReport", describe(&e));
            return None;
        }
        match c.get_credential_report().send().await {
            Ok(r) => {
                let content = r.content().map(|b| b.as_ref()).unwrap_or_default();
                return match crate::credential_report::parse(content, &as_of) {
                    Ok(report) => {
                        if report.skipped > 0 {
                            sink.warn(
                                "GetCredentialReport",
                                format!("{} rows could not be read", report.skipped),
                            );
                        }
                        Some(report)
                    }
                    Err(e) => {
                        sink.warn("GetCredentialReport", e);
                        None
                    }
                };
            }
            // Still being generated (or not yet started): wait and ask again.
            Err(e)
                if matches!(
                    e.code(),
                    Some("ReportInProgress" | "ReportNotPresent" | "ReportExpired")
                ) =>
            {
                last = describe(&e);
                tokio::time::sleep(std::time::Duration::from_millis(500 << attempt.min(3))).await;
            }
            Err(e) => {
                sink.warn("GetCredentialReport", describe(&e));
                return None;
            }
        }
    }
    sink.warn("GetCredentialReport", last);
    None
}

/// Times the credential report is asked for before giving up (about 15 s in all).
const REPORT_POLLS: u32 = 6;

async fn password_policy(c: &Client, sink: &mut Sink, out: &mut Vec<rampart_iac::Resource>) {
    let attrs = match c.get_account_password_policy().send().await {
        Ok(r) => match r.password_policy() {
            Some(p) => json!({
                "minimum_password_length": p.minimum_password_length(),
                "require_lowercase_characters": p.require_lowercase_characters(),
                "require_uppercase_characters": p.require_uppercase_characters(),
                "require_numbers": p.require_numbers(),
                "require_symbols": p.require_symbols(),
                "allow_users_to_change_password": p.allow_users_to_change_password(),
                "max_password_age": p.max_password_age(),
                "password_reuse_prevention": p.password_reuse_prevention(),
                "hard_expiry": p.hard_expiry(),
            }),
            None => Json::Null,
        },
        // No policy set: the account runs on AWS's defaults (8 characters, no requirements, no expiry),
        // which the checks judge like an explicit weak policy.
        Err(e) if e.code() == Some("NoSuchEntity") => json!({
            "minimum_password_length": 8,
            "require_lowercase_characters": false,
            "require_uppercase_characters": false,
            "require_numbers": false,
            "require_symbols": false,
            "allow_users_to_change_password": false,
            "password_policy_set": false,
        }),
        Err(e) => {
            sink.warn("GetAccountPasswordPolicy", describe(&e));
            Json::Null
        }
    };
    if !attrs.is_null() {
        out.push(live_resource(
            "aws_iam_account_password_policy",
            "account",
            attrs,
        ));
    }
}

/// AWS managed policies CIS and Prowler expect a role to hold: (attribute, policy ARN).
const ACCOUNT_ROLE_POLICIES: &[(&str, &str)] = &[
    ("support_roles", "arn:aws:iam::aws:policy/AWSSupportAccess"),
    (
        "security_audit_roles",
        "arn:aws:iam::aws:policy/SecurityAudit",
    ),
];

/// `aws_iam_account.account`: the roles each policy of [`ACCOUNT_ROLE_POLICIES`] is attached to
/// (null when they could not be listed); from `GetAccountSummary`, `account_mfa_enabled` and
/// `account_access_keys_present` (the root user's MFA and access keys) and `summary` (every count
/// and quota); `root_credentials`, the credential report's `<root_account>` row (null when absent).
async fn account(
    c: &Client,
    sink: &mut Sink,
    out: &mut Vec<rampart_iac::Resource>,
    root: Option<Json>,
) {
    let mut attrs = serde_json::Map::new();
    let (mfa, keys, summary) = match c.get_account_summary().send().await {
        Ok(r) => {
            let map = r.summary_map().cloned().unwrap_or_default();
            let flag = |k: &str| {
                map.iter()
                    .find(|(key, _)| key.as_str() == k)
                    .map_or(Json::Null, |(_, v)| Json::Bool(*v != 0))
            };
            let summary: serde_json::Map<String, Json> = map
                .iter()
                .map(|(k, v)| (k.as_str().to_string(), json!(v)))
                .collect::<std::collections::BTreeMap<_, _>>()
                .into_iter()
                .collect();
            (
                flag("AccountMFAEnabled"),
                flag("AccountAccessKeysPresent"),
                Json::Object(summary),
            )
        }
        Err(e) => {
            sink.warn("GetAccountSummary", describe(&e));
            (Json::Null, Json::Null, Json::Null)
        }
    };
    attrs.insert("account_mfa_enabled".into(), mfa);
    attrs.insert("account_access_keys_present".into(), keys);
    attrs.insert("summary".into(), summary);
    attrs.insert("root_credentials".into(), root.unwrap_or(Json::Null));
    for (key, arn) in ACCOUNT_ROLE_POLICIES {
        let before = sink.warnings.len();
        let roles = paginate!(
            sink,
            format!("ListEntitiesForPolicy {arn}"),
            c.list_entities_for_policy()
                .policy_arn(*arn)
                .entity_filter(aws_sdk_iam::types::EntityType::Role),
            |p| p
                .policy_roles()
                .iter()
                .filter_map(|r| r.role_name().map(str::to_string))
                .collect::<Vec<_>>()
        );
        let v = if sink.warnings.len() == before {
            json!(roles)
        } else {
            Json::Null
        };
        attrs.insert((*key).to_string(), v);
    }
    if attrs.values().any(|v| !v.is_null()) {
        out.push(live_resource(
            "aws_iam_account",
            "account",
            Json::Object(attrs),
        ));
    }
}
