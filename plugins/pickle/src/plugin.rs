//! The Cordon plugin: pickle streams (plain, PyTorch legacy, joblib, dill,
//! cloudpickle) and NumPy `.npy` files, analysed inside the sandbox.

use std::io::{Read, Seek, SeekFrom};

use cordon_plugin_sdk as sdk;
use sdk::{
    Check, FormatClaim, Input, Options, PluginInfo, Rule, ScanError, ScanOutput, register_plugin,
};

use crate::{Analysis, Limits, Severity, Status, analyze, looks_like_pickle, npy, rules};

/// Enough of the start of a file to recognise a protocol 0/1 pickle.
const SNIFF_BYTES: usize = 4096;

pub const NUMPY_HEADER: &str = "numpy-header";
pub const NUMPY_DATA_SIZE: &str = "numpy-data-size";
pub const NUMPY_OBJECT_ARRAY: &str = "numpy-object-array";

struct PicklePlugin;

impl sdk::Plugin for PicklePlugin {
    fn info() -> PluginInfo {
        let mut pickle = FormatClaim::new(
            "pickle",
            &[
                "pkl",
                "pickle",
                "pt",
                "pth",
                "bin",
                "ckpt",
                "joblib",
                "dill",
                "sav",
                "p",
                "data",
                "cloudpickle",
            ],
        )
        .sniff();
        for protocol in 2..=5u8 {
            pickle = pickle.magic(0, &[0x80, protocol]);
        }
        PluginInfo {
            name: "pickle".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "symbolic pickle VM analysis (plain, PyTorch legacy, joblib, dill, cloudpickle) and NumPy .npy".into(),
            formats: vec![pickle, FormatClaim::new("numpy", &["npy"]).magic(0, npy::MAGIC)],
            rules: catalog(),
        }
    }

    fn scan(input: &Input, options: &Options) -> Result<ScanOutput, ScanError> {
        let limits = limits(options)?;
        let prefix = input.read_at(0, SNIFF_BYTES)?;
        if prefix.starts_with(npy::MAGIC) {
            return scan_npy(input, &prefix, &limits);
        }
        // A parent that knows the member is a pickle (a PyTorch zip's data.pkl) gets
        // it analysed even if it is too damaged to look like one.
        if input.hint().as_deref() != Some("pickle") && !looks_like_pickle(&prefix) {
            return Err(ScanError::Unsupported(
                "does not start like a pickle stream".into(),
            ));
        }
        let analysis = analyze(input.reader(), &limits);
        if !expects_pickle(input) && is_raw_data(&analysis) {
            return Err(ScanError::Unsupported(
                "starts like a pickle but holds no complete stream and imports nothing: raw data"
                    .into(),
            ));
        }
        let mut out = ScanOutput::default();
        out.meta("format", "pickle");
        record(&mut out, analysis, 0);
        Ok(out)
    }
}

/// Extensions that only pickles use; `.bin`, `.pt` or `.data` also name raw tensor
/// bytes, and a PyTorch zip's storages have no extension at all.
const PICKLE_ONLY_EXTENSIONS: &[&str] = &[
    ".pkl",
    ".pickle",
    ".joblib",
    ".dill",
    ".cloudpickle",
    ".sav",
    ".p",
];

/// Whether the input is a pickle by its parent's word or its name, so that damage
/// is a finding rather than a sign that it is something else.
fn expects_pickle(input: &Input) -> bool {
    let name = input.name().to_ascii_lowercase();
    input.hint().as_deref() == Some("pickle")
        || PICKLE_ONLY_EXTENSIONS.iter().any(|ext| name.ends_with(ext))
}

/// Bytes that happen to start like a pickle (0x80 0x02 is a common float16 pair):
/// the stream breaks without a single import, so nothing in it could run.
fn is_raw_data(analysis: &Analysis) -> bool {
    let imports = analysis.meta("globals_total").is_some_and(|n| n != "0");
    let broken = analysis
        .findings
        .iter()
        .any(|f| f.rule == "pickle-malformed" && f.status == Status::Failed);
    broken && !imports
}

register_plugin!(PicklePlugin);

/// `--plugin-option pickle.max-opcodes=N` and friends.
fn limits(options: &Options) -> Result<Limits, ScanError> {
    let d = Limits::default();
    let size = |key: &str, default: usize| options.get_u64(key, default as u64).map(|v| v as usize);
    Ok(Limits {
        max_opcodes: options.get_u64("max-opcodes", d.max_opcodes)?,
        max_memo: size("max-memo", d.max_memo)?,
        max_stack: size("max-stack", d.max_stack)?,
        max_nesting: options.get_u64("max-nesting", d.max_nesting.into())? as u32,
        max_bytes: options.get_u64("max-bytes", d.max_bytes)?,
        max_streams: options.get_u64("max-streams", d.max_streams.into())? as u32,
    })
}

/// Add an analysis' findings and metadata; `base` is the stream's offset in the input.
fn record(out: &mut ScanOutput, analysis: Analysis, base: u64) {
    for f in analysis.findings {
        let mut check = Check::new(f.rule, status(f.status), f.message)
            .severity(severity(f.severity))
            .confidence(f.confidence);
        if let Some(offset) = f.offset {
            check = check.offset(base + offset);
        }
        if let Some(locator) = f.locator {
            check = check.locator(locator);
        }
        for (k, v) in f.evidence {
            check = check.evidence(k, v);
        }
        out.push(check);
    }
    for (k, v) in analysis.metadata {
        out.meta(k, v);
    }
}

fn scan_npy(input: &Input, prefix: &[u8], limits: &Limits) -> Result<ScanOutput, ScanError> {
    let mut out = ScanOutput::default();
    out.meta("format", "numpy");
    let header = npy::preamble(prefix).and_then(|(start, len, version)| {
        let text = input
            .read_exact_at(start as u64, len, "numpy header")
            .map_err(|e| format!("{e:?}"))?;
        // The format defines the header as latin-1; anything else is not ASCII text.
        let text: String = text.iter().map(|&b| b as char).collect();
        npy::parse(&text, version, (start + len) as u64)
    });
    let header = match header {
        Ok(h) => h,
        Err(e) => {
            out.push(Check::failed(NUMPY_HEADER, format!("invalid .npy header: {e}")).offset(0));
            return Ok(out);
        }
    };
    out.push(
        Check::passed(
            NUMPY_HEADER,
            format!(
                "version {}.{} header, dtype {}",
                header.version.0, header.version.1, header.descr
            ),
        )
        .offset(0),
    );
    out.meta("dtype", &header.descr);
    out.meta("shape", format!("{:?}", header.shape));
    let data_bytes = input.size().saturating_sub(header.data_offset);
    if header.is_object() {
        out.push(
            Check::failed(NUMPY_OBJECT_ARRAY, "object array: numpy.load(allow_pickle=True) unpickles the data; the pickle is analysed below")
                .offset(header.data_offset),
        );
        let mut reader = input.reader();
        reader
            .seek(SeekFrom::Start(header.data_offset))
            .map_err(|e| ScanError::Io(e.to_string()))?;
        record(
            &mut out,
            analyze(reader.take(data_bytes), limits),
            header.data_offset,
        );
        return Ok(out);
    }
    out.push(Check::passed(
        NUMPY_OBJECT_ARRAY,
        "numeric array: no pickle involved",
    ));
    out.push(match header.data_len() {
        Some(expected) if expected == data_bytes => Check::passed(
            NUMPY_DATA_SIZE,
            format!("{expected} data bytes match the shape and dtype"),
        ),
        Some(expected) => Check::failed(
            NUMPY_DATA_SIZE,
            format!("shape and dtype need {expected} data bytes, the file has {data_bytes}"),
        )
        .offset(header.data_offset)
        .evidence("expected", expected)
        .evidence("actual", data_bytes),
        None => Check::skipped(
            NUMPY_DATA_SIZE,
            format!(
                "dtype {} has no fixed size (or the shape overflows)",
                header.descr
            ),
        ),
    });
    Ok(out)
}

fn status(s: Status) -> sdk::Status {
    match s {
        Status::Passed => sdk::Status::Passed,
        Status::Failed => sdk::Status::Failed,
        Status::Skipped => sdk::Status::Skipped,
        Status::Error => sdk::Status::Error,
    }
}

fn severity(s: Severity) -> sdk::Severity {
    match s {
        Severity::Info => sdk::Severity::Info,
        Severity::Low => sdk::Severity::Low,
        Severity::Medium => sdk::Severity::Medium,
        Severity::High => sdk::Severity::High,
        Severity::Critical => sdk::Severity::Critical,
    }
}

fn catalog() -> Vec<Rule> {
    let mut catalog: Vec<Rule> = rules()
        .iter()
        .map(|r| {
            let mut rule = Rule::new(r.id, r.title, severity(r.severity), r.category)
                .description(r.description)
                .cwe(r.cwe)
                .attack(r.attack)
                .remediation(r.remediation)
                .references(r.references);
            if let Some(fp) = r.false_positives {
                rule = rule.false_positives(fp);
            }
            rule
        })
        .collect();
    let npy_spec = "https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html";
    catalog.extend([
        Rule::new(NUMPY_HEADER, "NumPy header is valid", sdk::Severity::Medium, "integrity")
            .description("The .npy magic, version and header dict (descr, fortran_order, shape) must be well formed and under numpy's size limit.")
            .cwe(&[20])
            .remediation("The file is corrupt or crafted; do not load it.")
            .references(&[npy_spec]),
        Rule::new(NUMPY_OBJECT_ARRAY, "Array holds Python objects", sdk::Severity::Low, "code-execution")
            .description("An object-dtype array is stored as a pickle; numpy.load(allow_pickle=True) runs it. The embedded pickle is analysed by the pickle rules.")
            .cwe(&[502])
            .attack(&["AML.T0010"])
            .remediation("Load with allow_pickle=False where possible; re-save numeric data with a numeric dtype.")
            .references(&[npy_spec, "https://nvd.nist.gov/vuln/detail/CVE-2019-6446"])
            .false_positives("Legitimate ragged or string arrays are saved with object dtype."),
        Rule::new(NUMPY_DATA_SIZE, "Array data matches its header", sdk::Severity::Medium, "tampering")
            .description("A numeric array's data must be exactly shape x itemsize bytes; missing bytes break loaders, extra bytes can smuggle a payload.")
            .cwe(&[130])
            .remediation("Re-save the array from a trusted source.")
            .references(&[npy_spec]),
    ]);
    catalog
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_ids_are_unique_and_cover_the_analyser() {
        let ids: Vec<String> = catalog().into_iter().map(|r| r.id).collect();
        let unique: std::collections::HashSet<_> = ids.iter().collect();
        assert_eq!(unique.len(), ids.len());
        for r in rules() {
            assert!(ids.iter().any(|id| id == r.id));
        }
    }

    #[test]
    fn broken_streams_without_imports_are_raw_data() {
        // float16 weights that happen to begin with PROTO 2.
        let noise = analyze(
            &[0x80, 0x02, 0xff, 0x13, 0x80, 0x3c][..],
            &Limits::default(),
        );
        assert!(is_raw_data(&noise));
        // A truncated stream that imports something is a finding, not noise.
        let payload = analyze(&b"\x80\x02cos\nsystem\n"[..], &Limits::default());
        assert!(!is_raw_data(&payload));
        // A complete benign stream is a pickle.
        let clean = analyze(&b"\x80\x02}q\x00."[..], &Limits::default());
        assert!(!is_raw_data(&clean));
    }

    #[test]
    fn offsets_of_embedded_streams_are_shifted() {
        let mut out = ScanOutput::default();
        // GLOBAL 'os system' then STOP: one dangerous global at offset 0 of the stream.
        record(
            &mut out,
            analyze(&b"cos\nsystem\n."[..], &Limits::default()),
            128,
        );
        let dangerous = out
            .checks
            .iter()
            .find(|c| c.rule == "pickle-dangerous-global")
            .expect("finding");
        assert_eq!(
            dangerous.location.as_ref().and_then(|l| l.offset),
            Some(128)
        );
    }
}
