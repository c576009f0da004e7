//! `rampart sbom IMAGE`: the SBOM of the real `app` fixture image (built by
//! `scripts/fixtures/images.sh`), in CycloneDX 1.6 and SPDX 2.3, validated against the official
//! schemas (`crates/report/tests/schemas`, with Python `jsonschema` from the test venv of
//! `scripts/test-deps.sh`); its packages carry their layer, every image transport gives the same
//! SBOM, and `rampart sbom scan` of it finds the vulnerabilities `rampart image` finds.

use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// Validates `argv[3]` (kind `argv[2]`: cyclonedx or spdx) against the schemas in `argv[1]`; prints
/// the errors and exits 1 when it does not validate.
const VALIDATE_PY: &str = r#"
import json, os, sys
from jsonschema import validators
from referencing import Registry, Resource

schemas, kind, path = sys.argv[1:4]
def load(name):
    with open(os.path.join(schemas, name)) as f:
        return json.load(f)
if kind == "cyclonedx":
    schema = load("bom-1.6.schema.json")
    # The schemas bom-1.6 references, under the URIs it resolves them to (their $id).
    refs = [load("spdx.schema.json"), load("jsf-0.82.schema.json")]
    registry = Registry().with_resources((s["$id"], Resource.from_contents(s)) for s in refs)
else:
    schema = load("spdx-schema.json")
    registry = Registry()
with open(path) as f:
    doc = json.load(f)
cls = validators.validator_for(schema)
cls.check_schema(schema)
v = cls(schema, registry=registry, format_checker=cls.FORMAT_CHECKER)
errors = sorted(v.iter_errors(doc), key=lambda e: list(e.absolute_path))
for e in errors[:20]:
    print("at /" + "/".join(map(str, e.absolute_path)) + ": " + e.message[:300])
sys.exit(1 if errors else 0)
"#;

struct Env {
    dir: tempfile::TempDir,
    db: PathBuf,
}

impl Env {
    /// A private analysis cache and the demo database (examples/vulndb).
    fn new() -> Env {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("demo.db");
        let env = Env { dir, db };
        env.ok(&[
            "db",
            "build",
            "-q",
            "--from",
            concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/vulndb"),
            "--out",
            env.db.to_str().unwrap(),
        ]);
        env
    }

    fn rampart(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_rampart"))
            .args(args)
            .env("XDG_CACHE_HOME", self.dir.path().join("cache"))
            .env_remove("RAMPART_DB")
            .stdin(Stdio::null())
            .output()
            .unwrap()
    }

    fn ok(&self, args: &[&str]) -> Output {
        let out = self.rampart(args);
        assert!(
            out.status.success(),
            "rampart {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    /// `rampart sbom REF -f FORMAT`, written to a file; its path and the document.
    fn sbom(&self, reference: &str, format: &str, name: &str) -> (PathBuf, Value) {
        let path = self.dir.path().join(name);
        self.ok(&[
            "sbom",
            reference,
            "-f",
            format,
            "-o",
            path.to_str().unwrap(),
            "-q",
        ]);
        let doc = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        (path, doc)
    }

    /// The unsuppressed vulnerabilities of a JSON report: `id package version`.
    fn vulns(&self, args: &[&str]) -> BTreeSet<String> {
        let mut all = args.to_vec();
        all.extend(["--db", self.db.to_str().unwrap(), "-f", "json", "-q"]);
        let r: Value = serde_json::from_slice(&self.ok(&all).stdout).unwrap();
        r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f.get("suppressed").is_none())
            .filter_map(|f| {
                let v = f.get("vulnerability")?;
                let p = &v["package"];
                Some(format!("{} {} {}", v["id"], p["name"], p["version"]))
            })
            .collect()
    }
}

/// The Python with `jsonschema` (the venv of scripts/test-deps.sh); `None` (a failure under CI)
/// without it.
fn python() -> Option<PathBuf> {
    let py = rampart_testkit::moto::tools_venv().join("bin/python");
    let ok = Command::new(&py)
        .args(["-c", "import jsonschema, referencing"])
        .output()
        .is_ok_and(|o| o.status.success());
    if ok {
        return Some(py);
    }
    assert!(
        !rampart_testkit::in_ci(),
        "{} with jsonschema missing (run scripts/test-deps.sh)",
        py.display()
    );
    eprintln!("note: no Python jsonschema at {}; skipping", py.display());
    None
}

/// The schema errors of `doc` (empty when it validates).
fn schema_errors(py: &Path, kind: &str, doc: &Path) -> String {
    let schemas = concat!(env!("CARGO_MANIFEST_DIR"), "/../report/tests/schemas");
    let out = Command::new(py)
        .args(["-c", VALIDATE_PY, schemas, kind])
        .arg(doc)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    match out.status.code() {
        Some(0) => String::new(),
        Some(1) if !text.is_empty() => text,
        _ => panic!("the validator failed to run: {text}"),
    }
}

fn purls(doc: &Value, kind: &str) -> BTreeSet<String> {
    match kind {
        "cyclonedx" => doc["components"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|c| c["purl"].as_str().map(String::from))
            .collect(),
        _ => doc["packages"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|p| p["externalRefs"].as_array().into_iter().flatten())
            .filter(|r| r["referenceType"] == "purl")
            .filter_map(|r| r["referenceLocator"].as_str().map(String::from))
            .collect(),
    }
}

#[test]
fn image_sbom_validates_carries_layers_and_rescans_like_the_image() {
    let Some(images) = rampart_testkit::fixture("images") else {
        return;
    };
    let Some(py) = python() else { return };
    let env = Env::new();
    let oci = format!("oci:{}:app", images.join("oci").display());

    // `rampart image`: the packages with their layers, and the vulnerabilities.
    let out = env.ok(&[
        "image",
        &oci,
        "--scanners",
        "vuln",
        "--db",
        env.db.to_str().unwrap(),
        "-f",
        "json",
        "-q",
    ]);
    let image: Value = serde_json::from_slice(&out.stdout).unwrap();
    let layer_of = |name: &str| {
        let p = image["packages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("{name} in the image"));
        p["layer"]["digest"].as_str().unwrap().to_string()
    };
    let (requests_layer, base_layer) = (layer_of("requests"), layer_of("libc6"));
    assert_ne!(requests_layer, base_layer);
    let image_vulns = env.vulns(&["image", &oci, "--scanners", "vuln"]);
    assert!(
        image_vulns
            .iter()
            .any(|v| v == r#""CVE-2018-18074" "requests" "2.19.1""#),
        "{image_vulns:?}"
    );
    assert!(
        image_vulns.iter().any(|v| v.contains("\"urllib3\"")),
        "{image_vulns:?}"
    );

    for (kind, ext) in [("cyclonedx", "cdx.json"), ("spdx", "spdx.json")] {
        let (path, doc) = env.sbom(&oci, kind, &format!("app.{ext}"));
        let errors = schema_errors(&py, kind, &path);
        assert!(errors.is_empty(), "{kind} SBOM of {oci}:\n{errors}");

        // The validator rejects a broken document (it is not accepting everything).
        let mut broken = doc.clone();
        match kind {
            "cyclonedx" => broken["components"][0]["type"] = Value::from("not-a-type"),
            _ => broken["relationships"][0]["relationshipType"] = Value::from("OWNS"),
        }
        let broken_path = env.dir.path().join(format!("broken.{ext}"));
        std::fs::write(&broken_path, broken.to_string()).unwrap();
        assert!(!schema_errors(&py, kind, &broken_path).is_empty());

        // The image's packages, and what they are.
        let names = purls(&doc, kind);
        for p in [
            "pkg:pypi/requests@2.19.1",
            "pkg:pypi/urllib3@1.24.1",
            "pkg:pypi/pyyaml@5.3",
        ] {
            assert!(names.contains(p), "{kind}: {p} missing");
        }
        assert!(
            names.iter().all(|p| !p.starts_with("pkg:pypi/jinja2")),
            "{kind}: Jinja2 was deleted by layer 2"
        );
        assert!(
            names
                .iter()
                .any(|p| p.starts_with("pkg:deb/debian/libc6@") && p.contains("distro=debian-12")),
            "{kind}: {names:?}"
        );
        match kind {
            "cyclonedx" => {
                assert_eq!(doc["metadata"]["component"]["type"], "container");
                let layer = |name: &str| {
                    let c = doc["components"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .find(|c| c["name"] == name)
                        .unwrap();
                    c["properties"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .find(|p| p["name"] == "rampart:layer-digest")
                        .and_then(|p| p["value"].as_str())
                        .map(String::from)
                };
                assert_eq!(layer("requests"), Some(requests_layer.clone()));
                assert_eq!(layer("libc6"), Some(base_layer.clone()));
            }
            _ => {
                let root = &doc["packages"][0];
                assert_eq!(root["primaryPackagePurpose"], "CONTAINER");
                assert_eq!(root["name"], oci.as_str());
                // the layer as an annotation, the way Trivy writes it in SPDX
                let layer = |name: &str| {
                    doc["packages"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .find(|p| p["name"] == name)
                        .and_then(|p| p["annotations"].as_array())
                        .into_iter()
                        .flatten()
                        .filter_map(|a| a["comment"].as_str())
                        .find_map(|c| c.strip_prefix("LayerDigest: "))
                        .map(String::from)
                };
                assert_eq!(layer("requests"), Some(requests_layer.clone()));
                assert_eq!(layer("libc6"), Some(base_layer.clone()));
            }
        }

        // Scanning the SBOM finds what scanning the image finds.
        let sbom_vulns = env.vulns(&["sbom", "scan", path.to_str().unwrap()]);
        assert_eq!(sbom_vulns, image_vulns, "{kind}");
    }

    // Every image transport gives the same SBOM packages (each analysed afresh: the cache would
    // answer the same image from any transport).
    let (_, from_oci) = env.sbom(&oci, "cyclonedx", "oci.cdx.json");
    for reference in [
        format!("oci-archive:{}", images.join("app.oci.tar").display()),
        format!("docker-archive:{}", images.join("app.docker.tar").display()),
    ] {
        std::fs::remove_dir_all(env.dir.path().join("cache")).unwrap();
        let (_, doc) = env.sbom(&reference, "cyclonedx", "other.cdx.json");
        assert_eq!(
            purls(&doc, "cyclonedx"),
            purls(&from_oci, "cyclonedx"),
            "{reference}"
        );
        assert_eq!(doc["metadata"]["component"]["name"], reference.as_str());
    }
}

#[test]
fn sbom_of_a_missing_path_or_image_is_a_clear_error() {
    let env = Env {
        dir: tempfile::tempdir().unwrap(),
        db: PathBuf::new(),
    };
    let missing = env.dir.path().join("nothing-here");
    let out = env.rampart(&["sbom", missing.to_str().unwrap(), "-q"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("does not exist"), "{err}");

    let layout = format!("oci:{}:app", missing.display());
    let out = env.rampart(&["sbom", &layout, "-q"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not an OCI image layout"), "{err}");
}
