//! A tower-sessions store over the portal database (SQLite or PostgreSQL), so sessions survive restarts
//! and are shared by every instance. A deleted row is a dead session: a replayed cookie finds nothing,
//! and no later save brings it back (saves only update).

use crate::db::Db;
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
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

/// The sign-in mark of a record (see `SessionAuth::mark`), kept in its own column so the statement that
/// loads the session can count the person's unread notices.
fn mark(record: &Record) -> Option<String> {
    record.data.get(super::SESSION_KEY)?.get("mark")?.as_str().map(str::to_owned)
}

/// The record key under which [`DbSessionStore::load`] puts what it read in the same statement as the
/// session ([`Preloaded`]). Never stored: `create` and `save` leave it out.
pub const PRELOADED_KEY: &str = "keydesk.preloaded";

/// The portal settings every signed-in page consults, read with the session.
pub const PRELOADED_SETTINGS: [&str; 2] = [crate::portal::entitlements::SETTING, crate::portal::temporary::CATALOGUE];

/// What the statement loading a session reads with it, so a page needs no further round trip for who
/// is asking (#28): the account the row belongs to, its unread notices and [`PRELOADED_SETTINGS`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Preloaded {
    pub account: Option<PreloadedAccount>,
    /// The sign-in mark the unread count was taken for (the row's, which the session data repeats).
    pub mark: String,
    /// Unread notices of the account's IAM user not of this sign-in's doing.
    pub unread: i64,
    /// Each of [`PRELOADED_SETTINGS`] with its stored document (`None`: never saved).
    pub settings: Vec<(String, Option<String>)>,
}

/// The account columns a request needs (not the password hash).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PreloadedAccount {
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub iam_user: String,
    pub disabled: bool,
}

impl PreloadedAccount {
    /// The account's name, display name, role, IAM user and whether it is disabled; `None` when a
    /// column does not parse (the caller then reads the account itself).
    pub fn parsed(&self) -> Option<(app::domain::PortalUserName, String, app::domain::Role, app::domain::IamUserName, bool)> {
        Some((
            app::domain::PortalUserName::parse(&self.username).ok()?,
            self.display_name.clone(),
            app::domain::Role::parse(&self.role)?,
            app::domain::IamUserName::parse(&self.iam_user).ok()?,
            self.disabled,
        ))
    }
}

/// The record as stored: without [`PRELOADED_KEY`].
fn stored(record: &Record) -> Result<String> {
    let encoded = if record.data.contains_key(PRELOADED_KEY) {
        let mut kept = record.clone();
        kept.data.remove(PRELOADED_KEY);
        serde_json::to_string(&kept)
    } else {
        serde_json::to_string(record)
    };
    encoded.map_err(|e| Error::Encode(e.to_string()))
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
    /// Run `sql` (an insert or update of one row) with the record's columns bound as $1 id, $2 data
    /// (without [`PRELOADED_KEY`]), $3 expiry, $4 owner, $5 provider session, $6 mark; rows affected.
    async fn write(&self, sql: &str, record: &Record) -> Result<u64> {
        let res = sqlx::query(sql)
            .bind(record.id.to_string())
            .bind(stored(record)?)
            .bind(record.expiry_date.unix_timestamp())
            .bind(owner(record))
            .bind(idp_session(record))
            .bind(mark(record))
            .execute(&self.db.pool)
            .await
            .map_err(backend)?;
        Ok(res.rows_affected())
    }

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
            let sql = "INSERT INTO sessions (id, data, expires_at, username, idp_session, mark) VALUES ($1, $2, $3, $4, $5, $6)
                       ON CONFLICT (id) DO NOTHING";
            if self.write(sql, record).await? == 1 {
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
        let sql = "UPDATE sessions SET data = $2, expires_at = $3, username = $4, idp_session = $5, mark = $6 WHERE id = $1";
        if self.write(sql, record).await? == 0 {
            tracing::debug!("a revoked session was not written back");
        }
        Ok(())
    }

    /// The session, and in the same statement what every signed-in request needs next ([`Preloaded`],
    /// put in the record under [`PRELOADED_KEY`]).
    async fn load(&self, id: &Id) -> Result<Option<Record>> {
        let row = sqlx::query(
            "SELECT s.data, s.mark, a.username, a.display_name, a.role, a.iam_user, a.disabled,
               (SELECT COUNT(*) FROM notifications n WHERE n.iam_user = lower(a.iam_user) AND n.read_at IS NULL
                  AND (n.origin IS NULL OR n.origin <> COALESCE(s.mark, ''))) AS unread,
               (SELECT value FROM portal_settings WHERE name = $3) AS setting0,
               (SELECT value FROM portal_settings WHERE name = $4) AS setting1
             FROM sessions s LEFT JOIN portal_accounts a ON a.username = s.username
             WHERE s.id = $1 AND s.expires_at >= $2",
        )
        .bind(id.to_string())
        .bind(time::OffsetDateTime::now_utc().unix_timestamp())
        .bind(PRELOADED_SETTINGS[0])
        .bind(PRELOADED_SETTINGS[1])
        .fetch_optional(&self.db.pool)
        .await
        .map_err(backend)?;
        let Some(r) = row else { return Ok(None) };
        let data: String = r.try_get("data").map_err(backend)?;
        let mut record: Record = serde_json::from_str(&data).map_err(|e| Error::Decode(e.to_string()))?;
        let account = match r.try_get::<Option<String>, _>("username").map_err(backend)? {
            None => None,
            Some(username) => Some(PreloadedAccount {
                username,
                display_name: r.try_get("display_name").map_err(backend)?,
                role: r.try_get("role").map_err(backend)?,
                iam_user: r.try_get("iam_user").map_err(backend)?,
                disabled: r.try_get::<i64, _>("disabled").map_err(backend)? != 0,
            }),
        };
        let mut settings = Vec::with_capacity(PRELOADED_SETTINGS.len());
        for (i, name) in PRELOADED_SETTINGS.iter().enumerate() {
            settings.push(((*name).to_owned(), r.try_get::<Option<String>, _>(format!("setting{i}").as_str()).map_err(backend)?));
        }
        let preloaded = Preloaded {
            account,
            mark: r.try_get::<Option<String>, _>("mark").map_err(backend)?.unwrap_or_default(),
            unread: r.try_get("unread").map_err(backend)?,
            settings,
        };
        let value = serde_json::to_value(preloaded).map_err(|e| Error::Encode(e.to_string()))?;
        record.data.insert(PRELOADED_KEY.to_owned(), value);
        Ok(Some(record))
    }

    async fn delete(&self, id: &Id) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE id = $1").bind(id.to_string()).execute(&self.db.pool).await.map_err(backend)?;
        Ok(())
    }
}
