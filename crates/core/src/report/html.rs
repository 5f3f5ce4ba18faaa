//! The report as one self-contained HTML page, for the people who decide
//! on it rather than parse it: no script, no network fetch, no external
//! font or style; every chart is inline SVG drawn here from the report's
//! own figures. Rendering from the finished report (not from the scan's
//! state) means the page can never say something the signed JSON does not.

use std::fmt::Write as _;

use serde_json::Value;

use crate::detect::{Category, Detector};

/// Bars drawn in the per-file density chart (worst first); the rest are
/// counted in a note.
const MAX_FILE_BARS: usize = 30;

const STYLE: &str = r#"
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1d2330;background:#f6f7f9}
main{max-width:1080px;margin:0 auto;padding:24px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}
.meta{color:#5b6475;font-size:13px}
.cards{display:flex;flex-wrap:wrap;gap:10px;margin:16px 0}
.card{background:#fff;border:1px solid #dde1e8;border-radius:6px;padding:10px 14px;min-width:120px}
.card b{display:block;font-size:20px}
.verdict{display:inline-block;padding:3px 10px;border-radius:4px;font-weight:600;color:#fff}
.pass{background:#2f855a}.fail{background:#c53030}
table{border-collapse:collapse;width:100%;background:#fff;border:1px solid #dde1e8;font-size:13px}
th,td{text-align:left;padding:5px 8px;border-bottom:1px solid #eceff3;vertical-align:top}
th{background:#eef1f5}td.num{text-align:right;font-variant-numeric:tabular-nums}
code{font:12px ui-monospace,SFMono-Regular,Menlo,monospace;word-break:break-all}
svg.chart{background:#fff;border:1px solid #dde1e8;border-radius:6px;display:block;margin:6px 0}
svg text{font:12px system-ui,sans-serif;fill:#1d2330}
.note{color:#5b6475;font-size:12px}
"#;

/// The page for a report built by [`super::build::build`] with `detectors`
/// (for each id's category).
pub fn render(report: &Value, detectors: &[&Detector]) -> String {
    let mut h = String::with_capacity(64 * 1024);
    let title = format!("scour report: {}", text(&report["dataset_path"]));
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>{}</title><style>{STYLE}</style></head><body><main>\n",
        esc(&title)
    );
    header(&mut h, report);
    gates(&mut h, report);
    h.push_str("<h2>Findings per detector</h2>\n");
    h.push_str(&bars(
        "detectors",
        &detector_bars(report, detectors),
        "no findings",
        |v| fmt_count(v as u64),
    ));
    h.push_str("<h2>Findings per split</h2>\n");
    h.push_str(&bars("splits", &split_bars(report), "no rows", |v| {
        fmt_count(v as u64)
    }));
    file_density(&mut h, report);
    h.push_str("<h2>Vocabulary: rank and frequency</h2>\n");
    h.push_str(&zipf_plot(&report["zipf"], text(&report["bias_signal"])));
    coverage(&mut h, report);
    errors(&mut h, report);
    provenance(&mut h, report);
    let _ = write!(
        h,
        "<p class=\"note\">Written by scour {}. Signature: {}. The JSON report is the record; \
         this page is drawn from it.</p>\n</main></body></html>\n",
        esc(text(&report["tool"]["version"])),
        if text(&report["hmac_signature"]).is_empty() {
            "unsigned".to_string()
        } else {
            format!("<code>{}</code>", esc(text(&report["hmac_signature"])))
        }
    );
    h
}

fn header(h: &mut String, r: &Value) {
    let passed = r["gates"]["passed"].as_bool().unwrap_or(false);
    let _ = write!(
        h,
        "<h1>scour: {}</h1>\n<div class=\"meta\">scan {} · {} · <span class=\"verdict {}\">{}</span></div>\n",
        esc(text(&r["dataset_path"])),
        esc(text(&r["scan_id"])),
        esc(text(&r["scanned_at"])),
        if passed { "pass" } else { "fail" },
        if passed { "gates passed" } else { "a gate failed" },
    );
    h.push_str("<div class=\"cards\">");
    let cards = [
        ("files", fmt_count(num(&r["file_count"]) as u64)),
        ("rows", fmt_count(num(&r["row_count"]) as u64)),
        ("tokens (est.)", fmt_count(num(&r["token_estimate"]) as u64)),
        ("PII findings", fmt_count(num(&r["pii_total"]) as u64)),
        ("secrets", fmt_count(num(&r["secrets_total"]) as u64)),
        (
            "PII per 1,000 tokens",
            format!("{}", num(&r["pii_density_score"])),
        ),
        (
            "input problems",
            fmt_count(num(&r["errors"]["count"]) as u64),
        ),
    ];
    for (label, value) in cards {
        let _ = write!(
            h,
            "<div class=\"card\"><b>{}</b>{}</div>",
            esc(&value),
            label
        );
    }
    h.push_str("</div>\n");
}

fn gates(h: &mut String, r: &Value) {
    let cfg = &r["gates"]["config"];
    h.push_str("<h2>EU AI Act Article 10 gates</h2>\n<table><tr><th>clause</th><th>title</th><th>figure</th><th>threshold</th><th>enforced</th><th>result</th></tr>\n");
    for c in r["eu_ai_act_article_10_clauses"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let id = text(&c["clause_id"]);
        let (figure, threshold, gate) = match id {
            "Art.10(2)(a)" => (
                format!("{} PII per 1,000 tokens", num(&r["pii_density_score"])),
                format!("< {}", num(&cfg["max_pii_density"])),
                "pii_density",
            ),
            "Art.10(2)(b)" => (
                format!("{} % consented", num(&r["consent_coverage_pct"])),
                format!("≥ {} %", num(&cfg["min_consent_pct"])),
                "consent",
            ),
            "Art.10(2)(c)" => (
                format!("{} % with provenance", num(&r["provenance_coverage_pct"])),
                format!("≥ {} %", num(&cfg["min_provenance_pct"])),
                "provenance",
            ),
            "Art.10(2)(d)" => (
                format!("bias signal {}", text(&r["bias_signal"])),
                format!("≤ {}", text(&cfg["max_bias"])),
                "bias",
            ),
            _ => (text(&c["detail"]).to_string(), String::new(), ""),
        };
        let passed = c["passed"].as_bool().unwrap_or(false);
        let enforced = cfg[gate].as_bool().unwrap_or(true);
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td><span class=\"verdict {}\">{}</span></td></tr>",
            esc(id),
            esc(text(&c["title"])),
            esc(&figure),
            esc(&threshold),
            if enforced { "yes" } else { "no" },
            if passed { "pass" } else { "fail" },
            if passed { "pass" } else { "fail" },
        );
    }
    let secrets = num(&r["secrets_total"]);
    let _ = writeln!(
        h,
        "<tr><td>secrets</td><td>No secrets in training data</td><td>{} secret(s)</td><td>0</td><td>{}</td><td><span class=\"verdict {}\">{}</span></td></tr></table>",
        secrets,
        if cfg["secrets"].as_bool().unwrap_or(true) { "yes" } else { "no" },
        if secrets == 0.0 { "pass" } else { "fail" },
        if secrets == 0.0 { "pass" } else { "fail" },
    );
}

/// One bar: label, value, colour, and an optional tooltip.
struct Bar {
    label: String,
    value: f64,
    colour: &'static str,
}

const PII: &str = "#3467c9";
const SECRET: &str = "#c53030";

fn detector_bars(r: &Value, detectors: &[&Detector]) -> Vec<Bar> {
    let is_secret = |id: &str| {
        detectors
            .iter()
            .any(|d| d.id == id && d.category == Category::Secret)
    };
    let mut v: Vec<Bar> = r["detectors"]
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(_, n)| num(n) > 0.0)
        .map(|(id, n)| Bar {
            label: id.clone(),
            value: num(n),
            colour: if is_secret(id) { SECRET } else { PII },
        })
        .collect();
    v.sort_by(|a, b| b.value.total_cmp(&a.value).then(a.label.cmp(&b.label)));
    v
}

fn split_bars(r: &Value) -> Vec<Bar> {
    let mut v = Vec::new();
    for (name, s) in r["splits"].as_object().into_iter().flatten() {
        v.push(Bar {
            label: format!("{name} · PII"),
            value: num(&s["pii"]),
            colour: PII,
        });
        v.push(Bar {
            label: format!("{name} · secrets"),
            value: num(&s["secrets"]),
            colour: SECRET,
        });
    }
    v
}

/// Horizontal bars; marks are `rect.mark`.
fn bars(name: &str, bars: &[Bar], empty: &str, fmt: impl Fn(f64) -> String) -> String {
    let label_w = 230.0;
    let width = 900.0;
    let row = 22.0;
    let height = (bars.len().max(1) as f64) * row + 16.0;
    let max = bars.iter().map(|b| b.value).fold(0.0, f64::max);
    let mut s = format!(
        "<svg class=\"chart\" data-chart=\"{name}\" role=\"img\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" xmlns=\"http://www.w3.org/2000/svg\">"
    );
    if bars.is_empty() {
        let _ = writeln!(s, "<text x=\"12\" y=\"22\">{}</text></svg>", esc(empty));
        return s;
    }
    let span = width - label_w - 90.0;
    for (i, b) in bars.iter().enumerate() {
        let y = 8.0 + i as f64 * row;
        let w = if max > 0.0 {
            (b.value / max * span).max(1.0)
        } else {
            1.0
        };
        let _ = write!(
            s,
            "<text x=\"{:.0}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>\
             <rect class=\"mark\" x=\"{label_w}\" y=\"{y:.1}\" width=\"{w:.1}\" height=\"{:.0}\" fill=\"{}\"><title>{}: {}</title></rect>\
             <text x=\"{:.1}\" y=\"{:.1}\">{}</text>",
            label_w - 8.0,
            y + 14.0,
            esc(&clip_left(&b.label, 34)),
            row - 6.0,
            b.colour,
            esc(&b.label),
            esc(&fmt(b.value)),
            label_w + w + 6.0,
            y + 14.0,
            esc(&fmt(b.value)),
        );
    }
    s.push_str("</svg>\n");
    s
}

fn file_density(h: &mut String, r: &Value) {
    let threshold = num(&r["gates"]["config"]["max_pii_density"]);
    let mut files: Vec<(String, f64, f64)> = r["files"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| {
            let tokens = num(&f["token_estimate"]);
            let pii = num(&f["pii"]);
            (tokens > 0.0 || pii > 0.0).then(|| {
                let density = if tokens > 0.0 {
                    pii / tokens * 1000.0
                } else {
                    f64::INFINITY
                };
                (text(&f["path"]).to_string(), density, pii)
            })
        })
        .collect();
    files.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let shown: Vec<Bar> = files
        .iter()
        .take(MAX_FILE_BARS)
        .map(|(p, d, _)| Bar {
            label: p.clone(),
            value: if d.is_finite() { *d } else { 0.0 },
            colour: if *d >= threshold { SECRET } else { PII },
        })
        .collect();
    let _ = writeln!(
        h,
        "<h2>PII density per file (worst first)</h2>\n<p class=\"note\">PII findings per 1,000 estimated tokens of each file's text fields; red bars are at or above the gate's threshold ({threshold}).</p>"
    );
    h.push_str(&bars("file-density", &shown, "no text fields", |v| {
        format!("{:.2}", v)
    }));
    if files.len() > MAX_FILE_BARS {
        let _ = writeln!(
            h,
            "<p class=\"note\">{} more files not drawn.</p>",
            files.len() - MAX_FILE_BARS
        );
    }
}

/// Log-log scatter of `zipf.rank_frequency` with the fitted line; marks are
/// `circle.mark`.
fn zipf_plot(z: &Value, bias: &str) -> String {
    let (w, hgt, left, bottom, top, right) = (900.0, 340.0, 60.0, 40.0, 16.0, 20.0);
    let points: Vec<(f64, f64)> = z["rank_frequency"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| Some((p.get(0)?.as_f64()?, p.get(1)?.as_f64()?)))
        .filter(|&(r, c)| r >= 1.0 && c >= 1.0)
        .collect();
    let mut s = format!(
        "<svg class=\"chart\" data-chart=\"zipf\" role=\"img\" width=\"{w}\" height=\"{hgt}\" viewBox=\"0 0 {w} {hgt}\" xmlns=\"http://www.w3.org/2000/svg\">"
    );
    if points.is_empty() {
        s.push_str("<text x=\"12\" y=\"22\">no tokens in text fields</text></svg>\n");
        return s;
    }
    let max_r = points.iter().map(|p| p.0).fold(1.0, f64::max).max(10.0);
    let max_c = points.iter().map(|p| p.1).fold(1.0, f64::max).max(10.0);
    // Whole decades on both axes.
    let xdec = max_r.log10().ceil();
    let ydec = max_c.log10().ceil();
    let px = |r: f64| left + r.log10() / xdec * (w - left - right);
    let py = |c: f64| hgt - bottom - c.log10() / ydec * (hgt - bottom - top);
    let _ = write!(
        s,
        "<line x1=\"{left}\" y1=\"{0}\" x2=\"{1}\" y2=\"{0}\" stroke=\"#8a93a3\"/>\
         <line x1=\"{left}\" y1=\"{top}\" x2=\"{left}\" y2=\"{0}\" stroke=\"#8a93a3\"/>",
        hgt - bottom,
        w - right
    );
    for d in 0..=xdec as u32 {
        let x = px(10f64.powi(d as i32));
        let _ = write!(
            s,
            "<text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
            hgt - bottom + 16.0,
            fmt_count(10u64.pow(d))
        );
    }
    for d in 0..=ydec as u32 {
        let y = py(10f64.powi(d as i32));
        let _ = write!(
            s,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            left - 6.0,
            y + 4.0,
            fmt_count(10u64.pow(d))
        );
    }
    let _ = write!(
        s,
        "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">rank</text>\
         <text x=\"14\" y=\"{:.1}\" transform=\"rotate(-90 14 {:.1})\" text-anchor=\"middle\">count</text>",
        left + (w - left - right) / 2.0,
        hgt - 6.0,
        top + (hgt - bottom - top) / 2.0,
        top + (hgt - bottom - top) / 2.0
    );
    for &(r, c) in &points {
        let _ = write!(
            s,
            "<circle class=\"mark\" cx=\"{:.1}\" cy=\"{:.1}\" r=\"3\" fill=\"{PII}\"><title>rank {r}: {c}</title></circle>",
            px(r),
            py(c)
        );
    }
    let exponent = num(&z["exponent"]);
    let a = num(&z["log_intercept"]);
    let fitted = num(&z["ranks_fitted"]);
    if fitted >= 2.0 && exponent > 0.0 {
        // ln(count) = a - exponent * ln(rank), clipped to the plot.
        let at = |r: f64| (a - exponent * r.ln()).exp().clamp(1.0, 10f64.powf(ydec));
        let _ = write!(
            s,
            "<path class=\"mark fit\" d=\"M{:.1},{:.1} L{:.1},{:.1}\" stroke=\"{SECRET}\" stroke-width=\"2\" fill=\"none\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">fitted Zipf exponent {} (R² {}, {} ranks)</text>",
            px(1.0),
            py(at(1.0)),
            px(fitted),
            py(at(fitted)),
            w - right - 4.0,
            top + 14.0,
            exponent,
            num(&z["r2"]),
            fitted
        );
    }
    s.push_str("</svg>\n");
    let _ = writeln!(
        s,
        "<p class=\"note\">{} tokens, about {} distinct; the most frequent token is {:.1} % of all; bias signal <b>{}</b>.</p>",
        fmt_count(num(&z["total_tokens"]) as u64),
        fmt_count(num(&z["vocabulary_size"]) as u64),
        num(&z["top_token_ratio"]) * 100.0,
        esc(bias)
    );
    s
}

fn coverage(h: &mut String, r: &Value) {
    let cfg = &r["gates"]["config"];
    let rows = [
        (
            "consent",
            num(&r["consent_coverage_pct"]),
            num(&cfg["min_consent_pct"]),
        ),
        (
            "provenance",
            num(&r["provenance_coverage_pct"]),
            num(&cfg["min_provenance_pct"]),
        ),
    ];
    h.push_str("<h2>Consent and provenance coverage</h2>\n");
    let (w, left) = (900.0, 120.0);
    let span = w - left - 80.0;
    let _ = write!(
        h,
        "<svg class=\"chart\" data-chart=\"coverage\" role=\"img\" width=\"{w}\" height=\"76\" viewBox=\"0 0 {w} 76\" xmlns=\"http://www.w3.org/2000/svg\">"
    );
    for (i, (name, pct, min)) in rows.iter().enumerate() {
        let y = 10.0 + i as f64 * 30.0;
        let colour = if pct >= min { "#2f855a" } else { SECRET };
        let _ = write!(
            h,
            "<text x=\"{:.0}\" y=\"{:.1}\" text-anchor=\"end\">{name}</text>\
             <rect x=\"{left}\" y=\"{y:.1}\" width=\"{span:.1}\" height=\"20\" fill=\"#eceff3\"/>\
             <rect class=\"mark\" x=\"{left}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"20\" fill=\"{colour}\"><title>{name}: {pct} % (threshold {min} %)</title></rect>\
             <line x1=\"{:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"#1d2330\" stroke-dasharray=\"3 2\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\">{pct} %</text>",
            left - 8.0,
            y + 15.0,
            (pct.clamp(0.0, 100.0) / 100.0 * span).max(1.0),
            left + min.clamp(0.0, 100.0) / 100.0 * span,
            y - 3.0,
            left + min.clamp(0.0, 100.0) / 100.0 * span,
            y + 23.0,
            left + span + 8.0,
            y + 15.0,
        );
    }
    h.push_str("</svg>\n<p class=\"note\">Dashed lines mark the gates' thresholds.</p>\n");
}

fn errors(h: &mut String, r: &Value) {
    let count = num(&r["errors"]["count"]) as u64;
    let _ = writeln!(h, "<h2>Input problems ({})</h2>", fmt_count(count));
    let list = r["errors"]["list"].as_array().cloned().unwrap_or_default();
    if list.is_empty() {
        h.push_str("<p class=\"note\">None: every file was read whole.</p>\n");
        return;
    }
    h.push_str("<table><tr><th>file</th><th>line</th><th>row</th><th>problem</th></tr>\n");
    for e in &list {
        let _ = writeln!(
            h,
            "<tr><td><code>{}</code></td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td></tr>",
            esc(text(&e["file"])),
            opt(&e["line"]),
            opt(&e["row"]),
            esc(text(&e["message"]))
        );
    }
    h.push_str("</table>\n");
    if count > list.len() as u64 {
        let _ = writeln!(
            h,
            "<p class=\"note\">{} more in the JSON report's count; the first {} are listed.</p>",
            count - list.len() as u64,
            list.len()
        );
    }
}

fn provenance(h: &mut String, r: &Value) {
    h.push_str("<h2>Files</h2>\n<table><tr><th>file</th><th>split</th><th>format</th><th>rows</th><th>bytes</th><th>PII</th><th>secrets</th><th>sha256</th></tr>\n");
    for f in r["files"].as_array().into_iter().flatten() {
        let format = match text(&f["compression"]) {
            "" => text(&f["format"]).to_string(),
            c => format!("{} ({c})", text(&f["format"])),
        };
        let _ = writeln!(
            h,
            "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td><code>{}</code></td></tr>",
            esc(text(&f["path"])),
            esc(text(&f["split"])),
            esc(&format),
            fmt_count(num(&f["rows"]) as u64),
            fmt_count(num(&f["bytes"]) as u64),
            fmt_count(num(&f["pii"]) as u64),
            fmt_count(num(&f["secrets"]) as u64),
            esc(text(&f["sha256"])),
        );
    }
    h.push_str("</table>\n");
    let skipped: Vec<&str> = r["skipped_files"]
        .as_array()
        .into_iter()
        .flatten()
        .map(text)
        .collect();
    if !skipped.is_empty() {
        let _ = writeln!(
            h,
            "<p class=\"note\">Not scanned (unknown extension): {}</p>",
            esc(&skipped.join(", "))
        );
    }
}

fn text(v: &Value) -> &str {
    v.as_str().unwrap_or("")
}

fn num(v: &Value) -> f64 {
    v.as_f64().unwrap_or(0.0)
}

fn opt(v: &Value) -> String {
    v.as_u64().map_or_else(String::new, |n| n.to_string())
}

/// The last `max` characters of `s`, led by `…` when cut: a path's end
/// (its file name) says more than its start.
fn clip_left(s: &str, max: usize) -> String {
    let n = s.chars().count();
    if n <= max {
        return s.to_string();
    }
    let tail: String = s.chars().skip(n - (max - 1)).collect();
    format!("…{tail}")
}

/// `1234567` → `1,234,567`.
fn fmt_count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Escapes text for HTML element content and double-quoted attributes.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn text_is_escaped_and_counts_grouped() {
        assert_eq!(
            esc("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
        assert_eq!(fmt_count(0), "0");
        assert_eq!(fmt_count(1234567), "1,234,567");
        assert_eq!(fmt_count(100), "100");
        assert_eq!(
            clip_left("data/train-00000-of-00002.parquet", 12),
            "…002.parquet"
        );
        assert_eq!(clip_left("short", 12), "short");
    }

    #[test]
    fn a_hostile_path_cannot_inject_markup() {
        let r = json!({
            "dataset_path": "<script>alert(1)</script>",
            "files": [{"path": "\"><img src=x onerror=alert(1)>", "token_estimate": 10, "pii": 1}],
            "gates": {"config": {"max_pii_density": 1.0}},
        });
        let page = render(&r, &[]);
        assert!(
            !page.contains("<script>") && !page.contains("<img"),
            "{page}"
        );
        assert!(page.contains("&lt;script&gt;"));
    }

    #[test]
    fn empty_report_renders_without_marks() {
        let page = render(&json!({}), &[]);
        assert!(page.starts_with("<!DOCTYPE html>") && page.ends_with("</html>\n"));
        // Only the two coverage bars (0 % is a figure); no invented data.
        assert_eq!(page.matches("class=\"mark").count(), 2);
    }
}
