//! The subset of Kubernetes JSONPath templates that kube-bench `path` test items use
//! (`{.a.b}`, `{.a[0]}`, `{.a[*].b}`, `{range .a[:]}{}{','}{end}`), with missing keys allowed and
//! values printed the way Go's `fmt` prints decoded YAML/JSON.

use serde_json::Value;

const MAX_TEMPLATE: usize = 4096;
const MAX_NESTING: usize = 8;

#[derive(Debug, Clone, PartialEq)]
enum Node {
    Text(String),
    Path(Vec<Step>),
    Range(Vec<Step>, Vec<Node>),
}

#[derive(Debug, Clone, PartialEq)]
enum Step {
    Key(String),
    AllKeys,
    Index(i64),
    Slice(Option<i64>, Option<i64>),
}

/// Evaluates `template` against `doc`; a syntax error or unsupported construct is an error.
pub fn execute(template: &str, doc: &Value) -> Result<String, String> {
    if template.len() > MAX_TEMPLATE {
        return Err("path expression too long".into());
    }
    let nodes = parse(template)?;
    let mut out = String::new();
    render(&nodes, doc, &mut out);
    Ok(out)
}

fn parse(template: &str) -> Result<Vec<Node>, String> {
    let mut stack: Vec<(Vec<Step>, Vec<Node>)> = Vec::new();
    let mut current: Vec<Node> = Vec::new();
    let mut rest = template;
    while !rest.is_empty() {
        let Some(open) = rest.find('{') else {
            current.push(Node::Text(rest.to_string()));
            break;
        };
        if open > 0 {
            current.push(Node::Text(rest[..open].to_string()));
        }
        let body_start = open + 1;
        let close = find_close(&rest[body_start..]).ok_or("unclosed action")? + body_start;
        let action = rest[body_start..close].trim();
        rest = &rest[close + 1..];
        if let Some(path) = action.strip_prefix("range ") {
            if stack.len() >= MAX_NESTING {
                return Err("range nested too deeply".into());
            }
            stack.push((parse_path(path.trim())?, std::mem::take(&mut current)));
        } else if action == "end" {
            let (steps, outer) = stack.pop().ok_or("`end` without `range`")?;
            let body = std::mem::replace(&mut current, outer);
            current.push(Node::Range(steps, body));
        } else if let Some(lit) = quoted(action) {
            current.push(Node::Text(lit));
        } else {
            current.push(Node::Path(parse_path(action)?));
        }
    }
    if !stack.is_empty() {
        return Err("`range` without `end`".into());
    }
    Ok(current)
}

fn find_close(s: &str) -> Option<usize> {
    let mut quote: Option<char> = None;
    for (i, c) in s.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '}') => return Some(i),
            _ => {}
        }
    }
    None
}

fn quoted(action: &str) -> Option<String> {
    let a = action.trim();
    for q in ['\'', '"'] {
        if a.len() >= 2 && a.starts_with(q) && a.ends_with(q) {
            return Some(a[1..a.len() - 1].replace("\\n", "\n").replace("\\t", "\t"));
        }
    }
    None
}

fn parse_path(p: &str) -> Result<Vec<Step>, String> {
    let mut steps = Vec::new();
    let mut rest = p.trim();
    rest = rest.strip_prefix('$').unwrap_or(rest);
    rest = rest.strip_prefix('@').unwrap_or(rest);
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix('.') {
            if r.starts_with('.') {
                return Err("recursive descent is not supported".into());
            }
            let end = r.find(['.', '[']).unwrap_or(r.len());
            let key = &r[..end];
            if key == "*" {
                steps.push(Step::AllKeys);
            } else if !key.is_empty() {
                steps.push(Step::Key(key.to_string()));
            }
            rest = &r[end..];
        } else if let Some(r) = rest.strip_prefix('[') {
            let end = r.find(']').ok_or("unclosed `[`")?;
            steps.push(parse_bracket(r[..end].trim())?);
            rest = &r[end + 1..];
        } else {
            return Err(format!("unrecognized path syntax at {rest:?}"));
        }
    }
    Ok(steps)
}

fn parse_bracket(inner: &str) -> Result<Step, String> {
    if inner == "*" {
        return Ok(Step::AllKeys);
    }
    if let Some(key) = quoted(inner) {
        return Ok(Step::Key(key));
    }
    if inner.starts_with('?') {
        return Err("filters are not supported".into());
    }
    let num = |s: &str| -> Result<Option<i64>, String> {
        let s = s.trim();
        if s.is_empty() {
            Ok(None)
        } else {
            s.parse().map(Some).map_err(|_| format!("bad index {s:?}"))
        }
    };
    match inner.split_once(':') {
        Some((a, b)) => {
            let b = b.split(':').next().unwrap_or("");
            Ok(Step::Slice(num(a)?, num(b)?))
        }
        None => Ok(Step::Index(num(inner)?.ok_or("empty index")?)),
    }
}

fn select<'a>(steps: &[Step], start: &'a Value) -> Vec<&'a Value> {
    let mut values = vec![start];
    for step in steps {
        let mut next = Vec::new();
        for v in values {
            match (step, v) {
                (Step::Key(k), Value::Object(m)) => next.extend(m.get(k)),
                (Step::AllKeys, Value::Object(m)) => next.extend(sorted_values(m)),
                (Step::AllKeys, Value::Array(a)) => next.extend(a.iter()),
                (Step::Index(i), Value::Array(a)) => next.extend(index(a, *i)),
                (Step::Slice(from, to), Value::Array(a)) => next.extend(slice(a, *from, *to)),
                _ => {}
            }
        }
        values = next;
    }
    values
}

fn sorted_values(m: &serde_json::Map<String, Value>) -> Vec<&Value> {
    let mut keys: Vec<&String> = m.keys().collect();
    keys.sort();
    keys.into_iter().filter_map(|k| m.get(k)).collect()
}

fn index(a: &[Value], i: i64) -> Option<&Value> {
    let len = a.len() as i64;
    let i = if i < 0 { len + i } else { i };
    usize::try_from(i).ok().and_then(|i| a.get(i))
}

fn slice(a: &[Value], from: Option<i64>, to: Option<i64>) -> &[Value] {
    let len = a.len() as i64;
    let clamp = |x: i64| -> usize {
        let x = if x < 0 { len + x } else { x };
        x.clamp(0, len) as usize
    };
    let f = clamp(from.unwrap_or(0));
    let t = clamp(to.unwrap_or(len));
    if f >= t { &[] } else { &a[f..t] }
}

fn render(nodes: &[Node], current: &Value, out: &mut String) {
    for node in nodes {
        match node {
            Node::Text(t) => out.push_str(t),
            Node::Path(steps) => {
                let printed: Vec<String> = select(steps, current)
                    .into_iter()
                    .map(go_format)
                    .filter(|s| !s.is_empty())
                    .collect();
                out.push_str(&printed.join(" "));
            }
            Node::Range(steps, body) => {
                for v in select(steps, current) {
                    let items: Vec<&Value> = match v {
                        Value::Array(a) => a.iter().collect(),
                        Value::Object(m) => sorted_values(m),
                        other => vec![other],
                    };
                    for item in items {
                        render(body, item, out);
                    }
                }
            }
        }
    }
}

/// Formats a decoded value as Go's `fmt.Sprint` does for `interface{}` values.
pub fn go_format(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => i.to_string(),
            (_, Some(u), _) => u.to_string(),
            (_, _, Some(f)) if f.fract() == 0.0 && f.abs() < 1e21 => format!("{f:.0}"),
            (_, _, Some(f)) => f.to_string(),
            _ => n.to_string(),
        },
        Value::String(s) => s.clone(),
        Value::Array(a) => {
            let parts: Vec<String> = a.iter().map(go_format).collect();
            format!("[{}]", parts.join(" "))
        }
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            let parts: Vec<String> = keys
                .into_iter()
                .map(|k| format!("{k}:{}", m.get(k).map(go_format).unwrap_or_default()))
                .collect();
            format!("map[{}]", parts.join(" "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn paths_select_and_print() {
        let doc = json!({
            "authentication": {"anonymous": {"enabled": false}, "x509": {"clientCAFile": "/ca.crt"}},
            "authorization": {"mode": "Webhook"},
            "readOnlyPort": 0,
            "tlsCipherSuites": ["A", "B"],
            "peer-transport-security": {"auto-tls": true},
            "resources": [{"providers": [{"aescbc": {"keys": [{"name": "k"}]}}]}],
        });
        let cases = [
            ("{.authentication.anonymous.enabled}", "false"),
            ("{.authorization.mode}", "Webhook"),
            ("{.readOnlyPort}", "0"),
            ("{.missing.key}", ""),
            ("{.peer-transport-security.auto-tls}", "true"),
            ("{range .tlsCipherSuites[:]}{}{','}{end}", "A,B,"),
            ("{.tlsCipherSuites}", "[A B]"),
            ("{.tlsCipherSuites[1]}", "B"),
            ("{.tlsCipherSuites[*]}", "A B"),
            (
                "{.resources[*].providers[*].aescbc.keys[*]}}",
                "map[name:k]}",
            ),
        ];
        for (path, want) in cases {
            assert_eq!(execute(path, &doc).as_deref(), Ok(want), "{path}");
        }
    }

    #[test]
    fn bad_templates_are_errors() {
        let doc = json!({});
        for bad in [
            "{.a",
            "{range .a}",
            "{end}",
            "{..a}",
            "{.a[?(@.x)]}",
            "{foo}",
        ] {
            assert!(execute(bad, &doc).is_err(), "{bad}");
        }
    }
}
