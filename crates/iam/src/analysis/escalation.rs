//! Privilege-escalation paths as a graph search.
//!
//! Nodes are users, roles and groups. An edge `A → B` means "A can become B or gain B's permissions":
//! assume-role (trust + identity permission), `iam:PassRole` to a compute service B trusts plus the
//! service's launch actions, `CreateAccessKey`/`CreateLoginProfile`/`UpdateLoginProfile` on user B,
//! `UpdateAssumeRolePolicy` on role B, `AddUserToGroup` into group B. A node is a *sink* when it is
//! admin-equivalent or can raise its own permissions (attach/put a policy on itself or its group, write a
//! new version of a policy attached to it, restore an admin version, or modify a principal it can reach).
//!
//! One multi-source BFS on the reversed graph from all sinks yields, for every node, the shortest path to
//! a sink: O(V + E) after edge construction, with no path enumeration, so cycles cost nothing.

use super::index::{Index, NodeKind};
use super::permissions::Effective;
use crate::actions::Catalog;
use crate::context::{Request, RequestPrincipal};
use crate::eval::{Decision, PolicyKind, PolicySet, action_matches, evaluate};
use crate::policy::{Effect, Pattern, Policy};
use crate::wildcard;
use serde::Serialize;
use std::collections::VecDeque;

/// One step of a path: `from` can become (or gain the permissions of) `to`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Hop {
    pub from: String,
    pub to: String,
    /// Short technique name (`AssumeRole`, `PassRole+Lambda`, `CreateAccessKey`, …).
    pub technique: String,
    /// The permissions that enable the step.
    pub permission: String,
}

/// A path from a non-admin principal to administrator-equivalent access.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EscalationPath {
    /// The principal ARN, or for an outside caller `anyone (Principal "*")` or the trusted account/ARN.
    pub start: String,
    /// The path starts outside the account, through a role's trust policy.
    pub external: bool,
    /// The hops, in order; the last one ends in admin-equivalent access.
    pub hops: Vec<Hop>,
}

impl std::fmt::Display for EscalationPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "{} ({} hops)", self.start, self.hops.len())?;
        for (i, h) in self.hops.iter().enumerate() {
            writeln!(
                f,
                "  {}. {} --[{}: {}]--> {}",
                i + 1,
                h.from,
                h.technique,
                h.permission,
                h.to
            )?;
        }
        Ok(())
    }
}

/// The label of the final node: full administrative access.
pub const ADMIN: &str = "admin (*:* on *)";

/// Compute services a role can be passed to, and the actions that then run code as the role.
const PASS_ROLE_ROUTES: &[(&str, &str, &[&str])] = &[
    (
        "lambda.amazonaws.com",
        "PassRole+Lambda",
        &["lambda:CreateFunction", "lambda:InvokeFunction"],
    ),
    (
        "lambda.amazonaws.com",
        "PassRole+LambdaEventSource",
        &["lambda:CreateFunction", "lambda:CreateEventSourceMapping"],
    ),
    ("ec2.amazonaws.com", "PassRole+EC2", &["ec2:RunInstances"]),
    (
        "glue.amazonaws.com",
        "PassRole+GlueDevEndpoint",
        &["glue:CreateDevEndpoint"],
    ),
    (
        "glue.amazonaws.com",
        "PassRole+GlueJob",
        &["glue:CreateJob", "glue:StartJobRun"],
    ),
    (
        "cloudformation.amazonaws.com",
        "PassRole+CloudFormation",
        &["cloudformation:CreateStack"],
    ),
    (
        "ecs-tasks.amazonaws.com",
        "PassRole+ECS",
        &["ecs:RegisterTaskDefinition", "ecs:RunTask"],
    ),
    (
        "datapipeline.amazonaws.com",
        "PassRole+DataPipeline",
        &["datapipeline:CreatePipeline"],
    ),
    (
        "codebuild.amazonaws.com",
        "PassRole+CodeBuild",
        &["codebuild:CreateProject", "codebuild:StartBuild"],
    ),
    (
        "sagemaker.amazonaws.com",
        "PassRole+SageMaker",
        &["sagemaker:CreateNotebookInstance"],
    ),
];

#[derive(Debug, Clone)]
struct Edge {
    to: usize,
    technique: String,
    permission: String,
}

/// How a sink reaches admin.
#[derive(Debug, Clone)]
struct Sink {
    /// Hops inside the sink step (for "modify a principal I can reach": the way to that principal).
    hops: Vec<Hop>,
}

struct Graph<'i, 'a> {
    idx: &'i Index<'a>,
    eff: &'i [Effective],
    adj: Vec<Vec<Edge>>,
}

impl Graph<'_, '_> {
    fn has(&self, n: usize, action: &str) -> bool {
        Catalog::get()
            .index(action)
            .is_none_or(|i| self.eff[n].any.contains(i))
    }

    fn allowed(&self, n: usize, action: &str, resource: &str) -> Option<String> {
        if !self.has(n, action) {
            return None;
        }
        let d = self.idx.can(n, action, resource, None, &[]);
        d.allowed().then(|| permission_text(action, resource, &d))
    }
}

/// "`action` on `resource` (granted by policy#statement, …)", marking conditional grants.
fn permission_text(action: &str, resource: &str, d: &Decision) -> String {
    let by: Vec<String> = d
        .matched
        .iter()
        .filter(|m| m.effect == Effect::Allow)
        .map(|m| {
            let what = match m.kind {
                PolicyKind::Resource => "trust/resource policy ",
                _ => "",
            };
            let st = m.sid.clone().unwrap_or_else(|| format!("#{}", m.index));
            format!("{what}{} statement {st}", m.policy)
        })
        .collect();
    let c = if d.conditional { ", conditional" } else { "" };
    format!("{action} on {resource} (granted by {}{c})", by.join("; "))
}

/// Finds escalation paths for every user and role that is not already admin-equivalent.
pub fn find(idx: &Index<'_>, eff: &[Effective], admin: &[bool]) -> Vec<EscalationPath> {
    let mut g = Graph {
        idx,
        eff,
        adj: vec![Vec::new(); idx.nodes.len()],
    };
    for (s, &is_admin) in admin.iter().enumerate().take(idx.nodes.len()) {
        if !is_admin {
            let edges = edges_from(&g, s);
            g.adj[s] = edges;
        }
    }
    let mut sinks: Vec<Option<Sink>> = (0..idx.nodes.len())
        .map(|n| {
            if admin[n] {
                Some(Sink { hops: Vec::new() })
            } else {
                self_escalation(&g, n)
            }
        })
        .collect();
    for (n, sink) in sinks.iter_mut().enumerate() {
        if sink.is_none() {
            *sink = modify_reachable(&g, n);
        }
    }
    let (seen, next) = toward_sinks(&g, &sinks);
    let walk = |n: usize| -> Vec<Hop> {
        let mut hops = Vec::new();
        let mut cur = n;
        while let Some((t, ei)) = next[cur] {
            let e = &g.adj[cur][ei];
            hops.push(Hop {
                from: idx.nodes[cur].arn.to_string(),
                to: idx.nodes[t].arn.to_string(),
                technique: e.technique.clone(),
                permission: e.permission.clone(),
            });
            cur = t;
        }
        if let Some(sink) = &sinks[cur] {
            hops.extend(sink.hops.iter().cloned());
            if admin[cur] {
                hops.push(Hop {
                    from: idx.nodes[cur].arn.to_string(),
                    to: ADMIN.into(),
                    technique: "AdminEquivalent".into(),
                    permission: permission_text("*", "*", &idx.can(cur, "*", "*", None, &[])),
                });
            }
        }
        hops
    };
    let mut out = Vec::new();
    for (n, node) in idx.nodes.iter().enumerate() {
        if admin[n] || node.kind == NodeKind::Group || !seen[n] {
            continue;
        }
        out.push(EscalationPath {
            start: node.arn.to_string(),
            external: false,
            hops: walk(n),
        });
    }
    for (r, role) in idx.nodes.iter().enumerate() {
        if !seen[r] || role.kind != NodeKind::Role {
            continue;
        }
        for (caller, hop) in external_callers(idx, r) {
            let mut hops = vec![hop];
            hops.extend(walk(r));
            out.push(EscalationPath {
                start: caller,
                external: true,
                hops,
            });
        }
    }
    out
}

/// Multi-source BFS on the reversed graph from every sink: which nodes reach a sink, and each one's next
/// hop `(node, edge index)` on a shortest path.
type NextHops = Vec<Option<(usize, usize)>>;

fn toward_sinks(g: &Graph<'_, '_>, sinks: &[Option<Sink>]) -> (Vec<bool>, NextHops) {
    let len = g.idx.nodes.len();
    let mut radj: Vec<Vec<(usize, usize)>> = vec![Vec::new(); len];
    for (from, edges) in g.adj.iter().enumerate() {
        for (ei, e) in edges.iter().enumerate() {
            radj[e.to].push((from, ei));
        }
    }
    let mut next: NextHops = vec![None; len];
    let mut seen: Vec<bool> = sinks.iter().map(Option::is_some).collect();
    let mut queue: VecDeque<usize> = (0..len).filter(|&n| seen[n]).collect();
    while let Some(t) = queue.pop_front() {
        for &(f, ei) in &radj[t] {
            if !seen[f] {
                seen[f] = true;
                next[f] = Some((t, ei));
                queue.push_back(f);
            }
        }
    }
    (seen, next)
}

/// Callers outside the account that can assume role `r`: anyone (`Principal: "*"`) or another account's
/// principals, each with the first hop. The outsider's own identity policies are assumed to allow it.
fn external_callers(idx: &Index<'_>, r: usize) -> Vec<(String, Hop)> {
    let role = &idx.nodes[r];
    let Some(trust) = role.trust else {
        return Vec::new();
    };
    let own = idx.account.account_id.as_str();
    let mut callers: Vec<(String, String)> = Vec::new();
    for st in trust
        .document
        .statements
        .iter()
        .filter(|s| s.effect == Effect::Allow)
    {
        let Some(p) = &st.principal else { continue };
        if p.any {
            callers.push(("*".into(), "000000000000".into()));
        }
        for a in &p.aws {
            let acct = a.split(':').nth(4).unwrap_or(a.as_str());
            if !acct.is_empty() && acct != own && acct.bytes().all(|b| b.is_ascii_digit()) {
                callers.push((a.clone(), acct.to_string()));
            }
        }
    }
    callers.dedup();
    let allow_all = Policy::parse(
        "outsider identity policy",
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#,
    )
    .policy;
    let mut out = Vec::new();
    for (label, acct) in callers {
        let mut principal = RequestPrincipal::user(&acct, "outsider");
        if label.starts_with("arn:aws:iam::") && !label.ends_with(":root") {
            principal.arn = label.clone();
        }
        // An outsider is in no organisation of ours.
        let req = Request::new(principal, "sts:AssumeRole", role.arn)
            .with("aws:PrincipalOrgID", "o-outside")
            .with("aws:PrincipalOrgPaths", "o-outside/")
            .incomplete();
        let set = PolicySet {
            identity: vec![&allow_all],
            resource: vec![trust],
            ..PolicySet::default()
        };
        let d = evaluate(&req, &set);
        if d.allowed() {
            let start = if label == "*" {
                "anyone (Principal \"*\")".to_string()
            } else {
                label
            };
            out.push((
                start.clone(),
                Hop {
                    from: start,
                    to: role.arn.to_string(),
                    technique: "AssumeRole (external)".into(),
                    permission: permission_text("sts:AssumeRole", role.arn, &d),
                },
            ));
        }
    }
    out
}

/// Resource patterns of Allow statements that cover `sts:AssumeRole` (`None` = matches everything).
fn assume_patterns<'a>(g: &Graph<'_, 'a>, s: usize) -> Vec<Option<&'a Pattern>> {
    let mut out = Vec::new();
    for p in &g.idx.nodes[s].identity {
        for st in &p.document.statements {
            if st.effect != Effect::Allow || !action_matches(&st.action, "sts:AssumeRole") {
                continue;
            }
            match &st.resource {
                Some(r) if !r.negated => out.extend(r.patterns.iter().map(Some)),
                _ => out.push(None),
            }
        }
    }
    out
}

fn edges_from(g: &Graph<'_, '_>, s: usize) -> Vec<Edge> {
    let mut edges = assume_role_edges(g, s);
    edges.extend(pass_role_edges(g, s));
    edges.extend(takeover_edges(g, s));
    edges
}

/// Roles `s` can assume: the trust policy (as resource policy) and `s`'s identity policies agree.
fn assume_role_edges(g: &Graph<'_, '_>, s: usize) -> Vec<Edge> {
    let idx = g.idx;
    let src = &idx.nodes[s];
    let patterns = assume_patterns(g, s);
    let mut edges = Vec::new();
    for (r, role) in idx.nodes.iter().enumerate() {
        if r == s || role.kind != NodeKind::Role {
            continue;
        }
        let Some(trust) = role.trust else { continue };
        // Cheap pre-filters before the full evaluation.
        let names_me = trust
            .document
            .statements
            .iter()
            .filter_map(|st| st.principal.as_ref())
            .any(|p| p.any || p.aws.iter().any(|a| a == src.arn));
        let identity_may = patterns.iter().any(|p| match p {
            Some(Pattern { toks: Some(t), .. }) => wildcard::matches_arn(t, role.arn),
            _ => true,
        });
        if !names_me && !identity_may {
            continue;
        }
        let d = idx.can(s, "sts:AssumeRole", role.arn, Some(trust), &[]);
        if d.allowed() {
            edges.push(Edge {
                to: r,
                technique: "AssumeRole".into(),
                permission: permission_text("sts:AssumeRole", role.arn, &d),
            });
        }
    }
    edges
}

/// Roles `s` can pass to a compute service that then runs `s`'s code with the role.
fn pass_role_edges(g: &Graph<'_, '_>, s: usize) -> Vec<Edge> {
    let idx = g.idx;
    let mut edges = Vec::new();
    if !g.has(s, "iam:PassRole") {
        return edges;
    }
    for (svc, technique, actions) in PASS_ROLE_ROUTES {
        if !actions.iter().all(|a| g.has(s, a)) {
            continue;
        }
        for (r, role) in idx.nodes.iter().enumerate() {
            if r == s || role.kind != NodeKind::Role || !trusts_service(role.trust, svc) {
                continue;
            }
            let ctx = [("iam:PassedToService", *svc)];
            let d = idx.can(s, "iam:PassRole", role.arn, None, &ctx);
            if d.allowed() {
                edges.push(Edge {
                    to: r,
                    technique: technique.to_string(),
                    permission: format!(
                        "{} to {svc} + {}",
                        permission_text("iam:PassRole", role.arn, &d),
                        actions.join(" + ")
                    ),
                });
            }
        }
    }
    edges
}

/// Users whose credentials `s` can create or reset, roles whose trust it can rewrite, groups it can join.
fn takeover_edges(g: &Graph<'_, '_>, s: usize) -> Vec<Edge> {
    let idx = g.idx;
    let src = &idx.nodes[s];
    let mut edges = Vec::new();
    for (t, target) in idx.nodes.iter().enumerate() {
        if t == s {
            continue;
        }
        let candidates: &[&str] = match target.kind {
            NodeKind::User => &[
                "iam:CreateAccessKey",
                "iam:CreateLoginProfile",
                "iam:UpdateLoginProfile",
            ],
            NodeKind::Role => &["iam:UpdateAssumeRolePolicy"],
            NodeKind::Group if src.kind == NodeKind::User && !src.groups.contains(&t) => {
                &["iam:AddUserToGroup"]
            }
            NodeKind::Group => &[],
        };
        for a in candidates {
            if let Some(permission) = g.allowed(s, a, target.arn) {
                let technique = a.trim_start_matches("iam:").to_string();
                edges.push(Edge {
                    to: t,
                    technique,
                    permission,
                });
                break;
            }
        }
    }
    edges
}

fn trusts_service(trust: Option<&crate::policy::Policy>, svc: &str) -> bool {
    trust.is_some_and(|t| {
        t.document.statements.iter().any(|st| {
            st.effect == Effect::Allow
                && st
                    .principal
                    .as_ref()
                    .is_some_and(|p| p.service.iter().any(|x| x == svc))
        })
    })
}

/// Actions that modify the permissions of a principal of `kind`.
fn modify_actions(kind: NodeKind) -> &'static [&'static str] {
    match kind {
        NodeKind::User => &["iam:AttachUserPolicy", "iam:PutUserPolicy"],
        NodeKind::Role => &["iam:AttachRolePolicy", "iam:PutRolePolicy"],
        NodeKind::Group => &["iam:AttachGroupPolicy", "iam:PutGroupPolicy"],
    }
}

/// Whether `n` can raise the permissions of `x` (including through x's groups and managed policies).
fn can_modify(g: &Graph<'_, '_>, n: usize, x: usize) -> Option<Hop> {
    let idx = g.idx;
    let node = &idx.nodes[x];
    let me = idx.nodes[n].arn.to_string();
    let mut targets = vec![x];
    targets.extend(node.groups.iter().copied());
    for t in targets {
        for a in modify_actions(idx.nodes[t].kind) {
            if let Some(permission) = g.allowed(n, a, idx.nodes[t].arn) {
                return Some(Hop {
                    from: me,
                    to: ADMIN.into(),
                    technique: a.trim_start_matches("iam:").into(),
                    permission: format!(
                        "{permission}: attach an admin policy to {}",
                        idx.nodes[t].arn
                    ),
                });
            }
        }
    }
    for p in &node.managed {
        if p.aws_managed() {
            continue;
        }
        if let Some(permission) = g.allowed(n, "iam:CreatePolicyVersion", &p.arn) {
            return Some(Hop {
                from: me,
                to: ADMIN.into(),
                technique: "CreatePolicyVersion".into(),
                permission: format!(
                    "{permission}: write an admin default version of a policy attached to {}",
                    node.arn
                ),
            });
        }
        let admin_version = p.other_versions.iter().any(|v| {
            v.document.statements.iter().any(|s| {
                s.effect == Effect::Allow
                    && !s.has_condition()
                    && action_matches(&s.action, "*")
                    && s.resource
                        .as_ref()
                        .is_none_or(|r| !r.negated && r.patterns.iter().any(|x| x.raw == "*"))
            })
        });
        if admin_version
            && let Some(permission) = g.allowed(n, "iam:SetDefaultPolicyVersion", &p.arn)
        {
            return Some(Hop {
                from: me,
                to: ADMIN.into(),
                technique: "SetDefaultPolicyVersion".into(),
                permission: format!(
                    "{permission}: restore its admin version, attached to {}",
                    node.arn
                ),
            });
        }
    }
    None
}

const MODIFY_ANY: &[&str] = &[
    "iam:AttachUserPolicy",
    "iam:PutUserPolicy",
    "iam:AttachRolePolicy",
    "iam:PutRolePolicy",
    "iam:AttachGroupPolicy",
    "iam:PutGroupPolicy",
    "iam:CreatePolicyVersion",
    "iam:SetDefaultPolicyVersion",
];

fn self_escalation(g: &Graph<'_, '_>, n: usize) -> Option<Sink> {
    if !MODIFY_ANY.iter().any(|a| g.has(n, a)) {
        return None;
    }
    can_modify(g, n, n).map(|h| Sink { hops: vec![h] })
}

/// `n` modifies a principal it can reach: BFS from `n`, then the way there and the modification.
fn modify_reachable(g: &Graph<'_, '_>, n: usize) -> Option<Sink> {
    if !MODIFY_ANY.iter().any(|a| g.has(n, a)) || g.adj[n].is_empty() {
        return None;
    }
    let len = g.idx.nodes.len();
    let mut parent: Vec<Option<(usize, usize)>> = vec![None; len];
    let mut seen = vec![false; len];
    seen[n] = true;
    let mut queue = VecDeque::from([n]);
    while let Some(cur) = queue.pop_front() {
        for (ei, e) in g.adj[cur].iter().enumerate() {
            if seen[e.to] {
                continue;
            }
            seen[e.to] = true;
            parent[e.to] = Some((cur, ei));
            if let Some(mut modify) = can_modify(g, n, e.to) {
                let mut hops = Vec::new();
                let mut at = e.to;
                while let Some((p, pei)) = parent[at] {
                    let pe = &g.adj[p][pei];
                    hops.push(Hop {
                        from: g.idx.nodes[p].arn.to_string(),
                        to: g.idx.nodes[at].arn.to_string(),
                        technique: pe.technique.clone(),
                        permission: pe.permission.clone(),
                    });
                    at = p;
                }
                hops.reverse();
                // The way to the modified principal, then the grant `n` can make to it.
                modify.permission = format!("{} (granted by {})", modify.permission, modify.from);
                modify.from = g.idx.nodes[e.to].arn.to_string();
                hops.push(modify);
                return Some(Sink { hops });
            }
            queue.push_back(e.to);
        }
    }
    None
}
