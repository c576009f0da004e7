//! Rampart's container image sources: OCI layout and archives, docker-archive, podman storage; the
//! streaming layer walker; layer attribution; image configuration checks; the analysis cache.
//!
//! ```text
//! ImageRef ──► source::open ──► ImageSource::resolve ──► layers streamed once ──► Analysis
//!  (oci:, oci-archive:,          (index → manifest →      (gzip/zstd/plain,        (Inventory with
//!   docker-archive:, podman:)     config, verified)        whiteouts, limits)       LayerRefs + ImageInfo)
//! ```
//!
//! [`analyze`] is the entry point: it returns the catalog [`Inventory`](rampart_catalog::Inventory)
//! (each package carrying the [`LayerRef`](rampart_core::LayerRef) of the layer that introduced it)
//! and the [`ImageInfo`] model; [`checks::check_image`] turns the model into misconfiguration
//! findings; a [`FileVisitor`] receives the bytes of every regular file of every layer (secret
//! scanning); [`Cache`] stores analyses by digest.
//!
//! Architecture invariant: sources only read and normalise; layers are never unpacked to disk, every
//! path stays inside the image root, every blob is verified against its digest, and every resource is
//! bounded by [`Limits`].

#![warn(missing_docs)]

mod analyze;
pub mod base;
mod cache;
pub mod checks;
pub mod compare;
mod digest;
mod error;
mod feed;
pub mod fs;
#[doc(hidden)]
pub mod fuzzing;
pub mod layer;
mod limits;
mod model;
mod reference;
pub mod registry_scan;
pub mod source;
pub mod spec;
mod targuard;
mod visitor;

pub use analyze::{
    Analysis, AnalyzeOptions, analyze, analyze_cached, analyze_source, analyze_source_cached,
};
pub use cache::Cache;
pub use digest::{Algorithm, Digest};
pub use error::{ImageError, Result};
pub use limits::Limits;
pub use model::{DeletedFile, ImageInfo, LayerInfo, SpecialFile};
pub use reference::{DOCKER_HUB, ImageRef, Platform, RegistryRef};
pub use source::{BlobStash, RegistryClient, RegistryOptions, RegistrySource};
pub use visitor::{FileVisitor, LayerFile};
