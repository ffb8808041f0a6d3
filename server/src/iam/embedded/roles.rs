//! The embedded IAM's work roles and STS's `AssumeRole` of them, as AWS answers: a role's trust policy
//! (does it admit keydesk's principal, with `sts:SetSourceIdentity` and `sts:TagSession`?), its
//! maximum session, `ASIA…` ids, a secret, a session token and an expiry. Roles are account-wide
//! values (`iam_account`, key `role:<name>`), made by the demo seed or a test.

use super::*;
use app::domain::temporary::{session_name, TemporaryCredentials, MAX_SESSION_SECS, MIN_SESSION_SECS};

/// What a role's trust policy admits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RoleTrust {
    /// keydesk's principal with sts:AssumeRole, sts:SetSourceIdentity and sts:TagSession.
    Keydesk,
    /// keydesk's principal with sts:AssumeRole only: a source identity is refused.
    KeydeskWithoutSourceIdentity,
    /// Someone else.
    Others,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct RoleDoc {
    name: String,
    max_session_secs: u32,
    trust: RoleTrust,
}

fn role_key(name: &str) -> String {
    format!("role:{}", name.to_ascii_lowercase())
}

/// STS's answer to a role that does not exist or does not trust the caller: the same words for both.
fn not_authorized(arn: &str, action: &str) -> IamError {
    IamError::AccessDenied(format!("keydesk is not authorized to perform: {action} on resource: {arn}"))
}

impl EmbeddedIam {
    /// Make (or replace) the role `name`, whose sessions last at most `max_session_secs`. Its ARN.
    pub async fn create_role(&self, name: &str, max_session_secs: u32, trust: RoleTrust) -> IamResult<String> {
        if !(3600..=MAX_SESSION_SECS).contains(&max_session_secs) {
            return Err(IamError::InvalidInput("MaxSessionDuration must be between 3600 and 43200 seconds.".into()));
        }
        let doc = RoleDoc { name: name.to_owned(), max_session_secs, trust };
        self.set_account_value(&role_key(name), Some(&serde_json::to_string(&doc).map_err(db_err)?)).await?;
        Ok(format!("arn:aws:iam::{ACCOUNT_ID}:role/{name}"))
    }

    pub(super) async fn assume(&self, request: &WorkRoleRequest) -> IamResult<TemporaryCredentials> {
        let arn = &request.role_arn;
        let Some((account, name)) = crate::iam::role_arn_parts(arn) else {
            return Err(IamError::InvalidInput(format!("{arn:?} is not a role ARN.")));
        };
        let role = match self.account_value(&role_key(name)).await? {
            Some(v) if account == ACCOUNT_ID => serde_json::from_str::<RoleDoc>(&v).map_err(db_err)?,
            _ => return Err(not_authorized(arn, "sts:AssumeRole")),
        };
        match role.trust {
            RoleTrust::Others => return Err(not_authorized(arn, "sts:AssumeRole")),
            RoleTrust::KeydeskWithoutSourceIdentity => return Err(not_authorized(arn, "sts:SetSourceIdentity")),
            RoleTrust::Keydesk => {}
        }
        if request.duration_secs < MIN_SESSION_SECS {
            return Err(IamError::InvalidInput("DurationSeconds must be at least 900.".into()));
        }
        if request.duration_secs > role.max_session_secs {
            return Err(IamError::InvalidInput("The requested DurationSeconds exceeds the MaxSessionDuration set for this role.".into()));
        }
        let session = session_name(&request.person);
        let identity_ok =
            (2..=64).contains(&request.person.len()) && request.person.chars().all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c));
        if !identity_ok {
            return Err(IamError::InvalidInput("SourceIdentity must be 2 to 64 characters of [\\w+=,.@-].".into()));
        }
        if request.tags.len() > 50 || request.tags.iter().any(|(k, v)| k.is_empty() || k.len() > 128 || v.len() > 256) {
            return Err(IamError::InvalidInput("Session tags: at most 50, keys of 1 to 128 and values of up to 256 characters.".into()));
        }
        if request.policy.as_ref().is_some_and(|p| p.len() > 2048) {
            return Err(IamError::InvalidInput("The session policy exceeds 2048 characters (PackedPolicyTooLarge).".into()));
        }
        // STS states expiries in whole seconds.
        let now = self.clock.now();
        let expiration = now.replace_nanosecond(0).unwrap_or(now) + time::Duration::seconds(i64::from(request.duration_secs));
        Ok(TemporaryCredentials {
            access_key_id: new_id("ASIA"),
            secret_access_key: OneTimeSecret::new(new_secret(40)),
            session_token: OneTimeSecret::new(format!("IQoJb3JpZ2luX2Vj{}", new_secret(340))),
            expiration,
            assumed_role_arn: format!("arn:aws:sts::{ACCOUNT_ID}:assumed-role/{}/{session}", role.name),
        })
    }
}
