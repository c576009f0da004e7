//! Policy evaluation test vectors taken from the examples in AWS's IAM documentation. Each case names the
//! documentation section it comes from.

use DecisionEffect::{Allow, ExplicitDeny, ImplicitDeny};
use rampart_iam::{DecisionEffect, Policy, PolicySet, Request, RequestPrincipal, evaluate};

const A: &str = "111122223333";
const B: &str = "444455556666";

#[derive(Clone, Copy)]
enum Who {
    Alice,
    /// A session of `role/Dev` in account A.
    DevSession,
    /// A user in account B.
    Bob,
}

struct Case {
    doc: &'static str,
    identity: &'static [&'static str],
    resource: &'static [&'static str],
    boundary: Option<&'static [&'static str]>,
    scps: &'static [&'static [&'static str]],
    session: Option<&'static [&'static str]>,
    who: Who,
    action: &'static str,
    arn: &'static str,
    ctx: &'static [(&'static str, &'static str)],
    multi: &'static [(&'static str, &'static [&'static str])],
    expect: DecisionEffect,
}

const BASE: Case = Case {
    doc: "",
    identity: &[],
    resource: &[],
    boundary: None,
    scps: &[],
    session: None,
    who: Who::Alice,
    action: "s3:GetObject",
    arn: "arn:aws:s3:::bucket/key",
    ctx: &[],
    multi: &[],
    expect: ImplicitDeny,
};

const S3_ALL: &str =
    r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}"#;
const ALL: &str =
    r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#;

fn policies(list: &[&str], label: &str) -> Vec<Policy> {
    list.iter()
        .enumerate()
        .map(|(i, t)| {
            let p = Policy::parse(&format!("{label}{i}"), t);
            p.policy
        })
        .collect()
}

fn run(c: &Case) -> (DecisionEffect, bool) {
    let principal = match c.who {
        Who::Alice => RequestPrincipal::user(A, "alice").with_tag("team", "blue"),
        Who::DevSession => {
            RequestPrincipal::assumed_role(&format!("arn:aws:iam::{A}:role/Dev"), "s1")
        }
        Who::Bob => RequestPrincipal::user(B, "bob"),
    };
    let mut req = Request::new(principal, c.action, c.arn);
    if c.arn.starts_with("arn:aws:s3:::") {
        // S3 ARNs carry no account: the bucket is in account A.
        req.resource_account = Some(A.to_string());
    }
    for (k, v) in c.ctx {
        req = req.with(k, v);
    }
    for (k, v) in c.multi {
        req = req.with_multi(k, v);
    }
    let identity = policies(c.identity, "identity");
    let resource = policies(c.resource, "resource");
    let boundary = c.boundary.map(|b| policies(b, "boundary"));
    let session = c.session.map(|b| policies(b, "session"));
    let scps: Vec<Vec<Policy>> = c.scps.iter().map(|l| policies(l, "scp")).collect();
    let set = PolicySet {
        identity: identity.iter().collect(),
        resource: resource.iter().collect(),
        boundary: boundary.as_ref().map(|b| b.iter().collect()),
        scp_levels: scps.iter().map(|l| l.iter().collect()).collect(),
        session: session.as_ref().map(|b| b.iter().collect()),
    };
    let d = evaluate(&req, &set);
    (d.effect, d.conditional)
}

fn cases() -> Vec<Case> {
    vec![
        // ---- Policy evaluation logic
        Case {
            doc: "Policy evaluation logic: default is implicit deny",
            ..BASE
        },
        Case {
            doc: "Policy evaluation logic: identity-based allow",
            identity: &[S3_ALL],
            expect: Allow,
            ..BASE
        },
        Case {
            doc: "Policy evaluation logic: an explicit deny overrides any allow",
            identity: &[
                S3_ALL,
                r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/*"}}"#,
            ],
            expect: ExplicitDeny,
            ..BASE
        },
        Case {
            doc: "Evaluating policies within a single account: resource-based policy naming the user grants without identity policy",
            resource: &[
                r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/alice"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/*"}}"#,
            ],
            expect: Allow,
            ..BASE
        },
        Case {
            doc: "Evaluating policies within a single account: resource policy naming the account root delegates to identity policies",
            resource: &[
                r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/*"}}"#,
            ],
            ..BASE
        },
        Case {
            doc: "Evaluating policies within a single account: a deny in the resource-based policy wins",
            identity: &[S3_ALL],
            resource: &[
                r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::bucket/*"}}"#,
            ],
            expect: ExplicitDeny,
            ..BASE
        },
        // ---- Permissions boundaries
        Case {
            doc: "Permissions boundaries: effective permissions are the intersection of identity policy and boundary",
            identity: &[ALL],
            boundary: Some(&[S3_ALL]),
            expect: Allow,
            ..BASE
        },
        Case {
            doc: "Permissions boundaries: an action outside the boundary is implicitly denied",
            identity: &[ALL],
            boundary: Some(&[S3_ALL]),
            action: "iam:CreateUser",
            arn: "arn:aws:iam::111122223333:user/x",
            ..BASE
        },
        Case {
            doc: "Permissions boundaries: a boundary alone grants nothing",
            boundary: Some(&[S3_ALL]),
            ..BASE
        },
        Case {
            doc: "Permissions boundaries: resource-based policy naming the IAM user is not limited by the boundary",
            boundary: Some(&[
                r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"ec2:*","Resource":"*"}}"#,
            ]),
            resource: &[
                r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/alice"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/*"}}"#,
            ],
            expect: Allow,
            ..BASE
        },
        Case {
            doc: "Permissions boundaries: resource-based policy naming the role ARN is limited by the role's boundary",
            who: Who::DevSession,
            boundary: Some(&[
                r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"ec2:*","Resource":"*"}}"#,
            ]),
            resource: &[
                r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/Dev"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/*"}}"#,
            ],
            ..BASE
        },
        Case {
            doc: "Permissions boundaries: resource-based policy naming the role session ARN is not limited",
            who: Who::DevSession,
            boundary: Some(&[
                r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"ec2:*","Resource":"*"}}"#,
            ]),
            resource: &[
                r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:sts::111122223333:assumed-role/Dev/s1"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/*"}}"#,
            ],
            expect: Allow,
            ..BASE
        },
        // ---- Service control policies
        Case {
            doc: "SCPs: an SCP that does not allow the action blocks it even for an admin",
            identity: &[ALL],
            scps: &[&[
                r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"ec2:*","Resource":"*"}}"#,
            ]],
            ..BASE
        },
        Case {
            doc: "SCPs: FullAWSAccess at every level lets identity policies decide",
            identity: &[S3_ALL],
            scps: &[&[ALL], &[ALL]],
            expect: Allow,
            ..BASE
        },
        Case {
            doc: "SCPs: every level of the hierarchy must allow (OU level missing)",
            identity: &[S3_ALL],
            scps: &[
                &[ALL],
                &[
                    r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"ec2:*","Resource":"*"}}"#,
                ],
            ],
            ..BASE
        },
        Case {
            doc: "SCPs: deny list strategy, an explicit deny in an SCP",
            identity: &[ALL],
            scps: &[&[
                ALL,
                r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"s3:GetObject","Resource":"*"}}"#,
            ]],
            expect: ExplicitDeny,
            ..BASE
        },
        Case {
            doc: "SCPs: SCPs do not grant permissions by themselves",
            scps: &[&[ALL]],
            ..BASE
        },
        // ---- Session policies
        Case {
            doc: "Session policies: effective permissions are the intersection with the session policy",
            who: Who::DevSession,
            identity: &[ALL],
            session: Some(&[
                r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}"#,
            ]),
            expect: Allow,
            ..BASE
        },
        Case {
            doc: "Session policies: actions outside the session policy are denied",
            who: Who::DevSession,
            identity: &[ALL],
            session: Some(&[
                r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}"#,
            ]),
            action: "s3:PutObject",
            ..BASE
        },
        // ---- Cross-account policy evaluation logic
        Case {
            doc: "Cross-account policy evaluation logic: identity policy alone is not enough",
            who: Who::Bob,
            identity: &[S3_ALL],
            ..BASE
        },
        Case {
            doc: "Cross-account policy evaluation logic: both sides allow",
            who: Who::Bob,
            identity: &[S3_ALL],
            resource: &[
                r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"444455556666"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/*"}}"#,
            ],
            expect: Allow,
            ..BASE
        },
        Case {
            doc: "Cross-account policy evaluation logic: resource policy alone is not enough",
            who: Who::Bob,
            resource: &[
                r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:user/bob"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/*"}}"#,
            ],
            ..BASE
        },
        // ---- Policy elements
        Case {
            doc: "IAM JSON policy elements: NotAction (allow everything except IAM)",
            identity: &[
                r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}}"#,
            ],
            expect: Allow,
            ..BASE
        },
        Case {
            doc: "IAM JSON policy elements: NotAction (IAM is not allowed)",
            identity: &[
                r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}}"#,
            ],
            action: "iam:CreateUser",
            arn: "arn:aws:iam::111122223333:user/x",
            ..BASE
        },
        Case {
            doc: "IAM JSON policy elements: NotResource (deny everything except one bucket)",
            identity: &[
                S3_ALL,
                r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"s3:*","NotResource":["arn:aws:s3:::HRBucket/Payroll","arn:aws:s3:::HRBucket/Payroll/*"]}}"#,
            ],
            expect: ExplicitDeny,
            ..BASE
        },
        Case {
            doc: "IAM JSON policy elements: NotResource (the excluded resource stays allowed)",
            identity: &[
                S3_ALL,
                r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"s3:*","NotResource":["arn:aws:s3:::HRBucket/Payroll","arn:aws:s3:::HRBucket/Payroll/*"]}}"#,
            ],
            arn: "arn:aws:s3:::HRBucket/Payroll/jan.csv",
            expect: Allow,
            ..BASE
        },
        Case {
            doc: "IAM JSON policy elements: NotPrincipal with Deny (everyone but alice is denied)",
            identity: &[S3_ALL],
            resource: &[
                r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:iam::111122223333:user/alice","arn:aws:iam::111122223333:root"]},"Action":"s3:*","Resource":"*"}}"#,
            ],
            expect: Allow,
            ..BASE
        },
        Case {
            doc: "IAM JSON policy elements: NotPrincipal with Deny (a principal not listed is denied)",
            who: Who::Bob,
            identity: &[S3_ALL],
            resource: &[
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::111122223333:user/alice"},"Action":"s3:*","Resource":"*"},{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}]}"#,
            ],
            expect: ExplicitDeny,
            ..BASE
        },
        Case {
            doc: "IAM JSON policy elements: Action is case-insensitive",
            identity: &[
                r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"S3:getobject","Resource":"*"}}"#,
            ],
            expect: Allow,
            ..BASE
        },
        Case {
            doc: "IAM JSON policy elements: Resource ARNs are case-sensitive",
            identity: &[
                r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::BUCKET/*"}}"#,
            ],
            ..BASE
        },
        Case {
            doc: "IAM JSON policy elements: Resource wildcard does not span ARN segments",
            identity: &[
                r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iam:GetUser","Resource":"arn:aws:iam::*:user/al?ce"}}"#,
            ],
            action: "iam:GetUser",
            arn: "arn:aws:iam::111122223333:user/alice",
            expect: Allow,
            ..BASE
        },
        // ---- Condition operators
        Case {
            doc: "Condition operators: Bool aws:MultiFactorAuthPresent true",
            identity: &[
                r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}}"#,
            ],
            ctx: &[("aws:MultiFactorAuthPresent", "true")],
            expect: Allow,
            ..BASE
        },
        Case {
            doc: "Condition operators: Bool with a missing key is false (long-term keys carry no MFA key)",
            identity: &[
                r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":true}}}}"#,
            ],
            ..BASE
        },
        Case {
            doc: "Condition operators: BoolIfExists deny without MFA also denies requests lacking the key",
            identity: &[
                S3_ALL,
                r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}}}}"#,
            ],
            expect: ExplicitDeny,
            ..BASE
        },
        Case {
            doc: "Condition operators: ...IfExists with the key present and not matching is false",
            identity: &[
                S3_ALL,
                r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}}}}"#,
            ],
            ctx: &[("aws:MultiFactorAuthPresent", "true")],
            expect: Allow,
            ..BASE
        },
        Case {
            doc: "Condition operators: DateGreaterThan/DateLessThan allow within a date range",
            identity: &[
                r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"DateGreaterThan":{"aws:CurrentTime":"2020-04-01T00:00:00Z"},"DateLessThan":{"aws:CurrentTime":"2020-06-30T23:59:59Z"}}}}"#,
            ],
            ctx: &[("aws:CurrentTime", "2020-05-15T12:00:00Z")],
            expect: Allow,
            ..BASE
        },
        Case {
            doc: "Condition operators: DateLessThan outside the range",
            identity: &[
                r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"DateGreaterThan":{"aws:CurrentTime":"2020-04-01T00:00:00Z"},"DateLessThan":{"aws:CurrentTime":"2020-06-30T23:59:59Z"}}}}"#,
            ],
            ctx: &[("aws:CurrentTime", "2021-01-01T00:00:00Z")],
            ..BASE
        },
        Case {
            doc: "Condition operators: Date condition with epoch seconds (aws:EpochTime)",
            identity: &[
                r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"DateLessThan":{"aws:EpochTime":"1700000000"}}}}"#,
            ],
            ctx: &[("aws:EpochTime", "1600000000")],
            expect: Allow,
            ..BASE
        },
        Case {
            doc: "AWS: Denies access to AWS based on the source IP (request from outside the ranges)",
            identity: &[
                S3_ALL,
                r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"NotIpAddress":{"aws:SourceIp":["192.0.2.0/24","203.0.113.0/24"]},"Bool":{"aws:ViaAWSService":"false"}}}}"#,
            ],
            ctx: &[
                ("aws:SourceIp", "198.51.100.7"),
                ("aws:ViaAWSService", "false"),
            ],
            expect: ExplicitDeny,
            ..BASE
        },
        Case {
            doc: "AWS: Denies access to AWS based on the source IP (request from an allowed range)",
            identity: &[
                S3_ALL,
                r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"NotIpAddress":{"aws:SourceIp":["192.0.2.0/24","203.0.113.0/24"]},"Bool":{"aws:ViaAWSService":"false"}}}}"#,
            ],
            ctx: &[
                ("aws:SourceIp", "203.0.113.9"),
                ("aws:ViaAWSService", "false"),
            ],
            expect: Allow,
            ..BASE
        },
        Case {
            doc: "Condition operators: IpAddress with IPv6 CIDR",
            identity: &[
                r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"2001:DB8:1234:5678::/64"}}}}"#,
            ],
            ctx: &[("aws:SourceIp", "2001:db8:1234:5678::1")],
            expect: Allow,
            ..BASE
        },
        Case {
            doc: "IAM policy elements: Variables and tags, home folder with ${aws:username}",
            identity: &[
                r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::bucket","Condition":{"StringLike":{"s3:prefix":["home/${aws:username}/*"]}}}}"#,
            ],
            action: "s3:ListBucket",
            arn: "arn:aws:s3:::bucket",
            ctx: &[("s3:prefix", "home/alice/docs")],
            expect: Allow,
            ..BASE
        },
        Case {
            doc: "IAM policy elements: Variables and tags, another user's folder is not listed",
            identity: &[
                r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::bucket","Condition":{"StringLike":{"s3:prefix":["home/${aws:username}/*"]}}}}"#,
            ],
            action: "s3:ListBucket",
            arn: "arn:aws:s3:::bucket",
            ctx: &[("s3:prefix", "home/bob/docs")],
            ..BASE
        },
        Case {
            doc: "IAM policy elements: Variables in Resource (${aws:username})",
            identity: &[
                r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::bucket/home/${aws:username}/*"}}"#,
            ],
            arn: "arn:aws:s3:::bucket/home/alice/x",
            expect: Allow,
            ..BASE
        },
        Case {
            doc: "IAM policy elements: Variables are literal in Version 2008-10-17",
            identity: &[
                r#"{"Version":"2008-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::bucket/home/${aws:username}/*"}}"#,
            ],
            arn: "arn:aws:s3:::bucket/home/alice/x",
            ..BASE
        },
        Case {
            doc: "IAM policy elements: Principal tag variable ${aws:PrincipalTag/team}",
            identity: &[
                r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::${aws:PrincipalTag/team}-data/*"}}"#,
            ],
            arn: "arn:aws:s3:::blue-data/x",
            expect: Allow,
            ..BASE
        },
        Case {
            doc: "IAM policy elements: a variable with no value makes the element match nothing",
            identity: &[
                r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::${aws:PrincipalTag/project}-data/*"}}"#,
            ],
            arn: "arn:aws:s3:::-data/x",
            ..BASE
        },
        Case {
            doc: "IAM policy elements: variable default values",
            identity: &[
                r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::${aws:PrincipalTag/project, 'shared'}-data/*"}}"#,
            ],
            arn: "arn:aws:s3:::shared-data/x",
            expect: Allow,
            ..BASE
        },
        Case {
            doc: "IAM policy elements: special characters ${*} match a literal asterisk",
            identity: &[
                r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::bucket/${*}x"}}"#,
            ],
            arn: "arn:aws:s3:::bucket/abcx",
            ..BASE
        },
        Case {
            doc: "IAM policy elements: special characters ${*} (the literal key)",
            identity: &[
                r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::bucket/${*}x"}}"#,
            ],
            arn: "arn:aws:s3:::bucket/*x",
            expect: Allow,
            ..BASE
        },
        Case {
            doc: "Multivalued context keys: ForAllValues:StringEquals aws:TagKeys within the allowed set",
            identity: &[
                r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"ec2:CreateTags","Resource":"*","Condition":{"ForAllValues:StringEquals":{"aws:TagKeys":["environment","cost-center"]}}}}"#,
            ],
            action: "ec2:CreateTags",
            arn: "arn:aws:ec2:us-east-1:111122223333:instance/i-1",
            multi: &[("aws:TagKeys", &["environment"])],
            expect: Allow,
            ..BASE
        },
        Case {
            doc: "Multivalued context keys: ForAllValues fails when one request value is outside the set",
            identity: &[
                r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"ec2:CreateTags","Resource":"*","Condition":{"ForAllValues:StringEquals":{"aws:TagKeys":["environment","cost-center"]}}}}"#,
            ],
            action: "ec2:CreateTags",
            arn: "arn:aws:ec2:us-east-1:111122223333:instance/i-1",
            multi: &[("aws:TagKeys", &["environment", "owner"])],
            ..BASE
        },
        Case {
            doc: "Multivalued context keys: ForAllValues returns true when the key is missing",
            identity: &[
                r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"ec2:CreateTags","Resource":"*","Condition":{"ForAllValues:StringEquals":{"aws:TagKeys":["environment"]}}}}"#,
            ],
            action: "ec2:CreateTags",
            arn: "arn:aws:ec2:us-east-1:111122223333:instance/i-1",
            expect: Allow,
            ..BASE
        },
        Case {
            doc: "Multivalued context keys: ForAnyValue:StringEquals matches one of the values",
            identity: &[
                r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"ec2:CreateTags","Resource":"*","Condition":{"ForAnyValue:StringEquals":{"aws:TagKeys":["environment"]}}}}"#,
            ],
            action: "ec2:CreateTags",
            arn: "arn:aws:ec2:us-east-1:111122223333:instance/i-1",
            multi: &[("aws:TagKeys", &["owner", "environment"])],
            expect: Allow,
            ..BASE
        },
        Case {
            doc: "Multivalued context keys: ForAnyValue returns false when the key is missing",
            identity: &[
                r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"ec2:CreateTags","Resource":"*","Condition":{"ForAnyValue:StringEquals":{"aws:TagKeys":["environment"]}}}}"#,
            ],
            action: "ec2:CreateTags",
            arn: "arn:aws:ec2:us-east-1:111122223333:instance/i-1",
            ..BASE
        },
        Case {
            doc: "Condition operators: Null check, temporary credentials only (aws:TokenIssueTime present)",
            identity: &[
                r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"Null":{"aws:TokenIssueTime":"false"}}}}"#,
            ],
            ctx: &[("aws:TokenIssueTime", "2024-01-01T00:00:00Z")],
            expect: Allow,
            ..BASE
        },
        Case {
            doc: "Condition operators: Null check fails for long-term credentials",
            identity: &[
                r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"Null":{"aws:TokenIssueTime":"false"}}}}"#,
            ],
            ..BASE
        },
        Case {
            doc: "Condition operators: NumericLessThanEquals s3:max-keys",
            identity: &[
                r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::bucket","Condition":{"NumericLessThanEquals":{"s3:max-keys":"10"}}}}"#,
            ],
            action: "s3:ListBucket",
            arn: "arn:aws:s3:::bucket",
            ctx: &[("s3:max-keys", "10")],
            expect: Allow,
            ..BASE
        },
        Case {
            doc: "Condition operators: NumericLessThanEquals over the limit",
            identity: &[
                r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::bucket","Condition":{"NumericLessThanEquals":{"s3:max-keys":"10"}}}}"#,
            ],
            action: "s3:ListBucket",
            arn: "arn:aws:s3:::bucket",
            ctx: &[("s3:max-keys", "11")],
            ..BASE
        },
        Case {
            doc: "Condition operators: ArnLike aws:SourceArn (confused deputy prevention)",
            resource: &[
                r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/*","Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:sns:*:111122223333:topic-*"}}}}"#,
            ],
            ctx: &[(
                "aws:SourceArn",
                "arn:aws:sns:us-east-1:111122223333:topic-a",
            )],
            expect: Allow,
            ..BASE
        },
        Case {
            doc: "Condition operators: ArnEquals does not match another account",
            resource: &[
                r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/*","Condition":{"ArnEquals":{"aws:SourceArn":"arn:aws:sns:*:111122223333:topic-*"}}}}"#,
            ],
            ctx: &[(
                "aws:SourceArn",
                "arn:aws:sns:us-east-1:999999999999:topic-a",
            )],
            ..BASE
        },
        Case {
            doc: "Condition operators: StringEqualsIgnoreCase",
            identity: &[
                r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEqualsIgnoreCase":{"aws:PrincipalTag/team":"BLUE"}}}}"#,
            ],
            expect: Allow,
            ..BASE
        },
        Case {
            doc: "Condition operators: StringNotEquals with a missing key evaluates to true",
            identity: &[
                r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringNotEquals":{"aws:RequestedRegion":"eu-west-1"}}}}"#,
            ],
            expect: Allow,
            ..BASE
        },
        Case {
            doc: "Condition operators: multiple values of one key are ORed",
            identity: &[
                r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"aws:RequestedRegion":["us-east-1","us-west-2"]}}}}"#,
            ],
            ctx: &[("aws:RequestedRegion", "us-west-2")],
            expect: Allow,
            ..BASE
        },
        Case {
            doc: "Condition operators: multiple keys and operators are ANDed",
            identity: &[
                r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"aws:RequestedRegion":"us-east-1","aws:PrincipalTag/team":"blue"},"Bool":{"aws:SecureTransport":"true"}}}}"#,
            ],
            ctx: &[
                ("aws:RequestedRegion", "us-east-1"),
                ("aws:SecureTransport", "false"),
            ],
            ..BASE
        },
        Case {
            doc: "Condition operators: condition keys are case-insensitive",
            identity: &[
                r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"AWS:REQUESTEDREGION":"us-east-1"}}}}"#,
            ],
            ctx: &[("aws:RequestedRegion", "us-east-1")],
            expect: Allow,
            ..BASE
        },
        Case {
            doc: "Condition operators: BinaryEquals compares base64 values",
            identity: &[
                r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"BinaryEquals":{"key":"QmluYXJ5VmFsdWVJbkJhc2U2NA=="}}}}"#,
            ],
            ctx: &[("key", "QmluYXJ5VmFsdWVJbkJhc2U2NA==")],
            expect: Allow,
            ..BASE
        },
        // ---- Rampart's conservative handling of bad input
        Case {
            doc: "Rampart: an unknown condition operator never grants",
            identity: &[
                r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringFuzzy":{"aws:RequestedRegion":"us-east-1"}}}}"#,
            ],
            ctx: &[("aws:RequestedRegion", "us-east-1")],
            ..BASE
        },
        Case {
            doc: "Rampart: an unknown condition operator in a Deny is treated as matching",
            identity: &[
                S3_ALL,
                r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"s3:*","Resource":"*","Condition":{"StringFuzzy":{"aws:RequestedRegion":"us-east-1"}}}}"#,
            ],
            expect: ExplicitDeny,
            ..BASE
        },
        Case {
            doc: "Rampart: a document that is not JSON grants nothing and the other policies still apply",
            identity: &["{\"Statement\": [", S3_ALL],
            expect: Allow,
            ..BASE
        },
    ]
}

#[test]
fn aws_documentation_vectors() {
    let mut failures = Vec::new();
    let all = cases();
    for c in &all {
        let (got, _) = run(c);
        if got != c.expect {
            failures.push(format!("{}: expected {:?}, got {got:?}", c.doc, c.expect));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} failed:\n{}",
        failures.len(),
        all.len(),
        failures.join("\n")
    );
    assert!(all.len() >= 60, "{}", all.len());
}

#[test]
fn unknown_context_gives_a_conditional_allow() {
    let c = Case {
        identity: &[
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}}"#,
        ],
        ..BASE
    };
    let p = policies(c.identity, "i");
    let req = Request::new(
        RequestPrincipal::user(A, "alice"),
        "s3:GetObject",
        "arn:aws:s3:::b/k",
    )
    .incomplete();
    let d = evaluate(
        &req,
        &PolicySet {
            identity: p.iter().collect(),
            ..Default::default()
        },
    );
    assert_eq!(d.effect, Allow);
    assert!(d.conditional);
    assert!(d.matched[0].conditional);
}
