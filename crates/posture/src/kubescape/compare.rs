//! Comparing deny results with a test case's `expected.json` as the regolibrary test runner does:
//! the fields of opa-utils' `RuleResponse` only, `k8sApiObjects` trimmed to `apiVersion`, `kind`,
//! `metadata.name` and `metadata.labels`, empty values equal to absent ones, order-insensitive.

use serde_json::{Map, Value, json};

const STRING_FIELDS: [&str; 4] = ["alertMessage", "ruleStatus", "packagename", "fixCommand"];
const LIST_FIELDS: [&str; 4] = ["failedPaths", "reviewPaths", "deletePaths", "fixPaths"];

/// Whether two lists of rule responses are equal under the runner's rules; `Err` describes the difference.
pub fn compare(actual: &[Value], expected: &[Value]) -> Result<(), String> {
    let mut a: Vec<String> = actual.iter().map(|v| normalize(v).to_string()).collect();
    let mut e: Vec<String> = expected.iter().map(|v| normalize(v).to_string()).collect();
    a.sort();
    e.sort();
    if a == e {
        return Ok(());
    }
    let missing: Vec<&String> = e.iter().filter(|x| !a.contains(x)).collect();
    let extra: Vec<&String> = a.iter().filter(|x| !e.contains(x)).collect();
    Err(format!(
        "{} results, {} expected; missing {missing:?}; unexpected {extra:?}",
        a.len(),
        e.len()
    ))
}

/// A field of a Go struct as `encoding/json` finds it: the exact key, else a case-insensitive match.
fn field<'a>(v: &'a Value, name: &str) -> Option<&'a Value> {
    let obj = v.as_object()?;
    obj.get(name).or_else(|| {
        obj.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    })
}

/// A rule response reduced to what the runner compares.
pub fn normalize(v: &Value) -> Value {
    let mut out = Map::new();
    for f in STRING_FIELDS {
        if let Some(s) = field(v, f)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
        {
            out.insert(f.into(), json!(s));
        }
    }
    for f in LIST_FIELDS {
        if let Some(items) = field(v, f)
            .and_then(Value::as_array)
            .filter(|a| !a.is_empty())
        {
            let items = items.iter().map(|i| {
                if f == "fixPaths" {
                    json!({"path": field(i, "path").map(canonical), "value": field(i, "value").map(canonical)})
                } else {
                    canonical(i)
                }
            });
            out.insert(f.into(), Value::Array(items.collect()));
        }
    }
    if let Some(score) = field(v, "alertScore")
        .and_then(Value::as_f64)
        .filter(|s| *s != 0.0)
    {
        out.insert("alertScore".into(), json!(score));
    }
    let mut object = Map::new();
    let alert = field(v, "alertObject").unwrap_or(&Value::Null);
    if let Some(objs) = field(alert, "k8sApiObjects")
        .and_then(Value::as_array)
        .filter(|a| !a.is_empty())
    {
        object.insert(
            "k8sApiObjects".into(),
            Value::Array(objs.iter().map(trim_object).collect()),
        );
    }
    if let Some(ext) = field(alert, "externalObjects").filter(|x| !is_empty(x)) {
        object.insert("externalObjects".into(), canonical(ext));
    }
    if !object.is_empty() {
        out.insert("alertObject".into(), Value::Object(object));
    }
    Value::Object(out)
}

/// `apiVersion`, `kind`, `metadata.name`, `metadata.labels` of an object.
fn trim_object(o: &Value) -> Value {
    let mut out = Map::new();
    for f in ["apiVersion", "kind"] {
        if let Some(s) = o.get(f).filter(|x| !is_empty(x)) {
            out.insert(f.into(), s.clone());
        }
    }
    let mut meta = Map::new();
    if let Some(n) = o.pointer("/metadata/name").filter(|x| !is_empty(x)) {
        meta.insert("name".into(), n.clone());
    }
    if let Some(l) = o.pointer("/metadata/labels").filter(|x| !is_empty(x)) {
        meta.insert("labels".into(), l.clone());
    }
    if !meta.is_empty() {
        out.insert("metadata".into(), Value::Object(meta));
    }
    Value::Object(out)
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    }
}

/// Numbers as floats (Go decodes every JSON number the same way), everything else as is.
fn canonical(v: &Value) -> Value {
    match v {
        Value::Number(n) => n.as_f64().map(|f| json!(f)).unwrap_or_else(|| v.clone()),
        Value::Array(a) => Value::Array(a.iter().map(canonical).collect()),
        Value::Object(o) => {
            Value::Object(o.iter().map(|(k, v)| (k.clone(), canonical(v))).collect())
        }
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_objects_and_ignores_order_and_empties() {
        let actual = [
            json!({"alertMessage": "m", "fixPaths": [], "alertScore": 7,
            "alertObject": {"k8sApiObjects": [{"apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": "p", "namespace": "x"}, "spec": {}}]}}),
            json!({"alertMessage": "n"}),
        ];
        let expected = [
            json!({"alertMessage": "n", "reviewPaths": null}),
            json!({"alertMessage": "m", "alertScore": 7.0, "ruleStatus": "",
            "alertObject": {"k8sApiObjects": [{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}}]}}),
        ];
        assert!(compare(&actual, &expected).is_ok());
        assert!(compare(&actual[..1], &expected).is_err());
    }
}
