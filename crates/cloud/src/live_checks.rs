//! Checks on facts only a live account (or a Terraform `enable_logging = false`) has, which the IaC
//! crate's catalogue does not cover yet. They use the IaC crate's [`Check`] shape so findings look the
//! same; they should move into `rampart_iac::checks::aws` (see the crate docs).

use rampart_core::Severity;
use rampart_iac::checks::{Check, Remediation};
use rampart_iac::resource::{Outcome, Resource, ResourceSet};
use serde_json::Value as Json;

fn trail_logging(r: &Resource, _: &ResourceSet) -> Outcome {
    match r.get("enable_logging").known() {
        Some(Json::Bool(false)) => Outcome::fail("the trail is not logging (StopLogging)"),
        Some(Json::String(s)) if s.eq_ignore_ascii_case("false") => {
            Outcome::fail("enable_logging = false")
        }
        _ => Outcome::Pass,
    }
}

/// A role list of `aws_iam_account` is known and empty.
fn no_role(r: &Resource, key: &str, what: &str) -> Outcome {
    match r.get(key).known() {
        Some(Json::Array(a)) if a.is_empty() => {
            Outcome::fail(format!("no role has {what} attached"))
        }
        Some(Json::Array(_)) => Outcome::Pass,
        _ => Outcome::unknown(key),
    }
}

/// A security group no network interface, Lambda function or other group's rule uses.
fn security_group_unused(r: &Resource, set: &ResourceSet) -> Outcome {
    let Some(id) = r.str("id") else {
        return Outcome::unknown("id");
    };
    match r
        .get("network_interface_count")
        .known()
        .and_then(Json::as_u64)
    {
        Some(0) => {}
        Some(_) => return Outcome::Pass,
        None => return Outcome::unknown("network_interface_count"),
    }
    let lists = |v: Option<&Json>| {
        v.and_then(Json::as_array)
            .is_some_and(|a| a.iter().any(|x| x.as_str() == Some(id)))
    };
    let lambda = set.of_type("aws_lambda_function").any(|f| {
        f.attributes
            .pointer("/vpc_config/0/security_group_ids")
            .is_some_and(|v| lists(Some(v)))
    });
    let referenced = set
        .of_type("aws_security_group")
        .chain(set.of_type("aws_default_security_group"))
        .filter(|g| g.str("id") != Some(id))
        .flat_map(|g| ["ingress", "egress"].map(|k| g.attributes.get(k)))
        .flatten()
        .filter_map(Json::as_array)
        .flatten()
        .any(|rule| lists(rule.get("security_groups")));
    if lambda || referenced {
        Outcome::Pass
    } else {
        Outcome::fail("no network interface, Lambda function or security group rule uses it")
    }
}

/// The trail records no Bedrock data events (advanced or classic selectors on `AWS::Bedrock::*`).
fn trail_bedrock(r: &Resource, _: &ResourceSet) -> Outcome {
    let bedrock = |v: &Json| v.as_str().is_some_and(|t| t.starts_with("AWS::Bedrock::"));
    let advanced = r
        .attributes
        .get("advanced_event_selector")
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
        .filter_map(|a| a.get("field_selector").and_then(Json::as_array))
        .flatten()
        .filter(|f| f.get("field").and_then(Json::as_str) == Some("resources.type"))
        .any(|f| {
            ["equals", "starts_with"].iter().any(|k| {
                f.get(*k)
                    .and_then(Json::as_array)
                    .is_some_and(|v| v.iter().any(|x| bedrock(x) || x == "AWS::Bedrock::"))
            })
        });
    let classic = r
        .attributes
        .get("event_selector")
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
        .filter_map(|e| e.get("data_resource").and_then(Json::as_array))
        .flatten()
        .any(|d| d.get("type").is_some_and(bedrock));
    if advanced || classic {
        Outcome::Pass
    } else {
        Outcome::fail(
            "no event selector records Bedrock data events (resources.type AWS::Bedrock::*)",
        )
    }
}

/// Live-only checks, run after the IaC catalogue by [`crate::scan`].
pub static CHECKS: &[Check] = &[
    Check {
        id: "AWS-CT-LIVE-001",
        title: "CloudTrail trail is not logging",
        severity: Severity::High,
        description: "A trail whose logging is stopped records no API activity.",
        remediation: Remediation {
            console: "CloudTrail > Trails > trail: Start logging.",
            cli: "aws cloudtrail start-logging --name TRAIL",
            terraform: "enable_logging = true",
        },
        resource_types: &["aws_cloudtrail"],
        cis: &["3.1"],
        eval: trail_logging,
    },
    Check {
        id: "AWS-CT-LIVE-002",
        title: "CloudTrail trail does not record Bedrock data events",
        severity: Severity::Low,
        description: "Without Bedrock data events (model invocations, agent and knowledge-base calls) nobody can tell who used which foundation model with what.",
        remediation: Remediation {
            console: "CloudTrail > Trails > trail > Data events: add resource types AWS::Bedrock::Model, AWS::Bedrock::AgentAlias, AWS::Bedrock::KnowledgeBase.",
            cli: "aws cloudtrail put-event-selectors --trail-name TRAIL --advanced-event-selectors '[{\"Name\":\"Bedrock\",\"FieldSelectors\":[{\"Field\":\"eventCategory\",\"Equals\":[\"Data\"]},{\"Field\":\"resources.type\",\"Equals\":[\"AWS::Bedrock::Model\"]}]}]'",
            terraform: "advanced_event_selector { field_selector { field = \"eventCategory\" equals = [\"Data\"] } field_selector { field = \"resources.type\" equals = [\"AWS::Bedrock::Model\"] } }",
        },
        resource_types: &["aws_cloudtrail"],
        cis: &[],
        eval: trail_bedrock,
    },
    Check {
        id: "AWS-IAM-LIVE-001",
        title: "No role manages incidents with AWS Support",
        severity: Severity::Low,
        description: "CIS expects a role with the AWSSupportAccess policy so incidents can be handled with AWS Support without root or personal credentials.",
        remediation: Remediation {
            console: "IAM > Roles > Create role: trusted entity your account, attach AWSSupportAccess.",
            cli: "aws iam create-role --role-name aws-support --assume-role-policy-document file://trust.json && aws iam attach-role-policy --role-name aws-support --policy-arn arn:aws:iam::aws:policy/AWSSupportAccess",
            terraform: "resource \"aws_iam_role_policy_attachment\" \"support\" { role = aws_iam_role.support.name policy_arn = \"arn:aws:iam::aws:policy/AWSSupportAccess\" }",
        },
        resource_types: &["aws_iam_account"],
        cis: &["1.17"],
        eval: |r, _| no_role(r, "support_roles", "AWSSupportAccess"),
    },
    Check {
        id: "AWS-IAM-LIVE-002",
        title: "No role holds the SecurityAudit policy",
        severity: Severity::Low,
        description: "A dedicated role with SecurityAudit lets auditors and tools read the account's configuration without broader access.",
        remediation: Remediation {
            console: "IAM > Roles > Create role: trusted entity your security account, attach SecurityAudit.",
            cli: "aws iam create-role --role-name security-audit --assume-role-policy-document file://trust.json && aws iam attach-role-policy --role-name security-audit --policy-arn arn:aws:iam::aws:policy/SecurityAudit",
            terraform: "resource \"aws_iam_role_policy_attachment\" \"audit\" { role = aws_iam_role.audit.name policy_arn = \"arn:aws:iam::aws:policy/SecurityAudit\" }",
        },
        resource_types: &["aws_iam_account"],
        cis: &[],
        eval: |r, _| no_role(r, "security_audit_roles", "SecurityAudit"),
    },
    Check {
        id: "AWS-VPC-LIVE-001",
        title: "Security group is not used",
        severity: Severity::Low,
        description: "A group no network interface, Lambda function or other group's rule uses is clutter that hides the groups that matter, and is attached by mistake more easily.",
        remediation: Remediation {
            console: "VPC > Security groups > group: confirm nothing uses it, then Delete.",
            cli: "aws ec2 delete-security-group --group-id GROUP_ID",
            terraform: "Remove the unused aws_security_group.",
        },
        resource_types: &["aws_security_group"],
        cis: &[],
        eval: security_group_unused,
    },
];
