//! Keys their owner may not switch back on by self-service (SECURITY.md G25, review M2): a key the help
//! desk deactivated or reported as leaked, and every key of a user under AWS's compromised-key
//! quarantine policy. Only a help-desk action (four eyes where configured) reactivates such a key. The
//! audit log is the record of the help desk's actions, so a hold needs no state of its own: the last
//! help-desk event about the key decides. An owner's attempt is refused, audited, and told to the help
//! desk.

use crate::audit::AuditEvent;
use crate::audit::Outcome;
use crate::iam::{Caller, QUARANTINE_POLICY_ARN};
use crate::portal::{client_of, internal, Portal};
use app::domain::notices::{Notice, NoticeKind};
use app::domain::{AccessKeyId, IamUserName, Role};
use app::error::AppError;
use app::ssr::Principal;
use http::request::Parts;

/// Why a key is held.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Hold {
    /// The help desk deactivated it, or reported it as leaked.
    Helpdesk,
    /// The user carries AWS's quarantine policy.
    Quarantine,
}

impl Hold {
    /// What the owner is told, with what to do instead.
    pub fn explain(&self) -> &'static str {
        match self {
            Hold::Helpdesk => "The help desk deactivated this key because it may have leaked: you cannot switch it back on yourself. Create a replacement key (delete this one first if both key slots are used) and update your applications; if you must have this key back, ask the help desk.",
            Hold::Quarantine => "AWS's compromised-key quarantine is on your IAM user, so none of your keys can be switched back on here. Create a replacement key and update your applications; the help desk lifts the quarantine once every exposed key is off.",
        }
    }
}

/// The help-desk events that decide a hold, as the audit log names them.
const HOLDING: &[&str] = &["helpdesk.access_key.deactivate", "helpdesk.leak.notify"];
const RELEASING: &[&str] = &["helpdesk.access_key.activate"];

/// Whether the help desk holds a key, from its successful audit events in order.
pub fn held_by_helpdesk<'a>(actions: impl IntoIterator<Item = &'a str>) -> bool {
    actions.into_iter().filter(|a| HOLDING.contains(a) || RELEASING.contains(a)).last().is_some_and(|a| HOLDING.contains(&a))
}

/// `actions` as an SQL list (`'a', 'b'`): the constants above, never input.
fn sql_list(actions: &[&str]) -> String {
    actions.iter().map(|a| format!("'{a}'")).collect::<Vec<_>>().join(", ")
}

impl crate::db::Db {
    /// Whether the help desk ever recorded a leaked key of `user` (deactivated or reported one).
    pub async fn leak_recorded_for(&self, user: &IamUserName) -> Result<bool, crate::db::DbError> {
        let sql = format!(
            "SELECT COUNT(*) FROM audit_events WHERE outcome = 'success' AND LOWER(target_user) = $1 AND action IN ({})",
            sql_list(HOLDING)
        );
        let n: i64 = sqlx::query_scalar(&sql).bind(user.fold()).fetch_one(&self.pool).await?;
        Ok(n > 0)
    }

    /// Every key id the help desk holds now (its last deciding event holds it).
    pub async fn helpdesk_held_keys(&self) -> Result<std::collections::HashSet<String>, crate::db::DbError> {
        let sql = format!(
            "SELECT subject, action FROM audit_events WHERE outcome = 'success' AND subject IS NOT NULL AND action IN ({}, {}) ORDER BY id",
            sql_list(HOLDING),
            sql_list(RELEASING)
        );
        let rows: Vec<(String, String)> = sqlx::query_as(&sql).fetch_all(&self.pool).await?;
        let mut by_key: std::collections::HashMap<String, Vec<String>> = std::collections::HashMap::new();
        for (key, action) in rows {
            by_key.entry(key).or_default().push(action);
        }
        // The same rule as for one key: its last deciding event.
        Ok(by_key.into_iter().filter(|(_, actions)| held_by_helpdesk(actions.iter().map(String::as_str))).map(|(key, _)| key).collect())
    }
}

impl Portal {
    /// Why AWS's quarantine may not be lifted from `user` yet, if it may not: a key of the case (one the
    /// help desk deactivated or reported as leaked) is active, or no key was recorded as leaked while
    /// some key is active (then any of them may be the exposed one).
    pub(crate) async fn quarantine_must_stay(&self, caller: &Caller, user: &IamUserName) -> Result<Option<String>, AppError> {
        let keys = self.iam.list_access_keys(caller, user).await.map_err(|e| crate::portal::iam_error("listing access keys", e))?;
        let held = self.db.helpdesk_held_keys().await.map_err(|e| internal("reading the help desk's holds failed", e))?;
        if let Some(k) = keys.iter().find(|k| k.status.is_active() && held.contains(k.id.as_str())) {
            return Ok(Some(format!("The leaked key {} is still active: deactivate it first; the quarantine is what stops it now.", k.id)));
        }
        let recorded = self.db.leak_recorded_for(user).await.map_err(|e| internal("reading the leak case failed", e))?;
        if !recorded && keys.iter().any(|k| k.status.is_active()) {
            return Ok(Some(format!(
                "No key of {user} is recorded as leaked yet: find the exposed key by its id and deactivate it (or tell its owner) first, so the quarantine is lifted only once that key is off."
            )));
        }
        Ok(None)
    }

    /// Why the owner may not reactivate `user`'s key `id` themselves, if they may not.
    pub(crate) async fn key_hold(&self, who: &Principal, user: &IamUserName, id: &AccessKeyId) -> Result<Option<Hold>, AppError> {
        if self.helpdesk_holds(id).await? {
            return Ok(Some(Hold::Helpdesk));
        }
        Ok(self.quarantined(who, user).await?.then_some(Hold::Quarantine))
    }

    /// Whether the help desk holds key `id` (its audit events decide).
    pub(crate) async fn helpdesk_holds(&self, id: &AccessKeyId) -> Result<bool, AppError> {
        let events = self.db.events_about(id.as_str()).await.map_err(|e| internal("reading a key's history failed", e))?;
        Ok(held_by_helpdesk(events.iter().map(|(_, action, _)| action.as_str())))
    }

    /// Whether `user` carries AWS's quarantine policy: keydesk's own check, through the read-only review
    /// role (the person's session policy grants no policy listing, and keydesk's own identity may only
    /// assume roles), named after the person asking.
    pub(crate) async fn quarantined(&self, who: &Principal, user: &IamUserName) -> Result<bool, AppError> {
        let reader = Caller::admin(who.viewer.user.to_string());
        let attached = self
            .iam
            .list_attached_user_policies(&reader, user)
            .await
            .map_err(|e| crate::portal::iam_error("checking the quarantine", e))?;
        Ok(attached.iter().any(|p| p == QUARANTINE_POLICY_ARN))
    }

    /// Refuse an owner's reactivation of a held key: audited as refused, and every help-desk member is
    /// told who tried which key.
    pub(crate) async fn refuse_reactivation(&self, req: &Parts, who: &Principal, id: &AccessKeyId, hold: &Hold) -> AppError {
        let me = &who.viewer.iam_user;
        let (client_ip, request_id) = client_of(req);
        let event = AuditEvent {
            actor: Some(who.viewer.user.to_string()),
            actor_role: Some(who.viewer.role.as_str().to_owned()),
            action: "access_key.activate".into(),
            outcome: Outcome::Refused,
            target_user: Some(me.to_string()),
            subject: Some(id.to_string()),
            detail: Some(format!("held: {}", if *hold == Hold::Helpdesk { "help desk" } else { "quarantine" })),
            client_ip,
            request_id,
            ..AuditEvent::default()
        };
        if let Err(e) = self.db.append_audit(self.clock.now(), &event).await {
            tracing::error!(error = %e, "could not audit a refused reactivation");
        }
        tracing::warn!(user = %me, key = %id, "reactivation of a held key refused");
        let notice = Notice {
            kind: NoticeKind::Change,
            title: format!("{me} tried to reactivate a held access key"),
            body: format!(
                "{} (IAM user {me}) tried to switch the access key ending {} back on through self-service. keydesk refused: {}",
                who.viewer.user,
                &id.as_str()[id.as_str().len().saturating_sub(4)..],
                hold.explain()
            ),
            link: Some(format!("{}?q={me}", app::paths::HELPDESK_PATH)),
        };
        match self.db.list_accounts().await {
            Ok(accounts) => {
                for desk in accounts.iter().filter(|a| a.role == Role::Helpdesk && !a.disabled) {
                    self.notify(&desk.iam_user, &notice).await;
                }
            }
            Err(e) => tracing::error!(error = %e, "could not tell the help desk of a refused reactivation"),
        }
        AppError::NotAllowed { message: hold.explain().into() }
    }
}

#[cfg(test)]
mod tests {
    use super::held_by_helpdesk;

    #[test]
    fn the_last_help_desk_event_decides() {
        assert!(!held_by_helpdesk(["access_key.create", "access_key.deactivate"]));
        assert!(held_by_helpdesk(["access_key.create", "helpdesk.access_key.deactivate", "access_key.delete"]));
        assert!(!held_by_helpdesk(["helpdesk.access_key.deactivate", "helpdesk.access_key.activate"]));
        assert!(held_by_helpdesk(["helpdesk.access_key.activate", "helpdesk.leak.notify"]));
    }
}
