//! The input's streams, one after another, decoded into one member (as `gzip -d`
//! and Python's `gzip` module concatenate them), then whatever follows them.

use std::io::{self, BufRead, Read, Seek, SeekFrom};

use cordon_plugin_sdk::{MemberHeader, ScanError};

use crate::common::members::Members;
use crate::common::tracked::Tracked;
use crate::decode::{self, Ending};
use crate::format::Format;

#[derive(Debug)]
pub struct Unpacked {
    pub streams: usize,
    /// Decompressed bytes handed back.
    pub bytes: u64,
    /// How the last stream decoded.
    pub ending: Ending,
    /// zstd skippable frames, `[start, end)`: decoders ignore their content.
    pub skippable_frames: Vec<(u64, u64)>,
    /// Bytes after the last stream, `[start, end)`.
    pub trailing: Option<(u64, u64)>,
}

/// zstd skippable frames: magic 0x184D2A50..=0x184D2A5F, a 4-byte length, content.
fn skippable_frame(head: &[u8]) -> Option<u64> {
    match head {
        [0x50..=0x5f, 0x2a, 0x4d, 0x18, a, b, c, d, ..] => {
            Some(u64::from(u32::from_le_bytes([*a, *b, *c, *d])))
        }
        _ => None,
    }
}

/// Decode every stream into one member; `None` when the host refused the member.
pub fn unpack<R: BufRead + Seek>(
    r: &mut R,
    size: u64,
    format: Format,
    header: &MemberHeader,
    members: &mut dyn Members,
) -> Result<Option<Unpacked>, ScanError> {
    let Ok(mut out) = members.open(header) else {
        return Ok(None);
    };
    let mut input = Tracked::new(r);
    let mut unpacked = Unpacked {
        streams: 0,
        bytes: 0,
        ending: Ending::Verified,
        skippable_frames: Vec::new(),
        trailing: None,
    };
    'streams: loop {
        let ending = decode::one_stream(format, &mut input, &mut *out, &mut unpacked.bytes);
        if let Some(failure) = input.take_failure() {
            return Err(ScanError::Io(failure));
        }
        unpacked.streams += 1;
        match ending {
            Ending::Verified => {}
            Ending::CutOff => {
                unpacked.ending = Ending::CutOff;
                return Ok(Some(unpacked));
            }
            damaged => {
                unpacked.ending = damaged;
                break 'streams;
            }
        }
        loop {
            let at = input.stream_position().map_err(io_error)?;
            let next = peek(&mut input, 8).map_err(io_error)?;
            if next.is_empty() {
                break 'streams;
            }
            if format == Format::Xz && next.starts_with(&[0; 4]) {
                // Stream padding: zero bytes in groups of four between xz streams.
                input.seek(SeekFrom::Current(4)).map_err(io_error)?;
                continue;
            }
            if format == Format::Zstd
                && let Some(len) = skippable_frame(&next)
            {
                let end = at.saturating_add(8).saturating_add(len).min(size);
                unpacked.skippable_frames.push((at, end));
                input.seek(SeekFrom::Start(end)).map_err(io_error)?;
                continue;
            }
            if format
                .next_stream_magic()
                .is_some_and(|m| next.starts_with(m))
            {
                continue 'streams;
            }
            unpacked.trailing = Some((at, size));
            break 'streams;
        }
    }
    if out.finish().is_err() {
        unpacked.ending = Ending::CutOff;
    }
    Ok(Some(unpacked))
}

/// Up to `n` bytes at the current position, which is left unchanged.
pub fn peek<R: Read + Seek>(r: &mut R, n: usize) -> io::Result<Vec<u8>> {
    let at = r.stream_position()?;
    let mut buf = Vec::with_capacity(n);
    (&mut *r).take(n as u64).read_to_end(&mut buf)?;
    r.seek(SeekFrom::Start(at))?;
    Ok(buf)
}

fn io_error(e: io::Error) -> ScanError {
    ScanError::Io(e.to_string())
}
