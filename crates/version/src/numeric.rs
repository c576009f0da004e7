//! Arbitrary-length unsigned integers that compare without overflow.
//!
//! Version schemes rarely bound their numeric components, and a hostile input
//! such as `99999999999999999999999` must neither overflow nor panic, so numbers
//! are kept as digit strings and compared by length, then lexically.

use std::cmp::Ordering;
use std::fmt;

/// A non-negative integer of any length, stored without leading zeros.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Num(String);

impl Num {
    /// Builds a number from ASCII digits; non-digits are the caller's bug and are skipped.
    pub fn from_digits(digits: &str) -> Num {
        let trimmed = digits.trim_start_matches('0');
        Num(trimmed.chars().filter(char::is_ascii_digit).collect())
    }

    /// The number zero.
    pub fn zero() -> Num {
        Num(String::new())
    }

    /// True for zero.
    pub fn is_zero(&self) -> bool {
        self.0.is_empty()
    }

    /// The value as a `u64`, when it fits.
    pub fn to_u64(&self) -> Option<u64> {
        if self.0.is_empty() {
            return Some(0);
        }
        self.0.parse().ok()
    }

    /// The number plus one.
    pub fn succ(&self) -> Num {
        let mut bytes: Vec<u8> = self.0.bytes().collect();
        let mut i = bytes.len();
        loop {
            if i == 0 {
                bytes.insert(0, b'1');
                break;
            }
            i -= 1;
            if bytes[i] == b'9' {
                bytes[i] = b'0';
            } else {
                bytes[i] += 1;
                break;
            }
        }
        Num(String::from_utf8_lossy(&bytes).into_owned())
    }
}

impl Ord for Num {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0
            .len()
            .cmp(&other.0.len())
            .then_with(|| self.0.cmp(&other.0))
    }
}

impl PartialOrd for Num {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Num {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            f.write_str("0")
        } else {
            f.write_str(&self.0)
        }
    }
}

/// Compares two ASCII digit strings numerically, ignoring leading zeros.
pub fn cmp_digits(a: &str, b: &str) -> Ordering {
    let a = a.trim_start_matches('0');
    let b = b.trim_start_matches('0');
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compares_numbers_of_any_length() {
        assert_eq!(cmp_digits("007", "7"), Ordering::Equal);
        assert_eq!(cmp_digits("10", "9"), Ordering::Greater);
        assert_eq!(
            cmp_digits(
                "123456789012345678901234567890",
                "123456789012345678901234567891"
            ),
            Ordering::Less
        );
        assert_eq!(Num::from_digits("000"), Num::zero());
        assert_eq!(Num::from_digits("0").to_string(), "0");
        assert_eq!(Num::from_digits("199").succ().to_string(), "200");
        assert_eq!(Num::from_digits("99").succ().to_string(), "100");
        assert_eq!(Num::zero().succ().to_string(), "1");
        assert_eq!(Num::from_digits("18446744073709551616").to_u64(), None);
    }
}
