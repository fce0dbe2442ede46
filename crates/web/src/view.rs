//! What every page's layout needs, and small formatting helpers shared by pages.

use domain::{EntryStatus, FiscalYear, Pillar, Role};
use store::accounts::User;

use crate::auth::Viewer;

/// The frame of every page: title, who is signed in, the CSRF token for forms and
/// a one-line notice after a change.
#[derive(Debug, Clone, Default)]
pub struct Layout {
    pub title: String,
    pub user_label: Option<String>,
    pub is_secretariat: bool,
    /// Staff of a city or chamber, or the secretariat: the menu shows the sign-up
    /// requests they decide and 招待 (they may invite people).
    pub is_staff: bool,
    /// A person signed up on their own: their profile in the menu.
    pub is_individual: bool,
    pub csrf: String,
    pub notice: Option<String>,
    /// The signed-in viewer's unread お知らせ.
    pub unread_notices: u64,
}

impl Layout {
    pub fn new(title: impl Into<String>) -> Layout {
        Layout {
            title: title.into(),
            ..Default::default()
        }
    }

    pub fn for_viewer(title: impl Into<String>, viewer: &Viewer) -> Layout {
        Layout {
            title: title.into(),
            user_label: viewer.user.as_ref().map(user_label),
            is_secretariat: viewer
                .user
                .as_ref()
                .is_some_and(|u| u.actor().is_secretariat()),
            is_staff: viewer.user.as_ref().is_some_and(|u| u.role.keeps_records()),
            is_individual: viewer
                .user
                .as_ref()
                .is_some_and(|u| u.role == Role::Individual),
            csrf: viewer.csrf.clone(),
            notice: None,
            unread_notices: viewer.unread_notices,
        }
    }

    pub fn with_notice(mut self, notice: Option<String>) -> Layout {
        self.notice = notice;
        self
    }
}

fn user_label(user: &User) -> String {
    let name = if user.display_name.is_empty() {
        &user.email
    } else {
        &user.display_name
    };
    if user.organisation_name.is_empty() {
        return format!("{name}（{}）", user.role.label());
    }
    format!(
        "{name}（{}・{}）",
        user.organisation_name,
        user.role.label()
    )
}

/// The notices a redirect after a change may carry (`?done=saved`), so that no
/// free text from the query string reaches a page.
pub fn notice(code: Option<&str>) -> Option<String> {
    let text = match code? {
        "saved" => "保存しました。",
        "created" => "登録しました。",
        "deleted" => "削除しました。",
        "cancelled" => "イベントを中止にしました。",
        "results" => "実績を記録しました。",
        "results_fed" => "実績を記録し、関連施策のKPI（年度の実績）に反映しました。",
        "password" => "パスワードを変更しました。",
        "signed-in" => "ログインしました。",
        "signed-out" => "ログアウトしました。",
        "two-step-setting" => "二段階認証の必須設定を変更しました。",
        "two-step-reset" => "二段階認証をリセットしました。本人は次のログインで設定し直します。",
        "reset" => {
            "新しいパスワードを設定し、ログインしました。ほかの端末でのログインはすべて終了しました。"
        }
        "welcome" => "アカウントの登録が完了し、ログインしました。",
        "requested" => "面談を申し込みました。相手の回答をお待ちください。",
        "answered" => "回答しました。",
        "scheduled" => "面談を枠とテーブルに割り当てました。",
        "expired" => "申込締切を過ぎた未回答の申込を期限切れにしました。",
        "outcome" => "面談の結果を記録しました（商談として集計されます）。",
        _ => return None,
    };
    Some(text.to_owned())
}

/// A pillar as a tag: "【2】技術継承・人材".
pub fn pillar_tag(pillar: &Pillar) -> String {
    format!("【{}】{}", pillar.number(), pillar.short_name())
}

pub fn status_class(status: EntryStatus) -> &'static str {
    match status {
        EntryStatus::Done => "status-done",
        EntryStatus::Planned => "status-planned",
        EntryStatus::Undecided => "status-undecided",
    }
}

/// The fiscal years offered in forms and filters: a few around the document's and today's.
pub fn fiscal_year_choices(extra: &[FiscalYear]) -> Vec<FiscalYear> {
    let today = FiscalYear::containing(domain::time::japan_today());
    let mut years: Vec<FiscalYear> = (2016..=today.year() + 1)
        .filter_map(|y| FiscalYear::new(y).ok())
        .collect();
    years.extend_from_slice(extra);
    years.sort();
    years.dedup();
    years
}

/// A moment as people in Japan read it: 「2026年11月25日 9:05」.
pub fn tokyo_time(at: chrono::DateTime<chrono::Utc>) -> String {
    domain::time::in_japan(at)
        .format("%Y年%-m月%-d日 %-H:%M")
        .to_string()
}
