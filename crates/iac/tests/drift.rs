//! Drift is a diff of declared and live documents for the same resource.

use rampart_iac::{Origin, Resource, ResourceSet, SourceSpan, drift};
use serde_json::json;

fn res(t: &str, address: &str, attrs: serde_json::Value, origin: Origin) -> Resource {
    Resource {
        resource_type: t.into(),
        address: address.into(),
        name: address.into(),
        provider: "aws".into(),
        attributes: attrs,
        unknown: Default::default(),
        references: Default::default(),
        source: SourceSpan::default(),
        root: String::new(),
        module: String::new(),
        origin,
    }
}

#[test]
fn changed_declared_only_and_unmanaged_resources_are_reported() {
    let mut key = res(
        "aws_kms_key",
        "aws_kms_key.k",
        json!({"id": "k-1", "enable_key_rotation": true}),
        Origin::Terraform,
    );
    key.unknown.insert("policy".into());
    let declared = ResourceSet::new(vec![
        key,
        res(
            "aws_s3_bucket",
            "aws_s3_bucket.logs",
            json!({"bucket": "logs", "versioning": [{"enabled": true}]}),
            Origin::Terraform,
        ),
        res(
            "aws_s3_bucket",
            "aws_s3_bucket.gone",
            json!({"bucket": "gone"}),
            Origin::Terraform,
        ),
        res(
            "aws_instance",
            "aws_instance.web",
            json!({"ami": "ami-1"}),
            Origin::Terraform,
        ),
    ]);
    let live = ResourceSet::new(vec![
        res(
            "aws_kms_key",
            "arn:key/k-1",
            json!({"id": "k-1", "enable_key_rotation": false, "policy": "{}"}),
            Origin::Live,
        ),
        res(
            "aws_s3_bucket",
            "arn:aws:s3:::logs",
            json!({"bucket": "logs", "versioning": [{"enabled": "true"}], "acl": "private"}),
            Origin::Live,
        ),
        res(
            "aws_s3_bucket",
            "arn:aws:s3:::shadow",
            json!({"bucket": "shadow"}),
            Origin::Live,
        ),
    ]);
    let d = drift::diff(&declared, &live);
    assert_eq!(d.changed.len(), 1, "{d:?}");
    let (decl, live_addr, changes) = &d.changed[0];
    assert_eq!(
        (decl.as_str(), live_addr.as_str()),
        ("aws_kms_key.k", "arn:key/k-1")
    );
    assert_eq!(changes[0].path, "enable_key_rotation");
    assert_eq!(d.only_declared, vec!["aws_s3_bucket.gone".to_string()]);
    assert_eq!(d.only_live, vec!["arn:aws:s3:::shadow".to_string()]);
    assert_eq!(d.unmatched, vec!["aws_instance.web".to_string()]);
}
