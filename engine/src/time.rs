//! Points in time as CRLs and certificates carry them.

use std::fmt;

use crate::der::tag;

/// Seconds since the Unix epoch, UTC. X.509 times have one-second
/// resolution, so nothing is lost, and an `i64` compares and stores cheaply
/// in the index side tables.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct Timestamp(i64);

/// A time that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bad time {text:?}: {why}")]
pub struct TimeError {
    text: String,
    why: String,
}

impl Timestamp {
    /// From seconds since the Unix epoch.
    pub const fn from_unix(secs: i64) -> Timestamp {
        Timestamp(secs)
    }

    /// Seconds since the Unix epoch.
    pub const fn unix(self) -> i64 {
        self.0
    }

    /// The current time of the system clock.
    pub fn now() -> Timestamp {
        Timestamp(time::OffsetDateTime::now_utc().unix_timestamp())
    }

    /// Parses RFC 3339 (`2026-11-25T10:00:00Z`, offsets allowed).
    pub fn parse_rfc3339(text: &str) -> Result<Timestamp, TimeError> {
        time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
            .map(|t| Timestamp(t.unix_timestamp()))
            .map_err(|e| TimeError {
                text: text.to_string(),
                why: format!("{e} (expected RFC 3339, e.g. 2026-11-25T10:00:00Z)"),
            })
    }

    /// Builds a time from calendar fields (UTC), as DER times carry them.
    /// Returns `None` for an impossible date or time.
    pub fn from_utc_fields(
        year: i32,
        month: u8,
        day: u8,
        hour: u8,
        minute: u8,
        second: u8,
    ) -> Option<Timestamp> {
        let month = time::Month::try_from(month).ok()?;
        let date = time::Date::from_calendar_date(year, month, day).ok()?;
        let t = time::Time::from_hms(hour, minute, second).ok()?;
        Some(Timestamp(
            time::PrimitiveDateTime::new(date, t)
                .assume_utc()
                .unix_timestamp(),
        ))
    }

    /// Calendar fields to a timestamp without going through the `time`
    /// crate: the CRL walker converts one date per entry, so this must be a
    /// handful of integer operations (Howard Hinnant's `days_from_civil`).
    /// Validates the fields exactly like [`Timestamp::from_utc_fields`]
    /// (no leap second, real calendar days), for years 0..=9999.
    #[inline]
    pub fn from_utc_fields_fast(
        year: i32,
        month: u8,
        day: u8,
        hour: u8,
        minute: u8,
        second: u8,
    ) -> Option<Timestamp> {
        if !(0..=9999).contains(&year)
            || !(1..=12).contains(&month)
            || day == 0
            || hour > 23
            || minute > 59
            || second > 59
        {
            return None;
        }
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
        let dim = match month {
            2 if leap => 29,
            2 => 28,
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        };
        if day > dim {
            return None;
        }
        let y = i64::from(year) - i64::from(month <= 2);
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let m = i64::from(month);
        let mp = if m > 2 { m - 3 } else { m + 9 };
        let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        let days = era * 146_097 + doe - 719_468;
        Some(Timestamp(
            days * 86_400 + i64::from(hour) * 3600 + i64::from(minute) * 60 + i64::from(second),
        ))
    }

    /// RFC 3339 in UTC with a `Z`, e.g. `2026-11-25T10:00:00Z`.
    pub fn to_rfc3339(self) -> String {
        match time::OffsetDateTime::from_unix_timestamp(self.0) {
            Ok(t) => {
                let (y, m, d) = (t.year(), t.month() as u8, t.day());
                let (hh, mm, ss) = (t.hour(), t.minute(), t.second());
                format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}Z")
            }
            Err(_) => format!("@{}", self.0),
        }
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

#[inline(always)]
fn d2(b: &[u8], i: usize) -> Option<u32> {
    let hi = (*b.get(i)? as u32).wrapping_sub(b'0' as u32);
    let lo = (*b.get(i + 1)? as u32).wrapping_sub(b'0' as u32);
    if hi < 10 && lo < 10 {
        Some(hi * 10 + lo)
    } else {
        None
    }
}

/// RFC 5280 §4.1.2.5.1/§4.1.2.5.2 time: UTCTime `YYMMDDHHMMSSZ` (YY ≥ 50
/// is 19YY) or GeneralizedTime `YYYYMMDDHHMMSSZ`, no fractions, seconds
/// required, Zulu only, real calendar date. Hand-parsed: this runs once
/// per CRL entry.
#[inline]
pub(crate) fn parse_time(tag_byte: u8, v: &[u8]) -> Result<Timestamp, &'static str> {
    let (year, rest) = match tag_byte {
        tag::UTC_TIME => {
            if v.len() != 13 {
                return Err("UTCTime must be exactly YYMMDDHHMMSSZ");
            }
            let yy = d2(v, 0).ok_or("non-digit in UTCTime")?;
            (if yy >= 50 { 1900 + yy } else { 2000 + yy }, &v[2..])
        }
        tag::GENERALIZED_TIME => {
            if v.len() != 15 {
                return Err("GeneralizedTime must be exactly YYYYMMDDHHMMSSZ (no fraction)");
            }
            let hi = d2(v, 0).ok_or("non-digit in GeneralizedTime")?;
            let lo = d2(v, 2).ok_or("non-digit in GeneralizedTime")?;
            (hi * 100 + lo, &v[4..])
        }
        _ => return Err("expected UTCTime or GeneralizedTime"),
    };
    if rest.get(10) != Some(&b'Z') {
        return Err("time must end in Z (UTC)");
    }
    let (Some(mo), Some(d), Some(h), Some(mi), Some(s)) = (
        d2(rest, 0),
        d2(rest, 2),
        d2(rest, 4),
        d2(rest, 6),
        d2(rest, 8),
    ) else {
        return Err("non-digit in time");
    };
    Timestamp::from_utc_fields_fast(year as i32, mo as u8, d as u8, h as u8, mi as u8, s as u8)
        .ok_or("not a valid calendar date and time")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_round_trip() {
        let t = Timestamp::parse_rfc3339("2026-11-25T10:00:00Z").unwrap();
        assert_eq!(t.unix(), 1_795_600_800);
        assert_eq!(t.to_rfc3339(), "2026-11-25T10:00:00Z");
        let o = Timestamp::parse_rfc3339("2026-11-25T19:00:00+09:00").unwrap();
        assert_eq!(o, t);
        assert!(Timestamp::parse_rfc3339("yesterday").is_err());
        assert_eq!(Timestamp::from_utc_fields(2026, 11, 25, 10, 0, 0), Some(t));
        assert_eq!(Timestamp::from_utc_fields(2026, 2, 30, 0, 0, 0), None);
    }

    proptest::proptest! {
        #[test]
        fn fast_fields_agree_with_time_crate(
            y in 0i32..=9999, mo in 0u8..=13, d in 0u8..=32,
            h in 0u8..=24, mi in 0u8..=60, s in 0u8..=60,
        ) {
            proptest::prop_assert_eq!(
                Timestamp::from_utc_fields_fast(y, mo, d, h, mi, s),
                Timestamp::from_utc_fields(y, mo, d, h, mi, s)
            );
        }
    }
}
