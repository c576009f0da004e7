//! The principals of an account with the policies that apply to each, and what-if evaluation for them.

use crate::account::{Account, ManagedPolicy};
use crate::context::{Request, RequestPrincipal};
use crate::eval::{Decision, PolicySet, evaluate};
use crate::policy::Policy;
use crate::scp::{ScpChain, is_service_linked};
use serde::Serialize;
use std::collections::HashMap;

/// What a node of the principal graph is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum NodeKind {
    User,
    Role,
    Group,
}

/// One principal (or group) with everything needed to evaluate its requests.
#[derive(Debug, Clone)]
pub struct Node<'a> {
    pub arn: &'a str,
    pub name: &'a str,
    pub kind: NodeKind,
    /// Identity-based policies: own inline and managed, plus its groups' (for users).
    pub identity: Vec<&'a Policy>,
    pub boundary: Option<&'a Policy>,
    /// A role's trust policy.
    pub trust: Option<&'a Policy>,
    /// Groups of a user (node indices).
    pub groups: Vec<usize>,
    /// Managed policies that apply to it, directly or through groups.
    pub managed: Vec<&'a ManagedPolicy>,
    /// SCPs do not apply (a service-linked role).
    pub scp_exempt: bool,
    principal: RequestPrincipal,
}

impl Node<'_> {
    /// The caller used for this node's requests: a user, a role session, or (for a group) a member.
    pub fn principal(&self) -> &RequestPrincipal {
        &self.principal
    }
}

/// The node table of an account.
#[derive(Debug)]
pub struct Index<'a> {
    pub account: &'a Account,
    pub nodes: Vec<Node<'a>>,
    pub by_arn: HashMap<&'a str, usize>,
    pub managed: HashMap<&'a str, &'a ManagedPolicy>,
    /// SCPs applying to the account, one entry per organisation level (empty when none apply).
    pub scp_levels: Vec<Vec<&'a Policy>>,
    /// The chain they come from.
    pub scps: Option<&'a ScpChain>,
}

impl<'a> Index<'a> {
    /// Builds the table; unknown attached policy ARNs are skipped (the caller warns). `scps` limits
    /// every principal but service-linked roles (nothing when it is the management account's).
    pub fn new(account: &'a Account, scps: Option<&'a ScpChain>) -> Index<'a> {
        let managed: HashMap<&str, &ManagedPolicy> = account
            .policies
            .iter()
            .map(|p| (p.arn.as_str(), p))
            .collect();
        let mut idx = Index {
            account,
            nodes: Vec::new(),
            by_arn: HashMap::new(),
            managed,
            scp_levels: scps.map(ScpChain::policy_levels).unwrap_or_default(),
            scps: scps.filter(|c| c.applies()),
        };
        let acct = account.account_id.as_str();
        let mut group_idx = HashMap::new();
        for g in &account.groups {
            let (identity, managed) = idx.policies(&g.inline, &g.attached);
            group_idx.insert(g.name.as_str(), idx.nodes.len());
            let principal = RequestPrincipal::user(acct, &format!("member-of-{}", g.name));
            idx.push(Node {
                arn: &g.arn,
                name: &g.name,
                kind: NodeKind::Group,
                identity,
                boundary: None,
                trust: None,
                groups: Vec::new(),
                managed,
                scp_exempt: false,
                principal,
            });
        }
        for u in &account.users {
            let (mut identity, mut managed) = idx.policies(&u.inline, &u.attached);
            let groups: Vec<usize> = u
                .groups
                .iter()
                .filter_map(|g| group_idx.get(g.as_str()).copied())
                .collect();
            for &gi in &groups {
                identity.extend(idx.nodes[gi].identity.iter().copied());
                managed.extend(idx.nodes[gi].managed.iter().copied());
            }
            let mut principal = RequestPrincipal::user(acct, &u.name);
            principal.arn = u.arn.clone();
            principal.tags = u.tags.clone();
            let boundary = idx.boundary(u.boundary.as_deref());
            idx.push(Node {
                arn: &u.arn,
                name: &u.name,
                kind: NodeKind::User,
                identity,
                boundary,
                trust: None,
                groups,
                managed,
                scp_exempt: false,
                principal,
            });
        }
        for r in &account.roles {
            let (identity, managed) = idx.policies(&r.inline, &r.attached);
            let mut principal = RequestPrincipal::assumed_role(&r.arn, "rampart");
            principal.tags = r.tags.clone();
            let boundary = idx.boundary(r.boundary.as_deref());
            idx.push(Node {
                arn: &r.arn,
                name: &r.name,
                kind: NodeKind::Role,
                identity,
                boundary,
                trust: Some(&r.trust),
                groups: Vec::new(),
                managed,
                scp_exempt: r.path.starts_with("/aws-service-role/")
                    || is_service_linked(Some(&r.arn)),
                principal,
            });
        }
        idx
    }

    /// The SCP levels that apply to node `n` (none for a service-linked role).
    pub fn scps_of(&self, n: usize) -> &[Vec<&'a Policy>] {
        match self.nodes[n].scp_exempt {
            true => &[],
            false => &self.scp_levels,
        }
    }

    fn push(&mut self, node: Node<'a>) {
        self.by_arn.insert(node.arn, self.nodes.len());
        self.nodes.push(node);
    }

    /// Inline policies plus the default versions of attached managed policies (unknown ARNs skipped).
    fn policies(
        &self,
        inline: &'a [Policy],
        attached: &'a [String],
    ) -> (Vec<&'a Policy>, Vec<&'a ManagedPolicy>) {
        let managed: Vec<&ManagedPolicy> = attached
            .iter()
            .filter_map(|a| self.managed.get(a.as_str()).copied())
            .collect();
        let mut identity: Vec<&Policy> = inline.iter().collect();
        identity.extend(managed.iter().map(|p| &p.document));
        (identity, managed)
    }

    fn boundary(&self, arn: Option<&str>) -> Option<&'a Policy> {
        arn.and_then(|b| self.managed.get(b)).map(|p| &p.document)
    }

    /// What-if evaluation (unknown context) of `action` on `resource` by node `n`, with an optional
    /// resource-based policy and extra context keys.
    pub fn can(
        &self,
        n: usize,
        action: &str,
        resource: &str,
        resource_policy: Option<&Policy>,
        context: &[(&str, &str)],
    ) -> Decision {
        let node = &self.nodes[n];
        let mut req = Request::new(node.principal.clone(), action, resource).incomplete();
        for (k, v) in context {
            req = req.with(k, v);
        }
        let set = PolicySet {
            identity: node.identity.clone(),
            resource: resource_policy.into_iter().collect(),
            boundary: node.boundary.map(|b| vec![b]),
            scp_levels: self.scps_of(n).to_vec(),
            ..PolicySet::default()
        };
        evaluate(&req, &set)
    }
}
