//! Changing the caller's own IAM console password.

use crate::domain::*;
use crate::error::AppError;
use leptos::prelude::*;

/// Set a new console password for the caller's own IAM user (creating the login profile when there is
/// none and the policy allows). The server runs the same `refusal` check the page shows, then IAM's.
#[server(endpoint = "change_password")]
pub async fn change_password(new_password: Password, repeat_password: Password) -> Result<(), AppError> {
    use crate::{api::port, ssr::*};
    respond(port()?.change_password(&ctx()?, &new_password, &repeat_password).await)
}

/// What the server does for these functions: The caller's console password. Implemented by the server's portal
/// (`server/src/portal/`), reached through [`crate::api::port`].
#[cfg(feature = "ssr")]
pub use port::PasswordPort;

#[cfg(feature = "ssr")]
mod port {
    use crate::domain::Password;
    use crate::error::AppError;
    use crate::ssr::Ctx;

    #[async_trait::async_trait]
    pub trait PasswordPort: Send + Sync {
        /// Set the caller's own console password (fresh re-authentication; `refusal` first, then IAM).
        async fn change_password(&self, cx: &Ctx, new: &Password, repeat: &Password) -> Result<(), AppError>;
    }
}
