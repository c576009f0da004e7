//! Tiller (Helm v2) beyond its presence (`k8s:risky-component`): whether its unauthenticated gRPC
//! API is reachable from other pods (`k8s:tiller-reachable`, Checkov `CKV_K8S_45`), and the Service
//! that publishes it (`k8s:tiller-service`, Checkov `CKV_K8S_44`).

use super::workload::{TILLER, app_containers, risky_image};
use super::{Ctx, Ev, Hit, catalogue as cat};
use crate::index::Index;
use crate::object::KubeObject;
use crate::podspec::{PodSpecRef, container_name};
use crate::pss::util::{array, get_bool, get_str};
use crate::selector::{equality_matches, labels_of};
use serde_json::Value;
use std::net::IpAddr;

/// Whether a container of a pod template runs Tiller: by image (as `k8s:risky-component`), or a
/// container named `tiller` in a pod carrying the labels `helm init` gives Tiller (`app: helm`,
/// `name: tiller`), which a rebuilt or mirrored image keeps.
fn is_tiller(metadata: &Value, c: &Value) -> bool {
    if get_str(c, &["image"]).and_then(risky_image) == Some(TILLER) {
        return true;
    }
    let label = |k: &str| get_str(metadata, &["labels", k]);
    label("app") == Some("helm") && label("name") == Some("tiller") && container_name(c) == "tiller"
}

/// The value of Tiller's last `--listen` flag among the container's command and args (Go flags:
/// `--listen=ADDR`, `-listen=ADDR`, or the flag and its value as two arguments); `None` when not set,
/// which means Tiller's default `:44134`, every interface.
fn listen_flag(c: &Value) -> Option<&str> {
    let words: Vec<&str> = array(c, &["command"])
        .iter()
        .chain(array(c, &["args"]))
        .filter_map(Value::as_str)
        .collect();
    let mut found = None;
    for (i, w) in words.iter().enumerate() {
        let flag = w.strip_prefix("--").or_else(|| w.strip_prefix('-'));
        match flag.map(|f| f.split_once('=').unwrap_or((f, ""))) {
            Some(("listen", "")) if !w.contains('=') => found = words.get(i + 1).copied(),
            Some(("listen", value)) => found = Some(value),
            _ => {}
        }
    }
    found
}

/// Whether a `--listen` address (`host:port`, `[v6]:port`, or a host alone) is loopback only.
fn is_loopback(addr: &str) -> bool {
    let host = match addr.rsplit_once(':') {
        Some((h, port)) if port.bytes().all(|b| b.is_ascii_digit()) && !h.ends_with(':') => h,
        _ => addr,
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// `k8s:tiller-reachable`: a Tiller container that does not listen on loopback only. On the host
/// network loopback is the node's, shared with every host-network pod and node process.
pub(crate) fn reachable(_: &Ctx<'_>, pod: &PodSpecRef<'_>) -> Vec<String> {
    let host_network = get_bool(pod.spec, &["hostNetwork"]) == Some(true);
    app_containers(pod.spec)
        .filter(|c| is_tiller(pod.metadata, c))
        .filter_map(|c| {
            let name = container_name(c);
            match listen_flag(c) {
                None => Some(format!(
                    "container {name:?} runs Tiller without --listen: it serves :44134 on every interface"
                )),
                Some(addr) if !is_loopback(addr) => Some(format!(
                    "container {name:?} runs Tiller with --listen={addr}, not loopback"
                )),
                Some(addr) if host_network => Some(format!(
                    "container {name:?} runs Tiller with --listen={addr} on the host network, where loopback is the node's"
                )),
                Some(_) => None,
            }
        })
        .collect()
}

/// `tiller` as a whole word of a name or label value (`tiller-deploy`, `helm.tiller`, not `tillerman`).
fn names_tiller(s: &str) -> bool {
    s.split(|c: char| !c.is_ascii_alphanumeric())
        .any(|w| w.eq_ignore_ascii_case("tiller"))
}

/// Why a Service fronts Tiller: its selector picks a pod template running Tiller in the input, or
/// (Checkov's test, for when the Deployment is not in the input) its name, a label or a selector value
/// names Tiller.
fn tiller_service_reasons(svc: &KubeObject, index: &Index<'_>) -> Vec<String> {
    let selector = svc.doc.get("spec").and_then(|s| s.get("selector"));
    let mut reasons: Vec<String> = svc
        .effective_namespace()
        .into_iter()
        .flat_map(|ns| index.pods_in(ns))
        .filter(|p| equality_matches(selector, labels_of(p.metadata)))
        .filter(|p| app_containers(p.spec).any(|c| is_tiller(p.metadata, c)))
        .map(|p| format!("selects {}, which runs {TILLER}", p.object.address()))
        .collect();
    if !reasons.is_empty() {
        return reasons;
    }
    if names_tiller(&svc.name) {
        reasons.push(format!("name {} names Tiller", svc.name));
    }
    let labelled = svc
        .labels
        .iter()
        .filter(|(_, v)| names_tiller(v))
        .map(|(k, v)| format!("label {k}={v} names Tiller"));
    let selecting = selector
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .filter_map(|(k, v)| Some((k, v.as_str()?)))
        .filter(|(_, v)| names_tiller(v))
        .map(|(k, v)| format!("selector {k}={v} names Tiller"));
    reasons.extend(labelled.chain(selecting));
    reasons
}

/// `k8s:tiller-service` over every Service.
pub(crate) fn service_hits<'a>(index: &Index<'a>) -> Vec<Hit<'a>> {
    index
        .objects
        .iter()
        .filter(|o| o.is_builtin() && o.kind == "Service")
        .filter_map(|svc| {
            let reasons = tiller_service_reasons(svc, index);
            (!reasons.is_empty()).then(|| Hit {
                check: &cat::TILLER_SERVICE,
                object: Some(svc),
                subject: svc.address(),
                evidence: reasons
                    .into_iter()
                    .map(|detail| Ev {
                        label: "Tiller Service".into(),
                        location: Some(svc.source.location()),
                        detail,
                    })
                    .collect(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn listen_flag_forms() {
        let c = |args: Value| json!({"name": "tiller", "args": args});
        assert_eq!(
            listen_flag(&c(json!(["--listen=localhost:44134"]))),
            Some("localhost:44134")
        );
        assert_eq!(
            listen_flag(&c(json!(["-listen", "127.0.0.1:44134"]))),
            Some("127.0.0.1:44134")
        );
        // The last occurrence wins, as with Go's flag package.
        assert_eq!(
            listen_flag(&c(json!(["--listen=127.0.0.1:1", "--listen=:44134"]))),
            Some(":44134")
        );
        // A trailing flag without a value, other flags, non-strings and a non-list: not set.
        assert_eq!(listen_flag(&c(json!(["--listen"]))), None);
        assert_eq!(listen_flag(&c(json!(["--listener=x", 7, null]))), None);
        assert_eq!(listen_flag(&c(json!("--listen=localhost:1"))), None);
        let cmd = json!({"command": ["/tiller", "--listen=[::1]:44134"]});
        assert_eq!(listen_flag(&cmd), Some("[::1]:44134"));
    }

    #[test]
    fn loopback_addresses() {
        for a in [
            "localhost:44134",
            "127.0.0.1:44134",
            "127.1.2.3:1",
            "[::1]:44134",
            "LOCALHOST",
            "::1",
        ] {
            assert!(is_loopback(a), "{a}");
        }
        for a in [
            ":44134",
            "0.0.0.0:44134",
            "10.0.0.8:44134",
            "localhost.evil:1",
            "",
        ] {
            assert!(!is_loopback(a), "{a}");
        }
    }

    #[test]
    fn tiller_words() {
        assert!(names_tiller("tiller-deploy") && names_tiller("helm.Tiller"));
        assert!(!names_tiller("tillerman") && !names_tiller("distiller"));
    }
}
