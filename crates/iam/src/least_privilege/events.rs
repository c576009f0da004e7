//! CloudTrail records → (principal, IAM action, resources). The mapping is AWS's own convention — the
//! event source's first label is the service prefix, the event name is the action — with the known
//! exceptions (CloudWatch's `monitoring`, Lambda's dated API names, S3 calls whose IAM action has another
//! name) spelled out.

use serde_json::Value as Json;

/// One authorised API call, reduced to what a policy needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    /// The calling identity: the IAM user, or the role behind an assumed-role session, or the root user.
    pub principal: String,
    /// `service:Action`.
    pub action: String,
    /// ARNs the call was on; empty when the record does not say.
    pub resources: Vec<String>,
    /// `eventTime`.
    pub time: String,
    /// The call was refused (AccessDenied, UnauthorizedOperation): attempted, not used.
    pub denied: bool,
}

/// Why a record gave no call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skip {
    /// Not an API call by an IAM identity (AWS service events, console sign-ins, anonymous calls).
    NotAnIdentityCall,
    /// Missing or wrongly typed fields.
    Malformed,
}

/// Service prefixes whose event source label differs from the IAM prefix.
const SOURCE_PREFIX: &[(&str, &str)] = &[
    ("monitoring", "cloudwatch"),
    ("email", "ses"),
    ("elasticmapreduce", "elasticmapreduce"),
    ("runtime.sagemaker", "sagemaker"),
    ("api.ecr", "ecr"),
    ("bedrock-runtime", "bedrock"),
];

/// (prefix, event name) whose IAM action has another name.
const RENAMED: &[(&str, &str, &str)] = &[
    ("s3", "ListObjects", "ListBucket"),
    ("s3", "ListObjectsV2", "ListBucket"),
    ("s3", "HeadBucket", "ListBucket"),
    ("s3", "HeadObject", "GetObject"),
    ("s3", "ListObjectVersions", "ListBucketVersions"),
    ("s3", "CopyObject", "PutObject"),
    ("s3", "DeleteObjects", "DeleteObject"),
    ("s3", "CreateMultipartUpload", "PutObject"),
    ("s3", "UploadPart", "PutObject"),
    ("s3", "UploadPartCopy", "PutObject"),
    ("s3", "CompleteMultipartUpload", "PutObject"),
    ("s3", "AbortMultipartUpload", "AbortMultipartUpload"),
    ("s3", "GetBucketEncryption", "GetEncryptionConfiguration"),
    ("s3", "PutBucketEncryption", "PutEncryptionConfiguration"),
    ("s3", "DeleteBucketEncryption", "PutEncryptionConfiguration"),
    (
        "s3",
        "GetBucketPublicAccessBlock",
        "GetBucketPublicAccessBlock",
    ),
    ("s3", "GetBucketLifecycle", "GetLifecycleConfiguration"),
    ("s3", "PutBucketLifecycle", "PutLifecycleConfiguration"),
    ("s3", "GetBucketReplication", "GetReplicationConfiguration"),
    ("s3", "ListBuckets", "ListAllMyBuckets"),
    ("lambda", "Invoke", "InvokeFunction"),
];

/// The service prefix of an event source (`s3.amazonaws.com` → `s3`).
pub fn service_prefix(event_source: &str) -> String {
    let label = event_source
        .strip_suffix(".amazonaws.com")
        .unwrap_or(event_source);
    SOURCE_PREFIX
        .iter()
        .find(|(s, _)| *s == label)
        .map_or_else(|| label.to_string(), |(_, p)| p.to_string())
}

/// Lambda's API names carry their version (`GetFunction20150331v2`, `Invoke`…): drop a trailing
/// 8-digit date and an optional `vN`.
fn strip_api_version(name: &str) -> &str {
    let base = match name.rfind('v') {
        Some(i) if i + 1 < name.len() && name[i + 1..].bytes().all(|b| b.is_ascii_digit()) => {
            &name[..i]
        }
        _ => name,
    };
    let n = base.len();
    if n > 8 && base[n - 8..].bytes().all(|b| b.is_ascii_digit()) {
        &base[..n - 8]
    } else {
        name
    }
}

/// The IAM action of an event (`s3.amazonaws.com`, `ListObjectsV2` → `s3:ListBucket`).
pub fn action_of(event_source: &str, event_name: &str) -> String {
    let prefix = service_prefix(event_source);
    let name = strip_api_version(event_name);
    let name = RENAMED
        .iter()
        .find(|(p, e, _)| *p == prefix && *e == name)
        .map_or(name, |(_, _, a)| a);
    format!("{prefix}:{name}")
}

/// The identity behind a record's `userIdentity`, or `None` for service and anonymous calls.
fn principal(ui: &Json) -> Option<String> {
    let kind = ui.get("type").and_then(Json::as_str)?;
    match kind {
        "IAMUser" | "Root" => ui.get("arn").and_then(Json::as_str).map(str::to_string),
        "AssumedRole" | "FederatedUser" => ui
            .pointer("/sessionContext/sessionIssuer/arn")
            .and_then(Json::as_str)
            .or_else(|| ui.get("arn").and_then(Json::as_str))
            .map(str::to_string),
        _ => None,
    }
}

/// Resource ARNs a record names: its `resources` list, else S3 bucket and key request parameters.
fn resources(r: &Json, action: &str) -> Vec<String> {
    let mut out: Vec<String> = r
        .get("resources")
        .and_then(Json::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|x| x.get("ARN").and_then(Json::as_str))
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    if out.is_empty() && action.starts_with("s3:") {
        let p = r.get("requestParameters");
        let bucket = p.and_then(|p| p.get("bucketName")).and_then(Json::as_str);
        let key = p.and_then(|p| p.get("key")).and_then(Json::as_str);
        match (bucket, key) {
            (Some(b), Some(k)) => out.push(format!("arn:aws:s3:::{b}/{k}")),
            (Some(b), None) => out.push(format!("arn:aws:s3:::{b}")),
            _ => {}
        }
    }
    // For object-level S3 actions the object ARN is the one the policy needs, not the bucket's.
    if action.starts_with("s3:") && out.iter().any(|a| a.contains('/')) {
        let object_level = ["Object", "MultipartUpload"]
            .iter()
            .any(|w| action.contains(w));
        out.retain(|a| a.contains('/') == object_level);
    }
    out.sort();
    out.dedup();
    out
}

/// The call a CloudTrail record describes.
pub fn call(r: &Json) -> Result<Call, Skip> {
    let source = r
        .get("eventSource")
        .and_then(Json::as_str)
        .ok_or(Skip::Malformed)?;
    let name = r
        .get("eventName")
        .and_then(Json::as_str)
        .ok_or(Skip::Malformed)?;
    if r.get("eventType").and_then(Json::as_str) == Some("AwsConsoleSignIn")
        || r.get("eventType").and_then(Json::as_str) == Some("AwsServiceEvent")
    {
        return Err(Skip::NotAnIdentityCall);
    }
    let principal = r
        .get("userIdentity")
        .and_then(principal)
        .ok_or(Skip::NotAnIdentityCall)?;
    let action = action_of(source, name);
    let denied = r
        .get("errorCode")
        .and_then(Json::as_str)
        .is_some_and(|c| c.contains("AccessDenied") || c.contains("UnauthorizedOperation"));
    Ok(Call {
        principal,
        resources: resources(r, &action),
        action,
        time: r
            .get("eventTime")
            .and_then(Json::as_str)
            .unwrap_or_default()
            .to_string(),
        denied,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn maps_sources_and_names_to_actions() {
        assert_eq!(
            action_of("s3.amazonaws.com", "ListObjectsV2"),
            "s3:ListBucket"
        );
        assert_eq!(
            action_of("lambda.amazonaws.com", "GetFunction20150331v2"),
            "lambda:GetFunction"
        );
        assert_eq!(
            action_of("lambda.amazonaws.com", "ListFunctions20150331"),
            "lambda:ListFunctions"
        );
        assert_eq!(
            action_of("monitoring.amazonaws.com", "PutMetricData"),
            "cloudwatch:PutMetricData"
        );
        assert_eq!(action_of("kms.amazonaws.com", "Decrypt"), "kms:Decrypt");
        assert_eq!(
            action_of("ec2.amazonaws.com", "DescribeInstances"),
            "ec2:DescribeInstances"
        );
    }

    #[test]
    fn role_sessions_count_for_their_role() {
        let r = json!({
            "eventSource": "s3.amazonaws.com", "eventName": "GetObject", "eventTime": "2026-11-01T10:00:00Z",
            "userIdentity": {"type": "AssumedRole", "arn": "arn:aws:sts::111122223333:assumed-role/app/i-1",
                "sessionContext": {"sessionIssuer": {"type": "Role", "arn": "arn:aws:iam::111122223333:role/app"}}},
            "requestParameters": {"bucketName": "data", "key": "a/b.csv"},
            "resources": [{"type": "AWS::S3::Object", "ARN": "arn:aws:s3:::data/a/b.csv"},
                          {"type": "AWS::S3::Bucket", "ARN": "arn:aws:s3:::data"}]
        });
        let c = call(&r).expect("call");
        assert_eq!(c.principal, "arn:aws:iam::111122223333:role/app");
        assert_eq!(c.resources, vec!["arn:aws:s3:::data/a/b.csv".to_string()]);
        assert!(!c.denied);
    }

    #[test]
    fn service_events_and_junk_are_skipped() {
        let svc = json!({"eventSource": "kms.amazonaws.com", "eventName": "RotateKey",
            "eventType": "AwsServiceEvent", "userIdentity": {"type": "AWSService"}});
        assert_eq!(call(&svc), Err(Skip::NotAnIdentityCall));
        assert_eq!(call(&json!({"eventName": 3})), Err(Skip::Malformed));
    }
}
