//! A local HTTP server replaying recorded Kubernetes API responses, so the live path is tested without
//! an API server. `routes.json` in the recording folder maps `PATH` or `PATH?continue=TOKEN` to a
//! response file (and optionally a status); any other request gets a 404 `Status` as the API server
//! sends. Query parameters other than `continue` (such as `limit`) are the client's choice and ignored
//! for matching, but logged.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// One recorded response.
#[derive(Clone)]
struct Route {
    file: PathBuf,
    status: u16,
}

/// A running replay server (it stops with the test process).
pub struct Replay {
    pub port: u16,
    /// Every request line received (`GET /api/v1/pods?limit=2`), in order.
    pub requests: Arc<Mutex<Vec<String>>>,
}

impl Replay {
    /// Serves the recording folder `dir` on 127.0.0.1 at a free port.
    pub fn start(dir: &Path) -> Replay {
        let text = std::fs::read_to_string(dir.join("routes.json")).expect("routes.json");
        let raw: BTreeMap<String, serde_json::Value> =
            serde_json::from_str(&text).expect("routes.json is a JSON object");
        let routes: BTreeMap<String, Route> = raw
            .into_iter()
            .map(|(k, v)| {
                let (file, status) = match &v {
                    serde_json::Value::String(f) => (f.clone(), 200),
                    other => (
                        other["file"].as_str().expect("file").to_string(),
                        other["status"].as_u64().unwrap_or(200) as u16,
                    ),
                };
                (
                    k,
                    Route {
                        file: dir.join(file),
                        status,
                    },
                )
            })
            .collect();
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&requests);
        let routes = Arc::new(routes);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let routes = Arc::clone(&routes);
                let log = Arc::clone(&log);
                std::thread::spawn(move || serve(stream, &routes, &log));
            }
        });
        Replay { port, requests }
    }

    /// A kubeconfig for this server: the template's `PORT` replaced, written into `dir`.
    pub fn kubeconfig(&self, template: &Path, dir: &Path) -> PathBuf {
        let text = std::fs::read_to_string(template).expect("kubeconfig template");
        let path = dir.join("kubeconfig.yaml");
        std::fs::write(&path, text.replace("PORT", &self.port.to_string())).expect("write");
        path
    }

    pub fn requests(&self) -> Vec<String> {
        self.requests.lock().map(|r| r.clone()).unwrap_or_default()
    }
}

/// Answers the requests of one connection (HTTP/1.1 keep-alive; requests have no body).
fn serve(stream: TcpStream, routes: &BTreeMap<String, Route>, log: &Mutex<Vec<String>>) {
    let Ok(write_half) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(stream);
    let mut writer = write_half;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        // Headers up to the blank line.
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h).unwrap_or(0) == 0 {
                return;
            }
            if h == "\r\n" || h == "\n" {
                break;
            }
        }
        let mut parts = line.split_whitespace();
        let method = parts.next().unwrap_or("");
        let target = parts.next().unwrap_or("/");
        if let Ok(mut l) = log.lock() {
            l.push(format!("{method} {target}"));
        }
        let (status, body) = respond(routes, target);
        let reason = match status {
            200 => "OK",
            403 => "Forbidden",
            _ => "Not Found",
        };
        let head = format!(
            "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        if writer.write_all(head.as_bytes()).is_err() || writer.write_all(&body).is_err() {
            return;
        }
    }
}

fn respond(routes: &BTreeMap<String, Route>, target: &str) -> (u16, Vec<u8>) {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let token = query
        .split('&')
        .find_map(|kv| kv.strip_prefix("continue="))
        .map(|t| {
            t.replace("%3D", "=")
                .replace("%2B", "+")
                .replace("%2F", "/")
        });
    let key = match token {
        Some(t) => format!("{path}?continue={t}"),
        None => path.to_string(),
    };
    match routes.get(&key) {
        Some(route) => match std::fs::read(&route.file) {
            Ok(body) => (route.status, body),
            Err(_) => (500, b"{}".to_vec()),
        },
        None => (
            404,
            format!(
                r#"{{"kind":"Status","apiVersion":"v1","metadata":{{}},"status":"Failure","message":"the server could not find the requested resource ({key})","reason":"NotFound","details":{{}},"code":404}}"#
            )
            .into_bytes(),
        ),
    }
}
