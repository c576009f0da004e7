//! Statements of the shell subset: simple commands with assignments and redirections, pipelines,
//! `&&`/`||`, `!`, `if/elif/else/fi` and `for … in …; do … done`. Every command name is checked
//! against the commands the interpreter implements, here, before anything runs.

use super::Unsupported;
use super::commands;
use super::lex::{self, Part, Redir, Tok, Word};

/// A parsed script.
pub type Script = Vec<Stmt>;

/// A statement.
#[derive(Debug, Clone, PartialEq)]
pub enum Stmt {
    Pipeline { negate: bool, cmds: Vec<Cmd> },
    And(Box<Stmt>, Box<Stmt>),
    Or(Box<Stmt>, Box<Stmt>),
}

/// A command inside a pipeline.
#[derive(Debug, Clone, PartialEq)]
pub enum Cmd {
    Simple(Simple),
    If {
        branches: Vec<(Script, Script)>,
        otherwise: Script,
    },
    For {
        var: String,
        words: Vec<Word>,
        body: Script,
    },
}

/// `NAME=value … cmd args… redirections`.
#[derive(Debug, Clone, PartialEq)]
pub struct Simple {
    pub assigns: Vec<(String, Word)>,
    pub words: Vec<Word>,
    pub redirs: Vec<Redir>,
    /// Parsed scripts of `$(…)` substitutions and `sh -c '…'`, keyed by their text.
    pub nested: Vec<(String, Script)>,
}

const KEYWORDS: [&str; 9] = [
    "if", "then", "elif", "else", "fi", "for", "do", "done", "in",
];

/// Parses and validates `src`.
pub fn parse(src: &str) -> Result<Script, Unsupported> {
    parse_depth(src, 0)
}

fn parse_depth(src: &str, depth: usize) -> Result<Script, Unsupported> {
    if depth > lex::MAX_DEPTH {
        return Err(Unsupported("nesting too deep".into()));
    }
    let toks = lex::lex(src)?;
    let mut p = Parser {
        toks,
        pos: 0,
        depth,
        compound: 0,
    };
    let script = p.list(&[])?;
    if p.pos < p.toks.len() {
        return Err(Unsupported(format!("unexpected {:?}", p.toks[p.pos])));
    }
    Ok(script)
}

struct Parser {
    toks: Vec<Tok>,
    pos: usize,
    /// `$(…)`/`sh -c` nesting of this script.
    depth: usize,
    /// `if`/`for` nesting inside this script.
    compound: usize,
}

/// Deepest `if`/`for` nesting accepted.
const MAX_COMPOUND: usize = 32;

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }

    fn keyword(&self) -> Option<&str> {
        match self.peek() {
            Some(Tok::Word(w)) => w.bare().filter(|k| KEYWORDS.contains(k)),
            _ => None,
        }
    }

    fn skip_separators(&mut self) {
        while matches!(self.peek(), Some(Tok::Semi | Tok::Newline)) {
            self.pos += 1;
        }
    }

    fn expect(&mut self, kw: &str) -> Result<(), Unsupported> {
        self.skip_separators();
        if self.keyword() == Some(kw) {
            self.pos += 1;
            Ok(())
        } else {
            Err(Unsupported(format!("shell syntax: expected `{kw}`")))
        }
    }

    fn list(&mut self, stop: &[&str]) -> Result<Script, Unsupported> {
        let mut out = Vec::new();
        loop {
            self.skip_separators();
            match (self.peek(), self.keyword()) {
                (None, _) => break,
                (_, Some(k)) if stop.contains(&k) => break,
                _ => out.push(self.and_or()?),
            }
        }
        Ok(out)
    }

    fn and_or(&mut self) -> Result<Stmt, Unsupported> {
        let mut left = self.pipeline()?;
        loop {
            let tok = self.peek().cloned();
            match tok {
                Some(Tok::AndIf) | Some(Tok::OrIf) => {
                    self.pos += 1;
                    while matches!(self.peek(), Some(Tok::Newline)) {
                        self.pos += 1;
                    }
                    let right = Box::new(self.pipeline()?);
                    left = if tok == Some(Tok::AndIf) {
                        Stmt::And(Box::new(left), right)
                    } else {
                        Stmt::Or(Box::new(left), right)
                    };
                }
                _ => return Ok(left),
            }
        }
    }

    fn pipeline(&mut self) -> Result<Stmt, Unsupported> {
        let mut negate = false;
        if let Some(Tok::Word(w)) = self.peek()
            && w.bare() == Some("!")
        {
            negate = true;
            self.pos += 1;
        }
        let mut cmds = vec![self.command()?];
        while matches!(self.peek(), Some(Tok::Pipe)) {
            self.pos += 1;
            while matches!(self.peek(), Some(Tok::Newline)) {
                self.pos += 1;
            }
            cmds.push(self.command()?);
        }
        Ok(Stmt::Pipeline { negate, cmds })
    }

    fn command(&mut self) -> Result<Cmd, Unsupported> {
        match self.keyword().map(str::to_string).as_deref() {
            Some(k @ ("if" | "for")) => {
                if self.compound >= MAX_COMPOUND {
                    return Err(Unsupported("`if`/`for` nested too deeply".into()));
                }
                self.compound += 1;
                let cmd = if k == "if" {
                    self.if_cmd()
                } else {
                    self.for_cmd()
                };
                self.compound -= 1;
                cmd
            }
            Some(k) => Err(Unsupported(format!("shell syntax: unexpected `{k}`"))),
            None => self.simple().map(Cmd::Simple),
        }
    }

    fn if_cmd(&mut self) -> Result<Cmd, Unsupported> {
        self.pos += 1;
        let mut branches = Vec::new();
        let mut otherwise = Vec::new();
        loop {
            let cond = self.list(&["then"])?;
            self.expect("then")?;
            let body = self.list(&["elif", "else", "fi"])?;
            branches.push((cond, body));
            match self.keyword() {
                Some("elif") => self.pos += 1,
                Some("else") => {
                    self.pos += 1;
                    otherwise = self.list(&["fi"])?;
                    self.expect("fi")?;
                    break;
                }
                _ => {
                    self.expect("fi")?;
                    break;
                }
            }
        }
        Ok(Cmd::If {
            branches,
            otherwise,
        })
    }

    fn for_cmd(&mut self) -> Result<Cmd, Unsupported> {
        self.pos += 1;
        let var = match self.peek() {
            Some(Tok::Word(w)) => w.bare().filter(|n| lex::is_name(n)).map(str::to_string),
            _ => None,
        }
        .ok_or_else(|| Unsupported("shell syntax: `for` without a name".into()))?;
        self.pos += 1;
        if self.keyword() != Some("in") {
            return Err(Unsupported("shell syntax: `for` without `in`".into()));
        }
        self.pos += 1;
        let mut words = Vec::new();
        while let Some(Tok::Word(w)) = self.peek() {
            words.push(w.clone());
            self.pos += 1;
        }
        self.expect("do")?;
        let body = self.list(&["done"])?;
        self.expect("done")?;
        Ok(Cmd::For { var, words, body })
    }

    fn simple(&mut self) -> Result<Simple, Unsupported> {
        let mut s = Simple {
            assigns: Vec::new(),
            words: Vec::new(),
            redirs: Vec::new(),
            nested: Vec::new(),
        };
        loop {
            match self.peek().cloned() {
                Some(Tok::Word(w)) => {
                    self.pos += 1;
                    match (s.words.is_empty(), assignment(&w)) {
                        (true, Some(a)) => s.assigns.push(a),
                        _ => s.words.push(w),
                    }
                }
                Some(Tok::Redir(r)) => {
                    self.pos += 1;
                    s.redirs.push(r);
                }
                _ => break,
            }
        }
        if s.words.is_empty() && s.assigns.is_empty() {
            return Err(Unsupported("shell syntax: empty command".into()));
        }
        self.validate(&mut s)?;
        Ok(s)
    }

    /// Checks the command is one the interpreter implements and parses nested scripts.
    fn validate(&self, s: &mut Simple) -> Result<(), Unsupported> {
        let words = s.words.iter().chain(s.assigns.iter().map(|(_, w)| w));
        let mut nested = Vec::new();
        for w in words {
            for p in &w.0 {
                if let Part::Subst { script, .. } = p {
                    nested.push((script.clone(), parse_depth(script, self.depth + 1)?));
                }
            }
        }
        if let Some(first) = s.words.first() {
            let name = first
                .literal()
                .ok_or_else(|| Unsupported("a command name that is not literal".into()))?;
            let name = commands::base_name(&name);
            if !commands::SUPPORTED.contains(&name) {
                return Err(Unsupported(format!("`{name}` is not interpreted natively")));
            }
            if name == "sh" || name == "bash" {
                // A script computed from variables is parsed when it runs.
                if let Some(script) = sh_script(&s.words)? {
                    nested.push((script.clone(), parse_depth(&script, self.depth + 1)?));
                }
            }
            if name == "xargs" {
                let inner = xargs_command(&s.words)?;
                if !commands::SUPPORTED.contains(&inner.as_str()) || inner == "sh" {
                    return Err(Unsupported(format!(
                        "`xargs {inner}` is not interpreted natively"
                    )));
                }
            }
        }
        s.nested = nested;
        Ok(())
    }
}

fn assignment(w: &Word) -> Option<(String, Word)> {
    let Some(Part::Lit(first)) = w.0.first() else {
        return None;
    };
    let (name, rest) = first.split_once('=')?;
    if !lex::is_name(name) {
        return None;
    }
    let mut value = Word::default();
    if !rest.is_empty() {
        value.0.push(Part::Lit(rest.to_string()));
    }
    value.0.extend(w.0[1..].iter().cloned());
    Some((name.to_string(), value))
}

/// The literal script of `sh -c SCRIPT` (`None` when it is computed from variables).
pub fn sh_script(words: &[Word]) -> Result<Option<String>, Unsupported> {
    match words {
        [_, flag, script] if flag.literal().as_deref() == Some("-c") => Ok(script.literal()),
        _ => Err(Unsupported("`sh` other than `sh -c SCRIPT`".into())),
    }
}

/// The command `xargs` runs (first word that is not an xargs option).
pub fn xargs_command(words: &[Word]) -> Result<String, Unsupported> {
    for w in &words[1..] {
        let t = w
            .literal()
            .ok_or_else(|| Unsupported("`xargs` with a computed command".into()))?;
        if !t.starts_with('-') {
            return Ok(commands::base_name(&t).to_string());
        }
    }
    Err(Unsupported("`xargs` without a command".into()))
}
