//! S3 buckets, read as one view whether settings are inline (`aws_s3_bucket` blocks, CloudFormation) or
//! separate resources (`aws_s3_bucket_acl`, `_policy`, `_public_access_block`, `_versioning`, …).

use super::policy::{self, Doc};
use super::{Fact, as_bool, bool_at, str_at};
use crate::checks::{Check, Remediation};
use crate::resource::{Attr, Outcome, Resource, ResourceSet};
use rampart_core::Severity;
use serde_json::Value as Json;

/// Resources of type `t` attached to `bucket`, and whether an unresolvable one might be.
pub struct Related<'a> {
    pub found: Vec<&'a Resource>,
    pub maybe: bool,
}

/// The resources of type `t` whose `bucket` attribute names this bucket.
pub fn related<'a>(set: &'a ResourceSet, t: &'a str, bucket: &'a Resource) -> Related<'a> {
    let found: Vec<&Resource> = set
        .referencing(t, "bucket", bucket, &["bucket", "id"])
        .collect();
    let maybe = found.is_empty()
        && set.of_type(t).any(|r| {
            r.root == bucket.root
                && r.get("bucket") == Attr::Unknown
                && r.reference("bucket")
                    .is_none_or(|tok| set.resolve_ref(r, tok).is_none())
        });
    Related { found, maybe }
}

/// Pass if `inline` holds, else look at related resources with `each`; unknown when undecidable.
fn inline_or_related(
    bucket: &Resource,
    set: &ResourceSet,
    inline: Option<Outcome>,
    t: &str,
    each: impl Fn(&Resource) -> Outcome,
    missing: &str,
) -> Outcome {
    if let Some(o @ (Outcome::Pass | Outcome::Unknown(_))) = inline {
        return o;
    }
    let rel = related(set, t, bucket);
    let mut unknown = None;
    for r in &rel.found {
        match each(r) {
            Outcome::Pass => return Outcome::Pass,
            Outcome::Unknown(u) => unknown = Some(u),
            Outcome::Fail(_) => {}
        }
    }
    if let Some(u) = unknown {
        return Outcome::Unknown(u);
    }
    if rel.maybe {
        return Outcome::unknown(format!("{t}.bucket"));
    }
    match inline {
        Some(fail @ Outcome::Fail(_)) if rel.found.is_empty() => fail,
        _ => Outcome::fail(missing),
    }
}

const PUBLIC_ACLS: &[&str] = &["public-read", "public-read-write", "authenticated-read"];

fn acl_outcome(r: &Resource) -> Outcome {
    match str_at(r, "acl") {
        Fact::Known(a) if PUBLIC_ACLS.contains(&a) => Outcome::fail(format!("acl = \"{a}\"")),
        Fact::Unknown => Outcome::unknown("acl"),
        _ => {
            let grants = r.get("access_control_policy.grant");
            if let Attr::Known(Json::Array(gs)) = grants {
                for g in gs {
                    let uri = g
                        .pointer("/grantee/0/uri")
                        .or_else(|| g.pointer("/grantee/uri"));
                    if uri
                        .and_then(Json::as_str)
                        .is_some_and(|u| u.contains("AllUsers") || u.contains("AuthenticatedUsers"))
                    {
                        return Outcome::fail("ACL grant to AllUsers/AuthenticatedUsers");
                    }
                }
            }
            Outcome::Pass
        }
    }
}

fn public_acl(b: &Resource, set: &ResourceSet) -> Outcome {
    let inline = acl_outcome(b);
    if inline != Outcome::Pass {
        return inline;
    }
    for a in related(set, "aws_s3_bucket_acl", b).found {
        let o = acl_outcome(a);
        if o != Outcome::Pass {
            return o;
        }
    }
    Outcome::Pass
}

fn policy_docs<'a>(b: &'a Resource, set: &'a ResourceSet) -> Vec<Doc> {
    let mut docs = Vec::new();
    if b.get("policy") != Attr::Absent {
        docs.push(policy::parse(b.get("policy").known()));
    }
    for p in related(set, "aws_s3_bucket_policy", b).found {
        docs.push(policy::parse(p.get("policy").known()));
    }
    docs
}

fn public_policy(b: &Resource, set: &ResourceSet) -> Outcome {
    let mut unknown = false;
    for d in policy_docs(b, set) {
        match d {
            Doc::Parsed(stmts) => {
                for s in &stmts {
                    match policy::is_public(s) {
                        Some(true) => {
                            return Outcome::fail(
                                "bucket policy allows Principal \"*\" without a condition",
                            );
                        }
                        None => unknown = true,
                        _ => {}
                    }
                }
            }
            Doc::Unknown => unknown = true,
            Doc::Invalid => {}
        }
    }
    if unknown {
        Outcome::unknown("policy")
    } else {
        Outcome::Pass
    }
}

fn tls_only(b: &Resource, set: &ResourceSet) -> Outcome {
    let mut unknown = false;
    for d in policy_docs(b, set) {
        match d {
            Doc::Parsed(stmts) if policy::denies_insecure_transport(&stmts) => {
                return Outcome::Pass;
            }
            Doc::Unknown => unknown = true,
            _ => {}
        }
    }
    if unknown {
        Outcome::unknown("policy")
    } else {
        Outcome::fail("no bucket policy statement denies aws:SecureTransport = false")
    }
}

fn public_access_block(b: &Resource, set: &ResourceSet) -> Outcome {
    const FLAGS: [&str; 4] = [
        "block_public_acls",
        "block_public_policy",
        "ignore_public_acls",
        "restrict_public_buckets",
    ];
    inline_or_related(
        b,
        set,
        None,
        "aws_s3_bucket_public_access_block",
        |p| {
            let mut off = Vec::new();
            for f in FLAGS {
                match bool_at(p, f).or_default(false) {
                    Some(true) => {}
                    Some(false) => off.push(f),
                    None => return Outcome::unknown(f),
                }
            }
            Outcome::check(
                off.is_empty(),
                format!("public access block has {} off", off.join(", ")),
            )
        },
        "no aws_s3_bucket_public_access_block for this bucket",
    )
}

fn sse_algorithm(cfg: &Resource, prefix: &str) -> Fact<String> {
    let path = format!("{prefix}rule.apply_server_side_encryption_by_default.sse_algorithm");
    match str_at(cfg, &path) {
        Fact::Known(a) => Fact::Known(a.to_string()),
        other => match other {
            Fact::Unknown => Fact::Unknown,
            _ => Fact::Absent,
        },
    }
}

fn encryption(b: &Resource, set: &ResourceSet, want_kms: bool) -> Outcome {
    let judge = |alg: Fact<String>| match alg {
        Fact::Known(a) if !want_kms || a.starts_with("aws:kms") => Outcome::Pass,
        Fact::Known(a) => Outcome::fail(format!("sse_algorithm = \"{a}\"")),
        Fact::Unknown => Outcome::unknown("sse_algorithm"),
        Fact::Absent => Outcome::fail("no default encryption configured"),
    };
    let inline = match b.get("server_side_encryption_configuration") {
        Attr::Absent | Attr::Known(Json::Null) => None,
        _ => Some(judge(sse_algorithm(
            b,
            "server_side_encryption_configuration.",
        ))),
    };
    inline_or_related(
        b,
        set,
        inline,
        "aws_s3_bucket_server_side_encryption_configuration",
        |c| judge(sse_algorithm(c, "")),
        if want_kms {
            "default encryption does not use KMS"
        } else {
            "no default encryption configured"
        },
    )
}

fn versioning(b: &Resource, set: &ResourceSet) -> Outcome {
    let inline = match bool_at(b, "versioning.enabled") {
        Fact::Known(true) => Some(Outcome::Pass),
        Fact::Unknown => Some(Outcome::unknown("versioning.enabled")),
        _ => Some(Outcome::fail("versioning not enabled")),
    };
    inline_or_related(
        b,
        set,
        inline,
        "aws_s3_bucket_versioning",
        |v| match str_at(v, "versioning_configuration.status") {
            Fact::Known("Enabled") => Outcome::Pass,
            Fact::Unknown => Outcome::unknown("versioning_configuration.status"),
            _ => Outcome::fail("versioning not enabled"),
        },
        "versioning not enabled",
    )
}

fn mfa_delete(b: &Resource, set: &ResourceSet) -> Outcome {
    let inline = match bool_at(b, "versioning.mfa_delete") {
        Fact::Known(true) => Some(Outcome::Pass),
        Fact::Unknown => Some(Outcome::unknown("versioning.mfa_delete")),
        _ => None,
    };
    inline_or_related(
        b,
        set,
        inline,
        "aws_s3_bucket_versioning",
        |v| match str_at(v, "versioning_configuration.mfa_delete") {
            Fact::Known("Enabled") => Outcome::Pass,
            Fact::Unknown => Outcome::unknown("versioning_configuration.mfa_delete"),
            _ => Outcome::fail("MFA delete not enabled"),
        },
        "MFA delete not enabled",
    )
}

fn logging(b: &Resource, set: &ResourceSet) -> Outcome {
    present(
        b,
        set,
        "logging",
        "aws_s3_bucket_logging",
        "access logging not enabled",
    )
}

fn present(b: &Resource, set: &ResourceSet, inline: &str, t: &str, missing: &str) -> Outcome {
    let inl = match b.get(inline) {
        Attr::Known(Json::Array(a)) if !a.is_empty() => Some(Outcome::Pass),
        Attr::Known(Json::Object(_)) => Some(Outcome::Pass),
        Attr::Unknown => Some(Outcome::unknown(inline)),
        _ => None,
    };
    inline_or_related(b, set, inl, t, |_| Outcome::Pass, missing)
}

fn pab_resource(p: &Resource, _: &ResourceSet) -> Outcome {
    let mut off = Vec::new();
    for f in [
        "block_public_acls",
        "block_public_policy",
        "ignore_public_acls",
        "restrict_public_buckets",
    ] {
        match p.get(f).known().and_then(as_bool) {
            Some(true) => {}
            _ if p.get(f) == Attr::Unknown => return Outcome::unknown(f),
            _ => off.push(f),
        }
    }
    Outcome::check(off.is_empty(), format!("{} not true", off.join(", ")))
}

/// ACLs are disabled only with object ownership `BucketOwnerEnforced`.
fn acls_disabled(b: &Resource, set: &ResourceSet) -> Outcome {
    inline_or_related(
        b,
        set,
        None,
        "aws_s3_bucket_ownership_controls",
        |c| match str_at(c, "rule.object_ownership") {
            Fact::Known("BucketOwnerEnforced") => Outcome::Pass,
            Fact::Known(o) => Outcome::fail(format!("object_ownership = \"{o}\" (ACLs apply)")),
            Fact::Unknown => Outcome::unknown("rule.object_ownership"),
            Fact::Absent => Outcome::fail("no object_ownership rule"),
        },
        "ACLs enabled: no aws_s3_bucket_ownership_controls with BucketOwnerEnforced",
    )
}

fn object_lock(b: &Resource, _: &ResourceSet) -> Outcome {
    match bool_at(b, "object_lock_enabled") {
        Fact::Known(true) => return Outcome::Pass,
        Fact::Unknown => return Outcome::unknown("object_lock_enabled"),
        _ => {}
    }
    match str_at(b, "object_lock_configuration.object_lock_enabled") {
        Fact::Known("Enabled") => Outcome::Pass,
        Fact::Unknown => Outcome::unknown("object_lock_configuration.object_lock_enabled"),
        _ => Outcome::fail("object lock not enabled"),
    }
}

const BUCKET: &[&str] = &["aws_s3_bucket"];

pub const CHECKS: &[Check] = &[
    Check {
        id: "AWS-S3-001",
        title: "S3 bucket ACL grants public access",
        severity: Severity::High,
        description: "A canned ACL of public-read, public-read-write or authenticated-read, or a grant to the AllUsers/AuthenticatedUsers groups, exposes the bucket to anyone.",
        remediation: Remediation {
            console: "S3 > bucket > Permissions > Access control list: remove Everyone and Authenticated users grants; set Object Ownership to Bucket owner enforced.",
            cli: "aws s3api put-bucket-acl --bucket BUCKET --acl private",
            terraform: "Set acl = \"private\" on aws_s3_bucket_acl (or drop the ACL and use aws_s3_bucket_ownership_controls with BucketOwnerEnforced).",
        },
        resource_types: BUCKET,
        cis: &["2.1.4"],
        eval: public_acl,
    },
    Check {
        id: "AWS-S3-002",
        title: "S3 bucket policy allows public access",
        severity: Severity::Critical,
        description: "A bucket policy statement allows Principal \"*\" without a narrowing condition.",
        remediation: Remediation {
            console: "S3 > bucket > Permissions > Bucket policy: restrict Principal to specific accounts or add conditions.",
            cli: "aws s3api put-bucket-policy --bucket BUCKET --policy file://policy.json",
            terraform: "Replace Principal \"*\" in aws_s3_bucket_policy.policy with specific principals.",
        },
        resource_types: BUCKET,
        cis: &["2.1.4"],
        eval: public_policy,
    },
    Check {
        id: "AWS-S3-003",
        title: "S3 bucket has no complete public access block",
        severity: Severity::Medium,
        description: "Without all four public access block settings, a later ACL or policy change can make the bucket public.",
        remediation: Remediation {
            console: "S3 > bucket > Permissions > Block public access: enable all four settings.",
            cli: "aws s3api put-public-access-block --bucket BUCKET --public-access-block-configuration BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true",
            terraform: "Add aws_s3_bucket_public_access_block with bucket = aws_s3_bucket.X.id and all four flags true.",
        },
        resource_types: BUCKET,
        cis: &["2.1.4"],
        eval: public_access_block,
    },
    Check {
        id: "AWS-S3-004",
        title: "S3 bucket has no default encryption configured",
        severity: Severity::Low,
        description: "No server-side encryption configuration is declared. AWS applies SSE-S3 to new buckets since January 2023; declaring it keeps the setting explicit and comparable with the live bucket.",
        remediation: Remediation {
            console: "S3 > bucket > Properties > Default encryption: choose SSE-KMS.",
            cli: "aws s3api put-bucket-encryption --bucket BUCKET --server-side-encryption-configuration '{\"Rules\":[{\"ApplyServerSideEncryptionByDefault\":{\"SSEAlgorithm\":\"aws:kms\"}}]}'",
            terraform: "Add aws_s3_bucket_server_side_encryption_configuration with sse_algorithm = \"aws:kms\".",
        },
        resource_types: BUCKET,
        cis: &[],
        eval: |b, s| encryption(b, s, false),
    },
    Check {
        id: "AWS-S3-005",
        title: "S3 bucket default encryption does not use KMS",
        severity: Severity::Low,
        description: "Default encryption uses SSE-S3 (AES256) or nothing instead of a KMS key you control.",
        remediation: Remediation {
            console: "S3 > bucket > Properties > Default encryption: SSE-KMS with a customer managed key.",
            cli: "aws s3api put-bucket-encryption --bucket BUCKET --server-side-encryption-configuration '{\"Rules\":[{\"ApplyServerSideEncryptionByDefault\":{\"SSEAlgorithm\":\"aws:kms\",\"KMSMasterKeyID\":\"KEY\"}}]}'",
            terraform: "sse_algorithm = \"aws:kms\" and kms_master_key_id = aws_kms_key.X.arn.",
        },
        resource_types: BUCKET,
        cis: &[],
        eval: |b, s| encryption(b, s, true),
    },
    Check {
        id: "AWS-S3-006",
        title: "S3 bucket versioning is not enabled",
        severity: Severity::Low,
        description: "Without versioning, overwritten or deleted objects cannot be recovered.",
        remediation: Remediation {
            console: "S3 > bucket > Properties > Bucket Versioning: Enable.",
            cli: "aws s3api put-bucket-versioning --bucket BUCKET --versioning-configuration Status=Enabled",
            terraform: "Add aws_s3_bucket_versioning with versioning_configuration { status = \"Enabled\" }.",
        },
        resource_types: BUCKET,
        cis: &[],
        eval: versioning,
    },
    Check {
        id: "AWS-S3-007",
        title: "S3 bucket access logging is not enabled",
        severity: Severity::Low,
        description: "Server access logs record requests to the bucket for investigations.",
        remediation: Remediation {
            console: "S3 > bucket > Properties > Server access logging: Enable, choose a target bucket.",
            cli: "aws s3api put-bucket-logging --bucket BUCKET --bucket-logging-status file://logging.json",
            terraform: "Add aws_s3_bucket_logging with target_bucket = the log bucket.",
        },
        resource_types: BUCKET,
        cis: &[],
        eval: logging,
    },
    Check {
        id: "AWS-S3-008",
        title: "S3 bucket policy does not deny HTTP (non-TLS) requests",
        severity: Severity::Medium,
        description: "A statement denying requests with aws:SecureTransport = false enforces TLS.",
        remediation: Remediation {
            console: "S3 > bucket > Permissions > Bucket policy: add a Deny for s3:* when aws:SecureTransport is false.",
            cli: "aws s3api put-bucket-policy --bucket BUCKET --policy file://deny-http.json",
            terraform: "Add a statement { effect = \"Deny\", actions = [\"s3:*\"], condition { test = \"Bool\", variable = \"aws:SecureTransport\", values = [\"false\"] } } to the bucket policy.",
        },
        resource_types: BUCKET,
        cis: &["2.1.1"],
        eval: tls_only,
    },
    Check {
        id: "AWS-S3-009",
        title: "S3 bucket MFA delete is not enabled",
        severity: Severity::Low,
        description: "MFA delete requires a second factor to delete object versions or change versioning.",
        remediation: Remediation {
            console: "Only the root user with the CLI can enable MFA delete.",
            cli: "aws s3api put-bucket-versioning --bucket BUCKET --versioning-configuration Status=Enabled,MFADelete=Enabled --mfa 'SERIAL CODE'",
            terraform: "versioning_configuration { status = \"Enabled\", mfa_delete = \"Enabled\" } with mfa set.",
        },
        resource_types: BUCKET,
        cis: &["2.1.2"],
        eval: mfa_delete,
    },
    Check {
        id: "AWS-S3-010",
        title: "S3 bucket has no lifecycle configuration",
        severity: Severity::Low,
        description: "Without lifecycle rules, old objects and versions are kept forever.",
        remediation: Remediation {
            console: "S3 > bucket > Management > Lifecycle rules: create a rule.",
            cli: "aws s3api put-bucket-lifecycle-configuration --bucket BUCKET --lifecycle-configuration file://lifecycle.json",
            terraform: "Add aws_s3_bucket_lifecycle_configuration for the bucket.",
        },
        resource_types: BUCKET,
        cis: &[],
        eval: |b, s| {
            present(
                b,
                s,
                "lifecycle_rule",
                "aws_s3_bucket_lifecycle_configuration",
                "no lifecycle configuration",
            )
        },
    },
    Check {
        id: "AWS-S3-011",
        title: "S3 bucket has no cross-region replication",
        severity: Severity::Low,
        description: "Replication keeps a copy of the data in another region for resilience.",
        remediation: Remediation {
            console: "S3 > bucket > Management > Replication rules: create a rule.",
            cli: "aws s3api put-bucket-replication --bucket BUCKET --replication-configuration file://replication.json",
            terraform: "Add aws_s3_bucket_replication_configuration for the bucket.",
        },
        resource_types: BUCKET,
        cis: &[],
        eval: |b, s| {
            present(
                b,
                s,
                "replication_configuration",
                "aws_s3_bucket_replication_configuration",
                "no replication configuration",
            )
        },
    },
    Check {
        id: "AWS-S3-012",
        title: "S3 bucket has no event notifications",
        severity: Severity::Low,
        description: "Event notifications let you react to object changes (scanning, auditing).",
        remediation: Remediation {
            console: "S3 > bucket > Properties > Event notifications: create one.",
            cli: "aws s3api put-bucket-notification-configuration --bucket BUCKET --notification-configuration file://n.json",
            terraform: "Add aws_s3_bucket_notification for the bucket.",
        },
        resource_types: BUCKET,
        cis: &[],
        eval: |b, s| {
            present(
                b,
                s,
                "notification",
                "aws_s3_bucket_notification",
                "no event notifications",
            )
        },
    },
    Check {
        id: "AWS-S3-013",
        title: "S3 public access block resource leaves a setting off",
        severity: Severity::Medium,
        description: "An aws_s3_bucket_public_access_block with any of its four flags false or unset.",
        remediation: Remediation {
            console: "S3 > bucket > Permissions > Block public access: enable all four settings.",
            cli: "aws s3api put-public-access-block --bucket BUCKET --public-access-block-configuration BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true",
            terraform: "Set block_public_acls, block_public_policy, ignore_public_acls and restrict_public_buckets to true.",
        },
        resource_types: &["aws_s3_bucket_public_access_block"],
        cis: &["2.1.4"],
        eval: pab_resource,
    },
    Check {
        id: "AWS-S3-014",
        title: "S3 account-level public access block is not fully enabled",
        severity: Severity::High,
        description: "The account's public access block overrides every bucket; with any of its four settings off, one bucket's ACL or policy can make data public.",
        remediation: Remediation {
            console: "S3 > Block Public Access settings for this account > Edit: enable all four settings.",
            cli: "aws s3control put-public-access-block --account-id ACCOUNT --public-access-block-configuration BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true",
            terraform: "Add aws_s3_account_public_access_block with block_public_acls, block_public_policy, ignore_public_acls and restrict_public_buckets = true.",
        },
        resource_types: &["aws_s3_account_public_access_block"],
        cis: &["2.1.4"],
        eval: pab_resource,
    },
    Check {
        id: "AWS-S3-015",
        title: "S3 bucket ACLs are enabled",
        severity: Severity::Low,
        description: "Unless object ownership is BucketOwnerEnforced, ACLs on the bucket and its objects still grant access beside the policy, which is how most accidental public objects happen.",
        remediation: Remediation {
            console: "S3 > bucket > Permissions > Object Ownership > Edit: ACLs disabled (Bucket owner enforced).",
            cli: "aws s3api put-bucket-ownership-controls --bucket BUCKET --ownership-controls 'Rules=[{ObjectOwnership=BucketOwnerEnforced}]'",
            terraform: "Add aws_s3_bucket_ownership_controls with rule { object_ownership = \"BucketOwnerEnforced\" }.",
        },
        resource_types: BUCKET,
        cis: &[],
        eval: acls_disabled,
    },
    Check {
        id: "AWS-S3-016",
        title: "S3 bucket object lock is not enabled",
        severity: Severity::Low,
        description: "Object lock (WORM) protects objects — audit logs, backups — against deletion and overwrite, also by ransomware with stolen credentials.",
        remediation: Remediation {
            console: "S3 > bucket > Properties > Object Lock > Edit: Enable (versioning must be on).",
            cli: "aws s3api put-object-lock-configuration --bucket BUCKET --object-lock-configuration ObjectLockEnabled=Enabled",
            terraform: "object_lock_enabled = true on aws_s3_bucket (and aws_s3_bucket_object_lock_configuration for a default retention).",
        },
        resource_types: BUCKET,
        cis: &[],
        eval: object_lock,
    },
];
