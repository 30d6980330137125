//! Decoding one stream of a format, from the reader's position into an open
//! member. Every decoder here reads exactly its stream, so the reader is left on
//! the first byte after it.

use std::io::{self, BufRead, Write};

use ruzstd::decoding::StreamingDecoder;
use ruzstd::decoding::errors::FrameDecoderError;

use crate::common::inflate::Inflater;
use crate::common::members::{Copied, copy};
use crate::format::{Format, JOBLIB_ZLIB_HEADER};
use crate::gzip;

/// Largest xz dictionary or zstd window decoded.
pub const MAX_WINDOW_BYTES: u64 = 256 << 20;

#[derive(Debug, PartialEq)]
pub enum Ending {
    /// Decoded to its end marker and its checks passed.
    Verified,
    /// The host refused more bytes.
    CutOff,
    /// Corrupt, truncated or failing a check; what decoded before was kept.
    Damaged(String),
    /// Its window or dictionary is over [`MAX_WINDOW_BYTES`]; not decoded.
    TooMuchMemory(String),
}

/// Decode one stream into `out`, adding the decoded length to `bytes`.
pub fn one_stream<R: BufRead>(
    format: Format,
    r: &mut R,
    out: &mut dyn Write,
    bytes: &mut u64,
) -> Ending {
    let mut ignore = |_: &[u8]| {};
    match format {
        Format::Gzip => gzip_member(r, out, bytes),
        Format::Zlib => ending(copy(&mut Inflater::zlib(r), out, &mut ignore, bytes)),
        Format::Bzip2 => ending(copy(
            &mut bzip2::bufread::BzDecoder::new(r),
            out,
            &mut ignore,
            bytes,
        )),
        Format::Xz => {
            let limit_kb = (MAX_WINDOW_BYTES >> 10) as u32;
            let mut decoder = lzma_rust2::XzReader::new_mem_limit(r, false, limit_kb);
            ending(copy(&mut decoder, out, &mut ignore, bytes))
        }
        Format::Zstd => zstd_frame(r, out, bytes),
        Format::Lz4 => ending(copy(
            &mut lz4_flex::frame::FrameDecoder::new(r),
            out,
            &mut ignore,
            bytes,
        )),
        Format::Lzma => {
            let limit_kb = (MAX_WINDOW_BYTES >> 10) as u32;
            match lzma_rust2::LzmaReader::new_mem_limit(r, limit_kb, None) {
                Ok(mut decoder) => ending(copy(&mut decoder, out, &mut ignore, bytes)),
                Err(e) if e.kind() == io::ErrorKind::OutOfMemory => {
                    Ending::TooMuchMemory(format!("lzma header: {e}"))
                }
                Err(e) => Ending::Damaged(format!("lzma header: {e}")),
            }
        }
        Format::JoblibZlib => {
            let mut header = [0; JOBLIB_ZLIB_HEADER];
            if let Err(e) = r.read_exact(&mut header) {
                return Ending::Damaged(format!("joblib header: {e}"));
            }
            ending(copy(&mut Inflater::zlib(r), out, &mut ignore, bytes))
        }
    }
}

fn ending(copied: Copied) -> Ending {
    match copied {
        Copied::Ended => Ending::Verified,
        Copied::Refused => Ending::CutOff,
        Copied::Failed(e) if e.kind() == io::ErrorKind::OutOfMemory => {
            Ending::TooMuchMemory(e.to_string())
        }
        Copied::Failed(e) => Ending::Damaged(e.to_string()),
    }
}

fn gzip_member<R: BufRead>(r: &mut R, out: &mut dyn Write, bytes: &mut u64) -> Ending {
    if let Err(e) = gzip::read_header(r) {
        return Ending::Damaged(format!("gzip member header: {e}"));
    }
    let start = *bytes;
    let mut crc = crc32fast::Hasher::new();
    let copied = copy(
        &mut Inflater::raw(&mut *r),
        out,
        &mut |chunk| crc.update(chunk),
        bytes,
    );
    if !matches!(copied, Copied::Ended) {
        return ending(copied);
    }
    match gzip::check_trailer(r, crc.finalize(), *bytes - start) {
        Ok(None) => Ending::Verified,
        Ok(Some(problem)) => Ending::Damaged(problem),
        Err(_) => Ending::Damaged("the gzip trailer (CRC-32 and size) is missing".into()),
    }
}

fn zstd_frame<R: BufRead>(r: &mut R, out: &mut dyn Write, bytes: &mut u64) -> Ending {
    let mut decoder = match StreamingDecoder::new_with_max_window_size(r, MAX_WINDOW_BYTES) {
        Ok(decoder) => decoder,
        Err(e @ FrameDecoderError::WindowSizeTooBig { .. }) => {
            return Ending::TooMuchMemory(format!("zstd frame: {e}"));
        }
        Err(e) => return Ending::Damaged(format!("zstd frame header: {e}")),
    };
    let copied = copy(&mut decoder, out, &mut |_| {}, bytes);
    if !matches!(copied, Copied::Ended) {
        return ending(copied);
    }
    let frame = &decoder.decoder;
    match (
        frame.get_checksum_from_data(),
        frame.get_calculated_checksum(),
    ) {
        (Some(stored), Some(computed)) if stored != computed => Ending::Damaged(format!(
            "zstd content checksum is 0x{computed:08x} but the frame records 0x{stored:08x}"
        )),
        _ => Ending::Verified,
    }
}
