//! Entry points for cargo-fuzz targets: any input must be handled without panicking.

use crate::context::{Request, RequestPrincipal};
use crate::eval::{PolicySet, evaluate};
use crate::policy::Policy;

/// Parses arbitrary bytes as a policy and evaluates a few requests against it (as identity and
/// resource policy).
pub fn fuzz_policy(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let parsed = Policy::parse("fuzz", &text);
    let p = &parsed.policy;
    let principal = RequestPrincipal::user("111122223333", "fuzz").with_tag("team", "a");
    for (action, resource) in [
        ("s3:GetObject", "arn:aws:s3:::bucket/key"),
        ("sts:AssumeRole", "arn:aws:iam::111122223333:role/r"),
        ("*", "*"),
    ] {
        let req = Request::new(principal.clone(), action, resource)
            .with("aws:SourceIp", "10.0.0.1")
            .with("aws:CurrentTime", "2024-01-01T00:00:00Z")
            .with_multi("aws:TagKeys", &["a", "b"]);
        let set = PolicySet {
            identity: vec![p],
            resource: vec![p],
            ..PolicySet::default()
        };
        let _ = evaluate(&req, &set);
        let _ = evaluate(&req.clone().incomplete(), &set);
    }
}

/// Parses arbitrary bytes as authorization details and runs the full analysis.
pub fn fuzz_auth_details(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Ok(account) = crate::account::Account::from_json(&text) {
        let opts = crate::analysis::Options {
            now: jiff::Timestamp::from_second(1_700_000_000).ok(),
            ..Default::default()
        };
        let a = crate::analysis::analyze(&account, &opts);
        let _ = crate::findings::findings(&a);
    }
}
