//! A plugin that does what the `.hostile` file it scans tells it to: the sandbox
//! tests feed it one behaviour per file and check that the host contains each.

use std::io::Write;

use cordon_plugin_sdk::{
    Check, FormatClaim, Input, MemberHeader, Options, Plugin, PluginInfo, Rule, ScanError,
    ScanOutput, Severity, member_range, open_member, register_plugin,
};

struct Hostile;

impl Plugin for Hostile {
    fn info() -> PluginInfo {
        PluginInfo {
            name: "hostile".into(),
            version: "0.1.0".into(),
            description: "misbehaves on request".into(),
            formats: vec![FormatClaim::new("hostile", &["hostile"])],
            rules: vec![Rule::new(
                "hostile-observed",
                "What the plugin could observe",
                Severity::High,
                "test",
            )],
        }
    }

    fn scan(input: &Input, _options: &Options) -> Result<ScanOutput, ScanError> {
        let command = String::from_utf8_lossy(&input.read_at(0, 64)?)
            .trim()
            .to_string();
        let mut out = ScanOutput::default();
        match command.as_str() {
            "loop" => loop {
                std::hint::black_box(&mut out);
            },
            "oom" => {
                let mut hoard: Vec<Vec<u8>> = Vec::new();
                loop {
                    hoard.push(vec![1; 16 << 20]);
                    std::hint::black_box(&hoard);
                }
            }
            "panic" => panic!("hostile plugin panics on purpose"),
            "stack" => out.push(Check::passed(
                "hostile-observed",
                format!("depth {}", recurse(0)),
            )),
            "flood" => loop {
                println!("flooding the host's stdout with plugin output");
            },
            "escape" => {
                // Every way out it can find: a host file, the environment, the clock.
                let file = std::fs::read_to_string("/etc/passwd")
                    .map(|s| s.len())
                    .map_err(|e| e.to_string());
                let env: Vec<String> = std::env::vars().map(|(k, _)| k).collect();
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap_or_default();
                let tcp = std::net::TcpStream::connect("127.0.0.1:22")
                    .map(|_| ())
                    .map_err(|e| e.to_string());
                out.push(
                    Check::failed("hostile-observed", "escape attempts")
                        .evidence("file", format!("{file:?}"))
                        .evidence("env", env.join(","))
                        .evidence("clock_secs", now.as_secs())
                        .evidence("tcp", format!("{tcp:?}")),
                );
            }
            "nest" => {
                // Hands itself back as its own member, forever: only the depth limit stops it.
                let header = MemberHeader {
                    name: "nest.hostile".into(),
                    hint: None,
                    declared_size: None,
                    compressed_size: None,
                };
                member_range(&header, 0, input.size()).map_err(ScanError::Other)?;
                out.push(Check::passed("hostile-observed", "nested once more"));
            }
            "unknown-rule" => out.push(Check::failed("not-in-catalog", "rule id nobody declared")),
            "malformed" => return Err(ScanError::Malformed("bytes make no sense".into())),
            "members" => {
                // A stored member (a range of this input), a streamed one, and a bomb.
                let header = |name: &str, compressed: Option<u64>| MemberHeader {
                    name: name.into(),
                    hint: None,
                    declared_size: None,
                    compressed_size: compressed,
                };
                member_range(&header("stored.hostile", None), 0, 5).map_err(ScanError::Other)?;
                let mut sink =
                    open_member(&header("streamed.hostile", None)).map_err(ScanError::Other)?;
                sink.write_all(b"panic")
                    .map_err(|e| ScanError::Other(e.to_string()))?;
                sink.finish().map_err(ScanError::Other)?;
                let mut bomb =
                    open_member(&header("bomb.bin", Some(1024))).map_err(ScanError::Other)?;
                let stopped = (0..64).find_map(|_| bomb.write_all(&[0; 64 << 10]).err());
                out.push(Check::passed(
                    "hostile-observed",
                    format!("bomb stopped: {}", stopped.is_some()),
                ));
                let mut unfinished =
                    open_member(&header("unfinished.bin", None)).map_err(ScanError::Other)?;
                unfinished
                    .write_all(b"partial")
                    .map_err(|e| ScanError::Other(e.to_string()))?;
                std::mem::forget(unfinished);
            }
            other => out.push(Check::passed(
                "hostile-observed",
                format!("behaving ({other})"),
            )),
        }
        Ok(out)
    }
}

fn recurse(depth: u64) -> u64 {
    let pad = std::hint::black_box([depth; 64]);
    if pad[0] == u64::MAX {
        depth
    } else {
        recurse(depth + 1) + pad[1]
    }
}

register_plugin!(Hostile);
