//! RPM packages: `var/lib/rpm/rpmdb.sqlite` (RPM 4.16+), whose `Packages` table holds RPM header blobs.
//! BerkeleyDB (`Packages`) and ndb (`Packages.db`) databases are recognised but not read yet.

use crate::text::file_name;
use crate::{CatalogError, Cataloger, FileMeta, ParseContext, Parsed};
use rampart_core::{Ecosystem, Location, Package, SourcePackage};
use std::io::Read;

const RPM_DIRS: [&str; 3] = [
    "var/lib/rpm/",
    "usr/lib/sysimage/rpm/",
    "var/lib/rpm/sqlite/",
];
/// Most index entries accepted in one header (real headers have a few hundred).
const MAX_INDEX: usize = 0x1_0000;
/// Most header blobs read from one database.
const MAX_PACKAGES: usize = 200_000;

const TAG_NAME: u32 = 1000;
const TAG_VERSION: u32 = 1001;
const TAG_RELEASE: u32 = 1002;
const TAG_EPOCH: u32 = 1003;
const TAG_LICENSE: u32 = 1014;
const TAG_ARCH: u32 = 1022;
const TAG_SOURCERPM: u32 = 1044;
const TYPE_INT32: u32 = 4;
const TYPE_STRING: u32 = 6;
const TYPE_STRING_ARRAY: u32 = 8;
const TYPE_I18NSTRING: u32 = 9;

/// Reads RPM databases.
pub(crate) struct Rpm;

impl Cataloger for Rpm {
    fn name(&self) -> &'static str {
        "rpm"
    }

    fn wants(&self, file: &FileMeta) -> bool {
        let Some(dir) = RPM_DIRS.iter().find(|d| file.path.starts_with(*d)) else {
            return false;
        };
        matches!(
            &file.path[dir.len()..],
            "rpmdb.sqlite" | "Packages" | "Packages.db"
        )
    }

    fn max_size(&self) -> u64 {
        512 << 20
    }

    fn parse(&self, ctx: &ParseContext, content: &[u8]) -> Result<Parsed, CatalogError> {
        let mut out = Parsed::default();
        if file_name(ctx.path) != "rpmdb.sqlite" {
            out.warn(
                ctx.path,
                None,
                "rpm BerkeleyDB/ndb databases are not supported yet",
            );
            return Ok(out);
        }
        for blob in read_blobs(ctx.path, content)? {
            match parse_header(&blob) {
                Ok(h) => {
                    if let Some(pkg) = h.into_package(ctx.path) {
                        out.packages.push(pkg);
                    }
                }
                Err(e) => out.warn(ctx.path, None, format!("bad rpm header: {e}")),
            }
        }
        Ok(out)
    }
}

/// The `blob` column of every row of the `Packages` table.
fn read_blobs(path: &str, content: &[u8]) -> Result<Vec<Vec<u8>>, CatalogError> {
    let err = |e: rusqlite::Error| CatalogError::parse(path, format!("rpmdb.sqlite: {e}"));
    if content.len() < 100 || !content.starts_with(b"SQLite format 3\0") {
        return Err(CatalogError::parse(path, "not an SQLite database"));
    }
    let mut conn = rusqlite::Connection::open_in_memory().map_err(err)?;
    // Read/write versions 2 (WAL) cannot be opened from memory; present the file as a rollback-journal
    // database. Changes still in a -wal file are not seen.
    let reader = content[..18].chain(&[1u8, 1][..]).chain(&content[20..]);
    conn.deserialize_read_exact(rusqlite::MAIN_DB, reader, content.len(), true)
        .map_err(err)?;
    let mut stmt = conn.prepare("SELECT blob FROM Packages").map_err(err)?;
    let rows = stmt
        .query_map([], |r| r.get::<_, Vec<u8>>(0))
        .map_err(err)?;
    let mut blobs = Vec::new();
    for row in rows.take(MAX_PACKAGES) {
        blobs.push(row.map_err(err)?);
    }
    Ok(blobs)
}

/// The fields of one header that matter here.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Header {
    name: Option<String>,
    version: Option<String>,
    release: Option<String>,
    epoch: Option<u32>,
    arch: Option<String>,
    source_rpm: Option<String>,
    license: Option<String>,
}

/// Why a header blob is unusable.
#[derive(Debug, thiserror::Error, PartialEq)]
pub(crate) enum HeaderError {
    #[error("header is truncated")]
    Truncated,
    #[error("header index has {0} entries")]
    TooManyEntries(usize),
}

/// Parses an RPM header blob as stored in rpmdb: `il` and `dl` (big-endian u32), `il` index entries
/// (tag, type, offset, count), then `dl` bytes of data. Every offset is checked against the data store.
pub(crate) fn parse_header(blob: &[u8]) -> Result<Header, HeaderError> {
    let be32 = |at: usize| -> Option<u32> {
        let b = blob.get(at..at.checked_add(4)?)?;
        Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    };
    let il = be32(0).ok_or(HeaderError::Truncated)? as usize;
    let dl = be32(4).ok_or(HeaderError::Truncated)? as usize;
    if il > MAX_INDEX {
        return Err(HeaderError::TooManyEntries(il));
    }
    let data_start = 8 + il * 16;
    let store = data_start
        .checked_add(dl)
        .and_then(|end| blob.get(data_start..end))
        .ok_or(HeaderError::Truncated)?;
    let mut h = Header::default();
    for i in 0..il {
        let at = 8 + i * 16;
        let (Some(tag), Some(ty), Some(offset)) = (be32(at), be32(at + 4), be32(at + 8)) else {
            return Err(HeaderError::Truncated);
        };
        let Some(data) = store.get(offset as usize..) else {
            continue;
        };
        let string = || match ty {
            TYPE_STRING | TYPE_STRING_ARRAY | TYPE_I18NSTRING => {
                let end = data.iter().position(|&b| b == 0)?;
                Some(String::from_utf8_lossy(&data[..end]).into_owned())
            }
            _ => None,
        };
        match tag {
            TAG_NAME => h.name = string(),
            TAG_VERSION => h.version = string(),
            TAG_RELEASE => h.release = string(),
            TAG_ARCH => h.arch = string(),
            TAG_SOURCERPM => h.source_rpm = string(),
            TAG_LICENSE => h.license = string(),
            TAG_EPOCH if ty == TYPE_INT32 => {
                h.epoch = data
                    .get(..4)
                    .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]));
            }
            _ => {}
        }
    }
    Ok(h)
}

impl Header {
    /// The package, or `None` for the pseudo-packages of imported keys (`gpg-pubkey`) and incomplete
    /// headers.
    fn into_package(self, path: &str) -> Option<Package> {
        let name = self.name.filter(|n| !n.is_empty() && n != "gpg-pubkey")?;
        let version = self.version.filter(|v| !v.is_empty())?;
        let evr = match (self.epoch, self.release.filter(|r| !r.is_empty())) {
            (Some(e), Some(r)) => format!("{e}:{version}-{r}"),
            (None, Some(r)) => format!("{version}-{r}"),
            (Some(e), None) => format!("{e}:{version}"),
            (None, None) => version,
        };
        let mut pkg = Package::new(Ecosystem::Rpm, &name, evr).at(Location::new(path));
        pkg.arch = self.arch.filter(|a| !a.is_empty());
        pkg.licenses = self.license.into_iter().filter(|l| !l.is_empty()).collect();
        pkg.source = self.source_rpm.as_deref().and_then(source_from_srpm);
        Some(pkg)
    }
}

/// `openssl-3.0.7-24.el9.src.rpm` → `openssl`, `3.0.7-24.el9`.
fn source_from_srpm(srpm: &str) -> Option<SourcePackage> {
    let stem = srpm
        .strip_suffix(".src.rpm")
        .or_else(|| srpm.strip_suffix(".nosrc.rpm"))?;
    let (rest, release) = stem.rsplit_once('-')?;
    let (name, version) = rest.rsplit_once('-')?;
    (!name.is_empty()).then(|| SourcePackage {
        name: name.to_string(),
        version: Some(format!("{version}-{release}")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Builds a header blob from (tag, type, data) entries.
    pub(crate) fn header(entries: &[(u32, u32, Vec<u8>)]) -> Vec<u8> {
        let mut index = Vec::new();
        let mut store = Vec::new();
        for (tag, ty, data) in entries {
            index.extend_from_slice(&tag.to_be_bytes());
            index.extend_from_slice(&ty.to_be_bytes());
            index.extend_from_slice(&(store.len() as u32).to_be_bytes());
            index.extend_from_slice(&1u32.to_be_bytes());
            store.extend_from_slice(data);
        }
        let mut blob = Vec::new();
        blob.extend_from_slice(&(entries.len() as u32).to_be_bytes());
        blob.extend_from_slice(&(store.len() as u32).to_be_bytes());
        blob.extend(index);
        blob.extend(store);
        blob
    }

    fn s(v: &str) -> Vec<u8> {
        let mut b = v.as_bytes().to_vec();
        b.push(0);
        b
    }

    pub(crate) fn openssl_header() -> Vec<u8> {
        header(&[
            (TAG_NAME, TYPE_STRING, s("openssl-libs")),
            (TAG_VERSION, TYPE_STRING, s("3.0.7")),
            (TAG_RELEASE, TYPE_STRING, s("24.el9")),
            (TAG_EPOCH, TYPE_INT32, 1u32.to_be_bytes().to_vec()),
            (TAG_LICENSE, TYPE_STRING, s("ASL 2.0")),
            (TAG_ARCH, TYPE_STRING, s("x86_64")),
            (
                TAG_SOURCERPM,
                TYPE_STRING,
                s("openssl-3.0.7-24.el9.src.rpm"),
            ),
        ])
    }

    #[test]
    fn parses_a_hand_built_header() {
        let pkg = parse_header(&openssl_header())
            .unwrap()
            .into_package("var/lib/rpm/rpmdb.sqlite")
            .unwrap();
        assert_eq!(
            (pkg.name.as_str(), pkg.version.as_str()),
            ("openssl-libs", "1:3.0.7-24.el9")
        );
        assert_eq!(pkg.advisory_name(), "openssl");
        assert_eq!(pkg.arch.as_deref(), Some("x86_64"));
        assert_eq!(pkg.licenses, ["ASL 2.0"]);
    }

    #[test]
    fn hostile_headers_are_rejected() {
        assert_eq!(parse_header(b""), Err(HeaderError::Truncated));
        assert_eq!(
            parse_header(&[0xff; 8]),
            Err(HeaderError::TooManyEntries(0xffff_ffff))
        );
        let mut blob = openssl_header();
        blob.truncate(blob.len() - 3);
        assert_eq!(parse_header(&blob), Err(HeaderError::Truncated));
        // Offsets past the store and strings without a NUL are skipped.
        let h = header(&[(TAG_NAME, TYPE_STRING, b"abc".to_vec())]);
        assert_eq!(parse_header(&h).unwrap().name, None);
        let mut bad = header(&[(TAG_NAME, TYPE_STRING, s("x"))]);
        bad[16..20].copy_from_slice(&u32::MAX.to_be_bytes());
        assert_eq!(parse_header(&bad).unwrap().name, None);
    }

    #[test]
    fn reads_rpmdb_sqlite() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("rpmdb.sqlite");
        {
            let conn = rusqlite::Connection::open(&db).unwrap();
            conn.execute_batch("PRAGMA journal_mode=WAL; CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL);").unwrap();
            conn.execute(
                "INSERT INTO Packages (blob) VALUES (?1)",
                [openssl_header()],
            )
            .unwrap();
            conn.execute("INSERT INTO Packages (blob) VALUES (?1)", [vec![1u8, 2, 3]])
                .unwrap();
        }
        let bytes = std::fs::read(&db).unwrap();
        let ctx = ParseContext {
            path: "var/lib/rpm/rpmdb.sqlite",
            os: None,
        };
        let out = Rpm.parse(&ctx, &bytes).unwrap();
        assert_eq!(out.packages.len(), 1);
        assert_eq!(out.warnings.len(), 1);
        assert!(Rpm.parse(&ctx, b"SQLite format 3\0garbage").is_err());
        let ctx = ParseContext {
            path: "var/lib/rpm/Packages",
            os: None,
        };
        assert_eq!(Rpm.parse(&ctx, b"x").unwrap().warnings.len(), 1);
    }
}
