//! Which plugins a run uses: the bundled ones embedded at build time, plus
//! third-party components from `--plugin` files and `--plugin-dir` directories.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use crate::sandbox::{Plugin, Sandbox};

mod bundled {
    include!(concat!(env!("OUT_DIR"), "/bundled.rs"));
}

/// Load every plugin; a duplicate plugin name or a rule id claimed twice is an error.
pub fn load_all(sandbox: &Sandbox, files: &[PathBuf], dirs: &[PathBuf]) -> Result<Vec<Plugin>> {
    let mut plugins = Vec::new();
    for (name, bytes) in bundled::BUNDLED {
        plugins.push(
            sandbox
                .load(bytes, "bundled".into())
                .with_context(|| format!("bundled plugin {name}"))?,
        );
    }
    let mut extra: Vec<PathBuf> = files.to_vec();
    for dir in dirs {
        extra.extend(wasm_files(dir)?);
    }
    for path in extra {
        let bytes =
            std::fs::read(&path).with_context(|| format!("reading plugin {}", path.display()))?;
        plugins.push(sandbox.load(&bytes, path.display().to_string())?);
    }
    check_unique(&plugins)?;
    Ok(plugins)
}

fn wasm_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("reading plugin directory {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "wasm"))
        .collect();
    files.sort();
    Ok(files)
}

fn check_unique(plugins: &[Plugin]) -> Result<()> {
    let mut names = std::collections::HashMap::new();
    let mut rules = std::collections::HashMap::new();
    for p in plugins {
        if let Some(other) = names.insert(p.info.name.as_str(), p.source.as_str()) {
            bail!(
                "two plugins are named {:?} ({other} and {})",
                p.info.name,
                p.source
            );
        }
        for rule in &p.info.rules {
            if rule.id.starts_with("cordon-") {
                bail!(
                    "plugin {:?} declares rule {:?}: the cordon- prefix is reserved for the host",
                    p.info.name,
                    rule.id
                );
            }
            if let Some(other) = rules.insert(rule.id.as_str(), p.info.name.as_str()) {
                bail!(
                    "rule id {:?} is declared by both {other:?} and {:?}",
                    rule.id,
                    p.info.name
                );
            }
        }
    }
    Ok(())
}
