use std::cell::Cell;
use std::io::{BufReader, Cursor, Read, Seek, SeekFrom};
use std::rc::Rc;

use cordon_plugin_sdk::{ScanError, ScanOutput, Status};
use cordon_protowire::encode::Message;

use super::*;

const DT_STRING: u64 = 7;

/// The corpus files (modelaudit's synthetic samples), byte for byte.
const CORPUS_MALICIOUS: &[u8] =
    b"\x12\x21\x12\x1f\x0a\x0e\x0a\x05Const\x12\x05Const\x0a\x0d\x0a\x03bad\x12\x06PyFunc";
const CORPUS_BENIGN: &[u8] = b"\x12\x12\x12\x10\x0a\x0e\x0a\x05Const\x12\x05Const";

fn node(name: &str, op: &str, inputs: &[&str]) -> Message {
    inputs
        .iter()
        .fold(Message::new().bytes(1, name).bytes(2, op), |m, i| {
            m.bytes(3, i)
        })
}

fn attr(key: &str, value: Message) -> Message {
    Message::new().bytes(1, key).message(2, value)
}

fn const_string(name: &str, value: &str) -> Message {
    let tensor = Message::new().varint(1, DT_STRING).bytes(8, value);
    node(name, "Const", &[])
        .message(5, attr("dtype", Message::new().varint(6, DT_STRING)))
        .message(5, attr("value", Message::new().message(8, tensor)))
}

fn graph(nodes: Vec<Message>) -> Message {
    nodes
        .into_iter()
        .fold(Message::new(), |g, n| g.message(1, n))
}

fn function(name: &str, nodes: Vec<Message>) -> Message {
    nodes.into_iter().fold(
        Message::new().message(1, Message::new().bytes(1, name)),
        |f, n| f.message(3, n),
    )
}

fn with_library(graph: Message, functions: Vec<Message>) -> Message {
    let library = functions
        .into_iter()
        .fold(Message::new(), |l, f| l.message(1, f));
    graph.message(2, library)
}

/// SavedModel { schema 1, MetaGraphDef { tags serve, TF 2.15.0, graph, serving_default(x -> y) } }
fn saved_model(graph: Message) -> Vec<u8> {
    let info = Message::new().bytes(4, "serve").bytes(5, "2.15.0");
    let tensor_info = |key: &str| {
        Message::new()
            .bytes(1, key)
            .message(2, Message::new().bytes(1, "t:0"))
    };
    let signature = Message::new()
        .message(1, tensor_info("x"))
        .message(2, tensor_info("y"));
    let entry = Message::new()
        .bytes(1, "serving_default")
        .message(2, signature);
    let meta = Message::new()
        .message(1, info)
        .message(2, graph)
        .message(5, entry);
    Message::new().varint(1, 1).message(2, meta).into_bytes()
}

fn scan(name: &str, bytes: &[u8]) -> ScanOutput {
    scan_source(|| Cursor::new(bytes), bytes.len() as u64, name).expect("scanned")
}

fn not_passed(out: &ScanOutput) -> Vec<(&str, &str)> {
    out.checks
        .iter()
        .filter(|c| c.status != Status::Passed)
        .map(|c| (c.rule.as_str(), c.message.as_str()))
        .collect()
}

fn meta<'a>(out: &'a ScanOutput, key: &str) -> &'a str {
    &out.metadata.iter().find(|(k, _)| k == key).expect(key).1
}

fn benign_graph() -> Message {
    let body = vec![
        node("x", "Placeholder", &[]),
        node("Identity", "Identity", &["x"]),
    ];
    with_library(
        graph(vec![
            node("x", "Placeholder", &[]),
            node("w", "Const", &[]),
            node("y", "MatMul", &["x", "w"]),
            node("saver_filename", "Placeholder", &[]),
            node(
                "save/SaveV2",
                "SaveV2",
                &["saver_filename", "names", "slices", "w"],
            ),
            const_string("save/Const", "model"),
            node(
                "save/RestoreV2",
                "RestoreV2",
                &["save/Const:0", "names", "slices"],
            ),
        ]),
        vec![function("__inference_call_7", body)],
    )
}

#[test]
fn corpus_pyfunc_is_critical_and_const_graph_passes() {
    let out = scan("malicious_pyfunc/saved_model.pb", CORPUS_MALICIOUS);
    assert_eq!(
        not_passed(&out),
        vec![(
            rules::CODE_EXEC_OP,
            "node meta_graphs[0]/bad is a PyFunc operation: running the graph calls Python code"
        )]
    );
    assert_eq!(meta(&out, "op-types"), "Const:1,PyFunc:1");
    let out = scan("safe_savedmodel/saved_model.pb", CORPUS_BENIGN);
    assert_eq!(not_passed(&out), Vec::<(&str, &str)>::new());
    assert_eq!(meta(&out, "node-count"), "1");
}

#[test]
fn benign_saved_model_passes_every_rule_with_its_metadata() {
    let out = scan("saved_model.pb", &saved_model(benign_graph()));
    assert_eq!(not_passed(&out), Vec::<(&str, &str)>::new());
    let recorded: Vec<&str> = out.checks.iter().map(|c| c.rule.as_str()).collect();
    assert_eq!(
        recorded,
        vec![
            rules::STRUCTURE,
            rules::CODE_EXEC_OP,
            rules::FILE_ACCESS_OP,
            rules::CHECKPOINT_PATH
        ]
    );
    assert!(out.checks[3].message.starts_with("2 checkpoint operations"));
    assert_eq!(meta(&out, "format"), "tensorflow-savedmodel");
    assert_eq!(meta(&out, "saved-model-schema-version"), "1");
    assert_eq!(meta(&out, "meta-graphs"), "1");
    assert_eq!(meta(&out, "tags"), "serve");
    assert_eq!(meta(&out, "tensorflow-version"), "2.15.0");
    assert_eq!(meta(&out, "signatures"), "serving_default(x -> y)");
    assert_eq!(meta(&out, "node-count"), "9");
    assert_eq!(meta(&out, "function-count"), "1");
    assert_eq!(
        meta(&out, "op-types"),
        "Placeholder:3,Const:2,Identity:1,MatMul:1,RestoreV2:1,SaveV2:1"
    );
}

#[test]
fn python_calls_in_the_function_library_are_found() {
    let token = attr("token", Message::new().bytes(2, "pyfunc_0"));
    let body = vec![
        node("x", "Placeholder", &[]),
        node("call", "EagerPyFunc", &["x"]).message(5, token),
    ];
    let g = with_library(graph(vec![]), vec![function("f", body)]);
    let out = scan("model.pb", &saved_model(g));
    let found: Vec<_> = out
        .checks
        .iter()
        .filter(|c| c.status == Status::Failed)
        .collect();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].rule, rules::CODE_EXEC_OP);
    assert_eq!(
        found[0].location.as_ref().unwrap().locator.as_deref(),
        Some("meta_graphs[0]/function f/call")
    );
    assert!(
        found[0]
            .evidence
            .contains(&("token".into(), "pyfunc_0".into()))
    );
}

#[test]
fn file_operations_are_flagged_with_their_constant_paths() {
    let region = attr("memory_region_name", Message::new().bytes(2, "/dev/mem"));
    let g = graph(vec![
        node("read", "ReadFile", &["target"]),
        const_string("target", "/etc/passwd"),
        node("list", "MatchingFiles", &["pattern"]),
        node("map", "ImmutableConst", &[]).message(5, region),
    ]);
    let body = vec![
        const_string("path", "out.txt"),
        node("write", "WriteFile", &["path:output:0", "contents"]),
    ];
    let out = scan(
        "frozen.pb",
        &with_library(g, vec![function("dump", body)]).into_bytes(),
    );
    let flagged: Vec<_> = out
        .checks
        .iter()
        .filter(|c| c.status == Status::Failed)
        .collect();
    assert!(flagged.iter().all(|c| c.rule == rules::FILE_ACCESS_OP));
    let paths: Vec<Vec<&str>> = flagged
        .iter()
        .map(|c| {
            c.evidence
                .iter()
                .filter(|(k, _)| k == "path")
                .map(|(_, v)| v.as_str())
                .collect()
        })
        .collect();
    assert_eq!(
        paths,
        // The library's functions are judged before the graph holding them.
        vec![
            vec!["out.txt"],
            vec!["/etc/passwd"],
            vec![],
            vec!["/dev/mem"]
        ]
    );
    assert_eq!(meta(&out, "format"), "tensorflow-graphdef");
}

#[test]
fn checkpoint_operations_on_escaping_constant_paths_are_flagged() {
    let cases = [
        ("SaveV2", "../../../home/user/.bashrc", Some("climbs out")),
        ("Save", "/etc/cron.d/job", Some("absolute")),
        ("RestoreV2", "gs://attacker/bucket", Some("URL")),
        ("RestoreV2", "C:\\Users\\me", Some("drive letter")),
        ("SaveV2", "variables/variables", None),
    ];
    for (op, path, problem) in cases {
        let g = graph(vec![
            node("save", op, &["^init", "prefix:0"]),
            const_string("prefix", path),
        ]);
        // Control inputs (`^name`) are not data inputs: the path is the first one after it.
        let out = scan("saved_model.pb", &saved_model(g.clone()));
        let found = not_passed(&out);
        match problem {
            None => assert_eq!(found, Vec::<(&str, &str)>::new(), "{path}"),
            Some(problem) => {
                assert_eq!(found.len(), 1, "{path}: {found:?}");
                assert_eq!(found[0].0, rules::CHECKPOINT_PATH);
                assert!(found[0].1.contains(problem), "{path}: {}", found[0].1);
            }
        }
    }
    let merge = graph(vec![
        const_string("src", "tmp"),
        const_string("dst", "/var/www/model"),
        node("merge", "MergeV2Checkpoints", &["src", "dst"]),
    ]);
    let out = scan("saved_model.pb", &saved_model(merge));
    let found: Vec<_> = not_passed(&out).into_iter().map(|(r, _)| r).collect();
    assert_eq!(found, vec![rules::CHECKPOINT_PATH]);
}

fn keras_metadata(objects: &[(&str, &str, &str)]) -> Vec<u8> {
    objects
        .iter()
        .fold(Message::new(), |m, (path, identifier, json)| {
            let object = Message::new()
                .varint(2, 1)
                .bytes(3, path)
                .bytes(4, identifier)
                .bytes(5, json);
            m.message(1, object)
        })
        .into_bytes()
}

#[test]
fn keras_lambda_layers_are_high() {
    let lambda = r#"{"class_name": "Lambda", "config": {"name": "lambda", "function": {"class_name": "__lambda__", "config": {"code": "4wEAAAAA"}}}}"#;
    let dense = r#"{"class_name":"Dense","config":{"units":4,"bias":NaN}}"#;
    let bytes = keras_metadata(&[
        ("root", "_tf_keras_sequential", dense),
        ("root.layer-1", "_tf_keras_layer", lambda),
    ]);
    let out = scan("model/keras_metadata.pb", &bytes);
    let found = not_passed(&out);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, rules::KERAS_LAMBDA);
    assert_eq!(
        out.checks[1].location.as_ref().unwrap().locator.as_deref(),
        Some("root.layer-1")
    );
    assert_eq!(meta(&out, "keras-objects"), "2");
    assert_eq!(meta(&out, "keras-lambda-layers"), "1");
    let clean = scan(
        "keras_metadata.pb",
        &keras_metadata(&[("root", "_tf_keras_model", dense)]),
    );
    assert_eq!(not_passed(&clean), Vec::<(&str, &str)>::new());
    assert_eq!(clean.checks.len(), 2, "structure and lambda rules only");
}

#[test]
fn lambda_search_decodes_escapes_and_ignores_lookalikes() {
    assert_eq!(keras::lambda_layers(br#"{"class_name":"Lambda"}"#), 1);
    assert_eq!(keras::lambda_layers(b"{\"class_name\" :\n \"Lambda\"}"), 1);
    assert_eq!(keras::lambda_layers(br#"{"class_name": "\u004cambda"}"#), 1);
    assert_eq!(keras::lambda_layers(br#"{"class\u005fname": "Lambda"}"#), 1);
    assert_eq!(
        keras::lambda_layers(br#"{"name": "Lambda", "class_name": "Dense"}"#),
        0
    );
    assert_eq!(
        keras::lambda_layers(br#"{"class_name": "LambdaLayerLike"}"#),
        0
    );
    assert_eq!(keras::lambda_layers(br#"{"class_name": ["Lambda"]}"#), 0);
    assert_eq!(keras::lambda_layers(br#"{"class_name": "Lamb"#), 0);
    assert_eq!(keras::lambda_layers(br#""\"#), 0);
}

#[test]
fn meta_graphs_and_frozen_graphs_are_recognised_by_shape() {
    let g = graph(vec![node("bad", "PyFuncStateless", &[])]);
    let meta_graph = Message::new()
        .message(1, Message::new().bytes(4, "train"))
        .message(2, g.clone())
        .into_bytes();
    let out = scan("model.ckpt.meta", &meta_graph);
    assert_eq!(meta(&out, "format"), "tensorflow-metagraph");
    assert_eq!(not_passed(&out)[0].0, rules::CODE_EXEC_OP);
    let out = scan("frozen_graph.pb", &g.into_bytes());
    assert_eq!(meta(&out, "format"), "tensorflow-graphdef");
    assert_eq!(not_passed(&out)[0].0, rules::CODE_EXEC_OP);
}

#[test]
fn other_protobufs_named_pb_are_declined() {
    let onnx_model = Message::new()
        .varint(1, 8)
        .bytes(2, "pytorch")
        .message(7, Message::new())
        .into_bytes();
    let onnx_test_tensor = Message::new()
        .varint(1, 3)
        .varint(2, 1)
        .bytes(9, [0u8; 12])
        .into_bytes();
    let fingerprint = Message::new()
        .varint(1, 1234)
        .varint(2, 5678)
        .message(6, Message::new().varint(1, 1))
        .into_bytes();
    for (name, bytes) in [
        ("model.pb", onnx_model),
        ("test_data_set_0/input_0.pb", onnx_test_tensor),
        ("fingerprint.pb", fingerprint),
        ("empty.pb", Vec::new()),
        ("notes.meta", b"plain text".to_vec()),
    ] {
        match scan_source(|| Cursor::new(&bytes[..]), bytes.len() as u64, name) {
            Err(ScanError::Unsupported(_)) => {}
            other => panic!("{name}: {:?}", other.map(|o| o.checks)),
        }
    }
}

#[test]
fn a_damaged_saved_model_keeps_earlier_findings_and_marks_the_rest() {
    let g = graph(vec![
        node("read", "ReadFile", &["p"]),
        const_string("p", "/etc/shadow"),
    ]);
    // A group (field 5, wire type 3) in the MetaGraphDef, after the graph.
    let meta_graph = Message::new().message(2, g).raw(&[0x2b]);
    let bytes = Message::new().message(2, meta_graph).into_bytes();
    let out = scan("saved_model.pb", &bytes);
    let statuses: Vec<_> = out
        .checks
        .iter()
        .map(|c| (c.rule.as_str(), c.status))
        .collect();
    assert_eq!(
        statuses,
        vec![
            (rules::STRUCTURE, Status::Failed),
            (rules::CODE_EXEC_OP, Status::Error),
            (rules::FILE_ACCESS_OP, Status::Failed),
            (rules::CHECKPOINT_PATH, Status::Error),
        ]
    );
    assert!(out.checks[2].message.contains("/etc/shadow"));
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
fn constant_tensor_contents_are_skipped_not_read() {
    let weights = Message::new().varint(1, 1).bytes(4, vec![0u8; 32 << 20]);
    let g = graph(vec![
        node("w", "Const", &[]).message(5, attr("value", Message::new().message(8, weights))),
        node("bad", "PyFunc", &[]),
    ]);
    let bytes = g.into_bytes();
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
    let out = scan_source(open, bytes.len() as u64, "frozen.pb").unwrap();
    assert_eq!(not_passed(&out)[0].0, rules::CODE_EXEC_OP);
    assert!(read.get() < 1 << 20, "read {} bytes", read.get());
}

#[test]
fn rule_ids_are_unique_and_prefixed() {
    let ids: Vec<String> = rules::catalog().into_iter().map(|r| r.id).collect();
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), ids.len());
    assert!(ids.iter().all(|id| id.starts_with("tensorflow-")));
}

#[test]
fn mutated_files_never_panic() {
    let valid = saved_model(benign_graph());
    let keras = keras_metadata(&[("root", "_tf_keras_layer", r#"{"class_name": "Lambda"}"#)]);
    // xorshift64: deterministic mutations without a dependency.
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for round in 0..5_000 {
        let (name, mut bytes) = match round % 3 {
            0 => ("saved_model.pb", valid.clone()),
            1 => ("frozen.pb", valid.clone()),
            _ => ("keras_metadata.pb", keras.clone()),
        };
        for _ in 0..=next() % 6 {
            let at = next() as usize % bytes.len();
            bytes[at] = next() as u8;
        }
        bytes.truncate(next() as usize % (bytes.len() + 1));
        match scan_source(|| Cursor::new(&bytes[..]), bytes.len() as u64, name) {
            Ok(out) => assert!(!out.checks.is_empty()),
            Err(ScanError::Unsupported(_)) => {}
            Err(e) => panic!("{e:?} on {bytes:02x?}"),
        }
    }
}
