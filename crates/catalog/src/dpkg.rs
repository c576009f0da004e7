//! Debian packages: `var/lib/dpkg/status` and distroless `var/lib/dpkg/status.d/*`.

use crate::text::{line_no, lossy};
use crate::{CatalogError, Cataloger, FileMeta, ParseContext, Parsed};
use rampart_core::{Ecosystem, Location, Package, SourcePackage};

/// Reads dpkg status databases.
pub(crate) struct Dpkg;

impl Cataloger for Dpkg {
    fn name(&self) -> &'static str {
        "dpkg"
    }

    fn wants(&self, file: &FileMeta) -> bool {
        let p = file.path;
        p == "var/lib/dpkg/status"
            || p.strip_prefix("var/lib/dpkg/status.d/")
                .is_some_and(|f| !f.contains('/') && !f.ends_with(".md5sums") && !f.is_empty())
    }

    fn parse(&self, ctx: &ParseContext, content: &[u8]) -> Result<Parsed, CatalogError> {
        let in_status_d = ctx.path.contains("status.d/");
        Ok(parse_status(ctx.path, &lossy(content), in_status_d))
    }
}

/// One paragraph's fields, with the line it starts on.
struct Paragraph<'a> {
    line: u32,
    fields: Vec<(&'a str, String)>,
}

impl Paragraph<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.as_str())
    }
}

/// Splits RFC 822-style text into paragraphs; continuation lines (leading space or tab) extend the
/// previous field. Lines that are neither a field nor a continuation are reported.
fn paragraphs<'a>(path: &str, text: &'a str, out: &mut Parsed) -> Vec<Paragraph<'a>> {
    let mut paras = Vec::new();
    let mut cur: Option<Paragraph<'a>> = None;
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            paras.extend(cur.take());
            continue;
        }
        let para = cur.get_or_insert_with(|| Paragraph {
            line: line_no(i),
            fields: Vec::new(),
        });
        if line.starts_with([' ', '\t']) {
            if let Some((_, v)) = para.fields.last_mut() {
                // Only the first lines of long fields matter here; bound the growth.
                if v.len() < 4096 {
                    v.push('\n');
                    v.push_str(line.trim());
                }
            } else {
                out.warn(path, Some(line_no(i)), "continuation line without a field");
            }
            continue;
        }
        match line.split_once(':') {
            Some((k, v)) if !k.is_empty() && !k.contains(' ') => {
                para.fields.push((k, v.trim().to_string()));
            }
            _ => out.warn(path, Some(line_no(i)), "malformed line in dpkg paragraph"),
        }
    }
    paras.extend(cur);
    paras
}

/// Parses a dpkg status file. `status_d` files (distroless) may lack `Status:`; they count as installed.
pub(crate) fn parse_status(path: &str, text: &str, status_d: bool) -> Parsed {
    let mut out = Parsed::default();
    for para in paragraphs(path, text, &mut out) {
        match para.get("Status") {
            Some(s) if !is_installed(s) => continue,
            None if !status_d => continue,
            _ => {}
        }
        let (Some(name), Some(version)) = (para.get("Package"), para.get("Version")) else {
            out.warn(
                path,
                Some(para.line),
                "dpkg paragraph without Package or Version",
            );
            continue;
        };
        if name.is_empty() || version.is_empty() || name.contains(char::is_whitespace) {
            out.warn(
                path,
                Some(para.line),
                "dpkg paragraph with an invalid Package or Version",
            );
            continue;
        }
        let mut pkg =
            Package::new(Ecosystem::Deb, name, version).at(Location::with_line(path, para.line));
        pkg.arch = para
            .get("Architecture")
            .filter(|a| !a.is_empty())
            .map(str::to_string);
        pkg.source = Some(source(para.get("Source"), name));
        out.packages.push(pkg);
    }
    out
}

/// `Status: install ok installed` (the want flag may be `hold` too).
fn is_installed(status: &str) -> bool {
    let words: Vec<&str> = status.split_whitespace().collect();
    words.len() == 3 && words[2] == "installed"
}

/// `Source: openssl (3.0.11-1~deb12u1)` → name and version; no `Source:` → the package itself.
fn source(field: Option<&str>, own_name: &str) -> SourcePackage {
    let Some(field) = field.filter(|f| !f.is_empty()) else {
        return SourcePackage {
            name: own_name.to_string(),
            version: None,
        };
    };
    match field.split_once('(') {
        Some((name, rest)) => SourcePackage {
            name: name.trim().to_string(),
            version: rest
                .split_once(')')
                .map(|(v, _)| v.trim().to_string())
                .filter(|v| !v.is_empty()),
        },
        None => SourcePackage {
            name: field.trim().to_string(),
            version: None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATUS: &str = "\
Package: libssl3
Status: install ok installed
Priority: optional
Section: libs
Installed-Size: 6166
Maintainer: Debian OpenSSL Team <pkg-openssl-devel@alioth-lists.debian.net>
Architecture: amd64
Multi-Arch: same
Source: openssl
Version: 3.0.11-1~deb12u2
Depends: libc6 (>= 2.34)
Description: Secure Sockets Layer toolkit - shared libraries
 This package is part of the OpenSSL project's implementation of the SSL
 and TLS cryptographic protocols for secure communication over the
 Internet.
 .
 It provides the libssl and libcrypto shared libraries.
Homepage: https://www.openssl.org/

Package: libc-bin
Status: install ok installed
Priority: required
Section: libs
Installed-Size: 2237
Maintainer: GNU Libc Maintainers <debian-glibc@lists.debian.org>
Architecture: amd64
Multi-Arch: foreign
Source: glibc (2.36-9+deb12u3)
Version: 2.36-9+deb12u4
Depends: libc6 (>> 2.36), libc6 (<< 2.37)
Description: GNU C Library: Binaries

Package: old-removed
Status: deinstall ok config-files
Architecture: amd64
Version: 1.0

Package: base-files
Status: install ok installed
Essential: yes
Architecture: amd64
Version: 12.4+deb12u5
";

    #[test]
    fn parses_real_status_paragraphs() {
        let out = parse_status("var/lib/dpkg/status", STATUS, false);
        assert!(out.warnings.is_empty(), "{:?}", out.warnings);
        let got: Vec<_> = out
            .packages
            .iter()
            .map(|p| (p.name.as_str(), p.version.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("libssl3", "3.0.11-1~deb12u2"),
                ("libc-bin", "2.36-9+deb12u4"),
                ("base-files", "12.4+deb12u5")
            ]
        );
        let ssl = &out.packages[0];
        assert_eq!(
            ssl.source.as_ref().map(|s| s.name.as_str()),
            Some("openssl")
        );
        assert_eq!(ssl.arch.as_deref(), Some("amd64"));
        assert_eq!(ssl.locations[0].line, Some(1));
        let libc = &out.packages[1];
        assert_eq!(libc.advisory_name(), "glibc");
        assert_eq!(libc.advisory_version(), "2.36-9+deb12u3");
        assert_eq!(out.packages[2].advisory_name(), "base-files");
    }

    #[test]
    fn status_d_files_lack_status() {
        let text = "Package: tzdata\nVersion: 2024a-0+deb12u1\nArchitecture: all\n";
        let out = parse_status("var/lib/dpkg/status.d/tzdata", text, true);
        assert_eq!(out.packages.len(), 1);
        assert!(
            parse_status("var/lib/dpkg/status", text, false)
                .packages
                .is_empty()
        );
        assert!(Dpkg.wants(&FileMeta {
            path: "var/lib/dpkg/status.d/tzdata",
            size: 1,
            executable: false
        }));
        assert!(!Dpkg.wants(&FileMeta {
            path: "var/lib/dpkg/status.d/tzdata.md5sums",
            size: 1,
            executable: false
        }));
    }

    #[test]
    fn malformed_paragraph_warns_with_line_and_goes_on() {
        let text = "Package: a\nStatus: install ok installed\nthis is not a field\nVersion: 1\n\n\
                    Package: b\nStatus: install ok installed\n\nPackage: c\nStatus: install ok installed\nVersion: 2\n";
        let out = parse_status("s", text, false);
        assert_eq!(out.packages.len(), 2);
        let lines: Vec<_> = out.warnings.iter().map(|w| w.line).collect();
        assert_eq!(lines, [Some(3), Some(6)]);
    }

    #[test]
    fn garbage_does_not_panic() {
        parse_status(
            "s",
            "\u{0}\u{1}:\n \n:::\n\tcont\nPackage: \nVersion: (",
            false,
        );
        parse_status("s", &"Package: x\n Description\n".repeat(1000), true);
    }
}
