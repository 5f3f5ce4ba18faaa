//! RFC 3339 UTC timestamps without a date-time dependency.
//!
//! Dates use Howard Hinnant's `civil_from_days` (proleptic Gregorian
//! calendar); times before 1970 are supported. Years outside `0000..=9999`
//! are printed but are not valid RFC 3339.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Seconds since the Unix epoch (floored, negative before 1970) and the
/// non-negative nanoseconds within that second.
pub fn unix_parts(t: SystemTime) -> (i64, u32) {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => (d.as_secs() as i64, d.subsec_nanos()),
        Err(e) => {
            let d: Duration = e.duration();
            let secs = -(d.as_secs() as i64);
            match d.subsec_nanos() {
                0 => (secs, 0),
                n => (secs - 1, 1_000_000_000 - n),
            }
        }
    }
}

/// Milliseconds since the Unix epoch (floored).
pub fn unix_millis(t: SystemTime) -> i64 {
    let (secs, nanos) = unix_parts(t);
    secs * 1000 + i64::from(nanos / 1_000_000)
}

/// `(year, month 1..=12, day 1..=31)` of the day `days` after 1970-01-01.
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097); // [0, 146096]
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // [0, 365]
    let mp = (5 * doy + 2) / 153; // [0, 11], March-based
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

fn write_date_time(secs: i64, out: &mut String) {
    use std::fmt::Write as _;
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let _ = write!(
        out,
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
        sod / 3600,
        sod / 60 % 60,
        sod % 60
    );
}

/// `2026-11-23T08:15:02Z` (whole seconds, truncated).
pub fn rfc3339_utc(t: SystemTime) -> String {
    let mut out = String::with_capacity(20);
    write_date_time(unix_parts(t).0, &mut out);
    out.push('Z');
    out
}

/// `2026-11-23T08:15:02.123Z` (milliseconds, truncated).
pub fn rfc3339_utc_millis(t: SystemTime) -> String {
    let (secs, nanos) = unix_parts(t);
    let mut out = String::with_capacity(24);
    write_date_time(secs, &mut out);
    out.push_str(&format!(".{:03}Z", nanos / 1_000_000));
    out
}

/// [`rfc3339_utc`] of the current time.
pub fn now_rfc3339_utc() -> String {
    rfc3339_utc(SystemTime::now())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64) -> SystemTime {
        if secs >= 0 {
            UNIX_EPOCH + Duration::from_secs(secs as u64)
        } else {
            UNIX_EPOCH - Duration::from_secs(secs.unsigned_abs())
        }
    }

    #[test]
    fn known_epochs() {
        // Expected values from Python's datetime.fromtimestamp(s, timezone.utc).
        let cases = [
            (0, "1970-01-01T00:00:00Z"),
            (946_684_800, "2000-01-01T00:00:00Z"),
            (951_782_400, "2000-02-29T00:00:00Z"),
            (951_868_799, "2000-02-29T23:59:59Z"),
            (951_868_800, "2000-03-01T00:00:00Z"),
            (1_234_567_890, "2009-02-13T23:31:30Z"),
            (1_582_934_400, "2020-02-29T00:00:00Z"),
            (1_709_164_800, "2024-02-29T00:00:00Z"),
            (1_709_251_199, "2024-02-29T23:59:59Z"),
            (1_795_421_702, "2026-11-23T08:15:02Z"),
            (4_102_444_799, "2099-12-31T23:59:59Z"),
            (4_102_444_800, "2100-01-01T00:00:00Z"),
            (4_107_456_000, "2100-02-28T00:00:00Z"),
            (4_107_542_400, "2100-03-01T00:00:00Z"), // 2100 is not a leap year
            (253_402_300_799, "9999-12-31T23:59:59Z"),
            (-1, "1969-12-31T23:59:59Z"),
            (-86_400, "1969-12-31T00:00:00Z"),
            (-2_203_891_200, "1900-03-01T00:00:00Z"), // 1900 is not a leap year
            (-11_670_998_400, "1600-02-29T00:00:00Z"),
        ];
        for (secs, expected) in cases {
            assert_eq!(rfc3339_utc(at(secs)), expected, "secs {secs}");
        }
    }

    #[test]
    fn milliseconds_and_truncation() {
        let t = at(1_795_421_702) + Duration::from_nanos(123_999_999);
        assert_eq!(rfc3339_utc(t), "2026-11-23T08:15:02Z");
        assert_eq!(rfc3339_utc_millis(t), "2026-11-23T08:15:02.123Z");
        assert_eq!(rfc3339_utc_millis(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
        assert_eq!(unix_millis(t), 1_795_421_702_123);
        // Half a second before the epoch floors into the previous second.
        let before = UNIX_EPOCH - Duration::from_millis(500);
        assert_eq!(unix_parts(before), (-1, 500_000_000));
        assert_eq!(unix_millis(before), -500);
        assert_eq!(rfc3339_utc_millis(before), "1969-12-31T23:59:59.500Z");
    }

    #[test]
    fn civil_days_are_contiguous() {
        // Walk 1600-03-01 .. 2400-03-01 day by day: every step advances the
        // date by exactly one calendar day.
        fn leap(y: i64) -> bool {
            (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
        }
        fn month_len(y: i64, m: u32) -> u32 {
            match m {
                2 if leap(y) => 29,
                2 => 28,
                4 | 6 | 9 | 11 => 30,
                _ => 31,
            }
        }
        let start = -11_670_998_400 / 86_400 + 1; // 1600-03-01
        let mut prev = civil_from_days(start);
        assert_eq!(prev, (1600, 3, 1));
        for days in start + 1..start + 146_097 * 2 {
            let (y, m, d) = civil_from_days(days);
            let (py, pm, pd) = prev;
            if pd < month_len(py, pm) {
                assert_eq!((y, m, d), (py, pm, pd + 1));
            } else if pm < 12 {
                assert_eq!((y, m, d), (py, pm + 1, 1));
            } else {
                assert_eq!((y, m, d), (py + 1, 1, 1));
            }
            prev = (y, m, d);
        }
        assert_eq!(prev, (2400, 2, 29));
    }

    #[test]
    fn now_is_plausible() {
        let s = now_rfc3339_utc();
        assert_eq!(s.len(), 20);
        assert!(s.as_str() > "2024-01-01T00:00:00Z", "{s}");
    }
}
