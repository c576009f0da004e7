//! `k8s:ingress-snippet-annotation` (Checkov `CKV_K8S_153`, CVE-2021-25742): Ingress annotations
//! that inject raw configuration into the ingress controller.

use super::{Ev, Hit, catalogue as cat};
use crate::object::KubeObject;

/// Snippet annotations on an Ingress: every annotation whose name (the part after the prefix, which
/// ingress-nginx lets operators change with `--annotations-prefix`) contains `snippet`, as Checkov
/// reads it: ingress-nginx's `server-snippet`, `configuration-snippet`, `auth-snippet`,
/// `stream-snippet`, `modsecurity-snippet`, NGINX Inc.'s `nginx.org/*-snippets`. A blank value
/// injects nothing and is not reported.
fn snippet_annotations(ing: &KubeObject) -> Vec<&str> {
    ing.annotations
        .iter()
        .filter(|(k, v)| {
            let name = k.rsplit('/').next().unwrap_or(k);
            name.to_ascii_lowercase().contains("snippet") && !v.trim().is_empty()
        })
        .map(|(k, _)| k.as_str())
        .collect()
}

/// The check over one object; `None` unless it is an Ingress with snippet annotations.
pub(crate) fn snippet_hit(obj: &KubeObject) -> Option<Hit<'_>> {
    if obj.kind != "Ingress" || !obj.is_builtin() {
        return None;
    }
    let keys = snippet_annotations(obj);
    (!keys.is_empty()).then(|| Hit {
        check: &cat::INGRESS_SNIPPET,
        object: Some(obj),
        subject: obj.address(),
        evidence: keys
            .into_iter()
            .map(|k| Ev {
                label: "metadata.annotations".into(),
                location: Some(obj.source.location()),
                detail: format!("annotation {k} injects configuration into the ingress controller"),
            })
            .collect(),
    })
}
