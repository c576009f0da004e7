//! Entry points for cargo-fuzz: each runs one parser on arbitrary bytes and ignores the result.
//! Not a stable API.

const PATH: &str = "fuzz";

/// dpkg status database.
pub fn fuzz_dpkg_status(data: &[u8]) {
    let _ = crate::dpkg::parse_status(PATH, &crate::text::lossy(data), true);
}

/// apk installed database.
pub fn fuzz_apk_installed(data: &[u8]) {
    let _ = crate::apk::parse_installed(PATH, &crate::text::lossy(data));
}

/// npm package-lock.json.
pub fn fuzz_package_lock(data: &[u8]) {
    let _ = crate::npm::parse_package_lock(PATH, data);
}

/// yarn.lock, classic and berry.
pub fn fuzz_yarn_lock(data: &[u8]) {
    let _ = crate::yarn::parse_yarn_lock(PATH, &crate::text::lossy(data));
}

/// Cargo.lock.
pub fn fuzz_cargo_lock(data: &[u8]) {
    let _ = crate::cargo::parse_cargo_lock(PATH, data);
}

/// Go build info in a binary.
pub fn fuzz_go_buildinfo(data: &[u8]) {
    if let Some((version, modinfo)) = crate::gobin::read_buildinfo(data) {
        let _ = crate::gobin::packages(PATH, &version, &modinfo);
    }
}

/// Gemfile.lock.
pub fn fuzz_gemfile_lock(data: &[u8]) {
    let _ = crate::ruby::parse_gemfile_lock(PATH, &crate::text::lossy(data));
}

/// pip requirements files.
pub fn fuzz_requirements(data: &[u8]) {
    let _ = crate::python::parse_requirements(PATH, &crate::text::lossy(data));
}

/// RPM header blobs.
pub fn fuzz_rpm_header(data: &[u8]) {
    let _ = crate::rpm::parse_header(data);
}

/// CycloneDX / SPDX JSON SBOMs.
pub fn fuzz_sbom(data: &[u8]) {
    let _ = crate::read_sbom(PATH, data);
}
