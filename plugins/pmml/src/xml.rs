//! A small XML tokenizer: tags, attributes, text, comments, processing
//! instructions, CDATA and the raw DOCTYPE. It never expands entities and never
//! fetches anything; the DOCTYPE is returned as bytes for the checks to read.

/// One attribute: name and raw (unexpanded) value.
pub struct Attr<'a> {
    pub name: &'a str,
    pub value: &'a str,
}

pub enum Token<'a> {
    Start {
        name: &'a str,
        attrs: Vec<Attr<'a>>,
        empty: bool,
    },
    End {
        name: &'a str,
    },
    Text(&'a str),
    Doctype(&'a str),
    /// Comments and processing instructions: skipped by the checks.
    Other,
}

pub struct Tokenizer<'a> {
    text: &'a str,
    pub pos: usize,
}

/// Attributes kept per element at most; more is malformed for PMML.
pub const MAX_ATTRS: usize = 256;

impl<'a> Tokenizer<'a> {
    pub fn new(text: &'a str) -> Self {
        Tokenizer { text, pos: 0 }
    }

    fn rest(&self) -> &'a str {
        &self.text[self.pos..]
    }

    /// The next token and its start offset; `Ok(None)` at the end of the text.
    pub fn next_token(&mut self) -> Result<Option<(usize, Token<'a>)>, String> {
        let start = self.pos;
        let rest = self.rest();
        if rest.is_empty() {
            return Ok(None);
        }
        let token = if let Some(after) = rest.strip_prefix("<!--") {
            self.skip_past(after, "-->", 4, "comment")?;
            Token::Other
        } else if let Some(after) = rest.strip_prefix("<![CDATA[") {
            let end = after.find("]]>").ok_or("unterminated CDATA section")?;
            self.pos += 9 + end + 3;
            Token::Text(&after[..end])
        } else if rest.starts_with("<!DOCTYPE") || rest.starts_with("<!doctype") {
            let len = doctype_len(rest)?;
            self.pos += len;
            Token::Doctype(&rest[..len])
        } else if rest.starts_with("<!") {
            // Markup declarations are only valid inside a DOCTYPE.
            return Err(format!("unexpected markup declaration at offset {start}"));
        } else if let Some(after) = rest.strip_prefix("<?") {
            self.skip_past(after, "?>", 2, "processing instruction")?;
            Token::Other
        } else if let Some(after) = rest.strip_prefix("</") {
            let end = after.find('>').ok_or("unterminated end tag")?;
            self.pos += 2 + end + 1;
            let name = after[..end].trim_end();
            check_name(name, start)?;
            Token::End { name }
        } else if let Some(after) = rest.strip_prefix('<') {
            self.start_tag(after, start)?
        } else {
            let end = rest.find('<').unwrap_or(rest.len());
            self.pos += end;
            Token::Text(&rest[..end])
        };
        Ok(Some((start, token)))
    }

    fn skip_past(
        &mut self,
        after: &str,
        close: &str,
        open_len: usize,
        what: &str,
    ) -> Result<(), String> {
        let end = after
            .find(close)
            .ok_or_else(|| format!("unterminated {what}"))?;
        self.pos += open_len + end + close.len();
        Ok(())
    }

    fn start_tag(&mut self, after: &'a str, start: usize) -> Result<Token<'a>, String> {
        let name_len = after
            .find(|c: char| c.is_whitespace() || c == '>' || c == '/')
            .unwrap_or(after.len());
        let name = &after[..name_len];
        check_name(name, start)?;
        let mut attrs = Vec::new();
        let mut i = name_len;
        loop {
            let trimmed = after[i..].trim_start();
            if let Some(r) = trimmed.strip_prefix("/>") {
                self.pos += 1 + after.len() - r.len();
                return Ok(Token::Start {
                    name,
                    attrs,
                    empty: true,
                });
            }
            if let Some(r) = trimmed.strip_prefix('>') {
                self.pos += 1 + after.len() - r.len();
                return Ok(Token::Start {
                    name,
                    attrs,
                    empty: false,
                });
            }
            if trimmed.is_empty() {
                return Err(format!("unterminated start tag <{name}> at offset {start}"));
            }
            let eq = trimmed.find('=').ok_or_else(|| {
                format!("attribute without a value in <{name}> at offset {start}")
            })?;
            let attr_name = trimmed[..eq].trim_end();
            check_name(attr_name, start)?;
            let value_part = trimmed[eq + 1..].trim_start();
            let quote = value_part
                .chars()
                .next()
                .filter(|c| *c == '"' || *c == '\'');
            let quote = quote.ok_or_else(|| {
                format!("unquoted attribute {attr_name} in <{name}> at offset {start}")
            })?;
            let body = &value_part[1..];
            let close = body
                .find(quote)
                .ok_or_else(|| format!("unterminated attribute {attr_name} in <{name}>"))?;
            if attrs.len() == MAX_ATTRS {
                return Err(format!(
                    "<{name}> at offset {start} has more than {MAX_ATTRS} attributes"
                ));
            }
            attrs.push(Attr {
                name: attr_name,
                value: &body[..close],
            });
            i = after.len() - body[close + 1..].len();
        }
    }
}

fn check_name(name: &str, at: usize) -> Result<(), String> {
    let ok = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, ':' | '_' | '-' | '.'));
    if ok {
        Ok(())
    } else {
        Err(format!("invalid name {name:?} at offset {at}"))
    }
}

/// Length of a DOCTYPE declaration, internal subset included; quoted strings
/// may contain `>` and `]`.
fn doctype_len(text: &str) -> Result<usize, String> {
    let mut in_subset = false;
    let mut quote = None;
    for (i, c) in text.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '[') => in_subset = true,
            (None, ']') => in_subset = false,
            (None, '>') if !in_subset => return Ok(i + 1),
            _ => {}
        }
    }
    Err("unterminated DOCTYPE".into())
}

/// An `<!ENTITY>` declaration found in a DOCTYPE.
pub struct Entity<'a> {
    pub name: &'a str,
    pub parameter: bool,
    /// `SYSTEM`/`PUBLIC` identifier when the entity is external.
    pub external: Option<&'a str>,
}

pub fn entities(doctype: &str) -> Vec<Entity<'_>> {
    doctype
        .match_indices("<!ENTITY")
        .map(|(i, _)| {
            let mut words = doctype[i + 8..].split_whitespace();
            let mut name = words.next().unwrap_or("");
            let parameter = name == "%";
            if parameter {
                name = words.next().unwrap_or("");
            }
            let external = match words.next() {
                Some("SYSTEM") => words.next(),
                Some("PUBLIC") => words.nth(1).or(Some("")),
                _ => None,
            }
            .map(|id| {
                id.trim_end_matches('>')
                    .trim_matches(|c| c == '"' || c == '\'')
            });
            Entity {
                name,
                parameter,
                external,
            }
        })
        .collect()
}

/// The external identifier of the DOCTYPE itself (`<!DOCTYPE PMML SYSTEM "x.dtd">`).
pub fn doctype_external(doctype: &str) -> Option<&str> {
    let head = &doctype[..doctype.find('[').unwrap_or(doctype.len())];
    let mut words = head.split_whitespace().skip(2);
    match words.next() {
        Some("SYSTEM") => words.next(),
        Some("PUBLIC") => words.nth(1),
        _ => None,
    }
    .map(|id| {
        id.trim_end_matches('>')
            .trim_matches(|c| c == '"' || c == '\'')
    })
}

/// Entity references other than the five predefined ones and character references.
pub fn custom_entity_refs(text: &str) -> impl Iterator<Item = &str> {
    text.match_indices('&').filter_map(|(i, _)| {
        let rest = &text[i + 1..];
        let end = rest.find(';')?;
        let name = &rest[..end];
        let named = !name.is_empty()
            && name.len() <= 64
            && name
                .chars()
                .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | ':'));
        (named && !name.starts_with('#') && !matches!(name, "lt" | "gt" | "amp" | "quot" | "apos"))
            .then_some(name)
    })
}
