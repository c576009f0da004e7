//! S3: buckets with ACL, policy, public access block (bucket and account), encryption, versioning,
//! logging and object lock, as `aws_s3_bucket` documents with inline blocks plus a separate
//! `aws_s3_bucket_public_access_block` per bucket.

use crate::aws::{ServiceOut, Sink, describe};
use crate::doc::{live_resource, policy_string};
use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_types::SdkConfig;
use serde_json::{Value as Json, json};

const ALL_USERS: &str = "http://acs.amazonaws.com/groups/global/AllUsers";
const AUTH_USERS: &str = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers";

/// Error codes that mean "not configured", not "could not read".
const ABSENT: &[&str] = &[
    "NoSuchBucketPolicy",
    "ServerSideEncryptionConfigurationNotFoundError",
    "NoSuchPublicAccessBlockConfiguration",
    "ObjectLockConfigurationNotFoundError",
];

fn absent<E: ProvideErrorMetadata>(e: &E) -> bool {
    e.code().is_some_and(|c| ABSENT.contains(&c))
}

pub(crate) async fn collect(conf: &SdkConfig, path_style: bool) -> ServiceOut {
    let s3conf = aws_sdk_s3::config::Builder::from(conf)
        .force_path_style(path_style)
        .build();
    let client = aws_sdk_s3::Client::from_conf(s3conf);
    let mut sink = Sink::new("s3");
    let mut resources = Vec::new();
    let mut names = Vec::new();
    let mut pages = client.list_buckets().into_paginator().send();
    while let Some(page) = pages.next().await {
        match page {
            Ok(p) => names.extend(
                p.buckets()
                    .iter()
                    .filter_map(|b| b.name().map(str::to_string)),
            ),
            Err(e) => {
                sink.warn("ListBuckets (no bucket could be read)", describe(&e));
                break;
            }
        }
    }
    for name in names {
        let (bucket, pab) = bucket(&client, &name, &mut sink).await;
        resources.push(bucket);
        if let Some(p) = pab {
            resources.push(p);
        }
    }
    ServiceOut {
        service: "s3",
        resources,
        sink,
    }
}

async fn bucket(
    c: &aws_sdk_s3::Client,
    name: &str,
    sink: &mut Sink,
) -> (rampart_iac::Resource, Option<rampart_iac::Resource>) {
    let mut a = json!({
        "bucket": name,
        "id": name,
        "arn": format!("arn:aws:s3:::{name}"),
    });
    let obj = a.as_object_mut();
    let Some(m) = obj else {
        return (live_resource("aws_s3_bucket", name, Json::Null), None);
    };
    match c.get_bucket_acl().bucket(name).send().await {
        Ok(acl) => {
            let mut public_read = false;
            let mut public_write = false;
            let mut auth_read = false;
            let mut grants = Vec::new();
            for g in acl.grants() {
                let uri = g.grantee().and_then(|x| x.uri()).unwrap_or_default();
                let perm = g.permission().map(|p| p.as_str()).unwrap_or_default();
                let id = g.grantee().and_then(|x| x.id()).unwrap_or_default();
                if uri == ALL_USERS {
                    public_read |= matches!(perm, "READ" | "FULL_CONTROL");
                    public_write |= matches!(perm, "WRITE" | "FULL_CONTROL");
                }
                if uri == AUTH_USERS {
                    auth_read = true;
                }
                grants.push(json!({
                    "permission": perm,
                    "grantee": [{
                        "type": g.grantee().map(|x| x.r#type().as_str()).unwrap_or_default(),
                        "uri": uri,
                        "id": id,
                    }],
                }));
            }
            let canned = if public_write {
                "public-read-write"
            } else if public_read {
                "public-read"
            } else if auth_read {
                "authenticated-read"
            } else {
                "private"
            };
            m.insert("acl".into(), json!(canned));
            m.insert("access_control_policy".into(), json!([{ "grant": grants }]));
        }
        Err(e) => sink.warn(format!("GetBucketAcl {name}"), describe(&e)),
    }
    match c.get_bucket_policy().bucket(name).send().await {
        Ok(p) => {
            if let Some(doc) = p.policy() {
                m.insert("policy".into(), policy_string(doc));
            }
        }
        Err(e) if absent(&e) => {}
        Err(e) => sink.warn(format!("GetBucketPolicy {name}"), describe(&e)),
    }
    match c.get_bucket_encryption().bucket(name).send().await {
        Ok(enc) => {
            let rules: Vec<Json> = enc
                .server_side_encryption_configuration()
                .map(|cfg| {
                    cfg.rules()
                        .iter()
                        .map(|r| {
                            let d = r.apply_server_side_encryption_by_default();
                            json!({
                                "apply_server_side_encryption_by_default": d.map(|d| vec![json!({
                                    "sse_algorithm": d.sse_algorithm().as_str(),
                                    "kms_master_key_id": d.kms_master_key_id(),
                                })]).unwrap_or_default(),
                                "bucket_key_enabled": r.bucket_key_enabled(),
                            })
                        })
                        .collect()
                })
                .unwrap_or_default();
            if !rules.is_empty() {
                m.insert(
                    "server_side_encryption_configuration".into(),
                    json!([{ "rule": rules }]),
                );
            }
        }
        Err(e) if absent(&e) => {}
        Err(e) => sink.warn(format!("GetBucketEncryption {name}"), describe(&e)),
    }
    match c.get_bucket_versioning().bucket(name).send().await {
        Ok(v) => {
            let enabled = v.status().is_some_and(|s| s.as_str() == "Enabled");
            let mfa = v.mfa_delete().is_some_and(|s| s.as_str() == "Enabled");
            m.insert(
                "versioning".into(),
                json!([{ "enabled": enabled, "mfa_delete": mfa }]),
            );
        }
        // moto answers an never-versioned bucket with an empty `GetBucketVersioningResponse` root the SDK
        // cannot parse; a 200 means the call succeeded and nothing is configured.
        Err(e) if e.raw_response().is_some_and(|r| r.status().as_u16() == 200) => {
            m.insert(
                "versioning".into(),
                json!([{ "enabled": false, "mfa_delete": false }]),
            );
        }
        Err(e) => sink.warn(format!("GetBucketVersioning {name}"), describe(&e)),
    }
    match c.get_bucket_logging().bucket(name).send().await {
        Ok(l) => {
            let blocks: Vec<Json> = l
                .logging_enabled()
                .map(|le| {
                    vec![json!({
                        "target_bucket": le.target_bucket(),
                        "target_prefix": le.target_prefix(),
                    })]
                })
                .unwrap_or_default();
            m.insert("logging".into(), Json::Array(blocks));
        }
        Err(e) => sink.warn(format!("GetBucketLogging {name}"), describe(&e)),
    }
    match c.get_object_lock_configuration().bucket(name).send().await {
        Ok(o) => {
            let on = o
                .object_lock_configuration()
                .and_then(|c| c.object_lock_enabled())
                .is_some_and(|s| s.as_str() == "Enabled");
            m.insert("object_lock_enabled".into(), json!(on));
        }
        Err(e) if absent(&e) => {
            m.insert("object_lock_enabled".into(), json!(false));
        }
        Err(e) => sink.warn(format!("GetObjectLockConfiguration {name}"), describe(&e)),
    }
    let pab = match c.get_public_access_block().bucket(name).send().await {
        Ok(p) => p.public_access_block_configuration().map(|cfg| {
            json!({
                "bucket": name,
                "block_public_acls": cfg.block_public_acls().unwrap_or(false),
                "block_public_policy": cfg.block_public_policy().unwrap_or(false),
                "ignore_public_acls": cfg.ignore_public_acls().unwrap_or(false),
                "restrict_public_buckets": cfg.restrict_public_buckets().unwrap_or(false),
            })
        }),
        Err(e) if absent(&e) => None,
        Err(e) => {
            sink.warn(format!("GetPublicAccessBlock {name}"), describe(&e));
            None
        }
    };
    (
        live_resource("aws_s3_bucket", name, a),
        pab.map(|p| live_resource("aws_s3_bucket_public_access_block", name, p)),
    )
}
