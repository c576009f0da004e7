//! The agent's endpoints over HTTPS with bearer tokens, and the webhook output to an HTTPS
//! receiver, with certificates made by the `openssl` command (a CA and a server certificate for
//! `localhost` and 127.0.0.1).
#![cfg(unix)]

use rampart_runtime::Engine;
use rampart_runtime::agent::http::{
    self, Client, Handler, Response, Secret, Server, ServerOptions, Url,
};
use rampart_runtime::agent::outputs::Collect;
use rampart_runtime::agent::outputs::OutputSpec;
use rampart_runtime::agent::outputs::webhook::WebhookOptions;
use rampart_runtime::agent::{Agent, AgentOptions, tls};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const RULES: &str = r#"
- rule: Audit create
  desc: any create
  condition: ka.verb = create
  output: created %ka.target.resource %ka.target.name by %ka.user.name
  priority: WARNING
  source: k8s_audit
"#;

fn engine() -> Engine {
    let mut loader = rampart_runtime::Loader::new();
    loader.add_str("tls-test.yaml", RULES);
    Engine::new(loader.finish().expect("rules load")).with_hostname("test-node")
}

/// CA, server certificate and key in `dir`: (ca.pem, server.pem, server.key).
fn certificates(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let run = |args: &[&str]| {
        let out = Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()
            .expect("openssl runs (apt: openssl)");
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run(&[
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "2",
        "-subj",
        "/CN=rampart test CA",
    ]);
    run(&[
        "req",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        "-subj",
        "/CN=localhost",
    ]);
    std::fs::write(
        dir.join("ext.cnf"),
        "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n\
         keyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    run(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.pem",
        "-days",
        "2",
        "-extfile",
        "ext.cnf",
    ]);
    (
        dir.join("ca.pem"),
        dir.join("server.pem"),
        dir.join("server.key"),
    )
}

fn audit_list() -> Vec<u8> {
    serde_json::json!({
        "kind": "EventList", "apiVersion": "audit.k8s.io/v1",
        "items": [{
            "kind": "Event", "apiVersion": "audit.k8s.io/v1", "level": "Metadata",
            "auditID": "id-1", "stage": "ResponseComplete", "verb": "create",
            "requestURI": "/api/v1/namespaces/default/configmaps/one",
            "user": {"username": "alice"},
            "objectRef": {"resource": "configmaps", "namespace": "default", "name": "one"},
            "responseStatus": {"code": 201},
            "stageTimestamp": "2024-05-01T10:00:00.000000Z"
        }]
    })
    .to_string()
    .into_bytes()
}

fn until(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn audit_and_metrics_endpoints_over_https_require_their_tokens() {
    let dir = tempfile::tempdir().unwrap();
    let (ca, cert, key) = certificates(dir.path());
    let collect = Collect::default();
    let running = Agent::new(
        engine(),
        AgentOptions {
            syscall: false,
            audit_listen: Some("127.0.0.1:0".into()),
            metrics_listen: Some("127.0.0.1:0".into()),
            tls_cert: Some(cert),
            tls_key: Some(key),
            audit_token: Some(Secret::new("audit-s3cret")),
            metrics_token: Some(Secret::new("scrape-s3cret")),
            ..AgentOptions::default()
        },
    )
    .output(Box::new(collect.clone()))
    .start()
    .expect("agent starts");
    let audit = running.audit_addr().unwrap().port();
    let metrics = running.metrics_addr().unwrap().port();
    let url =
        |port: u16, path: &str| Url::parse(&format!("https://localhost:{port}{path}")).unwrap();
    let timeout = Duration::from_secs(5);
    let trusted = Client::new(timeout).with_ca(&ca).unwrap();

    // no token, wrong token: 401; nothing reaches the engine
    assert_eq!(
        trusted
            .post(&url(audit, "/k8s-audit"), "application/json", &audit_list())
            .unwrap(),
        401
    );
    let wrong = trusted
        .clone()
        .with_header("Authorization", "Bearer nope")
        .unwrap();
    assert_eq!(
        wrong
            .post(&url(audit, "/k8s-audit"), "application/json", &audit_list())
            .unwrap(),
        401
    );
    // the metrics token does not open the audit endpoint
    let scraper = trusted
        .clone()
        .with_header("Authorization", "Bearer scrape-s3cret")
        .unwrap();
    assert_eq!(
        scraper
            .post(&url(audit, "/k8s-audit"), "application/json", &audit_list())
            .unwrap(),
        401
    );
    let apiserver = trusted
        .clone()
        .with_header("Authorization", "Bearer audit-s3cret")
        .unwrap();
    assert_eq!(
        apiserver
            .post(&url(audit, "/k8s-audit"), "application/json", &audit_list())
            .unwrap(),
        200
    );
    until("the alert", || collect.alerts().len() == 1);

    // metrics: the scrape token, over TLS
    assert_eq!(trusted.get(&url(metrics, "/metrics")).unwrap().0, 401);
    let (status, body) = scraper.get(&url(metrics, "/metrics")).unwrap();
    assert_eq!(status, 200);
    assert!(String::from_utf8_lossy(&body).contains("rampart_events_total"));

    // a client that does not trust the CA refuses the endpoint; plain HTTP gets no answer
    let untrusted = Client::new(timeout)
        .with_ca(&dir.path().join("server.pem"))
        .unwrap();
    assert!(untrusted.get(&url(metrics, "/metrics")).is_err());
    let plain = Url::parse(&format!("http://127.0.0.1:{audit}/k8s-audit")).unwrap();
    assert!(http::post(&plain, "application/json", &audit_list(), timeout).is_err());
    running.stop();
    let summary = running.wait();
    assert_eq!(
        summary.events[1], 1,
        "only the authorized request was evaluated"
    );
}

/// What the receiver got: the `Authorization` header and the body.
type Received = (Option<String>, String);

#[test]
fn webhook_output_posts_to_an_https_receiver_with_its_headers() {
    let dir = tempfile::tempdir().unwrap();
    let (ca, cert, key) = certificates(dir.path());
    let received: Arc<Mutex<Vec<Received>>> = Arc::default();
    let handler: Handler = {
        let received = received.clone();
        Arc::new(move |req| {
            let auth = req.header("authorization").map(str::to_string);
            let body = String::from_utf8_lossy(&req.body).into_owned();
            received.lock().unwrap().push((auth, body));
            Response::text(200, "ok\n")
        })
    };
    let receiver = Server::start_with(
        "127.0.0.1:0",
        ServerOptions {
            max_body: 1 << 20,
            tls: Some(tls::server_config(&cert, &key).unwrap()),
            token: Some(Secret::new("hook-token")),
        },
        handler,
    )
    .unwrap();
    let mut spec = OutputSpec::parse(&format!(
        "webhook:https://localhost:{}/hook",
        receiver.addr().port()
    ))
    .unwrap();
    let o: &mut WebhookOptions = spec.webhook_options().expect("a webhook");
    o.ca = Some(ca);
    o.headers
        .push(("Authorization".into(), Secret::new("Bearer hook-token")));
    o.linger = Duration::from_millis(50);
    let agent = Agent::new(
        engine(),
        AgentOptions {
            syscall: false,
            audit_listen: Some("127.0.0.1:0".into()),
            ..AgentOptions::default()
        },
    );
    let out = spec.open("test-node", agent.metrics()).unwrap();
    let running = agent.output(out).start().expect("agent starts");
    let url = Url::parse(&format!(
        "http://{}/k8s-audit",
        running.audit_addr().unwrap()
    ))
    .unwrap();
    assert_eq!(
        http::post(
            &url,
            "application/json",
            &audit_list(),
            Duration::from_secs(5)
        )
        .unwrap(),
        200
    );
    until("the webhook batch", || !received.lock().unwrap().is_empty());
    running.stop();
    running.wait();
    let got = received.lock().unwrap().clone();
    assert_eq!(got[0].0.as_deref(), Some("Bearer hook-token"));
    let batch: serde_json::Value = serde_json::from_str(&got[0].1).unwrap();
    assert_eq!(batch[0]["rule"], "Audit create");
    // the header value never shows in the output's debug form
    assert!(!format!("{spec:?}").contains("hook-token"));
}
