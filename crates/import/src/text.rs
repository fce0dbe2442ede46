//! A small uploaded text file (the network's CSV or `.fjs`) as a string: UTF-8 with or
//! without a BOM, or Shift_JIS as Excel saves a CSV on Japanese Windows. Anything else
//! (an empty file, a binary file, bytes valid in neither encoding) is refused with a
//! Japanese sentence, so that nothing is imported from it.

/// Why an uploaded file is not text this reader accepts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    #[error("ファイルが空です。中身のあるファイルを選んでください。")]
    Empty,
    #[error(
        "テキストファイルではありません（ExcelのブックやPDFなどは読めません）。CSVは「CSV UTF-8」または「CSV（コンマ区切り）」で保存してください。"
    )]
    Binary,
    #[error("文字コードを判別できません。UTF-8 または Shift_JIS で保存してください。")]
    Encoding,
}

/// Decodes an uploaded file, deciding between UTF-8 and Shift_JIS from the data: valid
/// UTF-8 is almost never Shift_JIS Japanese (see the list readers' reasoning).
pub fn decode(bytes: &[u8]) -> Result<String, TextError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(TextError::Empty);
    }
    // NUL and other control bytes (except tab and line ends) do not occur in CSV or
    // .fjs text in either encoding; they mark a binary file such as an XLSX or an image.
    if bytes
        .iter()
        .any(|&b| (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r')) || b == 0x7f)
    {
        return Err(TextError::Binary);
    }
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text.to_owned(),
        Err(_) => encoding_rs::SHIFT_JIS
            .decode_without_bom_handling_and_without_replacement(bytes)
            .map(|text| text.into_owned())
            .ok_or(TextError::Encoding)?,
    };
    // Blank in Unicode's sense too: a file of full-width spaces (U+3000, as a Japanese
    // keyboard types them) is as empty as one of ASCII spaces.
    if text.trim().is_empty() {
        return Err(TextError::Empty);
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shift_jis_as_excel_saves_it_reads_as_japanese() {
        let (bytes, _, _) = encoding_rs::SHIFT_JIS.encode("案件,案件名\r\nJ1,試作\r\n");
        assert_eq!(decode(&bytes).unwrap(), "案件,案件名\r\nJ1,試作\r\n");
    }

    #[test]
    fn utf8_with_a_bom_loses_the_bom() {
        assert_eq!(decode("\u{feff}案件".as_bytes()).unwrap(), "案件");
    }

    /// Found by `fuzz/` (target `list_csv`): the two bytes `81 40`, a full-width space
    /// in Shift_JIS, were returned as text although the file is blank.
    #[test]
    fn a_file_of_full_width_spaces_is_empty_in_either_encoding() {
        assert_eq!(decode(b"\x81\x40"), Err(TextError::Empty));
        assert_eq!(
            decode("\u{3000}\r\n\u{3000}".as_bytes()),
            Err(TextError::Empty)
        );
        assert_eq!(
            decode("\u{feff} \u{3000}".as_bytes()),
            Err(TextError::Empty)
        );
    }

    #[test]
    fn empty_binary_and_undecodable_files_are_refused() {
        assert_eq!(decode(b""), Err(TextError::Empty));
        assert_eq!(decode(b" \r\n"), Err(TextError::Empty));
        assert_eq!(decode(b"PK\x03\x04\x00\x00"), Err(TextError::Binary));
        assert_eq!(decode(b"\x80\x80\xff"), Err(TextError::Encoding));
    }
}
