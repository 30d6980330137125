//! One tag as the analysis needs it: its keyword, the expressions it evaluates,
//! the names it binds (loop variables, `set` targets, macro parameters) and the
//! single-name assignment `{% set x = ... %}` that constant folding can follow.

use crate::lexer::{Tag, TagKind, Tok, Token};
use crate::parser::{Args, Expr, Kind, ParseError, Parser};

#[derive(Debug, Default)]
pub struct Node {
    /// The statement keyword (`for`, `set`, `include`...); `None` for `{{ }}`.
    pub keyword: Option<String>,
    pub exprs: Vec<Expr>,
    /// `{% set name = exprs[0] %}`.
    pub assigns: Option<String>,
    pub binds: Vec<String>,
    /// Opens a block that `end<keyword>` closes.
    pub opens_block: bool,
    pub issues: Vec<ParseError>,
}

/// Statements that open a block closed by `end<keyword>`.
pub const BLOCKS: &[&str] = &[
    "for",
    "if",
    "macro",
    "call",
    "filter",
    "with",
    "block",
    "autoescape",
    "trans",
    "generation",
];
/// Statements without expressions.
const BARE: &[&str] = &[
    "else",
    "break",
    "continue",
    "raw",
    "pluralize",
    "trans",
    "generation",
];
/// Statements that load another template.
pub const LOADERS: &[&str] = &["include", "import", "from", "extends"];

pub fn parse(tag: &Tag) -> Node {
    let mut p = Parser::new(&tag.tokens, tag.end);
    let mut node = Node::default();
    if tag.kind == TagKind::Output {
        generic(&mut p, &mut node);
        return node;
    }
    let Some(keyword) = p.name() else {
        node.issues.push(ParseError {
            at: tag.start,
            message: "statement without a keyword".into(),
        });
        generic(&mut p, &mut node);
        return node;
    };
    match keyword.as_str() {
        "for" => for_loop(&mut p, &mut node),
        "set" => set(&mut p, &mut node),
        "macro" => macro_def(&mut p, &mut node),
        "call" => call_block(&mut p, &mut node),
        "with" => with_block(&mut p, &mut node),
        "filter" => filter_chain(&mut p, &mut node),
        "block" => {
            p.name();
        }
        "import" | "from" => import(&mut p, &mut node),
        "if" | "elif" | "do" | "include" | "extends" | "autoescape" => generic(&mut p, &mut node),
        k if BARE.contains(&k) || k.starts_with("end") => {}
        other => {
            node.issues.push(ParseError {
                at: tag.start,
                message: format!("unknown statement `{other}`"),
            });
            generic(&mut p, &mut node);
        }
    }
    if !p.at_end() && node.issues.is_empty() {
        generic(&mut p, &mut node);
    }
    node.opens_block |= BLOCKS.contains(&keyword.as_str());
    node.keyword = Some(keyword);
    node
}

/// Expressions until the end of the tag, skipping separators and statement words.
/// A part that fails to parse is reported and its tokens still analysed one by one.
fn generic(p: &mut Parser, node: &mut Node) {
    while !p.at_end() {
        let skip = matches!(p.peek(), Some(Tok::Op("," | "=" | ")" | "]" | "}" | ":")))
            || matches!(p.peek(), Some(Tok::Name(n)) if ["in", "if", "else", "recursive", "as", "import", "ignore", "missing", "with", "without", "context"].contains(&n.as_str()));
        if skip {
            p.advance();
            continue;
        }
        let start = p.offset();
        match p.tuple() {
            Ok(expr) => node.exprs.push(expr),
            Err(e) => {
                node.exprs.extend(fragments(p.tokens_between(start, e.at)));
                p.resume_after(e.at, start);
                node.issues.push(e);
            }
        }
    }
}

/// Stand-ins for tokens that did not parse: names, `.attribute`s and `['keys']`,
/// so a broken tag still shows what it reaches for.
fn fragments(tokens: &[Token]) -> Vec<Expr> {
    let mut out = Vec::new();
    for (i, t) in tokens.iter().enumerate() {
        let prev = i.checked_sub(1).map(|j| &tokens[j].tok);
        let unknown = || Expr {
            kind: Kind::Other,
            at: t.at,
            depth: 1,
        };
        let kind = match (&t.tok, prev) {
            (Tok::Name(n), Some(Tok::Op("."))) => Kind::Attr(Box::new(unknown()), n.clone()),
            (Tok::Name(n), _) => Kind::Name(n.clone()),
            (Tok::Str { value, spelled }, Some(Tok::Op("["))) => {
                let key = Expr {
                    kind: Kind::Str {
                        value: value.clone(),
                        spelled: *spelled,
                    },
                    at: t.at,
                    depth: 1,
                };
                Kind::Item(Box::new(unknown()), Box::new(key))
            }
            (Tok::Str { value, spelled }, _) => Kind::Str {
                value: value.clone(),
                spelled: *spelled,
            },
            _ => continue,
        };
        out.push(Expr {
            kind,
            at: t.at,
            depth: 2,
        });
    }
    out
}

/// `for a, (b, c) in iterable [if cond] [recursive]`
fn for_loop(p: &mut Parser, node: &mut Node) {
    while !p.at_end() && !p.is_name("in") {
        if let Some(Tok::Name(n)) = p.peek() {
            node.binds.push(n.clone());
        }
        p.advance();
    }
    p.eat_name("in");
    generic(p, node);
}

/// `set x = expr`, `set a, b = expr`, `set ns.attr = expr`, or block `set x | filter`.
fn set(p: &mut Parser, node: &mut Node) {
    let mut targets = Vec::new();
    let mut dotted = false;
    while !p.at_end() && !p.is_op("=") && !p.is_op("|") {
        match p.peek() {
            Some(Tok::Name(n)) if !dotted => targets.push(n.clone()),
            Some(Tok::Op(".")) => dotted = true,
            _ => {}
        }
        p.advance();
    }
    if dotted {
        targets.truncate(1);
    }
    node.binds.extend(targets.iter().cloned());
    if p.eat_op("=") {
        generic(p, node);
        if let ([name], false, [_]) = (targets.as_slice(), dotted, node.exprs.as_slice()) {
            node.assigns = Some(name.clone());
        }
    } else {
        node.opens_block = true;
        if p.eat_op("|") {
            filter_chain(p, node);
        }
    }
}

/// `macro name(a, b=default)`
fn macro_def(p: &mut Parser, node: &mut Node) {
    if let Some(name) = p.name() {
        node.binds.push(name);
    }
    if p.eat_op("(") {
        parameters(p, node);
    }
}

/// `call(params) macro(args)` or `call macro(args)`
fn call_block(p: &mut Parser, node: &mut Node) {
    if p.eat_op("(") {
        parameters(p, node);
    }
    generic(p, node);
}

/// Parameters after `(`: bare names and `name=default`, up to `)`.
fn parameters(p: &mut Parser, node: &mut Node) {
    while !p.at_end() && !p.eat_op(")") {
        match p.peek() {
            Some(Tok::Name(n)) => {
                node.binds.push(n.clone());
                p.advance();
                if p.eat_op("=") {
                    match p.expression() {
                        Ok(e) => node.exprs.push(e),
                        Err(e) => {
                            node.issues.push(e);
                            return;
                        }
                    }
                }
            }
            _ => p.advance(),
        }
    }
}

/// `with a = expr, b = expr`
fn with_block(p: &mut Parser, node: &mut Node) {
    while let Some(name) = p.name() {
        node.binds.push(name);
        if !p.eat_op("=") {
            break;
        }
        match p.expression() {
            Ok(e) => node.exprs.push(e),
            Err(e) => {
                node.issues.push(e);
                return;
            }
        }
        p.eat_op(",");
    }
}

/// `filter name(args) | other`, and the filters of a block `set`.
fn filter_chain(p: &mut Parser, node: &mut Node) {
    loop {
        let at = p.offset();
        match p.filter_call() {
            Ok((name, args)) => node.exprs.push(filter_node(name, args, at)),
            Err(e) => {
                node.issues.push(e);
                return;
            }
        }
        if !p.eat_op("|") {
            return;
        }
    }
}

fn filter_node(name: String, args: Args, at: usize) -> Expr {
    let depth = 1 + args.iter().map(|e| e.depth).max().unwrap_or(0);
    Expr {
        kind: Kind::Filter(None, name, args),
        at,
        depth,
    }
}

/// `import expr as name` and `from expr import a, b as c [with context]`
fn import(p: &mut Parser, node: &mut Node) {
    match p.expression() {
        Ok(e) => node.exprs.push(e),
        Err(e) => {
            node.issues.push(e);
            return;
        }
    }
    while !p.at_end() {
        if p.eat_name("as") || p.eat_name("import") || p.eat_op(",") {
            continue;
        }
        match p.name() {
            Some(n) if !["with", "without", "context"].contains(&n.as_str()) => node.binds.push(n),
            Some(_) => {}
            None => p.advance(),
        }
    }
}
