//! kube-bench's test-item semantics, table-driven with canned audit outputs.

use rampart_node::evaluate::{Inputs, evaluate_inputs};
use rampart_node::{Tests, evaluate};

const PS_KUBELET: &str = "UID PID PPID C STIME TTY TIME CMD\n\
root 1234 1 2 10:00 ? 00:01:02 /usr/bin/kubelet --anonymous-auth=false --authorization-mode=Webhook,AlwaysAllow --read-only-port 0 --event-qps=5 --protect-kernel-defaults --client-ca-file=/etc/kubernetes/pki/ca.crt --tls-cipher-suites=TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_RSA_WITH_AES_256_GCM_SHA384 --streaming-connection-idle-timeout=5m\n";

const KUBELET_CONFIG: &str = "apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
authentication:
  anonymous:
    enabled: false
  webhook:
    enabled: true
  x509:
    clientCAFile: /etc/kubernetes/pki/ca.crt
authorization:
  mode: Webhook
readOnlyPort: 0
eventRecordQPS: 5
rotateCertificates: true
tlsCipherSuites:
- TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
- TLS_RSA_WITH_AES_256_GCM_SHA384
";

fn tests(yaml: &str) -> Tests {
    Tests::from_yaml(yaml).unwrap_or_else(|e| panic!("{e}\n{yaml}"))
}

fn item(flag: &str, op: &str, value: &str) -> Tests {
    tests(&format!(
        "test_items:\n  - flag: {flag:?}\n    compare:\n      op: {op}\n      value: {value:?}\n"
    ))
}

#[test]
fn compare_ops_on_command_line_flags() {
    // (flag, op, value, expected pass)
    let cases = [
        ("--anonymous-auth", "eq", "false", true),
        ("--anonymous-auth", "eq", "true", false),
        ("--anonymous-auth", "noteq", "true", true),
        ("--authorization-mode", "has", "Webhook", true),
        ("--authorization-mode", "nothave", "AlwaysAllow", false),
        ("--authorization-mode", "nothave", "RBAC", true),
        ("--event-qps", "gte", "0", true),
        ("--event-qps", "gt", "5", false),
        ("--event-qps", "lte", "5", true),
        ("--event-qps", "lt", "6", true),
        ("--event-qps", "gt", "x", false),
        ("--read-only-port", "eq", "0", true),
        ("--protect-kernel-defaults", "eq", "true", true),
        (
            "--client-ca-file",
            "regex",
            "^/etc/kubernetes/.*\\.crt$",
            true,
        ),
        ("--client-ca-file", "regex", "^/var/", false),
        ("--client-ca-file", "regex", "(", false),
        (
            "--tls-cipher-suites",
            "valid_elements",
            "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_RSA_WITH_AES_256_GCM_SHA384,TLS_X",
            true,
        ),
        (
            "--tls-cipher-suites",
            "valid_elements",
            "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
            false,
        ),
        ("--streaming-connection-idle-timeout", "noteq", "0", true),
        ("--anonymous-auth", "noteqx", "true", false),
    ];
    for (flag, op, value, want) in cases {
        let o = evaluate(&item(flag, op, value), PS_KUBELET, None, None);
        assert_eq!(o.pass, want, "{flag} {op} {value}: {}", o.expected_result);
        assert_eq!(o.actual_value, PS_KUBELET.trim_end());
    }
}

#[test]
fn expected_result_texts_follow_kube_bench() {
    let o = evaluate(
        &item("--anonymous-auth", "eq", "false"),
        PS_KUBELET,
        None,
        None,
    );
    assert_eq!(o.expected_result, "'--anonymous-auth' is equal to 'false'");
    let o = evaluate(
        &item("permissions", "bitmask", "600"),
        "permissions=644",
        None,
        None,
    );
    assert_eq!(
        o.expected_result,
        "permissions has permissions 644, expected 600 or more restrictive"
    );
    let t = tests("bin_op: or\ntest_items:\n  - flag: a\n  - flag: b\n    set: false\n");
    assert_eq!(
        evaluate(&t, "x", None, None).expected_result,
        "'a' is present OR 'b' is not present"
    );
}

#[test]
fn bitmask_on_octal_permissions() {
    let cases = [
        ("permissions=600", "600", true),
        ("permissions=644", "600", false),
        ("permissions=400", "600", true),
        ("permissions=0", "600", true),
        ("permissions=700", "600", false),
        ("permissions=644", "644", true),
        ("permissions=640", "644", true),
        ("permissions=755", "644", false),
        ("permissions=9", "644", false),
        ("", "600", false),
    ];
    for (out, max, want) in cases {
        let o = evaluate(&item("permissions", "bitmask", max), out, None, None);
        assert_eq!(o.pass, want, "{out} vs {max}");
    }
}

#[test]
fn presence_and_absence() {
    let owner = tests("test_items:\n  - flag: root:root\n");
    assert!(evaluate(&owner, "root:root", None, None).pass);
    assert!(!evaluate(&owner, "kube:root", None, None).pass);
    assert!(!evaluate(&owner, "", None, None).pass);
    let either =
        tests("bin_op: or\ntest_items:\n  - flag: root:root\n  - flag: \"File not found\"\n");
    assert!(evaluate(&either, "File not found", None, None).pass);
    let unset = tests("test_items:\n  - flag: --hostname-override\n    set: false\n");
    assert!(evaluate(&unset, PS_KUBELET, None, None).pass);
    assert!(!evaluate(&unset, "kubelet --hostname-override=x", None, None).pass);
    let bare = item("--profiling", "eq", "true");
    assert!(evaluate(&bare, "kube-scheduler --profiling", None, None).pass);
}

#[test]
fn flag_value_forms() {
    let eq = item("--secure-port", "eq", "6443");
    for line in [
        "kube-apiserver --secure-port=6443",
        "kube-apiserver --secure-port 6443 --x",
        "--secure-port: 6443",
    ] {
        assert!(evaluate(&eq, line, None, None).pass, "{line}");
    }
    // `--flag value` is read only when the next word is not a flag.
    assert!(!evaluate(&eq, "kube-apiserver --secure-port --other=1", None, None).pass);
    // Without a compare, a bare flag is simply present.
    let present = tests("test_items:\n  - flag: --secure-port\n");
    assert!(evaluate(&present, "kube-apiserver --secure-port --x", None, None).pass);
    // `key: value` output (the form `flag: value` in config-like audit output).
    let colon = item("authorization-mode", "has", "Node");
    assert!(evaluate(&colon, "authorization-mode: Node,RBAC", None, None).pass);
}

#[test]
fn config_paths_are_used_when_the_flag_is_absent() {
    let anon = tests(
        "test_items:\n  - flag: --anonymous-auth\n    path: '{.authentication.anonymous.enabled}'\n    compare:\n      op: eq\n      value: false\n",
    );
    let no_flags = "UID PID PPID C STIME TTY TIME CMD\nroot 1 0 0 10:00 ? 00:00:00 /usr/bin/kubelet --config=/var/lib/kubelet/config.yaml\n";
    let o = evaluate(&anon, no_flags, Some(KUBELET_CONFIG), None);
    assert!(o.pass, "{o:?}");
    assert_eq!(
        o.expected_result,
        "'{.authentication.anonymous.enabled}' is equal to 'false'"
    );
    // The command line wins over the config file.
    let o = evaluate(
        &anon,
        "kubelet --anonymous-auth=true",
        Some(KUBELET_CONFIG),
        None,
    );
    assert!(!o.pass);
    // Without an audit_config the path is never consulted.
    assert!(!evaluate(&anon, no_flags, None, None).pass);
    // JSON config too.
    let json = r#"{"authentication":{"anonymous":{"enabled":false}}}"#;
    assert!(evaluate(&anon, no_flags, Some(json), None).pass);
    // Unparseable config: not found, fails.
    assert!(!evaluate(&anon, no_flags, Some("{ nope: ["), None).pass);

    let mode = tests(
        "test_items:\n  - flag: --authorization-mode\n    path: '{.authorization.mode}'\n    compare:\n      op: nothave\n      value: AlwaysAllow\n",
    );
    assert!(evaluate(&mode, no_flags, Some(KUBELET_CONFIG), None).pass);
    let port = tests(
        "bin_op: or\ntest_items:\n  - flag: --read-only-port\n    path: '{.readOnlyPort}'\n    compare:\n      op: eq\n      value: 0\n  - flag: --read-only-port\n    path: '{.readOnlyPort}'\n    set: false\n",
    );
    assert!(evaluate(&port, no_flags, Some(KUBELET_CONFIG), None).pass);
    assert!(evaluate(&port, no_flags, Some("kind: KubeletConfiguration\n"), None).pass);
    assert!(!evaluate(&port, no_flags, Some("readOnlyPort: 10255\n"), None).pass);
    let ciphers = tests(
        "test_items:\n  - flag: --tls-cipher-suites\n    path: '{range .tlsCipherSuites[:]}{}{'',''}{end}'\n    compare:\n      op: valid_elements\n      value: TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_RSA_WITH_AES_256_GCM_SHA384\n",
    );
    assert!(evaluate(&ciphers, no_flags, Some(KUBELET_CONFIG), None).pass);
}

#[test]
fn env_items_read_the_environment_output() {
    let t = tests(
        "test_items:\n  - flag: --auto-tls\n    env: ETCD_AUTO_TLS\n    compare:\n      op: eq\n      value: false\n",
    );
    let env = "PATH=/bin\nETCD_AUTO_TLS=false\n";
    assert!(evaluate(&t, "etcd --name=a", None, Some(env)).pass);
    assert!(!evaluate(&t, "etcd --name=a", None, Some("ETCD_AUTO_TLS=true")).pass);
    assert!(!evaluate(&t, "etcd --auto-tls=true", None, Some(env)).pass);
}

#[test]
fn bin_ops_combine_items() {
    let and = tests("test_items:\n  - flag: a\n  - flag: b\n");
    let or = tests("bin_op: or\ntest_items:\n  - flag: a\n  - flag: b\n");
    assert!(evaluate(&and, "a b", None, None).pass);
    assert!(!evaluate(&and, "a", None, None).pass);
    assert!(evaluate(&or, "a", None, None).pass);
    assert!(!evaluate(&or, "c", None, None).pass);
    let bad = tests("bin_op: xor\ntest_items:\n  - flag: a\n");
    let o = evaluate(&bad, "a", None, None);
    assert!(!o.pass && o.error.is_some());
}

#[test]
fn multiple_values_require_every_line() {
    let t = item("permissions", "bitmask", "600");
    let run = |out: &str| {
        evaluate_inputs(
            &t,
            &Inputs {
                audit: out,
                multiple: true,
                ..Inputs::default()
            },
        )
        .pass
    };
    assert!(run("permissions=600\npermissions=400\n"));
    assert!(!run("permissions=600\npermissions=644\n"));
    // Without use_multiple_values only the first occurrence counts.
    assert!(evaluate(&t, "permissions=600\npermissions=644\n", None, None).pass);
}
