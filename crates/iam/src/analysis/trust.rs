//! Role trust analysis: who outside the account (or anyone at all) may assume a role.

use crate::account::Role;
use crate::eval::action_matches;
use crate::policy::Effect;
use serde::Serialize;

/// Condition keys that pin a public or cross-account trust to known callers.
const RESTRICTIVE_KEYS: &[&str] = &[
    "aws:principalorgid",
    "aws:principalorgpaths",
    "aws:principalaccount",
    "aws:principalarn",
    "aws:sourceaccount",
    "aws:sourcearn",
    "aws:sourceorgid",
    "sts:externalid",
    "aws:userid",
];

/// Services that run customer code with the role's credentials.
const COMPUTE_SERVICES: &[&str] = &[
    "ec2.amazonaws.com",
    "lambda.amazonaws.com",
    "ecs-tasks.amazonaws.com",
    "ecs.amazonaws.com",
    "eks.amazonaws.com",
    "eks-fargate-pods.amazonaws.com",
    "glue.amazonaws.com",
    "codebuild.amazonaws.com",
    "sagemaker.amazonaws.com",
    "batch.amazonaws.com",
    "elasticmapreduce.amazonaws.com",
    "states.amazonaws.com",
];

/// What kind of risky trust a statement grants.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum TrustKind {
    /// `Principal: "*"` / `{"AWS": "*"}` with no restricting condition: anyone on AWS.
    Public,
    /// Public, but under conditions that should be reviewed.
    PublicWithConditions { restrictive: bool },
    /// A principal of another account; `external_id` says whether `sts:ExternalId` is required.
    CrossAccount { account: String, external_id: bool },
    /// A compute service (its workloads act with the role).
    ComputeService { service: String },
}

/// One risky trust of one role.
#[derive(Debug, Clone, Serialize)]
pub struct TrustIssue {
    pub role: String,
    pub kind: TrustKind,
    /// The trusted principal as written.
    pub principal: String,
    pub statement: String,
}

/// The risky trusts of a role.
pub fn analyse(role: &Role, own_account: &str, known_accounts: &[String]) -> Vec<TrustIssue> {
    let mut out = Vec::new();
    for s in &role.trust.document.statements {
        if s.effect != Effect::Allow
            || ![
                "sts:AssumeRole",
                "sts:AssumeRoleWithSAML",
                "sts:AssumeRoleWithWebIdentity",
            ]
            .iter()
            .any(|a| action_matches(&s.action, a))
        {
            continue;
        }
        let Some(p) = &s.principal else { continue };
        let label = s.sid.clone().unwrap_or_else(|| format!("#{}", s.index));
        let keys: Vec<String> = s
            .conditions
            .iter()
            .map(|c| c.key.to_ascii_lowercase())
            .collect();
        let restrictive = keys.iter().any(|k| RESTRICTIVE_KEYS.contains(&k.as_str()));
        let external_id = keys.iter().any(|k| k == "sts:externalid");
        let mut push = |kind, principal: &str| {
            out.push(TrustIssue {
                role: role.arn.clone(),
                kind,
                principal: principal.to_string(),
                statement: label.clone(),
            })
        };
        if p.any {
            let kind = if s.conditions.is_empty() {
                TrustKind::Public
            } else {
                TrustKind::PublicWithConditions { restrictive }
            };
            push(kind, "*");
        }
        for a in &p.aws {
            let acct = principal_account(a);
            if acct.is_empty() || acct == own_account || known_accounts.iter().any(|k| k == acct) {
                continue;
            }
            push(
                TrustKind::CrossAccount {
                    account: acct.to_string(),
                    external_id,
                },
                a,
            );
        }
        for svc in &p.service {
            if COMPUTE_SERVICES.contains(&svc.as_str()) {
                push(
                    TrustKind::ComputeService {
                        service: svc.clone(),
                    },
                    svc,
                );
            }
        }
    }
    out
}

/// The account of an `AWS` principal: a bare account id or the account segment of an ARN.
fn principal_account(p: &str) -> &str {
    if p.len() == 12 && p.bytes().all(|b| b.is_ascii_digit()) {
        return p;
    }
    p.split(':').nth(4).unwrap_or_default()
}
