//! Whether one version falls within an advisory's affected entry, under the ecosystem's version scheme.

use crate::model::{Affected, AffectedStatus, Event, Range};
use rampart_version::{
    Scheme, VersionError, compare, gem_requirements_satisfied, npm_range_satisfies,
};
use std::cmp::Ordering;

/// Decides whether `version` is affected. Errors when a version in play cannot be parsed under the scheme.
pub fn is_affected(
    affected: &Affected,
    scheme: Scheme,
    version: &str,
) -> Result<bool, VersionError> {
    match affected.status {
        AffectedStatus::NotAffected => return Ok(false),
        AffectedStatus::Unfixed | AffectedStatus::WontFix if affected.ranges.is_empty() => {
            return Ok(affected.versions.is_empty() || listed(affected, scheme, version));
        }
        _ => {}
    }
    if listed(affected, scheme, version) {
        return Ok(true);
    }
    let mut first_error = None;
    for range in &affected.ranges {
        match range_contains(range, scheme, version) {
            Ok(true) => return Ok(true),
            Ok(false) => {}
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    match first_error {
        Some(e) => Err(e),
        None => Ok(false),
    }
}

fn listed(affected: &Affected, scheme: Scheme, version: &str) -> bool {
    affected
        .versions
        .iter()
        .any(|v| v == version || compare(scheme, v, version).is_ok_and(|o| o == Ordering::Equal))
}

fn range_contains(range: &Range, scheme: Scheme, version: &str) -> Result<bool, VersionError> {
    match range {
        Range::Events { semver, events } => {
            let scheme = if *semver && scheme != Scheme::Go {
                Scheme::Semver
            } else {
                scheme
            };
            events_contain(events, scheme, version)
        }
        Range::Npm { vulnerable, .. } => npm_range_satisfies(vulnerable, version),
        Range::Gem {
            patched,
            unaffected,
        } => {
            for req in patched.iter().chain(unaffected) {
                let parts: Vec<&str> = req
                    .split(',')
                    .map(str::trim)
                    .filter(|p| !p.is_empty())
                    .collect();
                if gem_requirements_satisfied(&parts, version)? {
                    return Ok(false);
                }
            }
            Ok(true)
        }
    }
}

/// OSV's evaluation: walk the events in version order; `introduced` opens, `fixed` closes at that version,
/// `last_affected` closes after it; `limit` bounds the whole range from above.
fn events_contain(events: &[Event], scheme: Scheme, version: &str) -> Result<bool, VersionError> {
    let cmp = |a: &str| -> Result<Ordering, VersionError> {
        if a == "0" {
            return Ok(Ordering::Greater); // version > "0" always
        }
        compare(scheme, version, a)
    };
    let mut limits = events.iter().filter_map(|e| match e {
        Event::Limit(l) => Some(l),
        _ => None,
    });
    if let Some(l) = limits.next()
        && l != "*"
        && cmp(l)? != Ordering::Less
        && limits.all(|l| cmp(l).is_ok_and(|o| o != Ordering::Less))
    {
        return Ok(false);
    }
    // The latest event at or below `version` decides.
    let mut decided: Option<(&str, bool)> = None;
    for e in events {
        let (at, state, inclusive) = match e {
            Event::Introduced(v) => (v.as_str(), true, true),
            Event::Fixed(v) => (v.as_str(), false, true),
            Event::LastAffected(v) => (v.as_str(), false, false),
            Event::Limit(_) => continue,
        };
        let applies = match cmp(at)? {
            Ordering::Greater => true,
            Ordering::Equal => inclusive,
            Ordering::Less => false,
        };
        if !applies {
            continue;
        }
        let later = match decided {
            None => true,
            Some((prev, _)) => later_event(scheme, at, prev)?,
        };
        if later {
            decided = Some((at, state));
        }
    }
    Ok(decided.is_some_and(|(_, s)| s))
}

/// Whether event version `a` comes at or after `b` (ties go to the newer event, so a `fixed` equal to an
/// `introduced` closes it).
fn later_event(scheme: Scheme, a: &str, b: &str) -> Result<bool, VersionError> {
    Ok(match (a, b) {
        ("0", _) => false,
        (_, "0") => true,
        _ => compare(scheme, a, b)? != Ordering::Less,
    })
}

/// The fixed versions that would cure `version`: the smallest `fixed` above it per range, or the
/// source's patched expressions.
pub fn relevant_fixes(affected: &Affected, scheme: Scheme, version: &str) -> Vec<String> {
    let mut out = Vec::new();
    for r in &affected.ranges {
        match r {
            Range::Events { semver, events } => {
                let scheme = if *semver && scheme != Scheme::Go {
                    Scheme::Semver
                } else {
                    scheme
                };
                let best = events
                    .iter()
                    .filter_map(|e| match e {
                        Event::Fixed(f) => Some(f),
                        _ => None,
                    })
                    .filter(|f| compare(scheme, f, version).is_ok_and(|o| o == Ordering::Greater))
                    .min_by(|a, b| compare(scheme, a, b).unwrap_or(Ordering::Equal));
                out.extend(best.cloned());
            }
            Range::Npm { patched, .. } => {
                if !patched.is_empty() && patched != "<0.0.0" {
                    out.push(patched.clone());
                }
            }
            Range::Gem { patched, .. } => out.extend(patched.iter().cloned()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eco(events: Vec<Event>) -> Affected {
        Affected {
            ecosystem: "PyPI".into(),
            package: "django".into(),
            ranges: vec![Range::Events {
                semver: false,
                events,
            }],
            ..Affected::default()
        }
    }

    fn intro(v: &str) -> Event {
        Event::Introduced(v.into())
    }
    fn fixed(v: &str) -> Event {
        Event::Fixed(v.into())
    }

    #[test]
    fn introduced_fixed_pairs() {
        let a = eco(vec![
            intro("0"),
            fixed("2.2.24"),
            intro("3.0"),
            fixed("3.1.12"),
            intro("3.2"),
            fixed("3.2.4"),
        ]);
        let s = Scheme::Pep440;
        assert!(is_affected(&a, s, "3.2").unwrap());
        assert!(is_affected(&a, s, "2.0").unwrap());
        assert!(!is_affected(&a, s, "3.2.4").unwrap());
        assert!(!is_affected(&a, s, "2.2.24").unwrap());
        assert!(!is_affected(&a, s, "2.2.99").unwrap());
        assert!(is_affected(&a, s, "3.1.0").unwrap());
        assert_eq!(relevant_fixes(&a, s, "3.2"), vec!["3.2.4"]);
        assert_eq!(relevant_fixes(&a, s, "3.0.1"), vec!["3.1.12"]);
    }

    #[test]
    fn last_affected_is_inclusive() {
        let a = eco(vec![intro("1.0"), Event::LastAffected("1.5".into())]);
        assert!(is_affected(&a, Scheme::Pep440, "1.5").unwrap());
        assert!(!is_affected(&a, Scheme::Pep440, "1.5.1").unwrap());
        assert!(!is_affected(&a, Scheme::Pep440, "0.9").unwrap());
    }

    #[test]
    fn limit_bounds_the_range() {
        let a = eco(vec![intro("0"), Event::Limit("2.0".into())]);
        assert!(is_affected(&a, Scheme::Pep440, "1.9").unwrap());
        assert!(!is_affected(&a, Scheme::Pep440, "2.0").unwrap());
    }

    #[test]
    fn explicit_versions_and_statuses() {
        let mut a = Affected {
            versions: vec!["1.0".into()],
            ..Affected::default()
        };
        assert!(is_affected(&a, Scheme::Pep440, "1.0.0").unwrap());
        assert!(!is_affected(&a, Scheme::Pep440, "1.1").unwrap());
        a.status = AffectedStatus::NotAffected;
        assert!(!is_affected(&a, Scheme::Pep440, "1.0").unwrap());
        let open = Affected {
            status: AffectedStatus::Unfixed,
            ..Affected::default()
        };
        assert!(is_affected(&open, Scheme::Dpkg, "1.0-1").unwrap());
    }

    #[test]
    fn dpkg_fixed_range() {
        let a = Affected {
            ranges: vec![Range::Events {
                semver: false,
                events: vec![intro("0"), fixed("1.1.1k-1+deb11u2")],
            }],
            ..Affected::default()
        };
        assert!(is_affected(&a, Scheme::Dpkg, "1.1.1k-1+deb11u1").unwrap());
        assert!(!is_affected(&a, Scheme::Dpkg, "1.1.1n-0+deb11u3").unwrap());
    }

    #[test]
    fn npm_and_gem_ranges() {
        let npm = Affected {
            ranges: vec![Range::Npm {
                vulnerable: "<4.17.21".into(),
                patched: ">=4.17.21".into(),
            }],
            ..Affected::default()
        };
        assert!(is_affected(&npm, Scheme::Semver, "4.17.20").unwrap());
        assert!(!is_affected(&npm, Scheme::Semver, "4.17.21").unwrap());
        let gem = Affected {
            ranges: vec![Range::Gem {
                patched: vec!["~> 5.2.4, >= 5.2.4.3".into(), ">= 6.0.3.1".into()],
                unaffected: vec!["< 4.0.0".into()],
            }],
            ..Affected::default()
        };
        assert!(is_affected(&gem, Scheme::RubyGems, "5.2.4.2").unwrap());
        assert!(!is_affected(&gem, Scheme::RubyGems, "5.2.4.3").unwrap());
        assert!(!is_affected(&gem, Scheme::RubyGems, "3.2.0").unwrap());
        assert!(is_affected(&gem, Scheme::RubyGems, "6.0.0").unwrap());
        assert!(!is_affected(&gem, Scheme::RubyGems, "6.1.0").unwrap());
    }

    #[test]
    fn go_semver_ranges_accept_v_prefix() {
        let a = Affected {
            ranges: vec![Range::Events {
                semver: true,
                events: vec![intro("0"), fixed("0.7.0")],
            }],
            ..Affected::default()
        };
        assert!(is_affected(&a, Scheme::Go, "v0.0.0-20210226172049-e18ecbb05110").unwrap());
        assert!(!is_affected(&a, Scheme::Go, "v0.7.0").unwrap());
    }
}
