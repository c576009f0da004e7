//! Network ACLs (CIS 5.1): no ingress from the internet to remote administration ports.

use super::{Fact, as_num, bool_at};
use crate::checks::Check;
use crate::resource::{Attr, Outcome, Resource, ResourceSet};
use serde_json::Value as Json;

/// Whether one allow entry lets 0.0.0.0/0 or ::/0 reach port 22 or 3389. `None` when a needed part is unknown.
fn entry_open(e: &Json, action_key: &str) -> Option<Option<u16>> {
    let action = e.get(action_key).and_then(Json::as_str)?;
    if !action.eq_ignore_ascii_case("allow") {
        return Some(None);
    }
    let world = ["cidr_block", "ipv6_cidr_block"]
        .iter()
        .any(|k| matches!(e.get(*k).and_then(Json::as_str), Some("0.0.0.0/0" | "::/0")));
    if !world {
        return Some(None);
    }
    let proto = match e.get("protocol")? {
        Json::String(s) => s.to_lowercase(),
        other => other.to_string(),
    };
    if proto == "-1" || proto == "all" {
        return Some(Some(22));
    }
    if proto != "tcp" && proto != "6" {
        return Some(None);
    }
    let (from, to) = (
        e.get("from_port").and_then(as_num)?,
        e.get("to_port").and_then(as_num)?,
    );
    Some(
        [22u16, 3389]
            .into_iter()
            .find(|p| from <= *p as f64 && *p as f64 <= to),
    )
}

fn admin_ports(r: &Resource, _: &ResourceSet) -> Outcome {
    let entries: Vec<&Json> = match r.resource_type.as_str() {
        "aws_network_acl" => match r.get("ingress") {
            Attr::Known(Json::Array(a)) => a.iter().collect(),
            Attr::Unknown => return Outcome::unknown("ingress"),
            _ => Vec::new(),
        },
        _ => match bool_at(r, "egress") {
            Fact::Known(true) => return Outcome::Pass,
            Fact::Unknown => return Outcome::unknown("egress"),
            _ => vec![&r.attributes],
        },
    };
    let action_key = if r.resource_type == "aws_network_acl" {
        "action"
    } else {
        "rule_action"
    };
    let mut unknown = false;
    for e in entries {
        match entry_open(e, action_key) {
            Some(Some(p)) => {
                return Outcome::fail(format!("allows ingress from the internet to port {p}"));
            }
            None => unknown = true,
            _ => {}
        }
    }
    if unknown {
        Outcome::unknown("network ACL entry")
    } else {
        Outcome::Pass
    }
}

fn attached(r: &Resource, set: &ResourceSet) -> Outcome {
    match r.get("subnet_ids") {
        Attr::Known(Json::Array(a)) if !a.is_empty() => return Outcome::Pass,
        Attr::Unknown => return Outcome::Pass,
        _ => {}
    }
    let assoc = set
        .referencing("aws_network_acl_association", "network_acl_id", r, &["id"])
        .next();
    Outcome::check(
        assoc.is_some(),
        "network ACL is not associated with any subnet",
    )
}

pub const CHECKS: &[Check] = &[
    check!(
        "AWS-VPC-012",
        High,
        "Network ACL allows ingress from the internet to SSH, RDP or FTP",
        "An allow entry from 0.0.0.0/0 or ::/0 covering port 22, 3389, 20 or 21 (or all ports).",
        ["aws_network_acl", "aws_network_acl_rule"],
        ["5.1"],
        "VPC > Network ACLs > ACL > Inbound rules: deny or narrow entries reaching 22 and 3389.",
        "aws ec2 replace-network-acl-entry --network-acl-id ACL --ingress --rule-number N --protocol tcp --port-range From=22,To=22 --cidr-block 10.0.0.0/8 --rule-action allow",
        "Narrow cidr_block of the ingress entry, or use rule_action = \"deny\" for 22 and 3389.",
        admin_ports
    ),
    check!(
        "AWS-VPC-013",
        Low,
        "Network ACL is not associated with any subnet",
        "An unattached network ACL protects nothing; subnets fall back to the VPC's default ACL.",
        ["aws_network_acl"],
        [],
        "VPC > Network ACLs > ACL > Subnet associations > Edit: associate the intended subnets.",
        "aws ec2 replace-network-acl-association --association-id ASSOC --network-acl-id ACL",
        "Set subnet_ids on aws_network_acl or add aws_network_acl_association.",
        attached
    ),
];
