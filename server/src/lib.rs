//! keydesk's server: configuration, the portal (our rules), the IAM backends, the database, the router.
//! `main.rs` is a thin CLI around [`start`]; tests build the same state and drive [`http::router`].

pub mod audit;
pub mod auth;
pub mod check;
pub mod clock;
pub mod config;
pub mod db;
pub mod demo;
pub mod holds;
pub mod http;
pub mod iam;
pub mod jobs;
pub mod ldap;
pub mod metrics;
pub mod notices;
pub mod oidc;
pub mod portal;
pub mod telemetry;
mod temp_passwords;
pub mod url_errors;

use crate::auth::password::Hasher;
use crate::clock::SharedClock;
use crate::config::{BackendChoice, Config};
use crate::db::{Db, Schema};
use crate::iam::aws::{AwsIam, AwsSettings};
use crate::iam::embedded::EmbeddedIam;
use crate::iam::IamBackend;
use crate::portal::Portal;
use std::sync::Arc;

/// Everything a running keydesk needs, built from validated configuration.
pub async fn build_portal(config: Config, clock: SharedClock) -> anyhow::Result<Arc<Portal>> {
    let s = &config.settings;
    let (iam, embedded): (Arc<dyn IamBackend>, Option<Arc<EmbeddedIam>>) = match s.iam_backend {
        BackendChoice::Embedded => {
            let iam_db = Db::connect_schema(&s.embedded_iam_database_url, s.db_max_connections, Schema::EmbeddedIam)
                .await
                .map_err(|e| anyhow::anyhow!("--embedded-iam-database-url: {e}"))?;
            let e = Arc::new(EmbeddedIam::new(iam_db, clock.clone()));
            (e.clone(), Some(e))
        }
        BackendChoice::Aws => {
            let aws = AwsIam::from_env(aws_settings(s), clock.clone()).await.map_err(|e| anyhow::anyhow!(e))?;
            aws.check().await.map_err(|e| anyhow::anyhow!(e))?;
            (Arc::new(aws), None)
        }
    };
    build_portal_with(config, clock, iam, embedded).await
}

/// Build the portal around an IAM backend chosen by the caller (tests use this to inject one).
/// How many argon2 hashes run at once on `cores` cores: all but one, so that a burst of sign-ins
/// leaves a core to render pages. Two per core (the rule before) kept every core hashing during a
/// sign-in burst: the load bench's page p99 at 4 connections went from 11.4 ms to 70.1 ms (6.2×).
pub fn hash_permits(cores: usize) -> usize {
    cores.saturating_sub(1).max(1)
}

pub async fn build_portal_with(
    config: Config,
    clock: SharedClock,
    iam: Arc<dyn IamBackend>,
    embedded: Option<Arc<EmbeddedIam>>,
) -> anyhow::Result<Arc<Portal>> {
    let s = &config.settings;
    let db = Db::connect(&s.database_url, s.db_max_connections).await?;
    let hasher = Hasher::new(hash_permits(std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2)))?;
    let backend = iam.kind();
    // Every IAM call the portal makes is counted and timed, whichever backend answers it.
    let iam: Arc<dyn IamBackend> = Arc::new(crate::iam::metered::Metered(iam));
    let mailer = match (&s.smtp_url, &s.smtp_from) {
        (Some(url), Some(from)) => Some(crate::notices::Mailer::from_config(url, from).map_err(|e| anyhow::anyhow!(e))?),
        _ => None,
    };
    let oidc = match config.oidc.clone() {
        Some(cfg) => Some(Arc::new(crate::oidc::Oidc::new(cfg).map_err(|e| anyhow::anyhow!(e))?)),
        None => None,
    };
    let directory = match config.ldap.clone() {
        Some(cfg) => Some(Arc::new(crate::ldap::Directory::new(cfg).map_err(|e| anyhow::anyhow!(e))?)),
        None => None,
    };
    Ok(Arc::new(Portal {
        db,
        clock,
        hasher,
        config: Arc::new(config),
        backend,
        iam,
        embedded,
        review: Default::default(),
        groups: Default::default(),
        mailer,
        mail_waiting: Default::default(),
        oidc,
        directory,
    }))
}

/// The AWS backend's settings, from validated configuration.
pub fn aws_settings(s: &config::Settings) -> AwsSettings {
    AwsSettings {
        region: s.aws_region.clone(),
        user_role_arn: s.aws_user_role_arn.clone().unwrap_or_default(),
        helpdesk_role_arn: s.aws_helpdesk_role_arn.clone().unwrap_or_default(),
        admin_role_arn: s.aws_admin_role_arn.clone().unwrap_or_default(),
        iam_endpoint: s.iam_endpoint.clone(),
        sts_endpoint: s.sts_endpoint.clone(),
        session_seconds: s.aws_session_seconds,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn sign_ins_leave_a_core_to_pages() {
        assert_eq!([1, 2, 4, 8].map(super::hash_permits), [1, 1, 3, 7]);
    }
}
