use cordon_plugin_sdk::{ScanOutput, Severity, Status};

use super::*;

const VALID: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<!-- exported -->
<PMML xmlns="http://www.dmg.org/PMML-4_4" version="4.4">
  <Header copyright="Copyright (c) 2024 Example" description="Iris tree">
    <Application name="SkLearn2PMML package" version="0.104.0"/>
    <Timestamp>2024-01-01T00:00:00Z</Timestamp>
  </Header>
  <DataDictionary numberOfFields="2">
    <DataField name="x" optype="continuous" dataType="double"/>
    <DataField name="y" optype="categorical" dataType="string">
      <Value value="a &amp; b &#x41;"/>
    </DataField>
  </DataDictionary>
  <TreeModel functionName="classification">
    <Extension name="repr"><![CDATA[DecisionTreeClassifier(max_depth=3)]]></Extension>
    <Node score="a"><True/></Node>
  </TreeModel>
</PMML>
"#;

fn scan(text: &str) -> ScanOutput {
    let mut out = ScanOutput::default();
    analyze(text, true, &mut out);
    out
}

fn failed(out: &ScanOutput) -> Vec<(&str, Option<Severity>, &str)> {
    out.checks
        .iter()
        .filter(|c| c.status == Status::Failed)
        .map(|c| (c.rule.as_str(), c.severity, c.message.as_str()))
        .collect()
}

fn meta<'a>(out: &'a ScanOutput, key: &str) -> &'a str {
    &out.metadata
        .iter()
        .find(|(k, _)| k == key)
        .unwrap_or_else(|| panic!("no {key}: {:?}", out.metadata))
        .1
}

#[test]
fn valid_document_passes_every_rule() {
    let out = scan(VALID);
    assert_eq!(failed(&out), vec![]);
    for rule in rules::catalog() {
        assert!(
            out.checks
                .iter()
                .any(|c| c.rule == rule.id && c.status == Status::Passed),
            "{} not passed",
            rule.id
        );
    }
    assert_eq!(meta(&out, "pmml-version"), "4.4");
    assert_eq!(meta(&out, "application-name"), "SkLearn2PMML package");
    assert_eq!(meta(&out, "application-version"), "0.104.0");
    assert_eq!(meta(&out, "copyright"), "Copyright (c) 2024 Example");
    assert_eq!(meta(&out, "description"), "Iris tree");
    assert_eq!(meta(&out, "model-types"), "TreeModel");
    assert_eq!(meta(&out, "data-fields"), "2");
    assert!(root_is_pmml(VALID.as_bytes()));
}

#[test]
fn doctype_and_entities_are_flagged_never_expanded() {
    let doc = r#"<?xml version="1.0"?>
<!DOCTYPE PMML [
  <!ENTITY xxe SYSTEM "file:///etc/passwd">
  <!ENTITY % remote SYSTEM "http://evil.example/x.dtd">
  <!ENTITY lol "lol">
]>
<PMML version="4.4"><Header description="&xxe;"/><DataDictionary>&lol;</DataDictionary></PMML>"#;
    let out = scan(doc);
    let f = failed(&out);
    assert!(
        f.iter()
            .any(|(r, s, _)| *r == rules::DOCTYPE && s.is_none()),
        "{f:#?}"
    );
    let entities: Vec<_> = f
        .iter()
        .filter(|(r, _, _)| *r == rules::ENTITY_DECLARATION)
        .collect();
    assert_eq!(entities.len(), 3, "{f:#?}");
    assert_eq!(entities[0].1, Some(Severity::Critical));
    assert!(entities[0].2.contains("file:///etc/passwd"));
    assert_eq!(entities[1].1, Some(Severity::Critical));
    assert_eq!(entities[2].1, Some(Severity::High));
    assert_eq!(
        f.iter()
            .filter(|(r, _, _)| *r == rules::ENTITY_REFERENCE)
            .count(),
        2
    );
    // Never expanded: the description is the raw reference.
    assert_eq!(meta(&out, "description"), "&xxe;");
    assert!(root_is_pmml(doc.as_bytes()));
}

#[test]
fn external_references_are_graded() {
    let doc = r#"<!DOCTYPE PMML SYSTEM "http://evil.example/pmml.dtd"><PMML xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://www.dmg.org/PMML-4_4 http://www.dmg.org/pmml/v4-4/pmml-4-4.xsd" xsi:noNamespaceSchemaLocation="file:///tmp/x.xsd" version="4.4"/>"#;
    let out = scan(doc);
    let f = failed(&out)
        .into_iter()
        .filter(|(r, _, _)| *r == rules::EXTERNAL_REFERENCE)
        .collect::<Vec<_>>();
    assert_eq!(f.len(), 3, "{f:#?}");
    assert_eq!(f[0].1, Some(Severity::Medium));
    assert!(f[0].2.contains("pmml.dtd"));
    assert!(f.iter().any(|(_, s, m)| *s == Some(Severity::Low)
        && m.ends_with("http://www.dmg.org/pmml/v4-4/pmml-4-4.xsd")));
    assert!(
        f.iter()
            .any(|(_, s, m)| *s == Some(Severity::Medium) && m.ends_with("file:///tmp/x.xsd"))
    );
}

#[test]
fn scripts_in_extensions_are_flagged() {
    for payload in [
        "<script>alert(1)</script>",
        "<X href=\"javascript:run()\"/>",
        "Runtime.getRuntime().exec(\"id\")",
        "new ProcessBuilder(\"sh\")",
        "<![CDATA[import os; os.system('id')]]>",
    ] {
        let doc = format!(
            "<PMML version=\"4.4\"><Extension name=\"x\"><Extension>{payload}</Extension></Extension><RegressionModel/></PMML>"
        );
        let out = scan(&doc);
        let f = failed(&out);
        assert_eq!(f.len(), 1, "{payload}: {f:#?}");
        assert_eq!(f[0].0, rules::EXTENSION_SCRIPT);
    }
}

#[test]
fn malformed_documents_are_reported() {
    for (doc, needle) in [
        ("<PMML><Header></PMML>", "does not close"),
        ("<PMML><Header>", "ends inside <Header>"),
        ("<PMML a=b/>", "unquoted attribute"),
        ("<PMML/><PMML/>", "second root element"),
        (
            "<PMML><!ENTITY x 'y'></PMML>",
            "unexpected markup declaration",
        ),
        ("", "no root element"),
    ] {
        let out = scan(doc);
        let f = failed(&out);
        assert!(
            f.iter()
                .any(|(r, _, m)| *r == rules::WELL_FORMED && m.contains(needle)),
            "{doc}: {f:#?}"
        );
    }
    let out = scan("<Other/>");
    let f = failed(&out);
    assert_eq!(
        f,
        vec![(rules::ROOT, None, "root element is <Other>, not <PMML>")]
    );
}

#[test]
fn depth_is_bounded() {
    let doc = format!("<PMML>{}", "<a>".repeat(analyze::MAX_DEPTH + 10));
    let out = scan(&doc);
    let f = failed(&out);
    assert!(f.iter().any(|(r, _, _)| *r == rules::LIMITS), "{f:#?}");
}

#[test]
fn sniffing_declines_other_text() {
    assert!(!root_is_pmml(
        b"# README\nThis model is stored as <PMML> documents.\n"
    ));
    assert!(!root_is_pmml(b"<?xml version=\"1.0\"?><svg/>"));
    assert!(!root_is_pmml(b"\x80\x02}q\x00."));
    assert!(root_is_pmml(
        b"\xef\xbb\xbf<?xml version=\"1.0\"?>\n<!-- c -->\n<PMML version=\"4.3\">"
    ));
}

fn rng(seed: &mut u64) -> u64 {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    *seed
}

#[test]
fn truncated_and_mutated_documents_never_panic() {
    let doc = format!("<!DOCTYPE PMML [<!ENTITY a \"&b;\">]>{VALID}");
    for (len, _) in doc.char_indices() {
        let text = &doc[..len];
        analyze(text, true, &mut ScanOutput::default());
        root_is_pmml(text.as_bytes());
    }
    let mut seed = 0x2545_f491_4f6c_dd1d;
    let alphabet = b"<>/!?[]-\"'= &;PMMLExtension\n";
    for _ in 0..3000 {
        let mut bytes = doc.clone().into_bytes();
        for _ in 0..1 + rng(&mut seed) % 8 {
            let at = (rng(&mut seed) % bytes.len() as u64) as usize;
            bytes[at] = alphabet[(rng(&mut seed) % alphabet.len() as u64) as usize];
        }
        if let Ok(text) = std::str::from_utf8(&bytes) {
            analyze(text, true, &mut ScanOutput::default());
        }
        root_is_pmml(&bytes);
    }
}
