//! Small helpers shared by the checks: typed reads of pod fields and Kubernetes-style message text.

use serde_json::Value;

/// `"a", "b"` as Kubernetes prints lists in forbidden details.
pub(crate) fn join_quote<S: AsRef<str>>(items: &[S]) -> String {
    items
        .iter()
        .map(|s| format!("{:?}", s.as_ref()))
        .collect::<Vec<_>>()
        .join(", ")
}

pub(crate) fn pluralize(singular: &'static str, plural: &'static str, n: usize) -> &'static str {
    if n == 1 { singular } else { plural }
}

/// Sorted, deduplicated copy (Go's `sets.String.List()`).
pub(crate) fn sorted_set(items: Vec<String>) -> Vec<String> {
    let mut v = items;
    v.sort();
    v.dedup();
    v
}

pub(crate) fn get<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter()
        .try_fold(v, |v, k| v.get(*k))
        .filter(|v| !v.is_null())
}

pub(crate) fn get_bool(v: &Value, path: &[&str]) -> Option<bool> {
    get(v, path).and_then(Value::as_bool)
}

pub(crate) fn get_str<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    get(v, path).and_then(Value::as_str)
}

pub(crate) fn get_i64(v: &Value, path: &[&str]) -> Option<i64> {
    get(v, path).and_then(Value::as_i64)
}

pub(crate) fn array<'a>(v: &'a Value, path: &[&str]) -> &'a [Value] {
    get(v, path)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

/// True when the pod declares `spec.os.name: windows`.
pub(crate) fn is_windows(spec: &Value) -> bool {
    get_str(spec, &["os", "name"]) == Some("windows")
}

/// `hostUsers: false`: the pod runs in a user namespace.
pub(crate) fn in_user_namespace(spec: &Value) -> bool {
    get_bool(spec, &["hostUsers"]) == Some(false)
}

/// "pod and containers \"a\"", "pod", or "containers \"a\"" — how details name the offenders.
pub(crate) fn pod_and_containers(pod_bad: bool, containers: &[String], conj: &str) -> String {
    let named = if containers.is_empty() {
        String::new()
    } else {
        format!(
            "{} {}",
            pluralize("container", "containers", containers.len()),
            join_quote(containers)
        )
    };
    match (pod_bad, named.is_empty()) {
        (true, true) => "pod".to_string(),
        (true, false) => format!("pod {conj} {named}"),
        (false, _) => named,
    }
}
