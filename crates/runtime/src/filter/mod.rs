//! The filter language: parsing conditions, compiling them against a source's fields, and the
//! event types a condition can match.

pub mod ast;
pub mod compile;
pub mod evttypes;
pub mod glob;
pub mod parse;
pub mod share;

pub use ast::{Check, Expr, FieldExpr, Literal, Op, Rhs, Transformer};
pub use compile::{CompileError, Node, compile, compile_field};
pub use evttypes::EvtTypes;
pub use parse::{ParseError, parse};
