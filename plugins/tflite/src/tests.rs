use cordon_plugin_sdk::{ScanOutput, Severity, Status};

use super::*;

/// A flatbuffer value for the test builder.
enum V {
    U8(u8),
    I32(i32),
    U32(u32),
    U64(u64),
    Str(&'static str),
    Bytes(Vec<u8>),
    Ints(Vec<i32>),
    Tables(Vec<Vec<(u16, V)>>),
}

/// Serialises tables front to back: every referenced object is written after
/// its reference, so all `uoffset`s are positive as the format requires.
struct Builder {
    buf: Vec<u8>,
    pending: Vec<(usize, Obj)>,
}

enum Obj {
    Table(Vec<(u16, V)>),
    Str(&'static str),
    Bytes(Vec<u8>),
    Ints(Vec<i32>),
    Tables(Vec<Vec<(u16, V)>>),
}

impl Builder {
    fn model(root: Vec<(u16, V)>) -> Vec<u8> {
        let mut b = Builder {
            buf: vec![0; 8],
            pending: Vec::new(),
        };
        b.buf[4..8].copy_from_slice(IDENTIFIER);
        b.pending.push((0, Obj::Table(root)));
        while !b.pending.is_empty() {
            let (at, obj) = b.pending.remove(0);
            let pos = b.emit(obj);
            let rel = (pos - at) as u32;
            b.buf[at..at + 4].copy_from_slice(&rel.to_le_bytes());
        }
        b.buf
    }

    fn align(&mut self) {
        while !self.buf.len().is_multiple_of(4) {
            self.buf.push(0);
        }
    }

    fn reference(&mut self, obj: Obj) {
        self.pending.push((self.buf.len(), obj));
        self.buf.extend_from_slice(&[0; 4]);
    }

    fn emit(&mut self, obj: Obj) -> usize {
        self.align();
        match obj {
            Obj::Table(fields) => self.table(fields),
            Obj::Str(s) => {
                let pos = self.buf.len();
                self.buf.extend_from_slice(&(s.len() as u32).to_le_bytes());
                self.buf.extend_from_slice(s.as_bytes());
                self.buf.push(0);
                pos
            }
            Obj::Bytes(bytes) => {
                let pos = self.buf.len();
                self.buf
                    .extend_from_slice(&(bytes.len() as u32).to_le_bytes());
                self.buf.extend_from_slice(&bytes);
                pos
            }
            Obj::Ints(ints) => {
                let pos = self.buf.len();
                self.buf
                    .extend_from_slice(&(ints.len() as u32).to_le_bytes());
                for i in ints {
                    self.buf.extend_from_slice(&i.to_le_bytes());
                }
                pos
            }
            Obj::Tables(tables) => {
                let pos = self.buf.len();
                self.buf
                    .extend_from_slice(&(tables.len() as u32).to_le_bytes());
                for t in tables {
                    self.reference(Obj::Table(t));
                }
                pos
            }
        }
    }

    fn table(&mut self, fields: Vec<(u16, V)>) -> usize {
        let slots = fields.iter().map(|(id, _)| *id + 1).max().unwrap_or(0) as usize;
        let vtable = self.buf.len();
        self.buf.resize(vtable + 4 + 2 * slots, 0);
        self.align();
        let table = self.buf.len();
        self.buf
            .extend_from_slice(&((table - vtable) as i32).to_le_bytes());
        for (id, value) in fields {
            let off = (self.buf.len() - table) as u16;
            let slot = vtable + 4 + 2 * id as usize;
            self.buf[slot..slot + 2].copy_from_slice(&off.to_le_bytes());
            match value {
                V::U8(v) => self.buf.push(v),
                V::I32(v) => self.buf.extend_from_slice(&v.to_le_bytes()),
                V::U32(v) => self.buf.extend_from_slice(&v.to_le_bytes()),
                V::U64(v) => self.buf.extend_from_slice(&v.to_le_bytes()),
                V::Str(s) => self.reference(Obj::Str(s)),
                V::Bytes(b) => self.reference(Obj::Bytes(b)),
                V::Ints(i) => self.reference(Obj::Ints(i)),
                V::Tables(t) => self.reference(Obj::Tables(t)),
            }
        }
        let table_len = (self.buf.len() - table) as u16;
        self.buf[vtable..vtable + 2].copy_from_slice(&((4 + 2 * slots) as u16).to_le_bytes());
        self.buf[vtable + 2..vtable + 4].copy_from_slice(&table_len.to_le_bytes());
        table
    }
}

fn builtin(code: i32) -> Vec<(u16, V)> {
    vec![(0, V::U8(code.min(127) as u8)), (3, V::I32(code))]
}

fn custom(name: &'static str) -> Vec<(u16, V)> {
    vec![(0, V::U8(32)), (1, V::Str(name)), (3, V::I32(32))]
}

fn tensor(name: &'static str, shape: Vec<i32>, dtype: u8, buffer: u32) -> Vec<(u16, V)> {
    vec![
        (0, V::Ints(shape)),
        (1, V::U8(dtype)),
        (2, V::U32(buffer)),
        (3, V::Str(name)),
    ]
}

fn op(index: u32) -> Vec<(u16, V)> {
    vec![(0, V::U32(index))]
}

/// A model with the given parts; buffer 0 is the schema's empty sentinel.
fn model(
    opcodes: Vec<Vec<(u16, V)>>,
    tensors: Vec<Vec<(u16, V)>>,
    operators: Vec<Vec<(u16, V)>>,
    buffers: Vec<Vec<(u16, V)>>,
    metadata: Vec<Vec<(u16, V)>>,
) -> Vec<u8> {
    Builder::model(vec![
        (0, V::U32(3)),
        (1, V::Tables(opcodes)),
        (
            2,
            V::Tables(vec![vec![
                (0, V::Tables(tensors)),
                (3, V::Tables(operators)),
                (4, V::Str("main")),
            ]]),
        ),
        (3, V::Str("MLIR Converted.")),
        (4, V::Tables(buffers)),
        (6, V::Tables(metadata)),
    ])
}

fn data(bytes: usize) -> Vec<(u16, V)> {
    vec![(0, V::Bytes(vec![0; bytes]))]
}

fn valid() -> Vec<u8> {
    model(
        vec![builtin(0), builtin(9)],
        vec![
            tensor("input", vec![1, 4], 0, 0),
            tensor("weights", vec![4, 4], 0, 1),
            tensor("output", vec![1, 4], 0, 0),
            tensor("bias", vec![4], 9, 2),
        ],
        vec![op(1), op(0), op(0)],
        vec![
            vec![],
            data(64),
            data(4),
            vec![(0, V::Bytes(b"1.14.0\0\0\0\0\0\0\0\0\0\0".to_vec()))],
        ],
        vec![vec![(0, V::Str("min_runtime_version")), (1, V::U32(3))]],
    )
}

fn scan(bytes: &[u8]) -> ScanOutput {
    let mut out = ScanOutput::default();
    analyze(&bytes, &mut out);
    out
}

fn failed(out: &ScanOutput) -> Vec<(&str, Option<Severity>, &str)> {
    out.checks
        .iter()
        .filter(|c| c.status == Status::Failed)
        .map(|c| (c.rule.as_str(), c.severity, c.message.as_str()))
        .collect()
}

fn meta<'a>(out: &'a ScanOutput, key: &str) -> &'a str {
    &out.metadata
        .iter()
        .find(|(k, _)| k == key)
        .unwrap_or_else(|| panic!("no {key}: {:?}", out.metadata))
        .1
}

#[test]
fn valid_model_passes_every_rule() {
    let out = scan(&valid());
    assert_eq!(failed(&out), vec![]);
    for rule in rules::catalog() {
        assert!(
            out.checks
                .iter()
                .any(|c| c.rule == rule.id && c.status == Status::Passed),
            "{} not recorded as passed",
            rule.id
        );
    }
    assert_eq!(meta(&out, "version"), "3");
    assert_eq!(meta(&out, "subgraph-count"), "1");
    assert_eq!(meta(&out, "operator-count"), "3");
    assert_eq!(meta(&out, "op-histogram"), "ADD:2,FULLY_CONNECTED:1");
    assert_eq!(meta(&out, "tensor-count"), "4");
    assert_eq!(meta(&out, "parameter-count"), "20");
    assert_eq!(meta(&out, "description"), "MLIR Converted.");
    assert_eq!(meta(&out, "min-runtime-version"), "1.14.0");
    assert_eq!(meta(&out, "metadata-entries"), "min_runtime_version");
}

#[test]
fn flex_and_custom_ops_are_flagged_by_danger() {
    let bytes = model(
        vec![
            custom("FlexPyFunc"),
            custom("FlexRFFT"),
            custom("FlexReadFile"),
            custom("TFLite_Detection_PostProcess"),
        ],
        vec![tensor("x", vec![1], 0, 0)],
        vec![op(0), op(1), op(2), op(3)],
        vec![vec![]],
        vec![],
    );
    let out = scan(&bytes);
    let f = failed(&out);
    assert!(
        f.contains(&(
            rules::FLEX_OP,
            Some(Severity::Critical),
            "Flex op `FlexPyFunc` runs a Python function from the host process"
        )),
        "{f:#?}"
    );
    assert!(f.iter().any(|(r, s, m)| *r == rules::FLEX_OP
        && *s == Some(Severity::Medium)
        && m.contains("FlexRFFT")));
    assert!(f.iter().any(|(r, s, m)| *r == rules::FLEX_OP
        && *s == Some(Severity::High)
        && m.contains("FlexReadFile")));
    assert!(
        f.iter().any(
            |(r, _, m)| *r == rules::CUSTOM_OP && m.ends_with(": TFLite_Detection_PostProcess")
        )
    );
    assert_eq!(f.len(), 4, "{f:#?}");
    assert_eq!(meta(&out, "flex-ops"), "FlexPyFunc, FlexRFFT, FlexReadFile");
    assert_eq!(meta(&out, "custom-ops"), "TFLite_Detection_PostProcess");
    assert!(meta(&out, "op-histogram").contains("FlexPyFunc:1"));
}

#[test]
fn indices_shapes_and_sizes_are_checked() {
    let bytes = model(
        vec![builtin(0)],
        vec![
            tensor("dangling", vec![2], 0, 9),
            tensor("negative", vec![-1, 4], 0, 0),
            tensor("short", vec![4, 4], 0, 1),
            tensor("huge", vec![65536, 65536, 65536, 65536, 65536], 0, 1),
        ],
        vec![op(0), op(7)],
        vec![vec![], data(8), vec![(1, V::U64(1 << 40)), (2, V::U64(16))]],
        vec![vec![(0, V::Str("TFLITE_METADATA")), (1, V::U32(40))]],
    );
    let out = scan(&bytes);
    let f = failed(&out);
    let count = |rule: &str| f.iter().filter(|(r, _, _)| *r == rule).count();
    assert_eq!(count(rules::TENSOR_BUFFER), 1, "{f:#?}");
    assert_eq!(count(rules::TENSOR_SHAPE), 2, "{f:#?}");
    assert_eq!(count(rules::BUFFER_SIZE), 1, "{f:#?}");
    assert_eq!(count(rules::OPCODE_INDEX), 1, "{f:#?}");
    assert_eq!(count(rules::BUFFER_BOUNDS), 1, "{f:#?}");
    assert_eq!(count(rules::METADATA), 1, "{f:#?}");
    assert!(
        f.iter().any(|(_, _, m)| *m
            == "FLOAT32 tensor of 16 elements needs 64 bytes but its buffer 1 holds 8")
    );
    assert!(f.iter().any(|(_, _, m)| m.contains("more than 2^64")));
}

#[test]
fn bad_offsets_are_structure_failures() {
    let mut bytes = valid();
    bytes[0..4].copy_from_slice(&u32::MAX.to_le_bytes());
    let out = scan(&bytes);
    assert!(
        matches!(failed(&out).as_slice(), [(rules::STRUCTURE, None, m)] if m.starts_with("cannot read the model's root table"))
    );
    // A vector whose length claims more elements than the file holds.
    let good = valid();
    let mut bytes = good.clone();
    let mut weights = 64u32.to_le_bytes().to_vec();
    weights.resize(4 + 64, 0);
    let at = good
        .windows(weights.len())
        .position(|w| w == weights)
        .expect("weights buffer");
    bytes[at..at + 4].copy_from_slice(&0x0fff_ffffu32.to_le_bytes());
    let out = scan(&bytes);
    assert!(
        failed(&out)
            .iter()
            .any(|(r, _, m)| *r == rules::STRUCTURE && m.contains("past the end")),
        "{:#?}",
        failed(&out)
    );
}

#[test]
fn failures_are_capped_with_a_summary() {
    let bytes = model(
        vec![builtin(0)],
        vec![],
        (0..70).map(|_| op(5)).collect(),
        vec![vec![]],
        vec![],
    );
    let out = scan(&bytes);
    let f: Vec<_> = failed(&out)
        .into_iter()
        .filter(|(r, _, _)| *r == rules::OPCODE_INDEX)
        .collect();
    assert_eq!(f.len(), cordon_plugin_sdk::Findings::MAX_PER_RULE + 1);
    assert_eq!(
        f.last().unwrap().2,
        "70 findings in total; only the first 50 are listed"
    );
}

/// Deterministic xorshift, so failures reproduce.
fn rng(seed: &mut u64) -> u64 {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    *seed
}

#[test]
fn truncated_and_corrupted_models_never_panic() {
    let good = valid();
    for len in 0..good.len() {
        scan(&good[..len]);
    }
    let mut seed = 0x9e37_79b9_7f4a_7c15;
    for _ in 0..3000 {
        let mut bytes = good.clone();
        for _ in 0..1 + rng(&mut seed) % 6 {
            let at = (rng(&mut seed) % bytes.len() as u64) as usize;
            bytes[at] = rng(&mut seed) as u8;
        }
        scan(&bytes);
    }
    for _ in 0..300 {
        let len = (rng(&mut seed) % 512) as usize;
        let mut bytes: Vec<u8> = (0..len).map(|_| rng(&mut seed) as u8).collect();
        if bytes.len() >= 8 {
            bytes[4..8].copy_from_slice(IDENTIFIER);
        }
        scan(&bytes);
    }
}
