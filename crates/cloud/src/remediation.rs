//! Remediation text made concrete for a live resource: the catalogue's placeholders (`BUCKET`, `KEY`,
//! `TRAIL`, `ID`, `DB`, `FN`, `CLUSTER`, `REGION`…) replaced with the resource's own names, so the AWS CLI
//! line of a live finding can be run as printed.

use rampart_iac::Resource;

/// (placeholder, attributes to take its value from, first present wins) for a resource type.
fn placeholders(resource_type: &str) -> &'static [(&'static str, &'static [&'static str])] {
    match resource_type {
        "aws_s3_bucket" => &[("BUCKET", &["bucket"])],
        "aws_s3_bucket_public_access_block" => &[("BUCKET", &["bucket"])],
        "aws_kms_key" => &[("KEY", &["key_id"]), ("REGION", &["region"])],
        "aws_cloudtrail" => &[
            ("TRAIL_BUCKET", &["s3_bucket_name"]),
            ("TRAIL", &["name"]),
            ("REGION", &["home_region"]),
        ],
        "aws_instance" => &[("ID", &["id"]), ("REGION", &["region"])],
        "aws_ebs_volume" | "aws_ebs_snapshot" | "aws_ami" => {
            &[("ID", &["id"]), ("REGION", &["region"])]
        }
        "aws_ebs_encryption_by_default" => &[("REGION", &["region"])],
        "aws_db_instance" => &[("DB", &["identifier"]), ("REGION", &["region"])],
        "aws_db_snapshot" => &[
            ("SNAP", &["db_snapshot_identifier"]),
            ("REGION", &["region"]),
        ],
        "aws_lambda_function" | "aws_lambda_function_url" => {
            &[("FN", &["function_name"]), ("REGION", &["region"])]
        }
        "aws_lambda_permission" => &[
            ("FN", &["function_name"]),
            ("SID", &["statement_id"]),
            ("REGION", &["region"]),
        ],
        "aws_s3_account_public_access_block" => &[("ACCOUNT", &["account_id"])],
        "aws_config_configuration_recorder" | "aws_config_configuration_recorder_status" => &[
            ("NAME", &["name"]),
            ("ROLE", &["role_arn"]),
            ("REGION", &["region"]),
        ],
        "aws_eks_cluster" => &[("CLUSTER", &["name"]), ("REGION", &["region"])],
        "aws_iam_user" => &[("USER", &["name"]), ("USERNAME", &["name"])],
        "aws_iam_role" => &[("ROLE_NAME", &["name"])],
        "aws_security_group" | "aws_default_security_group" => {
            &[("SG", &["id"]), ("GROUP", &["id"]), ("REGION", &["region"])]
        }
        "aws_cloudwatch_log_group" => &[("NAME", &["name"])],
        _ => &[],
    }
}

/// `text` with every placeholder of `r`'s type that stands alone (not part of a longer word) replaced.
pub fn specialise(text: &str, r: &Resource) -> String {
    let mut out = text.to_string();
    for (token, keys) in placeholders(&r.resource_type) {
        let Some(value) = keys.iter().find_map(|k| r.str(k)).filter(|v| !v.is_empty()) else {
            continue;
        };
        out = replace_word(&out, token, value);
    }
    out
}

fn is_word(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

/// Replaces `token` where it is not preceded or followed by a word character.
fn replace_word(text: &str, token: &str, value: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find(token) {
        let before = rest[..i].chars().next_back();
        let after = rest[i + token.len()..].chars().next();
        out.push_str(&rest[..i]);
        if before.is_some_and(is_word) || after.is_some_and(is_word) {
            out.push_str(token);
        } else {
            out.push_str(value);
        }
        rest = &rest[i + token.len()..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live_resource;
    use serde_json::json;

    #[test]
    fn fills_in_the_resource_names() {
        let b = live_resource("aws_s3_bucket", "logs", json!({"bucket": "logs"}));
        assert_eq!(
            specialise("aws s3api put-bucket-acl --bucket BUCKET --acl private", &b),
            "aws s3api put-bucket-acl --bucket logs --acl private"
        );
        let t = live_resource(
            "aws_cloudtrail",
            "t",
            json!({"name": "main", "s3_bucket_name": "trail-logs"}),
        );
        assert_eq!(
            specialise("--name TRAIL --bucket TRAIL_BUCKET --kms-key-id KEY", &t),
            "--name main --bucket trail-logs --kms-key-id KEY"
        );
    }

    #[test]
    fn leaves_longer_words_alone() {
        let k = live_resource("aws_kms_key", "k", json!({"key_id": "1234"}));
        assert_eq!(specialise("KEY_ID KEYS KEY", &k), "KEY_ID KEYS 1234");
    }
}
