"""Adds IAM escalation scenarios to a moto account already seeded by ../shared/peers/aws/seed.py, then
writes `get-account-authorization-details` (plus Rampart's `AccessKeys` extension per user) to argv[1].

Run: moto_server on 127.0.0.1:5000, seed.py, then this script, then fix_auth_details.py on the output."""
import json, os, sys, boto3

E = os.environ.get("AWS_ENDPOINT_URL", "http://127.0.0.1:5000")
iam = boto3.client("iam", endpoint_url=E, region_name="us-east-1",
                   aws_access_key_id="testing", aws_secret_access_key="testing")
ACCT = "123456789012"
ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"


def doc(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action, resource="*", **extra):
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def trust(principal, **extra):
    return doc({"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole", **extra})


def role(name, trust_doc, inline=None, attach=()):
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust_doc)
    if inline:
        iam.put_role_policy(RoleName=name, PolicyName=name + "-inline", PolicyDocument=inline)
    for a in attach:
        iam.attach_role_policy(RoleName=name, PolicyArn=a)


def user(name, inline=None, attach=(), groups=(), boundary=None):
    kw = {"PermissionsBoundary": boundary} if boundary else {}
    iam.create_user(UserName=name, **kw)
    if inline:
        iam.put_user_policy(UserName=name, PolicyName=name + "-inline", PolicyDocument=inline)
    for a in attach:
        iam.attach_user_policy(UserName=name, PolicyArn=a)
    for g in groups:
        iam.add_user_to_group(GroupName=g, UserName=name)


# Group whose members can rewrite any managed policy (CreatePolicyVersion) and read all S3 objects.
iam.create_group(GroupName="developers")
iam.put_group_policy(GroupName="developers", PolicyName="dev-tools", PolicyDocument=doc(
    allow(["iam:CreatePolicyVersion", "iam:ListPolicies"]), allow("s3:GetObject")))
user("dev-alice", groups=["developers"])

# PassRole + Lambda: ci-bot can run code as the admin Lambda role.
role("lambda-admin-role", trust({"Service": "lambda.amazonaws.com"}), attach=[ADMIN])
user("ci-bot", inline=doc(
    allow("iam:PassRole", f"arn:aws:iam::{ACCT}:role/lambda-admin-role"),
    allow(["lambda:CreateFunction", "lambda:InvokeFunction"])))

# Help desk can create access keys for any user (including the admin user).
user("helpdesk", inline=doc(allow(["iam:CreateAccessKey", "iam:ListUsers"], f"arn:aws:iam::{ACCT}:user/*")))

# Assume-role chain with a cycle: intern -> hop-a -> hop-b -> (attach policy to itself) admin; hop-b -> hop-a.
role("hop-a", trust({"AWS": f"arn:aws:iam::{ACCT}:root"}),
     inline=doc(allow("sts:AssumeRole", f"arn:aws:iam::{ACCT}:role/hop-b")))
role("hop-b", trust({"AWS": f"arn:aws:iam::{ACCT}:role/hop-a"}),
     inline=doc(allow("sts:AssumeRole", f"arn:aws:iam::{ACCT}:role/hop-a"),
                allow("iam:AttachRolePolicy", f"arn:aws:iam::{ACCT}:role/hop-b")))
user("intern", inline=doc(allow("sts:AssumeRole", f"arn:aws:iam::{ACCT}:role/hop-a")))

# A managed policy whose old version is admin; the auditor may switch the default version back.
pol = iam.create_policy(PolicyName="legacy-policy", PolicyDocument=doc(allow("*")))["Policy"]["Arn"]
iam.create_policy_version(PolicyArn=pol, PolicyDocument=doc(allow(["iam:Get*", "iam:List*"])), SetAsDefault=True)
user("auditor", inline=doc(allow("iam:SetDefaultPolicyVersion", pol)), attach=[pol])

# Cross-account trust without ExternalId, third party with ExternalId, compute-service role.
role("cross-account-audit", trust({"AWS": "arn:aws:iam::999988887777:root"}),
     inline=doc(allow(["ec2:Describe*", "s3:ListAllMyBuckets"])))
role("vendor-role", trust({"AWS": "arn:aws:iam::444455556666:root"},
                          Condition={"StringEquals": {"sts:ExternalId": "vendor-7781"}}),
     inline=doc(allow("cloudwatch:GetMetricData")))
role("ec2-app-role", trust({"Service": "ec2.amazonaws.com"}),
     inline=doc(allow(["ssm:GetParameters", "secretsmanager:GetSecretValue"])))
# Public trust restricted to one organisation.
role("org-shared-role", trust("*", Condition={"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}}),
     inline=doc(allow("s3:ListBucket", "arn:aws:s3:::shared")))

# Admin-looking inline policy capped by a permission boundary that allows only S3.
bnd = iam.create_policy(PolicyName="s3-only-boundary", PolicyDocument=doc(allow("s3:*")))["Policy"]["Arn"]
user("bounded-dev", inline=doc(allow("*")), boundary=bnd)

# A user with a deny guard: everything except IAM.
user("poweruser", inline=json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "NotAction": ["iam:*", "organizations:*"], "Resource": "*"}]}))

d = iam.get_account_authorization_details()
for k in ("ResponseMetadata", "IsTruncated", "Marker"):
    d.pop(k, None)
for u in d["UserDetailList"]:
    # moto leaves PermissionsBoundary out of the authorization details; AWS includes it.
    pb = iam.get_user(UserName=u["UserName"])["User"].get("PermissionsBoundary")
    if pb:
        u["PermissionsBoundary"] = pb
    keys = []
    for k in iam.list_access_keys(UserName=u["UserName"])["AccessKeyMetadata"]:
        last = iam.get_access_key_last_used(AccessKeyId=k["AccessKeyId"])["AccessKeyLastUsed"]
        keys.append({"AccessKeyId": k["AccessKeyId"], "Status": k["Status"], "CreateDate": k["CreateDate"],
                     **({"LastUsedDate": last["LastUsedDate"]} if "LastUsedDate" in last else {})})
    if keys:
        u["AccessKeys"] = keys
json.dump(d, open(sys.argv[1], "w"), default=str, indent=1)
print({k: len(v) for k, v in d.items() if isinstance(v, list)})
