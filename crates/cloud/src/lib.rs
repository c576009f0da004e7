//! Rampart's live cloud collectors.
//!
//! [`collect`] reads an AWS account through the official SDK and normalises every resource into the same
//! Terraform-shaped [`rampart_iac::Resource`] documents the IaC loaders produce (origin
//! [`rampart_iac::Origin::Live`]), so [`scan`] runs the IaC crate's AWS checks on the live account unchanged
//! and [`drift`] diffs declared against live documents.
//!
//! Partial failure is the rule: an AccessDenied, a service error, throttling or a timeout on one call
//! becomes a [`Warning`] naming what could not be read, never a failed scan. Credentials are never logged.
//!
//! Services: S3 (ACL, policy, bucket and account public access block, ownership controls, encryption,
//! versioning, logging, object lock),
//! IAM (users with inline/attached policies, access keys and last use, MFA devices; roles with trust,
//! inline and attached policies; groups with inline/attached policies and members; customer managed
//! policies with every version; the password policy; the credential report, parsed with bounds by
//! [`credential_report`]; the account summary), EC2 (instances with IMDS options, security groups, EBS volumes, snapshots and their sharing,
//! EBS default encryption, VPCs, flow logs, network ACLs, AMIs owned by the account), KMS (customer managed
//! keys, rotation, key policy), CloudTrail (trails, logging status, multi-region, validation, selectors),
//! RDS (instances, snapshot sharing), Lambda (functions with masked environments, URLs, resource
//! policies), EKS (endpoint, logging, secrets encryption), CloudWatch (log groups, metric filters, alarms),
//! Config (recorders) and Organizations (SCPs and the chain over the account when readable; [`scan`]
//! downgrades the IAM admin and escalation findings that chain blocks, see [`scp`]). Where CloudWatch
//! alarms could not be read, [`scan`] reports the CIS 4.x "no alarm" verdicts as unknown.
//!
//! For `rampart iam analyze --live`, [`authorization_details`] reads IAM `GetAccountAuthorizationDetails`
//! into the JSON `aws iam get-account-authorization-details` prints (plus each user's access keys), the
//! input of `rampart_iam::Account::from_json`.
//!
//! Beyond collection: [`fix`] plans and applies safe remediations, [`cloudtrail_s3`] reads CloudTrail log
//! files from their bucket, and [`remediation`] fills resource names into every finding's remediation.
//!
//! For the IaC crate: `rampart_iac::checks::run(asset, &ResourceSet, skip)` is the entry point used here;
//! the checks in [`live_checks`] (trail logging stopped) belong in its catalogue, keyed on the Terraform
//! attribute `enable_logging`.

/// Paginates `$req` (a fluent SDK builder), collecting `$items(page)`; a failed page is a warning on
/// `$sink` naming `$what`, and what was read so far is kept.
macro_rules! paginate {
    ($sink:expr, $what:expr, $req:expr, |$p:ident| $items:expr) => {{
        let mut out = Vec::new();
        let mut pages = $req.into_paginator().send();
        while let Some(page) = pages.next().await {
            match page {
                Ok($p) => out.extend($items),
                Err(e) => {
                    $sink.warn($what, crate::aws::describe(&e));
                    break;
                }
            }
        }
        out
    }};
}

mod auth_details;
mod aws;
mod cloudtrail;
pub mod cloudtrail_s3;
pub mod credential_report;
mod doc;
mod ec2;
mod eks;
pub mod fix;
mod iam;
mod kms;
mod lambda;
pub mod live_checks;
mod monitoring;
mod organizations;
mod rds;
pub mod remediation;
mod s3;
pub mod scp;

pub use auth_details::{authorization_details, authorization_details_blocking};
pub use aws::{AwsOptions, collect, collect_blocking};
pub use doc::live_resource;

use rampart_core::Finding;
use rampart_iac::{Resource, ResourceSet, UnknownOutcome};
use serde::Serialize;

/// Every service [`AwsOptions::services`] accepts.
pub const SERVICES: &[&str] = &[
    "s3",
    "iam",
    "organizations",
    "ec2",
    "kms",
    "cloudtrail",
    "rds",
    "lambda",
    "eks",
    "cloudwatch",
    "config",
];

/// The services collected per region (the others are global).
pub const REGIONAL_SERVICES: &[&str] = &[
    "ec2",
    "kms",
    "cloudtrail",
    "rds",
    "lambda",
    "eks",
    "cloudwatch",
    "config",
];

/// Errors that stop a collection before it starts (no region, no runtime). Everything later is a warning.
#[derive(Debug, thiserror::Error)]
pub enum CloudError {
    #[error("cannot start the async runtime for the AWS collector: {0}")]
    Runtime(#[source] std::io::Error),
    #[error("no AWS region configured: pass --region, set AWS_REGION or a profile region")]
    NoRegion,
}

/// Something the collector could not read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Warning {
    /// `s3`, `iam`, `ec2`, `kms`, `cloudtrail`, `rds`, `lambda`, `eks`, `cloudwatch`, `config`,
    /// `organizations`.
    pub service: String,
    /// What could not be read (`GetBucketPolicy cnapp-public-bucket`).
    pub what: String,
    /// The error, as the SDK describes it (error code and message, no credentials).
    pub error: String,
}

/// Per-service counts of what was read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Coverage {
    /// (service, region or `global`, resources produced).
    pub services: Vec<(String, String, usize)>,
}

/// The live resources of one account, plus what could not be read.
#[derive(Debug, Default, Serialize)]
pub struct Inventory {
    pub resources: Vec<Resource>,
    pub warnings: Vec<Warning>,
    pub coverage: Coverage,
}

/// Findings of the IaC crate's AWS checks on a live inventory.
#[derive(Debug, Default)]
pub struct CloudReport {
    pub findings: Vec<Finding>,
    pub unknown: Vec<UnknownOutcome>,
}

/// Runs every AWS check of the IaC crate (minus `skip`) on the collected resources. `asset` names the
/// account in findings (`aws:123456789012`). Every finding carries the check's remediation — console
/// steps, AWS CLI command, Terraform change — with the resource's names filled into the CLI line.
pub fn scan(inventory: &Inventory, asset: &str, skip: &[String]) -> CloudReport {
    let set = ResourceSet::new(inventory.resources.clone());
    let (mut findings, mut unknown) = rampart_iac::checks::run(asset, &set, skip);
    for check in live_checks::CHECKS {
        if skip.iter().any(|s| s == check.id) {
            continue;
        }
        for t in check.resource_types {
            for r in set.of_type(t) {
                if let rampart_iac::Outcome::Fail(detail) = (check.eval)(r, &set) {
                    findings.push(rampart_iac::checks::finding(asset, check, r, &detail));
                }
            }
        }
    }
    let by_address: std::collections::HashMap<&str, &Resource> = inventory
        .resources
        .iter()
        .map(|r| (r.address.as_str(), r))
        .collect();
    for f in &mut findings {
        if let Some(r) = by_address.get(f.subject.as_str()) {
            f.remediation = remediation::specialise(&f.remediation, r);
        }
    }
    if let Some(chain) = scp::chain(inventory) {
        scp::apply(&mut findings, inventory, &chain);
    }
    alarms_unread(&mut findings, &mut unknown, inventory);
    CloudReport { findings, unknown }
}

/// The CIS 4.x verdict "a metric filter matches, but no alarm watches its metric" rests on the alarms
/// read; where `DescribeAlarms` failed in the log group's region (AccessDenied, or an endpoint such as
/// moto that does not speak the SDK's CloudWatch protocol), that finding becomes an unknown outcome
/// naming the failed call, instead of a failure the account may not have.
fn alarms_unread(findings: &mut Vec<Finding>, unknown: &mut Vec<UnknownOutcome>, inv: &Inventory) {
    let failed: Vec<&Warning> = inv
        .warnings
        .iter()
        .filter(|w| w.service == "cloudwatch" && w.what.starts_with("DescribeAlarms"))
        .collect();
    if failed.is_empty() {
        return;
    }
    findings.retain(|f| {
        if !f
            .evidence
            .iter()
            .any(|e| e.detail.contains("no alarm watches its metric"))
        {
            return true;
        }
        let trail = inv.resources.iter().find(|r| r.address == f.subject);
        // arn:aws:logs:REGION:ACCOUNT:log-group:NAME:*
        let region = trail
            .and_then(|t| t.str("cloud_watch_logs_group_arn"))
            .and_then(|arn| arn.split(':').nth(3));
        let Some(w) = failed
            .iter()
            .find(|w| region.is_none_or(|r| w.what.split(' ').nth(1) == Some(r)))
        else {
            return true;
        };
        unknown.push(UnknownOutcome {
            check_id: f.rule_id.clone(),
            address: f.subject.clone(),
            file: trail.map(|t| t.source.file.clone()).unwrap_or_default(),
            line: 0,
            reason: format!(
                "aws_cloudwatch_metric_alarm: {} could not be read ({})",
                w.what, w.error
            ),
        });
        false
    });
}

/// Declared (IaC) resources against live ones: changed attributes, only-declared and unmanaged resources.
pub fn drift(declared: &ResourceSet, inventory: &Inventory) -> rampart_iac::drift::DriftReport {
    let live = ResourceSet::new(inventory.resources.clone());
    rampart_iac::drift::diff(declared, &live)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn inventory() -> Inventory {
        Inventory {
            resources: vec![
                live_resource(
                    "aws_cloudtrail",
                    "t",
                    json!({"name": "t", "enable_logging": false, "is_multi_region_trail": true,
                           "enable_log_file_validation": true}),
                ),
                live_resource(
                    "aws_s3_bucket",
                    "b",
                    json!({"bucket": "b", "acl": "public-read"}),
                ),
            ],
            ..Inventory::default()
        }
    }

    #[test]
    fn scan_runs_iac_and_live_checks() {
        let ids: Vec<String> = scan(&inventory(), "aws:1", &[])
            .findings
            .into_iter()
            .map(|f| format!("{} {}", f.rule_id, f.subject))
            .collect();
        assert!(
            ids.contains(&"AWS-CT-LIVE-001 aws_cloudtrail.t".to_string()),
            "{ids:?}"
        );
        assert!(
            ids.contains(&"AWS-S3-001 aws_s3_bucket.b".to_string()),
            "{ids:?}"
        );
        assert!(!ids.iter().any(|i| i.starts_with("AWS-CT-001 ")), "{ids:?}");
    }

    #[test]
    fn unread_alarms_make_the_alarm_verdict_unknown() {
        let mut inv = Inventory {
            resources: vec![
                live_resource(
                    "aws_cloudtrail",
                    "t",
                    json!({"name": "t", "enable_logging": true, "is_multi_region_trail": true,
                           "cloud_watch_logs_group_arn":
                               "arn:aws:logs:eu-west-1:1:log-group:g:*"}),
                ),
                live_resource(
                    "aws_cloudwatch_log_metric_filter",
                    "g-root",
                    json!({"name": "root", "log_group_name": "g",
                           "pattern": "{ $.userIdentity.type = \"Root\" }",
                           "metric_transformation": [{"name": "RootUse"}]}),
                ),
            ],
            ..Inventory::default()
        };
        let cw3 = |r: &CloudReport| r.findings.iter().any(|f| f.rule_id == "AWS-CW-003");
        // Alarms read (none): the filter alone is not enough.
        assert!(cw3(&scan(&inv, "aws:1", &[])));
        // Alarms unread in another region: still judged.
        inv.warnings.push(Warning {
            service: "cloudwatch".into(),
            what: "DescribeAlarms us-east-1".into(),
            error: "AccessDenied: no".into(),
        });
        assert!(cw3(&scan(&inv, "aws:1", &[])));
        // Unread in the log group's region: unknown, naming the failed call.
        inv.warnings[0].what = "DescribeAlarms eu-west-1".into();
        let r = scan(&inv, "aws:1", &[]);
        assert!(!cw3(&r));
        let u = r
            .unknown
            .iter()
            .find(|u| u.check_id == "AWS-CW-003")
            .expect("unknown outcome");
        assert_eq!(u.address, "aws_cloudtrail.t");
        assert!(
            u.reason
                .contains("DescribeAlarms eu-west-1 could not be read (AccessDenied")
        );
        // Verdicts that do not rest on alarms stay (no filter at all for CIS 4.1).
        assert!(r.findings.iter().any(|f| f.rule_id == "AWS-CW-001"));
    }

    #[test]
    fn skip_applies_to_live_checks() {
        let skip = vec!["AWS-CT-LIVE-001".to_string()];
        let r = scan(&inventory(), "aws:1", &skip);
        assert!(r.findings.iter().all(|f| f.rule_id != "AWS-CT-LIVE-001"));
    }
}
