//! Signing in and out of keydesk, and the frame every page draws. Every password check goes through
//! the admission in `auth/admission.rs` (SECURITY.md H1).

use super::*;
use crate::audit::Outcome;
use crate::oidc::config::LocalSignIn;
use app::domain::{LocalPasswords, Role, SignInOptions};

/// The audit action of a sign-in with a keydesk password while the identity provider is the front door.
pub const BREAK_GLASS_ACTION: &str = "portal.break_glass_sign_in";
const LOCAL_OFF: &str = "Sign-in with keydesk passwords is turned off here: sign in through your identity provider.";
const BREAK_GLASS_ONLY: &str =
    "keydesk passwords are for administrators' break-glass sign-in only: sign in through your identity provider.";

impl Portal {
    /// How people sign in here, for the sign-in page.
    pub(crate) fn sign_in_options(&self) -> SignInOptions {
        let local = match self.config.local_sign_in {
            LocalSignIn::Enabled => LocalPasswords::Everyone,
            LocalSignIn::Breakglass => LocalPasswords::BreakGlass,
            LocalSignIn::Disabled => LocalPasswords::Off,
        };
        SignInOptions { provider: self.oidc.as_ref().map(|o| o.cfg.display_name.clone()), local }
    }
}

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
        let via_provider = who.is_some_and(|p| p.via_provider);
        Ok(Frame { viewer, backend: self.backend, unread, sign_in: self.sign_in_options(), via_provider })
    }

    async fn sign_in(&self, req: &Parts, user: &str, password: &Password) -> Result<Viewer, AppError> {
        let policy = self.config.local_sign_in;
        if policy == LocalSignIn::Disabled {
            // Refused before the password is looked at: nothing is learned about it.
            return Err(AppError::NotAllowed { message: LOCAL_OFF.into() });
        }
        let account = match self.check_portal_password(req, Asker::Anonymous(user), password, "portal.sign_in").await? {
            Checked::Right(account) => account,
            Checked::Wrong => return Err(AppError::SignInFailed),
        };
        if policy == LocalSignIn::Breakglass && account.role != Role::Admin {
            self.audit_sign_in(req, Some(account.user.as_str()), BREAK_GLASS_ACTION, Outcome::Failure).await;
            return Err(AppError::NotAllowed { message: BREAK_GLASS_ONLY.into() });
        }
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
        let auth = SessionAuth::fresh(account.user.to_string(), now.unix_timestamp(), client_details(req), None);
        session.insert(SESSION_KEY, auth).await.map_err(|e| internal("session write failed", e))?;
        session.save().await.map_err(|e| internal("session write failed", e))?;
        self.db.touch_sign_in(&account.user, now).await.map_err(|e| internal("sign-in bookkeeping failed", e))?;
        let action = if policy == LocalSignIn::Breakglass { BREAK_GLASS_ACTION } else { "portal.sign_in" };
        self.audit_sign_in(req, Some(account.user.as_str()), action, Outcome::Success).await;
        if policy == LocalSignIn::Breakglass {
            tracing::warn!(user = %account.user, "break-glass sign-in with a keydesk password");
        } else {
            tracing::info!(user = %account.user, "signed in");
        }
        Ok(Viewer { user: account.user, display_name: account.display_name, role: account.role, iam_user: account.iam_user })
    }

    async fn sign_out(&self, req: &Parts) -> Result<Option<String>, AppError> {
        let who = req.extensions.get::<Principal>();
        let user = who.map(|p| p.viewer.user.to_string());
        let via_provider = who.is_some_and(|p| p.via_provider);
        let session = session_of(req)?;
        // keydesk's own session first: whatever happens at the provider, this one is over.
        session.flush().await.map_err(|e| internal("session delete failed", e))?;
        if let Some(user) = user {
            self.audit_sign_in(req, Some(&user), "portal.sign_out", Outcome::Success).await;
        }
        let next = match (&self.oidc, via_provider) {
            (Some(oidc), true) => {
                let back = format!("{}{}", self.config.public_origin, app::paths::SIGN_IN_PATH);
                oidc.logout_url(&back, self.clock.now().unix_timestamp()).await
            }
            _ => None,
        };
        Ok(next)
    }
}
