//! Path and text helpers shared by the catalogers.

use std::borrow::Cow;

/// The last `/`-separated component of `path`.
pub(crate) fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// The directory part of `path` (empty for a bare file name).
pub(crate) fn parent(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(dir, _)| dir)
}

/// Whether `path` lies inside a `node_modules` directory. Lockfiles there belong to the development of
/// a dependency, not to what is installed, so lockfile catalogers ignore them.
pub(crate) fn in_node_modules(path: &str) -> bool {
    path.starts_with("node_modules/") || path.contains("/node_modules/")
}

/// The content as text; invalid UTF-8 is replaced rather than rejected, so one bad byte costs one entry.
pub(crate) fn lossy(content: &[u8]) -> Cow<'_, str> {
    let content = content.strip_prefix(b"\xef\xbb\xbf").unwrap_or(content);
    String::from_utf8_lossy(content)
}

/// A 1-based line number as stored in locations.
pub(crate) fn line_no(index: usize) -> u32 {
    u32::try_from(index + 1).unwrap_or(u32::MAX)
}

/// PEP 503 normalised Python project name: lower case, runs of `-`, `_` and `.` become one `-`.
pub(crate) fn pep503(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut sep = false;
    for c in name.trim().chars() {
        if matches!(c, '-' | '_' | '.') {
            sep = true;
        } else {
            if sep && !out.is_empty() {
                out.push('-');
            }
            sep = false;
            out.push(c.to_ascii_lowercase());
        }
    }
    out
}

/// Removes one pair of matching surrounding quotes.
pub(crate) fn unquote(s: &str) -> &str {
    let s = s.trim();
    for q in ['"', '\''] {
        if let Some(inner) = s.strip_prefix(q).and_then(|r| r.strip_suffix(q)) {
            return inner;
        }
    }
    s
}

/// The first line on which `needle` occurs in `text`, 1-based.
pub(crate) fn find_line(text: &str, needle: &str) -> Option<u32> {
    let at = text.find(needle)?;
    Some(line_no(text[..at].bytes().filter(|&b| b == b'\n').count()))
}

/// The 1-based lines of each `[[package]]` table header in a TOML lockfile, in order.
pub(crate) fn toml_package_lines(text: &str) -> Vec<u32> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| l.trim() == "[[package]]")
        .map(|(i, _)| line_no(i))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pep503_normalises() {
        assert_eq!(pep503("Django_Rest.Framework"), "django-rest-framework");
        assert_eq!(pep503("zope..interface"), "zope-interface");
        assert_eq!(pep503("PyYAML"), "pyyaml");
    }

    #[test]
    fn paths_split() {
        assert_eq!(file_name("a/b/c.txt"), "c.txt");
        assert_eq!(parent("a/b/c.txt"), "a/b");
        assert_eq!(parent("c.txt"), "");
        assert_eq!(find_line("a\nb\nc", "c"), Some(3));
    }
}
