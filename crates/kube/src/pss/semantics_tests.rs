//! Per-check semantics that the fixture corpus covers only partly: version steps, pod versus container
//! fields, OS exemptions, overrides.

use super::{Level, PolicyVersion, evaluate};
use serde_json::{Value, json};

fn denied(spec: Value, level: Level, minor: u32) -> Vec<&'static str> {
    denied_with(Value::Null, spec, level, minor)
}

fn denied_with(meta: Value, spec: Value, level: Level, minor: u32) -> Vec<&'static str> {
    evaluate(&meta, &spec, level, PolicyVersion::new(minor))
        .into_iter()
        .filter(|r| !r.allowed)
        .map(|r| r.id)
        .collect()
}

/// A pod that passes restricted at every version, with one container field overridden.
fn restricted_pod(container_sc: Value) -> Value {
    let mut sc = json!({"allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}});
    if let (Some(base), Value::Object(extra)) = (sc.as_object_mut(), container_sc) {
        base.extend(extra);
    }
    json!({
        "securityContext": {"runAsNonRoot": true, "seccompProfile": {"type": "RuntimeDefault"}},
        "containers": [{"name": "c", "securityContext": sc}]
    })
}

#[test]
fn base_restricted_pod_passes_every_version() {
    for minor in 0..=40 {
        assert!(
            denied(restricted_pod(json!({})), Level::Restricted, minor).is_empty(),
            "v1.{minor}"
        );
    }
}

#[test]
fn sysctl_allow_list_grows_by_version() {
    let spec = |name: &str| json!({"securityContext": {"sysctls": [{"name": name, "value": "1"}]}, "containers": []});
    assert!(
        denied(
            spec("net.ipv4.ip_local_reserved_ports"),
            Level::Baseline,
            26
        )
        .contains(&"sysctls")
    );
    assert!(
        denied(
            spec("net.ipv4.ip_local_reserved_ports"),
            Level::Baseline,
            27
        )
        .is_empty()
    );
    assert!(denied(spec("net.ipv4.tcp_keepalive_time"), Level::Baseline, 28).contains(&"sysctls"));
    assert!(denied(spec("net.ipv4.tcp_keepalive_time"), Level::Baseline, 29).is_empty());
    assert!(denied(spec("net.ipv4.tcp_rmem"), Level::Baseline, 31).contains(&"sysctls"));
    assert!(denied(spec("net.ipv4.tcp_rmem"), Level::Baseline, 32).is_empty());
    assert!(denied(spec("kernel.msgmax"), Level::Baseline, 37).contains(&"sysctls"));
}

#[test]
fn selinux_container_engine_type_from_1_31() {
    let spec = json!({"containers": [{"name": "c", "securityContext": {"seLinuxOptions": {"type": "container_engine_t"}}}]});
    assert!(denied(spec.clone(), Level::Baseline, 30).contains(&"seLinuxOptions"));
    assert!(denied(spec, Level::Baseline, 31).is_empty());
    let user = json!({"securityContext": {"seLinuxOptions": {"user": "root"}}, "containers": []});
    assert!(denied(user, Level::Baseline, 31).contains(&"seLinuxOptions"));
}

#[test]
fn proc_mount_user_namespaces_relax_baseline_from_1_35_only() {
    let spec = |host_users: bool| {
        json!({"hostUsers": host_users,
            "containers": [{"name": "c", "securityContext": {"procMount": "Unmasked"}}]})
    };
    assert!(denied(spec(false), Level::Baseline, 34).contains(&"procMount"));
    assert!(denied(spec(false), Level::Baseline, 35).is_empty());
    assert!(denied(spec(true), Level::Baseline, 35).contains(&"procMount"));
    let r = restricted_pod(json!({"procMount": "Unmasked"}));
    let mut r = r;
    r["hostUsers"] = json!(false);
    assert_eq!(
        denied(r, Level::Restricted, 35),
        vec!["procMount_restricted"]
    );
}

#[test]
fn app_armor_annotations_and_fields() {
    let meta = json!({"annotations": {"container.apparmor.security.beta.kubernetes.io/c": "localhost/prof"}});
    assert!(
        denied_with(
            meta,
            json!({"containers": [{"name": "c"}]}),
            Level::Baseline,
            20
        )
        .is_empty()
    );
    let spec = json!({"containers": [{"name": "c", "securityContext": {"appArmorProfile": {"type": "Unconfined"}}}]});
    assert!(denied(spec, Level::Baseline, 30).contains(&"appArmorProfile"));
}

#[test]
fn seccomp_restricted_pod_and_container_rules() {
    // Container explicitly Unconfined even though the pod is RuntimeDefault.
    let r = restricted_pod(json!({"seccompProfile": {"type": "Unconfined"}}));
    assert_eq!(
        denied(r, Level::Restricted, 30),
        vec!["seccompProfile_restricted"]
    );
    // No pod-level profile: every container must set one.
    let spec = json!({"securityContext": {"runAsNonRoot": true}, "containers": [
        {"name": "a", "securityContext": {"allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}, "seccompProfile": {"type": "Localhost", "localhostProfile": "p"}}},
        {"name": "b", "securityContext": {"allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}}}]});
    assert_eq!(
        denied(spec, Level::Restricted, 30),
        vec!["seccompProfile_restricted"]
    );
    // Below 1.19 only the baseline annotation check exists.
    let pod = json!({"containers": [{"name": "a", "securityContext": {"allowPrivilegeEscalation": false}}], "securityContext": {"runAsNonRoot": true}});
    assert!(denied(pod, Level::Restricted, 18).is_empty());
}

#[test]
fn run_as_user_zero_from_1_23() {
    let r = restricted_pod(json!({"runAsUser": 0}));
    assert!(denied(r.clone(), Level::Restricted, 22).is_empty());
    assert_eq!(denied(r, Level::Restricted, 23), vec!["runAsUser"]);
}

#[test]
fn capabilities_restricted_allows_only_net_bind_service() {
    let ok =
        restricted_pod(json!({"capabilities": {"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]}}));
    assert!(denied(ok, Level::Restricted, 30).is_empty());
    let bad = restricted_pod(json!({"capabilities": {"drop": ["ALL"], "add": ["CHOWN"]}}));
    assert_eq!(
        denied(bad.clone(), Level::Restricted, 30),
        vec!["capabilities_restricted"]
    );
    // CHOWN is in the baseline default set.
    assert!(denied(bad, Level::Baseline, 30).is_empty());
}

#[test]
fn restricted_volumes_image_from_1_33() {
    let mut pod = restricted_pod(json!({}));
    pod["volumes"] = json!([{"name": "img", "image": {"reference": "x:1"}}, {"name": "d"}]);
    assert_eq!(
        denied(pod.clone(), Level::Restricted, 32),
        vec!["restrictedVolumes"]
    );
    assert!(denied(pod, Level::Restricted, 33).is_empty());
}

#[test]
fn host_probes_from_1_34() {
    let spec = json!({"containers": [{"name": "c", "lifecycle": {"preStop": {"httpGet": {"host": "10.0.0.1", "port": 80}}}}]});
    assert!(denied(spec.clone(), Level::Baseline, 33).is_empty());
    assert_eq!(
        denied(spec, Level::Baseline, 34),
        vec!["hostProbesAndHostLifecycle"]
    );
}

#[test]
fn ephemeral_and_init_containers_are_checked() {
    let spec = json!({"containers": [], "ephemeralContainers": [{"name": "dbg", "securityContext": {"privileged": true}}],
        "initContainers": [{"name": "i", "ports": [{"hostPort": 80}]}]});
    let d = denied(spec, Level::Baseline, 37);
    assert!(d.contains(&"privileged") && d.contains(&"hostPorts"));
}
