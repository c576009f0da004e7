//! AWS Organizations: service control policies with their documents, as `aws_organizations_policy`, when
//! the account may read them (the management account or a delegated administrator). An account outside
//! an organization has none; AccessDenied is a warning like any other unreadable call.

use crate::aws::{ServiceOut, Sink, describe};
use crate::doc::{live_resource, policy_string};
use aws_sdk_organizations::Client;
use aws_sdk_organizations::error::ProvideErrorMetadata;
use aws_sdk_organizations::types::PolicyType;
use aws_types::SdkConfig;
use serde_json::json;

pub(crate) async fn collect(conf: &SdkConfig) -> ServiceOut {
    let c = Client::new(conf);
    let mut sink = Sink::new("organizations");
    let mut out = Vec::new();
    let mut summaries = Vec::new();
    let mut pages = c
        .list_policies()
        .filter(PolicyType::ServiceControlPolicy)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        match page {
            Ok(p) => summaries.extend(p.policies().iter().cloned()),
            Err(e) if e.code() == Some("AWSOrganizationsNotInUseException") => break,
            Err(e) => {
                sink.warn(
                    "ListPolicies SERVICE_CONTROL_POLICY (SCPs could not be read)",
                    describe(&e),
                );
                break;
            }
        }
    }
    for s in summaries {
        let Some(id) = s.id() else { continue };
        let content = match c.describe_policy().policy_id(id).send().await {
            Ok(r) => r.policy().and_then(|p| p.content()).map(policy_string),
            Err(e) => {
                sink.warn(format!("DescribePolicy {id}"), describe(&e));
                None
            }
        };
        out.push(live_resource(
            "aws_organizations_policy",
            id,
            json!({
                "id": id,
                "name": s.name(),
                "arn": s.arn(),
                "type": "SERVICE_CONTROL_POLICY",
                "aws_managed": s.aws_managed(),
                "content": content,
            }),
        ));
    }
    ServiceOut {
        service: "organizations",
        resources: out,
        sink,
    }
}
