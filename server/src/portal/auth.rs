//! Signing in and out of keydesk, and the frame every page draws. Every password check goes through
//! the admission in `auth/admission.rs` (SECURITY.md H1).

use super::*;
use crate::audit::Outcome;
use crate::auth::admission::{DirectoryAsker, DirectoryChecked};
use crate::db::accounts::AccountRow;
use crate::oidc::config::LocalSignIn;
use app::domain::{LocalPasswords, PortalUserName, Role, SignInOptions, SignedInWith};

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
        SignInOptions {
            provider: self.oidc.as_ref().map(|o| o.cfg.display_name.clone()),
            directory: self.directory.as_ref().map(|d| d.cfg.display_name.clone()),
            local,
        }
    }
}

impl Portal {
    /// A fresh session for `account` after a password check (keydesk's own, or the directory's: then the
    /// person's entry and the groups it lists), under a new session id, which defeats session fixation.
    async fn start_session(&self, req: &Parts, account: &AccountRow, directory: Option<(String, Vec<String>)>) -> Result<(), AppError> {
        let now = self.clock.now();
        let session = session_of(req)?;
        session.cycle_id().await.map_err(|e| internal("session rotation failed", e))?;
        let mut auth = SessionAuth::fresh(account.user.to_string(), now.unix_timestamp(), client_details(req), None);
        if let Some((dn, groups)) = directory {
            auth.directory_dn = Some(dn);
            auth.idp_groups = groups;
        }
        session.insert(SESSION_KEY, auth).await.map_err(|e| internal("session write failed", e))?;
        session.save().await.map_err(|e| internal("session write failed", e))?;
        self.db.touch_sign_in(&account.user, now).await.map_err(|e| internal("sign-in bookkeeping failed", e))
    }

    /// Is `password` still the signed-in person's own, by the way they signed in (keydesk's password or
    /// the directory's)? Through the admission of every password check, audited under `action`. A
    /// session of the identity provider has no password to give: its step-up is a fresh sign-in there.
    pub(crate) async fn confirm_own_password(
        &self,
        req: &Parts,
        who: &Principal,
        password: &Password,
        action: &'static str,
    ) -> Result<bool, AppError> {
        let user = &who.viewer.user;
        match (who.signed_in_with, &who.directory_dn) {
            (SignedInWith::Provider, _) => Err(AppError::ReauthRequired),
            (SignedInWith::Directory, Some(dn)) => {
                let asker = DirectoryAsker::SignedIn { user, dn };
                Ok(matches!(self.check_directory_password(req, asker, password, action).await?, DirectoryChecked::Confirmed))
            }
            _ => Ok(matches!(self.check_portal_password(req, Asker::SignedIn(user), password, action).await?, Checked::Right(_))),
        }
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
        let signed_in_with = who.map(|p| p.signed_in_with).unwrap_or_default();
        Ok(Frame { viewer, backend: self.backend, unread, sign_in: self.sign_in_options(), signed_in_with })
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
        self.start_session(req, &account, None).await?;
        let action = if policy == LocalSignIn::Breakglass { BREAK_GLASS_ACTION } else { "portal.sign_in" };
        self.audit_sign_in(req, Some(account.user.as_str()), action, Outcome::Success).await;
        if policy == LocalSignIn::Breakglass {
            tracing::warn!(user = %account.user, "break-glass sign-in with a keydesk password");
        } else {
            tracing::info!(user = %account.user, "signed in");
        }
        Ok(Viewer { user: account.user, display_name: account.display_name, role: account.role, iam_user: account.iam_user })
    }

    async fn directory_sign_in(&self, req: &Parts, login: &str, password: &Password) -> Result<Viewer, AppError> {
        let Some(directory) = self.directory.clone() else {
            return Err(crate::ldap::not_configured());
        };
        let entry = match self.check_directory_password(req, DirectoryAsker::Anonymous(login), password, "portal.sign_in").await? {
            DirectoryChecked::SignIn(entry) => entry,
            DirectoryChecked::Confirmed | DirectoryChecked::Wrong => return Err(AppError::SignInFailed),
        };
        let now = self.clock.now();
        let refuse = |name: Option<String>, why: String| async move {
            let name = name.and_then(|n| PortalUserName::parse(&n).ok());
            self.audit_sign_in(req, name.as_ref().map(|u| u.as_str()), "portal.sign_in", Outcome::Failure).await;
            tracing::warn!(reason = %why, "sign-in through the directory refused");
            AppError::NotAllowed { message: format!("You are not signed in: {why}.") }
        };
        let person = match directory.person(&entry) {
            Ok(p) => p,
            Err(why) => return Err(refuse(entry.username.clone(), why.to_string()).await),
        };
        let subject = crate::ldap::config::normalize_dn(&entry.dn);
        let account = match self.idp_account(&directory.cfg.issuer(), &subject, &person, now).await {
            Ok(a) => a,
            Err(crate::oidc::flow::AccountRefusal::Unavailable) => return Err(AppError::PortalUnavailable),
            Err(why) => return Err(refuse(Some(person.iam_user.clone()), why.to_string()).await),
        };
        self.start_session(req, &account, Some((entry.dn.clone(), person.groups.clone()))).await?;
        self.audit_sign_in(req, Some(account.user.as_str()), "portal.sign_in", Outcome::Success).await;
        tracing::info!(user = %account.user, role = account.role.as_str(), "signed in through the directory");
        Ok(Viewer { user: account.user, display_name: account.display_name, role: account.role, iam_user: account.iam_user })
    }

    async fn sign_out(&self, req: &Parts) -> Result<Option<String>, AppError> {
        let who = req.extensions.get::<Principal>();
        let user = who.map(|p| p.viewer.user.to_string());
        let via_provider = who.is_some_and(|p| p.signed_in_with == SignedInWith::Provider);
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
