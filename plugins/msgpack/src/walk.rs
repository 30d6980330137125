//! One pass over a msgpack document: structure and limits, Flax ndarray ext
//! types, Python references in keys and strings, and pickles stored in bin fields.

use std::collections::BTreeSet;
use std::io::{Read, Seek};

use cordon_plugin_sdk::{Check, ScanOutput, Status};

use crate::python;
use crate::reader::Reader;
use crate::rules;
use cordon_plugin_sdk::Findings;

pub const MAX_DEPTH: usize = 64;
pub const MAX_ITEMS: u64 = 20_000_000;
/// Strings longer than this are skipped, not read.
const MAX_STRING: u64 = 4096;
const MAX_RANK: u64 = 32;
/// Top-level keys listed in the metadata.
const MAX_KEYS_LISTED: usize = 50;

/// Flax `_MsgpackExtType` codes (flax/serialization.py).
const EXT_NDARRAY: i8 = 1;
const EXT_COMPLEX: i8 = 2;
const EXT_NPSCALAR: i8 = 3;
/// msgpack's own timestamp extension.
const EXT_TIMESTAMP: i8 = -1;

/// A pickle found in a bin field, to hand back to the host.
#[derive(Debug, PartialEq)]
pub struct Pickle {
    pub name: String,
    pub offset: u64,
    pub len: u64,
}

/// Why the walk stopped early.
pub enum Stop {
    Structure(String),
    Limit(String),
}

enum Val {
    Int(i128),
    Str(Option<String>),
    Other,
}

pub struct Walk<R> {
    r: Reader<R>,
    pub out: ScanOutput,
    pub pickles: Vec<Pickle>,
    f: Findings,
    path: Vec<String>,
    items: u64,
    max_depth: usize,
    top_keys: Vec<String>,
    top_key_count: u64,
    tensors: u64,
    parameters: u128,
    dtypes: BTreeSet<String>,
}

/// The result of [`walk`]: checks and metadata, pickles to hand back, and
/// whether the document parsed as one well-formed value filling the input.
pub struct Walked {
    pub out: ScanOutput,
    pub pickles: Vec<Pickle>,
    pub well_formed: bool,
}

pub fn walk<R: Read + Seek>(input: R, size: u64) -> Walked {
    let mut w = Walk {
        r: Reader::new(input, size),
        out: ScanOutput::default(),
        pickles: Vec::new(),
        f: Findings::default(),
        path: Vec::new(),
        items: 0,
        max_depth: 0,
        top_keys: Vec::new(),
        top_key_count: 0,
        tensors: 0,
        parameters: 0,
        dtypes: BTreeSet::new(),
    };
    w.out.meta("format", "msgpack");
    let result = w.value(0).and_then(|_| match w.r.remaining() {
        0 => Ok(()),
        n => Err(Stop::Structure(format!(
            "{n} trailing bytes after the top-level value at offset {}",
            w.r.pos()
        ))),
    });
    let well_formed = !matches!(result, Err(Stop::Structure(_)));
    w.finish(result);
    Walked {
        out: w.out,
        pickles: w.pickles,
        well_formed,
    }
}

impl<R: Read + Seek> Walk<R> {
    fn locator(&self) -> String {
        if self.path.is_empty() {
            "/".into()
        } else {
            self.path.join("/")
        }
    }

    fn value(&mut self, depth: usize) -> Result<Val, Stop> {
        self.items += 1;
        if self.items > MAX_ITEMS {
            return Err(Stop::Limit(format!("more than {MAX_ITEMS} values")));
        }
        if depth > MAX_DEPTH {
            return Err(Stop::Limit(format!(
                "nesting deeper than {MAX_DEPTH} at {}",
                self.locator()
            )));
        }
        self.max_depth = self.max_depth.max(depth);
        let at = self.r.pos();
        let marker = self.r.u8("value marker").map_err(Stop::Structure)?;
        let s = |e: String| Stop::Structure(e);
        Ok(match marker {
            0x00..=0x7f => Val::Int(marker as i128),
            0xe0..=0xff => Val::Int(marker as i8 as i128),
            0x80..=0x8f => self.map(depth, (marker & 0x0f) as u64)?,
            0xde | 0xdf => {
                let n = self
                    .r
                    .uint(if marker == 0xde { 2 } else { 4 }, "map length")
                    .map_err(s)?;
                self.map(depth, n)?
            }
            0x90..=0x9f => self.array(depth, (marker & 0x0f) as u64)?,
            0xdc | 0xdd => {
                let n = self
                    .r
                    .uint(if marker == 0xdc { 2 } else { 4 }, "array length")
                    .map_err(s)?;
                self.array(depth, n)?
            }
            0xa0..=0xbf => self.string((marker & 0x1f) as u64)?,
            0xd9..=0xdb => {
                let n = self
                    .r
                    .uint(1 << (marker - 0xd9), "string length")
                    .map_err(s)?;
                self.string(n)?
            }
            0xc4..=0xc6 => {
                let n = self.r.uint(1 << (marker - 0xc4), "bin length").map_err(s)?;
                self.bin(n)?;
                Val::Other
            }
            0xc7..=0xc9 => {
                let n = self.r.uint(1 << (marker - 0xc7), "ext length").map_err(s)?;
                self.ext(n, at)?;
                Val::Other
            }
            0xd4..=0xd8 => {
                self.ext(1 << (marker - 0xd4), at)?;
                Val::Other
            }
            0xc0 | 0xc2 | 0xc3 => Val::Other,
            0xca => self.r.skip(4, "float32").map(|_| Val::Other).map_err(s)?,
            0xcb => self.r.skip(8, "float64").map(|_| Val::Other).map_err(s)?,
            0xcc..=0xcf => Val::Int(self.r.uint(1 << (marker - 0xcc), "uint").map_err(s)? as i128),
            0xd0..=0xd3 => {
                let n = 1u32 << (marker - 0xd0);
                let raw = self.r.uint(n as u64, "int").map_err(s)?;
                let shift = 64 - 8 * n;
                Val::Int((((raw << shift) as i64) >> shift) as i128)
            }
            0xc1 => {
                return Err(Stop::Structure(format!(
                    "reserved marker 0xc1 at offset {at}"
                )));
            }
        })
    }

    fn map(&mut self, depth: usize, n: u64) -> Result<Val, Stop> {
        if n.saturating_mul(2) > self.r.remaining() {
            return Err(Stop::Structure(format!(
                "map at offset {} claims {n} entries, more than the bytes left",
                self.r.pos()
            )));
        }
        for _ in 0..n {
            let key = self.value(depth + 1)?;
            let name = match key {
                Val::Str(Some(k)) => {
                    self.python_reference(&k, "key");
                    k
                }
                Val::Str(None) => "<long key>".into(),
                Val::Int(i) => i.to_string(),
                Val::Other => "<key>".into(),
            };
            if depth == 0 {
                self.top_key_count += 1;
                if self.top_keys.len() < MAX_KEYS_LISTED {
                    self.top_keys.push(name.clone());
                }
            }
            self.path.push(name);
            let v = self.value(depth + 1);
            self.string_value(&v);
            self.path.pop();
            v?;
        }
        Ok(Val::Other)
    }

    fn array(&mut self, depth: usize, n: u64) -> Result<Val, Stop> {
        if n > self.r.remaining() {
            return Err(Stop::Structure(format!(
                "array at offset {} claims {n} items, more than the bytes left",
                self.r.pos()
            )));
        }
        for i in 0..n {
            self.path.push(i.to_string());
            let v = self.value(depth + 1);
            self.string_value(&v);
            self.path.pop();
            v?;
        }
        Ok(Val::Other)
    }

    fn string(&mut self, n: u64) -> Result<Val, Stop> {
        if n > MAX_STRING {
            self.r.skip(n, "string").map_err(Stop::Structure)?;
            return Ok(Val::Str(None));
        }
        let bytes = self.r.bytes(n, "string").map_err(Stop::Structure)?;
        Ok(Val::Str(Some(String::from_utf8_lossy(&bytes).into_owned())))
    }

    fn string_value(&mut self, v: &Result<Val, Stop>) {
        if let Ok(Val::Str(Some(text))) = v {
            self.python_reference(text, "value");
        }
    }

    fn python_reference(&mut self, text: &str, what: &str) {
        if let Some((severity, why)) = python::reference(text) {
            let check = Check::failed(rules::PYTHON_REFERENCE, format!("{what} {why}"))
                .severity(severity)
                .locator(self.locator())
                .offset(self.r.pos())
                .evidence(what, text);
            self.f.fail(&mut self.out, rules::PYTHON_REFERENCE, check);
        }
    }

    /// A bin field: a pickle (protocol 2-5 header, STOP at the end) is handed back.
    fn bin(&mut self, n: u64) -> Result<(), Stop> {
        let start = self.r.pos();
        let s = Stop::Structure;
        if n >= 3 {
            let head = self.r.bytes(2, "bin").map_err(s)?;
            self.r.skip(n - 3, "bin").map_err(s)?;
            let last = self.r.u8("bin").map_err(s)?;
            if head[0] == 0x80 && (2..=5).contains(&head[1]) && last == b'.' {
                let name = self.locator();
                let check = Check::failed(rules::EMBEDDED_PICKLE, format!("bin field holds a protocol {} pickle of {n} bytes; handed to the pickle scanner", head[1]))
                    .locator(&name)
                    .offset(start)
                    .evidence("length", n);
                self.f.fail(&mut self.out, rules::EMBEDDED_PICKLE, check);
                self.pickles.push(Pickle {
                    name,
                    offset: start,
                    len: n,
                });
            }
            Ok(())
        } else {
            self.r.skip(n, "bin").map_err(s)
        }
    }

    fn ext(&mut self, n: u64, at: u64) -> Result<(), Stop> {
        let code = self.r.u8("ext type").map_err(Stop::Structure)? as i8;
        let start = self.r.pos();
        if n > self.r.remaining() {
            return Err(Stop::Structure(format!(
                "ext at offset {at} claims {n} bytes, more than remain"
            )));
        }
        match code {
            EXT_NDARRAY | EXT_NPSCALAR => {
                let outer = self.r.narrow(n);
                let result = self.ndarray();
                self.r.widen(outer);
                if let Err(e) = result {
                    let check = Check::failed(rules::ARRAY, format!("ndarray ext: {e}"))
                        .locator(self.locator())
                        .offset(at);
                    self.f.fail(&mut self.out, rules::ARRAY, check);
                }
                self.tensors += 1;
            }
            EXT_COMPLEX | EXT_TIMESTAMP => {}
            _ => {
                let check = Check::failed(
                    rules::EXT_TYPE,
                    format!("unknown ext type {code} ({n} bytes): no Flax or msgpack meaning"),
                )
                .locator(self.locator())
                .offset(at)
                .evidence("code", code);
                self.f.fail(&mut self.out, rules::EXT_TYPE, check);
            }
        }
        self.r.seek(start + n).map_err(Stop::Structure)
    }

    /// Flax ndarray payload: msgpack `[shape, dtype name, data bytes]`.
    fn ndarray(&mut self) -> Result<(), String> {
        let marker = self.r.u8("ndarray header")?;
        if marker != 0x93 {
            return Err(format!(
                "header is marker 0x{marker:02x}, not a 3-item array"
            ));
        }
        let rank = match self.r.u8("shape")? {
            m @ 0x90..=0x9f => (m & 0x0f) as u64,
            0xdc => self.r.uint(2, "shape length")?,
            m => return Err(format!("shape is marker 0x{m:02x}, not an array")),
        };
        if rank > MAX_RANK {
            return Err(format!("rank {rank} is above {MAX_RANK}"));
        }
        let mut elements: Option<u64> = Some(1);
        for _ in 0..rank {
            let dim = match self.r.u8("dimension")? {
                m @ 0x00..=0x7f => m as u64,
                m @ 0xcc..=0xcf => self.r.uint(1 << (m - 0xcc), "dimension")?,
                m => {
                    return Err(format!(
                        "dimension is marker 0x{m:02x}, not a non-negative integer"
                    ));
                }
            };
            elements = elements.and_then(|e| e.checked_mul(dim));
        }
        let dtype_len = match self.r.u8("dtype")? {
            m @ 0xa0..=0xbf => (m & 0x1f) as u64,
            0xd9 => self.r.uint(1, "dtype length")?,
            m => return Err(format!("dtype is marker 0x{m:02x}, not a string")),
        };
        let dtype =
            String::from_utf8_lossy(&self.r.bytes(dtype_len.min(64), "dtype")?).into_owned();
        let data_len = match self.r.u8("data")? {
            m @ 0xc4..=0xc6 => self.r.uint(1 << (m - 0xc4), "data length")?,
            m => return Err(format!("data is marker 0x{m:02x}, not bin")),
        };
        if data_len > self.r.remaining() {
            return Err(format!(
                "data of {data_len} bytes runs past the ext payload"
            ));
        }
        self.dtypes.insert(dtype.clone());
        let Some(elements) = elements else {
            return Err("shape has more than 2^64 elements".into());
        };
        self.parameters += elements as u128;
        let Some(size) = python::dtype_size(&dtype) else {
            if dtype == "object" || dtype.starts_with('O') {
                return Err("object dtype: loading it unpickles Python objects".into());
            }
            return Ok(()); // A dtype without a fixed size (int4, str...) cannot be checked.
        };
        match elements.checked_mul(size) {
            Some(expected) if expected == data_len => Ok(()),
            expected => Err(format!(
                "{dtype} array of {elements} elements needs {} bytes but holds {data_len}",
                expected.map_or("more than 2^64".into(), |e| e.to_string())
            )),
        }
    }

    fn finish(&mut self, result: Result<(), Stop>) {
        let out = &mut self.out;
        match &result {
            Err(Stop::Structure(e)) => {
                out.push(Check::failed(rules::STRUCTURE, e.clone()).offset(self.r.pos()))
            }
            _ => out.push(Check::passed(
                rules::STRUCTURE,
                "one well-formed msgpack value fills the file",
            )),
        }
        match result {
            Err(Stop::Limit(e)) => out.push(
                Check::new(
                    rules::LIMITS,
                    Status::Error,
                    format!("inspection stopped: {e}"),
                )
                .offset(self.r.pos()),
            ),
            _ => out.push(Check::passed(
                rules::LIMITS,
                format!(
                    "depth {} and {} values within limits",
                    self.max_depth, self.items
                ),
            )),
        }
        self.f.finish(
            out,
            rules::PYTHON_REFERENCE,
            "no keys or strings name Python reducers, internals or dangerous callables",
        );
        self.f
            .finish(out, rules::EMBEDDED_PICKLE, "no pickles in bin fields");
        self.f
            .finish(out, rules::EXT_TYPE, "only Flax and msgpack ext types");
        self.f.finish(
            out,
            rules::ARRAY,
            format!("{} ndarrays match their shape and dtype", self.tensors),
        );
        if self.tensors > 0 {
            out.meta("framework", "flax");
        }
        out.meta("top-level-keys", self.top_keys.join(", "));
        out.meta("top-level-key-count", self.top_key_count);
        out.meta("tensor-count", self.tensors);
        out.meta("parameter-count", self.parameters);
        out.meta(
            "dtypes",
            self.dtypes.iter().cloned().collect::<Vec<_>>().join(","),
        );
        out.meta("max-depth", self.max_depth);
    }
}
