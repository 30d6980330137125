//! Building messages byte by byte, for tests (feature `encode`).

/// A message under construction; each method appends one field.
#[derive(Clone, Debug, Default)]
pub struct Message {
    bytes: Vec<u8>,
}

impl Message {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn varint(mut self, field: u32, value: u64) -> Self {
        self.tag(field, 0);
        put_varint(&mut self.bytes, value);
        self
    }

    pub fn fixed64(mut self, field: u32, value: u64) -> Self {
        self.tag(field, 1);
        self.bytes.extend_from_slice(&value.to_le_bytes());
        self
    }

    pub fn fixed32(mut self, field: u32, value: u32) -> Self {
        self.tag(field, 5);
        self.bytes.extend_from_slice(&value.to_le_bytes());
        self
    }

    /// A length-delimited field: string, bytes, packed values or a nested message.
    pub fn bytes(mut self, field: u32, payload: impl AsRef<[u8]>) -> Self {
        let payload = payload.as_ref();
        self.tag(field, 2);
        put_varint(&mut self.bytes, payload.len() as u64);
        self.bytes.extend_from_slice(payload);
        self
    }

    pub fn message(self, field: u32, message: Message) -> Self {
        self.bytes(field, message.bytes)
    }

    /// Bytes appended as they are, to build malformed input.
    pub fn raw(mut self, bytes: &[u8]) -> Self {
        self.bytes.extend_from_slice(bytes);
        self
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }

    fn tag(&mut self, field: u32, wire_type: u8) {
        put_varint(
            &mut self.bytes,
            u64::from(field) << 3 | u64::from(wire_type),
        );
    }
}

/// The varint encoding of `value`.
pub fn varint(value: u64) -> Vec<u8> {
    let mut out = Vec::new();
    put_varint(&mut out, value);
    out
}

fn put_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push(value as u8 | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}
