//! Checks an uploaded file before anything is stored: UTF-8 text, a header row with distinct,
//! non-blank names, CSV that parses to the end with every quote closed, and no binary garbage. A
//! file that fails gets one clear message; a file that passes is stored as text and parsed again
//! by the worker. The column separator (comma, semicolon or tab) is detected from the header row
//! unless the user chose one.
use super::model::PREVIEW_ROWS;

/// Columns beyond this are surely not a client list.
pub const MAX_COLUMNS: usize = 200;
const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// What a good file holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedFile {
    /// The file without its byte-order mark.
    pub text: String,
    /// The column separator the file was read with.
    pub separator: u8,
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
    #[error(
        "The file is not valid CSV: the quote that opens a cell on line {line} is never closed \
         (a cell that starts with \" must end with \")."
    )]
    UnclosedQuote { line: u64 },
}

/// A CSV reader over the stored text, as the check and the worker both read it: the first
/// record is the header, rows may have fewer or more cells than the header.
pub fn reader(text: &str, separator: u8) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new().has_headers(true).flexible(true).delimiter(separator).from_reader(text.as_bytes())
}

/// The separator of the header row: whichever of comma, semicolon and tab it holds most often
/// outside quotes (a comma when none or a tie).
pub fn detect_separator(text: &str) -> u8 {
    let mut counts = [0usize; 3];
    let mut quoted = false;
    for byte in text.bytes() {
        match byte {
            b'"' => quoted = !quoted,
            b'\n' if !quoted => break,
            b',' if !quoted => counts[0] += 1,
            b';' if !quoted => counts[1] += 1,
            b'\t' if !quoted => counts[2] += 1,
            _ => {}
        }
    }
    let best = counts.iter().copied().max().unwrap_or(0);
    if best == 0 || counts[0] == best {
        b','
    } else if counts[1] == best {
        b';'
    } else {
        b'\t'
    }
}

/// The line on which a quoted cell opens that no quote closes, read as the CSV reader reads it: a
/// quote opens a cell only as its first character, `""` inside is one quote. (The reader itself
/// ends such a cell at the end of the file, swallowing every line after it into one cell.)
pub fn unclosed_quote(text: &str, separator: u8) -> Option<u64> {
    let bytes = text.as_bytes();
    let mut line = 1u64;
    let mut opened_on = 0u64;
    let mut field_start = true;
    let mut quoted = false;
    let mut i = 0;
    while i < bytes.len() {
        let byte = bytes[i];
        if quoted {
            if byte == b'"' {
                if bytes.get(i + 1) == Some(&b'"') {
                    i += 1;
                } else {
                    quoted = false;
                }
            } else if byte == b'\n' {
                line += 1;
            }
        } else if byte == b'"' && field_start {
            quoted = true;
            opened_on = line;
            field_start = false;
        } else if byte == separator || byte == b'\r' {
            field_start = true;
        } else if byte == b'\n' {
            line += 1;
            field_start = true;
        } else {
            field_start = false;
        }
        i += 1;
    }
    quoted.then_some(opened_on)
}

/// The file's own line numbers of records, from their byte offsets: every line feed counts,
/// including those inside quoted cells and blank lines. Asked in increasing order, it counts each
/// byte once.
#[derive(Debug, Default)]
pub struct LineCounter {
    byte: usize,
    line: u64,
}

impl LineCounter {
    pub fn new() -> Self {
        LineCounter { byte: 0, line: 1 }
    }

    /// The line of the byte at `offset` of `text`.
    pub fn line_at(&mut self, text: &str, offset: usize) -> u64 {
        let offset = offset.min(text.len());
        if offset < self.byte {
            *self = LineCounter::new();
        }
        self.line += text.as_bytes()[self.byte..offset].iter().filter(|byte| **byte == b'\n').count() as u64;
        self.byte = offset;
        self.line
    }
}

/// The line where `record` starts in `text`. The reader's position of a record is where it began
/// to read it: before the blank lines it skipped, and before the line feed of a CRLF that ended
/// the previous record. Its first cell starts after those.
pub fn record_line(counter: &mut LineCounter, text: &str, record: &csv::StringRecord) -> u64 {
    let mut offset = record.position().map_or(0, |position| usize::try_from(position.byte()).unwrap_or(usize::MAX));
    let bytes = text.as_bytes();
    while offset < bytes.len() && matches!(bytes[offset], b'\n' | b'\r') {
        offset += 1;
    }
    counter.line_at(text, offset)
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

/// Checks the bytes of an upload with `separator`, or the detected one; see the module comment.
/// Takes the buffer so that the text it returns is that same buffer, not a copy.
pub fn check(mut bytes: Vec<u8>, separator: Option<u8>) -> Result<CheckedFile, FileProblem> {
    if bytes.starts_with(UTF8_BOM) {
        bytes.drain(..UTF8_BOM.len());
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(FileProblem::Empty);
    }
    let text = String::from_utf8(bytes).map_err(|_| FileProblem::NotUtf8)?;
    check_text(text, separator)
}

/// [`check`] of text already known to be UTF-8 without a byte-order mark (a stored file read
/// again with another separator).
pub fn check_text(text: String, separator: Option<u8>) -> Result<CheckedFile, FileProblem> {
    if text.bytes().all(|byte| byte.is_ascii_whitespace()) {
        return Err(FileProblem::Empty);
    }
    if let Some(line) = binary_line(&text) {
        return Err(FileProblem::Binary { line });
    }
    let separator = separator.unwrap_or_else(|| detect_separator(&text));
    if let Some(line) = unclosed_quote(&text, separator) {
        return Err(FileProblem::UnclosedQuote { line });
    }
    let (header, row_count, preview) = read_rows(&text, separator)?;
    Ok(CheckedFile { text, separator, header, row_count, preview })
}

/// A file's header, number of rows and first rows.
type Rows = (Vec<String>, u64, Vec<Vec<String>>);

/// The header, the number of rows and the first rows of a file that passed the byte checks.
fn read_rows(text: &str, separator: u8) -> Result<Rows, FileProblem> {
    let mut reader = reader(text, separator);
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
    Ok((header, row_count, preview))
}

/// The first rows of the start of a stored file (its first chunk): a record cut by the end of
/// the chunk is left out unless the chunk is the whole file.
pub fn preview_rows(start: &str, separator: u8, whole: bool) -> Vec<Vec<String>> {
    let mut reader = reader(start, separator);
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut record = csv::StringRecord::new();
    while rows.len() <= PREVIEW_ROWS {
        match reader.read_record(&mut record) {
            Ok(true) if is_blank(&record) => {}
            Ok(true) => rows.push(record.iter().map(str::to_owned).collect()),
            _ => break,
        }
    }
    if !whole && rows.len() <= PREVIEW_ROWS {
        // The last record read may be cut by the end of the chunk.
        rows.pop();
    }
    rows.truncate(PREVIEW_ROWS);
    rows
}

/// A blank line in a spreadsheet export is not a row: the checker does not count it and the
/// worker does not import it.
pub fn is_blank(record: &csv::StringRecord) -> bool {
    record.iter().all(|cell| cell.trim().is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checked(bytes: &[u8]) -> Result<CheckedFile, FileProblem> {
        check(bytes.to_vec(), None)
    }

    #[test]
    fn a_good_file_with_a_bom_and_ragged_rows_passes() {
        let file = check(
            b"\xEF\xBB\xBFName,Email\nAna,ana@example.com\n\nBea\n\"Caio, Jr\",c@example.com,extra\n".to_vec(),
            None,
        )
        .unwrap();
        assert_eq!(file.header, vec!["Name", "Email"]);
        assert_eq!(file.row_count, 3);
        assert_eq!(file.preview[2], vec!["Caio, Jr", "c@example.com", "extra"]);
        assert!(file.text.starts_with("Name"));
    }

    #[test]
    fn bad_files_get_a_specific_message() {
        assert_eq!(checked(b""), Err(FileProblem::Empty));
        assert_eq!(checked(b"  \n\n"), Err(FileProblem::Empty));
        assert_eq!(checked(b"Name\n\xff\xfeAna\n"), Err(FileProblem::NotUtf8));
        assert_eq!(checked(b"Name\nAna\nB\x00b\n"), Err(FileProblem::Binary { line: 3 }));
        assert_eq!(checked(b",,\nAna,b,c\n"), Err(FileProblem::NoHeader));
        assert_eq!(checked(b"Name,,Email\nAna,,a@b.c\n"), Err(FileProblem::BlankHeader { column: 2 }));
        assert_eq!(checked(b"Name,email,Email\nAna,,\n"), Err(FileProblem::DuplicateHeader { name: "Email".into() }));
        assert_eq!(checked(b"Name,Email\n"), Err(FileProblem::NoRows));
        assert_eq!(
            checked(b"Name,Email\nAna,a@example.com\n\"Bea,b@example.com\nCaio,c@example.com\n"),
            Err(FileProblem::UnclosedQuote { line: 3 }),
            "an unclosed quote would swallow the rest of the file into one cell"
        );
        let garbage: Vec<u8> = (0..10_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8).collect();
        assert!(checked(&garbage).is_err());
        assert_eq!(FileProblem::NotUtf8.to_string(), "The file is not UTF-8 text (save it as \"CSV UTF-8\").");
    }

    #[test]
    fn quotes_are_read_as_the_csv_reader_reads_them() {
        assert_eq!(unclosed_quote("a,\"b\nc\",d\n\"e\"\"\"\n", b','), None, "closed across lines, doubled quotes");
        assert_eq!(unclosed_quote("a,b\"c\n", b','), None, "a quote inside a cell is a character");
        assert_eq!(unclosed_quote("a;\"b\nc;d\n", b';'), Some(1));
        assert_eq!(unclosed_quote("a,b\n\n\"x\"\"\n", b','), Some(3), "an escaped quote does not close");
    }

    #[test]
    fn the_separator_is_detected_from_the_header() {
        let semicolons = checked("Name;Email;Notes\nAna;ana@example.com;\"1,5 kg\"\n".as_bytes()).unwrap();
        assert_eq!((semicolons.separator, semicolons.header.len()), (b';', 3));
        assert_eq!(semicolons.preview[0][2], "1,5 kg");
        let tabs = checked(b"Name\tEmail\nAna, Jr\tana@example.com\n").unwrap();
        assert_eq!((tabs.separator, tabs.preview[0][0].as_str()), (b'\t', "Ana, Jr"));
        assert_eq!(detect_separator("\"A;B\",C\n"), b',');
        assert_eq!(detect_separator("Name\n"), b',');
        let forced = check(b"Name;Email\nAna;a@b.c\n".to_vec(), Some(b',')).unwrap();
        assert_eq!(forced.header, vec!["Name;Email"]);
    }

    #[test]
    fn record_lines_are_the_files_own_lines() {
        let text = "Name,Notes\n\nAna,\"two\nlines\"\r\n\nBea,x\n";
        let mut reader = reader(text, b',');
        let mut counter = LineCounter::new();
        let lines: Vec<u64> = reader
            .records()
            .map(|record| record.unwrap())
            .filter(|record| !is_blank(record))
            .map(|record| record_line(&mut counter, text, &record))
            .collect();
        assert_eq!(lines, vec![3, 6]);
    }

    #[test]
    fn the_preview_leaves_out_a_record_cut_by_the_chunk() {
        assert_eq!(preview_rows("A,B\n1,2\n3,", b',', false), vec![vec!["1", "2"]]);
        assert_eq!(preview_rows("A,B\n1,2\n3,", b',', true).len(), 2);
    }
}
