//! EC2 instances, launch templates and launch configurations; AMIs shared publicly.

use super::{Fact, bool_at, require_set, require_true, str_at};
use crate::checks::Check;
use crate::resource::{Attr, Outcome, Resource, ResourceSet};
use serde_json::Value as Json;

/// A live AMI marked `public`, or a launch permission for the group `all`.
fn public_ami(r: &Resource, _: &ResourceSet) -> Outcome {
    if r.resource_type == "aws_ami_launch_permission" {
        return match str_at(r, "group") {
            Fact::Known("all") => Outcome::fail("launch permission for group \"all\""),
            Fact::Unknown => Outcome::unknown("group"),
            _ => Outcome::Pass,
        };
    }
    match bool_at(r, "public") {
        Fact::Known(true) => Outcome::fail("the AMI is public (launch permission group all)"),
        Fact::Unknown => Outcome::unknown("public"),
        _ => Outcome::Pass,
    }
}

fn imdsv2(r: &Resource, _: &ResourceSet) -> Outcome {
    if r.resource_type == "aws_instance" && r.get("launch_template") != Attr::Absent {
        return Outcome::unknown("metadata options come from the launch template");
    }
    match str_at(r, "metadata_options.http_tokens") {
        Fact::Known("required") => Outcome::Pass,
        Fact::Known(t) => Outcome::fail(format!("http_tokens = \"{t}\"")),
        Fact::Unknown => Outcome::unknown("metadata_options.http_tokens"),
        Fact::Absent => match str_at(r, "metadata_options.http_endpoint") {
            Fact::Known("disabled") => Outcome::Pass,
            _ => Outcome::fail("metadata_options.http_tokens not set (IMDSv1 allowed)"),
        },
    }
}

fn public_ip(r: &Resource, _: &ResourceSet) -> Outcome {
    match bool_at(r, "associate_public_ip_address") {
        Fact::Known(true) => Outcome::fail("associate_public_ip_address = true"),
        Fact::Unknown => Outcome::unknown("associate_public_ip_address"),
        _ => Outcome::Pass,
    }
}

fn block_devices_encrypted(r: &Resource, _: &ResourceSet) -> Outcome {
    let mut unknown = false;
    for k in ["root_block_device", "ebs_block_device"] {
        match r.get(k) {
            Attr::Unknown => unknown = true,
            Attr::Known(Json::Array(devs)) => {
                for (i, d) in devs.iter().enumerate() {
                    let path = format!("{k}.{i}.encrypted");
                    match bool_at(r, &path) {
                        Fact::Known(true) => {}
                        Fact::Unknown => unknown = true,
                        _ if d.get("snapshot_id").is_some_and(|s| !s.is_null()) => unknown = true,
                        _ => return Outcome::fail(format!("{k} not encrypted")),
                    }
                }
            }
            _ => {}
        }
    }
    if r.get("root_block_device") == Attr::Absent && r.resource_type != "aws_launch_template" {
        return Outcome::fail("root_block_device not declared encrypted");
    }
    if unknown {
        Outcome::unknown("block device encryption")
    } else {
        Outcome::Pass
    }
}

const SECRET_MARKERS: &[&str] = &[
    "AKIA",
    "ASIA",
    "aws_secret_access_key",
    "AWS_SECRET_ACCESS_KEY",
    "password=",
    "PASSWORD=",
    "-----BEGIN",
];

fn user_data_secrets(r: &Resource, _: &ResourceSet) -> Outcome {
    match str_at(r, "user_data") {
        Fact::Known(u) => match SECRET_MARKERS.iter().find(|m| u.contains(**m)) {
            Some(m) => Outcome::fail(format!("user_data contains {m}…")),
            None => Outcome::Pass,
        },
        _ => Outcome::Pass,
    }
}

fn instance_profile(r: &Resource, _: &ResourceSet) -> Outcome {
    match r.get("iam_instance_profile") {
        Attr::Absent | Attr::Known(Json::Null) if r.get("launch_template") != Attr::Absent => {
            Outcome::unknown("launch_template")
        }
        _ => require_set(r, "iam_instance_profile", "no IAM instance profile"),
    }
}

pub const CHECKS: &[Check] = &[
    check!(
        "AWS-EC2-001",
        High,
        "EC2 instance metadata service allows IMDSv1",
        "Without http_tokens = required, SSRF bugs can read instance credentials through IMDSv1.",
        [
            "aws_instance",
            "aws_launch_template",
            "aws_launch_configuration"
        ],
        ["5.6"],
        "EC2 > Instances > instance > Actions > Instance settings > Modify instance metadata options: IMDSv2 Required.",
        "aws ec2 modify-instance-metadata-options --instance-id ID --http-tokens required --http-endpoint enabled",
        "metadata_options { http_tokens = \"required\" }",
        imdsv2
    ),
    check!(
        "AWS-EC2-002",
        Medium,
        "EC2 instance has a public IP address",
        "Instances with public addresses are directly reachable from the internet.",
        ["aws_instance", "aws_launch_configuration"],
        [],
        "Launch instances in private subnets; disable auto-assign public IP on the subnet.",
        "aws ec2 modify-subnet-attribute --subnet-id SUBNET --no-map-public-ip-on-launch",
        "associate_public_ip_address = false",
        public_ip
    ),
    check!(
        "AWS-EC2-003",
        Medium,
        "EC2 instance block device is not encrypted",
        "Root and EBS block devices should be encrypted at rest.",
        ["aws_instance", "aws_launch_configuration"],
        ["2.2.1"],
        "Enable EBS encryption by default (EC2 > Settings > EBS encryption) and replace unencrypted volumes.",
        "aws ec2 enable-ebs-encryption-by-default",
        "root_block_device { encrypted = true } and encrypted = true on every ebs_block_device",
        block_devices_encrypted
    ),
    check!(
        "AWS-EC2-004",
        Low,
        "EC2 instance detailed monitoring is disabled",
        "Detailed monitoring gives 1-minute metrics for alarms.",
        ["aws_instance"],
        [],
        "EC2 > Instances > instance > Actions > Monitor and troubleshoot > Manage detailed monitoring.",
        "aws ec2 monitor-instances --instance-ids ID",
        "monitoring = true",
        |r, _| require_true(r, "monitoring", false, "monitoring not enabled")
    ),
    check!(
        "AWS-EC2-005",
        Low,
        "EC2 instance is not EBS-optimized",
        "EBS optimisation isolates storage traffic from network traffic.",
        ["aws_instance"],
        [],
        "Stop the instance, Actions > Instance settings > Change EBS optimization.",
        "aws ec2 modify-instance-attribute --instance-id ID --ebs-optimized",
        "ebs_optimized = true",
        |r, _| require_true(r, "ebs_optimized", false, "ebs_optimized not enabled")
    ),
    check!(
        "AWS-EC2-006",
        High,
        "EC2 user data contains hard-coded secrets",
        "User data is readable by anyone who can describe the instance, and from the instance itself.",
        [
            "aws_instance",
            "aws_launch_template",
            "aws_launch_configuration"
        ],
        [],
        "Move credentials to an instance profile role or Secrets Manager; replace the user data.",
        "aws ec2 modify-instance-attribute --instance-id ID --user-data file://clean.txt",
        "Remove secrets from user_data; grant access with iam_instance_profile.",
        user_data_secrets
    ),
    check!(
        "AWS-EC2-007",
        Low,
        "EC2 instance has no IAM instance profile",
        "Without a role, software on the instance tends to use long-lived access keys.",
        ["aws_instance"],
        [],
        "EC2 > Instances > instance > Actions > Security > Modify IAM role.",
        "aws ec2 associate-iam-instance-profile --instance-id ID --iam-instance-profile Name=PROFILE",
        "iam_instance_profile = aws_iam_instance_profile.X.name",
        instance_profile
    ),
    check!(
        "AWS-EC2-008",
        High,
        "AMI is public",
        "A public AMI can be launched by any AWS account, with whatever the image holds (code, keys, data).",
        ["aws_ami", "aws_ami_launch_permission"],
        [],
        "EC2 > AMIs > AMI > Actions > Edit AMI permissions: Private.",
        "aws ec2 modify-image-attribute --image-id ID --launch-permission \"Remove=[{Group=all}]\" --region REGION",
        "Remove aws_ami_launch_permission with group = \"all\"; share with account_id instead.",
        public_ami
    ),
];
