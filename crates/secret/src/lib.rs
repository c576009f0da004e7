//! Rampart's secret scanner.
//!
//! Rules are data ([`RuleSet`]: the built-in YAML plus a user config that disables, adds and allow-lists
//! rules). A [`Scanner`] first looks for any rule keyword with one Aho–Corasick pass over a file, then runs
//! only the regexes of the rules whose keywords occurred. Binary files and files over the size limit are
//! skipped. Every [`SecretHit`] holds the secret only in masked form, so nothing downstream — findings,
//! reports, logs — can print it unmasked.

mod entropy;
pub mod fuzzing;
mod mask;
mod rules;
mod scanner;

pub use entropy::shannon_entropy;
pub use mask::mask;
pub use rules::{Config, Rule, RuleError, RuleSet};
pub use scanner::{Limits, Scanner, SecretHit};
