//! The plugin's rule catalog.

use cordon_plugin_sdk::{Rule, Severity};
use cordon_template_audit::rule_text as template;
use cordon_text_audit::Kind;

pub const HEADER: &str = "gguf-header";
pub const METADATA: &str = "gguf-metadata";
pub const DUPLICATE_KEY: &str = "gguf-duplicate-key";
pub const ALIGNMENT: &str = "gguf-alignment";
pub const TENSOR_INFO: &str = "gguf-tensor-info";
pub const DUPLICATE_TENSOR: &str = "gguf-duplicate-tensor";
pub const TENSOR_BOUNDS: &str = "gguf-tensor-bounds";
pub const DATA_LAYOUT: &str = "gguf-data-layout";
pub const TEMPLATE_INJECTION: &str = "gguf-chat-template-injection";
pub const TEMPLATE_SYNTAX: &str = "gguf-chat-template-syntax";

/// Kinds of text indicators looked for in string metadata. URLs and paths are
/// not: `general.url`, `general.repo_url` and license links are ordinary GGUF metadata.
pub const TEXT_KINDS: [Kind; 3] = [Kind::Code, Kind::Shell, Kind::Credential];

pub fn text_rule(kind: Kind) -> String {
    format!("gguf-metadata-{}", kind.slug())
}

const SPEC: &str = "https://github.com/ggml-org/ggml/blob/master/docs/gguf.md";
const SIZE_OVERFLOW: &str =
    "https://github.com/ggml-org/llama.cpp/security/advisories/GHSA-96jg-mvhq-q7q7";
const OUT_OF_BOUNDS_READ: &str = "https://nvd.nist.gov/vuln/detail/CVE-2026-7482";

pub fn catalog() -> Vec<Rule> {
    let mut rules = vec![
        Rule::new(HEADER, "Header is a supported GGUF header with plausible counts", Severity::High, "denial-of-service")
            .description("Magic `GGUF`, version 1 to 3, and tensor and key-value counts that the file can hold; loaders size allocations from these counts.")
            .cwe(&[20, 789])
            .remediation("Do not load the file; obtain it again from a trusted source.")
            .references(&[SPEC]),
        Rule::new(METADATA, "Metadata entries parse", Severity::High, "integrity")
            .description("Every key-value pair has an ASCII key under 64 KiB, a known value type, strings and arrays that fit in the file, arrays nested at most two deep, and booleans that are 0 or 1.")
            .cwe(&[20, 130])
            .remediation("The file is corrupt or crafted; do not load it.")
            .references(&[SPEC]),
        Rule::new(DUPLICATE_KEY, "Metadata keys are unique", Severity::High, "tampering")
            .description("A key listed twice resolves differently in different loaders, so a reviewer and the runtime can see different chat templates or hyperparameters.")
            .cwe(&[694])
            .attack(&["AML.T0018"])
            .remediation("Reject the file; re-export it with a trusted tool.")
            .references(&[SPEC]),
        Rule::new(ALIGNMENT, "Alignment is a power of two", Severity::Medium, "integrity")
            .description("`general.alignment`, when present, must be a uint32 power of two; it places the data section and every tensor.")
            .cwe(&[20])
            .remediation("The file is corrupt or crafted; do not load it.")
            .references(&[SPEC]),
        Rule::new(TENSOR_INFO, "Tensor infos are well formed", Severity::High, "integrity")
            .description("Each tensor has a name under 64 bytes, at most 4 dimensions whose product fits in 64 bits, a known ggml type, and a row length that is a multiple of the type's block size. Overflowing sizes have led to heap overflows in loaders.")
            .cwe(&[20, 190])
            .remediation("The file is corrupt or crafted; do not load it.")
            .references(&[SPEC, SIZE_OVERFLOW]),
        Rule::new(DUPLICATE_TENSOR, "Tensor names are unique", Severity::High, "tampering")
            .description("A tensor name listed twice lets different loaders pick different weights.")
            .cwe(&[694])
            .attack(&["AML.T0018"])
            .remediation("Reject the file; re-export it with a trusted tool.")
            .references(&[SPEC]),
        Rule::new(TENSOR_BOUNDS, "Tensor data lies inside the file and is aligned", Severity::High, "integrity")
            .description("Each tensor's bytes (data section start + offset, size from shape and type) must end inside the file, at an offset that is a multiple of the alignment. Tensors that point past their data make loaders read out of bounds.")
            .cwe(&[125, 131])
            .remediation("The file is corrupt or crafted; do not load it.")
            .references(&[SPEC, OUT_OF_BOUNDS_READ]),
        Rule::new(DATA_LAYOUT, "Tensor data covers the data section exactly", Severity::Medium, "tampering")
            .description("Tensors must not overlap (high) and, apart from alignment padding, no bytes of the data section may belong to no tensor: unclaimed bytes can smuggle a payload.")
            .cwe(&[506])
            .attack(&["AML.T0018"])
            .remediation("Inspect the unclaimed bytes; re-export the model with a trusted tool.")
            .references(&[SPEC]),
        Rule::new(TEMPLATE_INJECTION, template::INJECTION_TITLE, Severity::Critical, "code-execution")
            .description(template::INJECTION_DESCRIPTION)
            .cwe(template::INJECTION_CWE)
            .attack(template::INJECTION_ATTACK)
            .remediation(template::INJECTION_REMEDIATION)
            .references(template::INJECTION_REFERENCES)
            .false_positives(template::INJECTION_FALSE_POSITIVES),
        Rule::new(TEMPLATE_SYNTAX, template::SYNTAX_TITLE, Severity::Low, "integrity")
            .description(template::SYNTAX_DESCRIPTION)
            .cwe(template::SYNTAX_CWE)
            .remediation(template::SYNTAX_REMEDIATION)
            .references(&[SPEC]),
    ];
    for kind in TEXT_KINDS {
        let text = kind.rule_text();
        rules.push(
            Rule::new(
                &text_rule(kind),
                text.title,
                crate::analyze::text_severity(text.level),
                text.category,
            )
            .description(text.description)
            .cwe(text.cwe)
            .attack(text.attack)
            .remediation(text.remediation)
            .false_positives(text.false_positives),
        );
    }
    rules
}
