//! Cheap recognition of pickle data from a prefix, for routing files, for
//! deciding whether bytes after a stream start another stream, and for
//! spotting pickles nested in strings.

use crate::literals::{parse_float, parse_int, parse_quoted};
use crate::opcodes::{Arg, HIGHEST_PROTOCOL, Op, OpInfo, lookup};

/// Whether `prefix` plausibly starts a pickle stream of any protocol.
///
/// Protocols 2–5 start with the `\x80` PROTO opcode; protocols 0 and 1
/// have no magic, so the prefix is walked opcode by opcode: every opcode
/// must be valid, with a well-formed argument and without stack underflow,
/// and the walk must reach STOP or cover at least two whole opcodes before
/// the prefix ends.
pub fn looks_like_pickle(prefix: &[u8]) -> bool {
    let mut walk = Walk::default();
    let mut i = 0;
    loop {
        let Some(&code) = prefix.get(i) else {
            return walk.convincing();
        };
        let Some(info) = lookup(code) else {
            return false;
        };
        let rest = &prefix[i + 1..];
        let len = match arg_len(info, rest) {
            Step::Len(n) => n,
            Step::Incomplete => return walk.convincing(),
            Step::Invalid => return false,
        };
        if !walk.apply(info, &rest[..len]) {
            return false;
        }
        if info.op == Op::Stop {
            return true;
        }
        i += 1 + len;
    }
}

enum Step {
    Len(usize),
    Incomplete,
    Invalid,
}

/// Length of the argument at the start of `rest`, validating its format.
fn arg_len(info: &OpInfo, rest: &[u8]) -> Step {
    match info.arg {
        Arg::None => Step::Len(0),
        Arg::Fixed(n) => {
            let n = usize::from(n);
            if rest.len() < n {
                Step::Incomplete
            } else {
                Step::Len(n)
            }
        }
        Arg::Counted { width, signed } => {
            let width = usize::from(width);
            let Some(raw) = rest.get(..width) else {
                return Step::Incomplete;
            };
            let mut bytes = [0u8; 8];
            bytes[..width].copy_from_slice(raw);
            let mut len = u64::from_le_bytes(bytes);
            if signed && raw[width - 1] & 0x80 != 0 {
                return Step::Invalid;
            }
            if width == 8 {
                len = len.min(u64::MAX / 2);
            }
            match usize::try_from(len).ok().and_then(|l| l.checked_add(width)) {
                Some(total) if total <= rest.len() => Step::Len(total),
                _ => Step::Incomplete,
            }
        }
        Arg::Line => match rest.iter().position(|&b| b == b'\n') {
            None => Step::Incomplete,
            Some(end) if line_ok(info.op, &rest[..end]) => Step::Len(end + 1),
            Some(_) => Step::Invalid,
        },
        Arg::LinePair => {
            let Some(first) = rest.iter().position(|&b| b == b'\n') else {
                return Step::Incomplete;
            };
            let Some(second) = rest[first + 1..].iter().position(|&b| b == b'\n') else {
                return Step::Incomplete;
            };
            let second = first + 1 + second;
            if name_ok(&rest[..first]) && name_ok(&rest[first + 1..second]) {
                Step::Len(second + 1)
            } else {
                Step::Invalid
            }
        }
    }
}

fn line_ok(op: Op, line: &[u8]) -> bool {
    match op {
        Op::Int | Op::Get | Op::Put => parse_int(line, op == Op::Int).is_some(),
        Op::Long => parse_int(line.strip_suffix(b"L").unwrap_or(line), false).is_some(),
        Op::Float => parse_float(line).is_some(),
        Op::String => parse_quoted(line).is_some(),
        Op::PersId => line.is_ascii(),
        _ => true,
    }
}

/// A module or attribute name as GLOBAL and INST carry them: UTF-8, not
/// empty, no whitespace or control characters.
fn name_ok(name: &[u8]) -> bool {
    match std::str::from_utf8(name) {
        Ok(s) => !s.is_empty() && !s.chars().any(|c| c.is_whitespace() || c.is_control()),
        Err(_) => false,
    }
}

/// Stack bookkeeping of the walk: item count and mark positions.
#[derive(Default)]
struct Walk {
    ops: usize,
    stack: usize,
    marks: Vec<usize>,
    proto_first: bool,
}

impl Walk {
    fn convincing(&self) -> bool {
        self.ops >= 2 || self.proto_first
    }

    fn apply(&mut self, info: &OpInfo, arg: &[u8]) -> bool {
        let fence = self.marks.last().copied().unwrap_or(0);
        match info.op {
            Op::Proto => {
                if arg[0] > HIGHEST_PROTOCOL {
                    return false;
                }
                self.proto_first |= self.ops == 0;
            }
            Op::Mark => self.marks.push(self.stack),
            Op::Pop if self.marks.last() == Some(&self.stack) => {
                self.marks.pop();
            }
            _ => {
                let fx = info.effect;
                if fx.mark {
                    match self.marks.pop() {
                        Some(m) => self.stack = m,
                        None => return false,
                    }
                }
                let fence = if fx.mark {
                    self.marks.last().copied().unwrap_or(0)
                } else {
                    fence
                };
                let pop = usize::from(fx.pop);
                if self.stack < fence + pop {
                    return false;
                }
                self.stack = self.stack - pop + usize::from(fx.push);
            }
        }
        self.ops += 1;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_every_protocol() {
        assert!(looks_like_pickle(b"\x80\x04\x95"));
        assert!(looks_like_pickle(b"\x80\x02"));
        assert!(looks_like_pickle(b"cos\nsystem\n(S'ls'\ntR."));
        assert!(looks_like_pickle(b"(dp0\nS'a'\np1\nI1\ns."));
        assert!(looks_like_pickle(b"}q\x00(X\x01\x00\x00\x00aq\x01K\x01u."));
        assert!(looks_like_pickle(b"N."));
        assert!(looks_like_pickle(b"(i__builtin__\nexec\n"));
    }

    #[test]
    fn rejects_text_and_binary_noise() {
        assert!(!looks_like_pickle(b""));
        assert!(!looks_like_pickle(b"\x80\x09"));
        assert!(!looks_like_pickle(b"hello world"));
        assert!(!looks_like_pickle(b"{\"json\": true}"));
        assert!(!looks_like_pickle(b"cat"));
        assert!(!looks_like_pickle(b"cmod\n\xf8\n"));
        assert!(!looks_like_pickle(b"\x89PNG\r\n\x1a\n"));
        assert!(!looks_like_pickle(b"PK\x03\x04"));
        assert!(!looks_like_pickle(b"\x88\xe2\x00\x00\x00\x00\x00\x00"));
        assert!(!looks_like_pickle(b"(a b)"));
        assert!(!looks_like_pickle(b"I18n\n"));
    }
}
