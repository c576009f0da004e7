//! pnpm lockfiles: v5 (`/name/1.2.3`), v6 (`/name@1.2.3`) and v9 (`name@1.2.3`) package keys.

use crate::text::{file_name, line_no, lossy, unquote};
use crate::{CatalogError, Cataloger, FileMeta, ParseContext, Parsed};
use rampart_core::{Ecosystem, Location, Package};

/// Reads `pnpm-lock.yaml`.
pub(crate) struct PnpmLock;

impl Cataloger for PnpmLock {
    fn name(&self) -> &'static str {
        "pnpm-lock"
    }

    fn wants(&self, file: &FileMeta) -> bool {
        file_name(file.path) == "pnpm-lock.yaml" && !crate::text::in_node_modules(file.path)
    }

    fn parse(&self, ctx: &ParseContext, content: &[u8]) -> Result<Parsed, CatalogError> {
        Ok(parse_pnpm_lock(ctx.path, &lossy(content)))
    }
}

/// Reads the keys of the top-level `packages:` map. pnpm writes them one per line, indented by two
/// spaces, so a line scan is exact for real files and needs no YAML parser on hostile input.
pub(crate) fn parse_pnpm_lock(path: &str, text: &str) -> Parsed {
    let mut out = Parsed::default();
    let mut in_packages = false;
    for (i, line) in text.lines().enumerate() {
        if !line.starts_with(' ') && !line.trim().is_empty() {
            in_packages = line.trim_end() == "packages:";
            continue;
        }
        let Some(key) = line.strip_prefix("  ").filter(|k| !k.starts_with(' ')) else {
            continue;
        };
        if !in_packages {
            continue;
        }
        let Some(key) = key.trim_end().strip_suffix(':') else {
            continue;
        };
        match split_key(unquote(key)) {
            Some((name, version)) => out.packages.push(
                Package::new(Ecosystem::Npm, name, version)
                    .at(Location::with_line(path, line_no(i))),
            ),
            None => {
                if !key.contains(':') {
                    out.warn(path, Some(line_no(i)), "unrecognised pnpm package key");
                }
            }
        }
    }
    out
}

/// Name and version of a package key, peer suffixes (`(react@18.2.0)`, `_react@18.2.0`) removed.
fn split_key(key: &str) -> Option<(&str, &str)> {
    let key = key.split('(').next()?;
    let (name, version) = match key.strip_prefix('/') {
        // v6 `/name@1.2.3` or v5 `/name/1.2.3`
        Some(rest) => {
            let name_segments = if rest.starts_with('@') { 2 } else { 1 };
            match rest.match_indices('/').nth(name_segments - 1) {
                Some((slash, _)) => (&rest[..slash], &rest[slash + 1..]),
                None => {
                    let at = rest.get(1..)?.find('@')? + 1;
                    (&rest[..at], &rest[at + 1..])
                }
            }
        }
        None => {
            let at = key.get(1..)?.find('@')? + 1;
            (&key[..at], &key[at + 1..])
        }
    };
    let version = version.split('_').next()?;
    let valid = !name.is_empty()
        && version.starts_with(|c: char| c.is_ascii_digit())
        && !version.contains(':');
    valid.then_some((name, version))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn got(out: &Parsed) -> Vec<(String, String, Option<u32>)> {
        out.packages
            .iter()
            .map(|p| (p.name.clone(), p.version.clone(), p.locations[0].line))
            .collect()
    }

    #[test]
    fn parses_v5_keys() {
        let text = r#"lockfileVersion: 5.4

specifiers:
  lodash: ^4.17.21

packages:

  /lodash/4.17.21:
    resolution: {integrity: sha512-v2kDEe57lecTulaDIuNTPy3Ry4gLGJ6Z1O3vE1krgXZNrsQ+LFTGHVxVjcXPs17LhbZVGedAJv8XZ1tvj5FvSg==}
    dev: false

  /@babel/core/7.22.5_react@18.2.0:
    resolution: {integrity: sha512-x}
"#;
        let out = parse_pnpm_lock("pnpm-lock.yaml", text);
        assert_eq!(
            got(&out),
            [
                ("lodash".into(), "4.17.21".into(), Some(8)),
                ("@babel/core".into(), "7.22.5".into(), Some(12))
            ]
        );
    }

    #[test]
    fn parses_v6_and_v9_keys() {
        let v6 = r#"lockfileVersion: '6.0'

dependencies:
  lodash:
    specifier: ^4.17.21

packages:

  /@babel/core@7.22.5(supports-color@5.5.0):
    resolution: {}

  /lodash@4.17.21:
    resolution: {}
"#;
        let out = parse_pnpm_lock("pnpm-lock.yaml", v6);
        assert_eq!(
            got(&out),
            [
                ("@babel/core".into(), "7.22.5".into(), Some(9)),
                ("lodash".into(), "4.17.21".into(), Some(12))
            ]
        );
        let v9 = r#"lockfileVersion: '9.0'

importers:

  .:
    dependencies:

packages:

  '@babel/code-frame@7.24.7':
    resolution: {integrity: sha512-x}

  lodash@4.17.21:
    resolution: {}

snapshots:

  lodash@4.17.21: {}
"#;
        let out = parse_pnpm_lock("pnpm-lock.yaml", v9);
        assert_eq!(
            got(&out),
            [
                ("@babel/code-frame".into(), "7.24.7".into(), Some(10)),
                ("lodash".into(), "4.17.21".into(), Some(13))
            ]
        );
    }

    #[test]
    fn garbage_does_not_panic() {
        parse_pnpm_lock(
            "p",
            "packages:\n  /:\n  @:\n  '':\n  /@/:\n  x@y:\n  \u{0}:\n",
        );
    }
}
