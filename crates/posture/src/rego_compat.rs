//! Rego v0 forms that OPA accepts and regorus does not, rewritten into equivalent forms before compiling.
//!
//! A rule with several bodies, `p { a } { b }`, means `p { a }` plus `p { b }` in OPA v0 (the
//! Gatekeeper library uses it). Each extra body gets the head repeated in front of it, on the same line,
//! so line numbers in errors stay right.

use std::borrow::Cow;

/// The extension that formats an integer in octal the way Go's `%o` does (no prefix).
pub(crate) const OCTAL_FN: &str = "rampart.octal";

/// regorus prints `%o` with a `0O` prefix where OPA (Go) prints bare digits: each `%o` verb of a
/// `sprintf` whose format is a string literal becomes `%s` over `rampart.octal(arg)`. Only inserts
/// text, never newlines.
pub(crate) fn octal_verbs(src: &str) -> Cow<'_, str> {
    if !src.contains("%o") {
        return Cow::Borrowed(src);
    }
    let bytes = src.as_bytes();
    let mut out = String::with_capacity(src.len() + 64);
    let mut copied = 0;
    let mut search = 0;
    while let Some(found) = src[search..].find("sprintf(") {
        let call = search + found + "sprintf(".len();
        search = call;
        let lit_start = skip_ws(bytes, call);
        if bytes.get(lit_start) != Some(&b'"') {
            continue;
        }
        let lit_end = string_end(bytes, lit_start);
        let literal = &src[lit_start..lit_end];
        let (rewritten, octal) = rewrite_format(literal);
        if octal.is_empty() {
            continue;
        }
        let comma = skip_ws(bytes, lit_end);
        if bytes.get(comma) != Some(&b',') {
            continue;
        }
        let open = skip_ws(bytes, comma + 1);
        if bytes.get(open) != Some(&b'[') {
            continue;
        }
        let Some(elements) = array_elements(bytes, open) else {
            continue;
        };
        if octal.iter().any(|&k| k >= elements.len()) {
            continue;
        }
        out.push_str(&src[copied..lit_start]);
        out.push_str(&rewritten);
        let mut pos = lit_end;
        for (k, (start, end)) in elements.iter().enumerate() {
            if octal.contains(&k) {
                out.push_str(&src[pos..*start]);
                out.push_str(OCTAL_FN);
                out.push('(');
                out.push_str(&src[*start..*end]);
                out.push(')');
                pos = *end;
            }
        }
        copied = pos;
        search = pos;
    }
    if copied == 0 {
        return Cow::Borrowed(src);
    }
    out.push_str(&src[copied..]);
    Cow::Owned(out)
}

fn skip_ws(bytes: &[u8], mut i: usize) -> usize {
    while i < bytes.len() && bytes[i].is_ascii_whitespace() {
        i += 1;
    }
    i
}

/// The format literal with `%o` verbs turned into `%s`, and the argument indices of those verbs.
fn rewrite_format(literal: &str) -> (String, Vec<usize>) {
    let mut out = String::with_capacity(literal.len());
    let mut octal = Vec::new();
    let mut arg = 0;
    let mut chars = literal.char_indices().peekable();
    while let Some((_, c)) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut spec = String::from("%");
        while let Some(&(_, n)) = chars.peek() {
            chars.next();
            spec.push(n);
            if n.is_ascii_alphabetic() || n == '%' {
                break;
            }
        }
        match spec.chars().last() {
            Some('%') => out.push_str(&spec),
            Some('o') => {
                octal.push(arg);
                arg += 1;
                out.push_str("%s");
            }
            _ => {
                arg += 1;
                out.push_str(&spec);
            }
        }
    }
    (out, octal)
}

/// Spans (trimmed) of the top-level elements of the array literal opening at `open`.
fn array_elements(bytes: &[u8], open: usize) -> Option<Vec<(usize, usize)>> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut start = open + 1;
    let mut i = open + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'"' | b'`' => {
                i = string_end(bytes, i);
                continue;
            }
            b'[' | b'{' | b'(' => depth += 1,
            b']' if depth == 0 => {
                let (s, e) = trim_span(bytes, start, i);
                if s < e {
                    out.push((s, e));
                }
                return Some(out);
            }
            b']' | b'}' | b')' => depth -= 1,
            b',' if depth == 0 => {
                out.push(trim_span(bytes, start, i));
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    None
}

fn trim_span(bytes: &[u8], mut s: usize, mut e: usize) -> (usize, usize) {
    while s < e && bytes[s].is_ascii_whitespace() {
        s += 1;
    }
    while e > s && bytes[e - 1].is_ascii_whitespace() {
        e -= 1;
    }
    (s, e)
}

/// Gives a value to body-less function facts: `f("v1.20.10")` (OPA: a function defined true for that
/// argument) becomes `f("v1.20.10") = true`. Only top-level, one-line statements are touched.
pub(crate) fn complete_function_facts(src: &str) -> Cow<'_, str> {
    let lines: Vec<&str> = src.split('\n').collect();
    let mut changed = false;
    let mut out = Vec::with_capacity(lines.len());
    for (i, line) in lines.iter().enumerate() {
        let next = lines[i + 1..]
            .iter()
            .map(|l| l.trim())
            .find(|l| !l.is_empty() && !l.starts_with('#'))
            .unwrap_or("");
        let continues = ["{", "if", "else", "=", ":="]
            .iter()
            .any(|p| next.starts_with(p));
        if is_function_fact(line) && !continues {
            out.push(format!("{} = true", line.trim_end()));
            changed = true;
        } else {
            out.push((*line).to_string());
        }
    }
    if changed {
        Cow::Owned(out.join("\n"))
    } else {
        Cow::Borrowed(src)
    }
}

/// `name(args)` alone at the start of a line, with balanced parentheses closing at the end.
fn is_function_fact(line: &str) -> bool {
    let t = line.trim_end();
    let Some(open) = t.find('(') else {
        return false;
    };
    let name = &t[..open];
    let ident = !name.is_empty()
        && name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.');
    if !ident || !t.ends_with(')') || ["package", "import", "default", "not"].contains(&name) {
        return false;
    }
    let mut depth = 0i32;
    let mut in_str = false;
    let mut prev = ' ';
    for (i, c) in t.char_indices().skip(open) {
        match c {
            '"' if prev != '\\' => in_str = !in_str,
            '(' if !in_str => depth += 1,
            ')' if !in_str => {
                depth -= 1;
                if depth == 0 {
                    return i + 1 == t.len();
                }
            }
            _ => {}
        }
        prev = c;
    }
    false
}

/// Repeats the rule head before each extra body of a multi-body rule.
pub(crate) fn expand_multi_body(src: &str) -> Cow<'_, str> {
    let bytes = src.as_bytes();
    let mut out = String::with_capacity(src.len());
    let mut depth: i64 = 0;
    let mut head_start: Option<usize> = None;
    let mut head: Option<String> = None;
    let mut line_start = true;
    // Whether the brace open at depth 0 is a rule body (not a value after `=`/`:=`), and whether the
    // last one closed was.
    let mut open_is_body = false;
    let mut closed_body = false;
    let mut i = 0;
    let mut changed = false;
    while i < bytes.len() {
        let c = bytes[i];
        match c {
            b'#' => {
                let end = src[i..].find('\n').map(|n| i + n).unwrap_or(src.len());
                out.push_str(&src[i..end]);
                i = end;
                continue;
            }
            b'"' | b'`' => {
                let end = string_end(bytes, i);
                out.push_str(&src[i..end]);
                i = end;
                line_start = false;
                continue;
            }
            b'\n' => line_start = true,
            b' ' | b'\t' | b'\r' => {}
            _ => {
                if depth == 0
                    && line_start
                    && c != b'}'
                    && c != b'{'
                    && !src[i..].starts_with("else")
                {
                    head_start = Some(i);
                    head = None;
                }
                line_start = false;
            }
        }
        match c {
            b'{' | b'[' | b'(' => {
                if c == b'{' && depth == 0 {
                    let before = out.trim_end();
                    open_is_body = !before.ends_with('=');
                    if open_is_body && before.ends_with('}') && closed_body {
                        if let Some(h) = &head {
                            out.push_str(h);
                            changed = true;
                        }
                    } else if let (true, Some(start), None) = (open_is_body, head_start, &head) {
                        head = Some(src[start..i].replace(['\n', '\r'], " "));
                    }
                }
                depth += 1;
            }
            b'}' | b']' | b')' => {
                if c == b'}' && depth == 1 {
                    closed_body = open_is_body;
                }
                depth = (depth - 1).max(0);
            }
            _ => {}
        }
        let ch_len = src[i..].chars().next().map(char::len_utf8).unwrap_or(1);
        out.push_str(&src[i..i + ch_len]);
        i += ch_len;
    }
    if changed {
        Cow::Owned(out)
    } else {
        Cow::Borrowed(src)
    }
}

/// Index just past the string literal starting at `start` (`"…"` with escapes, or a raw `` `…` ``).
fn string_end(bytes: &[u8], start: usize) -> usize {
    let quote = bytes[start];
    let mut i = start + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if quote == b'"' => i += 2,
            b if b == quote => return i + 1,
            b'\n' if quote == b'"' => return i,
            _ => i += 1,
        }
    }
    bytes.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeats_head_for_each_body() {
        let src = "package x\n\nviolation[{\"msg\": msg}] {\n  a\n  msg := \"}{\"\n} {\n  b\n}\n";
        let out = expand_multi_body(src);
        assert_eq!(out.matches("violation[{\"msg\": msg}]").count(), 2);
        assert_eq!(out.lines().count(), src.lines().count());
        assert!(out.contains("} violation[{\"msg\": msg}] {"));
    }

    #[test]
    fn completes_function_facts() {
        let src = "package x\nf(v) if {\n  v == 1\n}\n\nf(\"v1.2\")\n\ng(x) = y {\n  y := x\n}\n";
        let out = complete_function_facts(src);
        assert!(out.contains("f(\"v1.2\") = true\n"), "{out}");
        assert!(!out.contains("g(x) = y = true"));
    }

    #[test]
    fn octal_verbs_become_octal_calls() {
        let src = "x := sprintf(\n  \"%s is %o, not %d%% %o\",\n  [a.b, perms, f(1, 2), 8])\n";
        let out = octal_verbs(src);
        assert_eq!(
            out,
            "x := sprintf(\n  \"%s is %s, not %d%% %s\",\n  [a.b, rampart.octal(perms), f(1, 2), rampart.octal(8)])\n"
        );
    }

    #[test]
    fn leaves_ordinary_rules_alone() {
        let src = "package x\np := {\"a\": 1}\nq { p.a == 1 }\nr { true } else = false { true }\nf(x) = {\"a\": x} {\n  x\n}\n";
        assert!(matches!(expand_multi_body(src), Cow::Borrowed(_)));
    }

    proptest::proptest! {
        #[test]
        fn rewrites_never_panic_and_keep_lines(src in "(?s).{0,300}") {
            for out in [expand_multi_body(&src), complete_function_facts(&src), octal_verbs(&src)] {
                proptest::prop_assert_eq!(out.lines().count(), src.lines().count());
            }
        }

        #[test]
        fn rewrites_survive_rego_like_text(src in "[a-z_(){}\\[\\]\"%o ,=:\n#`\\\\é]{0,200}") {
            let _ = expand_multi_body(&src);
            let _ = complete_function_facts(&src);
            let _ = octal_verbs(&src);
        }
    }
}
