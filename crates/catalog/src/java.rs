//! Java archives (`.jar`, `.war`, `.ear`): Maven `pom.properties`, else `MANIFEST.MF`, and nested
//! archives (`BOOT-INF/lib`, `WEB-INF/lib`) up to a bounded depth and decompressed size.

use crate::text::{file_name, lossy};
use crate::{CatalogError, Cataloger, FileMeta, ParseContext, Parsed};
use rampart_core::{Ecosystem, Location, Package};
use std::io::{Cursor, Read};

/// Total decompressed bytes read from one outer archive, nested archives included.
const MAX_TOTAL: u64 = 256 << 20;
/// Entries examined in one outer archive, nested archives included.
const MAX_ENTRIES: u64 = 200_000;
/// Largest metadata file read (`pom.properties`, `MANIFEST.MF`).
const MAX_METADATA: u64 = 1 << 20;
/// Nesting depth followed (the outer archive is depth 0).
const MAX_DEPTH: u32 = 3;

/// Reads Java archives.
pub(crate) struct JavaArchive;

impl Cataloger for JavaArchive {
    fn name(&self) -> &'static str {
        "java-archive"
    }

    fn wants(&self, file: &FileMeta) -> bool {
        is_archive_name(file.path)
    }

    fn max_size(&self) -> u64 {
        256 << 20
    }

    fn parse(&self, ctx: &ParseContext, content: &[u8]) -> Result<Parsed, CatalogError> {
        let mut out = Parsed::default();
        let mut budget = Budget {
            bytes: MAX_TOTAL,
            entries: MAX_ENTRIES,
        };
        parse_archive(ctx.path, content, 0, &mut budget, &mut out);
        Ok(out)
    }
}

fn is_archive_name(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    [".jar", ".war", ".ear"].iter().any(|e| lower.ends_with(e))
}

/// What is left to read across one outer archive.
struct Budget {
    bytes: u64,
    entries: u64,
}

/// Catalogs one archive at `location`, recursing into nested archives.
fn parse_archive(location: &str, data: &[u8], depth: u32, budget: &mut Budget, out: &mut Parsed) {
    let mut zip = match zip::ZipArchive::new(Cursor::new(data)) {
        Ok(z) => z,
        Err(e) => {
            out.warn(location, None, format!("not a readable Java archive: {e}"));
            return;
        }
    };
    let mut poms = Vec::new();
    let mut manifest = None;
    let mut nested = Vec::new();
    for i in 0..zip.len() {
        if budget.entries == 0 {
            out.warn(location, None, "too many archive entries; rest skipped");
            break;
        }
        budget.entries -= 1;
        let name = match zip
            .by_index(i)
            .and_then(|f| f.name().map(|n| n.into_owned()))
        {
            Ok(n) => n,
            Err(_) => continue,
        };
        if name.starts_with("META-INF/maven/") && name.ends_with("/pom.properties") {
            poms.push(i);
        } else if name.eq_ignore_ascii_case("META-INF/MANIFEST.MF") {
            manifest = Some(i);
        } else if depth < MAX_DEPTH && is_nested_archive(&name) {
            nested.push((i, name));
        }
    }
    let mut found = false;
    for i in poms {
        if let Some(text) = read_entry(&mut zip, i, MAX_METADATA, budget)
            && let Some(pkg) = from_pom_properties(&lossy(&text), location)
        {
            out.packages.push(pkg);
            found = true;
        }
    }
    if !found {
        let from_manifest = manifest
            .and_then(|i| read_entry(&mut zip, i, MAX_METADATA, budget))
            .and_then(|text| from_manifest(&lossy(&text), location));
        // An archive with no identifying metadata at all is not malformed, just anonymous.
        out.packages
            .extend(from_manifest.or_else(|| from_file_name(location)));
    }
    for (i, name) in nested {
        let Some(inner) = read_entry(&mut zip, i, budget.bytes, budget) else {
            out.warn(
                location,
                None,
                format!("{name}: decompression budget exhausted"),
            );
            break;
        };
        parse_archive(
            &format!("{location}!/{name}"),
            &inner,
            depth + 1,
            budget,
            out,
        );
    }
}

/// Libraries of Spring Boot and web applications, and modules at the root of an EAR.
fn is_nested_archive(name: &str) -> bool {
    let in_lib = name.starts_with("BOOT-INF/lib/")
        || name.starts_with("WEB-INF/lib/")
        || name.starts_with("lib/");
    is_archive_name(name) && (in_lib || !name.contains('/'))
}

/// Reads one entry, at most `limit` bytes and what the budget still allows; `None` when it does not fit.
fn read_entry(
    zip: &mut zip::ZipArchive<Cursor<&[u8]>>,
    index: usize,
    limit: u64,
    budget: &mut Budget,
) -> Option<Vec<u8>> {
    let entry = zip.by_index(index).ok()?;
    let cap = limit.min(budget.bytes);
    let mut buf = Vec::new();
    entry
        .take(cap.saturating_add(1))
        .read_to_end(&mut buf)
        .ok()?;
    let n = buf.len() as u64;
    budget.bytes = budget.bytes.saturating_sub(n);
    (n <= cap).then_some(buf)
}

fn properties(text: &str) -> impl Iterator<Item = (&str, &str)> {
    text.lines()
        .filter(|l| !l.trim_start().starts_with(['#', '!']))
        .filter_map(|l| l.split_once(['=', ':']))
        .map(|(k, v)| (k.trim(), v.trim()))
}

fn from_pom_properties(text: &str, location: &str) -> Option<Package> {
    let (mut group, mut artifact, mut version) = (None, None, None);
    for (k, v) in properties(text) {
        match k {
            "groupId" => group = Some(v),
            "artifactId" => artifact = Some(v),
            "version" => version = Some(v),
            _ => {}
        }
    }
    let (artifact, version) = (
        artifact.filter(|a| !a.is_empty())?,
        version.filter(|v| !v.is_empty())?,
    );
    let name = match group.filter(|g| !g.is_empty()) {
        Some(g) => format!("{g}:{artifact}"),
        None => artifact.to_string(),
    };
    Some(Package::new(Ecosystem::Maven, name, version).at(Location::new(location)))
}

/// Main-section headers of a manifest; continuation lines start with one space.
fn from_manifest(text: &str, location: &str) -> Option<Package> {
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        if line.trim().is_empty() {
            break; // end of the main section
        }
        if let Some(cont) = line.strip_prefix(' ') {
            if let Some((_, v)) = headers.last_mut() {
                v.push_str(cont);
            }
        } else if let Some((k, v)) = line.split_once(':') {
            headers.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    let get = |key: &str| {
        headers
            .iter()
            .find(|(k, v)| k.eq_ignore_ascii_case(key) && !v.is_empty())
            .map(|(_, v)| v.as_str())
    };
    let name = get("Implementation-Title")
        .or_else(|| get("Bundle-SymbolicName").and_then(|n| n.split(';').next()))?;
    let version = get("Implementation-Version").or_else(|| get("Bundle-Version"))?;
    Some(Package::new(Ecosystem::Maven, name.trim(), version).at(Location::new(location)))
}

/// `commons-text-1.9.jar` → `commons-text` 1.9, when nothing better is known.
fn from_file_name(location: &str) -> Option<Package> {
    let file = file_name(location);
    let stem = file.rsplit_once('.')?.0;
    let at = stem
        .match_indices('-')
        .find(|(i, _)| stem[i + 1..].starts_with(|c: char| c.is_ascii_digit()))?
        .0;
    let (name, version) = (&stem[..at], &stem[at + 1..]);
    (!name.is_empty())
        .then(|| Package::new(Ecosystem::Maven, name, version).at(Location::new(location)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use zip::write::SimpleFileOptions;

    fn jar(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, data) in entries {
            w.start_file(*name, SimpleFileOptions::default()).unwrap();
            w.write_all(data).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    fn parse(path: &str, data: &[u8]) -> Parsed {
        JavaArchive
            .parse(&ParseContext { path, os: None }, data)
            .unwrap()
    }

    const POM: &[u8] = b"#Generated by Maven\n#Thu Mar 09 12:00:00 UTC 2023\nartifactId=log4j-core\ngroupId=org.apache.logging.log4j\nversion=2.14.1\n";
    const MANIFEST: &[u8] = b"Manifest-Version: 1.0\r\nBundle-SymbolicName: com.fasterxml.jackson.core.jackson-databind;singleton:=true\r\nBundle-Version: 2.13.4.2\r\nImplementation-Vendor: FasterXML\r\n\r\nName: x\r\nImplementation-Title: nope\r\n";

    #[test]
    fn reads_pom_properties_and_nested_jars() {
        let inner = jar(&[("META-INF/MANIFEST.MF", MANIFEST)]);
        let outer = jar(&[
            ("META-INF/MANIFEST.MF", b"Manifest-Version: 1.0\n"),
            (
                "META-INF/maven/org.apache.logging.log4j/log4j-core/pom.properties",
                POM,
            ),
            ("BOOT-INF/lib/jackson-databind-2.13.4.2.jar", &inner),
        ]);
        let out = parse("app/app.jar", &outer);
        let got: Vec<_> = out
            .packages
            .iter()
            .map(|p| {
                (
                    p.name.as_str(),
                    p.version.as_str(),
                    p.locations[0].path.as_str(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (
                    "org.apache.logging.log4j:log4j-core",
                    "2.14.1",
                    "app/app.jar"
                ),
                (
                    "com.fasterxml.jackson.core.jackson-databind",
                    "2.13.4.2",
                    "app/app.jar!/BOOT-INF/lib/jackson-databind-2.13.4.2.jar"
                ),
            ]
        );
        assert_eq!(
            out.packages[0].purl,
            "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"
        );
    }

    #[test]
    fn falls_back_to_file_name_and_limits_depth() {
        let mut data = jar(&[("x.txt", b"x")]);
        for _ in 0..6 {
            data = jar(&[("WEB-INF/lib/lib-1.0.jar", &data)]);
        }
        let out = parse("deep-2.0.war", &data);
        // depth 0..=3 are read: the outer war and three nested levels.
        assert_eq!(out.packages.len(), 4);
        assert_eq!(out.packages[0].version, "2.0");
    }

    #[test]
    fn garbage_and_bombs_are_bounded() {
        let out = parse("a.jar", b"PK\x03\x04garbage");
        assert!(out.packages.is_empty() && out.warnings.len() == 1);
        assert!(parse("x.jar", &jar(&[("a.txt", b"a")])).warnings.is_empty());
        let mut budget = Budget {
            bytes: 10,
            entries: 10,
        };
        let mut out = Parsed::default();
        let big = jar(&[("META-INF/maven/g/a/pom.properties", &[b'#'; 1000])]);
        parse_archive("b.jar", &big, 0, &mut budget, &mut out);
        assert_eq!(budget.bytes, 0);
    }
}
