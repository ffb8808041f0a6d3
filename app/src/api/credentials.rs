//! The signed-in employee's own credentials, read through their own scoped IAM session.

use crate::domain::*;
use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// An access key as the page shows it: metadata, age and last use. Never the secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessKeyView {
    pub key: AccessKeySummary,
    pub age_days: i64,
    pub last_used: KeyLastUsed,
    /// Days since last use, or since creation for a key never used.
    pub idle_days: i64,
    pub description: Option<String>,
    /// The rotation deadline of an active key (none for inactive keys).
    pub deadline: Option<crate::domain::deadlines::KeyDeadline>,
    /// Why its owner may not switch this inactive key back on (held by the help desk after a leak, or
    /// under AWS's quarantine), worded for the owner; `None` when they may.
    #[serde(default)]
    pub hold: Option<String>,
    /// Seconds between the key's last use and when this view was read (none when never used).
    #[serde(default)]
    pub last_used_secs: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordView {
    pub profile: Option<LoginProfile>,
    pub policy: EffectivePolicy,
    /// Days since the login profile's date (see docs/features.md, "Console password": IAM reports when it was created).
    pub age_days: Option<i64>,
    /// Days until the policy's maximum age is reached (negative: expired that many days ago).
    pub expires_in_days: Option<i64>,
    /// Why the user may not set their own password now, if they may not.
    pub cannot_change: Option<String>,
    /// Whether weak passwords are refused (not only warned about); the page enforces the same.
    pub block_weak: bool,
}

/// Everything "My security credentials" shows, in one read. Contains no secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CredentialsOverview {
    pub user: IamUser,
    /// What this employee may manage themselves; other sections show whom to ask instead (and their
    /// lists below are empty: keydesk does not read what it may not manage).
    pub entitled: std::collections::BTreeSet<crate::domain::entitlements::Capability>,
    /// Whom to ask about the rest (set by administrators).
    pub ask: String,
    /// `None` when the console password is not among the entitlements.
    pub password: Option<PasswordView>,
    pub access_keys: Vec<AccessKeyView>,
    /// Sections that fail on their own (IAM refusing or lacking one operation) without hiding the rest.
    pub mfa_devices: Result<Vec<MfaDevice>, AppError>,
    pub git_credentials: Result<Vec<crate::api::codecommit::GitCredentialView>, AppError>,
    pub ssh_keys: Result<Vec<crate::api::codecommit::SshKeyView>, AppError>,
    pub signing_certs: Result<Vec<crate::domain::signing_cert::SigningCertView>, AppError>,
    /// Help-desk changes to these credentials in the last 90 days, newest first.
    pub helpdesk_actions: Vec<crate::api::helpdesk::HelpdeskNotice>,
    /// The region the CodeCommit clone commands name (the page lets the user change it).
    pub codecommit_region: String,
    /// Keyspaces, Bedrock and CloudWatch Logs credentials (empty without the entitlement).
    pub service_credentials: Result<Vec<crate::api::services::ServiceCredentialView>, AppError>,
    /// The longest expiry an API key may be given (administrators' setting).
    pub api_key_max_days: u32,
}

/// Why an access key should be rotated now (CIS 2.11).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RotationDue {
    /// Past the organisation's rotation deadline, due then.
    PastDeadline(time::OffsetDateTime),
    /// No deadline applies and the active key is older than [`crate::domain::deadlines::ROTATE_AFTER_DAYS`].
    Old,
}

impl AccessKeyView {
    /// The key's last use in words, as a confirmation states it: "used 3 min ago by s3 in eu-west-1",
    /// or "never used".
    pub fn last_use_words(&self) -> String {
        let Some(secs) = self.last_used_secs else { return "never used".to_owned() };
        let mut words = format!("used {}", crate::domain::ago(secs));
        if let Some(service) = &self.last_used.service {
            words.push_str(&format!(" by {service}"));
        }
        if let Some(region) = &self.last_used.region {
            words.push_str(&format!(" in {region}"));
        }
        words
    }

    /// Whether this key is due for rotation: the one rule behind the key's row flag and the page's
    /// "Needs your attention".
    pub fn rotation_due(&self) -> Option<RotationDue> {
        match self.deadline {
            Some(d) if d.stage == crate::domain::deadlines::Stage::Overdue => Some(RotationDue::PastDeadline(d.due)),
            None if self.key.status.is_active() && self.age_days > crate::domain::deadlines::ROTATE_AFTER_DAYS => Some(RotationDue::Old),
            _ => None,
        }
    }
}

/// How urgent an item of "Needs your attention" is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Urgency {
    /// Past a deadline or unprotected now.
    Now,
    /// A deadline within two weeks.
    Soon,
}

/// One line of the page's "Needs your attention" summary, linking to the section that fixes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attention {
    pub urgency: Urgency,
    /// The section's id on the page (`password`, `access-keys`, `mfa`).
    pub section: &'static str,
    pub text: String,
}

/// Warn this many days before the console password expires.
pub const PASSWORD_WARN_DAYS: i64 = 14;

impl CredentialsOverview {
    /// What on this page needs its owner now, most urgent first: an expired (or soon expiring, or
    /// help-desk reset) console password, access keys past their rotation deadline, and a console
    /// password with no MFA device (CIS 1.10). Empty when all is well.
    pub fn needs_attention(&self) -> Vec<Attention> {
        let mut out = Vec::new();
        let mut add = |urgency, section, text: String| out.push(Attention { urgency, section, text });
        let password = self.password.as_ref().filter(|p| p.profile.is_some());
        if let Some(p) = password {
            match p.expires_in_days {
                _ if p.profile.as_ref().is_some_and(|l| l.reset_required) => {
                    add(Urgency::Now, "password", "Your console password was reset by the help desk: choose a new one.".to_owned())
                }
                Some(d) if d < 0 => add(Urgency::Now, "password", format!("Your console password expired {} ago: change it.", days(-d))),
                Some(0) => add(Urgency::Now, "password", "Your console password expires today: change it.".to_owned()),
                Some(d) if d <= PASSWORD_WARN_DAYS => {
                    add(Urgency::Soon, "password", format!("Your console password expires in {}.", days(d)))
                }
                _ => {}
            }
        }
        for k in self.access_keys.iter().filter(|k| k.key.status.is_active()) {
            let last4 = k.key.id.last4();
            match k.rotation_due() {
                Some(RotationDue::PastDeadline(due)) => add(
                    Urgency::Now,
                    "access-keys",
                    format!("Access key …{last4} is past its rotation deadline ({} UTC): rotate it.", crate::domain::fmt_utc(due)),
                ),
                Some(RotationDue::Old) => {
                    add(Urgency::Now, "access-keys", format!("Access key …{last4} is {} old: rotate it.", days(k.age_days)))
                }
                None => {}
            }
        }
        let mfa_managed_here = self.entitled.contains(&crate::domain::entitlements::Capability::Mfa);
        if password.is_some() && mfa_managed_here && self.mfa_devices.as_ref().is_ok_and(Vec::is_empty) {
            add(Urgency::Now, "mfa", "No MFA device protects your console sign-in: add one (CIS 1.10).".to_owned())
        }
        out.sort_by_key(|a| a.urgency != Urgency::Now);
        out
    }
}

pub use crate::domain::limits::{MAX_ACCESS_KEYS, MAX_CREDENTIALS_PER_SERVICE as MAX_GIT_CREDENTIALS, MAX_SSH_KEYS};

#[server(endpoint = "get_my_credentials")]
pub async fn get_my_credentials() -> Result<CredentialsOverview, AppError> {
    use crate::ssr::*;
    page_read("my_credentials", |port, cx| async move { port.my_credentials(&cx).await }).await
}

/// The caller's access keys alone, for the rotation guide's last-use watch: the browser reads them
/// again every minute, and needs neither the rest of the overview nor the code to decode it.
#[server(endpoint = "get_my_access_keys")]
pub async fn get_my_access_keys() -> Result<Vec<AccessKeyView>, AppError> {
    get_my_credentials().await.map(|o| o.access_keys)
}

/// Upload an X.509 signing certificate (PEM).
#[server(endpoint = "upload_signing_cert")]
pub async fn upload_signing_cert(certificate: String) -> Result<crate::domain::signing_cert::SigningCertView, AppError> {
    use crate::{api::port, ssr::*};
    respond(port()?.upload_signing_cert(&ctx()?, &certificate).await)
}

#[server(endpoint = "set_signing_cert_status")]
pub async fn set_signing_cert_status(certificate_id: String, active: bool) -> Result<(), AppError> {
    use crate::{api::port, ssr::*};
    let status = if active { SetStatus::Active } else { SetStatus::Inactive };
    respond(port()?.set_signing_cert_status(&ctx()?, &certificate_id, status).await)
}

#[server(endpoint = "delete_signing_cert")]
pub async fn delete_signing_cert(certificate_id: String, confirm: String) -> Result<(), AppError> {
    use crate::{api::port, ssr::*};
    respond(port()?.delete_signing_cert(&ctx()?, &certificate_id, &confirm).await)
}

/// What the server does for these functions: "My security credentials" in one read, and the caller's signing certificates. Implemented by the server's portal
/// (`server/src/portal/`), reached through [`crate::api::port`].
#[cfg(feature = "ssr")]
pub use port::CredentialsPort;

#[cfg(feature = "ssr")]
mod port {
    use crate::error::AppError;
    use crate::ssr::Ctx;

    #[async_trait::async_trait]
    pub trait CredentialsPort: Send + Sync {
        /// The caller's own IAM credentials (read through their own scoped IAM session).
        async fn my_credentials(&self, cx: &Ctx) -> Result<crate::api::credentials::CredentialsOverview, AppError>;

        /// Upload an X.509 signing certificate for the caller (inspected first; fresh re-authentication).
        async fn upload_signing_cert(&self, cx: &Ctx, body: &str) -> Result<crate::domain::signing_cert::SigningCertView, AppError>;

        async fn set_signing_cert_status(&self, cx: &Ctx, id: &str, status: crate::domain::SetStatus) -> Result<(), AppError>;

        /// Delete one of the caller's certificates; `confirm` must equal its id.
        async fn delete_signing_cert(&self, cx: &Ctx, id: &str, confirm: &str) -> Result<(), AppError>;
    }
}
