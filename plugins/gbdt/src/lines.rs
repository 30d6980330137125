//! Reading text models line by line without holding more than a bounded prefix
//! of any line.

use std::io::{self, BufRead};

/// The next line (without `\n` or `\r`) into `line`, keeping at most `keep` bytes
/// of it; the rest of the line is consumed. `None` at the end of the input,
/// otherwise whether the line was cut.
pub fn next(
    reader: &mut impl BufRead,
    keep: usize,
    line: &mut Vec<u8>,
) -> io::Result<Option<bool>> {
    line.clear();
    let mut truncated = false;
    let mut any = false;
    loop {
        let buf = reader.fill_buf()?;
        if buf.is_empty() {
            break;
        }
        any = true;
        let newline = buf.iter().position(|&b| b == b'\n');
        let chunk = &buf[..newline.unwrap_or(buf.len())];
        let room = keep.saturating_sub(line.len());
        line.extend_from_slice(&chunk[..chunk.len().min(room)]);
        truncated |= chunk.len() > room;
        let used = newline.map_or(buf.len(), |i| i + 1);
        reader.consume(used);
        if newline.is_some() {
            break;
        }
    }
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    Ok(any.then_some(truncated))
}
