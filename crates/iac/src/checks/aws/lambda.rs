//! Lambda functions and function URLs.

use super::{Fact, require_set, str_at};
use crate::checks::Check;
use crate::resource::{Attr, Outcome, Resource, ResourceSet};
use serde_json::Value as Json;

/// Runtimes past AWS's deprecation date.
pub const DEPRECATED_RUNTIMES: &[&str] = &[
    "python2.7",
    "python3.6",
    "python3.7",
    "python3.8",
    "nodejs",
    "nodejs4.3",
    "nodejs4.3-edge",
    "nodejs6.10",
    "nodejs8.10",
    "nodejs10.x",
    "nodejs12.x",
    "nodejs14.x",
    "nodejs16.x",
    "dotnetcore1.0",
    "dotnetcore2.0",
    "dotnetcore2.1",
    "dotnetcore3.1",
    "dotnet5.0",
    "dotnet6",
    "ruby2.5",
    "ruby2.7",
    "java8",
    "go1.x",
    "provided",
];

fn runtime(r: &Resource, _: &ResourceSet) -> Outcome {
    match str_at(r, "runtime") {
        Fact::Known(rt) if DEPRECATED_RUNTIMES.contains(&rt) => {
            Outcome::fail(format!("runtime {rt} is deprecated"))
        }
        Fact::Unknown => Outcome::unknown("runtime"),
        _ => Outcome::Pass,
    }
}

const SECRET_WORDS: &[&str] = &[
    "PASSWORD",
    "PASSWD",
    "SECRET",
    "TOKEN",
    "API_KEY",
    "APIKEY",
    "ACCESS_KEY",
    "PRIVATE_KEY",
    "CREDENTIAL",
];
const SECRET_PREFIXES: &[&str] = &["AKIA", "sk_live_", "ghp_", "xoxb-", "xoxp-", "-----BEGIN"];

fn env_secrets(r: &Resource, _: &ResourceSet) -> Outcome {
    let Attr::Known(Json::Object(vars)) = r.get("environment.variables") else {
        return Outcome::Pass;
    };
    for (k, v) in vars {
        let Some(v) = v.as_str() else { continue };
        let up = k.to_uppercase();
        let named =
            SECRET_WORDS.iter().any(|w| up.contains(w)) && !v.starts_with("arn:") && !v.is_empty();
        if named || SECRET_PREFIXES.iter().any(|p| v.starts_with(p)) {
            return Outcome::fail(format!(
                "environment variable {k} = {}",
                crate::dockerfile::mask(v)
            ));
        }
    }
    Outcome::Pass
}

fn url_auth(r: &Resource, _: &ResourceSet) -> Outcome {
    match str_at(r, "authorization_type") {
        Fact::Known("NONE") => Outcome::fail("authorization_type = \"NONE\""),
        Fact::Unknown => Outcome::unknown("authorization_type"),
        _ => Outcome::Pass,
    }
}

fn tracing(r: &Resource, _: &ResourceSet) -> Outcome {
    match str_at(r, "tracing_config.mode") {
        Fact::Known("Active") | Fact::Known("PassThrough") => Outcome::Pass,
        Fact::Unknown => Outcome::unknown("tracing_config.mode"),
        _ => Outcome::fail("X-Ray tracing not enabled"),
    }
}

fn env_kms(r: &Resource, _: &ResourceSet) -> Outcome {
    if r.get("environment.variables") == Attr::Absent {
        return Outcome::Pass;
    }
    require_set(
        r,
        "kms_key_arn",
        "environment variables without kms_key_arn",
    )
}

/// A permission for any principal (`*`) without a source ARN, source account or organization narrows
/// nothing: anyone may invoke (or, with `lambda:*`, change) the function. Function URL permissions are
/// judged by AWS-LAMBDA-003.
fn public_permission(r: &Resource, _: &ResourceSet) -> Outcome {
    match str_at(r, "principal") {
        Fact::Known("*") => {}
        Fact::Unknown => return Outcome::unknown("principal"),
        _ => return Outcome::Pass,
    }
    for narrowing in [
        "source_arn",
        "source_account",
        "principal_org_id",
        "function_url_auth_type",
    ] {
        match r.get(narrowing) {
            Attr::Known(Json::String(s)) if !s.is_empty() => return Outcome::Pass,
            Attr::Unknown => return Outcome::Pass,
            _ => {}
        }
    }
    Outcome::fail("principal \"*\" with no source_arn, source_account or principal_org_id")
}

const FN: [&str; 1] = ["aws_lambda_function"];
const CONSOLE: &str = "Lambda > Functions > function > Configuration.";

pub const CHECKS: &[Check] = &[
    check!(
        "AWS-LAMBDA-001",
        High,
        "Lambda function uses a deprecated runtime",
        "Deprecated runtimes get no security patches.",
        FN,
        [],
        "Lambda > function > Code > Runtime settings > Edit: choose a supported runtime.",
        "aws lambda update-function-configuration --function-name FN --runtime python3.12",
        "runtime = \"python3.12\" (or another supported runtime)",
        runtime
    ),
    check!(
        "AWS-LAMBDA-002",
        Critical,
        "Lambda function environment holds a secret",
        "Environment variables are visible to anyone with lambda:GetFunctionConfiguration.",
        FN,
        [],
        "Move the value to Secrets Manager or SSM Parameter Store and read it at start-up.",
        "aws lambda update-function-configuration --function-name FN --environment Variables={SECRET_ARN=…}",
        "Reference a secret ARN in environment.variables instead of the value.",
        env_secrets
    ),
    check!(
        "AWS-LAMBDA-003",
        High,
        "Lambda function URL has no authentication",
        "authorization_type NONE makes the function callable by anyone on the internet.",
        ["aws_lambda_function_url"],
        [],
        "Lambda > function > Configuration > Function URL > Edit: Auth type AWS_IAM.",
        "aws lambda update-function-url-config --function-name FN --auth-type AWS_IAM",
        "authorization_type = \"AWS_IAM\"",
        url_auth
    ),
    check!(
        "AWS-LAMBDA-004",
        Low,
        "Lambda function X-Ray tracing is disabled",
        "Tracing helps investigate unusual invocations.",
        FN,
        [],
        CONSOLE,
        "aws lambda update-function-configuration --function-name FN --tracing-config Mode=Active",
        "tracing_config { mode = \"Active\" }",
        tracing
    ),
    check!(
        "AWS-LAMBDA-005",
        Low,
        "Lambda function is not in a VPC",
        "Functions in a VPC reach private resources without public endpoints and are subject to security groups.",
        FN,
        [],
        CONSOLE,
        "aws lambda update-function-configuration --function-name FN --vpc-config SubnetIds=…,SecurityGroupIds=…",
        "vpc_config { subnet_ids = …, security_group_ids = … }",
        |r, _| require_set(r, "vpc_config", "no vpc_config")
    ),
    check!(
        "AWS-LAMBDA-006",
        Low,
        "Lambda function has no dead-letter queue",
        "Failed asynchronous events are lost without a DLQ.",
        FN,
        [],
        CONSOLE,
        "aws lambda update-function-configuration --function-name FN --dead-letter-config TargetArn=ARN",
        "dead_letter_config { target_arn = aws_sqs_queue.X.arn }",
        |r, _| require_set(r, "dead_letter_config", "no dead_letter_config")
    ),
    check!(
        "AWS-LAMBDA-007",
        Low,
        "Lambda function has no concurrency limit",
        "Reserved concurrency bounds cost and blast radius of a flood of invocations.",
        FN,
        [],
        CONSOLE,
        "aws lambda put-function-concurrency --function-name FN --reserved-concurrent-executions 10",
        "reserved_concurrent_executions = 10",
        |r, _| require_set(
            r,
            "reserved_concurrent_executions",
            "no reserved concurrency"
        )
    ),
    check!(
        "AWS-LAMBDA-008",
        Low,
        "Lambda environment variables are not encrypted with a customer managed key",
        "kms_key_arn protects environment variables with a key you control.",
        FN,
        [],
        CONSOLE,
        "aws lambda update-function-configuration --function-name FN --kms-key-arn KEY",
        "kms_key_arn = aws_kms_key.X.arn",
        env_kms
    ),
    check!(
        "AWS-LAMBDA-009",
        Low,
        "Lambda function does not validate code signing",
        "A code signing config rejects unsigned or tampered deployment packages.",
        FN,
        [],
        "Lambda > Code signing configurations: create one and attach it to the function.",
        "aws lambda put-function-code-signing-config --function-name FN --code-signing-config-arn ARN",
        "code_signing_config_arn = aws_lambda_code_signing_config.X.arn",
        |r, _| require_set(r, "code_signing_config_arn", "no code_signing_config_arn")
    ),
    check!(
        "AWS-LAMBDA-010",
        Critical,
        "Lambda function resource policy allows any principal",
        "A permission for principal \"*\" without a source condition lets any AWS account invoke the function.",
        ["aws_lambda_permission"],
        [],
        "Lambda > function > Configuration > Permissions > Resource-based policy: remove or narrow the statement.",
        "aws lambda remove-permission --function-name FN --statement-id SID",
        "Set principal to a specific account or service and add source_arn / source_account to aws_lambda_permission.",
        public_permission
    ),
];
