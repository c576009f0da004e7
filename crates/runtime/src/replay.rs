//! Replay: recorded events through the engine, alerts out (`rampart runtime replay`).

use crate::alert::Alert;
use crate::engine::Engine;
use crate::fields::Source;
use crate::sources::{self, DecodeStats, SourceError};
use std::path::Path;

/// Alerts and decoder counts of one replay.
#[derive(Debug, Default)]
pub struct ReplayResult {
    pub alerts: Vec<Alert>,
    pub stats: DecodeStats,
}

/// Feeds the events of `input` (a file; for CloudTrail also a directory) through `engine`.
/// `k8s_audit` input is an `EventList` or JSON lines; `aws_cloudtrail` input is log files (gzip or
/// plain); `syscall` input is recorded-event JSON lines.
pub fn replay(source: Source, engine: &Engine, input: &Path) -> Result<ReplayResult, SourceError> {
    let mut alerts = Vec::new();
    let open = || {
        std::fs::File::open(input).map_err(|source| SourceError::Io {
            what: input.display().to_string(),
            source,
        })
    };
    let stats = match source {
        Source::Syscall => {
            sources::syscall::decode(open()?, |ev| alerts.extend(engine.process(&ev)))?
        }
        Source::K8sAudit => {
            sources::k8s_audit::decode(open()?, |ev| alerts.extend(engine.process(&ev)))?
        }
        Source::CloudTrail => {
            sources::cloudtrail::decode_path(input, |ev| alerts.extend(engine.process(&ev)))?
        }
    };
    Ok(ReplayResult { alerts, stats })
}

/// Feeds in-memory input bytes (same formats as [`replay`]) through `engine`.
pub fn replay_bytes(
    source: Source,
    engine: &Engine,
    input: &[u8],
) -> Result<ReplayResult, SourceError> {
    let mut alerts = Vec::new();
    let stats = match source {
        Source::Syscall => {
            sources::syscall::decode(input, |ev| alerts.extend(engine.process(&ev)))?
        }
        Source::K8sAudit => {
            sources::k8s_audit::decode_bytes(input, |ev| alerts.extend(engine.process(&ev)))
        }
        Source::CloudTrail => sources::cloudtrail::decode_bytes(input, "input", |ev| {
            alerts.extend(engine.process(&ev))
        }),
    };
    Ok(ReplayResult { alerts, stats })
}

/// Why [`replay_files`] could not run.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    #[error("rules failed to load:\n{}", .0.to_text())]
    Rules(crate::diag::LoadReport),
    #[error(transparent)]
    Input(#[from] SourceError),
}

/// Loads `rules` files, then replays `input` through them: the one call behind
/// `rampart runtime replay --source S --rules FILE… INPUT`.
pub fn replay_files(
    source: Source,
    rules: &[impl AsRef<Path>],
    input: &Path,
) -> Result<ReplayResult, ReplayError> {
    let (ruleset, _) = crate::rules::load(rules).map_err(ReplayError::Rules)?;
    let engine = Engine::new(ruleset);
    Ok(replay(source, &engine, input)?)
}
