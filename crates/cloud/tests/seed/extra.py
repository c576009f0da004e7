"""Extends ../shared/peers/aws/seed.py's insecure account with what the cloud crate's extra collectors read:
an instance answering IMDSv1, a public unencrypted RDS instance without backups and a public snapshot, a
Lambda function on a deprecated runtime with a secret in its environment, an unauthenticated function URL
and a public resource policy, an EKS cluster with a public endpoint and no logging or secrets encryption,
and the trail wired to CloudWatch Logs with one CIS 4.3 (root use) filter and alarm. No Config recorder
and no account-level S3 public access block."""
import io, json, os, zipfile, boto3

E = os.environ.get("AWS_ENDPOINT_URL", "http://127.0.0.1:5000")
kw = dict(endpoint_url=E, region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing")
ec2, rds, lam, iam, eks, logs, cw, ct = (boto3.client(s, **kw) for s in
    ("ec2", "rds", "lambda", "iam", "eks", "logs", "cloudwatch", "cloudtrail"))

# EC2 instance with IMDSv1 allowed (http_tokens optional)
inst = ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1, InstanceType="t3.micro",
                         MetadataOptions={"HttpTokens": "optional", "HttpEndpoint": "enabled"})
print("instance:", inst["Instances"][0]["InstanceId"])

# RDS: public, unencrypted, no backups; a public manual snapshot
rds.create_db_instance(DBInstanceIdentifier="cnapp-public-db", Engine="postgres", DBInstanceClass="db.t3.micro",
                       MasterUsername="admin", MasterUserPassword="not-a-real-password", AllocatedStorage=20,
                       PubliclyAccessible=True, StorageEncrypted=False, BackupRetentionPeriod=0)
rds.create_db_snapshot(DBInstanceIdentifier="cnapp-public-db", DBSnapshotIdentifier="cnapp-public-snap")
rds.modify_db_snapshot_attribute(DBSnapshotIdentifier="cnapp-public-snap", AttributeName="restore", ValuesToAdd=["all"])

# Lambda
trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
role = iam.create_role(RoleName="cnapp-lambda-role", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
buf = io.BytesIO()
with zipfile.ZipFile(buf, "w") as z:
    z.writestr("app.py", "def handler(event, context):\n    return 'ok'\n")
lam.create_function(FunctionName="cnapp-old-fn", Runtime="python3.7", Role=role, Handler="app.handler",
                    Code={"ZipFile": buf.getvalue()},
                    Environment={"Variables": {"DB_PASSWORD": "hunter2hunter2", "LOG_LEVEL": "info"}})
lam.create_function_url_config(FunctionName="cnapp-old-fn", AuthType="NONE")
lam.add_permission(FunctionName="cnapp-old-fn", StatementId="public-invoke", Action="lambda:InvokeFunction", Principal="*")

# EKS: public endpoint, default CIDRs, no logging, no secrets encryption
subnets = [s["SubnetId"] for s in ec2.describe_subnets()["Subnets"]][:2]
eks.create_cluster(name="cnapp-eks", roleArn=role, resourcesVpcConfig={"subnetIds": subnets, "endpointPublicAccess": True})

# The trail to CloudWatch Logs, with a root-use filter and alarm (CIS 4.3) and nothing else
logs.create_log_group(logGroupName="cnapp-trail-group")
group_arn = [g["arn"] for g in logs.describe_log_groups(logGroupNamePrefix="cnapp-trail-group")["logGroups"]][0]
ct.update_trail(Name="cnapp-trail", CloudWatchLogsLogGroupArn=group_arn,
                CloudWatchLogsRoleArn=role)
logs.put_metric_filter(logGroupName="cnapp-trail-group", filterName="root-use",
                       filterPattern='{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }',
                       metricTransformations=[{"metricName": "RootAccountUsage", "metricNamespace": "CISBenchmark", "metricValue": "1"}])
cw.put_metric_alarm(AlarmName="root-use", MetricName="RootAccountUsage", Namespace="CISBenchmark", Statistic="Sum",
                    Period=300, Threshold=1, ComparisonOperator="GreaterThanOrEqualToThreshold", EvaluationPeriods=1)
print("extra seed done")
