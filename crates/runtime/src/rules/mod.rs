//! Falco rules files: loading (with positions, appends and overrides), validation with Falco's
//! error and warning codes, and compilation into a [`Ruleset`].
//!
//! Files are loaded in order into one state and the whole state is compiled after each file, as
//! `falco -V a.yaml -V b.yaml` does, so each file's result shows what loading up to it produced.

pub mod collect;
pub mod compiler;
pub mod output;
pub mod priority;
pub mod rule_item;
pub mod state;

use crate::diag::{Code, Diagnostic, FileResult, LoadReport, Location};
use crate::fields::Source;
use crate::filter::{EvtTypes, Node};
pub use output::OutputFormat;
pub use priority::Priority;
use std::path::Path;

/// Largest rules file read, in bytes.
pub const MAX_RULES_FILE: u64 = 16 << 20;

/// One compiled rule.
#[derive(Debug)]
pub struct CompiledRule {
    pub name: String,
    pub desc: String,
    pub priority: Priority,
    pub tags: Vec<String>,
    pub source: Source,
    pub enabled: bool,
    pub condition: Node,
    pub output: OutputFormat,
    /// Event types the rule can match (syscall source).
    pub evttypes: EvtTypes,
}

/// Compiled rules, in definition order.
#[derive(Debug, Default)]
pub struct Ruleset {
    pub rules: Vec<CompiledRule>,
}

impl Ruleset {
    /// Wraps compiled rules.
    pub fn new(rules: Vec<CompiledRule>) -> Ruleset {
        Ruleset { rules }
    }

    /// One JSON object per rule (`name`, `desc`, `priority`, `source`, `tags`, `enabled`), for
    /// `rampart runtime rules list --format json`.
    pub fn describe(&self) -> serde_json::Value {
        self.rules
            .iter()
            .map(|r| {
                serde_json::json!({
                    "name": r.name,
                    "desc": r.desc.trim(),
                    "priority": r.priority.name(),
                    "source": r.source.name(),
                    "tags": r.tags,
                    "enabled": r.enabled,
                })
            })
            .collect()
    }

    /// Enabled rules of `source`.
    pub fn enabled(&self, source: Source) -> impl Iterator<Item = &CompiledRule> {
        self.rules
            .iter()
            .filter(move |r| r.enabled && r.source == source)
    }
}

/// Loads rules files one after another and compiles them.
#[derive(Debug, Default)]
pub struct Loader {
    state: state::State,
    report: LoadReport,
    ruleset: Ruleset,
    failed: bool,
}

impl Loader {
    /// An empty loader.
    pub fn new() -> Loader {
        Loader::default()
    }

    /// Reads and loads a file; a read failure is reported as `LOAD_ERR_FILE_READ`.
    pub fn add_file(&mut self, path: &Path) -> &FileResult {
        let name = path.display().to_string();
        match read_limited(path) {
            Ok(text) => self.add_str(&name, &text),
            Err(e) => {
                self.failed = true;
                self.report.files.push(FileResult {
                    name: name.clone(),
                    errors: vec![Diagnostic {
                        code: Code::LOAD_ERR_FILE_READ,
                        message: format!("Could not read file: {e}"),
                        locations: vec![Location {
                            item_type: "rules content".into(),
                            item_name: String::new(),
                            file: name,
                            line: 0,
                            column: 0,
                            offset: 0,
                        }],
                    }],
                    warnings: Vec::new(),
                });
                self.report.files.last().map_or(&EMPTY, |f| f)
            }
        }
    }

    /// Loads rules text named `name` (the name appears in diagnostics).
    pub fn add_str(&mut self, name: &str, text: &str) -> &FileResult {
        let mut sink = collect::Sink {
            file: name,
            errors: Vec::new(),
            warnings: Vec::new(),
        };
        match crate::yaml::parse_documents(text) {
            Err(e) => sink.errors.push(Diagnostic {
                code: Code::LOAD_ERR_YAML_PARSE,
                message: e.message,
                locations: vec![Location {
                    item_type: "rules content".into(),
                    item_name: String::new(),
                    file: name.into(),
                    line: e.pos.line,
                    column: e.pos.column,
                    offset: e.pos.offset,
                }],
            }),
            Ok(docs) => {
                let mut next = self.state.clone();
                collect::collect_docs(&docs, &mut next, &mut sink);
                if sink.errors.is_empty() {
                    self.state = next;
                    self.ruleset = compiler::compile_state(&self.state, &mut sink);
                }
            }
        }
        if !sink.errors.is_empty() {
            self.failed = true;
        }
        self.report.files.push(FileResult {
            name: name.to_string(),
            errors: sink.errors,
            warnings: sink.warnings,
        });
        self.report.files.last().map_or(&EMPTY, |f| f)
    }

    /// Results so far, one entry per file.
    pub fn report(&self) -> &LoadReport {
        &self.report
    }

    /// The compiled rules, or the report when any file failed.
    pub fn finish(self) -> Result<Ruleset, LoadReport> {
        if self.failed {
            Err(self.report)
        } else {
            Ok(self.ruleset)
        }
    }

    /// The compiled rules and the report, whatever happened.
    pub fn into_parts(self) -> (Ruleset, LoadReport) {
        (self.ruleset, self.report)
    }
}

static EMPTY: FileResult = FileResult {
    name: String::new(),
    errors: Vec::new(),
    warnings: Vec::new(),
};

fn read_limited(path: &Path) -> std::io::Result<String> {
    let meta = std::fs::metadata(path)?;
    if meta.len() > MAX_RULES_FILE {
        return Err(std::io::Error::other(format!(
            "file is larger than {MAX_RULES_FILE} bytes"
        )));
    }
    std::fs::read_to_string(path)
}

/// Validates files in order, like `falco -V FILE…` (`rampart runtime rules validate`).
pub fn validate(files: &[impl AsRef<Path>]) -> LoadReport {
    let mut loader = Loader::new();
    for f in files {
        loader.add_file(f.as_ref());
    }
    loader.report
}

/// Loads files and returns the compiled rules, or the report when any file failed.
pub fn load(files: &[impl AsRef<Path>]) -> Result<(Ruleset, LoadReport), LoadReport> {
    let mut loader = Loader::new();
    for f in files {
        loader.add_file(f.as_ref());
    }
    let report = loader.report.clone();
    loader.finish().map(|r| (r, report))
}
