//! Security groups, default security groups and VPC flow logs.

use super::{Fact, as_num, str_at};
use crate::checks::{Check, Remediation};
use crate::resource::{Attr, Outcome, Resource, ResourceSet};
use rampart_core::Severity;
use serde_json::Value as Json;

/// One ingress rule as far as it is known.
struct Rule {
    from: Option<f64>,
    to: Option<f64>,
    protocol: Option<String>,
    cidrs: Option<Vec<String>>,
}

fn strings(v: Option<&Json>) -> Option<Vec<String>> {
    match v {
        None | Some(Json::Null) => Some(Vec::new()),
        Some(Json::String(s)) => Some(vec![s.clone()]),
        Some(Json::Array(a)) => a.iter().map(|x| x.as_str().map(str::to_string)).collect(),
        _ => None,
    }
}

fn rule_from_block(b: &Json) -> Rule {
    let mut cidrs = strings(b.get("cidr_blocks"));
    if let (Some(c), Some(v6)) = (cidrs.as_mut(), strings(b.get("ipv6_cidr_blocks"))) {
        c.extend(v6);
    } else {
        cidrs = None;
    }
    Rule {
        from: b.get("from_port").and_then(as_num),
        to: b.get("to_port").and_then(as_num),
        protocol: b.get("protocol").map(|p| match p {
            Json::Number(n) => n.to_string(),
            Json::String(s) => s.to_lowercase(),
            _ => String::new(),
        }),
        cidrs,
    }
}

/// The ingress rules a resource declares: inline blocks of `aws_security_group`/`aws_default_security_group`,
/// an `aws_security_group_rule` of type ingress, or an `aws_vpc_security_group_ingress_rule`. Each rule's
/// unknown parts are `None`; `Err` when the rule list itself is unknown.
fn ingress_rules(r: &Resource) -> Result<Vec<Rule>, ()> {
    match r.resource_type.as_str() {
        "aws_security_group" | "aws_default_security_group" => match r.get("ingress") {
            Attr::Unknown => Err(()),
            Attr::Known(Json::Array(a)) => Ok(a
                .iter()
                .enumerate()
                .map(|(i, b)| {
                    let mut rule = rule_from_block(b);
                    if r.unknown.iter().any(|u| {
                        u.starts_with(&format!("ingress.{i}.cidr"))
                            || u.starts_with(&format!("ingress.{i}.ipv6"))
                    }) {
                        rule.cidrs = None;
                    }
                    rule
                })
                .collect()),
            Attr::Known(b @ Json::Object(_)) => Ok(vec![rule_from_block(b)]),
            _ => Ok(Vec::new()),
        },
        "aws_security_group_rule" => match str_at(r, "type") {
            Fact::Known("ingress") => {
                let mut rule = rule_from_block(&r.attributes);
                if r.unknown
                    .iter()
                    .any(|u| u.starts_with("cidr_blocks") || u.starts_with("ipv6_cidr_blocks"))
                {
                    rule.cidrs = None;
                }
                Ok(vec![rule])
            }
            Fact::Unknown => Err(()),
            _ => Ok(Vec::new()),
        },
        "aws_vpc_security_group_ingress_rule" => {
            let a = &r.attributes;
            let mut cidrs = Vec::new();
            let mut unknown = false;
            for k in ["cidr_ipv4", "cidr_ipv6"] {
                match r.get(k) {
                    Attr::Known(Json::String(s)) => cidrs.push(s.clone()),
                    Attr::Unknown => unknown = true,
                    _ => {}
                }
            }
            Ok(vec![Rule {
                from: a.get("from_port").and_then(as_num),
                to: a.get("to_port").and_then(as_num),
                protocol: a.get("ip_protocol").map(|p| {
                    p.as_str()
                        .map(str::to_lowercase)
                        .unwrap_or_else(|| p.to_string())
                }),
                cidrs: if unknown { None } else { Some(cidrs) },
            }])
        }
        _ => Ok(Vec::new()),
    }
}

fn all_protocols(p: &str) -> bool {
    p == "-1" || p == "all"
}

/// Whether `rule` opens `port` (None: any port wide-open check) to one of `world`.
fn opens(rule: &Rule, port: Option<u16>, world: &[&str]) -> Option<bool> {
    let cidrs = rule.cidrs.as_ref()?;
    if !cidrs.iter().any(|c| world.contains(&c.as_str())) {
        return Some(false);
    }
    let proto = rule.protocol.as_deref()?;
    if all_protocols(proto) {
        return Some(true);
    }
    if !(proto == "tcp" || proto == "6" || (port.is_none() && (proto == "udp" || proto == "17"))) {
        return Some(false);
    }
    let (from, to) = (rule.from?, rule.to?);
    Some(match port {
        Some(p) => from <= p as f64 && p as f64 <= to,
        None => from <= 0.0 && to >= 65535.0,
    })
}

fn open_port(r: &Resource, port: Option<u16>, world: &[&str]) -> Outcome {
    let Ok(rules) = ingress_rules(r) else {
        return Outcome::unknown("ingress");
    };
    let mut unknown = false;
    for rule in &rules {
        match opens(rule, port, world) {
            Some(true) => {
                let what = port
                    .map(|p| format!("port {p}"))
                    .unwrap_or_else(|| "all ports".into());
                return Outcome::fail(format!("ingress from {} to {what}", world.join(" or ")));
            }
            None => unknown = true,
            _ => {}
        }
    }
    if unknown {
        Outcome::unknown("ingress rule")
    } else {
        Outcome::Pass
    }
}

fn default_sg_open(r: &Resource, _: &ResourceSet) -> Outcome {
    let has = |k: &str| match r.get(k) {
        Attr::Known(Json::Array(a)) => !a.is_empty(),
        Attr::Known(Json::Object(_)) | Attr::Unknown => true,
        _ => false,
    };
    Outcome::check(
        !has("ingress") && !has("egress"),
        "default security group has rules",
    )
}

/// A VPC whose default security group is not declared restricted (it allows all traffic within itself).
fn vpc_default_sg(v: &Resource, set: &ResourceSet) -> Outcome {
    let sgs: Vec<&Resource> = set
        .referencing("aws_default_security_group", "vpc_id", v, &["id"])
        .collect();
    if sgs.is_empty() {
        return Outcome::fail(
            "no aws_default_security_group restricts this VPC's default security group",
        );
    }
    match sgs
        .iter()
        .map(|sg| default_sg_open(sg, set))
        .find(|o| *o != Outcome::Pass)
    {
        Some(_) => Outcome::fail("the VPC's default security group has rules"),
        None => Outcome::Pass,
    }
}

fn flow_logs(v: &Resource, set: &ResourceSet) -> Outcome {
    if set
        .referencing("aws_flow_log", "vpc_id", v, &["id"])
        .next()
        .is_some()
    {
        return Outcome::Pass;
    }
    let maybe = set.of_type("aws_flow_log").any(|f| {
        f.root == v.root
            && f.get("vpc_id") == Attr::Unknown
            && f.reference("vpc_id")
                .is_none_or(|t| set.resolve_ref(f, t).is_none())
    });
    if maybe {
        Outcome::unknown("aws_flow_log.vpc_id")
    } else {
        Outcome::fail("no aws_flow_log for this VPC")
    }
}

fn descriptions(r: &Resource, _: &ResourceSet) -> Outcome {
    let mut missing = Vec::new();
    for k in ["ingress", "egress"] {
        if let Attr::Known(Json::Array(a)) = r.get(k) {
            for (i, b) in a.iter().enumerate() {
                if b.get("description")
                    .and_then(Json::as_str)
                    .is_none_or(str::is_empty)
                {
                    missing.push(format!("{k}[{i}]"));
                }
            }
        }
    }
    if r.resource_type == "aws_security_group" && r.get("description") == Attr::Absent {
        missing.push("group".into());
    }
    if r.resource_type == "aws_security_group_rule" && r.get("description") == Attr::Absent {
        missing.push("rule".into());
    }
    Outcome::check(
        missing.is_empty(),
        format!("no description on {}", missing.join(", ")),
    )
}

/// Types that attach security groups (`vpc_security_group_ids`, `security_groups`, `security_group_ids`).
const ATTACHING: &[&str] = &[
    "aws_instance",
    "aws_launch_template",
    "aws_launch_configuration",
    "aws_lambda_function",
    "aws_db_instance",
    "aws_rds_cluster",
    "aws_eks_cluster",
    "aws_lb",
    "aws_elb",
    "aws_network_interface",
    "aws_elasticache_cluster",
    "aws_ecs_service",
    "aws_efs_mount_target",
    "aws_vpc_endpoint",
    "aws_msk_cluster",
    "aws_opensearch_domain",
];

fn attached(sg: &Resource, set: &ResourceSet) -> Outcome {
    let used = set.referrers(sg).any(|r| {
        r.resource_type != "aws_security_group_rule"
            && !r.resource_type.starts_with("aws_vpc_security_group")
    });
    if used {
        return Outcome::Pass;
    }
    // Something attaches groups we cannot resolve (an input, a remote module output): undecidable.
    let unresolved = ATTACHING.iter().flat_map(|t| set.of_type(t)).any(|r| {
        r.root == sg.root
            && r.unknown.iter().any(|u| u.contains("security_group"))
            && !r.references.keys().any(|k| k.contains("security_group"))
    });
    if unresolved {
        Outcome::unknown("security group attachments")
    } else {
        Outcome::fail("security group is not attached to any resource in this configuration")
    }
}

const SG_TYPES: &[&str] = &[
    "aws_security_group",
    "aws_security_group_rule",
    "aws_vpc_security_group_ingress_rule",
];
const V4: &[&str] = &["0.0.0.0/0"];
const V6: &[&str] = &["::/0"];
const ANY: &[&str] = &["0.0.0.0/0", "::/0"];
const SG_FIX: Remediation = Remediation {
    console: "EC2 > Security Groups > group > Inbound rules: replace 0.0.0.0/0 and ::/0 sources with specific CIDRs, or use SSM Session Manager instead of SSH/RDP.",
    cli: "aws ec2 revoke-security-group-ingress --group-id SG --ip-permissions IpProtocol=tcp,FromPort=PORT,ToPort=PORT,IpRanges=[{CidrIp=0.0.0.0/0}]",
    terraform: "Narrow cidr_blocks / ipv6_cidr_blocks (or cidr_ipv4 / cidr_ipv6) of the ingress rule to known networks.",
};

pub const CHECKS: &[Check] = &[
    Check {
        id: "AWS-VPC-001",
        title: "Security group allows SSH (22) from 0.0.0.0/0",
        severity: Severity::High,
        description: "Ingress from any IPv4 address to port 22 exposes SSH to the internet.",
        remediation: SG_FIX,
        resource_types: SG_TYPES,
        cis: &["5.2"],
        eval: |r, _| open_port(r, Some(22), V4),
    },
    Check {
        id: "AWS-VPC-002",
        title: "Security group allows RDP (3389) from 0.0.0.0/0",
        severity: Severity::High,
        description: "Ingress from any IPv4 address to port 3389 exposes RDP to the internet.",
        remediation: SG_FIX,
        resource_types: SG_TYPES,
        cis: &["5.2"],
        eval: |r, _| open_port(r, Some(3389), V4),
    },
    Check {
        id: "AWS-VPC-003",
        title: "Security group allows SSH or RDP from ::/0",
        severity: Severity::High,
        description: "Ingress from any IPv6 address to port 22 or 3389.",
        remediation: SG_FIX,
        resource_types: SG_TYPES,
        cis: &["5.3"],
        eval: |r, _| match open_port(r, Some(22), V6) {
            Outcome::Pass => open_port(r, Some(3389), V6),
            o => o,
        },
    },
    Check {
        id: "AWS-VPC-004",
        title: "Security group allows all ports from the internet",
        severity: Severity::Critical,
        description: "Ingress on every port (protocol -1 or 0-65535) from 0.0.0.0/0 or ::/0.",
        remediation: SG_FIX,
        resource_types: SG_TYPES,
        cis: &["5.2", "5.3"],
        eval: |r, _| open_port(r, None, ANY),
    },
    Check {
        id: "AWS-VPC-005",
        title: "Default security group does not restrict all traffic",
        severity: Severity::Medium,
        description: "The default security group of a VPC should have no rules, so resources launched without a group get no access.",
        remediation: Remediation {
            console: "VPC > Security Groups > default group: delete all inbound and outbound rules.",
            cli: "aws ec2 revoke-security-group-ingress --group-id SG --ip-permissions file://default-rules.json",
            terraform: "Declare aws_default_security_group { vpc_id = aws_vpc.X.id } with no ingress or egress blocks.",
        },
        resource_types: &["aws_default_security_group"],
        cis: &["5.4"],
        eval: default_sg_open,
    },
    Check {
        id: "AWS-VPC-006",
        title: "VPC default security group is not managed to restrict traffic",
        severity: Severity::Low,
        description: "No aws_default_security_group for this VPC: its default group keeps AWS's allow-all-within-group rules.",
        remediation: Remediation {
            console: "VPC > Security Groups > default group: delete all rules.",
            cli: "aws ec2 revoke-security-group-ingress --group-id SG --ip-permissions file://default-rules.json",
            terraform: "Add aws_default_security_group { vpc_id = aws_vpc.X.id } with no rules.",
        },
        resource_types: &["aws_vpc"],
        cis: &["5.4"],
        eval: vpc_default_sg,
    },
    Check {
        id: "AWS-VPC-007",
        title: "VPC flow logging is not enabled",
        severity: Severity::Medium,
        description: "Every VPC should have a flow log capturing at least rejected traffic.",
        remediation: Remediation {
            console: "VPC > Your VPCs > VPC > Flow logs > Create flow log.",
            cli: "aws ec2 create-flow-logs --resource-type VPC --resource-ids VPC --traffic-type ALL --log-destination-type cloud-watch-logs --log-group-name NAME --deliver-logs-permission-arn ROLE",
            terraform: "Add aws_flow_log { vpc_id = aws_vpc.X.id, traffic_type = \"ALL\", … }.",
        },
        resource_types: &["aws_vpc"],
        cis: &["3.7"],
        eval: flow_logs,
    },
    Check {
        id: "AWS-VPC-008",
        title: "Security group or rule has no description",
        severity: Severity::Low,
        description: "Descriptions make rules reviewable.",
        remediation: Remediation {
            console: "EC2 > Security Groups > edit rules: add a description to each rule.",
            cli: "aws ec2 update-security-group-rule-descriptions-ingress --group-id SG --ip-permissions …",
            terraform: "Set description on the group and on every ingress/egress block.",
        },
        resource_types: &["aws_security_group", "aws_security_group_rule"],
        cis: &[],
        eval: descriptions,
    },
    Check {
        id: "AWS-VPC-009",
        title: "Security group allows ingress from 0.0.0.0/0 to a port other than 80/443",
        severity: Severity::Medium,
        description: "Services other than web should not be reachable from the whole internet.",
        remediation: SG_FIX,
        resource_types: SG_TYPES,
        cis: &[],
        eval: wide_non_web,
    },
    Check {
        id: "AWS-VPC-010",
        title: "Security group is not attached to any resource",
        severity: Severity::Low,
        description: "Unused groups accumulate permissive rules that get reused by mistake.",
        remediation: Remediation {
            console: "EC2 > Security Groups: delete unused groups.",
            cli: "aws ec2 delete-security-group --group-id SG",
            terraform: "Remove the unused aws_security_group.",
        },
        resource_types: &["aws_security_group"],
        cis: &[],
        eval: attached,
    },
    Check {
        id: "AWS-VPC-011",
        title: "Security group allows all egress to the internet",
        severity: Severity::Low,
        description: "Unrestricted egress makes data exfiltration and command-and-control traffic easy.",
        remediation: Remediation {
            console: "EC2 > Security Groups > group > Outbound rules: allow only the destinations and ports needed.",
            cli: "aws ec2 revoke-security-group-egress --group-id SG --ip-permissions IpProtocol=-1,IpRanges=[{CidrIp=0.0.0.0/0}]",
            terraform: "Replace the egress block allowing protocol -1 to 0.0.0.0/0 with specific rules.",
        },
        resource_types: &["aws_security_group", "aws_security_group_rule"],
        cis: &[],
        eval: open_egress,
    },
];

fn open_egress(r: &Resource, _: &ResourceSet) -> Outcome {
    let rules: Vec<Rule> = match (r.resource_type.as_str(), r.get("egress")) {
        ("aws_security_group", Attr::Known(Json::Array(a))) => {
            a.iter().map(rule_from_block).collect()
        }
        ("aws_security_group", Attr::Unknown) => return Outcome::unknown("egress"),
        ("aws_security_group_rule", _) if str_at(r, "type") == Fact::Known("egress") => {
            vec![rule_from_block(&r.attributes)]
        }
        _ => Vec::new(),
    };
    for rule in &rules {
        if opens(rule, None, ANY) == Some(true) {
            return Outcome::fail("egress to 0.0.0.0/0 or ::/0 on all ports");
        }
    }
    Outcome::Pass
}

fn wide_non_web(r: &Resource, _: &ResourceSet) -> Outcome {
    let Ok(rules) = ingress_rules(r) else {
        return Outcome::unknown("ingress");
    };
    let mut unknown = false;
    for rule in &rules {
        let Some(cidrs) = &rule.cidrs else {
            unknown = true;
            continue;
        };
        if !cidrs.iter().any(|c| ANY.contains(&c.as_str())) {
            continue;
        }
        match (rule.from, rule.to) {
            (Some(f), Some(t)) if (f == 80.0 || f == 443.0) && f == t => {}
            (Some(f), Some(t)) => {
                return Outcome::fail(format!("ports {f}-{t} open to the internet"));
            }
            _ => unknown = true,
        }
    }
    if unknown {
        Outcome::unknown("ingress rule")
    } else {
        Outcome::Pass
    }
}
