//! The council's cities, organisations and partners: read-mostly reference data
//! that every page uses for names, filters and ownership.

use domain::{Actor, Invalid};
use sea_orm::{ConnectionTrait, EntityTrait, QueryOrder};

use crate::entity::{city, organisation, partner};
use crate::{Store, StoreError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct City {
    pub id: i64,
    pub key: String,
    pub name: String,
    pub kana: String,
    pub prefecture: String,
    pub local_gov_code: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Organisation {
    pub id: i64,
    pub key: String,
    pub name: String,
    /// `council`, `city` or `chamber`.
    pub kind: String,
    pub city: Option<City>,
    pub sort_order: i32,
}

impl Organisation {
    pub fn kind_label(&self) -> &'static str {
        match self.kind.as_str() {
            "council" => "協議会",
            "city" => "市区",
            "chamber" => "商工会議所",
            "company" => "企業",
            _ => "団体",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Partner {
    pub id: i64,
    pub key: String,
    pub name: String,
    pub kind: String,
    pub note: String,
}

impl Partner {
    pub fn kind_label(&self) -> &'static str {
        match self.kind.as_str() {
            "bank" => "金融機関",
            "university" => "大学",
            "hospital" => "病院",
            "facility" => "施設・拠点",
            "share_office" => "シェアオフィス",
            "support_org" => "支援機関",
            "network" => "ネットワーク",
            "company" => "企業",
            "government" => "自治体",
            "person" => "個人",
            _ => "その他",
        }
    }
}

/// The reference data in document order, loaded together because every page needs
/// some of it and it is small (eleven organisations for the seven cities).
#[derive(Debug, Clone, Default)]
pub struct Directory {
    pub cities: Vec<City>,
    pub organisations: Vec<Organisation>,
}

impl Directory {
    pub fn organisation(&self, id: i64) -> Option<&Organisation> {
        self.organisations.iter().find(|o| o.id == id)
    }

    pub fn organisation_by_key(&self, key: &str) -> Option<&Organisation> {
        self.organisations.iter().find(|o| o.key == key)
    }

    /// Finds an organisation by key or by its Japanese name (`--org 大田区`).
    pub fn find_organisation(&self, key_or_name: &str) -> Option<&Organisation> {
        let wanted = key_or_name.trim();
        self.organisations
            .iter()
            .find(|o| o.key == wanted || o.name == wanted)
    }

    pub fn city_by_key(&self, key: &str) -> Option<&City> {
        self.cities.iter().find(|c| c.key == key)
    }

    /// The organisation a new record is kept by: the one chosen by key (empty: the
    /// actor's own), which the actor must be allowed to keep (its staff, or the
    /// secretariat for any). `what` names the records in the refusal (「資料」).
    pub fn keeper(
        &self,
        actor: &Actor,
        organisation: &str,
        what: &str,
    ) -> Result<&Organisation, StoreError> {
        let chosen = match organisation.trim() {
            "" => actor.organisation_id.and_then(|id| self.organisation(id)),
            key => self.organisation_by_key(key),
        };
        let Some(chosen) = chosen else {
            return Err(Invalid::new("organisation", "担当する団体を選んでください。").into());
        };
        if !actor.may_edit_catalogue_of(chosen.id) {
            return Err(StoreError::forbidden(format!(
                "{}の{what}は登録できません（登録できるのはその団体の職員と協議会事務局です）。",
                chosen.name
            )));
        }
        Ok(chosen)
    }
}

fn to_city(row: city::Model) -> City {
    City {
        id: row.id,
        key: row.key,
        name: row.name,
        kana: row.kana,
        prefecture: row.prefecture,
        local_gov_code: row.local_gov_code,
    }
}

pub async fn directory(store: &Store) -> Result<Directory, StoreError> {
    directory_in(&store.db).await
}

/// The directory read through any connection, so that a transaction sees its own writes.
pub(crate) async fn directory_in(db: &impl ConnectionTrait) -> Result<Directory, StoreError> {
    let cities: Vec<City> = city::Entity::find()
        .order_by_asc(city::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(to_city)
        .collect();
    let organisations = organisation::Entity::find()
        .order_by_asc(organisation::Column::SortOrder)
        .order_by_asc(organisation::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|row| Organisation {
            id: row.id,
            key: row.key,
            name: row.name,
            kind: row.kind,
            city: row
                .city_id
                .and_then(|id| cities.iter().find(|c| c.id == id).cloned()),
            sort_order: row.sort_order,
        })
        .collect();
    Ok(Directory {
        cities,
        organisations,
    })
}

pub async fn partners(store: &Store) -> Result<Vec<Partner>, StoreError> {
    Ok(partner::Entity::find()
        .order_by_asc(partner::Column::Id)
        .all(&store.db)
        .await?
        .into_iter()
        .map(|row| Partner {
            id: row.id,
            key: row.key,
            name: row.name,
            kind: row.kind,
            note: row.note,
        })
        .collect())
}
