//! The labelled corpus of real model files (`../shared/corpus/INDEX.tsv`): every
//! malicious file of a format Cordon covers is flagged, every benign one passes,
//! none errors. Files are only parsed, never loaded.

mod support;

use std::collections::BTreeMap;
use std::path::PathBuf;

use support::Fixture;

/// INDEX.tsv formats whose plugins are bundled, so their verdicts are enforced.
const COVERED: &[&str] = &[
    "pickle",
    "pickle-cloudpickle",
    "pickle-dill",
    "pickle-multi-stream",
    "pickle-nested-payload",
    "pickle-noproto",
    "pickle-noproto-STRING-stackglobal",
    "pickle-noproto-trailing-junk",
    "pickle-p0-truncated",
    "pickle-p0/1",
    "pickle-p2",
    "pickle-p3",
    "pickle-p4",
    "pytorch-legacy",
    "npy",
    "npy-object",
    "not-a-pickle",
    "png-with-.pt-ext",
    "safetensors",
    "tf-savedmodel-pb",
    "zip",
    "zip-bad-crc",
    "zip-encrypted",
    "zip-flagbits",
    "zip-name-mismatch",
    "zip-path-traversal",
    "7z",
    "pytorch-zip",
    "npz",
    "npz-deflate",
    "npz-object",
    "npz-object-deflate",
    "skops-zip",
    "jinja2-chat-template-json",
    "jinja2-template",
    "keras-h5",
];

/// Formats whose benign files must still be flagged: an encrypted member cannot be
/// inspected, and the archive issue requires that it is never reported clean.
const NEVER_CLEAN: &[(&str, &str)] = &[("zip-encrypted", "zip-encrypted-member")];

fn corpus_dir() -> Option<PathBuf> {
    let candidates = [
        std::env::var_os("CORDON_CORPUS").map(PathBuf::from),
        Some(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus")),
    ];
    candidates
        .into_iter()
        .flatten()
        .find(|p| p.join("INDEX.tsv").is_file())
}

/// Formats whose payload is a pickle (directly, or inside an archive or array).
fn carries_pickle(format: &str) -> bool {
    ["pickle", "pytorch", "npy", "npz", "zip", "7z"]
        .iter()
        .any(|p| format.starts_with(p))
}

/// A failed high/critical check of the pickle plugin that names the global it is about.
fn names_a_global(checks: &[serde_json::Value]) -> bool {
    checks.iter().any(|c| {
        c["plugin"] == "pickle"
            && c["status"] == "failed"
            && matches!(c["severity"].as_str(), Some("high" | "critical"))
            && ["resolved", "global", "callee", "module_operand"]
                .iter()
                .any(|k| c["evidence"].get(*k).is_some())
    })
}

struct Row {
    path: String,
    format: String,
    expected: String,
}

#[test]
fn corpus_verdicts_match_labels() {
    let Some(dir) = corpus_dir() else {
        eprintln!("SKIPPED: no corpus (set CORDON_CORPUS or place it at ../shared/corpus)");
        return;
    };
    let index = std::fs::read_to_string(dir.join("INDEX.tsv")).unwrap();
    let rows: Vec<Row> = index
        .lines()
        .skip(1)
        .map(|line| {
            let cols: Vec<&str> = line.split('\t').collect();
            Row {
                path: cols[0].into(),
                format: cols[1].into(),
                expected: cols[2].into(),
            }
        })
        .filter(|r| COVERED.contains(&r.format.as_str()))
        .collect();
    assert!(!rows.is_empty(), "no covered rows in INDEX.tsv");

    let f = Fixture::new();
    let mut args: Vec<String> = ["scan", "--format", "json", "--timeout", "30"]
        .map(String::from)
        .to_vec();
    args.extend(rows.iter().map(|r| dir.join(&r.path).display().to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let report = f.run(&args).json();
    let files: BTreeMap<&str, &serde_json::Value> = report["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|file| (file["path"].as_str().unwrap(), file))
        .collect();

    // format -> [malicious flagged, malicious total, benign flagged, benign total, errors]
    let mut table: BTreeMap<&str, [usize; 5]> = BTreeMap::new();
    let mut problems = Vec::new();
    for row in &rows {
        let path = dir.join(&row.path).display().to_string();
        let file = files[path.as_str()];
        let checks = file["checks"].as_array().unwrap();
        let failed_at = |levels: &[&str]| {
            checks.iter().any(|c| {
                c["status"] == "failed" && levels.contains(&c["severity"].as_str().unwrap())
            })
        };
        let flagged = failed_at(&["high", "critical"]);
        let noisy = failed_at(&["medium", "high", "critical"]);
        let errored = checks.iter().any(|c| c["status"] == "error");
        let t = table.entry(row.format.as_str()).or_default();
        t[4] += errored as usize;
        match row.expected.as_str() {
            "malicious" => {
                t[1] += 1;
                t[0] += flagged as usize;
                if !flagged {
                    problems.push(format!("missed malicious {}", row.path));
                } else if carries_pickle(&row.format) && !names_a_global(checks) {
                    problems.push(format!(
                        "{}: no high/critical pickle check names the payload's global",
                        row.path
                    ));
                }
            }
            "benign" => {
                t[3] += 1;
                t[2] += noisy as usize;
                let required = NEVER_CLEAN
                    .iter()
                    .find(|(format, _)| *format == row.format)
                    .map(|(_, rule)| *rule);
                match required {
                    Some(rule)
                        if !checks
                            .iter()
                            .any(|c| c["rule"] == rule && c["status"] == "failed") =>
                    {
                        problems.push(format!("{} not flagged by {rule}", row.path))
                    }
                    Some(_) => {}
                    None if noisy => problems.push(format!("flagged benign {}", row.path)),
                    None => {}
                }
            }
            _ => {}
        }
        if errored && row.expected != "unknown" {
            problems.push(format!("error on {}", row.path));
        }
    }
    eprintln!(
        "{:<36} {:>10} {:>12} {:>7}",
        "format", "recall", "false-pos", "errors"
    );
    for (format, [mf, mt, bf, bt, e]) in &table {
        eprintln!(
            "{format:<36} {:>10} {:>12} {e:>7}",
            format!("{mf}/{mt}"),
            format!("{bf}/{bt}")
        );
    }
    assert!(problems.is_empty(), "{problems:#?}");
}
