//! API tokens for machines and integrations, which hold no browser session: a
//! 仲間まわし machine (or the tablet beside it) reports progress and outages of its one
//! machine; a city's own system reads and writes its organisation's records through
//! `/api/v1`. Staff of the organisation create and revoke them.
//!
//! A token is shown once; the database keeps its SHA-256 (`tokens::hash`), like the
//! mailed links. A token acts as its organisation's staff — as the staff member who
//! created it, so the store's rules and the audit log name a person — and the web
//! layer narrows a machine token to its two routes and its machine
//! (`web::auth::bearer`). Every change made with a token is in the audit log with the
//! token's name; every use moves its last-use time.

use chrono::{DateTime, Utc};
use domain::{Actor, Invalid, Role};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set, sea_query::Expr,
};
use serde_json::json;

use crate::entity::{api_token, company, network_machine, network_operation, organisation, user};
use crate::write::{Action, Audited, Entity};
use crate::{Store, StoreError};

/// What the raw token starts with, so that a leaked one is recognised (secret
/// scanners, logs) and a typo in the header is told apart from a wrong token.
pub const PREFIX: &str = "renkei_";

/// What a token may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Report progress and outages of this machine only.
    Machine { id: i64, name: String },
    /// Everything its organisation's staff may do through `/api/v1`.
    Organisation,
}

/// A token as the staff's page lists it (never the token itself).
#[derive(Debug, Clone)]
pub struct ApiToken {
    pub id: i64,
    pub name: String,
    pub scope: Scope,
    pub organisation_name: String,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A request's caller, from a valid token.
#[derive(Debug, Clone)]
pub struct Caller {
    pub token_id: i64,
    pub token_name: String,
    /// A machine token's machine.
    pub machine_id: Option<i64>,
    /// The organisation's staff member who created the token, as the store's actor.
    pub actor: Actor,
}

fn may_manage(actor: &Actor) -> Result<i64, StoreError> {
    match (actor.role, actor.organisation_id) {
        (Role::Staff, Some(organisation)) => Ok(organisation),
        _ => Err(StoreError::forbidden(
            "APIトークンを発行・取り消しできるのは、市区・商工会議所の職員です。",
        )),
    }
}

/// The machines of the actor's organisation's companies (id, 「企業名 設備名」), for
/// the form.
pub async fn machines_of(store: &Store, actor: &Actor) -> Result<Vec<(i64, String)>, StoreError> {
    let organisation = may_manage(actor)?;
    let companies: std::collections::HashMap<i64, String> = company::Entity::find()
        .filter(company::Column::OwnerOrganisationId.eq(organisation))
        .all(&store.db)
        .await?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect();
    Ok(network_machine::Entity::find()
        .order_by_asc(network_machine::Column::Id)
        .all(&store.db)
        .await?
        .into_iter()
        .filter_map(|m| {
            companies
                .get(&m.company_id)
                .map(|company| (m.id, format!("{company} {}", m.name)))
        })
        .collect())
}

/// Creates a token named `name` for the actor's organisation, or for one of its
/// machines; returns it with the raw token, to be shown once.
pub async fn create(
    store: &Store,
    actor: &Actor,
    name: &str,
    machine: Option<i64>,
) -> Result<(ApiToken, String), StoreError> {
    let organisation_id = may_manage(actor)?;
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(Invalid::new(
            "name",
            "トークンの名前（用途。例: 第1工場 5軸マシニングセンタ、川口市 施策管理システム）を100文字以内で入力してください。",
        )
        .into());
    }
    if name.chars().any(char::is_control) {
        return Err(Invalid::new("name", "名前に改行や制御文字は使えません。").into());
    }
    let machine = match machine {
        Some(id) => {
            let own = machines_of(store, actor).await?;
            let Some((_, label)) = own.into_iter().find(|(m, _)| *m == id) else {
                return Err(Invalid::new("machine", "自団体の企業の設備を選んでください。").into());
            };
            Some((id, label))
        }
        None => None,
    };
    let token = crate::tokens::new_token();
    let raw = format!("{PREFIX}{}", token.raw);
    let now = Utc::now();
    let scope = match &machine {
        Some((_, label)) => format!("設備「{label}」の進捗・停止の報告"),
        None => "団体のAPI（読み書き）".to_owned(),
    };
    let id = store
        .write(Some(actor), async |w| {
            let row = api_token::ActiveModel {
                organisation_id: Set(organisation_id),
                machine_id: Set(machine.as_ref().map(|(id, _)| *id)),
                name: Set(name.to_owned()),
                token_sha256: Set(crate::tokens::hash(&raw)),
                created_by: Set(actor.user_id),
                created_at: Set(now),
                last_used_at: Set(None),
                revoked_at: Set(None),
                ..Default::default()
            }
            .insert(w.txn())
            .await?;
            w.audit(
                Audited::new(
                    Action::TokenCreate,
                    Entity::ApiToken,
                    row.id.to_string(),
                    Some(organisation_id),
                    format!("APIトークン「{name}」を発行（{scope}）"),
                )
                .after(json!({"name": name, "machine": machine.as_ref().map(|(id, _)| id)})),
            );
            Ok(row.id)
        })
        .await?;
    let listed = list(store, actor)
        .await?
        .into_iter()
        .find(|t| t.id == id)
        .ok_or_else(|| StoreError::not_found("APIトークン"))?;
    Ok((listed, raw))
}

/// The tokens of the actor's organisation, newest first.
pub async fn list(store: &Store, actor: &Actor) -> Result<Vec<ApiToken>, StoreError> {
    let organisation_id = may_manage(actor)?;
    let rows = api_token::Entity::find()
        .filter(api_token::Column::OrganisationId.eq(organisation_id))
        .order_by_desc(api_token::Column::Id)
        .all(&store.db)
        .await?;
    let organisation_name = organisation::Entity::find_by_id(organisation_id)
        .one(&store.db)
        .await?
        .map(|o| o.name)
        .unwrap_or_default();
    let machines: std::collections::HashMap<i64, String> =
        machines_of(store, actor).await?.into_iter().collect();
    let mut tokens = Vec::with_capacity(rows.len());
    for row in rows {
        let created_by = user::Entity::find_by_id(row.created_by)
            .one(&store.db)
            .await?
            .map(|u| u.email)
            .unwrap_or_default();
        tokens.push(ApiToken {
            id: row.id,
            name: row.name,
            scope: match row.machine_id {
                Some(id) => Scope::Machine {
                    id,
                    name: machines.get(&id).cloned().unwrap_or_default(),
                },
                None => Scope::Organisation,
            },
            organisation_name: organisation_name.clone(),
            created_by,
            created_at: row.created_at,
            last_used_at: row.last_used_at,
            revoked_at: row.revoked_at,
        });
    }
    Ok(tokens)
}

/// Revokes a token of the actor's organisation: it is refused from the next request.
pub async fn revoke(store: &Store, actor: &Actor, id: i64) -> Result<(), StoreError> {
    let organisation_id = may_manage(actor)?;
    store
        .write(Some(actor), async |w| {
            let row = api_token::Entity::find_by_id(id)
                .one(w.txn())
                .await?
                .filter(|row| row.organisation_id == organisation_id)
                .ok_or_else(|| StoreError::not_found("APIトークン"))?;
            if row.revoked_at.is_some() {
                return Err(StoreError::Conflict(format!(
                    "APIトークン「{}」は既に取り消されています。",
                    row.name
                )));
            }
            api_token::ActiveModel {
                id: Set(row.id),
                revoked_at: Set(Some(Utc::now())),
                ..Default::default()
            }
            .update(w.txn())
            .await?;
            w.audit(Audited::new(
                Action::TokenRevoke,
                Entity::ApiToken,
                row.id.to_string(),
                Some(organisation_id),
                format!("APIトークン「{}」を取り消し", row.name),
            ));
            Ok(())
        })
        .await
}

/// The caller behind `raw`, if it is a token in force whose creator is still staff
/// of its organisation; its last use becomes now.
pub async fn authenticate(store: &Store, raw: &str) -> Result<Option<Caller>, StoreError> {
    let raw = raw.trim();
    let Some(rest) = raw.strip_prefix(PREFIX) else {
        return Ok(None);
    };
    if !crate::tokens::looks_like_token(rest) {
        return Ok(None);
    }
    let Some(row) = api_token::Entity::find()
        .filter(api_token::Column::TokenSha256.eq(crate::tokens::hash(raw)))
        .filter(api_token::Column::RevokedAt.is_null())
        .one(&store.db)
        .await?
    else {
        return Ok(None);
    };
    // Someone who left the organisation's staff takes their tokens' power along.
    let Some(creator) = user::Entity::find_by_id(row.created_by)
        .one(&store.db)
        .await?
        .filter(|u| u.role == Role::Staff.code() && u.organisation_id == Some(row.organisation_id))
    else {
        return Ok(None);
    };
    api_token::Entity::update_many()
        .col_expr(api_token::Column::LastUsedAt, Expr::value(Utc::now()))
        .filter(api_token::Column::Id.eq(row.id))
        .exec(&store.db)
        .await?;
    Ok(Some(Caller {
        token_id: row.id,
        token_name: row.name,
        machine_id: row.machine_id,
        actor: Actor {
            user_id: creator.id,
            email: creator.email,
            role: Role::Staff,
            organisation_id: Some(row.organisation_id),
            company_id: None,
        },
    }))
}

/// Records a change requested with a token (`method` and `path` as sent) in the
/// audit log, before the change itself is made and audited by its own store call.
pub async fn record_use(
    store: &Store,
    caller: &Caller,
    method: &str,
    path: &str,
) -> Result<(), StoreError> {
    store
        .write(Some(&caller.actor), async |w| {
            w.audit(Audited::new(
                Action::TokenUse,
                Entity::ApiToken,
                caller.token_id.to_string(),
                caller.actor.organisation_id,
                format!("APIトークン「{}」で {method} {path}", caller.token_name),
            ));
            Ok(())
        })
        .await
}

/// The machine an operation is planned on, if it exists and is planned.
pub async fn machine_of_operation(
    store: &Store,
    operation_id: i64,
) -> Result<Option<i64>, StoreError> {
    Ok(network_operation::Entity::find_by_id(operation_id)
        .one(&store.db)
        .await?
        .and_then(|operation| operation.machine_id))
}
