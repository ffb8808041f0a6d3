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
}

impl Capability {
    pub const ALL: [Capability; 5] =
        [Capability::ConsolePassword, Capability::AccessKeys, Capability::Mfa, Capability::GitCredentials, Capability::SshKeys];

    pub fn label(self) -> &'static str {
        match self {
            Capability::ConsolePassword => "Console password",
            Capability::AccessKeys => "Access keys",
            Capability::Mfa => "MFA devices",
            Capability::GitCredentials => "HTTPS Git credentials",
            Capability::SshKeys => "SSH public keys",
        }
    }

    pub fn id(self) -> &'static str {
        match self {
            Capability::ConsolePassword => "password",
            Capability::AccessKeys => "access-keys",
            Capability::Mfa => "mfa",
            Capability::GitCredentials => "git",
            Capability::SshKeys => "ssh",
        }
    }

    pub fn parse(id: &str) -> Option<Capability> {
        Self::ALL.into_iter().find(|c| c.id() == id)
    }

    /// The IAM actions this capability needs on the person's own user (`user/<name>`).
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
            Capability::GitCredentials => &[
                "iam:ListServiceSpecificCredentials",
                "iam:CreateServiceSpecificCredential",
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
        }
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
}

impl Default for Entitlements {
    /// Everyone may manage everything (keydesk's behaviour before entitlements are configured).
    fn default() -> Self {
        Entitlements { groups: BTreeMap::new(), default: Capability::ALL.into_iter().collect() }
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
            for a in c.user_actions() {
                assert!(seen.insert(*a), "{a} belongs to two capabilities");
                assert!(!BASE_USER_ACTIONS.contains(a));
            }
        }
        assert_eq!(Capability::parse("signing-certificates"), None);
    }
}
