//! Changing the caller's own IAM console password.

use crate::domain::*;
use crate::error::AppError;
use leptos::prelude::*;

/// Set a new console password for the caller's own IAM user (creating the login profile when there is
/// none and the policy allows). The server runs the same `refusal` check the page shows, then IAM's.
#[server(endpoint = "change_password")]
pub async fn change_password(new_password: Password, repeat_password: Password) -> Result<(), AppError> {
    use crate::ssr::*;
    respond(port()?.change_password(&request()?, &principal()?, &new_password, &repeat_password).await)
}
