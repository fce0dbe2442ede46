//! No SQL is built from strings: every query goes through sea-orm's builder or a
//! statement with bound values. The few raw statements are fixed text; the only
//! formatted ones are the migrations' type placeholders (embedded files, no input)
//! and the test harness naming its own throw-away database.

/// Raw-SQL entry points whose argument must not be built with `format!`.
const RAW: [&str; 5] = [
    "execute_unprepared(",
    "Statement::from_string(",
    "Expr::cust(",
    "query_all_raw(",
    "from_raw_sql(",
];

/// Files allowed to format SQL, and why.
const ALLOWED: [(&str, &str); 2] = [
    (
        "migrate.rs",
        "fills {id}/{ts}/{real}/{blob} in embedded migration files",
    ),
    (
        "testing.rs",
        "CREATE DATABASE with a name made of the process id and a random number",
    ),
];

#[test]
fn no_sql_is_built_from_strings() {
    let mut checked = 0;
    let mut found = Vec::new();
    for krate in ["store", "web", "cli", "import", "search"] {
        let root = format!("{}/../{krate}/src", env!("CARGO_MANIFEST_DIR"));
        let mut dirs = vec![std::path::PathBuf::from(root)];
        while let Some(path) = dirs.pop() {
            if path.is_dir() {
                dirs.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
                continue;
            }
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if !name.ends_with(".rs") || ALLOWED.iter().any(|(file, _)| *file == name) {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            checked += 1;
            for entry in RAW {
                for (at, _) in text.match_indices(entry) {
                    // The call's argument: up to the statement's end.
                    let argument: String = text[at + entry.len()..]
                        .chars()
                        .take_while(|c| *c != ';')
                        .collect();
                    if argument.contains("format!") || argument.contains("+ &") {
                        found.push(format!("{}: {entry}{}", path.display(), argument.trim()));
                    }
                }
            }
        }
    }
    assert!(checked > 50, "{checked} files read");
    assert!(
        found.is_empty(),
        "SQL built from strings:\n{}",
        found.join("\n")
    );
}
