//! The loader's state: every list, macro and rule collected so far, in definition order, before
//! compilation.

use super::priority::Priority;
use crate::diag::Location;
use crate::yaml::Pos;

/// Where an item was defined, for diagnostics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemCtx {
    pub item_type: &'static str,
    pub name: String,
    pub pos: Pos,
    pub file: String,
}

impl ItemCtx {
    /// A context for an item at `pos` (the file is set with [`ItemCtx::with_file`]).
    pub fn new(item_type: &'static str, name: &str, pos: Pos) -> ItemCtx {
        ItemCtx {
            item_type,
            name: name.to_string(),
            pos,
            file: String::new(),
        }
    }

    /// The same context in `file`.
    pub fn with_file(mut self, file: &str) -> ItemCtx {
        self.file = file.to_string();
        self
    }

    /// A diagnostic location; `file` is used when the context has none.
    pub fn loc(&self, file: &str) -> Location {
        Location {
            item_type: self.item_type.into(),
            item_name: self.name.clone(),
            file: if self.file.is_empty() {
                file.into()
            } else {
                self.file.clone()
            },
            line: self.pos.line,
            column: self.pos.column,
            offset: self.pos.offset,
        }
    }
}

/// A `list` item.
#[derive(Debug, Clone)]
pub struct ListInfo {
    pub name: String,
    pub items: Vec<String>,
    pub ctx: ItemCtx,
}

/// A `macro` item.
#[derive(Debug, Clone)]
pub struct MacroInfo {
    pub name: String,
    pub condition: String,
    pub ctx: ItemCtx,
}

/// An exception's `fields`: one field (values are a list) or a tuple of fields.
#[derive(Debug, Clone, PartialEq)]
pub enum Fields {
    Single(String),
    Tuple(Vec<String>),
}

/// One exception value: a scalar, a list (for `in`-style comps), or a tuple of those.
#[derive(Debug, Clone, PartialEq)]
pub enum ExceptionValue {
    Scalar(String),
    List(Vec<String>),
    Tuple(Vec<ExceptionValue>),
}

/// A rule exception.
#[derive(Debug, Clone)]
pub struct ExceptionInfo {
    pub name: String,
    pub fields: Option<Fields>,
    pub comps: Option<Vec<String>>,
    pub values: Vec<ExceptionValue>,
    pub ctx: ItemCtx,
}

/// A `rule` item after appends and overrides.
#[derive(Debug, Clone)]
pub struct RuleInfo {
    pub name: String,
    pub desc: String,
    pub condition: String,
    pub output: String,
    pub priority: Priority,
    pub tags: Vec<String>,
    pub source: String,
    pub enabled: bool,
    pub exceptions: Vec<ExceptionInfo>,
    pub warn_evttypes: bool,
    pub skip_if_unknown_filter: bool,
    pub ctx: ItemCtx,
    /// Where the condition was last changed (an append points at the appending item).
    pub cond_ctx: ItemCtx,
}

/// Everything collected so far.
#[derive(Debug, Clone, Default)]
pub struct State {
    pub lists: Vec<ListInfo>,
    pub macros: Vec<MacroInfo>,
    pub rules: Vec<RuleInfo>,
}
