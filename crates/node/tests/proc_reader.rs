//! The `/proc` reader behind `rampart k8s node`: process command lines and names, from a real
//! running process and from a prepared `/proc`-shaped tree.
#![cfg(target_os = "linux")]

use rampart_node::{Node, ProcessSource};
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

const FLAGS: &[&str] = &[
    "--anonymous-auth=false",
    "--authorization-mode=Node,RBAC",
    "--secure-port",
    "6443",
];

/// A running process named `kube-apiserver` with `FLAGS`: a copy of `/bin/sh`, renamed, reading
/// standard input so it stays until the pipe closes. Killed and reaped on drop.
struct Apiserver {
    child: Child,
    _dir: tempfile::TempDir,
}

impl Drop for Apiserver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn shell() -> PathBuf {
    ["/bin/sh", "/usr/bin/sh"]
        .into_iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
        .expect("a POSIX shell")
}

fn start_apiserver() -> Apiserver {
    let dir = tempfile::tempdir().expect("tempdir");
    let bin = dir.path().join("kube-apiserver");
    std::fs::copy(shell(), &bin).expect("copy the shell");
    // `$0` is the name; the flags are the script's positional parameters, which it ignores.
    let mut args = vec!["-c", "read line", "kube-apiserver"];
    args.extend(FLAGS);
    // A freshly written executable can be briefly busy (another thread forking while it was open).
    let mut tries = 0;
    let child = loop {
        match Command::new(&bin)
            .args(&args)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
        {
            Ok(child) => break child,
            Err(e) if e.kind() == ErrorKind::ExecutableFileBusy && tries < 50 => {
                tries += 1;
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            Err(e) => panic!("start {}: {e}", bin.display()),
        }
    };
    Apiserver { child, _dir: dir }
}

#[test]
fn a_running_process_is_found_with_its_flags() {
    let server = start_apiserver();
    let pid = server.child.id();
    // The child has exec'd once its command line names it; wait for that (fork-then-exec window).
    let mut node = None;
    for _ in 0..100 {
        let n = Node::new("/", &ProcessSource::Proc(PathBuf::from("/proc"))).expect("node");
        if n.processes()
            .iter()
            .any(|p| p.pid == pid && p.comm == "kube-apiserver")
        {
            node = Some(n);
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let node = node.expect("the child is listed as kube-apiserver");
    let p = node.processes().iter().find(|p| p.pid == pid).unwrap();
    assert_eq!(p.comm, "kube-apiserver");
    for flag in FLAGS {
        assert!(
            p.cmdline.contains(flag),
            "{flag} missing from {:?}",
            p.cmdline
        );
    }
    assert!(
        p.cmdline
            .ends_with("--anonymous-auth=false --authorization-mode=Node,RBAC --secure-port 6443"),
        "arguments joined by single spaces, in order: {:?}",
        p.cmdline
    );
    // Sorted by pid, as the reader promises.
    assert!(node.processes().windows(2).all(|w| w[0].pid < w[1].pid));

    // What kube-bench audits run over it: `ps -ef | grep` finds the flags.
    let out = rampart_node::shell::run("ps -ef | grep kube-apiserver | grep -v grep", &node)
        .unwrap_or_else(|e| panic!("interpreted: {}", e.0));
    assert!(
        out.stdout.contains("--authorization-mode=Node,RBAC"),
        "{}",
        out.stdout
    );
    let out = rampart_node::shell::run("ps -fC kube-apiserver", &node)
        .unwrap_or_else(|e| panic!("interpreted: {}", e.0));
    assert!(out.stdout.contains("--secure-port 6443"), "{}", out.stdout);
}

fn write_proc(root: &Path, pid: &str, cmdline: &[u8], comm: Option<&str>) {
    let dir = root.join(pid);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("cmdline"), cmdline).unwrap();
    if let Some(c) = comm {
        std::fs::write(dir.join("comm"), format!("{c}\n")).unwrap();
    }
}

#[test]
fn a_proc_tree_is_read_like_proc() {
    let proc = tempfile::tempdir().unwrap();
    let root = proc.path();
    // NUL-separated arguments with the trailing NUL the kernel writes.
    write_proc(
        root,
        "412",
        b"/usr/bin/kubelet\0--config=/var/lib/kubelet/config.yaml\0--v=2\0",
        Some("kubelet"),
    );
    // No `comm`: the name comes from the first argument's base name, cut to 15 bytes.
    write_proc(
        root,
        "37",
        b"/usr/local/bin/kube-controller-manager\0--profiling=false\0",
        None,
    );
    // Kernel threads have an empty command line; non-numeric entries are not processes.
    write_proc(root, "2", b"", Some("kthreadd"));
    std::fs::create_dir_all(root.join("self")).unwrap();
    std::fs::write(root.join("self/cmdline"), b"x\0").unwrap();
    std::fs::write(root.join("uptime"), "1 1\n").unwrap();

    let node = Node::new("/", &ProcessSource::Proc(root.to_path_buf())).unwrap();
    let procs: Vec<(u32, &str, &str)> = node
        .processes()
        .iter()
        .map(|p| (p.pid, p.comm.as_str(), p.cmdline.as_str()))
        .collect();
    assert_eq!(
        procs,
        vec![
            (
                37,
                "kube-controller",
                "/usr/local/bin/kube-controller-manager --profiling=false"
            ),
            (
                412,
                "kubelet",
                "/usr/bin/kubelet --config=/var/lib/kubelet/config.yaml --v=2"
            ),
        ]
    );

    // A missing /proc gives no processes rather than an error.
    let none = Node::new("/", &ProcessSource::Proc(root.join("absent"))).unwrap();
    assert!(none.processes().is_empty());
}
