//! KMS: customer managed keys with rotation status and key policy (AWS managed keys are skipped: their
//! rotation and policy are AWS's).

use crate::aws::{ServiceOut, Sink, describe};
use crate::doc::{live_resource, policy_string};
use aws_sdk_kms::Client;
use aws_types::SdkConfig;
use serde_json::json;

pub(crate) async fn collect(conf: &SdkConfig, region: &str) -> ServiceOut {
    let c = Client::new(conf);
    let mut sink = Sink::new("kms");
    let mut out = Vec::new();
    let mut ids = Vec::new();
    let mut pages = c.list_keys().into_paginator().send();
    while let Some(page) = pages.next().await {
        match page {
            Ok(p) => ids.extend(
                p.keys()
                    .iter()
                    .filter_map(|k| k.key_id().map(str::to_string)),
            ),
            Err(e) => {
                sink.warn(format!("ListKeys {region}"), describe(&e));
                break;
            }
        }
    }
    for id in ids {
        let meta = match c.describe_key().key_id(&id).send().await {
            Ok(r) => r.key_metadata().cloned(),
            Err(e) => {
                sink.warn(format!("DescribeKey {id}"), describe(&e));
                None
            }
        };
        let Some(meta) = meta else { continue };
        if meta.key_manager().is_some_and(|m| m.as_str() == "AWS") {
            continue;
        }
        if meta
            .key_state()
            .is_some_and(|s| s.as_str() == "PendingDeletion")
        {
            continue;
        }
        let spec = meta
            .key_spec()
            .map(|s| s.as_str())
            .unwrap_or("SYMMETRIC_DEFAULT");
        let rotation = if spec == "SYMMETRIC_DEFAULT" {
            match c.get_key_rotation_status().key_id(&id).send().await {
                Ok(r) => Some(r.key_rotation_enabled()),
                Err(e) => {
                    sink.warn(format!("GetKeyRotationStatus {id}"), describe(&e));
                    None
                }
            }
        } else {
            Some(false)
        };
        let policy = match c
            .get_key_policy()
            .key_id(&id)
            .policy_name("default")
            .send()
            .await
        {
            Ok(r) => r.policy().map(policy_string),
            Err(e) => {
                sink.warn(format!("GetKeyPolicy {id}"), describe(&e));
                None
            }
        };
        let mut attrs = json!({
            "id": id,
            "key_id": id,
            "arn": meta.arn(),
            "description": meta.description(),
            "customer_master_key_spec": spec,
            "key_usage": meta.key_usage().map(|u| u.as_str()),
            "is_enabled": meta.enabled(),
            "multi_region": meta.multi_region(),
            "region": region,
        });
        if let Some(m) = attrs.as_object_mut() {
            if let Some(r) = rotation {
                m.insert("enable_key_rotation".into(), json!(r));
            }
            if let Some(p) = policy {
                m.insert("policy".into(), p);
            }
        }
        out.push(live_resource("aws_kms_key", &id, attrs));
    }
    ServiceOut {
        service: "kms",
        resources: out,
        sink,
    }
}
