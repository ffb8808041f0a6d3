//! Portal settings that administrators change at run time: one JSON document per name, read by every
//! instance on the database (no instance caches it), written with an upsert.

use super::{Db, DbError};
use time::OffsetDateTime;

impl Db {
    /// The stored document named `name`, if an administrator has saved one.
    pub async fn setting(&self, name: &str) -> Result<Option<String>, DbError> {
        Ok(sqlx::query_scalar("SELECT value FROM portal_settings WHERE name = $1").bind(name).fetch_optional(&self.pool).await?)
    }

    /// Store `value` under `name`, replacing what was there.
    pub async fn put_setting(&self, name: &str, value: &str, at: OffsetDateTime, by: &str) -> Result<(), DbError> {
        sqlx::query(
            "INSERT INTO portal_settings (name, value, updated_at, updated_by) VALUES ($1, $2, $3, $4)
             ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at, updated_by = excluded.updated_by",
        )
        .bind(name)
        .bind(value)
        .bind(at.unix_timestamp())
        .bind(by)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
