//! What the client page shows: the profile, bookings, the conversation and the activity
//! timeline. Times arrive formatted in the viewer's time zone, so the browser needs no calendar code.
use serde::{Deserialize, Serialize};

/// Messages or activity entries per page of the client page.
pub const TIMELINE_PAGE_SIZE: u64 = 20;
/// Bookings shown on the client page, latest first; the bookings page has the rest.
pub const CLIENT_BOOKINGS_SHOWN: u64 = 20;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientDetail {
    pub id: i64,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub company: Option<String>,
    pub position: Option<String>,
    pub external_id: Option<String>,
    pub status: String,
    /// The notes given when the client was added (by hand or by an import, which appends to
    /// them); later notes are entries of the notes log.
    pub initial_notes: String,
    pub strategy_id: i64,
    pub strategy_name: String,
    pub owner_name: String,
    /// The viewer's time zone, in which every time on the page is given.
    pub timezone: String,
    pub created_at: String,
    pub last_activity_at: String,
    pub bookings: Vec<BookingRow>,
    /// More bookings exist than [`CLIENT_BOOKINGS_SHOWN`].
    pub more_bookings: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookingRow {
    pub id: i64,
    pub subject: String,
    pub booking_type: String,
    pub starts_at: String,
    pub ends_at: String,
    pub location: Option<String>,
    pub status: String,
}

/// One entry of a client's notes log.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoteEntry {
    pub id: i64,
    pub author: String,
    pub at: String,
    pub body: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageRow {
    pub id: i64,
    /// `client`, `ai`, `agent` or `system`.
    pub role: String,
    pub body: String,
    pub channel: String,
    pub sent_at: String,
}

/// Who wrote a message, as the conversation shows it.
pub fn role_label(role: &str) -> &'static str {
    match role {
        "client" => "Lead",
        "ai" => "AI persona",
        "agent" => "Agent",
        _ => "System",
    }
}

/// One entry of the audit log, ready to read: "Ana changed Status: Lead → Won".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivityEntry {
    pub id: i64,
    pub at: String,
    /// The actor's name, or "System" for changes nobody made by hand.
    pub actor: String,
    /// "created", "changed" or "deleted".
    pub verb: String,
    /// One line per changed field.
    pub changes: Vec<String>,
}

/// A page of a latest-first timeline, with the cursors of the newer and older pages.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelinePage<T> {
    pub items: Vec<T>,
    pub newer: Option<String>,
    pub older: Option<String>,
}

/// Where a timeline page starts: after `newer`'s cursor going back in time (`older`), or
/// before it going forward (`newer`). Both empty: the latest page.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineQuery {
    #[serde(default)]
    pub older: String,
    #[serde(default)]
    pub newer: String,
}
