//! Registry credentials from the files docker and podman write: `$REGISTRY_AUTH_FILE`, podman's
//! `$XDG_RUNTIME_DIR/containers/auth.json`, `$DOCKER_CONFIG/config.json` or `~/.docker/config.json`.
//! Only the `auths` map with `auth` (base64 `user:password`) or `username`/`password` is read;
//! credential helpers are not run.

use base64::Engine as _;
use std::path::PathBuf;

/// Credential files larger than this are ignored.
const MAX_FILE: u64 = 1 << 20;

/// The credential files, in order of precedence.
fn files() -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Some(p) = std::env::var_os("REGISTRY_AUTH_FILE") {
        out.push(PathBuf::from(p));
    }
    if let Some(p) = std::env::var_os("XDG_RUNTIME_DIR") {
        out.push(PathBuf::from(p).join("containers/auth.json"));
    }
    if let Some(p) = std::env::var_os("DOCKER_CONFIG") {
        out.push(PathBuf::from(p).join("config.json"));
    }
    if let Some(h) = std::env::var_os("HOME") {
        out.push(PathBuf::from(h).join(".docker/config.json"));
    }
    out
}

/// `(user, password)` for `host`, from the first credential file that has an entry for it.
pub(crate) fn lookup(host: &str) -> Option<(String, String)> {
    files().iter().find_map(|f| lookup_in(f, host))
}

/// The entry for `host` in one credential file.
pub(crate) fn lookup_in(file: &std::path::Path, host: &str) -> Option<(String, String)> {
    if std::fs::metadata(file).ok()?.len() > MAX_FILE {
        return None;
    }
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(file).ok()?).ok()?;
    let auths = json.get("auths")?.as_object()?;
    let wanted = normalise(host);
    let entry = auths
        .iter()
        .find(|(k, _)| normalise(k) == wanted)
        .map(|(_, v)| v)?;
    if let Some(a) = entry.get("auth").and_then(|a| a.as_str()) {
        let raw = base64::engine::general_purpose::STANDARD
            .decode(a.trim())
            .ok()?;
        let text = String::from_utf8(raw).ok()?;
        let (u, p) = text.split_once(':')?;
        return Some((u.to_string(), p.to_string()));
    }
    let u = entry.get("username")?.as_str()?;
    let p = entry.get("password")?.as_str()?;
    Some((u.to_string(), p.to_string()))
}

/// `https://index.docker.io/v1/` → `docker.io`; `http://h:5000/` → `h:5000`.
fn normalise(key: &str) -> String {
    let k = key
        .trim_start_matches("https://")
        .trim_start_matches("http://");
    let host = k.split('/').next().unwrap_or(k);
    match host {
        "index.docker.io" | "registry-1.docker.io" => crate::reference::DOCKER_HUB.into(),
        h => h.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_docker_and_podman_entries() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("config.json");
        std::fs::write(
            &f,
            r#"{"auths":{"https://index.docker.io/v1/":{"auth":"dTpw"},
                "127.0.0.1:5000":{"username":"a","password":"b"}}}"#,
        )
        .unwrap();
        assert_eq!(lookup_in(&f, "docker.io"), Some(("u".into(), "p".into())));
        assert_eq!(
            lookup_in(&f, "127.0.0.1:5000"),
            Some(("a".into(), "b".into()))
        );
        assert_eq!(lookup_in(&f, "ghcr.io"), None);
    }
}
