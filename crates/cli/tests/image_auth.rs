//! `rampart image` against Debian's `docker-registry` with htpasswd basic auth: anonymous pulls are
//! refused with a clear error; credentials from flags, `$REGISTRY_AUTH_FILE` (podman's auth.json)
//! and a docker `config.json` are accepted.

mod support;

use rampart_testkit::registry::Registry;
use std::path::Path;
use std::process::{Command, Output};

const USER: &str = "alice";
const PASSWORD: &str = "s3cret-pass";

fn base64(bytes: &[u8]) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Runs `rampart image REF --insecure …` with a clean environment: no credential files but those
/// given, and a private analysis cache.
fn scan(
    home: &Path,
    reference: &str,
    extra: &[&str],
    env: &[(&str, &Path)],
    stdin: &str,
) -> Output {
    let db_file = support::demo_db(home);
    let mut cmd = support::rampart_cmd(home);
    cmd.args([
        "image",
        reference,
        "--insecure",
        "-q",
        "-f",
        "json",
        "--scanners",
        "vuln",
    ])
    .arg("--db")
    .arg(&db_file)
    .args(extra);
    for (k, v) in env {
        cmd.env(k, v);
    }
    support::output_with_stdin(&mut cmd, Some(stdin))
}

fn packages(out: &Output) -> usize {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    report["packages"].as_array().unwrap().len()
}

#[test]
fn image_from_a_basic_auth_registry_with_flags_auth_file_and_docker_config() {
    let Some(images) = rampart_testkit::fixture("images") else {
        return;
    };
    let Some(reg) = Registry::start(Some((USER, PASSWORD))) else {
        return;
    };
    let st = Command::new("skopeo")
        .args(["copy", "-q", "--dest-tls-verify=false"])
        .arg(format!("--dest-creds={USER}:{PASSWORD}"))
        .arg(format!("oci:{}:minbase", images.join("oci").display()))
        .arg(format!("docker://{}/team/base:1", reg.host))
        .status()
        .unwrap();
    assert!(st.success(), "skopeo copy");
    let reference = format!("{}/team/base:1", reg.host);
    let home = reg.dir.path().join("home");
    std::fs::create_dir_all(&home).unwrap();

    let anonymous = scan(&home, &reference, &[], &[], "");
    assert_eq!(anonymous.status.code(), Some(2));
    let err = String::from_utf8_lossy(&anonymous.stderr);
    assert!(
        err.contains("unauthorized") && err.contains("--username") && err.contains(&reference),
        "{err}"
    );

    let wrong = scan(
        &home,
        &reference,
        &["--username", USER, "--password-stdin"],
        &[],
        "not-it\n",
    );
    let err = String::from_utf8_lossy(&wrong.stderr);
    assert!(
        !wrong.status.success() && err.contains("unauthorized"),
        "{err}"
    );
    assert!(
        !err.contains("not-it"),
        "the password is never printed: {err}"
    );

    let flags = scan(
        &home,
        &reference,
        &["--username", USER, "--password-stdin"],
        &[],
        &format!("{PASSWORD}\n"),
    );
    let n = packages(&flags);
    assert!(n > 50, "{n} packages");

    // podman's auth.json through $REGISTRY_AUTH_FILE (username/password form); a fresh cache each
    // time, so the manifest and blobs are fetched with these credentials.
    let auth_file = home.join("auth.json");
    std::fs::write(
        &auth_file,
        format!(
            r#"{{"auths":{{"{}":{{"username":"{USER}","password":"{PASSWORD}"}}}}}}"#,
            reg.host
        ),
    )
    .unwrap();
    std::fs::remove_dir_all(home.join("cache")).ok();
    let from_file = scan(
        &home,
        &reference,
        &[],
        &[("REGISTRY_AUTH_FILE", &auth_file)],
        "",
    );
    assert_eq!(packages(&from_file), n);

    // docker's config.json (base64 `auth` form) through $DOCKER_CONFIG.
    let docker = home.join("docker");
    std::fs::create_dir_all(&docker).unwrap();
    std::fs::write(
        docker.join("config.json"),
        format!(
            r#"{{"auths":{{"http://{}":{{"auth":"{}"}}}}}}"#,
            reg.host,
            base64(format!("{USER}:{PASSWORD}").as_bytes())
        ),
    )
    .unwrap();
    std::fs::remove_dir_all(home.join("cache")).ok();
    let from_docker = scan(&home, &reference, &[], &[("DOCKER_CONFIG", &docker)], "");
    assert_eq!(packages(&from_docker), n);
    assert_eq!(base64(b"ab"), "YWI=");
}
