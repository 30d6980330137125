//! Checks over a parsed configuration (JSON, or YAML read into the same shape):
//! custom-code pointers, chat templates, instantiation targets, strings, and the
//! model facts worth reporting.

use cordon_plugin_sdk::{Check, ScanOutput, Severity};
use cordon_text_audit as text;
use serde_json::Value;

use crate::rules;
use crate::templates::{self, Template};

/// Nodes visited per file; the rest of a larger document is not checked.
const MAX_NODES: usize = 200_000;
/// Bytes of all strings searched per file (each string: its first `text::MAX_TEXT`).
const MAX_TOTAL_SCAN: usize = 4 << 20;

/// Modules whose callables run commands, evaluate code or import arbitrary modules.
const DANGEROUS_MODULES: &[&str] = &[
    "os",
    "posix",
    "nt",
    "subprocess",
    "sys",
    "shutil",
    "pty",
    "socket",
    "importlib",
    "runpy",
    "pickle",
    "marshal",
    "ctypes",
    "code",
    "codeop",
    "webbrowser",
    "builtins",
    "__builtin__",
    "commands",
    "multiprocessing",
];

/// Keys whose values identify the model, and the report keys they become.
const FACTS: &[(&str, &str)] = &[
    ("model_type", "model-type"),
    ("transformers_version", "transformers-version"),
    ("torch_dtype", "torch-dtype"),
    ("tokenizer_class", "tokenizer-class"),
    ("vocab_size", "vocab-size"),
    ("max_position_embeddings", "context-length"),
    ("peft_type", "peft-type"),
    ("base_model_name_or_path", "base-model"),
    ("_class_name", "pipeline-class"),
];

/// A dotted callable in a module that runs commands or code, or a bare `eval`.
pub fn dangerous_callable(target: &str) -> bool {
    let root = target.split('.').next().unwrap_or_default();
    DANGEROUS_MODULES.contains(&root)
        || matches!(target, "eval" | "exec" | "compile" | "__import__")
}

/// One node of the document: its JSON pointer, the key it sits under, its value.
pub struct Node<'a> {
    pub pointer: String,
    pub key: Option<&'a str>,
    pub value: &'a Value,
}

/// Every node, depth first, up to [`MAX_NODES`]; `true` when the document was cut short.
pub fn flatten(root: &Value) -> (Vec<Node<'_>>, bool) {
    let mut nodes = Vec::new();
    let mut stack = vec![(String::new(), None, root)];
    while let Some((pointer, key, value)) = stack.pop() {
        if nodes.len() >= MAX_NODES {
            return (nodes, true);
        }
        match value {
            Value::Object(map) => {
                for (k, v) in map.iter().rev() {
                    stack.push((
                        format!("{pointer}/{}", k.replace('~', "~0").replace('/', "~1")),
                        Some(k.as_str()),
                        v,
                    ));
                }
            }
            Value::Array(items) => {
                for (i, v) in items.iter().enumerate().rev() {
                    stack.push((format!("{pointer}/{i}"), key, v));
                }
            }
            _ => {}
        }
        nodes.push(Node {
            pointer,
            key,
            value,
        });
    }
    (nodes, false)
}

pub fn analyze(root: &Value, out: &mut ScanOutput) {
    let (nodes, truncated) = flatten(root);
    if truncated {
        out.push(Check::error(
            rules::PARSE,
            format!("document has more than {MAX_NODES} values; the rest was not checked"),
        ));
    }
    remote_code(&nodes, out);
    let templates = templates::find(&nodes);
    templates::check(&templates, out);
    targets(&nodes, out);
    strings(&nodes, &templates, out);
    facts(root, &templates, out);
}

/// A class reference in `auto_map`: `module.Class`, or `owner/repo--module.Class`.
struct CodeRef {
    auto_class: String,
    repo: Option<String>,
    module: String,
    class: String,
}

fn code_ref(auto_class: &str, reference: &str) -> Option<CodeRef> {
    let (repo, local) = match reference.split_once("--") {
        Some((repo, local)) => (Some(repo.to_owned()), local),
        None => (None, reference),
    };
    let (module, class) = local.rsplit_once('.')?;
    Some(CodeRef {
        auto_class: auto_class.to_owned(),
        repo,
        module: module.to_owned(),
        class: class.to_owned(),
    })
}

fn remote_code(nodes: &[Node], out: &mut ScanOutput) {
    let mut failures = Vec::new();
    let mut refs: Vec<CodeRef> = Vec::new();
    for node in nodes {
        match (node.key, node.value) {
            (Some("auto_map"), Value::Object(map)) if node.pointer.ends_with("/auto_map") => {
                for (auto_class, target) in map {
                    // Tokenizers map to `[slow, fast]`, either possibly null.
                    let targets: Vec<&str> = match target {
                        Value::String(s) => vec![s],
                        Value::Array(items) => items.iter().filter_map(Value::as_str).collect(),
                        _ => Vec::new(),
                    };
                    refs.extend(targets.into_iter().filter_map(|t| code_ref(auto_class, t)));
                }
            }
            (Some("custom_pipelines"), Value::Object(tasks)) => {
                for (task, spec) in tasks {
                    if let Some(r) = spec
                        .get("impl")
                        .and_then(Value::as_str)
                        .and_then(|i| code_ref(&format!("pipeline {task}"), i))
                    {
                        refs.push(r);
                    }
                }
            }
            (Some("trust_remote_code"), Value::Bool(true)) => failures.push(
                Check::failed(
                    rules::REMOTE_CODE,
                    "trust_remote_code is true: loaders run the repository's Python without asking",
                )
                .locator(node.pointer.as_str()),
            ),
            _ => {}
        }
    }
    for r in &refs {
        let check = match &r.repo {
            Some(repo) => Check::failed(
                rules::REMOTE_CODE,
                format!(
                    "{} loads {}.{} from another repository, {repo}",
                    r.auto_class, r.module, r.class
                ),
            )
            .severity(Severity::High),
            None => Check::failed(
                rules::REMOTE_CODE,
                format!(
                    "{} loads {}.{} from {}.py shipped with the model",
                    r.auto_class,
                    r.module,
                    r.class,
                    r.module.replace('.', "/")
                ),
            ),
        };
        failures.push(
            check
                .locator(format!("auto_map/{}", r.auto_class))
                .evidence("module", &r.module)
                .evidence("class", &r.class),
        );
    }
    if !refs.is_empty() {
        let classes: Vec<String> = refs
            .iter()
            .map(|r| format!("{}={}.{}", r.auto_class, r.module, r.class))
            .collect();
        out.meta("remote-code", classes.join(","));
        let mut modules: Vec<String> = refs
            .iter()
            .map(|r| match &r.repo {
                Some(repo) => format!("{repo}:{}.py", r.module.replace('.', "/")),
                None => format!("{}.py", r.module.replace('.', "/")),
            })
            .collect();
        modules.sort();
        modules.dedup();
        out.meta("remote-code-modules", modules.join(","));
    }
    out.outcome(
        rules::REMOTE_CODE,
        failures,
        "no auto_map, custom_pipelines or trust_remote_code",
    );
}

/// Hydra/OmegaConf `_target_` callables.
fn targets(nodes: &[Node], out: &mut ScanOutput) {
    let mut failures = Vec::new();
    let mut all = Vec::new();
    for node in nodes {
        let (Some("_target_"), Value::String(target)) = (node.key, node.value) else {
            continue;
        };
        all.push(target.as_str());
        if dangerous_callable(target) {
            failures.push(
                Check::failed(
                    rules::INSTANTIATE_TARGET,
                    format!(
                        "_target_ {target} runs commands or code when the config is instantiated"
                    ),
                )
                .locator(node.pointer.as_str()),
            );
        }
    }
    if !all.is_empty() {
        out.meta(
            "instantiate-targets",
            all.iter().take(50).copied().collect::<Vec<_>>().join(","),
        );
    }
    out.outcome(
        rules::INSTANTIATE_TARGET,
        failures,
        format!(
            "{} instantiation targets, none a command or eval",
            all.len()
        ),
    );
}

/// Every string value except chat templates and `_target_`s (which have their
/// own rules), searched for code, commands, credentials, URLs and traversal.
fn strings(nodes: &[Node], templates: &[Template], out: &mut ScanOutput) {
    let mut failures: Vec<Vec<Check>> = text::Kind::ALL.iter().map(|_| Vec::new()).collect();
    let mut scanned = 0usize;
    let mut values = 0usize;
    for node in nodes {
        let Value::String(s) = node.value else {
            continue;
        };
        if scanned >= MAX_TOTAL_SCAN
            || node.key == Some("_target_")
            || templates.iter().any(|t| t.pointer == node.pointer)
        {
            continue;
        }
        let end = s.floor_char_boundary(text::MAX_TEXT.min(MAX_TOTAL_SCAN - scanned));
        scanned += end;
        values += 1;
        for found in text::scan(&s[..end]) {
            let slot = text::Kind::ALL
                .iter()
                .position(|k| *k == found.kind)
                .expect("every kind is listed");
            let encoded = if found.encoded {
                " (base64-encoded)"
            } else {
                ""
            };
            failures[slot].push(
                Check::failed(
                    &rules::text_rule(found.kind),
                    format!(
                        "{}: {}{encoded}: {}",
                        node.pointer, found.what, found.excerpt
                    ),
                )
                .severity(rules::text_severity(found.level))
                .locator(node.pointer.as_str()),
            );
        }
    }
    for (kind, failures) in text::Kind::ALL.iter().zip(failures) {
        out.outcome(
            &rules::text_rule(*kind),
            failures,
            format!("nothing found in {values} string values"),
        );
    }
}

fn facts(root: &Value, templates: &[Template], out: &mut ScanOutput) {
    let Value::Object(map) = root else { return };
    for (key, name) in FACTS {
        match map.get(*key) {
            Some(Value::String(s)) => out.meta(*name, s.chars().take(200).collect::<String>()),
            Some(Value::Number(n)) => out.meta(*name, n),
            _ => {}
        }
    }
    if let Some(Value::Array(archs)) = map.get("architectures") {
        let names: Vec<&str> = archs.iter().filter_map(Value::as_str).collect();
        out.meta("architectures", names.join(","));
    }
    // model_max_length is often a 1e30 "no limit" sentinel.
    if let Some(n) = map
        .get("model_max_length")
        .and_then(Value::as_u64)
        .filter(|n| *n < 1 << 32)
        && !map.contains_key("max_position_embeddings")
    {
        out.meta("context-length", n);
    }
    if !templates.is_empty() {
        let names: Vec<&str> = templates.iter().map(|t| t.name.as_str()).collect();
        out.meta("chat-templates", names.join(","));
    }
}
