//! Masking: the only form in which a secret leaves the scanner.

/// Masks `secret`, keeping at most `keep_prefix` leading characters (a vendor prefix such as `AKIA` or
/// `ghp_` that identifies the kind of token but not the token) and never more than a quarter of it.
/// Every other character becomes `*`; line breaks are kept so masked keys keep their shape, but at most
/// 64 characters are shown in all.
pub fn mask(secret: &str, keep_prefix: usize) -> String {
    let total = secret.chars().count();
    let keep = keep_prefix.min(total / 4);
    let mut out = String::with_capacity(total.min(64) + 3);
    for (i, c) in secret.chars().enumerate() {
        if i >= 64 {
            out.push_str("...");
            break;
        }
        out.push(if i < keep {
            c
        } else if c == '\n' {
            '\n'
        } else {
            '*'
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_only_the_vendor_prefix() {
        assert_eq!(mask("AKIA2E0A8F3B244C9986", 4), "AKIA****************");
        assert_eq!(mask("abcd", 4), "a***");
        assert_eq!(mask("secret", 0), "******");
        let long = "x".repeat(100);
        assert_eq!(mask(&long, 0), format!("{}...", "*".repeat(64)));
    }
}
