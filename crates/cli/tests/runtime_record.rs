//! `rampart runtime run --record` on live eBPF events, then `rampart runtime replay --source
//! syscall` of the recording: the replay raises the same alerts the live run did. Root and eBPF;
//! under `CI=true` it must run.

use serde_json::Value;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn alerts(text: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = text
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|a| {
            !a["tags"]
                .as_array()
                .is_some_and(|t| t.iter().any(|x| x == "internal"))
        })
        .map(|a| {
            (
                a["rule"].as_str().unwrap_or_default().to_string(),
                a["output"]
                    .as_str()
                    .unwrap_or_default()
                    // the output starts with the event time, which both runs share
                    .to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn a_live_recording_replays_to_the_same_alerts() {
    if let Err(e) = rampart_runtime::sources::ebpf::preflight() {
        assert!(!rampart_testkit::in_ci(), "eBPF must run in CI: {e}");
        eprintln!("skipping: {e}");
        return;
    }
    let rules = rampart_testkit::shared("testdata/falcosecurity-rules/rules/falco_rules.yaml")
        .expect("falcosecurity rules");
    let dir = tempfile::tempdir().expect("tempdir");
    let record = dir.path().join("events.jsonl");
    let live = dir.path().join("alerts.jsonl");
    let agent = Command::new(env!("CARGO_BIN_EXE_rampart"))
        .args(["runtime", "run", "--source", "syscall", "--duration", "30s"])
        .arg("--rules")
        .arg(&rules)
        .arg("--record")
        .arg(&record)
        .arg("--output")
        .arg(format!("file:{}", live.display()))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("rampart runtime run starts");
    // a program under an odd name reads /etc/shadow until the live run has alerted on it
    let cat = dir.path().join("rampart-reccat");
    std::fs::copy("/bin/cat", &cat).expect("copy cat");
    let deadline = Instant::now() + Duration::from_secs(20);
    let fired = |p: &Path| {
        std::fs::read_to_string(p).is_ok_and(|t| {
            t.contains("Read sensitive file untrusted") && t.contains("rampart-reccat")
        })
    };
    while !fired(&live) && Instant::now() < deadline {
        let _ = Command::new(&cat).arg("/etc/shadow").output();
        std::thread::sleep(Duration::from_millis(300));
    }
    // SIGINT: the agent stops, flushing its outputs and the recording
    let _ = Command::new("kill")
        .args(["-INT", &agent.id().to_string()])
        .status();
    let out = agent.wait_with_output().expect("agent ends");
    assert!(
        fired(&live),
        "the live run alerted: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let replay = Command::new(env!("CARGO_BIN_EXE_rampart"))
        .args(["runtime", "replay", "--source", "syscall", "-q"])
        .arg("--rules")
        .arg(&rules)
        .arg(&record)
        .output()
        .expect("rampart runtime replay runs");
    assert!(
        replay.status.success() || replay.status.code() == Some(1),
        "replay: {}",
        String::from_utf8_lossy(&replay.stderr)
    );
    // most lines leave the process context out (written when it changes, put back on replay)
    let recording = std::fs::read_to_string(&record).unwrap_or_default();
    let compact = recording
        .lines()
        .filter(|l| l.contains("\"same_process\":true"))
        .count();
    assert!(
        compact > 0 && compact < recording.lines().count(),
        "{compact} of {} lines without their process context",
        recording.lines().count()
    );
    let live = alerts(&std::fs::read_to_string(&live).unwrap_or_default());
    let replayed = alerts(&String::from_utf8_lossy(&replay.stdout));
    assert!(
        replayed
            .iter()
            .any(|(r, o)| r == "Read sensitive file untrusted" && o.contains("rampart-reccat")),
        "the replay alerts on the recorded read"
    );
    assert_eq!(
        replayed, live,
        "the replay raises exactly the live run's alerts"
    );
}
