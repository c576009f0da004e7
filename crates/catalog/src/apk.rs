//! Alpine packages: `lib/apk/db/installed`.

use crate::text::{line_no, lossy};
use crate::{CatalogError, Cataloger, FileMeta, ParseContext, Parsed};
use rampart_core::{Ecosystem, Location, Package, SourcePackage};

/// Reads the apk installed database.
pub(crate) struct Apk;

impl Cataloger for Apk {
    fn name(&self) -> &'static str {
        "apk"
    }

    fn wants(&self, file: &FileMeta) -> bool {
        file.path == "lib/apk/db/installed"
    }

    fn parse(&self, ctx: &ParseContext, content: &[u8]) -> Result<Parsed, CatalogError> {
        Ok(parse_installed(ctx.path, &lossy(content)))
    }
}

/// One package record being read.
#[derive(Default)]
struct Record {
    line: u32,
    name: Option<String>,
    version: Option<String>,
    arch: Option<String>,
    origin: Option<String>,
    license: Option<String>,
}

/// Parses the `X:value` records of an apk database; records are separated by blank lines.
pub(crate) fn parse_installed(path: &str, text: &str) -> Parsed {
    let mut out = Parsed::default();
    let mut rec: Option<Record> = None;
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            if let Some(r) = rec.take() {
                finish(path, r, &mut out);
            }
            continue;
        }
        let r = rec.get_or_insert_with(|| Record {
            line: line_no(i),
            ..Record::default()
        });
        let Some((key, value)) = line.split_once(':') else {
            out.warn(path, Some(line_no(i)), "malformed apk database line");
            continue;
        };
        let value = Some(value.trim().to_string());
        match key {
            "P" => r.name = value,
            "V" => r.version = value,
            "A" => r.arch = value,
            "o" => r.origin = value,
            "L" => r.license = value,
            _ => {}
        }
    }
    if let Some(r) = rec {
        finish(path, r, &mut out);
    }
    out
}

fn finish(path: &str, r: Record, out: &mut Parsed) {
    let (Some(name), Some(version)) = (r.name, r.version) else {
        out.warn(path, Some(r.line), "apk record without P: or V:");
        return;
    };
    if name.is_empty() || version.is_empty() {
        out.warn(
            path,
            Some(r.line),
            "apk record with an empty name or version",
        );
        return;
    }
    let mut pkg =
        Package::new(Ecosystem::Apk, &name, version).at(Location::with_line(path, r.line));
    pkg.arch = r.arch.filter(|a| !a.is_empty());
    pkg.source = Some(SourcePackage {
        name: r.origin.filter(|o| !o.is_empty()).unwrap_or(name),
        version: None,
    });
    pkg.licenses = r.license.filter(|l| !l.is_empty()).into_iter().collect();
    out.packages.push(pkg);
}

#[cfg(test)]
mod tests {
    use super::*;

    const INSTALLED: &str = "\
C:Q1WkFnQKm9mm7VeKCOtQVqZ7sSOM0=
P:musl
V:1.2.4_git20230717-r4
A:x86_64
S:407283
I:667648
T:the musl c library (libc) implementation
U:https://musl.libc.org/
L:MIT
o:musl
m:Natanael Copa <ncopa@alpinelinux.org>
t:1705070906
c:4a8e8e6e3b1a9a1e8e1e2b1e5d1e0b1a3c1e9f1d
F:lib
R:ld-musl-x86_64.so.1
a:0:0:755

C:Q1mZ3+YBd6b3k0eU7N7b9o7sC8Cz4=
P:libcrypto3
V:3.1.4-r5
A:x86_64
S:1713445
L:Apache-2.0
o:openssl
D:so:libc.musl-x86_64.so.1
";

    #[test]
    fn parses_real_apk_records() {
        let out = parse_installed("lib/apk/db/installed", INSTALLED);
        assert!(out.warnings.is_empty());
        assert_eq!(out.packages.len(), 2);
        let c = &out.packages[1];
        assert_eq!(
            (c.name.as_str(), c.version.as_str()),
            ("libcrypto3", "3.1.4-r5")
        );
        assert_eq!(c.advisory_name(), "openssl");
        assert_eq!(c.licenses, ["Apache-2.0"]);
        assert_eq!(c.arch.as_deref(), Some("x86_64"));
        assert_eq!(c.locations[0].line, Some(18));
    }

    #[test]
    fn incomplete_records_warn() {
        let out = parse_installed("x", "P:a\n\nnot a field\nV:1\nP:b\n");
        assert_eq!(out.packages.len(), 1);
        assert_eq!(out.warnings.len(), 2);
        parse_installed("x", "\u{0}\n:::\nP:\nV:\n");
    }
}
