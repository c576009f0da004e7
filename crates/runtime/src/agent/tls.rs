//! TLS for the agent's HTTP endpoints and webhook client (rustls with the `ring` provider): a
//! server configuration from PEM certificate and key files, a client configuration trusting the
//! system roots or a given CA file, and one stream type for plain and TLS connections.

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::{ClientConfig, ClientConnection, RootCertStore, ServerConfig, ServerConnection};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Why a TLS configuration could not be built.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("reading PEM {path}: {detail}")]
    Pem { path: PathBuf, detail: String },
    #[error("{0}: no certificate in the file")]
    NoCertificate(PathBuf),
    #[error("TLS configuration: {0}")]
    Config(#[from] rustls::Error),
    #[error("no trusted root certificate (system store empty and no CA file given)")]
    NoRoots,
    #[error("invalid TLS server name {0:?}")]
    ServerName(String),
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let pem_err = |e: rustls::pki_types::pem::Error| TlsError::Pem {
        path: path.to_path_buf(),
        detail: e.to_string(),
    };
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(pem_err)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(pem_err)?;
    if certs.is_empty() {
        return Err(TlsError::NoCertificate(path.to_path_buf()));
    }
    Ok(certs)
}

/// A server configuration from a PEM certificate chain and a PEM private key (PKCS#8, PKCS#1 or
/// SEC1). TLS 1.2 and 1.3.
pub fn server_config(cert: &Path, key: &Path) -> Result<Arc<ServerConfig>, TlsError> {
    let chain = certs(cert)?;
    let key = PrivateKeyDer::from_pem_file(key).map_err(|e| TlsError::Pem {
        path: key.to_path_buf(),
        detail: e.to_string(),
    })?;
    let config = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(chain, key)?;
    Ok(Arc::new(config))
}

/// A client configuration trusting `ca` (PEM, one or more certificates) or, without it, the
/// system's root store (`/etc/ssl/certs` through rustls-native-certs).
pub fn client_config(ca: Option<&Path>) -> Result<Arc<ClientConfig>, TlsError> {
    let mut roots = RootCertStore::empty();
    match ca {
        Some(path) => {
            for c in certs(path)? {
                roots.add(c)?;
            }
        }
        None => {
            let found = rustls_native_certs::load_native_certs();
            roots.add_parsable_certificates(found.certs);
        }
    }
    if roots.is_empty() {
        return Err(TlsError::NoRoots);
    }
    let config = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// A connection, plain or TLS (the TLS handshake runs on first read or write).
pub enum Stream {
    Plain(TcpStream),
    Server(Box<rustls::StreamOwned<ServerConnection, TcpStream>>),
    Client(Box<rustls::StreamOwned<ClientConnection, TcpStream>>),
}

impl Stream {
    /// Wraps an accepted connection (TLS when `config` is given).
    pub fn accept(tcp: TcpStream, config: Option<&Arc<ServerConfig>>) -> Result<Stream, TlsError> {
        Ok(match config {
            None => Stream::Plain(tcp),
            Some(c) => Stream::Server(Box::new(rustls::StreamOwned::new(
                ServerConnection::new(c.clone())?,
                tcp,
            ))),
        })
    }

    /// Wraps an outgoing connection to `host` (TLS when `config` is given; the certificate must
    /// name `host`).
    pub fn connect(
        tcp: TcpStream,
        host: &str,
        config: Option<&Arc<ClientConfig>>,
    ) -> Result<Stream, TlsError> {
        Ok(match config {
            None => Stream::Plain(tcp),
            Some(c) => {
                let name = ServerName::try_from(host.to_string())
                    .map_err(|_| TlsError::ServerName(host.to_string()))?;
                Stream::Client(Box::new(rustls::StreamOwned::new(
                    ClientConnection::new(c.clone(), name)?,
                    tcp,
                )))
            }
        })
    }

    /// Tells the peer this side is done (TLS close_notify); plain connections need nothing.
    pub fn close(&mut self) {
        match self {
            Stream::Plain(_) => {}
            Stream::Server(s) => {
                s.conn.send_close_notify();
                let _ = s.flush();
            }
            Stream::Client(s) => {
                s.conn.send_close_notify();
                let _ = s.flush();
            }
        }
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Stream::Plain(s) => s.read(buf),
            Stream::Server(s) => s.read(buf),
            Stream::Client(s) => s.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Stream::Plain(s) => s.write(buf),
            Stream::Server(s) => s.write(buf),
            Stream::Client(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Stream::Plain(s) => s.flush(),
            Stream::Server(s) => s.flush(),
            Stream::Client(s) => s.flush(),
        }
    }
}
