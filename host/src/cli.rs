//! Command-line interface: `cordon scan` and `cordon plugins`.

use std::collections::HashMap;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime};

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};

use crate::limits::ArchiveLimits;
use crate::model::{PluginSummary, Report, SCHEMA_VERSION, Settings, Severity, Tool};
use crate::output::{self, Format, Style};
use crate::sandbox::{CONTRACT_VERSION, ComponentCache, Sandbox, SandboxConfig};
use crate::scan::Scanner;
use crate::walk::{self, WalkOptions};
use crate::{host_rules, registry, siblings};

#[derive(Parser)]
#[command(
    name = "cordon",
    version,
    about = "Scan machine-learning model files before you load them. Every parser runs in a WebAssembly sandbox."
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Scan files and directories.
    Scan(ScanArgs),
    /// List the plugins and the formats they handle.
    Plugins {
        #[command(flatten)]
        plugins: PluginArgs,
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
}

#[derive(Args)]
struct PluginArgs {
    /// Load a third-party plugin component (repeatable).
    #[arg(long = "plugin", value_name = "FILE.wasm")]
    files: Vec<PathBuf>,
    /// Load every `.wasm` plugin in a directory (repeatable).
    #[arg(long = "plugin-dir", value_name = "DIR")]
    dirs: Vec<PathBuf>,
    /// Directory for compiled plugins [default: the user cache dir].
    #[arg(long, value_name = "DIR", env = "CORDON_CACHE_DIR")]
    cache_dir: Option<PathBuf>,
    /// Compile plugins every run instead of caching them.
    #[arg(long)]
    no_cache: bool,
}

#[derive(Args)]
struct ScanArgs {
    /// Files and directories to scan.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    /// Write the report to FILE instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Exit 1 when a check fails at or above this severity.
    #[arg(long, value_enum, default_value = "medium")]
    fail_on: Severity,
    /// Files scanned in parallel [default: all cores].
    #[arg(long, short)]
    jobs: Option<usize>,
    /// Wall-clock limit per plugin run, in seconds.
    #[arg(long, value_name = "SECONDS", default_value = "60")]
    timeout: f64,
    /// Memory cap per plugin run, in bytes (suffixes K, M, G allowed).
    #[arg(long, value_name = "BYTES", default_value = "512M", value_parser = parse_bytes)]
    max_memory: u64,
    /// Follow symbolic links found inside directories.
    #[arg(long)]
    follow_symlinks: bool,
    /// List passed and skipped checks in the text report too.
    #[arg(long, short)]
    verbose: bool,
    /// Pass `KEY=VALUE` to the plugin named PLUGIN (repeatable).
    #[arg(long = "plugin-option", value_name = "PLUGIN.KEY=VALUE", value_parser = parse_plugin_option)]
    plugin_options: Vec<(String, String, String)>,
    /// Archive nesting depth still unpacked.
    #[arg(long, default_value = "5")]
    max_depth: u32,
    /// Archive members scanned per file.
    #[arg(long, default_value = "10000")]
    max_members: u64,
    /// Unpacked bytes per archive member (suffixes K, M, G allowed).
    #[arg(long, default_value = "10G", value_parser = parse_bytes)]
    max_member_bytes: u64,
    /// Unpacked bytes per file, all members together (suffixes K, M, G allowed).
    #[arg(long, default_value = "10G", value_parser = parse_bytes)]
    max_total_bytes: u64,
    /// Compression ratio above which a member is a bomb.
    #[arg(long, default_value = "100")]
    max_ratio: u64,
    #[command(flatten)]
    plugins: PluginArgs,
}

/// Parse arguments, run, and return the process exit code.
pub fn main() -> i32 {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Scan(args) => scan(args),
        Command::Plugins { plugins, format } => list_plugins(plugins, format).map(|()| 0),
    };
    result.unwrap_or_else(|e| {
        let broken_pipe = e
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe);
        if broken_pipe {
            // The reader (`| head`) stopped early on purpose.
            return 0;
        }
        eprintln!("cordon: error: {e:#}");
        2
    })
}

fn sandbox(args: &PluginArgs, config: SandboxConfig) -> Result<Sandbox> {
    let cache_dir = if args.no_cache {
        None
    } else {
        args.cache_dir
            .clone()
            .or_else(|| dirs::cache_dir().map(|d| d.join("cordon")))
    };
    Sandbox::new(config, ComponentCache::new(cache_dir))
}

fn scan(args: ScanArgs) -> Result<i32> {
    if !(args.timeout > 0.0 && args.timeout.is_finite()) {
        bail!("--timeout must be a positive number of seconds");
    }
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    let config = SandboxConfig {
        timeout: Duration::from_secs_f64(args.timeout),
        max_memory: usize::try_from(args.max_memory).context("--max-memory is too large")?,
        ..SandboxConfig::default()
    };
    let sandbox = sandbox(&args.plugins, config)?;
    let plugins = registry::load_all(&sandbox, &args.plugins.files, &args.plugins.dirs)?;
    let mut options: HashMap<String, Vec<(String, String)>> = HashMap::new();
    for (plugin, key, value) in args.plugin_options {
        if !plugins.iter().any(|p| p.info.name == plugin) {
            bail!("--plugin-option names plugin {plugin:?}, which is not loaded");
        }
        options.entry(plugin).or_default().push((key, value));
    }
    let limits = ArchiveLimits {
        max_depth: args.max_depth,
        max_members: args.max_members,
        max_member_bytes: args.max_member_bytes,
        max_total_bytes: args.max_total_bytes,
        max_ratio: args.max_ratio,
        ..ArchiveLimits::default()
    };
    let scanner = Scanner::new(sandbox, plugins, limits, options);

    let started_at = SystemTime::now();
    let clock = Instant::now();
    let progress = progress_bar();
    let mut files = walk::scan_paths(
        &scanner,
        &args.paths,
        &WalkOptions {
            jobs,
            follow_symlinks: args.follow_symlinks,
        },
        &progress,
    );
    progress.finish_and_clear();
    siblings::custom_code_next_to_weights(&mut files);

    let summary = Report::summarize(&files, args.fail_on);
    let report = Report {
        schema_version: SCHEMA_VERSION.into(),
        tool: tool(),
        plugins: plugin_summaries(&scanner),
        settings: Settings {
            fail_on: args.fail_on,
            timeout_secs: args.timeout,
            max_memory_bytes: args.max_memory,
            jobs,
            follow_symlinks: args.follow_symlinks,
        },
        started_at: humantime::format_rfc3339_millis(started_at).to_string(),
        finished_at: humantime::format_rfc3339_millis(SystemTime::now()).to_string(),
        duration_ms: clock.elapsed().as_secs_f64() * 1000.0,
        files,
        summary,
    };

    let to_terminal = args.output.is_none() && std::io::stdout().is_terminal();
    let style = Style {
        color: to_terminal && std::env::var_os("NO_COLOR").is_none(),
        verbose: args.verbose,
    };
    match &args.output {
        Some(path) => {
            let mut file = std::io::BufWriter::new(
                std::fs::File::create(path)
                    .with_context(|| format!("creating {}", path.display()))?,
            );
            output::write(args.format, &report, &style, &mut file)?;
            file.flush()?;
        }
        None => match output::write(args.format, &report, &style, &mut std::io::stdout().lock()) {
            // The reader (`| head`) stopped early on purpose: not a scan error.
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
            other => other?,
        },
    }
    Ok(report.exit_code())
}

fn list_plugins(args: PluginArgs, format: Format) -> Result<()> {
    let sandbox = sandbox(&args, SandboxConfig::default())?;
    let plugins = registry::load_all(&sandbox, &args.files, &args.dirs)?;
    let scanner = Scanner::new(sandbox, plugins, ArchiveLimits::default(), HashMap::new());
    let summaries = plugin_summaries(&scanner);
    let mut out = std::io::stdout().lock();
    match format {
        Format::Json => {
            serde_json::to_writer_pretty(
                &mut out,
                &serde_json::json!({ "tool": tool(), "plugins": summaries }),
            )?;
            writeln!(out)?;
        }
        Format::Text => {
            writeln!(
                out,
                "cordon {} (contract cordon:scanner@{CONTRACT_VERSION})",
                env!("CARGO_PKG_VERSION")
            )?;
            for p in &summaries {
                writeln!(out, "\n{} {}  [{}]", p.name, p.version, p.source)?;
                // The host has rules of its own but no component or formats.
                if !p.sha256.is_empty() {
                    writeln!(
                        out,
                        "  sha256  {}\n  formats {}",
                        p.sha256,
                        p.formats.join(", ")
                    )?;
                }
                writeln!(out, "  rules   {}", p.rules.len())?;
            }
        }
    }
    Ok(())
}

fn tool() -> Tool {
    Tool {
        name: "cordon".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        contract: format!("cordon:scanner@{CONTRACT_VERSION}"),
    }
}

/// The host's own rules first (as plugin `cordon`), then each plugin with its claims.
fn plugin_summaries(scanner: &Scanner) -> Vec<PluginSummary> {
    let host = PluginSummary {
        name: host_rules::HOST.into(),
        version: env!("CARGO_PKG_VERSION").into(),
        sha256: String::new(),
        source: "host".into(),
        formats: Vec::new(),
        rules: host_rules::catalog(),
    };
    let plugins = scanner.plugins().iter().map(|p| PluginSummary {
        name: p.info.name.clone(),
        version: p.info.version.clone(),
        sha256: p.sha256.clone(),
        source: p.source.clone(),
        formats: p.info.formats.iter().map(describe_claim).collect(),
        rules: p.info.rules.clone(),
    });
    std::iter::once(host).chain(plugins).collect()
}

fn describe_claim(claim: &crate::sandbox::FormatClaim) -> String {
    let mut parts: Vec<String> = claim.extensions.iter().map(|e| format!(".{e}")).collect();
    parts.extend(
        claim
            .magic
            .iter()
            .map(|(offset, bytes)| format!("magic {}@{offset}", crate::sandbox::hex(bytes))),
    );
    if claim.sniff {
        parts.push("content sniffing".into());
    }
    format!("{} ({})", claim.name, parts.join(" "))
}

fn progress_bar() -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new_spinner().with_message("scanning");
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg}: {pos} files ({elapsed})")
            .expect("valid template"),
    );
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

fn parse_bytes(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let (digits, shift) = match text.chars().last().map(|c| c.to_ascii_uppercase()) {
        Some('K') => (&text[..text.len() - 1], 10),
        Some('M') => (&text[..text.len() - 1], 20),
        Some('G') => (&text[..text.len() - 1], 30),
        _ => (text, 0),
    };
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("{text:?} is not a byte count like 512M"))?;
    n.checked_mul(1 << shift)
        .ok_or_else(|| format!("{text:?} is too large"))
}

fn parse_plugin_option(text: &str) -> Result<(String, String, String), String> {
    let (target, value) = text.split_once('=').ok_or("expected PLUGIN.KEY=VALUE")?;
    let (plugin, key) = target.split_once('.').ok_or("expected PLUGIN.KEY=VALUE")?;
    Ok((plugin.into(), key.into(), value.into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_counts() {
        assert_eq!(parse_bytes("512M"), Ok(512 << 20));
        assert_eq!(parse_bytes("10g"), Ok(10 << 30));
        assert_eq!(parse_bytes("1000"), Ok(1000));
        assert!(parse_bytes("12X").is_err());
        assert!(parse_bytes("99999999999999G").is_err());
    }

    #[test]
    fn plugin_options() {
        assert_eq!(
            parse_plugin_option("pickle.max-opcodes=10"),
            Ok(("pickle".into(), "max-opcodes".into(), "10".into()))
        );
        assert!(parse_plugin_option("novalue").is_err());
    }

    #[test]
    fn host_rule_ids_are_unique_kebab_case() {
        let rules = host_rules::catalog();
        let ids: std::collections::HashSet<_> = rules.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids.len(), rules.len());
        assert!(
            rules
                .iter()
                .all(|r| crate::sandbox::is_kebab(&r.id) && r.id.starts_with("cordon-"))
        );
    }
}
