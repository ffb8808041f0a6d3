//! Who a verified ID token names, in keydesk's terms: the IAM user (from a configured claim, optionally
//! through a regex) and the role (from the groups claim through the role map). The identity itself is
//! the pair (issuer, subject): an e-mail address or a name never links a sign-in to an account.

use super::config::OidcConfig;
use app::domain::{IamUserName, Role};
use serde_json::{Map, Value};

/// The person a token names.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Person {
    pub iam_user: String,
    pub display_name: String,
    pub role: Role,
    /// The groups the token or directory names (at most [`MAX_GROUPS`] kept).
    #[serde(default)]
    pub groups: Vec<String>,
}

/// The most groups a session keeps (a token may list hundreds; the catalogue needs a few).
pub const MAX_GROUPS: usize = 200;

/// Why a verified token gives no sign-in. Each is shown to the person and audited in these words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("your identity provider did not send the claim keydesk reads your user name from ({0})")]
    NoUsername(String),
    #[error("your user name at the identity provider does not have the form keydesk was set up for")]
    UsernameForm,
    #[error("your user name at the identity provider is not a valid IAM user name")]
    NotAnIamName,
    #[error(
        "you are in more groups than your identity provider puts in a token (group overage), so keydesk \
         cannot see your groups; an administrator must limit the groups sent to keydesk"
    )]
    GroupOverage,
    #[error("none of your groups gives access to keydesk")]
    NoMappedGroup,
    #[error("keydesk is open only to some groups, and you are in none of them")]
    NotAllowed,
}

/// The groups a token lists: an array of strings, or one string.
fn groups(claims: &Map<String, Value>, claim: &str) -> Vec<String> {
    match claims.get(claim) {
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
        Some(Value::String(s)) => vec![s.clone()],
        _ => vec![],
    }
}

/// Does the token say its groups were left out (Entra ID's group overage: the claim is named in
/// `_claim_names` and served elsewhere)?
fn overage(claims: &Map<String, Value>, claim: &str) -> bool {
    claims.get("_claim_names").and_then(Value::as_object).is_some_and(|names| names.contains_key(claim))
        || claims.get("hasgroups").and_then(Value::as_bool) == Some(true)
}

pub fn person(cfg: &OidcConfig, claims: &Map<String, Value>) -> Result<Person, Refusal> {
    let raw = claims
        .get(&cfg.username_claim)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| Refusal::NoUsername(cfg.username_claim.clone()))?;
    let name = match &cfg.username_regex {
        None => raw.to_owned(),
        Some(re) => {
            let caps = re.captures(raw).ok_or(Refusal::UsernameForm)?;
            let m = caps.name("u").or_else(|| caps.get(1)).ok_or(Refusal::UsernameForm)?;
            m.as_str().to_owned()
        }
    };
    let iam_user = IamUserName::parse(&name).map_err(|_| Refusal::NotAnIamName)?;
    let groups = groups(claims, &cfg.groups_claim);
    if groups.is_empty() && overage(claims, &cfg.groups_claim) {
        return Err(Refusal::GroupOverage);
    }
    if !cfg.allowed_groups.is_empty() && !groups.iter().any(|g| cfg.allowed_groups.contains(g)) {
        return Err(Refusal::NotAllowed);
    }
    let role = highest_role(&cfg.role_map, |g| groups.iter().any(|x| x == g)).ok_or(Refusal::NoMappedGroup)?;
    let display_name = claims
        .get("name")
        .and_then(Value::as_str)
        .map(|n| n.trim().chars().take(100).collect::<String>())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| iam_user.to_string());
    Ok(Person { iam_user: iam_user.to_string(), display_name, role, groups: groups.into_iter().take(MAX_GROUPS).collect() })
}

/// The highest role the map gives to a person in the groups `member` accepts; `None`: no mapped group.
pub fn highest_role(map: &[(Role, String)], member: impl Fn(&str) -> bool) -> Option<Role> {
    map.iter().filter(|(_, g)| member(g)).map(|(r, _)| *r).max_by_key(|r| rank(*r))
}

fn rank(r: Role) -> u8 {
    match r {
        Role::Employee => 0,
        Role::Helpdesk => 1,
        Role::Admin => 2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::SecretString;

    fn cfg(regex: Option<&str>) -> OidcConfig {
        OidcConfig {
            issuer: "https://idp.example".into(),
            client_id: "keydesk".into(),
            client_secret: SecretString::from("s".to_owned()),
            scopes: vec!["openid".into()],
            username_claim: "preferred_username".into(),
            username_regex: regex.map(|r| regex::Regex::new(r).unwrap()),
            groups_claim: "groups".into(),
            groups_source: super::super::config::GroupsSource::IdToken,
            role_map: super::super::config::parse_role_map("employee=staff,helpdesk=support,admin=iam-admins", ',', "--oidc-role-map")
                .unwrap(),
            allowed_groups: vec![],
            step_up_acr: None,
            algorithms: vec![super::super::jwt::Alg::RS256],
            leeway: 60,
            display_name: "Corp".into(),
            redirect_uri: "https://keydesk.example/auth/oidc/callback".into(),
        }
    }

    fn claims(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn the_highest_mapped_role_wins() {
        let c = claims(serde_json::json!({"preferred_username": "ana", "groups": ["staff", "iam-admins", "other"]}));
        assert_eq!(person(&cfg(None), &c).unwrap().role, Role::Admin);
        let c = claims(serde_json::json!({"preferred_username": "ana", "groups": ["support", "staff"]}));
        assert_eq!(person(&cfg(None), &c).unwrap().role, Role::Helpdesk);
    }

    #[test]
    fn no_mapped_group_no_role() {
        let c = claims(serde_json::json!({"preferred_username": "ana", "groups": ["other"]}));
        assert_eq!(person(&cfg(None), &c), Err(Refusal::NoMappedGroup));
        let c = claims(serde_json::json!({"preferred_username": "ana"}));
        assert_eq!(person(&cfg(None), &c), Err(Refusal::NoMappedGroup));
    }

    #[test]
    fn entra_group_overage_is_named() {
        let c =
            claims(serde_json::json!({"preferred_username": "ana", "_claim_names": {"groups": "src1"}, "_claim_sources": {"src1": {}}}));
        assert_eq!(person(&cfg(None), &c), Err(Refusal::GroupOverage));
    }

    #[test]
    fn the_regex_extracts_the_iam_name_and_refuses_other_forms() {
        let cfg = cfg(Some(r"^(?P<u>[^@]+)@corp\.example$"));
        let c = claims(serde_json::json!({"preferred_username": "ana.lima@corp.example", "groups": ["staff"]}));
        assert_eq!(person(&cfg, &c).unwrap().iam_user, "ana.lima");
        let c = claims(serde_json::json!({"preferred_username": "ana@evil.example", "groups": ["staff"]}));
        assert_eq!(person(&cfg, &c), Err(Refusal::UsernameForm));
        let c = claims(serde_json::json!({"preferred_username": "a b@corp.example", "groups": ["staff"]}));
        assert_eq!(person(&cfg, &c), Err(Refusal::NotAnIamName));
    }
}
