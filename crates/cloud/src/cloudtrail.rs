//! CloudTrail: trails with logging status, multi-region, log file validation, KMS and event selectors.

use crate::aws::{ServiceOut, Sink, describe};
use crate::doc::live_resource;
use aws_sdk_cloudtrail::Client;
use aws_types::SdkConfig;
use serde_json::json;

pub(crate) async fn collect(conf: &SdkConfig, region: &str) -> ServiceOut {
    let c = Client::new(conf);
    let mut sink = Sink::new("cloudtrail");
    let mut out = Vec::new();
    let trails = match c
        .describe_trails()
        .include_shadow_trails(false)
        .send()
        .await
    {
        Ok(r) => r.trail_list().to_vec(),
        Err(e) => {
            sink.warn(
                format!("DescribeTrails {region} (no trail could be read)"),
                describe(&e),
            );
            Vec::new()
        }
    };
    for t in trails {
        let Some(name) = t.name() else { continue };
        let key = t.trail_arn().unwrap_or(name);
        let logging = match c.get_trail_status().name(key).send().await {
            Ok(s) => s.is_logging(),
            Err(e) => {
                sink.warn(format!("GetTrailStatus {name}"), describe(&e));
                None
            }
        };
        let (selectors, advanced) = match c.get_event_selectors().trail_name(key).send().await {
            Ok(s) => (
                s.event_selectors()
                    .iter()
                    .map(|e| {
                        json!({
                            "read_write_type": e.read_write_type().map(|r| r.as_str()),
                            "include_management_events": e.include_management_events(),
                            "data_resource": e.data_resources().iter().map(|d| json!({
                                "type": d.r#type(),
                                "values": d.values(),
                            })).collect::<Vec<_>>(),
                        })
                    })
                    .collect::<Vec<_>>(),
                s.advanced_event_selectors()
                    .iter()
                    .map(|a| {
                        json!({
                            "name": a.name(),
                            "field_selector": a.field_selectors().iter().map(|f| json!({
                                "field": f.field(),
                                "equals": f.equals(),
                                "starts_with": f.starts_with(),
                            })).collect::<Vec<_>>(),
                        })
                    })
                    .collect::<Vec<_>>(),
            ),
            Err(e) => {
                sink.warn(format!("GetEventSelectors {name}"), describe(&e));
                (Vec::new(), Vec::new())
            }
        };
        let mut attrs = json!({
            "name": name,
            "arn": t.trail_arn(),
            "home_region": t.home_region(),
            "s3_bucket_name": t.s3_bucket_name(),
            "is_multi_region_trail": t.is_multi_region_trail().unwrap_or(false),
            "is_organization_trail": t.is_organization_trail().unwrap_or(false),
            "include_global_service_events": t.include_global_service_events().unwrap_or(false),
            "enable_log_file_validation": t.log_file_validation_enabled().unwrap_or(false),
            "kms_key_id": t.kms_key_id(),
            "sns_topic_name": t.sns_topic_arn().and_then(|a| a.rsplit(':').next()),
            "sns_topic_arn": t.sns_topic_arn(),
            "cloud_watch_logs_group_arn": t.cloud_watch_logs_log_group_arn(),
            "event_selector": selectors,
            "advanced_event_selector": advanced,
        });
        if let (Some(m), Some(l)) = (attrs.as_object_mut(), logging) {
            m.insert("enable_logging".into(), json!(l));
        }
        out.push(live_resource("aws_cloudtrail", name, attrs));
    }
    ServiceOut {
        service: "cloudtrail",
        resources: out,
        sink,
    }
}
