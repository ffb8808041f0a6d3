//! Access-key actions and the step-up re-authentication every sensitive action needs.

use crate::domain::*;
use crate::error::AppError;
use leptos::prelude::*;

/// Confirm the portal password to unlock sensitive actions for the re-authentication window.
/// The session id is cycled on success.
#[server(endpoint = "confirm_password")]
pub async fn confirm_password(password: Password) -> Result<(), AppError> {
    use crate::{api::port, ssr::*};
    respond(port()?.confirm_password(&ctx()?, &password).await)
}

/// Create an access key for the caller's own IAM user. The secret is in this response and nowhere else.
#[server(endpoint = "create_access_key")]
pub async fn create_access_key(description: Option<String>) -> Result<CreatedAccessKey, AppError> {
    use crate::{api::port, ssr::*};
    respond(port()?.create_access_key(&ctx()?, description).await)
}

/// Activate or deactivate one of the caller's own access keys.
#[server(endpoint = "set_access_key_status")]
pub async fn set_access_key_status(key_id: String, active: bool) -> Result<(), AppError> {
    use crate::{api::port, ssr::*};
    let status = if active { SetStatus::Active } else { SetStatus::Inactive };
    respond(port()?.set_access_key_status(&ctx()?, &key_id, status).await)
}

/// Delete one of the caller's own access keys. Only an inactive key can be deleted (as in the
/// console), and `confirm` must repeat the key id.
#[server(endpoint = "delete_access_key")]
pub async fn delete_access_key(key_id: String, confirm: String) -> Result<(), AppError> {
    use crate::{api::port, ssr::*};
    respond(port()?.delete_access_key(&ctx()?, &key_id, &confirm).await)
}

/// What the server does for these functions: The step-up and the caller's own access keys. Implemented by the server's portal
/// (`server/src/portal/`), reached through [`crate::api::port`].
#[cfg(feature = "ssr")]
pub use port::AccessKeysPort;

#[cfg(feature = "ssr")]
mod port {
    use crate::domain::Password;
    use crate::error::AppError;
    use crate::ssr::Ctx;

    #[async_trait::async_trait]
    pub trait AccessKeysPort: Send + Sync {
        /// Step-up: verify the caller's portal password again; on success the session id is cycled and
        /// sensitive actions are allowed for the re-authentication window. Errors: `SignInFailed`.
        async fn confirm_password(&self, cx: &Ctx, password: &Password) -> Result<(), AppError>;

        /// Create an access key for the caller's own IAM user (fresh re-authentication required). Serialised
        /// per IAM user; audited (intent before the IAM call); an ambiguous outcome is reconciled and any
        /// orphan key deleted. The secret is returned here only.
        async fn create_access_key(&self, cx: &Ctx, description: Option<String>) -> Result<crate::domain::CreatedAccessKey, AppError>;

        /// Activate or deactivate one of the caller's own keys (fresh re-authentication, serialised, audited).
        async fn set_access_key_status(&self, cx: &Ctx, key_id: &str, status: crate::domain::SetStatus) -> Result<(), AppError>;

        /// Delete one of the caller's own keys: it must be inactive and `confirm` must equal its id.
        async fn delete_access_key(&self, cx: &Ctx, key_id: &str, confirm: &str) -> Result<(), AppError>;
    }
}
