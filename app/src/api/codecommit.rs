//! The caller's own AWS CodeCommit credentials: HTTPS Git credentials (service-specific credentials for
//! `codecommit.amazonaws.com`) and SSH public keys. Passwords travel only in the answers to
//! `create_git_credential` and `reset_git_credential`; no other response and no resource carries one.

use crate::domain::*;
use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// An HTTPS Git credential as the page lists it. Never the password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GitCredentialView {
    pub credential: ServiceCredential,
    pub age_days: i64,
}

/// An SSH public key as the page lists it, with IAM's MD5 fingerprint and the SHA-256 one
/// `ssh-keygen -lf` prints (computed from the key body IAM returns).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SshKeyView {
    pub key: SshKeySummary,
    /// IAM's fingerprint (MD5, colon-separated); None when IAM could not return the key.
    pub md5_fingerprint: Option<String>,
    pub sha256_fingerprint: Option<String>,
    pub bits: Option<usize>,
    pub comment: Option<String>,
    pub age_days: i64,
}

/// Generate HTTPS Git credentials. The password is in this response only.
#[server(endpoint = "create_git_credential")]
pub async fn create_git_credential() -> Result<CreatedServiceCredential, AppError> {
    use crate::{api::port, ssr::*};
    respond(port()?.create_git_credential(&ctx()?).await)
}

/// Reset the password of one of the caller's Git credentials: the old one stops working, the new one
/// is in this response only.
#[server(endpoint = "reset_git_credential")]
pub async fn reset_git_credential(credential_id: String) -> Result<CreatedServiceCredential, AppError> {
    use crate::{api::port, ssr::*};
    respond(port()?.reset_git_credential(&ctx()?, &credential_id).await)
}

/// Activate or deactivate one of the caller's Git credentials.
#[server(endpoint = "set_git_credential_status")]
pub async fn set_git_credential_status(credential_id: String, active: bool) -> Result<(), AppError> {
    use crate::{api::port, ssr::*};
    let status = if active { SetStatus::Active } else { SetStatus::Inactive };
    respond(port()?.set_git_credential_status(&ctx()?, &credential_id, status).await)
}

/// Delete one of the caller's Git credentials; `confirm` must repeat its Git user name.
#[server(endpoint = "delete_git_credential")]
pub async fn delete_git_credential(credential_id: String, confirm: String) -> Result<(), AppError> {
    use crate::{api::port, ssr::*};
    respond(port()?.delete_git_credential(&ctx()?, &credential_id, &confirm).await)
}

/// Upload an SSH public key (validated as IAM does, first here and then by IAM).
#[server(endpoint = "upload_ssh_key")]
pub async fn upload_ssh_key(public_key: String) -> Result<SshKeyView, AppError> {
    use crate::{api::port, ssr::*};
    respond(port()?.upload_ssh_key(&ctx()?, &public_key).await)
}

/// Activate or deactivate one of the caller's SSH keys.
#[server(endpoint = "set_ssh_key_status")]
pub async fn set_ssh_key_status(key_id: String, active: bool) -> Result<(), AppError> {
    use crate::{api::port, ssr::*};
    let status = if active { SetStatus::Active } else { SetStatus::Inactive };
    respond(port()?.set_ssh_key_status(&ctx()?, &key_id, status).await)
}

/// Delete one of the caller's SSH keys; `confirm` must repeat its SSH key id.
#[server(endpoint = "delete_ssh_key")]
pub async fn delete_ssh_key(key_id: String, confirm: String) -> Result<(), AppError> {
    use crate::{api::port, ssr::*};
    respond(port()?.delete_ssh_key(&ctx()?, &key_id, &confirm).await)
}

/// What the server does for these functions: The caller's CodeCommit Git credentials and SSH keys. Implemented by the server's portal
/// (`server/src/portal/`), reached through [`crate::api::port`].
#[cfg(feature = "ssr")]
pub use port::CodeCommitPort;

#[cfg(feature = "ssr")]
mod port {
    use crate::error::AppError;
    use crate::ssr::Ctx;

    #[async_trait::async_trait]
    pub trait CodeCommitPort: Send + Sync {
        /// Generate HTTPS Git credentials for CodeCommit (fresh re-authentication, lease, audit; an
        /// ambiguous create is reconciled and any credential nobody saw deleted). Password returned here only.
        async fn create_git_credential(&self, cx: &Ctx) -> Result<crate::domain::CreatedServiceCredential, AppError>;

        /// Reset one of the caller's Git credentials; an ambiguous reset is retried once (superseding the
        /// unseen password) or else the credential is deactivated.
        async fn reset_git_credential(&self, cx: &Ctx, id: &str) -> Result<crate::domain::CreatedServiceCredential, AppError>;

        async fn set_git_credential_status(&self, cx: &Ctx, id: &str, status: crate::domain::SetStatus) -> Result<(), AppError>;

        /// Delete one of the caller's Git credentials; `confirm` must equal its Git user name.
        async fn delete_git_credential(&self, cx: &Ctx, id: &str, confirm: &str) -> Result<(), AppError>;

        /// Upload an SSH public key for the caller (validated first; never echoes or logs the input).
        async fn upload_ssh_key(&self, cx: &Ctx, body: &str) -> Result<crate::api::codecommit::SshKeyView, AppError>;

        async fn set_ssh_key_status(&self, cx: &Ctx, id: &str, status: crate::domain::SetStatus) -> Result<(), AppError>;

        /// Delete one of the caller's SSH keys; `confirm` must equal its id.
        async fn delete_ssh_key(&self, cx: &Ctx, id: &str, confirm: &str) -> Result<(), AppError>;
    }
}
