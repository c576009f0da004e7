//! npm: `package-lock.json` (v1, v2, v3, and `npm-shrinkwrap.json`) and installed
//! `node_modules/**/package.json`.

use crate::text::{file_name, line_no, lossy};
use crate::{CatalogError, Cataloger, FileMeta, ParseContext, Parsed};
use rampart_core::{Ecosystem, Location, Package};
use serde_json::{Map, Value};
use std::collections::HashMap;

/// Deepest v1 `dependencies` nesting followed.
const MAX_DEPTH: usize = 64;

/// Reads npm lockfiles.
pub(crate) struct PackageLock;

impl Cataloger for PackageLock {
    fn name(&self) -> &'static str {
        "npm-lock"
    }

    fn wants(&self, file: &FileMeta) -> bool {
        let name = file_name(file.path);
        (name == "package-lock.json" || name == "npm-shrinkwrap.json")
            && !crate::text::in_node_modules(file.path)
    }

    fn parse(&self, ctx: &ParseContext, content: &[u8]) -> Result<Parsed, CatalogError> {
        parse_package_lock(ctx.path, content)
    }
}

/// Parses a package-lock: the `packages` map (v2, v3) when present, else nested `dependencies` (v1).
pub(crate) fn parse_package_lock(path: &str, content: &[u8]) -> Result<Parsed, CatalogError> {
    let doc: Value = serde_json::from_slice(content).map_err(|e| CatalogError::parse(path, e))?;
    let text = lossy(content);
    let mut out = Parsed::default();
    if let Some(packages) = doc.get("packages").and_then(Value::as_object) {
        let lines = key_lines(&text);
        for (key, entry) in packages {
            let Some(name) = name_from_key(key) else {
                continue; // the root project ("") and workspace folders
            };
            if entry.get("link").and_then(Value::as_bool) == Some(true) {
                continue;
            }
            let name = entry.get("name").and_then(Value::as_str).unwrap_or(name);
            push(
                &mut out,
                path,
                name,
                entry,
                lines.get(key.as_str()).copied(),
            );
        }
    } else if let Some(deps) = doc.get("dependencies").and_then(Value::as_object) {
        let lines = key_lines(&text);
        walk_v1(&mut out, path, deps, &lines, 0);
    }
    Ok(out)
}

fn walk_v1(
    out: &mut Parsed,
    path: &str,
    deps: &Map<String, Value>,
    lines: &HashMap<&str, u32>,
    depth: usize,
) {
    if depth > MAX_DEPTH {
        out.warn(
            path,
            None,
            "npm dependencies nested too deeply; rest skipped",
        );
        return;
    }
    for (name, entry) in deps {
        push(out, path, name, entry, lines.get(name.as_str()).copied());
        if let Some(nested) = entry.get("dependencies").and_then(Value::as_object) {
            walk_v1(out, path, nested, lines, depth + 1);
        }
    }
}

fn push(out: &mut Parsed, path: &str, name: &str, entry: &Value, line: Option<u32>) {
    let Some(version) = entry.get("version").and_then(Value::as_str) else {
        out.warn(
            path,
            line,
            format!("npm lock entry {name:?} without a version"),
        );
        return;
    };
    // Git, file and alias specs (`github:…`, `file:…`, `npm:…`) are not registry versions.
    if version.is_empty() || version.contains(':') || version.contains('/') || name.is_empty() {
        return;
    }
    let loc = match line {
        Some(l) => Location::with_line(path, l),
        None => Location::new(path),
    };
    let mut pkg = Package::new(Ecosystem::Npm, name, version).at(loc);
    if let Some(l) = entry.get("license").and_then(Value::as_str) {
        pkg.licenses.push(l.to_string());
    }
    out.packages.push(pkg);
}

/// The package name of a v2 `packages` key: the part after the last `node_modules/`, scope included.
fn name_from_key(key: &str) -> Option<&str> {
    let (_, name) = key.rsplit_once("node_modules/")?;
    (!name.is_empty()).then_some(name)
}

/// First line of each `"key": {` object key (cheap and approximate; the first occurrence wins).
fn key_lines(text: &str) -> HashMap<&str, u32> {
    let mut out = HashMap::new();
    for (i, line) in text.lines().enumerate() {
        let t = line.trim_start();
        if let Some(rest) = t.strip_prefix('"')
            && let Some((key, tail)) = rest.split_once('"')
            && tail.trim_start().starts_with(':')
            && tail.trim_end().ends_with('{')
        {
            out.entry(key).or_insert(line_no(i));
        }
    }
    out
}

/// Reads installed packages' `package.json` inside `node_modules`.
pub(crate) struct NodeModules;

impl Cataloger for NodeModules {
    fn name(&self) -> &'static str {
        "npm-installed"
    }

    fn wants(&self, file: &FileMeta) -> bool {
        let Some((_, rest)) = file.path.rsplit_once("node_modules/") else {
            return false;
        };
        let Some(dir) = rest.strip_suffix("/package.json") else {
            return false;
        };
        match dir.split_once('/') {
            None => !dir.is_empty(),
            Some((scope, name)) => {
                scope.starts_with('@') && !name.is_empty() && !name.contains('/')
            }
        }
    }

    fn max_size(&self) -> u64 {
        4 << 20
    }

    fn parse(&self, ctx: &ParseContext, content: &[u8]) -> Result<Parsed, CatalogError> {
        let doc: Value =
            serde_json::from_slice(content).map_err(|e| CatalogError::parse(ctx.path, e))?;
        let mut out = Parsed::default();
        let name = doc.get("name").and_then(Value::as_str).unwrap_or("");
        let version = doc.get("version").and_then(Value::as_str).unwrap_or("");
        if name.is_empty() || version.is_empty() {
            out.warn(ctx.path, None, "package.json without name or version");
            return Ok(out);
        }
        let mut pkg = Package::new(Ecosystem::Npm, name, version).at(Location::new(ctx.path));
        match doc.get("license") {
            Some(Value::String(l)) => pkg.licenses.push(l.clone()),
            Some(Value::Object(o)) => pkg
                .licenses
                .extend(o.get("type").and_then(Value::as_str).map(str::to_string)),
            _ => {}
        }
        out.packages.push(pkg);
        Ok(out)
    }
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

    const V3: &str = r#"{
  "name": "my-app",
  "version": "1.0.0",
  "lockfileVersion": 3,
  "requires": true,
  "packages": {
    "": {
      "name": "my-app",
      "version": "1.0.0",
      "dependencies": {
        "@babel/code-frame": "^7.22.13",
        "lodash": "^4.17.20"
      }
    },
    "node_modules/@babel/code-frame": {
      "version": "7.22.13",
      "resolved": "https://registry.npmjs.org/@babel/code-frame/-/code-frame-7.22.13.tgz",
      "integrity": "sha512-XktuhWlJ5g+3TJXc5upd9Ks1HutSArik6jf2eAjYFyIOf4ej3RN+184cZbzDvbPnuTJIUhPKKJE3cIsYTiAT3w==",
      "dev": true
    },
    "node_modules/lodash": {
      "version": "4.17.20",
      "resolved": "https://registry.npmjs.org/lodash/-/lodash-4.17.20.tgz",
      "license": "MIT"
    },
    "node_modules/foo/node_modules/lodash": {
      "version": "3.10.1"
    },
    "node_modules/my-lib": {
      "resolved": "packages/my-lib",
      "link": true
    },
    "packages/my-lib": {
      "version": "0.0.1"
    }
  }
}"#;

    #[test]
    fn parses_v3_packages() {
        let out = parse_package_lock("package-lock.json", V3.as_bytes()).unwrap();
        assert_eq!(
            got(&out),
            [
                ("@babel/code-frame".into(), "7.22.13".into(), Some(15)),
                // serde_json maps are sorted by key
                ("lodash".into(), "3.10.1".into(), Some(26)),
                ("lodash".into(), "4.17.20".into(), Some(21)),
            ]
        );
        assert_eq!(out.packages[0].purl, "pkg:npm/%40babel/code-frame@7.22.13");
        assert_eq!(out.packages[2].licenses, ["MIT"]);
    }

    #[test]
    fn parses_v1_nested_dependencies() {
        let text = r#"{
  "name": "old",
  "lockfileVersion": 1,
  "dependencies": {
    "debug": {
      "version": "2.6.9",
      "requires": { "ms": "2.0.0" },
      "dependencies": {
        "ms": {
          "version": "2.0.0"
        }
      }
    },
    "mylib": {
      "version": "github:me/mylib#abc"
    }
  }
}"#;
        let out = parse_package_lock("package-lock.json", text.as_bytes()).unwrap();
        assert_eq!(
            got(&out),
            [
                ("debug".into(), "2.6.9".into(), Some(5)),
                ("ms".into(), "2.0.0".into(), Some(9))
            ]
        );
    }

    #[test]
    fn hostile_locks_error_or_skip() {
        assert!(parse_package_lock("p", b"{\"packages\":").is_err());
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(parse_package_lock("p", deep.as_bytes()).is_err());
        let out =
            parse_package_lock("p", br#"{"packages":{"node_modules/x":{"version":7}}}"#).unwrap();
        assert!(out.packages.is_empty() && out.warnings.len() == 1);
    }

    #[test]
    fn node_modules_package_json() {
        let meta = |path| FileMeta {
            path,
            size: 1,
            executable: false,
        };
        assert!(NodeModules.wants(&meta("app/node_modules/lodash/package.json")));
        assert!(NodeModules.wants(&meta("node_modules/@types/node/package.json")));
        assert!(NodeModules.wants(&meta("node_modules/a/node_modules/b/package.json")));
        assert!(!NodeModules.wants(&meta("node_modules/a/test/package.json")));
        assert!(!NodeModules.wants(&meta("app/package.json")));
        let ctx = ParseContext {
            path: "node_modules/@types/node/package.json",
            os: None,
        };
        let body = br#"{"name":"@types/node","version":"20.10.0","license":"MIT"}"#;
        let out = NodeModules.parse(&ctx, body).unwrap();
        assert_eq!(out.packages[0].name, "@types/node");
        assert_eq!(out.packages[0].licenses, ["MIT"]);
    }
}
