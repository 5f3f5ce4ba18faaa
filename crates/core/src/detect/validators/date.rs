//! Calendar arithmetic for ids that embed a birth date and for dates of
//! birth: proleptic Gregorian, leap years honoured, "today" from the clock.

pub fn is_leap(y: i32) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

pub fn days_in_month(y: i32, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(y) => 29,
        2 => 28,
        _ => 0,
    }
}

/// A date that exists on the calendar.
pub fn real(y: i32, m: u32, d: u32) -> bool {
    d >= 1 && d <= days_in_month(y, m)
}

/// Today's date (UTC) as (year, month, day). A clock before 1970 reads as
/// 1970-01-01, which only makes "not in the future" checks stricter.
pub fn today() -> (i32, u32, u32) {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    civil_from_days((secs / 86_400) as i64)
}

/// Howard Hinnant's `civil_from_days`: days since 1970-01-01 → (y, m, d).
fn civil_from_days(z: i64) -> (i32, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = if m <= 2 { y + 1 } else { y };
    (y as i32, m, d)
}

/// A real date from 1900 up to today: what a date of birth can be.
pub fn plausible_birth(y: i32, m: u32, d: u32) -> bool {
    real(y, m, d) && y >= 1900 && (y, m, d) <= today()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calendar() {
        assert!(real(2000, 2, 29));
        assert!(!real(1900, 2, 29));
        assert!(real(2024, 2, 29));
        assert!(!real(2023, 2, 29));
        assert!(!real(2023, 4, 31));
        assert!(!real(2023, 13, 1));
        assert!(!real(2023, 1, 0));
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(19_737), (2024, 1, 15));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        let (y, _, _) = today();
        assert!(y >= 2024);
        assert!(plausible_birth(1985, 3, 12));
        assert!(!plausible_birth(1899, 12, 31));
        assert!(!plausible_birth(y + 1, 1, 1));
    }
}
