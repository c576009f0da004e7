//! End to end on this machine (root, BTF): real actions, the eBPF source, the falcosecurity rules;
//! asserts the right rule fires with the right fields. Skips with a note when eBPF is unavailable,
//! except under `CI=true`, where it must run.
#![cfg(all(target_os = "linux", feature = "ebpf"))]

mod support;

use rampart_runtime::sources::ebpf::{EbpfSource, Options, preflight};
use rampart_runtime::{Alert, Engine, SyscallEvent};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

fn engine() -> Engine {
    let files = support::falcosecurity_rule_files(&[]);
    let (ruleset, _) = rampart_runtime::rules::load(&files).expect("rules load");
    Engine::new(ruleset).with_hostname("e2e")
}

fn run(cmd: &Path, args: &[&str]) {
    let _ = Command::new(cmd).args(args).output();
}

fn ours(ev: &SyscallEvent, me: i64) -> bool {
    ev.ancestors.iter().any(|a| a.pid == me)
}

fn field<'a>(a: &'a Alert, name: &str) -> &'a str {
    a.output_fields
        .get(name)
        .and_then(|v| v.as_str())
        .unwrap_or("")
}

#[test]
fn real_behaviours_fire_rules() {
    if let Err(e) = preflight() {
        assert!(!rampart_testkit::in_ci(), "eBPF must run in CI: {e}");
        eprintln!("skipping eBPF end-to-end test: {e}");
        return;
    }
    let engine = engine();
    let src = EbpfSource::start(Options::default()).expect("eBPF source starts");
    let me = i64::from(std::process::id());
    let dir = tempfile::tempdir().expect("tempdir");

    // Read sensitive file untrusted: a copied cat under an odd name.
    let xcat = dir.path().join("rampart-xcat");
    std::fs::copy("/bin/cat", &xcat).expect("copy cat");
    run(&xcat, &["/etc/shadow"]);
    // Write below etc: a copied touch creating a file in /etc.
    let xtouch = dir.path().join("rampart-xtouch");
    std::fs::copy("/usr/bin/touch", &xtouch).expect("copy touch");
    let etc_file = format!("/etc/rampart-e2e-{me}");
    run(&xtouch, &[&etc_file]);
    let _ = std::fs::remove_file(&etc_file);
    // Search Private Keys or Passwords.
    run(
        Path::new("find"),
        &["/nonexistent-rampart", "-name", "id_rsa"],
    );
    // Clear Log Activities: truncate a log file.
    let log = format!("/var/log/rampart-e2e-{me}.log");
    let _ = std::fs::write(&log, "x\n");
    run(Path::new("sh"), &["-c", &format!(": > {log}")]);
    let _ = std::fs::remove_file(&log);
    // Create Symlink Over Sensitive Files.
    let link = dir.path().join("shadow-link");
    run(
        Path::new("ln"),
        &["-s", "/etc/shadow", &link.display().to_string()],
    );
    // Execution from /dev/shm.
    let shm = format!("/dev/shm/rampart-e2e-{me}");
    let shm_ok = std::fs::copy("/bin/true", &shm).is_ok();
    assert!(
        shm_ok || !rampart_testkit::in_ci(),
        "cannot write {shm} (the /dev/shm case must run in CI)"
    );
    if shm_ok {
        run(Path::new(&shm), &[]);
        let _ = std::fs::remove_file(&shm);
    }

    // PTRACE anti-debug (TRACEME) and PTRACE attach, by a copied python under our own name.
    let xpy = dir.path().join("rampart-xpy");
    std::fs::copy("/usr/bin/python3", &xpy).expect("copy python3");
    run(
        &xpy,
        &["-c", "import ctypes; ctypes.CDLL(None).ptrace(0, 0, 0, 0)"],
    );
    run(
        &xpy,
        &[
            "-c",
            "import ctypes, subprocess\np = subprocess.Popen(['sleep', '5'])\nctypes.CDLL(None).ptrace(16, p.pid, 0, 0)\np.kill()",
        ],
    );
    // Set Setuid or Setgid bit.
    let suid = dir.path().join("rampart-suid");
    std::fs::write(&suid, "#!/bin/sh\n").expect("write");
    run(Path::new("chmod"), &["4755", &suid.display().to_string()]);
    // Mkdir binary dirs.
    let bin_dir = format!("/usr/bin/.rampart-e2e-{me}");
    run(Path::new("mkdir"), &[&bin_dir]);
    let _ = std::fs::remove_dir(&bin_dir);

    // More of the event-generator's host behaviours.
    let d = dir.path().display().to_string();
    // Create Hardlink Over Sensitive Files (the link may fail across filesystems; the attempt is
    // what the rule sees)
    run(
        Path::new("ln"),
        &["/etc/shadow", &format!("{d}/shadow-hard")],
    );
    // Find AWS Credentials
    run(
        Path::new("find"),
        &["/nonexistent-rampart", "-path", "*/.aws/credentials"],
    );
    // Delete or rename shell history
    let history = format!("{d}/.bash_history");
    std::fs::write(&history, "ls\n").expect("history");
    run(Path::new("rm"), &["-f", &history]);
    // Modify Shell Configuration File (by a non-shell program)
    run(
        &xpy,
        &[
            "-c",
            &format!("open('{d}/.bashrc', 'a').write('alias x=y')"),
        ],
    );
    // Directory traversal monitored file read
    run(&xcat, &["/etc/../../etc/shadow"]);
    // Create files below dev
    let dev_file = format!("/dev/rampart-e2e-{me}");
    run(&xtouch, &[&dev_file]);
    let _ = std::fs::remove_file(&dev_file);
    // User mgmt binaries
    run(Path::new("useradd"), &["--help"]);
    // Remove Bulk Data from Disk
    let junk = format!("{d}/junk");
    std::fs::write(&junk, "data").expect("junk");
    run(Path::new("shred"), &["-u", &junk]);

    // collect for a bounded time
    let mut alerts: Vec<Alert> = Vec::new();
    let mut events = 0u64;
    let mut root_caps = String::new();
    let deadline = Instant::now() + Duration::from_secs(4);
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        match src.events().recv_timeout(left) {
            Ok(ev) if ours(&ev, me) => {
                events += 1;
                if ev.user.uid == 0 && root_caps.is_empty() {
                    root_caps.clone_from(&ev.proc.cap_effective);
                }
                alerts.extend(engine.process(&*ev));
            }
            Ok(_) => {}
            Err(_) => break,
        }
    }
    let stats = src.stats();
    eprintln!("e2e: {events} events of ours, stats {stats:?}");
    for a in &alerts {
        eprintln!("alert: {} | {}", a.rule, a.message);
    }
    let fired = |rule: &'static str| alerts.iter().filter(move |a| a.rule == rule);
    let read = fired("Read sensitive file untrusted")
        .find(|a| field(a, "proc.name") == "rampart-xcat")
        .expect("Read sensitive file untrusted fired for rampart-xcat");
    assert_eq!(field(read, "fd.name"), "/etc/shadow");
    // root's capabilities by name (this test runs as root with CAP_SYS_ADMIN)
    assert!(
        root_caps.contains("CAP_SYS_ADMIN"),
        "thread.cap_effective {root_caps:?}"
    );
    let anti = fired("PTRACE anti-debug attempt")
        .find(|a| field(a, "proc.name") == "rampart-xpy")
        .expect("PTRACE anti-debug attempt fired for rampart-xpy");
    assert_eq!(field(anti, "evt.type"), "ptrace");
    assert!(
        fired("PTRACE attached to process").any(|a| field(a, "proc.name") == "rampart-xpy"),
        "PTRACE attached to process fired for rampart-xpy"
    );
    assert!(
        fired("Mkdir binary dirs").any(|a| a.output.contains(&bin_dir)),
        "Mkdir binary dirs fired for {bin_dir}"
    );
    let mut missing = Vec::new();
    for rule in [
        "Write below etc",
        "Search Private Keys or Passwords",
        "Clear Log Activities",
        "Create Symlink Over Sensitive Files",
        "Set Setuid or Setgid bit",
        "Create Hardlink Over Sensitive Files",
        "Find AWS Credentials",
        "Delete or rename shell history",
        "Modify Shell Configuration File",
        "Directory traversal monitored file read",
        "Create files below dev",
        "User mgmt binaries",
        "Remove Bulk Data from Disk",
    ] {
        if fired(rule).next().is_none() {
            missing.push(rule);
        }
    }
    if shm_ok && fired("Execution from /dev/shm").next().is_none() {
        missing.push("Execution from /dev/shm");
    }
    assert!(missing.is_empty(), "rules that did not fire: {missing:?}");
}

/// Compiles C `source` into a static program `dir/name` (for images without the tool).
fn static_program(dir: &Path, name: &str, source: &str) -> std::path::PathBuf {
    let src = dir.join(format!("{name}.c"));
    std::fs::write(&src, source).expect("write C source");
    let out = dir.join(name);
    let cc = Command::new("cc")
        .args(["-static", "-O2", "-o"])
        .arg(&out)
        .arg(&src)
        .output()
        .expect("cc runs");
    assert!(
        cc.status.success(),
        "cc: {}",
        String::from_utf8_lossy(&cc.stderr)
    );
    out
}

/// Whether eBPF is here (under CI it must be).
fn ebpf() -> bool {
    if let Err(e) = preflight() {
        assert!(!rampart_testkit::in_ci(), "eBPF must run in CI: {e}");
        eprintln!("skipping eBPF container test: {e}");
        return false;
    }
    true
}

/// `podman run --rm --name NAME OPTIONS… localhost/rampart/app:1.0 COMMAND…` (runc, the shared
/// containers.conf), which must succeed; false (a skip, an error in CI) without podman.
fn podman_ran(name: &str, options: &[&str], command: &[&str]) -> bool {
    let mut opts = vec!["--name", name];
    opts.extend_from_slice(options);
    let Some(mut cmd) = support::podman_run(&opts) else {
        return false;
    };
    let out = cmd.args(command).output().expect("podman runs");
    assert!(
        out.status.success(),
        "podman run failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    true
}

/// The events of container `name` that arrive within 3 s, and the alerts they raise.
fn container_events(
    src: &EbpfSource,
    engine: &Engine,
    name: &str,
) -> (Vec<SyscallEvent>, Vec<Alert>) {
    let (mut events, mut alerts) = (Vec::new(), Vec::new());
    let deadline = Instant::now() + Duration::from_secs(3);
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        match src.events().recv_timeout(left) {
            Ok(ev) if ev.container.as_ref().is_some_and(|c| c.name == name) => {
                alerts.extend(engine.process(&*ev));
                events.push(*ev);
            }
            Ok(_) => {}
            Err(_) => break,
        }
    }
    for a in &alerts {
        eprintln!("alert: {} | {}", a.rule, a.message);
    }
    (events, alerts)
}

/// A shell with a tty in a podman container (runc): "Terminal shell in container", with
/// `container.id` of that container.
#[test]
fn shell_in_podman_container() {
    if !ebpf() {
        return;
    }
    let engine = engine();
    let src = EbpfSource::start(Options::default()).expect("eBPF source starts");
    let name = format!("rampart-e2e-{}", std::process::id());
    if !podman_ran(
        &name,
        &["-t"],
        &["sh", "-c", "cat /etc/shadow >/dev/null; sleep 1"],
    ) {
        return;
    }
    let (events, alerts) = container_events(&src, &engine, &name);
    assert!(!alerts.is_empty(), "no rule fired for container {name}");
    // container.id: the 12-hex id of the podman container (its cgroup is libpod-<id>)
    let ids: std::collections::BTreeSet<String> = events
        .iter()
        .filter_map(|e| e.container.as_ref().map(|c| c.id.clone()))
        .collect();
    assert_eq!(ids.len(), 1, "container ids {ids:?}");
    let id = ids.iter().next().cloned().unwrap_or_default();
    assert!(
        id.len() == 12 && id.bytes().all(|b| b.is_ascii_hexdigit()),
        "container.id {id:?}"
    );
    assert!(
        alerts
            .iter()
            .any(|a| a.rule == "Terminal shell in container"),
        "Terminal shell in container did not fire"
    );
    // pid-namespace ids come from the kernel at the event, so a short-lived `cat` has its
    // container pid (small, not the host pid) even when it is gone before /proc is read
    let cat = events
        .iter()
        .find(|e| e.proc.name == "cat" && e.fd.as_ref().is_some_and(|f| f.name == "/etc/shadow"))
        .expect("the cat's open of /etc/shadow");
    assert!(
        cat.proc.vpid != cat.proc.pid && (2..1000).contains(&cat.proc.vpid),
        "cat: pid {} vpid {}",
        cat.proc.pid,
        cat.proc.vpid
    );
    assert_eq!(cat.proc.vtid, cat.proc.vpid);
}

/// A privileged container whose first process (pid 1 in the container) opens a packet socket:
/// "Launch Privileged Container" (`container.privileged`, `proc.vpid=1`) and "Packet socket
/// created in container" (`evt.arg.domain`). The socket is opened by a small static C program
/// mounted into the image, which has no interpreter.
#[test]
fn privileged_container_opens_a_packet_socket() {
    if !ebpf() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let pk = static_program(
        dir.path(),
        "pk",
        "#include <sys/socket.h>\n#include <arpa/inet.h>\n#include <unistd.h>\n\
         int main(void) { int s = socket(17 /* AF_PACKET */, SOCK_RAW, htons(3)); sleep(1); return s < 0; }\n",
    );
    let engine = engine();
    let src = EbpfSource::start(Options::default()).expect("eBPF source starts");
    let name = format!("rampart-e2e-priv-{}", std::process::id());
    let mount = format!("{}:/pk:ro", pk.display());
    // pid 1 of the container sleeps first, so the runtime has answered the metadata lookup by the
    // time it execs the program (the exec keeps pid 1)
    if !podman_ran(
        &name,
        &["--privileged", "-v", &mount],
        &["sh", "-c", "sleep 1; exec /pk"],
    ) {
        return;
    }
    let (events, alerts) = container_events(&src, &engine, &name);
    assert!(
        events.iter().any(|e| e.proc.vpid == 1 && e.proc.pid != 1),
        "the container's first process has vpid 1"
    );
    assert!(
        events
            .iter()
            .filter(|e| e.proc.name == "pk")
            .all(|e| e.container.as_ref().is_some_and(|c| c.privileged)),
        "container.privileged"
    );
    let fired = |rule: &str| alerts.iter().any(|a| a.rule == rule);
    assert!(
        fired("Launch Privileged Container"),
        "Launch Privileged Container did not fire"
    );
    let packet = alerts
        .iter()
        .find(|a| a.rule == "Packet socket created in container")
        .expect("Packet socket created in container fired");
    assert!(packet.output.contains("AF_PACKET"), "{}", packet.output);
    // /pk is bind-mounted, not written into the container: its empty mount-point file in the
    // upper layer is not the executable
    assert!(
        !fired("Drop and execute new binary in container"),
        "a bind-mounted program is not a dropped binary"
    );
}

/// The syscall hook choice: the tracepoint when asked for; fexit either attaches completely or
/// is refused with the kernel's reason (never half-attached); `auto` always starts and sees events.
#[test]
fn syscall_hook_choices() {
    use rampart_runtime::sources::ebpf::{EbpfError, HookChoice, SyscallHook};
    if let Err(e) = preflight() {
        assert!(!rampart_testkit::in_ci(), "eBPF must run in CI: {e}");
        eprintln!("skipping eBPF hook test: {e}");
        return;
    }
    let with = |hook| {
        EbpfSource::start(Options {
            hook,
            ..Options::default()
        })
    };
    let tp = with(HookChoice::Tracepoint).expect("tracepoint hook starts");
    assert_eq!(tp.hook(), SyscallHook::SysExitTracepoint);
    drop(tp);
    let fexit_allowed = match with(HookChoice::Fexit) {
        Ok(src) => {
            assert_eq!(src.hook(), SyscallHook::Fexit);
            true
        }
        Err(EbpfError::Fexit(why)) => {
            assert!(why.contains("__x64_sys_"), "names the function: {why}");
            eprintln!("fexit refused on this kernel: {why}");
            false
        }
        Err(e) => panic!("unexpected error: {e}"),
    };
    let auto = with(HookChoice::Auto).expect("auto hook starts");
    let expected = if fexit_allowed {
        SyscallHook::Fexit
    } else {
        SyscallHook::SysExitTracepoint
    };
    assert_eq!(auto.hook(), expected);
    // a watched syscall arrives through whichever hook is on
    let path = format!("/tmp/rampart-hook-{}", std::process::id());
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut seen = false;
    while !seen && Instant::now() < deadline {
        run(Path::new("touch"), &[&path]);
        while let Ok(ev) = auto.events().recv_timeout(Duration::from_millis(200)) {
            if ev.fd.as_ref().is_some_and(|fd| fd.name == path) {
                seen = true;
                break;
            }
        }
    }
    let _ = std::fs::remove_file(&path);
    assert!(seen, "the open of {path} arrived");
}

/// The event-generator's container behaviours, the way it performs them: programs named like the
/// tools the rules look for (a do-nothing static program copied under each name, since the image
/// has none of them) started with the arguments the rules test, plus a real `base64 -d`.
#[test]
fn container_tool_launches_fire_their_rules() {
    if !ebpf() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let tools = dir.path().join("tools");
    std::fs::create_dir(&tools).expect("tools dir");
    let noop = static_program(dir.path(), "noop", "int main(void) { return 0; }\n");
    for name in ["nc", "nmap", "scp", "apt-get"] {
        std::fs::copy(&noop, tools.join(name)).expect("copy tool");
    }
    let engine = engine();
    let src = EbpfSource::start(Options::default()).expect("eBPF source starts");
    let name = format!("rampart-e2e-tools-{}", std::process::id());
    let mount = format!("{}:/x:ro", tools.display());
    if !podman_ran(
        &name,
        &["-v", &mount],
        &[
            "sh",
            "-c",
            // the first second lets the runtime answer the metadata lookup on a loaded machine
            "sleep 1; echo aGk= | base64 -d; /x/nc -e /bin/sh 127.0.0.1 9; \
             /x/nmap -sS 127.0.0.1; /x/scp a b:c; /x/apt-get update; true",
        ],
    ) {
        return;
    }
    let (_, alerts) = container_events(&src, &engine, &name);
    let missing: Vec<&str> = [
        "Netcat Remote Code Execution in Container",
        "Launch Suspicious Network Tool in Container",
        "Launch Remote File Copy Tools in Container",
        "Launch Package Management Process in Container",
        "Decoding Payload in Container",
    ]
    .into_iter()
    .filter(|rule| !alerts.iter().any(|a| a.rule == *rule))
    .collect();
    assert!(missing.is_empty(), "rules that did not fire: {missing:?}");
}

/// Both ends of a TCP connection on 127.0.0.1 (and ::1 when the host has it), as Falco fills
/// them: the connect's local end is the client (`fd.cip`/`fd.cport`, the port getsockname
/// gives), the accept's local end the server (`fd.sip`/`fd.sport`), and `fd.name` is
/// `cip:cport->sip:sport` on both sides. accept4 (std's accept) and plain accept (libc).
#[test]
fn connect_and_accept_carry_both_ends_of_the_socket() {
    use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, TcpStream};
    use std::os::fd::AsRawFd;
    if !ebpf() {
        return;
    }
    let me = i64::from(std::process::id());
    let rules = format!(
        r#"
- rule: Socket tuple
  desc: a connect or accept of this test
  condition: evt.type in (connect, accept, accept4) and proc.pid = {me}
  output: >
    tuple (evt.type=%evt.type fd.name=%fd.name fd.cip=%fd.cip fd.cport=%fd.cport
    fd.sip=%fd.sip fd.sport=%fd.sport fd.lip=%fd.lip fd.lport=%fd.lport fd.rip=%fd.rip
    fd.rport=%fd.rport fd.is_server=%fd.is_server evt.args=%evt.args)
  priority: NOTICE
  tags: [test]
"#
    );
    let mut loader = rampart_runtime::Loader::new();
    loader.add_str("tuple.yaml", &rules);
    let engine = Engine::new(loader.finish().expect("rules"));
    // this process's own sockets are the subject
    let src = EbpfSource::start(Options {
        ignore_self: false,
        ..Options::default()
    })
    .expect("eBPF source starts");

    // (evt.type, client, server) of each connection made
    let mut made: Vec<(&str, SocketAddr, SocketAddr)> = Vec::new();
    let hosts: [std::net::IpAddr; 2] = [Ipv4Addr::LOCALHOST.into(), Ipv6Addr::LOCALHOST.into()];
    let mut keep = Vec::new();
    for host in hosts {
        let Ok(listener) = TcpListener::bind((host, 0)) else {
            assert!(host.is_ipv6(), "cannot listen on {host}");
            eprintln!("no {host} on this host: IPv6 not checked");
            continue;
        };
        let server = listener.local_addr().expect("getsockname of the listener");
        // std's accept is accept4
        let client = TcpStream::connect(server).expect("connect");
        let local = client.local_addr().expect("getsockname of the client");
        let (accepted, peer) = listener.accept().expect("accept4");
        assert_eq!(peer, local);
        made.push(("connect", local, server));
        made.push(("accept4", local, server));
        keep.push(accepted);
        keep.push(client);
        // plain accept(2), with a sockaddr buffer as callers do
        let client = TcpStream::connect(server).expect("second connect");
        let local = client
            .local_addr()
            .expect("getsockname of the second client");
        let mut sa: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
        let mut len = std::mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
        // SAFETY: sa and len are ours and sized for any address.
        let fd = unsafe {
            libc::accept(
                listener.as_raw_fd(),
                (&raw mut sa).cast::<libc::sockaddr>(),
                &mut len,
            )
        };
        assert!(fd >= 0, "accept: {}", std::io::Error::last_os_error());
        // SAFETY: fd is the descriptor accept just returned, owned by nobody else.
        keep.push(unsafe { <TcpStream as std::os::fd::FromRawFd>::from_raw_fd(fd) });
        keep.push(client);
        made.push(("connect", local, server));
        made.push(("accept", local, server));
        // accept(2) without an address buffer: the peer is read from the socket
        let client = TcpStream::connect(server).expect("third connect");
        let local = client
            .local_addr()
            .expect("getsockname of the third client");
        // SAFETY: a listening socket of ours; NULL address and length are allowed.
        let fd = unsafe {
            libc::accept(
                listener.as_raw_fd(),
                std::ptr::null_mut(),
                std::ptr::null_mut(),
            )
        };
        assert!(fd >= 0, "accept: {}", std::io::Error::last_os_error());
        // SAFETY: fd is the descriptor accept just returned, owned by nobody else.
        keep.push(unsafe { <TcpStream as std::os::fd::FromRawFd>::from_raw_fd(fd) });
        keep.push(client);
        made.push(("connect", local, server));
        made.push(("accept", local, server));
    }

    let mut alerts: Vec<Alert> = Vec::new();
    let mut events: Vec<SyscallEvent> = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(5);
    while alerts.len() < made.len() {
        let Some(left) = deadline.checked_duration_since(Instant::now()) else {
            break;
        };
        match src.events().recv_timeout(left) {
            Ok(ev) if ev.proc.pid == me && ev.fd.is_some() => {
                alerts.extend(engine.process(&*ev));
                events.push(*ev);
            }
            Ok(_) => {}
            Err(_) => break,
        }
    }
    drop(keep);
    eprintln!("stats {:?}", src.stats());
    let text = |a: &Alert, k: &str| -> String {
        match a.output_fields.get(k) {
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(v) => v.to_string(),
            None => String::new(),
        }
    };
    for (kind, client, server) in &made {
        let (cip, cport) = (client.ip().to_string(), client.port());
        let (sip, sport) = (server.ip().to_string(), server.port());
        // the client's end identifies the connection (its ephemeral port is unique)
        let Some(a) = alerts
            .iter()
            .find(|a| text(a, "evt.type") == *kind && text(a, "fd.cport") == cport.to_string())
        else {
            panic!(
                "no {kind} of {client} -> {server}; alerts: {:#?}",
                alerts.iter().map(|a| &a.output).collect::<Vec<_>>()
            );
        };
        eprintln!("{}", a.output);
        let name = format!("{cip}:{cport}->{sip}:{sport}");
        assert_eq!(text(a, "fd.name"), name, "{}", a.output);
        assert_eq!(text(a, "fd.cip"), cip, "{}", a.output);
        assert_eq!(text(a, "fd.sip"), sip, "{}", a.output);
        assert_eq!(text(a, "fd.sport"), sport.to_string(), "{}", a.output);
        let server_side = *kind != "connect";
        assert_eq!(
            text(a, "fd.is_server"),
            server_side.to_string(),
            "{}",
            a.output
        );
        // local and remote ends follow the side
        let (lip, lport, rip, rport) = if server_side {
            (&sip, sport, &cip, cport)
        } else {
            (&cip, cport, &sip, sport)
        };
        assert_eq!(
            (
                text(a, "fd.lip"),
                text(a, "fd.lport"),
                text(a, "fd.rip"),
                text(a, "fd.rport")
            ),
            (
                lip.clone(),
                lport.to_string(),
                rip.clone(),
                rport.to_string()
            ),
            "{}",
            a.output
        );
        assert!(
            text(a, "evt.args").contains(&format!("tuple={name}")),
            "{}",
            a.output
        );
    }
    // the raw event agrees with the rendering
    let connect = events
        .iter()
        .filter_map(|e| e.fd.as_ref().filter(|_| e.evt_type == "connect"))
        .find(|f| f.cport == i64::from(made[0].1.port()))
        .expect("the first connect event");
    assert_eq!(
        (connect.cip.as_str(), connect.sip.as_str()),
        ("127.0.0.1", "127.0.0.1")
    );
    assert_eq!(connect.sport, i64::from(made[0].2.port()));
}

/// A C program named `ssh`, freshly built (so its inode is new), run with `GLIBC_TUNABLES` in its
/// environment: UDP `sendto`/`sendmsg` to a TEST-NET-3 address (the packets go nowhere, the
/// syscalls happen), sends on a connected UDP socket (no destination: no event), and a
/// non-blocking TCP connect to port 443 of that address; and a program named `curl` run with
/// `HTTP_PROXY`. Asserts `proc.env`, `proc.exe_ino*`, the sendto/sendmsg descriptors
/// (`fd.l4proto`, `fd.connected`, `fd.name_changed`) and the rules that fire: Potential Local
/// Privilege Escalation via Environment Variables Misuse, Program run with disallowed http proxy
/// env, Disallowed SSH Connection Non Standard Port, and a rule on the stable `outbound` macro.
#[test]
fn udp_sends_environment_and_executable_inode() {
    use std::os::unix::fs::MetadataExt;
    if !ebpf() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let extra = dir.path().join("outbound.yaml");
    std::fs::write(
        &extra,
        r#"
- rule: UDP outbound e2e
  desc: the stable outbound macro on a UDP send of the test program
  condition: outbound and proc.name = ssh and fd.l4proto = udp
  output: udp outbound (fd.name=%fd.name fd.sport=%fd.sport evt.type=%evt.type)
  priority: NOTICE
  tags: [test]
"#,
    )
    .expect("write rule");
    let files = support::falcosecurity_rule_files(&[extra]);
    let (ruleset, _) = rampart_runtime::rules::load(&files).expect("rules load");
    let engine = Engine::new(ruleset).with_hostname("e2e");
    let ssh = static_program(
        dir.path(),
        "ssh",
        r#"
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>
int main(void) {
    struct sockaddr_in d = {0};
    d.sin_family = AF_INET;
    d.sin_port = htons(53);
    inet_pton(AF_INET, "203.0.113.7", &d.sin_addr);
    int u = socket(AF_INET, SOCK_DGRAM, 0);
    sendto(u, "a", 1, 0, (struct sockaddr *)&d, sizeof d);
    sendto(u, "b", 1, 0, (struct sockaddr *)&d, sizeof d);
    struct sockaddr_in d2 = d;
    d2.sin_port = htons(123);
    struct iovec iov = {"c", 1};
    struct msghdr m = {0};
    m.msg_name = &d2;
    m.msg_namelen = sizeof d2;
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    sendmsg(u, &m, 0);
    int c = socket(AF_INET, SOCK_DGRAM, 0);
    connect(c, (struct sockaddr *)&d, sizeof d);
    send(c, "d", 1, 0);
    struct msghdr m2 = {0};
    m2.msg_iov = &iov;
    m2.msg_iovlen = 1;
    sendmsg(c, &m2, 0);
    int t = socket(AF_INET, SOCK_STREAM, 0);
    fcntl(t, F_SETFL, O_NONBLOCK);
    struct sockaddr_in s = d;
    s.sin_port = htons(443);
    connect(t, (struct sockaddr *)&s, sizeof s);
    printf("%d %d\n", u, c);
    return 0;
}
"#,
    );
    let curl = dir.path().join("curl");
    std::fs::copy("/bin/true", &curl).expect("copy true");
    let src = EbpfSource::start(Options::default()).expect("eBPF source starts");
    let out = Command::new(&ssh)
        .env("GLIBC_TUNABLES", "glibc.malloc.mxfast=0")
        .output()
        .expect("ssh program runs");
    let fds = String::from_utf8_lossy(&out.stdout).to_string();
    let (udp, connected): (i64, i64) = match fds.split_whitespace().collect::<Vec<_>>()[..] {
        [a, b] => (a.parse().expect("fd"), b.parse().expect("fd")),
        _ => panic!("program output {fds:?}"),
    };
    let curl_child = Command::new(&curl)
        .env("HTTP_PROXY", "http://203.0.113.7:3128")
        .status()
        .expect("curl copy runs");
    assert!(curl_child.success());
    let meta = std::fs::metadata(&ssh).expect("stat ssh");

    let (mut events, mut alerts) = (Vec::new(), Vec::new());
    let deadline = Instant::now() + Duration::from_secs(3);
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        match src.events().recv_timeout(left) {
            Ok(ev) if matches!(ev.proc.name.as_str(), "ssh" | "curl") => {
                alerts.extend(engine.process(&*ev));
                events.push(*ev);
            }
            Ok(_) => {}
            Err(_) => break,
        }
    }
    // rule names only: two of the outputs hold the environment (%proc.env)
    for a in &alerts {
        eprintln!("alert: {}", a.rule);
    }
    // the exec: environment and the executable's inode
    let exec = events
        .iter()
        .find(|e| e.evt_type == "execve" && e.proc.name == "ssh")
        .expect("the exec of ssh");
    assert!(
        exec.proc
            .env
            .iter()
            .any(|v| v == "GLIBC_TUNABLES=glibc.malloc.mxfast=0"),
        "{} vars",
        exec.proc.env.len()
    );
    let ns = |s: i64, n: i64| s * 1_000_000_000 + n;
    assert_eq!(
        (
            exec.proc.exe_ino,
            exec.proc.exe_ino_ctime,
            exec.proc.exe_ino_mtime
        ),
        (
            meta.ino() as i64,
            ns(meta.ctime(), meta.ctime_nsec()),
            ns(meta.mtime(), meta.mtime_nsec())
        )
    );
    assert!(exec.proc.pidns_init_start_ts > 0);
    // the environment is in the alert that asks for it
    let glibc = alerts
        .iter()
        .find(|a| a.rule == "Potential Local Privilege Escalation via Environment Variables Misuse")
        .expect("the GLIBC_TUNABLES rule fires");
    assert!(field(glibc, "proc.env").contains("GLIBC_TUNABLES=glibc.malloc.mxfast=0"));
    let proxy = alerts
        .iter()
        .find(|a| a.rule == "Program run with disallowed http proxy env")
        .expect("the HTTP_PROXY rule fires");
    assert!(field(proxy, "proc.env").contains("HTTP_PROXY=http://203.0.113.7:3128"));
    // the sends that name a destination, in order; none of the connected socket
    let sends: Vec<_> = events
        .iter()
        .filter(|e| matches!(e.evt_type.as_str(), "sendto" | "sendmsg"))
        .collect();
    let seen: Vec<_> = sends
        .iter()
        .map(|e| {
            let fd = e.fd.as_ref().expect("fd");
            (
                e.evt_type.as_str(),
                fd.num,
                fd.l4proto.as_str(),
                fd.connected,
                fd.name_changed,
                fd.sip.as_str(),
                fd.sport,
            )
        })
        .collect();
    assert_eq!(
        seen,
        vec![
            ("sendto", udp, "udp", false, true, "203.0.113.7", 53),
            ("sendto", udp, "udp", false, false, "203.0.113.7", 53),
            ("sendmsg", udp, "udp", false, true, "203.0.113.7", 123),
        ],
        "sends (the connected socket is {connected})"
    );
    assert!(sends[0].fd.as_ref().is_some_and(|f| f.cport > 0));
    let ssh_alert = alerts
        .iter()
        .find(|a| a.rule == "Disallowed SSH Connection Non Standard Port")
        .expect("Disallowed SSH Connection Non Standard Port fires");
    assert!(
        ssh_alert.output.contains("203.0.113.7:443"),
        "{}",
        ssh_alert.output
    );
    // outbound: the two sends that changed the descriptor's name (and the UDP connect)
    let outbound: Vec<_> = alerts
        .iter()
        .filter(|a| a.rule == "UDP outbound e2e" && a.output.contains("evt.type=send"))
        .map(|a| a.output.as_str())
        .collect();
    assert_eq!(outbound.len(), 2, "{outbound:#?}");
}

/// With `read_env` off (no loaded rule reads `proc.env`), exec records carry no environment; with
/// it on, the same exec shows it.
#[test]
fn the_environment_is_read_only_when_asked() {
    if !ebpf() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let prog = dir.path().join("rampart-envtrue");
    std::fs::copy("/bin/true", &prog).expect("copy true");
    let env_of_exec = |read_env: bool| -> Option<Vec<String>> {
        let src = EbpfSource::start(Options {
            read_env,
            ..Options::default()
        })
        .expect("eBPF source starts");
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            let _ = Command::new(&prog).env("RAMPART_E2E_MARK", "seen").output();
            while let Ok(ev) = src.events().recv_timeout(Duration::from_millis(100)) {
                if ev.evt_type == "execve" && ev.proc.name == "rampart-envtrue" {
                    return Some(ev.proc.env.clone());
                }
            }
        }
        None
    };
    let off = env_of_exec(false).expect("the exec is seen with read_env off");
    assert!(off.is_empty(), "no environment read: {off:?}");
    let on = env_of_exec(true).expect("the exec is seen with read_env on");
    assert!(
        on.iter().any(|v| v == "RAMPART_E2E_MARK=seen"),
        "environment read: {on:?}"
    );
}

/// The kernel reports only the selected syscalls (`Options::event_types`, from the loaded
/// rules): with `unlinkat` selected an unlink arrives and the open of the same file does not;
/// with nothing selected no syscall program is attached, and execs still arrive through the
/// sched tracepoint.
#[test]
fn only_the_selected_syscalls_are_reported() {
    use rampart_runtime::sources::ebpf::{HookChoice, SyscallHook};
    if !ebpf() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("rampart-selected");
    let path_s = path.display().to_string();
    let prog = dir.path().join("rampart-seltrue");
    std::fs::copy("/bin/true", &prog).expect("copy true");
    let start = |types: &[&str], hook| {
        EbpfSource::start(Options {
            hook,
            event_types: Some(types.iter().map(|t| t.to_string()).collect()),
            ..Options::default()
        })
        .expect("eBPF source starts")
    };
    for hook in [HookChoice::Auto, HookChoice::Tracepoint] {
        let src = start(&["unlinkat", "unlink"], hook);
        let (mut unlinked, mut opened) = (false, false);
        let deadline = Instant::now() + Duration::from_secs(10);
        while !unlinked && Instant::now() < deadline {
            // other processes: the source leaves out this one's own events
            run(Path::new("touch"), &[&path_s]);
            run(Path::new("rm"), &[&path_s]);
            while let Ok(ev) = src.events().recv_timeout(Duration::from_millis(200)) {
                let ours = ev.fd.as_ref().is_some_and(|fd| fd.name == path_s);
                opened |= ours && ev.evt_type.starts_with("open");
                unlinked |= ours && ev.evt_type.starts_with("unlink");
            }
        }
        assert!(unlinked, "{hook:?}: the selected unlink arrived");
        assert!(
            !opened,
            "{hook:?}: the open was not selected, and not reported"
        );
    }
    let none = start(&[], HookChoice::Auto);
    assert_eq!(none.hook(), SyscallHook::Unhooked);
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut exec_seen = false;
    while !exec_seen && Instant::now() < deadline {
        let _ = Command::new(&prog).output();
        run(Path::new("touch"), &[&path_s]);
        while let Ok(ev) = none.events().recv_timeout(Duration::from_millis(200)) {
            assert!(
                !ev.evt_type.starts_with("open"),
                "no syscall is reported: {}",
                ev.evt_type
            );
            exec_seen |= ev.evt_type == "execve" && ev.proc.name == "rampart-seltrue";
        }
    }
    assert!(exec_seen, "execs arrive without any syscall program");
}
