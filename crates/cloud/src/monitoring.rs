//! Monitoring presence, per region: CloudWatch Logs groups and metric filters
//! (`aws_cloudwatch_log_group`, `aws_cloudwatch_log_metric_filter`), CloudWatch alarms
//! (`aws_cloudwatch_metric_alarm`) — what the CIS 4.x controls look for — and AWS Config recorders
//! (`aws_config_configuration_recorder` and `_status`; a region without any recorder gets a status
//! document with `is_enabled = false` so the check can say so).

use crate::aws::{ServiceOut, Sink, describe};
use crate::doc::live_resource;
use aws_types::SdkConfig;
use serde_json::json;

/// CloudWatch Logs groups and metric filters, and CloudWatch alarms.
pub(crate) async fn cloudwatch(conf: &SdkConfig, region: &str) -> ServiceOut {
    let logs = aws_sdk_cloudwatchlogs::Client::new(conf);
    let cw = aws_sdk_cloudwatch::Client::new(conf);
    let mut sink = Sink::new("cloudwatch");
    let mut out = Vec::new();
    let groups = paginate!(
        sink,
        format!("DescribeLogGroups {region}"),
        logs.describe_log_groups(),
        |p| p.log_groups().to_vec()
    );
    for g in groups {
        let Some(name) = g.log_group_name() else {
            continue;
        };
        out.push(live_resource(
            "aws_cloudwatch_log_group",
            name,
            json!({
                "name": name,
                "arn": g.arn(),
                "kms_key_id": g.kms_key_id(),
                "retention_in_days": g.retention_in_days(),
                "region": region,
            }),
        ));
    }
    let filters = paginate!(
        sink,
        format!("DescribeMetricFilters {region}"),
        logs.describe_metric_filters(),
        |p| p.metric_filters().to_vec()
    );
    for f in filters {
        let Some(name) = f.filter_name() else {
            continue;
        };
        let transforms: Vec<_> = f
            .metric_transformations()
            .iter()
            .map(|t| {
                json!({
                    "name": t.metric_name(),
                    "namespace": t.metric_namespace(),
                    "value": t.metric_value(),
                })
            })
            .collect();
        out.push(live_resource(
            "aws_cloudwatch_log_metric_filter",
            &format!("{}-{name}", f.log_group_name().unwrap_or_default()),
            json!({
                "name": name,
                "log_group_name": f.log_group_name(),
                "pattern": f.filter_pattern(),
                "metric_transformation": transforms,
                "region": region,
            }),
        ));
    }
    let alarms = paginate!(
        sink,
        format!("DescribeAlarms {region}"),
        cw.describe_alarms(),
        |p| p.metric_alarms().to_vec()
    );
    for a in alarms {
        let Some(name) = a.alarm_name() else {
            continue;
        };
        out.push(live_resource(
            "aws_cloudwatch_metric_alarm",
            name,
            json!({
                "alarm_name": name,
                "arn": a.alarm_arn(),
                "metric_name": a.metric_name(),
                "namespace": a.namespace(),
                "alarm_actions": a.alarm_actions(),
                "actions_enabled": a.actions_enabled(),
                "region": region,
            }),
        ));
    }
    ServiceOut {
        service: "cloudwatch",
        resources: out,
        sink,
    }
}

/// AWS Config configuration recorders and whether they record.
pub(crate) async fn config(conf: &SdkConfig, region: &str) -> ServiceOut {
    let c = aws_sdk_config::Client::new(conf);
    let mut sink = Sink::new("config");
    let mut out = Vec::new();
    let recorders = match c.describe_configuration_recorders().send().await {
        Ok(r) => Some(r.configuration_recorders().to_vec()),
        Err(e) => {
            sink.warn(
                format!("DescribeConfigurationRecorders {region}"),
                describe(&e),
            );
            None
        }
    };
    let statuses = match c.describe_configuration_recorder_status().send().await {
        Ok(r) => Some(r.configuration_recorders_status().to_vec()),
        Err(e) => {
            sink.warn(
                format!("DescribeConfigurationRecorderStatus {region}"),
                describe(&e),
            );
            None
        }
    };
    if let Some(recs) = &recorders {
        for r in recs {
            let name = r.name().unwrap_or("default");
            let g = r.recording_group();
            out.push(live_resource(
                "aws_config_configuration_recorder",
                &format!("{region}-{name}"),
                json!({
                    "name": name,
                    "role_arn": r.role_arn(),
                    "recording_group": [{
                        "all_supported": g.map(|g| g.all_supported()),
                        "include_global_resource_types": g.map(|g| g.include_global_resource_types()),
                    }],
                    "region": region,
                }),
            ));
        }
    }
    match (&recorders, statuses) {
        (Some(recs), _) if recs.is_empty() => out.push(live_resource(
            "aws_config_configuration_recorder_status",
            region,
            json!({ "name": "", "is_enabled": false, "recorder_present": false, "region": region }),
        )),
        (_, Some(sts)) => {
            for s in sts {
                let name = s.name().unwrap_or("default");
                out.push(live_resource(
                    "aws_config_configuration_recorder_status",
                    &format!("{region}-{name}"),
                    json!({
                        "name": name,
                        "is_enabled": s.recording(),
                        "recorder_present": true,
                        "last_status": s.last_status().map(|l| l.as_str()),
                        "region": region,
                    }),
                ));
            }
        }
        _ => {}
    }
    ServiceOut {
        service: "config",
        resources: out,
        sink,
    }
}
