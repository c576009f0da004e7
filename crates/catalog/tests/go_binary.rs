//! Catalogs a real Go binary from the Debian archive (`apt-get install docker-registry`).

use rampart_catalog::{Mode, WalkOptions, catalog_file};
use rampart_core::Ecosystem;
use std::path::Path;

#[test]
fn catalogs_go_toolchain_and_modules_of_docker_registry() {
    let bin = Path::new("/usr/bin/docker-registry");
    if !bin.exists() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI=true but /usr/bin/docker-registry is missing: apt-get install -y docker-registry"
        );
        eprintln!(
            "note: /usr/bin/docker-registry not installed; skipping (apt-get install -y docker-registry)"
        );
        return;
    }
    let opts = WalkOptions {
        mode: Mode::Rootfs,
        ..WalkOptions::default()
    };
    let inv = catalog_file(bin, &opts).unwrap();
    let stdlib = inv
        .packages
        .iter()
        .find(|p| p.ecosystem == Ecosystem::Go && p.name == "stdlib")
        .unwrap_or_else(|| panic!("no stdlib in {:#?}", inv.packages));
    assert!(stdlib.version.starts_with("1.19"), "{}", stdlib.version);
    assert!(!stdlib.version.starts_with("go"));
    assert_eq!(stdlib.locations[0].path, "usr/bin/docker-registry");
    for p in &inv.packages {
        eprintln!("{} {} {}", p.name, p.version, p.purl);
    }
}
