//! Go binaries: the build information the Go linker embeds (`.go.buildinfo`): toolchain version, main
//! module and dependencies.

use crate::{CatalogError, Cataloger, FileMeta, ParseContext, Parsed};
use rampart_core::{Ecosystem, Location, Package};

/// Largest binary read by the binary catalogers.
pub(crate) const MAX_BINARY: u64 = 128 << 20;
/// Longest build-info string accepted.
const MAX_STRING: u64 = 4 << 20;
const MAGIC: &[u8; 14] = b"\xff Go buildinf:";

/// Whether a file may be an executable worth opening: executable bit or `.exe`, not tiny.
pub(crate) fn is_binary_candidate(file: &FileMeta) -> bool {
    (file.executable || file.path.ends_with(".exe")) && file.size >= 1024
}

/// Reads Go build information from executables.
pub(crate) struct GoBinary;

impl Cataloger for GoBinary {
    fn name(&self) -> &'static str {
        "go-binary"
    }

    fn wants(&self, file: &FileMeta) -> bool {
        is_binary_candidate(file)
    }

    fn max_size(&self) -> u64 {
        MAX_BINARY
    }

    fn parse(&self, ctx: &ParseContext, content: &[u8]) -> Result<Parsed, CatalogError> {
        let mut out = Parsed::default();
        if !is_object(content) {
            return Ok(out);
        }
        if let Some(info) = read_buildinfo(content) {
            out.packages = packages(ctx.path, &info.0, &info.1);
        }
        Ok(out)
    }
}

/// ELF, PE or Mach-O magic.
fn is_object(data: &[u8]) -> bool {
    let magic = data.get(..4).unwrap_or_default();
    magic == b"\x7fELF"
        || magic.starts_with(b"MZ")
        || matches!(
            magic,
            [0xfe, 0xed, 0xfa, 0xce | 0xcf] | [0xce | 0xcf, 0xfa, 0xed, 0xfe]
        )
}

/// The toolchain version and module info of a Go binary, or `None` when it has none.
pub(crate) fn read_buildinfo(data: &[u8]) -> Option<(String, String)> {
    let start = data.chunks_exact(16).position(|c| c.starts_with(MAGIC))? * 16;
    let header = data.get(start..start + 32)?;
    let (ptr_size, flags) = (header[14], header[15]);
    if flags & 2 != 0 {
        // Go 1.18+: two varint-prefixed strings right after the 32-byte header.
        let (version, rest) = read_varint_string(data.get(start + 32..)?)?;
        let (modinfo, _) = read_varint_string(rest)?;
        return Some((version, strip_sentinels(modinfo)));
    }
    let big_endian = flags & 1 != 0;
    let size = usize::from(ptr_size);
    if size != 4 && size != 8 {
        return None;
    }
    let read_ptr = |b: &[u8]| -> Option<u64> {
        let b = b.get(..size)?;
        let mut v = 0u64;
        for i in 0..size {
            let byte = if big_endian { b[i] } else { b[size - 1 - i] };
            v = (v << 8) | u64::from(byte);
        }
        Some(v)
    };
    let file = object::File::parse(data).ok()?;
    let read_at = |addr: u64, len: u64| resolve(&file, data, addr, len);
    let go_string = |addr: u64| -> Option<String> {
        let hdr = read_at(addr, 2 * size as u64)?;
        let (ptr, len) = (read_ptr(hdr)?, read_ptr(hdr.get(size..)?)?);
        if len > MAX_STRING {
            return None;
        }
        Some(String::from_utf8_lossy(read_at(ptr, len)?).into_owned())
    };
    let version = go_string(read_ptr(header.get(16..)?)?)?;
    let modinfo = go_string(read_ptr(header.get(16 + size..)?)?).unwrap_or_default();
    Some((version, strip_sentinels(modinfo)))
}

/// The file bytes at virtual address `addr`, through the file's segments.
fn resolve<'d>(file: &object::File<'d>, data: &'d [u8], addr: u64, len: u64) -> Option<&'d [u8]> {
    use object::{Object, ObjectSegment};
    for seg in file.segments() {
        let (offset, file_size) = seg.file_range();
        let base = seg.address();
        if addr >= base && addr.checked_add(len)? <= base.checked_add(file_size)? {
            let from = offset.checked_add(addr - base)?;
            let to = from.checked_add(len)?;
            return data.get(usize::try_from(from).ok()?..usize::try_from(to).ok()?);
        }
    }
    None
}

fn read_varint_string(data: &[u8]) -> Option<(String, &[u8])> {
    let mut len = 0u64;
    let mut shift = 0;
    let mut i = 0;
    loop {
        let b = *data.get(i)?;
        i += 1;
        len |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            break;
        }
        shift += 7;
        if shift > 56 {
            return None;
        }
    }
    if len > MAX_STRING {
        return None;
    }
    let end = i.checked_add(usize::try_from(len).ok()?)?;
    let s = data.get(i..end)?;
    Some((String::from_utf8_lossy(s).into_owned(), data.get(end..)?))
}

/// Module info is wrapped in 16-byte sentinels by the linker.
fn strip_sentinels(m: String) -> String {
    let b = m.as_bytes();
    if b.len() >= 33 && b[b.len() - 17] == b'\n' {
        return String::from_utf8_lossy(&b[16..b.len() - 16]).into_owned();
    }
    m
}

/// Packages from the toolchain version and modinfo text: `stdlib`, the main module and its deps.
pub(crate) fn packages(path: &str, version: &str, modinfo: &str) -> Vec<Package> {
    let mut mods: Vec<(String, String)> = Vec::new();
    for line in modinfo.lines() {
        let f: Vec<&str> = line.split('\t').collect();
        match f[..] {
            ["mod", p, v, ..] | ["dep", p, v, ..] => mods.push((p.to_string(), v.to_string())),
            // A replacement applies to the module line just before it.
            ["=>", p, v, ..] => {
                if let Some(last) = mods.last_mut() {
                    *last = (p.to_string(), v.to_string());
                }
            }
            _ => {}
        }
    }
    let mut out: Vec<Package> = mods
        .into_iter()
        .filter(|(p, v)| !p.is_empty() && !v.is_empty() && v != "(devel)")
        .map(|(p, v)| Package::new(Ecosystem::Go, p, v).at(Location::new(path)))
        .collect();
    if let Some(v) = toolchain_version(version) {
        out.push(Package::new(Ecosystem::Go, "stdlib", v).at(Location::new(path)));
    }
    out
}

/// `go1.19.8` → `1.19.8`; `go1.21.0 X:boringcrypto` → `1.21.0`; `devel …` → none.
fn toolchain_version(v: &str) -> Option<String> {
    let rest = v.trim().strip_prefix("go")?;
    let num: String = rest
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    let num = num.trim_end_matches('.');
    (!num.is_empty() && num.starts_with(|c: char| c.is_ascii_digit())).then(|| num.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const MODINFO: &str = "path\tgithub.com/example/tool\nmod\tgithub.com/example/tool\t(devel)\t\n\
dep\tgithub.com/gorilla/mux\tv1.8.0\th1:abc=\ndep\tgolang.org/x/net\tv0.17.0\th1:def=\n\
=>\tgolang.org/x/net\tv0.19.0\th1:ghi=\nbuild\t-compiler=gc\nbuild\tGOOS=linux\n";

    fn inline_blob(version: &str, modinfo: &str) -> Vec<u8> {
        let mut data = vec![0u8; 48];
        data.extend_from_slice(MAGIC);
        data.extend_from_slice(&[8, 2]);
        data.extend_from_slice(&[0u8; 16]);
        for s in [version, modinfo] {
            let mut n = s.len();
            while n >= 0x80 {
                data.push((n as u8) | 0x80);
                n >>= 7;
            }
            data.push(n as u8);
            data.extend_from_slice(s.as_bytes());
        }
        data
    }

    #[test]
    fn reads_inline_buildinfo() {
        let wrapped = format!("{}{MODINFO}{}", "0123456789abcdef", "\u{0}fedcba98765432");
        let blob = inline_blob("go1.21.5", &wrapped);
        let (v, m) = read_buildinfo(&blob).unwrap();
        assert_eq!(v, "go1.21.5");
        let pkgs = packages("usr/bin/tool", &v, &m);
        let got: Vec<_> = pkgs
            .iter()
            .map(|p| (p.name.as_str(), p.version.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("github.com/gorilla/mux", "v1.8.0"),
                ("golang.org/x/net", "v0.19.0"),
                ("stdlib", "1.21.5")
            ]
        );
    }

    /// A minimal ELF64 executable with one PT_LOAD segment at `BASE` and pre-1.18 pointer-format
    /// build info: the header points at Go string headers, which point at the string bytes.
    fn pointer_format_elf(version: &str, modinfo: &str) -> Vec<u8> {
        const BASE: u64 = 0x40_0000;
        let mut d = vec![0u8; 128];
        d[..16].copy_from_slice(b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0");
        let put16 =
            |d: &mut Vec<u8>, at: usize, v: u16| d[at..at + 2].copy_from_slice(&v.to_le_bytes());
        let put32 =
            |d: &mut Vec<u8>, at: usize, v: u32| d[at..at + 4].copy_from_slice(&v.to_le_bytes());
        let put64 =
            |d: &mut Vec<u8>, at: usize, v: u64| d[at..at + 8].copy_from_slice(&v.to_le_bytes());
        put16(&mut d, 16, 2); // ET_EXEC
        put16(&mut d, 18, 0x3e); // x86-64
        put32(&mut d, 20, 1);
        put64(&mut d, 24, BASE);
        put64(&mut d, 32, 64); // e_phoff
        put16(&mut d, 52, 64);
        put16(&mut d, 54, 56);
        put16(&mut d, 56, 1); // e_phnum
        put16(&mut d, 58, 64);
        // Build info at 128: magic, pointer size 8, little-endian pointer format.
        d.extend_from_slice(MAGIC);
        d.extend_from_slice(&[8, 0]);
        d.extend_from_slice(&(BASE + 160).to_le_bytes());
        d.extend_from_slice(&(BASE + 176).to_le_bytes());
        let strings_at = 192u64;
        for (ptr, len) in [
            (strings_at, version.len()),
            (strings_at + version.len() as u64, modinfo.len()),
        ] {
            d.extend_from_slice(&(BASE + ptr).to_le_bytes());
            d.extend_from_slice(&(len as u64).to_le_bytes());
        }
        d.extend_from_slice(version.as_bytes());
        d.extend_from_slice(modinfo.as_bytes());
        let len = d.len() as u64;
        put32(&mut d, 64, 1); // PT_LOAD
        put32(&mut d, 68, 5);
        put64(&mut d, 72, 0);
        put64(&mut d, 80, BASE);
        put64(&mut d, 88, BASE);
        put64(&mut d, 96, len);
        put64(&mut d, 104, len);
        put64(&mut d, 112, 0x1000);
        d
    }

    #[test]
    fn reads_pointer_format_buildinfo() {
        let elf = pointer_format_elf("go1.16.15", MODINFO);
        let ctx = ParseContext {
            path: "usr/bin/old",
            os: None,
        };
        let out = GoBinary.parse(&ctx, &elf).unwrap();
        let got: Vec<_> = out
            .packages
            .iter()
            .map(|p| (p.name.as_str(), p.version.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("github.com/gorilla/mux", "v1.8.0"),
                ("golang.org/x/net", "v0.19.0"),
                ("stdlib", "1.16.15")
            ]
        );
        // Pointers outside every segment resolve to nothing.
        let mut bad = elf.clone();
        bad[144..152].copy_from_slice(&u64::MAX.to_le_bytes());
        assert!(read_buildinfo(&bad).is_none());
    }

    #[test]
    fn toolchain_versions() {
        assert_eq!(toolchain_version("go1.19.8").as_deref(), Some("1.19.8"));
        assert_eq!(
            toolchain_version("go1.21.0 X:boringcrypto").as_deref(),
            Some("1.21.0")
        );
        assert_eq!(toolchain_version("devel go1.22"), None);
        assert_eq!(toolchain_version("go"), None);
    }

    #[test]
    fn hostile_headers_do_not_panic() {
        let mut blob = inline_blob("go1.2", "x");
        blob.truncate(60);
        assert!(read_buildinfo(&blob).is_none());
        let mut huge = vec![0u8; 48];
        huge.extend_from_slice(MAGIC);
        huge.extend_from_slice(&[8, 2]);
        huge.extend_from_slice(&[0u8; 16]);
        huge.extend_from_slice(&[0xff; 12]);
        assert!(read_buildinfo(&huge).is_none());
        // Pointer format without a parseable object file.
        let mut ptr = vec![0u8; 48];
        ptr.extend_from_slice(MAGIC);
        ptr.extend_from_slice(&[8, 0]);
        ptr.extend_from_slice(&[0xff; 16]);
        assert!(read_buildinfo(&ptr).is_none());
        assert!(read_buildinfo(b"").is_none());
    }
}
