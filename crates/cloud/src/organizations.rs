//! AWS Organizations: service control policies with their documents, as `aws_organizations_policy`, and
//! the chain of SCPs over the scanned account (root → OUs → account, `aws_organizations_scp_chain`, in
//! the JSON form `rampart_iam::ScpChain::from_value` reads), when the account may read them (the
//! management account or a delegated administrator; [`crate::AwsOptions::org_role_arn`] reads them
//! through a role there). An account outside an organization has none; AccessDenied is a warning like
//! any other unreadable call.

use crate::aws::{ServiceOut, Sink, describe};
use crate::doc::{live_resource, policy_string};
use aws_sdk_organizations::Client;
use aws_sdk_organizations::error::ProvideErrorMetadata;
use aws_sdk_organizations::types::{ParentType, PolicyType};
use aws_types::SdkConfig;
use serde_json::{Value as Json, json};
use std::collections::HashMap;

/// Most levels between an account and its root (AWS allows five OU levels).
const MAX_DEPTH: usize = 8;

const NOT_IN_USE: &str = "AWSOrganizationsNotInUseException";

/// `conf` reads the scanned account's identity; `org` reads Organizations (the same configuration, or
/// one assumed into the management account).
pub(crate) async fn collect(conf: &SdkConfig, org: &SdkConfig) -> ServiceOut {
    let c = Client::new(org);
    let mut sink = Sink::new("organizations");
    let mut out = Vec::new();
    let mut summaries = Vec::new();
    let mut pages = c
        .list_policies()
        .filter(PolicyType::ServiceControlPolicy)
        .into_paginator()
        .send();
    let mut in_use = true;
    while let Some(page) = pages.next().await {
        match page {
            Ok(p) => summaries.extend(p.policies().iter().cloned()),
            Err(e) if e.code() == Some(NOT_IN_USE) => {
                in_use = false;
                break;
            }
            Err(e) => {
                sink.warn(
                    "ListPolicies SERVICE_CONTROL_POLICY (SCPs could not be read)",
                    describe(&e),
                );
                break;
            }
        }
    }
    let mut contents = Contents::default();
    for s in summaries {
        let Some(id) = s.id() else { continue };
        let content = contents.get(&c, &mut sink, id).await;
        out.push(live_resource(
            "aws_organizations_policy",
            id,
            json!({
                "id": id,
                "name": s.name(),
                "arn": s.arn(),
                "type": "SERVICE_CONTROL_POLICY",
                "aws_managed": s.aws_managed(),
                "content": content,
            }),
        ));
    }
    if in_use && let Some(chain) = chain(conf, &c, &mut sink, &mut contents).await {
        let account = chain["AccountId"].as_str().unwrap_or("account").to_string();
        out.push(live_resource(
            "aws_organizations_scp_chain",
            &account,
            chain,
        ));
    }
    ServiceOut {
        service: "organizations",
        resources: out,
        sink,
    }
}

/// The SCP chain over the caller's account (see the module documentation); `None` when the account is
/// in no organization or the chain could not be read (a warning says which call failed).
pub(crate) async fn scp_chain(conf: &SdkConfig, org: &SdkConfig) -> (Option<Json>, Sink) {
    let mut sink = Sink::new("organizations");
    let c = Client::new(org);
    let chain = chain(conf, &c, &mut sink, &mut Contents::default()).await;
    (chain, sink)
}

/// Policy documents by id, each read once.
#[derive(Default)]
struct Contents(HashMap<String, Json>);

impl Contents {
    async fn get(&mut self, c: &Client, sink: &mut Sink, id: &str) -> Json {
        if let Some(v) = self.0.get(id) {
            return v.clone();
        }
        let v = match c.describe_policy().policy_id(id).send().await {
            Ok(r) => r
                .policy()
                .and_then(|p| p.content())
                .map_or(Json::Null, policy_string),
            Err(e) => {
                sink.warn(format!("DescribePolicy {id}"), describe(&e));
                Json::Null
            }
        };
        self.0.insert(id.to_string(), v.clone());
        v
    }
}

async fn chain(
    conf: &SdkConfig,
    c: &Client,
    sink: &mut Sink,
    contents: &mut Contents,
) -> Option<Json> {
    let org = match c.describe_organization().send().await {
        Ok(r) => r.organization().cloned(),
        Err(e) if e.code() == Some(NOT_IN_USE) => return None,
        Err(e) => {
            sink.warn("DescribeOrganization (SCPs not applied)", describe(&e));
            return None;
        }
    };
    let management = org
        .as_ref()
        .and_then(|o| o.master_account_id())
        .map(str::to_string);
    let account = match aws_sdk_sts::Client::new(conf)
        .get_caller_identity()
        .send()
        .await
    {
        Ok(r) => r.account().unwrap_or_default().to_string(),
        Err(e) => {
            sink.warn("sts GetCallerIdentity (SCPs not applied)", describe(&e));
            return None;
        }
    };
    if management.as_deref() == Some(account.as_str()) {
        // SCPs never apply to the management account: no need to read them.
        return Some(json!({
            "AccountId": account,
            "ManagementAccountId": management,
            "Levels": [],
        }));
    }
    // Account, then each parent up to the root.
    let mut targets = vec![(account.clone(), "ACCOUNT")];
    let mut child = account.clone();
    for _ in 0..MAX_DEPTH {
        let parent = match c.list_parents().child_id(&child).send().await {
            Ok(r) => r.parents().first().cloned(),
            Err(e) => {
                sink.warn(
                    format!("ListParents {child} (SCPs not applied)"),
                    describe(&e),
                );
                return None;
            }
        };
        let Some((id, kind)) =
            parent.and_then(|p| Some((p.id()?.to_string(), p.r#type()?.clone())))
        else {
            break;
        };
        let root = kind == ParentType::Root;
        targets.push((
            id.clone(),
            if root { "ROOT" } else { "ORGANIZATIONAL_UNIT" },
        ));
        if root {
            break;
        }
        child = id;
    }
    if targets.last().is_none_or(|t| t.1 != "ROOT") {
        sink.warn(
            format!("ListParents {account} (no root within {MAX_DEPTH} levels; SCPs not applied)"),
            "incomplete organization path",
        );
        return None;
    }
    // SCPs apply only when the policy type is enabled in the root.
    let root = targets.last().map(|t| t.0.clone()).unwrap_or_default();
    let roots = paginate!(sink, "ListRoots (SCPs not applied)", c.list_roots(), |p| p
        .roots()
        .to_vec());
    if sink
        .warnings
        .last()
        .is_some_and(|w| w.what.starts_with("ListRoots"))
    {
        return None;
    }
    let enabled = roots
        .iter()
        .filter(|r| r.id() == Some(root.as_str()))
        .any(|r| {
            r.policy_types().iter().any(|t| {
                t.r#type() == Some(&PolicyType::ServiceControlPolicy)
                    && t.status() == Some(&aws_sdk_organizations::types::PolicyTypeStatus::Enabled)
            })
        });
    if !enabled {
        return Some(json!({
            "AccountId": account,
            "ManagementAccountId": management,
            "Levels": [],
        }));
    }
    let mut levels = Vec::new();
    for (id, kind) in targets.into_iter().rev() {
        let summaries = paginate!(
            sink,
            format!("ListPoliciesForTarget {id} (SCPs not applied)"),
            c.list_policies_for_target()
                .target_id(&id)
                .filter(PolicyType::ServiceControlPolicy),
            |p| p.policies().to_vec()
        );
        if sink
            .warnings
            .last()
            .is_some_and(|w| w.what.starts_with(&format!("ListPoliciesForTarget {id} ")))
        {
            return None;
        }
        let mut policies = Vec::new();
        for s in summaries {
            let Some(pid) = s.id() else { continue };
            let content = contents.get(c, sink, pid).await;
            if content.is_null() {
                // An SCP without its text would read as "allows nothing": better no chain at all.
                sink.warn(
                    format!("DescribePolicy {pid} (SCPs not applied)"),
                    "no policy content",
                );
                return None;
            }
            policies.push(json!({"Id": pid, "Name": s.name(), "Content": content}));
        }
        let name = match kind {
            "ORGANIZATIONAL_UNIT" => c
                .describe_organizational_unit()
                .organizational_unit_id(&id)
                .send()
                .await
                .ok()
                .and_then(|r| {
                    r.organizational_unit()
                        .and_then(|o| o.name())
                        .map(str::to_string)
                }),
            _ => None,
        };
        levels.push(json!({"TargetId": id, "Type": kind, "Name": name, "Policies": policies}));
    }
    Some(json!({
        "AccountId": account,
        "ManagementAccountId": management,
        "Levels": levels,
    }))
}
