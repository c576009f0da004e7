//! The terminal table: a few header lines, then vulnerabilities grouped by package, then other findings
//! (misconfigurations, secrets, …) in a second, simpler table. Laid out to fit `opts.width` columns.

use crate::{RenderError, RenderOptions};
use comfy_table::{
    Attribute, Cell, Color, ColumnConstraint, ContentArrangement, Table, Width, presets,
};
use rampart_core::{Finding, FindingKind, FixState, Report, Severity, VulnerabilityInfo};
use std::io::Write;

/// Narrowest table we lay out; below this lines may exceed the requested width.
const MIN_WIDTH: usize = 40;

/// Writes the report as header lines and tables.
pub fn render(
    report: &Report,
    opts: &RenderOptions,
    out: &mut dyn Write,
) -> Result<(), RenderError> {
    let width = opts.width.max(MIN_WIDTH);
    let shown: Vec<&Finding> = crate::shown(report, opts).collect();
    let (vulns, others): (Vec<&Finding>, Vec<&Finding>) = shown
        .iter()
        .partition(|f| f.kind == FindingKind::Vulnerability && f.vulnerability.is_some());
    for line in header_lines(report, opts, &shown) {
        writeln!(out, "{}", fit(&line, width))?;
    }
    writeln!(out)?;
    if !vulns.is_empty() {
        writeln!(out, "{}", vulnerability_table(&vulns, opts, width))?;
    } else if scans_packages(report) {
        writeln!(out, "No vulnerabilities found")?;
    }
    if !others.is_empty() {
        if !vulns.is_empty() || scans_packages(report) {
            writeln!(out)?;
        }
        let heading = match vulns.is_empty() && !scans_packages(report) {
            true => format!("Findings: {}, by resource", others.len()),
            false => format!("Other findings: {}, by resource", others.len()),
        };
        writeln!(out, "{}", fit(&heading, width))?;
        writeln!(out, "{}", other_table(&others, opts, width))?;
    } else if !scans_packages(report) {
        writeln!(out, "No findings")?;
    }
    for summary in &report.compliance {
        writeln!(out)?;
        for line in compliance_lines(summary) {
            writeln!(out, "{}", fit(&line, width))?;
        }
        if summary.failed > 0 {
            writeln!(out, "{}", compliance_table(summary, opts, width))?;
        }
    }
    if !report.warnings.is_empty() {
        writeln!(out)?;
        let line = format!(
            "Warnings: {} (files that could not be read or parsed; see the JSON report)",
            report.warnings.len()
        );
        writeln!(out, "{}", fit(&line, width))?;
    }
    Ok(())
}

/// Target, OS, database and the severity summary of the findings shown.
fn header_lines(report: &Report, opts: &RenderOptions, shown: &[&Finding]) -> Vec<String> {
    let mut lines = vec![format!(
        "Target: {} ({})",
        report.target.name,
        crate::wire_name(report.target.kind)
    )];
    if let Some(os) = &report.target.os {
        lines.push(format!("OS: {}", os.display_name()));
    }
    match &report.database {
        Some(db) => lines.push(format!(
            "DB: format v{}, built {} ({} old)",
            db.format_version,
            db.built_at,
            age(db.age_hours)
        )),
        None if scans_packages(report) => lines.push("DB: none".to_string()),
        None => {}
    }
    // CRITICAL to LOW always; NEGLIGIBLE and UNKNOWN only when something has that level.
    let counts: Vec<String> = Severity::ALL_DESCENDING
        .into_iter()
        .filter(|s| *s >= opts.min_severity)
        .filter_map(|s| {
            let n = shown.iter().filter(|f| f.severity == s).count();
            (n > 0 || s >= Severity::Low).then(|| format!("{}: {n}", s.label()))
        })
        .collect();
    lines.push(format!("Total: {} ({})", shown.len(), counts.join(", ")));
    if report.summary.suppressed > 0 {
        lines.push(format!(
            "Suppressed: {} (listed in the JSON report with their reason)",
            report.summary.suppressed
        ));
    }
    lines
}

fn age(hours: f64) -> String {
    if hours < 48.0 {
        format!("{:.0}h", hours.max(0.0))
    } else {
        format!("{:.0}d", hours / 24.0)
    }
}

/// Terminals at least this wide get one column per fact; narrower ones stack facts in cells.
const WIDE_FROM: usize = 140;

/// One row per finding; the package cell is filled on the first row of each package's group.
///
/// Wide: Package | Vulnerability | Severity | Installed | Fixed | Flags | Title.
/// Narrow: Package (name, installed) | Vulnerability (id, title) | Severity (level, flags) | Fixed.
fn vulnerability_table(vulns: &[&Finding], opts: &RenderOptions, width: usize) -> Table {
    let wide = width >= WIDE_FROM;
    let mut table = new_table(opts, width);
    if wide {
        table.set_header(vec![
            "Package",
            "Vulnerability",
            "Severity",
            "Installed",
            "Fixed",
            "Flags",
            "Title",
        ]);
    } else {
        table.set_header(vec!["Package", "Vulnerability", "Severity", "Fixed"]);
    }
    let longest_id = vulns
        .iter()
        .filter_map(|f| f.vulnerability.as_ref().map(|v| v.id.chars().count()))
        .max()
        .unwrap_or(13)
        .min(24);
    constrain_columns(&mut table, wide, width, longest_id);
    let title_budget = if wide {
        width.saturating_sub(110).clamp(20, 100)
    } else {
        // About two lines of what is left for the id column once the others have their share.
        (width.saturating_sub(width / 4 + 37).max(longest_id) * 7 / 4).clamp(16, 100)
    };
    for group in group_by_package(vulns) {
        for (i, (finding, info)) in group.iter().enumerate() {
            let title = truncate(&finding.title, title_budget);
            let row = VulnRow {
                finding,
                info,
                first_of_package: i == 0,
                title,
            };
            table.add_row(if wide {
                row.wide(opts.color)
            } else {
                row.narrow(opts.color)
            });
        }
    }
    table
}

/// Ids, levels and flags are short: they never wrap, and packages and titles give way instead.
/// Long Maven and Go names wrap inside a share of the width rather than squeezing the rest.
fn constrain_columns(table: &mut Table, wide: bool, width: usize, longest_id: usize) {
    keep_whole(table, 1, longest_id);
    keep_whole(table, 2, 8);
    if wide {
        keep_whole(table, 5, 8);
    }
    if let Some(column) = table.column_mut(0) {
        let share = if wide { width / 6 } else { width / 4 };
        let most = u16::try_from(share).unwrap_or(u16::MAX);
        column.set_constraint(ColumnConstraint::UpperBoundary(Width::Fixed(most)));
    }
}

/// One vulnerability row, before it is laid out for a wide or a narrow terminal.
struct VulnRow<'a> {
    finding: &'a Finding,
    info: &'a VulnerabilityInfo,
    first_of_package: bool,
    title: String,
}

impl VulnRow<'_> {
    /// Package | Vulnerability | Severity | Installed | Fixed | Flags | Title.
    fn wide(self, color: bool) -> Vec<Cell> {
        let (name, installed) = if self.first_of_package {
            (
                self.info.package.name.as_str(),
                self.info.installed_version.as_str(),
            )
        } else {
            ("", "")
        };
        let severity = self.finding.severity;
        vec![
            Cell::new(name),
            Cell::new(&self.info.id),
            severity_cell(severity.label(), severity, color),
            Cell::new(installed),
            Cell::new(fixed(self.info)),
            Cell::new(flags(self.info)),
            Cell::new(self.title),
        ]
    }

    /// Package (name, installed) | Vulnerability (id, title) | Severity (level, flags) | Fixed.
    fn narrow(self, color: bool) -> Vec<Cell> {
        let package = if self.first_of_package {
            format!(
                "{}\n{}",
                self.info.package.name, self.info.installed_version
            )
        } else {
            String::new()
        };
        let severity = self.finding.severity;
        let level = format!("{}\n{}", severity.label(), flags(self.info));
        vec![
            Cell::new(package),
            Cell::new(format!("{}\n{}", self.info.id, self.title)),
            severity_cell(level.trim_end(), severity, color),
            Cell::new(fixed(self.info)),
        ]
    }
}

/// Keeps column `index` at least `chars` wide so its short values are not broken mid-word.
fn keep_whole(table: &mut Table, index: usize, chars: usize) {
    if let Some(column) = table.column_mut(index) {
        // The boundary counts the cell padding (one space each side).
        let chars = u16::try_from(chars + 2).unwrap_or(u16::MAX);
        column.set_constraint(ColumnConstraint::LowerBoundary(Width::Fixed(chars)));
    }
}

/// Whether the report is about packages (so "no vulnerabilities" is news) rather than posture.
fn scans_packages(report: &Report) -> bool {
    use rampart_core::AssetKind::*;
    matches!(
        report.target.kind,
        Rootfs | Filesystem | Host | Image | Sbom
    ) || !report.packages.is_empty()
}

/// Non-vulnerability findings grouped by subject (resource, file, node check): the resource cell (with
/// its location) is filled on the first row of each group; then rule, severity, title and controls.
fn other_table(others: &[&Finding], opts: &RenderOptions, width: usize) -> Table {
    let mut table = new_table(opts, width);
    let with_controls = width >= 100;
    let mut header = vec!["Resource", "Rule", "Severity", "Title"];
    if with_controls {
        header.push("Controls");
    }
    table.set_header(header);
    let title_budget = (width / 3).clamp(20, 100);
    for group in group_by_subject(others) {
        for (i, f) in group.iter().enumerate() {
            let resource = if i == 0 {
                let location = f
                    .evidence
                    .iter()
                    .find_map(|e| e.location.as_ref())
                    .map(|l| l.to_string())
                    .unwrap_or_default();
                let subject = if f.subject.is_empty() {
                    &f.asset
                } else {
                    &f.subject
                };
                match (location.is_empty(), subject == &location) {
                    (true, _) | (false, true) => subject.clone(),
                    (false, false) => format!("{subject}\n{location}"),
                }
            } else {
                String::new()
            };
            let mut row = vec![
                Cell::new(resource),
                Cell::new(&f.rule_id),
                severity_cell(f.severity.label(), f.severity, opts.color),
                Cell::new(truncate(&f.title, title_budget)),
            ];
            if with_controls {
                row.push(Cell::new(controls_text(f)));
            }
            table.add_row(row);
        }
    }
    table
}

/// Groups findings by subject, keeping the order in which each subject first appears (most severe first).
fn group_by_subject<'a>(findings: &[&'a Finding]) -> Vec<Vec<&'a Finding>> {
    let mut index: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    let mut groups: Vec<Vec<&Finding>> = Vec::new();
    for f in findings {
        let key = if f.subject.is_empty() {
            f.asset.as_str()
        } else {
            f.subject.as_str()
        };
        match index.get(key) {
            Some(&i) => groups[i].push(f),
            None => {
                index.insert(key, groups.len());
                groups.push(vec![f]);
            }
        }
    }
    groups
}

/// A finding's framework controls, compactly: `CIS 5.2.2, PSS-B, NSA, T1611`; the JSON report has them
/// in full.
fn controls_text(f: &Finding) -> String {
    let mut parts: Vec<String> = Vec::new();
    for c in &f.controls {
        let text = match c.framework.as_str() {
            "pss-baseline" => "PSS-B".to_string(),
            "pss-restricted" => "PSS-R".to_string(),
            "nsa-cisa" | "nsa" => "NSA".to_string(),
            "mitre-attack" => c.id.clone(),
            fw if fw.starts_with("cis-") => format!("CIS {}", c.id),
            fw if c.id.is_empty() => fw.to_string(),
            fw => format!("{fw} {}", c.id),
        };
        if !parts.contains(&text) {
            parts.push(text);
        }
    }
    truncate(&parts.join(", "), 60)
}

/// The summary line of one framework.
fn compliance_lines(summary: &rampart_core::ComplianceSummary) -> Vec<String> {
    let name = if summary.name.is_empty() {
        &summary.framework
    } else {
        &summary.name
    };
    let version = summary
        .version
        .as_deref()
        .map(|v| format!(" {v}"))
        .unwrap_or_default();
    vec![
        format!("Compliance: {name}{version}"),
        format!(
            "  {} passed, {} failed, {} not applicable; score {:.1}%",
            summary.passed, summary.failed, summary.not_applicable, summary.score
        ),
    ]
}

/// The failed controls of one framework, with how many resources fail each.
fn compliance_table(
    summary: &rampart_core::ComplianceSummary,
    opts: &RenderOptions,
    width: usize,
) -> Table {
    let mut table = new_table(opts, width);
    table.set_header(vec!["Control", "Title", "Status", "Failing"]);
    for c in summary
        .controls
        .iter()
        .filter(|c| c.status == rampart_core::ControlStatus::Failed)
    {
        table.add_row(vec![
            Cell::new(&c.id),
            Cell::new(truncate(&c.title, (width / 2).clamp(20, 100))),
            Cell::new("FAIL"),
            Cell::new(c.failing.len().to_string()),
        ]);
    }
    table
}

fn new_table(opts: &RenderOptions, width: usize) -> Table {
    let mut table = Table::new();
    table
        .load_style(presets::UTF8_FULL_CONDENSED.with_rounded_corners())
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(u16::try_from(width).unwrap_or(u16::MAX));
    if opts.color {
        table.enforce_styling();
    } else {
        table.force_no_tty();
    }
    table
}

/// Groups findings by package (name, version, ecosystem, first location), keeping the order in which
/// each package first appears so the most urgent package comes first.
fn group_by_package<'a>(vulns: &[&'a Finding]) -> Vec<Vec<(&'a Finding, &'a VulnerabilityInfo)>> {
    let mut keys: Vec<String> = Vec::new();
    let mut groups: Vec<Vec<(&Finding, &VulnerabilityInfo)>> = Vec::new();
    for f in vulns {
        let Some(info) = &f.vulnerability else {
            continue;
        };
        let place = info.package.locations.first().map(|l| l.path.as_str());
        let key = format!("{}|{}", info.package.identity(), place.unwrap_or(""));
        match keys.iter().position(|k| *k == key) {
            Some(i) => groups[i].push((f, info)),
            None => {
                keys.push(key);
                groups.push(vec![(f, info)]);
            }
        }
    }
    groups
}

fn severity_cell(text: &str, severity: Severity, color: bool) -> Cell {
    let cell = Cell::new(text);
    if !color {
        return cell;
    }
    match severity {
        Severity::Critical => cell.fg(Color::Red).add_attribute(Attribute::Bold),
        Severity::High => cell.fg(Color::Red),
        Severity::Medium => cell.fg(Color::Yellow),
        Severity::Low => cell.fg(Color::Blue),
        Severity::Negligible | Severity::Unknown => cell.fg(Color::Grey),
    }
}

fn fixed(info: &VulnerabilityInfo) -> String {
    match (info.fixed_versions.is_empty(), info.fix_state) {
        (false, _) => info.fixed_versions.join(", "),
        (true, FixState::WontFix) => "won't fix".to_string(),
        (true, _) => "no fix".to_string(),
    }
}

/// `KEV` when CISA lists it as exploited, and the EPSS percentile ("97%").
fn flags(info: &VulnerabilityInfo) -> String {
    let mut parts = Vec::new();
    if info.kev.is_some() {
        parts.push("KEV".to_string());
    }
    if let Some(epss) = info.epss {
        // FIRST publishes percentiles as fractions; tolerate feeds that already give percent.
        let p = if epss.percentile <= 1.0 {
            epss.percentile * 100.0
        } else {
            epss.percentile
        };
        parts.push(format!("{:.0}%", p.clamp(0.0, 100.0)));
    }
    parts.join(" ")
}

/// Cuts `s` to at most `max` characters, ending in `…` when cut.
fn truncate(s: &str, max: usize) -> String {
    let s = s.trim();
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out = out.trim_end().to_string();
    out.push('…');
    out
}

/// A header line cut to the terminal width.
fn fit(line: &str, width: usize) -> String {
    truncate(line, width)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncates_on_char_boundaries() {
        assert_eq!(truncate("héllo wörld", 6), "héllo…");
        assert_eq!(truncate("short", 10), "short");
        assert_eq!(truncate("abcdef", 1), "…");
    }

    #[test]
    fn ages_read_naturally() {
        assert_eq!(age(5.4), "5h");
        assert_eq!(age(72.0), "3d");
    }
}
