//! The parallel walk: every path argument and everything under the directories
//! among them, scanned on `jobs` threads; reports come back sorted by path.

use std::path::PathBuf;
use std::sync::mpsc;

use ignore::{WalkBuilder, WalkState};
use indicatif::ProgressBar;

use crate::model::FileReport;
use crate::scan::{self, Scanner};

pub struct WalkOptions {
    pub jobs: usize,
    pub follow_symlinks: bool,
}

pub fn scan_paths(
    scanner: &Scanner,
    paths: &[PathBuf],
    options: &WalkOptions,
    progress: &ProgressBar,
) -> Vec<FileReport> {
    let (first, rest) = paths
        .split_first()
        .expect("clap requires at least one path");
    let mut builder = WalkBuilder::new(first);
    for path in rest {
        builder.add(path);
    }
    // A security scan looks at everything: hidden files and ignored files included.
    builder
        .standard_filters(false)
        .follow_links(options.follow_symlinks)
        .threads(options.jobs);

    let (tx, rx) = mpsc::channel();
    builder.build_parallel().run(|| {
        let tx = tx.clone();
        Box::new(move |entry| {
            let report = match entry {
                Err(e) => Some(scan::unreadable(error_path(&e), e.to_string())),
                Ok(entry) => {
                    let display = entry.path().display().to_string();
                    match entry.file_type() {
                        Some(t) if t.is_dir() => None,
                        Some(t) if t.is_file() => Some(scanner.scan_file(entry.path(), display)),
                        // Path arguments that are links are followed: the user named them.
                        Some(t) if t.is_symlink() && entry.depth() == 0 => {
                            match std::fs::metadata(entry.path()) {
                                Ok(m) if m.is_file() => {
                                    Some(scanner.scan_file(entry.path(), display))
                                }
                                Ok(_) => {
                                    Some(scan::not_regular(display, "link to a non-regular file"))
                                }
                                Err(e) => Some(scan::unreadable(display, e.to_string())),
                            }
                        }
                        Some(t) if t.is_symlink() => Some(scan::not_regular(
                            display,
                            "symbolic link (use --follow-symlinks)",
                        )),
                        _ => Some(scan::not_regular(display, "special file")),
                    }
                }
            };
            if let Some(report) = report {
                progress.inc(1);
                // The receiver lives until the walk ends.
                let _ = tx.send(report);
            }
            WalkState::Continue
        })
    });
    drop(tx);
    let mut reports: Vec<FileReport> = rx.into_iter().collect();
    reports.sort_by(|a, b| a.path.cmp(&b.path));
    reports
}

/// The path an `ignore` error is about, when it names one.
fn error_path(error: &ignore::Error) -> String {
    match error {
        ignore::Error::WithPath { path, .. } => path.display().to_string(),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            error_path(err)
        }
        _ => "<walk>".into(),
    }
}
