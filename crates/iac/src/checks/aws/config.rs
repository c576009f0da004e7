//! AWS Config: a recorder must be on in every region (CIS 3.3).

use super::{Fact, bool_at, require_true};
use crate::checks::Check;
use crate::resource::{Outcome, Resource, ResourceSet};

fn all_supported(r: &Resource, _: &ResourceSet) -> Outcome {
    match bool_at(r, "recording_group.all_supported").or_default(true) {
        Some(true) => match bool_at(r, "recording_group.include_global_resource_types") {
            Fact::Known(false) => Outcome::fail("global resource types (IAM) are not recorded"),
            _ => Outcome::Pass,
        },
        Some(false) => Outcome::fail("recording_group.all_supported = false"),
        None => Outcome::unknown("recording_group.all_supported"),
    }
}

pub const CHECKS: &[Check] = &[
    check!(
        "AWS-CONFIG-001",
        Medium,
        "AWS Config is not recording in the region",
        "Without a running configuration recorder there is no history of resource changes to investigate or audit.",
        ["aws_config_configuration_recorder_status"],
        ["3.3"],
        "AWS Config > Settings > Edit: Enable recording, record all resource types; start the recorder.",
        "aws configservice put-configuration-recorder --configuration-recorder name=default,roleARN=ROLE --recording-group allSupported=true,includeGlobalResourceTypes=true && aws configservice start-configuration-recorder --configuration-recorder-name default --region REGION",
        "aws_config_configuration_recorder with recording_group { all_supported = true } and aws_config_configuration_recorder_status { is_enabled = true }",
        |r, _| require_true(
            r,
            "is_enabled",
            false,
            "the configuration recorder is not recording"
        )
    ),
    check!(
        "AWS-CONFIG-002",
        Low,
        "AWS Config recorder does not record all resource types",
        "A recorder limited to some types misses changes to the others.",
        ["aws_config_configuration_recorder"],
        ["3.3"],
        "AWS Config > Settings > Edit: Recording strategy All resource types, include globally recorded types.",
        "aws configservice put-configuration-recorder --configuration-recorder name=NAME,roleARN=ROLE --recording-group allSupported=true,includeGlobalResourceTypes=true",
        "recording_group { all_supported = true, include_global_resource_types = true }",
        all_supported
    ),
];
