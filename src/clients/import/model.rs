//! CSV imports as the pages and server functions see them: the fields a column can fill, the
//! guess of which column fills which field, and the import's settings and progress. Shared by the
//! server and the WASM client, so the mapping page previews rows with the server's own rules.
use serde::{Deserialize, Serialize};

use crate::clients::model::ClientForm;

/// The client fields a CSV column can fill: (key, label). The name is required.
pub const IMPORT_FIELDS: [(&str, &str); 8] = [
    ("name", "Name"),
    ("email", "Email"),
    ("phone", "Phone"),
    ("company", "Company"),
    ("position", "Position"),
    ("external_id", "External id"),
    ("status", "Status"),
    ("notes", "Notes"),
];

/// What makes a row a duplicate of an existing client: (value, label).
pub const DUPLICATE_KEYS: [(&str, &str); 4] = [
    ("none", "Nothing: always add a new client"),
    ("email", "The same email"),
    ("phone", "The same phone"),
    ("external_id", "The same external id"),
];

pub const ON_DUPLICATE: [(&str, &str); 2] = [("skip", "Skip the row"), ("update", "Update the existing client")];

/// The fields a duplicate can replace one by one; notes are always added to, never replaced.
pub const REPLACEABLE: [&str; 7] = ["name", "email", "phone", "company", "position", "external_id", "status"];

/// Column separators a file may use: (value, byte, label). Excel writes semicolons where the
/// decimal separator is a comma (much of Europe), and "Unicode text" with tabs.
pub const SEPARATORS: [(&str, u8, &str); 3] =
    [("comma", b',', "Comma (,)"), ("semicolon", b';', "Semicolon (;)"), ("tab", b'\t', "Tab")];

/// The byte of a stored separator value; a comma for anything unknown.
pub fn separator_byte(value: &str) -> u8 {
    SEPARATORS.iter().find(|(key, _, _)| *key == value).map_or(b',', |(_, byte, _)| *byte)
}

/// The stored value of a separator byte.
pub fn separator_value(byte: u8) -> &'static str {
    SEPARATORS.iter().find(|(_, b, _)| *b == byte).map_or("comma", |(key, _, _)| *key)
}

/// Imports a user may keep waiting to be started: more is refused until one is started or discarded.
pub const MAX_DRAFTS_PER_USER: u64 = 3;
/// The bytes of files a user may keep stored at once (files of finished imports are dropped).
pub const MAX_STORED_BYTES_PER_USER: u64 = 100 * 1024 * 1024;
/// A draft not started within this many hours is deleted.
pub const DRAFT_HOURS: i64 = 24;
/// Imports listed in the history of the upload page.
pub const HISTORY_LENGTH: u64 = 10;

/// Import states, in order: mapped and started by the user, then run by the worker.
pub const STATUS_DRAFT: &str = "draft";
pub const STATUS_QUEUED: &str = "queued";
pub const STATUS_RUNNING: &str = "running";
pub const STATUS_DONE: &str = "done";
pub const STATUS_FAILED: &str = "failed";

/// The largest file accepted, in bytes.
pub const MAX_UPLOAD_BYTES: usize = 50 * 1024 * 1024;
/// Rows shown on the mapping page.
pub const PREVIEW_ROWS: usize = 5;

pub fn field_label(field: &str) -> &'static str {
    IMPORT_FIELDS.iter().find(|(key, _)| *key == field).map(|(_, label)| *label).unwrap_or("Field")
}

/// Lower-case letters and digits only: "E-mail Address" and "email_address" compare equal.
fn normalise(header: &str) -> String {
    header.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_lowercase()).collect()
}

/// Header names (normalised) that mean `field`, best first.
fn synonyms(field: &str) -> &'static [&'static str] {
    match field {
        "name" => &["name", "fullname", "clientname", "contactname", "contact", "client", "lead", "leadname"],
        "email" => &["email", "emailaddress", "mail", "emails"],
        "phone" => &["phone", "phonenumber", "telephone", "tel", "mobile", "mobilephone", "cell", "cellphone"],
        "company" => &["company", "companyname", "organisation", "organization", "business", "account"],
        "position" => &["position", "title", "jobtitle", "role", "job"],
        "external_id" => &["externalid", "extid", "contactid", "ghlid", "ghlcontactid", "crmid"],
        "status" => &["status", "stage", "pipelinestage", "leadstatus"],
        "notes" => &["notes", "note", "comments", "comment", "description"],
        _ => &[],
    }
}

/// For every field of [`IMPORT_FIELDS`], the column it is guessed to come from; a column is
/// guessed for one field at most.
pub fn guess_mapping(header: &[String]) -> Vec<Option<usize>> {
    let normalised: Vec<String> = header.iter().map(|name| normalise(name)).collect();
    let mut taken = vec![false; header.len()];
    IMPORT_FIELDS
        .iter()
        .map(|(field, _)| {
            let found = synonyms(field)
                .iter()
                .find_map(|synonym| normalised.iter().enumerate().position(|(i, name)| !taken[i] && name == synonym));
            if let Some(column) = found {
                taken[column] = true;
            }
            found
        })
        .collect()
}

/// A cell as the importer reads it. The exporter puts an apostrophe before cells that a
/// spreadsheet would run as a formula (see `clients::export`); it is taken off again here, so an
/// exported file imports back unchanged.
pub fn cell_value(cell: &str) -> &str {
    let trimmed = cell.trim();
    match trimmed.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t', '\r']) => rest,
        _ => trimmed,
    }
}

/// The client form a row fills with `mapping` (one column per field of [`IMPORT_FIELDS`]).
pub fn row_form(row: &[String], mapping: &[Option<usize>], strategy_id: &str) -> ClientForm {
    let value = |field: usize| -> String {
        mapping
            .get(field)
            .copied()
            .flatten()
            .and_then(|column| row.get(column))
            .map(|cell| cell_value(cell).to_owned())
            .unwrap_or_default()
    };
    ClientForm {
        name: value(0),
        email: value(1),
        phone: value(2),
        company: value(3),
        position: value(4),
        external_id: value(5),
        status: value(6).to_lowercase(),
        notes: value(7),
        strategy_id: strategy_id.to_owned(),
    }
}

/// The first problem of a row, in words: "Email: Enter an email address like name@example.com."
pub fn row_problem(form: &ClientForm) -> Option<String> {
    let errors = form.validate().err()?;
    let message = IMPORT_FIELDS
        .iter()
        .filter_map(|(field, label)| errors.get(*field).map(|message| format!("{label}: {message}")))
        .collect::<Vec<_>>()
        .join(" ");
    Some(if message.is_empty() { "Check the strategy chosen for new clients.".to_owned() } else { message })
}

/// The mapping page's choices, as the form posts them: a column index (or "") per field.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportSettings {
    #[serde(default)]
    pub col_name: String,
    #[serde(default)]
    pub col_email: String,
    #[serde(default)]
    pub col_phone: String,
    #[serde(default)]
    pub col_company: String,
    #[serde(default)]
    pub col_position: String,
    #[serde(default)]
    pub col_external_id: String,
    #[serde(default)]
    pub col_status: String,
    #[serde(default)]
    pub col_notes: String,
    #[serde(default)]
    pub strategy_id: String,
    #[serde(default)]
    pub duplicate_key: String,
    #[serde(default)]
    pub on_duplicate: String,
    /// A checkbox: present ("on", "true") when a duplicate replaces the client's values; absent,
    /// a duplicate only fills the client's empty fields (and adds to its notes).
    #[serde(default)]
    pub replace_existing: String,
    /// Checkboxes per field of [`REPLACEABLE`]: replace this field's existing values.
    #[serde(default)]
    pub replace_name: String,
    #[serde(default)]
    pub replace_email: String,
    #[serde(default)]
    pub replace_phone: String,
    #[serde(default)]
    pub replace_company: String,
    #[serde(default)]
    pub replace_position: String,
    #[serde(default)]
    pub replace_external_id: String,
    #[serde(default)]
    pub replace_status: String,
}

fn checked(value: &str) -> bool {
    matches!(value.trim(), "on" | "true" | "1" | "yes")
}

impl ImportSettings {
    /// The posted column of each field of [`IMPORT_FIELDS`], in order.
    pub fn replaces_existing(&self) -> bool {
        checked(&self.replace_existing)
    }

    /// The fields of [`REPLACEABLE`] whose box is checked, in that order.
    pub fn replaced_fields(&self) -> Vec<&'static str> {
        let boxes = [
            &self.replace_name,
            &self.replace_email,
            &self.replace_phone,
            &self.replace_company,
            &self.replace_position,
            &self.replace_external_id,
            &self.replace_status,
        ];
        REPLACEABLE.iter().zip(boxes).filter(|(_, value)| checked(value)).map(|(field, _)| *field).collect()
    }

    pub fn columns(&self) -> [&str; 8] {
        [
            &self.col_name,
            &self.col_email,
            &self.col_phone,
            &self.col_company,
            &self.col_position,
            &self.col_external_id,
            &self.col_status,
            &self.col_notes,
        ]
    }
}

/// How far an import has got.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportProgress {
    pub status: String,
    pub row_count: u64,
    pub processed: u64,
    pub created: u64,
    pub updated: u64,
    pub skipped: u64,
    pub failed: u64,
    /// Why a failed import stopped.
    pub error: Option<String>,
}

impl ImportProgress {
    pub fn is_active(&self) -> bool {
        self.status == STATUS_QUEUED || self.status == STATUS_RUNNING
    }
}

/// Everything the mapping and progress page shows.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportView {
    pub id: i64,
    pub file_name: String,
    pub header: Vec<String>,
    /// The first rows of the file, as raw cells.
    pub preview: Vec<Vec<String>>,
    /// The chosen (or guessed) column of each field of [`IMPORT_FIELDS`].
    pub mapping: Vec<Option<usize>>,
    pub strategy_id: Option<i64>,
    pub duplicate_key: String,
    pub on_duplicate: String,
    pub replace_existing: bool,
    /// Fields of [`REPLACEABLE`] replaced one by one.
    pub replace_fields: Vec<String>,
    /// `comma`, `semicolon` or `tab` (see [`SEPARATORS`]).
    pub separator: String,
    pub strategies: Vec<crate::clients::model::StrategyChoice>,
    pub progress: ImportProgress,
}

/// One line of the import history: an import's file, when, and what it did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportSummary {
    pub id: i64,
    pub file_name: String,
    /// When it was uploaded, in the user's time zone.
    pub at: String,
    pub progress: ImportProgress,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(names: &[&str]) -> Vec<String> {
        names.iter().map(|name| name.to_string()).collect()
    }

    #[test]
    fn columns_are_guessed_from_common_header_names() {
        let mapping = guess_mapping(&header(&["Full Name", "E-mail Address", "Mobile", "Organization", "Stage", "X"]));
        assert_eq!(mapping, vec![Some(0), Some(1), Some(2), Some(3), None, None, Some(4), None]);
        let mapping = guess_mapping(&header(&["EMAIL", "name", "Email"]));
        assert_eq!(mapping[0], Some(1));
        assert_eq!(mapping[1], Some(0), "the first matching column wins");
    }

    #[test]
    fn rows_fill_the_form_and_neutralised_cells_come_back() {
        let row = header(&["Ana", "'+351 912 345 678", " ANA@EXAMPLE.COM ", "WON"]);
        let mapping = vec![Some(0), Some(2), Some(1), None, None, None, Some(3), None];
        let form = row_form(&row, &mapping, "7");
        assert_eq!(form.phone, "+351 912 345 678");
        assert_eq!(form.status, "won");
        assert_eq!(row_problem(&form), None);
        assert_eq!(cell_value("'hello"), "'hello");
        let bad = row_form(&header(&["", "x"]), &mapping, "7");
        let problem = row_problem(&bad).unwrap();
        assert!(problem.starts_with("Name: "), "{problem}");
        assert!(problem.contains("Phone: "), "{problem}");
    }
}
