//! keydesk's server: configuration, the portal (our rules), the IAM backends, the database, the router.
//! `main.rs` is a thin CLI around [`start`]; tests build the same state and drive [`http::router`].

pub mod audit;
pub mod auth;
pub mod clock;
pub mod config;
pub mod db;
pub mod demo;
pub mod http;
pub mod iam;
pub mod portal;
pub mod telemetry;

use crate::auth::password::Hasher;
use crate::clock::SharedClock;
use crate::config::{BackendChoice, Config};
use crate::db::Db;
use crate::portal::Portal;
use app::domain::BackendKind;
use std::sync::Arc;

/// Everything a running keydesk needs, built from validated configuration.
pub async fn build_portal(config: Config, clock: SharedClock) -> anyhow::Result<Arc<Portal>> {
    let s = &config.settings;
    let db = Db::connect(&s.database_url, s.db_max_connections).await?;
    // Two concurrent argon2 hashes per core: enough to keep sign-in fast, bounded so a burst of
    // sign-ins cannot starve page rendering.
    let permits = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2) * 2;
    let hasher = Hasher::new(permits)?;
    let backend = match s.iam_backend {
        BackendChoice::Embedded => BackendKind::Embedded,
        BackendChoice::Aws => BackendKind::Aws,
    };
    Ok(Arc::new(Portal { db, clock, hasher, config: Arc::new(config), backend }))
}
