//! Rampart's infrastructure-as-code scanner.
//!
//! Loaders turn Terraform configurations (HCL and JSON syntax), Terraform plan JSON and CloudFormation
//! templates into one normalised, Terraform-shaped [`Resource`] document per cloud resource; the AWS
//! checks in [`checks`] run on those documents (and, later, on the same documents produced by the live
//! collectors). Dockerfiles are checked directly. Values that cannot be known statically stay unknown and a
//! check that needs one reports an unknown outcome instead of guessing.
//!
//! Architecture invariant: loaders never judge and checks never do I/O.

pub mod checkov;
pub mod checks;
pub mod cloudformation;
pub mod dockerfile;
pub mod drift;
pub mod fuzzing;
mod jsonutil;
mod lines;
pub mod resource;
pub mod scan;
pub mod suppress;
pub mod terraform;
pub mod value;

pub use resource::{Attr, Origin, Outcome, Resource, ResourceSet, SourceSpan};
pub use scan::{IacReport, Options, UnknownOutcome, scan_dir};
pub use terraform::VarInputs;
