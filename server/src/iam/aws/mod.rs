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
    /// keydesk's own identity is an assumed role (instance, task or another role's session): work-role
    /// sessions are then role chaining, at most an hour. Learnt at the start-up check.
    runs_on_role: std::sync::atomic::AtomicBool,
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
        Ok(Self {
            settings,
            account,
            base,
            sts,
            service_client,
            cache: Mutex::new(HashMap::new()),
            clock,
            runs_on_role: Default::default(),
        })
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
        let on_role = me.arn().is_some_and(|a| a.contains(":assumed-role/"));
        self.runs_on_role.store(on_role, std::sync::atomic::Ordering::Relaxed);
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

// Declared after the macros above, which they use.
mod backend;

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
