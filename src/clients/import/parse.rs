//! Checks an uploaded file before anything is stored: UTF-8 text, a header row with distinct,
//! non-blank names, CSV that parses to the end with every quote closed, and no binary garbage. A
//! file that fails gets one clear message; a file that passes is stored as text and parsed again
//! by the worker. The column separator (comma, semicolon or tab) is detected from the header row
//! unless the user chose one.
use super::{
    model::PREVIEW_ROWS,
    stream::{QuoteTracker, Record, RecordReader, SeparatorCounter},
};

/// Columns beyond this are surely not a client list.
pub const MAX_COLUMNS: usize = 200;
const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

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
    #[error(
        "The file is not valid CSV: the quote that opens a cell on line {line} is never closed \
         (a cell that starts with \" must end with \")."
    )]
    UnclosedQuote { line: u64 },
}

/// The separator of the header row: whichever of comma, semicolon and tab it holds most often
/// outside quotes (a comma when none or a tie).
pub fn detect_separator(text: &str) -> u8 {
    let mut counter = SeparatorCounter::default();
    counter.read(text);
    counter.separator()
}

/// The line on which a quoted cell opens that no quote closes (see [`QuoteTracker`]).
pub fn unclosed_quote(text: &str, separator: u8) -> Option<u64> {
    let mut tracker = QuoteTracker::new(separator);
    tracker.read(text.as_bytes());
    tracker.unclosed()
}

/// What a check learns of a good file, without its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileSummary {
    pub separator: u8,
    pub header: Vec<String>,
    pub row_count: u64,
    pub preview: Vec<Vec<String>>,
}

/// Checks a file as its bytes arrive (see the module comment), holding no more of it than a
/// record: [`Checker::read`] each piece, which returns its text to store, then
/// [`Checker::finish`]. The first problem found ends the check.
/// The readers of a file whose separator is known.
struct Parser {
    separator: u8,
    records: RecordReader,
    quotes: QuoteTracker,
}

impl Parser {
    fn new(separator: u8) -> Self {
        Parser { separator, records: RecordReader::new(separator), quotes: QuoteTracker::new(separator) }
    }
}

pub struct Checker {
    /// The byte-order mark has been looked for.
    started: bool,
    /// The last bytes of a piece that end in the middle of a character.
    undecoded: Vec<u8>,
    line_feeds: u64,
    blank: bool,
    /// The header row's text while it is incomplete and the separator is to be detected.
    head: String,
    counter: SeparatorCounter,
    parser: Option<Parser>,
    records: Vec<Record>,
    header: Option<Vec<String>>,
    /// The header row was blank while the file was only white space so far: the file is empty,
    /// or, once anything else comes, has no header.
    blank_header: bool,
    row_count: u64,
    preview: Vec<Vec<String>>,
}

impl Checker {
    /// A check with `separator`, or the one detected from the header row.
    pub fn new(separator: Option<u8>) -> Self {
        let mut checker = Checker {
            started: false,
            undecoded: Vec::new(),
            line_feeds: 0,
            blank: true,
            head: String::new(),
            counter: SeparatorCounter::default(),
            parser: None,
            records: Vec::new(),
            header: None,
            blank_header: false,
            row_count: 0,
            preview: Vec::new(),
        };
        if let Some(separator) = separator {
            checker.parser = Some(Parser::new(separator));
        }
        checker
    }

    /// Checks the next bytes of the file; returns the text they complete (without the
    /// byte-order mark; a character cut by the end of the piece waits for the next).
    pub fn read(&mut self, bytes: &[u8]) -> Result<String, FileProblem> {
        let joined;
        let mut bytes = if self.undecoded.is_empty() {
            bytes
        } else {
            joined = [std::mem::take(&mut self.undecoded).as_slice(), bytes].concat();
            joined.as_slice()
        };
        if !self.started {
            if bytes.len() < UTF8_BOM.len() && UTF8_BOM.starts_with(bytes) {
                self.undecoded = bytes.to_vec();
                return Ok(String::new());
            }
            self.started = true;
            bytes = bytes.strip_prefix(UTF8_BOM).unwrap_or(bytes);
        }
        let text = match std::str::from_utf8(bytes) {
            Ok(text) => text,
            Err(error) if error.error_len().is_none() => {
                let (text, rest) = bytes.split_at(error.valid_up_to());
                self.undecoded = rest.to_vec();
                std::str::from_utf8(text).map_err(|_| FileProblem::NotUtf8)?
            }
            Err(_) => return Err(FileProblem::NotUtf8),
        };
        self.check_text(text)?;
        Ok(text.to_owned())
    }

    fn check_text(&mut self, text: &str) -> Result<(), FileProblem> {
        self.blank &= text.bytes().all(|byte| byte.is_ascii_whitespace());
        if self.blank_header && !self.blank {
            return Err(FileProblem::NoHeader);
        }
        if let Some(position) = text.find(|c: char| c.is_control() && !matches!(c, '\t' | '\n' | '\r')) {
            return Err(FileProblem::Binary { line: self.line_feeds + line_feeds(&text[..position]) + 1 });
        }
        self.line_feeds += line_feeds(text);
        if self.parser.is_none() {
            self.counter.read(text);
            self.head.push_str(text);
            if !self.counter.is_complete() {
                return Ok(());
            }
            self.parser = Some(Parser::new(self.counter.separator()));
            let head = std::mem::take(&mut self.head);
            return self.parse(&head);
        }
        self.parse(text)
    }

    fn parse(&mut self, text: &str) -> Result<(), FileProblem> {
        if let Some(parser) = &mut self.parser {
            parser.quotes.read(text.as_bytes());
            parser.records.read(text.as_bytes(), &mut self.records);
        }
        self.take_records()
    }

    fn take_records(&mut self) -> Result<(), FileProblem> {
        for record in std::mem::take(&mut self.records) {
            if self.blank_header {
                continue;
            }
            if self.header.is_none() {
                if record.is_blank() && self.blank {
                    self.blank_header = true;
                    continue;
                }
                self.header = Some(checked_header(&record)?);
            } else if !record.is_blank() {
                if self.preview.len() < PREVIEW_ROWS {
                    self.preview.push(record.cells);
                }
                self.row_count += 1;
            }
        }
        Ok(())
    }

    /// Ends the file: the last checks, and what the file holds.
    pub fn finish(mut self) -> Result<FileSummary, FileProblem> {
        if !self.started {
            let start = std::mem::take(&mut self.undecoded);
            self.started = true;
            self.read(&start)?;
        }
        if !self.undecoded.is_empty() {
            return Err(FileProblem::NotUtf8);
        }
        if self.blank {
            return Err(FileProblem::Empty);
        }
        if self.parser.is_none() {
            self.parser = Some(Parser::new(self.counter.separator()));
            let head = std::mem::take(&mut self.head);
            self.parse(&head)?;
        }
        let Some(mut parser) = self.parser.take() else { return Err(FileProblem::Empty) };
        if let Some(line) = parser.quotes.unclosed() {
            return Err(FileProblem::UnclosedQuote { line });
        }
        parser.records.finish(&mut self.records);
        self.take_records()?;
        let Some(header) = self.header else { return Err(FileProblem::NoHeader) };
        if self.row_count == 0 {
            return Err(FileProblem::NoRows);
        }
        Ok(FileSummary { separator: parser.separator, header, row_count: self.row_count, preview: self.preview })
    }
}

fn line_feeds(text: &str) -> u64 {
    text.bytes().filter(|byte| *byte == b'\n').count() as u64
}

/// The header row's names, trimmed, if they are usable column names.
fn checked_header(record: &Record) -> Result<Vec<String>, FileProblem> {
    let header: Vec<String> = record.cells.iter().map(|name| name.trim().to_owned()).collect();
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
    Ok(header)
}

/// Checks a whole file held in memory (tests, and files read back in one piece).
pub fn check(bytes: &[u8], separator: Option<u8>) -> Result<FileSummary, FileProblem> {
    let mut checker = Checker::new(separator);
    checker.read(bytes)?;
    checker.finish()
}

/// The first rows of the start of a stored file (its first chunk): a record cut by the end of
/// the chunk is left out unless the chunk is the whole file.
pub fn preview_rows(start: &str, separator: u8, whole: bool) -> Vec<Vec<String>> {
    let mut reader = RecordReader::new(separator);
    let mut records = Vec::new();
    reader.read(start.as_bytes(), &mut records);
    if whole {
        reader.finish(&mut records);
    }
    records
        .into_iter()
        .skip(1)
        .filter(|record| !record.is_blank())
        .map(|record| record.cells)
        .take(PREVIEW_ROWS)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checked(bytes: &[u8]) -> Result<FileSummary, FileProblem> {
        check(bytes, None)
    }

    #[test]
    fn a_good_file_with_a_bom_and_ragged_rows_passes() {
        let bytes = b"\xEF\xBB\xBFName,Email\nAna,ana@example.com\n\nBea\n\"Caio, Jr\",c@example.com,extra\n";
        let file = checked(bytes).unwrap();
        assert_eq!(file.header, vec!["Name", "Email"]);
        assert_eq!(file.row_count, 3);
        assert_eq!(file.preview[2], vec!["Caio, Jr", "c@example.com", "extra"]);
        for piece in 1..bytes.len() {
            let mut checker = Checker::new(None);
            let text: String = bytes.chunks(piece).map(|chunk| checker.read(chunk).unwrap()).collect();
            assert_eq!(text.as_bytes(), &bytes[3..], "the text to store, without the mark, in pieces of {piece}");
            assert_eq!(checker.finish().unwrap(), file);
        }
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
        let forced = check(b"Name;Email\nAna;a@b.c\n", Some(b',')).unwrap();
        assert_eq!(forced.header, vec!["Name;Email"]);
    }

    #[test]
    fn the_preview_leaves_out_a_record_cut_by_the_chunk() {
        assert_eq!(preview_rows("A,B\n1,2\n3,", b',', false), vec![vec!["1", "2"]]);
        assert_eq!(preview_rows("A,B\n1,2\n3,", b',', true).len(), 2);
    }
}
