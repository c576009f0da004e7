//! Throttling storms and timeouts: a local endpoint that answers 503 or never answers. The scan finishes
//! with bounded retries and warnings naming what it missed.

use rampart_cloud::{AwsOptions, collect_blocking};
use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Serves every connection with 503 SlowDown; every third one hangs for 3 s first.
fn flaky_server() -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { continue };
            let n = counter.fetch_add(1, Ordering::SeqCst);
            std::thread::spawn(move || {
                let _ = s.set_read_timeout(Some(Duration::from_millis(500)));
                let mut buf = [0u8; 16384];
                let _ = s.read(&mut buf);
                if n % 3 == 2 {
                    std::thread::sleep(Duration::from_secs(3));
                }
                let body = "<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>";
                let _ = write!(
                    s,
                    "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
            });
        }
    });
    (url, hits)
}

#[test]
fn throttling_and_timeouts_become_warnings() {
    let (url, hits) = flaky_server();
    let o = AwsOptions {
        region: Some("us-east-1".into()),
        endpoint_url: Some(url),
        static_credentials: Some(("testing".into(), "testing".into())),
        max_attempts: 2,
        attempt_timeout: Duration::from_millis(800),
        operation_timeout: Duration::from_secs(3),
        ..AwsOptions::default()
    };
    let t = Instant::now();
    let inv = collect_blocking(&o).expect("a failing endpoint is not a failed scan");
    assert!(
        t.elapsed() < Duration::from_secs(60),
        "bounded: {:?}",
        t.elapsed()
    );
    assert!(
        inv.resources.is_empty(),
        "{:?}",
        inv.resources
            .iter()
            .map(|r| (&r.address, &r.attributes))
            .collect::<Vec<_>>()
    );
    let services: std::collections::BTreeSet<&str> =
        inv.warnings.iter().map(|w| w.service.as_str()).collect();
    for s in ["s3", "iam", "ec2", "kms", "cloudtrail"] {
        assert!(
            services.contains(s),
            "no warning for {s}: {:#?}",
            inv.warnings
        );
    }
    assert!(
        inv.warnings
            .iter()
            .any(|w| w.what.starts_with("ListBuckets"))
    );
    assert!(inv.warnings.iter().any(|w| w.what.starts_with("ListUsers")));
    assert!(
        hits.load(Ordering::SeqCst) <= 200,
        "retries are bounded: {} requests",
        hits.load(Ordering::SeqCst)
    );
}

/// Answers every request with IAM's 403 AccessDenied.
fn denying_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { continue };
            std::thread::spawn(move || {
                let _ = s.set_read_timeout(Some(Duration::from_millis(500)));
                let mut buf = [0u8; 16384];
                let _ = s.read(&mut buf);
                let body = "<ErrorResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>User is not authorized to perform: iam:GetAccountAuthorizationDetails</Message></Error><RequestId>1</RequestId></ErrorResponse>";
                let _ = write!(
                    s,
                    "HTTP/1.1 403 Forbidden\r\nContent-Type: text/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
            });
        }
    });
    url
}

#[test]
fn denied_authorization_details_are_a_warning() {
    let o = AwsOptions {
        region: Some("us-east-1".into()),
        endpoint_url: Some(denying_server()),
        static_credentials: Some(("testing".into(), "testing".into())),
        ..AwsOptions::default()
    };
    let (doc, warnings) = rampart_cloud::authorization_details_blocking(&o)
        .expect("AccessDenied is not a failed fetch");
    assert_eq!(doc["UserDetailList"], serde_json::json!([]));
    assert_eq!(doc["Policies"], serde_json::json!([]));
    // The IAM call, then the SCP chain (Organizations), which could not be read either.
    assert_eq!(warnings.len(), 2, "{warnings:#?}");
    assert_eq!(warnings[1].service, "organizations");
    assert!(
        warnings[1].what.starts_with("DescribeOrganization"),
        "{warnings:#?}"
    );
    assert_eq!(warnings[0].service, "iam");
    assert_eq!(warnings[0].what, "GetAccountAuthorizationDetails");
    assert!(
        warnings[0].error.starts_with("AccessDenied: "),
        "{warnings:#?}"
    );
}
