//! A small YAML document model that keeps the position (line, column) of every node, built on the
//! `granit-parser` event stream. Rule files need positions for Falco-style diagnostics, which a serde
//! deserializer does not keep. Bounded: nesting depth, node count and alias expansion are limited.

use granit_parser::{Event, Parser, ScalarStyle};
use std::collections::HashMap;

/// Deepest nesting accepted.
const MAX_DEPTH: usize = 64;
/// Most nodes (after alias expansion) accepted in one file.
const MAX_NODES: usize = 2_000_000;

/// A 1-based line and column in a source file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pos {
    pub line: usize,
    pub column: usize,
    /// Byte offset (character offset where bytes are unknown).
    pub offset: usize,
}

/// One YAML node with its position.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub kind: NodeKind,
    pub pos: Pos,
}

/// The shape of a node. Scalars keep their text; `plain` is false for quoted and block scalars.
#[derive(Debug, Clone, PartialEq)]
pub enum NodeKind {
    Null,
    Scalar { text: String, plain: bool },
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

/// A YAML syntax error.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct YamlError {
    pub message: String,
    pub pos: Pos,
}

impl Node {
    /// The scalar text, if this is a scalar.
    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            NodeKind::Scalar { text, .. } => Some(text),
            _ => None,
        }
    }

    /// Value of `key` when this is a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.kind {
            NodeKind::Map(entries) => entries
                .iter()
                .find(|(k, _)| k.as_str() == Some(key))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    /// True for the YAML null.
    pub fn is_null(&self) -> bool {
        matches!(self.kind, NodeKind::Null)
    }

    /// A boolean scalar (`true`/`false` in YAML 1.2 and 1.1 spellings).
    pub fn as_bool(&self) -> Option<bool> {
        match self.as_str()? {
            "true" | "True" | "TRUE" | "yes" | "Yes" | "on" | "On" => Some(true),
            "false" | "False" | "FALSE" | "no" | "No" | "off" | "Off" => Some(false),
            _ => None,
        }
    }
}

fn pos_of(m: &granit_parser::Marker) -> Pos {
    Pos {
        line: m.line(),
        column: m.col() + 1,
        offset: m.byte_offset().unwrap_or(m.index()),
    }
}

enum Frame {
    Seq(Vec<Node>, Pos, usize),
    Map(Vec<(Node, Node)>, Option<Node>, Pos, usize),
}

/// Parses every document of `text`. An empty document is `Null`.
pub fn parse_documents(text: &str) -> Result<Vec<Node>, YamlError> {
    let mut docs = Vec::new();
    let mut stack: Vec<Frame> = Vec::new();
    let mut anchors: HashMap<usize, Node> = HashMap::new();
    let mut current: Option<Node> = None;
    let mut count = 0usize;
    for item in Parser::new_from_str(text) {
        let (event, span) = item.map_err(|e| YamlError {
            message: e.info().to_string(),
            pos: pos_of(e.marker()),
        })?;
        let pos = pos_of(&span.start);
        let finished: Option<(Node, usize)> = match event {
            Event::DocumentStart(..) => {
                current = None;
                anchors.clear();
                None
            }
            Event::DocumentEnd => {
                docs.push(current.take().unwrap_or(Node {
                    kind: NodeKind::Null,
                    pos,
                }));
                None
            }
            Event::Scalar(value, style, anchor, _) => {
                let plain = style == ScalarStyle::Plain;
                let kind = if plain && matches!(value.as_ref(), "" | "~" | "null" | "Null" | "NULL")
                {
                    NodeKind::Null
                } else {
                    NodeKind::Scalar {
                        text: value.into_owned(),
                        plain,
                    }
                };
                Some((Node { kind, pos }, anchor))
            }
            Event::Alias(id) => {
                let node = anchors.get(&id).cloned().ok_or_else(|| YamlError {
                    message: "unknown alias".into(),
                    pos,
                })?;
                count += node_size(&node);
                Some((node, 0))
            }
            Event::SequenceStart(_, anchor, _) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(too_deep(pos));
                }
                stack.push(Frame::Seq(Vec::new(), pos, anchor));
                None
            }
            Event::MappingStart(_, anchor, _) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(too_deep(pos));
                }
                stack.push(Frame::Map(Vec::new(), None, pos, anchor));
                None
            }
            Event::SequenceEnd => match stack.pop() {
                Some(Frame::Seq(items, p, anchor)) => Some((
                    Node {
                        kind: NodeKind::Seq(items),
                        pos: p,
                    },
                    anchor,
                )),
                _ => return Err(unbalanced(pos)),
            },
            Event::MappingEnd => match stack.pop() {
                Some(Frame::Map(items, _, p, anchor)) => Some((
                    Node {
                        kind: NodeKind::Map(items),
                        pos: p,
                    },
                    anchor,
                )),
                _ => return Err(unbalanced(pos)),
            },
            _ => None,
        };
        let Some((node, anchor)) = finished else {
            continue;
        };
        count += 1;
        if count > MAX_NODES {
            return Err(YamlError {
                message: "document too large".into(),
                pos,
            });
        }
        if anchor != 0 {
            anchors.insert(anchor, node.clone());
        }
        match stack.last_mut() {
            Some(Frame::Seq(items, ..)) => items.push(node),
            Some(Frame::Map(items, key, ..)) => match key.take() {
                Some(k) => items.push((k, node)),
                None => *key = Some(node),
            },
            None => current = Some(node),
        }
    }
    Ok(docs)
}

fn node_size(node: &Node) -> usize {
    match &node.kind {
        NodeKind::Seq(items) => 1 + items.iter().map(node_size).sum::<usize>(),
        NodeKind::Map(items) => {
            1 + items
                .iter()
                .map(|(k, v)| node_size(k) + node_size(v))
                .sum::<usize>()
        }
        _ => 1,
    }
}

fn too_deep(pos: Pos) -> YamlError {
    YamlError {
        message: "nesting too deep".into(),
        pos,
    }
}

fn unbalanced(pos: Pos) -> YamlError {
    YamlError {
        message: "unbalanced collection end".into(),
        pos,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_positions_and_documents() {
        let docs = parse_documents("---\n- rule: a\n  x: [1, 2]\n---\n- list: b\n").unwrap();
        assert_eq!(docs.len(), 2);
        let NodeKind::Seq(items) = &docs[1].kind else {
            panic!("not a seq")
        };
        assert_eq!(items[0].pos.line, 5);
        assert_eq!(items[0].get("list").and_then(Node::as_str), Some("b"));
    }

    #[test]
    fn errors_have_positions() {
        let err = parse_documents("- a: [\n").unwrap_err();
        assert!(err.pos.line >= 1);
    }

    #[test]
    fn deep_nesting_is_rejected() {
        let text = "[".repeat(200);
        assert!(parse_documents(&text).is_err());
    }
}
