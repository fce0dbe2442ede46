//! Negotiations (商談): a step recorded by one side is told to the other party's
//! members; a step recorded by the keeping organisation's staff, to both parties.

use domain::Actor;
use domain::directory::Stage;
use sea_orm::ConnectionTrait;

use super::{Notice, Programme, company_members, notify_all};
use crate::StoreError;
use crate::negotiations::Negotiation;

/// `actor` recorded `stage` (with `note`) on `negotiation`.
pub async fn step_taken(
    db: &impl ConnectionTrait,
    actor: &Actor,
    negotiation: &Negotiation,
    stage: Stage,
    note: &str,
) -> Result<(), StoreError> {
    let buyer = negotiation.buyer_company.as_ref().map(|c| c.1);
    let supplier = negotiation.supplier_company.as_ref().map(|c| c.1);
    let sides = [
        (buyer, &negotiation.buyer_name, &negotiation.supplier_name),
        (
            supplier,
            &negotiation.supplier_name,
            &negotiation.buyer_name,
        ),
    ];
    for (company_id, own_name, other_name) in sides {
        let Some(company_id) = company_id else {
            continue;
        };
        // The side that recorded the step knows of it.
        if actor.company_id == Some(company_id) {
            continue;
        }
        let by = if actor.company_id.is_some() {
            other_name.to_string()
        } else {
            negotiation.owner.name.clone()
        };
        let what = Notice::new(
            Programme::Negotiations,
            (Some(negotiation.owner.id), &negotiation.owner.name),
            format!(
                "【商談の経過】「{}」が「{}」に進みました",
                negotiation.title,
                stage.label()
            ),
            format!(
                "{own_name}が関わる商談「{}」で、{by}が経過「{}」を記録しました。{}\n商談のページで内容を確認し、次の対応を記録してください。",
                negotiation.title,
                stage.label(),
                if note.is_empty() {
                    String::new()
                } else {
                    format!("\n\nメモ：{note}\n")
                }
            ),
            format!("/negotiations/{}", negotiation.key),
            format!(
                "このメールは、{own_name}が{}の仲介する商談「{}」の当事者であるためお送りしています。",
                negotiation.owner.name, negotiation.title
            ),
        );
        notify_all(db, &company_members(db, company_id).await?, &what).await?;
    }
    Ok(())
}
