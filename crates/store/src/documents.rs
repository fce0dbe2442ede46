//! The documents library (啓発冊子, 協定書, seminar materials, the 尼崎宣言): documents
//! kept by an organisation's staff, public or for signed-in members only, linked to an
//! initiative and an event; every upload of the same document is a new version and
//! the older ones stay. Uploads are judged by content
//! ([`domain::documents::check_upload`]). A members-only document is never listed
//! for, nor served to, an anonymous visitor.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use domain::documents::{DocumentDraft, DocumentKind, Visibility};
use domain::text::optional_text;
use domain::{Actor, Invalid};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde_json::json;

use crate::entity::{document, document_version, event, initiative};
use crate::organisations::{self, Directory, Organisation};
use crate::write::{Action, Audited, Entity};
use crate::{Store, StoreError};

/// One version of a document (without its bytes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    pub number: i32,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub note: String,
    pub uploaded_by: String,
    pub created_at: DateTime<Utc>,
}

impl Version {
    /// 「120KB」.
    pub fn size_label(&self) -> String {
        format!("{}KB", (self.size_bytes.max(0) as u64).div_ceil(1024))
    }
}

/// A document with its versions, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    pub id: i64,
    pub key: String,
    pub title: String,
    pub kind: DocumentKind,
    pub description: String,
    pub visibility: Visibility,
    /// (key, title).
    pub initiative: Option<(String, String)>,
    /// (key, title).
    pub event: Option<(String, String)>,
    pub owner: Organisation,
    pub versions: Vec<Version>,
    /// Invented demonstration content (「デモ」).
    pub demo: bool,
}

impl Document {
    pub fn latest(&self) -> Option<&Version> {
        self.versions.first()
    }

    /// Whether `actor` uploads new versions and edits it.
    pub fn editable_by(&self, actor: Option<&Actor>) -> bool {
        actor.is_some_and(|a| a.may_edit_catalogue_of(self.owner.id))
    }
}

/// A version's columns without its bytes: (document, number, file name, content type,
/// size, SHA-256, note, uploaded by, at).
type VersionRow = (
    i64,
    i32,
    String,
    String,
    i64,
    String,
    String,
    String,
    DateTime<Utc>,
);

fn readable(visibility: Visibility, viewer: Option<&Actor>) -> bool {
    visibility == Visibility::Public || viewer.is_some()
}

async fn load(
    db: &impl ConnectionTrait,
    directory: &Directory,
    key: Option<&str>,
) -> Result<Vec<Document>, StoreError> {
    let mut query = document::Entity::find();
    if let Some(key) = key {
        query = query.filter(document::Column::Key.eq(key));
    }
    let rows = query
        .order_by_desc(document::Column::UpdatedAt)
        .order_by_desc(document::Column::Id)
        .all(db)
        .await?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let initiatives: HashMap<i64, (String, String)> = initiative::Entity::find()
        .filter(initiative::Column::Id.is_in(rows.iter().filter_map(|r| r.initiative_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|i| (i.id, (i.key, i.title)))
        .collect();
    let events: HashMap<i64, (String, String)> = event::Entity::find()
        .filter(event::Column::Id.is_in(rows.iter().filter_map(|r| r.event_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|e| (e.id, (e.key, e.title)))
        .collect();
    // The versions without their bytes.
    let mut versions: HashMap<i64, Vec<Version>> = HashMap::new();
    for chunk in rows.chunks(500) {
        let found: Vec<VersionRow> = document_version::Entity::find()
            .select_only()
            .columns([
                document_version::Column::DocumentId,
                document_version::Column::Number,
                document_version::Column::FileName,
                document_version::Column::ContentType,
                document_version::Column::SizeBytes,
                document_version::Column::Sha256,
                document_version::Column::Note,
                document_version::Column::UploadedBy,
                document_version::Column::CreatedAt,
            ])
            .filter(document_version::Column::DocumentId.is_in(chunk.iter().map(|r| r.id)))
            .order_by_desc(document_version::Column::Number)
            .into_tuple()
            .all(db)
            .await?;
        for (document_id, number, file_name, content_type, size_bytes, sha256, note, by, at) in
            found
        {
            versions.entry(document_id).or_default().push(Version {
                number,
                file_name,
                content_type,
                size_bytes,
                sha256,
                note,
                uploaded_by: by,
                created_at: at,
            });
        }
    }
    rows.into_iter()
        .map(|row| {
            Ok(Document {
                id: row.id,
                kind: DocumentKind::parse(&row.kind).unwrap_or(DocumentKind::Other),
                visibility: Visibility::parse(&row.visibility).unwrap_or(Visibility::Members),
                initiative: row
                    .initiative_id
                    .and_then(|id| initiatives.get(&id).cloned()),
                event: row.event_id.and_then(|id| events.get(&id).cloned()),
                owner: directory
                    .organisation(row.owner_organisation_id)
                    .cloned()
                    .ok_or_else(|| StoreError::Config("document owner is missing".into()))?,
                versions: versions.remove(&row.id).unwrap_or_default(),
                demo: crate::demo::is_demo_company(&row.source),
                key: row.key,
                title: row.title,
                description: row.description,
            })
        })
        .collect()
}

/// The documents `viewer` may read: public ones for everyone, members-only ones too
/// for a signed-in member.
pub async fn list(store: &Store, viewer: Option<&Actor>) -> Result<Vec<Document>, StoreError> {
    let directory = organisations::directory(store).await?;
    Ok(load(&store.db, &directory, None)
        .await?
        .into_iter()
        .filter(|d| readable(d.visibility, viewer))
        .collect())
}

/// The documents of one initiative that `viewer` may read.
pub async fn for_initiative(
    store: &Store,
    viewer: Option<&Actor>,
    initiative_key: &str,
) -> Result<Vec<Document>, StoreError> {
    Ok(list(store, viewer)
        .await?
        .into_iter()
        .filter(|d| d.initiative.as_ref().is_some_and(|i| i.0 == initiative_key))
        .collect())
}

/// The public documents linked to initiatives: what the annual report lists.
pub async fn for_report(store: &Store) -> Result<Vec<Document>, StoreError> {
    Ok(list(store, None)
        .await?
        .into_iter()
        .filter(|d| d.initiative.is_some())
        .collect())
}

/// One document: a members-only one is refused to an anonymous visitor (403).
pub async fn get(store: &Store, viewer: Option<&Actor>, key: &str) -> Result<Document, StoreError> {
    let directory = organisations::directory(store).await?;
    let found = load(&store.db, &directory, Some(key))
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| StoreError::not_found("資料"))?;
    if !readable(found.visibility, viewer) {
        return Err(StoreError::forbidden(
            "この資料は会員限定です。ログインしてからご覧ください。",
        ));
    }
    Ok(found)
}

/// A version's bytes (the latest when `number` is `None`), for those who may read it.
pub async fn file(
    store: &Store,
    viewer: Option<&Actor>,
    key: &str,
    number: Option<i32>,
) -> Result<(Version, Vec<u8>), StoreError> {
    let found = get(store, viewer, key).await?;
    let wanted = match number {
        Some(n) => n,
        None => found
            .latest()
            .map(|v| v.number)
            .ok_or_else(|| StoreError::not_found("資料のファイル"))?,
    };
    let version = found
        .versions
        .iter()
        .find(|v| v.number == wanted)
        .cloned()
        .ok_or_else(|| StoreError::not_found(format!("第{wanted}版")))?;
    let row = document_version::Entity::find()
        .filter(document_version::Column::DocumentId.eq(found.id))
        .filter(document_version::Column::Number.eq(wanted))
        .one(&store.db)
        .await?
        .ok_or_else(|| StoreError::not_found(format!("第{wanted}版")))?;
    Ok((version, row.content))
}

/// The initiative and event a draft names, checked: they must exist, and the
/// initiative be the owner's.
async fn links(
    db: &impl ConnectionTrait,
    owner: &Organisation,
    draft: &DocumentDraft,
) -> Result<(Option<i64>, Option<i64>), StoreError> {
    let mut errors = Vec::new();
    let initiative_id = if draft.initiative.is_empty() {
        None
    } else {
        match initiative::Entity::find()
            .filter(initiative::Column::Key.eq(draft.initiative.as_str()))
            .one(db)
            .await?
        {
            Some(row) if row.organisation_id == owner.id => Some(row.id),
            Some(_) => {
                errors.push(Invalid::new(
                    "initiative",
                    format!("{}の施策を選んでください。", owner.name),
                ));
                None
            }
            None => {
                errors.push(Invalid::new("initiative", "施策が見つかりません。"));
                None
            }
        }
    };
    let event_id = if draft.event.is_empty() {
        None
    } else {
        match event::Entity::find()
            .filter(event::Column::Key.eq(draft.event.as_str()))
            .one(db)
            .await?
        {
            Some(row) => Some(row.id),
            None => {
                errors.push(Invalid::new("event", "イベントが見つかりません。"));
                None
            }
        }
    };
    if errors.is_empty() {
        Ok((initiative_id, event_id))
    } else {
        Err(StoreError::Invalid(errors))
    }
}

/// The file judged (content, size), or the reason under the `file` field.
fn judged(name: &str, bytes: &[u8]) -> Result<(String, &'static str), StoreError> {
    let name = name.rsplit(['/', '\\']).next().unwrap_or(name).trim();
    if name.is_empty() || bytes.is_empty() {
        return Err(Invalid::new("file", "ファイルを選んでください。").into());
    }
    let content_type = domain::documents::check_upload(name, bytes)
        .map_err(|reason| StoreError::Invalid(vec![Invalid::new("file", reason)]))?;
    Ok((name.chars().take(200).collect(), content_type))
}

/// A judged file: its name, content type and bytes.
struct Judged<'a> {
    name: &'a str,
    content_type: &'a str,
    bytes: &'a [u8],
}

async fn insert_version(
    db: &impl ConnectionTrait,
    document_id: i64,
    number: i32,
    file: Judged<'_>,
    note: &str,
    actor: &Actor,
) -> Result<(), StoreError> {
    let Judged {
        name,
        content_type,
        bytes,
    } = file;
    use sha2::{Digest, Sha256};
    document_version::ActiveModel {
        document_id: Set(document_id),
        number: Set(number),
        file_name: Set(name.to_owned()),
        content_type: Set(content_type.to_owned()),
        size_bytes: Set(i64::try_from(bytes.len()).unwrap_or(i64::MAX)),
        sha256: Set(format!("{:x}", Sha256::digest(bytes))),
        content: Set(bytes.to_vec()),
        note: Set(note.to_owned()),
        uploaded_by: Set(actor.email.clone()),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await
    .map_err(|e| match e.sql_err() {
        // Two uploads of the same document at once: the second is asked to retry.
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => {
            StoreError::Conflict("同時に別の版が登録されました。もう一度お試しください。".into())
        }
        _ => StoreError::from(e),
    })?;
    Ok(())
}

/// Adds a document with its first version. Returns its key.
pub async fn create(
    store: &Store,
    actor: &Actor,
    organisation: &str,
    draft: &DocumentDraft,
    file_name: &str,
    bytes: &[u8],
) -> Result<String, StoreError> {
    let directory = organisations::directory(store).await?;
    let owner = directory.keeper(actor, organisation, "資料")?.clone();
    let (name, content_type) = judged(file_name, bytes)?;
    let key = format!("doc-{}", crate::random_hex::<4>());
    store
        .write(Some(actor), async |w| {
            let (initiative_id, event_id) = links(w.txn(), &owner, draft).await?;
            let now = Utc::now();
            let row = document::ActiveModel {
                key: Set(key.clone()),
                owner_organisation_id: Set(owner.id),
                title: Set(draft.title.clone()),
                kind: Set(draft.kind.code().to_owned()),
                description: Set(draft.description.clone()),
                visibility: Set(draft.visibility.code().to_owned()),
                initiative_id: Set(initiative_id),
                event_id: Set(event_id),
                source: Set(String::new()),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(w.txn())
            .await?;
            let file = Judged {
                name: &name,
                content_type,
                bytes,
            };
            insert_version(w.txn(), row.id, 1, file, "", actor).await?;
            w.audit(
                Audited::new(
                    Action::Create,
                    Entity::Document,
                    key.clone(),
                    Some(owner.id),
                    format!("資料「{}」を登録（第1版: {name}）", draft.title),
                )
                .after(json!({"title": draft.title, "kind": draft.kind.code(),
                    "visibility": draft.visibility.code(), "initiative": draft.initiative,
                    "event": draft.event, "file": name})),
            );
            Ok(key.clone())
        })
        .await
}

/// Uploads a new version of a document; the older versions are kept. Returns its
/// number.
pub async fn add_version(
    store: &Store,
    actor: &Actor,
    key: &str,
    file_name: &str,
    bytes: &[u8],
    note: &str,
) -> Result<i32, StoreError> {
    let before = get(store, Some(actor), key).await?;
    if !before.editable_by(Some(actor)) {
        return Err(StoreError::forbidden(format!(
            "「{}」は{}の資料のため、新しい版は登録できません。",
            before.title, before.owner.name
        )));
    }
    let note = optional_text("note", note, 500)?;
    let (name, content_type) = judged(file_name, bytes)?;
    store
        .write(Some(actor), async |w| {
            let count = document_version::Entity::find()
                .filter(document_version::Column::DocumentId.eq(before.id))
                .count(w.txn())
                .await?;
            let number = i32::try_from(count).unwrap_or(i32::MAX - 1) + 1;
            let file = Judged {
                name: &name,
                content_type,
                bytes,
            };
            insert_version(w.txn(), before.id, number, file, &note, actor).await?;
            document::ActiveModel {
                id: Set(before.id),
                updated_at: Set(Utc::now()),
                ..Default::default()
            }
            .update(w.txn())
            .await?;
            w.audit(
                Audited::new(
                    Action::Update,
                    Entity::Document,
                    key,
                    Some(before.owner.id),
                    format!("資料「{}」の第{number}版を登録（{name}）", before.title),
                )
                .after(json!({"version": number, "file": name, "note": note})),
            );
            Ok(number)
        })
        .await
}

/// Changes a document's title, kind, description, visibility and links.
pub async fn update(
    store: &Store,
    actor: &Actor,
    key: &str,
    draft: &DocumentDraft,
) -> Result<(), StoreError> {
    let before = get(store, Some(actor), key).await?;
    if !before.editable_by(Some(actor)) {
        return Err(StoreError::forbidden(format!(
            "「{}」は{}の資料のため編集できません。",
            before.title, before.owner.name
        )));
    }
    store
        .write(Some(actor), async |w| {
            let (initiative_id, event_id) = links(w.txn(), &before.owner, draft).await?;
            document::ActiveModel {
                id: Set(before.id),
                title: Set(draft.title.clone()),
                kind: Set(draft.kind.code().to_owned()),
                description: Set(draft.description.clone()),
                visibility: Set(draft.visibility.code().to_owned()),
                initiative_id: Set(initiative_id),
                event_id: Set(event_id),
                updated_at: Set(Utc::now()),
                ..Default::default()
            }
            .update(w.txn())
            .await?;
            w.audit(
                Audited::new(
                    Action::Update,
                    Entity::Document,
                    key,
                    Some(before.owner.id),
                    format!("資料「{}」を変更", draft.title),
                )
                .before(json!({"title": before.title, "visibility": before.visibility.code()}))
                .after(
                    json!({"title": draft.title, "visibility": draft.visibility.code(),
                    "initiative": draft.initiative, "event": draft.event}),
                ),
            );
            Ok(())
        })
        .await
}

/// The demonstration's 啓発冊子 (tokyo-cci-sumida's 『社長60歳「企業健康診断」』 planned
/// one for 平成29年度): a small invented PDF, marked 「デモ」.
const BOOKLET_PDF: &[u8] = include_bytes!("../../../data/council/documents/keihatsu-sasshi.pdf");

/// The key of the demonstration's 啓発冊子.
pub const DEMO_BOOKLET: &str = "tokyo-cci-sumida-keihatsu-sasshi";

/// Loads the demonstration's documents when the library is empty (and the
/// initiative they belong to is there).
pub async fn load_demo_if_empty(store: &Store) -> Result<usize, StoreError> {
    if document::Entity::find().count(&store.db).await? > 0 {
        return Ok(0);
    }
    let Some(initiative) = initiative::Entity::find()
        .filter(initiative::Column::Key.eq("tokyo-cci-sumida-ceo60-health-check"))
        .one(&store.db)
        .await?
    else {
        return Ok(0);
    };
    store
        .write(None, async |w| {
            let now = crate::demo::japan_morning(
                chrono::NaiveDate::from_ymd_opt(2017, 10, 2).unwrap_or_default(),
            );
            let row = document::ActiveModel {
                key: Set(DEMO_BOOKLET.to_owned()),
                owner_organisation_id: Set(initiative.organisation_id),
                title: Set("事業承継の啓発冊子（デモ）".to_owned()),
                kind: Set(DocumentKind::Booklet.code().to_owned()),
                description: Set(
                    "『社長60歳「企業健康診断」』の啓発冊子（平成29年度作成予定）の見本。内容は架空のデモです。"
                        .to_owned(),
                ),
                visibility: Set(Visibility::Public.code().to_owned()),
                initiative_id: Set(Some(initiative.id)),
                event_id: Set(None),
                source: Set(crate::demo::COMPANY_SOURCE.to_owned()),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(w.txn())
            .await?;
            use sha2::{Digest, Sha256};
            document_version::ActiveModel {
                document_id: Set(row.id),
                number: Set(1),
                file_name: Set("keihatsu-sasshi.pdf".to_owned()),
                content_type: Set("application/pdf".to_owned()),
                size_bytes: Set(i64::try_from(BOOKLET_PDF.len()).unwrap_or(i64::MAX)),
                sha256: Set(format!("{:x}", Sha256::digest(BOOKLET_PDF))),
                content: Set(BOOKLET_PDF.to_vec()),
                note: Set(String::new()),
                uploaded_by: Set("seed".to_owned()),
                created_at: Set(now),
                ..Default::default()
            }
            .insert(w.txn())
            .await?;
            w.audit(Audited::new(
                Action::Seed,
                Entity::Document,
                DEMO_BOOKLET,
                Some(initiative.organisation_id),
                "資料「事業承継の啓発冊子（デモ）」を登録",
            ));
            Ok(1)
        })
        .await
}
