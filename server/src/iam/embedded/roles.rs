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

fn role_policy_key(role: &str, policy: &str) -> String {
    format!("role-policy:{}:{policy}", role.to_ascii_lowercase())
}

/// A session the embedded STS issued, kept so calls made with it can be judged (never its secret).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct SessionDoc {
    role: String,
    source_identity: String,
    issued_at: i64,
    expires_at: i64,
}

fn session_key(access_key_id: &str) -> String {
    format!("session:{access_key_id}")
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

    /// The role `role_arn` names, if it is one of this account's; InvalidInput when it is not a role ARN.
    async fn role_doc(&self, role_arn: &str) -> IamResult<Option<RoleDoc>> {
        let Some((account, name)) = crate::iam::role_arn_parts(role_arn) else {
            return Err(IamError::InvalidInput(format!("{role_arn:?} is not a role ARN.")));
        };
        match self.account_value(&role_key(name)).await? {
            Some(v) if account == ACCOUNT_ID => Ok(Some(serde_json::from_str::<RoleDoc>(&v).map_err(db_err)?)),
            _ => Ok(None),
        }
    }

    pub(super) async fn assume(&self, request: &WorkRoleRequest) -> IamResult<TemporaryCredentials> {
        let arn = &request.role_arn;
        let Some(role) = self.role_doc(arn).await? else {
            return Err(not_authorized(arn, "sts:AssumeRole"));
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
        let access_key_id = new_id("ASIA");
        let record = SessionDoc {
            role: role.name.clone(),
            source_identity: request.person.clone(),
            issued_at: now.unix_timestamp(),
            expires_at: expiration.unix_timestamp(),
        };
        self.set_account_value(&session_key(&access_key_id), Some(&serde_json::to_string(&record).map_err(db_err)?)).await?;
        Ok(TemporaryCredentials {
            access_key_id,
            secret_access_key: OneTimeSecret::new(new_secret(40)),
            session_token: OneTimeSecret::new(format!("IQoJb3JpZ2luX2Vj{}", new_secret(340))),
            expiration,
            assumed_role_arn: format!("arn:aws:sts::{ACCOUNT_ID}:assumed-role/{}/{session}", role.name),
        })
    }

    /// The name of the role `role_arn` names, or IAM's NotFound.
    async fn existing_role(&self, role_arn: &str) -> IamResult<String> {
        match self.role_doc(role_arn).await? {
            Some(role) => Ok(role.name),
            None => {
                let name = crate::iam::role_arn_parts(role_arn).map_or(role_arn, |(_, n)| n);
                Err(IamError::NotFound(format!("The role with name {name} cannot be found.")))
            }
        }
    }

    pub(super) async fn get_role_policy(&self, role_arn: &str, policy: &str) -> IamResult<Option<String>> {
        let role = self.existing_role(role_arn).await?;
        self.account_value(&role_policy_key(&role, policy)).await
    }

    pub(super) async fn set_role_policy(&self, role_arn: &str, policy: &str, document: Option<&str>) -> IamResult<()> {
        let role = self.existing_role(role_arn).await?;
        if let Some(doc) = document {
            if serde_json::from_str::<serde_json::Value>(doc).is_err() {
                return Err(IamError::InvalidInput("MalformedPolicyDocument: the policy is not JSON.".into()));
            }
            if doc.chars().filter(|c| !c.is_whitespace()).count() > crate::iam::revocation::ROLE_POLICY_LIMIT {
                return Err(IamError::InvalidInput("LimitExceeded: the role's inline policies exceed 10240 characters.".into()));
            }
        }
        self.set_account_value(&role_policy_key(&role, policy), document).await
    }

    /// Would AWS accept a call signed with the session `access_key_id`? Refused when the session is
    /// unknown or expired, or when the role's revocation policy (keydesk's `keydesk-revocations`, the
    /// one inline policy this emulation evaluates) denies its source identity and issue time.
    pub async fn authorize_session(&self, access_key_id: &str) -> IamResult<()> {
        let Some(doc) = self.account_value(&session_key(access_key_id)).await? else {
            return Err(IamError::AccessDenied("The security token included in the request is invalid.".into()));
        };
        let s: SessionDoc = serde_json::from_str(&doc).map_err(db_err)?;
        if self.clock.now().unix_timestamp() >= s.expires_at {
            return Err(IamError::AccessDenied("ExpiredToken: the security token included in the request is expired.".into()));
        }
        let policy = crate::iam::revocation::POLICY_NAME;
        if let Some(p) = self.account_value(&role_policy_key(&s.role, policy)).await? {
            let issued = OffsetDateTime::from_unix_timestamp(s.issued_at).map_err(db_err)?;
            if crate::iam::revocation::denies(&p, &s.source_identity, issued) {
                return Err(IamError::AccessDenied(format!(
                    "with an explicit deny in an identity-based policy: arn:aws:iam::{ACCOUNT_ID}:role/{} ({policy})",
                    s.role
                )));
            }
        }
        Ok(())
    }
}
