//! Entitlement analysis of one account: effective permissions per principal, admin-equivalent
//! principals, risky permission categories, risky trusts, unused roles and keys, escalation paths.

pub mod escalation;
pub mod index;
pub mod permissions;
pub mod risk;
pub mod trust;
pub mod unused;

use crate::account::Account;
use crate::actions::{AccessLevel, Catalog};
use crate::policy::PolicyWarning;
use escalation::EscalationPath;
use index::{Index, NodeKind};
use permissions::Expander;
use risk::RiskCategory;
use serde::Serialize;
use std::collections::BTreeMap;
use trust::TrustIssue;
use unused::Unused;

/// Analysis settings.
#[derive(Debug, Clone)]
pub struct Options {
    /// A role or access key idle for more days than this is unused.
    pub unused_days: i64,
    /// "Now" for the unused check; defaults to the current time.
    pub now: Option<jiff::Timestamp>,
    /// Accounts the organisation trusts (not reported as cross-account).
    pub known_accounts: Vec<String>,
    /// Service control policies over the account, one entry per level (root, OUs, account); empty when
    /// the account is in no organisation or the SCPs are not readable.
    pub scp_levels: Vec<Vec<crate::policy::Policy>>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            unused_days: 90,
            now: None,
            known_accounts: Vec::new(),
            scp_levels: Vec::new(),
        }
    }
}

/// What one principal may do.
#[derive(Debug, Clone, Serialize)]
pub struct PrincipalReport {
    pub arn: String,
    pub name: String,
    pub kind: NodeKind,
    /// Allows every action on every resource.
    pub admin: bool,
    /// Policies (names or ARNs) that apply.
    pub policies: Vec<String>,
    /// Number of catalogue actions allowed on `*` without conditions, per access level.
    pub unrestricted_by_level: BTreeMap<AccessLevel, usize>,
    /// Number of catalogue actions allowed on some resource.
    pub allowed_actions: usize,
    /// Risky permissions by category (empty for admins: they have them all).
    pub risks: BTreeMap<RiskCategory, Vec<String>>,
    /// The policies that grant each category's permissions.
    pub risk_sources: BTreeMap<RiskCategory, Vec<String>>,
}

/// A policy that grants full administrative access and is attached (CIS AWS 1.16).
#[derive(Debug, Clone, Serialize)]
pub struct AdminPolicy {
    pub policy: String,
    pub attached_to: Vec<String>,
}

/// The result of [`analyze`].
#[derive(Debug, Clone, Serialize)]
pub struct Analysis {
    pub account_id: String,
    pub principals: Vec<PrincipalReport>,
    pub admin_policies: Vec<AdminPolicy>,
    pub trusts: Vec<TrustIssue>,
    pub unused: Vec<Unused>,
    pub escalations: Vec<EscalationPath>,
    pub warnings: Vec<PolicyWarning>,
}

impl Analysis {
    /// Escalation paths rendered hop by hop.
    pub fn render_paths(&self) -> String {
        self.escalations
            .iter()
            .map(|p| p.to_string())
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// Analyses an account.
pub fn analyze(account: &Account, opts: &Options) -> Analysis {
    let idx = Index::new(account, &opts.scp_levels);
    let catalog = Catalog::get();
    let mut exp = Expander::new();
    let eff: Vec<_> = idx
        .nodes
        .iter()
        .map(|n| exp.principal(&n.identity, n.boundary, &idx.scp_levels))
        .collect();
    let admin: Vec<bool> = eff.iter().map(|e| e.unrestricted.is_full()).collect();
    let mut warnings = account.warnings.clone();
    for (kind, arn, attached) in account
        .users
        .iter()
        .map(|u| ("user", &u.arn, &u.attached))
        .chain(account.roles.iter().map(|r| ("role", &r.arn, &r.attached)))
        .chain(
            account
                .groups
                .iter()
                .map(|g| ("group", &g.arn, &g.attached)),
        )
    {
        for a in attached
            .iter()
            .filter(|a| !idx.managed.contains_key(a.as_str()))
        {
            warnings.push(PolicyWarning {
                policy: a.clone(),
                message: format!("attached to {kind} {arn} but not in Policies; ignored"),
            });
        }
    }

    let mut principals = Vec::new();
    for ((n, e), &is_admin) in idx.nodes.iter().zip(&eff).zip(&admin) {
        if n.kind == NodeKind::Group {
            continue;
        }
        let mut by_level = BTreeMap::new();
        for i in e.unrestricted.iter() {
            *by_level.entry(catalog.actions[i].level).or_insert(0) += 1;
        }
        let risks = if is_admin {
            BTreeMap::new()
        } else {
            risk::categorise(&e.unrestricted)
        };
        let mut risk_sources = BTreeMap::new();
        for (cat, items) in &risks {
            let actions = risk::item_actions(*cat, items);
            let sources: Vec<String> = n
                .identity
                .iter()
                .filter(|p| {
                    let pe = exp.policy(p);
                    actions.iter().any(|&i| pe.unrestricted.contains(i))
                })
                .map(|p| p.name.clone())
                .collect();
            risk_sources.insert(*cat, sources);
        }
        principals.push(PrincipalReport {
            arn: n.arn.to_string(),
            name: n.name.to_string(),
            kind: n.kind,
            admin: is_admin,
            policies: n.identity.iter().map(|p| p.name.clone()).collect(),
            unrestricted_by_level: by_level,
            allowed_actions: e.any.count(),
            risks,
            risk_sources,
        });
    }

    let admin_policies = admin_policies(account, &mut exp);
    let trusts = account
        .roles
        .iter()
        .flat_map(|r| trust::analyse(r, &account.account_id, &opts.known_accounts))
        .collect();
    let now = opts.now.unwrap_or_else(jiff::Timestamp::now);
    let unused = unused::find(account, now, opts.unused_days);
    let escalations = escalation::find(&idx, &eff, &admin);
    Analysis {
        account_id: account.account_id.clone(),
        principals,
        admin_policies,
        trusts,
        unused,
        escalations,
        warnings,
    }
}

/// Attached policies (managed with attachments, and inline) that allow `*:*` on `*`.
fn admin_policies(account: &Account, exp: &mut Expander) -> Vec<AdminPolicy> {
    let mut users_of: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for (arn, attached) in account
        .users
        .iter()
        .map(|u| (&u.arn, &u.attached))
        .chain(account.roles.iter().map(|r| (&r.arn, &r.attached)))
        .chain(account.groups.iter().map(|g| (&g.arn, &g.attached)))
    {
        for a in attached {
            users_of.entry(a.as_str()).or_default().push(arn.clone());
        }
    }
    let mut out = Vec::new();
    for p in &account.policies {
        let Some(att) = users_of.get(p.arn.as_str()) else {
            continue;
        };
        if exp.policy(&p.document).unrestricted.is_full() {
            out.push(AdminPolicy {
                policy: p.arn.clone(),
                attached_to: att.clone(),
            });
        }
    }
    let inline = account
        .users
        .iter()
        .map(|u| (&u.arn, &u.inline))
        .chain(account.roles.iter().map(|r| (&r.arn, &r.inline)))
        .chain(account.groups.iter().map(|g| (&g.arn, &g.inline)));
    for (arn, policies) in inline {
        for p in policies {
            if exp.policy(p).unrestricted.is_full() {
                out.push(AdminPolicy {
                    policy: p.name.clone(),
                    attached_to: vec![arn.clone()],
                });
            }
        }
    }
    out
}
