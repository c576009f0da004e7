//! JUnit XML, the test-report format CI systems (Jenkins, GitLab, GitHub Actions reporters, Azure DevOps)
//! display natively.
//!
//! One `<testsuite>` per check (rule id), one `<testcase>` per subject the check ran on. When the report
//! records every evaluated check ([`Report::checks`]), passes are listed too and checks whose value was
//! unknown are `<skipped>`; otherwise (vulnerability scans) each shown finding is one failing test case.
//! A failure's `message` is the finding's title; its text holds severity, evidence and remediation.

use crate::{RenderError, RenderOptions, shown};
use rampart_core::{CheckStatus, Finding, Report};
use std::collections::BTreeMap;
use std::io::Write;

/// One test case before writing.
struct Case<'a> {
    subject: String,
    status: CheckStatus,
    finding: Option<&'a Finding>,
}

/// Writes the report as a JUnit XML `<testsuites>` document.
pub fn render(
    report: &Report,
    opts: &RenderOptions,
    out: &mut dyn Write,
) -> Result<(), RenderError> {
    let findings: Vec<&Finding> = shown(report, opts).collect();
    let mut suites: BTreeMap<&str, Vec<Case>> = BTreeMap::new();
    if report.checks.is_empty() {
        for f in &findings {
            suites.entry(&f.rule_id).or_default().push(Case {
                subject: subject_of(f),
                status: CheckStatus::Fail,
                finding: Some(f),
            });
        }
    } else {
        let by_key: BTreeMap<(&str, &str), &Finding> = findings
            .iter()
            .map(|f| ((f.rule_id.as_str(), f.subject.as_str()), *f))
            .collect();
        for c in &report.checks {
            let finding = by_key
                .get(&(c.rule_id.as_str(), c.subject.as_str()))
                .copied();
            // A failure hidden by suppression or the severity filter is not a failure of this run.
            let status = match (c.status, finding) {
                (CheckStatus::Fail, None) => CheckStatus::Skipped,
                (s, _) => s,
            };
            suites.entry(&c.rule_id).or_default().push(Case {
                subject: c.subject.clone(),
                status,
                finding,
            });
        }
    }
    let count = |cases: &[Case], s: CheckStatus| cases.iter().filter(|c| c.status == s).count();
    let all: Vec<&Case> = suites.values().flatten().collect();
    let total_failures = all.iter().filter(|c| c.status == CheckStatus::Fail).count();
    let total_skipped = all
        .iter()
        .filter(|c| matches!(c.status, CheckStatus::Skipped | CheckStatus::Unknown))
        .count();
    writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(
        out,
        r#"<testsuites name="rampart {}" tests="{}" failures="{}" skipped="{}" errors="0">"#,
        escape(&report.target.name),
        all.len(),
        total_failures,
        total_skipped
    )?;
    for (rule, cases) in &suites {
        let skipped = count(cases, CheckStatus::Skipped) + count(cases, CheckStatus::Unknown);
        writeln!(
            out,
            r#"  <testsuite name="{}" tests="{}" failures="{}" skipped="{}" errors="0">"#,
            escape(rule),
            cases.len(),
            count(cases, CheckStatus::Fail),
            skipped
        )?;
        for case in cases {
            write_case(out, rule, case)?;
        }
        writeln!(out, "  </testsuite>")?;
    }
    writeln!(out, "</testsuites>")?;
    Ok(())
}

fn write_case(out: &mut dyn Write, rule: &str, case: &Case) -> Result<(), RenderError> {
    let classname = format!("rampart.{rule}");
    write!(
        out,
        r#"    <testcase classname="{}" name="{}""#,
        escape(&classname),
        escape(&case.subject)
    )?;
    match case.status {
        CheckStatus::Pass => writeln!(out, "/>")?,
        CheckStatus::Unknown => {
            writeln!(out, ">")?;
            writeln!(
                out,
                r#"      <skipped message="a value the check needs is not known"/>"#
            )?;
            writeln!(out, "    </testcase>")?;
        }
        CheckStatus::Skipped => {
            writeln!(out, ">")?;
            writeln!(
                out,
                r#"      <skipped message="suppressed or not applicable"/>"#
            )?;
            writeln!(out, "    </testcase>")?;
        }
        CheckStatus::Fail => {
            writeln!(out, ">")?;
            let (message, text) = match case.finding {
                Some(f) => (f.title.clone(), failure_text(f)),
                None => (format!("{rule} failed"), String::new()),
            };
            let severity = case.finding.map_or("unknown", |f| f.severity.label());
            writeln!(
                out,
                r#"      <failure message="{}" type="{}">{}</failure>"#,
                escape(&message),
                escape(severity),
                escape(&text)
            )?;
            writeln!(out, "    </testcase>")?;
        }
    }
    Ok(())
}

fn subject_of(f: &Finding) -> String {
    if let Some(v) = &f.vulnerability {
        return format!("{} {}", v.package.name, v.package.version);
    }
    if !f.subject.is_empty() {
        return f.subject.clone();
    }
    f.asset.clone()
}

fn failure_text(f: &Finding) -> String {
    let mut lines = vec![format!("severity: {}", f.severity.label())];
    for e in &f.evidence {
        let place = e
            .location
            .as_ref()
            .map(|l| format!(" at {l}"))
            .unwrap_or_default();
        lines.push(format!("{}{place}: {}", e.label, e.detail));
    }
    for c in &f.controls {
        lines.push(format!("control: {} {}", c.framework, c.id));
    }
    if !f.remediation.is_empty() {
        lines.push(format!("remediation: {}", f.remediation));
    }
    lines.join("\n")
}

/// Escapes text for XML attributes and content; characters XML 1.0 forbids are dropped.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn escapes_markup_and_drops_forbidden_characters() {
        assert_eq!(
            escape("a<b & \"c\"\u{1}'"),
            "a&lt;b &amp; &quot;c&quot;&apos;"
        );
    }
}
