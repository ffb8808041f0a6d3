//! The follow-up of temporary passwords. A help-desk reset hands someone a password that must be changed
//! at the next sign-in; if it is still unchanged after `--temp-password-hours` (IAM still requires the
//! reset), it may have leaked on its way, so keydesk resets it again to a random password nobody sees,
//! keeps the reset requirement, and tells the person and the help-desk member who made the reset. Runs
//! with the key job (one instance at a time); each reset is followed up once.

use crate::audit::AuditEvent;
use crate::audit::Outcome;
use crate::iam::Caller;
use crate::portal::Portal;
use app::domain::notices::{Notice, NoticeKind};
use app::domain::{IamUserName, Password, PortalUserName};

/// How far back resets are looked at (older ones were followed up long ago).
const LOOK_BACK_DAYS: i64 = 30;

impl Portal {
    /// Follow up every help-desk reset older than the allowed time; returns how many were reset again.
    pub async fn follow_up_temporary_passwords(&self) -> Result<usize, String> {
        let now = self.clock.now();
        let hours = self.config.settings.temp_password_hours;
        let due_before = now - time::Duration::hours(i64::from(hours));
        let resets =
            self.db.password_resets_between(now - time::Duration::days(LOOK_BACK_DAYS), due_before).await.map_err(|e| e.to_string())?;
        let caller = Caller::helpdesk("keydesk-followup");
        let mut reset_again = 0;
        for (at, target, actor) in resets {
            if self.db.followed_up_since(&target, at).await.map_err(|e| e.to_string())? {
                continue;
            }
            let Ok(user) = IamUserName::parse(&target) else { continue };
            let state = match self.iam.password_state(&caller, &user).await {
                Ok(s) => s,
                Err(e) => {
                    tracing::warn!(user = %user, error = %e, "temporary-password follow-up: could not read the login profile");
                    continue;
                }
            };
            let still_temporary = state.profile.as_ref().is_some_and(|p| p.reset_required);
            let mut event = AuditEvent {
                actor: Some("keydesk".into()),
                actor_role: Some("system".into()),
                target_user: Some(user.to_string()),
                action: "helpdesk.password.followup".into(),
                outcome: Outcome::Pending,
                reason: Some(format!("the temporary password from {actor}'s reset was not changed within {hours} hours")),
                detail: Some(format!("reset at {}", app::domain::fmt_utc(at))),
                ..AuditEvent::default()
            };
            if !still_temporary {
                // Changed in time (or the profile is gone): nothing to do, and nothing to tell.
                event.outcome = Outcome::NotNeeded;
                event.reason = Some("the temporary password was changed in time".into());
                if let Err(e) = self.db.append_audit(now, &event).await {
                    tracing::warn!(error = %e, "could not record a temporary-password check");
                }
                continue;
            }
            let intent = match self.db.append_audit(now, &event).await {
                Ok(id) => id,
                Err(e) => {
                    tracing::error!(error = %e, "temporary-password follow-up: the audit intent could not be written; IAM was not called");
                    continue;
                }
            };
            // The final record names its intent, as every other final record does (portal/mutation.rs).
            event.detail = Some(format!("intent={intent}; {}", event.detail.clone().unwrap_or_default()));
            event.intent_id = Some(intent);
            let password = crate::portal::helpdesk::generated_password(&state.policy, &user);
            let result = self.iam.set_password(&caller, &user, &Password::new(password), true).await;
            event.outcome = if result.is_ok() { Outcome::Success } else { Outcome::Failure };
            if let Err(e) = &result {
                event.detail = Some(format!("{}; {e}", event.detail.clone().unwrap_or_default()));
            }
            if let Err(e) = self.db.append_audit(self.clock.now(), &event).await {
                tracing::error!(error = %e, "temporary-password follow-up: the final audit record could not be written");
            }
            if result.is_err() {
                continue;
            }
            reset_again += 1;
            self.notify_change(&event, false, None).await;
            self.tell_helpdesk_member(&actor, &user, hours).await;
        }
        Ok(reset_again)
    }

    /// Tell the help-desk member who made the reset (through their own IAM user's notices).
    async fn tell_helpdesk_member(&self, actor: &str, user: &IamUserName, hours: u32) {
        let Ok(name) = PortalUserName::parse(actor) else { return };
        let Ok(Some(account)) = self.db.find_account(&name).await else { return };
        let notice = Notice {
            kind: NoticeKind::Change,
            title: format!("{user}'s temporary password was reset again"),
            body: format!(
                "The temporary password you gave {user} was not changed within {hours} hours, so keydesk replaced it with a random one nobody knows. {user} needs a new reset: check their identity again before handing one over."
            ),
            link: Some(format!("{}?q={user}", app::paths::HELPDESK_PATH)),
        };
        self.notify(&account.iam_user, &notice).await;
    }
}
