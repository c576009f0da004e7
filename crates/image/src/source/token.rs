//! The Docker registry token flow for the requests Rampart makes itself (`/v2/_catalog` and tag
//! lists; pulls go through `oci-client`, which does its own): parse a `WWW-Authenticate: Bearer
//! realm=…,service=…,scope=…` challenge, and keep the tokens a token service granted, per scope, until
//! their `expires_in`. Tokens are never printed: [`Token`] has no `Display` and a masked `Debug`.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Token responses larger than this are refused.
pub(crate) const MAX_TOKEN_RESPONSE: u64 = 64 * 1024;
/// `expires_in` when the token service gives none (the token specification's default).
const DEFAULT_EXPIRY: u64 = 60;
/// Longest lifetime believed.
const MAX_EXPIRY: u64 = 24 * 3600;

/// A bearer token.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Token(String);

impl Token {
    /// The value for `Authorization: Bearer …`.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(***)")
    }
}

/// One `WWW-Authenticate` challenge: its scheme and parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Challenge {
    pub scheme: String,
    pub params: Vec<(String, String)>,
}

impl Challenge {
    /// The value of parameter `name` (case-insensitive).
    pub(crate) fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Whether this is a `Bearer` challenge.
    pub(crate) fn is_bearer(&self) -> bool {
        self.scheme.eq_ignore_ascii_case("bearer")
    }

    /// Whether this is a `Basic` challenge.
    pub(crate) fn is_basic(&self) -> bool {
        self.scheme.eq_ignore_ascii_case("basic")
    }
}

/// Parses `Scheme k=v, k="quoted, with commas", …` (one challenge; a second scheme after the
/// parameters ends it).
pub(crate) fn parse_challenge(header: &str) -> Option<Challenge> {
    let header = header.trim();
    let end = header.find(char::is_whitespace).unwrap_or(header.len());
    let scheme = &header[..end];
    if scheme.is_empty()
        || !scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
    {
        return None;
    }
    let mut params = Vec::new();
    let mut rest = header[end..].trim_start();
    while !rest.is_empty() {
        let Some(eq) = rest.find('=') else { break };
        let key = rest[..eq].trim();
        if key.is_empty() || key.contains(|c: char| c.is_whitespace() || c == ',') {
            // Another challenge (`…, Basic realm=…`) or garbage: stop here.
            break;
        }
        rest = rest[eq + 1..].trim_start();
        let value;
        if let Some(quoted) = rest.strip_prefix('"') {
            let mut v = String::new();
            let mut chars = quoted.char_indices();
            let mut close = None;
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => {
                        if let Some((_, n)) = chars.next() {
                            v.push(n);
                        }
                    }
                    '"' => {
                        close = Some(i);
                        break;
                    }
                    c => v.push(c),
                }
            }
            let close = close?;
            value = v;
            rest = &quoted[close + 1..];
        } else {
            let stop = rest.find(',').unwrap_or(rest.len());
            value = rest[..stop].trim().to_string();
            rest = &rest[stop..];
        }
        params.push((key.to_ascii_lowercase(), value));
        rest = rest.trim_start();
        rest = rest.strip_prefix(',').unwrap_or(rest).trim_start();
    }
    Some(Challenge {
        scheme: scheme.to_string(),
        params,
    })
}

/// What a token service granted.
#[derive(Debug)]
pub(crate) struct Grant {
    pub token: Token,
    pub expires_in: Duration,
}

/// Parses a token response: `token` (or OAuth2's `access_token`), `expires_in` (seconds).
pub(crate) fn parse_token_response(body: &[u8]) -> Result<Grant, String> {
    if body.len() as u64 > MAX_TOKEN_RESPONSE {
        return Err(format!("token response over {MAX_TOKEN_RESPONSE} bytes"));
    }
    #[derive(serde::Deserialize)]
    struct Raw {
        token: Option<String>,
        access_token: Option<String>,
        expires_in: Option<u64>,
    }
    let raw: Raw =
        serde_json::from_slice(body).map_err(|e| format!("token response is not JSON: {e}"))?;
    let token = raw
        .token
        .filter(|t| !t.is_empty())
        .or(raw.access_token.filter(|t| !t.is_empty()))
        .ok_or("token response has neither token nor access_token")?;
    // It goes into a header: visible ASCII only (and never into a message).
    if !token.bytes().all(|b| b.is_ascii_graphic()) {
        return Err("token contains characters not allowed in a header".into());
    }
    let secs = raw.expires_in.unwrap_or(DEFAULT_EXPIRY).min(MAX_EXPIRY);
    Ok(Grant {
        token: Token(token),
        expires_in: Duration::from_secs(secs),
    })
}

/// Tokens per scope, each until shortly before it expires.
#[derive(Default)]
pub(crate) struct TokenCache {
    tokens: Mutex<HashMap<String, (Token, Instant)>>,
}

impl TokenCache {
    /// A token for `scope` that has not expired.
    pub(crate) fn get(&self, scope: &str) -> Option<Token> {
        let mut m = self.tokens.lock().unwrap_or_else(|e| e.into_inner());
        match m.get(scope) {
            Some((t, until)) if Instant::now() < *until => Some(t.clone()),
            Some(_) => {
                m.remove(scope);
                None
            }
            None => None,
        }
    }

    /// Keeps `grant` for `scope`; it is given up a little before `expires_in` ends (a quarter of
    /// the lifetime, at most 10 s), so a request never carries a token about to expire.
    pub(crate) fn put(&self, scope: &str, grant: Grant, fetched: Instant) {
        let margin = (grant.expires_in / 4).min(Duration::from_secs(10));
        let until = fetched + grant.expires_in.saturating_sub(margin);
        self.tokens
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(scope.to_string(), (grant.token, until));
    }

    /// Forgets the token for `scope` (the registry refused it).
    pub(crate) fn forget(&self, scope: &str) {
        self.tokens
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(scope);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenges() {
        let c = parse_challenge(
            r#"Bearer realm="http://127.0.0.1:1/token",service="reg",scope="repository:a/b:pull,push",error="insufficient_scope""#,
        )
        .unwrap();
        assert!(c.is_bearer());
        assert_eq!(c.param("realm"), Some("http://127.0.0.1:1/token"));
        assert_eq!(c.param("SERVICE"), Some("reg"));
        assert_eq!(c.param("scope"), Some("repository:a/b:pull,push"));
        assert_eq!(c.param("error"), Some("insufficient_scope"));
        let b = parse_challenge(r#"Basic realm="x \"y\"""#).unwrap();
        assert!(b.is_basic());
        assert_eq!(b.param("realm"), Some(r#"x "y""#));
        let unquoted = parse_challenge("bearer realm=https://a/t, service=s").unwrap();
        assert!(unquoted.is_bearer());
        assert_eq!(unquoted.param("realm"), Some("https://a/t"));
        assert_eq!(unquoted.param("service"), Some("s"));
        let two = parse_challenge(r#"Bearer realm="r", Basic realm="b""#).unwrap();
        assert_eq!(two.params, vec![("realm".into(), "r".into())]);
        assert!(parse_challenge("").is_none());
        assert!(parse_challenge(r#"Bearer realm="unterminated"#).is_none());
    }

    #[test]
    fn token_responses() {
        let g = parse_token_response(br#"{"token":"abc","expires_in":300}"#).unwrap();
        assert_eq!(g.token.expose(), "abc");
        assert_eq!(g.expires_in, Duration::from_secs(300));
        let g = parse_token_response(br#"{"access_token":"xyz"}"#).unwrap();
        assert_eq!(g.token.expose(), "xyz");
        assert_eq!(g.expires_in, Duration::from_secs(60));
        let g = parse_token_response(br#"{"token":"","access_token":"o"}"#).unwrap();
        assert_eq!(g.token.expose(), "o");
        assert!(parse_token_response(br#"{"expires_in":3}"#).is_err());
        assert!(parse_token_response(b"<html>").is_err());
        assert!(parse_token_response(br#"{"token":"a\nb"}"#).is_err());
        let big = format!(r#"{{"token":"{}"}}"#, "a".repeat(70_000));
        assert!(parse_token_response(big.as_bytes()).is_err());
        assert_eq!(format!("{:?}", g.token), "Token(***)");
    }

    #[test]
    fn cache_expires() {
        let c = TokenCache::default();
        let grant = |s: u64| Grant {
            token: Token("t".into()),
            expires_in: Duration::from_secs(s),
        };
        c.put("a", grant(300), Instant::now());
        assert!(c.get("a").is_some());
        assert!(c.get("b").is_none());
        if let Some(earlier) = Instant::now().checked_sub(Duration::from_secs(55)) {
            c.put("old", grant(60), earlier);
            assert!(c.get("old").is_none(), "within the margin before expiry");
        }
        c.forget("a");
        assert!(c.get("a").is_none());
    }
}
