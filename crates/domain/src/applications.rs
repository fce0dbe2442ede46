//! Applications to a call (募集): certifications (認定: i-mono, i-waza), awards (表彰:
//! 100年企業) and subsidies (補助金・助成). A call is a form of purpose `Application`
//! plus [`CallSettings`]; a company's submission becomes an application that moves
//! through a workflow of [`ApplicationStatus`]es by [`Action`]s:
//!
//! ```text
//! submitted ──start_review──► in_review ──approve──► approved
//!     ▲                          │  └────reject────► rejected
//!     └──────resubmit── returned ◄┘ return (差戻し, with a reason)
//! ```
//!
//! Reviewers give one score of 0–100 and a comment (see [`parse_score`] for why a
//! single total). Nobody with a stake in the applicant (a member of the applying
//! company, or the person who entered the application for it) may review or decide
//! ([`stake_of`]). Approved certifications and awards become public registry entries
//! ([`RegistryKind`]); subsidies are never published.

use serde::{Deserialize, Serialize};

use crate::forms::{Answer, Answers, FormDefinition, QuestionKind};
use crate::text::narrow_ascii;
use crate::{Actor, Invalid};

/// What a call grants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallKind {
    /// 認定: products or techniques certified by a brand (i-mono, i-waza).
    Certification,
    /// 表彰: companies honoured (100年企業).
    Award,
    /// 補助金・助成: money, with an amount decided on approval.
    Subsidy,
}

impl CallKind {
    pub const ALL: [CallKind; 3] = [CallKind::Certification, CallKind::Award, CallKind::Subsidy];

    pub fn code(self) -> &'static str {
        match self {
            CallKind::Certification => "certification",
            CallKind::Award => "award",
            CallKind::Subsidy => "subsidy",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            CallKind::Certification => "認定",
            CallKind::Award => "表彰",
            CallKind::Subsidy => "補助金・助成",
        }
    }

    pub fn parse(code: &str) -> Option<CallKind> {
        Self::ALL.into_iter().find(|k| k.code() == code.trim())
    }
}

/// The kinds of public registry entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegistryKind {
    /// 認定製品 (i-mono).
    Product,
    /// 認定技術 (i-waza).
    Technique,
    /// 表彰企業 (100年企業).
    Award,
}

impl RegistryKind {
    pub const ALL: [RegistryKind; 3] = [
        RegistryKind::Product,
        RegistryKind::Technique,
        RegistryKind::Award,
    ];

    pub fn code(self) -> &'static str {
        match self {
            RegistryKind::Product => "product",
            RegistryKind::Technique => "technique",
            RegistryKind::Award => "award",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            RegistryKind::Product => "認定製品",
            RegistryKind::Technique => "認定技術",
            RegistryKind::Award => "表彰企業",
        }
    }

    pub fn parse(code: &str) -> Option<RegistryKind> {
        Self::ALL.into_iter().find(|k| k.code() == code.trim())
    }
}

/// The settings that make an application form a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallSettings {
    pub kind: CallKind,
    /// What an approval publishes, when the call publishes one kind only.
    pub registry_kind: Option<RegistryKind>,
    /// A single-choice question whose answer (`product`, `technique`, `award`) says
    /// what an approval publishes (i-mono or i-waza in one call).
    pub category_question: Option<String>,
    /// The question whose answer names the entry (製品名, 技術名); the company's name
    /// when absent.
    pub title_question: Option<String>,
    /// The question whose answer describes the entry.
    pub summary_question: Option<String>,
    /// The most a subsidy grants per application, in 円.
    pub amount_limit: Option<i64>,
}

/// The call settings as typed on the settings page.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallInput {
    pub kind: String,
    pub registry_kind: String,
    pub category_question: String,
    pub title_question: String,
    pub summary_question: String,
    pub amount_limit: String,
    /// Reviewers' e-mail addresses, one a line (or separated by commas).
    pub reviewers: String,
}

impl CallInput {
    /// The reviewers' addresses, trimmed and lower-cased.
    pub fn reviewer_emails(&self) -> Vec<String> {
        self.reviewers
            .split(['\n', ',', '、'])
            .map(|e| narrow_ascii(e).trim().to_lowercase())
            .filter(|e| !e.is_empty())
            .collect()
    }
}

impl CallSettings {
    /// Parses the settings page, then checks them against the call's questions.
    pub fn parse(
        input: &CallInput,
        definition: &FormDefinition,
    ) -> Result<CallSettings, Vec<Invalid>> {
        let mut errors = Vec::new();
        let kind = CallKind::parse(&input.kind);
        if kind.is_none() {
            errors.push(Invalid::new(
                "kind",
                "募集の種類（認定・表彰・補助金）を選んでください。",
            ));
        }
        let registry_kind = match input.registry_kind.trim() {
            "" => None,
            code => {
                let parsed = RegistryKind::parse(code);
                if parsed.is_none() {
                    errors.push(Invalid::new(
                        "registry_kind",
                        "掲載区分を選び直してください。",
                    ));
                }
                parsed
            }
        };
        let optional = |text: &str| {
            let text = text.trim();
            (!text.is_empty()).then(|| text.to_owned())
        };
        let amount_limit = match narrow_ascii(&input.amount_limit)
            .chars()
            .filter(|c| !matches!(c, ',' | '円' | ' '))
            .collect::<String>()
        {
            text if text.is_empty() => None,
            text => match text.parse::<i64>() {
                Ok(value) => Some(value),
                Err(_) => {
                    errors.push(Invalid::new(
                        "amount_limit",
                        format!(
                            "上限額は円単位の整数で入力してください（「{}」）。",
                            input.amount_limit
                        ),
                    ));
                    None
                }
            },
        };
        let Some(kind) = kind else {
            return Err(errors);
        };
        let settings = CallSettings {
            kind,
            registry_kind,
            category_question: optional(&input.category_question),
            title_question: optional(&input.title_question),
            summary_question: optional(&input.summary_question),
            amount_limit,
        };
        if let Err(more) = settings.validate(definition) {
            errors.extend(more);
        }
        if errors.is_empty() {
            Ok(settings)
        } else {
            Err(errors)
        }
    }

    /// The settings as the page shows them.
    pub fn input(&self) -> CallInput {
        CallInput {
            kind: self.kind.code().to_owned(),
            registry_kind: self
                .registry_kind
                .map(|k| k.code().to_owned())
                .unwrap_or_default(),
            category_question: self.category_question.clone().unwrap_or_default(),
            title_question: self.title_question.clone().unwrap_or_default(),
            summary_question: self.summary_question.clone().unwrap_or_default(),
            amount_limit: self.amount_limit.map(|v| v.to_string()).unwrap_or_default(),
            reviewers: String::new(),
        }
    }

    /// Checks the settings against the call's questions; every problem listed.
    pub fn validate(&self, definition: &FormDefinition) -> Result<(), Vec<Invalid>> {
        let mut errors = Vec::new();
        let publishes = self.registry_kind.is_some() || self.category_question.is_some();
        match self.kind {
            CallKind::Subsidy if publishes => errors.push(Invalid::new(
                "registry_kind",
                "補助金・助成の採択結果は公開名簿に掲載しません。掲載区分を空にしてください。",
            )),
            CallKind::Certification | CallKind::Award if !publishes => errors.push(Invalid::new(
                "registry_kind",
                "認定・表彰では、承認時に掲載する名簿の区分（または区分を選ぶ質問）を指定してください。",
            )),
            _ => {}
        }
        if self.kind != CallKind::Subsidy && self.amount_limit.is_some() {
            errors.push(Invalid::new(
                "amount_limit",
                "上限額は補助金・助成の募集にのみ指定できます。",
            ));
        }
        if let Some(limit) = self.amount_limit
            && limit <= 0
        {
            errors.push(Invalid::new(
                "amount_limit",
                "上限額は1円以上にしてください。",
            ));
        }
        if let Some(id) = &self.category_question {
            match definition.question(id).map(|q| &q.kind) {
                Some(QuestionKind::SingleChoice { options }) => {
                    for option in options {
                        if RegistryKind::parse(&option.value).is_none() {
                            errors.push(Invalid::new(
                                "category_question",
                                format!(
                                    "区分の質問の選択肢の値「{}」は product・technique・award のいずれかにしてください。",
                                    option.value
                                ),
                            ));
                        }
                    }
                }
                _ => errors.push(Invalid::new(
                    "category_question",
                    format!("区分の質問「{id}」は、この募集の単一選択の質問を指定してください。"),
                )),
            }
        }
        for (field, id) in [
            ("title_question", &self.title_question),
            ("summary_question", &self.summary_question),
        ] {
            if let Some(id) = id
                && definition.question(id).is_none()
            {
                errors.push(Invalid::new(
                    field,
                    format!("質問「{id}」はこの募集にありません。"),
                ));
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    /// What approving these answers publishes, if anything.
    pub fn registry_kind_for(&self, answers: &Answers) -> Option<RegistryKind> {
        if self.kind == CallKind::Subsidy {
            return None;
        }
        let chosen = self
            .category_question
            .as_deref()
            .and_then(|id| match answers.get(id) {
                Some(Answer::Choice(value)) => RegistryKind::parse(value),
                _ => None,
            });
        chosen.or(self.registry_kind)
    }

    /// The entry's name: the title question's answer, or the company's name.
    pub fn entry_title(&self, answers: &Answers, company_name: &str) -> String {
        self.title_question
            .as_deref()
            .and_then(|id| answer_text(answers, id))
            .unwrap_or_else(|| company_name.to_owned())
    }

    pub fn entry_summary(&self, answers: &Answers) -> String {
        self.summary_question
            .as_deref()
            .and_then(|id| answer_text(answers, id))
            .unwrap_or_default()
    }
}

fn answer_text(answers: &Answers, id: &str) -> Option<String> {
    match answers.get(id)? {
        Answer::Text(text) if !text.trim().is_empty() => Some(text.trim().to_owned()),
        _ => None,
    }
}

/// Where an application stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApplicationStatus {
    Submitted,
    InReview,
    Returned,
    Approved,
    Rejected,
}

impl ApplicationStatus {
    pub const ALL: [ApplicationStatus; 5] = [
        ApplicationStatus::Submitted,
        ApplicationStatus::InReview,
        ApplicationStatus::Returned,
        ApplicationStatus::Approved,
        ApplicationStatus::Rejected,
    ];

    pub fn code(self) -> &'static str {
        match self {
            ApplicationStatus::Submitted => "submitted",
            ApplicationStatus::InReview => "in_review",
            ApplicationStatus::Returned => "returned",
            ApplicationStatus::Approved => "approved",
            ApplicationStatus::Rejected => "rejected",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ApplicationStatus::Submitted => "提出済み",
            ApplicationStatus::InReview => "審査中",
            ApplicationStatus::Returned => "差戻し",
            ApplicationStatus::Approved => "承認",
            ApplicationStatus::Rejected => "不承認",
        }
    }

    pub fn parse(code: &str) -> Option<ApplicationStatus> {
        Self::ALL.into_iter().find(|s| s.code() == code.trim())
    }

    /// Approved or rejected: final, reviews closed.
    pub fn is_decided(self) -> bool {
        matches!(
            self,
            ApplicationStatus::Approved | ApplicationStatus::Rejected
        )
    }
}

/// What someone does to an application.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// 審査開始 (also done by the first review).
    StartReview,
    /// 差戻し: back to the company for changes, with a reason.
    Return,
    Approve,
    Reject,
    /// The company submits again after a return.
    Resubmit,
}

impl Action {
    pub const ALL: [Action; 5] = [
        Action::StartReview,
        Action::Return,
        Action::Approve,
        Action::Reject,
        Action::Resubmit,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Action::StartReview => "start_review",
            Action::Return => "return",
            Action::Approve => "approve",
            Action::Reject => "reject",
            Action::Resubmit => "resubmit",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Action::StartReview => "審査を開始",
            Action::Return => "差し戻す",
            Action::Approve => "承認する",
            Action::Reject => "不承認にする",
            Action::Resubmit => "再提出",
        }
    }

    pub fn parse(code: &str) -> Option<Action> {
        Self::ALL.into_iter().find(|a| a.code() == code.trim())
    }

    /// Whether this is a decision (who and when are recorded on the application).
    pub fn is_decision(self) -> bool {
        matches!(self, Action::Approve | Action::Reject)
    }
}

/// Where `action` takes an application in `from`, or why it may not.
pub fn transition(from: ApplicationStatus, action: Action) -> Result<ApplicationStatus, Invalid> {
    use ApplicationStatus as S;
    let to = match (from, action) {
        (S::Submitted, Action::StartReview) => S::InReview,
        (S::InReview, Action::Return) => S::Returned,
        (S::InReview, Action::Approve) => S::Approved,
        (S::InReview, Action::Reject) => S::Rejected,
        (S::Returned, Action::Resubmit) => S::Submitted,
        (S::Approved | S::Rejected, _) => {
            return Err(Invalid::new(
                "action",
                format!("この申請は{}で決定済みのため変更できません。", from.label()),
            ));
        }
        (S::Submitted, Action::Return | Action::Approve | Action::Reject) => {
            return Err(Invalid::new(
                "action",
                "審査を開始してから差戻し・決定してください。",
            ));
        }
        (S::Returned, _) => {
            return Err(Invalid::new(
                "action",
                "差戻し中です。申請者の再提出を待ってください。",
            ));
        }
        _ => {
            return Err(Invalid::new(
                "action",
                format!("{}の申請は「{}」できません。", from.label(), action.label()),
            ));
        }
    };
    Ok(to)
}

/// A decision or step as typed on the application page, checked against the call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub action: Action,
    pub comment: String,
    /// The approved amount in 円 (subsidies only).
    pub amount: Option<i64>,
}

impl Step {
    /// Parses what was typed: a return needs a reason, a subsidy's approval an amount
    /// within the call's limit.
    pub fn parse(
        action: &str,
        comment: &str,
        amount: &str,
        kind: CallKind,
        limit: Option<i64>,
    ) -> Result<Step, Vec<Invalid>> {
        let mut errors = Vec::new();
        let action_parsed = Action::parse(action);
        if action_parsed.is_none() {
            errors.push(Invalid::new("action", "操作を選んでください。"));
        }
        let comment = comment.trim().to_owned();
        if comment.chars().count() > 2000 {
            errors.push(Invalid::new(
                "comment",
                "コメントは2000文字以内にしてください。",
            ));
        }
        if action_parsed == Some(Action::Return) && comment.is_empty() {
            errors.push(Invalid::new(
                "comment",
                "差戻しの理由を入力してください（申請者に表示されます）。",
            ));
        }
        let mut parsed_amount = None;
        if action_parsed == Some(Action::Approve) && kind == CallKind::Subsidy {
            match parse_amount(amount, limit) {
                Ok(value) => parsed_amount = Some(value),
                Err(e) => errors.push(e),
            }
        } else if !amount.trim().is_empty() && kind != CallKind::Subsidy {
            errors.push(Invalid::new(
                "amount",
                "金額は補助金・助成の承認時にのみ入力します。",
            ));
        }
        match action_parsed {
            Some(action) if errors.is_empty() => Ok(Step {
                action,
                comment,
                amount: parsed_amount,
            }),
            _ => Err(errors),
        }
    }
}

/// An amount in 円 as typed: `1,500,000`, `１５００００`, `150000円`.
pub fn parse_amount(text: &str, limit: Option<i64>) -> Result<i64, Invalid> {
    let cleaned: String = narrow_ascii(text)
        .chars()
        .filter(|c| !matches!(c, ',' | '，' | '円' | ' '))
        .collect();
    if cleaned.is_empty() {
        return Err(Invalid::new(
            "amount",
            "補助金・助成の承認には交付額（円）を入力してください。",
        ));
    }
    let value: i64 = cleaned.parse().map_err(|_| {
        Invalid::new(
            "amount",
            format!("交付額は円単位の整数で入力してください（「{text}」）。"),
        )
    })?;
    if value <= 0 {
        return Err(Invalid::new("amount", "交付額は1円以上にしてください。"));
    }
    if let Some(limit) = limit
        && value > limit
    {
        return Err(Invalid::new(
            "amount",
            format!(
                "交付額は上限の{}円以内にしてください（入力: {}円）。",
                yen(limit),
                yen(value)
            ),
        ));
    }
    Ok(value)
}

/// `1500000` → `1,500,000`.
pub fn yen(value: i64) -> String {
    let digits = value.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if value < 0 { format!("-{out}") } else { out }
}

/// The highest score.
pub const MAX_SCORE: u8 = 100;

/// A reviewer's score as typed: one total of 0–100.
///
/// Why one total rather than 1–5 per criterion: the council's boards score on paper
/// rubrics whose criteria differ per programme (技術性・独自性 for i-waza, 継続性 for
/// 100年企業, 事業計画 for a subsidy) and already sum them to points; one total keeps the
/// review form the same for every call, makes averages comparable across reviewers,
/// and leaves the per-criterion reasoning to the comment.
pub fn parse_score(text: &str) -> Result<u8, Invalid> {
    let cleaned = narrow_ascii(text);
    let cleaned = cleaned.trim().trim_end_matches('点').trim();
    if cleaned.is_empty() {
        return Err(Invalid::new(
            "score",
            "評点（0〜100点）を入力してください。",
        ));
    }
    match cleaned.parse::<u8>() {
        Ok(score) if score <= MAX_SCORE => Ok(score),
        _ => Err(Invalid::new(
            "score",
            format!("評点は0〜100の整数で入力してください（「{text}」）。"),
        )),
    }
}

/// The mean of the scores, to one decimal; `None` without scores.
pub fn average(scores: &[u8]) -> Option<f64> {
    if scores.is_empty() {
        return None;
    }
    let sum: u32 = scores.iter().map(|s| u32::from(*s)).sum();
    let mean = f64::from(sum) / scores.len() as f64;
    Some((mean * 10.0).round() / 10.0)
}

/// Why `actor` has a stake in an application of `company_id` (entered by
/// `submitted_by`), if they do: they then neither review nor decide it.
pub fn stake_of(actor: &Actor, company_id: i64, submitted_by: Option<i64>) -> Option<String> {
    if actor.company_id == Some(company_id) {
        return Some(
            "申請企業の関係者は、この申請を審査・決定できません（自社の申請の審査はできません）。"
                .to_owned(),
        );
    }
    if submitted_by.is_some_and(|id| id == actor.user_id && id > 0) {
        return Some(
            "この申請を代理で入力・提出した方は、審査・決定できません（利害関係があります）。"
                .to_owned(),
        );
    }
    None
}

/// Years in business in `year` for a company founded in `founded`: 1910 → 2016 is 106.
pub fn years_in_business(founded: i32, year: i32) -> i32 {
    year.saturating_sub(founded)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Role;
    use crate::forms::{Choice, Question, Section};
    use ApplicationStatus as S;

    #[test]
    fn the_workflow_goes_submitted_review_returned_resubmitted_then_decided() {
        let mut status = S::Submitted;
        for action in [
            Action::StartReview,
            Action::Return,
            Action::Resubmit,
            Action::StartReview,
            Action::Approve,
        ] {
            status = transition(status, action).expect("allowed");
        }
        assert_eq!(status, S::Approved);
        assert_eq!(transition(S::InReview, Action::Reject), Ok(S::Rejected));
    }

    #[test]
    fn decided_applications_are_final_and_decisions_need_a_review_first() {
        for decided in [S::Approved, S::Rejected] {
            for action in Action::ALL {
                let refused = transition(decided, action).expect_err("final");
                assert!(refused.reason.contains("決定済み"), "{refused:?}");
            }
        }
        let early = transition(S::Submitted, Action::Approve).expect_err("not in review");
        assert!(early.reason.contains("審査を開始してから"));
        assert!(transition(S::Returned, Action::Approve).is_err());
        assert!(transition(S::InReview, Action::Resubmit).is_err());
        assert!(transition(S::InReview, Action::StartReview).is_err());
    }

    #[test]
    fn a_return_needs_a_reason_and_a_subsidy_approval_an_amount_within_the_limit() {
        let errors = Step::parse("return", " ", "", CallKind::Award, None).expect_err("reason");
        assert_eq!(errors[0].field, "comment");
        let errors =
            Step::parse("approve", "", "", CallKind::Subsidy, Some(500_000)).expect_err("amount");
        assert!(
            errors[0].reason.contains("交付額（円）を入力"),
            "{errors:?}"
        );
        let errors = Step::parse("approve", "", "600,000", CallKind::Subsidy, Some(500_000))
            .expect_err("over the limit");
        assert_eq!(
            errors[0].reason,
            "交付額は上限の500,000円以内にしてください（入力: 600,000円）。"
        );
        let step = Step::parse(
            "approve",
            "良好",
            "３０００００円",
            CallKind::Subsidy,
            Some(500_000),
        )
        .expect("valid");
        assert_eq!(step.amount, Some(300_000));
        let award = Step::parse("approve", "", "", CallKind::Award, None).expect("no amount");
        assert_eq!(award.amount, None);
        assert!(Step::parse("approve", "", "1000", CallKind::Award, None).is_err());
        assert!(Step::parse("delete", "", "", CallKind::Award, None).is_err());
    }

    #[test]
    fn scores_are_whole_points_from_0_to_100_and_average_to_one_decimal() {
        assert_eq!(parse_score("８５点"), Ok(85));
        assert_eq!(parse_score("0"), Ok(0));
        assert!(parse_score("101").is_err());
        assert!(parse_score("-1").is_err());
        assert!(parse_score("").is_err());
        assert_eq!(average(&[80, 85, 90]), Some(85.0));
        assert_eq!(average(&[70, 75, 75]), Some(73.3));
        assert_eq!(average(&[]), None);
    }

    fn actor(user_id: i64, role: Role, company_id: Option<i64>) -> Actor {
        Actor {
            user_id,
            email: "x@example.jp".into(),
            role,
            organisation_id: Some(1),
            company_id,
        }
    }

    #[test]
    fn a_member_of_the_applicant_or_its_proxy_has_a_stake_others_do_not() {
        let member = actor(7, Role::Company, Some(42));
        assert!(stake_of(&member, 42, None).unwrap().contains("自社の申請"));
        let proxy = actor(9, Role::Staff, None);
        assert!(stake_of(&proxy, 42, Some(9)).unwrap().contains("代理"));
        assert_eq!(stake_of(&proxy, 42, Some(7)), None);
        assert_eq!(
            stake_of(&actor(0, Role::Secretariat, None), 42, Some(0)),
            None
        );
    }

    fn brand_call() -> FormDefinition {
        let choice = |value: &str, label: &str| Choice {
            value: value.into(),
            label: label.into(),
            points: 0,
        };
        let question = |id: &str, kind| Question {
            id: id.into(),
            label: id.into(),
            help: String::new(),
            required: true,
            kind,
            show_if: None,
            area: None,
        };
        FormDefinition {
            sections: vec![Section {
                title: "申請内容".into(),
                help: String::new(),
                questions: vec![
                    question(
                        "brand",
                        QuestionKind::SingleChoice {
                            options: vec![
                                choice("product", "i-mono（製品）"),
                                choice("technique", "i-waza（技術）"),
                            ],
                        },
                    ),
                    question("name", QuestionKind::Text { max_chars: 100 }),
                    question("summary", QuestionKind::LongText { max_chars: 1000 }),
                ],
            }],
            scoring: None,
        }
    }

    #[test]
    fn a_brand_call_publishes_what_the_applicant_chose_and_a_subsidy_nothing() {
        let settings = CallSettings {
            kind: CallKind::Certification,
            registry_kind: None,
            category_question: Some("brand".into()),
            title_question: Some("name".into()),
            summary_question: Some("summary".into()),
            amount_limit: None,
        };
        assert_eq!(settings.validate(&brand_call()), Ok(()));
        let mut answers = Answers::default();
        answers
            .0
            .insert("brand".into(), Answer::Choice("technique".into()));
        answers
            .0
            .insert("name".into(), Answer::Text("薄肉鋳造技術".into()));
        assert_eq!(
            settings.registry_kind_for(&answers),
            Some(RegistryKind::Technique)
        );
        assert_eq!(settings.entry_title(&answers, "株式会社X"), "薄肉鋳造技術");
        assert_eq!(settings.entry_summary(&answers), "");

        let subsidy = CallSettings {
            kind: CallKind::Subsidy,
            registry_kind: Some(RegistryKind::Award),
            category_question: None,
            title_question: None,
            summary_question: None,
            amount_limit: Some(0),
        };
        let errors: Vec<String> = subsidy
            .validate(&brand_call())
            .expect_err("refused")
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(errors, ["registry_kind", "amount_limit"]);
        let publishes_nothing = CallSettings {
            registry_kind: None,
            amount_limit: Some(500_000),
            ..subsidy
        };
        assert_eq!(publishes_nothing.validate(&brand_call()), Ok(()));
        assert_eq!(publishes_nothing.registry_kind_for(&answers), None);

        let wrong = CallSettings {
            category_question: Some("name".into()),
            title_question: Some("nothing".into()),
            ..settings
        };
        let fields: Vec<String> = wrong
            .validate(&brand_call())
            .expect_err("refused")
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(fields, ["category_question", "title_question"]);
    }

    #[test]
    fn amounts_print_with_thousands_separators_and_years_in_business_count() {
        assert_eq!(yen(1_500_000), "1,500,000");
        assert_eq!(yen(999), "999");
        assert_eq!(yen(-1000), "-1,000");
        assert_eq!(years_in_business(1910, 2016), 106);
    }
}
