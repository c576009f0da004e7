//! A small blocking HTTP/1.1 server and client: enough for the audit webhook endpoint, the
//! metrics endpoint and the webhook output, without an async runtime. Every read is bounded
//! (header size, body size, timeouts); TLS is not spoken here (see docs/runtime.md).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

/// Largest request or response head (request line and headers), in bytes.
const MAX_HEAD: usize = 64 * 1024;
/// Most simultaneous connections a [`Server`] serves; more are answered 503.
const MAX_CONNECTIONS: usize = 32;

/// HTTP errors.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error("I/O: {0}")]
    Io(#[from] std::io::Error),
    #[error("malformed HTTP: {0}")]
    Malformed(&'static str),
    #[error("body larger than {0} bytes")]
    TooLarge(usize),
    #[error("unsupported URL {0:?} (expected http://HOST:PORT/PATH)")]
    Url(String),
}

/// One request.
#[derive(Debug, Clone, Default)]
pub struct Request {
    pub method: String,
    /// Path and query, as sent.
    pub path: String,
    /// Header names lowercased.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    /// The first header named `name` (lowercase).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The path without its query.
    pub fn route(&self) -> &str {
        self.path.split('?').next().unwrap_or("")
    }
}

/// One response.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub content_type: &'static str,
    pub body: Vec<u8>,
}

impl Response {
    /// A response with a text body.
    pub fn text(status: u16, body: impl Into<String>) -> Response {
        Response {
            status,
            content_type: "text/plain; charset=utf-8",
            body: body.into().into_bytes(),
        }
    }
}

/// Reads the head lines (up to the blank line), bounded by [`MAX_HEAD`]. `None` on a clean EOF
/// before any byte.
fn read_head(r: &mut impl BufRead) -> Result<Option<Vec<String>>, HttpError> {
    let mut lines = Vec::new();
    let mut total = 0usize;
    loop {
        let mut line = Vec::new();
        let n = r
            .by_ref()
            .take((MAX_HEAD - total + 1) as u64)
            .read_until(b'\n', &mut line)?;
        if n == 0 {
            return if lines.is_empty() && total == 0 {
                Ok(None)
            } else {
                Err(HttpError::Malformed("connection closed in the head"))
            };
        }
        total += n;
        if total > MAX_HEAD {
            return Err(HttpError::Malformed("head too large"));
        }
        let text = String::from_utf8_lossy(&line)
            .trim_end_matches(['\r', '\n'])
            .to_string();
        if text.is_empty() {
            if lines.is_empty() {
                continue; // stray CRLF between requests
            }
            return Ok(Some(lines));
        }
        lines.push(text);
    }
}

fn parse_headers(lines: &[String]) -> Result<Vec<(String, String)>, HttpError> {
    lines
        .iter()
        .map(|l| {
            let (k, v) = l
                .split_once(':')
                .ok_or(HttpError::Malformed("header without ':'"))?;
            Ok((k.trim().to_ascii_lowercase(), v.trim().to_string()))
        })
        .collect()
}

/// Reads a body framed by `Content-Length` or chunked encoding, at most `max` bytes.
fn read_body(
    r: &mut impl BufRead,
    headers: &[(String, String)],
    max: usize,
) -> Result<Vec<u8>, HttpError> {
    let get = |n: &str| {
        headers
            .iter()
            .find(|(k, _)| k == n)
            .map(|(_, v)| v.as_str())
    };
    if get("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
        return read_chunked(r, max);
    }
    let len: usize = match get("content-length") {
        Some(v) => v
            .parse()
            .map_err(|_| HttpError::Malformed("bad Content-Length"))?,
        None => 0,
    };
    if len > max {
        return Err(HttpError::TooLarge(max));
    }
    // grow with what arrives rather than allocating the announced length up front
    let mut body = Vec::new();
    r.take(len as u64).read_to_end(&mut body)?;
    if body.len() < len {
        return Err(HttpError::Malformed("body shorter than Content-Length"));
    }
    Ok(body)
}

fn read_chunked(r: &mut impl BufRead, max: usize) -> Result<Vec<u8>, HttpError> {
    let mut body = Vec::new();
    loop {
        let mut line = Vec::new();
        r.by_ref().take(1024).read_until(b'\n', &mut line)?;
        let text = String::from_utf8_lossy(&line);
        let size_text = text.trim().split(';').next().unwrap_or("");
        let size = usize::from_str_radix(size_text, 16)
            .map_err(|_| HttpError::Malformed("bad chunk size"))?;
        if size == 0 {
            // trailers up to the blank line
            loop {
                let mut t = Vec::new();
                let n = r.by_ref().take(8192).read_until(b'\n', &mut t)?;
                if n == 0 || t == b"\r\n" || t == b"\n" {
                    return Ok(body);
                }
            }
        }
        if body.len().saturating_add(size) > max {
            return Err(HttpError::TooLarge(max));
        }
        let start = body.len();
        r.by_ref().take(size as u64).read_to_end(&mut body)?;
        if body.len() - start < size {
            return Err(HttpError::Malformed("chunk shorter than its size"));
        }
        let mut crlf = [0u8; 2];
        r.read_exact(&mut crlf)?;
    }
}

/// Reads one request (`None` when the peer closed the connection between requests).
pub fn read_request(r: &mut impl BufRead, max_body: usize) -> Result<Option<Request>, HttpError> {
    let Some(lines) = read_head(r)? else {
        return Ok(None);
    };
    let mut parts = lines[0].split_whitespace();
    let (Some(method), Some(path), Some(version)) = (parts.next(), parts.next(), parts.next())
    else {
        return Err(HttpError::Malformed("bad request line"));
    };
    if !version.starts_with("HTTP/1.") {
        return Err(HttpError::Malformed("not HTTP/1.x"));
    }
    let headers = parse_headers(&lines[1..])?;
    let body = read_body(r, &headers, max_body)?;
    Ok(Some(Request {
        method: method.to_string(),
        path: path.to_string(),
        headers,
        body,
    }))
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        413 => "Payload Too Large",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

/// Writes a response.
pub fn write_response(w: &mut impl Write, resp: &Response, close: bool) -> std::io::Result<()> {
    write!(
        w,
        "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: {}\r\n\r\n",
        resp.status,
        reason(resp.status),
        resp.content_type,
        resp.body.len(),
        if close { "close" } else { "keep-alive" }
    )?;
    w.write_all(&resp.body)?;
    w.flush()
}

/// A request handler.
pub type Handler = Arc<dyn Fn(&Request) -> Response + Send + Sync>;

/// A running server; dropping it stops accepting.
pub struct Server {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    /// Binds `addr` (`127.0.0.1:0` picks a free port) and serves `handler` on its own threads.
    pub fn start(addr: &str, max_body: usize, handler: Handler) -> std::io::Result<Server> {
        let listener = TcpListener::bind(addr)?;
        listener.set_nonblocking(true)?;
        let local = listener.local_addr()?;
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let stop = stop.clone();
            std::thread::Builder::new()
                .name("rampart-http".into())
                .spawn(move || accept_loop(listener, stop, max_body, handler))?
        };
        Ok(Server {
            addr: local,
            stop,
            thread: Some(thread),
        })
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn accept_loop(listener: TcpListener, stop: Arc<AtomicBool>, max_body: usize, handler: Handler) {
    let live = Arc::new(AtomicUsize::new(0));
    while !stop.load(Ordering::Relaxed) {
        match listener.accept() {
            Ok((mut stream, _)) => {
                let _ = stream.set_nonblocking(false);
                let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
                let _ = stream.set_write_timeout(Some(Duration::from_secs(30)));
                if live.load(Ordering::Relaxed) >= MAX_CONNECTIONS {
                    let _ = write_response(&mut stream, &Response::text(503, "busy\n"), true);
                    continue;
                }
                live.fetch_add(1, Ordering::Relaxed);
                let (handler, live2, stop2) = (handler.clone(), live.clone(), stop.clone());
                let spawned = std::thread::Builder::new()
                    .name("rampart-http-conn".into())
                    .spawn(move || {
                        serve_connection(stream, max_body, &handler, &stop2);
                        live2.fetch_sub(1, Ordering::Relaxed);
                    });
                if spawned.is_err() {
                    live.fetch_sub(1, Ordering::Relaxed);
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(_) => std::thread::sleep(Duration::from_millis(20)),
        }
    }
}

fn serve_connection(stream: TcpStream, max_body: usize, handler: &Handler, stop: &AtomicBool) {
    let Ok(write_half) = stream.try_clone() else {
        return;
    };
    let mut w = write_half;
    let mut r = BufReader::new(stream);
    while !stop.load(Ordering::Relaxed) {
        match read_request(&mut r, max_body) {
            Ok(Some(req)) => {
                let close = req
                    .header("connection")
                    .is_some_and(|v| v.eq_ignore_ascii_case("close"));
                let resp = handler(&req);
                if write_response(&mut w, &resp, close).is_err() || close {
                    return;
                }
            }
            Ok(None) => return,
            Err(HttpError::TooLarge(n)) => {
                let _ = write_response(
                    &mut w,
                    &Response::text(413, format!("body over {n} bytes\n")),
                    true,
                );
                return;
            }
            Err(HttpError::Io(_)) => return,
            Err(e) => {
                let _ = write_response(&mut w, &Response::text(400, format!("{e}\n")), true);
                return;
            }
        }
    }
}

/// An `http://HOST:PORT/PATH` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Url {
    /// `host:port`.
    pub authority: String,
    pub path: String,
}

impl Url {
    /// Parses a plain-HTTP URL (port defaults to 80, path to `/`).
    pub fn parse(s: &str) -> Result<Url, HttpError> {
        let rest = s
            .strip_prefix("http://")
            .ok_or_else(|| HttpError::Url(s.to_string()))?;
        let (auth, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        if auth.is_empty() {
            return Err(HttpError::Url(s.to_string()));
        }
        let authority = if auth
            .rsplit_once(':')
            .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
        {
            auth.to_string()
        } else {
            format!("{auth}:80")
        };
        Ok(Url {
            authority,
            path: path.to_string(),
        })
    }
}

/// POSTs `body` and returns the response status (the response body is read and discarded).
pub fn post(
    url: &Url,
    content_type: &str,
    body: &[u8],
    timeout: Duration,
) -> Result<u16, HttpError> {
    let addr = url
        .authority
        .to_socket_addrs()?
        .next()
        .ok_or(HttpError::Malformed("host did not resolve"))?;
    let mut stream = TcpStream::connect_timeout(&addr, timeout)?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    write!(
        stream,
        "POST {} HTTP/1.1\r\nHost: {}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nUser-Agent: rampart\r\nConnection: close\r\n\r\n",
        url.path,
        url.authority,
        body.len()
    )?;
    stream.write_all(body)?;
    stream.flush()?;
    let mut r = BufReader::new(stream);
    let lines = read_head(&mut r)?.ok_or(HttpError::Malformed("no response"))?;
    let status = lines[0]
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse::<u16>().ok())
        .ok_or(HttpError::Malformed("bad status line"))?;
    let headers = parse_headers(&lines[1..])?;
    let _ = read_body(&mut r, &headers, 1 << 20);
    Ok(status)
}

/// GETs `url` and returns the status and body (for tests and scrapes).
pub fn get(url: &Url, timeout: Duration) -> Result<(u16, Vec<u8>), HttpError> {
    let addr = url
        .authority
        .to_socket_addrs()?
        .next()
        .ok_or(HttpError::Malformed("host did not resolve"))?;
    let mut stream = TcpStream::connect_timeout(&addr, timeout)?;
    stream.set_read_timeout(Some(timeout))?;
    write!(
        stream,
        "GET {} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
        url.path, url.authority
    )?;
    let mut r = BufReader::new(stream);
    let lines = read_head(&mut r)?.ok_or(HttpError::Malformed("no response"))?;
    let status = lines[0]
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse::<u16>().ok())
        .ok_or(HttpError::Malformed("bad status line"))?;
    let headers = parse_headers(&lines[1..])?;
    let body = read_body(&mut r, &headers, 64 << 20)?;
    Ok((status, body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_length_and_chunked_bodies() {
        let raw = b"POST /k8s-audit HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello";
        let req = read_request(&mut &raw[..], 100).unwrap().unwrap();
        assert_eq!((req.method.as_str(), req.route()), ("POST", "/k8s-audit"));
        assert_eq!(req.body, b"hello");
        let raw = b"POST /a?x=1 HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";
        let req = read_request(&mut &raw[..], 100).unwrap().unwrap();
        assert_eq!((req.route(), req.body.as_slice()), ("/a", &b"abcde"[..]));
        let raw = b"POST / HTTP/1.1\r\nContent-Length: 500\r\n\r\n";
        assert!(matches!(
            read_request(&mut &raw[..], 100),
            Err(HttpError::TooLarge(100))
        ));
        assert!(read_request(&mut &b"garbage\r\n\r\n"[..], 100).is_err());
    }

    #[test]
    fn urls() {
        let u = Url::parse("http://127.0.0.1:8080/hook").unwrap();
        assert_eq!(
            (u.authority.as_str(), u.path.as_str()),
            ("127.0.0.1:8080", "/hook")
        );
        assert_eq!(Url::parse("http://h").unwrap().authority, "h:80");
        assert!(Url::parse("https://h/").is_err());
    }
}
