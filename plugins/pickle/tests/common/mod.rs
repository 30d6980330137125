//! Helpers shared by the integration tests: a byte-level pickle builder and
//! assertions over analyses.
#![allow(dead_code)] // each test binary uses a different subset

use cordon_plugin_pickle::{Analysis, Finding, Limits, Severity, Status, analyze, rules};

/// Builds pickle bytes opcode by opcode.
#[derive(Clone, Default)]
pub struct P(pub Vec<u8>);

impl P {
    pub fn new() -> P {
        P::default()
    }

    pub fn proto(self, version: u8) -> P {
        self.op(0x80).raw(&[version])
    }

    pub fn op(mut self, code: u8) -> P {
        self.0.push(code);
        self
    }

    pub fn raw(mut self, bytes: &[u8]) -> P {
        self.0.extend_from_slice(bytes);
        self
    }

    pub fn line(self, code: u8, text: &str) -> P {
        self.op(code).raw(text.as_bytes()).raw(b"\n")
    }

    pub fn global(self, module: &str, name: &str) -> P {
        self.line(b'c', module).raw(name.as_bytes()).raw(b"\n")
    }

    pub fn inst(self, module: &str, name: &str) -> P {
        self.line(b'i', module).raw(name.as_bytes()).raw(b"\n")
    }

    /// SHORT_BINUNICODE.
    pub fn s(self, text: &str) -> P {
        let len = u8::try_from(text.len()).unwrap();
        self.op(0x8c).raw(&[len]).raw(text.as_bytes())
    }

    /// BINUNICODE.
    pub fn unicode(self, text: &str) -> P {
        let len = u32::try_from(text.len()).unwrap();
        self.op(b'X').raw(&len.to_le_bytes()).raw(text.as_bytes())
    }

    /// SHORT_BINBYTES.
    pub fn short_bytes(self, bytes: &[u8]) -> P {
        self.op(b'C')
            .raw(&[u8::try_from(bytes.len()).unwrap()])
            .raw(bytes)
    }

    /// BINBYTES8.
    pub fn bytes8(self, bytes: &[u8]) -> P {
        self.op(0x8e)
            .raw(&(bytes.len() as u64).to_le_bytes())
            .raw(bytes)
    }

    pub fn int1(self, v: u8) -> P {
        self.op(b'K').raw(&[v])
    }

    pub fn memoize(self) -> P {
        self.op(0x94)
    }

    pub fn binput(self, key: u8) -> P {
        self.op(b'q').raw(&[key])
    }

    pub fn binget(self, key: u8) -> P {
        self.op(b'h').raw(&[key])
    }

    pub fn stack_global(self) -> P {
        self.op(0x93)
    }

    pub fn mark(self) -> P {
        self.op(b'(')
    }

    pub fn tuple(self) -> P {
        self.op(b't')
    }

    pub fn tuple1(self) -> P {
        self.op(0x85)
    }

    pub fn empty_tuple(self) -> P {
        self.op(b')')
    }

    pub fn empty_dict(self) -> P {
        self.op(b'}')
    }

    pub fn reduce(self) -> P {
        self.op(b'R')
    }

    pub fn build(self) -> P {
        self.op(b'b')
    }

    pub fn pop(self) -> P {
        self.op(b'0')
    }

    pub fn stop(self) -> P {
        self.op(b'.')
    }

    pub fn frame(self, len: u64) -> P {
        self.op(0x95).raw(&len.to_le_bytes())
    }

    /// `module.name(arg)` with STACK_GLOBAL and REDUCE.
    pub fn call(self, module: &str, name: &str, arg: &str) -> P {
        self.s(module)
            .s(name)
            .stack_global()
            .s(arg)
            .tuple1()
            .reduce()
    }

    pub fn bytes(&self) -> &[u8] {
        &self.0
    }
}

pub fn run(bytes: &[u8]) -> Analysis {
    run_with(bytes, &Limits::default())
}

pub fn run_with(bytes: &[u8], limits: &Limits) -> Analysis {
    let analysis = analyze(bytes, limits);
    check_invariants(&analysis);
    analysis
}

/// Properties every analysis must have.
pub fn check_invariants(analysis: &Analysis) {
    let ids: Vec<&str> = rules().iter().map(|r| r.id).collect();
    for f in &analysis.findings {
        assert!(ids.contains(&f.rule), "finding of unknown rule {}", f.rule);
        assert!(f.confidence <= 100);
        if f.status == Status::Passed {
            assert!(f.severity <= Severity::Low, "passed but severe: {f:?}");
        }
    }
}

pub fn failed<'a>(analysis: &'a Analysis, rule: &str) -> Vec<&'a Finding> {
    analysis
        .findings
        .iter()
        .filter(|f| f.rule == rule && f.status == Status::Failed)
        .collect()
}

pub fn with_status<'a>(analysis: &'a Analysis, rule: &str, status: Status) -> Vec<&'a Finding> {
    analysis
        .findings
        .iter()
        .filter(|f| f.rule == rule && f.status == status)
        .collect()
}

/// The single failed finding of `rule`, checked to have `severity`.
pub fn one<'a>(analysis: &'a Analysis, rule: &str, severity: Severity) -> &'a Finding {
    let found = failed(analysis, rule);
    assert_eq!(found.len(), 1, "{rule}: {}", dump(analysis));
    assert_eq!(found[0].severity, severity, "{rule}: {}", dump(analysis));
    found[0]
}

pub fn evidence<'a>(finding: &'a Finding, key: &str) -> Option<&'a str> {
    finding
        .evidence
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// No failed finding at medium severity or above.
pub fn assert_clean(analysis: &Analysis) {
    assert!(
        analysis.worst_failure() < Some(Severity::Medium),
        "expected clean: {}",
        dump(analysis)
    );
}

pub fn assert_critical(analysis: &Analysis) {
    assert_eq!(
        analysis.worst_failure(),
        Some(Severity::Critical),
        "expected critical: {}",
        dump(analysis)
    );
}

pub fn dump(analysis: &Analysis) -> String {
    let mut out = String::from("\n");
    for f in &analysis.findings {
        if f.status != Status::Passed {
            out.push_str(&format!(
                "  {:?} {:?} {} [{}] {}\n",
                f.status,
                f.severity,
                f.rule,
                f.locator.as_deref().unwrap_or(""),
                f.message
            ));
        }
    }
    out
}

/// A tiny deterministic pseudo-random generator (64-bit LCG).
pub struct Lcg(pub u64);

impl Lcg {
    pub fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}
