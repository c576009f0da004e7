//! The terminal table: fits the terminal, groups by package, says what it could not show.

mod common;

use common::{empty_report, render, sample_report};
use rampart_core::Severity;
use rampart_report::{Format, RenderOptions};

fn table(width: usize) -> String {
    let opts = RenderOptions {
        width,
        ..RenderOptions::default()
    };
    render(&sample_report(), Format::Table, &opts)
}

#[test]
fn table_fits_80_columns_with_long_titles() {
    let out = table(80);
    println!("{out}");
    for line in out.lines() {
        assert!(
            line.chars().count() <= 80,
            "line is {} chars wide:\n{line}",
            line.chars().count()
        );
    }
    assert!(out.contains("CVE-2021-44228"));
    assert!(
        out.contains('…'),
        "long titles are truncated with an ellipsis"
    );
    assert!(out.contains("no fix"));
    assert_eq!(
        out.matches("libssl3").count(),
        1,
        "grouped at 80 columns too"
    );
    for id in ["CVE-2023-44487", "RUSTSEC-2021-0003", "CVE-2023-5678"] {
        assert!(out.contains(id), "{id} is not broken across lines");
    }
}

#[test]
fn table_fits_other_widths() {
    for width in [60, 100, 160] {
        let out = table(width);
        let widest = out.lines().map(|l| l.chars().count()).max().unwrap_or(0);
        assert!(widest <= width, "widest line {widest} > {width}:\n{out}");
    }
}

#[test]
fn table_header_names_target_os_db_and_totals() {
    let out = table(80);
    let head: Vec<&str> = out.lines().take(5).collect();
    assert!(head[0].starts_with("Target: registry.example.com/shop/web-frontend:1.4.2"));
    assert_eq!(head[1], "OS: Debian GNU/Linux 12 (bookworm)");
    assert!(head[2].starts_with("DB: format v2, built 2026-11-25T06:00:00Z (30h old)"));
    assert_eq!(
        head[3],
        "Total: 7 (CRITICAL: 1, HIGH: 3, MEDIUM: 2, LOW: 0, UNKNOWN: 1)"
    );
    assert!(
        out.lines()
            .nth(4)
            .unwrap_or("")
            .starts_with("Suppressed: 1")
    );
}

#[test]
fn table_groups_findings_by_package() {
    let out = table(140);
    // libssl3 has two findings; its name appears once, on the first row of its group, and the two
    // CVEs follow each other.
    assert_eq!(out.matches("libssl3").count(), 1, "{out}");
    let lines: Vec<&str> = out.lines().collect();
    let first = lines.iter().position(|l| l.contains("CVE-2024-0727"));
    let second = lines.iter().position(|l| l.contains("CVE-2023-5678"));
    let (Some(first), Some(second)) = (first, second) else {
        panic!("both openssl CVEs are listed:\n{out}");
    };
    assert!(lines[first].contains("libssl3"), "{out}");
    assert!(second > first);
    let between = &lines[first + 1..second];
    assert!(
        between.iter().all(|l| !l.contains("CVE-")),
        "no other vulnerability sits inside the libssl3 group:\n{out}"
    );
    // Most severe group first: log4j (critical, KEV) before lodash and x/net.
    let log4j = out.find("CVE-2021-44228");
    let lodash = out.find("CVE-2021-23337");
    assert!(log4j < lodash, "{out}");
}

#[test]
fn table_shows_no_fix_flags_and_installed_version() {
    let out = table(140);
    let row = out
        .lines()
        .find(|l| l.contains("CVE-2024-0727"))
        .unwrap_or_default();
    assert!(row.contains("no fix"), "{row}");
    assert!(row.contains("74%"), "EPSS percentile shown: {row}");
    assert!(
        out.contains("3.0.11-1~deb12u2"),
        "installed version shown:\n{out}"
    );
    let log4j = out
        .lines()
        .find(|l| l.contains("CVE-2021-44228"))
        .unwrap_or_default();
    assert!(log4j.contains("KEV 100%"), "{log4j}");
    assert!(log4j.contains("2.15.0"), "{log4j}");
}

#[test]
fn table_hides_suppressed_and_below_min_severity() {
    let all = table(140);
    assert!(!all.contains("CVE-2024-22195"), "suppressed finding hidden");
    let opts = RenderOptions {
        min_severity: Severity::High,
        width: 140,
        color: false,
    };
    let out = render(&sample_report(), Format::Table, &opts);
    assert!(out.contains("CVE-2021-44228"));
    assert!(
        !out.contains("CVE-2024-0727"),
        "medium hidden at --severity high"
    );
    assert!(out.contains("Total: 4 (CRITICAL: 1, HIGH: 3)"), "{out}");
}

#[test]
fn table_lists_misconfigurations_separately_and_counts_warnings() {
    let out = table(80);
    assert!(out.contains("Other findings: 1"), "{out}");
    assert!(out.contains("DS002"));
    assert!(out.contains("Dockerfile:1"));
    assert!(
        out.lines().last().unwrap_or("").starts_with("Warnings: 1"),
        "{out}"
    );
}

#[test]
fn empty_report_says_no_vulnerabilities_were_found() {
    let out = render(&empty_report(), Format::Table, &RenderOptions::default());
    assert!(out.contains("No vulnerabilities found"), "{out}");
    assert!(out.contains("Total: 0"));
    assert!(!out.contains("Other findings"));
    assert!(!out.contains("Warnings"));
}

#[test]
fn table_uses_colour_only_when_asked() {
    let plain = table(100);
    assert!(!plain.contains('\u{1b}'));
    let opts = RenderOptions {
        color: true,
        width: 100,
        ..RenderOptions::default()
    };
    let coloured = render(&sample_report(), Format::Table, &opts);
    assert!(
        coloured.contains('\u{1b}'),
        "ANSI escapes present with color on"
    );
}
