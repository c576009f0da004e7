//! Terraform loading: variables, locals, expressions, count/for_each, modules, unknown values, plan JSON.

use rampart_iac::{Attr, Options, Outcome, scan_dir};
use std::fs;
use std::path::Path;

fn write(dir: &Path, rel: &str, text: &str) {
    let p = dir.join(rel);
    fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
    fs::write(p, text).expect("write");
}

fn resource<'a>(r: &'a rampart_iac::IacReport, address: &str) -> &'a rampart_iac::Resource {
    r.resources
        .iter()
        .find(|x| x.address == address)
        .unwrap_or_else(|| {
            panic!(
                "no {address} in {:?}",
                r.resources.iter().map(|x| &x.address).collect::<Vec<_>>()
            )
        })
}

fn has_finding(r: &rampart_iac::IacReport, rule: &str, subject: &str) -> bool {
    r.findings
        .iter()
        .any(|f| f.rule_id == rule && f.subject == subject)
}

#[test]
fn variables_tfvars_var_files_and_cli_vars_apply_in_terraform_order() {
    let d = tempfile::tempdir().expect("tmp");
    write(
        d.path(),
        "main.tf",
        r#"
variable "a" { default = "from-default" }
variable "b" { default = "from-default" }
variable "c" { default = "from-default" }
variable "d" { default = "from-default" }
variable "e" {}
resource "aws_s3_bucket" "x" {
  bucket = "${var.a}/${var.b}/${var.c}/${var.d}"
  tags   = { e = var.e }
}
"#,
    );
    write(
        d.path(),
        "terraform.tfvars",
        "b = \"tfvars\"\nc = \"tfvars\"\nd = \"tfvars\"\n",
    );
    write(d.path(), "x.auto.tfvars", "c = \"auto\"\n");
    write(d.path(), "extra.vars", "d = \"var-file\"\n");
    let mut opts = Options::default();
    opts.vars.var_files.push(d.path().join("extra.vars"));
    opts.vars.vars.push(("e".into(), "cli".into()));
    let r = scan_dir(d.path(), &opts);
    let b = resource(&r, "aws_s3_bucket.x");
    assert_eq!(b.str("bucket"), Some("from-default/tfvars/auto/var-file"));
    assert_eq!(b.str("tags.e"), Some("cli"));
}

#[test]
fn locals_functions_conditionals_and_for_expressions_evaluate() {
    let d = tempfile::tempdir().expect("tmp");
    write(
        d.path(),
        "main.tf",
        r#"
variable "env" { default = "prod" }
locals {
  base  = { team = "core" }
  tags  = merge(local.base, { env = var.env })
  names = [for n in ["a", "b"] : upper(n)]
  open  = var.env == "prod" ? false : true
}
resource "aws_s3_bucket" "x" {
  bucket = format("%s-%s-%d", lookup(local.tags, "team", "none"), join("", local.names), length(local.names))
  acl    = local.open ? "public-read" : "private"
  tags   = local.tags
  policy = jsonencode({ Statement = [{ Effect = "Allow", Action = element(concat(["s3:GetObject"], []), 0) }] })
}
"#,
    );
    let r = scan_dir(d.path(), &Options::default());
    let b = resource(&r, "aws_s3_bucket.x");
    assert_eq!(b.str("bucket"), Some("core-AB-2"));
    assert_eq!(b.str("acl"), Some("private"));
    assert_eq!(b.str("tags.env"), Some("prod"));
    assert!(b.str("policy").is_some_and(|p| p.contains("s3:GetObject")));
}

#[test]
fn references_to_computed_attributes_stay_unknown_with_the_reference_kept() {
    let d = tempfile::tempdir().expect("tmp");
    write(
        d.path(),
        "main.tf",
        r#"
resource "aws_s3_bucket" "logs" { bucket = "logs-bucket" }
resource "aws_s3_bucket_acl" "logs" {
  bucket = aws_s3_bucket.logs.id
  acl    = "public-read"
}
resource "aws_s3_bucket_versioning" "logs" {
  bucket = aws_s3_bucket.logs.bucket
  versioning_configuration { status = "Enabled" }
}
"#,
    );
    let r = scan_dir(d.path(), &Options::default());
    let acl = resource(&r, "aws_s3_bucket_acl.logs");
    assert_eq!(acl.get("bucket"), Attr::Unknown);
    assert!(acl.unknown.contains("bucket"));
    assert_eq!(acl.reference("bucket"), Some("aws_s3_bucket.logs.id"));
    // A literal attribute of another resource is known.
    assert_eq!(
        resource(&r, "aws_s3_bucket_versioning.logs").str("bucket"),
        Some("logs-bucket")
    );
    // Both joins reach the bucket: the ACL makes it public, versioning is on.
    assert!(has_finding(&r, "AWS-S3-001", "aws_s3_bucket.logs"));
    assert!(!has_finding(&r, "AWS-S3-006", "aws_s3_bucket.logs"));
}

#[test]
fn count_and_for_each_expand_with_terraform_addresses() {
    let d = tempfile::tempdir().expect("tmp");
    write(
        d.path(),
        "main.tf",
        r#"
variable "n" { default = 2 }
resource "aws_ebs_volume" "v" {
  count             = var.n
  availability_zone = "az-${count.index}"
  encrypted         = count.index == 0
}
resource "aws_s3_bucket" "b" {
  for_each = toset(["raw", "clean"])
  bucket   = "data-${each.key}"
}
resource "aws_s3_bucket_versioning" "b" {
  for_each = aws_s3_bucket.b
  bucket   = each.value.id
  versioning_configuration { status = "Enabled" }
}
"#,
    );
    let r = scan_dir(d.path(), &Options::default());
    assert_eq!(
        resource(&r, "aws_ebs_volume.v[1]").str("availability_zone"),
        Some("az-1")
    );
    assert!(has_finding(&r, "AWS-EBS-001", "aws_ebs_volume.v[1]"));
    assert!(!has_finding(&r, "AWS-EBS-001", "aws_ebs_volume.v[0]"));
    assert_eq!(
        resource(&r, "aws_s3_bucket.b[\"raw\"]").str("bucket"),
        Some("data-raw")
    );
    let v = resource(&r, "aws_s3_bucket_versioning.b[\"clean\"]");
    assert_eq!(v.reference("bucket"), Some("aws_s3_bucket.b[\"clean\"].id"));
    assert!(!has_finding(&r, "AWS-S3-006", "aws_s3_bucket.b[\"clean\"]"));
}

#[test]
fn local_modules_take_inputs_and_return_outputs_remote_modules_are_noted() {
    let d = tempfile::tempdir().expect("tmp");
    write(
        d.path(),
        "modules/net/main.tf",
        r#"
variable "name" {}
variable "ssh_cidr" { default = "10.0.0.0/8" }
resource "aws_security_group" "ssh" {
  name = "${var.name}-ssh"
  ingress {
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = [var.ssh_cidr]
  }
}
output "sg_name" { value = aws_security_group.ssh.name }
"#,
    );
    write(
        d.path(),
        "root/main.tf",
        r#"
module "net" {
  source   = "../modules/net"
  name     = "edge"
  ssh_cidr = "0.0.0.0/0"
}
module "far" {
  source = "terraform-aws-modules/vpc/aws"
}
resource "aws_s3_bucket" "b" { bucket = module.net.sg_name }
"#,
    );
    let r = scan_dir(d.path(), &Options::default());
    let sg = resource(&r, "module.net.aws_security_group.ssh");
    assert_eq!(sg.source.file, "modules/net/main.tf");
    assert_eq!((sg.source.start_line, sg.source.end_line), (4, 12));
    assert!(has_finding(
        &r,
        "AWS-VPC-001",
        "module.net.aws_security_group.ssh"
    ));
    assert_eq!(
        resource(&r, "aws_s3_bucket.b").str("bucket"),
        Some("edge-ssh")
    );
    assert!(
        r.notes
            .iter()
            .any(|n| n.contains("terraform-aws-modules/vpc/aws") && n.contains("not followed"))
    );
    // The module directory is not also scanned as a root of its own.
    assert_eq!(
        r.resources
            .iter()
            .filter(|x| x.resource_type == "aws_security_group")
            .count(),
        1
    );
}

#[test]
fn unknown_values_give_unknown_outcomes_not_findings() {
    let d = tempfile::tempdir().expect("tmp");
    write(
        d.path(),
        "main.tf",
        r#"
variable "encrypted" {}
resource "aws_ebs_volume" "v" {
  availability_zone = "a"
  encrypted         = var.encrypted
}
"#,
    );
    let r = scan_dir(d.path(), &Options::default());
    assert!(!has_finding(&r, "AWS-EBS-001", "aws_ebs_volume.v"));
    assert!(
        r.unknowns
            .iter()
            .any(|u| u.check_id == "AWS-EBS-001" && u.address == "aws_ebs_volume.v")
    );
    let set = rampart_iac::ResourceSet::new(r.resources.clone());
    let check = rampart_iac::checks::by_id("AWS-EBS-001").expect("check");
    assert!(matches!(
        (check.eval)(&set.all()[0], &set),
        Outcome::Unknown(_)
    ));
}

#[test]
fn findings_carry_file_line_range_address_and_cis_control() {
    let d = tempfile::tempdir().expect("tmp");
    write(
        d.path(),
        "kms.tf",
        "\n\nresource \"aws_kms_key\" \"k\" {\n  enable_key_rotation = false\n}\n",
    );
    let r = scan_dir(d.path(), &Options::default());
    let f = r
        .findings
        .iter()
        .find(|f| f.rule_id == "AWS-KMS-001")
        .expect("finding");
    assert_eq!(f.subject, "aws_kms_key.k");
    let loc = f.evidence[0].location.as_ref().expect("location");
    assert_eq!(
        (loc.path.as_str(), loc.line, loc.end_line),
        ("kms.tf", Some(3), Some(5))
    );
    assert!(f.controls.iter().any(|c| c.id == "3.6"));
    assert!(f.remediation.contains("aws kms enable-key-rotation"));
}

#[test]
fn terraform_json_syntax_is_loaded() {
    let d = tempfile::tempdir().expect("tmp");
    write(
        d.path(),
        "main.tf.json",
        r#"{"variable": {"name": {"default": "x"}},
 "resource": {"aws_s3_bucket": {"b": {"bucket": "${var.name}-b", "acl": "public-read"}}}}"#,
    );
    let r = scan_dir(d.path(), &Options::default());
    assert_eq!(resource(&r, "aws_s3_bucket.b").str("bucket"), Some("x-b"));
    assert!(has_finding(&r, "AWS-S3-001", "aws_s3_bucket.b"));
}

#[test]
fn plan_json_resources_unknowns_and_references_are_read() {
    let d = tempfile::tempdir().expect("tmp");
    write(
        d.path(),
        "plan.json",
        r#"{
  "format_version": "1.2",
  "planned_values": {"root_module": {
    "resources": [
      {"address": "aws_s3_bucket.logs", "mode": "managed", "type": "aws_s3_bucket", "name": "logs",
       "values": {"bucket": "logs"}},
      {"address": "aws_s3_bucket_acl.logs", "mode": "managed", "type": "aws_s3_bucket_acl", "name": "logs",
       "values": {"acl": "public-read"}}
    ],
    "child_modules": [{"address": "module.db", "resources": [
      {"address": "module.db.aws_db_instance.main", "mode": "managed", "type": "aws_db_instance", "name": "main",
       "values": {"publicly_accessible": true, "storage_encrypted": true}}]}]
  }},
  "resource_changes": [
    {"address": "aws_s3_bucket_acl.logs", "change": {"after_unknown": {"bucket": true}}}
  ],
  "configuration": {"root_module": {"resources": [
    {"address": "aws_s3_bucket_acl.logs", "type": "aws_s3_bucket_acl", "name": "logs",
     "expressions": {"bucket": {"references": ["aws_s3_bucket.logs.id", "aws_s3_bucket.logs"]}}}
  ]}}
}"#,
    );
    let r = scan_dir(d.path(), &Options::default());
    let acl = resource(&r, "aws_s3_bucket_acl.logs");
    assert_eq!(acl.reference("bucket"), Some("aws_s3_bucket.logs.id"));
    assert!(has_finding(&r, "AWS-S3-001", "aws_s3_bucket.logs"));
    assert!(has_finding(
        &r,
        "AWS-RDS-001",
        "module.db.aws_db_instance.main"
    ));
}

#[test]
fn policy_documents_from_data_sources_are_rendered_and_checked() {
    let d = tempfile::tempdir().expect("tmp");
    write(
        d.path(),
        "main.tf",
        r#"
data "aws_iam_policy_document" "trust" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "AWS"
      identifiers = ["*"]
    }
  }
}
resource "aws_iam_role" "r" {
  name               = "r"
  assume_role_policy = data.aws_iam_policy_document.trust.json
}
"#,
    );
    let r = scan_dir(d.path(), &Options::default());
    assert!(has_finding(&r, "AWS-IAM-007", "aws_iam_role.r"));
}

#[test]
fn inline_comments_suppress_findings_with_their_reason() {
    let d = tempfile::tempdir().expect("tmp");
    write(
        d.path(),
        "main.tf",
        r#"
resource "aws_kms_key" "a" {
  # rampart:ignore=AWS-KMS-001 rotated by an external job
  enable_key_rotation = false
}
resource "aws_kms_key" "b" {
  #checkov:skip=CKV_AWS_7:legacy key
  enable_key_rotation = false
}
resource "aws_kms_key" "c" {
  enable_key_rotation = false
}
"#,
    );
    let r = scan_dir(d.path(), &Options::default());
    let get = |s: &str| {
        r.findings
            .iter()
            .find(|f| f.rule_id == "AWS-KMS-001" && f.subject == s)
            .expect("finding")
    };
    let a = get("aws_kms_key.a")
        .suppressed
        .as_ref()
        .expect("a suppressed");
    assert_eq!(a.justification, "rotated by an external job");
    assert_eq!(a.origin, "main.tf:3");
    assert_eq!(
        get("aws_kms_key.b")
            .suppressed
            .as_ref()
            .map(|s| s.justification.as_str()),
        Some("legacy key")
    );
    assert!(get("aws_kms_key.c").suppressed.is_none());
}
