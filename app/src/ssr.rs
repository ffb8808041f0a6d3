//! Server-only glue between the server functions and the server crate. The server implements [`Port`]
//! and provides it as context; its middleware resolves the session into a [`Principal`] stored in the
//! request's extensions. Server functions stay thin: find who is asking, call the port, return.

use crate::domain::{Frame, Password, Viewer};
use crate::error::AppError;
use http::request::Parts;
use leptos::prelude::*;
use std::sync::Arc;
use time::OffsetDateTime;

pub use crate::api::admin::PortalAccountSummary;

/// The authenticated caller of a request, as established by the server's session middleware.
#[derive(Debug, Clone)]
pub struct Principal {
    pub viewer: Viewer,
    /// When the portal password was last verified in this session (sign-in or step-up).
    pub authenticated_at: OffsetDateTime,
    /// Opaque id used to correlate audit records with one request.
    pub request_id: String,
    /// The random mark of this sign-in (not the session id): notices of changes made here start read.
    pub session_mark: Option<String>,
}

/// What keydesk does, as the UI sees it. Every method receives the request (for the session, headers
/// and the principal) and returns an [`AppError`] that is safe to show.
#[async_trait::async_trait]
pub trait Port: Send + Sync + 'static {
    /// The frame every page draws: the viewer if the request carries a valid session, and the backend
    /// kind. Never fails because the caller is anonymous.
    async fn frame(&self, req: &Parts) -> Result<Frame, AppError>;

    /// Verify a portal password and, on success, start a fresh session (new session id). Every failure
    /// cause gives [`AppError::SignInFailed`]; repeated failures give [`AppError::TooManyAttempts`].
    async fn sign_in(&self, req: &Parts, user: &str, password: &Password) -> Result<Viewer, AppError>;

    /// End the session server-side; its cookie is useless afterwards. Idempotent.
    async fn sign_out(&self, req: &Parts) -> Result<(), AppError>;

    /// Step-up: verify the caller's portal password again; on success the session id is cycled and
    /// sensitive actions are allowed for the re-authentication window. Errors: `SignInFailed`.
    async fn confirm_password(&self, req: &Parts, who: &Principal, password: &Password) -> Result<(), AppError>;

    /// Create an access key for the caller's own IAM user (fresh re-authentication required). Serialised
    /// per IAM user; audited (intent before the IAM call); an ambiguous outcome is reconciled and any
    /// orphan key deleted. The secret is returned here only.
    async fn create_access_key(
        &self,
        req: &Parts,
        who: &Principal,
        description: Option<String>,
    ) -> Result<crate::domain::CreatedAccessKey, AppError>;

    /// Activate or deactivate one of the caller's own keys (fresh re-authentication, serialised, audited).
    async fn set_access_key_status(
        &self,
        req: &Parts,
        who: &Principal,
        key_id: &str,
        status: crate::domain::SetStatus,
    ) -> Result<(), AppError>;

    /// Delete one of the caller's own keys: it must be inactive and `confirm` must equal its id.
    async fn delete_access_key(&self, req: &Parts, who: &Principal, key_id: &str, confirm: &str) -> Result<(), AppError>;

    /// Set the caller's own console password (fresh re-authentication; `refusal` first, then IAM).
    async fn change_password(&self, req: &Parts, who: &Principal, new: &Password, repeat: &Password) -> Result<(), AppError>;

    /// Create a virtual MFA device for the caller (fresh re-authentication); an abandoned one of the
    /// same name is deleted first. The seed is returned here only.
    async fn start_mfa_enrolment(&self, req: &Parts, who: &Principal, name: &str) -> Result<crate::api::mfa::MfaEnrolment, AppError>;

    /// Enable a device created by `start_mfa_enrolment` with two consecutive codes.
    async fn enable_mfa(&self, req: &Parts, who: &Principal, serial: &str, code1: &str, code2: &str) -> Result<(), AppError>;

    /// Delete an unassigned device the caller started to enrol.
    async fn cancel_mfa_enrolment(&self, req: &Parts, who: &Principal, serial: &str) -> Result<(), AppError>;

    /// Resynchronise one of the caller's devices.
    async fn resync_mfa(&self, req: &Parts, who: &Principal, serial: &str, code1: &str, code2: &str) -> Result<(), AppError>;

    /// Deactivate one of the caller's devices and delete it when virtual (fresh re-authentication).
    /// Remove a device. The password is checked now, whatever the step-up window: removing a second
    /// factor always takes a fresh proof of the first.
    async fn remove_mfa(&self, req: &Parts, who: &Principal, serial: &str, password: &Password) -> Result<(), AppError>;

    /// Generate HTTPS Git credentials for CodeCommit (fresh re-authentication, lease, audit; an
    /// ambiguous create is reconciled and any credential nobody saw deleted). Password returned here only.
    async fn create_git_credential(&self, req: &Parts, who: &Principal) -> Result<crate::domain::CreatedServiceCredential, AppError>;

    /// Reset one of the caller's Git credentials; an ambiguous reset is retried once (superseding the
    /// unseen password) or else the credential is deactivated.
    async fn reset_git_credential(
        &self,
        req: &Parts,
        who: &Principal,
        id: &str,
    ) -> Result<crate::domain::CreatedServiceCredential, AppError>;

    async fn set_git_credential_status(
        &self,
        req: &Parts,
        who: &Principal,
        id: &str,
        status: crate::domain::SetStatus,
    ) -> Result<(), AppError>;

    /// Delete one of the caller's Git credentials; `confirm` must equal its Git user name.
    async fn delete_git_credential(&self, req: &Parts, who: &Principal, id: &str, confirm: &str) -> Result<(), AppError>;

    /// Generate credentials for the service with slug `service` (the services table); `age_days` is an
    /// API key's expiry. Same protocol as Git credentials; the secret is returned here only.
    async fn create_service_credential(
        &self,
        req: &Parts,
        who: &Principal,
        service: &str,
        age_days: Option<&str>,
    ) -> Result<crate::domain::CreatedServiceCredential, AppError>;

    async fn reset_service_credential(
        &self,
        req: &Parts,
        who: &Principal,
        service: &str,
        id: &str,
    ) -> Result<crate::domain::CreatedServiceCredential, AppError>;

    async fn set_service_credential_status(
        &self,
        req: &Parts,
        who: &Principal,
        service: &str,
        id: &str,
        status: crate::domain::SetStatus,
    ) -> Result<(), AppError>;

    /// Delete one of the caller's credentials of `service`; `confirm` must equal its user name or alias.
    async fn delete_service_credential(&self, req: &Parts, who: &Principal, service: &str, id: &str, confirm: &str)
        -> Result<(), AppError>;

    /// Upload an SSH public key for the caller (validated first; never echoes or logs the input).
    async fn upload_ssh_key(&self, req: &Parts, who: &Principal, body: &str) -> Result<crate::api::codecommit::SshKeyView, AppError>;

    async fn set_ssh_key_status(&self, req: &Parts, who: &Principal, id: &str, status: crate::domain::SetStatus) -> Result<(), AppError>;

    /// Delete one of the caller's SSH keys; `confirm` must equal its id.
    async fn delete_ssh_key(&self, req: &Parts, who: &Principal, id: &str, confirm: &str) -> Result<(), AppError>;

    /// Upload an X.509 signing certificate for the caller (inspected first; fresh re-authentication).
    async fn upload_signing_cert(
        &self,
        req: &Parts,
        who: &Principal,
        body: &str,
    ) -> Result<crate::domain::signing_cert::SigningCertView, AppError>;

    async fn set_signing_cert_status(
        &self,
        req: &Parts,
        who: &Principal,
        id: &str,
        status: crate::domain::SetStatus,
    ) -> Result<(), AppError>;

    /// Delete one of the caller's certificates; `confirm` must equal its id.
    async fn delete_signing_cert(&self, req: &Parts, who: &Principal, id: &str, confirm: &str) -> Result<(), AppError>;

    /// The caller's own IAM credentials (read through their own scoped IAM session).
    async fn my_credentials(&self, who: &Principal) -> Result<crate::api::credentials::CredentialsOverview, AppError>;

    /// Help desk: one IAM user's credentials, found by user name or access key id.
    async fn helpdesk_find(&self, who: &Principal, query: &str) -> Result<crate::api::helpdesk::HelpdeskView, AppError>;

    /// Help desk: act on `user`'s credentials (role, fresh re-authentication, a reason, not on staff).
    /// A password reset returns the generated password, once.
    async fn helpdesk_act(
        &self,
        req: &Parts,
        who: &Principal,
        user: &str,
        action: crate::api::helpdesk::HelpdeskAction,
        reason: &str,
        ticket: Option<&str>,
    ) -> Result<crate::api::helpdesk::ActOutcome, AppError>;

    /// Four-eyes requests: pending ones first, then the latest decided (help desk and admins).
    async fn helpdesk_requests(&self, who: &Principal) -> Result<Vec<crate::api::helpdesk::RequestView>, AppError>;

    /// Approve (and execute, exactly once) or reject someone else's request (fresh re-authentication).
    async fn helpdesk_decide(
        &self,
        req: &Parts,
        who: &Principal,
        id: &str,
        approve: bool,
    ) -> Result<Option<crate::domain::OneTimeSecret>, AppError>;

    /// The audit log (administrators and the help desk), one page.
    async fn audit_log(&self, who: &Principal, query: &crate::api::audit::AuditQuery) -> Result<crate::api::audit::AuditPage, AppError>;

    /// Every matching audit event as CSV (file name, body).
    async fn audit_csv(&self, who: &Principal, query: &crate::api::audit::AuditQuery) -> Result<(String, String), AppError>;

    /// One page of the credential review (administrators only).
    async fn credential_review(
        &self,
        who: &Principal,
        query: &crate::domain::review::ReviewQuery,
    ) -> Result<crate::api::admin::ReviewPage, AppError>;

    /// Generate the credential report again if IAM allows it, and drop the cached one.
    async fn refresh_credential_review(&self, who: &Principal) -> Result<(), AppError>;

    /// The account password policy in force (administrators only).
    async fn password_policy(&self, who: &Principal) -> Result<crate::domain::password_policy::EffectivePolicy, AppError>;

    /// Save the account password policy (administrators, freshly authenticated); what changed.
    async fn update_password_policy(
        &self,
        req: &Parts,
        who: &Principal,
        input: &crate::domain::policy_editor::PolicyInput,
    ) -> Result<Vec<String>, AppError>;

    /// Delete the account password policy (administrators, freshly authenticated).
    async fn delete_password_policy(&self, req: &Parts, who: &Principal) -> Result<(), AppError>;

    /// The self-service entitlements (administrators only).
    async fn entitlements(&self, who: &Principal) -> Result<crate::domain::entitlements::Entitlements, AppError>;

    /// Save the entitlements a form describes (administrators, freshly authenticated); what changed.
    async fn update_entitlements(
        &self,
        req: &Parts,
        who: &Principal,
        input: &crate::domain::entitlements::EntitlementsInput,
    ) -> Result<Vec<String>, AppError>;

    /// "My activity" of the caller.
    async fn activity(&self, req: &Parts, who: &Principal) -> Result<crate::api::activity::ActivityView, AppError>;

    /// Change the caller's portal password (current password required); optionally end every other
    /// session. Returns how many ended.
    async fn change_portal_password(
        &self,
        req: &Parts,
        who: &Principal,
        current: &Password,
        new: &Password,
        repeat: &Password,
        sign_out_others: bool,
    ) -> Result<u64, AppError>;

    async fn mark_notifications_read(&self, who: &Principal) -> Result<(), AppError>;

    /// End one other session of the caller (by handle), or all others (`"others"`).
    async fn end_sessions(&self, req: &Parts, who: &Principal, handle: &str) -> Result<u64, AppError>;

    /// The key-deadline policy, exemptions, e-mail delivery and the last job run (administrators).
    async fn deadlines(&self, who: &Principal) -> Result<crate::api::deadlines::DeadlinesView, AppError>;

    /// What enforcement would deactivate now (administrators).
    async fn enforcement_preview(&self, who: &Principal) -> Result<Vec<crate::api::deadlines::OverdueKeyView>, AppError>;

    /// Exempt an IAM user's keys from the deadline until a date (administrators, freshly authenticated).
    async fn set_exemption(&self, req: &Parts, who: &Principal, user: &str, reason: &str, until: &str) -> Result<(), AppError>;

    async fn remove_exemption(&self, req: &Parts, who: &Principal, user: &str) -> Result<(), AppError>;

    /// Portal accounts, for administrators. Fails with `Forbidden` for anyone else.
    async fn list_portal_accounts(&self, who: &Principal) -> Result<Vec<PortalAccountSummary>, AppError>;
}

/// The port as stored in the Leptos context.
#[derive(Clone)]
pub struct PortHandle(pub Arc<dyn Port>);

/// Answers read once per page render. Leptos may run a page's components more than once while
/// rendering it on the server (a `Transition` whose resource settles mid-render runs its children
/// again), and each run creates its resources anew. A read whose answer changes from one moment to the
/// next (the review's per-user details, arriving in the background) then renders one answer and
/// serialises another for hydration, and the browser's hydration panics on the difference. Such reads
/// go through [`RenderMemo::read`]: every run of one render gets the first answer.
#[derive(Clone, Default)]
pub struct RenderMemo(Arc<std::sync::Mutex<std::collections::HashMap<String, Arc<dyn std::any::Any + Send + Sync>>>>);

impl RenderMemo {
    /// `read`'s answer, taken once per render for `key` (the first answer stored wins; outside a page
    /// render — a server function called by the browser — it is simply read).
    pub async fn read<T, F>(key: String, read: F) -> T
    where
        T: Clone + Send + Sync + 'static,
        F: std::future::Future<Output = T>,
    {
        let Some(memo) = use_context::<RenderMemo>() else { return read.await };
        let stored = |memo: &RenderMemo| {
            memo.0.lock().ok().and_then(|m| m.get(&key).and_then(|v| v.clone().downcast::<T>().ok())).map(|v| (*v).clone())
        };
        if let Some(v) = stored(&memo) {
            return v;
        }
        let fresh = read.await;
        if let Ok(mut m) = memo.0.lock() {
            m.entry(key.clone()).or_insert_with(|| Arc::new(fresh.clone()));
        }
        stored(&memo).unwrap_or(fresh)
    }
}

/// A programming error (the server forgot to provide something): logged under a fresh incident id.
fn incident(what: &str) -> AppError {
    let incident = uuid::Uuid::new_v4().simple().to_string()[..12].to_owned();
    tracing::error!(incident = %incident, "{what} missing from the request context");
    AppError::Internal { incident }
}

// Each helper below goes through `respond`, so a server function may use `?` on it and still answer
// with the right status code.

pub fn port() -> Result<Arc<dyn Port>, AppError> {
    respond(use_context::<PortHandle>().map(|h| h.0).ok_or_else(|| incident("port")))
}

pub fn request() -> Result<Parts, AppError> {
    respond(use_context::<Parts>().ok_or_else(|| incident("request parts")))
}

/// The signed-in caller, or `NotSignedIn` (401).
pub fn principal() -> Result<Principal, AppError> {
    respond(request()?.extensions.get::<Principal>().cloned().ok_or(AppError::NotSignedIn))
}

/// Finish a server function: an error sets the matching HTTP status on the response. Plain HTML form
/// posts (no JavaScript) are left alone: Leptos answers them with a 302 back to the form, carrying the
/// error in the URL, and a 4xx status would stop the browser from following it.
pub fn respond<T>(result: Result<T, AppError>) -> Result<T, AppError> {
    if let Err(e) = &result {
        let html_form_post = use_context::<Parts>().is_some_and(|p| {
            p.method == http::Method::POST
                && p.headers.get(http::header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|a| a.contains("text/html"))
        });
        if let (false, Some(res)) = (html_form_post, use_context::<leptos_axum::ResponseOptions>()) {
            res.set_status(e.status());
        }
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::future::Future;
    use std::task::{Context, Poll, Waker};

    /// The answer of a future that is ready at once (the reads below are).
    fn now<T>(f: impl Future<Output = T>) -> T {
        match std::pin::pin!(f).poll(&mut Context::from_waker(Waker::noop())) {
            Poll::Ready(v) => v,
            Poll::Pending => unreachable!("these reads are ready at once"),
        }
    }

    #[test]
    fn every_run_of_one_render_gets_the_first_answer() {
        Owner::new().with(|| {
            provide_context(RenderMemo::default());
            assert_eq!(now(RenderMemo::read("review".into(), async { "3 of 9" })), "3 of 9");
            assert_eq!(now(RenderMemo::read("review".into(), async { "8 of 9" })), "3 of 9", "a second run renders the first answer");
            assert_eq!(now(RenderMemo::read("other".into(), async { "x" })), "x");
        });
        let outside = Owner::new().with(|| now(RenderMemo::read("review".into(), async { "9 of 9" })));
        assert_eq!(outside, "9 of 9", "another request (or a server-function call) reads afresh");
    }
}
