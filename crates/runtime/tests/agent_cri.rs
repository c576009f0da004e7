//! The eBPF agent on a pod of a real containerd (CRI plugin): the alert of a container that reads
//! `/etc/shadow` carries the container's name and image and the pod's name, namespace, uid,
//! sandbox and labels, asked of containerd's CRI socket (`AgentOptions::cri_socket`).
//!
//! The test starts its own containerd (root, state and socket in a temporary folder; overlayfs;
//! no CNI: the pod uses the host network), imports two images made from the podman fixture
//! `localhost/rampart/app:1.0` (the workload, and a `sleep infinity` one as the sandbox's pause
//! image; no network needed), runs the pod through the CRI (`cgroup_parent` in kubelet's cgroupfs
//! layout, `/kubepods/besteffort/pod<uid>`), and removes everything after.
//! Skips when eBPF, containerd or the tools are missing, except under `CI=true`, where it must run.
#![cfg(all(target_os = "linux", feature = "ebpf"))]

mod support;

use rampart_runtime::sources::ebpf::cri::Client;
use rampart_runtime::sources::ebpf::cri::proto::{
    ContainerMetadata, ImageSpec, PodSandboxMetadata,
};
use rampart_runtime::sources::ebpf::preflight;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The podman fixture image (scripts/fixtures/images.sh) the test images are made from.
const FIXTURE: &str = "localhost/rampart/app:1.0";
const IMAGE: &str = "localhost/rampart-e2e:app";
const PAUSE: &str = "localhost/rampart-e2e:pause";
const RUNTIME: &str = "/runtime.v1.RuntimeService/";

const RULES: &str = r#"
- rule: Shadow read in pod
  desc: a container reads /etc/shadow
  condition: evt.type in (open, openat, openat2) and fd.name = /etc/shadow and container.id != host and proc.name = cat
  output: >
    shadow read (container.id=%container.id container.full_id=%container.full_id
    container.name=%container.name container.image=%container.image
    container.image.repository=%container.image.repository container.image.tag=%container.image.tag
    container.image.id=%container.image.id container.type=%container.type
    container.privileged=%container.privileged
    k8s.pod.name=%k8s.pod.name k8s.ns.name=%k8s.ns.name k8s.pod.uid=%k8s.pod.uid
    k8s.pod.sandbox_id=%k8s.pod.sandbox_id k8s.pod.full_sandbox_id=%k8s.pod.full_sandbox_id
    app=%k8s.pod.label[app] labels=%k8s.pod.labels)
  priority: WARNING
  tags: [test]
"#;

// The CRI requests the test makes (fields of k8s.io/cri-api runtime/v1 api.proto it sets).

#[derive(Clone, PartialEq, prost::Message)]
struct NamespaceOption {
    /// NamespaceMode: 0 POD, 1 CONTAINER, 2 NODE.
    #[prost(int32, tag = "1")]
    network: i32,
    #[prost(int32, tag = "2")]
    pid: i32,
    #[prost(int32, tag = "3")]
    ipc: i32,
}

#[derive(Clone, PartialEq, prost::Message)]
struct LinuxSandboxSecurityContext {
    #[prost(message, optional, tag = "1")]
    namespace_options: Option<NamespaceOption>,
    /// Must be set for a privileged container to run in the sandbox.
    #[prost(bool, tag = "6")]
    privileged: bool,
}

#[derive(Clone, PartialEq, prost::Message)]
struct LinuxContainerSecurityContext {
    #[prost(bool, tag = "2")]
    privileged: bool,
}

#[derive(Clone, PartialEq, prost::Message)]
struct LinuxContainerConfig {
    #[prost(message, optional, tag = "2")]
    security_context: Option<LinuxContainerSecurityContext>,
}

#[derive(Clone, PartialEq, prost::Message)]
struct LinuxPodSandboxConfig {
    #[prost(string, tag = "1")]
    cgroup_parent: String,
    #[prost(message, optional, tag = "2")]
    security_context: Option<LinuxSandboxSecurityContext>,
}

#[derive(Clone, PartialEq, prost::Message)]
struct PodSandboxConfig {
    #[prost(message, optional, tag = "1")]
    metadata: Option<PodSandboxMetadata>,
    #[prost(string, tag = "2")]
    hostname: String,
    #[prost(string, tag = "3")]
    log_directory: String,
    #[prost(map = "string, string", tag = "6")]
    labels: HashMap<String, String>,
    #[prost(message, optional, tag = "8")]
    linux: Option<LinuxPodSandboxConfig>,
}

#[derive(Clone, PartialEq, prost::Message)]
struct RunPodSandboxRequest {
    #[prost(message, optional, tag = "1")]
    config: Option<PodSandboxConfig>,
    #[prost(string, tag = "2")]
    runtime_handler: String,
}

#[derive(Clone, PartialEq, prost::Message)]
struct RunPodSandboxResponse {
    #[prost(string, tag = "1")]
    pod_sandbox_id: String,
}

/// StopPodSandboxRequest and RemovePodSandboxRequest.
#[derive(Clone, PartialEq, prost::Message)]
struct SandboxRequest {
    #[prost(string, tag = "1")]
    pod_sandbox_id: String,
}

#[derive(Clone, PartialEq, prost::Message)]
struct ContainerConfig {
    #[prost(message, optional, tag = "1")]
    metadata: Option<ContainerMetadata>,
    #[prost(message, optional, tag = "2")]
    image: Option<ImageSpec>,
    #[prost(string, repeated, tag = "3")]
    command: Vec<String>,
    #[prost(map = "string, string", tag = "9")]
    labels: HashMap<String, String>,
    #[prost(string, tag = "11")]
    log_path: String,
    #[prost(message, optional, tag = "15")]
    linux: Option<LinuxContainerConfig>,
}

#[derive(Clone, PartialEq, prost::Message)]
struct CreateContainerRequest {
    #[prost(string, tag = "1")]
    pod_sandbox_id: String,
    #[prost(message, optional, tag = "2")]
    config: Option<ContainerConfig>,
    #[prost(message, optional, tag = "3")]
    sandbox_config: Option<PodSandboxConfig>,
}

/// CreateContainerResponse and StartContainerRequest.
#[derive(Clone, PartialEq, prost::Message)]
struct ContainerId {
    #[prost(string, tag = "1")]
    container_id: String,
}

#[derive(Clone, PartialEq, prost::Message)]
struct Empty {}

/// What is missing to run the test, if anything.
fn missing_tools() -> Option<String> {
    for tool in [
        "containerd",
        "ctr",
        "runc",
        "skopeo",
        "umoci",
        "tar",
        "podman",
    ] {
        let found = std::env::var_os("PATH")
            .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(tool).is_file()));
        if !found {
            return Some(format!("{tool} is not installed"));
        }
    }
    let fixture = Command::new("podman")
        .args(["image", "exists", FIXTURE])
        .status()
        .is_ok_and(|s| s.success());
    (!fixture).then(|| format!("no podman image {FIXTURE} (scripts/fixtures/images.sh)"))
}

fn run(cmd: &mut Command) {
    let out = cmd.stdin(Stdio::null()).output().expect("command runs");
    assert!(
        out.status.success(),
        "{cmd:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A containerd of the test's own, stopped (and its mounts and cgroups removed) on drop.
struct Containerd {
    child: std::process::Child,
    dir: tempfile::TempDir,
    socket: PathBuf,
}

impl Containerd {
    fn start() -> Containerd {
        let dir = tempfile::Builder::new()
            .prefix("rampart-cri")
            .tempdir()
            .unwrap();
        let d = dir.path().display();
        let socket = dir.path().join("containerd.sock");
        std::fs::create_dir_all(dir.path().join("cni")).unwrap();
        let config = format!(
            r#"version = 2
root = "{d}/root"
state = "{d}/state"
disabled_plugins = ["io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs",
  "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs",
  "io.containerd.internal.v1.opt", "io.containerd.tracing.processor.v1.otlp"]
[grpc]
  address = "{d}/containerd.sock"
[ttrpc]
  address = "{d}/containerd.sock.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "{PAUSE}"
  # sandboxes get a negative oom_score_adj otherwise, which some VMs refuse
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "{d}/cni"
    conf_dir = "{d}/cni"
"#
        );
        let config_path = dir.path().join("config.toml");
        std::fs::write(&config_path, config).unwrap();
        let log = std::fs::File::create(dir.path().join("containerd.log")).unwrap();
        let child = Command::new("containerd")
            .arg("--config")
            .arg(&config_path)
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("containerd starts");
        let me = Containerd { child, dir, socket };
        let deadline = Instant::now() + Duration::from_secs(20);
        while !me.socket.exists() {
            assert!(Instant::now() < deadline, "containerd socket: {}", me.log());
            std::thread::sleep(Duration::from_millis(100));
        }
        me
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("containerd.log")).unwrap_or_default()
    }

    /// The workload image and a `sleep infinity` pause image, from the podman fixture.
    fn import_images(&self) {
        let oci = self.dir.path().join("oci");
        let layout = |tag: &str| format!("{}:{tag}", oci.display());
        run(Command::new("skopeo")
            .args(["copy", "-q", &format!("containers-storage:{FIXTURE}")])
            .arg(format!("oci:{}", layout("app"))));
        run(Command::new("umoci").args([
            "config",
            "--image",
            &layout("app"),
            "--tag",
            "pause",
            "--config.cmd",
            "/bin/sleep",
            "--config.cmd",
            "infinity",
        ]));
        let archive = self.dir.path().join("images.tar");
        run(Command::new("tar")
            .arg("-C")
            .arg(&oci)
            .arg("-cf")
            .arg(&archive)
            .arg("."));
        run(Command::new("ctr")
            .arg("-a")
            .arg(&self.socket)
            .args(["-n", "k8s.io", "images", "import", "--base-name"])
            .arg("localhost/rampart-e2e")
            .arg(&archive));
        let _ = std::fs::remove_dir_all(&oci);
        let _ = std::fs::remove_file(&archive);
    }
}

impl Drop for Containerd {
    fn drop(&mut self) {
        // SAFETY: kill on our own child's pid.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.child.try_wait().ok().flatten().is_none() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        // mounts containerd left under its folders (snapshots, sandbox shm), deepest first
        let root = self.dir.path().to_string_lossy().into_owned();
        let mut mounts: Vec<String> = std::fs::read_to_string("/proc/self/mountinfo")
            .unwrap_or_default()
            .lines()
            .filter_map(|l| l.split(' ').nth(4))
            .filter(|m| m.starts_with(&root))
            .map(str::to_string)
            .collect();
        mounts.sort_by_key(|m| std::cmp::Reverse(m.len()));
        for m in mounts {
            if let Ok(c) = std::ffi::CString::new(m) {
                // SAFETY: a valid C string; MNT_DETACH only detaches.
                unsafe { libc::umount2(c.as_ptr(), libc::MNT_DETACH) };
            }
        }
    }
}

/// A pod sandbox, stopped and removed on drop.
struct Pod<'a> {
    client: &'a Client,
    id: String,
    cgroup_parent: String,
}

impl Drop for Pod<'_> {
    fn drop(&mut self) {
        let req = SandboxRequest {
            pod_sandbox_id: self.id.clone(),
        };
        for method in ["StopPodSandbox", "RemovePodSandbox"] {
            if let Err(e) = self
                .client
                .call::<_, Empty>(&format!("{RUNTIME}{method}"), &req)
            {
                eprintln!("{method}: {e}");
            }
        }
        remove_cgroup(&self.cgroup_parent);
    }
}

/// The pod's (empty) cgroup folders and their parents, in every hierarchy (cgroup v2's root or
/// v1's controllers; runc removes the containers' own).
fn remove_cgroup(parent: &str) {
    let v1 = std::fs::read_dir("/sys/fs/cgroup")
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path());
    for root in std::iter::once(PathBuf::from("/sys/fs/cgroup")).chain(v1) {
        let mut dir = PathBuf::from(parent.trim_start_matches('/'));
        loop {
            let _ = std::fs::remove_dir(root.join(&dir));
            if !dir.pop() || dir.as_os_str().is_empty() {
                break;
            }
        }
    }
}

fn labels(kv: &[(&str, &str)]) -> HashMap<String, String> {
    kv.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Runs a pod in namespace `e2e-ns` (labels `app=rampart-e2e`, `tier=test`, and the kubelet's
/// `io.kubernetes.*` ones) whose container `shadow-reader` reads /etc/shadow, next to a
/// privileged container `privileged-sleeper`; returns the pod and the two container ids.
fn run_pod<'a>(client: &'a Client, logs: &Path) -> (Pod<'a>, String, String) {
    let uid = format!("e2e0c0de-0000-4000-8000-{:012}", std::process::id());
    let pod_name = "rampart-e2e-pod";
    let kubelet = [
        ("io.kubernetes.pod.name", pod_name),
        ("io.kubernetes.pod.namespace", "e2e-ns"),
        ("io.kubernetes.pod.uid", uid.as_str()),
    ];
    let mut pod_labels = labels(&kubelet);
    pod_labels.extend(labels(&[("app", "rampart-e2e"), ("tier", "test")]));
    let cgroup_parent = format!("/kubepods/besteffort/pod{uid}");
    let sandbox = PodSandboxConfig {
        metadata: Some(PodSandboxMetadata {
            name: pod_name.into(),
            uid: uid.clone(),
            namespace: "e2e-ns".into(),
            attempt: 0,
        }),
        hostname: String::new(),
        log_directory: logs.display().to_string(),
        labels: pod_labels,
        linux: Some(LinuxPodSandboxConfig {
            cgroup_parent: cgroup_parent.clone(),
            security_context: Some(LinuxSandboxSecurityContext {
                // host network: no CNI needed
                namespace_options: Some(NamespaceOption {
                    network: 2,
                    pid: 1,
                    ipc: 0,
                }),
                // the pod also runs a privileged container
                privileged: true,
            }),
        }),
    };
    let ran: RunPodSandboxResponse = client
        .call(
            &format!("{RUNTIME}RunPodSandbox"),
            &RunPodSandboxRequest {
                config: Some(sandbox.clone()),
                runtime_handler: String::new(),
            },
        )
        .unwrap_or_else(|e| {
            remove_cgroup(&cgroup_parent);
            panic!("RunPodSandbox: {e}")
        });
    let pod = Pod {
        client,
        id: ran.pod_sandbox_id,
        cgroup_parent,
    };
    let start = |name: &str, command: &str, privileged: bool| -> String {
        let mut container_labels = labels(&kubelet);
        container_labels.insert("io.kubernetes.container.name".into(), name.into());
        let created: ContainerId = client
            .call(
                &format!("{RUNTIME}CreateContainer"),
                &CreateContainerRequest {
                    pod_sandbox_id: pod.id.clone(),
                    config: Some(ContainerConfig {
                        metadata: Some(ContainerMetadata {
                            name: name.into(),
                            attempt: 0,
                        }),
                        image: Some(ImageSpec {
                            image: IMAGE.into(),
                            ..Default::default()
                        }),
                        command: ["/bin/sh", "-c", command].map(String::from).to_vec(),
                        labels: container_labels,
                        log_path: format!("{name}.log"),
                        linux: Some(LinuxContainerConfig {
                            security_context: Some(LinuxContainerSecurityContext { privileged }),
                        }),
                    }),
                    sandbox_config: Some(sandbox.clone()),
                },
            )
            .unwrap_or_else(|e| panic!("CreateContainer {name}: {e}"));
        let _: Empty = client
            .call(&format!("{RUNTIME}StartContainer"), &created)
            .unwrap_or_else(|e| panic!("StartContainer {name}: {e}"));
        created.container_id
    };
    let shadow = start(
        "shadow-reader",
        "/bin/sleep 1; /bin/cat /etc/shadow >/dev/null; /bin/sleep 2",
        false,
    );
    let privileged = start("privileged-sleeper", "/bin/sleep 5", true);
    (pod, shadow, privileged)
}

#[test]
fn alert_of_a_pod_container_carries_cri_container_and_pod_metadata() {
    if let Err(e) = preflight() {
        assert!(!rampart_testkit::in_ci(), "eBPF must run in CI: {e}");
        eprintln!("skipping: {e}");
        return;
    }
    if let Some(why) = missing_tools() {
        assert!(
            !rampart_testkit::in_ci(),
            "containerd test must run in CI: {why}"
        );
        eprintln!("skipping: {why}");
        return;
    }
    let containerd = Containerd::start();
    containerd.import_images();
    let client = Client::new(&containerd.socket)
        .unwrap()
        .with_timeout(Duration::from_secs(60));
    let mut loader = rampart_runtime::Loader::new();
    loader.add_str("cri.yaml", RULES);
    let options = rampart_runtime::agent::AgentOptions {
        cri_socket: Some(containerd.socket.clone()),
        ..Default::default()
    };
    let (running, collect) = support::agent_with_options(loader.finish().expect("rules"), options);
    let logs = containerd.dir.path().join("logs");
    std::fs::create_dir_all(&logs).unwrap();
    let (pod, container_id, privileged_id) = run_pod(&client, &logs);
    let found = support::alerts_within(&collect, "Shadow read in pod", Duration::from_secs(15));
    running.stop();
    running.wait();
    // the client directly: a 12-character prefix finds the container, and the sandbox (pause)
    // container is named after its pod
    let by_prefix = client.lookup(&container_id[..12]);
    let sandbox = client.lookup(&pod.id);
    // `container.privileged` from the verbose status's info
    let privileged = client.lookup(&privileged_id);
    drop(pod);
    let log = containerd.log();
    drop(containerd);
    let Some(a) = found.first() else {
        panic!("the rule fired for container {container_id}; containerd log:\n{log}");
    };
    let f = |k: &str| {
        a.output_fields
            .get(k)
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_string()
    };
    eprintln!("alert: {}", a.output);
    let by_prefix = by_prefix.expect("lookup by prefix");
    assert_eq!(by_prefix.container.full_id, container_id);
    assert!(!by_prefix.container.privileged);
    let privileged = privileged.expect("lookup of the privileged container");
    assert_eq!(privileged.container.name, "privileged-sleeper");
    assert!(privileged.container.privileged, "{privileged:?}");
    let sandbox = sandbox.expect("lookup of the sandbox");
    assert_eq!(sandbox.container.name, "rampart-e2e-pod");
    assert_eq!(sandbox.k8s.map(|k| k.ns_name).as_deref(), Some("e2e-ns"));
    assert_eq!(f("container.id"), container_id[..12], "{a:?}");
    assert_eq!(f("container.full_id"), container_id, "{a:?}");
    assert_eq!(f("container.name"), "shadow-reader", "{a:?}");
    assert_eq!(f("container.image"), IMAGE, "{a:?}");
    assert_eq!(
        f("container.image.repository"),
        "localhost/rampart-e2e",
        "{a:?}"
    );
    assert_eq!(f("container.image.tag"), "app", "{a:?}");
    let image_id = f("container.image.id");
    assert!(
        image_id.len() == 64 && image_id.bytes().all(|b| b.is_ascii_hexdigit()),
        "{a:?}"
    );
    assert_eq!(f("container.type"), "containerd", "{a:?}");
    let privileged_field = a
        .output_fields
        .get("container.privileged")
        .map(|v| v.to_string().trim_matches('"').to_string());
    assert_eq!(privileged_field.as_deref(), Some("false"), "{a:?}");
    assert_eq!(f("k8s.pod.name"), "rampart-e2e-pod", "{a:?}");
    assert_eq!(f("k8s.ns.name"), "e2e-ns", "{a:?}");
    assert!(f("k8s.pod.uid").starts_with("e2e0c0de-"), "{a:?}");
    let sandbox = f("k8s.pod.full_sandbox_id");
    assert_eq!(sandbox.len(), 64, "{a:?}");
    assert_eq!(f("k8s.pod.sandbox_id"), sandbox[..12], "{a:?}");
    assert_eq!(f("k8s.pod.label[app]"), "rampart-e2e", "{a:?}");
    assert_eq!(f("k8s.pod.labels"), "app:rampart-e2e, tier:test", "{a:?}");
}
