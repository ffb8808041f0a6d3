//! Four-eyes help desk. The actions named by `--four-eyes` (default: password reset, MFA removal, key
//! reactivation) are not executed when a help-desk member asks: a request is filed with the reason,
//! the affected person is told, and another help-desk member or an administrator approves it within
//! `--four-eyes-hours` after a fresh password confirmation. keydesk then executes it exactly once (a
//! conditional UPDATE decides among concurrent approvers, on any instance). Nobody decides their own
//! request; unapproved requests lapse. Every step is audited and told to the person.

use crate::audit::AuditEvent;
use crate::config::FourEyes;
use crate::db::requests::RequestRow;
use crate::iam::Caller;
use crate::portal::{internal, Portal};
use app::api::helpdesk::{ActOutcome, HelpdeskAction, RequestView};
use app::domain::{IamUserName, OneTimeSecret, Role, SetStatus};
use app::error::AppError;
use app::ssr::Principal;
use http::request::Parts;

/// How many decided requests the list shows below the pending ones.
const RECENT: i64 = 20;

/// The stored form of an action under four eyes: its audit name, and what it does in words.
fn describe(action: &str, subject: Option<&str>, target: &str) -> String {
    let s = subject.unwrap_or_default();
    match action {
        "helpdesk.password.reset" => format!("reset the console password of {target}"),
        "helpdesk.mfa.remove" => format!("remove the MFA device {s} of {target}"),
        "helpdesk.access_key.activate" => format!("reactivate the access key {s} of {target}"),
        other => format!("{other} {s} for {target}"),
    }
}

/// The action a stored request executes.
fn action_of(row: &RequestRow) -> Result<HelpdeskAction, AppError> {
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
            self.audit_final(intent, "failure", None, Some(e.to_string())).await;
            return Err(internal("the request could not be stored", e));
        }
        self.audit_final(intent, "success", None, None).await;
        Ok(ActOutcome::Requested(format!(
            "This needs a second person: the request to {what} is filed (id {}). Another help-desk member or an administrator must approve it within {hours} hours; until then nothing changes.",
            row.id
        )))
    }

    /// Requests past their time become `lapsed`, each audited and told to the person (as keydesk).
    async fn lapse_due(&self) {
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
                outcome: "success".into(),
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

    fn may_decide(who: &Principal) -> Result<(), AppError> {
        match who.viewer.role {
            Role::Helpdesk | Role::Admin => Ok(()),
            _ => Err(AppError::Forbidden),
        }
    }

    pub(crate) async fn do_helpdesk_requests(&self, who: &Principal) -> Result<Vec<RequestView>, AppError> {
        Self::may_decide(who)?;
        self.lapse_due().await;
        let rows = self.db.requests(RECENT).await.map_err(|e| internal("listing requests failed", e))?;
        let me = who.viewer.user.to_string();
        Ok(rows
            .into_iter()
            .map(|r| RequestView {
                what: describe(&r.action, r.subject.as_deref(), &r.target_user),
                mine: r.requested_by == me,
                id: r.id,
                target_user: r.target_user,
                reason: r.reason,
                ticket: r.ticket,
                requested_by: r.requested_by,
                requested_at: r.requested_at,
                expires_at: r.expires_at,
                state: r.state,
                decided_by: r.decided_by,
                outcome: r.outcome,
            })
            .collect())
    }

    pub(crate) async fn do_helpdesk_decide(
        &self,
        req: &Parts,
        who: &Principal,
        id: &str,
        approve: bool,
    ) -> Result<Option<OneTimeSecret>, AppError> {
        Self::may_decide(who)?;
        self.lapse_due().await;
        // Deciding is as sensitive as acting: a recent password check first, before anything is looked
        // up (SECURITY.md G13).
        self.require_fresh_auth(who)?;
        let row = self.db.request(id.trim()).await.map_err(|e| internal("reading a request failed", e))?;
        let row = row.ok_or_else(|| AppError::NotFound { message: format!("There is no request {}.", id.trim()) })?;
        // Four eyes are two people, not two accounts (review L6): the filer's IAM user counts as well as
        // the account name, so one person holding two keydesk accounts cannot approve their own request.
        let filer = match app::domain::PortalUserName::parse(&row.requested_by) {
            Ok(name) => self.db.find_account(&name).await.map_err(|e| internal("reading the filer's account failed", e))?,
            Err(_) => None,
        };
        let me = &who.viewer.iam_user;
        if row.requested_by == who.viewer.user.as_str() || filer.is_some_and(|f| f.iam_user.fold() == me.fold()) {
            return Err(AppError::NotAllowed {
                message: "You filed this request: another help-desk member or an administrator must decide it.".into(),
            });
        }
        if row.target_user.eq_ignore_ascii_case(me.as_str()) {
            return Err(AppError::NotAllowed { message: "This request is about your own IAM user: someone else must decide it.".into() });
        }
        match row.state.as_str() {
            "pending" => {}
            "lapsed" => {
                return Err(AppError::Conflict {
                    message: "This request lapsed: nobody approved it in time. File a new one if it is still needed.".into(),
                })
            }
            other => {
                return Err(AppError::Conflict {
                    message: format!(
                        "This request was already decided ({other}{}).",
                        row.decided_by.as_deref().map(|b| format!(" by {b}")).unwrap_or_default()
                    ),
                })
            }
        }
        let target = IamUserName::parse(&row.target_user).map_err(|e| internal("a stored request names a bad user", e))?;
        let what = describe(&row.action, row.subject.as_deref(), &row.target_user);
        let approver = who.viewer.user.to_string();
        if !approve {
            if !self.db.claim_request(&row.id, "rejected", &approver, self.clock.now()).await.map_err(|e| internal("deciding failed", e))? {
                return Err(AppError::Conflict { message: "Someone else decided this request a moment ago, or it lapsed.".into() });
            }
            let detail = Some(format!("request={}; requested by {}", row.id, row.requested_by));
            let intent = self
                .audit_intent_with_reason(req, who, Some(&target), "helpdesk.request.reject", Some(what), Some(&row.reason), detail)
                .await?;
            self.audit_final(intent, "success", None, None).await;
            return Ok(None);
        }
        // Exactly one approver gets past this line.
        if !self.db.claim_request(&row.id, "approved", &approver, self.clock.now()).await.map_err(|e| internal("deciding failed", e))? {
            return Err(AppError::Conflict { message: "Someone else decided this request a moment ago, or it lapsed.".into() });
        }
        let action = action_of(&row)?;
        // Executed through the help-desk role whoever approves (administrators' own role is read-only),
        // audited under the action's own name with both people.
        let caller = Caller::Helpdesk { portal_user: approver.clone() };
        let detail = Some(format!("request={}; requested by {}; approved by {approver}", row.id, row.requested_by));
        let result =
            self.audited_helpdesk_call(req, who, &caller, &target, &action, &row.action, row.subject.clone(), &row.reason, detail).await;
        let (state, outcome) = match &result {
            Ok(_) => ("executed", "done".to_owned()),
            Err(e) => ("failed", e.to_string()),
        };
        if let Err(e) = self.db.finish_request(&row.id, state, &outcome).await {
            tracing::error!(error = %e, request = %row.id, "could not record how a request's execution ended");
        }
        result
    }
}
