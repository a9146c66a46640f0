//! Times as a user reads them: in their own time zone, formatted on the server so that the
//! WASM client carries no calendar code.
use chrono::{DateTime, Utc};
use chrono_tz::Tz;

/// The zone named in a user's settings; UTC for a name that is not (or no longer) known.
pub fn zone(name: &str) -> Tz {
    name.parse().unwrap_or(Tz::UTC)
}

/// A day typed as `YYYY-MM-DD`, between 1970 and 9999 (beyond, date arithmetic and the databases'
/// time types run out).
pub fn parse_day(text: &str) -> Option<chrono::NaiveDate> {
    use chrono::Datelike as _;
    chrono::NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").ok().filter(|day| (1970..=9999).contains(&day.year()))
}

/// When `day` starts in `zone`: its midnight, or where a daylight-saving jump skips midnight, the
/// first quarter hour of the day that exists. A day therefore lasts 23, 24 or 25 hours.
pub fn day_start(zone: Tz, day: chrono::NaiveDate) -> DateTime<Utc> {
    use chrono::TimeZone as _;
    let mut local = day.and_hms_opt(0, 0, 0).unwrap_or_default();
    loop {
        if let Some(at) = zone.from_local_datetime(&local).earliest() {
            return at.with_timezone(&Utc);
        }
        local += chrono::Duration::minutes(15);
    }
}

/// "Tue 24 Nov 2026, 14:03".
pub fn format(at: DateTime<Utc>, zone: Tz) -> String {
    at.with_timezone(&zone).format("%a %-d %b %Y, %H:%M").to_string()
}

/// "24 Nov 2026": the day of `at` in `zone`, for tables.
pub fn format_date(at: DateTime<Utc>, zone: Tz) -> String {
    at.with_timezone(&zone).format("%-d %b %Y").to_string()
}

/// "2026-11-24 14:03": for files that spreadsheets read (they parse this form as a date and time).
pub fn format_for_files(at: DateTime<Utc>, zone: Tz) -> String {
    at.with_timezone(&zone).format("%Y-%m-%d %H:%M").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_in_the_users_zone() {
        let at = DateTime::parse_from_rfc3339("2026-11-24T14:03:00Z").unwrap().with_timezone(&Utc);
        assert_eq!(format(at, zone("Europe/Lisbon")), "Tue 24 Nov 2026, 14:03");
        assert_eq!(format(at, zone("America/New_York")), "Tue 24 Nov 2026, 09:03");
        assert_eq!(format(at, zone("Mars/Olympus")), "Tue 24 Nov 2026, 14:03");
        // Late evening in New York is already the next day in Tokyo.
        let late = DateTime::parse_from_rfc3339("2026-11-25T02:30:00Z").unwrap().with_timezone(&Utc);
        assert_eq!(format_date(late, zone("America/New_York")), "24 Nov 2026");
        assert_eq!(format_date(late, zone("Asia/Tokyo")), "25 Nov 2026");
        assert_eq!(format_for_files(late, zone("Asia/Tokyo")), "2026-11-25 11:30");
    }
}
