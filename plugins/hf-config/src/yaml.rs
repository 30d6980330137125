//! A bounded reader for the YAML that model configs use: block mappings and
//! sequences by indentation, `|`/`>` block scalars, quoted and plain scalars, and
//! single-line flow collections. It builds a JSON value so YAML and JSON configs
//! get the same analysis. Anchors and aliases are kept as text, never expanded
//! (no "billion laughs"); nesting is capped; what it cannot interpret is counted
//! and kept as text so string checks still see it.
//!
//! `!!python/...` tags are collected separately: they are what makes PyYAML's
//! unsafe loaders run code.

use serde_json::{Map, Number, Value};

/// Deepest block nesting interpreted; deeper lines are kept as text.
const MAX_DEPTH: usize = 64;
/// Deepest flow collection (`[[...]]`) interpreted.
const MAX_FLOW_DEPTH: usize = 32;

pub struct Document {
    pub value: Value,
    pub python_tags: Vec<PythonTag>,
    /// Lines the reader could not interpret (kept under `"<uninterpreted>"`).
    pub uninterpreted: usize,
}

#[derive(Debug, PartialEq, Eq)]
pub struct PythonTag {
    pub line: usize,
    /// e.g. `!!python/object/apply:os.system`
    pub tag: String,
    /// The rest of the line after the tag.
    pub argument: String,
}

#[derive(Clone)]
struct Line {
    indent: usize,
    text: String,
    /// The text of a `|` or `>` block scalar that this line introduces.
    block: Option<String>,
}

pub fn read(text: &str) -> Document {
    let (lines, python_tags) = preprocess(text);
    let mut reader = Reader {
        lines,
        idx: 0,
        orphans: Vec::new(),
    };
    let mut root = Map::new();
    let mut sequence = Vec::new();
    while reader.idx < reader.lines.len() {
        let start = reader.idx;
        let indent = reader.lines[start].indent;
        match reader.block(indent, 0) {
            Value::Object(m) => root.extend(m),
            Value::Array(items) => sequence.extend(items),
            _ => {}
        }
        if reader.idx == start {
            reader.orphan();
        }
    }
    let uninterpreted = reader.orphans.len();
    if !reader.orphans.is_empty() {
        root.insert(
            "<uninterpreted>".into(),
            Value::Array(reader.orphans.into_iter().map(Value::String).collect()),
        );
    }
    if !sequence.is_empty() {
        root.insert("<sequence>".into(), Value::Array(sequence));
    }
    Document {
        value: Value::Object(root),
        python_tags,
        uninterpreted,
    }
}

/// Lines with comments removed, blank lines and document markers dropped, and
/// block scalars gathered into the line that introduces them.
fn preprocess(text: &str) -> (Vec<Line>, Vec<PythonTag>) {
    let raw: Vec<&str> = text.lines().collect();
    let mut lines = Vec::new();
    let mut tags = Vec::new();
    let mut i = 0;
    while i < raw.len() {
        let number = i + 1;
        let stripped = strip_comment(raw[i]);
        i += 1;
        let trimmed = stripped.trim_start();
        if trimmed.trim().is_empty()
            || trimmed.starts_with("---")
            || trimmed.starts_with("...")
            || trimmed.starts_with('%')
        {
            continue;
        }
        let indent = stripped.len() - trimmed.len();
        let text = trimmed.trim_end().to_owned();
        python_tags(&text, number, &mut tags);
        let block = if block_indicator(&text) {
            let start = i;
            while i < raw.len() && (raw[i].trim().is_empty() || indentation(raw[i]) > indent) {
                i += 1;
            }
            let body = &raw[start..i];
            let dedent = body
                .iter()
                .filter(|l| !l.trim().is_empty())
                .map(|l| indentation(l))
                .min()
                .unwrap_or(0);
            let folded = text.ends_with('>') || text.contains(": >") || text.contains("- >");
            let parts: Vec<&str> = body
                .iter()
                .map(|l| l.get(dedent..).unwrap_or("").trim_end())
                .collect();
            Some(
                parts
                    .join(if folded { " " } else { "\n" })
                    .trim_end()
                    .to_owned(),
            )
        } else {
            None
        };
        lines.push(Line {
            indent,
            text,
            block,
        });
    }
    (lines, tags)
}

fn indentation(line: &str) -> usize {
    line.len() - line.trim_start_matches([' ', '\t']).len()
}

/// `key: |`, `key: >-`, `- |` ...
fn block_indicator(text: &str) -> bool {
    let last = text.rsplit([' ', ':']).next().unwrap_or("");
    let body = text.strip_suffix(last).unwrap_or("").trim_end();
    (last.starts_with('|') || last.starts_with('>'))
        && last[1..]
            .chars()
            .all(|c| c == '-' || c == '+' || c.is_ascii_digit())
        && (body.ends_with(':') || body == "-" || body.is_empty())
}

/// The line without a `#` comment (a `#` at the start or after a space, outside quotes).
fn strip_comment(line: &str) -> &str {
    let mut quote: Option<char> = None;
    let mut prev = ' ';
    for (i, c) in line.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if (c == '"' || c == '\'')
                && (prev == ' '
                    || prev == ':'
                    || prev == '-'
                    || prev == '['
                    || prev == '{'
                    || prev == ',') =>
            {
                quote = Some(c)
            }
            None if c == '#' && (prev == ' ' || prev == '\t' || i == 0) => return &line[..i],
            None => {}
        }
        prev = c;
    }
    line
}

fn python_tags(text: &str, line: usize, tags: &mut Vec<PythonTag>) {
    for marker in ["!!python/", "tag:yaml.org,2002:python/"] {
        for (at, _) in text.match_indices(marker) {
            let start = if marker.starts_with('!') {
                at
            } else {
                text[..at].rfind('!').unwrap_or(at)
            };
            let rest = &text[start..];
            let end = rest.find([' ', ',', ']', '}']).unwrap_or(rest.len());
            let argument: String = rest[end..].trim().chars().take(100).collect();
            tags.push(PythonTag {
                line,
                tag: rest[..end].to_owned(),
                argument,
            });
        }
    }
}

fn is_item(text: &str) -> bool {
    text == "-" || text.starts_with("- ")
}

/// `key: rest` or `"quoted key": rest`.
fn split_key(text: &str) -> Option<(String, &str)> {
    if text.starts_with(['[', '{', '?', '&', '*', '!', '|', '>']) {
        return None;
    }
    if let Some(q) = text.chars().next().filter(|c| *c == '"' || *c == '\'') {
        let close = text[1..].find(q)? + 1;
        let rest = text[close + 1..].trim_start().strip_prefix(':')?;
        return Some((text[1..close].to_owned(), rest.trim_start()));
    }
    let colon = text
        .char_indices()
        .find(|&(i, c)| {
            c == ':'
                && text[i + 1..]
                    .chars()
                    .next()
                    .is_none_or(|n| n == ' ' || n == '\t')
        })?
        .0;
    Some((
        text[..colon].trim().to_owned(),
        text[colon + 1..].trim_start(),
    ))
}

struct Reader {
    lines: Vec<Line>,
    idx: usize,
    orphans: Vec<String>,
}

impl Reader {
    fn orphan(&mut self) {
        let line = &self.lines[self.idx];
        self.orphans
            .push(line.block.clone().unwrap_or_else(|| line.text.clone()));
        self.idx += 1;
    }

    /// The mapping or sequence starting at the current line, if it is indented at least `min`.
    fn block(&mut self, min: usize, depth: usize) -> Value {
        let Some(line) = self.lines.get(self.idx) else {
            return Value::Null;
        };
        let indent = line.indent;
        if indent < min {
            return Value::Null;
        }
        if depth >= MAX_DEPTH {
            while self.lines.get(self.idx).is_some_and(|l| l.indent >= indent) {
                self.orphan();
            }
            return Value::Null;
        }
        if is_item(&line.text) {
            self.sequence(indent, depth)
        } else {
            self.mapping(indent, depth)
        }
    }

    fn sequence(&mut self, indent: usize, depth: usize) -> Value {
        let mut items = Vec::new();
        while let Some(line) = self
            .lines
            .get(self.idx)
            .filter(|l| l.indent == indent && is_item(&l.text))
        {
            let rest = line.text[1..].trim_start().to_owned();
            if rest.is_empty() {
                self.idx += 1;
                items.push(self.block(indent + 1, depth + 1));
            } else if split_key(&rest).is_some() || is_item(&rest) {
                // `- key: value` opens a mapping whose keys sit at the column of `key`.
                let column = indent + line.text.len() - rest.len();
                self.lines[self.idx] = Line {
                    indent: column,
                    text: rest,
                    ..line.clone()
                };
                items.push(self.block(column, depth + 1));
            } else {
                let block = line.block.clone();
                self.idx += 1;
                items.push(block.map_or_else(
                    || self.scalar_with_continuation(&rest, indent),
                    Value::String,
                ));
            }
        }
        Value::Array(items)
    }

    fn mapping(&mut self, indent: usize, depth: usize) -> Value {
        let mut map = Map::new();
        while let Some(line) = self
            .lines
            .get(self.idx)
            .filter(|l| l.indent == indent && !is_item(&l.text))
            .cloned()
        {
            let Some((key, rest)) = split_key(&line.text) else {
                self.orphan();
                continue;
            };
            self.idx += 1;
            let value = if let Some(block) = line.block {
                Value::String(block)
            } else if rest.is_empty() || is_decoration(rest) {
                match self.lines.get(self.idx) {
                    Some(next) if next.indent > indent => self.block(next.indent, depth + 1),
                    // YAML lets a sequence sit at its key's indentation.
                    Some(next) if next.indent == indent && is_item(&next.text) => {
                        self.sequence(indent, depth + 1)
                    }
                    _ => Value::Null,
                }
            } else {
                self.scalar_with_continuation(rest, indent)
            };
            map.insert(key, value);
        }
        Value::Object(map)
    }

    /// A scalar, with the more-indented lines that continue it (multi-line plain
    /// scalars and flow collections).
    fn scalar_with_continuation(&mut self, first: &str, indent: usize) -> Value {
        let mut text = first.to_owned();
        while let Some(next) = self
            .lines
            .get(self.idx)
            .filter(|l| l.indent > indent && l.block.is_none())
        {
            text.push(' ');
            text.push_str(&next.text);
            self.idx += 1;
        }
        scalar(&text)
    }
}

/// A tag or anchor alone (`key: !!map`, `key: &anchor`): the value follows on the next lines.
fn is_decoration(rest: &str) -> bool {
    rest.starts_with(['!', '&']) && !rest.contains(' ')
}

fn scalar(text: &str) -> Value {
    let mut text = text.trim();
    // Tags and anchors decorate the value; aliases are kept as text.
    while text.starts_with(['!', '&']) {
        text = text.find(' ').map_or("", |i| text[i..].trim_start());
    }
    if text.starts_with(['[', '{', '"', '\'']) {
        let mut flow = Flow {
            chars: text.chars().collect(),
            pos: 0,
        };
        if let Some(v) = flow.value(0) {
            return v;
        }
        return Value::String(text.to_owned());
    }
    plain(text)
}

fn plain(text: &str) -> Value {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        _ => {}
    }
    if let Ok(i) = text.parse::<i64>() {
        return Value::Number(i.into());
    }
    if text.contains(['.', 'e', 'E'])
        && text.starts_with(|c: char| c.is_ascii_digit() || c == '-' || c == '+')
        && let Some(n) = text.parse::<f64>().ok().and_then(Number::from_f64)
    {
        return Value::Number(n);
    }
    Value::String(text.to_owned())
}

/// Flow collections and quoted scalars: `[a, 'b', {c: d}]`.
struct Flow {
    chars: Vec<char>,
    pos: usize,
}

impl Flow {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn spaces(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.pos += 1;
        }
    }

    fn value(&mut self, depth: usize) -> Option<Value> {
        if depth > MAX_FLOW_DEPTH {
            return None;
        }
        self.spaces();
        match self.peek()? {
            '[' => {
                self.pos += 1;
                let mut items = Vec::new();
                loop {
                    self.spaces();
                    if self.peek()? == ']' {
                        self.pos += 1;
                        return Some(Value::Array(items));
                    }
                    items.push(self.value(depth + 1)?);
                    self.spaces();
                    match self.peek()? {
                        ',' => self.pos += 1,
                        ']' => {}
                        _ => return None,
                    }
                }
            }
            '{' => {
                self.pos += 1;
                let mut map = Map::new();
                loop {
                    self.spaces();
                    if self.peek()? == '}' {
                        self.pos += 1;
                        return Some(Value::Object(map));
                    }
                    let key = match self.value(depth + 1)? {
                        Value::String(s) => s,
                        other => other.to_string(),
                    };
                    self.spaces();
                    let value = if self.peek() == Some(':') {
                        self.pos += 1;
                        self.value(depth + 1)?
                    } else {
                        Value::Null
                    };
                    map.insert(key, value);
                    self.spaces();
                    match self.peek()? {
                        ',' => self.pos += 1,
                        '}' => {}
                        _ => return None,
                    }
                }
            }
            q @ ('"' | '\'') => self.quoted(q).map(Value::String),
            _ => {
                let start = self.pos;
                while let Some(c) = self.peek() {
                    // `:` ends a key only when followed by a space.
                    let key_end = c == ':'
                        && self
                            .chars
                            .get(self.pos + 1)
                            .is_none_or(|n| n.is_whitespace());
                    if matches!(c, ',' | ']' | '}') || key_end {
                        break;
                    }
                    self.pos += 1;
                }
                let text: String = self.chars[start..self.pos].iter().collect();
                Some(plain(text.trim()))
            }
        }
    }

    /// A quoted scalar: `''` escapes a single quote; double quotes take backslash escapes.
    fn quoted(&mut self, q: char) -> Option<String> {
        self.pos += 1;
        let mut out = String::new();
        loop {
            let c = self.peek()?;
            self.pos += 1;
            match c {
                c if c == q && q == '\'' && self.peek() == Some('\'') => {
                    self.pos += 1;
                    out.push('\'');
                }
                c if c == q => return Some(out),
                '\\' if q == '"' => {
                    let e = self.peek()?;
                    self.pos += 1;
                    match e {
                        'n' => out.push('\n'),
                        't' => out.push('\t'),
                        'x' | 'u' | 'U' => {
                            let width = match e {
                                'x' => 2,
                                'u' => 4,
                                _ => 8,
                            };
                            let hex: String =
                                self.chars.get(self.pos..self.pos + width)?.iter().collect();
                            self.pos += width;
                            out.push(char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?);
                        }
                        other => out.push(other),
                    }
                }
                c => out.push(c),
            }
        }
    }
}
