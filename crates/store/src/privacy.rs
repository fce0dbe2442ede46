//! Personal and business-confidential answers on request and over time: a company's
//! own data exported (every response the reader may see, with its files listed), one
//! response deleted on the respondent's request by the staff of the form's owner (its
//! files and follow-up records with it; the deletion, with its reason but without the
//! answers, stays in the audit log), and survey answers purged after the form's
//! retention period.

use chrono::{DateTime, Duration, Utc};
use domain::{Actor, Invalid, Role};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde::Serialize;
use serde_json::json;

use crate::audit::{self, Change};
use crate::entity::{company, diagnosis_followup, form, form_file, form_response, form_version};
use crate::{Store, StoreError};

/// One response in a company's export.
#[derive(Debug, Clone, Serialize)]
pub struct ExportedResponse {
    pub form: String,
    pub form_title: String,
    pub owner: String,
    pub version: i32,
    pub status: String,
    pub answers: serde_json::Value,
    pub created_at: DateTime<Utc>,
    pub submitted_at: Option<DateTime<Utc>>,
    /// Uploaded files: (name, bytes, sha256).
    pub files: Vec<(String, i64, String)>,
}

/// Everything the platform holds of a company's answers that `actor` may see.
#[derive(Debug, Clone, Serialize)]
pub struct CompanyExport {
    pub company: String,
    pub company_name: String,
    pub exported_at: DateTime<Utc>,
    pub exported_by: String,
    pub responses: Vec<ExportedResponse>,
}

async fn company_by_key(store: &Store, key: &str) -> Result<company::Model, StoreError> {
    company::Entity::find()
        .filter(company::Column::Key.eq(key))
        .one(&store.db)
        .await?
        .ok_or_else(|| StoreError::not_found("企業"))
}

/// A company's answers, for its own members (all of them) and for the staff of a
/// form's owner (that organisation's forms). The export is logged as a read.
///
/// The export names the company, so it is refused, as a key that does not exist
/// is, to anyone who may neither see the company in the directory nor read any of
/// its answers: a private company of another city stays unknown to its staff.
pub async fn export_company(
    store: &Store,
    actor: &Actor,
    company_key: &str,
) -> Result<CompanyExport, StoreError> {
    let company = company_by_key(store, company_key).await?;
    let is_member = actor.company_id == Some(company.id);
    if !is_member && actor.role != Role::Staff {
        return Err(StoreError::not_found("企業"));
    }
    let directory = crate::organisations::directory(store).await?;
    let rows = form_response::Entity::find()
        .filter(form_response::Column::CompanyId.eq(company.id))
        .order_by_asc(form_response::Column::Id)
        .all(&store.db)
        .await?;
    let mut responses = Vec::new();
    for row in rows {
        let Some(form) = form::Entity::find_by_id(row.form_id).one(&store.db).await? else {
            continue;
        };
        if !actor.may_see_answers(form.owner_organisation_id, company.id) {
            continue;
        }
        let version = form_version::Entity::find_by_id(row.version_id)
            .one(&store.db)
            .await?
            .map_or(0, |v| v.number);
        let files = form_file::Entity::find()
            .filter(form_file::Column::FormId.eq(form.id))
            .filter(form_file::Column::CompanyId.eq(company.id))
            .all(&store.db)
            .await?
            .into_iter()
            .map(|f| (f.name, f.size_bytes, f.sha256))
            .collect();
        responses.push(ExportedResponse {
            owner: directory
                .organisation(form.owner_organisation_id)
                .map(|o| o.name.clone())
                .unwrap_or_default(),
            form: form.key,
            form_title: form.title,
            version,
            status: row.status,
            answers: serde_json::from_str(row.answers.as_deref().unwrap_or(&row.raw))
                .unwrap_or(serde_json::Value::Null),
            created_at: row.created_at,
            submitted_at: row.submitted_at,
            files,
        });
    }
    if responses.is_empty() && !crate::companies::visible_to(Some(actor), &company) {
        return Err(StoreError::not_found("企業"));
    }
    audit::record_read(
        &store.db,
        actor,
        "company",
        company.key.clone(),
        Some(company.owner_organisation_id),
        format!(
            "{}の回答データを書き出し（{}件）",
            company.name,
            responses.len()
        ),
    )
    .await?;
    Ok(CompanyExport {
        company: company.key,
        company_name: company.name,
        exported_at: Utc::now(),
        exported_by: actor.email.clone(),
        responses,
    })
}

/// Deletes a company's response to a form on its request: the staff of the form's
/// owner only, with the reason recorded. Files and follow-up records go with it.
pub async fn delete_response(
    store: &Store,
    actor: &Actor,
    form_key: &str,
    company_key: &str,
    reason: &str,
) -> Result<(), StoreError> {
    if reason.trim().is_empty() {
        return Err(StoreError::Invalid(vec![Invalid::new(
            "reason",
            "削除の理由（依頼の日付・依頼者など）を入力してください。",
        )]));
    }
    let company = company_by_key(store, company_key).await;
    let txn = store.begin().await?;
    let form = form::Entity::find()
        .filter(form::Column::Key.eq(form_key))
        .one(&txn)
        .await?
        .ok_or_else(|| StoreError::not_found("フォーム"))?;
    if !(actor.role == Role::Staff && actor.organisation_id == Some(form.owner_organisation_id)) {
        return Err(StoreError::forbidden(
            "回答の削除は、フォームを所管する団体の職員が行います。",
        ));
    }
    // A key without a company answers as one without an answer to this form, so
    // that the answer does not tell which keys exist.
    let company = match company {
        Err(StoreError::NotFound { .. }) => return Err(StoreError::not_found("回答")),
        found => found?,
    };
    let response = form_response::Entity::find()
        .filter(form_response::Column::FormId.eq(form.id))
        .filter(form_response::Column::CompanyId.eq(company.id))
        .one(&txn)
        .await?
        .ok_or_else(|| StoreError::not_found("回答"))?;
    let files = form_file::Entity::delete_many()
        .filter(form_file::Column::FormId.eq(form.id))
        .filter(form_file::Column::CompanyId.eq(company.id))
        .exec(&txn)
        .await?
        .rows_affected;
    let followups = diagnosis_followup::Entity::delete_many()
        .filter(diagnosis_followup::Column::FormId.eq(form.id))
        .filter(diagnosis_followup::Column::CompanyId.eq(company.id))
        .exec(&txn)
        .await?
        .rows_affected;
    form_response::Entity::delete_by_id(response.id)
        .exec(&txn)
        .await?;
    audit::record(
        &txn,
        Some(actor),
        Change {
            action: "delete",
            entity: "form_response",
            entity_key: response.id.to_string(),
            organisation_id: Some(form.owner_organisation_id),
            summary: format!(
                "依頼により{}の「{}」への回答を削除（理由：{}）",
                company.name,
                form.title,
                reason.trim()
            ),
            before: Some(json!({"form": form.key, "company": company.key,
                "status": response.status, "files": files, "followups": followups})),
            after: None,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Deletes submitted survey answers older than their form's retention period (and
/// drafts untouched as long); one audit entry per form. Returns how many went.
pub async fn purge_expired(store: &Store, now: DateTime<Utc>) -> Result<u64, StoreError> {
    let forms = form::Entity::find()
        .filter(form::Column::RetentionDays.is_not_null())
        .all(&store.db)
        .await?;
    let mut purged = 0;
    for form in forms {
        let Some(days) = form.retention_days.filter(|d| *d > 0) else {
            continue;
        };
        let cutoff = now - Duration::days(i64::from(days));
        let txn = store.begin().await?;
        // Locked (PostgreSQL; SQLite's write lock is taken by `begin`): another process
        // purging at the same time waits, then finds them gone, so a purge is done
        // and audited once.
        let expired = form_response::Entity::find()
            .filter(form_response::Column::FormId.eq(form.id))
            .filter(form_response::Column::UpdatedAt.lt(cutoff))
            .lock_exclusive()
            .all(&txn)
            .await?;
        if expired.is_empty() {
            continue;
        }
        let companies: Vec<i64> = expired.iter().map(|r| r.company_id).collect();
        form_file::Entity::delete_many()
            .filter(form_file::Column::FormId.eq(form.id))
            .filter(form_file::Column::CompanyId.is_in(companies))
            .exec(&txn)
            .await?;
        let count = form_response::Entity::delete_many()
            .filter(form_response::Column::Id.is_in(expired.iter().map(|r| r.id)))
            .exec(&txn)
            .await?
            .rows_affected;
        audit::record(
            &txn,
            None,
            Change {
                action: "delete",
                entity: "form",
                entity_key: form.key.clone(),
                organisation_id: Some(form.owner_organisation_id),
                summary: format!(
                    "保存期間（{days}日）を過ぎた「{}」の回答{count}件を削除",
                    form.title
                ),
                before: Some(json!({"responses": count})),
                after: None,
            },
        )
        .await?;
        txn.commit().await?;
        purged += count;
    }
    Ok(purged)
}

/// Sets how long a form's answers are kept (None: until deleted).
pub async fn set_retention(
    store: &Store,
    actor: &Actor,
    form_key: &str,
    days: Option<i32>,
) -> Result<(), StoreError> {
    if days.is_some_and(|d| !(30..=3650).contains(&d)) {
        return Err(StoreError::Invalid(vec![Invalid::new(
            "retention_days",
            "保存期間は30〜3650日で入力してください（空欄なら削除するまで保存）。",
        )]));
    }
    let txn = store.begin().await?;
    let row = form::Entity::find()
        .filter(form::Column::Key.eq(form_key))
        .one(&txn)
        .await?
        .ok_or_else(|| StoreError::not_found("フォーム"))?;
    if !actor.may_edit_catalogue_of(row.owner_organisation_id) {
        return Err(StoreError::forbidden(
            "保存期間は、フォームを所管する団体の職員が設定します。",
        ));
    }
    let before = row.retention_days;
    let mut active: form::ActiveModel = row.clone().into();
    active.retention_days = Set(days);
    active.update(&txn).await?;
    audit::record(
        &txn,
        Some(actor),
        Change {
            action: "update",
            entity: "form",
            entity_key: row.key.clone(),
            organisation_id: Some(row.owner_organisation_id),
            summary: format!(
                "「{}」の回答の保存期間を{}に設定",
                row.title,
                days.map_or_else(|| "無期限".to_owned(), |d| format!("{d}日"))
            ),
            before: Some(json!({"retention_days": before})),
            after: Some(json!({"retention_days": days})),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// A form's retention period in days, if set.
pub async fn retention(store: &Store, form_key: &str) -> Result<Option<i32>, StoreError> {
    Ok(form::Entity::find()
        .filter(form::Column::Key.eq(form_key))
        .one(&store.db)
        .await?
        .ok_or_else(|| StoreError::not_found("フォーム"))?
        .retention_days)
}
