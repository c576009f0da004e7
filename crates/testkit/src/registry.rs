//! Debian's `docker-registry` for tests: served on a free loopback port with temporary storage,
//! optionally behind htpasswd basic auth or token auth (a [`TokenServer`] of this crate), its access
//! log kept (see [`Registry::blob_gets`]), killed on drop. Without the server (or `htpasswd` for
//! basic auth, `openssl` for token auth) `start` prints a note and gives `None` — except under CI,
//! where it fails.

pub use crate::token::{TokenRequest, TokenServer};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running registry.
pub struct Registry {
    child: Child,
    /// `127.0.0.1:PORT`.
    pub host: String,
    /// Scratch folder (its `data/` is the registry's storage); tests may put their files here.
    pub dir: tempfile::TempDir,
    /// The server's output, access log included.
    pub log: PathBuf,
    /// The token service, in token mode.
    token: Option<TokenServer>,
}

/// How a registry authenticates clients.
#[derive(Debug, Clone, Copy)]
pub enum Auth<'a> {
    /// Anyone may pull and push.
    None,
    /// htpasswd (bcrypt) basic auth for `(user, password)`.
    Basic(&'a str, &'a str),
    /// Bearer tokens from a [`TokenServer`] that grants `user`/`password` every scope asked for,
    /// each token valid `expires_in` seconds.
    Token {
        user: &'a str,
        password: &'a str,
        expires_in: u64,
    },
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// True when `tool` runs; otherwise a note (a failure under CI) naming the Debian `package`.
pub fn have(tool: &str, package: &str) -> bool {
    if Command::new(tool).arg("--help").output().is_ok() {
        return true;
    }
    assert!(!crate::in_ci(), "{tool} ({package}) missing");
    eprintln!("note: {tool} not installed; skipping");
    false
}

impl Registry {
    /// Starts a registry; with `auth = Some((user, password))` it requires basic auth.
    pub fn start(auth: Option<(&str, &str)>) -> Option<Registry> {
        match auth {
            Some((user, password)) => Registry::start_with(Auth::Basic(user, password)),
            None => Registry::start_with(Auth::None),
        }
    }

    /// Starts a registry behind token auth for `user`/`password` (tokens valid 300 s).
    pub fn start_token(user: &str, password: &str) -> Option<Registry> {
        Registry::start_with(Auth::Token {
            user,
            password,
            expires_in: 300,
        })
    }

    /// Starts a registry with `auth`.
    pub fn start_with(auth: Auth<'_>) -> Option<Registry> {
        let tools = match auth {
            Auth::None => true,
            Auth::Basic(..) => have("htpasswd", "apache2-utils"),
            Auth::Token { .. } => have("openssl", "openssl"),
        };
        if !have("docker-registry", "docker-registry") || !tools {
            return None;
        }
        let dir = tempfile::tempdir().expect("scratch folder");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let host = format!("127.0.0.1:{port}");
        let mut config = format!(
            "version: 0.1\nlog:\n  level: info\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: {host}\n",
            dir.path().join("data").display()
        );
        let mut token = None;
        if let Auth::Token {
            user,
            password,
            expires_in,
        } = auth
        {
            let server = TokenServer::start(dir.path(), user, password, expires_in);
            config.push_str(&format!(
                "auth:\n  token:\n    realm: {}\n    service: {}\n    issuer: {}\n    rootcertbundle: {}\n",
                server.realm,
                crate::token::SERVICE,
                crate::token::ISSUER,
                server.cert.display()
            ));
            token = Some(server);
        }
        if let Auth::Basic(user, password) = auth {
            let out = Command::new("htpasswd")
                .args(["-Bbn", user, password])
                .output()
                .expect("htpasswd runs");
            assert!(out.status.success(), "htpasswd failed");
            let htpasswd = dir.path().join("htpasswd");
            std::fs::write(&htpasswd, out.stdout).expect("htpasswd file");
            config.push_str(&format!(
                "auth:\n  htpasswd:\n    realm: rampart\n    path: {}\n",
                htpasswd.display()
            ));
        }
        let cfg = dir.path().join("config.yml");
        std::fs::write(&cfg, config).expect("registry config");
        let log = dir.path().join("registry.log");
        let out = std::fs::File::create(&log).expect("registry log");
        let mut child = Command::new("docker-registry")
            .arg("serve")
            .arg(&cfg)
            .stdin(Stdio::null())
            .stdout(out.try_clone().expect("registry log"))
            .stderr(out)
            .spawn()
            .expect("docker-registry starts");
        let deadline = Instant::now() + Duration::from_secs(5);
        while std::net::TcpStream::connect(&host).is_err() && Instant::now() < deadline {
            if let Ok(Some(status)) = child.try_wait() {
                panic!(
                    "docker-registry exited ({status}): {}",
                    std::fs::read_to_string(&log).unwrap_or_default()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Some(Registry {
            child,
            host,
            dir,
            log,
            token,
        })
    }

    /// The requests the token service answered (empty unless in token mode).
    pub fn token_requests(&self) -> Vec<TokenRequest> {
        self.token
            .as_ref()
            .map(TokenServer::requests)
            .unwrap_or_default()
    }

    /// `skopeo copy oci:LAYOUT:TAG docker://HOST/DEST` (no TLS, no auth).
    pub fn push(&self, layout: &Path, tag: &str, dest: &str) {
        self.push_as(layout, tag, dest, None);
    }

    /// [`Registry::push`] with `user:password` credentials.
    pub fn push_as(&self, layout: &Path, tag: &str, dest: &str, creds: Option<&str>) {
        let out = Command::new("skopeo")
            .args(["copy", "-q", "--dest-tls-verify=false"])
            .args(creds.map(|c| format!("--dest-creds={c}")))
            .arg(format!("oci:{}:{tag}", layout.display()))
            .arg(format!("docker://{}/{dest}", self.host))
            .output()
            .expect("skopeo runs");
        assert!(
            out.status.success(),
            "skopeo copy {tag} → {dest}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// The paths of the `GET /v2/…/blobs/sha256:…` requests served so far, from the access log.
    pub fn blob_gets(&self) -> Vec<String> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .filter(|l| l.contains("\"GET /v2/") && l.contains("/blobs/sha256:"))
            .filter_map(|l| l.split_whitespace().nth(6).map(str::to_string))
            .collect()
    }
}

/// Runs `cmd`, which must succeed.
fn run_ok(cmd: &mut Command) {
    let out = cmd.output().expect("command runs");
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// An OCI layout `dir/small` (made with umoci) with one small image per `(tag, created)`: a layer
/// holding `srv/TAG.txt`, config `created` set to the RFC 3339 time given. Push them with
/// [`Registry::push`].
pub fn small_images(dir: &Path, images: &[(&str, &str)]) -> PathBuf {
    let layout = dir.join("small");
    run_ok(
        Command::new("umoci")
            .arg("init")
            .arg("--layout")
            .arg(&layout),
    );
    for (tag, created) in images {
        let image = format!("{}:{tag}", layout.display());
        run_ok(Command::new("umoci").args(["new", "--image", &image]));
        let src = dir.join(format!("src-{tag}"));
        std::fs::create_dir_all(src.join("srv")).expect("layer folder");
        std::fs::write(src.join("srv").join(format!("{tag}.txt")), tag).expect("layer file");
        let tar = dir.join(format!("{tag}.tar"));
        run_ok(
            Command::new("tar")
                .arg("-cf")
                .arg(&tar)
                .arg("-C")
                .arg(&src)
                .arg("srv"),
        );
        run_ok(
            Command::new("umoci")
                .args(["raw", "add-layer", "--image", &image])
                .arg(&tar),
        );
        run_ok(Command::new("umoci").args(["config", "--image", &image, "--created", created]));
    }
    layout
}
