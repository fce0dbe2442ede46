//! Who may change what. The store asks these rules before every write, so that no
//! handler, CLI command or API call can skip them.

/// What a signed-in user is to the platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// 協議会事務局: sees and edits everything, reads the audit log, manages accounts.
    Secretariat,
    /// Staff of one city or chamber: edits only that organisation's records.
    Staff,
    /// A member of one company: its own company's records (directory, applications).
    Company,
    /// A person who signed up themselves (student, job seeker, designer, successor
    /// candidate, expert): their own profile in the people register, public only
    /// once the organisation keeping it approves. No organisation's records.
    Individual,
}

impl Role {
    pub const ALL: [Role; 4] = [
        Role::Secretariat,
        Role::Staff,
        Role::Company,
        Role::Individual,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Role::Secretariat => "secretariat",
            Role::Staff => "staff",
            Role::Company => "company",
            Role::Individual => "individual",
        }
    }

    pub fn parse(code: &str) -> Option<Role> {
        Role::ALL
            .into_iter()
            .find(|role| role.code() == code.trim())
    }

    /// Staff and the secretariat: the roles that keep organisations' records (a
    /// company member or an individual keeps only their own).
    pub fn keeps_records(self) -> bool {
        matches!(self, Role::Secretariat | Role::Staff)
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Secretariat => "協議会事務局",
            Role::Staff => "市区・商工会議所職員",
            Role::Company => "企業会員",
            Role::Individual => "個人",
        }
    }
}

/// The person behind a change: what the store checks and the audit log records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub user_id: i64,
    pub email: String,
    pub role: Role,
    /// The organisation the user belongs to (a city, a chamber, the council, a company).
    pub organisation_id: Option<i64>,
    /// For company members: the company of the directory they speak for.
    pub company_id: Option<i64>,
}

impl Actor {
    /// Whether this actor may create, change or delete records owned by `owner`.
    pub fn may_edit_records_of(&self, owner: i64) -> bool {
        match self.role {
            Role::Secretariat => true,
            Role::Staff | Role::Company => self.organisation_id == Some(owner),
            Role::Individual => false,
        }
    }

    /// Catalogue records (initiatives, their years and KPIs) are kept by staff.
    pub fn may_edit_catalogue_of(&self, owner: i64) -> bool {
        self.role != Role::Company && self.may_edit_records_of(owner)
    }

    /// Events of the shared calendar are kept by staff, like the catalogue.
    pub fn may_edit_events_of(&self, owner: i64) -> bool {
        self.may_edit_catalogue_of(owner)
    }

    /// A company's profile is kept by its own members and by the staff of the
    /// organisation that looks after it (its city's office or chamber).
    pub fn may_edit_company(&self, company_id: i64, owner: i64) -> bool {
        match self.role {
            Role::Secretariat => true,
            Role::Staff => self.organisation_id == Some(owner),
            Role::Company => self.company_id == Some(company_id),
            Role::Individual => false,
        }
    }

    /// Private fields (contact, exact head count, the representative's age, staff
    /// notes) are seen by exactly those who may edit the company.
    pub fn may_see_private_of_company(&self, company_id: i64, owner: i64) -> bool {
        self.may_edit_company(company_id, owner)
    }

    /// Needs and offers: their organisation's staff, and the posting company's members.
    pub fn may_edit_posting(&self, company_id: Option<i64>, owner: i64) -> bool {
        match self.role {
            Role::Company => company_id.is_some() && self.company_id == company_id,
            _ => self.may_edit_records_of(owner),
        }
    }

    /// People (designers, researchers, candidates, students) are personal data,
    /// kept by the staff of the organisation that registered them.
    pub fn may_see_person_of(&self, owner: i64) -> bool {
        self.may_edit_catalogue_of(owner)
    }

    /// Individual answers to a form (surveys, diagnostics, applications) are business
    /// confidential: only the staff of the organisation that owns the form and the
    /// members of the responding company see them. Not the secretariat: the council
    /// sees aggregates.
    pub fn may_see_answers(&self, form_owner: i64, respondent_company: i64) -> bool {
        match self.role {
            Role::Staff => self.organisation_id == Some(form_owner),
            Role::Company => self.company_id == Some(respondent_company),
            Role::Secretariat | Role::Individual => false,
        }
    }

    /// Whether this actor decides sign-up requests and profile publications kept by
    /// `organisation`: that organisation's staff and the secretariat.
    pub fn may_decide_signups_of(&self, organisation: i64) -> bool {
        match self.role {
            Role::Secretariat => true,
            Role::Staff => self.organisation_id == Some(organisation),
            Role::Company | Role::Individual => false,
        }
    }

    pub fn is_secretariat(&self) -> bool {
        self.role == Role::Secretariat
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn staff_of(organisation: i64) -> Actor {
        Actor {
            user_id: 1,
            email: "staff@example.jp".into(),
            role: Role::Staff,
            organisation_id: Some(organisation),
            company_id: None,
        }
    }

    #[test]
    fn staff_of_ota_may_edit_ota_but_not_sumida() {
        let (ota, sumida) = (6, 4);
        assert!(staff_of(ota).may_edit_catalogue_of(ota));
        assert!(!staff_of(ota).may_edit_catalogue_of(sumida));
    }

    #[test]
    fn the_secretariat_may_edit_every_organisation() {
        let secretariat = Actor {
            role: Role::Secretariat,
            ..staff_of(1)
        };
        assert!(secretariat.may_edit_catalogue_of(4));
        assert!(secretariat.may_edit_catalogue_of(99));
    }

    #[test]
    fn a_company_member_may_not_edit_the_catalogue_even_of_its_own_organisation() {
        let member = Actor {
            role: Role::Company,
            ..staff_of(20)
        };
        assert!(!member.may_edit_catalogue_of(20));
        assert!(member.may_edit_records_of(20));
    }

    #[test]
    fn a_company_member_edits_its_own_company_only_and_staff_their_citys() {
        let (ota, sumida) = (6, 4);
        let member = Actor {
            role: Role::Company,
            organisation_id: None,
            company_id: Some(100),
            ..staff_of(1)
        };
        assert!(member.may_edit_company(100, ota));
        assert!(!member.may_edit_company(101, ota));
        assert!(staff_of(ota).may_edit_company(101, ota));
        assert!(!staff_of(sumida).may_edit_company(101, ota));
        assert!(!staff_of(sumida).may_see_private_of_company(101, ota));
        assert!(!member.may_see_person_of(ota));
        assert!(member.may_edit_posting(Some(100), ota));
        assert!(!member.may_edit_posting(None, ota));
    }

    #[test]
    fn roles_round_trip_through_their_codes() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.code()), Some(role));
        }
        assert_eq!(Role::parse("admin"), None);
    }

    #[test]
    fn an_individual_edits_no_organisations_records_even_with_one_set() {
        let individual = Actor {
            role: Role::Individual,
            company_id: Some(100),
            ..staff_of(6)
        };
        assert!(!individual.may_edit_records_of(6));
        assert!(!individual.may_edit_catalogue_of(6));
        assert!(!individual.may_edit_company(100, 6));
        assert!(!individual.may_see_person_of(6));
        assert!(!individual.may_see_answers(6, 100));
        assert!(!individual.may_decide_signups_of(6));
        assert!(staff_of(6).may_decide_signups_of(6));
        assert!(!staff_of(4).may_decide_signups_of(6));
    }
}
