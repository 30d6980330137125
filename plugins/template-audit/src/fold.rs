//! Constant folding: what an expression evaluates to when it is built only from
//! literals, so names assembled at render time (`'__cla' ~ 'ss__'`, `'%c%c' % (95, 95)`,
//! `['__', 'class', '__']|join`, `'__ssalc__'[::-1]`, `dict(__class__=1)|first`,
//! `chr(95)`) are seen for what they are.

use std::collections::HashMap;

use crate::names::dangerous_spelling;
use crate::parser::{Args, Expr, Kind};

/// Longest string or list built; longer results are not folded.
const MAX_LEN: usize = 4096;
/// Work allowed for one top-level fold (bounds `{% set b = a ~ a %}` chains).
const BUDGET: u32 = 4096;
/// Deepest chain of `{% set %}` variables followed.
const MAX_LOOKUPS: u32 = 16;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Val {
    Str(String),
    Int(i64),
    List(Vec<Val>),
}

impl Val {
    fn text(&self) -> Option<String> {
        match self {
            Val::Str(s) => Some(s.clone()),
            Val::Int(i) => Some(i.to_string()),
            Val::List(_) => None,
        }
    }

    fn items(self) -> Vec<Val> {
        match self {
            Val::List(items) => items,
            Val::Str(s) => s.chars().map(|c| Val::Str(c.into())).collect(),
            other => vec![other],
        }
    }
}

/// Every expression assigned to a name by `{% set name = expr %}`.
pub type Env<'a> = HashMap<String, Vec<&'a Expr>>;

/// The string `expr` folds to, if it folds to one.
pub fn string(expr: &Expr, env: &Env) -> Option<String> {
    match fold(expr, env) {
        Some(Val::Str(s)) => Some(s),
        _ => None,
    }
}

pub fn fold(expr: &Expr, env: &Env) -> Option<Val> {
    Folder {
        env,
        budget: BUDGET,
        lookups: 0,
    }
    .fold(expr)
}

struct Folder<'e, 'a> {
    env: &'e Env<'a>,
    budget: u32,
    lookups: u32,
}

fn bounded(v: Val) -> Option<Val> {
    let len = match &v {
        Val::Str(s) => s.len(),
        Val::List(items) => items.len(),
        Val::Int(_) => 0,
    };
    (len <= MAX_LEN).then_some(v)
}

impl Folder<'_, '_> {
    fn fold(&mut self, e: &Expr) -> Option<Val> {
        self.budget = self.budget.checked_sub(1)?;
        let v = match &e.kind {
            Kind::Str { value, .. } => Val::Str(value.clone()),
            Kind::Int(i) => Val::Int(*i),
            Kind::Name(n) => self.variable(n)?,
            Kind::List(items) | Kind::Tuple(items) => Val::List(self.all(items)?),
            // Iterating a dict yields its keys.
            Kind::Dict(pairs) => Val::List(
                pairs
                    .iter()
                    .map(|(k, _)| self.fold(k))
                    .collect::<Option<_>>()?,
            ),
            Kind::Unary("-", x) => Val::Int(self.int(x)?.checked_neg()?),
            Kind::Unary("+", x) => Val::Int(self.int(x)?),
            Kind::Binary(op, a, b) => self.binary(op, a, b)?,
            Kind::Item(t, key) => self.item(t, key)?,
            Kind::Filter(Some(t), name, args) => {
                let target = self.fold(t)?;
                self.method(target, name, args, true)?
            }
            Kind::Call(callee, args) => self.call(callee, args)?,
            _ => return None,
        };
        bounded(v)
    }

    /// A `{% set %}` variable. Branches and loops are not followed, so of several
    /// assignments the one spelling a dangerous name wins, else the first that folds.
    fn variable(&mut self, name: &str) -> Option<Val> {
        let candidates = self.env.get(name)?;
        if self.lookups >= MAX_LOOKUPS {
            return None;
        }
        self.lookups += 1;
        let mut first = None;
        for candidate in candidates {
            match self.fold(candidate) {
                Some(Val::Str(s)) if dangerous_spelling(&s) => {
                    first = Some(Val::Str(s));
                    break;
                }
                Some(v) => {
                    first.get_or_insert(v);
                }
                None => {}
            }
        }
        self.lookups -= 1;
        first
    }

    fn all(&mut self, items: &[Expr]) -> Option<Vec<Val>> {
        items.iter().map(|i| self.fold(i)).collect()
    }

    fn int(&mut self, e: &Expr) -> Option<i64> {
        match self.fold(e)? {
            Val::Int(i) => Some(i),
            _ => None,
        }
    }

    fn binary(&mut self, op: &str, a: &Expr, b: &Expr) -> Option<Val> {
        let (a, b) = (self.fold(a)?, self.fold(b)?);
        Some(match (op, a, b) {
            ("+", Val::Str(a), Val::Str(b)) => Val::Str(a + &b),
            ("+", Val::List(a), Val::List(b)) => Val::List([a, b].concat()),
            ("+", Val::Int(a), Val::Int(b)) => Val::Int(a.checked_add(b)?),
            ("-", Val::Int(a), Val::Int(b)) => Val::Int(a.checked_sub(b)?),
            ("~", a, b) => Val::Str(a.text()? + &b.text()?),
            ("*", Val::Str(s), Val::Int(n)) | ("*", Val::Int(n), Val::Str(s)) => {
                let n = usize::try_from(n).ok()?;
                if s.len().saturating_mul(n) > MAX_LEN {
                    return None;
                }
                Val::Str(s.repeat(n))
            }
            ("*", Val::Int(a), Val::Int(b)) => Val::Int(a.checked_mul(b)?),
            ("%", Val::Str(fmt), args) => Val::Str(printf(&fmt, &args.items())?),
            _ => return None,
        })
    }

    fn item(&mut self, target: &Expr, key: &Expr) -> Option<Val> {
        let target = self.fold(target)?;
        if let Kind::Slice(parts) = &key.kind {
            let mut bound = |p: &Option<Box<Expr>>| -> Option<Option<i64>> {
                match p {
                    None => Some(None),
                    Some(e) => self.int(e).map(Some),
                }
            };
            let (start, stop, step) = (bound(&parts[0])?, bound(&parts[1])?, bound(&parts[2])?);
            return match target {
                Val::Str(s) => {
                    let chars: Vec<char> = s.chars().collect();
                    Some(Val::Str(
                        slice(&chars, start, stop, step)?.into_iter().collect(),
                    ))
                }
                Val::List(items) => Some(Val::List(slice(&items, start, stop, step)?)),
                Val::Int(_) => None,
            };
        }
        let index = self.int(key)?;
        let items = target.items();
        let len = i64::try_from(items.len()).ok()?;
        let i = if index < 0 { index + len } else { index };
        items.into_iter().nth(usize::try_from(i).ok()?)
    }

    fn call(&mut self, callee: &Expr, args: &Args) -> Option<Val> {
        match &callee.kind {
            Kind::Name(n) if n == "chr" => {
                let [code] = args.positional.as_slice() else {
                    return None;
                };
                let code = u32::try_from(self.int(code)?).ok()?;
                Some(Val::Str(char::from_u32(code)?.into()))
            }
            // `dict(__class__=1)` iterates as its keys.
            Kind::Name(n) if n == "dict" && args.positional.is_empty() => Some(Val::List(
                args.keyword
                    .iter()
                    .map(|(k, _)| Val::Str(k.clone()))
                    .collect(),
            )),
            Kind::Attr(target, method) => {
                let target = self.fold(target)?;
                self.method(target, method, args, false)
            }
            _ => None,
        }
    }

    /// A filter (`x|join`, `filter`) or the string method of the same name (`x.join(...)`).
    fn method(&mut self, target: Val, name: &str, args: &Args, filter: bool) -> Option<Val> {
        let positional = self.all(&args.positional)?;
        let arg = |i: usize| positional.get(i).and_then(Val::text);
        Some(match (name, target) {
            // The filter joins its target; the method joins its argument with the target.
            ("join", items) if filter => {
                Val::Str(join(&items.items(), &arg(0).unwrap_or_default())?)
            }
            ("join", Val::Str(sep)) => Val::Str(join(&positional.first()?.clone().items(), &sep)?),
            ("format", Val::Str(fmt)) if filter => Val::Str(printf(&fmt, &positional)?),
            ("format", Val::Str(fmt)) => Val::Str(brace_format(&fmt, &positional)?),
            ("replace", Val::Str(s)) => Val::Str(s.replace(&arg(0)?, &arg(1)?)),
            ("lower", Val::Str(s)) => Val::Str(s.to_lowercase()),
            ("upper", Val::Str(s)) => Val::Str(s.to_uppercase()),
            ("trim" | "strip", Val::Str(s)) => Val::Str(s.trim().to_owned()),
            ("lstrip", Val::Str(s)) => Val::Str(s.trim_start().to_owned()),
            ("rstrip", Val::Str(s)) => Val::Str(s.trim_end().to_owned()),
            ("reverse", Val::Str(s)) => Val::Str(s.chars().rev().collect()),
            ("reverse", Val::List(mut items)) => {
                items.reverse();
                Val::List(items)
            }
            ("string", v) => Val::Str(v.text()?),
            ("list", v) => Val::List(v.items()),
            ("first", v) => v.items().into_iter().next()?,
            ("last", v) => v.items().into_iter().last()?,
            _ => return None,
        })
    }
}

fn join(items: &[Val], sep: &str) -> Option<String> {
    let parts: Vec<String> = items.iter().map(Val::text).collect::<Option<_>>()?;
    Some(parts.join(sep))
}

/// Python `%` formatting with `%s`, `%c`, `%d` and `%%`.
fn printf(fmt: &str, args: &[Val]) -> Option<String> {
    let mut out = String::new();
    let mut args = args.iter();
    let mut chars = fmt.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match (chars.next()?, args.next()) {
            ('%', _) => out.push('%'),
            ('c', Some(Val::Int(i))) => out.push(char::from_u32(u32::try_from(*i).ok()?)?),
            ('s' | 'c' | 'd', Some(v)) => out.push_str(&v.text()?),
            _ => return None,
        }
    }
    Some(out)
}

/// `str.format` with `{}` and `{0}` fields and `{{ }}` escapes.
fn brace_format(fmt: &str, args: &[Val]) -> Option<String> {
    let mut out = String::new();
    let mut next = 0;
    let mut rest = fmt;
    while let Some(i) = rest.find(['{', '}']) {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        if tail.starts_with("{{") || tail.starts_with("}}") {
            out.push_str(&tail[..1]);
            rest = &tail[2..];
            continue;
        }
        let close = tail.find('}')?;
        let field = &tail[1..close];
        let index = if field.is_empty() {
            next += 1;
            next - 1
        } else {
            field.parse().ok()?
        };
        out.push_str(&args.get(index)?.text()?);
        rest = &tail[close + 1..];
    }
    out.push_str(rest);
    Some(out)
}

/// Python slice semantics, including negative bounds and steps.
fn slice<T: Clone>(
    items: &[T],
    start: Option<i64>,
    stop: Option<i64>,
    step: Option<i64>,
) -> Option<Vec<T>> {
    let len = i64::try_from(items.len()).ok()?;
    let step = step.unwrap_or(1);
    if step == 0 {
        return None;
    }
    let clamp = |v: i64, lo: i64, hi: i64| {
        let v = if v < 0 { v + len } else { v };
        v.clamp(lo, hi)
    };
    let mut out = Vec::new();
    if step > 0 {
        let (mut i, end) = (
            start.map_or(0, |s| clamp(s, 0, len)),
            stop.map_or(len, |s| clamp(s, 0, len)),
        );
        while i < end {
            out.push(items[i as usize].clone());
            i += step;
        }
    } else {
        let (mut i, end) = (
            start.map_or(len - 1, |s| clamp(s, -1, len - 1)),
            stop.map_or(-1, |s| clamp(s, -1, len - 1)),
        );
        while i > end {
            out.push(items[i as usize].clone());
            i += step;
        }
    }
    Some(out)
}
