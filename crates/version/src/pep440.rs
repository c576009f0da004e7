//! Python package versions (PEP 440), ordered as `packaging.version.Version`.
//!
//! `[N!]N(.N)*[{a|b|rc}N][.postN][.devN][+local]`, case-insensitive, with the
//! spec's alternate spellings (`alpha`, `beta`, `c`, `pre`, `preview`, `rev`, `r`,
//! implicit post releases `1.0-1`, optional separators and numbers) normalised on
//! parse. Release segments compare with implicit zero padding (`1.0 == 1.0.0`).

use std::cmp::Ordering;
use std::fmt;

use crate::numeric::Num;
use crate::{Scheme, VersionError, check_input};

const SCHEME: Scheme = Scheme::Pep440;

/// Pre-release phase, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PreKind {
    /// `a`, `alpha`.
    Alpha,
    /// `b`, `beta`.
    Beta,
    /// `rc`, `c`, `pre`, `preview`.
    Rc,
}

/// One local version segment; numbers sort after strings.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LocalSegment {
    /// A lowercase alphanumeric segment.
    Text(String),
    /// An all-digit segment.
    Number(Num),
}

/// A parsed, normalised PEP 440 version.
#[derive(Debug, Clone)]
pub struct Pep440Version {
    /// Epoch (`N!`), 0 when absent.
    pub epoch: Num,
    /// Release segments as written (at least one).
    pub release: Vec<Num>,
    /// Pre-release phase and number.
    pub pre: Option<(PreKind, Num)>,
    /// Post-release number.
    pub post: Option<Num>,
    /// Development release number.
    pub dev: Option<Num>,
    /// Local version label segments (empty when absent).
    pub local: Vec<LocalSegment>,
}

/// A byte cursor over the lowercased input.
struct Cursor<'a> {
    s: &'a [u8],
    pos: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    fn eat(&mut self, c: u8) -> bool {
        let hit = self.peek() == Some(c);
        self.pos += usize::from(hit);
        hit
    }

    fn eat_sep(&mut self) -> bool {
        matches!(self.peek(), Some(b'-' | b'_' | b'.')) && {
            self.pos += 1;
            true
        }
    }

    fn number(&mut self) -> Option<Num> {
        let start = self.pos;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.pos += 1;
        }
        (self.pos > start)
            .then(|| Num::from_digits(&String::from_utf8_lossy(&self.s[start..self.pos])))
    }

    /// Eats the first of `words` that is a prefix of the rest.
    fn word<'w>(&mut self, words: &[&'w str]) -> Option<&'w str> {
        let rest = &self.s[self.pos..];
        let w = words.iter().find(|w| rest.starts_with(w.as_bytes()))?;
        self.pos += w.len();
        Some(w)
    }

    /// `[sep]? LABEL [sep]? N?`, restoring the position when no label matches.
    /// Like packaging's regex, a separator after the label may stand alone
    /// (`1.0beta-` is `1.0b0`).
    fn labelled(&mut self, words: &[&'static str]) -> Option<(&'static str, Option<Num>)> {
        let start = self.pos;
        self.eat_sep();
        let Some(label) = self.word(words) else {
            self.pos = start;
            return None;
        };
        self.eat_sep();
        Some((label, self.number()))
    }
}

impl Pep440Version {
    /// Parses any PEP 440 version (case-insensitive, surrounding whitespace allowed).
    pub fn parse(input: &str) -> Result<Pep440Version, VersionError> {
        let s = check_input(SCHEME, input)?.to_ascii_lowercase();
        parse_lower(&s).ok_or_else(|| VersionError::invalid(SCHEME, input, "not a PEP 440 version"))
    }

    /// True for pre-releases and development releases.
    pub fn is_prerelease(&self) -> bool {
        self.pre.is_some() || self.dev.is_some()
    }

    /// The version without its local label.
    pub fn public(&self) -> Pep440Version {
        Pep440Version {
            local: Vec::new(),
            ..self.clone()
        }
    }
}

fn parse_lower(s: &str) -> Option<Pep440Version> {
    let mut c = Cursor {
        s: s.as_bytes(),
        pos: 0,
    };
    c.eat(b'v');
    let first = c.number()?;
    let (epoch, first) = if c.eat(b'!') {
        (first, c.number()?)
    } else {
        (Num::zero(), first)
    };
    let mut release = vec![first];
    while c.peek() == Some(b'.') && c.s.get(c.pos + 1).is_some_and(u8::is_ascii_digit) {
        c.pos += 1;
        release.push(c.number()?);
    }
    let pre = c
        .labelled(&["alpha", "a", "beta", "b", "preview", "pre", "c", "rc"])
        .map(|(label, n)| {
            let kind = match label {
                "alpha" | "a" => PreKind::Alpha,
                "beta" | "b" => PreKind::Beta,
                _ => PreKind::Rc,
            };
            (kind, n.unwrap_or_default())
        });
    let post = post(&mut c);
    let dev = c.labelled(&["dev"]).map(|(_, n)| n.unwrap_or_default());
    let local = if c.eat(b'+') {
        local(&mut c)?
    } else {
        Vec::new()
    };
    (c.pos == c.s.len()).then_some(Pep440Version {
        epoch,
        release,
        pre,
        post,
        dev,
        local,
    })
}

/// `-N` (implicit post release) or `[sep]?(post|rev|r)[sep]?N?`.
fn post(c: &mut Cursor<'_>) -> Option<Num> {
    let start = c.pos;
    if c.eat(b'-') {
        if let Some(n) = c.number() {
            return Some(n);
        }
        c.pos = start;
    }
    c.labelled(&["post", "rev", "r"])
        .map(|(_, n)| n.unwrap_or_default())
}

/// `[a-z0-9]+([-_.][a-z0-9]+)*`.
fn local(c: &mut Cursor<'_>) -> Option<Vec<LocalSegment>> {
    let mut segments = Vec::new();
    loop {
        let start = c.pos;
        while c.peek().is_some_and(|b| b.is_ascii_alphanumeric()) {
            c.pos += 1;
        }
        let seg = std::str::from_utf8(&c.s[start..c.pos]).ok()?;
        if seg.is_empty() {
            return None;
        }
        segments.push(if seg.bytes().all(|b| b.is_ascii_digit()) {
            LocalSegment::Number(Num::from_digits(seg))
        } else {
            LocalSegment::Text(seg.to_owned())
        });
        if !c.eat_sep() {
            return Some(segments);
        }
    }
}

/// packaging's `_cmpkey` pre-release component: dev-only versions sort before
/// every pre-release, releases after.
fn pre_key(v: &Pep440Version) -> (u8, Option<&(PreKind, Num)>) {
    match &v.pre {
        None if v.post.is_none() && v.dev.is_some() => (0, None),
        None => (2, None),
        Some(p) => (1, Some(p)),
    }
}

fn release_key(release: &[Num]) -> &[Num] {
    let keep = release
        .iter()
        .rposition(|n| !n.is_zero())
        .map_or(0, |i| i + 1);
    &release[..keep]
}

impl Ord for Pep440Version {
    fn cmp(&self, other: &Self) -> Ordering {
        self.epoch
            .cmp(&other.epoch)
            .then_with(|| release_key(&self.release).cmp(release_key(&other.release)))
            .then_with(|| pre_key(self).cmp(&pre_key(other)))
            .then_with(|| self.post.cmp(&other.post))
            .then_with(|| match (&self.dev, &other.dev) {
                (None, None) => Ordering::Equal,
                (None, Some(_)) => Ordering::Greater,
                (Some(_), None) => Ordering::Less,
                (Some(a), Some(b)) => a.cmp(b),
            })
            .then_with(|| self.local.cmp(&other.local))
    }
}

crate::order_from_ord!(Pep440Version);

impl fmt::Display for Pep440Version {
    /// The normalised form, as `str(packaging.version.Version(...))`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.epoch.is_zero() {
            write!(f, "{}!", self.epoch)?;
        }
        let release: Vec<String> = self.release.iter().map(ToString::to_string).collect();
        f.write_str(&release.join("."))?;
        if let Some((kind, n)) = &self.pre {
            let label = match kind {
                PreKind::Alpha => "a",
                PreKind::Beta => "b",
                PreKind::Rc => "rc",
            };
            write!(f, "{label}{n}")?;
        }
        if let Some(n) = &self.post {
            write!(f, ".post{n}")?;
        }
        if let Some(n) = &self.dev {
            write!(f, ".dev{n}")?;
        }
        for (i, seg) in self.local.iter().enumerate() {
            f.write_str(if i == 0 { "+" } else { "." })?;
            match seg {
                LocalSegment::Text(t) => f.write_str(t)?,
                LocalSegment::Number(n) => write!(f, "{n}")?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
#[path = "pep440_tests.rs"]
mod tests;
