//! Four-eyes help desk. The actions named by `--four-eyes` (default: password reset, MFA removal, key
//! reactivation) are not executed when a help-desk member asks: a request is filed with the reason,
//! the affected person is told, and another help-desk member or an administrator approves it within
//! `--four-eyes-hours` after a fresh password confirmation. keydesk then executes it exactly once (a
//! conditional UPDATE decides among concurrent approvers, on any instance). Nobody decides their own
//! request; unapproved requests lapse. Every step is audited and told to the person.

use crate::audit::AuditEvent;
use crate::audit::Outcome;
use crate::config::FourEyes;
use crate::db::requests::RequestRow;
use crate::portal::{internal, Portal};
use app::api::helpdesk::{ActOutcome, HelpdeskAction};
use app::domain::{IamUserName, Role, SetStatus};
use app::error::AppError;
use app::ssr::Principal;
use http::request::Parts;

/// How many decided requests the list shows below the pending ones.
pub(crate) const RECENT: i64 = 20;

/// The stored form of an action under four eyes: its audit name, and what it does in words.
pub(crate) fn describe(action: &str, subject: Option<&str>, target: &str) -> String {
    let s = subject.unwrap_or_default();
    match action {
        "helpdesk.password.reset" => format!("reset the console password of {target}"),
        "helpdesk.mfa.remove" => format!("remove the MFA device {s} of {target}"),
        "helpdesk.access_key.activate" => format!("reactivate the access key {s} of {target}"),
        other => format!("{other} {s} for {target}"),
    }
}

/// The action a stored request executes.
pub(crate) fn action_of(row: &RequestRow) -> Result<HelpdeskAction, AppError> {
    let subject = row.subject.clone().unwrap_or_default();
    match row.action.as_str() {
        "helpdesk.password.reset" => Ok(HelpdeskAction::ResetPassword),
        "helpdesk.mfa.remove" => Ok(HelpdeskAction::RemoveMfa { serial: subject }),
        "helpdesk.access_key.activate" => Ok(HelpdeskAction::KeyStatus { key_id: subject, status: SetStatus::Active }),
        other => Err(internal("a stored request names an unknown action", other)),
    }
}

impl Portal {
    /// Whether `action` needs a second person under the configuration.
    pub(crate) fn needs_four_eyes(&self, action: &HelpdeskAction) -> bool {
        let on = |f: FourEyes| self.config.settings.four_eyes.contains(&f);
        match action {
            HelpdeskAction::ResetPassword => on(FourEyes::PasswordReset),
            HelpdeskAction::RemoveMfa { .. } => on(FourEyes::MfaRemoval),
            HelpdeskAction::KeyStatus { status: SetStatus::Active, .. } => on(FourEyes::KeyReactivation),
            _ => false,
        }
    }

    /// File the request instead of acting (the checks of the action itself already passed).
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn file_request(
        &self,
        req: &Parts,
        who: &Principal,
        target: &IamUserName,
        action: &str,
        subject: Option<String>,
        reason: &str,
        ticket: Option<&str>,
    ) -> Result<ActOutcome, AppError> {
        let now = self.clock.now();
        let hours = self.config.settings.four_eyes_hours;
        let row = RequestRow {
            id: uuid::Uuid::new_v4().simple().to_string()[..12].to_owned(),
            action: action.to_owned(),
            target_user: target.to_string(),
            subject: subject.clone(),
            reason: reason.to_owned(),
            ticket: ticket.map(str::to_owned),
            requested_by: who.viewer.user.to_string(),
            requested_at: now,
            expires_at: now + time::Duration::hours(i64::from(hours)),
            state: "pending".into(),
            decided_by: None,
            decided_at: None,
            outcome: None,
        };
        let what = describe(action, subject.as_deref(), target.as_str());
        let detail =
            Some(format!("request={}; expires in {hours} h{}", row.id, ticket.map(|t| format!("; ticket={t}")).unwrap_or_default()));
        let intent = self
            .audit_intent_with_reason(req, who, Some(target), "helpdesk.request.create", Some(what.clone()), Some(reason), detail)
            .await?;
        if let Err(e) = self.db.insert_request(&row).await {
            self.audit_final(intent, Outcome::Failure, None, Some(e.to_string())).await;
            return Err(internal("the request could not be stored", e));
        }
        self.audit_final(intent, Outcome::Success, None, None).await;
        Ok(ActOutcome::Requested(format!(
            "This needs a second person: the request to {what} is filed (id {}). Another help-desk member or an administrator must approve it within {hours} hours; until then nothing changes.",
            row.id
        )))
    }

    /// Requests past their time become `lapsed`, each audited and told to the person (as keydesk).
    pub(crate) async fn lapse_due(&self) {
        let lapsed = match self.db.lapse_requests(self.clock.now()).await {
            Ok(l) => l,
            Err(e) => {
                tracing::warn!(error = %e, "could not lapse expired help-desk requests");
                return;
            }
        };
        for r in lapsed {
            let event = AuditEvent {
                actor: Some("keydesk".into()),
                actor_role: Some("system".into()),
                target_user: Some(r.target_user.clone()),
                action: "helpdesk.request.lapse".into(),
                subject: Some(describe(&r.action, r.subject.as_deref(), &r.target_user)),
                outcome: Outcome::Success,
                reason: Some(format!("nobody approved it within {} hours", self.config.settings.four_eyes_hours)),
                detail: Some(format!("request={}; requested by {}", r.id, r.requested_by)),
                ..AuditEvent::default()
            };
            if let Err(e) = self.db.append_audit(self.clock.now(), &event).await {
                tracing::error!(error = %e, request = %r.id, "could not audit a lapsed request");
            }
            self.notify_change(&event, false, None).await;
        }
    }

    pub(crate) fn may_decide(who: &Principal) -> Result<(), AppError> {
        match who.viewer.role {
            Role::Helpdesk | Role::Admin => Ok(()),
            _ => Err(AppError::Forbidden),
        }
    }
}
