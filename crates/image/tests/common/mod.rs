//! Builders for synthetic layers and OCI layouts, including hostile ones the `tar` crate's safe API
//! refuses to write (`..`, absolute paths).
#![allow(dead_code)]

use flate2::Compression;
use flate2::write::GzEncoder;
use rampart_image::Digest;
use serde_json::{Value, json};
use std::io::Write;
use std::path::{Path, PathBuf};

/// One tar entry to write.
pub enum E<'a> {
    File(&'a str, &'a [u8], u32),
    Dir(&'a str),
    Sym(&'a str, &'a str),
    Hard(&'a str, &'a str),
    Char(&'a str),
}

fn header(
    path: &str,
    kind: tar::EntryType,
    size: u64,
    mode: u32,
    link: Option<&str>,
) -> tar::Header {
    let mut h = tar::Header::new_old();
    let name = &mut h.as_old_mut().name;
    name[..path.len()].copy_from_slice(path.as_bytes());
    if let Some(link) = link {
        h.as_old_mut().linkname[..link.len()].copy_from_slice(link.as_bytes());
    }
    h.set_entry_type(kind);
    h.set_size(size);
    h.set_mode(mode);
    h.set_uid(0);
    h.set_gid(0);
    h.set_mtime(0);
    h.set_cksum();
    h
}

/// A tar of the entries, written verbatim (paths are not checked).
pub fn tar_of(entries: &[E]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for e in entries {
        let (h, data): (tar::Header, &[u8]) = match e {
            E::File(p, d, m) => (
                header(p, tar::EntryType::Regular, d.len() as u64, *m, None),
                d,
            ),
            E::Dir(p) => (header(p, tar::EntryType::Directory, 0, 0o755, None), &[]),
            E::Sym(p, t) => (header(p, tar::EntryType::Symlink, 0, 0o777, Some(t)), &[]),
            E::Hard(p, t) => (header(p, tar::EntryType::Link, 0, 0o644, Some(t)), &[]),
            E::Char(p) => (header(p, tar::EntryType::Char, 0, 0o666, None), &[]),
        };
        b.append(&h, data).unwrap();
    }
    b.into_inner().unwrap()
}

pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

pub fn zstd(data: &[u8]) -> Vec<u8> {
    zstd::encode_all(data, 1).unwrap()
}

/// A layer as stored: blob bytes, media type, and the tar it holds (for the diff id).
pub struct Layer {
    pub blob: Vec<u8>,
    pub media_type: &'static str,
    pub tar: Vec<u8>,
    pub created_by: String,
}

impl Layer {
    pub fn gz(tar: Vec<u8>, created_by: &str) -> Layer {
        Layer {
            blob: gzip(&tar),
            media_type: "application/vnd.oci.image.layer.v1.tar+gzip",
            tar,
            created_by: created_by.into(),
        }
    }
    pub fn zst(tar: Vec<u8>, created_by: &str) -> Layer {
        Layer {
            blob: zstd(&tar),
            media_type: "application/vnd.oci.image.layer.v1.tar+zstd",
            tar,
            created_by: created_by.into(),
        }
    }
    pub fn plain(tar: Vec<u8>, created_by: &str) -> Layer {
        Layer {
            blob: tar.clone(),
            media_type: "application/vnd.oci.image.layer.v1.tar",
            tar,
            created_by: created_by.into(),
        }
    }
}

/// An OCI layout being written.
pub struct Layout {
    pub dir: tempfile::TempDir,
    pub index: Vec<Value>,
}

impl Layout {
    pub fn new() -> Layout {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("oci-layout"),
            r#"{"imageLayoutVersion":"1.0.0"}"#,
        )
        .unwrap();
        std::fs::create_dir_all(dir.path().join("blobs/sha256")).unwrap();
        Layout {
            dir,
            index: Vec::new(),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn blob_path(&self, d: &Digest) -> PathBuf {
        self.path().join("blobs/sha256").join(d.hex())
    }

    /// Writes a blob; returns its descriptor.
    pub fn blob(&self, media_type: &str, bytes: &[u8]) -> Value {
        let d = Digest::sha256(bytes);
        std::fs::write(self.blob_path(&d), bytes).unwrap();
        json!({"mediaType": media_type, "digest": d.to_string(), "size": bytes.len()})
    }

    /// Writes config and manifest for `layers`; returns the manifest descriptor.
    pub fn image(&self, layers: &[Layer], config: Value) -> Value {
        let mut config = config;
        let diff_ids: Vec<String> = layers
            .iter()
            .map(|l| Digest::sha256(&l.tar).to_string())
            .collect();
        let history: Vec<Value> = layers
            .iter()
            .map(|l| json!({"created_by": l.created_by}))
            .collect();
        config["rootfs"] = json!({"type": "layers", "diff_ids": diff_ids});
        if config.get("history").is_none() {
            config["history"] = json!(history);
        }
        for k in ["os", "architecture"] {
            if config.get(k).is_none() {
                config[k] = json!(if k == "os" {
                    "linux".to_string()
                } else {
                    rampart_image::Platform::host().architecture
                });
            }
        }
        let config_desc = self.blob(
            "application/vnd.oci.image.config.v1+json",
            &serde_json::to_vec(&config).unwrap(),
        );
        let layer_descs: Vec<Value> = layers
            .iter()
            .map(|l| self.blob(l.media_type, &l.blob))
            .collect();
        let manifest = json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": config_desc,
            "layers": layer_descs,
        });
        self.blob(
            "application/vnd.oci.image.manifest.v1+json",
            &serde_json::to_vec(&manifest).unwrap(),
        )
    }

    /// Adds a descriptor to index.json under a ref name, and writes index.json.
    pub fn tag(&mut self, mut desc: Value, name: &str) {
        desc["annotations"] = json!({"org.opencontainers.image.ref.name": name});
        self.index.push(desc);
        self.write_index();
    }

    pub fn write_index(&self) {
        let index = json!({"schemaVersion": 2, "manifests": self.index});
        std::fs::write(
            self.path().join("index.json"),
            serde_json::to_vec(&index).unwrap(),
        )
        .unwrap();
    }

    pub fn reference(&self, tag: &str) -> rampart_image::ImageRef {
        rampart_image::ImageRef::OciDir {
            path: self.path().to_path_buf(),
            tag: Some(tag.into()),
        }
    }
}

pub const OS_RELEASE: &[u8] = b"PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\n";

pub fn dpkg_status(pkgs: &[(&str, &str)]) -> Vec<u8> {
    let mut s = String::new();
    for (name, version) in pkgs {
        s.push_str(&format!(
            "Package: {name}\nStatus: install ok installed\nArchitecture: amd64\nVersion: {version}\nDescription: test\n\n"
        ));
    }
    s.into_bytes()
}

pub fn metadata(name: &str, version: &str) -> Vec<u8> {
    format!("Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n").into_bytes()
}
