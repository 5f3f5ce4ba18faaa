//! The Zipf fit and the vocabulary-skew ("bias") signal.

use serde::Serialize;

use super::ZipfReport;

/// Ranks used by the Zipf fit: the 1,000 most frequent tokens.
pub const ZIPF_MAX_RANKS: usize = 1_000;

/// Result of a least-squares fit of `ln(frequency)` on `ln(rank)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ZipfFit {
    /// `-slope`; 0 when fewer than 2 ranks were fitted.
    pub exponent: f64,
    /// Coefficient of determination; 0 when fewer than 2 ranks were fitted or
    /// when every count is equal (the total sum of squares is 0, so R² is
    /// undefined; a flat distribution also gets `exponent == 0`).
    pub r2: f64,
    /// Number of ranks fitted: `min(counts.len(), 1000)` (counts of 0 are
    /// never passed).
    pub ranks_fitted: usize,
    /// `a` of the fitted line `ln(count) = a - exponent * ln(rank)` (0 when
    /// fewer than 2 ranks were fitted), so the line can be drawn.
    pub log_intercept: f64,
}

/// Fits `ln(counts[r-1]) = a + slope * ln(r)` for ranks `r = 1..=n`,
/// `n = min(counts.len(), ZIPF_MAX_RANKS)`. `counts` must be sorted in
/// descending order and positive. Sums run in rank order, so the result is
/// a deterministic function of the counts.
pub fn fit(counts: &[u64]) -> ZipfFit {
    let n = counts.len().min(ZIPF_MAX_RANKS);
    let counts = &counts[..n];
    debug_assert!(counts.windows(2).all(|w| w[0] >= w[1]));
    debug_assert!(counts.iter().all(|&c| c > 0));
    if n < 2 {
        return ZipfFit {
            exponent: 0.0,
            r2: 0.0,
            ranks_fitted: n,
            log_intercept: 0.0,
        };
    }
    let nf = n as f64;
    let xs = (1..=n).map(|r| (r as f64).ln());
    let ys = counts.iter().map(|&c| (c as f64).ln());
    let mx = xs.clone().sum::<f64>() / nf;
    let my = ys.clone().sum::<f64>() / nf;
    let (mut sxx, mut sxy, mut syy) = (0.0, 0.0, 0.0);
    for (x, y) in xs.zip(ys) {
        let (dx, dy) = (x - mx, y - my);
        sxx += dx * dx;
        sxy += dx * dy;
        syy += dy * dy;
    }
    let slope = sxy / sxx;
    let r2 = if syy > 0.0 {
        // 1 - SS_res / SS_tot with SS_res = syy - slope * sxy.
        ((sxy * sxy) / (sxx * syy)).clamp(0.0, 1.0)
    } else {
        0.0
    };
    ZipfFit {
        exponent: if slope == 0.0 { 0.0 } else { -slope },
        r2,
        ranks_fitted: n,
        log_intercept: my - slope * mx,
    }
}

/// How skewed the vocabulary is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BiasSignal {
    Low,
    Medium,
    High,
}

/// Share of all tokens above which the top token makes the signal `high`.
pub const HIGH_TOP_SHARE: f64 = 0.40;
/// Share of all tokens above which the top token makes the signal `medium`.
pub const MEDIUM_TOP_SHARE: f64 = 0.20;
/// Zipf exponents inside this closed range are ordinary for natural language.
pub const ZIPF_EXPONENT_RANGE: (f64, f64) = (0.6, 1.6);
/// The exponent rule applies from this many tokens on.
pub const MIN_TOKENS_FOR_EXPONENT: u64 = 1_000;
/// Below this many tokens the signal is always `low`.
pub const MIN_TOKENS: u64 = 30;

/// The bias signal of a report:
///
/// * fewer than 30 tokens in total: `low`;
/// * top token's share of all tokens (`top_token_ratio`) > 0.40: `high`;
/// * share > 0.20: `medium`;
/// * at least 1,000 tokens, at least 2 ranks fitted, and the Zipf exponent
///   outside `[0.6, 1.6]`: `medium`;
/// * otherwise `low`.
///
/// With fewer than 2 ranks fitted the exponent is not meaningful and is
/// ignored; that case with ≥ 30 tokens has a single distinct token, whose
/// share is 1 (`high`) unless the summary dropped it.
pub fn bias_signal(z: &ZipfReport) -> BiasSignal {
    if z.total_tokens < MIN_TOKENS {
        return BiasSignal::Low;
    }
    if z.top_token_ratio > HIGH_TOP_SHARE {
        return BiasSignal::High;
    }
    if z.top_token_ratio > MEDIUM_TOP_SHARE {
        return BiasSignal::Medium;
    }
    let (lo, hi) = ZIPF_EXPONENT_RANGE;
    if z.total_tokens >= MIN_TOKENS_FOR_EXPONENT
        && z.ranks_fitted >= 2
        && !(lo..=hi).contains(&z.exponent)
    {
        return BiasSignal::Medium;
    }
    BiasSignal::Low
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::CounterBounds;

    fn zipf_counts(n: usize, s: f64, c: f64) -> Vec<u64> {
        (1..=n)
            .map(|r| (c / (r as f64).powf(s)).round().max(1.0) as u64)
            .collect()
    }

    #[test]
    fn fits_exponent_one_and_two() {
        let f = fit(&zipf_counts(5_000, 1.0, 1e9));
        assert_eq!(f.ranks_fitted, 1_000);
        assert!((f.exponent - 1.0).abs() < 1e-3, "{f:?}");
        assert!(f.r2 > 0.9999, "{f:?}");
        let f = fit(&zipf_counts(1_000, 2.0, 1e12));
        assert!((f.exponent - 2.0).abs() < 1e-3, "{f:?}");
        assert!(f.r2 > 0.9999, "{f:?}");
        let f = fit(&zipf_counts(300, 0.5, 1e6));
        assert_eq!(f.ranks_fitted, 300);
        assert!((f.exponent - 0.5).abs() < 1e-3, "{f:?}");
    }

    #[test]
    fn degenerate_fits() {
        assert_eq!(fit(&[]).ranks_fitted, 0);
        let one = fit(&[42]);
        assert_eq!((one.exponent, one.r2, one.ranks_fitted), (0.0, 0.0, 1));
        let flat = fit(&[7, 7, 7, 7]);
        assert_eq!((flat.exponent, flat.r2, flat.ranks_fitted), (0.0, 0.0, 4));
        let two = fit(&[100, 10]);
        assert!((two.exponent - 10f64.ln() / 2f64.ln()).abs() < 1e-12);
        assert!((two.r2 - 1.0).abs() < 1e-12);
    }

    fn report(total: u64, top: f64, exponent: f64, ranks: usize) -> ZipfReport {
        ZipfReport {
            exponent,
            log_intercept: 0.0,
            rank_frequency: Vec::new(),
            r2: 1.0,
            ranks_fitted: ranks,
            vocabulary_size: ranks as u64,
            total_tokens: total,
            top_token_ratio: top,
            top_tokens: Vec::new(),
            counter: CounterBounds {
                method: "test",
                capacity: 0,
                max_count_error: 0,
                vocabulary_size_relative_std_error: 0.0,
            },
        }
    }

    #[test]
    fn bias_thresholds() {
        use BiasSignal::*;
        assert_eq!(bias_signal(&report(10_000, 0.5, 1.0, 1000)), High);
        assert_eq!(bias_signal(&report(10_000, 0.41, 1.0, 1000)), High);
        assert_eq!(bias_signal(&report(10_000, 0.40, 1.0, 1000)), Medium);
        assert_eq!(bias_signal(&report(10_000, 0.3, 1.0, 1000)), Medium);
        assert_eq!(bias_signal(&report(10_000, 0.20, 1.0, 1000)), Low);
        assert_eq!(bias_signal(&report(10_000, 0.1, 2.5, 1000)), Medium);
        assert_eq!(bias_signal(&report(1_000, 0.1, 2.5, 500)), Medium);
        assert_eq!(bias_signal(&report(1_000, 0.1, 0.5, 500)), Medium);
        assert_eq!(bias_signal(&report(1_000, 0.1, 1.6, 500)), Low);
        assert_eq!(bias_signal(&report(1_000, 0.1, 0.6, 500)), Low);
        assert_eq!(bias_signal(&report(999, 0.1, 2.5, 500)), Low);
        assert_eq!(bias_signal(&report(20, 0.9, 2.5, 2)), Low);
        assert_eq!(bias_signal(&report(29, 0.5, 1.0, 5)), Low);
        assert_eq!(bias_signal(&report(30, 0.5, 1.0, 5)), High);
        assert_eq!(bias_signal(&report(5_000, 0.0, 0.0, 0)), Low);
    }

    #[test]
    fn serializes_lowercase() {
        let s = serde_json_like(BiasSignal::Medium);
        assert_eq!(s, "medium");
    }

    // serde_json is a dependency of the crate; use it only in tests.
    fn serde_json_like(b: BiasSignal) -> String {
        serde_json::to_value(b)
            .unwrap()
            .as_str()
            .unwrap()
            .to_string()
    }
}
