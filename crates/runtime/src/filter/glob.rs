//! `fnmatch`-style glob matching (`*`, `?`, `[...]`), as libsinsp's `glob` operator uses it: `*`
//! also matches `/`. Iterative with backtracking to the last star, so linear-ish and never recursive.

/// True when `text` matches `pattern`. `fold` compares ASCII case-insensitively.
pub fn glob_match(pattern: &[u8], text: &[u8], fold: bool) -> bool {
    let eq = |a: u8, b: u8| {
        if fold {
            a.eq_ignore_ascii_case(&b)
        } else {
            a == b
        }
    };
    let (mut p, mut t) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() {
            match pattern[p] {
                b'*' => {
                    star = Some((p, t));
                    p += 1;
                    continue;
                }
                b'?' => {
                    p += 1;
                    t += 1;
                    continue;
                }
                b'[' => {
                    if let Some((matched, next)) = class(pattern, p, text[t], fold) {
                        if matched {
                            p = next;
                            t += 1;
                            continue;
                        }
                    } else if eq(b'[', text[t]) {
                        p += 1;
                        t += 1;
                        continue;
                    }
                }
                c if eq(c, text[t]) => {
                    p += 1;
                    t += 1;
                    continue;
                }
                _ => {}
            }
        }
        match star {
            Some((sp, st)) => {
                p = sp + 1;
                t = st + 1;
                star = Some((sp, st + 1));
            }
            None => return false,
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
}

/// Matches `c` against the class starting at `pattern[p] == '['`; returns (matched, index after `]`).
fn class(pattern: &[u8], p: usize, c: u8, fold: bool) -> Option<(bool, usize)> {
    let mut i = p + 1;
    let negate = matches!(pattern.get(i), Some(b'!' | b'^'));
    if negate {
        i += 1;
    }
    let c = if fold { c.to_ascii_lowercase() } else { c };
    let mut matched = false;
    let mut first = true;
    while i < pattern.len() {
        let lo = pattern[i];
        if lo == b']' && !first {
            return Some((matched != negate, i + 1));
        }
        first = false;
        let lo = if fold { lo.to_ascii_lowercase() } else { lo };
        if pattern.get(i + 1) == Some(&b'-') && pattern.get(i + 2).is_some_and(|&h| h != b']') {
            let hi = pattern[i + 2];
            let hi = if fold { hi.to_ascii_lowercase() } else { hi };
            if lo <= c && c <= hi {
                matched = true;
            }
            i += 3;
        } else {
            if lo == c {
                matched = true;
            }
            i += 1;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::glob_match;

    #[test]
    fn globs() {
        assert!(glob_match(
            b"/home/*/.ssh/*",
            b"/home/al/.ssh/id_rsa",
            false
        ));
        assert!(glob_match(b"/proc/*/environ", b"/proc/1/environ", false));
        assert!(!glob_match(b"/proc/*/environ", b"/proc/1/status", false));
        assert!(glob_match(b"*../*../*", b"a/../b/../c", false));
        assert!(glob_match(b"/proc*", b"/proc", false));
        assert!(glob_match(b"[a-c]?x", b"bzx", false));
        assert!(glob_match(b"ABC*", b"abcd", true));
        assert!(!glob_match(b"/etc", b"/etc/passwd", false));
    }
}
