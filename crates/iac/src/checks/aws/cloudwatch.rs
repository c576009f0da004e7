//! CIS 4.x: a CloudWatch Logs metric filter on the trail's log group for each kind of sensitive API
//! activity, with an alarm on the filter's metric. Judged per trail: the trail must send to CloudWatch Logs
//! (`cloud_watch_logs_group_arn`), some `aws_cloudwatch_log_metric_filter` on that group must match the
//! activity (its pattern names every required term), and an `aws_cloudwatch_metric_alarm` must watch the
//! filter's metric.

use crate::checks::Check;
use crate::resource::{Attr, Outcome, Resource, ResourceSet};
use serde_json::Value as Json;

/// The log group name of a CloudWatch Logs ARN (`arn:aws:logs:r:a:log-group:NAME:*`), or the name itself.
fn group_name(arn: &str) -> &str {
    match arn.split_once(":log-group:") {
        Some((_, rest)) => rest.strip_suffix(":*").unwrap_or(rest),
        None => arn,
    }
}

/// Pass when the trail's log group has a metric filter whose pattern holds every term of `terms`
/// and an alarm on its metric.
fn monitored(trail: &Resource, set: &ResourceSet, terms: &[&str]) -> Outcome {
    let group = match trail.get("cloud_watch_logs_group_arn") {
        Attr::Known(Json::String(s)) if !s.is_empty() => group_name(s).to_string(),
        Attr::Unknown => return Outcome::unknown("cloud_watch_logs_group_arn"),
        _ => return Outcome::fail("the trail does not send its events to CloudWatch Logs"),
    };
    let mut unknown = false;
    let mut filtered = false;
    for f in set.of_type("aws_cloudwatch_log_metric_filter") {
        if f.root != trail.root {
            continue;
        }
        match (f.get("log_group_name"), f.get("pattern")) {
            (Attr::Known(Json::String(g)), Attr::Known(Json::String(p))) => {
                if group_name(g) != group || !terms.iter().all(|t| p.contains(t)) {
                    continue;
                }
                filtered = true;
                let metrics: Vec<&str> = match f.get("metric_transformation") {
                    Attr::Known(Json::Array(a)) => a
                        .iter()
                        .filter_map(|m| m.get("name").and_then(Json::as_str))
                        .collect(),
                    Attr::Known(Json::Object(m)) => {
                        m.get("name").and_then(Json::as_str).into_iter().collect()
                    }
                    _ => Vec::new(),
                };
                let alarmed = set.of_type("aws_cloudwatch_metric_alarm").any(|a| {
                    a.root == trail.root
                        && a.str("metric_name").is_some_and(|m| metrics.contains(&m))
                });
                if alarmed {
                    return Outcome::Pass;
                }
            }
            (Attr::Unknown, _) | (_, Attr::Unknown) => unknown = true,
            _ => {}
        }
    }
    if unknown {
        Outcome::unknown("aws_cloudwatch_log_metric_filter")
    } else if filtered {
        Outcome::fail(format!(
            "a metric filter on {group} matches, but no alarm watches its metric"
        ))
    } else {
        Outcome::fail(format!(
            "no metric filter on {group} matches {}",
            terms.join(", ")
        ))
    }
}

/// One CIS 4.x check: id, CIS control, title, pattern terms.
macro_rules! metric_check {
    ($id:expr, $cis:expr, $what:expr, [$($term:expr),+ $(,)?]) => {
        check!(
            $id,
            Low,
            concat!("No CloudWatch alarm for ", $what),
            concat!("CIS ", $cis, ": a metric filter and alarm on the trail's log group for ", $what, " let responders react within minutes."),
            ["aws_cloudtrail"],
            [$cis],
            concat!("CloudWatch > Log groups > the trail's group > Metric filters > Create: a pattern for ", $what, "; then Create alarm on the metric with an SNS action."),
            "aws logs put-metric-filter --log-group-name GROUP --filter-name NAME --metric-transformations metricName=NAME,metricNamespace=CISBenchmark,metricValue=1 --filter-pattern PATTERN && aws cloudwatch put-metric-alarm --alarm-name NAME --metric-name NAME --namespace CISBenchmark --statistic Sum --period 300 --threshold 1 --comparison-operator GreaterThanOrEqualToThreshold --evaluation-periods 1 --alarm-actions TOPIC_ARN",
            "aws_cloudwatch_log_metric_filter { log_group_name = the trail's group, pattern = … } and aws_cloudwatch_metric_alarm on its metric",
            |r, s| monitored(r, s, &[$($term),+])
        )
    };
}

pub const CHECKS: &[Check] = &[
    metric_check!(
        "AWS-CW-001",
        "4.1",
        "unauthorized API calls",
        ["UnauthorizedOperation", "AccessDenied"]
    ),
    metric_check!(
        "AWS-CW-002",
        "4.2",
        "console sign-in without MFA",
        ["ConsoleLogin", "MFAUsed"]
    ),
    metric_check!(
        "AWS-CW-003",
        "4.3",
        "use of the root account",
        ["userIdentity.type", "Root"]
    ),
    metric_check!(
        "AWS-CW-004",
        "4.4",
        "IAM policy changes",
        [
            "DeleteGroupPolicy",
            "PutUserPolicy",
            "CreatePolicyVersion",
            "AttachRolePolicy"
        ]
    ),
    metric_check!(
        "AWS-CW-005",
        "4.5",
        "CloudTrail configuration changes",
        ["UpdateTrail", "StopLogging", "DeleteTrail"]
    ),
    metric_check!(
        "AWS-CW-006",
        "4.6",
        "console authentication failures",
        ["ConsoleLogin", "Failed authentication"]
    ),
    metric_check!(
        "AWS-CW-007",
        "4.7",
        "disabling or scheduled deletion of customer managed keys",
        ["DisableKey", "ScheduleKeyDeletion"]
    ),
    metric_check!(
        "AWS-CW-008",
        "4.8",
        "S3 bucket policy changes",
        ["PutBucketPolicy", "DeleteBucketPolicy"]
    ),
    metric_check!(
        "AWS-CW-009",
        "4.9",
        "AWS Config configuration changes",
        ["StopConfigurationRecorder", "DeleteDeliveryChannel"]
    ),
    metric_check!(
        "AWS-CW-010",
        "4.10",
        "security group changes",
        ["AuthorizeSecurityGroupIngress", "DeleteSecurityGroup"]
    ),
    metric_check!(
        "AWS-CW-011",
        "4.11",
        "network ACL changes",
        ["CreateNetworkAclEntry", "DeleteNetworkAcl"]
    ),
    metric_check!(
        "AWS-CW-012",
        "4.12",
        "network gateway changes",
        ["CreateCustomerGateway", "AttachInternetGateway"]
    ),
    metric_check!(
        "AWS-CW-013",
        "4.13",
        "route table changes",
        ["CreateRoute", "ReplaceRouteTableAssociation"]
    ),
    metric_check!(
        "AWS-CW-014",
        "4.14",
        "VPC changes",
        ["CreateVpc", "DeleteVpc", "ModifyVpcAttribute"]
    ),
    metric_check!(
        "AWS-CW-015",
        "4.15",
        "AWS Organizations changes",
        ["organizations.amazonaws.com"]
    ),
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resource::ResourceSet;

    fn live(t: &str, name: &str, attributes: serde_json::Value) -> Resource {
        crate::resource::live_for_test(t, name, attributes)
    }

    #[test]
    fn needs_a_matching_filter_and_an_alarm() {
        let trail = live(
            "aws_cloudtrail",
            "t",
            serde_json::json!({"cloud_watch_logs_group_arn": "arn:aws:logs:us-east-1:1:log-group:ct:*"}),
        );
        let filter = live(
            "aws_cloudwatch_log_metric_filter",
            "f",
            serde_json::json!({"log_group_name": "ct",
                "pattern": "{ ($.userIdentity.type = \"Root\") && ($.eventType != \"AwsServiceEvent\") }",
                "metric_transformation": [{"name": "RootUse"}]}),
        );
        let alarm = live(
            "aws_cloudwatch_metric_alarm",
            "a",
            serde_json::json!({"metric_name": "RootUse"}),
        );
        let root = &CHECKS[2];
        let only_filter = ResourceSet::new(vec![trail.clone(), filter.clone()]);
        assert!(
            matches!((root.eval)(&trail, &only_filter), Outcome::Fail(d) if d.contains("no alarm"))
        );
        let all = ResourceSet::new(vec![trail.clone(), filter, alarm]);
        assert_eq!((root.eval)(&trail, &all), Outcome::Pass);
        assert!(matches!((CHECKS[0].eval)(&trail, &all), Outcome::Fail(_)));
        let bare = live("aws_cloudtrail", "b", serde_json::json!({}));
        assert!(
            matches!((root.eval)(&bare, &all), Outcome::Fail(d) if d.contains("CloudWatch Logs"))
        );
    }
}
