//! A bounded reader for UBJSON (<https://ubjson.org/>, big-endian, as XGBoost writes
//! it), producing the same JSON values the text format holds. Every length is checked
//! against the bytes left, nesting is bounded, and the number of values is budgeted.

use serde_json::{Map, Number, Value};

/// Deepest container nesting accepted (XGBoost models nest about six levels).
const MAX_DEPTH: usize = 64;

pub struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
    /// Values still allowed: each decoded value costs one.
    budget: usize,
}

/// The document in `data`, or why it cannot be read.
pub fn parse(data: &[u8], max_values: usize) -> Result<Value, String> {
    let mut reader = Reader {
        data,
        pos: 0,
        budget: max_values,
    };
    let value = reader.value(0)?;
    Ok(value)
}

impl Reader<'_> {
    fn byte(&mut self) -> Result<u8, String> {
        let b = *self
            .data
            .get(self.pos)
            .ok_or_else(|| format!("truncated at offset {}", self.pos))?;
        self.pos += 1;
        Ok(b)
    }

    fn take(&mut self, n: usize) -> Result<&[u8], String> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.data.len())
            .ok_or_else(|| format!("{n} bytes at offset {} run past the end", self.pos))?;
        let bytes = &self.data[self.pos..end];
        self.pos = end;
        Ok(bytes)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], String> {
        let bytes = self.take(N)?;
        Ok(bytes.try_into().expect("take returned N bytes"))
    }

    /// The next type marker, skipping no-ops.
    fn marker(&mut self) -> Result<u8, String> {
        loop {
            match self.byte()? {
                b'N' => continue,
                m => return Ok(m),
            }
        }
    }

    fn value(&mut self, depth: usize) -> Result<Value, String> {
        let marker = self.marker()?;
        self.typed(marker, depth)
    }

    fn typed(&mut self, marker: u8, depth: usize) -> Result<Value, String> {
        if self.budget == 0 {
            return Err("too many values".into());
        }
        self.budget -= 1;
        let at = self.pos.saturating_sub(1);
        Ok(match marker {
            b'Z' => Value::Null,
            b'T' => Value::Bool(true),
            b'F' => Value::Bool(false),
            b'i' | b'U' | b'I' | b'l' | b'L' => Value::from(self.integer(marker)?),
            b'd' => float(f64::from(f32::from_be_bytes(self.array()?))),
            b'D' => float(f64::from_be_bytes(self.array()?)),
            b'C' => Value::String(char::from(self.byte()?).to_string()),
            b'S' | b'H' => Value::String(self.string()?),
            b'[' | b'{' if depth >= MAX_DEPTH => {
                return Err(format!("containers nested deeper than {MAX_DEPTH}"));
            }
            b'[' => self.list(depth)?,
            b'{' => self.object(depth)?,
            other => return Err(format!("unknown type marker {other:#04x} at offset {at}")),
        })
    }

    fn integer(&mut self, marker: u8) -> Result<i64, String> {
        Ok(match marker {
            b'i' => i64::from(self.byte()? as i8),
            b'U' => i64::from(self.byte()?),
            b'I' => i64::from(i16::from_be_bytes(self.array()?)),
            b'l' => i64::from(i32::from_be_bytes(self.array()?)),
            b'L' => i64::from_be_bytes(self.array()?),
            other => return Err(format!("expected an integer marker, found {other:#04x}")),
        })
    }

    /// A length: an integer that is not negative and fits in what is left.
    fn length(&mut self) -> Result<usize, String> {
        let marker = self.marker()?;
        let n = self.integer(marker)?;
        let left = self.data.len() - self.pos;
        usize::try_from(n)
            .ok()
            .filter(|&n| n <= left)
            .ok_or_else(|| {
                format!(
                    "length {n} at offset {} exceeds the {left} bytes left",
                    self.pos
                )
            })
    }

    fn string(&mut self) -> Result<String, String> {
        let n = self.length()?;
        Ok(String::from_utf8_lossy(self.take(n)?).into_owned())
    }

    /// An optimized container's `$type` and `#count`, if present.
    fn header(&mut self) -> Result<(Option<u8>, Option<usize>), String> {
        let mut kind = None;
        if self.data.get(self.pos) == Some(&b'$') {
            self.pos += 1;
            kind = Some(self.byte()?);
            if self.data.get(self.pos) != Some(&b'#') {
                return Err(format!("`$` without `#` count at offset {}", self.pos));
            }
        }
        if self.data.get(self.pos) == Some(&b'#') {
            self.pos += 1;
            return Ok((kind, Some(self.length()?)));
        }
        Ok((kind, None))
    }

    fn element(&mut self, kind: Option<u8>, depth: usize) -> Result<Value, String> {
        match kind {
            Some(marker) => self.typed(marker, depth + 1),
            None => self.value(depth + 1),
        }
    }

    fn list(&mut self, depth: usize) -> Result<Value, String> {
        let (kind, count) = self.header()?;
        let mut items = Vec::new();
        match count {
            Some(n) => {
                for _ in 0..n {
                    items.push(self.element(kind, depth)?);
                }
            }
            None => loop {
                match self.marker()? {
                    b']' => break,
                    m => items.push(self.typed(m, depth + 1)?),
                }
            },
        }
        Ok(Value::Array(items))
    }

    fn object(&mut self, depth: usize) -> Result<Value, String> {
        let (kind, count) = self.header()?;
        let mut map = Map::new();
        let mut remaining = count;
        loop {
            match remaining {
                Some(0) => break,
                Some(ref mut n) => *n -= 1,
                None if self.data.get(self.pos) == Some(&b'}') => {
                    self.pos += 1;
                    break;
                }
                None => {}
            }
            let key = self.string()?;
            let value = self.element(kind, depth)?;
            map.insert(key, value);
        }
        Ok(Value::Object(map))
    }
}

fn float(f: f64) -> Value {
    Number::from_f64(f).map_or(Value::Null, Value::Number)
}
