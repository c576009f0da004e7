//! EC2: instances (IMDS settings), security groups and rules, EBS volumes, snapshots and their sharing,
//! EBS default encryption, VPCs and flow logs, network ACLs, public AMIs owned by the account; each
//! security group carries how many network interfaces use it (`network_interface_count`).

use crate::aws::{ServiceOut, Sink, describe};
use crate::doc::live_resource;
use aws_sdk_ec2::Client;
use aws_sdk_ec2::types::IpPermission;
use aws_types::SdkConfig;
use serde_json::{Value as Json, json};

pub(crate) async fn collect(conf: &SdkConfig, region: &str) -> ServiceOut {
    let c = Client::new(conf);
    let mut sink = Sink::new("ec2");
    let mut out = Vec::new();
    security_groups(&c, region, &mut sink, &mut out).await;
    instances(&c, region, &mut sink, &mut out).await;
    volumes(&c, region, &mut sink, &mut out).await;
    vpcs(&c, region, &mut sink, &mut out).await;
    network_acls(&c, region, &mut sink, &mut out).await;
    match c.get_ebs_encryption_by_default().send().await {
        Ok(r) => out.push(live_resource(
            "aws_ebs_encryption_by_default",
            region,
            json!({ "enabled": r.ebs_encryption_by_default().unwrap_or(false), "region": region }),
        )),
        Err(e) => sink.warn(format!("GetEbsEncryptionByDefault {region}"), describe(&e)),
    }
    ServiceOut {
        service: "ec2",
        resources: out,
        sink,
    }
}

fn rules(perms: &[IpPermission]) -> Vec<Json> {
    perms
        .iter()
        .map(|p| {
            let proto = p.ip_protocol().unwrap_or("-1");
            let all = proto == "-1";
            json!({
                "protocol": proto,
                "from_port": if all { Some(0) } else { p.from_port() },
                "to_port": if all { Some(0) } else { p.to_port() },
                "cidr_blocks": p.ip_ranges().iter().filter_map(|r| r.cidr_ip()).collect::<Vec<_>>(),
                "ipv6_cidr_blocks": p.ipv6_ranges().iter().filter_map(|r| r.cidr_ipv6()).collect::<Vec<_>>(),
                "security_groups": p.user_id_group_pairs().iter().filter_map(|g| g.group_id()).collect::<Vec<_>>(),
                "prefix_list_ids": p.prefix_list_ids().iter().filter_map(|g| g.prefix_list_id()).collect::<Vec<_>>(),
                "self": false,
                "description": p.ip_ranges().iter().find_map(|r| r.description()),
            })
        })
        .collect()
}

async fn security_groups(
    c: &Client,
    region: &str,
    sink: &mut Sink,
    out: &mut Vec<rampart_iac::Resource>,
) {
    let sgs = paginate!(
        sink,
        format!("DescribeSecurityGroups {region}"),
        c.describe_security_groups(),
        |p| p.security_groups().to_vec()
    );
    // Network interfaces per group (instances, load balancers, RDS, Lambda in a VPC, endpoints…);
    // unknown (null) when they could not be listed.
    let before = sink.warnings.len();
    let enis = paginate!(
        sink,
        format!("DescribeNetworkInterfaces {region} (security group use unknown)"),
        c.describe_network_interfaces(),
        |p| p.network_interfaces().to_vec()
    );
    let eni_count = (sink.warnings.len() == before).then(|| {
        let mut m = std::collections::HashMap::<String, usize>::new();
        for g in enis.iter().flat_map(|e| e.groups()) {
            if let Some(id) = g.group_id() {
                *m.entry(id.to_string()).or_default() += 1;
            }
        }
        m
    });
    for g in sgs {
        let Some(id) = g.group_id() else { continue };
        let name = g.group_name().unwrap_or_default();
        let t = if name == "default" {
            "aws_default_security_group"
        } else {
            "aws_security_group"
        };
        let attrs = json!({
            "id": id,
            "name": name,
            "description": g.description(),
            "vpc_id": g.vpc_id(),
            "owner_id": g.owner_id(),
            "region": region,
            "ingress": rules(g.ip_permissions()),
            "egress": rules(g.ip_permissions_egress()),
            "network_interface_count": eni_count.as_ref().map(|m| m.get(id).copied().unwrap_or(0)),
        });
        out.push(live_resource(t, id, attrs));
    }
}

async fn instances(
    c: &Client,
    region: &str,
    sink: &mut Sink,
    out: &mut Vec<rampart_iac::Resource>,
) {
    let reservations = paginate!(
        sink,
        format!("DescribeInstances {region}"),
        c.describe_instances(),
        |p| p.reservations().to_vec()
    );
    for i in reservations.iter().flat_map(|r| r.instances()) {
        let Some(id) = i.instance_id() else { continue };
        let md = i.metadata_options();
        let attrs = json!({
            "id": id,
            "arn": format!("arn:aws:ec2:{region}::instance/{id}"),
            "instance_type": i.instance_type().map(|t| t.as_str()),
            "ami": i.image_id(),
            "subnet_id": i.subnet_id(),
            "vpc_security_group_ids": i.security_groups().iter().filter_map(|g| g.group_id()).collect::<Vec<_>>(),
            "associate_public_ip_address": i.public_ip_address().is_some(),
            "public_ip": i.public_ip_address(),
            "iam_instance_profile": i.iam_instance_profile().and_then(|p| p.arn()),
            "monitoring": i.monitoring().and_then(|m| m.state()).is_some_and(|s| s.as_str() == "enabled"),
            "ebs_optimized": i.ebs_optimized().unwrap_or(false),
            "metadata_options": [{
                "http_tokens": md.and_then(|m| m.http_tokens()).map(|t| t.as_str()),
                "http_endpoint": md.and_then(|m| m.http_endpoint()).map(|t| t.as_str()),
                "http_put_response_hop_limit": md.and_then(|m| m.http_put_response_hop_limit()),
            }],
            "region": region,
        });
        out.push(live_resource("aws_instance", id, attrs));
    }
}

async fn volumes(c: &Client, region: &str, sink: &mut Sink, out: &mut Vec<rampart_iac::Resource>) {
    let vols = paginate!(
        sink,
        format!("DescribeVolumes {region}"),
        c.describe_volumes(),
        |p| p.volumes().to_vec()
    );
    for v in vols {
        let Some(id) = v.volume_id() else { continue };
        let attrs = json!({
            "id": id,
            "encrypted": v.encrypted().unwrap_or(false),
            "kms_key_id": v.kms_key_id(),
            "size": v.size(),
            "snapshot_id": v.snapshot_id(),
            "availability_zone": v.availability_zone(),
            "region": region,
        });
        out.push(live_resource("aws_ebs_volume", id, attrs));
    }
    let snaps = paginate!(
        sink,
        format!("DescribeSnapshots {region}"),
        c.describe_snapshots().owner_ids("self"),
        |p| p.snapshots().to_vec()
    );
    for s in snaps {
        let Some(id) = s.snapshot_id() else { continue };
        let mut public = false;
        let mut shared = Vec::new();
        match c
            .describe_snapshot_attribute()
            .snapshot_id(id)
            .attribute(aws_sdk_ec2::types::SnapshotAttributeName::CreateVolumePermission)
            .send()
            .await
        {
            Ok(a) => {
                for p in a.create_volume_permissions() {
                    if p.group().is_some_and(|g| g.as_str() == "all") {
                        public = true;
                    }
                    if let Some(u) = p.user_id() {
                        shared.push(u.to_string());
                    }
                }
            }
            Err(e) => sink.warn(format!("DescribeSnapshotAttribute {id}"), describe(&e)),
        }
        let attrs = json!({
            "id": id,
            "volume_id": s.volume_id(),
            "encrypted": s.encrypted().unwrap_or(false),
            "kms_key_id": s.kms_key_id(),
            "public": public,
            "shared_with_accounts": shared,
            "region": region,
        });
        out.push(live_resource("aws_ebs_snapshot", id, attrs));
    }
    let images = paginate!(
        sink,
        format!("DescribeImages Owners=self {region}"),
        c.describe_images().owners("self"),
        |p| p.images().to_vec()
    );
    for i in images {
        let Some(id) = i.image_id() else { continue };
        let attrs = json!({
            "id": id,
            "name": i.name(),
            "public": i.public().unwrap_or(false),
            "region": region,
        });
        out.push(live_resource("aws_ami", id, attrs));
    }
}

async fn vpcs(c: &Client, region: &str, sink: &mut Sink, out: &mut Vec<rampart_iac::Resource>) {
    let vpcs = paginate!(
        sink,
        format!("DescribeVpcs {region}"),
        c.describe_vpcs(),
        |p| p.vpcs().to_vec()
    );
    for v in vpcs {
        let Some(id) = v.vpc_id() else { continue };
        let attrs = json!({
            "id": id,
            "cidr_block": v.cidr_block(),
            "default": v.is_default().unwrap_or(false),
            "owner_id": v.owner_id(),
            "region": region,
        });
        out.push(live_resource("aws_vpc", id, attrs));
    }
    let logs = paginate!(
        sink,
        format!("DescribeFlowLogs {region}"),
        c.describe_flow_logs(),
        |p| p.flow_logs().to_vec()
    );
    for f in logs {
        let Some(id) = f.flow_log_id() else { continue };
        let rid = f.resource_id().unwrap_or_default();
        let mut attrs = json!({
            "id": id,
            "traffic_type": f.traffic_type().map(|t| t.as_str()),
            "log_destination": f.log_destination(),
        });
        if let Some(m) = attrs.as_object_mut() {
            let key = if rid.starts_with("vpc-") {
                "vpc_id"
            } else if rid.starts_with("subnet-") {
                "subnet_id"
            } else {
                "eni_id"
            };
            m.insert(key.into(), json!(rid));
        }
        out.push(live_resource("aws_flow_log", id, attrs));
    }
}

async fn network_acls(
    c: &Client,
    region: &str,
    sink: &mut Sink,
    out: &mut Vec<rampart_iac::Resource>,
) {
    let acls = paginate!(
        sink,
        format!("DescribeNetworkAcls {region}"),
        c.describe_network_acls(),
        |p| p.network_acls().to_vec()
    );
    for a in acls {
        let Some(id) = a.network_acl_id() else {
            continue;
        };
        let entry = |e: &aws_sdk_ec2::types::NetworkAclEntry| {
            json!({
                "rule_no": e.rule_number(),
                "protocol": e.protocol(),
                "action": e.rule_action().map(|r| r.as_str()),
                "cidr_block": e.cidr_block(),
                "ipv6_cidr_block": e.ipv6_cidr_block(),
                "from_port": e.port_range().and_then(|p| p.from()).unwrap_or(0),
                "to_port": e.port_range().and_then(|p| p.to()).unwrap_or(0),
            })
        };
        let ingress: Vec<Json> = a
            .entries()
            .iter()
            .filter(|e| e.egress() == Some(false))
            .map(entry)
            .collect();
        let egress: Vec<Json> = a
            .entries()
            .iter()
            .filter(|e| e.egress() == Some(true))
            .map(entry)
            .collect();
        let attrs = json!({
            "id": id,
            "vpc_id": a.vpc_id(),
            "default": a.is_default().unwrap_or(false),
            "subnet_ids": a.associations().iter().filter_map(|x| x.subnet_id()).collect::<Vec<_>>(),
            "ingress": ingress,
            "egress": egress,
        });
        out.push(live_resource("aws_network_acl", id, attrs));
    }
}
