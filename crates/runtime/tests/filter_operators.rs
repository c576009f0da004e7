//! Every filter operator and transformer the rule files use, evaluated on one syscall event: each
//! condition becomes a rule, and exactly the rules whose condition holds must fire. Also
//! `warn_evttypes`.

mod support;

use rampart_runtime::fields::syscall::{Ancestor, Fd, Process, SyscallEvent, User};
use rampart_runtime::{Engine, Loader};

fn event() -> SyscallEvent {
    let mut ev = SyscallEvent {
        ts: 1_700_000_000_000_000_000,
        num: 1,
        evt_type: "openat".into(),
        res: 3,
        args: vec![
            ("fd".into(), "3".into()),
            ("name".into(), "/etc/Shadow.bak".into()),
            ("flags".into(), "O_RDONLY|O_CLOEXEC".into()),
        ],
        proc: Process {
            pid: 42,
            tid: 42,
            name: "cat".into(),
            exe: "cat".into(),
            exepath: "/usr/bin/cat".into(),
            // "aGVsbG8=" is base64 of "hello"
            args: vec!["aGVsbG8=".into()],
            ..Default::default()
        },
        ancestors: vec![
            Ancestor {
                pid: 41,
                name: "bash".into(),
                exepath: "/usr/bin/bash".into(),
                ..Default::default()
            },
            Ancestor {
                pid: 1,
                name: "sshd".into(),
                exepath: "/usr/sbin/sshd".into(),
                ..Default::default()
            },
        ],
        user: User {
            uid: 0,
            name: "root".into(),
            ..Default::default()
        },
        fd: Some(Fd {
            num: 3,
            kind: "file".into(),
            name: "/etc/Shadow.bak".into(),
            nameraw: "/etc/Shadow.bak".into(),
            ..Default::default()
        }),
        ..Default::default()
    };
    ev.prepare();
    ev
}

/// (condition, whether it holds on [`event`]).
const CASES: &[(&str, bool)] = &[
    ("fd.name = /etc/Shadow.bak", true),
    ("fd.name != /etc/Shadow.bak", false),
    (
        "proc.pid < 43 and proc.pid <= 42 and proc.pid > 41 and proc.pid >= 42",
        true,
    ),
    ("proc.pid > 42", false),
    ("fd.name contains Shadow", true),
    ("fd.name contains shadow", false),
    ("fd.name icontains SHADOW", true),
    ("fd.name bcontains 536861646f77", true), // "Shadow" in hex
    ("fd.name bcontains 736861646f77", false),
    ("fd.name startswith /etc/", true),
    ("fd.name bstartswith 2f657463", true), // "/etc"
    ("fd.name bstartswith 2f757372", false),
    ("fd.name endswith .bak", true),
    ("fd.name endswith .conf", false),
    ("fd.name glob '/etc/*.bak'", true),
    ("fd.name glob '/etc/s*'", false),
    ("fd.name iglob '/ETC/s*'", true),
    ("fd.name in (/etc/passwd, /etc/Shadow.bak)", true),
    ("fd.name in (/etc/passwd)", false),
    ("proc.aname intersects (sshd, nginx)", true),
    ("proc.aname intersects (nginx, apache)", false),
    ("fd.name pmatch (/etc, /var)", true),
    ("fd.name pmatch (/usr, /var)", false),
    ("fd.name exists", true),
    ("fd.sip exists", false),
    ("fd.name regex '^/etc/[A-Z][a-z]+\\.bak$'", true),
    ("fd.name regex '^/tmp/'", false),
    ("proc.aname[1] = bash and proc.aname[2] = sshd", true),
    ("proc.aname[3] = sshd", false),
    ("evt.arg.flags contains O_CLOEXEC", true),
    ("evt.arg[1] = /etc/Shadow.bak", true),
    ("evt.arg[0] = 4", false),
    ("tolower(fd.name) = /etc/shadow.bak", true),
    ("toupper(proc.name) = CAT", true),
    ("b64(proc.args) contains hello", true),
    // not base64: the transformer gives no value, so no comparison holds
    ("b64(fd.name) contains e", false),
    ("basename(fd.name) = Shadow.bak", true),
    ("len(proc.aname) = 2", true),
    ("not fd.name contains Shadow", false),
    (
        "(fd.name contains nope or proc.name = cat) and not user.uid != 0",
        true,
    ),
];

#[test]
fn each_operator_and_transformer_evaluates_as_falco_does() {
    // each condition goes in as a plain YAML scalar (none contains ": " or starts with a quote)
    let mut yaml = String::new();
    for (i, (condition, _)) in CASES.iter().enumerate() {
        yaml.push_str(&format!(
            "- rule: r{i}\n  desc: case {i}\n  condition: evt.type = openat and ({condition})\n  output: r{i}\n  priority: INFO\n"
        ));
    }
    let mut loader = Loader::new();
    loader.add_str("operators.yaml", &yaml);
    let ruleset = match loader.finish() {
        Ok(r) => r,
        Err(report) => panic!("rules load: {:?}", report.errors().collect::<Vec<_>>()),
    };
    let engine = Engine::new(ruleset);
    let fired: std::collections::BTreeSet<String> = engine
        .process(&event())
        .into_iter()
        .map(|a| a.rule)
        .collect();
    let mut wrong = Vec::new();
    for (i, (condition, expected)) in CASES.iter().enumerate() {
        if fired.contains(&format!("r{i}")) != *expected {
            wrong.push(format!("{condition:?} should be {expected}"));
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

#[test]
fn warn_evttypes_controls_the_no_event_type_warning() {
    let rule = |warn: &str| {
        format!(
            "- rule: any\n  desc: d\n  condition: proc.name = cat\n  output: o\n  priority: INFO\n{warn}"
        )
    };
    let warnings = |text: &str| {
        let mut loader = Loader::new();
        loader.add_str("w.yaml", text);
        loader
            .report()
            .warnings()
            .map(|w| w.code.name())
            .collect::<Vec<_>>()
    };
    assert_eq!(warnings(&rule("")), ["LOAD_NO_EVTTYPE"]);
    assert!(warnings(&rule("  warn_evttypes: false\n")).is_empty());
}

/// The stable, incubating and sandbox falcosecurity rules, loaded together.
fn three_rules_files() -> rampart_runtime::Ruleset {
    let files = support::falcosecurity_rule_files(&[]);
    rampart_runtime::rules::load(&files).expect("rules load").0
}

/// Specializing a condition to an event type (what the engine's index does) never changes its
/// outcome: every rule of the three falcosecurity files, on events of each of its types.
#[test]
fn conditions_specialized_per_event_type_decide_like_the_originals() {
    let ruleset = three_rules_files();
    let mut base = event();
    let mut checked = 0usize;
    for rule in ruleset
        .rules
        .iter()
        .filter(|r| r.source == rampart_runtime::Source::Syscall)
    {
        let rampart_runtime::filter::EvtTypes::Only(types) = &rule.evttypes else {
            continue;
        };
        for t in types {
            base.evt_type.clone_from(t);
            for variant in variants(&base) {
                let whole = rule.condition.eval(&variant);
                let special = rule.condition.specialize(t).eval(&variant);
                assert_eq!(whole, special, "rule {:?} on {t}", rule.name);
                checked += 1;
            }
        }
    }
    assert!(checked > 1000, "{checked} evaluations");
}

/// The engine's index (conditions specialized per type, sub-conditions shared between the rules of
/// a bucket and evaluated once per event) fires exactly the rules whose original conditions hold:
/// every event type of the three falcosecurity files, each event in several shapes.
#[test]
fn engine_with_shared_sub_conditions_fires_like_rule_by_rule_evaluation() {
    let ruleset = three_rules_files();
    let engine = rampart_runtime::Engine::new(ruleset);
    let mut types: Vec<String> = Vec::new();
    for rule in engine.rules() {
        if let rampart_runtime::filter::EvtTypes::Only(ts) = &rule.evttypes {
            types.extend(ts.iter().cloned());
        }
    }
    types.sort();
    types.dedup();
    let mut base = event();
    let (mut checked, mut fired) = (0usize, 0usize);
    for t in &types {
        base.evt_type.clone_from(t);
        for variant in variants(&base) {
            let mut got = Vec::new();
            engine.matches(&variant, |i| got.push(i));
            let want: Vec<usize> = engine
                .rules()
                .iter()
                .enumerate()
                .filter(|(_, r)| {
                    r.enabled
                        && r.source == rampart_runtime::Source::Syscall
                        && r.evttypes.contains(t)
                        && r.condition.eval(&variant)
                })
                .map(|(i, _)| i)
                .collect();
            assert_eq!(got, want, "event type {t}");
            checked += 1;
            fired += got.len();
        }
    }
    assert!(checked > 100, "{checked} events");
    assert!(fired > 0, "some rules fire on the variants");
}

/// The event in a few shapes: as built, in a container, with a shell as its process, and as a
/// write below /etc.
fn variants(base: &SyscallEvent) -> Vec<SyscallEvent> {
    let mut out = vec![base.clone()];
    let mut c = base.clone();
    c.container = Some(rampart_runtime::fields::syscall::Container {
        id: "0123456789ab".into(),
        name: "web".into(),
        image_repository: "nginx".into(),
        ..Default::default()
    });
    out.push(c);
    let mut sh = base.clone();
    sh.proc.name = "bash".into();
    sh.proc.exepath = "/usr/bin/bash".into();
    out.push(sh);
    let mut w = base.clone();
    w.args = vec![
        ("fd".into(), "3".into()),
        ("name".into(), "/etc/rampart".into()),
        ("flags".into(), "O_WRONLY|O_CREAT|O_TRUNC".into()),
    ];
    if let Some(fd) = w.fd.as_mut() {
        fd.name = "/etc/rampart".into();
    }
    out.push(w);
    for ev in &mut out {
        ev.prepare();
    }
    out
}
