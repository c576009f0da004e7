//! CloudFormation: intrinsic functions, conditions, and the Terraform-shaped normal form.

use rampart_iac::cloudformation::load_yaml;

const TEMPLATE: &str = r#"
AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  Env: { Type: String, Default: prod }
  Secret: { Type: String }
Conditions:
  IsProd: !Equals [!Ref Env, prod]
  NotProd: !Not [!Condition IsProd]
  Both: !And [!Condition IsProd, !Or [!Equals [a, b], !Equals [x, x]]]
Mappings:
  Sizes:
    prod: { Gb: 100 }
Resources:
  Logs:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: !Sub "acme-${Env}-logs"
      VersioningConfiguration:
        Status: !If [IsProd, Enabled, Suspended]
      PublicAccessBlockConfiguration:
        BlockPublicAcls: true
        BlockPublicPolicy: true
        IgnorePublicAcls: true
        RestrictPublicBuckets: !If [Both, true, false]
  Dev:
    Type: AWS::S3::Bucket
    Condition: NotProd
  Vol:
    Type: AWS::EC2::Volume
    Properties:
      Size: !FindInMap [Sizes, !Ref Env, Gb]
      Encrypted: !Select [1, [false, true]]
      KmsKeyId: !GetAtt Key.Arn
      AvailabilityZone: !Join ["", [!Ref "AWS::Region", a]]
  Key:
    Type: AWS::KMS::Key
    Properties:
      Description: !Ref Secret
      EnableKeyRotation: !If [NotProd, false, !Ref "AWS::NoValue"]
  Policy:
    Type: AWS::S3::BucketPolicy
    Properties:
      Bucket: !Ref Logs
      PolicyDocument:
        Statement:
          - Effect: Allow
            Principal: "*"
            Action: s3:GetObject
            Resource: !Sub "${Logs.Arn}/*"
"#;

#[test]
fn intrinsics_and_conditions_evaluate() {
    let (res, warns) = load_yaml("stack.yaml", TEMPLATE);
    assert!(warns.is_empty(), "{warns:?}");
    let get = |a: &str| {
        res.iter()
            .find(|r| r.address == a)
            .unwrap_or_else(|| panic!("no {a}"))
    };
    let logs = get("Logs");
    assert_eq!(logs.resource_type, "aws_s3_bucket");
    assert_eq!(logs.str("bucket"), Some("acme-prod-logs"));
    assert_eq!(
        logs.get("versioning.enabled").known(),
        Some(&serde_json::Value::Bool(true))
    );
    let pab = get("Logs/PublicAccessBlock");
    assert_eq!(
        pab.get("restrict_public_buckets").known(),
        Some(&serde_json::Value::Bool(true))
    );
    assert!(
        pab.reference("bucket")
            .is_some_and(|r| r.ends_with("#Logs.id"))
    );
    assert!(
        !res.iter().any(|r| r.address == "Dev"),
        "resource with a false condition is dropped"
    );
    let vol = get("Vol");
    assert_eq!(vol.get("size").known(), Some(&serde_json::json!(100)));
    assert_eq!(
        vol.get("encrypted").known(),
        Some(&serde_json::Value::Bool(true))
    );
    assert!(
        vol.reference("kms_key_id")
            .is_some_and(|r| r.ends_with("#Key.arn"))
    );
    assert!(vol.unknown.contains("availability_zone"));
    let key = get("Key");
    assert!(
        key.unknown.contains("description"),
        "parameter without default is unknown"
    );
    assert_eq!(
        key.get("enable_key_rotation"),
        rampart_iac::Attr::Absent,
        "AWS::NoValue removes the property"
    );
    // Line range of the logical id.
    assert_eq!(logs.source.file, "stack.yaml");
    let line_of = |needle: &str| {
        TEMPLATE
            .lines()
            .position(|l| l == needle)
            .map(|i| i as u32 + 1)
    };
    assert_eq!(Some(logs.source.start_line), line_of("  Logs:"));
    assert_eq!(
        Some(logs.source.end_line),
        line_of("        RestrictPublicBuckets: !If [Both, true, false]")
    );
}

#[test]
fn checks_run_on_cloudformation_resources() {
    let d = tempfile::tempdir().expect("tmp");
    std::fs::write(d.path().join("stack.yaml"), TEMPLATE).expect("write");
    let r = rampart_iac::scan_dir(d.path(), &rampart_iac::Options::default());
    let has = |rule: &str, s: &str| {
        r.findings
            .iter()
            .any(|f| f.rule_id == rule && f.subject == s)
    };
    assert!(
        has("AWS-S3-002", "Logs"),
        "public bucket policy joined to its bucket"
    );
    assert!(!has("AWS-S3-006", "Logs"));
    assert!(!has("AWS-EBS-001", "Vol"));
    assert!(has("AWS-KMS-001", "Key"));
}

#[test]
fn network_acl_entries_and_sam_functions_are_mapped() {
    let text = "Resources:\n  Acl:\n    Type: AWS::EC2::NetworkAclEntry\n    Properties:\n      NetworkAclId: acl-1\n      RuleNumber: 100\n      Protocol: 6\n      RuleAction: allow\n      Egress: false\n      CidrBlock: 0.0.0.0/0\n      PortRange: { From: 3389, To: 3389 }\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      Runtime: python3.7\n";
    let d = tempfile::tempdir().expect("tmp");
    std::fs::write(d.path().join("t.yaml"), text).expect("write");
    let r = rampart_iac::scan_dir(d.path(), &rampart_iac::Options::default());
    let has = |rule: &str, s: &str| {
        r.findings
            .iter()
            .any(|f| f.rule_id == rule && f.subject == s)
    };
    assert!(has("AWS-VPC-012", "Acl"));
    assert!(has("AWS-LAMBDA-001", "Fn"));
}
