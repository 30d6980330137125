//! Facts that only show across a directory, which no plugin can see from one file:
//! Python source shipped next to model weights, which `trust_remote_code` loaders import.

use std::collections::BTreeMap;
use std::path::Path;

use crate::host_rules::{self as rules, HOST};
use crate::model::{Check, FileReport, Location, Severity, Status};

/// Formats that are configuration or code rather than weights.
const NOT_WEIGHTS: &[&str] = &["hf-config", "jinja-template", "python-source"];

/// Add a check to every weights file that has Python files beside it.
pub fn custom_code_next_to_weights(reports: &mut [FileReport]) {
    let mut by_dir: BTreeMap<&Path, Vec<usize>> = BTreeMap::new();
    for (i, report) in reports.iter().enumerate() {
        let dir = Path::new(&report.path).parent().unwrap_or(Path::new(""));
        by_dir.entry(dir).or_default().push(i);
    }
    let mut additions: Vec<(usize, Check)> = Vec::new();
    for indices in by_dir.values() {
        let python: Vec<&str> = indices
            .iter()
            .map(|&i| &reports[i])
            .filter(|r| r.formats.iter().any(|f| f == "python-source"))
            .map(|r| file_name(&r.path))
            .collect();
        if python.is_empty() {
            continue;
        }
        // A config that points loaders at this code makes it run on load.
        let referenced = indices
            .iter()
            .any(|&i| reports[i].metadata.iter().any(|m| m.key == "remote-code"));
        let severity = if referenced {
            Severity::Medium
        } else {
            Severity::Low
        };
        let list = python.join(", ");
        for &i in indices {
            let weights = reports[i]
                .formats
                .iter()
                .any(|f| !NOT_WEIGHTS.contains(&f.as_str()));
            if weights {
                let mut evidence = BTreeMap::new();
                evidence.insert("python_files".to_string(), list.clone());
                evidence.insert("referenced_by_config".to_string(), referenced.to_string());
                additions.push((
                    i,
                    Check {
                        plugin: HOST.into(),
                        rule: rules::CUSTOM_CODE.into(),
                        status: Status::Failed,
                        severity,
                        message: format!("model ships with Python code beside it: {list}"),
                        confidence: if referenced { 90 } else { 60 },
                        location: Location::default(),
                        evidence,
                    },
                ));
            }
        }
    }
    for (i, check) in additions {
        reports[i].checks.push(check);
    }
}

fn file_name(path: &str) -> &str {
    Path::new(path)
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Metadata;

    fn report(path: &str, format: &str) -> FileReport {
        let mut r = FileReport::new(path.into());
        r.formats.push(format.into());
        r
    }

    #[test]
    fn python_beside_weights_is_recorded_on_the_weights() {
        let mut config = report("m/config.json", "hf-config");
        config.metadata.push(Metadata {
            plugin: "hf-config".into(),
            member: None,
            key: "remote-code".into(),
            value: "AutoModel=modeling.Net".into(),
        });
        let mut reports = vec![
            report("m/model.safetensors", "safetensors"),
            config,
            report("m/modeling.py", "python-source"),
            report("other/model.safetensors", "safetensors"),
        ];
        custom_code_next_to_weights(&mut reports);
        let added: Vec<_> = reports.iter().map(|r| r.checks.len()).collect();
        assert_eq!(added, vec![1, 0, 0, 0]);
        let check = &reports[0].checks[0];
        assert_eq!(
            (check.status, check.severity),
            (Status::Failed, Severity::Medium)
        );
        assert_eq!(check.evidence["python_files"], "modeling.py");
    }

    #[test]
    fn unreferenced_code_is_low() {
        let mut reports = vec![
            report("model.gguf", "gguf"),
            report("convert.py", "python-source"),
        ];
        custom_code_next_to_weights(&mut reports);
        assert_eq!(reports[0].checks[0].severity, Severity::Low);
    }
}
