//! Groups of companies and partners across cities (加賀ものづくり企業域外ネットワーク,
//! 東大阪市の研究会): what a group as typed must be, and who takes part in it.

use crate::{Actor, Invalid, Role, text};

/// The group form as typed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GroupInput {
    /// The keeping organisation's key.
    pub organisation: String,
    pub name: String,
    pub description: String,
}

/// A validated group.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupDraft {
    pub organisation: String,
    pub name: String,
    pub description: String,
}

impl GroupDraft {
    pub fn parse(input: &GroupInput) -> Result<GroupDraft, Vec<Invalid>> {
        let mut errors = Vec::new();
        let organisation = input.organisation.trim().to_owned();
        if organisation.is_empty() {
            errors.push(Invalid::new(
                "organisation",
                "事務局となる団体を選んでください。",
            ));
        }
        let name = text::required_line("name", &input.name, 100)
            .map_err(|e| errors.push(e))
            .ok();
        let description = text::optional_text("description", &input.description, 2000)
            .map_err(|e| errors.push(e))
            .ok();
        match (name, description) {
            (Some(name), Some(description)) if errors.is_empty() => Ok(GroupDraft {
                organisation,
                name,
                description,
            }),
            _ => Err(errors),
        }
    }
}

/// Who a group's member is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberRef {
    Company(i64),
    Organisation(i64),
    /// A partner named in the document (大阪大学医学部): listed, without an account.
    Partner(i64),
}

/// Whether `actor` takes part in a group kept by `keeper` with `members`: the
/// keeper's staff and the secretariat, staff of a member organisation, and members of
/// a member company. They read the group's shared needs and seeds and share their own.
pub fn takes_part(actor: &Actor, keeper: i64, members: &[MemberRef]) -> bool {
    match actor.role {
        Role::Secretariat => true,
        Role::Staff => actor
            .organisation_id
            .is_some_and(|org| org == keeper || members.contains(&MemberRef::Organisation(org))),
        Role::Company => actor
            .company_id
            .is_some_and(|company| members.contains(&MemberRef::Company(company))),
        Role::Individual => false,
    }
}

/// The note that goes with a shared need or seed.
pub fn share_note(input: &str) -> Result<String, Invalid> {
    text::optional_text("note", input, 500)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(role: Role, organisation: Option<i64>, company: Option<i64>) -> Actor {
        Actor {
            user_id: 1,
            email: "a@example.jp".into(),
            role,
            organisation_id: organisation,
            company_id: company,
        }
    }

    #[test]
    fn the_keeper_member_organisations_and_member_companies_take_part_and_no_one_else() {
        let members = [
            MemberRef::Company(11),
            MemberRef::Organisation(7),
            MemberRef::Partner(3),
        ];
        assert!(takes_part(&actor(Role::Staff, Some(5), None), 5, &members));
        assert!(takes_part(&actor(Role::Staff, Some(7), None), 5, &members));
        assert!(!takes_part(&actor(Role::Staff, Some(8), None), 5, &members));
        assert!(takes_part(
            &actor(Role::Company, Some(5), Some(11)),
            5,
            &members
        ));
        assert!(!takes_part(
            &actor(Role::Company, Some(5), Some(12)),
            5,
            &members
        ));
        assert!(takes_part(
            &actor(Role::Secretariat, Some(1), None),
            5,
            &members
        ));
        assert!(!takes_part(
            &actor(Role::Individual, None, None),
            5,
            &members
        ));
    }

    #[test]
    fn a_group_needs_a_name_and_a_keeper() {
        let errors = GroupDraft::parse(&GroupInput::default()).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["organisation", "name"]);
        assert!(share_note(&"あ".repeat(501)).is_err());
    }
}
