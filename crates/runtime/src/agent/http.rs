//! A small blocking HTTP/1.1 server and client: enough for the audit webhook endpoint, the
//! metrics endpoint and the webhook output, without an async runtime. Every read is bounded
//! (header size, body size, timeouts). Both sides speak TLS through [`super::tls`]; the server
//! can require a bearer token on every request.

use super::tls::{Stream, TlsError};
use rustls::{ClientConfig, ServerConfig};
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
    #[error("unsupported URL {0:?} (expected http://HOST:PORT/PATH or https://HOST:PORT/PATH)")]
    Url(String),
    #[error("TLS: {0}")]
    Tls(#[from] TlsError),
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
        401 => "Unauthorized",
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
        "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: {}\r\n{}\r\n",
        resp.status,
        reason(resp.status),
        resp.content_type,
        resp.body.len(),
        if close { "close" } else { "keep-alive" },
        if resp.status == 401 {
            "WWW-Authenticate: Bearer\r\n"
        } else {
            ""
        }
    )?;
    w.write_all(&resp.body)?;
    w.flush()
}

/// A request handler.
pub type Handler = Arc<dyn Fn(&Request) -> Response + Send + Sync>;

/// A credential (bearer token, header value): compared and sent, never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps `value`.
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The value, for comparing or sending.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// How a [`Server`] serves.
#[derive(Clone, Default)]
pub struct ServerOptions {
    /// Largest request body, bytes.
    pub max_body: usize,
    /// Serve HTTPS with this configuration ([`super::tls::server_config`]).
    pub tls: Option<Arc<ServerConfig>>,
    /// Require `Authorization: Bearer TOKEN` on every request (401 otherwise).
    pub token: Option<Secret>,
}

impl std::fmt::Debug for ServerOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerOptions")
            .field("max_body", &self.max_body)
            .field("tls", &self.tls.is_some())
            .field("token", &self.token)
            .finish()
    }
}

/// True when the request carries `Authorization: Bearer <token>` (compared in constant time).
fn authorized(req: &Request, token: &Secret) -> bool {
    let Some(given) = req
        .header("authorization")
        .and_then(|v| v.strip_prefix("Bearer "))
    else {
        return false;
    };
    let (a, b) = (given.trim().as_bytes(), token.expose().as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A running server; dropping it stops accepting.
pub struct Server {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    /// Binds `addr` (`127.0.0.1:0` picks a free port) and serves `handler` over plain HTTP
    /// without authentication on its own threads.
    pub fn start(addr: &str, max_body: usize, handler: Handler) -> std::io::Result<Server> {
        let opts = ServerOptions {
            max_body,
            ..ServerOptions::default()
        };
        Server::start_with(addr, opts, handler)
    }

    /// [`Server::start`] with TLS and a bearer token as `opts` say.
    pub fn start_with(
        addr: &str,
        opts: ServerOptions,
        handler: Handler,
    ) -> std::io::Result<Server> {
        let listener = TcpListener::bind(addr)?;
        listener.set_nonblocking(true)?;
        let local = listener.local_addr()?;
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let stop = stop.clone();
            std::thread::Builder::new()
                .name("rampart-http".into())
                .spawn(move || accept_loop(listener, stop, opts, handler))?
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

fn accept_loop(
    listener: TcpListener,
    stop: Arc<AtomicBool>,
    opts: ServerOptions,
    handler: Handler,
) {
    let live = Arc::new(AtomicUsize::new(0));
    let opts = Arc::new(opts);
    while !stop.load(Ordering::Relaxed) {
        match listener.accept() {
            Ok((mut stream, _)) => {
                let _ = stream.set_nonblocking(false);
                let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
                let _ = stream.set_write_timeout(Some(Duration::from_secs(30)));
                if live.load(Ordering::Relaxed) >= MAX_CONNECTIONS {
                    if opts.tls.is_none() {
                        let _ = write_response(&mut stream, &Response::text(503, "busy\n"), true);
                    }
                    continue;
                }
                live.fetch_add(1, Ordering::Relaxed);
                let (handler, live2, stop2, opts2) =
                    (handler.clone(), live.clone(), stop.clone(), opts.clone());
                let spawned = std::thread::Builder::new()
                    .name("rampart-http-conn".into())
                    .spawn(move || {
                        if let Ok(conn) = Stream::accept(stream, opts2.tls.as_ref()) {
                            serve_connection(conn, &opts2, &handler, &stop2);
                        }
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

fn serve_connection(stream: Stream, opts: &ServerOptions, handler: &Handler, stop: &AtomicBool) {
    let mut r = BufReader::new(stream);
    while !stop.load(Ordering::Relaxed) {
        let answer = match read_request(&mut r, opts.max_body) {
            Ok(Some(req)) => {
                let close = req
                    .header("connection")
                    .is_some_and(|v| v.eq_ignore_ascii_case("close"));
                match &opts.token {
                    Some(t) if !authorized(&req, t) => {
                        (Response::text(401, "a bearer token is required\n"), true)
                    }
                    _ => (handler(&req), close),
                }
            }
            Ok(None) | Err(HttpError::Io(_)) => break,
            Err(HttpError::TooLarge(n)) => {
                (Response::text(413, format!("body over {n} bytes\n")), true)
            }
            Err(e) => (Response::text(400, format!("{e}\n")), true),
        };
        let (resp, close) = answer;
        if write_response(r.get_mut(), &resp, close).is_err() || close {
            break;
        }
    }
    r.get_mut().close();
}

/// An `http://HOST:PORT/PATH` or `https://HOST:PORT/PATH` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Url {
    /// `host:port`.
    pub authority: String,
    pub path: String,
    /// `https`.
    pub tls: bool,
}

impl Url {
    /// Parses an HTTP(S) URL (port defaults to 80 or 443, path to `/`).
    pub fn parse(s: &str) -> Result<Url, HttpError> {
        let (rest, tls) = match (s.strip_prefix("http://"), s.strip_prefix("https://")) {
            (Some(r), _) => (r, false),
            (_, Some(r)) => (r, true),
            _ => return Err(HttpError::Url(s.to_string())),
        };
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
            format!("{auth}:{}", if tls { 443 } else { 80 })
        };
        Ok(Url {
            authority,
            path: path.to_string(),
            tls,
        })
    }

    /// The host (no port, no IPv6 brackets): the name a TLS certificate must carry.
    pub fn host(&self) -> &str {
        let host = self
            .authority
            .rsplit_once(':')
            .map_or(self.authority.as_str(), |(h, _)| h);
        host.trim_start_matches('[').trim_end_matches(']')
    }
}

/// An HTTP(S) client: timeouts, trusted roots for `https://` URLs, extra request headers (whose
/// values are [`Secret`]s: never printed).
#[derive(Clone)]
pub struct Client {
    /// Connect, read and write timeout.
    pub timeout: Duration,
    tls: Option<Arc<ClientConfig>>,
    headers: Vec<(String, Secret)>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("timeout", &self.timeout)
            .field("custom_roots", &self.tls.is_some())
            .field("headers", &self.headers)
            .finish()
    }
}

impl Client {
    /// A client trusting the system roots for `https://`.
    pub fn new(timeout: Duration) -> Client {
        Client {
            timeout,
            tls: None,
            headers: Vec::new(),
        }
    }

    /// Trusts the certificates in the PEM file `ca` (instead of the system roots).
    pub fn with_ca(mut self, ca: &std::path::Path) -> Result<Client, HttpError> {
        self.tls = Some(super::tls::client_config(Some(ca))?);
        Ok(self)
    }

    /// Sends `name: value` with every request (e.g. `Authorization`).
    pub fn with_header(mut self, name: &str, value: &str) -> Result<Client, HttpError> {
        let bad = |s: &str| s.is_empty() || s.bytes().any(|b| b == b'\r' || b == b'\n');
        if bad(name) || name.contains(':') || value.bytes().any(|b| b == b'\r' || b == b'\n') {
            return Err(HttpError::Malformed("header name or value"));
        }
        self.headers.push((name.to_string(), Secret::new(value)));
        Ok(self)
    }

    fn connect(&self, url: &Url) -> Result<Stream, HttpError> {
        let addr = url
            .authority
            .to_socket_addrs()?
            .next()
            .ok_or(HttpError::Malformed("host did not resolve"))?;
        let tcp = TcpStream::connect_timeout(&addr, self.timeout)?;
        tcp.set_read_timeout(Some(self.timeout))?;
        tcp.set_write_timeout(Some(self.timeout))?;
        if !url.tls {
            return Ok(Stream::Plain(tcp));
        }
        let config = match &self.tls {
            Some(c) => c.clone(),
            None => system_roots()?,
        };
        Ok(Stream::connect(tcp, url.host(), Some(&config))?)
    }

    fn extra_headers(&self) -> String {
        self.headers
            .iter()
            .map(|(k, v)| format!("{k}: {}\r\n", v.expose()))
            .collect()
    }

    /// POSTs `body` and returns the response status (the response body is read and discarded).
    pub fn post(&self, url: &Url, content_type: &str, body: &[u8]) -> Result<u16, HttpError> {
        let mut stream = self.connect(url)?;
        write!(
            stream,
            "POST {} HTTP/1.1\r\nHost: {}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nUser-Agent: rampart\r\n{}Connection: close\r\n\r\n",
            url.path,
            url.authority,
            body.len(),
            self.extra_headers()
        )?;
        stream.write_all(body)?;
        stream.flush()?;
        let (status, _) = read_response(stream, 1 << 20)?;
        Ok(status)
    }

    /// GETs `url` and returns the status and body.
    pub fn get(&self, url: &Url) -> Result<(u16, Vec<u8>), HttpError> {
        let mut stream = self.connect(url)?;
        write!(
            stream,
            "GET {} HTTP/1.1\r\nHost: {}\r\n{}Connection: close\r\n\r\n",
            url.path,
            url.authority,
            self.extra_headers()
        )?;
        stream.flush()?;
        read_response(stream, 64 << 20)
    }
}

/// The system roots, loaded once.
fn system_roots() -> Result<Arc<ClientConfig>, HttpError> {
    static ROOTS: std::sync::OnceLock<Result<Arc<ClientConfig>, String>> =
        std::sync::OnceLock::new();
    ROOTS
        .get_or_init(|| super::tls::client_config(None).map_err(|e| e.to_string()))
        .clone()
        .map_err(|e| HttpError::Url(format!("https: {e}")))
}

/// Reads a response's status and body (at most `max` bytes of body).
fn read_response(stream: Stream, max: usize) -> Result<(u16, Vec<u8>), HttpError> {
    let mut r = BufReader::new(stream);
    let lines = read_head(&mut r)?.ok_or(HttpError::Malformed("no response"))?;
    let status = lines[0]
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse::<u16>().ok())
        .ok_or(HttpError::Malformed("bad status line"))?;
    let headers = parse_headers(&lines[1..])?;
    let body = read_body(&mut r, &headers, max)?;
    Ok((status, body))
}

/// POSTs `body` with a default [`Client`] and returns the response status.
pub fn post(
    url: &Url,
    content_type: &str,
    body: &[u8],
    timeout: Duration,
) -> Result<u16, HttpError> {
    Client::new(timeout).post(url, content_type, body)
}

/// GETs `url` with a default [`Client`] and returns the status and body (for tests and scrapes).
pub fn get(url: &Url, timeout: Duration) -> Result<(u16, Vec<u8>), HttpError> {
    Client::new(timeout).get(url)
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
        let tls = Url::parse("https://h/x").unwrap();
        assert_eq!(
            (tls.authority.as_str(), tls.tls, tls.host()),
            ("h:443", true, "h")
        );
        assert_eq!(Url::parse("https://[::1]:8443/").unwrap().host(), "::1");
        assert!(Url::parse("ftp://h/").is_err());
    }
}
