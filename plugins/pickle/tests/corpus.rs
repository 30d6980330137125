//! Runs the analyser over the shared corpus of real scanner test files and
//! checks every labelled pickle: malicious files must yield a failed
//! finding of high or critical severity, benign files none of medium or
//! above. Zip-based formats belong to another component and are skipped.

use std::collections::BTreeMap;
use std::path::PathBuf;

use cordon_plugin_pickle::{Analysis, Limits, Severity, Status, analyze, looks_like_pickle, rules};

fn corpus_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("CORDON_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus")
        });
    dir.join("INDEX.tsv").is_file().then_some(dir)
}

fn is_pickle_format(format: &str) -> bool {
    format.starts_with("pickle") || format == "pytorch-legacy"
}

fn worst(analysis: &Analysis) -> Option<Severity> {
    analysis.worst_failure()
}

#[test]
fn corpus_recall_and_false_positives() {
    let Some(dir) = corpus_dir() else {
        eprintln!("corpus not found (set CORDON_CORPUS); skipping");
        return;
    };
    let index = std::fs::read_to_string(dir.join("INDEX.tsv")).unwrap();
    let known: Vec<&str> = rules().iter().map(|r| r.id).collect();
    // format -> (expected -> (total, flagged))
    let mut table: BTreeMap<(String, String), (u32, u32)> = BTreeMap::new();
    let mut misses = Vec::new();
    let mut unsniffed = Vec::new();
    let mut sniffed_other = Vec::new();
    for row in index.lines().skip(1) {
        let cols: Vec<&str> = row.split('\t').collect();
        let (path, format, expected) = (cols[0], cols[1], cols[2]);
        if !is_pickle_format(format) {
            let bytes = std::fs::read(dir.join(path)).unwrap();
            if looks_like_pickle(&bytes[..bytes.len().min(64)]) {
                sniffed_other.push(format!("{format}: {path}"));
            }
            continue;
        }
        let bytes = std::fs::read(dir.join(path)).unwrap();
        if !looks_like_pickle(&bytes[..bytes.len().min(64)]) {
            unsniffed.push(path.to_owned());
        }
        let file = std::fs::File::open(dir.join(path)).unwrap();
        let analysis = analyze(std::io::BufReader::new(file), &Limits::default());
        for f in &analysis.findings {
            assert!(known.contains(&f.rule), "{path}: unknown rule {}", f.rule);
        }
        let worst = worst(&analysis);
        let flagged = match expected {
            "malicious" => worst >= Some(Severity::High),
            _ => worst >= Some(Severity::Medium),
        };
        let entry = table
            .entry((format.to_owned(), expected.to_owned()))
            .or_default();
        entry.0 += 1;
        entry.1 += u32::from(flagged);
        let wrong = match expected {
            "malicious" => !flagged,
            "benign" => flagged,
            _ => false,
        };
        if wrong || expected == "unknown" {
            let failed: Vec<String> = analysis
                .findings
                .iter()
                .filter(|f| f.status == Status::Failed)
                .map(|f| format!("{:?} {}: {}", f.severity, f.rule, f.message))
                .collect();
            let line = format!("{expected:9} {path}\n      {}", failed.join("\n      "));
            if wrong {
                misses.push(line);
            } else {
                eprintln!("(unknown label) {line}");
            }
        }
    }
    eprintln!(
        "\n{:28} {:9} {:>5} {:>7}",
        "format", "expected", "files", "flagged"
    );
    let mut totals: BTreeMap<String, (u32, u32)> = BTreeMap::new();
    for ((format, expected), (n, flagged)) in &table {
        eprintln!("{format:28} {expected:9} {n:>5} {flagged:>7}");
        let t = totals.entry(expected.clone()).or_default();
        t.0 += n;
        t.1 += flagged;
    }
    for (expected, (n, flagged)) in &totals {
        let label = match expected.as_str() {
            "malicious" => "recall (High/Critical)",
            "benign" => "false positives (>= Medium)",
            _ => "flagged (>= Medium)",
        };
        eprintln!("{expected:9} {label:28} {flagged}/{n}");
    }
    assert!(
        totals.get("malicious").is_some_and(|t| t.0 > 0),
        "no malicious pickles found"
    );
    assert!(misses.is_empty(), "misclassified:\n{}", misses.join("\n"));
    assert!(
        unsniffed.is_empty(),
        "not recognised as pickles: {unsniffed:?}"
    );
    assert!(
        sniffed_other.is_empty(),
        "mistaken for pickles: {sniffed_other:?}"
    );
}
