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
