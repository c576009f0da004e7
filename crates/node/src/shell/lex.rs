//! Tokens of the shell subset audits are written in: words with their quoting, `$VAR`, `${VAR:-x}`,
//! `$(…)`, pipes, `&&`, `||`, `;`, newlines, comments and the harmless redirections (`2>/dev/null`,
//! `>/dev/null`, `2>&1`). Anything else (backticks, subshells, `&`, writing redirections) is refused.

use super::Unsupported;

/// Deepest `$(…)` nesting accepted.
pub const MAX_DEPTH: usize = 8;

/// A piece of a word.
#[derive(Debug, Clone, PartialEq)]
pub enum Part {
    /// Unquoted literal text (subject to globbing).
    Lit(String),
    /// Quoted literal text.
    Quoted(String),
    /// `$NAME`, `${NAME}`, `${NAME:-default}`.
    Var {
        name: String,
        default: Option<String>,
        quoted: bool,
    },
    /// `$(…)`: the inner script text.
    Subst { script: String, quoted: bool },
}

/// A word: adjacent parts.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Word(pub Vec<Part>);

impl Word {
    /// The word's text when it is entirely literal (quoted or not).
    pub fn literal(&self) -> Option<String> {
        let mut s = String::new();
        for p in &self.0 {
            match p {
                Part::Lit(t) | Part::Quoted(t) => s.push_str(t),
                _ => return None,
            }
        }
        Some(s)
    }

    /// The word's text when it is a single unquoted literal (a keyword candidate).
    pub fn bare(&self) -> Option<&str> {
        match self.0.as_slice() {
            [Part::Lit(t)] => Some(t),
            _ => None,
        }
    }
}

/// A redirection the interpreter honours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Redir {
    DiscardStdout,
    DiscardStderr,
    StderrToStdout,
}

/// A token.
#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    Word(Word),
    Pipe,
    AndIf,
    OrIf,
    Semi,
    Newline,
    Redir(Redir),
}

/// Splits `src` into tokens.
pub fn lex(src: &str) -> Result<Vec<Tok>, Unsupported> {
    let chars: Vec<char> = src.chars().collect();
    let mut toks = Vec::new();
    let mut word = Word::default();
    let mut in_word = false;
    let mut i = 0;
    let flush = |word: &mut Word, in_word: &mut bool, toks: &mut Vec<Tok>| {
        if *in_word {
            toks.push(Tok::Word(std::mem::take(word)));
            *in_word = false;
        }
    };
    while i < chars.len() {
        let c = chars[i];
        match c {
            ' ' | '\t' | '\r' => {
                flush(&mut word, &mut in_word, &mut toks);
                i += 1;
            }
            '\n' => {
                flush(&mut word, &mut in_word, &mut toks);
                toks.push(Tok::Newline);
                i += 1;
            }
            '#' if !in_word => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            }
            '\\' => {
                match chars.get(i + 1) {
                    Some('\n') => {}
                    Some(&n) => {
                        push_lit(&mut word, n, true);
                        in_word = true;
                    }
                    None => {}
                }
                i += 2;
            }
            '\'' => {
                let end = find(&chars, i + 1, '\'').ok_or_else(|| syntax("unclosed '"))?;
                word.0
                    .push(Part::Quoted(chars[i + 1..end].iter().collect()));
                in_word = true;
                i = end + 1;
            }
            '"' => {
                i = lex_double(&chars, i + 1, &mut word)?;
                in_word = true;
            }
            '$' => {
                i = lex_dollar(&chars, i, &mut word, false)?;
                in_word = true;
            }
            '|' | '&' | ';' => {
                flush(&mut word, &mut in_word, &mut toks);
                let next = chars.get(i + 1).copied();
                let (tok, len) = match (c, next) {
                    ('|', Some('|')) => (Tok::OrIf, 2),
                    ('|', _) => (Tok::Pipe, 1),
                    ('&', Some('&')) => (Tok::AndIf, 2),
                    (';', Some(';')) => return Err(syntax("`;;`")),
                    (';', _) => (Tok::Semi, 1),
                    _ => return Err(Unsupported("background jobs (`&`)".into())),
                };
                toks.push(tok);
                i += len;
            }
            '>' | '<' => {
                let fd = fd_prefix(&word, in_word);
                if fd.is_some() {
                    word = Word::default();
                    in_word = false;
                }
                flush(&mut word, &mut in_word, &mut toks);
                let (redir, next) = lex_redirect(&chars, i, fd)?;
                toks.push(Tok::Redir(redir));
                i = next;
            }
            '`' | '(' | ')' => return Err(Unsupported(format!("`{c}` in audit"))),
            _ => {
                push_lit(&mut word, c, false);
                in_word = true;
                i += 1;
            }
        }
    }
    flush(&mut word, &mut in_word, &mut toks);
    Ok(toks)
}

fn syntax(what: &str) -> Unsupported {
    Unsupported(format!("shell syntax: {what}"))
}

fn find(chars: &[char], from: usize, c: char) -> Option<usize> {
    (from..chars.len()).find(|&j| chars[j] == c)
}

fn push_lit(word: &mut Word, c: char, escaped: bool) {
    if escaped {
        if let Some(Part::Quoted(s)) = word.0.last_mut() {
            s.push(c);
        } else {
            word.0.push(Part::Quoted(c.to_string()));
        }
        return;
    }
    if let Some(Part::Lit(s)) = word.0.last_mut() {
        s.push(c);
    } else {
        word.0.push(Part::Lit(c.to_string()));
    }
}

fn fd_prefix(word: &Word, in_word: bool) -> Option<u8> {
    if !in_word {
        return None;
    }
    match word.bare() {
        Some("1") => Some(1),
        Some("2") => Some(2),
        _ => None,
    }
}

fn lex_redirect(chars: &[char], i: usize, fd: Option<u8>) -> Result<(Redir, usize), Unsupported> {
    if chars[i] == '<' || chars.get(i + 1) == Some(&'>') {
        return Err(Unsupported("input or appending redirection".into()));
    }
    let fd = fd.unwrap_or(1);
    let mut j = i + 1;
    if chars.get(j) == Some(&'&') {
        return match (fd, chars.get(j + 1)) {
            (2, Some('1')) => Ok((Redir::StderrToStdout, j + 2)),
            _ => Err(Unsupported("redirection other than 2>&1".into())),
        };
    }
    while chars.get(j) == Some(&' ') {
        j += 1;
    }
    let target: String = chars[j..]
        .iter()
        .take_while(|c| !c.is_whitespace() && !matches!(c, ';' | '|' | '&'))
        .collect();
    if target != "/dev/null" {
        return Err(Unsupported(format!("redirection to {target:?}")));
    }
    let redir = if fd == 2 {
        Redir::DiscardStderr
    } else {
        Redir::DiscardStdout
    };
    Ok((redir, j + target.chars().count()))
}

fn lex_double(chars: &[char], mut i: usize, word: &mut Word) -> Result<usize, Unsupported> {
    let mut buf = String::new();
    let flush = |buf: &mut String, word: &mut Word| {
        if !buf.is_empty() || word.0.is_empty() {
            word.0.push(Part::Quoted(std::mem::take(buf)));
        }
    };
    loop {
        let Some(&c) = chars.get(i) else {
            return Err(syntax("unclosed \""));
        };
        match c {
            '"' => {
                flush(&mut buf, word);
                return Ok(i + 1);
            }
            '\\' => {
                match chars.get(i + 1) {
                    Some(&n @ ('"' | '\\' | '$' | '`')) => buf.push(n),
                    Some('\n') => {}
                    Some(&n) => {
                        buf.push('\\');
                        buf.push(n);
                    }
                    None => return Err(syntax("unclosed \"")),
                }
                i += 2;
            }
            '$' => {
                flush(&mut buf, word);
                i = lex_dollar(chars, i, word, true)?;
            }
            '`' => return Err(Unsupported("backticks".into())),
            _ => {
                buf.push(c);
                i += 1;
            }
        }
    }
}

fn lex_dollar(
    chars: &[char],
    i: usize,
    word: &mut Word,
    quoted: bool,
) -> Result<usize, Unsupported> {
    match chars.get(i + 1) {
        Some('(') => {
            let end = matching_paren(chars, i + 2).ok_or_else(|| syntax("unclosed $("))?;
            word.0.push(Part::Subst {
                script: chars[i + 2..end].iter().collect(),
                quoted,
            });
            Ok(end + 1)
        }
        Some('{') => {
            let end = find(chars, i + 2, '}').ok_or_else(|| syntax("unclosed ${"))?;
            let inner: String = chars[i + 2..end].iter().collect();
            let (name, default) = match inner.split_once(":-") {
                Some((n, d)) => (n.to_string(), Some(d.to_string())),
                None => (inner, None),
            };
            if !is_name(&name) {
                return Err(Unsupported(format!("parameter expansion ${{{name}}}")));
            }
            word.0.push(Part::Var {
                name,
                default,
                quoted,
            });
            Ok(end + 1)
        }
        Some(c) if c.is_ascii_alphabetic() || *c == '_' => {
            let mut j = i + 1;
            while chars
                .get(j)
                .is_some_and(|c| c.is_ascii_alphanumeric() || *c == '_')
            {
                j += 1;
            }
            word.0.push(Part::Var {
                name: chars[i + 1..j].iter().collect(),
                default: None,
                quoted,
            });
            Ok(j)
        }
        Some(c) if c.is_ascii_digit() || matches!(c, '?' | '#' | '@' | '*' | '!' | '$') => {
            Err(Unsupported(format!("special parameter ${c}")))
        }
        _ => {
            let part = if quoted {
                Part::Quoted("$".into())
            } else {
                Part::Lit("$".into())
            };
            word.0.push(part);
            Ok(i + 1)
        }
    }
}

fn matching_paren(chars: &[char], from: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    let mut j = from;
    while j < chars.len() {
        let c = chars[j];
        match (quote, c) {
            (Some('\''), '\'') => quote = None,
            (Some('"'), '"') => quote = None,
            (Some('"'), '\\') => j += 1,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '\\') => j += 1,
            (None, '(') => depth += 1,
            (None, ')') if depth == 0 => return Some(j),
            (None, ')') => depth -= 1,
            _ => {}
        }
        j += 1;
    }
    None
}

/// A shell variable name.
pub fn is_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}
