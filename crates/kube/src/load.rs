//! Loading Kubernetes objects from YAML/JSON files, directories and streams.
//!
//! A stream is split into documents at `---`/`...` markers first, so one broken document becomes a warning
//! with its line while the others still load. Every parse is bounded: file size, documents per file,
//! nesting depth and alias expansion (serde-saphyr budgets; serde_json's recursion limit).

use crate::error::LoadError;
use crate::lines::LineIndex;
use crate::object::{KubeObject, Source};
use rampart_core::ScanWarning;
use serde_json::Value;
use std::io::Read;
use std::path::Path;

/// Limits applied while loading.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// Files (and stdin) larger than this are skipped with a warning.
    pub max_file_bytes: u64,
    /// Documents beyond this count in one file are skipped with a warning.
    pub max_documents_per_file: usize,
    /// Directory walks stop after this many files.
    pub max_files: usize,
    /// Directory walks do not descend deeper than this.
    pub max_dir_depth: usize,
    /// Maximum nesting depth of one document.
    pub max_nesting: usize,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            max_file_bytes: 64 * 1024 * 1024,
            max_documents_per_file: 100_000,
            max_files: 200_000,
            max_dir_depth: 32,
            max_nesting: 64,
        }
    }
}

/// What a load produced: the objects, warnings (input that could not be read) and notes (input kept or
/// skipped on purpose, such as custom resources or non-Kubernetes YAML).
#[derive(Debug, Default, Clone)]
pub struct Loaded {
    pub objects: Vec<KubeObject>,
    pub warnings: Vec<ScanWarning>,
    pub notes: Vec<ScanWarning>,
}

impl Loaded {
    fn warn(&mut self, path: &str, line: Option<u32>, message: impl Into<String>) {
        self.warnings.push(ScanWarning {
            path: path.to_string(),
            line,
            message: message.into(),
        });
    }

    fn note(&mut self, path: &str, line: Option<u32>, message: impl Into<String>) {
        self.notes.push(ScanWarning {
            path: path.to_string(),
            line,
            message: message.into(),
        });
    }

    /// Appends another load's results.
    pub fn extend(&mut self, other: Loaded) {
        self.objects.extend(other.objects);
        self.warnings.extend(other.warnings);
        self.notes.extend(other.notes);
    }
}

/// Loads a file or a directory tree (`.yaml`, `.yml`, `.json`), or stdin when `path` is `-`.
pub fn load_path(path: &Path, opts: &LoadOptions) -> Result<Loaded, LoadError> {
    if path.as_os_str() == "-" {
        return load_reader(std::io::stdin().lock(), "-", opts);
    }
    let meta = std::fs::metadata(path).map_err(|source| LoadError::Io {
        path: path.display().to_string(),
        source,
    })?;
    let mut out = Loaded::default();
    if meta.is_dir() {
        let mut files = Vec::new();
        crate::walk::collect(path, opts, &mut files, &mut out.notes);
        for file in files {
            load_file_into(&file, opts, &mut out);
        }
    } else {
        let text = read_bounded(path, opts)?;
        out.extend(load_str(&text, &path.display().to_string(), opts));
    }
    Ok(out)
}

fn load_file_into(file: &Path, opts: &LoadOptions, out: &mut Loaded) {
    let name = file.display().to_string();
    match read_bounded(file, opts) {
        Ok(text) => out.extend(load_str(&text, &name, opts)),
        Err(e) => out.warn(&name, None, e.to_string()),
    }
}

fn read_bounded(path: &Path, opts: &LoadOptions) -> Result<String, LoadError> {
    let name = path.display().to_string();
    let file = std::fs::File::open(path).map_err(|source| LoadError::Io {
        path: name.clone(),
        source,
    })?;
    read_all(file, &name, opts)
}

fn read_all(reader: impl Read, name: &str, opts: &LoadOptions) -> Result<String, LoadError> {
    let mut bytes = Vec::new();
    reader
        .take(opts.max_file_bytes.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|source| LoadError::Io {
            path: name.to_string(),
            source,
        })?;
    if bytes.len() as u64 > opts.max_file_bytes {
        return Err(LoadError::TooLarge {
            path: name.to_string(),
            limit: opts.max_file_bytes,
        });
    }
    String::from_utf8(bytes).map_err(|e| LoadError::NotUtf8 {
        path: name.to_string(),
        offset: e.utf8_error().valid_up_to(),
    })
}

/// Loads a stream such as `helm template` or `kustomize build` output; `name` labels its source.
pub fn load_reader(reader: impl Read, name: &str, opts: &LoadOptions) -> Result<Loaded, LoadError> {
    let text = read_all(reader, name, opts)?;
    Ok(load_str(&text, name, opts))
}

/// Loads every object of a YAML or JSON text. Never fails: bad documents become warnings.
pub fn load_str(text: &str, name: &str, opts: &LoadOptions) -> Loaded {
    let mut out = Loaded::default();
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let lines = LineIndex::new(text);
    let json = if starts_like_json(text) {
        crate::parse::json_documents(text, &lines)
    } else {
        None
    };
    let docs = json.unwrap_or_else(|| crate::parse::yaml_documents(text, opts.max_nesting));
    for (index, mut doc) in docs.into_iter().enumerate() {
        if index >= opts.max_documents_per_file {
            out.warn(
                name,
                Some(doc.first_line),
                format!(
                    "more than {} documents; the rest were skipped",
                    opts.max_documents_per_file
                ),
            );
            break;
        }
        let source = Source {
            path: name.to_string(),
            first_line: doc.first_line,
            last_line: doc.last_line,
            template: doc.template.take(),
        };
        let list_items = match &doc.value {
            Ok(value) if is_list(value) => Some(doc.item_lines(text, &lines)),
            _ => None,
        };
        match (doc.value, list_items) {
            (Ok(value), Some(items)) => flatten_list(value, &source, items, &mut out),
            (Ok(value), None) => add_value(value, &source, &mut out),
            (Err((line, message)), _) => out.warn(name, line.or(Some(source.first_line)), message),
        }
    }
    out
}

fn starts_like_json(text: &str) -> bool {
    matches!(
        text.trim_start().as_bytes().first(),
        Some(b'{') | Some(b'[')
    )
}

/// A `List` kind (`List`, `PodList`, …) with an `items` field.
fn is_list(value: &Value) -> bool {
    value
        .get("kind")
        .and_then(Value::as_str)
        .is_some_and(|k| k.ends_with("List"))
        && value.get("items").is_some()
}

/// Adds one parsed document (or `List` item).
fn add_value(value: Value, source: &Source, out: &mut Loaded) {
    let line = Some(source.first_line);
    let path = source.path.as_str();
    match value {
        Value::Null => {}
        Value::Object(_) => match KubeObject::from_value(value, source.clone()) {
            Some(obj) => {
                if !obj.is_builtin() || obj.kind == "CustomResourceDefinition" {
                    let what = if obj.kind == "CustomResourceDefinition" {
                        "custom resource definition"
                    } else {
                        "custom or unknown kind"
                    };
                    out.note(
                        path,
                        line,
                        format!(
                            "{} ({}) is a {what}: kept, not checked",
                            obj.address(),
                            obj.api_version
                        ),
                    );
                }
                out.objects.push(obj);
            }
            None => out.note(path, line, "document has no kind: not a Kubernetes object"),
        },
        other => out.warn(
            path,
            line,
            format!(
                "document is not a Kubernetes object (found {})",
                json_type(&other)
            ),
        ),
    }
}

/// Adds the items of a `List`, each with its own lines when `item_lines` matches the items.
fn flatten_list(
    list: Value,
    source: &Source,
    item_lines: Option<Vec<(u32, u32)>>,
    out: &mut Loaded,
) {
    let list_kind = list.get("kind").and_then(Value::as_str).unwrap_or("");
    let item_kind = list_kind
        .strip_suffix("List")
        .filter(|k| !k.is_empty())
        .map(str::to_string);
    let api_version = list.get("apiVersion").cloned();
    let Value::Object(mut map) = list else {
        return;
    };
    let Some(Value::Array(items)) = map.remove("items") else {
        out.warn(
            &source.path,
            Some(source.first_line),
            "List has no items array",
        );
        return;
    };
    let item_lines = item_lines.filter(|l| l.len() == items.len());
    for (i, mut item) in items.into_iter().enumerate() {
        if let Value::Object(m) = &mut item
            && let Some(kind) = &item_kind
            && !m.contains_key("kind")
        {
            m.insert("kind".into(), Value::String(kind.clone()));
            if let Some(v) = &api_version {
                m.entry("apiVersion").or_insert_with(|| v.clone());
            }
        }
        let mut item_source = source.clone();
        if let Some((first, last)) = item_lines.as_ref().and_then(|l| l.get(i)) {
            item_source.first_line = *first;
            item_source.last_line = *last;
        }
        add_value(item, &item_source, out);
    }
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a sequence",
        Value::Object(_) => "a mapping",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Loaded {
        load_str(text, "t.yaml", &LoadOptions::default())
    }

    #[test]
    fn multi_document_stream_with_lines() {
        let l = load(
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n---\n# c\napiVersion: v1\nkind: Service\nmetadata:\n  name: b\n...\n",
        );
        assert_eq!(l.objects.len(), 2);
        assert_eq!(
            (
                l.objects[0].source.first_line,
                l.objects[0].source.last_line
            ),
            (1, 4)
        );
        assert_eq!(
            (
                l.objects[1].source.first_line,
                l.objects[1].source.last_line
            ),
            (7, 10)
        );
        assert!(l.warnings.is_empty());
    }

    #[test]
    fn invalid_document_is_a_warning_and_others_load() {
        let l = load(
            "kind: Pod\nmetadata: {name: a}\n---\nkind: [unclosed\n---\nkind: Service\nmetadata: {name: b}\n",
        );
        assert_eq!(l.objects.len(), 2);
        assert_eq!(l.warnings.len(), 1);
        assert!(
            l.warnings[0].line.is_some_and(|n| n >= 4),
            "{:?}",
            l.warnings
        );
    }

    #[test]
    fn kubectl_json_list_is_flattened_with_kinds() {
        let text = r#"{"apiVersion":"v1","kind":"PodList","items":[{"metadata":{"name":"a"}},{"kind":"Pod","apiVersion":"v1","metadata":{"name":"b"}}]}"#;
        let l = load(text);
        assert_eq!(l.objects.len(), 2);
        assert!(
            l.objects
                .iter()
                .all(|o| o.kind == "Pod" && o.api_version == "v1")
        );
    }

    #[test]
    fn yaml_list_kind() {
        let l = load(
            "apiVersion: v1\nkind: List\nitems:\n- kind: Pod\n  metadata: {name: a}\n- kind: Service\n  metadata: {name: b}\n",
        );
        assert_eq!(l.objects.len(), 2);
    }

    #[test]
    fn helm_source_comment_is_kept() {
        let l = load(
            "---\n# Source: chart/templates/dep.yaml\nkind: Deployment\nmetadata: {name: x}\n",
        );
        assert_eq!(
            l.objects[0].source.template.as_deref(),
            Some("chart/templates/dep.yaml")
        );
    }

    #[test]
    fn scalars_and_kindless_documents() {
        let l = load("just a string\n---\nfoo: bar\n---\n");
        assert!(l.objects.is_empty());
        assert_eq!(l.warnings.len(), 1);
        assert_eq!(l.notes.len(), 1);
    }

    #[test]
    fn crd_instances_are_kept_and_noted() {
        let l = load("apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {name: c}\n");
        assert_eq!(l.objects.len(), 1);
        assert_eq!(l.notes.len(), 1);
    }

    #[test]
    fn non_string_keys_load_as_strings() {
        let l = load_str(
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  1: a\n  true: b\n",
            "k.yaml",
            &LoadOptions::default(),
        );
        assert!(l.warnings.is_empty(), "{:?}", l.warnings);
        assert_eq!(l.objects[0].doc["data"]["1"], "a");
    }
}
