//! Administrator views.

use crate::domain::{IamUserName, PortalUserName, Role};
use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// A portal account as administrators see it (no hash, nothing secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortalAccountSummary {
    pub user: PortalUserName,
    pub display_name: String,
    pub role: Role,
    pub iam_user: IamUserName,
    pub disabled: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_sign_in_at: Option<OffsetDateTime>,
}

#[server(endpoint = "list_portal_accounts")]
pub async fn list_portal_accounts() -> Result<Vec<PortalAccountSummary>, AppError> {
    use crate::ssr::*;
    page_read("portal_accounts", |port, cx| async move { port.list_portal_accounts(&cx).await }).await
}

/// A sign-in with a keydesk password while the identity provider is the front door (break-glass), or an
/// attempt refused there, as every administrator sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BreakGlassUse {
    pub user: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// `false`: refused (a correct password of someone who is not an administrator).
    pub succeeded: bool,
    pub client_ip: Option<String>,
}

/// Break-glass sign-ins of the last 30 days, newest first (at most 50). Admins only.
#[server(endpoint = "list_break_glass_sign_ins")]
pub async fn list_break_glass_sign_ins() -> Result<Vec<BreakGlassUse>, AppError> {
    use crate::ssr::*;
    page_read("break_glass_sign_ins", |port, cx| async move { port.break_glass_sign_ins(&cx).await }).await
}

/// One page of the credential review, computed on the server from its cached credential report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewPage {
    #[serde(with = "time::serde::rfc3339")]
    pub generated_at: OffsetDateTime,
    pub lines: Vec<crate::domain::review::ReviewLine>,
    /// Users matching the search and filter; all users in the report.
    pub matched: usize,
    pub total: usize,
    pub page: usize,
    pub pages: usize,
    /// When the search was an access key id: who owns it and its last use.
    pub key_owner: Option<KeyOwner>,
    /// A message about the search itself (an unknown key id, say).
    pub notice: Option<String>,
    pub password_max_age: Option<u16>,
    /// How far the per-user details (key ids, MFA/SSH/Git counts) have got.
    pub details: crate::domain::review::DetailsProgress,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyOwner {
    pub key_id: String,
    pub user: IamUserName,
    pub last_used: crate::domain::KeyLastUsed,
}

/// The review table, one page of it. Admins only.
#[server(endpoint = "get_credential_review")]
pub async fn get_credential_review(
    search: Option<String>,
    filter: Option<String>,
    age: Option<String>,
    sort: Option<String>,
    desc: Option<String>,
    page: Option<String>,
) -> Result<ReviewPage, AppError> {
    use crate::ssr::*;
    let query = crate::domain::review::ReviewQuery::from_params(
        search.as_deref(),
        filter.as_deref(),
        age.as_deref(),
        sort.as_deref(),
        desc.as_deref(),
        page.as_deref(),
    );
    // The details arrive while the page renders: one answer per render (see `RenderMemo`).
    page_read(format!("credential_review?{}", query.to_query_string()), |port, cx| async move { port.credential_review(&cx, &query).await })
        .await
}

/// Ask IAM for a fresh credential report (IAM makes a new one at most every 4 hours). Admins only.
#[server(endpoint = "refresh_credential_review")]
pub async fn refresh_credential_review() -> Result<(), AppError> {
    use crate::{api::port, ssr::*};
    respond(port()?.refresh_credential_review(&ctx()?).await)
}

/// What the server does for these functions: The administrators' credential review and portal accounts. Implemented by the server's portal
/// (`server/src/portal/`), reached through [`crate::api::port`].
#[cfg(feature = "ssr")]
pub use port::AdminPort;

#[cfg(feature = "ssr")]
mod port {
    use crate::api::admin::PortalAccountSummary;
    use crate::error::AppError;
    use crate::ssr::Ctx;

    #[async_trait::async_trait]
    pub trait AdminPort: Send + Sync {
        /// One page of the credential review (administrators only).
        async fn credential_review(
            &self,
            cx: &Ctx,
            query: &crate::domain::review::ReviewQuery,
        ) -> Result<crate::api::admin::ReviewPage, AppError>;

        /// Generate the credential report again if IAM allows it, and drop the cached one.
        async fn refresh_credential_review(&self, cx: &Ctx) -> Result<(), AppError>;

        /// Portal accounts, for administrators. Fails with `Forbidden` for anyone else.
        async fn list_portal_accounts(&self, cx: &Ctx) -> Result<Vec<PortalAccountSummary>, AppError>;

        /// Break-glass sign-ins of the last 30 days, newest first (at most 50). Admins only.
        async fn break_glass_sign_ins(&self, cx: &Ctx) -> Result<Vec<super::BreakGlassUse>, AppError>;
    }
}
