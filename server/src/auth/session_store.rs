//! A tower-sessions store over the portal database (SQLite or PostgreSQL), so sessions survive restarts
//! and are shared by every instance. A deleted row is a dead session: a replayed cookie finds nothing,
//! and no later save brings it back (saves only update).

use crate::db::Db;
use async_trait::async_trait;
use sqlx::Row;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{Error, Result};
use tower_sessions::SessionStore;

#[derive(Debug, Clone)]
pub struct DbSessionStore {
    db: Db,
}

impl DbSessionStore {
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    /// Remove sessions whose expiry has passed; returns how many.
    pub async fn delete_expired(&self, now_unix: i64) -> std::result::Result<u64, sqlx::Error> {
        let res = sqlx::query("DELETE FROM sessions WHERE expires_at < $1").bind(now_unix).execute(&self.db.pool).await?;
        Ok(res.rows_affected())
    }
}

/// The portal user a session belongs to (once signed in), kept in its own column so a person's sessions
/// can be listed.
fn owner(record: &Record) -> Option<String> {
    record.data.get(super::SESSION_KEY)?.get("user")?.as_str().map(str::to_owned)
}

/// The identity provider's session a record belongs to, as stored: [`idp_session_key`].
fn idp_session(record: &Record) -> Option<String> {
    let link = record.data.get(super::SESSION_KEY)?.get("idp")?;
    Some(idp_session_key(link.get("issuer")?.as_str()?, link.get("sid")?.as_str()?))
}

/// How a provider's session (issuer, sid) is named in the session table: a hash, so the table does not
/// hold the provider's session ids.
pub fn idp_session_key(issuer: &str, sid: &str) -> String {
    crate::oidc::digest(&format!("{issuer}\n{sid}"))
}

/// A session as "My activity" lists it: an opaque handle (never the id, which is the cookie), and what
/// the session data says of its sign-in.
#[derive(Debug, Clone)]
pub struct SessionListing {
    pub handle: String,
    pub auth: super::SessionAuth,
}

/// The public handle of a session id: the first 16 hex digits of its SHA-1. Not reversible, so a page
/// listing sessions never shows another session's cookie.
pub fn handle_of(id: &str) -> String {
    use sha1::Digest;
    sha1::Sha1::digest(id.as_bytes()).iter().take(8).map(|b| format!("{b:02x}")).collect()
}

impl DbSessionStore {
    /// `user`'s live sessions.
    pub async fn sessions_of(&self, user: &str, now_unix: i64) -> std::result::Result<Vec<(String, SessionListing)>, sqlx::Error> {
        let rows: Vec<(String, String)> = sqlx::query_as("SELECT id, data FROM sessions WHERE username = $1 AND expires_at >= $2")
            .bind(user)
            .bind(now_unix)
            .fetch_all(&self.db.pool)
            .await?;
        Ok(rows
            .into_iter()
            .filter_map(|(id, data)| {
                let record: Record = serde_json::from_str(&data).ok()?;
                let auth: super::SessionAuth = serde_json::from_value(record.data.get(super::SESSION_KEY)?.clone()).ok()?;
                Some((id.clone(), SessionListing { handle: handle_of(&id), auth }))
            })
            .collect())
    }

    /// End every session of `user`; returns how many.
    /// End every keydesk session of the provider's session `key` ([`idp_session_key`]).
    pub async fn end_idp_sessions(&self, key: &str) -> std::result::Result<u64, sqlx::Error> {
        let res = sqlx::query("DELETE FROM sessions WHERE idp_session = $1").bind(key).execute(&self.db.pool).await?;
        Ok(res.rows_affected())
    }

    pub async fn end_all_sessions(&self, user: &str) -> std::result::Result<u64, sqlx::Error> {
        let res = sqlx::query("DELETE FROM sessions WHERE username = $1").bind(user).execute(&self.db.pool).await?;
        Ok(res.rows_affected())
    }

    /// End one of `user`'s sessions by id; false when it is not theirs (or already gone).
    pub async fn end_session(&self, user: &str, id: &str) -> std::result::Result<bool, sqlx::Error> {
        let res = sqlx::query("DELETE FROM sessions WHERE id = $1 AND username = $2").bind(id).bind(user).execute(&self.db.pool).await?;
        Ok(res.rows_affected() == 1)
    }
}

fn backend(e: sqlx::Error) -> Error {
    Error::Backend(e.to_string())
}

#[async_trait]
impl SessionStore for DbSessionStore {
    async fn create(&self, record: &mut Record) -> Result<()> {
        // Retry on the (astronomically unlikely) id collision instead of overwriting someone's session.
        loop {
            let data = serde_json::to_string(record).map_err(|e| Error::Encode(e.to_string()))?;
            let res =
                sqlx::query("INSERT INTO sessions (id, data, expires_at, username, idp_session) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO NOTHING")
                    .bind(record.id.to_string())
                    .bind(data)
                    .bind(record.expiry_date.unix_timestamp())
                    .bind(owner(record))
                    .bind(idp_session(record))
                    .execute(&self.db.pool)
                    .await
                    .map_err(backend)?;
            if res.rows_affected() == 1 {
                return Ok(());
            }
            record.id = Id::default();
        }
    }

    /// Update-only: a session is created only by [`SessionStore::create`] (tower-sessions calls it for a
    /// new or cycled id). A row that is gone was revoked (sign-out, "end session", a password change, the
    /// cleanup): a request that loaded the session before and finishes after must not write it back
    /// (SECURITY.md G24, review M1), so a missing row stays missing.
    async fn save(&self, record: &Record) -> Result<()> {
        let data = serde_json::to_string(record).map_err(|e| Error::Encode(e.to_string()))?;
        let res = sqlx::query("UPDATE sessions SET data = $2, expires_at = $3, username = $4, idp_session = $5 WHERE id = $1")
            .bind(record.id.to_string())
            .bind(data)
            .bind(record.expiry_date.unix_timestamp())
            .bind(owner(record))
            .bind(idp_session(record))
            .execute(&self.db.pool)
            .await
            .map_err(backend)?;
        if res.rows_affected() == 0 {
            tracing::debug!("a revoked session was not written back");
        }
        Ok(())
    }

    async fn load(&self, id: &Id) -> Result<Option<Record>> {
        let row = sqlx::query("SELECT data FROM sessions WHERE id = $1 AND expires_at >= $2")
            .bind(id.to_string())
            .bind(time::OffsetDateTime::now_utc().unix_timestamp())
            .fetch_optional(&self.db.pool)
            .await
            .map_err(backend)?;
        match row {
            None => Ok(None),
            Some(r) => {
                let data: String = r.try_get("data").map_err(backend)?;
                serde_json::from_str(&data).map(Some).map_err(|e| Error::Decode(e.to_string()))
            }
        }
    }

    async fn delete(&self, id: &Id) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE id = $1").bind(id.to_string()).execute(&self.db.pool).await.map_err(backend)?;
        Ok(())
    }
}
