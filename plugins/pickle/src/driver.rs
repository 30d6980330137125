//! Runs the VM over every stream of an input and of the pickles nested in
//! it, and decides what follows the last stream: another stream, or
//! trailing data.

use std::collections::HashMap;
use std::io::Read;

use crate::globals::Registry;
use crate::nested::{self, Encoding};
use crate::report::{Report, Site};
use crate::rules::{BUDGET, MALFORMED, NESTED, STREAM};
use crate::sniff::looks_like_pickle;
use crate::source::{ReadError, Source};
use crate::summary;
use crate::value::Value;
use crate::vm::{End, Machine};
use crate::{Analysis, Finding, Limits, Severity, Status};

/// How far ahead to look when deciding whether another stream follows.
const SNIFF: usize = 256;
/// The magic number legacy `torch.save` writes as its first pickle.
const TORCH_MAGIC: [u8; 10] = [0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19];

/// An attribute overwritten by BUILD on a global.
pub(crate) struct Override {
    pub value: Value,
    pub offset: u64,
}

/// Counters reported in metadata and pass records (outer input only).
#[derive(Default)]
pub(crate) struct Stats {
    pub frames: u64,
    pub persistent_ids: u64,
    pub buffers: u64,
    pub payloads_examined: u64,
    pub max_stack: usize,
    pub max_memo: usize,
}

/// State shared by all streams and nested scopes of one analysis.
pub(crate) struct Ctx<'l> {
    pub limits: &'l Limits,
    pub report: Report,
    /// Opcodes executed so far, over everything.
    pub opcodes: u64,
    pub overrides: HashMap<String, Override>,
    pub stats: Stats,
    nested_started: u32,
    pub nested_found: u32,
}

/// The input or a nested pickle: where its findings are placed and the
/// budgets its streams run under.
pub(crate) struct Scope {
    /// Locator prefix; empty for the input itself.
    pub prefix: String,
    /// Offset in the input of the payload holding a nested pickle.
    pub anchor: Option<u64>,
    pub depth: u32,
    /// Value of `Ctx::opcodes` at which the opcode budget is exhausted.
    pub opcode_limit: u64,
    pub max_stack: usize,
    pub max_memo: usize,
}

impl Scope {
    pub fn site(&self, stream: usize, index: u64, op: &str, offset: u64) -> Site {
        let mut locator = format!("{}stream {stream}, opcode {index} {op}", self.prefix);
        if self.anchor.is_some() {
            locator.push_str(&format!(" (offset {offset} in the nested pickle)"));
        }
        Site {
            offset: self.anchor.unwrap_or(offset),
            locator,
        }
    }

    /// A position given by offset alone (between opcodes).
    pub fn at(&self, offset: u64) -> Site {
        Site {
            offset: self.anchor.unwrap_or(offset),
            locator: format!("{}offset {offset}", self.prefix),
        }
    }

    /// Dedup key of a finding of `rule` about `detail` in this scope.
    pub fn key(&self, rule: &str, detail: &str) -> String {
        format!("{rule}\u{1}{}\u{1}{detail}", self.prefix)
    }
}

/// Outcome of one stream.
pub(crate) struct StreamInfo {
    pub start: u64,
    pub end_offset: u64,
    pub protocol: Option<u8>,
    pub opcodes: u64,
    pub end: End,
    /// Globals imported by this stream.
    pub globals: u64,
}

impl StreamInfo {
    fn complete(&self) -> bool {
        matches!(self.end, End::Stop(_))
    }

    pub fn is_torch_magic(&self) -> bool {
        matches!(&self.end, End::Stop(Value::BigInt(b)) if **b == TORCH_MAGIC)
    }
}

pub(crate) struct ScopeResult {
    pub streams: Vec<StreamInfo>,
    pub registry: Registry,
    /// Bytes after the last stream that are not a pickle.
    pub trailing: Option<u64>,
}

pub(crate) fn analyze<R: Read>(reader: R, limits: &Limits) -> Analysis {
    let mut ctx = Ctx {
        limits,
        report: Report::default(),
        opcodes: 0,
        overrides: HashMap::new(),
        stats: Stats::default(),
        nested_started: 0,
        nested_found: 0,
    };
    let mut src = Source::new(reader, limits.max_bytes);
    let top = Scope {
        prefix: String::new(),
        anchor: None,
        depth: 0,
        opcode_limit: limits.max_opcodes,
        max_stack: limits.max_stack,
        max_memo: limits.max_memo,
    };
    let result = run_scope(&mut ctx, &mut src, &top);
    summary::finish(ctx, result, src.offset())
}

/// Analyses consecutive streams until the input ends, breaks, or stops
/// looking like pickle data.
fn run_scope<R: Read>(ctx: &mut Ctx, src: &mut Source<R>, scope: &Scope) -> ScopeResult {
    let mut result = ScopeResult {
        streams: Vec::new(),
        registry: Registry::default(),
        trailing: None,
    };
    loop {
        let index = result.streams.len();
        let start = src.offset();
        if index > 0 {
            match src.peek(SNIFF) {
                Ok([]) => break,
                Ok(head) if looks_like_pickle(head) => {}
                Ok(_) => {
                    result.trailing = drain(ctx, src, scope, start);
                    break;
                }
                Err(e) => {
                    read_failure(ctx, scope, start, e);
                    break;
                }
            }
            if index >= ctx.limits.max_streams as usize {
                budget(ctx, scope, start, "streams", ctx.limits.max_streams.into());
                break;
            }
        }
        // A later stream is provisional until it proves to be a pickle.
        let outer = (index > 0).then(|| std::mem::take(&mut ctx.report));
        let info = Machine::new(ctx, src, scope, &mut result.registry, index).run();
        if let Some(outer) = outer {
            let provisional = std::mem::replace(&mut ctx.report, outer);
            // A budget hit is inconclusive, never junk.
            let junk = !info.complete()
                && info.globals == 0
                && !matches!(info.end, End::Budget(_))
                && !provisional.has_errors();
            if junk {
                result.trailing = drain(ctx, src, scope, start);
                break;
            }
            ctx.report.merge(provisional);
        }
        record_end(ctx, scope, index, &info);
        let complete = info.complete();
        result.streams.push(info);
        if !complete {
            break;
        }
    }
    result
}

/// Consumes the rest of the input, returning its length.
fn drain<R: Read>(ctx: &mut Ctx, src: &mut Source<R>, scope: &Scope, start: u64) -> Option<u64> {
    match src.drain() {
        Ok(_) => Some(src.offset() - start),
        Err(e) => {
            read_failure(ctx, scope, src.offset(), e);
            None
        }
    }
}

fn read_failure(ctx: &mut Ctx, scope: &Scope, offset: u64, error: ReadError) {
    match error {
        ReadError::Budget => budget(ctx, scope, offset, "bytes", ctx.limits.max_bytes),
        ReadError::Io(e) => ctx.report.push(
            Finding::new(
                STREAM,
                Status::Error,
                Severity::Info,
                format!("reading the input failed: {e}"),
            )
            .at(&scope.at(offset)),
        ),
        ReadError::Eof => {}
    }
}

pub(crate) fn budget(ctx: &mut Ctx, scope: &Scope, offset: u64, which: &str, limit: u64) {
    let site = scope.at(offset);
    ctx.report.once(scope.key(BUDGET, which), || {
        Finding::new(
            BUDGET,
            Status::Error,
            Severity::Medium,
            format!(
                "the {which} budget ({limit}) was exhausted; everything after this point is \
                 unanalysed and the result is inconclusive"
            ),
        )
        .at(&site)
        .with("budget", which)
        .with("limit", limit)
    });
}

/// The per-stream record, and a malformed or budget finding if it broke.
fn record_end(ctx: &mut Ctx, scope: &Scope, index: usize, info: &StreamInfo) {
    let protocol = info
        .protocol
        .map_or_else(|| "0/1 (no PROTO)".to_owned(), |p| p.to_string());
    let (status, state) = match &info.end {
        End::Stop(_) => (Status::Passed, "complete".to_owned()),
        // Damage is a finding (pickle-malformed carries its severity); only a
        // budget or an unreadable input leaves the stream inconclusive.
        End::Empty => (Status::Failed, "empty".to_owned()),
        End::Eof => (Status::Failed, "truncated".to_owned()),
        End::Invalid(why) => (Status::Failed, format!("invalid: {why}")),
        End::Budget(which) => (Status::Error, format!("{which} budget exhausted")),
        End::Io(e) => (Status::Error, format!("read error: {e}")),
    };
    ctx.report.push(
        Finding::new(
            STREAM,
            status,
            Severity::Info,
            format!(
                "stream {index}: protocol {protocol}, {} opcodes, bytes {}..{}, {state}",
                info.opcodes, info.start, info.end_offset
            ),
        )
        .at(&Site {
            offset: scope.anchor.unwrap_or(info.start),
            locator: format!("{}stream {index}", scope.prefix),
        })
        .with("protocol", protocol)
        .with("opcodes", info.opcodes)
        .with("start", info.start)
        .with("end", info.end_offset)
        .with("state", state),
    );
    let error_site = Site {
        offset: scope.anchor.unwrap_or(info.end_offset),
        locator: format!("{}stream {index}, offset {}", scope.prefix, info.end_offset),
    };
    let malformed = |severity, message: String| {
        Finding::new(MALFORMED, Status::Failed, severity, message)
            .at(&error_site)
            .with("stream", index)
            .with("opcodes_before_error", info.opcodes)
    };
    match &info.end {
        End::Stop(_) => {}
        End::Empty => ctx.report.push(malformed(
            Severity::Low,
            "the input is empty: no pickle stream".into(),
        )),
        End::Eof => ctx.report.push(malformed(
            Severity::Medium,
            format!(
                "stream {index} is truncated at offset {}: the input ends inside it; \
                 opcodes before that point still run when unpickled",
                info.end_offset
            ),
        )),
        End::Invalid(why) => ctx.report.push(malformed(
            Severity::Medium,
            format!(
                "stream {index} is invalid at offset {}: {why}; opcodes before that point \
                 still run when unpickled",
                info.end_offset
            ),
        )),
        End::Budget(which) => {
            let limit = match *which {
                "opcodes" if scope.depth > 0 => ctx.limits.max_opcodes.min(nested::MAX_OPCODES),
                "opcodes" => ctx.limits.max_opcodes,
                "memo" => scope.max_memo as u64,
                "stack" => scope.max_stack as u64,
                _ => ctx.limits.max_bytes,
            };
            budget(ctx, scope, info.end_offset, which, limit);
        }
        End::Io(e) => read_failure(ctx, scope, info.end_offset, ReadError::Io(e.clone())),
    }
}

/// Analyses a payload that looks like a pickle, as a nested scope whose
/// findings count only if it proves to be one.
pub(crate) fn scan_nested(
    ctx: &mut Ctx,
    data: &[u8],
    encoding: Encoding,
    parent: &Scope,
    site: &Site,
) {
    let depth = parent.depth + 1;
    if depth > ctx.limits.max_nesting {
        budget(
            ctx,
            parent,
            site.offset,
            "nesting depth",
            ctx.limits.max_nesting.into(),
        );
        return;
    }
    ctx.nested_started += 1;
    let scope = Scope {
        prefix: format!(
            "{} > nested {encoding} pickle #{} > ",
            site.locator, ctx.nested_started
        ),
        anchor: Some(site.offset),
        depth,
        opcode_limit: ctx
            .limits
            .max_opcodes
            .min(ctx.opcodes.saturating_add(nested::MAX_OPCODES)),
        max_stack: ctx.limits.max_stack.min(nested::MAX_STACK),
        max_memo: ctx.limits.max_memo.min(nested::MAX_MEMO),
    };
    let opcodes_before = ctx.opcodes;
    let outer = std::mem::take(&mut ctx.report);
    let mut src = Source::new(data, u64::MAX);
    let result = run_scope(ctx, &mut src, &scope);
    let consumed_all = src.offset() == data.len() as u64 && result.trailing.is_none();
    result.registry.emit(&mut ctx.report);
    let inner = std::mem::replace(&mut ctx.report, outer);
    let imported: u64 = result.streams.iter().map(|s| s.globals).sum();
    let clean = !result.streams.is_empty() && result.streams.iter().all(StreamInfo::complete);
    if imported == 0 && !(clean && consumed_all) {
        // Data that merely starts like a pickle (even if it ran into a
        // budget, as long runs of opcode-like tensor bytes do): its work
        // does not count. Unpickling it would need a loader gadget in the
        // outer pickle, which is reported on its own.
        ctx.opcodes = opcodes_before;
        return;
    }
    ctx.nested_found += 1;
    let worst = inner.worst_failed().unwrap_or(Severity::Info);
    ctx.report.merge(inner);
    ctx.report.push(
        Finding::new(
            NESTED,
            Status::Failed,
            worst.max(Severity::Low),
            format!(
                "a {encoding}-encoded pickle of {} bytes is nested in this value \
                 ({} stream(s), {imported} global import(s)); its findings carry the locator \
                 prefix `{}`",
                data.len(),
                result.streams.len(),
                scope.prefix.trim_end()
            ),
        )
        .at(site)
        .with("encoding", encoding)
        .with("decoded_bytes", data.len())
        .with("streams", result.streams.len())
        .with("worst_inner_severity", format!("{worst:?}")),
    );
}

/// Records that a nested-pickle candidate was too large to scan.
pub(crate) fn nested_too_large(
    ctx: &mut Ctx,
    scope: &Scope,
    site: &Site,
    len: u64,
    encoding: Encoding,
) {
    ctx.report.once(scope.key(NESTED, "too-large"), || {
        Finding::new(
            NESTED,
            Status::Skipped,
            Severity::Low,
            format!(
                "a {len}-byte value starts like a {encoding}-encoded pickle but exceeds the \
                 {} MiB nested-scan cap; it was not analysed",
                nested::SCAN_CAP >> 20
            ),
        )
        .at(site)
        .with("encoding", encoding)
        .with("bytes", len)
        .with("cap", nested::SCAN_CAP)
    });
}
