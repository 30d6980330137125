//! A bounded reader of CPython's `marshal` format, used only to name what a
//! Lambda layer's serialized code object refers to: its name, the names it looks
//! up (`co_names`) and its string constants, nested code objects included. It
//! builds an inert tree of values; nothing is ever executed.
//!
//! The code object layout changed across Python versions; the layouts of 3.11+,
//! 3.8-3.10 and 3.0-3.7 are tried in turn and the first that consumes the whole
//! input wins.

use std::collections::BTreeSet;
use std::rc::Rc;

/// Objects decoded per input.
const MAX_OBJECTS: usize = 200_000;
/// Nesting depth of containers and code objects.
const MAX_DEPTH: usize = 64;
/// Values visited when collecting names (shared references are visited once).
const MAX_VISITS: usize = 200_000;
/// Strings kept as constants, and their length.
const MAX_STRINGS: usize = 256;
const MAX_STRING_LEN: usize = 200;

/// What a code object (and the code objects nested in it) refers to.
#[derive(Debug, Default, PartialEq)]
pub struct CodeSummary {
    pub name: String,
    pub names: BTreeSet<String>,
    pub strings: BTreeSet<String>,
    pub code_objects: usize,
}

#[derive(Clone, Debug)]
enum Value {
    Str(Rc<str>),
    Bytes,
    Seq(Rc<Vec<Value>>),
    Code(Rc<Code>),
    Other,
}

#[derive(Debug)]
struct Code {
    name: Value,
    names: Value,
    consts: Value,
}

/// Field order of a code object after its leading 32-bit integers.
#[derive(Clone, Copy)]
enum Layout {
    /// 3.11+: 5 ints; code, consts, names, localsplusnames, localspluskinds, filename,
    /// name, qualname, firstlineno, linetable, exceptiontable.
    Py311,
    /// 3.8-3.10: 6 ints; code, consts, names, varnames, freevars, cellvars, filename,
    /// name, firstlineno, lnotab.
    Py38,
    /// 3.0-3.7: 5 ints, then as 3.8.
    Py30,
}

/// Summarise the code object serialized in `bytes`.
pub fn summarize(bytes: &[u8]) -> Result<CodeSummary, String> {
    let mut last = String::new();
    for layout in [Layout::Py311, Layout::Py38, Layout::Py30] {
        let mut r = Reader {
            bytes,
            pos: 0,
            refs: Vec::new(),
            objects: 0,
            layout,
        };
        match r.value(0) {
            Ok(Value::Code(code)) if r.pos == bytes.len() => return Ok(summary(&code)),
            Ok(_) if r.pos != bytes.len() => {
                last = format!("{} trailing bytes after the object", bytes.len() - r.pos)
            }
            Ok(_) => last = "the data is not a code object".into(),
            Err(e) => last = e,
        }
    }
    Err(last)
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
    /// Objects flagged for back-references, in the order CPython numbers them.
    refs: Vec<Option<Value>>,
    objects: usize,
    layout: Layout,
}

const FLAG_REF: u8 = 0x80;

/// Types a code object field must have.
#[derive(Clone, Copy)]
enum Kind {
    Str,
    Bytes,
    Seq,
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], String> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|e| *e <= self.bytes.len())
            .ok_or_else(|| format!("truncated at byte {}: {n} more bytes needed", self.pos))?;
        let out = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(out)
    }

    fn byte(&mut self) -> Result<u8, String> {
        Ok(self.take(1)?[0])
    }

    fn i32(&mut self) -> Result<i32, String> {
        Ok(i32::from_le_bytes(
            self.take(4)?.try_into().expect("4 bytes"),
        ))
    }

    /// A non-negative 32-bit size.
    fn size(&mut self) -> Result<usize, String> {
        let at = self.pos;
        usize::try_from(self.i32()?).map_err(|_| format!("negative size at byte {at}"))
    }

    fn text(&mut self, len: usize) -> Result<Value, String> {
        let bytes = self.take(len)?;
        Ok(Value::Str(String::from_utf8_lossy(bytes).into()))
    }

    fn value(&mut self, depth: usize) -> Result<Value, String> {
        if depth > MAX_DEPTH {
            return Err(format!("nesting deeper than {MAX_DEPTH}"));
        }
        self.objects += 1;
        if self.objects > MAX_OBJECTS {
            return Err(format!("more than {MAX_OBJECTS} objects"));
        }
        let at = self.pos;
        let code = self.byte()?;
        // A flagged object takes its reference number before its children do.
        let slot = (code & FLAG_REF != 0).then(|| {
            self.refs.push(None);
            self.refs.len() - 1
        });
        let value = match code & !FLAG_REF {
            b'0' | b'N' | b'F' | b'T' | b'S' | b'.' => Value::Other,
            b'i' => {
                self.take(4)?;
                Value::Other
            }
            b'I' | b'g' => {
                self.take(8)?;
                Value::Other
            }
            b'y' => {
                self.take(16)?;
                Value::Other
            }
            b'l' => {
                let digits = self.i32()?.unsigned_abs() as usize;
                self.take(digits.saturating_mul(2))?;
                Value::Other
            }
            b'f' => {
                let n = usize::from(self.byte()?);
                self.take(n)?;
                Value::Other
            }
            b'x' => {
                for _ in 0..2 {
                    let n = usize::from(self.byte()?);
                    self.take(n)?;
                }
                Value::Other
            }
            b's' => {
                let n = self.size()?;
                self.take(n)?;
                Value::Bytes
            }
            b't' | b'u' | b'a' | b'A' => {
                let n = self.size()?;
                self.text(n)?
            }
            b'z' | b'Z' => {
                let n = usize::from(self.byte()?);
                self.text(n)?
            }
            b'(' | b'[' | b'<' | b'>' => {
                let n = self.size()?;
                self.sequence(n, depth)?
            }
            b')' => {
                let n = usize::from(self.byte()?);
                self.sequence(n, depth)?
            }
            b'{' => {
                let mut items = Vec::new();
                loop {
                    if self.bytes.get(self.pos) == Some(&b'0') {
                        self.pos += 1;
                        break;
                    }
                    items.push(self.value(depth + 1)?);
                    items.push(self.value(depth + 1)?);
                }
                Value::Seq(Rc::new(items))
            }
            b'r' => {
                let index = self.size()?;
                match self.refs.get(index) {
                    Some(Some(v)) => v.clone(),
                    _ => return Err(format!("reference {index} at byte {at} is not defined yet")),
                }
            }
            b'c' => self.code(depth)?,
            other => {
                return Err(format!(
                    "unknown marshal type {:?} at byte {at}",
                    other as char
                ));
            }
        };
        if let Some(slot) = slot {
            self.refs[slot] = Some(value.clone());
        }
        Ok(value)
    }

    /// A code object field that must be of `kind`.
    fn field(&mut self, depth: usize, kind: Kind, what: &str) -> Result<Value, String> {
        let at = self.pos;
        let value = self.value(depth + 1)?;
        let matches = matches!(
            (kind, &value),
            (Kind::Seq, Value::Seq(_)) | (Kind::Bytes, Value::Bytes) | (Kind::Str, Value::Str(_))
        );
        if !matches {
            return Err(format!("{what} at byte {at} has the wrong type"));
        }
        Ok(value)
    }

    fn sequence(&mut self, n: usize, depth: usize) -> Result<Value, String> {
        if n > self.bytes.len() - self.pos {
            return Err(format!(
                "{n} items cannot fit in the {} bytes left",
                self.bytes.len() - self.pos
            ));
        }
        let mut items = Vec::with_capacity(n);
        for _ in 0..n {
            items.push(self.value(depth + 1)?);
        }
        Ok(Value::Seq(Rc::new(items)))
    }

    fn code(&mut self, depth: usize) -> Result<Value, String> {
        let ints = match self.layout {
            Layout::Py311 | Layout::Py30 => 5,
            Layout::Py38 => 6,
        };
        self.take(4 * ints)?; // argument counts, stack size, flags
        // The field types tell the layouts apart: a wrong guess fails here.
        self.field(depth, Kind::Bytes, "co_code")?;
        let consts = self.field(depth, Kind::Seq, "co_consts")?;
        let names = self.field(depth, Kind::Seq, "co_names")?;
        let name = match self.layout {
            Layout::Py311 => {
                self.field(depth, Kind::Seq, "co_localsplusnames")?;
                self.field(depth, Kind::Bytes, "co_localspluskinds")?;
                self.field(depth, Kind::Str, "co_filename")?;
                let name = self.field(depth, Kind::Str, "co_name")?;
                self.field(depth, Kind::Str, "co_qualname")?;
                self.i32()?; // co_firstlineno
                self.field(depth, Kind::Bytes, "co_linetable")?;
                self.field(depth, Kind::Bytes, "co_exceptiontable")?;
                name
            }
            Layout::Py38 | Layout::Py30 => {
                for what in ["co_varnames", "co_freevars", "co_cellvars"] {
                    self.field(depth, Kind::Seq, what)?;
                }
                self.field(depth, Kind::Str, "co_filename")?;
                let name = self.field(depth, Kind::Str, "co_name")?;
                self.i32()?; // co_firstlineno
                self.field(depth, Kind::Bytes, "co_lnotab")?;
                name
            }
        };
        Ok(Value::Code(Rc::new(Code {
            name,
            names,
            consts,
        })))
    }
}

fn summary(root: &Code) -> CodeSummary {
    let mut out = CodeSummary {
        name: text(&root.name).unwrap_or_default().to_owned(),
        ..CodeSummary::default()
    };
    let mut visits = 0;
    collect_code(root, &mut out, &mut visits);
    out
}

fn collect_code(code: &Code, out: &mut CodeSummary, visits: &mut usize) {
    out.code_objects += 1;
    if let Value::Seq(names) = &code.names {
        for name in names.iter().filter_map(text) {
            out.names.insert(name.to_owned());
        }
    }
    collect_consts(&code.consts, out, visits);
}

fn collect_consts(value: &Value, out: &mut CodeSummary, visits: &mut usize) {
    *visits += 1;
    if *visits > MAX_VISITS {
        return;
    }
    match value {
        Value::Str(s) => {
            if out.strings.len() < MAX_STRINGS {
                out.strings.insert(s.chars().take(MAX_STRING_LEN).collect());
            }
        }
        Value::Seq(items) => items.iter().for_each(|v| collect_consts(v, out, visits)),
        Value::Code(code) => collect_code(code, out, visits),
        Value::Bytes | Value::Other => {}
    }
}

fn text(value: &Value) -> Option<&str> {
    match value {
        Value::Str(s) => Some(s),
        _ => None,
    }
}
