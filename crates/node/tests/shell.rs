//! The audit interpreter on the forms the definitions use, against a small node tree.

use rampart_node::node::parse_process_list;
use rampart_node::shell::{self, system};
use rampart_node::{Node, ProcessSource};
use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

const PROCS: &str = "\
/usr/bin/kubelet --config=/var/lib/kubelet/config.yaml --client-ca-file=/etc/kubernetes/pki/ca.crt
kube-apiserver --authorization-mode=Node,RBAC --encryption-provider-config=/etc/kubernetes/enc.yaml --kubelet-certificate-authority=/x
etcd --data-dir=/var/lib/etcd --name=a
";

fn fixture() -> (tempfile::TempDir, Node) {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let files = [
        (
            "var/lib/kubelet/config.yaml",
            "kind: KubeletConfiguration\n",
            0o600,
        ),
        ("etc/kubernetes/pki/ca.crt", "CA\n", 0o644),
        ("etc/kubernetes/pki/a.key", "K\n", 0o600),
        ("etc/kubernetes/pki/b.key", "K\n", 0o640),
        ("etc/kubernetes/admin.conf", "x\n", 0o600),
        ("var/lib/etcd/member/snap", "s\n", 0o600),
        (
            "etc/kubernetes/enc.yaml",
            "kind: EncryptionConfiguration\nresources:\n  - resources: [secrets]\n    providers:\n      - aescbc:\n          keys: []\n",
            0o600,
        ),
    ];
    for (path, text, mode) in files {
        let p = root.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, text).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
    }
    std::fs::set_permissions(
        root.join("var/lib/etcd"),
        std::fs::Permissions::from_mode(0o700),
    )
    .unwrap();
    let node = Node::new(root, &ProcessSource::List(parse_process_list(PROCS))).unwrap();
    (tmp, node)
}

fn out(node: &Node, audit: &str) -> (String, i32) {
    let o = shell::run(audit, node).unwrap_or_else(|e| panic!("{audit}: {e}"));
    (format!("{}{}", o.stderr, o.stdout), o.status)
}

#[test]
fn process_forms() {
    let (_t, node) = fixture();
    let (o, st) = out(&node, "/bin/ps -ef | grep kube-apiserver | grep -v grep");
    assert_eq!(st, 0);
    assert_eq!(o.lines().count(), 1);
    assert!(o.contains("--authorization-mode=Node,RBAC"));
    // `grep kubelet` also matches the API server's --kubelet-… flags, exactly as on a real node.
    let (o, _) = out(&node, "ps -ef | grep kubelet | grep -v grep");
    assert_eq!(o.lines().count(), 2);
    let (o, st) = out(&node, "/bin/ps -fC kubelet");
    assert_eq!(st, 0);
    assert!(o.starts_with("UID PID PPID C STIME TTY TIME CMD\n"));
    assert!(o.contains("/usr/bin/kubelet --config"));
    let (_, st) = out(&node, "/bin/ps -fC kube-proxy");
    assert_eq!(st, 1);
    let (o, _) = out(
        &node,
        "ps -fC ${kubeletbin:-kubelet} | grep -- --client-ca-file",
    );
    assert!(o.contains("kubelet"));
}

#[test]
fn stat_forms() {
    let (_t, node) = fixture();
    let cases = [
        (
            "/bin/sh -c 'if test -e /var/lib/kubelet/config.yaml; then stat -c permissions=%a /var/lib/kubelet/config.yaml; fi' ",
            "permissions=600\n",
        ),
        (
            "/bin/sh -c 'if test -e /nope; then stat -c permissions=%a /nope; fi'",
            "",
        ),
        (
            "/bin/sh -c \"if test -e /nope; then stat -c %U:%G /nope; else echo \\\"File not found\\\"; fi\"",
            "File not found\n",
        ),
        ("stat -c %a /etc/kubernetes/pki/ca.crt", "644\n"),
        (
            "stat -c permissions=%a /etc/kubernetes/pki/*.key",
            "permissions=600\npermissions=640\n",
        ),
        (
            "find /etc/kubernetes/pki -name '*.key' | xargs stat -c permissions=%a",
            "permissions=600\npermissions=640\n",
        ),
        (
            "find /var/lib/etcd -type f 2> /dev/null | xargs --no-run-if-empty stat -c permissions=%a",
            "permissions=600\n",
        ),
        (
            "find /nope -type f 2> /dev/null | xargs --no-run-if-empty stat -c permissions=%a",
            "",
        ),
        (
            "for adminconf in /etc/kubernetes/admin.conf /etc/kubernetes/super-admin.conf; do if test -e $adminconf; then stat -c \"permissions=%a %n\" $adminconf; fi; done",
            "permissions=600 /etc/kubernetes/admin.conf\n",
        ),
    ];
    for (audit, want) in cases {
        assert_eq!(out(&node, audit).0, want, "{audit}");
    }
    let (o, _) = out(&node, "stat -c %U:%G /etc/kubernetes/admin.conf");
    assert!(o.trim().contains(':'));
    let (o, st) = out(&node, "stat -c %a /nope");
    assert_eq!(st, 1);
    assert!(o.contains("No such file or directory"));
}

#[test]
fn variable_and_substitution_forms() {
    let (_t, node) = fixture();
    let cafile = "CAFILE=$(ps -ef | grep kubelet | grep -v apiserver | grep -- --client-ca-file= | awk -F '--client-ca-file=' '{print $2}' | awk '{print $1}' | uniq)
if test -z $CAFILE; then CAFILE=/etc/kubernetes/ca-default.crt; fi
if test -e $CAFILE; then stat -c permissions=%a $CAFILE; fi
";
    assert_eq!(out(&node, cafile).0, "permissions=644\n");
    let data_dir = "DATA_DIR=''
for d in $(ps -ef | grep etcd | grep -- --data-dir | sed 's%.*data-dir[= ]\\([^ ]*\\).*%\\1%'); do
  if test -d \"$d\"; then DATA_DIR=\"$d\"; fi
done
if ! test -d \"$DATA_DIR\"; then DATA_DIR=/var/lib/etcd/default.etcd; fi
stat -c permissions=%a \"$DATA_DIR\"
";
    assert_eq!(out(&node, data_dir).0, "permissions=700\n");
    let encryption = "ENCRYPTION_PROVIDER_CONFIG=$(ps -ef | grep kube-apiserver | grep -- --encryption-provider-config | sed 's%.*encryption-provider-config[= ]\\([^ ]*\\).*%\\1%')
if test -e $ENCRYPTION_PROVIDER_CONFIG; then grep -A1 'providers:' $ENCRYPTION_PROVIDER_CONFIG | tail -n1 | grep -o \"[A-Za-z]*\" | sed 's/^/provider=/'; fi
";
    assert_eq!(out(&node, encryption).0, "provider=aescbc\n");
    let (o, st) = out(&node, "/bin/cat /var/lib/kubelet/config.yaml");
    assert_eq!((o.as_str(), st), ("kind: KubeletConfiguration\n", 0));
    let (o, st) = out(&node, "/bin/cat /nope");
    assert_eq!(st, 1);
    assert!(o.contains("No such file or directory"));
    let (o, _) = out(
        &node,
        "/bin/sh -c 'if test -d /var/lib/kubelet; then cat /var/lib/kubelet/*; elif test -e /var/lib/kubelet; then cat /var/lib/kubelet; fi'",
    );
    assert_eq!(o, "kind: KubeletConfiguration\n");
    let (o, _) = out(
        &node,
        "stat -c permissions=%a /nope || echo \"permissions=700\"",
    );
    assert!(o.ends_with("permissions=700\n"));
}

#[test]
fn commands_outside_the_subset_are_refused_before_anything_runs() {
    let (_t, node) = fixture();
    for audit in [
        "journalctl -m -u k3s | grep 'Running kube-apiserver' | tail -n1",
        "systemctl is-enabled kubelet",
        "kubectl get pods -A",
        "oc get nodes",
        "echo x > /tmp/file",
        "cat /etc/passwd >> /tmp/file",
        "sleep 100 &",
        "echo `id`",
        "(cat /etc/hostname)",
        "/bin/sh -c 'rm -rf /'",
        "ps -ef | xargs rm",
        "$CMD arg",
    ] {
        assert!(shell::run(audit, &node).is_err(), "{audit}");
        assert!(shell::interpretable(audit).is_err(), "{audit}");
    }
}

#[test]
fn the_opt_in_shell_runs_with_a_timeout() {
    let o = system::run("echo out; echo err >&2; exit 3", Duration::from_secs(5)).unwrap();
    assert_eq!(
        (o.stdout.as_str(), o.stderr.as_str(), o.status),
        ("out\n", "err\n", 3)
    );
    let err = system::run("sleep 5", Duration::from_millis(200)).unwrap_err();
    assert!(err.contains("timed out"), "{err}");
}

#[test]
fn symlinks_resolve_inside_the_root() {
    let (tmp, node) = fixture();
    let root = tmp.path();
    // An absolute link, as on a host mounted elsewhere: it must resolve under the root.
    std::os::unix::fs::symlink(
        "/var/lib/kubelet/config.yaml",
        root.join("etc/kubelet-link.yaml"),
    )
    .unwrap();
    std::os::unix::fs::symlink("pki", root.join("etc/kubernetes/certs")).unwrap();
    let (o, _) = out(&node, "cat /etc/kubelet-link.yaml");
    assert_eq!(o, "kind: KubeletConfiguration\n");
    let (o, _) = out(&node, "stat -c permissions=%a /etc/kubernetes/certs/ca.crt");
    assert_eq!(o, "permissions=644\n");
    // `stat` without -L reports the link itself.
    let (o, _) = out(&node, "stat -c permissions=%a /etc/kubelet-link.yaml");
    assert_eq!(o, "permissions=777\n");
    assert!(node.exists("/etc/kubelet-link.yaml"));
}

#[test]
fn hostile_scripts_are_bounded() {
    let (_t, node) = fixture();
    let deep_if = "if ".repeat(10_000);
    assert!(shell::run(&deep_if, &node).is_err());
    let deep_subst = "echo $(".repeat(100) + &")".repeat(100);
    assert!(shell::run(&deep_subst, &node).is_err());
    let many = "for a in 1 2 3 4 5 6 7 8 9 10; do for b in 1 2 3 4 5 6 7 8 9 10; do for c in 1 2 3 4 5 6 7 8 9 10; do for d in 1 2 3 4 5 6 7 8 9 10; do for e in 1 2 3 4 5 6 7 8 9 10; do true; done; done; done; done; done";
    assert!(shell::run(many, &node).is_err());
}
