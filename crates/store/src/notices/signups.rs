//! Accounts people make themselves: when a company's sign-up request has its address
//! confirmed, the staff of the organisation keeping the company are told that it
//! waits for their decision.

use sea_orm::ConnectionTrait;

use super::{Notice, Programme, notify_all, organisation_staff};
use crate::StoreError;
use crate::organisations::Organisation;

/// The request `id` of `person` for `company` now waits for `keeper`'s staff.
pub async fn company_request_waiting(
    db: &impl ConnectionTrait,
    keeper: &Organisation,
    id: i64,
    person: &str,
    company: &str,
) -> Result<(), StoreError> {
    let what = Notice::new(
        Programme::Signups,
        (Some(keeper.id), &keeper.name),
        format!("【利用登録】{company}の企業会員の申請が審査を待っています"),
        format!(
            "{person} さんが、{company}の企業会員としての利用登録を申請し、メールアドレスを確認しました。\n申請の内容を確認し、承認するか、理由を添えてお断りください。"
        ),
        format!("/admin/signups/{id}"),
        format!(
            "このメールは、{}の担当者として、{company}の利用登録を審査する立場にあるためお送りしています。",
            keeper.name
        ),
    );
    notify_all(db, &organisation_staff(db, keeper.id).await?, &what).await
}
