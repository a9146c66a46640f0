//! The range a dashboard covers, from days in the viewer's time zone to instants: each local day
//! starts at its own midnight, so a daylight-saving day lasts 23 or 25 hours. Computed here with
//! chrono-tz, never in SQL, so both databases count the same rows.
//!
//! Figures are grouped by the databases in quarter-hour buckets (seconds since 1970 / 900) moved
//! by the viewer's offset from UTC ([`offsets`], computed here): every time zone's offset is a
//! whole number of quarter hours, so a bucket lies in one local day and one local hour, and the
//! grouping is exact.
use chrono::{DateTime, Datelike, Duration, NaiveDate, Offset, TimeZone, Utc};
use chrono_tz::Tz;

use super::model::{DashboardQuery, MAX_RANGE_DAYS, PRESETS, Range};
pub use crate::server::local_time::day_start;
use crate::shared::AppError;

pub const BUCKET_SECS: i64 = 900;

/// From `start` (included) to `end` (excluded).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

/// A resolved range: its days and the instants they span, and the period just before it.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub range: Range,
    pub zone: Tz,
    pub first_day: NaiveDate,
    pub last_day: NaiveDate,
    pub current: Window,
    pub previous: Window,
}

fn parse_day(field: &str, value: &str) -> Result<NaiveDate, AppError> {
    crate::server::local_time::parse_day(value)
        .ok_or_else(|| AppError::field(field, "Give a date as YYYY-MM-DD, between 1970 and 9999."))
}

fn day_label(day: NaiveDate) -> String {
    day.format("%-d %b %Y").to_string()
}

fn span_label(first: NaiveDate, last: NaiveDate) -> String {
    if first == last {
        return day_label(first);
    }
    let first_text = if first.year() == last.year() { first.format("%-d %b").to_string() } else { day_label(first) };
    format!("{first_text} – {}", day_label(last))
}

/// Resolves `query` for a viewer in `zone` on the instant `now`.
pub fn resolve(query: &DashboardQuery, zone: Tz, now: DateTime<Utc>) -> Result<Resolved, AppError> {
    let today = now.with_timezone(&zone).date_naive();
    let (preset, first_day, last_day) = match query.preset_days() {
        Some(days) => {
            let preset = PRESETS.iter().find(|(_, _, d)| *d == days).map(|(value, _, _)| *value).unwrap_or("30d");
            (preset.to_owned(), today - Duration::days(days - 1), today)
        }
        None if !query.is_custom() => {
            return Err(AppError::field("range", "Choose one of the ranges offered, or custom dates."));
        }
        None => {
            let first = parse_day("from", &query.from)?;
            let last = parse_day("to", &query.to)?;
            if last < first {
                return Err(AppError::field("to", "The range ends before it starts."));
            }
            if (last - first).num_days() + 1 > MAX_RANGE_DAYS {
                return Err(AppError::field("to", format!("Choose at most {MAX_RANGE_DAYS} days.")));
            }
            if first > today {
                return Err(AppError::field("from", "The range starts in the future."));
            }
            ("custom".to_owned(), first, last)
        }
    };
    let days = (last_day - first_day).num_days() + 1;
    let previous_first = first_day - Duration::days(days);
    let previous_last = first_day - Duration::days(1);
    let current = Window { start: day_start(zone, first_day), end: day_start(zone, last_day + Duration::days(1)) };
    let previous = Window { start: day_start(zone, previous_first), end: current.start };
    Ok(Resolved {
        range: Range {
            preset,
            from: first_day.to_string(),
            to: last_day.to_string(),
            days,
            label: span_label(first_day, last_day),
            previous_label: span_label(previous_first, previous_last),
            timezone: zone.name().to_owned(),
        },
        zone,
        first_day,
        last_day,
        current,
        previous,
    })
}

/// The quarter-hour bucket an instant lies in.
pub fn bucket_of(at: DateTime<Utc>) -> i64 {
    at.timestamp().div_euclid(BUCKET_SECS)
}

/// The viewer's offset from UTC over `window`, in quarter hours, as (first bucket, offset) pieces
/// in order: one, and one more for each daylight-saving change inside the window. The databases
/// add it to a bucket to group by local day and hour ([`day_of_local`]).
pub fn offsets(zone: Tz, window: Window) -> Vec<(i64, i64)> {
    let offset_at = |bucket: i64| {
        let at = Utc.timestamp_opt(bucket * BUCKET_SECS, 0).single().unwrap_or_default();
        i64::from(zone.offset_from_utc_datetime(&at.naive_utc()).fix().local_minus_utc()).div_euclid(BUCKET_SECS)
    };
    let (first, end) = (bucket_of(window.start), bucket_of(window.end));
    let mut pieces = vec![(first, offset_at(first))];
    let mut from = first;
    // A day at a time (changes are months apart), finding a change's bucket by bisection.
    while from < end {
        let last = (from + 96).min(end) - 1;
        let current = pieces.last().map_or(0, |(_, offset)| *offset);
        if offset_at(last) != current {
            let (mut same, mut changed) = (from, last);
            while changed - same > 1 {
                let middle = same + (changed - same) / 2;
                if offset_at(middle) == current {
                    same = middle;
                } else {
                    changed = middle;
                }
            }
            pieces.push((changed, offset_at(changed)));
        }
        from = last + 1;
    }
    pieces
}

/// A local day counted from 1 January 1970 (a local quarter hour, bucket plus offset, over 96).
pub fn day_of_local(days: i64) -> NaiveDate {
    NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default() + Duration::days(days)
}

impl Resolved {
    /// Every day of the range, in order.
    pub fn days(&self) -> impl Iterator<Item = NaiveDate> + '_ {
        self.first_day.iter_days().take_while(|day| *day <= self.last_day)
    }

    /// The index of `day` in [`Self::days`].
    pub fn day_index(&self, day: NaiveDate) -> Option<usize> {
        (day >= self.first_day && day <= self.last_day).then(|| (day - self.first_day).num_days() as usize)
    }

    /// The Monday of each week the range touches.
    pub fn weeks(&self) -> Vec<NaiveDate> {
        let monday = |day: NaiveDate| day - Duration::days(i64::from(day.weekday().num_days_from_monday()));
        let mut weeks = vec![monday(self.first_day)];
        while let Some(next) = weeks.last().map(|week| *week + Duration::days(7)) {
            if next > self.last_day {
                break;
            }
            weeks.push(next);
        }
        weeks
    }

    pub fn week_index(&self, day: NaiveDate) -> Option<usize> {
        let first = *self.weeks().first()?;
        self.day_index(day).map(|_| ((day - first).num_days() / 7) as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn a_preset_ends_today_in_the_viewers_zone() {
        let zone: Tz = "Pacific/Auckland".parse().unwrap();
        // 20:00 UTC on 30 Nov is 09:00 on 1 Dec in Auckland (UTC+13 in summer).
        let resolved =
            resolve(&DashboardQuery { range: "7d".into(), ..Default::default() }, zone, at("2026-11-30T20:00:00Z"))
                .unwrap();
        assert_eq!((resolved.range.from.as_str(), resolved.range.to.as_str()), ("2026-11-25", "2026-12-01"));
        assert_eq!(resolved.current.start, at("2026-11-24T11:00:00Z"));
        assert_eq!(resolved.current.end, at("2026-12-01T11:00:00Z"));
        assert_eq!(resolved.previous.start, at("2026-11-17T11:00:00Z"));
        assert_eq!(resolved.range.label, "25 Nov – 1 Dec 2026");
    }

    #[test]
    fn daylight_saving_days_last_23_and_25_hours() {
        let zone: Tz = "Europe/Berlin".parse().unwrap();
        let spring = NaiveDate::from_ymd_opt(2026, 3, 29).unwrap();
        assert_eq!((day_start(zone, spring.succ_opt().unwrap()) - day_start(zone, spring)).num_hours(), 23);
        let autumn = NaiveDate::from_ymd_opt(2026, 10, 25).unwrap();
        assert_eq!((day_start(zone, autumn.succ_opt().unwrap()) - day_start(zone, autumn)).num_hours(), 25);
        // Where the jump skips midnight (Santiago, September), the day starts at 01:00.
        let santiago: Tz = "America/Santiago".parse().unwrap();
        let skipped = NaiveDate::from_ymd_opt(2026, 9, 6).unwrap();
        assert_eq!(day_start(santiago, skipped), at("2026-09-06T04:00:00Z"));
    }

    #[test]
    fn custom_ranges_are_checked() {
        let zone = Tz::UTC;
        let now = at("2026-12-01T12:00:00Z");
        let query = |from: &str, to: &str| DashboardQuery { from: from.into(), to: to.into(), ..Default::default() };
        let fine = resolve(&query("2026-11-02", "2026-11-08"), zone, now).unwrap();
        assert_eq!((fine.range.days, fine.range.previous_label.as_str()), (7, "26 Oct – 1 Nov 2026"));
        // Monday 2 Nov to Sunday 8 Nov is one week; Wednesday to Tuesday touches two.
        assert_eq!(fine.weeks().len(), 1);
        let split = resolve(&query("2026-11-04", "2026-11-10"), zone, now).unwrap();
        assert_eq!(split.weeks().iter().map(|week| week.to_string()).collect::<Vec<_>>(), ["2026-11-02", "2026-11-09"]);
        let error = |from: &str, to: &str| resolve(&query(from, to), zone, now).unwrap_err();
        assert_eq!(error("2026-11-08", "2026-11-02").field_message("to"), Some("The range ends before it starts."));
        assert_eq!(
            error("Nov 2", "2026-11-02").field_message("from"),
            Some("Give a date as YYYY-MM-DD, between 1970 and 9999.")
        );
        assert!(error("-262000-01-01", "-262000-01-02").field_message("from").is_some(), "no overflow");
        assert_eq!(error("2024-01-01", "2026-11-02").field_message("to"), Some("Choose at most 400 days."));
        assert_eq!(error("2026-12-05", "2026-12-06").field_message("from"), Some("The range starts in the future."));
        let unknown = DashboardQuery { range: "2y".into(), ..Default::default() };
        assert!(resolve(&unknown, zone, now).unwrap_err().field_message("range").is_some());
    }

    #[test]
    fn offsets_change_at_the_bucket_the_clocks_do() {
        let berlin: Tz = "Europe/Berlin".parse().unwrap();
        let window = Window { start: at("2026-10-23T22:00:00Z"), end: at("2026-10-27T23:00:00Z") };
        // UTC+2 until 01:00 UTC on Sunday 25 Oct, then UTC+1.
        assert_eq!(offsets(berlin, window), [(bucket_of(window.start), 8), (bucket_of(at("2026-10-25T01:00:00Z")), 4)]);
        let kolkata: Tz = "Asia/Kolkata".parse().unwrap();
        let year = Window { start: at("2025-12-31T18:30:00Z"), end: at("2026-12-31T18:30:00Z") };
        assert_eq!(offsets(kolkata, year), [(bucket_of(year.start), 22)]);
        // Both changes of a year in New York; a local day is its local quarter hours over 96.
        let new_york: Tz = "America/New_York".parse().unwrap();
        let year = Window { start: at("2026-01-01T05:00:00Z"), end: at("2027-01-01T05:00:00Z") };
        let pieces = offsets(new_york, year);
        assert_eq!(
            pieces,
            [
                (bucket_of(year.start), -20),
                (bucket_of(at("2026-03-08T07:00:00Z")), -16),
                (bucket_of(at("2026-11-01T06:00:00Z")), -20)
            ]
        );
        assert_eq!(day_of_local((bucket_of(year.start) - 20).div_euclid(96)).to_string(), "2026-01-01");
    }

    #[test]
    fn local_quarters_give_the_local_day_weekday_and_hour() {
        let kolkata: Tz = "Asia/Kolkata".parse().unwrap();
        let window = Window { start: at("2026-11-29T18:30:00Z"), end: at("2026-12-01T18:30:00Z") };
        let [(_, offset)] = offsets(kolkata, window)[..] else { panic!("one offset") };
        // What the databases compute: day = quarter / 96, weekday = (day + 3) % 7, hour = quarter % 96 / 4.
        let local = |text: &str| {
            let quarter = bucket_of(at(text)) + offset;
            (day_of_local(quarter / 96).to_string(), (quarter / 96 + 3) % 7, quarter % 96 / 4)
        };
        // 18:30 UTC is midnight in Kolkata (UTC+5:30): the next local day, a Tuesday.
        assert_eq!(local("2026-11-30T18:30:00Z"), ("2026-12-01".to_owned(), 1, 0));
        assert_eq!(local("2026-11-30T18:29:59Z"), ("2026-11-30".to_owned(), 0, 23));
    }
}
