//! Enrichment feeds: CISA Known Exploited Vulnerabilities and FIRST EPSS.

use super::IngestError;
use serde::{Deserialize, Serialize};
use std::io::Read;

/// One KEV catalogue entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KevEntry {
    pub cve: String,
    pub date_added: String,
    pub due_date: Option<String>,
    pub ransomware: bool,
}

/// One EPSS score.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EpssEntry {
    /// The CVE as a number: year × 10^8 + sequence (see [`cve_key`]).
    pub key: u64,
    pub score: f32,
    pub percentile: f32,
}

/// Packs `CVE-YYYY-NNNN…` into one sortable number (`YYYY × 10^8 + N`), or `None` for other ids.
pub fn cve_key(id: &str) -> Option<u64> {
    let rest = id
        .strip_prefix("CVE-")
        .or_else(|| id.strip_prefix("cve-"))?;
    let (year, num) = rest.split_once('-')?;
    if year.len() != 4 || num.is_empty() || num.len() > 8 {
        return None;
    }
    let year: u64 = year.parse().ok()?;
    let num: u64 = num.parse().ok()?;
    Some(year * 100_000_000 + num)
}

#[derive(Deserialize)]
struct KevDoc {
    vulnerabilities: Vec<KevRaw>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct KevRaw {
    #[serde(rename = "cveID")]
    cve_id: String,
    date_added: String,
    #[serde(default)]
    due_date: Option<String>,
    #[serde(default)]
    known_ransomware_campaign_use: Option<String>,
}

/// Parses the CISA KEV JSON catalogue.
pub fn parse_kev(bytes: &[u8]) -> Result<Vec<KevEntry>, IngestError> {
    let doc: KevDoc = serde_json::from_slice(bytes).map_err(|e| IngestError::Parse {
        line: Some(e.line() as u32),
        message: e.to_string(),
    })?;
    Ok(doc
        .vulnerabilities
        .into_iter()
        .map(|v| KevEntry {
            cve: v.cve_id,
            date_added: v.date_added,
            due_date: v.due_date,
            ransomware: v
                .known_ransomware_campaign_use
                .is_some_and(|k| k.eq_ignore_ascii_case("known")),
        })
        .collect())
}

/// Parses an EPSS CSV (`cve,epss,percentile` or `cve;epss;percentile`, optional `#` and header lines),
/// gzip-compressed or not. Bad lines are returned as errors with their line numbers; good ones are kept.
pub fn parse_epss(bytes: &[u8]) -> (Vec<EpssEntry>, Vec<IngestError>) {
    let mut text = String::new();
    let mut errors = Vec::new();
    if bytes.starts_with(&[0x1f, 0x8b]) {
        let limit = 1 << 30;
        if let Err(e) = flate2::read::GzDecoder::new(bytes)
            .take(limit)
            .read_to_string(&mut text)
        {
            errors.push(IngestError::Parse {
                line: None,
                message: format!("bad gzip: {e}"),
            });
            return (Vec::new(), errors);
        }
    } else {
        text = String::from_utf8_lossy(bytes).into_owned();
    }
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with("cve") {
            continue;
        }
        let mut parts = line.split([',', ';']);
        let parsed = (|| {
            let key = cve_key(parts.next()?.trim())?;
            let score: f32 = parts.next()?.trim().parse().ok()?;
            let percentile: f32 = parts.next()?.trim().parse().ok()?;
            ((0.0..=1.0).contains(&score) && (0.0..=1.0).contains(&percentile)).then_some(
                EpssEntry {
                    key,
                    score,
                    percentile,
                },
            )
        })();
        match parsed {
            Some(e) => out.push(e),
            None if errors.len() < 20 => errors.push(IngestError::Parse {
                line: Some(n as u32 + 1),
                message: format!(
                    "not an EPSS row: {}",
                    line.chars().take(60).collect::<String>()
                ),
            }),
            None => {}
        }
    }
    (out, errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cve_keys_sort_like_cves() {
        assert_eq!(cve_key("CVE-2021-44228"), Some(2021_0004_4228));
        assert!(cve_key("CVE-2021-1").unwrap() < cve_key("CVE-2021-10000").unwrap());
        assert!(cve_key("CVE-2020-99999").unwrap() < cve_key("CVE-2021-1").unwrap());
        assert_eq!(cve_key("GHSA-xxxx"), None);
        assert_eq!(cve_key("CVE-20x1-1"), None);
        assert_eq!(cve_key("CVE-2021-123456789"), None);
    }

    #[test]
    fn epss_both_separators_and_bad_rows() {
        let (rows, errs) = parse_epss(
            b"#model_version:v2023.03.01\ncve,epss,percentile\nCVE-2021-44228,0.97,0.9999\nCVE-2003-5003;0.004870000;0.397790000\nCVE-x;1;1\nCVE-2020-1;7;0.5\n",
        );
        assert_eq!(rows.len(), 2);
        assert_eq!(errs.len(), 2);
        assert!(matches!(errs[0], IngestError::Parse { line: Some(5), .. }));
    }

    #[test]
    fn kev_catalogue() {
        let json = br#"{"catalogVersion":"2025.08.25","vulnerabilities":[{"cveID":"CVE-2021-44228","dateAdded":"2021-12-10","dueDate":"2021-12-24","knownRansomwareCampaignUse":"Known"}]}"#;
        let k = parse_kev(json).unwrap();
        assert_eq!(k[0].cve, "CVE-2021-44228");
        assert!(k[0].ransomware);
        assert!(parse_kev(b"{}").is_err());
    }
}
