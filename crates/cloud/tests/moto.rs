//! Against a real moto server: seed an insecure account with the shared `seed.py`, collect it with the SDK
//! and check every insecure resource is reported with the right check.

use rampart_cloud::{AwsOptions, Inventory, collect_blocking, scan};
use std::collections::BTreeSet;
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn tools_venv() -> PathBuf {
    match std::env::var_os("RAMPART_TOOLS") {
        Some(t) => PathBuf::from(t).join("venv"),
        None => PathBuf::from(std::env::var_os("HOME").unwrap_or_default())
            .join(".cache/rampart-tools/venv"),
    }
}

/// A moto server on a free local port, killed on drop.
struct Moto {
    child: Child,
    url: String,
}

impl Moto {
    fn start() -> Option<Moto> {
        let bin = tools_venv().join("bin/moto_server");
        if !bin.exists() {
            assert!(
                !rampart_testkit::in_ci(),
                "moto_server missing at {} (run scripts/test-deps.sh)",
                bin.display()
            );
            eprintln!("skip: moto_server not installed at {}", bin.display());
            return None;
        }
        let amis = rampart_testkit::shared("peers/aws/empty-amis.json")?;
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let child = Command::new(&bin)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .env("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
            .env("MOTO_AMIS_PATH", amis)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start moto_server");
        let moto = Moto {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "moto_server did not start");
            std::thread::sleep(Duration::from_millis(200));
        }
        Some(moto)
    }

    fn seed(&self, script: &PathBuf) {
        let dir = std::env::temp_dir().join(format!("rampart-cloud-seed-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let out = Command::new(tools_venv().join("bin/python"))
            .arg(script)
            .current_dir(&dir)
            .env("AWS_ENDPOINT_URL", &self.url)
            .env("AUTH_DETAILS_OUT", dir.join("auth-details.json"))
            .output()
            .expect("run seed.py");
        assert!(
            out.status.success(),
            "seed.py failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    fn options(&self) -> AwsOptions {
        AwsOptions {
            region: Some("us-east-1".into()),
            endpoint_url: Some(self.url.clone()),
            static_credentials: Some(("testing".into(), "testing".into())),
            ..AwsOptions::default()
        }
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn hits(inv: &Inventory) -> BTreeSet<(String, String)> {
    scan(inv, "aws:test", &[])
        .findings
        .iter()
        .map(|f| (f.rule_id.clone(), f.subject.clone()))
        .collect()
}

#[test]
fn seeded_moto_account_reports_every_insecure_resource() {
    let Some(seed) = rampart_testkit::shared("peers/aws/seed.py") else {
        return;
    };
    let Some(moto) = Moto::start() else { return };
    moto.seed(&seed);
    let t = Instant::now();
    let inv = collect_blocking(&moto.options()).expect("collect");
    eprintln!(
        "collected {} resources in {:?}; warnings: {:#?}",
        inv.resources.len(),
        t.elapsed(),
        inv.warnings
    );
    let found = hits(&inv);
    for (id, target) in &found {
        eprintln!("{id} {target}");
    }
    let sg = inv
        .resources
        .iter()
        .find(|r| r.str("name") == Some("cnapp-ssh-open"))
        .map(|r| r.address.clone())
        .expect("the seeded security group was collected");
    let kms = inv
        .resources
        .iter()
        .find(|r| {
            r.resource_type == "aws_kms_key" && r.str("description") == Some("cnapp-no-rotation")
        })
        .map(|r| r.address.clone())
        .expect("the seeded KMS key was collected");
    let expected = [
        (
            "AWS-S3-001",
            "aws_s3_bucket.cnapp-public-bucket".to_string(),
        ),
        ("AWS-IAM-007", "aws_iam_role.cnapp-open-role".to_string()),
        ("AWS-VPC-001", sg),
        ("AWS-CT-001", "aws_cloudtrail.cnapp-trail".to_string()),
        ("AWS-CT-LIVE-001", "aws_cloudtrail.cnapp-trail".to_string()),
        ("AWS-KMS-001", kms),
    ];
    for (id, target) in expected {
        assert!(
            found.contains(&(id.to_string(), target.clone())),
            "missing {id} on {target}"
        );
    }
    assert!(
        found.iter().any(|(_, t)| t == "aws_iam_user.cnapp-admin"),
        "the admin user is reported"
    );
    assert!(inv.warnings.is_empty(), "warnings: {:?}", inv.warnings);
}

/// Declared buckets (Terraform) against the live account, before and after an out-of-band change.
#[test]
fn drift_shows_an_out_of_band_change() {
    let Some(seed) = rampart_testkit::shared("peers/aws/seed.py") else {
        return;
    };
    let Some(moto) = Moto::start() else { return };
    moto.seed(&seed);
    let dir = std::env::temp_dir().join(format!("rampart-cloud-drift-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    std::fs::write(
        dir.join("main.tf"),
        r#"
resource "aws_s3_bucket" "public" {
  bucket = "cnapp-public-bucket"
  acl    = "private"
}
resource "aws_s3_bucket" "logs" {
  bucket = "cnapp-trail-logs"
  acl    = "private"
}
resource "aws_s3_bucket" "gone" {
  bucket = "cnapp-never-created"
}
"#,
    )
    .expect("write main.tf");
    let declared = rampart_iac::ResourceSet::new(
        rampart_iac::scan_dir(&dir, &rampart_iac::Options::default()).resources,
    );
    let _ = std::fs::remove_dir_all(&dir);
    let changed_acls = |report: &rampart_iac::drift::DriftReport| -> BTreeSet<String> {
        report
            .changed
            .iter()
            .filter(|(_, _, c)| c.iter().any(|c| c.path == "acl"))
            .map(|(d, _, _)| d.clone())
            .collect()
    };
    let o = moto.options();
    let before = rampart_cloud::drift(&declared, &collect_blocking(&o).expect("collect"));
    assert_eq!(
        changed_acls(&before),
        BTreeSet::from(["aws_s3_bucket.public".to_string()])
    );
    assert_eq!(before.only_declared, vec!["aws_s3_bucket.gone".to_string()]);
    assert!(
        before
            .only_live
            .iter()
            .any(|a| a == "aws_iam_role.cnapp-open-role"),
        "unmanaged live resources are listed"
    );

    // Out of band: someone makes the log bucket public.
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let conf = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("us-east-1"))
            .endpoint_url(&moto.url)
            .credentials_provider(aws_sdk_s3::config::Credentials::new(
                "testing", "testing", None, None, "test",
            ))
            .load()
            .await;
        let s3 = aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&conf)
                .force_path_style(true)
                .build(),
        );
        s3.put_bucket_acl()
            .bucket("cnapp-trail-logs")
            .acl(aws_sdk_s3::types::BucketCannedAcl::PublicRead)
            .send()
            .await
            .expect("put_bucket_acl");
    });
    let after = rampart_cloud::drift(&declared, &collect_blocking(&o).expect("collect"));
    assert_eq!(
        changed_acls(&after),
        BTreeSet::from([
            "aws_s3_bucket.logs".to_string(),
            "aws_s3_bucket.public".to_string()
        ])
    );
}
