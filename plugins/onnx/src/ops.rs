//! Which operators nodes use: a histogram, custom domains, and Python-backed operators.

use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Operator domains of ONNX itself and of ONNX Runtime's built-in contrib operators.
const STANDARD_DOMAINS: &[&str] = &[
    "",
    "ai.onnx",
    "ai.onnx.ml",
    "ai.onnx.training",
    "ai.onnx.preview.training",
    "com.microsoft",
    "com.microsoft.experimental",
    "com.microsoft.nchwc",
    "com.microsoft.dml",
    "com.ms.internal.nhwc",
];

/// Operator names (compared case-insensitively) whose kernel is a Python callable:
/// onnxruntime-extensions' PyOp, ORTModule's PythonOp/PythonOpGrad, and TensorFlow-style
/// PyFunc names carried over by converters.
const PYTHON_OPS: &[&str] = &[
    "pyop",
    "pythonop",
    "pythonopgrad",
    "pyfunc",
    "pyfunction",
    "pycall",
];

/// Distinct operators counted in the histogram; the rest are summed as one entry.
const MAX_DISTINCT_OPS: usize = 10_000;
/// Custom domains tracked one by one, and operator names kept per domain as evidence.
const MAX_CUSTOM_DOMAINS: usize = 256;
const MAX_OPS_PER_DOMAIN: usize = 10;

pub fn is_standard_domain(domain: &str) -> bool {
    STANDARD_DOMAINS.contains(&domain)
}

/// Whether the node's operator is implemented by a Python callable. onnxruntime-extensions
/// registers Python operators in `ai.onnx.contrib`, conventionally named `Py...`.
pub fn is_python(domain: &str, op_type: &str) -> bool {
    let op = op_type.to_ascii_lowercase();
    PYTHON_OPS.contains(&op.as_str())
        || domain.to_ascii_lowercase().contains("python")
        || (domain == "ai.onnx.contrib" && op.starts_with("py"))
}

/// Where a custom domain is used.
pub struct DomainUse {
    pub nodes: u64,
    pub ops: BTreeSet<String>,
    /// Locator and offset of the first node using it.
    pub first: (String, u64),
}

#[derive(Default)]
pub struct Usage {
    histogram: HashMap<String, u64>,
    other_ops: u64,
    custom: BTreeMap<String, DomainUse>,
    more_custom_domains: u64,
    /// Domains of functions the model defines: calls into them are not custom operators.
    local_domains: BTreeSet<String>,
}

impl Usage {
    pub fn node(&mut self, domain: &str, op_type: &str, locator: &str, offset: u64) {
        let key = if is_standard_domain(domain) {
            op_type.to_string()
        } else {
            format!("{domain}:{op_type}")
        };
        if let Some(n) = self.histogram.get_mut(&key) {
            *n += 1;
        } else if self.histogram.len() < MAX_DISTINCT_OPS {
            self.histogram.insert(key, 1);
        } else {
            self.other_ops += 1;
        }
        if is_standard_domain(domain) {
            return;
        }
        if !self.custom.contains_key(domain) && self.custom.len() >= MAX_CUSTOM_DOMAINS {
            self.more_custom_domains += 1;
            return;
        }
        let entry = self
            .custom
            .entry(domain.to_string())
            .or_insert_with(|| DomainUse {
                nodes: 0,
                ops: BTreeSet::new(),
                first: (locator.to_string(), offset),
            });
        entry.nodes += 1;
        if entry.ops.len() < MAX_OPS_PER_DOMAIN {
            entry.ops.insert(op_type.to_string());
        }
    }

    pub fn local_function(&mut self, domain: String) {
        if self.local_domains.len() < MAX_CUSTOM_DOMAINS {
            self.local_domains.insert(domain);
        }
    }

    /// Custom domains no model-defined function accounts for.
    pub fn custom_domains(&self) -> impl Iterator<Item = (&String, &DomainUse)> {
        self.custom
            .iter()
            .filter(|(d, _)| !self.local_domains.contains(*d))
    }

    /// Nodes in domains beyond the tracking cap, not listed by [`Usage::custom_domains`].
    pub fn untracked_custom_nodes(&self) -> u64 {
        self.more_custom_domains
    }

    pub fn distinct(&self) -> usize {
        self.histogram.len() + usize::from(self.other_ops > 0)
    }

    /// The `n` most used operators as `op:count`, most used first.
    pub fn top(&self, n: usize) -> String {
        let mut ops: Vec<(&String, &u64)> = self.histogram.iter().collect();
        ops.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        ops.iter()
            .take(n)
            .map(|(op, count)| format!("{op}:{count}"))
            .collect::<Vec<_>>()
            .join(",")
    }
}
