//! Analysis of a Keras model configuration (HDF5 `model_config` and
//! `training_config`, or a `.keras` archive's `config.json`): Lambda code,
//! modules, registered names and functions the loader would import or call,
//! external references, and facts about the model.

mod facts;
mod lambda;
mod names;

use std::collections::BTreeSet;

use cordon_plugin_sdk::{Check, Severity};
use serde_json::{Map, Value};

use crate::findings::Findings;
use crate::rules;
pub use facts::Facts;
pub use lambda::{Function, functions};

/// JSON values visited per document.
const MAX_NODES: usize = 2_000_000;
/// Keys whose string values are file paths or URLs when they look like one.
const PATH_KEYS: &[&str] = &[
    "filepath",
    "file_path",
    "path",
    "vocabulary",
    "origin",
    "url",
    "handle",
    "fname",
    "saved_model_dir",
    "model_path",
    "weights_path",
];
/// File name suffixes that make a bare string a file reference.
const FILE_SUFFIXES: &[&str] = &[
    ".txt", ".json", ".h5", ".hdf5", ".keras", ".pb", ".csv", ".tsv", ".vocab", ".model", ".pkl",
    ".npy", ".npz", ".bin", ".so", ".dll", ".py",
];

/// Walks configuration documents, recording findings and gathering facts.
pub struct Analysis<'a> {
    findings: &'a mut Findings,
    pub facts: Facts,
    /// JSON pointers of values already reported, so the walk does not report them twice.
    handled: BTreeSet<String>,
    nodes: usize,
}

impl<'a> Analysis<'a> {
    pub fn new(findings: &'a mut Findings) -> Self {
        Analysis {
            findings,
            facts: Facts::default(),
            handled: BTreeSet::new(),
            nodes: 0,
        }
    }

    /// Walk one document; `label` names it in locators (`model_config`, `config.json`).
    pub fn document(&mut self, label: &str, value: &Value) {
        self.nodes = 0;
        let mut path = vec![label.to_owned()];
        self.visit(value, &mut path, None);
    }

    pub fn record(&mut self, check: Check) {
        self.findings.record(check);
    }

    /// Conclude the configuration rules and record the facts.
    pub fn finish(self) {
        let Analysis {
            findings, facts, ..
        } = self;
        findings.conclude(rules::LAMBDA_CODE, "no Lambda layers or serialized lambdas");
        findings.conclude(
            rules::DANGEROUS_MODULE,
            "no object refers to a module that runs commands or code",
        );
        findings.conclude(
            rules::UNSAFE_FUNCTION,
            "no reference to functions that disable safe mode, load models or touch files",
        );
        findings.conclude(
            rules::CUSTOM_OBJECT,
            "every object comes from Keras or TensorFlow",
        );
        facts.record(findings);
    }

    fn visit(&mut self, value: &Value, path: &mut Vec<String>, key: Option<&str>) {
        self.nodes += 1;
        if self.nodes == MAX_NODES {
            self.findings.record(
                Check::error(
                    rules::CONFIG_JSON,
                    format!(
                        "configuration has more than {MAX_NODES} values; the rest was not analysed"
                    ),
                )
                .locator(pointer(path)),
            );
        }
        if self.nodes >= MAX_NODES {
            return;
        }
        match value {
            Value::Object(map) => {
                let mut descend = true;
                if let Some(class) = map.get("class_name").and_then(Value::as_str) {
                    descend = self.object(class, map, path, key == Some("layers"));
                }
                if descend {
                    for (k, v) in map {
                        path.push(k.clone());
                        self.visit(v, path, Some(k));
                        path.pop();
                    }
                }
            }
            Value::Array(items) => {
                for (i, v) in items.iter().enumerate() {
                    path.push(i.to_string());
                    self.visit(v, path, key);
                    path.pop();
                }
            }
            Value::String(text) => self.string(text, key, path),
            _ => {}
        }
    }

    /// A serialized Keras object. Returns whether to walk its children.
    fn object(
        &mut self,
        class: &str,
        map: &Map<String, Value>,
        path: &[String],
        is_layer: bool,
    ) -> bool {
        let here = pointer(path);
        if self.handled.contains(&here) {
            return false;
        }
        let config = map.get("config");
        // How messages name the object: its class, and its name when it has one.
        let name = match config
            .and_then(|c| c.get("name"))
            .or_else(|| map.get("name"))
            .and_then(Value::as_str)
        {
            Some(n) => format!("{class} {n:?}"),
            None => class.to_owned(),
        };
        if is_layer {
            self.facts.layer(class, config);
        }
        let module = map.get("module").and_then(Value::as_str);
        if let Some(module) = module {
            self.module(module, "module", class, &name, &here);
        }
        if class.contains('.') {
            self.module(class, "class_name", class, &name, &here);
        }
        if let Some(registered) = map.get("registered_name").and_then(Value::as_str)
            && let Some((package, _)) = registered.split_once('>')
        {
            self.module(package, "registered_name", class, &name, &here);
        }
        match class {
            "function" => {
                let function = config.and_then(Value::as_str).unwrap_or_default();
                let full = match module {
                    Some(m) => format!("{m}.{function}"),
                    None => function.to_owned(),
                };
                if names::is_unsafe_function(function) {
                    self.unsafe_function(&full, &here, "function object");
                }
                false
            }
            "Lambda" => {
                self.lambda_layer(&name, config, &here);
                true
            }
            "__lambda__" => {
                for f in functions(&Value::Object(map.clone()), None) {
                    self.lambda_function(&name, f, &here);
                }
                false
            }
            "TFOpLambda" => {
                let op = config
                    .and_then(|c| c.get("function"))
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                if names::is_unsafe_function(op) || op.starts_with("io.gfile") {
                    self.unsafe_function(&format!("tf.{op}"), &here, "TFOpLambda operation");
                }
                true
            }
            "TFSMLayer" | "KerasLayer" => {
                let target = config
                    .and_then(|c| c.get("filepath").or_else(|| c.get("handle")))
                    .and_then(Value::as_str)
                    .unwrap_or("(not given)");
                let severity = if class == "TFSMLayer" {
                    Severity::High
                } else {
                    Severity::Medium
                };
                self.findings.record(
                    Check::failed(
                        rules::EXTERNAL_REFERENCE,
                        format!("{name} loads an external model from {target:?}"),
                    )
                    .severity(severity)
                    .locator(here.clone())
                    .evidence("class_name", class)
                    .evidence("target", target),
                );
                self.handled.insert(format!("{here}/config/filepath"));
                self.handled.insert(format!("{here}/config/handle"));
                true
            }
            _ => true,
        }
    }

    /// A module reference found in `field` of object `class` named `name`.
    fn module(&mut self, module: &str, field: &str, class: &str, name: &str, here: &str) {
        if names::is_dangerous_module(module) {
            self.findings.record(
                Check::failed(
                    rules::DANGEROUS_MODULE,
                    format!("{name} has {field} {module:?}: Keras imports it on load"),
                )
                .confidence(95)
                .locator(here)
                .evidence(field, module)
                .evidence("class_name", class),
            );
        } else if !names::is_keras_package(module) {
            self.findings.record(
                Check::failed(
                    rules::CUSTOM_OBJECT,
                    format!(
                        "{class} {name:?} has {field} {module:?}, outside Keras and TensorFlow"
                    ),
                )
                .confidence(80)
                .locator(here)
                .evidence(field, module)
                .evidence("class_name", class),
            );
        }
    }

    fn unsafe_function(&mut self, function: &str, here: &str, what: &str) {
        self.findings.record(
            Check::failed(rules::UNSAFE_FUNCTION, format!("{what} calls {function}"))
                .confidence(90)
                .locator(here)
                .evidence("function", function),
        );
    }

    fn lambda_layer(&mut self, name: &str, config: Option<&Value>, here: &str) {
        let Some(config) = config else { return };
        let module = config.get("module").and_then(Value::as_str);
        let mut fields = vec!["function"];
        if config.get("output_shape_type").and_then(Value::as_str) == Some("lambda") {
            fields.push("output_shape");
        }
        for field in fields {
            let Some(value) = config.get(field) else {
                continue;
            };
            let at = format!("{here}/config/{field}");
            for f in functions(value, module) {
                self.lambda_function(name, f, &at);
            }
            self.handled.insert(at);
        }
    }

    fn lambda_function(&mut self, layer: &str, f: Function, here: &str) {
        let dangerous = f.dangerous();
        let check = match &f {
            Function::Named { module, name } => {
                let full = module
                    .as_ref()
                    .map_or(name.clone(), |m| format!("{m}.{name}"));
                let unsafe_module = module.as_deref().is_some_and(names::is_dangerous_module);
                if names::is_unsafe_function(name) || unsafe_module || !dangerous.is_empty() {
                    Check::failed(rules::UNSAFE_FUNCTION, format!("{layer} calls {full}"))
                        .confidence(90)
                } else {
                    Check::failed(
                        rules::CUSTOM_OBJECT,
                        format!("{layer} calls {full}, which the loading program must provide"),
                    )
                    .confidence(70)
                }
            }
            _ => {
                let what = match &f {
                    Function::Bytecode(code) => {
                        format!("Python bytecode (code object {:?})", code.name)
                    }
                    Function::Opaque { .. } => "undecodable Python bytecode".to_owned(),
                    _ => "Python source".to_owned(),
                };
                if dangerous.is_empty() {
                    Check::failed(
                        rules::LAMBDA_CODE,
                        format!("{layer} embeds {what} that runs when the model loads"),
                    )
                    .severity(Severity::High)
                    .confidence(70)
                } else {
                    Check::failed(
                        rules::LAMBDA_CODE,
                        format!("{layer} embeds {what} that uses {}", dangerous.join(", ")),
                    )
                    .confidence(95)
                }
            }
        };
        let check = f.evidence().into_iter().fold(
            check.locator(here).evidence("object", layer),
            |c, (k, v)| c.evidence(k, v),
        );
        self.findings.record(check);
    }

    fn string(&mut self, text: &str, key: Option<&str>, path: &[String]) {
        let here = pointer(path);
        if self.handled.contains(&here) {
            return;
        }
        if text.contains("enable_unsafe_deserialization") {
            self.unsafe_function(
                "enable_unsafe_deserialization",
                &here,
                "configuration value",
            );
        }
        if key.is_some_and(|k| PATH_KEYS.contains(&k)) && looks_external(text) {
            self.findings.record(
                Check::failed(
                    rules::EXTERNAL_REFERENCE,
                    format!(
                        "{} refers to {text:?} outside the model",
                        key.unwrap_or_default()
                    ),
                )
                .confidence(80)
                .locator(here)
                .evidence("reference", text),
            );
        }
    }
}

/// Whether a string names a file or URL.
fn looks_external(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    !text.is_empty()
        && text.len() < 4096
        && (lower.contains("://")
            || text.starts_with(['/', '~', '\\'])
            || text.starts_with("./")
            || text.starts_with("../")
            || text.get(1..3) == Some(":\\")
            || FILE_SUFFIXES.iter().any(|s| lower.ends_with(s)))
}

fn pointer(path: &[String]) -> String {
    path.join("/")
}
