//! The LDAP / Active Directory settings (`--ldap-*`, `KEYDESK_LDAP_*`) and their checked form.

use app::domain::Role;
use clap::Args;
use secrecy::SecretString;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Sign-in against an LDAP directory or Active Directory")]
pub struct LdapSettings {
    /// The directory: `ldaps://host[:636]`, or `ldap://host[:389]`, on which StartTLS is always used
    /// before anything else is sent. Setting it turns directory sign-in on (not together with
    /// --oidc-issuer).
    #[arg(long, env = "KEYDESK_LDAP_URL")]
    pub ldap_url: Option<String>,

    /// A PEM file of the certificate authorities that sign the directory's certificate (default:
    /// Mozilla's public roots).
    #[arg(long, env = "KEYDESK_LDAP_CA_FILE")]
    pub ldap_ca_file: Option<PathBuf>,

    /// keydesk's service account, which searches for the person before their own bind (e.g.
    /// `cn=keydesk,ou=services,dc=corp,dc=example`, or `keydesk@corp.example` for Active Directory).
    #[arg(long, env = "KEYDESK_LDAP_BIND_DN")]
    pub ldap_bind_dn: Option<String>,

    /// A file holding the service account's password (never on the command line or in the environment).
    #[arg(long, env = "KEYDESK_LDAP_BIND_PASSWORD_FILE")]
    pub ldap_bind_password_file: Option<PathBuf>,

    /// Where people are searched for (the whole subtree), e.g. `ou=people,dc=corp,dc=example`.
    #[arg(long, env = "KEYDESK_LDAP_BASE_DN")]
    pub ldap_base_dn: Option<String>,

    /// The search filter; `{login}` is replaced by what the person typed, escaped (RFC 4515). Active
    /// Directory: `(&(objectClass=user)(sAMAccountName={login}))`.
    #[arg(long, env = "KEYDESK_LDAP_USER_FILTER", default_value = "(&(objectClass=inetOrgPerson)(uid={login}))")]
    pub ldap_user_filter: String,

    /// The attribute that holds the person's IAM user name (Active Directory: `sAMAccountName`).
    #[arg(long, env = "KEYDESK_LDAP_USERNAME_ATTRIBUTE", default_value = "uid")]
    pub ldap_username_attribute: String,

    /// The attribute shown as the person's name (Active Directory: `displayName`).
    #[arg(long, env = "KEYDESK_LDAP_DISPLAY_NAME_ATTRIBUTE", default_value = "cn")]
    pub ldap_display_name_attribute: String,

    /// The attribute listing the groups the person is in, as DNs.
    #[arg(long, env = "KEYDESK_LDAP_GROUP_ATTRIBUTE", default_value = "memberOf")]
    pub ldap_group_attribute: String,

    /// Which groups give which keydesk role, separated by `;` since DNs hold commas:
    /// `admin=cn=iam-admins,ou=groups,dc=corp,dc=example;employee=cn=staff,ou=groups,dc=corp,dc=example`
    /// (the highest role wins; no match: no sign-in).
    #[arg(long, env = "KEYDESK_LDAP_ROLE_MAP")]
    pub ldap_role_map: Option<String>,

    /// The directory's name on the sign-in page.
    #[arg(long, env = "KEYDESK_LDAP_DISPLAY_NAME", default_value = "your company account")]
    pub ldap_display_name: String,

    /// How long one sign-in may wait for the directory (seconds).
    #[arg(long, env = "KEYDESK_LDAP_TIMEOUT_SECONDS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=60))]
    pub ldap_timeout_seconds: u64,
}

/// The settings, checked: what directory sign-in runs with.
#[derive(Debug, Clone)]
pub struct LdapConfig {
    pub url: String,
    /// `ldap://`: StartTLS before anything else; `ldaps://`: TLS from the first byte.
    pub starttls: bool,
    /// The certificate authorities (PEM), when not Mozilla's.
    pub ca_pem: Option<Vec<u8>>,
    pub bind_dn: String,
    pub bind_password: SecretString,
    pub base_dn: String,
    pub user_filter: String,
    pub username_attribute: String,
    pub display_name_attribute: String,
    pub group_attribute: String,
    /// Roles and the group DNs that give them, in [`normalize_dn`] form.
    pub role_map: Vec<(Role, String)>,
    pub display_name: String,
    pub timeout: Duration,
}

impl LdapConfig {
    /// The "issuer" half of a directory person's identity: the directory's base, whatever the server
    /// address (a replica, or LDAPS instead of StartTLS, is the same directory).
    pub fn issuer(&self) -> String {
        format!("ldap:{}", normalize_dn(&self.base_dn))
    }
}

/// A DN in one spelling for comparison: lower case, no spaces around `,` and `=`.
pub fn normalize_dn(dn: &str) -> String {
    dn.split(',')
        .map(|rdn| match rdn.split_once('=') {
            Some((k, v)) => format!("{}={}", k.trim(), v.trim()),
            None => rdn.trim().to_owned(),
        })
        .collect::<Vec<_>>()
        .join(",")
        .to_lowercase()
}

impl LdapSettings {
    /// `None` when directory sign-in is off; an error line naming the setting when a setting is wrong.
    pub fn check(&self) -> Result<Option<LdapConfig>, String> {
        let Some(url) = self.ldap_url.clone() else {
            if self.ldap_bind_dn.is_some() || self.ldap_base_dn.is_some() || self.ldap_role_map.is_some() {
                return Err("--ldap-bind-dn, --ldap-base-dn and --ldap-role-map need --ldap-url".into());
            }
            return Ok(None);
        };
        let parsed = url::Url::parse(&url).map_err(|e| format!("--ldap-url {url:?}: {e}"))?;
        let starttls = match parsed.scheme() {
            "ldaps" => false,
            "ldap" => true,
            other => return Err(format!("--ldap-url must start with ldaps:// or ldap:// (with StartTLS), not {other}://")),
        };
        if parsed.host_str().is_none_or(str::is_empty) || !matches!(parsed.path(), "" | "/") || parsed.query().is_some() {
            return Err("--ldap-url is the server only: ldaps://host[:port] or ldap://host[:port]".into());
        }
        let ca_pem = match &self.ldap_ca_file {
            None => None,
            Some(p) => Some(std::fs::read(p).map_err(|e| format!("--ldap-ca-file {}: {e}", p.display()))?),
        };
        let bind_dn = self.ldap_bind_dn.clone().filter(|d| !d.trim().is_empty()).ok_or("--ldap-url needs --ldap-bind-dn")?;
        let path = self.ldap_bind_password_file.as_ref().ok_or("--ldap-url needs --ldap-bind-password-file")?;
        let password = std::fs::read_to_string(path).map_err(|e| format!("--ldap-bind-password-file {}: {e}", path.display()))?;
        let password = password.trim_end_matches(['\r', '\n']).to_owned();
        if password.is_empty() {
            // An empty password would make the service bind an unauthenticated one (RFC 4513 §5.1.2).
            return Err(format!("--ldap-bind-password-file {} is empty", path.display()));
        }
        let base_dn = self.ldap_base_dn.clone().filter(|d| !d.trim().is_empty()).ok_or("--ldap-url needs --ldap-base-dn")?;
        if self.ldap_user_filter.matches("{login}").count() == 0 {
            return Err("--ldap-user-filter must contain {login}".into());
        }
        if !(self.ldap_user_filter.starts_with('(') && self.ldap_user_filter.ends_with(')')) {
            return Err("--ldap-user-filter must be one parenthesised filter, e.g. (&(objectClass=inetOrgPerson)(uid={login}))".into());
        }
        let map =
            self.ldap_role_map.as_deref().ok_or("--ldap-url needs --ldap-role-map (admin=GROUP-DN;helpdesk=GROUP-DN;employee=GROUP-DN)")?;
        let role_map = crate::oidc::config::parse_role_map(map, ';', "--ldap-role-map")?
            .into_iter()
            .map(|(role, dn)| (role, normalize_dn(&dn)))
            .collect();
        Ok(Some(LdapConfig {
            url,
            starttls,
            ca_pem,
            bind_dn,
            bind_password: SecretString::from(password),
            base_dn,
            user_filter: self.ldap_user_filter.clone(),
            username_attribute: self.ldap_username_attribute.clone(),
            display_name_attribute: self.ldap_display_name_attribute.clone(),
            group_attribute: self.ldap_group_attribute.clone(),
            role_map,
            display_name: self.ldap_display_name.clone(),
            timeout: Duration::from_secs(self.ldap_timeout_seconds),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dns_compare_in_one_spelling() {
        assert_eq!(normalize_dn("CN=IAM Admins, OU=Groups,DC=Corp , DC=example"), "cn=iam admins,ou=groups,dc=corp,dc=example");
    }
}
