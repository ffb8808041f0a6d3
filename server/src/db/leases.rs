//! Per-IAM-user leases in the portal database: at most one holder per IAM user at a time, on SQLite and
//! PostgreSQL alike, across instances. Leases expire, so a crashed holder cannot block a user for ever.

use super::{Db, DbError};
use std::time::Duration;

/// How long a lease lasts if its holder never releases it: longer than any request can run (the
/// 60 s request timeout plus the final audit write's ~8 s of retries), so a slow change still holding
/// it is never overtaken by another; a crashed holder blocks its user for at most this long.
pub const LEASE_SECONDS: i64 = 75;

impl Db {
    /// Try to take the lease on `user` for `holder`; `Ok(false)` when someone else holds it.
    pub async fn try_lease(&self, user: &str, holder: &str, now: i64) -> Result<bool, DbError> {
        self.try_lease_for(user, holder, now, LEASE_SECONDS).await
    }

    /// [`Db::try_lease`] for `seconds` (background jobs hold theirs longer; their keys, `job:<name>`,
    /// cannot be IAM user names, which have no colon).
    pub async fn try_lease_for(&self, user: &str, holder: &str, now: i64, seconds: i64) -> Result<bool, DbError> {
        let res = sqlx::query(
            "INSERT INTO iam_user_leases (iam_user, holder, expires_at) VALUES ($1, $2, $3)
             ON CONFLICT (iam_user) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
             WHERE iam_user_leases.expires_at < $4",
        )
        .bind(user)
        .bind(holder)
        .bind(now + seconds)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(res.rows_affected() == 1)
    }

    /// Release a lease this holder owns (a no-op otherwise).
    pub async fn release_lease(&self, user: &str, holder: &str) -> Result<(), DbError> {
        sqlx::query("DELETE FROM iam_user_leases WHERE iam_user = $1 AND holder = $2").bind(user).bind(holder).execute(&self.pool).await?;
        Ok(())
    }

    /// Wait (polling with a short back-off, wall-clock bounded by `patience`) for the lease on `user`.
    pub async fn lease(&self, user: &str, holder: &str, now: impl Fn() -> i64, patience: Duration) -> Result<bool, DbError> {
        let deadline = tokio::time::Instant::now() + patience;
        let mut pause = Duration::from_millis(5);
        loop {
            if self.try_lease(user, holder, now()).await? {
                return Ok(true);
            }
            if tokio::time::Instant::now() >= deadline {
                return Ok(false);
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_millis(50));
        }
    }
}
