//! The AWS backend: real IAM through aws-sdk-iam, with credentials from STS AssumeRole per caller.
//!
//! - keydesk's own identity comes from the standard aws-config chain (environment, profile, instance
//!   role). Employees get the user role with a session policy naming only their IAM user
//!   ([`super::policy`]); help desk and admins get their own roles. Assumed credentials are cached per
//!   caller until five minutes before they expire.
//! - Non-idempotent creates run with SDK retries disabled: a timeout or 5xx after sending is reported as
//!   [`IamError::Ambiguous`] for the portal to reconcile, never retried blindly.
//! - Every SDK error becomes a semantic [`IamError`] ([`map_error`]); moto's bare 403s count as
//!   AccessDenied.

use super::policy::entitled_policy;
use super::*;
use app::domain::signing_cert::SigningCert;
use aws_sdk_iam::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_iam::types::{AssignmentStatusType, EncodingType, ReportStateType, StatusType, Tag};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_types::retry::RetryConfig;
use std::collections::HashMap;
use std::sync::Mutex;
use time::OffsetDateTime;

/// Settings of the AWS backend (validated by `config`).
#[derive(Debug, Clone)]
pub struct AwsSettings {
    pub region: String,
    pub user_role_arn: String,
    pub helpdesk_role_arn: String,
    pub admin_role_arn: String,
    pub iam_endpoint: Option<String>,
    pub sts_endpoint: Option<String>,
    pub session_seconds: i32,
}

/// The account id in a role ARN (`arn:aws:iam::<account>:role/...`).
pub fn account_of(role_arn: &str) -> Option<&str> {
    let account = role_arn.strip_prefix("arn:aws:iam::")?.split(':').next()?;
    (account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit())).then_some(account)
}

type Cached = (aws_sdk_iam::Client, OffsetDateTime);

pub struct AwsIam {
    settings: AwsSettings,
    account: String,
    base: aws_config::SdkConfig,
    sts: aws_sdk_sts::Client,
    service_client: aws_sdk_iam::Client,
    cache: Mutex<HashMap<String, Cached>>,
    clock: crate::clock::SharedClock,
}

/// Refresh assumed credentials this long before they expire.
const EXPIRY_MARGIN: time::Duration = time::Duration::minutes(5);

fn dt(d: &aws_smithy_types::DateTime) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(d.secs()).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

fn odt(d: Option<&aws_smithy_types::DateTime>) -> OffsetDateTime {
    d.map(dt).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

fn status(s: &StatusType) -> Status {
    Status::parse(s.as_str())
}

fn set_status(s: SetStatus) -> StatusType {
    match s {
        SetStatus::Active => StatusType::Active,
        SetStatus::Inactive => StatusType::Inactive,
    }
}

fn signing_cert(c: &aws_sdk_iam::types::SigningCertificate) -> SigningCert {
    SigningCert {
        id: c.certificate_id().to_owned(),
        status: status(c.status()),
        uploaded_at: odt(c.upload_date()),
        body: c.certificate_body().to_owned(),
    }
}

/// A [`ServiceCredential`] from either SDK shape that describes one (`ServiceSpecificCredential` from a
/// create or reset, `ServiceSpecificCredentialMetadata` from a list): the two types have the same
/// accessors but no common trait, so one macro keeps the field mapping in one place.
macro_rules! service_credential {
    ($c:expr, $id:expr) => {
        ServiceCredential {
            id: $id,
            service_name: $c.service_name().to_owned(),
            service_user_name: $c.service_user_name().to_owned(),
            alias: $c.service_credential_alias().map(str::to_owned),
            status: status($c.status()),
            created_at: dt($c.create_date()),
            expires_at: $c.expiration_date().map(dt),
        }
    };
}

/// A created or reset credential and its one-time secret: the password of a user-name-and-password
/// credential, or the secret of an API key (IAM returns one or the other).
fn created_credential(
    c: &aws_sdk_iam::types::ServiceSpecificCredential,
    id: Option<&ServiceCredentialId>,
) -> IamResult<CreatedServiceCredential> {
    let id = match id {
        Some(id) => id.clone(),
        None => ServiceCredentialId::parse(c.service_specific_credential_id()).map_err(IamError::Other)?,
    };
    let secret = c.service_credential_secret().filter(|s| !s.is_empty()).unwrap_or(c.service_password());
    Ok(CreatedServiceCredential { credential: service_credential!(c, id), password: OneTimeSecret::new(secret) })
}

fn bad_reply(what: &str) -> IamError {
    IamError::Other(format!("IAM returned an incomplete {what} response"))
}

/// Map an SDK error to an [`IamError`]. `mutating` marks calls whose effect is unknown after a timeout
/// or a 5xx: they become `Ambiguous` instead of `Unavailable`.
pub fn map_error<E: ProvideErrorMetadata + std::error::Error + 'static>(err: SdkError<E, HttpResponse>, mutating: bool) -> IamError {
    let unknown = |what: String| if mutating { IamError::Ambiguous(what) } else { IamError::Unavailable(what) };
    match &err {
        SdkError::ConstructionFailure(_) => IamError::Other("the IAM request could not be built".into()),
        // Nothing was sent: safe to report as unavailable even for creates.
        SdkError::DispatchFailure(e) if e.is_io() || e.is_timeout() || e.is_other() => {
            IamError::Unavailable("AWS IAM could not be reached".into())
        }
        SdkError::DispatchFailure(_) => unknown("the connection to AWS IAM failed".into()),
        SdkError::TimeoutError(_) => unknown("AWS IAM did not answer in time".into()),
        SdkError::ResponseError(_) => unknown("AWS IAM's answer could not be read".into()),
        SdkError::ServiceError(se) => {
            let e = se.err();
            let message = e.message().unwrap_or_default().to_owned();
            let http = se.raw().status().as_u16();
            match e.code() {
                Some("NoSuchEntity" | "NoSuchEntityException") => IamError::NotFound(message),
                Some("LimitExceeded" | "LimitExceededException") => IamError::LimitExceeded(message),
                Some("EntityAlreadyExists" | "DuplicateSSHPublicKey") => IamError::EntityAlreadyExists(message),
                Some("PasswordPolicyViolation") => IamError::PolicyViolation(message),
                Some("InvalidAuthenticationCode") => IamError::InvalidAuthenticationCode(message),
                Some(
                    "InvalidInput"
                    | "ValidationError"
                    | "InvalidPublicKey"
                    | "UnrecognizedPublicKeyEncoding"
                    | "MalformedPolicyDocument"
                    | "InvalidParameterValue",
                ) => IamError::InvalidInput(message),
                Some("DeleteConflict" | "EntityTemporarilyUnmodifiable" | "ConcurrentModification") => IamError::Conflict(message),
                Some(
                    "AccessDenied"
                    | "AccessDeniedException"
                    | "UnauthorizedOperation"
                    | "InvalidClientTokenId"
                    | "SignatureDoesNotMatch"
                    | "ExpiredToken"
                    | "NotAuthorized",
                ) => IamError::AccessDenied(message),
                Some("Throttling" | "ThrottlingException" | "RequestLimitExceeded") => IamError::Throttled,
                Some("ServiceFailure" | "ServiceUnavailable" | "InternalFailure") => unknown(format!("AWS IAM failed: {message}")),
                // moto (and some proxies) answer 403 without a parsable error code.
                _ if http == 403 => IamError::AccessDenied(message),
                _ if http == 429 => IamError::Throttled,
                _ if http >= 500 => unknown(format!("AWS IAM answered HTTP {http}")),
                Some(code) => IamError::Other(format!("{code}: {message}")),
                None => IamError::Other(format!("HTTP {http}: {message}")),
            }
        }
        _ => unknown("unexpected SDK failure".into()),
    }
}

fn no_retry() -> aws_sdk_iam::config::Builder {
    aws_sdk_iam::config::Builder::default().retry_config(RetryConfig::disabled())
}

/// Sees every HTTP attempt the SDK makes: counts it (`keydesk_iam_attempts_total`; retries are attempts
/// minus calls) and logs AWS's request id with the operation, so an incident can be matched with
/// CloudTrail and with AWS support. Attempts IAM refused are logged at INFO, others at DEBUG.
#[derive(Debug)]
struct ObserveAttempts;

impl ObserveAttempts {
    fn operation(cfg: &aws_smithy_types::config_bag::ConfigBag) -> String {
        cfg.load::<aws_smithy_runtime_api::client::orchestrator::Metadata>()
            .map(|m| m.name().to_owned())
            .unwrap_or_else(|| "unknown".into())
    }
}

impl aws_smithy_runtime_api::client::interceptors::Intercept for ObserveAttempts {
    fn name(&self) -> &'static str {
        "keydesk-observe-attempts"
    }

    fn read_before_attempt(
        &self,
        _: &aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextRef<'_>,
        _: &aws_smithy_runtime_api::client::runtime_components::RuntimeComponents,
        cfg: &mut aws_smithy_types::config_bag::ConfigBag,
    ) -> Result<(), aws_smithy_runtime_api::box_error::BoxError> {
        crate::metrics::iam_attempt(&Self::operation(cfg));
        Ok(())
    }

    fn read_after_attempt(
        &self,
        context: &aws_smithy_runtime_api::client::interceptors::context::FinalizerInterceptorContextRef<'_>,
        _: &aws_smithy_runtime_api::client::runtime_components::RuntimeComponents,
        cfg: &mut aws_smithy_types::config_bag::ConfigBag,
    ) -> Result<(), aws_smithy_runtime_api::box_error::BoxError> {
        let operation = Self::operation(cfg);
        let attempt = cfg.load::<aws_smithy_runtime_api::client::retries::RequestAttempts>().map(|a| a.attempts()).unwrap_or(0);
        match context.response() {
            Some(r) => {
                let id = r.headers().get("x-amzn-requestid").unwrap_or("-");
                let status = r.status().as_u16();
                if status >= 400 {
                    tracing::info!(operation, iam_request_id = id, attempt, status, "IAM refused or failed an attempt");
                } else {
                    tracing::debug!(operation, iam_request_id = id, attempt, status, "IAM answered");
                }
            }
            // No answer, so no AWS request id; the caller reports the failure once it gives up.
            None => tracing::debug!(operation, attempt, "an IAM attempt got no answer"),
        }
        Ok(())
    }
}

impl AwsIam {
    /// Build from the standard credential chain plus `settings`' region and endpoints.
    pub async fn from_env(settings: AwsSettings, clock: crate::clock::SharedClock) -> Result<Self, String> {
        let base = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new(settings.region.clone()))
            .load()
            .await;
        Self::new(settings, base, clock)
    }

    pub fn new(settings: AwsSettings, base: aws_config::SdkConfig, clock: crate::clock::SharedClock) -> Result<Self, String> {
        let account = account_of(&settings.user_role_arn)
            .ok_or_else(|| format!("--aws-user-role-arn {:?} is not an IAM role ARN", settings.user_role_arn))?
            .to_owned();
        let mut sts_conf = aws_sdk_sts::config::Builder::from(&base).interceptor(ObserveAttempts);
        if let Some(e) = &settings.sts_endpoint {
            sts_conf = sts_conf.endpoint_url(e);
        }
        let sts = aws_sdk_sts::Client::from_conf(sts_conf.build());
        let mut iam_conf = aws_sdk_iam::config::Builder::from(&base).interceptor(ObserveAttempts);
        if let Some(e) = &settings.iam_endpoint {
            iam_conf = iam_conf.endpoint_url(e);
        }
        let service_client = aws_sdk_iam::Client::from_conf(iam_conf.build());
        Ok(Self { settings, account, base, sts, service_client, cache: Mutex::new(HashMap::new()), clock })
    }

    /// Start-up check: keydesk's own identity resolves and each role can be assumed.
    pub async fn check(&self) -> Result<(), String> {
        let me = self
            .sts
            .get_caller_identity()
            .send()
            .await
            .map_err(|e| format!("AWS credentials for keydesk itself do not work ({})", map_error(e, false)))?;
        tracing::info!(arn = me.arn().unwrap_or_default(), "AWS identity");
        for (flag, arn) in [
            ("--aws-user-role-arn", &self.settings.user_role_arn),
            ("--aws-helpdesk-role-arn", &self.settings.helpdesk_role_arn),
            ("--aws-admin-role-arn", &self.settings.admin_role_arn),
        ] {
            self.assume(arn, "keydesk-check", None).await.map_err(|e| format!("{flag} {arn} cannot be assumed: {e}"))?;
        }
        Ok(())
    }

    async fn assume(&self, role: &str, session: &str, policy: Option<String>) -> IamResult<Cached> {
        let mut req = self
            .sts
            .assume_role()
            .role_arn(role)
            .role_session_name(session)
            .source_identity(session)
            .duration_seconds(self.settings.session_seconds);
        if let Some(p) = policy {
            req = req.policy(p);
        }
        let out = req.send().await.map_err(|e| map_error(e, false))?;
        let c = out.credentials().ok_or_else(|| bad_reply("AssumeRole"))?;
        let expires = dt(c.expiration());
        let creds = aws_credential_types::Credentials::new(
            c.access_key_id(),
            c.secret_access_key(),
            Some(c.session_token().to_owned()),
            std::time::SystemTime::UNIX_EPOCH.checked_add(std::time::Duration::from_secs(expires.unix_timestamp().max(0) as u64)),
            "keydesk-assume-role",
        );
        let mut conf = aws_sdk_iam::config::Builder::from(&self.base).credentials_provider(creds).interceptor(ObserveAttempts);
        if let Some(e) = &self.settings.iam_endpoint {
            conf = conf.endpoint_url(e);
        }
        Ok((aws_sdk_iam::Client::from_conf(conf.build()), expires))
    }

    /// The IAM client carrying `caller`'s authority.
    async fn client(&self, caller: &Caller) -> IamResult<aws_sdk_iam::Client> {
        let (key, role, policy) = match caller {
            Caller::Service { .. } => return Ok(self.service_client.clone()),
            Caller::SelfService { iam_user, caps, .. } => {
                // One cached session per user and entitlement set: a change of entitlements takes effect
                // at once, with a session policy granting exactly the new set.
                let ids: Vec<&str> = caps.iter().map(|c| c.id()).collect();
                let key = format!("user:{}:{}", iam_user.fold(), ids.join(","));
                (key, &self.settings.user_role_arn, Some(entitled_policy(&self.account, iam_user, caps)))
            }
            Caller::Helpdesk { portal_user, .. } => (format!("helpdesk:{portal_user}"), &self.settings.helpdesk_role_arn, None),
            Caller::Admin { portal_user, .. } => (format!("admin:{portal_user}"), &self.settings.admin_role_arn, None),
        };
        let now = self.clock.now();
        if let Some((client, expires)) = self.cache.lock().unwrap_or_else(|p| p.into_inner()).get(&key) {
            if *expires - EXPIRY_MARGIN > now {
                return Ok(client.clone());
            }
        }
        // RoleSessionName: 2-64 of [\w+=,.@-]; portal user names already use that alphabet.
        let session: String = format!("keydesk-{}", caller.portal_user()).chars().take(64).collect();
        let fresh = self.assume(role, &session, policy).await?;
        self.cache.lock().unwrap_or_else(|p| p.into_inner()).insert(key, fresh.clone());
        Ok(fresh.0)
    }
}

macro_rules! call {
    ($req:expr) => {
        $req.send().await.map_err(|e| map_error(e, false))
    };
    (mutating $req:expr) => {
        $req.send().await.map_err(|e| map_error(e, true))
    };
    // Non-idempotent creates: no SDK retry, ambiguity reported.
    (create $req:expr) => {
        $req.customize().config_override(no_retry()).send().await.map_err(|e| map_error(e, true))
    };
}

fn user_view(u: &aws_sdk_iam::types::User) -> IamResult<IamUser> {
    Ok(IamUser {
        name: IamUserName::parse(u.user_name()).map_err(|e| IamError::Other(e.to_string()))?,
        user_id: u.user_id().to_owned(),
        arn: u.arn().to_owned(),
        path: u.path().to_owned(),
        created_at: dt(u.create_date()),
        password_last_used: u.password_last_used().map(dt),
    })
}

fn key_id(s: &str) -> IamResult<AccessKeyId> {
    AccessKeyId::parse(s).map_err(IamError::Other)
}

#[async_trait]
impl IamBackend for AwsIam {
    fn kind(&self) -> BackendKind {
        BackendKind::Aws
    }

    fn account_id(&self) -> &str {
        &self.account
    }

    async fn get_user(&self, caller: &Caller, user: &IamUserName) -> IamResult<IamUser> {
        let out = call!(self.client(caller).await?.get_user().user_name(user.as_str()))?;
        user_view(out.user().ok_or_else(|| bad_reply("GetUser"))?)
    }

    async fn list_users(&self, caller: &Caller, marker: Option<String>, max_items: u32) -> IamResult<UserPage> {
        let max = max_items.clamp(1, 1000) as i32;
        let out = call!(self.client(caller).await?.list_users().set_marker(marker).max_items(max))?;
        let users = out.users().iter().map(user_view).collect::<IamResult<Vec<_>>>()?;
        let next_marker = if out.is_truncated() { out.marker().map(str::to_owned) } else { None };
        Ok(UserPage { users, next_marker })
    }

    async fn password_state(&self, caller: &Caller, user: &IamUserName) -> IamResult<PasswordState> {
        let client = self.client(caller).await?;
        let profile = match call!(client.get_login_profile().user_name(user.as_str())) {
            Ok(out) => {
                out.login_profile().map(|p| LoginProfile { created_at: dt(p.create_date()), reset_required: p.password_reset_required() })
            }
            Err(IamError::NotFound(_)) => {
                // NoSuchEntity means "no login profile" only if the user exists.
                call!(client.get_user().user_name(user.as_str()))?;
                None
            }
            Err(e) => return Err(e),
        };
        let policy = read_policy(&client).await?;
        Ok(PasswordState { profile, policy })
    }

    async fn account_password_policy(&self, caller: &Caller) -> IamResult<EffectivePolicy> {
        read_policy(&self.client(caller).await?).await
    }

    async fn set_account_password_policy(&self, caller: &Caller, policy: Option<&PasswordPolicy>) -> IamResult<()> {
        let client = self.client(caller).await?;
        match policy {
            None => drop(call!(mutating client.delete_account_password_policy())?),
            Some(p) => call!(mutating client
                .update_account_password_policy()
                .minimum_password_length(i32::from(p.minimum_length))
                .require_symbols(p.require_symbols)
                .require_numbers(p.require_numbers)
                .require_uppercase_characters(p.require_uppercase)
                .require_lowercase_characters(p.require_lowercase)
                .allow_users_to_change_password(p.allow_users_to_change)
                .set_max_password_age(p.max_age_days.map(i32::from))
                .set_password_reuse_prevention(p.reuse_prevention.map(i32::from))
                .hard_expiry(p.hard_expiry))
            .map(drop)?,
        };
        Ok(())
    }

    async fn set_password(&self, caller: &Caller, user: &IamUserName, password: &Password, reset_required: bool) -> IamResult<()> {
        let client = self.client(caller).await?;
        let exists = match call!(client.get_login_profile().user_name(user.as_str())) {
            Ok(_) => true,
            Err(IamError::NotFound(_)) => false,
            Err(e) => return Err(e),
        };
        // The password is always sent with the flag: moto deletes the profile when only the flag is.
        if exists {
            call!(mutating client
                .update_login_profile()
                .user_name(user.as_str())
                .password(password.expose())
                .password_reset_required(reset_required))?;
        } else {
            call!(create client
                .create_login_profile()
                .user_name(user.as_str())
                .password(password.expose())
                .password_reset_required(reset_required))?;
        }
        Ok(())
    }

    async fn list_access_keys(&self, caller: &Caller, user: &IamUserName) -> IamResult<Vec<AccessKeySummary>> {
        let out = call!(self.client(caller).await?.list_access_keys().user_name(user.as_str()))?;
        let mut keys = out
            .access_key_metadata()
            .iter()
            .map(|k| {
                Ok(AccessKeySummary {
                    id: key_id(k.access_key_id().ok_or_else(|| bad_reply("ListAccessKeys"))?)?,
                    status: k.status().map(status).unwrap_or(Status::Other("unknown".into())),
                    created_at: odt(k.create_date()),
                })
            })
            .collect::<IamResult<Vec<_>>>()?;
        keys.sort_by_key(|k| k.created_at);
        Ok(keys)
    }

    async fn create_access_key(&self, caller: &Caller, user: &IamUserName) -> IamResult<CreatedAccessKey> {
        let out = call!(create self.client(caller).await?.create_access_key().user_name(user.as_str()))?;
        let k = out.access_key().ok_or_else(|| bad_reply("CreateAccessKey"))?;
        Ok(CreatedAccessKey {
            key: AccessKeySummary { id: key_id(k.access_key_id())?, status: status(k.status()), created_at: odt(k.create_date()) },
            secret: OneTimeSecret::new(k.secret_access_key()),
        })
    }

    async fn update_access_key(&self, caller: &Caller, user: &IamUserName, key: &AccessKeyId, to: SetStatus) -> IamResult<()> {
        call!(mutating self
            .client(caller)
            .await?
            .update_access_key()
            .user_name(user.as_str())
            .access_key_id(key.as_str())
            .status(set_status(to)))?;
        Ok(())
    }

    async fn delete_access_key(&self, caller: &Caller, user: &IamUserName, key: &AccessKeyId) -> IamResult<()> {
        call!(mutating self.client(caller).await?.delete_access_key().user_name(user.as_str()).access_key_id(key.as_str()))?;
        Ok(())
    }

    async fn access_key_last_used(&self, caller: &Caller, key: &AccessKeyId) -> IamResult<(IamUserName, KeyLastUsed)> {
        let out = call!(self.client(caller).await?.get_access_key_last_used().access_key_id(key.as_str()))?;
        let owner = IamUserName::parse(out.user_name().ok_or_else(|| bad_reply("GetAccessKeyLastUsed"))?)
            .map_err(|e| IamError::Other(e.to_string()))?;
        let last = out
            .access_key_last_used()
            .map(|l| KeyLastUsed {
                at: l.last_used_date().map(dt),
                // IAM reports "N/A" for a key never used.
                service: Some(l.service_name()).filter(|s| !s.is_empty() && *s != "N/A").map(str::to_owned),
                region: Some(l.region()).filter(|s| !s.is_empty() && *s != "N/A").map(str::to_owned),
            })
            .unwrap_or_default();
        Ok((owner, last))
    }

    async fn list_groups_for_user(&self, caller: &Caller, user: &IamUserName) -> IamResult<Vec<String>> {
        let client = self.client(caller).await?;
        let (mut groups, mut marker) = (Vec::new(), None);
        loop {
            let out = call!(client.list_groups_for_user().user_name(user.as_str()).set_marker(marker.take()))?;
            groups.extend(out.groups().iter().map(|g| g.group_name().to_owned()));
            match out.marker() {
                Some(m) if out.is_truncated() => marker = Some(m.to_owned()),
                _ => break,
            }
        }
        groups.sort();
        Ok(groups)
    }

    async fn group_exists(&self, caller: &Caller, group: &str) -> IamResult<bool> {
        let client = self.client(caller).await?;
        match call!(client.get_group().group_name(group).max_items(1)) {
            Ok(_) => Ok(true),
            Err(IamError::NotFound(_)) => Ok(false),
            Err(e) => Err(e),
        }
    }

    async fn list_attached_user_policies(&self, caller: &Caller, user: &IamUserName) -> IamResult<Vec<String>> {
        let client = self.client(caller).await?;
        let (mut arns, mut marker) = (Vec::new(), None);
        loop {
            let out = call!(client.list_attached_user_policies().user_name(user.as_str()).set_marker(marker.take()))?;
            arns.extend(out.attached_policies().iter().filter_map(|p| p.policy_arn().map(str::to_owned)));
            match out.marker() {
                Some(m) if out.is_truncated() => marker = Some(m.to_owned()),
                _ => break,
            }
        }
        Ok(arns)
    }

    async fn detach_user_policy(&self, caller: &Caller, user: &IamUserName, policy_arn: &str) -> IamResult<()> {
        call!(mutating self.client(caller).await?.detach_user_policy().user_name(user.as_str()).policy_arn(policy_arn))?;
        Ok(())
    }

    async fn list_user_tags(&self, caller: &Caller, user: &IamUserName) -> IamResult<Vec<(String, String)>> {
        let out = call!(self.client(caller).await?.list_user_tags().user_name(user.as_str()))?;
        Ok(out.tags().iter().map(|t| (t.key().to_owned(), t.value().to_owned())).collect())
    }

    async fn tag_user(&self, caller: &Caller, user: &IamUserName, key: &str, value: &str) -> IamResult<()> {
        let tag = Tag::builder().key(key).value(value).build().map_err(|e| IamError::InvalidInput(e.to_string()))?;
        call!(mutating self.client(caller).await?.tag_user().user_name(user.as_str()).tags(tag))?;
        Ok(())
    }

    async fn untag_user(&self, caller: &Caller, user: &IamUserName, key: &str) -> IamResult<()> {
        call!(mutating self.client(caller).await?.untag_user().user_name(user.as_str()).tag_keys(key))?;
        Ok(())
    }

    async fn create_virtual_mfa(&self, caller: &Caller, path: &str, name: &str) -> IamResult<CreatedVirtualMfa> {
        let out = call!(create self.client(caller).await?.create_virtual_mfa_device().path(path).virtual_mfa_device_name(name))?;
        let d = out.virtual_mfa_device().ok_or_else(|| bad_reply("CreateVirtualMFADevice"))?;
        let seed = d.base32_string_seed().ok_or_else(|| bad_reply("CreateVirtualMFADevice"))?;
        let seed = String::from_utf8(seed.as_ref().to_vec()).map_err(|_| bad_reply("CreateVirtualMFADevice"))?;
        Ok(CreatedVirtualMfa { serial: d.serial_number().to_owned(), seed: OneTimeSecret::new(seed) })
    }

    async fn enable_mfa(&self, caller: &Caller, user: &IamUserName, serial: &str, code1: &str, code2: &str) -> IamResult<()> {
        call!(mutating self
            .client(caller)
            .await?
            .enable_mfa_device()
            .user_name(user.as_str())
            .serial_number(serial)
            .authentication_code1(code1)
            .authentication_code2(code2))?;
        Ok(())
    }

    async fn resync_mfa(&self, caller: &Caller, user: &IamUserName, serial: &str, code1: &str, code2: &str) -> IamResult<()> {
        call!(mutating self
            .client(caller)
            .await?
            .resync_mfa_device()
            .user_name(user.as_str())
            .serial_number(serial)
            .authentication_code1(code1)
            .authentication_code2(code2))?;
        Ok(())
    }

    async fn deactivate_mfa(&self, caller: &Caller, user: &IamUserName, serial: &str) -> IamResult<()> {
        call!(mutating self.client(caller).await?.deactivate_mfa_device().user_name(user.as_str()).serial_number(serial))?;
        Ok(())
    }

    async fn delete_virtual_mfa(&self, caller: &Caller, serial: &str) -> IamResult<()> {
        call!(mutating self.client(caller).await?.delete_virtual_mfa_device().serial_number(serial))?;
        Ok(())
    }

    async fn list_mfa_devices(&self, caller: &Caller, user: &IamUserName) -> IamResult<Vec<MfaDevice>> {
        let out = call!(self.client(caller).await?.list_mfa_devices().user_name(user.as_str()))?;
        Ok(out.mfa_devices().iter().map(|d| MfaDevice { serial: d.serial_number().to_owned(), enabled_at: dt(d.enable_date()) }).collect())
    }

    async fn list_unassigned_virtual_mfa(&self, caller: &Caller) -> IamResult<Vec<String>> {
        let client = self.client(caller).await?;
        let (mut serials, mut marker) = (Vec::new(), None);
        loop {
            let out = call!(client.list_virtual_mfa_devices().assignment_status(AssignmentStatusType::Unassigned).set_marker(marker))?;
            // Only serials leave this function: moto returns every device's seed here.
            serials.extend(out.virtual_mfa_devices().iter().filter(|d| d.user().is_none()).map(|d| d.serial_number().to_owned()));
            match out.marker().filter(|_| out.is_truncated()) {
                Some(m) => marker = Some(m.to_owned()),
                None => break,
            }
        }
        Ok(serials)
    }

    async fn create_service_credential(
        &self,
        caller: &Caller,
        user: &IamUserName,
        service: &str,
        age_days: Option<u32>,
    ) -> IamResult<CreatedServiceCredential> {
        let out = call!(create self
            .client(caller)
            .await?
            .create_service_specific_credential()
            .user_name(user.as_str())
            .service_name(service)
            .set_credential_age_days(age_days.map(|d| i32::try_from(d).unwrap_or(i32::MAX))))?;
        let c = out.service_specific_credential().ok_or_else(|| bad_reply("CreateServiceSpecificCredential"))?;
        created_credential(c, None)
    }

    async fn list_service_credentials(
        &self,
        caller: &Caller,
        user: &IamUserName,
        service: Option<&str>,
    ) -> IamResult<Vec<ServiceCredential>> {
        let out = call!(self
            .client(caller)
            .await?
            .list_service_specific_credentials()
            .user_name(user.as_str())
            .set_service_name(service.map(str::to_owned)))?;
        out.service_specific_credentials()
            .iter()
            .map(|c| {
                let id = ServiceCredentialId::parse(c.service_specific_credential_id()).map_err(IamError::Other)?;
                Ok(service_credential!(c, id))
            })
            .collect()
    }

    async fn update_service_credential(
        &self,
        caller: &Caller,
        user: &IamUserName,
        id: &ServiceCredentialId,
        to: SetStatus,
    ) -> IamResult<()> {
        call!(mutating self
            .client(caller)
            .await?
            .update_service_specific_credential()
            .user_name(user.as_str())
            .service_specific_credential_id(id.as_str())
            .status(set_status(to)))?;
        Ok(())
    }

    async fn reset_service_credential(
        &self,
        caller: &Caller,
        user: &IamUserName,
        id: &ServiceCredentialId,
    ) -> IamResult<CreatedServiceCredential> {
        let out = call!(create self
            .client(caller)
            .await?
            .reset_service_specific_credential()
            .user_name(user.as_str())
            .service_specific_credential_id(id.as_str()))?;
        let c = out.service_specific_credential().ok_or_else(|| bad_reply("ResetServiceSpecificCredential"))?;
        created_credential(c, Some(id))
    }

    async fn delete_service_credential(&self, caller: &Caller, user: &IamUserName, id: &ServiceCredentialId) -> IamResult<()> {
        call!(mutating self
            .client(caller)
            .await?
            .delete_service_specific_credential()
            .user_name(user.as_str())
            .service_specific_credential_id(id.as_str()))?;
        Ok(())
    }

    async fn upload_ssh_key(&self, caller: &Caller, user: &IamUserName, body: &str) -> IamResult<SshKeySummary> {
        let out = call!(create self.client(caller).await?.upload_ssh_public_key().user_name(user.as_str()).ssh_public_key_body(body))?;
        let k = out.ssh_public_key().ok_or_else(|| bad_reply("UploadSSHPublicKey"))?;
        Ok(SshKeySummary {
            id: SshKeyId::parse(k.ssh_public_key_id()).map_err(IamError::Other)?,
            status: status(k.status()),
            uploaded_at: odt(k.upload_date()),
        })
    }

    async fn list_ssh_keys(&self, caller: &Caller, user: &IamUserName) -> IamResult<Vec<SshKeySummary>> {
        let out = call!(self.client(caller).await?.list_ssh_public_keys().user_name(user.as_str()))?;
        out.ssh_public_keys()
            .iter()
            .map(|k| {
                Ok(SshKeySummary {
                    id: SshKeyId::parse(k.ssh_public_key_id()).map_err(IamError::Other)?,
                    status: status(k.status()),
                    uploaded_at: dt(k.upload_date()),
                })
            })
            .collect()
    }

    async fn get_ssh_key(&self, caller: &Caller, user: &IamUserName, id: &SshKeyId, encoding: SshEncoding) -> IamResult<SshKeyDetail> {
        let enc = match encoding {
            SshEncoding::Ssh => EncodingType::Ssh,
            SshEncoding::Pem => EncodingType::Pem,
        };
        let out =
            call!(self.client(caller).await?.get_ssh_public_key().user_name(user.as_str()).ssh_public_key_id(id.as_str()).encoding(enc))?;
        let k = out.ssh_public_key().ok_or_else(|| bad_reply("GetSSHPublicKey"))?;
        Ok(SshKeyDetail {
            summary: SshKeySummary { id: id.clone(), status: status(k.status()), uploaded_at: odt(k.upload_date()) },
            fingerprint: k.fingerprint().to_owned(),
            body: k.ssh_public_key_body().to_owned(),
        })
    }

    async fn update_ssh_key(&self, caller: &Caller, user: &IamUserName, id: &SshKeyId, to: SetStatus) -> IamResult<()> {
        call!(mutating self.client(caller).await?.update_ssh_public_key().user_name(user.as_str()).ssh_public_key_id(id.as_str()).status(set_status(to)))?;
        Ok(())
    }

    async fn delete_ssh_key(&self, caller: &Caller, user: &IamUserName, id: &SshKeyId) -> IamResult<()> {
        call!(mutating self.client(caller).await?.delete_ssh_public_key().user_name(user.as_str()).ssh_public_key_id(id.as_str()))?;
        Ok(())
    }

    async fn upload_signing_cert(&self, caller: &Caller, user: &IamUserName, body: &str) -> IamResult<SigningCert> {
        let out = call!(create self.client(caller).await?.upload_signing_certificate().user_name(user.as_str()).certificate_body(body))?;
        let c = out.certificate().ok_or_else(|| bad_reply("UploadSigningCertificate"))?;
        Ok(signing_cert(c))
    }

    async fn list_signing_certs(&self, caller: &Caller, user: &IamUserName) -> IamResult<Vec<SigningCert>> {
        let out = call!(self.client(caller).await?.list_signing_certificates().user_name(user.as_str()))?;
        Ok(out.certificates().iter().map(signing_cert).collect())
    }

    async fn update_signing_cert(&self, caller: &Caller, user: &IamUserName, id: &str, status: SetStatus) -> IamResult<()> {
        call!(mutating self
            .client(caller)
            .await?
            .update_signing_certificate()
            .user_name(user.as_str())
            .certificate_id(id)
            .status(set_status(status)))?;
        Ok(())
    }

    async fn delete_signing_cert(&self, caller: &Caller, user: &IamUserName, id: &str) -> IamResult<()> {
        call!(mutating self.client(caller).await?.delete_signing_certificate().user_name(user.as_str()).certificate_id(id))?;
        Ok(())
    }

    async fn generate_credential_report(&self, caller: &Caller) -> IamResult<ReportState> {
        let out = call!(self.client(caller).await?.generate_credential_report())?;
        Ok(match out.state() {
            Some(ReportStateType::Complete) => ReportState::Complete,
            Some(ReportStateType::Inprogress) => ReportState::InProgress,
            _ => ReportState::Started,
        })
    }

    async fn get_credential_report(&self, caller: &Caller) -> IamResult<CredentialReport> {
        let out = call!(self.client(caller).await?.get_credential_report()).map_err(|e| match e {
            IamError::Other(m) if m.contains("ReportInProgress") => {
                IamError::Conflict("the credential report is still being generated".into())
            }
            IamError::Other(m) if m.contains("ReportNotPresent") || m.contains("ReportExpired") => IamError::NotFound(m),
            other => other,
        })?;
        let csv = String::from_utf8(out.content().ok_or_else(|| bad_reply("GetCredentialReport"))?.as_ref().to_vec())
            .map_err(|_| bad_reply("GetCredentialReport"))?;
        Ok(CredentialReport { generated_at: odt(out.generated_time()), csv })
    }
}

/// `GetAccountPasswordPolicy`, with "no custom policy" (NoSuchEntity) as IAM's default.
async fn read_policy(client: &aws_sdk_iam::Client) -> IamResult<EffectivePolicy> {
    Ok(match call!(client.get_account_password_policy()) {
        Ok(out) => match out.password_policy() {
            Some(p) => EffectivePolicy::Custom(PasswordPolicy {
                minimum_length: p.minimum_password_length().unwrap_or(8).clamp(6, 128) as u8,
                require_symbols: p.require_symbols(),
                require_numbers: p.require_numbers(),
                require_uppercase: p.require_uppercase_characters(),
                require_lowercase: p.require_lowercase_characters(),
                allow_users_to_change: p.allow_users_to_change_password(),
                // 0 is "not set" (moto answers 0 once a max age was removed; IAM's range starts at 1).
                max_age_days: p.max_password_age().and_then(|d| u16::try_from(d).ok()).filter(|d| *d > 0),
                reuse_prevention: p.password_reuse_prevention().and_then(|d| u8::try_from(d).ok()).filter(|n| *n > 0),
                hard_expiry: p.hard_expiry().unwrap_or(false),
            }),
            None => EffectivePolicy::IamDefault,
        },
        Err(IamError::NotFound(_)) => EffectivePolicy::IamDefault,
        Err(e) => return Err(e),
    })
}

#[cfg(test)]
mod tests {
    //! Error mapping, with the SDK's own mock layer (no network): each IAM error code a person can act
    //! on becomes the matching `IamError`, and creates are never retried.
    use super::*;
    use aws_sdk_iam::operation::create_access_key::CreateAccessKeyError;
    use aws_sdk_iam::Client;
    use aws_smithy_mocks::{mock, mock_client, RuleMode};
    use aws_smithy_runtime_api::http::StatusCode;
    use aws_smithy_types::body::SdkBody;

    fn user() -> IamUserName {
        IamUserName::parse("alice").unwrap()
    }

    fn iam_error(status: u16, code: &'static str, message: &'static str) -> HttpResponse {
        let body = format!(
            "<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>r1</RequestId></ErrorResponse>"
        );
        HttpResponse::new(StatusCode::try_from(status).unwrap(), SdkBody::from(body))
    }

    #[tokio::test]
    async fn service_errors_map_to_actionable_iam_errors() {
        let cases: [(u16, &'static str, IamError); 7] = [
            (409, "LimitExceeded", IamError::LimitExceeded("m".into())),
            (404, "NoSuchEntity", IamError::NotFound("m".into())),
            (400, "PasswordPolicyViolation", IamError::PolicyViolation("m".into())),
            (409, "EntityTemporarilyUnmodifiable", IamError::Conflict("m".into())),
            (409, "EntityAlreadyExists", IamError::EntityAlreadyExists("m".into())),
            (403, "InvalidAuthenticationCode", IamError::InvalidAuthenticationCode("m".into())),
            (400, "InvalidInput", IamError::InvalidInput("m".into())),
        ];
        for (status, code, expected) in cases {
            let rule = mock!(Client::update_login_profile).then_http_response(move || iam_error(status, code, "m"));
            let client = mock_client!(aws_sdk_iam, [&rule]);
            let e = client.update_login_profile().user_name(user().as_str()).password("x").send().await.unwrap_err();
            assert_eq!(map_error(e, true), expected, "{code}");
        }
    }

    fn http(status: u16, body: &'static str) -> HttpResponse {
        HttpResponse::new(StatusCode::try_from(status).unwrap(), SdkBody::from(body))
    }

    #[tokio::test]
    async fn throttling_denials_and_bare_403s() {
        let throttled = mock!(Client::list_access_keys).then_http_response(|| {
            http(400, r#"<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error></ErrorResponse>"#)
        });
        let denied = mock!(Client::list_access_keys).then_http_response(|| {
            http(403, r#"<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>not authorized</Message></Error></ErrorResponse>"#)
        });
        // moto's AccessDenied body is not parsable by the SDK: a bare 403 must still read as "forbidden".
        let bare = mock!(Client::list_access_keys).then_http_response(|| http(403, "<html>Forbidden</html>"));
        let client =
            mock_client!(aws_sdk_iam, RuleMode::Sequential, [&throttled, &denied, &bare], |c| c.retry_config(RetryConfig::disabled()));
        let e = client.list_access_keys().user_name("alice").send().await.unwrap_err();
        assert_eq!(map_error(e, false), IamError::Throttled);
        let e = client.list_access_keys().user_name("alice").send().await.unwrap_err();
        assert!(matches!(map_error(e, false), IamError::AccessDenied(_)));
        let e = client.list_access_keys().user_name("alice").send().await.unwrap_err();
        assert!(matches!(map_error(e, false), IamError::AccessDenied(_)));
    }

    #[tokio::test]
    async fn a_5xx_after_a_create_is_ambiguous_and_a_read_is_unavailable() {
        let failure = || {
            http(
                500,
                r#"<ErrorResponse><Error><Type>Receiver</Type><Code>ServiceFailure</Code><Message>oops</Message></Error></ErrorResponse>"#,
            )
        };
        let create = mock!(Client::create_access_key).then_http_response(failure);
        let list = mock!(Client::list_access_keys).then_http_response(failure);
        let client = mock_client!(aws_sdk_iam, RuleMode::MatchAny, [&create, &list], |c| c.retry_config(RetryConfig::disabled()));
        let e = client.create_access_key().user_name("alice").send().await.unwrap_err();
        assert!(matches!(map_error(e, true), IamError::Ambiguous(_)));
        let e = client.list_access_keys().user_name("alice").send().await.unwrap_err();
        assert!(matches!(map_error(e, false), IamError::Unavailable(_)));
    }

    #[tokio::test]
    async fn creates_are_sent_once_even_with_retries_configured() {
        let failure = mock!(Client::create_access_key).then_http_response(|| {
            http(500, r#"<ErrorResponse><Error><Code>ServiceFailure</Code><Message>oops</Message></Error></ErrorResponse>"#)
        });
        // The client retries by default; the create path overrides that.
        let client =
            mock_client!(aws_sdk_iam, RuleMode::MatchAny, [&failure], |c| c.retry_config(RetryConfig::standard().with_max_attempts(3)));
        let e = client.create_access_key().user_name(user().as_str()).customize().config_override(no_retry()).send().await.unwrap_err();
        assert!(matches!(map_error(e, true), IamError::Ambiguous(_)));
        assert_eq!(failure.num_calls(), 1, "a non-idempotent create must not be retried");
    }

    #[tokio::test]
    async fn timeouts_are_ambiguous_for_mutations() {
        let e: SdkError<CreateAccessKeyError, HttpResponse> = SdkError::timeout_error("took too long");
        assert!(matches!(map_error(e, true), IamError::Ambiguous(_)));
        let e: SdkError<CreateAccessKeyError, HttpResponse> = SdkError::timeout_error("took too long");
        assert!(matches!(map_error(e, false), IamError::Unavailable(_)));
    }

    #[test]
    fn account_is_read_from_the_role_arn() {
        assert_eq!(account_of("arn:aws:iam::123456789012:role/keydesk-user"), Some("123456789012"));
        assert_eq!(account_of("arn:aws:iam::12345:role/x"), None);
        assert_eq!(account_of("role/x"), None);
    }
}
