//! Portal accounts: who may sign in, with which role, acting for which IAM user. Holds an argon2id PHC
//! hash, never a password; nothing here is an IAM secret.

use super::{Db, DbError};
use app::domain::{IamUserName, PortalUserName, Role};
use sqlx::Row;
use time::OffsetDateTime;

#[derive(Clone)]
pub struct AccountRow {
    pub user: PortalUserName,
    pub display_name: String,
    pub password_hash: String,
    pub role: Role,
    pub iam_user: IamUserName,
    pub disabled: bool,
    pub created_at: OffsetDateTime,
    pub last_sign_in_at: Option<OffsetDateTime>,
}

// The hash is not a secret in the IAM sense, but it has no business in logs either.
impl std::fmt::Debug for AccountRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccountRow")
            .field("user", &self.user)
            .field("role", &self.role)
            .field("iam_user", &self.iam_user)
            .field("disabled", &self.disabled)
            .finish_non_exhaustive()
    }
}

pub(crate) fn ts(t: OffsetDateTime) -> i64 {
    t.unix_timestamp()
}

pub(crate) fn from_ts(s: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(s).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

fn corrupt(what: &str) -> DbError {
    DbError::Query(sqlx::Error::Decode(format!("corrupt portal_accounts row: {what}").into()))
}

fn row_to_account(r: &sqlx::any::AnyRow) -> Result<AccountRow, DbError> {
    let user: String = r.try_get("username")?;
    let role: String = r.try_get("role")?;
    let iam: String = r.try_get("iam_user")?;
    Ok(AccountRow {
        user: PortalUserName::parse(&user).map_err(|_| corrupt("username"))?,
        display_name: r.try_get("display_name")?,
        password_hash: r.try_get("password_hash")?,
        role: Role::parse(&role).ok_or_else(|| corrupt("role"))?,
        iam_user: IamUserName::parse(&iam).map_err(|_| corrupt("iam_user"))?,
        disabled: r.try_get::<i64, _>("disabled")? != 0,
        created_at: from_ts(r.try_get("created_at")?),
        last_sign_in_at: r.try_get::<Option<i64>, _>("last_sign_in_at")?.map(from_ts),
    })
}

const COLUMNS: &str = "username, display_name, password_hash, role, iam_user, disabled, created_at, last_sign_in_at";

impl Db {
    pub async fn find_account(&self, user: &PortalUserName) -> Result<Option<AccountRow>, DbError> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM portal_accounts WHERE username = $1"))
            .bind(user.as_str())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(row_to_account).transpose()
    }

    pub async fn list_accounts(&self) -> Result<Vec<AccountRow>, DbError> {
        let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM portal_accounts ORDER BY username")).fetch_all(&self.pool).await?;
        rows.iter().map(row_to_account).collect()
    }

    /// The portal accounts acting for IAM user `fold` (its lower-case name), by name.
    pub async fn accounts_acting_for(&self, fold: &str) -> Result<Vec<PortalUserName>, DbError> {
        let names: Vec<String> = sqlx::query_scalar("SELECT username FROM portal_accounts WHERE lower(iam_user) = $1 ORDER BY username")
            .bind(fold)
            .fetch_all(&self.pool)
            .await?;
        names.iter().map(|n| PortalUserName::parse(n).map_err(|_| corrupt("username"))).collect()
    }

    /// Insert a new account; `Ok(false)` when the name is taken.
    pub async fn insert_account(&self, a: &AccountRow, now: OffsetDateTime) -> Result<bool, DbError> {
        let res = sqlx::query(
            "INSERT INTO portal_accounts (username, display_name, password_hash, role, iam_user, disabled, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7) ON CONFLICT (username) DO NOTHING",
        )
        .bind(a.user.as_str())
        .bind(&a.display_name)
        .bind(&a.password_hash)
        .bind(a.role.as_str())
        .bind(a.iam_user.as_str())
        .bind(i64::from(a.disabled))
        .bind(ts(now))
        .execute(&self.pool)
        .await?;
        Ok(res.rows_affected() == 1)
    }

    /// Replace the password hash; `Ok(false)` when there is no such account.
    pub async fn set_password_hash(&self, user: &PortalUserName, hash: &str, now: OffsetDateTime) -> Result<bool, DbError> {
        let res = sqlx::query("UPDATE portal_accounts SET password_hash = $1, updated_at = $2 WHERE username = $3")
            .bind(hash)
            .bind(ts(now))
            .bind(user.as_str())
            .execute(&self.pool)
            .await?;
        Ok(res.rows_affected() == 1)
    }

    pub async fn set_disabled(&self, user: &PortalUserName, disabled: bool, now: OffsetDateTime) -> Result<bool, DbError> {
        let res = sqlx::query("UPDATE portal_accounts SET disabled = $1, updated_at = $2 WHERE username = $3")
            .bind(i64::from(disabled))
            .bind(ts(now))
            .bind(user.as_str())
            .execute(&self.pool)
            .await?;
        Ok(res.rows_affected() == 1)
    }

    pub async fn touch_sign_in(&self, user: &PortalUserName, now: OffsetDateTime) -> Result<(), DbError> {
        sqlx::query("UPDATE portal_accounts SET last_sign_in_at = $1 WHERE username = $2")
            .bind(ts(now))
            .bind(user.as_str())
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
