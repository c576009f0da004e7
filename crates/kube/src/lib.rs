//! Rampart's Kubernetes support: manifest and snapshot loading, Pod Security Standards, workload checks.
//!
//! For manifests the pipeline is [`load_path`] (or [`load_reader`] for `helm template` /
//! `kustomize build` output on stdin) → [`scan`] → findings, plus [`compliance`] for a `pss-baseline` /
//! `pss-restricted` summary. A snapshot directory of `kubectl get -o json` lists loads like any other
//! tree; with the `live` feature, [`live::load_live`] lists the same objects from a cluster's API
//! server (kubeconfig, context or in-cluster service account).

pub mod checks;
pub mod compliance;
pub mod error;
pub mod fuzzing;
mod index;
mod lines;
#[cfg(feature = "live")]
pub mod live;
pub mod load;
pub mod object;
mod parse;
pub mod podspec;
pub mod pss;
pub mod rbac;
pub mod scan;
mod selector;
pub mod suppress;
mod walk;

pub use checks::{Exposure, ExposureKind, exposures};
pub use compliance::{Framework, compliance};
pub use error::{LoadError, SuppressionError, UnknownName, VersionError};
pub use load::{LoadOptions, Loaded, load_path, load_reader, load_str};
pub use object::{KubeObject, Source};
pub use podspec::{PodSpecRef, pod_spec, pod_specs};
pub use pss::{Level, PolicyVersion};
pub use rampart_core::{ComplianceSummary, ControlStatus};
pub use scan::{ScanOptions, scan};
pub use suppress::SuppressionFile;
