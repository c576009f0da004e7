//! The commands audits use, computed from the node instead of executed: `ps`, `grep`, `cat`,
//! `stat`, `test`/`[`, `echo`, `find`, `xargs`, `awk '{print $N}'`, `sed s///`, `uniq`, `head`,
//! `tail`, `wc -l`, `true`, and `sh -c`.

use super::Unsupported;
use super::exec::{MAX_OUTPUT, Out, Shell, push_bounded};
use super::parse::Script;
use crate::node::Node;
use regex::Regex;

/// Command names the interpreter implements.
pub const SUPPORTED: [&str; 19] = [
    "ps", "grep", "cat", "stat", "test", "[", "echo", "find", "xargs", "awk", "sed", "uniq",
    "head", "tail", "wc", "true", "sh", "bash", ":",
];

const MAX_FIND_ENTRIES: usize = 10_000;
const MAX_FIND_DEPTH: usize = 32;

/// `/usr/bin/stat` → `stat`.
pub fn base_name(cmd: &str) -> &str {
    cmd.rsplit('/').next().unwrap_or(cmd)
}

fn unsupported(what: String) -> Unsupported {
    Unsupported(what)
}

/// Runs one command.
pub fn run(
    sh: &mut Shell<'_>,
    argv: &[String],
    stdin: &str,
    nested: &[(String, Script)],
) -> Result<Out, Unsupported> {
    let name = base_name(&argv[0]);
    let args = &argv[1..];
    match name {
        "ps" => ps(sh.node, args),
        "grep" => grep(sh.node, args, stdin),
        "cat" => Ok(cat(sh.node, args, stdin)),
        "stat" => stat(sh.node, args),
        "test" => test(sh.node, args).map(status_out),
        "[" => match args.split_last() {
            Some((last, rest)) if last == "]" => test(sh.node, rest).map(status_out),
            _ => Err(unsupported("`[` without `]`".into())),
        },
        "echo" => Ok(echo(args)),
        "find" => find(sh.node, args),
        "xargs" => xargs(sh, args, stdin, nested),
        "awk" => awk(args, stdin),
        "sed" => sed(args, stdin),
        "uniq" if args.is_empty() => Ok(Out::ok(uniq(stdin))),
        "head" | "tail" => head_tail(name, args, stdin),
        "wc" if args == ["-l"] => Ok(Out::ok(format!("{}\n", stdin.lines().count()))),
        "true" | ":" => Ok(Out::ok(String::new())),
        "sh" | "bash" => match argv {
            [_, c, script] if c == "-c" => sh.run_nested(script, nested, stdin),
            _ => Err(unsupported("`sh` other than `sh -c SCRIPT`".into())),
        },
        other => Err(unsupported(format!("`{other} {}`", args.join(" ")))),
    }
}

fn status_out(ok: bool) -> Out {
    Out {
        status: i32::from(!ok),
        ..Out::default()
    }
}

fn ps_line(p: &crate::node::Process) -> String {
    format!("root {:>7} 1 0 00:00 ? 00:00:00 {}\n", p.pid, p.cmdline)
}

fn ps(node: &Node, args: &[String]) -> Result<Out, Unsupported> {
    let header = "UID PID PPID C STIME TTY TIME CMD\n".to_string();
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    let names: Option<Vec<&str>> = match a.as_slice() {
        ["-ef"] | ["-e", "-f"] => None,
        // A multi-word binary (`hyperkube kubelet`) leaves its later words behind; `-C` selects by the
        // first.
        ["-fC", n, ..] | ["-f", "-C", n, ..] => Some(n.split(',').collect()),
        _ => return Err(unsupported(format!("`ps {}`", args.join(" ")))),
    };
    let mut out = header;
    let mut found = false;
    for p in node.processes() {
        if names.as_ref().is_none_or(|n| n.contains(&p.comm.as_str())) {
            out.push_str(&ps_line(p));
            found = true;
        }
    }
    Ok(Out {
        stdout: out,
        stderr: String::new(),
        status: i32::from(names.is_some() && !found),
    })
}

/// Translates a POSIX basic regular expression into Rust regex syntax.
pub fn bre_to_regex(bre: &str) -> String {
    let mut out = String::new();
    let mut chars = bre.chars().peekable();
    let mut in_class = false;
    while let Some(c) = chars.next() {
        if in_class {
            if c == ']' {
                in_class = false;
            }
            if c == '\\' || (c == '[' && chars.peek() != Some(&':')) {
                out.push('\\');
            }
            out.push(c);
            continue;
        }
        match c {
            '\\' => match chars.next() {
                Some(n @ ('(' | ')' | '{' | '}' | '|' | '+' | '?')) => out.push(n),
                Some(n) if n.is_ascii_digit() => {
                    out.push('\\');
                    out.push(n);
                }
                Some(n) => {
                    out.push('\\');
                    out.push(n);
                }
                None => out.push_str("\\\\"),
            },
            '(' | ')' | '{' | '}' | '|' | '+' | '?' => {
                out.push('\\');
                out.push(c);
            }
            '[' => {
                in_class = true;
                out.push('[');
                if chars.peek() == Some(&'^') {
                    out.push('^');
                    chars.next();
                }
                if chars.peek() == Some(&']') {
                    out.push_str("\\]");
                    chars.next();
                }
            }
            _ => out.push(c),
        }
    }
    out
}

fn compile(pattern: &str, extended: bool, fixed: bool, icase: bool) -> Result<Regex, Unsupported> {
    let body = if fixed {
        regex::escape(pattern)
    } else if extended {
        pattern.to_string()
    } else {
        bre_to_regex(pattern)
    };
    regex::RegexBuilder::new(&body)
        .case_insensitive(icase)
        .size_limit(1 << 20)
        .build()
        .map_err(|_| unsupported(format!("regular expression {pattern:?}")))
}

fn grep(node: &Node, args: &[String], stdin: &str) -> Result<Out, Unsupported> {
    let (mut invert, mut extended, mut fixed, mut icase, mut only, mut quiet) =
        (false, false, false, false, false, false);
    let mut pattern: Option<&str> = None;
    let mut after = 0usize;
    let mut files = Vec::new();
    let mut i = 0;
    let mut opts_done = false;
    while i < args.len() {
        let a = args[i].as_str();
        if !opts_done && a.starts_with('-') && a.len() > 1 {
            if a == "--" {
                opts_done = true;
            } else if a == "-e" {
                i += 1;
                pattern = args.get(i).map(String::as_str);
            } else if let Some(n) = a.strip_prefix("-A") {
                let n = if n.is_empty() {
                    i += 1;
                    args.get(i).map(String::as_str).unwrap_or("")
                } else {
                    n
                };
                after = n
                    .parse()
                    .map_err(|_| unsupported(format!("`grep -A {n}`")))?;
            } else {
                for f in a[1..].chars() {
                    match f {
                        'v' => invert = true,
                        'E' => extended = true,
                        'F' => fixed = true,
                        'i' => icase = true,
                        'o' => only = true,
                        'q' => quiet = true,
                        _ => return Err(unsupported(format!("`grep {a}`"))),
                    }
                }
            }
        } else if pattern.is_none() {
            pattern = Some(a);
        } else {
            files.push(a);
        }
        i += 1;
    }
    let mut errors = String::new();
    let mut input = String::new();
    for f in &files {
        let budget = MAX_OUTPUT.saturating_sub(input.len()) as u64;
        match node.read(f, budget) {
            Ok(text) if !node.is_dir(f) => input.push_str(&text),
            _ => errors.push_str(&format!("grep: {f}: No such file or directory\n")),
        }
    }
    let stdin = if files.is_empty() {
        stdin
    } else {
        input.as_str()
    };
    let pattern = pattern.ok_or_else(|| unsupported("`grep` without a pattern".into()))?;
    let re = compile(pattern, extended, fixed, icase)?;
    let mut out = String::new();
    let mut selected = false;
    // Lines still to print after a match (`-A`), and the last line printed (for `--` separators).
    let mut trailing = 0usize;
    let mut last_printed: Option<usize> = None;
    for (n, line) in stdin.lines().enumerate() {
        let hit = re.is_match(line);
        if hit == invert && trailing > 0 {
            trailing -= 1;
            out.push_str(line);
            out.push('\n');
            last_printed = Some(n);
            continue;
        }
        if hit != invert {
            selected = true;
            if after > 0 {
                if last_printed.is_some_and(|l| l + 1 < n) {
                    out.push_str("--\n");
                }
                trailing = after;
                last_printed = Some(n);
            }
            if only && !invert {
                for m in re.find_iter(line).filter(|m| !m.as_str().is_empty()) {
                    out.push_str(m.as_str());
                    out.push('\n');
                }
            } else {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    if quiet {
        out.clear();
    }
    let status = if !errors.is_empty() {
        2
    } else {
        i32::from(!selected)
    };
    Ok(Out {
        stdout: out,
        stderr: errors,
        status,
    })
}

fn cat(node: &Node, args: &[String], stdin: &str) -> Out {
    if args.is_empty() {
        return Out::ok(stdin.to_string());
    }
    let mut out = Out::default();
    for f in args {
        if node.is_dir(f) {
            out.stderr.push_str(&format!("cat: {f}: Is a directory\n"));
            out.status = 1;
            continue;
        }
        let budget = MAX_OUTPUT.saturating_sub(out.stdout.len()) as u64;
        match node.read(f, budget) {
            Ok(text) => out.stdout.push_str(&text),
            Err(_) => {
                out.stderr
                    .push_str(&format!("cat: {f}: No such file or directory\n"));
                out.status = 1;
            }
        }
    }
    out
}

fn stat(node: &Node, args: &[String]) -> Result<Out, Unsupported> {
    let (format, files) = match args {
        [c, fmt, files @ ..] if c == "-c" => (fmt.as_str(), files),
        [f, files @ ..] if f.starts_with("--format=") => (&f["--format=".len()..], files),
        _ => return Err(unsupported(format!("`stat {}`", args.join(" ")))),
    };
    if files.is_empty() {
        return Ok(Out::fail("stat: missing operand\n".into(), 1));
    }
    let mut out = Out::default();
    for f in files {
        match node.stat(f) {
            Some(facts) => {
                out.stdout.push_str(&render_stat(format, f, &facts)?);
                out.stdout.push('\n');
            }
            None => {
                out.stderr.push_str(&format!(
                    "stat: cannot statx '{f}': No such file or directory\n"
                ));
                out.status = 1;
            }
        }
    }
    Ok(out)
}

fn render_stat(
    format: &str,
    file: &str,
    facts: &crate::node::FileFacts,
) -> Result<String, Unsupported> {
    let mut s = String::new();
    let mut chars = format.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            s.push(c);
            continue;
        }
        match chars.next() {
            Some('a') => s.push_str(&format!("{:o}", facts.mode)),
            Some('U') => s.push_str(&facts.user),
            Some('G') => s.push_str(&facts.group),
            Some('n') => s.push_str(file),
            Some('%') => s.push('%'),
            other => {
                return Err(unsupported(format!(
                    "stat format %{}",
                    other.unwrap_or(' ')
                )));
            }
        }
    }
    Ok(s)
}

/// `test` expressions: `-e/-f/-d/-s FILE`, `-z/-n STR`, `A = B`, `A != B`, integer comparisons, `!`.
fn test(node: &Node, args: &[String]) -> Result<bool, Unsupported> {
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    match a.as_slice() {
        [] => Ok(false),
        [s] => Ok(!s.is_empty()),
        ["!", rest @ ..] => test(
            node,
            &rest.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
        )
        .map(|b| !b),
        [op, x] => match *op {
            "-e" => Ok(node.exists(x)),
            "-f" => Ok(node.exists(x) && !node.is_dir(x)),
            "-d" => Ok(node.is_dir(x)),
            "-s" => Ok(node.stat(x).is_some() && node.read(x, 1).is_ok_and(|t| !t.is_empty())),
            "-z" => Ok(x.is_empty()),
            "-n" => Ok(!x.is_empty()),
            _ => Err(unsupported(format!("`test {op}`"))),
        },
        [x, op, y] => match *op {
            "=" | "==" => Ok(x == y),
            "!=" => Ok(x != y),
            "-eq" | "-ne" | "-gt" | "-ge" | "-lt" | "-le" => {
                let (Ok(l), Ok(r)) = (x.trim().parse::<i64>(), y.trim().parse::<i64>()) else {
                    return Ok(false);
                };
                Ok(match *op {
                    "-eq" => l == r,
                    "-ne" => l != r,
                    "-gt" => l > r,
                    "-ge" => l >= r,
                    "-lt" => l < r,
                    _ => l <= r,
                })
            }
            _ => Err(unsupported(format!("`test … {op} …`"))),
        },
        _ => Err(unsupported(format!("`test {}`", args.join(" ")))),
    }
}

fn echo(args: &[String]) -> Out {
    match args.split_first() {
        Some((n, rest)) if n == "-n" => Out::ok(rest.join(" ")),
        _ => Out::ok(format!("{}\n", args.join(" "))),
    }
}

/// Shell glob of one pattern against the node (wildcards in the last component only).
pub fn glob(node: &Node, pattern: &str) -> Vec<String> {
    let (dir, name) = match pattern.rsplit_once('/') {
        Some((d, n)) => (if d.is_empty() { "/" } else { d }, n),
        None => return Vec::new(),
    };
    if dir.contains(['*', '?']) {
        return Vec::new();
    }
    node.list_dir(dir)
        .into_iter()
        .filter(|p| {
            let base = p.rsplit('/').next().unwrap_or("");
            !base.starts_with('.') && wildcard_match(name, base)
        })
        .map(|p| {
            if dir == "/" {
                p.replacen("//", "/", 1)
            } else {
                p
            }
        })
        .collect()
}

/// `*` and `?` matching (find's `-name`, shell globs).
pub fn wildcard_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

#[derive(Debug)]
enum Pred {
    Name(String, bool),
    Type(bool, bool),
}

fn find(node: &Node, args: &[String]) -> Result<Out, Unsupported> {
    let mut roots = Vec::new();
    let mut preds = Vec::new();
    let (mut min_depth, mut max_depth) = (0usize, MAX_FIND_DEPTH);
    let mut i = 0;
    while i < args.len() && !args[i].starts_with('-') && args[i] != "!" {
        roots.push(args[i].clone());
        i += 1;
    }
    let mut negate = false;
    while i < args.len() {
        let a = args[i].as_str();
        let val = args.get(i + 1);
        match (a, val) {
            ("!" | "-not", _) => {
                negate = !negate;
                i += 1;
                continue;
            }
            ("-name", Some(v)) => preds.push(Pred::Name(v.clone(), negate)),
            ("-type", Some(v)) if v == "f" || v == "d" => preds.push(Pred::Type(v == "d", negate)),
            ("-mindepth", Some(v)) => {
                min_depth = v
                    .parse()
                    .map_err(|_| unsupported("find -mindepth".into()))?
            }
            ("-maxdepth", Some(v)) => {
                max_depth = v
                    .parse()
                    .map_err(|_| unsupported("find -maxdepth".into()))?
            }
            _ => return Err(unsupported(format!("`find … {a}`"))),
        }
        negate = false;
        i += 2;
    }
    let mut out = Out::default();
    for root in roots {
        if node.stat(&root).is_none() {
            out.stderr
                .push_str(&format!("find: '{root}': No such file or directory\n"));
            out.status = 1;
            continue;
        }
        let mut stack = vec![(root.trim_end_matches('/').to_string(), 0usize)];
        let mut seen = 0;
        while let Some((path, depth)) = stack.pop() {
            seen += 1;
            if seen > MAX_FIND_ENTRIES {
                break;
            }
            let facts = node.stat(&path);
            let is_dir = facts.as_ref().is_some_and(|f| f.is_dir);
            let base = path.rsplit('/').next().unwrap_or(&path);
            let keep = depth >= min_depth
                && preds.iter().all(|p| match p {
                    Pred::Name(pat, neg) => wildcard_match(pat, base) != *neg,
                    Pred::Type(dir, neg) => (is_dir == *dir) != *neg,
                });
            if keep {
                out.stdout.push_str(&path);
                out.stdout.push('\n');
            }
            if is_dir && depth < max_depth {
                let mut children = node.list_dir(&path);
                children.reverse();
                stack.extend(children.into_iter().map(|c| (c, depth + 1)));
            }
        }
    }
    Ok(out)
}

fn xargs(
    sh: &mut Shell<'_>,
    args: &[String],
    stdin: &str,
    nested: &[(String, Script)],
) -> Result<Out, Unsupported> {
    let mut no_run_if_empty = false;
    let mut replace: Option<String> = None;
    let mut i = 0;
    while i < args.len() && args[i].starts_with('-') {
        match args[i].as_str() {
            "-r" | "--no-run-if-empty" => no_run_if_empty = true,
            a if a.starts_with("-I") => replace = Some(a[2..].to_string()),
            a => return Err(unsupported(format!("`xargs {a}`"))),
        }
        i += 1;
    }
    let cmd = &args[i..];
    let mut out = Out::default();
    if let Some(token) = replace {
        for line in stdin.lines().filter(|l| !l.trim().is_empty()) {
            let argv: Vec<String> = cmd.iter().map(|a| a.replace(&token, line.trim())).collect();
            let o = run(sh, &argv, "", nested)?;
            push_bounded(&mut out.stdout, &o.stdout);
            push_bounded(&mut out.stderr, &o.stderr);
            if o.status != 0 {
                out.status = 123;
            }
        }
        return Ok(out);
    }
    let items: Vec<String> = stdin.split_whitespace().map(str::to_string).collect();
    if items.is_empty() && no_run_if_empty {
        return Ok(out);
    }
    let mut argv = cmd.to_vec();
    argv.extend(items);
    let o = run(sh, &argv, "", nested)?;
    Ok(Out {
        status: if o.status != 0 { 123 } else { 0 },
        ..o
    })
}

fn awk(args: &[String], stdin: &str) -> Result<Out, Unsupported> {
    let (sep, program) = match args {
        [p] => (None, p.as_str()),
        [f, s, p] if f == "-F" => (Some(s.as_str()), p.as_str()),
        [f, p] if f.starts_with("-F") => (Some(&f[2..]), p.as_str()),
        _ => return Err(unsupported(format!("`awk {}`", args.join(" ")))),
    };
    let field: usize = program
        .trim()
        .strip_prefix('{')
        .and_then(|p| p.strip_suffix('}'))
        .and_then(|p| p.trim().strip_prefix("print $"))
        .and_then(|n| n.trim().parse().ok())
        .ok_or_else(|| unsupported(format!("awk program {program:?}")))?;
    let mut out = String::new();
    for line in stdin.lines() {
        let value = match sep {
            Some(s) if s != " " => {
                if field == 0 {
                    Some(line)
                } else {
                    line.split(s).nth(field - 1)
                }
            }
            _ => {
                if field == 0 {
                    Some(line)
                } else {
                    line.split_whitespace().nth(field - 1)
                }
            }
        };
        out.push_str(value.unwrap_or(""));
        out.push('\n');
    }
    Ok(Out::ok(out))
}

fn sed(args: &[String], stdin: &str) -> Result<Out, Unsupported> {
    let [script] = args else {
        return Err(unsupported(format!("`sed {}`", args.join(" "))));
    };
    let bad = || unsupported(format!("sed script {script:?}"));
    let mut chars = script.chars();
    if chars.next() != Some('s') {
        return Err(bad());
    }
    let delim = chars.next().ok_or_else(bad)?;
    let rest: String = chars.collect();
    let parts: Vec<&str> = rest.split(delim).collect();
    let [re, repl, flags] = parts.as_slice() else {
        return Err(bad());
    };
    let global = match *flags {
        "" => false,
        "g" => true,
        _ => return Err(bad()),
    };
    let re = compile(re, false, false, false)?;
    let repl = sed_replacement(repl);
    let mut out = String::new();
    for line in stdin.lines() {
        let replaced = if global {
            re.replace_all(line, repl.as_str())
        } else {
            re.replace(line, repl.as_str())
        };
        out.push_str(&replaced);
        out.push('\n');
    }
    Ok(Out::ok(out))
}

fn sed_replacement(repl: &str) -> String {
    let mut out = String::new();
    let mut chars = repl.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(d) if d.is_ascii_digit() => out.push_str(&format!("${{{d}}}")),
                Some(o) => out.push(o),
                None => {}
            },
            '&' => out.push_str("${0}"),
            '$' => out.push_str("$$"),
            _ => out.push(c),
        }
    }
    out
}

fn uniq(stdin: &str) -> String {
    let mut out = String::new();
    let mut last: Option<&str> = None;
    for line in stdin.lines() {
        if last != Some(line) {
            out.push_str(line);
            out.push('\n');
        }
        last = Some(line);
    }
    out
}

fn head_tail(name: &str, args: &[String], stdin: &str) -> Result<Out, Unsupported> {
    let n: usize = match args {
        [] => 10,
        [n] if n.starts_with("-n") && n.len() > 2 => n[2..]
            .parse()
            .map_err(|_| unsupported(format!("`{name} {n}`")))?,
        [f, n] if f == "-n" => n
            .parse()
            .map_err(|_| unsupported(format!("`{name} -n {n}`")))?,
        [n] if n.starts_with('-') => n[1..]
            .parse()
            .map_err(|_| unsupported(format!("`{name} {n}`")))?,
        _ => return Err(unsupported(format!("`{name} {}`", args.join(" ")))),
    };
    let lines: Vec<&str> = stdin.lines().collect();
    let chosen = if name == "head" {
        &lines[..n.min(lines.len())]
    } else {
        &lines[lines.len().saturating_sub(n)..]
    };
    let mut out = String::new();
    for l in chosen {
        out.push_str(l);
        out.push('\n');
    }
    Ok(Out::ok(out))
}
