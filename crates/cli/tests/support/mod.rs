//! Helpers shared by the CLI tests that run `rampart` with a private home (its own analysis cache,
//! no credential files, no `RAMPART_DB` from the environment).
// each test binary uses a part of them
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// Runs `cmd`, which must succeed.
pub fn run_ok(cmd: &mut Command) -> Output {
    let out = cmd.output().expect("command runs");
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// `out`, which must be a success.
pub fn ok(out: Output) -> Output {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// A `rampart` command with `home` as its home: its own analysis cache, no credential files, no
/// `RAMPART_DB` from the environment.
pub fn rampart_cmd(home: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rampart"));
    cmd.env("HOME", home)
        .env("XDG_CACHE_HOME", home.join("cache"))
        .env_remove("REGISTRY_AUTH_FILE")
        .env_remove("DOCKER_CONFIG")
        .env_remove("XDG_RUNTIME_DIR")
        .env_remove("RAMPART_DB");
    cmd
}

/// Runs `cmd` with `stdin` (if any) on its standard input and returns what it printed.
pub fn output_with_stdin(cmd: &mut Command, stdin: Option<&str>) -> Output {
    let mut child = cmd
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("rampart starts");
    if let (Some(text), Some(mut input)) = (stdin, child.stdin.take()) {
        input.write_all(text.as_bytes()).expect("write stdin");
    }
    child.wait_with_output().expect("rampart ends")
}

/// `rampart ARGS` with `home` as its home, `stdin` on standard input.
pub fn rampart_in(home: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    output_with_stdin(rampart_cmd(home).args(args), stdin)
}

/// The demo database (examples/vulndb: PyPA advisories for the app image's urllib3 and
/// requests, and Debian's), built once per home.
pub fn demo_db(home: &Path) -> PathBuf {
    let db = home.join("demo.db");
    if !db.exists() {
        run_ok(
            Command::new(env!("CARGO_BIN_EXE_rampart"))
                .args(["db", "build", "-q", "--from"])
                .arg(concat!(
                    env!("CARGO_MANIFEST_DIR"),
                    "/../../examples/vulndb"
                ))
                .arg("--out")
                .arg(&db),
        );
    }
    db
}
