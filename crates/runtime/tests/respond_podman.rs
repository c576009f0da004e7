//! The pause and stop responses on a real podman container (runc; `peers/containers.conf`).
//! Skips when podman is missing, except under `CI=true`, where it must run.
#![cfg(unix)]

use rampart_runtime::agent::outputs::{Collect, Dispatcher};
use rampart_runtime::agent::respond::Responder;
use rampart_runtime::agent::{Metrics, Responses, Target};
use rampart_runtime::{Alert, Priority};
use std::process::Command;
use std::sync::Arc;

fn podman(args: &[&str]) -> Option<String> {
    let out = Command::new("timeout")
        .arg("120")
        .arg("podman")
        .args(args)
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn trigger() -> Arc<Alert> {
    Arc::new(Alert {
        output: "00:00:00.000000000: Critical shell".into(),
        priority: Priority::Critical,
        rule: "Terminal shell in container".into(),
        time: "2024-05-01T10:00:00.000000000Z".into(),
        output_fields: Default::default(),
        source: "syscall".into(),
        tags: vec!["container".into()],
        hostname: "h".into(),
        message: "shell".into(),
    })
}

fn respond(yaml: &str, target: Target) -> Vec<Alert> {
    let collect = Collect::default();
    let metrics = Arc::new(Metrics::default());
    let dispatcher =
        Arc::new(Dispatcher::start(vec![Box::new(collect.clone())], metrics.clone()).unwrap());
    let mut r = Responder::start(
        Responses::parse(yaml, "r.yaml").unwrap(),
        dispatcher.clone(),
        metrics,
    )
    .unwrap();
    r.offer(&trigger(), &target);
    r.finish();
    drop(dispatcher); // drains the outputs
    collect.alerts()
}

#[test]
fn pause_and_stop_responses_act_on_a_podman_container() {
    if let Some(conf) = rampart_testkit::shared("peers/containers.conf") {
        // SAFETY: set before any thread of this test binary reads the environment.
        unsafe { std::env::set_var("CONTAINERS_CONF", conf) };
    }
    if podman(&["--version"]).is_none() {
        assert!(!rampart_testkit::in_ci(), "podman must run in CI");
        eprintln!("skipping: no podman");
        return;
    }
    let name = format!("rampart-respond-{}", std::process::id());
    let id = podman(&[
        "run",
        "-d",
        "--rm",
        "--name",
        &name,
        "localhost/rampart/app:1.0",
        "sleep",
        "120",
    ])
    .expect("podman run -d");
    let short = id.get(..12).unwrap_or(&id).to_string();
    let target = Target {
        pid: None,
        container_id: Some(short.clone()),
    };
    let pause = "responses:\n  - tags: [container]\n    action: pause\n    dry_run: false\n    runtime: podman\n";
    let alerts = respond(pause, target.clone());
    let status = podman(&["inspect", "-f", "{{.State.Status}}", &id]);
    let stop = "responses:\n  - rules: [Terminal shell in container]\n    action: stop\n    dry_run: false\n";
    let (stopped, after) = if status.as_deref() == Some("paused") {
        let _ = podman(&["unpause", &id]);
        let a = respond(stop, target);
        (a, podman(&["inspect", "-f", "{{.State.Status}}", &id]))
    } else {
        (Vec::new(), None)
    };
    let _ = podman(&["rm", "-f", "-t", "0", &name]);
    assert_eq!(status.as_deref(), Some("paused"), "alerts: {alerts:?}");
    let r = alerts
        .iter()
        .find(|a| a.rule == "Rampart response")
        .expect("response reported");
    assert_eq!(r.output_fields["response.result"], "ok", "{r:?}");
    assert_eq!(r.output_fields["container.id"], short.as_str());
    let s = stopped
        .iter()
        .find(|a| a.rule == "Rampart response")
        .expect("stop reported");
    assert_eq!(s.output_fields["response.result"], "ok", "{s:?}");
    // --rm: a stopped container is gone (or at least not running)
    assert_ne!(after.as_deref(), Some("running"));
}
