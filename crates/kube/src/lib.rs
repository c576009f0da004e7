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

/// The id of every check this crate reports: the built-in workload checks (`k8s:*`), the Pod
/// Security Standards checks (`pss:*`, as Kubernetes names them) and the RBAC risks (`rbac:*`).
/// `check-ids.txt` at the crate root lists the same ids for the framework definitions' tests.
pub fn check_ids() -> Vec<String> {
    let mut ids: Vec<String> = checks::CATALOGUE
        .iter()
        .map(|c| c.id.to_string())
        .chain(pss::CHECKS.iter().map(|d| format!("pss:{}", d.id)))
        .chain(rbac::risks::check_ids())
        .collect();
    ids.sort();
    ids
}

#[cfg(test)]
mod check_ids_tests {
    /// `check-ids.txt` is what the posture crate checks framework definitions against: keep it
    /// equal to the catalogues (regenerate with `RAMPART_BLESS=1`).
    #[test]
    fn check_ids_file_matches_the_catalogues() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/check-ids.txt");
        let want = super::check_ids().join("\n") + "\n";
        if std::env::var_os("RAMPART_BLESS").is_some() {
            std::fs::write(path, &want).expect("write check-ids.txt");
        }
        let have = std::fs::read_to_string(path).unwrap_or_default();
        assert_eq!(
            have, want,
            "{path} is out of date: run this test with RAMPART_BLESS=1"
        );
    }

    #[test]
    fn every_check_names_a_mitre_technique() {
        use crate::checks::catalogue::MITRE;
        for risk in crate::rbac::risks::all_risks() {
            assert!(
                risk.mitre.starts_with('T'),
                "rbac:{} has no MITRE ATT&CK technique",
                risk.slug
            );
        }
        for c in crate::checks::CATALOGUE {
            assert!(
                c.controls.iter().any(|(fw, _)| *fw == MITRE),
                "{} has no MITRE ATT&CK technique",
                c.id
            );
        }
        for d in crate::pss::CHECKS {
            assert!(
                crate::scan::pss_extra_controls(d.id)
                    .iter()
                    .any(|(fw, _)| *fw == MITRE),
                "pss:{} has no MITRE ATT&CK technique",
                d.id
            );
        }
    }
}
