//! Storage for notices: each person's notification list, the e-mail outbox (delivery is retried with
//! back-off and never blocks a change), the one-reminder-per-key-per-stage ledger, key-deadline
//! exemptions and the e-mail address of a portal account. IAM user names are stored folded.

use super::accounts::{from_ts, ts};
use super::{Db, DbError};
use app::domain::PortalUserName;
use time::OffsetDateTime;

/// One in-portal notification.
#[derive(Debug, Clone)]
pub struct NotificationRow {
    pub id: i64,
    pub at: OffsetDateTime,
    pub kind: String,
    pub title: String,
    pub body: String,
    pub link: Option<String>,
    pub read: bool,
}

/// One e-mail in the outbox.
#[derive(Debug, Clone)]
pub struct OutboxRow {
    pub id: i64,
    pub iam_user: String,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    pub attempts: i64,
    pub next_attempt_at: i64,
}

/// The outbox at a glance, for administrators.
#[derive(Debug, Clone, Default)]
pub struct OutboxSummary {
    pub pending: i64,
    pub sent: i64,
    pub failed: i64,
    /// Undelivered messages that failed at least once: (user, recipient, attempts, last error, given up).
    pub problems: Vec<(String, String, i64, String, bool)>,
}

/// A key-deadline exemption.
#[derive(Debug, Clone)]
pub struct ExemptionRow {
    pub iam_user: String,
    pub reason: String,
    pub until: OffsetDateTime,
    pub created_by: String,
    pub created_at: OffsetDateTime,
}

/// The one rule for "unread", for the session whose mark is bound as `$2`: not marked read, and not a
/// change that session made itself. An empty mark never matches: origins are stored only when a session
/// has one. Both the list and the count use it.
macro_rules! unread {
    () => {
        "read_at IS NULL AND (origin IS NULL OR origin <> $2)"
    };
}

impl Db {
    /// Set or clear a portal account's e-mail address; false when there is no such account.
    pub async fn set_email(&self, user: &PortalUserName, email: Option<&str>) -> Result<bool, DbError> {
        let res = sqlx::query("UPDATE portal_accounts SET email = $1 WHERE username = $2")
            .bind(email)
            .bind(user.as_str())
            .execute(&self.pool)
            .await?;
        Ok(res.rows_affected() == 1)
    }

    /// The address of the portal account acting for IAM user `fold`, if it has one.
    pub async fn email_of_iam_user(&self, fold: &str) -> Result<Option<String>, DbError> {
        Ok(sqlx::query_scalar(
            "SELECT email FROM portal_accounts WHERE lower(iam_user) = $1 AND email IS NOT NULL ORDER BY username LIMIT 1",
        )
        .bind(fold)
        .fetch_optional(&self.pool)
        .await?)
    }

    pub async fn add_notification(
        &self,
        fold: &str,
        at: OffsetDateTime,
        notice: &app::domain::notices::Notice,
        origin: Option<&str>,
    ) -> Result<(), DbError> {
        sqlx::query("INSERT INTO notifications (iam_user, at, kind, title, body, link, origin) VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(fold)
            .bind(ts(at))
            .bind(notice.kind.as_str())
            .bind(&notice.title)
            .bind(&notice.body)
            .bind(notice.link.as_deref())
            .bind(origin)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The newest `limit` notifications of `fold`, newest first, as the session marked `mark` sees
    /// them: what it did itself counts as read.
    pub async fn notifications(&self, fold: &str, limit: i64, mark: Option<&str>) -> Result<Vec<NotificationRow>, DbError> {
        let rows: Vec<(i64, i64, String, String, String, Option<String>, i64)> = sqlx::query_as(concat!(
            "SELECT id, at, kind, title, body, link, CAST(CASE WHEN ",
            unread!(),
            " THEN 0 ELSE 1 END AS BIGINT) FROM notifications WHERE iam_user = $1 ORDER BY at DESC, id DESC LIMIT $3"
        ))
        .bind(fold)
        .bind(mark.unwrap_or_default())
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(id, at, kind, title, body, link, read)| NotificationRow {
                id,
                at: from_ts(at),
                kind,
                title,
                body,
                link,
                read: read == 1,
            })
            .collect())
    }

    /// How many notices the session marked `mark` has not seen: unread, and not of its own doing.
    pub async fn unread_notifications(&self, fold: &str, mark: Option<&str>) -> Result<i64, DbError> {
        Ok(sqlx::query_scalar(concat!("SELECT COUNT(*) FROM notifications WHERE iam_user = $1 AND ", unread!()))
            .bind(fold)
            .bind(mark.unwrap_or_default())
            .fetch_one(&self.pool)
            .await?)
    }

    /// Mark every notification of `fold` read.
    pub async fn mark_notifications_read(&self, fold: &str, now: OffsetDateTime) -> Result<u64, DbError> {
        let res = sqlx::query("UPDATE notifications SET read_at = $1 WHERE iam_user = $2 AND read_at IS NULL")
            .bind(ts(now))
            .bind(fold)
            .execute(&self.pool)
            .await?;
        Ok(res.rows_affected())
    }

    pub async fn enqueue_email(&self, fold: &str, recipient: &str, subject: &str, body: &str, now: OffsetDateTime) -> Result<(), DbError> {
        sqlx::query(
            "INSERT INTO email_outbox (iam_user, recipient, subject, body, created_at, next_attempt_at) VALUES ($1, $2, $3, $4, $5, $5)",
        )
        .bind(fold)
        .bind(recipient)
        .bind(subject)
        .bind(body)
        .bind(ts(now))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Undelivered messages whose next attempt is due.
    pub async fn due_emails(&self, now: OffsetDateTime, limit: i64) -> Result<Vec<OutboxRow>, DbError> {
        let rows: Vec<(i64, String, String, String, String, i64, i64)> = sqlx::query_as(
            "SELECT id, iam_user, recipient, subject, body, attempts, next_attempt_at FROM email_outbox
             WHERE sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= $1 ORDER BY next_attempt_at, id LIMIT $2",
        )
        .bind(ts(now))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(id, iam_user, recipient, subject, body, attempts, next_attempt_at)| OutboxRow {
                id,
                iam_user,
                recipient,
                subject,
                body,
                attempts,
                next_attempt_at,
            })
            .collect())
    }

    /// Claim a due message for one delivery attempt (another instance may be looking at it too): moves
    /// its next attempt to `until`; false when someone else claimed it first.
    pub async fn claim_email(&self, row: &OutboxRow, until: OffsetDateTime) -> Result<bool, DbError> {
        let res = sqlx::query("UPDATE email_outbox SET next_attempt_at = $1 WHERE id = $2 AND next_attempt_at = $3 AND sent_at IS NULL")
            .bind(ts(until))
            .bind(row.id)
            .bind(row.next_attempt_at)
            .execute(&self.pool)
            .await?;
        Ok(res.rows_affected() == 1)
    }

    pub async fn email_sent(&self, id: i64, now: OffsetDateTime) -> Result<(), DbError> {
        sqlx::query("UPDATE email_outbox SET sent_at = $1, attempts = attempts + 1, last_error = NULL WHERE id = $2")
            .bind(ts(now))
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Record a failed attempt: try again at `next`, or give up (`next` = None).
    pub async fn email_failed(&self, id: i64, error: &str, now: OffsetDateTime, next: Option<OffsetDateTime>) -> Result<(), DbError> {
        sqlx::query("UPDATE email_outbox SET attempts = attempts + 1, last_error = $1, next_attempt_at = $2, failed_at = $3 WHERE id = $4")
            .bind(error)
            .bind(ts(next.unwrap_or(now)))
            .bind(next.is_none().then(|| ts(now)))
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn outbox_summary(&self) -> Result<OutboxSummary, DbError> {
        let count = |sql: &'static str| async move { sqlx::query_scalar::<_, i64>(sql).fetch_one(&self.pool).await };
        let pending = count("SELECT COUNT(*) FROM email_outbox WHERE sent_at IS NULL AND failed_at IS NULL").await?;
        let sent = count("SELECT COUNT(*) FROM email_outbox WHERE sent_at IS NOT NULL").await?;
        let failed = count("SELECT COUNT(*) FROM email_outbox WHERE failed_at IS NOT NULL").await?;
        let rows: Vec<(String, String, i64, Option<String>, Option<i64>)> = sqlx::query_as(
            "SELECT iam_user, recipient, attempts, last_error, failed_at FROM email_outbox
             WHERE sent_at IS NULL AND last_error IS NOT NULL ORDER BY id DESC LIMIT 20",
        )
        .fetch_all(&self.pool)
        .await?;
        let problems = rows.into_iter().map(|(u, r, a, e, f)| (u, r, a, e.unwrap_or_default(), f.is_some())).collect();
        Ok(OutboxSummary { pending, sent, failed, problems })
    }

    /// Record that `stage`'s reminder for `key_id` goes out now; false when it already went out (here or
    /// on another instance): the caller then sends nothing.
    pub async fn claim_reminder(&self, key_id: &str, stage: &str, fold: &str, now: OffsetDateTime) -> Result<bool, DbError> {
        let res = sqlx::query(
            "INSERT INTO key_reminders (key_id, stage, iam_user, sent_at) VALUES ($1, $2, $3, $4) ON CONFLICT (key_id, stage) DO NOTHING",
        )
        .bind(key_id)
        .bind(stage)
        .bind(fold)
        .bind(ts(now))
        .execute(&self.pool)
        .await?;
        Ok(res.rows_affected() == 1)
    }

    /// Every reminder recorded: (key id, stage, user, sent at), oldest first.
    pub async fn reminders(&self) -> Result<Vec<(String, String, String, OffsetDateTime)>, DbError> {
        let rows: Vec<(String, String, String, i64)> =
            sqlx::query_as("SELECT key_id, stage, iam_user, sent_at FROM key_reminders ORDER BY sent_at, key_id, stage")
                .fetch_all(&self.pool)
                .await?;
        Ok(rows.into_iter().map(|(k, s, u, t)| (k, s, u, from_ts(t))).collect())
    }

    pub async fn set_exemption(
        &self,
        fold: &str,
        reason: &str,
        until: OffsetDateTime,
        by: &str,
        now: OffsetDateTime,
    ) -> Result<(), DbError> {
        sqlx::query(
            "INSERT INTO key_exemptions (iam_user, reason, until_at, created_by, created_at) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (iam_user) DO UPDATE SET reason = excluded.reason, until_at = excluded.until_at,
                 created_by = excluded.created_by, created_at = excluded.created_at",
        )
        .bind(fold)
        .bind(reason)
        .bind(ts(until))
        .bind(by)
        .bind(ts(now))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn remove_exemption(&self, fold: &str) -> Result<bool, DbError> {
        let res = sqlx::query("DELETE FROM key_exemptions WHERE iam_user = $1").bind(fold).execute(&self.pool).await?;
        Ok(res.rows_affected() == 1)
    }

    /// Exemptions that have not ended at `now`.
    pub async fn exemptions(&self, now: OffsetDateTime) -> Result<Vec<ExemptionRow>, DbError> {
        let rows: Vec<(String, String, i64, String, i64)> = sqlx::query_as(
            "SELECT iam_user, reason, until_at, created_by, created_at FROM key_exemptions WHERE until_at > $1 ORDER BY iam_user",
        )
        .bind(ts(now))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(iam_user, reason, until, created_by, created_at)| ExemptionRow {
                iam_user,
                reason,
                until: from_ts(until),
                created_by,
                created_at: from_ts(created_at),
            })
            .collect())
    }
}
