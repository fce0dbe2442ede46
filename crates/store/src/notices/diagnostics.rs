//! Diagnostics (企業健康診断): when the next step of a follow-up falls due, the
//! company's members are told what is planned and by whom. A pass (run by every
//! `renkei serve` hourly, or by `renkei notices due`) finds follow-ups whose next
//! date has come and claims each by setting `due_noticed_at` in the transaction
//! that writes its notice: on PostgreSQL a second process's claim waits for the
//! first and then finds the row taken; SQLite has one writer. So a company is told
//! once, however many processes run the pass.

use chrono::{NaiveDate, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::{Notice, Programme, company_members, notify_all};
use crate::entity::{company, diagnosis_followup, form, organisation};
use crate::write::{Action, Audited, Entity};
use crate::{Store, StoreError};

/// How many follow-ups one pass handles at most (the next pass takes the rest).
const PASS_LIMIT: u64 = 500;

/// Tells each company whose follow-up's next date is on or before `today` (Japan
/// date), once. Returns how many companies' notices were written by this call.
pub async fn followups_due(store: &Store, today: NaiveDate) -> Result<usize, StoreError> {
    let due = diagnosis_followup::Entity::find()
        .filter(diagnosis_followup::Column::DueNoticedAt.is_null())
        .filter(diagnosis_followup::Column::NextOn.is_not_null())
        .filter(diagnosis_followup::Column::NextOn.lte(today.to_string()))
        .order_by_asc(diagnosis_followup::Column::Id)
        .limit(PASS_LIMIT)
        .all(&store.db)
        .await?;
    let mut told = 0;
    for followup in due {
        if tell_one(store, &followup).await? {
            told += 1;
        }
    }
    Ok(told)
}

/// Claims and tells one follow-up; false when another process had claimed it, or
/// when a later follow-up of the same company has taken its place (it is then
/// claimed without a notice).
async fn tell_one(store: &Store, followup: &diagnosis_followup::Model) -> Result<bool, StoreError> {
    store
        .write(None, async |w| {
            let claimed = diagnosis_followup::Entity::update_many()
                .col_expr(
                    diagnosis_followup::Column::DueNoticedAt,
                    Expr::value(Utc::now()),
                )
                .filter(diagnosis_followup::Column::Id.eq(followup.id))
                .filter(diagnosis_followup::Column::DueNoticedAt.is_null())
                .exec(w.txn())
                .await?
                .rows_affected;
            if claimed != 1 {
                return Ok(false);
            }
            let next_on = followup.next_on.clone().unwrap_or_default();
            let superseded = diagnosis_followup::Entity::find()
                .filter(diagnosis_followup::Column::FormId.eq(followup.form_id))
                .filter(diagnosis_followup::Column::CompanyId.eq(followup.company_id))
                .filter(diagnosis_followup::Column::Id.ne(followup.id))
                .filter(diagnosis_followup::Column::HappenedOn.gte(next_on.clone()))
                .one(w.txn())
                .await?
                .is_some();
            let (Some(form), Some(company)) = (
                form::Entity::find_by_id(followup.form_id).one(w.txn()).await?,
                company::Entity::find_by_id(followup.company_id)
                    .one(w.txn())
                    .await?,
            ) else {
                return Ok(false);
            };
            if superseded {
                return Ok(false);
            }
            let owner = organisation::Entity::find_by_id(form.owner_organisation_id)
                .one(w.txn())
                .await?
                .map(|o| o.name)
                .unwrap_or_default();
            let planned = if followup.next_action.is_empty() {
                followup.kind.clone()
            } else {
                followup.next_action.clone()
            };
            let what = Notice::new(
                Programme::Diagnostics,
                (Some(form.owner_organisation_id), &owner),
                format!("【フォローアップ】「{}」の次の対応の予定日です", form.title),
                format!(
                    "「{}」の結果を受けたフォローアップで、{next_on}に次の対応を予定しています。\n\n予定している対応：{planned}\n\nご都合の確認のため、{owner}の担当者からご連絡します。結果は診断のページでいつでも確認できます。",
                    form.title
                ),
                format!("/forms/{}/result", form.key),
                format!(
                    "このメールは、{}が{owner}の「{}」を受診しているためお送りしています。",
                    company.name, form.title
                ),
            );
            notify_all(
                w.txn(),
                &company_members(w.txn(), company.id).await?,
                &what,
            )
            .await?;
            w.audit(
                Audited::new(
                    Action::Remind,
                    Entity::DiagnosisFollowup,
                    followup.id.to_string(),
                    Some(form.owner_organisation_id),
                    format!(
                        "{}に診断後フォローアップの予定日（{next_on}）をお知らせ",
                        company.name
                    ),
                )
                .by_system(),
            );
            Ok(true)
        })
        .await
}
