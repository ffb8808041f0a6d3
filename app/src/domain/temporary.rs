//! Temporary credentials for a work role: what `sts:AssumeRole` hands out, the rules of a request
//! (duration, session name), and every format people paste them in — the shell, PowerShell, Windows,
//! the shared credentials file and `credential_process` — built from the one answer, never stored.

use super::export::profile_name;
use super::secret::OneTimeSecret;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// The shortest session AWS issues (`DurationSeconds` ≥ 900).
pub const MIN_SESSION_SECS: u32 = 15 * 60;
/// The longest a role may allow (`MaxSessionDuration` ≤ 12 h).
pub const MAX_SESSION_SECS: u32 = 12 * 3600;
/// The cap of role chaining: when keydesk itself runs on a role, no session lasts longer.
pub const CHAINED_SESSION_SECS: u32 = 3600;

/// One entry of the administrators' catalogue of work roles: a role (in any account) and who may use it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkRole {
    /// A short stable name for forms and the audit (`[a-z0-9-]`, 1–64).
    pub id: String,
    pub role_arn: String,
    pub display_name: String,
    /// The account's alias as people know it (e.g. `corp-prod`).
    #[serde(default)]
    pub account_alias: String,
    /// The longest session offered (the role's own `MaxSessionDuration` or less).
    pub max_session_secs: u32,
    /// keydesk roles whose people may use it (e.g. every employee).
    #[serde(default)]
    pub portal_roles: Vec<super::Role>,
    /// IAM groups whose members may use it.
    #[serde(default)]
    pub iam_groups: Vec<String>,
    /// Groups of the identity provider or directory (as its token or `memberOf` names them, or a
    /// directory group's common name) whose members may use it.
    #[serde(default)]
    pub idp_groups: Vec<String>,
    /// Asks for a reason at each issuance (sent as a session tag, and audited).
    #[serde(default)]
    pub sensitive: bool,
    /// A session policy narrowing the role for people who use it through keydesk.
    #[serde(default)]
    pub session_policy: Option<String>,
    /// IAM Identity Center: the account and permission set that give this role to a person there.
    #[serde(default)]
    pub sso_account_id: String,
    #[serde(default)]
    pub sso_role_name: String,
}

/// Who a person is, as the catalogue asks: their keydesk role, IAM groups, and the groups their
/// identity provider or directory named at sign-in.
#[derive(Debug, Clone, Copy)]
pub struct Membership<'a> {
    pub role: super::Role,
    pub iam_groups: &'a [String],
    pub idp_groups: &'a [String],
}

/// Does `listed` (an administrator's entry) name `held` (a group as the token or directory gave it)?
/// Case does not matter; a directory group's DN is also named by its first value (`cn=eng,ou=…` by `eng`).
fn names_group(listed: &str, held: &str) -> bool {
    let first_value = || held.split_once(',').map_or(held, |(rdn, _)| rdn).split_once('=').map(|(_, v)| v.trim());
    listed.eq_ignore_ascii_case(held) || (held.contains('=') && first_value().is_some_and(|v| v.eq_ignore_ascii_case(listed)))
}

impl WorkRole {
    /// May `who` use it?
    pub fn may_use(&self, who: Membership<'_>) -> bool {
        self.portal_roles.contains(&who.role)
            || self.iam_groups.iter().any(|g| who.iam_groups.iter().any(|x| x.eq_ignore_ascii_case(g)))
            || self.idp_groups.iter().any(|g| who.idp_groups.iter().any(|x| names_group(g, x)))
    }

    /// The entry in one line, for the audit's before/after.
    pub fn describe(&self) -> String {
        let mut who: Vec<String> = self.portal_roles.iter().map(|r| r.as_str().to_owned()).collect();
        who.extend(self.iam_groups.iter().map(|g| format!("iam:{g}")));
        who.extend(self.idp_groups.iter().map(|g| format!("idp:{g}")));
        let mut s = format!(
            "{} arn={} name={:?} alias={:?} max={}s who=[{}] sensitive={}",
            self.id,
            self.role_arn,
            self.display_name,
            self.account_alias,
            self.max_session_secs,
            who.join(","),
            self.sensitive
        );
        if let Some(p) = &self.session_policy {
            s.push_str(&format!(" session_policy={}B", p.len()));
        }
        if !self.sso_account_id.is_empty() {
            s.push_str(&format!(" sso={}/{}", self.sso_account_id, self.sso_role_name));
        }
        s
    }
}

/// IAM Identity Center as administrators set it: where people sign in, for the `~/.aws/config` blocks
/// `aws configure sso` would write.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentityCenter {
    /// The AWS access portal URL (`https://d-xxxxxxxxxx.awsapps.com/start`).
    pub start_url: String,
    /// The region Identity Center runs in.
    pub region: String,
    /// The `[sso-session …]` name.
    pub session_name: String,
}

/// The catalogue administrators keep (one portal setting).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkRoleCatalogue {
    pub roles: Vec<WorkRole>,
    #[serde(default)]
    pub identity_center: Option<IdentityCenter>,
}

/// What the "Temporary credentials" section shows a person: the roles they may use, and where Identity
/// Center is set up, the configuration that lets the AWS CLI fetch such credentials itself.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MyWorkRoles {
    pub offers: Vec<WorkRoleOffer>,
    pub identity_center: Option<SsoSetup>,
}

/// The `~/.aws/config` text for a person's Identity Center roles and the command that signs in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SsoSetup {
    pub config: String,
    /// `aws sso login --profile <first profile>`.
    pub login: String,
    /// The profile names, in the config's order.
    pub profiles: Vec<String>,
}

/// The blocks `aws configure sso` writes for `roles` (those with an account id and a permission set):
/// one `[sso-session]`, then one `[profile]` per role, named by the role's id. `None` when no role has
/// Identity Center settings.
pub fn sso_setup(ic: &IdentityCenter, roles: &[&WorkRole]) -> Option<SsoSetup> {
    let roles: Vec<&&WorkRole> = roles.iter().filter(|r| !r.sso_account_id.is_empty() && !r.sso_role_name.is_empty()).collect();
    if roles.is_empty() {
        return None;
    }
    let session = profile_name(&ic.session_name);
    let mut config = format!(
        "[sso-session {session}]\nsso_start_url = {}\nsso_region = {}\nsso_registration_scopes = sso:account:access\n",
        ic.start_url, ic.region
    );
    let mut profiles = Vec::new();
    for r in roles {
        let profile = profile_name(&r.id);
        config.push_str(&format!(
            "\n[profile {profile}]\nsso_session = {session}\nsso_account_id = {}\nsso_role_name = {}\nregion = {}\noutput = json\n",
            r.sso_account_id, r.sso_role_name, ic.region
        ));
        profiles.push(profile);
    }
    Some(SsoSetup { login: format!("aws sso login --profile {}", profiles[0]), config, profiles })
}

/// A role offered to a person, as the "Temporary credentials" section lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkRoleOffer {
    pub id: String,
    pub display_name: String,
    pub account_alias: String,
    pub role_arn: String,
    /// The durations offered, in seconds, shortest first.
    pub durations: Vec<u32>,
    pub sensitive: bool,
    /// keydesk itself runs on a role: sessions are capped at one hour (role chaining).
    pub chained: bool,
}

/// How many sessions of a role one person got over the review's window, and when the last one was.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuanceCount {
    pub role_id: String,
    pub role: String,
    pub person: String,
    pub issued: u32,
    #[serde(with = "time::serde::rfc3339")]
    pub last_at: OffsetDateTime,
}

/// One session in keydesk's ledger, as the help desk sees it (never a secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerSession {
    pub access_key_id: String,
    pub role: String,
    pub role_arn: String,
    #[serde(with = "time::serde::rfc3339")]
    pub issued_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    /// Not expired yet.
    pub live: bool,
}

/// A help-desk case about a person's temporary credentials, opened by their name or a pasted `ASIA…`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemporaryCase {
    /// The person (their keydesk name: the sessions' source identity).
    pub person: String,
    /// The session a pasted key id named.
    pub found: Option<LedgerSession>,
    /// The person's sessions of the last 12 hours (the longest a session lasts), newest first.
    pub sessions: Vec<LedgerSession>,
    /// The roles (ARN, name) of the live sessions: what "revoke" covers.
    pub roles: Vec<(String, String)>,
}

/// What a revocation did: the roles whose policy now denies the person's earlier sessions, and the
/// ones it could not write (with why).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevokeOutcome {
    pub revoked: Vec<String>,
    pub failed: Vec<String>,
}

/// The review's window for issuance counts.
pub const ISSUANCE_WINDOW_DAYS: i64 = 30;

/// What an issuance returns: the session and what it is for. Shown once, never stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuedSession {
    pub role: WorkRoleOffer,
    pub duration_secs: u32,
    pub credentials: TemporaryCredentials,
}

/// A session of a work role, as `sts:AssumeRole` returned it. The secret and the token are shown once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemporaryCredentials {
    /// `ASIA…`: the id CloudTrail records, which matches the session to this issuance.
    pub access_key_id: String,
    pub secret_access_key: OneTimeSecret,
    pub session_token: OneTimeSecret,
    #[serde(with = "time::serde::rfc3339")]
    pub expiration: OffsetDateTime,
    /// `arn:aws:sts::<account>:assumed-role/<role>/<session name>`.
    pub assumed_role_arn: String,
}

/// Why a requested duration is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    #[error("A session lasts at least 15 minutes.")]
    TooShort,
    #[error("This role allows sessions of at most {0}.")]
    OverRoleMaximum(String),
}

/// `secs` as people say it: "1 hour", "90 minutes", "12 hours".
pub fn human_duration(secs: u32) -> String {
    match (secs / 3600, (secs % 3600) / 60) {
        (0, m) => format!("{m} minute{}", if m == 1 { "" } else { "s" }),
        (h, 0) => format!("{h} hour{}", if h == 1 { "" } else { "s" }),
        (h, m) => format!("{} minutes", h * 60 + m),
    }
}

/// Check a requested duration against AWS's floor and the role's maximum.
pub fn check_duration(requested_secs: u32, role_max_secs: u32) -> Result<u32, DurationError> {
    if requested_secs < MIN_SESSION_SECS {
        return Err(DurationError::TooShort);
    }
    if requested_secs > role_max_secs {
        return Err(DurationError::OverRoleMaximum(human_duration(role_max_secs)));
    }
    Ok(requested_secs)
}

/// The durations a person is offered for a role allowing at most `max_secs`: 15 and 30 minutes, then
/// whole hours up to the maximum (which is always offered).
pub fn duration_choices(max_secs: u32) -> Vec<u32> {
    let max = max_secs.clamp(MIN_SESSION_SECS, MAX_SESSION_SECS);
    let mut v: Vec<u32> = [15 * 60, 30 * 60].into_iter().filter(|s| *s <= max).collect();
    v.extend((1..=12).map(|h| h * 3600).filter(|s| *s <= max));
    if v.last() != Some(&max) {
        v.push(max);
    }
    v
}

/// `RoleSessionName` for a person: `keydesk-<person>`, in STS's alphabet (`[\w+=,.@-]`, other
/// characters as `-`) and length (2–64), so CloudTrail names the person in every session's ARN.
pub fn session_name(person: &str) -> String {
    let clean: String = person.chars().map(|c| if c.is_ascii_alphanumeric() || "_+=,.@-".contains(c) { c } else { '-' }).collect();
    format!("keydesk-{clean}").chars().take(64).collect()
}

/// The ready-to-paste forms of one session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Formats {
    /// bash and zsh.
    pub posix: String,
    pub fish: String,
    pub powershell: String,
    /// Windows `cmd.exe`.
    pub windows: String,
    /// A profile of `~/.aws/credentials`.
    pub credentials_file: String,
    /// What a `credential_process` prints (`aws configure export-credentials --format process`).
    pub process_json: String,
}

/// Every format of `c`, the credentials file's profile named `profile` (cleaned as keydesk names
/// profiles). Values are quoted where the shell would otherwise read them: a secret may hold `+` and `/`,
/// never a quote, and a session token holds `/`, `+` and `=`.
pub fn formats(c: &TemporaryCredentials, profile: &str) -> Formats {
    let (id, secret, token) = (&c.access_key_id, c.secret_access_key.expose(), c.session_token.expose());
    // Whole seconds, as STS states expiries (`2026-12-06T20:00:00Z`).
    let at = c.expiration.replace_nanosecond(0).unwrap_or(c.expiration);
    let expiration = at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default();
    let vars = [("AWS_ACCESS_KEY_ID", id.as_str()), ("AWS_SECRET_ACCESS_KEY", secret), ("AWS_SESSION_TOKEN", token)];
    let lines = |f: &dyn Fn(&str, &str) -> String| vars.iter().map(|(k, v)| f(k, v)).collect::<Vec<_>>().join("\n");
    /// The keys in the order the AWS CLI prints them.
    #[derive(Serialize)]
    #[serde(rename_all = "PascalCase")]
    struct Process<'a> {
        version: u8,
        access_key_id: &'a str,
        secret_access_key: &'a str,
        session_token: &'a str,
        expiration: &'a str,
    }
    let process = Process { version: 1, access_key_id: id, secret_access_key: secret, session_token: token, expiration: &expiration };
    Formats {
        posix: lines(&|k, v| format!("export {k}='{v}'")),
        fish: lines(&|k, v| format!("set -gx {k} '{v}'")),
        powershell: lines(&|k, v| format!("$Env:{k}=\"{v}\"")),
        windows: lines(&|k, v| format!("set {k}={v}")),
        credentials_file: format!(
            "[{}]\naws_access_key_id = {id}\naws_secret_access_key = {secret}\naws_session_token = {token}",
            profile_name(profile)
        ),
        process_json: serde_json::to_string_pretty(&process).unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn creds() -> TemporaryCredentials {
        TemporaryCredentials {
            access_key_id: "ASIAIOSFODNN7EXAMPLE".into(),
            secret_access_key: OneTimeSecret::new("wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY"),
            session_token: OneTimeSecret::new("IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQ+token="),
            expiration: time::macros::datetime!(2026-12-06 20:00 UTC),
            assumed_role_arn: "arn:aws:sts::123456789012:assumed-role/ReadOnly/keydesk-alice".into(),
        }
    }

    #[test]
    fn every_format_carries_the_three_values() {
        let f = formats(&creds(), "work");
        assert_eq!(
            f.posix,
            "export AWS_ACCESS_KEY_ID='ASIAIOSFODNN7EXAMPLE'\nexport AWS_SECRET_ACCESS_KEY='wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY'\nexport AWS_SESSION_TOKEN='IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQ+token='"
        );
        assert!(f.fish.starts_with("set -gx AWS_ACCESS_KEY_ID 'ASIAIOSFODNN7EXAMPLE'\n"));
        assert!(f.powershell.starts_with("$Env:AWS_ACCESS_KEY_ID=\"ASIAIOSFODNN7EXAMPLE\"\n"));
        assert!(f.windows.ends_with("set AWS_SESSION_TOKEN=IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQ+token="));
        assert!(f.credentials_file.starts_with("[work]\naws_access_key_id = ASIAIOSFODNN7EXAMPLE\n"));
        assert!(f.credentials_file.ends_with("\naws_session_token = IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQ+token="));
    }

    #[test]
    fn the_process_json_is_what_the_cli_exports() {
        let mut c = creds();
        c.expiration += time::Duration::nanoseconds(490_650_000);
        let text = formats(&c, "x").process_json;
        let order: Vec<usize> =
            ["Version", "AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration"].iter().map(|k| text.find(k).unwrap()).collect();
        assert!(order.windows(2).all(|w| w[0] < w[1]), "the CLI's key order: {text}");
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["Version"], 1);
        assert_eq!(v["AccessKeyId"], "ASIAIOSFODNN7EXAMPLE");
        assert_eq!(v["SessionToken"], "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQ+token=");
        assert_eq!(v["Expiration"], "2026-12-06T20:00:00Z");
        assert_eq!(v.as_object().unwrap().len(), 5);
    }

    #[test]
    fn a_profile_name_cannot_break_the_file() {
        let f = formats(&creds(), "evil]\n[default");
        assert!(f.credentials_file.starts_with("[evil---default]\n"), "{}", f.credentials_file);
        assert!(formats(&creds(), "  ").credentials_file.starts_with("[default]\n"));
    }

    #[test]
    fn durations_run_from_15_minutes_to_the_roles_maximum() {
        assert_eq!(check_duration(600, 3600), Err(DurationError::TooShort));
        assert_eq!(check_duration(7200, 3600), Err(DurationError::OverRoleMaximum("1 hour".into())));
        assert_eq!(check_duration(3600, 3600), Ok(3600));
        assert_eq!(duration_choices(3600), vec![900, 1800, 3600]);
        assert_eq!(duration_choices(5400), vec![900, 1800, 3600, 5400]);
        assert_eq!(duration_choices(43200).len(), 14);
        assert_eq!(human_duration(5400), "90 minutes");
        assert_eq!(human_duration(900), "15 minutes");
    }

    #[test]
    fn who_may_use_a_role() {
        use crate::domain::Role;
        let entry = WorkRole {
            portal_roles: vec![Role::Admin],
            iam_groups: vec!["developers".into()],
            idp_groups: vec!["eng".into()],
            ..Default::default()
        };
        let who = |role, iam: &[&str], idp: &[&str]| {
            let (iam, idp): (Vec<String>, Vec<String>) =
                (iam.iter().map(|s| s.to_string()).collect(), idp.iter().map(|s| s.to_string()).collect());
            entry.may_use(Membership { role, iam_groups: &iam, idp_groups: &idp })
        };
        assert!(who(Role::Admin, &[], &[]));
        assert!(!who(Role::Employee, &[], &[]));
        assert!(who(Role::Employee, &["Developers"], &[]));
        assert!(who(Role::Employee, &[], &["ENG"]));
        assert!(who(Role::Employee, &[], &["cn=eng,ou=groups,dc=example,dc=com"]), "a directory group by its common name");
        assert!(!who(Role::Employee, &[], &["cn=engineering,ou=groups,dc=example,dc=com"]));
        assert!(!who(Role::Employee, &["eng"], &["developers"]), "IAM and IdP groups are not interchangeable");
    }

    #[test]
    fn identity_center_config_is_what_aws_configure_sso_writes() {
        let ic = IdentityCenter {
            start_url: "https://d-1234567890.awsapps.com/start".into(),
            region: "eu-west-1".into(),
            session_name: "corp".into(),
        };
        let dev = WorkRole {
            id: "developer".into(),
            sso_account_id: "111122223333".into(),
            sso_role_name: "Developer".into(),
            ..Default::default()
        };
        let plain = WorkRole { id: "plain".into(), ..Default::default() };
        assert_eq!(sso_setup(&ic, &[&plain]), None);
        let s = sso_setup(&ic, &[&plain, &dev]).unwrap();
        assert_eq!(
            s.config,
            "[sso-session corp]\nsso_start_url = https://d-1234567890.awsapps.com/start\nsso_region = eu-west-1\nsso_registration_scopes = sso:account:access\n\n[profile developer]\nsso_session = corp\nsso_account_id = 111122223333\nsso_role_name = Developer\nregion = eu-west-1\noutput = json\n"
        );
        assert_eq!(s.login, "aws sso login --profile developer");
    }

    #[test]
    fn session_names_name_the_person_in_stss_alphabet() {
        assert_eq!(session_name("alice"), "keydesk-alice");
        assert_eq!(session_name("a b/c"), "keydesk-a-b-c");
        assert_eq!(session_name(&"x".repeat(80)).len(), 64);
    }
}
