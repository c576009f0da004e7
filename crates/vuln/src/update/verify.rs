//! Integrity checks on downloaded feed files: the mirror's `SHA256SUMS` list, and structural checks that
//! catch truncation and error pages served with a success status.

use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

/// Largest decompressed size read while checking a gzip file.
const MAX_GUNZIPPED: u64 = 8 << 30;

/// Parses a `sha256sum`-style list: `<64 hex>  <relative path>` per line (a `*` before the path, for
/// binary mode, and a leading `./` are accepted). Blank lines and `#` comments are ignored. Returns
/// relative path → lowercase hex digest, or the first bad line.
pub fn parse_sha256sums(text: &str) -> Result<BTreeMap<String, String>, String> {
    let mut out = BTreeMap::new();
    for (n, raw) in text.lines().enumerate() {
        let line = raw.trim_end_matches(['\r', ' ', '\t']);
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        let bad = || {
            format!(
                "SHA256SUMS line {}: expected `<sha256 hex>  <path>`, found {line:?}",
                n + 1
            )
        };
        let (hex, rest) = line.split_once(char::is_whitespace).ok_or_else(bad)?;
        if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad());
        }
        let path = rest.trim_start_matches([' ', '\t']);
        let path = path.strip_prefix('*').unwrap_or(path);
        let path = path.strip_prefix("./").unwrap_or(path);
        if path.is_empty() {
            return Err(bad());
        }
        out.insert(path.to_string(), hex.to_ascii_lowercase());
    }
    Ok(out)
}

/// The lowercase hex SHA-256 of a file.
pub fn sha256_file(path: &Path) -> std::io::Result<String> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex(&hasher.finalize()))
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// Checks that a downloaded file is whole, judged by its name: a `.zip` must have a readable central
/// directory, a `.gz` must decode to its end, a `.json` must parse, a `.yaml` must be non-empty UTF-8.
/// Other files are accepted as they are. The error says what is wrong.
pub fn check_structure(path: &Path) -> Result<(), String> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let open = || std::fs::File::open(path).map_err(|e| format!("cannot reopen: {e}"));
    if name.ends_with(".zip") {
        let archive = zip::ZipArchive::new(std::io::BufReader::new(open()?))
            .map_err(|e| format!("not a readable zip archive: {e}"))?;
        drop(archive);
    } else if name.ends_with(".gz") {
        let mut decoder =
            flate2::read::GzDecoder::new(std::io::BufReader::new(open()?)).take(MAX_GUNZIPPED);
        let n = std::io::copy(&mut decoder, &mut std::io::sink())
            .map_err(|e| format!("gzip stream does not decode: {e}"))?;
        if n >= MAX_GUNZIPPED {
            return Err(format!(
                "gzip stream decodes to more than {MAX_GUNZIPPED} bytes"
            ));
        }
    } else if name.ends_with(".json") {
        serde_json::from_reader::<_, serde::de::IgnoredAny>(std::io::BufReader::new(open()?))
            .map_err(|e| format!("not valid JSON: {e}"))?;
    } else if name.ends_with(".yaml") || name.ends_with(".yml") {
        let mut bytes = Vec::new();
        open()?
            .read_to_end(&mut bytes)
            .map_err(|e| format!("cannot read: {e}"))?;
        let text = std::str::from_utf8(&bytes).map_err(|e| format!("not UTF-8: {e}"))?;
        if text.trim().is_empty() {
            return Err("empty YAML document".into());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    const H: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

    #[test]
    fn parses_sha256sums_variants() {
        let text = format!(
            "# comment\n\n{H}  osv/Go/all.zip\n{}  *kev/known.json\r\n{H} ./epss/e.csv.gz\n",
            H.to_ascii_uppercase()
        );
        let sums = parse_sha256sums(&text).expect("parses");
        assert_eq!(sums.len(), 3);
        assert_eq!(sums["osv/Go/all.zip"], H);
        assert_eq!(sums["kev/known.json"], H);
        assert_eq!(sums["epss/e.csv.gz"], H);
    }

    #[test]
    fn rejects_bad_sha256sums_lines() {
        assert!(parse_sha256sums("abc  file").is_err());
        assert!(parse_sha256sums(H).is_err());
        assert!(parse_sha256sums(&format!("{H}   ")).is_err());
        let err = parse_sha256sums(&format!("{H}  a\nzz{}  b\n", &H[2..])).unwrap_err();
        assert!(err.contains("line 2"), "{err}");
    }

    #[test]
    fn hashes_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("t");
        std::fs::write(&p, b"test").expect("write");
        assert_eq!(sha256_file(&p).expect("hash"), H);
    }

    #[test]
    fn structure_checks_catch_truncation() {
        let dir = tempfile::tempdir().expect("tempdir");
        let json = dir.path().join("a.json");
        std::fs::write(&json, br#"{"a": [1, 2, 3]}"#).expect("write");
        assert!(check_structure(&json).is_ok());
        std::fs::write(&json, br#"{"a": [1, 2"#).expect("write");
        assert!(check_structure(&json).is_err());
        std::fs::write(&json, b"<html>oops</html>").expect("write");
        assert!(check_structure(&json).is_err());

        let gz = dir.path().join("e.csv.gz");
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(&b"cve,epss,percentile\n".repeat(500))
            .expect("gzip");
        let full = enc.finish().expect("gzip");
        std::fs::write(&gz, &full).expect("write");
        assert!(check_structure(&gz).is_ok());
        std::fs::write(&gz, &full[..full.len() / 2]).expect("write");
        assert!(check_structure(&gz).is_err());

        let zip = dir.path().join("all.zip");
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        w.start_file("a.json", zip::write::SimpleFileOptions::default())
            .expect("zip");
        w.write_all(b"{}").expect("zip");
        let full = w.finish().expect("zip").into_inner();
        std::fs::write(&zip, &full).expect("write");
        assert!(check_structure(&zip).is_ok());
        std::fs::write(&zip, &full[..full.len() - 10]).expect("write");
        assert!(check_structure(&zip).is_err());
    }
}
