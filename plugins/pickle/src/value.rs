//! Symbolic values of the pickle VM.
//!
//! Only what the analysis needs is kept: short strings whole (they may name
//! a global), prefixes of long strings and bytes, a bounded number of
//! container items, and where a value came from (a global, a call result).
//! Mutable containers hold only leaf values, so the value graph has bounded
//! depth and dropping it never recurses deeply.

use std::cell::RefCell;
use std::fmt::Write;
use std::rc::Rc;

use crate::policy::Tier;

/// Strings up to this many bytes are kept whole.
pub(crate) const KEEP_TEXT: usize = 256;
/// Prefix kept of longer strings and of bytes, for evidence.
const PREFIX: usize = 64;
/// Items kept per container; the rest are only counted.
const KEEP_ITEMS: usize = 32;
/// Deeper tuples are replaced by an opaque marker.
const MAX_DEPTH: u8 = 16;
/// Length cap of a rendered value.
const REPR_CAP: usize = 240;

pub(crate) struct Text {
    pub text: Box<str>,
    /// Full length in bytes (UTF-8), which may exceed `text.len()`.
    pub len: u64,
}

impl Text {
    /// The string, if it was kept whole.
    pub fn complete(&self) -> Option<&str> {
        (self.text.len() as u64 == self.len).then_some(&*self.text)
    }
}

pub(crate) struct Blob {
    pub head: Box<[u8]>,
    pub len: u64,
}

pub(crate) struct Seq {
    pub items: Vec<Value>,
    pub len: u64,
    depth: u8,
}

pub(crate) struct Pairs {
    pub items: Vec<(Value, Value)>,
    pub len: u64,
}

/// A global resolved by GLOBAL, STACK_GLOBAL or INST.
pub(crate) struct GlobalRef {
    /// Index in the scope's global registry.
    pub id: usize,
    /// `module.name` as written in the pickle.
    pub path: Rc<str>,
    /// Alias-resolved dotted path.
    pub canonical: Rc<str>,
    pub tier: Tier,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Opaque {
    Set,
    FrozenSet,
    Buffer,
    Persistent,
    Extension,
    MissingMemo,
    /// What a STACK_GLOBAL without two known strings produced.
    Unresolved,
    /// A container stored inside a mutable container, or a too-deep tuple.
    Container,
}

#[derive(Clone)]
pub(crate) enum Value {
    None,
    Bool(bool),
    Int(i64),
    /// Little-endian two's complement bytes of an integer wider than i64
    /// (only the first `PREFIX` bytes are kept).
    BigInt(Rc<[u8]>),
    Float(f64),
    Str(Rc<Text>),
    Bytes(Rc<Blob>),
    Tuple(Rc<Seq>),
    List(Rc<RefCell<Seq>>),
    Dict(Rc<RefCell<Pairs>>),
    Global(Rc<GlobalRef>),
    /// The result of a call; holds a description of the callee.
    Object(Rc<str>),
    Opaque(Opaque),
}

impl Value {
    pub fn str(text: &str, len: u64) -> Value {
        let kept = if len as usize <= KEEP_TEXT && text.len() as u64 == len {
            text
        } else {
            prefix_str(text, PREFIX)
        };
        Value::Str(Rc::new(Text {
            text: kept.into(),
            len,
        }))
    }

    pub fn bytes(head: &[u8], len: u64) -> Value {
        Value::Bytes(Rc::new(Blob {
            head: head[..head.len().min(PREFIX)].into(),
            len,
        }))
    }

    pub fn tuple(mut items: Vec<Value>) -> Value {
        let depth = 1 + items.iter().map(Value::depth).max().unwrap_or(0);
        if depth > MAX_DEPTH {
            return Value::Opaque(Opaque::Container);
        }
        let len = items.len() as u64;
        items.truncate(KEEP_ITEMS);
        Value::Tuple(Rc::new(Seq { items, len, depth }))
    }

    pub fn list(items: Vec<Value>) -> Value {
        let mut seq = Seq {
            items: Vec::new(),
            len: 0,
            depth: 1,
        };
        seq.extend(items);
        Value::List(Rc::new(RefCell::new(seq)))
    }

    pub fn dict(pairs: Vec<(Value, Value)>) -> Value {
        let mut map = Pairs {
            items: Vec::new(),
            len: 0,
        };
        map.extend(pairs);
        Value::Dict(Rc::new(RefCell::new(map)))
    }

    fn depth(&self) -> u8 {
        match self {
            Value::Tuple(seq) => seq.depth,
            Value::List(_) | Value::Dict(_) => 1,
            _ => 0,
        }
    }

    /// The value as stored inside a mutable container: containers become
    /// opaque so that no reference chains form through mutation.
    fn leaf(self) -> Value {
        match self {
            Value::Tuple(_) | Value::List(_) | Value::Dict(_) => Value::Opaque(Opaque::Container),
            other => other,
        }
    }

    /// The string, if this is a string kept whole.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(t) => t.complete(),
            _ => None,
        }
    }

    /// Python type name, for messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Value::None => "None",
            Value::Bool(_) => "bool",
            Value::Int(_) | Value::BigInt(_) => "int",
            Value::Float(_) => "float",
            Value::Str(_) => "str",
            Value::Bytes(_) => "bytes",
            Value::Tuple(_) => "tuple",
            Value::List(_) => "list",
            Value::Dict(_) => "dict",
            Value::Global(_) => "global",
            Value::Object(_) => "call result",
            Value::Opaque(o) => match o {
                Opaque::Set => "set",
                Opaque::FrozenSet => "frozenset",
                Opaque::Buffer => "out-of-band buffer",
                Opaque::Persistent => "persistent object",
                Opaque::Extension => "extension-registry object",
                Opaque::MissingMemo => "missing memo entry",
                Opaque::Unresolved => "unresolved global",
                Opaque::Container => "container",
            },
        }
    }

    /// A short Python-like rendering for evidence.
    pub fn repr(&self) -> String {
        let mut out = String::new();
        self.render(&mut out, 0);
        if out.len() > REPR_CAP {
            let cut = prefix_str(&out, REPR_CAP).len();
            out.truncate(cut);
            out.push('…');
        }
        out
    }

    fn render(&self, out: &mut String, depth: usize) {
        if out.len() > REPR_CAP || depth > 4 {
            out.push('…');
            return;
        }
        match self {
            Value::None => out.push_str("None"),
            Value::Bool(b) => out.push_str(if *b { "True" } else { "False" }),
            Value::Int(i) => {
                let _ = write!(out, "{i}");
            }
            Value::BigInt(_) => out.push_str("<big int>"),
            Value::Float(f) => {
                let _ = write!(out, "{f}");
            }
            Value::Str(t) => {
                let _ = write!(out, "{:?}", &*t.text);
                if t.complete().is_none() {
                    let _ = write!(out, "…<{} bytes>", t.len);
                }
            }
            Value::Bytes(b) => {
                out.push_str("b\"");
                for &c in b.head.iter() {
                    let _ = write!(out, "{}", std::ascii::escape_default(c));
                }
                out.push('"');
                if b.head.len() as u64 != b.len {
                    let _ = write!(out, "…<{} bytes>", b.len);
                }
            }
            Value::Tuple(seq) => render_seq(out, &seq.items, seq.len, "(", ")", depth),
            Value::List(seq) => {
                let seq = seq.borrow();
                render_seq(out, &seq.items, seq.len, "[", "]", depth);
            }
            Value::Dict(map) => {
                let map = map.borrow();
                out.push('{');
                for (i, (k, v)) in map.items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    k.render(out, depth + 1);
                    out.push_str(": ");
                    v.render(out, depth + 1);
                }
                if map.len > map.items.len() as u64 {
                    let _ = write!(out, ", …{} more", map.len - map.items.len() as u64);
                }
                out.push('}');
            }
            Value::Global(g) => out.push_str(&g.path),
            Value::Object(callee) => {
                let _ = write!(out, "<result of {callee}(…)>");
            }
            Value::Opaque(_) => {
                let _ = write!(out, "<{}>", self.kind());
            }
        }
    }
}

fn render_seq(out: &mut String, items: &[Value], len: u64, open: &str, close: &str, depth: usize) {
    out.push_str(open);
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        item.render(out, depth + 1);
    }
    if len == 1 && open == "(" {
        out.push(',');
    }
    if len > items.len() as u64 {
        let _ = write!(out, ", …{} more", len - items.len() as u64);
    }
    out.push_str(close);
}

impl Seq {
    pub fn extend(&mut self, items: impl IntoIterator<Item = Value>) {
        for item in items {
            self.len += 1;
            if self.items.len() < KEEP_ITEMS {
                self.items.push(item.leaf());
            }
        }
    }
}

impl Pairs {
    pub fn extend(&mut self, pairs: impl IntoIterator<Item = (Value, Value)>) {
        for (k, v) in pairs {
            self.len += 1;
            if self.items.len() < KEEP_ITEMS {
                self.items.push((k.leaf(), v.leaf()));
            }
        }
    }
}

/// The longest prefix of `s` that is at most `max` bytes and ends on a
/// character boundary.
pub(crate) fn prefix_str(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_strings_keep_a_prefix_and_their_length() {
        let long = "x".repeat(1000);
        let v = Value::str(&long, 1000);
        assert!(v.as_str().is_none());
        assert!(v.repr().contains("<1000 bytes>"));
        assert_eq!(Value::str("os", 2).as_str(), Some("os"));
    }

    #[test]
    fn tuple_nesting_is_bounded() {
        let mut v = Value::None;
        for _ in 0..1000 {
            v = Value::tuple(vec![v]);
        }
        // Walk down: the chain is cut by an opaque marker within MAX_DEPTH.
        let mut depth = 0;
        while let Value::Tuple(seq) = v {
            v = seq.items[0].clone();
            depth += 1;
        }
        assert!(depth <= usize::from(MAX_DEPTH));
        assert!(matches!(v, Value::Opaque(Opaque::Container)));
    }

    #[test]
    fn containers_in_mutable_containers_are_leaves() {
        let inner = Value::list(vec![Value::Int(1)]);
        let outer = Value::list(vec![inner]);
        let Value::List(seq) = &outer else { panic!() };
        assert!(matches!(
            seq.borrow().items[0],
            Value::Opaque(Opaque::Container)
        ));
    }

    #[test]
    fn repr_is_python_like_and_capped() {
        let v = Value::tuple(vec![Value::str("ls -la", 6), Value::Int(3)]);
        assert_eq!(v.repr(), "(\"ls -la\", 3)");
        let one = Value::tuple(vec![Value::None]);
        assert_eq!(one.repr(), "(None,)");
        let many = Value::list((0..1000).map(Value::Int).collect());
        assert!(many.repr().contains("more"));
        assert!(many.repr().chars().count() <= REPR_CAP + 1);
    }
}
