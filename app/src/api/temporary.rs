//! Temporary credentials: the work roles a person may use, and a session of one, issued once.

use crate::domain::temporary::{IssuedSession, MyWorkRoles};
use crate::error::AppError;
use leptos::prelude::*;

/// The work roles the signed-in person may use (people with no IAM user included).
#[server(endpoint = "get_my_work_roles")]
pub async fn get_my_work_roles() -> Result<MyWorkRoles, AppError> {
    use crate::ssr::*;
    page_read("my_work_roles", |port, cx| async move { port.my_work_roles(&cx).await }).await
}

/// A session of the work role `role` for `duration_secs`, with a `reason` where the role asks for one.
/// Needs a recent sign-in. The answer is the only place the secret and the token ever appear.
#[server(endpoint = "issue_temporary_credentials")]
pub async fn issue_temporary_credentials(role: String, duration_secs: u32, reason: Option<String>) -> Result<IssuedSession, AppError> {
    use crate::{api::port, ssr::*};
    respond(port()?.issue_temporary_credentials(&ctx()?, &role, duration_secs, reason.as_deref()).await)
}

/// Temporary credentials issued per role and person over the last 30 days, the most first. Admins only.
#[server(endpoint = "get_temporary_issuance")]
pub async fn get_temporary_issuance() -> Result<Vec<crate::domain::temporary::IssuanceCount>, AppError> {
    use crate::ssr::*;
    page_read("temporary_issuance", |port, cx| async move { port.temporary_issuance(&cx).await }).await
}

/// What the server does for these functions. Implemented by the server's portal (`server/src/portal/`),
/// reached through [`crate::api::port`].
#[cfg(feature = "ssr")]
pub use port::TemporaryPort;

#[cfg(feature = "ssr")]
mod port {
    use crate::domain::temporary::{IssuedSession, MyWorkRoles};
    use crate::error::AppError;
    use crate::ssr::Ctx;

    #[async_trait::async_trait]
    pub trait TemporaryPort: Send + Sync {
        /// The catalogue's roles the caller may use, by their keydesk role, IAM groups and the groups
        /// their identity provider named; with Identity Center's configuration for them, when it is set.
        async fn my_work_roles(&self, cx: &Ctx) -> Result<MyWorkRoles, AppError>;

        /// Assume `role` for the caller (freshly authenticated): refused with 403 and nothing assumed
        /// when they may not use it; audited with the session's access key id, never its secret.
        async fn issue_temporary_credentials(
            &self,
            cx: &Ctx,
            role: &str,
            duration_secs: u32,
            reason: Option<&str>,
        ) -> Result<IssuedSession, AppError>;

        /// Issuances per role and person over the review's window (administrators only).
        async fn temporary_issuance(&self, cx: &Ctx) -> Result<Vec<crate::domain::temporary::IssuanceCount>, AppError>;
    }
}
