//! Key deadlines for administrators: the organisation policy (configuration, read-only here), the dry
//! run of enforcement, per-user exemptions, e-mail delivery and the last run of the reminder job.

use crate::domain::deadlines::KeyPolicy;
use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExemptionView {
    pub user: String,
    pub reason: String,
    #[serde(with = "time::serde::rfc3339")]
    pub until: OffsetDateTime,
    pub by: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OverdueKeyView {
    pub user: String,
    pub key_id: String,
    #[serde(with = "time::serde::rfc3339")]
    pub due: OffsetDateTime,
    pub days_over: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryProblem {
    pub user: String,
    pub recipient: String,
    pub attempts: i64,
    pub error: String,
    pub given_up: bool,
}

/// What one run of the reminder and enforcement job did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobView {
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub users: usize,
    pub active_keys: usize,
    pub reminders: usize,
    pub deactivated: usize,
    pub deletion_suggestions: usize,
    /// IAM users notices could reach only in the portal (no address), first 500.
    pub without_address: Vec<String>,
    /// Users whose keys could not be read in this run.
    pub errors: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadlinesView {
    pub policy: KeyPolicy,
    pub exemptions: Vec<ExemptionView>,
    pub smtp_configured: bool,
    pub emails_pending: i64,
    pub emails_sent: i64,
    pub emails_failed: i64,
    pub delivery_problems: Vec<DeliveryProblem>,
    pub last_job: Option<JobView>,
    pub job_interval_minutes: u32,
}

#[server(endpoint = "get_deadlines")]
pub async fn get_deadlines() -> Result<DeadlinesView, AppError> {
    use crate::ssr::*;
    page_read("deadlines", |port, cx| async move { port.deadlines(&cx).await }).await
}

/// The dry run: every active key enforcement would deactivate now.
#[server(endpoint = "preview_enforcement")]
pub async fn preview_enforcement() -> Result<Vec<OverdueKeyView>, AppError> {
    use crate::{api::port, ssr::*};
    respond(port()?.enforcement_preview(&ctx()?).await)
}

/// Exempt `user`'s keys from the deadline until `until` (YYYY-MM-DD, end of that day UTC), with a reason.
#[server(endpoint = "set_key_exemption")]
pub async fn set_key_exemption(user: String, reason: String, until: String) -> Result<(), AppError> {
    use crate::{api::port, ssr::*};
    respond(port()?.set_exemption(&ctx()?, &user, &reason, &until).await)
}

#[server(endpoint = "remove_key_exemption")]
pub async fn remove_key_exemption(user: String) -> Result<(), AppError> {
    use crate::{api::port, ssr::*};
    respond(port()?.remove_exemption(&ctx()?, &user).await)
}

/// What the server does for these functions: Rotation deadlines, enforcement and exemptions. Implemented by the server's portal
/// (`server/src/portal/`), reached through [`crate::api::port`].
#[cfg(feature = "ssr")]
pub use port::DeadlinesPort;

#[cfg(feature = "ssr")]
mod port {
    use crate::error::AppError;
    use crate::ssr::Ctx;

    #[async_trait::async_trait]
    pub trait DeadlinesPort: Send + Sync {
        /// The key-deadline policy, exemptions, e-mail delivery and the last job run (administrators).
        async fn deadlines(&self, cx: &Ctx) -> Result<crate::api::deadlines::DeadlinesView, AppError>;

        /// What enforcement would deactivate now (administrators).
        async fn enforcement_preview(&self, cx: &Ctx) -> Result<Vec<crate::api::deadlines::OverdueKeyView>, AppError>;

        /// Exempt an IAM user's keys from the deadline until a date (administrators, freshly authenticated).
        async fn set_exemption(&self, cx: &Ctx, user: &str, reason: &str, until: &str) -> Result<(), AppError>;

        async fn remove_exemption(&self, cx: &Ctx, user: &str) -> Result<(), AppError>;
    }
}
