//! Generates large synthetic accounts (for benchmarks and scale tests): roles that trust each other in
//! rings (assume-role cycles), users, groups and many customer-managed policies.

use serde_json::{Value, json};

/// Shape of a generated account.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    pub roles: usize,
    pub policies: usize,
    pub users: usize,
    /// Roles per assume-role ring (each role may assume the next; the last the first).
    pub ring: usize,
}

impl Default for Shape {
    fn default() -> Self {
        Shape {
            roles: 1_000,
            policies: 3_000,
            users: 200,
            ring: 10,
        }
    }
}

const ACCT: &str = "123456789012";

fn role_arn(i: usize) -> String {
    format!("arn:aws:iam::{ACCT}:role/team/role-{i}")
}

fn policy_doc(i: usize, shape: &Shape) -> Value {
    let svc = [
        "s3",
        "ec2",
        "dynamodb",
        "sqs",
        "sns",
        "lambda",
        "kms",
        "logs",
        "cloudwatch",
        "ssm",
    ][i % 10];
    let mut statements = vec![
        json!({"Sid": "Read", "Effect": "Allow", "Action": [format!("{svc}:Get*"), format!("{svc}:List*"), format!("{svc}:Describe*")], "Resource": "*"}),
        json!({"Sid": "Write", "Effect": "Allow", "Action": [format!("{svc}:Put*"), format!("{svc}:Create*")],
               "Resource": format!("arn:aws:{svc}:*:{ACCT}:team-{}/*", i % 37),
               "Condition": {"StringEquals": {"aws:PrincipalTag/team": format!("t{}", i % 37)}}}),
    ];
    if i.is_multiple_of(3) {
        // Ring edges: role k may assume role k+1 within its ring.
        let k = (i / 3) % shape.roles.max(1);
        let ring_start = k - k % shape.ring.max(1);
        let next = ring_start + (k + 1 - ring_start) % shape.ring.max(1);
        statements.push(json!({"Sid": "Hop", "Effect": "Allow", "Action": "sts:AssumeRole", "Resource": role_arn(next)}));
    }
    if i.is_multiple_of(97) {
        statements.push(json!({"Sid": "Pass", "Effect": "Allow", "Action": ["iam:PassRole", "lambda:CreateFunction", "lambda:InvokeFunction"], "Resource": "*"}));
    }
    if i.is_multiple_of(101) {
        statements.push(json!({"Sid": "Self", "Effect": "Allow", "Action": "iam:AttachRolePolicy", "Resource": role_arn((i / 3) % shape.roles.max(1))}));
    }
    if i.is_multiple_of(13) {
        statements.push(
            json!({"Sid": "NoIam", "Effect": "Deny", "Action": "iam:*", "Resource": "*",
                               "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "false"}}}),
        );
    }
    json!({"Version": "2012-10-17", "Statement": statements})
}

/// An authorization-details document of the given shape.
pub fn account(shape: &Shape) -> Value {
    let policy_arn = |i: usize| format!("arn:aws:iam::{ACCT}:policy/gen/policy-{i}");
    let policies: Vec<Value> = (0..shape.policies)
        .map(|i| {
            json!({"PolicyName": format!("policy-{i}"), "PolicyId": format!("ANPAGEN{i:013}"), "Arn": policy_arn(i), "Path": "/gen/", "DefaultVersionId": "v1",
                   "IsAttachable": true, "CreateDate": "2024-01-01T00:00:00Z", "UpdateDate": "2024-01-01T00:00:00Z",
                   "AttachmentCount": 1,
                   "PolicyVersionList": [{"VersionId": "v1", "IsDefaultVersion": true, "Document": policy_doc(i, shape)}]})
        })
        .collect();
    let roles: Vec<Value> = (0..shape.roles)
        .map(|k| {
            let trusted = if k.is_multiple_of(50) {
                json!({"Service": "lambda.amazonaws.com"})
            } else {
                json!({"AWS": [format!("arn:aws:iam::{ACCT}:root")]})
            };
            let attached: Vec<Value> = (0..3)
                .map(|j| {
                    let i = (3 * k + j) % shape.policies.max(1);
                    json!({"PolicyName": format!("policy-{i}"), "PolicyArn": policy_arn(i)})
                })
                .collect();
            let mut r = json!({"RoleName": format!("role-{k}"), "RoleId": format!("AROAGEN{k:013}"), "Arn": role_arn(k), "Path": "/team/",
                   "InstanceProfileList": [], "Tags": [],
                   "CreateDate": "2024-01-01T00:00:00Z",
                   "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": trusted, "Action": "sts:AssumeRole"}]},
                   "RolePolicyList": [], "AttachedManagedPolicies": attached, "RoleLastUsed": {}});
            if k.is_multiple_of(250)
                && let Some(a) = r["AttachedManagedPolicies"].as_array_mut()
            {
                a.push(json!({"PolicyName": "AdministratorAccess", "PolicyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}));
            }
            r
        })
        .collect();
    let users: Vec<Value> = (0..shape.users)
        .map(|u| {
            json!({"UserName": format!("user-{u}"), "UserId": format!("AIDAGEN{u:013}"), "Path": "/",
                   "CreateDate": "2024-01-01T00:00:00Z", "Arn": format!("arn:aws:iam::{ACCT}:user/user-{u}"),
                   "GroupList": [format!("group-{}", u % 5)],
                   "UserPolicyList": [{"PolicyName": "hop", "PolicyDocument": {"Version": "2012-10-17", "Statement": [
                       {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": role_arn((u * 7) % shape.roles.max(1))}]}}],
                   "AttachedManagedPolicies": []})
        })
        .collect();
    let groups: Vec<Value> = (0..5)
        .map(|g| {
            json!({"GroupName": format!("group-{g}"), "GroupId": format!("AGPAGEN{g:013}"), "Path": "/",
                   "CreateDate": "2024-01-01T00:00:00Z", "Arn": format!("arn:aws:iam::{ACCT}:group/group-{g}"),
                   "GroupPolicyList": [], "AttachedManagedPolicies": [{"PolicyName": format!("policy-{}", g * 11 % shape.policies.max(1)), "PolicyArn": policy_arn(g * 11 % shape.policies.max(1))}]})
        })
        .collect();
    let mut all_policies = policies;
    all_policies.push(json!({"PolicyName": "AdministratorAccess", "PolicyId": "ANPAIWMBCKSKIEE64ZLYK", "Path": "/",
        "Arn": "arn:aws:iam::aws:policy/AdministratorAccess", "IsAttachable": true,
        "CreateDate": "2015-02-06T18:39:46Z", "UpdateDate": "2015-02-06T18:39:46Z",
        "DefaultVersionId": "v1", "AttachmentCount": 4,
        "PolicyVersionList": [{"VersionId": "v1", "IsDefaultVersion": true, "Document": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}}]}));
    json!({"UserDetailList": users, "GroupDetailList": groups, "RoleDetailList": roles, "Policies": all_policies})
}
