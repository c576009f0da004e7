//! The generated cluster snapshot shared by the `snapshot` bench and the `gen_snapshot` example
//! (`bench/k8s.sh`).

use std::fmt::Write;

/// A multi-document YAML snapshot: per namespace a Deployment, a Service, a ConfigMap, a Pod, and every
/// other namespace a NetworkPolicy; `n` objects in total.
pub fn snapshot(n: usize) -> String {
    let mut out = String::with_capacity(n * 600);
    let mut i = 0;
    while i < n {
        let ns = format!("team-{}", i / 5);
        let k = i % 5;
        let _ = match k {
            0 => write!(
                out,
                "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app-{i}\n  namespace: {ns}\n  labels: {{app: app-{i}}}\nspec:\n  replicas: 3\n  selector:\n    matchLabels: {{app: app-{i}}}\n  template:\n    metadata:\n      labels: {{app: app-{i}}}\n    spec:\n      securityContext:\n        runAsNonRoot: true\n      containers:\n      - name: main\n        image: registry.example.com/app:{i}\n        ports: [{{containerPort: 8080}}]\n        env:\n        - {{name: MODE, value: production}}\n        - {{name: API_TOKEN, value: tok-{i}-abcdef}}\n        resources:\n          limits: {{cpu: 500m, memory: 256Mi}}\n        securityContext:\n          allowPrivilegeEscalation: false\n          capabilities: {{drop: [ALL]}}\n      - name: sidecar\n        image: envoy:latest\n        securityContext: {{privileged: {}}}\n",
                i % 10 == 0
            ),
            1 => write!(
                out,
                "---\napiVersion: v1\nkind: Service\nmetadata:\n  name: app-{p}\n  namespace: {ns}\nspec:\n  type: {t}\n  selector: {{app: app-{p}}}\n  ports:\n  - {{port: 80, targetPort: 8080}}\n",
                p = i - 1,
                t = if i % 3 == 0 {
                    "LoadBalancer"
                } else {
                    "ClusterIP"
                }
            ),
            2 => write!(
                out,
                "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg-{i}\n  namespace: {ns}\ndata:\n  key: value\n  other: \"{i}\"\n"
            ),
            3 => write!(
                out,
                "---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: pod-{i}\n  namespace: {ns}\n  labels: {{app: pod-{i}}}\nspec:\n  hostNetwork: {}\n  containers:\n  - name: c\n    image: busybox\n    livenessProbe: {{exec: {{command: [true]}}}}\n",
                i % 7 == 0
            ),
            _ => write!(
                out,
                "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: deny-{i}\n  namespace: {ns}\nspec:\n  podSelector: {}\n",
                if i % 2 == 0 {
                    "{}"
                } else {
                    "{matchLabels: {app: none}}"
                }
            ),
        };
        i += 1;
    }
    out
}
