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
pub const MAX_MFA_DEVICES: usize = 8;

/// Create a virtual MFA device named `device_name` (the user name, or the user name followed by `-`
/// and a label) and return its seed. An earlier abandoned device of that name is removed first.
#[server(endpoint = "start_mfa_enrolment")]
pub async fn start_mfa_enrolment(device_name: String) -> Result<MfaEnrolment, AppError> {
    use crate::ssr::*;
    respond(port()?.start_mfa_enrolment(&request()?, &principal()?, &device_name).await)
}

/// Finish an enrolment with two consecutive codes from the authenticator app.
#[server(endpoint = "enable_mfa")]
pub async fn enable_mfa(serial: String, code1: String, code2: String) -> Result<(), AppError> {
    use crate::ssr::*;
    respond(port()?.enable_mfa(&request()?, &principal()?, &serial, &code1, &code2).await)
}

/// Abandon an enrolment: the unassigned device is deleted.
#[server(endpoint = "cancel_mfa_enrolment")]
pub async fn cancel_mfa_enrolment(serial: String) -> Result<(), AppError> {
    use crate::ssr::*;
    respond(port()?.cancel_mfa_enrolment(&request()?, &principal()?, &serial).await)
}

/// Resynchronise a device whose clock drifted, with two consecutive codes.
#[server(endpoint = "resync_mfa")]
pub async fn resync_mfa(serial: String, code1: String, code2: String) -> Result<(), AppError> {
    use crate::ssr::*;
    respond(port()?.resync_mfa(&request()?, &principal()?, &serial, &code1, &code2).await)
}

/// Remove a device from the caller's user (and delete it, when it is virtual), on the caller's keydesk
/// password given now.
#[server(endpoint = "remove_mfa")]
pub async fn remove_mfa(serial: String, password: Password) -> Result<(), AppError> {
    use crate::ssr::*;
    respond(port()?.remove_mfa(&request()?, &principal()?, &serial, &password).await)
}
