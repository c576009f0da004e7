//! The node's Kubernetes version, when the node says it: the image tag of a static control-plane pod
//! (`image: registry.k8s.io/kube-apiserver:v1.28.4`). kube-bench asks `kubectl` or the kubelet binary;
//! Rampart runs neither.

use crate::node::Node;

const MANIFESTS: [&str; 4] = [
    "/etc/kubernetes/manifests/kube-apiserver.yaml",
    "/etc/kubernetes/manifests/kube-controller-manager.yaml",
    "/etc/kubernetes/manifests/kube-scheduler.yaml",
    "/var/lib/rancher/rke2/agent/pod-manifests/kube-apiserver.yaml",
];

/// `1.28` from the first control-plane static pod manifest with a versioned Kubernetes image.
pub fn detect(node: &Node) -> Option<String> {
    MANIFESTS.iter().find_map(|m| {
        let text = node.read(m, 1 << 20).ok()?;
        text.lines().find_map(image_version)
    })
}

fn image_version(line: &str) -> Option<String> {
    let image = line
        .trim()
        .strip_prefix("image:")?
        .trim()
        .trim_matches(['"', '\'']);
    let name = image.rsplit('/').next()?;
    let (repo, tag) = name.split_once(':')?;
    if !repo.starts_with("kube-") && repo != "hyperkube" {
        return None;
    }
    let mut parts = tag.trim_start_matches('v').split(['.', '-', '+']);
    let major: u32 = parts.next()?.parse().ok()?;
    let minor: u32 = parts.next()?.parse().ok()?;
    Some(format!("{major}.{minor}"))
}

#[cfg(test)]
mod tests {
    use super::image_version;

    #[test]
    fn versions_come_from_kubernetes_images_only() {
        assert_eq!(
            image_version("    image: registry.k8s.io/kube-apiserver:v1.28.4").as_deref(),
            Some("1.28")
        );
        assert_eq!(
            image_version("image: \"rancher/hardened-kubernetes:v1.27.3-rke2r1\""),
            None
        );
        assert_eq!(image_version("image: registry.k8s.io/etcd:3.5.9-0"), None);
        assert_eq!(image_version("image: kube-apiserver"), None);
    }
}
