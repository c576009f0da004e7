//! Every case of every `suite.yaml` in the Gatekeeper library gives the verdict `gator verify` gives.

use rampart_posture::Limits;
use rampart_posture::gatekeeper::verify::verify_path;

#[test]
fn gatekeeper_library_suites_pass_like_gator_verify() {
    let Some(root) = rampart_testkit::shared("testdata/gatekeeper-library/library") else {
        return;
    };
    let suites = verify_path(&root, Limits::default()).expect("walk library");
    let mut total = 0;
    let mut failures = Vec::new();
    for suite in &suites {
        if let Some(e) = &suite.error {
            failures.push(format!("{}: {e}", suite.path.display()));
        }
        for case in &suite.cases {
            total += 1;
            if !case.passed {
                failures.push(format!(
                    "{} {}: {}",
                    suite.path.display(),
                    case.name,
                    case.reason
                ));
            }
        }
    }
    eprintln!(
        "gatekeeper-library: {} suites, {}/{} cases passed",
        suites.len(),
        total - failures.len(),
        total
    );
    assert!(total >= 134, "only {total} cases found");
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Templates that also carry `K8sNativeValidation` code give the same verdicts under CEL.
#[cfg(feature = "cel")]
#[test]
fn gatekeeper_library_suites_pass_under_cel() {
    use rampart_posture::gatekeeper::ConstraintTemplate;
    use rampart_posture::gatekeeper::verify::verify_path_with;
    let Some(root) = rampart_testkit::shared("testdata/gatekeeper-library/library") else {
        return;
    };
    let suites = verify_path_with(&root, Limits::default(), true).expect("walk library");
    let (mut total, mut failures) = (0, Vec::new());
    for suite in &suites {
        let dir = suite.path.parent().expect("suite folder");
        let has_cel = ConstraintTemplate::load(&dir.join("template.yaml"), Limits::default())
            .map(|t| t.has_cel())
            .unwrap_or(false);
        if !has_cel {
            continue;
        }
        for case in &suite.cases {
            total += 1;
            if !case.passed {
                failures.push(format!(
                    "{} {}: {}",
                    suite.path.display(),
                    case.name,
                    case.reason
                ));
            }
        }
    }
    eprintln!(
        "gatekeeper-library under CEL: {}/{} cases passed",
        total - failures.len(),
        total
    );
    for f in &failures {
        eprintln!("FAIL {f}");
    }
    assert!(total > 0);
    assert!(failures.is_empty(), "{} failures", failures.len());
}
