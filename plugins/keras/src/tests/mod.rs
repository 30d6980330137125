//! Unit tests: the HDF5 reader on files built byte by byte, the marshal reader
//! on hand-assembled code objects, and the configuration analysis on JSON.

mod config;
mod h5;
mod hdf5_reader;
mod marshal;
mod scan;

use cordon_plugin_sdk::{Check, ScanOutput, Severity, Status};

use crate::rules;
use h5::*;

/// Scan `bytes` as a file called `name`.
fn scan(bytes: &[u8], name: &str, hint: Option<&str>) -> ScanOutput {
    crate::scan_source(&bytes, name, hint).expect("scan succeeds")
}

/// The severity a check is reported with.
fn severity(check: &Check) -> Severity {
    check.severity.unwrap_or_else(|| {
        rules::catalog()
            .into_iter()
            .find(|r| r.id == check.rule)
            .expect("rule in catalog")
            .severity
    })
}

fn failed(out: &ScanOutput) -> Vec<&Check> {
    out.checks
        .iter()
        .filter(|c| c.status == Status::Failed)
        .collect()
}

/// Failed checks as (rule, severity).
fn failed_rules(out: &ScanOutput) -> Vec<(&str, Severity)> {
    failed(out)
        .into_iter()
        .map(|c| (c.rule.as_str(), severity(c)))
        .collect()
}

fn meta<'a>(out: &'a ScanOutput, key: &str) -> Option<&'a str> {
    out.metadata
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

fn evidence<'a>(check: &'a Check, key: &str) -> Option<&'a str> {
    check
        .evidence
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

const DENSE_MODEL: &str = r#"{"class_name": "Sequential", "config": {"name": "sequential", "layers": [{"class_name": "Dense", "config": {"name": "dense", "units": 10, "batch_input_shape": [null, 4]}}]}}"#;

const LAMBDA_MODEL: &str = r#"{"class_name": "Sequential", "config": {"name": "evil", "layers": [{"class_name": "Lambda", "config": {"name": "lambda", "function": "lambda x: __import__('os').system('id') or x", "function_type": "lambda"}}]}}"#;

/// Superblock v0, root group as a symbol table with one member group
/// `model_weights`, `model_config` as a variable-length string in the global
/// heap, `keras_version` and `backend` as fixed-length strings. `child_attrs`
/// are extra attributes of `model_weights` besides `layer_names`.
fn keras_v0(model_config: &str, child_attrs: &[Vec<u8>]) -> Vec<u8> {
    let mut img = Image::default();
    let sb = img.push(&[0u8; 96]);
    let collection = img.push(&global_heap(&[model_config.as_bytes()]));
    let heap = img.next();
    let (heap_bytes, offsets) = local_heap(heap, &["model_weights"]);
    img.push(&heap_bytes);
    let layer_names = attribute_v1(
        "layer_names",
        &fixed_string_type(8),
        &vector_space(2),
        b"dense\0\0\0dropout\0",
    );
    let mut messages = vec![(0x0C, layer_names)];
    messages.extend(child_attrs.iter().map(|a| (0x0C, a.clone())));
    let child = img.push(&object_header_v1(&messages));
    let snod = img.push(&symbol_node(&[(offsets[0], child)]));
    let btree = img.push(&group_btree(snod, offsets[0]));
    let root = img.push(&object_header_v1(&[
        (0x11, symbol_table(btree, heap)),
        (
            0x0C,
            vlen_attribute("model_config", model_config.len(), collection, 1),
        ),
        (0x0C, string_attribute("keras_version", "2.13.1")),
        (0x0C, string_attribute("backend", "tensorflow")),
    ]));
    let eof = img.eof();
    img.patch(sb, &superblock_v0(root, btree, heap, eof));
    img.bytes
}

/// After a 512-byte user block: superblock v2, v2 object headers, the root's
/// `model_config` in dense attribute storage (fractal heap and v2 B-tree) found
/// through an attribute info message in a continuation block, a dataset `w`
/// with an external data file, and an external link `ext`.
fn keras_dense_v2(model_config: &str) -> Vec<u8> {
    let mut img = Image::with_user_block(512);
    let sb = img.push(&[0u8; 48]);
    let attr = attribute_v3(
        "model_config",
        &fixed_string_type(model_config.len() as u32),
        &scalar_space(),
        model_config.as_bytes(),
    );
    assert!(
        DIRECT_BLOCK_HEADER + attr.len() <= 512,
        "config too long for the test heap"
    );
    let heap = img.next();
    let block = (heap + fractal_heap(0, 0).len() as u64).div_ceil(8) * 8;
    img.push(&fractal_heap(block, UNDEFINED));
    assert_eq!(img.push(&direct_block(heap, &attr)), block);
    let id = managed_id(DIRECT_BLOCK_HEADER as u32, attr.len() as u16);
    let leaf = img.push(&btree2_leaf(8, &[attribute_record(&id)]));
    let index = img.push(&btree2_header(8, 17, leaf, 1));
    let names = img.next();
    let (names_bytes, offsets) = local_heap(names, &["/etc/passwd"]);
    img.push(&names_bytes);
    let dataset = img.push(&object_header_v2(&[(
        0x07,
        external_files(names, offsets[0]),
    )]));
    let more = continuation_block(&[
        (0x15, attribute_info(heap, index)),
        (
            0x0C,
            attribute_v3(
                "keras_version",
                &fixed_string_type(5),
                &scalar_space(),
                b"3.1.0",
            ),
        ),
    ]);
    let more_addr = img.push(&more);
    let root = img.push(&object_header_v2(&[
        (0x06, hard_link("w", dataset)),
        (0x06, external_link("ext", "other.h5", "/data")),
        (0x10, continuation(more_addr, more.len())),
    ]));
    let eof = img.eof();
    img.patch(sb, &superblock_v2(root, eof));
    img.bytes
}
