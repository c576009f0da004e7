//! IAM `GetAccountAuthorizationDetails`, paginated, as the JSON `aws iam get-account-authorization-details`
//! prints: `UserDetailList`, `GroupDetailList`, `RoleDetailList` and `Policies` (every page merged, no
//! `IsTruncated`/`Marker`), policy documents URL-decoded into JSON objects (a document that does not decode
//! stays the raw string, as the CLI leaves it), dates as ISO 8601 (`2026-11-27T05:56:19+00:00`), absent
//! members left out. This is what `rampart_iam::Account::from_json` reads.
//!
//! One extension the CLI does not print: each user gets `AccessKeys` (`AccessKeyId`, `Status`,
//! `CreateDate`, `LastUsedDate`, from `ListAccessKeys` and `GetAccessKeyLastUsed`), the field
//! `rampart_iam::Account` reads access keys and their last use from.
//!
//! A second extension: `ServiceControlPolicies`, the SCP chain over the account (see
//! `rampart_iam::scp`), when the account is in an organization whose SCPs it (or
//! [`AwsOptions::org_role_arn`]) may read.
//!
//! A failed call (AccessDenied, throttling, timeout) is a [`Warning`]; what was read is kept.

use crate::aws::{Sink, describe, each_bounded, runtime, sdk_config};
use crate::{AwsOptions, CloudError, Warning};
use aws_sdk_iam::Client;
use aws_sdk_iam::operation::get_account_authorization_details::GetAccountAuthorizationDetailsOutput as Page;
use aws_sdk_iam::primitives::{DateTime, DateTimeFormat};
use aws_sdk_iam::types::{
    AttachedPermissionsBoundary, AttachedPolicy, EntityType, GroupDetail, InstanceProfile,
    ManagedPolicyDetail, PolicyDetail, PolicyVersion, Role, RoleDetail, RoleLastUsed, Tag,
    UserDetail,
};
use serde_json::{Map, Value as Json, json};

/// The account's authorization details (see the module documentation) and what could not be read.
pub async fn authorization_details(o: &AwsOptions) -> Result<(Json, Vec<Warning>), CloudError> {
    let conf = sdk_config(o, None).await;
    if conf.region().is_none() {
        return Err(CloudError::NoRegion);
    }
    let c = Client::new(&conf);
    let mut sink = Sink::new("iam");
    let filters = [
        EntityType::User,
        EntityType::Role,
        EntityType::Group,
        EntityType::LocalManagedPolicy,
        EntityType::AwsManagedPolicy,
    ];
    let pages: Vec<Page> = paginate!(
        sink,
        "GetAccountAuthorizationDetails",
        c.get_account_authorization_details()
            .set_filter(Some(filters.to_vec())),
        |p| [p]
    );
    let mut doc = to_json(&pages);
    if let Some(list) = doc.get_mut("UserDetailList").and_then(Json::as_array_mut) {
        // Up to `o.concurrency` users at a time; results come back in the listing's order.
        let names: Vec<Option<String>> = list
            .iter()
            .map(|e| e.get("UserName").and_then(Json::as_str).map(str::to_string))
            .collect();
        let c = &c;
        let keys = each_bounded(&mut sink, names, o.concurrency, |name| async move {
            let mut s = Sink::new("iam");
            let k = match name {
                Some(n) => access_keys(c, &mut s, &n).await,
                None => None,
            };
            (k, s)
        })
        .await;
        for (entry, k) in list.iter_mut().zip(keys) {
            if let (Some(k), Some(entry)) = (k, entry.as_object_mut()) {
                entry.insert("AccessKeys".into(), Json::Array(k));
            }
        }
    }
    let org = crate::aws::org_config(o, &conf).await;
    let (chain, org_sink) = crate::organizations::scp_chain(&conf, &org).await;
    if let (Some(chain), Some(obj)) = (chain, doc.as_object_mut()) {
        obj.insert("ServiceControlPolicies".into(), chain);
    }
    let mut warnings = sink.warnings;
    warnings.extend(org_sink.warnings);
    Ok((doc, warnings))
}

/// [`authorization_details`] on a runtime of its own (for callers that are not async).
pub fn authorization_details_blocking(o: &AwsOptions) -> Result<(Json, Vec<Warning>), CloudError> {
    runtime()?.block_on(authorization_details(o))
}

/// The access keys of `user` in the `AccessKeys` shape `rampart_iam::Account` reads; `None` when they
/// could not be listed (the user then carries no `AccessKeys` field rather than an empty one).
async fn access_keys(c: &Client, sink: &mut Sink, user: &str) -> Option<Vec<Json>> {
    let mut failed = false;
    let mut meta = Vec::new();
    let mut pages = c.list_access_keys().user_name(user).into_paginator().send();
    while let Some(page) = pages.next().await {
        match page {
            Ok(p) => meta.extend(p.access_key_metadata().to_vec()),
            Err(e) => {
                sink.warn(format!("ListAccessKeys {user}"), describe(&e));
                failed = true;
                break;
            }
        }
    }
    if failed && meta.is_empty() {
        return None;
    }
    let mut out = Vec::new();
    for k in meta {
        let id = k.access_key_id().unwrap_or_default().to_string();
        let mut m = Map::new();
        put(&mut m, "UserName", k.user_name().map(Json::from));
        put(&mut m, "AccessKeyId", Some(Json::from(id.as_str())));
        put(&mut m, "Status", k.status().map(|s| Json::from(s.as_str())));
        put(&mut m, "CreateDate", k.create_date().map(date));
        match c.get_access_key_last_used().access_key_id(&id).send().await {
            Ok(r) => {
                if let Some(l) = r.access_key_last_used() {
                    put(&mut m, "LastUsedDate", l.last_used_date().map(date));
                    if l.last_used_date().is_some() {
                        put(&mut m, "ServiceName", Some(Json::from(l.service_name())));
                        put(&mut m, "Region", Some(Json::from(l.region())));
                    }
                }
            }
            Err(e) => sink.warn(format!("GetAccessKeyLastUsed {user}"), describe(&e)),
        }
        out.push(Json::Object(m));
    }
    Some(out)
}

/// Every page merged into the CLI's output shape.
pub(crate) fn to_json(pages: &[Page]) -> Json {
    let mut users = Vec::new();
    let mut groups = Vec::new();
    let mut roles = Vec::new();
    let mut policies = Vec::new();
    for p in pages {
        users.extend(p.user_detail_list().iter().map(user));
        groups.extend(p.group_detail_list().iter().map(group));
        roles.extend(p.role_detail_list().iter().map(role_detail));
        policies.extend(p.policies().iter().map(managed_policy));
    }
    json!({
        "UserDetailList": users,
        "GroupDetailList": groups,
        "RoleDetailList": roles,
        "Policies": policies,
    })
}

fn put(m: &mut Map<String, Json>, key: &str, v: Option<Json>) {
    if let Some(v) = v {
        m.insert(key.to_string(), v);
    }
}

fn s(v: Option<&str>) -> Option<Json> {
    v.map(Json::from)
}

/// ISO 8601 as AWS CLI v2 prints it: `2026-11-27T05:56:19+00:00`.
fn date(d: &DateTime) -> Json {
    let text = d
        .fmt(DateTimeFormat::DateTime)
        .unwrap_or_else(|_| d.secs().to_string());
    match text.strip_suffix('Z') {
        Some(t) => Json::String(format!("{t}+00:00")),
        None => Json::String(text),
    }
}

/// A policy document as the CLI prints it: URL-decoded and parsed into JSON; a document that does not
/// decode or parse stays the raw string.
pub(crate) fn document(raw: &str) -> Json {
    let decoded = percent_encoding::percent_decode_str(raw).decode_utf8();
    match decoded.map(|d| serde_json::from_str::<Json>(&d)) {
        Ok(Ok(v)) => v,
        _ => Json::String(raw.to_string()),
    }
}

fn list<T>(items: Option<&Vec<T>>, f: impl Fn(&T) -> Json) -> Option<Json> {
    items.map(|v| Json::Array(v.iter().map(f).collect()))
}

fn inline(p: &PolicyDetail) -> Json {
    let mut m = Map::new();
    put(&mut m, "PolicyName", s(p.policy_name()));
    put(&mut m, "PolicyDocument", p.policy_document().map(document));
    Json::Object(m)
}

fn attached(p: &AttachedPolicy) -> Json {
    let mut m = Map::new();
    put(&mut m, "PolicyName", s(p.policy_name()));
    put(&mut m, "PolicyArn", s(p.policy_arn()));
    Json::Object(m)
}

fn boundary(b: &AttachedPermissionsBoundary) -> Json {
    let mut m = Map::new();
    put(
        &mut m,
        "PermissionsBoundaryType",
        b.permissions_boundary_type()
            .map(|t| Json::from(t.as_str())),
    );
    put(
        &mut m,
        "PermissionsBoundaryArn",
        s(b.permissions_boundary_arn()),
    );
    Json::Object(m)
}

fn tag(t: &Tag) -> Json {
    json!({ "Key": t.key(), "Value": t.value() })
}

fn last_used(l: &RoleLastUsed) -> Json {
    let mut m = Map::new();
    put(&mut m, "LastUsedDate", l.last_used_date().map(date));
    put(&mut m, "Region", s(l.region()));
    Json::Object(m)
}

fn user(u: &UserDetail) -> Json {
    let mut m = Map::new();
    put(&mut m, "Path", s(u.path()));
    put(&mut m, "UserName", s(u.user_name()));
    put(&mut m, "UserId", s(u.user_id()));
    put(&mut m, "Arn", s(u.arn()));
    put(&mut m, "CreateDate", u.create_date().map(date));
    put(
        &mut m,
        "UserPolicyList",
        list(u.user_policy_list.as_ref(), inline),
    );
    put(
        &mut m,
        "GroupList",
        list(u.group_list.as_ref(), |g| Json::from(g.as_str())),
    );
    put(
        &mut m,
        "AttachedManagedPolicies",
        list(u.attached_managed_policies.as_ref(), attached),
    );
    put(
        &mut m,
        "PermissionsBoundary",
        u.permissions_boundary().map(boundary),
    );
    put(&mut m, "Tags", list(u.tags.as_ref(), tag));
    Json::Object(m)
}

fn group(g: &GroupDetail) -> Json {
    let mut m = Map::new();
    put(&mut m, "Path", s(g.path()));
    put(&mut m, "GroupName", s(g.group_name()));
    put(&mut m, "GroupId", s(g.group_id()));
    put(&mut m, "Arn", s(g.arn()));
    put(&mut m, "CreateDate", g.create_date().map(date));
    put(
        &mut m,
        "GroupPolicyList",
        list(g.group_policy_list.as_ref(), inline),
    );
    put(
        &mut m,
        "AttachedManagedPolicies",
        list(g.attached_managed_policies.as_ref(), attached),
    );
    Json::Object(m)
}

fn role_detail(r: &RoleDetail) -> Json {
    let mut m = Map::new();
    put(&mut m, "Path", s(r.path()));
    put(&mut m, "RoleName", s(r.role_name()));
    put(&mut m, "RoleId", s(r.role_id()));
    put(&mut m, "Arn", s(r.arn()));
    put(&mut m, "CreateDate", r.create_date().map(date));
    put(
        &mut m,
        "AssumeRolePolicyDocument",
        r.assume_role_policy_document().map(document),
    );
    put(
        &mut m,
        "InstanceProfileList",
        list(r.instance_profile_list.as_ref(), instance_profile),
    );
    put(
        &mut m,
        "RolePolicyList",
        list(r.role_policy_list.as_ref(), inline),
    );
    put(
        &mut m,
        "AttachedManagedPolicies",
        list(r.attached_managed_policies.as_ref(), attached),
    );
    put(
        &mut m,
        "PermissionsBoundary",
        r.permissions_boundary().map(boundary),
    );
    put(&mut m, "Tags", list(r.tags.as_ref(), tag));
    // The CLI prints `"RoleLastUsed": {}` for a role never used.
    put(
        &mut m,
        "RoleLastUsed",
        Some(
            r.role_last_used()
                .map(last_used)
                .unwrap_or_else(|| json!({})),
        ),
    );
    Json::Object(m)
}

fn instance_profile(p: &InstanceProfile) -> Json {
    let mut m = Map::new();
    put(&mut m, "Path", Some(Json::from(p.path())));
    put(
        &mut m,
        "InstanceProfileName",
        Some(Json::from(p.instance_profile_name())),
    );
    put(
        &mut m,
        "InstanceProfileId",
        Some(Json::from(p.instance_profile_id())),
    );
    put(&mut m, "Arn", Some(Json::from(p.arn())));
    put(&mut m, "CreateDate", Some(date(p.create_date())));
    put(&mut m, "Roles", list(Some(&p.roles), role));
    put(&mut m, "Tags", list(p.tags.as_ref(), tag));
    Json::Object(m)
}

fn role(r: &Role) -> Json {
    let mut m = Map::new();
    put(&mut m, "Path", Some(Json::from(r.path())));
    put(&mut m, "RoleName", Some(Json::from(r.role_name())));
    put(&mut m, "RoleId", Some(Json::from(r.role_id())));
    put(&mut m, "Arn", Some(Json::from(r.arn())));
    put(&mut m, "CreateDate", Some(date(r.create_date())));
    put(
        &mut m,
        "AssumeRolePolicyDocument",
        r.assume_role_policy_document().map(document),
    );
    put(&mut m, "Description", s(r.description()));
    put(
        &mut m,
        "MaxSessionDuration",
        r.max_session_duration().map(Json::from),
    );
    put(
        &mut m,
        "PermissionsBoundary",
        r.permissions_boundary().map(boundary),
    );
    put(&mut m, "Tags", list(r.tags.as_ref(), tag));
    put(&mut m, "RoleLastUsed", r.role_last_used().map(last_used));
    Json::Object(m)
}

fn managed_policy(p: &ManagedPolicyDetail) -> Json {
    let mut m = Map::new();
    put(&mut m, "PolicyName", s(p.policy_name()));
    put(&mut m, "PolicyId", s(p.policy_id()));
    put(&mut m, "Arn", s(p.arn()));
    put(&mut m, "Path", s(p.path()));
    put(&mut m, "DefaultVersionId", s(p.default_version_id()));
    put(
        &mut m,
        "AttachmentCount",
        p.attachment_count().map(Json::from),
    );
    put(
        &mut m,
        "PermissionsBoundaryUsageCount",
        p.permissions_boundary_usage_count().map(Json::from),
    );
    put(&mut m, "IsAttachable", Some(Json::from(p.is_attachable())));
    put(&mut m, "Description", s(p.description()));
    put(&mut m, "CreateDate", p.create_date().map(date));
    put(&mut m, "UpdateDate", p.update_date().map(date));
    put(
        &mut m,
        "PolicyVersionList",
        list(p.policy_version_list.as_ref(), version),
    );
    Json::Object(m)
}

fn version(v: &PolicyVersion) -> Json {
    let mut m = Map::new();
    put(&mut m, "Document", v.document().map(document));
    put(&mut m, "VersionId", s(v.version_id()));
    put(
        &mut m,
        "IsDefaultVersion",
        Some(Json::from(v.is_default_version())),
    );
    put(&mut m, "CreateDate", v.create_date().map(date));
    Json::Object(m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_iam::types::{PermissionsBoundaryAttachmentType, RoleLastUsed};

    const TRUST: &str = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Principal%22%3A%7B%22AWS%22%3A%22%2A%22%7D%2C%22Action%22%3A%22sts%3AAssumeRole%22%7D%5D%7D";

    fn t(secs: i64) -> DateTime {
        DateTime::from_secs(secs)
    }

    fn pages() -> Vec<Page> {
        let admin = AttachedPolicy::builder()
            .policy_name("AdministratorAccess")
            .policy_arn("arn:aws:iam::aws:policy/AdministratorAccess")
            .build();
        let first = Page::builder()
            .user_detail_list(
                UserDetail::builder()
                    .path("/")
                    .user_name("alice")
                    .user_id("AIDA1")
                    .arn("arn:aws:iam::123456789012:user/alice")
                    .create_date(t(1_700_000_000))
                    .group_list("admins")
                    .attached_managed_policies(admin.clone())
                    .user_policy_list(
                        PolicyDetail::builder()
                            .policy_name("inline")
                            .policy_document("%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22s3%3A%2A%22%2C%22Resource%22%3A%22%2A%22%7D%5D%7D")
                            .build(),
                    )
                    .permissions_boundary(
                        AttachedPermissionsBoundary::builder()
                            .permissions_boundary_type(PermissionsBoundaryAttachmentType::Policy)
                            .permissions_boundary_arn("arn:aws:iam::123456789012:policy/boundary")
                            .build(),
                    )
                    .tags(Tag::builder().key("team").value("sec").build().unwrap())
                    .build(),
            )
            .group_detail_list(
                GroupDetail::builder()
                    .group_name("admins")
                    .arn("arn:aws:iam::123456789012:group/admins")
                    .attached_managed_policies(admin.clone())
                    .build(),
            )
            .is_truncated(true)
            .marker("m1")
            .build();
        let second = Page::builder()
            .role_detail_list(
                RoleDetail::builder()
                    .path("/")
                    .role_name("open")
                    .role_id("AROA1")
                    .arn("arn:aws:iam::123456789012:role/open")
                    .create_date(t(1_700_000_000))
                    .assume_role_policy_document(TRUST)
                    .attached_managed_policies(admin)
                    .role_last_used(
                        RoleLastUsed::builder()
                            .last_used_date(t(1_750_000_000))
                            .region("eu-west-1")
                            .build(),
                    )
                    .instance_profile_list(
                        InstanceProfile::builder()
                            .path("/")
                            .instance_profile_name("open")
                            .instance_profile_id("AIPA1")
                            .arn("arn:aws:iam::123456789012:instance-profile/open")
                            .create_date(t(1_700_000_000))
                            .roles(
                                Role::builder()
                                    .path("/")
                                    .role_name("open")
                                    .role_id("AROA1")
                                    .arn("arn:aws:iam::123456789012:role/open")
                                    .create_date(t(1_700_000_000))
                                    .assume_role_policy_document(TRUST)
                                    .build()
                                    .unwrap(),
                            )
                            .build()
                            .unwrap(),
                    )
                    .build(),
            )
            .role_detail_list(
                RoleDetail::builder()
                    .role_name("idle")
                    .arn("arn:aws:iam::123456789012:role/idle")
                    .assume_role_policy_document("not%20json")
                    .build(),
            )
            .policies(
                ManagedPolicyDetail::builder()
                    .policy_name("AdministratorAccess")
                    .arn("arn:aws:iam::aws:policy/AdministratorAccess")
                    .default_version_id("v2")
                    .attachment_count(3)
                    .is_attachable(true)
                    .policy_version_list(
                        PolicyVersion::builder()
                            .version_id("v1")
                            .is_default_version(false)
                            .document("%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%5D%7D")
                            .build(),
                    )
                    .policy_version_list(
                        PolicyVersion::builder()
                            .version_id("v2")
                            .is_default_version(true)
                            .document("%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22%2A%22%2C%22Resource%22%3A%22%2A%22%7D%5D%7D")
                            .create_date(t(1_600_000_000))
                            .build(),
                    )
                    .build(),
            )
            .build();
        vec![first, second]
    }

    #[test]
    fn pages_become_the_cli_shape() {
        let d = to_json(&pages());
        assert!(d.get("IsTruncated").is_none() && d.get("Marker").is_none());
        let u = &d["UserDetailList"][0];
        assert_eq!(u["UserName"], "alice");
        assert_eq!(u["CreateDate"], "2023-11-14T22:13:20+00:00");
        assert_eq!(u["GroupList"], json!(["admins"]));
        assert_eq!(
            u["UserPolicyList"][0]["PolicyDocument"]["Statement"][0]["Action"],
            "s3:*"
        );
        assert_eq!(
            u["PermissionsBoundary"],
            json!({"PermissionsBoundaryType": "PermissionsBoundaryPolicy",
                   "PermissionsBoundaryArn": "arn:aws:iam::123456789012:policy/boundary"})
        );
        assert_eq!(u["Tags"], json!([{"Key": "team", "Value": "sec"}]));
        assert!(u.get("AccessKeys").is_none());
        assert_eq!(d["GroupDetailList"][0]["GroupName"], "admins");
        let r = &d["RoleDetailList"][0];
        assert_eq!(
            r["AssumeRolePolicyDocument"]["Statement"][0]["Principal"],
            json!({"AWS": "*"})
        );
        assert_eq!(
            r["RoleLastUsed"],
            json!({"LastUsedDate": "2025-06-15T15:06:40+00:00", "Region": "eu-west-1"})
        );
        let profile = &r["InstanceProfileList"][0];
        assert_eq!(profile["InstanceProfileName"], "open");
        assert_eq!(
            profile["Roles"][0]["AssumeRolePolicyDocument"]["Statement"][0]["Action"],
            "sts:AssumeRole"
        );
        // Never used: `{}` as the CLI prints; an undecodable document stays the raw string.
        let idle = &d["RoleDetailList"][1];
        assert_eq!(idle["RoleLastUsed"], json!({}));
        assert_eq!(idle["AssumeRolePolicyDocument"], "not%20json");
        assert!(idle.get("Path").is_none());
        let p = &d["Policies"][0];
        assert_eq!(p["AttachmentCount"], 3);
        assert_eq!(p["PolicyVersionList"][1]["IsDefaultVersion"], true);
        assert_eq!(
            p["PolicyVersionList"][1]["Document"]["Statement"][0]["Action"],
            "*"
        );
    }

    #[test]
    fn the_shape_is_what_the_iam_crate_reads() {
        let text = to_json(&pages()).to_string();
        let acc = rampart_iam::Account::from_json(&text).expect("parses");
        assert_eq!(acc.account_id, "123456789012");
        assert!(acc.warnings.iter().all(|w| !w.policy.contains("alice")));
        let alice = &acc.users[0];
        assert_eq!(alice.groups, ["admins"]);
        assert_eq!(
            alice.boundary.as_deref(),
            Some("arn:aws:iam::123456789012:policy/boundary")
        );
        assert_eq!(alice.tags.get("team").map(String::as_str), Some("sec"));
        assert!(alice.created.is_some());
        let open = acc.roles.iter().find(|r| r.name == "open").unwrap();
        assert!(open.last_used.is_some());
        assert!(open.created.is_some());
        let admin = &acc.policies[0];
        assert_eq!(admin.attachment_count, 3);
        assert_eq!(admin.other_versions.len(), 1);
        let analysis = rampart_iam::analyze(&acc, &rampart_iam::Options::default());
        let found = rampart_iam::findings(&analysis);
        assert!(
            found
                .iter()
                .any(|f| f.rule_id == "iam-role-trust-public" && f.subject.contains("role/open")),
            "{:?}",
            found.iter().map(|f| &f.rule_id).collect::<Vec<_>>()
        );
    }

    #[test]
    fn documents_decode_like_the_cli() {
        assert_eq!(document("%7B%22a%22%3A1%7D"), json!({"a": 1}));
        assert_eq!(document("{\"a\":1}"), json!({"a": 1}));
        // `+` is not a space (the CLI uses `unquote`, not `unquote_plus`).
        assert_eq!(document("%7B%22a%22%3A%22x+y%22%7D"), json!({"a": "x+y"}));
        assert_eq!(document("100%"), json!("100%"));
    }
}
