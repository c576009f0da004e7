//! `data "aws_iam_policy_document"`: rendered to the JSON policy its `json` attribute holds, so IAM checks
//! read one format whether a policy was written inline, with `jsonencode`, or with this data source.

use super::eval::Scope;
use crate::value::Val;
use hcl::Body;
use std::collections::BTreeMap;

/// Renders the policy document `body` to a JSON string (unknown parts as `"${…}"`).
pub fn render(scope: &Scope<'_>, body: &Body) -> Val {
    let Val::Map(doc) = scope.body(body, &[]) else {
        return Val::unknown();
    };
    let mut statements = Vec::new();
    if let Some(Val::List(stmts)) = doc.get("statement") {
        for s in stmts {
            let Val::Map(s) = s else { continue };
            statements.push(Val::Map(statement(s)));
        }
    } else if doc.contains_key("statement") {
        return Val::unknown();
    }
    let mut out = BTreeMap::new();
    out.insert("Version".to_string(), Val::String("2012-10-17".into()));
    out.insert("Statement".to_string(), Val::List(statements));
    Val::String(Val::Map(out).encode_json().to_string())
}

fn statement(s: &BTreeMap<String, Val>) -> BTreeMap<String, Val> {
    let mut out = BTreeMap::new();
    let effect = s
        .get("effect")
        .cloned()
        .unwrap_or(Val::String("Allow".into()));
    out.insert("Effect".into(), effect);
    for (tf, aws) in [
        ("sid", "Sid"),
        ("actions", "Action"),
        ("not_actions", "NotAction"),
        ("resources", "Resource"),
        ("not_resources", "NotResource"),
    ] {
        if let Some(v) = s.get(tf) {
            out.insert(aws.into(), v.clone());
        }
    }
    for (tf, aws) in [
        ("principals", "Principal"),
        ("not_principals", "NotPrincipal"),
    ] {
        if let Some(Val::List(ps)) = s.get(tf) {
            let mut p: BTreeMap<String, Val> = BTreeMap::new();
            for pr in ps {
                let Val::Map(pr) = pr else { continue };
                let t = pr
                    .get("type")
                    .and_then(Val::to_plain_string)
                    .unwrap_or_default();
                let ids = pr
                    .get("identifiers")
                    .cloned()
                    .unwrap_or(Val::List(Vec::new()));
                p.insert(t, ids);
            }
            out.insert(aws.into(), Val::Map(p));
        }
    }
    if let Some(Val::List(conds)) = s.get("condition") {
        let mut c: BTreeMap<String, Val> = BTreeMap::new();
        for cond in conds {
            let Val::Map(cond) = cond else { continue };
            let test = cond
                .get("test")
                .and_then(Val::to_plain_string)
                .unwrap_or_default();
            let var = cond
                .get("variable")
                .and_then(Val::to_plain_string)
                .unwrap_or_default();
            let values = cond.get("values").cloned().unwrap_or(Val::List(Vec::new()));
            if let Val::Map(m) = c.entry(test).or_insert_with(|| Val::Map(BTreeMap::new())) {
                m.insert(var, values);
            }
        }
        out.insert("Condition".into(), Val::Map(c));
    }
    out
}
