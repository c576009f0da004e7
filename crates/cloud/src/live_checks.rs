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

/// Live-only checks, run after the IaC catalogue by [`crate::scan`].
pub static CHECKS: &[Check] = &[Check {
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
}];
