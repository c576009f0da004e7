//! RDS database instances.

use super::{Fact, num_at, require_false, require_set, require_true, str_at, strs_at};
use crate::checks::Check;
use crate::resource::{Outcome, Resource, ResourceSet};

fn backups(r: &Resource, _: &ResourceSet) -> Outcome {
    match num_at(r, "backup_retention_period") {
        Fact::Known(n) if n > 0.0 => Outcome::Pass,
        Fact::Known(_) => Outcome::fail("backup_retention_period = 0 (backups disabled)"),
        Fact::Unknown => Outcome::unknown("backup_retention_period"),
        Fact::Absent => Outcome::Pass,
    }
}

fn monitoring(r: &Resource, _: &ResourceSet) -> Outcome {
    match num_at(r, "monitoring_interval") {
        Fact::Known(n) if n > 0.0 => Outcome::Pass,
        Fact::Unknown => Outcome::unknown("monitoring_interval"),
        _ => Outcome::fail("enhanced monitoring disabled"),
    }
}

fn postgres_logging(r: &Resource, _: &ResourceSet) -> Outcome {
    match str_at(r, "engine") {
        Fact::Known(e) if e.contains("postgres") => require_set(
            r,
            "parameter_group_name",
            "no parameter group enabling query logging",
        ),
        Fact::Unknown => Outcome::unknown("engine"),
        _ => Outcome::Pass,
    }
}

fn cluster_member(r: &Resource) -> bool {
    !matches!(str_at(r, "cluster_identifier"), Fact::Absent)
}

/// A snapshot shared with `all` can be restored by any AWS account.
fn snapshot_public(r: &Resource, _: &ResourceSet) -> Outcome {
    match strs_at(r, "shared_accounts") {
        Fact::Known(a) if a.contains(&"all") => {
            Outcome::fail("shared_accounts includes \"all\" (public)")
        }
        Fact::Unknown => Outcome::unknown("shared_accounts"),
        _ => Outcome::Pass,
    }
}

const DB: [&str; 1] = ["aws_db_instance"];
const SNAP: [&str; 2] = ["aws_db_snapshot", "aws_db_cluster_snapshot"];
const RDS_CONSOLE: &str = "RDS > Databases > instance > Modify.";

pub const CHECKS: &[Check] = &[
    check!(
        "AWS-RDS-001",
        Critical,
        "RDS instance is publicly accessible",
        "A publicly accessible instance gets a public DNS name and address.",
        DB,
        ["2.3.3"],
        RDS_CONSOLE,
        "aws rds modify-db-instance --db-instance-identifier DB --no-publicly-accessible --apply-immediately",
        "publicly_accessible = false",
        |r, _| require_false(
            r,
            "publicly_accessible",
            false,
            "publicly_accessible = true"
        )
    ),
    check!(
        "AWS-RDS-002",
        High,
        "RDS instance storage is not encrypted",
        "Encryption at rest covers the storage, backups, replicas and snapshots.",
        DB,
        ["2.3.1"],
        "Snapshot the instance, copy the snapshot with encryption, restore from it.",
        "aws rds copy-db-snapshot --source-db-snapshot-identifier SNAP --target-db-snapshot-identifier SNAP-enc --kms-key-id KEY",
        "storage_encrypted = true",
        |r, _| if cluster_member(r) {
            Outcome::Pass
        } else {
            require_true(
                r,
                "storage_encrypted",
                false,
                "storage_encrypted is not true",
            )
        }
    ),
    check!(
        "AWS-RDS-003",
        Medium,
        "RDS instance automated backups are disabled",
        "A retention period of 0 disables automated backups and point-in-time recovery.",
        DB,
        [],
        RDS_CONSOLE,
        "aws rds modify-db-instance --db-instance-identifier DB --backup-retention-period 7",
        "backup_retention_period = 7 (or more)",
        backups
    ),
    check!(
        "AWS-RDS-004",
        Medium,
        "RDS instance deletion protection is disabled",
        "Deletion protection stops accidental or malicious deletion.",
        DB,
        [],
        RDS_CONSOLE,
        "aws rds modify-db-instance --db-instance-identifier DB --deletion-protection",
        "deletion_protection = true",
        |r, _| require_true(
            r,
            "deletion_protection",
            false,
            "deletion_protection is not true"
        )
    ),
    check!(
        "AWS-RDS-005",
        Low,
        "RDS instance does not apply minor version upgrades automatically",
        "Minor versions carry security fixes.",
        DB,
        ["2.3.2"],
        RDS_CONSOLE,
        "aws rds modify-db-instance --db-instance-identifier DB --auto-minor-version-upgrade",
        "auto_minor_version_upgrade = true",
        |r, _| require_true(
            r,
            "auto_minor_version_upgrade",
            true,
            "auto_minor_version_upgrade = false"
        )
    ),
    check!(
        "AWS-RDS-006",
        Low,
        "RDS IAM database authentication is disabled",
        "IAM authentication replaces static database passwords with short-lived tokens.",
        DB,
        [],
        RDS_CONSOLE,
        "aws rds modify-db-instance --db-instance-identifier DB --enable-iam-database-authentication",
        "iam_database_authentication_enabled = true",
        |r, _| require_true(
            r,
            "iam_database_authentication_enabled",
            false,
            "IAM authentication not enabled"
        )
    ),
    check!(
        "AWS-RDS-007",
        Low,
        "RDS instance is not Multi-AZ",
        "Multi-AZ keeps a standby in another availability zone.",
        DB,
        [],
        RDS_CONSOLE,
        "aws rds modify-db-instance --db-instance-identifier DB --multi-az",
        "multi_az = true",
        |r, _| require_true(r, "multi_az", false, "multi_az is not true")
    ),
    check!(
        "AWS-RDS-008",
        Low,
        "RDS enhanced monitoring is disabled",
        "Enhanced monitoring reports OS-level metrics.",
        DB,
        [],
        RDS_CONSOLE,
        "aws rds modify-db-instance --db-instance-identifier DB --monitoring-interval 60 --monitoring-role-arn ROLE",
        "monitoring_interval = 60 and monitoring_role_arn",
        monitoring
    ),
    check!(
        "AWS-RDS-009",
        Low,
        "RDS instance exports no logs to CloudWatch",
        "Database logs in CloudWatch support auditing and alerting.",
        DB,
        [],
        RDS_CONSOLE,
        "aws rds modify-db-instance --db-instance-identifier DB --cloudwatch-logs-export-configuration EnableLogTypes=…",
        "enabled_cloudwatch_logs_exports = [\"postgresql\", …]",
        |r, _| require_set(r, "enabled_cloudwatch_logs_exports", "no log exports")
    ),
    check!(
        "AWS-RDS-010",
        Low,
        "RDS instance does not copy tags to snapshots",
        "Tags on snapshots keep ownership and classification.",
        DB,
        [],
        RDS_CONSOLE,
        "aws rds modify-db-instance --db-instance-identifier DB --copy-tags-to-snapshot",
        "copy_tags_to_snapshot = true",
        |r, _| require_true(
            r,
            "copy_tags_to_snapshot",
            false,
            "copy_tags_to_snapshot is not true"
        )
    ),
    check!(
        "AWS-RDS-011",
        Low,
        "RDS Performance Insights is disabled",
        "Performance Insights helps diagnose load, including abusive queries.",
        DB,
        [],
        RDS_CONSOLE,
        "aws rds modify-db-instance --db-instance-identifier DB --enable-performance-insights",
        "performance_insights_enabled = true",
        |r, _| require_true(
            r,
            "performance_insights_enabled",
            false,
            "performance insights not enabled"
        )
    ),
    check!(
        "AWS-RDS-012",
        Low,
        "PostgreSQL RDS instance has no parameter group for query logging",
        "Query logging (log_statement, log_min_duration_statement) needs a custom parameter group.",
        DB,
        [],
        "RDS > Parameter groups: create one with log_statement = all; attach it to the instance.",
        "aws rds modify-db-instance --db-instance-identifier DB --db-parameter-group-name PG",
        "parameter_group_name = aws_db_parameter_group.X.name",
        postgres_logging
    ),
    check!(
        "AWS-RDS-013",
        Critical,
        "RDS snapshot is public",
        "A manual snapshot shared with all accounts can be restored, with its data, by anyone.",
        SNAP,
        ["2.3.3"],
        "RDS > Snapshots > snapshot > Actions > Share snapshot: DB snapshot visibility Private.",
        "aws rds modify-db-snapshot-attribute --db-snapshot-identifier SNAP --attribute-name restore --values-to-remove all",
        "Remove \"all\" from shared_accounts of aws_db_snapshot.",
        snapshot_public
    ),
    check!(
        "AWS-RDS-014",
        Medium,
        "RDS snapshot is not encrypted",
        "Unencrypted snapshots expose the database contents to anyone who can copy or restore them.",
        SNAP,
        ["2.3.1"],
        "RDS > Snapshots > snapshot > Actions > Copy snapshot: enable encryption; delete the unencrypted copy.",
        "aws rds copy-db-snapshot --source-db-snapshot-identifier SNAP --target-db-snapshot-identifier SNAP-enc --kms-key-id KEY",
        "Snapshot an encrypted instance (storage_encrypted = true) or copy with kms_key_id.",
        |r, _| require_true(r, "encrypted", false, "encrypted is not true")
    ),
];
