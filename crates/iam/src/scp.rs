//! Service control policies (SCPs) over one account: the chain root → OUs → account, and what it blocks.
//!
//! AWS semantics: an action of a principal in a member account is allowed only if *every* level of the
//! chain has an SCP allowing it (Allow statements intersect across levels, union within a level), and no
//! SCP at any level denies it. SCPs never grant; they do not apply to the organisation's management
//! account, nor to service-linked roles (path `/aws-service-role/`).
//!
//! The JSON form (written by `rampart_cloud` as the `ServiceControlPolicies` extension field of
//! authorization details, and as the `aws_organizations_scp_chain` live resource):
//!
//! ```json
//! {"AccountId": "111122223333", "ManagementAccountId": "999988887777",
//!  "Levels": [{"TargetId": "r-ab12", "Type": "ROOT", "Name": "Root",
//!              "Policies": [{"Id": "p-FullAWSAccess", "Name": "FullAWSAccess", "Content": {…}}]},
//!             {"TargetId": "ou-ab12-1", "Type": "ORGANIZATIONAL_UNIT", "Name": "Prod", "Policies": […]},
//!             {"TargetId": "111122223333", "Type": "ACCOUNT", "Policies": […]}]}
//! ```
//! `Content` may be a JSON object or the policy text.

use crate::account::decode_document;
use crate::context::{Request, RequestPrincipal};
use crate::eval::{DecisionEffect, PolicyKind, PolicySet, evaluate};
use crate::policy::{Effect, Policy, PolicyWarning};
use serde::Serialize;
use serde_json::Value;

/// Where an SCP is attached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum TargetKind {
    Root,
    OrganizationalUnit,
    Account,
}

/// One level of the chain: a root, an OU or the account, with the SCPs attached to it.
#[derive(Debug, Clone)]
pub struct ScpLevel {
    /// `r-…`, `ou-…` or the account id.
    pub target_id: String,
    pub name: Option<String>,
    pub kind: TargetKind,
    /// Attached SCPs, each named `NAME (p-ID)`.
    pub policies: Vec<Policy>,
}

impl ScpLevel {
    /// `root r-ab12`, `OU Prod (ou-ab12-1)`, `account 111122223333`.
    pub fn label(&self) -> String {
        let kind = match self.kind {
            TargetKind::Root => "root",
            TargetKind::OrganizationalUnit => "OU",
            TargetKind::Account => "account",
        };
        match &self.name {
            Some(n) if self.kind == TargetKind::OrganizationalUnit => {
                format!("{kind} {n} ({})", self.target_id)
            }
            _ => format!("{kind} {}", self.target_id),
        }
    }
}

/// The SCPs applying to one account, root first.
#[derive(Debug, Clone, Default)]
pub struct ScpChain {
    pub account_id: String,
    /// The organisation's management account, if known.
    pub management_account_id: Option<String>,
    pub levels: Vec<ScpLevel>,
}

/// Whether SCPs allow an action, and if not, what blocks it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScpVerdict {
    /// Allowed (possibly under conditions the analysis cannot know), or exempt.
    Allowed,
    /// Asked about every resource (`*`), allowed only on some: some level's SCPs allow the action
    /// only on specific resources. `resources` are the resource patterns of those SCP `Allow`
    /// statements on which the whole chain allows the action; `why` names the level that narrows
    /// it. Not a block: the principal can still perform the action on those resources.
    Partial { resources: Vec<String>, why: String },
    /// Blocked; the text names the SCP statement or the level without an allowing SCP.
    Blocked(String),
}

impl ScpVerdict {
    /// Blocked on every resource.
    pub fn is_blocked(&self) -> bool {
        matches!(self, ScpVerdict::Blocked(_))
    }
}

/// Why [`ScpChain::check_exact`] refuses a request.
enum Block {
    /// An SCP statement denies it.
    Denied(String),
    /// Level `.0` has no SCP allowing it.
    NoAllow(usize, String),
}

/// A summary of the chain for reports.
#[derive(Debug, Clone, Serialize)]
pub struct ScpSummary {
    pub account_id: String,
    /// SCPs were evaluated (`false` for the management account or an empty chain).
    pub applied: bool,
    /// Why they were not, if so.
    pub note: Option<String>,
    /// Each level with its SCPs: `root r-ab12: FullAWSAccess (p-FullAWSAccess)`.
    pub levels: Vec<String>,
}

/// IAM actions whose loss keeps an identity-admin from being administrator-equivalent: without them
/// it cannot change its own or others' permissions.
pub const ADMIN_CORE_ACTIONS: &[&str] = &[
    "iam:AttachRolePolicy",
    "iam:AttachUserPolicy",
    "iam:PutRolePolicy",
    "iam:PutUserPolicy",
    "iam:CreatePolicyVersion",
    "iam:CreateAccessKey",
    "iam:UpdateAssumeRolePolicy",
    "iam:PassRole",
];

impl ScpChain {
    /// Reads the JSON form (see the module documentation); `None` when `v` is not an object with a
    /// `Levels` array. Malformed policies are warnings, evaluated conservatively.
    pub fn from_value(v: &Value) -> Option<(ScpChain, Vec<PolicyWarning>)> {
        let obj = v.as_object()?;
        let levels = obj.get("Levels")?.as_array()?;
        let text = |o: &serde_json::Map<String, Value>, k: &str| {
            o.get(k).and_then(Value::as_str).map(str::to_string)
        };
        let mut warnings = Vec::new();
        let mut chain = ScpChain {
            account_id: text(obj, "AccountId").unwrap_or_default(),
            management_account_id: text(obj, "ManagementAccountId"),
            levels: Vec::new(),
        };
        for l in levels.iter().filter_map(Value::as_object) {
            let kind = match text(l, "Type").as_deref() {
                Some("ROOT") => TargetKind::Root,
                Some("ORGANIZATIONAL_UNIT") => TargetKind::OrganizationalUnit,
                Some("ACCOUNT") => TargetKind::Account,
                other => {
                    warnings.push(PolicyWarning {
                        policy: "ServiceControlPolicies".into(),
                        message: format!("level of unknown Type {other:?}; skipped"),
                    });
                    continue;
                }
            };
            let mut policies = Vec::new();
            for p in l
                .get("Policies")
                .and_then(Value::as_array)
                .map(Vec::as_slice)
                .unwrap_or_default()
                .iter()
                .filter_map(Value::as_object)
            {
                let name = format!(
                    "{} ({})",
                    text(p, "Name").unwrap_or_else(|| "unnamed SCP".into()),
                    text(p, "Id").unwrap_or_default()
                );
                if p.get("Content").is_none_or(Value::is_null) {
                    // Read as "allows nothing", an SCP without its text would block everything.
                    warnings.push(PolicyWarning {
                        policy: name,
                        message: "SCP without Content; SCPs not applied".into(),
                    });
                    chain.levels.clear();
                    return Some((chain, warnings));
                }
                let parsed = decode_document(&name, p.get("Content"));
                warnings.extend(parsed.warnings);
                policies.push(parsed.policy);
            }
            chain.levels.push(ScpLevel {
                target_id: text(l, "TargetId").unwrap_or_default(),
                name: text(l, "Name"),
                kind,
                policies,
            });
        }
        Some((chain, warnings))
    }

    /// The account is the organisation's management account (SCPs do not apply to it).
    pub fn is_management_account(&self) -> bool {
        self.management_account_id.as_deref() == Some(self.account_id.as_str())
            && !self.account_id.is_empty()
    }

    /// Whether the chain limits the account's principals at all.
    pub fn applies(&self) -> bool {
        !self.is_management_account() && !self.levels.is_empty()
    }

    /// The levels as [`PolicySet::scp_levels`] expects them (empty when the chain does not apply).
    pub fn policy_levels(&self) -> Vec<Vec<&Policy>> {
        if !self.applies() {
            return Vec::new();
        }
        self.levels
            .iter()
            .map(|l| l.policies.iter().collect())
            .collect()
    }

    /// What the report says about the chain.
    pub fn summary(&self) -> ScpSummary {
        let note = if self.is_management_account() {
            Some("management account: SCPs do not apply to it".to_string())
        } else if self.levels.is_empty() {
            Some("no SCP levels (SCPs not enabled in the organization, or not read)".to_string())
        } else {
            None
        };
        ScpSummary {
            account_id: self.account_id.clone(),
            applied: self.applies(),
            note,
            levels: self
                .levels
                .iter()
                .map(|l| {
                    let names: Vec<&str> = l.policies.iter().map(|p| p.name.as_str()).collect();
                    format!("{}: {}", l.label(), names.join(", "))
                })
                .collect(),
        }
    }

    /// Whether the SCPs let `principal` perform `action` on `resource` (what-if: unknown context keys
    /// never block), naming what blocks it. Service-linked roles and the management account are exempt.
    ///
    /// On `resource` `*` (the question "on any resource?"), a level whose SCPs allow the action only
    /// on specific resources (`Allow s3:* on arn:aws:s3:::bucket/*`) does not block it: the answer is
    /// [`ScpVerdict::Partial`] with the resource patterns on which every level allows it and no SCP
    /// denies it. A `Deny` scoped to specific resources leaves the action allowed on the others, so it
    /// does not block a question on `*` either.
    pub fn check(&self, principal: &RequestPrincipal, action: &str, resource: &str) -> ScpVerdict {
        if !self.applies() || is_service_linked(principal.role_arn.as_deref()) {
            return ScpVerdict::Allowed;
        }
        let (level, why) = match self.check_exact(principal, action, resource) {
            Ok(()) => return ScpVerdict::Allowed,
            Err(Block::NoAllow(level, why)) if resource == "*" => (level, why),
            Err(Block::Denied(why) | Block::NoAllow(_, why)) => return ScpVerdict::Blocked(why),
        };
        // No level-wide Allow on "*": the resources some SCP Allow names, where the chain allows it.
        let resources: Vec<String> = self
            .allow_resources(action)
            .into_iter()
            .filter(|r| self.check_exact(principal, action, r).is_ok())
            .collect();
        if resources.is_empty() {
            return ScpVerdict::Blocked(why);
        }
        ScpVerdict::Partial {
            why: format!(
                "SCPs attached to {} allow {action} only on {}",
                self.levels[level].label(),
                resources.join(", ")
            ),
            resources,
        }
    }

    /// The distinct resource patterns (other than `*`) of the SCP `Allow` statements covering `action`.
    fn allow_resources(&self, action: &str) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for s in self
            .levels
            .iter()
            .flat_map(|l| &l.policies)
            .flat_map(|p| &p.document.statements)
            .filter(|s| s.effect == Effect::Allow)
        {
            let Some(r) = s.resource.as_ref().filter(|r| !r.negated) else {
                continue;
            };
            if !crate::eval::action_matches(&s.action, action) {
                continue;
            }
            for p in &r.patterns {
                if p.raw != "*" && !out.contains(&p.raw) {
                    out.push(p.raw.clone());
                }
            }
        }
        out
    }

    /// [`ScpChain::check`] for exactly `resource` (on `*`, only level-wide Allows count).
    fn check_exact(
        &self,
        principal: &RequestPrincipal,
        action: &str,
        resource: &str,
    ) -> Result<(), Block> {
        let req = Request::new(principal.clone(), action, resource).incomplete();
        let set = PolicySet {
            scp_levels: self.policy_levels(),
            ..PolicySet::default()
        };
        let d = evaluate(&req, &set);
        if d.effect == DecisionEffect::ExplicitDeny
            && let Some(m) = d
                .matched
                .iter()
                .find(|m| m.kind == PolicyKind::Scp && m.effect == Effect::Deny && !m.conditional)
        {
            let level = self
                .levels
                .iter()
                .find(|l| l.policies.iter().any(|p| p.name == m.policy))
                .map(ScpLevel::label)
                .unwrap_or_default();
            let st = m.sid.clone().unwrap_or_else(|| format!("#{}", m.index));
            return Err(Block::Denied(format!(
                "SCP {} statement {st} (attached to {level}) denies {action}",
                m.policy
            )));
        }
        // SCPs never grant: an implicit deny here only says whether every level has an Allow.
        for (i, l) in self.levels.iter().enumerate() {
            let one = PolicySet {
                scp_levels: vec![l.policies.iter().collect()],
                identity: vec![&ALLOW_ALL],
                ..PolicySet::default()
            };
            if !evaluate(&req, &one).allowed() {
                let names: Vec<&str> = l.policies.iter().map(|p| p.name.as_str()).collect();
                return Err(Block::NoAllow(
                    i,
                    format!(
                        "no SCP attached to {} allows {action} (attached: {})",
                        l.label(),
                        if names.is_empty() {
                            "none".to_string()
                        } else {
                            names.join(", ")
                        }
                    ),
                ));
            }
        }
        Ok(())
    }

    /// The first of `actions` the SCPs block for `principal` on every resource, if any (an action
    /// allowed on some resources only, [`ScpVerdict::Partial`], is not blocked).
    pub fn first_blocked(&self, principal: &RequestPrincipal, actions: &[&str]) -> Option<String> {
        actions
            .iter()
            .find_map(|a| match self.check(principal, a, "*") {
                ScpVerdict::Blocked(why) => Some(why),
                ScpVerdict::Allowed | ScpVerdict::Partial { .. } => None,
            })
    }

    /// The first of `actions` the SCPs allow for `principal` on some resources only: why.
    pub fn first_partial(&self, principal: &RequestPrincipal, actions: &[&str]) -> Option<String> {
        actions
            .iter()
            .find_map(|a| match self.check(principal, a, "*") {
                ScpVerdict::Partial { why, .. } => Some(why),
                _ => None,
            })
    }
}

/// Whether a role ARN is a service-linked role (`arn:aws:iam::…:role/aws-service-role/…`).
pub fn is_service_linked(role_arn: Option<&str>) -> bool {
    role_arn.is_some_and(|a| a.contains(":role/aws-service-role/"))
}

static ALLOW_ALL: std::sync::LazyLock<Policy> = std::sync::LazyLock::new(|| {
    Policy::parse(
        "allow-all",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
    )
    .policy
});
