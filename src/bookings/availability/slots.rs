//! The pure core of free slots: availability, date overrides, blocked intervals, a booking type's
//! rules and the current time in, slots out. No database, so every rule is unit- and
//! property-tested; `super::service::free_slots` feeds it.
//!
//! Working hours are wall-clock times in the owner's zone, resolved to instants with the time-zone
//! database: a slot whose local start falls in a skipped hour (spring forward) is not offered, and
//! a repeated local time (fall back) is read as its first occurrence only, so no instant is offered
//! twice, and a meeting during which the clocks go back is not offered. A window's edges are instants too (an edge in a repeated hour is its first occurrence,
//! one in a skipped hour the gap's end), and a slot must lie between them, so a window that a
//! change shortens offers less.
use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveDateTime, Offset, TimeZone, Utc};
use chrono_tz::Tz;

pub const MINUTES_PER_DAY: u16 = 1440;

/// Minutes from local midnight, `[start, end)`; `end` may be 1440 (midnight at the day's end).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Window {
    pub start: u16,
    pub end: u16,
}

impl Window {
    pub fn new(start: u16, end: u16) -> Option<Window> {
        (start < end && end <= MINUTES_PER_DAY).then_some(Window { start, end })
    }
}

/// Sorted, with overlapping and touching windows merged.
pub fn normalized(mut windows: Vec<Window>) -> Vec<Window> {
    windows.sort();
    let mut merged: Vec<Window> = Vec::with_capacity(windows.len());
    for window in windows {
        match merged.last_mut() {
            Some(last) if window.start <= last.end => last.end = last.end.max(window.end),
            _ => merged.push(window),
        }
    }
    merged
}

/// When a user can be booked, in their own zone.
#[derive(Debug, Clone)]
pub struct Availability {
    pub zone: Tz,
    /// Index 0 = Monday.
    pub weekly: [Vec<Window>; 7],
    /// A date's own windows, replacing its weekday's; empty = a day off.
    pub overrides: BTreeMap<NaiveDate, Vec<Window>>,
}

impl Availability {
    pub fn windows_on(&self, date: NaiveDate) -> &[Window] {
        match self.overrides.get(&date) {
            Some(windows) => windows,
            None => &self.weekly[date.weekday().num_days_from_monday() as usize],
        }
    }
}

/// A booking type's rules, in minutes (days for `rolling_days`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlotRules {
    pub duration: u32,
    pub interval: u32,
    pub buffer_before: u32,
    pub buffer_after: u32,
    pub min_notice: u32,
    /// Slots are offered on today's date (in the owner's zone) and the `rolling_days - 1` after it.
    pub rolling_days: u32,
    pub max_per_day: Option<u32>,
}

impl SlotRules {
    /// The interval a booking from `start` to `end` blocks: the meeting and its buffers.
    pub fn blocked(&self, start: DateTime<Utc>, end: DateTime<Utc>) -> Interval {
        Interval {
            from: start - Duration::minutes(i64::from(self.buffer_before)),
            until: end + Duration::minutes(i64::from(self.buffer_after)),
        }
    }
}

/// `[from, until)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Interval {
    pub from: DateTime<Utc>,
    pub until: DateTime<Utc>,
}

impl Interval {
    pub fn overlaps(&self, other: &Interval) -> bool {
        self.from < other.until && other.from < self.until
    }
}

/// What the owner's existing bookings contribute: their blocked intervals (active bookings only),
/// and how many bookings of this type each local date already has (for the per-day cap).
#[derive(Debug, Clone, Default)]
pub struct Busy {
    pub blocked: Vec<Interval>,
    pub per_day: HashMap<NaiveDate, u32>,
}

/// The instant of `minute` minutes after local midnight of `date`. A repeated time is its first
/// occurrence; a skipped one is `None`.
fn local_instant(zone: Tz, date: NaiveDate, minute: u16) -> Option<DateTime<Utc>> {
    let local: NaiveDateTime = date.and_hms_opt(0, 0, 0)? + Duration::minutes(i64::from(minute));
    match zone.from_local_datetime(&local) {
        LocalResult::Single(at) | LocalResult::Ambiguous(at, _) => Some(at.with_timezone(&Utc)),
        LocalResult::None => None,
    }
}

/// The instant of a window's edge; an edge in a skipped hour moves to the first valid minute
/// after it (the gap's end).
fn edge_instant(zone: Tz, date: NaiveDate, minute: u16) -> Option<DateTime<Utc>> {
    // Gaps are at most a few hours (the largest in the database is 24 h, Samoa 2011).
    (0..=1440u16).find_map(|shift| local_instant(zone, date, minute.checked_add(shift)?))
}

fn offset_at(zone: Tz, at: DateTime<Utc>) -> i32 {
    zone.offset_from_utc_datetime(&at.naive_utc()).fix().local_minus_utc()
}

/// Free slots starting in `[from, to)`, in time order: inside the owner's windows, not before
/// `now` plus the notice, within the rolling window, on dates under the cap, and whose blocked
/// interval overlaps no existing one.
pub fn compute(
    availability: &Availability,
    rules: &SlotRules,
    busy: &Busy,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Vec<Interval> {
    let zone = availability.zone;
    if rules.duration == 0 || rules.interval == 0 || rules.rolling_days == 0 {
        return Vec::new();
    }
    let earliest = from.max(now + Duration::minutes(i64::from(rules.min_notice)));
    let today = now.with_timezone(&zone).date_naive();
    let last_date = today + Duration::days(i64::from(rules.rolling_days) - 1);
    if earliest >= to {
        return Vec::new();
    }
    let mut blocked = busy.blocked.clone();
    blocked.sort();
    let mut merged: Vec<Interval> = Vec::with_capacity(blocked.len());
    for interval in blocked {
        match merged.last_mut() {
            Some(last) if interval.from <= last.until => last.until = last.until.max(interval.until),
            _ => merged.push(interval),
        }
    }

    let duration = Duration::minutes(i64::from(rules.duration));
    let first_date = earliest.with_timezone(&zone).date_naive().max(today);
    let end_date = to.with_timezone(&zone).date_naive().min(last_date);
    let mut slots = Vec::new();
    let mut next_blocked = 0;
    let mut last_start: Option<DateTime<Utc>> = None;
    let mut date = first_date;
    while date <= end_date {
        let full = rules.max_per_day.is_some_and(|cap| busy.per_day.get(&date).copied().unwrap_or(0) >= cap);
        if !full {
            for window in normalized(availability.windows_on(date).to_vec()) {
                let (Some(opens), Some(closes)) =
                    (edge_instant(zone, date, window.start), edge_instant(zone, date, window.end))
                else {
                    continue;
                };
                let mut minute = u32::from(window.start);
                while minute < u32::from(window.end) {
                    let start = u16::try_from(minute).ok().and_then(|m| local_instant(zone, date, m));
                    minute += rules.interval;
                    let Some(start) = start else { continue };
                    let end = start + duration;
                    if start < opens || end > closes || start < earliest || start >= to {
                        continue;
                    }
                    // Clocks going back during the meeting would take its wall-clock time out of
                    // the window and back in: such a slot is not offered.
                    if offset_at(zone, end - Duration::seconds(1)) < offset_at(zone, start) {
                        continue;
                    }
                    if last_start.is_some_and(|last| start <= last) {
                        continue;
                    }
                    let wanted = rules.blocked(start, end);
                    while next_blocked < merged.len() && merged[next_blocked].until <= wanted.from {
                        next_blocked += 1;
                    }
                    if merged.get(next_blocked).is_some_and(|taken| taken.from < wanted.until) {
                        continue;
                    }
                    last_start = Some(start);
                    slots.push(Interval { from: start, until: end });
                }
            }
        }
        date += Duration::days(1);
    }
    slots
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc)
    }

    fn every_day(zone: &str, windows: &[(u16, u16)]) -> Availability {
        let windows: Vec<Window> = windows.iter().map(|(s, e)| Window::new(*s, *e).unwrap()).collect();
        Availability {
            zone: zone.parse().unwrap(),
            weekly: std::array::from_fn(|_| windows.clone()),
            overrides: BTreeMap::new(),
        }
    }

    fn rules(duration: u32, interval: u32) -> SlotRules {
        SlotRules {
            duration,
            interval,
            buffer_before: 0,
            buffer_after: 0,
            min_notice: 0,
            rolling_days: 365,
            max_per_day: None,
        }
    }

    fn local(slots: &[Interval], zone: &str) -> Vec<String> {
        let zone: Tz = zone.parse().unwrap();
        slots.iter().map(|s| s.from.with_timezone(&zone).format("%H:%M%:z").to_string()).collect()
    }

    #[test]
    fn slots_step_through_the_window_and_skip_booked_time_with_buffers() {
        let availability = every_day("UTC", &[(540, 720)]);
        let busy = Busy {
            blocked: vec![Interval { from: at("2026-06-01T10:00:00Z"), until: at("2026-06-01T10:30:00Z") }],
            per_day: HashMap::new(),
        };
        let mut rules = rules(30, 30);
        let day = (at("2026-06-01T00:00:00Z"), at("2026-06-02T00:00:00Z"));
        let now = at("2026-05-01T00:00:00Z");
        let slots = compute(&availability, &rules, &busy, day.0, day.1, now);
        assert_eq!(local(&slots, "UTC"), ["09:00+00:00", "09:30+00:00", "10:30+00:00", "11:00+00:00", "11:30+00:00"]);
        rules.buffer_before = 15;
        rules.buffer_after = 15;
        let slots = compute(&availability, &rules, &busy, day.0, day.1, now);
        assert_eq!(local(&slots, "UTC"), ["09:00+00:00", "11:00+00:00", "11:30+00:00"]);
    }

    #[test]
    fn notice_rolling_window_cap_and_overrides_apply() {
        let mut availability = every_day("UTC", &[(540, 600)]);
        let now = at("2026-06-01T09:10:00Z");
        let mut rules = rules(30, 30);
        rules.min_notice = 60;
        rules.rolling_days = 2;
        let slots = compute(&availability, &rules, &Busy::default(), now, at("2026-06-10T00:00:00Z"), now);
        // Today 09:00 and 09:30 are within the notice; the rolling window ends after tomorrow.
        assert_eq!(
            slots.iter().map(|s| s.from).collect::<Vec<_>>(),
            [at("2026-06-02T09:00:00Z"), at("2026-06-02T09:30:00Z")]
        );
        rules.max_per_day = Some(1);
        let busy =
            Busy { blocked: vec![], per_day: HashMap::from([(NaiveDate::from_ymd_opt(2026, 6, 2).unwrap(), 1)]) };
        assert!(compute(&availability, &rules, &busy, now, at("2026-06-10T00:00:00Z"), now).is_empty());
        availability.overrides.insert(NaiveDate::from_ymd_opt(2026, 6, 2).unwrap(), vec![]);
        rules.max_per_day = None;
        assert!(compute(&availability, &rules, &Busy::default(), now, at("2026-06-10T00:00:00Z"), now).is_empty());
    }

    /// A whole local day of hourly slots on the day of a change.
    fn day_of(zone: &str, date: &str, interval: u32) -> Vec<Interval> {
        let availability = every_day(zone, &[(0, 1440)]);
        let tz: Tz = zone.parse().unwrap();
        let date: NaiveDate = date.parse().unwrap();
        let midnight = |date: NaiveDate| {
            tz.from_local_datetime(&date.and_hms_opt(0, 0, 0).unwrap()).earliest().unwrap().with_timezone(&Utc)
        };
        let (start, end) = (midnight(date), midnight(date + Duration::days(1)));
        compute(&availability, &rules(interval, interval), &Busy::default(), start, end, start - Duration::days(1))
    }

    fn assert_distinct_and_ordered(slots: &[Interval]) {
        assert!(slots.windows(2).all(|pair| pair[0].from < pair[1].from), "slots repeat or go back in time");
    }

    #[test]
    fn berlin_spring_forward_skips_the_missing_hour() {
        let slots = day_of("Europe/Berlin", "2026-03-29", 60);
        let shown = local(&slots, "Europe/Berlin");
        assert!(!shown.iter().any(|s| s.starts_with("02:")), "{shown:?}");
        assert_eq!(&shown[..3], ["00:00+01:00", "01:00+01:00", "03:00+02:00"]);
        assert_eq!(slots.len(), 23);
        assert_distinct_and_ordered(&slots);
    }

    #[test]
    fn berlin_fall_back_offers_the_repeated_hour_once() {
        let slots = day_of("Europe/Berlin", "2026-10-25", 60);
        let shown = local(&slots, "Europe/Berlin");
        assert_eq!(&shown[..4], ["00:00+02:00", "01:00+02:00", "02:00+02:00", "03:00+01:00"]);
        assert_eq!(shown.iter().filter(|s| s.starts_with("02:")).count(), 1);
        assert_distinct_and_ordered(&slots);
    }

    #[test]
    fn new_york_changes_on_its_own_dates() {
        let spring = local(&day_of("America/New_York", "2026-03-08", 30), "America/New_York");
        assert!(!spring.iter().any(|s| s.starts_with("02:")), "{spring:?}");
        let fall = day_of("America/New_York", "2026-11-01", 30);
        assert_distinct_and_ordered(&fall);
        let shown = local(&fall, "America/New_York");
        assert_eq!(shown.iter().filter(|s| s.starts_with("01:")).count(), 2, "01:00 and 01:30, once each: {shown:?}");
    }

    #[test]
    fn lord_howe_half_hour_changes_and_kolkata_without_any() {
        // Lord Howe moves by 30 minutes: 02:00 -> 02:30 on 4 Oct 2026, 02:00 -> 01:30 on 5 Apr 2026.
        let spring = local(&day_of("Australia/Lord_Howe", "2026-10-04", 30), "Australia/Lord_Howe");
        assert!(!spring.iter().any(|s| s.starts_with("02:00")), "{spring:?}");
        assert!(spring.iter().any(|s| s.starts_with("02:30")));
        let fall = day_of("Australia/Lord_Howe", "2026-04-05", 30);
        assert_distinct_and_ordered(&fall);
        assert_eq!(local(&fall, "Australia/Lord_Howe").iter().filter(|s| s.starts_with("01:30")).count(), 1);
        assert_eq!(day_of("Asia/Kolkata", "2026-03-29", 30).len(), 48);
    }

    #[test]
    fn auckland_both_changes() {
        // 27 Sep 2026: 02:00 -> 03:00; 5 Apr 2026: 03:00 -> 02:00.
        let spring = day_of("Pacific/Auckland", "2026-09-27", 60);
        assert_eq!(spring.len(), 23);
        assert!(!local(&spring, "Pacific/Auckland").iter().any(|s| s.starts_with("02:")));
        let fall = day_of("Pacific/Auckland", "2026-04-05", 60);
        assert_distinct_and_ordered(&fall);
        assert_eq!(fall.len(), 24, "the repeated hour once: 24 distinct starting hours");
    }

    #[test]
    fn a_meeting_across_the_gap_must_end_inside_the_window() {
        // 01:30 + 60 minutes is 03:30 local on a spring-forward night: inside a window to 04:00.
        let availability = every_day("Europe/Berlin", &[(90, 240)]);
        let date = at("2026-03-29T00:00:00Z");
        let slots = compute(
            &availability,
            &rules(60, 30),
            &Busy::default(),
            date - Duration::hours(2),
            date + Duration::hours(6),
            date - Duration::days(1),
        );
        let shown = local(&slots, "Europe/Berlin");
        assert_eq!(shown, ["01:30+01:00", "03:00+02:00"]);
    }

    mod properties {
        use proptest::prelude::*;

        use chrono::Timelike;

        use super::super::*;

        const ZONES: [&str; 6] =
            ["Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata", "Pacific/Auckland", "UTC"];
        /// Days just before a change in one of the zones, in both directions.
        const STARTS: [&str; 8] = [
            "2026-03-06T00:00:00Z",
            "2026-03-27T00:00:00Z",
            "2026-04-03T00:00:00Z",
            "2026-09-25T00:00:00Z",
            "2026-10-02T00:00:00Z",
            "2026-10-23T00:00:00Z",
            "2026-10-30T00:00:00Z",
            "2026-06-15T00:00:00Z",
        ];

        fn window() -> impl Strategy<Value = Window> {
            (0u16..96, 1u16..48).prop_map(|(start, length)| {
                let start = start * 15;
                Window::new(start, (start + length * 15).min(MINUTES_PER_DAY)).unwrap()
            })
        }

        fn rules() -> impl Strategy<Value = SlotRules> {
            (
                prop::sample::select(vec![15u32, 20, 30, 45, 60, 90]),
                prop::sample::select(vec![10u32, 15, 30, 60]),
                0u32..=12,
                0u32..=12,
                0u32..=600,
                1u32..=30,
                prop::option::of(1u32..=4),
            )
                .prop_map(|(duration, interval, before, after, min_notice, rolling_days, max_per_day)| {
                    SlotRules {
                        duration,
                        interval,
                        buffer_before: before * 5,
                        buffer_after: after * 5,
                        min_notice,
                        rolling_days,
                        max_per_day,
                    }
                })
        }

        prop_compose! {
            fn case()(
                zone in prop::sample::select(ZONES.to_vec()),
                weekly in prop::collection::vec(prop::collection::vec(window(), 0..3), 7),
                override_days in prop::collection::vec((0i64..9, prop::collection::vec(window(), 0..2)), 0..3),
                rules in rules(),
                start in prop::sample::select(STARTS.to_vec()),
                offset_hours in 0i64..48,
                days in 1i64..8,
                now_before_hours in 0i64..72,
                busy in prop::collection::vec((0i64..(9 * 24 * 12), 2i64..36), 0..12),
                counts in prop::collection::vec((0i64..9, 0u32..4), 0..4),
            ) -> (Availability, SlotRules, Busy, DateTime<Utc>, DateTime<Utc>, DateTime<Utc>) {
                let zone: Tz = zone.parse().unwrap();
                let from = DateTime::parse_from_rfc3339(start).unwrap().with_timezone(&Utc) + Duration::hours(offset_hours);
                let to = from + Duration::days(days);
                let now = from - Duration::hours(now_before_hours);
                let first_date = from.with_timezone(&zone).date_naive() - Duration::days(1);
                let weekly: [Vec<Window>; 7] = std::array::from_fn(|day| weekly[day].clone());
                let overrides = override_days.into_iter().map(|(day, windows)| (first_date + Duration::days(day), windows)).collect();
                let blocked = busy
                    .into_iter()
                    .map(|(at, length)| {
                        let from = from - Duration::days(1) + Duration::minutes(at * 5);
                        Interval { from, until: from + Duration::minutes(length * 5) }
                    })
                    .collect();
                let per_day = counts.into_iter().map(|(day, count)| (first_date + Duration::days(day), count)).collect();
                (Availability { zone, weekly, overrides }, rules, Busy { blocked, per_day }, from, to, now)
            }
        }

        proptest! {
            #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

            #[test]
            fn every_slot_keeps_every_rule((availability, rules, busy, from, to, now) in case()) {
                let slots = compute(&availability, &rules, &busy, from, to, now);
                let zone = availability.zone;
                let today = now.with_timezone(&zone).date_naive();
                for pair in slots.windows(2) {
                    prop_assert!(pair[0].from < pair[1].from, "starts repeat or go back");
                }
                for slot in &slots {
                    prop_assert_eq!(slot.until - slot.from, Duration::minutes(i64::from(rules.duration)));
                    prop_assert!(slot.from >= from && slot.from < to);
                    prop_assert!(slot.from >= now + Duration::minutes(i64::from(rules.min_notice)));
                    let date = slot.from.with_timezone(&zone).date_naive();
                    prop_assert!(date < today + Duration::days(i64::from(rules.rolling_days)));
                    if let Some(cap) = rules.max_per_day {
                        prop_assert!(busy.per_day.get(&date).copied().unwrap_or(0) < cap);
                    }
                    let blocked = rules.blocked(slot.from, slot.until);
                    for taken in &busy.blocked {
                        prop_assert!(!blocked.overlaps(taken), "{:?} overlaps {:?}", blocked, taken);
                    }
                    // Every minute of the meeting is working time on its own local date.
                    let mut minute = slot.from;
                    while minute < slot.until {
                        let local = minute.with_timezone(&zone);
                        let of_day = u16::try_from(local.time().num_seconds_from_midnight() / 60).unwrap();
                        prop_assert!(
                            availability.windows_on(local.date_naive()).iter().any(|w| w.start <= of_day && of_day < w.end),
                            "{} is outside the hours of {}", local, local.date_naive()
                        );
                        minute += Duration::minutes(1);
                    }
                }
            }
        }
    }
}
