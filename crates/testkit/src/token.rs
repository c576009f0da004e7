//! A small Docker registry token service for tests (the `auth: token:` mode of Debian's
//! `docker-registry`, distribution 2.8): a std `TcpListener` thread that answers
//! `GET /token?service=…&scope=…` with a JWT signed RS256 by a key whose self-signed certificate is
//! the registry's `rootcertbundle` (key and certificate made, and tokens signed, by the `openssl`
//! CLI).
//!
//! Distribution checks (`registry/auth/token/token.go`): `iss` among the trusted issuers, `aud` the
//! service, `exp`/`nbf` within 60 s of leeway, a signature by the key of the `x5c` header's leaf
//! certificate, which must verify against the root bundle (a self-signed certificate that is in the
//! bundle does), and an `access` claim (`[{type, name, actions}]`) covering the request —
//! `repository:NAME:pull`/`push` for images, `registry:catalog:*` for `/v2/_catalog`.
//!
//! Right credentials (HTTP basic) get every scope asked for; no credentials get a token with no
//! access (as public token services do); wrong credentials get 401. Every request is recorded.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The `service` the registry announces and tokens are issued for (`aud`).
pub const SERVICE: &str = "rampart-test-registry";
/// The token issuer (`iss`) the registry trusts.
pub const ISSUER: &str = "rampart-test-token-issuer";

/// One request the token service answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRequest {
    /// The basic-auth user, when credentials were sent (right or wrong).
    pub user: Option<String>,
    /// The scopes asked for (`scope` parameters, space-separated lists split).
    pub scopes: Vec<String>,
    /// The `service` parameter.
    pub service: Option<String>,
    /// 200, or 401 for wrong credentials, 400 for a malformed request.
    pub status: u16,
}

/// A running token service; stopped on drop.
pub struct TokenServer {
    /// `http://127.0.0.1:PORT/token`.
    pub realm: String,
    /// The certificate (PEM) the registry trusts: its `rootcertbundle`.
    pub cert: PathBuf,
    addr: SocketAddr,
    requests: Arc<Mutex<Vec<TokenRequest>>>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

struct Signer {
    key: PathBuf,
    x5c: String,
    user: String,
    password: String,
    expires_in: u64,
    serial: AtomicU64,
}

impl TokenServer {
    /// Makes a key and self-signed certificate in `dir` and serves tokens for `user`/`password`,
    /// valid `expires_in` seconds (`expires_in` in the response and `exp` in the JWT).
    pub fn start(dir: &Path, user: &str, password: &str, expires_in: u64) -> TokenServer {
        let key = dir.join("token-key.pem");
        let cert = dir.join("token-cert.pem");
        run(Command::new("openssl")
            .args(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-sha256"])
            .args(["-days", "2", "-subj", "/CN=rampart test token issuer"])
            .arg("-keyout")
            .arg(&key)
            .arg("-out")
            .arg(&cert));
        let der = run(Command::new("openssl")
            .args(["x509", "-outform", "DER", "-in"])
            .arg(&cert));
        let signer = Arc::new(Signer {
            key,
            x5c: STANDARD.encode(der),
            user: user.to_string(),
            password: password.to_string(),
            expires_in,
            serial: AtomicU64::new(0),
        });
        let listener = TcpListener::bind("127.0.0.1:0").expect("token service port");
        let addr = listener.local_addr().expect("token service address");
        let requests = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (requests, stop) = (requests.clone(), stop.clone());
            std::thread::spawn(move || {
                for conn in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(conn) = conn else { continue };
                    let (signer, requests) = (signer.clone(), requests.clone());
                    std::thread::spawn(move || serve(conn, &signer, &requests));
                }
            })
        };
        TokenServer {
            realm: format!("http://{addr}/token"),
            cert,
            addr,
            requests,
            stop,
            thread: Some(thread),
        }
    }

    /// The requests answered so far.
    pub fn requests(&self) -> Vec<TokenRequest> {
        self.requests
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

impl Drop for TokenServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Runs `cmd`, panicking with its error output on failure; its standard output.
fn run(cmd: &mut Command) -> Vec<u8> {
    let out = cmd.output().expect("openssl runs");
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Answers one connection (one request; `Connection: close`).
fn serve(mut conn: TcpStream, signer: &Signer, requests: &Mutex<Vec<TokenRequest>>) {
    let _ = conn.set_read_timeout(Some(Duration::from_secs(10)));
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 64 * 1024 {
        match conn.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    let head = String::from_utf8_lossy(&head);
    let mut lines = head.split("\r\n");
    let target = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .unwrap_or("");
    if target.is_empty() {
        // The wake-up connection of `Drop`, or garbage.
        return;
    }
    let query = target.split_once('?').map(|(_, q)| q).unwrap_or("");
    let mut scopes = Vec::new();
    let mut service = None;
    for pair in query.split('&') {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let v = percent_decode(v);
        match k {
            "scope" => scopes.extend(v.split_whitespace().map(str::to_string)),
            "service" => service = Some(v),
            _ => {}
        }
    }
    let creds = lines
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("authorization"))
        .and_then(|(_, v)| v.trim().strip_prefix("Basic ").map(str::trim))
        .and_then(|b| STANDARD.decode(b).ok())
        .and_then(|raw| String::from_utf8(raw).ok())
        .and_then(|s| {
            s.split_once(':')
                .map(|(u, p)| (u.to_string(), p.to_string()))
        });
    let right = creds
        .as_ref()
        .is_some_and(|(u, p)| *u == signer.user && *p == signer.password);
    let status = if !target.starts_with("/token") || service.as_deref() != Some(SERVICE) {
        400
    } else if creds.is_some() && !right {
        401
    } else {
        200
    };
    requests
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(TokenRequest {
            user: creds.as_ref().map(|(u, _)| u.clone()),
            scopes: scopes.clone(),
            service,
            status,
        });
    let response = match status {
        200 => {
            let granted: &[String] = if right { &scopes } else { &[] };
            let token = signer.token(creds.as_ref().map(|(u, _)| u.as_str()), granted);
            let body = format!(
                r#"{{"token":"{token}","access_token":"{token}","expires_in":{}}}"#,
                signer.expires_in
            );
            format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            )
        }
        401 => "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"token\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_string(),
        _ => "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_string(),
    };
    let _ = conn.write_all(response.as_bytes());
    let _ = conn.flush();
}

impl Signer {
    /// A JWT for `subject` granting `scopes` (`type:name:actions`).
    fn token(&self, subject: Option<&str>, scopes: &[String]) -> String {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("clock after 1970")
            .as_secs();
        let access: Vec<String> = scopes
            .iter()
            .filter_map(|s| {
                // `repository:team/app:pull,push`; a name may hold a port's colon.
                let (kind, rest) = s.split_once(':')?;
                let (name, actions) = rest.rsplit_once(':')?;
                let actions: Vec<String> = actions.split(',').map(json_string).collect();
                Some(format!(
                    r#"{{"type":{},"name":{},"actions":[{}]}}"#,
                    json_string(kind),
                    json_string(name),
                    actions.join(",")
                ))
            })
            .collect();
        let header = format!(r#"{{"typ":"JWT","alg":"RS256","x5c":["{}"]}}"#, self.x5c);
        let claims = format!(
            r#"{{"iss":{},"sub":{},"aud":{},"exp":{},"nbf":{},"iat":{},"jti":"{}","access":[{}]}}"#,
            json_string(ISSUER),
            json_string(subject.unwrap_or("")),
            json_string(SERVICE),
            now + self.expires_in,
            now,
            now,
            self.serial.fetch_add(1, Ordering::Relaxed),
            access.join(",")
        );
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header),
            URL_SAFE_NO_PAD.encode(claims)
        );
        let mut child = Command::new("openssl")
            .args(["dgst", "-sha256", "-sign"])
            .arg(&self.key)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("openssl runs");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(signing_input.as_bytes())
            .expect("signing input written");
        let out = child.wait_with_output().expect("openssl dgst");
        assert!(
            out.status.success(),
            "openssl dgst -sign: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(out.stdout))
    }
}

/// `s` as a JSON string literal.
fn json_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Decodes `%XX` escapes and `+` (query-string form); a malformed escape stays as it is.
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let escaped = (b[i] == b'%')
            .then(|| b.get(i + 1..i + 3))
            .flatten()
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (escaped, b[i]) {
            (Some(v), _) => {
                out.push(v);
                i += 3;
            }
            (None, b'+') => {
                out.push(b' ');
                i += 1;
            }
            (None, c) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_queries_and_quotes_json() {
        assert_eq!(
            percent_decode("repository%3Ateam%2Fapp%3Apull%2Cpush+x%"),
            "repository:team/app:pull,push x%"
        );
        assert_eq!(percent_decode("%4"), "%4");
        assert_eq!(json_string("a\"b\\c\n"), r#""a\"b\\c\u000a""#);
    }
}
