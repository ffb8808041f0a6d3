//! Who is looking at the page: the signed-in portal account, its role and the IAM user it acts for.
//! This is what the browser may know about the session; the session itself stays on the server.

use super::ids::{IamUserName, PortalUserName};
use serde::{Deserialize, Serialize};
use std::fmt;

/// A portal role. Roles are not nested: an admin reviews, the help desk acts on others' credentials,
/// and every role manages its own credentials like an employee.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Employee,
    Helpdesk,
    Admin,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Employee, Role::Helpdesk, Role::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Employee => "employee",
            Role::Helpdesk => "helpdesk",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Employee => "Employee",
            Role::Helpdesk => "Help desk",
            Role::Admin => "Administrator",
        }
    }

    /// May open the help-desk page and act on other users' credentials.
    pub fn is_helpdesk(self) -> bool {
        matches!(self, Role::Helpdesk)
    }

    /// May open the admin review and the audit log.
    pub fn is_admin(self) -> bool {
        matches!(self, Role::Admin)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which IAM the server talks to; shown as a badge so nobody mistakes demo data for their account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BackendKind {
    Embedded,
    Aws,
}

/// The signed-in person as the UI needs them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Viewer {
    pub user: PortalUserName,
    pub display_name: String,
    pub role: Role,
    pub iam_user: IamUserName,
}

/// What every page needs to draw its frame: the viewer (if signed in) and the backend in use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Frame {
    pub viewer: Option<Viewer>,
    pub backend: BackendKind,
    /// Unread notifications of the signed-in viewer (the header shows the count).
    #[serde(default)]
    pub unread: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_round_trips_through_its_name() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        assert_eq!(Role::parse("root"), None);
    }
}
