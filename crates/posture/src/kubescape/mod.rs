//! kubescape regolibrary compatibility: rules (`data.armo_builtins.deny`), the opa-utils dependency
//! modules, config inputs, controls and frameworks as data, and the upstream per-rule test cases.

mod aggregate;
pub mod compare;
mod library;
mod rule;
pub mod testcase;

pub use library::{KsControl, KsFramework, Library};
pub use rule::{ControlInputs, Rule};
