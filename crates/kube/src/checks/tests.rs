//! Behaviour of the individual built-in checks.

use super::run_all;
use crate::load::{LoadOptions, load_str};

fn rules(yaml: &str) -> Vec<(String, String)> {
    let l = load_str(yaml, "t.yaml", &LoadOptions::default());
    let mut v: Vec<(String, String)> = run_all(&l.objects)
        .into_iter()
        .map(|h| (h.check.id.to_string(), h.subject))
        .collect();
    v.sort();
    v
}

fn has(rules: &[(String, String)], id: &str) -> bool {
    rules.iter().any(|(r, _)| r == id)
}

const POD: &str = "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: ns}\nspec:\n";

#[test]
fn net_raw_is_satisfied_by_drop_all_or_net_raw() {
    let all = format!(
        "{POD}  containers: [{{name: a, securityContext: {{capabilities: {{drop: [ALL]}}}}}}]\n"
    );
    assert!(!has(&rules(&all), "k8s:net-raw-capability"));
    let raw = format!(
        "{POD}  containers: [{{name: a, securityContext: {{capabilities: {{drop: [CAP_NET_RAW]}}}}}}]\n"
    );
    assert!(!has(&rules(&raw), "k8s:net-raw-capability"));
    let none = format!("{POD}  containers: [{{name: a}}]\n");
    assert!(has(&rules(&none), "k8s:net-raw-capability"));
}

#[test]
fn automount_can_be_disabled_on_the_service_account() {
    let sa = "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: quiet, namespace: ns}\nautomountServiceAccountToken: false\n---\n";
    let pod = format!("{sa}{POD}  serviceAccountName: quiet\n  containers: [{{name: a}}]\n");
    assert!(!has(&rules(&pod), "k8s:automount-service-account-token"));
    let other_ns = pod.replace("namespace: ns}\nautomount", "namespace: other}\nautomount");
    assert!(has(
        &rules(&other_ns),
        "k8s:automount-service-account-token"
    ));
}

#[test]
fn runtime_socket_and_default_namespace() {
    let y = "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: default}\nspec:\n  volumes: [{name: s, hostPath: {path: /run/containerd/containerd.sock}}]\n  containers: [{name: a}]\n---\napiVersion: v1\nkind: Service\nmetadata: {name: kubernetes, namespace: default}\nspec: {}\n";
    let r = rules(y);
    assert!(has(&r, "k8s:container-runtime-socket"));
    let defaults: Vec<_> = r
        .iter()
        .filter(|(id, _)| id == "k8s:default-namespace")
        .collect();
    assert_eq!(
        defaults.len(),
        1,
        "the built-in kubernetes Service is not reported"
    );
}

#[test]
fn probes_are_not_required_of_jobs_and_init_containers() {
    let job = "apiVersion: batch/v1\nkind: Job\nmetadata: {name: j, namespace: ns}\nspec:\n  template:\n    spec:\n      containers: [{name: a, image: x:1}]\n";
    let r = rules(job);
    assert!(!has(&r, "k8s:liveness-probe-missing"));
    let pod = format!(
        "{POD}  initContainers: [{{name: i}}]\n  containers: [{{name: a, livenessProbe: {{exec: {{command: [x]}}}}, readinessProbe: {{exec: {{command: [x]}}}}}}]\n"
    );
    let r = rules(&pod);
    assert!(!has(&r, "k8s:liveness-probe-missing") && !has(&r, "k8s:readiness-probe-missing"));
}

#[test]
fn internal_load_balancer_is_recorded() {
    let y = "apiVersion: v1\nkind: Service\nmetadata:\n  name: s\n  namespace: ns\n  annotations: {service.beta.kubernetes.io/aws-load-balancer-scheme: internal}\nspec:\n  type: LoadBalancer\n  loadBalancerSourceRanges: [10.0.0.0/8]\n  ports: [{port: 443}]\n";
    let l = load_str(y, "t.yaml", &LoadOptions::default());
    let ex = super::exposures(&l.objects);
    assert_eq!(ex.len(), 1);
    assert!(ex[0].internal);
    assert_eq!(ex[0].source_ranges, vec!["10.0.0.0/8".to_string()]);
    assert_eq!(ex[0].ports, vec![443]);
}

#[test]
fn custom_resources_are_not_checked() {
    let y = "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {name: r, namespace: default}\nspec:\n  template:\n    spec:\n      containers: [{name: a, image: x}]\n";
    assert!(rules(y).is_empty());
}

#[test]
fn default_service_account_with_token_is_reported() {
    const ID: &str = "k8s:default-service-account";
    // No serviceAccountName, token automounted: the default account is in use.
    let plain = format!("{POD}  containers: [{{name: a}}]\n");
    assert!(has(&rules(&plain), ID));
    let named_default =
        format!("{POD}  serviceAccountName: default\n  containers: [{{name: a}}]\n");
    assert!(has(&rules(&named_default), ID));
    // Its own account, or no token on the pod or on the default account: not reported.
    let own = format!("{POD}  serviceAccountName: api\n  containers: [{{name: a}}]\n");
    assert!(!has(&rules(&own), ID));
    let no_token =
        format!("{POD}  automountServiceAccountToken: false\n  containers: [{{name: a}}]\n");
    assert!(!has(&rules(&no_token), ID));
    let sa = "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: default, namespace: ns}\nautomountServiceAccountToken: false\n---\n";
    assert!(!has(&rules(&format!("{sa}{plain}")), ID));
    // The pod's own setting wins over the account's.
    let forced =
        format!("{sa}{POD}  automountServiceAccountToken: true\n  containers: [{{name: a}}]\n");
    assert!(has(&rules(&forced), ID));
}

#[test]
fn tiller_and_the_dashboard_are_risky_components_lookalikes_are_not() {
    let pod = |image: &str| format!("{POD}  containers: [{{name: a, image: \"{image}\"}}]\n");
    for image in [
        "gcr.io/kubernetes-helm/tiller:v2.16.1",
        "ghcr.io/helm/tiller@sha256:0123",
        "kubernetesui/dashboard:v2.7.0",
        "registry.local:5000/k8s/kubernetes-dashboard-amd64:v1.10.1",
    ] {
        assert!(has(&rules(&pod(image)), "k8s:risky-component"), "{image}");
    }
    for image in [
        "nginx:1.25",
        "example.com/tillerman:1.0",
        "registry.local:5000/dashboard-ui:2",
    ] {
        assert!(!has(&rules(&pod(image)), "k8s:risky-component"), "{image}");
    }
}
