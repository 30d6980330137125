//! JSON files: Hugging Face configs by name or by their keys; other JSON is
//! declined so the host can offer it elsewhere.

use cordon_plugin_sdk::{Check, ScanError, ScanOutput};
use serde_json::Value;

use crate::{config, rules};

/// Files a model repository holds, and the kind of config each is.
const KNOWN: &[(&str, &str)] = &[
    ("config.json", "model-config"),
    ("tokenizer_config.json", "tokenizer-config"),
    ("generation_config.json", "generation-config"),
    ("special_tokens_map.json", "tokenizer-config"),
    ("chat_template.json", "tokenizer-config"),
    ("adapter_config.json", "adapter-config"),
    ("preprocessor_config.json", "processor-config"),
    ("processor_config.json", "processor-config"),
    ("model_index.json", "diffusers-pipeline"),
    (
        "config_sentence_transformers.json",
        "sentence-transformers-config",
    ),
    ("sentence_bert_config.json", "sentence-transformers-config"),
    ("quantize_config.json", "quantization-config"),
];

/// Top-level keys that only Hugging Face configs have.
const TYPICAL_KEYS: &[&str] = &[
    "architectures",
    "model_type",
    "auto_map",
    "chat_template",
    "tokenizer_class",
    "transformers_version",
    "_name_or_path",
    "torch_dtype",
    "model_max_length",
    "added_tokens_decoder",
    "bos_token_id",
    "eos_token_id",
    "decoder_start_token_id",
    "max_new_tokens",
    "trust_remote_code",
    "peft_type",
    "base_model_name_or_path",
    "_class_name",
    "_diffusers_version",
    "quantization_config",
    "custom_pipelines",
    "processor_class",
    "image_processor_type",
    "feature_extractor_type",
    "hidden_size",
    "num_hidden_layers",
    "vocab_size",
];

/// A Keras `config.json` (`{"class_name": ..., "config": ...}`), which the Keras
/// plugin reads.
fn keras_model(map: &serde_json::Map<String, Value>) -> bool {
    map.contains_key("class_name")
        && map.contains_key("config")
        && !map.keys().any(|k| TYPICAL_KEYS.contains(&k.as_str()))
}

pub fn is_known(file_name: &str) -> bool {
    KNOWN.iter().any(|(name, _)| *name == file_name)
}

pub fn analyze(file_name: &str, text: &str, out: &mut ScanOutput) -> Result<(), ScanError> {
    let kind = KNOWN
        .iter()
        .find(|(name, _)| *name == file_name)
        .map(|(_, kind)| *kind);
    if file_name == "tokenizer.json" {
        return Err(ScanError::Unsupported(
            "tokenizer vocabulary, not a configuration".into(),
        ));
    }
    if kind.is_none() && !text.trim_start().starts_with('{') {
        return Err(ScanError::Unsupported("JSON that is not an object".into()));
    }
    let value: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) if kind.is_some() => {
            out.meta("format", "hf-config");
            out.push(Check::failed(
                rules::PARSE,
                format!("{file_name} is not valid JSON: {e}"),
            ));
            return Ok(());
        }
        Err(_) => return Err(ScanError::Unsupported("not valid JSON".into())),
    };
    let keys = match &value {
        Value::Object(map) if keras_model(map) => {
            return Err(ScanError::Unsupported("Keras model configuration".into()));
        }
        Value::Object(map)
            if kind.is_some() || map.keys().any(|k| TYPICAL_KEYS.contains(&k.as_str())) =>
        {
            map.len()
        }
        Value::Object(_) => {
            return Err(ScanError::Unsupported(
                "JSON object without Hugging Face configuration keys".into(),
            ));
        }
        _ if kind.is_some() => {
            out.meta("format", "hf-config");
            out.push(Check::failed(
                rules::PARSE,
                format!("{file_name} is valid JSON but not an object"),
            ));
            return Ok(());
        }
        _ => return Err(ScanError::Unsupported("JSON that is not an object".into())),
    };
    out.meta("format", "hf-config");
    out.meta("config-kind", kind.unwrap_or("config"));
    out.push(Check::passed(
        rules::PARSE,
        format!("JSON object with {keys} keys"),
    ));
    config::analyze(&value, out);
    Ok(())
}
