//! Parser for Falco filter conditions (libsinsp grammar): `or` binds looser than `and`, which binds
//! looser than `not`; checks are `field op value`, `field op (list)`, `field exists`, or a macro name.

use super::ast::{Check, Expr, FieldExpr, Literal, Op, Rhs, Transformer};

/// Longest condition accepted, in bytes.
pub const MAX_CONDITION_LEN: usize = 1 << 20;
/// Deepest nesting of parentheses and `not`s.
const MAX_DEPTH: usize = 200;

/// A syntax error, with the byte offset it was found at.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct ParseError {
    pub message: String,
    pub offset: usize,
}

/// Parses a full condition.
pub fn parse(text: &str) -> Result<Expr, ParseError> {
    if text.len() > MAX_CONDITION_LEN {
        return Err(ParseError {
            message: "condition too long".into(),
            offset: 0,
        });
    }
    let mut p = Parser {
        s: text.as_bytes(),
        src: text,
        pos: 0,
        last: String::new(),
        depth: 0,
    };
    p.ws();
    if p.pos >= p.s.len() {
        return Err(p.err("empty condition"));
    }
    let e = p.or()?;
    p.ws();
    if p.pos < p.s.len() {
        return Err(p.err(&format!(
            "unexpected token after '{}', expecting 'or', 'and'",
            p.last
        )));
    }
    Ok(e)
}

struct Parser<'a> {
    s: &'a [u8],
    src: &'a str,
    pos: usize,
    /// Text of the last token consumed, for error messages.
    last: String,
    depth: usize,
}

const WORD_OPS: &[(&str, Op)] = &[
    ("bcontains", Op::BContains),
    ("bstartswith", Op::BStartsWith),
    ("contains", Op::Contains),
    ("icontains", Op::IContains),
    ("startswith", Op::StartsWith),
    ("endswith", Op::EndsWith),
    ("glob", Op::Glob),
    ("iglob", Op::IGlob),
    ("regex", Op::Regex),
    ("intersects", Op::Intersects),
    ("in", Op::In),
    ("pmatch", Op::Pmatch),
    ("exists", Op::Exists),
];

const SYM_OPS: &[(&str, Op)] = &[
    ("==", Op::Eq),
    ("!=", Op::Ne),
    ("<=", Op::Le),
    (">=", Op::Ge),
    ("=", Op::Eq),
    ("<", Op::Lt),
    (">", Op::Gt),
];

impl<'a> Parser<'a> {
    fn err(&self, msg: &str) -> ParseError {
        ParseError {
            message: msg.to_string(),
            offset: self.pos,
        }
    }

    fn ws(&mut self) {
        while self.pos < self.s.len() && self.s[self.pos].is_ascii_whitespace() {
            self.pos += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    /// Matches keyword `kw` followed by a word boundary.
    fn keyword(&mut self, kw: &str) -> bool {
        let end = self.pos + kw.len();
        if self.s.get(self.pos..end) != Some(kw.as_bytes()) {
            return false;
        }
        match self.s.get(end) {
            Some(c) if c.is_ascii_alphanumeric() || *c == b'_' || *c == b'.' => false,
            _ => {
                self.pos = end;
                self.last = kw.to_string();
                true
            }
        }
    }

    fn enter(&mut self) -> Result<(), ParseError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.err("condition nested too deeply"));
        }
        Ok(())
    }

    fn or(&mut self) -> Result<Expr, ParseError> {
        let mut items = vec![self.and()?];
        loop {
            self.ws();
            if self.keyword("or") {
                self.ws();
                items.push(self.and()?);
            } else {
                break;
            }
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Expr::Or(items)
        })
    }

    fn and(&mut self) -> Result<Expr, ParseError> {
        let mut items = vec![self.not()?];
        loop {
            self.ws();
            if self.keyword("and") {
                self.ws();
                items.push(self.not()?);
            } else {
                break;
            }
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Expr::And(items)
        })
    }

    fn not(&mut self) -> Result<Expr, ParseError> {
        self.ws();
        if self.keyword("not") {
            self.enter()?;
            let inner = self.not()?;
            self.depth -= 1;
            return Ok(Expr::Not(Box::new(inner)));
        }
        self.check()
    }

    fn check(&mut self) -> Result<Expr, ParseError> {
        self.ws();
        if self.peek() == Some(b'(') {
            self.pos += 1;
            self.last = "(".into();
            self.enter()?;
            self.ws();
            let e = self.or()?;
            self.ws();
            if self.peek() != Some(b')') {
                return Err(self.err("missing closing parenthesis"));
            }
            self.pos += 1;
            self.last = ")".into();
            self.depth -= 1;
            return Ok(e);
        }
        let start = self.pos;
        let Some(name) = self.name() else {
            return Err(self.err(&format!(
                "unexpected token after '{}', expecting a field, a macro or '('",
                self.last
            )));
        };
        // transformer(...)
        if self.peek() == Some(b'(') && Transformer::from_name(name).is_some() {
            self.pos = start;
            let field = self.field_expr()?;
            return self.finish_check(field);
        }
        if !name.contains('.') {
            self.last = name.to_string();
            return Ok(Expr::Macro(name.to_string()));
        }
        self.pos = start;
        let field = self.field_expr()?;
        self.finish_check(field)
    }

    fn finish_check(&mut self, field: FieldExpr) -> Result<Expr, ParseError> {
        self.ws();
        let op = self.op().ok_or_else(|| {
            self.err(&format!(
                "unexpected token after '{}', expecting an operator",
                self.last
            ))
        })?;
        let rhs = if op == Op::Exists {
            Rhs::None
        } else if op.takes_list() {
            self.ws();
            Rhs::List(self.list()?)
        } else {
            self.ws();
            if self.s[self.pos..].starts_with(b"val(") {
                self.pos += 4;
                self.ws();
                let f = self.field_expr()?;
                self.ws();
                if self.peek() != Some(b')') {
                    return Err(self.err("missing closing parenthesis after val("));
                }
                self.pos += 1;
                Rhs::Field(f)
            } else {
                Rhs::Value(self.value()?)
            }
        };
        Ok(Expr::Check(Check { field, op, rhs }))
    }

    /// An identifier or dotted field name (without argument).
    fn name(&mut self) -> Option<&'a str> {
        let start = self.pos;
        let first = self.peek()?;
        if !first.is_ascii_alphabetic() && first != b'_' {
            return None;
        }
        while let Some(c) = self.peek() {
            if c.is_ascii_alphanumeric() || c == b'_' || c == b'.' {
                self.pos += 1;
            } else {
                break;
            }
        }
        self.src.get(start..self.pos)
    }

    fn field_expr(&mut self) -> Result<FieldExpr, ParseError> {
        self.ws();
        let start = self.pos;
        let name = self
            .name()
            .ok_or_else(|| self.err("expected a field name"))?;
        if self.peek() == Some(b'(') {
            let Some(t) = Transformer::from_name(name) else {
                self.pos = start;
                return Err(self.err(&format!("unknown transformer '{name}'")));
            };
            self.pos += 1;
            self.enter()?;
            let inner = self.field_expr()?;
            self.ws();
            if self.peek() != Some(b')') {
                return Err(self.err("missing closing parenthesis after transformer"));
            }
            self.pos += 1;
            self.depth -= 1;
            self.last = ")".into();
            return Ok(FieldExpr::Transform(t, Box::new(inner)));
        }
        if !name.contains('.') {
            self.pos = start;
            return Err(self.err(&format!("invalid field name '{name}'")));
        }
        let mut arg = None;
        if self.peek() == Some(b'[') {
            let a_start = self.pos + 1;
            let Some(len) = self.s[a_start..].iter().position(|&c| c == b']') else {
                return Err(self.err("missing closing ']' in field argument"));
            };
            arg = Some(self.src[a_start..a_start + len].to_string());
            self.pos = a_start + len + 1;
        }
        self.last = self.src[start..self.pos].to_string();
        Ok(FieldExpr::Field {
            name: name.to_string(),
            arg,
        })
    }

    fn op(&mut self) -> Option<Op> {
        for (sym, op) in SYM_OPS {
            if self.s[self.pos..].starts_with(sym.as_bytes()) {
                self.pos += sym.len();
                self.last = sym.to_string();
                return Some(*op);
            }
        }
        for (word, op) in WORD_OPS {
            if self.keyword(word) {
                return Some(*op);
            }
        }
        None
    }

    fn list(&mut self) -> Result<Vec<Literal>, ParseError> {
        if self.peek() != Some(b'(') {
            return Err(self.err(&format!(
                "unexpected token after '{}', expecting a list",
                self.last
            )));
        }
        self.pos += 1;
        let mut items = Vec::new();
        loop {
            self.ws();
            match self.peek() {
                Some(b')') => {
                    self.pos += 1;
                    self.last = ")".into();
                    return Ok(items);
                }
                Some(b',') => {
                    self.pos += 1;
                }
                None => return Err(self.err("missing closing parenthesis in list")),
                _ => items.push(self.value()?),
            }
        }
    }

    fn value(&mut self) -> Result<Literal, ParseError> {
        match self.peek() {
            Some(q @ (b'"' | b'\'')) => {
                let (text, len) = unquote(&self.src[self.pos..], q)
                    .ok_or_else(|| self.err("unterminated quoted string"))?;
                self.pos += len;
                self.last = text.clone();
                Ok(Literal { text, quoted: true })
            }
            _ => {
                let start = self.pos;
                while let Some(c) = self.peek() {
                    if c.is_ascii_whitespace()
                        || matches!(c, b'(' | b')' | b',' | b'"' | b'\'' | b'=')
                    {
                        break;
                    }
                    self.pos += 1;
                }
                if self.pos == start {
                    return Err(self.err(&format!(
                        "unexpected token after '{}', expecting a value",
                        self.last
                    )));
                }
                let text = self.src[start..self.pos].to_string();
                self.last = text.clone();
                Ok(Literal {
                    text,
                    quoted: false,
                })
            }
        }
    }
}

/// Reads a quoted string starting at `s[0] == q`; returns the unescaped text and the bytes consumed.
pub fn unquote(s: &str, q: u8) -> Option<(String, usize)> {
    let bytes = s.as_bytes();
    let mut out = String::new();
    let mut i = 1;
    let mut run = 1;
    while i < bytes.len() {
        let c = bytes[i];
        if c == q {
            out.push_str(&s[run..i]);
            return Some((out, i + 1));
        }
        if c == b'\\' && i + 1 < bytes.len() {
            out.push_str(&s[run..i]);
            let n = bytes[i + 1];
            match n {
                b'n' => out.push('\n'),
                b't' => out.push('\t'),
                b'r' => out.push('\r'),
                b'\\' | b'"' | b'\'' => out.push(n as char),
                _ => {
                    out.push('\\');
                    i += 1;
                    run = i;
                    continue;
                }
            }
            i += 2;
            run = i;
            continue;
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn precedence_and_ops() {
        let e = parse("evt.type=execve and proc.name=foo or evt.type in (open, connect)").unwrap();
        let Expr::Or(items) = e else { panic!() };
        assert!(matches!(items[0], Expr::And(_)));
        assert!(matches!(&items[1], Expr::Check(c) if c.op == Op::In));
    }

    #[test]
    fn trailing_token_error_matches_falco() {
        let err = parse("evt.type=execve foo").unwrap_err();
        assert_eq!(
            err.message,
            "unexpected token after 'execve', expecting 'or', 'and'"
        );
    }

    #[test]
    fn args_transformers_and_values() {
        let e = parse("tolower(proc.aname[2]) = 'Bash' and not fd.name exists and evt.arg.flags contains O_CREAT and fd.num >= 0 and proc.pid = val(proc.ppid)").unwrap();
        let Expr::And(items) = e else { panic!() };
        assert_eq!(items.len(), 5);
    }

    #[test]
    fn macro_reference() {
        assert_eq!(parse(" my_macro ").unwrap(), Expr::Macro("my_macro".into()));
    }

    #[test]
    fn deep_nesting_fails_cleanly() {
        let text = format!("{}evt.type=open{}", "(".repeat(500), ")".repeat(500));
        assert!(parse(&text).is_err());
    }
}
