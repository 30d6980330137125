//! Scanning one file: hash it, route it, run each matching plugin in the sandbox,
//! convert what comes back into checks, and scan archive members recursively.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use crate::hash;
use crate::host_rules::{self as rules, HOST};
use crate::limits::{ArchiveLimits, Budget, LimitHit};
use crate::model::{Check, FileReport, Location, Metadata, Outcome, PluginRun, Severity, Status};
use crate::route::{Route, Router};
use crate::sandbox::{
    InputHandle, Member, MemberContent, Plugin, RawCheck, Run, RunResult, Sandbox, ScanError,
};
use crate::source::Source;

/// Captured plugin output kept as evidence of a crash.
const OUTPUT_EVIDENCE_CHARS: usize = 2048;

pub struct Scanner {
    sandbox: Sandbox,
    plugins: Vec<Plugin>,
    /// Each plugin's rule id → default severity.
    severities: Vec<HashMap<String, Severity>>,
    router: Router,
    limits: Arc<ArchiveLimits>,
    /// `--plugin-option` values by plugin name.
    options: HashMap<String, Vec<(String, String)>>,
}

/// One input to scan: the file itself or a member somewhere inside it.
struct Target {
    source: Source,
    /// What the plugin sees as the input's name: the file path or the member path.
    name: String,
    /// The member chain from the file, `inner.tar!data.pkl`; `None` for the file itself.
    chain: Option<String>,
    hint: Option<String>,
    depth: u32,
}

impl Scanner {
    pub fn new(
        sandbox: Sandbox,
        plugins: Vec<Plugin>,
        limits: ArchiveLimits,
        options: HashMap<String, Vec<(String, String)>>,
    ) -> Self {
        let router = Router::new(
            plugins
                .iter()
                .enumerate()
                .flat_map(|(i, p)| p.info.formats.iter().cloned().map(move |f| (i, f))),
        );
        let severities = plugins
            .iter()
            .map(|p| {
                p.info
                    .rules
                    .iter()
                    .map(|r| (r.id.clone(), r.severity))
                    .collect()
            })
            .collect();
        Scanner {
            sandbox,
            plugins,
            severities,
            router,
            limits: Arc::new(limits),
            options,
        }
    }

    pub fn plugins(&self) -> &[Plugin] {
        &self.plugins
    }

    /// Scan a regular file. Nothing here panics on bad input: every problem is a check.
    pub fn scan_file(&self, path: &Path, display: String) -> FileReport {
        let mut report = FileReport::new(display.clone());
        let opened = File::open(path).and_then(|f| Ok((f.metadata()?.len(), f)));
        let (size, file) = match opened {
            Ok(ok) => ok,
            Err(e) => {
                report.checks.push(read_error(format!("cannot open: {e}")));
                return report;
            }
        };
        report.size = size;
        match hash::hash_reader(&file, size) {
            Ok((hashes, read)) => {
                report.hashes = Some(hashes);
                report.size = read;
            }
            Err(e) => {
                report.checks.push(read_error(format!("cannot read: {e}")));
                return report;
            }
        }
        let target = Target {
            source: Source::file(file, report.size),
            name: display,
            chain: None,
            hint: None,
            depth: 0,
        };
        self.scan_target(&mut report, &target, &Arc::new(Budget::default()));
        report
    }

    fn scan_target(&self, report: &mut FileReport, target: &Target, budget: &Arc<Budget>) {
        let prefix = match target.source.read_at(0, self.router.prefix_len()) {
            Ok(prefix) => prefix,
            Err(e) => {
                let check = read_error(format!("cannot read: {e}"));
                report.checks.push(at_member(check, &target.chain));
                return;
            }
        };
        let routes = self
            .router
            .route(&prefix, &target.name, target.hint.as_deref());
        let mut handled = self.run_routes(report, target, &routes, budget);
        if !handled {
            handled = self.run_routes(report, target, &self.router.sniffers(&routes), budget);
        }
        if !handled {
            let tried: Vec<_> = report
                .plugin_runs
                .iter()
                .filter(|r| r.member == target.chain && r.outcome == Outcome::Unsupported)
                .map(|r| r.plugin.as_str())
                .collect();
            let message = if tried.is_empty() {
                "no plugin handles this format; its content was not checked".to_string()
            } else {
                format!(
                    "no plugin handles this format (declined by: {}); its content was not checked",
                    tried.join(", ")
                )
            };
            let check = host_check(
                rules::UNRECOGNIZED,
                Status::Skipped,
                Severity::Info,
                message,
            );
            report.checks.push(at_member(check, &target.chain));
        }
    }

    /// Run each routed plugin; true when one of them took the input (completed or failed on it).
    fn run_routes(
        &self,
        report: &mut FileReport,
        target: &Target,
        routes: &[Route],
        budget: &Arc<Budget>,
    ) -> bool {
        let mut handled = false;
        for route in routes {
            let plugin = &self.plugins[route.plugin];
            let input = InputHandle {
                source: target.source.clone(),
                name: target.name.clone(),
                hint: target.hint.clone(),
            };
            let options = self
                .options
                .get(&plugin.info.name)
                .map(Vec::as_slice)
                .unwrap_or_default();
            let run = self
                .sandbox
                .run(plugin, input, options, self.limits.clone(), budget.clone());
            handled |= !matches!(run.result, RunResult::Declined(ScanError::Unsupported(_)));
            self.record_run(report, target, route, run, budget);
        }
        handled
    }

    fn record_run(
        &self,
        report: &mut FileReport,
        target: &Target,
        route: &Route,
        run: Run,
        budget: &Arc<Budget>,
    ) {
        let plugin = &self.plugins[route.plugin];
        let name = plugin.info.name.clone();
        let (outcome, message) = match run.result {
            RunResult::Completed(output) => {
                if !report.formats.contains(&route.format) {
                    report.formats.push(route.format.clone());
                }
                for raw in output.checks {
                    report
                        .checks
                        .push(self.plugin_check(route.plugin, raw, &target.chain));
                }
                for (key, value) in output.metadata {
                    report.metadata.push(Metadata {
                        plugin: name.clone(),
                        member: target.chain.clone(),
                        key,
                        value,
                    });
                }
                (Outcome::Completed, None)
            }
            RunResult::Declined(ScanError::Unsupported(why)) => (Outcome::Unsupported, Some(why)),
            RunResult::Declined(error) => {
                let (kind, why) = match error {
                    ScanError::Malformed(m) => ("malformed", m),
                    ScanError::Limit(m) => ("limit", m),
                    ScanError::Io(m) => ("io", m),
                    ScanError::Other(m) | ScanError::Unsupported(m) => ("other", m),
                };
                let check = host_check(
                    rules::PLUGIN_ERROR,
                    Status::Error,
                    Severity::Medium,
                    format!("{name}: {kind}: {why}"),
                )
                .with_evidence("plugin", &name)
                .with_evidence("error", kind);
                report.checks.push(at_member(check, &target.chain));
                (Outcome::Failed, Some(why))
            }
            RunResult::Crashed { outcome, message } => {
                let mut check = host_check(
                    rules::PLUGIN_CRASHED,
                    Status::Error,
                    Severity::High,
                    format!("{name}: {message}"),
                )
                .with_evidence("plugin", &name)
                .with_evidence("outcome", outcome.as_str());
                if !run.output.is_empty() {
                    check = check.with_evidence("plugin_output", &excerpt(&run.output));
                }
                report.checks.push(at_member(check, &target.chain));
                (outcome, Some(message))
            }
        };
        report.plugin_runs.push(PluginRun {
            plugin: name,
            version: plugin.info.version.clone(),
            member: target.chain.clone(),
            duration_ms: run.duration.as_secs_f64() * 1000.0,
            outcome,
            bytes_read: run.bytes_read,
            message,
        });
        self.scan_members(report, target, run.members, run.refused, budget);
    }

    /// A plugin's check with its severity resolved and its location placed in the member chain.
    fn plugin_check(&self, plugin: usize, raw: RawCheck, chain: &Option<String>) -> Check {
        let name = &self.plugins[plugin].info.name;
        let mut location = raw.location;
        location.member = join_chain(chain, location.member.as_deref());
        let evidence: BTreeMap<String, String> = raw.evidence.into_iter().collect();
        match self.severities[plugin].get(&raw.rule) {
            Some(default) => Check {
                plugin: name.clone(),
                rule: raw.rule,
                status: raw.status,
                severity: raw.severity.unwrap_or(*default),
                message: raw.message,
                confidence: raw.confidence,
                location,
                evidence,
            },
            None => Check {
                plugin: HOST.into(),
                rule: rules::UNKNOWN_RULE.into(),
                status: Status::Error,
                severity: Severity::Medium,
                message: format!(
                    "{name} reported rule {:?} that is not in its catalog: {}",
                    raw.rule, raw.message
                ),
                confidence: 100,
                location,
                evidence,
            },
        }
    }

    fn scan_members(
        &self,
        report: &mut FileReport,
        parent: &Target,
        members: Vec<Member>,
        refused: Vec<(String, LimitHit)>,
        budget: &Arc<Budget>,
    ) {
        let limits = &self.limits;
        for (name, hit) in refused {
            let chain = join_chain(&parent.chain, Some(&name));
            report
                .checks
                .push(at_member(limit_check(hit, limits, 0), &chain));
        }
        for member in members {
            let chain = join_chain(&parent.chain, Some(&member.name));
            let depth = parent.depth + 1;
            let source = match &member.content {
                MemberContent::Ready(source) => source.clone(),
                MemberContent::Stopped { hit, written } => {
                    report
                        .checks
                        .push(at_member(limit_check(*hit, limits, *written), &chain));
                    continue;
                }
                MemberContent::Unfinished { .. } | MemberContent::Open(_) => {
                    let written = member.content.written();
                    let check = host_check(
                        rules::ARCHIVE_UNFINISHED,
                        Status::Error,
                        Severity::Medium,
                        format!("member was not finished after {written} bytes; not scanned"),
                    );
                    report.checks.push(at_member(check, &chain));
                    continue;
                }
            };
            if depth > limits.max_depth {
                let check = host_check(
                    rules::ARCHIVE_DEPTH,
                    Status::Failed,
                    Severity::High,
                    format!(
                        "nested {depth} archives deep, past the limit of {}; not scanned",
                        limits.max_depth
                    ),
                )
                .with_evidence("depth", &depth.to_string());
                report.checks.push(at_member(check, &chain));
                continue;
            }
            let target = Target {
                source,
                name: member.name,
                chain,
                hint: member.hint,
                depth,
            };
            self.scan_target(report, &target, budget);
        }
    }
}

fn limit_check(hit: LimitHit, limits: &ArchiveLimits, written: u64) -> Check {
    let (rule, message) = match hit {
        LimitHit::Members => (
            rules::ARCHIVE_MEMBERS,
            format!(
                "more than {} members; this one was not scanned",
                limits.max_members
            ),
        ),
        LimitHit::MemberBytes => (
            rules::ARCHIVE_MEMBER_SIZE,
            format!(
                "member grew past {} bytes; cut off unscanned",
                limits.max_member_bytes
            ),
        ),
        LimitHit::TotalBytes => (
            rules::ARCHIVE_TOTAL_SIZE,
            format!(
                "members unpacked past {} bytes in all; cut off unscanned",
                limits.max_total_bytes
            ),
        ),
        LimitHit::Ratio => (
            rules::ARCHIVE_RATIO,
            format!(
                "member expanded more than {}x its compressed size (decompression bomb); not expanded further",
                limits.max_ratio
            ),
        ),
    };
    host_check(rule, Status::Failed, Severity::High, message)
        .with_evidence("bytes_unpacked", &written.to_string())
}

fn read_error(message: String) -> Check {
    host_check(rules::READ_ERROR, Status::Error, Severity::High, message)
}

fn host_check(rule: &str, status: Status, severity: Severity, message: String) -> Check {
    Check {
        plugin: HOST.into(),
        rule: rule.into(),
        status,
        severity,
        message,
        confidence: 100,
        location: Location::default(),
        evidence: BTreeMap::new(),
    }
}

fn at_member(mut check: Check, chain: &Option<String>) -> Check {
    check.location.member = join_chain(chain, check.location.member.as_deref());
    check
}

/// `outer!inner`, skipping missing parts.
fn join_chain(chain: &Option<String>, inner: Option<&str>) -> Option<String> {
    match (chain, inner) {
        (Some(c), Some(i)) => Some(format!("{c}!{i}")),
        (Some(c), None) => Some(c.clone()),
        (None, Some(i)) => Some(i.to_string()),
        (None, None) => None,
    }
}

fn excerpt(text: &str) -> String {
    match text.char_indices().nth(OUTPUT_EVIDENCE_CHARS) {
        Some((cut, _)) => format!("{}… ({} bytes in all)", &text[..cut], text.len()),
        None => text.to_string(),
    }
}

impl Check {
    fn with_evidence(mut self, key: &str, value: &str) -> Self {
        self.evidence.insert(key.into(), value.into());
        self
    }
}

/// A report for a path that is not a regular file (symlink, FIFO, device...).
pub fn not_regular(display: String, what: &str) -> FileReport {
    let mut report = FileReport::new(display);
    report.checks.push(host_check(
        rules::NOT_REGULAR,
        Status::Skipped,
        Severity::Info,
        format!("{what}: not read"),
    ));
    report
}

/// A report for a path the walk could not reach.
pub fn unreadable(display: String, error: String) -> FileReport {
    let mut report = FileReport::new(display);
    report.checks.push(read_error(error));
    report
}
