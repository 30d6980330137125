//! Member data: stored members are handed back as ranges of the input, deflated
//! ones are inflated and streamed; CRC-32 and sizes are computed on the way.

use std::io::{self, BufRead, Read, Seek, SeekFrom};

use cordon_plugin_sdk::MemberHeader;

use crate::common::inflate::Inflater;
use crate::common::members::{Members, Streamed, stream};
use crate::directory::Entry;

pub const STORED: u16 = 0;
pub const DEFLATE: u16 = 8;

/// The methods PyTorch (miniz), NumPy and Keras write, and this plugin decodes.
pub fn supported(method: u16) -> bool {
    matches!(method, STORED | DEFLATE)
}

#[derive(Debug)]
pub enum Outcome {
    /// The host refused the member (member-count limit) and recorded it.
    Refused,
    /// A host size or ratio limit stopped the member; the host recorded it.
    CutOff,
    Complete {
        bytes: u64,
        crc: u32,
        /// Compressed bytes left after the end of the deflate stream.
        unused_input: u64,
    },
    /// Decoding failed after `bytes`, which were handed back.
    Failed { bytes: u64, error: io::Error },
}

/// Hand one member back. Only failures reading the input itself are `Err`.
pub fn hand_back<R: BufRead + Seek>(
    r: &mut R,
    entry: &Entry,
    data_start: u64,
    header: &MemberHeader,
    members: &mut dyn Members,
) -> io::Result<Outcome> {
    if entry.method == STORED {
        if members.range(header, data_start, entry.compressed).is_err() {
            return Ok(Outcome::Refused);
        }
        let crc = crc_of_range(r, data_start, entry.compressed)?;
        return Ok(Outcome::Complete {
            bytes: entry.compressed,
            crc,
            unused_input: 0,
        });
    }
    r.seek(SeekFrom::Start(data_start))?;
    let mut inflater = Inflater::raw((&mut *r).take(entry.compressed));
    let mut hasher = crc32fast::Hasher::new();
    let streamed = stream(members, header, &mut inflater, &mut |chunk| {
        hasher.update(chunk)
    });
    Ok(match streamed {
        Streamed::Refused => Outcome::Refused,
        Streamed::CutOff { .. } => Outcome::CutOff,
        Streamed::Complete { bytes } => Outcome::Complete {
            bytes,
            crc: hasher.finalize(),
            unused_input: entry.compressed - inflater.consumed(),
        },
        // The host's read errors arrive as `Other`; decoding errors have their own kinds.
        Streamed::SourceFailed { error, .. } if error.kind() == io::ErrorKind::Other => {
            return Err(error);
        }
        Streamed::SourceFailed { bytes, error } => Outcome::Failed { bytes, error },
    })
}

/// Up to `n` bytes from the start of a member's (decompressed) data; fewer when
/// the data is shorter, damaged or in a method this plugin does not decode.
pub fn read_prefix<R: BufRead + Seek>(
    r: &mut R,
    entry: &Entry,
    data_start: u64,
    n: usize,
) -> io::Result<Vec<u8>> {
    r.seek(SeekFrom::Start(data_start))?;
    let data = (&mut *r).take(entry.compressed);
    let mut out = Vec::new();
    let result = match entry.method {
        STORED => data.take(n as u64).read_to_end(&mut out),
        DEFLATE => Inflater::raw(data).take(n as u64).read_to_end(&mut out),
        _ => Ok(0),
    };
    match result {
        Err(e) if e.kind() == io::ErrorKind::Other => Err(e),
        _ => Ok(out),
    }
}

fn crc_of_range<R: Read + Seek>(r: &mut R, offset: u64, len: u64) -> io::Result<u32> {
    r.seek(SeekFrom::Start(offset))?;
    let mut data = (&mut *r).take(len);
    let mut hasher = crc32fast::Hasher::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match data.read(&mut buf)? {
            0 => return Ok(hasher.finalize()),
            n => hasher.update(&buf[..n]),
        }
    }
}
