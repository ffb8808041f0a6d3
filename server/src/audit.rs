//! The audit log: one append-only table (database triggers refuse UPDATE and DELETE). Records who did
//! what to whose credentials, and how it ended. Never a secret: callers pass identifiers and outcomes.

use crate::db::{accounts::ts, Db, DbError};
use time::OffsetDateTime;

#[derive(Debug, Clone, Default)]
pub struct AuditEvent {
    pub actor: Option<String>,
    pub actor_role: Option<String>,
    pub target_user: Option<String>,
    pub action: String,
    pub subject: Option<String>,
    pub outcome: String,
    pub detail: Option<String>,
    pub reason: Option<String>,
    pub request_id: Option<String>,
    pub client_ip: Option<String>,
}

impl Db {
    /// Append one event and return its id.
    pub async fn append_audit(&self, at: OffsetDateTime, e: &AuditEvent) -> Result<i64, DbError> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO audit_events (at, actor, actor_role, target_user, action, subject, outcome, detail, reason, request_id, client_ip)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
        )
        .bind(ts(at))
        .bind(e.actor.as_deref())
        .bind(e.actor_role.as_deref())
        .bind(e.target_user.as_deref())
        .bind(&e.action)
        .bind(e.subject.as_deref())
        .bind(&e.outcome)
        .bind(e.detail.as_deref())
        .bind(e.reason.as_deref())
        .bind(e.request_id.as_deref())
        .bind(e.client_ip.as_deref())
        .fetch_one(&self.pool)
        .await?;
        Ok(id)
    }
}

/// A help-desk change to someone's credentials, as that person's page shows it.
#[derive(Debug, Clone)]
pub struct HelpdeskRecord {
    pub at: OffsetDateTime,
    pub actor: String,
    pub action: String,
    pub subject: Option<String>,
    pub reason: Option<String>,
}

impl Db {
    /// Successful help-desk actions on `target` since `since`, newest first (at most `limit`).
    pub async fn helpdesk_actions_on(&self, target: &str, since: OffsetDateTime, limit: i64) -> Result<Vec<HelpdeskRecord>, DbError> {
        let rows: Vec<(i64, Option<String>, String, Option<String>, Option<String>)> = sqlx::query_as(
            "SELECT at, actor, action, subject, reason FROM audit_events
             WHERE target_user = $1 AND actor_role = 'helpdesk' AND outcome = 'success' AND at >= $2
             ORDER BY id DESC LIMIT $3",
        )
        .bind(target)
        .bind(ts(since))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(at, actor, action, subject, reason)| HelpdeskRecord {
                at: crate::db::accounts::from_ts(at),
                actor: actor.unwrap_or_default(),
                action,
                subject,
                reason,
            })
            .collect())
    }
}
