//! Go modules: `go.mod` requirements, with `replace` directives applied.

use crate::text::{file_name, line_no, lossy};
use crate::{CatalogError, Cataloger, FileMeta, ParseContext, Parsed};
use rampart_core::{Ecosystem, Location, Package};
use std::collections::HashMap;

/// Reads `go.mod`.
pub(crate) struct GoMod;

impl Cataloger for GoMod {
    fn name(&self) -> &'static str {
        "go-mod"
    }

    fn wants(&self, file: &FileMeta) -> bool {
        file_name(file.path) == "go.mod"
    }

    fn max_size(&self) -> u64 {
        8 << 20
    }

    fn parse(&self, ctx: &ParseContext, content: &[u8]) -> Result<Parsed, CatalogError> {
        Ok(parse_go_mod(ctx.path, &lossy(content)))
    }
}

/// A `replace` target: module path and, for module replacements, a version (local paths have none).
struct Replacement {
    path: String,
    version: Option<String>,
}

/// Parses `require` and `replace` directives, single-line and block forms. Replacements that carry a
/// version replace the module path and version; local-directory replacements leave the requirement.
pub(crate) fn parse_go_mod(path: &str, text: &str) -> Parsed {
    let mut out = Parsed::default();
    let mut requires: Vec<(String, String, u32)> = Vec::new();
    // Keyed by (old path, optional old version).
    let mut replaces: HashMap<(String, Option<String>), Replacement> = HashMap::new();
    let mut block: Option<&str> = None;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.split("//").next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        if block.is_some() && line == ")" {
            block = None;
            continue;
        }
        let (verb, rest) = match block {
            Some(b) => (b, line),
            None => match line.split_once(char::is_whitespace) {
                Some((v, r)) if r.trim() == "(" => {
                    block = Some(if v == "require" {
                        "require"
                    } else if v == "replace" {
                        "replace"
                    } else {
                        "other"
                    });
                    continue;
                }
                Some((v, r)) => (v, r.trim()),
                None => continue,
            },
        };
        match verb {
            "require" => match rest.split_whitespace().collect::<Vec<_>>()[..] {
                [module, version] => {
                    requires.push((unquote(module), version.to_string(), line_no(i)))
                }
                _ => out.warn(path, Some(line_no(i)), "malformed go.mod require"),
            },
            "replace" => match parse_replace(rest) {
                Some((key, r)) => {
                    replaces.insert(key, r);
                }
                None => out.warn(path, Some(line_no(i)), "malformed go.mod replace"),
            },
            _ => {}
        }
    }
    for (module, version, line) in requires {
        let r = replaces
            .get(&(module.clone(), Some(version.clone())))
            .or_else(|| replaces.get(&(module.clone(), None)));
        let (module, version) = match r {
            Some(Replacement {
                path,
                version: Some(v),
            }) => (path.clone(), v.clone()),
            _ => (module, version),
        };
        out.packages
            .push(Package::new(Ecosystem::Go, module, version).at(Location::with_line(path, line)));
    }
    out
}

fn parse_replace(rest: &str) -> Option<((String, Option<String>), Replacement)> {
    let (old, new) = rest.split_once("=>")?;
    let old: Vec<&str> = old.split_whitespace().collect();
    let new: Vec<&str> = new.split_whitespace().collect();
    let key = match old[..] {
        [p] => (unquote(p), None),
        [p, v] => (unquote(p), Some(v.to_string())),
        _ => return None,
    };
    let replacement = match new[..] {
        [p] => Replacement {
            path: unquote(p),
            version: None,
        },
        [p, v] => Replacement {
            path: unquote(p),
            version: Some(v.to_string()),
        },
        _ => return None,
    };
    Some((key, replacement))
}

fn unquote(s: &str) -> String {
    s.trim_matches(|c| c == '"' || c == '`').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_requires_and_replaces() {
        let text = r#"module github.com/example/app

go 1.21

require github.com/gorilla/mux v1.8.0

require (
	github.com/sirupsen/logrus v1.9.3
	golang.org/x/net v0.17.0 // indirect
	golang.org/x/sys v0.13.0 // indirect
	example.com/local v1.0.0
)

replace golang.org/x/net v0.17.0 => golang.org/x/net v0.19.0

replace (
	golang.org/x/sys => github.com/fork/sys v0.14.0
	example.com/local => ../local
)
"#;
        let out = parse_go_mod("go.mod", text);
        assert!(out.warnings.is_empty(), "{:?}", out.warnings);
        let got: Vec<_> = out
            .packages
            .iter()
            .map(|p| (p.name.as_str(), p.version.as_str(), p.locations[0].line))
            .collect();
        assert_eq!(
            got,
            [
                ("github.com/gorilla/mux", "v1.8.0", Some(5)),
                ("github.com/sirupsen/logrus", "v1.9.3", Some(8)),
                ("golang.org/x/net", "v0.19.0", Some(9)),
                ("github.com/fork/sys", "v0.14.0", Some(10)),
                ("example.com/local", "v1.0.0", Some(11)),
            ]
        );
        assert_eq!(
            out.packages[0].purl,
            "pkg:golang/github.com/gorilla/mux@v1.8.0"
        );
    }

    #[test]
    fn malformed_lines_warn() {
        let out = parse_go_mod(
            "go.mod",
            "require (\nonlyone\n)\nreplace a =>\nrequire x y z\n",
        );
        assert_eq!(out.warnings.len(), 3);
        parse_go_mod("go.mod", "require (\n(\n)\n)\n=>\nreplace =>\n");
    }
}
