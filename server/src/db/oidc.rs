//! Sign-in attempts through the identity provider (the state's hash and the nonce, kept server-side for
//! ten minutes at most; the PKCE verifier is never stored) and the accounts bound to an (issuer,
//! subject) pair.

use super::accounts::{ts, AccountRow};
use super::{Db, DbError};
use app::domain::{IamUserName, PortalUserName, Role};
use sqlx::Row;
use time::OffsetDateTime;

/// The password hash of an account made through the identity provider: not a PHC string, so it never
/// verifies (auth/password.rs), whatever is typed into the local sign-in form.
pub const NO_LOCAL_PASSWORD: &str = "!identity-provider";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    SignIn,
    StepUp,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Purpose::SignIn => "sign_in",
            Purpose::StepUp => "step_up",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        match s {
            "sign_in" => Some(Purpose::SignIn),
            "step_up" => Some(Purpose::StepUp),
            _ => None,
        }
    }

    /// The audit action of a failure at this point.
    pub fn audit_action(self) -> &'static str {
        match self {
            Purpose::SignIn => "portal.sign_in",
            Purpose::StepUp => "portal.reauth",
        }
    }
}

/// One attempt.
#[derive(Clone)]
pub struct AttemptRow {
    /// SHA-256 of the attempt id in the browser's cookie.
    pub id_hash: String,
    /// SHA-256 of the `state` sent to the provider.
    pub state_hash: String,
    pub nonce: String,
    pub purpose: Purpose,
    pub return_to: String,
    /// A step-up: the account that asked for it.
    pub started_by: Option<String>,
    pub started_at: i64,
    /// After the callback: what it established (JSON, no token).
    pub result: Option<String>,
}

impl std::fmt::Debug for AttemptRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AttemptRow").field("purpose", &self.purpose).field("started_at", &self.started_at).finish_non_exhaustive()
    }
}

const ATTEMPT_COLUMNS: &str = "id_hash, state_hash, nonce, purpose, return_to, started_by, started_at, result";

fn row_to_attempt(r: &sqlx::any::AnyRow) -> Result<AttemptRow, DbError> {
    let purpose: String = r.try_get("purpose")?;
    Ok(AttemptRow {
        id_hash: r.try_get("id_hash")?,
        state_hash: r.try_get("state_hash")?,
        nonce: r.try_get("nonce")?,
        purpose: Purpose::parse(&purpose).ok_or_else(|| DbError::Query(sqlx::Error::Decode("corrupt oidc_attempts purpose".into())))?,
        return_to: r.try_get("return_to")?,
        started_by: r.try_get("started_by")?,
        started_at: r.try_get("started_at")?,
        result: r.try_get("result")?,
    })
}

impl Db {
    pub async fn insert_oidc_attempt(&self, a: &AttemptRow) -> Result<(), DbError> {
        sqlx::query(&format!("INSERT INTO oidc_attempts ({ATTEMPT_COLUMNS}, stage) VALUES ($1, $2, $3, $4, $5, $6, $7, NULL, 'pending')"))
            .bind(&a.id_hash)
            .bind(&a.state_hash)
            .bind(&a.nonce)
            .bind(a.purpose.as_str())
            .bind(&a.return_to)
            .bind(a.started_by.as_deref())
            .bind(a.started_at)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The attempt `id_hash` if it awaits its callback and started after `since`.
    pub async fn pending_oidc_attempt(&self, id_hash: &str, since: i64) -> Result<Option<AttemptRow>, DbError> {
        let row = sqlx::query(&format!(
            "SELECT {ATTEMPT_COLUMNS} FROM oidc_attempts WHERE id_hash = $1 AND stage = 'pending' AND started_at >= $2"
        ))
        .bind(id_hash)
        .bind(since)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(row_to_attempt).transpose()
    }

    /// Claim a pending attempt for its one callback; `false` when it was claimed already, by another
    /// request or another instance.
    pub async fn claim_oidc_attempt(&self, id_hash: &str) -> Result<bool, DbError> {
        let res = sqlx::query("UPDATE oidc_attempts SET stage = 'claimed' WHERE id_hash = $1 AND stage = 'pending'")
            .bind(id_hash)
            .execute(&self.pool)
            .await?;
        Ok(res.rows_affected() == 1)
    }

    /// Record what the callback established.
    pub async fn complete_oidc_attempt(&self, id_hash: &str, result: &str) -> Result<(), DbError> {
        sqlx::query("UPDATE oidc_attempts SET stage = 'done', result = $1 WHERE id_hash = $2 AND stage = 'claimed'")
            .bind(result)
            .bind(id_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Take (and delete) a completed attempt started after `since`: it is applied once.
    pub async fn take_finished_oidc_attempt(&self, id_hash: &str, since: i64) -> Result<Option<AttemptRow>, DbError> {
        let row = sqlx::query(&format!(
            "DELETE FROM oidc_attempts WHERE id_hash = $1 AND stage = 'done' AND started_at >= $2 RETURNING {ATTEMPT_COLUMNS}"
        ))
        .bind(id_hash)
        .bind(since)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(row_to_attempt).transpose()
    }

    /// Forget attempts started before `before` (finished or not).
    pub async fn purge_oidc_attempts(&self, before: i64) -> Result<u64, DbError> {
        Ok(sqlx::query("DELETE FROM oidc_attempts WHERE started_at < $1").bind(before).execute(&self.pool).await?.rows_affected())
    }

    /// The account bound to (issuer, subject).
    pub async fn find_idp_account(&self, issuer: &str, subject: &str) -> Result<Option<AccountRow>, DbError> {
        let name: Option<String> = sqlx::query_scalar("SELECT username FROM portal_accounts WHERE oidc_issuer = $1 AND oidc_subject = $2")
            .bind(issuer)
            .bind(subject)
            .fetch_optional(&self.pool)
            .await?;
        match name.map(|n| PortalUserName::parse(&n)) {
            Some(Ok(user)) => self.find_account(&user).await,
            Some(Err(_)) => Err(DbError::Query(sqlx::Error::Decode("corrupt portal_accounts username".into()))),
            None => Ok(None),
        }
    }

    /// Create an account bound to (issuer, subject); `Ok(false)` when its name is taken.
    pub async fn insert_idp_account(&self, a: &AccountRow, issuer: &str, subject: &str, now: OffsetDateTime) -> Result<bool, DbError> {
        let res = sqlx::query(
            "INSERT INTO portal_accounts (username, display_name, password_hash, role, iam_user, disabled, created_at, updated_at, oidc_issuer, oidc_subject)
             VALUES ($1, $2, $3, $4, $5, 0, $6, $6, $7, $8) ON CONFLICT DO NOTHING",
        )
        .bind(a.user.as_str())
        .bind(&a.display_name)
        .bind(&a.password_hash)
        .bind(a.role.as_str())
        .bind(a.iam_user.as_str())
        .bind(ts(now))
        .bind(issuer)
        .bind(subject)
        .execute(&self.pool)
        .await?;
        Ok(res.rows_affected() == 1)
    }

    /// What the provider says at a sign-in: role, name, IAM user.
    pub async fn update_idp_account(
        &self,
        user: &PortalUserName,
        role: Role,
        display_name: &str,
        iam_user: &IamUserName,
        now: OffsetDateTime,
    ) -> Result<(), DbError> {
        sqlx::query("UPDATE portal_accounts SET role = $1, display_name = $2, iam_user = $3, updated_at = $4 WHERE username = $5")
            .bind(role.as_str())
            .bind(display_name)
            .bind(iam_user.as_str())
            .bind(ts(now))
            .bind(user.as_str())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Remember a back-channel logout token's `jti` (hashed) until `expires_at`; `false` when it was
    /// seen already (a replay).
    pub async fn remember_logout_token(&self, jti_hash: &str, expires_at: i64) -> Result<bool, DbError> {
        let res = sqlx::query("INSERT INTO oidc_logout_tokens (jti_hash, expires_at) VALUES ($1, $2) ON CONFLICT (jti_hash) DO NOTHING")
            .bind(jti_hash)
            .bind(expires_at)
            .execute(&self.pool)
            .await?;
        Ok(res.rows_affected() == 1)
    }

    /// Forget logout tokens whose time is up.
    pub async fn purge_logout_tokens(&self, now: i64) -> Result<u64, DbError> {
        Ok(sqlx::query("DELETE FROM oidc_logout_tokens WHERE expires_at < $1").bind(now).execute(&self.pool).await?.rows_affected())
    }
}
