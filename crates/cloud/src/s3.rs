//! S3: buckets with ACL, policy, public access block (bucket and account), encryption, versioning,
//! logging and object lock, as `aws_s3_bucket` documents with inline blocks plus a separate
//! `aws_s3_bucket_public_access_block` and `aws_s3_bucket_ownership_controls` per bucket, and the
//! account's own public access block.

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
    "OwnershipControlsNotFoundError",
];

fn absent<E: ProvideErrorMetadata>(e: &E) -> bool {
    e.code().is_some_and(|c| ABSENT.contains(&c))
}

pub(crate) async fn collect(conf: &SdkConfig, endpoint: Option<&str>) -> ServiceOut {
    let s3conf = aws_sdk_s3::config::Builder::from(conf)
        .force_path_style(endpoint.is_some())
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
        let (bucket, related) = bucket(&client, &name, &mut sink).await;
        resources.push(bucket);
        resources.extend(related);
    }
    if let Some(r) = account_public_access_block(conf, endpoint, &mut sink).await {
        resources.push(r);
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
) -> (rampart_iac::Resource, Vec<rampart_iac::Resource>) {
    let mut a = json!({
        "bucket": name,
        "id": name,
        "arn": format!("arn:aws:s3:::{name}"),
    });
    let obj = a.as_object_mut();
    let Some(m) = obj else {
        return (live_resource("aws_s3_bucket", name, Json::Null), Vec::new());
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
    let ownership = match c.get_bucket_ownership_controls().bucket(name).send().await {
        Ok(o) => o
            .ownership_controls()
            .and_then(|oc| oc.rules().first())
            .map(|r| r.object_ownership().as_str().to_string()),
        Err(e) if absent(&e) => None,
        Err(e) => {
            sink.warn(format!("GetBucketOwnershipControls {name}"), describe(&e));
            None
        }
    };
    let mut related: Vec<_> = pab
        .map(|p| live_resource("aws_s3_bucket_public_access_block", name, p))
        .into_iter()
        .collect();
    if let Some(o) = ownership {
        related.push(live_resource(
            "aws_s3_bucket_ownership_controls",
            name,
            json!({ "bucket": name, "rule": [{ "object_ownership": o }] }),
        ));
    }
    (live_resource("aws_s3_bucket", name, a), related)
}

/// The account's own S3 public access block (s3control), as `aws_s3_account_public_access_block`; an account
/// without one gets every flag false.
async fn account_public_access_block(
    conf: &SdkConfig,
    endpoint: Option<&str>,
    sink: &mut Sink,
) -> Option<rampart_iac::Resource> {
    let account = match aws_sdk_sts::Client::new(conf)
        .get_caller_identity()
        .send()
        .await
    {
        Ok(r) => r.account()?.to_string(),
        Err(e) => {
            sink.warn(
                "GetCallerIdentity (account public access block not read)",
                describe(&e),
            );
            return None;
        }
    };
    let mut b = aws_sdk_s3control::config::Builder::from(conf);
    if let Some(url) = endpoint {
        // The SDK prefixes the account id to the host (`123456789012.s3-control…`), which a local test
        // endpoint cannot resolve; send the requests to the endpoint as given.
        b = b.endpoint_resolver(FixedEndpoint(url.to_string()));
    }
    let c = aws_sdk_s3control::Client::from_conf(b.build());
    let flags = match c
        .get_public_access_block()
        .account_id(&account)
        .send()
        .await
    {
        Ok(r) => r.public_access_block_configuration().map(|cfg| {
            [
                cfg.block_public_acls(),
                cfg.block_public_policy(),
                cfg.ignore_public_acls(),
                cfg.restrict_public_buckets(),
            ]
            .map(|f| f.unwrap_or(false))
        }),
        Err(e) if absent(&e) => Some([false; 4]),
        Err(e) => {
            sink.warn(
                format!("GetPublicAccessBlock account {account}"),
                describe(&e),
            );
            None
        }
    }?;
    Some(live_resource(
        "aws_s3_account_public_access_block",
        &account,
        json!({
            "account_id": account,
            "block_public_acls": flags[0],
            "block_public_policy": flags[1],
            "ignore_public_acls": flags[2],
            "restrict_public_buckets": flags[3],
        }),
    ))
}

/// An endpoint resolver that always answers the configured URL.
#[derive(Debug)]
struct FixedEndpoint(String);

impl aws_sdk_s3control::config::endpoint::ResolveEndpoint for FixedEndpoint {
    fn resolve_endpoint<'a>(
        &'a self,
        _: &'a aws_sdk_s3control::config::endpoint::Params,
    ) -> aws_sdk_s3control::config::endpoint::EndpointFuture<'a> {
        aws_sdk_s3control::config::endpoint::EndpointFuture::ready(Ok(
            aws_sdk_s3control::config::endpoint::Endpoint::builder()
                .url(self.0.clone())
                .build(),
        ))
    }
}
