//! Field registries (one per event source) and the values fields extract from events.
//!
//! The rule engine knows fields, not where events come from: each source lists the fields it can
//! fill with their types, and its events implement [`Event`] to extract them.

pub mod cloudtrail;
pub mod json;
pub mod k8s_audit;
pub mod plugin_evt;
pub mod syscall;

use std::borrow::Cow;
use std::fmt;

/// An event source, as named in rules (`source:`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Source {
    Syscall,
    K8sAudit,
    CloudTrail,
}

impl Source {
    /// Every source the engine knows.
    pub const ALL: [Source; 3] = [Source::Syscall, Source::K8sAudit, Source::CloudTrail];

    /// The source named `name` in rules files.
    pub fn from_name(name: &str) -> Option<Source> {
        Some(match name {
            "syscall" => Source::Syscall,
            "k8s_audit" => Source::K8sAudit,
            "aws_cloudtrail" => Source::CloudTrail,
            _ => return None,
        })
    }

    /// The source's name in rules files and alerts.
    pub fn name(self) -> &'static str {
        match self {
            Source::Syscall => "syscall",
            Source::K8sAudit => "k8s_audit",
            Source::CloudTrail => "aws_cloudtrail",
        }
    }

    /// Looks up a field of this source.
    pub fn field(self, name: &str) -> Option<&'static FieldInfo> {
        let table: &'static [FieldInfo] = match self {
            Source::Syscall => syscall::FIELDS,
            Source::K8sAudit => k8s_audit::FIELDS,
            Source::CloudTrail => cloudtrail::FIELDS,
        };
        if let Some(f) = table.iter().find(|f| f.name == name) {
            return Some(f);
        }
        if self != Source::Syscall
            && let Some(f) = plugin_evt::FIELDS.iter().find(|f| f.name == name)
        {
            return Some(f);
        }
        // dynamic-suffix fields: `evt.arg.NAME`, `evt.rawarg.NAME`
        table.iter().find(|f| {
            f.arg == ArgKind::Suffix && name.starts_with(f.name) && name.len() > f.name.len()
        })
    }

    /// True for syscall fields with "any value" semantics (`proc.aname` without index, `fd.ip`, …).
    pub fn is_any_field(self, name: &str, has_arg: bool) -> bool {
        self == Source::Syscall
            && match name {
                "proc.aname" | "proc.aexe" | "proc.aexepath" | "proc.acmdline" | "proc.apid" => {
                    !has_arg
                }
                "fd.ip" | "fd.port" | "fd.net" => true,
                _ => false,
            }
    }

    /// Every field of this source (a plugin source's own, then the `evt.*` fields every plugin
    /// event has).
    pub fn fields(self) -> impl Iterator<Item = &'static FieldInfo> {
        let (own, common) = match self {
            Source::Syscall => (syscall::FIELDS, &[][..]),
            Source::K8sAudit => (k8s_audit::FIELDS, plugin_evt::FIELDS),
            Source::CloudTrail => (cloudtrail::FIELDS, plugin_evt::FIELDS),
        };
        own.iter().chain(common)
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The type of a field's values; decides how constants are parsed and compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    Str,
    Int,
    Bool,
    /// An IP address (compares against addresses and CIDR networks).
    Ip,
    /// A network: the field is an address, constants are CIDR networks.
    Net,
}

/// Whether a field takes an argument (`proc.aname[2]`, `evt.arg.flags`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArgKind {
    None,
    Optional,
    Required,
    /// The field name is a prefix and the rest is the argument (`evt.arg.` + name).
    Suffix,
}

/// One field of a source.
#[derive(Debug, Clone, Copy)]
pub struct FieldInfo {
    pub name: &'static str,
    pub ty: FieldType,
    pub arg: ArgKind,
    /// Source-specific id, used by the source's extractor.
    pub id: u16,
}

/// A field argument, parsed once at compile time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arg {
    None,
    Index(i64),
    Key(Box<str>),
}

impl Arg {
    /// Parses an argument: a number is an index, anything else a key.
    pub fn parse(text: Option<&str>) -> Arg {
        match text {
            None => Arg::None,
            Some(t) => match t.trim().parse::<i64>() {
                Ok(n) => Arg::Index(n),
                Err(_) => Arg::Key(t.into()),
            },
        }
    }

    /// The argument as text (index or key).
    pub fn key(&self) -> Option<Cow<'_, str>> {
        match self {
            Arg::None => None,
            Arg::Index(n) => Some(Cow::Owned(n.to_string())),
            Arg::Key(k) => Some(Cow::Borrowed(k)),
        }
    }
}

/// A resolved field reference, as compiled rules hold it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldRef {
    pub id: u16,
    pub ty: FieldType,
    pub arg: Arg,
    /// The name as written, with its argument (`proc.aname[2]`), for outputs.
    pub display: Box<str>,
    /// The field has "any of its values" semantics and the event can visit them without
    /// collecting ([`Event::any_value`]).
    pub any: bool,
}

/// A value extracted from an event. `None` means the field is not available for this event.
#[derive(Debug, Clone, PartialEq)]
pub enum Val<'a> {
    None,
    Str(Cow<'a, str>),
    Int(i64),
    Bool(bool),
    /// A multi-valued field (one value per container, ancestor, …).
    List(Vec<Val<'a>>),
}

impl<'a> Val<'a> {
    /// A borrowed string value.
    pub fn str(s: &'a str) -> Val<'a> {
        Val::Str(Cow::Borrowed(s))
    }

    /// A string value, or `None` when absent.
    pub fn opt_str(s: Option<&'a str>) -> Val<'a> {
        s.map_or(Val::None, Val::str)
    }

    /// True when the field is available.
    pub fn exists(&self) -> bool {
        match self {
            Val::None => false,
            Val::List(v) => !v.is_empty(),
            _ => true,
        }
    }

    /// The value rendered as text, as Falco prints it in outputs (`<NA>` when absent).
    pub fn render(&self) -> String {
        match self {
            Val::None => "<NA>".into(),
            Val::Str(s) => s.to_string(),
            Val::Int(n) => n.to_string(),
            Val::Bool(b) => b.to_string(),
            Val::List(v) => {
                let parts: Vec<String> = v.iter().map(Val::render).collect();
                format!("({})", parts.join(","))
            }
        }
    }

    /// The value as JSON for `output_fields` (`null` when absent).
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Val::None => serde_json::Value::Null,
            Val::Str(s) => serde_json::Value::String(s.to_string()),
            Val::Int(n) => serde_json::Value::from(*n),
            Val::Bool(b) => serde_json::Value::Bool(*b),
            Val::List(_) => serde_json::Value::String(self.render()),
        }
    }
}

/// An event the engine can evaluate rules against.
pub trait Event {
    /// The source the event belongs to.
    fn source(&self) -> Source;
    /// The event type used by the rule index (`openat`, `execve`; plugin sources return their
    /// plugin event name).
    fn evt_type(&self) -> &str;
    /// Extracts one field.
    fn extract(&self, field: &FieldRef) -> Val<'_>;
    /// Event time, nanoseconds since the Unix epoch.
    fn time_ns(&self) -> i64;
    /// For fields with "any of" semantics (`proc.aname` without index, `fd.ip`, `fd.port`): calls
    /// `pred` on each value without collecting them and returns whether any matched. `None` means
    /// the field is not such a field; the engine then uses [`Event::extract`].
    fn any_value(
        &self,
        _field: &FieldRef,
        _pred: &mut dyn FnMut(&Val<'_>) -> bool,
    ) -> Option<bool> {
        None
    }
}

/// Builds a static field table with ids in order (from `@ BASE` when given, so the ids of a
/// table shared by several sources never meet a source's own).
macro_rules! field_table {
    ($vis:vis enum $enum:ident, $table:ident { $($var:ident = $name:literal : $ty:ident / $arg:ident,)* }) => {
        $crate::fields::field_table!($vis enum $enum, $table @ 0 { $($var = $name : $ty / $arg,)* });
    };
    ($vis:vis enum $enum:ident, $table:ident @ $base:tt { $($var:ident = $name:literal : $ty:ident / $arg:ident,)* }) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        #[allow(clippy::upper_case_acronyms)]
        $vis enum $enum { $($var),* }
        impl $enum {
            const ALL: &'static [$enum] = &[$($enum::$var),*];
            /// The field with this id.
            pub fn from_id(id: u16) -> Option<$enum> {
                Self::ALL.get(usize::from(id.checked_sub($base)?)).copied()
            }
        }
        pub static $table: &[$crate::fields::FieldInfo] = &[
            $($crate::fields::FieldInfo {
                name: $name,
                ty: $crate::fields::FieldType::$ty,
                arg: $crate::fields::ArgKind::$arg,
                id: $base + $enum::$var as u16,
            }),*
        ];
    };
}
pub(crate) use field_table;
