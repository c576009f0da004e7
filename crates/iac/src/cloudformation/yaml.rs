//! A small YAML DOM with line numbers and tags, built from parser events with bounded alias expansion
//! (YAML bombs) and nesting depth.

use saphyr_parser::{Event, Parser, ScalarStyle};
use std::collections::HashMap;

/// Nodes created per document at most, alias copies included.
const MAX_NODES: usize = 500_000;
/// Nesting depth at most.
const MAX_DEPTH: usize = 100;

/// A YAML node.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub kind: Kind,
    /// Local tag suffix (`Ref` for `!Ref`), if any.
    pub tag: Option<String>,
    /// 1-based first and last line.
    pub line: u32,
    pub end_line: u32,
    /// For a mapping value: the line of its key (0 otherwise).
    pub key_line: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// A scalar and whether it was plain (unquoted), which decides booleans and numbers.
    Scalar(String, bool),
    Seq(Vec<Node>),
    Map(Vec<(String, Node)>),
}

impl Node {
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.kind {
            Kind::Map(m) => m.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            Kind::Scalar(s, _) => Some(s),
            _ => None,
        }
    }

    fn size(&self) -> usize {
        match &self.kind {
            Kind::Scalar(..) => 1,
            Kind::Seq(v) => 1 + v.iter().map(Node::size).sum::<usize>(),
            Kind::Map(m) => 1 + m.iter().map(|(_, n)| n.size()).sum::<usize>(),
        }
    }
}

/// A parse failure with its line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct YamlError {
    pub line: u32,
    pub message: String,
}

enum Frame {
    Seq(Vec<Node>, Option<String>, u32, usize),
    /// Entries, tag, first line, anchor, pending key and its line.
    Map(
        Vec<(String, Node)>,
        Option<String>,
        u32,
        usize,
        Option<(String, u32)>,
    ),
}

/// Parses the first document of a YAML stream.
pub fn parse(text: &str) -> Result<Option<Node>, YamlError> {
    let mut anchors: HashMap<usize, Node> = HashMap::new();
    let mut stack: Vec<Frame> = Vec::new();
    let mut nodes = 0usize;
    let mut done: Option<Node> = None;
    let err = |line: usize, m: &str| YamlError {
        line: line as u32,
        message: m.to_string(),
    };
    for ev in Parser::new_from_str(text) {
        let (ev, span) = ev.map_err(|e| err(e.marker().line(), e.info()))?;
        let line = span.start.line() as u32;
        let end_line = span.end.line() as u32;
        let node = match ev {
            Event::DocumentEnd if done.is_some() => break,
            Event::Scalar(v, style, anchor, tag) => {
                let n = Node {
                    kind: Kind::Scalar(v.into_owned(), style == ScalarStyle::Plain),
                    tag: tag.map(|t| t.suffix.clone()),
                    line,
                    end_line,
                    key_line: 0,
                };
                if anchor > 0 {
                    anchors.insert(anchor, n.clone());
                }
                n
            }
            Event::Alias(id) => {
                let n = anchors
                    .get(&id)
                    .cloned()
                    .ok_or_else(|| err(line as usize, "unknown alias"))?;
                nodes += n.size();
                n
            }
            Event::SequenceStart(anchor, tag) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(err(line as usize, "YAML nested too deeply"));
                }
                stack.push(Frame::Seq(
                    Vec::new(),
                    tag.map(|t| t.suffix.clone()),
                    line,
                    anchor,
                ));
                continue;
            }
            Event::MappingStart(anchor, tag) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(err(line as usize, "YAML nested too deeply"));
                }
                stack.push(Frame::Map(
                    Vec::new(),
                    tag.map(|t| t.suffix.clone()),
                    line,
                    anchor,
                    None,
                ));
                continue;
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let Some(frame) = stack.pop() else { continue };
                let (kind, tag, start, anchor) = match frame {
                    Frame::Seq(v, t, l, a) => (Kind::Seq(v), t, l, a),
                    Frame::Map(m, t, l, a, _) => (Kind::Map(m), t, l, a),
                };
                // The end event sits on the next token's line; the last child ends the collection.
                let last = match &kind {
                    Kind::Seq(v) => v.last().map(|n| n.end_line),
                    Kind::Map(m) => m.last().map(|(_, n)| n.end_line),
                    Kind::Scalar(..) => None,
                };
                let n = Node {
                    kind,
                    tag,
                    line: start,
                    end_line: last.unwrap_or(end_line).max(start),
                    key_line: 0,
                };
                if anchor > 0 {
                    anchors.insert(anchor, n.clone());
                }
                n
            }
            _ => continue,
        };
        nodes += 1;
        if nodes > MAX_NODES {
            return Err(err(
                line as usize,
                "YAML document too large (alias expansion limit)",
            ));
        }
        match stack.last_mut() {
            None => done = Some(node),
            Some(Frame::Seq(v, ..)) => v.push(node),
            Some(Frame::Map(m, _, _, _, key)) => match key.take() {
                None => *key = Some((node.as_str().unwrap_or("").to_string(), node.line)),
                Some((k, key_line)) => {
                    let node = Node { key_line, ..node };
                    if k == "<<" {
                        if let Kind::Map(merged) = node.kind {
                            for (mk, mv) in merged {
                                if !m.iter().any(|(x, _)| *x == mk) {
                                    m.push((mk, mv));
                                }
                            }
                        }
                    } else {
                        m.push((k, node));
                    }
                }
            },
        }
    }
    Ok(done)
}

/// Converts JSON into nodes (no lines; JSON templates locate resources by text search).
pub fn from_json(v: &serde_json::Value) -> Node {
    let kind = match v {
        serde_json::Value::Null => Kind::Scalar("null".into(), true),
        serde_json::Value::Bool(b) => Kind::Scalar(b.to_string(), true),
        serde_json::Value::Number(n) => Kind::Scalar(n.to_string(), true),
        serde_json::Value::String(s) => Kind::Scalar(s.clone(), false),
        serde_json::Value::Array(a) => Kind::Seq(a.iter().map(from_json).collect()),
        serde_json::Value::Object(o) => {
            Kind::Map(o.iter().map(|(k, v)| (k.clone(), from_json(v))).collect())
        }
    };
    Node {
        kind,
        tag: None,
        line: 0,
        end_line: 0,
        key_line: 0,
    }
}
