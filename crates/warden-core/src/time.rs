//! Times as responders type and read them: RFC 3339 in UTC (`2026-12-04T20:09:23Z`),
//! and spans like `30m`, `2h`, `1d`. Small enough not to need a date library: the
//! civil-calendar arithmetic is the proleptic Gregorian one, days counted from 1970.

/// Why a time or a span could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeError {
    #[error(
        "`{0}` is not a time: give RFC 3339, e.g. 2026-12-04T20:09:23Z or 2026-12-04T21:09:23+01:00, or a date 2026-12-04 (midnight UTC)"
    )]
    Time(String),
    #[error("`{0}` is not a span: give a number and a unit, e.g. 90s, 30m, 2h, 1d")]
    Span(String),
}

const NANOS: u64 = 1_000_000_000;

/// Days since 1970-01-01 of a civil date.
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date `(year, month, day)` of a day count since 1970-01-01.
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// `2026-12-04T20:09:23Z` for a Unix time in nanoseconds (whole seconds).
pub fn format_utc(unix_nano: u64) -> String {
    let secs = (unix_nano / NANOS) as i64;
    let (y, mo, d) = civil_from_days(secs.div_euclid(86_400));
    let rem = secs.rem_euclid(86_400);
    format!(
        "{y:04}-{mo:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// `2026-12-04` (UTC) for a Unix time in nanoseconds.
pub fn format_date(unix_nano: u64) -> String {
    let (y, mo, d) = civil_from_days((unix_nano / NANOS / 86_400) as i64);
    format!("{y:04}-{mo:02}-{d:02}")
}

/// `2026-12-04 20:09:23`: [`format_utc`] for tables and pages (a space, no zone
/// letter; callers add "UTC" where the reader needs it).
pub fn format_datetime(unix_nano: u64) -> String {
    format_utc(unix_nano).replace('T', " ").replace('Z', "")
}

/// `20261204T200923Z`: [`format_utc`] without separators, for file names.
pub fn format_stamp(unix_nano: u64) -> String {
    format_utc(unix_nano).replace(['-', ':'], "")
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Reads an RFC 3339 time (`Z` or a `±HH:MM` offset, optional fraction) or a bare
/// date, as Unix nanoseconds.
pub fn parse_time(text: &str) -> Result<u64, TimeError> {
    let bad = || TimeError::Time(text.to_string());
    let t = text.trim();
    let num = |s: &str| -> Result<u32, TimeError> {
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        s.parse().map_err(|_| bad())
    };
    let (date, rest) = match t.find(['T', 't', ' ']) {
        Some(i) => (&t[..i], Some(&t[i + 1..])),
        None => (t, None),
    };
    let parts: Vec<&str> = date.split('-').collect();
    let [y, mo, d] = parts.as_slice() else {
        return Err(bad());
    };
    if y.len() != 4 || mo.len() != 2 || d.len() != 2 {
        return Err(bad());
    }
    let (year, month, day) = (i64::from(num(y)?), num(mo)?, num(d)?);
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) || year < 1970 {
        return Err(bad());
    }
    let mut secs = days_from_civil(year, month, day) * 86_400;
    let mut nanos = 0u64;
    if let Some(rest) = rest {
        let (clock, offset) = if let Some(c) = rest.strip_suffix(['Z', 'z']) {
            (c, 0i64)
        } else {
            let i = rest.rfind(['+', '-']).ok_or_else(bad)?;
            let (c, off) = rest.split_at(i);
            let sign = if off.starts_with('-') { -1 } else { 1 };
            let (oh, om) = off[1..].split_once(':').ok_or_else(bad)?;
            if oh.len() != 2 || om.len() != 2 {
                return Err(bad());
            }
            let (oh, om) = (num(oh)?, num(om)?);
            if oh > 23 || om > 59 {
                return Err(bad());
            }
            (c, sign * i64::from(oh * 3600 + om * 60))
        };
        let (hms, frac) = match clock.split_once('.') {
            Some((h, f)) => (h, Some(f)),
            None => (clock, None),
        };
        let hms: Vec<&str> = hms.split(':').collect();
        let [h, mi, s] = hms.as_slice() else {
            return Err(bad());
        };
        if h.len() != 2 || mi.len() != 2 || s.len() != 2 {
            return Err(bad());
        }
        let (h, mi, s) = (num(h)?, num(mi)?, num(s)?);
        if h > 23 || mi > 59 || s > 60 {
            return Err(bad());
        }
        if let Some(f) = frac {
            num(f)?;
            let digits: String = f.chars().chain(std::iter::repeat('0')).take(9).collect();
            nanos = digits.parse().map_err(|_| bad())?;
        }
        secs += i64::from(h * 3600 + mi * 60 + s) - offset;
    }
    u64::try_from(secs)
        .ok()
        .and_then(|s| s.checked_mul(NANOS))
        .and_then(|n| n.checked_add(nanos))
        .ok_or_else(bad)
}

/// Reads a span (`90s`, `30m`, `2h`, `1d`, `1w`) as nanoseconds.
pub fn parse_span(text: &str) -> Result<u64, TimeError> {
    let bad = || TimeError::Span(text.to_string());
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
    let (n, unit) = t.split_at(split);
    let n: u64 = n.parse().map_err(|_| bad())?;
    let unit_secs = match unit {
        "s" => 1,
        "m" | "min" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 7 * 86_400,
        _ => return Err(bad()),
    };
    n.checked_mul(unit_secs)
        .and_then(|s| s.checked_mul(NANOS))
        .ok_or_else(bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_answers() {
        assert_eq!(format_utc(0), "1970-01-01T00:00:00Z");
        // 2026-12-04T20:09:23Z, as `date -u -d 2026-12-04T20:09:23Z +%s` says.
        assert_eq!(format_utc(1_796_414_963 * NANOS), "2026-12-04T20:09:23Z");
        assert_eq!(format_utc(951_782_400 * NANOS), "2000-02-29T00:00:00Z");
        assert_eq!(format_date(951_782_400 * NANOS + 5), "2000-02-29");
        assert_eq!(format_datetime(951_782_400 * NANOS), "2000-02-29 00:00:00");
        assert_eq!(format_stamp(1_796_414_963 * NANOS), "20261204T200923Z");
        assert_eq!(
            parse_time("2026-12-04T20:09:23Z"),
            Ok(1_796_414_963 * NANOS)
        );
        assert_eq!(
            parse_time("2026-12-04T21:09:23+01:00"),
            Ok(1_796_414_963 * NANOS)
        );
        assert_eq!(
            parse_time("2026-12-04T20:09:23.5Z"),
            Ok(1_796_414_963 * NANOS + 500_000_000)
        );
        assert_eq!(parse_time("2000-02-29"), Ok(951_782_400 * NANOS));
        for t in [0, 951_782_400, 1_796_414_963, 4_102_444_800] {
            assert_eq!(parse_time(&format_utc(t * NANOS)), Ok(t * NANOS));
        }
    }

    #[test]
    fn bad_times_are_refused() {
        for t in [
            "",
            "yesterday",
            "2026-13-01",
            "2026-02-30",
            "2026-12-04T25:00:00Z",
            "2026-12-04T20:09Z",
            "2026-12-04T20:09:23",
            "1969-12-31",
            "2026-12-04T20:09:23+1:00",
            "2026-12-04T20:09:23.x",
            "9999-01-01",
        ] {
            assert!(parse_time(t).is_err(), "{t}");
        }
    }

    #[test]
    fn spans() {
        assert_eq!(parse_span("90s"), Ok(90 * NANOS));
        assert_eq!(parse_span("30m"), Ok(1800 * NANOS));
        assert_eq!(parse_span("2h"), Ok(7200 * NANOS));
        assert_eq!(parse_span("1d"), Ok(86_400 * NANOS));
        for s in ["", "m", "10", "5y", "-1h", "99999999999999999999d"] {
            assert!(parse_span(s).is_err(), "{s}");
        }
    }
}
