//! The sandbox contains misbehaving plugins: each costs one error record for its
//! file, and every other file in the same scan is still reported.

mod support;

use cordon_test_fixtures::HOSTILE_PLUGIN;
use support::{Fixture, checks, file, safetensors};

fn hostile_scan(f: &Fixture, extra: &[&str]) -> (i32, serde_json::Value) {
    let mut args = vec![
        "scan",
        "--format",
        "json",
        "--plugin",
        HOSTILE_PLUGIN,
        "--max-memory",
        "64M",
    ];
    if !extra.contains(&"--timeout") {
        args.extend(["--timeout", "2"]);
    }
    args.extend_from_slice(extra);
    args.push(".");
    let run = f.run(&args);
    (run.code, run.json())
}

/// The single check of a file that the sandbox stopped.
fn crash<'a>(report: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    let all = checks(report, name);
    assert_eq!(all.len(), 1, "{name}: {all:#?}");
    assert_eq!(all[0]["rule"], "cordon-plugin-crashed", "{name}");
    assert_eq!(all[0]["status"], "error");
    all[0]
}

#[test]
fn misbehaving_plugins_cost_one_error_record_each() {
    let f = Fixture::new();
    for behaviour in ["loop", "oom", "panic", "flood", "stack"] {
        f.write(&format!("{behaviour}.hostile"), behaviour);
    }
    f.write("fine.hostile", "calm");
    f.write("model.safetensors", safetensors(8, 0));
    let (code, report) = hostile_scan(&f, &[]);
    assert_eq!(code, 2);

    let outcome = |name: &str| {
        crash(&report, name)["evidence"]["outcome"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(outcome("loop.hostile"), "timeout");
    assert_eq!(outcome("oom.hostile"), "memory-limit");
    assert_eq!(outcome("panic.hostile"), "trap");
    assert_eq!(outcome("stack.hostile"), "trap");
    assert_eq!(outcome("flood.hostile"), "trap");
    let panic = crash(&report, "panic.hostile");
    assert!(
        panic["evidence"]["plugin_output"]
            .as_str()
            .unwrap()
            .contains("panics on purpose"),
        "{panic:#}"
    );
    assert!(
        crash(&report, "flood.hostile")["message"]
            .as_str()
            .unwrap()
            .contains("stdout/stderr")
    );

    // The well-behaved files in the same scan are reported in full.
    assert!(
        checks(&report, "fine.hostile")
            .iter()
            .all(|c| c["status"] == "passed")
    );
    assert!(
        checks(&report, "model.safetensors")
            .iter()
            .all(|c| c["status"] == "passed")
    );
    assert_eq!(report["summary"]["files"], 7);
    assert_eq!(report["summary"]["files_with_errors"], 5);
}

#[test]
fn the_deadline_is_configurable() {
    let f = Fixture::new();
    f.write("loop.hostile", "loop");
    let started = std::time::Instant::now();
    let (_, report) = hostile_scan(&f, &["--timeout", "0.3"]);
    assert_eq!(
        crash(&report, "loop.hostile")["evidence"]["outcome"],
        "timeout"
    );
    // A generous bound: the point is that the 2 s default above was overridden.
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    let runs = &file(&report, "loop.hostile")["plugin_runs"][0];
    assert!(runs["duration_ms"].as_f64().unwrap() < 2000.0, "{runs:#}");
}

#[test]
fn the_sandbox_grants_no_files_environment_clock_or_network() {
    let f = Fixture::new();
    f.write("escape.hostile", "escape");
    let run = f
        .command()
        .env("CORDON_SECRET_TOKEN", "hunter2")
        .args([
            "scan",
            "--format",
            "json",
            "--plugin",
            HOSTILE_PLUGIN,
            "escape.hostile",
        ])
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    let seen = &checks(&report, "escape.hostile")[0]["evidence"];
    assert!(
        seen["file"].as_str().unwrap().starts_with("Err"),
        "read a host file: {seen:#}"
    );
    assert_eq!(seen["env"], "", "saw environment variables: {seen:#}");
    assert_eq!(seen["clock_secs"], "0", "saw the real clock: {seen:#}");
    assert!(
        seen["tcp"].as_str().unwrap().starts_with("Err"),
        "opened a socket: {seen:#}"
    );
    assert!(!String::from_utf8_lossy(&run.stdout).contains("hunter2"));
}

#[test]
fn archive_members_are_scanned_and_limits_recorded() {
    let f = Fixture::new();
    f.write("x.hostile", "members");
    let (code, report) = hostile_scan(&f, &[]);
    assert_eq!(code, 2, "the streamed member panics");
    let all = checks(&report, "x.hostile");
    let at = |member: &str| -> Vec<&serde_json::Value> {
        all.iter()
            .copied()
            .filter(|c| c["location"]["member"] == member)
            .collect()
    };
    // The stored member is a range of the parent: its first five bytes, "membe".
    assert_eq!(at("stored.hostile")[0]["message"], "behaving (membe)");
    assert_eq!(at("streamed.hostile")[0]["rule"], "cordon-plugin-crashed");
    let bomb = at("bomb.bin");
    assert_eq!(bomb[0]["rule"], "cordon-archive-compression-ratio");
    assert_eq!(bomb[0]["status"], "failed");
    assert_eq!(
        at("unfinished.bin")[0]["rule"],
        "cordon-archive-member-unfinished"
    );
    let top: Vec<_> = all.iter().filter(|c| c.get("location").is_none()).collect();
    assert_eq!(top[0]["message"], "bomb stopped: true");
    let runs = file(&report, "x.hostile")["plugin_runs"]
        .as_array()
        .unwrap();
    assert_eq!(
        runs.iter()
            .filter(|r| r["member"] == "stored.hostile")
            .count(),
        1
    );
}

#[test]
fn nesting_stops_at_the_depth_limit() {
    let f = Fixture::new();
    f.write("deep.hostile", "nest");
    let (code, report) = hostile_scan(&f, &["--max-depth", "3"]);
    assert_eq!(code, 1);
    let all = checks(&report, "deep.hostile");
    let depth = all
        .iter()
        .find(|c| c["rule"] == "cordon-archive-depth")
        .expect("depth check");
    assert_eq!(
        depth["location"]["member"],
        "nest.hostile!nest.hostile!nest.hostile!nest.hostile"
    );
    assert_eq!(
        all.iter()
            .filter(|c| c["message"] == "nested once more")
            .count(),
        4
    );
}

#[test]
fn member_count_limit_is_recorded() {
    let f = Fixture::new();
    f.write("x.hostile", "members");
    let (_, report) = hostile_scan(&f, &["--max-members", "2"]);
    let all = checks(&report, "x.hostile");
    assert!(
        all.iter()
            .any(|c| c["rule"] == "cordon-archive-member-count" && c["status"] == "failed"),
        "{all:#?}"
    );
}

#[test]
fn stored_members_count_against_the_byte_limits() {
    let f = Fixture::new();
    f.write("x.hostile", "members");
    let (_, report) = hostile_scan(&f, &["--max-member-bytes", "4"]);
    let all = checks(&report, "x.hostile");
    let stored = all
        .iter()
        .find(|c| c["location"]["member"] == "stored.hostile")
        .expect("stored member check");
    assert_eq!(stored["rule"], "cordon-archive-member-size", "{all:#?}");
}

#[test]
fn contract_violations_are_errors_not_silence() {
    let f = Fixture::new();
    f.write("rule.hostile", "unknown-rule");
    f.write("bad.hostile", "malformed");
    let (code, report) = hostile_scan(&f, &[]);
    assert_eq!(code, 2);
    assert_eq!(
        checks(&report, "rule.hostile")[0]["rule"],
        "cordon-unknown-rule"
    );
    let malformed = checks(&report, "bad.hostile");
    assert_eq!(malformed[0]["rule"], "cordon-plugin-error");
    assert_eq!(malformed[0]["evidence"]["error"], "malformed");
}
