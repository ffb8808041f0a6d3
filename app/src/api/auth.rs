//! Sign-in, sign-out and the page frame.

use crate::domain::{Frame, Password};
use crate::error::AppError;
use leptos::prelude::*;

/// The frame of every page: who is signed in (if anyone) and which IAM backend serves the portal.
#[server(endpoint = "get_frame")]
pub async fn get_frame() -> Result<Frame, AppError> {
    use crate::ssr::*;
    respond(port()?.frame(&request()?).await)
}

/// Sign in with a portal account; redirects to the credentials page on success.
#[server(endpoint = "sign_in")]
pub async fn sign_in(username: String, password: Password) -> Result<(), AppError> {
    use crate::ssr::*;
    respond(port()?.sign_in(&request()?, &username, &password).await)?;
    leptos_axum::redirect("/");
    Ok(())
}

/// Sign out and return to the sign-in page.
#[server(endpoint = "sign_out")]
pub async fn sign_out() -> Result<(), AppError> {
    use crate::ssr::*;
    respond(port()?.sign_out(&request()?).await)?;
    leptos_axum::redirect("/sign-in");
    Ok(())
}
