//! The caller's own virtual MFA devices: enrol (create + enable with two codes), resync, remove.

use crate::domain::*;
use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// A virtual MFA device being enrolled. The seed and the QR code (which encodes it) travel only in the
/// answer to `start_mfa_enrolment`, which is never stored; the page forgets them once enrolment ends.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MfaEnrolment {
    pub serial: String,
    pub seed: OneTimeSecret,
    /// An SVG drawing of the `otpauth://` URI, made by the server.
    pub qr_svg: OneTimeSecret,
}

impl std::fmt::Debug for MfaEnrolment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MfaEnrolment").field("serial", &self.serial).finish_non_exhaustive()
    }
}

/// IAM allows this many MFA devices per user.
pub use crate::domain::limits::MAX_MFA_DEVICES;

/// Create a virtual MFA device named `device_name` (the user name, or the user name followed by `-`
/// and a label) and return its seed. An earlier abandoned device of that name is removed first.
#[server(endpoint = "start_mfa_enrolment")]
pub async fn start_mfa_enrolment(device_name: String) -> Result<MfaEnrolment, AppError> {
    use crate::{api::port, ssr::*};
    respond(port()?.start_mfa_enrolment(&ctx()?, &device_name).await)
}

/// Finish an enrolment with two consecutive codes from the authenticator app.
#[server(endpoint = "enable_mfa")]
pub async fn enable_mfa(serial: String, code1: String, code2: String) -> Result<(), AppError> {
    use crate::{api::port, ssr::*};
    respond(port()?.enable_mfa(&ctx()?, &serial, &code1, &code2).await)
}

/// Abandon an enrolment: the unassigned device is deleted.
#[server(endpoint = "cancel_mfa_enrolment")]
pub async fn cancel_mfa_enrolment(serial: String) -> Result<(), AppError> {
    use crate::{api::port, ssr::*};
    respond(port()?.cancel_mfa_enrolment(&ctx()?, &serial).await)
}

/// Resynchronise a device whose clock drifted, with two consecutive codes.
#[server(endpoint = "resync_mfa")]
pub async fn resync_mfa(serial: String, code1: String, code2: String) -> Result<(), AppError> {
    use crate::{api::port, ssr::*};
    respond(port()?.resync_mfa(&ctx()?, &serial, &code1, &code2).await)
}

/// Remove a device from the caller's user (and delete it, when it is virtual), on the caller's keydesk
/// password given now.
#[server(endpoint = "remove_mfa")]
pub async fn remove_mfa(serial: String, password: Password) -> Result<(), AppError> {
    use crate::{api::port, ssr::*};
    respond(port()?.remove_mfa(&ctx()?, &serial, &password).await)
}

/// What the server does for these functions: The caller's MFA devices. Implemented by the server's portal
/// (`server/src/portal/`), reached through [`crate::api::port`].
#[cfg(feature = "ssr")]
pub use port::MfaPort;

#[cfg(feature = "ssr")]
mod port {
    use crate::domain::Password;
    use crate::error::AppError;
    use crate::ssr::Ctx;

    #[async_trait::async_trait]
    pub trait MfaPort: Send + Sync {
        /// Create a virtual MFA device for the caller (fresh re-authentication); an abandoned one of the
        /// same name is deleted first. The seed is returned here only.
        async fn start_mfa_enrolment(&self, cx: &Ctx, name: &str) -> Result<crate::api::mfa::MfaEnrolment, AppError>;

        /// Enable a device created by `start_mfa_enrolment` with two consecutive codes.
        async fn enable_mfa(&self, cx: &Ctx, serial: &str, code1: &str, code2: &str) -> Result<(), AppError>;

        /// Delete an unassigned device the caller started to enrol.
        async fn cancel_mfa_enrolment(&self, cx: &Ctx, serial: &str) -> Result<(), AppError>;

        /// Resynchronise one of the caller's devices.
        async fn resync_mfa(&self, cx: &Ctx, serial: &str, code1: &str, code2: &str) -> Result<(), AppError>;

        /// Deactivate one of the caller's devices and delete it when virtual. The password is checked
        /// now, whatever the step-up window: removing a second factor always takes a fresh proof of the
        /// first.
        async fn remove_mfa(&self, cx: &Ctx, serial: &str, password: &Password) -> Result<(), AppError>;
    }
}
