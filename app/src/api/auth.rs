//! Sign-in, sign-out and the page frame.

use crate::domain::{Frame, Password};
use crate::error::AppError;
use leptos::prelude::*;

/// The frame of every page: who is signed in (if anyone) and which IAM backend serves the portal.
#[server(endpoint = "get_frame")]
pub async fn get_frame() -> Result<Frame, AppError> {
    use crate::{api::port, ssr::*};
    let (port, req) = (port()?, request()?);
    respond(RenderMemo::read("frame".into(), async move { port.frame(&req).await }).await)
}

/// Sign in with a portal account; redirects to the credentials page on success.
#[server(endpoint = "sign_in")]
pub async fn sign_in(username: String, password: Password) -> Result<(), AppError> {
    use crate::{api::port, ssr::*};
    respond(port()?.sign_in(&request()?, &username, &password).await)?;
    leptos_axum::redirect("/");
    Ok(())
}

/// Sign in with a company directory (LDAP) account; redirects to the credentials page on success.
#[server(endpoint = "directory_sign_in")]
pub async fn directory_sign_in(username: String, password: Password) -> Result<(), AppError> {
    use crate::{api::port, ssr::*};
    respond(port()?.directory_sign_in(&request()?, &username, &password).await)?;
    leptos_axum::redirect("/");
    Ok(())
}

/// Sign out and return to the sign-in page (by way of the identity provider's logout, when it signed
/// the session in).
#[server(endpoint = "sign_out")]
pub async fn sign_out() -> Result<(), AppError> {
    use crate::{api::port, ssr::*};
    let next = respond(port()?.sign_out(&request()?).await)?;
    leptos_axum::redirect(next.as_deref().unwrap_or(crate::paths::SIGN_IN_PATH));
    Ok(())
}

/// What the server does for these functions: Signing in and out. Implemented by the server's portal
/// (`server/src/portal/`), reached through [`crate::api::port`].
#[cfg(feature = "ssr")]
pub use port::SessionPort;

#[cfg(feature = "ssr")]
mod port {
    use crate::domain::Frame;
    use crate::domain::Password;
    use crate::domain::Viewer;
    use crate::error::AppError;
    use http::request::Parts;

    #[async_trait::async_trait]
    pub trait SessionPort: Send + Sync {
        /// The frame every page draws: the viewer if the request carries a valid session, and the backend
        /// kind. Never fails because the caller is anonymous.
        async fn frame(&self, req: &Parts) -> Result<Frame, AppError>;

        /// Verify a portal password and, on success, start a fresh session (new session id). Every failure
        /// cause gives [`AppError::SignInFailed`]; repeated failures give [`AppError::TooManyAttempts`].
        async fn sign_in(&self, req: &Parts, user: &str, password: &Password) -> Result<Viewer, AppError>;

        /// Check a login and password with the company directory (LDAP) and, on success, start a fresh
        /// session for the account of that directory entry (created at its first sign-in). Refusals as
        /// for [`SessionPort::sign_in`]; a directory that cannot answer gives
        /// [`AppError::DirectoryUnavailable`].
        async fn directory_sign_in(&self, req: &Parts, login: &str, password: &Password) -> Result<Viewer, AppError>;

        /// End the session server-side; its cookie is useless afterwards. Idempotent. `Some(url)`: the
        /// identity provider's logout, where the browser goes next to end its session there too.
        async fn sign_out(&self, req: &Parts) -> Result<Option<String>, AppError>;
    }
}
