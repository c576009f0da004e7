//! Alpine secdb (`v3.X/main.yaml`): per branch, per origin package, the versions that fixed each CVE.

use super::IngestError;
use crate::model::{Advisory, Affected, Event, Range};
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Debug, Deserialize)]
struct SecDb {
    distroversion: String,
    #[serde(default)]
    packages: Vec<PkgWrap>,
}

#[derive(Debug, Deserialize)]
struct PkgWrap {
    pkg: Pkg,
}

#[derive(Debug, Deserialize)]
struct Pkg {
    name: String,
    #[serde(default)]
    secfixes: BTreeMap<String, Option<Vec<String>>>,
}

/// Merges Alpine secdb files into one advisory per CVE.
#[derive(Default)]
pub struct AlpineCollector {
    by_id: BTreeMap<String, Advisory>,
}

impl AlpineCollector {
    /// Adds one secdb YAML file.
    pub fn add(&mut self, text: &str) -> Result<(), IngestError> {
        let db: SecDb = serde_saphyr::from_str(text).map_err(|e| IngestError::Parse {
            line: None,
            message: e.to_string(),
        })?;
        let branch = db.distroversion.trim();
        let ecosystem = if branch.starts_with('v') {
            format!("Alpine:{branch}")
        } else {
            format!("Alpine:v{branch}")
        };
        for PkgWrap { pkg } in db.packages {
            for (fixed, ids) in pkg.secfixes {
                // "0" lists CVEs the package was never affected by.
                if fixed.trim() == "0" {
                    continue;
                }
                for id in ids
                    .unwrap_or_default()
                    .iter()
                    .flat_map(|s| s.split_whitespace())
                {
                    if !(id.starts_with("CVE-") || id.starts_with("GHSA-")) {
                        continue;
                    }
                    let adv = self
                        .by_id
                        .entry(id.to_string())
                        .or_insert_with(|| Advisory {
                            id: id.to_string(),
                            source: "alpine-secdb".into(),
                            summary: format!("{id} fixed in {} {fixed}", pkg.name),
                            ..Advisory::default()
                        });
                    adv.affected.push(Affected {
                        ecosystem: ecosystem.clone(),
                        package: pkg.name.clone(),
                        ranges: vec![Range::Events {
                            semver: false,
                            events: vec![
                                Event::Introduced("0".into()),
                                Event::Fixed(fixed.clone()),
                            ],
                        }],
                        ..Affected::default()
                    });
                }
            }
        }
        Ok(())
    }

    pub fn finish(self) -> Vec<Advisory> {
        self.by_id.into_values().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secfixes_become_fixed_ranges() {
        let yaml = "---\ndistroversion: v3.10\nreponame: main\npackages:\n  - pkg:\n      name: openssl\n      secfixes:\n        1.1.1d-r0:\n          - CVE-2019-1547\n          - CVE-2019-1549 CVE-2019-1563\n        0:\n          - CVE-2000-0001\n  - pkg:\n      name: empty\n";
        let mut c = AlpineCollector::default();
        c.add(yaml).unwrap();
        let advs = c.finish();
        assert_eq!(advs.len(), 3);
        assert_eq!(advs[0].affected[0].ecosystem, "Alpine:v3.10");
        assert_eq!(advs[0].affected[0].fixed_versions(), vec!["1.1.1d-r0"]);
    }

    #[test]
    fn garbage_is_an_error() {
        let mut c = AlpineCollector::default();
        assert!(c.add("packages: 5").is_err());
    }
}
