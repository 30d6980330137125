//! Long-tail formats through the `cordon` binary: TFLite flatbuffers, Flax
//! msgpack checkpoints, Orbax checkpoint metadata and PMML documents.

mod support;

use support::{Fixture, checks, file};

/// A TFLite model with one operator code: `custom` names a CUSTOM op, `None` is builtin ADD.
/// Laid out by hand: root table, operator_codes vector, one OperatorCode table, its string.
fn tflite(custom: Option<&str>) -> Vec<u8> {
    let name = custom.unwrap_or("");
    let mut b = Vec::new();
    b.extend_from_slice(&16u32.to_le_bytes()); // root table at 16
    b.extend_from_slice(b"TFL3");
    // Model vtable at 8: fields 0 (version) at +4 and 1 (operator_codes) at +8.
    for v in [8u16, 12, 4, 8] {
        b.extend_from_slice(&v.to_le_bytes());
    }
    b.extend_from_slice(&8i32.to_le_bytes()); // 16: vtable is 8 bytes back
    b.extend_from_slice(&3u32.to_le_bytes()); // 20: version 3
    b.extend_from_slice(&4u32.to_le_bytes()); // 24: vector at 28
    b.extend_from_slice(&1u32.to_le_bytes()); // 28: one element
    b.extend_from_slice(&16u32.to_le_bytes()); // 32: table at 48
    // OperatorCode vtable at 36: field 1 (custom_code) at +4 when custom, field 3 (builtin_code) at +8.
    let custom_slot = if custom.is_some() { 4u16 } else { 0 };
    for v in [12u16, 12, 0, custom_slot, 0, 8] {
        b.extend_from_slice(&v.to_le_bytes());
    }
    b.extend_from_slice(&12i32.to_le_bytes()); // 48: vtable is 12 bytes back
    b.extend_from_slice(&8u32.to_le_bytes()); // 52: string at 60
    b.extend_from_slice(&(if custom.is_some() { 32i32 } else { 0 }).to_le_bytes()); // 56
    b.extend_from_slice(&(name.len() as u32).to_le_bytes()); // 60
    b.extend_from_slice(name.as_bytes());
    b.push(0);
    b
}

/// A protocol 2 pickle calling `os.system("id")`.
const PICKLE: &[u8] = b"\x80\x02cos\nsystem\nq\x00X\x02\x00\x00\x00idq\x01\x85q\x02Rq\x03.";

/// A msgpack map of `entries` (string keys, raw encoded values).
fn msgpack(entries: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut b = vec![0x80 | entries.len() as u8];
    for (k, v) in entries {
        b.push(0xa0 | k.len() as u8);
        b.extend_from_slice(k.as_bytes());
        b.extend_from_slice(v);
    }
    b
}

fn bin(data: &[u8]) -> Vec<u8> {
    let mut b = vec![0xc4, data.len() as u8];
    b.extend_from_slice(data);
    b
}

/// A Flax ndarray ext of `n` float32 zeros.
fn ndarray(n: u8) -> Vec<u8> {
    let mut payload = vec![0x93, 0x91, n, 0xa7];
    payload.extend_from_slice(b"float32");
    payload.extend_from_slice(&bin(&vec![0; 4 * n as usize]));
    let mut b = vec![0xc7, payload.len() as u8, 1];
    b.extend_from_slice(&payload);
    b
}

fn scan(f: &Fixture, path: &str) -> (i32, serde_json::Value) {
    let run = f.run(&["scan", "--format", "json", path]);
    assert!(run.code != 2, "scan error: {}", run.stderr);
    (run.code, run.json())
}

/// Failed checks of `rule`, at any member of the file.
fn failed<'a>(report: &'a serde_json::Value, name: &str, rule: &str) -> Vec<&'a serde_json::Value> {
    checks(report, name)
        .into_iter()
        .filter(|c| c["rule"] == rule && c["status"] == "failed")
        .collect()
}

fn no_failures(report: &serde_json::Value, name: &str) {
    let bad: Vec<_> = checks(report, name)
        .into_iter()
        .filter(|c| c["status"] == "failed" || c["status"] == "error")
        .collect();
    assert!(bad.is_empty(), "{bad:#?}");
}

fn meta<'a>(report: &'a serde_json::Value, name: &str, key: &str) -> Option<&'a str> {
    file(report, name)["metadata"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["key"] == key)
        .and_then(|m| m["value"].as_str())
}

#[test]
fn tflite_with_a_python_flex_op_is_critical() {
    let f = Fixture::new();
    f.write("evil.tflite", tflite(Some("FlexPyFunc")));
    f.write("add.tflite", tflite(None));
    let (code, report) = scan(&f, "evil.tflite");
    assert_eq!(code, 1);
    let hits = failed(&report, "evil.tflite", "tflite-flex-op");
    assert_eq!(hits.len(), 1, "{report:#}");
    assert_eq!(hits[0]["severity"], "critical");
    assert_eq!(meta(&report, "evil.tflite", "flex-ops"), Some("FlexPyFunc"));

    let (code, report) = scan(&f, "add.tflite");
    assert_eq!(code, 0, "{report:#}");
    no_failures(&report, "add.tflite");
    assert_eq!(meta(&report, "add.tflite", "version"), Some("3"));
}

#[test]
fn pmml_with_an_entity_fails_and_plain_pmml_passes() {
    let f = Fixture::new();
    f.write(
        "xxe.pmml",
        "<?xml version=\"1.0\"?>\n<!DOCTYPE PMML [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>\n<PMML version=\"4.4\"><Header description=\"&x;\"/></PMML>\n",
    );
    // Sniffed: no .pmml extension.
    f.write("model.xml", "<?xml version=\"1.0\"?>\n<PMML version=\"4.4\"><Header><Application name=\"demo\" version=\"1\"/></Header><DataDictionary><DataField name=\"x\"/></DataDictionary><TreeModel/></PMML>\n");
    let (code, report) = scan(&f, "xxe.pmml");
    assert_eq!(code, 1);
    let hits = failed(&report, "xxe.pmml", "pmml-entity-declaration");
    assert_eq!(hits.len(), 1, "{report:#}");
    assert_eq!(hits[0]["severity"], "critical");
    assert_eq!(failed(&report, "xxe.pmml", "pmml-doctype").len(), 1);

    let (code, report) = scan(&f, "model.xml");
    assert_eq!(code, 0, "{report:#}");
    no_failures(&report, "model.xml");
    assert_eq!(meta(&report, "model.xml", "model-types"), Some("TreeModel"));
    assert_eq!(meta(&report, "model.xml", "application-name"), Some("demo"));
}

#[test]
fn flax_checkpoint_hands_its_pickle_to_the_pickle_plugin() {
    let f = Fixture::new();
    f.write(
        "clean.msgpack",
        msgpack(&[
            ("params", msgpack(&[("kernel", ndarray(4))])),
            ("step", vec![7]),
        ]),
    );
    f.write(
        "state.msgpack",
        msgpack(&[("params", ndarray(2)), ("opt_state", bin(PICKLE))]),
    );
    let (code, report) = scan(&f, "clean.msgpack");
    assert_eq!(code, 0, "{report:#}");
    no_failures(&report, "clean.msgpack");
    assert_eq!(meta(&report, "clean.msgpack", "parameter-count"), Some("4"));

    let (code, report) = scan(&f, "state.msgpack");
    assert_eq!(code, 1);
    assert_eq!(
        failed(&report, "state.msgpack", "msgpack-embedded-pickle").len(),
        1,
        "{report:#}"
    );
    let from_pickle: Vec<_> = checks(&report, "state.msgpack")
        .into_iter()
        .filter(|c| {
            c["plugin"] == "pickle"
                && c["status"] == "failed"
                && c["location"]["member"] == "opt_state"
        })
        .collect();
    assert!(
        !from_pickle.is_empty(),
        "pickle plugin did not flag the member: {report:#}"
    );
}

#[test]
fn orbax_metadata_with_a_hydra_target_on_os_is_critical() {
    let f = Fixture::new();
    f.write(
        "ckpt/1/_CHECKPOINT_METADATA",
        r#"{"item_handlers": {"default": "orbax.checkpoint.StandardCheckpointHandler"}, "custom_metadata": {"_target_": "os.system", "command": "id"}}"#,
    );
    f.write(
        "ckpt/0/_CHECKPOINT_METADATA",
        r#"{"item_handlers": {"default": "orbax.checkpoint.StandardCheckpointHandler"}, "metrics": {}}"#,
    );
    f.write(
        "ckpt/0/commit_success.txt",
        "Checkpoint commit was successful to ckpt/0",
    );
    f.write(
        "ckpt/0/default/w/.zarray",
        r#"{"chunks": [2], "compressor": {"id": "zstd"}, "dtype": "<f4", "fill_value": 0, "filters": null, "order": "C", "shape": [2], "zarr_format": 2}"#,
    );
    let (code, report) = scan(&f, "ckpt/1");
    assert_eq!(code, 1);
    let hits = failed(
        &report,
        "1/_CHECKPOINT_METADATA",
        "orbax-callable-reference",
    );
    assert_eq!(hits.len(), 1, "{report:#}");
    assert_eq!(hits[0]["severity"], "critical");

    let (code, report) = scan(&f, "ckpt/0");
    assert_eq!(code, 0, "{report:#}");
    for name in ["_CHECKPOINT_METADATA", "commit_success.txt", ".zarray"] {
        no_failures(&report, name);
        assert!(
            file(&report, name)["plugin_runs"]
                .as_array()
                .unwrap()
                .iter()
                .any(|r| r["plugin"] == "orbax" && r["outcome"] == "completed"),
            "{name}: {report:#}"
        );
    }
}

#[test]
fn sniffers_decline_ordinary_files() {
    let f = Fixture::new();
    f.write(
        "notes/README",
        "# Model card\n\nTrained with <PMML> export disabled.\n",
    );
    f.write("notes/blob.dat", [0x85u8, 0x01, 0x02, 0x03]);
    let (code, report) = scan(&f, "notes");
    assert_eq!(code, 0, "{report:#}");
    for name in ["README", "blob.dat"] {
        let runs = file(&report, name)["plugin_runs"].as_array().unwrap();
        for plugin in ["msgpack", "orbax", "pmml"] {
            let run = runs
                .iter()
                .find(|r| r["plugin"] == plugin)
                .unwrap_or_else(|| panic!("{plugin} not offered {name}"));
            assert_eq!(run["outcome"], "unsupported", "{plugin} on {name}");
        }
    }
}
