//! The dashboard's figures as the page and its server function see them, and the date range they
//! cover. Shared by the server and the WASM client.
use serde::{Deserialize, Serialize};

/// The longest custom range, in days: a year and a bit, so that a year compared with the one
/// before stays a question the indexes answer quickly.
pub const MAX_RANGE_DAYS: i64 = 400;

/// The presets of the range picker: (URL value, label, days). Each ends today.
pub const PRESETS: [(&str, &str, i64); 4] = [
    ("7d", "Last 7 days", 7),
    ("30d", "Last 30 days", 30),
    ("90d", "Last 90 days", 90),
    ("365d", "Last 12 months", 365),
];

pub const DEFAULT_PRESET: &str = "30d";

/// What the URL asks for: a preset, or a custom `from`..`to` (both days included, in the viewer's
/// time zone), and for an admin one owner's figures.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DashboardQuery {
    #[serde(default)]
    pub range: String,
    /// `YYYY-MM-DD`
    #[serde(default)]
    pub from: String,
    /// `YYYY-MM-DD`
    #[serde(default)]
    pub to: String,
    /// Admins only: one owner's figures (everyone's when absent).
    #[serde(default, deserialize_with = "crate::clients::model::optional_id")]
    pub owner: Option<i64>,
}

impl DashboardQuery {
    pub fn is_custom(&self) -> bool {
        self.range == "custom" || (self.range.is_empty() && (!self.from.is_empty() || !self.to.is_empty()))
    }

    /// The preset's days, when the query names one (the default when it names nothing).
    pub fn preset_days(&self) -> Option<i64> {
        if self.is_custom() {
            return None;
        }
        let wanted = if self.range.is_empty() { DEFAULT_PRESET } else { self.range.as_str() };
        PRESETS.iter().find(|(value, _, _)| *value == wanted).map(|(_, _, days)| *days)
    }
}

/// The range the figures cover, resolved in the viewer's time zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Range {
    /// The preset's value, or `custom`.
    pub preset: String,
    /// First and last day, `YYYY-MM-DD`, both included.
    pub from: String,
    pub to: String,
    pub days: i64,
    /// "1 Nov – 30 Nov 2026"
    pub label: String,
    /// "16 Oct – 31 Oct 2026": the period of the same length just before, which tiles compare with.
    pub previous_label: String,
    pub timezone: String,
}

/// One tile: a figure for the range and for the period before.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tile {
    pub label: String,
    pub value: Figure,
    pub previous: Figure,
    /// What the figure counts, in a sentence (the tile's tooltip and its screen-reader text).
    pub help: String,
    /// The rows behind the figure.
    pub href: Option<String>,
}

/// A figure: a count, a share (0..=1, none when there is nothing to divide by), or a duration in
/// seconds (none without a sample).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Figure {
    Count(u64),
    Share(Option<f64>),
    Seconds(Option<u64>),
}

/// The time from a lead's first message to the first answer, over the conversations whose first
/// lead message falls in the range, by who answered first.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Speed {
    pub answered: u64,
    pub median_secs: Option<u64>,
    pub p90_secs: Option<u64>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpeedToLead {
    pub ai: Speed,
    pub human: Speed,
    pub ai_previous: Speed,
    pub human_previous: Speed,
    /// Leads whose first message has no answer yet.
    pub unanswered: u64,
}

/// A day (or a week, named by its Monday) of a series, in the viewer's time zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayCount {
    /// `YYYY-MM-DD`
    pub day: String,
    /// "3 Nov"
    pub label: String,
    /// "Tue 3 Nov 2026", or for a week "Week of 2 Nov 2026"
    pub full_label: String,
    pub count: u64,
    /// The rows behind the count: the clients list or the bookings list, filtered.
    pub href: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayMessages {
    /// `YYYY-MM-DD`
    pub day: String,
    pub label: String,
    pub full_label: String,
    pub lead: u64,
    pub ai: u64,
    pub agent: u64,
}

/// A step of the funnel: the leads created in the range that are at this stage or a later one now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunnelStep {
    pub status: String,
    pub label: String,
    pub reached: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpcomingBooking {
    pub id: i64,
    pub client_id: Option<i64>,
    pub who: String,
    pub what: String,
    /// In the viewer's time zone: "Tue 1 Dec 2026, 14:00".
    pub when: String,
}

/// A strategy's leads created in the range: how many reached "booked" (or won) and how many of
/// their conversations the AI handed to the team.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StrategyRow {
    pub id: i64,
    pub name: String,
    pub leads: u64,
    pub booked: u64,
    pub handed_off: u64,
}

/// One owner's figures over the range (admins).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRow {
    pub id: i64,
    pub name: String,
    pub leads: u64,
    pub median_first_reply_secs: Option<u64>,
    pub bookings: u64,
    pub shows: u64,
    pub wins: u64,
    /// The bookings list behind `bookings` and `shows`.
    pub bookings_href: String,
    pub shows_href: String,
}

/// An owner an admin can filter by.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnerOption {
    pub id: i64,
    pub name: String,
}

/// Everything the dashboard shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dashboard {
    pub range: Range,
    /// The owner the figures are filtered to (admins), or the viewer's own (members: always).
    pub owner: Option<i64>,
    pub tiles: Vec<Tile>,
    pub speed: SpeedToLead,
    pub new_leads: Vec<DayCount>,
    pub messages: Vec<DayMessages>,
    /// Bookings made, by week (Monday first; the first and last week may be partial).
    pub bookings_by_week: Vec<DayCount>,
    pub funnel: Vec<FunnelStep>,
    /// Leads created in the range that are lost now (outside the funnel's chain).
    pub lost: u64,
    /// Lead messages by weekday (Monday first) and hour, in the viewer's time zone.
    pub heatmap: Vec<Vec<u64>>,
    pub upcoming: Vec<UpcomingBooking>,
    pub strategies: Vec<StrategyRow>,
    /// Admins only.
    pub users: Option<Vec<UserRow>>,
    pub owners: Vec<OwnerOption>,
}

/// `part / whole`, none when `whole` is zero.
pub fn share(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

/// "42%", or "–" without a share.
pub fn percent(value: Option<f64>) -> String {
    match value {
        Some(value) => format!("{:.0}%", value * 100.0),
        None => "–".to_owned(),
    }
}

/// "8 s", "3 min", "2.5 h", "3 d", or "–" without a sample.
pub fn duration(secs: Option<u64>) -> String {
    match secs {
        None => "–".to_owned(),
        Some(s) if s < 60 => format!("{s} s"),
        Some(s) if s < 3_600 => format!("{} min", s / 60),
        Some(s) if s < 86_400 => format!("{:.1} h", s as f64 / 3_600.0),
        Some(s) => format!("{:.1} d", s as f64 / 86_400.0),
    }
}

impl Figure {
    pub fn text(&self) -> String {
        match *self {
            Figure::Count(n) => crate::shared::numbers::group_thousands(n),
            Figure::Share(share) => percent(share),
            Figure::Seconds(secs) => duration(secs),
        }
    }

    /// The change against `previous`, as shown under a tile ("+12%", "−3 pts", "faster by 20 s"),
    /// and whether it is good news (none when there is no sense in comparing).
    pub fn change(&self, previous: &Figure) -> Option<(String, bool)> {
        match (*self, *previous) {
            (Figure::Count(now), Figure::Count(before)) => {
                if now == before {
                    return Some(("no change".to_owned(), true));
                }
                if before == 0 {
                    return Some((format!("+{}", crate::shared::numbers::group_thousands(now)), true));
                }
                let change = (now as f64 - before as f64) / before as f64 * 100.0;
                Some((format!("{}{:.0}%", if change >= 0.0 { "+" } else { "−" }, change.abs()), change >= 0.0))
            }
            (Figure::Share(Some(now)), Figure::Share(Some(before))) => {
                let points = (now - before) * 100.0;
                if points.abs() < 0.5 {
                    return Some(("no change".to_owned(), true));
                }
                Some((format!("{}{:.0} pts", if points >= 0.0 { "+" } else { "−" }, points.abs()), points >= 0.0))
            }
            (Figure::Seconds(Some(now)), Figure::Seconds(Some(before))) => {
                if now == before {
                    return Some(("no change".to_owned(), true));
                }
                let faster = now < before;
                let by = duration(Some(now.abs_diff(before)));
                Some((if faster { format!("faster by {by}") } else { format!("slower by {by}") }, faster))
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_query_names_a_preset_or_a_custom_range() {
        assert_eq!(DashboardQuery::default().preset_days(), Some(30));
        let week = DashboardQuery { range: "7d".into(), ..Default::default() };
        assert_eq!(week.preset_days(), Some(7));
        let custom = DashboardQuery { from: "2026-11-01".into(), to: "2026-11-07".into(), ..Default::default() };
        assert!(custom.is_custom());
        assert_eq!(custom.preset_days(), None);
        let unknown = DashboardQuery { range: "2y".into(), ..Default::default() };
        assert_eq!(unknown.preset_days(), None);
    }

    #[test]
    fn changes_read_as_people_say_them() {
        assert_eq!(Figure::Count(12).change(&Figure::Count(10)), Some(("+20%".into(), true)));
        assert_eq!(Figure::Count(5).change(&Figure::Count(10)), Some(("−50%".into(), false)));
        assert_eq!(Figure::Count(3).change(&Figure::Count(0)), Some(("+3".into(), true)));
        assert_eq!(Figure::Count(1_393).change(&Figure::Count(0)), Some(("+1,393".into(), true)));
        assert_eq!(Figure::Count(1_393).text(), "1,393");
        assert_eq!(Figure::Share(Some(0.5)).change(&Figure::Share(Some(0.25))), Some(("+25 pts".into(), true)));
        assert_eq!(Figure::Share(None).change(&Figure::Share(Some(0.25))), None);
        assert_eq!(Figure::Seconds(Some(8)).change(&Figure::Seconds(Some(30))), Some(("faster by 22 s".into(), true)));
        assert_eq!(
            Figure::Seconds(Some(90)).change(&Figure::Seconds(Some(30))),
            Some(("slower by 1 min".into(), false))
        );
    }

    #[test]
    fn durations_and_shares_read_short() {
        assert_eq!(duration(Some(8)), "8 s");
        assert_eq!(duration(Some(125)), "2 min");
        assert_eq!(duration(Some(5_400)), "1.5 h");
        assert_eq!(duration(Some(3 * 86_400)), "3.0 d");
        assert_eq!(duration(None), "–");
        assert_eq!(percent(share(1, 3)), "33%");
        assert_eq!(percent(share(1, 0)), "–");
    }
}
