//! The plugin's rule catalog.

use cordon_plugin_sdk::{Rule, Severity};
use cordon_text_audit::Kind;

pub const HEADER_LENGTH: &str = "safetensors-header-length";
pub const HEADER_JSON: &str = "safetensors-header-json";
pub const DUPLICATE_TENSOR: &str = "safetensors-duplicate-tensor";
pub const TENSOR_ENTRY: &str = "safetensors-tensor-entry";
pub const TENSOR_SIZE: &str = "safetensors-tensor-size";
pub const DATA_LAYOUT: &str = "safetensors-data-layout";
pub const METADATA: &str = "safetensors-metadata";

const SPEC: &str = "https://github.com/huggingface/safetensors#format";

/// `safetensors-metadata-<kind>`: what the `__metadata__` values were searched for.
pub fn text_rule(kind: Kind) -> String {
    format!("safetensors-metadata-{}", kind.slug())
}

pub fn catalog() -> Vec<Rule> {
    let mut rules = vec![
        Rule::new(HEADER_LENGTH, "Header length is within bounds", Severity::High, "denial-of-service")
            .description("The 8-byte length prefix must describe a header that fits in the file and stays under 100 MB; loaders allocate it before parsing.")
            .cwe(&[789, 130])
            .remediation("Do not load the file; obtain it again from a trusted source.")
            .references(&[SPEC]),
        Rule::new(HEADER_JSON, "Header is a JSON object", Severity::High, "integrity")
            .description("The header must be UTF-8 JSON mapping tensor names to dtype, shape and data offsets.")
            .cwe(&[20])
            .remediation("The file is corrupt or not safetensors; do not load it.")
            .references(&[SPEC]),
        Rule::new(DUPLICATE_TENSOR, "Tensor names are unique", Severity::High, "tampering")
            .description("A name listed twice resolves differently in different loaders, so a reviewer and the runtime can see different weights.")
            .cwe(&[694])
            .attack(&["AML.T0018"])
            .remediation("Reject the file; re-export it with a trusted tool.")
            .references(&[SPEC]),
        Rule::new(TENSOR_ENTRY, "Tensor entries are well formed", Severity::High, "integrity")
            .description("Every tensor needs a known dtype, a shape of non-negative integers and two data offsets [begin, end] with begin <= end.")
            .cwe(&[20])
            .remediation("The file is corrupt or crafted; do not load it.")
            .references(&[SPEC]),
        Rule::new(TENSOR_SIZE, "Tensor byte length matches shape and dtype", Severity::High, "integrity")
            .description("end - begin must equal the product of the shape times the dtype's size; a mismatch makes loaders read past a tensor or misinterpret it.")
            .cwe(&[131])
            .remediation("The file is corrupt or crafted; do not load it.")
            .references(&[SPEC]),
        Rule::new(DATA_LAYOUT, "Tensor data covers the buffer exactly", Severity::Medium, "tampering")
            .description("Offsets must lie inside the data buffer, not overlap, and cover it with no gaps or trailing bytes; bytes no tensor claims can smuggle a payload.")
            .cwe(&[20, 506])
            .attack(&["AML.T0018"])
            .remediation("Inspect the unclaimed bytes; re-export the model with a trusted tool.")
            .references(&[SPEC])
            .false_positives("Some old exporters padded the buffer; such padding is all zero bytes."),
        Rule::new(METADATA, "__metadata__ is a string map", Severity::Low, "integrity")
            .description("The optional __metadata__ entry must map strings to strings.")
            .cwe(&[20])
            .remediation("Re-export the model; loaders may reject the file.")
            .references(&[SPEC]),
    ];
    for kind in Kind::ALL {
        let text = kind.rule_text();
        rules.push(
            Rule::new(
                &text_rule(kind),
                text.title,
                crate::metadata::severity(text.level),
                text.category,
            )
            .description(text.description)
            .cwe(text.cwe)
            .attack(text.attack)
            .remediation(text.remediation)
            .references(&[SPEC])
            .false_positives(text.false_positives),
        );
    }
    rules
}
