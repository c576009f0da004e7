//! Join hoisting for referential Rego: a rule body that iterates `data.inventory` and keeps the entries
//! whose computed key equals a value from the input (`other := data.inventory…; k := f(other);
//! input_key == k`) costs one pass over the inventory per review, quadratic over an audit. The
//! input-independent statements are moved into a generated rule, evaluated once per inventory into an
//! index keyed by `k`, and the body looks its key up instead:
//!
//! ```text
//! rampart_join_0__[[k, [other, msg]]] { other := data.inventory…; k := f(other); msg := … }
//! violation[…] { …; rampart_t0__ := data.rampart_join__.j0[input_key][_]; other = rampart_t0__[0]; … }
//! ```
//!
//! A body is a conjunction, so splitting it this way keeps its solutions. The rewrite is
//! conservative: a statement is hoisted only when nothing in it (transitively, through the package's
//! functions) reads `input`, a rule, an import or data outside `data.inventory`; removed statements
//! become `true` and the lookup stays on the join's line, so line numbers do not move. The caller
//! falls back to the original module when the rewrite does not compile.

use std::collections::{BTreeSet, HashMap, HashSet};

/// The data key under which the indexes live (`data.rampart_join__.jN`).
pub(crate) const INDEX_ROOT: &str = "rampart_join__";

/// A rewritten module and the generated rules whose values become indexes.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Rewrite {
    pub text: String,
    /// For each join: the generated rule's name (in the module's package) and its index name.
    pub joins: Vec<(String, String)>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Ident,
    Str,
    Num,
    Punct,
    Newline,
}

#[derive(Debug, Clone, Copy)]
struct Tok<'a> {
    kind: Kind,
    text: &'a str,
    start: usize,
    end: usize,
}

/// Splits Rego into tokens (comments dropped, newlines kept).
fn tokenize(src: &str) -> Option<Vec<Tok<'_>>> {
    let b = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let start = i;
        let kind = match c {
            b'\n' => {
                i += 1;
                Kind::Newline
            }
            b' ' | b'\t' | b'\r' => {
                i += 1;
                continue;
            }
            b'#' => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'"' => {
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    if b[i] == b'\n' {
                        return None;
                    }
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
                Kind::Str
            }
            b'`' => {
                i += 1;
                while i < b.len() && b[i] != b'`' {
                    i += 1;
                }
                i += 1;
                Kind::Str
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                    i += 1;
                }
                Kind::Ident
            }
            c if c.is_ascii_digit() => {
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'.') {
                    i += 1;
                }
                Kind::Num
            }
            _ => {
                let two = src.get(i..i + 2).unwrap_or("");
                i += if [":=", "==", "!=", "<=", ">="].contains(&two) {
                    2
                } else {
                    1
                };
                Kind::Punct
            }
        };
        let end = i.min(b.len());
        out.push(Tok {
            kind,
            text: src.get(start..end)?,
            start,
            end,
        });
    }
    Some(out)
}

const KEYWORDS: &[&str] = &[
    "not", "some", "every", "in", "if", "contains", "else", "default", "as", "with", "true",
    "false", "null", "package", "import",
];

/// Builtins whose value is not a function of their arguments.
const IMPURE: &[&str] = &[
    "http.send",
    "time.now_ns",
    "rand.intn",
    "uuid.rfc4122",
    "opa.runtime",
    "trace",
    "print",
    "net.lookup_ip_addr",
];

/// What a run of tokens reads.
#[derive(Debug, Default)]
struct Reads {
    vars: BTreeSet<String>,
    /// Reads something that may depend on the input (or is not understood).
    tainted: bool,
    inventory: bool,
    /// Local functions called.
    calls: Vec<String>,
}

/// The module's rules and imports, for classifying names.
struct Module<'a> {
    rules: HashSet<&'a str>,
    imports: HashSet<&'a str>,
}

fn reads(toks: &[Tok<'_>], m: &Module<'_>) -> Reads {
    let mut r = Reads::default();
    let mut i = 0;
    while i < toks.len() {
        let t = toks[i];
        if t.kind != Kind::Ident || (i > 0 && toks[i - 1].text == ".") {
            i += 1;
            continue;
        }
        // the dotted chain `a.b.c`
        let mut j = i + 1;
        while j + 1 < toks.len() && toks[j].text == "." && toks[j + 1].kind == Kind::Ident {
            j += 2;
        }
        let chain: Vec<&str> = toks[i..j].iter().step_by(2).map(|t| t.text).collect();
        let call = toks.get(j).is_some_and(|t| t.text == "(");
        let root = chain[0];
        if call {
            let name = chain.join(".");
            if root == "data" || m.imports.contains(root) || IMPURE.contains(&name.as_str()) {
                r.tainted = true;
            } else if chain.len() == 1 && m.rules.contains(root) {
                r.calls.push(root.to_string());
            }
        } else if ["some", "every", "with", "input"].contains(&root) {
            r.tainted = true;
        } else if root == "data" {
            if chain.get(1) == Some(&"inventory") {
                r.inventory = true;
            } else {
                r.tainted = true;
            }
        } else if m.rules.contains(root) || m.imports.contains(root) {
            r.tainted = true;
        } else if !KEYWORDS.contains(&root) && root != "_" {
            r.vars.insert(root.to_string());
        }
        i = j;
    }
    r
}

/// One top-level item: a rule definition (head, bodies, else branches), import or package.
struct Item<'a> {
    name: &'a str,
    toks: std::ops::Range<usize>,
}

fn items<'a>(toks: &[Tok<'a>]) -> Vec<Item<'a>> {
    let mut out: Vec<Item<'a>> = Vec::new();
    let mut depth = 0i32;
    let mut line_start = true;
    for (i, t) in toks.iter().enumerate() {
        let starts_item = t.kind == Kind::Ident
            && (!KEYWORDS.contains(&t.text) || ["default", "package", "import"].contains(&t.text));
        if depth == 0 && line_start && starts_item {
            if let Some(last) = out.last_mut() {
                last.toks.end = i;
            }
            let name = if t.text == "default" {
                toks.get(i + 1).map_or("", |t| t.text)
            } else {
                t.text
            };
            out.push(Item {
                name,
                toks: i..toks.len(),
            });
        }
        match t.text {
            "(" | "[" | "{" => depth += 1,
            ")" | "]" | "}" => depth -= 1,
            _ => {}
        }
        line_start = t.kind == Kind::Newline;
    }
    out
}

/// Local functions whose value depends only on their arguments and `data.inventory`.
fn pure_functions<'a>(toks: &[Tok<'a>], items: &[Item<'a>], m: &Module<'a>) -> HashSet<&'a str> {
    let mut by_name: HashMap<&str, (bool, Vec<String>)> = HashMap::new();
    for it in items {
        let body = &toks[it.toks.clone()];
        let is_function = body.get(1).is_some_and(|t| t.text == "(");
        let entry = by_name.entry(it.name).or_insert((true, Vec::new()));
        // `some`/`every` inside a function are local to it; only what it reads matters.
        let r = reads_in_function(body, m);
        entry.0 &= is_function && !r.tainted;
        entry.1.extend(r.calls);
    }
    let mut pure: HashSet<&str> = by_name
        .iter()
        .filter(|(_, (ok, _))| *ok)
        .map(|(n, _)| *n)
        .collect();
    // A function is pure when every local function it calls is.
    loop {
        let before = pure.clone();
        pure.retain(|n| {
            by_name
                .get(n)
                .is_some_and(|(_, calls)| calls.iter().all(|c| before.contains(c.as_str())))
        });
        if pure.len() == before.len() {
            return pure;
        }
    }
}

fn reads_in_function(toks: &[Tok<'_>], m: &Module<'_>) -> Reads {
    let filtered: Vec<Tok<'_>> = toks
        .iter()
        .copied()
        .filter(|t| !(t.kind == Kind::Ident && (t.text == "some" || t.text == "every")))
        .collect();
    reads(&filtered, m)
}

/// A replacement of the module's bytes `start..end`.
type Edit = (usize, usize, String);

/// One statement of a body: its token range and what it reads.
struct Stmt {
    toks: std::ops::Range<usize>,
    reads: Reads,
    /// `v := …` / `v = …`: the variable it defines.
    defines: Option<String>,
    clean: bool,
}

/// Whether a module would see through the indexes: it reads `data` as a whole (`data[x]`, bare
/// `data`), where the indexes show, or replaces part of it (`with data.inventory as …`, as unit tests
/// do), which the indexes, built from the data as set, would not follow.
pub(crate) fn defeats_indexes(src: &str) -> bool {
    let Some(toks) = tokenize(src) else {
        return true;
    };
    toks.iter().enumerate().any(|(i, t)| {
        let after_dot = i > 0 && toks[i - 1].text == ".";
        let whole = t.text == "data" && !after_dot && toks.get(i + 1).is_none_or(|n| n.text != ".");
        let with = t.text == "with" && toks.get(i + 1).is_some_and(|n| n.text == "data");
        whole || with
    })
}

/// Rewrites every body of `src` that joins the inventory with the input. `first` numbers the indexes.
pub(crate) fn hoist_joins(src: &str, first: usize) -> Option<Rewrite> {
    if !src.contains("data.inventory") {
        return None;
    }
    let toks = tokenize(src)?;
    // Names of ours already in use: leave the module alone.
    if defeats_indexes(src) || toks.iter().any(|t| t.text.starts_with("rampart_")) {
        return None;
    }
    let items = items(&toks);
    let mut m = Module {
        rules: HashSet::new(),
        imports: HashSet::new(),
    };
    for it in &items {
        match it.name {
            "package" => {}
            "import" => {
                let t = &toks[it.toks.clone()];
                let path: Vec<&str> = t
                    .iter()
                    .filter(|t| t.kind == Kind::Ident)
                    .map(|t| t.text)
                    .collect();
                if path.get(1) == Some(&"future") || path.get(1) == Some(&"rego") {
                    continue;
                }
                if let Some(alias) = path.last() {
                    m.imports.insert(alias);
                }
            }
            name => {
                m.rules.insert(name);
            }
        }
    }
    let v1 = src.contains("rego.v1");
    let pure = pure_functions(&toks, &items, &m);
    let mut edits: Vec<Edit> = Vec::new();
    let mut generated = String::new();
    let mut joins = Vec::new();
    for it in items
        .iter()
        .filter(|it| !["package", "import", "default"].contains(&toks[it.toks.start].text))
    {
        for body in bodies(&toks, it.toks.clone()) {
            let n = first + joins.len();
            if let Some((rule, edit)) =
                hoist_body(src, &toks, it.toks.clone(), body, &m, &pure, n, v1)
            {
                generated.push_str(&rule);
                edits.extend(edit);
                joins.push((format!("rampart_join_{n}__"), format!("j{n}")));
            }
        }
    }
    if joins.is_empty() {
        return None;
    }
    edits.sort_by_key(|e| std::cmp::Reverse(e.0));
    let mut text = src.to_string();
    for (start, end, with) in edits {
        text.replace_range(start..end, &with);
    }
    text.push('\n');
    text.push_str(&generated);
    Some(Rewrite { text, joins })
}

/// The token ranges (inside the braces) of an item's bodies.
fn bodies(toks: &[Tok<'_>], item: std::ops::Range<usize>) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut open = None;
    for i in item {
        match toks[i].text {
            "{" if depth == 0 => {
                let prev = if i > 0 { toks[i - 1].text } else { "" };
                let value = [":=", "=", ",", ":", "(", "[", "{", "contains"].contains(&prev);
                if !value {
                    open = Some(i + 1);
                }
                depth += 1;
            }
            "(" | "[" | "{" => depth += 1,
            "}" if depth == 1 => {
                depth = 0;
                if let Some(start) = open.take() {
                    out.push(start..i);
                }
            }
            ")" | "]" | "}" => depth -= 1,
            _ => {}
        }
    }
    out
}

/// Splits a body into statements at newlines and `;` outside brackets.
fn statements(toks: &[Tok<'_>], body: std::ops::Range<usize>) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut start = body.start;
    for i in body.clone() {
        match toks[i].text {
            "(" | "[" | "{" => depth += 1,
            ")" | "]" | "}" => depth -= 1,
            _ => {}
        }
        if depth == 0 && (toks[i].kind == Kind::Newline || toks[i].text == ";") {
            if start < i {
                out.push(start..i);
            }
            start = i + 1;
        }
    }
    if start < body.end {
        out.push(start..body.end);
    }
    out
}

/// The position of a depth-0 operator in a statement.
fn top_level(toks: &[Tok<'_>], range: std::ops::Range<usize>, ops: &[&str]) -> Option<usize> {
    let mut depth = 0i32;
    for i in range {
        match toks[i].text {
            "(" | "[" | "{" => depth += 1,
            ")" | "]" | "}" => depth -= 1,
            op if depth == 0 && toks[i].kind == Kind::Punct && ops.contains(&op) => return Some(i),
            _ => {}
        }
    }
    None
}

/// Hoists one body: the generated rule's text and the edits to the module.
#[allow(clippy::too_many_arguments)]
fn hoist_body(
    src: &str,
    toks: &[Tok<'_>],
    item: std::ops::Range<usize>,
    body: std::ops::Range<usize>,
    m: &Module<'_>,
    pure: &HashSet<&str>,
    n: usize,
    v1: bool,
) -> Option<(String, Vec<Edit>)> {
    let stmts: Vec<Stmt> = statements(toks, body.clone())
        .into_iter()
        .map(|range| {
            let reads = reads(&toks[range.clone()], m);
            let clean = !reads.tainted && reads.calls.iter().all(|c| pure.contains(c.as_str()));
            let defines = top_level(toks, range.clone(), &[":=", "="])
                .filter(|&op| op == range.start + 1 && toks[range.start].kind == Kind::Ident)
                .map(|_| toks[range.start].text.to_string());
            Stmt {
                toks: range,
                reads,
                defines,
                clean,
            }
        })
        .collect();
    // The hoisted statements: inventory reads, then what they alone determine.
    let mut hoisted: Vec<bool> = stmts.iter().map(|s| s.clean && s.reads.inventory).collect();
    if !hoisted.iter().any(|h| *h) {
        return None;
    }
    let mut hvars: BTreeSet<String> = BTreeSet::new();
    loop {
        for (s, h) in stmts.iter().zip(&hoisted) {
            if *h {
                hvars.extend(s.reads.vars.iter().cloned());
            }
        }
        let mut grew = false;
        for (s, h) in stmts.iter().zip(hoisted.iter_mut()) {
            if *h || !s.clean || s.reads.vars.is_empty() {
                continue;
            }
            let known = s
                .reads
                .vars
                .iter()
                .all(|v| hvars.contains(v) || s.defines.as_deref() == Some(v.as_str()));
            if known {
                *h = true;
                grew = true;
            }
        }
        if !grew {
            break;
        }
    }
    // The join: `a == b` / `a = b` left in the body, `a` hoisted, `b` not.
    let (ji, key, probe) = stmts.iter().enumerate().find_map(|(i, s)| {
        if hoisted[i] {
            return None;
        }
        let op = top_level(toks, s.toks.clone(), &["==", "="])?;
        let sides = [s.toks.start..op, op + 1..s.toks.end];
        for (a, b) in [(&sides[0], &sides[1]), (&sides[1], &sides[0])] {
            let single = a.len() == 1 && toks[a.start].kind == Kind::Ident;
            if !single || !hvars.contains(toks[a.start].text) || b.is_empty() {
                continue;
            }
            let rb = reads(&toks[b.clone()], m);
            let literal = ["[", "{"].contains(&toks[b.start].text);
            if rb.vars.iter().any(|v| hvars.contains(v)) || rb.inventory || literal {
                continue;
            }
            return Some((i, toks[a.start].text, b.clone()));
        }
        None
    })?;
    // Variables the rest of the rule (head, other statements, else branches) still needs.
    let mut rest = Vec::new();
    let mut i = item.start;
    for (si, s) in stmts.iter().enumerate() {
        if hoisted[si] || si == ji {
            rest.extend_from_slice(&toks[i..s.toks.start]);
            i = s.toks.end;
        }
    }
    rest.extend_from_slice(&toks[i..item.end]);
    let needed = reads(&rest, m).vars;
    let tuple: Vec<&String> = hvars.iter().filter(|v| needed.contains(*v)).collect();
    let span = |r: &std::ops::Range<usize>| toks[r.start].start..toks[r.end - 1].end;
    let mut hoisted_text = Vec::new();
    let mut edits = Vec::new();
    for (s, h) in stmts.iter().zip(&hoisted) {
        if *h {
            let text = &src[span(&s.toks)];
            hoisted_text.push(text.to_string());
            let lines = text.matches('\n').count();
            let r = span(&s.toks);
            edits.push((r.start, r.end, format!("true{}", "\n".repeat(lines))));
        }
    }
    let t = format!("rampart_t{n}__");
    let mut lookup = format!("{t} := data.{INDEX_ROOT}.j{n}[{}][_]", &src[span(&probe)]);
    for (k, v) in tuple.iter().enumerate() {
        lookup.push_str(&format!("; {v} = {t}[{k}]"));
    }
    let r = span(&stmts[ji].toks);
    if src[r.clone()].contains('\n') {
        lookup.push_str(&"\n".repeat(src[r.clone()].matches('\n').count()));
    }
    edits.push((r.start, r.end, lookup));
    let head = format!(
        "[{key}, [{}]]",
        tuple
            .iter()
            .map(|v| v.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
    let rule = if v1 {
        format!(
            "rampart_join_{n}__ contains {head} if {{\n{}\n}}\n",
            hoisted_text.join("\n")
        )
    } else {
        format!(
            "rampart_join_{n}__[{head}] {{\n{}\n}}\n",
            hoisted_text.join("\n")
        )
    };
    Some((rule, edits))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rego::{Limits, Program, RegoSource};
    use serde_json::{Value, json};

    /// The shape of Gatekeeper's `k8suniqueserviceselector`: a join of the input's selector with every
    /// Service's in the inventory.
    const UNIQUE_SELECTOR: &str = r#"package uniq

make_apiversion(kind) = apiVersion {
  g := kind.group
  v := kind.version
  g != ""
  apiVersion = sprintf("%v/%v", [g, v])
}

make_apiversion(kind) = apiVersion {
  kind.group == ""
  apiVersion = kind.version
}

identical(obj, review) {
  obj.metadata.namespace == review.namespace
  obj.metadata.name == review.name
  obj.kind == review.kind.kind
  obj.apiVersion == make_apiversion(review.kind)
}

flatten_selector(obj) = flattened {
  selectors := [s | s = concat(":", [key, val]); val = obj.spec.selector[key]]
  flattened := concat(",", sort(selectors))
}

violation[{"msg": msg}] {
  input.review.kind.kind == "Service"
  input_selector := flatten_selector(input.review.object)
  other := data.inventory.namespace[namespace][_]["Service"][name]
  not identical(other, input.review)
  other_selector := flatten_selector(other)
  input_selector == other_selector
  msg := sprintf("same selector as service <%v> in namespace <%v>", [name, namespace])
}

allowed(name) {
  data.inventory.cluster["v1"]["Namespace"][name]
  input.parameters.allowed[_] == name
}

violation[{"msg": "namespace not allowed"}] {
  not allowed(input.review.namespace)
}
"#;

    fn service(ns: &str, name: &str, app: &str) -> Value {
        json!({"apiVersion": "v1", "kind": "Service",
               "metadata": {"name": name, "namespace": ns},
               "spec": {"selector": {"app": app}}})
    }

    fn inventory(services: &[Value]) -> Value {
        let mut namespaced = serde_json::Map::new();
        for s in services {
            let ns = s["metadata"]["namespace"].as_str().unwrap_or_default();
            let name = s["metadata"]["name"].as_str().unwrap_or_default();
            namespaced
                .entry(ns)
                .or_insert_with(|| json!({"v1": {"Service": {}}}))["v1"]["Service"][name] =
                s.clone();
        }
        json!({"inventory": {
            "cluster": {"v1": {"Namespace": {"a": {}, "b": {}}}},
            "namespace": namespaced,
        }})
    }

    #[test]
    fn hoists_the_inventory_join_and_keeps_lines() {
        let r = hoist_joins(UNIQUE_SELECTOR, 0).expect("rewritten");
        assert_eq!(r.joins.len(), 2, "{}", r.text);
        let original_lines = UNIQUE_SELECTOR.lines().count();
        let body: Vec<&str> = r.text.lines().take(original_lines).collect();
        assert!(
            body.iter().any(|l| l.contains(
                "rampart_t0__ := data.rampart_join__.j0[input_selector][_]; msg = rampart_t0__[0]; other = rampart_t0__[1]"
            )),
            "{}",
            r.text
        );
        // Every line that was not hoisted is where it was.
        for (before, after) in UNIQUE_SELECTOR.lines().zip(&body) {
            assert!(before == *after || after.trim() == "true" || after.contains("rampart_t"));
        }
        assert!(
            r.text
                .contains("rampart_join_0__[[other_selector, [msg, other]]] {")
        );
    }

    #[test]
    fn leaves_modules_without_a_join_alone() {
        assert!(hoist_joins("package p\nviolation[{\"msg\": \"x\"}] { input.a }\n", 0).is_none());
        // the inventory read depends on the input: nothing to hoist
        let src = "package p\nviolation[{\"msg\": m}] {\n  o := data.inventory.cluster[input.k][_]\n  m := o.x\n}\n";
        assert!(hoist_joins(src, 0).is_none());
        // a whole-`data` read would see the index
        let src = "package p\nviolation[{\"msg\": m}] {\n  o := data.inventory.cluster[k]\n  input.k == k\n  m := data[\"x\"]\n}\n";
        assert!(hoist_joins(src, 0).is_none());
        assert!(defeats_indexes(
            "package t\ntest_x { data.p.v with data.inventory as {} }\n"
        ));
    }

    #[test]
    fn hoisted_join_gives_the_same_violations_as_the_original() {
        let modules = [RegoSource::file("uniq.rego", UNIQUE_SELECTOR)];
        let (mut hoisted, _) = Program::compile(&modules, Limits::default()).expect("compiles");
        let (mut plain, _) =
            Program::compile_with(&modules, Limits::default(), false).expect("compiles");
        assert!(!hoisted.joins.is_empty() && plain.joins.is_empty());
        let services = [
            service("a", "one", "x"),
            service("a", "two", "x"),
            service("b", "three", "x"),
            service("b", "four", "y"),
            service("b", "five", "z"),
        ];
        let mut found = 0;
        for data in [inventory(&services), inventory(&services[..1]), json!({})] {
            hoisted.set_data(data.clone()).expect("data");
            plain.set_data(data).expect("data");
            let mut reviews: Vec<Value> = services.to_vec();
            reviews.push(service("c", "new", "y"));
            reviews
                .push(json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}));
            for object in reviews {
                let review = json!({
                    "kind": {"group": "", "version": "v1", "kind": object["kind"]},
                    "name": object["metadata"]["name"],
                    "namespace": object["metadata"]["namespace"],
                    "object": object,
                });
                for parameters in [json!({}), json!({"allowed": ["a"]})] {
                    let input = json!({"review": review, "parameters": parameters});
                    let want = plain
                        .eval("data.uniq.violation", input.clone())
                        .expect("eval");
                    let got = hoisted.eval("data.uniq.violation", input).expect("eval");
                    assert_eq!(got, want);
                    found += got.as_array().map_or(0, Vec::len);
                }
            }
        }
        // Both joins fired: duplicate selectors and namespaces outside the allowed list.
        assert!(found > 10, "{found}");
    }
}
