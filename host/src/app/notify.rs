//! Notifications for people who are away: an email digest of the direct messages and
//! mentions they have not read, sent through the configured SMTP server (`lettre`).
//!
//! Posting a direct message or a mention queues it for its recipients in the same write
//! (`notification_queue`). A job looks at queued messages older than the configured delay:
//! what the person has read meanwhile, or what was deleted, is dropped; the rest goes out
//! as one email per person (at most [`MAX_ITEMS`] listed), unless they turned digests off
//! or are in their quiet hours (then it waits, up to [`QUEUE_MAX_AGE_MILLIS`]). Everything
//! queued in the database, so a restart loses nothing and sends nothing twice that was
//! sent: the rows go in the same write that follows a successful send.

use std::time::Duration;

use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::Auth;
use super::{App, AppError, Result};
use crate::config::{SmtpConfig, SmtpSecurity};
use crate::store::notifications::{self, PendingRow, SettingsRow};
use crate::store::{now_millis, orgs, people};
use courtyard_domain::{OrgId, PersonId, PersonStatus, markup};

/// Messages listed in one email; the rest are counted.
const MAX_ITEMS: i64 = 20;
/// Queued messages older than this are dropped unsent.
const QUEUE_MAX_AGE_MILLIS: i64 = 3 * 24 * 3600 * 1000;
/// People emailed per run of the job.
const PEOPLE_PER_RUN: i64 = 500;
/// How long one node may hold the digest job (a run takes seconds; the lease outlasts
/// any run, and frees itself if the node dies).
const DIGEST_LEASE: Duration = Duration::from_secs(15 * 60);
/// Emails in flight at once (SMTP connections the pool may open).
const SENDS_AT_ONCE: usize = 8;

/// The SMTP connection pool and the sender.
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl Mailer {
    pub fn new(config: &SmtpConfig) -> anyhow::Result<Self> {
        use anyhow::Context;
        let from: Mailbox = config
            .from
            .parse()
            .with_context(|| format!("smtp.from `{}` is not an email address", config.from))?;
        let mut builder = match config.security {
            SmtpSecurity::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&config.host)?,
            SmtpSecurity::Starttls => {
                AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&config.host)?
            }
            SmtpSecurity::None => {
                AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&config.host)
            }
        };
        if let Some(port) = config.port {
            builder = builder.port(port);
        }
        if let (Some(user), Some(password)) = (&config.username, &config.password) {
            builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
        }
        Ok(Self {
            transport: builder.timeout(Some(Duration::from_secs(20))).build(),
            from,
        })
    }
}

/// A time of day, `HH:MM` on the wire.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct QuietHours {
    /// `HH:MM` in the organization's time zone.
    pub start: String,
    /// `HH:MM`; before `start` means the next morning.
    pub end: String,
}

/// A person's notification choices.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NotificationSettings {
    /// Email a digest of unread direct messages and mentions.
    pub email_digest: bool,
    /// No email in this daily window; `null`: none.
    pub quiet_hours: Option<QuietHours>,
}

/// What `GET /api/v1/me/notifications` shows.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct NotificationSettingsView {
    pub email_digest: bool,
    pub quiet_hours: Option<QuietHours>,
    /// Whether this server can send email at all (an SMTP server is configured).
    pub email_available: bool,
    /// The time zone quiet hours are in (the organization's).
    pub time_zone: String,
    /// The host's VAPID public key (base64url): the browser's `applicationServerKey`
    /// when it subscribes to Web Push.
    pub push_public_key: String,
    /// Browsers of the caller subscribed to Web Push.
    pub push_subscriptions: i64,
}

fn parse_clock(field: &str, raw: &str) -> Result<i64> {
    let bad = || {
        AppError::said(
            super::Refusal::Invalid,
            "invalid_quiet_hours",
            format!("{field} must be a time of day as HH:MM, e.g. 22:00"),
            format!("{field} 必须是 HH:MM 格式的时间，例如 22:00"),
        )
    };
    let (h, m) = raw.trim().split_once(':').ok_or_else(bad)?;
    let two_digits = |part: &str| part.len() == 2 && part.bytes().all(|b| b.is_ascii_digit());
    if !two_digits(h) || !two_digits(m) {
        return Err(bad());
    }
    let (h, m): (i64, i64) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    if !(0..24).contains(&h) || !(0..60).contains(&m) {
        return Err(bad());
    }
    Ok(h * 60 + m)
}

fn clock(minutes: i64) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

/// Whether `now` (minutes after local midnight) falls in `[start, end)`, wrapping past
/// midnight when `end` is earlier than `start`.
pub fn in_quiet_hours(now: i64, start: i64, end: i64) -> bool {
    if start <= end {
        start <= now && now < end
    } else {
        now >= start || now < end
    }
}

fn settings_of(row: Option<SettingsRow>) -> NotificationSettings {
    match row {
        Some(r) => NotificationSettings {
            email_digest: r.email_digest,
            quiet_hours: match (r.quiet_start, r.quiet_end) {
                (Some(s), Some(e)) => Some(QuietHours {
                    start: clock(s),
                    end: clock(e),
                }),
                _ => None,
            },
        },
        None => NotificationSettings {
            email_digest: true,
            quiet_hours: None,
        },
    }
}

/// Whether `now` is inside the person's quiet hours, in their organization's zone.
fn quiet_at(settings: &NotificationSettings, tz: chrono_tz::Tz, now: i64) -> bool {
    let Some(q) = &settings.quiet_hours else {
        return false;
    };
    let (Ok(start), Ok(end)) = (parse_clock("start", &q.start), parse_clock("end", &q.end)) else {
        return false;
    };
    let offset = courtyard_runtime::schedule::utc_offset_minutes(tz, now) as i64;
    in_quiet_hours((now / 60_000 + offset).rem_euclid(24 * 60), start, end)
}

impl App {
    /// Whether a person is in their quiet hours right now (no email, no push).
    pub(crate) async fn is_quiet(&self, person_id: &str) -> Result<bool> {
        let settings = settings_of(notifications::settings(&self.store.read, person_id).await?);
        if settings.quiet_hours.is_none() {
            return Ok(false);
        }
        let person = people::get(
            &self.store.read,
            &PersonId::from_trusted(person_id.to_owned()),
        )
        .await?;
        let org = orgs::get(&self.store.read, &OrgId::from_trusted(person.org_id)).await?;
        let tz = courtyard_runtime::schedule::time_zone_or_utc(&org.time_zone);
        Ok(quiet_at(&settings, tz, now_millis()))
    }

    pub async fn notification_settings(&self, auth: &Auth) -> Result<NotificationSettingsView> {
        let row = notifications::settings(&self.store.read, auth.actor.person_id.as_str()).await?;
        let org = orgs::get(&self.store.read, &auth.actor.org_id).await?;
        let settings = settings_of(row);
        Ok(NotificationSettingsView {
            email_digest: settings.email_digest,
            quiet_hours: settings.quiet_hours,
            email_available: self.mailer.is_some(),
            time_zone: org.time_zone,
            push_public_key: self.vapid.public_key.clone(),
            push_subscriptions: notifications::subscription_count(
                &self.store.read,
                auth.actor.person_id.as_str(),
            )
            .await?,
        })
    }

    pub async fn set_notification_settings(
        &self,
        auth: &Auth,
        input: NotificationSettings,
    ) -> Result<NotificationSettingsView> {
        let (quiet_start, quiet_end) = match &input.quiet_hours {
            Some(q) => {
                let (s, e) = (parse_clock("start", &q.start)?, parse_clock("end", &q.end)?);
                if s == e {
                    return Err(AppError::said(
                        super::Refusal::Invalid,
                        "invalid_quiet_hours",
                        "quiet hours must start and end at different times",
                        "免打扰时段的开始和结束时间不能相同",
                    ));
                }
                (Some(s), Some(e))
            }
            None => (None, None),
        };
        let row = SettingsRow {
            person_id: auth.actor.person_id.as_str().to_owned(),
            email_digest: input.email_digest,
            quiet_start,
            quiet_end,
            updated_at: now_millis(),
        };
        self.writer
            .write(move |tx| Box::pin(async move { notifications::put_settings(tx, &row).await }))
            .await?;
        self.notification_settings(auth).await
    }

    /// One run of the digest job: emails everyone whose queued messages are due. Returns
    /// how many emails went out. In a cluster one node at a time runs it (a lease), so no
    /// digest goes out twice.
    pub async fn send_digests(&self) -> Result<usize> {
        let run = self.with_lease("email-digests", DIGEST_LEASE, self.send_digests_now());
        Ok(run.await?.transpose()?.unwrap_or(0))
    }

    async fn send_digests_now(&self) -> Result<usize> {
        let Some(mailer) = &self.mailer else {
            return Ok(0);
        };
        let now = now_millis();
        let delay = self
            .config
            .smtp
            .as_ref()
            .map_or(0, |s| s.digest_delay_minutes as i64 * 60_000);
        let until = now - delay;
        let stale = now - QUEUE_MAX_AGE_MILLIS;
        self.writer
            .write(move |tx| Box::pin(async move { notifications::prune(tx, stale).await }))
            .await?;
        // A few at a time: each email waits on the mail server's answer.
        use futures_util::StreamExt;
        let due = notifications::due_people(&self.store.read, until, PEOPLE_PER_RUN).await?;
        let sent = futures_util::stream::iter(due)
            .map(|person| async move {
                match self.digest_for(mailer, &person, now, until).await {
                    Ok(sent) => sent,
                    // The rows stay: the next run tries again.
                    Err(e) => {
                        tracing::warn!(error = %e, person, "sending an email digest failed");
                        false
                    }
                }
            })
            .buffer_unordered(SENDS_AT_ONCE)
            .filter(|sent| std::future::ready(*sent))
            .count()
            .await;
        Ok(sent)
    }

    /// Emails one person their due messages, or decides not to. `Ok(true)` when sent.
    async fn digest_for(
        &self,
        mailer: &Mailer,
        person_id: &str,
        now: i64,
        until: i64,
    ) -> anyhow::Result<bool> {
        let person = people::get(
            &self.store.read,
            &PersonId::from_trusted(person_id.to_owned()),
        )
        .await?;
        let settings = settings_of(notifications::settings(&self.store.read, person_id).await?);
        let wanted = settings.email_digest && person.status == PersonStatus::Active.as_str();
        let org = orgs::get(
            &self.store.read,
            &OrgId::from_trusted(person.org_id.clone()),
        )
        .await?;
        let tz = courtyard_runtime::schedule::time_zone_or_utc(&org.time_zone);
        if wanted && quiet_at(&settings, tz, now) {
            return Ok(false);
        }
        let items = if wanted {
            notifications::pending(&self.store.read, person_id, until, MAX_ITEMS + 1).await?
        } else {
            Vec::new()
        };
        if !items.is_empty() {
            let email = self.compose(mailer, &person, &items, tz).await?;
            mailer.transport.send(email).await?;
        }
        let who = person_id.to_owned();
        self.writer
            .write(move |tx| Box::pin(async move { notifications::clear(tx, &who, until).await }))
            .await?;
        Ok(!items.is_empty())
    }

    async fn compose(
        &self,
        mailer: &Mailer,
        person: &people::PersonRow,
        items: &[PendingRow],
        tz: chrono_tz::Tz,
    ) -> anyhow::Result<Message> {
        let shown = &items[..items.len().min(MAX_ITEMS as usize)];
        let more = items.len() > shown.len();
        let base = self.config.public_url();
        let mut lines = Vec::new();
        for item in shown {
            lines.push(Line {
                place: if item.group_kind == "direct" {
                    "私信 · Direct message".to_owned()
                } else {
                    item.group_name.clone()
                },
                author: item
                    .author_name
                    .clone()
                    .or_else(|| item.bot.as_ref().map(|_| "Bot".to_owned()))
                    .unwrap_or_else(|| "匿名 · Anonymous".to_owned()),
                at: chrono::DateTime::from_timestamp_millis(item.created_at)
                    .map(|t| t.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string())
                    .unwrap_or_default(),
                text: self.readable_text(item).await,
                link: match &item.thread_root_id {
                    Some(root) => format!("{base}/g/{}/t/{root}", item.group_id),
                    None => format!("{base}/g/{}", item.group_id),
                },
            });
        }
        let count = if more {
            format!("{}+", shown.len())
        } else {
            shown.len().to_string()
        };
        let subject = format!("[Courtyard] {count} 条未读消息 · {count} unread messages");
        let intro_zh = format!(
            "{}，你好：你不在时，有 {count} 条私信或提到你的消息尚未阅读。",
            person.display_name
        );
        let intro_en = format!(
            "Hi {}, while you were away {count} direct messages or mentions of you arrived that you have not read.",
            person.display_name
        );
        let settings_link = format!("{base}/account");
        let footer_zh = format!("在此更改通知设置：{settings_link}");
        let footer_en =
            format!("Change these emails in your notification settings: {settings_link}");

        let mut text = format!("{intro_zh}\n{intro_en}\n\n");
        for l in &lines {
            text.push_str(&format!(
                "— {} · {} · {}\n  {}\n  {}\n\n",
                l.place, l.author, l.at, l.text, l.link
            ));
        }
        if more {
            text.push_str("……以及更多 / …and more\n\n");
        }
        text.push_str(&format!("{footer_zh}\n{footer_en}\n"));

        let mut html = format!(
            "<!doctype html><html><body style=\"font-family:sans-serif;color:#1d2433\">\
             <p>{}<br>{}</p>",
            escape(&intro_zh),
            escape(&intro_en)
        );
        for l in &lines {
            html.push_str(&format!(
                "<div style=\"border-left:3px solid #3b6fe0;padding:4px 10px;margin:12px 0\">\
                 <div style=\"color:#667085;font-size:13px\">{} · {} · {}</div>\
                 <div style=\"margin:4px 0\">{}</div>\
                 <a href=\"{}\">打开 · Open</a></div>",
                escape(&l.place),
                escape(&l.author),
                escape(&l.at),
                escape(&l.text),
                escape(&l.link)
            ));
        }
        if more {
            html.push_str("<p>……以及更多 / …and more</p>");
        }
        html.push_str(&format!(
            "<p style=\"color:#667085;font-size:12px\">{}<br>{}</p></body></html>",
            escape(&footer_zh),
            escape(&footer_en)
        ));

        let to: Mailbox = format!(
            "{} <{}>",
            person.display_name.replace(['<', '>', '"'], ""),
            person.email
        )
        .parse()
        .or_else(|_| person.email.parse())?;
        Ok(Message::builder()
            .from(mailer.from.clone())
            .to(to)
            .subject(subject)
            .multipart(MultiPart::alternative_plain_html(text, html))?)
    }

    /// A message's text as a person reads it: markup flattened, mentions by name, at most
    /// 300 characters; a burn-after-read message's body is not put in an email.
    async fn readable_text(&self, item: &PendingRow) -> String {
        if item.burn_after_secs.is_some() {
            return "（阅后即焚消息，请在 Courtyard 中查看）(A message that disappears after reading: open Courtyard to see it.)".to_owned();
        }
        let Ok(parsed) = markup::parse(&item.body) else {
            return item.body.chars().take(300).collect();
        };
        let mut text = markup::plain_text(&parsed.segments);
        let ids: Vec<String> = parsed
            .mentions
            .iter()
            .map(|p| p.as_str().to_owned())
            .collect();
        if !ids.is_empty()
            && let Ok(names) = people::names(&self.store.read, &ids).await
        {
            for (id, name) in names {
                text = text.replace(&format!("@{id}"), &format!("@{name}"));
            }
        }
        let mut short: String = text.chars().take(300).collect();
        if text.chars().count() > 300 {
            short.push('…');
        }
        short
    }
}

struct Line {
    place: String,
    author: String,
    at: String,
    text: String,
    link: String,
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Runs the digest job every `smtp.digest_interval_secs` while an SMTP server is
/// configured (0: never; something else calls [`App::send_digests`]).
pub(crate) async fn digest_job(app: App) {
    let Some(every) = app.config.smtp.as_ref().map(|s| s.digest_interval_secs) else {
        return;
    };
    if every == 0 {
        return;
    }
    let every = Duration::from_secs(every);
    loop {
        tokio::time::sleep(every).await;
        match app.send_digests().await {
            Ok(0) => {}
            Ok(sent) => tracing::info!(sent, "email digests sent"),
            Err(e) => tracing::warn!(error = %e, "the email digest job failed"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quiet_hours_wrap_past_midnight() {
        let (night_start, night_end) = (22 * 60, 7 * 60);
        assert!(in_quiet_hours(23 * 60, night_start, night_end));
        assert!(in_quiet_hours(3 * 60, night_start, night_end));
        assert!(!in_quiet_hours(7 * 60, night_start, night_end));
        assert!(!in_quiet_hours(12 * 60, night_start, night_end));
        assert!(in_quiet_hours(12 * 60, 12 * 60, 13 * 60));
        assert!(!in_quiet_hours(13 * 60, 12 * 60, 13 * 60));
    }

    #[test]
    fn clock_times_parse_strictly() {
        assert_eq!(parse_clock("start", "22:30").unwrap(), 22 * 60 + 30);
        assert_eq!(parse_clock("start", "00:00").unwrap(), 0);
        for bad in [
            "24:00", "7:00", "12:60", "noon", "12-00", "", "12:00:00", "+1:00", "2:000", "-1:00",
        ] {
            assert!(parse_clock("start", bad).is_err(), "{bad}");
        }
        assert_eq!(clock(22 * 60 + 5), "22:05");
    }

    #[test]
    fn html_is_escaped() {
        assert_eq!(escape("<script>\"&"), "&lt;script&gt;&quot;&amp;");
    }
}
