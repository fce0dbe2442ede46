//! 仲間まわし: a delay or a machine breakdown that moves a job is told to the hub
//! company's members — the company that took the order and answers to the customer.

use sea_orm::{ConnectionTrait, EntityTrait};

use super::{Notice, Programme, company_members, notify_all};
use crate::StoreError;
use crate::entity::{company, network_job, organisation};

/// Why the job moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disruption {
    Delay,
    MachineDown,
}

/// `job` is disrupted (`detail` says what happened, in the network's words); the
/// plan is recomputed after the report.
pub async fn job_disrupted(
    db: &impl ConnectionTrait,
    job: &network_job::Model,
    disruption: Disruption,
    detail: &str,
) -> Result<(), StoreError> {
    let Some(hub) = company::Entity::find_by_id(job.hub_company_id)
        .one(db)
        .await?
    else {
        return Ok(());
    };
    let owner = organisation::Entity::find_by_id(hub.owner_organisation_id)
        .one(db)
        .await?;
    let owner_name = owner.as_ref().map_or("", |o| o.name.as_str());
    let (title, opening) = match disruption {
        Disruption::Delay => (
            format!("【遅延】案件「{}」の工程に遅れが出ています", job.name),
            "仲間まわしの案件で、工程の遅れが報告されました。",
        ),
        Disruption::MachineDown => (
            format!("【設備停止】案件「{}」の計画が変わります", job.name),
            "仲間まわしの案件で使う設備の停止が報告されました。",
        ),
    };
    let what = Notice::new(
        Programme::Network,
        (Some(hub.owner_organisation_id), owner_name),
        title,
        format!(
            "{opening}\n\n{detail}\n\n計画は自動で組み直されます。案件のページで新しい予定と納期への影響を確認し、必要ならお客様にご連絡ください。"
        ),
        format!("/network/jobs/{}", job.key),
        format!(
            "このメールは、{}が仲間まわしの案件「{}」の取りまとめ企業であるためお送りしています。",
            hub.name, job.name
        ),
    );
    notify_all(db, &company_members(db, hub.id).await?, &what).await
}
