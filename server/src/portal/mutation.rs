//! The protocol every credential mutation follows (SECURITY.md §1.3):
//! 1. the caller re-authenticated within the window (step-up);
//! 2. mutations for one IAM user are serialised by a database lease (all instances);
//! 3. the audit intent is committed BEFORE IAM is called — if that write fails, IAM is not called;
//! 4. exactly one final audit record follows, whatever happens;
//! 5. an ambiguous create is reconciled by listing: a credential nobody saw is deleted;
//! 6. an intent left without its final record (keydesk killed between the intent and IAM's answer, or
//!    the final write failed past its retries) is settled later by [`Portal::settle_unfinished_intents`],
//!    at start-up and every 10 s: nothing stays pending for ever.

use crate::audit::AuditEvent;
use crate::audit::Outcome;
use crate::auth::ClientInfo;
use crate::portal::{internal, Portal};
use app::domain::IamUserName;
use app::error::AppError;
use app::ssr::Principal;
use http::request::Parts;
use std::time::Duration;

/// The pauses between attempts to write a final audit record (~8 s in all).
const FINAL_WRITE_PAUSES_MS: [u64; 5] = [250, 500, 1000, 2000, 4000];

/// How long a request waits for another change to the same IAM user to finish.
const LEASE_PATIENCE: Duration = Duration::from_secs(15);

/// How the person proved who they are for a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proof {
    /// A password check within `--reauth-window-minutes` (sign-in or step-up).
    StepUpWindow,
    /// The password given with this very request, checked before the change (removing an MFA device).
    PasswordWithRequest,
}

/// One audited mutation in progress.
pub struct Intent {
    intent_id: i64,
    base: AuditEvent,
    /// The change is the caller's own (their portal account acts for the target IAM user).
    by_owner: bool,
    /// The acting session's mark, for an owner's change: its notice starts read in that session.
    origin: Option<String>,
}

impl Portal {
    /// The step-up window in seconds (`--reauth-window-minutes`): how recent a password check (or a
    /// sign-in at the identity provider, its `max_age`) must be.
    pub(crate) fn reauth_window_secs(&self) -> i64 {
        i64::from(self.config.settings.reauth_window_minutes) * 60
    }

    /// Refuse sensitive actions when the last password check is older than the window.
    pub fn require_fresh_auth(&self, who: &Principal) -> Result<(), AppError> {
        let window = time::Duration::seconds(self.reauth_window_secs());
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
        self.with_lease(user.fold(), f).await
    }

    /// Run `f` holding the lease `key` (an IAM user's folded name, or a key with a colon, which no
    /// user name has: `role:<arn>` for a work role's policies).
    pub async fn with_lease<T>(&self, key: String, f: impl std::future::Future<Output = Result<T, AppError>>) -> Result<T, AppError> {
        let holder = uuid::Uuid::new_v4().simple().to_string();
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
            outcome: Outcome::Pending,
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
        let origin = if by_owner { who.session_mark.clone() } else { None };
        Ok(Intent { intent_id, base, by_owner, origin })
    }

    /// Record how a mutation ended. Logged loudly if it cannot be written: the pending intent then
    /// remains as evidence for the start-up reconciliation. A successful change to someone's
    /// credentials is then told to them (notices.rs).
    pub async fn audit_final(&self, intent: Intent, outcome: Outcome, subject: Option<String>, detail: Option<String>) {
        let by_owner = intent.by_owner;
        let origin = intent.origin;
        let event = AuditEvent {
            outcome: outcome.to_owned(),
            intent_id: Some(intent.intent_id),
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
        // The database may be briefly gone (a fail-over): retry for ~8 s while the per-user lease is
        // still held, so the settling job never mistakes a finished change for an interrupted one.
        let mut written = self.db.append_audit(self.clock.now(), &event).await;
        for pause_ms in FINAL_WRITE_PAUSES_MS {
            if written.is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(pause_ms)).await;
            written = self.db.append_audit(self.clock.now(), &event).await;
        }
        if let Err(e) = written {
            tracing::error!(error = %e, intent = intent.intent_id, outcome = outcome.as_str(), "could not write the final audit record");
        }
        if outcome == Outcome::Success && event.target_user.is_some() {
            self.notify_change(&event, by_owner, origin.as_deref()).await;
        }
    }
}

/// An intent is settled once it is older than any lease, which outlasts any request: its request is
/// certainly over (finished, timed out, or its process gone).
pub const SETTLE_AFTER_SECONDS: i64 = crate::db::leases::LEASE_SECONDS + 5;
/// How far back unfinished intents are looked for (bounding the query): an intent older than this was
/// written by a keydesk that then stayed down for two weeks; it stays in the log, pending, for a person.
const LOOK_BACK_SECONDS: i64 = 14 * 86_400;

impl Portal {
    /// Give every audit intent that has no final record one: keydesk stopped (a crash, `kill -9`, a
    /// lost database) between writing the intent and recording IAM's answer. An access-key create is
    /// settled by looking: a key made since the intent whose creation no final record names had its
    /// secret shown to nobody, so it is deactivated and deleted (`orphan_deleted`); no such key means
    /// `resolved_not_created`. Any other change is recorded as `interrupted`: IAM's current state is
    /// what happened. Each intent is settled under its user's lease, so never while a change is running.
    /// Returns how many were settled.
    pub async fn settle_unfinished_intents(&self) -> Result<usize, String> {
        type Row = (i64, i64, Option<String>, Option<String>, Option<String>, String, Option<String>, Option<String>);
        let cutoff = self.clock.now().unix_timestamp() - SETTLE_AFTER_SECONDS;
        let rows: Vec<Row> = sqlx::query_as(
            // Final records name their intent in `intent_id`; those written before that column existed
            // only in `detail` (the second probe, reached only for an intent the first did not find).
            "SELECT p.id, p.at, p.actor, p.actor_role, p.target_user, p.action, p.subject, p.reason FROM audit_events p
             WHERE p.outcome = 'pending' AND p.at <= $1 AND p.at >= $2
               AND NOT EXISTS (SELECT 1 FROM audit_events f WHERE f.intent_id = p.id)
               AND NOT EXISTS (
                 SELECT 1 FROM audit_events f
                 WHERE f.id > p.id AND f.action = p.action AND f.outcome <> 'pending' AND f.intent_id IS NULL
                   AND (f.detail = ('intent=' || p.id) OR f.detail LIKE ('intent=' || p.id || ';%')))
             ORDER BY p.id LIMIT 200",
        )
        .bind(cutoff)
        .bind(cutoff - LOOK_BACK_SECONDS)
        .fetch_all(&self.db.pool)
        .await
        .map_err(|e| format!("listing unfinished intents: {e}"))?;
        let mut settled = 0;
        for (id, at, actor, actor_role, target, action, subject, reason) in rows {
            let holder = format!("settle:{}", uuid::Uuid::new_v4().simple());
            let user = target.as_deref().and_then(|t| IamUserName::parse(t).ok());
            // The same lease key as [`Portal::with_user_lease`] takes.
            let lease_key = user.as_ref().map(IamUserName::fold);
            if let Some(key) = &lease_key {
                match self.db.try_lease(key, &holder, self.clock.now().unix_timestamp()).await {
                    Ok(true) => {}
                    Ok(false) => continue, // a change to this user is running; next round
                    Err(e) => return Err(format!("taking a lease to settle intent {id}: {e}")),
                }
            }
            let (outcome, detail) = match (action.as_str(), &user) {
                ("access_key.create", Some(user)) => self.settle_key_create(user, at).await,
                _ => (Outcome::Interrupted, "keydesk stopped before IAM answered; IAM's current state is what happened".to_owned()),
            };
            let base = AuditEvent { actor, actor_role, target_user: target, action, subject, reason, ..AuditEvent::default() };
            let event = AuditEvent {
                outcome: outcome.to_owned(),
                intent_id: Some(id),
                detail: Some(format!("intent={id}; settled later: {detail}")),
                ..base
            };
            let written = self.db.append_audit(self.clock.now(), &event).await;
            if let Some(key) = &lease_key {
                let _ = self.db.release_lease(key, &holder).await;
            }
            written.map_err(|e| format!("recording how intent {id} ended: {e}"))?;
            tracing::warn!(intent = id, outcome = outcome.as_str(), action = %event.action, "settled a change keydesk was interrupted in");
            settled += 1;
        }
        Ok(settled)
    }

    /// An interrupted access-key create for `user`, intended at `at` (unix seconds).
    async fn settle_key_create(&self, user: &IamUserName, at: i64) -> (Outcome, String) {
        let caller = crate::iam::Caller::helpdesk("keydesk-settle");
        let keys = match self.iam.list_access_keys(&caller, user).await {
            Ok(k) => k,
            Err(e) => return (Outcome::Interrupted, format!("IAM could not be asked which keys exist ({e}); check {user}'s keys")),
        };
        let shown: Vec<String> = sqlx::query_scalar(
            "SELECT subject FROM audit_events WHERE action = 'access_key.create' AND outcome = 'success' AND lower(target_user) = $1 AND subject IS NOT NULL",
        )
        .bind(user.fold())
        .fetch_all(&self.db.pool)
        .await
        .unwrap_or_default();
        // IAM's clock and ours may differ by a little; a key from before the intent was shown long ago.
        let orphans: Vec<_> =
            keys.iter().filter(|k| k.created_at.unix_timestamp() >= at - 5 && !shown.iter().any(|s| s == k.id.as_str())).collect();
        if orphans.is_empty() {
            return (Outcome::ResolvedNotCreated, "no key was created".into());
        }
        let mut deleted = Vec::new();
        for k in orphans {
            if !self.delete_unseen_key(&caller, user, &k.id).await {
                return (Outcome::Interrupted, format!("key {} was created but could not be deleted; delete it by hand", k.id));
            }
            deleted.push(k.id.to_string());
        }
        (Outcome::OrphanDeleted, format!("deleted {} (created, secret shown to nobody)", deleted.join(", ")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A change holds its user's lease from before its intent to after its final record. If the lease
    /// could expire first, a second change could run beside a slow first one, and the settling job
    /// could settle an intent whose request still runs (it was 30 s against a 60 s request timeout).
    #[test]
    #[allow(clippy::assertions_on_constants)] // the constants are the point: a change to one must keep the order
    fn the_lease_outlasts_any_request_and_settling_waits_for_the_lease() {
        let longest_request = crate::http::REQUEST_TIMEOUT.as_millis() as i64 + FINAL_WRITE_PAUSES_MS.iter().sum::<u64>() as i64;
        assert!(crate::db::leases::LEASE_SECONDS * 1000 > longest_request, "{} s lease", crate::db::leases::LEASE_SECONDS);
        assert!(SETTLE_AFTER_SECONDS > crate::db::leases::LEASE_SECONDS);
    }
}
