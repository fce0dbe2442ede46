//! The mail sender inside every `renkei serve` process: it claims due messages from
//! the outbox (`store::outbox`), turns each into a MIME message (UTF-8 text, RFC 2047
//! subject, the organisation's name as the sender's display name, an `.ics`
//! invitation as an attachment), and delivers it through SMTP with lettre — or,
//! without `--smtp-url`, writes it as an `.eml` file under the mail directory, so
//! that a newcomer sees every mail the platform would send.
//!
//! Bulk messages (invitations, reminders, digests) carry `List-Unsubscribe` with
//! the one-click page of their own token and `List-Unsubscribe-Post:
//! List-Unsubscribe=One-Click` (RFC 8058), and `List-Id`.
//!
//! Temporary failures (a 4xx answer, no connection) are retried with exponential
//! backoff for 24 hours; a permanent refusal (5xx) marks the message failed with the
//! server's reason. Sending is spaced to `per_minute` messages a minute per process,
//! as municipal relays limit senders.

use std::path::PathBuf;
use std::time::Duration;

use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::PoolConfig;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use store::Store;
use store::outbox::{self, Claimed, Delivery};

/// How the sender delivers.
#[derive(Debug, Clone)]
pub struct MailOptions {
    /// `smtp://USER:PASS@HOST:587` (STARTTLS), `smtps://…:465` (implicit TLS), or
    /// `smtp://HOST:25?tls=none` for a relay on the local network; `None` writes
    /// `.eml` files to `mail_dir`.
    pub smtp_url: Option<String>,
    /// The envelope sender and From address (the display name is the organisation's).
    pub mail_from: String,
    /// The platform's address for absolute links in mail, without a trailing slash.
    pub public_url: String,
    pub mail_dir: PathBuf,
    pub per_minute: u32,
    /// The first retry's pause; each further one doubles it (at most an hour).
    pub retry_base: Duration,
    /// How often an idle sender looks for due messages.
    pub poll: Duration,
    /// How long a claim holds a message: a process killed mid-send leaves it to the
    /// others (or to itself after a restart) once this has passed.
    pub lease: Duration,
}

impl Default for MailOptions {
    fn default() -> Self {
        MailOptions {
            smtp_url: None,
            mail_from: "noreply@renkei.localhost".into(),
            public_url: "http://127.0.0.1:8080".into(),
            mail_dir: PathBuf::from("mail"),
            per_minute: 60,
            retry_base: Duration::from_secs(60),
            poll: Duration::from_secs(1),
            lease: Duration::from_secs(300),
        }
    }
}

/// The lettre URL for `--smtp-url`: `smtp://` means STARTTLS (required) unless the
/// URL says `?tls=none` (plain, for a relay on the local network or a test server)
/// or `?tls=opportunistic`; `smtps://` is implicit TLS.
pub fn transport_url(url: &str) -> Result<String, String> {
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| format!("SMTPのURLは smtp://… または smtps://… の形式です（「{url}」）"))?;
    match scheme {
        "smtps" => Ok(url.to_owned()),
        "smtp" => {
            let (base, query) = rest.split_once('?').unwrap_or((rest, ""));
            let mut params: Vec<&str> = query.split('&').filter(|p| !p.is_empty()).collect();
            let tls = params
                .iter()
                .find_map(|p| p.strip_prefix("tls="))
                .map(str::to_owned);
            match tls.as_deref() {
                None => params.push("tls=required"),
                Some("none") => params.retain(|p| !p.starts_with("tls=")),
                Some("required" | "opportunistic") => {}
                Some(other) => {
                    return Err(format!(
                        "tls= は required・opportunistic・none のいずれかです（「{other}」）"
                    ));
                }
            }
            Ok(if params.is_empty() {
                format!("smtp://{base}")
            } else {
                format!("smtp://{base}?{}", params.join("&"))
            })
        }
        other => Err(format!(
            "SMTPのURLは smtp:// または smtps:// で始めてください（「{other}://」）"
        )),
    }
}

enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Files(PathBuf),
}

/// Messages a sender has on their way at once, and SMTP connections it keeps open
/// (lettre's pool) for them.
const IN_FLIGHT: usize = 8;

/// Spaces sends to the per-minute limit.
struct RateLimit {
    spacing: Duration,
    next: tokio::time::Instant,
}

impl RateLimit {
    fn new(per_minute: u32) -> RateLimit {
        RateLimit {
            spacing: Duration::from_secs(60) / per_minute.max(1),
            next: tokio::time::Instant::now(),
        }
    }

    async fn wait(&mut self) {
        tokio::time::sleep_until(self.next).await;
        self.next = self.next.max(tokio::time::Instant::now()) + self.spacing;
    }
}

/// A sender, its options checked; [`Sender::run`] delivers until the process ends.
pub struct Sender {
    transport: Transport,
    from: lettre::Address,
    options: MailOptions,
}

impl Sender {
    /// Checks the SMTP URL and the sender address, and makes the mail directory when
    /// mail goes to files: a wrong setting stops `serve` at start, in Japanese.
    pub fn new(options: MailOptions) -> Result<Sender, String> {
        let transport = match &options.smtp_url {
            Some(url) => Transport::Smtp(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(
                    &transport_url(url).map_err(|e| format!("--smtp-url: {e}"))?,
                )
                .map_err(|e| format!("--smtp-url を解釈できません: {e}"))?
                .timeout(Some(Duration::from_secs(30)))
                // Connections are kept (a minute when idle) and reused, rather than
                // one connection and handshake per message.
                .pool_config(PoolConfig::new().max_size(IN_FLIGHT as u32))
                .build(),
            ),
            None => {
                std::fs::create_dir_all(&options.mail_dir).map_err(|e| {
                    format!(
                        "メールの保存先 {} を作れません: {e}",
                        options.mail_dir.display()
                    )
                })?;
                Transport::Files(options.mail_dir.clone())
            }
        };
        let from = options
            .mail_from
            .parse()
            .map_err(|e| format!("--mail-from のアドレスが正しくありません（{e}）"))?;
        Ok(Sender {
            transport,
            from,
            options,
        })
    }

    /// Delivers until the process ends. Errors of the database are logged and tried
    /// again after a pause; they never end the loop.
    ///
    /// Up to [`IN_FLIGHT`] messages of a claim are on their way at once, over the
    /// pooled SMTP connections (a relay's round trips, not the platform, bound the
    /// throughput); each is still started no sooner than the per-minute limit allows.
    pub async fn run(self, store: Store) {
        let sender = std::sync::Arc::new(self);
        let options = &sender.options;
        let mut rate = RateLimit::new(options.per_minute);
        // About ten seconds of sending per claim, so that claimed rows are sent well
        // within their lease.
        let batch = u64::from((options.per_minute / 6).clamp(1, 100));
        loop {
            // A claim is ours until its lease lapses; after that another sender may
            // claim the same rows, so we stop short of it (with a fifth of the lease
            // to spare for the messages in flight) and leave the rest to be claimed
            // again, rather than send a message that someone else is sending too.
            let held_until = tokio::time::Instant::now() + options.lease.mul_f64(0.8);
            let claimed = match outbox::claim(&store, batch, options.lease).await {
                Ok(claimed) => claimed,
                Err(error) => {
                    tracing::warn!(%error, "outbox: claim failed");
                    tokio::time::sleep(options.poll.max(Duration::from_secs(1))).await;
                    continue;
                }
            };
            if claimed.is_empty() {
                tokio::time::sleep(options.poll).await;
                continue;
            }
            let mut sending = tokio::task::JoinSet::new();
            let mut claimed = claimed.into_iter();
            while let Some(message) = claimed.next() {
                while sending.len() >= IN_FLIGHT {
                    sending.join_next().await;
                }
                rate.wait().await;
                if tokio::time::Instant::now() >= held_until {
                    let rest: Vec<Claimed> = std::iter::once(message).chain(claimed).collect();
                    tracing::info!(
                        released = rest.len(),
                        "outbox: claim about to lapse; the rest released"
                    );
                    if let Err(error) = outbox::release(&store, &rest).await {
                        tracing::warn!(%error, "outbox: release failed (the lease will lapse)");
                    }
                    break;
                }
                let (sender, store) = (sender.clone(), store.clone());
                sending.spawn(async move { sender.send_one(&store, &message).await });
            }
            // The next claim starts when this one is done with (every message sent,
            // failed or released).
            while sending.join_next().await.is_some() {}
        }
    }

    /// Delivers one claimed message and records the outcome (sent, a retry later,
    /// or failed).
    async fn send_one(&self, store: &Store, message: &Claimed) {
        let options = &self.options;
        let delivery = deliver(&self.transport, &self.from, options, message).await;
        match outbox::report(store, message, delivery.clone(), options.retry_base).await {
            Ok(status) => tracing::info!(
                id = message.id,
                tries = message.tries,
                status = status.code(),
                ?delivery,
                "outbox: delivery"
            ),
            Err(error) => {
                tracing::warn!(%error, id = message.id, "outbox: report failed")
            }
        }
    }
}

/// Fills the placeholders a use case cannot know (the public address, the sender,
/// the message's unsubscribe page).
fn filled(text: &str, options: &MailOptions, message: &Claimed) -> String {
    let text = text
        .replace(outbox::PUBLIC_URL, options.public_url.trim_end_matches('/'))
        .replace(outbox::MAIL_FROM, &options.mail_from);
    match unsubscribe_url(options, message) {
        Some(url) => text.replace(outbox::UNSUBSCRIBE_URL, &url),
        None => text,
    }
}

/// The one-click unsubscribe page of a bulk message (`/unsubscribe/{token}`).
pub fn unsubscribe_url(options: &MailOptions, message: &Claimed) -> Option<String> {
    let token = message.unsubscribe_token.as_deref()?;
    Some(format!(
        "{}/unsubscribe/{token}",
        options.public_url.trim_end_matches('/')
    ))
}

/// `List-Unsubscribe`, `List-Unsubscribe-Post` (RFC 8058) and `List-Id` (RFC 2919)
/// of a bulk message; nothing for a transactional one.
fn list_headers(options: &MailOptions, message: &Claimed) -> Vec<HeaderValue> {
    let (Some(url), Some(list)) = (unsubscribe_url(options, message), &message.list_name) else {
        return Vec::new();
    };
    let domain = options
        .mail_from
        .rsplit_once('@')
        .map_or("renkei.localhost", |(_, d)| d);
    // A list code is made of ASCII letters, digits, dots and hyphens; anything else
    // (never written by the platform) is left out rather than put in a header.
    let list_id = list
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-'))
        .collect::<String>();
    vec![
        HeaderValue::new(
            HeaderName::new_from_ascii_str("List-Unsubscribe"),
            format!("<{url}>"),
        ),
        HeaderValue::new(
            HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
            "List-Unsubscribe=One-Click".to_owned(),
        ),
        HeaderValue::new(
            HeaderName::new_from_ascii_str("List-Id"),
            format!("<{list_id}.{domain}>"),
        ),
    ]
}

/// The MIME message for an outbox row; an error is a message that can never be sent
/// (a malformed address), which is permanent.
pub fn compose(
    from: &lettre::Address,
    options: &MailOptions,
    message: &Claimed,
) -> Result<Message, String> {
    let to: lettre::Address = message.recipient_email.parse().map_err(|_| {
        format!(
            "宛先のアドレスが正しくありません（{}）",
            message.recipient_email
        )
    })?;
    // Names are one line whatever the row holds (header injection).
    let name = |text: &str| Some(outbox::one_line(text)).filter(|t| !t.is_empty());
    let mut builder = Message::builder()
        .from(Mailbox::new(name(&message.sender_name), from.clone()))
        .to(Mailbox::new(name(&message.recipient_name), to))
        .subject(outbox::one_line(&message.subject))
        .message_id(Some(message.message_id.clone()));
    for header in list_headers(options, message) {
        builder = builder.raw_header(header);
    }
    let text = SinglePart::plain(filled(&message.body_text, options, message));
    // The text, with its HTML alternative where there is one.
    let readable = message.body_html.as_ref().map(|html| {
        MultiPart::alternative()
            .singlepart(text.clone())
            .singlepart(SinglePart::html(filled(html, options, message)))
    });
    let built = match (&message.ics, readable) {
        (None, None) => builder.singlepart(text),
        (None, Some(alternative)) => builder.multipart(alternative),
        (Some(ics), readable) => {
            let method = if ics.contains("METHOD:CANCEL") {
                "CANCEL"
            } else {
                "REQUEST"
            };
            let content_type =
                ContentType::parse(&format!("text/calendar; charset=utf-8; method={method}"))
                    .map_err(|e| e.to_string())?;
            let attachment = Attachment::new("invite.ics".into())
                .body(filled(ics, options, message).into_bytes(), content_type);
            let mixed = match readable {
                Some(alternative) => MultiPart::mixed().multipart(alternative),
                None => MultiPart::mixed().singlepart(text),
            };
            builder.multipart(mixed.singlepart(attachment))
        }
    };
    let mut built = built.map_err(|e| format!("メールを組み立てられません: {e}"))?;
    // lettre writes the Date in UTC (+0000); mail programs show it as written, so it
    // is Japan time, as every time shown to people.
    built.headers_mut().insert_raw(HeaderValue::new(
        HeaderName::new_from_ascii_str("Date"),
        japan_date(chrono::Utc::now()),
    ));
    Ok(built)
}

/// A moment as a mail `Date` in Japan time (`Mon, 7 Dec 2026 19:54:00 +0900`).
fn japan_date(at: chrono::DateTime<chrono::Utc>) -> String {
    at.with_timezone(&domain::time::japan_offset()).to_rfc2822()
}

async fn deliver(
    transport: &Transport,
    from: &lettre::Address,
    options: &MailOptions,
    message: &Claimed,
) -> Delivery {
    let mime = match compose(from, options, message) {
        Ok(mime) => mime,
        Err(reason) => return Delivery::Permanent(reason),
    };
    match transport {
        Transport::Smtp(smtp) => match smtp.send(mime).await {
            Ok(_) => Delivery::Sent,
            Err(error) if error.is_permanent() => Delivery::Permanent(error.to_string()),
            Err(error) => Delivery::Temporary(error.to_string()),
        },
        Transport::Files(dir) => match write_eml(dir, message, &mime.formatted()).await {
            Ok(()) => Delivery::Sent,
            Err(error) => Delivery::Temporary(format!("ファイルに書けません: {error}")),
        },
    }
}

/// Writes `NNNNNN.eml` (the outbox id) through a temporary name, so that a reader
/// never sees half a message.
async fn write_eml(dir: &std::path::Path, message: &Claimed, bytes: &[u8]) -> std::io::Result<()> {
    let path = dir.join(format!("{:06}.eml", message.id));
    let partial = dir.join(format!(".{:06}.eml.partial", message.id));
    tokio::fs::write(&partial, bytes).await?;
    tokio::fs::rename(&partial, &path).await
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn smtp_means_starttls_unless_the_url_says_otherwise() {
        assert_eq!(
            transport_url("smtp://u:p@mail.example.jp:587").unwrap(),
            "smtp://u:p@mail.example.jp:587?tls=required"
        );
        assert_eq!(
            transport_url("smtp://127.0.0.1:2525?tls=none").unwrap(),
            "smtp://127.0.0.1:2525"
        );
        assert_eq!(
            transport_url("smtps://u:p@mail.example.jp").unwrap(),
            "smtps://u:p@mail.example.jp"
        );
        assert!(transport_url("http://x").is_err());
        assert!(transport_url("smtp://x?tls=maybe").is_err());
    }

    #[test]
    fn japanese_subjects_and_names_are_encoded_and_cannot_inject_headers() {
        let options = MailOptions::default();
        let from: lettre::Address = "noreply@example.jp".parse().unwrap();
        let claimed = Claimed {
            id: 1,
            claim: String::new(),
            message_id: "<1.abc@renkei>".into(),
            sender_name: outbox::one_line("大田区\r\nBcc: x@example.com"),
            recipient_email: "taro@example.jp".into(),
            recipient_name: "山田 太郎".into(),
            subject: "【受付】見学会\r\nX-Injected: yes".into(),
            body_text: format!("本文 {}/registrations/t", outbox::PUBLIC_URL),
            body_html: None,
            ics: None,
            kind: "transactional".into(),
            tries: 1,
            created_at: chrono::Utc::now(),
            list_name: None,
            unsubscribe_token: None,
        };
        let text =
            String::from_utf8(compose(&from, &options, &claimed).unwrap().formatted()).unwrap();
        let headers = text.split("\r\n\r\n").next().unwrap();
        assert!(headers.contains("Subject: =?utf-8?b?"), "{headers}");
        assert!(headers.contains("Message-ID: <1.abc@renkei>"), "{headers}");
        for line in headers.lines() {
            assert!(!line.starts_with("X-Injected"), "{headers}");
            assert!(!line.starts_with("Bcc"), "{headers}");
        }
        assert!(!text.contains(outbox::PUBLIC_URL));
        assert!(!headers.contains("List-Unsubscribe"), "{headers}");
        let dates: Vec<&str> = headers.lines().filter(|l| l.starts_with("Date:")).collect();
        assert_eq!(dates.len(), 1, "{headers}");
        assert!(
            dates[0].ends_with("+0900"),
            "the Date is Japan time: {headers}"
        );
    }

    #[test]
    fn the_mail_date_is_written_in_japan_time() {
        let at = "2026-12-31T15:30:00Z".parse().unwrap();
        assert_eq!(japan_date(at), "Fri, 1 Jan 2027 00:30:00 +0900");
    }

    #[test]
    fn bulk_mail_carries_one_click_unsubscribe_headers_and_the_same_link_in_its_footer() {
        let options = MailOptions {
            public_url: "https://renkei.example.jp/".into(),
            mail_from: "jimukyoku@renkei.example.jp".into(),
            ..MailOptions::default()
        };
        let from: lettre::Address = options.mail_from.parse().unwrap();
        let message = outbox::Outgoing::bulk(
            Some(1),
            "川口市",
            "株式会社テスト",
            "t@example.jp",
            "【調査のお願い】",
            "本文",
            "理由",
            "survey.kawaguchi",
        );
        let token = "0123456789abcdef0123456789abcdef01234567";
        let claimed = Claimed {
            id: 2,
            claim: String::new(),
            message_id: "<2.abc@renkei>".into(),
            sender_name: message.sender_name,
            recipient_email: message.recipient_email,
            recipient_name: message.recipient_name,
            subject: message.subject,
            body_text: message.body_text,
            body_html: None,
            ics: None,
            kind: "bulk".into(),
            tries: 1,
            created_at: chrono::Utc::now(),
            list_name: message.list,
            unsubscribe_token: Some(token.into()),
        };
        let text =
            String::from_utf8(compose(&from, &options, &claimed).unwrap().formatted()).unwrap();
        let headers = text.split("\r\n\r\n").next().unwrap();
        let url = format!("https://renkei.example.jp/unsubscribe/{token}");
        assert!(
            headers.contains(&format!("List-Unsubscribe: <{url}>")),
            "{headers}"
        );
        assert!(
            headers.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"),
            "{headers}"
        );
        assert!(
            headers.contains("List-Id: <survey.kawaguchi.renkei.example.jp>"),
            "{headers}"
        );
        assert!(!text.contains(outbox::UNSUBSCRIBE_URL));
    }
}
