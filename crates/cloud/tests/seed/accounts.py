"""Other accounts and regions for the credential tests. Assumes a role in account 222222222222 (moto
creates the account on AssumeRole) and makes the user `member-auditor` there; assumes one in account
333333333333 and makes the user `profile-user` and the security group `profile-sg` in eu-west-2; in the
default account, makes the security groups `cnapp-us-sg` in us-east-1 and `cnapp-eu-sg` in eu-west-1. Prints the 333333333333
credentials as JSON (for a profile)."""
import json

import boto3

sts = boto3.client("sts", region_name="us-east-1")


def session(account):
    c = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/rampart-audit",
                        RoleSessionName="seed")["Credentials"]
    return dict(aws_access_key_id=c["AccessKeyId"], aws_secret_access_key=c["SecretAccessKey"],
                aws_session_token=c["SessionToken"])


member = session("222222222222")
boto3.client("iam", region_name="us-east-1", **member).create_user(UserName="member-auditor")

other = session("333333333333")
boto3.client("iam", region_name="us-east-1", **other).create_user(UserName="profile-user")
ec2 = boto3.client("ec2", region_name="eu-west-2", **other)
vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
ec2.create_security_group(GroupName="profile-sg", Description="profile", VpcId=vpc)

us = boto3.client("ec2", region_name="us-east-1")
us.create_security_group(GroupName="cnapp-us-sg", Description="us", VpcId=us.describe_vpcs()["Vpcs"][0]["VpcId"])
eu = boto3.client("ec2", region_name="eu-west-1")
vpc = eu.describe_vpcs()["Vpcs"][0]["VpcId"]
eu.create_security_group(GroupName="cnapp-eu-sg", Description="eu", VpcId=vpc)

print(json.dumps(other))
