//! Assembles the final report: the trailing-data verdict, one record per
//! imported global, a passed record for every check that found nothing,
//! and the metadata.

use std::collections::BTreeSet;

use crate::driver::{Ctx, ScopeResult, StreamInfo};
use crate::policy::Tier;
use crate::report::Site;
use crate::rules::{
    BUDGET, DANGEROUS_CALL, DANGEROUS_GLOBAL, EXTENSION, FRAME, GLOBAL_MUTATION, GLOBAL_OPERAND,
    MALFORMED, MEMO, NESTED, NON_ASCII, PROTOCOL, TRAILING, UNKNOWN_GLOBAL, UNRESOLVED_CALL,
};
use crate::{Analysis, Finding, Severity, Status};

/// Cap on the globals listed in metadata.
const MAX_LISTED_GLOBALS: usize = 100;

/// Turns the outer scope's result and the collected findings into the
/// analysis.
pub(crate) fn finish(mut ctx: Ctx, result: ScopeResult, bytes_read: u64) -> Analysis {
    let torch_legacy = result
        .streams
        .first()
        .is_some_and(StreamInfo::is_torch_magic);
    if let Some(len) = result.trailing {
        let end = result.streams.last().map_or(0, |s| s.end_offset);
        let site = Site {
            offset: end,
            locator: format!("after stream {}", result.streams.len().saturating_sub(1)),
        };
        let finding = if torch_legacy {
            Finding::passed(
                TRAILING,
                format!(
                    "{len} bytes of raw tensor storage follow the pickles, as legacy \
                     torch.save writes them"
                ),
            )
        } else {
            Finding::new(
                TRAILING,
                Status::Failed,
                Severity::Low,
                format!("{len} bytes after the last pickle stream are not a pickle"),
            )
        };
        ctx.report.push(finding.at(&site).with("bytes", len));
    }
    result.registry.emit(&mut ctx.report);
    let globals = result.registry.entries();
    pass_records(&mut ctx, &result, globals.len());

    let mut metadata = Vec::new();
    let protocols: BTreeSet<String> = result
        .streams
        .iter()
        .map(|s| {
            s.protocol
                .map_or_else(|| "0/1".to_owned(), |p| p.to_string())
        })
        .collect();
    metadata.push(("protocols".into(), join(protocols)));
    metadata.push(("streams".into(), result.streams.len().to_string()));
    metadata.push(("opcodes".into(), ctx.opcodes.to_string()));
    metadata.push(("bytes_read".into(), bytes_read.to_string()));
    metadata.push(("globals_total".into(), globals.len().to_string()));
    let mut listed: Vec<String> = globals
        .iter()
        .take(MAX_LISTED_GLOBALS)
        .map(|e| e.name.display())
        .collect();
    if globals.len() > MAX_LISTED_GLOBALS {
        listed.push(format!("… {} more", globals.len() - MAX_LISTED_GLOBALS));
    }
    metadata.push(("globals".into(), listed.join(", ")));
    let mut frameworks: BTreeSet<&str> = globals
        .iter()
        .filter_map(|e| framework(&e.name.path.comps[0]))
        .collect();
    if torch_legacy {
        frameworks.insert("torch-legacy");
    }
    if !frameworks.is_empty() {
        metadata.push(("frameworks".into(), join(frameworks)));
    }
    let stats = &ctx.stats;
    for (key, n) in [
        ("frames", stats.frames),
        ("persistent_ids", stats.persistent_ids),
        ("out_of_band_buffers", stats.buffers),
        ("nested_pickles", u64::from(ctx.nested_found)),
        ("max_stack_depth", stats.max_stack as u64),
        ("max_memo_entries", stats.max_memo as u64),
    ] {
        metadata.push((key.into(), n.to_string()));
    }
    Analysis {
        findings: ctx.report.into_findings(),
        metadata,
    }
}

/// A passed record for every check that found nothing, so that the report
/// shows what was examined.
fn pass_records(ctx: &mut Ctx, result: &ScopeResult, globals: usize) {
    let entries = result.registry.entries();
    let count = |tier| entries.iter().filter(|e| e.verdict.tier == tier).count();
    let calls: u64 = entries.iter().map(|e| e.calls).sum();
    let stats = &ctx.stats;
    let checks = [
        (
            DANGEROUS_GLOBAL,
            format!("none of the {globals} imported globals is on the denylist"),
        ),
        (
            UNKNOWN_GLOBAL,
            format!(
                "no imported global is outside the known-safe set and the denylist ({} \
                 known-safe)",
                count(Tier::Safe)
            ),
        ),
        (
            DANGEROUS_CALL,
            format!("no call site invokes a dangerous global ({calls} calls of globals)"),
        ),
        (
            UNRESOLVED_CALL,
            "every call site's callable resolves to a global".into(),
        ),
        (
            GLOBAL_OPERAND,
            "every STACK_GLOBAL takes two known strings".into(),
        ),
        (
            GLOBAL_MUTATION,
            "no opcode modifies a module, class or function object".into(),
        ),
        (EXTENSION, "no EXT1/EXT2/EXT4 opcode".into()),
        (NON_ASCII, "all global names are ASCII".into()),
        (
            FRAME,
            format!(
                "{} FRAME(s), all consistent with their contents",
                stats.frames
            ),
        ),
        (
            MEMO,
            format!(
                "every memo read hits a written slot and no slot is overwritten (up to {} entries)",
                stats.max_memo
            ),
        ),
        (
            PROTOCOL,
            "every opcode belongs to the declared protocol".into(),
        ),
        (
            NESTED,
            format!(
                "{} string/bytes values examined; none holds a pickle",
                stats.payloads_examined
            ),
        ),
        (
            BUDGET,
            format!(
                "within budgets: {} opcodes, stack depth {}, {} memo entries",
                ctx.opcodes, stats.max_stack, stats.max_memo
            ),
        ),
        (
            MALFORMED,
            format!("{} stream(s), all well-formed", result.streams.len()),
        ),
        (TRAILING, "no data after the last stream".into()),
    ];
    for (rule, message) in checks {
        if !ctx.report.mentions(rule) {
            ctx.report.push(Finding::passed(rule, message));
        }
    }
}

fn join<'a>(items: impl IntoIterator<Item = impl AsRef<str> + 'a>) -> String {
    items
        .into_iter()
        .map(|s| s.as_ref().to_owned())
        .collect::<Vec<_>>()
        .join(",")
}

/// Framework hinted by a global's top-level package.
fn framework(package: &str) -> Option<&'static str> {
    Some(match package {
        "torch" => "torch",
        "numpy" => "numpy",
        "sklearn" => "sklearn",
        "joblib" => "joblib",
        "dill" => "dill",
        "cloudpickle" => "cloudpickle",
        "xgboost" => "xgboost",
        "lightgbm" => "lightgbm",
        "transformers" | "tokenizers" => "transformers",
        "pandas" => "pandas",
        "keras" | "tensorflow" => "tensorflow",
        _ => return None,
    })
}
