//! "My activity" (notifications, sign-ins, sessions, credential use, history of changes) and the
//! administrators' key-deadline page (policy, dry run, exemptions, e-mail delivery, the last job run).

use crate::auth::admission::{Asker, Checked};
use crate::auth::session_store::{DbSessionStore, SessionListing};
use crate::portal::{internal, Portal};
use app::api::activity::*;
use app::api::deadlines::*;
use app::domain::notices::NoticeKind;
use app::domain::{fmt_utc, IamUserName};
use app::error::AppError;
use app::ssr::Principal;
use http::request::Parts;
use tower_sessions::Session;

use crate::db::accounts::from_ts as at;

impl Portal {
    pub(crate) async fn do_activity(&self, req: &Parts, who: &Principal) -> Result<ActivityView, AppError> {
        let me = &who.viewer.iam_user;
        let fold = me.fold();
        let db_err = |e| internal("reading your activity failed", e);
        let notifications = self
            .db
            .notifications(&fold, 50, who.session_mark.as_deref())
            .await
            .map_err(db_err)?
            .into_iter()
            .map(|n| NotificationView {
                at: n.at,
                kind: NoticeKind::parse(&n.kind),
                title: n.title,
                body: n.body,
                link: n.link,
                read: n.read,
            })
            .collect();
        let unread = self.db.unread_notifications(&fold, who.session_mark.as_deref()).await.map_err(db_err)?;
        let browser_of = |detail: Option<String>| detail.and_then(|d| d.strip_prefix("browser=").map(str::to_owned));
        let sign_ins = self
            .db
            .sign_ins_of(who.viewer.user.as_str(), 20)
            .await
            .map_err(db_err)?
            .into_iter()
            .map(|r| SignInView { at: r.at, succeeded: r.outcome == "success", ip: r.client_ip, browser: browser_of(r.detail) })
            .collect();
        let mut sessions: Vec<SessionView> = self
            .sessions_of(req, who.viewer.user.as_str())
            .await?
            .into_iter()
            .map(|(_, current, s)| SessionView {
                current,
                handle: s.handle,
                signed_in_at: at(s.auth.signed_in_at),
                last_seen: at(s.auth.last_seen),
                ip: s.auth.ip,
                browser: s.auth.agent,
            })
            .collect();
        sessions.sort_by(|a, b| b.current.cmp(&a.current).then(b.last_seen.cmp(&a.last_seen)));
        let history = self
            .db
            .history_of(&fold, 50)
            .await
            .map_err(db_err)?
            .into_iter()
            .map(|r| {
                let actor = r.actor.unwrap_or_else(|| "keydesk".into());
                HistoryView {
                    by_you: actor == who.viewer.user.as_str(),
                    actor,
                    at: r.at,
                    action: r.action,
                    subject: r.subject,
                    outcome: r.outcome,
                    reason: r.reason,
                }
            })
            .collect();
        let usage = self.usage(who).await;
        Ok(ActivityView { notifications, unread, sign_ins, sessions, usage, history, email: self.address_of(me).await })
    }

    /// Each credential's last use, from the same read as the credentials page.
    async fn usage(&self, who: &Principal) -> Result<Vec<UsageView>, AppError> {
        use app::ssr::Port;
        let o = self.my_credentials(who).await?;
        let never = || "never".to_owned();
        let mut out = Vec::new();
        if o.password.as_ref().is_some_and(|p| p.profile.is_some()) {
            out.push(UsageView {
                what: "Console password".into(),
                status: "Set".into(),
                last_used: o.user.password_last_used.map(|t| format!("last console sign-in {} UTC", fmt_utc(t))).unwrap_or_else(never),
            });
        }
        for k in &o.access_keys {
            let last = match (&k.last_used.at, &k.last_used.service, &k.last_used.region) {
                (Some(t), service, region) => format!(
                    "{} UTC{}{}",
                    fmt_utc(*t),
                    service.as_deref().map(|s| format!(" · {s}")).unwrap_or_default(),
                    region.as_deref().map(|r| format!(" · {r}")).unwrap_or_default()
                ),
                (None, ..) => never(),
            };
            out.push(UsageView { what: format!("Access key {}", k.key.id), status: k.key.status.to_string(), last_used: last });
        }
        // IAM reports no last use for Git credentials and SSH keys: their status is what there is.
        if let Ok(git) = &o.git_credentials {
            for g in git {
                out.push(UsageView {
                    what: format!("HTTPS Git credential {}", g.credential.service_user_name),
                    status: g.credential.status.to_string(),
                    last_used: "not reported by IAM".into(),
                });
            }
        }
        if let Ok(ssh) = &o.ssh_keys {
            for s in ssh {
                out.push(UsageView {
                    what: format!("SSH public key {}", s.key.id),
                    status: s.key.status.to_string(),
                    last_used: "not reported by IAM".into(),
                });
            }
        }
        Ok(out)
    }

    /// Change the caller's keydesk password: the current one verified (argon2, like a sign-in, failures
    /// audited), the new one checked by the portal's rules, the session id cycled; other sessions end
    /// unless `keep_others`.
    pub(crate) async fn do_change_portal_password(
        &self,
        req: &Parts,
        who: &Principal,
        current: &app::domain::Password,
        new: &app::domain::Password,
        repeat: &app::domain::Password,
        sign_out_others: bool,
    ) -> Result<u64, AppError> {
        let user = who.viewer.user.as_str();
        if new.expose() != repeat.expose() {
            return Err(AppError::invalid("repeat_password", "The two new passwords differ."));
        }
        crate::auth::password::check_portal_password(user, new.expose()).map_err(|m| AppError::invalid("new_password", m))?;
        if new.expose() == current.expose() {
            return Err(AppError::invalid("new_password", "Choose a password different from the current one."));
        }
        let event = |outcome: &str, detail: Option<String>| crate::audit::AuditEvent {
            actor: Some(user.to_owned()),
            action: "portal.password.change".into(),
            outcome: outcome.into(),
            detail,
            client_ip: crate::portal::client_details(req).0,
            ..Default::default()
        };
        // The same admission as a sign-in (counted, queued, audited): a stolen session cannot use this
        // form to guess the password (SECURITY.md H1).
        let checked = self.check_portal_password(req, Asker::SignedIn(&who.viewer.user), current, "portal.password.change").await?;
        if let Checked::Wrong = checked {
            return Err(AppError::invalid("current", "That is not your current keydesk password."));
        }
        let hash = self.hasher.hash(new.expose()).await.map_err(|e| internal("hashing the new password failed", e))?;
        let now = self.clock.now();
        self.db.set_password_hash(&who.viewer.user, &hash, now).await.map_err(|e| internal("saving the new password failed", e))?;
        // A new id for this session too, as after any sign-in.
        if let Some(session) = req.extensions.get::<Session>() {
            session.cycle_id().await.map_err(|e| internal("session rotation failed", e))?;
            session.save().await.map_err(|e| internal("session write failed", e))?;
        }
        let ended = if sign_out_others { self.end_other_sessions(req, user).await? } else { 0 };
        let detail = Some(format!("other sessions ended={ended}"));
        if let Err(e) = self.db.append_audit(now, &event("success", detail)).await {
            tracing::error!(error = %e, "could not audit a portal password change");
        }
        Ok(ended)
    }

    /// `user`'s live sessions: (id, whether it is the one making this request, listing).
    async fn sessions_of(&self, req: &Parts, user: &str) -> Result<Vec<(String, bool, SessionListing)>, AppError> {
        let current = req.extensions.get::<Session>().and_then(|s| s.id()).map(|id| id.to_string());
        let listed = DbSessionStore::new(self.db.clone())
            .sessions_of(user, self.clock.now().unix_timestamp())
            .await
            .map_err(|e| internal("listing sessions failed", e))?;
        Ok(listed
            .into_iter()
            .map(|(id, s)| {
                let this = current.as_deref() == Some(id.as_str());
                (id, this, s)
            })
            .collect())
    }

    /// End `user`'s sessions `pick` chooses among the others (never the one making this request).
    async fn end_sessions_where(&self, req: &Parts, user: &str, pick: impl Fn(&SessionListing) -> bool) -> Result<u64, AppError> {
        let store = DbSessionStore::new(self.db.clone());
        let mut ended = 0;
        for (id, _, _) in self.sessions_of(req, user).await?.into_iter().filter(|(_, current, s)| !current && pick(s)) {
            if store.end_session(user, &id).await.map_err(|e| internal("ending a session failed", e))? {
                ended += 1;
            }
        }
        Ok(ended)
    }

    async fn end_other_sessions(&self, req: &Parts, user: &str) -> Result<u64, AppError> {
        self.end_sessions_where(req, user, |_| true).await
    }

    pub(crate) async fn do_mark_read(&self, who: &Principal) -> Result<(), AppError> {
        self.db
            .mark_notifications_read(&who.viewer.iam_user.fold(), self.clock.now())
            .await
            .map(drop)
            .map_err(|e| internal("marking notifications read failed", e))
    }

    /// End one other session (by handle) or all others; the current session stays.
    /// Needs a recent password check (SECURITY.md L13): otherwise a thief's session could sign its owner
    /// out everywhere and keep itself.
    pub(crate) async fn do_end_sessions(&self, req: &Parts, who: &Principal, handle: &str) -> Result<u64, AppError> {
        self.require_fresh_auth(who)?;
        let user = who.viewer.user.as_str();
        let ended = if handle == "others" {
            self.end_other_sessions(req, user).await?
        } else {
            let ended = self.end_sessions_where(req, user, |s| s.handle == handle).await?;
            if ended == 0 {
                return Err(AppError::NotFound {
                    message: "That session has ended already (or is the one you are using: sign out instead).".into(),
                });
            }
            ended
        };
        let event = crate::audit::AuditEvent {
            actor: Some(user.to_owned()),
            action: "portal.sessions.end".into(),
            outcome: "success".into(),
            detail: Some(format!("ended={ended}; which={}", if handle == "others" { "all others" } else { "one" })),
            client_ip: crate::portal::client_details(req).0,
            ..Default::default()
        };
        if let Err(e) = self.db.append_audit(self.clock.now(), &event).await {
            tracing::error!(error = %e, "could not audit ending sessions");
        }
        Ok(ended)
    }

    pub(crate) async fn do_deadlines(&self, who: &Principal) -> Result<DeadlinesView, AppError> {
        self.admin_caller(who)?;
        let now = self.clock.now();
        let db_err = |e| internal("reading key deadlines failed", e);
        let exemptions = self
            .db
            .exemptions(now)
            .await
            .map_err(db_err)?
            .into_iter()
            .map(|e| ExemptionView { user: e.iam_user, reason: e.reason, until: e.until, by: e.created_by })
            .collect();
        let outbox = self.db.outbox_summary().await.map_err(db_err)?;
        let last_job = self.last_key_job().await;
        Ok(DeadlinesView {
            policy: self.config.key_policy.clone(),
            exemptions,
            smtp_configured: self.mailer.is_some(),
            emails_pending: outbox.pending,
            emails_sent: outbox.sent,
            emails_failed: outbox.failed,
            delivery_problems: outbox
                .problems
                .into_iter()
                .map(|(user, recipient, attempts, error, given_up)| DeliveryProblem { user, recipient, attempts, error, given_up })
                .collect(),
            last_job,
            job_interval_minutes: self.config.settings.job_interval_minutes,
        })
    }

    pub(crate) async fn do_enforcement_preview(&self, who: &Principal) -> Result<Vec<OverdueKeyView>, AppError> {
        self.admin_caller(who)?;
        let keys = self.overdue_keys().await.map_err(|e| internal("the enforcement dry run failed", e))?;
        Ok(keys
            .into_iter()
            .map(|k| OverdueKeyView { user: k.user.to_string(), key_id: k.key.id.to_string(), due: k.due, days_over: k.days_over })
            .collect())
    }

    pub(crate) async fn do_set_exemption(
        &self,
        req: &Parts,
        who: &Principal,
        user: &str,
        reason: &str,
        until: &str,
    ) -> Result<(), AppError> {
        let caller = self.admin_caller(who)?;
        let target = IamUserName::parse(user.trim()).map_err(|m| AppError::invalid("user", m.to_string()))?;
        let reason = app::domain::check_reason(reason).map_err(|m| AppError::invalid("reason", m))?;
        let format = time::macros::format_description!("[year]-[month]-[day]");
        let day = time::Date::parse(until.trim(), format).map_err(|_| AppError::invalid("until", "Enter the end date as YYYY-MM-DD."))?;
        let until = day.with_hms(23, 59, 59).map_err(|e| internal("date", e))?.assume_utc();
        let now = self.clock.now();
        if until <= now {
            return Err(AppError::invalid("until", "The end date must be in the future."));
        }
        if until > now + time::Duration::days(366) {
            return Err(AppError::invalid("until", "Exemptions last at most a year: set a date within the next 366 days."));
        }
        self.require_fresh_auth(who)?;
        // The user must exist: an exemption for a typo would silently do nothing.
        self.iam.get_user(&caller, &target).await.map_err(|e| crate::portal::iam_error("looking up the user", e))?;
        let detail = Some(format!("until={}", fmt_utc(until)));
        let intent = self.audit_intent_with_reason(req, who, Some(&target), "admin.key_exemption.set", None, Some(reason), detail).await?;
        match self.db.set_exemption(&target.fold(), reason, until, who.viewer.user.as_str(), now).await {
            Ok(()) => self.audit_final(intent, "success", None, None).await,
            Err(e) => {
                self.audit_final(intent, "failure", None, Some("database write failed".into())).await;
                return Err(internal("saving the exemption failed", e));
            }
        }
        let notice = app::domain::notices::Notice {
            kind: NoticeKind::Change,
            title: "Your access keys are exempt from the rotation deadline".into(),
            body: format!(
                "{} exempted your access keys from the rotation deadline until {} UTC. Reason: {reason}. Rotate them before then.",
                who.viewer.user,
                fmt_utc(until)
            ),
            link: Some("/#access-keys".into()),
        };
        self.notify(&target, &notice).await;
        Ok(())
    }

    pub(crate) async fn do_remove_exemption(&self, req: &Parts, who: &Principal, user: &str) -> Result<(), AppError> {
        self.admin_caller(who)?;
        let target = IamUserName::parse(user.trim()).map_err(|m| AppError::invalid("user", m.to_string()))?;
        self.require_fresh_auth(who)?;
        let intent = self.audit_intent_with_reason(req, who, Some(&target), "admin.key_exemption.remove", None, None, None).await?;
        match self.db.remove_exemption(&target.fold()).await {
            Ok(true) => {
                self.audit_final(intent, "success", None, None).await;
                Ok(())
            }
            Ok(false) => {
                self.audit_final(intent, "failure", None, Some("no exemption".into())).await;
                Err(AppError::NotFound { message: format!("{target} has no exemption (any more).") })
            }
            Err(e) => {
                self.audit_final(intent, "failure", None, Some("database write failed".into())).await;
                Err(internal("removing the exemption failed", e))
            }
        }
    }
}
