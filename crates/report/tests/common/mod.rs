//! A realistic report shared by the integration tests: an image with OS and language packages from
//! six ecosystems, vulnerability findings with CVSS, KEV and EPSS, one suppressed finding, one
//! misconfiguration and one scan warning.

#![allow(dead_code)]

use rampart_core::{
    Asset, AssetKind, Cvss, DatabaseInfo, Ecosystem, Epss, Evidence, Finding, FindingKind,
    Fingerprint, FixState, Kev, LayerRef, Location, OsRelease, Package, Report, ScanWarning,
    Severity, SourcePackage, Suppression, SuppressionSource, VulnerabilityInfo,
};
use rampart_report::{Format, RenderOptions};

pub const TARGET: &str = "registry.example.com/shop/web-frontend:1.4.2";

pub fn packages() -> Vec<Package> {
    let mut libssl = Package::new(Ecosystem::Deb, "libssl3", "3.0.11-1~deb12u2")
        .at(Location::new("var/lib/dpkg/status"));
    libssl.purl = "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12".to_string();
    libssl.source = Some(SourcePackage {
        name: "openssl".into(),
        version: None,
    });
    libssl.arch = Some("amd64".into());
    libssl.licenses = vec!["Apache-2.0".into()];
    libssl.layer = Some(LayerRef {
        digest: "sha256:4f4fb700ef54461cfa02571ae0db9a0dc1e0cdb5577484a6d75e68dc38e8acc1".into(),
        index: 0,
        created_by: Some("ADD rootfs.tar.xz /".into()),
    });
    let mut lodash = Package::new(Ecosystem::Npm, "lodash", "4.17.20")
        .at(Location::with_line("app/package-lock.json", 120));
    lodash.licenses = vec!["MIT".into()];
    // The same purl seen in a second lockfile: CycloneDX bom-refs must stay unique.
    let mut lodash_again = Package::new(Ecosystem::Npm, "lodash", "4.17.20")
        .at(Location::with_line("admin ui/package-lock.json", 88));
    lodash_again.licenses = vec!["MIT".into()];
    let mut jinja = Package::new(Ecosystem::PyPI, "Jinja2", "2.10")
        .at(Location::with_line("app/requirements.txt", 3));
    jinja.licenses = vec!["BSD-3-Clause".into()];
    let mut smallvec =
        Package::new(Ecosystem::Cargo, "smallvec", "1.6.0").at(Location::new("tools/Cargo.lock"));
    smallvec.licenses = vec!["MIT OR Apache-2.0".into()];
    let xnet = Package::new(Ecosystem::Go, "golang.org/x/net", "v0.15.0")
        .at(Location::new("usr/local/bin/server"));
    let mut log4j = Package::new(
        Ecosystem::Maven,
        "org.apache.logging.log4j:log4j-core",
        "2.14.1",
    )
    .at(Location::new("app/lib/log4j-core-2.14.1.jar"));
    log4j.licenses = vec!["Apache License, Version 2.0".into()];
    vec![libssl, lodash, lodash_again, jinja, smallvec, xnet, log4j]
}

fn info(pkg: &Package, id: &str, fixed: &[&str], cvss: &[(&str, &str, f64)]) -> VulnerabilityInfo {
    VulnerabilityInfo {
        id: id.into(),
        aliases: Vec::new(),
        package: pkg.clone(),
        installed_version: pkg.version.clone(),
        fixed_versions: fixed.iter().map(|s| s.to_string()).collect(),
        fix_state: if fixed.is_empty() {
            FixState::NotFixed
        } else {
            FixState::Fixed
        },
        cvss: cvss
            .iter()
            .map(|(version, vector, score)| Cvss {
                version: version.to_string(),
                vector: vector.to_string(),
                score: *score,
                source: "nvd".into(),
            })
            .collect(),
        kev: None,
        epss: None,
        sources: vec!["osv".into()],
        references: vec![format!("https://nvd.nist.gov/vuln/detail/{id}")],
        published: Some("2024-01-26".into()),
    }
}

/// Vulnerability facts, in order: log4j, openssl unfixed, openssl fixed, lodash, x/net, smallvec,
/// jinja2.
fn infos(p: &[Package]) -> [VulnerabilityInfo; 7] {
    let mut log4j = info(
        &p[6],
        "CVE-2021-44228",
        &["2.15.0"],
        &[("3.1", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0)],
    );
    log4j.kev = Some(Kev {
        date_added: "2021-12-10".into(),
        due_date: Some("2021-12-24".into()),
        ransomware: true,
    });
    log4j.epss = Some(Epss {
        score: 0.97565,
        percentile: 0.99996,
    });
    log4j.aliases = vec!["GHSA-jfh8-c2jp-5v3q".into()];
    let mut openssl_unfixed = info(
        &p[0],
        "CVE-2024-0727",
        &[],
        &[("3.1", "CVSS:3.1/AV:L/AC:L/PR:N/UI:R/S:U/C:N/I:N/A:H", 5.5)],
    );
    openssl_unfixed.epss = Some(Epss {
        score: 0.0043,
        percentile: 0.7412,
    });
    let openssl_fixed = info(
        &p[0],
        "CVE-2023-5678",
        &["3.0.13-1~deb12u1"],
        &[("3.1", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:L", 5.3)],
    );
    let mut lodash = info(
        &p[1],
        "CVE-2021-23337",
        &["4.17.21"],
        &[("3.1", "CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H", 7.2)],
    );
    lodash.aliases = vec!["GHSA-35jh-r3h4-6jhm".into()];
    let mut xnet = info(
        &p[5],
        "CVE-2023-44487",
        &["v0.17.0"],
        &[(
            "4.0",
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:H/SC:N/SI:N/SA:N",
            8.7,
        )],
    );
    xnet.kev = Some(Kev {
        date_added: "2023-10-10".into(),
        due_date: None,
        ransomware: false,
    });
    let smallvec = info(&p[4], "RUSTSEC-2021-0003", &["1.6.1"], &[]);
    let jinja = info(
        &p[3],
        "CVE-2024-22195",
        &["3.1.3"],
        &[("3.1", "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 5.4)],
    );
    [
        log4j,
        openssl_unfixed,
        openssl_fixed,
        lodash,
        xnet,
        smallvec,
        jinja,
    ]
}

fn vulnerability_findings(p: &[Package]) -> Vec<Finding> {
    let [
        log4j,
        openssl_unfixed,
        openssl_fixed,
        lodash,
        xnet,
        smallvec,
        jinja,
    ] = infos(p);
    let long = " allows remote attackers to execute arbitrary code via crafted lookup strings \
                in log messages when message lookup substitution is enabled (very long title)";
    let mut suppressed = Finding::vulnerability(
        TARGET,
        "jinja2: HTML attribute injection when passing user input as keys to xmlattr filter".into(),
        Severity::Medium,
        jinja,
    );
    suppressed.suppressed = Some(Suppression {
        source: SuppressionSource::Vex,
        status: "not_affected".into(),
        justification: "vulnerable_code_not_in_execute_path".into(),
        origin: "vex/shop.openvex.json".into(),
    });
    vec![
        Finding::vulnerability(
            TARGET,
            format!("log4j-core: JNDI lookup{long}"),
            Severity::Critical,
            log4j,
        ),
        Finding::vulnerability(
            TARGET,
            "openssl: denial of service via null dereference in PKCS12 parsing of malformed files"
                .into(),
            Severity::Medium,
            openssl_unfixed,
        ),
        Finding::vulnerability(
            TARGET,
            "openssl: excessive time spent in DH check / generation with large Q parameter value"
                .into(),
            Severity::Medium,
            openssl_fixed,
        ),
        Finding::vulnerability(
            TARGET,
            "lodash: command injection via the template function".into(),
            Severity::High,
            lodash,
        ),
        Finding::vulnerability(
            TARGET,
            "HTTP/2 rapid reset can cause excessive work in net/http".into(),
            Severity::High,
            xnet,
        ),
        Finding::vulnerability(
            TARGET,
            "smallvec: buffer overflow in SmallVec::insert_many".into(),
            Severity::Unknown,
            smallvec,
        ),
        suppressed,
    ]
}

fn misconfiguration() -> Finding {
    Finding {
        id: Fingerprint::of(&["misconfiguration", "DS002", "Dockerfile"]),
        kind: FindingKind::Misconfiguration,
        rule_id: "DS002".into(),
        title: "Image user should not be 'root': the Dockerfile sets no USER instruction, so the \
                container runs as root"
            .into(),
        severity: Severity::High,
        asset: TARGET.into(),
        subject: "Dockerfile".into(),
        vulnerability: None,
        evidence: vec![Evidence {
            label: "last USER".into(),
            location: Some(Location::with_line("Dockerfile", 1)),
            detail: "no USER instruction".into(),
        }],
        controls: Vec::new(),
        remediation: "Add 'USER nonroot' to the Dockerfile".into(),
        suppressed: None,
    }
}

/// The sample report, finished (sorted, summarised).
pub fn sample_report() -> Report {
    let mut target = Asset::new(AssetKind::Image, TARGET);
    target.os = OsRelease::parse(
        "ID=debian\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\n\
         PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n",
    );
    let mut report = Report::new(target, "0.1.0");
    report.created_at = "2026-11-26T12:00:00.123456Z".into();
    report.database = Some(DatabaseInfo {
        path: "/var/cache/rampart/db".into(),
        format_version: 2,
        built_at: "2026-11-25T06:00:00Z".into(),
        age_hours: 30.0,
        checksum: "sha256:00".into(),
        sources: [("osv".to_string(), 1200u64)].into_iter().collect(),
    });
    report.packages = packages();
    report.findings = vulnerability_findings(&report.packages);
    report.findings.push(misconfiguration());
    report.warnings.push(ScanWarning {
        path: "app/broken/package-lock.json".into(),
        line: Some(7),
        message: "invalid JSON".into(),
    });
    report.finish();
    report
}

/// An image with nothing found.
pub fn empty_report() -> Report {
    let mut report = Report::new(
        Asset::new(AssetKind::Filesystem, "./empty-project"),
        "0.1.0",
    );
    report.created_at = "2026-11-26T12:00:00Z".into();
    report.finish();
    report
}

pub fn render(report: &Report, format: Format, opts: &RenderOptions) -> String {
    let mut out = Vec::new();
    rampart_report::render(report, format, opts, &mut out).expect("render");
    String::from_utf8(out).expect("utf-8 output")
}

pub fn render_json(report: &Report, format: Format) -> serde_json::Value {
    let text = render(report, format, &RenderOptions::default());
    serde_json::from_str(&text).expect("output is JSON")
}
