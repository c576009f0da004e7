//! Restricted-level checks.

use super::util::{
    array, get, get_bool, get_i64, get_str, is_windows, join_quote, pluralize, pod_and_containers,
    sorted_set,
};
use super::{Pod, Verdict};
use crate::podspec::{container_name, containers};
use serde_json::Value;

fn deny(reason: &str, detail: String) -> Verdict {
    Some((reason.to_string(), detail))
}

const VOLUMES_1_0: &[&str] = &[
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "persistentVolumeClaim",
    "projected",
    "secret",
];

/// Image volumes (OCI artifacts mounted read-only) join the allowed types in 1.33.
const VOLUMES_1_33: &[&str] = &["image"];

pub(crate) fn restricted_volumes_1_0(pod: Pod<'_>) -> Verdict {
    restricted_volumes(pod, &[VOLUMES_1_0])
}

pub(crate) fn restricted_volumes_1_33(pod: Pod<'_>) -> Verdict {
    restricted_volumes(pod, &[VOLUMES_1_0, VOLUMES_1_33])
}

fn restricted_volumes(pod: Pod<'_>, allowed: &[&[&str]]) -> Verdict {
    let mut bad = Vec::new();
    let mut types = Vec::new();
    for vol in array(pod.spec, &["volumes"]) {
        let Value::Object(fields) = vol else { continue };
        let set: Vec<&str> = fields
            .iter()
            .filter(|(k, v)| k.as_str() != "name" && !v.is_null())
            .map(|(k, _)| k.as_str())
            .collect();
        // A volume with no source is defaulted to emptyDir by the API server, which is allowed.
        if set.is_empty() || set.iter().any(|t| allowed.iter().any(|a| a.contains(t))) {
            continue;
        }
        bad.push(get_str(vol, &["name"]).unwrap_or("").to_string());
        types.extend(set.iter().map(|t| t.to_string()));
    }
    if bad.is_empty() {
        return None;
    }
    let types = sorted_set(types);
    deny(
        "restricted volume types",
        format!(
            "{} {} {} restricted volume {} {}",
            pluralize("volume", "volumes", bad.len()),
            join_quote(&bad),
            pluralize("uses", "use", bad.len()),
            pluralize("type", "types", types.len()),
            join_quote(&types)
        ),
    )
}

pub(crate) fn allow_privilege_escalation_1_8(pod: Pod<'_>) -> Verdict {
    let bad: Vec<String> = containers(pod.spec)
        .filter(|(_, c)| {
            get_bool(c, &["securityContext", "allowPrivilegeEscalation"]) != Some(false)
        })
        .map(|(_, c)| container_name(c).to_string())
        .collect();
    if bad.is_empty() {
        return None;
    }
    deny(
        "allowPrivilegeEscalation != false",
        format!(
            "{} {} must set securityContext.allowPrivilegeEscalation=false",
            pluralize("container", "containers", bad.len()),
            join_quote(&bad)
        ),
    )
}

/// From 1.25 Windows pods are exempt (the field does not apply to them).
pub(crate) fn allow_privilege_escalation_1_25(pod: Pod<'_>) -> Verdict {
    if is_windows(pod.spec) {
        return None;
    }
    allow_privilege_escalation_1_8(pod)
}

pub(crate) fn run_as_non_root(pod: Pod<'_>) -> Verdict {
    let pod_value = get_bool(pod.spec, &["securityContext", "runAsNonRoot"]);
    let pod_bad = pod_value == Some(false);
    let pod_ok = pod_value == Some(true);
    let mut explicit = Vec::new();
    let mut implicit = Vec::new();
    for (_, c) in containers(pod.spec) {
        match get_bool(c, &["securityContext", "runAsNonRoot"]) {
            Some(false) => explicit.push(container_name(c).to_string()),
            None if !pod_ok => implicit.push(container_name(c).to_string()),
            _ => {}
        }
    }
    if !pod_bad && explicit.is_empty() && implicit.is_empty() {
        return None;
    }
    let mut parts = Vec::new();
    if pod_bad || !explicit.is_empty() {
        parts.push(format!(
            "{} must not set securityContext.runAsNonRoot=false",
            pod_and_containers(pod_bad, &explicit, "and")
        ));
    }
    if !implicit.is_empty() {
        parts.push(format!(
            "pod or {} {} must set securityContext.runAsNonRoot=true",
            pluralize("container", "containers", implicit.len()),
            join_quote(&implicit)
        ));
    }
    deny("runAsNonRoot != true", parts.join("; "))
}

pub(crate) fn run_as_user(pod: Pod<'_>) -> Verdict {
    let root = |v: &Value| get_i64(v, &["securityContext", "runAsUser"]) == Some(0);
    let pod_bad = root(pod.spec);
    let bad: Vec<String> = containers(pod.spec)
        .filter(|(_, c)| root(c))
        .map(|(_, c)| container_name(c).to_string())
        .collect();
    if !pod_bad && bad.is_empty() {
        return None;
    }
    deny(
        "runAsUser=0",
        format!(
            "{} must not set runAsUser=0",
            pod_and_containers(pod_bad, &bad, "and")
        ),
    )
}

fn seccomp_type(v: &Value) -> Option<&str> {
    get(v, &["securityContext", "seccompProfile"]).map(|p| get_str(p, &["type"]).unwrap_or(""))
}

fn valid_seccomp(t: &str) -> bool {
    t == "RuntimeDefault" || t == "Localhost"
}

pub(crate) fn seccomp_restricted_1_19(pod: Pod<'_>) -> Verdict {
    let pod_type = seccomp_type(pod.spec);
    let pod_ok = pod_type.is_some_and(valid_seccomp);
    let pod_bad = pod_type.is_some_and(|t| !valid_seccomp(t));
    let mut explicit = Vec::new();
    let mut bad_values = Vec::new();
    let mut implicit = Vec::new();
    if let Some(t) = pod_type.filter(|t| !valid_seccomp(t)) {
        bad_values.push(t.to_string());
    }
    for (_, c) in containers(pod.spec) {
        match seccomp_type(c) {
            Some(t) if !valid_seccomp(t) => {
                explicit.push(container_name(c).to_string());
                bad_values.push(t.to_string());
            }
            None if !pod_ok => implicit.push(container_name(c).to_string()),
            _ => {}
        }
    }
    if !pod_bad && explicit.is_empty() && implicit.is_empty() {
        return None;
    }
    let mut parts = Vec::new();
    if pod_bad || !explicit.is_empty() {
        parts.push(format!(
            "{} must not set securityContext.seccompProfile.type to {}",
            pod_and_containers(pod_bad, &explicit, "and"),
            join_quote(&sorted_set(bad_values))
        ));
    }
    if !implicit.is_empty() {
        parts.push(format!(
            "pod or {} {} must set securityContext.seccompProfile.type to \"RuntimeDefault\" or \"Localhost\"",
            pluralize("container", "containers", implicit.len()),
            join_quote(&implicit)
        ));
    }
    deny("seccompProfile", parts.join("; "))
}

pub(crate) fn seccomp_restricted_1_25(pod: Pod<'_>) -> Verdict {
    if is_windows(pod.spec) {
        return None;
    }
    seccomp_restricted_1_19(pod)
}

pub(crate) fn capabilities_restricted_1_22(pod: Pod<'_>) -> Verdict {
    let mut missing_drop = Vec::new();
    let mut bad_add = Vec::new();
    let mut added = Vec::new();
    for (_, c) in containers(pod.spec) {
        let name = container_name(c).to_string();
        let drops_all = array(c, &["securityContext", "capabilities", "drop"])
            .iter()
            .any(|d| d.as_str() == Some("ALL"));
        if !drops_all {
            missing_drop.push(name.clone());
        }
        let mut found = false;
        for cap in array(c, &["securityContext", "capabilities", "add"]) {
            let cap = cap.as_str().unwrap_or("");
            if cap != "NET_BIND_SERVICE" {
                found = true;
                added.push(cap.to_string());
            }
        }
        if found {
            bad_add.push(name);
        }
    }
    if missing_drop.is_empty() && bad_add.is_empty() {
        return None;
    }
    let mut parts = Vec::new();
    if !missing_drop.is_empty() {
        parts.push(format!(
            "{} {} must set securityContext.capabilities.drop=[\"ALL\"]",
            pluralize("container", "containers", missing_drop.len()),
            join_quote(&missing_drop)
        ));
    }
    if !bad_add.is_empty() {
        parts.push(format!(
            "{} {} must not include {} in securityContext.capabilities.add",
            pluralize("container", "containers", bad_add.len()),
            join_quote(&bad_add),
            join_quote(&sorted_set(added))
        ));
    }
    deny("unrestricted capabilities", parts.join("; "))
}

/// From 1.25 Windows pods are exempt (capabilities are Linux-only and rejected by validation there).
pub(crate) fn capabilities_restricted_1_25(pod: Pod<'_>) -> Verdict {
    if is_windows(pod.spec) {
        return None;
    }
    capabilities_restricted_1_22(pod)
}
