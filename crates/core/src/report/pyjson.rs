//! JSON text byte-identical to Python 3's `json.dumps(obj, sort_keys=True)`.
//!
//! The report signature is an HMAC over this exact text, so anyone holding the
//! key can check a report with a few lines of standard-library Python:
//! `json.load`, drop `hmac_signature`, `json.dumps(obj, sort_keys=True)`,
//! `hmac.new(key, body.encode(), "sha256")`.
//!
//! Rules reproduced (Python defaults, `ensure_ascii=True`):
//!
//! * separators `", "` and `": "` (compact form); `","` + newline and `": "`
//!   with `indent=2` (pretty form), where empty `{}` / `[]` stay compact;
//! * object keys sorted by Unicode code point, which for Rust `str` is plain
//!   byte order (UTF-8 preserves code-point order; note this is *not* UTF-16
//!   order: Python puts U+FFFF before U+1F600);
//! * strings: every char outside `0x20..=0x7E` is escaped (so DEL `0x7F` is
//!   `\u007f`), `"` and `\` get a backslash, `\b \f \n \r \t` use the short
//!   forms, everything else is `\uXXXX` in lower-case hex, astral chars as a
//!   UTF-16 surrogate pair; `/` is *not* escaped;
//! * integers verbatim, floats as `float.__repr__`: shortest round-trip
//!   digits (exact ties between two candidates broken to the even digit, as
//!   CPython does: `1394865425023536.25` → `1394865425023536.2`), fixed
//!   notation when the decimal exponent `e` (of `d.ddd × 10^e`) satisfies
//!   `-4 <= e < 16`, with a trailing `.0` for integral values,
//!   otherwise `d.ddde±XX` (at least two exponent digits, no `.0` for a single
//!   digit: `1e+16`); `NaN`, `Infinity`, `-Infinity` (Python's non-standard
//!   default `allow_nan=True`).
//!
//! Known divergences that cannot be fixed here, because they happen when
//! serde_json *parses* text into a `Value`: integers beyond the `i64`/`u64`
//! range become floats (Python keeps them exact), the integer literal `-0`
//! becomes the float `-0.0` (Python: int `0`), and `1e400` is rejected (Python
//! reads it as `inf`). Reports only carry values we produced ourselves, so this does
//! not arise in practice.

use serde_json::{Map, Number, Value};
use std::fmt::Write as _;

/// `json.dumps(v, sort_keys=True)`.
pub fn to_string(v: &Value) -> String {
    let mut out = String::new();
    write_to(v, &mut out);
    out
}

/// `json.dumps(v, sort_keys=True, indent=2)`.
pub fn to_string_pretty(v: &Value) -> String {
    let mut out = String::new();
    write_pretty_to(v, &mut out);
    out
}

/// Append `json.dumps(v, sort_keys=True)` to `out`.
pub fn write_to(v: &Value, out: &mut String) {
    match v {
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_to(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (k, item)) in sorted_entries(map).into_iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_str(k, out);
                out.push_str(": ");
                write_to(item, out);
            }
            out.push('}');
        }
        scalar => write_scalar(scalar, out),
    }
}

/// Append `json.dumps(v, sort_keys=True, indent=2)` to `out`.
pub fn write_pretty_to(v: &Value, out: &mut String) {
    write_pretty(v, 0, out);
}

const INDENT: usize = 2;

fn newline_indent(level: usize, out: &mut String) {
    out.push('\n');
    for _ in 0..level * INDENT {
        out.push(' ');
    }
}

fn write_pretty(v: &Value, level: usize, out: &mut String) {
    match v {
        Value::Array(items) if items.is_empty() => out.push_str("[]"),
        Value::Object(map) if map.is_empty() => out.push_str("{}"),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline_indent(level + 1, out);
                write_pretty(item, level + 1, out);
            }
            newline_indent(level, out);
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (k, item)) in sorted_entries(map).into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline_indent(level + 1, out);
                write_str(k, out);
                out.push_str(": ");
                write_pretty(item, level + 1, out);
            }
            newline_indent(level, out);
            out.push('}');
        }
        scalar => write_scalar(scalar, out),
    }
}

/// Entries in Python `sort_keys` order. serde_json's default map is already a
/// `BTreeMap<String, _>` in this order, but sorting explicitly keeps the
/// output right even if the `preserve_order` feature gets unified in by some
/// other crate.
fn sorted_entries(map: &Map<String, Value>) -> Vec<(&String, &Value)> {
    let mut entries: Vec<(&String, &Value)> = map.iter().collect();
    entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    entries
}

fn write_scalar(v: &Value, out: &mut String) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(n) => write_number(n, out),
        Value::String(s) => write_str(s, out),
        Value::Array(_) | Value::Object(_) => unreachable!("containers handled by caller"),
    }
}

fn write_number(n: &Number, out: &mut String) {
    if let Some(u) = n.as_u64() {
        let _ = write!(out, "{u}");
    } else if let Some(i) = n.as_i64() {
        let _ = write!(out, "{i}");
    } else if let Some(f) = n.as_f64() {
        write_f64(f, out);
    } else {
        // Unreachable without serde_json's `arbitrary_precision`; fall back
        // to serde_json's own text.
        let _ = write!(out, "{n}");
    }
}

/// Append Python's `float.__repr__(x)` (as used by `json.dumps`) to `out`.
///
/// The digits come from Rust's shortest round-trip formatting (`{:e}`), which,
/// like CPython's `dtoa` mode 0, yields the shortest digit string that reads
/// back to the same `f64`, choosing the closest one when several qualify.
/// The two differ only on exact ties between two closest candidates, where
/// CPython rounds half to even and Rust rounds half up; see
/// [`round_tie_to_even`].
pub fn write_f64(x: f64, out: &mut String) {
    if x.is_nan() {
        out.push_str("NaN");
        return;
    }
    if x.is_infinite() {
        out.push_str(if x > 0.0 { "Infinity" } else { "-Infinity" });
        return;
    }
    // "-1.2345e-7", "1e16", "0e0", "-0e0"
    let sci = format!("{x:e}");
    let (mantissa, exp) = sci
        .split_once('e')
        .expect("LowerExp output always has an exponent");
    let exp: i32 = exp.parse().expect("LowerExp exponent is an integer");
    let (negative, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => (true, m),
        None => (false, mantissa),
    };
    // Significant digits d1 d2 ... dn, value = d1.d2...dn × 10^exp.
    let mut digits: String = mantissa.chars().filter(|&c| c != '.').collect();
    let mut exp = exp;
    round_tie_to_even(x.abs(), &mut digits, &mut exp);
    let digits = digits.as_str();

    if negative {
        out.push('-');
    }
    if (-4..16).contains(&exp) {
        if exp >= 0 {
            let int_len = exp as usize + 1;
            if digits.len() <= int_len {
                out.push_str(digits);
                for _ in digits.len()..int_len {
                    out.push('0');
                }
                out.push_str(".0");
            } else {
                out.push_str(&digits[..int_len]);
                out.push('.');
                out.push_str(&digits[int_len..]);
            }
        } else {
            out.push_str("0.");
            for _ in 0..(-exp - 1) {
                out.push('0');
            }
            out.push_str(digits);
        }
    } else {
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        let _ = write!(
            out,
            "e{}{:02}",
            if exp < 0 { '-' } else { '+' },
            exp.unsigned_abs()
        );
    }
}

/// Make a shortest-digits result agree with CPython on exact ties.
///
/// When `x` lies exactly halfway between two shortest candidates (e.g.
/// `1394865425023536.25`, between `…536.2` and `…536.3`), CPython's `dtoa`
/// picks the one with an even last digit, while Rust's shortest formatting
/// rounds the half up. `digits` (`d1 d2 … dn`, value `d1.d2…dn × 10^exp`) is
/// replaced by the even neighbour in exactly that case.
///
/// A tie means `x == (2D ± 1) · 5 · 10^(exp - n)` where `D` is the digit
/// string as an integer; with `x = m · 2^k` (`m` odd) and the right-hand side
/// `t · 10^j` (`t` odd) this holds iff `k == j` and `m · 5^-j == t` (`j < 0`)
/// or `m == t · 5^j` (`j >= 0`), which is checked exactly in `u128`.
fn round_tie_to_even(x: f64, digits: &mut String, exp: &mut i32) {
    let n = digits.len();
    let last_odd = digits.as_bytes()[n - 1] & 1 == 1;
    if x == 0.0 || !last_odd || n > 17 {
        return;
    }
    let Ok(d) = digits.parse::<u128>() else {
        return;
    };
    // x = m · 2^k with m odd.
    let bits = x.to_bits();
    let biased = ((bits >> 52) & 0x7ff) as i32;
    let frac = bits & ((1 << 52) - 1);
    let (mut m, mut k) = if biased == 0 {
        (frac, -1074)
    } else {
        (frac | (1 << 52), biased - 1075)
    };
    let tz = m.trailing_zeros();
    m >>= tz;
    k += tz as i32;
    let m = u128::from(m);

    let j = *exp - n as i32;
    if k != j {
        return;
    }
    let is_exact = |t: u128| -> bool {
        if j >= 0 {
            5u128
                .checked_pow(j as u32)
                .and_then(|p| p.checked_mul(t))
                .is_some_and(|v| v == m)
        } else {
            5u128
                .checked_pow(j.unsigned_abs())
                .and_then(|p| p.checked_mul(m))
                .is_some_and(|v| v == t)
        }
    };
    let replacement = if is_exact((2 * d - 1) * 5) {
        d - 1 // tie with the candidate below
    } else if is_exact((2 * d + 1) * 5) {
        d + 1 // tie with the candidate above
    } else {
        return;
    };
    let mut new_digits = replacement.to_string();
    let mut new_exp = *exp;
    if new_digits.len() > n {
        new_exp += 1; // 99…9 + 1 carried into a new leading digit
    }
    while new_digits.len() > 1 && new_digits.ends_with('0') {
        new_digits.pop();
    }
    // Both neighbours of a tie normally round-trip; keep Rust's digits if
    // this one would not (e.g. at a binade boundary).
    let text = format!("{}.{}e{new_exp}", &new_digits[..1], &new_digits[1..]);
    if text.parse::<f64>() == Ok(x) {
        *digits = new_digits;
        *exp = new_exp;
    }
}

/// Python's `float.__repr__(x)` as a new string.
pub fn f64_repr(x: f64) -> String {
    let mut out = String::new();
    write_f64(x, &mut out);
    out
}

/// Append `s` as a JSON string literal with `ensure_ascii=True` escaping.
pub fn write_str(s: &str, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    fn push_u(unit: u16, out: &mut String) {
        out.push_str("\\u");
        for shift in [12, 8, 4, 0] {
            out.push(HEX[((unit >> shift) & 0xF) as usize] as char);
        }
    }

    out.push('"');
    let bytes = s.as_bytes();
    // Copy runs of printable ASCII in one go.
    let mut run_start = 0;
    for (i, c) in s.char_indices() {
        let safe = matches!(c, ' '..='~') && c != '"' && c != '\\';
        if safe {
            continue;
        }
        out.push_str(&s[run_start..i]);
        run_start = i + c.len_utf8();
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0C}' => out.push_str("\\f"),
            _ => {
                let mut units = [0u16; 2];
                for &unit in c.encode_utf16(&mut units).iter() {
                    push_u(unit, out);
                }
            }
        }
    }
    out.push_str(&s[run_start..bytes.len()]);
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn repr(x: f64) -> String {
        f64_repr(x)
    }

    #[test]
    fn float_fixed_notation() {
        // Expected strings from CPython 3.11 `repr(float)`.
        assert_eq!(repr(1.0), "1.0");
        assert_eq!(repr(0.0), "0.0");
        assert_eq!(repr(-0.0), "-0.0");
        assert_eq!(repr(100.0), "100.0");
        assert_eq!(repr(0.0001), "0.0001");
        assert_eq!(repr(0.000123), "0.000123");
        assert_eq!(repr(123.456), "123.456");
        assert_eq!(repr(4.35), "4.35");
        assert_eq!(repr(0.1 + 0.2), "0.30000000000000004");
        assert_eq!(repr(1.0 / 3.0), "0.3333333333333333");
        assert_eq!(repr(1e15), "1000000000000000.0");
        assert_eq!(repr(9999999999999998.0), "9999999999999998.0");
        assert_eq!(repr(9007199254740993.0), "9007199254740992.0");
        assert_eq!(repr(-2.5), "-2.5");
    }

    #[test]
    fn float_scientific_notation() {
        assert_eq!(repr(0.00001), "1e-05");
        assert_eq!(repr(-1.5e-5), "-1.5e-05");
        assert_eq!(repr(1e-7), "1e-07");
        assert_eq!(repr(1e16), "1e+16");
        assert_eq!(repr(1.5e16), "1.5e+16");
        assert_eq!(repr(1e21), "1e+21");
        assert_eq!(repr(1e22), "1e+22");
        assert_eq!(repr(1e100), "1e+100");
        assert_eq!(repr(123456789012345678.0), "1.2345678901234568e+17");
        assert_eq!(repr(12345678901234567890.0), "1.2345678901234567e+19");
        assert_eq!(repr(f64::MAX), "1.7976931348623157e+308");
        assert_eq!(repr(f64::MIN_POSITIVE), "2.2250738585072014e-308");
        assert_eq!(repr(5e-324), "5e-324");
        assert_eq!(repr(1.5e-323), "1.5e-323");
        assert_eq!(repr(2.5e-320), "2.5e-320");
    }

    #[test]
    #[allow(clippy::excessive_precision)] // exact tie values on purpose
    fn float_exact_ties_round_half_even() {
        // CPython: repr of values exactly halfway between two shortest
        // candidates; Rust's `{}`/`{:e}` would round these halves up.
        assert_eq!(repr(1394865425023536.25), "1394865425023536.2");
        assert_eq!(repr(1394865425023536.75), "1394865425023536.8");
        assert_eq!(repr(1125899906842623.25), "1125899906842623.2");
        assert_eq!(repr(1125899906842623.75), "1125899906842623.8");
        assert_eq!(repr(-1394865425023536.25), "-1394865425023536.2");
        // Not ties: the exact value or a shorter string wins.
        assert_eq!(repr(2251799813685247.5), "2251799813685247.5");
        assert_eq!(repr(562949953421312.125), "562949953421312.1");
        assert_eq!(repr(562949953421312.875), "562949953421312.9");
        assert_eq!(repr(999999999999999.875), "999999999999999.9");
    }

    #[test]
    fn float_non_finite() {
        assert_eq!(repr(f64::NAN), "NaN");
        assert_eq!(repr(f64::INFINITY), "Infinity");
        assert_eq!(repr(f64::NEG_INFINITY), "-Infinity");
    }

    #[test]
    fn ints_stay_ints() {
        assert_eq!(to_string(&json!(0)), "0");
        assert_eq!(to_string(&json!(-7)), "-7");
        assert_eq!(to_string(&json!(u64::MAX)), "18446744073709551615");
        assert_eq!(to_string(&json!(i64::MIN)), "-9223372036854775808");
        assert_eq!(to_string(&json!([1, 1.0, -1, -1.0])), "[1, 1.0, -1, -1.0]");
    }

    #[test]
    fn string_escapes() {
        // python3 -c 'import json; print(json.dumps("a\"b\\c\n\r\t\b\f\x00\x1f\x7f\x80é中文😀/~ "))'
        let s = "a\"b\\c\n\r\t\u{8}\u{c}\u{0}\u{1f}\u{7f}\u{80}é中文😀/~ ";
        assert_eq!(
            to_string(&json!(s)),
            r#""a\"b\\c\n\r\t\b\f\u0000\u001f\u007f\u0080\u00e9\u4e2d\u6587\ud83d\ude00/~ ""#
        );
        assert_eq!(to_string(&json!("")), r#""""#);
        assert_eq!(to_string(&json!("plain ascii")), r#""plain ascii""#);
        assert_eq!(
            to_string(&json!("\u{ffff}\u{10ffff}")),
            r#""\uffff\udbff\udfff""#
        );
        assert_eq!(to_string(&json!("\u{2028}\u{feff}")), r#""\u2028\ufeff""#);
    }

    #[test]
    fn scalars() {
        assert_eq!(to_string(&Value::Null), "null");
        assert_eq!(to_string(&json!(true)), "true");
        assert_eq!(to_string(&json!(false)), "false");
    }

    #[test]
    fn keys_sorted_by_code_point() {
        // python3 -c 'import json; print(json.dumps({"\ue000":1,"😀":2,"\uffff":3}, sort_keys=True))'
        // Code-point order, not UTF-16 order: U+FFFF sorts before U+1F600.
        let v = json!({"\u{e000}": 1, "😀": 2, "\u{ffff}": 3});
        assert_eq!(
            to_string(&v),
            r#"{"\ue000": 1, "\uffff": 3, "\ud83d\ude00": 2}"#
        );
    }

    fn mixed() -> Value {
        json!({"b": 1, "a": [1, 2, {}], "é": {}, "Z": [], "aa": null, "t": true, "f": false})
    }

    #[test]
    fn compact_containers() {
        assert_eq!(
            to_string(&mixed()),
            r#"{"Z": [], "a": [1, 2, {}], "aa": null, "b": 1, "f": false, "t": true, "\u00e9": {}}"#
        );
        assert_eq!(to_string(&json!({})), "{}");
        assert_eq!(to_string(&json!([])), "[]");
        assert_eq!(
            to_string(&json!({"x": {"y": [1.5, "z"]}})),
            r#"{"x": {"y": [1.5, "z"]}}"#
        );
    }

    #[test]
    fn pretty_containers() {
        // python3 -c 'import json; print(json.dumps(..., sort_keys=True, indent=2))'
        let expected =
            "{\n  \"Z\": [],\n  \"a\": [\n    1,\n    2,\n    {}\n  ],\n  \"aa\": null,\n  \
                        \"b\": 1,\n  \"f\": false,\n  \"t\": true,\n  \"\\u00e9\": {}\n}";
        assert_eq!(to_string_pretty(&mixed()), expected);
        assert_eq!(to_string_pretty(&json!({})), "{}");
        assert_eq!(to_string_pretty(&json!([])), "[]");
        assert_eq!(to_string_pretty(&json!(1.0)), "1.0");
        assert_eq!(
            to_string_pretty(&json!([{"k": [[]]}])),
            "[\n  {\n    \"k\": [\n      []\n    ]\n  }\n]"
        );
    }

    #[test]
    fn write_to_appends() {
        let mut out = String::from("x=");
        write_to(&json!({"a": 1}), &mut out);
        assert_eq!(out, r#"x={"a": 1}"#);
    }

    #[test]
    fn float_round_trip_through_serde_json_text() {
        // Python: json.dumps(json.loads(text)) for each text below.
        let cases = [
            ("0.1", "0.1"),
            ("0.3333333333333333", "0.3333333333333333"),
            ("1e-7", "1e-07"),
            ("123456789012345678.0", "1.2345678901234568e+17"),
            ("2.5e-320", "2.5e-320"),
            ("1e22", "1e+22"),
            ("5e-324", "5e-324"),
            ("0.3", "0.3"),
            ("100.0", "100.0"),
            ("1e16", "1e+16"),
            ("9999999999999998.0", "9999999999999998.0"),
            ("1E2", "100.0"),
            ("-0.0", "-0.0"),
            ("0.30000000000000004", "0.30000000000000004"),
            ("1.7976931348623157e308", "1.7976931348623157e+308"),
            ("2.2250738585072014e-308", "2.2250738585072014e-308"),
            ("0.000123", "0.000123"),
        ];
        for (text, python) in cases {
            let v: Value = serde_json::from_str(text).unwrap();
            assert_eq!(to_string(&v), python, "input {text}");
        }
        let doc = r#"{"z": [0.1, 1e-7, 1e22], "a": {"n": 5e-324, "m": 100.0}}"#;
        let v: Value = serde_json::from_str(doc).unwrap();
        assert_eq!(
            to_string(&v),
            r#"{"a": {"m": 100.0, "n": 5e-324}, "z": [0.1, 1e-07, 1e+22]}"#
        );
    }

    #[test]
    fn parse_side_divergences_are_documented() {
        // serde_json reads the integer literal `-0` as the float -0.0 (Python:
        // int 0, printed "0"), and big integers as floats (Python: exact int).
        // These come from parsing, not from this serialiser; see module docs.
        let v: Value = serde_json::from_str("-0").unwrap();
        assert_eq!(to_string(&v), "-0.0");
        let v: Value = serde_json::from_str("123456789012345678901234").unwrap();
        // Python: float(123456789012345678901234) == 1.2345678901234569e+23
        assert_eq!(to_string(&v), "1.2345678901234569e+23");
    }

    #[test]
    fn output_parses_back_to_same_value() {
        let v = json!({"f": [0.1, 1e-7, 1e300, -0.5], "s": "é\u{0}😀", "i": [1, -2]});
        let back: Value = serde_json::from_str(&to_string(&v)).unwrap();
        assert_eq!(back, v);
        let back: Value = serde_json::from_str(&to_string_pretty(&v)).unwrap();
        assert_eq!(back, v);
    }
}
