//! Jinja expressions as a tree, parsed by recursive descent with Jinja's operator
//! precedence. The grammar is slightly more permissive than Jinja's (postfix
//! access after filters is accepted) so that a template Jinja would reject is
//! still analysed rather than skipped. Nesting is capped at [`MAX_DEPTH`], which
//! also bounds every recursive walk over the tree.

use crate::lexer::{Tok, Token};

/// Deepest expression tree built; deeper input is reported, not parsed.
pub const MAX_DEPTH: usize = 200;
/// Deepest recursion of the descent itself (each level is a dozen stack frames;
/// plugins run with a 1 MiB wasm stack).
const MAX_NESTING: usize = 48;

#[derive(Clone, Debug)]
pub struct Expr {
    pub kind: Kind,
    /// Byte offset in the template.
    pub at: usize,
    pub depth: usize,
}

#[derive(Clone, Debug, Default)]
pub struct Args {
    pub positional: Vec<Expr>,
    pub keyword: Vec<(String, Expr)>,
}

#[derive(Clone, Debug)]
pub enum Kind {
    Name(String),
    Str {
        value: String,
        spelled: bool,
    },
    Int(i64),
    /// Floats, booleans and `none`: values that never spell a name.
    Other,
    List(Vec<Expr>),
    Tuple(Vec<Expr>),
    Dict(Vec<(Expr, Expr)>),
    Attr(Box<Expr>, String),
    Item(Box<Expr>, Box<Expr>),
    Slice([Option<Box<Expr>>; 3]),
    Call(Box<Expr>, Args),
    /// `target | name(args)`; no target in `{% filter name %}`.
    Filter(Option<Box<Expr>>, String, Args),
    Test(Box<Expr>, String, Args),
    Unary(&'static str, Box<Expr>),
    Binary(&'static str, Box<Expr>, Box<Expr>),
    Cond(Box<Expr>, Box<Expr>, Option<Box<Expr>>),
}

impl Expr {
    fn new(kind: Kind, at: usize) -> Result<Expr, ParseError> {
        let depth = 1 + kind.children().map(|c| c.depth).max().unwrap_or(0);
        if depth > MAX_DEPTH {
            return Err(ParseError {
                at,
                message: format!("expression nested deeper than {MAX_DEPTH} levels"),
            });
        }
        Ok(Expr { kind, at, depth })
    }

    /// Every direct sub-expression.
    pub fn children(&self) -> impl Iterator<Item = &Expr> {
        self.kind.children()
    }
}

impl Kind {
    fn children(&self) -> Box<dyn Iterator<Item = &Expr> + '_> {
        match self {
            Kind::Name(_) | Kind::Str { .. } | Kind::Int(_) | Kind::Other => {
                Box::new(std::iter::empty())
            }
            Kind::List(items) | Kind::Tuple(items) => Box::new(items.iter()),
            Kind::Dict(pairs) => Box::new(pairs.iter().flat_map(|(k, v)| [k, v])),
            Kind::Attr(t, _) | Kind::Unary(_, t) => Box::new(std::iter::once(&**t)),
            Kind::Item(t, k) | Kind::Binary(_, t, k) => Box::new([&**t, &**k].into_iter()),
            Kind::Slice(parts) => Box::new(parts.iter().flatten().map(|b| &**b)),
            Kind::Call(t, args) | Kind::Test(t, _, args) => {
                Box::new(std::iter::once(&**t).chain(args.iter()))
            }
            Kind::Filter(t, _, args) => Box::new(t.iter().map(|b| &**b).chain(args.iter())),
            Kind::Cond(a, b, c) => Box::new([&**a, &**b].into_iter().chain(c.iter().map(|b| &**b))),
        }
    }
}

impl Args {
    pub fn iter(&self) -> impl Iterator<Item = &Expr> {
        self.positional
            .iter()
            .chain(self.keyword.iter().map(|(_, e)| e))
    }

    pub fn keyword(&self, name: &str) -> Option<&Expr> {
        self.keyword.iter().find(|(k, _)| k == name).map(|(_, e)| e)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    pub at: usize,
    pub message: String,
}

/// Names that end an expression inside a statement (`for x in y if z recursive`).
const STOP_WORDS: &[&str] = &[
    "in",
    "if",
    "else",
    "recursive",
    "as",
    "import",
    "ignore",
    "missing",
    "with",
    "without",
    "context",
    "and",
    "or",
    "not",
    "is",
];

/// A cursor over one tag's tokens.
pub struct Parser<'t> {
    tokens: &'t [Token],
    pos: usize,
    /// Offset reported when the tokens run out.
    end_at: usize,
    nesting: usize,
}

type Parsed = Result<Expr, ParseError>;

impl<'t> Parser<'t> {
    pub fn new(tokens: &'t [Token], end_at: usize) -> Self {
        Parser {
            tokens,
            pos: 0,
            end_at,
            nesting: 0,
        }
    }

    pub fn at_end(&self) -> bool {
        self.pos >= self.tokens.len()
    }

    pub fn peek(&self) -> Option<&'t Tok> {
        self.tokens.get(self.pos).map(|t| &t.tok)
    }

    pub fn offset(&self) -> usize {
        self.tokens.get(self.pos).map_or(self.end_at, |t| t.at)
    }

    /// Tokens from byte offset `from` through `to`.
    pub fn tokens_between(&self, from: usize, to: usize) -> &'t [Token] {
        let lo = self.tokens.partition_point(|t| t.at < from);
        let hi = self.tokens.partition_point(|t| t.at <= to);
        &self.tokens[lo..hi.max(lo)]
    }

    /// After an error: continue with the first token after both offsets.
    pub fn resume_after(&mut self, error_at: usize, start: usize) {
        let past = error_at.max(start);
        self.pos = self.tokens.partition_point(|t| t.at <= past);
    }

    pub fn advance(&mut self) {
        self.pos += 1;
    }

    pub fn is_op(&self, op: &str) -> bool {
        matches!(self.peek(), Some(Tok::Op(o)) if *o == op)
    }

    pub fn is_name(&self, name: &str) -> bool {
        matches!(self.peek(), Some(Tok::Name(n)) if n == name)
    }

    pub fn eat_op(&mut self, op: &str) -> bool {
        let hit = self.is_op(op);
        self.pos += hit as usize;
        hit
    }

    pub fn eat_name(&mut self, name: &str) -> bool {
        let hit = self.is_name(name);
        self.pos += hit as usize;
        hit
    }

    pub fn name(&mut self) -> Option<String> {
        match self.peek() {
            Some(Tok::Name(n)) => {
                self.pos += 1;
                Some(n.clone())
            }
            _ => None,
        }
    }

    fn error<T>(&self, message: impl Into<String>) -> Result<T, ParseError> {
        Err(ParseError {
            at: self.offset(),
            message: message.into(),
        })
    }

    fn expect_op(&mut self, op: &str) -> Result<(), ParseError> {
        if self.eat_op(op) {
            Ok(())
        } else {
            self.error(format!("expected `{op}`, found {}", self.describe()))
        }
    }

    fn describe(&self) -> String {
        match self.peek() {
            None => "the end of the tag".into(),
            Some(Tok::Name(n)) => format!("`{n}`"),
            Some(Tok::Op(o)) => format!("`{o}`"),
            Some(Tok::Str { .. }) => "a string".into(),
            Some(Tok::Int(_) | Tok::Float) => "a number".into(),
        }
    }

    /// Guards the recursion of the descent itself (`((((...` or `- - - x`).
    fn nested<T>(
        &mut self,
        f: impl FnOnce(&mut Self) -> Result<T, ParseError>,
    ) -> Result<T, ParseError> {
        if self.nesting >= MAX_NESTING {
            return self.error(format!(
                "expression nested deeper than {MAX_NESTING} levels"
            ));
        }
        self.nesting += 1;
        let result = f(self);
        self.nesting -= 1;
        result
    }

    /// An expression, or several separated by commas as a tuple (`a, b`).
    pub fn tuple(&mut self) -> Parsed {
        let at = self.offset();
        let first = self.expression()?;
        if !self.is_op(",") {
            return Ok(first);
        }
        let mut items = vec![first];
        while self.eat_op(",") {
            if self.at_end()
                || self.is_op("=")
                || self
                    .peek()
                    .is_some_and(|t| matches!(t, Tok::Name(n) if STOP_WORDS.contains(&n.as_str())))
            {
                break;
            }
            items.push(self.expression()?);
        }
        Expr::new(Kind::Tuple(items), at)
    }

    /// `a if b else c` and everything below it.
    pub fn expression(&mut self) -> Parsed {
        self.nested(|p| {
            let at = p.offset();
            let value = p.or()?;
            if !p.eat_name("if") {
                return Ok(value);
            }
            let test = p.or()?;
            let otherwise = if p.eat_name("else") {
                Some(Box::new(p.expression()?))
            } else {
                None
            };
            Expr::new(Kind::Cond(Box::new(test), Box::new(value), otherwise), at)
        })
    }

    fn binary_chain(
        &mut self,
        ops: &[&'static str],
        words: bool,
        next: fn(&mut Self) -> Parsed,
    ) -> Parsed {
        let at = self.offset();
        let mut left = next(self)?;
        loop {
            let op = ops.iter().copied().find(|op| {
                if words {
                    self.is_name(op)
                } else {
                    self.is_op(op)
                }
            });
            let Some(op) = op else {
                return Ok(left);
            };
            self.advance();
            let right = next(self)?;
            left = Expr::new(Kind::Binary(op, Box::new(left), Box::new(right)), at)?;
        }
    }

    fn or(&mut self) -> Parsed {
        self.binary_chain(&["or"], true, Self::and)
    }

    fn and(&mut self) -> Parsed {
        self.binary_chain(&["and"], true, Self::not)
    }

    fn not(&mut self) -> Parsed {
        let at = self.offset();
        if self.eat_name("not") {
            let operand = self.nested(Self::not)?;
            return Expr::new(Kind::Unary("not", Box::new(operand)), at);
        }
        self.compare()
    }

    fn compare(&mut self) -> Parsed {
        let at = self.offset();
        let mut left = self.math1()?;
        loop {
            let op = if let Some(op) = ["==", "!=", "<", ">", "<=", ">="]
                .into_iter()
                .find(|op| self.is_op(op))
            {
                self.advance();
                op
            } else if self.eat_name("in") {
                "in"
            } else if self.is_name("not")
                && matches!(self.tokens.get(self.pos + 1).map(|t| &t.tok), Some(Tok::Name(n)) if n == "in")
            {
                self.pos += 2;
                "not in"
            } else {
                return Ok(left);
            };
            let right = self.math1()?;
            left = Expr::new(Kind::Binary(op, Box::new(left), Box::new(right)), at)?;
        }
    }

    fn math1(&mut self) -> Parsed {
        self.binary_chain(&["+", "-"], false, Self::concat)
    }

    fn concat(&mut self) -> Parsed {
        self.binary_chain(&["~"], false, Self::math2)
    }

    fn math2(&mut self) -> Parsed {
        self.binary_chain(&["*", "/", "//", "%"], false, Self::pow)
    }

    fn pow(&mut self) -> Parsed {
        self.binary_chain(&["**"], false, Self::unary)
    }

    fn unary(&mut self) -> Parsed {
        let at = self.offset();
        for op in ["-", "+"] {
            if self.eat_op(op) {
                let operand = self.nested(Self::unary)?;
                return Expr::new(Kind::Unary(op, Box::new(operand)), at);
            }
        }
        let primary = self.primary()?;
        self.postfix(primary)
    }

    fn primary(&mut self) -> Parsed {
        let at = self.offset();
        let Some(tok) = self.peek() else {
            return self.error("expected an expression, found the end of the tag");
        };
        let kind = match tok {
            Tok::Name(n) => {
                self.advance();
                match n.as_str() {
                    "true" | "false" | "none" | "True" | "False" | "None" => Kind::Other,
                    _ => Kind::Name(n.clone()),
                }
            }
            Tok::Str { .. } => {
                // Adjacent literals concatenate: `'__cla' 'ss__'`.
                let mut value = String::new();
                let mut spelled = false;
                while let Some(Tok::Str {
                    value: v,
                    spelled: s,
                }) = self.peek()
                {
                    value.push_str(v);
                    spelled |= s;
                    self.advance();
                }
                Kind::Str { value, spelled }
            }
            Tok::Int(n) => {
                self.advance();
                Kind::Int(*n)
            }
            Tok::Float => {
                self.advance();
                Kind::Other
            }
            Tok::Op("(") => {
                self.advance();
                if self.eat_op(")") {
                    Kind::Tuple(Vec::new())
                } else {
                    let inner = self.nested(Self::tuple)?;
                    self.expect_op(")")?;
                    return Ok(inner);
                }
            }
            Tok::Op("[") => {
                self.advance();
                Kind::List(self.nested(|p| p.items("]", Self::expression))?)
            }
            Tok::Op("{") => {
                self.advance();
                Kind::Dict(self.nested(|p| {
                    p.items("}", |p| {
                        let key = p.expression()?;
                        p.expect_op(":")?;
                        Ok((key, p.expression()?))
                    })
                })?)
            }
            _ => return self.error(format!("expected an expression, found {}", self.describe())),
        };
        Expr::new(kind, at)
    }

    /// Comma-separated items up to `close` (a trailing comma is allowed).
    fn items<T>(
        &mut self,
        close: &str,
        item: impl Fn(&mut Self) -> Result<T, ParseError>,
    ) -> Result<Vec<T>, ParseError> {
        let mut items = Vec::new();
        while !self.eat_op(close) {
            if !items.is_empty() {
                self.expect_op(",")?;
                if self.eat_op(close) {
                    break;
                }
            }
            items.push(item(self)?);
        }
        Ok(items)
    }

    /// `.name`, `[key]`, `(args)`, `| filter`, `is test`, in any order.
    fn postfix(&mut self, mut node: Expr) -> Parsed {
        loop {
            let at = self.offset();
            let kind = if self.eat_op(".") {
                match self.peek() {
                    Some(Tok::Name(n)) => {
                        let n = n.clone();
                        self.advance();
                        Kind::Attr(Box::new(node), n)
                    }
                    Some(Tok::Int(i)) => {
                        let i = *i;
                        self.advance();
                        let key = Expr::new(Kind::Int(i), at)?;
                        Kind::Item(Box::new(node), Box::new(key))
                    }
                    _ => {
                        return self.error(format!(
                            "expected an attribute name, found {}",
                            self.describe()
                        ));
                    }
                }
            } else if self.eat_op("[") {
                let key = self.nested(Self::subscript)?;
                self.expect_op("]")?;
                Kind::Item(Box::new(node), Box::new(key))
            } else if self.eat_op("(") {
                Kind::Call(Box::new(node), self.nested(Self::call_args)?)
            } else if self.eat_op("|") {
                let (name, args) = self.filter_call()?;
                Kind::Filter(Some(Box::new(node)), name, args)
            } else if self.eat_name("is") {
                let negated = self.eat_name("not");
                let (name, args) = self.test_call()?;
                let test = Expr::new(Kind::Test(Box::new(node), name, args), at)?;
                if negated {
                    Kind::Unary("not", Box::new(test))
                } else {
                    node = test;
                    continue;
                }
            } else {
                return Ok(node);
            };
            node = Expr::new(kind, at)?;
        }
    }

    /// `key`, `a:b:c` slices, or several as a tuple.
    fn subscript(&mut self) -> Parsed {
        let at = self.offset();
        let mut items = Vec::new();
        loop {
            items.push(self.slice_or_expr()?);
            if !self.eat_op(",") || self.is_op("]") {
                break;
            }
        }
        if items.len() == 1 {
            return Ok(items.pop().expect("one item"));
        }
        Expr::new(Kind::Tuple(items), at)
    }

    fn slice_or_expr(&mut self) -> Parsed {
        let at = self.offset();
        let mut parts: [Option<Box<Expr>>; 3] = [None, None, None];
        let bound = |p: &mut Self| -> Result<Option<Box<Expr>>, ParseError> {
            if p.is_op(":") || p.is_op("]") || p.is_op(",") {
                Ok(None)
            } else {
                Ok(Some(Box::new(p.expression()?)))
            }
        };
        parts[0] = bound(self)?;
        if !self.eat_op(":") {
            return parts[0]
                .take()
                .map(|b| *b)
                .map_or_else(|| self.error("empty subscript"), Ok);
        }
        parts[1] = bound(self)?;
        if self.eat_op(":") {
            parts[2] = bound(self)?;
        }
        Expr::new(Kind::Slice(parts), at)
    }

    /// Arguments after `(` up to `)`: positional, `name=value`, `*args`, `**kwargs`.
    fn call_args(&mut self) -> Result<Args, ParseError> {
        let mut args = Args::default();
        let mut first = true;
        while !self.eat_op(")") {
            if !first {
                self.expect_op(",")?;
                if self.eat_op(")") {
                    break;
                }
            }
            first = false;
            if self.eat_op("*") || self.eat_op("**") {
                args.positional.push(self.expression()?);
                continue;
            }
            let keyword = matches!(self.peek(), Some(Tok::Name(_)))
                && matches!(
                    self.tokens.get(self.pos + 1).map(|t| &t.tok),
                    Some(Tok::Op("="))
                );
            if keyword {
                let name = self.name().expect("checked above");
                self.advance();
                args.keyword.push((name, self.expression()?));
            } else {
                args.positional.push(self.expression()?);
            }
        }
        Ok(args)
    }

    /// `name`, `name.dotted`, then optional `(args)`.
    pub fn filter_call(&mut self) -> Result<(String, Args), ParseError> {
        let Some(mut name) = self.name() else {
            return self.error(format!("expected a filter name, found {}", self.describe()));
        };
        while self.is_op(".")
            && matches!(
                self.tokens.get(self.pos + 1).map(|t| &t.tok),
                Some(Tok::Name(_))
            )
        {
            self.advance();
            name.push('.');
            name.push_str(&self.name().expect("checked above"));
        }
        let args = if self.eat_op("(") {
            self.nested(Self::call_args)?
        } else {
            Args::default()
        };
        Ok((name, args))
    }

    /// A test name with `(args)` or a single bare argument (`is divisibleby 3`).
    fn test_call(&mut self) -> Result<(String, Args), ParseError> {
        let (name, mut args) = self.filter_call()?;
        let bare_arg = match self.peek() {
            Some(Tok::Name(n)) => !STOP_WORDS.contains(&n.as_str()),
            Some(Tok::Str { .. } | Tok::Int(_) | Tok::Float) => true,
            Some(Tok::Op("[" | "{")) => true,
            _ => false,
        };
        if args.positional.is_empty() && args.keyword.is_empty() && bare_arg {
            let arg = self.nested(Self::unary)?;
            args.positional.push(arg);
        }
        Ok((name, args))
    }
}
