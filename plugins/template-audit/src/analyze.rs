//! Walks each expression tree and records the constructs that lead out of the
//! Jinja sandbox (or out of the data a chat template is given).

use std::collections::{BTreeSet, HashSet};

use crate::Level;
use crate::fold::{self, Env};
use crate::names::*;
use crate::parser::{Args, Expr, Kind};

/// One suspicious construct.
#[derive(Clone, Debug)]
pub struct Hit {
    pub level: Level,
    pub confidence: u8,
    /// What was reached, e.g. "`__globals__`".
    pub label: String,
    pub reason: &'static str,
    /// Byte offset of the construct, to list indicators in source order.
    pub at: usize,
    /// Only worth reporting next to a stronger hit in the same tag.
    pub context_only: bool,
}

pub struct Walker<'a> {
    pub env: &'a Env<'a>,
    /// Names the template binds itself (loop variables, `set` targets, macro parameters).
    pub bound: &'a HashSet<String>,
    pub hits: Vec<Hit>,
    /// Offset of the expression being looked at.
    pub at: usize,
    /// Filters and global functions used, for the report.
    pub features: &'a mut BTreeSet<String>,
}

impl Walker<'_> {
    pub fn walk(&mut self, e: &Expr) {
        self.at = e.at;
        match &e.kind {
            Kind::Name(n) => self.free_name(n),
            Kind::Str {
                value,
                spelled: true,
            } => self.spelled(value),
            Kind::Attr(target, name) => {
                self.access(name, false);
                self.global_attribute(target, name);
            }
            Kind::Item(_, key) => {
                if let Some(name) = fold::string(key, self.env) {
                    self.access(&name, assembled(key));
                }
            }
            Kind::Filter(target, name, args) => self.filter(target.as_deref(), name, args),
            Kind::Call(callee, args) => self.call(callee, args),
            Kind::Test(_, name, _) => {
                self.features.insert(format!("is {name}"));
            }
            _ => {}
        }
        if builds_string(e)
            && let Some(s) = fold::string(e, self.env)
            && dangerous_spelling(&s)
        {
            self.hit(
                Level::High,
                85,
                format!("`{}`", s.trim()),
                "string assembled at render time spells a dangerous name",
            );
        }
        for child in e.children() {
            self.walk(child);
        }
    }

    fn hit(&mut self, level: Level, confidence: u8, label: String, reason: &'static str) {
        self.hits.push(Hit {
            level,
            confidence,
            label,
            reason,
            at: self.at,
            context_only: false,
        });
    }

    fn free(&self, name: &str) -> bool {
        !self.bound.contains(name)
    }

    fn free_name(&mut self, n: &str) {
        if !self.free(n) {
            return;
        }
        let label = format!("`{n}`");
        if is_dunder(n) {
            self.hit(
                Level::Critical,
                95,
                label,
                "Python internals reached by name (sandbox escape)",
            );
        } else if EXECUTION_NAMES.contains(&n) {
            self.hit(
                Level::Critical,
                90,
                label,
                "Python builtin or module that Jinja does not provide",
            );
        } else if INDIRECTION_NAMES.contains(&n) {
            self.hit(
                Level::High,
                75,
                label,
                "Python builtin that Jinja does not provide",
            );
        } else if FLASK_GLOBALS.contains(&n) {
            self.hit(
                Level::Medium,
                60,
                label,
                "web-framework global that a chat template is never given",
            );
        }
    }

    /// An attribute or key looked up by name; `assembled` when the name was built at render time.
    fn access(&mut self, name: &str, assembled: bool) {
        let label = if assembled {
            format!("`{name}` (assembled at render time)")
        } else {
            format!("`{name}`")
        };
        let bump = if assembled { 3 } else { 0 };
        if name.contains("_TemplateReference__context") {
            self.hit(Level::Critical, 95 + bump, label, "template context escape");
        } else if is_dunder(name) {
            self.hit(
                Level::Critical,
                95 + bump,
                label,
                "attribute walk through Python internals (sandbox escape)",
            );
        } else if EXECUTION_ATTRIBUTES.contains(&name) {
            self.hit(
                Level::Critical,
                85 + bump,
                label,
                "reaches os, subprocess or eval",
            );
        } else if name.starts_with('_') {
            self.hit(
                Level::High,
                80 + bump,
                label,
                "private attribute the Jinja sandbox blocks",
            );
        } else if CONTEXT_ATTRIBUTES.contains(&name) {
            self.hits.push(Hit {
                level: Level::Low,
                confidence: 30,
                label,
                reason: "",
                at: self.at,
                context_only: true,
            });
        }
    }

    /// `cycler.x`, `lipsum.x`, `self.x`: attributes of Jinja's global objects.
    fn global_attribute(&mut self, target: &Expr, name: &str) {
        let Kind::Name(global) = &target.kind else {
            return;
        };
        if !GLOBAL_OBJECTS.contains(&global.as_str()) || !self.free(global) || name.starts_with('_')
        {
            return;
        }
        let label = format!("`{global}.{name}`");
        if global == "self" {
            self.hit(Level::Low, 40, label, "block reference through `self`");
        } else {
            self.hit(
                Level::Medium,
                60,
                label,
                "attribute of a Jinja global object",
            );
        }
    }

    fn filter(&mut self, target: Option<&Expr>, name: &str, args: &Args) {
        self.features.insert(format!("|{name}"));
        let first = args.positional.first();
        match name {
            "attr" => {
                match first.and_then(|a| fold::string(a, self.env).map(|s| (s, assembled(a)))) {
                    Some((attr, assembled)) => self.access(&attr, assembled),
                    None => self.hit(
                        Level::Medium,
                        70,
                        "`|attr(...)`".into(),
                        "attr filter with a name computed at render time",
                    ),
                }
            }
            "map" if first.and_then(|a| fold::string(a, self.env)).as_deref() == Some("attr") => {
                if let Some(attr) = args
                    .positional
                    .get(1)
                    .and_then(|a| fold::string(a, self.env))
                {
                    self.access(&attr, true);
                }
            }
            _ if ATTRIBUTE_FILTERS.contains(&name) => {
                let named = args.keyword("attribute");
                let positional = ["selectattr", "rejectattr", "groupby"]
                    .contains(&name)
                    .then_some(first)
                    .flatten();
                for arg in named.into_iter().chain(positional) {
                    if let Some(attr) = fold::string(arg, self.env) {
                        // `attribute='a.b'` walks a dotted path.
                        for part in attr.split('.') {
                            self.access(part, assembled(arg));
                        }
                    }
                }
            }
            "string" | "list" => {
                if let Some(Kind::Name(global)) = target.map(|t| &t.kind)
                    && GLOBAL_OBJECTS.contains(&global.as_str())
                    && self.free(global)
                {
                    self.hit(
                        Level::Medium,
                        70,
                        format!("`{global}|{name}`"),
                        "string form of a Jinja global, a source of characters to assemble names",
                    );
                }
            }
            _ => {}
        }
    }

    fn call(&mut self, callee: &Expr, args: &Args) {
        let first = args.positional.first();
        // `f(...)`, `x.f(...)` and `x['f'](...)` all call `f`.
        let function = match &callee.kind {
            Kind::Name(n) => {
                self.features.insert(format!("{n}()"));
                if n == "getattr"
                    && self.free(n)
                    && let Some(attr) = args
                        .positional
                        .get(1)
                        .and_then(|a| fold::string(a, self.env))
                {
                    self.access(&attr, assembled(&args.positional[1]));
                }
                Some(n.clone())
            }
            Kind::Attr(_, method) => Some(method.clone()),
            Kind::Item(_, key) => fold::string(key, self.env),
            _ => None,
        };
        if function.is_some_and(|f| LOOKUP_METHODS.contains(&f.as_str()))
            && let Some(attr) = first.and_then(|a| fold::string(a, self.env))
        {
            self.access(&attr, first.is_some_and(assembled));
        }
    }

    /// A literal whose escapes spell ASCII letters: `'\x5f\x5fclass\x5f\x5f'`.
    fn spelled(&mut self, value: &str) {
        if dangerous_spelling(value) {
            self.hit(
                Level::High,
                85,
                format!("`{value}`"),
                "escape sequences spell a dangerous name",
            );
        } else {
            let shown: String = value.chars().take(40).collect();
            self.hit(
                Level::Low,
                50,
                format!("`{shown}`"),
                "escape sequences spell plain ASCII (obfuscation)",
            );
        }
    }
}

/// A name that only appears once the template runs: anything but a plain literal.
fn assembled(e: &Expr) -> bool {
    !matches!(e.kind, Kind::Str { spelled: false, .. })
}

/// Expressions that build a string from other values.
fn builds_string(e: &Expr) -> bool {
    match &e.kind {
        Kind::Binary(op, ..) => ["+", "~", "%", "*"].contains(op),
        Kind::Filter(..) => true,
        Kind::Call(callee, _) => {
            matches!(&callee.kind, Kind::Attr(..))
                || matches!(&callee.kind, Kind::Name(n) if n == "chr")
        }
        Kind::Item(_, key) => matches!(key.kind, Kind::Slice(_)),
        _ => false,
    }
}
