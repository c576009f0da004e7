//! EBS volumes, snapshots (public sharing, encryption) and account-level default encryption.

use super::{Fact, bool_at, require_set, require_true};
use crate::checks::Check;
use crate::resource::{Outcome, Resource, ResourceSet};

fn cmk(r: &Resource, _: &ResourceSet) -> Outcome {
    require_set(r, "kms_key_id", "no customer managed kms_key_id")
}

/// A known `flag` that must not be `bad`; absent passes (Terraform's snapshots do not declare it).
fn flag_not(r: &Resource, path: &str, bad: bool, fail: &str) -> Outcome {
    match bool_at(r, path) {
        Fact::Known(b) if b == bad => Outcome::fail(fail),
        Fact::Unknown => Outcome::unknown(path),
        _ => Outcome::Pass,
    }
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
    check!(
        "AWS-EBS-004",
        Critical,
        "EBS snapshot is public",
        "Any AWS account can create a volume from a public snapshot and read everything on it.",
        ["aws_ebs_snapshot"],
        [],
        "EC2 > Snapshots > snapshot > Actions > Snapshot settings > Modify permissions: Private.",
        "aws ec2 modify-snapshot-attribute --snapshot-id ID --attribute createVolumePermission --operation-type remove --group-names all --region REGION",
        "Share snapshots with aws_snapshot_create_volume_permission for named accounts only.",
        |r, _| flag_not(
            r,
            "public",
            true,
            "createVolumePermission includes group all"
        )
    ),
    check!(
        "AWS-EBS-005",
        Medium,
        "EBS snapshot is not encrypted",
        "An unencrypted snapshot exposes the volume's data at rest, and copies of it stay unencrypted.",
        ["aws_ebs_snapshot", "aws_ebs_snapshot_copy"],
        ["2.2.1"],
        "EC2 > Snapshots > snapshot > Actions > Copy snapshot: Encrypt this snapshot; delete the unencrypted one.",
        "aws ec2 copy-snapshot --source-snapshot-id ID --source-region REGION --encrypted",
        "encrypted = true on aws_ebs_snapshot_copy (and encrypt the source volume)",
        |r, _| flag_not(r, "encrypted", false, "encrypted = false")
    ),
];
