//! Service control policies on the live IAM findings: an admin or escalation finding whose actions the
//! SCP chain over the account blocks is downgraded (admin: medium, "limited by SCP"; the others: low,
//! "blocked by SCP") with the blocking SCP statement or level as evidence. Service-linked roles and the
//! management account are exempt, as in AWS.

use crate::Inventory;
use rampart_core::{Finding, Severity};
use rampart_iac::Resource;
use rampart_iam::scp::ADMIN_CORE_ACTIONS;
use rampart_iam::{Policy, PolicySet, Request, RequestPrincipal, ScpChain, evaluate};
use serde_json::Value as Json;

/// The SCP chain the collector read (`aws_organizations_scp_chain`), if any.
pub fn chain(inventory: &Inventory) -> Option<ScpChain> {
    inventory
        .resources
        .iter()
        .find(|r| r.resource_type == "aws_organizations_scp_chain")
        .and_then(|r| ScpChain::from_value(&r.attributes))
        .map(|(c, _)| c)
}

// The actions behind each IAM check (kept in step with `rampart_iac`'s AWS IAM checks).
const PRIVESC: &[&str] = &[
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
const CREDENTIALS: &[&str] = &[
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
];

/// (check, actions it is about, admin check).
const RULES: &[(&str, &[&str], bool)] = &[
    ("AWS-IAM-001", ADMIN_CORE_ACTIONS, true),
    ("AWS-IAM-011", ADMIN_CORE_ACTIONS, true),
    ("AWS-IAM-012", ADMIN_CORE_ACTIONS, false),
    ("AWS-IAM-009", PRIVESC, false),
    ("AWS-IAM-010", CREDENTIALS, false),
];

/// Downgrades the findings of [`RULES`] that `chain` blocks (see the module documentation).
pub fn apply(findings: &mut [Finding], inventory: &Inventory, chain: &ScpChain) {
    if !chain.applies() {
        return;
    }
    for f in findings.iter_mut() {
        let Some(&(_, actions, admin)) = RULES.iter().find(|(id, _, _)| *id == f.rule_id) else {
            continue;
        };
        let Some(r) = inventory.resources.iter().find(|r| r.address == f.subject) else {
            continue;
        };
        let principals = principals(r, inventory, &chain.account_id);
        if principals.is_empty() {
            continue;
        }
        let docs = documents(r, inventory);
        let mut reasons = Vec::new();
        for p in &principals {
            let why = if admin {
                // Limited as soon as SCPs keep it from changing IAM.
                chain.first_blocked(p, actions)
            } else {
                all_blocked(chain, p, &granted(&docs, p, actions))
            };
            match why {
                Some(w) => reasons.push(w),
                None => break,
            }
        }
        if reasons.len() < principals.len() {
            continue;
        }
        let (severity, label) = if admin {
            (Severity::Medium, "limited by SCP")
        } else {
            (Severity::Low, "blocked by SCP")
        };
        f.severity = f.severity.min(severity);
        f.title = format!("{} ({label})", f.title);
        reasons.dedup();
        for why in reasons {
            f.evidence.push(rampart_core::Evidence {
                label: label.to_string(),
                location: None,
                detail: why,
            });
        }
    }
}

/// Every granted action blocked: the reason for the first; `None` when one gets through.
fn all_blocked(chain: &ScpChain, p: &RequestPrincipal, granted: &[&str]) -> Option<String> {
    let mut first = None;
    for a in granted {
        let why = chain.first_blocked(p, &[a])?;
        first.get_or_insert(why);
    }
    first
}

/// The principals a finding's resource stands for: the user or role itself, or those a customer
/// policy is attached to. Service-linked roles are left out (SCPs do not apply to them).
fn principals(r: &Resource, inv: &Inventory, account: &str) -> Vec<RequestPrincipal> {
    let of = |r: &Resource| -> Option<RequestPrincipal> {
        let arn = r.str("arn")?.to_string();
        match r.resource_type.as_str() {
            "aws_iam_user" => {
                let mut p = RequestPrincipal::user(account, r.str("name").unwrap_or(&r.name));
                p.arn = arn;
                Some(p)
            }
            "aws_iam_role" if !rampart_iam::scp::is_service_linked(Some(&arn)) => {
                Some(RequestPrincipal::assumed_role(&arn, "rampart"))
            }
            _ => None,
        }
    };
    if r.resource_type != "aws_iam_policy" {
        return of(r).into_iter().collect();
    }
    let Some(arn) = r.str("arn") else {
        return Vec::new();
    };
    inv.resources
        .iter()
        .filter(|u| {
            u.attributes
                .get("managed_policy_arns")
                .and_then(Json::as_array)
                .is_some_and(|a| a.iter().any(|x| x.as_str() == Some(arn)))
        })
        .filter_map(of)
        .collect()
}

/// The policy documents a resource holds or has attached (customer managed ones the collector read).
fn documents(r: &Resource, inv: &Inventory) -> Vec<Policy> {
    let mut out = Vec::new();
    let mut add = |name: &str, v: Option<&Json>| {
        if let Some(v) = v.filter(|v| !v.is_null()) {
            out.push(rampart_iam::account::decode_document(name, Some(v)).policy);
        }
    };
    add(&r.address, r.attributes.get("policy"));
    for p in r
        .attributes
        .get("inline_policy")
        .and_then(Json::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
    {
        add(&r.address, p.get("policy"));
    }
    for arn in r
        .attributes
        .get("managed_policy_arns")
        .and_then(Json::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .filter_map(Json::as_str)
    {
        if let Some(m) = inv
            .resources
            .iter()
            .find(|m| m.resource_type == "aws_iam_policy" && m.str("arn") == Some(arn))
        {
            add(arn, m.attributes.get("policy"));
        }
    }
    out
}

/// The `actions` the documents allow `p` on `*`; all of them when no document could be read (an AWS
/// managed policy such as AdministratorAccess is not collected).
fn granted<'a>(docs: &[Policy], p: &RequestPrincipal, actions: &[&'a str]) -> Vec<&'a str> {
    let set = PolicySet {
        identity: docs.iter().collect(),
        ..PolicySet::default()
    };
    let hit: Vec<&str> = actions
        .iter()
        .copied()
        .filter(|a| evaluate(&Request::new(p.clone(), a, "*").incomplete(), &set).allowed())
        .collect();
    if hit.is_empty() {
        actions.to_vec()
    } else {
        hit
    }
}
