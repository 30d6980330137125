//! Keras models through the `cordon` binary: legacy HDF5 files built byte by
//! byte, a `.keras` archive whose config.json reaches the keras plugin through
//! the zip plugin, and the labelled corpus files (parsed only, never loaded).

mod support;

use std::path::PathBuf;

use support::{Fixture, checks, file};

const SEQUENTIAL: &str = r#"{"class_name": "Sequential", "config": {"name": "clean", "layers": [{"class_name": "Dense", "config": {"name": "dense", "units": 2}}]}}"#;
const LAMBDA: &str = r#"{"class_name": "Sequential", "config": {"name": "evil", "layers": [{"class_name": "Lambda", "config": {"name": "l", "function": "lambda x: __import__('os').system('id')"}}]}}"#;

/// Attribute message v1 holding a scalar fixed-length string.
fn string_attribute(name: &str, value: &str) -> Vec<u8> {
    let padded = |mut b: Vec<u8>| {
        b.resize(b.len().div_ceil(8) * 8, 0);
        b
    };
    let mut datatype = vec![0x13, 0, 0, 0];
    datatype.extend((value.len() as u32).to_le_bytes());
    let dataspace = vec![1, 0, 0, 0, 0, 0, 0, 0];
    let mut out = vec![1, 0];
    out.extend((name.len() as u16 + 1).to_le_bytes());
    out.extend(8u16.to_le_bytes());
    out.extend(8u16.to_le_bytes());
    out.extend(padded([name.as_bytes(), b"\0"].concat()));
    out.extend(datatype);
    out.extend(dataspace);
    out.extend(value.as_bytes());
    padded(out)
}

/// A legacy Keras HDF5 file: superblock v0, then the root group's object header
/// (v1) carrying model_config and keras_version attributes.
fn keras_h5(model_config: &str) -> Vec<u8> {
    let attributes = [
        string_attribute("model_config", model_config),
        string_attribute("keras_version", "2.15.0"),
    ];
    let mut messages = Vec::new();
    for attr in &attributes {
        messages.extend(0x0Cu16.to_le_bytes());
        messages.extend((attr.len() as u16).to_le_bytes());
        messages.extend([0; 4]);
        messages.extend(attr);
    }
    let root = 96u64;
    let eof = root + 16 + messages.len() as u64;
    let mut out = b"\x89HDF\r\n\x1a\n".to_vec();
    out.extend([0, 0, 0, 0, 0, 8, 8, 0, 4, 0, 16, 0, 0, 0, 0, 0]);
    for addr in [0, u64::MAX, eof, u64::MAX, 0, root] {
        out.extend(addr.to_le_bytes());
    }
    out.extend([0u8; 24]); // cache type 0, reserved, scratch pad
    out.extend([1, 0]);
    out.extend((attributes.len() as u16).to_le_bytes());
    out.extend(1u32.to_le_bytes());
    out.extend((messages.len() as u32).to_le_bytes());
    out.extend([0; 4]);
    out.extend(messages);
    out
}

/// A zip of stored members, as Keras writes `.keras` archives.
fn stored_zip(members: &[(&str, &[u8])]) -> Vec<u8> {
    let (mut out, mut central) = (Vec::new(), Vec::new());
    for (name, data) in members {
        let mut crc = flate2::Crc::new();
        crc.update(data);
        let offset = out.len() as u32;
        let fields = |sig: &[u8], buf: &mut Vec<u8>| {
            buf.extend(sig);
            buf.extend(20u16.to_le_bytes());
            if sig == b"PK\x01\x02" {
                buf.extend(20u16.to_le_bytes());
            }
            buf.extend([0; 8]); // flags, method (stored), time, date
            buf.extend(crc.sum().to_le_bytes());
            buf.extend((data.len() as u32).to_le_bytes());
            buf.extend((data.len() as u32).to_le_bytes());
            buf.extend((name.len() as u16).to_le_bytes());
            buf.extend([0; 2]);
        };
        fields(b"PK\x03\x04", &mut out);
        out.extend(name.as_bytes());
        out.extend(*data);
        fields(b"PK\x01\x02", &mut central);
        central.extend([0; 10]);
        central.extend(offset.to_le_bytes());
        central.extend(name.as_bytes());
    }
    let cd_offset = out.len() as u32;
    let count = (members.len() as u16).to_le_bytes();
    out.extend(&central);
    out.extend(b"PK\x05\x06\0\0\0\0");
    out.extend(count);
    out.extend(count);
    out.extend((central.len() as u32).to_le_bytes());
    out.extend(cd_offset.to_le_bytes());
    out.extend([0; 2]);
    out
}

fn keras_checks<'a>(report: &'a serde_json::Value, name: &str) -> Vec<&'a serde_json::Value> {
    checks(report, name)
        .into_iter()
        .filter(|c| c["plugin"] == "keras")
        .collect()
}

fn failed_rules(report: &serde_json::Value, name: &str) -> Vec<(String, String)> {
    keras_checks(report, name)
        .into_iter()
        .filter(|c| c["status"] == "failed")
        .map(|c| {
            (
                c["rule"].as_str().unwrap().to_owned(),
                c["severity"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn meta<'a>(report: &'a serde_json::Value, name: &str, key: &str) -> Option<&'a str> {
    file(report, name)["metadata"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["plugin"] == "keras" && m["key"] == key)
        .and_then(|m| m["value"].as_str())
}

#[test]
fn keras_h5_lambda_is_critical_and_clean_model_passes() {
    let f = Fixture::new();
    f.write("clean.h5", keras_h5(SEQUENTIAL));
    f.write("evil.h5", keras_h5(LAMBDA));
    let run = f.run(&["scan", "--format", "json", "."]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report = run.json();

    let clean = keras_checks(&report, "clean.h5");
    assert!(clean.len() >= 6);
    assert!(clean.iter().all(|c| c["status"] == "passed"), "{clean:#?}");
    assert_eq!(meta(&report, "clean.h5", "keras-version"), Some("2.15.0"));
    assert_eq!(meta(&report, "clean.h5", "layer-types"), Some("Dense:1"));
    assert!(
        file(&report, "clean.h5")["formats"]
            .as_array()
            .unwrap()
            .contains(&"keras-h5".into())
    );

    assert_eq!(
        failed_rules(&report, "evil.h5"),
        [("keras-lambda-code".to_owned(), "critical".to_owned())]
    );
    let clean_only = f.run(&["scan", "clean.h5"]);
    assert_eq!(clean_only.code, 0, "{}", clean_only.stdout);
}

#[test]
fn keras_v3_archive_members_reach_the_plugin() {
    let f = Fixture::new();
    let config = r#"{"module": "keras", "class_name": "Functional", "config": {"name": "m", "layers": [{"module": "os", "class_name": "system", "config": {}}]}}"#;
    let metadata = br#"{"keras_version": "3.8.0", "date_saved": "2025-03-01@12:00:00"}"#;
    f.write(
        "model.keras",
        stored_zip(&[
            ("metadata.json", metadata),
            ("config.json", config.as_bytes()),
            ("model.weights.h5", &keras_h5(SEQUENTIAL)),
        ]),
    );
    let report = f.run(&["scan", "--format", "json", "model.keras"]).json();
    let failed: Vec<_> = keras_checks(&report, "model.keras")
        .into_iter()
        .filter(|c| c["status"] == "failed")
        .map(|c| {
            (
                c["rule"].as_str().unwrap(),
                c["location"]["member"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(failed, [("keras-dangerous-module", "config.json")]);
    let versions: Vec<_> = file(&report, "model.keras")["metadata"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["key"] == "keras-version")
        .map(|m| m["value"].as_str().unwrap())
        .collect();
    assert!(versions.contains(&"3.8.0"), "{versions:?}");
}

#[test]
fn other_json_is_declined() {
    let f = Fixture::new();
    f.write("tokenizer_config.json", r#"{"model_max_length": 512}"#);
    let report = f.run(&["scan", "--format", "json", "."]).json();
    let runs = file(&report, "tokenizer_config.json")["plugin_runs"]
        .as_array()
        .unwrap();
    let keras = runs
        .iter()
        .find(|r| r["plugin"] == "keras")
        .expect("keras was offered the file");
    assert_eq!(keras["outcome"], "unsupported");
    assert!(keras_checks(&report, "tokenizer_config.json").is_empty());
}

fn corpus_dir() -> Option<PathBuf> {
    [
        std::env::var_os("CORDON_CORPUS").map(PathBuf::from),
        Some(PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../shared/corpus"
        ))),
    ]
    .into_iter()
    .flatten()
    .find(|p| p.join("INDEX.tsv").is_file())
}

#[test]
fn corpus_keras_h5_files() {
    let Some(dir) = corpus_dir() else {
        eprintln!("SKIPPED: no corpus (set CORDON_CORPUS or place it at ../shared/corpus)");
        return;
    };
    let samples = dir.join("modelaudit/tests/assets/samples/keras");
    let f = Fixture::new();
    let malicious = samples.join("malicious_lambda.h5").display().to_string();
    let safe = samples.join("safe_model.h5").display().to_string();
    let report = f
        .run(&["scan", "--format", "json", &malicious, &safe])
        .json();

    let lambda: Vec<_> = keras_checks(&report, "malicious_lambda.h5")
        .into_iter()
        .filter(|c| c["status"] == "failed")
        .collect();
    assert_eq!(lambda.len(), 1, "{lambda:#?}");
    assert_eq!(lambda[0]["rule"], "keras-lambda-code");
    assert_eq!(lambda[0]["severity"], "critical");
    assert_eq!(lambda[0]["evidence"]["dangerous"], "eval");

    let safe_checks = keras_checks(&report, "safe_model.h5");
    assert!(
        safe_checks.iter().all(|c| c["status"] == "passed"),
        "{safe_checks:#?}"
    );
    assert_eq!(
        meta(&report, "safe_model.h5", "model-class"),
        Some("Sequential")
    );
}
