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
//! inline and attached policies; customer managed policies with their default version; the password
//! policy), EC2 (instances with IMDS options, security groups, EBS volumes, snapshots and their sharing,
//! EBS default encryption, VPCs, flow logs, network ACLs, AMIs owned by the account), KMS (customer managed
//! keys, rotation, key policy), CloudTrail (trails, logging status, multi-region, validation, selectors),
//! RDS (instances, snapshot sharing), Lambda (functions with masked environments, URLs, resource
//! policies), EKS (endpoint, logging, secrets encryption), CloudWatch (log groups, metric filters, alarms),
//! Config (recorders) and Organizations (SCPs and the chain over the account when readable; [`scan`]
//! downgrades the IAM admin and escalation findings that chain blocks, see [`scp`]).
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
    let (mut findings, unknown) = rampart_iac::checks::run(asset, &set, skip);
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
    CloudReport { findings, unknown }
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
    fn skip_applies_to_live_checks() {
        let skip = vec!["AWS-CT-LIVE-001".to_string()];
        let r = scan(&inventory(), "aws:1", &skip);
        assert!(r.findings.iter().all(|f| f.rule_id != "AWS-CT-LIVE-001"));
    }
}
