//! The OpenID Connect settings (`--oidc-*`, `KEYDESK_OIDC_*`) and their checked form.

use super::jwt::Alg;
use app::domain::Role;
use clap::{Args, ValueEnum};
use secrecy::SecretString;
use std::path::PathBuf;

#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Sign-in through an OpenID Connect provider")]
pub struct OidcSettings {
    /// The provider's issuer URL, exactly as its discovery document states it (e.g.
    /// https://login.example.com/realms/corp). Setting it turns OpenID Connect sign-in on.
    #[arg(long, env = "KEYDESK_OIDC_ISSUER")]
    pub oidc_issuer: Option<String>,

    /// keydesk's client id at the provider. Its one redirect URI is <public-url>/auth/oidc/callback.
    #[arg(long, env = "KEYDESK_OIDC_CLIENT_ID")]
    pub oidc_client_id: Option<String>,

    /// A file holding the client secret (never on the command line or in the environment).
    #[arg(long, env = "KEYDESK_OIDC_CLIENT_SECRET_FILE")]
    pub oidc_client_secret_file: Option<PathBuf>,

    /// Scopes asked for, space-separated (`openid` is always sent).
    #[arg(long, env = "KEYDESK_OIDC_SCOPES", default_value = "openid profile email")]
    pub oidc_scopes: String,

    /// The ID-token claim that names the person's IAM user.
    #[arg(long, env = "KEYDESK_OIDC_USERNAME_CLAIM", default_value = "preferred_username")]
    pub oidc_username_claim: String,

    /// A regular expression the username claim must match; its group `u` (or its first group) is the IAM
    /// user name, e.g. `^(?P<u>[^@]+)@corp\.example$`.
    #[arg(long, env = "KEYDESK_OIDC_USERNAME_REGEX")]
    pub oidc_username_regex: Option<String>,

    /// The claim that lists the person's groups.
    #[arg(long, env = "KEYDESK_OIDC_GROUPS_CLAIM", default_value = "groups")]
    pub oidc_groups_claim: String,

    /// Where the groups claim is read: the signed ID token, or the provider's userinfo endpoint (with
    /// the access token, used once and never kept), for providers that leave groups out of ID tokens.
    #[arg(long, env = "KEYDESK_OIDC_GROUPS_SOURCE", value_enum, default_value_t = GroupsSource::IdToken)]
    pub oidc_groups_source: GroupsSource,

    /// Which groups give which keydesk role: `admin=GROUP,helpdesk=GROUP,employee=GROUP` (a role may be
    /// named more than once; the highest role a person's groups give wins; no match: no sign-in).
    #[arg(long, env = "KEYDESK_OIDC_ROLE_MAP")]
    pub oidc_role_map: Option<String>,

    /// Only people in one of these groups may sign in (comma-separated; unset: everyone the role map
    /// gives a role).
    #[arg(long, env = "KEYDESK_OIDC_ALLOWED_GROUPS", value_delimiter = ',')]
    pub oidc_allowed_groups: Vec<String>,

    /// `acr_values` sent when a sensitive action asks for a fresh sign-in at the provider.
    #[arg(long, env = "KEYDESK_OIDC_STEP_UP_ACR")]
    pub oidc_step_up_acr: Option<String>,

    /// ID-token signature algorithms accepted (comma-separated; RS256 RS384 RS512 PS256 ES256 ES384).
    /// `none` and HMAC algorithms are never accepted.
    #[arg(long, env = "KEYDESK_OIDC_ALGORITHMS", value_delimiter = ',', default_value = "RS256,ES256")]
    pub oidc_algorithms: Vec<String>,

    /// Clock skew forgiven on the ID token's times (seconds, at most 300).
    #[arg(long, env = "KEYDESK_OIDC_LEEWAY_SECONDS", default_value_t = 60, value_parser = clap::value_parser!(u32).range(0..=300))]
    pub oidc_leeway_seconds: u32,

    /// The provider's display name on the sign-in button.
    #[arg(long, env = "KEYDESK_OIDC_DISPLAY_NAME", default_value = "your company account")]
    pub oidc_display_name: String,

    /// Keydesk's own passwords: `enabled` (everyone with one), `breakglass` (administrators only, on
    /// /sign-in/local, each use audited and shown to every administrator) or `disabled`. Default:
    /// `enabled` without an OpenID provider, `breakglass` with one.
    #[arg(long, env = "KEYDESK_LOCAL_SIGN_IN", value_enum)]
    pub local_sign_in: Option<LocalSignIn>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GroupsSource {
    IdToken,
    Userinfo,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, serde::Serialize)]
pub enum LocalSignIn {
    Enabled,
    Breakglass,
    Disabled,
}

/// The settings, checked: what the relying party runs with.
#[derive(Debug, Clone)]
pub struct OidcConfig {
    pub issuer: String,
    pub client_id: String,
    pub client_secret: SecretString,
    pub scopes: Vec<String>,
    pub username_claim: String,
    pub username_regex: Option<regex::Regex>,
    pub groups_claim: String,
    pub groups_source: GroupsSource,
    pub role_map: Vec<(Role, String)>,
    pub allowed_groups: Vec<String>,
    pub step_up_acr: Option<String>,
    pub algorithms: Vec<Alg>,
    pub leeway: i64,
    pub display_name: String,
    /// `<public-url>/auth/oidc/callback`.
    pub redirect_uri: String,
}

/// Is `url` acceptable as a provider address: https, or http on a loopback host (tests, demos)?
pub fn acceptable_url(url: &str) -> bool {
    let Ok(u) = url::Url::parse(url) else { return false };
    match u.scheme() {
        "https" => u.host().is_some(),
        "http" => matches!(u.host_str(), Some("127.0.0.1" | "localhost" | "[::1]")),
        _ => false,
    }
}

impl OidcSettings {
    /// `None` when OpenID Connect is off; an error line naming the setting when a setting is wrong.
    pub fn check(&self, public_origin: &str) -> Result<Option<OidcConfig>, String> {
        let Some(issuer) = self.oidc_issuer.clone() else {
            if self.oidc_client_id.is_some() || self.oidc_client_secret_file.is_some() || self.oidc_role_map.is_some() {
                return Err("--oidc-client-id, --oidc-client-secret-file and --oidc-role-map need --oidc-issuer".into());
            }
            return Ok(None);
        };
        if !acceptable_url(&issuer) {
            return Err("--oidc-issuer must be an https URL (http only on a loopback address)".into());
        }
        let client_id = self.oidc_client_id.clone().filter(|c| !c.trim().is_empty()).ok_or("--oidc-issuer needs --oidc-client-id")?;
        let path = self.oidc_client_secret_file.as_ref().ok_or("--oidc-issuer needs --oidc-client-secret-file")?;
        let secret = std::fs::read_to_string(path).map_err(|e| format!("--oidc-client-secret-file {}: {e}", path.display()))?;
        let secret = secret.trim_end_matches(['\r', '\n']).to_owned();
        if secret.is_empty() {
            return Err(format!("--oidc-client-secret-file {} is empty", path.display()));
        }
        let mut scopes: Vec<String> = vec!["openid".into()];
        for s in self.oidc_scopes.split_whitespace() {
            if !scopes.iter().any(|x| x == s) {
                scopes.push(s.to_owned());
            }
        }
        let username_regex = match &self.oidc_username_regex {
            None => None,
            Some(r) => {
                let re = regex::Regex::new(r).map_err(|e| format!("--oidc-username-regex: {e}"))?;
                if re.captures_len() < 2 {
                    return Err("--oidc-username-regex needs a group, (?P<u>…) or (…), around the IAM user name".into());
                }
                Some(re)
            }
        };
        let map = self.oidc_role_map.as_deref().ok_or("--oidc-issuer needs --oidc-role-map (admin=GROUP,helpdesk=GROUP,employee=GROUP)")?;
        let role_map = parse_role_map(map, ',', "--oidc-role-map")?;
        let mut algorithms = Vec::new();
        for a in &self.oidc_algorithms {
            let alg = Alg::parse(a.trim()).ok_or_else(|| {
                format!("--oidc-algorithms: {a:?} is not one of RS256 RS384 RS512 PS256 ES256 ES384 (none and HMAC are never accepted)")
            })?;
            algorithms.push(alg);
        }
        if algorithms.is_empty() {
            return Err("--oidc-algorithms names no algorithm".into());
        }
        Ok(Some(OidcConfig {
            issuer,
            client_id,
            client_secret: SecretString::from(secret),
            scopes,
            username_claim: self.oidc_username_claim.clone(),
            username_regex,
            groups_claim: self.oidc_groups_claim.clone(),
            groups_source: self.oidc_groups_source,
            role_map,
            allowed_groups: self.oidc_allowed_groups.iter().map(|g| g.trim().to_owned()).filter(|g| !g.is_empty()).collect(),
            step_up_acr: self.oidc_step_up_acr.clone().filter(|a| !a.trim().is_empty()),
            algorithms,
            leeway: i64::from(self.oidc_leeway_seconds),
            display_name: self.oidc_display_name.clone(),
            redirect_uri: format!("{public_origin}{}", super::CALLBACK_PATH),
        }))
    }
}

/// `admin=a,helpdesk=b,employee=c,employee=d` (pairs separated by `sep`) → pairs; errors name `flag`.
pub fn parse_role_map(s: &str, sep: char, flag: &str) -> Result<Vec<(Role, String)>, String> {
    let mut out = Vec::new();
    for pair in s.split(sep).map(str::trim).filter(|p| !p.is_empty()) {
        let (role, group) = pair.split_once('=').ok_or_else(|| format!("{flag}: {pair:?} is not ROLE=GROUP"))?;
        let role = Role::parse(role.trim()).ok_or_else(|| format!("{flag}: {role:?} is not employee, helpdesk or admin"))?;
        let group = group.trim();
        if group.is_empty() {
            return Err(format!("{flag}: {pair:?} names no group"));
        }
        out.push((role, group.to_owned()));
    }
    if out.is_empty() {
        return Err(format!("{flag} names no group"));
    }
    Ok(out)
}
