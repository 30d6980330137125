//! The parts of the TFLite `Model` table the checks need, read through the
//! bounded flatbuffer reader. A damaged element is recorded as a problem and
//! skipped; the rest of the model is still read.

use crate::flatbuf::{Flatbuf, Parsed, Table, Vector};

/// Elements read per kind at most; the rest is reported as not inspected.
pub const MAX_ELEMENTS: u32 = 1_000_000;
/// Dimensions kept per tensor shape; more is itself reported as insane.
pub const MAX_RANK: u32 = 64;

pub struct OpCode {
    pub builtin: i32,
    pub custom: Option<String>,
}

pub struct Tensor {
    pub name: String,
    /// `None` when the rank is above [`MAX_RANK`] (the rank is in `rank`).
    pub shape: Option<Vec<i32>>,
    pub rank: u32,
    pub dtype: u8,
    pub buffer: u32,
    pub sparse: bool,
}

pub struct Operator {
    pub opcode_index: u32,
}

pub struct Subgraph {
    pub tensors: Vec<Tensor>,
    pub operators: Vec<Operator>,
}

pub struct Buffer {
    /// Inline `data` vector: file offset of its bytes and its length.
    pub data: Option<(u64, u32)>,
    /// External-buffer layout (models above 2 GB): absolute offset and size.
    pub offset: u64,
    pub size: u64,
}

pub struct Metadata {
    pub name: String,
    pub buffer: u32,
}

/// A structural problem: where (a locator such as `subgraphs[0].tensors[3]`) and what.
pub struct Problem {
    pub locator: String,
    pub message: String,
}

#[derive(Default)]
pub struct Model {
    pub version: u32,
    pub description: Option<String>,
    pub opcodes: Vec<OpCode>,
    pub subgraphs: Vec<Subgraph>,
    pub buffers: Vec<Buffer>,
    pub metadata: Vec<Metadata>,
    pub problems: Vec<Problem>,
    /// Kinds of elements whose count was above [`MAX_ELEMENTS`].
    pub truncated: Vec<String>,
}

// Field ids from tensorflow/lite/schema/schema.fbs.
mod field {
    pub const MODEL_VERSION: u16 = 0;
    pub const MODEL_OPERATOR_CODES: u16 = 1;
    pub const MODEL_SUBGRAPHS: u16 = 2;
    pub const MODEL_DESCRIPTION: u16 = 3;
    pub const MODEL_BUFFERS: u16 = 4;
    pub const MODEL_METADATA: u16 = 6;
    pub const OPCODE_DEPRECATED_BUILTIN: u16 = 0;
    pub const OPCODE_CUSTOM: u16 = 1;
    pub const OPCODE_BUILTIN: u16 = 3;
    pub const SUBGRAPH_TENSORS: u16 = 0;
    pub const SUBGRAPH_OPERATORS: u16 = 3;
    pub const TENSOR_SHAPE: u16 = 0;
    pub const TENSOR_TYPE: u16 = 1;
    pub const TENSOR_BUFFER: u16 = 2;
    pub const TENSOR_NAME: u16 = 3;
    pub const TENSOR_SPARSITY: u16 = 6;
    pub const OPERATOR_OPCODE_INDEX: u16 = 0;
    pub const BUFFER_DATA: u16 = 0;
    pub const BUFFER_OFFSET: u16 = 1;
    pub const BUFFER_SIZE: u16 = 2;
    pub const METADATA_NAME: u16 = 0;
    pub const METADATA_BUFFER: u16 = 1;
}

/// Read the model; `Err` only when the root table itself is unreadable.
pub fn read(fb: &Flatbuf) -> Parsed<Model> {
    let root = fb.root()?;
    let mut model = Model {
        version: fb.scalar_u32(root, field::MODEL_VERSION, 0)?,
        ..Model::default()
    };
    model.description = note(
        &mut model,
        "description",
        fb.string(root, field::MODEL_DESCRIPTION),
    )
    .flatten();
    model.opcodes = elements(
        fb,
        root,
        field::MODEL_OPERATOR_CODES,
        "operator_codes",
        &mut model,
        opcode,
    );
    model.subgraphs = elements(
        fb,
        root,
        field::MODEL_SUBGRAPHS,
        "subgraphs",
        &mut model,
        subgraph,
    );
    model.buffers = elements(
        fb,
        root,
        field::MODEL_BUFFERS,
        "buffers",
        &mut model,
        buffer,
    );
    model.metadata = elements(
        fb,
        root,
        field::MODEL_METADATA,
        "metadata",
        &mut model,
        metadata,
    );
    Ok(model)
}

/// Keep `result`'s value, or record its error at `locator`.
fn note<T>(model: &mut Model, locator: &str, result: Parsed<T>) -> Option<T> {
    result
        .map_err(|message| {
            model.problems.push(Problem {
                locator: locator.into(),
                message,
            })
        })
        .ok()
}

/// Read every table of a vector-of-tables field with `each`, recording failures.
fn elements<T>(
    fb: &Flatbuf,
    parent: Table,
    id: u16,
    locator: &str,
    model: &mut Model,
    each: impl Fn(&Flatbuf, Table, &mut Model, &str) -> Parsed<T>,
) -> Vec<T> {
    let Some(Some(v)) = note(model, locator, fb.vector(parent, id, 4)) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for i in 0..capped(v, locator, model) {
        let loc = format!("{locator}[{i}]");
        let item = fb.table_at(v, i).and_then(|t| each(fb, t, model, &loc));
        if let Some(item) = note(model, &loc, item) {
            out.push(item);
        }
    }
    out
}

fn capped(v: Vector, what: &str, model: &mut Model) -> u32 {
    if v.len > MAX_ELEMENTS {
        model
            .truncated
            .push(format!("{what}: {} of {}", MAX_ELEMENTS, v.len));
    }
    v.len.min(MAX_ELEMENTS)
}

fn opcode(fb: &Flatbuf, t: Table, _: &mut Model, _: &str) -> Parsed<OpCode> {
    // Schema v3a: the real code is the larger of the deprecated byte and the int field.
    let deprecated = fb.scalar_u8(t, field::OPCODE_DEPRECATED_BUILTIN, 0)? as i8 as i32;
    let builtin = fb.scalar_i32(t, field::OPCODE_BUILTIN, 0)?;
    Ok(OpCode {
        builtin: builtin.max(deprecated),
        custom: fb.string(t, field::OPCODE_CUSTOM)?,
    })
}

fn subgraph(fb: &Flatbuf, t: Table, model: &mut Model, loc: &str) -> Parsed<Subgraph> {
    let tensors = elements(
        fb,
        t,
        field::SUBGRAPH_TENSORS,
        &format!("{loc}.tensors"),
        model,
        tensor,
    );
    let operators = elements(
        fb,
        t,
        field::SUBGRAPH_OPERATORS,
        &format!("{loc}.operators"),
        model,
        |fb, t, _, _| {
            Ok(Operator {
                opcode_index: fb.scalar_u32(t, field::OPERATOR_OPCODE_INDEX, 0)?,
            })
        },
    );
    Ok(Subgraph { tensors, operators })
}

fn tensor(fb: &Flatbuf, t: Table, _: &mut Model, _: &str) -> Parsed<Tensor> {
    let (shape, rank) = match fb.vector(t, field::TENSOR_SHAPE, 4)? {
        None => (Some(Vec::new()), 0),
        Some(v) if v.len > MAX_RANK => (None, v.len),
        Some(v) => {
            let dims = (0..v.len)
                .map(|i| fb.i32(v.start + 4 * i as u64))
                .collect::<Parsed<Vec<_>>>()?;
            (Some(dims), v.len)
        }
    };
    Ok(Tensor {
        name: fb.string(t, field::TENSOR_NAME)?.unwrap_or_default(),
        shape,
        rank,
        dtype: fb.scalar_u8(t, field::TENSOR_TYPE, 0)?,
        buffer: fb.scalar_u32(t, field::TENSOR_BUFFER, 0)?,
        sparse: fb.is_set(t, field::TENSOR_SPARSITY)?,
    })
}

fn buffer(fb: &Flatbuf, t: Table, _: &mut Model, _: &str) -> Parsed<Buffer> {
    Ok(Buffer {
        data: fb
            .vector(t, field::BUFFER_DATA, 1)?
            .map(|v| (v.start, v.len)),
        offset: fb.scalar_u64(t, field::BUFFER_OFFSET, 0)?,
        size: fb.scalar_u64(t, field::BUFFER_SIZE, 0)?,
    })
}

fn metadata(fb: &Flatbuf, t: Table, _: &mut Model, _: &str) -> Parsed<Metadata> {
    Ok(Metadata {
        name: fb.string(t, field::METADATA_NAME)?.unwrap_or_default(),
        buffer: fb.scalar_u32(t, field::METADATA_BUFFER, 0)?,
    })
}
