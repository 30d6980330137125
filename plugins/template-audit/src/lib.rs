//! Static analysis of Jinja templates (chat templates shipped in GGUF files and
//! Hugging Face tokenizer configs) for server-side template injection, the attack
//! behind CVE-2024-34359: a template rendered outside Jinja's sandbox walks from
//! any object through `__class__`, `__globals__` and `__builtins__` to `os.system`.
//!
//! The template is tokenized like Jinja does and its expressions parsed into trees;
//! strings assembled at render time (concatenation, `format`, `join`, escapes,
//! slicing) are folded to constants, so obfuscated names are seen too. Constructs
//! real chat templates use (loops over messages, `namespace()` for loop state,
//! `raise_exception`, `strftime_now`, `tojson`) are not findings.
//!
//! Pure: no I/O, bounded recursion, work linear in the template's size (up to the
//! constant-folding budget per expression).

mod analyze;
mod fold;
mod lexer;
mod names;
mod parser;
mod statements;

pub mod rule_text;

use std::collections::{BTreeSet, HashSet};

use analyze::{Hit, Walker};
use fold::Env;
use lexer::Tag;
use statements::Node;

/// Severity of a finding, before a plugin maps it to its own scale.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Low,
    Medium,
    High,
    Critical,
}

/// Most indicators named in one finding's message, and kept in the finding.
const MAX_INDICATORS: usize = 12;
const MAX_KEPT_INDICATORS: usize = 50;
/// Longest excerpt of a tag, in characters.
const MAX_EXCERPT: usize = 160;

/// Suspicious constructs in one tag (`{{ ... }}` or `{% ... %}`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub level: Level,
    /// 0-100.
    pub confidence: u8,
    /// Byte offset of the tag in the template, and its 1-based line.
    pub offset: usize,
    pub line: usize,
    pub message: String,
    /// What the tag reaches for, in order, e.g. "`__class__`".
    pub indicators: Vec<String>,
    /// The tag's text on one line, shortened.
    pub excerpt: String,
}

/// Something Jinja would refuse to compile.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxIssue {
    pub offset: usize,
    pub line: usize,
    pub message: String,
}

#[derive(Clone, Debug, Default)]
pub struct Audit {
    /// One per tag with something to report, ordered by offset.
    pub findings: Vec<Finding>,
    pub syntax: Vec<SyntaxIssue>,
    /// Number of `{{ }}` and `{% %}` tags.
    pub tags: usize,
    /// Statements, filters (`|tojson`) and functions (`namespace()`) the template uses.
    pub features: Vec<String>,
}

impl Audit {
    /// The most severe finding's level, if any.
    pub fn worst(&self) -> Option<Level> {
        self.findings.iter().map(|f| f.level).max()
    }

    /// The features, shortened for a message: `for, if, |tojson and 3 more`.
    pub fn uses(&self) -> String {
        if self.features.is_empty() {
            return "no statements".into();
        }
        let shown: Vec<&str> = self
            .features
            .iter()
            .take(MAX_INDICATORS)
            .map(String::as_str)
            .collect();
        match self.features.len() - shown.len() {
            0 => shown.join(", "),
            more => format!("{} and {more} more", shown.join(", ")),
        }
    }
}

pub fn audit(src: &str) -> Audit {
    let lines = LineIndex::new(src);
    let (tags, lex_issues) = lexer::lex(src);
    let nodes: Vec<Node> = tags.iter().map(statements::parse).collect();

    let mut env = Env::new();
    let mut bound = HashSet::new();
    for node in &nodes {
        bound.extend(node.binds.iter().cloned());
        if let (Some(name), [expr]) = (&node.assigns, node.exprs.as_slice()) {
            env.entry(name.clone()).or_default().push(expr);
        }
    }

    let mut features = BTreeSet::new();
    let mut findings = Vec::new();
    for (tag, node) in tags.iter().zip(&nodes) {
        let mut walker = Walker {
            env: &env,
            bound: &bound,
            hits: Vec::new(),
            at: tag.start,
            features: &mut features,
        };
        for expr in &node.exprs {
            walker.walk(expr);
        }
        let mut hits = walker.hits;
        if let Some(keyword) = &node.keyword {
            if !keyword.starts_with("end") && keyword != "else" {
                features.insert(keyword.clone());
            }
            if statements::LOADERS.contains(&keyword.as_str()) {
                hits.push(loader_hit(keyword, node, &env, tag.start));
            }
        }
        if let Some(finding) = summarize(src, &lines, tag, hits) {
            findings.push(finding);
        }
    }

    let mut syntax: Vec<SyntaxIssue> = lex_issues
        .into_iter()
        .map(|i| (i.at, i.message))
        .chain(
            nodes
                .iter()
                .flat_map(|n| n.issues.iter().map(|i| (i.at, i.message.clone()))),
        )
        .chain(unbalanced_blocks(&nodes, &tags))
        .map(|(offset, message)| SyntaxIssue {
            offset,
            line: lines.line(offset),
            message,
        })
        .collect();
    syntax.sort_by_key(|s| s.offset);

    Audit {
        findings,
        syntax,
        tags: tags.len(),
        features: features.into_iter().collect(),
    }
}

/// `{% include %}` and friends: reading other templates, worse with a traversing path.
fn loader_hit(keyword: &str, node: &Node, env: &Env, at: usize) -> Hit {
    let path = node.exprs.first().and_then(|e| fold::string(e, env));
    let traversing = path
        .as_deref()
        .is_some_and(|p| p.contains("..") || p.starts_with(['/', '\\']) || p.contains(':'));
    let label = match &path {
        Some(p) => format!("`{keyword} {p:?}`"),
        None => format!("`{keyword}` of a computed name"),
    };
    if traversing {
        Hit {
            level: Level::High,
            confidence: 85,
            label,
            reason: "loads a template from outside the template directory",
            at,
            context_only: false,
        }
    } else {
        Hit {
            level: Level::Medium,
            confidence: 70,
            label,
            reason: "loads another template, which a chat template never needs",
            at,
            context_only: false,
        }
    }
}

/// One finding for a tag's hits: the worst level, its reason, every indicator.
fn summarize(src: &str, lines: &LineIndex, tag: &Tag, mut hits: Vec<Hit>) -> Option<Finding> {
    hits.sort_by_key(|h| h.at);
    let top = hits
        .iter()
        .filter(|h| !h.context_only)
        .max_by_key(|h| (h.level, h.confidence))?
        .clone();
    let mut seen = HashSet::new();
    let mut indicators: Vec<String> = Vec::new();
    for h in &hits {
        if seen.insert(h.label.as_str()) && indicators.len() < MAX_KEPT_INDICATORS {
            indicators.push(h.label.clone());
        }
    }
    let shown = &indicators[..indicators.len().min(MAX_INDICATORS)];
    let more = seen.len() - shown.len();
    let mut message = format!("{}: {}", top.reason, shown.join(", "));
    if more > 0 {
        message.push_str(&format!(" and {more} more"));
    }
    Some(Finding {
        level: top.level,
        confidence: top.confidence,
        offset: tag.start,
        line: lines.line(tag.start),
        message,
        indicators,
        excerpt: excerpt(&src[tag.start..tag.end]),
    })
}

/// Block statements must nest: every `for` closed by `endfor`, and so on.
fn unbalanced_blocks(nodes: &[Node], tags: &[Tag]) -> Vec<(usize, String)> {
    let mut open: Vec<(&str, usize)> = Vec::new();
    let mut issues = Vec::new();
    for (node, tag) in nodes.iter().zip(tags) {
        let Some(keyword) = node.keyword.as_deref() else {
            continue;
        };
        if node.opens_block {
            open.push((keyword, tag.start));
        } else if let Some(closed) = keyword.strip_prefix("end") {
            if closed == "raw" {
                continue;
            }
            match open.pop() {
                Some((opened, _)) if opened == closed => {}
                Some((opened, at)) => {
                    issues.push((
                        tag.start,
                        format!("`end{closed}` closes `{opened}` opened at byte {at}"),
                    ));
                }
                None => issues.push((tag.start, format!("`end{closed}` closes nothing"))),
            }
        }
    }
    issues.extend(
        open.into_iter()
            .map(|(k, at)| (at, format!("`{k}` is never closed by `end{k}`"))),
    );
    issues
}

/// Offsets of line breaks, to turn byte offsets into line numbers.
struct LineIndex(Vec<usize>);

impl LineIndex {
    fn new(src: &str) -> Self {
        LineIndex(src.match_indices('\n').map(|(i, _)| i).collect())
    }

    /// 1-based line of a byte offset.
    fn line(&self, offset: usize) -> usize {
        1 + self.0.partition_point(|nl| *nl < offset)
    }
}

fn excerpt(tag: &str) -> String {
    let mut out: String = tag
        .chars()
        .take(MAX_EXCERPT)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if tag.chars().count() > MAX_EXCERPT {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests;
