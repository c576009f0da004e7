//! Stable finding identifiers.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;

/// A stable identifier for a finding: the same rule on the same subject gives the same fingerprint in every
/// scan, so findings can be tracked, suppressed and diffed over time.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Fingerprint(String);

impl Fingerprint {
    /// Hashes the given parts (kind, rule, subject, …) into a 32-hex-digit fingerprint. Parts are
    /// length-prefixed so that `["ab", "c"]` and `["a", "bc"]` differ.
    pub fn of(parts: &[&str]) -> Fingerprint {
        let mut h = Sha256::new();
        for p in parts {
            h.update((p.len() as u64).to_le_bytes());
            h.update(p.as_bytes());
        }
        let digest = h.finalize();
        let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
        Fingerprint(hex)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stable_and_unambiguous() {
        let a = Fingerprint::of(&["vulnerability", "CVE-2021-1", "pkg:npm/a@1"]);
        assert_eq!(
            a,
            Fingerprint::of(&["vulnerability", "CVE-2021-1", "pkg:npm/a@1"])
        );
        assert_eq!(a.as_str().len(), 32);
        assert_ne!(Fingerprint::of(&["ab", "c"]), Fingerprint::of(&["a", "bc"]));
    }
}
