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

#[test]
fn low_uid_follows_the_effective_run_as_user() {
    const ID: &str = "k8s:low-uid";
    let pod = |pod_sc: &str, containers: &str| {
        format!("{POD}  securityContext: {{{pod_sc}}}\n  containers: [{containers}]\n")
    };
    // The pod's id applies to containers that set none; a container's own id overrides it.
    assert!(!has(&rules(&pod("runAsUser: 10000", "{name: a}")), ID));
    assert!(has(&rules(&pod("runAsUser: 9999", "{name: a}")), ID));
    assert!(!has(
        &rules(&pod(
            "runAsUser: 1000",
            "{name: a, securityContext: {runAsUser: 20000}}"
        )),
        ID
    ));
    assert!(has(
        &rules(&pod(
            "runAsUser: 20000",
            "{name: a, securityContext: {runAsUser: 1000}}"
        )),
        ID
    ));
    // Set nowhere: the image's user applies.
    assert!(has(&rules(&pod("", "{name: a}")), ID));
    // Init containers count; they inherit the pod's id too.
    let init = format!(
        "{POD}  initContainers: [{{name: i, securityContext: {{runAsUser: 0}}}}]\n  containers: [{{name: a, securityContext: {{runAsUser: 20000}}}}]\n"
    );
    assert!(has(&rules(&init), ID));
    let inherited = format!(
        "{POD}  securityContext: {{runAsUser: 20000}}\n  initContainers: [{{name: i}}]\n  containers: [{{name: a}}]\n"
    );
    assert!(!has(&rules(&inherited), ID));
    // Malformed ids are not user ids; a null is not set.
    assert!(has(&rules(&pod("runAsUser: \"20000\"", "{name: a}")), ID));
    assert!(has(&rules(&pod("runAsUser: -1", "{name: a}")), ID));
    assert!(!has(
        &rules(&pod(
            "runAsUser: 20000",
            "{name: a, securityContext: {runAsUser: null}}"
        )),
        ID
    ));
    // Windows pods and pods in a user namespace are exempt; no containers, nothing to report.
    let windows = format!("{POD}  os: {{name: windows}}\n  containers: [{{name: a}}]\n");
    assert!(!has(&rules(&windows), ID));
    let userns = format!("{POD}  hostUsers: false\n  containers: [{{name: a}}]\n");
    assert!(!has(&rules(&userns), ID));
    assert!(!has(&rules(&format!("{POD}  containers: oops\n")), ID));
}

#[test]
fn ingress_snippet_annotations_are_reported() {
    const ID: &str = "k8s:ingress-snippet-annotation";
    let ingress = |annotations: &str| {
        format!(
            "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: i\n  namespace: ns\n  annotations: {annotations}\nspec:\n  tls: [{{hosts: [a.example]}}]\n  rules: [{{host: a.example}}]\n"
        )
    };
    for a in [
        "{nginx.ingress.kubernetes.io/server-snippet: \"location / { return 200; }\"}",
        "{nginx.ingress.kubernetes.io/configuration-snippet: \"more_set_headers x;\"}",
        // ingress-nginx's prefix is configurable; NGINX Inc.'s controller has its own snippets
        "{custom.prefix/auth-snippet: \"x\"}",
        "{nginx.org/location-snippets: \"x\"}",
    ] {
        let r = rules(&ingress(a));
        assert!(r.contains(&(ID.to_string(), "Ingress/ns/i".into())), "{a}");
    }
    for a in [
        "{nginx.ingress.kubernetes.io/rewrite-target: /}",
        "{nginx.ingress.kubernetes.io/server-snippet: \"  \"}",
        "{snippet.example.com/owner: team-a}",
        "not-a-map",
        "{}",
    ] {
        assert!(!has(&rules(&ingress(a)), ID), "{a}");
    }
    // Only Ingresses: the same annotation on a Service is not read by the controller.
    let svc = "apiVersion: v1\nkind: Service\nmetadata:\n  name: s\n  namespace: ns\n  annotations: {nginx.ingress.kubernetes.io/server-snippet: x}\nspec: {}\n";
    assert!(!has(&rules(svc), ID));
}

const TILLER_DEPLOY: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: tiller-deploy, namespace: kube-system}\nspec:\n  template:\n    metadata:\n      labels: {app: helm, name: tiller}\n    spec:\n";

#[test]
fn tiller_is_reachable_unless_it_listens_on_loopback() {
    const ID: &str = "k8s:tiller-reachable";
    let deploy = |container: &str| format!("{TILLER_DEPLOY}      containers: [{container}]\n");
    let image = "image: gcr.io/kubernetes-helm/tiller:v2.16.12";
    assert!(has(
        &rules(&deploy(&format!("{{name: tiller, {image}}}"))),
        ID
    ));
    assert!(has(
        &rules(&deploy(&format!(
            "{{name: tiller, {image}, args: [\"--listen=0.0.0.0:44134\"]}}"
        ))),
        ID
    ));
    for args in [
        "[\"--listen=localhost:44134\"]",
        "[\"--listen=127.0.0.1:44134\"]",
        "[--listen, \"[::1]:44134\"]",
    ] {
        let d = deploy(&format!("{{name: tiller, {image}, args: {args}}}"));
        assert!(!has(&rules(&d), ID), "{args}");
    }
    // Loopback on the host network is the node's.
    let host = format!(
        "{TILLER_DEPLOY}      hostNetwork: true\n      containers: [{{name: tiller, {image}, args: [\"--listen=localhost:44134\"]}}]\n"
    );
    assert!(has(&rules(&host), ID));
    // `helm init`'s labels with a mirrored image name the container `tiller`.
    assert!(has(
        &rules(&deploy(
            "{name: tiller, image: \"registry.local/helm-server:2\"}"
        )),
        ID
    ));
    // Other containers of the pod, and pods without Tiller, are not Tiller.
    assert!(!has(
        &rules(&deploy("{name: sidecar, image: \"nginx:1.27\"}")),
        ID
    ));
    assert!(!has(
        &rules(&format!(
            "{POD}  containers: [{{name: tiller, image: \"tillerman:1\"}}]\n"
        )),
        ID
    ));
}

#[test]
fn tiller_services_are_recognised_by_what_they_select_or_their_names() {
    const ID: &str = "k8s:tiller-service";
    let svc = |name: &str, labels: &str, selector: &str| {
        format!(
            "apiVersion: v1\nkind: Service\nmetadata:\n  name: {name}\n  namespace: kube-system\n  labels: {labels}\nspec:\n  selector: {selector}\n  ports: [{{port: 44134}}]\n"
        )
    };
    // Selects a pod template that runs Tiller, whatever the names.
    let tiller = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: helm-server, namespace: kube-system}\nspec:\n  template:\n    metadata:\n      labels: {app: deployer}\n    spec:\n      containers: [{name: server, image: \"ghcr.io/helm/tiller:v2.17.0\"}]\n---\n";
    let r = rules(&format!(
        "{tiller}{}",
        svc("deployer", "{}", "{app: deployer}")
    ));
    assert!(r.contains(&(ID.to_string(), "Service/kube-system/deployer".into())));
    // The same selector in another namespace selects nothing.
    let elsewhere = svc("deployer", "{}", "{app: deployer}").replace("kube-system", "apps");
    assert!(!has(&rules(&format!("{tiller}{elsewhere}")), ID));
    // Without the Deployment in the input: the name, a label or a selector value names Tiller.
    assert!(has(&rules(&svc("tiller-deploy", "{}", "{}")), ID));
    assert!(has(&rules(&svc("s", "{name: tiller}", "{}")), ID));
    assert!(has(
        &rules(&svc("s", "{}", "{app: helm, name: tiller}")),
        ID
    ));
    // Look-alikes and malformed fields are not.
    assert!(!has(
        &rules(&svc("tillerman", "{app: distiller}", "{app: web}")),
        ID
    ));
    assert!(!has(&rules(&svc("s", "{}", "[tiller]")), ID));
    assert!(!has(&rules(&svc("s", "{}", "{name: 7}")), ID));
}
