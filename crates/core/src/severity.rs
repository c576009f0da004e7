//! Severity levels, ordered from least to most severe.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// How bad a finding is. The order is meaningful: `Unknown < Negligible < … < Critical`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// No rating is known.
    #[default]
    Unknown,
    /// Rated by a distribution as not worth fixing (e.g. Debian "unimportant").
    Negligible,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    /// All levels, most severe first (the order tables and summaries use).
    pub const ALL_DESCENDING: [Severity; 6] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Negligible,
        Severity::Unknown,
    ];

    /// The qualitative rating of a CVSS v3.x / v4.0 base score (FIRST's table).
    pub fn from_cvss_score(score: f64) -> Severity {
        match score {
            s if s >= 9.0 => Severity::Critical,
            s if s >= 7.0 => Severity::High,
            s if s >= 4.0 => Severity::Medium,
            s if s > 0.0 => Severity::Low,
            _ => Severity::Negligible,
        }
    }

    /// Upper-case label, as tables show it.
    pub fn label(self) -> &'static str {
        match self {
            Severity::Unknown => "UNKNOWN",
            Severity::Negligible => "NEGLIGIBLE",
            Severity::Low => "LOW",
            Severity::Medium => "MEDIUM",
            Severity::High => "HIGH",
            Severity::Critical => "CRITICAL",
        }
    }

    fn lower(self) -> &'static str {
        match self {
            Severity::Unknown => "unknown",
            Severity::Negligible => "negligible",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.lower())
    }
}

/// A severity name that is not one of the six levels.
#[derive(Debug, thiserror::Error)]
#[error(
    "unknown severity {0:?} (expected one of unknown, negligible, low, medium, high, critical)"
)]
pub struct ParseSeverityError(pub String);

impl FromStr for Severity {
    type Err = ParseSeverityError;

    /// Parses a level name, case-insensitively. Common synonyms from distro feeds are accepted
    /// ("moderate" → medium, "important" → high, "unimportant"/"none" → negligible).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "unknown" | "not yet assigned" | "" => Ok(Severity::Unknown),
            "negligible" | "unimportant" | "none" | "info" | "informational" => {
                Ok(Severity::Negligible)
            }
            "low" => Ok(Severity::Low),
            "medium" | "moderate" => Ok(Severity::Medium),
            "high" | "important" => Ok(Severity::High),
            "critical" => Ok(Severity::Critical),
            _ => Err(ParseSeverityError(s.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_is_least_to_most_severe() {
        let mut all = Severity::ALL_DESCENDING.to_vec();
        all.sort();
        assert_eq!(
            all,
            vec![
                Severity::Unknown,
                Severity::Negligible,
                Severity::Low,
                Severity::Medium,
                Severity::High,
                Severity::Critical
            ]
        );
    }

    #[test]
    fn cvss_scores_map_to_first_ratings() {
        assert_eq!(Severity::from_cvss_score(9.8), Severity::Critical);
        assert_eq!(Severity::from_cvss_score(7.0), Severity::High);
        assert_eq!(Severity::from_cvss_score(6.9), Severity::Medium);
        assert_eq!(Severity::from_cvss_score(0.1), Severity::Low);
        assert_eq!(Severity::from_cvss_score(0.0), Severity::Negligible);
    }

    #[test]
    fn parses_names_and_synonyms() {
        assert_eq!("HIGH".parse::<Severity>().unwrap(), Severity::High);
        assert_eq!("moderate".parse::<Severity>().unwrap(), Severity::Medium);
        assert_eq!(
            "unimportant".parse::<Severity>().unwrap(),
            Severity::Negligible
        );
        assert!("severe".parse::<Severity>().is_err());
    }

    #[test]
    fn display_round_trips() {
        for s in Severity::ALL_DESCENDING {
            assert_eq!(s.to_string().parse::<Severity>().unwrap(), s);
        }
    }
}
