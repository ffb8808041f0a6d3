//! Help-desk actions on other people's credentials (SECURITY.md: least privilege, audited with a
//! reason). The help desk acts through its own assumed role (`Caller::Helpdesk`); keydesk adds the rules
//! IAM cannot know: the role, a fresh password confirmation, a reason, and no action on the IAM users of
//! administrators, help-desk colleagues or oneself unless `--helpdesk-may-act-on-staff`.

use super::four_eyes::{action_of, describe, RECENT};
use crate::audit::Outcome;
use crate::iam::{Caller, IamError, CODECOMMIT, QUARANTINE_POLICY_ARN};
use crate::portal::{days_between, iam_error, internal, Portal};
use app::api::credentials::AccessKeyView;
use app::api::helpdesk::RequestView;
use app::api::helpdesk::{ActOutcome, HelpdeskAction, HelpdeskView};
use app::domain::leak::LeakCase;
use app::domain::{
    password_policy, AccessKeyId, EffectivePolicy, IamUserName, OneTimeSecret, Password, ServiceCredentialId, SetStatus, SshKeyId,
};
use app::error::AppError;
use app::ssr::Ctx;
use app::ssr::Principal;
use http::request::Parts;

/// A random console password that meets `policy` (from the OS's random source); nobody chooses it.
pub(crate) fn generated_password(policy: &EffectivePolicy, user: &IamUserName) -> String {
    use rand::Rng;
    let mut rng = rand::rngs::OsRng;
    password_policy::generate(policy, user.as_str(), |n| rng.gen_range(0..n))
}

/// The session key of the case the help desk is working on ([`Portal::remember_case`]).
const CASE_KEY: &str = "helpdesk.case";

#[derive(serde::Serialize, serde::Deserialize)]
struct CaseMemo {
    person: String,
    reason: String,
    ticket: String,
}

impl Portal {
    /// A help-desk action's reason (checked as the person will read it) and optional ticket reference.
    pub(crate) fn case_reason<'a>(reason: &'a str, ticket: Option<&'a str>) -> Result<(&'a str, Option<&'a str>), AppError> {
        let reason = app::domain::check_reason(reason).map_err(|m| AppError::invalid("reason", m))?;
        let ticket = ticket.map(str::trim).filter(|t| !t.is_empty());
        if ticket.is_some_and(|t| t.chars().count() > 100) {
            return Err(AppError::invalid("ticket", "A ticket reference has at most 100 characters."));
        }
        Ok((reason, ticket))
    }

    /// Remember the case's reason and ticket in this session for `person`: the help desk's page offers
    /// them again with the next action for the same person (asked once per case). Kept even if the
    /// action is then refused (a password confirmation first), so nothing typed is lost; never a
    /// secret, and also in the audit log with the action.
    pub(crate) async fn remember_case(req: &Parts, person: &str, reason: &str, ticket: Option<&str>) {
        let note = CaseMemo { person: person.to_owned(), reason: reason.to_owned(), ticket: ticket.unwrap_or_default().to_owned() };
        if let Ok(session) = super::session_of(req) {
            if let Err(e) = session.insert(CASE_KEY, note).await {
                tracing::warn!(error = %e, "could not remember the help-desk case in the session");
            }
        }
    }

    pub(crate) fn helpdesk_caller(&self, who: &Principal) -> Result<Caller, AppError> {
        if !who.viewer.role.is_helpdesk() {
            return Err(AppError::Forbidden);
        }
        Ok(Caller::helpdesk(who.viewer.user.to_string()))
    }

    /// Why the help desk may not act on `user`, if it may not (SECURITY.md G25, review M3). It acts
    /// only on IAM users that belong to an employee's keydesk account, or that the operators'
    /// allow-list names (`--helpdesk-allow-path`, `--helpdesk-allow-tag`); never on the caller's own,
    /// and on staff's only with `--helpdesk-may-act-on-staff`. AWS administrators and service users
    /// with no keydesk account stay out of reach, whatever the help desk's IAM role would allow.
    async fn protected_reason(&self, who: &Principal, caller: &Caller, user: &IamUserName) -> Result<Option<String>, AppError> {
        if user.fold() == who.viewer.iam_user.fold() {
            return Ok(Some("This is your own IAM user: change your credentials on My security credentials.".into()));
        }
        let accounts = self.db.list_accounts().await.map_err(|e| internal("listing accounts failed", e))?;
        let linked: Vec<_> = accounts.iter().filter(|a| a.iam_user.fold() == user.fold()).collect();
        let settings = &self.config.settings;
        if let Some(staff) = linked.iter().find(|a| a.role != app::domain::Role::Employee) {
            if !settings.helpdesk_may_act_on_staff {
                return Ok(Some(format!(
                    "{user} belongs to a keydesk {} account: the help desk cannot change staff credentials. Ask an AWS administrator.",
                    staff.role.label().to_lowercase()
                )));
            }
        }
        if !linked.is_empty() {
            return Ok(None);
        }
        let err = |e| iam_error("checking whether the help desk may act", e);
        if let Some(prefix) = &settings.helpdesk_allow_path {
            if self.iam.get_user(caller, user).await.map_err(err)?.path.starts_with(prefix.as_str()) {
                return Ok(None);
            }
        }
        if let Some((key, value)) = &settings.helpdesk_allow_tag {
            if self.iam.list_user_tags(caller, user).await.map_err(err)?.iter().any(|(k, v)| k == key && v == value) {
                return Ok(None);
            }
        }
        Ok(Some(format!(
            "{user} has no keydesk employee account and is not on the administrators' allow-list: the help desk cannot change its credentials. Ask an AWS administrator."
        )))
    }

    /// The sign-in back-off of every portal account acting for `user` (db/throttle.rs), by account name.
    async fn sign_in_pauses(&self, user: &IamUserName) -> Vec<app::api::helpdesk::SignInPause> {
        use crate::db::accounts::from_ts;
        let now = self.clock.now().unix_timestamp();
        let accounts = self.db.accounts_acting_for(&user.fold()).await.unwrap_or_else(|e| {
            tracing::warn!(error = %e, "the help desk could not read portal accounts");
            vec![]
        });
        let mut out = Vec::new();
        for account in accounts {
            let subject = crate::db::throttle::account_subject(account.as_str());
            if let Ok(Some(s)) = self.db.throttle_state(&subject, now).await {
                out.push(app::api::helpdesk::SignInPause {
                    account: account.to_string(),
                    failures: s.failures,
                    paused_until: (s.blocked_until > now).then(|| from_ts(s.blocked_until)),
                    backing_off: s.failures >= crate::db::throttle::FREE_FAILURES,
                    last_failure: from_ts(s.last_at),
                });
            }
        }
        out
    }

    /// The owner of a key keydesk deleted (the audit log names whose it was), if any.
    async fn deleted_key_owner(&self, key: &AccessKeyId) -> Option<IamUserName> {
        let events = self.db.events_about(key.as_str()).await.ok()?;
        let deleted = events.iter().any(|(_, action, _)| action.ends_with("access_key.delete"));
        let owner = events.iter().rev().find_map(|(_, _, target)| target.as_deref().and_then(|t| IamUserName::parse(t).ok()));
        deleted.then_some(owner).flatten()
    }

    /// Where the case of a leaked key stands: IAM's state of the owner's keys, the quarantine, and
    /// whether the owner was told (the audit log).
    async fn leak_case(&self, key_id: &str, keys: &[AccessKeyView], quarantined: Option<bool>) -> LeakCase {
        let leaked = keys.iter().find(|k| k.key.id.as_str() == key_id);
        let notified_at = match self.db.events_about(key_id).await {
            Ok(events) => events.iter().rev().find(|(_, action, _)| action == "helpdesk.leak.notify").map(|(at, _, _)| *at),
            Err(e) => {
                tracing::warn!(error = %e, "could not read a leaked key's audit events");
                None
            }
        };
        // The replacement: a newer key of the owner that has been used since it was created.
        let replacement = keys
            .iter()
            .filter(|k| k.key.id.as_str() != key_id && leaked.is_none_or(|l| k.key.created_at >= l.key.created_at))
            .find(|k| k.last_used.at.is_some_and(|at| at >= k.key.created_at))
            .map(|k| k.key.id.to_string());
        LeakCase {
            key_id: key_id.to_owned(),
            status: leaked.map(|k| k.key.status.clone()),
            last_used: leaked.map(|k| k.last_used.clone()),
            notified_at,
            replacement,
            quarantined,
        }
    }

    /// Execute one help-desk action on `target` under the per-user lease: the audit intent first (no
    /// IAM call if it cannot be written), then the call, then its outcome. Used for immediate actions
    /// and for approved four-eyes requests alike.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn audited_helpdesk_call(
        &self,
        req: &Parts,
        who: &Principal,
        caller: &Caller,
        target: &IamUserName,
        action: &HelpdeskAction,
        name: &str,
        subject: Option<String>,
        reason: &str,
        detail: Option<String>,
    ) -> Result<Option<OneTimeSecret>, AppError> {
        self.with_user_lease(target, async {
            let intent = self.audit_intent_with_reason(req, who, Some(target), name, subject, Some(reason), detail).await?;
            let result = self.helpdesk_call(caller, target, action).await;
            match &result {
                Ok(_) => self.audit_final(intent, Outcome::Success, None, None).await,
                Err(e) => self.audit_final(intent, Outcome::Failure, None, Some(e.to_string())).await,
            }
            result
        })
        .await
    }

    async fn helpdesk_call(
        &self,
        caller: &Caller,
        target: &IamUserName,
        action: &HelpdeskAction,
    ) -> Result<Option<OneTimeSecret>, AppError> {
        let iam = |what: &'static str| move |e| iam_error(what, e);
        match action {
            HelpdeskAction::KeyStatus { key_id, status } => {
                let id = AccessKeyId::parse(key_id.trim()).map_err(|m| AppError::invalid("key_id", m))?;
                self.iam.update_access_key(caller, target, &id, *status).await.map_err(iam("changing an access key's status"))?;
                Ok(None)
            }
            HelpdeskAction::DeleteKey { key_id } => {
                let id = AccessKeyId::parse(key_id.trim()).map_err(|m| AppError::invalid("key_id", m))?;
                let keys = self.iam.list_access_keys(caller, target).await.map_err(iam("listing access keys"))?;
                match keys.iter().find(|k| k.id == id) {
                    None => return Err(AppError::NotFound { message: format!("{target} has no access key {id} (any more).") }),
                    Some(k) if k.status.is_active() => {
                        return Err(AppError::NotAllowed {
                            message: format!("The key {id} is active: deactivate it first and delete it once nothing breaks. The help desk deletes only inactive keys."),
                        })
                    }
                    Some(_) => {}
                }
                self.iam.delete_access_key(caller, target, &id).await.map_err(iam("deleting an access key"))?;
                Ok(None)
            }
            HelpdeskAction::DeactivateGitCredential { id } => {
                let id = ServiceCredentialId::parse(id.trim()).map_err(|m| AppError::invalid("credential_id", m.to_string()))?;
                self.iam
                    .update_service_credential(caller, target, &id, SetStatus::Inactive)
                    .await
                    .map_err(iam("deactivating a Git credential"))?;
                Ok(None)
            }
            HelpdeskAction::DeactivateSshKey { id } => {
                let id = SshKeyId::parse(id.trim()).map_err(|m| AppError::invalid("key_id", m.to_string()))?;
                self.iam.update_ssh_key(caller, target, &id, SetStatus::Inactive).await.map_err(iam("deactivating an SSH key"))?;
                Ok(None)
            }
            HelpdeskAction::NotifyLeak { key_id } => {
                // Only a key of this user's (or one keydesk deleted for them) can be the subject.
                let id = AccessKeyId::parse(key_id.trim()).map_err(|m| AppError::invalid("key_id", m))?;
                let keys = self.iam.list_access_keys(caller, target).await.map_err(iam("listing access keys"))?;
                let deleted_here = self.deleted_key_owner(&id).await.is_some_and(|o| o.fold() == target.fold());
                if !keys.iter().any(|k| k.id == id) && !deleted_here {
                    return Err(AppError::NotFound { message: format!("{target} has no access key {id}.") });
                }
                // The notice itself is sent with the audit record (notify_change).
                Ok(None)
            }
            HelpdeskAction::DetachQuarantine => {
                let attached = self.iam.list_attached_user_policies(caller, target).await.map_err(iam("listing attached policies"))?;
                if !attached.iter().any(|a| a == QUARANTINE_POLICY_ARN) {
                    return Err(AppError::NotFound { message: format!("{target} is not quarantined (any more).") });
                }
                // The quarantine is what stops a leaked key that is still on (review L10): it stays
                // until the case's keys are off, and until the case names a key at all.
                if let Some(why) = self.quarantine_must_stay(caller, target).await? {
                    return Err(AppError::NotAllowed { message: why });
                }
                self.iam.detach_user_policy(caller, target, QUARANTINE_POLICY_ARN).await.map_err(iam("lifting the quarantine"))?;
                Ok(None)
            }
            HelpdeskAction::ResetPassword => {
                let state = self.iam.password_state(caller, target).await.map_err(iam("reading the password policy"))?;
                // A reset replaces a console password; it never gives console access to a user that had
                // none (review M3).
                if state.profile.is_none() {
                    return Err(AppError::NotAllowed {
                        message: format!("{target} has no console password: the help desk resets passwords, it does not create them. Ask an AWS administrator."),
                    });
                }
                let policy = state.policy;
                let password = generated_password(&policy, target);
                self.iam.set_password(caller, target, &Password::new(password.clone()), true).await.map_err(iam("resetting a password"))?;
                Ok(Some(OneTimeSecret::new(password)))
            }
            HelpdeskAction::RemoveMfa { serial } => {
                self.iam.deactivate_mfa(caller, target, serial).await.map_err(iam("removing an MFA device"))?;
                if serial.contains(":mfa/") {
                    match self.iam.delete_virtual_mfa(caller, serial).await {
                        Err(IamError::NotFound(_)) | Ok(()) => {}
                        Err(e) => return Err(iam("removing an MFA device")(e)),
                    }
                }
                Ok(None)
            }
        }
    }
}

#[async_trait::async_trait]
impl app::api::helpdesk::HelpdeskPort for Portal {
    async fn helpdesk_temporary_case(&self, cx: &Ctx, query: &str) -> Result<app::domain::temporary::TemporaryCase, AppError> {
        self.temporary_case(cx, query).await
    }

    async fn helpdesk_revoke_temporary(
        &self,
        cx: &Ctx,
        person: &str,
        role: &str,
        reason: &str,
        ticket: Option<&str>,
    ) -> Result<app::domain::temporary::RevokeOutcome, AppError> {
        self.revoke_temporary(cx, person, role, reason, ticket).await
    }

    async fn helpdesk_find(&self, cx: &Ctx, query: &str) -> Result<app::api::helpdesk::HelpdeskView, AppError> {
        let who = &cx.who;
        let caller = self.helpdesk_caller(who)?;
        let query = query.trim();
        let err = |e| iam_error("looking up a user", e);
        let (user, found_by_key) = match AccessKeyId::parse(query) {
            Ok(key) => match self.iam.access_key_last_used(&caller, &key).await {
                Ok((owner, _)) => (owner, Some(key.to_string())),
                Err(IamError::NotFound(_)) => match self.deleted_key_owner(&key).await {
                    // Deleted through keydesk: its case stays findable by the key id.
                    Some(owner) => (owner, Some(key.to_string())),
                    None => return Err(AppError::NotFound { message: format!("No IAM user in this account owns the access key {key}.") }),
                },
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
                last_used_secs: last_used.at.map(|at| (now - at).whole_seconds()),
                deadline: key.status.is_active().then(|| self.config.key_policy.deadline(key.created_at, now, None)),
                key,
                last_used,
                description: None,
                hold: None,
            });
        }
        let mfa_devices = self.iam.list_mfa_devices(&caller, &user).await.map_err(err)?;
        let login_profile = self.iam.password_state(&caller, &user).await.map_err(err)?.profile;
        let protected = self.protected_reason(who, &caller, &user).await?;
        let unavailable = |what: &str, e: IamError| iam_error(what, e).to_string();
        let git_credentials = self
            .iam
            .list_service_credentials(&caller, &user, Some(CODECOMMIT))
            .await
            .map_err(|e| unavailable("listing Git credentials", e));
        let ssh_keys = self.iam.list_ssh_keys(&caller, &user).await.map_err(|e| unavailable("listing SSH keys", e));
        let groups = self.iam.list_groups_for_user(&caller, &user).await.unwrap_or_else(|e| {
            tracing::warn!(error = %e, "the help desk could not list a user's groups");
            vec![]
        });
        let quarantined = match self.iam.list_attached_user_policies(&caller, &user).await {
            Ok(arns) => Some(arns.iter().any(|a| a == QUARANTINE_POLICY_ARN)),
            Err(e) => {
                tracing::warn!(error = %e, "the help desk could not list a user's attached policies");
                None
            }
        };
        let case = match &found_by_key {
            Some(key_id) => Some(self.leak_case(key_id, &keys, quarantined).await),
            None => None,
        };
        let sign_in_pauses = self.sign_in_pauses(&user).await;
        Ok(HelpdeskView {
            sign_in_pauses,
            user: iam_user,
            groups,
            found_by_key,
            keys,
            mfa_devices,
            login_profile,
            protected,
            git_credentials,
            ssh_keys,
            quarantined,
            case,
        })
    }

    async fn helpdesk_act(
        &self,
        cx: &Ctx,
        user: &str,
        action: app::api::helpdesk::HelpdeskAction,
        reason: &str,
        ticket: Option<&str>,
    ) -> Result<app::api::helpdesk::ActOutcome, AppError> {
        let req = &cx.req;
        let who = &cx.who;
        let caller = self.helpdesk_caller(who)?;
        let target = IamUserName::parse(user.trim()).map_err(|m| AppError::invalid("user", m.to_string()))?;
        let (reason, ticket) = Self::case_reason(reason, ticket)?;
        Self::remember_case(req, target.as_str(), reason, ticket).await;
        let (name, subject) = match &action {
            HelpdeskAction::KeyStatus { key_id, status } => {
                let id = AccessKeyId::parse(key_id.trim()).map_err(|m| AppError::invalid("key_id", m))?;
                (
                    if *status == SetStatus::Active { "helpdesk.access_key.activate" } else { "helpdesk.access_key.deactivate" },
                    Some(id.to_string()),
                )
            }
            HelpdeskAction::DeleteKey { key_id } => {
                let id = AccessKeyId::parse(key_id.trim()).map_err(|m| AppError::invalid("key_id", m))?;
                ("helpdesk.access_key.delete", Some(id.to_string()))
            }
            HelpdeskAction::ResetPassword => ("helpdesk.password.reset", None),
            HelpdeskAction::RemoveMfa { serial } => ("helpdesk.mfa.remove", Some(serial.trim().to_owned())),
            HelpdeskAction::DeactivateGitCredential { id } => {
                let id = ServiceCredentialId::parse(id.trim()).map_err(|m| AppError::invalid("credential_id", m.to_string()))?;
                ("helpdesk.git_credential.deactivate", Some(id.to_string()))
            }
            HelpdeskAction::DeactivateSshKey { id } => {
                let id = SshKeyId::parse(id.trim()).map_err(|m| AppError::invalid("key_id", m.to_string()))?;
                ("helpdesk.ssh_key.deactivate", Some(id.to_string()))
            }
            HelpdeskAction::NotifyLeak { key_id } => {
                let id = AccessKeyId::parse(key_id.trim()).map_err(|m| AppError::invalid("key_id", m))?;
                ("helpdesk.leak.notify", Some(id.to_string()))
            }
            HelpdeskAction::DetachQuarantine => ("helpdesk.quarantine.detach", Some(QUARANTINE_POLICY_ARN.to_owned())),
        };
        if let Some(why) = self.protected_reason(who, &caller, &target).await? {
            return Err(AppError::NotAllowed { message: why });
        }
        self.require_fresh_auth(who)?;
        if self.needs_four_eyes(&action) {
            return self.file_request(req, who, &target, name, subject, reason, ticket).await;
        }
        let detail = ticket.map(|t| format!("ticket={t}"));
        self.audited_helpdesk_call(req, who, &caller, &target, &action, name, subject, reason, detail).await.map(ActOutcome::Done)
    }

    async fn helpdesk_case_note(&self, cx: &Ctx, person: &str) -> Result<app::api::helpdesk::CaseNote, AppError> {
        self.helpdesk_caller(&cx.who)?;
        let memo = match super::session_of(&cx.req) {
            Ok(session) => session.get::<CaseMemo>(CASE_KEY).await.map_err(|e| internal("reading the session failed", e))?,
            Err(_) => None,
        };
        Ok(memo
            .filter(|m| m.person == person.trim())
            .map(|m| app::api::helpdesk::CaseNote { reason: m.reason, ticket: m.ticket })
            .unwrap_or_default())
    }

    async fn helpdesk_requests(&self, cx: &Ctx) -> Result<Vec<app::api::helpdesk::RequestView>, AppError> {
        let who = &cx.who;
        Self::may_decide(who)?;
        self.lapse_due().await;
        let rows = self.db.requests(RECENT).await.map_err(|e| internal("listing requests failed", e))?;
        let me = who.viewer.user.to_string();
        Ok(rows
            .into_iter()
            .map(|r| RequestView {
                what: describe(&r.action, r.subject.as_deref(), &r.target_user),
                mine: r.requested_by == me,
                answers_secret: r.action == "helpdesk.password.reset",
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

    async fn helpdesk_decide(&self, cx: &Ctx, id: &str, approve: bool) -> Result<Option<app::domain::OneTimeSecret>, AppError> {
        let req = &cx.req;
        let who = &cx.who;
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
            self.audit_final(intent, Outcome::Success, None, None).await;
            return Ok(None);
        }
        // Exactly one approver gets past this line.
        if !self.db.claim_request(&row.id, "approved", &approver, self.clock.now()).await.map_err(|e| internal("deciding failed", e))? {
            return Err(AppError::Conflict { message: "Someone else decided this request a moment ago, or it lapsed.".into() });
        }
        let action = action_of(&row)?;
        // Executed through the help-desk role whoever approves (administrators' own role is read-only),
        // audited under the action's own name with both people.
        let caller = Caller::helpdesk(approver.clone());
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
