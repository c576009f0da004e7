"""An organization on moto: the default account (123456789012) is the management account; a member account
in OU Prod, whose SCP DenyIamWrites denies IAM changes. Each account gets an admin user, a group holding
AdministratorAccess with one member, and a role with iam:PassRole on "*". Prints the member account's id and credentials as JSON."""
import json

import boto3

mgmt = dict(region_name="us-east-1")
org = boto3.client("organizations", **mgmt)
org.create_organization(FeatureSet="ALL")
root = org.list_roots()["Roots"][0]["Id"]
org.enable_policy_type(RootId=root, PolicyType="SERVICE_CONTROL_POLICY")
ou = org.create_organizational_unit(ParentId=root, Name="Prod")["OrganizationalUnit"]["Id"]
member = org.create_account(Email="member@example.com", AccountName="member")["CreateAccountStatus"]["AccountId"]
org.move_account(AccountId=member, SourceParentId=root, DestinationParentId=ou)
deny = {
    "Version": "2012-10-17",
    "Statement": [{
        "Sid": "NoIamWrites",
        "Effect": "Deny",
        "Action": ["iam:Create*", "iam:Attach*", "iam:Put*", "iam:Set*", "iam:Update*",
                   "iam:PassRole", "iam:AddUserToGroup"],
        "Resource": "*",
    }],
}
pid = org.create_policy(Name="DenyIamWrites", Description="guardrail", Type="SERVICE_CONTROL_POLICY",
                        Content=json.dumps(deny))["Policy"]["PolicySummary"]["Id"]
org.attach_policy(PolicyId=pid, TargetId=ou)

trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"},
                                                 "Action": "sts:AssumeRole"}]}
boto3.client("iam", **mgmt).create_role(RoleName="OrgReader", AssumeRolePolicyDocument=json.dumps(trust))

sts = boto3.client("sts", **mgmt)
c = sts.assume_role(RoleArn=f"arn:aws:iam::{member}:role/OrganizationAccountAccessRole",
                    RoleSessionName="seed")["Credentials"]
creds = dict(aws_access_key_id=c["AccessKeyId"], aws_secret_access_key=c["SecretAccessKey"],
             aws_session_token=c["SessionToken"])

pass_role = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:PassRole",
                                                     "Resource": "*"}]}
for kw, account in ((mgmt, "123456789012"), (dict(mgmt, **creds), member)):
    iam = boto3.client("iam", **kw)
    iam.create_user(UserName="org-admin")
    iam.attach_user_policy(UserName="org-admin", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    # Admin through a group only: judged for its member under the SCPs.
    iam.create_group(GroupName="org-admins")
    iam.attach_group_policy(GroupName="org-admins", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    iam.create_user(UserName="group-admin")
    iam.add_user_to_group(GroupName="org-admins", UserName="group-admin")
    iam.create_role(RoleName="esc-role", AssumeRolePolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                                                  "Action": "sts:AssumeRole"}]}))
    iam.put_role_policy(RoleName="esc-role", PolicyName="pass", PolicyDocument=json.dumps(pass_role))
    # helpdesk can mint keys for org-admin: an escalation path the SCP blocks in the member account.
    iam.create_user(UserName="helpdesk")
    iam.put_user_policy(UserName="helpdesk", PolicyName="keys", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:CreateAccessKey",
                                                  "Resource": f"arn:aws:iam::{account}:user/org-admin"}]}))

print(json.dumps({"member": member, "key": c["AccessKeyId"], "secret": c["SecretAccessKey"]}))
