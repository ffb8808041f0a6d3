//! Notices to the owner of credentials: into their in-portal notification list and, when they have an
//! address (their portal account's, else the IAM user tag `email`), by e-mail through the outbox. A
//! notice never blocks or undoes the change it reports: failures are logged and e-mail delivery is
//! retried with back-off, visible to administrators.

use crate::audit::AuditEvent;
use crate::iam::Caller;
use crate::portal::Portal;
use app::domain::notices::{change_notice, Notice};
use app::domain::IamUserName;
use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use time::Duration;

/// Delivery attempts before a message is given up (and shown as failed to administrators).
pub const MAX_ATTEMPTS: i64 = 8;

/// The wait before attempt `n + 1` after `n` failures: 1, 2, 4 … minutes, at most 6 hours.
pub fn backoff(failures: i64) -> Duration {
    Duration::minutes((1i64 << failures.clamp(0, 9)).min(360))
}

/// The SMTP connection and the From address.
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

/// Validate `--smtp-url` and `--smtp-from` (one clear line each).
pub fn check_smtp(url: &str, from: &str) -> Result<(), String> {
    if !(url.starts_with("smtp://") || url.starts_with("smtps://")) {
        return Err(crate::config::redact_userinfo(&format!("--smtp-url {url:?} must start with smtp:// or smtps://")));
    }
    AsyncSmtpTransport::<Tokio1Executor>::from_url(url).map_err(|e| crate::config::redact_userinfo(&format!("--smtp-url: {e}")))?;
    from.parse::<Mailbox>().map_err(|e| format!("--smtp-from {from:?} is not an e-mail address ({e})"))?;
    Ok(())
}

/// An e-mail address as keydesk stores it, or why it is not one.
pub fn check_address(raw: &str) -> Result<String, String> {
    let raw = raw.trim();
    raw.parse::<lettre::Address>().map(|a| a.to_string()).map_err(|_| format!("{raw:?} is not an e-mail address"))
}

impl Mailer {
    pub fn from_config(url: &str, from: &str) -> Result<Mailer, String> {
        check_smtp(url, from)?;
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| format!("--smtp-url: {e}"))?
            .timeout(Some(std::time::Duration::from_secs(20)))
            .build();
        Ok(Mailer { transport, from: from.parse().map_err(|e| format!("--smtp-from: {e}"))? })
    }

    async fn send(&self, to: &str, subject: &str, body: &str) -> Result<(), String> {
        let to: Mailbox = to.parse().map_err(|e| format!("bad recipient: {e}"))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .header(lettre::message::header::ContentType::TEXT_PLAIN)
            .body(body.to_owned())
            .map_err(|e| format!("could not build the message: {e}"))?;
        self.transport.send(message).await.map(drop).map_err(|e| e.to_string())
    }
}

impl Portal {
    /// Where notices for `user` go by e-mail: their portal account's address, else the IAM tag `email`.
    pub async fn address_of(&self, user: &IamUserName) -> Option<String> {
        match self.db.email_of_iam_user(&user.fold()).await {
            Ok(Some(a)) => return Some(a),
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "could not read the account's e-mail address"),
        }
        let reader = Caller::admin("keydesk");
        match self.iam.list_user_tags(&reader, user).await {
            Ok(tags) => tags.into_iter().find(|(k, _)| k.eq_ignore_ascii_case("email")).and_then(|(_, v)| check_address(&v).ok()),
            Err(e) => {
                tracing::debug!(error = %e, "could not read the user's tags for an e-mail address");
                None
            }
        }
    }

    /// Tell `user` (in the portal, and by e-mail when they have an address). Never fails the caller.
    pub async fn notify(&self, user: &IamUserName, notice: &Notice) -> bool {
        self.notify_from(user, notice, None).await
    }

    /// [`Portal::notify`] for a change made in the session marked `origin`: the notice is unread in
    /// every other session of the person (someone else using their account would show there), read in
    /// the one that made it. The e-mail goes out either way.
    pub async fn notify_from(&self, user: &IamUserName, notice: &Notice, origin: Option<&str>) -> bool {
        let now = self.clock.now();
        let fold = user.fold();
        if let Err(e) = self.db.add_notification(&fold, now, notice, origin).await {
            tracing::error!(error = %e, "could not store a notification");
        }
        let Some(address) = self.address_of(user).await else {
            return false;
        };
        // Plain ASCII where keydesk chooses the characters, so mail arrives readable as 7-bit text.
        let plain = |s: &str| s.replace('…', "...");
        let mut body = wrap(&plain(&notice.body), 72);
        if let Some(link) = &notice.link {
            body.push_str(&format!("\n\nOpen keydesk:\n{}{link}\n", self.config.public_origin));
        }
        body.push_str("\n-- \nkeydesk, your organisation's AWS credentials portal.\nThis message contains no secret.\n");
        match self.db.enqueue_email(&fold, &address, &plain(&notice.title), &body, now).await {
            Ok(()) => {
                self.mail_waiting.notify_one();
                true
            }
            Err(e) => {
                tracing::error!(error = %e, "could not queue a notice e-mail");
                false
            }
        }
    }

    /// After a successful audited change to someone's credentials: tell them what changed, when, by
    /// whom (and why, for the help desk).
    pub(crate) async fn notify_change(&self, event: &AuditEvent, by_owner: bool, origin: Option<&str>) {
        let Some(target) = event.target_user.as_deref().and_then(|t| IamUserName::parse(t).ok()) else {
            return;
        };
        let ask = match self.entitlements().await {
            Ok(e) => e.ask,
            Err(_) => app::domain::entitlements::DEFAULT_ASK.to_owned(),
        };
        let actor = event.actor.as_deref().unwrap_or("keydesk");
        let actor = match event.actor_role.as_deref() {
            Some("helpdesk") => format!("{actor} (help desk)"),
            Some("admin") if !by_owner => format!("{actor} (administrator)"),
            _ => actor.to_owned(),
        };
        let Some(notice) =
            change_notice(&event.action, event.subject.as_deref(), &actor, by_owner, event.reason.as_deref(), self.clock.now(), &ask)
        else {
            return;
        };
        self.notify_from(&target, &notice, origin).await;
    }

    /// Deliver the e-mails that are due; returns (sent, failed attempts). Safe to run on every instance
    /// at once: each message is claimed before it is sent.
    pub async fn deliver_due(&self) -> (usize, usize) {
        let Some(mailer) = &self.mailer else { return (0, 0) };
        let now = self.clock.now();
        let due = match self.db.due_emails(now, 50).await {
            Ok(d) => d,
            Err(e) => {
                tracing::warn!(error = %e, "could not read the outbox");
                return (0, 0);
            }
        };
        let (mut sent, mut failed) = (0, 0);
        for row in due {
            // Claimed for five minutes: long enough for one attempt, short enough to retry after a crash.
            if !self.db.claim_email(&row, now + Duration::minutes(5)).await.unwrap_or(false) {
                continue;
            }
            match mailer.send(&row.recipient, &row.subject, &row.body).await {
                Ok(()) => {
                    sent += 1;
                    if let Err(e) = self.db.email_sent(row.id, self.clock.now()).await {
                        tracing::error!(error = %e, "an e-mail went out but could not be marked sent");
                    }
                }
                Err(error) => {
                    failed += 1;
                    let failures = row.attempts + 1;
                    let next = (failures < MAX_ATTEMPTS).then(|| self.clock.now() + backoff(failures));
                    tracing::warn!(error = %error, attempt = failures, giving_up = next.is_none(), "notice e-mail not delivered");
                    let _ = self.db.email_failed(row.id, &error, self.clock.now(), next).await;
                }
            }
        }
        (sent, failed)
    }
}

/// Break `text` into lines of at most `width` characters at spaces (a longer word stays whole), as
/// plain-text mail expects.
pub fn wrap(text: &str, width: usize) -> String {
    let mut out = String::new();
    let mut line = 0;
    for word in text.split(' ') {
        let len = word.chars().count();
        if line > 0 && line + 1 + len > width {
            out.push('\n');
            line = 0;
        } else if line > 0 {
            out.push(' ');
            line += 1;
        }
        out.push_str(word);
        line += len;
    }
    out
}

/// When the next delivery pass may be useful: now if something was queued, else in 30 s.
pub async fn wait_for_mail(portal: &Portal) {
    let _ = tokio::time::timeout(std::time::Duration::from_secs(30), portal.mail_waiting.notified()).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn back_off_doubles_up_to_six_hours() {
        assert_eq!(backoff(1), Duration::minutes(2));
        assert_eq!(backoff(0), Duration::minutes(1));
        assert_eq!(backoff(5), Duration::minutes(32));
        assert_eq!(backoff(12), Duration::minutes(360));
    }

    #[test]
    fn mail_text_is_wrapped_at_spaces() {
        assert_eq!(wrap("aaa bbb ccc", 7), "aaa bbb\nccc");
        assert_eq!(wrap("a verylongword b", 4), "a\nverylongword\nb");
        assert!(wrap(&"word ".repeat(100), 72).lines().all(|l| l.len() <= 72));
    }

    #[test]
    fn addresses_and_smtp_settings_are_checked() {
        assert_eq!(check_address(" alice@example.com ").unwrap(), "alice@example.com");
        assert!(check_address("alice").is_err());
        assert!(check_smtp("smtps://mail.example.com:465", "kd@example.com").is_ok());
        assert!(check_smtp("http://x", "kd@example.com").unwrap_err().contains("smtp://"));
    }
}
