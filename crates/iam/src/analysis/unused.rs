//! Unused roles and access keys: last used longer ago than the threshold, or never used.

use crate::account::Account;
use serde::Serialize;

/// What is unused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum UnusedKind {
    Role,
    AccessKey { id: String },
}

/// One unused credential or role.
#[derive(Debug, Clone, Serialize)]
pub struct Unused {
    /// The role or user ARN.
    pub principal: String,
    pub kind: UnusedKind,
    pub last_used: Option<jiff::Timestamp>,
    /// Days since last use (or since creation when never used).
    pub idle_days: i64,
}

fn days(since: jiff::Timestamp, now: jiff::Timestamp) -> i64 {
    (now.as_second() - since.as_second()) / 86_400
}

/// Roles and active access keys idle for more than `threshold_days` at `now`. Something never used is
/// idle since it was created; one with no creation date either is reported as idle for the threshold.
pub fn find(account: &Account, now: jiff::Timestamp, threshold_days: i64) -> Vec<Unused> {
    let idle = |last: Option<jiff::Timestamp>, created: Option<jiff::Timestamp>| -> Option<i64> {
        let d = match (last, created) {
            (Some(l), _) => days(l, now),
            (None, Some(c)) => days(c, now),
            (None, None) => threshold_days + 1,
        };
        (d > threshold_days).then_some(d)
    };
    let mut out = Vec::new();
    for r in &account.roles {
        // Service-linked roles are used by AWS, not by people; their last use is not ours to judge.
        if r.path.starts_with("/aws-service-role/") {
            continue;
        }
        if let Some(d) = idle(r.last_used, r.created) {
            out.push(Unused {
                principal: r.arn.clone(),
                kind: UnusedKind::Role,
                last_used: r.last_used,
                idle_days: d,
            });
        }
    }
    for u in &account.users {
        for k in u.access_keys.iter().filter(|k| k.active) {
            if let Some(d) = idle(k.last_used, k.created) {
                out.push(Unused {
                    principal: u.arn.clone(),
                    kind: UnusedKind::AccessKey { id: k.id.clone() },
                    last_used: k.last_used,
                    idle_days: d,
                });
            }
        }
    }
    out
}
