//! Member names: unsafe paths, duplicates, local names that differ from the
//! central directory, and symbolic links that leave the archive.

use std::collections::HashMap;

use cordon_plugin_sdk::Check;

use crate::common::findings::Findings;
use crate::common::paths::{link_escapes, path_problems};
use crate::directory::Entry;
use crate::local::Local;
use crate::rules;

pub fn check(entries: &[Entry], locals: &[Option<Local>], findings: &mut Findings) {
    let mut seen: HashMap<&[u8], usize> = HashMap::new();
    for (entry, local) in entries.iter().zip(locals) {
        *seen.entry(&entry.name).or_default() += 1;
        unsafe_path(entry, &entry.name, "", findings);
        let Some(local) = local else { continue };
        if local.name != entry.name {
            let local_name = String::from_utf8_lossy(&local.name).into_owned();
            findings.problem(
                rules::NAME_MISMATCH,
                Check::failed(
                    rules::NAME_MISMATCH,
                    format!(
                        "central directory names the member {:?} but its local header says {local_name:?}",
                        entry.display_name()
                    ),
                )
                .member(entry.display_name())
                .offset(entry.local_offset)
                .evidence("central_name", entry.display_name())
                .evidence("local_name", &local_name),
            );
            unsafe_path(entry, &local.name, " (local header name)", findings);
        }
    }
    findings.passed(
        rules::UNSAFE_PATH,
        format!(
            "{} member paths stay inside the extraction directory",
            entries.len()
        ),
    );
    findings.passed(
        rules::NAME_MISMATCH,
        "every local header names its member as the central directory does",
    );
    let mut duplicates: Vec<_> = seen.into_iter().filter(|(_, n)| *n > 1).collect();
    duplicates.sort();
    for (name, count) in duplicates {
        let name = String::from_utf8_lossy(name).into_owned();
        findings.problem(
            rules::DUPLICATE_NAME,
            Check::failed(
                rules::DUPLICATE_NAME,
                format!(
                    "{count} members are named {name:?}; readers disagree on which one they return"
                ),
            )
            .member(&name)
            .evidence("occurrences", count),
        );
    }
    findings.passed(
        rules::DUPLICATE_NAME,
        format!("{} member names are unique", entries.len()),
    );
}

fn unsafe_path(entry: &Entry, name: &[u8], which: &str, findings: &mut Findings) {
    let problems = path_problems(name);
    if problems.is_empty() {
        return;
    }
    findings.problem(
        rules::UNSAFE_PATH,
        Check::failed(
            rules::UNSAFE_PATH,
            format!(
                "member path {:?}{which} {}",
                String::from_utf8_lossy(name),
                problems.join(", ")
            ),
        )
        .member(entry.display_name())
        .offset(entry.record_offset),
    );
}

/// A Unix symlink entry; its data is the link target.
pub fn check_symlink(entry: &Entry, target: &[u8], findings: &mut Findings) {
    if link_escapes(&entry.name, target, false) {
        let target = String::from_utf8_lossy(target);
        findings.problem(
            rules::SYMLINK_ESCAPE,
            Check::failed(
                rules::SYMLINK_ESCAPE,
                format!(
                    "symbolic link {:?} points to {target:?}, outside the extraction directory",
                    entry.display_name()
                ),
            )
            .member(entry.display_name())
            .evidence("target", target),
        );
    }
}
