//! The review Gatekeeper hands to templates (`input.review`) and the `data.inventory` of cached objects.

use super::constraint::group_of;
use crate::docs::str_at;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

/// One object under review: the admission-request-shaped review and the object the match applies to.
#[derive(Debug, Clone, PartialEq)]
pub struct Review {
    /// `input.review`.
    pub review: Value,
    /// The object `spec.match` is checked against (`object`, or `oldObject` for a DELETE).
    pub object: Value,
}

impl Review {
    /// Builds the review of a document: an `AdmissionReview`'s `request` as is, otherwise a CREATE of the
    /// bare object (as `gator` does).
    pub fn of(doc: &Value) -> Review {
        if str_at(doc, &["kind"]) == "AdmissionReview"
            && let Some(request) = doc.get("request").filter(|r| r.is_object())
        {
            {
                let object = request
                    .get("object")
                    .filter(|o| o.is_object())
                    .or_else(|| request.get("oldObject").filter(|o| o.is_object()))
                    .cloned()
                    .unwrap_or(Value::Null);
                return Review {
                    review: request.clone(),
                    object,
                };
            }
        }
        let api_version = str_at(doc, &["apiVersion"]);
        let version = api_version.rsplit('/').next().unwrap_or("");
        let mut review = Map::new();
        review.insert(
            "kind".into(),
            json!({"group": group_of(api_version), "version": version, "kind": str_at(doc, &["kind"])}),
        );
        review.insert("name".into(), json!(str_at(doc, &["metadata", "name"])));
        let ns = str_at(doc, &["metadata", "namespace"]);
        if !ns.is_empty() {
            review.insert("namespace".into(), json!(ns));
        }
        review.insert("operation".into(), json!("CREATE"));
        review.insert("userInfo".into(), json!({}));
        review.insert("object".into(), doc.clone());
        Review {
            review: Value::Object(review),
            object: doc.clone(),
        }
    }

    /// The namespace the reviewed object lives in ("" for cluster-scoped objects).
    pub fn namespace(&self) -> &str {
        str_at(&self.object, &["metadata", "namespace"])
    }
}

/// Objects already in the cluster, in Gatekeeper's `data.inventory` shape:
/// `cluster[groupVersion][kind][name]` and `namespace[ns][groupVersion][kind][name]`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Inventory {
    cluster: ByGroupVersion,
    namespaced: BTreeMap<String, ByGroupVersion>,
}

type ByGroupVersion = BTreeMap<String, BTreeMap<String, BTreeMap<String, Value>>>;

impl Inventory {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds an object (an `AdmissionReview` contributes its `request.object`).
    pub fn add(&mut self, doc: &Value) {
        let obj = if str_at(doc, &["kind"]) == "AdmissionReview" {
            match doc.get("request").and_then(|r| r.get("object")) {
                Some(o) => o,
                None => return,
            }
        } else {
            doc
        };
        let gv = str_at(obj, &["apiVersion"]).to_string();
        let kind = str_at(obj, &["kind"]).to_string();
        let name = str_at(obj, &["metadata", "name"]).to_string();
        let ns = str_at(obj, &["metadata", "namespace"]);
        let root = if ns.is_empty() {
            &mut self.cluster
        } else {
            self.namespaced.entry(ns.to_string()).or_default()
        };
        root.entry(gv)
            .or_default()
            .entry(kind)
            .or_default()
            .insert(name, obj.clone());
    }

    /// The Namespace object called `name`, when it is in the inventory.
    pub fn namespace(&self, name: &str) -> Option<&Value> {
        self.cluster.get("v1")?.get("Namespace")?.get(name)
    }

    /// The inventory as the JSON document placed at `data.inventory`.
    pub fn to_value(&self) -> Value {
        json!({ "cluster": self.cluster, "namespace": self.namespaced })
    }

    pub fn is_empty(&self) -> bool {
        self.cluster.is_empty() && self.namespaced.is_empty()
    }
}

/// Converts JSON documents to the engine's form directly (no intermediate copy), sharing one
/// allocation per distinct object key: Kubernetes objects repeat the same few dozen keys, so an
/// audit's objects hold each key string once. Gives the same values as `regorus::Value::from(json)`.
#[derive(Default)]
pub(crate) struct NativeConverter {
    keys: std::collections::HashMap<String, regorus::Value>,
}

impl NativeConverter {
    pub(crate) fn convert(&mut self, value: &Value) -> regorus::Value {
        use regorus::Value as V;
        match value {
            Value::Null => V::Null,
            Value::Bool(b) => V::from(*b),
            Value::Number(n) => {
                if let Some(u) = n.as_u64() {
                    V::from(u)
                } else if let Some(i) = n.as_i64() {
                    V::from(i)
                } else {
                    V::from(n.as_f64().unwrap_or(f64::NAN))
                }
            }
            Value::String(s) => V::from(s.as_str()),
            Value::Array(items) => {
                V::from(items.iter().map(|v| self.convert(v)).collect::<Vec<V>>())
            }
            Value::Object(map) => V::from(
                map.iter()
                    .map(|(k, v)| (self.key(k), self.convert(v)))
                    .collect::<BTreeMap<V, V>>(),
            ),
        }
    }

    /// The shared value of an object key (or of a string that recurs across objects).
    pub(crate) fn key(&mut self, key: &str) -> regorus::Value {
        if let Some(v) = self.keys.get(key) {
            return v.clone();
        }
        let v = regorus::Value::from(key);
        self.keys.insert(key.to_string(), v.clone());
        v
    }

    /// [`Review::of`]'s `review` in the engine's form. `object` is the document already converted
    /// (shared with `data.inventory`, not copied); an `AdmissionReview` converts its `request`.
    pub(crate) fn review(&mut self, doc: &Value, object: &regorus::Value) -> regorus::Value {
        use regorus::Value as V;
        if str_at(doc, &["kind"]) == "AdmissionReview"
            && let Some(request) = doc.get("request").filter(|r| r.is_object())
        {
            return self.convert(request);
        }
        let api_version = str_at(doc, &["apiVersion"]);
        let version = api_version.rsplit('/').next().unwrap_or("");
        let mut kind = BTreeMap::new();
        kind.insert(self.key("group"), self.key(group_of(api_version)));
        kind.insert(self.key("version"), self.key(version));
        kind.insert(self.key("kind"), self.key(str_at(doc, &["kind"])));
        let mut review = BTreeMap::new();
        review.insert(self.key("kind"), V::from(kind));
        review.insert(
            self.key("name"),
            V::from(str_at(doc, &["metadata", "name"])),
        );
        let ns = str_at(doc, &["metadata", "namespace"]);
        if !ns.is_empty() {
            review.insert(self.key("namespace"), self.key(ns));
        }
        review.insert(self.key("operation"), self.key("CREATE"));
        review.insert(self.key("userInfo"), V::new_object());
        review.insert(self.key("object"), object.clone());
        V::from(review)
    }
}

/// The object [`Inventory::add`] files for a document (an `AdmissionReview`'s `request.object`), if any.
pub(crate) fn inventory_object(doc: &Value) -> Option<&Value> {
    if str_at(doc, &["kind"]) == "AdmissionReview" {
        doc.get("request").and_then(|r| r.get("object"))
    } else {
        Some(doc)
    }
}

/// `data.inventory` in the engine's form, built from objects already converted (shared, not
/// copied), with [`Inventory`]'s shape and overwrite order.
#[derive(Default)]
pub(crate) struct NativeInventory {
    cluster: NativeByGroupVersion,
    namespaced: BTreeMap<String, NativeByGroupVersion>,
}

type NativeByGroupVersion = BTreeMap<String, BTreeMap<String, BTreeMap<String, regorus::Value>>>;

impl NativeInventory {
    /// Files `native` (the conversion of `object`) as [`Inventory::add`] files `object`.
    pub(crate) fn add(&mut self, object: &Value, native: regorus::Value) {
        let ns = str_at(object, &["metadata", "namespace"]);
        let root = if ns.is_empty() {
            &mut self.cluster
        } else {
            self.namespaced.entry(ns.to_string()).or_default()
        };
        root.entry(str_at(object, &["apiVersion"]).to_string())
            .or_default()
            .entry(str_at(object, &["kind"]).to_string())
            .or_default()
            .insert(str_at(object, &["metadata", "name"]).to_string(), native);
    }

    /// The document placed at `data.inventory`.
    pub(crate) fn into_value(self) -> regorus::Value {
        use regorus::Value as V;
        fn level(by_gv: NativeByGroupVersion) -> V {
            V::from(
                by_gv
                    .into_iter()
                    .map(|(gv, kinds)| {
                        let kinds = kinds
                            .into_iter()
                            .map(|(kind, names)| {
                                let names = names
                                    .into_iter()
                                    .map(|(name, obj)| (V::from(name), obj))
                                    .collect::<BTreeMap<V, V>>();
                                (V::from(kind), V::from(names))
                            })
                            .collect::<BTreeMap<V, V>>();
                        (V::from(gv), V::from(kinds))
                    })
                    .collect::<BTreeMap<V, V>>(),
            )
        }
        let namespaced = self
            .namespaced
            .into_iter()
            .map(|(ns, by_gv)| (V::from(ns), level(by_gv)))
            .collect::<BTreeMap<V, V>>();
        let mut root = BTreeMap::new();
        root.insert(V::from("cluster"), level(self.cluster));
        root.insert(V::from("namespace"), V::from(namespaced));
        V::from(root)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn documents() -> Vec<Value> {
        vec![
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "prod",
                "labels": {"env": "prod"}}}),
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web",
                "namespace": "prod", "labels": {"app": "web"}}, "spec": {"replicas": 3,
                "template": {"spec": {"containers": [{"name": "c", "image": "nginx",
                "resources": {"limits": {"cpu": 0.5, "memory": -1}}, "args": [null, true, "x"]}]}}}}),
            json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web",
                "namespace": "prod"}, "spec": {"ports": [{"port": 80}], "selector": {}}}),
            // A later object of the same name replaces the first, as in `Inventory::add`.
            json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web",
                "namespace": "prod"}, "spec": {"ports": [{"port": 8080}]}}),
            json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
                "request": {"operation": "UPDATE", "object": {"apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": "p", "namespace": "dev"}}, "oldObject": {"kind": "Pod"}}}),
            json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
                "request": "not an object"}),
            json!({"kind": "Odd", "metadata": {"name": 7, "namespace": ""}, "big": u64::MAX,
                "neg": i64::MIN, "float": 1.5e300, "empty": {}, "list": []}),
        ]
    }

    #[test]
    fn native_conversion_equals_the_engines_own() {
        let mut conv = NativeConverter::default();
        for doc in documents() {
            let native = conv.convert(&doc);
            assert_eq!(native, regorus::Value::from(doc.clone()), "{doc}");
            let review = Review::of(&doc);
            assert_eq!(
                conv.review(&doc, &native),
                regorus::Value::from(review.review.clone()),
                "review of {doc}"
            );
        }
    }

    #[test]
    fn native_inventory_equals_the_json_one() {
        let mut conv = NativeConverter::default();
        let mut inventory = Inventory::new();
        let mut native = NativeInventory::default();
        for doc in documents() {
            inventory.add(&doc);
            if let Some(obj) = inventory_object(&doc) {
                native.add(obj, conv.convert(obj));
            }
        }
        assert_eq!(
            native.into_value(),
            regorus::Value::from(inventory.to_value())
        );
        assert_eq!(
            NativeInventory::default().into_value(),
            regorus::Value::from(Inventory::new().to_value())
        );
    }
}
