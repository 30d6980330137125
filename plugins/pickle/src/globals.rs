//! Registry of the distinct globals a scope imports, with how each is used,
//! turned into one finding per global at the end of the scope.

use std::collections::HashMap;
use std::rc::Rc;

use crate::names::GlobalName;
use crate::policy::{Tier, Verdict, classify};
use crate::report::{Report, Site};
use crate::rules::{DANGEROUS_GLOBAL, NON_ASCII, SAFE_GLOBAL, UNKNOWN_GLOBAL};
use crate::value::GlobalRef;
use crate::{Finding, Severity, Status};

pub(crate) struct Entry {
    pub name: GlobalName,
    pub verdict: Verdict,
    pub global: Rc<GlobalRef>,
    /// Opcode that first imported it.
    via: &'static str,
    site: Site,
    /// Imports (GLOBAL, STACK_GLOBAL, INST).
    imports: u64,
    /// Times a reference to it was pushed on the stack.
    pub refs: u64,
    pub calls: u64,
    pub constructions: u64,
    pub mutations: u64,
}

impl Entry {
    /// A class whose every reference was consumed by object reconstruction
    /// (NEWOBJ, copyreg._reconstructor): only its `__new__` and state
    /// restoration run, not an arbitrary call.
    fn only_reconstructed(&self) -> bool {
        let class_like = self
            .name
            .path
            .comps
            .last()
            .is_some_and(|n| n.starts_with(|c: char| c.is_ascii_uppercase()));
        class_like
            && self.constructions > 0
            && self.calls == 0
            && self.mutations == 0
            && self.refs <= self.constructions
    }
}

#[derive(Default)]
pub(crate) struct Registry {
    entries: Vec<Entry>,
    index: HashMap<String, usize>,
}

impl Registry {
    /// The global `module.name`, classified on first sight.
    pub fn resolve(
        &mut self,
        module: &str,
        name: &str,
        via: &'static str,
        site: impl FnOnce() -> Site,
    ) -> Rc<GlobalRef> {
        let key = format!("{module}\n{name}");
        let id = match self.index.get(&key) {
            Some(&id) => id,
            None => {
                let id = self.entries.len();
                let name = GlobalName::new(module, name);
                let verdict = classify(&name);
                let global = Rc::new(GlobalRef {
                    id,
                    path: name.display().into(),
                    canonical: name.canonical().into(),
                    tier: verdict.tier,
                });
                self.entries.push(Entry {
                    name,
                    verdict,
                    global,
                    via,
                    site: site(),
                    imports: 0,
                    refs: 0,
                    calls: 0,
                    constructions: 0,
                    mutations: 0,
                });
                self.index.insert(key, id);
                id
            }
        };
        let entry = &mut self.entries[id];
        entry.imports += 1;
        Rc::clone(&entry.global)
    }

    pub fn entry_mut(&mut self, global: &GlobalRef) -> &mut Entry {
        &mut self.entries[global.id]
    }

    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// One record per distinct global, keyed by the scope's prefix.
    pub fn emit(&self, report: &mut Report) {
        for e in &self.entries {
            let display = e.name.display();
            let base = |rule, status, severity, message: String| {
                Finding::new(rule, status, severity, message)
                    .at(&e.site)
                    .with("module", &e.name.module)
                    .with("name", &e.name.name)
                    .with("resolved", e.name.canonical())
                    .with("imported_by", e.via)
                    .with("imports", e.imports)
                    .with("calls", e.calls)
                    .with("constructions", e.constructions)
            };
            let finding = match e.verdict.tier {
                Tier::Safe => base(
                    SAFE_GLOBAL,
                    Status::Passed,
                    Severity::Info,
                    format!("imports `{display}`: {}", e.verdict.reason),
                )
                .confidence(95),
                Tier::Dangerous => {
                    let (severity, confidence, note) = if e.verdict.exact {
                        (Severity::Critical, 95, "")
                    } else {
                        (
                            Severity::High,
                            70,
                            " (the spelling only matches after case or Unicode folding)",
                        )
                    };
                    base(
                        DANGEROUS_GLOBAL,
                        Status::Failed,
                        severity,
                        format!("imports `{display}`, which {}{note}", e.verdict.reason),
                    )
                    .confidence(confidence)
                }
                Tier::Unknown => {
                    let (severity, how) = if e.only_reconstructed() {
                        (Severity::Low, "; it is only reconstructed, never called")
                    } else {
                        (Severity::Medium, "")
                    };
                    base(
                        UNKNOWN_GLOBAL,
                        Status::Failed,
                        severity,
                        format!("imports `{display}`: {}{how}", e.verdict.reason),
                    )
                    .confidence(60)
                }
            };
            report.push(finding.with("reason", &e.verdict.reason));
            if let Some(folded) = &e.name.folded {
                report.push(
                    Finding::new(
                        NON_ASCII,
                        Status::Failed,
                        Severity::High,
                        format!(
                            "global `{display}` has non-ASCII characters; NFKC form `{}`",
                            folded.joined()
                        ),
                    )
                    .at(&e.site)
                    .with("module", &e.name.module)
                    .with("name", &e.name.name)
                    .with("nfkc", folded.joined()),
                );
            }
        }
    }
}
