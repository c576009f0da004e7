//! A real moto server (the AWS API emulator from `scripts/test-deps.sh`'s venv) on a free local port,
//! killed on drop; shared by the cloud crate's and the CLI's tests.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The Python venv holding moto and boto3: `$RAMPART_TOOLS/venv`, default `~/.cache/rampart-tools/venv`.
pub fn tools_venv() -> PathBuf {
    match std::env::var_os("RAMPART_TOOLS") {
        Some(t) => PathBuf::from(t).join("venv"),
        None => PathBuf::from(std::env::var_os("HOME").unwrap_or_default())
            .join(".cache/rampart-tools/venv"),
    }
}

/// Test credentials, no profile or instance metadata, every AWS call to `url`.
pub fn aws_env(url: &str) -> Vec<(&'static str, String)> {
    vec![
        ("AWS_ACCESS_KEY_ID", "testing".into()),
        ("AWS_SECRET_ACCESS_KEY", "testing".into()),
        ("AWS_REGION", "us-east-1".into()),
        ("AWS_DEFAULT_REGION", "us-east-1".into()),
        ("AWS_EC2_METADATA_DISABLED", "true".into()),
        ("AWS_CONFIG_FILE", "/dev/null".into()),
        ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null".into()),
        ("AWS_ENDPOINT_URL", url.to_string()),
    ]
}

/// A running moto server.
pub struct Moto {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
}

impl Moto {
    /// Starts moto (AWS managed IAM policies loaded, no AMIs); `None` (skip, with a note) when moto or the
    /// shared corpus is missing, except under `CI=true`, where that fails the test.
    pub fn start() -> Option<Moto> {
        let bin = tools_venv().join("bin/moto_server");
        if !bin.exists() {
            assert!(
                !crate::in_ci(),
                "moto_server missing at {} (run scripts/test-deps.sh)",
                bin.display()
            );
            eprintln!("skip: moto_server not installed at {}", bin.display());
            return None;
        }
        let amis = crate::shared("peers/aws/empty-amis.json")?;
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

    /// [`Moto::start`], then the shared insecure account (`../shared/peers/aws/seed.py`).
    pub fn seeded() -> Option<Moto> {
        let seed = crate::shared("peers/aws/seed.py")?;
        let moto = Moto::start()?;
        moto.python(&seed);
        Some(moto)
    }

    /// Runs a Python (boto3) script against the server, in a scratch folder (`AUTH_DETAILS_OUT` points
    /// into it); panics with the script's standard error when it fails.
    pub fn python(&self, script: &Path) {
        let dir = std::env::temp_dir().join(format!(
            "rampart-moto-{}-{}",
            std::process::id(),
            self.url.rsplit(':').next().unwrap_or_default()
        ));
        std::fs::create_dir_all(&dir).expect("scratch folder");
        let mut cmd = Command::new(tools_venv().join("bin/python"));
        cmd.arg(script)
            .current_dir(&dir)
            .env("AUTH_DETAILS_OUT", dir.join("auth-details.json"));
        for (k, v) in aws_env(&self.url) {
            cmd.env(k, v);
        }
        let out = cmd.output().expect("run python");
        let _ = std::fs::remove_dir_all(&dir);
        assert!(
            out.status.success(),
            "{} failed: {}",
            script.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
