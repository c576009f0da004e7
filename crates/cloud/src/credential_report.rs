//! The IAM credential report (`GetCredentialReport`, CSV), parsed with bounds into the documents the
//! checks read: one `credential_report` object per user (merged into `aws_iam_user`) and the
//! `<root_account>` row (`root_credentials` on `aws_iam_account.account`).
//!
//! Every row becomes
//! `{user_creation_time, password_enabled, password_last_used, password_last_changed, mfa_active,
//! access_keys: [{n, active, last_rotated, last_used_date}], as_of}`, dates as RFC 3339 strings and
//! AWS's placeholders (`N/A`, `no_information`, `not_supported`) as null; `as_of` is the time the
//! collector read the account, the reference the age checks (45 and 90 days) measure from.

use serde_json::{Value as Json, json};

/// A report larger than this is not parsed (AWS accounts hold at most 5,000 users, about 2 MB).
pub const MAX_BYTES: usize = 16 << 20;
/// Rows beyond this are ignored (with a note).
pub const MAX_ROWS: usize = 20_000;
/// A line with more fields than this is skipped.
const MAX_FIELDS: usize = 64;
/// A line longer than this is skipped.
const MAX_LINE: usize = 8 << 10;

/// The parsed report.
#[derive(Debug, Default)]
pub struct Report {
    /// (user name, normalised row), in the report's order.
    pub users: Vec<(String, Json)>,
    /// The `<root_account>` row, normalised.
    pub root: Option<Json>,
    /// Lines that could not be read, and rows beyond [`MAX_ROWS`].
    pub skipped: usize,
}

/// Splits one CSV line: commas, with double-quoted fields (`""` inside quotes is a quote).
fn fields(line: &str) -> Option<Vec<String>> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                cur.push('"');
            }
            ('"', true) => quoted = false,
            ('"', false) if cur.is_empty() => quoted = true,
            (',', false) => {
                out.push(std::mem::take(&mut cur));
                if out.len() > MAX_FIELDS {
                    return None;
                }
            }
            (c, _) => cur.push(c),
        }
    }
    if quoted {
        return None;
    }
    out.push(cur);
    Some(out)
}

/// A date column: null for AWS's placeholders and anything that is not a date.
fn date(v: &str) -> Json {
    let v = v.trim();
    let b = v.as_bytes();
    let looks_like_date = b.len() >= 10
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[7] == b'-'
        && b[5..7].iter().all(u8::is_ascii_digit)
        && b[8..10].iter().all(u8::is_ascii_digit);
    if looks_like_date {
        Json::String(v.to_string())
    } else {
        Json::Null
    }
}

/// A boolean column: null when neither `true` nor `false`.
fn boolean(v: &str) -> Json {
    match v.trim() {
        s if s.eq_ignore_ascii_case("true") => Json::Bool(true),
        s if s.eq_ignore_ascii_case("false") => Json::Bool(false),
        _ => Json::Null,
    }
}

/// Parses the report's CSV; `as_of` (RFC 3339) is stored in every row. Fails only when the header
/// lacks the `user` column or the report is larger than [`MAX_BYTES`].
pub fn parse(csv: &[u8], as_of: &str) -> Result<Report, String> {
    if csv.len() > MAX_BYTES {
        return Err(format!(
            "credential report of {} bytes is larger than {MAX_BYTES}",
            csv.len()
        ));
    }
    let text = String::from_utf8_lossy(csv);
    let mut lines = text.lines();
    let header = lines
        .next()
        .and_then(fields)
        .ok_or("empty credential report")?;
    let col = |name: &str| header.iter().position(|h| h.trim() == name);
    let user_col = col("user").ok_or("credential report without a user column")?;
    let get = |row: &[String], name: &str| -> String {
        col(name)
            .and_then(|i| row.get(i))
            .cloned()
            .unwrap_or_default()
    };
    let mut report = Report::default();
    let mut rows = 0usize;
    for line in lines {
        if line.trim().is_empty() {
            continue;
        }
        if rows >= MAX_ROWS {
            report.skipped += 1;
            continue;
        }
        rows += 1;
        let Some(row) = (line.len() <= MAX_LINE).then(|| fields(line)).flatten() else {
            report.skipped += 1;
            continue;
        };
        let Some(user) = row.get(user_col).map(|u| u.trim().to_string()) else {
            report.skipped += 1;
            continue;
        };
        if user.is_empty() {
            report.skipped += 1;
            continue;
        }
        let keys: Vec<Json> = (1..=2)
            .map(|n| {
                json!({
                    "n": n,
                    "active": boolean(&get(&row, &format!("access_key_{n}_active"))),
                    "last_rotated": date(&get(&row, &format!("access_key_{n}_last_rotated"))),
                    "last_used_date": date(&get(&row, &format!("access_key_{n}_last_used_date"))),
                })
            })
            .collect();
        let doc = json!({
            "arn": get(&row, "arn"),
            "user_creation_time": date(&get(&row, "user_creation_time")),
            "password_enabled": boolean(&get(&row, "password_enabled")),
            "password_last_used": date(&get(&row, "password_last_used")),
            "password_last_changed": date(&get(&row, "password_last_changed")),
            "mfa_active": boolean(&get(&row, "mfa_active")),
            "access_keys": keys,
            "as_of": as_of,
        });
        if user == "<root_account>" {
            report.root = Some(doc);
        } else {
            report.users.push((user, doc));
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated";

    #[test]
    fn parses_aws_rows_with_placeholders() {
        let csv = format!(
            "{HEADER}\n<root_account>,arn:aws:iam::123456789012:root,2020-01-01T00:00:00+00:00,not_supported,2026-11-26T10:00:00+00:00,not_supported,not_supported,false,true,2021-03-04T05:06:07+00:00,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\nalice,arn:aws:iam::123456789012:user/alice,2024-01-01T00:00:00+00:00,true,no_information,2024-01-01T00:00:00+00:00,N/A,false,true,2024-01-01T00:00:00+00:00,2024-02-01T00:00:00+00:00,us-east-1,s3,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n\n\"bob\",\"arn:aws:iam::123456789012:user/bob\",2024-01-01T00:00:00+00:00,false\n"
        );
        let r = parse(csv.as_bytes(), "2026-11-27T00:00:00Z").expect("parse");
        let root = r.root.expect("root row");
        assert_eq!(root["mfa_active"], false);
        assert_eq!(root["password_enabled"], Json::Null);
        assert_eq!(root["password_last_used"], "2026-11-26T10:00:00+00:00");
        assert_eq!(root["access_keys"][0]["active"], true);
        assert_eq!(r.users.len(), 2);
        let (name, alice) = &r.users[0];
        assert_eq!(name, "alice");
        assert_eq!(alice["password_enabled"], true);
        assert_eq!(alice["password_last_used"], Json::Null);
        assert_eq!(
            alice["access_keys"][0]["last_used_date"],
            "2024-02-01T00:00:00+00:00"
        );
        assert_eq!(alice["access_keys"][1]["active"], false);
        assert_eq!(alice["as_of"], "2026-11-27T00:00:00Z");
        // A short row: the missing columns are null.
        assert_eq!(r.users[1].0, "bob");
        assert_eq!(r.users[1].1["mfa_active"], Json::Null);
        assert_eq!(r.skipped, 0);
    }

    #[test]
    fn bad_input_is_bounded() {
        assert!(parse(b"", "x").is_err());
        assert!(parse(b"arn,mfa_active\nx,true\n", "x").is_err());
        assert!(parse(&vec![b'a'; MAX_BYTES + 1], "x").is_err());
        let long = format!("user\n{}\n\"unterminated\nok\n", ",".repeat(100));
        let r = parse(long.as_bytes(), "x").expect("parse");
        assert_eq!(r.skipped, 2);
        assert_eq!(r.users.len(), 1);
        let many = format!("user\n{}", "u\n".repeat(MAX_ROWS + 5));
        let r = parse(many.as_bytes(), "x").expect("parse");
        assert_eq!((r.users.len(), r.skipped), (MAX_ROWS, 5));
    }
}
