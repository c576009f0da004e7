//! Maven artifact versions, ordered as maven-artifact's `ComparableVersion`.
//!
//! The version is lowercased and split into items on `.`, `-` and digit/letter
//! transitions; `-` and a digit/letter transition open a nested list. Trailing
//! "null" items (0, "", ga, final, release, empty lists) are dropped. Qualifiers
//! order `alpha/a < beta/b < milestone/m < rc/cr < snapshot < "" (ga, final,
//! release) < sp < unknown` (unknown ones lexically); numbers beat qualifiers and
//! lists. This is Maven 3.8's algorithm, including its "treat `.X` as `-X`" rule
//! and the `release` alias; it was checked against maven-artifact 3.8.7 on 3,000
//! random version pairs. (Maven 3.9 added "combination" items such as `X-1`
//! ≡ `X1`, not modelled here.)
//!
//! Known gap, inherited from Maven: the order is not transitive for odd shapes
//! where a sub-list normalises to start with another list (`0 < sp < ga-alpha <
//! 0`); realistic versions (numeric core plus qualifiers) are unaffected.

use std::cmp::Ordering;
use std::fmt;

use crate::numeric::Num;
use crate::{Scheme, VersionError, check_input};

const SCHEME: Scheme = Scheme::Maven;
const QUALIFIERS: [&str; 7] = ["alpha", "beta", "milestone", "rc", "snapshot", "", "sp"];
const RELEASE_INDEX: usize = 5;

/// One item of a parsed version.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Item {
    Int(Num),
    /// A qualifier, already normalised through the alias table.
    Str(String),
    List(Vec<Item>),
}

/// A qualifier's rank: known ones by index, unknown ones after all of them, lexically.
fn qualifier_rank(q: &str) -> (usize, &str) {
    match QUALIFIERS.iter().position(|k| *k == q) {
        Some(i) => (i, ""),
        None => (QUALIFIERS.len(), q),
    }
}

fn string_item(value: &str, followed_by_digit: bool) -> Item {
    let value = match (followed_by_digit, value) {
        (true, "a") => "alpha",
        (true, "b") => "beta",
        (true, "m") => "milestone",
        (_, "ga" | "final" | "release") => "",
        (_, "cr") => "rc",
        (_, v) => v,
    };
    Item::Str(value.to_owned())
}

impl Item {
    fn is_null(&self) -> bool {
        match self {
            Item::Int(n) => n.is_zero(),
            Item::Str(s) => s.is_empty(),
            Item::List(l) => l.is_empty(),
        }
    }

    /// `Item.compareTo`, where `None` stands for a missing item.
    fn compare(&self, other: Option<&Item>) -> Ordering {
        match (self, other) {
            (Item::Int(n), None) => n.cmp(&Num::zero()),
            (Item::Int(a), Some(Item::Int(b))) => a.cmp(b),
            (Item::Int(_), Some(_)) => Ordering::Greater,
            (Item::Str(s), None) => qualifier_rank(s).cmp(&(RELEASE_INDEX, "")),
            (Item::Str(a), Some(Item::Str(b))) => qualifier_rank(a).cmp(&qualifier_rank(b)),
            (Item::Str(_), Some(_)) => Ordering::Less,
            (Item::List(l), None) => l
                .first()
                .map_or(Ordering::Equal, |first| first.compare(None)),
            (Item::List(_), Some(Item::Int(_))) => Ordering::Less,
            (Item::List(_), Some(Item::Str(_))) => Ordering::Greater,
            (Item::List(a), Some(Item::List(b))) => compare_lists(a, b),
        }
    }

    fn write(&self, out: &mut String) {
        match self {
            Item::Int(n) => out.push_str(&n.to_string()),
            Item::Str(s) => out.push_str(s),
            Item::List(items) => {
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(if matches!(item, Item::List(_)) {
                            '-'
                        } else {
                            '.'
                        });
                    }
                    item.write(out);
                }
            }
        }
    }
}

fn compare_lists(a: &[Item], b: &[Item]) -> Ordering {
    for i in 0..a.len().max(b.len()) {
        let ord = match (a.get(i), b.get(i)) {
            (Some(l), r) => l.compare(r),
            (None, Some(r)) => r.compare(None).reverse(),
            (None, None) => Ordering::Equal,
        };
        if ord != Ordering::Equal {
            return ord;
        }
    }
    Ordering::Equal
}

/// Drops trailing null items, skipping over (non-null) nested lists as Maven does.
fn normalize(list: &mut Vec<Item>) {
    let mut i = list.len();
    while i > 0 {
        i -= 1;
        if list[i].is_null() {
            list.remove(i);
        } else if !matches!(list[i], Item::List(_)) {
            break;
        }
    }
}

/// Builds the nested list structure; `stack` holds the open lists, innermost last.
struct Builder {
    stack: Vec<Vec<Item>>,
}

impl Builder {
    fn push(&mut self, item: Item) {
        if let Some(top) = self.stack.last_mut() {
            top.push(item);
        }
    }

    fn open_list(&mut self) {
        self.stack.push(Vec::new());
    }

    /// Maven 3.8's "treat `.X` as `-X`" rule: a string qualifier after other
    /// items starts a sub-list, so `1.0.0.X1 < 1.0.0-X2`.
    fn open_list_unless_empty(&mut self) {
        if self.stack.last().is_some_and(|top| !top.is_empty()) {
            self.open_list();
        }
    }

    /// Closes every list from the innermost out, normalising each.
    fn finish(mut self) -> Vec<Item> {
        while let Some(mut list) = self.stack.pop() {
            normalize(&mut list);
            match self.stack.last_mut() {
                Some(parent) => parent.push(Item::List(list)),
                None => return list,
            }
        }
        Vec::new()
    }
}

fn parse_item(is_digit: bool, buf: &str) -> Item {
    if is_digit {
        Item::Int(Num::from_digits(buf))
    } else {
        string_item(buf, false)
    }
}

/// `ComparableVersion.parseVersion`.
fn parse_items(version: &str) -> Vec<Item> {
    let mut b = Builder {
        stack: vec![Vec::new()],
    };
    let bytes = version.as_bytes();
    let mut is_digit = false;
    let mut start = 0;
    for (i, &c) in bytes.iter().enumerate() {
        match c {
            b'.' | b'-' => {
                if i == start {
                    b.push(Item::Int(Num::zero()));
                } else {
                    b.push(parse_item(is_digit, &version[start..i]));
                }
                start = i + 1;
                if c == b'-' {
                    b.open_list();
                }
            }
            b'0'..=b'9' => {
                if !is_digit && i > start {
                    b.open_list_unless_empty();
                    b.push(string_item(&version[start..i], true));
                    start = i;
                    b.open_list();
                }
                is_digit = true;
            }
            _ => {
                if is_digit && i > start {
                    b.push(parse_item(true, &version[start..i]));
                    start = i;
                    b.open_list();
                }
                is_digit = false;
            }
        }
    }
    if bytes.len() > start {
        if !is_digit {
            b.open_list_unless_empty();
        }
        b.push(parse_item(is_digit, &version[start..]));
    }
    b.finish()
}

/// A parsed Maven version.
#[derive(Debug, Clone)]
pub struct MavenVersion {
    text: String,
    items: Vec<Item>,
}

impl MavenVersion {
    /// Parses a Maven version. Maven accepts any string; this accepts printable
    /// ASCII without whitespace, and requires at least one letter or digit.
    pub fn parse(input: &str) -> Result<MavenVersion, VersionError> {
        let s = check_input(SCHEME, input)?;
        if !s.bytes().all(|c| c.is_ascii_graphic()) || !s.bytes().any(|c| c.is_ascii_alphanumeric())
        {
            return Err(VersionError::invalid(SCHEME, input, "not a Maven version"));
        }
        Ok(MavenVersion {
            text: s.to_owned(),
            items: parse_items(&s.to_ascii_lowercase()),
        })
    }

    /// `ComparableVersion.getCanonical()`: the normalised item structure.
    pub fn canonical(&self) -> String {
        let mut out = String::new();
        Item::List(self.items.clone()).write(&mut out);
        out
    }
}

impl Ord for MavenVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        compare_lists(&self.items, &other.items)
    }
}

crate::order_from_ord!(MavenVersion);

impl fmt::Display for MavenVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
#[path = "maven_tests.rs"]
mod tests;
