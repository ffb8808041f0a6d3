//! Self-service entitlements by IAM group: which credentials the members of each group may manage
//! themselves, and what applies to users in no listed group. The server enforces them; the AWS
//! backend's per-user session policy grants only the IAM actions of the user's entitlements.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// A kind of credential a person may manage on their own page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Capability {
    ConsolePassword,
    AccessKeys,
    Mfa,
    GitCredentials,
    SshKeys,
    SigningCertificates,
    /// Service-specific credentials other than CodeCommit's: Keyspaces, Bedrock and CloudWatch Logs.
    ServiceCredentials,
}

impl Capability {
    pub const ALL: [Capability; 7] = [
        Capability::ConsolePassword,
        Capability::AccessKeys,
        Capability::Mfa,
        Capability::GitCredentials,
        Capability::SshKeys,
        Capability::SigningCertificates,
        Capability::ServiceCredentials,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Capability::ConsolePassword => "Console password",
            Capability::AccessKeys => "Access keys",
            Capability::Mfa => "MFA devices",
            Capability::GitCredentials => "HTTPS Git credentials",
            Capability::SshKeys => "SSH public keys",
            Capability::SigningCertificates => "Signing certificates",
            Capability::ServiceCredentials => "Keyspaces, Bedrock & Logs credentials",
        }
    }

    /// The capability as the subject of "Your {…} managed by your administrators".
    pub fn subject(self) -> &'static str {
        match self {
            Capability::ConsolePassword => "console password is",
            Capability::AccessKeys => "access keys are",
            Capability::Mfa => "MFA devices are",
            Capability::GitCredentials => "HTTPS Git credentials are",
            Capability::SshKeys => "SSH public keys are",
            Capability::SigningCertificates => "X.509 signing certificates are",
            Capability::ServiceCredentials => "credentials for Amazon Keyspaces, Bedrock and CloudWatch Logs are",
        }
    }

    pub fn id(self) -> &'static str {
        match self {
            Capability::ConsolePassword => "password",
            Capability::AccessKeys => "access-keys",
            Capability::Mfa => "mfa",
            Capability::GitCredentials => "git",
            Capability::SshKeys => "ssh",
            Capability::SigningCertificates => "certificates",
            Capability::ServiceCredentials => "services",
        }
    }

    pub fn parse(id: &str) -> Option<Capability> {
        Self::ALL.into_iter().find(|c| c.id() == id)
    }

    /// The IAM actions this capability needs on the person's own user (`user/<name>`). Creating
    /// service-specific credentials is not among them: the session policy grants it per service name
    /// ([`Capability::created_services`]).
    pub fn user_actions(self) -> &'static [&'static str] {
        match self {
            Capability::ConsolePassword => &["iam:GetLoginProfile", "iam:CreateLoginProfile", "iam:UpdateLoginProfile"],
            Capability::AccessKeys => &[
                "iam:ListAccessKeys",
                "iam:CreateAccessKey",
                "iam:UpdateAccessKey",
                "iam:DeleteAccessKey",
                "iam:GetAccessKeyLastUsed",
                // Key descriptions are user tags.
                "iam:ListUserTags",
                "iam:TagUser",
                "iam:UntagUser",
            ],
            Capability::Mfa => &["iam:ListMFADevices", "iam:EnableMFADevice", "iam:ResyncMFADevice", "iam:DeactivateMFADevice"],
            Capability::GitCredentials | Capability::ServiceCredentials => &[
                "iam:ListServiceSpecificCredentials",
                "iam:UpdateServiceSpecificCredential",
                "iam:ResetServiceSpecificCredential",
                "iam:DeleteServiceSpecificCredential",
            ],
            Capability::SshKeys => &[
                "iam:ListSSHPublicKeys",
                "iam:GetSSHPublicKey",
                "iam:UploadSSHPublicKey",
                "iam:UpdateSSHPublicKey",
                "iam:DeleteSSHPublicKey",
            ],
            Capability::SigningCertificates => &[
                "iam:ListSigningCertificates",
                "iam:UploadSigningCertificate",
                "iam:UpdateSigningCertificate",
                "iam:DeleteSigningCertificate",
            ],
        }
    }
}

impl Capability {
    /// The services this capability may create credentials for (`iam:ServiceSpecificCredentialServiceName`).
    pub fn created_services(self) -> Vec<&'static str> {
        crate::domain::services::SERVICES.iter().filter(|s| s.capability() == self).map(|s| s.service_name).collect()
    }
}

/// What every session may do whatever its entitlements: see its own user and its groups.
pub const BASE_USER_ACTIONS: &[&str] = &["iam:GetUser", "iam:ListGroupsForUser"];

/// Entitlements per IAM group, and the default for users in none of the listed groups.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entitlements {
    /// Group name → what its members may manage. Group names compare case-insensitively, as IAM's do.
    pub groups: BTreeMap<String, BTreeSet<Capability>>,
    pub default: BTreeSet<Capability>,
    /// Whom an employee should ask about what they may not manage themselves ("the IT help desk,
    /// #it-help"), shown beside every section they are not entitled to.
    #[serde(default = "default_ask")]
    pub ask: String,
}

/// How a saved entitlement's warning about a group IAM does not have begins (the page shows these
/// apart from the changes).
pub const NO_SUCH_GROUP: &str = "No such IAM group: ";

/// Who is named when an administrator has not said whom to ask.
pub const DEFAULT_ASK: &str = "your AWS administrators";
/// At most this many listed groups (IAM allows 300 groups per account; a portal needs far fewer).
pub const MAX_LISTED_GROUPS: usize = 100;
/// At most this many characters for "whom to ask".
pub const MAX_ASK_CHARS: usize = 200;

fn default_ask() -> String {
    DEFAULT_ASK.to_owned()
}

impl Default for Entitlements {
    /// Everyone may manage everything (keydesk's behaviour before entitlements are configured).
    fn default() -> Self {
        Entitlements { groups: BTreeMap::new(), default: Capability::ALL.into_iter().collect(), ask: default_ask() }
    }
}

/// What an employee reads instead of a section they may not manage, and in the server's refusal.
pub fn managed_by_administrators(cap: Capability, ask: &str) -> String {
    format!(
        "Your {} managed by your administrators: keydesk does not let you change this yourself. Ask {ask} if you need a change.",
        cap.subject()
    )
}

/// IAM's rule for a group name: 1 to 128 letters, digits and `+=,.@_-`.
pub fn group_name_ok(name: &str) -> bool {
    !name.is_empty() && name.len() <= 128 && name.chars().all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c))
}

/// The key the settings form gives the row of users in no listed group.
pub const DEFAULT_ROW: &str = "*";
/// The key the settings form gives the row that adds a group.
pub const NEW_ROW: &str = "+";

/// The entitlements form as posted: `grant[<row>:<capability>]` for each ticked box (rows are group
/// names, [`DEFAULT_ROW`] and [`NEW_ROW`]), `group[<name>]` for each listed group shown, `remove[<name>]`
/// for each group to drop, the new group's name and whom to ask.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EntitlementsInput {
    pub grant: BTreeMap<String, String>,
    pub group: BTreeMap<String, String>,
    pub remove: BTreeMap<String, String>,
    pub new_group: String,
    pub ask: String,
}

impl EntitlementsInput {
    /// The entitlements the form describes, or the first thing wrong with it (field, message).
    pub fn parse(&self) -> Result<Entitlements, (&'static str, String)> {
        let ticked = |row: &str| -> Result<BTreeSet<Capability>, (&'static str, String)> {
            let mut caps = BTreeSet::new();
            for (key, value) in &self.grant {
                let Some((r, cap)) = key.rsplit_once(':') else {
                    continue; // refused above
                };
                if r != row || value == "false" {
                    continue;
                }
                caps.insert(Capability::parse(cap).ok_or_else(|| ("grant", format!("{cap:?} is not a capability keydesk knows.")))?);
            }
            Ok(caps)
        };
        for key in self.grant.keys() {
            let Some((row, _)) = key.rsplit_once(':') else {
                return Err(("grant", format!("The form sent an unknown setting {key:?}. Reload the page.")));
            };
            if row != DEFAULT_ROW && row != NEW_ROW && !self.group.contains_key(row) {
                return Err(("grant", format!("The form names group {row:?}, which is not listed. Reload the page.")));
            }
        }
        let mut groups: BTreeMap<String, BTreeSet<Capability>> = BTreeMap::new();
        for name in self.group.keys() {
            if self.remove.get(name).is_some_and(|v| v != "false") {
                continue;
            }
            if !group_name_ok(name) {
                return Err(("group", format!("{name:?} is not an IAM group name.")));
            }
            groups.insert(name.clone(), ticked(name)?);
        }
        let new_group = self.new_group.trim();
        if !new_group.is_empty() {
            if !group_name_ok(new_group) {
                return Err((
                    "new_group",
                    format!("{new_group:?} is not an IAM group name: use 1 to 128 letters, digits and + = , . @ _ - only."),
                ));
            }
            if groups.keys().chain(self.group.keys()).any(|g| g.eq_ignore_ascii_case(new_group)) {
                return Err(("new_group", format!("Group {new_group} is listed already: change its row instead.")));
            }
            groups.insert(new_group.to_owned(), ticked(NEW_ROW)?);
        } else if !ticked(NEW_ROW)?.is_empty() {
            return Err(("new_group", "Enter the name of the IAM group to add, or untick its boxes.".into()));
        }
        if groups.len() > MAX_LISTED_GROUPS {
            return Err(("new_group", format!("keydesk lists at most {MAX_LISTED_GROUPS} groups. Remove one first.")));
        }
        let ask = self.ask.trim();
        if ask.chars().count() > MAX_ASK_CHARS {
            return Err(("ask", format!("Keep \"whom to ask\" to {MAX_ASK_CHARS} characters (this has {}).", ask.chars().count())));
        }
        if ask.chars().any(char::is_control) {
            return Err(("ask", "\"Whom to ask\" must be one line of text.".into()));
        }
        let ask = if ask.is_empty() { default_ask() } else { ask.to_owned() };
        Ok(Entitlements { groups, default: ticked(DEFAULT_ROW)?, ask })
    }
}

impl Entitlements {
    fn listed<'a>(&'a self, member_of: &'a [String]) -> impl Iterator<Item = &'a BTreeSet<Capability>> + 'a {
        self.groups.iter().filter(|(g, _)| member_of.iter().any(|m| m.eq_ignore_ascii_case(g))).map(|(_, caps)| caps)
    }

    /// What a member of `member_of` may manage: the union over the listed groups they are in, or the
    /// default when they are in none of them.
    pub fn for_groups(&self, member_of: &[String]) -> BTreeSet<Capability> {
        let mut listed = self.listed(member_of).peekable();
        if listed.peek().is_none() {
            return self.default.clone();
        }
        listed.flatten().copied().collect()
    }

    /// The sentence shown instead of a section the person may not manage, and in the refusal.
    pub fn refusal(&self, cap: Capability) -> String {
        managed_by_administrators(cap, &self.ask)
    }

    /// One line per row, for the audit record: `developers: password, access-keys`.
    pub fn describe(&self) -> String {
        let caps = |c: &BTreeSet<Capability>| {
            if c.is_empty() {
                "nothing".to_owned()
            } else {
                c.iter().map(|c| c.id()).collect::<Vec<_>>().join(", ")
            }
        };
        let mut rows = vec![format!("default: {}", caps(&self.default))];
        rows.extend(self.groups.iter().map(|(g, c)| format!("group {g}: {}", caps(c))));
        rows.push(format!("ask: {}", self.ask));
        rows.join("; ")
    }

    /// What changed from `before` to `self`, worded for a person.
    pub fn changes_from(&self, before: &Entitlements) -> Vec<String> {
        let mut out = Vec::new();
        let diff = |what: &str, b: Option<&BTreeSet<Capability>>, a: Option<&BTreeSet<Capability>>, out: &mut Vec<String>| {
            let words = |s: &BTreeSet<Capability>| s.iter().map(|c| c.label()).collect::<Vec<_>>().join(", ");
            match (b, a) {
                (None, Some(a)) => out.push(format!("{what} added: {}", if a.is_empty() { "nothing".into() } else { words(a) })),
                (Some(_), None) => out.push(format!("{what} removed")),
                (Some(b), Some(a)) if a != b => {
                    let added: BTreeSet<_> = a.difference(b).copied().collect();
                    let removed: BTreeSet<_> = b.difference(a).copied().collect();
                    let mut parts = Vec::new();
                    if !added.is_empty() {
                        parts.push(format!("now may manage {}", words(&added)));
                    }
                    if !removed.is_empty() {
                        parts.push(format!("no longer {}", words(&removed)));
                    }
                    out.push(format!("{what}: {}", parts.join("; ")));
                }
                _ => {}
            }
        };
        diff("Users in no listed group", Some(&before.default), Some(&self.default), &mut out);
        let names: BTreeSet<&String> = before.groups.keys().chain(self.groups.keys()).collect();
        for g in names {
            diff(&format!("Group {g}"), before.groups.get(g), self.groups.get(g), &mut out);
        }
        if before.ask != self.ask {
            out.push(format!("Whom to ask: {}", self.ask));
        }
        out
    }

    /// Whether a listed group (not the default) grants `cap`: an explicit grant overrides the password
    /// policy's "users may not change their own password".
    pub fn explicitly_granted(&self, member_of: &[String], cap: Capability) -> bool {
        self.listed(member_of).any(|caps| caps.contains(&cap))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(caps: &[Capability]) -> BTreeSet<Capability> {
        caps.iter().copied().collect()
    }

    fn typical() -> Entitlements {
        // The overview's typical set-up: everyone changes their password; only developers manage keys.
        Entitlements {
            groups: [("developers".to_owned(), set(&[Capability::ConsolePassword, Capability::AccessKeys, Capability::SshKeys]))].into(),
            default: set(&[Capability::ConsolePassword, Capability::Mfa]),
            ask: DEFAULT_ASK.to_owned(),
        }
    }

    #[test]
    fn listed_groups_replace_the_default_and_add_up() {
        let e = typical();
        assert_eq!(e.for_groups(&[]), set(&[Capability::ConsolePassword, Capability::Mfa]));
        assert_eq!(e.for_groups(&["finance".into()]), e.default, "an unlisted group gets the default");
        let dev = e.for_groups(&["Developers".into(), "finance".into()]);
        assert_eq!(dev, set(&[Capability::ConsolePassword, Capability::AccessKeys, Capability::SshKeys]), "case-insensitive");
        let mut two = typical();
        two.groups.insert("security".into(), set(&[Capability::Mfa]));
        assert!(two.for_groups(&["developers".into(), "security".into()]).contains(&Capability::Mfa), "the union of listed groups");
        assert!(e.explicitly_granted(&["developers".into()], Capability::ConsolePassword));
        assert!(!e.explicitly_granted(&[], Capability::ConsolePassword), "the default is not an explicit grant");
        assert_eq!(Entitlements::default().for_groups(&["x".into()]), Capability::ALL.into_iter().collect());
    }

    #[test]
    fn ids_round_trip_and_actions_are_disjoint() {
        let mut seen = BTreeSet::new();
        for c in Capability::ALL {
            assert_eq!(Capability::parse(c.id()), Some(c));
            // The two service-credential capabilities share their actions and differ by created service.
            if c == Capability::ServiceCredentials {
                assert_eq!(c.user_actions(), Capability::GitCredentials.user_actions());
                continue;
            }
            for a in c.user_actions() {
                assert!(seen.insert(*a), "{a} belongs to two capabilities");
                assert!(!BASE_USER_ACTIONS.contains(a));
            }
        }
        assert_eq!(Capability::parse("signing-certificates"), None);
        assert_eq!(Capability::GitCredentials.created_services(), ["codecommit.amazonaws.com"]);
        let others = Capability::ServiceCredentials.created_services();
        assert!(others.contains(&"bedrock.amazonaws.com") && others.contains(&"cassandra.amazonaws.com"));
        assert!(!others.contains(&"codecommit.amazonaws.com"));
        assert!(Capability::AccessKeys.created_services().is_empty());
        assert_eq!(Capability::parse("certificates"), Some(Capability::SigningCertificates));
    }

    fn form(grants: &[&str], groups: &[&str]) -> EntitlementsInput {
        EntitlementsInput {
            grant: grants.iter().map(|g| ((*g).to_owned(), "on".to_owned())).collect(),
            group: groups.iter().map(|g| ((*g).to_owned(), "1".to_owned())).collect(),
            ..EntitlementsInput::default()
        }
    }

    #[test]
    fn the_form_parses_rows_new_groups_and_removals() {
        let mut f = form(&["*:password", "*:mfa", "developers:access-keys", "developers:password", "+:ssh"], &["developers", "finance"]);
        f.new_group = " data ".into();
        let e = f.parse().unwrap();
        assert_eq!(e.default, set(&[Capability::ConsolePassword, Capability::Mfa]));
        assert_eq!(e.groups["developers"], set(&[Capability::ConsolePassword, Capability::AccessKeys]));
        assert_eq!(e.groups["finance"], set(&[]), "a listed group with nothing ticked stays listed and grants nothing");
        assert_eq!(e.groups["data"], set(&[Capability::SshKeys]));
        assert_eq!(e.ask, DEFAULT_ASK, "blank: the default wording");

        f.remove.insert("finance".into(), "on".into());
        f.ask = "the IT help desk (#it-help)".into();
        let e = f.parse().unwrap();
        assert!(!e.groups.contains_key("finance"));
        assert_eq!(e.ask, "the IT help desk (#it-help)");
        // A hydrated form sends unticked boxes as "false".
        f.grant.insert("*:git".into(), "false".into());
        assert!(!f.parse().unwrap().default.contains(&Capability::GitCredentials));
    }

    #[test]
    fn every_bad_form_gets_a_specific_message() {
        let bad = |f: EntitlementsInput, field: &str, says: &str| {
            let (got, message) = f.parse().unwrap_err();
            assert_eq!(got, field, "{message}");
            assert!(message.contains(says), "{message:?} should say {says:?}");
        };
        let mut f = form(&[], &[]);
        f.new_group = "bad name!".into();
        bad(f, "new_group", "not an IAM group name");
        let mut f = form(&[], &["Developers"]);
        f.new_group = "developers".into();
        bad(f, "new_group", "listed already");
        bad(form(&["+:mfa"], &[]), "new_group", "Enter the name");
        bad(form(&["*:service-credentials"], &[]), "grant", "not a capability");
        bad(form(&["ghosts:mfa"], &[]), "grant", "not listed");
        bad(form(&["nocolon"], &[]), "grant", "unknown setting");
        bad(form(&[], &["a b"]), "group", "not an IAM group name");
        let mut f = form(&[], &[]);
        f.ask = "x".repeat(MAX_ASK_CHARS + 1);
        bad(f, "ask", "200 characters");
        let mut f = form(&[], &[]);
        f.ask = "two\nlines".into();
        bad(f, "ask", "one line");
        let many: Vec<String> = (0..=MAX_LISTED_GROUPS).map(|i| format!("g{i}")).collect();
        let refs: Vec<&str> = many.iter().map(String::as_str).collect();
        bad(form(&[], &refs), "new_group", "at most 100 groups");
    }

    #[test]
    fn changes_are_worded_and_the_audit_line_names_every_row() {
        let before = typical();
        let mut after = typical();
        after.default.insert(Capability::AccessKeys);
        after.groups.remove("developers");
        after.groups.insert("ops".into(), set(&[]));
        after.ask = "IT".into();
        let changes = after.changes_from(&before);
        assert_eq!(
            changes,
            vec![
                "Users in no listed group: now may manage Access keys".to_owned(),
                "Group developers removed".to_owned(),
                "Group ops added: nothing".to_owned(),
                "Whom to ask: IT".to_owned(),
            ]
        );
        assert!(typical().changes_from(&typical()).is_empty());
        assert_eq!(after.describe(), "default: password, access-keys, mfa; group ops: nothing; ask: IT");
        assert!(typical().refusal(Capability::AccessKeys).starts_with("Your access keys are managed by your administrators"));
    }
}
