use cordon_plugin_sdk::{ScanError, ScanOutput, Severity, Status};
use cordon_protowire::encode::Message;

use super::*;

fn failed(out: &ScanOutput) -> Vec<(&str, Option<Severity>, &str)> {
    out.checks
        .iter()
        .filter(|c| c.status == Status::Failed)
        .map(|c| (c.rule.as_str(), c.severity, c.message.as_str()))
        .collect()
}

fn meta<'a>(out: &'a ScanOutput, key: &str) -> Option<&'a str> {
    out.metadata
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

fn status(out: &ScanOutput, rule: &str) -> Vec<Status> {
    out.checks
        .iter()
        .filter(|c| c.rule == rule)
        .map(|c| c.status)
        .collect()
}

/// A neural network Model with one inner-product-like layer, plus `extra` layers.
fn neural_network(extra: Message) -> Vec<u8> {
    let layer = Message::new()
        .bytes(1, "dense")
        .message(140, Message::new().varint(1, 4));
    let nn = Message::new().message(1, layer).raw(&extra.into_bytes());
    Message::new()
        .varint(1, 4)
        .message(2, Message::new().bytes(100, "desc"))
        .message(500, nn)
        .into_bytes()
}

#[test]
fn plain_coreml_model_passes() {
    let out = coreml_bytes(&neural_network(Message::new()));
    assert!(failed(&out).is_empty(), "{:?}", failed(&out));
    assert_eq!(meta(&out, "version"), Some("4"));
    assert_eq!(meta(&out, "model-type"), Some("neuralNetwork"));
    assert_eq!(meta(&out, "layer-count"), Some("1"));
    for rule in [
        rules::COREML_STRUCTURE,
        rules::COREML_CUSTOM,
        rules::COREML_PATH,
    ] {
        assert_eq!(status(&out, rule), vec![Status::Passed], "{rule}");
    }
}

#[test]
fn custom_model_and_custom_layer_are_flagged() {
    let custom = Message::new()
        .varint(1, 5)
        .message(
            555,
            Message::new().bytes(10, "MyEvilModel").bytes(40, "desc"),
        )
        .into_bytes();
    let out = coreml_bytes(&custom);
    let f = failed(&out);
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].0, rules::COREML_CUSTOM);
    assert!(f[0].2.contains("MyEvilModel"));
    let layer = Message::new()
        .bytes(1, "c")
        .message(500, Message::new().bytes(10, "NativeLayer"));
    let out = coreml_bytes(&neural_network(Message::new().message(1, layer)));
    assert!(
        failed(&out)[0]
            .2
            .contains("custom layer runs native class `NativeLayer`")
    );
    assert_eq!(meta(&out, "layer-count"), Some("2"));
}

fn linked(name: &str) -> Message {
    let file = Message::new()
        .message(1, Message::new().bytes(1, name))
        .message(2, Message::new().bytes(1, "$BUNDLE_MAIN:models"));
    Message::new()
        .varint(1, 4)
        .message(556, Message::new().message(1, file))
}

#[test]
fn escaping_linked_models_in_pipelines_are_flagged() {
    let fine = coreml_bytes(&linked("inner.mlmodelc").into_bytes());
    assert!(failed(&fine).is_empty(), "{:?}", failed(&fine));
    let pipeline = Message::new()
        .varint(1, 4)
        .message(
            202,
            Message::new()
                .message(1, linked("../../etc/evil.mlmodelc"))
                .message(1, linked("/tmp/x")),
        )
        .into_bytes();
    let out = coreml_bytes(&pipeline);
    let f = failed(&out);
    assert_eq!(f.len(), 2, "{f:?}");
    assert!(f.iter().all(|(r, _, _)| *r == rules::COREML_PATH));
    assert_eq!(meta(&out, "model-type"), Some("pipeline"));
}

#[test]
fn broken_coreml_is_a_failed_structure_check() {
    let bytes = neural_network(Message::new());
    for cut in 1..bytes.len() {
        let out = coreml_bytes(&bytes[..cut]);
        assert!(
            failed(&out)
                .iter()
                .any(|(r, _, _)| *r == rules::COREML_STRUCTURE),
            "cut {cut}"
        );
    }
}

#[test]
fn mlpackage_manifest_paths_are_checked() {
    let good = br#"{"fileFormatVersion":"1.0.0","itemInfoEntries":{"A":{"author":"com.apple.CoreML","path":"com.apple.CoreML/model.mlmodel"}},"rootModelIdentifier":"A"}"#;
    let out = manifest_bytes(good).unwrap();
    assert!(failed(&out).is_empty());
    let bad = br#"{"itemInfoEntries":{"A":{"path":"../../../../Library/x.mlmodel"},"B":{"path":"/etc/passwd"}}}"#;
    let out = manifest_bytes(bad).unwrap();
    assert_eq!(failed(&out).len(), 2);
    assert!(
        failed(&out)
            .iter()
            .all(|(r, _, _)| *r == rules::COREML_PATH)
    );
    assert!(matches!(
        manifest_bytes(br#"{"name":"x"}"#),
        Err(ScanError::Unsupported(_))
    ));
}

/// A FlatBuffers Program: root offset, `ET12`, optional extended header, vtable, table.
fn pte(extended: Option<(u64, u64)>) -> Vec<u8> {
    let mut b = vec![0u8; 8];
    b[4..8].copy_from_slice(b"ET12");
    if let Some((program, segments)) = extended {
        b.extend_from_slice(b"eh00");
        b.extend_from_slice(&24u32.to_le_bytes());
        b.extend_from_slice(&program.to_le_bytes());
        b.extend_from_slice(&segments.to_le_bytes());
    }
    let vtable = b.len();
    b.extend_from_slice(&6u16.to_le_bytes());
    b.extend_from_slice(&8u16.to_le_bytes());
    b.extend_from_slice(&4u16.to_le_bytes());
    b.extend_from_slice(&[0, 0]);
    let table = b.len();
    b.extend_from_slice(&((table - vtable) as i32).to_le_bytes());
    b.extend_from_slice(&7u32.to_le_bytes());
    b[0..4].copy_from_slice(&(table as u32).to_le_bytes());
    b
}

#[test]
fn executorch_header_is_checked_and_delegates_skipped() {
    let bytes = pte(Some((40, 48)));
    let mut out = ScanOutput::default();
    executorch::analyze(&bytes, bytes.len() as u64, &mut out);
    assert!(failed(&out).is_empty(), "{:?}", failed(&out));
    assert_eq!(meta(&out, "version"), Some("7"));
    assert_eq!(meta(&out, "file-identifier"), Some("ET12"));
    assert_eq!(
        status(&out, rules::EXECUTORCH_DELEGATES),
        vec![Status::Skipped]
    );
    let bad = pte(Some((1 << 40, 1 << 41)));
    let mut out = ScanOutput::default();
    executorch::analyze(&bad, bad.len() as u64, &mut out);
    assert_eq!(failed(&out).len(), 2);
}

#[test]
fn tensorrt_engine_is_skipped_and_libraries_listed() {
    let mut engine = b"ftrt\0\0\0\0".to_vec();
    engine.extend_from_slice(&[0x55; 64]);
    let mut out = ScanOutput::default();
    tensorrt::analyze(&engine, engine.len() as u64, &mut out);
    assert_eq!(status(&out, rules::TENSORRT_OPAQUE), vec![Status::Skipped]);
    assert_eq!(status(&out, rules::TENSORRT_LIBRARY), vec![Status::Passed]);
    engine.extend_from_slice(b"\0/opt/plugins/libevil_plugin.so.1\0");
    engine.extend_from_slice(b"\x7fELF\x02\x01\x01\0");
    let mut out = ScanOutput::default();
    tensorrt::analyze(&engine, engine.len() as u64, &mut out);
    let f = failed(&out);
    assert_eq!(f.len(), 2, "{f:?}");
    assert_eq!(f[0].1, Some(Severity::High));
    assert!(f[1].2.contains("libevil_plugin.so.1"));
    assert_eq!(
        meta(&out, "plugin-libraries"),
        Some("/opt/plugins/libevil_plugin.so.1")
    );
}

#[test]
fn truncated_and_random_inputs_never_panic() {
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut inputs = vec![
        pte(Some((40, 48))),
        neural_network(Message::new()),
        linked("a").into_bytes(),
    ];
    for _ in 0..300 {
        let len = (seed % 160) as usize;
        inputs.push(
            (0..len)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    seed as u8
                })
                .collect(),
        );
    }
    for input in &inputs {
        for cut in 0..=input.len() {
            let part = &input[..cut];
            let mut out = ScanOutput::default();
            executorch::analyze(part, part.len() as u64, &mut out);
            tensorrt::analyze(part, part.len() as u64, &mut out);
            coreml_bytes(part);
            let _ = manifest_bytes(part);
        }
    }
}

fn ir(layers: &str) -> ScanOutput {
    let text = format!(
        "<?xml version=\"1.0\"?>\n<net name=\"tiny\" version=\"11\">\n<layers>{layers}</layers>\n<edges/>\n</net>\n"
    );
    assert!(crate::openvino::looks_like_ir(text.as_bytes()));
    let mut out = ScanOutput::default();
    crate::openvino::analyze(&text, &mut out);
    out
}

const PARAMETER: &str = r#"<layer id="0" name="x" type="Parameter" version="opset1"><data shape="1,3" element_type="f32"/></layer>"#;

#[test]
fn openvino_ir_from_opsets_passes() {
    let out = ir(&format!(
        "{PARAMETER}<layer id=\"1\" name=\"r\" type=\"ReLU\" version=\"opset1\"/>"
    ));
    assert!(failed(&out).is_empty(), "{:?}", failed(&out));
    assert_eq!(meta(&out, "layer-count"), Some("2"));
    assert_eq!(meta(&out, "model-name"), Some("tiny"));
    for rule in [
        rules::OPENVINO_STRUCTURE,
        rules::OPENVINO_DOCTYPE,
        rules::OPENVINO_EXTENSION,
        rules::OPENVINO_EXTERNAL,
    ] {
        assert_eq!(status(&out, rule), vec![Status::Passed], "{rule}");
    }
}

#[test]
fn openvino_extension_ops_and_references_are_flagged() {
    let out = ir(&format!(
        "{PARAMETER}<layer id=\"1\" name=\"evil\" type=\"MyOp\" version=\"my_extension\"><rt_info><attribute name=\"src\" value=\"../../etc/passwd\"/></rt_info></layer>"
    ));
    let f = failed(&out);
    assert_eq!(f.len(), 2, "{f:?}");
    assert_eq!(f[0].0, rules::OPENVINO_EXTENSION);
    assert!(f[0].2.contains("MyOp (my_extension)"));
    assert_eq!(f[1].0, rules::OPENVINO_EXTERNAL);
}

#[test]
fn openvino_doctype_is_reported_and_not_a_way_around_the_check() {
    let text = "<?xml version=\"1.0\"?><!DOCTYPE net [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><net name=\"n\" version=\"11\"><layers/></net>";
    assert!(crate::openvino::looks_like_ir(text.as_bytes()));
    let mut out = ScanOutput::default();
    crate::openvino::analyze(text, &mut out);
    assert_eq!(status(&out, rules::OPENVINO_DOCTYPE), vec![Status::Failed]);
}

#[test]
fn other_xml_and_broken_ir_are_handled() {
    assert!(!crate::openvino::looks_like_ir(
        b"<?xml version=\"1.0\"?><PMML version=\"4.4\"/>"
    ));
    assert!(!crate::openvino::looks_like_ir(b"not xml at all"));
    let text = "<net name=\"n\" version=\"11\"><layers><layer id=\"0\" type=\"Parameter\" version=\"opset1\"";
    for end in 0..=text.len() {
        let mut out = ScanOutput::default();
        crate::openvino::analyze(&text[..end], &mut out);
    }
    let mut out = ScanOutput::default();
    crate::openvino::analyze(text, &mut out);
    assert_eq!(
        status(&out, rules::OPENVINO_STRUCTURE),
        vec![Status::Failed]
    );
}
