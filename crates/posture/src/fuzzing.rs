//! Entry points for fuzz targets (the workspace's `fuzz/` crate wires them to cargo-fuzz). Each takes
//! arbitrary bytes and must never panic, hang or allocate without bound.

use crate::gatekeeper::{ConstraintTemplate, Inventory, PolicySet, Review};
use crate::rego::{Limits, Program, RegoSource};
use serde_json::json;
use std::time::Duration;

fn limits() -> Limits {
    Limits {
        eval_time: Duration::from_millis(50),
        max_module_bytes: 64 * 1024,
        ..Limits::default()
    }
}

fn sample_pod() -> serde_json::Value {
    json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "default",
        "labels": {"app": "x"}}, "spec": {"containers": [{"name": "c", "image": "nginx"}]}})
}

/// A ConstraintTemplate document: parse, compile, and review a sample Pod.
pub fn fuzz_constraint_template(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(docs) = crate::docs::parse_documents("fuzz.yaml", text) else {
        return;
    };
    for doc in docs {
        if let Ok(mut t) = ConstraintTemplate::from_document("fuzz.yaml", text, &doc, limits()) {
            let review = Review::of(&sample_pod());
            let _ = t.set_inventory(&Inventory::new().to_value());
            let _ = t.evaluate(&review.review, &json!({}));
        }
    }
}

/// A Rego module: compile, then evaluate its `violation` and `deny` rules on a sample Pod.
pub fn fuzz_rego_module(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok((mut p, packages)) = Program::compile(&[RegoSource::file("fuzz.rego", text)], limits())
    else {
        return;
    };
    for pkg in packages {
        let _ = p.eval(
            &format!("{pkg}.violation"),
            json!({"review": {"object": sample_pod()}}),
        );
        let _ = p.eval(&format!("{pkg}.deny"), json!([sample_pod()]));
    }
}

/// A stream of Kubernetes documents (constraints and objects): match and review them against a small
/// fixed template.
pub fn fuzz_constraint_match(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(docs) = crate::docs::parse_documents("fuzz.yaml", text) else {
        return;
    };
    let template = json!({"apiVersion": "templates.gatekeeper.sh/v1", "kind": "ConstraintTemplate",
        "metadata": {"name": "k8sfuzz"}, "spec": {"crd": {"spec": {"names": {"kind": "K8sFuzz"}}},
        "targets": [{"target": "admission.k8s.gatekeeper.sh",
            "rego": "package k8sfuzz\nviolation[{\"msg\": \"m\"}] { input.review.object.metadata.name }\n"}]}});
    let Ok(t) = ConstraintTemplate::from_document("fuzz", "", &template, limits()) else {
        return;
    };
    let mut set = PolicySet {
        templates: vec![t],
        constraints: Vec::new(),
        prefer_cel: false,
    };
    for d in &docs {
        if let Ok(c) = crate::gatekeeper::Constraint::from_document("fuzz", d) {
            set.constraints.push(c);
        }
    }
    let locations = vec![None; docs.len()];
    let _ = set.audit(&docs, &locations);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fuzz_entry_points_survive_odd_input() {
        for input in [
            &b""[..],
            b"\xff\xfe",
            b"kind: ConstraintTemplate\n",
            b"package x\nviolation[{}] {",
            b"- [a, {b: *c}]",
        ] {
            fuzz_constraint_template(input);
            fuzz_rego_module(input);
            fuzz_constraint_match(input);
        }
        fuzz_constraint_match(b"apiVersion: constraints.gatekeeper.sh/v1beta1\nkind: K8sFuzz\nmetadata: {name: c}\nspec: {match: {namespaceSelector: {matchLabels: {a: b}}}}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: n}\n");
    }
}
