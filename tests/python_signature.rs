//! Cross-checks against real CPython: a report signed by scour must verify
//! with a few lines of standard-library Python, and our JSON text must be
//! byte-identical to `json.dumps(..., sort_keys=True)`.
//!
//! Skipped (with a message) when `python3` is not on PATH.

use scour::report::{pyjson, sign};
use serde_json::{json, Value};
use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Output, Stdio};

/// The verifier a report recipient would write. argv: report path, hex key.
/// Prints the signed body on the first line, the indent=2 dump of the whole
/// file on the following lines; exit 0 if the signature is valid, 1 if not.
const VERIFY_PY: &str = r#"
import hashlib, hmac, json, sys
with open(sys.argv[1], encoding="utf-8") as f:
    report = json.load(f)
pretty = json.dumps(report, sort_keys=True, indent=2)
sig = report.pop("hmac_signature")
body = json.dumps(report, sort_keys=True)
mac = hmac.new(bytes.fromhex(sys.argv[2]), body.encode(), hashlib.sha256).hexdigest()
print(body)
print(pretty)
sys.exit(0 if hmac.compare_digest(sig, "hmac-sha256:" + mac) else 1)
"#;

/// Reads JSON on stdin, writes `json.dumps(obj, sort_keys=True)` to stdout.
const REDUMP_PY: &str = r#"
import json, sys
sys.stdout.write(json.dumps(json.load(sys.stdin), sort_keys=True))
"#;

fn python3_available() -> bool {
    match Command::new("python3").arg("--version").output() {
        Ok(out) if out.status.success() => true,
        _ => {
            eprintln!("SKIPPED: python3 not found on PATH; Python cross-check not run");
            false
        }
    }
}

fn run_verifier(path: &Path, key: &[u8]) -> Output {
    Command::new("python3")
        .arg("-c")
        .arg(VERIFY_PY)
        .arg(path)
        .arg(hex::encode(key))
        .output()
        .expect("run python3")
}

fn python_redump(json_text: &str) -> String {
    let mut child = Command::new("python3")
        .arg("-c")
        .arg(REDUMP_PY)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run python3");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(json_text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "python3 failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn report() -> Value {
    json!({
        "schema": "scour.report/1",
        "run_id": "01ARYZ6S41TSV4RRFFQ69G5FAV",
        "generated_at": "2026-11-23T08:15:02Z",
        "dataset": {
            "name": "corpus-é-中文-😀",
            "records": 1_234_567_u64,
            "bytes": 98_765_432_109_u64,
            "languages": {"en": 0.61, "fr": 0.2, "zh": 0.19},
        },
        "findings": [
            {"kind": "email", "count": 42, "rate": 3.4e-5, "sample": "jo\u{eb}@exemple.fr"},
            {"kind": "secret", "count": 0, "rate": 0.0, "sample": null},
            {"kind": "quote\"back\\slash", "count": -1, "rate": 1e16, "sample": "tab\there\nnl"},
        ],
        "skew": {"max_ratio": 123.456, "tiny": 5e-324, "big": 1.5e300, "third": 1.0 / 3.0},
        "empty_obj": {},
        "empty_list": [],
        "passed": false,
        "notes": "Zeichen: \u{7f}\u{1}\u{2028} emoji 🦀 combining e\u{301}",
    })
}

#[test]
fn python_accepts_signed_report_and_rejects_tampering() {
    if !python3_available() {
        return;
    }
    let key = "clé-秘密-🔑".as_bytes();
    let mut report = report();
    let signature = sign::sign(&report, key);
    sign::attach_signature(&mut report, key).unwrap();
    assert_eq!(report[sign::SIGNATURE_FIELD], json!(signature));
    assert_eq!(sign::verify(&report, key), Ok(()));

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.json");
    let pretty = pyjson::to_string_pretty(&report);
    std::fs::write(&path, &pretty).unwrap();

    let out = run_verifier(&path, key);
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "Python rejected the signature (exit {:?})\nstdout:\n{stdout}\nstderr:\n{stderr}",
        out.status.code()
    );
    // Python's view of the signed body and of the pretty file match ours
    // byte for byte.
    let (py_body, py_pretty) = stdout.split_once('\n').unwrap();
    assert_eq!(py_body, sign::signed_text(&report));
    assert_eq!(py_pretty.trim_end_matches('\n'), pretty);

    // Wrong key: Python says no.
    let out = run_verifier(&path, b"not the key");
    assert_eq!(out.status.code(), Some(1), "wrong key must fail");

    // Tamper with one count in the file: both Python and Rust say no.
    let needle = "\"count\": 42";
    assert_eq!(pretty.matches(needle).count(), 1);
    let tampered = pretty.replace(needle, "\"count\": 41");
    std::fs::write(&path, &tampered).unwrap();
    let out = run_verifier(&path, key);
    assert_eq!(out.status.code(), Some(1), "tampered report must fail");
    let tampered: Value = serde_json::from_str(&tampered).unwrap();
    assert_eq!(
        sign::verify(&tampered, key),
        Err(sign::VerifyError::Mismatch)
    );

    // Tampering by type only (int 0 -> float 0.0) is also detected.
    let retyped = pretty.replace("\"count\": 0", "\"count\": 0.0");
    assert_ne!(retyped, pretty);
    std::fs::write(&path, &retyped).unwrap();
    assert_eq!(run_verifier(&path, key).status.code(), Some(1));
}

/// xorshift64*: deterministic, dependency-free test randomness.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

#[test]
#[allow(clippy::excessive_precision)] // exact tie values on purpose
fn floats_match_python_repr() {
    if !python3_available() {
        return;
    }
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut floats: Vec<f64> = vec![
        0.1,
        1.0 / 3.0,
        1e-7,
        123456789012345678.0,
        2.5e-320,
        1e22,
        5e-324,
        0.3,
        100.0,
        1e16,
        9999999999999998.0,
        0.0,
        -0.0,
        1394865425023536.25,
        1394865425023536.75,
        1e-4,
        9.999999999999999e-5,
        1e-5,
        f64::MAX,
        f64::MIN_POSITIVE,
        f64::EPSILON,
    ];
    // Powers of ten and their neighbours around every notation boundary.
    for e in -30..=30 {
        let p: f64 = format!("1e{e}").parse().unwrap();
        floats.extend([
            p,
            f64::from_bits(p.to_bits() + 1),
            f64::from_bits(p.to_bits() - 1),
        ]);
    }
    // Scale with SCOUR_PYJSON_FLOATS for a local stress run.
    let rounds: usize = std::env::var("SCOUR_PYJSON_FLOATS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    // Exact ties between two shortest candidates live where the f64
    // precision runs out, e.g. quarters around 2^50: full 53-bit mantissas
    // with small binary exponents.
    for _ in 0..rounds {
        let m = (1u64 << 52) | (rng.next() >> 12);
        let k = (rng.next() % 24) as i32 - 12;
        floats.push(m as f64 * 2f64.powi(k));
    }
    for _ in 0..2 * rounds {
        // Uniform bit patterns: all exponents, subnormals included.
        let x = f64::from_bits(rng.next());
        if x.is_finite() {
            floats.push(x);
        }
    }
    for _ in 0..rounds {
        // "Human" decimals with few digits and integers near 2^53.
        let digits = (rng.next() % 1_000_000) as f64;
        let scale = 10f64.powi((rng.next() % 24) as i32 - 12);
        floats.push(digits * scale);
        floats.push(((1u64 << 53) - (rng.next() % 1000)) as f64);
    }
    let v = Value::Array(floats.iter().map(|&f| json!(f)).collect());
    let ours = pyjson::to_string(&v);
    let python = python_redump(&ours);
    if ours != python {
        let a: Vec<&str> = ours.trim_matches(['[', ']']).split(", ").collect();
        let b: Vec<&str> = python.trim_matches(['[', ']']).split(", ").collect();
        for (x, y) in a.iter().zip(&b) {
            assert_eq!(x, y, "float repr differs from Python");
        }
        panic!("outputs differ in length");
    }
}

#[test]
fn strings_and_keys_match_python() {
    if !python3_available() {
        return;
    }
    let mut rng = Rng(0xdead_beef_cafe_f00d);
    let mut random_char = || loop {
        let r = rng.next();
        let cp = match r % 4 {
            0 => (r >> 8) % 0x80,      // ASCII incl. controls and DEL
            1 => (r >> 8) % 0x800,     // 2-byte UTF-8
            2 => (r >> 8) % 0x1_0000,  // BMP
            _ => (r >> 8) % 0x11_0000, // anything incl. astral
        } as u32;
        if let Some(c) = char::from_u32(cp) {
            return c;
        }
    };
    let mut map = serde_json::Map::new();
    let mut list = Vec::new();
    for i in 0..500 {
        let len = i % 12;
        let s: String = (0..len).map(|_| random_char()).collect();
        list.push(json!(s));
        map.insert(s, json!(i));
    }
    let v = json!({"map": map, "list": list});
    let ours = pyjson::to_string(&v);
    assert!(ours.is_ascii());
    assert_eq!(python_redump(&ours), ours);
}
