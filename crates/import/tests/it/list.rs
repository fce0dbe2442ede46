use import::list::{self, ListFormat};
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};

/// A staff workbook as people make them: a title-less header with aliases, an unknown
/// column, a 法人番号 typed as a number, a date cell for the founding, a blank row.
fn workbook() -> Vec<u8> {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    let headers = [
        "企業名",
        "法人番号",
        "所在市",
        "従業員数",
        "設立年月日",
        "工程",
        "公開",
        "担当者メモ",
    ];
    for (col, header) in headers.iter().enumerate() {
        sheet.write_string(0, col as u16, *header).unwrap();
    }
    sheet.write_string(1, 0, "株式会社川口鋳造").unwrap();
    sheet.write_number(1, 1, 7000012050002.0).unwrap();
    sheet.write_string(1, 2, "川口市").unwrap();
    sheet.write_number(1, 3, 45.0).unwrap();
    let date = ExcelDateTime::from_ymd(1965, 4, 1).unwrap();
    sheet
        .write_datetime_with_format(1, 4, &date, &Format::new().set_num_format("yyyy/mm/dd"))
        .unwrap();
    sheet.write_string(1, 5, "鋳造、機械加工").unwrap();
    sheet.write_string(1, 6, "○").unwrap();
    sheet.write_string(1, 7, "社長と面談済み").unwrap();
    // Row 3 is left blank.
    sheet.write_string(3, 0, "有限会社岡谷精機").unwrap();
    sheet.write_string(3, 2, "岡谷市").unwrap();
    sheet.write_string(4, 1, "1234567890123").unwrap();
    sheet.write_string(5, 0, "株式会社加賀技研").unwrap();
    sheet.write_string(5, 1, "1000012050002").unwrap();
    book.save_to_buffer().unwrap()
}

#[test]
fn an_xlsx_list_is_read_from_its_first_sheet() {
    let bytes = workbook();
    let reader = list::from_bytes(&bytes, ListFormat::Auto).unwrap();
    assert_eq!(reader.unknown_headers(), ["担当者メモ"]);
    let rows: Vec<_> = reader.collect();
    assert_eq!(rows.len(), 4);

    let first = rows[0].as_ref().unwrap();
    assert_eq!(first.line, 2);
    assert_eq!(first.name, "株式会社川口鋳造");
    assert_eq!(
        first.corporate_number.as_ref().unwrap().as_str(),
        "7000012050002"
    );
    assert_eq!(first.city.as_deref(), Some("川口市"));
    assert_eq!(first.employees.as_ref().unwrap().value, Some(45));
    let founded = first.founded.as_ref().unwrap();
    assert_eq!(
        (founded.raw.as_str(), founded.value),
        ("1965-04-01", Some(1965))
    );
    assert_eq!(first.processes, ["鋳造", "機械加工"]);
    assert_eq!(first.public.as_ref().unwrap().value, Some(true));

    let second = rows[1].as_ref().unwrap();
    assert_eq!((second.line, second.name.as_str()), (4, "有限会社岡谷精機"));
    assert_eq!(second.corporate_number, None);

    let missing_name = rows[2].as_ref().unwrap_err();
    assert_eq!((missing_name.line, missing_name.code()), (5, "missing"));
    let bad_number = rows[3].as_ref().unwrap_err();
    assert_eq!((bad_number.line, bad_number.code()), (6, "check_digit"));
}

#[test]
fn an_xlsx_file_is_read_by_path_with_auto_or_explicit_format() {
    let dir = crate::scratch_dir("xlsx-path");
    let path = dir.join("会社リスト.xlsx");
    std::fs::write(&path, workbook()).unwrap();
    for format in [ListFormat::Auto, ListFormat::Xlsx] {
        let rows: Vec<_> = list::open(&path, format, &import::Budget::UPLOAD)
            .unwrap()
            .collect();
        assert_eq!(rows.len(), 4);
    }
    let from_reader: Vec<_> = list::read(
        std::fs::File::open(&path).unwrap(),
        ListFormat::Auto,
        &import::Budget::UPLOAD,
    )
    .unwrap()
    .collect();
    assert_eq!(from_reader.len(), 4);
}

#[test]
fn a_broken_or_nameless_workbook_is_an_open_error() {
    let bytes = workbook();
    let error = list::from_bytes(&bytes[..bytes.len() / 2], ListFormat::Xlsx)
        .err()
        .unwrap();
    assert_eq!(error.code(), "xlsx");

    let mut book = Workbook::new();
    book.add_worksheet().write_string(0, 0, "住所").unwrap();
    let nameless = book.save_to_buffer().unwrap();
    assert_eq!(
        list::from_bytes(&nameless, ListFormat::Auto)
            .err()
            .unwrap()
            .code(),
        "no_name_column"
    );

    let mut book = Workbook::new();
    book.add_worksheet();
    let empty = book.save_to_buffer().unwrap();
    assert_eq!(
        list::from_bytes(&empty, ListFormat::Auto)
            .err()
            .unwrap()
            .code(),
        "no_header"
    );
}

#[test]
fn dropping_an_xlsx_reader_early_ends_its_worker() {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.write_string(0, 0, "会社名").unwrap();
    for row in 1..5_000u32 {
        sheet
            .write_string(row, 0, format!("株式会社{row}"))
            .unwrap();
    }
    let bytes = book.save_to_buffer().unwrap();
    let mut reader = list::from_bytes(&bytes, ListFormat::Auto).unwrap();
    assert!(reader.next().unwrap().is_ok());
    drop(reader);
    let all = list::from_bytes(&bytes, ListFormat::Auto).unwrap().count();
    assert_eq!(all, 4_999);
}
