//! The port implementation: keydesk's own rules (who may act on whom, sign-in, audit) on top of the
//! database and the IAM backend. Infrastructure errors are logged once here under an incident id and
//! leave as `AppError::Internal`; nothing else about them crosses the wire.

use crate::audit::AuditEvent;
use crate::auth::admission::{Asker, Checked};
use crate::auth::password::Hasher;
use crate::auth::{ClientInfo, SessionAuth, SESSION_KEY};
use crate::clock::SharedClock;
use crate::config::Config;
use crate::db::Db;
use crate::iam::embedded::EmbeddedIam;
use crate::iam::{Caller, IamBackend, IamError};
use app::api::admin::PortalAccountSummary;
use app::api::credentials::{AccessKeyView, CredentialsOverview};
use app::domain::entitlements::Capability;
use app::domain::{AccessKeyId, AccessKeySummary, BackendKind, CreatedAccessKey, Frame, IamUserName, Password, SetStatus, Viewer};
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
    /// The administrators' cached credential report.
    pub review: crate::review::ReviewCache,
    /// Employees' IAM groups, cached briefly (entitlements depend on them).
    pub groups: crate::entitlements::GroupCache,
    /// SMTP for notices, when configured.
    pub mailer: Option<crate::notices::Mailer>,
    /// Woken when an e-mail is queued, so delivery does not wait for the next pass.
    pub mail_waiting: tokio::sync::Notify,
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
    /// Write the final audit record of an idempotent mutation and translate its result.
    pub(crate) async fn finish(
        &self,
        intent: crate::mutation::Intent,
        result: Result<(), IamError>,
        context: &str,
    ) -> Result<(), AppError> {
        match result {
            Ok(()) => {
                self.audit_final(intent, "success", None, None).await;
                Ok(())
            }
            Err(e) => {
                self.audit_final(intent, "failure", None, Some(e.to_string())).await;
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
                self.audit_final(intent, "success", Some(id), detail).await;
                Ok(created)
            }
            Err(IamError::Ambiguous(cause)) => {
                let (outcome, message) = self.reconcile_key_create(&caller, me, &before).await;
                self.audit_final(intent, outcome, None, Some(cause)).await;
                Err(AppError::Ambiguous { message })
            }
            Err(e) => {
                self.audit_final(intent, "failure", None, Some(e.to_string())).await;
                Err(iam_error("creating an access key", e))
            }
        }
    }

    /// After an ambiguous create: look (with bounded back-off, IAM is eventually consistent) for a key
    /// that appeared; nobody has its secret, so deactivate and delete it.
    async fn reconcile_key_create(&self, caller: &Caller, me: &IamUserName, before: &[AccessKeySummary]) -> (&'static str, String) {
        for pause_ms in [0u64, 200, 600, 1800] {
            tokio::time::sleep(std::time::Duration::from_millis(pause_ms)).await;
            let Ok(now) = self.iam.list_access_keys(caller, me).await else {
                continue;
            };
            let orphans: Vec<_> = now.iter().filter(|k| !before.iter().any(|b| b.id == k.id)).collect();
            if orphans.is_empty() && pause_ms > 0 {
                return ("resolved_not_created", "No key was created. You can try again.".into());
            }
            for orphan in orphans {
                if self.delete_unseen_key(caller, me, &orphan.id).await {
                    tracing::warn!(key = %orphan.id, "deleted an access key whose secret was lost in transit");
                    return (
                        "orphan_deleted",
                        format!("A key ({}) was created but its secret was lost on the way, so keydesk deleted it. Nothing is active that you have not seen. You can try again.", orphan.id),
                    );
                }
            }
        }
        tracing::error!(user = %me, "could not reconcile an ambiguous access-key create");
        ("unresolved", "Check your keys below before trying again, and delete any key whose secret you never saw.".into())
    }

    /// Deactivate, then delete, a key whose secret nobody saw (IAM deletes only inactive keys); whether
    /// it is gone. Shared by the reconciliation of a lost answer and the settling of an interrupted create.
    pub(crate) async fn delete_unseen_key(&self, caller: &Caller, user: &IamUserName, id: &app::domain::AccessKeyId) -> bool {
        self.iam.update_access_key(caller, user, id, SetStatus::Inactive).await.is_ok()
            && self.iam.delete_access_key(caller, user, id).await.is_ok()
    }

    pub(crate) async fn audit_sign_in(&self, req: &Parts, user: Option<&str>, action: &str, outcome: &str) {
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

#[async_trait::async_trait]
impl Port for Portal {
    async fn frame(&self, req: &Parts) -> Result<Frame, AppError> {
        let who = req.extensions.get::<Principal>();
        let viewer = who.map(|p| p.viewer.clone());
        let unread = match who {
            // A count that cannot be read is not worth failing the page for.
            Some(p) => self.db.unread_notifications(&p.viewer.iam_user.fold(), p.session_mark.as_deref()).await.unwrap_or(0),
            None => 0,
        };
        Ok(Frame { viewer, backend: self.backend, unread })
    }

    async fn sign_in(&self, req: &Parts, user: &str, password: &Password) -> Result<Viewer, AppError> {
        let account = match self.check_portal_password(req, Asker::Anonymous(user), password, "portal.sign_in").await? {
            Checked::Right(account) => account,
            Checked::Wrong => return Err(AppError::SignInFailed),
        };
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
        let (ip, agent) = client_details(req);
        let mark = uuid::Uuid::new_v4().simple().to_string();
        let auth = SessionAuth { user: account.user.to_string(), signed_in_at: at, authenticated_at: at, last_seen: at, ip, agent, mark };
        session.insert(SESSION_KEY, auth).await.map_err(|e| internal("session write failed", e))?;
        session.save().await.map_err(|e| internal("session write failed", e))?;
        self.db.touch_sign_in(&account.user, now).await.map_err(|e| internal("sign-in bookkeeping failed", e))?;
        self.audit_sign_in(req, Some(account.user.as_str()), "portal.sign_in", "success").await;
        tracing::info!(user = %account.user, "signed in");
        Ok(Viewer { user: account.user, display_name: account.display_name, role: account.role, iam_user: account.iam_user })
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

    async fn confirm_password(&self, req: &Parts, who: &Principal, password: &Password) -> Result<(), AppError> {
        // A stolen session cannot guess the password faster than a sign-in can (auth/admission.rs).
        let user = who.viewer.user.to_string();
        if let Checked::Wrong = self.check_portal_password(req, Asker::SignedIn(&who.viewer.user), password, "portal.reauth").await? {
            return Err(AppError::SignInFailed);
        }
        let session = session_of(req)?;
        let mut auth =
            session.get::<SessionAuth>(SESSION_KEY).await.map_err(|e| internal("session read failed", e))?.ok_or(AppError::NotSignedIn)?;
        let now = self.clock.now().unix_timestamp();
        auth.authenticated_at = now;
        auth.last_seen = now;
        // Step-up raises the session's privilege: give it a new id, as at sign-in.
        session.cycle_id().await.map_err(|e| internal("session rotation failed", e))?;
        session.insert(SESSION_KEY, auth).await.map_err(|e| internal("session write failed", e))?;
        session.save().await.map_err(|e| internal("session write failed", e))?;
        self.audit_sign_in(req, Some(&user), "portal.reauth", "success").await;
        Ok(())
    }

    async fn create_access_key(&self, req: &Parts, who: &Principal, description: Option<String>) -> Result<CreatedAccessKey, AppError> {
        let (caller, _) = self.entitled_caller(who, Capability::AccessKeys).await?;
        self.require_fresh_auth(who)?;
        let description = description.map(|d| d.trim().to_owned()).filter(|d| !d.is_empty());
        if let Some(d) = &description {
            if d.chars().count() > 256 {
                return Err(AppError::invalid(
                    "description",
                    format!("A description has at most 256 characters (this one has {}).", d.chars().count()),
                ));
            }
        }
        let me = who.viewer.iam_user.clone();
        self.with_user_lease(&me, self.create_key_locked(req, who, caller, &me, description)).await
    }

    async fn set_access_key_status(&self, req: &Parts, who: &Principal, key_id: &str, status: SetStatus) -> Result<(), AppError> {
        let (caller, _) = self.entitled_caller(who, Capability::AccessKeys).await?;
        let id = AccessKeyId::parse(key_id).map_err(|m| AppError::invalid("key_id", m))?;
        self.require_fresh_auth(who)?;
        let me = who.viewer.iam_user.clone();
        let action = if status == SetStatus::Active { "access_key.activate" } else { "access_key.deactivate" };
        self.with_user_lease(&me, async {
            if status == SetStatus::Active {
                if let Some(hold) = self.key_hold(who, &me, &id).await? {
                    return Err(self.refuse_reactivation(req, who, &id, &hold).await);
                }
            }
            let intent = self.audit_intent(req, who, &me, action, Some(id.to_string())).await?;
            let result = self.iam.update_access_key(&caller, &me, &id, status).await;
            self.finish(intent, result, "changing an access key's status").await
        })
        .await
    }

    async fn delete_access_key(&self, req: &Parts, who: &Principal, key_id: &str, confirm: &str) -> Result<(), AppError> {
        let (caller, _) = self.entitled_caller(who, Capability::AccessKeys).await?;
        let id = AccessKeyId::parse(key_id).map_err(|m| AppError::invalid("key_id", m))?;
        if confirm.trim() != id.as_str() {
            return Err(AppError::invalid("confirm", format!("Type the key id {id} exactly to confirm the deletion.")));
        }
        self.require_fresh_auth(who)?;
        let me = who.viewer.iam_user.clone();
        self.with_user_lease(&me, async {
            let keys = self.iam.list_access_keys(&caller, &me).await.map_err(|e| iam_error("listing keys", e))?;
            match keys.iter().find(|k| k.id == id) {
                None => return Err(AppError::NotFound { message: format!("You have no access key {id} (any more). Reload the page.") }),
                Some(k) if k.status.is_active() => {
                    return Err(AppError::NotAllowed { message: "Deactivate the key first, check nothing broke, then delete it.".into() })
                }
                Some(_) => {}
            }
            let intent = self.audit_intent(req, who, &me, "access_key.delete", Some(id.to_string())).await?;
            let result = self.iam.delete_access_key(&caller, &me, &id).await;
            if result.is_ok() {
                // The console keeps a key's description as a user tag named after it; it goes too.
                if let Err(e) = self.iam.untag_user(&caller, &me, id.as_str()).await {
                    tracing::warn!(error = %e, "the key was deleted but its description tag remains");
                }
            }
            self.finish(intent, result, "deleting an access key").await
        })
        .await
    }

    async fn change_password(&self, req: &Parts, who: &Principal, new: &Password, repeat: &Password) -> Result<(), AppError> {
        self.do_change_password(req, who, new, repeat).await
    }

    async fn start_mfa_enrolment(&self, req: &Parts, who: &Principal, name: &str) -> Result<app::api::mfa::MfaEnrolment, AppError> {
        self.do_start_mfa(req, who, name).await
    }

    async fn enable_mfa(&self, req: &Parts, who: &Principal, serial: &str, code1: &str, code2: &str) -> Result<(), AppError> {
        self.do_enable_mfa(req, who, serial, code1, code2).await
    }

    async fn cancel_mfa_enrolment(&self, req: &Parts, who: &Principal, serial: &str) -> Result<(), AppError> {
        self.do_cancel_mfa(req, who, serial).await
    }

    async fn resync_mfa(&self, req: &Parts, who: &Principal, serial: &str, code1: &str, code2: &str) -> Result<(), AppError> {
        self.do_resync_mfa(req, who, serial, code1, code2).await
    }

    async fn remove_mfa(&self, req: &Parts, who: &Principal, serial: &str, password: &Password) -> Result<(), AppError> {
        self.do_remove_mfa(req, who, serial, password).await
    }

    async fn create_git_credential(&self, req: &Parts, who: &Principal) -> Result<app::domain::CreatedServiceCredential, AppError> {
        self.do_create_git_credential(req, who).await
    }

    async fn reset_git_credential(
        &self,
        req: &Parts,
        who: &Principal,
        id: &str,
    ) -> Result<app::domain::CreatedServiceCredential, AppError> {
        self.do_reset_git_credential(req, who, id).await
    }

    async fn set_git_credential_status(&self, req: &Parts, who: &Principal, id: &str, status: SetStatus) -> Result<(), AppError> {
        self.do_set_git_credential_status(req, who, id, status).await
    }

    async fn delete_git_credential(&self, req: &Parts, who: &Principal, id: &str, confirm: &str) -> Result<(), AppError> {
        self.do_delete_git_credential(req, who, id, confirm).await
    }

    async fn create_service_credential(
        &self,
        req: &Parts,
        who: &Principal,
        service: &str,
        age_days: Option<&str>,
    ) -> Result<app::domain::CreatedServiceCredential, AppError> {
        let spec = crate::service_credentials::service(service)?;
        self.do_create_service_credential(req, who, spec, age_days).await
    }

    async fn reset_service_credential(
        &self,
        req: &Parts,
        who: &Principal,
        service: &str,
        id: &str,
    ) -> Result<app::domain::CreatedServiceCredential, AppError> {
        let spec = crate::service_credentials::service(service)?;
        self.do_reset_service_credential(req, who, spec, id).await
    }

    async fn set_service_credential_status(
        &self,
        req: &Parts,
        who: &Principal,
        service: &str,
        id: &str,
        status: SetStatus,
    ) -> Result<(), AppError> {
        let spec = crate::service_credentials::service(service)?;
        self.do_set_service_credential_status(req, who, spec, id, status).await
    }

    async fn delete_service_credential(
        &self,
        req: &Parts,
        who: &Principal,
        service: &str,
        id: &str,
        confirm: &str,
    ) -> Result<(), AppError> {
        let spec = crate::service_credentials::service(service)?;
        self.do_delete_service_credential(req, who, spec, id, confirm).await
    }

    async fn upload_ssh_key(&self, req: &Parts, who: &Principal, body: &str) -> Result<app::api::codecommit::SshKeyView, AppError> {
        self.do_upload_ssh_key(req, who, body).await
    }

    async fn set_ssh_key_status(&self, req: &Parts, who: &Principal, id: &str, status: SetStatus) -> Result<(), AppError> {
        self.do_set_ssh_key_status(req, who, id, status).await
    }

    async fn delete_ssh_key(&self, req: &Parts, who: &Principal, id: &str, confirm: &str) -> Result<(), AppError> {
        self.do_delete_ssh_key(req, who, id, confirm).await
    }

    async fn upload_signing_cert(
        &self,
        req: &Parts,
        who: &Principal,
        body: &str,
    ) -> Result<app::domain::signing_cert::SigningCertView, AppError> {
        self.do_upload_cert(req, who, body).await
    }

    async fn set_signing_cert_status(&self, req: &Parts, who: &Principal, id: &str, status: SetStatus) -> Result<(), AppError> {
        self.do_set_cert_status(req, who, id, status).await
    }

    async fn delete_signing_cert(&self, req: &Parts, who: &Principal, id: &str, confirm: &str) -> Result<(), AppError> {
        self.do_delete_cert(req, who, id, confirm).await
    }

    async fn my_credentials(&self, who: &Principal) -> Result<CredentialsOverview, AppError> {
        let me = &who.viewer.iam_user;
        let entitled = self.entitled(who).await?;
        let caller = self.caller_for(who, &entitled);
        let may = |c| entitled.may(c);
        let iam = &self.iam;
        let err = |e| iam_error("reading own credentials", e);
        // Only what the employee is entitled to is read: their session policy grants nothing else.
        let (core, mfa_devices, service_specific, ssh_keys, signing_certs) = tokio::join!(
            async {
                tokio::try_join!(
                    async { iam.get_user(&caller, me).await.map_err(err) },
                    async {
                        if !may(Capability::ConsolePassword) {
                            return Ok(None);
                        }
                        // keydesk's own record of the last change, read beside IAM's state; one that
                        // cannot be read leaves the profile's date: not worth failing the page for.
                        let fold = me.fold();
                        let (state, changed) = tokio::join!(iam.password_state(&caller, me), self.db.last_password_change(&fold));
                        state.map_err(err).map(|s| Some((s, changed.ok().flatten())))
                    },
                    async {
                        if !may(Capability::AccessKeys) {
                            return Ok((vec![], vec![]));
                        }
                        tokio::try_join!(async { iam.list_access_keys(&caller, me).await.map_err(err) }, async {
                            iam.list_user_tags(&caller, me).await.map_err(err)
                        },)
                    },
                )
            },
            async {
                if !may(Capability::Mfa) {
                    return Ok(vec![]);
                }
                iam.list_mfa_devices(&caller, me).await.map_err(err)
            },
            async {
                // One listing serves the Git section and the other services' (either entitlement
                // grants ListServiceSpecificCredentials).
                if !may(Capability::GitCredentials) && !may(Capability::ServiceCredentials) {
                    return Ok(vec![]);
                }
                iam.list_service_credentials(&caller, me, None).await.map_err(err)
            },
            async {
                if !may(Capability::SshKeys) {
                    return Ok(vec![]);
                }
                match iam.list_ssh_keys(&caller, me).await {
                    Ok(keys) => Ok(self.ssh_views(&caller, me, keys).await),
                    Err(e) => Err(err(e)),
                }
            },
            async {
                if !may(Capability::SigningCertificates) {
                    return Ok(vec![]);
                }
                iam.list_signing_certs(&caller, me).await.map_err(err).map(|c| self.cert_views(c))
            },
        );
        let git_credentials =
            if may(Capability::GitCredentials) { service_specific.clone().map(|c| self.git_views(c)) } else { Ok(vec![]) };
        let service_credentials =
            if may(Capability::ServiceCredentials) { service_specific.map(|c| self.service_views(c)) } else { Ok(vec![]) };
        let (user, password, (keys, tags)) = core?;
        let since = self.clock.now() - time::Duration::days(90);
        let helpdesk_actions = match self.db.helpdesk_actions_on(me.as_str(), since, 10).await {
            Ok(records) => records
                .into_iter()
                .map(|r| app::api::helpdesk::HelpdeskNotice {
                    at: r.at,
                    what: app::api::helpdesk::describe(&r.action, r.subject.as_deref()),
                    actor: r.actor,
                    reason: r.reason,
                })
                .collect(),
            Err(e) => {
                tracing::warn!(error = %e, "could not read help-desk actions for the credentials page");
                vec![]
            }
        };
        let now = self.clock.now();
        // One row by key, not the whole table: this page is the portal's most visited.
        let exempt_until = match self.db.exemption_until(&me.fold(), now).await {
            Ok(until) => until,
            Err(e) => {
                tracing::warn!(error = %e, "could not read key exemptions for the credentials page");
                None
            }
        };
        // Only an inactive key can be switched back on: only then are holds worth a look-up, and the
        // quarantine (one per user) is read once.
        let warn = |e: AppError| {
            tracing::warn!(error = %e, "could not tell whether a key is held");
            false
        };
        let quarantined = match keys.iter().any(|k| !k.status.is_active()) {
            true => self.quarantined(who, me).await.unwrap_or_else(warn),
            false => false,
        };
        let mut access_keys = Vec::with_capacity(keys.len());
        for key in keys {
            let (_, last_used) = iam.access_key_last_used(&caller, &key.id).await.map_err(err)?;
            let description = tags.iter().find(|(k, _)| k == key.id.as_str()).map(|(_, v)| v.clone());
            let hold = match key.status.is_active() {
                true => None,
                false if self.helpdesk_holds(&key.id).await.unwrap_or_else(warn) => Some(crate::holds::Hold::Helpdesk),
                false => quarantined.then_some(crate::holds::Hold::Quarantine),
            };
            access_keys.push(AccessKeyView {
                hold: hold.map(|h| h.explain().to_owned()),
                age_days: days_between(key.created_at, now),
                idle_days: days_between(last_used.at.unwrap_or(key.created_at), now),
                last_used_secs: last_used.at.map(|at| (now - at).whole_seconds()),
                deadline: key.status.is_active().then(|| self.config.key_policy.deadline(key.created_at, now, exempt_until)),
                key,
                last_used,
                description,
            });
        }
        Ok(CredentialsOverview {
            user,
            password: password.map(|(p, changed)| self.password_view(p, entitled.password_override, changed)),
            entitled: entitled.caps.clone(),
            signing_certs,
            ask: entitled.entitlements.ask.clone(),
            access_keys,
            mfa_devices,
            git_credentials,
            ssh_keys,
            codecommit_region: self.config.settings.codecommit_region.clone(),
            service_credentials,
            api_key_max_days: self.config.settings.api_key_max_days,
            helpdesk_actions,
        })
    }

    async fn helpdesk_find(&self, who: &Principal, query: &str) -> Result<app::api::helpdesk::HelpdeskView, AppError> {
        self.do_helpdesk_find(who, query).await
    }

    async fn helpdesk_act(
        &self,
        req: &Parts,
        who: &Principal,
        user: &str,
        action: app::api::helpdesk::HelpdeskAction,
        reason: &str,
        ticket: Option<&str>,
    ) -> Result<app::api::helpdesk::ActOutcome, AppError> {
        self.do_helpdesk_act(req, who, user, action, reason, ticket).await
    }

    async fn helpdesk_requests(&self, who: &Principal) -> Result<Vec<app::api::helpdesk::RequestView>, AppError> {
        self.do_helpdesk_requests(who).await
    }

    async fn helpdesk_decide(
        &self,
        req: &Parts,
        who: &Principal,
        id: &str,
        approve: bool,
    ) -> Result<Option<app::domain::OneTimeSecret>, AppError> {
        self.do_helpdesk_decide(req, who, id, approve).await
    }

    async fn audit_log(&self, who: &Principal, query: &app::api::audit::AuditQuery) -> Result<app::api::audit::AuditPage, AppError> {
        self.do_audit_log(who, query).await
    }

    async fn audit_csv(&self, who: &Principal, query: &app::api::audit::AuditQuery) -> Result<(String, String), AppError> {
        self.do_audit_csv(who, query).await
    }

    async fn credential_review(
        &self,
        who: &Principal,
        query: &app::domain::review::ReviewQuery,
    ) -> Result<app::api::admin::ReviewPage, AppError> {
        self.do_credential_review(who, query).await
    }

    async fn password_policy(&self, who: &Principal) -> Result<app::domain::password_policy::EffectivePolicy, AppError> {
        self.do_password_policy(who).await
    }

    async fn update_password_policy(
        &self,
        req: &Parts,
        who: &Principal,
        input: &app::domain::policy_editor::PolicyInput,
    ) -> Result<Vec<String>, AppError> {
        self.do_set_password_policy(req, who, Some(input)).await
    }

    async fn delete_password_policy(&self, req: &Parts, who: &Principal) -> Result<(), AppError> {
        self.do_set_password_policy(req, who, None).await.map(drop)
    }

    async fn entitlements(&self, who: &Principal) -> Result<app::domain::entitlements::Entitlements, AppError> {
        self.do_entitlements(who).await
    }

    async fn update_entitlements(
        &self,
        req: &Parts,
        who: &Principal,
        input: &app::domain::entitlements::EntitlementsInput,
    ) -> Result<Vec<String>, AppError> {
        self.do_set_entitlements(req, who, input).await
    }

    async fn activity(&self, req: &Parts, who: &Principal) -> Result<app::api::activity::ActivityView, AppError> {
        self.do_activity(req, who).await
    }

    async fn change_portal_password(
        &self,
        req: &Parts,
        who: &Principal,
        current: &Password,
        new: &Password,
        repeat: &Password,
        sign_out_others: bool,
    ) -> Result<u64, AppError> {
        self.do_change_portal_password(req, who, current, new, repeat, sign_out_others).await
    }

    async fn mark_notifications_read(&self, who: &Principal) -> Result<(), AppError> {
        self.do_mark_read(who).await
    }

    async fn end_sessions(&self, req: &Parts, who: &Principal, handle: &str) -> Result<u64, AppError> {
        self.do_end_sessions(req, who, handle).await
    }

    async fn deadlines(&self, who: &Principal) -> Result<app::api::deadlines::DeadlinesView, AppError> {
        self.do_deadlines(who).await
    }

    async fn enforcement_preview(&self, who: &Principal) -> Result<Vec<app::api::deadlines::OverdueKeyView>, AppError> {
        self.do_enforcement_preview(who).await
    }

    async fn set_exemption(&self, req: &Parts, who: &Principal, user: &str, reason: &str, until: &str) -> Result<(), AppError> {
        self.do_set_exemption(req, who, user, reason, until).await
    }

    async fn remove_exemption(&self, req: &Parts, who: &Principal, user: &str) -> Result<(), AppError> {
        self.do_remove_exemption(req, who, user).await
    }

    async fn refresh_credential_review(&self, who: &Principal) -> Result<(), AppError> {
        self.do_refresh_review(who).await
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
