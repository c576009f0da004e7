//! Lookup tables over a set of objects, built once per scan so cross-object checks stay linear.

use crate::object::KubeObject;
use crate::podspec::{PodSpecRef, pod_specs};
use serde_json::Value;
use std::collections::{HashMap, HashSet};

/// Objects and pod specs indexed by namespace, name and address.
pub(crate) struct Index<'a> {
    pub objects: &'a [KubeObject],
    pub pods: Vec<PodSpecRef<'a>>,
    /// Pod specs per namespace (indices into `pods`).
    pub pods_by_ns: HashMap<&'a str, Vec<usize>>,
    /// NetworkPolicy `podSelector`s per namespace (`Null` when absent).
    pub policies_by_ns: HashMap<&'a str, Vec<&'a Value>>,
    /// (namespace, name) of ServiceAccounts with `automountServiceAccountToken: false`.
    pub no_automount_accounts: HashSet<(&'a str, &'a str)>,
    /// Services by (namespace, name).
    pub services: HashMap<(&'a str, &'a str), &'a KubeObject>,
    /// Namespaces by name.
    pub namespaces: HashMap<&'a str, &'a KubeObject>,
}

static NULL: Value = Value::Null;

impl<'a> Index<'a> {
    pub fn new(objects: &'a [KubeObject]) -> Index<'a> {
        let pods: Vec<PodSpecRef<'a>> = pod_specs(objects).collect();
        let mut pods_by_ns: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, p) in pods.iter().enumerate() {
            if let Some(ns) = p.object.effective_namespace() {
                pods_by_ns.entry(ns).or_default().push(i);
            }
        }
        let mut index = Index {
            objects,
            pods,
            pods_by_ns,
            policies_by_ns: HashMap::new(),
            no_automount_accounts: HashSet::new(),
            services: HashMap::new(),
            namespaces: HashMap::new(),
        };
        for o in objects.iter().filter(|o| o.is_builtin()) {
            let ns = o.effective_namespace().unwrap_or("");
            match o.kind.as_str() {
                "NetworkPolicy" => index.policies_by_ns.entry(ns).or_default().push(
                    o.doc
                        .get("spec")
                        .and_then(|s| s.get("podSelector"))
                        .unwrap_or(&NULL),
                ),
                "ServiceAccount"
                    if o.doc
                        .get("automountServiceAccountToken")
                        .and_then(Value::as_bool)
                        == Some(false) =>
                {
                    index.no_automount_accounts.insert((ns, o.name.as_str()));
                }
                "Service" => {
                    index.services.insert((ns, o.name.as_str()), o);
                }
                "Namespace" => {
                    index.namespaces.insert(o.name.as_str(), o);
                }
                _ => {}
            }
        }
        index
    }

    /// Pod specs in a namespace.
    pub fn pods_in(&self, ns: &str) -> impl Iterator<Item = &PodSpecRef<'a>> {
        self.pods_by_ns
            .get(ns)
            .into_iter()
            .flatten()
            .filter_map(|&i| self.pods.get(i))
    }
}
