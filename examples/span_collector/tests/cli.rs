//! The `span-collector` command as a user runs it: flags, output file,
//! report, exit status. IDs refer to specs/span-collector-invariants.md.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_span-collector"))
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("span-collector-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    let _ = std::fs::remove_file(&path);
    path
}

fn report(path: &PathBuf) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Spans in an OTLP/JSON lines file, after checking every line is an
/// `ExportTraceServiceRequest` with lowerCamelCase fields and hex ids.
fn spans_in(path: &PathBuf) -> u64 {
    let mut n = 0;
    for line in std::fs::read_to_string(path).unwrap().lines() {
        let request: serde_json::Value = serde_json::from_str(line).unwrap();
        for rs in request["resourceSpans"].as_array().unwrap() {
            for ss in rs["scopeSpans"].as_array().unwrap() {
                for span in ss["spans"].as_array().unwrap() {
                    let trace_id = span["traceId"].as_str().unwrap();
                    assert_eq!(trace_id.len(), 32);
                    assert!(trace_id.bytes().all(|b| b.is_ascii_hexdigit()));
                    assert!(span["kind"].is_i64(), "integer enums");
                    n += 1;
                }
            }
        }
    }
    n
}

/// SC-CONS-1, SC-EXP-2: a run exports every span to the JSON lines file,
/// reports the identity, exits 0; a second run appends.
#[test]
fn json_lines_run_and_append() {
    let out = scratch("spans.jsonl");
    let rep = scratch("report.json");
    for (run, expected) in [(1, 3_000), (2, 6_000)] {
        let status = bin()
            .args(["--producers", "3", "--spans", "3000", "--batch-size", "256"])
            .arg("--exporter")
            .arg(format!("json:{}", out.display()))
            .arg("--report-json")
            .arg(&rep)
            .status()
            .unwrap();
        assert!(status.success(), "run {run}: {status}");
        let r = report(&rep);
        for key in ["submitted", "consumed", "exported"] {
            assert_eq!(r[key], 3_000, "{key} in {r}");
        }
        assert_eq!(r["dropped"], serde_json::json!({}));
        assert!(r["batches"].as_u64().unwrap() >= 3_000 / 256);
        assert!(r["elapsed_secs"].as_f64().unwrap() > 0.0);
        assert!(r["spans_per_sec"].as_f64().unwrap() > 0.0);
        assert_eq!(
            spans_in(&out),
            expected,
            "run {run}: the file is appended, never overwritten"
        );
    }
}

/// The report on standard output names where the spans went and states the
/// identity.
#[test]
fn stdout_exporter_and_report() {
    let output = bin()
        .args(["--spans", "500", "--exporter", "stdout"])
        .output()
        .unwrap();
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(text.contains("batch: "), "{text}");
    assert!(
        text.contains("submitted 500 == consumed 500 == exported 500 + dropped 0: conserved"),
        "{text}"
    );
}

/// Usage errors are a clear message and exit 2.
#[test]
fn usage_errors_exit_2() {
    for args in [
        &["--producers", "0"][..],
        &["--producers", "17"],
        &["--batch-size", "0"],
        &["--exporter", "kafka:broker"],
        &["--spans", "many"],
    ] {
        let output = bin().args(args).output().unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(!output.stderr.is_empty(), "{args:?}: no message");
    }
}

/// SC-RETRY-3: a dead endpoint ends promptly with counted drops, a reason
/// and a non-zero exit.
#[test]
fn dead_endpoint_exits_non_zero() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let rep = scratch("dead.json");
    let start = Instant::now();
    let status = bin()
        .args(["--spans", "2000", "--exporter"])
        .arg(format!("otlp:http://127.0.0.1:{port}"))
        .arg("--report-json")
        .arg(&rep)
        .status()
        .unwrap();
    assert!(start.elapsed() < Duration::from_secs(60), "not prompt");
    assert_eq!(status.code(), Some(1));
    let r = report(&rep);
    assert_eq!(r["submitted"], 2_000);
    assert_eq!(r["exported"], 0);
    let dropped: u64 = r["dropped"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(dropped, 2_000, "{r}");
}
