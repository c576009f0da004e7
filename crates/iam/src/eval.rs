//! AWS's policy evaluation logic over identity-based, resource-based, permission-boundary, SCP and
//! session policies.
//!
//! Order (as documented in "Policy evaluation logic"): an explicit Deny in any applicable policy wins;
//! then every SCP level must allow; then, within one account, an Allow in the identity-based policies *or*
//! the resource-based policy suffices, limited by the permission boundary and the session policy (except a
//! resource-based Allow naming the user or the session ARN directly, which those do not limit); across
//! accounts both the identity side and the resource-based policy must allow.

use crate::condition::Tri;
use crate::context::{PrincipalKind, Request};
use crate::policy::{Effect, PatternList, Policy, PrincipalSpec, Statement};
use crate::variables;
use crate::wildcard;
use serde::Serialize;

/// Which kind of policy a statement came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum PolicyKind {
    Identity,
    Resource,
    Boundary,
    Scp,
    Session,
}

/// The policies that apply to one request.
#[derive(Debug, Clone, Default)]
pub struct PolicySet<'a> {
    /// Identity-based policies of the principal (inline, managed, and its groups').
    pub identity: Vec<&'a Policy>,
    /// The resource-based policy (a bucket policy, a role's trust policy, …).
    pub resource: Vec<&'a Policy>,
    /// The permission boundary, if one is set.
    pub boundary: Option<Vec<&'a Policy>>,
    /// SCPs, one entry per level of the organisation (root, OUs, account); each level must allow.
    pub scp_levels: Vec<Vec<&'a Policy>>,
    /// Session policies passed when the role was assumed, if any.
    pub session: Option<Vec<&'a Policy>>,
}

/// The final answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum DecisionEffect {
    Allow,
    ExplicitDeny,
    ImplicitDeny,
}

/// A statement that matched the request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MatchedStatement {
    pub policy: String,
    pub kind: PolicyKind,
    pub sid: Option<String>,
    pub index: usize,
    pub effect: Effect,
    /// The statement's conditions depend on unknown context (what-if analysis).
    pub conditional: bool,
}

/// The decision with the statements that led to it.
#[derive(Debug, Clone, Serialize)]
pub struct Decision {
    pub effect: DecisionEffect,
    /// With an incomplete context: the answer depends on condition keys that are not known.
    pub conditional: bool,
    pub matched: Vec<MatchedStatement>,
}

impl Decision {
    /// Whether the request is allowed (possibly conditionally).
    pub fn allowed(&self) -> bool {
        self.effect == DecisionEffect::Allow
    }
}

/// How a resource-based statement names the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum PrincipalMatch {
    /// Names the account: the account's identity policies must also allow.
    Account,
    /// Names the role of a session: boundary and session policy still apply.
    Role,
    /// Names the user, the session, a service or everyone.
    Direct,
}

/// Evaluates `request` against `policies`.
pub fn evaluate(request: &Request, policies: &PolicySet<'_>) -> Decision {
    let mut matched = Vec::new();
    let mut conditional = false;
    let scan = |list: &[&Policy], kind, matched: &mut Vec<_>| scan(list, kind, request, matched);
    let (id_allow, id_deny, _) = scan(&policies.identity, PolicyKind::Identity, &mut matched);
    let (res_allow, res_deny, res_how) =
        scan(&policies.resource, PolicyKind::Resource, &mut matched);
    let boundary = policies
        .boundary
        .as_ref()
        .map(|b| scan(b, PolicyKind::Boundary, &mut matched));
    let session = policies
        .session
        .as_ref()
        .map(|b| scan(b, PolicyKind::Session, &mut matched));
    let scps: Vec<_> = policies
        .scp_levels
        .iter()
        .map(|l| scan(l, PolicyKind::Scp, &mut matched))
        .collect();

    let denies = [
        Some(id_deny),
        Some(res_deny),
        boundary.map(|b| b.1),
        session.map(|s| s.1),
    ]
    .into_iter()
    .flatten()
    .chain(scps.iter().map(|s| s.1));
    for d in denies {
        match d {
            Tri::True => return decide(DecisionEffect::ExplicitDeny, false, matched),
            Tri::Unknown => conditional = true,
            Tri::False => {}
        }
    }
    let mut allow = Tri::True;
    for level in &scps {
        allow = allow.and(level.0);
    }
    let boundary_ok = boundary.map_or(Tri::True, |b| b.0);
    let session_ok = session.map_or(Tri::True, |s| s.0);
    let limits = boundary_ok.and(session_ok);
    let cross_account = request
        .resource_account()
        .is_some_and(|a| a != request.principal.account && !request.principal.account.is_empty());
    let grant = if cross_account {
        id_allow.and(limits).and(res_allow)
    } else {
        let via_resource = match res_how {
            Some(PrincipalMatch::Direct) if request.principal.kind != PrincipalKind::Role => {
                res_allow
            }
            Some(PrincipalMatch::Direct | PrincipalMatch::Role) => res_allow.and(limits),
            _ => Tri::False,
        };
        or(id_allow.and(limits), via_resource)
    };
    allow = allow.and(grant);
    match allow {
        Tri::False => decide(DecisionEffect::ImplicitDeny, conditional, matched),
        Tri::True => decide(DecisionEffect::Allow, conditional, matched),
        Tri::Unknown => decide(DecisionEffect::Allow, true, matched),
    }
}

/// Matches every statement of `list`: (allow, deny, strongest principal match of an Allow).
fn scan(
    list: &[&Policy],
    kind: PolicyKind,
    request: &Request,
    matched: &mut Vec<MatchedStatement>,
) -> (Tri, Tri, Option<PrincipalMatch>) {
    let mut allow = Tri::False;
    let mut deny = Tri::False;
    let mut best = None;
    for p in list {
        for s in &p.document.statements {
            let (m, pm) = match_statement(s, request, kind);
            if m == Tri::False {
                continue;
            }
            matched.push(MatchedStatement {
                policy: p.name.clone(),
                kind,
                sid: s.sid.clone(),
                index: s.index,
                effect: s.effect,
                conditional: m == Tri::Unknown,
            });
            match s.effect {
                Effect::Deny => deny = or(deny, m),
                Effect::Allow => {
                    allow = or(allow, m);
                    best = best.max(pm);
                }
            }
        }
    }
    (allow, deny, best)
}

fn decide(effect: DecisionEffect, conditional: bool, matched: Vec<MatchedStatement>) -> Decision {
    Decision {
        effect,
        conditional,
        matched,
    }
}

fn or(a: Tri, b: Tri) -> Tri {
    match (a, b) {
        (Tri::True, _) | (_, Tri::True) => Tri::True,
        (Tri::False, Tri::False) => Tri::False,
        _ => Tri::Unknown,
    }
}

/// Whether one statement applies to the request, and how it names the principal (resource policies).
fn match_statement(
    s: &Statement,
    req: &Request,
    kind: PolicyKind,
) -> (Tri, Option<PrincipalMatch>) {
    if !action_matches(&s.action, &req.action) {
        return (Tri::False, None);
    }
    if let Some(r) = &s.resource
        && !resource_matches(r, req)
    {
        return (Tri::False, None);
    }
    let mut how = None;
    if kind == PolicyKind::Resource {
        match (&s.principal, &s.not_principal) {
            (Some(p), _) => match principal_matches(p, req) {
                Some(m) => how = Some(m),
                None => return (Tri::False, None),
            },
            (None, Some(np)) => {
                if principal_matches(np, req).is_some() {
                    return (Tri::False, None);
                }
                how = Some(PrincipalMatch::Direct);
            }
            (None, None) => return (Tri::False, None),
        }
    }
    let mut t = Tri::True;
    for c in &s.conditions {
        t = t.and(c.evaluate(req, s.effect));
        if t == Tri::False {
            break;
        }
    }
    (t, how)
}

/// Whether an `Action`/`NotAction` element covers `action`. The pseudo-action `*` ("every action",
/// used by what-if analysis) is covered only by a literal `*` pattern, never through `NotAction`.
pub fn action_matches(list: &PatternList, action: &str) -> bool {
    if action == "*" {
        return !list.negated && list.patterns.iter().any(|p| p.raw == "*");
    }
    let hit = list.patterns.iter().any(|p| match &p.toks {
        Some(t) => wildcard::matches(t, action.as_bytes(), true),
        None => wildcard::matches(&wildcard::compile(&p.raw), action.as_bytes(), true),
    });
    hit != list.negated
}

fn resource_matches(list: &PatternList, req: &Request) -> bool {
    if req.resource == "*" {
        // "Any resource" in what-if analysis: only an unconstrained pattern covers it.
        return !list.negated && list.patterns.iter().any(|p| p.raw == "*");
    }
    let hit = list.patterns.iter().any(|p| match &p.toks {
        Some(t) => wildcard::matches_arn(t, &req.resource),
        None => variables::resolve(&p.raw, req)
            .is_some_and(|t| wildcard::matches_arn(&t, &req.resource)),
    });
    hit != list.negated
}

/// How a `Principal` element names the caller, if at all.
fn principal_matches(spec: &PrincipalSpec, req: &Request) -> Option<PrincipalMatch> {
    let p = &req.principal;
    if spec.any && p.kind != PrincipalKind::Service {
        return Some(PrincipalMatch::Direct);
    }
    match p.kind {
        PrincipalKind::Service => spec
            .service
            .iter()
            .any(|s| s == &p.arn)
            .then_some(PrincipalMatch::Direct),
        PrincipalKind::Federated => spec
            .federated
            .iter()
            .any(|s| s == &p.arn)
            .then_some(PrincipalMatch::Direct),
        _ => {
            let mut best = None;
            for a in &spec.aws {
                let m = if a == &p.arn {
                    Some(PrincipalMatch::Direct)
                } else if p.role_arn.as_deref() == Some(a.as_str()) {
                    Some(PrincipalMatch::Role)
                } else if !p.account.is_empty()
                    && (a == &p.account || *a == format!("arn:aws:iam::{}:root", p.account))
                {
                    Some(PrincipalMatch::Account)
                } else {
                    None
                };
                best = best.max(m);
            }
            best
        }
    }
}
