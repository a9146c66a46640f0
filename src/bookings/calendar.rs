//! What the calendar pages show, shared by the server (which computes it in the calendar owner's
//! time zone, so the WASM client carries no calendar code) and the browser.
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::model::{Booking, BookingStatus, BookingType, Slot};

/// Upcoming bookings per agenda page.
pub const AGENDA_PAGE_SIZE: u64 = 25;
/// The time grid's rows: a quarter of an hour each.
pub const MINUTES_PER_ROW: u16 = 15;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CalendarView {
    Week,
    Day,
    Agenda,
}

impl CalendarView {
    pub const ALL: [(CalendarView, &'static str); 3] =
        [(CalendarView::Week, "Week"), (CalendarView::Day, "Day"), (CalendarView::Agenda, "Agenda")];

    pub fn as_str(self) -> &'static str {
        match self {
            CalendarView::Week => "week",
            CalendarView::Day => "day",
            CalendarView::Agenda => "agenda",
        }
    }

    pub fn parse(text: &str) -> Option<CalendarView> {
        Some(match text {
            "week" => CalendarView::Week,
            "day" => CalendarView::Day,
            "agenda" => CalendarView::Agenda,
            _ => return None,
        })
    }
}

/// The calendar's address, `/bookings?view=week&date=2026-12-07&owner=3&after=…`, as text (every
/// part optional; what does not parse is ignored).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CalendarQuery {
    pub view: String,
    pub date: String,
    pub owner: String,
    /// The agenda's keyset cursor (`{unix seconds}.{id}` of the last booking shown).
    pub after: String,
}

impl CalendarQuery {
    pub fn view(&self) -> Option<CalendarView> {
        CalendarView::parse(self.view.trim())
    }

    pub fn date(&self) -> Option<NaiveDate> {
        NaiveDate::parse_from_str(self.date.trim(), "%Y-%m-%d").ok()
    }

    pub fn owner(&self) -> Option<i64> {
        self.owner.trim().parse().ok()
    }

    /// `/bookings?…` for `view` on `date`, keeping the chosen owner.
    pub fn href(&self, view: Option<CalendarView>, date: NaiveDate) -> String {
        let mut href = String::from("/bookings?");
        if let Some(view) = view {
            href.push_str(&format!("view={}&", view.as_str()));
        }
        href.push_str(&format!("date={date}"));
        if let Some(owner) = self.owner() {
            href.push_str(&format!("&owner={owner}"));
        }
        href
    }
}

/// A booking as the calendar places it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CalendarEntry {
    pub id: i64,
    pub booking_type: String,
    pub subject: String,
    pub client_id: Option<i64>,
    pub client_name: Option<String>,
    /// "09:00–09:30".
    pub time_label: String,
    pub location: String,
    pub status: BookingStatus,
    /// In the time grid: the first row (1-based) and how many rows it covers.
    pub row: u16,
    pub span: u16,
}

impl CalendarEntry {
    /// The subject, else the client, else the type: what names the booking in a list.
    pub fn title(&self) -> String {
        [Some(self.subject.clone()), self.client_name.clone(), Some(self.booking_type.clone())]
            .into_iter()
            .flatten()
            .find(|text| !text.trim().is_empty())
            .unwrap_or_else(|| "Booking".to_owned())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CalendarDay {
    pub date: NaiveDate,
    /// "Mon 7".
    pub short_label: String,
    /// "Monday 7 December".
    pub long_label: String,
    pub is_today: bool,
    /// Working hours as grid rows: (first row, rows).
    pub working: Vec<(u16, u16)>,
    pub entries: Vec<CalendarEntry>,
}

/// One calendar page: the time grid's days (week or day) and the agenda's days, whichever the view
/// shows. Without a chosen view both come, and the screen's width picks (week on a desk, agenda on
/// a phone).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CalendarData {
    pub view: Option<CalendarView>,
    pub date: NaiveDate,
    pub today: NaiveDate,
    pub previous: NaiveDate,
    pub next: NaiveDate,
    /// "7 – 13 Dec 2026".
    pub title: String,
    pub timezone: String,
    pub owner_id: i64,
    pub owner_name: String,
    /// Everyone, for an admin's owner select; empty for others.
    pub owners: Vec<(i64, String)>,
    /// "08:00" ... one per hour row of the grid.
    pub hour_labels: Vec<String>,
    pub rows: u16,
    /// The current time's row in the grid, when today is shown and now is inside the grid.
    pub now_row: Option<u16>,
    pub days: Vec<CalendarDay>,
    pub agenda: Vec<CalendarDay>,
    /// The next agenda page's cursor.
    pub agenda_after: Option<String>,
}

/// `/bookings/{id}`: the booking, in the owner's zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookingPage {
    pub booking: Booking,
    pub client_name: Option<String>,
    pub owner_name: String,
    pub timezone: String,
    /// "Mon 7 Dec 2026, 10:00–10:30".
    pub when: String,
    /// The start as the reschedule form's fields: "2026-12-07", "10:00".
    pub date: String,
    pub time: String,
    /// It has started: it can be marked completed or a no-show.
    pub started: bool,
}

/// `/bookings/new`: the owner's types, the chosen type's free slots by day, and the client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookingFormData {
    pub owner_id: i64,
    pub owners: Vec<(i64, String)>,
    pub timezone: String,
    pub types: Vec<BookingType>,
    pub type_id: Option<i64>,
    pub client: Option<(i64, String)>,
    /// The client search typed in the picker (`client_q`), and the clients offered in the form's
    /// client select: the preselected one first, then the search's matches (id, name, email).
    pub client_q: String,
    pub client_choices: Vec<(i64, String, String)>,
    /// The first day whose slots are shown.
    pub date: NaiveDate,
    pub slot_days: Vec<(String, Vec<Slot>)>,
    /// The manual time's fields, from the `start` parameter.
    pub start_date: String,
    pub start_time: String,
}

/// The new-booking form as posted: a free slot (`slot`, its start in RFC 3339), or a time of one's
/// own (`date`, `time` in the owner's zone, and `duration_min`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct BookingForm {
    pub owner_id: String,
    pub booking_type_id: String,
    pub client_id: String,
    pub slot: String,
    pub date: String,
    pub time: String,
    pub duration_min: String,
    pub subject: String,
    pub location: String,
    pub notes: String,
}

/// "2026-12-07" and "10:00" as a date and minutes from midnight, or the field that is wrong.
pub fn parse_local(date: &str, time: &str) -> Result<(NaiveDate, chrono::NaiveTime), (&'static str, &'static str)> {
    let date =
        NaiveDate::parse_from_str(date.trim(), "%Y-%m-%d").map_err(|_| ("date", "Enter a date like 2026-12-07."))?;
    let time =
        chrono::NaiveTime::parse_from_str(time.trim(), "%H:%M").map_err(|_| ("time", "Enter a time like 09:30."))?;
    Ok((date, time))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_keep_the_owner_and_drop_what_does_not_parse() {
        let query = CalendarQuery { view: "agenda".into(), date: "nope".into(), owner: "3".into(), after: "x".into() };
        assert_eq!(query.view(), Some(CalendarView::Agenda));
        assert_eq!(query.date(), None);
        let day = NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
        assert_eq!(query.href(Some(CalendarView::Week), day), "/bookings?view=week&date=2026-12-07&owner=3");
        assert_eq!(CalendarQuery::default().href(None, day), "/bookings?date=2026-12-07");
    }

    #[test]
    fn local_times_parse_or_name_the_field() {
        assert!(parse_local("2026-12-07", "09:30").is_ok());
        assert_eq!(parse_local("7/12", "09:30").unwrap_err().0, "date");
        assert_eq!(parse_local("2026-12-07", "9h").unwrap_err().0, "time");
    }
}
