//! CloudFormation resource types mapped to the Terraform-shaped documents the checks read.
//!
//! Normal form: inline where Terraform has an inline form (S3 encryption, versioning and logging as
//! `aws_s3_bucket` blocks; security group ingress/egress blocks; IAM role inline policies), separate
//! resources where it does not (`aws_s3_bucket_public_access_block` with `bucket` referencing the bucket).
//! Policy documents become JSON strings, as in Terraform.

use crate::value::Val;
use std::collections::BTreeMap;

type Map = BTreeMap<String, Val>;

/// One mapped resource: Terraform type, address suffix (empty for the main resource), attributes.
pub struct Mapped {
    pub tf_type: &'static str,
    pub suffix: &'static str,
    pub attrs: Map,
}

fn get<'a>(m: &'a Map, path: &str) -> Option<&'a Val> {
    let mut cur = m;
    let mut parts = path.split('.').peekable();
    while let Some(p) = parts.next() {
        let v = cur.get(p)?;
        if parts.peek().is_none() {
            return Some(v);
        }
        cur = match v {
            Val::Map(x) => x,
            Val::List(l) => match l.first() {
                Some(Val::Map(x)) => x,
                _ => return None,
            },
            _ => return None,
        };
    }
    None
}

fn put(out: &mut Map, tf: &str, v: Option<&Val>) {
    if let Some(v) = v {
        out.insert(tf.to_string(), v.clone());
    }
}

fn block(fields: Map) -> Val {
    Val::List(vec![Val::Map(fields)])
}

fn json_string(v: Option<&Val>) -> Option<Val> {
    match v? {
        Val::String(s) => Some(Val::String(s.clone())),
        Val::Unknown(r) => Some(Val::Unknown(r.clone())),
        other => Some(Val::String(other.encode_json().to_string())),
    }
}

/// Renames simple properties: (CloudFormation path, Terraform attribute).
fn rename(p: &Map, pairs: &[(&str, &str)]) -> Map {
    let mut out = Map::new();
    for (cfn, tf) in pairs {
        put(&mut out, tf, get(p, cfn));
    }
    out
}

/// `PublicRead` → `public-read`.
fn canned_acl(v: &Val) -> Val {
    match v.as_str() {
        Some(s) => {
            let mut out = String::new();
            for (i, c) in s.chars().enumerate() {
                if c.is_uppercase() && i > 0 {
                    out.push('-');
                }
                out.extend(c.to_lowercase());
            }
            Val::String(out)
        }
        None => v.clone(),
    }
}

fn sg_rules(list: Option<&Val>) -> Option<Val> {
    let Val::List(rules) = list? else {
        return list.cloned();
    };
    Some(Val::List(
        rules
            .iter()
            .filter_map(|r| match r {
                Val::Map(r) => Some(Val::Map(sg_rule(r))),
                _ => None,
            })
            .collect(),
    ))
}

fn sg_rule(r: &Map) -> Map {
    let mut out = rename(
        r,
        &[
            ("FromPort", "from_port"),
            ("ToPort", "to_port"),
            ("IpProtocol", "protocol"),
            ("Description", "description"),
        ],
    );
    if let Some(c) = r.get("CidrIp") {
        out.insert("cidr_blocks".into(), Val::List(vec![c.clone()]));
    }
    if let Some(c) = r.get("CidrIpv6") {
        out.insert("ipv6_cidr_blocks".into(), Val::List(vec![c.clone()]));
    }
    out
}

fn policies(list: Option<&Val>) -> Option<Val> {
    let Val::List(ps) = list? else { return None };
    Some(Val::List(
        ps.iter()
            .filter_map(|p| match p {
                Val::Map(p) => {
                    let mut m = rename(p, &[("PolicyName", "name")]);
                    put(
                        &mut m,
                        "policy",
                        json_string(p.get("PolicyDocument")).as_ref(),
                    );
                    Some(Val::Map(m))
                }
                _ => None,
            })
            .collect(),
    ))
}

/// Maps one CloudFormation resource (`props` evaluated) to Terraform-shaped documents.
pub fn map(cfn_type: &str, p: &Map, bucket_ref: &Val) -> Vec<Mapped> {
    let one = |tf_type: &'static str, attrs: Map| {
        vec![Mapped {
            tf_type,
            suffix: "",
            attrs,
        }]
    };
    match cfn_type {
        "AWS::S3::Bucket" => s3_bucket(p, bucket_ref),
        "AWS::S3::BucketPolicy" => {
            let mut a = rename(p, &[("Bucket", "bucket")]);
            put(
                &mut a,
                "policy",
                json_string(p.get("PolicyDocument")).as_ref(),
            );
            one("aws_s3_bucket_policy", a)
        }
        "AWS::EC2::SecurityGroup" => {
            let mut a = rename(
                p,
                &[
                    ("GroupName", "name"),
                    ("GroupDescription", "description"),
                    ("VpcId", "vpc_id"),
                ],
            );
            put(
                &mut a,
                "ingress",
                sg_rules(p.get("SecurityGroupIngress")).as_ref(),
            );
            put(
                &mut a,
                "egress",
                sg_rules(p.get("SecurityGroupEgress")).as_ref(),
            );
            one("aws_security_group", a)
        }
        "AWS::EC2::SecurityGroupIngress" | "AWS::EC2::SecurityGroupEgress" => {
            let mut a = sg_rule(p);
            put(&mut a, "security_group_id", p.get("GroupId"));
            let t = if cfn_type.ends_with("Ingress") {
                "ingress"
            } else {
                "egress"
            };
            a.insert("type".into(), Val::String(t.into()));
            one("aws_security_group_rule", a)
        }
        "AWS::IAM::Role" => {
            let mut a = rename(
                p,
                &[
                    ("RoleName", "name"),
                    ("ManagedPolicyArns", "managed_policy_arns"),
                    ("PermissionsBoundary", "permissions_boundary"),
                ],
            );
            put(
                &mut a,
                "assume_role_policy",
                json_string(p.get("AssumeRolePolicyDocument")).as_ref(),
            );
            put(
                &mut a,
                "inline_policy",
                policies(p.get("Policies")).as_ref(),
            );
            one("aws_iam_role", a)
        }
        "AWS::IAM::User" => {
            let mut a = rename(
                p,
                &[
                    ("UserName", "name"),
                    ("ManagedPolicyArns", "managed_policy_arns"),
                ],
            );
            put(
                &mut a,
                "inline_policy",
                policies(p.get("Policies")).as_ref(),
            );
            one("aws_iam_user", a)
        }
        "AWS::IAM::Group" => {
            let mut a = rename(
                p,
                &[
                    ("GroupName", "name"),
                    ("ManagedPolicyArns", "managed_policy_arns"),
                ],
            );
            put(
                &mut a,
                "inline_policy",
                policies(p.get("Policies")).as_ref(),
            );
            one("aws_iam_group", a)
        }
        "AWS::IAM::Policy" | "AWS::IAM::ManagedPolicy" => {
            let mut a = rename(
                p,
                &[
                    ("PolicyName", "name"),
                    ("ManagedPolicyName", "name"),
                    ("Users", "users"),
                    ("Roles", "roles"),
                    ("Groups", "groups"),
                ],
            );
            put(
                &mut a,
                "policy",
                json_string(p.get("PolicyDocument")).as_ref(),
            );
            one("aws_iam_policy", a)
        }
        "AWS::KMS::Key" => {
            let mut a = rename(
                p,
                &[
                    ("Description", "description"),
                    ("EnableKeyRotation", "enable_key_rotation"),
                    ("KeySpec", "customer_master_key_spec"),
                    ("KeyUsage", "key_usage"),
                ],
            );
            put(&mut a, "policy", json_string(p.get("KeyPolicy")).as_ref());
            one("aws_kms_key", a)
        }
        "AWS::CloudTrail::Trail" => one(
            "aws_cloudtrail",
            rename(
                p,
                &[
                    ("TrailName", "name"),
                    ("S3BucketName", "s3_bucket_name"),
                    ("IsMultiRegionTrail", "is_multi_region_trail"),
                    ("EnableLogFileValidation", "enable_log_file_validation"),
                    ("KMSKeyId", "kms_key_id"),
                    (
                        "IncludeGlobalServiceEvents",
                        "include_global_service_events",
                    ),
                    ("CloudWatchLogsLogGroupArn", "cloud_watch_logs_group_arn"),
                    ("IsLogging", "enable_logging"),
                    ("SnsTopicName", "sns_topic_name"),
                ],
            ),
        ),
        "AWS::RDS::DBInstance" => one("aws_db_instance", db_instance(p)),
        "AWS::EC2::Volume" => one(
            "aws_ebs_volume",
            rename(
                p,
                &[
                    ("Encrypted", "encrypted"),
                    ("KmsKeyId", "kms_key_id"),
                    ("Size", "size"),
                    ("AvailabilityZone", "availability_zone"),
                ],
            ),
        ),
        "AWS::EC2::Instance" => one("aws_instance", instance(p)),
        "AWS::EC2::LaunchTemplate" => {
            let mut a = rename(p, &[("LaunchTemplateName", "name")]);
            if let Some(Val::Map(m)) = get(p, "LaunchTemplateData.MetadataOptions") {
                a.insert(
                    "metadata_options".into(),
                    block(rename(
                        m,
                        &[
                            ("HttpTokens", "http_tokens"),
                            ("HttpEndpoint", "http_endpoint"),
                            ("HttpPutResponseHopLimit", "http_put_response_hop_limit"),
                        ],
                    )),
                );
            }
            one("aws_launch_template", a)
        }
        "AWS::EKS::Cluster" => one("aws_eks_cluster", eks_cluster(p)),
        "AWS::Lambda::Function" | "AWS::Serverless::Function" => {
            one("aws_lambda_function", lambda_function(p))
        }
        "AWS::EC2::NetworkAclEntry" => {
            let mut a = rename(
                p,
                &[
                    ("Egress", "egress"),
                    ("RuleAction", "rule_action"),
                    ("CidrBlock", "cidr_block"),
                    ("Ipv6CidrBlock", "ipv6_cidr_block"),
                    ("PortRange.From", "from_port"),
                    ("PortRange.To", "to_port"),
                    ("RuleNumber", "rule_number"),
                    ("NetworkAclId", "network_acl_id"),
                ],
            );
            put(&mut a, "protocol", p.get("Protocol"));
            one("aws_network_acl_rule", a)
        }
        "AWS::Lambda::Url" => one(
            "aws_lambda_function_url",
            rename(
                p,
                &[
                    ("TargetFunctionArn", "function_name"),
                    ("AuthType", "authorization_type"),
                ],
            ),
        ),
        "AWS::EC2::VPC" => one("aws_vpc", rename(p, &[("CidrBlock", "cidr_block")])),
        "AWS::EC2::FlowLog" => {
            let mut a = rename(
                p,
                &[
                    ("TrafficType", "traffic_type"),
                    ("LogDestination", "log_destination"),
                    ("LogGroupName", "log_group_name"),
                ],
            );
            if get(p, "ResourceType").and_then(Val::as_str) == Some("VPC") {
                put(&mut a, "vpc_id", p.get("ResourceId"));
            }
            one("aws_flow_log", a)
        }
        _ => Vec::new(),
    }
}

fn s3_bucket(p: &Map, bucket_ref: &Val) -> Vec<Mapped> {
    let mut a = rename(p, &[("BucketName", "bucket")]);
    if let Some(acl) = p.get("AccessControl") {
        a.insert("acl".into(), canned_acl(acl));
    }
    if let Some(st) = get(p, "VersioningConfiguration.Status") {
        let enabled = match st.as_str() {
            Some(s) => Val::Bool(s == "Enabled"),
            None => Val::unknown(),
        };
        a.insert(
            "versioning".into(),
            block(Map::from([("enabled".into(), enabled)])),
        );
    }
    if let Some(Val::List(rules)) = get(p, "BucketEncryption.ServerSideEncryptionConfiguration") {
        let rules: Vec<Val> = rules
            .iter()
            .filter_map(|r| match r {
                Val::Map(r) => {
                    let d = rename(
                        r,
                        &[
                            (
                                "ServerSideEncryptionByDefault.SSEAlgorithm",
                                "sse_algorithm",
                            ),
                            (
                                "ServerSideEncryptionByDefault.KMSMasterKeyID",
                                "kms_master_key_id",
                            ),
                        ],
                    );
                    let mut rule =
                        Map::from([("apply_server_side_encryption_by_default".into(), block(d))]);
                    put(&mut rule, "bucket_key_enabled", r.get("BucketKeyEnabled"));
                    Some(Val::Map(rule))
                }
                _ => None,
            })
            .collect();
        a.insert(
            "server_side_encryption_configuration".into(),
            block(Map::from([("rule".into(), Val::List(rules))])),
        );
    }
    if let Some(Val::Map(l)) = p.get("LoggingConfiguration") {
        let mut lg = rename(
            l,
            &[
                ("DestinationBucketName", "target_bucket"),
                ("LogFilePrefix", "target_prefix"),
            ],
        );
        if !lg.contains_key("target_bucket") {
            lg.insert("target_bucket".into(), Val::reference("cfn:self"));
        }
        a.insert("logging".into(), block(lg));
    }
    // Presence is what the checks read for these; keep the CloudFormation shape inside.
    for (cfn, tf) in [
        ("LifecycleConfiguration", "lifecycle_rule"),
        ("ReplicationConfiguration", "replication_configuration"),
        ("NotificationConfiguration", "notification"),
    ] {
        if let Some(v) = p.get(cfn) {
            a.insert(tf.into(), Val::List(vec![v.clone()]));
        }
    }
    let mut out = vec![Mapped {
        tf_type: "aws_s3_bucket",
        suffix: "",
        attrs: a,
    }];
    if let Some(Val::Map(pab)) = p.get("PublicAccessBlockConfiguration") {
        let mut b = rename(
            pab,
            &[
                ("BlockPublicAcls", "block_public_acls"),
                ("BlockPublicPolicy", "block_public_policy"),
                ("IgnorePublicAcls", "ignore_public_acls"),
                ("RestrictPublicBuckets", "restrict_public_buckets"),
            ],
        );
        b.insert("bucket".into(), bucket_ref.clone());
        out.push(Mapped {
            tf_type: "aws_s3_bucket_public_access_block",
            suffix: "/PublicAccessBlock",
            attrs: b,
        });
    }
    out
}

fn db_instance(p: &Map) -> Map {
    let mut a = rename(
        p,
        &[
            ("DBInstanceIdentifier", "identifier"),
            ("Engine", "engine"),
            ("PubliclyAccessible", "publicly_accessible"),
            ("StorageEncrypted", "storage_encrypted"),
            ("BackupRetentionPeriod", "backup_retention_period"),
            ("DeletionProtection", "deletion_protection"),
            ("KmsKeyId", "kms_key_id"),
            ("MultiAZ", "multi_az"),
            (
                "EnableIAMDatabaseAuthentication",
                "iam_database_authentication_enabled",
            ),
            ("AutoMinorVersionUpgrade", "auto_minor_version_upgrade"),
            (
                "EnableCloudwatchLogsExports",
                "enabled_cloudwatch_logs_exports",
            ),
            ("MonitoringInterval", "monitoring_interval"),
            ("EnablePerformanceInsights", "performance_insights_enabled"),
            ("CopyTagsToSnapshot", "copy_tags_to_snapshot"),
            ("DBClusterIdentifier", "cluster_identifier"),
        ],
    );
    // CloudFormation's default retention is 1 day, like Terraform's provider default of 0 is not.
    a.entry("backup_retention_period".into())
        .or_insert(Val::Number(1.0));
    a
}

fn instance(p: &Map) -> Map {
    let mut a = rename(
        p,
        &[
            ("ImageId", "ami"),
            ("InstanceType", "instance_type"),
            ("EbsOptimized", "ebs_optimized"),
            ("Monitoring", "monitoring"),
            ("IamInstanceProfile", "iam_instance_profile"),
            ("UserData", "user_data"),
            (
                "NetworkInterfaces.AssociatePublicIpAddress",
                "associate_public_ip_address",
            ),
        ],
    );
    if let Some(Val::List(bdm)) = p.get("BlockDeviceMappings") {
        let devs: Vec<Val> = bdm
            .iter()
            .filter_map(|d| match d {
                Val::Map(d) => Some(Val::Map(rename(
                    d,
                    &[
                        ("DeviceName", "device_name"),
                        ("Ebs.Encrypted", "encrypted"),
                        ("Ebs.KmsKeyId", "kms_key_id"),
                    ],
                ))),
                _ => None,
            })
            .collect();
        a.insert("ebs_block_device".into(), Val::List(devs));
    }
    if p.get("LaunchTemplate").is_some() {
        a.insert(
            "launch_template".into(),
            block(Map::from([("id".into(), Val::unknown())])),
        );
    }
    a
}

fn eks_cluster(p: &Map) -> Map {
    let mut a = rename(
        p,
        &[
            ("Name", "name"),
            ("RoleArn", "role_arn"),
            ("Version", "version"),
        ],
    );
    let mut vpc = Map::new();
    if let Some(Val::Map(v)) = p.get("ResourcesVpcConfig") {
        vpc = rename(
            v,
            &[
                ("EndpointPublicAccess", "endpoint_public_access"),
                ("EndpointPrivateAccess", "endpoint_private_access"),
                ("PublicAccessCidrs", "public_access_cidrs"),
                ("SubnetIds", "subnet_ids"),
            ],
        );
    }
    a.insert("vpc_config".into(), block(vpc));
    if let Some(Val::List(enc)) = p.get("EncryptionConfig") {
        let e: Vec<Val> = enc
            .iter()
            .filter_map(|e| match e {
                Val::Map(e) => {
                    let mut m = rename(e, &[("Resources", "resources")]);
                    put(
                        &mut m,
                        "provider",
                        get(e, "Provider.KeyArn")
                            .map(|k| block(Map::from([("key_arn".into(), k.clone())])))
                            .as_ref(),
                    );
                    Some(Val::Map(m))
                }
                _ => None,
            })
            .collect();
        a.insert("encryption_config".into(), Val::List(e));
    }
    if let Some(Val::List(types)) = get(p, "Logging.ClusterLogging.EnabledTypes") {
        let t: Vec<Val> = types
            .iter()
            .filter_map(|t| match t {
                Val::Map(t) => t.get("Type").cloned(),
                _ => None,
            })
            .collect();
        a.insert("enabled_cluster_log_types".into(), Val::List(t));
    }
    a
}

fn lambda_function(p: &Map) -> Map {
    let mut a = rename(
        p,
        &[
            ("FunctionName", "function_name"),
            ("Runtime", "runtime"),
            ("Role", "role"),
            ("KmsKeyArn", "kms_key_arn"),
            (
                "ReservedConcurrentExecutions",
                "reserved_concurrent_executions",
            ),
        ],
    );
    if let Some(vars) = get(p, "Environment.Variables") {
        a.insert(
            "environment".into(),
            block(Map::from([("variables".into(), vars.clone())])),
        );
    }
    if let Some(mode) = get(p, "TracingConfig.Mode") {
        a.insert(
            "tracing_config".into(),
            block(Map::from([("mode".into(), mode.clone())])),
        );
    }
    if let Some(Val::Map(v)) = p.get("VpcConfig") {
        a.insert(
            "vpc_config".into(),
            block(rename(
                v,
                &[
                    ("SubnetIds", "subnet_ids"),
                    ("SecurityGroupIds", "security_group_ids"),
                ],
            )),
        );
    }
    if let Some(t) = get(p, "DeadLetterConfig.TargetArn") {
        a.insert(
            "dead_letter_config".into(),
            block(Map::from([("target_arn".into(), t.clone())])),
        );
    }
    a
}
