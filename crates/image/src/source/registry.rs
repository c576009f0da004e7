//! Images in an OCI distribution registry, through `oci-client` on a private tokio runtime (the rest
//! of the crate is synchronous). Manifests and configs are read whole (bounded) and verified; layer
//! blobs are streamed to a temporary file while hashed, verified, and only then walked — never held
//! in memory. Transient failures (429, 5xx, timeouts, dropped connections) are retried with
//! exponential back-off. Credentials are never logged or put into error messages.
//!
//! Repository and tag lists (`/v2/_catalog`, `/v2/NAME/tags/list`) are requested here directly, not
//! through `oci-client`: its token dance asks for `repository:…:pull` only, while the catalog needs
//! `registry:catalog:*`, and it hides the `Link` header pagination follows. On a 401 with a `Bearer`
//! challenge the token service (the challenge's realm) is asked for the scope of the request, with
//! the basic credentials when there are any; the token is kept per scope until its `expires_in`
//! (see [`super::token`]).

use super::oci::{BlobStore, pick_platform, resolve_manifest};
use super::token::{self, Challenge, TokenCache};
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
use reqwest::Url;
use reqwest::header::{ACCEPT as ACCEPT_HEADER, LINK, WWW_AUTHENTICATE};
use std::collections::{HashMap, HashSet};
use std::io::{Read, Seek, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// Manifest media types asked for.
const ACCEPT: &[&str] = &[
    spec::OCI_INDEX,
    spec::OCI_MANIFEST,
    spec::DOCKER_LIST,
    spec::DOCKER_MANIFEST,
];
/// Nested indexes followed at most.
const MAX_DEPTH: usize = 4;
/// Names asked for per page of a listing unless the caller says otherwise.
pub const DEFAULT_PAGE: usize = 100;
/// The token scope of `/v2/_catalog`.
const CATALOG_SCOPE: &str = "registry:catalog:*";

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
    /// For the listings requested directly (catalog, tags).
    http: reqwest::Client,
    /// `scheme://api-host/v2/`.
    base: Url,
    /// Tokens for the listings, per scope.
    tokens: TokenCache,
    /// The registry asked for basic auth once: send the credentials up front from then on.
    basic_known: AtomicBool,
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
        let http = reqwest::Client::builder()
            .connect_timeout(opts.timeout)
            .read_timeout(opts.timeout)
            .build()
            .map_err(|e| ImageError::Registry {
                what: format!("client for {host}"),
                message: e.to_string(),
            })?;
        let scheme = if opts.insecure { "http" } else { "https" };
        let base = Url::parse(&format!("{scheme}://{api_host}/v2/")).map_err(|e| {
            ImageError::Reference {
                input: host.to_string(),
                reason: format!("not a registry host: {e}"),
            }
        })?;
        Ok(RegistryClient {
            rt,
            oci: Client::new(config),
            auth,
            host: host.to_string(),
            opts: opts.clone(),
            stash: opts.stash.clone(),
            http,
            base,
            tokens: TokenCache::default(),
            basic_known: AtomicBool::new(false),
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

    /// Tags of `repo` (`/v2/REPO/tags/list`, `page` names per request, following `Link` headers;
    /// at most `max`). Token scope `repository:REPO:pull`.
    pub fn list_tags(&self, repo: &str, max: usize, page: usize) -> Result<Vec<String>> {
        let what = format!("tags of {}/{repo}", self.host);
        let valid = !repo.is_empty()
            && repo
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-/".contains(&b))
            && repo
                .split('/')
                .all(|s| !s.is_empty() && s != "." && s != "..");
        if !valid {
            return Err(ImageError::Reference {
                input: repo.to_string(),
                reason: "not a repository name".into(),
            });
        }
        let first = self
            .base
            .join(&format!("{repo}/tags/list"))
            .map_err(|e| ImageError::malformed(&what, e.to_string()))?;
        let scope = format!("repository:{repo}:pull");
        self.paginate(&what, first, &scope, "tags", max, page)
    }

    /// Repositories of the registry (`/v2/_catalog`, `page` names per request, following `Link`
    /// headers; at most `max`). Token scope `registry:catalog:*`.
    pub fn catalog(&self, max: usize, page: usize) -> Result<Vec<String>> {
        let what = format!("catalog of {}", self.host);
        let first = self
            .base
            .join("_catalog")
            .map_err(|e| ImageError::malformed(&what, e.to_string()))?;
        self.paginate(&what, first, CATALOG_SCOPE, "repositories", max, page)
    }

    /// Reads the pages of a listing: `first?n=PAGE`, then the `Link: <…>; rel="next"` target
    /// (relative or absolute, same origin only), or — when a full page came without a link —
    /// `first?n=PAGE&last=LAST`; until no next page, a page with nothing new, or `max` names.
    fn paginate(
        &self,
        what: &str,
        first: Url,
        scope: &str,
        key: &str,
        max: usize,
        page: usize,
    ) -> Result<Vec<String>> {
        let page = page.max(1);
        let with = |last: Option<&str>| {
            let mut u = first.clone();
            {
                let mut q = u.query_pairs_mut();
                q.append_pair("n", &page.to_string());
                if let Some(l) = last {
                    q.append_pair("last", l);
                }
            }
            u
        };
        let mut url = with(None);
        let mut all: Vec<String> = Vec::new();
        let mut seen: HashSet<String> = HashSet::new();
        while all.len() < max {
            let (names, next) = self.call(what, || self.list_page(&url, scope, key, what))?;
            let n = names.len();
            let before = all.len();
            for name in names {
                if seen.insert(name.clone()) {
                    all.push(name);
                }
            }
            if all.len() == before {
                break;
            }
            url = match next {
                Some(u) => u,
                None if n >= page => with(all.last().map(String::as_str)),
                None => break,
            };
        }
        all.truncate(max);
        Ok(all)
    }

    /// One page of a listing: the names under `key` and the next page's URL. Anonymous (or basic
    /// once the registry asked for it) unless a token for `scope` is cached; on a 401 the token
    /// flow (or basic auth) runs and the request is sent once more.
    async fn list_page(
        &self,
        url: &Url,
        scope: &str,
        key: &str,
        what: &str,
    ) -> std::result::Result<(Vec<String>, Option<Url>), Failure> {
        let mut retried = false;
        loop {
            let mut req = self
                .http
                .get(url.clone())
                .header(ACCEPT_HEADER, "application/json");
            if let Some(t) = self.tokens.get(scope) {
                req = req.bearer_auth(t.expose());
            } else if self.basic_known.load(Ordering::Relaxed)
                && let Some((u, p)) = self.basic()
            {
                req = req.basic_auth(u, Some(p));
            }
            let res = req.send().await.map_err(|e| transport(e, what))?;
            let status = res.status();
            if status == reqwest::StatusCode::UNAUTHORIZED && !retried {
                retried = true;
                let challenge = res
                    .headers()
                    .get_all(WWW_AUTHENTICATE)
                    .iter()
                    .filter_map(|h| h.to_str().ok())
                    .filter_map(token::parse_challenge)
                    .find(|c| c.is_bearer() || c.is_basic());
                match challenge {
                    Some(c) if c.is_bearer() => {
                        self.tokens.forget(scope);
                        self.fetch_token(&c, scope, what).await?;
                        continue;
                    }
                    Some(_)
                        if self.basic().is_some() && !self.basic_known.load(Ordering::Relaxed) =>
                    {
                        self.basic_known.store(true, Ordering::Relaxed);
                        continue;
                    }
                    _ => {}
                }
            }
            if status == reqwest::StatusCode::UNAUTHORIZED
                || status == reqwest::StatusCode::FORBIDDEN
            {
                return Err(Failure::Fatal(unauthorized(what)));
            }
            if status.as_u16() == 429 || status.is_server_error() {
                return Err(Failure::Retry(format!("HTTP {}", status.as_u16())));
            }
            if !status.is_success() {
                let body = read_bounded(res, 4096, what).await.unwrap_or_default();
                return Err(Failure::Fatal(ImageError::Registry {
                    what: what.to_string(),
                    message: format!(
                        "HTTP {}: {}",
                        status.as_u16(),
                        truncate(&String::from_utf8_lossy(&body))
                    ),
                }));
            }
            let next = next_link(res.headers(), url)
                .map_err(|m| Failure::Fatal(ImageError::malformed(what, m)))?;
            let body = read_bounded(res, MAX_DOCUMENT, what).await?;
            let doc: serde_json::Value = serde_json::from_slice(&body).map_err(|e| {
                Failure::Fatal(ImageError::malformed(what, format!("not JSON: {e}")))
            })?;
            let names = match doc.get(key) {
                None | Some(serde_json::Value::Null) => Vec::new(),
                Some(serde_json::Value::Array(a)) => a
                    .iter()
                    .map(|v| v.as_str().map(str::to_string))
                    .collect::<Option<Vec<String>>>()
                    .ok_or_else(|| {
                        Failure::Fatal(ImageError::malformed(what, format!("{key}: not strings")))
                    })?,
                Some(_) => {
                    return Err(Failure::Fatal(ImageError::malformed(
                        what,
                        format!("{key}: not a list"),
                    )));
                }
            };
            return Ok((names, next));
        }
    }

    /// Asks the token service of a `Bearer` challenge for `scope` (with the basic credentials when
    /// configured) and caches the token.
    async fn fetch_token(
        &self,
        challenge: &Challenge,
        scope: &str,
        what: &str,
    ) -> std::result::Result<(), Failure> {
        let bad = |m: String| Failure::Fatal(ImageError::malformed(what, m));
        let realm = challenge
            .param("realm")
            .ok_or_else(|| bad("Bearer challenge without a realm".into()))?;
        let mut url =
            Url::parse(realm).map_err(|e| bad(format!("token realm {}: {e}", truncate(realm))))?;
        match url.scheme() {
            "https" => {}
            "http" if self.opts.insecure => {}
            s => return Err(bad(format!("token realm with scheme {s} (https needed)"))),
        }
        {
            let mut q = url.query_pairs_mut();
            if let Some(service) = challenge.param("service") {
                q.append_pair("service", service);
            }
            q.append_pair("scope", scope);
        }
        let mut req = self.http.get(url);
        if let Some((u, p)) = self.basic() {
            req = req.basic_auth(u, Some(p));
        }
        let fetched = Instant::now();
        let res = req.send().await.map_err(|e| transport(e, what))?;
        let status = res.status();
        if status == reqwest::StatusCode::UNAUTHORIZED || status == reqwest::StatusCode::FORBIDDEN {
            return Err(Failure::Fatal(ImageError::Registry {
                what: what.to_string(),
                message: format!(
                    "unauthorized (the token service answered HTTP {}; check credentials: \
                     --username/--password-stdin, ~/.docker/config.json or $REGISTRY_AUTH_FILE)",
                    status.as_u16()
                ),
            }));
        }
        if status.as_u16() == 429 || status.is_server_error() {
            return Err(Failure::Retry(format!(
                "token service: HTTP {}",
                status.as_u16()
            )));
        }
        if !status.is_success() {
            return Err(bad(format!("token service: HTTP {}", status.as_u16())));
        }
        let body = read_bounded(res, token::MAX_TOKEN_RESPONSE, what).await?;
        let grant = token::parse_token_response(&body).map_err(bad)?;
        self.tokens.put(scope, grant, fetched);
        Ok(())
    }

    /// The basic credentials, if any.
    fn basic(&self) -> Option<(&str, &str)> {
        match &self.auth {
            RegistryAuth::Basic(u, p) => Some((u, p)),
            _ => None,
        }
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

/// A refusal, with where credentials come from.
fn unauthorized(what: &str) -> ImageError {
    ImageError::Registry {
        what: what.to_string(),
        message: "unauthorized (check credentials: --username/--password-stdin, \
                  ~/.docker/config.json or $REGISTRY_AUTH_FILE)"
            .into(),
    }
}

/// Sorts a transport error of a direct request into retryable or final.
fn transport(e: reqwest::Error, what: &str) -> Failure {
    let e = e.without_url();
    if e.is_timeout() || e.is_connect() || e.is_request() || e.is_body() {
        Failure::Retry(e.to_string())
    } else {
        Failure::Fatal(ImageError::Registry {
            what: what.to_string(),
            message: truncate(&e.to_string()),
        })
    }
}

/// A response body, refused when over `limit` bytes.
async fn read_bounded(
    mut res: reqwest::Response,
    limit: u64,
    what: &str,
) -> std::result::Result<Vec<u8>, Failure> {
    let over = || {
        Failure::Fatal(ImageError::Limit(format!(
            "{what}: more than {limit} bytes"
        )))
    };
    if res.content_length().is_some_and(|l| l > limit) {
        return Err(over());
    }
    let mut out = Vec::new();
    while let Some(chunk) = res.chunk().await.map_err(|e| transport(e, what))? {
        if (out.len() + chunk.len()) as u64 > limit {
            return Err(over());
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

/// The `rel="next"` target of the `Link` headers, resolved against `base` (the request URL); an
/// error when it leaves the registry's origin (scheme, host, port).
fn next_link(
    headers: &reqwest::header::HeaderMap,
    base: &Url,
) -> std::result::Result<Option<Url>, String> {
    for value in headers.get_all(LINK) {
        let Ok(value) = value.to_str() else {
            continue;
        };
        let mut rest = value;
        while let Some(open) = rest.find('<') {
            let Some(close) = rest[open..].find('>') else {
                break;
            };
            let target = &rest[open + 1..open + close];
            let after = &rest[open + close + 1..];
            let params_end = after.find('<').unwrap_or(after.len());
            let params = &after[..params_end];
            rest = &after[params_end..];
            let is_next = params.split(';').any(|p| {
                let Some((k, v)) = p.split_once('=') else {
                    return false;
                };
                k.trim().eq_ignore_ascii_case("rel")
                    && v.trim()
                        .trim_matches('"')
                        .split_whitespace()
                        .any(|r| r.eq_ignore_ascii_case("next"))
            });
            if !is_next {
                continue;
            }
            let url = base
                .join(target.trim())
                .map_err(|e| format!("Link header target {}: {e}", truncate(target)))?;
            let same = url.scheme() == base.scheme()
                && url.host_str() == base.host_str()
                && url.port_or_known_default() == base.port_or_known_default();
            if !same {
                return Err(format!(
                    "Link header points outside the registry: {}",
                    truncate(url.as_str())
                ));
            }
            return Ok(Some(url));
        }
    }
    Ok(None)
}

/// Sorts an `oci-client` error into retryable or final.
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
        OciDistributionError::UnauthorizedError { .. } => Failure::Fatal(unauthorized(what)),
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

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{HeaderMap, HeaderValue};

    fn links(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append(LINK, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn next_links_resolve_relative_and_stay_on_the_registry() {
        let base = Url::parse("http://127.0.0.1:5000/v2/_catalog?n=2").unwrap();
        let next = |v: &[&str]| next_link(&links(v), &base);
        assert_eq!(
            next(&[r#"</v2/_catalog?last=b&n=2>; rel="next""#])
                .unwrap()
                .unwrap()
                .as_str(),
            "http://127.0.0.1:5000/v2/_catalog?last=b&n=2"
        );
        assert_eq!(
            next(&[r#"<http://127.0.0.1:5000/v2/_catalog?last=c>; rel=next"#])
                .unwrap()
                .unwrap()
                .as_str(),
            "http://127.0.0.1:5000/v2/_catalog?last=c"
        );
        // Several links in one header; `rel` lists.
        assert_eq!(
            next(&[r#"</v2/x?p=1>; rel="prev", <_catalog?last=d>; rel="last next""#])
                .unwrap()
                .unwrap()
                .as_str(),
            "http://127.0.0.1:5000/v2/_catalog?last=d"
        );
        assert_eq!(
            next(&[r#"</v2/_catalog?last=b>; rel="prev""#]).unwrap(),
            None
        );
        assert_eq!(next(&[]).unwrap(), None);
        assert!(next(&[r#"<http://evil.example/v2/_catalog>; rel="next""#]).is_err());
        assert!(next(&[r#"<https://127.0.0.1:5000/v2/_catalog>; rel="next""#]).is_err());
        assert!(next(&[r#"<//127.0.0.1:5001/v2/_catalog>; rel="next""#]).is_err());
    }
}
