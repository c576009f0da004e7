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
use crate::scp::{ScpChain, ScpSummary};
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
    /// Service control policies over the account (root → OUs → account). `None` uses the chain read with
    /// the account (its `ServiceControlPolicies` field), if any; no chain means no SCP limits.
    pub scps: Option<ScpChain>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            unused_days: 90,
            now: None,
            known_accounts: Vec::new(),
            scps: None,
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
    /// ARNs of the groups a user is in (their policies are among `policies`).
    pub groups: Vec<String>,
    /// Number of catalogue actions allowed on `*` without conditions, per access level.
    pub unrestricted_by_level: BTreeMap<AccessLevel, usize>,
    /// Number of catalogue actions allowed on some resource.
    pub allowed_actions: usize,
    /// Risky permissions by category (empty for admins: they have them all).
    pub risks: BTreeMap<RiskCategory, Vec<String>>,
    /// The policies that grant each category's permissions.
    pub risk_sources: BTreeMap<RiskCategory, Vec<String>>,
    /// Admin-equivalent in its own policies, but SCPs block IAM changes: what blocks them.
    pub scp_limited: Option<String>,
    /// Categories its policies grant that SCPs block entirely, with what blocks them.
    pub scp_blocked: BTreeMap<RiskCategory, String>,
    /// Categories its policies grant on every resource that SCPs allow only on specific resources
    /// ([`crate::ScpVerdict::Partial`]), with the SCP level and the resources.
    pub scp_narrowed: BTreeMap<RiskCategory, String>,
}

/// An escalation path the principal's policies allow but SCPs block.
#[derive(Debug, Clone, Serialize)]
pub struct BlockedPath {
    pub path: EscalationPath,
    /// The hop and the SCP statement (or level) that blocks it.
    pub blocked_by: String,
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
    /// Paths that exist without SCPs but not with them.
    pub scp_blocked_paths: Vec<BlockedPath>,
    /// The SCP chain used, if any.
    pub scps: Option<ScpSummary>,
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

/// Analyses an account. With an SCP chain that applies, effective permissions and paths are computed
/// under the SCPs, and what only the SCPs stop is reported separately (`scp_limited`, `scp_blocked`,
/// `scp_blocked_paths`) with the SCP that stops it.
pub fn analyze(account: &Account, opts: &Options) -> Analysis {
    let chain = opts.scps.as_ref().or(account.scps.as_ref());
    let idx = Index::new(account, chain);
    let catalog = Catalog::get();
    let mut exp = Expander::new();
    let eff: Vec<_> = idx
        .nodes
        .iter()
        .enumerate()
        .map(|(i, n)| exp.principal(&n.identity, n.boundary, idx.scps_of(i)))
        .collect();
    // Without SCPs: only computed when SCPs apply, to tell what they stop.
    let base = idx.scps.map(|_| {
        let b = Index::new(account, None);
        let e: Vec<_> = b
            .nodes
            .iter()
            .map(|n| exp.principal(&n.identity, n.boundary, &[]))
            .collect();
        (b, e)
    });
    let admin_base: Vec<bool> = base
        .as_ref()
        .map_or(&eff, |(_, e)| e)
        .iter()
        .map(|e| e.unrestricted.is_full())
        .collect();
    // An identity-admin stays admin-equivalent under SCPs while they let it change IAM (a guardrail
    // denying, say, organizations:LeaveOrganization does not make it less of an admin).
    let scp_limit: Vec<Option<String>> = idx
        .nodes
        .iter()
        .zip(&admin_base)
        .map(|(n, &a)| match idx.scps {
            Some(c) if a && !n.scp_exempt => {
                c.first_blocked(n.principal(), crate::scp::ADMIN_CORE_ACTIONS)
            }
            _ => None,
        })
        .collect();
    let admin: Vec<bool> = admin_base
        .iter()
        .zip(&scp_limit)
        .map(|(&a, l)| a && l.is_none())
        .collect();
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
    for (i, ((n, e), &is_admin)) in idx.nodes.iter().zip(&eff).zip(&admin).enumerate() {
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
        let mut scp_blocked = BTreeMap::new();
        let mut scp_narrowed = BTreeMap::new();
        if let (Some(c), Some((_, be))) = (idx.scps, &base)
            && !admin_base[i]
            && !n.scp_exempt
        {
            for (cat, items) in risk::categorise(&be[i].unrestricted) {
                if risks.contains_key(&cat) {
                    continue;
                }
                let names: Vec<&str> = risk::item_actions(cat, &items)
                    .into_iter()
                    .take(50)
                    .map(|a| catalog.actions[a].name.as_str())
                    .collect();
                match c.first_blocked(n.principal(), &names) {
                    Some(why) => {
                        scp_blocked.insert(cat, why);
                    }
                    None => match c.first_partial(n.principal(), &names) {
                        Some(why) => {
                            scp_narrowed.insert(cat, why);
                        }
                        None => {
                            scp_blocked.insert(cat, "the SCPs over the account".to_string());
                        }
                    },
                }
            }
        }
        principals.push(PrincipalReport {
            arn: n.arn.to_string(),
            name: n.name.to_string(),
            kind: n.kind,
            admin: is_admin,
            policies: n.identity.iter().map(|p| p.name.clone()).collect(),
            groups: n
                .groups
                .iter()
                .map(|&g| idx.nodes[g].arn.to_string())
                .collect(),
            unrestricted_by_level: by_level,
            allowed_actions: e.any.count(),
            risks,
            risk_sources,
            scp_limited: scp_limit[i].clone(),
            scp_blocked,
            scp_narrowed,
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
    let scp_blocked_paths = match (idx.scps, &base) {
        (Some(c), Some((b, be))) => escalation::find(b, be, &admin_base)
            .into_iter()
            .filter(|p| {
                !escalations
                    .iter()
                    .any(|q| q.start == p.start && q.external == p.external)
            })
            .map(|path| BlockedPath {
                blocked_by: blocked_by(&idx, c, &scp_limit, &path),
                path,
            })
            .collect(),
        _ => Vec::new(),
    };
    Analysis {
        account_id: account.account_id.clone(),
        principals,
        admin_policies,
        trusts,
        unused,
        escalations,
        scp_blocked_paths,
        scps: chain.map(ScpChain::summary),
        warnings,
    }
}

/// The first hop of `path` the SCPs block, named with the SCP statement or level that blocks it.
fn blocked_by(
    idx: &Index<'_>,
    chain: &ScpChain,
    limit: &[Option<String>],
    path: &EscalationPath,
) -> String {
    for (i, h) in path.hops.iter().enumerate() {
        let Some(&n) = idx.by_arn.get(h.from.as_str()) else {
            continue;
        };
        if idx.nodes[n].scp_exempt {
            continue;
        }
        let actions = actions_in(&h.permission);
        if let Some(why) = chain.first_blocked(idx.nodes[n].principal(), &actions) {
            return format!("hop {} ({}): {why}", i + 1, h.technique);
        }
        if h.to == escalation::ADMIN
            && let Some(why) = &limit[n]
        {
            return format!(
                "hop {} ({}): {} is not administrator-equivalent under SCPs: {why}",
                i + 1,
                h.technique,
                h.from
            );
        }
    }
    let levels: Vec<String> = chain.levels.iter().map(|l| l.label()).collect();
    format!("the SCPs over the account ({})", levels.join(", "))
}

/// `service:Action` tokens of a hop's permission text (ARNs and policy names skipped).
fn actions_in(text: &str) -> Vec<&str> {
    text.split(|c: char| c.is_whitespace() || ",;()+".contains(c))
        .filter(|t| {
            let mut parts = t.split(':');
            match (parts.next(), parts.next(), parts.next()) {
                (Some(svc), Some(act), None) => {
                    !svc.is_empty()
                        && svc
                            .bytes()
                            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                        && act.starts_with(|c: char| c.is_ascii_uppercase() || c == '*')
                }
                _ => false,
            }
        })
        .collect()
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
