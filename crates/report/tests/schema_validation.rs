//! Every machine-readable format validates against its official JSON schema (copied into
//! `tests/schemas`, see its README for origins). Validation runs offline: the schemas a CycloneDX
//! BOM references are registered under the URIs the BOM schema resolves them to.

mod common;

use common::{empty_report, render_json, sample_report};
use jsonschema::{Registry, Validator};
use rampart_report::Format;
use serde_json::Value;
use std::path::PathBuf;

fn schema(name: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/schemas")
        .join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("parsing {}: {e}", path.display()))
}

fn assert_valid(validator: &Validator, doc: &Value, what: &str) {
    let errors: Vec<String> = validator
        .iter_errors(doc)
        .map(|e| format!("  at {}: {e}", e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{what} does not validate against its schema:\n{}\n--- document ---\n{}",
        errors.join("\n"),
        serde_json::to_string_pretty(doc).unwrap_or_default()
    );
}

fn plain_validator(name: &str) -> Validator {
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema(name))
        .unwrap_or_else(|e| panic!("compiling {name}: {e}"))
}

#[test]
fn sarif_output_validates_against_sarif_2_1_0_schema() {
    let validator = plain_validator("sarif-schema-2.1.0.json");
    assert_valid(
        &validator,
        &render_json(&sample_report(), Format::Sarif),
        "SARIF",
    );
    assert_valid(
        &validator,
        &render_json(&empty_report(), Format::Sarif),
        "empty SARIF",
    );
}

#[test]
fn cyclonedx_output_validates_against_cyclonedx_1_6_schema() {
    let registry = Registry::new()
        .add(
            "http://cyclonedx.org/schema/spdx.schema.json",
            schema("spdx.schema.json"),
        )
        .and_then(|r| {
            r.add(
                "http://cyclonedx.org/schema/jsf-0.82.schema.json",
                schema("jsf-0.82.schema.json"),
            )
        })
        .and_then(|r| r.prepare())
        .expect("registry of referenced schemas");
    let validator = jsonschema::options()
        .with_registry(&registry)
        .should_validate_formats(true)
        .build(&schema("bom-1.6.schema.json"))
        .expect("compiling bom-1.6.schema.json");
    assert_valid(
        &validator,
        &render_json(&sample_report(), Format::CycloneDx),
        "CycloneDX",
    );
    assert_valid(
        &validator,
        &render_json(&empty_report(), Format::CycloneDx),
        "empty CycloneDX",
    );
}

#[test]
fn spdx_output_validates_against_spdx_2_3_schema() {
    let validator = plain_validator("spdx-schema.json");
    assert_valid(
        &validator,
        &render_json(&sample_report(), Format::Spdx),
        "SPDX",
    );
    assert_valid(
        &validator,
        &render_json(&empty_report(), Format::Spdx),
        "empty SPDX",
    );
}

#[test]
fn schemas_reject_a_broken_document() {
    // Guards against a validator that accepts everything (e.g. a schema that failed to load).
    let validator = plain_validator("sarif-schema-2.1.0.json");
    let mut doc = render_json(&sample_report(), Format::Sarif);
    doc["runs"][0]["results"][0]["level"] = Value::from("fatal");
    assert!(!validator.is_valid(&doc));
    let validator = plain_validator("spdx-schema.json");
    let mut doc = render_json(&sample_report(), Format::Spdx);
    doc["relationships"][0]["relationshipType"] = Value::from("OWNS");
    assert!(!validator.is_valid(&doc));
}
