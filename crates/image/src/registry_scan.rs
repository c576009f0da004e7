//! Scanning a whole registry: enumerate repositories (`/v2/_catalog`, paginated: `n` names per page,
//! then the `Link: <…>; rel="next"` header) under a prefix and their tags, resolve each tag to its
//! platform manifest digest (manifests only), deduplicate by digest, and analyse each distinct image
//! once with bounded concurrency. Blobs shared between images are downloaded once per scan
//! ([`BlobStash`]); images already in the [`Cache`] need no blob at all.

use crate::analyze::{Analysis, AnalyzeOptions, analyze_source_cached};
use crate::cache::Cache;
use crate::digest::Digest;
use crate::error::{ImageError, Result};
use crate::reference::RegistryRef;
use crate::source::{BlobStash, ImageSource, RegistryClient, RegistrySource};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

/// What to scan and how.
#[derive(Debug, Clone)]
pub struct RegistryScanOptions {
    /// `HOST[:PORT][/prefix]`: the registry and an optional repository prefix.
    pub target: String,
    /// Images analysed at the same time (at least 1).
    pub concurrency: usize,
    /// Only images whose config `created` is at or after this time (images without one are kept).
    pub since: Option<SystemTime>,
    /// Repositories listed at most.
    pub max_repositories: usize,
    /// Tags per repository listed at most.
    pub max_tags: usize,
    /// Names asked for per request of the catalog and tag listings (`n`; the registry may answer
    /// fewer, and the `Link` header leads to the next page).
    pub page_size: usize,
    /// Analysis options (platform, limits, registry access).
    pub analyze: AnalyzeOptions,
}

impl RegistryScanOptions {
    /// Options for `target` with the defaults.
    pub fn new(target: impl Into<String>) -> RegistryScanOptions {
        RegistryScanOptions {
            target: target.into(),
            concurrency: 4,
            since: None,
            max_repositories: 10_000,
            max_tags: 10_000,
            page_size: crate::source::registry::DEFAULT_PAGE,
            analyze: AnalyzeOptions::default(),
        }
    }
}

/// One distinct image of the registry.
#[derive(Debug)]
pub struct ScannedImage {
    /// Every `host/repo:tag` that points at it, sorted.
    pub references: Vec<String>,
    /// The platform manifest digest.
    pub digest: Digest,
    /// The analysis, or why it failed.
    pub analysis: std::result::Result<Analysis, String>,
    /// Whether the analysis came from the cache (no blob read).
    pub cached: bool,
}

/// The outcome of a registry scan.
#[derive(Debug, Default)]
pub struct RegistryScan {
    /// Distinct images analysed (or failed), in reference order.
    pub images: Vec<ScannedImage>,
    /// References skipped by `since`.
    pub skipped: Vec<String>,
    /// Repositories or tags that could not be listed or resolved: (what, error).
    pub errors: Vec<(String, String)>,
}

/// Splits `HOST[:PORT][/prefix]`.
pub fn split_target(target: &str) -> Result<(String, String)> {
    let t = target.trim_start_matches("docker://").trim_end_matches('/');
    let (host, prefix) = t.split_once('/').unwrap_or((t, ""));
    let ok = !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b));
    if !ok {
        return Err(ImageError::Reference {
            input: target.to_string(),
            reason: "expected HOST[:PORT][/prefix]".into(),
        });
    }
    Ok((host.to_string(), prefix.to_string()))
}

/// Scans the registry `opts.target` names.
pub fn scan_registry(opts: &RegistryScanOptions, cache: &Cache) -> Result<RegistryScan> {
    let (host, prefix) = split_target(&opts.target)?;
    // The caller's stash (shared with its other clients, e.g. the base catalogue's), else our own.
    let stash = match &opts.analyze.registry.stash {
        Some(s) => s.clone(),
        None => Arc::new(BlobStash::new()?),
    };
    let client = Arc::new(RegistryClient::new(&host, &opts.analyze.registry)?.with_stash(stash));
    let mut out = RegistryScan::default();
    let repos: Vec<String> = client
        .catalog(opts.max_repositories, opts.page_size)?
        .into_iter()
        .filter(|r| prefix.is_empty() || r == &prefix || r.starts_with(&format!("{prefix}/")))
        .collect();
    // Resolve every tag to its platform manifest digest (manifests only) and group by digest.
    let mut by_digest: BTreeMap<Digest, (Vec<String>, RegistrySource)> = BTreeMap::new();
    for repo in &repos {
        let tags = match client.list_tags(repo, opts.max_tags, opts.page_size) {
            Ok(t) => t,
            Err(e) => {
                out.errors.push((format!("{host}/{repo}"), e.to_string()));
                continue;
            }
        };
        for tag in tags {
            let name = format!("{host}/{repo}:{tag}");
            let reference = match RegistryRef::parse(&name) {
                Ok(r) => r,
                Err(e) => {
                    out.errors.push((name, e));
                    continue;
                }
            };
            let source = RegistrySource::new(client.clone(), reference);
            match source.platform_manifest(&opts.analyze.platform) {
                Ok((digest, _)) => {
                    by_digest
                        .entry(digest)
                        .or_insert_with(|| (Vec::new(), source))
                        .0
                        .push(name);
                }
                Err(e) => out.errors.push((name, e.to_string())),
            }
        }
    }
    let work: Vec<(Digest, Vec<String>, RegistrySource)> = by_digest
        .into_iter()
        .map(|(d, (mut refs, s))| {
            refs.sort();
            (d, refs, s)
        })
        .collect();
    let results: Mutex<Vec<Option<ScannedImage>>> =
        Mutex::new((0..work.len()).map(|_| None).collect());
    let skipped = Mutex::new(Vec::new());
    let next = AtomicUsize::new(0);
    let workers = opts.concurrency.clamp(1, 64).min(work.len().max(1));
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some((digest, refs, source)) = work.get(i) else {
                        break;
                    };
                    let outcome = scan_one(source, opts, cache);
                    let image = match outcome {
                        Ok(None) => {
                            skipped
                                .lock()
                                .unwrap_or_else(|e| e.into_inner())
                                .extend(refs.iter().cloned());
                            continue;
                        }
                        Ok(Some((mut a, cached))) => {
                            a.image.repo_tags.clone_from(refs);
                            ScannedImage {
                                references: refs.clone(),
                                digest: digest.clone(),
                                analysis: Ok(a),
                                cached,
                            }
                        }
                        Err(e) => ScannedImage {
                            references: refs.clone(),
                            digest: digest.clone(),
                            analysis: Err(e.to_string()),
                            cached: false,
                        },
                    };
                    if let Some(slot) = results.lock().unwrap_or_else(|e| e.into_inner()).get_mut(i)
                    {
                        *slot = Some(image);
                    }
                }
            });
        }
    });
    out.images = results
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .into_iter()
        .flatten()
        .collect();
    out.skipped = skipped.into_inner().unwrap_or_else(|e| e.into_inner());
    out.skipped.sort();
    Ok(out)
}

/// Analyses one image unless `since` excludes it; `None` when skipped.
fn scan_one(
    source: &RegistrySource,
    opts: &RegistryScanOptions,
    cache: &Cache,
) -> Result<Option<(Analysis, bool)>> {
    if let Some(since) = opts.since {
        // From the cache when possible; else the config (a blob the analysis reads anyway).
        let created = match source
            .cache_key(&opts.analyze.platform)?
            .and_then(|k| cache.get_by_manifest(&k))
        {
            Some(hit) => hit.image.created,
            None => source.resolve(&opts.analyze.platform)?.config.created,
        };
        if let Some(c) = created.as_deref().and_then(parse_time)
            && c < since
        {
            return Ok(None);
        }
    }
    analyze_source_cached(source, &opts.analyze, cache).map(Some)
}

/// An RFC 3339 time as a `SystemTime`.
fn parse_time(s: &str) -> Option<SystemTime> {
    let ts: jiff::Timestamp = s.parse().ok()?;
    SystemTime::try_from(ts).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets() {
        assert_eq!(
            split_target("127.0.0.1:5000/team/").unwrap(),
            ("127.0.0.1:5000".into(), "team".into())
        );
        assert_eq!(
            split_target("reg.example").unwrap(),
            ("reg.example".into(), String::new())
        );
        assert!(split_target("").is_err());
        assert!(parse_time("2024-01-02T03:04:05Z").is_some());
        assert!(parse_time("garbage").is_none());
    }
}
