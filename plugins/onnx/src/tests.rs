use std::cell::Cell;
use std::io::{BufReader, Cursor, Read, Seek, SeekFrom};
use std::rc::Rc;

use cordon_plugin_sdk::{ScanError, ScanOutput, Status};
use cordon_protowire::encode::Message;

use super::*;

const FLOAT: u64 = 1;
const INT64: u64 = 7;

fn tensor(name: &str, data_type: u64, dims: &[u64]) -> Message {
    dims.iter()
        .fold(Message::new(), |m, d| m.varint(1, *d))
        .varint(2, data_type)
        .bytes(8, name)
}

fn external(name: &str, location: &str) -> Message {
    let entry = |k: &str, v: &str| Message::new().bytes(1, k).bytes(2, v);
    tensor(name, FLOAT, &[4])
        .message(13, entry("location", location))
        .message(13, entry("offset", "0"))
        .varint(14, 1)
}

fn node(name: &str, op_type: &str, domain: &str) -> Message {
    Message::new()
        .bytes(1, "x")
        .bytes(2, "y")
        .bytes(3, name)
        .bytes(4, op_type)
        .bytes(7, domain)
}

fn graph_attribute(name: &str, graph: Message) -> Message {
    Message::new()
        .bytes(1, name)
        .message(6, graph)
        .varint(20, 5)
}

fn opset(domain: &str, version: u64) -> Message {
    Message::new().bytes(1, domain).varint(2, version)
}

/// `name: float32[batch,3]`
fn value_info(name: &str) -> Message {
    let dim_param = Message::new().bytes(2, "batch");
    let dim_value = Message::new().varint(1, 3);
    let shape = Message::new().message(1, dim_param).message(1, dim_value);
    let tensor_type = Message::new().varint(1, FLOAT).message(2, shape);
    Message::new()
        .bytes(1, name)
        .message(2, Message::new().message(1, tensor_type))
}

fn model(graph: Message) -> Vec<u8> {
    Message::new()
        .varint(1, 8)
        .bytes(2, "pytorch")
        .bytes(3, "2.1.0")
        .message(7, graph)
        .message(8, opset("", 17))
        .message(14, Message::new().bytes(1, "author").bytes(2, "me"))
        .into_bytes()
}

fn scan(bytes: &[u8]) -> ScanOutput {
    scan_source(|| Cursor::new(bytes), bytes.len() as u64, true).expect("scanned")
}

fn failed(out: &ScanOutput) -> Vec<(&str, &str)> {
    out.checks
        .iter()
        .filter(|c| c.status != Status::Passed)
        .map(|c| (c.rule.as_str(), c.message.as_str()))
        .collect()
}

fn rules_failed(out: &ScanOutput) -> Vec<&str> {
    failed(out).into_iter().map(|(r, _)| r).collect()
}

fn meta<'a>(out: &'a ScanOutput, key: &str) -> &'a str {
    &out.metadata.iter().find(|(k, _)| k == key).expect(key).1
}

fn valid_graph() -> Message {
    let weights = tensor("W", FLOAT, &[2, 3]).bytes(9, [0u8; 24]);
    let mut packed = Vec::new();
    for v in [1u8, 2, 3] {
        packed.push(v);
    }
    let shape = tensor("shape", INT64, &[3]).bytes(7, packed);
    let constant = tensor("", FLOAT, &[2]).fixed32(4, 0).fixed32(4, 0);
    let constant_node = node("const0", "Constant", "")
        .message(5, Message::new().bytes(1, "value").message(5, constant));
    Message::new()
        .message(1, node("conv0", "Conv", ""))
        .message(1, constant_node)
        .bytes(2, "main")
        .message(5, weights)
        .message(5, shape)
        .message(11, value_info("x"))
        .message(12, value_info("y"))
}

#[test]
fn valid_model_passes_every_rule() {
    let out = scan(&model(valid_graph()));
    assert_eq!(failed(&out), Vec::<(&str, &str)>::new());
    let recorded: Vec<&str> = out.checks.iter().map(|c| c.rule.as_str()).collect();
    let catalog: Vec<String> = rules::catalog().into_iter().map(|r| r.id).collect();
    assert_eq!(
        recorded, catalog,
        "one passed record per rule, in catalog order"
    );
    assert_eq!(meta(&out, "ir-version"), "8");
    assert_eq!(meta(&out, "producer-name"), "pytorch");
    assert_eq!(meta(&out, "producer-version"), "2.1.0");
    assert_eq!(meta(&out, "opsets"), "ai.onnx:17");
    assert_eq!(meta(&out, "node-count"), "2");
    assert_eq!(meta(&out, "initializer-count"), "2");
    assert_eq!(meta(&out, "parameter-count"), "9");
    assert_eq!(meta(&out, "inputs"), "x: float32[batch,3]");
    assert_eq!(meta(&out, "outputs"), "y: float32[batch,3]");
    assert_eq!(meta(&out, "op-types"), "Constant:1,Conv:1");
    assert_eq!(meta(&out, "metadata-props"), "author");
    assert_eq!(meta(&out, "graph-depth"), "1");
}

#[test]
fn external_data_outside_the_model_directory_is_critical() {
    for (location, problem) in [
        ("../../etc/passwd", "climbs out"),
        ("/etc/passwd", "absolute"),
        ("C:\\Windows\\win.ini", "drive letter"),
        ("weights\\..\\..\\secret", "climbs out"),
        ("file:///etc/shadow", "URL"),
        ("~/.ssh/id_rsa", "home directory"),
    ] {
        let graph = Message::new().message(5, external("W", location));
        let out = scan(&model(graph));
        let f = failed(&out);
        assert_eq!(f.len(), 1, "{location}: {f:?}");
        assert_eq!(f[0].0, rules::EXTERNAL_DATA);
        assert!(f[0].1.contains(problem), "{location}: {}", f[0].1);
        let check = &out.checks[1];
        assert_eq!(check.severity, None, "the rule's critical default applies");
        assert!(
            check
                .evidence
                .contains(&("location".into(), location.into()))
        );
        assert_eq!(
            check.location.as_ref().unwrap().locator.as_deref(),
            Some("graph/W")
        );
    }
}

#[test]
fn external_data_next_to_the_model_passes() {
    let graph = Message::new().message(5, external("W", "weights/W.bin"));
    let out = scan(&model(graph));
    assert_eq!(failed(&out), Vec::<(&str, &str)>::new());
    assert_eq!(meta(&out, "external-data-tensors"), "1");
}

#[test]
fn external_data_without_location_or_with_wrong_length_is_flagged() {
    let no_location = tensor("A", FLOAT, &[4]).varint(14, 1);
    let wrong_length =
        external("B", "b.bin").message(13, Message::new().bytes(1, "length").bytes(2, "15"));
    let out = scan(&model(
        Message::new()
            .message(5, no_location)
            .message(5, wrong_length),
    ));
    let f = failed(&out);
    assert_eq!(
        rules_failed(&out),
        vec![rules::EXTERNAL_DATA, rules::TENSOR_SIZE],
        "{f:?}"
    );
    assert!(f[0].1.contains("names no location"));
    assert!(f[1].1.contains("needs 16 bytes"), "{}", f[1].1);
}

#[test]
fn path_escape_accepts_plain_relative_names_only() {
    for ok in ["w.bin", "data/w.bin", "a..b", "./w.bin"] {
        assert_eq!(tensor::path_escape(ok), None, "{ok}");
    }
    for bad in ["", "..", "a/../../b", "\\\\server\\share", "a\0b", "d:x"] {
        assert!(tensor::path_escape(bad).is_some(), "{bad:?}");
    }
}

#[test]
fn python_operators_are_high_and_custom_domains_low() {
    let graph = Message::new()
        .message(1, node("py", "PyOp", "ai.onnx.contrib"))
        .message(1, node("train", "PythonOp", "com.microsoft"))
        .message(1, node("custom", "FancyGelu", "com.example"))
        .message(1, node("ok", "Attention", "com.microsoft"));
    let out = scan(&model(graph));
    let f = failed(&out);
    assert_eq!(
        rules_failed(&out),
        vec![
            rules::PYTHON_OP,
            rules::PYTHON_OP,
            rules::CUSTOM_DOMAIN,
            rules::CUSTOM_DOMAIN
        ],
        "{f:?}"
    );
    assert!(f[0].1.contains("ai.onnx.contrib:PyOp"), "{}", f[0].1);
    assert!(f[1].1.contains("com.microsoft:PythonOp"), "{}", f[1].1);
    assert!(f[2].1.contains("\"ai.onnx.contrib\": PyOp"), "{}", f[2].1);
    assert!(f[3].1.contains("\"com.example\": FancyGelu"), "{}", f[3].1);
    assert_eq!(
        meta(&out, "op-types"),
        "Attention:1,PythonOp:1,ai.onnx.contrib:PyOp:1,com.example:FancyGelu:1"
    );
}

#[test]
fn domains_of_model_defined_functions_are_not_custom() {
    let function = Message::new()
        .bytes(1, "FancyGelu")
        .message(7, node("inner", "Tanh", ""))
        .bytes(10, "com.example");
    let bytes = Message::new()
        .varint(1, 8)
        .message(
            7,
            Message::new().message(1, node("n", "FancyGelu", "com.example")),
        )
        .message(25, function)
        .into_bytes();
    let out = scan(&bytes);
    assert_eq!(failed(&out), Vec::<(&str, &str)>::new());
    assert_eq!(meta(&out, "functions"), "1");
    assert_eq!(meta(&out, "node-count"), "2");
}

#[test]
fn python_operator_inside_a_subgraph_is_found() {
    let then_branch = Message::new().message(1, node("hidden", "PyFunc", "custom"));
    let if_node = node("if0", "If", "").message(5, graph_attribute("then_branch", then_branch));
    let out = scan(&model(Message::new().message(1, if_node)));
    let python = out
        .checks
        .iter()
        .find(|c| c.rule == rules::PYTHON_OP)
        .unwrap();
    assert_eq!(python.status, Status::Failed);
    assert_eq!(
        python.location.as_ref().unwrap().locator.as_deref(),
        Some("graph/if0.then_branch/hidden")
    );
    assert_eq!(meta(&out, "graph-depth"), "2");
}

#[test]
fn subgraph_nesting_beyond_the_bound_is_an_error_record() {
    let mut graph = Message::new().message(1, node("deepest", "PyOp", ""));
    for level in 0..walk::MAX_GRAPH_DEPTH + 3 {
        let loop_node =
            node(&format!("loop{level}"), "Loop", "").message(5, graph_attribute("body", graph));
        graph = Message::new().message(1, loop_node);
    }
    let out = scan(&model(graph));
    let depth: Vec<_> = out
        .checks
        .iter()
        .filter(|c| c.rule == rules::GRAPH_DEPTH)
        .collect();
    assert_eq!(depth.len(), 1);
    assert_eq!(depth[0].status, Status::Error);
    assert!(
        depth[0].message.contains("33 levels deep"),
        "{}",
        depth[0].message
    );
    assert_eq!(meta(&out, "graph-depth"), walk::MAX_GRAPH_DEPTH.to_string());
}

#[test]
fn tensor_sizes_must_match_shape_and_type() {
    let cases: Vec<(Message, Option<&str>)> = vec![
        (tensor("ok_raw", FLOAT, &[2, 3]).bytes(9, [0u8; 24]), None),
        (tensor("ok_int4", 22, &[3]).bytes(9, [0u8; 2]), None),
        (
            tensor("ok_int4_typed", 22, &[3]).varint(5, 0).varint(5, 0),
            None,
        ),
        (tensor("ok_complex", 14, &[2]).bytes(4, [0u8; 16]), None),
        (tensor("ok_empty", FLOAT, &[0, 5]), None),
        (
            tensor("ok_strings", 8, &[2]).bytes(6, "a").bytes(6, "b"),
            None,
        ),
        (
            tensor("short_raw", FLOAT, &[2, 3]).bytes(9, [0u8; 20]),
            Some("raw_data holds 20 bytes"),
        ),
        (
            tensor("short_typed", FLOAT, &[3]).fixed32(4, 0),
            Some("float_data holds 1 values"),
        ),
        (
            tensor("wrong_field", FLOAT, &[1]).varint(7, 0),
            Some("a field its type does not use"),
        ),
        (tensor("no_data", FLOAT, &[4]), Some("holds no data")),
        (
            tensor("both", FLOAT, &[1]).bytes(9, [0u8; 4]).fixed32(4, 0),
            Some("raw_data and float_data"),
        ),
        (
            tensor("bad_type", 99, &[1]).bytes(9, [0u8; 4]),
            Some("not an ONNX tensor type"),
        ),
        (
            tensor("negative", FLOAT, &[u64::MAX]).bytes(9, [0u8; 4]),
            Some("negative"),
        ),
        (
            tensor("huge", FLOAT, &[1 << 40, 1 << 40]).bytes(9, [0u8; 4]),
            Some("past 2^64"),
        ),
        (
            tensor("raw_strings", 8, &[1]).bytes(9, "a"),
            Some("string tensor stored in raw_data"),
        ),
    ];
    for (t, problem) in cases {
        let out = scan(&model(Message::new().message(5, t)));
        let f = failed(&out);
        match problem {
            None => assert_eq!(f, Vec::<(&str, &str)>::new()),
            Some(problem) => {
                assert_eq!(f.len(), 1, "{problem}: {f:?}");
                assert_eq!(f[0].0, rules::TENSOR_SIZE);
                assert!(f[0].1.contains(problem), "{problem}: {}", f[0].1);
            }
        }
    }
}

#[test]
fn packed_and_unpacked_dims_are_both_read() {
    let mut packed = Vec::new();
    packed.extend([2u8, 3]);
    let t = Message::new()
        .bytes(1, packed)
        .varint(2, INT64)
        .bytes(8, "p")
        .bytes(7, [1u8, 2, 3, 4, 5, 6]);
    let out = scan(&model(Message::new().message(5, t)));
    assert_eq!(failed(&out), Vec::<(&str, &str)>::new());
    assert_eq!(meta(&out, "parameter-count"), "6");
}

#[test]
fn failures_are_capped_with_a_summary() {
    let graph = (0..60).fold(Message::new(), |g, i| {
        g.message(5, tensor(&format!("t{i}"), FLOAT, &[4]).bytes(9, [0u8; 3]))
    });
    let out = scan(&model(graph));
    let size: Vec<_> = out
        .checks
        .iter()
        .filter(|c| c.rule == rules::TENSOR_SIZE)
        .collect();
    assert_eq!(size.len(), 51);
    assert_eq!(
        size[50].message,
        "60 findings in total; only the first 50 are listed"
    );
}

#[test]
fn a_damaged_model_is_a_structure_failure_and_the_rest_is_not_passed() {
    let bytes = model(valid_graph());
    let out = scan(&bytes[..bytes.len() / 2]);
    let structure = &out.checks[0];
    assert_eq!(
        (structure.rule.as_str(), structure.status),
        (rules::STRUCTURE, Status::Failed)
    );
    assert!(out.checks[1..].iter().all(|c| c.status == Status::Error));
    // A group inside the graph is refused, with its offset.
    let group = Message::new()
        .varint(1, 8)
        .raw(&[0x3a, 0x02, 0x0b, 0x0c])
        .into_bytes();
    let out = scan(&group);
    assert!(
        out.checks[0].message.contains("group"),
        "{}",
        out.checks[0].message
    );
    assert_eq!(out.checks[0].location.as_ref().unwrap().offset, Some(4));
}

#[test]
fn only_plausible_models_are_claimed_without_the_extension() {
    let sniff = |bytes: &[u8]| scan_source(|| Cursor::new(bytes), bytes.len() as u64, false);
    assert!(sniff(&model(valid_graph())).is_ok());
    let declined = [
        b"just some text, not a model".to_vec(),
        Vec::new(),
        // A TensorProto test input (dims, data_type, raw_data), as ONNX test data ships.
        tensor("input", FLOAT, &[3])
            .bytes(9, [0u8; 12])
            .into_bytes(),
        // A SavedModel: schema version 1, then a MetaGraphDef.
        Message::new()
            .varint(1, 1)
            .message(2, Message::new())
            .into_bytes(),
        // safetensors: an 8-byte length and JSON.
        b"\x10\x00\x00\x00\x00\x00\x00\x00{\"a\":1}        ".to_vec(),
    ];
    for bytes in declined {
        match sniff(&bytes) {
            Err(ScanError::Unsupported(_)) => {}
            other => panic!("{bytes:02x?}: {:?}", other.map(|o| o.checks)),
        }
    }
    // With the extension, a file whose first field ModelProto defines is taken and judged.
    assert!(scan_source(|| Cursor::new(&[0x08, 0x01][..]), 2, true).is_ok());
    assert!(matches!(
        scan_source(|| Cursor::new(&b"hello"[..]), 5, true),
        Err(ScanError::Unsupported(_))
    ));
}

/// A `Read + Seek` that counts the bytes read through it.
struct Counting<R> {
    inner: R,
    read: Rc<Cell<u64>>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.set(self.read.get() + n as u64);
        Ok(n)
    }
}

impl<R: Seek> Seek for Counting<R> {
    fn seek(&mut self, to: SeekFrom) -> std::io::Result<u64> {
        self.inner.seek(to)
    }
}

#[test]
fn large_tensor_data_is_skipped_not_read() {
    let big = 64 << 20;
    let weights = tensor("W", FLOAT, &[big / 4]).bytes(9, vec![0u8; big as usize]);
    let bytes = model(
        Message::new()
            .message(5, weights)
            .message(1, node("n", "PyOp", "")),
    );
    let read = Rc::new(Cell::new(0));
    let open = || {
        BufReader::with_capacity(
            64 * 1024,
            Counting {
                inner: Cursor::new(bytes.as_slice()),
                read: read.clone(),
            },
        )
    };
    let out = scan_source(open, bytes.len() as u64, true).unwrap();
    assert_eq!(
        rules_failed(&out),
        vec![rules::PYTHON_OP],
        "the node after the data is seen"
    );
    assert_eq!(meta(&out, "parameter-count"), (big / 4).to_string());
    assert!(
        read.get() < 1 << 20,
        "read {} bytes of {}",
        read.get(),
        bytes.len()
    );
}

#[test]
fn rule_ids_are_unique_and_prefixed() {
    let ids: Vec<String> = rules::catalog().into_iter().map(|r| r.id).collect();
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), ids.len());
    assert!(ids.iter().all(|id| id.starts_with("onnx-")));
}

#[test]
fn mutated_models_never_panic() {
    let valid = model(
        valid_graph()
            .message(5, external("E", "e.bin"))
            .message(1, node("py", "PyOp", "x")),
    );
    // xorshift64: deterministic mutations without a dependency.
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for _ in 0..5_000 {
        let mut bytes = valid.clone();
        for _ in 0..=next() % 6 {
            let at = next() as usize % bytes.len();
            bytes[at] = next() as u8;
        }
        bytes.truncate(next() as usize % (bytes.len() + 1));
        for named in [true, false] {
            match scan_source(|| Cursor::new(&bytes[..]), bytes.len() as u64, named) {
                Ok(out) => assert!(!out.checks.is_empty()),
                Err(ScanError::Unsupported(_)) => {}
                Err(e) => panic!("{e:?} on {bytes:02x?}"),
            }
        }
    }
}
