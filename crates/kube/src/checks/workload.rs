//! Container- and pod-level checks on every workload's pod spec.

use super::catalogue::{self as cat, CheckInfo};
use super::secrets::secret_like;
use super::{Ctx, Ev};
use crate::podspec::{PodSpecRef, container_name, containers};
use crate::pss::util::{array, get, get_bool, get_i64, get_str, in_user_namespace, is_windows};
use serde_json::Value;

/// A check over one pod spec: returns one piece of evidence per offending container or field.
pub(crate) type PodCheck = fn(&Ctx<'_>, &PodSpecRef<'_>) -> Vec<String>;

/// The pod-spec checks in the order they run.
pub(crate) static POD_CHECKS: &[(&CheckInfo, PodCheck)] = &[
    (&cat::RESOURCE_LIMITS, resource_limits),
    (&cat::RESOURCE_REQUESTS, resource_requests),
    (&cat::IMAGE_TAG, image_tag),
    (&cat::LIVENESS_PROBE, liveness_probe),
    (&cat::READINESS_PROBE, readiness_probe),
    (&cat::READ_ONLY_ROOT, read_only_root),
    (&cat::AUTOMOUNT_TOKEN, automount_token),
    (&cat::DEFAULT_SERVICE_ACCOUNT, default_service_account),
    (&cat::HOST_PORT, host_port),
    (&cat::NET_RAW, net_raw),
    (&cat::SECRET_IN_ENV, secret_in_env),
    (&cat::RUNTIME_SOCKET, runtime_socket),
    (&cat::RISKY_COMPONENT, risky_component),
    (&cat::TILLER_REACHABLE, super::tiller::reachable),
    (&cat::LOW_UID, low_uid),
];

/// Regular and init containers (ephemeral debug containers are not part of the workload's design).
pub(crate) fn app_containers(spec: &Value) -> impl Iterator<Item = &Value> {
    containers(spec)
        .filter(|(field, _)| *field != "ephemeralContainers")
        .map(|(_, c)| c)
}

fn long_running_containers<'a>(pod: &PodSpecRef<'a>) -> Vec<&'a Value> {
    if matches!(pod.object.kind.as_str(), "Job" | "CronJob") {
        return Vec::new();
    }
    array(pod.spec, &["containers"]).iter().collect()
}

fn missing_resources(pod: &PodSpecRef<'_>, kind: &str) -> Vec<String> {
    app_containers(pod.spec)
        .filter_map(|c| {
            let missing: Vec<&str> = ["cpu", "memory"]
                .into_iter()
                .filter(|r| get(c, &["resources", kind, r]).is_none())
                .collect();
            (!missing.is_empty()).then(|| {
                format!(
                    "container {:?} has no {kind}.{}",
                    container_name(c),
                    missing.join(" or ")
                )
            })
        })
        .collect()
}

fn resource_limits(_: &Ctx<'_>, pod: &PodSpecRef<'_>) -> Vec<String> {
    missing_resources(pod, "limits")
}

fn resource_requests(_: &Ctx<'_>, pod: &PodSpecRef<'_>) -> Vec<String> {
    missing_resources(pod, "requests")
}

/// True when an image reference is pinned: by digest, or by a tag other than `latest`.
pub fn image_is_pinned(image: &str) -> bool {
    if image.contains('@') {
        return true;
    }
    let last = image.rsplit('/').next().unwrap_or(image);
    match last.split_once(':') {
        Some((_, tag)) => !tag.is_empty() && tag != "latest",
        None => false,
    }
}

fn image_tag(_: &Ctx<'_>, pod: &PodSpecRef<'_>) -> Vec<String> {
    app_containers(pod.spec)
        .filter_map(|c| {
            let image = get_str(c, &["image"])?;
            (!image_is_pinned(image))
                .then(|| format!("container {:?} uses image {image}", container_name(c)))
        })
        .collect()
}

fn probe_check(pod: &PodSpecRef<'_>, probe: &str) -> Vec<String> {
    long_running_containers(pod)
        .into_iter()
        .filter(|c| get(c, &[probe]).is_none())
        .map(|c| format!("container {:?} has no {probe}", container_name(c)))
        .collect()
}

fn liveness_probe(_: &Ctx<'_>, pod: &PodSpecRef<'_>) -> Vec<String> {
    probe_check(pod, "livenessProbe")
}

fn readiness_probe(_: &Ctx<'_>, pod: &PodSpecRef<'_>) -> Vec<String> {
    probe_check(pod, "readinessProbe")
}

fn read_only_root(_: &Ctx<'_>, pod: &PodSpecRef<'_>) -> Vec<String> {
    if is_windows(pod.spec) {
        return Vec::new();
    }
    app_containers(pod.spec)
        .filter(|c| get_bool(c, &["securityContext", "readOnlyRootFilesystem"]) != Some(true))
        .map(|c| {
            format!(
                "container {:?} does not set securityContext.readOnlyRootFilesystem=true",
                container_name(c)
            )
        })
        .collect()
}

fn automount_token(ctx: &Ctx<'_>, pod: &PodSpecRef<'_>) -> Vec<String> {
    match get_bool(pod.spec, &["automountServiceAccountToken"]) {
        Some(false) => return Vec::new(),
        Some(true) => return vec!["pod sets automountServiceAccountToken=true".into()],
        None => {}
    }
    let account = get_str(pod.spec, &["serviceAccountName"])
        .or_else(|| get_str(pod.spec, &["serviceAccount"]))
        .unwrap_or("default");
    let namespace = pod.object.effective_namespace().unwrap_or("");
    if ctx
        .index
        .no_automount_accounts
        .contains(&(namespace, account))
    {
        return Vec::new();
    }
    vec![format!(
        "automountServiceAccountToken is not false on the pod or its ServiceAccount {account:?}"
    )]
}

/// CIS 5.1.5/5.1.6: the pod runs as its namespace's `default` service account (none named, or
/// `default` named) and that account's token is mounted (not switched off on the pod nor on a loaded
/// `default` ServiceAccount).
fn default_service_account(ctx: &Ctx<'_>, pod: &PodSpecRef<'_>) -> Vec<String> {
    let account = get_str(pod.spec, &["serviceAccountName"])
        .or_else(|| get_str(pod.spec, &["serviceAccount"]))
        .filter(|a| !a.is_empty())
        .unwrap_or("default");
    if account != "default" {
        return Vec::new();
    }
    let namespace = pod.object.effective_namespace().unwrap_or("");
    let mounted = match get_bool(pod.spec, &["automountServiceAccountToken"]) {
        Some(explicit) => explicit,
        None => !ctx
            .index
            .no_automount_accounts
            .contains(&(namespace, "default")),
    };
    if !mounted {
        return Vec::new();
    }
    vec![format!(
        "runs as the default service account of namespace {namespace:?} with its token automounted"
    )]
}

fn host_port(_: &Ctx<'_>, pod: &PodSpecRef<'_>) -> Vec<String> {
    containers(pod.spec)
        .flat_map(|(_, c)| {
            array(c, &["ports"])
                .iter()
                .filter_map(|p| get_i64(p, &["hostPort"]).filter(|&hp| hp != 0))
                .map(move |hp| format!("container {:?} binds hostPort {hp}", container_name(c)))
        })
        .collect()
}

fn drops(c: &Value, cap: &str) -> bool {
    array(c, &["securityContext", "capabilities", "drop"])
        .iter()
        .filter_map(Value::as_str)
        .any(|d| {
            let d = d.strip_prefix("CAP_").unwrap_or(d);
            d.eq_ignore_ascii_case("ALL") || d.eq_ignore_ascii_case(cap)
        })
}

fn net_raw(_: &Ctx<'_>, pod: &PodSpecRef<'_>) -> Vec<String> {
    if is_windows(pod.spec) {
        return Vec::new();
    }
    app_containers(pod.spec)
        .filter(|c| !drops(c, "NET_RAW"))
        .map(|c| {
            format!(
                "container {:?} does not drop NET_RAW or ALL",
                container_name(c)
            )
        })
        .collect()
}

fn secret_in_env(_: &Ctx<'_>, pod: &PodSpecRef<'_>) -> Vec<String> {
    let mut out = Vec::new();
    for c in app_containers(pod.spec) {
        for env in array(c, &["env"]) {
            let name = get_str(env, &["name"]).unwrap_or("");
            let Some(value) = get_str(env, &["value"]) else {
                continue;
            };
            if let Some(why) = secret_like(name, value) {
                out.push(format!(
                    "container {:?} env {name} = {} ({why})",
                    container_name(c),
                    super::secrets::mask(value)
                ));
            }
        }
    }
    out
}

const RUNTIME_SOCKETS: &[&str] = &[
    "/var/run/docker.sock",
    "/run/docker.sock",
    "/var/run/containerd/containerd.sock",
    "/run/containerd/containerd.sock",
    "/var/run/crio/crio.sock",
    "/run/crio/crio.sock",
    "/var/run/cri-dockerd.sock",
];

fn runtime_socket(_: &Ctx<'_>, pod: &PodSpecRef<'_>) -> Vec<String> {
    array(pod.spec, &["volumes"])
        .iter()
        .filter_map(|v| {
            let path = get_str(v, &["hostPath", "path"])?;
            let norm = path.trim_end_matches('/');
            let hit = RUNTIME_SOCKETS.contains(&norm)
                || ["/var/run", "/run", "/var/run/containerd", "/run/containerd"].contains(&norm);
            hit.then(|| {
                format!(
                    "volume {:?} mounts hostPath {path}",
                    get_str(v, &["name"]).unwrap_or("")
                )
            })
        })
        .collect()
}

/// The lowest user id `k8s:low-uid` accepts: Checkov's `CKV_K8S_40` and kube-score pass 10000.
pub const MIN_UID: i64 = 10000;

/// Checkov `CKV_K8S_40`, kube-score's user id check: every container's effective
/// `securityContext.runAsUser` (its own, else the pod's) is at least [`MIN_UID`]. Not set anywhere
/// means the image's user, which is root or a low id for almost every image. Init containers count
/// (they run in the pod too); Windows pods (`runAsUser` does not apply) and pods in a user namespace
/// (`hostUsers: false`, whose ids map to an unprivileged host range) are exempt.
fn low_uid(_: &Ctx<'_>, pod: &PodSpecRef<'_>) -> Vec<String> {
    if is_windows(pod.spec) || in_user_namespace(pod.spec) {
        return Vec::new();
    }
    fn uid(v: &Value) -> Option<&Value> {
        get(v, &["securityContext", "runAsUser"])
    }
    let pod_uid = uid(pod.spec);
    app_containers(pod.spec)
        .filter_map(|c| {
            let name = container_name(c);
            let (value, from) = match (uid(c), pod_uid) {
                (Some(v), _) => (v, ""),
                (None, Some(v)) => (v, " (from the pod securityContext)"),
                (None, None) => {
                    return Some(format!(
                        "container {name:?} sets no securityContext.runAsUser (the image's user applies)"
                    ));
                }
            };
            match value.as_i64() {
                Some(n) if n >= MIN_UID => None,
                Some(n) => Some(format!(
                    "container {name:?} runs as user {n}{from}, below {MIN_UID}"
                )),
                None => Some(format!(
                    "container {name:?} has runAsUser {value}{from}, not a user id"
                )),
            }
        })
        .collect()
}

/// What Tiller is called in evidence.
pub(crate) const TILLER: &str = "Tiller (Helm v2)";

/// Images of components that open the cluster: (repository ends with, what it is).
const RISKY_IMAGES: &[(&str, &str)] = &[
    ("tiller", TILLER),
    ("kubernetes-dashboard", "the Kubernetes dashboard"),
    ("kubernetesui/dashboard", "the Kubernetes dashboard"),
];

/// The risky component an image reference runs ([`TILLER`] or the dashboard), by repository: its
/// last path segments must match whole (`tillerman` is not Tiller).
pub(crate) fn risky_image(image: &str) -> Option<&'static str> {
    // the repository: without the digest and the tag (a registry port has no '/' after it)
    let repo = image.split('@').next().unwrap_or(image);
    let repo = match repo.rsplit_once(':') {
        Some((r, tag)) if !tag.contains('/') => r,
        _ => repo,
    };
    RISKY_IMAGES
        .iter()
        .find(|(name, _)| {
            repo == *name
                || repo
                    .strip_suffix(name)
                    .is_some_and(|rest| rest.ends_with('/'))
                || (*name == "kubernetes-dashboard"
                    && repo
                        .rsplit('/')
                        .next()
                        .is_some_and(|last| last.starts_with("kubernetes-dashboard")))
        })
        .map(|(_, what)| *what)
}

fn risky_component(_: &Ctx<'_>, pod: &PodSpecRef<'_>) -> Vec<String> {
    app_containers(pod.spec)
        .filter_map(|c| {
            let image = get_str(c, &["image"])?;
            let what = risky_image(image)?;
            Some(format!(
                "container {:?} runs {what} ({image})",
                container_name(c)
            ))
        })
        .collect()
}

/// Evidence list for one pod spec and check, as evidence entries.
pub(crate) fn run(ctx: &Ctx<'_>, pod: &PodSpecRef<'_>, check: PodCheck) -> Vec<Ev> {
    check(ctx, pod)
        .into_iter()
        .map(|detail| Ev {
            label: pod.path.to_string(),
            location: Some(pod.object.source.location()),
            detail,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_pinning() {
        assert!(image_is_pinned("nginx:1.27"));
        assert!(image_is_pinned("registry:5000/app@sha256:abc"));
        assert!(!image_is_pinned("nginx"));
        assert!(!image_is_pinned("nginx:latest"));
        assert!(!image_is_pinned("registry:5000/app"));
        assert!(image_is_pinned("registry:5000/app:2"));
    }
}
