//! The pickle opcode table, as in CPython's `Lib/pickletools.py`: code,
//! name, the protocol that introduced it, how its argument is encoded and
//! its effect on the stack (used by the sniffer; the VM has exact semantics).

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Op {
    Int,
    BinInt,
    BinInt1,
    BinInt2,
    Long,
    Long1,
    Long4,
    String,
    BinString,
    ShortBinString,
    BinBytes,
    ShortBinBytes,
    BinBytes8,
    ByteArray8,
    NextBuffer,
    ReadonlyBuffer,
    None,
    NewTrue,
    NewFalse,
    Unicode,
    ShortBinUnicode,
    BinUnicode,
    BinUnicode8,
    Float,
    BinFloat,
    EmptyList,
    Append,
    Appends,
    List,
    EmptyTuple,
    Tuple,
    Tuple1,
    Tuple2,
    Tuple3,
    EmptyDict,
    Dict,
    SetItem,
    SetItems,
    EmptySet,
    AddItems,
    FrozenSet,
    Pop,
    Dup,
    Mark,
    PopMark,
    Get,
    BinGet,
    LongBinGet,
    Put,
    BinPut,
    LongBinPut,
    Memoize,
    Ext1,
    Ext2,
    Ext4,
    Global,
    StackGlobal,
    Reduce,
    Build,
    Inst,
    Obj,
    NewObj,
    NewObjEx,
    Proto,
    Stop,
    Frame,
    PersId,
    BinPersId,
}

/// How an opcode's argument is laid out in the byte stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Arg {
    None,
    /// A fixed number of bytes.
    Fixed(u8),
    /// A newline-terminated line.
    Line,
    /// Two newline-terminated lines (module, name).
    LinePair,
    /// A little-endian length of `width` bytes followed by that many bytes.
    Counted {
        width: u8,
        signed: bool,
    },
}

/// Stack effect: with `mark`, first remove everything above the topmost
/// mark (and the mark); then pop `pop` values and push `push`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Effect {
    pub mark: bool,
    pub pop: u8,
    pub push: u8,
}

#[derive(Debug)]
pub(crate) struct OpInfo {
    pub op: Op,
    pub code: u8,
    pub name: &'static str,
    pub proto: u8,
    pub arg: Arg,
    pub effect: Effect,
}

const fn fx(mark: bool, pop: u8, push: u8) -> Effect {
    Effect { mark, pop, push }
}

const fn counted(width: u8, signed: bool) -> Arg {
    Arg::Counted { width, signed }
}

macro_rules! table {
    ($($op:ident $code:literal $name:literal $proto:literal $arg:expr, $effect:expr;)*) => {
        const TABLE: &[OpInfo] = &[
            $(OpInfo { op: Op::$op, code: $code, name: $name, proto: $proto, arg: $arg, effect: $effect },)*
        ];
    };
}

const PUSH: Effect = fx(false, 0, 1);
const NONE: Effect = fx(false, 0, 0);
const MARKED: Effect = fx(true, 0, 1);
const UPDATE: Effect = fx(true, 1, 1);

table! {
    Int             b'I'  "INT"              0 Arg::Line, PUSH;
    BinInt          b'J'  "BININT"           1 Arg::Fixed(4), PUSH;
    BinInt1         b'K'  "BININT1"          1 Arg::Fixed(1), PUSH;
    BinInt2         b'M'  "BININT2"          1 Arg::Fixed(2), PUSH;
    Long            b'L'  "LONG"             0 Arg::Line, PUSH;
    Long1           0x8a  "LONG1"            2 counted(1, false), PUSH;
    Long4           0x8b  "LONG4"            2 counted(4, true), PUSH;
    String          b'S'  "STRING"           0 Arg::Line, PUSH;
    BinString       b'T'  "BINSTRING"        1 counted(4, true), PUSH;
    ShortBinString  b'U'  "SHORT_BINSTRING"  1 counted(1, false), PUSH;
    BinBytes        b'B'  "BINBYTES"         3 counted(4, false), PUSH;
    ShortBinBytes   b'C'  "SHORT_BINBYTES"   3 counted(1, false), PUSH;
    BinBytes8       0x8e  "BINBYTES8"        4 counted(8, false), PUSH;
    ByteArray8      0x96  "BYTEARRAY8"       5 counted(8, false), PUSH;
    NextBuffer      0x97  "NEXT_BUFFER"      5 Arg::None, PUSH;
    ReadonlyBuffer  0x98  "READONLY_BUFFER"  5 Arg::None, fx(false, 1, 1);
    None            b'N'  "NONE"             0 Arg::None, PUSH;
    NewTrue         0x88  "NEWTRUE"          2 Arg::None, PUSH;
    NewFalse        0x89  "NEWFALSE"         2 Arg::None, PUSH;
    Unicode         b'V'  "UNICODE"          0 Arg::Line, PUSH;
    ShortBinUnicode 0x8c  "SHORT_BINUNICODE" 4 counted(1, false), PUSH;
    BinUnicode      b'X'  "BINUNICODE"       1 counted(4, false), PUSH;
    BinUnicode8     0x8d  "BINUNICODE8"      4 counted(8, false), PUSH;
    Float           b'F'  "FLOAT"            0 Arg::Line, PUSH;
    BinFloat        b'G'  "BINFLOAT"         1 Arg::Fixed(8), PUSH;
    EmptyList       b']'  "EMPTY_LIST"       1 Arg::None, PUSH;
    Append          b'a'  "APPEND"           0 Arg::None, fx(false, 2, 1);
    Appends         b'e'  "APPENDS"          1 Arg::None, UPDATE;
    List            b'l'  "LIST"             0 Arg::None, MARKED;
    EmptyTuple      b')'  "EMPTY_TUPLE"      1 Arg::None, PUSH;
    Tuple           b't'  "TUPLE"            0 Arg::None, MARKED;
    Tuple1          0x85  "TUPLE1"           2 Arg::None, fx(false, 1, 1);
    Tuple2          0x86  "TUPLE2"           2 Arg::None, fx(false, 2, 1);
    Tuple3          0x87  "TUPLE3"           2 Arg::None, fx(false, 3, 1);
    EmptyDict       b'}'  "EMPTY_DICT"       1 Arg::None, PUSH;
    Dict            b'd'  "DICT"             0 Arg::None, MARKED;
    SetItem         b's'  "SETITEM"          0 Arg::None, fx(false, 3, 1);
    SetItems        b'u'  "SETITEMS"         1 Arg::None, UPDATE;
    EmptySet        0x8f  "EMPTY_SET"        4 Arg::None, PUSH;
    AddItems        0x90  "ADDITEMS"         4 Arg::None, UPDATE;
    FrozenSet       0x91  "FROZENSET"        4 Arg::None, MARKED;
    Pop             b'0'  "POP"              0 Arg::None, fx(false, 1, 0);
    Dup             b'2'  "DUP"              0 Arg::None, fx(false, 1, 2);
    Mark            b'('  "MARK"             0 Arg::None, NONE;
    PopMark         b'1'  "POP_MARK"         1 Arg::None, fx(true, 0, 0);
    Get             b'g'  "GET"              0 Arg::Line, PUSH;
    BinGet          b'h'  "BINGET"           1 Arg::Fixed(1), PUSH;
    LongBinGet      b'j'  "LONG_BINGET"      1 Arg::Fixed(4), PUSH;
    Put             b'p'  "PUT"              0 Arg::Line, fx(false, 1, 1);
    BinPut          b'q'  "BINPUT"           1 Arg::Fixed(1), fx(false, 1, 1);
    LongBinPut      b'r'  "LONG_BINPUT"      1 Arg::Fixed(4), fx(false, 1, 1);
    Memoize         0x94  "MEMOIZE"          4 Arg::None, fx(false, 1, 1);
    Ext1            0x82  "EXT1"             2 Arg::Fixed(1), PUSH;
    Ext2            0x83  "EXT2"             2 Arg::Fixed(2), PUSH;
    Ext4            0x84  "EXT4"             2 Arg::Fixed(4), PUSH;
    Global          b'c'  "GLOBAL"           0 Arg::LinePair, PUSH;
    StackGlobal     0x93  "STACK_GLOBAL"     4 Arg::None, fx(false, 2, 1);
    Reduce          b'R'  "REDUCE"           0 Arg::None, fx(false, 2, 1);
    Build           b'b'  "BUILD"            0 Arg::None, fx(false, 2, 1);
    Inst            b'i'  "INST"             0 Arg::LinePair, MARKED;
    Obj             b'o'  "OBJ"              1 Arg::None, MARKED;
    NewObj          0x81  "NEWOBJ"           2 Arg::None, fx(false, 2, 1);
    NewObjEx        0x92  "NEWOBJ_EX"        4 Arg::None, fx(false, 3, 1);
    Proto           0x80  "PROTO"            2 Arg::Fixed(1), NONE;
    Stop            b'.'  "STOP"             0 Arg::None, fx(false, 1, 0);
    Frame           0x95  "FRAME"            4 Arg::Fixed(8), NONE;
    PersId          b'P'  "PERSID"           0 Arg::Line, PUSH;
    BinPersId       b'Q'  "BINPERSID"        1 Arg::None, fx(false, 1, 1);
}

/// Index into `TABLE` by opcode byte; `u8::MAX` marks an invalid byte.
const INDEX: [u8; 256] = {
    let mut index = [u8::MAX; 256];
    let mut i = 0;
    while i < TABLE.len() {
        index[TABLE[i].code as usize] = i as u8;
        i += 1;
    }
    index
};

/// The highest protocol this analyser (and CPython) knows.
pub(crate) const HIGHEST_PROTOCOL: u8 = 5;

pub(crate) fn lookup(code: u8) -> Option<&'static OpInfo> {
    TABLE.get(INDEX[code as usize] as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_has_every_cpython_opcode_once() {
        assert_eq!(TABLE.len(), 68);
        for info in TABLE {
            assert_eq!(lookup(info.code).unwrap().name, info.name);
        }
        let mut names: Vec<_> = TABLE.iter().map(|i| i.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), TABLE.len());
    }

    /// Generated from CPython 3.11 `pickletools.opcodes` (code:name:proto).
    const CPYTHON: &str = "28:MARK:0 29:EMPTY_TUPLE:1 2e:STOP:0 30:POP:0 31:POP_MARK:1 32:DUP:0 \
        42:BINBYTES:3 43:SHORT_BINBYTES:3 46:FLOAT:0 47:BINFLOAT:1 49:INT:0 4a:BININT:1 \
        4b:BININT1:1 4c:LONG:0 4d:BININT2:1 4e:NONE:0 50:PERSID:0 51:BINPERSID:1 52:REDUCE:0 \
        53:STRING:0 54:BINSTRING:1 55:SHORT_BINSTRING:1 56:UNICODE:0 58:BINUNICODE:1 \
        5d:EMPTY_LIST:1 61:APPEND:0 62:BUILD:0 63:GLOBAL:0 64:DICT:0 65:APPENDS:1 67:GET:0 \
        68:BINGET:1 69:INST:0 6a:LONG_BINGET:1 6c:LIST:0 6f:OBJ:1 70:PUT:0 71:BINPUT:1 \
        72:LONG_BINPUT:1 73:SETITEM:0 74:TUPLE:0 75:SETITEMS:1 7d:EMPTY_DICT:1 80:PROTO:2 \
        81:NEWOBJ:2 82:EXT1:2 83:EXT2:2 84:EXT4:2 85:TUPLE1:2 86:TUPLE2:2 87:TUPLE3:2 \
        88:NEWTRUE:2 89:NEWFALSE:2 8a:LONG1:2 8b:LONG4:2 8c:SHORT_BINUNICODE:4 \
        8d:BINUNICODE8:4 8e:BINBYTES8:4 8f:EMPTY_SET:4 90:ADDITEMS:4 91:FROZENSET:4 \
        92:NEWOBJ_EX:4 93:STACK_GLOBAL:4 94:MEMOIZE:4 95:FRAME:4 96:BYTEARRAY8:5 \
        97:NEXT_BUFFER:5 98:READONLY_BUFFER:5";

    #[test]
    fn table_matches_cpython_pickletools() {
        let mut seen = 0;
        for entry in CPYTHON.split_whitespace() {
            let mut parts = entry.split(':');
            let code = u8::from_str_radix(parts.next().unwrap(), 16).unwrap();
            let info = lookup(code).unwrap_or_else(|| panic!("missing {entry}"));
            assert_eq!(info.name, parts.next().unwrap());
            assert_eq!(info.proto.to_string(), parts.next().unwrap());
            seen += 1;
        }
        assert_eq!(seen, TABLE.len());
    }

    #[test]
    fn unknown_bytes_are_rejected() {
        for code in [0u8, b'\n', b'{', 0xff, 0x99] {
            assert!(lookup(code).is_none(), "{code:#x}");
        }
    }
}
