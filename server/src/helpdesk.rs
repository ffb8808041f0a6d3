//! Help-desk actions on other people's credentials (SECURITY.md: least privilege, audited with a
//! reason). The help desk acts through its own assumed role (`Caller::Helpdesk`); keydesk adds the rules
//! IAM cannot know: the role, a fresh password confirmation, a reason, and no action on the IAM users of
//! administrators, help-desk colleagues or oneself unless `--helpdesk-may-act-on-staff`.

use crate::audit::AuditEvent;
use crate::auth::ClientInfo;
use crate::iam::{Caller, IamError};
use crate::portal::{days_between, iam_error, internal, Portal};
use app::api::credentials::AccessKeyView;
use app::api::helpdesk::{HelpdeskAction, HelpdeskView};
use app::domain::{password_policy, AccessKeyId, IamUserName, OneTimeSecret, Password, SetStatus};
use app::error::AppError;
use app::ssr::Principal;
use http::request::Parts;

const MAX_REASON: usize = 500;

impl Portal {
    fn helpdesk_caller(&self, who: &Principal) -> Result<Caller, AppError> {
        if !who.viewer.role.is_helpdesk() {
            return Err(AppError::Forbidden);
        }
        Ok(Caller::Helpdesk { portal_user: who.viewer.user.to_string() })
    }

    /// Why the help desk may not act on `user`, if it may not.
    async fn protected_reason(&self, who: &Principal, user: &IamUserName) -> Result<Option<String>, AppError> {
        if user.fold() == who.viewer.iam_user.fold() {
            return Ok(Some("This is your own IAM user: change your credentials on My security credentials.".into()));
        }
        if self.config.settings.helpdesk_may_act_on_staff {
            return Ok(None);
        }
        let accounts = self.db.list_accounts().await.map_err(|e| internal("listing accounts failed", e))?;
        Ok(accounts.iter().find(|a| a.iam_user.fold() == user.fold() && a.role != app::domain::Role::Employee).map(|a| {
            format!(
                "{user} belongs to a keydesk {} account: the help desk cannot change staff credentials. Ask an AWS administrator.",
                a.role.label().to_lowercase()
            )
        }))
    }

    pub(crate) async fn do_helpdesk_find(&self, who: &Principal, query: &str) -> Result<HelpdeskView, AppError> {
        let caller = self.helpdesk_caller(who)?;
        let query = query.trim();
        let err = |e| iam_error("looking up a user", e);
        let (user, found_by_key) = match AccessKeyId::parse(query) {
            Ok(key) => match self.iam.access_key_last_used(&caller, &key).await {
                Ok((owner, _)) => (owner, Some(key.to_string())),
                Err(IamError::NotFound(_)) => {
                    return Err(AppError::NotFound { message: format!("No IAM user in this account owns the access key {key}.") })
                }
                Err(e) => return Err(err(e)),
            },
            Err(_) => {
                let user = IamUserName::parse(query)
                    .map_err(|_: app::domain::IdError| AppError::invalid("query", "Enter an IAM user name or an access key id (AKIA…)."))?;
                (user, None)
            }
        };
        let iam_user = match self.iam.get_user(&caller, &user).await {
            Ok(u) => u,
            Err(IamError::NotFound(_)) => return Err(AppError::NotFound { message: format!("There is no IAM user named {user}.") }),
            Err(e) => return Err(err(e)),
        };
        let now = self.clock.now();
        let mut keys = Vec::new();
        for key in self.iam.list_access_keys(&caller, &user).await.map_err(err)? {
            let (_, last_used) = self.iam.access_key_last_used(&caller, &key.id).await.map_err(err)?;
            keys.push(AccessKeyView {
                age_days: days_between(key.created_at, now),
                idle_days: days_between(last_used.at.unwrap_or(key.created_at), now),
                key,
                last_used,
                description: None,
            });
        }
        let mfa_devices = self.iam.list_mfa_devices(&caller, &user).await.map_err(err)?;
        let login_profile = self.iam.password_state(&caller, &user).await.map_err(err)?.profile;
        let protected = self.protected_reason(who, &user).await?;
        Ok(HelpdeskView { user: iam_user, found_by_key, keys, mfa_devices, login_profile, protected })
    }

    pub(crate) async fn do_helpdesk_act(
        &self,
        req: &Parts,
        who: &Principal,
        user: &str,
        action: HelpdeskAction,
        reason: &str,
        ticket: Option<&str>,
    ) -> Result<Option<OneTimeSecret>, AppError> {
        let caller = self.helpdesk_caller(who)?;
        let target = IamUserName::parse(user.trim()).map_err(|m| AppError::invalid("user", m.to_string()))?;
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(AppError::invalid("reason", "Give a reason: it is recorded and shown to the person."));
        }
        if reason.chars().count() > MAX_REASON {
            return Err(AppError::invalid("reason", format!("Keep the reason under {MAX_REASON} characters.")));
        }
        let ticket = ticket.map(str::trim).filter(|t| !t.is_empty());
        if ticket.is_some_and(|t| t.chars().count() > 100) {
            return Err(AppError::invalid("ticket", "A ticket reference has at most 100 characters."));
        }
        let (name, subject) = match &action {
            HelpdeskAction::KeyStatus { key_id, status } => {
                let id = AccessKeyId::parse(key_id.trim()).map_err(|m| AppError::invalid("key_id", m))?;
                (
                    if *status == SetStatus::Active { "helpdesk.access_key.activate" } else { "helpdesk.access_key.deactivate" },
                    Some(id.to_string()),
                )
            }
            HelpdeskAction::ResetPassword => ("helpdesk.password.reset", None),
            HelpdeskAction::RemoveMfa { serial } => ("helpdesk.mfa.remove", Some(serial.trim().to_owned())),
        };
        if let Some(why) = self.protected_reason(who, &target).await? {
            return Err(AppError::NotAllowed { message: why });
        }
        self.require_fresh_auth(who)?;
        self.with_user_lease(&target, async {
            let info = req.extensions.get::<ClientInfo>();
            let base = AuditEvent {
                actor: Some(who.viewer.user.to_string()),
                actor_role: Some(who.viewer.role.as_str().to_owned()),
                target_user: Some(target.to_string()),
                action: name.to_owned(),
                subject: subject.clone(),
                outcome: "pending".into(),
                reason: Some(reason.to_owned()),
                detail: ticket.map(|t| format!("ticket={t}")),
                request_id: info.map(|i| i.request_id.clone()).filter(|s| !s.is_empty()),
                client_ip: info.and_then(|i| i.ip).map(|ip| ip.to_string()),
            };
            let now = self.clock.now();
            self.db.append_audit(now, &base).await.map_err(|e| internal("writing the audit intent failed; IAM was not called", e))?;
            let result = self.helpdesk_call(&caller, &target, &action).await;
            let outcome = AuditEvent {
                outcome: if result.is_ok() { "success" } else { "failure" }.into(),
                detail: match (&result, ticket) {
                    (Err(e), Some(t)) => Some(format!("ticket={t}; {e}")),
                    (Err(e), None) => Some(e.to_string()),
                    (Ok(_), t) => t.map(|t| format!("ticket={t}")),
                },
                ..base
            };
            if let Err(e) = self.db.append_audit(self.clock.now(), &outcome).await {
                tracing::error!(error = %e, "could not write the final audit record of a help-desk action");
            }
            result.map_err(|e| iam_error("a help-desk action", e))
        })
        .await
    }

    async fn helpdesk_call(
        &self,
        caller: &Caller,
        target: &IamUserName,
        action: &HelpdeskAction,
    ) -> Result<Option<OneTimeSecret>, IamError> {
        match action {
            HelpdeskAction::KeyStatus { key_id, status } => {
                let id = AccessKeyId::parse(key_id.trim()).map_err(IamError::InvalidInput)?;
                self.iam.update_access_key(caller, target, &id, *status).await.map(|()| None)
            }
            HelpdeskAction::ResetPassword => {
                let policy = self.iam.password_state(caller, target).await?.policy;
                let password = {
                    use rand::Rng;
                    let mut rng = rand::rngs::OsRng;
                    password_policy::generate(&policy, target.as_str(), |n| rng.gen_range(0..n))
                };
                self.iam.set_password(caller, target, &Password::new(password.clone()), true).await?;
                Ok(Some(OneTimeSecret::new(password)))
            }
            HelpdeskAction::RemoveMfa { serial } => {
                self.iam.deactivate_mfa(caller, target, serial).await?;
                if serial.contains(":mfa/") {
                    match self.iam.delete_virtual_mfa(caller, serial).await {
                        Err(IamError::NotFound(_)) | Ok(()) => {}
                        Err(e) => return Err(e),
                    }
                }
                Ok(None)
            }
        }
    }
}
