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
    respond(port()?.list_portal_accounts(&principal()?).await)
}
