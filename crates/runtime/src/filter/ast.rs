//! The syntax tree of a Falco filter condition, before macros, lists and fields are resolved.

/// A boolean expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Not(Box<Expr>),
    /// A bare identifier: a macro reference.
    Macro(String),
    Check(Check),
}

/// One comparison: `field op value`, `field op (list)` or `field exists`.
#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    pub field: FieldExpr,
    pub op: Op,
    pub rhs: Rhs,
}

/// A field, possibly wrapped by transformers (`tolower(proc.name)`).
#[derive(Debug, Clone, PartialEq)]
pub enum FieldExpr {
    Field { name: String, arg: Option<String> },
    Transform(Transformer, Box<FieldExpr>),
}

impl FieldExpr {
    /// The innermost field's name and argument.
    pub fn base(&self) -> (&str, Option<&str>) {
        match self {
            FieldExpr::Field { name, arg } => (name, arg.as_deref()),
            FieldExpr::Transform(_, inner) => inner.base(),
        }
    }
}

/// Field transformers of the filter language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transformer {
    ToLower,
    ToUpper,
    B64,
    Basename,
    Len,
}

impl Transformer {
    /// The transformer named `name`, if any.
    pub fn from_name(name: &str) -> Option<Transformer> {
        Some(match name {
            "tolower" => Transformer::ToLower,
            "toupper" => Transformer::ToUpper,
            "b64" => Transformer::B64,
            "basename" => Transformer::Basename,
            "len" => Transformer::Len,
            _ => return None,
        })
    }
}

/// Comparison operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Contains,
    IContains,
    BContains,
    StartsWith,
    BStartsWith,
    EndsWith,
    Glob,
    IGlob,
    Regex,
    In,
    Intersects,
    Pmatch,
    Exists,
}

impl Op {
    /// Operators that take a parenthesized list.
    pub fn takes_list(self) -> bool {
        matches!(self, Op::In | Op::Intersects | Op::Pmatch)
    }

    /// The operator's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Eq => "=",
            Op::Ne => "!=",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Contains => "contains",
            Op::IContains => "icontains",
            Op::BContains => "bcontains",
            Op::StartsWith => "startswith",
            Op::BStartsWith => "bstartswith",
            Op::EndsWith => "endswith",
            Op::Glob => "glob",
            Op::IGlob => "iglob",
            Op::Regex => "regex",
            Op::In => "in",
            Op::Intersects => "intersects",
            Op::Pmatch => "pmatch",
            Op::Exists => "exists",
        }
    }
}

/// The right-hand side of a check.
#[derive(Debug, Clone, PartialEq)]
pub enum Rhs {
    None,
    Value(Literal),
    List(Vec<Literal>),
    /// `val(field)`: compare against another field of the same event.
    Field(FieldExpr),
}

/// A constant; `quoted` says whether it was written in quotes (quoted values never name a list).
#[derive(Debug, Clone, PartialEq)]
pub struct Literal {
    pub text: String,
    pub quoted: bool,
}

impl Expr {
    /// Calls `f` on every macro name referenced.
    pub fn visit_macros(&self, f: &mut dyn FnMut(&str)) {
        match self {
            Expr::And(v) | Expr::Or(v) => v.iter().for_each(|e| e.visit_macros(f)),
            Expr::Not(e) => e.visit_macros(f),
            Expr::Macro(name) => f(name),
            Expr::Check(_) => {}
        }
    }

    /// Calls `f` on every unquoted list item (candidate list references).
    pub fn visit_list_items(&self, f: &mut dyn FnMut(&str)) {
        match self {
            Expr::And(v) | Expr::Or(v) => v.iter().for_each(|e| e.visit_list_items(f)),
            Expr::Not(e) => e.visit_list_items(f),
            Expr::Macro(_) => {}
            Expr::Check(c) => {
                if let Rhs::List(items) = &c.rhs {
                    items.iter().filter(|l| !l.quoted).for_each(|l| f(&l.text));
                }
            }
        }
    }
}
