//! Debian security tracker data: the DSA/DLA `list` files and the tracker's JSON export.
//!
//! Debian advisories are written against **source** packages and per release. Both inputs become one
//! [`Advisory`] per CVE (or per DSA/DLA when it names no CVE), with one [`Affected`] per release and package.

use super::IngestError;
use crate::model::{Advisory, Affected, AffectedStatus, Event, Range, debian_ecosystem};
use rampart_core::Severity;
use serde::Deserialize;
use std::collections::BTreeMap;

/// Collects Debian advisories from any number of inputs, merging by CVE.
#[derive(Default)]
pub struct DebianCollector {
    by_id: BTreeMap<String, Advisory>,
}

impl DebianCollector {
    /// The collected advisories.
    pub fn finish(self) -> Vec<Advisory> {
        self.by_id.into_values().collect()
    }

    fn entry(&mut self, id: &str) -> &mut Advisory {
        self.by_id
            .entry(id.to_string())
            .or_insert_with(|| Advisory {
                id: id.to_string(),
                source: "debian".into(),
                references: vec![format!("https://security-tracker.debian.org/tracker/{id}")],
                ..Advisory::default()
            })
    }

    /// Adds (or tightens) the affected entry for `release`/`package`: of two fixed versions for the same
    /// package and release, the later one wins (the earlier fix was incomplete).
    fn add_affected(&mut self, id: &str, new: Affected) {
        let adv = self.entry(id);
        match adv
            .affected
            .iter_mut()
            .find(|a| a.ecosystem == new.ecosystem && a.package == new.package)
        {
            Some(old) => {
                let later = match (old.fixed_versions().first(), new.fixed_versions().first()) {
                    (Some(o), Some(n)) => {
                        rampart_version::compare(rampart_version::Scheme::Dpkg, n, o)
                            .is_ok_and(|ord| ord.is_gt())
                    }
                    _ => false,
                };
                if later {
                    *old = new;
                }
            }
            None => adv.affected.push(new),
        }
    }

    /// Parses a DSA or DLA `list` file (`data/DSA/list`, `data/DLA/list`).
    pub fn add_list(&mut self, text: &str) -> Vec<IngestError> {
        let mut errors = Vec::new();
        let mut current: Option<ListEntry> = None;
        for (n, raw) in text.lines().enumerate() {
            let line_no = n as u32 + 1;
            if raw.starts_with('[') {
                if let Some(e) = current.take() {
                    self.commit_entry(e);
                }
                match parse_header(raw) {
                    Some(e) => current = Some(e),
                    None => errors.push(IngestError::Parse {
                        line: Some(line_no),
                        message: format!("not an advisory header: {}", clip(raw)),
                    }),
                }
                continue;
            }
            let Some(entry) = current.as_mut() else {
                continue;
            };
            let line = raw.trim();
            if let Some(ids) = line.strip_prefix('{').and_then(|l| l.strip_suffix('}')) {
                entry
                    .cves
                    .extend(ids.split_whitespace().map(str::to_string));
            } else if line.starts_with('[') {
                match parse_release_line(line) {
                    Some(r) => entry.releases.push(r),
                    None => errors.push(IngestError::Parse {
                        line: Some(line_no),
                        message: format!("not a release line: {}", clip(line)),
                    }),
                }
            }
        }
        if let Some(e) = current.take() {
            self.commit_entry(e);
        }
        errors
    }

    fn commit_entry(&mut self, e: ListEntry) {
        let ids: Vec<String> = if e.cves.is_empty() {
            vec![e.id.clone()]
        } else {
            e.cves.clone()
        };
        for id in &ids {
            {
                let adv = self.entry(id);
                if id != &e.id && !adv.aliases.contains(&e.id) {
                    adv.aliases.push(e.id.clone());
                }
                if adv.summary.is_empty() {
                    adv.summary = format!("{} {}", e.id, e.title);
                }
                if adv.published.is_none() {
                    adv.published = e.date.clone();
                }
            }
            for r in &e.releases {
                let Some(ecosystem) = debian_ecosystem(&r.release) else {
                    continue;
                };
                let (status, ranges) = release_state(&r.state);
                self.add_affected(
                    id,
                    Affected {
                        ecosystem,
                        package: r.package.clone(),
                        ranges,
                        status,
                        ..Affected::default()
                    },
                );
            }
        }
    }

    /// Parses the tracker's JSON export: `{source: {CVE: {releases: {codename: {status, fixed_version,
    /// urgency, nodsa, nodsa_reason}}}}}`.
    pub fn add_tracker_json(&mut self, bytes: &[u8]) -> Result<(), IngestError> {
        let doc: BTreeMap<String, BTreeMap<String, TrackerCve>> = serde_json::from_slice(bytes)
            .map_err(|e| IngestError::Parse {
                line: Some(e.line() as u32),
                message: e.to_string(),
            })?;
        for (source_pkg, cves) in doc {
            for (cve, info) in cves {
                if !cve.starts_with("CVE-") {
                    continue; // TEMP- ids have no stable identity
                }
                if let Some(desc) = &info.description {
                    let adv = self.entry(&cve);
                    if adv.summary.is_empty() || adv.summary.starts_with("DSA") {
                        adv.summary = desc.clone();
                    }
                }
                for (codename, rel) in info.releases {
                    let Some(ecosystem) = debian_ecosystem(&codename) else {
                        continue;
                    };
                    let (status, ranges, severity) = tracker_state(&rel);
                    self.add_affected(
                        &cve,
                        Affected {
                            ecosystem,
                            package: source_pkg.clone(),
                            ranges,
                            status,
                            severity,
                            ..Affected::default()
                        },
                    );
                }
            }
        }
        Ok(())
    }
}

struct ListEntry {
    id: String,
    title: String,
    date: Option<String>,
    cves: Vec<String>,
    releases: Vec<ReleaseLine>,
}

struct ReleaseLine {
    release: String,
    package: String,
    /// A version, or `<status>`.
    state: String,
}

fn clip(s: &str) -> String {
    s.chars().take(80).collect()
}

/// `[29 Mar 2023] DSA-5380-1 xorg-server - security update`
fn parse_header(line: &str) -> Option<ListEntry> {
    let (date, rest) = line.strip_prefix('[')?.split_once(']')?;
    let mut words = rest.split_whitespace();
    let id = words.next()?.to_string();
    if !(id.starts_with("DSA-") || id.starts_with("DLA-") || id.starts_with("DTSA-")) {
        return None;
    }
    let title = rest.split_once(" - ").map(|(_, t)| t.trim()).unwrap_or("");
    let pkg = words.next().unwrap_or("");
    Some(ListEntry {
        id,
        title: format!("{pkg}: {title}"),
        date: iso_date(date),
        cves: Vec::new(),
        releases: Vec::new(),
    })
}

/// `29 Mar 2023` → `2023-03-29`.
fn iso_date(s: &str) -> Option<String> {
    let mut p = s.split_whitespace();
    let day: u32 = p.next()?.parse().ok()?;
    let month = match p.next()? {
        "Jan" => 1,
        "Feb" => 2,
        "Mar" => 3,
        "Apr" => 4,
        "May" => 5,
        "Jun" => 6,
        "Jul" => 7,
        "Aug" => 8,
        "Sep" => 9,
        "Oct" => 10,
        "Nov" => 11,
        "Dec" => 12,
        _ => return None,
    };
    let year: u32 = p.next()?.parse().ok()?;
    Some(format!("{year:04}-{month:02}-{day:02}"))
}

/// `[bullseye] - xorg-server 2:1.20.11-1+deb11u6` or `[lenny] - vlc <not-affected> (reason)`
fn parse_release_line(line: &str) -> Option<ReleaseLine> {
    let (release, rest) = line.strip_prefix('[')?.split_once(']')?;
    let rest = rest.trim().strip_prefix('-')?.trim();
    let mut words = rest.split_whitespace();
    let package = words.next()?.to_string();
    let state = words.next().unwrap_or("<unfixed>").to_string();
    Some(ReleaseLine {
        release: release.trim().to_string(),
        package,
        state,
    })
}

fn fixed_range(version: &str) -> Vec<Range> {
    vec![Range::Events {
        semver: false,
        events: vec![
            Event::Introduced("0".into()),
            Event::Fixed(version.to_string()),
        ],
    }]
}

fn release_state(state: &str) -> (AffectedStatus, Vec<Range>) {
    match state {
        "<not-affected>" => (AffectedStatus::NotAffected, Vec::new()),
        "<end-of-life>" | "<no-dsa>" | "<ignored>" => (AffectedStatus::WontFix, Vec::new()),
        s if s.starts_with('<') => (AffectedStatus::Unfixed, Vec::new()),
        "0" => (AffectedStatus::NotAffected, Vec::new()),
        v => (AffectedStatus::Affected, fixed_range(v)),
    }
}

#[derive(Debug, Deserialize)]
struct TrackerCve {
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    releases: BTreeMap<String, TrackerRelease>,
}

#[derive(Debug, Deserialize)]
struct TrackerRelease {
    #[serde(default)]
    status: String,
    #[serde(default)]
    fixed_version: Option<String>,
    #[serde(default)]
    urgency: Option<String>,
    #[serde(default)]
    nodsa_reason: Option<String>,
}

fn tracker_state(r: &TrackerRelease) -> (AffectedStatus, Vec<Range>, Option<Severity>) {
    let urgency = r
        .urgency
        .as_deref()
        .map(|u| u.trim_end_matches('*').to_ascii_lowercase())
        .unwrap_or_default();
    let severity = match urgency.as_str() {
        "unimportant" => Some(Severity::Negligible),
        "low" => Some(Severity::Low),
        "medium" => Some(Severity::Medium),
        "high" => Some(Severity::High),
        _ => None,
    };
    let eol = urgency == "end-of-life";
    let (status, ranges) = match (r.status.as_str(), r.fixed_version.as_deref()) {
        ("not-affected", _) | ("resolved", Some("0")) => (AffectedStatus::NotAffected, vec![]),
        ("resolved", Some(v)) => (AffectedStatus::Affected, fixed_range(v)),
        ("end-of-life", _) | ("no-dsa", _) | ("ignored", _) => (AffectedStatus::WontFix, vec![]),
        _ if eol || r.nodsa_reason.as_deref() == Some("ignored") => {
            (AffectedStatus::WontFix, vec![])
        }
        ("unimportant", _) => (AffectedStatus::Unfixed, vec![]),
        _ => (AffectedStatus::Unfixed, vec![]),
    };
    let severity = if r.status == "unimportant" {
        Some(Severity::Negligible)
    } else {
        severity
    };
    (status, ranges, severity)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIST: &str = "[29 Mar 2023] DSA-5380-1 xorg-server - security update
\t{CVE-2023-1393}
\t[bullseye] - xorg-server 2:1.20.11-1+deb11u6
[17 Mar 2023] DSA-5356-2 sox - regression update
\t[bullseye] - sox 14.4.2+git20190427-2+deb11u2
[10 Jan 2009] DSA-1234-1 vlc - several
\t{CVE-2008-0001 CVE-2008-0002}
\t[lenny] - vlc <not-affected> (Vulnerable code not present)
\t[etch] - vlc 0.8.6-1
\tNOTE: [etch] - something <end-of-life>
";

    #[test]
    fn list_entries_become_per_cve_advisories() {
        let mut c = DebianCollector::default();
        assert!(c.add_list(LIST).is_empty());
        let advs = c.finish();
        let x = advs.iter().find(|a| a.id == "CVE-2023-1393").unwrap();
        assert_eq!(x.aliases, vec!["DSA-5380-1"]);
        assert_eq!(x.published.as_deref(), Some("2023-03-29"));
        assert_eq!(x.affected[0].ecosystem, "Debian:11");
        assert_eq!(x.affected[0].package, "xorg-server");
        assert_eq!(x.affected[0].fixed_versions(), vec!["2:1.20.11-1+deb11u6"]);
        // A DSA without CVEs is its own advisory.
        assert!(advs.iter().any(|a| a.id == "DSA-5356-2"));
        // lenny/etch have no codename mapping here (too old) — nothing is invented for them.
        let v = advs.iter().find(|a| a.id == "CVE-2008-0001").unwrap();
        assert!(v.affected.is_empty());
    }

    #[test]
    fn malformed_headers_are_reported_with_lines() {
        let mut c = DebianCollector::default();
        let errs = c.add_list("[garbage\n\t{CVE-1}\n[01 Jan 2020] DSA-1-1 x - y\n\t[bullseye] -\n");
        assert_eq!(errs.len(), 2);
        assert!(matches!(errs[0], IngestError::Parse { line: Some(1), .. }));
    }

    #[test]
    fn later_fix_in_same_release_wins() {
        let mut c = DebianCollector::default();
        c.add_list(
            "[01 Jan 2023] DSA-1-1 foo - x\n\t{CVE-2023-1}\n\t[bullseye] - foo 1.0-1+deb11u1\n\
[02 Jan 2023] DSA-2-1 foo - x\n\t{CVE-2023-1}\n\t[bullseye] - foo 1.0-1+deb11u2\n",
        );
        let advs = c.finish();
        assert_eq!(advs[0].affected.len(), 1);
        assert_eq!(advs[0].affected[0].fixed_versions(), vec!["1.0-1+deb11u2"]);
        assert_eq!(advs[0].aliases, vec!["DSA-1-1", "DSA-2-1"]);
    }

    #[test]
    fn tracker_json_statuses() {
        let json = br#"{"openssl": {
          "CVE-2099-0001": {"description": "synthetic: fixed", "releases": {"bookworm": {"status": "resolved", "fixed_version": "3.0.11-1~deb12u2", "urgency": "medium"}}},
          "CVE-2099-0002": {"releases": {"bookworm": {"status": "open", "urgency": "unimportant"}}},
          "CVE-2099-0003": {"releases": {"bookworm": {"status": "resolved", "fixed_version": "0", "urgency": "not yet assigned"}}},
          "CVE-2099-0004": {"releases": {"bookworm": {"status": "open", "urgency": "low", "nodsa": "Minor issue", "nodsa_reason": "ignored"}}},
          "CVE-2099-0005": {"releases": {"bookworm": {"status": "open", "urgency": "end-of-life"}}},
          "TEMP-0000000-ABCDEF": {"releases": {"bookworm": {"status": "open"}}}
        }}"#;
        let mut c = DebianCollector::default();
        c.add_tracker_json(json).unwrap();
        let advs = c.finish();
        assert_eq!(advs.len(), 5);
        let st = |id: &str| {
            let a = advs.iter().find(|a| a.id == id).unwrap();
            (a.affected[0].status, a.affected[0].severity)
        };
        assert_eq!(
            st("CVE-2099-0001"),
            (AffectedStatus::Affected, Some(Severity::Medium))
        );
        assert_eq!(
            st("CVE-2099-0002"),
            (AffectedStatus::Unfixed, Some(Severity::Negligible))
        );
        assert_eq!(st("CVE-2099-0003").0, AffectedStatus::NotAffected);
        assert_eq!(st("CVE-2099-0004").0, AffectedStatus::WontFix);
        assert_eq!(st("CVE-2099-0005").0, AffectedStatus::WontFix);
    }

    #[test]
    fn tracker_json_garbage_is_an_error() {
        let mut c = DebianCollector::default();
        assert!(c.add_tracker_json(b"{\"a\": 5}").is_err());
        assert!(c.add_tracker_json(b"not json").is_err());
    }
}
