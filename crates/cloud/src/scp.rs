//! Service control policies on the live IAM findings: an admin or escalation finding whose actions the
//! SCP chain over the account blocks is downgraded (admin: medium, "limited by SCP"; the others: low,
//! "blocked by SCP") with the blocking SCP statement or level as evidence. Service-linked roles and the
//! management account are exempt, as in AWS.
//!
//! A finding is judged for the principals its resource stands for: the user or role itself, each
//! member of a group (`users` of the live `aws_iam_group`), and for a customer managed policy every
//! user and role it is attached to and every member of every group it is attached to. It is
//! downgraded only when the SCPs stop it for all of them.

use crate::Inventory;
use rampart_core::{Finding, Severity};
use rampart_iac::Resource;
use rampart_iac::checks::aws::iam::{CREDENTIALS, PRIVESC, policy_attrs};
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
        if r.resource_type != "aws_iam_user" && r.resource_type != "aws_iam_role" {
            let arns: Vec<&str> = principals.iter().map(|p| p.arn.as_str()).collect();
            f.evidence.push(rampart_core::Evidence {
                label: "judged for".to_string(),
                location: None,
                detail: arns.join(", "),
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

/// The principals a finding's resource stands for (see the module documentation), each once.
/// Service-linked roles are left out (SCPs do not apply to them).
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
    let holders: Vec<&Resource> = match (r.resource_type.as_str(), r.str("arn")) {
        ("aws_iam_policy", Some(arn)) => inv
            .resources
            .iter()
            .filter(|u| strings(u, "managed_policy_arns").any(|a| a == arn))
            .collect(),
        ("aws_iam_policy", None) => Vec::new(),
        _ => vec![r],
    };
    let mut out: Vec<RequestPrincipal> = Vec::new();
    for h in holders {
        let found: Vec<RequestPrincipal> = if h.resource_type == "aws_iam_group" {
            members(h, inv).into_iter().filter_map(of).collect()
        } else {
            of(h).into_iter().collect()
        };
        for p in found {
            if !out.iter().any(|q| q.arn == p.arn) {
                out.push(p);
            }
        }
    }
    out
}

/// The strings of an array attribute.
fn strings<'a>(r: &'a Resource, key: &str) -> impl Iterator<Item = &'a str> {
    r.attributes
        .get(key)
        .and_then(Json::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .filter_map(Json::as_str)
}

/// The collected users a live group lists as members (`users`).
fn members<'a>(group: &Resource, inv: &'a Inventory) -> Vec<&'a Resource> {
    strings(group, "users")
        .filter_map(|name| {
            inv.resources
                .iter()
                .find(|u| u.resource_type == "aws_iam_user" && u.str("name") == Some(name))
        })
        .collect()
}

/// The policy documents a resource holds ([`policy_attrs`], as the IaC checks read them) or has
/// attached (the customer managed ones the collector read).
fn documents(r: &Resource, inv: &Inventory) -> Vec<Policy> {
    let decode = |name: &str, v: &Json| rampart_iam::account::decode_document(name, Some(v)).policy;
    let mut out: Vec<Policy> = policy_attrs(r)
        .into_iter()
        .filter_map(|a| a.known())
        .map(|v| decode(&r.address, v))
        .collect();
    for arn in strings(r, "managed_policy_arns") {
        if let Some(v) = inv
            .resources
            .iter()
            .find(|m| m.resource_type == "aws_iam_policy" && m.str("arn") == Some(arn))
            .and_then(|m| m.attributes.get("policy"))
            .filter(|v| !v.is_null())
        {
            out.push(decode(arn, v));
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live_resource;
    use serde_json::json;

    const ACCT: &str = "111122223333";

    fn chain() -> rampart_iac::Resource {
        let full = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;
        let deny = r#"{"Version":"2012-10-17","Statement":[{"Sid":"NoIamWrites","Effect":"Deny","Action":["iam:Attach*","iam:Put*","iam:Create*","iam:Update*","iam:PassRole"],"Resource":"*"}]}"#;
        live_resource(
            "aws_organizations_scp_chain",
            ACCT,
            json!({"AccountId": ACCT, "ManagementAccountId": "999988887777", "Levels": [
                {"TargetId": "r-1", "Type": "ROOT", "Policies": [
                    {"Id": "p-full", "Name": "FullAWSAccess", "Content": full}]},
                {"TargetId": "ou-1", "Type": "ORGANIZATIONAL_UNIT", "Name": "Prod", "Policies": [
                    {"Id": "p-full", "Name": "FullAWSAccess", "Content": full},
                    {"Id": "p-deny", "Name": "DenyIamWrites", "Content": deny}]},
                {"TargetId": ACCT, "Type": "ACCOUNT", "Policies": [
                    {"Id": "p-full", "Name": "FullAWSAccess", "Content": full}]}]}),
        )
    }

    fn user(name: &str) -> rampart_iac::Resource {
        live_resource(
            "aws_iam_user",
            name,
            json!({"name": name, "arn": format!("arn:aws:iam::{ACCT}:user/{name}"),
                   "managed_policy_arns": [], "inline_policy": []}),
        )
    }

    fn group(name: &str, users: serde_json::Value, managed: &[&str]) -> rampart_iac::Resource {
        live_resource(
            "aws_iam_group",
            name,
            json!({"name": name, "arn": format!("arn:aws:iam::{ACCT}:group/{name}"),
                   "managed_policy_arns": managed, "inline_policy": [], "users": users}),
        )
    }

    fn find<'a>(r: &'a crate::CloudReport, rule: &str, subject: &str) -> &'a Finding {
        r.findings
            .iter()
            .find(|f| f.rule_id == rule && f.subject == subject)
            .unwrap_or_else(|| panic!("no {rule} on {subject}: {:#?}", r.findings))
    }

    #[test]
    fn a_group_grant_is_judged_for_its_members() {
        let pass_role = "arn:aws:iam::111122223333:policy/pass";
        let inv = Inventory {
            resources: vec![
                chain(),
                user("alice"),
                user("bob"),
                group(
                    "admins",
                    json!(["alice", "bob"]),
                    &["arn:aws:iam::aws:policy/AdministratorAccess"],
                ),
                group(
                    "empty",
                    json!([]),
                    &["arn:aws:iam::aws:policy/AdministratorAccess"],
                ),
                group("deploy", json!(["bob"]), &[pass_role]),
                live_resource(
                    "aws_iam_policy",
                    "pass",
                    json!({"name": "pass", "arn": pass_role, "policy":
                        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:PassRole","Resource":"*"}]}"#}),
                ),
            ],
            ..Inventory::default()
        };
        let r = crate::scan(&inv, "aws:test", &[]);
        let admins = find(&r, "AWS-IAM-011", "aws_iam_group.admins");
        assert_eq!(admins.severity, Severity::Medium);
        assert!(
            admins.title.ends_with("(limited by SCP)"),
            "{}",
            admins.title
        );
        let ev = |label: &str| {
            admins
                .evidence
                .iter()
                .find(|e| e.label == label)
                .map(|e| e.detail.clone())
                .unwrap_or_default()
        };
        assert!(
            ev("limited by SCP").contains("SCP DenyIamWrites (p-deny) statement NoIamWrites"),
            "{:#?}",
            admins.evidence
        );
        assert_eq!(
            ev("judged for"),
            "arn:aws:iam::111122223333:user/alice, arn:aws:iam::111122223333:user/bob"
        );
        // Nobody to judge: the finding stays as it is.
        assert_eq!(
            find(&r, "AWS-IAM-011", "aws_iam_group.empty").severity,
            Severity::High
        );
        // A customer policy attached only to a group: judged for the group's members.
        let pass = find(&r, "AWS-IAM-009", "aws_iam_policy.pass");
        assert_eq!(pass.severity, Severity::Low);
        assert!(
            pass.evidence
                .iter()
                .any(|e| e.label == "judged for" && e.detail.ends_with("user/bob")),
            "{:#?}",
            pass.evidence
        );
    }

    #[test]
    fn unknown_members_leave_a_group_finding_alone() {
        let inv = Inventory {
            resources: vec![
                chain(),
                user("alice"),
                group(
                    "admins",
                    serde_json::Value::Null,
                    &["arn:aws:iam::aws:policy/AdministratorAccess"],
                ),
            ],
            ..Inventory::default()
        };
        let r = crate::scan(&inv, "aws:test", &[]);
        assert_eq!(
            find(&r, "AWS-IAM-011", "aws_iam_group.admins").severity,
            Severity::High
        );
    }
}
