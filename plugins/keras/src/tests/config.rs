use base64::Engine;

use super::*;

/// Scan `json` as a `.keras` archive's config.json.
fn config(json: &str) -> ScanOutput {
    scan(json.as_bytes(), "model.keras!config.json", None)
}

/// base64 as Keras' func_dump writes it: standard alphabet, lines of 76 characters.
fn func_dump(code: &[u8]) -> String {
    let text = base64::engine::general_purpose::STANDARD.encode(code);
    let lines: Vec<&str> = text
        .as_bytes()
        .chunks(76)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    lines.join("\n") + "\n"
}

#[test]
fn plain_sequential_model_passes_every_rule() {
    let out = config(DENSE_MODEL);
    assert_eq!(failed_rules(&out), []);
    for rule in [
        rules::CONFIG_JSON,
        rules::LAMBDA_CODE,
        rules::DANGEROUS_MODULE,
        rules::UNSAFE_FUNCTION,
        rules::CUSTOM_OBJECT,
        rules::EXTERNAL_REFERENCE,
    ] {
        let passed = out
            .checks
            .iter()
            .filter(|c| c.rule == rule && c.status == Status::Passed)
            .count();
        assert_eq!(passed, 1, "{rule}");
    }
    assert_eq!(meta(&out, "model-class"), Some("Sequential"));
    assert_eq!(meta(&out, "layer-count"), Some("1"));
    assert_eq!(meta(&out, "layer-types"), Some("Dense:1"));
    assert_eq!(meta(&out, "input-shapes"), Some("[null,4]"));
}

#[test]
fn lambda_source_calling_os_system_is_critical() {
    let out = config(LAMBDA_MODEL);
    assert_eq!(
        failed_rules(&out),
        [(rules::LAMBDA_CODE, Severity::Critical)]
    );
    let check = failed(&out)[0];
    assert_eq!(evidence(check, "dangerous"), Some("__import__,os,system"));
    assert_eq!(
        check.location.as_ref().unwrap().locator.as_deref(),
        Some("config.json/config/layers/0/config/function")
    );
}

#[test]
fn marshalled_lambda_bytecode_is_decoded_keras2_and_keras3() {
    let code = func_dump(&super::marshal::py311_lambda());
    let keras2 = format!(
        r#"{{"class_name": "Functional", "config": {{"layers": [{{"class_name": "Lambda", "config": {{"name": "l", "function": [{code:?}, null, null], "function_type": "lambda"}}}}]}}}}"#
    );
    let keras3 = format!(
        r#"{{"module": "keras", "class_name": "Functional", "config": {{"layers": [{{"module": "keras.layers", "class_name": "Lambda", "config": {{"name": "l", "function": {{"class_name": "__lambda__", "config": {{"value": [{code:?}, null, null]}}}}}}}}]}}}}"#
    );
    for json in [keras2, keras3] {
        let out = config(&json);
        assert_eq!(
            failed_rules(&out),
            [(rules::LAMBDA_CODE, Severity::Critical)],
            "{json}"
        );
        let check = failed(&out)[0];
        assert_eq!(evidence(check, "co_name"), Some("<lambda>"));
        assert_eq!(evidence(check, "co_names"), Some("os,system"));
        assert_eq!(evidence(check, "dangerous"), Some("os,system"));
    }
}

#[test]
fn harmless_lambda_is_still_high() {
    let json = r#"{"class_name": "Sequential", "config": {"layers": [{"class_name": "Lambda", "config": {"name": "double", "function": "lambda x: x * 2"}}]}}"#;
    assert_eq!(
        failed_rules(&config(json)),
        [(rules::LAMBDA_CODE, Severity::High)]
    );
}

#[test]
fn dangerous_modules_and_custom_objects() {
    let json = r#"{"module": "keras", "class_name": "Functional", "config": {"layers": [
        {"module": "subprocess", "class_name": "Popen", "config": {"args": ["id"]}},
        {"module": "my_project.layers", "class_name": "Fancy", "registered_name": "Custom>Fancy", "config": {}},
        {"module": "keras.layers", "class_name": "Dense", "registered_name": null, "config": {"units": 1}}
    ]}}"#;
    let out = config(json);
    assert_eq!(
        failed_rules(&out),
        [
            (rules::DANGEROUS_MODULE, Severity::Critical),
            (rules::CUSTOM_OBJECT, Severity::Medium),
            (rules::CUSTOM_OBJECT, Severity::Medium),
        ]
    );
    assert_eq!(meta(&out, "layer-types"), Some("Dense:1,Fancy:1,Popen:1"));
}

#[test]
fn safe_mode_bypass_functions_are_flagged() {
    // CVE-2025-9906: a Lambda whose function is keras.config.enable_unsafe_deserialization.
    let json = r#"{"module": "keras", "class_name": "Functional", "config": {"layers": [
        {"module": "keras.layers", "class_name": "Lambda", "config": {"name": "off",
            "function": {"module": "keras.config", "class_name": "function", "config": "enable_unsafe_deserialization", "registered_name": "function"}}},
        {"module": "keras.layers", "class_name": "Lambda", "config": {"name": "load",
            "function": {"module": "keras.models", "class_name": "function", "config": "load_model", "registered_name": "function"}, "arguments": {"safe_mode": false}}},
        {"class_name": "TFOpLambda", "config": {"name": "w", "function": "io.write_file"}}
    ]}}"#;
    let out = config(json);
    let flagged: Vec<_> = failed(&out)
        .into_iter()
        .map(|c| (c.rule.as_str(), evidence(c, "function").unwrap_or_default()))
        .collect();
    assert_eq!(
        flagged,
        [
            (
                rules::UNSAFE_FUNCTION,
                "keras.config.enable_unsafe_deserialization"
            ),
            (rules::UNSAFE_FUNCTION, "keras.models.load_model"),
            (rules::UNSAFE_FUNCTION, "tf.io.write_file"),
        ]
    );
}

#[test]
fn legacy_lambda_naming_os_system_is_flagged() {
    let json = r#"{"class_name": "Sequential", "config": {"layers": [{"class_name": "Lambda", "config": {"name": "l", "function": "system", "function_type": "function", "module": "os"}}]}}"#;
    let out = config(json);
    let rules_hit: Vec<_> = failed_rules(&out).into_iter().map(|(r, _)| r).collect();
    assert_eq!(rules_hit, [rules::UNSAFE_FUNCTION]);
}

#[test]
fn external_references() {
    let json = r#"{"class_name": "Functional", "config": {"layers": [
        {"class_name": "TFSMLayer", "config": {"name": "sm", "filepath": "/tmp/saved_model"}},
        {"class_name": "StringLookup", "config": {"name": "vocab", "vocabulary": "/etc/passwd"}},
        {"class_name": "StringLookup", "config": {"name": "inline", "vocabulary": ["a", "b"]}}
    ]}}"#;
    let out = config(json);
    assert_eq!(
        failed_rules(&out),
        [
            (rules::EXTERNAL_REFERENCE, Severity::High),
            (rules::EXTERNAL_REFERENCE, Severity::Medium),
        ]
    );
}

#[test]
fn findings_are_capped_with_a_summary() {
    let layers: Vec<String> = (0..80)
        .map(|i| format!(r#"{{"module": "os", "class_name": "L{i}", "config": {{}}}}"#))
        .collect();
    let json = format!(
        r#"{{"class_name": "Sequential", "config": {{"layers": [{}]}}}}"#,
        layers.join(",")
    );
    let out = config(&json);
    let dangerous: Vec<_> = failed(&out)
        .into_iter()
        .filter(|c| c.rule == rules::DANGEROUS_MODULE)
        .collect();
    assert_eq!(dangerous.len(), 51);
    assert_eq!(dangerous[50].message, "80 findings, 30 not listed");
}

#[test]
fn metadata_json_records_the_version() {
    let out = scan(
        br#"{"keras_version": "3.8.0", "date_saved": "2025-01-02@10:00:00"}"#,
        "metadata.json",
        None,
    );
    assert_eq!(meta(&out, "format"), Some("keras-metadata"));
    assert_eq!(meta(&out, "keras-version"), Some("3.8.0"));
    assert_eq!(meta(&out, "date-saved"), Some("2025-01-02@10:00:00"));
    assert_eq!(failed_rules(&out), []);
}

#[test]
fn other_json_is_declined_unless_hinted() {
    let other = br#"{"architectures": ["BertModel"], "model_type": "bert"}"#;
    let declined = crate::scan_source(&&other[..], "config.json", None);
    assert!(matches!(
        declined,
        Err(cordon_plugin_sdk::ScanError::Unsupported(_))
    ));
    let hinted = scan(other, "config.json", Some("keras-config"));
    assert_eq!(
        failed_rules(&hinted),
        [(rules::CONFIG_JSON, Severity::Medium)]
    );
    let not_json = crate::scan_source(&&b"PK\x03\x04"[..], "model.keras", None);
    assert!(matches!(
        not_json,
        Err(cordon_plugin_sdk::ScanError::Unsupported(_))
    ));
}
