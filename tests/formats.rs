//! Model formats through the `cordon` binary: GGUF (chat template injection),
//! Hugging Face repository files, and a large safetensors file scanned from its
//! header alone.

mod support;

use support::{Fixture, checks, file, safetensors};

/// A minimal GGUF v3 file: string metadata, then one F32 tensor of `n` elements.
fn gguf(metadata: &[(&str, &str)], n: u64) -> Vec<u8> {
    let string = |out: &mut Vec<u8>, s: &str| {
        out.extend((s.len() as u64).to_le_bytes());
        out.extend(s.as_bytes());
    };
    let mut out = b"GGUF".to_vec();
    out.extend(3u32.to_le_bytes());
    out.extend(1u64.to_le_bytes());
    out.extend((metadata.len() as u64).to_le_bytes());
    for (key, value) in metadata {
        string(&mut out, key);
        out.extend(8u32.to_le_bytes());
        string(&mut out, value);
    }
    string(&mut out, "token_embd.weight");
    out.extend(1u32.to_le_bytes());
    out.extend(n.to_le_bytes());
    out.extend(0u32.to_le_bytes());
    out.extend(0u64.to_le_bytes());
    out.resize(out.len().div_ceil(32) * 32, 0);
    out.resize(out.len() + (n as usize * 4).div_ceil(32) * 32, 0);
    out
}

const CVE_TEMPLATE: &str = "{% for c in [].__class__.__base__.__subclasses__() %}{% if c.__name__ == 'catch_warnings' %}{{ c()._module.__builtins__['__import__']('os').system('touch /tmp/retr0reg') }}{% endif %}{% endfor %}";
const CHATML: &str = "{% for message in messages %}<|im_start|>{{ message['role'] }}\n{{ message['content'] }}<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}";

fn failed<'a>(report: &'a serde_json::Value, name: &str) -> Vec<&'a serde_json::Value> {
    checks(report, name)
        .into_iter()
        .filter(|c| c["status"] == "failed")
        .collect()
}

fn meta<'a>(report: &'a serde_json::Value, name: &str, key: &str) -> &'a str {
    file(report, name)["metadata"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["key"] == key)
        .unwrap_or_else(|| panic!("no {key} for {name}"))["value"]
        .as_str()
        .unwrap()
}

#[test]
fn gguf_with_a_malicious_chat_template_exits_1() {
    let f = Fixture::new();
    f.write(
        "evil.gguf",
        gguf(
            &[
                ("general.architecture", "llama"),
                ("tokenizer.chat_template", CVE_TEMPLATE),
            ],
            8,
        ),
    );
    let run = f.run(&["scan", "--format", "json", "evil.gguf"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report = run.json();
    let findings = failed(&report, "evil.gguf");
    assert!(!findings.is_empty());
    assert!(
        findings
            .iter()
            .all(|c| c["rule"] == "gguf-chat-template-injection" && c["severity"] == "critical"),
        "{findings:#?}"
    );
    let text = f.run(&["scan", "evil.gguf"]);
    assert_eq!(text.code, 1);
    assert!(
        text.stdout.contains("gguf-chat-template-injection"),
        "{}",
        text.stdout
    );
}

#[test]
fn valid_gguf_exits_0_and_reports_the_model() {
    let f = Fixture::new();
    f.write(
        "tiny.gguf",
        gguf(
            &[
                ("general.architecture", "llama"),
                ("general.name", "Tiny"),
                ("tokenizer.chat_template", CHATML),
            ],
            8,
        ),
    );
    let run = f.run(&["scan", "--format", "json", "tiny.gguf"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    let report = run.json();
    assert!(
        checks(&report, "tiny.gguf")
            .iter()
            .all(|c| c["status"] == "passed")
    );
    assert_eq!(meta(&report, "tiny.gguf", "architecture"), "llama");
    assert_eq!(meta(&report, "tiny.gguf", "parameter-count"), "8");
    assert_eq!(
        file(&report, "tiny.gguf")["formats"],
        serde_json::json!(["gguf"])
    );
}

#[test]
fn damaged_gguf_is_a_finding_not_an_error() {
    let f = Fixture::new();
    let bytes = gguf(&[("general.architecture", "llama")], 8);
    // Cut inside the header's counts, the metadata, and the tensor table.
    for (cut, rule) in [
        (20, "gguf-header"),
        (60, "gguf-metadata"),
        (75, "gguf-tensor-info"),
    ] {
        f.write("cut.gguf", &bytes[..cut]);
        let run = f.run(&["scan", "--format", "json", "cut.gguf"]);
        assert_eq!(run.code, 1, "{}", run.stdout);
        let report = run.json();
        let all = checks(&report, "cut.gguf");
        assert!(
            all.iter()
                .any(|c| c["rule"] == rule && c["status"] == "failed"),
            "{cut}: {all:#?}"
        );
        assert!(!all.iter().any(|c| c["status"] == "error"), "{all:#?}");
    }
}

#[test]
fn hostile_template_nesting_stays_inside_the_sandbox_stack() {
    let f = Fixture::new();
    let deep = format!(
        "{{{{ {}x{} }}}}{{{{ y{} }}}}",
        "(".repeat(50_000),
        ")".repeat(50_000),
        ".a".repeat(50_000)
    );
    f.write("deep.gguf", gguf(&[("tokenizer.chat_template", &deep)], 8));
    let run = f.run(&["scan", "--format", "json", "deep.gguf"]);
    let report = run.json();
    let all = checks(&report, "deep.gguf");
    assert!(!all.iter().any(|c| c["status"] == "error"), "{all:#?}");
    assert!(
        all.iter()
            .any(|c| c["rule"] == "gguf-chat-template-syntax" && c["status"] == "failed")
    );
}

#[test]
fn hugging_face_repository_files_report_custom_code() {
    let f = Fixture::new();
    f.write(
        "repo/config.json",
        r#"{"model_type": "tiny", "auto_map": {"AutoModelForCausalLM": "modeling_tiny.TinyForCausalLM"}}"#,
    );
    f.write(
        "repo/tokenizer_config.json",
        serde_json::json!({"tokenizer_class": "GPT2Tokenizer", "chat_template": CHATML})
            .to_string(),
    );
    f.write(
        "repo/modeling_tiny.py",
        "import os\n\nclass TinyForCausalLM:\n    def hook(self):\n        os.system('id')\n",
    );
    f.write("repo/data.json", r#"{"rows": [1, 2, 3]}"#);
    f.write("repo/model.safetensors", safetensors(4, 0));
    let run = f.run(&["scan", "--format", "json", "repo"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report = run.json();

    let config = failed(&report, "config.json");
    assert_eq!(config.len(), 1, "{config:#?}");
    assert_eq!(config[0]["rule"], "hf-remote-code");
    assert_eq!(config[0]["severity"], "medium");
    assert_eq!(
        meta(&report, "config.json", "remote-code-modules"),
        "modeling_tiny.py"
    );

    assert!(failed(&report, "tokenizer_config.json").is_empty());

    let python = failed(&report, "modeling_tiny.py");
    assert_eq!(python.len(), 1, "{python:#?}");
    assert_eq!(
        python[0]["message"],
        "line 5: runs a shell command (os.system)"
    );

    // The weights carry the directory-level view: code beside them, which the config points at.
    let weights = failed(&report, "model.safetensors");
    assert_eq!(weights.len(), 1, "{weights:#?}");
    assert_eq!(weights[0]["rule"], "cordon-custom-code");
    assert_eq!(weights[0]["severity"], "medium");
    assert_eq!(weights[0]["evidence"]["python_files"], "modeling_tiny.py");

    // JSON that is not a config is declined and reported as unrecognised.
    let data = checks(&report, "data.json");
    assert_eq!(data.len(), 1);
    assert_eq!(data[0]["rule"], "cordon-unrecognized-format");
}

/// A safetensors file of `len` bytes (sparse: only the header is written) whose one
/// U8 tensor covers the whole data buffer; returns the tensor's length.
fn sparse_safetensors(f: &Fixture, name: &str, len: u64) -> u64 {
    let probe = |data: u64| {
        format!(
            r#"{{"__metadata__":{{"format":"pt"}},"w":{{"dtype":"U8","shape":[{data}],"data_offsets":[0,{data}]}}}}"#
        )
    };
    // The header's length depends on the data length it states; settle both.
    let mut header = probe(len);
    for _ in 0..3 {
        header = probe(len - 8 - header.len() as u64);
    }
    let mut bytes = (header.len() as u64).to_le_bytes().to_vec();
    bytes.extend(header.as_bytes());
    let path = f.write(name, &bytes);
    std::fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .unwrap()
        .set_len(len)
        .unwrap();
    len - bytes.len() as u64
}

#[test]
fn large_safetensors_is_scanned_from_its_header() {
    let f = Fixture::new();
    let len = 1_181_116_006u64; // 1.1 GiB
    let elements = sparse_safetensors(&f, "big.safetensors", len);
    let run = f.run(&["scan", "--format", "json", "big.safetensors"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let report = run.json();
    let big = file(&report, "big.safetensors");
    assert_eq!(big["size"], len);
    assert!(
        checks(&report, "big.safetensors")
            .iter()
            .all(|c| c["status"] == "passed")
    );
    let runs = big["plugin_runs"].as_array().unwrap();
    let safetensors = runs
        .iter()
        .find(|r| r["plugin"] == "safetensors")
        .expect("safetensors ran");
    let read = safetensors["bytes_read"].as_u64().unwrap();
    assert!(read < 1_000_000, "read {read} bytes of a {len}-byte file");
    assert!(read > 8, "the header was read: {read}");
    assert_eq!(
        meta(&report, "big.safetensors", "parameter-count"),
        elements.to_string()
    );
}
