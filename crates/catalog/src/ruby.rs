//! Ruby: `Gemfile.lock` and installed `specifications/*.gemspec`.

use crate::text::{file_name, line_no, lossy, parent};
use crate::{CatalogError, Cataloger, FileMeta, ParseContext, Parsed};
use rampart_core::{Ecosystem, Location, Package};
use regex::Regex;
use std::sync::LazyLock;

/// Reads `Gemfile.lock`.
pub(crate) struct GemfileLock;

impl Cataloger for GemfileLock {
    fn name(&self) -> &'static str {
        "gemfile-lock"
    }

    fn wants(&self, file: &FileMeta) -> bool {
        matches!(file_name(file.path), "Gemfile.lock" | "gems.locked")
    }

    fn max_size(&self) -> u64 {
        8 << 20
    }

    fn parse(&self, ctx: &ParseContext, content: &[u8]) -> Result<Parsed, CatalogError> {
        Ok(parse_gemfile_lock(ctx.path, &lossy(content)))
    }
}

/// Reads the `specs:` of the `GEM` section: 4-space indented `name (version)` lines. Platform suffixes
/// (`1.15.4-x86_64-linux`) are removed from versions; gem versions never contain `-` otherwise.
pub(crate) fn parse_gemfile_lock(path: &str, text: &str) -> Parsed {
    let mut out = Parsed::default();
    let mut section = "";
    let mut in_specs = false;
    for (i, line) in text.lines().enumerate() {
        if !line.starts_with(' ') {
            section = line.trim();
            in_specs = false;
            continue;
        }
        if section != "GEM" {
            continue;
        }
        if line.trim_end() == "  specs:" {
            in_specs = true;
            continue;
        }
        let Some(spec) = line.strip_prefix("    ").filter(|s| !s.starts_with(' ')) else {
            continue;
        };
        if !in_specs {
            continue;
        }
        let parsed = spec
            .split_once(" (")
            .and_then(|(n, v)| Some((n, v.strip_suffix(')')?)));
        match parsed {
            Some((name, version)) if !name.is_empty() && !version.is_empty() => {
                let version = version.split('-').next().unwrap_or(version);
                out.packages.push(
                    Package::new(Ecosystem::RubyGems, name, version)
                        .at(Location::with_line(path, line_no(i))),
                );
            }
            _ => out.warn(path, Some(line_no(i)), "malformed Gemfile.lock spec line"),
        }
    }
    out
}

/// Reads installed gem specifications.
pub(crate) struct Gemspec;

static NAME: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r#"(?m)^\s*\w+\.name\s*=\s*["']([^"']+)["']"#).ok());
static VERSION: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r#"(?m)^\s*\w+\.version\s*=\s*["']([^"']+)["']"#).ok());
static LICENSES: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r#"(?m)^\s*\w+\.licenses?\s*=\s*\[?\s*["']([^"']+)["']"#).ok());

impl Cataloger for Gemspec {
    fn name(&self) -> &'static str {
        "gemspec"
    }

    fn wants(&self, file: &FileMeta) -> bool {
        file.path.ends_with(".gemspec") && file_name(parent(file.path)) == "specifications"
    }

    fn max_size(&self) -> u64 {
        1 << 20
    }

    fn parse(&self, ctx: &ParseContext, content: &[u8]) -> Result<Parsed, CatalogError> {
        Ok(parse_gemspec(ctx.path, &lossy(content)))
    }
}

fn capture<'t>(re: &LazyLock<Option<Regex>>, text: &'t str) -> Option<&'t str> {
    Some(re.as_ref()?.captures(text)?.get(1)?.as_str())
}

pub(crate) fn parse_gemspec(path: &str, text: &str) -> Parsed {
    let mut out = Parsed::default();
    match (capture(&NAME, text), capture(&VERSION, text)) {
        (Some(name), Some(version)) => {
            let mut pkg = Package::new(Ecosystem::RubyGems, name, version).at(Location::new(path));
            pkg.licenses = capture(&LICENSES, text)
                .map(str::to_string)
                .into_iter()
                .collect();
            out.packages.push(pkg);
        }
        _ => out.warn(path, None, "gemspec without a literal name or version"),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOCK: &str = "\
GIT
  remote: https://github.com/rails/rails.git
  revision: abc
  specs:
    rails (7.1.0.alpha)

GEM
  remote: https://rubygems.org/
  specs:
    actionpack (7.0.8)
      actionview (= 7.0.8)
      rack (~> 2.0, >= 2.2.4)
    nokogiri (1.15.4-x86_64-linux)
      racc (~> 1.4)
    rack (2.2.8)

PLATFORMS
  x86_64-linux

DEPENDENCIES
  rails!

BUNDLED WITH
   2.4.19
";

    #[test]
    fn parses_gem_specs() {
        let out = parse_gemfile_lock("Gemfile.lock", LOCK);
        assert!(out.warnings.is_empty());
        let got: Vec<_> = out
            .packages
            .iter()
            .map(|p| (p.name.as_str(), p.version.as_str(), p.locations[0].line))
            .collect();
        assert_eq!(
            got,
            [
                ("actionpack", "7.0.8", Some(10)),
                ("nokogiri", "1.15.4", Some(13)),
                ("rack", "2.2.8", Some(15))
            ]
        );
        let out = parse_gemfile_lock("g", "GEM\n  specs:\n    broken\n    (1)\n");
        assert_eq!(out.warnings.len(), 2);
    }

    #[test]
    fn parses_installed_gemspec() {
        let text = "# -*- encoding: utf-8 -*-\n# stub: rake 13.0.6 ruby lib\n\nGem::Specification.new do |s|\n  \
s.name = \"rake\".freeze\n  s.version = \"13.0.6\"\n  s.licenses = [\"MIT\".freeze]\nend\n";
        let out = parse_gemspec(
            "usr/lib/ruby/gems/3.1.0/specifications/rake-13.0.6.gemspec",
            text,
        );
        assert_eq!(out.packages[0].purl, "pkg:gem/rake@13.0.6");
        assert_eq!(out.packages[0].licenses, ["MIT"]);
        assert!(Gemspec.wants(&FileMeta {
            path: "var/lib/gems/3.1.0/specifications/rake-13.0.6.gemspec",
            size: 1,
            executable: false
        }));
        assert_eq!(parse_gemspec("x", "nothing").warnings.len(), 1);
    }
}
