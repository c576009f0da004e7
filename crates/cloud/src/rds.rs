//! RDS: DB instances (public access, encryption, backups, protection, monitoring, log exports) as
//! `aws_db_instance`, and manual snapshots with their sharing as `aws_db_snapshot` (`shared_accounts`
//! holds `all` when the snapshot is public).

use crate::aws::{ServiceOut, Sink, describe};
use crate::doc::live_resource;
use aws_sdk_rds::Client;
use aws_types::SdkConfig;
use serde_json::json;

pub(crate) async fn collect(conf: &SdkConfig, region: &str) -> ServiceOut {
    let c = Client::new(conf);
    let mut sink = Sink::new("rds");
    let mut out = Vec::new();
    let dbs = paginate!(
        sink,
        format!("DescribeDBInstances {region} (no DB instance could be read)"),
        c.describe_db_instances(),
        |p| p.db_instances().to_vec()
    );
    for d in dbs {
        let Some(id) = d.db_instance_identifier() else {
            continue;
        };
        let mut attrs = json!({
            "identifier": id,
            "arn": d.db_instance_arn(),
            "engine": d.engine(),
            "engine_version": d.engine_version(),
            "instance_class": d.db_instance_class(),
            "publicly_accessible": d.publicly_accessible().unwrap_or(false),
            "storage_encrypted": d.storage_encrypted().unwrap_or(false),
            "kms_key_id": d.kms_key_id(),
            "backup_retention_period": d.backup_retention_period().unwrap_or(0),
            "deletion_protection": d.deletion_protection().unwrap_or(false),
            "auto_minor_version_upgrade": d.auto_minor_version_upgrade().unwrap_or(false),
            "iam_database_authentication_enabled": d.iam_database_authentication_enabled().unwrap_or(false),
            "multi_az": d.multi_az().unwrap_or(false),
            "monitoring_interval": d.monitoring_interval().unwrap_or(0),
            "enabled_cloudwatch_logs_exports": d.enabled_cloudwatch_logs_exports(),
            "copy_tags_to_snapshot": d.copy_tags_to_snapshot().unwrap_or(false),
            "performance_insights_enabled": d.performance_insights_enabled().unwrap_or(false),
            "parameter_group_name": d.db_parameter_groups().first().and_then(|p| p.db_parameter_group_name()),
            "vpc_security_group_ids": d.vpc_security_groups().iter().filter_map(|g| g.vpc_security_group_id()).collect::<Vec<_>>(),
            "region": region,
        });
        if let (Some(m), Some(cl)) = (attrs.as_object_mut(), d.db_cluster_identifier()) {
            m.insert("cluster_identifier".into(), json!(cl));
        }
        out.push(live_resource("aws_db_instance", id, attrs));
    }
    let snaps = paginate!(
        sink,
        format!("DescribeDBSnapshots {region}"),
        c.describe_db_snapshots().snapshot_type("manual"),
        |p| p.db_snapshots().to_vec()
    );
    for s in snaps {
        let Some(id) = s.db_snapshot_identifier() else {
            continue;
        };
        let shared = match c
            .describe_db_snapshot_attributes()
            .db_snapshot_identifier(id)
            .send()
            .await
        {
            Ok(r) => Some(
                r.db_snapshot_attributes_result()
                    .map(|a| a.db_snapshot_attributes())
                    .unwrap_or_default()
                    .iter()
                    .filter(|a| a.attribute_name() == Some("restore"))
                    .flat_map(|a| a.attribute_values().iter().cloned())
                    .collect::<Vec<_>>(),
            ),
            Err(e) => {
                sink.warn(format!("DescribeDBSnapshotAttributes {id}"), describe(&e));
                None
            }
        };
        let mut r = live_resource(
            "aws_db_snapshot",
            id,
            json!({
                "db_snapshot_identifier": id,
                "db_snapshot_arn": s.db_snapshot_arn(),
                "db_instance_identifier": s.db_instance_identifier(),
                "encrypted": s.encrypted().unwrap_or(false),
                "kms_key_id": s.kms_key_id(),
                "shared_accounts": shared.clone(),
                "region": region,
            }),
        );
        if shared.is_none() {
            r.unknown.insert("shared_accounts".into());
        }
        out.push(r);
    }
    ServiceOut {
        service: "rds",
        resources: out,
        sink,
    }
}
