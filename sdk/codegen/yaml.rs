//! Reads a YAML document into a tree that deserializes like the document (openapiv3 keeps its
//! order, which is the order of the generated code), by YAML 1.2's core schema: a plain
//! `null`, `~` or nothing is null, `true` and `false` are booleans, numerals are numbers, and
//! every other scalar (any quoted or block one) is a string. saphyr-parser is a small pure-Rust
//! event parser; serde_yaml, which built libyaml translated to Rust, is deprecated upstream and
//! cost a downstream build more (BENCHMARKS.md).

use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle};
use serde::de::value::{Error, MapAccessDeserializer, MapDeserializer, SeqDeserializer};
use serde::de::{Deserializer, IntoDeserializer, Visitor};

/// A YAML value, mappings in the document's order.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<(String, Node)>),
}

/// A collection being read, and its anchor (0 for none).
enum Open {
    Sequence(Vec<Node>, usize),
    /// The mapping, and the key whose value comes next.
    Mapping(Vec<(String, Node)>, Option<String>, usize),
}

/// The value `text` denotes, or why it is not YAML (with the line and column).
pub fn read(text: &str) -> Result<Node, String> {
    let mut open: Vec<Open> = Vec::new();
    let mut anchored: HashMap<usize, Node> = HashMap::new();
    let mut document = None;
    for event in Parser::new_from_str(text) {
        let (event, span) = event.map_err(|e| e.to_string())?;
        let at = || format!("line {}, column {}", span.start.line(), span.start.col() + 1);
        let (node, anchor) = match event {
            Event::Scalar(text, style, anchor, _) => (scalar(&text, style), anchor),
            Event::Alias(anchor) => match anchored.get(&anchor) {
                Some(node) => (node.clone(), 0),
                None => return Err(format!("an alias to no anchor at {}", at())),
            },
            Event::SequenceStart(anchor, _) => {
                open.push(Open::Sequence(Vec::new(), anchor));
                continue;
            }
            Event::MappingStart(anchor, _) => {
                open.push(Open::Mapping(Vec::new(), None, anchor));
                continue;
            }
            Event::SequenceEnd | Event::MappingEnd => match open.pop() {
                Some(Open::Sequence(items, anchor)) => (Node::Seq(items), anchor),
                Some(Open::Mapping(entries, _, anchor)) => (Node::Map(entries), anchor),
                None => unreachable!("the parser pairs starts and ends"),
            },
            _ => continue,
        };
        if anchor != 0 {
            anchored.insert(anchor, node.clone());
        }
        match open.last_mut() {
            None => document = Some(node),
            Some(Open::Sequence(items, _)) => items.push(node),
            Some(Open::Mapping(_, key @ None, _)) => *key = Some(key_text(node, &at)?),
            Some(Open::Mapping(entries, key, _)) => {
                let key = key.take().expect("a key before each value");
                if entries.iter().any(|(seen, _)| *seen == key) {
                    return Err(format!("duplicate key `{key}` at {}", at()));
                }
                entries.push((key, node));
            }
        }
    }
    Ok(document.unwrap_or(Node::Null))
}

/// A mapping key as text (`200` for the number 200).
fn key_text(node: Node, at: &dyn Fn() -> String) -> Result<String, String> {
    Ok(match node {
        Node::Str(text) => text,
        Node::Int(number) => number.to_string(),
        Node::Bool(value) => value.to_string(),
        Node::Null => "null".to_owned(),
        Node::Float(_) | Node::Seq(_) | Node::Map(_) => {
            return Err(format!("a key that is not a string at {}", at()));
        }
    })
}

/// A scalar's value: typed if plain, a string otherwise.
fn scalar(text: &str, style: ScalarStyle) -> Node {
    if style != ScalarStyle::Plain {
        return Node::Str(text.to_owned());
    }
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Node::Null,
        "true" | "True" | "TRUE" => return Node::Bool(true),
        "false" | "False" | "FALSE" => return Node::Bool(false),
        _ => {}
    }
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    let numeral = digits.starts_with(|c: char| c.is_ascii_digit() || c == '.')
        && digits.bytes().all(|b| b.is_ascii_digit() || b"._eE-+".contains(&b));
    if numeral {
        if let Ok(integer) = text.parse() {
            return Node::Int(integer);
        }
        if let Ok(float) = text.parse::<f64>() {
            return Node::Float(float);
        }
    }
    Node::Str(text.to_owned())
}

impl<'de> IntoDeserializer<'de, Error> for Node {
    type Deserializer = Self;

    fn into_deserializer(self) -> Self {
        self
    }
}

impl<'de> Deserializer<'de> for Node {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self {
            Node::Null => visitor.visit_unit(),
            Node::Bool(value) => visitor.visit_bool(value),
            Node::Int(value) => visitor.visit_i64(value),
            Node::Float(value) => visitor.visit_f64(value),
            Node::Str(value) => visitor.visit_string(value),
            Node::Seq(items) => {
                let mut items = SeqDeserializer::new(items.into_iter());
                let value = visitor.visit_seq(&mut items)?;
                items.end()?;
                Ok(value)
            }
            Node::Map(entries) => {
                let mut entries = MapDeserializer::new(entries.into_iter());
                let value = visitor.visit_map(&mut entries)?;
                entries.end()?;
                Ok(value)
            }
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self {
            Node::Null => visitor.visit_none(),
            other => visitor.visit_some(other),
        }
    }

    /// `variant` or `{variant: value}`, as serde_yaml and serde_json read enums.
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self {
            Node::Str(variant) => visitor.visit_enum(variant.into_deserializer()),
            Node::Map(entries) if entries.len() == 1 => visitor
                .visit_enum(MapAccessDeserializer::new(MapDeserializer::new(entries.into_iter()))),
            other => other.deserialize_any(visitor),
        }
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        unit unit_struct newtype_struct seq tuple tuple_struct map struct identifier
        ignored_any
    }
}

#[cfg(test)]
mod tests {
    use super::{Node, read};

    /// The document as JSON, through the reader.
    fn json(text: &str) -> serde_json::Value {
        serde::Deserialize::deserialize(read(text).unwrap()).unwrap()
    }

    #[test]
    fn the_documents_read_as_serde_yaml_reads_them() {
        let sdk = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../sdk");
        for api in crate::apis::APIS {
            let text = std::fs::read_to_string(sdk.join(crate::apis::document_path(api))).unwrap();
            let expected: serde_json::Value = serde_yaml::from_str(&text).unwrap();
            assert_eq!(json(&text), expected, "{api}");
        }
    }

    #[test]
    fn yaml_scalars_are_typed_by_the_core_schema() {
        let text = "a: [~, null, '', true, 'true', 1, -2, '3', 1.5, .5, 1e3, 3.0.3, 1_0, 0x1f]\n\
                    b: |\n  two\n  lines\n\
                    200: {c: &x [1], d: *x}\n";
        let expected = serde_json::json!({
            "a": [null, null, "", true, "true", 1, -2, "3", 1.5, 0.5, 1000.0, "3.0.3", "1_0", "0x1f"],
            "b": "two\nlines\n",
            "200": {"c": [1], "d": [1]},
        });
        assert_eq!(json(text), expected);
        let keys = |node| -> Vec<String> {
            match node {
                Node::Map(entries) => entries.into_iter().map(|(key, _)| key).collect(),
                other => panic!("{other:?}"),
            }
        };
        assert_eq!(keys(read("z: 1\na: 2\n").unwrap()), ["z", "a"], "in the document's order");
        assert!(read("a: 1\na: 2\n").unwrap_err().contains("duplicate key `a` at line 2"));
        assert!(read("a: [\n").is_err());
    }
}
