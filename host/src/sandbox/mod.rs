//! Running plugins in the wasmtime sandbox: one engine per process, each plugin
//! compiled once (cached on disk) and pre-instantiated, a fresh store per run
//! with a memory cap, a wall-clock deadline and WASI granting nothing.

mod cache;
mod state;
mod world;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use sha2::{Digest, Sha256};
use wasmtime::component::{Component, HasSelf, Linker};
use wasmtime::{Config, Engine, Store, Trap};

pub use cache::ComponentCache;
pub use state::{InputHandle, Member, MemberContent};
pub use world::{CONTRACT_VERSION, FormatClaim, PluginInfo, RawCheck, ScanError, ScanOutput};

use crate::limits::{ArchiveLimits, Budget, LimitHit};
use crate::model::Outcome;
use state::HostState;
use world::{PLUGIN_EXPORT, Scanner, ScannerPre};

/// Granularity of the wall-clock deadline.
const EPOCH_TICK: Duration = Duration::from_millis(10);

#[derive(Clone, Debug)]
pub struct SandboxConfig {
    pub timeout: Duration,
    pub max_memory: usize,
    /// Bytes of stdout + stderr a plugin may write; more traps it.
    pub output_cap: usize,
    pub max_wasm_stack: usize,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            timeout: Duration::from_secs(60),
            max_memory: 512 << 20,
            output_cap: 64 << 10,
            max_wasm_stack: 1 << 20,
        }
    }
}

pub struct Sandbox {
    engine: Engine,
    linker: Linker<HostState>,
    config: SandboxConfig,
    cache: ComponentCache,
    ticker: Arc<AtomicBool>,
}

/// A loaded, validated plugin ready to run.
pub struct Plugin {
    pub info: PluginInfo,
    pub sha256: String,
    /// `bundled`, or the path it was loaded from.
    pub source: String,
    pre: ScannerPre<HostState>,
}

/// How a run ended.
pub enum RunResult {
    Completed(ScanOutput),
    /// The plugin returned a `scan-error`.
    Declined(ScanError),
    /// The sandbox stopped it.
    Crashed {
        outcome: Outcome,
        message: String,
    },
}

pub struct Run {
    pub result: RunResult,
    pub duration: Duration,
    pub bytes_read: u64,
    /// What the plugin wrote to stdout and stderr (capped).
    pub output: String,
    pub members: Vec<Member>,
    /// Members refused before any byte arrived.
    pub refused: Vec<(String, LimitHit)>,
}

impl Sandbox {
    pub fn new(config: SandboxConfig, cache: ComponentCache) -> Result<Self> {
        let mut wasm = Config::new();
        wasm.epoch_interruption(true)
            .max_wasm_stack(config.max_wasm_stack);
        let engine = Engine::new(&wasm)?;
        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker)?;
        Scanner::add_to_linker::<_, HasSelf<_>>(&mut linker, |state| state)?;
        let ticker = Arc::new(AtomicBool::new(true));
        let (running, ticking) = (ticker.clone(), engine.clone());
        std::thread::Builder::new()
            .name("epoch-ticker".into())
            .spawn(move || {
                while running.load(Ordering::Relaxed) {
                    std::thread::sleep(EPOCH_TICK);
                    ticking.increment_epoch();
                }
            })?;
        Ok(Sandbox {
            engine,
            linker,
            config,
            cache,
            ticker,
        })
    }

    /// Compile (or load from cache) and validate a plugin component.
    pub fn load(&self, bytes: &[u8], source: String) -> Result<Plugin> {
        let sha256 = hex(&Sha256::digest(bytes));
        let component = self
            .cache
            .load(&self.engine, bytes, &sha256)
            .with_context(|| format!("{source}: not a valid WebAssembly component"))?;
        check_contract(&self.engine, &component).with_context(|| format!("{source}: refused"))?;
        let pre =
            ScannerPre::new(self.linker.instantiate_pre(&component).because(|| {
                format!("{source}: imports something the sandbox does not provide")
            })?)?;
        let mut store = self.store(Arc::default(), Arc::default());
        let scanner = pre
            .instantiate(&mut store)
            .because(|| format!("{source}: failed to start"))?;
        let info: PluginInfo = scanner
            .cordon_scanner_plugin()
            .call_info(&mut store)
            .because(|| format!("{source}: info() failed"))?
            .into();
        validate_info(&info).with_context(|| format!("{source}: invalid plugin info"))?;
        Ok(Plugin {
            info,
            sha256,
            source,
            pre,
        })
    }

    /// Run `plugin` on one input in a fresh store.
    pub fn run(
        &self,
        plugin: &Plugin,
        input: InputHandle,
        options: &[(String, String)],
        limits: Arc<ArchiveLimits>,
        budget: Arc<Budget>,
    ) -> Run {
        let started = Instant::now();
        let mut store = self.store(limits, budget);
        let result = self.call_scan(plugin, &mut store, input, options);
        let state = store.into_data();
        let result = match result {
            Ok(Ok(output)) => RunResult::Completed(output.into()),
            Ok(Err(e)) => RunResult::Declined(e.into()),
            Err(e) => classify(&e, &state, &self.config),
        };
        Run {
            result,
            duration: started.elapsed(),
            bytes_read: state.bytes_read,
            output: String::from_utf8_lossy(&state.output.contents()).into_owned(),
            members: state.members,
            refused: state.refused,
        }
    }

    fn call_scan(
        &self,
        plugin: &Plugin,
        store: &mut Store<HostState>,
        input: InputHandle,
        options: &[(String, String)],
    ) -> wasmtime::Result<
        Result<
            world::exports::cordon::scanner::plugin::ScanOutput,
            world::exports::cordon::scanner::plugin::ScanError,
        >,
    > {
        let scanner = plugin.pre.instantiate(&mut *store)?;
        let input = store.data_mut().push_input(input)?;
        scanner
            .cordon_scanner_plugin()
            .call_scan(&mut *store, input, options)
    }

    fn store(&self, limits: Arc<ArchiveLimits>, budget: Arc<Budget>) -> Store<HostState> {
        let state = HostState::new(
            self.config.max_memory,
            self.config.output_cap,
            limits,
            budget,
        );
        let mut store = Store::new(&self.engine, state);
        store.limiter(|state| &mut state.memory);
        let ticks = self
            .config
            .timeout
            .as_millis()
            .div_ceil(EPOCH_TICK.as_millis()) as u64
            + 1;
        store.set_epoch_deadline(ticks);
        store.epoch_deadline_trap();
        store
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        self.ticker.store(false, Ordering::Relaxed);
    }
}

/// `with_context` for wasmtime's own error type.
trait Because<T> {
    fn because(self, what: impl FnOnce() -> String) -> Result<T>;
}

impl<T> Because<T> for wasmtime::Result<T> {
    fn because(self, what: impl FnOnce() -> String) -> Result<T> {
        self.map_err(anyhow::Error::from).with_context(what)
    }
}

/// Why the sandbox stopped a run, from the trap and what the store recorded.
fn classify(error: &wasmtime::Error, state: &HostState, config: &SandboxConfig) -> RunResult {
    let (outcome, message) = if let Some(Trap::Interrupt) = error.downcast_ref::<Trap>() {
        (
            Outcome::Timeout,
            format!("plugin exceeded the {:?} deadline", config.timeout),
        )
    } else if state.memory.hit {
        (
            Outcome::MemoryLimit,
            format!("plugin exceeded the {}-byte memory cap", config.max_memory),
        )
    } else if state.output.contents().len() >= config.output_cap {
        (
            Outcome::Trap,
            format!(
                "plugin wrote more than {} bytes to stdout/stderr",
                config.output_cap
            ),
        )
    } else {
        (
            Outcome::Trap,
            format!("plugin trapped: {}", error_chain(error)),
        )
    };
    RunResult::Crashed { outcome, message }
}

fn error_chain(error: &wasmtime::Error) -> String {
    let text = format!("{error:#}");
    // Backtraces of wasm frames are noise in a report; keep the first lines.
    text.lines().take(3).collect::<Vec<_>>().join(" | ")
}

/// Refuse components built against another contract version, with a clear reason.
fn check_contract(engine: &Engine, component: &Component) -> Result<()> {
    let ty = component.component_type();
    let export = ty
        .exports(engine)
        .map(|(name, _)| name)
        .find(|name| name.starts_with(PLUGIN_EXPORT));
    let Some(export) = export else {
        bail!("not a Cordon plugin: it exports no `{PLUGIN_EXPORT}` interface");
    };
    let version = export
        .rsplit_once('@')
        .map(|(_, v)| v)
        .unwrap_or("unversioned");
    if !compatible(version, CONTRACT_VERSION) {
        bail!(
            "plugin is built against contract cordon:scanner@{version}; this cordon implements cordon:scanner@{CONTRACT_VERSION}"
        );
    }
    Ok(())
}

/// Semver compatibility: same major, and for 0.x the same minor.
fn compatible(plugin: &str, host: &str) -> bool {
    let parse = |v: &str| -> Option<(u64, u64)> {
        let mut parts = v.split('.');
        Some((parts.next()?.parse().ok()?, parts.next()?.parse().ok()?))
    };
    match (parse(plugin), parse(host)) {
        (Some((0, pm)), Some((0, hm))) => pm == hm,
        (Some((pmaj, _)), Some((hmaj, _))) => pmaj == hmaj,
        _ => false,
    }
}

fn validate_info(info: &PluginInfo) -> Result<()> {
    if !is_kebab(&info.name) {
        bail!("plugin name {:?} is not kebab-case", info.name);
    }
    let mut seen = std::collections::HashSet::new();
    for rule in &info.rules {
        if !is_kebab(&rule.id) {
            bail!("rule id {:?} is not kebab-case", rule.id);
        }
        if !seen.insert(&rule.id) {
            bail!("rule id {:?} appears twice", rule.id);
        }
    }
    Ok(())
}

pub fn is_kebab(id: &str) -> bool {
    !id.is_empty()
        && !id.starts_with('-')
        && !id.ends_with('-')
        && !id.contains("--")
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contract_version_is_the_wit_package_version() {
        let wit = include_str!("../../../wit/scanner.wit");
        assert!(wit.contains(&format!("package cordon:scanner@{CONTRACT_VERSION};")));
    }

    #[test]
    fn contract_versions_follow_semver() {
        assert!(compatible("0.1.0", "0.1.0"));
        assert!(compatible("0.1.3", "0.1.0"));
        assert!(!compatible("0.2.0", "0.1.0"));
        assert!(!compatible("1.0.0", "0.1.0"));
        assert!(compatible("1.4.0", "1.0.0"));
        assert!(!compatible("unversioned", "0.1.0"));
    }

    #[test]
    fn kebab_case_ids() {
        assert!(is_kebab("pickle-dangerous-global"));
        assert!(is_kebab("gguf-v3"));
        for bad in ["", "Pickle", "a_b", "-a", "a-", "a--b", "a b"] {
            assert!(!is_kebab(bad), "{bad:?}");
        }
    }
}
