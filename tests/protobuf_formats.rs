//! Protobuf model formats through the `cordon` binary: ONNX and TensorFlow files
//! built byte by byte reach their plugins (by extension, by name, by sniffing) and
//! their findings set the exit code.

mod support;

use support::{Fixture, checks, file};

/// A protobuf message under construction, one field per call.
#[derive(Clone, Default)]
struct Msg(Vec<u8>);

impl Msg {
    fn varint(mut self, field: u32, value: u64) -> Self {
        put_varint(&mut self.0, u64::from(field) << 3);
        put_varint(&mut self.0, value);
        self
    }

    fn bytes(mut self, field: u32, payload: impl AsRef<[u8]>) -> Self {
        let payload = payload.as_ref();
        put_varint(&mut self.0, u64::from(field) << 3 | 2);
        put_varint(&mut self.0, payload.len() as u64);
        self.0.extend_from_slice(payload);
        self
    }

    fn msg(self, field: u32, message: Msg) -> Self {
        self.bytes(field, message.0)
    }
}

fn put_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push(value as u8 | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// An ONNX model (IR 8, opset 17) whose graph has one Relu node and the initializer `w`.
fn onnx(initializer: Msg) -> Vec<u8> {
    let relu = Msg::default()
        .bytes(1, "x")
        .bytes(2, "y")
        .bytes(3, "relu")
        .bytes(4, "Relu");
    let graph = Msg::default()
        .msg(1, relu)
        .bytes(2, "g")
        .msg(5, initializer);
    Msg::default()
        .varint(1, 8)
        .bytes(2, "cordon-test")
        .msg(7, graph)
        .msg(8, Msg::default().varint(2, 17))
        .0
}

/// A float32 [4] tensor whose data lives in the external file `location`.
fn external_tensor(location: &str) -> Msg {
    let entry = Msg::default().bytes(1, "location").bytes(2, location);
    Msg::default()
        .varint(1, 4)
        .varint(2, 1)
        .bytes(8, "w")
        .msg(13, entry)
        .varint(14, 1)
}

/// A SavedModel whose graph has a constant and a node of operation `op`.
fn saved_model(op: &str) -> Vec<u8> {
    let node = |name: &str, op: &str| Msg::default().bytes(1, name).bytes(2, op);
    let graph = Msg::default()
        .msg(1, node("c", "Const"))
        .msg(1, node("n", op));
    let meta_graph = Msg::default()
        .msg(1, Msg::default().bytes(4, "serve"))
        .msg(2, graph);
    Msg::default().varint(1, 1).msg(2, meta_graph).0
}

fn check<'a>(report: &'a serde_json::Value, name: &str, rule: &str) -> &'a serde_json::Value {
    checks(report, name)
        .into_iter()
        .find(|c| c["rule"] == rule)
        .unwrap_or_else(|| panic!("no {rule} check for {name}"))
}

fn metadata<'a>(report: &'a serde_json::Value, name: &str, key: &str) -> &'a str {
    file(report, name)["metadata"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["key"] == key)
        .unwrap_or_else(|| panic!("no {key} metadata for {name}"))["value"]
        .as_str()
        .unwrap()
}

#[test]
fn onnx_external_data_escaping_the_model_directory_is_critical() {
    let f = Fixture::new();
    f.write("model.onnx", onnx(external_tensor("../../etc/passwd")));
    let run = f.run(&["scan", "--format", "json", "model.onnx"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report = run.json();
    let finding = check(&report, "model.onnx", "onnx-external-data-path");
    assert_eq!(finding["status"], "failed");
    assert_eq!(finding["severity"], "critical");
    assert_eq!(finding["location"]["locator"], "graph/w");
    assert!(
        finding["message"]
            .as_str()
            .unwrap()
            .contains("../../etc/passwd"),
        "{finding}"
    );
    assert_eq!(file(&report, "model.onnx")["formats"][0], "onnx");
}

#[test]
fn tensorflow_graph_calling_python_is_critical() {
    let f = Fixture::new();
    f.write("evil/saved_model.pb", saved_model("PyFunc"));
    let run = f.run(&["scan", "--format", "json", "evil"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report = run.json();
    let finding = check(&report, "saved_model.pb", "tensorflow-code-exec-op");
    assert_eq!(finding["status"], "failed");
    assert_eq!(finding["severity"], "critical");
    assert_eq!(finding["location"]["locator"], "meta_graphs[0]/n");
    assert_eq!(metadata(&report, "saved_model.pb", "tags"), "serve");
}

#[test]
fn clean_models_pass_with_every_check_recorded() {
    let f = Fixture::new();
    let weights = Msg::default()
        .varint(1, 4)
        .varint(2, 1)
        .bytes(8, "w")
        .bytes(9, [0u8; 16]);
    f.write("models/clean.onnx", onnx(weights));
    f.write("models/export/saved_model.pb", saved_model("MatMul"));
    let run = f.run(&["scan", "--format", "json", "models"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let report = run.json();
    for (name, rules) in [("clean.onnx", 6), ("saved_model.pb", 4)] {
        let recorded = checks(&report, name);
        assert_eq!(recorded.len(), rules, "{name}: {recorded:#?}");
        assert!(recorded.iter().all(|c| c["status"] == "passed"), "{name}");
    }
    assert_eq!(metadata(&report, "clean.onnx", "parameter-count"), "4");
    assert_eq!(metadata(&report, "clean.onnx", "op-types"), "Relu:1");
    assert_eq!(
        metadata(&report, "saved_model.pb", "op-types"),
        "Const:1,MatMul:1"
    );
    let schema: serde_json::Value =
        serde_json::from_str(include_str!("../schema/report.schema.json")).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    assert!(validator.is_valid(&report));
}

#[test]
fn onnx_without_its_extension_is_found_by_sniffing() {
    let f = Fixture::new();
    let bytes = onnx(external_tensor("/etc/shadow"));
    // Nothing claims `.data`; `.pb` is TensorFlow's, which declines an ONNX model.
    f.write("weights.data", &bytes);
    f.write("exported.pb", &bytes);
    let report = f.run(&["scan", "--format", "json", "."]).json();
    for name in ["weights.data", "exported.pb"] {
        assert_eq!(file(&report, name)["formats"], serde_json::json!(["onnx"]));
        let finding = check(&report, name, "onnx-external-data-path");
        assert_eq!(finding["status"], "failed", "{name}");
    }
}
