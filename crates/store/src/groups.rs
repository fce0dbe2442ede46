//! Groups of companies and partners across cities (加賀ものづくり企業域外ネットワーク
//! with 岡谷市, 東大阪市の研究会 with 大阪大学医学部): kept by one organisation's
//! staff, with members (companies of the directory, organisations of the council,
//! partners of the document), a feed of needs and seeds shared to the group, and
//! meetings (events of the calendar).
//!
//! Who takes part — the keeper's staff, the secretariat, a member organisation's
//! staff, a member company's members — reads the feed and shares its own needs and
//! seeds; each share tells every other member company's members and every member
//! organisation's staff, in the app and by mail, in the transaction of the share.
//! The public sees the group, its public member companies and its meetings.

use chrono::{DateTime, Utc};
use domain::groups::{GroupDraft, MemberRef, takes_part};
use domain::{Actor, Invalid};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde_json::json;

use crate::entity::{
    company, company_group, company_group_meeting, company_group_member, company_group_share,
    event, partner,
};
use crate::error::{UniqueConstraint, on_constraint};
use crate::notices::{self, Notice, Programme};
use crate::organisations::{self, Directory, Organisation};
use crate::postings::{self, Posting};
use crate::write::{Action, Audited, Entity};
use crate::{Store, StoreError};

/// One member of a group, as listed.
#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    pub id: i64,
    pub of: MemberRef,
    /// The company's, organisation's or partner's key.
    pub key: String,
    pub name: String,
    /// 企業, 自治体・団体, 連携先.
    pub kind_label: &'static str,
    /// A company the directory keeps private is listed only to those taking part.
    pub public: bool,
}

/// A meeting: an event of the calendar.
#[derive(Debug, Clone, PartialEq)]
pub struct Meeting {
    pub key: String,
    pub title: String,
    pub when: String,
}

/// A need or seed shared to the group.
#[derive(Debug, Clone, PartialEq)]
pub struct Share {
    pub posting: Posting,
    pub note: String,
    pub shared_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub id: i64,
    pub key: String,
    pub name: String,
    pub description: String,
    pub keeper: Organisation,
    pub members: Vec<Member>,
    pub meetings: Vec<Meeting>,
}

impl Group {
    fn refs(&self) -> Vec<MemberRef> {
        self.members.iter().map(|m| m.of).collect()
    }

    pub fn takes_part(&self, actor: &Actor) -> bool {
        takes_part(actor, self.keeper.id, &self.refs())
    }

    pub fn kept_by(&self, actor: &Actor) -> bool {
        actor.may_edit_catalogue_of(self.keeper.id)
    }

    /// The cities its member companies and organisations are in, joined with ×.
    pub fn cities(&self, directory: &Directory) -> String {
        let mut cities: Vec<String> = Vec::new();
        let mut add = |name: &str| {
            if !cities.iter().any(|c| c == name) {
                cities.push(name.to_owned());
            }
        };
        if let Some(city) = &self.keeper.city {
            add(&city.name);
        }
        for m in &self.members {
            if let MemberRef::Organisation(id) = m.of
                && let Some(city) = directory.organisation(id).and_then(|o| o.city.as_ref())
            {
                add(&city.name);
            }
        }
        cities.join("×")
    }
}

/// A group as one viewer sees it.
#[derive(Debug, Clone)]
pub struct GroupView {
    pub group: Group,
    /// Members the viewer may see (private companies only to those taking part).
    pub members: Vec<Member>,
    /// The shared needs and seeds, for those taking part; `None` for others.
    pub shares: Option<Vec<Share>>,
    pub keeps: bool,
}

fn not_found(key: &str) -> StoreError {
    StoreError::not_found(format!("グループ「{key}」"))
}

async fn load(
    db: &impl ConnectionTrait,
    directory: &Directory,
    rows: Vec<company_group::Model>,
) -> Result<Vec<Group>, StoreError> {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let member_rows = company_group_member::Entity::find()
        .filter(company_group_member::Column::GroupId.is_in(ids.clone()))
        .order_by_asc(company_group_member::Column::Id)
        .all(db)
        .await?;
    let company_ids: Vec<i64> = member_rows.iter().filter_map(|m| m.company_id).collect();
    let companies: std::collections::HashMap<i64, company::Model> = company::Entity::find()
        .filter(company::Column::Id.is_in(company_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    let partners: std::collections::HashMap<i64, partner::Model> = partner::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    let meeting_rows = company_group_meeting::Entity::find()
        .filter(company_group_meeting::Column::GroupId.is_in(ids))
        .all(db)
        .await?;
    let events: std::collections::HashMap<i64, event::Model> = event::Entity::find()
        .filter(event::Column::Id.is_in(meeting_rows.iter().map(|m| m.event_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|e| (e.id, e))
        .collect();
    let mut groups = Vec::new();
    for row in rows {
        let keeper = directory
            .organisation(row.owner_organisation_id)
            .cloned()
            .ok_or_else(|| StoreError::Config(format!("group {}: keeper", row.key)))?;
        let members = member_rows
            .iter()
            .filter(|m| m.group_id == row.id)
            .filter_map(|m| {
                if let Some(id) = m.company_id {
                    let c = companies.get(&id)?;
                    return Some(Member {
                        id: m.id,
                        of: MemberRef::Company(id),
                        key: c.key.clone(),
                        name: c.name.clone(),
                        kind_label: "企業",
                        public: c.public,
                    });
                }
                if let Some(id) = m.organisation_id {
                    let o = directory.organisation(id)?;
                    return Some(Member {
                        id: m.id,
                        of: MemberRef::Organisation(id),
                        key: o.key.clone(),
                        name: o.name.clone(),
                        kind_label: "自治体・団体",
                        public: true,
                    });
                }
                let p = partners.get(&m.partner_id?)?;
                Some(Member {
                    id: m.id,
                    of: MemberRef::Partner(p.id),
                    key: p.key.clone(),
                    name: p.name.clone(),
                    kind_label: "連携先",
                    public: true,
                })
            })
            .collect();
        let mut meetings: Vec<(String, Meeting)> = meeting_rows
            .iter()
            .filter(|m| m.group_id == row.id)
            .filter_map(|m| events.get(&m.event_id))
            .filter(|e| !e.members_only)
            .map(|e| {
                let time = domain::events::EventTime::from_stored(&e.starts_at)
                    .zip(domain::events::EventTime::from_stored(&e.ends_at))
                    .map(|(start, end)| domain::events::EventTime {
                        start,
                        end,
                        all_day: e.all_day,
                    });
                (
                    e.starts_at.clone(),
                    Meeting {
                        key: e.key.clone(),
                        title: e.title.clone(),
                        when: time.map(|t| t.label()).unwrap_or_default(),
                    },
                )
            })
            .collect();
        meetings.sort_by(|a, b| a.0.cmp(&b.0));
        groups.push(Group {
            id: row.id,
            key: row.key,
            name: row.name,
            description: row.description,
            keeper,
            members,
            meetings: meetings.into_iter().map(|(_, m)| m).collect(),
        });
    }
    Ok(groups)
}

async fn one(
    db: &impl ConnectionTrait,
    directory: &Directory,
    key: &str,
) -> Result<Group, StoreError> {
    let row = company_group::Entity::find()
        .filter(company_group::Column::Key.eq(key))
        .one(db)
        .await?
        .ok_or_else(|| not_found(key))?;
    load(db, directory, vec![row])
        .await?
        .pop()
        .ok_or_else(|| not_found(key))
}

/// Every group, by name; with its members as `viewer` may see them.
pub async fn list(
    store: &Store,
    viewer: Option<&Actor>,
) -> Result<Vec<(Group, Vec<Member>)>, StoreError> {
    let directory = organisations::directory(store).await?;
    let rows = company_group::Entity::find()
        .order_by_asc(company_group::Column::Name)
        .all(&store.db)
        .await?;
    Ok(load(&store.db, &directory, rows)
        .await?
        .into_iter()
        .map(|g| {
            let members = visible_members(&g, viewer);
            (g, members)
        })
        .collect())
}

fn visible_members(group: &Group, viewer: Option<&Actor>) -> Vec<Member> {
    let inside = viewer.is_some_and(|a| group.takes_part(a));
    group
        .members
        .iter()
        .filter(|m| inside || m.public)
        .cloned()
        .collect()
}

/// One group as `viewer` sees it: the shared feed only for those taking part.
pub async fn get(
    store: &Store,
    viewer: Option<&Actor>,
    key: &str,
) -> Result<GroupView, StoreError> {
    let directory = organisations::directory(store).await?;
    let group = one(&store.db, &directory, key).await?;
    let shares = match viewer.filter(|a| group.takes_part(a)) {
        Some(_) => Some(shares_of(store, group.id).await?),
        None => None,
    };
    Ok(GroupView {
        members: visible_members(&group, viewer),
        keeps: viewer.is_some_and(|a| group.kept_by(a)),
        shares,
        group,
    })
}

async fn shares_of(store: &Store, group_id: i64) -> Result<Vec<Share>, StoreError> {
    let rows = company_group_share::Entity::find()
        .filter(company_group_share::Column::GroupId.eq(group_id))
        .order_by_desc(company_group_share::Column::SharedAt)
        .order_by_desc(company_group_share::Column::Id)
        .all(&store.db)
        .await?;
    let ids: Vec<i64> = rows.iter().map(|r| r.posting_id).collect();
    let postings = postings::by_ids(store, &ids).await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            let posting = postings.iter().find(|p| p.id == r.posting_id)?.clone();
            Some(Share {
                posting,
                note: r.note,
                shared_at: r.shared_at,
            })
        })
        .collect())
}

/// Starts a group kept by one of the actor's organisations (staff, secretariat).
pub async fn create(store: &Store, actor: &Actor, draft: &GroupDraft) -> Result<Group, StoreError> {
    store
        .write(Some(actor), async |w| {
            let directory = organisations::directory_in(w.txn()).await?;
            let keeper = directory
                .organisation_by_key(&draft.organisation)
                .ok_or_else(|| {
                    Invalid::new("organisation", "事務局となる団体を一覧から選んでください。")
                })?;
            if !actor.may_edit_catalogue_of(keeper.id) {
                return Err(StoreError::forbidden(format!(
                    "{}のグループは、{}の職員と協議会事務局のみ作成できます。",
                    keeper.name, keeper.name
                )));
            }
            let now = Utc::now();
            let key = format!("g{:08x}", rand::random::<u32>());
            company_group::ActiveModel {
                key: Set(key.clone()),
                name: Set(draft.name.clone()),
                description: Set(draft.description.clone()),
                owner_organisation_id: Set(keeper.id),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(w.txn())
            .await?;
            w.audit(
                Audited::new(
                    Action::Create,
                    Entity::Group,
                    key.clone(),
                    Some(keeper.id),
                    format!("グループ「{}」（{}）を作成", draft.name, keeper.name),
                )
                .after(json!({"name": draft.name, "description": draft.description})),
            );
            one(w.txn(), &directory, &key).await
        })
        .await
}

const ONE_MEMBERSHIP: &[UniqueConstraint] = &[
    UniqueConstraint {
        name: "company_group_members_company",
        table: "company_group_members",
        columns: &["group_id", "company_id"],
        field: "member",
        message: "この企業は既にグループのメンバーです。",
    },
    UniqueConstraint {
        name: "company_group_members_organisation",
        table: "company_group_members",
        columns: &["group_id", "organisation_id"],
        field: "member",
        message: "この団体は既にグループのメンバーです。",
    },
    UniqueConstraint {
        name: "company_group_members_partner",
        table: "company_group_members",
        columns: &["group_id", "partner_id"],
        field: "member",
        message: "この連携先は既にグループのメンバーです。",
    },
];

async fn kept(
    db: &impl ConnectionTrait,
    actor: &Actor,
    key: &str,
) -> Result<(Directory, Group), StoreError> {
    let directory = organisations::directory_in(db).await?;
    let group = one(db, &directory, key).await?;
    if !group.kept_by(actor) {
        return Err(StoreError::forbidden(format!(
            "グループ「{}」のメンバーと会合は、事務局の{}の職員と協議会事務局のみ変更できます。",
            group.name, group.keeper.name
        )));
    }
    Ok((directory, group))
}

/// Adds a member by key: a company of the directory (`ota-01`), an organisation of
/// the council (`okaya`) or a partner of the document (`osaka-univ-medicine`).
pub async fn add_member(
    store: &Store,
    actor: &Actor,
    key: &str,
    who: &str,
) -> Result<Member, StoreError> {
    let who = domain::text::narrow_ascii(who).trim().to_owned();
    store
        .write(Some(actor), async |w| {
            let (directory, group) = kept(w.txn(), actor, key).await?;
            let Some((row, name)) =
                member_row(w.txn(), &directory, group.id, &who, Some(actor)).await?
            else {
                return Err(Invalid::new(
                    "member",
                    format!(
                        "「{who}」という企業・団体・連携先は見つかりません（企業名簿のキー ota-01、団体のキー okaya など）。"
                    ),
                )
                .into());
            };
            let inserted = row
                .insert(w.txn())
                .await
                .map_err(|e| on_constraint(e, ONE_MEMBERSHIP))?;
            w.audit(Audited::new(
                Action::AddMember,
                Entity::Group,
                group.key.clone(),
                Some(group.keeper.id),
                format!("グループ「{}」に{name}が参加", group.name),
            ));
            let group = one(w.txn(), &directory, key).await?;
            group
                .members
                .into_iter()
                .find(|m| m.id == inserted.id)
                .ok_or_else(|| StoreError::Config("group member unreadable".into()))
        })
        .await
}

/// The membership row for `who` — an organisation of the council, a company of the
/// directory (one `viewer` may see, when given) or a partner, tried in that order —
/// and the member's name; `None` when there is no such one.
async fn member_row(
    db: &impl ConnectionTrait,
    directory: &Directory,
    group_id: i64,
    who: &str,
    viewer: Option<&Actor>,
) -> Result<Option<(company_group_member::ActiveModel, String)>, StoreError> {
    let mut row = company_group_member::ActiveModel {
        group_id: Set(group_id),
        company_id: Set(None),
        organisation_id: Set(None),
        partner_id: Set(None),
        joined_at: Set(Utc::now()),
        ..Default::default()
    };
    if let Some(o) = directory.organisation_by_key(who) {
        row.organisation_id = Set(Some(o.id));
        return Ok(Some((row, o.name.clone())));
    }
    if let Some(c) = company::Entity::find()
        .filter(company::Column::Key.eq(who))
        .one(db)
        .await?
        .filter(|c| viewer.is_none() || crate::companies::visible_to(viewer, c))
    {
        row.company_id = Set(Some(c.id));
        return Ok(Some((row, c.name)));
    }
    if let Some(p) = partner::Entity::find()
        .filter(partner::Column::Key.eq(who))
        .one(db)
        .await?
    {
        row.partner_id = Set(Some(p.id));
        return Ok(Some((row, p.name)));
    }
    Ok(None)
}

/// Removes a member.
pub async fn remove_member(
    store: &Store,
    actor: &Actor,
    key: &str,
    member_id: i64,
) -> Result<(), StoreError> {
    store
        .write(Some(actor), async |w| {
            let (_, group) = kept(w.txn(), actor, key).await?;
            let member = group
                .members
                .iter()
                .find(|m| m.id == member_id)
                .ok_or_else(|| StoreError::not_found("グループのメンバー"))?;
            company_group_member::Entity::delete_by_id(member_id)
                .exec(w.txn())
                .await?;
            w.audit(Audited::new(
                Action::RemoveMember,
                Entity::Group,
                group.key.clone(),
                Some(group.keeper.id),
                format!("グループ「{}」から{}が退会", group.name, member.name),
            ));
            Ok(())
        })
        .await
}

/// Makes an event of the calendar one of the group's meetings.
pub async fn add_meeting(
    store: &Store,
    actor: &Actor,
    key: &str,
    event_key: &str,
) -> Result<(), StoreError> {
    store
        .write(Some(actor), async |w| {
            let (_, group) = kept(w.txn(), actor, key).await?;
            let found = event::Entity::find()
                .filter(event::Column::Key.eq(event_key.trim()))
                .one(w.txn())
                .await?
                .filter(|e| !e.members_only)
                .ok_or_else(|| {
                    Invalid::new(
                        "event",
                        format!(
                            "イベント「{}」は見つかりません（イベントのキー）。",
                            event_key.trim()
                        ),
                    )
                })?;
            if group.meetings.iter().any(|m| m.key == found.key) {
                return Err(Invalid::new("event", "このイベントは既にグループの会合です。").into());
            }
            company_group_meeting::ActiveModel {
                group_id: Set(group.id),
                event_id: Set(found.id),
            }
            .insert(w.txn())
            .await?;
            w.audit(Audited::new(
                Action::Update,
                Entity::Group,
                group.key.clone(),
                Some(group.keeper.id),
                format!(
                    "グループ「{}」の会合に「{}」を追加",
                    group.name, found.title
                ),
            ));
            Ok(())
        })
        .await
}

/// The needs and seeds `actor` may share: those they may edit (their company's,
/// their organisation's), open.
pub async fn shareable(store: &Store, actor: &Actor) -> Result<Vec<Posting>, StoreError> {
    let all = postings::list(store, Some(actor), &postings::PostingFilter::default()).await?;
    Ok(all
        .into_iter()
        .filter(|p| p.editable_by(Some(actor)))
        .collect())
}

fn refuse_outsider(group: &Group) -> StoreError {
    StoreError::forbidden(format!(
        "グループ「{}」で共有できるのは、メンバーの企業・団体と事務局（{}）だけです。",
        group.name, group.keeper.name
    ))
}

const SHARED_ONCE: &[UniqueConstraint] = &[UniqueConstraint {
    name: "company_group_shares_once",
    table: "company_group_shares",
    columns: &["group_id", "posting_id"],
    field: "posting",
    message: "このニーズ・シーズは既にこのグループで共有されています。",
}];

/// Shares a need or seed the actor may edit with the group; every other member
/// company's members and every member organisation's staff are told (in the app, and
/// by mail unless they turned matching mail off). Returns how many were told.
pub async fn share(
    store: &Store,
    actor: &Actor,
    key: &str,
    posting_key: &str,
    note: &str,
) -> Result<usize, StoreError> {
    // Those who do not take part are refused before anything they sent is read.
    let directory = organisations::directory(store).await?;
    let group = one(&store.db, &directory, key).await?;
    if !group.takes_part(actor) {
        return Err(refuse_outsider(&group));
    }
    let note = domain::groups::share_note(note)?;
    let posting = postings::get(store, Some(actor), posting_key.trim())
        .await
        .map_err(|_| {
            Invalid::new(
                "posting",
                "共有するニーズ・シーズを一覧から選んでください。",
            )
        })?;
    store
        .write(Some(actor), async |w| {
            let directory = organisations::directory_in(w.txn()).await?;
            let group = one(w.txn(), &directory, key).await?;
            if !group.takes_part(actor) {
                return Err(refuse_outsider(&group));
            }
            if !posting.editable_by(Some(actor)) {
                return Err(StoreError::forbidden(format!(
                    "「{}」は共有できません。共有できるのは、自社・自団体が掲載したニーズ・シーズです。",
                    posting.title
                )));
            }
            company_group_share::ActiveModel {
                group_id: Set(group.id),
                posting_id: Set(posting.id),
                note: Set(note.clone()),
                shared_by: Set(actor.email.clone()),
                shared_at: Set(Utc::now()),
                ..Default::default()
            }
            .insert(w.txn())
            .await
            .map_err(|e| on_constraint(e, SHARED_ONCE))?;
            w.audit(Audited::new(
                Action::Send,
                Entity::Group,
                group.key.clone(),
                Some(group.keeper.id),
                format!(
                    "グループ「{}」で{}「{}」を共有",
                    group.name,
                    posting.side.label(),
                    posting.title
                ),
            ));
            let what = Notice::new(
                Programme::Negotiations,
                (Some(group.keeper.id), &group.keeper.name),
                format!("【{}】{}「{}」が共有されました", group.name, posting.side.label(), posting.title),
                format!(
                    "グループ「{}」で、{}が{}「{}」を共有しました。{}\n内容を確認し、関心があれば掲載者にご連絡ください。",
                    group.name,
                    posting.poster_name,
                    posting.side.label(),
                    posting.title,
                    if note.is_empty() {
                        String::new()
                    } else {
                        format!("\n\nひとこと：{note}\n")
                    }
                ),
                format!("/groups/{}", group.key),
                format!(
                    "このメールは、グループ「{}」のメンバーとしてお送りしています。",
                    group.name
                ),
            );
            let poster_company = posting.company.as_ref().map(|c| c.2);
            let mut recipients = Vec::new();
            for member in &group.members {
                match member.of {
                    MemberRef::Company(id) if Some(id) != poster_company => {
                        recipients.extend(notices::company_members(w.txn(), id).await?);
                    }
                    MemberRef::Organisation(id) => {
                        recipients.extend(notices::organisation_staff(w.txn(), id).await?);
                    }
                    _ => {}
                }
            }
            recipients.retain(|r| r.user_id != Some(actor.user_id));
            recipients.sort_by_key(|r| r.user_id);
            recipients.dedup_by_key(|r| r.user_id);
            notices::notify_all(w.txn(), &recipients, &what).await?;
            Ok(recipients.len())
        })
        .await
}

/// Loads the document's groups when there is none yet, as the system: 加賀市's
/// network with 岡谷市 and 東大阪市's study group with 大阪大学医学部. Member
/// companies are the directory's demonstration companies of those cities.
pub(crate) async fn seed_if_empty(store: &Store) -> Result<usize, StoreError> {
    use sea_orm::PaginatorTrait;
    if company_group::Entity::find().count(&store.db).await? > 0 {
        return Ok(0);
    }
    let seeds: [(&str, &str, &str, &str, &[&str]); 2] = [
        (
            "kaga-external-network",
            "kaga",
            "加賀ものづくり企業域外ネットワーク",
            "加賀市のものづくり企業が市外の産地とつながるネットワーク。平成28年度は岡谷市とビジネスマッチングを目指す情報交換会を実施しました。メンバー企業は企業名簿のデモ企業です。",
            &[
                "okaya", "kaga-01", "kaga-02", "kaga-03", "kaga-04", "kaga-05", "okaya-01",
                "okaya-02", "okaya-03",
            ],
        ),
        (
            "higashiosaka-medical-study-group",
            "higashiosaka",
            "市内企業者の研究会（健康・医療）",
            "大阪大学大学院医学系研究科・医学部附属病院との協定による連携のニーズやシーズを市内企業者の研究会へ提供し、市立東大阪医療センターの協力のもと医療関連製品開発プロジェクトの醸成へ結びつけます（平成29年度）。メンバー企業は企業名簿のデモ企業です。",
            &[
                "osaka-univ-medicine",
                "higashiosaka-medical-center",
                "higashiosaka-01",
                "higashiosaka-02",
                "higashiosaka-03",
            ],
        ),
    ];
    let directory = organisations::directory(store).await?;
    store
        .write(None, async |w| {
            let now = Utc::now();
            for (key, keeper, name, description, members) in seeds {
                let keeper = directory
                    .organisation_by_key(keeper)
                    .ok_or_else(|| StoreError::Config(format!("group {key}: keeper")))?;
                let row = company_group::ActiveModel {
                    key: Set(key.to_owned()),
                    name: Set(name.to_owned()),
                    description: Set(description.to_owned()),
                    owner_organisation_id: Set(keeper.id),
                    created_at: Set(now),
                    updated_at: Set(now),
                    ..Default::default()
                }
                .insert(w.txn())
                .await?;
                for who in members {
                    // A member absent from the data (an imported directory without
                    // the demonstration companies) is left out.
                    if let Some((member, _)) =
                        member_row(w.txn(), &directory, row.id, who, None).await?
                    {
                        member.insert(w.txn()).await?;
                    }
                }
            }
            w.audit(Audited::new(
                Action::Seed,
                Entity::Group,
                "groups",
                None,
                "グループ2件（加賀ものづくり企業域外ネットワーク、市内企業者の研究会）を登録"
                    .to_owned(),
            ));
            Ok(seeds.len())
        })
        .await
}
