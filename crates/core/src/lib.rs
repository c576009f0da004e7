//! Rampart's shared model.
//!
//! Every block of Rampart (vulnerability matching, posture checks, runtime rules, …) speaks the types in this
//! crate: an [`Asset`] holds [`Package`]s, analyzers turn them into [`Finding`]s, and a [`Report`] carries the
//! findings with the facts needed to render them in any output format.
//!
//! Architecture invariant: this crate does no I/O and knows nothing of where data comes from.

pub mod asset;
pub mod compliance;
pub mod finding;
pub mod fingerprint;
pub mod package;
pub mod purl;
pub mod report;
pub mod rollup;
pub mod severity;

pub use asset::{Asset, AssetKind, OsRelease};
pub use compliance::{ComplianceSummary, ControlResult, ControlStatus};
pub use finding::{
    Control, Cvss, Epss, Evidence, Finding, FindingKind, FixState, Kev, Suppression,
    SuppressionSource, VulnerabilityInfo,
};
pub use fingerprint::Fingerprint;
pub use package::{Ecosystem, LayerRef, Location, Package, SourcePackage};
pub use report::{
    CheckOutcome, CheckStatus, DatabaseInfo, Report, ScanWarning, ScannerInfo, Summary, Timing,
};
pub use rollup::{BaseCount, ImageBase, ImageRow, ImagesRollup, Upgrade};
pub use severity::Severity;
