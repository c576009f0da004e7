//! CloudTrail trails (and CloudWatch log groups they and flow logs write to).

use super::{Fact, require_set, require_true, str_at};
use crate::checks::Check;
use crate::resource::{Attr, Outcome, Resource, ResourceSet};
use serde_json::Value as Json;

/// CIS 3.4: the trail's S3 bucket must have access logging.
fn bucket_logging(t: &Resource, set: &ResourceSet) -> Outcome {
    let bucket = match t
        .reference("s3_bucket_name")
        .and_then(|tok| set.resolve_ref(t, tok))
    {
        Some(b) => Some(b),
        None => match str_at(t, "s3_bucket_name") {
            Fact::Known(name) => set
                .of_type("aws_s3_bucket")
                .find(|b| b.root == t.root && b.str("bucket") == Some(name)),
            _ => None,
        },
    };
    let Some(b) = bucket.filter(|b| b.resource_type == "aws_s3_bucket") else {
        return Outcome::unknown("trail bucket not in this configuration");
    };
    match super::s3::CHECKS
        .iter()
        .find(|c| c.id == "AWS-S3-007")
        .map(|c| (c.eval)(b, set))
    {
        Some(Outcome::Fail(_)) => {
            Outcome::fail(format!("trail bucket {} has no access logging", b.address))
        }
        Some(o) => o,
        None => Outcome::Pass,
    }
}

fn kms(r: &Resource, _: &ResourceSet) -> Outcome {
    match r.get("kms_key_id") {
        Attr::Unknown if r.reference("kms_key_id").is_none() => Outcome::unknown("kms_key_id"),
        _ => require_set(r, "kms_key_id", "kms_key_id not set"),
    }
}

/// Whether the trail records S3 object-level events of `kind` (`WriteOnly` or `ReadOnly`) for all buckets,
/// through a basic or an advanced event selector.
fn s3_data_events(t: &Resource, kind: &str) -> Outcome {
    let mut unknown = false;
    match t.get("event_selector") {
        Attr::Known(Json::Array(sels)) => {
            for s in sels {
                let rw = s
                    .get("read_write_type")
                    .and_then(Json::as_str)
                    .unwrap_or("All");
                if rw != "All" && rw != kind {
                    continue;
                }
                let all_buckets = s
                    .get("data_resource")
                    .and_then(Json::as_array)
                    .into_iter()
                    .flatten()
                    .any(|d| {
                        d.get("type").and_then(Json::as_str) == Some("AWS::S3::Object")
                            && d.get("values").and_then(Json::as_array).is_some_and(|v| {
                                v.iter().any(|x| {
                                    matches!(x.as_str(), Some("arn:aws:s3" | "arn:aws:s3:::"))
                                })
                            })
                    });
                if all_buckets {
                    return Outcome::Pass;
                }
            }
        }
        Attr::Unknown => unknown = true,
        _ => {}
    }
    match t.get("advanced_event_selector") {
        Attr::Known(Json::Array(sels)) => {
            for s in sels {
                let fields: Vec<(&str, Vec<&str>)> = s
                    .get("field_selector")
                    .and_then(Json::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|f| {
                        let name = f.get("field").and_then(Json::as_str)?;
                        let eq = f
                            .get("equals")
                            .and_then(Json::as_array)
                            .map(|a| a.iter().filter_map(Json::as_str).collect())
                            .unwrap_or_default();
                        Some((name, eq))
                    })
                    .collect();
                let has = |field: &str, value: &str| {
                    fields
                        .iter()
                        .any(|(f, eq)| *f == field && eq.contains(&value))
                };
                let read_only = fields
                    .iter()
                    .find(|(f, _)| *f == "readOnly")
                    .map(|(_, eq)| eq.clone());
                let covers = match read_only {
                    None => true,
                    Some(eq) => eq.contains(&if kind == "ReadOnly" { "true" } else { "false" }),
                };
                if has("eventCategory", "Data")
                    && has("resources.type", "AWS::S3::Object")
                    && covers
                {
                    return Outcome::Pass;
                }
            }
        }
        Attr::Unknown => unknown = true,
        _ => {}
    }
    if unknown {
        Outcome::unknown("event_selector")
    } else {
        Outcome::fail(format!(
            "no event selector records S3 object-level {} events for all buckets",
            if kind == "ReadOnly" { "read" } else { "write" }
        ))
    }
}

pub const CHECKS: &[Check] = &[
    check!(
        "AWS-CT-001",
        High,
        "CloudTrail trail is not multi-region",
        "A multi-region trail records API activity in every region, including unused ones.",
        ["aws_cloudtrail"],
        ["3.1"],
        "CloudTrail > Trails > trail > Edit: Apply trail to all regions.",
        "aws cloudtrail update-trail --name TRAIL --is-multi-region-trail",
        "is_multi_region_trail = true",
        |r, _| require_true(
            r,
            "is_multi_region_trail",
            false,
            "is_multi_region_trail is not true"
        )
    ),
    check!(
        "AWS-CT-002",
        Medium,
        "CloudTrail log file validation is disabled",
        "Digest files prove log files were not changed after delivery.",
        ["aws_cloudtrail"],
        ["3.2"],
        "CloudTrail > Trails > trail > Edit: enable Log file validation.",
        "aws cloudtrail update-trail --name TRAIL --enable-log-file-validation",
        "enable_log_file_validation = true",
        |r, _| require_true(
            r,
            "enable_log_file_validation",
            false,
            "enable_log_file_validation is not true"
        )
    ),
    check!(
        "AWS-CT-003",
        Medium,
        "CloudTrail logs are not encrypted with a KMS key",
        "SSE-KMS adds a key policy between readers of the bucket and the logs.",
        ["aws_cloudtrail"],
        ["3.5"],
        "CloudTrail > Trails > trail > Edit: Log file SSE-KMS encryption enabled.",
        "aws cloudtrail update-trail --name TRAIL --kms-key-id KEY",
        "kms_key_id = aws_kms_key.X.arn",
        kms
    ),
    check!(
        "AWS-CT-004",
        Low,
        "CloudTrail S3 bucket has no access logging",
        "Access logs of the trail bucket show who read or tampered with the logs.",
        ["aws_cloudtrail"],
        ["3.4"],
        "S3 > trail bucket > Properties > Server access logging: Enable.",
        "aws s3api put-bucket-logging --bucket TRAIL_BUCKET --bucket-logging-status file://logging.json",
        "Add aws_s3_bucket_logging for the trail bucket.",
        bucket_logging
    ),
    check!(
        "AWS-CT-005",
        Low,
        "CloudTrail is not integrated with CloudWatch Logs",
        "Sending the trail to CloudWatch Logs enables metric filters and alarms.",
        ["aws_cloudtrail"],
        [],
        "CloudTrail > Trails > trail > CloudWatch Logs > Edit: enable.",
        "aws cloudtrail update-trail --name TRAIL --cloud-watch-logs-log-group-arn ARN --cloud-watch-logs-role-arn ROLE",
        "cloud_watch_logs_group_arn and cloud_watch_logs_role_arn",
        |r, _| require_set(
            r,
            "cloud_watch_logs_group_arn",
            "cloud_watch_logs_group_arn not set"
        )
    ),
    check!(
        "AWS-CT-006",
        Low,
        "CloudTrail trail has no SNS topic",
        "An SNS topic notifies on every log file delivery.",
        ["aws_cloudtrail"],
        [],
        "CloudTrail > Trails > trail > Edit: SNS notification delivery.",
        "aws cloudtrail update-trail --name TRAIL --sns-topic-name TOPIC",
        "sns_topic_name = aws_sns_topic.X.name",
        |r, _| require_set(r, "sns_topic_name", "sns_topic_name not set")
    ),
    check!(
        "AWS-LOGS-001",
        Low,
        "CloudWatch log group is not encrypted with KMS",
        "Log groups (trail, flow logs, functions) should use a customer managed key.",
        ["aws_cloudwatch_log_group"],
        [],
        "CloudWatch > Log groups: associate a KMS key (CLI only).",
        "aws logs associate-kms-key --log-group-name NAME --kms-key-id KEY",
        "kms_key_id = aws_kms_key.X.arn",
        |r, _| require_set(r, "kms_key_id", "kms_key_id not set")
    ),
    check!(
        "AWS-CT-007",
        Low,
        "CloudTrail trail does not record S3 object-level write events",
        "Data events for PutObject/DeleteObject show who changed or removed data.",
        ["aws_cloudtrail"],
        ["3.8"],
        "CloudTrail > Trails > trail > Data events > Edit: S3, all current and future buckets, Write.",
        "aws cloudtrail put-event-selectors --trail-name TRAIL --event-selectors '[{\"ReadWriteType\":\"WriteOnly\",\"IncludeManagementEvents\":true,\"DataResources\":[{\"Type\":\"AWS::S3::Object\",\"Values\":[\"arn:aws:s3\"]}]}]'",
        "event_selector { read_write_type = \"WriteOnly\" (or \"All\"), data_resource { type = \"AWS::S3::Object\", values = [\"arn:aws:s3\"] } }",
        |r, _| s3_data_events(r, "WriteOnly")
    ),
    check!(
        "AWS-CT-008",
        Low,
        "CloudTrail trail does not record S3 object-level read events",
        "Data events for GetObject show who read data, the evidence of an exfiltration.",
        ["aws_cloudtrail"],
        ["3.9"],
        "CloudTrail > Trails > trail > Data events > Edit: S3, all current and future buckets, Read.",
        "aws cloudtrail put-event-selectors --trail-name TRAIL --event-selectors '[{\"ReadWriteType\":\"ReadOnly\",\"IncludeManagementEvents\":true,\"DataResources\":[{\"Type\":\"AWS::S3::Object\",\"Values\":[\"arn:aws:s3\"]}]}]'",
        "event_selector { read_write_type = \"ReadOnly\" (or \"All\"), data_resource { type = \"AWS::S3::Object\", values = [\"arn:aws:s3\"] } }",
        |r, _| s3_data_events(r, "ReadOnly")
    ),
];
