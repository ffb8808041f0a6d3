//! The portal: keydesk's own rules (who may act on whom, sign-in, audit) on top of the database and
//! the IAM backend. Each feature port of `app::api` is implemented in the file of the same name here
//! (`api/codecommit.rs` ↔ `portal/codecommit.rs`); the change protocol is `mutation.rs`. Infrastructure errors are logged once here under an incident id and
//! leave as `AppError::Internal`; nothing else about them crosses the wire.

pub mod access_keys;
pub mod activity;
pub mod admin;
pub mod audit;
pub mod auth;
pub mod codecommit;
pub mod credentials;
pub mod deadlines;
pub mod entitlements;
pub mod four_eyes;
pub mod helpdesk;
pub mod mfa;
pub mod mutation;
pub mod password;
pub mod revocation;
pub mod services;
pub mod settings;
pub mod temporary;

use crate::audit::AuditEvent;
use crate::audit::Outcome;
use crate::auth::admission::{Asker, Checked};
use crate::auth::password::Hasher;
use crate::auth::{ClientInfo, SessionAuth, SESSION_KEY};
use crate::clock::SharedClock;
use crate::config::Config;
use crate::db::Db;
use crate::iam::embedded::EmbeddedIam;
use crate::iam::{Caller, IamBackend, IamError};
use app::domain::entitlements::Capability;
use app::domain::{AccessKeyId, AccessKeySummary, BackendKind, CreatedAccessKey, Frame, IamUserName, Password, SetStatus, Viewer};
use app::error::AppError;
use app::ssr::Principal;
use http::request::Parts;
use std::fmt::Display;
use std::sync::Arc;
use tower_sessions::Session;

pub struct Portal {
    pub db: Db,
    pub clock: SharedClock,
    pub hasher: Hasher,
    pub config: Arc<Config>,
    pub backend: BackendKind,
    pub iam: Arc<dyn IamBackend>,
    /// The embedded IAM when it is the backend (demo seeding; fault injection in tests).
    pub embedded: Option<Arc<EmbeddedIam>>,
    /// The administrators' cached credential report.
    pub review: crate::portal::admin::ReviewCache,
    /// Employees' IAM groups, cached briefly (entitlements depend on them).
    pub groups: crate::portal::entitlements::GroupCache,
    /// SMTP for notices, when configured.
    pub mailer: Option<crate::notices::Mailer>,
    /// Woken when an e-mail is queued, so delivery does not wait for the next pass.
    pub mail_waiting: tokio::sync::Notify,
    /// The OpenID Connect relying party, when an identity provider is configured.
    pub oidc: Option<Arc<crate::oidc::Oidc>>,
    /// The LDAP directory or Active Directory, when people sign in against one.
    pub directory: Option<Arc<crate::ldap::Directory>>,
}

tokio::task_local! {
    /// The request id of the request being served (set by the router's request-id layer).
    pub static REQUEST_ID: String;
}

/// Log an unexpected failure and turn it into the error the user sees. The incident id is the request's
/// id (the one in the `X-Request-Id` response header and on every log line of the request), or a fresh
/// one outside a request.
pub fn internal(context: &str, cause: impl Display) -> AppError {
    let incident = REQUEST_ID.try_with(Clone::clone).unwrap_or_else(|_| uuid::Uuid::new_v4().simple().to_string()[..12].to_owned());
    tracing::error!(incident = %incident, error = %cause, "{context}");
    AppError::Internal { incident }
}

/// Translate an IAM failure into something the person can act on. Unexpected ones are logged once,
/// under an incident id.
pub fn iam_error(context: &str, e: IamError) -> AppError {
    match e {
        IamError::NotFound(_) => AppError::NotFound {
            message: "It no longer exists in IAM: someone may have changed it meanwhile. Reload the page to see the current state.".into(),
        },
        IamError::LimitExceeded(m) => AppError::LimitExceeded { message: format!("IAM's limit is reached ({m}). Delete one first.") },
        IamError::EntityAlreadyExists(m) => AppError::Conflict { message: format!("It already exists in IAM ({m}).") },
        IamError::PolicyViolation(m) => AppError::invalid("password", m),
        IamError::InvalidAuthenticationCode(_) => AppError::invalid(
            "code",
            "Those codes were not accepted. Enter two consecutive codes from your app, without reusing codes already entered.",
        ),
        IamError::InvalidInput(m) => AppError::invalid("input", m),
        IamError::Conflict(_) => {
            AppError::Conflict { message: "IAM is busy with another change to this item. Try again in a moment.".into() }
        }
        IamError::AccessDenied(m) => {
            tracing::warn!(error = %m, context, "IAM denied the call");
            AppError::NotAllowed {
                message: "AWS IAM did not allow this with keydesk's role. Ask your administrator to check keydesk's IAM roles.".into(),
            }
        }
        IamError::Throttled => AppError::IamBusy,
        IamError::Unavailable(m) => {
            tracing::warn!(error = %m, context, "IAM unavailable");
            AppError::IamUnavailable
        }
        IamError::Ambiguous(m) => {
            AppError::Ambiguous { message: format!("Reload the page to see the current state before trying again. ({m})") }
        }
        other => internal(context, other),
    }
}

/// Whole days from `from` to `to` (never negative).
pub fn days_between(from: time::OffsetDateTime, to: time::OffsetDateTime) -> i64 {
    (to - from).whole_days().max(0)
}

fn session_of(req: &Parts) -> Result<Session, AppError> {
    req.extensions.get::<Session>().cloned().ok_or_else(|| internal("sign-in", "no session layer on the request"))
}

/// The client's IP and browser (User-Agent, at most 200 characters) as recorded for "My activity".
pub(crate) fn client_details(req: &Parts) -> (Option<String>, Option<String>) {
    let info = req.extensions.get::<ClientInfo>();
    let agent = info.and_then(|i| i.user_agent.clone()).map(|a| a.chars().filter(|c| !c.is_control()).take(200).collect());
    (info.and_then(|i| i.ip).map(|ip| ip.to_string()), agent)
}

pub(crate) fn client_of(req: &Parts) -> (Option<String>, Option<String>) {
    let info = req.extensions.get::<ClientInfo>();
    (info.and_then(|i| i.ip).map(|ip| ip.to_string()), info.map(|i| i.request_id.clone()).filter(|s| !s.is_empty()))
}

impl Portal {
    /// The identity provider's origin, which every page's CSP lets forms continue to (sign-out
    /// redirects there); `None` without a provider.
    pub fn provider_origin(&self) -> Option<String> {
        self.oidc.as_ref().and_then(|o| o.origin())
    }

    /// Write the final audit record of an idempotent mutation and translate its result.
    pub(crate) async fn finish(
        &self,
        intent: crate::portal::mutation::Intent,
        result: Result<(), IamError>,
        context: &str,
    ) -> Result<(), AppError> {
        match result {
            Ok(()) => {
                self.audit_final(intent, Outcome::Success, None, None).await;
                Ok(())
            }
            Err(e) => {
                self.audit_final(intent, Outcome::Failure, None, Some(e.to_string())).await;
                Err(iam_error(context, e))
            }
        }
    }

    /// The body of `create_access_key`, run under the user's lease.
    async fn create_key_locked(
        &self,
        req: &Parts,
        who: &Principal,
        caller: Caller,
        me: &IamUserName,
        description: Option<String>,
    ) -> Result<CreatedAccessKey, AppError> {
        let before = self.iam.list_access_keys(&caller, me).await.map_err(|e| iam_error("listing keys", e))?;
        if before.len() >= app::api::credentials::MAX_ACCESS_KEYS {
            return Err(AppError::LimitExceeded {
                message: "You already have 2 access keys (inactive ones count too). Delete one first.".into(),
            });
        }
        let intent = self.audit_intent(req, who, me, "access_key.create", None).await?;
        match self.iam.create_access_key(&caller, me).await {
            Ok(created) => {
                let id = created.key.id.to_string();
                let mut detail = None;
                if let Some(d) = &description {
                    if let Err(e) = self.iam.tag_user(&caller, me, &id, d).await {
                        tracing::warn!(error = %e, "the key was created but its description could not be saved");
                        detail = Some("description not saved".to_owned());
                    }
                }
                self.audit_final(intent, Outcome::Success, Some(id), detail).await;
                Ok(created)
            }
            Err(IamError::Ambiguous(cause)) => {
                let (outcome, message) = self.reconcile_key_create(&caller, me, &before).await;
                self.audit_final(intent, outcome, None, Some(cause)).await;
                Err(AppError::Ambiguous { message })
            }
            Err(e) => {
                self.audit_final(intent, Outcome::Failure, None, Some(e.to_string())).await;
                Err(iam_error("creating an access key", e))
            }
        }
    }

    /// After an ambiguous create: look (with bounded back-off, IAM is eventually consistent) for a key
    /// that appeared; nobody has its secret, so deactivate and delete it.
    async fn reconcile_key_create(&self, caller: &Caller, me: &IamUserName, before: &[AccessKeySummary]) -> (Outcome, String) {
        for pause_ms in [0u64, 200, 600, 1800] {
            tokio::time::sleep(std::time::Duration::from_millis(pause_ms)).await;
            let Ok(now) = self.iam.list_access_keys(caller, me).await else {
                continue;
            };
            let orphans: Vec<_> = now.iter().filter(|k| !before.iter().any(|b| b.id == k.id)).collect();
            if orphans.is_empty() && pause_ms > 0 {
                return (Outcome::ResolvedNotCreated, "No key was created. You can try again.".into());
            }
            for orphan in orphans {
                if self.delete_unseen_key(caller, me, &orphan.id).await {
                    tracing::warn!(key = %orphan.id, "deleted an access key whose secret was lost in transit");
                    return (
                        Outcome::OrphanDeleted,
                        format!("A key ({}) was created but its secret was lost on the way, so keydesk deleted it. Nothing is active that you have not seen. You can try again.", orphan.id),
                    );
                }
            }
        }
        tracing::error!(user = %me, "could not reconcile an ambiguous access-key create");
        (Outcome::Unresolved, "Check your keys below before trying again, and delete any key whose secret you never saw.".into())
    }

    /// Deactivate, then delete, a key whose secret nobody saw (IAM deletes only inactive keys); whether
    /// it is gone. Shared by the reconciliation of a lost answer and the settling of an interrupted create.
    pub(crate) async fn delete_unseen_key(&self, caller: &Caller, user: &IamUserName, id: &app::domain::AccessKeyId) -> bool {
        self.iam.update_access_key(caller, user, id, SetStatus::Inactive).await.is_ok()
            && self.iam.delete_access_key(caller, user, id).await.is_ok()
    }

    pub(crate) async fn audit_sign_in(&self, req: &Parts, user: Option<&str>, action: &str, outcome: Outcome) {
        let (client_ip, request_id) = client_of(req);
        let event = AuditEvent {
            actor: user.map(str::to_owned),
            action: action.to_owned(),
            outcome: outcome.to_owned(),
            client_ip,
            request_id,
            // The browser, for "My activity" (sign-ins are not credential changes: no reason, no subject).
            detail: client_details(req).1.map(|a| format!("browser={a}")),
            ..AuditEvent::default()
        };
        if let Err(e) = self.db.append_audit(self.clock.now(), &event).await {
            tracing::error!(error = %e, action, "could not record audit event");
        }
    }
}
