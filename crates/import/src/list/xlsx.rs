//! Rows of the first sheet of an XLSX workbook, streamed.
//!
//! calamine's cell reader borrows the workbook, which an iterator cannot own alongside
//! it, so a worker thread owns the workbook and sends rows through a small bounded
//! channel: memory stays at a few dozen rows whatever the sheet's size, and a
//! dropped iterator ends the thread at its next send. A panic inside calamine on a
//! broken file ends the thread, not the caller, and is reported as an unreadable file.
//!
//! The workbook has passed `archive::check_workbook` before it gets here, so calamine
//! reserves and holds only what the budget allows. calamine's errors are English and
//! name its internals; they are told to staff as Japanese sentences ([`reason`]).

use std::io::{Read, Seek};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;

use calamine::{DataRef, Reader as _, Xlsx, XlsxError};

use crate::budget::MAX_CELL_CHARS;

/// Beyond Excel's own limit of 16,384 columns, cells are ignored.
const MAX_COLUMNS: usize = 16_384;

/// Rows in flight between the worker and the reader. A row can be as wide as
/// [`MAX_COLUMNS`] cells (a cell in column XFD makes it 16,384 strings, 400 KB of
/// empty `String`s), so the channel is kept short: 32 such rows are 13 MB.
const ROWS_IN_FLIGHT: usize = 32;

/// A message from the worker.
pub(crate) enum Message {
    /// A row: its 1-based sheet row number and its cells as text.
    Row(u64, Vec<String>),
    /// The workbook or sheet cannot be read.
    Failed(String),
}

pub(crate) struct XlsxRows {
    receiver: Receiver<Message>,
    worker: Option<JoinHandle<()>>,
    last_row: u64,
}

impl XlsxRows {
    pub(crate) fn spawn<RS: Read + Seek + Send + 'static>(source: RS) -> std::io::Result<Self> {
        let (sender, receiver) = sync_channel(ROWS_IN_FLIGHT);
        let worker = std::thread::Builder::new()
            .name("import-xlsx".to_owned())
            .spawn(move || read_sheet(source, &sender))?;
        Ok(XlsxRows {
            receiver,
            worker: Some(worker),
            last_row: 0,
        })
    }

    /// The sheet row a failure is reported on: the one after the last row read.
    pub(crate) fn failure_row(&self) -> u64 {
        self.last_row + 1
    }

    /// The next message; a worker that stopped without saying why (a panic) is
    /// reported as a failure once.
    pub(crate) fn next_message(&mut self) -> Option<Message> {
        match self.receiver.recv() {
            Ok(message) => {
                if let Message::Row(row, _) = &message {
                    self.last_row = *row;
                }
                Some(message)
            }
            Err(_) => {
                let worker = self.worker.take()?;
                match worker.join() {
                    Ok(()) => None,
                    Err(_) => Some(Message::Failed("読み込み中に異常終了しました".to_owned())),
                }
            }
        }
    }
}

fn cell_text(value: &DataRef<'_>) -> String {
    match value {
        DataRef::Int(i) => i.to_string(),
        DataRef::Float(f) => {
            // Excel keeps every number as a float: 13-digit 法人番号 and years read back
            // as integers, not as "7000012050002.0" or "7.000012050002e12".
            if f.fract() == 0.0 && f.abs() < 1e15 {
                format!("{}", *f as i64)
            } else {
                f.to_string()
            }
        }
        DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => s.clone(),
        DataRef::SharedString(s) => (*s).to_owned(),
        DataRef::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_owned(),
        DataRef::DateTime(dt) => {
            let (y, m, d, ..) = dt.to_ymd_hms_milli();
            format!("{y:04}-{m:02}-{d:02}")
        }
        DataRef::Error(_) | DataRef::Empty => String::new(),
    }
}

/// A Japanese sentence for why calamine could not read the workbook.
fn reason(error: &XlsxError) -> String {
    match error {
        XlsxError::Zip(zip::result::ZipError::FileNotFound)
        | XlsxError::FileNotFound(_)
        | XlsxError::RelationshipNotFound
        | XlsxError::WorksheetNotFound(_)
        | XlsxError::NotAWorksheet(_) => {
            "ブックに必要な部品がありません。ZIPファイルやCSVではなく、Excelで保存したブック（.xlsx）を選んでください".to_owned()
        }
        XlsxError::Password => "パスワードで保護されています。保護を外して保存し直してください".to_owned(),
        XlsxError::Zip(_) | XlsxError::Io(_) => "ZIPとして壊れています".to_owned(),
        XlsxError::Xml(quick_xml::Error::Escape(_)) => {
            "ブックの中に定義のない文字参照があり、壊れています".to_owned()
        }
        _ => "ブックの中身が壊れているか、Excelのブックではありません。Excelで開いて保存し直してください"
            .to_owned(),
    }
}

fn read_sheet<RS: Read + Seek>(source: RS, sender: &SyncSender<Message>) {
    let fail = |message: String| {
        let _ = sender.send(Message::Failed(message));
    };
    let mut book: Xlsx<RS> = match Xlsx::new(source) {
        Ok(book) => book,
        Err(error) => return fail(reason(&error)),
    };
    let Some(sheet) = book.sheet_names().first().cloned() else {
        return fail("シートがありません".to_owned());
    };
    let mut cells = match book.worksheet_cells_reader(&sheet) {
        Ok(cells) => cells,
        Err(error) => return fail(reason(&error)),
    };
    let mut row_number: Option<u32> = None;
    let mut row: Vec<String> = Vec::new();
    loop {
        match cells.next_cell() {
            Ok(Some(cell)) => {
                let (r, c) = cell.get_position();
                if row_number != Some(r) {
                    if let Some(previous) = row_number
                        && sender
                            .send(Message::Row(
                                u64::from(previous) + 1,
                                std::mem::take(&mut row),
                            ))
                            .is_err()
                    {
                        return;
                    }
                    row_number = Some(r);
                }
                let c = c as usize;
                if c < MAX_COLUMNS {
                    let text = cell_text(cell.get_value());
                    if text.chars().count() > MAX_CELL_CHARS {
                        return fail(
                            "1つのセルの文字が多すぎます（Excelの上限の32,767文字までです）"
                                .to_owned(),
                        );
                    }
                    if !text.is_empty() {
                        if row.len() <= c {
                            row.resize(c + 1, String::new());
                        }
                        row[c] = text;
                    }
                }
            }
            Ok(None) => {
                if let Some(previous) = row_number {
                    let _ = sender.send(Message::Row(u64::from(previous) + 1, row));
                }
                return;
            }
            Err(error) => return fail(reason(&error)),
        }
    }
}
