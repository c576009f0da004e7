//! Safe remediations for live findings: a dry-run [`plan`] (which API call on which resource, with the
//! equivalent AWS CLI command) and [`apply`].
//!
//! Only changes that cannot break a working workload's data path are offered: they add protection (public
//! access block, default encryption, key rotation, EBS default encryption), restart audit logging, or
//! require IMDSv2 tokens (which breaks only IMDSv1-only clients; the plan says so). Anything else — ACL
//! rewrites, policy edits, re-encryption — stays a remediation text for a human.

use crate::aws::{AwsOptions, describe, sdk_config};
use crate::{CloudError, Inventory};
use rampart_core::Finding;
use rampart_iac::Resource;
use serde::Serialize;

/// Check ids [`plan`] can fix, with what the fix does.
pub const FIXABLE: &[(&str, &str)] = &[
    (
        "AWS-S3-003",
        "turn on all four S3 public access block settings of the bucket",
    ),
    (
        "AWS-S3-013",
        "turn on all four S3 public access block settings of the bucket",
    ),
    (
        "AWS-S3-004",
        "set bucket default encryption to SSE-S3 (AES256)",
    ),
    ("AWS-KMS-001", "enable yearly rotation of the KMS key"),
    ("AWS-CT-LIVE-001", "start logging on the trail"),
    (
        "AWS-EBS-002",
        "enable EBS encryption by default in the region",
    ),
    (
        "AWS-EC2-001",
        "require IMDSv2 session tokens on the instance",
    ),
];

/// What a fix changes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FixKind {
    /// `s3:PutPublicAccessBlock` with all four flags true.
    S3PublicAccessBlock { bucket: String },
    /// `s3:PutBucketEncryption` with SSE-S3.
    S3DefaultEncryption { bucket: String },
    /// `kms:EnableKeyRotation`.
    KmsRotation { key_id: String },
    /// `cloudtrail:StartLogging`.
    CloudTrailStartLogging { trail: String },
    /// `ec2:EnableEbsEncryptionByDefault` in the action's region.
    EbsDefaultEncryption,
    /// `ec2:ModifyInstanceMetadataOptions` with `HttpTokens=required`.
    ImdsV2 { instance_id: String },
}

/// One API call the fix makes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FixAction {
    /// The checks whose findings this call resolves.
    pub checks: Vec<String>,
    /// Resource addresses (finding subjects) it resolves.
    pub addresses: Vec<String>,
    /// Region the call goes to; `None` for S3 (the bucket's region is looked up when applying).
    pub region: Option<String>,
    pub kind: FixKind,
}

impl FixAction {
    /// The API operation, `service:Operation`.
    pub fn operation(&self) -> &'static str {
        match self.kind {
            FixKind::S3PublicAccessBlock { .. } => "s3:PutPublicAccessBlock",
            FixKind::S3DefaultEncryption { .. } => "s3:PutBucketEncryption",
            FixKind::KmsRotation { .. } => "kms:EnableKeyRotation",
            FixKind::CloudTrailStartLogging { .. } => "cloudtrail:StartLogging",
            FixKind::EbsDefaultEncryption => "ec2:EnableEbsEncryptionByDefault",
            FixKind::ImdsV2 { .. } => "ec2:ModifyInstanceMetadataOptions",
        }
    }

    /// The resource the call changes (bucket, key id, trail, region, instance id).
    pub fn target(&self) -> String {
        match &self.kind {
            FixKind::S3PublicAccessBlock { bucket } | FixKind::S3DefaultEncryption { bucket } => {
                bucket.clone()
            }
            FixKind::KmsRotation { key_id } => key_id.clone(),
            FixKind::CloudTrailStartLogging { trail } => trail.clone(),
            FixKind::EbsDefaultEncryption => self.region.clone().unwrap_or_default(),
            FixKind::ImdsV2 { instance_id } => instance_id.clone(),
        }
    }

    /// The equivalent AWS CLI command.
    pub fn cli(&self) -> String {
        let region = self
            .region
            .as_deref()
            .map(|r| format!(" --region {r}"))
            .unwrap_or_default();
        match &self.kind {
            FixKind::S3PublicAccessBlock { bucket } => format!(
                "aws s3api put-public-access-block --bucket {bucket} --public-access-block-configuration BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true"
            ),
            FixKind::S3DefaultEncryption { bucket } => format!(
                "aws s3api put-bucket-encryption --bucket {bucket} --server-side-encryption-configuration '{{\"Rules\":[{{\"ApplyServerSideEncryptionByDefault\":{{\"SSEAlgorithm\":\"AES256\"}}}}]}}'"
            ),
            FixKind::KmsRotation { key_id } => {
                format!("aws kms enable-key-rotation --key-id {key_id}{region}")
            }
            FixKind::CloudTrailStartLogging { trail } => {
                format!("aws cloudtrail start-logging --name {trail}{region}")
            }
            FixKind::EbsDefaultEncryption => {
                format!("aws ec2 enable-ebs-encryption-by-default{region}")
            }
            FixKind::ImdsV2 { instance_id } => format!(
                "aws ec2 modify-instance-metadata-options --instance-id {instance_id} --http-tokens required --http-endpoint enabled{region}"
            ),
        }
    }

    /// What to watch out for, when anything.
    pub fn caution(&self) -> Option<&'static str> {
        match self.kind {
            FixKind::ImdsV2 { .. } => Some(
                "software on the instance that reads metadata with IMDSv1 (no token) stops getting credentials",
            ),
            FixKind::S3PublicAccessBlock { .. } => {
                Some("public ACLs and public bucket policies on the bucket stop taking effect")
            }
            _ => None,
        }
    }
}

/// A finding that was asked for but has no safe automatic fix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NotFixable {
    pub check: String,
    pub address: String,
    pub reason: String,
}

/// The dry-run: what [`apply`] would do.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FixPlan {
    pub actions: Vec<FixAction>,
    pub not_fixable: Vec<NotFixable>,
}

/// The result of one applied action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FixResult {
    pub action: FixAction,
    /// `None` when the call succeeded, else the error as the SDK describes it.
    pub error: Option<String>,
}

/// Plans fixes for `findings` (from [`crate::scan`] on `inventory`) of the checks in `checks` (empty: every
/// fixable check). Findings of other checks are ignored; findings of requested checks that have no safe
/// fix, or whose resource is not in the inventory, are listed in [`FixPlan::not_fixable`]. Actions that
/// resolve several findings (S3-003 and S3-013 on one bucket) are merged.
pub fn plan(findings: &[Finding], inventory: &Inventory, checks: &[String]) -> FixPlan {
    let mut out = FixPlan::default();
    for f in findings {
        if f.suppressed.is_some() {
            continue;
        }
        if !checks.is_empty() && !checks.iter().any(|c| c == &f.rule_id) {
            continue;
        }
        let resource = inventory.resources.iter().find(|r| r.address == f.subject);
        let action = resource
            .ok_or_else(|| "the resource is not in the inventory".to_string())
            .and_then(|r| action_for(&f.rule_id, r));
        match action {
            Ok((region, kind)) => merge(&mut out.actions, &f.rule_id, &f.subject, region, kind),
            Err(reason) if !checks.is_empty() => out.not_fixable.push(NotFixable {
                check: f.rule_id.clone(),
                address: f.subject.clone(),
                reason,
            }),
            Err(_) => {}
        }
    }
    out
}

fn merge(
    actions: &mut Vec<FixAction>,
    check: &str,
    address: &str,
    region: Option<String>,
    kind: FixKind,
) {
    if let Some(a) = actions
        .iter_mut()
        .find(|a| a.kind == kind && a.region == region)
    {
        if !a.checks.iter().any(|c| c == check) {
            a.checks.push(check.to_string());
        }
        if !a.addresses.iter().any(|c| c == address) {
            a.addresses.push(address.to_string());
        }
        return;
    }
    actions.push(FixAction {
        checks: vec![check.to_string()],
        addresses: vec![address.to_string()],
        region,
        kind,
    });
}

fn attr(r: &Resource, key: &str) -> Result<String, String> {
    r.str(key)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .ok_or_else(|| format!("{} has no {key}", r.address))
}

/// The fix for a failed `check` on live resource `r`: (region, what to do), or why there is none.
fn action_for(check: &str, r: &Resource) -> Result<(Option<String>, FixKind), String> {
    let region = r.str("region").map(str::to_string);
    match check {
        "AWS-S3-003" | "AWS-S3-013" => Ok((
            None,
            FixKind::S3PublicAccessBlock {
                bucket: attr(r, "bucket")?,
            },
        )),
        "AWS-S3-004" => Ok((
            None,
            FixKind::S3DefaultEncryption {
                bucket: attr(r, "bucket")?,
            },
        )),
        "AWS-KMS-001" => Ok((
            region,
            FixKind::KmsRotation {
                key_id: attr(r, "key_id")?,
            },
        )),
        "AWS-CT-LIVE-001" => Ok((
            r.str("home_region").map(str::to_string),
            FixKind::CloudTrailStartLogging {
                trail: attr(r, "arn").or_else(|_| attr(r, "name"))?,
            },
        )),
        "AWS-EBS-002" => Ok((Some(attr(r, "region")?), FixKind::EbsDefaultEncryption)),
        "AWS-EC2-001" if r.resource_type == "aws_instance" => Ok((
            region,
            FixKind::ImdsV2 {
                instance_id: attr(r, "id")?,
            },
        )),
        "AWS-EC2-001" => Err(format!(
            "{} is a template: change it in code (metadata_options.http_tokens = \"required\")",
            r.resource_type
        )),
        other => Err(format!(
            "{other} has no safe automatic fix; see its remediation"
        )),
    }
}

/// Applies every action of `plan`, one call at a time; a failed call is reported in its [`FixResult`] and
/// the others still run.
pub async fn apply(o: &AwsOptions, plan: &FixPlan) -> Result<Vec<FixResult>, CloudError> {
    let home = sdk_config(o, None).await;
    let mut out = Vec::new();
    for a in &plan.actions {
        let conf = match &a.region {
            Some(r) if home.region().is_none_or(|h| h.as_ref() != r) => {
                sdk_config(o, Some(r.clone())).await
            }
            _ => home.clone(),
        };
        let error = run(&conf, o.endpoint_url.is_some(), a).await.err();
        out.push(FixResult {
            action: a.clone(),
            error,
        });
    }
    Ok(out)
}

/// [`apply`] on a runtime of its own.
pub fn apply_blocking(o: &AwsOptions, plan: &FixPlan) -> Result<Vec<FixResult>, CloudError> {
    crate::aws::runtime()?.block_on(apply(o, plan))
}

async fn run(conf: &aws_types::SdkConfig, path_style: bool, a: &FixAction) -> Result<(), String> {
    use aws_sdk_s3::types as s3t;
    match &a.kind {
        FixKind::S3PublicAccessBlock { bucket } => {
            let c = s3_client(conf, path_style, bucket).await;
            let cfg = s3t::PublicAccessBlockConfiguration::builder()
                .block_public_acls(true)
                .ignore_public_acls(true)
                .block_public_policy(true)
                .restrict_public_buckets(true)
                .build();
            c.put_public_access_block()
                .bucket(bucket)
                .public_access_block_configuration(cfg)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| describe(&e))
        }
        FixKind::S3DefaultEncryption { bucket } => {
            let c = s3_client(conf, path_style, bucket).await;
            let by_default = s3t::ServerSideEncryptionByDefault::builder()
                .sse_algorithm(s3t::ServerSideEncryption::Aes256)
                .build()
                .map_err(|e| e.to_string())?;
            let cfg = s3t::ServerSideEncryptionConfiguration::builder()
                .rules(
                    s3t::ServerSideEncryptionRule::builder()
                        .apply_server_side_encryption_by_default(by_default)
                        .build(),
                )
                .build()
                .map_err(|e| e.to_string())?;
            c.put_bucket_encryption()
                .bucket(bucket)
                .server_side_encryption_configuration(cfg)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| describe(&e))
        }
        FixKind::KmsRotation { key_id } => aws_sdk_kms::Client::new(conf)
            .enable_key_rotation()
            .key_id(key_id)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| describe(&e)),
        FixKind::CloudTrailStartLogging { trail } => aws_sdk_cloudtrail::Client::new(conf)
            .start_logging()
            .name(trail)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| describe(&e)),
        FixKind::EbsDefaultEncryption => aws_sdk_ec2::Client::new(conf)
            .enable_ebs_encryption_by_default()
            .send()
            .await
            .map(|_| ())
            .map_err(|e| describe(&e)),
        FixKind::ImdsV2 { instance_id } => aws_sdk_ec2::Client::new(conf)
            .modify_instance_metadata_options()
            .instance_id(instance_id)
            .http_tokens(aws_sdk_ec2::types::HttpTokensState::Required)
            .http_endpoint(aws_sdk_ec2::types::InstanceMetadataEndpointState::Enabled)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| describe(&e)),
    }
}

/// An S3 client in the bucket's region (GetBucketLocation; the configured region when it cannot be read).
async fn s3_client(
    conf: &aws_types::SdkConfig,
    path_style: bool,
    bucket: &str,
) -> aws_sdk_s3::Client {
    let base = aws_sdk_s3::config::Builder::from(conf).force_path_style(path_style);
    let probe = aws_sdk_s3::Client::from_conf(base.clone().build());
    let region = probe
        .get_bucket_location()
        .bucket(bucket)
        .send()
        .await
        .ok()
        .and_then(|l| l.location_constraint().map(|c| c.as_str().to_string()))
        .filter(|r| !r.is_empty());
    match region {
        // An empty or absent constraint is us-east-1; EU is the legacy name of eu-west-1.
        Some(r) => {
            let r = if r == "EU" {
                "eu-west-1".to_string()
            } else {
                r
            };
            aws_sdk_s3::Client::from_conf(base.region(aws_types::region::Region::new(r)).build())
        }
        None => probe,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live_resource;
    use serde_json::json;

    fn inventory() -> Inventory {
        Inventory {
            resources: vec![
                live_resource("aws_s3_bucket", "b", json!({"bucket": "b"})),
                live_resource(
                    "aws_kms_key",
                    "k1",
                    json!({"key_id": "k1", "region": "eu-west-1",
                    "customer_master_key_spec": "SYMMETRIC_DEFAULT", "policy": "{}"}),
                ),
                live_resource(
                    "aws_cloudtrail",
                    "t",
                    json!({"name": "t", "arn": "arn:aws:cloudtrail:us-east-1:1:trail/t",
                    "home_region": "us-east-1", "enable_logging": false}),
                ),
                live_resource(
                    "aws_ebs_encryption_by_default",
                    "us-east-1",
                    json!({"enabled": false, "region": "us-east-1"}),
                ),
                live_resource(
                    "aws_instance",
                    "i-1",
                    json!({"id": "i-1", "region": "us-east-1",
                    "metadata_options": [{"http_tokens": "optional"}]}),
                ),
            ],
            ..Inventory::default()
        }
    }

    #[test]
    fn plans_one_action_per_resource_and_merges_checks() {
        let inv = inventory();
        let findings = crate::scan(&inv, "aws:1", &[]).findings;
        let p = plan(&findings, &inv, &[]);
        let ops: Vec<(&str, String)> = p
            .actions
            .iter()
            .map(|a| (a.operation(), a.target()))
            .collect();
        for want in [
            ("s3:PutPublicAccessBlock", "b"),
            ("s3:PutBucketEncryption", "b"),
            ("kms:EnableKeyRotation", "k1"),
            (
                "cloudtrail:StartLogging",
                "arn:aws:cloudtrail:us-east-1:1:trail/t",
            ),
            ("ec2:EnableEbsEncryptionByDefault", "us-east-1"),
            ("ec2:ModifyInstanceMetadataOptions", "i-1"),
        ] {
            assert!(
                ops.contains(&(want.0, want.1.to_string())),
                "{want:?} not in {ops:?}"
            );
        }
        assert_eq!(ops.len(), 6, "{ops:?}");
        let kms = p
            .actions
            .iter()
            .find(|a| a.operation() == "kms:EnableKeyRotation");
        assert_eq!(
            kms.map(FixAction::cli).as_deref(),
            Some("aws kms enable-key-rotation --key-id k1 --region eu-west-1")
        );
        assert!(
            p.not_fixable.is_empty(),
            "unrequested checks are ignored silently"
        );
    }

    #[test]
    fn requested_checks_without_a_fix_are_explained() {
        let inv = inventory();
        let findings = crate::scan(&inv, "aws:1", &[]).findings;
        let wanted = vec!["AWS-KMS-001".to_string(), "AWS-S3-006".to_string()];
        let p = plan(&findings, &inv, &wanted);
        assert_eq!(p.actions.len(), 1);
        assert_eq!(p.actions[0].checks, vec!["AWS-KMS-001".to_string()]);
        assert!(p.not_fixable.iter().any(|n| n.check == "AWS-S3-006"
            && n.address == "aws_s3_bucket.b"
            && n.reason.contains("no safe automatic fix")));
    }

    #[test]
    fn every_fixable_check_exists() {
        for (id, _) in FIXABLE {
            assert!(
                rampart_iac::checks::by_id(id).is_some()
                    || crate::live_checks::CHECKS.iter().any(|c| c.id == *id),
                "{id}"
            );
        }
    }
}
