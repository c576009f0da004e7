//! A small client of the Kubernetes Container Runtime Interface (`runtime.v1.RuntimeService`) on
//! the runtime's unix socket — containerd's CRI plugin or CRI-O — for the metadata of the
//! containers the eBPF source sees: name, image, start, mounts, and the pod (name, namespace, uid,
//! sandbox id, labels).
//!
//! gRPC is spoken directly on `h2` (unary calls only) with hand-written prost messages
//! ([`proto`]); every lookup is bounded by a timeout and a response size limit. Calls block the
//! calling thread on a private current-thread tokio runtime: the decoder makes them from its
//! lookup thread, never from the thread reading the ring buffer.
//!
//! ```no_run
//! use rampart_runtime::sources::ebpf::cri::{Client, find_socket};
//! let socket = find_socket().expect("a CRI socket");
//! let client = Client::new(socket).expect("client");
//! let found = client.lookup("3ad7b26ded6d").expect("container");
//! println!("{} {}", found.container.name, found.container.image);
//! ```

mod grpc;
pub mod proto;

use crate::fields::syscall::{Container, K8sMeta, Mount};
use proto::{
    ContainerFilter, ContainerStatus, ContainerStatusRequest, ContainerStatusResponse, Image,
    ImageSpec, ImageStatusRequest, ImageStatusResponse, ListContainersRequest,
    ListContainersResponse, ListedContainer, PodSandboxStatus, PodSandboxStatusRequest,
    PodSandboxStatusResponse, VersionRequest, VersionResponse,
};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

/// Overrides the CRI socket (a path, or `unix://PATH`); when set, no other socket is tried.
pub const SOCKET_ENV: &str = "RAMPART_CRI_SOCKET";
/// Sockets tried in order when [`SOCKET_ENV`] is not set.
pub const DEFAULT_SOCKETS: [&str; 2] = ["/run/containerd/containerd.sock", "/run/crio/crio.sock"];
/// The longest a whole lookup (every call it makes) may take.
pub const TIMEOUT: Duration = Duration::from_secs(2);
/// The largest response accepted.
pub const MAX_RESPONSE: usize = 4 << 20;

const RUNTIME: &str = "/runtime.v1.RuntimeService/";
const IMAGES: &str = "/runtime.v1.ImageService/";

/// Why a CRI call failed.
#[derive(Debug, thiserror::Error)]
pub enum CriError {
    #[error("connecting to the CRI socket {path}: {source}")]
    Connect {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("CRI {method}: HTTP/2: {source}")]
    Http2 { method: String, source: h2::Error },
    #[error("CRI {method}: HTTP status {status}")]
    HttpStatus { method: String, status: u16 },
    #[error("CRI {method}: gRPC status {code}: {message}")]
    Status {
        method: String,
        code: u32,
        message: String,
    },
    #[error("CRI {method}: response larger than {limit} bytes")]
    TooLarge { method: String, limit: usize },
    #[error("CRI {method}: malformed response: {detail}")]
    Malformed { method: String, detail: String },
    #[error("CRI socket {path}: no answer within {timeout:?}")]
    Timeout { path: PathBuf, timeout: Duration },
    #[error("CRI socket {path}: no container {id}")]
    NotFound { path: PathBuf, id: String },
    #[error("starting the CRI client's runtime: {0}")]
    Runtime(#[source] std::io::Error),
}

/// gRPC's NOT_FOUND.
const NOT_FOUND: u32 = 5;

/// The sockets to try: [`SOCKET_ENV`] alone when set, else [`DEFAULT_SOCKETS`].
pub fn candidate_sockets() -> Vec<PathBuf> {
    match std::env::var(SOCKET_ENV) {
        Ok(s) if !s.trim().is_empty() => {
            let s = s.trim();
            vec![PathBuf::from(s.strip_prefix("unix://").unwrap_or(s))]
        }
        _ => DEFAULT_SOCKETS.iter().map(PathBuf::from).collect(),
    }
}

/// The first of [`candidate_sockets`] that exists.
pub fn find_socket() -> Option<PathBuf> {
    candidate_sockets().into_iter().find(|p| p.exists())
}

/// What a lookup found: the container and, for a Kubernetes pod, the pod.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    pub container: Container,
    pub k8s: Option<K8sMeta>,
}

/// A CRI client of one socket.
pub struct Client {
    socket: PathBuf,
    timeout: Duration,
    rt: tokio::runtime::Runtime,
    /// `container.type` of this runtime (`containerd`, `cri-o`), from the `Version` call.
    kind: OnceLock<String>,
}

impl Client {
    /// A client of `socket` (nothing is connected until a call).
    pub fn new(socket: impl Into<PathBuf>) -> Result<Client, CriError> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .enable_time()
            .build()
            .map_err(CriError::Runtime)?;
        Ok(Client {
            socket: socket.into(),
            timeout: TIMEOUT,
            rt,
            kind: OnceLock::new(),
        })
    }

    /// Bounds each call or lookup by `timeout` instead of [`TIMEOUT`].
    pub fn with_timeout(mut self, timeout: Duration) -> Client {
        self.timeout = timeout;
        self
    }

    pub fn socket(&self) -> &Path {
        &self.socket
    }

    /// One unary call, e.g. `call("/runtime.v1.RuntimeService/Version", &req)`, on its own
    /// connection.
    pub fn call<Q, R>(&self, method: &str, req: &Q) -> Result<R, CriError>
    where
        Q: prost::Message,
        R: prost::Message + Default,
    {
        self.block(async {
            let mut conn = grpc::Conn::connect(&self.socket).await?;
            conn.unary(method, req, MAX_RESPONSE).await
        })
    }

    /// The metadata of container `id` (its full id or a unique prefix, e.g. the 12 characters of
    /// `container.id`). [`CriError::NotFound`] when the runtime does not know it.
    pub fn lookup(&self, id: &str) -> Result<Found, CriError> {
        self.block(self.lookup_async(id))
    }

    fn block<T>(
        &self,
        fut: impl std::future::Future<Output = Result<T, CriError>>,
    ) -> Result<T, CriError> {
        self.rt
            .block_on(async { tokio::time::timeout(self.timeout, fut).await })
            .unwrap_or_else(|_| {
                Err(CriError::Timeout {
                    path: self.socket.clone(),
                    timeout: self.timeout,
                })
            })
    }

    fn kind(&self) -> &str {
        self.kind.get().map_or("containerd", String::as_str)
    }

    async fn lookup_async(&self, id: &str) -> Result<Found, CriError> {
        let mut conn = grpc::Conn::connect(&self.socket).await?;
        if self.kind.get().is_none() {
            let kind = match conn
                .unary::<_, VersionResponse>(
                    &format!("{RUNTIME}Version"),
                    &VersionRequest {
                        version: "v1".into(),
                    },
                    MAX_RESPONSE,
                )
                .await
            {
                Ok(v) => kind_of(&v.runtime_name, &self.socket),
                Err(_) => kind_of("", &self.socket),
            };
            let _ = self.kind.set(kind);
        }
        let not_found = || CriError::NotFound {
            path: self.socket.clone(),
            id: id.to_string(),
        };
        // the sandbox id is only in the container list (ContainerStatus has it in verbose info)
        let list: ListContainersResponse = conn
            .unary(
                &format!("{RUNTIME}ListContainers"),
                &ListContainersRequest {
                    filter: Some(ContainerFilter {
                        id: id.to_string(),
                        ..Default::default()
                    }),
                },
                MAX_RESPONSE,
            )
            .await?;
        let Some(listed) = list.containers.into_iter().find(|c| c.id.starts_with(id)) else {
            // a pod's sandbox (pause) container is no container of the CRI, but its id is the
            // sandbox's
            return match conn
                .unary::<_, PodSandboxStatusResponse>(
                    &format!("{RUNTIME}PodSandboxStatus"),
                    &PodSandboxStatusRequest {
                        pod_sandbox_id: id.to_string(),
                        verbose: false,
                    },
                    MAX_RESPONSE,
                )
                .await
            {
                Ok(PodSandboxStatusResponse {
                    status: Some(sandbox),
                }) => Ok(sandbox_model(self.kind(), &sandbox)),
                Ok(_)
                | Err(CriError::Status {
                    code: NOT_FOUND, ..
                }) => Err(not_found()),
                Err(e) => Err(e),
            };
        };
        // verbose for `container.privileged` (in the runtime's `info` document only); a runtime
        // that cannot build that document is asked again without it
        let mut answer = Err(not_found());
        for verbose in [true, false] {
            answer = conn
                .unary::<_, ContainerStatusResponse>(
                    &format!("{RUNTIME}ContainerStatus"),
                    &ContainerStatusRequest {
                        container_id: listed.id.clone(),
                        verbose,
                    },
                    MAX_RESPONSE,
                )
                .await;
            match &answer {
                Ok(_)
                | Err(CriError::Status {
                    code: NOT_FOUND, ..
                }) => break,
                Err(_) => {}
            }
        }
        let (status, privileged) = match answer {
            Ok(r) => (r.status, privileged_in(&r.info)),
            Err(CriError::Status {
                code: NOT_FOUND, ..
            }) => return Err(not_found()),
            Err(e) => return Err(e),
        };
        // the pod and image are extras: the container's metadata stands without them
        let sandbox = if listed.pod_sandbox_id.is_empty() {
            None
        } else {
            conn.unary::<_, PodSandboxStatusResponse>(
                &format!("{RUNTIME}PodSandboxStatus"),
                &PodSandboxStatusRequest {
                    pod_sandbox_id: listed.pod_sandbox_id.clone(),
                    verbose: false,
                },
                MAX_RESPONSE,
            )
            .await
            .ok()
            .and_then(|r| r.status)
        };
        let image_ref = status
            .as_ref()
            .map_or(listed.image_ref.as_str(), |s| s.image_ref.as_str());
        let image = if image_ref.is_empty() {
            None
        } else {
            conn.unary::<_, ImageStatusResponse>(
                &format!("{IMAGES}ImageStatus"),
                &ImageStatusRequest {
                    image: Some(ImageSpec {
                        image: image_ref.to_string(),
                        ..Default::default()
                    }),
                    verbose: false,
                },
                MAX_RESPONSE,
            )
            .await
            .ok()
            .and_then(|r| r.image)
        };
        let mut found = to_model(
            self.kind(),
            &listed,
            status.as_ref(),
            sandbox.as_ref(),
            image.as_ref(),
        );
        found.container.privileged = privileged;
        Ok(found)
    }
}

/// The largest verbose `info` document parsed for `container.privileged` (bytes); a larger one
/// counts as not privileged. containerd's (with the whole OCI spec) is a few tens of KiB.
pub const MAX_INFO: usize = 1 << 20;

/// `container.privileged` from `ContainerStatus`'s verbose `info` map: its `info` JSON document,
/// read where libsinsp reads it — containerd's CRI config (`config.linux.security_context.
/// privileged`, older releases under `runtimeSpec.linux`), CRI-O's top-level `privileged`. False
/// when the document is missing, larger than [`MAX_INFO`], malformed or not a boolean there.
pub fn privileged_in(info: &std::collections::HashMap<String, String>) -> bool {
    info.get("info").is_some_and(|doc| privileged_in_json(doc))
}

/// [`privileged_in`] of one `info` JSON document.
pub fn privileged_in_json(doc: &str) -> bool {
    if doc.len() > MAX_INFO {
        return false;
    }
    // serde_json bounds nesting (128 levels): no deep-recursion overflow on hostile input
    let Ok(v) = serde_json::from_str::<serde_json::Value>(doc) else {
        return false;
    };
    [
        "/runtimeSpec/linux/security_context/privileged",
        "/config/linux/security_context/privileged",
        "/privileged",
    ]
    .iter()
    .find_map(|p| v.pointer(p).and_then(serde_json::Value::as_bool))
    .unwrap_or(false)
}

/// Decodes four framed gRPC response bodies (as a runtime would send them: `ListContainers`,
/// `ContainerStatus` (verbose: its `info` gives `container.privileged`), `PodSandboxStatus`, `ImageStatus`) and maps them as [`Client::lookup`]
/// does — the whole path of untrusted bytes from the socket to the model, for fuzzing and tests.
pub fn decode_responses(bodies: [&[u8]; 4]) -> Result<Option<Found>, CriError> {
    let list: ListContainersResponse = grpc::unframe("ListContainers", bodies[0])?;
    let status: ContainerStatusResponse = grpc::unframe("ContainerStatus", bodies[1])?;
    let sandbox: Option<PodSandboxStatusResponse> =
        grpc::unframe("PodSandboxStatus", bodies[2]).ok();
    let image: Option<ImageStatusResponse> = grpc::unframe("ImageStatus", bodies[3]).ok();
    let sandbox = sandbox.and_then(|s| s.status);
    let Some(listed) = list.containers.first() else {
        return Ok(sandbox.as_ref().map(|s| sandbox_model("containerd", s)));
    };
    let mut found = to_model(
        "containerd",
        listed,
        status.status.as_ref(),
        sandbox.as_ref(),
        image.and_then(|i| i.image).as_ref(),
    );
    found.container.privileged = privileged_in(&status.info);
    Ok(Some(found))
}

/// `container.type` for a runtime name (`Version`), else guessed from the socket's path.
fn kind_of(runtime_name: &str, socket: &Path) -> String {
    match runtime_name {
        "" if socket.to_string_lossy().contains("crio") => "cri-o".into(),
        "" | "containerd" => "containerd".into(),
        "cri-o" | "crio" => "cri-o".into(),
        other => other.to_string(),
    }
}

/// Kubernetes' labels on containers and sandboxes (set by the kubelet).
const POD_NAME: &str = "io.kubernetes.pod.name";
const POD_NAMESPACE: &str = "io.kubernetes.pod.namespace";
const POD_UID: &str = "io.kubernetes.pod.uid";
const CONTAINER_NAME: &str = "io.kubernetes.container.name";

/// The model of a container and its pod from the CRI answers.
fn to_model(
    kind: &str,
    listed: &ListedContainer,
    status: Option<&ContainerStatus>,
    sandbox: Option<&PodSandboxStatus>,
    image: Option<&Image>,
) -> Found {
    let full_id = status
        .map(|s| s.id.as_str())
        .filter(|s| !s.is_empty())
        .unwrap_or(&listed.id);
    let labels = status.map_or(&listed.labels, |s| &s.labels);
    let name = status
        .and_then(|s| s.metadata.as_ref())
        .or(listed.metadata.as_ref())
        .map(|m| m.name.as_str())
        .filter(|n| !n.is_empty())
        .or_else(|| labels.get(CONTAINER_NAME).map(String::as_str))
        .unwrap_or_default();
    let spec_image = status
        .and_then(|s| s.image.as_ref())
        .or(listed.image.as_ref())
        .map_or("", |i| i.image.as_str());
    // an image known only by id is named by its first tag, when it has one
    let image_name = match image.and_then(|i| i.repo_tags.first()) {
        Some(tag) if spec_image.is_empty() || spec_image.starts_with("sha256:") => tag.as_str(),
        _ => spec_image,
    };
    let image_ref = status.map_or(listed.image_ref.as_str(), |s| s.image_ref.as_str());
    let image_id = [
        status.map_or("", |s| s.image_id.as_str()),
        image.map_or("", |i| i.id.as_str()),
        image_ref,
    ]
    .into_iter()
    .find(|s| s.starts_with("sha256:"))
    .map_or("", |s| &s["sha256:".len()..]);
    let digest = image_ref
        .split_once('@')
        .map(|(_, d)| d)
        .or_else(|| {
            image
                .and_then(|i| i.repo_digests.first())
                .and_then(|d| d.split_once('@'))
                .map(|(_, d)| d)
        })
        .unwrap_or_default();
    let (repository, tag) = split_image(image_name);
    let container = Container {
        id: full_id.get(..12).unwrap_or(full_id).to_string(),
        full_id: full_id.to_string(),
        name: name.to_string(),
        image: image_name.to_string(),
        image_id: image_id.to_string(),
        image_repository: repository,
        image_tag: tag,
        image_digest: digest.to_string(),
        kind: kind.to_string(),
        // from the verbose status's `info` (`privileged_in`), set by the callers
        privileged: false,
        mounts: status.map_or_else(Vec::new, |s| s.mounts.iter().map(mount).collect()),
        start_ts: status.map_or(0, |s| {
            if s.started_at > 0 {
                s.started_at
            } else {
                s.created_at
            }
        }),
        ip: sandbox
            .and_then(|s| s.network.as_ref())
            .map(|n| n.ip.clone())
            .unwrap_or_default(),
    };
    Found {
        container,
        k8s: pod(listed, labels, sandbox),
    }
}

/// The model of a pod's sandbox (pause) container: named after the pod, as Falco does.
fn sandbox_model(kind: &str, sandbox: &PodSandboxStatus) -> Found {
    let listed = ListedContainer {
        id: sandbox.id.clone(),
        pod_sandbox_id: sandbox.id.clone(),
        ..Default::default()
    };
    let k8s = pod(&listed, &listed.labels, Some(sandbox));
    let full_id = sandbox.id.as_str();
    let container = Container {
        id: full_id.get(..12).unwrap_or(full_id).to_string(),
        full_id: full_id.to_string(),
        name: k8s.as_ref().map(|k| k.pod_name.clone()).unwrap_or_default(),
        kind: kind.to_string(),
        start_ts: sandbox.created_at,
        ip: sandbox
            .network
            .as_ref()
            .map(|n| n.ip.clone())
            .unwrap_or_default(),
        ..Container::default()
    };
    Found { container, k8s }
}

/// The pod of a container: the sandbox's metadata and labels, else the kubelet's labels on the
/// container. `None` outside Kubernetes (no pod name and no namespace).
fn pod(
    listed: &ListedContainer,
    labels: &std::collections::HashMap<String, String>,
    sandbox: Option<&PodSandboxStatus>,
) -> Option<K8sMeta> {
    let meta = sandbox.and_then(|s| s.metadata.as_ref());
    let pick = |from_meta: Option<&str>, label: &str| {
        from_meta
            .filter(|v| !v.is_empty())
            .or_else(|| labels.get(label).map(String::as_str))
            .unwrap_or_default()
            .to_string()
    };
    let pod_name = pick(meta.map(|m| m.name.as_str()), POD_NAME);
    let ns_name = pick(meta.map(|m| m.namespace.as_str()), POD_NAMESPACE);
    if pod_name.is_empty() && ns_name.is_empty() {
        return None;
    }
    // the pod's own labels: the kubelet's io.kubernetes.* bookkeeping left out
    let mut pod_labels: Vec<(String, String)> = sandbox
        .map(|s| {
            s.labels
                .iter()
                .filter(|(k, _)| !k.starts_with("io.kubernetes."))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        })
        .unwrap_or_default();
    pod_labels.sort();
    Some(K8sMeta {
        ns_name,
        pod_name,
        pod_uid: pick(meta.map(|m| m.uid.as_str()), POD_UID),
        sandbox_id: sandbox
            .map(|s| s.id.as_str())
            .filter(|s| !s.is_empty())
            .unwrap_or(&listed.pod_sandbox_id)
            .to_string(),
        pod_labels,
        ns_labels: Vec::new(),
    })
}

fn mount(m: &proto::Mount) -> Mount {
    Mount {
        source: m.host_path.clone(),
        dest: m.container_path.clone(),
        mode: String::new(),
        rdwr: !m.readonly,
        propagation: match m.propagation {
            1 => "rslave",
            2 => "rshared",
            _ => "rprivate",
        }
        .into(),
    }
}

/// Splits an image reference into repository and tag (`registry:5000/app:1.0` →
/// `registry:5000/app`, `1.0`); a digest reference has no tag.
pub fn split_image(image: &str) -> (String, String) {
    let name = image.split_once('@').map_or(image, |(n, _)| n);
    match name.rsplit_once(':') {
        Some((repo, tag)) if !tag.contains('/') => (repo.to_string(), tag.to_string()),
        _ => (name.to_string(), String::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proto::{ContainerMetadata, PodSandboxMetadata, PodSandboxNetworkStatus};

    const ID: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    fn labels(kv: &[(&str, &str)]) -> std::collections::HashMap<String, String> {
        kv.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn splits_image_references() {
        let s = |i: &str| split_image(i);
        assert_eq!(
            s("docker.io/library/nginx:1.25"),
            ("docker.io/library/nginx".into(), "1.25".into())
        );
        assert_eq!(
            s("registry:5000/app"),
            ("registry:5000/app".into(), String::new())
        );
        assert_eq!(
            s("registry:5000/app:2"),
            ("registry:5000/app".into(), "2".into())
        );
        assert_eq!(s("app@sha256:abcd"), ("app".into(), String::new()));
        assert_eq!(s(""), (String::new(), String::new()));
    }

    #[test]
    fn maps_a_kubernetes_container_and_its_pod() {
        let listed = ListedContainer {
            id: ID.into(),
            pod_sandbox_id: "feedbeef".repeat(8),
            ..Default::default()
        };
        let status = ContainerStatus {
            id: ID.into(),
            metadata: Some(ContainerMetadata {
                name: "web".into(),
                attempt: 0,
            }),
            started_at: 42,
            image: Some(ImageSpec {
                image: "docker.io/library/nginx:1.25".into(),
                ..Default::default()
            }),
            image_ref: "docker.io/library/nginx@sha256:aaaa".into(),
            labels: labels(&[(POD_NAME, "web-0"), (POD_NAMESPACE, "shop")]),
            mounts: vec![proto::Mount {
                container_path: "/data".into(),
                host_path: "/srv/data".into(),
                readonly: true,
                propagation: 1,
                ..Default::default()
            }],
            ..Default::default()
        };
        let sandbox = PodSandboxStatus {
            id: listed.pod_sandbox_id.clone(),
            metadata: Some(PodSandboxMetadata {
                name: "web-0".into(),
                uid: "3e41dc6b-08a8-44db-bc2a-3724b18ab19a".into(),
                namespace: "shop".into(),
                attempt: 0,
            }),
            network: Some(PodSandboxNetworkStatus {
                ip: "10.0.0.7".into(),
            }),
            labels: labels(&[("app", "web"), (POD_NAME, "web-0"), ("tier", "front")]),
            ..Default::default()
        };
        let image = Image {
            id: format!("sha256:{}", "b".repeat(64)),
            ..Default::default()
        };
        let found = to_model(
            "containerd",
            &listed,
            Some(&status),
            Some(&sandbox),
            Some(&image),
        );
        // the same answers as framed bytes from a socket decode to the same model
        let bodies = [
            grpc::frame(&ListContainersResponse {
                containers: vec![listed.clone()],
            }),
            grpc::frame(&ContainerStatusResponse {
                status: Some(status.clone()),
                info: Default::default(),
            }),
            grpc::frame(&PodSandboxStatusResponse {
                status: Some(sandbox.clone()),
            }),
            grpc::frame(&ImageStatusResponse {
                image: Some(image.clone()),
            }),
        ];
        let parts = [
            &bodies[0][..],
            &bodies[1][..],
            &bodies[2][..],
            &bodies[3][..],
        ];
        assert_eq!(decode_responses(parts).unwrap().as_ref(), Some(&found));
        // hostile bodies: cut, compressed, lying lengths, garbage — errors, never panics
        let cut = &bodies[1][..bodies[1].len() - 3];
        assert!(decode_responses([parts[0], cut, parts[2], parts[3]]).is_err());
        let mut compressed = bodies[0].to_vec();
        compressed[0] = 1;
        assert!(decode_responses([&compressed, parts[1], parts[2], parts[3]]).is_err());
        let lying = [0u8, 0xff, 0xff, 0xff, 0xff, 1, 2];
        assert!(decode_responses([&lying, parts[1], parts[2], parts[3]]).is_err());
        assert!(
            decode_responses([
                b"\0\0\0\0\x05\xff\xff\xff\xff\xff",
                parts[1],
                parts[2],
                parts[3]
            ])
            .is_err()
        );
        // a missing pod or image answer leaves the container's own metadata standing
        let partial = decode_responses([parts[0], parts[1], b"", b"x"])
            .unwrap()
            .unwrap();
        assert_eq!(partial.container.name, "web");
        let c = &found.container;
        assert_eq!((c.id.as_str(), c.full_id.as_str()), (&ID[..12], ID));
        assert_eq!((c.name.as_str(), c.kind.as_str()), ("web", "containerd"));
        assert_eq!(c.image, "docker.io/library/nginx:1.25");
        assert_eq!(
            (c.image_repository.as_str(), c.image_tag.as_str()),
            ("docker.io/library/nginx", "1.25")
        );
        assert_eq!(c.image_digest, "sha256:aaaa");
        assert_eq!(c.image_id, "b".repeat(64));
        assert_eq!((c.start_ts, c.ip.as_str()), (42, "10.0.0.7"));
        assert_eq!(c.mounts[0].source, "/srv/data");
        assert!(!c.mounts[0].rdwr);
        assert_eq!(c.mounts[0].propagation, "rslave");
        let k = found.k8s.expect("a pod");
        assert_eq!((k.pod_name.as_str(), k.ns_name.as_str()), ("web-0", "shop"));
        assert_eq!(k.pod_uid, "3e41dc6b-08a8-44db-bc2a-3724b18ab19a");
        assert_eq!(k.sandbox_id, "feedbeef".repeat(8));
        assert_eq!(
            k.pod_labels,
            vec![
                ("app".into(), "web".into()),
                ("tier".into(), "front".into())
            ]
        );
    }

    /// containerd's verbose `info` (shape of its CRI plugin's `containerInfo`: the CRI
    /// `ContainerConfig` as Go's encoding/json writes it, `omitempty` dropping a false flag).
    fn containerd_info(privileged: Option<bool>) -> String {
        let sc = match privileged {
            Some(p) => format!(r#"{{"privileged":{p},"namespace_options":{{"pid":1}}}}"#),
            None => r#"{"namespace_options":{"pid":1}}"#.into(),
        };
        format!(
            r#"{{"sandboxID":"{ID}","pid":4242,"removing":false,"snapshotKey":"{ID}",
            "snapshotter":"overlayfs","runtimeType":"io.containerd.runc.v2","runtimeOptions":{{}},
            "config":{{"metadata":{{"name":"web"}},"image":{{"image":"sha256:aa"}},
            "command":["/bin/sh"],"linux":{{"resources":{{}},"security_context":{sc}}}}},
            "runtimeSpec":{{"ociVersion":"1.1.0","process":{{"user":{{"uid":0,"gid":0}}}},
            "linux":{{"namespaces":[{{"type":"pid"}}],"maskedPaths":["/proc/kcore"]}}}}}}"#
        )
    }

    #[test]
    fn privileged_comes_from_the_verbose_info_of_containerd_and_cri_o() {
        // containerd: config.linux.security_context.privileged
        assert!(privileged_in_json(&containerd_info(Some(true))));
        assert!(!privileged_in_json(&containerd_info(Some(false))));
        assert!(!privileged_in_json(&containerd_info(None)));
        // CRI-O: its own document, the flag at the top
        let crio = |p: bool| {
            format!(
                r#"{{"sandboxID":"{ID}","pid":77,"runtimeSpec":{{"ociVersion":"1.0.2",
                "linux":{{"maskedPaths":[]}}}},"privileged":{p}}}"#
            )
        };
        assert!(privileged_in_json(&crio(true)));
        assert!(!privileged_in_json(&crio(false)));
        // older containerd releases: in the runtime spec's linux section
        assert!(privileged_in_json(
            r#"{"runtimeSpec":{"linux":{"security_context":{"privileged":true}}}}"#
        ));
        // read from the map's `info` key only
        let map = |k: &str, v: String| labels(&[(k, v.as_str())]);
        assert!(privileged_in(&map("info", containerd_info(Some(true)))));
        assert!(!privileged_in(&map("other", containerd_info(Some(true)))));
        assert!(!privileged_in(&Default::default()));
    }

    #[test]
    fn a_malformed_or_oversized_info_is_not_privileged() {
        for doc in [
            "",
            "not json",
            "{",
            r#"{"privileged":"true"}"#,
            r#"{"privileged":1}"#,
            r#"{"config":{"linux":{"security_context":{"privileged":null}}}}"#,
            r#"{"config":{"linux":[true]}}"#,
            r#"[{"privileged":true}]"#,
            "\u{0}\u{ff}",
        ] {
            assert!(!privileged_in_json(doc), "{doc}");
        }
        // nesting deeper than serde_json's limit is an error, not a stack overflow
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(!privileged_in_json(&deep));
        // over MAX_INFO: not parsed
        let mut big = r#"{"privileged":true,"pad":""#.to_string();
        big.push_str(&"x".repeat(MAX_INFO));
        big.push_str(r#""}"#);
        assert!(!privileged_in_json(&big));
        // the whole path from framed bytes: a privileged container's status
        let listed = ListedContainer {
            id: ID.into(),
            ..Default::default()
        };
        let list = grpc::frame(&ListContainersResponse {
            containers: vec![listed],
        });
        let status = |doc: String| {
            grpc::frame(&ContainerStatusResponse {
                status: Some(ContainerStatus {
                    id: ID.into(),
                    ..Default::default()
                }),
                info: labels(&[("info", doc.as_str())]),
            })
        };
        let found = |doc: String| {
            let st = status(doc);
            decode_responses([&list[..], &st[..], b"", b""])
                .expect("decodes")
                .expect("a container")
                .container
                .privileged
        };
        assert!(found(containerd_info(Some(true))));
        assert!(!found(containerd_info(None)));
        assert!(!found("{\"privileged\":tru".into()));
    }

    #[test]
    fn a_container_without_a_pod_has_no_k8s_and_falls_back_to_labels() {
        let listed = ListedContainer {
            id: ID.into(),
            image_ref: format!("sha256:{}", "c".repeat(64)),
            image: Some(ImageSpec {
                image: format!("sha256:{}", "c".repeat(64)),
                ..Default::default()
            }),
            labels: labels(&[(CONTAINER_NAME, "worker")]),
            ..Default::default()
        };
        let image = Image {
            repo_tags: vec!["localhost/app:1.0".into()],
            ..Default::default()
        };
        let found = to_model("cri-o", &listed, None, None, Some(&image));
        assert_eq!(found.container.name, "worker");
        assert_eq!(found.container.image, "localhost/app:1.0");
        assert_eq!(found.container.image_id, "c".repeat(64));
        assert!(found.k8s.is_none());
        // the kubelet's labels name the pod when the sandbox could not be read
        let listed = ListedContainer {
            labels: labels(&[(POD_NAME, "p"), (POD_NAMESPACE, "ns"), (POD_UID, "u")]),
            ..listed
        };
        let k = to_model("cri-o", &listed, None, None, None)
            .k8s
            .expect("pod");
        assert_eq!(
            (k.pod_name.as_str(), k.ns_name.as_str(), k.pod_uid.as_str()),
            ("p", "ns", "u")
        );
    }

    #[test]
    fn a_sandbox_container_is_named_after_its_pod() {
        let sandbox = PodSandboxStatus {
            id: ID.into(),
            metadata: Some(PodSandboxMetadata {
                name: "web-0".into(),
                uid: "u".into(),
                namespace: "shop".into(),
                attempt: 0,
            }),
            created_at: 7,
            labels: labels(&[("app", "web")]),
            ..Default::default()
        };
        let found = sandbox_model("containerd", &sandbox);
        assert_eq!(found.container.id, &ID[..12]);
        assert_eq!(found.container.name, "web-0");
        assert_eq!(found.container.start_ts, 7);
        let k = found.k8s.expect("pod");
        assert_eq!((k.ns_name.as_str(), k.sandbox_id.as_str()), ("shop", ID));
        assert_eq!(k.pod_labels, vec![("app".into(), "web".into())]);
    }

    #[test]
    fn names_the_runtime() {
        assert_eq!(kind_of("containerd", Path::new("/x")), "containerd");
        assert_eq!(kind_of("cri-o", Path::new("/x")), "cri-o");
        assert_eq!(kind_of("", Path::new("/run/crio/crio.sock")), "cri-o");
        assert_eq!(
            kind_of("", Path::new("/run/containerd/containerd.sock")),
            "containerd"
        );
    }

    #[test]
    fn a_missing_socket_is_a_connect_error_naming_it() {
        let client = Client::new("/nonexistent/rampart-cri.sock").unwrap();
        let err = client.lookup("abc").unwrap_err();
        assert!(matches!(err, CriError::Connect { .. }), "{err}");
        assert!(
            err.to_string().contains("/nonexistent/rampart-cri.sock"),
            "{err}"
        );
    }

    #[test]
    fn a_silent_server_times_out() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("silent.sock");
        let listener = std::os::unix::net::UnixListener::bind(&path).unwrap();
        // accepts and never answers the HTTP/2 preface
        let keep = std::thread::spawn(move || listener.accept().map(|(s, _)| s));
        let client = Client::new(&path)
            .unwrap()
            .with_timeout(Duration::from_millis(200));
        let t0 = std::time::Instant::now();
        let err = client.lookup("abc").unwrap_err();
        assert!(matches!(err, CriError::Timeout { .. }), "{err}");
        assert!(t0.elapsed() < Duration::from_secs(2));
        drop(keep);
    }
}
