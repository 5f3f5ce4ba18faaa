//! Figures for the audit log (see scripts/bench_audit.sh):
//!
//! `audit_bench append LOG N`: N appends (lock, fsync, manifest update
//! included), printing the median and p99 latency.
//!
//! `audit_bench build LOG N`: writes a valid N-entry log and its manifest
//! directly (no fsync per line), for timing `scour audit verify` on a large
//! log without waiting hours for N fsynced appends.
//!
//! The key is `SCOUR_AUDIT_KEY`.

use std::io::Write;
use std::path::Path;
use std::time::Instant;

use serde_json::json;

use scour::audit::log::manifest_path;
use scour::audit::record::{sha256_hex, Head, Manifest, NewEntry};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(cmd), Some(log), Some(n)) = (args.get(1), args.get(2), args.get(3)) else {
        eprintln!("usage: audit_bench append|build LOG N");
        std::process::exit(2);
    };
    let n: u64 = n.parse().expect("N is a number");
    let key = scour::audit::key_from_env().expect("SCOUR_AUDIT_KEY is not set");
    let log = Path::new(log);
    match cmd.as_str() {
        "append" => append(log, &key, n),
        "build" => build(log, &key, n),
        _ => {
            eprintln!("usage: audit_bench append|build LOG N");
            std::process::exit(2);
        }
    }
}

fn payload(i: u64) -> serde_json::Value {
    json!({
        "scan_id": format!("01JF{i:022}"),
        "report_sha256": sha256_hex(&i.to_le_bytes()),
        "gates_passed": i % 3 != 0,
        "gates_failed": if i % 3 == 0 { vec!["pii-density"] } else { vec![] },
        "file_count": 12,
        "row_count": 100_000 + i,
    })
}

fn append(log: &Path, key: &[u8], n: u64) {
    let mut times = Vec::with_capacity(n as usize);
    for i in 0..n {
        let t = Instant::now();
        scour::audit::append(log, key, "scan.completed", "bench@host", &payload(i))
            .expect("append");
        times.push(t.elapsed().as_secs_f64() * 1e3);
    }
    times.sort_by(f64::total_cmp);
    let at = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
    println!(
        "appends: {n}, median {:.3} ms, p99 {:.3} ms, max {:.3} ms",
        at(0.5),
        at(0.99),
        at(1.0)
    );
}

fn build(log: &Path, key: &[u8], n: u64) {
    let mut m = Manifest::new("01JFBENCH0000000000000000A", "2026-01-01T00:00:00.000Z");
    let mut out = std::io::BufWriter::new(std::fs::File::create(log).expect("create"));
    let mut prev = m.genesis_hash.clone();
    let mut length = 0u64;
    let mut timestamp = String::new();
    for seq in 1..=n {
        let ms = seq / 10;
        timestamp = format!(
            "2026-01-{:02}T{:02}:{:02}:{:02}.{:03}Z",
            1 + ms / 86_400_000,
            ms / 3_600_000 % 24,
            ms / 60_000 % 60,
            ms / 1000 % 60,
            ms % 1000
        );
        let line = NewEntry {
            seq,
            timestamp: &timestamp,
            event: "scan.completed",
            actor: "bench@host",
            payload: &payload(seq),
            prev_hash: &prev,
        }
        .line(key);
        out.write_all(line.as_bytes()).expect("write");
        out.write_all(b"\n").expect("write");
        length += line.len() as u64 + 1;
        prev = sha256_hex(line.as_bytes());
    }
    out.flush().expect("flush");
    m.head = Head {
        seq: n,
        hash: prev,
        length,
        timestamp,
    };
    std::fs::write(manifest_path(log), m.to_text(key)).expect("manifest");
    println!("{}: {n} entries, {length} bytes", log.display());
}
