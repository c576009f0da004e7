//! Recognising secret values written literally into manifests.

/// Variable-name words that suggest a credential.
const SECRET_WORDS: &[&str] = &[
    "PASSWORD",
    "PASSWD",
    "SECRET",
    "TOKEN",
    "APIKEY",
    "API_KEY",
    "ACCESS_KEY",
    "PRIVATE_KEY",
    "CREDENTIAL",
    "AUTH_KEY",
    "CLIENT_SECRET",
];

/// Name endings that describe something about a secret rather than the secret itself.
const BENIGN_SUFFIXES: &[&str] = &[
    "_FILE",
    "_PATH",
    "_DIR",
    "_NAME",
    "_ID",
    "_URL",
    "_TTL",
    "_TIMEOUT",
    "_ENABLED",
    "_LENGTH",
    "_EXPIRY",
    "_HEADER",
    "_TYPE",
    "_REF",
    "_KEY_ID",
    "_SECRET_NAME",
    "_FORMAT",
];

/// Why a literal environment value looks like a secret, or `None`.
pub fn secret_like(name: &str, value: &str) -> Option<&'static str> {
    let v = value.trim();
    if let Some(kind) = known_format(v) {
        return Some(kind);
    }
    let upper = name.to_ascii_uppercase();
    let named = SECRET_WORDS.iter().any(|w| upper.contains(w))
        && !BENIGN_SUFFIXES.iter().any(|s| upper.ends_with(s));
    if !named || v.len() < 6 || looks_like_placeholder(v) {
        return None;
    }
    Some("secret-like variable name with a literal value")
}

fn known_format(v: &str) -> Option<&'static str> {
    let alnum_upper = |s: &str| {
        s.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
    };
    if v.len() == 20 && (v.starts_with("AKIA") || v.starts_with("ASIA")) && alnum_upper(v) {
        return Some("AWS access key id");
    }
    if ["ghp_", "gho_", "ghs_", "ghu_", "github_pat_"]
        .iter()
        .any(|p| v.starts_with(p))
        && v.len() >= 30
    {
        return Some("GitHub token");
    }
    if ["xoxb-", "xoxp-", "xoxa-", "xoxs-"]
        .iter()
        .any(|p| v.starts_with(p))
    {
        return Some("Slack token");
    }
    if v.starts_with("glpat-") && v.len() >= 20 {
        return Some("GitLab token");
    }
    if (v.starts_with("sk_live_") || v.starts_with("rk_live_")) && v.len() >= 20 {
        return Some("Stripe key");
    }
    if v.contains("-----BEGIN") && v.contains("PRIVATE KEY") {
        return Some("private key");
    }
    None
}

/// Values that are references or obvious non-secrets.
fn looks_like_placeholder(v: &str) -> bool {
    let lower = v.to_ascii_lowercase();
    v.starts_with("$(")
        || v.starts_with("${")
        || v.starts_with('/')
        || v.starts_with("{{")
        || [
            "true", "false", "changeme", "<none>", "null", "none", "disabled", "enabled",
        ]
        .contains(&lower.as_str())
        || lower.starts_with("http://") && !v.contains('@')
        || lower.starts_with("https://") && !v.contains('@')
        || v.parse::<f64>().is_ok()
}

/// A masked rendering for evidence: the first characters and the length.
pub fn mask(value: &str) -> String {
    let shown: String = value.chars().take(3).collect();
    format!("{shown}… ({} chars)", value.chars().count())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_secrets_and_skips_references() {
        assert!(secret_like("DB_PASSWORD", "hunter2hunter2").is_some());
        assert!(secret_like("X", "AKIAIOSFODNN7EXAMPLE").is_some());
        assert!(secret_like("DB_PASSWORD_FILE", "/run/secrets/db").is_none());
        assert!(secret_like("API_TOKEN", "$(TOKEN_FROM_SECRET)").is_none());
        assert!(secret_like("TOKEN_TTL", "3600").is_none());
        assert!(secret_like("LOG_LEVEL", "debug").is_none());
        assert_eq!(mask("hunter2"), "hun… (7 chars)");
    }
}
