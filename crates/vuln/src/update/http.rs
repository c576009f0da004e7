//! HTTP downloads for `db update`: bounded retries with exponential back-off, resumable `.part` files
//! (`Range` requests, append on `206`, restart on `200`), a size bound and a `Content-Length` check.

use super::UpdateError;
use reqwest::StatusCode;
use reqwest::blocking::{Client, Response};
use reqwest::header::{CONTENT_RANGE, ETAG, IF_RANGE, LAST_MODIFIED, RANGE, RETRY_AFTER};
use std::io::{Read, Write};
use std::path::Path;
use std::time::Duration;

/// Largest file downloaded.
pub const MAX_DOWNLOAD: u64 = 2 << 30;
/// First back-off delay; doubled per retry up to [`MAX_BACKOFF`].
const BASE_BACKOFF: Duration = Duration::from_millis(250);
const MAX_BACKOFF: Duration = Duration::from_secs(8);
/// Longest `Retry-After` honoured.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(30);

/// The outcome of one failed try: worth retrying (with an optional server-requested delay) or not.
pub(super) enum Attempt {
    Retry(UpdateError, Option<Duration>),
    Fatal(UpdateError),
}

/// What to do with an existing `.part` file given the server's answer to a ranged request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Resume {
    /// `206` starting where the part file ends: append.
    Append,
    /// `200` (range ignored, or the file changed): truncate and write from the start.
    Restart,
    /// `416`: the part file does not fit the remote file; delete it and ask again without a range.
    Discard,
}

/// Decides how to treat a `.part` file of `existing` bytes after a response with `status` and
/// `content_range`. An error means the response cannot be used.
pub(super) fn plan_resume(
    existing: u64,
    status: u16,
    content_range: Option<&str>,
) -> Result<Resume, String> {
    match status {
        200 => Ok(Resume::Restart),
        206 => {
            let (start, _, _) = content_range.and_then(parse_content_range).ok_or_else(|| {
                format!("206 response with a bad Content-Range {content_range:?}")
            })?;
            if start == existing {
                Ok(Resume::Append)
            } else {
                Err(format!(
                    "server resumed at byte {start}, expected {existing}"
                ))
            }
        }
        416 if existing > 0 => Ok(Resume::Discard),
        other => Err(format!("unexpected HTTP status {other}")),
    }
}

/// Parses `bytes START-END/TOTAL` (TOTAL may be `*`).
pub(super) fn parse_content_range(value: &str) -> Option<(u64, u64, Option<u64>)> {
    let rest = value.trim().strip_prefix("bytes")?.trim_start();
    let (range, total) = rest.split_once('/')?;
    let (start, end) = range.split_once('-')?;
    let (start, end): (u64, u64) = (start.trim().parse().ok()?, end.trim().parse().ok()?);
    if end < start {
        return None;
    }
    let total = match total.trim() {
        "*" => None,
        t => Some(t.parse().ok()?),
    };
    Some((start, end, total))
}

/// The `Range` header value asking for everything from byte `from`.
pub(super) fn range_header(from: u64) -> String {
    format!("bytes={from}-")
}

/// The delay before retry number `attempt` (0-based).
pub(super) fn backoff(attempt: u32) -> Duration {
    BASE_BACKOFF
        .saturating_mul(1u32.checked_shl(attempt.min(16)).unwrap_or(u32::MAX))
        .min(MAX_BACKOFF)
}

/// A blocking HTTP client with the update's timeout and retry budget.
pub(super) struct Http {
    client: Client,
    retries: u32,
}

/// A finished download.
pub(super) struct Fetched {
    /// Bytes received in this run.
    pub bytes: u64,
    /// Whether an existing `.part` file was appended to.
    pub resumed: bool,
}

impl Http {
    /// A client with `timeout` for connecting and for each read, and `retries` extra tries.
    pub fn new(timeout: Duration, retries: u32) -> Result<Http, UpdateError> {
        let client = Client::builder()
            .user_agent(concat!("rampart/", env!("CARGO_PKG_VERSION")))
            .timeout(timeout)
            .connect_timeout(timeout)
            .build()
            .map_err(|source| UpdateError::Client { source })?;
        Ok(Http { client, retries })
    }

    /// Runs `f` until it succeeds, fails for good, or the retry budget is spent, sleeping between tries.
    pub fn with_retries<T>(
        &self,
        mut f: impl FnMut() -> Result<T, Attempt>,
    ) -> Result<T, UpdateError> {
        let mut attempt = 0;
        loop {
            match f() {
                Ok(v) => return Ok(v),
                Err(Attempt::Fatal(e)) => return Err(e),
                Err(Attempt::Retry(e, after)) => {
                    if attempt >= self.retries {
                        return Err(e);
                    }
                    std::thread::sleep(after.unwrap_or_else(|| backoff(attempt)));
                    attempt += 1;
                }
            }
        }
    }

    /// Sends one GET, sorting failures into retryable (connect errors, timeouts, 429, 5xx) and final ones.
    /// `404` is [`UpdateError::NotFound`]; `416` is returned to the caller.
    fn send_once(
        &self,
        feed: &str,
        url: &str,
        headers: &[(&str, String)],
    ) -> Result<Response, Attempt> {
        let mut req = self.client.get(url);
        for (k, v) in headers {
            req = req.header(*k, v);
        }
        let net = |source: reqwest::Error| UpdateError::Network {
            feed: feed.to_string(),
            url: url.to_string(),
            source,
        };
        let resp = match req.send() {
            Ok(r) => r,
            Err(e) if e.is_connect() || e.is_timeout() || e.is_request() => {
                return Err(Attempt::Retry(net(e), None));
            }
            Err(e) => return Err(Attempt::Fatal(net(e))),
        };
        let status = resp.status();
        if status.is_success() || status == StatusCode::RANGE_NOT_SATISFIABLE {
            return Ok(resp);
        }
        let (feed, url) = (feed.to_string(), url.to_string());
        if status == StatusCode::NOT_FOUND {
            return Err(Attempt::Fatal(UpdateError::NotFound { feed, url }));
        }
        let err = UpdateError::Status {
            feed,
            url,
            status: status.as_u16(),
        };
        if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
            let after = resp
                .headers()
                .get(RETRY_AFTER)
                .and_then(|v| v.to_str().ok()?.trim().parse::<u64>().ok())
                .map(|s| Duration::from_secs(s).min(MAX_RETRY_AFTER));
            return Err(Attempt::Retry(err, after));
        }
        Err(Attempt::Fatal(err))
    }

    /// Fetches a small text file; `None` when the server answers 404.
    pub fn fetch_text(
        &self,
        feed: &str,
        url: &str,
        limit: u64,
    ) -> Result<Option<String>, UpdateError> {
        let result = self.with_retries(|| {
            let resp = self.send_once(feed, url, &[])?;
            let mut body = Vec::new();
            resp.take(limit + 1).read_to_end(&mut body).map_err(|e| {
                Attempt::Retry(
                    interrupted(feed, url, format!("reading the response failed: {e}")),
                    None,
                )
            })?;
            if body.len() as u64 > limit {
                return Err(Attempt::Fatal(UpdateError::TooLarge {
                    feed: feed.to_string(),
                    url: url.to_string(),
                    limit,
                }));
            }
            String::from_utf8(body).map_err(|_| {
                Attempt::Fatal(interrupted(feed, url, "response is not UTF-8 text".into()))
            })
        });
        match result {
            Ok(text) => Ok(Some(text)),
            Err(UpdateError::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Downloads `url` into `part`, resuming a partial file left by an earlier run and retrying
    /// interrupted transfers from where they stopped.
    pub fn download(
        &self,
        feed: &str,
        url: &str,
        part: &Path,
        progress: &(dyn Fn(&str, u64, Option<u64>) + Sync),
    ) -> Result<Fetched, UpdateError> {
        let mut fetched = Fetched {
            bytes: 0,
            resumed: false,
        };
        self.with_retries(|| self.download_once(feed, url, part, &mut fetched, progress))?;
        Ok(fetched)
    }

    fn download_once(
        &self,
        feed: &str,
        url: &str,
        part: &Path,
        fetched: &mut Fetched,
        progress: &(dyn Fn(&str, u64, Option<u64>) + Sync),
    ) -> Result<(), Attempt> {
        let io = |source| {
            Attempt::Fatal(UpdateError::Io {
                path: part.to_path_buf(),
                source,
            })
        };
        let existing = std::fs::metadata(part).map(|m| m.len()).unwrap_or(0);
        let validator = part.with_extension("part-validator");
        let mut headers = Vec::new();
        if existing > 0 {
            headers.push((RANGE.as_str(), range_header(existing)));
            if let Ok(v) = std::fs::read_to_string(&validator) {
                headers.push((IF_RANGE.as_str(), v.trim().to_string()));
            }
        }
        let resp = self.send_once(feed, url, &headers)?;
        let content_range = resp
            .headers()
            .get(CONTENT_RANGE)
            .and_then(|v| v.to_str().ok());
        let plan = plan_resume(existing, resp.status().as_u16(), content_range)
            .map_err(|m| Attempt::Retry(interrupted(feed, url, m), None))?;
        let (mut file, start) = match plan {
            Resume::Discard => {
                // The part file does not fit the remote file: drop it and ask for the whole file.
                drop(resp);
                std::fs::remove_file(part).map_err(io)?;
                let _ = std::fs::remove_file(&validator);
                return self.download_once(feed, url, part, fetched, progress);
            }
            Resume::Append => {
                fetched.resumed = true;
                (
                    std::fs::OpenOptions::new()
                        .append(true)
                        .open(part)
                        .map_err(io)?,
                    existing,
                )
            }
            Resume::Restart => {
                fetched.resumed = false;
                let f = std::fs::File::create(part).map_err(io)?;
                remember_validator(&resp, &validator);
                (f, 0)
            }
        };
        let total = match plan {
            Resume::Append => content_range
                .and_then(parse_content_range)
                .and_then(|(_, _, t)| t),
            _ => resp.content_length(),
        };
        let expected = resp.content_length();
        if total.is_some_and(|t| t > MAX_DOWNLOAD) {
            return Err(Attempt::Fatal(too_large(feed, url)));
        }
        let sink = Sink {
            feed,
            url,
            part,
            file: &mut file,
        };
        let received = copy_body(resp, sink, start, total, progress, &mut fetched.bytes)?;
        file.sync_all().map_err(io)?;
        if let Some(len) = expected.filter(|&len| len != received) {
            let m = format!("received {received} bytes, Content-Length said {len}");
            return Err(Attempt::Retry(interrupted(feed, url, m), None));
        }
        let _ = std::fs::remove_file(&validator);
        Ok(())
    }
}

/// Where a body goes, and the names errors carry.
struct Sink<'a> {
    feed: &'a str,
    url: &'a str,
    part: &'a Path,
    file: &'a mut std::fs::File,
}

/// Streams the body into the part file, bounded by [`MAX_DOWNLOAD`]; returns the bytes of this response.
fn copy_body(
    mut resp: Response,
    sink: Sink<'_>,
    start: u64,
    total: Option<u64>,
    progress: &(dyn Fn(&str, u64, Option<u64>) + Sync),
    counter: &mut u64,
) -> Result<u64, Attempt> {
    let (feed, url) = (sink.feed, sink.url);
    let mut buf = vec![0u8; 1 << 16];
    let mut received = 0u64;
    let mut reported = 0u64;
    progress(feed, start, total);
    loop {
        let n = match resp.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                let m = format!("transfer broke off after {} bytes: {e}", start + received);
                return Err(Attempt::Retry(interrupted(feed, url, m), None));
            }
        };
        received += n as u64;
        *counter += n as u64;
        if start + received > MAX_DOWNLOAD {
            return Err(Attempt::Fatal(too_large(feed, url)));
        }
        sink.file.write_all(&buf[..n]).map_err(|source| {
            Attempt::Fatal(UpdateError::Io {
                path: sink.part.to_path_buf(),
                source,
            })
        })?;
        if received - reported >= 1 << 20 {
            reported = received;
            progress(feed, start + received, total);
        }
    }
    progress(feed, start + received, total);
    Ok(received)
}

/// Stores the response's `ETag` (or `Last-Modified`) so a later resume can send `If-Range`.
fn remember_validator(resp: &Response, validator: &Path) {
    let value = resp
        .headers()
        .get(ETAG)
        .filter(|v| !v.as_bytes().starts_with(b"W/"))
        .or_else(|| resp.headers().get(LAST_MODIFIED))
        .and_then(|v| v.to_str().ok());
    match value {
        Some(v) => {
            let _ = std::fs::write(validator, v);
        }
        None => {
            let _ = std::fs::remove_file(validator);
        }
    }
}

fn interrupted(feed: &str, url: &str, message: String) -> UpdateError {
    UpdateError::Interrupted {
        feed: feed.to_string(),
        url: url.to_string(),
        message,
    }
}

fn too_large(feed: &str, url: &str) -> UpdateError {
    UpdateError::TooLarge {
        feed: feed.to_string(),
        url: url.to_string(),
        limit: MAX_DOWNLOAD,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_range_parsing() {
        assert_eq!(
            parse_content_range("bytes 100-199/200"),
            Some((100, 199, Some(200)))
        );
        assert_eq!(parse_content_range("bytes 0-9/*"), Some((0, 9, None)));
        assert_eq!(parse_content_range("bytes 9-0/10"), None);
        assert_eq!(parse_content_range("items 0-9/10"), None);
        assert_eq!(parse_content_range("bytes */10"), None);
    }

    #[test]
    fn resume_plans() {
        assert_eq!(plan_resume(0, 200, None), Ok(Resume::Restart));
        assert_eq!(plan_resume(500, 200, None), Ok(Resume::Restart));
        assert_eq!(
            plan_resume(500, 206, Some("bytes 500-999/1000")),
            Ok(Resume::Append)
        );
        assert!(plan_resume(500, 206, Some("bytes 0-999/1000")).is_err());
        assert!(plan_resume(500, 206, None).is_err());
        assert_eq!(plan_resume(500, 416, None), Ok(Resume::Discard));
        assert!(plan_resume(0, 416, None).is_err());
        assert!(plan_resume(0, 204, None).is_err());
        assert_eq!(range_header(500), "bytes=500-");
    }

    #[test]
    fn backoff_grows_and_is_bounded() {
        assert_eq!(backoff(0), Duration::from_millis(250));
        assert_eq!(backoff(1), Duration::from_millis(500));
        assert_eq!(backoff(3), Duration::from_secs(2));
        assert_eq!(backoff(10), MAX_BACKOFF);
        assert_eq!(backoff(u32::MAX), MAX_BACKOFF);
    }
}
