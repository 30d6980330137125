//! Compiled components cached on disk, keyed by the plugin's SHA-256 and the
//! engine's compatibility hash, so a second run deserialises instead of compiling.
//!
//! Deserialising trusts the cache directory as much as the `cordon` binary
//! itself: it is created private to the user and written atomically.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use wasmtime::Engine;
use wasmtime::component::Component;

pub struct ComponentCache {
    dir: Option<PathBuf>,
}

impl ComponentCache {
    /// `None` disables caching.
    pub fn new(dir: Option<PathBuf>) -> Self {
        ComponentCache { dir }
    }

    /// The component for `bytes` (whose SHA-256 is `sha256`), from the cache or compiled now.
    pub fn load(&self, engine: &Engine, bytes: &[u8], sha256: &str) -> Result<Component> {
        let Some(dir) = &self.dir else {
            return Ok(Component::new(engine, bytes)?);
        };
        let path = dir.join(format!("{sha256}-{:016x}.cwasm", engine_key(engine)));
        if path.exists() {
            // SAFETY: the file was written by `Component::serialize` for this engine
            // configuration (the name carries its compatibility hash), into a
            // directory only this user can write.
            match unsafe { Component::deserialize_file(engine, &path) } {
                Ok(component) => return Ok(component),
                Err(_) => {
                    // Stale or damaged entry: recompile and overwrite it below.
                }
            }
        }
        let component = Component::new(engine, bytes)?;
        // A cache that cannot be written only costs speed.
        let _ = store(dir, &path, &component.serialize()?);
        Ok(component)
    }
}

fn engine_key(engine: &Engine) -> u64 {
    let mut hasher = DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut hasher);
    hasher.finish()
}

fn store(dir: &Path, path: &Path, artifact: &[u8]) -> Result<()> {
    create_private_dir(dir)?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir).context("creating cache entry")?;
    std::io::Write::write_all(&mut tmp, artifact)?;
    tmp.persist(path).context("saving cache entry")?;
    Ok(())
}

fn create_private_dir(dir: &Path) -> Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)?;
    Ok(())
}
