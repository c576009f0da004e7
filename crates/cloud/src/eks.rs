//! EKS: clusters (endpoint access and CIDRs, control plane logging, secrets encryption) as
//! `aws_eks_cluster`.

use crate::aws::{ServiceOut, Sink, describe};
use crate::doc::live_resource;
use aws_sdk_eks::Client;
use aws_types::SdkConfig;
use serde_json::json;

/// The resources an encryption config covers (`secrets`): deprecated in the API now that EKS encrypts all
/// API data by default, but it is what the Terraform model and the check read.
#[allow(deprecated)]
fn resources(e: &aws_sdk_eks::types::EncryptionConfig) -> &[String] {
    e.resources()
}

pub(crate) async fn collect(conf: &SdkConfig, region: &str) -> ServiceOut {
    let c = Client::new(conf);
    let mut sink = Sink::new("eks");
    let mut out = Vec::new();
    let names = paginate!(
        sink,
        format!("ListClusters {region} (no cluster could be read)"),
        c.list_clusters(),
        |p| p.clusters().to_vec()
    );
    for name in names {
        let cl = match c.describe_cluster().name(&name).send().await {
            Ok(r) => r.cluster().cloned(),
            Err(e) => {
                sink.warn(format!("DescribeCluster {name}"), describe(&e));
                None
            }
        };
        let Some(cl) = cl else { continue };
        let v = cl.resources_vpc_config();
        let logs: Vec<&str> = cl
            .logging()
            .map(|l| l.cluster_logging())
            .unwrap_or_default()
            .iter()
            .filter(|s| s.enabled() == Some(true))
            .flat_map(|s| s.types().iter().map(|t| t.as_str()))
            .collect();
        let enc: Vec<_> = cl
            .encryption_config()
            .iter()
            .map(|e| {
                json!({
                    "resources": resources(e),
                    "provider": [{ "key_arn": e.provider().and_then(|p| p.key_arn()) }],
                })
            })
            .collect();
        let attrs = json!({
            "name": name,
            "arn": cl.arn(),
            "version": cl.version(),
            "role_arn": cl.role_arn(),
            "vpc_config": [{
                "endpoint_public_access": v.map(|v| v.endpoint_public_access()),
                "endpoint_private_access": v.map(|v| v.endpoint_private_access()),
                "public_access_cidrs": v.map(|v| v.public_access_cidrs()).unwrap_or_default(),
                "subnet_ids": v.map(|v| v.subnet_ids()).unwrap_or_default(),
                "security_group_ids": v.map(|v| v.security_group_ids()).unwrap_or_default(),
            }],
            "enabled_cluster_log_types": logs,
            "encryption_config": enc,
            "region": region,
        });
        out.push(live_resource("aws_eks_cluster", &name, attrs));
    }
    ServiceOut {
        service: "eks",
        resources: out,
        sink,
    }
}
