//! Entry points for cargo-fuzz: each parser of outside input must return (warnings allowed), never panic,
//! and stay within its bounds.

use crate::terraform::module::ModuleDecls;

/// Parses and evaluates a Terraform file (one module, no variables).
pub fn fuzz_hcl(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut decls = ModuleDecls::default();
    let mut warnings = Vec::new();
    decls.add_hcl("fuzz.tf", text, &mut warnings);
    crate::terraform::evaluate_standalone(&decls);
}

/// Loads a CloudFormation template (YAML, and JSON when it parses as JSON).
pub fn fuzz_cloudformation(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = crate::cloudformation::load_yaml("fuzz.yaml", text);
    let _ = crate::cloudformation::load_json("fuzz.json", text);
}

/// Parses and checks a Dockerfile.
pub fn fuzz_dockerfile(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let _ = crate::dockerfile::scan("fuzz", "Dockerfile", &text);
}

/// Loads a Terraform plan JSON document.
pub fn fuzz_plan_json(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(doc) = crate::jsonutil::parse_bounded(text) {
        let _ = crate::terraform::plan::load("plan.json", text, &doc);
    }
}
