//! Lambda: functions (runtime, environment with secret-looking values masked, tracing, VPC, DLQ,
//! concurrency, KMS, code signing) as `aws_lambda_function`, function URLs as `aws_lambda_function_url`
//! and resource policy statements as `aws_lambda_permission`.

use crate::aws::{ServiceOut, Sink, describe};
use crate::doc::live_resource;
use aws_sdk_lambda::Client;
use aws_sdk_lambda::error::ProvideErrorMetadata;
use aws_types::SdkConfig;
use serde_json::{Map, Value as Json, json};

/// Prefixes the IaC check recognises as secrets; kept when masking so it still can.
const KEEP_PREFIXES: &[&str] = &["AKIA", "sk_live_", "ghp_", "xoxb-", "xoxp-", "-----BEGIN"];

/// Masks an environment value: references (`arn:…`) and empty values stay; a known secret prefix stays
/// and the rest becomes `*`; anything else keeps two characters. The secret never enters the document.
pub(crate) fn mask_env(v: &str) -> String {
    if v.is_empty() || v.starts_with("arn:") {
        return v.to_string();
    }
    let keep = KEEP_PREFIXES
        .iter()
        .find(|p| v.starts_with(*p))
        .map_or(2, |p| p.len());
    let shown: String = v.chars().take(keep).collect();
    let rest = v.chars().count().saturating_sub(keep).clamp(3, 12);
    format!("{shown}{}", "*".repeat(rest))
}

fn not_found<E: ProvideErrorMetadata>(e: &E) -> bool {
    e.code() == Some("ResourceNotFoundException")
}

pub(crate) async fn collect(conf: &SdkConfig, region: &str) -> ServiceOut {
    let c = Client::new(conf);
    let mut sink = Sink::new("lambda");
    let mut out = Vec::new();
    let fns = paginate!(
        sink,
        format!("ListFunctions {region} (no function could be read)"),
        c.list_functions(),
        |p| p.functions().to_vec()
    );
    for f in fns {
        let Some(name) = f.function_name() else {
            continue;
        };
        let vars: Map<String, Json> = f
            .environment()
            .and_then(|e| e.variables())
            .map(|v| {
                v.iter()
                    .map(|(k, v)| (k.clone(), json!(mask_env(v))))
                    .collect()
            })
            .unwrap_or_default();
        let mut attrs = json!({
            "function_name": name,
            "arn": f.function_arn(),
            "runtime": f.runtime().map(|r| r.as_str()),
            "role": f.role(),
            "handler": f.handler(),
            "kms_key_arn": f.kms_key_arn(),
            "tracing_config": [{ "mode": f.tracing_config().and_then(|t| t.mode()).map(|m| m.as_str()) }],
            "region": region,
        });
        let Some(m) = attrs.as_object_mut() else {
            continue;
        };
        if !vars.is_empty() {
            m.insert("environment".into(), json!([{ "variables": vars }]));
        }
        if let Some(v) = f.vpc_config().filter(|v| !v.subnet_ids().is_empty()) {
            m.insert(
                "vpc_config".into(),
                json!([{ "subnet_ids": v.subnet_ids(), "security_group_ids": v.security_group_ids() }]),
            );
        }
        if let Some(t) = f.dead_letter_config().and_then(|d| d.target_arn()) {
            m.insert("dead_letter_config".into(), json!([{ "target_arn": t }]));
        }
        let mut unknown = Vec::new();
        match c
            .get_function_concurrency()
            .function_name(name)
            .send()
            .await
        {
            Ok(r) => {
                if let Some(n) = r.reserved_concurrent_executions() {
                    m.insert("reserved_concurrent_executions".into(), json!(n));
                }
            }
            Err(e) => {
                sink.warn(format!("GetFunctionConcurrency {name}"), describe(&e));
                unknown.push("reserved_concurrent_executions");
            }
        }
        match c
            .get_function_code_signing_config()
            .function_name(name)
            .send()
            .await
        {
            Ok(r) => {
                let arn = r.code_signing_config_arn();
                if !arn.is_empty() {
                    m.insert("code_signing_config_arn".into(), json!(arn));
                }
            }
            Err(e) => {
                sink.warn(format!("GetFunctionCodeSigningConfig {name}"), describe(&e));
                unknown.push("code_signing_config_arn");
            }
        }
        let mut r = live_resource("aws_lambda_function", name, attrs);
        r.unknown.extend(unknown.into_iter().map(str::to_string));
        out.push(r);
        match c.get_function_url_config().function_name(name).send().await {
            Ok(u) => out.push(live_resource(
                "aws_lambda_function_url",
                name,
                json!({
                    "function_name": name,
                    "function_url": u.function_url(),
                    "authorization_type": u.auth_type().as_str(),
                    "region": region,
                }),
            )),
            Err(e) if not_found(&e) => {}
            Err(e) => sink.warn(format!("GetFunctionUrlConfig {name}"), describe(&e)),
        }
        match c.get_policy().function_name(name).send().await {
            Ok(p) => out.extend(permissions(name, region, p.policy().unwrap_or_default())),
            Err(e) if not_found(&e) => {}
            Err(e) => sink.warn(format!("GetPolicy {name}"), describe(&e)),
        }
    }
    ServiceOut {
        service: "lambda",
        resources: out,
        sink,
    }
}

/// One `aws_lambda_permission` per statement of a function's resource policy.
pub(crate) fn permissions(
    function: &str,
    region: &str,
    policy: &str,
) -> Vec<rampart_iac::Resource> {
    let Ok(doc) = serde_json::from_str::<Json>(policy) else {
        return Vec::new();
    };
    let stmts = match doc.get("Statement") {
        Some(Json::Array(a)) => a.clone(),
        Some(s @ Json::Object(_)) => vec![s.clone()],
        _ => Vec::new(),
    };
    let mut out = Vec::new();
    for (i, s) in stmts.iter().enumerate() {
        if s.get("Effect").and_then(Json::as_str) != Some("Allow") {
            continue;
        }
        let principal = match s.get("Principal") {
            Some(Json::String(p)) => p.clone(),
            Some(Json::Object(o)) => o
                .get("AWS")
                .or_else(|| o.get("Service"))
                .map(|v| match v {
                    Json::String(s) => s.clone(),
                    Json::Array(a) => a.first().and_then(Json::as_str).unwrap_or("").to_string(),
                    _ => String::new(),
                })
                .unwrap_or_default(),
            _ => String::new(),
        };
        let cond = s.get("Condition");
        let find = |op: &str, key: &str| {
            cond.and_then(|c| c.get(op))
                .and_then(|c| c.get(key))
                .and_then(|v| match v {
                    Json::String(s) => Some(s.clone()),
                    Json::Array(a) => a.first().and_then(Json::as_str).map(str::to_string),
                    _ => None,
                })
        };
        let sid = s
            .get("Sid")
            .and_then(Json::as_str)
            .map_or_else(|| format!("statement{i}"), str::to_string);
        let action = match s.get("Action") {
            Some(Json::String(a)) => a.clone(),
            Some(Json::Array(a)) => a
                .iter()
                .filter_map(Json::as_str)
                .collect::<Vec<_>>()
                .join(","),
            _ => String::new(),
        };
        out.push(live_resource(
            "aws_lambda_permission",
            &format!("{function}-{sid}"),
            json!({
                "statement_id": sid,
                "function_name": function,
                "action": action,
                "principal": principal,
                "source_arn": find("ArnLike", "AWS:SourceArn").or_else(|| find("ArnEquals", "AWS:SourceArn")),
                "source_account": find("StringEquals", "AWS:SourceAccount"),
                "principal_org_id": find("StringEquals", "aws:PrincipalOrgID"),
                "function_url_auth_type": find("StringEquals", "lambda:FunctionUrlAuthType"),
                "has_condition": cond.is_some_and(|c| c.as_object().is_some_and(|o| !o.is_empty())),
                "region": region,
            }),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_values_but_keeps_what_the_check_needs() {
        assert_eq!(mask_env("AKIAIOSFODNN7EXAMPLE"), "AKIA************");
        assert_eq!(mask_env("hunter2hunter2"), "hu************");
        assert_eq!(
            mask_env("arn:aws:secretsmanager:us-east-1:1:secret:x"),
            "arn:aws:secretsmanager:us-east-1:1:secret:x"
        );
        assert!(!mask_env("sk_live_abcdefghijkl").contains("abc"));
    }

    #[test]
    fn permissions_from_a_resource_policy() {
        let p = r#"{"Version":"2012-10-17","Statement":[
            {"Sid":"public","Effect":"Allow","Principal":"*","Action":"lambda:InvokeFunction","Resource":"arn"},
            {"Sid":"s3","Effect":"Allow","Principal":{"Service":"s3.amazonaws.com"},"Action":"lambda:InvokeFunction",
             "Condition":{"ArnLike":{"AWS:SourceArn":"arn:aws:s3:::b"}}}]}"#;
        let perms = permissions("f", "us-east-1", p);
        assert_eq!(perms.len(), 2);
        assert_eq!(perms[0].str("principal"), Some("*"));
        assert_eq!(perms[1].str("source_arn"), Some("arn:aws:s3:::b"));
        assert!(permissions("f", "r", "not json").is_empty());
    }
}
