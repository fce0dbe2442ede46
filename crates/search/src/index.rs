//! The full-text index: what a document is, how it is stored, and how the index is
//! created, reopened and written.
//!
//! The index is a cache of the database, never the record: when it is missing, of an
//! older schema or damaged, [`Index::open_or_create`] starts an empty one and says so,
//! and the caller refills it from the database ([`Index::rebuild`]).

use std::collections::BTreeSet;
use std::fmt;
use std::fs;
use std::path::Path;

use serde::{Deserialize, Serialize};
use tantivy::directory::{Directory, INDEX_WRITER_LOCK, MmapDirectory};
use tantivy::schema::{
    FAST, Facet, FacetOptions, Field, INDEXED, IndexRecordOption, STRING, Schema,
    TextFieldIndexing, TextOptions,
};
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};

use crate::SearchError;
use crate::text::{BIGRAM_TOKENIZER, BigramTokenizer, WORD_TOKENIZER, WordTokenizer};

/// What kind of record a document stands for.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum DocKind {
    /// A company of the directory (企業).
    #[default]
    Company,
    /// A need posted for matching (ニーズ).
    Need,
    /// An offer or seed posted for matching (シーズ).
    Offer,
    /// A person: designer, expert, successor candidate (人材).
    Person,
    /// A facility: share office, 拠点 (施設).
    Facility,
}

impl DocKind {
    /// Every kind, in the order used for sorting.
    pub const ALL: [DocKind; 5] = [
        DocKind::Company,
        DocKind::Need,
        DocKind::Offer,
        DocKind::Person,
        DocKind::Facility,
    ];

    /// The stable string code: "company", "need", "offer", "person", "facility".
    pub fn code(self) -> &'static str {
        match self {
            DocKind::Company => "company",
            DocKind::Need => "need",
            DocKind::Offer => "offer",
            DocKind::Person => "person",
            DocKind::Facility => "facility",
        }
    }

    /// The kind for a string code, if it is one of [`DocKind::code`]'s.
    pub fn from_code(code: &str) -> Option<DocKind> {
        DocKind::ALL.into_iter().find(|kind| kind.code() == code)
    }

    pub(crate) fn ordinal(self) -> u64 {
        match self {
            DocKind::Company => 0,
            DocKind::Need => 1,
            DocKind::Offer => 2,
            DocKind::Person => 3,
            DocKind::Facility => 4,
        }
    }

    pub(crate) fn from_ordinal(ordinal: u64) -> Option<DocKind> {
        DocKind::ALL
            .into_iter()
            .find(|kind| kind.ordinal() == ordinal)
    }
}

impl fmt::Display for DocKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A structured property that results can be filtered and counted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FacetField {
    /// City key such as "ota" or "kawaguchi".
    City,
    /// Process from the shared taxonomy, such as "cutting".
    Process,
    /// Material from the shared taxonomy, such as "aluminium".
    Material,
    /// Certification, such as "iso9001".
    Certification,
    /// Company size class, such as "small".
    Size,
    /// 日本標準産業分類 (JSIC) code, such as "E24".
    Industry,
    /// The document's [`DocKind`] code; filled in from [`SearchDoc::kind`].
    Kind,
    /// Who may see the document when it is not public (`org:7`, `company:42`): lets a
    /// search show private documents to exactly those who keep them.
    Owner,
}

impl FacetField {
    /// Every facet field, in display order.
    pub const ALL: [FacetField; 8] = [
        FacetField::City,
        FacetField::Process,
        FacetField::Material,
        FacetField::Certification,
        FacetField::Size,
        FacetField::Industry,
        FacetField::Kind,
        FacetField::Owner,
    ];

    /// The stable string code: "city", "process", "material", "certification", "size",
    /// "industry", "kind".
    pub fn code(self) -> &'static str {
        match self {
            FacetField::City => "city",
            FacetField::Process => "process",
            FacetField::Material => "material",
            FacetField::Certification => "certification",
            FacetField::Size => "size",
            FacetField::Industry => "industry",
            FacetField::Kind => "kind",
            FacetField::Owner => "owner",
        }
    }

    /// The facet field for a string code, if it is one of [`FacetField::code`]'s.
    pub fn from_code(code: &str) -> Option<FacetField> {
        FacetField::ALL
            .into_iter()
            .find(|field| field.code() == code)
    }

    /// The tantivy facet under which this field's values are stored (`/process/cutting`).
    pub(crate) fn facet(self, value: &str) -> Facet {
        Facet::from_path([self.code(), value])
    }

    pub(crate) fn root(self) -> Facet {
        Facet::from_path([self.code()])
    }
}

impl fmt::Display for FacetField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A facet value as stored and compared: trimmed, without control characters.
pub(crate) fn clean_facet_value(value: &str) -> String {
    value.trim().chars().filter(|c| !c.is_control()).collect()
}

/// One record as the index sees it. `(kind, id)` identifies it: upserting the same
/// pair again replaces the earlier document.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SearchDoc {
    /// What the record is.
    pub kind: DocKind,
    /// The record's id in its own table.
    pub id: i64,
    /// Name or title; ranks above the body.
    pub title: String,
    /// Reading of the title (フリガナ), in any kana or width.
    pub kana: String,
    /// Everything else worth finding: description, capabilities, products, address.
    pub body: String,
    /// City key such as "ota"; also counted as the [`FacetField::City`] facet.
    pub city: Option<String>,
    /// Structured values, e.g. `(Process, "cutting")`, `(Certification, "iso9001")`.
    /// A [`FacetField::Kind`] entry is ignored: the kind comes from [`SearchDoc::kind`].
    pub facets: Vec<(FacetField, String)>,
    /// Whether anyone may find it; private documents are found only with
    /// [`crate::SearchRequest::include_private`].
    pub public: bool,
}

impl SearchDoc {
    /// The facet values of this document, cleaned and without duplicates.
    pub(crate) fn facet_values(&self) -> BTreeSet<(FacetField, String)> {
        let mut values = BTreeSet::new();
        values.insert((FacetField::Kind, self.kind.code().to_owned()));
        let city = self
            .city
            .iter()
            .map(|city| (FacetField::City, city.as_str()));
        let others = self
            .facets
            .iter()
            .filter(|(field, _)| *field != FacetField::Kind)
            .map(|(field, value)| (*field, value.as_str()));
        for (field, value) in city.chain(others) {
            let value = clean_facet_value(value);
            if !value.is_empty() {
                values.insert((field, value));
            }
        }
        values
    }
}

/// Bump when the schema or the tokenizers change: an index written by another
/// version is recreated (and must be refilled) rather than misread.
pub const SCHEMA_VERSION: u32 = 1;

/// File beside tantivy's own that records [`SCHEMA_VERSION`].
const SCHEMA_MARKER: &str = "renkei-search-schema";

/// The tantivy fields of the schema.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Fields {
    /// `kind:id`, for replacing and deleting one document.
    pub key: Field,
    pub kind: Field,
    pub id: Field,
    pub public: Field,
    pub title: Field,
    pub title_words: Field,
    pub kana: Field,
    pub kana_words: Field,
    pub body: Field,
    pub body_words: Field,
    pub facets: Field,
}

fn text_options(tokenizer: &str, stored: bool) -> TextOptions {
    let options = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(tokenizer)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    if stored {
        options.set_stored()
    } else {
        options
    }
}

pub(crate) fn schema() -> (Schema, Fields) {
    let mut builder = Schema::builder();
    let fields = Fields {
        key: builder.add_text_field("key", STRING),
        kind: builder.add_u64_field("kind", INDEXED | FAST),
        id: builder.add_i64_field("id", FAST),
        public: builder.add_bool_field("public", INDEXED),
        title: builder.add_text_field("title", text_options(BIGRAM_TOKENIZER, true)),
        title_words: builder.add_text_field("title_words", text_options(WORD_TOKENIZER, false)),
        kana: builder.add_text_field("kana", text_options(BIGRAM_TOKENIZER, false)),
        kana_words: builder.add_text_field("kana_words", text_options(WORD_TOKENIZER, false)),
        body: builder.add_text_field("body", text_options(BIGRAM_TOKENIZER, true)),
        body_words: builder.add_text_field("body_words", text_options(WORD_TOKENIZER, false)),
        facets: builder.add_facet_field("facets", FacetOptions::default()),
    };
    (builder.build(), fields)
}

fn register_tokenizers(index: &tantivy::Index) {
    let tokenizers = index.tokenizers();
    tokenizers.register(BIGRAM_TOKENIZER, TextAnalyzer::from(BigramTokenizer));
    tokenizers.register(WORD_TOKENIZER, TextAnalyzer::from(WordTokenizer));
}

fn key(kind: DocKind, id: i64) -> String {
    format!("{}:{id}", kind.code())
}

/// How [`Index::open_or_create`] found the directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Opened {
    /// An index of this schema was there and is in use again.
    Existing,
    /// There was no index: a new, empty one was created.
    Created,
    /// The index there was of another schema version or could not be read; it was
    /// removed and a new, empty one created. `reason` says what was wrong.
    Recreated {
        /// What was wrong with the old index, for the log.
        reason: String,
    },
}

impl Opened {
    /// Whether the index is empty and must be refilled from the database.
    pub fn needs_rebuild(&self) -> bool {
        !matches!(self, Opened::Existing)
    }
}

/// Why an existing directory cannot be used as it is.
enum Unusable {
    Missing,
    Broken(String),
}

/// Writer threads: two keep both cores of the reference machine busy during a
/// rebuild; more only add memory.
const WRITER_THREADS: usize = 2;
/// Indexing memory per writer thread; a segment is flushed when it fills.
const WRITER_MEMORY_PER_THREAD: usize = 64 * 1024 * 1024;

/// A Japanese full-text index of directory records (companies, needs, offers,
/// people, facilities).
///
/// Writes ([`upsert`](Index::upsert), [`delete`](Index::delete),
/// [`clear`](Index::clear)) are staged and become visible to
/// [`search`](Index::search) and durable together at [`commit`](Index::commit).
/// Searching takes `&self`, so many readers can search while one writer waits
/// behind a lock of the caller's choosing.
pub struct Index {
    pub(crate) fields: Fields,
    pub(crate) reader: IndexReader,
    writer: IndexWriter<TantivyDocument>,
}

impl fmt::Debug for Index {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Index")
            .field("len", &self.len())
            .finish_non_exhaustive()
    }
}

impl Index {
    /// A new, empty index in memory (tests, benchmarks, small deployments that
    /// rebuild on start).
    pub fn in_memory() -> Result<Index, SearchError> {
        let (schema, _) = schema();
        let index = tantivy::Index::create_in_ram(schema);
        Index::assemble(index)
    }

    /// Opens the index kept in `dir` (created if missing), or creates a new one
    /// there. An index of another [`SCHEMA_VERSION`] or one that cannot be read is
    /// removed and recreated empty; the returned [`Opened`] says which happened, and
    /// [`Opened::needs_rebuild`] whether the caller must refill it.
    ///
    /// Only tantivy's files and the schema marker are removed, never anything else in
    /// `dir`. One process owns a directory: if another holds its write lock this
    /// fails with [`SearchError::Locked`] and changes nothing.
    pub fn open_or_create(dir: &Path) -> Result<(Index, Opened), SearchError> {
        fs::create_dir_all(dir).map_err(|source| SearchError::io(dir, source))?;
        let directory = MmapDirectory::open(dir).map_err(|error| SearchError::Open {
            path: dir.to_owned(),
            reason: error.to_string(),
        })?;
        let (index, opened) = {
            // Hold the writer lock while deciding and cleaning, so that a directory in
            // use by another process is never wiped.
            let _lock = directory
                .acquire_lock(&INDEX_WRITER_LOCK)
                .map_err(|error| SearchError::Locked {
                    path: dir.to_owned(),
                    reason: error.to_string(),
                })?;
            match open_existing(dir) {
                Ok(index) => (index, Opened::Existing),
                Err(unusable) => {
                    remove_index_files(dir)?;
                    let (schema, _) = schema();
                    let index = tantivy::Index::create_in_dir(dir, schema)?;
                    let marker = dir.join(SCHEMA_MARKER);
                    fs::write(&marker, SCHEMA_VERSION.to_string())
                        .map_err(|source| SearchError::io(&marker, source))?;
                    let opened = match unusable {
                        Unusable::Missing => Opened::Created,
                        Unusable::Broken(reason) => Opened::Recreated { reason },
                    };
                    (index, opened)
                }
            }
        };
        Ok((Index::assemble(index)?, opened))
    }

    fn assemble(index: tantivy::Index) -> Result<Index, SearchError> {
        register_tokenizers(&index);
        let (_, fields) = schema();
        let writer = index
            .writer_with_num_threads(WRITER_THREADS, WRITER_THREADS * WRITER_MEMORY_PER_THREAD)?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(Index {
            fields,
            reader,
            writer,
        })
    }

    /// Adds a document, replacing any earlier one with the same kind and id.
    pub fn upsert(&mut self, doc: &SearchDoc) -> Result<(), SearchError> {
        self.writer.delete_term(Term::from_field_text(
            self.fields.key,
            &key(doc.kind, doc.id),
        ));
        self.writer.add_document(self.document(doc))?;
        Ok(())
    }

    /// Upserts many documents; returns how many. Indexing runs on the writer's
    /// threads while this thread prepares the next documents.
    pub fn upsert_all<'a>(
        &mut self,
        docs: impl IntoIterator<Item = &'a SearchDoc>,
    ) -> Result<usize, SearchError> {
        let mut count = 0;
        for doc in docs {
            self.upsert(doc)?;
            count += 1;
        }
        Ok(count)
    }

    /// Removes the document with this kind and id, if there is one.
    pub fn delete(&mut self, kind: DocKind, id: i64) -> Result<(), SearchError> {
        self.writer
            .delete_term(Term::from_field_text(self.fields.key, &key(kind, id)));
        Ok(())
    }

    /// Removes every document, committed or staged. Like every write it takes
    /// effect at the next [`commit`](Index::commit).
    pub fn clear(&mut self) -> Result<(), SearchError> {
        self.writer.rollback()?;
        self.writer.delete_all_documents()?;
        Ok(())
    }

    /// Makes the staged writes durable and visible to searches.
    pub fn commit(&mut self) -> Result<(), SearchError> {
        self.writer.commit()?;
        self.reader.reload()?;
        Ok(())
    }

    /// Replaces the whole content with `docs` and commits: the bulk path for
    /// `renkei index rebuild` and for an index that [`Opened::needs_rebuild`].
    /// Each (kind, id) must occur once in `docs` (a repeat would be indexed twice).
    /// Returns the number of documents indexed.
    pub fn rebuild(
        &mut self,
        docs: impl IntoIterator<Item = SearchDoc>,
    ) -> Result<usize, SearchError> {
        self.clear()?;
        let mut count = 0;
        for doc in docs {
            // No delete per document: the index was just cleared.
            self.writer.add_document(self.document(&doc))?;
            count += 1;
        }
        self.commit()?;
        Ok(count)
    }

    /// Number of committed documents (staged writes are not counted).
    pub fn len(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// Whether there are no committed documents.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn document(&self, doc: &SearchDoc) -> TantivyDocument {
        let f = &self.fields;
        let mut document = TantivyDocument::default();
        document.add_text(f.key, key(doc.kind, doc.id));
        document.add_u64(f.kind, doc.kind.ordinal());
        document.add_i64(f.id, doc.id);
        document.add_bool(f.public, doc.public);
        document.add_text(f.title, &doc.title);
        document.add_text(f.title_words, &doc.title);
        document.add_text(f.kana, &doc.kana);
        document.add_text(f.kana_words, &doc.kana);
        document.add_text(f.body, &doc.body);
        document.add_text(f.body_words, &doc.body);
        for (field, value) in doc.facet_values() {
            document.add_facet(f.facets, field.facet(&value));
        }
        document
    }
}

fn open_existing(dir: &Path) -> Result<tantivy::Index, Unusable> {
    if !dir.join("meta.json").exists() {
        return Err(Unusable::Missing);
    }
    let found = fs::read_to_string(dir.join(SCHEMA_MARKER)).unwrap_or_default();
    if found.trim() != SCHEMA_VERSION.to_string() {
        let found = if found.trim().is_empty() {
            "none"
        } else {
            found.trim()
        };
        return Err(Unusable::Broken(format!(
            "schema version {found}, expected {SCHEMA_VERSION}"
        )));
    }
    let index = tantivy::Index::open_in_dir(dir).map_err(broken)?;
    if index.schema() != schema().0 {
        return Err(Unusable::Broken(
            "schema differs from this version's".to_owned(),
        ));
    }
    register_tokenizers(&index);
    // Opening a reader opens every segment's files, which finds missing or
    // truncated ones.
    let reader: IndexReader = index
        .reader_builder()
        .reload_policy(ReloadPolicy::Manual)
        .try_into()
        .map_err(broken)?;
    let searcher = reader.searcher();
    for segment in searcher.segment_readers() {
        segment.get_store_reader(0).map_err(broken)?;
    }
    Ok(index)
}

fn broken(error: impl fmt::Display) -> Unusable {
    Unusable::Broken(error.to_string())
}

/// Removes tantivy's files and the schema marker from `dir`, nothing else.
fn remove_index_files(dir: &Path) -> Result<(), SearchError> {
    let entries = fs::read_dir(dir).map_err(|source| SearchError::io(dir, source))?;
    for entry in entries {
        let entry = entry.map_err(|source| SearchError::io(dir, source))?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let is_file = entry.file_type().is_ok_and(|kind| kind.is_file());
        if is_file && is_index_file(name) {
            let path = entry.path();
            fs::remove_file(&path).map_err(|source| SearchError::io(&path, source))?;
        }
    }
    Ok(())
}

/// tantivy's own files: `meta.json`, `.managed.json`, and segment files named by a
/// 32-digit hex segment id (`<id>.idx`, `<id>.<opstamp>.del`…). Lock files stay.
fn is_index_file(name: &str) -> bool {
    if matches!(name, "meta.json" | ".managed.json" | SCHEMA_MARKER) {
        return true;
    }
    let bytes = name.as_bytes();
    bytes.len() > 33 && bytes[..32].iter().all(u8::is_ascii_hexdigit) && bytes[32] == b'.'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for kind in DocKind::ALL {
            assert_eq!(DocKind::from_code(kind.code()), Some(kind));
            assert_eq!(DocKind::from_ordinal(kind.ordinal()), Some(kind));
        }
        for field in FacetField::ALL {
            assert_eq!(FacetField::from_code(field.code()), Some(field));
        }
        assert_eq!(DocKind::from_code("Company"), None);
    }

    #[test]
    fn only_tantivy_files_count_as_index_files() {
        assert!(is_index_file("meta.json"));
        assert!(is_index_file("0123456789abcdef0123456789abcdef.idx"));
        assert!(is_index_file("0123456789abcdef0123456789abcdef.12.del"));
        assert!(!is_index_file("notes.txt"));
        assert!(!is_index_file(".tantivy-writer.lock"));
        assert!(!is_index_file("0123456789abcdef0123456789abcdeg.idx"));
    }

    #[test]
    fn facet_values_take_city_and_kind_and_drop_blanks_and_duplicates() {
        let doc = SearchDoc {
            kind: DocKind::Need,
            city: Some(" ota ".to_owned()),
            facets: vec![
                (FacetField::City, "ota".to_owned()),
                (FacetField::Kind, "company".to_owned()),
                (FacetField::Process, "  ".to_owned()),
                (FacetField::Process, "cutting".to_owned()),
            ],
            ..SearchDoc::default()
        };
        let values: Vec<_> = doc.facet_values().into_iter().collect();
        assert_eq!(
            values,
            [
                (FacetField::City, "ota".to_owned()),
                (FacetField::Process, "cutting".to_owned()),
                (FacetField::Kind, "need".to_owned()),
            ]
        );
    }
}
