//! Lists as CSV (UTF-8 with BOM, so that Excel opens Japanese correctly) and XLSX:
//! staff keep their lists in spreadsheets. One table shape serves every list.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use rust_xlsxwriter::{Format, Workbook};

use crate::WebError;

/// A list to export: a header row and rows of text cells.
#[derive(Debug, Clone, Default)]
pub struct Table {
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// The formats a list exports to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Csv,
    Xlsx,
}

impl Table {
    pub fn new(headers: &[&str]) -> Table {
        Table {
            headers: headers.iter().map(|h| (*h).to_owned()).collect(),
            rows: Vec::new(),
        }
    }

    pub fn csv(&self) -> Result<Vec<u8>, WebError> {
        let mut writer = csv::Writer::from_writer(vec![0xEF, 0xBB, 0xBF]);
        writer.write_record(&self.headers).map_err(internal)?;
        for row in &self.rows {
            writer.write_record(row).map_err(internal)?;
        }
        writer
            .into_inner()
            .map_err(|e| WebError::Internal(e.to_string()))
    }

    pub fn xlsx(&self, sheet_name: &str) -> Result<Vec<u8>, WebError> {
        let mut workbook = Workbook::new();
        let bold = Format::new().set_bold();
        let sheet = workbook.add_worksheet();
        sheet.set_name(sheet_name).map_err(internal)?;
        for (col, header) in self.headers.iter().enumerate() {
            sheet
                .write_string_with_format(0, col_index(col), header, &bold)
                .map_err(internal)?;
        }
        for (r, row) in self.rows.iter().enumerate() {
            let r = u32::try_from(r + 1).map_err(internal)?;
            for (c, cell) in row.iter().enumerate() {
                // Numbers stay numbers, so that staff can sum KPI columns.
                match cell.parse::<f64>() {
                    Ok(number)
                        if !cell.starts_with('0') || cell == "0" || cell.starts_with("0.") =>
                    {
                        sheet
                            .write_number(r, col_index(c), number)
                            .map_err(internal)?
                    }
                    _ => sheet
                        .write_string(r, col_index(c), cell)
                        .map_err(internal)?,
                };
            }
        }
        sheet.set_freeze_panes(1, 0).map_err(internal)?;
        sheet.autofit();
        workbook.save_to_buffer().map_err(internal)
    }

    /// The download response for `filename` (without extension).
    pub fn download(
        &self,
        format: ExportFormat,
        filename: &str,
        sheet_name: &str,
    ) -> Result<Response, WebError> {
        let (bytes, content_type, extension) = match format {
            ExportFormat::Csv => (self.csv()?, "text/csv; charset=utf-8", "csv"),
            ExportFormat::Xlsx => (
                self.xlsx(sheet_name)?,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "xlsx",
            ),
        };
        Ok(attachment(
            bytes,
            content_type,
            &format!("{filename}.{extension}"),
        ))
    }
}

/// A download of `bytes` saved as `file_name` (ASCII: keys, not titles).
fn attachment(bytes: Vec<u8>, content_type: &'static str, file_name: &str) -> Response {
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{file_name}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

/// Personal data exported on request, as an indented JSON download `{filename}.json`.
pub fn json_download(data: &impl serde::Serialize, filename: &str) -> Result<Response, WebError> {
    let bytes = serde_json::to_vec_pretty(data).map_err(internal)?;
    Ok(attachment(
        bytes,
        "application/json; charset=utf-8",
        &format!("{filename}.json"),
    ))
}

fn col_index(col: usize) -> u16 {
    u16::try_from(col).unwrap_or(u16::MAX)
}

fn internal(error: impl std::fmt::Display) -> WebError {
    WebError::Internal(format!("export: {error}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Table {
        let mut table = Table::new(&["団体", "KPI", "値"]);
        table.rows.push(vec![
            "川口商工会議所".into(),
            "延べ商談数".into(),
            "58".into(),
        ]);
        table
    }

    #[test]
    fn csv_starts_with_a_bom_and_keeps_japanese() {
        let bytes = table().csv().unwrap();
        assert_eq!(&bytes[..3], &[0xEF, 0xBB, 0xBF]);
        let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
        assert_eq!(text, "団体,KPI,値\n川口商工会議所,延べ商談数,58\n");
    }

    #[test]
    fn xlsx_is_a_zip_workbook() {
        let bytes = table().xlsx("施策").unwrap();
        assert_eq!(&bytes[..2], b"PK");
    }
}
