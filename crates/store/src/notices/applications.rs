//! Applications (申請): the applying company's members hear that their application
//! was received, of a request for more information (差戻し), and of the decision —
//! all essential; the start of review is not. The call's reviewers (or the owning
//! organisation's staff) hear of each new application, non-essential.

use domain::applications::ApplicationStatus;
use sea_orm::ConnectionTrait;

use super::{Notice, Programme, company_members, notify_all, users};
use crate::StoreError;
use crate::applications::Call;
use crate::entity::company;

fn reason_for_company(call: &Call, company: &company::Model) -> String {
    format!(
        "このメールは、{}が{}の「{}」に申請しているためお送りしています。",
        company.name, call.form.owner.name, call.form.title
    )
}

/// The application was submitted (or resubmitted): the company's members get the
/// receipt; the reviewers hear there is one to review.
pub async fn submitted(
    db: &impl ConnectionTrait,
    call: &Call,
    company: &company::Model,
    application_id: i64,
    resubmitted: bool,
    reviewers: &[i64],
) -> Result<(), StoreError> {
    let owner = (Some(call.form.owner.id), call.form.owner.name.as_str());
    let link = format!("/applications/{application_id}");
    let receipt = Notice::new(
        Programme::Applications,
        owner,
        format!(
            "【{}】「{}」への申請を{}",
            if resubmitted { "再提出" } else { "受付" },
            call.form.title,
            if resubmitted {
                "再提出しました"
            } else {
                "受け付けました"
            }
        ),
        format!(
            "「{}」への申請を{}（提出済み）。審査の状況はお知らせとこのページでお知らせします。内容の確認には次のページをご覧ください。",
            call.form.title,
            if resubmitted {
                "再提出しました"
            } else {
                "受け付けました"
            }
        ),
        link.clone(),
        reason_for_company(call, company),
    )
    .essential();
    notify_all(db, &company_members(db, company.id).await?, &receipt).await?;
    let review = Notice::new(
        Programme::Applications,
        owner,
        format!(
            "【審査】{}から「{}」への申請が{}されました",
            company.name,
            call.form.title,
            if resubmitted { "再提出" } else { "提出" }
        ),
        format!(
            "{}から「{}」への申請が{}されました。申請のページで内容を確認し、評価を入力してください。",
            company.name,
            call.form.title,
            if resubmitted { "再提出" } else { "提出" }
        ),
        link,
        format!(
            "このメールは、あなたが「{}」の審査を担当する{}の職員であるためお送りしています。",
            call.form.title, call.form.owner.name
        ),
    );
    notify_all(db, &users(db, reviewers).await?, &review).await
}

/// The application moved to `to` by the owning organisation's staff.
pub async fn moved(
    db: &impl ConnectionTrait,
    call: &Call,
    company: &company::Model,
    application_id: i64,
    to: ApplicationStatus,
    comment: &str,
) -> Result<(), StoreError> {
    let title = &call.form.title;
    let (heading, text, essential) = match to {
        ApplicationStatus::InReview => (
            format!("【審査開始】「{title}」への申請の審査が始まりました"),
            format!("「{title}」への申請の審査が始まりました。結果が出ましたらお知らせします。"),
            false,
        ),
        ApplicationStatus::Returned => (
            format!("【差戻し】「{title}」への申請について追加の情報をお願いします"),
            format!(
                "「{title}」への申請が差し戻されました。次の点をご確認のうえ、申請のページから内容を直して再提出してください。\n\n理由：{comment}"
            ),
            true,
        ),
        ApplicationStatus::Approved => (
            format!("【承認】「{title}」への申請が承認されました"),
            format!(
                "「{title}」への申請が承認されました。{}今後の手続きは{}からご案内します。",
                if comment.is_empty() {
                    String::new()
                } else {
                    format!("\n\n{comment}\n\n")
                },
                call.form.owner.name
            ),
            true,
        ),
        ApplicationStatus::Rejected => (
            format!("【審査結果】「{title}」への申請の結果をお知らせします"),
            format!(
                "「{title}」への申請は、審査の結果、不承認となりました。{}ご不明な点は{}にお問い合わせください。",
                if comment.is_empty() {
                    String::new()
                } else {
                    format!("\n\n理由：{comment}\n\n")
                },
                call.form.owner.name
            ),
            true,
        ),
        ApplicationStatus::Submitted => return Ok(()),
    };
    let mut notice = Notice::new(
        Programme::Applications,
        (Some(call.form.owner.id), &call.form.owner.name),
        heading,
        text,
        format!("/applications/{application_id}"),
        reason_for_company(call, company),
    );
    notice.essential = essential;
    notify_all(db, &company_members(db, company.id).await?, &notice).await
}
