//! Facts about the model recorded as metadata: class, layers, inputs, training.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::findings::Findings;

/// Layer types listed in `layer-types`, most frequent first.
const TOP_LAYER_TYPES: usize = 10;
/// Input shapes listed.
const MAX_INPUTS: usize = 8;

#[derive(Default)]
pub struct Facts {
    model_class: Option<String>,
    model_name: Option<String>,
    layer_types: BTreeMap<String, usize>,
    input_shapes: Vec<String>,
    optimizer: Option<String>,
    loss: Option<String>,
}

impl Facts {
    /// The model's own class and name (the configuration's root object).
    pub fn model(&mut self, root: &Value) {
        self.model_class = root
            .get("class_name")
            .and_then(Value::as_str)
            .map(str::to_owned);
        self.model_name = root
            .get("config")
            .and_then(|c| c.get("name"))
            .and_then(Value::as_str)
            .map(str::to_owned);
    }

    /// Optimizer and loss from an HDF5 `training_config` or a v3 `compile_config`.
    pub fn training(&mut self, training: &Value) {
        self.optimizer = training
            .get("optimizer_config")
            .or_else(|| training.get("optimizer"))
            .and_then(|o| o.get("class_name"))
            .and_then(Value::as_str)
            .map(str::to_owned);
        self.loss = match training.get("loss") {
            Some(Value::String(loss)) => Some(loss.clone()),
            Some(Value::Object(o)) => o
                .get("class_name")
                .and_then(Value::as_str)
                .map(str::to_owned),
            _ => None,
        };
    }

    /// An entry of a `layers` list.
    pub fn layer(&mut self, class: &str, config: Option<&Value>) {
        *self.layer_types.entry(class.to_owned()).or_default() += 1;
        let shape =
            config.and_then(|c| c.get("batch_shape").or_else(|| c.get("batch_input_shape")));
        if let Some(shape) = shape.filter(|s| s.is_array())
            && self.input_shapes.len() < MAX_INPUTS
        {
            self.input_shapes.push(shape.to_string());
        }
    }

    pub fn record(self, findings: &mut Findings) {
        if let Some(class) = self.model_class {
            findings.meta("model-class", class);
        }
        if let Some(name) = self.model_name {
            findings.meta("model-name", name);
        }
        if !self.layer_types.is_empty() {
            findings.meta("layer-count", self.layer_types.values().sum::<usize>());
            let mut types: Vec<_> = self.layer_types.into_iter().collect();
            types.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            let listed: Vec<String> = types
                .iter()
                .take(TOP_LAYER_TYPES)
                .map(|(class, n)| format!("{class}:{n}"))
                .collect();
            findings.meta("layer-types", listed.join(","));
        }
        if !self.input_shapes.is_empty() {
            findings.meta("input-shapes", self.input_shapes.join(";"));
        }
        if let Some(optimizer) = self.optimizer {
            findings.meta("optimizer", optimizer);
        }
        if let Some(loss) = self.loss {
            findings.meta("loss", loss);
        }
    }
}
