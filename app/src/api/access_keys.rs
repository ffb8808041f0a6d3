//! Access-key actions and the step-up re-authentication every sensitive action needs.

use crate::domain::*;
use crate::error::AppError;
use leptos::prelude::*;

/// Confirm the portal password to unlock sensitive actions for the re-authentication window.
/// The session id is cycled on success.
#[server(endpoint = "confirm_password")]
pub async fn confirm_password(password: Password) -> Result<(), AppError> {
    use crate::ssr::*;
    respond(port()?.confirm_password(&request()?, &principal()?, &password).await)
}

/// Create an access key for the caller's own IAM user. The secret is in this response and nowhere else.
#[server(endpoint = "create_access_key")]
pub async fn create_access_key(description: Option<String>) -> Result<CreatedAccessKey, AppError> {
    use crate::ssr::*;
    respond(port()?.create_access_key(&request()?, &principal()?, description).await)
}
