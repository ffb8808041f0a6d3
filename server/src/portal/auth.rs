//! Signing in and out of keydesk, and the frame every page draws. Every password check goes through
//! the admission in `auth/admission.rs` (SECURITY.md H1).

use super::*;
use crate::audit::Outcome;

#[async_trait::async_trait]
impl app::api::auth::SessionPort for Portal {
    async fn frame(&self, req: &Parts) -> Result<Frame, AppError> {
        let who = req.extensions.get::<Principal>();
        let viewer = who.map(|p| p.viewer.clone());
        let unread = match who {
            // A count that cannot be read is not worth failing the page for.
            Some(p) => self.db.unread_notifications(&p.viewer.iam_user.fold(), p.session_mark.as_deref()).await.unwrap_or(0),
            None => 0,
        };
        Ok(Frame { viewer, backend: self.backend, unread })
    }

    async fn sign_in(&self, req: &Parts, user: &str, password: &Password) -> Result<Viewer, AppError> {
        let account = match self.check_portal_password(req, Asker::Anonymous(user), password, "portal.sign_in").await? {
            Checked::Right(account) => account,
            Checked::Wrong => return Err(AppError::SignInFailed),
        };
        let now = self.clock.now();
        if crate::auth::password::needs_rehash(&account.password_hash) {
            match self.hasher.hash(password.expose()).await {
                Ok(h) => {
                    let _ = self.db.set_password_hash(&account.user, &h, now).await;
                }
                Err(e) => tracing::warn!(error = %e, "rehash failed; keeping the old hash"),
            }
        }
        let session = session_of(req)?;
        // A new id on every sign-in defeats session fixation.
        session.cycle_id().await.map_err(|e| internal("session rotation failed", e))?;
        let at = now.unix_timestamp();
        let (ip, agent) = client_details(req);
        let mark = uuid::Uuid::new_v4().simple().to_string();
        let auth = SessionAuth { user: account.user.to_string(), signed_in_at: at, authenticated_at: at, last_seen: at, ip, agent, mark };
        session.insert(SESSION_KEY, auth).await.map_err(|e| internal("session write failed", e))?;
        session.save().await.map_err(|e| internal("session write failed", e))?;
        self.db.touch_sign_in(&account.user, now).await.map_err(|e| internal("sign-in bookkeeping failed", e))?;
        self.audit_sign_in(req, Some(account.user.as_str()), "portal.sign_in", Outcome::Success).await;
        tracing::info!(user = %account.user, "signed in");
        Ok(Viewer { user: account.user, display_name: account.display_name, role: account.role, iam_user: account.iam_user })
    }

    async fn sign_out(&self, req: &Parts) -> Result<(), AppError> {
        let who = req.extensions.get::<Principal>().map(|p| p.viewer.user.to_string());
        let session = session_of(req)?;
        session.flush().await.map_err(|e| internal("session delete failed", e))?;
        if let Some(user) = who {
            self.audit_sign_in(req, Some(&user), "portal.sign_out", Outcome::Success).await;
        }
        Ok(())
    }
}
