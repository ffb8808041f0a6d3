//! The one way to check a portal password (SECURITY.md G10, G23). Sign-in, step-up and the portal
//! password change all come here: the attempt is counted against the account and the client address
//! *before* the password is looked at, it takes a place in the bounded hashing queue, a failure is
//! audited, and a success clears the account's count. [`super::password::Hasher`] verifies only with a
//! place from this module's admission, so no other code can check a password on its own.

use super::ClientInfo;
use crate::audit::Outcome;
use crate::db::accounts::AccountRow;
use crate::db::throttle::{account_subject, ip_subject, reauth_subject, Admission, FREE_FAILURES};
use crate::portal::{internal, Portal};
use app::domain::{Password, PortalUserName};
use app::error::AppError;
use http::request::Parts;

/// Who is asking to have a password checked.
#[derive(Debug, Clone, Copy)]
pub enum Asker<'a> {
    /// Someone signing in, with the account name exactly as typed (it may be anything, even a password).
    Anonymous(&'a str),
    /// A signed-in person confirming their own password (step-up, password change). Their failures are
    /// counted on a counter of their own, so strangers failing to sign in as them cannot freeze their
    /// step-up (SECURITY.md L5), while a thief holding their session is throttled all the same.
    SignedIn(&'a PortalUserName),
}

/// Who asks the company directory to check a password.
#[derive(Debug, Clone, Copy)]
pub enum DirectoryAsker<'a> {
    /// Someone signing in, with the login exactly as typed.
    Anonymous(&'a str),
    /// A person the directory signed in, confirming it is still them: one bind as their own entry,
    /// counted on their own counter as with [`Asker::SignedIn`].
    SignedIn { user: &'a PortalUserName, dn: &'a str },
}

/// The outcome of a directory check that was evaluated.
#[derive(Debug)]
pub enum DirectoryChecked {
    /// A sign-in's login and password are right: the person's entry.
    SignIn(Box<crate::ldap::Entry>),
    /// A signed-in person's password is right.
    Confirmed,
    /// Wrong password, unknown or ambiguous login, empty password. Already audited.
    Wrong,
}

/// An attempt admitted by [`Portal::admit_password_check`].
struct Attempt {
    subject: String,
    ip: Option<String>,
    /// Consecutive failures of this subject, this attempt included if it fails.
    streak: i64,
}

/// A check refused before evaluation (back-off, per-address limit, full queue): retry after `secs`.
fn refused(secs: i64, why: &'static str) -> AppError {
    crate::metrics::sign_in_refused(why);
    AppError::TooManyAttempts { retry_after_secs: secs.max(1) as u64 }
}

/// Whether the failure that makes a streak `n` long gets an audit row of its own (review L11): the first
/// of a streak and every tenth; the back-off's start has its own row. The audit table is append-only,
/// so repeated failures are summarised by leaving rows out, not by updating a count: a name tried a
/// thousand times costs about a hundred rows, not a thousand, and each unknown name one.
fn audit_failure(n: i64) -> bool {
    n <= 1 || n % 10 == 0
}

/// The outcome of a check that was evaluated.
#[derive(Debug)]
pub enum Checked {
    /// The password is right; the account is enabled.
    Right(Box<AccountRow>),
    /// Wrong password, unknown or disabled account (indistinguishable to the asker). Already audited.
    Wrong,
}

impl Portal {
    /// Check `password` for `asker`, counting and auditing the attempt under `action` (e.g.
    /// `portal.sign_in`). `Err` when the attempt is refused before evaluation (back-off, per-address
    /// limit, full queue) or infrastructure fails; an unknown or disabled account costs one dummy
    /// verification, like a real one (G11).
    pub(crate) async fn check_portal_password(
        &self,
        req: &Parts,
        asker: Asker<'_>,
        password: &Password,
        action: &'static str,
    ) -> Result<Checked, AppError> {
        let hash_err = |e| internal("password verification failed", e);
        let typed = match asker {
            Asker::Anonymous(typed) => typed,
            Asker::SignedIn(user) => user.as_str(),
        };
        let place = self.hasher.admit().ok_or_else(|| refused(2, "busy"))?;
        let attempt = self.admit_password_check(req, asker).await?;
        let account = match PortalUserName::parse(typed) {
            Ok(name) => self.db.find_account(&name).await.map_err(|e| internal("account lookup failed", e))?,
            Err(_) => None,
        };
        let right = match account.filter(|a| !a.disabled) {
            Some(account) => {
                let ok = self.hasher.verify(&place, &account.password_hash, password.expose()).await.map_err(hash_err)?;
                ok.then_some(account)
            }
            None => {
                self.hasher.verify_dummy(&place, password.expose()).await.map_err(hash_err)?;
                None
            }
        };
        match right {
            Some(account) => {
                self.checked_right(attempt).await;
                Ok(Checked::Right(Box::new(account)))
            }
            None => {
                self.checked_wrong(req, &attempt, typed, action).await;
                Ok(Checked::Wrong)
            }
        }
    }

    /// Check a password with the company directory (LDAP), under the same admission as a keydesk
    /// password: counted against the login (or the signed-in person's own counter) and the address
    /// before the directory is asked (in a bounded queue of its own: a slow directory never holds a
    /// hashing place), failures audited under `action`. A directory that cannot answer is [`AppError::DirectoryUnavailable`], never "wrong".
    pub(crate) async fn check_directory_password(
        &self,
        req: &Parts,
        asker: DirectoryAsker<'_>,
        password: &Password,
        action: &'static str,
    ) -> Result<DirectoryChecked, AppError> {
        let Some(directory) = self.directory.clone() else {
            return Err(crate::ldap::not_configured());
        };
        let (admission_asker, typed) = match asker {
            DirectoryAsker::Anonymous(login) => (Asker::Anonymous(login), login),
            DirectoryAsker::SignedIn { user, .. } => (Asker::SignedIn(user), user.as_str()),
        };
        // A directory that answers slowly holds a place of its own bounded queue, never a hashing one.
        let _place = directory.admit().ok_or_else(|| refused(2, "busy"))?;
        let attempt = self.admit_password_check(req, admission_asker).await?;
        let verdict = match asker {
            DirectoryAsker::Anonymous(login) => directory.authenticate(login, password).await.map(|v| match v {
                crate::ldap::Verdict::Right(entry) => DirectoryChecked::SignIn(Box::new(entry)),
                crate::ldap::Verdict::Wrong => DirectoryChecked::Wrong,
            }),
            DirectoryAsker::SignedIn { dn, .. } => {
                directory.confirm(dn, password).await.map(|ok| if ok { DirectoryChecked::Confirmed } else { DirectoryChecked::Wrong })
            }
        };
        match verdict {
            Err(e) => {
                tracing::error!(error = %e, "the directory could not check a password");
                crate::metrics::sign_in_refused("directory_unavailable");
                Err(AppError::DirectoryUnavailable)
            }
            Ok(DirectoryChecked::Wrong) => {
                self.checked_wrong(req, &attempt, typed, action).await;
                Ok(DirectoryChecked::Wrong)
            }
            Ok(right) => {
                self.checked_right(attempt).await;
                Ok(right)
            }
        }
    }

    /// May this check be evaluated? Counts it against the asker's counter and the client address before
    /// the password is checked (db/throttle.rs); the caller holds its place in a bounded queue (hashing
    /// or the directory's) already. Refusals cost no hashing and look the same for every account name.
    async fn admit_password_check(&self, req: &Parts, asker: Asker<'_>) -> Result<Attempt, AppError> {
        let refuse = refused;
        let now = self.clock.now().unix_timestamp();
        let db_err = |e| internal("sign-in throttling failed", e);
        let ip = req.extensions.get::<ClientInfo>().and_then(|i| i.ip).map(|ip| ip_subject(&ip));
        if let Some(ip) = &ip {
            if let Admission::Blocked(secs) = self.db.admit_ip_attempt(ip, now).await.map_err(db_err)? {
                tracing::warn!(client = %ip, "password check refused: too many failures from this address");
                return Err(refuse(secs, "throttled_ip"));
            }
        }
        let (subject, typed) = match asker {
            Asker::Anonymous(typed) => (account_subject(typed), typed),
            Asker::SignedIn(user) => (reauth_subject(user.as_str()), user.as_str()),
        };
        match self.db.admit_account_attempt(&subject, now).await.map_err(db_err)? {
            Admission::Blocked(secs) => {
                if let Some(ip) = &ip {
                    let _ = self.db.give_back_ip_attempt(ip).await;
                }
                Err(refuse(secs, "locked"))
            }
            Admission::Counted(n) => {
                if n == FREE_FAILURES {
                    // The attempt that starts the back-off, recorded once per lock-out for the help desk.
                    let name = PortalUserName::parse(typed).ok();
                    let name = name.as_ref().map(|u| u.as_str());
                    let what = if matches!(asker, Asker::SignedIn(_)) { "password confirmation" } else { "sign-in" };
                    tracing::warn!(account = name.unwrap_or("(not an account name)"), what, "back-off starts after repeated failures");
                    self.audit_sign_in(req, name, "portal.sign_in_backoff", Outcome::Success).await;
                }
                Ok(Attempt { subject, ip, streak: n })
            }
        }
    }

    /// The password was right: forget the counter's failures and give the address its attempt back.
    async fn checked_right(&self, attempt: Attempt) {
        if let Err(e) = self.db.clear_throttle(&attempt.subject).await {
            tracing::warn!(error = %e, "could not clear the sign-in failure count");
        }
        if let Some(ip) = &attempt.ip {
            let _ = self.db.give_back_ip_attempt(ip).await;
        }
    }

    /// The password was wrong: audited when [`audit_failure`] says so. Only a well-formed account name
    /// is named: what was typed may be a mistyped password.
    async fn checked_wrong(&self, req: &Parts, attempt: &Attempt, typed: &str, action: &'static str) {
        if audit_failure(attempt.streak) {
            let name = PortalUserName::parse(typed).ok();
            self.audit_sign_in(req, name.as_ref().map(|u| u.as_str()), action, Outcome::Failure).await;
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_long_streak_of_failures_is_summarised() {
        let audited = (1..=1000).filter(|n| super::audit_failure(*n)).count();
        assert_eq!(audited, 101, "the first and every tenth of 1000");
    }
}
