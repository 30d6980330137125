//! PyTorch's zip layout (`torch.save` since 1.6, `torch.jit.save`): an archive
//! folder holding `data.pkl`, `version` and tensor storages `data/<key>`.
//!
//! `torch.load` unpickles `data.pkl` (and TorchScript's `constants.pkl`); it never
//! unpickles a storage, it copies the bytes into tensors. So storages are not
//! handed back to be scanned, which would cost reading gigabytes of weights, unless
//! their first bytes look like a pickle (see [`looks_like_pickle`]).

/// The layout found in an archive.
#[derive(Debug, PartialEq)]
pub struct Layout {
    /// The archive folder with its trailing slash, or empty for a flat layout.
    pub prefix: String,
    pub torchscript: bool,
}

/// What a member is in the layout.
#[derive(Debug, PartialEq)]
pub enum Role {
    /// A pickle `torch.load` or `torch.jit.load` unpickles.
    Pickle,
    /// Raw tensor bytes.
    Storage,
    /// TorchScript source that `torch.jit.load` compiles and runs.
    Code,
    Other,
}

/// PyTorch takes the archive folder from the first entry's name, then reads
/// `<folder>/data.pkl`. A flat archive with `data.pkl` next to `version` is
/// accepted too: some tools write it, and its pickle is still the payload.
pub fn detect<'a>(names: impl Iterator<Item = &'a [u8]> + Clone) -> Option<Layout> {
    let has = |wanted: &str| names.clone().any(|n| n == wanted.as_bytes());
    let first = names.clone().next()?;
    let folder = first
        .iter()
        .position(|b| *b == b'/')
        .map(|slash| String::from_utf8_lossy(&first[..=slash]).into_owned());
    let prefix = match folder {
        Some(prefix) if has(&format!("{prefix}data.pkl")) => prefix,
        _ if has("data.pkl") && (has("version") || has(".data/version")) => String::new(),
        _ => return None,
    };
    let code = format!("{prefix}code/");
    let torchscript = names.clone().any(|n| n.starts_with(code.as_bytes()));
    Some(Layout {
        prefix,
        torchscript,
    })
}

impl Layout {
    pub fn role(&self, name: &[u8]) -> Role {
        let Some(rest) = name.strip_prefix(self.prefix.as_bytes()) else {
            return Role::Other;
        };
        let top_level_pickle = rest.ends_with(b".pkl") && !rest.contains(&b'/');
        if top_level_pickle || rest.ends_with(b".debug_pkl") {
            return Role::Pickle;
        }
        if rest.starts_with(b"code/") && rest.ends_with(b".py") {
            return Role::Code;
        }
        match rest.strip_prefix(b"data/") {
            Some(key) if !key.is_empty() && key.iter().all(u8::is_ascii_digit) => Role::Storage,
            _ => Role::Other,
        }
    }
}

/// Bytes of a storage's start that [`looks_like_pickle`] inspects.
pub const SNIFF_BYTES: usize = 64;

/// Conservatively, whether `head` starts a pickle stream rather than raw tensor
/// bytes. Accepted:
/// - protocol 2-5: `PROTO` (0x80) then the protocol number, as every modern
///   pickler writes first;
/// - protocol 0/1 `GLOBAL`: `c`, a dotted module name, a newline, a name and a
///   newline, as `cos\nsystem\n`;
/// - protocol 0/1 containers: `(` (MARK), `]` (EMPTY_LIST) or `}` (EMPTY_DICT)
///   followed by another opcode, with the whole sniffed prefix printable ASCII or
///   newlines, which float, integer and quantised weights practically never are.
///
/// Tensor data starting with 0x80 0x02..=0x05 (e.g. some float16 values) is a
/// false positive: such a storage is handed back and the pickle plugin decides.
pub fn looks_like_pickle(head: &[u8]) -> bool {
    match head {
        [0x80, 2..=5, ..] => true,
        [b'c', rest @ ..] => global_opcode(rest),
        [b'(' | b']' | b'}', next, ..] => {
            b"(]}cSVILFNdltpgaseu.0)".contains(next)
                && head.iter().all(|b| *b == b'\n' || (0x20..0x7f).contains(b))
        }
        _ => false,
    }
}

/// `module\nname\n` with identifier-like parts.
fn global_opcode(rest: &[u8]) -> bool {
    let mut parts = rest.splitn(3, |b| *b == b'\n');
    let identifier = |part: &[u8]| {
        !part.is_empty()
            && part
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b == b'.')
    };
    match (parts.next(), parts.next(), parts.next()) {
        (Some(module), Some(name), Some(_)) => identifier(module) && identifier(name),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout(names: &[&str]) -> Option<Layout> {
        detect(names.iter().map(|n| n.as_bytes()))
    }

    #[test]
    fn folder_layout_is_taken_from_the_first_entry() {
        let l = layout(&["archive/data.pkl", "archive/data/0", "archive/version"]).unwrap();
        assert_eq!(l.prefix, "archive/");
        assert!(!l.torchscript);
        assert_eq!(l.role(b"archive/data.pkl"), Role::Pickle);
        assert_eq!(l.role(b"archive/data/0"), Role::Storage);
        assert_eq!(l.role(b"archive/data/x"), Role::Other);
        assert_eq!(l.role(b"archive/version"), Role::Other);
        assert_eq!(l.role(b"other/data.pkl"), Role::Other);
    }

    #[test]
    fn torchscript_members() {
        let l = layout(&[
            "m/data.pkl",
            "m/code/__torch__.py",
            "m/code/__torch__.py.debug_pkl",
            "m/constants.pkl",
        ])
        .unwrap();
        assert!(l.torchscript);
        assert_eq!(l.role(b"m/constants.pkl"), Role::Pickle);
        assert_eq!(l.role(b"m/code/__torch__.py.debug_pkl"), Role::Pickle);
        assert_eq!(l.role(b"m/code/__torch__.py"), Role::Code);
        assert_eq!(l.role(b"m/code/__torch__/nn/linear.py"), Role::Code);
        assert_eq!(l.role(b"m/code/x.pkl"), Role::Other);
    }

    #[test]
    fn flat_layout_needs_a_version_record() {
        assert_eq!(layout(&["version", "data.pkl"]).unwrap().prefix, "");
        assert_eq!(layout(&["data.pkl"]), None);
        assert_eq!(layout(&["a/weights.npy", "b/data.pkl"]), None);
        assert_eq!(layout(&[]), None);
    }

    #[test]
    fn pickle_sniffing_is_conservative() {
        assert!(looks_like_pickle(b"\x80\x02}q\x00."));
        assert!(looks_like_pickle(b"\x80\x05\x95"));
        assert!(looks_like_pickle(b"cos\nsystem\n(S'id'\ntR."));
        assert!(looks_like_pickle(b"(dp0\nS'a'\np1\nI1\ns."));
        // Protocol 1 binary opcodes after the container are not "plausible text".
        assert!(!looks_like_pickle(b"]q\x00"));
        assert!(!looks_like_pickle(b"\x80\x06"));
        assert!(!looks_like_pickle(b"\x00\x00\x80\x3f\x00\x00\x00\x40"));
        assert!(!looks_like_pickle(b"c\x00\x01\x02"));
        assert!(!looks_like_pickle(b"(\x9a\x99\x99\x3e\xcd\xcc\x4c\x3f"));
        assert!(!looks_like_pickle(b""));
    }
}
