//! The administrators' editor of the work-role catalogue: a role's form as typed, checked field by field
//! (the same code in the browser and on the server), what a save changed, and Identity Center's settings.

use super::temporary::{IdentityCenter, WorkRole, MAX_SESSION_SECS, MIN_SESSION_SECS};
use super::Role;
use serde::{Deserialize, Serialize};

/// The longest session policy STS accepts (plain text, before packing).
pub const MAX_SESSION_POLICY: usize = 2048;

/// A role's form, as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkRoleInput {
    pub id: String,
    pub role_arn: String,
    pub display_name: String,
    pub account_alias: String,
    pub max_session_secs: String,
    pub portal_roles: Vec<Role>,
    /// Comma- or line-separated.
    pub iam_groups: String,
    pub idp_groups: String,
    pub sensitive: bool,
    pub session_policy: String,
    pub sso_account_id: String,
    pub sso_role_name: String,
}

/// A field and what is wrong with it.
pub type FieldError = (&'static str, String);

fn list(text: &str) -> Vec<String> {
    let mut v: Vec<String> = Vec::new();
    for g in text.split([',', '\n']).map(str::trim).filter(|g| !g.is_empty()) {
        if !v.iter().any(|x| x.eq_ignore_ascii_case(g)) {
            v.push(g.to_owned());
        }
    }
    v
}

/// `arn:<partition>:iam::<12 digits>:role/<path/>name`, in IAM's alphabet.
pub fn check_role_arn(arn: &str) -> Result<(), String> {
    let bad = || Err(format!("{arn:?} is not a role ARN: arn:aws:iam::123456789012:role/RoleName"));
    let mut parts = arn.splitn(6, ':');
    let (Some("arn"), Some(partition), Some("iam"), Some(""), Some(account), Some(resource)) =
        (parts.next(), parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return bad();
    };
    let name = resource.strip_prefix("role/").map(|r| r.rsplit('/').next().unwrap_or(r));
    let iam_char = |c: char| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c);
    let ok = partition.starts_with("aws")
        && account.len() == 12
        && account.chars().all(|c| c.is_ascii_digit())
        && name.is_some_and(|n| (1..=64).contains(&n.len()) && n.chars().all(iam_char))
        && resource.chars().all(|c| iam_char(c) || c == '/');
    if ok {
        Ok(())
    } else {
        bad()
    }
}

impl WorkRoleInput {
    pub fn from_role(r: &WorkRole) -> Self {
        WorkRoleInput {
            id: r.id.clone(),
            role_arn: r.role_arn.clone(),
            display_name: r.display_name.clone(),
            account_alias: r.account_alias.clone(),
            max_session_secs: r.max_session_secs.to_string(),
            portal_roles: r.portal_roles.clone(),
            iam_groups: r.iam_groups.join(", "),
            idp_groups: r.idp_groups.join(", "),
            sensitive: r.sensitive,
            session_policy: r.session_policy.clone().unwrap_or_default(),
            sso_account_id: r.sso_account_id.clone(),
            sso_role_name: r.sso_role_name.clone(),
        }
    }

    /// The entry, or every field's problem.
    pub fn parse(&self) -> Result<WorkRole, Vec<FieldError>> {
        let mut errors: Vec<FieldError> = Vec::new();
        let id = self.id.trim().to_ascii_lowercase();
        if id.is_empty() || id.len() > 64 || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') || id.starts_with('-') {
            errors.push(("id", "A short name of 1–64 letters, digits and dashes, e.g. developer.".into()));
        }
        let role_arn = self.role_arn.trim().to_owned();
        if let Err(e) = check_role_arn(&role_arn) {
            errors.push(("role_arn", e));
        }
        let display_name = self.display_name.trim().to_owned();
        if display_name.is_empty() || display_name.chars().count() > 100 {
            errors.push(("display_name", "A name people recognise, of 1–100 characters.".into()));
        }
        let account_alias = self.account_alias.trim().to_owned();
        if account_alias.len() > 63 || !account_alias.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-') {
            errors.push(("account_alias", "An account alias has at most 63 lower-case letters, digits and dashes.".into()));
        }
        let max_session_secs = match self.max_session_secs.trim().parse::<u32>() {
            Ok(s) if (MIN_SESSION_SECS..=MAX_SESSION_SECS).contains(&s) => s,
            _ => {
                errors.push(("max_session_secs", "Between 15 minutes and 12 hours (900–43200 seconds).".into()));
                0
            }
        };
        let (iam_groups, idp_groups) = (list(&self.iam_groups), list(&self.idp_groups));
        let iam_char = |c: char| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c);
        if let Some(g) = iam_groups.iter().find(|g| g.len() > 128 || !g.chars().all(iam_char)) {
            errors.push(("iam_groups", format!("{g:?} is not an IAM group name (letters, digits and +=,.@_-).")));
        }
        if let Some(g) = idp_groups.iter().find(|g| g.chars().count() > 256) {
            errors.push(("idp_groups", format!("{}… is longer than 256 characters.", g.chars().take(20).collect::<String>())));
        }
        if self.portal_roles.is_empty() && iam_groups.is_empty() && idp_groups.is_empty() {
            errors.push(("portal_roles", "Say who may use it: a keydesk role, an IAM group or a group of your identity provider.".into()));
        }
        let policy = self.session_policy.trim();
        let session_policy = if policy.is_empty() {
            None
        } else if policy.len() > MAX_SESSION_POLICY {
            errors.push(("session_policy", format!("A session policy has at most {MAX_SESSION_POLICY} characters.")));
            None
        } else {
            match serde_json::from_str::<serde_json::Value>(policy) {
                Ok(v) if v.get("Statement").is_some() => Some(policy.to_owned()),
                Ok(_) => {
                    errors.push(("session_policy", "A policy document has a Statement.".into()));
                    None
                }
                Err(e) => {
                    errors.push(("session_policy", format!("Not JSON: {e}.")));
                    None
                }
            }
        };
        let (sso_account_id, sso_role_name) = (self.sso_account_id.trim().to_owned(), self.sso_role_name.trim().to_owned());
        if !sso_account_id.is_empty() && (sso_account_id.len() != 12 || !sso_account_id.chars().all(|c| c.is_ascii_digit())) {
            errors.push(("sso_account_id", "An AWS account id has 12 digits.".into()));
        }
        if sso_account_id.is_empty() != sso_role_name.is_empty() {
            errors.push(("sso_role_name", "Identity Center needs both the account id and the permission set's name.".into()));
        } else if sso_role_name.len() > 32 || !sso_role_name.chars().all(iam_char) {
            errors.push(("sso_role_name", "A permission set's name has at most 32 letters, digits and +=,.@_-.".into()));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let mut portal_roles: Vec<Role> = Role::ALL.into_iter().filter(|r| self.portal_roles.contains(r)).collect();
        portal_roles.dedup();
        Ok(WorkRole {
            id,
            role_arn,
            display_name,
            account_alias,
            max_session_secs,
            portal_roles,
            iam_groups,
            idp_groups,
            sensitive: self.sensitive,
            session_policy,
            sso_account_id,
            sso_role_name,
        })
    }
}

/// What changed from `before` to `after`, worded for the administrator.
pub fn changed_fields(before: &WorkRole, after: &WorkRole) -> Vec<&'static str> {
    let mut v = Vec::new();
    let mut check = |same: bool, what: &'static str| {
        if !same {
            v.push(what);
        }
    };
    check(before.id == after.id, "short name");
    check(before.role_arn == after.role_arn, "role ARN");
    check(before.display_name == after.display_name, "display name");
    check(before.account_alias == after.account_alias, "account alias");
    check(before.max_session_secs == after.max_session_secs, "maximum session");
    check(
        before.portal_roles == after.portal_roles && before.iam_groups == after.iam_groups && before.idp_groups == after.idp_groups,
        "who may use it",
    );
    check(before.sensitive == after.sensitive, "asks for a reason");
    check(before.session_policy == after.session_policy, "session policy");
    check(before.sso_account_id == after.sso_account_id && before.sso_role_name == after.sso_role_name, "Identity Center");
    v
}

/// Identity Center's form, as typed: all blank turns it off.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentityCenterInput {
    pub start_url: String,
    pub region: String,
    pub session_name: String,
}

impl IdentityCenterInput {
    pub fn from_settings(ic: Option<&IdentityCenter>) -> Self {
        ic.map(|ic| IdentityCenterInput {
            start_url: ic.start_url.clone(),
            region: ic.region.clone(),
            session_name: ic.session_name.clone(),
        })
        .unwrap_or_default()
    }

    pub fn parse(&self) -> Result<Option<IdentityCenter>, FieldError> {
        let (url, region, name) = (self.start_url.trim(), self.region.trim(), self.session_name.trim());
        if url.is_empty() && region.is_empty() {
            return Ok(None);
        }
        let host = url.strip_prefix("https://").map(|r| r.split('/').next().unwrap_or(""));
        if !host.is_some_and(|h| !h.is_empty() && h.chars().all(|c| c.is_ascii_alphanumeric() || ".-".contains(c)))
            || url.len() > 256
            || url.contains(char::is_whitespace)
        {
            return Err(("start_url", "The AWS access portal URL, e.g. https://d-1234567890.awsapps.com/start.".into()));
        }
        let parts: Vec<&str> = region.split('-').collect();
        let region_ok = parts.len() >= 3
            && parts.iter().all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()))
            && parts.last().is_some_and(|p| p.chars().all(|c| c.is_ascii_digit()));
        if !region_ok {
            return Err(("region", "The region Identity Center runs in, e.g. eu-west-1.".into()));
        }
        let name = if name.is_empty() { "keydesk" } else { name };
        if name.len() > 64 || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
            return Err(("session_name", "A session name of letters, digits, - and _.".into()));
        }
        Ok(Some(IdentityCenter { start_url: url.to_owned(), region: region.to_owned(), session_name: name.to_owned() }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> WorkRoleInput {
        WorkRoleInput {
            id: "Developer".into(),
            role_arn: "arn:aws:iam::123456789012:role/team/Developer".into(),
            display_name: " Developer ".into(),
            max_session_secs: "14400".into(),
            iam_groups: "developers, Developers\nops".into(),
            ..Default::default()
        }
    }

    #[test]
    fn a_good_form_becomes_an_entry() {
        let r = input().parse().unwrap();
        assert_eq!(r.id, "developer");
        assert_eq!(r.display_name, "Developer");
        assert_eq!(r.iam_groups, vec!["developers", "ops"]);
        assert_eq!(WorkRoleInput::from_role(&r).parse().unwrap(), r);
    }

    #[test]
    fn each_bad_field_is_named() {
        let bad = WorkRoleInput {
            id: "no spaces".into(),
            role_arn: "arn:aws:iam::12345:user/x".into(),
            max_session_secs: "60".into(),
            session_policy: "{".into(),
            sso_account_id: "123456789012".into(),
            ..Default::default()
        };
        let fields: Vec<&str> = bad.parse().unwrap_err().iter().map(|e| e.0).collect();
        assert_eq!(fields, ["id", "role_arn", "display_name", "max_session_secs", "portal_roles", "session_policy", "sso_role_name"]);
        assert!(check_role_arn("arn:aws-us-gov:iam::123456789012:role/R").is_ok());
        assert!(check_role_arn("arn:aws:iam::123456789012:role/").is_err());
        assert!(check_role_arn("arn:aws:sts::123456789012:role/R").is_err());
    }

    #[test]
    fn changes_are_named() {
        let a = input().parse().unwrap();
        let mut b = a.clone();
        b.max_session_secs = 3600;
        b.idp_groups = vec!["eng".into()];
        assert_eq!(changed_fields(&a, &b), ["maximum session", "who may use it"]);
        assert!(changed_fields(&a, &a).is_empty());
    }

    #[test]
    fn identity_center_settings_are_checked() {
        let ok = IdentityCenterInput {
            start_url: "https://d-1234567890.awsapps.com/start".into(),
            region: "eu-west-1".into(),
            ..Default::default()
        };
        assert_eq!(ok.parse().unwrap().unwrap().session_name, "keydesk");
        assert_eq!(IdentityCenterInput::default().parse(), Ok(None));
        assert_eq!(IdentityCenterInput { start_url: "http://x".into(), ..ok.clone() }.parse().unwrap_err().0, "start_url");
        assert_eq!(IdentityCenterInput { region: "europe".into(), ..ok }.parse().unwrap_err().0, "region");
    }
}
