//! The ledger of temporary credentials keydesk issued (migrations `*_temporary_sessions.sql`): each
//! session by its access key id, whose it is and of which role, when it ends. Never a secret or token.

use super::{Db, DbError};
use time::OffsetDateTime;

/// One issued session.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct TemporarySessionRow {
    pub access_key_id: String,
    pub portal_user: String,
    pub role_id: String,
    pub role_arn: String,
    pub role_name: String,
    pub issued_at: i64,
    pub expires_at: i64,
}

/// How many sessions one person got of one role since a time, and the last one.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct IssuanceCountRow {
    pub role_id: String,
    pub role_name: String,
    pub portal_user: String,
    pub issued: i64,
    pub last_at: i64,
}

/// How long a row stays after its session expired: CloudTrail's event history.
pub const KEEP_AFTER_EXPIRY_SECS: i64 = 90 * 86_400;

impl Db {
    pub async fn record_temporary_session(&self, row: &TemporarySessionRow) -> Result<(), DbError> {
        sqlx::query(
            "INSERT INTO temporary_sessions (access_key_id, portal_user, role_id, role_arn, role_name, issued_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&row.access_key_id)
        .bind(&row.portal_user)
        .bind(&row.role_id)
        .bind(&row.role_arn)
        .bind(&row.role_name)
        .bind(row.issued_at)
        .bind(row.expires_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// `user`'s sessions that have not expired at `now`, newest first.
    pub async fn live_temporary_sessions(&self, user: &str, now: OffsetDateTime) -> Result<Vec<TemporarySessionRow>, DbError> {
        Ok(sqlx::query_as(
            "SELECT access_key_id, portal_user, role_id, role_arn, role_name, issued_at, expires_at FROM temporary_sessions
             WHERE portal_user = $1 AND expires_at > $2 ORDER BY issued_at DESC, expires_at DESC, access_key_id LIMIT 50",
        )
        .bind(user)
        .bind(now.unix_timestamp())
        .fetch_all(&self.pool)
        .await?)
    }

    /// `user`'s sessions issued since `since`, newest first.
    pub async fn recent_temporary_sessions(&self, user: &str, since: OffsetDateTime) -> Result<Vec<TemporarySessionRow>, DbError> {
        Ok(sqlx::query_as(
            "SELECT access_key_id, portal_user, role_id, role_arn, role_name, issued_at, expires_at FROM temporary_sessions
             WHERE portal_user = $1 AND issued_at >= $2 ORDER BY issued_at DESC, expires_at DESC, access_key_id LIMIT 200",
        )
        .bind(user)
        .bind(since.unix_timestamp())
        .fetch_all(&self.pool)
        .await?)
    }

    /// The session whose access key id is `id`, if keydesk issued it.
    pub async fn temporary_session(&self, id: &str) -> Result<Option<TemporarySessionRow>, DbError> {
        Ok(sqlx::query_as(
            "SELECT access_key_id, portal_user, role_id, role_arn, role_name, issued_at, expires_at FROM temporary_sessions
             WHERE access_key_id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Issuances per role and person since `since`, the most first.
    pub async fn issuance_counts(&self, since: OffsetDateTime) -> Result<Vec<IssuanceCountRow>, DbError> {
        Ok(sqlx::query_as(
            "SELECT role_id, MAX(role_name) AS role_name, portal_user, COUNT(*) AS issued, MAX(issued_at) AS last_at
             FROM temporary_sessions WHERE issued_at >= $1
             GROUP BY role_id, portal_user ORDER BY issued DESC, role_id, portal_user LIMIT 500",
        )
        .bind(since.unix_timestamp())
        .fetch_all(&self.pool)
        .await?)
    }

    /// Drop the rows of sessions that expired more than [`KEEP_AFTER_EXPIRY_SECS`] before `now`.
    pub async fn prune_temporary_sessions(&self, now: OffsetDateTime) -> Result<u64, DbError> {
        let r = sqlx::query("DELETE FROM temporary_sessions WHERE expires_at < $1")
            .bind(now.unix_timestamp() - KEEP_AFTER_EXPIRY_SECS)
            .execute(&self.pool)
            .await?;
        Ok(r.rows_affected())
    }
}
