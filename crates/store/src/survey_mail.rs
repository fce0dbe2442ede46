//! Survey invitations and reminders by mail: one bulk message per establishment with
//! its personal answer link, queued in the same transaction as the invitations (or
//! the reminder round) that it announces. Establishments without a usable contact
//! address, and addresses that unsubscribed from the organisation's survey mail, get
//! none; staff see how many in what [`surveys::send`](crate::surveys::send) returns
//! and can still download the links for their own mail merge.

use crate::StoreError;
use crate::entity::company;
use crate::forms::Form;
use crate::outbox::{Outgoing, PUBLIC_URL};
use crate::unsubscribe;
use crate::write::Writing;

/// Whether a send or a reminder round mails the establishments or only records the
/// round (staff then download the answer links for their own mail merge).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Notify {
    #[default]
    Mail,
    LinksOnly,
}

/// What mailing a round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Mailed {
    /// Messages queued in the outbox.
    pub queued: u64,
    /// Establishments with no usable contact address.
    pub no_address: u64,
    /// Addresses that unsubscribed from this organisation's survey mail.
    pub unsubscribed: u64,
}

/// Which message of a survey.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Round {
    Invitation,
    /// The reminder round's number (1 for the first).
    Reminder(u32),
}

fn usable(email: &str) -> Option<String> {
    domain::directory::parse_email("email", email)
        .ok()
        .filter(|e| !e.is_empty())
}

/// Queues one message per invited company (`(company, answer token)`).
pub(crate) async fn queue(
    w: &mut Writing<'_>,
    form: &Form,
    invited: &[(i64, String)],
    round: Round,
) -> Result<Mailed, StoreError> {
    let companies =
        crate::forms::companies_by_id(w.txn(), invited.iter().map(|(id, _)| *id)).await?;
    let list = unsubscribe::survey_list(&form.owner.key);
    let mut mailed = Mailed::default();
    let mut addressed: Vec<(&company::Model, String, &str)> = Vec::new();
    for (id, token) in invited {
        let Some(company) = companies.get(id) else {
            continue;
        };
        match usable(&company.contact_email) {
            Some(email) => addressed.push((company, email, token)),
            None => mailed.no_address += 1,
        }
    }
    let suppressed = unsubscribe::suppressed_among(
        w.txn(),
        addressed
            .iter()
            .map(|(_, email, _)| (list.as_str(), email.as_str())),
    )
    .await?;
    for (company, email, token) in addressed {
        if suppressed.contains(&(list.clone(), unsubscribe::normalise(&email))) {
            mailed.unsubscribed += 1;
            continue;
        }
        let (subject, body) = text(form, company, token, round);
        w.send(Outgoing::bulk(
            Some(form.owner.id),
            &form.owner.name,
            &recipient(company),
            &email,
            &subject,
            &body,
            &format!(
                "このメールは、{}が調査「{}」の回答をお願いする事業所の連絡先として、{}様のアドレスにお送りしています。",
                form.owner.name, form.title, company.name
            ),
            &list,
        ));
        mailed.queued += 1;
    }
    Ok(mailed)
}

fn recipient(company: &company::Model) -> String {
    if company.contact_name.trim().is_empty() {
        format!("{} ご担当者", company.name)
    } else {
        format!("{} {}", company.name, company.contact_name.trim())
    }
}

fn text(form: &Form, company: &company::Model, token: &str, round: Round) -> (String, String) {
    let link = format!("{PUBLIC_URL}/s/{token}");
    let addressee = if company.contact_name.trim().is_empty() {
        format!("{}\nご担当者様", company.name)
    } else {
        format!("{}\n{} 様", company.name, company.contact_name.trim())
    };
    let closes = match form.period.closes_on {
        Some(day) => format!("回答期限：{}\n", day.format("%Y年%-m月%-d日")),
        None => String::new(),
    };
    let description = form.description.trim();
    let (subject, lead) = match round {
        Round::Invitation => (
            format!("【調査のお願い】{}", form.title),
            format!(
                "{}では「{}」を実施しています。お手数ですが、下記のリンクからご回答ください（ログインは不要です。途中で保存して後から続けられます）。",
                form.owner.name, form.title
            ),
        ),
        Round::Reminder(n) => (
            format!("【再送・ご回答のお願い（{n}回目）】{}", form.title),
            format!(
                "先日お送りした「{}」のご回答がまだ届いていないため、再度ご案内します。すでにご回答済みの場合は行き違いですのでご容赦ください。",
                form.title
            ),
        ),
    };
    let about = if description.is_empty() {
        String::new()
    } else {
        format!("\n{description}\n")
    };
    (
        subject,
        format!(
            "{addressee}\n\n{lead}\n{about}\n回答ページ（{}様専用）：\n{link}\n{closes}\nこのリンクは貴社専用です。ほかの方には転送しないでください。\n\n{}",
            company.name, form.owner.name
        ),
    )
}
