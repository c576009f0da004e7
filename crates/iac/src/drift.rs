//! Drift: declared (IaC) documents against live ones for the same resources. Only attributes the
//! declaration sets are compared (live documents carry every default), and declared-unknown paths are skipped.

use crate::resource::{Resource, ResourceSet};
use crate::value::join_path;
use serde::Serialize;
use serde_json::Value as Json;
use std::collections::{BTreeSet, HashMap};

/// The attribute that identifies a resource across IaC and the live account, per type.
pub fn identity(r: &Resource) -> Option<String> {
    let key = match r.resource_type.as_str() {
        "aws_s3_bucket"
        | "aws_s3_bucket_public_access_block"
        | "aws_s3_bucket_policy"
        | "aws_s3_bucket_acl"
        | "aws_s3_bucket_versioning"
        | "aws_s3_bucket_logging"
        | "aws_s3_bucket_server_side_encryption_configuration" => "bucket",
        "aws_iam_role"
        | "aws_iam_user"
        | "aws_iam_group"
        | "aws_iam_policy"
        | "aws_cloudtrail"
        | "aws_eks_cluster"
        | "aws_security_group"
        | "aws_launch_template" => "name",
        "aws_db_instance" => "identifier",
        "aws_lambda_function" => "function_name",
        "aws_kms_key" | "aws_ebs_volume" | "aws_instance" | "aws_vpc" => "id",
        _ => return None,
    };
    r.str(key).map(|v| format!("{}:{v}", r.resource_type))
}

/// One attribute that differs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    pub path: String,
    pub declared: Json,
    pub live: Option<Json>,
}

/// The differences between declared and live documents.
#[derive(Debug, Default, Serialize)]
pub struct DriftReport {
    /// (declared address, live address, changed attributes).
    pub changed: Vec<(String, String, Vec<Change>)>,
    /// Declared resources with no live counterpart.
    pub only_declared: Vec<String>,
    /// Live resources nothing declares (unmanaged).
    pub only_live: Vec<String>,
    /// Declared resources whose identity is unknown statically (cannot be matched).
    pub unmatched: Vec<String>,
}

/// Compares declared and live resource sets, matched by [`identity`].
pub fn diff(declared: &ResourceSet, live: &ResourceSet) -> DriftReport {
    let mut report = DriftReport::default();
    let mut live_by_id: HashMap<String, &Resource> = HashMap::new();
    for r in live.all() {
        if let Some(id) = identity(r) {
            live_by_id.insert(id, r);
        }
    }
    let mut matched = BTreeSet::new();
    for d in declared.all() {
        let Some(id) = identity(d) else {
            report.unmatched.push(d.address.clone());
            continue;
        };
        match live_by_id.get(&id) {
            Some(l) => {
                matched.insert(id);
                let mut changes = Vec::new();
                compare(&d.attributes, Some(&l.attributes), "", d, &mut changes, 0);
                if !changes.is_empty() {
                    report
                        .changed
                        .push((d.address.clone(), l.address.clone(), changes));
                }
            }
            None => report.only_declared.push(d.address.clone()),
        }
    }
    for r in live.all() {
        if identity(r).is_none_or(|id| !matched.contains(&id)) {
            report.only_live.push(r.address.clone());
        }
    }
    report
}

fn compare(
    d: &Json,
    l: Option<&Json>,
    path: &str,
    decl: &Resource,
    out: &mut Vec<Change>,
    depth: u32,
) {
    if depth > 32 || (!path.is_empty() && decl.unknown.contains(path)) {
        return;
    }
    match (d, l) {
        (Json::Null, _) => {}
        (Json::Object(dm), Some(Json::Object(lm))) => {
            for (k, v) in dm {
                compare(v, lm.get(k), &join_path(path, k), decl, out, depth + 1);
            }
        }
        (Json::Array(da), Some(Json::Array(la))) if da.len() == la.len() => {
            for (i, v) in da.iter().enumerate() {
                compare(
                    v,
                    la.get(i),
                    &join_path(path, &i.to_string()),
                    decl,
                    out,
                    depth + 1,
                );
            }
        }
        (d, Some(l)) if loosely_equal(d, l) => {}
        (d, l) => out.push(Change {
            path: path.to_string(),
            declared: d.clone(),
            live: l.cloned(),
        }),
    }
}

/// Equal, treating `"true"`/`true` and `"5"`/`5` alike (CloudFormation writes strings).
fn loosely_equal(a: &Json, b: &Json) -> bool {
    a == b
        || match (a, b) {
            (Json::String(s), other) | (other, Json::String(s)) => match other {
                Json::Bool(x) => s.eq_ignore_ascii_case(&x.to_string()),
                Json::Number(n) => s.parse::<f64>().ok() == n.as_f64(),
                _ => false,
            },
            _ => false,
        }
}
