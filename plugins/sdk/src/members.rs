//! Handing archive members back to the host, which scans them like top-level files.

use std::io::{self, Write};

use crate::__private::bindings::cordon::scanner::host;
use crate::MemberHeader;

/// Start a member whose bytes the plugin produces (e.g. decompresses). Write its
/// bytes, then call [`MemberWriter::finish`]. A write error means a host limit
/// (size, ratio, count) was hit: stop producing this member.
pub fn open_member(header: &MemberHeader) -> Result<MemberWriter, String> {
    host::open_member(header).map(|sink| MemberWriter { sink })
}

/// Hand back a member stored uncompressed at `offset..offset + len` of the input;
/// the host reads it from the parent without a copy.
pub fn member_range(header: &MemberHeader, offset: u64, len: u64) -> Result<(), String> {
    host::member_range(header, offset, len)
}

/// An open member: an `io::Write` whose bytes go to the host.
pub struct MemberWriter {
    sink: host::MemberSink,
}

impl MemberWriter {
    /// The member is complete: the host may scan it.
    pub fn finish(self) -> Result<(), String> {
        self.sink.finish()
    }
}

impl Write for MemberWriter {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.sink.write(bytes).map_err(io::Error::other)?;
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
