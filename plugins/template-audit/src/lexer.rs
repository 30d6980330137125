//! Splits a Jinja template into tags (`{{ }}`, `{% %}`) made of tokens, the way
//! Jinja's own lexer does: comments and `{% raw %}` bodies are skipped, a tag ends
//! only at a closing delimiter outside strings and brackets, and string literals
//! are decoded with Python's escape rules (so `'\x5f'` is `_`).

/// One lexical token inside a tag.
#[derive(Clone, Debug, PartialEq)]
pub enum Tok {
    Name(String),
    /// A decoded string literal; `spelled` when an escape sequence produced an
    /// ASCII letter, digit or underscore (a way to hide a name from text search).
    Str {
        value: String,
        spelled: bool,
    },
    Int(i64),
    Float,
    Op(&'static str),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Token {
    pub tok: Tok,
    /// Byte offset in the template.
    pub at: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TagKind {
    /// `{{ ... }}`
    Output,
    /// `{% ... %}`
    Statement,
}

#[derive(Clone, Debug)]
pub struct Tag {
    pub kind: TagKind,
    /// Byte range of the whole tag, delimiters included.
    pub start: usize,
    pub end: usize,
    pub tokens: Vec<Token>,
}

/// A problem Jinja itself would reject, with its byte offset.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LexIssue {
    pub at: usize,
    pub message: String,
}

/// Multi-character operators first, so the longest one matches.
const OPERATORS: &[&str] = &[
    "//", "**", "==", "!=", ">=", "<=", "+", "-", "/", "*", "%", "~", "[", "]", "(", ")", "{", "}",
    ">", "<", "=", ".", ":", "|", ",", ";",
];

pub fn lex(src: &str) -> (Vec<Tag>, Vec<LexIssue>) {
    let mut lexer = Lexer {
        src,
        pos: 0,
        tags: Vec::new(),
        issues: Vec::new(),
    };
    lexer.run();
    (lexer.tags, lexer.issues)
}

struct Lexer<'a> {
    src: &'a str,
    pos: usize,
    tags: Vec<Tag>,
    issues: Vec<LexIssue>,
}

impl Lexer<'_> {
    fn run(&mut self) {
        while let Some(open) = self.next_opening() {
            let start = self.pos + open;
            let rest = &self.src[start..];
            self.pos = start + 2;
            if rest.starts_with("{#") {
                self.skip_comment(start);
                continue;
            }
            let kind = if rest.starts_with("{{") {
                TagKind::Output
            } else {
                TagKind::Statement
            };
            if matches!(self.peek(), Some('-' | '+')) {
                self.pos += 1;
            }
            let tokens = self.tag_tokens(kind, start);
            let raw = kind == TagKind::Statement
                && matches!(tokens.as_slice(), [Token { tok: Tok::Name(n), .. }] if n == "raw");
            self.tags.push(Tag {
                kind,
                start,
                end: self.pos,
                tokens,
            });
            if raw {
                self.skip_raw(start);
            }
        }
    }

    /// Offset from `pos` of the next `{{`, `{%` or `{#`.
    fn next_opening(&self) -> Option<usize> {
        let rest = &self.src[self.pos..];
        let bytes = rest.as_bytes();
        (0..bytes.len().saturating_sub(1))
            .find(|&i| bytes[i] == b'{' && matches!(bytes[i + 1], b'{' | b'%' | b'#'))
    }

    fn peek(&self) -> Option<char> {
        self.src[self.pos..].chars().next()
    }

    fn issue(&mut self, at: usize, message: impl Into<String>) {
        self.issues.push(LexIssue {
            at,
            message: message.into(),
        });
    }

    fn skip_comment(&mut self, start: usize) {
        match self.src[self.pos..].find("#}") {
            Some(end) => self.pos += end + 2,
            None => {
                self.issue(start, "comment `{#` is never closed");
                self.pos = self.src.len();
            }
        }
    }

    /// Skip to the end of `{% endraw %}`: what lies between is text, not syntax.
    fn skip_raw(&mut self, start: usize) {
        let mut from = self.pos;
        while let Some(i) = self.src[from..].find("{%") {
            let at = from + i + 2;
            let inner = self.src[at..].trim_start_matches(['-', '+']).trim_start();
            if let Some(after) = inner.strip_prefix("endraw") {
                let after = after.trim_start().trim_start_matches(['-', '+']);
                if let Some(rest) = after.strip_prefix("%}") {
                    self.pos = self.src.len() - rest.len();
                    return;
                }
            }
            from = at;
        }
        self.issue(start, "`{% raw %}` is never closed by `{% endraw %}`");
        self.pos = self.src.len();
    }

    fn tag_tokens(&mut self, kind: TagKind, start: usize) -> Vec<Token> {
        let close = if kind == TagKind::Output { "}}" } else { "%}" };
        let mut tokens = Vec::new();
        let mut depth = 0usize;
        loop {
            let rest = &self.src[self.pos..];
            let trimmed = rest.trim_start();
            self.pos += rest.len() - trimmed.len();
            let Some(c) = self.peek() else {
                let opener = if kind == TagKind::Output { "{{" } else { "{%" };
                self.issue(start, format!("`{opener}` is never closed by `{close}`"));
                return tokens;
            };
            if depth == 0 {
                let rest = &self.src[self.pos..];
                let ws_control = rest.strip_prefix(['-', '+']).unwrap_or(rest);
                if ws_control.starts_with(close) {
                    self.pos += rest.len() - ws_control.len() + 2;
                    return tokens;
                }
            }
            let at = self.pos;
            let tok = if c == '\'' || c == '"' {
                self.string(c)
            } else if c.is_ascii_digit() {
                self.number()
            } else if c.is_alphabetic() || c == '_' {
                let len = self.src[at..]
                    .find(|ch: char| !(ch.is_alphanumeric() || ch == '_'))
                    .unwrap_or(self.src.len() - at);
                self.pos += len;
                Tok::Name(self.src[at..at + len].to_owned())
            } else if let Some(op) = OPERATORS.iter().find(|op| self.src[at..].starts_with(**op)) {
                self.pos += op.len();
                match *op {
                    "(" | "[" | "{" => depth += 1,
                    ")" | "]" | "}" => depth = depth.saturating_sub(1),
                    _ => {}
                }
                Tok::Op(op)
            } else {
                self.issue(at, format!("unexpected character {c:?}"));
                self.pos += c.len_utf8();
                continue;
            };
            tokens.push(Token { tok, at });
        }
    }

    /// A quoted string, decoded like Python's `unicode_escape`.
    fn string(&mut self, quote: char) -> Tok {
        let start = self.pos;
        self.pos += 1;
        let mut value = String::new();
        let mut spelled = false;
        loop {
            let Some(c) = self.peek() else {
                self.issue(start, "string literal is never closed");
                return Tok::Str { value, spelled };
            };
            self.pos += c.len_utf8();
            if c == quote {
                return Tok::Str { value, spelled };
            }
            if c != '\\' {
                value.push(c);
                continue;
            }
            let (decoded, numeric) = self.escape();
            if let Some(d) = decoded {
                spelled |= numeric && (d.is_ascii_alphanumeric() || d == '_');
                value.push(d);
            }
        }
    }

    /// The character an escape stands for, and whether it was a numeric escape.
    fn escape(&mut self) -> (Option<char>, bool) {
        let Some(c) = self.peek() else {
            return (Some('\\'), false);
        };
        self.pos += c.len_utf8();
        let simple = match c {
            '\n' => return (None, false),
            'n' => '\n',
            't' => '\t',
            'r' => '\r',
            'a' => '\u{7}',
            'b' => '\u{8}',
            'f' => '\u{c}',
            'v' => '\u{b}',
            '\\' | '\'' | '"' => c,
            'x' => return (self.hex(2), true),
            'u' => return (self.hex(4), true),
            'U' => return (self.hex(8), true),
            '0'..='7' => {
                let mut n = c.to_digit(8).expect("octal digit");
                for _ in 0..2 {
                    match self.peek().and_then(|d| d.to_digit(8)) {
                        Some(d) => {
                            n = n * 8 + d;
                            self.pos += 1;
                        }
                        None => break,
                    }
                }
                return (char::from_u32(n), true);
            }
            'N' => return (self.named(), true),
            // Python keeps unknown escapes as written; only the backslash matters here.
            other => return (Some(other), false),
        };
        (Some(simple), false)
    }

    fn hex(&mut self, digits: usize) -> Option<char> {
        let text = self.src.get(self.pos..self.pos + digits)?;
        let n = u32::from_str_radix(text, 16).ok()?;
        self.pos += digits;
        char::from_u32(n)
    }

    /// `\N{LOW LINE}` and friends: only the names that spell identifiers matter.
    fn named(&mut self) -> Option<char> {
        let rest = &self.src[self.pos..];
        let body = rest.strip_prefix('{')?;
        let end = body.find('}')?;
        self.pos += end + 2;
        let name = body[..end].to_ascii_uppercase();
        match name.as_str() {
            "LOW LINE" => Some('_'),
            "FULL STOP" => Some('.'),
            _ => {
                let letter = name
                    .strip_prefix("LATIN SMALL LETTER ")
                    .map(str::to_ascii_lowercase);
                let letter = letter.or_else(|| {
                    name.strip_prefix("LATIN CAPITAL LETTER ")
                        .map(str::to_owned)
                });
                letter
                    .filter(|l| l.len() == 1)
                    .and_then(|l| l.chars().next())
            }
        }
    }

    fn number(&mut self) -> Tok {
        let rest = &self.src[self.pos..];
        let radix = match rest.get(..2).map(str::to_ascii_lowercase).as_deref() {
            Some("0x") => 16,
            Some("0o") => 8,
            Some("0b") => 2,
            _ => 10,
        };
        let skip = if radix == 10 { 0 } else { 2 };
        let digits = rest[skip..]
            .find(|c: char| !(c.is_digit(radix) || c == '_'))
            .unwrap_or(rest.len() - skip);
        let mut len = skip + digits;
        let mut float = false;
        if radix == 10 {
            let after = &rest[len..];
            if after.starts_with('.') && after[1..].starts_with(|c: char| c.is_ascii_digit()) {
                float = true;
                len += 1 + after[1..]
                    .find(|c: char| !(c.is_ascii_digit() || c == '_'))
                    .unwrap_or(after.len() - 1);
            }
            let after = &rest[len..];
            if after.starts_with(['e', 'E']) {
                let exp = after[1..].strip_prefix(['+', '-']).unwrap_or(&after[1..]);
                let exp_digits = exp.find(|c: char| !c.is_ascii_digit()).unwrap_or(exp.len());
                if exp_digits > 0 {
                    float = true;
                    len += after.len() - exp.len() + exp_digits;
                }
            }
        }
        self.pos += len;
        if float {
            return Tok::Float;
        }
        let clean: String = rest[skip..skip + digits]
            .chars()
            .filter(|c| *c != '_')
            .collect();
        i64::from_str_radix(&clean, radix).map_or(Tok::Float, Tok::Int)
    }
}
