//! Identifier newtypes. Each constructor validates the format IAM (or the portal) accepts, so a value
//! of these types is always well-formed; the error says exactly what is wrong for the person typing it.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Why a string is not a valid identifier; worded for the person who typed it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum IdError {
    #[error("{what} is required.")]
    Empty { what: &'static str },
    #[error("{what} can be at most {max} characters (this one has {len}).")]
    TooLong { what: &'static str, max: usize, len: usize },
    #[error("{what} may only contain letters, digits and {allowed} (found {found:?}).")]
    BadChar { what: &'static str, allowed: &'static str, found: char },
}

/// The characters IAM allows in user names besides ASCII letters and digits.
const IAM_NAME_EXTRA: &str = "+=,.@_-";

fn check_name(what: &'static str, s: &str, max: usize) -> Result<(), IdError> {
    if s.is_empty() {
        return Err(IdError::Empty { what });
    }
    let len = s.chars().count();
    if len > max {
        return Err(IdError::TooLong { what, max, len });
    }
    if let Some(found) = s.chars().find(|c| !(c.is_ascii_alphanumeric() || IAM_NAME_EXTRA.contains(*c))) {
        return Err(IdError::BadChar { what, allowed: "+ = , . @ _ -", found });
    }
    Ok(())
}

/// An IAM user name: 1-64 characters from letters, digits and `+=,.@_-`. IAM compares names
/// case-insensitively for uniqueness but preserves the case given at creation.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct IamUserName(String);

impl IamUserName {
    pub const MAX_LEN: usize = 64;

    pub fn parse(s: &str) -> Result<Self, IdError> {
        check_name("IAM user name", s, Self::MAX_LEN)?;
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The key IAM uses for uniqueness (names differing only in case are the same user).
    pub fn fold(&self) -> String {
        self.0.to_ascii_lowercase()
    }
}

impl TryFrom<String> for IamUserName {
    type Error = IdError;
    fn try_from(s: String) -> Result<Self, IdError> {
        Self::parse(&s)
    }
}

impl From<IamUserName> for String {
    fn from(v: IamUserName) -> String {
        v.0
    }
}

impl fmt::Display for IamUserName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A portal account name (what people type on the sign-in page). Same alphabet as IAM user names so an
/// account can simply reuse its IAM user's name; always stored and compared in lower case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PortalUserName(String);

impl PortalUserName {
    pub const MAX_LEN: usize = 64;

    pub fn parse(s: &str) -> Result<Self, IdError> {
        let s = s.trim();
        check_name("User name", s, Self::MAX_LEN)?;
        Ok(Self(s.to_ascii_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for PortalUserName {
    type Error = IdError;
    fn try_from(s: String) -> Result<Self, IdError> {
        Self::parse(&s)
    }
}

impl From<PortalUserName> for String {
    fn from(v: PortalUserName) -> String {
        v.0
    }
}

impl fmt::Display for PortalUserName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iam_user_name_boundaries() {
        assert!(IamUserName::parse("a").is_ok());
        assert!(IamUserName::parse(&"a".repeat(64)).is_ok());
        assert_eq!(IamUserName::parse(&"a".repeat(65)), Err(IdError::TooLong { what: "IAM user name", max: 64, len: 65 }));
        assert_eq!(IamUserName::parse(""), Err(IdError::Empty { what: "IAM user name" }));
        assert!(IamUserName::parse("alice+ops=1,x.y@z_w-v").is_ok());
        let err = IamUserName::parse("al ice").unwrap_err();
        assert_eq!(err.to_string(), "IAM user name may only contain letters, digits and + = , . @ _ - (found ' ').");
        assert!(IamUserName::parse("ålice").is_err());
        assert!(IamUserName::parse("a/b").is_err());
    }

    #[test]
    fn iam_user_name_fold_is_case_insensitive_but_display_preserves_case() {
        let a = IamUserName::parse("Alice").unwrap();
        let b = IamUserName::parse("alice").unwrap();
        assert_ne!(a, b);
        assert_eq!(a.fold(), b.fold());
        assert_eq!(a.to_string(), "Alice");
    }

    #[test]
    fn portal_user_name_is_trimmed_and_lowercased() {
        assert_eq!(PortalUserName::parse("  Alice ").unwrap().as_str(), "alice");
        assert!(PortalUserName::parse("   ").is_err());
    }

    #[test]
    fn serde_rejects_invalid_names() {
        assert!(serde_json::from_str::<IamUserName>("\"bad name\"").is_err());
        assert_eq!(serde_json::from_str::<IamUserName>("\"ok\"").unwrap().as_str(), "ok");
    }
}
