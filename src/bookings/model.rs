//! Booking types that cross the wire, shared by the server and the browser.
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

pub const MAX_SUBJECT_CHARS: usize = 300;
pub const MAX_LOCATION_CHARS: usize = 300;
pub const MAX_NOTES_CHARS: usize = 5_000;
pub const MAX_CANCEL_REASON_CHARS: usize = 500;
pub const MAX_TYPE_NAME_CHARS: usize = 100;
pub const MAX_DESCRIPTION_CHARS: usize = 2_000;
/// The longest range free slots are computed for at once.
pub const MAX_SLOT_RANGE_DAYS: i64 = 62;
/// The name and slug of the type every account starts with.
pub const DEFAULT_TYPE_NAME: &str = "30-minute call";
pub const DEFAULT_TYPE_SLUG: &str = "30-minute-call";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BookingStatus {
    Pending,
    Confirmed,
    Cancelled,
    Completed,
    NoShow,
}

impl BookingStatus {
    pub const ACTIVE: [&'static str; 2] = ["pending", "confirmed"];

    pub fn as_str(self) -> &'static str {
        match self {
            BookingStatus::Pending => "pending",
            BookingStatus::Confirmed => "confirmed",
            BookingStatus::Cancelled => "cancelled",
            BookingStatus::Completed => "completed",
            BookingStatus::NoShow => "no_show",
        }
    }

    pub fn parse(text: &str) -> Option<BookingStatus> {
        Some(match text {
            "pending" => BookingStatus::Pending,
            "confirmed" => BookingStatus::Confirmed,
            "cancelled" => BookingStatus::Cancelled,
            "completed" => BookingStatus::Completed,
            "no_show" => BookingStatus::NoShow,
            _ => return None,
        })
    }

    /// Active bookings hold their time; the others do not.
    pub fn is_active(self) -> bool {
        matches!(self, BookingStatus::Pending | BookingStatus::Confirmed)
    }
}

/// How a meeting of a booking type takes place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LocationKind {
    Phone,
    Video,
    Address,
    Text,
}

impl LocationKind {
    pub fn as_str(self) -> &'static str {
        match self {
            LocationKind::Phone => "phone",
            LocationKind::Video => "video",
            LocationKind::Address => "address",
            LocationKind::Text => "text",
        }
    }

    pub fn parse(text: &str) -> Option<LocationKind> {
        Some(match text {
            "phone" => LocationKind::Phone,
            "video" => LocationKind::Video,
            "address" => LocationKind::Address,
            "text" => LocationKind::Text,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Booking {
    pub id: i64,
    pub owner_id: i64,
    pub client_id: Option<i64>,
    pub booking_type_id: Option<i64>,
    /// The type's name when it was booked.
    pub booking_type: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    /// Including the type's buffers.
    pub blocked_from: DateTime<Utc>,
    pub blocked_until: DateTime<Utc>,
    /// The booker's zone.
    pub timezone: String,
    pub location: String,
    pub subject: String,
    pub notes: String,
    pub status: BookingStatus,
    pub cancel_reason: String,
    pub sequence: i32,
}

/// A booking type (Cal.com's event type). Minutes unless named otherwise.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookingType {
    pub id: i64,
    pub owner_id: i64,
    pub name: String,
    pub slug: String,
    pub duration_min: u32,
    pub slot_interval_min: u32,
    pub buffer_before_min: u32,
    pub buffer_after_min: u32,
    pub min_notice_min: u32,
    pub rolling_days: u32,
    pub max_per_day: Option<u32>,
    pub location_kind: LocationKind,
    pub location_value: String,
    pub description: String,
    pub active: bool,
}

impl BookingType {
    /// Its editable fields, as the form shows them.
    pub fn fields(&self) -> BookingTypeFields {
        let t = self.clone();
        BookingTypeFields {
            name: t.name,
            slug: t.slug,
            duration_min: t.duration_min,
            slot_interval_min: t.slot_interval_min,
            buffer_before_min: t.buffer_before_min,
            buffer_after_min: t.buffer_after_min,
            min_notice_min: t.min_notice_min,
            rolling_days: t.rolling_days,
            max_per_day: t.max_per_day,
            location_kind: t.location_kind,
            location_value: t.location_value,
            description: t.description,
            active: t.active,
        }
    }
}

/// The editable fields of a booking type, validated by [`BookingTypeFields::validate`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookingTypeFields {
    pub name: String,
    pub slug: String,
    pub duration_min: u32,
    pub slot_interval_min: u32,
    pub buffer_before_min: u32,
    pub buffer_after_min: u32,
    pub min_notice_min: u32,
    pub rolling_days: u32,
    pub max_per_day: Option<u32>,
    pub location_kind: LocationKind,
    #[serde(default)]
    pub location_value: String,
    #[serde(default)]
    pub description: String,
    pub active: bool,
}

impl BookingTypeFields {
    /// The type every account starts with.
    pub fn default_call() -> BookingTypeFields {
        BookingTypeFields {
            name: DEFAULT_TYPE_NAME.to_owned(),
            slug: DEFAULT_TYPE_SLUG.to_owned(),
            duration_min: 30,
            slot_interval_min: 30,
            buffer_before_min: 0,
            buffer_after_min: 0,
            min_notice_min: 120,
            rolling_days: 60,
            max_per_day: None,
            location_kind: LocationKind::Video,
            location_value: String::new(),
            description: String::new(),
            active: true,
        }
    }

    /// Field name -> message; the same bounds as the table's CHECK constraints.
    pub fn validate(&self) -> Result<(), std::collections::BTreeMap<String, String>> {
        let mut errors = std::collections::BTreeMap::new();
        let mut check = |ok: bool, field: &str, message: &str| {
            if !ok {
                errors.insert(field.to_owned(), message.to_owned());
            }
        };
        let name = self.name.trim();
        check(!name.is_empty(), "name", "Enter a name.");
        check(name.chars().count() <= MAX_TYPE_NAME_CHARS, "name", "Use at most 100 characters.");
        check(is_valid_slug(&self.slug), "slug", "Use 1 to 48 lower-case letters, digits and single hyphens.");
        check((5..=1440).contains(&self.duration_min), "duration_min", "Choose 5 minutes to 24 hours.");
        check((5..=1440).contains(&self.slot_interval_min), "slot_interval_min", "Choose 5 minutes to 24 hours.");
        check(self.buffer_before_min <= 1440, "buffer_before_min", "Use at most 24 hours.");
        check(self.buffer_after_min <= 1440, "buffer_after_min", "Use at most 24 hours.");
        check(self.min_notice_min <= 525_600, "min_notice_min", "Use at most a year.");
        check((1..=730).contains(&self.rolling_days), "rolling_days", "Choose 1 to 730 days.");
        check(
            self.max_per_day.is_none_or(|cap| (1..=1_000).contains(&cap)),
            "max_per_day",
            "Choose 1 to 1,000, or no cap.",
        );
        check(
            self.location_value.trim().chars().count() <= MAX_LOCATION_CHARS,
            "location_value",
            "Use at most 300 characters.",
        );
        check(
            self.description.trim().chars().count() <= MAX_DESCRIPTION_CHARS,
            "description",
            "Use at most 2,000 characters.",
        );
        if errors.is_empty() { Ok(()) } else { Err(errors) }
    }
}

/// The booking type form as submitted (every field text, as forms send it; a checkbox is present
/// when ticked). [`BookingTypeForm::parse`] turns it into fields or names what is wrong.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct BookingTypeForm {
    pub name: String,
    pub slug: String,
    pub duration_min: String,
    pub slot_interval_min: String,
    pub buffer_before_min: String,
    pub buffer_after_min: String,
    pub min_notice_min: String,
    pub rolling_days: String,
    /// Empty: no cap.
    pub max_per_day: String,
    pub location_kind: String,
    pub location_value: String,
    pub description: String,
    pub active: Option<String>,
}

impl BookingTypeForm {
    pub fn parse(&self) -> Result<BookingTypeFields, std::collections::BTreeMap<String, String>> {
        let mut errors = std::collections::BTreeMap::new();
        let mut number = |field: &str, text: &str, fallback: u32| -> u32 {
            let text = text.trim();
            if text.is_empty() {
                return fallback;
            }
            text.parse().unwrap_or_else(|_| {
                errors.insert(field.to_owned(), "Enter a whole number.".to_owned());
                fallback
            })
        };
        let defaults = BookingTypeFields::default_call();
        let duration_min = number("duration_min", &self.duration_min, defaults.duration_min);
        let fields = BookingTypeFields {
            name: self.name.trim().to_owned(),
            slug: self.slug.trim().to_owned(),
            duration_min,
            slot_interval_min: number("slot_interval_min", &self.slot_interval_min, duration_min),
            buffer_before_min: number("buffer_before_min", &self.buffer_before_min, 0),
            buffer_after_min: number("buffer_after_min", &self.buffer_after_min, 0),
            min_notice_min: number("min_notice_min", &self.min_notice_min, defaults.min_notice_min),
            rolling_days: number("rolling_days", &self.rolling_days, defaults.rolling_days),
            max_per_day: (!self.max_per_day.trim().is_empty()).then(|| number("max_per_day", &self.max_per_day, 1)),
            location_kind: LocationKind::parse(self.location_kind.trim()).unwrap_or_else(|| {
                errors.insert("location_kind".to_owned(), "Choose phone, video, address or text.".to_owned());
                LocationKind::Text
            }),
            location_value: self.location_value.trim().to_owned(),
            description: self.description.trim().to_owned(),
            active: self.active.as_deref().is_some_and(|value| !value.is_empty() && value != "false"),
        };
        if let Err(more) = fields.validate() {
            for (field, message) in more {
                errors.entry(field).or_insert(message);
            }
        }
        if errors.is_empty() { Ok(fields) } else { Err(errors) }
    }
}

/// Lower-case ASCII letters and digits in groups joined by single hyphens, 1 to 48 characters.
pub fn is_valid_slug(slug: &str) -> bool {
    !slug.is_empty()
        && slug.len() <= 48
        && slug
            .split('-')
            .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()))
}

/// A URL slug made from a name: ASCII letters and digits, common Latin accents folded,
/// other characters as single hyphens; "user" when nothing is left.
pub fn slugify(name: &str) -> String {
    let mut slug = String::new();
    for c in name.chars().flat_map(char::to_lowercase) {
        let folded: &str = match c {
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => "a",
            'ç' | 'ć' | 'č' => "c",
            'ď' | 'đ' => "d",
            'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ė' | 'ę' | 'ě' => "e",
            'ì' | 'í' | 'î' | 'ï' | 'ī' | 'į' => "i",
            'ł' => "l",
            'ñ' | 'ń' | 'ň' => "n",
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ő' => "o",
            'ř' => "r",
            'ś' | 'š' | 'ş' => "s",
            'ß' => "ss",
            'ť' | 'ţ' => "t",
            'ù' | 'ú' | 'û' | 'ü' | 'ū' | 'ů' | 'ű' => "u",
            'ý' | 'ÿ' => "y",
            'ź' | 'ż' | 'ž' => "z",
            'æ' => "ae",
            'œ' => "oe",
            c if c.is_ascii_alphanumeric() => {
                slug.push(c);
                continue;
            }
            _ => "-",
        };
        slug.push_str(folded);
    }
    let mut joined = slug.split('-').filter(|part| !part.is_empty()).collect::<Vec<_>>().join("-");
    joined.truncate(40);
    let joined = joined.trim_end_matches('-');
    if joined.is_empty() { "user".to_owned() } else { joined.to_owned() }
}

/// A user's weekly hours and date overrides as the forms show them: each day's windows as text,
/// "09:00-12:00, 13:00-17:00" (empty: not working).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AvailabilityView {
    pub owner_id: i64,
    pub owner_name: String,
    /// Everyone (id, name), for an admin's owner picker; empty for anyone else.
    pub owners: Vec<(i64, String)>,
    pub timezone: String,
    /// Monday first.
    pub weekly: Vec<String>,
    /// From today on, by date.
    pub overrides: Vec<DateOverride>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DateOverride {
    pub date: NaiveDate,
    /// Empty: a day off.
    pub hours: String,
}

/// The weekly hours form: one text field per day (see [`parse_hours`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct WeeklyHoursForm {
    pub mon: String,
    pub tue: String,
    pub wed: String,
    pub thu: String,
    pub fri: String,
    pub sat: String,
    pub sun: String,
}

impl WeeklyHoursForm {
    /// Monday first, with the field names.
    pub fn days(&self) -> [(&'static str, &str); 7] {
        [
            ("mon", &self.mon),
            ("tue", &self.tue),
            ("wed", &self.wed),
            ("thu", &self.thu),
            ("fri", &self.fri),
            ("sat", &self.sat),
            ("sun", &self.sun),
        ]
    }
}

pub const MAX_WINDOWS_PER_DAY: usize = 6;

fn minutes_of(text: &str) -> Option<u16> {
    if text == "24:00" { Some(1440) } else { crate::users::profile::parse_time(text) }
}

/// "09:00-12:00, 13:00-17:00" as minutes from midnight, in order; "" is no window. Windows may
/// not overlap; "24:00" ends a day.
pub fn parse_hours(text: &str) -> Result<Vec<(u16, u16)>, String> {
    let mut windows = Vec::new();
    for part in text.split(',').map(str::trim).filter(|part| !part.is_empty()) {
        let parsed =
            part.split_once('-').and_then(|(start, end)| Some((minutes_of(start.trim())?, minutes_of(end.trim())?)));
        match parsed {
            Some((start, end)) if start < end => windows.push((start, end)),
            Some(_) => return Err(format!("{part}: the end must be after the start.")),
            None => return Err(format!("{part}: write hours like 09:00-12:00, 13:00-17:00.")),
        }
    }
    if windows.len() > MAX_WINDOWS_PER_DAY {
        return Err(format!("Use at most {MAX_WINDOWS_PER_DAY} windows a day."));
    }
    windows.sort_unstable();
    if windows.windows(2).any(|pair| pair[1].0 < pair[0].1) {
        return Err("The windows overlap.".to_owned());
    }
    Ok(windows)
}

pub fn format_hours(windows: &[(u16, u16)]) -> String {
    let time = |minutes: u16| format!("{:02}:{:02}", minutes / 60, minutes % 60);
    windows.iter().map(|(start, end)| format!("{}-{}", time(*start), time(*end))).collect::<Vec<_>>().join(", ")
}

/// A free slot. `date` and `time` are the start in the viewer's zone, for grouping and labels.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Slot {
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub date: NaiveDate,
    /// "09:30".
    pub time: String,
}

/// A booking to create. Without a type, `ends_at` gives the length (no buffers).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct NewBooking {
    pub owner_id: i64,
    pub booking_type_id: Option<i64>,
    pub client_id: Option<i64>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: Option<DateTime<Utc>>,
    /// The booker's IANA zone.
    pub timezone: String,
    pub subject: String,
    pub location: String,
    pub notes: String,
}

/// Who books on the public page: their name, email and (optional) phone, checked by
/// [`crate::bookings::public::model::GuestForm::validate`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Guest {
    pub name: String,
    pub email: String,
    pub phone: String,
}

/// What may be edited on a booking without moving it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct BookingDetails {
    pub subject: String,
    pub location: String,
    pub notes: String,
}

/// How a booking that took place went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Completed,
    NoShow,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_readable_and_valid() {
        assert_eq!(slugify("João  Silva"), "joao-silva");
        assert_eq!(slugify("Ana-María O'Neil!"), "ana-maria-o-neil");
        assert_eq!(slugify("李小龙"), "user");
        for name in ["João  Silva", "--", &"ab ".repeat(40)] {
            assert!(is_valid_slug(&slugify(name)), "{name}");
        }
        assert!(!is_valid_slug("a--b") && !is_valid_slug("-a") && !is_valid_slug("A"));
    }

    #[test]
    fn booking_type_forms_parse_or_name_each_field() {
        let form = BookingTypeForm {
            name: "Demo".into(),
            slug: "demo".into(),
            duration_min: "45".into(),
            max_per_day: "3".into(),
            location_kind: "video".into(),
            active: Some("on".into()),
            ..Default::default()
        };
        let fields = form.parse().unwrap();
        assert_eq!(
            (fields.duration_min, fields.slot_interval_min, fields.max_per_day, fields.active),
            (45, 45, Some(3), true)
        );
        let bad = BookingTypeForm {
            duration_min: "soon".into(),
            slug: "Demo!".into(),
            location_kind: "pigeon".into(),
            ..form
        };
        let errors = bad.parse().unwrap_err();
        assert_eq!(errors.keys().map(String::as_str).collect::<Vec<_>>(), ["duration_min", "location_kind", "slug"]);
    }

    #[test]
    fn hours_parse_and_format_back() {
        assert_eq!(parse_hours("13:00-17:00, 09:00-12:00"), Ok(vec![(540, 720), (780, 1020)]));
        assert_eq!(format_hours(&[(540, 720), (780, 1440)]), "09:00-12:00, 13:00-24:00");
        assert_eq!(parse_hours(" "), Ok(vec![]));
        assert!(parse_hours("09:00-12:00, 11:00-13:00").is_err());
        assert!(parse_hours("12:00-09:00").is_err());
        assert!(parse_hours("nine to five").is_err());
    }

    #[test]
    fn the_default_type_is_valid() {
        assert_eq!(BookingTypeFields::default_call().validate(), Ok(()));
    }
}
