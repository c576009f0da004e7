"""Resources for the live checks that close Prowler gaps. PHASE=1: security groups used by an instance,
referenced by another group's rule, and unused; a trail recording Bedrock data events and one that does
not. PHASE=2: roles holding AWSSupportAccess and SecurityAudit."""
import json
import os

import boto3

kw = dict(region_name="us-east-1")
if os.environ.get("PHASE", "1") == "1":
    ec2 = boto3.client("ec2", **kw)
    vpc = ec2.describe_vpcs(Filters=[{"Name": "isDefault", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    used = ec2.create_security_group(GroupName="cnapp-used-sg", Description="used", VpcId=vpc)["GroupId"]
    ref = ec2.create_security_group(GroupName="cnapp-referenced-sg", Description="ref", VpcId=vpc)["GroupId"]
    ec2.create_security_group(GroupName="cnapp-unused-sg", Description="unused", VpcId=vpc)
    ec2.authorize_security_group_ingress(GroupId=used, IpPermissions=[{
        "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "UserIdGroupPairs": [{"GroupId": ref}]}])
    ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1, InstanceType="t3.micro",
                      SecurityGroupIds=[used])
    s3 = boto3.client("s3", **kw)
    s3.create_bucket(Bucket="cnapp-parity-trail")
    ct = boto3.client("cloudtrail", **kw)
    for name in ("bedrock-trail", "plain-trail"):
        ct.create_trail(Name=name, S3BucketName="cnapp-parity-trail")
    ct.put_event_selectors(TrailName="bedrock-trail", AdvancedEventSelectors=[{
        "Name": "Bedrock",
        "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Data"]},
                           {"Field": "resources.type", "Equals": ["AWS::Bedrock::Model"]}]}])
else:
    iam = boto3.client("iam", **kw)
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
             "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "sts:AssumeRole"}]}
    for role, policy in (("aws-support", "AWSSupportAccess"), ("security-audit", "SecurityAudit")):
        iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(trust))
        iam.attach_role_policy(RoleName=role, PolicyArn=f"arn:aws:iam::aws:policy/{policy}")
