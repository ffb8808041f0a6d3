//! The portal database: one sqlx `AnyPool` over SQLite (default, WAL, busy timeout) or PostgreSQL, with
//! the migrations for the matching dialect applied at start-up. Queries use `$n` placeholders, which both
//! drivers accept, and store instants as Unix seconds (BIGINT) and flags as 0/1, the types the `Any`
//! driver maps identically on both.

pub mod accounts;
pub mod leases;
pub mod notices;
pub mod oidc;
pub mod requests;
pub mod settings;
pub mod temporary;
pub mod throttle;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, ConnectOptions, Executor};
use std::str::FromStr;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DbKind {
    Sqlite,
    Postgres,
}

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("unsupported database URL {0:?}: use sqlite://FILE or postgres://USER@HOST/DB")]
    UnsupportedUrl(String),
    #[error("cannot open the database: {0}")]
    Connect(#[source] sqlx::Error),
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("database error: {0}")]
    Query(#[from] sqlx::Error),
}

#[derive(Debug, Clone)]
pub struct Db {
    pub pool: AnyPool,
    pub kind: DbKind,
}

/// Which database a URL names, and the URL normalised for sqlx (SQLite files are created if missing).
pub fn parse_url(url: &str) -> Result<(DbKind, String), DbError> {
    if let Some(rest) = url.strip_prefix("sqlite:") {
        let path = rest.trim_start_matches("//");
        if path.is_empty() {
            return Err(DbError::UnsupportedUrl(crate::config::redact_userinfo(url)));
        }
        let normalised = if path.contains("mode=") || path.starts_with(":memory:") {
            format!("sqlite://{path}")
        } else if path.contains('?') {
            format!("sqlite://{path}&mode=rwc")
        } else {
            format!("sqlite://{path}?mode=rwc")
        };
        Ok((DbKind::Sqlite, normalised))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok((DbKind::Postgres, url.to_owned()))
    } else {
        Err(DbError::UnsupportedUrl(crate::config::redact_userinfo(url)))
    }
}

/// Which set of migrations a database gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Schema {
    /// Portal accounts, sessions, audit.
    Portal,
    /// The embedded IAM's state (kept apart so the portal's tables provably hold no IAM secret).
    EmbeddedIam,
}

impl Db {
    /// Open a pool and apply pending portal migrations. `max_connections` bounds the pool.
    pub async fn connect(url: &str, max_connections: u32) -> Result<Db, DbError> {
        Self::connect_schema(url, max_connections, Schema::Portal).await
    }

    /// Open a pool and apply the pending migrations of `schema`.
    pub async fn connect_schema(url: &str, max_connections: u32, schema: Schema) -> Result<Db, DbError> {
        let db = Self::open(url, max_connections).await?;
        db.migrate(schema).await?;
        Ok(db)
    }

    /// Open a pool and change nothing (`keydesk check`).
    pub async fn open(url: &str, max_connections: u32) -> Result<Db, DbError> {
        sqlx::any::install_default_drivers();
        let (kind, url) = parse_url(url)?;
        let options = AnyConnectOptions::from_str(&url)
            .map_err(DbError::Connect)?
            .log_statements(tracing::log::LevelFilter::Trace)
            .log_slow_statements(tracing::log::LevelFilter::Warn, Duration::from_millis(500));
        let pool = AnyPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(Duration::from_secs(5))
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if kind == DbKind::Sqlite {
                        // WAL lets readers proceed during a write; the busy timeout makes concurrent
                        // writers wait instead of failing with SQLITE_BUSY.
                        conn.execute("PRAGMA journal_mode = WAL").await?;
                        conn.execute("PRAGMA busy_timeout = 5000").await?;
                        conn.execute("PRAGMA foreign_keys = ON").await?;
                        conn.execute("PRAGMA synchronous = NORMAL").await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await
            .map_err(DbError::Connect)?;
        Ok(Db { pool, kind })
    }

    fn migrator(schema: Schema, kind: DbKind) -> sqlx::migrate::Migrator {
        match (schema, kind) {
            (Schema::Portal, DbKind::Sqlite) => sqlx::migrate!("../migrations/sqlite"),
            (Schema::Portal, DbKind::Postgres) => sqlx::migrate!("../migrations/postgres"),
            (Schema::EmbeddedIam, DbKind::Sqlite) => sqlx::migrate!("../migrations/embedded-iam/sqlite"),
            (Schema::EmbeddedIam, DbKind::Postgres) => sqlx::migrate!("../migrations/embedded-iam/postgres"),
        }
    }

    async fn migrate(&self, schema: Schema) -> Result<(), DbError> {
        Self::migrator(schema, self.kind).run(&self.pool).await?;
        Ok(())
    }

    /// How this database's migrations compare with this keydesk's, without changing anything:
    /// (applied, pending). A migration this keydesk does not know means a newer keydesk wrote the
    /// database: a downgrade, refused with what to do.
    pub async fn migration_status(&self, schema: Schema) -> Result<(usize, usize), String> {
        let known: std::collections::BTreeSet<i64> = Self::migrator(schema, self.kind).iter().map(|m| m.version).collect();
        // No table yet: a new database, every migration pending (applied at start).
        let applied: Vec<i64> = sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success = TRUE ORDER BY version")
            .fetch_all(&self.pool)
            .await
            .unwrap_or_default();
        if let Some(v) = applied.iter().find(|v| !known.contains(v)) {
            return Err(format!(
                "the database has migration {v}, which this keydesk does not have: a newer keydesk wrote it. Downgrades are refused: run that version or newer, or restore the backup taken before the upgrade"
            ));
        }
        Ok((applied.len(), known.len() - applied.len()))
    }

    /// Readiness probe: a trivial round trip.
    pub async fn ping(&self) -> Result<(), DbError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_database_urls() {
        assert_eq!(parse_url("sqlite://keydesk.db").unwrap(), (DbKind::Sqlite, "sqlite://keydesk.db?mode=rwc".into()));
        assert_eq!(parse_url("sqlite:keydesk.db").unwrap().1, "sqlite://keydesk.db?mode=rwc");
        assert_eq!(parse_url("sqlite://x.db?mode=ro").unwrap().1, "sqlite://x.db?mode=ro");
        assert_eq!(parse_url("postgres://u@h/d").unwrap().0, DbKind::Postgres);
        assert!(parse_url("mysql://x").is_err());
        assert!(parse_url("keydesk.db").is_err());
        assert!(parse_url("sqlite://").is_err());
    }
}
