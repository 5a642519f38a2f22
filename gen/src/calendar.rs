//! Calendar arithmetic for the generator: civil dates from day numbers,
//! Japanese working days, and the JPKI birth-date encoding.
//!
//! Written by hand (Howard Hinnant's `days_from_civil` / `civil_from_days`)
//! rather than with `time`, because the CRL writer formats millions of
//! revocation times and these are a few integer operations each.

/// Seconds per day.
pub(crate) const DAY: i64 = 86_400;
/// JST is UTC+9 all year (no daylight saving).
pub(crate) const JST_OFFSET: i64 = 9 * 3600;

/// Days since 1970-01-01 for a proleptic Gregorian date.
pub(crate) fn days_from_civil(y: i32, m: u32, d: u32) -> i64 {
    let y = i64::from(y) - i64::from(m <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// (year, month, day) for days since 1970-01-01.
pub(crate) fn civil_from_days(z: i64) -> (i32, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    ((y + i64::from(m <= 2)) as i32, m, d)
}

/// (year, month, day, hour, minute, second) in UTC.
pub(crate) fn civil_from_unix(unix: i64) -> (i32, u32, u32, u32, u32, u32) {
    let days = unix.div_euclid(DAY);
    let secs = unix.rem_euclid(DAY);
    let (y, m, d) = civil_from_days(days);
    (
        y,
        m,
        d,
        (secs / 3600) as u32,
        (secs / 60 % 60) as u32,
        (secs % 60) as u32,
    )
}

/// True for a day (days since epoch, read as a JST calendar day) on which a
/// municipal office works: Monday to Friday, outside the year-end closure
/// (29 December to 3 January). National holidays are not modelled.
pub(crate) fn is_working_day(day: i64) -> bool {
    // 1970-01-01 was a Thursday: (day + 3) mod 7 gives 0 = Monday.
    if (day + 3).rem_euclid(7) >= 5 {
        return false;
    }
    let (_, m, d) = civil_from_days(day);
    !((m == 12 && d >= 29) || (m == 1 && d <= 3))
}

/// The same month and day `years` later; 29 February becomes 28 February
/// in a common year.
pub(crate) fn add_years(day: i64, years: i32) -> i64 {
    let (y, m, d) = civil_from_days(day);
    let y2 = y + years;
    let d2 = if m == 2 && d == 29 && !is_leap(y2) {
        28
    } else {
        d
    };
    days_from_civil(y2, m, d2)
}

/// Gregorian leap year.
pub(crate) fn is_leap(y: i32) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

/// The holder's fifth birthday strictly after `issue_day`: where a JPKI
/// certificate's validity ends. Birthdays on 29 February are not generated.
pub(crate) fn fifth_birthday_after(issue_day: i64, birth_month: u32, birth_day: u32) -> i64 {
    let (y, m, d) = civil_from_days(issue_day);
    let first_year = if (birth_month, birth_day) > (m, d) {
        y
    } else {
        y + 1
    };
    days_from_civil(first_year + 4, birth_month, birth_day)
}

/// Japanese era of a date, as the digit that starts the JPKI birth-date
/// field: 1 明治 (Meiji, from 1868-01-25), 2 大正 (Taishō, from 1912-07-30),
/// 3 昭和 (Shōwa, from 1926-12-25), 4 平成 (Heisei, from 1989-01-08),
/// 5 令和 (Reiwa, from 2019-05-01). Dates before Meiji get `None`.
pub(crate) fn era_digit(y: i32, m: u32, d: u32) -> Option<u8> {
    const STARTS: [((i32, u32, u32), u8); 5] = [
        ((2019, 5, 1), 5),
        ((1989, 1, 8), 4),
        ((1926, 12, 25), 3),
        ((1912, 7, 30), 2),
        ((1868, 1, 25), 1),
    ];
    STARTS
        .iter()
        .find(|(start, _)| (y, m, d) >= *start)
        .map(|(_, digit)| *digit)
}

/// The birth date as kakunin's generator puts it in the SAN (OID
/// 1.2.392.200149.8.5.5.4): the era digit followed by the *Gregorian*
/// `YYYYMMDD`, e.g. 1980-01-01 → `"319800101"` (昭和). Nine ASCII digits.
pub(crate) fn jpki_birth_date(y: i32, m: u32, d: u32) -> Option<String> {
    era_digit(y, m, d).map(|e| format!("{e}{y:04}{m:02}{d:02}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_round_trip() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(days_from_civil(2026, 11, 1), 20_758);
        for z in (-40_000..60_000).step_by(97) {
            let (y, m, d) = civil_from_days(z);
            assert_eq!(days_from_civil(y, m, d), z);
        }
        assert_eq!(civil_from_unix(1_795_600_800), (2026, 11, 25, 10, 0, 0));
    }

    #[test]
    fn working_days() {
        assert!(is_working_day(days_from_civil(2026, 11, 2))); // Monday
        assert!(!is_working_day(days_from_civil(2026, 11, 1))); // Sunday
        assert!(!is_working_day(days_from_civil(2026, 10, 31))); // Saturday
        assert!(!is_working_day(days_from_civil(2025, 12, 29))); // Monday, closed
        assert!(!is_working_day(days_from_civil(2026, 1, 2))); // Friday, closed
        assert!(is_working_day(days_from_civil(2026, 1, 5)));
    }

    #[test]
    fn era_boundaries() {
        assert_eq!(era_digit(1868, 1, 24), None);
        assert_eq!(era_digit(1868, 1, 25), Some(1));
        assert_eq!(era_digit(1912, 7, 29), Some(1));
        assert_eq!(era_digit(1912, 7, 30), Some(2));
        assert_eq!(era_digit(1926, 12, 24), Some(2));
        assert_eq!(era_digit(1926, 12, 25), Some(3));
        assert_eq!(era_digit(1989, 1, 7), Some(3));
        assert_eq!(era_digit(1989, 1, 8), Some(4));
        assert_eq!(era_digit(2019, 4, 30), Some(4));
        assert_eq!(era_digit(2019, 5, 1), Some(5));
    }

    #[test]
    fn birth_date_encoding() {
        assert_eq!(jpki_birth_date(1980, 1, 1).as_deref(), Some("319800101"));
        assert_eq!(jpki_birth_date(1990, 12, 31).as_deref(), Some("419901231"));
        assert_eq!(jpki_birth_date(2020, 2, 3).as_deref(), Some("520200203"));
        assert_eq!(jpki_birth_date(1920, 6, 15).as_deref(), Some("219200615"));
        assert_eq!(jpki_birth_date(1900, 6, 15).as_deref(), Some("119000615"));
        assert_eq!(jpki_birth_date(1800, 1, 1), None);
    }

    #[test]
    fn fifth_birthday() {
        let issue = days_from_civil(2022, 3, 10);
        // Birthday later in the year: the first one is the same year.
        assert_eq!(
            fifth_birthday_after(issue, 5, 1),
            days_from_civil(2026, 5, 1)
        );
        // Birthday already passed (or today): the first one is next year.
        assert_eq!(
            fifth_birthday_after(issue, 1, 1),
            days_from_civil(2027, 1, 1)
        );
        assert_eq!(
            fifth_birthday_after(issue, 3, 10),
            days_from_civil(2027, 3, 10)
        );
        assert_eq!(
            add_years(days_from_civil(2024, 2, 29), 1),
            days_from_civil(2025, 2, 28)
        );
    }
}
