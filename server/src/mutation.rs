//! The protocol every credential mutation follows (SECURITY.md §1.3):
//! 1. the caller re-authenticated within the window (step-up);
//! 2. mutations for one IAM user are serialised by a database lease (all instances);
//! 3. the audit intent is committed BEFORE IAM is called — if that write fails, IAM is not called;
//! 4. exactly one final audit record follows, whatever happens;
//! 5. an ambiguous create is reconciled by listing: a credential nobody saw is deleted.

use crate::audit::AuditEvent;
use crate::auth::ClientInfo;
use crate::portal::{internal, Portal};
use app::domain::IamUserName;
use app::error::AppError;
use app::ssr::Principal;
use http::request::Parts;
use std::time::Duration;

/// How long a request waits for another change to the same IAM user to finish.
const LEASE_PATIENCE: Duration = Duration::from_secs(15);

/// One audited mutation in progress.
pub struct Intent {
    intent_id: i64,
    base: AuditEvent,
    /// The change is the caller's own (their portal account acts for the target IAM user).
    by_owner: bool,
}

impl Portal {
    /// Refuse sensitive actions when the last password check is older than the window.
    pub fn require_fresh_auth(&self, who: &Principal) -> Result<(), AppError> {
        let window = time::Duration::minutes(i64::from(self.config.settings.reauth_window_minutes));
        if self.clock.now() - who.authenticated_at > window {
            return Err(AppError::ReauthRequired);
        }
        Ok(())
    }

    /// Run `f` holding the lease on `user`'s credentials.
    pub async fn with_user_lease<T>(
        &self,
        user: &IamUserName,
        f: impl std::future::Future<Output = Result<T, AppError>>,
    ) -> Result<T, AppError> {
        let holder = uuid::Uuid::new_v4().simple().to_string();
        let key = user.fold();
        let clock = self.clock.clone();
        let got = self
            .db
            .lease(&key, &holder, move || clock.now().unix_timestamp(), LEASE_PATIENCE)
            .await
            .map_err(|e| internal("taking the per-user lease failed", e))?;
        if !got {
            return Err(AppError::Conflict {
                message: "Another change to these credentials is still in progress. Try again in a moment.".into(),
            });
        }
        let out = f.await;
        if let Err(e) = self.db.release_lease(&key, &holder).await {
            // The lease expires by itself; a failed release only delays the next change.
            tracing::warn!(error = %e, "releasing the per-user lease failed");
        }
        out
    }

    /// Record the intent of a mutation. If this fails, the caller must not call IAM.
    pub async fn audit_intent(
        &self,
        req: &Parts,
        who: &Principal,
        target: &IamUserName,
        action: &str,
        subject: Option<String>,
    ) -> Result<Intent, AppError> {
        self.audit_intent_with_reason(req, who, Some(target), action, subject, None, None).await
    }

    /// [`Portal::audit_intent`] with a reason (help-desk actions) and a detail that the final record
    /// repeats (a ticket reference, a policy's values before and after).
    #[allow(clippy::too_many_arguments)]
    pub async fn audit_intent_with_reason(
        &self,
        req: &Parts,
        who: &Principal,
        target: Option<&IamUserName>,
        action: &str,
        subject: Option<String>,
        reason: Option<&str>,
        detail: Option<String>,
    ) -> Result<Intent, AppError> {
        let info = req.extensions.get::<ClientInfo>();
        let base = AuditEvent {
            actor: Some(who.viewer.user.to_string()),
            actor_role: Some(who.viewer.role.as_str().to_owned()),
            target_user: target.map(ToString::to_string),
            action: action.to_owned(),
            subject,
            outcome: "pending".into(),
            reason: reason.map(str::to_owned),
            detail,
            request_id: info.map(|i| i.request_id.clone()).filter(|s| !s.is_empty()),
            client_ip: info.and_then(|i| i.ip).map(|ip| ip.to_string()),
            ..AuditEvent::default()
        };
        let intent_id = self
            .db
            .append_audit(self.clock.now(), &base)
            .await
            .map_err(|e| internal("writing the audit intent failed; IAM was not called", e))?;
        let by_owner = target.is_some_and(|t| t.fold() == who.viewer.iam_user.fold());
        Ok(Intent { intent_id, base, by_owner })
    }

    /// Record how a mutation ended. Logged loudly if it cannot be written: the pending intent then
    /// remains as evidence for the start-up reconciliation. A successful change to someone's
    /// credentials is then told to them (notices.rs).
    pub async fn audit_final(&self, intent: Intent, outcome: &str, subject: Option<String>, detail: Option<String>) {
        let by_owner = intent.by_owner;
        let event = AuditEvent {
            outcome: outcome.to_owned(),
            subject: subject.or(intent.base.subject.clone()),
            detail: Some(
                [Some(format!("intent={}", intent.intent_id)), intent.base.detail.clone(), detail]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
            ..intent.base
        };
        if let Err(e) = self.db.append_audit(self.clock.now(), &event).await {
            tracing::error!(error = %e, intent = intent.intent_id, outcome, "could not write the final audit record");
        }
        if outcome == "success" && event.target_user.is_some() {
            self.notify_change(&event, by_owner).await;
        }
    }
}
