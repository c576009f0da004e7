//! Reading a live cluster through kube-rs (feature `live`): the same [`Loaded`] objects a manifest or
//! snapshot gives, listed from the API server with the usual kubeconfig, context and in-cluster rules.
//!
//! Only the built-in kinds the checks read are listed, each with pagination (`limit` + `continue`).
//! Custom resources are not read (noted once); Secrets are never read (their data is not needed by
//! any check and should not leave the cluster). A kind whose group version the server does not serve
//! is skipped with a note; a kind the credentials may not list is a warning, and the scan goes on.

use crate::load::Loaded;
use crate::object::{KubeObject, Source};
use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind, ListParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};
use rampart_core::ScanWarning;
use serde_json::Value;
use std::path::PathBuf;
use thiserror::Error;

/// Objects asked for per page (the API server's own maximum is 500 by default for kubectl).
pub const DEFAULT_PAGE_SIZE: u32 = 500;
/// Pages read per kind at most (bounds a misbehaving server that never stops returning `continue`).
const MAX_PAGES: usize = 10_000;

/// Which cluster to read and how.
#[derive(Debug, Clone)]
pub struct LiveOptions {
    /// Kubeconfig file; `None` follows `KUBECONFIG`, then `~/.kube/config`, then the in-cluster
    /// service account.
    pub kubeconfig: Option<PathBuf>,
    /// Context of the kubeconfig to use; `None` for its `current-context`.
    pub context: Option<String>,
    /// Objects per list request.
    pub page_size: u32,
}

impl Default for LiveOptions {
    fn default() -> Self {
        LiveOptions {
            kubeconfig: None,
            context: None,
            page_size: DEFAULT_PAGE_SIZE,
        }
    }
}

/// Why a cluster could not be read at all.
#[derive(Debug, Error)]
pub enum LiveError {
    #[error("kubeconfig: {0}")]
    Kubeconfig(String),
    #[error("cannot create the Kubernetes client: {0}")]
    Client(String),
    #[error("API discovery failed ({what}): {message}")]
    Discovery { what: &'static str, message: String },
    #[error("cannot start the I/O runtime: {0}")]
    Runtime(#[from] std::io::Error),
}

/// A built-in kind the checks read: group, version, kind, plural resource name.
struct Wanted(&'static str, &'static str, &'static str, &'static str);

/// Every kind the PSS, workload, exposure, NetworkPolicy and RBAC checks look at.
const WANTED: &[Wanted] = &[
    Wanted("", "v1", "Namespace", "namespaces"),
    Wanted("", "v1", "Pod", "pods"),
    Wanted("", "v1", "ReplicationController", "replicationcontrollers"),
    Wanted("", "v1", "PodTemplate", "podtemplates"),
    Wanted("", "v1", "Service", "services"),
    Wanted("", "v1", "ServiceAccount", "serviceaccounts"),
    Wanted("", "v1", "ConfigMap", "configmaps"),
    Wanted("apps", "v1", "Deployment", "deployments"),
    Wanted("apps", "v1", "StatefulSet", "statefulsets"),
    Wanted("apps", "v1", "DaemonSet", "daemonsets"),
    Wanted("apps", "v1", "ReplicaSet", "replicasets"),
    Wanted("batch", "v1", "Job", "jobs"),
    Wanted("batch", "v1", "CronJob", "cronjobs"),
    Wanted("networking.k8s.io", "v1", "Ingress", "ingresses"),
    Wanted(
        "networking.k8s.io",
        "v1",
        "NetworkPolicy",
        "networkpolicies",
    ),
    Wanted("rbac.authorization.k8s.io", "v1", "Role", "roles"),
    Wanted(
        "rbac.authorization.k8s.io",
        "v1",
        "ClusterRole",
        "clusterroles",
    ),
    Wanted(
        "rbac.authorization.k8s.io",
        "v1",
        "RoleBinding",
        "rolebindings",
    ),
    Wanted(
        "rbac.authorization.k8s.io",
        "v1",
        "ClusterRoleBinding",
        "clusterrolebindings",
    ),
];

/// Lists every wanted kind from the cluster `options` selects. Objects carry a `cluster://` source
/// (`cluster://CONTEXT/GROUP/VERSION/PLURAL`) with the page they came from as their line.
pub fn load_live(options: &LiveOptions) -> Result<Loaded, LiveError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(load_async(options))
}

/// [`load_live`] inside a caller's Tokio runtime.
pub async fn load_async(options: &LiveOptions) -> Result<Loaded, LiveError> {
    let (config, name) = config_of(options).await?;
    let client = Client::try_from(config).map_err(|e| LiveError::Client(e.to_string()))?;
    let served = discover(&client).await?;
    let mut out = Loaded::default();
    let origin = format!("cluster://{name}");
    if served.custom_groups > 0 {
        out.notes.push(note(
            &origin,
            format!(
                "{} API group(s) outside Kubernetes itself (custom resources) are not read",
                served.custom_groups
            ),
        ));
    }
    for w in WANTED {
        let gv = if w.0.is_empty() {
            w.1.to_string()
        } else {
            format!("{}/{}", w.0, w.1)
        };
        if !served.group_versions.contains(&gv) {
            out.notes.push(note(
                &origin,
                format!("{gv} is not served by this cluster: {} not read", w.3),
            ));
            continue;
        }
        let path = format!("{origin}/{gv}/{}", w.3);
        list_kind(&client, w, &gv, &path, options.page_size.max(1), &mut out).await;
    }
    Ok(out)
}

/// The client configuration and a display name (the context, or `in-cluster`/`default`).
async fn config_of(options: &LiveOptions) -> Result<(Config, String), LiveError> {
    let kc_options = KubeConfigOptions {
        context: options.context.clone(),
        ..KubeConfigOptions::default()
    };
    let name = options
        .context
        .clone()
        .unwrap_or_else(|| "current-context".into());
    let config = match (&options.kubeconfig, &options.context) {
        (Some(path), _) => {
            let kc = Kubeconfig::read_from(path)
                .map_err(|e| LiveError::Kubeconfig(format!("{}: {e}", path.display())))?;
            let name = options
                .context
                .clone()
                .or_else(|| kc.current_context.clone())
                .unwrap_or(name);
            let config = Config::from_custom_kubeconfig(kc, &kc_options)
                .await
                .map_err(|e| LiveError::Kubeconfig(e.to_string()))?;
            return Ok((config, name));
        }
        (None, Some(_)) => Config::from_kubeconfig(&kc_options)
            .await
            .map_err(|e| LiveError::Kubeconfig(e.to_string()))?,
        (None, None) => Config::infer()
            .await
            .map_err(|e| LiveError::Kubeconfig(e.to_string()))?,
    };
    Ok((config, name))
}

/// What the server serves: `group/version` strings (`v1` for the core group) and how many groups
/// are not part of Kubernetes itself.
struct Served {
    group_versions: Vec<String>,
    custom_groups: usize,
}

/// `GET /api` and `GET /apis`.
async fn discover(client: &Client) -> Result<Served, LiveError> {
    let core = client
        .list_core_api_versions()
        .await
        .map_err(|e| LiveError::Discovery {
            what: "/api",
            message: e.to_string(),
        })?;
    let groups = client
        .list_api_groups()
        .await
        .map_err(|e| LiveError::Discovery {
            what: "/apis",
            message: e.to_string(),
        })?;
    let mut group_versions = core.versions;
    let mut custom_groups = 0;
    for g in groups.groups {
        if !crate::object::is_builtin_group(&g.name) {
            custom_groups += 1;
        }
        group_versions.extend(g.versions.into_iter().map(|v| v.group_version));
    }
    Ok(Served {
        group_versions,
        custom_groups,
    })
}

/// Lists one kind page by page into `out`; a failed request is a warning naming the resource.
async fn list_kind(
    client: &Client,
    w: &Wanted,
    gv: &str,
    path: &str,
    page_size: u32,
    out: &mut Loaded,
) {
    let resource = ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk(w.0, w.1, w.2), w.3);
    let api: Api<DynamicObject> = Api::all_with(client.clone(), &resource);
    let mut params = ListParams::default().limit(page_size);
    for page in 1..=MAX_PAGES {
        let list = match api.list(&params).await {
            Ok(list) => list,
            Err(e) => {
                out.warnings.push(ScanWarning {
                    path: path.to_string(),
                    line: None,
                    message: format!("cannot list {}: {e}", w.3),
                });
                return;
            }
        };
        let source = Source {
            path: path.to_string(),
            first_line: u32::try_from(page).unwrap_or(u32::MAX),
            last_line: u32::try_from(page).unwrap_or(u32::MAX),
            template: None,
        };
        for item in list.items {
            if let Some(obj) = object_of(item, gv, w.2, &source) {
                out.objects.push(obj);
            }
        }
        match list.metadata.continue_.filter(|c| !c.is_empty()) {
            Some(token) => params.continue_token = Some(token),
            None => return,
        }
    }
    out.warnings.push(ScanWarning {
        path: path.to_string(),
        line: None,
        message: format!(
            "more than {MAX_PAGES} pages of {}; the rest were not read",
            w.3
        ),
    });
}

/// One list item as the object model holds it. List items carry no `apiVersion`/`kind` of their own
/// (the list has them), so both are set from the resource listed.
fn object_of(item: DynamicObject, gv: &str, kind: &str, source: &Source) -> Option<KubeObject> {
    let mut doc = serde_json::to_value(item).ok()?;
    if let Value::Object(map) = &mut doc {
        map.insert("apiVersion".into(), Value::String(gv.to_string()));
        map.insert("kind".into(), Value::String(kind.to_string()));
    }
    KubeObject::from_value(doc, source.clone())
}

fn note(path: &str, message: String) -> ScanWarning {
    ScanWarning {
        path: path.to_string(),
        line: None,
        message,
    }
}
