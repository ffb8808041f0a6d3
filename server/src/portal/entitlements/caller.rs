//! The only place an IAM [`Caller`] is made. Every variant carries a [`Sealed`] token that no other
//! module can create, so code elsewhere can read and match a caller but never build one: an employee's
//! own authority comes only from the entitlement check (`Caller::self_service` is visible to
//! `portal::entitlements` alone), the help desk's and administrators' from their feature's role check,
//! and keydesk's own from [`Caller::keydesk`].

use app::domain::entitlements::Capability;
use app::domain::IamUserName;
use std::collections::BTreeSet;

/// Proof that a [`Caller`] was made here. Its field is private: nothing outside this module can make one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sealed(());

/// Whose authority a call uses. The AWS backend assumes a different role for each kind; the embedded
/// backend enforces the same boundaries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// An employee acting on their own IAM user only (session policy naming exactly that user and its
    /// own MFA devices), and only on the kinds of credential they are entitled to manage (the session
    /// policy grants no other action; `caps` empty: just the user and its groups).
    SelfService { portal_user: String, iam_user: IamUserName, caps: BTreeSet<Capability>, sealed: Sealed },
    /// Help-desk staff: may act on any user's credentials (the portal narrows whom).
    Helpdesk { portal_user: String, sealed: Sealed },
    /// Administrators: read-only review (users, keys, last use, MFA, credential report).
    Admin { portal_user: String, sealed: Sealed },
    /// keydesk itself: start-up checks, demo seeding and its own jobs' reads.
    Service { sealed: Sealed },
}

impl Caller {
    /// An employee's own scoped authority, carrying exactly `caps`. Only the entitlement check makes one.
    pub(in crate::portal::entitlements) fn self_service(portal_user: String, iam_user: IamUserName, caps: BTreeSet<Capability>) -> Caller {
        Caller::SelfService { portal_user, iam_user, caps, sealed: Sealed(()) }
    }

    /// A help-desk member's (or one of keydesk's help-desk jobs') authority. The role is checked by the
    /// feature that asks (`portal/helpdesk.rs`).
    pub fn helpdesk(portal_user: impl Into<String>) -> Caller {
        Caller::Helpdesk { portal_user: portal_user.into(), sealed: Sealed(()) }
    }

    /// An administrator's (or one of keydesk's reading jobs') read-only authority. The role is checked
    /// by the feature that asks (`portal/admin.rs`).
    pub fn admin(portal_user: impl Into<String>) -> Caller {
        Caller::Admin { portal_user: portal_user.into(), sealed: Sealed(()) }
    }

    /// keydesk's own authority.
    pub const fn keydesk() -> Caller {
        Caller::Service { sealed: Sealed(()) }
    }

    /// An employee's session entitled to every capability, or to `caps` (tests only).
    #[cfg(any(test, feature = "test-support"))]
    pub fn self_service_all(portal_user: impl Into<String>, iam_user: IamUserName) -> Caller {
        Self::self_service_with(portal_user, iam_user, Capability::ALL.into_iter().collect())
    }

    /// An employee's session entitled to exactly `caps` (tests only).
    #[cfg(any(test, feature = "test-support"))]
    pub fn self_service_with(portal_user: impl Into<String>, iam_user: IamUserName, caps: BTreeSet<Capability>) -> Caller {
        Caller::SelfService { portal_user: portal_user.into(), iam_user, caps, sealed: Sealed(()) }
    }

    /// The portal user name recorded as the session name / source identity.
    pub fn portal_user(&self) -> &str {
        match self {
            Caller::SelfService { portal_user, .. } | Caller::Helpdesk { portal_user, .. } | Caller::Admin { portal_user, .. } => {
                portal_user
            }
            Caller::Service { .. } => "keydesk",
        }
    }
}
