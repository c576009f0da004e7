//! Package URLs (<https://github.com/package-url/purl-spec>): building them for packages Rampart finds and
//! parsing them from SBOMs made by other tools.

use crate::package::Ecosystem;
use std::collections::BTreeMap;
use std::fmt;

/// Longest purl accepted from outside input.
const MAX_PURL_LEN: usize = 4096;

/// A parsed package URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Purl {
    pub ty: String,
    pub namespace: Option<String>,
    pub name: String,
    pub version: Option<String>,
    pub qualifiers: BTreeMap<String, String>,
    pub subpath: Option<String>,
}

/// Why a string is not a purl.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PurlError {
    #[error("purl is longer than {MAX_PURL_LEN} bytes")]
    TooLong,
    #[error("purl must start with \"pkg:\"")]
    NoScheme,
    #[error("purl has no type")]
    NoType,
    #[error("purl has no name")]
    NoName,
    #[error("purl has a bad percent-encoding")]
    BadEncoding,
}

impl Purl {
    /// The purl for a package of `ecosystem`, splitting namespaces the way the purl spec wants for
    /// that type (npm scopes, Go module paths, Maven group ids).
    pub fn for_package(ecosystem: Ecosystem, name: &str, version: &str) -> Purl {
        let (namespace, name) = match ecosystem {
            Ecosystem::Npm => match name.strip_prefix('@').and_then(|n| n.split_once('/')) {
                Some((scope, n)) => (Some(format!("@{scope}")), n.to_string()),
                None => (None, name.to_string()),
            },
            Ecosystem::Go => match name.rsplit_once('/') {
                Some((ns, n)) => (Some(ns.to_string()), n.to_string()),
                None => (None, name.to_string()),
            },
            Ecosystem::Maven => match name.split_once(':') {
                Some((group, artifact)) => (Some(group.to_string()), artifact.to_string()),
                None => (None, name.to_string()),
            },
            Ecosystem::PyPI => (None, name.to_ascii_lowercase().replace('_', "-")),
            _ => (None, name.to_string()),
        };
        Purl {
            ty: ecosystem.purl_type().to_string(),
            namespace,
            name,
            version: (!version.is_empty()).then(|| version.to_string()),
            qualifiers: BTreeMap::new(),
            subpath: None,
        }
    }

    /// Adds a qualifier (builder style).
    pub fn qualifier(mut self, key: &str, value: impl Into<String>) -> Purl {
        self.qualifiers.insert(key.to_string(), value.into());
        self
    }

    /// Sets the namespace (builder style), e.g. the distribution id of an OS package.
    pub fn namespace(mut self, namespace: impl Into<String>) -> Purl {
        self.namespace = Some(namespace.into());
        self
    }

    /// The ecosystem-specific full package name: `@scope/name` for npm, `ns/name` for Go,
    /// `group:artifact` for Maven, the plain name otherwise.
    pub fn package_name(&self) -> String {
        match (self.ty.as_str(), &self.namespace) {
            ("maven", Some(ns)) => format!("{ns}:{}", self.name),
            ("npm" | "golang", Some(ns)) => format!("{ns}/{}", self.name),
            _ => self.name.clone(),
        }
    }

    /// Parses a purl string.
    pub fn parse(s: &str) -> Result<Purl, PurlError> {
        if s.len() > MAX_PURL_LEN {
            return Err(PurlError::TooLong);
        }
        let rest = s
            .strip_prefix("pkg:")
            .ok_or(PurlError::NoScheme)?
            .trim_start_matches('/');
        let (rest, subpath) = match rest.split_once('#') {
            Some((r, sp)) => (r, Some(decode(sp.trim_matches('/'))?)),
            None => (rest, None),
        };
        let (rest, qualifiers) = match rest.split_once('?') {
            Some((r, q)) => (r, parse_qualifiers(q)?),
            None => (rest, BTreeMap::new()),
        };
        let rest = rest.trim_end_matches('/');
        let (ty, rest) = rest.split_once('/').ok_or(PurlError::NoType)?;
        if ty.is_empty() {
            return Err(PurlError::NoType);
        }
        let (path, version) = match rest.rsplit_once('@') {
            // An `@` inside the namespace (npm scope) comes before the last `/`.
            Some((p, v)) if !v.contains('/') => (p, Some(decode(v)?)),
            _ => (rest, None),
        };
        let (namespace, name) = match path.rsplit_once('/') {
            Some((ns, n)) => {
                let segments: Result<Vec<String>, _> = ns.split('/').map(decode).collect();
                (Some(segments?.join("/")), decode(n)?)
            }
            None => (None, decode(path)?),
        };
        if name.is_empty() {
            return Err(PurlError::NoName);
        }
        Ok(Purl {
            ty: ty.to_ascii_lowercase(),
            namespace,
            name,
            version,
            qualifiers,
            subpath,
        })
    }
}

fn parse_qualifiers(q: &str) -> Result<BTreeMap<String, String>, PurlError> {
    let mut out = BTreeMap::new();
    for pair in q.split('&').filter(|p| !p.is_empty()) {
        if let Some((k, v)) = pair.split_once('=') {
            out.insert(k.to_ascii_lowercase(), decode(v)?);
        }
    }
    Ok(out)
}

impl fmt::Display for Purl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "pkg:{}/", self.ty)?;
        if let Some(ns) = &self.namespace {
            for segment in ns.split('/') {
                write!(f, "{}/", encode(segment))?;
            }
        }
        f.write_str(&encode(&self.name))?;
        if let Some(v) = &self.version {
            write!(f, "@{}", encode(v))?;
        }
        let mut sep = '?';
        for (k, v) in &self.qualifiers {
            if !v.is_empty() {
                write!(f, "{sep}{k}={}", encode(v))?;
                sep = '&';
            }
        }
        if let Some(sp) = &self.subpath {
            write!(f, "#{sp}")?;
        }
        Ok(())
    }
}

fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn decode(s: &str) -> Result<String, PurlError> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3).ok_or(PurlError::BadEncoding)?;
            let hex = std::str::from_utf8(hex).map_err(|_| PurlError::BadEncoding)?;
            out.push(u8::from_str_radix(hex, 16).map_err(|_| PurlError::BadEncoding)?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| PurlError::BadEncoding)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_spec_shaped_purls() {
        let p = Purl::for_package(Ecosystem::Npm, "@babel/core", "7.0.0");
        assert_eq!(p.to_string(), "pkg:npm/%40babel/core@7.0.0");
        let p = Purl::for_package(Ecosystem::Go, "github.com/gorilla/mux", "v1.8.0");
        assert_eq!(p.to_string(), "pkg:golang/github.com/gorilla/mux@v1.8.0");
        let p = Purl::for_package(
            Ecosystem::Maven,
            "org.apache.logging.log4j:log4j-core",
            "2.14.1",
        );
        assert_eq!(
            p.to_string(),
            "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"
        );
        let p = Purl::for_package(Ecosystem::Deb, "libc6", "2.36-9+deb12u4")
            .namespace("debian")
            .qualifier("arch", "amd64")
            .qualifier("distro", "debian-12");
        assert_eq!(
            p.to_string(),
            "pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12"
        );
        assert_eq!(
            Purl::for_package(Ecosystem::PyPI, "Django_Rest", "3.0").to_string(),
            "pkg:pypi/django-rest@3.0"
        );
    }

    #[test]
    fn parses_what_it_builds() {
        for s in [
            "pkg:npm/%40babel/core@7.0.0",
            "pkg:golang/github.com/gorilla/mux@v1.8.0",
            "pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12",
            "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",
        ] {
            assert_eq!(Purl::parse(s).unwrap().to_string(), s);
        }
        let p = Purl::parse("pkg:npm/%40babel/core@7.0.0").unwrap();
        assert_eq!(p.package_name(), "@babel/core");
        let p = Purl::parse("pkg:maven/org.apache/commons-text@1.9").unwrap();
        assert_eq!(p.package_name(), "org.apache:commons-text");
    }

    #[test]
    fn rejects_garbage() {
        assert_eq!(Purl::parse("npm/foo"), Err(PurlError::NoScheme));
        assert_eq!(Purl::parse("pkg:foo"), Err(PurlError::NoType));
        assert_eq!(Purl::parse("pkg:npm/foo@1%"), Err(PurlError::BadEncoding));
        assert_eq!(Purl::parse("pkg:npm/"), Err(PurlError::NoType));
        assert_eq!(
            Purl::parse(&format!("pkg:npm/{}", "a".repeat(5000))),
            Err(PurlError::TooLong)
        );
    }
}
