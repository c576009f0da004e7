//! EBS volumes and account-level default encryption.

use super::{require_set, require_true};
use crate::checks::Check;
use crate::resource::{Outcome, Resource, ResourceSet};

fn cmk(r: &Resource, _: &ResourceSet) -> Outcome {
    require_set(r, "kms_key_id", "no customer managed kms_key_id")
}

pub const CHECKS: &[Check] = &[
    check!(
        "AWS-EBS-001",
        High,
        "EBS volume is not encrypted",
        "Unencrypted volumes and their snapshots expose data at rest.",
        ["aws_ebs_volume"],
        ["2.2.1"],
        "Create an encrypted copy of the volume's snapshot and replace the volume; enable EBS encryption by default.",
        "aws ec2 create-volume --encrypted --snapshot-id SNAP --availability-zone AZ",
        "encrypted = true (and kms_key_id = aws_kms_key.X.arn)",
        |r, _| require_true(r, "encrypted", false, "encrypted is not true")
    ),
    check!(
        "AWS-EBS-002",
        Medium,
        "EBS encryption by default is disabled",
        "Account-level default encryption makes every new volume encrypted.",
        ["aws_ebs_encryption_by_default"],
        ["2.2.1"],
        "EC2 > Settings > EBS encryption > Manage: Always encrypt new EBS volumes.",
        "aws ec2 enable-ebs-encryption-by-default --region REGION",
        "aws_ebs_encryption_by_default { enabled = true }",
        |r, _| require_true(r, "enabled", true, "enabled = false")
    ),
    check!(
        "AWS-EBS-003",
        Low,
        "EBS volume is not encrypted with a customer managed KMS key",
        "A customer managed key gives control over key policy, rotation and revocation.",
        ["aws_ebs_volume"],
        [],
        "Copy the volume's snapshot with a customer managed key and replace the volume.",
        "aws ec2 copy-snapshot --encrypted --kms-key-id KEY --source-snapshot-id SNAP --source-region REGION",
        "kms_key_id = aws_kms_key.X.arn",
        cmk
    ),
];
