//! Kubernetes label selectors: equality maps (Service `spec.selector`) and `LabelSelector`s
//! (`matchLabels` + `matchExpressions`, as in NetworkPolicy `podSelector`).

use serde_json::Value;

/// Labels of a pod template (`metadata.labels`) as a JSON object, or `None`.
pub(crate) fn labels_of(metadata: &Value) -> Option<&serde_json::Map<String, Value>> {
    metadata.get("labels").and_then(Value::as_object)
}

fn label<'a>(labels: Option<&'a serde_json::Map<String, Value>>, key: &str) -> Option<&'a str> {
    labels.and_then(|l| l.get(key)).and_then(Value::as_str)
}

/// A Service-style equality selector. An empty or missing selector selects nothing.
pub(crate) fn equality_matches(
    selector: Option<&Value>,
    labels: Option<&serde_json::Map<String, Value>>,
) -> bool {
    let Some(sel) = selector
        .and_then(Value::as_object)
        .filter(|m| !m.is_empty())
    else {
        return false;
    };
    sel.iter()
        .all(|(k, v)| v.as_str().is_some_and(|v| label(labels, k) == Some(v)))
}

/// A `LabelSelector`. An empty (or missing) selector selects everything; an unknown operator or a
/// malformed expression selects nothing.
pub(crate) fn label_selector_matches(
    selector: Option<&Value>,
    labels: Option<&serde_json::Map<String, Value>>,
) -> bool {
    let Some(sel) = selector.filter(|v| !v.is_null()) else {
        return true;
    };
    if let Some(ml) = sel.get("matchLabels").and_then(Value::as_object)
        && !ml
            .iter()
            .all(|(k, v)| v.as_str().is_some_and(|v| label(labels, k) == Some(v)))
    {
        return false;
    }
    let exprs = sel
        .get("matchExpressions")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    exprs.iter().all(|e| expression_matches(e, labels))
}

fn expression_matches(e: &Value, labels: Option<&serde_json::Map<String, Value>>) -> bool {
    let key = e.get("key").and_then(Value::as_str).unwrap_or("");
    let values: Vec<&str> = e
        .get("values")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let actual = label(labels, key);
    match e.get("operator").and_then(Value::as_str).unwrap_or("") {
        "In" => actual.is_some_and(|a| values.contains(&a)),
        "NotIn" => actual.is_none_or(|a| !values.contains(&a)),
        "Exists" => actual.is_some(),
        "DoesNotExist" => actual.is_none(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn selectors() {
        let labels = json!({"app": "web", "tier": "front"});
        let l = labels.as_object();
        assert!(equality_matches(Some(&json!({"app": "web"})), l));
        assert!(!equality_matches(Some(&json!({})), l));
        assert!(label_selector_matches(Some(&json!({})), l));
        assert!(label_selector_matches(
            Some(
                &json!({"matchExpressions": [{"key": "tier", "operator": "In", "values": ["front"]}]})
            ),
            l
        ));
        assert!(!label_selector_matches(
            Some(&json!({"matchLabels": {"app": "db"}})),
            l
        ));
        assert!(label_selector_matches(
            Some(&json!({"matchExpressions": [{"key": "x", "operator": "DoesNotExist"}]})),
            l
        ));
    }
}
