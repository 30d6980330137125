//! The tensors' byte ranges against the data buffer: in bounds, disjoint, no gaps.

use cordon_plugin_sdk::{Check, ScanOutput};

use crate::header::Tensor;
use crate::rules;

/// `data_len` is the size of the buffer after the header, which starts at `data_start` in the file.
pub fn check(tensors: &[Tensor], data_len: u64, data_start: u64, out: &mut ScanOutput) {
    let mut sorted: Vec<&Tensor> = tensors.iter().collect();
    sorted.sort_by_key(|t| (t.begin, t.end));
    let mut problems = Vec::new();
    let mut covered_to = 0u64;
    for t in &sorted {
        if t.end > data_len {
            problems.push((
                t.begin,
                format!(
                    "tensor {:?} ends at {} past the {data_len}-byte buffer",
                    t.name, t.end
                ),
            ));
        }
        if t.begin < covered_to {
            problems.push((t.begin, format!("tensor {:?} overlaps the previous tensor (starts at {}, previous ends at {covered_to})", t.name, t.begin)));
        } else if t.begin > covered_to {
            problems.push((
                covered_to,
                format!(
                    "{} bytes at data offset {covered_to} belong to no tensor",
                    t.begin - covered_to
                ),
            ));
        }
        covered_to = covered_to.max(t.end);
    }
    if covered_to < data_len {
        problems.push((
            covered_to,
            format!(
                "{} trailing bytes after the last tensor belong to no tensor",
                data_len - covered_to
            ),
        ));
    }
    out.meta("data-bytes", data_len);
    if problems.is_empty() {
        out.push(Check::passed(
            rules::DATA_LAYOUT,
            format!(
                "{} tensors cover the {data_len}-byte buffer exactly",
                sorted.len()
            ),
        ));
    }
    for (offset, message) in problems {
        out.push(Check::failed(rules::DATA_LAYOUT, message).offset(data_start + offset));
    }
}
