//! The caller's own service-specific credentials for the services of the generic section (Amazon
//! Keyspaces, Amazon Bedrock, CloudWatch Logs; CodeCommit's are in `codecommit`). Passwords and API-key
//! secrets travel only in the answers to `create_service_credential` and `reset_service_credential`.

use crate::domain::*;
use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// A service credential as the page lists it. Never the password or secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceCredentialView {
    pub credential: ServiceCredential,
    pub age_days: i64,
    /// Days until an expiring API key stops working (negative: expired that many days ago).
    pub expires_in_days: Option<i64>,
}

/// Generate credentials for `service` (a slug of the services table). `age_days` is the expiry of an
/// API key (required for those, refused for the others). The secret is in this response only.
#[server(endpoint = "create_service_credential")]
pub async fn create_service_credential(service: String, age_days: Option<String>) -> Result<CreatedServiceCredential, AppError> {
    use crate::{api::port, ssr::*};
    respond(port()?.create_service_credential(&ctx()?, &service, age_days.as_deref()).await)
}

/// Reset the password (or API-key secret) of one of the caller's credentials for `service`.
#[server(endpoint = "reset_service_credential")]
pub async fn reset_service_credential(service: String, credential_id: String) -> Result<CreatedServiceCredential, AppError> {
    use crate::{api::port, ssr::*};
    respond(port()?.reset_service_credential(&ctx()?, &service, &credential_id).await)
}

#[server(endpoint = "set_service_credential_status")]
pub async fn set_service_credential_status(service: String, credential_id: String, active: bool) -> Result<(), AppError> {
    use crate::{api::port, ssr::*};
    let status = if active { SetStatus::Active } else { SetStatus::Inactive };
    respond(port()?.set_service_credential_status(&ctx()?, &service, &credential_id, status).await)
}

/// Delete one of the caller's credentials for `service`; `confirm` repeats its user name or alias.
#[server(endpoint = "delete_service_credential")]
pub async fn delete_service_credential(service: String, credential_id: String, confirm: String) -> Result<(), AppError> {
    use crate::{api::port, ssr::*};
    respond(port()?.delete_service_credential(&ctx()?, &service, &credential_id, &confirm).await)
}

/// What the server does for these functions: The caller's other service credentials (Bedrock, CloudWatch Logs, Keyspaces). Implemented by the server's portal
/// (`server/src/portal/`), reached through [`crate::api::port`].
#[cfg(feature = "ssr")]
pub use port::ServicesPort;

#[cfg(feature = "ssr")]
mod port {
    use crate::error::AppError;
    use crate::ssr::Ctx;

    #[async_trait::async_trait]
    pub trait ServicesPort: Send + Sync {
        /// Generate credentials for the service with slug `service` (the services table); `age_days` is an
        /// API key's expiry. Same protocol as Git credentials; the secret is returned here only.
        async fn create_service_credential(
            &self,
            cx: &Ctx,
            service: &str,
            age_days: Option<&str>,
        ) -> Result<crate::domain::CreatedServiceCredential, AppError>;

        async fn reset_service_credential(
            &self,
            cx: &Ctx,
            service: &str,
            id: &str,
        ) -> Result<crate::domain::CreatedServiceCredential, AppError>;

        async fn set_service_credential_status(
            &self,
            cx: &Ctx,
            service: &str,
            id: &str,
            status: crate::domain::SetStatus,
        ) -> Result<(), AppError>;

        /// Delete one of the caller's credentials of `service`; `confirm` must equal its user name or alias.
        async fn delete_service_credential(&self, cx: &Ctx, service: &str, id: &str, confirm: &str) -> Result<(), AppError>;
    }
}
