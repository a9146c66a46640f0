//! Clients (leads) as the pages and server functions see them, and the rules a client must
//! follow. Shared by the server and the WASM client, so forms check the same rules instantly.
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::shared::numbers::group_thousands;

/// Pipeline stages in order: (stored value, label).
pub const STATUSES: [(&str, &str); 6] = [
    ("lead", "Lead"),
    ("contacted", "Contacted"),
    ("qualified", "Qualified"),
    ("booked", "Booked"),
    ("won", "Won"),
    ("lost", "Lost"),
];

pub fn is_status(value: &str) -> bool {
    STATUSES.iter().any(|(status, _)| *status == value)
}

pub fn status_label(value: &str) -> &'static str {
    STATUSES.iter().find(|(status, _)| *status == value).map(|(_, label)| *label).unwrap_or("Unknown")
}

pub const MAX_NAME_CHARS: usize = 200;
pub const MAX_EMAIL_CHARS: usize = 254;
pub const MAX_PHONE_CHARS: usize = 32;
pub const MAX_TEXT_CHARS: usize = 200;
pub const MAX_EXTERNAL_ID_CHARS: usize = 100;
pub const MAX_NOTES_CHARS: usize = 20_000;

/// The create/edit form as submitted; every field is text, as a form sends it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientForm {
    pub name: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub company: String,
    #[serde(default)]
    pub position: String,
    #[serde(default)]
    pub external_id: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub strategy_id: String,
    #[serde(default)]
    pub notes: String,
}

/// The validation field of the "already a client" warning on a new client, and the field that
/// holds that client's id.
pub const DUPLICATE_FIELD: &str = "duplicate";
pub const DUPLICATE_ID_FIELD: &str = "duplicate_id";

/// A checked form: trimmed, empty optional fields as `None`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientFields {
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub company: Option<String>,
    pub position: Option<String>,
    pub external_id: Option<String>,
    pub status: String,
    pub strategy_id: i64,
    pub notes: Option<String>,
}

fn optional(value: &str) -> Option<String> {
    let value = value.trim();
    (!value.is_empty()).then(|| value.to_owned())
}

pub fn validate_client_email(email: &str) -> Result<(), &'static str> {
    let email = email.trim();
    if email.is_empty() {
        return Ok(());
    }
    crate::users::model::validate_email(email).map_err(|_| "Enter an email address like name@example.com.")
}

/// Phone numbers as people type them: digits with spaces, dashes, dots, brackets and a leading +;
/// between 7 and 15 digits (E.164 allows at most 15).
pub fn validate_phone(phone: &str) -> Result<(), &'static str> {
    let phone = phone.trim();
    if phone.is_empty() {
        return Ok(());
    }
    let allowed = phone
        .char_indices()
        .all(|(i, c)| c.is_ascii_digit() || matches!(c, ' ' | '-' | '.' | '(' | ')') || (c == '+' && i == 0));
    let digits = phone.chars().filter(char::is_ascii_digit).count();
    if !allowed || !(7..=15).contains(&digits) || phone.chars().count() > MAX_PHONE_CHARS {
        return Err("Enter a phone number like +1 415 555 0100 (7 to 15 digits).");
    }
    Ok(())
}

fn check_length(errors: &mut BTreeMap<String, String>, field: &str, value: &str, max: usize) {
    if value.trim().chars().count() > max {
        errors.insert(field.to_owned(), format!("Use at most {max} characters."));
    }
}

impl ClientForm {
    /// Checks every field; the errors are keyed by field name, with a message for each.
    pub fn validate(&self) -> Result<ClientFields, BTreeMap<String, String>> {
        let mut errors = BTreeMap::new();
        if self.name.trim().is_empty() {
            errors.insert("name".to_owned(), "Enter the client's name.".to_owned());
        }
        check_length(&mut errors, "name", &self.name, MAX_NAME_CHARS);
        if let Err(message) = validate_client_email(&self.email) {
            errors.insert("email".to_owned(), message.to_owned());
        }
        check_length(&mut errors, "email", &self.email, MAX_EMAIL_CHARS);
        if let Err(message) = validate_phone(&self.phone) {
            errors.insert("phone".to_owned(), message.to_owned());
        }
        check_length(&mut errors, "company", &self.company, MAX_TEXT_CHARS);
        check_length(&mut errors, "position", &self.position, MAX_TEXT_CHARS);
        check_length(&mut errors, "external_id", &self.external_id, MAX_EXTERNAL_ID_CHARS);
        check_length(&mut errors, "notes", &self.notes, MAX_NOTES_CHARS);
        let status = if self.status.trim().is_empty() { "lead" } else { self.status.trim() };
        if !is_status(status) {
            errors.insert("status".to_owned(), "Choose a status from the list.".to_owned());
        }
        let strategy_id = self.strategy_id.trim().parse::<i64>().ok().filter(|id| *id > 0);
        if strategy_id.is_none() {
            errors.insert("strategy_id".to_owned(), "Choose the strategy that talks to this client.".to_owned());
        }
        match strategy_id {
            Some(strategy_id) if errors.is_empty() => Ok(ClientFields {
                name: self.name.trim().to_owned(),
                email: optional(&self.email).map(|email| email.to_lowercase()),
                phone: optional(&self.phone),
                company: optional(&self.company),
                position: optional(&self.position),
                external_id: optional(&self.external_id),
                status: status.to_owned(),
                strategy_id,
                notes: optional(&self.notes),
            }),
            _ => Err(errors),
        }
    }
}

/// How the list is sorted. `Activity` is the last message's time, or the creation time of a
/// client without messages.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum SortKey {
    #[default]
    Activity,
    Name,
    Created,
    Status,
}

impl SortKey {
    pub const ALL: [SortKey; 4] = [SortKey::Activity, SortKey::Name, SortKey::Created, SortKey::Status];

    pub fn as_str(self) -> &'static str {
        match self {
            SortKey::Activity => "activity",
            SortKey::Name => "name",
            SortKey::Created => "created",
            SortKey::Status => "status",
        }
    }

    pub fn parse(value: &str) -> Option<SortKey> {
        SortKey::ALL.into_iter().find(|key| key.as_str() == value)
    }

    /// The direction a first click on the column sorts in: newest first, A to Z, pipeline order.
    pub fn natural_direction(self) -> Direction {
        match self {
            SortKey::Activity | SortKey::Created => Direction::Desc,
            SortKey::Name | SortKey::Status => Direction::Asc,
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Direction {
    Asc,
    #[default]
    Desc,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Asc => "asc",
            Direction::Desc => "desc",
        }
    }

    pub fn parse(value: &str) -> Option<Direction> {
        match value {
            "asc" => Some(Direction::Asc),
            "desc" => Some(Direction::Desc),
            _ => None,
        }
    }

    pub fn flipped(self) -> Direction {
        match self {
            Direction::Asc => Direction::Desc,
            Direction::Desc => Direction::Asc,
        }
    }
}

/// What the list shows: filters, sort and the page (a keyset cursor, never an offset). It is the
/// page's URL query, so links can be shared and the back button works.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientQuery {
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub status: String,
    #[serde(default, deserialize_with = "optional_id")]
    pub strategy: Option<i64>,
    /// Admins only: one owner's clients.
    #[serde(default, deserialize_with = "optional_id")]
    pub owner: Option<i64>,
    #[serde(default)]
    pub sort: String,
    #[serde(default)]
    pub dir: String,
    /// Created on or after this day (`YYYY-MM-DD` in the viewer's time zone)...
    #[serde(default)]
    pub from: String,
    /// ...and on or before this one (the dashboard's figures link here).
    #[serde(default)]
    pub to: String,
    /// The page after this cursor...
    #[serde(default)]
    pub after: String,
    /// ...or the page before it.
    #[serde(default)]
    pub before: String,
}

/// An id filter from a form or a query string. Server functions take the query flattened, and
/// through `#[serde(flatten)]` a form value reaches serde as text, never as a number: both are
/// read, and an empty or malformed value is no filter (as in [`ClientQuery::from_pairs`]).
pub fn optional_id<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<i64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Number(i64),
        Text(String),
    }
    Ok(match Option::<Raw>::deserialize(deserializer)? {
        Some(Raw::Number(id)) => Some(id),
        Some(Raw::Text(text)) => text.trim().parse().ok(),
        None => None,
    })
}

impl ClientQuery {
    pub fn sort_key(&self) -> SortKey {
        SortKey::parse(&self.sort).unwrap_or_default()
    }

    pub fn direction(&self) -> Direction {
        Direction::parse(&self.dir).unwrap_or_else(|| self.sort_key().natural_direction())
    }

    pub fn status_filter(&self) -> Option<&str> {
        let status = self.status.trim();
        is_status(status).then_some(status)
    }

    /// The created-on days the query asks for (`from`, `to`), those that are dates.
    #[cfg(feature = "ssr")]
    pub fn created_days(&self) -> (Option<chrono::NaiveDate>, Option<chrono::NaiveDate>) {
        let day = crate::server::local_time::parse_day;
        (day(&self.from), day(&self.to))
    }

    /// Whether the list is narrowed to clients created on some days.
    pub fn has_created_filter(&self) -> bool {
        !self.from.trim().is_empty() || !self.to.trim().is_empty()
    }

    /// The same filters and sort from the first page.
    pub fn first_page(&self) -> ClientQuery {
        ClientQuery { after: String::new(), before: String::new(), ..self.clone() }
    }

    /// `?q=…&status=…`: only the fields that differ from the defaults.
    pub fn to_query_string(&self) -> String {
        let mut pairs: Vec<(&str, String)> = Vec::new();
        let mut push = |key: &'static str, value: String| {
            if !value.is_empty() {
                pairs.push((key, value));
            }
        };
        push("q", self.q.trim().to_owned());
        push("status", self.status_filter().unwrap_or_default().to_owned());
        push("strategy", self.strategy.map(|id| id.to_string()).unwrap_or_default());
        push("owner", self.owner.map(|id| id.to_string()).unwrap_or_default());
        push("from", self.from.trim().to_owned());
        push("to", self.to.trim().to_owned());
        if self.sort_key() != SortKey::default() {
            push("sort", self.sort_key().as_str().to_owned());
        }
        if self.direction() != self.sort_key().natural_direction() {
            push("dir", self.direction().as_str().to_owned());
        }
        push("after", self.after.clone());
        push("before", self.before.clone());
        if pairs.is_empty() {
            return String::new();
        }
        let encoded: Vec<String> =
            pairs.iter().map(|(key, value)| format!("{key}={}", crate::ui::url::encode_component(value))).collect();
        format!("?{}", encoded.join("&"))
    }

    /// Reads the page's URL query; unknown or malformed values fall back to the defaults.
    pub fn from_pairs<'a>(get: impl Fn(&str) -> Option<String> + 'a) -> ClientQuery {
        let id = |key: &str| get(key).and_then(|value| value.trim().parse::<i64>().ok());
        ClientQuery {
            q: get("q").unwrap_or_default(),
            status: get("status").unwrap_or_default(),
            strategy: id("strategy"),
            owner: id("owner"),
            from: get("from").unwrap_or_default(),
            to: get("to").unwrap_or_default(),
            sort: get("sort").unwrap_or_default(),
            dir: get("dir").unwrap_or_default(),
            after: get("after").unwrap_or_default(),
            before: get("before").unwrap_or_default(),
        }
    }
}

/// A strategy filter, which the counters cannot answer, counts up to this many matches exactly;
/// beyond it the list says "10,000+".
pub const COUNT_LIMIT: u64 = 10_000;
/// A search counts up to this many ("1,000+ clients"): each match costs a row read.
pub const SEARCH_COUNT_LIMIT: u64 = 1_000;

/// How many clients a list or a pipeline stage holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Total {
    pub count: u64,
    /// Counting stopped at its limit: there are more than `count`.
    pub capped: bool,
}

impl Total {
    pub fn exact(count: u64) -> Total {
        Total { count, capped: false }
    }

    /// From a count that stopped at `limit` + 1 rows.
    pub fn bounded(counted: u64, limit: u64) -> Total {
        Total { count: counted.min(limit), capped: counted > limit }
    }

    /// "2,345", "212,004" or "10,000+".
    pub fn label(&self) -> String {
        let digits = group_thousands(self.count);
        if self.capped { format!("{digits}+") } else { digits }
    }

    /// One client more or fewer (a card moved between stages). More than the limit less one is
    /// still at least the limit, so a capped total stays as it is.
    pub fn add(&mut self, delta: i64) {
        if !self.capped {
            self.count = self.count.saturating_add_signed(delta);
        }
    }
}
pub const PAGE_SIZE: u64 = 50;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientRow {
    pub id: i64,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub company: Option<String>,
    pub status: String,
    pub strategy_id: i64,
    pub strategy_name: String,
    /// Shown to admins, who see everyone's clients.
    pub owner_name: Option<String>,
    /// Days in the viewer's time zone ("24 Nov 2026").
    pub last_activity_at: String,
    pub created_at: String,
}

/// Quick find (the command palette) answers from this many characters on...
pub const QUICK_FIND_MIN_CHARS: usize = 2;
/// ...with at most this many clients.
pub const QUICK_FIND_LIMIT: u64 = 6;

/// A client found by quick find: enough to recognise and open it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientHit {
    pub id: i64,
    pub name: String,
    /// The company, else the email, else the phone.
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientPage {
    pub rows: Vec<ClientRow>,
    /// Cursor of the next page (`after`), if there is one.
    pub next: Option<String>,
    /// Cursor of the previous page (`before`), if there is one.
    pub prev: Option<String>,
    pub total: Total,
}

impl ClientPage {
    /// "1 client", "212,004 clients", "10,000+ clients".
    pub fn total_label(&self) -> String {
        let noun = if self.total == Total::exact(1) { "client" } else { "clients" };
        format!("{} {noun}", self.total.label())
    }
}

/// A strategy a client can be given: (id, name).
pub type StrategyChoice = (i64, String);

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> ClientForm {
        ClientForm { name: "Ana".into(), strategy_id: "3".into(), ..Default::default() }
    }

    #[test]
    fn a_name_and_a_strategy_are_enough() {
        let fields = form().validate().unwrap();
        assert_eq!((fields.name.as_str(), fields.status.as_str(), fields.strategy_id), ("Ana", "lead", 3));
        assert_eq!(fields.email, None);
    }

    #[test]
    fn every_bad_field_gets_its_own_message() {
        let bad = ClientForm {
            name: " ".into(),
            email: "ana@".into(),
            phone: "12ab".into(),
            status: "maybe".into(),
            strategy_id: "x".into(),
            external_id: "e".repeat(101),
            ..Default::default()
        };
        let errors = bad.validate().unwrap_err();
        for field in ["name", "email", "phone", "status", "strategy_id", "external_id"] {
            assert!(errors.contains_key(field), "{field}: {errors:?}");
        }
    }

    #[test]
    fn phones_are_7_to_15_digits_with_common_punctuation() {
        for good in ["+1 (415) 555-0100", "020 7946 0958", "+351.912.345.678"] {
            assert!(validate_phone(good).is_ok(), "{good}");
        }
        for bad in ["123456", "+1 415 555 0100 0000 1", "555-CALL-NOW", "1+4155550100"] {
            assert!(validate_phone(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_query_string_keeps_only_what_differs_from_the_defaults() {
        assert_eq!(ClientQuery::default().to_query_string(), "");
        let query = ClientQuery {
            q: "acme co".into(),
            status: "won".into(),
            sort: "name".into(),
            dir: "desc".into(),
            ..Default::default()
        };
        let text = query.to_query_string();
        assert_eq!(text, "?q=acme%20co&status=won&sort=name&dir=desc");
        let parsed = ClientQuery::from_pairs(|key| match key {
            "q" => Some("acme co".into()),
            "status" => Some("won".into()),
            "sort" => Some("name".into()),
            "dir" => Some("desc".into()),
            _ => None,
        });
        assert_eq!(parsed, query);
        assert_eq!(ClientQuery { status: "bogus".into(), ..Default::default() }.to_query_string(), "");
    }

    #[test]
    fn totals_beyond_the_limit_are_shown_as_a_lower_bound() {
        let page = |total| ClientPage { rows: vec![], next: None, prev: None, total };
        assert_eq!(page(Total::exact(1)).total_label(), "1 client");
        assert_eq!(page(Total::bounded(2345, COUNT_LIMIT)).total_label(), "2,345 clients");
        assert_eq!(page(Total::exact(212_004)).total_label(), "212,004 clients");
        assert_eq!(page(Total::bounded(10_001, COUNT_LIMIT)).total_label(), "10,000+ clients");
        assert_eq!(page(Total::bounded(10_000, COUNT_LIMIT)).total_label(), "10,000 clients");
        assert_eq!(page(Total::bounded(1_001, SEARCH_COUNT_LIMIT)).total_label(), "1,000+ clients");
    }
}
