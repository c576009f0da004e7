"""IAM facts read from the credential report, the account summary and policy versions, and the EC2
resources the EC2 checks judge: a user with a console password and an access key; a customer managed
policy whose non-default version v1 allows "*" (v2, read-only, is the default) and one whose versions are
all read-only; an unencrypted volume and an encrypted one; a public snapshot and a private encrypted
one; a public AMI and a private one; a network ACL allowing SSH from the internet."""
import json

import boto3

kw = dict(region_name="us-east-1")
iam = boto3.client("iam", **kw)
ec2 = boto3.client("ec2", **kw)

iam.create_user(UserName="cnapp-console")
iam.create_login_profile(UserName="cnapp-console", Password="Sup3r-secret-Pw!")
iam.create_access_key(UserName="cnapp-console")


def doc(action):
    return json.dumps({"Version": "2012-10-17",
                       "Statement": [{"Effect": "Allow", "Action": action, "Resource": "*"}]})


arn = iam.create_policy(PolicyName="cnapp-versioned", PolicyDocument=doc("*"))["Policy"]["Arn"]
iam.create_policy_version(PolicyArn=arn, PolicyDocument=doc("s3:GetObject"), SetAsDefault=True)
clean = iam.create_policy(PolicyName="cnapp-clean", PolicyDocument=doc("s3:ListBucket"))["Policy"]["Arn"]
iam.create_policy_version(PolicyArn=clean, PolicyDocument=doc("s3:GetObject"), SetAsDefault=True)

plain = ec2.create_volume(Size=8, AvailabilityZone="us-east-1a")["VolumeId"]
secret = ec2.create_volume(Size=8, AvailabilityZone="us-east-1a", Encrypted=True)["VolumeId"]
public = ec2.create_snapshot(VolumeId=plain, Description="cnapp-public-snapshot")["SnapshotId"]
ec2.modify_snapshot_attribute(SnapshotId=public, Attribute="createVolumePermission",
                              OperationType="add", GroupNames=["all"])
private = ec2.create_snapshot(VolumeId=secret, Description="cnapp-private-snapshot")["SnapshotId"]

open_ami = ec2.register_image(Name="cnapp-public-ami")["ImageId"]
ec2.modify_image_attribute(ImageId=open_ami, LaunchPermission={"Add": [{"Group": "all"}]})
closed_ami = ec2.register_image(Name="cnapp-private-ami")["ImageId"]

vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
acl = ec2.create_network_acl(VpcId=vpc)["NetworkAcl"]["NetworkAclId"]
ec2.create_network_acl_entry(NetworkAclId=acl, RuleNumber=100, Protocol="6", RuleAction="allow",
                             Egress=False, CidrBlock="0.0.0.0/0", PortRange={"From": 22, "To": 22})

print(json.dumps({"plain_volume": plain, "encrypted_volume": secret, "public_snapshot": public,
                  "private_snapshot": private, "public_ami": open_ami, "private_ami": closed_ami,
                  "acl": acl}))
