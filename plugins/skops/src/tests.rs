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

fn node(module: &str, class: &str, loader: &str, content: &str) -> String {
    format!(r#"{{"__class__":"{class}","__module__":"{module}","__loader__":"{loader}"{content}}}"#)
}

/// A fitted tree in a pipeline, as skops.io.dump writes it.
fn pipeline(step: &str) -> String {
    let key = node("builtins", "str", "TypeNode", "");
    let name = node(
        "builtins",
        "str",
        "JsonNode",
        r#","content":"\"tree\"","is_json":true"#,
    );
    let array = node(
        "numpy",
        "ndarray",
        "NdArrayNode",
        r#","type":"numpy","file":"abc.npy""#,
    );
    let tree = node(
        "sklearn.tree._classes",
        "DecisionTreeRegressor",
        "ObjectNode",
        &format!(
            r#","content":{}"#,
            node(
                "builtins",
                "dict",
                "DictNode",
                &format!(r#","content":{{"values":{array},"extra":{step}}},"key_types":[{key}]"#)
            )
        ),
    );
    let steps = node(
        "builtins",
        "list",
        "ListNode",
        &format!(
            r#","content":[{}]"#,
            node(
                "builtins",
                "tuple",
                "TupleNode",
                &format!(r#","content":[{name},{tree}]"#)
            )
        ),
    );
    let top = node(
        "sklearn.pipeline",
        "Pipeline",
        "ObjectNode",
        &format!(
            r#","content":{}"#,
            node(
                "builtins",
                "dict",
                "DictNode",
                &format!(r#","content":{{"steps":{steps}}},"key_types":[{key}]"#)
            )
        ),
    );
    top.replacen('{', r#"{"protocol":2,"_skops_version":"0.11.0","#, 1)
}

#[test]
fn trusted_pipeline_passes_every_rule() {
    let json = pipeline(&node(
        "builtins",
        "int",
        "JsonNode",
        r#","content":"1","is_json":true"#,
    ));
    assert!(looks_like_skops(json.as_bytes()));
    let out = analyze(json.as_bytes(), false).unwrap();
    assert_eq!(failed(&out), vec![]);
    for rule in [
        rules::SCHEMA,
        rules::UNTRUSTED_TYPE,
        rules::DANGEROUS_CALLABLE,
    ] {
        assert_eq!(
            out.checks
                .iter()
                .filter(|c| c.rule == rule && c.status == Status::Passed)
                .count(),
            1,
            "{rule}"
        );
    }
    assert_eq!(
        meta(&out, "estimator-class"),
        Some("sklearn.pipeline.Pipeline")
    );
    assert_eq!(meta(&out, "skops-version"), Some("0.11.0"));
    assert_eq!(meta(&out, "skops-protocol"), Some("2"));
    assert_eq!(meta(&out, "array-files"), Some("1"));
    assert_eq!(meta(&out, "untrusted-types"), None);
}

#[test]
fn untrusted_types_are_listed_and_main_module_is_low() {
    let custom = node("__main__", "DivideColumns", "ObjectNode", "");
    let foreign = node("xgboost.sklearn", "XGBRegressor", "ObjectNode", "");
    let json = pipeline(
        &format!("[{custom},{foreign},{foreign}]")
            .replace('[', "")
            .replace(']', ""),
    );
    let json = json.replace(r#""extra":"#, r#""extra":["#).replacen(
        r#"}},"key_types""#,
        r#"}]},"key_types""#,
        1,
    );
    let out = analyze(json.as_bytes(), true).unwrap();
    let f = failed(&out);
    assert_eq!(f.len(), 2, "{f:?}");
    assert_eq!(
        (f[0].0, f[0].1),
        (rules::UNTRUSTED_TYPE, Some(Severity::Low))
    );
    assert_eq!((f[1].0, f[1].1), (rules::UNTRUSTED_TYPE, None));
    assert_eq!(
        meta(&out, "untrusted-types"),
        Some("__main__.DivideColumns,xgboost.sklearn.XGBRegressor")
    );
}

#[test]
fn dangerous_callables_are_critical() {
    for evil in [
        node("builtins", "eval", "OperatorFuncNode", r#","attrs":[]"#),
        node(
            "operator",
            "attrgetter",
            "OperatorFuncNode",
            r#","attrs":[]"#,
        ),
        node("posix", "system", "FunctionNode", ""),
        node(
            "x",
            "function",
            "FunctionNode",
            r#","content":{"module_path":"subprocess","function":"Popen"}"#,
        ),
        node(
            "sklearn.base",
            "BaseEstimator",
            "MethodNode",
            r#","content":{"func":"__reduce__","obj":{}}"#,
        ),
    ] {
        let out = analyze(pipeline(&evil).as_bytes(), false).unwrap();
        let f = failed(&out);
        assert!(
            f.iter()
                .any(|(rule, sev, _)| *rule == rules::DANGEROUS_CALLABLE && sev.is_none()),
            "{evil}: {f:?}"
        );
        let check = out
            .checks
            .iter()
            .find(|c| c.rule == rules::DANGEROUS_CALLABLE)
            .unwrap();
        assert_eq!(
            check.location.as_ref().unwrap().locator.as_deref(),
            Some("/content/content/steps/content/0/content/1/content/content/extra")
        );
    }
}

#[test]
fn malformed_schemas_are_flagged() {
    let out = analyze(br#"{"__loader__":"ObjectNode","__module__":"a"#, true).unwrap();
    assert_eq!(failed(&out)[0].0, rules::SCHEMA);
    let json = r#"{"protocol":1,"__loader__":"EvilNode","__module__":"sklearn","__class__":"X","content":{"__loader__":5}}"#.to_string();
    let out = analyze(json.as_bytes(), false).unwrap();
    let f: Vec<_> = failed(&out).into_iter().map(|(r, _, m)| (r, m)).collect();
    assert_eq!(f.len(), 2, "{f:?}");
    assert!(f.iter().all(|(r, _)| *r == rules::SCHEMA));
}

#[test]
fn findings_are_capped_with_a_summary() {
    let many: Vec<String> = (0..120)
        .map(|i| node(&format!("evil{i}"), "X", "ObjectNode", ""))
        .collect();
    let json = format!(
        r#"{{"protocol":2,"__loader__":"ListNode","__module__":"builtins","__class__":"list","content":[{}]}}"#,
        many.join(",")
    );
    let out = analyze(json.as_bytes(), false).unwrap();
    let untrusted: Vec<_> = failed(&out)
        .into_iter()
        .filter(|f| f.0 == rules::UNTRUSTED_TYPE)
        .collect();
    assert_eq!(untrusted.len(), MAX_FINDINGS + 1);
    assert!(untrusted.last().unwrap().2.contains("70 more"));
}

#[test]
fn other_json_is_declined() {
    for json in [
        &br#"{"architectures":["Bert"],"model_type":"bert"}"#[..],
        b"[1,2]",
        b"{\"__loader__\":1}",
    ] {
        assert!(
            matches!(analyze(json, false), Err(ScanError::Unsupported(_)))
                || !looks_like_skops(json)
        );
    }
    assert!(!looks_like_skops(
        b"# README mentions \"__loader__\" and \"__module__\""
    ));
    assert!(matches!(
        analyze(br#"{"learner":{}}"#, false),
        Err(ScanError::Unsupported(_))
    ));
}

#[test]
fn truncations_and_mutations_never_panic() {
    let json = pipeline(&node("os", "system", "FunctionNode", ""));
    let bytes = json.as_bytes();
    for len in 0..bytes.len() {
        let _ = analyze(&bytes[..len], true);
    }
    let mut state = 0x2545_f491_4f6c_dd1du64;
    for _ in 0..500 {
        let mut b = bytes.to_vec();
        for _ in 0..4 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let at = (state % b.len() as u64) as usize;
            b[at] = (state >> 40) as u8;
        }
        let _ = analyze(&b, state & 1 == 0);
    }
    // Nesting deeper than serde_json's recursion limit is a recorded failure, not a crash.
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let out = analyze(deep.as_bytes(), true).unwrap();
    assert_eq!(failed(&out)[0].0, rules::SCHEMA);
}
