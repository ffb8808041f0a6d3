//! The port implementation: keydesk's own rules (who may act on whom, sign-in, audit) on top of the
//! database and the IAM backend. Infrastructure errors are logged once here under an incident id and
//! leave as `AppError::Internal`; nothing else about them crosses the wire.

use crate::audit::AuditEvent;
use crate::auth::password::Hasher;
use crate::auth::{ClientInfo, SessionAuth, SESSION_KEY};
use crate::clock::SharedClock;
use crate::config::Config;
use crate::db::Db;
use crate::iam::embedded::EmbeddedIam;
use crate::iam::{Caller, IamBackend, IamError, CODECOMMIT};
use app::api::credentials::{AccessKeyView, CredentialsOverview, PasswordView};
use app::api::admin::PortalAccountSummary;
use app::domain::{BackendKind, Frame, Password, PortalUserName, Viewer};
use app::error::AppError;
use app::ssr::{Port, Principal};
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
}

/// Log an unexpected failure with a fresh incident id and turn it into the error the user sees.
pub fn internal(context: &str, cause: impl Display) -> AppError {
    let incident = uuid::Uuid::new_v4().simple().to_string()[..12].to_owned();
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
        IamError::Conflict(_) => AppError::Conflict { message: "IAM is busy with another change to this item. Try again in a moment.".into() },
        IamError::AccessDenied(m) => {
            tracing::warn!(error = %m, context, "IAM denied the call");
            AppError::NotAllowed { message: "AWS IAM did not allow this with keydesk's role. Ask your administrator to check keydesk's IAM roles.".into() }
        }
        IamError::Throttled => AppError::IamBusy,
        IamError::Unavailable(m) => {
            tracing::warn!(error = %m, context, "IAM unavailable");
            AppError::IamUnavailable
        }
        IamError::Ambiguous(m) => AppError::Ambiguous { message: format!("Reload the page to see the current state before trying again. ({m})") },
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

fn client_of(req: &Parts) -> (Option<String>, Option<String>) {
    let info = req.extensions.get::<ClientInfo>();
    (
        info.and_then(|i| i.ip).map(|ip| ip.to_string()),
        info.map(|i| i.request_id.clone()).filter(|s| !s.is_empty()),
    )
}

impl Portal {
    async fn audit_sign_in(&self, req: &Parts, user: Option<&str>, action: &str, outcome: &str) {
        let (client_ip, request_id) = client_of(req);
        let event = AuditEvent {
            actor: user.map(str::to_owned),
            action: action.to_owned(),
            outcome: outcome.to_owned(),
            client_ip,
            request_id,
            ..AuditEvent::default()
        };
        if let Err(e) = self.db.append_audit(self.clock.now(), &event).await {
            tracing::error!(error = %e, action, "could not record audit event");
        }
    }
}

#[async_trait::async_trait]
impl Port for Portal {
    async fn frame(&self, req: &Parts) -> Result<Frame, AppError> {
        Ok(Frame { viewer: req.extensions.get::<Principal>().map(|p| p.viewer.clone()), backend: self.backend })
    }

    async fn sign_in(&self, req: &Parts, user: &str, password: &Password) -> Result<Viewer, AppError> {
        let hash_err = |e| internal("password verification failed", e);
        let account = match PortalUserName::parse(user) {
            Ok(name) => self.db.find_account(&name).await.map_err(|e| internal("account lookup failed", e))?,
            Err(_) => None,
        };
        // Unknown, disabled and malformed accounts cost one dummy verification, like a real one.
        let Some(account) = account.filter(|a| !a.disabled) else {
            self.hasher.verify_dummy(password.expose()).await.map_err(hash_err)?;
            self.audit_sign_in(req, None, "portal.sign_in", "failure").await;
            return Err(AppError::SignInFailed);
        };
        if !self.hasher.verify(&account.password_hash, password.expose()).await.map_err(hash_err)? {
            self.audit_sign_in(req, Some(account.user.as_str()), "portal.sign_in", "failure").await;
            return Err(AppError::SignInFailed);
        }
        let now = self.clock.now();
        if crate::auth::password::needs_rehash(&account.password_hash) {
            match self.hasher.hash(password.expose()).await {
                Ok(h) => {
                    let _ = self.db.set_password_hash(&account.user, &h, now).await;
                }
                Err(e) => tracing::warn!(error = %e, "rehash failed; keeping the old hash"),
            }
        }
        let session = session_of(req)?;
        // A new id on every sign-in defeats session fixation.
        session.cycle_id().await.map_err(|e| internal("session rotation failed", e))?;
        let at = now.unix_timestamp();
        let auth = SessionAuth { user: account.user.to_string(), signed_in_at: at, authenticated_at: at, last_seen: at };
        session.insert(SESSION_KEY, auth).await.map_err(|e| internal("session write failed", e))?;
        session.save().await.map_err(|e| internal("session write failed", e))?;
        self.db.touch_sign_in(&account.user, now).await.map_err(|e| internal("sign-in bookkeeping failed", e))?;
        self.audit_sign_in(req, Some(account.user.as_str()), "portal.sign_in", "success").await;
        tracing::info!(user = %account.user, "signed in");
        Ok(Viewer {
            user: account.user,
            display_name: account.display_name,
            role: account.role,
            iam_user: account.iam_user,
        })
    }

    async fn sign_out(&self, req: &Parts) -> Result<(), AppError> {
        let who = req.extensions.get::<Principal>().map(|p| p.viewer.user.to_string());
        let session = session_of(req)?;
        session.flush().await.map_err(|e| internal("session delete failed", e))?;
        if let Some(user) = who {
            self.audit_sign_in(req, Some(&user), "portal.sign_out", "success").await;
        }
        Ok(())
    }

    async fn my_credentials(&self, who: &Principal) -> Result<CredentialsOverview, AppError> {
        let me = &who.viewer.iam_user;
        let caller = Caller::SelfService { portal_user: who.viewer.user.to_string(), iam_user: me.clone() };
        let iam = &self.iam;
        let err = |e| iam_error("reading own credentials", e);
        let (core, mfa_devices, git_credentials, ssh_keys) = tokio::join!(
            async {
                tokio::try_join!(
                    async { iam.get_user(&caller, me).await.map_err(err) },
                    async { iam.password_state(&caller, me).await.map_err(err) },
                    async { iam.list_access_keys(&caller, me).await.map_err(err) },
                    async { iam.list_user_tags(&caller, me).await.map_err(err) },
                )
            },
            async { iam.list_mfa_devices(&caller, me).await.map_err(err) },
            async { iam.list_service_credentials(&caller, me, Some(CODECOMMIT)).await.map_err(err) },
            async { iam.list_ssh_keys(&caller, me).await.map_err(err) },
        );
        let (user, password, keys, tags) = core?;
        let now = self.clock.now();
        let mut access_keys = Vec::with_capacity(keys.len());
        for key in keys {
            let (_, last_used) = iam.access_key_last_used(&caller, &key.id).await.map_err(err)?;
            let description = tags.iter().find(|(k, _)| k == key.id.as_str()).map(|(_, v)| v.clone());
            access_keys.push(AccessKeyView {
                age_days: days_between(key.created_at, now),
                idle_days: days_between(last_used.at.unwrap_or(key.created_at), now),
                key,
                last_used,
                description,
            });
        }
        Ok(CredentialsOverview {
            user,
            password: PasswordView { profile: password.profile, policy: password.policy },
            access_keys,
            mfa_devices,
            git_credentials,
            ssh_keys,
        })
    }

    async fn list_portal_accounts(&self, who: &Principal) -> Result<Vec<PortalAccountSummary>, AppError> {
        if !who.viewer.role.is_admin() {
            return Err(AppError::Forbidden);
        }
        let rows = self.db.list_accounts().await.map_err(|e| internal("listing accounts failed", e))?;
        Ok(rows
            .into_iter()
            .map(|a| PortalAccountSummary {
                user: a.user,
                display_name: a.display_name,
                role: a.role,
                iam_user: a.iam_user,
                disabled: a.disabled,
                created_at: a.created_at,
                last_sign_in_at: a.last_sign_in_at,
            })
            .collect())
    }
}
