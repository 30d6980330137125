//! The symbolic pickle machine: decodes one stream opcode by opcode with the
//! semantics of CPython's C unpickler (`_pickle.c`), keeping a symbolic
//! stack, mark stack and memo. Globals are resolved and classified, calls
//! are attributed to their callee, and nothing is ever imported or run.

use std::collections::HashMap;
use std::io::Read;
use std::rc::Rc;

use crate::driver::{self, Ctx, Override, Scope, StreamInfo};
use crate::globals::Registry;
use crate::literals::{IntLit, parse_float, parse_int, parse_quoted, raw_unicode_escape};
use crate::nested;
use crate::opcodes::{HIGHEST_PROTOCOL, Op, OpInfo, lookup};
use crate::policy::Tier;
use crate::report::Site;
use crate::rules::{
    DANGEROUS_CALL, EXTENSION, FRAME, GLOBAL_MUTATION, GLOBAL_OPERAND, MEMO, PROTOCOL,
    UNRESOLVED_CALL,
};
use crate::source::{ReadError, Source};
use crate::value::{GlobalRef, KEEP_TEXT, Opaque, Value};
use crate::{Finding, Severity, Status};

/// Bytes kept of a numeric or name line.
const LINE_KEEP: usize = 4096;
/// Bytes kept of a long integer's encoding.
const INT_KEEP: u64 = 64;
/// Safe callables that reconstruct an instance of their first argument
/// (`cls.__new__`), as NEWOBJ does.
const RECONSTRUCTORS: &[&str] = &[
    "copyreg._reconstructor",
    "copyreg.__newobj__",
    "copyreg.__newobj_ex__",
];

/// How a stream ended.
pub(crate) enum End {
    /// STOP, with the unpickled value.
    Stop(Value),
    /// No byte at all.
    Empty,
    /// The input ended inside the stream.
    Eof,
    Invalid(String),
    /// The named budget was exhausted.
    Budget(&'static str),
    Io(String),
}

enum Halt {
    Eof,
    Invalid(String),
    Budget(&'static str),
    Io(String),
}

impl From<ReadError> for Halt {
    fn from(e: ReadError) -> Self {
        match e {
            ReadError::Eof => Halt::Eof,
            ReadError::Budget => Halt::Budget("bytes"),
            ReadError::Io(e) => Halt::Io(e),
        }
    }
}

/// Which kind of string or bytes a counted payload is.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Payload {
    Bytes,
    /// A UTF-8 encoded str.
    Utf8,
    /// A protocol-0/1 byte string, decoded to str by Python 3.
    Latin1,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum CallKind {
    /// REDUCE, INST, OBJ: `callable(*args)`.
    Call,
    /// NEWOBJ, NEWOBJ_EX: `cls.__new__(cls, *args)`.
    Construct,
}

/// The memo: dense slots for the usual sequential keys, a map otherwise.
#[derive(Default)]
struct Memo {
    dense: Vec<Option<Value>>,
    sparse: HashMap<u64, Value>,
    len: usize,
}

impl Memo {
    fn get(&self, key: u64) -> Option<&Value> {
        match usize::try_from(key).ok().and_then(|k| self.dense.get(k)) {
            Some(slot) => slot.as_ref(),
            None => self.sparse.get(&key),
        }
    }

    /// Stores a value; true if it replaced one.
    fn put(&mut self, key: u64, value: Value) -> bool {
        let replaced = match usize::try_from(key) {
            Ok(k) if k < self.dense.len() => self.dense[k].replace(value).is_some(),
            Ok(k) if k < self.dense.len() + 1024 && k < 1 << 24 => {
                self.dense.resize(k + 1, None);
                self.dense[k] = Some(value);
                false
            }
            _ => self.sparse.insert(key, value).is_some(),
        };
        if !replaced {
            self.len += 1;
        }
        replaced
    }
}

pub(crate) struct Machine<'a, 'l, R> {
    ctx: &'a mut Ctx<'l>,
    src: &'a mut Source<R>,
    scope: &'a Scope,
    registry: &'a mut Registry,
    stream: usize,
    stack: Vec<Value>,
    marks: Vec<usize>,
    memo: Memo,
    /// End offset of the current FRAME.
    frame_end: Option<u64>,
    protocol: Option<u8>,
    opcodes: u64,
    globals: u64,
    peak_stack: usize,
    /// The opcode being executed.
    op_offset: u64,
    op_name: &'static str,
}

impl<'a, 'l, R: Read> Machine<'a, 'l, R> {
    pub fn new(
        ctx: &'a mut Ctx<'l>,
        src: &'a mut Source<R>,
        scope: &'a Scope,
        registry: &'a mut Registry,
        stream: usize,
    ) -> Self {
        Machine {
            ctx,
            src,
            scope,
            registry,
            stream,
            stack: Vec::new(),
            marks: Vec::new(),
            memo: Memo::default(),
            frame_end: None,
            protocol: None,
            opcodes: 0,
            globals: 0,
            peak_stack: 0,
            op_offset: 0,
            op_name: "",
        }
    }

    pub fn run(mut self) -> StreamInfo {
        let start = self.src.offset();
        let end = loop {
            match self.step() {
                Ok(Some(value)) => break End::Stop(value),
                Ok(None) => {}
                Err(Halt::Eof) if self.opcodes == 0 => break End::Empty,
                Err(Halt::Eof) => break End::Eof,
                Err(Halt::Invalid(why)) => break End::Invalid(why),
                Err(Halt::Budget(which)) => break End::Budget(which),
                Err(Halt::Io(e)) => break End::Io(e),
            }
        };
        if self.scope.depth == 0 {
            let stats = &mut self.ctx.stats;
            stats.max_stack = stats.max_stack.max(self.peak_stack);
            stats.max_memo = stats.max_memo.max(self.memo.len);
        }
        StreamInfo {
            start,
            end_offset: self.src.offset(),
            protocol: self.protocol,
            opcodes: self.opcodes,
            end,
            globals: self.globals,
        }
    }

    fn step(&mut self) -> Result<Option<Value>, Halt> {
        let offset = self.src.offset();
        let code = self.src.byte()?;
        let info = lookup(code).ok_or_else(|| {
            Halt::Invalid(format!(
                "byte {code:#04x} at offset {offset} is not an opcode"
            ))
        })?;
        self.opcodes += 1;
        self.ctx.opcodes += 1;
        if self.ctx.opcodes > self.scope.opcode_limit {
            return Err(Halt::Budget("opcodes"));
        }
        self.op_offset = offset;
        self.op_name = info.name;
        let declared = self.protocol.unwrap_or(1);
        if info.proto > declared && info.op != Op::Proto {
            self.protocol_issue(format!(
                "{} belongs to protocol {} but the stream declares protocol {}",
                info.name,
                info.proto,
                self.protocol
                    .map_or_else(|| "0/1 (no PROTO)".to_owned(), |p| p.to_string())
            ));
        }
        let value = self.exec(info)?;
        self.check_frame(offset, info);
        Ok(value)
    }

    fn exec(&mut self, info: &OpInfo) -> Result<Option<Value>, Halt> {
        match info.op {
            Op::Proto => {
                let version = self.src.byte()?;
                if version > HIGHEST_PROTOCOL {
                    return Err(self.invalid(format!("unsupported pickle protocol {version}")));
                }
                if self.protocol.is_some() || self.opcodes > 1 {
                    self.protocol_issue(format!(
                        "PROTO {version} appears as opcode {} instead of only first",
                        self.opcodes - 1
                    ));
                }
                self.protocol = Some(version);
            }
            Op::Frame => {
                let len = u64::from_le_bytes(self.src.array()?);
                if let Some(end) = self.frame_end.filter(|&end| self.op_offset < end) {
                    self.frame_issue(format!(
                        "FRAME at offset {} starts before the previous frame ends at {end}",
                        self.op_offset
                    ));
                }
                self.frame_end = Some(self.src.offset().saturating_add(len));
                if self.scope.depth == 0 {
                    self.ctx.stats.frames += 1;
                }
            }
            Op::Stop => return Ok(Some(self.pop()?)),
            Op::Int => {
                let line = self.src.line(LINE_KEEP)?;
                let value = match line.bytes.as_slice() {
                    b"00" => Value::Bool(false),
                    b"01" => Value::Bool(true),
                    _ if !line.complete() => big_int(&[]),
                    digits => int_value(parse_int(digits, true))
                        .ok_or_else(|| self.invalid("INT argument is not an integer"))?,
                };
                self.push(value)?;
            }
            Op::Long => {
                let line = self.src.line(LINE_KEEP)?;
                let digits = line.bytes.strip_suffix(b"L").unwrap_or(&line.bytes);
                let value = if line.complete() {
                    int_value(parse_int(digits, false))
                        .ok_or_else(|| self.invalid("LONG argument is not an integer"))?
                } else {
                    big_int(&[])
                };
                self.push(value)?;
            }
            Op::BinInt => {
                let v = i32::from_le_bytes(self.src.array()?);
                self.push(Value::Int(v.into()))?;
            }
            Op::BinInt1 => {
                let v = self.src.byte()?;
                self.push(Value::Int(v.into()))?;
            }
            Op::BinInt2 => {
                let v = u16::from_le_bytes(self.src.array()?);
                self.push(Value::Int(v.into()))?;
            }
            Op::Long1 | Op::Long4 => {
                let len = self.length(info)?;
                let mut bytes = Vec::new();
                self.src.read_into(&mut bytes, len.min(INT_KEEP))?;
                self.src.skip(len.saturating_sub(INT_KEEP))?;
                let value = if len <= 8 {
                    let fill = if bytes.last().is_some_and(|b| b & 0x80 != 0) {
                        0xff
                    } else {
                        0
                    };
                    let mut le = [fill; 8];
                    le[..bytes.len()].copy_from_slice(&bytes);
                    Value::Int(i64::from_le_bytes(le))
                } else {
                    big_int(&bytes)
                };
                self.push(value)?;
            }
            Op::Float => {
                let line = self.src.line(LINE_KEEP)?;
                let v = parse_float(&line.bytes)
                    .ok_or_else(|| self.invalid("FLOAT argument is not a number"))?;
                self.push(Value::Float(v))?;
            }
            Op::BinFloat => {
                let v = f64::from_be_bytes(self.src.array()?);
                self.push(Value::Float(v))?;
            }
            Op::String => {
                let line = self.src.line(nested::SCAN_CAP as usize)?;
                let body = if line.complete() {
                    parse_quoted(&line.bytes)
                        .ok_or_else(|| self.invalid("STRING argument is not quoted"))?
                } else {
                    line.bytes.get(1..).unwrap_or_default().to_vec()
                };
                let text: String = body.iter().map(|&b| char::from(b)).collect();
                let (text_len, byte_len) = if line.complete() {
                    (text.len() as u64, body.len() as u64)
                } else {
                    (line.len, line.len)
                };
                self.examine(&body, line.complete(), false, byte_len);
                self.push(Value::str(&text, text_len))?;
            }
            Op::Unicode => {
                let line = self.src.line(nested::SCAN_CAP as usize)?;
                let text = raw_unicode_escape(&line.bytes);
                let len = if line.complete() {
                    text.len() as u64
                } else {
                    line.len
                };
                self.examine(text.as_bytes(), line.complete(), true, len);
                self.push(Value::str(&text, len))?;
            }
            Op::BinString | Op::ShortBinString => {
                let len = self.length(info)?;
                let value = self.payload(len, Payload::Latin1)?;
                self.push(value)?;
            }
            Op::BinBytes | Op::ShortBinBytes | Op::BinBytes8 | Op::ByteArray8 => {
                let len = self.length(info)?;
                let value = self.payload(len, Payload::Bytes)?;
                self.push(value)?;
            }
            Op::ShortBinUnicode | Op::BinUnicode | Op::BinUnicode8 => {
                let len = self.length(info)?;
                let value = self.payload(len, Payload::Utf8)?;
                self.push(value)?;
            }
            Op::None => self.push(Value::None)?,
            Op::NewTrue => self.push(Value::Bool(true))?,
            Op::NewFalse => self.push(Value::Bool(false))?,
            Op::NextBuffer => {
                if self.scope.depth == 0 {
                    self.ctx.stats.buffers += 1;
                }
                self.push(Value::Opaque(Opaque::Buffer))?;
            }
            Op::ReadonlyBuffer => {
                self.top()?;
            }
            Op::EmptyList => self.push(Value::list(Vec::new()))?,
            Op::EmptyTuple => self.push(Value::tuple(Vec::new()))?,
            Op::EmptyDict => self.push(Value::dict(Vec::new()))?,
            Op::EmptySet => self.push(Value::Opaque(Opaque::Set))?,
            Op::List => {
                let items = self.pop_mark()?;
                self.push(Value::list(items))?;
            }
            Op::Tuple => {
                let items = self.pop_mark()?;
                self.push(Value::tuple(items))?;
            }
            Op::Tuple1 | Op::Tuple2 | Op::Tuple3 => {
                let n = match info.op {
                    Op::Tuple1 => 1,
                    Op::Tuple2 => 2,
                    _ => 3,
                };
                let mut items = Vec::with_capacity(n);
                for _ in 0..n {
                    items.push(self.pop()?);
                }
                items.reverse();
                self.push(Value::tuple(items))?;
            }
            Op::Dict => {
                let items = self.pop_mark()?;
                let pairs = self.pairs(items, "DICT")?;
                self.push(Value::dict(pairs))?;
            }
            Op::FrozenSet => {
                self.pop_mark()?;
                self.push(Value::Opaque(Opaque::FrozenSet))?;
            }
            Op::Append => {
                let item = self.pop()?;
                self.add_items(vec![item])?;
            }
            Op::Appends | Op::AddItems => {
                let items = self.pop_mark()?;
                self.add_items(items)?;
            }
            Op::SetItem => {
                let value = self.pop()?;
                let key = self.pop()?;
                self.set_items(vec![(key, value)])?;
            }
            Op::SetItems => {
                let items = self.pop_mark()?;
                let pairs = self.pairs(items, "SETITEMS")?;
                self.set_items(pairs)?;
            }
            Op::Pop => {
                if self.marks.last() == Some(&self.stack.len()) {
                    self.marks.pop();
                } else {
                    self.pop()?;
                }
            }
            Op::Dup => {
                let top = self.top()?.clone();
                self.push(top)?;
            }
            Op::Mark => {
                if self.marks.len() >= self.scope.max_stack {
                    return Err(Halt::Budget("stack"));
                }
                self.marks.push(self.stack.len());
            }
            Op::PopMark => {
                self.pop_mark()?;
            }
            Op::Get => {
                let key = self.line_key()?;
                self.get(key)?;
            }
            Op::BinGet => {
                let key = self.src.byte()?;
                self.get(key.into())?;
            }
            Op::LongBinGet => {
                let key = u32::from_le_bytes(self.src.array()?);
                self.get(key.into())?;
            }
            Op::Put => {
                let key = self.line_key()?;
                self.put(key)?;
            }
            Op::BinPut => {
                let key = self.src.byte()?;
                self.put(key.into())?;
            }
            Op::LongBinPut => {
                let key = u32::from_le_bytes(self.src.array()?);
                self.put(key.into())?;
            }
            Op::Memoize => self.put(self.memo.len as u64)?,
            Op::Ext1 | Op::Ext2 | Op::Ext4 => {
                let code = match info.op {
                    Op::Ext1 => i64::from(self.src.byte()?),
                    Op::Ext2 => i64::from(u16::from_le_bytes(self.src.array()?)),
                    _ => i64::from(i32::from_le_bytes(self.src.array()?)),
                };
                if code <= 0 {
                    return Err(self.invalid(format!("extension code {code} is not positive")));
                }
                self.extension(code);
                self.push(Value::Opaque(Opaque::Extension))?;
            }
            Op::Global => {
                let module = self.name_line()?;
                let name = self.name_line()?;
                let value = self.import(&module, &name);
                self.push(value)?;
            }
            Op::StackGlobal => {
                let name = self.pop()?;
                let module = self.pop()?;
                let value = match (module.as_str(), name.as_str()) {
                    (Some(m), Some(n)) => {
                        let (m, n) = (m.to_owned(), n.to_owned());
                        self.import(&m, &n)
                    }
                    _ => {
                        self.operand_issue(&module, &name);
                        Value::Opaque(Opaque::Unresolved)
                    }
                };
                self.push(value)?;
            }
            Op::Inst => {
                let module = self.name_line()?;
                let name = self.name_line()?;
                let args = self.pop_mark()?;
                let callee = self.import(&module, &name);
                self.call(callee, Value::tuple(args), CallKind::Call)?;
            }
            Op::Obj => {
                let mut items = self.pop_mark()?;
                if items.is_empty() {
                    return Err(self.invalid("OBJ without a class"));
                }
                let callee = items.remove(0);
                self.call(callee, Value::tuple(items), CallKind::Call)?;
            }
            Op::Reduce => {
                let args = self.pop()?;
                let callee = self.pop()?;
                self.call(callee, args, CallKind::Call)?;
            }
            Op::NewObj => {
                let args = self.pop()?;
                let cls = self.pop()?;
                self.call(cls, args, CallKind::Construct)?;
            }
            Op::NewObjEx => {
                let kwargs = self.pop()?;
                let args = self.pop()?;
                let cls = self.pop()?;
                self.call(cls, Value::tuple(vec![args, kwargs]), CallKind::Construct)?;
            }
            Op::Build => {
                let state = self.pop()?;
                if let Value::Global(target) = self.top()?.clone() {
                    self.mutation(&target, Some(&state));
                }
            }
            Op::PersId => {
                self.src.line(LINE_KEEP)?;
                self.persistent()?;
            }
            Op::BinPersId => {
                self.pop()?;
                self.persistent()?;
            }
        }
        Ok(None)
    }

    // --- stack and memo -------------------------------------------------

    fn push(&mut self, value: Value) -> Result<(), Halt> {
        if self.stack.len() >= self.scope.max_stack {
            return Err(Halt::Budget("stack"));
        }
        if let Value::Global(g) = &value {
            self.registry.entry_mut(g).refs += 1;
        }
        self.stack.push(value);
        self.peak_stack = self.peak_stack.max(self.stack.len());
        Ok(())
    }

    /// Values below the topmost mark are out of reach, as in `_pickle.c`.
    fn fence(&self) -> usize {
        self.marks.last().copied().unwrap_or(0)
    }

    fn pop(&mut self) -> Result<Value, Halt> {
        if self.stack.len() <= self.fence() {
            return Err(self.invalid("stack underflow"));
        }
        Ok(self.stack.pop().unwrap_or(Value::None))
    }

    fn top(&self) -> Result<&Value, Halt> {
        match self.stack.last() {
            Some(v) if self.stack.len() > self.fence() => Ok(v),
            _ => Err(self.invalid("stack underflow")),
        }
    }

    fn pop_mark(&mut self) -> Result<Vec<Value>, Halt> {
        let mark = self
            .marks
            .pop()
            .ok_or_else(|| self.invalid("no MARK to pop to"))?;
        Ok(self.stack.split_off(mark))
    }

    fn pairs(&self, items: Vec<Value>, op: &str) -> Result<Vec<(Value, Value)>, Halt> {
        if !items.len().is_multiple_of(2) {
            return Err(self.invalid(format!("odd number of items for {op}")));
        }
        let mut pairs = Vec::with_capacity(items.len() / 2);
        let mut it = items.into_iter();
        while let (Some(k), Some(v)) = (it.next(), it.next()) {
            pairs.push((k, v));
        }
        Ok(pairs)
    }

    /// APPEND(S) / ADDITEMS onto the value under the mark.
    fn add_items(&mut self, items: Vec<Value>) -> Result<(), Halt> {
        match self.top()?.clone() {
            Value::List(seq) => seq.borrow_mut().extend(items),
            // `append`/`extend`/`add` are looked up and called on the object.
            Value::Global(g) => self.mutation(&g, None),
            _ => {}
        }
        Ok(())
    }

    /// SETITEM(S) onto the value under the mark.
    fn set_items(&mut self, pairs: Vec<(Value, Value)>) -> Result<(), Halt> {
        match self.top()?.clone() {
            Value::Dict(map) => map.borrow_mut().extend(pairs),
            Value::Global(g) => self.mutation(&g, None),
            _ => {}
        }
        Ok(())
    }

    fn line_key(&mut self) -> Result<u64, Halt> {
        let line = self.src.line(LINE_KEEP)?;
        match parse_int(&line.bytes, false) {
            Some(IntLit::Small(k)) if k >= 0 => Ok(k as u64),
            Some(IntLit::Small(_)) => Err(self.invalid("negative memo key")),
            _ => Err(self.invalid("memo key is not an integer")),
        }
    }

    fn get(&mut self, key: u64) -> Result<(), Halt> {
        let value = match self.memo.get(key) {
            Some(v) => v.clone(),
            None => {
                self.memo_issue(
                    "missing",
                    Severity::Medium,
                    format!(
                        "{} reads memo slot {key}, which was never written: unpickling fails \
                         here after running the opcodes before it",
                        self.op_name
                    ),
                );
                Value::Opaque(Opaque::MissingMemo)
            }
        };
        self.push(value)
    }

    fn put(&mut self, key: u64) -> Result<(), Halt> {
        let value = self.top()?.clone();
        if self.memo.len >= self.scope.max_memo && self.memo.get(key).is_none() {
            return Err(Halt::Budget("memo"));
        }
        if self.memo.put(key, value) {
            self.memo_issue(
                "overwrite",
                Severity::Low,
                format!("{} overwrites memo slot {key}", self.op_name),
            );
        }
        Ok(())
    }

    // --- arguments ------------------------------------------------------

    /// The length prefix of a counted argument.
    fn length(&mut self, info: &OpInfo) -> Result<u64, Halt> {
        let crate::opcodes::Arg::Counted { width, signed } = info.arg else {
            unreachable!("{} has no counted argument", info.name);
        };
        let mut raw = [0u8; 8];
        for b in raw.iter_mut().take(usize::from(width)) {
            *b = self.src.byte()?;
        }
        let len = u64::from_le_bytes(raw);
        if signed && raw[usize::from(width) - 1] & 0x80 != 0 {
            return Err(self.invalid("negative byte count"));
        }
        if len > i64::MAX as u64 {
            return Err(self.invalid("byte count exceeds the maximum size"));
        }
        Ok(len)
    }

    /// A counted string or bytes argument. Only a head is kept unless the
    /// value may hold a nested pickle; the rest is skipped unread.
    fn payload(&mut self, len: u64, kind: Payload) -> Result<Value, Halt> {
        let head_len = len.min(nested::HEAD as u64);
        let mut buf = Vec::with_capacity(head_len as usize);
        self.src.read_into(&mut buf, head_len)?;
        let text = kind == Payload::Utf8;
        let mut whole = head_len == len;
        if !whole {
            if len <= nested::SCAN_CAP && nested::candidate(&buf, text).is_some() {
                self.src.read_into(&mut buf, len - head_len)?;
                whole = true;
            } else {
                self.src.skip(len - head_len)?;
            }
        }
        self.examine(&buf, whole, text, len);
        let shown = &buf[..buf.len().min(KEEP_TEXT)];
        Ok(match kind {
            Payload::Bytes => Value::bytes(&buf, len),
            Payload::Utf8 => Value::str(&String::from_utf8_lossy(shown), len),
            Payload::Latin1 => {
                let text: String = shown.iter().map(|&b| char::from(b)).collect();
                Value::str(&text, len)
            }
        })
    }

    /// Looks for a pickle nested in a string or bytes value.
    fn examine(&mut self, content: &[u8], whole: bool, text: bool, len: u64) {
        if len < nested::MIN_LEN {
            return;
        }
        if self.scope.depth == 0 {
            self.ctx.stats.payloads_examined += 1;
        }
        let head = &content[..content.len().min(nested::HEAD)];
        let Some(encoding) = nested::candidate(head, text) else {
            return;
        };
        let site = self.site();
        if !whole || len > nested::SCAN_CAP {
            driver::nested_too_large(self.ctx, self.scope, &site, len, encoding);
        } else if let Some(decoded) = nested::decode(content, text, encoding) {
            driver::scan_nested(self.ctx, &decoded, encoding, self.scope, &site);
        }
    }

    fn name_line(&mut self) -> Result<String, Halt> {
        let line = self.src.line(LINE_KEEP)?;
        String::from_utf8(line.bytes).map_err(|_| self.invalid("GLOBAL/INST name is not UTF-8"))
    }

    // --- globals and calls ----------------------------------------------

    fn site(&self) -> Site {
        self.scope.site(
            self.stream,
            self.opcodes.saturating_sub(1),
            self.op_name,
            self.op_offset,
        )
    }

    /// Resolves `module.name`, following attributes overwritten by BUILD.
    fn import(&mut self, module: &str, name: &str) -> Value {
        let (scope, stream, index, op, offset) = (
            self.scope,
            self.stream,
            self.opcodes.saturating_sub(1),
            self.op_name,
            self.op_offset,
        );
        let global = self
            .registry
            .resolve(module, name, op, || scope.site(stream, index, op, offset));
        self.globals += 1;
        self.overridden(&global).unwrap_or(Value::Global(global))
    }

    /// The value an earlier BUILD wrote to this global's path, if any.
    fn overridden(&mut self, global: &GlobalRef) -> Option<Value> {
        if self.ctx.overrides.is_empty() {
            return None;
        }
        let path = &*global.canonical;
        let (key, write) = self.ctx.overrides.iter().find(|(key, _)| {
            path == key.as_str()
                || path
                    .strip_prefix(key.as_str())
                    .is_some_and(|rest| rest.starts_with('.'))
        })?;
        let value = if key == path {
            write.value.clone()
        } else {
            Value::Object(Rc::from(format!("{key} (overwritten)")))
        };
        let (key, written_at) = (key.clone(), write.offset);
        let site = self.site();
        let repr = value.repr();
        self.ctx.report.once(
            self.scope
                .key(GLOBAL_MUTATION, &format!("read {path} {repr}")),
            || {
                Finding::new(
                    GLOBAL_MUTATION,
                    Status::Failed,
                    Severity::Critical,
                    format!(
                        "`{path}` resolves to {repr}, written over `{key}` by BUILD at \
                         offset {written_at}"
                    ),
                )
                .at(&site)
                .with("global", path)
                .with("written_at", written_at)
                .with("value", &repr)
            },
        );
        Some(value)
    }

    fn call(&mut self, callee: Value, args: Value, kind: CallKind) -> Result<(), Halt> {
        let result = match &callee {
            Value::Global(g) => {
                let entry = self.registry.entry_mut(g);
                match kind {
                    CallKind::Call => entry.calls += 1,
                    CallKind::Construct => entry.constructions += 1,
                }
                let exact = entry.verdict.exact;
                // copyreg's reconstruction helpers take the class first.
                if RECONSTRUCTORS.contains(&&*g.canonical)
                    && let Value::Tuple(t) = &args
                    && let Some(Value::Global(cls)) = t.items.first()
                {
                    self.registry.entry_mut(cls).constructions += 1;
                }
                if g.tier == Tier::Dangerous {
                    self.dangerous_call(g, &args, exact);
                }
                Value::Object(Rc::clone(&g.path))
            }
            other => {
                let what = describe(other);
                self.unresolved_call(&what, &args);
                Value::Object(Rc::from(what))
            }
        };
        self.push(result)
    }

    fn dangerous_call(&mut self, g: &GlobalRef, args: &Value, exact: bool) {
        let site = self.site();
        let op = self.op_name;
        let args = args.repr();
        let severity = if exact {
            Severity::Critical
        } else {
            Severity::High
        };
        self.ctx
            .report
            .once(self.scope.key(DANGEROUS_CALL, &g.path), || {
                Finding::new(
                    DANGEROUS_CALL,
                    Status::Failed,
                    severity,
                    format!("{op} calls `{}` with arguments {args}", g.path),
                )
                .at(&site)
                .with("callee", &g.path)
                .with("resolved", &g.canonical)
                .with("opcode", op)
                .with("arguments", args)
                .confidence(if exact { 98 } else { 70 })
            });
    }

    fn unresolved_call(&mut self, what: &str, args: &Value) {
        let site = self.site();
        let op = self.op_name;
        let args = args.repr();
        self.ctx
            .report
            .once(self.scope.key(UNRESOLVED_CALL, what), || {
                Finding::new(
                    UNRESOLVED_CALL,
                    Status::Failed,
                    Severity::Medium,
                    format!("{op} calls {what}, which does not resolve to a global"),
                )
                .at(&site)
                .with("callee", what)
                .with("opcode", op)
                .with("arguments", args)
                .confidence(80)
            });
    }

    /// BUILD, SETITEM(S), APPEND(S) or ADDITEMS applied to a global itself.
    fn mutation(&mut self, g: &GlobalRef, state: Option<&Value>) {
        self.registry.entry_mut(g).mutations += 1;
        let site = self.site();
        let op = self.op_name;
        let written = state.map(Value::repr);
        self.ctx.report.once(
            self.scope.key(GLOBAL_MUTATION, &format!("{op} {}", g.path)),
            || {
                let mut f = Finding::new(
                    GLOBAL_MUTATION,
                    Status::Failed,
                    Severity::Critical,
                    format!(
                        "{op} modifies the global `{}` itself (a module, class or function \
                         object), rewriting interpreter state",
                        g.path
                    ),
                )
                .at(&site)
                .with("global", &g.path)
                .with("opcode", op);
                if let Some(written) = written {
                    f = f.with("state", written);
                }
                f
            },
        );
        if let Some(state) = state {
            for (attr, value) in attribute_writes(state) {
                self.ctx.overrides.insert(
                    format!("{}.{attr}", g.canonical),
                    Override {
                        value,
                        offset: site.offset,
                    },
                );
            }
        }
    }

    fn persistent(&mut self) -> Result<(), Halt> {
        if self.scope.depth == 0 {
            self.ctx.stats.persistent_ids += 1;
        }
        self.push(Value::Opaque(Opaque::Persistent))
    }

    // --- findings ---------------------------------------------------------

    fn invalid(&self, what: impl std::fmt::Display) -> Halt {
        Halt::Invalid(format!(
            "{what} ({} at offset {})",
            self.op_name, self.op_offset
        ))
    }

    fn extension(&mut self, code: i64) {
        let site = self.site();
        let op = self.op_name;
        self.ctx
            .report
            .once(self.scope.key(EXTENSION, &code.to_string()), || {
                Finding::new(
                    EXTENSION,
                    Status::Failed,
                    Severity::High,
                    format!(
                        "{op} imports extension code {code} from the copyreg registry, which \
                         is empty unless the loading process registered it"
                    ),
                )
                .at(&site)
                .with("code", code)
                .with("opcode", op)
            });
    }

    fn operand_issue(&mut self, module: &Value, name: &Value) {
        let site = self.site();
        let (m, n) = (module.repr(), name.repr());
        let detail = format!("{} {}", module.kind(), name.kind());
        self.ctx
            .report
            .once(self.scope.key(GLOBAL_OPERAND, &detail), || {
                Finding::new(
                    GLOBAL_OPERAND,
                    Status::Failed,
                    Severity::High,
                    format!(
                        "STACK_GLOBAL takes module {m} ({}) and name {n} ({}): not two known \
                         strings",
                        module.kind(),
                        name.kind()
                    ),
                )
                .at(&site)
                .with("module_operand", m)
                .with("name_operand", n)
            });
    }

    fn memo_issue(&mut self, kind: &str, severity: Severity, message: String) {
        let site = self.site();
        let key = self.scope.key(MEMO, &format!("{}/{kind}", self.stream));
        self.ctx.report.once(key, || {
            Finding::new(MEMO, Status::Failed, severity, message).at(&site)
        });
    }

    fn protocol_issue(&mut self, message: String) {
        let site = self.site();
        let key = self.scope.key(PROTOCOL, &self.stream.to_string());
        self.ctx.report.once(key, || {
            Finding::new(PROTOCOL, Status::Failed, Severity::Low, message).at(&site)
        });
    }

    fn frame_issue(&mut self, message: String) {
        let site = self.site();
        let key = self.scope.key(FRAME, &self.stream.to_string());
        self.ctx.report.once(key, || {
            Finding::new(FRAME, Status::Failed, Severity::High, message)
                .at(&site)
                .confidence(95)
        });
    }

    /// After each opcode: did it cross the end of the current frame?
    fn check_frame(&mut self, start: u64, info: &OpInfo) {
        let Some(end) = self.frame_end else {
            return;
        };
        let after = self.src.offset();
        if info.op == Op::Frame {
            return;
        }
        if start < end && after > end {
            self.frame_issue(format!(
                "{} at offset {start} runs to {after}, past the frame end at {end}",
                info.name
            ));
        } else if info.op == Op::Stop && after < end {
            self.frame_issue(format!(
                "STOP at offset {start} leaves {} bytes of its frame unread",
                end - after
            ));
        }
        if after >= end {
            self.frame_end = None;
        }
    }
}

fn int_value(lit: Option<IntLit>) -> Option<Value> {
    Some(match lit? {
        IntLit::Small(v) => Value::Int(v),
        IntLit::Big => big_int(&[]),
    })
}

fn big_int(le_bytes: &[u8]) -> Value {
    Value::BigInt(Rc::from(le_bytes))
}

/// What a non-global callable is, for messages.
fn describe(callee: &Value) -> String {
    match callee {
        Value::Object(origin) => format!("the result of calling `{origin}`"),
        Value::Opaque(_) => format!("a {}", callee.kind()),
        other => format!("a {} value ({})", other.kind(), other.repr()),
    }
}

/// Attribute writes of a BUILD state: a dict, or a (dict, slot dict) pair.
fn attribute_writes(state: &Value) -> Vec<(String, Value)> {
    let dicts: Vec<&Value> = match state {
        Value::Tuple(t) if t.items.len() == 2 => t.items.iter().collect(),
        other => vec![other],
    };
    let mut writes = Vec::new();
    for dict in dicts {
        if let Value::Dict(map) = dict {
            for (k, v) in &map.borrow().items {
                if let Some(k) = k.as_str() {
                    writes.push((k.to_owned(), v.clone()));
                }
            }
        }
    }
    writes
}
