//! Registry access behind token auth, listing pagination and `since`, against the real Debian
//! `docker-registry` (distribution 2.8) on loopback: in token mode it trusts the certificate of the
//! testkit's token service, which checks basic credentials and signs RS256 JWTs granting the scopes
//! asked for. Images are pushed by `skopeo`; the small ones are built with `umoci`.

use rampart_image::registry_scan::{RegistryScanOptions, scan_registry};
use rampart_image::{AnalyzeOptions, Cache, ImageRef, RegistryClient, RegistryOptions};
use rampart_testkit::registry::{Auth, Registry, have};
use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

const USER: &str = "alice";
const PASSWORD: &str = "t0ken-pass";

fn registry_opts(creds: Option<(&str, &str)>) -> RegistryOptions {
    RegistryOptions {
        insecure: true,
        username: creds.map(|c| c.0.to_string()),
        password: creds.map(|c| c.1.to_string()),
        attempts: 1,
        ..RegistryOptions::default()
    }
}

fn analyze_opts(creds: Option<(&str, &str)>) -> AnalyzeOptions {
    AnalyzeOptions {
        registry: registry_opts(creds),
        ..AnalyzeOptions::default()
    }
}

/// True when skopeo and umoci are installed (a failure under CI otherwise).
fn tools() -> bool {
    have("skopeo", "skopeo") && have("umoci", "umoci")
}

fn now_rfc3339() -> String {
    jiff::Timestamp::now().to_string()
}

/// The request targets of the registry's access log that contain `needle`.
fn log_requests(reg: &Registry, needle: &str) -> Vec<String> {
    std::fs::read_to_string(&reg.log)
        .unwrap_or_default()
        .lines()
        .filter(|l| l.contains("\"GET /v2/"))
        .filter_map(|l| l.split_whitespace().nth(6).map(str::to_string))
        .filter(|t| t.contains(needle))
        .collect()
}

#[test]
fn token_registry_pushes_and_pulls_with_credentials_and_refuses_anonymous() {
    let Some(images) = rampart_testkit::fixture("images") else {
        return;
    };
    if !have("skopeo", "skopeo") {
        return;
    }
    let Some(reg) = Registry::start_token(USER, PASSWORD) else {
        return;
    };
    reg.push_as(
        &images.join("oci"),
        "minbase",
        "team/base:1",
        Some(&format!("{USER}:{PASSWORD}")),
    );
    let pushes = reg.token_requests();
    assert!(
        pushes.iter().any(|r| r.user.as_deref() == Some(USER)
            && r.status == 200
            && r.scopes
                .iter()
                .any(|s| s.starts_with("repository:team/base:") && s.contains("push"))),
        "{pushes:?}"
    );
    let r = ImageRef::parse(&format!("{}/team/base:1", reg.host)).unwrap();

    let err = rampart_image::analyze(&r, &analyze_opts(None), None)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("team/base:1") && err.contains("unauthorized"),
        "{err}"
    );
    let err = rampart_image::analyze(&r, &analyze_opts(Some((USER, "wrong"))), None)
        .unwrap_err()
        .to_string();
    assert!(err.contains("unauthorized"), "{err}");
    assert!(
        reg.token_requests()
            .iter()
            .any(|t| t.user.as_deref() == Some(USER) && t.status == 401),
        "the wrong password reached the token service"
    );

    let before = reg.token_requests().len();
    let a = rampart_image::analyze(&r, &analyze_opts(Some((USER, PASSWORD))), None).unwrap();
    assert_eq!(a.image.layers.len(), 1);
    assert!(a.inventory.packages.len() > 50);
    let pulls = reg.token_requests().split_off(before);
    assert!(
        pulls.iter().all(|t| t.status == 200
            && t.user.as_deref() == Some(USER)
            && t.scopes == ["repository:team/base:pull"]),
        "{pulls:?}"
    );
    // The layer really came through the token-protected blob endpoint.
    assert!(!reg.blob_gets().is_empty());
}

#[test]
fn token_registry_scan_lists_the_catalog_and_tags_with_their_scopes() {
    if !tools() {
        return;
    }
    let Some(reg) = Registry::start_token(USER, PASSWORD) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let now = now_rfc3339();
    let layout = rampart_testkit::registry::small_images(
        tmp.path(),
        &[("a", &now), ("b", &now), ("c", &now), ("d", &now)],
    );
    let creds = format!("{USER}:{PASSWORD}");
    for (tag, dest) in [
        ("a", "team/one:1"),
        ("b", "team/one:2"),
        ("c", "team/one:3"),
        ("a", "team/two:latest"),
        ("d", "other/three:x"),
    ] {
        reg.push_as(&layout, tag, dest, Some(&creds));
    }

    // Without credentials the catalog is refused: the token service grants no access.
    let cache = Cache::new(tmp.path().join("cache"));
    let mut opts = RegistryScanOptions::new(reg.host.clone());
    opts.analyze = analyze_opts(None);
    opts.page_size = 2;
    let err = scan_registry(&opts, &cache).unwrap_err().to_string();
    assert!(
        err.contains("catalog") && err.contains("unauthorized"),
        "{err}"
    );

    // A wrong password: the token service refuses it, and says so.
    opts.analyze = analyze_opts(Some((USER, "wrong")));
    let err = scan_registry(&opts, &cache).unwrap_err().to_string();
    assert!(
        err.contains("catalog") && err.contains("unauthorized") && err.contains("token service"),
        "{err}"
    );
    assert!(!err.contains("wrong"), "{err}");

    let before = reg.token_requests().len();
    let listed = log_requests(&reg, "/v2/_catalog").len();
    opts.analyze = analyze_opts(Some((USER, PASSWORD)));
    let scan = scan_registry(&opts, &cache).unwrap();
    assert!(scan.errors.is_empty(), "{:?}", scan.errors);
    let refs: Vec<Vec<String>> = scan.images.iter().map(|i| i.references.clone()).collect();
    let h = &reg.host;
    let mut all: Vec<String> = refs.concat();
    all.sort();
    assert_eq!(
        all,
        [
            format!("{h}/other/three:x"),
            format!("{h}/team/one:1"),
            format!("{h}/team/one:2"),
            format!("{h}/team/one:3"),
            format!("{h}/team/two:latest"),
        ]
    );
    assert_eq!(
        scan.images.len(),
        4,
        "team/one:1 and team/two:latest are one image"
    );
    assert!(scan.images.iter().all(|i| i.analysis.is_ok()));

    let asked = reg.token_requests().split_off(before);
    let scoped = |scope: &str| {
        asked
            .iter()
            .filter(|t| t.scopes.iter().any(|s| s == scope))
            .collect::<Vec<_>>()
    };
    // Two catalog pages (three repositories, two a page), one token: cached for its scope.
    let pages = log_requests(&reg, "/v2/_catalog").split_off(listed);
    assert!(pages.len() >= 2, "{pages:?}");
    let catalog = scoped("registry:catalog:*");
    assert_eq!(catalog.len(), 1, "{asked:?}");
    assert!(catalog[0].user.as_deref() == Some(USER) && catalog[0].status == 200);
    assert_eq!(catalog[0].service.as_deref(), Some("rampart-test-registry"));
    for repo in ["team/one", "team/two", "other/three"] {
        assert!(
            !scoped(&format!("repository:{repo}:pull")).is_empty(),
            "no token asked for {repo}: {asked:?}"
        );
    }
}

#[test]
fn listing_tokens_are_cached_until_they_expire() {
    let Some(reg) = Registry::start_with(Auth::Token {
        user: USER,
        password: PASSWORD,
        expires_in: 2,
    }) else {
        return;
    };
    let client = RegistryClient::new(&reg.host, &registry_opts(Some((USER, PASSWORD)))).unwrap();
    let catalog_tokens = || {
        reg.token_requests()
            .iter()
            .filter(|t| t.scopes == ["registry:catalog:*"])
            .count()
    };
    assert!(client.catalog(100, 10).unwrap().is_empty());
    assert!(client.catalog(100, 10).unwrap().is_empty());
    assert_eq!(
        catalog_tokens(),
        1,
        "the second listing asked for a token again"
    );
    // once the 2 s token has expired, the next listing asks for a new one
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while catalog_tokens() < 2 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
        assert!(client.catalog(100, 10).unwrap().is_empty());
    }
    assert_eq!(catalog_tokens(), 2, "an expired token was used");
}

#[test]
fn catalog_and_tags_are_read_page_by_page() {
    if !tools() {
        return;
    }
    let Some(reg) = Registry::start(None) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let now = now_rfc3339();
    let tags = ["t1", "t2", "t3", "t4", "t5"];
    let layout =
        rampart_testkit::registry::small_images(tmp.path(), &tags.map(|t| (t, now.as_str())));
    let repos = ["p/r1", "p/r2", "p/r3", "p/r4", "p/r5"];
    for (repo, tag) in repos.iter().zip(tags) {
        reg.push(&layout, tag, &format!("{repo}:{tag}"));
    }
    for tag in tags {
        reg.push(&layout, tag, &format!("p/r1:{tag}"));
    }
    let client = RegistryClient::new(&reg.host, &registry_opts(None)).unwrap();
    let before = log_requests(&reg, "/v2/_catalog").len();
    assert_eq!(client.catalog(100, 2).unwrap(), repos);
    let pages = log_requests(&reg, "/v2/_catalog").split_off(before);
    eprintln!("catalog pages: {pages:?}");
    // n=2: r1 r2 | r3 r4 | r5, the later pages through the registry's relative Link headers.
    assert_eq!(pages.len(), 3, "{pages:?}");
    assert!(pages[0].contains("n=2") && !pages[0].contains("last="));
    assert!(pages[1].contains("last=p%2Fr2") || pages[1].contains("last=p/r2"));
    assert!(pages[2].contains("last=p%2Fr4") || pages[2].contains("last=p/r4"));
    // At most `max`.
    assert_eq!(client.catalog(3, 2).unwrap(), &repos[..3]);

    // Distribution 2.8 ignores `n` for tags (tag pagination came with 3.0): the whole list, in
    // storage order, in one answer; the follow-up `last=` request a full page leads to adds nothing
    // and ends the listing. Paginated tag lists are tested with the fake registry below.
    let before = log_requests(&reg, "/tags/list").len();
    let mut listed = client.list_tags("p/r1", 100, 2).unwrap();
    let pages = log_requests(&reg, "/tags/list").split_off(before);
    eprintln!("tag pages: {pages:?}");
    assert!(pages.len() <= 2, "{pages:?}");
    listed.sort();
    assert_eq!(listed, tags);
    assert_eq!(client.list_tags("p/r1", 4, 2).unwrap().len(), 4);
    assert!(client.list_tags("../x", 4, 2).is_err());

    // The whole scan with pages of two.
    let cache = Cache::new(tmp.path().join("cache"));
    let mut opts = RegistryScanOptions::new(format!("{}/p", reg.host));
    opts.analyze = analyze_opts(None);
    opts.page_size = 2;
    let scan = scan_registry(&opts, &cache).unwrap();
    assert!(scan.errors.is_empty(), "{:?}", scan.errors);
    assert_eq!(scan.images.len(), 5);
    let n: usize = scan.images.iter().map(|i| i.references.len()).sum();
    assert_eq!(n, 9, "5 tags of p/r1 + one in each of the other four");
}

#[test]
fn since_skips_images_created_before_it() {
    if !tools() {
        return;
    }
    let Some(reg) = Registry::start(None) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let now = now_rfc3339();
    let layout = rampart_testkit::registry::small_images(
        tmp.path(),
        &[
            ("old", "2001-02-03T04:05:06Z"),
            ("older", "1999-12-31T23:59:59Z"),
            ("new", &now),
        ],
    );
    reg.push(&layout, "old", "team/app:2001");
    reg.push(&layout, "older", "team/legacy:1999");
    reg.push(&layout, "new", "team/app:fresh");
    let cache = Cache::new(tmp.path().join("cache"));
    let mut opts = RegistryScanOptions::new(reg.host.clone());
    opts.analyze = analyze_opts(None);
    opts.since = Some(SystemTime::now() - Duration::from_secs(24 * 3600));
    let scan = scan_registry(&opts, &cache).unwrap();
    assert!(scan.errors.is_empty(), "{:?}", scan.errors);
    let h = &reg.host;
    assert_eq!(
        scan.skipped,
        [
            format!("{h}/team/app:2001"),
            format!("{h}/team/legacy:1999")
        ]
    );
    assert_eq!(scan.images.len(), 1);
    assert_eq!(scan.images[0].references, [format!("{h}/team/app:fresh")]);
    assert!(scan.images[0].analysis.is_ok());

    // Once analysed (cached), `since` is judged from the cache; without it, everything is scanned.
    opts.since = None;
    let all = scan_registry(&opts, &cache).unwrap();
    assert_eq!(all.images.len(), 3);
    assert!(all.skipped.is_empty());
    opts.since = Some(SystemTime::now() - Duration::from_secs(24 * 3600));
    let again = scan_registry(&opts, &cache).unwrap();
    assert_eq!(again.skipped.len(), 2);
    assert_eq!(again.images.len(), 1);
    assert!(again.images[0].cached);
}

/// What a fake registry answers for a request target: status, `Link` header, body.
type Answer = (u16, Option<String>, String);

/// A fake registry on loopback answering each request with `script(host, target)`; it records the
/// targets asked for.
fn fake(
    script: impl Fn(&str, &str) -> Answer + Send + 'static,
) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let host = listener.local_addr().unwrap().to_string();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let (record, me) = (seen.clone(), host.clone());
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { continue };
            let mut head = Vec::new();
            let mut buf = [0u8; 2048];
            while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                match conn.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => head.extend_from_slice(&buf[..n]),
                }
            }
            let head = String::from_utf8_lossy(&head).to_string();
            let target = head.split_whitespace().nth(1).unwrap_or("").to_string();
            record.lock().unwrap().push(target.clone());
            let (status, link, body) = script(&me, &target);
            let link = link.map(|l| format!("Link: {l}\r\n")).unwrap_or_default();
            let _ = write!(
                conn,
                "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\n{link}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    (host, seen)
}

#[test]
fn next_links_absolute_or_relative_are_followed_and_foreign_ones_refused() {
    let (host, seen) = fake(|host, target| {
        let page = |link: Option<String>, names: &str| {
            (200, link, format!(r#"{{"repositories":[{names}]}}"#))
        };
        match target {
            // Relative to the request URL (no leading slash), then absolute, then the end.
            "/v2/_catalog?n=2" => page(
                Some(r#"<_catalog?n=2&last=b>; rel="next""#.into()),
                r#""a","b""#,
            ),
            "/v2/_catalog?n=2&last=b" => page(
                Some(format!(
                    r#"<http://{host}/v2/_catalog?n=2&last=d>; rel="next""#
                )),
                r#""c","d""#,
            ),
            "/v2/_catalog?n=2&last=d" => page(None, r#""e""#),
            // Another host: refused (the token would go with it).
            "/v2/_catalog?n=1" => page(
                Some(r#"<http://127.0.0.2:9/v2/_catalog?n=1&last=a>; rel="next""#.into()),
                r#""a""#,
            ),
            // Always the same page with a link to itself: stops when nothing new comes.
            "/v2/_catalog?n=3" => page(
                Some(r#"</v2/_catalog?n=3>; rel="next""#.into()),
                r#""x","y","z""#,
            ),
            "/v2/team/app/tags/list?n=2" => (
                200,
                Some(r#"</v2/team/app/tags/list?n=2&last=2>; rel="next""#.into()),
                r#"{"name":"team/app","tags":["1","2"]}"#.into(),
            ),
            "/v2/team/app/tags/list?n=2&last=2" => {
                (200, None, r#"{"name":"team/app","tags":["3"]}"#.into())
            }
            _ => (404, None, "{}".into()),
        }
    });
    let client = RegistryClient::new(&host, &registry_opts(None)).unwrap();
    assert_eq!(client.catalog(100, 2).unwrap(), ["a", "b", "c", "d", "e"]);
    assert_eq!(
        *seen.lock().unwrap(),
        [
            "/v2/_catalog?n=2",
            "/v2/_catalog?n=2&last=b",
            "/v2/_catalog?n=2&last=d"
        ]
    );
    let err = client.catalog(100, 1).unwrap_err().to_string();
    assert!(err.contains("outside the registry"), "{err}");
    assert_eq!(client.catalog(100, 3).unwrap(), ["x", "y", "z"]);
    assert_eq!(
        seen.lock()
            .unwrap()
            .iter()
            .filter(|t| *t == "/v2/_catalog?n=3")
            .count(),
        2
    );
    assert_eq!(
        client.list_tags("team/app", 10, 2).unwrap(),
        ["1", "2", "3"]
    );
}
