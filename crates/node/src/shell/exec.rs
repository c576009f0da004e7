//! Runs a parsed script against a [`Node`]: expansion (variables, `$(…)`, field splitting, globs),
//! pipelines, conditionals and loops. Nothing here starts a process or writes a file.

use super::Unsupported;
use super::commands;
use super::lex::{Part, Redir, Word};
use super::parse::{Cmd, Script, Simple, Stmt};
use crate::node::Node;
use std::collections::HashMap;

/// Cap on any stream and on the work done by one audit.
pub const MAX_OUTPUT: usize = 1 << 20;
const MAX_STEPS: usize = 100_000;

/// The result of a command: its output streams and exit status.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Out {
    pub stdout: String,
    pub stderr: String,
    pub status: i32,
}

impl Out {
    /// Success with `stdout`.
    pub fn ok(stdout: String) -> Out {
        Out {
            stdout,
            stderr: String::new(),
            status: 0,
        }
    }

    /// Failure with an error message on stderr.
    pub fn fail(stderr: String, status: i32) -> Out {
        Out {
            stdout: String::new(),
            stderr,
            status,
        }
    }

    fn append(&mut self, other: Out) {
        push_bounded(&mut self.stdout, &other.stdout);
        push_bounded(&mut self.stderr, &other.stderr);
        self.status = other.status;
    }
}

pub(crate) fn push_bounded(dst: &mut String, src: &str) {
    let room = MAX_OUTPUT.saturating_sub(dst.len());
    let mut cut = src.len().min(room);
    while !src.is_char_boundary(cut) {
        cut -= 1;
    }
    dst.push_str(&src[..cut]);
}

/// Interpreter state for one audit.
pub struct Shell<'a> {
    pub(crate) node: &'a Node,
    vars: HashMap<String, String>,
    steps: usize,
}

impl<'a> Shell<'a> {
    /// A fresh interpreter over `node`.
    pub fn new(node: &'a Node) -> Shell<'a> {
        Shell {
            node,
            vars: HashMap::new(),
            steps: 0,
        }
    }

    fn tick(&mut self) -> Result<(), Unsupported> {
        self.steps += 1;
        if self.steps > MAX_STEPS {
            return Err(Unsupported("audit does too much work".into()));
        }
        Ok(())
    }

    /// Runs a script with `stdin`.
    pub fn run(&mut self, script: &Script, stdin: &str) -> Result<Out, Unsupported> {
        let mut out = Out::default();
        for stmt in script {
            let o = self.stmt(stmt, stdin)?;
            out.append(o);
        }
        Ok(out)
    }

    fn stmt(&mut self, stmt: &Stmt, stdin: &str) -> Result<Out, Unsupported> {
        self.tick()?;
        match stmt {
            Stmt::Pipeline { negate, cmds } => {
                let mut input = stdin.to_string();
                let mut stderr = String::new();
                let mut last = Out::default();
                for cmd in cmds {
                    last = self.cmd(cmd, &input)?;
                    push_bounded(&mut stderr, &last.stderr);
                    input = std::mem::take(&mut last.stdout);
                }
                let status = match (negate, last.status) {
                    (true, 0) => 1,
                    (true, _) => 0,
                    (false, s) => s,
                };
                Ok(Out {
                    stdout: input,
                    stderr,
                    status,
                })
            }
            Stmt::And(a, b) | Stmt::Or(a, b) => {
                let mut out = self.stmt(a, stdin)?;
                let run_b = matches!(stmt, Stmt::And(..)) == (out.status == 0);
                if run_b {
                    let o = self.stmt(b, stdin)?;
                    out.append(o);
                }
                Ok(out)
            }
        }
    }

    fn cmd(&mut self, cmd: &Cmd, stdin: &str) -> Result<Out, Unsupported> {
        match cmd {
            Cmd::Simple(s) => self.simple(s, stdin),
            Cmd::If {
                branches,
                otherwise,
            } => {
                let mut out = Out::default();
                for (cond, body) in branches {
                    let c = self.run(cond, stdin)?;
                    let ok = c.status == 0;
                    out.append(c);
                    if ok {
                        out.append(self.run(body, stdin)?);
                        return Ok(out);
                    }
                }
                let o = self.run(otherwise, stdin)?;
                let status = o.status;
                out.append(o);
                out.status = if otherwise.is_empty() { 0 } else { status };
                Ok(out)
            }
            Cmd::For { var, words, body } => {
                let mut items = Vec::new();
                for w in words {
                    items.extend(self.expand(w, &[])?);
                }
                let mut out = Out::default();
                for item in items {
                    self.vars.insert(var.clone(), item);
                    let o = self.run(body, stdin)?;
                    out.append(o);
                }
                Ok(out)
            }
        }
    }

    fn simple(&mut self, s: &Simple, stdin: &str) -> Result<Out, Unsupported> {
        let mut status = 0;
        let mut assigned = Vec::new();
        for (name, word) in &s.assigns {
            let (value, st) = self.expand_single(word, &s.nested)?;
            status = st;
            assigned.push((name.clone(), value));
        }
        if s.words.is_empty() {
            self.vars.extend(assigned);
            return Ok(Out {
                status,
                ..Out::default()
            });
        }
        let mut argv = Vec::new();
        for w in &s.words {
            argv.extend(self.expand(w, &s.nested)?);
        }
        let mut out = if argv.is_empty() {
            Out::default()
        } else {
            commands::run(self, &argv, stdin, &s.nested)?
        };
        for r in &s.redirs {
            match r {
                Redir::DiscardStdout => out.stdout.clear(),
                Redir::DiscardStderr => out.stderr.clear(),
                Redir::StderrToStdout => {
                    let e = std::mem::take(&mut out.stderr);
                    push_bounded(&mut out.stdout, &e);
                }
            }
        }
        Ok(out)
    }

    /// Runs the nested script parsed for `text`.
    pub(crate) fn run_nested(
        &mut self,
        text: &str,
        nested: &[(String, Script)],
        stdin: &str,
    ) -> Result<Out, Unsupported> {
        let script = match nested.iter().find(|(t, _)| t == text) {
            Some((_, s)) => s.clone(),
            None => super::parse::parse(text)?,
        };
        self.run(&script, stdin)
    }

    /// Expands a word without field splitting or globbing (assignments); returns the status of the
    /// last command substitution.
    fn expand_single(
        &mut self,
        word: &Word,
        nested: &[(String, Script)],
    ) -> Result<(String, i32), Unsupported> {
        let mut s = String::new();
        let mut status = 0;
        for p in &word.0 {
            match p {
                Part::Lit(t) | Part::Quoted(t) => s.push_str(t),
                Part::Var { name, default, .. } => s.push_str(&self.var(name, default.as_deref())),
                Part::Subst { script, .. } => {
                    let o = self.substitute(script, nested)?;
                    status = o.1;
                    s.push_str(&o.0);
                }
            }
        }
        Ok((s, status))
    }

    fn var(&self, name: &str, default: Option<&str>) -> String {
        match (self.vars.get(name), default) {
            (Some(v), _) if !v.is_empty() => v.clone(),
            (_, Some(d)) => d.to_string(),
            (v, None) => v.cloned().unwrap_or_default(),
        }
    }

    fn substitute(
        &mut self,
        script: &str,
        nested: &[(String, Script)],
    ) -> Result<(String, i32), Unsupported> {
        // Inner substitutions were parsed with the enclosing command; re-parse here (cheap, bounded).
        let parsed = match nested.iter().find(|(t, _)| t == script) {
            Some((_, s)) => s.clone(),
            None => super::parse::parse(script)?,
        };
        let o = self.run(&parsed, "")?;
        Ok((o.stdout.trim_end_matches('\n').to_string(), o.status))
    }

    /// Expands a word into fields: variables and substitutions, splitting of unquoted expansions,
    /// then globbing of unquoted wildcards.
    fn expand(
        &mut self,
        word: &Word,
        nested: &[(String, Script)],
    ) -> Result<Vec<String>, Unsupported> {
        // Each field: text and whether it may be globbed; `started` tracks quoted-empty fields.
        let mut fields: Vec<(String, bool)> = Vec::new();
        let mut cur = String::new();
        let mut glob = false;
        let mut started = false;
        for p in &word.0 {
            let (text, quoted) = match p {
                Part::Lit(t) => {
                    glob |= t.contains(['*', '?']);
                    cur.push_str(t);
                    started = true;
                    continue;
                }
                Part::Quoted(t) => {
                    cur.push_str(t);
                    started = true;
                    continue;
                }
                Part::Var {
                    name,
                    default,
                    quoted,
                } => (self.var(name, default.as_deref()), *quoted),
                Part::Subst { script, quoted } => (self.substitute(script, nested)?.0, *quoted),
            };
            if quoted {
                cur.push_str(&text);
                started = true;
                continue;
            }
            let mut pieces = text.split_whitespace().peekable();
            if text.starts_with(char::is_whitespace) && started {
                fields.push((std::mem::take(&mut cur), glob));
                glob = false;
                started = false;
            }
            while let Some(piece) = pieces.next() {
                cur.push_str(piece);
                started = true;
                if pieces.peek().is_some() {
                    fields.push((std::mem::take(&mut cur), glob));
                    glob = false;
                }
            }
            if text.ends_with(char::is_whitespace) && started {
                fields.push((std::mem::take(&mut cur), glob));
                glob = false;
                started = false;
            }
        }
        if started {
            fields.push((cur, glob));
        }
        let mut out = Vec::new();
        for (f, g) in fields {
            if g {
                let matches = commands::glob(self.node, &f);
                if matches.is_empty() {
                    out.push(f);
                } else {
                    out.extend(matches);
                }
            } else {
                out.push(f);
            }
        }
        Ok(out)
    }
}
