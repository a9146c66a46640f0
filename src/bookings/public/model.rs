//! What the public pages show and send, shared by the server and the browser.
use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::bookings::model::{BookingStatus, Guest, LocationKind, Slot};

/// The longest note a visitor may leave.
pub const MAX_GUEST_NOTE_CHARS: usize = 2_000;
/// How many days of free slots the public page offers at once (the type's own rolling window may
/// be shorter).
pub const SLOT_DAYS: i64 = 42;

/// A booking type as the public sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicType {
    pub name: String,
    pub slug: String,
    pub duration_min: u32,
    pub location_kind: LocationKind,
    pub description: String,
}

impl PublicType {
    pub fn location_label(&self) -> &'static str {
        match self.location_kind {
            LocationKind::Phone => "Phone call",
            LocationKind::Video => "Video call",
            LocationKind::Address => "In person",
            LocationKind::Text => "Details follow",
        }
    }
}

/// `/book/{slug}[/{type}]`: whose page, their types, and the chosen type's free slots in the
/// visitor's zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicPage {
    pub owner_name: String,
    pub slug: String,
    /// False when the owner's account is disabled or their bookings are switched off.
    pub open: bool,
    pub types: Vec<PublicType>,
    pub chosen: Option<PublicType>,
    /// The zone the slots are shown in.
    pub timezone: String,
    /// Why the asked-for zone was not used.
    pub timezone_error: Option<String>,
    /// The zones the visitor may choose.
    pub timezones: Vec<String>,
    pub slots: Vec<Slot>,
    /// Whether confirmations are sent by e-mail.
    pub email_enabled: bool,
}

/// What the visitor types on the booking form.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct GuestForm {
    pub name: String,
    pub email: String,
    pub phone: String,
    pub note: String,
}

impl GuestForm {
    /// The guest, or a message per field; the note is returned trimmed beside it.
    pub fn validate(&self) -> Result<(Guest, String), BTreeMap<String, String>> {
        let mut errors = BTreeMap::new();
        if let Err(message) = crate::users::model::validate_name(&self.name) {
            errors.insert("name".to_owned(), message);
        }
        if let Err(message) = crate::users::model::validate_email(&self.email) {
            errors.insert("email".to_owned(), message.to_owned());
        }
        if let Err(message) = crate::clients::model::validate_phone(&self.phone) {
            errors.insert("phone".to_owned(), message.to_owned());
        }
        if self.note.trim().chars().count() > MAX_GUEST_NOTE_CHARS {
            errors.insert("note".to_owned(), format!("Use at most {MAX_GUEST_NOTE_CHARS} characters."));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let guest = Guest {
            name: self.name.trim().to_owned(),
            email: self.email.trim().to_owned(),
            phone: self.phone.trim().to_owned(),
        };
        Ok((guest, self.note.trim().to_owned()))
    }
}

/// `/booking/{token}`: one booking, as the person who made it sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManageView {
    pub token: String,
    pub owner_name: String,
    pub type_name: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    /// "Mon 1 Mar 2027, 10:00–10:30".
    pub when: String,
    /// The zone `when` and the slots are told in.
    pub timezone: String,
    pub status: BookingStatus,
    pub cancel_reason: String,
    pub location: String,
    pub guest_name: String,
    pub email_enabled: bool,
    /// Whether it can still be moved or cancelled here.
    pub changeable: bool,
    /// Free slots to move it to (its type's, its own time aside).
    pub slots: Vec<Slot>,
    pub timezones: Vec<String>,
}

/// The signed-in user's public booking link and calendar feed (the settings section).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookingLinks {
    pub slug: String,
    /// `/book/{slug}`.
    pub page_path: String,
    /// `/calendar/{token}.ics`.
    pub feed_path: String,
    pub booking_enabled: bool,
}

/// The dates of `slots` in order, each once.
pub fn slot_dates(slots: &[Slot]) -> Vec<NaiveDate> {
    let mut dates: Vec<NaiveDate> = slots.iter().map(|slot| slot.date).collect();
    dates.dedup();
    dates
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guest_forms_name_each_bad_field() {
        let form =
            GuestForm { name: " Ana ".into(), email: "ana@example.com".into(), phone: "".into(), note: " Hi ".into() };
        let (guest, note) = form.validate().unwrap();
        assert_eq!((guest.name.as_str(), note.as_str()), ("Ana", "Hi"));
        let bad = GuestForm {
            name: String::new(),
            email: "ana@".into(),
            phone: "call me".into(),
            note: "x".repeat(MAX_GUEST_NOTE_CHARS + 1),
        };
        let errors = bad.validate().unwrap_err();
        assert_eq!(errors.keys().map(String::as_str).collect::<Vec<_>>(), ["email", "name", "note", "phone"]);
    }
}
