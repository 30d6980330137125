//! Judging a graph's (or a function's) operations: calls into Python, file access,
//! and checkpoint operations whose path is a constant pointing outside the model.

use std::collections::{BTreeMap, HashMap};

use cordon_plugin_sdk::Check;

use crate::rules;
use cordon_plugin_sdk::Deferred;

/// Operations whose kernel calls a Python callable.
const CODE_EXEC_OPS: &[&str] = &["PyFunc", "PyFuncStateless", "EagerPyFunc", "PyCall"];

/// Operations that name files, the rule judging them and the inputs naming the file.
/// File-system operations are flagged whatever the path; checkpoint operations only
/// when a constant path leads outside the model.
const PATH_OPS: &[(&str, &str, &[usize])] = &[
    ("ReadFile", rules::FILE_ACCESS_OP, &[0]),
    ("WriteFile", rules::FILE_ACCESS_OP, &[0]),
    ("MatchingFiles", rules::FILE_ACCESS_OP, &[0]),
    // Its path is the `memory_region_name` attribute.
    ("ImmutableConst", rules::FILE_ACCESS_OP, &[]),
    ("Save", rules::CHECKPOINT_PATH, &[0]),
    ("SaveSlices", rules::CHECKPOINT_PATH, &[0]),
    ("SaveV2", rules::CHECKPOINT_PATH, &[0]),
    ("Restore", rules::CHECKPOINT_PATH, &[0]),
    ("RestoreSlice", rules::CHECKPOINT_PATH, &[0]),
    ("RestoreV2", rules::CHECKPOINT_PATH, &[0]),
    ("MergeV2Checkpoints", rules::CHECKPOINT_PATH, &[0, 1]),
];

/// Inputs kept per node: enough for every path input above.
pub const MAX_INPUTS: usize = 2;
/// Budget of constant string bytes kept per scope to resolve path inputs.
const CONST_BYTES_BUDGET: usize = 4 << 20;
/// Distinct operation types counted; the rest are summed as one entry.
const MAX_DISTINCT_OPS: usize = 10_000;

/// What one NodeDef says, as far as the checks need.
#[derive(Debug, Default)]
pub struct Node {
    pub name: String,
    pub op: String,
    /// The first data inputs, in order.
    pub inputs: Vec<String>,
    /// string_val of the `value` attribute's tensor (a string Const's value).
    pub value_strings: Vec<String>,
    /// The `token` attribute: which registered Python callable a PyFunc runs.
    pub token: Option<String>,
    /// The `memory_region_name` attribute: the file ImmutableConst maps.
    pub memory_region: Option<String>,
}

#[derive(Default)]
pub struct Histogram {
    counts: BTreeMap<String, u64>,
    other: u64,
}

impl Histogram {
    fn add(&mut self, op: &str) {
        if let Some(n) = self.counts.get_mut(op) {
            *n += 1;
        } else if self.counts.len() < MAX_DISTINCT_OPS {
            self.counts.insert(op.to_string(), 1);
        } else {
            self.other += 1;
        }
    }

    pub fn distinct(&self) -> usize {
        self.counts.len() + usize::from(self.other > 0)
    }

    /// Up to `n` operation types as `op:count`, most used first.
    pub fn top(&self, n: usize) -> String {
        let mut ops: Vec<_> = self.counts.iter().collect();
        ops.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        ops.iter()
            .take(n)
            .map(|(op, count)| format!("{op}:{count}"))
            .collect::<Vec<_>>()
            .join(",")
    }
}

/// Counters over every scope, for metadata and pass messages.
#[derive(Default)]
pub struct Totals {
    pub nodes: u64,
    pub ops: Histogram,
    pub checkpoint_ops: u64,
}

/// A node whose file path is judged once the whole scope is read, since the
/// constants feeding it may come later.
struct PathUse {
    rule: &'static str,
    op: String,
    locator: String,
    offset: u64,
    inputs: Vec<String>,
    attribute_path: Option<String>,
}

/// The nodes of one graph or function body: node names resolve within it.
pub struct Scope {
    prefix: String,
    consts: HashMap<String, Vec<String>>,
    const_bytes: usize,
    uses: Vec<PathUse>,
}

impl Scope {
    /// `prefix` starts every node locator, e.g. `meta_graphs[0]/function f/`.
    pub fn new(prefix: String) -> Self {
        Scope {
            prefix,
            consts: HashMap::new(),
            const_bytes: 0,
            uses: Vec::new(),
        }
    }

    pub fn set_prefix(&mut self, prefix: String) {
        self.prefix = prefix;
    }

    pub fn add(&mut self, node: Node, offset: u64, totals: &mut Totals, findings: &mut Deferred) {
        totals.nodes += 1;
        totals.ops.add(&node.op);
        let locator = format!("{}{}", self.prefix, node.name);
        if CODE_EXEC_OPS.contains(&node.op.as_str()) {
            let mut check = Check::failed(
                rules::CODE_EXEC_OP,
                format!(
                    "node {locator} is a {} operation: running the graph calls Python code",
                    node.op
                ),
            )
            .locator(locator.as_str())
            .offset(offset)
            .evidence("op", &node.op);
            if let Some(token) = &node.token {
                check = check.evidence("token", token);
            }
            findings.push(check);
        }
        if let Some((_, rule, positions)) = PATH_OPS.iter().find(|(op, ..)| *op == node.op) {
            totals.checkpoint_ops += u64::from(*rule == rules::CHECKPOINT_PATH);
            self.uses.push(PathUse {
                rule,
                op: node.op.clone(),
                locator,
                offset,
                inputs: positions
                    .iter()
                    .filter_map(|i| node.inputs.get(*i).cloned())
                    .collect(),
                attribute_path: node.memory_region.clone(),
            });
        }
        if node.op == "Const" && !node.value_strings.is_empty() {
            let size: usize = node.value_strings.iter().map(String::len).sum();
            if self.const_bytes + size <= CONST_BYTES_BUDGET {
                self.const_bytes += size;
                self.consts.insert(node.name, node.value_strings);
            }
        }
    }

    /// Judge the file paths of the scope's file and checkpoint operations.
    pub fn finish(self, findings: &mut Deferred) {
        for u in &self.uses {
            let paths: Vec<&str> = u
                .inputs
                .iter()
                .filter_map(|input| self.consts.get(producer(input)))
                .flatten()
                .chain(&u.attribute_path)
                .map(String::as_str)
                .collect();
            if u.rule == rules::FILE_ACCESS_OP {
                let shown = match paths.as_slice() {
                    [] => String::new(),
                    paths => format!(" (constant path {:?})", paths.join(", ")),
                };
                let mut check = Check::failed(
                    u.rule,
                    format!(
                        "node {} is a {} operation: the graph reaches the file system{shown}",
                        u.locator, u.op
                    ),
                )
                .locator(u.locator.as_str())
                .offset(u.offset)
                .evidence("op", &u.op);
                for path in &paths {
                    check = check.evidence("path", path);
                }
                findings.push(check);
                continue;
            }
            for path in paths {
                if let Some(problem) = path_escape(path) {
                    findings.push(
                        Check::failed(
                            u.rule,
                            format!(
                                "node {} ({}) uses the constant path {path:?}, which {problem}",
                                u.locator, u.op
                            ),
                        )
                        .locator(u.locator.as_str())
                        .offset(u.offset)
                        .evidence("op", &u.op)
                        .evidence("path", path),
                    );
                }
            }
        }
    }
}

/// The node producing a data input: `name`, `name:1` or, inside functions,
/// `name:output_arg:0`.
fn producer(input: &str) -> &str {
    input.split(':').next().unwrap_or(input)
}

/// Why a checkpoint path may lead outside the model's directory.
pub fn path_escape(path: &str) -> Option<&'static str> {
    let bytes = path.as_bytes();
    if path.starts_with(['/', '\\']) {
        Some("is an absolute path")
    } else if bytes.len() >= 2 && bytes[1] == b':' && bytes[0].is_ascii_alphabetic() {
        Some("starts with a drive letter")
    } else if path.contains("://") {
        Some("names a URL")
    } else if path.starts_with('~') {
        Some("starts in a home directory")
    } else if path.split(['/', '\\']).any(|part| part == "..") {
        Some("climbs out of the directory with '..'")
    } else {
        None
    }
}
