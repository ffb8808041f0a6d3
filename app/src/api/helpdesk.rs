//! Help-desk actions on another person's credentials. Each needs the help-desk role, a fresh password
//! confirmation and a reason; each is audited with the actor, the target and the reason, and shows on
//! the affected person's own page.

use crate::api::credentials::AccessKeyView;
use crate::domain::*;
use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// What the help desk sees of one IAM user (never a secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HelpdeskView {
    pub user: IamUser,
    /// The user's IAM groups (empty when IAM would not list them).
    pub groups: Vec<String>,
    /// The access key id the search named, when the user was found by it.
    pub found_by_key: Option<String>,
    pub keys: Vec<AccessKeyView>,
    pub mfa_devices: Vec<MfaDevice>,
    pub login_profile: Option<LoginProfile>,
    /// HTTPS Git credentials for CodeCommit; `Err` when IAM would not list them (the rest still shows).
    pub git_credentials: Result<Vec<ServiceCredential>, String>,
    pub ssh_keys: Result<Vec<SshKeySummary>, String>,
    /// Why the help desk may look but not act (an administrator's or help-desk colleague's user, or
    /// the caller's own), if so.
    pub protected: Option<String>,
    /// Whether AWS quarantined the user after finding a key exposed; `None` when IAM would not say.
    pub quarantined: Option<bool>,
    /// The leaked-key case, when the search named an access key id (also once that key is deleted).
    pub case: Option<crate::domain::leak::LeakCase>,
    /// keydesk sign-in back-off of the portal accounts acting for this user (recent failures only).
    pub sign_in_pauses: Vec<SignInPause>,
}

/// Recent failed keydesk sign-ins of one portal account, as the help desk sees them: enough to tell a
/// person why they cannot sign in and when they can try again (the pause lifts by itself).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignInPause {
    pub account: String,
    pub failures: i64,
    /// When the next attempt is evaluated; `None` when not paused now.
    #[serde(with = "time::serde::rfc3339::option")]
    pub paused_until: Option<OffsetDateTime>,
    /// Past the free failures: each further failure pauses sign-in, for longer each time.
    pub backing_off: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub last_failure: OffsetDateTime,
}

/// A help-desk action as the affected person sees it on their own page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HelpdeskNotice {
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub actor: String,
    pub what: String,
    pub reason: Option<String>,
}

/// Words for an audited help-desk action.
pub fn describe(action: &str, subject: Option<&str>) -> String {
    let s = subject.unwrap_or_default();
    match action {
        "helpdesk.access_key.deactivate" => format!("deactivated your access key {s}"),
        "helpdesk.access_key.activate" => format!("reactivated your access key {s}"),
        "helpdesk.password.reset" => "reset your console password (you must choose a new one at your next sign-in)".into(),
        "helpdesk.mfa.remove" => format!("removed your MFA device {s}"),
        "helpdesk.access_key.delete" => format!("deleted your inactive access key {s}"),
        "helpdesk.git_credential.deactivate" => format!("deactivated your HTTPS Git credential {s}"),
        "helpdesk.ssh_key.deactivate" => format!("deactivated your SSH key {s}"),
        "helpdesk.leak.notify" => format!("told you that your access key {s} was exposed"),
        "helpdesk.quarantine.detach" => "lifted the AWS quarantine on your IAM user".into(),
        "helpdesk.temporary.revoke" => format!("revoked the temporary credentials you held for {s} (new ones work)"),
        "helpdesk.request.create" => format!("asked a second person to approve: {s}"),
        "helpdesk.request.reject" => format!("rejected the request to {s}"),
        "helpdesk.request.lapse" => format!("let the request lapse: {s}"),
        other => format!("{other} {s}"),
    }
}

/// A case about someone's temporary credentials: by their keydesk name, or a pasted `ASIA…` key id
/// (which role, whose session, from keydesk's ledger).
#[server(endpoint = "helpdesk_temporary_case")]
pub async fn helpdesk_temporary_case(query: String) -> Result<crate::domain::temporary::TemporaryCase, AppError> {
    use crate::ssr::*;
    page_read(format!("helpdesk_temporary_case?{query}"), |port, cx| async move { port.helpdesk_temporary_case(&cx, &query).await }).await
}

/// Revoke `person`'s temporary credentials issued until now, for the role `role` (an ARN) or for every
/// role they hold a live session of (`role` = "all"): a deny on the role for their source identity and
/// earlier issue times. Safe to repeat; a reason is required.
#[server(endpoint = "helpdesk_revoke_temporary")]
pub async fn helpdesk_revoke_temporary(
    person: String,
    role: String,
    reason: String,
    ticket: Option<String>,
) -> Result<crate::domain::temporary::RevokeOutcome, AppError> {
    use crate::{api::port, ssr::*};
    respond(port()?.helpdesk_revoke_temporary(&ctx()?, &person, &role, &reason, ticket.as_deref()).await)
}

/// Find a user by IAM user name or by one of their access key ids.
#[server(endpoint = "helpdesk_find")]
pub async fn helpdesk_find(query: String) -> Result<HelpdeskView, AppError> {
    use crate::ssr::*;
    page_read(format!("helpdesk_find?{query}"), |port, cx| async move { port.helpdesk_find(&cx, &query).await }).await
}

/// Deactivate (the leaked-key path) or reactivate someone's access key. `Some(message)` when the
/// reactivation needs a second person: a request was filed instead.
#[server(endpoint = "helpdesk_set_key_status")]
pub async fn helpdesk_set_key_status(
    user: String,
    key_id: String,
    active: bool,
    reason: String,
    ticket: Option<String>,
) -> Result<Option<String>, AppError> {
    use crate::{api::port, ssr::*};
    let status = if active { SetStatus::Active } else { SetStatus::Inactive };
    let action = HelpdeskAction::KeyStatus { key_id, status };
    respond(
        port()?.helpdesk_act(&ctx()?, &user, action, &reason, ticket.as_deref()).await.map(ActOutcome::requested).inspect(said_requested),
    )
}

/// A filed request's answer, for a form posted from a page drawn on the server: the page says so in a
/// fixed line (the request itself is listed below it).
#[cfg(feature = "ssr")]
fn said_requested(requested: &Option<String>) {
    if requested.is_some() {
        crate::ssr::answer_done(REQUESTED_PLACE);
    }
}

/// The `done=` of an action filed for a second person's approval.
pub const REQUESTED_PLACE: &str = "desk-requested";

/// The case the help desk is working on in this session: the reason and ticket last sent with an
/// action for `person`, offered again for the next one (asked once per case, not per action).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseNote {
    pub reason: String,
    pub ticket: String,
}

/// The reason and ticket this session last gave for an action on `person` (empty for another person).
#[server(endpoint = "helpdesk_case_note")]
pub async fn helpdesk_case_note(person: String) -> Result<CaseNote, AppError> {
    use crate::{api::port, ssr::*};
    respond(port()?.helpdesk_case_note(&ctx()?, &person).await)
}

/// Delete someone's inactive access key (an active one must be deactivated first).
#[server(endpoint = "helpdesk_delete_key")]
pub async fn helpdesk_delete_key(user: String, key_id: String, reason: String, ticket: Option<String>) -> Result<(), AppError> {
    use crate::{api::port, ssr::*};
    let action = HelpdeskAction::DeleteKey { key_id };
    respond(port()?.helpdesk_act(&ctx()?, &user, action, &reason, ticket.as_deref()).await.map(drop))
}

/// Deactivate someone's HTTPS Git credential or SSH public key (`kind` is `git` or `ssh`).
#[server(endpoint = "helpdesk_deactivate_codecommit")]
pub async fn helpdesk_deactivate_codecommit(
    user: String,
    kind: String,
    id: String,
    reason: String,
    ticket: Option<String>,
) -> Result<(), AppError> {
    use crate::{api::port, ssr::*};
    let action = match kind.as_str() {
        "git" => HelpdeskAction::DeactivateGitCredential { id },
        "ssh" => HelpdeskAction::DeactivateSshKey { id },
        _ => return respond(Err(AppError::invalid("kind", "Choose a Git credential or an SSH key."))),
    };
    respond(port()?.helpdesk_act(&ctx()?, &user, action, &reason, ticket.as_deref()).await.map(drop))
}

/// What a help-desk action did: done (with the generated password of a reset), or filed as a request
/// a second person must approve.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ActOutcome {
    Done(Option<OneTimeSecret>),
    Requested(String),
}

impl ActOutcome {
    /// The message of a filed request, if one was filed.
    pub fn requested(self) -> Option<String> {
        match self {
            ActOutcome::Requested(m) => Some(m),
            ActOutcome::Done(_) => None,
        }
    }
}

/// A password reset's answer: the generated password (shown once), or the message of the request filed
/// for a second person's approval.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResetOutcome {
    pub password: Option<OneTimeSecret>,
    pub requested: Option<String>,
}

/// Reset someone's console password to a generated one (shown here once) that must be changed at the
/// next sign-in. The help desk cannot choose it. Under four eyes, a request is filed instead.
#[server(endpoint = "helpdesk_reset_password")]
pub async fn helpdesk_reset_password(user: String, reason: String, ticket: Option<String>) -> Result<ResetOutcome, AppError> {
    use crate::{api::port, ssr::*};
    let done = port()?.helpdesk_act(&ctx()?, &user, HelpdeskAction::ResetPassword, &reason, ticket.as_deref()).await;
    respond(done.map(|o| match o {
        ActOutcome::Done(password) => ResetOutcome { password, requested: None },
        ActOutcome::Requested(m) => ResetOutcome { password: None, requested: Some(m) },
    }))
}

/// Deactivate and remove someone's lost MFA device (or file the request for it, under four eyes).
#[server(endpoint = "helpdesk_remove_mfa")]
pub async fn helpdesk_remove_mfa(user: String, serial: String, reason: String, ticket: Option<String>) -> Result<Option<String>, AppError> {
    use crate::{api::port, ssr::*};
    respond(
        port()?
            .helpdesk_act(&ctx()?, &user, HelpdeskAction::RemoveMfa { serial }, &reason, ticket.as_deref())
            .await
            .map(ActOutcome::requested)
            .inspect(said_requested),
    )
}

/// A four-eyes request as the help desk sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestView {
    pub id: String,
    /// "reset the console password of alice".
    pub what: String,
    pub target_user: String,
    pub reason: String,
    pub ticket: Option<String>,
    pub requested_by: String,
    #[serde(with = "time::serde::rfc3339")]
    pub requested_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    /// pending, approved, executed, failed, rejected, lapsed.
    pub state: String,
    pub decided_by: Option<String>,
    pub outcome: Option<String>,
    /// Filed by the viewer (who may not decide it).
    pub mine: bool,
    /// Approving it answers with a generated password, shown once (so it is approved in place).
    pub answers_secret: bool,
}

/// Requests waiting for a second person, then the latest decided ones (help desk and administrators).
#[server(endpoint = "helpdesk_requests")]
pub async fn helpdesk_requests() -> Result<Vec<RequestView>, AppError> {
    use crate::ssr::*;
    page_read("helpdesk_requests", |port, cx| async move { port.helpdesk_requests(&cx).await }).await
}

/// Approve (then keydesk executes it, once) or reject a request filed by someone else. A fresh
/// password confirmation is needed. Approving a password reset answers with the generated password.
#[server(endpoint = "helpdesk_decide")]
pub async fn helpdesk_decide(id: String, approve: bool) -> Result<Option<OneTimeSecret>, AppError> {
    use crate::{api::port, ssr::*};
    respond(port()?.helpdesk_decide(&ctx()?, &id, approve).await)
}

/// Tell the owner of a leaked key that it was exposed and guide them to a replacement (a notice with
/// the rotation guide; no IAM change).
#[server(endpoint = "helpdesk_notify_leak")]
pub async fn helpdesk_notify_leak(user: String, key_id: String, reason: String, ticket: Option<String>) -> Result<(), AppError> {
    use crate::{api::port, ssr::*};
    let action = HelpdeskAction::NotifyLeak { key_id };
    respond(port()?.helpdesk_act(&ctx()?, &user, action, &reason, ticket.as_deref()).await.map(drop))
}

/// Detach `AWSCompromisedKeyQuarantineV3` from the user once the leaked key is gone; `confirm` must
/// be `yes` (the form's checkbox).
#[server(endpoint = "helpdesk_detach_quarantine")]
pub async fn helpdesk_detach_quarantine(
    user: String,
    reason: String,
    ticket: Option<String>,
    confirm: Option<String>,
) -> Result<(), AppError> {
    use crate::{api::port, ssr::*};
    if confirm.as_deref() != Some("yes") {
        return respond(Err(AppError::invalid(
            "confirm",
            "Tick the box to confirm that the leaked key is deleted and the owner works with a new one.",
        )));
    }
    respond(port()?.helpdesk_act(&ctx()?, &user, HelpdeskAction::DetachQuarantine, &reason, ticket.as_deref()).await.map(drop))
}

/// The actions the help desk can take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HelpdeskAction {
    KeyStatus {
        key_id: String,
        status: SetStatus,
    },
    /// Inactive keys only.
    DeleteKey {
        key_id: String,
    },
    ResetPassword,
    RemoveMfa {
        serial: String,
    },
    DeactivateGitCredential {
        id: String,
    },
    DeactivateSshKey {
        id: String,
    },
    NotifyLeak {
        key_id: String,
    },
    DetachQuarantine,
}

/// What the server does for these functions: The help desk: look-up, actions and four-eyes requests. Implemented by the server's portal
/// (`server/src/portal/`), reached through [`crate::api::port`].
#[cfg(feature = "ssr")]
pub use port::HelpdeskPort;

#[cfg(feature = "ssr")]
mod port {
    use crate::error::AppError;
    use crate::ssr::Ctx;

    #[async_trait::async_trait]
    pub trait HelpdeskPort: Send + Sync {
        /// Help desk: one IAM user's credentials, found by user name or access key id.
        async fn helpdesk_find(&self, cx: &Ctx, query: &str) -> Result<crate::api::helpdesk::HelpdeskView, AppError>;

        /// Help desk: a person's temporary sessions, by name or `ASIA…` key id, from the ledger.
        async fn helpdesk_temporary_case(&self, cx: &Ctx, query: &str) -> Result<crate::domain::temporary::TemporaryCase, AppError>;

        /// Help desk: revoke a person's temporary credentials on one role or all they hold (fresh
        /// re-authentication, a reason; audited per role).
        async fn helpdesk_revoke_temporary(
            &self,
            cx: &Ctx,
            person: &str,
            role: &str,
            reason: &str,
            ticket: Option<&str>,
        ) -> Result<crate::domain::temporary::RevokeOutcome, AppError>;

        /// Help desk: act on `user`'s credentials (role, fresh re-authentication, a reason, not on staff).
        /// A password reset returns the generated password, once.
        async fn helpdesk_act(
            &self,
            cx: &Ctx,
            user: &str,
            action: crate::api::helpdesk::HelpdeskAction,
            reason: &str,
            ticket: Option<&str>,
        ) -> Result<crate::api::helpdesk::ActOutcome, AppError>;

        /// Help desk: the reason and ticket this session last sent with an action on `person`.
        async fn helpdesk_case_note(&self, cx: &Ctx, person: &str) -> Result<crate::api::helpdesk::CaseNote, AppError>;

        /// Four-eyes requests: pending ones first, then the latest decided (help desk and admins).
        async fn helpdesk_requests(&self, cx: &Ctx) -> Result<Vec<crate::api::helpdesk::RequestView>, AppError>;

        /// Approve (and execute, exactly once) or reject someone else's request (fresh re-authentication).
        async fn helpdesk_decide(&self, cx: &Ctx, id: &str, approve: bool) -> Result<Option<crate::domain::OneTimeSecret>, AppError>;
    }
}
