//! Checks an uploaded file before anything is stored: UTF-8 text, a header row with distinct,
//! non-blank names, CSV that parses to the end, and no binary garbage. A file that fails gets one
//! clear message; a file that passes is stored as text and parsed again by the worker.
use super::model::PREVIEW_ROWS;

/// Columns beyond this are surely not a client list.
pub const MAX_COLUMNS: usize = 200;
const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// What a good file holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedFile {
    /// The file without its byte-order mark.
    pub text: String,
    pub header: Vec<String>,
    pub row_count: u64,
    pub preview: Vec<Vec<String>>,
}

/// Why a file was refused; the message is for the user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileProblem {
    #[error("The file is empty.")]
    Empty,
    #[error("The file is not UTF-8 text (save it as \"CSV UTF-8\").")]
    NotUtf8,
    #[error("The file is not a CSV file: line {line} contains binary data.")]
    Binary { line: u64 },
    #[error("The file has no header row: its first line must name the columns.")]
    NoHeader,
    #[error("Column {column} of the header row has no name.")]
    BlankHeader { column: usize },
    #[error("The header row names \"{name}\" twice: each column needs its own name.")]
    DuplicateHeader { name: String },
    #[error("The file has more than {MAX_COLUMNS} columns.")]
    TooManyColumns,
    #[error("The file has a header row but no rows to import.")]
    NoRows,
    #[error("The file is not valid CSV near line {line}: {reason}.")]
    Malformed { line: u64, reason: String },
}

/// A CSV reader over the stored text, as the check and the worker both read it: the first
/// record is the header, rows may have fewer or more cells than the header.
pub fn reader(text: &str) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new().has_headers(true).flexible(true).from_reader(text.as_bytes())
}

/// Control characters other than tab, line feed and carriage return do not occur in text files.
fn binary_line(text: &str) -> Option<u64> {
    let position = text.find(|c: char| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))?;
    Some(text[..position].matches('\n').count() as u64 + 1)
}

fn malformed(error: &csv::Error) -> FileProblem {
    let line = error.position().map(|position| position.line()).unwrap_or(1);
    let reason = match error.kind() {
        csv::ErrorKind::Utf8 { .. } => "it is not UTF-8 text".to_owned(),
        csv::ErrorKind::UnequalLengths { .. } => "rows have different numbers of cells".to_owned(),
        other => format!("{other:?}").chars().take(120).collect(),
    };
    FileProblem::Malformed { line, reason }
}

/// Checks the bytes of an upload; see the module comment.
pub fn check(bytes: &[u8]) -> Result<CheckedFile, FileProblem> {
    let bytes = bytes.strip_prefix(UTF8_BOM).unwrap_or(bytes);
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(FileProblem::Empty);
    }
    let text = std::str::from_utf8(bytes).map_err(|_| FileProblem::NotUtf8)?;
    if let Some(line) = binary_line(text) {
        return Err(FileProblem::Binary { line });
    }
    let mut reader = reader(text);
    let header: Vec<String> =
        reader.headers().map_err(|error| malformed(&error))?.iter().map(|name| name.trim().to_owned()).collect();
    if header.iter().all(String::is_empty) {
        return Err(FileProblem::NoHeader);
    }
    if header.len() > MAX_COLUMNS {
        return Err(FileProblem::TooManyColumns);
    }
    if let Some(column) = header.iter().position(String::is_empty) {
        return Err(FileProblem::BlankHeader { column: column + 1 });
    }
    for (i, name) in header.iter().enumerate() {
        if header[..i].iter().any(|earlier| earlier.eq_ignore_ascii_case(name)) {
            return Err(FileProblem::DuplicateHeader { name: name.clone() });
        }
    }
    let mut row_count = 0u64;
    let mut preview = Vec::new();
    let mut record = csv::StringRecord::new();
    while reader.read_record(&mut record).map_err(|error| malformed(&error))? {
        if record.iter().all(|cell| cell.trim().is_empty()) {
            continue;
        }
        if preview.len() < PREVIEW_ROWS {
            preview.push(record.iter().map(str::to_owned).collect());
        }
        row_count += 1;
    }
    if row_count == 0 {
        return Err(FileProblem::NoRows);
    }
    Ok(CheckedFile { text: text.to_owned(), header, row_count, preview })
}

/// A blank line in a spreadsheet export is not a row: the checker does not count it and the
/// worker does not import it.
pub fn is_blank(record: &csv::StringRecord) -> bool {
    record.iter().all(|cell| cell.trim().is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_good_file_with_a_bom_and_ragged_rows_passes() {
        let file =
            check(b"\xEF\xBB\xBFName,Email\nAna,ana@example.com\n\nBea\n\"Caio, Jr\",c@example.com,extra\n").unwrap();
        assert_eq!(file.header, vec!["Name", "Email"]);
        assert_eq!(file.row_count, 3);
        assert_eq!(file.preview[2], vec!["Caio, Jr", "c@example.com", "extra"]);
        assert!(file.text.starts_with("Name"));
    }

    #[test]
    fn bad_files_get_a_specific_message() {
        assert_eq!(check(b""), Err(FileProblem::Empty));
        assert_eq!(check(b"  \n\n"), Err(FileProblem::Empty));
        assert_eq!(check(b"Name\n\xff\xfeAna\n"), Err(FileProblem::NotUtf8));
        assert_eq!(check(b"Name\nAna\nB\x00b\n"), Err(FileProblem::Binary { line: 3 }));
        assert_eq!(check(b",,\nAna,b,c\n"), Err(FileProblem::NoHeader));
        assert_eq!(check(b"Name,,Email\nAna,,a@b.c\n"), Err(FileProblem::BlankHeader { column: 2 }));
        assert_eq!(check(b"Name,email,Email\nAna,,\n"), Err(FileProblem::DuplicateHeader { name: "Email".into() }));
        assert_eq!(check(b"Name,Email\n"), Err(FileProblem::NoRows));
        assert!(check(b"Name,Email\n\"Ana,ana@example.com\n").is_ok(), "an unclosed quote ends at the end of the file");
        let garbage: Vec<u8> = (0..10_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8).collect();
        assert!(check(&garbage).is_err());
        assert_eq!(FileProblem::NotUtf8.to_string(), "The file is not UTF-8 text (save it as \"CSV UTF-8\").");
    }
}
