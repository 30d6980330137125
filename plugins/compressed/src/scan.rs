//! Scanning one compressed file: recognise the format, stream the decompressed
//! data back as one member, and record how the streams ended.

use std::io::{BufRead, Read, Seek, SeekFrom};

use cordon_plugin_sdk::{Check, ScanError, ScanOutput, Severity};

use crate::common::findings::Findings;
use crate::common::inflate::Inflater;
use crate::common::members::{Members, header};
use crate::decode::{Ending, MAX_WINDOW_BYTES};
use crate::format::Format;
use crate::unpack::{Unpacked, peek, unpack};
use crate::{gzip, rules};

/// Hidden regions handed back to be scanned, at most.
const MAX_HIDDEN_MEMBERS: usize = 16;
/// How much of a hidden region is read to describe it.
const DESCRIBE_BYTES: u64 = 1 << 20;

pub fn scan<R: BufRead + Seek>(
    r: &mut R,
    size: u64,
    input_name: &str,
    members: &mut dyn Members,
) -> Result<ScanOutput, ScanError> {
    let head = peek(r, 10).map_err(io_error)?;
    let format = Format::detect(&head).ok_or_else(|| {
        ScanError::Unsupported("no gzip, bzip2, xz, zstd, lz4 or zlib header".into())
    })?;
    if format == Format::Zlib && !zlib_stream_starts(r)? {
        return Err(ScanError::Unsupported(
            "a zlib-like header but no deflate data after it".into(),
        ));
    }
    let stored_name = match format {
        Format::Gzip => gzip::read_header(r).ok().and_then(|h| h.name),
        _ => None,
    };
    r.seek(SeekFrom::Start(0)).map_err(io_error)?;
    let name = format.member_name(input_name, stored_name.as_deref());
    let hint = name.to_ascii_lowercase().ends_with(".tar").then_some("tar");
    let member = header(&name, hint, None, Some(size));

    let mut out = ScanOutput::default();
    out.meta("format", format.name());
    out.meta("compressed-bytes", size);
    out.meta("member", &name);
    if let Some(stored) = &stored_name {
        out.meta("gzip-original-name", stored);
    }
    let mut findings = Findings::default();
    match unpack(r, size, format, &member, members)? {
        None => findings.problem(
            rules::INTEGRITY,
            Check::skipped(
                rules::INTEGRITY,
                "the host refused the decompressed member (member limit): the stream was not decoded",
            ),
        ),
        Some(unpacked) => {
            out.meta("streams", unpacked.streams);
            out.meta("decompressed-bytes", unpacked.bytes);
            record_ending(format, &unpacked, &mut findings);
            record_hidden(r, &unpacked, members, &mut findings)?;
        }
    }
    findings.emit(&mut out);
    Ok(out)
}

fn io_error(e: std::io::Error) -> ScanError {
    ScanError::Io(e.to_string())
}

/// zlib has no magic number: require deflate data that decodes, leaving the reader at 0.
fn zlib_stream_starts<R: BufRead + Seek>(r: &mut R) -> Result<bool, ScanError> {
    let mut probe = Inflater::zlib(&mut *r);
    let decodes = matches!(probe.read(&mut [0u8; 1]), Ok(1)) || probe.ended();
    r.seek(SeekFrom::Start(0)).map_err(io_error)?;
    Ok(decodes)
}

fn record_ending(format: Format, unpacked: &Unpacked, findings: &mut Findings) {
    let bytes = unpacked.bytes;
    match &unpacked.ending {
        Ending::Verified => findings.passed(
            rules::INTEGRITY,
            format!(
                "{} {} stream(s) decoded to the end and verified: {bytes} bytes",
                unpacked.streams,
                format.name()
            ),
        ),
        Ending::Damaged(problem) => findings.problem(
            rules::INTEGRITY,
            Check::failed(
                rules::INTEGRITY,
                format!(
                    "{} stream {}: {problem}; the {bytes} bytes decoded before were handed back and scanned",
                    format.name(),
                    unpacked.streams
                ),
            ),
        ),
        Ending::CutOff => findings.problem(
            rules::INTEGRITY,
            Check::skipped(
                rules::INTEGRITY,
                format!("not verified: the host stopped the decompressed member at a limit after {bytes} bytes"),
            ),
        ),
        Ending::TooMuchMemory(problem) => {
            findings.problem(
                rules::DECODER_MEMORY,
                Check::failed(
                    rules::DECODER_MEMORY,
                    format!(
                        "{problem}: over the {} MiB budget, the stream was not decoded",
                        MAX_WINDOW_BYTES >> 20
                    ),
                ),
            );
            findings.problem(
                rules::INTEGRITY,
                Check::skipped(
                    rules::INTEGRITY,
                    "not verified: the stream's window is too large to decode",
                ),
            );
        }
    }
    if matches!(format, Format::Xz | Format::Zstd) {
        findings.passed(
            rules::DECODER_MEMORY,
            format!(
                "every window or dictionary is within {} MiB",
                MAX_WINDOW_BYTES >> 20
            ),
        );
    }
}

/// Skippable frames and trailing bytes: recorded, then handed back to be scanned.
fn record_hidden<R: BufRead + Seek>(
    r: &mut R,
    unpacked: &Unpacked,
    members: &mut dyn Members,
    findings: &mut Findings,
) -> Result<(), ScanError> {
    let regions = unpacked
        .skippable_frames
        .iter()
        .map(|&range| (range, "a zstd skippable frame, which decoders ignore"))
        .chain(
            unpacked
                .trailing
                .map(|range| (range, "bytes after the last compressed stream")),
        );
    for (i, ((start, end), what)) in regions.enumerate() {
        let len = end - start;
        r.seek(SeekFrom::Start(start)).map_err(io_error)?;
        let mut head = Vec::new();
        (&mut *r)
            .take(len.min(DESCRIBE_BYTES))
            .read_to_end(&mut head)
            .map_err(io_error)?;
        let zeros = len <= DESCRIBE_BYTES && head.iter().all(|b| *b == 0);
        let name = format!("unlisted-bytes@{start}");
        let mut check = Check::failed(
            rules::TRAILING,
            format!("{len} bytes at offset {start}: {what}"),
        )
        .offset(start)
        .member(&name)
        .evidence("length", len)
        .evidence(
            "first_bytes",
            head.iter()
                .take(16)
                .map(|b| format!("{b:02x}"))
                .collect::<String>(),
        );
        if zeros {
            check = check.severity(Severity::Low).evidence("all_zero", true);
        }
        findings.problem(rules::TRAILING, check);
        if i < MAX_HIDDEN_MEMBERS && !zeros {
            // A refusal is a member-count limit, which the host records.
            let _ = members.range(&header(name, None, Some(len), None), start, len);
        }
    }
    findings.passed(
        rules::TRAILING,
        "nothing follows the last stream and no frame is skipped",
    );
    Ok(())
}
