//! Load diagnostics with Falco's codes, and the JSON shape of `falco -V --json`.

use serde::Serialize;
use serde_json::{Value, json};

/// Falco's load result codes (errors and warnings).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[allow(non_camel_case_types)]
pub enum Code {
    LOAD_ERR_FILE_READ,
    LOAD_ERR_YAML_PARSE,
    LOAD_ERR_YAML_VALIDATE,
    LOAD_ERR_COMPILE_CONDITION,
    LOAD_ERR_COMPILE_OUTPUT,
    LOAD_ERR_VALIDATE,
    LOAD_ERR_EXTENSION,
    LOAD_UNKNOWN_SOURCE,
    LOAD_UNSAFE_NA_CHECK,
    LOAD_NO_EVTTYPE,
    LOAD_UNKNOWN_FILTER,
    LOAD_UNUSED_MACRO,
    LOAD_UNUSED_LIST,
    LOAD_UNKNOWN_ITEM,
    LOAD_DEPRECATED_ITEM,
    LOAD_WARNING_EXTENSION,
    LOAD_APPEND_NO_VALUES,
    LOAD_EXCEPTION_NAME_NOT_UNIQUE,
    LOAD_INVALID_MACRO_NAME,
    LOAD_INVALID_LIST_NAME,
    LOAD_COMPILE_CONDITION,
}

impl Code {
    /// The code's name, as Falco prints it.
    pub fn name(self) -> &'static str {
        match self {
            Code::LOAD_ERR_FILE_READ => "LOAD_ERR_FILE_READ",
            Code::LOAD_ERR_YAML_PARSE => "LOAD_ERR_YAML_PARSE",
            Code::LOAD_ERR_YAML_VALIDATE => "LOAD_ERR_YAML_VALIDATE",
            Code::LOAD_ERR_COMPILE_CONDITION => "LOAD_ERR_COMPILE_CONDITION",
            Code::LOAD_ERR_COMPILE_OUTPUT => "LOAD_ERR_COMPILE_OUTPUT",
            Code::LOAD_ERR_VALIDATE => "LOAD_ERR_VALIDATE",
            Code::LOAD_ERR_EXTENSION => "LOAD_ERR_EXTENSION",
            Code::LOAD_UNKNOWN_SOURCE => "LOAD_UNKNOWN_SOURCE",
            Code::LOAD_UNSAFE_NA_CHECK => "LOAD_UNSAFE_NA_CHECK",
            Code::LOAD_NO_EVTTYPE => "LOAD_NO_EVTTYPE",
            Code::LOAD_UNKNOWN_FILTER => "LOAD_UNKNOWN_FILTER",
            Code::LOAD_UNUSED_MACRO => "LOAD_UNUSED_MACRO",
            Code::LOAD_UNUSED_LIST => "LOAD_UNUSED_LIST",
            Code::LOAD_UNKNOWN_ITEM => "LOAD_UNKNOWN_ITEM",
            Code::LOAD_DEPRECATED_ITEM => "LOAD_DEPRECATED_ITEM",
            Code::LOAD_WARNING_EXTENSION => "LOAD_WARNING_EXTENSION",
            Code::LOAD_APPEND_NO_VALUES => "LOAD_APPEND_NO_VALUES",
            Code::LOAD_EXCEPTION_NAME_NOT_UNIQUE => "LOAD_EXCEPTION_NAME_NOT_UNIQUE",
            Code::LOAD_INVALID_MACRO_NAME => "LOAD_INVALID_MACRO_NAME",
            Code::LOAD_INVALID_LIST_NAME => "LOAD_INVALID_LIST_NAME",
            Code::LOAD_COMPILE_CONDITION => "LOAD_COMPILE_CONDITION",
        }
    }

    /// Falco's short description of the code.
    pub fn description(self) -> &'static str {
        match self {
            Code::LOAD_ERR_FILE_READ => "File read error",
            Code::LOAD_ERR_YAML_PARSE => "YAML parse error",
            Code::LOAD_ERR_YAML_VALIDATE => "Error validating internal structure of YAML file",
            Code::LOAD_ERR_COMPILE_CONDITION => "Error compiling condition",
            Code::LOAD_ERR_COMPILE_OUTPUT => "Error compiling output",
            Code::LOAD_ERR_VALIDATE => "Error validating rule/macro/list/exception objects",
            Code::LOAD_ERR_EXTENSION => "Error in extension item",
            Code::LOAD_UNKNOWN_SOURCE => "Unknown source",
            Code::LOAD_UNSAFE_NA_CHECK => "Unsafe comparison in condition",
            Code::LOAD_NO_EVTTYPE => "Condition has no event-type restriction",
            Code::LOAD_UNKNOWN_FILTER => "Unknown field or event-type in condition or output",
            Code::LOAD_UNUSED_MACRO => "Unused macro",
            Code::LOAD_UNUSED_LIST => "Unused list",
            Code::LOAD_UNKNOWN_ITEM => "Unknown rules file item",
            Code::LOAD_DEPRECATED_ITEM => "Used deprecated item",
            Code::LOAD_WARNING_EXTENSION => "Extension item has a warning",
            Code::LOAD_APPEND_NO_VALUES => "Overriding/appending with no values",
            Code::LOAD_EXCEPTION_NAME_NOT_UNIQUE => {
                "Multiple exceptions defined with the same name"
            }
            Code::LOAD_INVALID_MACRO_NAME => "Invalid macro name",
            Code::LOAD_INVALID_LIST_NAME => "Invalid list name",
            Code::LOAD_COMPILE_CONDITION => "Condition has issues",
        }
    }
}

/// Where a diagnostic points: a file position and the item it concerns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Location {
    /// `rule`, `macro`, `list`, `exception`, `required_engine_version`, `rules content`, …
    pub item_type: String,
    pub item_name: String,
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub offset: usize,
}

/// One error or warning of a load.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub code: Code,
    pub message: String,
    /// Innermost location last, as Falco lists context locations.
    pub locations: Vec<Location>,
}

impl Diagnostic {
    /// The innermost location (the item the message is about).
    pub fn location(&self) -> Option<&Location> {
        self.locations.last()
    }

    /// True when some location is for this item type and name.
    pub fn concerns(&self, item_type: &str, item_name: &str) -> bool {
        self.locations
            .iter()
            .any(|l| l.item_type == item_type && l.item_name == item_name)
    }

    /// One line of text: `file:line:col: CODE (type name): message`.
    pub fn to_text(&self) -> String {
        match self.location() {
            Some(l) => format!(
                "{}:{}:{}: {} ({} '{}'): {}",
                l.file,
                l.line,
                l.column,
                self.code.name(),
                l.item_type,
                l.item_name,
                self.message
            ),
            None => format!("{}: {}", self.code.name(), self.message),
        }
    }

    fn to_json(&self) -> Value {
        let locations: Vec<Value> = self
            .locations
            .iter()
            .map(|l| {
                json!({
                    "item_type": l.item_type,
                    "item_name": l.item_name,
                    "position": {"name": l.file, "line": l.line, "column": l.column, "offset": l.offset},
                })
            })
            .collect();
        json!({
            "code": self.code.name(),
            "codedesc": self.code.description(),
            "message": self.message,
            "context": {"locations": locations},
        })
    }
}

/// The result of loading one rules file (in a sequence of files).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FileResult {
    pub name: String,
    pub errors: Vec<Diagnostic>,
    pub warnings: Vec<Diagnostic>,
}

impl FileResult {
    /// True when the file loaded without errors.
    pub fn successful(&self) -> bool {
        self.errors.is_empty()
    }
}

/// Results of a validation run over several files, in load order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LoadReport {
    pub files: Vec<FileResult>,
}

impl LoadReport {
    /// True when every file loaded.
    pub fn successful(&self) -> bool {
        self.files.iter().all(FileResult::successful)
    }

    /// Every error of every file.
    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.files.iter().flat_map(|f| f.errors.iter())
    }

    /// Every warning of every file.
    pub fn warnings(&self) -> impl Iterator<Item = &Diagnostic> {
        self.files.iter().flat_map(|f| f.warnings.iter())
    }

    /// The shape of `falco -V FILE --json`: `{"falco_load_results": [{name, successful, errors, warnings}]}`.
    pub fn to_json(&self) -> Value {
        let files: Vec<Value> = self
            .files
            .iter()
            .map(|f| {
                json!({
                    "name": f.name,
                    "successful": f.successful(),
                    "errors": f.errors.iter().map(Diagnostic::to_json).collect::<Vec<_>>(),
                    "warnings": f.warnings.iter().map(Diagnostic::to_json).collect::<Vec<_>>(),
                })
            })
            .collect();
        json!({ "falco_load_results": files })
    }

    /// Human-readable text, one block per file, like `falco -V`.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for f in &self.files {
            let status = if f.successful() { "Ok" } else { "Invalid" };
            out.push_str(&format!("{}: {status}", f.name));
            if !f.warnings.is_empty() || !f.errors.is_empty() {
                out.push_str(&format!(
                    ", with {} error(s) and {} warning(s)",
                    f.errors.len(),
                    f.warnings.len()
                ));
            }
            out.push('\n');
            for d in &f.errors {
                out.push_str(&format!("  ERROR {}\n", d.to_text()));
            }
            for d in &f.warnings {
                out.push_str(&format!("  WARNING {}\n", d.to_text()));
            }
        }
        out
    }
}
