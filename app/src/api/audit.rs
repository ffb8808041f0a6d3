//! The audit log, for administrators and the help desk: filter, page, export.

use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

pub const AUDIT_PAGE_SIZE: usize = 100;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub id: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub actor: Option<String>,
    pub actor_role: Option<String>,
    pub target_user: Option<String>,
    pub action: String,
    pub subject: Option<String>,
    pub outcome: String,
    pub reason: Option<String>,
    pub detail: Option<String>,
    /// For a change's final record: the intent recorded before IAM was called (the log shows one row
    /// per change; the intent on demand).
    #[serde(default)]
    pub intent: Option<AuditIntent>,
}

/// The intent a final audit record completes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditIntent {
    pub id: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
    pub total: usize,
    pub page: usize,
    pub pages: usize,
}

/// The page's filters, as typed (dates as `YYYY-MM-DD`, inclusive).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AuditQuery {
    pub actor: String,
    pub target: String,
    pub action: String,
    pub outcome: String,
    pub from: String,
    pub to: String,
    /// 0-based.
    pub page: usize,
}

impl AuditQuery {
    pub fn to_query_string(&self) -> String {
        let enc = crate::domain::percent_encode;
        format!(
            "actor={}&target={}&action={}&outcome={}&from={}&to={}&page={}",
            enc(&self.actor),
            enc(&self.target),
            enc(&self.action),
            enc(&self.outcome),
            enc(&self.from),
            enc(&self.to),
            self.page + 1
        )
    }
}

/// One page of the audit log (newest first). Administrators and the help desk only.
#[server(endpoint = "get_audit_log")]
pub async fn get_audit_log(
    actor: Option<String>,
    target: Option<String>,
    action: Option<String>,
    outcome: Option<String>,
    from: Option<String>,
    to: Option<String>,
    page: Option<usize>,
) -> Result<AuditPage, AppError> {
    use crate::ssr::*;
    let query = AuditQuery {
        actor: actor.unwrap_or_default(),
        target: target.unwrap_or_default(),
        action: action.unwrap_or_default(),
        outcome: outcome.unwrap_or_default(),
        from: from.unwrap_or_default(),
        to: to.unwrap_or_default(),
        page: page.unwrap_or(0),
    };
    page_read(format!("audit_log?{query:?}"), |port, cx| async move { port.audit_log(&cx, &query).await }).await
}

/// What the server does for these functions: The audit log. Implemented by the server's portal
/// (`server/src/portal/`), reached through [`crate::api::port`].
#[cfg(feature = "ssr")]
pub use port::AuditPort;

#[cfg(feature = "ssr")]
mod port {
    use crate::error::AppError;
    use crate::ssr::Ctx;

    #[async_trait::async_trait]
    pub trait AuditPort: Send + Sync {
        /// The audit log (administrators and the help desk), one page.
        async fn audit_log(&self, cx: &Ctx, query: &crate::api::audit::AuditQuery) -> Result<crate::api::audit::AuditPage, AppError>;

        /// Every matching audit event as CSV (file name, body).
        async fn audit_csv(&self, cx: &Ctx, query: &crate::api::audit::AuditQuery) -> Result<(String, String), AppError>;
    }
}
