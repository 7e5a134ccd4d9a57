//! Splitting a records file into header and rows, and spotting the truncated last
//! row a killed run leaves behind.
//!
//! The writer (which repairs the file) and the reader (which skips the row) share
//! this so they agree on what "truncated" means: the file does not end with a
//! newline, or its last row has fewer fields than the header.

use csv::ByteRecord;

/// A records file split into CSV rows.
pub(crate) struct Rows {
    /// The first row, if any.
    pub header: Option<ByteRecord>,
    /// Every complete row after the header.
    pub rows: Vec<ByteRecord>,
    /// The incomplete last row (possibly the header itself), if any.
    pub truncated: Option<Truncated>,
}

/// Where an incomplete last row starts, and why it counts as incomplete.
pub(crate) struct Truncated {
    /// Byte offset of the row's start: truncating the file here removes it.
    pub byte: u64,
    /// 1-based line number of the row's start.
    pub line: u64,
    /// Whether the truncated row is the header (then there are no rows at all).
    pub is_header: bool,
    /// Why the row counts as truncated, in words.
    pub reason: &'static str,
}

/// Splits `bytes` into CSV rows (records with a leading header row).
pub(crate) fn split_rows(bytes: &[u8]) -> Result<Rows, csv::Error> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut all = Vec::new();
    let mut record = ByteRecord::new();
    while reader.read_byte_record(&mut record)? {
        all.push(record.clone());
    }
    let mut truncated = None;
    let ends_with_newline = bytes.ends_with(b"\n");
    let header_len = all.first().map_or(0, ByteRecord::len);
    if let Some(last) = all.last() {
        let is_header = all.len() == 1;
        let reason = if !ends_with_newline {
            Some("no trailing newline")
        } else if !is_header && last.len() < header_len {
            Some("too few fields")
        } else {
            None
        };
        if let Some(reason) = reason {
            let (byte, line) = last.position().map_or((0, 1), |p| (p.byte(), p.line()));
            truncated = Some(Truncated {
                byte,
                line,
                is_header,
                reason,
            });
            all.pop();
        }
    }
    let mut iter = all.into_iter();
    let header = iter.next();
    Ok(Rows {
        header,
        rows: iter.collect(),
        truncated,
    })
}

/// The header's column names as text, with a UTF-8 byte-order mark stripped
/// (spreadsheets add one); invalid UTF-8 is replaced rather than rejected, since a
/// header that is not UTF-8 will fail the column check anyway.
pub(crate) fn header_names(header: &ByteRecord) -> Vec<String> {
    header
        .iter()
        .enumerate()
        .map(|(i, field)| {
            let field = if i == 0 {
                field.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(field)
            } else {
                field
            };
            String::from_utf8_lossy(field).into_owned()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn complete_file_has_no_truncation() {
        let rows = split_rows(b"a,b\n1,2\n3,4\n").unwrap();
        assert_eq!(rows.rows.len(), 2);
        assert!(rows.truncated.is_none());
    }

    #[test]
    fn missing_newline_marks_last_row() {
        let rows = split_rows(b"a,b\n1,2\n3,").unwrap();
        assert_eq!(rows.rows.len(), 1);
        let t = rows.truncated.unwrap();
        assert_eq!(t.byte, 8);
        assert_eq!(t.line, 3);
        assert!(!t.is_header);
    }

    #[test]
    fn too_few_fields_marks_last_row() {
        let rows = split_rows(b"a,b\n1,2\n3\n").unwrap();
        assert_eq!(rows.rows.len(), 1);
        assert_eq!(rows.truncated.unwrap().reason, "too few fields");
    }

    #[test]
    fn partial_header_is_truncated_header() {
        let rows = split_rows(b"a,").unwrap();
        assert!(rows.header.is_none());
        let t = rows.truncated.unwrap();
        assert!(t.is_header);
        assert_eq!(t.byte, 0);
    }

    #[test]
    fn quoted_newline_inside_truncated_row() {
        // A killed write inside a quoted field that itself holds a newline.
        let rows = split_rows(b"a,b\n1,2\n3,\"x\ny").unwrap();
        assert_eq!(rows.rows.len(), 1);
        assert_eq!(rows.truncated.unwrap().byte, 8);
    }

    #[test]
    fn bom_is_stripped() {
        let rows = split_rows(b"\xEF\xBB\xBFa,b\n").unwrap();
        assert_eq!(header_names(&rows.header.unwrap()), vec!["a", "b"]);
    }
}
