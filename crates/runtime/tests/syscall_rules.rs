//! Synthetic recorded syscall events through the stable falcosecurity rules: the expected default
//! rules fire with the expected output fields, benign events fire nothing, and the recorded JSON-lines
//! format replays the same.

use rampart_runtime::fields::syscall::{
    Ancestor, Container, Fd, Group, Process, SyscallEvent, User,
};
use rampart_runtime::{Engine, Source};

fn engine() -> Option<Engine> {
    let root = rampart_testkit::shared("testdata/falcosecurity-rules")?;
    let (ruleset, _) = rampart_runtime::rules::load(&[root.join("rules/falco_rules.yaml")])
        .expect("stable rules load");
    Some(Engine::new(ruleset).with_hostname("test-host"))
}

fn ancestors(names: &[&str]) -> Vec<Ancestor> {
    names
        .iter()
        .enumerate()
        .map(|(i, n)| Ancestor {
            pid: 100 - i as i64,
            name: n.to_string(),
            exe: n.to_string(),
            exepath: format!("/usr/bin/{n}"),
            ..Default::default()
        })
        .collect()
}

fn read_shadow() -> SyscallEvent {
    let mut ev = SyscallEvent {
        ts: 1_700_000_000_123_456_789,
        num: 7,
        evt_type: "openat".into(),
        res: 3,
        args: vec![
            ("fd".into(), "3".into()),
            ("name".into(), "/etc/shadow".into()),
            ("flags".into(), "O_RDONLY|O_CLOEXEC".into()),
        ],
        proc: Process {
            pid: 4242,
            tid: 4242,
            ppid: 100,
            name: "cat".into(),
            exe: "cat".into(),
            exepath: "/usr/bin/cat".into(),
            args: vec!["/etc/shadow".into()],
            tty: 34816,
            ..Default::default()
        },
        ancestors: ancestors(&["bash", "sshd", "systemd"]),
        user: User {
            uid: 0,
            name: "root".into(),
            loginuid: 1000,
            ..Default::default()
        },
        group: Group {
            gid: 0,
            name: "root".into(),
        },
        fd: Some(Fd {
            num: 3,
            kind: "file".into(),
            name: "/etc/shadow".into(),
            ..Default::default()
        }),
        ..Default::default()
    };
    ev.prepare();
    ev
}

fn shell_in_container() -> SyscallEvent {
    let mut ev = SyscallEvent {
        ts: 1_700_000_001_000_000_000,
        num: 8,
        evt_type: "execve".into(),
        res: 0,
        args: vec![("flags".into(), "EXE_WRITABLE".into())],
        proc: Process {
            pid: 77,
            tid: 77,
            ppid: 1,
            name: "bash".into(),
            exe: "bash".into(),
            exepath: "/bin/bash".into(),
            tty: 34817,
            ..Default::default()
        },
        ancestors: ancestors(&["runc:[1:CHILD]", "containerd-shim"]),
        user: User {
            uid: 0,
            name: "root".into(),
            ..Default::default()
        },
        container: Some(Container {
            id: "3ad7b26ded6d".into(),
            name: "web".into(),
            image: "nginx:1.25".into(),
            image_repository: "nginx".into(),
            image_tag: "1.25".into(),
            ..Default::default()
        }),
        ..Default::default()
    };
    ev.prepare();
    ev
}

#[test]
fn reading_etc_shadow_with_cat_fires_read_sensitive_file_untrusted() {
    let Some(engine) = engine() else { return };
    let alerts = engine.process(&read_shadow());
    let a = alerts
        .iter()
        .find(|a| a.rule == "Read sensitive file untrusted")
        .unwrap_or_else(|| {
            panic!(
                "not fired; got {:?}",
                alerts.iter().map(|a| &a.rule).collect::<Vec<_>>()
            )
        });
    let f = &a.output_fields;
    assert_eq!(f["fd.name"], "/etc/shadow");
    assert_eq!(f["proc.name"], "cat");
    assert_eq!(f["proc.pname"], "bash");
    assert_eq!(f["proc.aname[2]"], "sshd");
    assert_eq!(f["proc.aname[3]"], "systemd");
    assert_eq!(f["proc.aname[4]"], serde_json::Value::Null);
    assert_eq!(f["user.name"], "root");
    assert_eq!(f["user.loginuid"], 1000);
    assert_eq!(f["proc.cmdline"], "cat /etc/shadow");
    assert_eq!(f["evt.type"], "openat");
    assert_eq!(a.time, "2023-11-14T22:13:20.123456789Z");
    assert!(
        a.output
            .starts_with("22:13:20.123456789: Warning Sensitive file opened for reading")
    );
    assert!(a.output.contains("gggparent=<NA>"));
    let json = a.to_json();
    assert_eq!(json["priority"], "Warning");
    assert_eq!(json["source"], "syscall");
    assert_eq!(json["hostname"], "test-host");
    let finding = a.to_finding();
    assert_eq!(finding.kind, rampart_core::FindingKind::RuntimeAlert);
    assert!(
        finding
            .controls
            .iter()
            .any(|c| c.framework == "mitre-attack" && c.id == "T1555")
    );
}

#[test]
fn shell_with_tty_in_container_fires_terminal_shell_in_container() {
    let Some(engine) = engine() else { return };
    let alerts = engine.process(&shell_in_container());
    let a = alerts
        .iter()
        .find(|a| a.rule == "Terminal shell in container")
        .unwrap_or_else(|| {
            panic!(
                "not fired; got {:?}",
                alerts.iter().map(|a| &a.rule).collect::<Vec<_>>()
            )
        });
    assert_eq!(a.output_fields["proc.name"], "bash");
    assert_eq!(a.output_fields["proc.tty"], 34817);
    assert_eq!(a.output_fields["evt.arg.flags"], "EXE_WRITABLE");
    assert_eq!(a.priority, rampart_runtime::Priority::Notice);
}

#[test]
fn benign_events_fire_nothing() {
    let Some(engine) = engine() else { return };
    // a trusted program reading the same file
    let mut ev = read_shadow();
    ev.proc.name = "sshd".into();
    ev.prepare();
    // not every default rule is silent for sshd; the sensitive-file rule must be
    assert!(
        !engine
            .process(&ev)
            .iter()
            .any(|a| a.rule == "Read sensitive file untrusted")
    );
    // an ordinary read of a non-sensitive file
    let mut ev = read_shadow();
    ev.fd.as_mut().expect("fd").name = "/etc/hosts".into();
    ev.prepare();
    assert!(engine.process(&ev).is_empty());
    // the same shell without a terminal
    let mut ev = shell_in_container();
    ev.proc.tty = 0;
    ev.prepare();
    assert!(engine.process(&ev).is_empty());
}

#[test]
fn recorded_json_lines_replay_like_live_events() {
    let Some(engine) = engine() else { return };
    let mut input = String::new();
    for ev in [read_shadow(), shell_in_container()] {
        input.push_str(&rampart_runtime::sources::syscall::encode(&ev));
        input.push('\n');
    }
    input.push_str("{ garbage\n");
    let r = rampart_runtime::replay::replay_bytes(Source::Syscall, &engine, input.as_bytes())
        .expect("replay");
    assert_eq!(r.stats.events, 2);
    assert_eq!(r.stats.malformed, 1);
    let rules: Vec<_> = r.alerts.iter().map(|a| a.rule.as_str()).collect();
    assert!(
        rules.contains(&"Read sensitive file untrusted"),
        "{rules:?}"
    );
    assert!(rules.contains(&"Terminal shell in container"), "{rules:?}");
}
