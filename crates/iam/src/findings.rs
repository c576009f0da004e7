//! Turns an [`Analysis`] into core findings (kind Entitlement, subject = principal ARN).

use crate::analysis::risk::RiskCategory;
use crate::analysis::trust::TrustKind;
use crate::analysis::unused::UnusedKind;
use crate::analysis::{Analysis, PrincipalReport};
use rampart_core::{Finding, FindingKind, Severity};
use std::collections::BTreeMap;

/// Most actions listed in one evidence entry.
const MAX_LISTED: usize = 25;

fn listed(items: &[String]) -> String {
    if items.len() <= MAX_LISTED {
        items.join(", ")
    } else {
        format!(
            "{}, … {} more",
            items[..MAX_LISTED].join(", "),
            items.len() - MAX_LISTED
        )
    }
}

/// All findings of an analysis, in a stable order.
pub fn findings(a: &Analysis) -> Vec<Finding> {
    let asset = format!("aws-account:{}", a.account_id);
    let mut out = Vec::new();
    admins(a, &asset, &mut out);
    risks(a, &asset, &mut out);
    trusts(a, &asset, &mut out);
    unused(a, &asset, &mut out);
    escalations(a, &asset, &mut out);
    scp_limited(a, &asset, &mut out);
    out
}

/// What only SCPs stop, downgraded (admin: medium; blocked categories and paths: low) with the SCP as
/// evidence: the principal's own policies still grant it, and it returns if the SCP changes or the
/// account leaves the organisation.
fn scp_limited(a: &Analysis, asset: &str, out: &mut Vec<Finding>) {
    for p in &a.principals {
        if let Some(why) = &p.scp_limited {
            let f = Finding::new(
                FindingKind::Entitlement,
                "iam-admin-equivalent",
                format!(
                    "{:?} {} has full administrative access in its policies, limited by SCPs",
                    p.kind, p.name
                ),
                Severity::Medium,
                asset,
                &p.arn,
            )
            .with_evidence("limited by SCP", None, why.clone())
            .with_evidence("policies", None, listed(&p.policies));
            out.push(
                with_groups(f, via_groups(a, p))
                .with_remediation(
                    "The SCP keeps this principal from changing IAM; its own policies still grant full access. \
                     Replace full-admin policies with least-privilege ones rather than relying on the SCP.",
                ),
            );
        }
        for (cat, why) in &p.scp_blocked {
            let (_, what, remediation) = risk_meta(*cat);
            out.push(
                Finding::new(
                    FindingKind::Entitlement,
                    format!("iam-{}", cat.slug()),
                    format!(
                        "{:?} {} {what} in its policies, blocked by SCPs",
                        p.kind, p.name
                    ),
                    Severity::Low,
                    asset,
                    &p.arn,
                )
                .with_evidence("blocked by SCP", None, why.clone())
                .with_remediation(remediation),
            );
        }
        for (cat, why) in &p.scp_narrowed {
            let (_, what, remediation) = risk_meta(*cat);
            out.push(
                Finding::new(
                    FindingKind::Entitlement,
                    format!("iam-{}", cat.slug()),
                    format!(
                        "{:?} {} {what} in its policies, limited by SCPs to specific resources",
                        p.kind, p.name
                    ),
                    Severity::Low,
                    asset,
                    &p.arn,
                )
                .with_evidence("limited by SCP", None, why.clone())
                .with_remediation(remediation),
            );
        }
    }
    for b in &a.scp_blocked_paths {
        let p = &b.path;
        let (rule, subject) = if p.external {
            (
                "iam-external-escalation-path",
                p.hops.first().map_or(p.start.as_str(), |h| h.to.as_str()),
            )
        } else {
            ("iam-privilege-escalation-path", p.start.as_str())
        };
        let mut f = Finding::new(
            FindingKind::Entitlement,
            rule,
            format!(
                "{} could reach administrator access in {} step(s), but SCPs block the path",
                p.start,
                p.hops.len()
            ),
            Severity::Low,
            asset,
            subject,
        )
        .with_evidence("blocked by SCP", None, b.blocked_by.clone());
        for (i, h) in p.hops.iter().enumerate() {
            f = f.with_evidence(
                format!("hop {}: {}", i + 1, h.technique),
                None,
                format!("{} -> {} via {}", h.from, h.to, h.permission),
            );
        }
        out.push(f.with_remediation(
            "Only the SCP stops this path: break it in IAM too (narrow the trust policy or the iam:* / iam:PassRole permission named in the evidence).",
        ));
    }
}

/// The full-admin policies a user holds through its groups, as `GROUP_ARN: POLICY`.
fn via_groups(a: &Analysis, p: &PrincipalReport) -> Vec<String> {
    let mut out = Vec::new();
    for g in &p.groups {
        for ap in a
            .admin_policies
            .iter()
            .filter(|ap| ap.attached_to.contains(g))
        {
            out.push(format!("{g}: {}", ap.policy));
        }
    }
    out
}

/// `f` with one `via group` evidence entry per [`via_groups`] item.
fn with_groups(mut f: Finding, groups: Vec<String>) -> Finding {
    for g in groups {
        f = f.with_evidence("via group", None, g);
    }
    f
}

fn admins(a: &Analysis, asset: &str, out: &mut Vec<Finding>) {
    for p in a.principals.iter().filter(|p| p.admin) {
        let mut f = Finding::new(
            FindingKind::Entitlement,
            "iam-admin-equivalent",
            format!(
                "{:?} {} has full administrative access (*:* on *)",
                p.kind, p.name
            ),
            Severity::High,
            asset,
            &p.arn,
        );
        let full: Vec<_> = a
            .admin_policies
            .iter()
            .filter(|ap| ap.attached_to.contains(&p.arn))
            .collect();
        for ap in &full {
            f = f.with_evidence("full-admin policy attached", None, ap.policy.clone());
        }
        let groups = via_groups(a, p);
        if !full.is_empty() || !groups.is_empty() {
            f = f.with_control("CIS AWS Foundations", "1.16");
        }
        f = with_groups(f, groups)
            .with_evidence("policies", None, listed(&p.policies))
            .with_remediation(
            "Replace full-admin policies with least-privilege policies scoped to the actions and resources \
             the principal uses; keep break-glass admin access in a role with MFA-protected trust. \
             CLI: aws iam detach-user-policy / detach-role-policy --policy-arn <admin policy>.",
        );
        out.push(f);
    }
}

fn risk_meta(c: RiskCategory) -> (Severity, &'static str, &'static str) {
    match c {
        RiskCategory::PrivilegeEscalation => (
            Severity::High,
            "can escalate privileges",
            "Remove the IAM write actions (or scope them to specific resources) that let the principal grant itself more access.",
        ),
        RiskCategory::DataExfiltration => (
            Severity::Medium,
            "can read data from every bucket, parameter or secret",
            "Scope data-read actions (s3:GetObject, ssm:GetParameter*, secretsmanager:GetSecretValue) to specific resource ARNs.",
        ),
        RiskCategory::ResourceExposure => (
            Severity::High,
            "can change resource policies on any resource (resource exposure)",
            "Scope 'Permissions management' actions to specific resource ARNs or remove them.",
        ),
        RiskCategory::CredentialsExposure => (
            Severity::High,
            "can obtain credentials on any resource",
            "Scope actions that return credentials (sts:AssumeRole, iam:CreateAccessKey, ecr:GetAuthorizationToken, …) to specific resources.",
        ),
        RiskCategory::InfrastructureModification => (
            Severity::Low,
            "can modify infrastructure without resource constraints",
            "Add resource constraints to Write and Tagging actions.",
        ),
        RiskCategory::ServiceWildcard => (
            Severity::Medium,
            "is granted whole services (service:*)",
            "Replace service:* with the actions the principal needs.",
        ),
    }
}

fn risks(a: &Analysis, asset: &str, out: &mut Vec<Finding>) {
    for p in &a.principals {
        for (cat, items) in &p.risks {
            let (severity, what, remediation) = risk_meta(*cat);
            let label = match cat {
                RiskCategory::PrivilegeEscalation => "escalation methods",
                RiskCategory::ServiceWildcard => "services",
                _ => "actions allowed on *",
            };
            out.push(
                Finding::new(
                    FindingKind::Entitlement,
                    format!("iam-{}", cat.slug()),
                    format!("{:?} {} {what}", p.kind, p.name),
                    severity,
                    asset,
                    &p.arn,
                )
                .with_evidence(label, None, listed(items))
                .with_evidence(
                    "granted by",
                    None,
                    listed(
                        p.risk_sources
                            .get(cat)
                            .map(Vec::as_slice)
                            .unwrap_or_default(),
                    ),
                )
                .with_remediation(remediation),
            );
        }
    }
}

fn trusts(a: &Analysis, asset: &str, out: &mut Vec<Finding>) {
    let mut grouped: BTreeMap<(String, &'static str), Vec<String>> = BTreeMap::new();
    let mut meta: BTreeMap<&'static str, (Severity, &'static str, &'static str)> = BTreeMap::new();
    for t in &a.trusts {
        let (rule, severity, title, remediation) = match &t.kind {
            TrustKind::Public => (
                "iam-role-trust-public",
                Severity::Critical,
                "can be assumed by anyone (Principal \"*\")",
                "Replace Principal \"*\" in the trust policy with the exact accounts or roles that need access, or add aws:PrincipalOrgID / sts:ExternalId conditions.",
            ),
            TrustKind::PublicWithConditions { .. } => (
                "iam-role-trust-public-conditional",
                Severity::Medium,
                "can be assumed by any principal that meets its conditions",
                "Review the conditions; prefer naming the trusted accounts or roles explicitly.",
            ),
            TrustKind::CrossAccount {
                external_id: false, ..
            } => (
                "iam-role-trust-cross-account-no-external-id",
                Severity::High,
                "trusts another account without requiring sts:ExternalId",
                "Require sts:ExternalId (third parties) or aws:PrincipalOrgID (own organisation) in the trust policy, or list the account as known.",
            ),
            TrustKind::CrossAccount {
                external_id: true, ..
            } => (
                "iam-role-trust-cross-account",
                Severity::Medium,
                "can be assumed from another account",
                "Confirm the trusted account is yours or a vetted third party.",
            ),
            TrustKind::ComputeService { .. } => (
                "iam-role-assumable-by-compute-service",
                Severity::Low,
                "is assumable by a compute service (code on it acts with the role)",
                "Keep compute roles least-privileged; workloads exposed to the internet carry their role's permissions.",
            ),
        };
        meta.insert(rule, (severity, title, remediation));
        grouped
            .entry((t.role.clone(), rule))
            .or_default()
            .push(format!("statement {} trusts {}", t.statement, t.principal));
    }
    for ((role, rule), ev) in grouped {
        let Some((severity, title, remediation)) = meta.get(rule) else {
            continue;
        };
        let name = role.rsplit('/').next().unwrap_or(&role);
        let mut f = Finding::new(
            FindingKind::Entitlement,
            rule,
            format!("Role {name} {title}"),
            *severity,
            asset,
            &role,
        );
        for e in ev {
            f = f.with_evidence("trust policy", None, e);
        }
        out.push(f.with_remediation(*remediation));
    }
}

fn unused(a: &Analysis, asset: &str, out: &mut Vec<Finding>) {
    for u in &a.unused {
        let last = u
            .last_used
            .map_or("never used".to_string(), |t| format!("last used {t}"));
        let f = match &u.kind {
            UnusedKind::Role => Finding::new(
                FindingKind::Entitlement,
                "iam-unused-role",
                format!("Role unused for {} days", u.idle_days),
                Severity::Low,
                asset,
                &u.principal,
            )
            .with_remediation("Delete roles nobody uses: aws iam delete-role --role-name <name> (detach policies first)."),
            UnusedKind::AccessKey { id } => Finding::new(
                FindingKind::Entitlement,
                "iam-unused-access-key",
                format!("Active access key {id} unused for {} days", u.idle_days),
                Severity::Medium,
                asset,
                &u.principal,
            )
            .with_control("CIS AWS Foundations", "1.12")
            .with_remediation("Deactivate and delete the key: aws iam update-access-key --status Inactive, then aws iam delete-access-key."),
        };
        out.push(f.with_evidence("last use", None, last));
    }
}

fn escalations(a: &Analysis, asset: &str, out: &mut Vec<Finding>) {
    for p in &a.escalations {
        let mut f = if p.external {
            // Subject: the role the outsider enters through.
            let entry = p.hops.first().map_or(p.start.as_str(), |h| h.to.as_str());
            let public = p.start.starts_with("anyone");
            Finding::new(
                FindingKind::Entitlement,
                "iam-external-escalation-path",
                format!(
                    "{} from outside the account can reach administrator access in {} step(s)",
                    p.start,
                    p.hops.len()
                ),
                if public {
                    Severity::Critical
                } else {
                    Severity::High
                },
                asset,
                entry,
            )
        } else {
            let name = p.start.rsplit('/').next().unwrap_or(&p.start);
            Finding::new(
                FindingKind::Entitlement,
                "iam-privilege-escalation-path",
                format!(
                    "{name} can reach administrator access in {} step(s)",
                    p.hops.len()
                ),
                Severity::High,
                asset,
                &p.start,
            )
        };
        for (i, h) in p.hops.iter().enumerate() {
            f = f.with_evidence(
                format!("hop {}: {}", i + 1, h.technique),
                None,
                format!("{} -> {} via {}", h.from, h.to, h.permission),
            );
        }
        out.push(f.with_remediation(
            "Break the path at its weakest hop: narrow the trust policy or the iam:* / iam:PassRole permission named in the evidence.",
        ));
    }
}
