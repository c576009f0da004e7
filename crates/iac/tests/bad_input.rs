//! Bad input is a warning with file and line; the rest of the tree is still scanned; every limit holds.

use rampart_iac::{Options, fuzzing, scan_dir};
use std::fs;
use std::time::Instant;

#[test]
fn invalid_files_warn_with_line_and_the_rest_is_scanned() {
    let d = tempfile::tempdir().expect("tmp");
    fs::create_dir_all(d.path().join("good")).expect("mkdir");
    fs::create_dir_all(d.path().join("bad")).expect("mkdir");
    fs::write(
        d.path().join("good/main.tf"),
        "resource \"aws_kms_key\" \"k\" {}\n",
    )
    .expect("write");
    fs::write(
        d.path().join("bad/main.tf"),
        "resource \"aws_kms_key\" \"k\" {\n  a = \n}\n",
    )
    .expect("write");
    fs::write(
        d.path().join("bad/stack.yaml"),
        "Resources:\n  A:\n    Type: AWS::S3::Bucket\n   bad: [\n",
    )
    .expect("write");
    fs::write(
        d.path().join("bad/stack.json"),
        "{\"Resources\": {\"A\": \n}",
    )
    .expect("write");
    let r = scan_dir(d.path(), &Options::default());
    assert!(
        r.findings.iter().any(|f| f.subject == "aws_kms_key.k"),
        "good file still checked"
    );
    for file in ["bad/main.tf", "bad/stack.yaml", "bad/stack.json"] {
        let w = r
            .warnings
            .iter()
            .find(|w| w.path == file)
            .unwrap_or_else(|| panic!("no warning for {file}: {:?}", r.warnings));
        assert!(w.line.is_some(), "{file} warning has a line");
    }
}

#[test]
fn yaml_alias_bombs_are_bounded() {
    let mut bomb = String::from(
        "AWSTemplateFormatVersion: x\na: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    let mut prev = 'a';
    for c in 'b'..='j' {
        bomb.push_str(&format!(
            "{c}: &{c} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]\n"
        ));
        prev = c;
    }
    bomb.push_str("Resources:\n  B:\n    Type: AWS::S3::Bucket\n    Properties:\n      Tags: *j\n");
    let t = Instant::now();
    let (res, warns) = rampart_iac::cloudformation::load_yaml("bomb.yaml", &bomb);
    assert!(t.elapsed().as_secs() < 5);
    assert!(res.is_empty());
    assert!(
        warns.iter().any(|w| w.message.contains("limit")),
        "{warns:?}"
    );
}

#[test]
fn deep_nesting_is_refused_not_overflowed() {
    let deep_hcl = format!(
        "locals {{ x = {}1{} }}\n",
        "[".repeat(50_000),
        "]".repeat(50_000)
    );
    let deep_yaml = format!("Resources: {}1{}\n", "[".repeat(50_000), "]".repeat(50_000));
    let deep_json = format!(
        "{{\"Resources\": {}1{}}}",
        "[".repeat(50_000),
        "]".repeat(50_000)
    );
    fuzzing::fuzz_hcl(deep_hcl.as_bytes());
    fuzzing::fuzz_cloudformation(deep_yaml.as_bytes());
    fuzzing::fuzz_cloudformation(deep_json.as_bytes());
    fuzzing::fuzz_plan_json(deep_json.as_bytes());
    let (_, warns) = rampart_iac::cloudformation::load_yaml("deep.yaml", &deep_yaml);
    assert!(!warns.is_empty());
}

#[test]
fn huge_counts_and_ranges_are_bounded() {
    let d = tempfile::tempdir().expect("tmp");
    fs::write(
        d.path().join("main.tf"),
        r#"
resource "aws_ebs_volume" "v" {
  count             = 1e9
  availability_zone = "a"
}
locals { big = range(1000000000) }
resource "aws_kms_key" "k" {
  description = length(local.big)
}
"#,
    )
    .expect("write");
    let t = Instant::now();
    let r = scan_dir(d.path(), &Options::default());
    assert!(t.elapsed().as_secs() < 5);
    assert_eq!(
        r.resources
            .iter()
            .filter(|x| x.resource_type == "aws_ebs_volume")
            .count(),
        1
    );
    assert!(
        r.resources
            .iter()
            .any(|x| x.address == "aws_ebs_volume.v[?]")
    );
}

#[test]
fn module_recursion_cycles_are_bounded() {
    let d = tempfile::tempdir().expect("tmp");
    fs::create_dir_all(d.path().join("a")).expect("mkdir");
    fs::create_dir_all(d.path().join("b")).expect("mkdir");
    fs::write(
        d.path().join("a/main.tf"),
        "module \"b\" { source = \"../b\" }\nresource \"aws_kms_key\" \"a\" {}\n",
    )
    .expect("write");
    fs::write(d.path().join("b/main.tf"), "module \"a\" { source = \"../a\" }\nmodule \"self\" { source = \"./\" }\nresource \"aws_kms_key\" \"b\" {}\n").expect("write");
    fs::write(
        d.path().join("main.tf"),
        "module \"a\" { source = \"./a\" }\n",
    )
    .expect("write");
    let t = Instant::now();
    let r = scan_dir(d.path(), &Options::default());
    assert!(t.elapsed().as_secs() < 5);
    assert!(
        r.warnings.iter().any(|w| w.message.contains("recursion")),
        "{:?}",
        r.warnings
    );
    assert!(
        r.resources
            .iter()
            .any(|x| x.address == "module.a.aws_kms_key.a")
    );
}

#[test]
fn fuzz_entry_points_survive_garbage() {
    let inputs: [&[u8]; 8] = [
        b"",
        b"\xff\xfe\x00",
        b"resource \"a\" \"b\" { x = ${ }",
        b"Resources: !Ref\n  - !GetAtt [\n",
        b"{\"planned_values\": {\"root_module\": {\"resources\": [{\"mode\": \"managed\"}]}}, \"format_version\": 1}",
        b"FROM \\\nRUN <<EOF\n",
        b"resource \"aws_s3_bucket\" \"b\" { bucket = \"${\"${\"${x}\"}\"}\" tags = { for k, v in var.x : k => v... } }",
        b"locals { a = local.b\n b = local.a }\nresource \"aws_kms_key\" \"k\" { description = local.a }",
    ];
    for i in inputs {
        fuzzing::fuzz_hcl(i);
        fuzzing::fuzz_cloudformation(i);
        fuzzing::fuzz_dockerfile(i);
        fuzzing::fuzz_plan_json(i);
    }
}

#[test]
fn kubernetes_manifests_are_reported_not_loaded() {
    let d = tempfile::tempdir().expect("tmp");
    fs::write(
        d.path().join("deploy.yaml"),
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n",
    )
    .expect("write");
    let r = scan_dir(d.path(), &Options::default());
    assert_eq!(r.kubernetes_files, vec!["deploy.yaml".to_string()]);
    assert!(r.resources.is_empty());
}

#[test]
fn large_estates_scan_in_linear_time() {
    let d = tempfile::tempdir().expect("tmp");
    let mut tf = String::new();
    for i in 0..3000 {
        tf.push_str(&format!(
            "resource \"aws_s3_bucket\" \"b{i}\" {{ bucket = \"b-{i}\" }}\n\
             resource \"aws_s3_bucket_public_access_block\" \"b{i}\" {{\n  bucket = aws_s3_bucket.b{i}.id\n  block_public_acls = true\n}}\n\
             resource \"aws_s3_bucket_versioning\" \"b{i}\" {{\n  bucket = \"b-{i}\"\n  versioning_configuration {{ status = \"Enabled\" }}\n}}\n\
             resource \"aws_security_group\" \"s{i}\" {{ name = \"s{i}\" }}\n"
        ));
    }
    fs::write(d.path().join("main.tf"), tf).expect("write");
    let t = Instant::now();
    let r = scan_dir(d.path(), &Options::default());
    assert_eq!(r.resources.len(), 12_000);
    assert!(t.elapsed().as_secs() < 30, "took {:?}", t.elapsed());
    assert!(
        !r.findings.iter().any(|f| f.rule_id == "AWS-S3-006"),
        "versioning joined by literal name"
    );
    assert_eq!(
        r.findings
            .iter()
            .filter(|f| f.rule_id == "AWS-S3-003")
            .count(),
        3000
    );
}

#[test]
fn reference_fan_out_is_bounded() {
    // Each attribute references two others, in a cycle: exponential without a step budget.
    let d = tempfile::tempdir().expect("tmp");
    let mut tf = String::new();
    for i in 0..10 {
        let (a, b) = ((i + 1) % 10, (i + 2) % 10);
        tf.push_str(&format!(
            "resource \"aws_kms_key\" \"k{i}\" {{\n  description = \"${{aws_kms_key.k{a}.description}}${{aws_kms_key.k{b}.description}}\"\n}}\n"
        ));
    }
    fs::write(d.path().join("main.tf"), tf).expect("write");
    let t = Instant::now();
    let r = scan_dir(d.path(), &Options::default());
    assert!(t.elapsed().as_secs() < 20, "took {:?}", t.elapsed());
    assert_eq!(r.resources.len(), 10);
}

#[test]
fn oversized_files_warn_by_name_and_the_rest_is_scanned() {
    use rampart_iac::scan::MAX_FILE_BYTES;
    let d = tempfile::tempdir().expect("tmp");
    for dir in ["good", "big", "k8s"] {
        fs::create_dir_all(d.path().join(dir)).expect("mkdir");
    }
    fs::write(
        d.path().join("good/main.tf"),
        "resource \"aws_kms_key\" \"k\" {}\n",
    )
    .expect("write");
    fs::write(
        d.path().join("good/Dockerfile"),
        "FROM ubuntu:latest\nRUN apt-get update\n",
    )
    .expect("write");
    fs::write(
        d.path().join("k8s/pod.yaml"),
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  containers:\n  - name: app\n    image: nginx:1.27\n    securityContext:\n      privileged: true\n",
    )
    .expect("write");
    // One byte over the limit, each a valid start of its format (sparse: no disk is used for the rest).
    let big: [(&str, &str); 5] = [
        ("big/main.tf", "resource \"aws_kms_key\" \"big\" {}\n"),
        (
            "big/stack.yaml",
            "Resources:\n  Big:\n    Type: AWS::S3::Bucket\n",
        ),
        (
            "big/deploy.yaml",
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: big\n",
        ),
        ("big/plan.json", "{\"planned_values\": {}}\n"),
        ("big/Dockerfile", "FROM ubuntu:latest\n"),
    ];
    for (name, head) in big {
        let path = d.path().join(name);
        fs::write(&path, head).expect("write");
        fs::OpenOptions::new()
            .write(true)
            .open(&path)
            .and_then(|f| f.set_len(MAX_FILE_BYTES + 1))
            .expect("grow");
    }
    let t = Instant::now();
    let r = scan_dir(d.path(), &Options::default());
    assert!(t.elapsed().as_secs() < 5, "took {:?}", t.elapsed());
    for (name, _) in big {
        let w = r
            .warnings
            .iter()
            .find(|w| w.path == name)
            .unwrap_or_else(|| panic!("no warning for {name}: {:?}", r.warnings));
        assert!(
            w.message.contains("larger than") && w.message.contains(&MAX_FILE_BYTES.to_string()),
            "{name}: {}",
            w.message
        );
    }
    assert!(
        !r.resources
            .iter()
            .any(|x| x.address.contains("big") || x.address.contains("Big")),
        "nothing loaded from the oversized files"
    );
    assert!(
        !r.findings.iter().any(|f| f.evidence.iter().any(|e| e
            .location
            .as_ref()
            .is_some_and(|l| l.path.starts_with("big/")))),
        "no finding from the oversized files"
    );
    // The other files are still scanned: Terraform, Dockerfile and Kubernetes.
    assert!(
        r.findings.iter().any(|f| f.subject == "aws_kms_key.k"),
        "good/main.tf still checked"
    );
    assert!(
        r.findings.iter().any(|f| f.rule_id.starts_with("DOCKER-")
            && f.evidence.iter().any(|e| e
                .location
                .as_ref()
                .is_some_and(|l| l.path == "good/Dockerfile"))),
        "good/Dockerfile still checked"
    );
    assert!(
        r.findings
            .iter()
            .any(|f| f.rule_id == "pss:privileged" && f.subject == "Pod/shop/web"),
        "k8s/pod.yaml still checked"
    );
    assert_eq!(r.kubernetes_files, vec!["k8s/pod.yaml".to_string()]);
}
