//! The bookings list's address and rows, shared by the server and the browser.
use serde::{Deserialize, Serialize};

use crate::bookings::model::BookingStatus;

/// Bookings per page.
pub const PAGE_SIZE: u64 = 25;
/// The count above the list stops at this ("10,000+ bookings").
pub const COUNT_CAP: u64 = 10_000;
pub const PATH: &str = "/bookings/list";

/// What the list is ordered by: the booking's start or the moment it was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    Starts,
    Made,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sort {
    pub key: SortKey,
    pub descending: bool,
}

impl Sort {
    /// The address's values and their labels; the first is the default.
    pub const CHOICES: [(&'static str, &'static str); 4] = [
        ("-starts", "Latest start first"),
        ("starts", "Earliest start first"),
        ("-made", "Newest booked first"),
        ("made", "Oldest booked first"),
    ];

    pub fn parse(text: &str) -> Sort {
        let text = text.trim();
        let (descending, key) = match text.strip_prefix('-') {
            Some(key) => (true, key),
            None => (false, text),
        };
        match key {
            "starts" => Sort { key: SortKey::Starts, descending },
            "made" => Sort { key: SortKey::Made, descending },
            _ => Sort { key: SortKey::Starts, descending: true },
        }
    }
}

/// Which statuses are listed: any, one, or those of the past bookings the show rate counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusFilter {
    Any,
    One(BookingStatus),
    /// Completed or no-show.
    Attended,
}

impl StatusFilter {
    pub const CHOICES: [(&'static str, &'static str); 7] = [
        ("", "Any status"),
        ("confirmed", "Confirmed"),
        ("pending", "Pending"),
        ("completed", "Completed"),
        ("no_show", "No-show"),
        ("attended", "Completed or no-show"),
        ("cancelled", "Cancelled"),
    ];

    pub fn parse(text: &str) -> StatusFilter {
        match text.trim() {
            "attended" => StatusFilter::Attended,
            other => BookingStatus::parse(other).map_or(StatusFilter::Any, StatusFilter::One),
        }
    }
}

/// The list's address, `/bookings/list?q=…&made_from=…&made_to=…&from=…&to=…&status=…&owner=…&sort=…&after=…`,
/// as text: every part optional, and what does not parse is ignored. Days are the viewer's, both
/// ends included.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct BookingListQuery {
    /// Words that must each appear in the client's name, email, phone or company, as the clients
    /// list searches.
    pub q: String,
    /// Made (booked) on these days.
    pub made_from: String,
    pub made_to: String,
    /// Starting on these days.
    pub from: String,
    pub to: String,
    pub status: String,
    /// An admin's choice of whose bookings; everyone's without one.
    pub owner: String,
    pub sort: String,
    /// The keyset cursor of the last booking shown.
    pub after: String,
}

impl BookingListQuery {
    pub fn sort(&self) -> Sort {
        Sort::parse(&self.sort)
    }

    pub fn status(&self) -> StatusFilter {
        StatusFilter::parse(&self.status)
    }

    pub fn owner(&self) -> Option<i64> {
        self.owner.trim().parse().ok()
    }

    /// How many of the folded filters are set (the search, the order and the page aside).
    pub fn filter_count(&self) -> usize {
        [&self.made_from, &self.made_to, &self.from, &self.to, &self.status, &self.owner]
            .iter()
            .filter(|value| !value.trim().is_empty())
            .count()
    }

    /// Whether the search or a filter narrows the list.
    pub fn is_filtered(&self) -> bool {
        self.filter_count() > 0 || !self.q.trim().is_empty()
    }

    /// This list's address, from its first page.
    pub fn href(&self) -> String {
        let pairs = [
            ("q", &self.q),
            ("made_from", &self.made_from),
            ("made_to", &self.made_to),
            ("from", &self.from),
            ("to", &self.to),
            ("status", &self.status),
            ("owner", &self.owner),
            ("sort", &self.sort),
            ("after", &self.after),
        ];
        let query: Vec<String> = pairs
            .iter()
            .filter(|(_, value)| !value.trim().is_empty())
            .map(|(key, value)| format!("{key}={}", crate::ui::url::encode_component(value.trim())))
            .collect();
        if query.is_empty() { PATH.to_owned() } else { format!("{PATH}?{}", query.join("&")) }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookingListRow {
    pub id: i64,
    /// In the viewer's zone: "Mon 7 Dec 2026, 10:00–10:30".
    pub when: String,
    /// The day it was booked, in the viewer's zone: "3 Dec 2026".
    pub made: String,
    /// The client's name, else the guest's.
    pub who: String,
    pub client_id: Option<i64>,
    pub booking_type: String,
    pub subject: String,
    /// For an admin looking at everyone's: whose booking it is.
    pub owner_name: Option<String>,
    pub status: BookingStatus,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookingListPage {
    pub rows: Vec<BookingListRow>,
    /// The next page's cursor.
    pub next: Option<String>,
    /// Bookings matching the filters on every page, counted up to [`COUNT_CAP`] (then one more).
    pub total: u64,
    /// Everyone, for an admin's owner select; empty for others.
    pub owners: Vec<(i64, String)>,
    pub timezone: String,
}

impl BookingListPage {
    /// "1 booking", "25 bookings", "10,000+ bookings".
    pub fn total_label(&self) -> String {
        let count = crate::shared::numbers::group_thousands(self.total.min(COUNT_CAP));
        let plus = if self.total > COUNT_CAP { "+" } else { "" };
        let noun = if self.total == 1 { "booking" } else { "bookings" };
        format!("{count}{plus} {noun}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_does_not_parse_falls_back_and_links_keep_the_filters() {
        assert_eq!(Sort::parse("made"), Sort { key: SortKey::Made, descending: false });
        assert_eq!(Sort::parse("-starts"), Sort { key: SortKey::Starts, descending: true });
        assert_eq!(Sort::parse("--made; drop"), Sort { key: SortKey::Starts, descending: true });
        assert_eq!(StatusFilter::parse("no_show"), StatusFilter::One(BookingStatus::NoShow));
        assert_eq!(StatusFilter::parse("attended"), StatusFilter::Attended);
        assert_eq!(StatusFilter::parse("<b>"), StatusFilter::Any);
        let query = BookingListQuery {
            made_from: "2026-10-30".into(),
            status: "no_show".into(),
            owner: "3".into(),
            after: "7.1&x=1".into(),
            ..Default::default()
        };
        assert_eq!(query.href(), "/bookings/list?made_from=2026-10-30&status=no_show&owner=3&after=7.1%26x%3D1");
        assert_eq!(BookingListQuery::default().href(), "/bookings/list");
        assert!(query.is_filtered() && !BookingListQuery::default().is_filtered());
        // The order is not a filter: choosing one shows no filter count.
        let ordered = BookingListQuery { sort: "-starts".into(), ..Default::default() };
        assert_eq!((ordered.filter_count(), query.filter_count()), (0, 3));
        // The search is in sight, not behind the fold: it narrows the list without a badge.
        let searched = BookingListQuery { q: "Ada Lovelace".into(), ..Default::default() };
        assert_eq!((searched.filter_count(), searched.is_filtered()), (0, true));
        assert_eq!(searched.href(), "/bookings/list?q=Ada%20Lovelace");
    }

    #[test]
    fn the_count_says_when_it_stopped_counting() {
        let page = |total| BookingListPage { rows: vec![], next: None, total, owners: vec![], timezone: "UTC".into() };
        assert_eq!(page(1).total_label(), "1 booking");
        assert_eq!(page(10_000).total_label(), "10,000 bookings");
        assert_eq!(page(10_001).total_label(), "10,000+ bookings");
    }
}
