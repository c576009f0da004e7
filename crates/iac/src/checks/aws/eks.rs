//! EKS clusters.

use super::{Fact, bool_at, strs_at};
use crate::checks::Check;
use crate::resource::{Attr, Outcome, Resource, ResourceSet};
use serde_json::Value as Json;

fn public_endpoint(r: &Resource, _: &ResourceSet) -> Outcome {
    match bool_at(r, "vpc_config.endpoint_public_access").or_default(true) {
        Some(false) => Outcome::Pass,
        Some(true) => Outcome::fail("endpoint_public_access is true (the default)"),
        None => Outcome::unknown("vpc_config.endpoint_public_access"),
    }
}

fn public_cidrs(r: &Resource, _: &ResourceSet) -> Outcome {
    if bool_at(r, "vpc_config.endpoint_public_access") == Fact::Known(false) {
        return Outcome::Pass;
    }
    match strs_at(r, "vpc_config.public_access_cidrs") {
        Fact::Known(c) if c.contains(&"0.0.0.0/0") => {
            Outcome::fail("public_access_cidrs includes 0.0.0.0/0")
        }
        Fact::Known(_) => Outcome::Pass,
        Fact::Absent => {
            Outcome::fail("public endpoint open to 0.0.0.0/0 (default public_access_cidrs)")
        }
        Fact::Unknown => Outcome::unknown("vpc_config.public_access_cidrs"),
    }
}

fn secrets_encryption(r: &Resource, _: &ResourceSet) -> Outcome {
    match r.get("encryption_config") {
        Attr::Unknown => Outcome::unknown("encryption_config"),
        Attr::Known(Json::Array(a))
            if a.iter().any(|e| {
                e.get("resources").is_some_and(|v| {
                    v.as_array()
                        .is_some_and(|x| x.iter().any(|s| s == "secrets"))
                        || v.is_null()
                })
            }) =>
        {
            Outcome::Pass
        }
        _ => Outcome::fail("no encryption_config for secrets"),
    }
}

fn logging(r: &Resource, _: &ResourceSet) -> Outcome {
    const ALL: [&str; 5] = [
        "api",
        "audit",
        "authenticator",
        "controllerManager",
        "scheduler",
    ];
    match strs_at(r, "enabled_cluster_log_types") {
        Fact::Known(t) => {
            let missing: Vec<&str> = ALL.iter().filter(|x| !t.contains(x)).copied().collect();
            Outcome::check(
                missing.is_empty(),
                format!("log types not enabled: {}", missing.join(", ")),
            )
        }
        Fact::Absent => Outcome::fail("control plane logging disabled"),
        Fact::Unknown => Outcome::unknown("enabled_cluster_log_types"),
    }
}

const EKS: [&str; 1] = ["aws_eks_cluster"];
const CONSOLE: &str = "EKS > Clusters > cluster > Networking / Observability > Manage.";

pub const CHECKS: &[Check] = &[
    check!(
        "AWS-EKS-001",
        Medium,
        "EKS cluster API endpoint is public",
        "A public endpoint exposes the Kubernetes API server to the internet.",
        EKS,
        [],
        CONSOLE,
        "aws eks update-cluster-config --name CLUSTER --resources-vpc-config endpointPublicAccess=false,endpointPrivateAccess=true",
        "vpc_config { endpoint_public_access = false, endpoint_private_access = true }",
        public_endpoint
    ),
    check!(
        "AWS-EKS-002",
        High,
        "EKS public endpoint is open to 0.0.0.0/0",
        "If the endpoint must be public, restrict it to known CIDRs.",
        EKS,
        [],
        CONSOLE,
        "aws eks update-cluster-config --name CLUSTER --resources-vpc-config publicAccessCidrs=203.0.113.0/24",
        "vpc_config { public_access_cidrs = [\"203.0.113.0/24\"] }",
        public_cidrs
    ),
    check!(
        "AWS-EKS-003",
        Medium,
        "EKS secrets are not encrypted with a KMS key",
        "Envelope encryption of Kubernetes secrets with a customer managed key.",
        EKS,
        [],
        "EKS > cluster > Overview > Secrets encryption: Enable.",
        "aws eks associate-encryption-config --cluster-name CLUSTER --encryption-config resources=secrets,provider={keyArn=KEY}",
        "encryption_config { resources = [\"secrets\"], provider { key_arn = aws_kms_key.X.arn } }",
        secrets_encryption
    ),
    check!(
        "AWS-EKS-004",
        Medium,
        "EKS control plane logging is not enabled for all log types",
        "api, audit, authenticator, controllerManager and scheduler logs support investigations.",
        EKS,
        [],
        CONSOLE,
        "aws eks update-cluster-config --name CLUSTER --logging '{\"clusterLogging\":[{\"types\":[\"api\",\"audit\",\"authenticator\",\"controllerManager\",\"scheduler\"],\"enabled\":true}]}'",
        "enabled_cluster_log_types = [\"api\", \"audit\", \"authenticator\", \"controllerManager\", \"scheduler\"]",
        logging
    ),
];
