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

/// Activate or deactivate one of the caller's own access keys.
#[server(endpoint = "set_access_key_status")]
pub async fn set_access_key_status(key_id: String, active: bool) -> Result<(), AppError> {
    use crate::ssr::*;
    let status = if active { SetStatus::Active } else { SetStatus::Inactive };
    respond(port()?.set_access_key_status(&request()?, &principal()?, &key_id, status).await)
}

/// Delete one of the caller's own access keys. Only an inactive key can be deleted (as in the
/// console), and `confirm` must repeat the key id.
#[server(endpoint = "delete_access_key")]
pub async fn delete_access_key(key_id: String, confirm: String) -> Result<(), AppError> {
    use crate::ssr::*;
    respond(port()?.delete_access_key(&request()?, &principal()?, &key_id, &confirm).await)
}
