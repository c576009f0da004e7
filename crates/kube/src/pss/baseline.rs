//! Baseline-level checks.

use super::util::{
    array, get, get_bool, get_i64, get_str, in_user_namespace, join_quote, pluralize,
    pod_and_containers, sorted_set,
};
use super::{Pod, Verdict};
use crate::podspec::{container_name, containers};
use serde_json::Value;

fn deny(reason: &str, detail: String) -> Verdict {
    Some((reason.to_string(), detail))
}

fn sc<'a>(c: &'a Value, field: &str) -> Option<&'a Value> {
    get(c, &["securityContext", field])
}

pub(crate) fn host_namespaces(pod: Pod<'_>) -> Verdict {
    let set: Vec<&str> = ["hostNetwork", "hostPID", "hostIPC"]
        .into_iter()
        .filter(|f| get_bool(pod.spec, &[f]) == Some(true))
        .collect();
    if set.is_empty() {
        return None;
    }
    let detail = set
        .iter()
        .map(|f| format!("{f}=true"))
        .collect::<Vec<_>>()
        .join(", ");
    deny("host namespaces", detail)
}

pub(crate) fn privileged(pod: Pod<'_>) -> Verdict {
    let bad: Vec<String> = containers(pod.spec)
        .filter(|(_, c)| get_bool(c, &["securityContext", "privileged"]) == Some(true))
        .map(|(_, c)| container_name(c).to_string())
        .collect();
    if bad.is_empty() {
        return None;
    }
    deny(
        "privileged",
        format!(
            "{} {} must not set securityContext.privileged=true",
            pluralize("container", "containers", bad.len()),
            join_quote(&bad)
        ),
    )
}

const DEFAULT_CAPABILITIES: &[&str] = &[
    "AUDIT_WRITE",
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "MKNOD",
    "NET_BIND_SERVICE",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
];

pub(crate) fn capabilities_baseline(pod: Pod<'_>) -> Verdict {
    let mut bad = Vec::new();
    let mut caps = Vec::new();
    for (_, c) in containers(pod.spec) {
        let mut found = false;
        for cap in array(c, &["securityContext", "capabilities", "add"]) {
            let cap = cap.as_str().unwrap_or("");
            if !DEFAULT_CAPABILITIES.contains(&cap) {
                found = true;
                caps.push(cap.to_string());
            }
        }
        if found {
            bad.push(container_name(c).to_string());
        }
    }
    if bad.is_empty() {
        return None;
    }
    let caps = sorted_set(caps);
    deny(
        "non-default capabilities",
        format!(
            "{} {} must not include {} in securityContext.capabilities.add",
            pluralize("container", "containers", bad.len()),
            join_quote(&bad),
            join_quote(&caps)
        ),
    )
}

pub(crate) fn host_path_volumes(pod: Pod<'_>) -> Verdict {
    let bad: Vec<String> = array(pod.spec, &["volumes"])
        .iter()
        .filter(|v| get(v, &["hostPath"]).is_some())
        .map(|v| get_str(v, &["name"]).unwrap_or("").to_string())
        .collect();
    if bad.is_empty() {
        return None;
    }
    deny(
        "hostPath volumes",
        format!(
            "{} {}",
            pluralize("volume", "volumes", bad.len()),
            join_quote(&bad)
        ),
    )
}

pub(crate) fn host_ports(pod: Pod<'_>) -> Verdict {
    let mut bad = Vec::new();
    let mut ports = Vec::new();
    for (_, c) in containers(pod.spec) {
        let mut found = false;
        for p in array(c, &["ports"]) {
            if let Some(hp) = get_i64(p, &["hostPort"]).filter(|&hp| hp != 0) {
                found = true;
                ports.push(hp.to_string());
            }
        }
        if found {
            bad.push(container_name(c).to_string());
        }
    }
    if bad.is_empty() {
        return None;
    }
    deny(
        "hostPort",
        format!(
            "{} {} {} {} {}",
            pluralize("container", "containers", bad.len()),
            join_quote(&bad),
            pluralize("uses", "use", bad.len()),
            pluralize("hostPort", "hostPorts", ports.len()),
            ports.join(", ")
        ),
    )
}

const APPARMOR_ANNOTATION_PREFIX: &str = "container.apparmor.security.beta.kubernetes.io/";

pub(crate) fn app_armor_profile(pod: Pod<'_>) -> Verdict {
    let mut forbidden = Vec::new();
    if let Some(Value::Object(annotations)) = get(pod.meta, &["annotations"]) {
        let mut keys: Vec<_> = annotations.keys().collect();
        keys.sort();
        for key in keys {
            if !key.starts_with(APPARMOR_ANNOTATION_PREFIX) {
                continue;
            }
            let value = annotations.get(key).and_then(Value::as_str).unwrap_or("");
            if !(value.is_empty() || value == "runtime/default" || value.starts_with("localhost/"))
            {
                forbidden.push(format!("{key}={value:?}"));
            }
        }
    }
    let unconfined = |v: &Value| {
        get_str(v, &["securityContext", "appArmorProfile", "type"]) == Some("Unconfined")
    };
    let pod_bad = unconfined(pod.spec);
    let bad: Vec<String> = containers(pod.spec)
        .filter(|(_, c)| unconfined(c))
        .map(|(_, c)| container_name(c).to_string())
        .collect();
    if pod_bad || !bad.is_empty() {
        forbidden.push(format!(
            "{} must not set securityContext.appArmorProfile.type to \"Unconfined\"",
            pod_and_containers(pod_bad, &bad, "and")
        ));
    }
    if forbidden.is_empty() {
        return None;
    }
    deny("forbidden AppArmor profiles", forbidden.join(", "))
}

const SELINUX_TYPES_1_0: &[&str] = &["", "container_t", "container_init_t", "container_kvm_t"];
const SELINUX_TYPES_1_31: &[&str] = &[
    "",
    "container_t",
    "container_init_t",
    "container_kvm_t",
    "container_engine_t",
];

pub(crate) fn se_linux_options_1_0(pod: Pod<'_>) -> Verdict {
    se_linux_options(pod, SELINUX_TYPES_1_0)
}

pub(crate) fn se_linux_options_1_31(pod: Pod<'_>) -> Verdict {
    se_linux_options(pod, SELINUX_TYPES_1_31)
}

fn se_linux_options(pod: Pod<'_>, allowed_types: &[&str]) -> Verdict {
    let mut types = Vec::new();
    let mut users = Vec::new();
    let mut roles = Vec::new();
    let mut check = |opts: Option<&Value>| -> bool {
        let Some(opts) = opts else { return false };
        let mut bad = false;
        let t = get_str(opts, &["type"]).unwrap_or("");
        if !allowed_types.contains(&t) {
            types.push(t.to_string());
            bad = true;
        }
        for (field, out) in [("user", &mut users), ("role", &mut roles)] {
            let v = get_str(opts, &[field]).unwrap_or("");
            if !v.is_empty() {
                out.push(v.to_string());
                bad = true;
            }
        }
        bad
    };
    let pod_bad = check(get(pod.spec, &["securityContext", "seLinuxOptions"]));
    let bad: Vec<String> = containers(pod.spec)
        .filter(|(_, c)| check(sc(c, "seLinuxOptions")))
        .map(|(_, c)| container_name(c).to_string())
        .collect();
    if !pod_bad && bad.is_empty() {
        return None;
    }
    let mut parts = Vec::new();
    for (one, many, values) in [
        ("type", "types", types),
        ("user", "users", users),
        ("role", "roles", roles),
    ] {
        let values = sorted_set(values);
        if !values.is_empty() {
            parts.push(format!(
                "{} {}",
                pluralize(one, many, values.len()),
                join_quote(&values)
            ));
        }
    }
    deny(
        "seLinuxOptions",
        format!(
            "{} set forbidden securityContext.seLinuxOptions: {}",
            pod_and_containers(pod_bad, &bad, "and"),
            parts.join("; ")
        ),
    )
}

/// procMount must be unset or `Default`.
pub(crate) fn proc_mount_strict(pod: Pod<'_>) -> Verdict {
    let mut bad = Vec::new();
    let mut types = Vec::new();
    for (_, c) in containers(pod.spec) {
        if let Some(t) = sc(c, "procMount") {
            let t = t.as_str().unwrap_or("");
            if t != "Default" {
                bad.push(container_name(c).to_string());
                types.push(t.to_string());
            }
        }
    }
    if bad.is_empty() {
        return None;
    }
    deny(
        "procMount",
        format!(
            "{} {} must not set securityContext.procMount to {}",
            pluralize("container", "containers", bad.len()),
            join_quote(&bad),
            join_quote(&sorted_set(types))
        ),
    )
}

/// From 1.35 pods in a user namespace (`hostUsers: false`) may unmask /proc.
pub(crate) fn proc_mount_1_35(pod: Pod<'_>) -> Verdict {
    if in_user_namespace(pod.spec) {
        return None;
    }
    proc_mount_strict(pod)
}

const SECCOMP_POD_ANNOTATION: &str = "seccomp.security.alpha.kubernetes.io/pod";
const SECCOMP_CONTAINER_PREFIX: &str = "container.seccomp.security.alpha.kubernetes.io/";

pub(crate) fn seccomp_baseline_1_0(pod: Pod<'_>) -> Verdict {
    let mut forbidden = Vec::new();
    if let Some(Value::Object(annotations)) = get(pod.meta, &["annotations"]) {
        let mut keys: Vec<_> = annotations.keys().collect();
        keys.sort();
        for key in keys {
            if key != SECCOMP_POD_ANNOTATION && !key.starts_with(SECCOMP_CONTAINER_PREFIX) {
                continue;
            }
            let value = annotations.get(key).and_then(Value::as_str).unwrap_or("");
            if value == "unconfined" {
                forbidden.push(format!("{key}={value:?}"));
            }
        }
    }
    if forbidden.is_empty() {
        return None;
    }
    deny(
        "seccompProfile",
        format!("forbidden annotations {}", forbidden.join(", ")),
    )
}

pub(crate) fn seccomp_baseline_1_19(pod: Pod<'_>) -> Verdict {
    let unconfined = |v: &Value| {
        get_str(v, &["securityContext", "seccompProfile", "type"]) == Some("Unconfined")
    };
    let pod_bad = unconfined(pod.spec);
    let bad: Vec<String> = containers(pod.spec)
        .filter(|(_, c)| unconfined(c))
        .map(|(_, c)| container_name(c).to_string())
        .collect();
    if !pod_bad && bad.is_empty() {
        return None;
    }
    deny(
        "seccompProfile",
        format!(
            "{} must not set securityContext.seccompProfile.type to \"Unconfined\"",
            pod_and_containers(pod_bad, &bad, "and")
        ),
    )
}

const SYSCTLS_1_0: &[&str] = &[
    "kernel.shm_rmid_forced",
    "net.ipv4.ip_local_port_range",
    "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range",
    "net.ipv4.ip_unprivileged_port_start",
];
const SYSCTLS_1_27: &[&str] = &["net.ipv4.ip_local_reserved_ports"];
const SYSCTLS_1_29: &[&str] = &[
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
];
const SYSCTLS_1_32: &[&str] = &["net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem"];

pub(crate) fn sysctls_1_0(pod: Pod<'_>) -> Verdict {
    sysctls(pod, &[SYSCTLS_1_0])
}
pub(crate) fn sysctls_1_27(pod: Pod<'_>) -> Verdict {
    sysctls(pod, &[SYSCTLS_1_0, SYSCTLS_1_27])
}
pub(crate) fn sysctls_1_29(pod: Pod<'_>) -> Verdict {
    sysctls(pod, &[SYSCTLS_1_0, SYSCTLS_1_27, SYSCTLS_1_29])
}
pub(crate) fn sysctls_1_32(pod: Pod<'_>) -> Verdict {
    sysctls(
        pod,
        &[SYSCTLS_1_0, SYSCTLS_1_27, SYSCTLS_1_29, SYSCTLS_1_32],
    )
}

fn sysctls(pod: Pod<'_>, allowed: &[&[&str]]) -> Verdict {
    let forbidden: Vec<String> = array(pod.spec, &["securityContext", "sysctls"])
        .iter()
        .map(|s| get_str(s, &["name"]).unwrap_or(""))
        .filter(|name| !allowed.iter().any(|set| set.contains(name)))
        .map(str::to_string)
        .collect();
    if forbidden.is_empty() {
        return None;
    }
    deny("forbidden sysctls", forbidden.join(", "))
}

pub(crate) fn windows_host_process(pod: Pod<'_>) -> Verdict {
    let host_process = |v: &Value| {
        get_bool(v, &["securityContext", "windowsOptions", "hostProcess"]) == Some(true)
    };
    let pod_bad = host_process(pod.spec);
    let bad: Vec<String> = containers(pod.spec)
        .filter(|(_, c)| host_process(c))
        .map(|(_, c)| container_name(c).to_string())
        .collect();
    if !pod_bad && bad.is_empty() {
        return None;
    }
    deny(
        "hostProcess",
        format!(
            "{} must not set securityContext.windowsOptions.hostProcess=true",
            pod_and_containers(pod_bad, &bad, "and")
        ),
    )
}

const HANDLERS: &[&[&str]] = &[
    &["livenessProbe"],
    &["readinessProbe"],
    &["startupProbe"],
    &["lifecycle", "postStart"],
    &["lifecycle", "preStop"],
];

pub(crate) fn host_probes_and_lifecycle(pod: Pod<'_>) -> Verdict {
    let mut bad = Vec::new();
    let mut hosts = Vec::new();
    for (_, c) in containers(pod.spec) {
        let mut found = false;
        for handler in HANDLERS {
            let Some(h) = get(c, handler) else { continue };
            for action in ["httpGet", "tcpSocket"] {
                if let Some(host) = get_str(h, &[action, "host"]).filter(|s| !s.is_empty()) {
                    found = true;
                    hosts.push(host.to_string());
                }
            }
        }
        if found {
            bad.push(container_name(c).to_string());
        }
    }
    if bad.is_empty() {
        return None;
    }
    let hosts = sorted_set(hosts);
    deny(
        "probe or lifecycle host",
        format!(
            "{} {} {} probe or lifecycle {} {}",
            pluralize("container", "containers", bad.len()),
            join_quote(&bad),
            pluralize("uses", "use", bad.len()),
            pluralize("host", "hosts", hosts.len()),
            join_quote(&hosts)
        ),
    )
}
