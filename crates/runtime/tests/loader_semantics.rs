//! Rule-loader semantics on small inline rules files: exceptions (tuple and single-field forms),
//! `append` and `override`, `skip-if-unknown-filter`, unknown sources, positions of YAML errors,
//! and the CloudTrail source end to end.

use rampart_runtime::fields::syscall::{Fd, Process, SyscallEvent};
use rampart_runtime::rules::Loader;
use rampart_runtime::{Code, Engine, Source};

fn engine(text: &str) -> Engine {
    let mut loader = Loader::new();
    let r = loader.add_str("inline.yaml", text).clone();
    assert!(r.successful(), "{:?}", r.errors);
    Engine::new(loader.finish().expect("loads"))
}

fn open(proc_name: &str, path: &str) -> SyscallEvent {
    let mut ev = SyscallEvent {
        num: 1,
        evt_type: "openat".into(),
        args: vec![("flags".into(), "O_RDONLY".into())],
        proc: Process {
            name: proc_name.into(),
            ..Default::default()
        },
        fd: Some(Fd {
            num: 3,
            kind: "file".into(),
            name: path.into(),
            ..Default::default()
        }),
        ..Default::default()
    };
    ev.prepare();
    ev
}

const BASE: &str = r#"
- list: readers
  items: [cat, less]
- macro: opened
  condition: evt.type = openat
- rule: Read etc
  desc: x
  condition: opened and fd.name startswith /etc and proc.name in (readers)
  output: "%proc.name read %fd.name"
  priority: warning
  tags: [T1005]
  exceptions:
    - name: proc_file
      fields: [proc.name, fd.name]
      comps: [=, startswith]
      values:
        - [cat, /etc/hosts]
    - name: names
      fields: fd.name
      values: [/etc/motd, /etc/issue]
"#;

#[test]
fn exceptions_suppress_matching_events() {
    let e = engine(BASE);
    assert_eq!(e.process(&open("cat", "/etc/passwd")).len(), 1);
    assert!(e.process(&open("cat", "/etc/hosts")).is_empty());
    assert!(e.process(&open("cat", "/etc/hosts.allow")).is_empty());
    assert_eq!(e.process(&open("less", "/etc/hosts")).len(), 1);
    assert!(e.process(&open("less", "/etc/motd")).is_empty());
    assert!(e.process(&open("vi", "/etc/passwd")).is_empty());
}

#[test]
fn append_and_override_follow_falco() {
    let text = format!(
        "{BASE}
- list: readers
  items: [vi]
  override:
    items: append
- rule: Read etc
  exceptions:
    - name: proc_file
      values:
        - [vi, /etc/shadow]
  append: true
- macro: opened
  condition: evt.type in (openat, open)
  override:
    condition: replace
- rule: Read etc
  output: (appended)
  override:
    output: append
"
    );
    let e = engine(&text);
    let alerts = e.process(&open("vi", "/etc/passwd"));
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].message, "vi read /etc/passwd (appended)");
    assert!(e.process(&open("vi", "/etc/shadow")).is_empty());
    let mut old = open("cat", "/etc/passwd");
    old.evt_type = "open".into();
    assert_eq!(e.process(&old).len(), 1);
}

#[test]
fn unknown_filter_is_skipped_only_when_asked() {
    let text = "
- rule: skip me
  desc: x
  condition: evt.type=open and proc.nobody=cat
  output: x
  priority: INFO
  skip-if-unknown-filter: true
- rule: other source
  desc: x
  condition: foo.bar=1
  output: x
  priority: INFO
  source: gcp_auditlog
";
    let mut loader = Loader::new();
    let r = loader.add_str("inline.yaml", text).clone();
    assert!(r.successful());
    assert!(
        r.warnings
            .iter()
            .any(|w| w.code == Code::LOAD_UNKNOWN_FILTER && w.concerns("rule", "skip me"))
    );
    assert!(
        r.warnings
            .iter()
            .any(|w| w.code == Code::LOAD_UNKNOWN_SOURCE && w.concerns("rule", "other source"))
    );
    assert!(loader.finish().expect("ok").rules.is_empty());
}

#[test]
fn yaml_errors_carry_positions_and_never_panic() {
    let mut loader = Loader::new();
    let r = loader
        .add_str("bad.yaml", "- rule: x\n  condition: [unclosed\n")
        .clone();
    let e = &r.errors[0];
    assert_eq!(e.code, Code::LOAD_ERR_YAML_PARSE);
    assert!(e.location().is_some_and(|l| l.line >= 2));
    for text in [
        "- 3",
        "[[[",
        "- rule:\n",
        "- macro: m\n  condition: (a and\n",
        "- list: l\n  items: {a: b}\n",
    ] {
        let mut loader = Loader::new();
        let r = loader.add_str("bad.yaml", text).clone();
        assert!(!r.successful(), "{text}");
    }
}

#[test]
fn cloudtrail_records_replay_from_gzip_directory() {
    use std::io::Write;
    let rules = r#"
- required_plugin_versions:
    - name: cloudtrail
      version: 0.2.3
- rule: Console Login Without MFA
  desc: x
  condition: ct.name="ConsoleLogin" and not ct.error exists and ct.user.identitytype!="AssumedRole" and json.value[/additionalEventData/MFAUsed]="No"
  output: "Detected a console login without MFA (user=%ct.user src=%ct.srcip region=%ct.region)"
  priority: CRITICAL
  source: aws_cloudtrail
- rule: Bucket Put
  desc: x
  condition: ct.name=PutObject and s3.bucket startswith prod-
  output: "put %s3.uri by %ct.user (%ct.shortsrc)"
  priority: NOTICE
  source: aws_cloudtrail
"#;
    let e = engine(rules);
    let doc = serde_json::json!({"Records": [
        {"eventName": "PutObject", "eventSource": "s3.amazonaws.com", "eventTime": "2024-03-01T10:00:00Z",
         "userIdentity": {"type": "IAMUser", "userName": "alice"},
         "requestParameters": {"bucketName": "prod-data", "key": "a/b.csv"}},
        {"eventName": "PutObject", "eventSource": "s3.amazonaws.com",
         "userIdentity": {"type": "IAMUser", "userName": "bob"},
         "requestParameters": {"bucketName": "dev-data", "key": "x"}},
        {"eventName": "ConsoleLogin", "eventSource": "signin.amazonaws.com", "sourceIPAddress": "198.51.100.7",
         "awsRegion": "us-east-1", "userIdentity": {"type": "IAMUser", "userName": "carol"},
         "additionalEventData": {"MFAUsed": "No"}}
    ]});
    let dir = tempfile::tempdir().expect("tmp");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(doc.to_string().as_bytes()).expect("gz");
    std::fs::create_dir_all(dir.path().join("2024/03/01")).expect("dirs");
    std::fs::write(
        dir.path().join("2024/03/01/a.json.gz"),
        gz.finish().expect("gz"),
    )
    .expect("write");
    std::fs::write(dir.path().join("2024/03/01/b.json"), b"not json").expect("write");
    let r = rampart_runtime::replay::replay(Source::CloudTrail, &e, dir.path()).expect("replay");
    assert_eq!(r.stats.events, 3);
    assert_eq!(r.stats.malformed, 1);
    assert_eq!(r.alerts.len(), 2);
    assert_eq!(
        r.alerts[1].message,
        "Detected a console login without MFA (user=carol src=198.51.100.7 region=us-east-1)"
    );
    assert_eq!(
        r.alerts[0].message,
        "put s3://prod-data/a/b.csv by alice (s3)"
    );
    assert_eq!(r.alerts[0].time, "2024-03-01T10:00:00.000000000Z");
    assert_eq!(r.alerts[0].source, "aws_cloudtrail");
}

/// The `evt.*` fields every plugin event has, as the cloudtrail plugin's rules use them (its
/// disabled "All Cloudtrail Events" rule: `evt.num > 0`, `%evt.plugininfo`, `%evt.time.iso8601`),
/// for both plugin sources.
#[test]
fn plugin_events_have_numbers_times_and_the_plugins_rendering() {
    let rules = r#"
- required_engine_version: 10
- required_plugin_versions:
    - name: cloudtrail
      version: 0.8.0
    - name: json
      version: 0.7.0
- rule: All Cloudtrail Events
  desc: x
  condition: evt.num > 0
  output: "event (evtnum=%evt.num info=%evt.plugininfo ts=%evt.time.iso8601 id=%ct.id error=%ct.error src=%evt.source plugin=%evt.pluginname)"
  priority: DEBUG
  source: aws_cloudtrail
- rule: All audit events
  desc: x
  condition: evt.num > 0 and evt.datetime.s startswith "2024-03-01 "
  output: "audit (evtnum=%evt.num ts=%evt.time src=%evt.source plugin=%evt.pluginname)"
  priority: DEBUG
  source: k8s_audit
"#;
    let e = engine(rules);
    let dir = tempfile::tempdir().expect("tmp");
    let trail = serde_json::json!({"Records": [
        {"eventName": "StopLogging", "eventSource": "cloudtrail.amazonaws.com", "awsRegion": "eu-west-1",
         "eventTime": "2024-03-01T10:00:00Z", "eventID": "e-1",
         "userIdentity": {"type": "IAMUser", "userName": "alice"}},
    ]});
    std::fs::write(dir.path().join("t.json"), trail.to_string()).expect("write");
    let r = rampart_runtime::replay::replay(Source::CloudTrail, &e, &dir.path().join("t.json"))
        .expect("replay");
    assert_eq!(r.alerts.len(), 1);
    let m = &r.alerts[0].message;
    let num: u64 = m
        .split("evtnum=")
        .nth(1)
        .and_then(|t| t.split(' ').next())
        .and_then(|n| n.parse().ok())
        .expect("a number");
    assert!(num > 0, "{m}");
    assert!(
        m.ends_with(
            "info=eu-west-1 alice cloudtrail StopLogging ts=2024-03-01T10:00:00.000000000Z \
             id=e-1 error=<NA> src=aws_cloudtrail plugin=cloudtrail)"
        ),
        "{m}"
    );

    let audit = serde_json::json!({"kind": "Event", "apiVersion": "audit.k8s.io/v1", "auditID": "a1",
        "stage": "ResponseComplete", "verb": "get", "stageTimestamp": "2024-03-01T10:00:01.5Z"});
    std::fs::write(dir.path().join("a.json"), audit.to_string()).expect("write");
    let r = rampart_runtime::replay::replay(Source::K8sAudit, &e, &dir.path().join("a.json"))
        .expect("replay");
    assert_eq!(r.alerts.len(), 1);
    let m = &r.alerts[0].message;
    assert!(
        m.ends_with("ts=10:00:01.500000000 src=k8s_audit plugin=k8saudit)"),
        "{m}"
    );
}

#[test]
fn validate_json_has_falcos_shape_and_positions() {
    let mut loader = Loader::new();
    loader.add_str(
        "r.yaml",
        "- macro: unused\n  condition: evt.type=open\n- rule: r\n  desc: d\n  condition: evt.type=open and proc.nope=1\n  output: o\n  priority: INFO\n",
    );
    let json = loader.report().to_json();
    let file = &json["falco_load_results"][0];
    assert_eq!(file["name"], "r.yaml");
    assert_eq!(file["successful"], false);
    let err = &file["errors"][0];
    assert_eq!(err["code"], "LOAD_ERR_COMPILE_CONDITION");
    assert_eq!(
        err["message"],
        "filter_check called with nonexistent field proc.nope"
    );
    let loc = &err["context"]["locations"][0];
    assert_eq!(loc["item_type"], "rule");
    assert_eq!(loc["item_name"], "r");
    assert_eq!(loc["position"]["line"], 3);
    assert_eq!(loc["position"]["column"], 3);
    assert_eq!(file["warnings"][0]["code"], "LOAD_UNUSED_MACRO");
}
