//! How much an import may unpack and hold, decided before a parser sees the file.
//!
//! A ZIP or an XLSX states its entries' sizes in its central directory, and a small
//! upload can state absurd ones (a 1 MB ZIP holding 1 GiB of zeros, an XLSX whose
//! `sharedStrings.xml` declares two billion strings so that calamine reserves 48 GB up
//! front). A [`Budget`] bounds what any reader of this crate will decompress, keep in one
//! CSV record, or let calamine preallocate, so that memory per import is bounded by the
//! budget whatever the file says; the readers refuse a file over budget with a Japanese
//! [`OpenError`](crate::OpenError) or, once rows are flowing, an `unreadable` row error.
//!
//! Three budgets are defined: [`Budget::UPLOAD`] for files sent through the web pages
//! (whose body stops at 2 MB) and for fuzzing; [`Budget::COMMAND_LINE_LIST`] for
//! `renkei import companies`; and [`Budget::COMMAND_LINE_NTA`] for `renkei import
//! nta`, which must read the NTA's national file (about 400 MB zipped, 2.5 GB of CSV,
//! 5.5 million rows) and can, because it streams it one record at a time.

/// Limits on what one import may unpack and hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// Entries in a ZIP or XLSX, directories included.
    pub max_entries: usize,
    /// Uncompressed bytes of one entry: declared in the central directory and counted
    /// while it streams, since a declared size can lie.
    pub max_entry_bytes: u64,
    /// Uncompressed bytes of all entries together.
    pub max_total_bytes: u64,
    /// Bytes of one CSV record (one line, or several when a quoted field holds line
    /// breaks): the CSV reader holds a whole record in memory.
    pub max_record_bytes: u64,
    /// Strings of an XLSX shared-string table, all of which calamine keeps in memory
    /// and for which it reserves room from the declared `uniqueCount`.
    pub max_shared_strings: u64,
}

/// Excel's own limit on the characters of one cell; no workbook Excel saves has a
/// longer shared string or cell, so a longer one is refused rather than held.
pub const MAX_CELL_CHARS: usize = 32_767;

/// Bytes between two angle brackets of an XLSX part (one tag, or the text between
/// tags) that the pre-scan accepts. quick-xml buffers one such token whole, so this
/// bounds its buffer; 1 MiB holds a cell of [`MAX_CELL_CHARS`] characters even when
/// every one of them is written as a numeric character reference (`&#x3042;`).
pub const MAX_XML_TOKEN_BYTES: u64 = 1 << 20;

const MIB: u64 = 1 << 20;
const GIB: u64 = 1 << 30;

impl Budget {
    /// For uploads through the web pages, whose request body stops at 2 MB.
    ///
    /// - 1,000 entries: Excel writes 10–30 parts for a workbook; a thousand leaves
    ///   room for many sheets and pictures.
    /// - 32 MiB uncompressed, per entry and in all: CSV and Excel's XML compress five
    ///   to ten times, so a genuine 2 MB file unpacks to 10–20 MB; sixteen times the
    ///   body limit is already past what text compresses to, and far from a bomb.
    /// - 1 MiB per CSV record: an NTA row is about 500 bytes, a staff list row a few
    ///   hundred; a megabyte is two thousand times either.
    /// - 1,000,000 shared strings: a staff list of tens of thousands of rows and a
    ///   few dozen columns has at most that many distinct texts; calamine reserves
    ///   24 bytes per declared string, so the reservation stays under 24 MB.
    pub const UPLOAD: Budget = Budget {
        max_entries: 1_000,
        max_entry_bytes: 32 * MIB,
        max_total_bytes: 32 * MIB,
        max_record_bytes: MIB,
        max_shared_strings: 1_000_000,
    };

    /// For `renkei import companies` on the server: a staff list in a file.
    ///
    /// - 256 MiB uncompressed per entry, 512 MiB in all: the list's rows are gathered
    ///   in memory before the one transaction that writes them, and a sheet of 256 MiB
    ///   of XML is already half a million rows, far beyond any staff list (tens of
    ///   thousands); beyond it is a bomb, not a list.
    /// - The shared-string table, which calamine holds whole, within the same 256 MiB
    ///   and at most 10,000,000 strings (a 240 MB reservation at worst).
    /// - 1 MiB per CSV record, as for uploads.
    pub const COMMAND_LINE_LIST: Budget = Budget {
        max_entries: 1_000,
        max_entry_bytes: 256 * MIB,
        max_total_bytes: 512 * MIB,
        max_record_bytes: MIB,
        max_shared_strings: 10_000_000,
    };

    /// For `renkei import nta` on the server: the NTA's national file.
    ///
    /// - 16 GiB uncompressed: the national file is about 2.5 GB of CSV (5.5 million
    ///   rows, about 400 MB zipped); six times that leaves room for growth. The
    ///   reader streams the CSV to the database in batches, so this bounds time, not
    ///   memory.
    /// - 1 MiB per CSV record, as for uploads: memory stays at one record whatever
    ///   the file's size, and a ZIP of 1 GiB of zeros (one endless line) is refused at
    ///   its first megabyte.
    pub const COMMAND_LINE_NTA: Budget = Budget {
        max_entries: 1_000,
        max_entry_bytes: 16 * GIB,
        max_total_bytes: 16 * GIB,
        max_record_bytes: MIB,
        max_shared_strings: 0,
    };

    /// The most bytes of an XLSX `sharedStrings.xml` accepted: calamine holds every
    /// shared string in memory, so this part is never allowed more than 256 MiB, even
    /// under a budget that lets a streamed entry be larger.
    pub fn shared_strings_bytes(&self) -> u64 {
        self.max_entry_bytes.min(256 * MIB)
    }
}

impl Default for Budget {
    /// The upload budget: the safe one when nothing says otherwise.
    fn default() -> Self {
        Budget::UPLOAD
    }
}
