//! Tensor infos (name, dimensions, type, data offset) and the checks on each one.

use std::io::{Read, Seek};

use crate::ggml;
use crate::reader::{Parsed, Problem, Reader};

/// ggml's `GGML_MAX_DIMS`.
pub const MAX_DIMS: u32 = 4;
/// Dimension counts above this cannot be a damaged-but-parseable record.
const UNPARSABLE_DIMS: u32 = 16;
/// ggml's `GGML_MAX_NAME` includes the terminating NUL.
pub const MAX_NAME_BYTES: u64 = 63;
/// Longest name kept; longer ones are reported and skipped.
const KEEP_NAME: u64 = 4096;

#[derive(Debug, Clone)]
pub struct TensorInfo {
    pub name: String,
    /// Offset of the info record in the file.
    pub at: u64,
    pub ty: u32,
    /// Offset of the data, relative to the start of the data section.
    pub offset: u64,
    /// Element count and byte size, when the dimensions and type allow them.
    pub elements: Option<u64>,
    pub bytes: Option<u64>,
}

/// A tensor info that is readable but wrong.
#[derive(Debug, Clone)]
pub struct Issue {
    pub tensor: String,
    pub at: u64,
    pub message: String,
}

#[derive(Default)]
pub struct Tensors {
    pub infos: Vec<TensorInfo>,
    pub issues: Vec<Issue>,
    pub stopped: Option<Problem>,
}

pub fn read_all<R: Read + Seek>(r: &mut Reader<R>, count: u64) -> Tensors {
    let mut tensors = Tensors::default();
    for index in 0..count {
        match info(r, index, &mut tensors.issues) {
            Ok(t) => tensors.infos.push(t),
            Err(problem) => {
                tensors.stopped = Some(problem);
                break;
            }
        }
    }
    tensors
}

fn info<R: Read + Seek>(
    r: &mut Reader<R>,
    index: u64,
    issues: &mut Vec<Issue>,
) -> Parsed<TensorInfo> {
    let at = r.pos();
    let raw = r.string(KEEP_NAME, &format!("name of tensor {index}"))?;
    let name = raw
        .text
        .clone()
        .unwrap_or_else(|| format!("<tensor {index}>"));
    let mut issue = |message: String| {
        issues.push(Issue {
            tensor: name.clone(),
            at,
            message,
        })
    };
    if raw.len > MAX_NAME_BYTES {
        issue(format!(
            "name is {} bytes; ggml allows at most {MAX_NAME_BYTES}",
            raw.len
        ));
    }
    if !raw.utf8 {
        issue("name is not UTF-8".into());
    }
    let n_dims = r.u32(&format!("dimension count of tensor {name:?}"))?;
    if n_dims > UNPARSABLE_DIMS {
        return Err(Problem::new(
            at,
            format!(
                "tensor {name:?} claims {n_dims} dimensions; the tensor table cannot be parsed further"
            ),
        ));
    }
    if n_dims > MAX_DIMS {
        issue(format!(
            "{n_dims} dimensions; ggml supports at most {MAX_DIMS}"
        ));
    }
    let mut dims = Vec::with_capacity(n_dims as usize);
    for d in 0..n_dims {
        dims.push(r.size_value(&format!("dimension {d} of tensor {name:?}"))?);
    }
    let ty = r.u32(&format!("type of tensor {name:?}"))?;
    let offset = r.u64(&format!("data offset of tensor {name:?}"))?;

    let elements = dims
        .iter()
        .try_fold(1u64, |acc, d| acc.checked_mul(*d))
        .filter(|n| *n <= i64::MAX as u64 && dims.iter().all(|d| *d <= i64::MAX as u64));
    if elements.is_none() {
        issue(format!(
            "dimensions {dims:?} overflow a 64-bit element count"
        ));
    }
    let bytes = match (ggml::tensor_type(ty), elements) {
        (None, _) => {
            issue(format!("unknown ggml type {ty}"));
            None
        }
        (Some(t), Some(_)) if dims.first().copied().unwrap_or(1) % t.block != 0 => {
            issue(format!(
                "row length {} is not a multiple of the {}-element {} block",
                dims[0], t.block, t.name
            ));
            None
        }
        (Some(t), Some(n)) => (n / t.block).checked_mul(t.bytes),
        (Some(_), None) => None,
    };
    Ok(TensorInfo {
        name,
        at,
        ty,
        offset,
        elements,
        bytes,
    })
}
