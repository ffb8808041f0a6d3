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
    /// How people sign in here (the sign-in page draws itself from this).
    #[serde(default)]
    pub sign_in: SignInOptions,
    /// How the viewer signed in, and so how they confirm it is still them (step-up).
    #[serde(default)]
    pub signed_in_with: SignedInWith,
}

/// How a session signed in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum SignedInWith {
    /// A keydesk password (also break-glass).
    #[default]
    Password,
    /// The OpenID Connect provider: a step-up is a fresh sign-in there.
    Provider,
    /// The LDAP directory: a step-up asks the directory password again.
    Directory,
}

/// The ways to sign in to this keydesk.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignInOptions {
    /// The identity provider's name on the sign-in button, when one is configured.
    pub provider: Option<String>,
    /// The directory's name above the sign-in form, when people sign in against LDAP.
    #[serde(default)]
    pub directory: Option<String>,
    /// Who may use keydesk's own passwords.
    pub local: LocalPasswords,
}

/// Who may sign in with a keydesk password.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum LocalPasswords {
    /// Everyone with a keydesk account and password (no identity provider configured).
    #[default]
    Everyone,
    /// Administrators only, on the break-glass page, each use recorded and shown to every administrator.
    BreakGlass,
    /// Nobody: everyone signs in through the identity provider.
    Off,
}

/// A User-Agent shortened for people: "Chrome 156 on Linux". Unknown agents are shown as given, cut
/// to 60 characters.
pub fn browser_summary(agent: &str) -> String {
    let version = |name: &str| {
        agent.split(name).nth(1).and_then(|rest| rest.strip_prefix('/')).map(|v| v.split(['.', ' ']).next().unwrap_or(v).to_owned())
    };
    let browser =
        [("Edg", "Edge"), ("Firefox", "Firefox"), ("HeadlessChrome", "Headless Chrome"), ("Chrome", "Chrome"), ("Version", "Safari")]
            .into_iter()
            .find_map(|(token, label)| version(token).map(|v| format!("{label} {v}")));
    let os =
        [("Windows", "Windows"), ("Android", "Android"), ("iPhone", "iOS"), ("iPad", "iPadOS"), ("Mac OS X", "macOS"), ("Linux", "Linux")]
            .into_iter()
            .find(|(token, _)| agent.contains(token))
            .map(|(_, label)| label);
    match (browser, os) {
        (Some(b), Some(o)) => format!("{b} on {o}"),
        (Some(b), None) => b,
        _ => agent.chars().take(60).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn browsers_are_named_briefly() {
        let chrome = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/156.0.0.0 Safari/537.36";
        assert_eq!(browser_summary(chrome), "Headless Chrome 156 on Linux");
        let ff = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0";
        assert_eq!(browser_summary(ff), "Firefox 133 on Windows");
        let safari = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15";
        assert_eq!(browser_summary(safari), "Safari 18 on macOS");
        assert_eq!(browser_summary("curl/8.5.0"), "curl/8.5.0");
    }

    #[test]
    fn role_round_trips_through_its_name() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        assert_eq!(Role::parse("root"), None);
    }
}
