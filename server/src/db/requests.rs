//! Four-eyes help-desk requests. Deciding is one conditional UPDATE (`state = 'pending'` and not
//! expired), so of two approvers clicking at once exactly one wins, on every instance and database.

use super::accounts::from_ts;
use super::{Db, DbError};
use sqlx::Row;
use time::OffsetDateTime;

/// One request as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestRow {
    pub id: String,
    pub action: String,
    pub target_user: String,
    pub subject: Option<String>,
    pub reason: String,
    pub ticket: Option<String>,
    pub requested_by: String,
    pub requested_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
    pub state: String,
    pub decided_by: Option<String>,
    pub decided_at: Option<OffsetDateTime>,
    pub outcome: Option<String>,
}

const COLUMNS: &str =
    "id, action, target_user, subject, reason, ticket, requested_by, requested_at, expires_at, state, decided_by, decided_at, outcome";

fn row(r: &sqlx::any::AnyRow) -> Result<RequestRow, DbError> {
    Ok(RequestRow {
        id: r.try_get("id")?,
        action: r.try_get("action")?,
        target_user: r.try_get("target_user")?,
        subject: r.try_get("subject")?,
        reason: r.try_get("reason")?,
        ticket: r.try_get("ticket")?,
        requested_by: r.try_get("requested_by")?,
        requested_at: from_ts(r.try_get("requested_at")?),
        expires_at: from_ts(r.try_get("expires_at")?),
        state: r.try_get("state")?,
        decided_by: r.try_get("decided_by")?,
        decided_at: r.try_get::<Option<i64>, _>("decided_at")?.map(from_ts),
        outcome: r.try_get("outcome")?,
    })
}

impl Db {
    pub async fn insert_request(&self, r: &RequestRow) -> Result<(), DbError> {
        sqlx::query(&format!(
            "INSERT INTO helpdesk_requests ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, NULL, NULL, NULL)"
        ))
        .bind(&r.id)
        .bind(&r.action)
        .bind(&r.target_user)
        .bind(&r.subject)
        .bind(&r.reason)
        .bind(&r.ticket)
        .bind(&r.requested_by)
        .bind(r.requested_at.unix_timestamp())
        .bind(r.expires_at.unix_timestamp())
        .bind(&r.state)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn request(&self, id: &str) -> Result<Option<RequestRow>, DbError> {
        let r = sqlx::query(&format!("SELECT {COLUMNS} FROM helpdesk_requests WHERE id = $1")).bind(id).fetch_optional(&self.pool).await?;
        r.as_ref().map(row).transpose()
    }

    /// Pending requests first (oldest first), then the latest `recent` others.
    pub async fn requests(&self, recent: i64) -> Result<Vec<RequestRow>, DbError> {
        let pending = sqlx::query(&format!("SELECT {COLUMNS} FROM helpdesk_requests WHERE state = 'pending' ORDER BY requested_at, id"))
            .fetch_all(&self.pool)
            .await?;
        let decided = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM helpdesk_requests WHERE state <> 'pending' ORDER BY requested_at DESC, id LIMIT $1"
        ))
        .bind(recent)
        .fetch_all(&self.pool)
        .await?;
        pending.iter().chain(decided.iter()).map(row).collect()
    }

    /// Pending requests whose time ran out at `now`, marked `lapsed` (each returned once, to audit it).
    pub async fn lapse_requests(&self, now: OffsetDateTime) -> Result<Vec<RequestRow>, DbError> {
        let due = sqlx::query(&format!("SELECT {COLUMNS} FROM helpdesk_requests WHERE state = 'pending' AND expires_at <= $1"))
            .bind(now.unix_timestamp())
            .fetch_all(&self.pool)
            .await?;
        let mut lapsed = Vec::new();
        for r in due.iter().map(row) {
            let r = r?;
            let done = sqlx::query("UPDATE helpdesk_requests SET state = 'lapsed', decided_at = $1 WHERE id = $2 AND state = 'pending'")
                .bind(now.unix_timestamp())
                .bind(&r.id)
                .execute(&self.pool)
                .await?;
            if done.rows_affected() == 1 {
                lapsed.push(r);
            }
        }
        Ok(lapsed)
    }

    /// Move a pending, unexpired request to `to` (decided by `by` at `now`). True for exactly one caller.
    pub async fn claim_request(&self, id: &str, to: &str, by: &str, now: OffsetDateTime) -> Result<bool, DbError> {
        let done = sqlx::query(
            "UPDATE helpdesk_requests SET state = $1, decided_by = $2, decided_at = $3
             WHERE id = $4 AND state = 'pending' AND expires_at > $3",
        )
        .bind(to)
        .bind(by)
        .bind(now.unix_timestamp())
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Record how the execution of a claimed request ended (`done` or `failed`).
    pub async fn finish_request(&self, id: &str, state: &str, outcome: &str) -> Result<(), DbError> {
        sqlx::query("UPDATE helpdesk_requests SET state = $1, outcome = $2 WHERE id = $3")
            .bind(state)
            .bind(outcome)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
