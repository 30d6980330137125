//! Long-tail formats, part B, through the `cordon` binary: executables as or
//! inside model files, skops schemas and TorchServe manifests.

mod support;

use support::{Fixture, checks, file};

/// A zip of stored entries, optionally after a `prefix` outside every entry.
fn zip(prefix: &[u8], entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut bytes = prefix.to_vec();
    let mut central = Vec::new();
    for (name, data) in entries {
        let mut crc = flate2::Crc::new();
        crc.update(data);
        let offset = bytes.len() as u32;
        let fields = |sig: &[u8], out: &mut Vec<u8>| {
            out.extend_from_slice(sig);
            out.extend_from_slice(&20u16.to_le_bytes());
            if sig == b"PK\x01\x02" {
                out.extend_from_slice(&20u16.to_le_bytes());
            }
            out.extend_from_slice(&[0; 8]);
            out.extend_from_slice(&crc.sum().to_le_bytes());
            out.extend_from_slice(&(data.len() as u32).to_le_bytes());
            out.extend_from_slice(&(data.len() as u32).to_le_bytes());
            out.extend_from_slice(&(name.len() as u16).to_le_bytes());
            out.extend_from_slice(&[0; 2]);
        };
        fields(b"PK\x03\x04", &mut bytes);
        bytes.extend_from_slice(name.as_bytes());
        bytes.extend_from_slice(data);
        fields(b"PK\x01\x02", &mut central);
        central.extend_from_slice(&[0; 10]);
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(name.as_bytes());
    }
    let cd_offset = bytes.len() as u32;
    let count = entries.len() as u16;
    bytes.extend_from_slice(&central);
    bytes.extend_from_slice(b"PK\x05\x06\0\0\0\0");
    bytes.extend_from_slice(&count.to_le_bytes());
    bytes.extend_from_slice(&count.to_le_bytes());
    bytes.extend_from_slice(&(central.len() as u32).to_le_bytes());
    bytes.extend_from_slice(&cd_offset.to_le_bytes());
    bytes.extend_from_slice(&[0; 2]);
    bytes
}

/// A 64-bit x86-64 ELF executable header and a little padding.
fn elf() -> Vec<u8> {
    let mut b = vec![0u8; 128];
    b[..4].copy_from_slice(b"\x7fELF");
    b[4..7].copy_from_slice(&[2, 1, 1]);
    b[16..18].copy_from_slice(&2u16.to_le_bytes());
    b[18..20].copy_from_slice(&62u16.to_le_bytes());
    b[20..24].copy_from_slice(&1u32.to_le_bytes());
    b[24..32].copy_from_slice(&0x401000u64.to_le_bytes());
    b
}

/// A NumPy array of two little-endian float32 zeros.
fn npy() -> Vec<u8> {
    let mut header = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }".to_string();
    while !(10 + header.len() + 1).is_multiple_of(64) {
        header.push(' ');
    }
    header.push('\n');
    let mut b = b"\x93NUMPY\x01\x00".to_vec();
    b.extend_from_slice(&(header.len() as u16).to_le_bytes());
    b.extend_from_slice(header.as_bytes());
    b.extend_from_slice(&[0; 8]);
    b
}

fn scan(f: &Fixture, path: &str) -> (i32, serde_json::Value) {
    let run = f.run(&["scan", "--format", "json", path]);
    (run.code, run.json())
}

fn failed<'a>(report: &'a serde_json::Value, name: &str, rule: &str) -> Vec<&'a serde_json::Value> {
    checks(report, name)
        .into_iter()
        .filter(|c| c["rule"] == rule && c["status"] == "failed")
        .collect()
}

fn meta<'a>(report: &'a serde_json::Value, name: &str, key: &str) -> Option<&'a str> {
    file(report, name)["metadata"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["key"] == key)
        .and_then(|m| m["value"].as_str())
}

fn node(module: &str, class: &str, loader: &str, rest: &str) -> String {
    format!(r#"{{"__class__":"{class}","__module__":"{module}","__loader__":"{loader}"{rest}}}"#)
}

/// A skops schema: a scikit-learn pipeline whose one step is `step`.
fn skops_schema(step: &str) -> Vec<u8> {
    let key = node("builtins", "str", "TypeNode", "");
    let dict = node(
        "builtins",
        "dict",
        "DictNode",
        &format!(r#","content":{{"steps":[{step}]}},"key_types":[{key}]"#),
    );
    let top = node(
        "sklearn.pipeline",
        "Pipeline",
        "ObjectNode",
        &format!(r#","content":{dict}"#),
    );
    top.replacen('{', r#"{"protocol":2,"_skops_version":"0.11.0","#, 1)
        .into_bytes()
}

#[test]
fn elf_inside_a_zip_is_flagged_at_its_member() {
    let f = Fixture::new();
    f.write(
        "x.zip",
        zip(b"", &[("README.md", b"# a model\n"), ("tool", &elf())]),
    );
    let (code, report) = scan(&f, "x.zip");
    assert_eq!(code, 1);
    let hits = failed(&report, "x.zip", "executable-native-binary");
    assert_eq!(hits.len(), 1, "{report:#}");
    assert_eq!(hits[0]["location"]["member"], "tool");
    let text = f.run(&["scan", "x.zip"]).stdout;
    assert!(
        text.contains("FINDINGS x.zip")
            && text.contains("executable-native-binary  ELF executable for x86-64 (in tool,"),
        "{text}"
    );
    assert_eq!(hits[0]["severity"], "high");
}

#[test]
fn executable_prepended_to_an_archive_is_a_critical_polyglot() {
    let f = Fixture::new();
    f.write("model.zip", zip(&elf(), &[("weights.npy", &npy())]));
    let (code, report) = scan(&f, "model.zip");
    assert_eq!(code, 1);
    let hits = failed(&report, "model.zip", "executable-polyglot");
    assert_eq!(hits.len(), 1, "{report:#}");
    assert_eq!(hits[0]["severity"], "critical");
}

#[test]
fn skops_schema_with_eval_is_critical() {
    let f = Fixture::new();
    let evil = node("builtins", "eval", "OperatorFuncNode", r#","attrs":[]"#);
    f.write(
        "evil.skops",
        zip(b"", &[("schema.json", &skops_schema(&evil))]),
    );
    let (code, report) = scan(&f, "evil.skops");
    assert_eq!(code, 1);
    let hits = failed(&report, "evil.skops", "skops-dangerous-callable");
    assert_eq!(hits.len(), 1, "{report:#}");
    assert_eq!(hits[0]["severity"], "critical");
    assert_eq!(hits[0]["location"]["member"], "schema.json");
}

#[test]
fn trusted_skops_pipeline_is_clean() {
    let f = Fixture::new();
    let tree = node(
        "sklearn.tree._classes",
        "DecisionTreeClassifier",
        "ObjectNode",
        "",
    );
    f.write(
        "ok.skops",
        zip(
            b"",
            &[("schema.json", &skops_schema(&tree)), ("abc.npy", &npy())],
        ),
    );
    let (code, report) = scan(&f, "ok.skops");
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(
        meta(&report, "ok.skops", "estimator-class"),
        Some("sklearn.pipeline.Pipeline")
    );
    let passed: Vec<_> = checks(&report, "ok.skops")
        .into_iter()
        .filter(|c| c["status"] == "passed")
        .map(|c| c["rule"].as_str().unwrap())
        .collect();
    for rule in [
        "skops-schema",
        "skops-untrusted-type",
        "skops-dangerous-callable",
    ] {
        assert!(passed.contains(&rule), "{rule}: {passed:?}");
    }
}

#[test]
fn torchserve_custom_handler_is_reported() {
    let f = Fixture::new();
    let manifest = br#"{"runtime":"python","model":{"modelName":"m","handler":"handler.py","serializedFile":"m.pt","requirementsFile":"requirements.txt"},"archiverVersion":"0.9.0"}"#;
    f.write(
        "m.mar",
        zip(
            b"",
            &[
                ("MAR-INF/MANIFEST.json", manifest),
                ("handler.py", b"def handle(data, ctx):\n    return data\n"),
            ],
        ),
    );
    let (code, report) = scan(&f, "m.mar");
    assert_eq!(code, 1);
    let hits = failed(&report, "m.mar", "torchserve-custom-code");
    assert_eq!(hits.len(), 1, "{report:#}");
    assert_eq!(hits[0]["severity"], "medium");
    assert_eq!(failed(&report, "m.mar", "torchserve-requirements").len(), 1);
    assert_eq!(meta(&report, "m.mar", "handler"), Some("handler.py"));
}

#[test]
fn benign_files_are_not_mistaken_for_executables() {
    let f = Fixture::new();
    f.write(
        "README.md",
        "#!important notes\nMZ and ELF are just letters.\n",
    );
    f.write(
        "config.json",
        r#"{"model_type":"bert","__module__":"not skops"}"#,
    );
    f.write("Main.class", [0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 61, 0, 1]);
    let run = f.run(&["scan", "--format", "json", "."]);
    let report = run.json();
    for name in ["README.md", "config.json", "Main.class"] {
        let ours: Vec<_> = checks(&report, name)
            .into_iter()
            .filter(|c| {
                let rule = c["rule"].as_str().unwrap();
                rule.starts_with("executable-") || rule.starts_with("skops-")
            })
            .collect();
        assert!(ours.is_empty(), "{name}: {ours:#?}");
    }
    assert_eq!(run.code, 0, "{report:#}");
}
