//! CSV read from text that arrives in pieces: an upload as the network delivers it, a stored file
//! a chunk at a time. Nothing here holds more than one record (and the header line while the
//! separator is not known yet), so a file is checked and imported without being in memory whole.
use csv_core::ReadRecordResult;

/// A record of the file and the file's own line it starts on (every line feed counts, those
/// inside quoted cells and blank lines too).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub line: u64,
    pub cells: Vec<String>,
}

impl Record {
    /// A blank line in a spreadsheet export is not a row: it is neither counted nor imported.
    pub fn is_blank(&self) -> bool {
        self.cells.iter().all(|cell| cell.trim().is_empty())
    }
}

/// Splits text into records as the `csv` crate reads it (quotes, doubled quotes, CR, LF or CRLF
/// line ends, blank lines skipped, rows of any length), whatever the pieces it comes in.
pub struct RecordReader {
    core: csv_core::Reader,
    /// Line feeds read so far.
    newlines: u64,
    /// A record has started and not ended.
    in_record: bool,
    line: u64,
    output: Vec<u8>,
    ends: Vec<usize>,
    written: usize,
    ended: usize,
}

impl RecordReader {
    pub fn new(separator: u8) -> Self {
        RecordReader {
            core: csv_core::ReaderBuilder::new().delimiter(separator).build(),
            newlines: 0,
            in_record: false,
            line: 1,
            output: vec![0; 1024],
            ends: vec![0; 32],
            written: 0,
            ended: 0,
        }
    }

    /// Reads `input`, the next piece of the text, and appends the records it completes.
    pub fn read(&mut self, mut input: &[u8], records: &mut Vec<Record>) {
        while !input.is_empty() {
            if !self.in_record {
                // Line ends between records are skipped here, where they can be counted.
                let skipped = input.iter().take_while(|byte| matches!(byte, b'\r' | b'\n')).count();
                self.newlines += line_feeds(&input[..skipped]);
                input = &input[skipped..];
                if input.is_empty() {
                    break;
                }
                self.in_record = true;
                self.line = self.newlines + 1;
            }
            let (result, consumed) = self.step(input);
            self.newlines += line_feeds(&input[..consumed]);
            input = &input[consumed..];
            if result == ReadRecordResult::Record {
                records.push(self.take());
            }
        }
    }

    /// Ends the text: appends the last record if it had no line end.
    pub fn finish(&mut self, records: &mut Vec<Record>) {
        if !self.in_record {
            return;
        }
        loop {
            match self.step(&[]).0 {
                ReadRecordResult::Record => records.push(self.take()),
                ReadRecordResult::End => return,
                _ => {}
            }
        }
    }

    /// Parses `input` until a record ends or the input does, growing the buffers as needed;
    /// returns the parser's result and the bytes consumed.
    fn step(&mut self, input: &[u8]) -> (ReadRecordResult, usize) {
        let mut consumed = 0;
        loop {
            let (result, read, written, ended) = self.core.read_record(
                &input[consumed..],
                &mut self.output[self.written..],
                &mut self.ends[self.ended..],
            );
            consumed += read;
            self.written += written;
            self.ended += ended;
            match result {
                ReadRecordResult::OutputFull => self.output.resize(self.output.len() * 2, 0),
                ReadRecordResult::OutputEndsFull => self.ends.resize(self.ends.len() * 2, 0),
                other => return (other, consumed),
            }
        }
    }

    fn take(&mut self) -> Record {
        let mut start = 0;
        let cells = self.ends[..self.ended]
            .iter()
            .map(|&end| {
                let cell = String::from_utf8_lossy(&self.output[start..end]).into_owned();
                start = end;
                cell
            })
            .collect();
        self.written = 0;
        self.ended = 0;
        self.in_record = false;
        Record { line: self.line, cells }
    }
}

fn line_feeds(bytes: &[u8]) -> u64 {
    bytes.iter().filter(|byte| **byte == b'\n').count() as u64
}

/// Follows quotes as the CSV reader reads them (a quote opens a cell only as its first
/// character, `""` inside is one quote) to find a quoted cell that no quote closes: the reader
/// would end it at the end of the file, swallowing every line after it into one cell.
#[derive(Debug)]
pub struct QuoteTracker {
    separator: u8,
    line: u64,
    opened_on: u64,
    field_start: bool,
    quoted: bool,
    /// Inside a quoted cell, a quote was the last byte: it closes the cell unless another follows.
    quote_pending: bool,
}

impl QuoteTracker {
    pub fn new(separator: u8) -> Self {
        QuoteTracker { separator, line: 1, opened_on: 0, field_start: true, quoted: false, quote_pending: false }
    }

    pub fn read(&mut self, input: &[u8]) {
        for &byte in input {
            if self.quote_pending {
                self.quote_pending = false;
                if byte == b'"' {
                    continue;
                }
                self.quoted = false;
            }
            if self.quoted {
                match byte {
                    b'"' => self.quote_pending = true,
                    b'\n' => self.line += 1,
                    _ => {}
                }
            } else if byte == b'"' && self.field_start {
                self.quoted = true;
                self.opened_on = self.line;
                self.field_start = false;
            } else if byte == self.separator || byte == b'\r' {
                self.field_start = true;
            } else if byte == b'\n' {
                self.line += 1;
                self.field_start = true;
            } else {
                self.field_start = false;
            }
        }
    }

    /// The line of the quote that opens a cell never closed, at the end of the text.
    pub fn unclosed(&self) -> Option<u64> {
        (self.quoted && !self.quote_pending).then_some(self.opened_on)
    }
}

/// Counts comma, semicolon and tab outside quotes in the header row, to choose the separator.
#[derive(Debug, Default)]
pub struct SeparatorCounter {
    counts: [usize; 3],
    quoted: bool,
    /// The header row has ended.
    complete: bool,
}

impl SeparatorCounter {
    pub fn read(&mut self, text: &str) {
        for byte in text.bytes() {
            if self.complete {
                return;
            }
            match byte {
                b'"' => self.quoted = !self.quoted,
                b'\n' if !self.quoted => self.complete = true,
                b',' if !self.quoted => self.counts[0] += 1,
                b';' if !self.quoted => self.counts[1] += 1,
                b'\t' if !self.quoted => self.counts[2] += 1,
                _ => {}
            }
        }
    }

    pub fn is_complete(&self) -> bool {
        self.complete
    }

    /// Whichever of comma, semicolon and tab the header holds most often (a comma when none or a tie).
    pub fn separator(&self) -> u8 {
        let best = self.counts.iter().copied().max().unwrap_or(0);
        if best == 0 || self.counts[0] == best {
            b','
        } else if self.counts[1] == best {
            b';'
        } else {
            b'\t'
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn records_in_pieces(text: &str, piece: usize) -> Vec<Record> {
        let mut reader = RecordReader::new(b',');
        let mut records = Vec::new();
        for chunk in text.as_bytes().chunks(piece) {
            reader.read(chunk, &mut records);
        }
        reader.finish(&mut records);
        records
    }

    #[test]
    fn records_and_lines_do_not_depend_on_the_pieces() {
        let text = "Name,Notes\n\nAna,\"two\nlines, \"\"quoted\"\"\"\r\n\r\nBea,x\nCaio";
        let whole = records_in_pieces(text, text.len());
        let lines: Vec<(u64, Vec<&str>)> =
            whole.iter().map(|record| (record.line, record.cells.iter().map(String::as_str).collect())).collect();
        assert_eq!(
            lines,
            vec![
                (1, vec!["Name", "Notes"]),
                (3, vec!["Ana", "two\nlines, \"quoted\""]),
                (6, vec!["Bea", "x"]),
                (7, vec!["Caio"]),
            ]
        );
        for piece in 1..text.len() {
            assert_eq!(records_in_pieces(text, piece), whole, "pieces of {piece} bytes");
        }
    }

    #[test]
    fn a_record_cut_by_the_end_of_a_piece_waits_for_the_next() {
        let mut reader = RecordReader::new(b',');
        let mut records = Vec::new();
        reader.read(b"A,B\n1,2\n3,", &mut records);
        assert_eq!(records.len(), 2);
        reader.read(b"4\n", &mut records);
        assert_eq!(records[2].cells, vec!["3", "4"]);
    }

    #[test]
    fn quotes_are_followed_across_pieces() {
        let unclosed = |text: &str, piece: usize| {
            let mut tracker = QuoteTracker::new(b',');
            text.as_bytes().chunks(piece).for_each(|chunk| tracker.read(chunk));
            tracker.unclosed()
        };
        for piece in 1..8 {
            assert_eq!(unclosed("a,\"b\nc\",d\n\"e\"\"\"\n", piece), None);
            assert_eq!(unclosed("a,b\n\n\"x\"\"\n", piece), Some(3));
            assert_eq!(unclosed("a,\"b\"", piece), None, "a quote closing the last cell");
        }
    }
}
