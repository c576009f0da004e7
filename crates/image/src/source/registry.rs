//! Images in an OCI distribution registry, through `oci-client` on a private tokio runtime (the rest
//! of the crate is synchronous). Manifests and configs are read whole (bounded) and verified; layer
//! blobs are streamed to a temporary file while hashed, verified, and only then walked — never held
//! in memory. Transient failures (429, 5xx, timeouts, dropped connections) are retried with
//! exponential back-off. Credentials are never logged or put into error messages.

use super::oci::{BlobStore, pick_platform, resolve_manifest};
use super::{ImageSource, LayerBlob, Resolved};
use crate::digest::{Digest, Hasher};
use crate::error::{ImageError, Result};
use crate::reference::{Platform, RegistryRef};
use crate::spec::{self, DocKind, Index, MAX_DOCUMENT, Manifest};
use futures_util::StreamExt;
use oci_client::client::{ClientConfig, ClientProtocol};
use oci_client::errors::{OciDistributionError, OciErrorCode};
use oci_client::secrets::RegistryAuth;
use oci_client::{Client, Reference};
use std::collections::HashMap;
use std::io::{Read, Seek, Write};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

/// Manifest media types asked for.
const ACCEPT: &[&str] = &[
    spec::OCI_INDEX,
    spec::OCI_MANIFEST,
    spec::DOCKER_LIST,
    spec::DOCKER_MANIFEST,
];
/// Nested indexes followed at most.
const MAX_DEPTH: usize = 4;

/// How to talk to registries.
#[derive(Clone)]
pub struct RegistryOptions {
    /// Plain HTTP instead of HTTPS (`--insecure`).
    pub insecure: bool,
    /// Explicit user name; with `password`, overrides the credential files.
    pub username: Option<String>,
    /// Explicit password or token.
    pub password: Option<String>,
    /// Limit for one request, and for the silence between two chunks of a blob.
    pub timeout: Duration,
    /// Attempts per request (429, 5xx, timeouts and connection errors are retried).
    pub attempts: u32,
    /// First back-off delay; doubled per retry.
    pub backoff: Duration,
    /// Blobs already downloaded in this run, shared by every client made with these options (a
    /// registry scan and its base catalogue's `image:` entries read each blob once).
    pub stash: Option<Arc<BlobStash>>,
}

impl std::fmt::Debug for RegistryOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The password is never printed.
        f.debug_struct("RegistryOptions")
            .field("insecure", &self.insecure)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .field("timeout", &self.timeout)
            .field("attempts", &self.attempts)
            .field("backoff", &self.backoff)
            .field("stash", &self.stash.is_some())
            .finish()
    }
}

impl Default for RegistryOptions {
    fn default() -> Self {
        RegistryOptions {
            insecure: false,
            username: None,
            password: None,
            timeout: Duration::from_secs(60),
            attempts: 4,
            backoff: Duration::from_millis(500),
            stash: None,
        }
    }
}

/// A content-addressed store of blobs fetched during one run, so a blob shared by several images is
/// downloaded once. Files live in a temporary directory removed on drop.
pub struct BlobStash {
    dir: tempfile::TempDir,
    locks: Mutex<HashMap<Digest, Arc<Mutex<()>>>>,
}

impl BlobStash {
    /// A new, empty stash in the system temporary directory.
    pub fn new() -> Result<BlobStash> {
        Ok(BlobStash {
            dir: tempfile::tempdir().map_err(|e| ImageError::io("blob stash", e))?,
            locks: Mutex::new(HashMap::new()),
        })
    }

    fn path(&self, d: &Digest) -> PathBuf {
        self.dir.path().join(d.hex())
    }

    fn lock(&self, d: &Digest) -> Arc<Mutex<()>> {
        let mut m = self.locks.lock().unwrap_or_else(|e| e.into_inner());
        m.entry(d.clone()).or_default().clone()
    }
}

/// A connection to one registry: client, credentials, runtime, optional blob stash.
pub struct RegistryClient {
    rt: tokio::runtime::Runtime,
    oci: Client,
    auth: RegistryAuth,
    host: String,
    opts: RegistryOptions,
    stash: Option<Arc<BlobStash>>,
}

/// Why one attempt failed.
enum Failure {
    /// Worth another attempt (429, 5xx, timeout, connection).
    Retry(String),
    /// Final.
    Fatal(ImageError),
}

impl RegistryClient {
    /// Connects to `host` (`host[:port]`, as in references) with credentials from `opts` or the
    /// credential files.
    pub fn new(host: &str, opts: &RegistryOptions) -> Result<RegistryClient> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .map_err(|e| ImageError::io("tokio runtime", e))?;
        let api_host = api_host(host);
        let config = ClientConfig {
            protocol: if opts.insecure {
                ClientProtocol::HttpsExcept(vec![api_host.clone(), host.to_string()])
            } else {
                ClientProtocol::Https
            },
            read_timeout: Some(opts.timeout),
            connect_timeout: Some(opts.timeout),
            platform_resolver: None,
            ..ClientConfig::default()
        };
        let auth = match (&opts.username, &opts.password) {
            (Some(u), Some(p)) => RegistryAuth::Basic(u.clone(), p.clone()),
            _ => crate::source::auth::lookup(host)
                .map(|(u, p)| RegistryAuth::Basic(u, p))
                .unwrap_or(RegistryAuth::Anonymous),
        };
        Ok(RegistryClient {
            rt,
            oci: Client::new(config),
            auth,
            host: host.to_string(),
            opts: opts.clone(),
            stash: opts.stash.clone(),
        })
    }

    /// Shares downloaded blobs through `stash`.
    pub fn with_stash(mut self, stash: Arc<BlobStash>) -> RegistryClient {
        self.stash = Some(stash);
        self
    }

    /// The registry host.
    pub fn host(&self) -> &str {
        &self.host
    }

    fn reference(&self, repo: &str, tag_or_digest: &str) -> Reference {
        if tag_or_digest.contains(':') {
            Reference::with_digest(self.host.clone(), repo.to_string(), tag_or_digest.into())
        } else {
            Reference::with_tag(self.host.clone(), repo.to_string(), tag_or_digest.into())
        }
    }

    /// Runs `op` with a timeout per attempt, retrying transient failures with back-off.
    fn call<T, F, Fut>(&self, what: &str, op: F) -> Result<T>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = std::result::Result<T, Failure>>,
    {
        let attempts = self.opts.attempts.max(1);
        let mut delay = self.opts.backoff;
        let mut last = String::new();
        for attempt in 0..attempts {
            if attempt > 0 {
                std::thread::sleep(delay);
                delay = delay.saturating_mul(2).min(Duration::from_secs(30));
            }
            let outcome = self.rt.block_on(async {
                match tokio::time::timeout(self.opts.timeout * 4, op()).await {
                    Ok(r) => r,
                    Err(_) => Err(Failure::Retry(format!(
                        "timed out after {:?}",
                        self.opts.timeout * 4
                    ))),
                }
            });
            match outcome {
                Ok(v) => return Ok(v),
                Err(Failure::Fatal(e)) => return Err(e),
                Err(Failure::Retry(m)) => last = m,
            }
        }
        Err(ImageError::Registry {
            what: what.to_string(),
            message: format!("{last} (after {attempts} attempts)"),
        })
    }

    /// Fetches a manifest by tag or digest; returns its bytes and (verified) digest.
    pub fn manifest(&self, repo: &str, tag_or_digest: &str) -> Result<(Vec<u8>, Digest)> {
        let reference = self.reference(repo, tag_or_digest);
        let what = format!("manifest {}/{repo}:{tag_or_digest}", self.host);
        let bytes = self.call(&what, || async {
            self.oci
                .pull_manifest_raw(&reference, &self.auth, ACCEPT)
                .await
                .map(|(b, _)| b.to_vec())
                .map_err(|e| classify(e, &what))
        })?;
        if bytes.len() as u64 > MAX_DOCUMENT {
            return Err(ImageError::Limit(format!(
                "{what}: more than {MAX_DOCUMENT} bytes"
            )));
        }
        let digest = Digest::sha256(&bytes);
        if let Ok(pinned) = tag_or_digest.parse::<Digest>() {
            pinned.verify(&bytes, &what)?;
            return Ok((bytes, pinned));
        }
        Ok((bytes, digest))
    }

    /// The digest a tag points at (HEAD, falling back to GET; no blob is read).
    pub fn manifest_digest(&self, repo: &str, tag: &str) -> Result<Digest> {
        let reference = self.reference(repo, tag);
        let what = format!("manifest {}/{repo}:{tag}", self.host);
        let s = self.call(&what, || async {
            self.oci
                .fetch_manifest_digest(&reference, &self.auth)
                .await
                .map_err(|e| classify(e, &what))
        })?;
        s.parse()
            .map_err(|e: String| ImageError::malformed(&what, format!("digest header: {e}")))
    }

    /// Tags of `repo`, following `n`/`last` pagination (at most `max`).
    pub fn list_tags(&self, repo: &str, max: usize) -> Result<Vec<String>> {
        let reference = self.reference(repo, "latest");
        let what = format!("tags of {}/{repo}", self.host);
        self.paginate(&what, max, |last| {
            let (reference, what) = (&reference, &what);
            async move {
                self.oci
                    .list_tags(reference, &self.auth, Some(PAGE), last.as_deref())
                    .await
                    .map(|page| page.tags)
                    .map_err(|e| classify(e, what))
            }
        })
    }

    /// Repositories of the registry (`/v2/_catalog`, paginated with `n`/`last`; at most `max`).
    pub fn catalog(&self, max: usize) -> Result<Vec<String>> {
        let reference = self.reference("library/catalog", "latest");
        let what = format!("catalog of {}", self.host);
        self.paginate(&what, max, |last| {
            let (reference, what) = (&reference, &what);
            async move {
                self.oci
                    .catalog(reference, &self.auth, Some(PAGE), last.as_deref())
                    .await
                    .map(|page| page.repositories)
                    .map_err(|e| classify(e, what))
            }
        })
    }

    /// Follows `n`/`last` pagination: asks `page(last)` for pages of [`PAGE`] names after `last` until a
    /// short page, a page with nothing new, or `max` names.
    fn paginate<F, Fut>(&self, what: &str, max: usize, page: F) -> Result<Vec<String>>
    where
        F: Fn(Option<String>) -> Fut,
        Fut: std::future::Future<Output = std::result::Result<Vec<String>, Failure>>,
    {
        let mut all: Vec<String> = Vec::new();
        loop {
            let last = all.last().cloned();
            let names = self.call(what, || page(last.clone()))?;
            let n = names.len();
            let fresh: Vec<String> = names
                .into_iter()
                .filter(|name| last.as_deref().is_none_or(|l| l < name.as_str()))
                .collect();
            let progressed = !fresh.is_empty();
            all.extend(fresh);
            if n < PAGE || !progressed || all.len() >= max {
                break;
            }
        }
        all.truncate(max);
        Ok(all)
    }

    /// A blob, verified against `digest` (and `size` when given), as an open file positioned at 0.
    pub fn blob(
        &self,
        repo: &str,
        digest: &Digest,
        size: Option<u64>,
        what: &str,
    ) -> Result<std::fs::File> {
        let Some(stash) = &self.stash else {
            return self.download(repo, digest, size, what, None);
        };
        let lock = stash.lock(digest);
        let _held = lock.lock().unwrap_or_else(|e| e.into_inner());
        let path = stash.path(digest);
        if let Ok(f) = std::fs::File::open(&path) {
            return Ok(f);
        }
        self.download(repo, digest, size, what, Some(path))
    }

    fn download(
        &self,
        repo: &str,
        digest: &Digest,
        size: Option<u64>,
        what: &str,
        keep: Option<PathBuf>,
    ) -> Result<std::fs::File> {
        let reference = self.reference(repo, &digest.to_string());
        let desc = oci_client::manifest::OciDescriptor {
            digest: digest.to_string(),
            size: size.and_then(|s| i64::try_from(s).ok()).unwrap_or(0),
            ..Default::default()
        };
        let dir = match &keep {
            Some(p) => p
                .parent()
                .map(PathBuf::from)
                .unwrap_or_else(std::env::temp_dir),
            None => std::env::temp_dir(),
        };
        let io = |e| ImageError::io(what, e);
        let file = self.call(what, || async {
            let mut tmp =
                tempfile::NamedTempFile::new_in(&dir).map_err(|e| Failure::Fatal(io(e)))?;
            let mut hasher = Hasher::new(digest.algorithm());
            let mut received: u64 = 0;
            let mut stream = self
                .oci
                .pull_blob_stream(&reference, &desc)
                .await
                .map_err(|e| classify(e, what))?;
            loop {
                let next = tokio::time::timeout(self.opts.timeout, stream.next()).await;
                let chunk = match next {
                    Err(_) => {
                        return Err(Failure::Retry(format!(
                            "no data for {:?}",
                            self.opts.timeout
                        )));
                    }
                    Ok(None) => break,
                    Ok(Some(Ok(c))) => c,
                    Ok(Some(Err(e))) => {
                        // oci-client's own check fails at the end: report it as ours.
                        if size.is_none_or(|s| s == received) {
                            let actual = hasher.clone().finish();
                            if actual != *digest {
                                return Err(Failure::Fatal(mismatch(what, digest, actual)));
                            }
                        }
                        return Err(Failure::Retry(e.to_string()));
                    }
                };
                hasher.update(&chunk);
                received += chunk.len() as u64;
                if let Some(s) = size
                    && received > s
                {
                    return Err(Failure::Fatal(ImageError::SizeMismatch {
                        blob: what.to_string(),
                        expected: s,
                        actual: received,
                    }));
                }
                tmp.write_all(&chunk).map_err(|e| Failure::Fatal(io(e)))?;
            }
            if let Some(s) = size
                && received != s
            {
                return Err(Failure::Fatal(ImageError::SizeMismatch {
                    blob: what.to_string(),
                    expected: s,
                    actual: received,
                }));
            }
            let actual = hasher.finish();
            if actual != *digest {
                return Err(Failure::Fatal(mismatch(what, digest, actual)));
            }
            Ok(tmp)
        })?;
        match keep {
            Some(path) => {
                file.persist(&path).map_err(|e| io(e.error))?;
                std::fs::File::open(&path).map_err(io)
            }
            None => {
                let mut f = file.into_file();
                f.rewind().map_err(io)?;
                Ok(f)
            }
        }
    }
}

fn mismatch(what: &str, expected: &Digest, actual: Digest) -> ImageError {
    ImageError::DigestMismatch {
        blob: what.to_string(),
        expected: expected.to_string(),
        actual: actual.to_string(),
    }
}

/// Docker Hub's API host.
fn api_host(host: &str) -> String {
    if host == crate::reference::DOCKER_HUB {
        "index.docker.io".into()
    } else {
        host.into()
    }
}

/// Sorts an `oci-client` error into retryable or final.
/// Names asked for per page of a paginated listing.
const PAGE: usize = 100;

fn classify(e: OciDistributionError, what: &str) -> Failure {
    match e {
        OciDistributionError::ServerError { code, message, .. } if code == 429 || code >= 500 => {
            Failure::Retry(format!("HTTP {code}: {}", truncate(&message)))
        }
        OciDistributionError::RegistryError { envelope, .. }
            if envelope
                .errors
                .iter()
                .any(|e| e.code == OciErrorCode::Toomanyrequests) =>
        {
            Failure::Retry("HTTP 429 too many requests".into())
        }
        OciDistributionError::RequestError(r)
            if r.is_timeout() || r.is_connect() || r.is_request() || r.is_body() =>
        {
            Failure::Retry(r.to_string())
        }
        OciDistributionError::DigestError(d) => Failure::Fatal(ImageError::Registry {
            what: what.to_string(),
            message: format!("digest mismatch: {d}"),
        }),
        OciDistributionError::UnauthorizedError { .. } => Failure::Fatal(ImageError::Registry {
            what: what.to_string(),
            message: "unauthorized (check credentials: --username/--password-stdin, \
                      ~/.docker/config.json or $REGISTRY_AUTH_FILE)"
                .into(),
        }),
        other => Failure::Fatal(ImageError::Registry {
            what: what.to_string(),
            message: truncate(&other.to_string()),
        }),
    }
}

/// Keeps garbage answers from flooding messages.
fn truncate(s: &str) -> String {
    let mut out: String = s.chars().take(300).collect();
    if out.len() < s.len() {
        out.push('…');
    }
    out
}

/// An image in a registry.
pub struct RegistrySource {
    client: Arc<RegistryClient>,
    reference: RegistryRef,
    top: OnceLock<(Platform, Digest, Vec<u8>)>,
    resolved: OnceLock<Resolved>,
}

impl RegistrySource {
    /// An image named by `reference`, reached through `client`.
    pub fn new(client: Arc<RegistryClient>, reference: RegistryRef) -> RegistrySource {
        RegistrySource {
            client,
            reference,
            top: OnceLock::new(),
            resolved: OnceLock::new(),
        }
    }

    /// Opens a reference with its own client.
    pub fn open(reference: &RegistryRef, opts: &RegistryOptions) -> Result<RegistrySource> {
        let client = RegistryClient::new(&reference.registry, opts)?;
        Ok(RegistrySource::new(Arc::new(client), reference.clone()))
    }

    /// The digest of the image manifest for `platform` (through an index when there is one), its
    /// bytes; reads manifests only, never blobs. Memoised.
    pub fn platform_manifest(&self, platform: &Platform) -> Result<(Digest, Vec<u8>)> {
        if let Some((p, d, b)) = self.top.get()
            && p == platform
        {
            return Ok((d.clone(), b.clone()));
        }
        let repo = &self.reference.repository;
        let first = match (&self.reference.digest, &self.reference.tag) {
            (Some(d), _) => d.to_string(),
            (None, Some(t)) => t.clone(),
            (None, None) => "latest".into(),
        };
        let (mut bytes, mut digest) = self.client.manifest(repo, &first)?;
        for _ in 0..MAX_DEPTH {
            let what = format!("manifest {digest}");
            let media_type = spec::sniff_media_type("", &bytes);
            match spec::doc_kind(&media_type, &what)? {
                DocKind::Manifest => {
                    let _ = self
                        .top
                        .set((platform.clone(), digest.clone(), bytes.clone()));
                    return Ok((digest, bytes));
                }
                DocKind::Index => {
                    let index: Index = spec::parse_json(&bytes, &what)?;
                    let child = pick_platform(&index.manifests, platform, &what)?.clone();
                    let (b, d) = self.client.manifest(repo, &child.digest.to_string())?;
                    child
                        .digest
                        .verify(&b, &format!("manifest {}", child.digest))?;
                    (bytes, digest) = (b, d);
                }
            }
        }
        Err(ImageError::Limit(format!(
            "indexes nested more than {MAX_DEPTH} deep"
        )))
    }
}

impl BlobStore for RegistrySource {
    fn open_blob(&self, digest: &Digest) -> Result<(Box<dyn Read + Send + '_>, u64)> {
        let what = format!("blob {digest}");
        let f = self
            .client
            .blob(&self.reference.repository, digest, None, &what)?;
        let len = f.metadata().map_err(|e| ImageError::io(&what, e))?.len();
        Ok((Box::new(f), len))
    }
}

impl ImageSource for RegistrySource {
    fn describe(&self) -> String {
        self.reference.to_string()
    }

    fn resolve(&self, platform: &Platform) -> Result<Resolved> {
        if let Some(r) = self.resolved.get() {
            return Ok(r.clone());
        }
        let (digest, bytes) = self.platform_manifest(platform)?;
        let what = format!("manifest {digest}");
        let manifest: Manifest = spec::parse_json(&bytes, &what)?;
        let mut resolved = resolve_manifest(self, digest, manifest)?;
        let name = format!("{}/{}", self.reference.registry, self.reference.repository);
        resolved.repo_tags = match &self.reference.tag {
            Some(t) => vec![format!("{name}:{t}")],
            None => Vec::new(),
        };
        let _ = self.resolved.set(resolved.clone());
        Ok(resolved)
    }

    fn cache_key(&self, platform: &Platform) -> Result<Option<Digest>> {
        self.platform_manifest(platform).map(|(d, _)| Some(d))
    }

    fn open_layer(&self, layer: &LayerBlob) -> Result<Box<dyn Read + Send + '_>> {
        let digest = layer
            .digest
            .as_ref()
            .ok_or_else(|| ImageError::not_found(format!("digest of {}", layer.locator)))?;
        let what = format!("layer {digest}");
        let f = self
            .client
            .blob(&self.reference.repository, digest, layer.size, &what)?;
        Ok(Box::new(f))
    }
}
