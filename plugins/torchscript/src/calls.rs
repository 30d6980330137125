//! Finding calls in Python source: dotted names followed by `(`, with comments and
//! string literals skipped so text inside them is never mistaken for code.

pub struct Call {
    pub name: String,
    pub offset: usize,
    pub line: usize,
}

/// Every `a.b.c(` in `code`, in order.
pub fn dotted_calls(code: &str) -> Vec<Call> {
    let bytes = code.as_bytes();
    let mut calls = Vec::new();
    let mut i = 0;
    let mut line = 1;
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            b'\n' => {
                line += 1;
                i += 1;
            }
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'"' | b'\'' => {
                let end = string_end(bytes, i);
                line += bytes[i..end].iter().filter(|&&c| c == b'\n').count();
                i = end;
            }
            _ if is_ident_start(b) => {
                let start = i;
                while i < bytes.len()
                    && (is_ident(bytes[i])
                        || (bytes[i] == b'.'
                            && bytes.get(i + 1).is_some_and(|c| is_ident_start(*c))))
                {
                    i += 1;
                }
                let mut j = i;
                while j < bytes.len() && (bytes[j] == b' ' || bytes[j] == b'\t') {
                    j += 1;
                }
                if bytes.get(j) == Some(&b'(') {
                    calls.push(Call {
                        name: code[start..i].to_string(),
                        offset: start,
                        line,
                    });
                }
            }
            _ => i += 1,
        }
    }
    calls
}

/// Index just past the string literal starting at `start` (single or triple quoted).
fn string_end(bytes: &[u8], start: usize) -> usize {
    let quote = bytes[start];
    let triple = bytes.get(start..start + 3) == Some(&[quote; 3][..]);
    let mut i = start + if triple { 3 } else { 1 };
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'\n' if !triple => return i,
            c if c == quote && (!triple || bytes.get(i..i + 3) == Some(&[quote; 3][..])) => {
                return i + if triple { 3 } else { 1 };
            }
            _ => i += 1,
        }
    }
    bytes.len()
}

fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(code: &str) -> Vec<String> {
        dotted_calls(code).into_iter().map(|c| c.name).collect()
    }

    #[test]
    fn calls_outside_strings_and_comments() {
        assert_eq!(
            names("a.b(c(1), 'd(2)') # e(3)\n\"\"\"f(\n4)\"\"\" g (5)"),
            vec!["a.b", "c", "g"]
        );
        assert_eq!(names("x = 'unterminated(\ny(1)"), vec!["y"]);
        assert_eq!(names("obj.attr[0](1) r'\\'(' h(2)"), vec!["h"]);
    }
}
