//! Wildcard matching for actions, resources and ARNs: `*` matches any run of characters, `?` exactly one.
//!
//! Actions match case-insensitively; resources and ARNs case-sensitively, segment by segment (a wildcard
//! in the region segment never spans into the account segment; only the last, resource segment may contain
//! `:` and `/`).

/// One element of a compiled pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tok {
    /// A literal byte (also a `*`, `?` or `$` produced by `${*}`, `${?}`, `${$}`).
    Lit(u8),
    /// `*`: any run of bytes, possibly empty.
    Any,
    /// `?`: exactly one byte.
    One,
}

/// Compiles a pattern string with no policy variables into tokens.
pub fn compile(pattern: &str) -> Vec<Tok> {
    pattern
        .bytes()
        .map(|b| match b {
            b'*' => Tok::Any,
            b'?' => Tok::One,
            b => Tok::Lit(b),
        })
        .collect()
}

/// Whether any token is a wildcard.
pub fn has_wildcard(toks: &[Tok]) -> bool {
    toks.iter().any(|t| !matches!(t, Tok::Lit(_)))
}

/// Matches `text` against `toks` (linear-time greedy matcher with single backtrack point).
pub fn matches(toks: &[Tok], text: &[u8], ignore_case: bool) -> bool {
    let eq = |a: u8, b: u8| {
        if ignore_case {
            a.eq_ignore_ascii_case(&b)
        } else {
            a == b
        }
    };
    let (mut p, mut t) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match toks.get(p) {
            Some(Tok::Any) => {
                star = Some((p, t));
                p += 1;
            }
            Some(Tok::One) => {
                p += 1;
                t += 1;
            }
            Some(Tok::Lit(c)) if eq(*c, text[t]) => {
                p += 1;
                t += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    p = sp + 1;
                    t = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    toks[p.min(toks.len())..].iter().all(|t| *t == Tok::Any)
}

/// Matches a resource or ARN: patterns and values that are ARNs are compared segment by segment.
pub fn matches_arn(toks: &[Tok], text: &str) -> bool {
    if toks.len() == 1 && toks[0] == Tok::Any {
        return true;
    }
    let pat_segs = split_tokens(toks);
    let is_arn_pattern = pat_segs.len() == 6 && starts_with_arn(toks);
    if !is_arn_pattern {
        return matches(toks, text.as_bytes(), false);
    }
    let val_segs: Vec<&str> = text.splitn(6, ':').collect();
    if val_segs.len() != 6 {
        return false;
    }
    pat_segs
        .iter()
        .zip(val_segs.iter())
        .all(|(p, v)| matches(p, v.as_bytes(), false))
}

fn starts_with_arn(toks: &[Tok]) -> bool {
    toks.len() >= 4
        && toks[..4]
            == [
                Tok::Lit(b'a'),
                Tok::Lit(b'r'),
                Tok::Lit(b'n'),
                Tok::Lit(b':'),
            ]
}

/// Splits tokens into at most six segments at literal `:`.
fn split_tokens(toks: &[Tok]) -> Vec<&[Tok]> {
    let mut out = Vec::with_capacity(6);
    let mut start = 0;
    for (i, t) in toks.iter().enumerate() {
        if out.len() == 5 {
            break;
        }
        if *t == Tok::Lit(b':') {
            out.push(&toks[start..i]);
            start = i + 1;
        }
    }
    out.push(&toks[start..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, t: &str) -> bool {
        matches(&compile(p), t.as_bytes(), false)
    }
    fn arn(p: &str, t: &str) -> bool {
        matches_arn(&compile(p), t)
    }

    #[test]
    fn star_and_question_mark() {
        assert!(m("*", ""));
        assert!(m("s3:Get*", "s3:GetObject"));
        assert!(m("s3:*Object", "s3:GetObject"));
        assert!(!m("s3:Get*", "s3:PutObject"));
        assert!(m("iam:?etUser", "iam:GetUser"));
        assert!(!m("iam:?etUser", "iam:GGetUser"));
        assert!(m("a*b*c", "aXXbYYbc"));
        assert!(!m("a*b*c", "aXXbYYb"));
        assert!(m("**", "abc"));
    }

    #[test]
    fn actions_ignore_case() {
        assert!(matches(&compile("S3:getobject"), b"s3:GetObject", true));
        assert!(!matches(&compile("S3:getobject"), b"s3:GetObject", false));
    }

    #[test]
    fn arn_segments_do_not_span() {
        // A wildcard in the region segment does not swallow the account segment.
        assert!(arn("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/a/b:c"));
        assert!(arn(
            "arn:aws:iam::*:role/x",
            "arn:aws:iam::123456789012:role/x"
        ));
        assert!(!arn("arn:aws:iam::*:role/x", "arn:aws:iam::123:456:role/x"));
        assert!(arn(
            "arn:aws:ec2:*:*:instance/*",
            "arn:aws:ec2:us-east-1:1:instance/i-1"
        ));
        assert!(!arn(
            "arn:aws:ec2:us-*:*:instance/*",
            "arn:aws:ec2:eu-west-1:1:instance/i-1"
        ));
        assert!(arn("*", "anything"));
        assert!(!arn("arn:aws:s3:::Bucket", "arn:aws:s3:::bucket"));
    }
}
