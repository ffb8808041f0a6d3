//! "My activity": the signed-in person's notifications, portal sign-ins, sessions (with sign-out), the
//! last use of each of their credentials, and the history of changes to them.

use crate::domain::*;
use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationView {
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub kind: notices::NoticeKind,
    pub title: String,
    pub body: String,
    pub link: Option<String>,
    pub read: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignInView {
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub succeeded: bool,
    pub ip: Option<String>,
    pub browser: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionView {
    /// Opaque: never the session id (that is the cookie).
    pub handle: String,
    pub current: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub signed_in_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub last_seen: OffsetDateTime,
    pub ip: Option<String>,
    pub browser: Option<String>,
}

/// One credential and when it was last used, as far as IAM says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageView {
    pub what: String,
    pub status: String,
    pub last_used: String,
}

/// A session of a work role keydesk issued the person, until it expires (from the ledger: never the
/// secret or the token).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemporarySessionView {
    pub role: String,
    pub role_arn: String,
    /// `ASIA…`: what CloudTrail records for the session's calls.
    pub access_key_id: String,
    #[serde(with = "time::serde::rfc3339")]
    pub issued_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryView {
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub actor: String,
    pub by_you: bool,
    pub action: String,
    pub subject: Option<String>,
    pub outcome: String,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivityView {
    pub notifications: Vec<NotificationView>,
    pub unread: i64,
    pub sign_ins: Vec<SignInView>,
    pub sessions: Vec<SessionView>,
    /// The credentials' last use; an error when IAM could not be read (the rest still shows).
    pub usage: Result<Vec<UsageView>, AppError>,
    pub history: Vec<HistoryView>,
    /// Temporary credentials issued to the person that have not expired yet, newest first.
    pub temporary_sessions: Vec<TemporarySessionView>,
    /// Whether notices also reach this person by e-mail.
    pub email: Option<String>,
}

#[server(endpoint = "get_activity")]
pub async fn get_activity() -> Result<ActivityView, AppError> {
    use crate::ssr::*;
    page_read("activity", |port, cx| async move { port.activity(&cx).await }).await
}

/// Mark every notification read.
#[server(endpoint = "mark_notifications_read")]
pub async fn mark_notifications_read() -> Result<(), AppError> {
    use crate::{api::port, ssr::*};
    respond(port()?.mark_notifications_read(&ctx()?).await)
}

/// Sign out one of the caller's other sessions (by its handle), or with `handle` = "others", all of
/// them but this one. Returns how many ended.
#[server(endpoint = "end_sessions")]
pub async fn end_sessions(handle: String) -> Result<u64, AppError> {
    use crate::{api::port, ssr::*};
    respond(port()?.end_sessions(&ctx()?, &handle).await)
}

/// Change the caller's keydesk (portal) password: the current one, the new one twice; by default every
/// other session is signed out. Returns how many other sessions ended.
#[server(endpoint = "change_portal_password")]
pub async fn change_portal_password(
    current: Password,
    new_password: Password,
    repeat_password: Password,
    sign_out_others: Option<String>,
) -> Result<u64, AppError> {
    use crate::{api::port, ssr::*};
    let others = sign_out_others.is_some_and(|v| v != "false");
    respond(port()?.change_portal_password(&ctx()?, &current, &new_password, &repeat_password, others).await)
}

/// What the server does for these functions: The caller's activity: notices, the keydesk password and sessions. Implemented by the server's portal
/// (`server/src/portal/`), reached through [`crate::api::port`].
#[cfg(feature = "ssr")]
pub use port::ActivityPort;

#[cfg(feature = "ssr")]
mod port {
    use crate::domain::Password;
    use crate::error::AppError;
    use crate::ssr::Ctx;

    #[async_trait::async_trait]
    pub trait ActivityPort: Send + Sync {
        /// "My activity" of the caller.
        async fn activity(&self, cx: &Ctx) -> Result<crate::api::activity::ActivityView, AppError>;

        /// Change the caller's portal password (current password required); optionally end every other
        /// session. Returns how many ended.
        async fn change_portal_password(
            &self,
            cx: &Ctx,
            current: &Password,
            new: &Password,
            repeat: &Password,
            sign_out_others: bool,
        ) -> Result<u64, AppError>;

        async fn mark_notifications_read(&self, cx: &Ctx) -> Result<(), AppError>;

        /// End one other session of the caller (by handle), or all others (`"others"`).
        async fn end_sessions(&self, cx: &Ctx, handle: &str) -> Result<u64, AppError>;
    }
}
