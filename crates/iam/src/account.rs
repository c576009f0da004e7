//! The account model read from `aws iam get-account-authorization-details` JSON (the input
//! Cloudsplaining and PMapper read). The live collector fills the same structs.
//!
//! Lenient: an entry with wrong types is skipped with a warning; policy documents may be JSON objects,
//! JSON strings, or URL-encoded JSON strings (as the raw IAM API returns them).

use crate::Error;
use crate::condition::parse_date;
use crate::policy::{Parsed, Policy, PolicyWarning};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// Largest authorization-details file accepted.
pub const MAX_INPUT_BYTES: usize = 512 << 20;

/// An access key of a user (not part of the AWS output; filled from a credential report or the live
/// collector through the `AccessKeys` extension field).
#[derive(Debug, Clone)]
pub struct AccessKey {
    pub id: String,
    pub active: bool,
    pub created: Option<jiff::Timestamp>,
    pub last_used: Option<jiff::Timestamp>,
}

/// An IAM user.
#[derive(Debug, Clone)]
pub struct User {
    pub name: String,
    pub arn: String,
    pub groups: Vec<String>,
    pub inline: Vec<Policy>,
    /// ARNs of attached managed policies.
    pub attached: Vec<String>,
    /// ARN of the permission boundary policy.
    pub boundary: Option<String>,
    pub tags: BTreeMap<String, String>,
    pub created: Option<jiff::Timestamp>,
    pub access_keys: Vec<AccessKey>,
}

/// An IAM group.
#[derive(Debug, Clone)]
pub struct Group {
    pub name: String,
    pub arn: String,
    pub inline: Vec<Policy>,
    pub attached: Vec<String>,
}

/// An IAM role.
#[derive(Debug, Clone)]
pub struct Role {
    pub name: String,
    pub arn: String,
    pub path: String,
    /// The trust (assume-role) policy.
    pub trust: Policy,
    pub inline: Vec<Policy>,
    pub attached: Vec<String>,
    pub boundary: Option<String>,
    pub tags: BTreeMap<String, String>,
    pub created: Option<jiff::Timestamp>,
    /// `RoleLastUsed.LastUsedDate`; `None` = never used (or not reported).
    pub last_used: Option<jiff::Timestamp>,
}

/// A customer- or AWS-managed policy with its versions.
#[derive(Debug, Clone)]
pub struct ManagedPolicy {
    pub arn: String,
    pub name: String,
    /// The default version's document.
    pub document: Policy,
    /// Non-default versions (reachable through `iam:SetDefaultPolicyVersion`).
    pub other_versions: Vec<Policy>,
    pub attachment_count: u64,
}

impl ManagedPolicy {
    /// Whether AWS manages this policy (`arn:aws:iam::aws:policy/…`).
    pub fn aws_managed(&self) -> bool {
        self.arn.contains(":iam::aws:policy/")
    }
}

/// One AWS account's IAM configuration.
#[derive(Debug, Clone, Default)]
pub struct Account {
    pub account_id: String,
    pub users: Vec<User>,
    pub groups: Vec<Group>,
    pub roles: Vec<Role>,
    pub policies: Vec<ManagedPolicy>,
    /// The SCPs over the account, from the `ServiceControlPolicies` extension field (written by
    /// `rampart iam analyze --live`; absent from the AWS CLI's output).
    pub scps: Option<crate::scp::ScpChain>,
    /// Malformed entries and policy documents.
    pub warnings: Vec<PolicyWarning>,
}

impl Account {
    /// Reads `get-account-authorization-details` JSON.
    pub fn from_json(text: &str) -> Result<Account, Error> {
        if text.len() > MAX_INPUT_BYTES {
            return Err(Error::TooLarge {
                size: text.len(),
                limit: MAX_INPUT_BYTES,
            });
        }
        let v: Value = serde_json::from_str(text)?;
        Account::from_value(&v)
    }

    /// Reads an already decoded document.
    pub fn from_value(v: &Value) -> Result<Account, Error> {
        let obj = v.as_object().ok_or(Error::NotAnObject)?;
        let mut acc = Account::default();
        for e in entries(obj, "UserDetailList") {
            acc.user(e);
        }
        for e in entries(obj, "GroupDetailList") {
            acc.group(e);
        }
        for e in entries(obj, "RoleDetailList") {
            acc.role(e);
        }
        for e in entries(obj, "Policies") {
            acc.policy(e);
        }
        acc.account_id = acc
            .users
            .iter()
            .map(|u| &u.arn)
            .chain(acc.roles.iter().map(|r| &r.arn))
            .chain(acc.groups.iter().map(|g| &g.arn))
            .find_map(|a| crate::context::arn_account(a))
            .unwrap_or_default()
            .to_string();
        if let Some(v) = obj.get("ServiceControlPolicies")
            && let Some((chain, warnings)) = crate::scp::ScpChain::from_value(v)
        {
            acc.warnings.extend(warnings);
            acc.scps = Some(chain);
        }
        Ok(acc)
    }

    fn doc(&mut self, name: &str, v: Option<&Value>) -> Policy {
        let Parsed { policy, warnings } = decode_document(name, v);
        self.warnings.extend(warnings);
        policy
    }

    fn inline(&mut self, owner: &str, e: &Map<String, Value>, key: &str) -> Vec<Policy> {
        let mut out = Vec::new();
        for p in list(e, key) {
            let Some(p) = p.as_object() else { continue };
            let name = format!("{owner}#{}", text(p, "PolicyName"));
            out.push(self.doc(&name, p.get("PolicyDocument")));
        }
        out
    }

    fn named(&mut self, kind: &str, e: &Map<String, Value>) -> Option<(String, String)> {
        let (name, arn) = (text(e, kind), text(e, "Arn"));
        if arn.is_empty() {
            self.warnings.push(PolicyWarning {
                policy: if name.is_empty() {
                    kind.to_string()
                } else {
                    name
                },
                message: "entry without Arn; skipped".into(),
            });
            return None;
        }
        Some((name, arn))
    }

    fn user(&mut self, e: &Map<String, Value>) {
        let Some((name, arn)) = self.named("UserName", e) else {
            return;
        };
        let inline = self.inline(&arn, e, "UserPolicyList");
        let access_keys = list(e, "AccessKeys")
            .iter()
            .filter_map(Value::as_object)
            .map(|k| AccessKey {
                id: text(k, "AccessKeyId"),
                active: k.get("Status").and_then(Value::as_str) != Some("Inactive"),
                created: date(k, "CreateDate"),
                last_used: date(k, "LastUsedDate"),
            })
            .collect();
        self.users.push(User {
            groups: list(e, "GroupList")
                .iter()
                .filter_map(|g| g.as_str().map(str::to_string))
                .collect(),
            inline,
            attached: attached(e),
            boundary: boundary(e),
            tags: tags(e),
            created: date(e, "CreateDate"),
            access_keys,
            name,
            arn,
        });
    }

    fn group(&mut self, e: &Map<String, Value>) {
        let Some((name, arn)) = self.named("GroupName", e) else {
            return;
        };
        let inline = self.inline(&arn, e, "GroupPolicyList");
        self.groups.push(Group {
            inline,
            attached: attached(e),
            name,
            arn,
        });
    }

    fn role(&mut self, e: &Map<String, Value>) {
        let Some((name, arn)) = self.named("RoleName", e) else {
            return;
        };
        let trust = self.doc(&format!("{arn}#trust"), e.get("AssumeRolePolicyDocument"));
        let inline = self.inline(&arn, e, "RolePolicyList");
        let last_used = e
            .get("RoleLastUsed")
            .and_then(Value::as_object)
            .and_then(|l| date(l, "LastUsedDate"));
        self.roles.push(Role {
            path: text(e, "Path"),
            trust,
            inline,
            attached: attached(e),
            boundary: boundary(e),
            tags: tags(e),
            created: date(e, "CreateDate"),
            last_used,
            name,
            arn,
        });
    }

    fn policy(&mut self, e: &Map<String, Value>) {
        let arn = text(e, "Arn");
        if arn.is_empty() {
            self.warnings.push(PolicyWarning {
                policy: text(e, "PolicyName"),
                message: "managed policy without Arn; skipped".into(),
            });
            return;
        }
        let mut name = text(e, "PolicyName");
        if name.is_empty() {
            name = arn.rsplit('/').next().unwrap_or_default().to_string();
        }
        let default_id = text(e, "DefaultVersionId");
        let mut document = None;
        let mut other_versions = Vec::new();
        for v in list(e, "PolicyVersionList") {
            let Some(v) = v.as_object() else { continue };
            let id = text(v, "VersionId");
            let is_default = v
                .get("IsDefaultVersion")
                .and_then(Value::as_bool)
                .unwrap_or(false)
                || (!default_id.is_empty() && id == default_id);
            let doc = self.doc(&format!("{arn}#{id}"), v.get("Document"));
            if is_default && document.is_none() {
                document = Some(Policy {
                    name: arn.clone(),
                    ..doc
                });
            } else {
                other_versions.push(doc);
            }
        }
        let document = document.unwrap_or_else(|| {
            self.warnings.push(PolicyWarning {
                policy: arn.clone(),
                message: "no default policy version; treated as empty".into(),
            });
            Policy {
                name: arn.clone(),
                document: Default::default(),
            }
        });
        self.policies.push(ManagedPolicy {
            attachment_count: e
                .get("AttachmentCount")
                .and_then(Value::as_u64)
                .unwrap_or(0),
            arn,
            name,
            document,
            other_versions,
        });
    }
}

/// Decodes a policy document given as an object, a JSON string or a URL-encoded JSON string.
pub fn decode_document(name: &str, v: Option<&Value>) -> Parsed {
    match v {
        Some(Value::String(s)) => {
            let t = s.trim_start();
            if t.starts_with('{') {
                Policy::parse(name, s)
            } else {
                let decoded = percent_encoding::percent_decode_str(s).decode_utf8_lossy();
                Policy::parse(name, &decoded)
            }
        }
        Some(v @ Value::Object(_)) => Policy::from_value(name, v),
        Some(other) => Policy::parse(name, &other.to_string()),
        None => Policy::parse(name, "null"),
    }
}

fn entries<'a>(
    obj: &'a Map<String, Value>,
    key: &str,
) -> impl Iterator<Item = &'a Map<String, Value>> {
    list(obj, key).iter().filter_map(Value::as_object)
}

fn list<'a>(obj: &'a Map<String, Value>, key: &str) -> &'a [Value] {
    obj.get(key)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

fn text(obj: &Map<String, Value>, key: &str) -> String {
    obj.get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

fn date(obj: &Map<String, Value>, key: &str) -> Option<jiff::Timestamp> {
    obj.get(key).and_then(Value::as_str).and_then(|s| {
        // boto3 dumps `2026-11-26 23:40:01.123456+00:00`.
        parse_date(s).or_else(|| parse_date(&s.replacen(' ', "T", 1)))
    })
}

fn attached(e: &Map<String, Value>) -> Vec<String> {
    list(e, "AttachedManagedPolicies")
        .iter()
        .filter_map(|p| {
            p.get("PolicyArn")
                .and_then(Value::as_str)
                .map(str::to_string)
        })
        .collect()
}

fn boundary(e: &Map<String, Value>) -> Option<String> {
    e.get("PermissionsBoundary")
        .and_then(|b| b.get("PermissionsBoundaryArn"))
        .and_then(Value::as_str)
        .map(str::to_string)
}

fn tags(e: &Map<String, Value>) -> BTreeMap<String, String> {
    list(e, "Tags")
        .iter()
        .filter_map(|t| {
            Some((
                t.get("Key")?.as_str()?.to_string(),
                t.get("Value")?.as_str()?.to_string(),
            ))
        })
        .collect()
}
