//! "My activity" (notifications, sign-ins, sessions, credential use, history of changes) and the
//! administrators' key-deadline page (policy, dry run, exemptions, e-mail delivery, the last job run).

use crate::audit::Outcome;
use crate::auth::admission::{Asker, Checked};
use crate::auth::session_store::{DbSessionStore, SessionListing};
use crate::portal::{internal, Portal};
use app::api::activity::*;
use app::domain::fmt_utc;
use app::domain::notices::NoticeKind;
use app::domain::Password;
use app::error::AppError;
use app::ssr::Ctx;
use http::request::Parts;
use tower_sessions::Session;

use crate::db::accounts::from_ts as at;

impl Portal {
    /// Each credential's last use, from the same read as the credentials page.
    async fn usage(&self, cx: &Ctx) -> Result<Vec<UsageView>, AppError> {
        use app::api::credentials::CredentialsPort;
        let o = self.my_credentials(cx).await?;
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
}

#[async_trait::async_trait]
impl app::api::activity::ActivityPort for Portal {
    async fn activity(&self, cx: &Ctx) -> Result<app::api::activity::ActivityView, AppError> {
        let req = &cx.req;
        let who = &cx.who;
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
            .map(|r| SignInView {
                at: r.at,
                succeeded: r.outcome == crate::audit::Outcome::Success.as_str(),
                ip: r.client_ip,
                browser: browser_of(r.detail),
            })
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
        let usage = self.usage(cx).await;
        let temporary_sessions = self
            .db
            .live_temporary_sessions(who.viewer.user.as_str(), self.clock.now())
            .await
            .map_err(db_err)?
            .into_iter()
            .map(|r| app::api::activity::TemporarySessionView {
                role: r.role_name,
                role_arn: r.role_arn,
                access_key_id: r.access_key_id,
                issued_at: at(r.issued_at),
                expires_at: at(r.expires_at),
            })
            .collect();
        Ok(ActivityView { notifications, unread, sign_ins, sessions, usage, history, temporary_sessions, email: self.address_of(me).await })
    }

    /// Change the caller's keydesk password: the current one verified (argon2, like a sign-in, failures
    /// audited), the new one checked by the portal's rules, the session id cycled; other sessions end
    /// unless `keep_others`.
    async fn change_portal_password(
        &self,
        cx: &Ctx,
        current: &Password,
        new: &Password,
        repeat: &Password,
        sign_out_others: bool,
    ) -> Result<u64, AppError> {
        let req = &cx.req;
        let who = &cx.who;
        let user = who.viewer.user.as_str();
        if who.signed_in_with != app::domain::SignedInWith::Password {
            return Err(AppError::NotAllowed {
                message: "You sign in with your company account: keydesk has no password of yours to change. Change it where your company manages it."
                    .into(),
            });
        }
        if new.expose() != repeat.expose() {
            return Err(AppError::invalid("repeat_password", "The two new passwords differ."));
        }
        crate::auth::password::check_portal_password(user, new.expose()).map_err(|m| AppError::invalid("new_password", m))?;
        if new.expose() == current.expose() {
            return Err(AppError::invalid("new_password", "Choose a password different from the current one."));
        }
        let event = |outcome: crate::audit::Outcome, detail: Option<String>| crate::audit::AuditEvent {
            actor: Some(user.to_owned()),
            action: "portal.password.change".into(),
            outcome,
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
        if let Err(e) = self.db.append_audit(now, &event(crate::audit::Outcome::Success, detail)).await {
            tracing::error!(error = %e, "could not audit a portal password change");
        }
        Ok(ended)
    }

    async fn mark_notifications_read(&self, cx: &Ctx) -> Result<(), AppError> {
        let who = &cx.who;
        self.db
            .mark_notifications_read(&who.viewer.iam_user.fold(), self.clock.now())
            .await
            .map(drop)
            .map_err(|e| internal("marking notifications read failed", e))
    }

    /// End one other session (by handle) or all others; the current session stays.
    /// Needs a recent password check (SECURITY.md L13): otherwise a thief's session could sign its owner
    /// out everywhere and keep itself.
    async fn end_sessions(&self, cx: &Ctx, handle: &str) -> Result<u64, AppError> {
        let req = &cx.req;
        let who = &cx.who;
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
            outcome: Outcome::Success,
            detail: Some(format!("ended={ended}; which={}", if handle == "others" { "all others" } else { "one" })),
            client_ip: crate::portal::client_details(req).0,
            ..Default::default()
        };
        if let Err(e) = self.db.append_audit(self.clock.now(), &event).await {
            tracing::error!(error = %e, "could not audit ending sessions");
        }
        Ok(ended)
    }
}
