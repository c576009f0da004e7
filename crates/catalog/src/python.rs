//! Python: installed distributions (`*.dist-info/METADATA`, `*.egg-info/PKG-INFO`) and pinned
//! `requirements*.txt` files.

use crate::text::{file_name, line_no, lossy, parent, pep503};
use crate::{CatalogError, Cataloger, FileMeta, ParseContext, Parsed};
use rampart_core::{Ecosystem, Location, Package};

/// Reads the core metadata of installed distributions.
pub(crate) struct Installed;

impl Cataloger for Installed {
    fn name(&self) -> &'static str {
        "python-installed"
    }

    fn wants(&self, file: &FileMeta) -> bool {
        let p = file.path;
        // Old setuptools installs write `name.egg-info` as a single PKG-INFO-format file.
        let egg_file = p.ends_with(".egg-info")
            && matches!(file_name(parent(p)), "site-packages" | "dist-packages");
        p.ends_with(".dist-info/METADATA") || p.ends_with(".egg-info/PKG-INFO") || egg_file
    }

    fn max_size(&self) -> u64 {
        8 << 20
    }

    fn parse(&self, ctx: &ParseContext, content: &[u8]) -> Result<Parsed, CatalogError> {
        Ok(parse_metadata(ctx.path, &lossy(content)))
    }
}

/// Parses the email-header block of a core metadata file.
pub(crate) fn parse_metadata(path: &str, text: &str) -> Parsed {
    let mut out = Parsed::default();
    let (mut name, mut version, mut license, mut expression) = (None, None, None, None);
    for line in text.lines() {
        if line.trim().is_empty() {
            break; // the description body follows
        }
        if line.starts_with([' ', '\t']) {
            continue;
        }
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        match key.to_ascii_lowercase().as_str() {
            "name" => name = Some(value),
            "version" => version = Some(value),
            "license" if value.len() <= 256 && !value.eq_ignore_ascii_case("unknown") => {
                license = Some(value)
            }
            "license-expression" => expression = Some(value),
            _ => {}
        }
    }
    match (name, version) {
        (Some(n), Some(v)) if !n.is_empty() && !v.is_empty() => {
            let mut pkg = Package::new(Ecosystem::PyPI, pep503(n), v).at(Location::new(path));
            pkg.licenses = expression
                .or(license)
                .filter(|l| !l.is_empty())
                .map(str::to_string)
                .into_iter()
                .collect();
            out.packages.push(pkg);
        }
        _ => out.warn(path, None, "Python metadata without Name or Version"),
    }
    out
}

/// Reads `==` pins from pip requirements files.
pub(crate) struct Requirements;

impl Cataloger for Requirements {
    fn name(&self) -> &'static str {
        "python-requirements"
    }

    fn wants(&self, file: &FileMeta) -> bool {
        let name = file_name(file.path);
        name.starts_with("requirements") && name.ends_with(".txt")
    }

    fn max_size(&self) -> u64 {
        8 << 20
    }

    fn parse(&self, ctx: &ParseContext, content: &[u8]) -> Result<Parsed, CatalogError> {
        Ok(parse_requirements(ctx.path, &lossy(content)))
    }
}

/// Parses a requirements file. Only exact pins (`name==1.0`, `name[extra]==1.0 ; marker`) are packages;
/// options (`-r`, `-e`, `--hash`), URLs and ranges are skipped silently.
pub(crate) fn parse_requirements(path: &str, text: &str) -> Parsed {
    let mut out = Parsed::default();
    let mut logical = String::new();
    let mut start = 0;
    for (i, raw) in text.lines().enumerate() {
        if logical.is_empty() {
            start = i;
        }
        let line = strip_comment(raw);
        match line.strip_suffix('\\') {
            Some(cont) => {
                logical.push_str(cont);
                logical.push(' ');
                continue;
            }
            None => logical.push_str(line),
        }
        if let Some(pkg) = requirement(&logical) {
            out.packages
                .push(pkg.at(Location::with_line(path, line_no(start))));
        }
        logical.clear();
    }
    out
}

/// A comment starts at `#` at the line start or after whitespace (not inside a URL fragment).
fn strip_comment(line: &str) -> &str {
    let trimmed = line.trim_start();
    if trimmed.starts_with('#') {
        return "";
    }
    match line.find(" #").or_else(|| line.find("\t#")) {
        Some(at) => line[..at].trim_end(),
        None => line.trim_end(),
    }
}

fn requirement(line: &str) -> Option<Package> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('-') {
        return None;
    }
    let spec = line.split(';').next()?;
    // `--hash=…` options follow the requirement on the same logical line.
    let spec = spec.split(" -").next()?.trim();
    let (name, version) = spec.split_once("==")?;
    let version = version.trim().trim_start_matches('=').trim();
    let name = name.split('[').next()?.trim();
    let valid_name = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    let valid_version = !version.is_empty()
        && !version.contains(['*', ',', ' ', '<', '>', '!', '~', '='])
        && version.len() < 128;
    (valid_name && valid_version).then(|| Package::new(Ecosystem::PyPI, pep503(name), version))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_dist_info_metadata() {
        let text = "Metadata-Version: 2.1\nName: Jinja2\nVersion: 3.1.2\nSummary: A very fast \
                    template engine.\nLicense: BSD-3-Clause\nRequires-Dist: MarkupSafe>=2.0\n\n\
                    Name: not-this\n";
        let out = parse_metadata(
            "usr/lib/python3/dist-packages/Jinja2-3.1.2.dist-info/METADATA",
            text,
        );
        let p = &out.packages[0];
        assert_eq!((p.name.as_str(), p.version.as_str()), ("jinja2", "3.1.2"));
        assert_eq!(p.licenses, ["BSD-3-Clause"]);
        assert_eq!(p.purl, "pkg:pypi/jinja2@3.1.2");
        let out = parse_metadata("x", "Metadata-Version: 1.0\nSummary: x\n");
        assert!(out.packages.is_empty() && out.warnings.len() == 1);
    }

    #[test]
    fn parses_requirement_pins() {
        let text = "\
# comment
-r base.txt
--index-url https://pypi.org/simple
Django==4.2.7  # pinned
requests[socks,security]==2.31.0 ; python_version < \"3.8\"
urllib3==2.0.7 \\
    --hash=sha256:fdb6d215c776278489906c2f8916e6e7d4f5a9b602ccbcfdf7f016fc8da0596e \\
    --hash=sha256:c97dfde1f7bd43a71c8d2a58e369e9b2bf692d1334ea9f9cae55add7d0dd0f84
flask>=2.0
numpy
-e git+https://github.com/x/y.git#egg=y
zope.interface===6.1
bad==1.*
";
        let out = parse_requirements("requirements-dev.txt", text);
        let got: Vec<_> = out
            .packages
            .iter()
            .map(|p| (p.name.as_str(), p.version.as_str(), p.locations[0].line))
            .collect();
        assert_eq!(
            got,
            [
                ("django", "4.2.7", Some(4)),
                ("requests", "2.31.0", Some(5)),
                ("urllib3", "2.0.7", Some(6)),
                ("zope-interface", "6.1", Some(12)),
            ]
        );
        assert!(Requirements.wants(&FileMeta {
            path: "a/requirements-dev.txt",
            size: 1,
            executable: false
        }));
    }

    #[test]
    fn hostile_requirements_do_not_panic() {
        parse_requirements("r", "==\n[==]\n\\\n\u{0}==\u{0}\n==1\n");
        parse_requirements("r", &"\\\n".repeat(10_000));
    }
}
