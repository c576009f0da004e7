use super::*;
use crate::digest::Digest;
use crate::model::LayerInfo;
use crate::reference::Platform;
use rampart_core::{Ecosystem, FixState, VulnerabilityInfo};

fn image(reference: &str, sizes: &[u64]) -> ImageInfo {
    let mut info: ImageInfo = serde_json::from_value(serde_json::json!({
        "reference": reference,
        "config_digest": Digest::sha256(reference.as_bytes()).to_string(),
        "platform": Platform::host(),
        "layers": [],
        "paths": 0,
    }))
    .unwrap();
    info.layers = sizes
        .iter()
        .enumerate()
        .map(|(i, s)| LayerInfo {
            index: i as u32,
            digest: None,
            diff_id: Digest::sha256(&[i as u8]),
            media_type: String::new(),
            size: *s,
            uncompressed_size: s * 2,
            entries: 1,
            created_by: None,
        })
        .collect();
    info
}

fn vuln(id: &str, pkg: &Package, severity: Severity) -> Finding {
    Finding::vulnerability(
        "img",
        id.into(),
        severity,
        VulnerabilityInfo {
            id: id.into(),
            aliases: vec![],
            package: pkg.clone(),
            installed_version: pkg.version.clone(),
            fixed_versions: vec![],
            fix_state: FixState::NotFixed,
            cvss: vec![],
            kev: None,
            epss: None,
            sources: vec![],
            references: vec![],
            published: None,
        },
    )
}

#[test]
fn counts_side_by_side_and_lists_what_b_fixes_and_adds() {
    let openssl = Package::new(Ecosystem::Deb, "openssl", "3.0.1");
    let openssl_b = Package::new(Ecosystem::Deb, "openssl", "3.0.2");
    let perl = Package::new(Ecosystem::Deb, "perl", "5.36");
    let zlib = Package::new(Ecosystem::Deb, "zlib", "1.2");
    let (ia, ib) = (image("full", &[100, 50]), image("slim", &[40]));
    let pa = [openssl.clone(), perl.clone()];
    let pb = [openssl_b.clone(), zlib.clone()];
    let fa = [
        vuln("CVE-1", &openssl, Severity::High),
        vuln("CVE-2", &perl, Severity::Critical),
    ];
    let fb = [
        vuln("CVE-1", &openssl_b, Severity::High),
        vuln("CVE-3", &zlib, Severity::Low),
    ];
    let scanned = |image, packages, findings| Scanned {
        image,
        os: None,
        packages,
        findings,
        base: None,
    };
    let c = compare(&scanned(&ia, &pa, &fa), &scanned(&ib, &pb, &fb));
    assert_eq!(c.a.vulnerabilities[&Severity::Critical], 1);
    assert_eq!(c.b.vulnerabilities[&Severity::Critical], 0);
    assert_eq!(c.b.vulnerabilities[&Severity::Negligible], 0);
    assert_eq!(
        (c.a.size, c.b.size, c.a.layers, c.b.layers),
        (150, 40, 2, 1)
    );
    assert_eq!(c.fixed.len(), 1);
    assert_eq!(
        (c.fixed[0].id.as_str(), c.fixed[0].package.as_str()),
        ("CVE-2", "perl")
    );
    assert_eq!(c.added.len(), 1);
    assert_eq!(c.added[0].id, "CVE-3");
    assert_eq!(c.packages_removed, ["deb/perl"]);
    assert_eq!(c.packages_added, ["deb/zlib"]);
    assert_eq!(c.packages_changed[0].b, "3.0.2");
    let mut table = Vec::new();
    c.write_table(&mut table, 20).unwrap();
    let table = String::from_utf8(table).unwrap();
    assert!(
        table.contains("B fixes: 1 vulnerabilities in 1 packages"),
        "{table}"
    );
    assert!(table.contains("CVE-2"), "{table}");
    assert!(table.contains("packages"), "{table}");
}
