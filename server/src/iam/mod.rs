//! The IAM port: one trait, [`IamBackend`], implemented by an in-process IAM ([`embedded`]) and by real
//! AWS IAM through STS ([`aws`]). A backend is a faithful IAM that knows nothing of the portal: it
//! enforces IAM's own rules (limits, formats, secrets returned once, password policy) and the
//! authority of the [`Caller`] (what the assumed role's session policy would allow), nothing more.
//! keydesk's rules (who may act on whom, re-authentication, audit) live in the portal.

pub mod aws;
pub mod embedded;
pub mod metered;
pub mod policy;
pub mod revocation;
pub mod snapshot;
pub mod totp;

#[cfg(test)]
pub mod contract;

use app::domain::*;
use async_trait::async_trait;

/// What went wrong, in IAM's terms; each maps to something a person can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IamError {
    /// `NoSuchEntity`: the user, key, device or credential does not exist (any more).
    #[error("not found: {0}")]
    NotFound(String),
    /// `LimitExceeded`: 2 access keys, 5 SSH keys, 2 credentials per service, 8 MFA devices.
    #[error("limit exceeded: {0}")]
    LimitExceeded(String),
    /// `EntityAlreadyExists`: a login profile, a device name, a duplicate SSH key.
    #[error("already exists: {0}")]
    EntityAlreadyExists(String),
    /// `PasswordPolicyViolation`, including reuse of a recent password.
    #[error("password policy violation: {0}")]
    PolicyViolation(String),
    /// `InvalidAuthenticationCode`: MFA codes wrong, reused or out of sync.
    #[error("invalid authentication code: {0}")]
    InvalidAuthenticationCode(String),
    /// `InvalidInput`, `MalformedPolicyDocument`, `InvalidPublicKey`, `UnrecognizedPublicKeyEncoding`,
    /// `DuplicateSSHPublicKey` is EntityAlreadyExists.
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// `DeleteConflict`, `EntityTemporarilyUnmodifiable`, `ConcurrentModification`.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The caller's role or session policy does not allow this.
    #[error("access denied: {0}")]
    AccessDenied(String),
    /// `Throttling`: nothing was changed; retry later.
    #[error("throttled")]
    Throttled,
    /// IAM could not be reached or answered 5xx before doing anything.
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// The request may or may not have been applied (timeout or lost response after sending).
    #[error("ambiguous outcome: {0}")]
    Ambiguous(String),
    #[error("{0}")]
    Other(String),
}

pub type IamResult<T> = Result<T, IamError>;

pub use crate::portal::entitlements::caller::Caller;

/// IAM's rule for a virtual MFA device name: 1 to 226 letters, digits and `+=,.@_-`.
pub fn mfa_name_well_formed(name: &str) -> bool {
    !name.is_empty() && name.len() <= 226 && name.chars().all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c))
}

/// The IAM path under which a person's self-service virtual MFA devices live: `/<user>/`. IAM user names
/// cannot contain `/`, so no other user's path starts with it (a name prefix such as `alice-*` would
/// also match `alice-admin`'s devices; SECURITY.md L1). The session policy grants `mfa/<user>/*`.
pub fn own_mfa_path(user: &IamUserName) -> String {
    format!("/{user}/")
}

/// Whether `serial` is a virtual MFA device under `user`'s own path (`…:mfa/<user>/<name>`, one level,
/// a well-formed name): the devices a self-service session may create and delete.
pub fn is_own_mfa_serial(user: &IamUserName, serial: &str) -> bool {
    serial
        .rsplit_once(":mfa/")
        .and_then(|(_, rest)| rest.strip_prefix(user.as_str()))
        .and_then(|rest| rest.strip_prefix('/'))
        .is_some_and(mfa_name_well_formed)
}

/// IAM's rule for a path: `/`, or `/` + segments of printable ASCII other than `/`, each followed by `/`;
/// at most 512 characters.
pub fn path_well_formed(path: &str) -> bool {
    path.len() <= 512
        && path.starts_with('/')
        && path.ends_with('/')
        && path.chars().all(|c| ('\u{21}'..='\u{7e}').contains(&c))
        && !path.contains("//")
}

/// The console password's state: profile metadata, when it last changed, and the policy in force.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordState {
    pub profile: Option<LoginProfile>,
    pub policy: EffectivePolicy,
}

/// How far a credential report is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportState {
    Started,
    InProgress,
    Complete,
}

/// IAM, as keydesk needs it. Every method takes the [`Caller`] whose authority it uses; calls that
/// the caller may not make fail with [`IamError::AccessDenied`] without side effects.
///
/// Unless stated otherwise, methods are idempotent reads or idempotent updates. Creates are NOT
/// idempotent (IAM takes no idempotency token): callers must serialise them per user and reconcile an
/// [`IamError::Ambiguous`] outcome by listing (SECURITY.md §1.3). Backends never retry a create.
#[async_trait]
pub trait IamBackend: Send + Sync + 'static {
    fn kind(&self) -> BackendKind;

    /// The AWS account id (12 digits) used in ARNs.
    fn account_id(&self) -> &str;

    /// Does keydesk itself run on an AWS role, so that every role it assumes is role chaining and
    /// sessions last at most an hour?
    fn chained_sessions(&self) -> bool {
        false
    }

    // --- users ---

    /// `GetUser`. Errors: NotFound.
    async fn get_user(&self, caller: &Caller, user: &IamUserName) -> IamResult<IamUser>;

    /// `ListUsers`, one page of at most `max_items` (1-1000) in name order; pass the returned marker to
    /// continue. Helpdesk/Admin/Service only.
    async fn list_users(&self, caller: &Caller, marker: Option<String>, max_items: u32) -> IamResult<UserPage>;

    // --- console password ---

    /// `GetLoginProfile` (None when the user has no console password) and `GetAccountPasswordPolicy`
    /// (IAM's default when none is set).
    async fn password_state(&self, caller: &Caller, user: &IamUserName) -> IamResult<PasswordState>;

    /// `GetAccountPasswordPolicy`: IAM's default when none is set.
    async fn account_password_policy(&self, caller: &Caller) -> IamResult<EffectivePolicy>;

    /// `UpdateAccountPasswordPolicy` (`Some`) or `DeleteAccountPasswordPolicy` (`None`; NotFound when
    /// there is no custom policy). Administrators only (and keydesk itself).
    async fn set_account_password_policy(&self, caller: &Caller, policy: Option<&PasswordPolicy>) -> IamResult<()>;

    /// `CreateLoginProfile` when the user has none, else `UpdateLoginProfile`: sets the password and the
    /// reset-required flag. Enforces the account policy, including reuse prevention
    /// (PolicyViolation). Does NOT check the old password. Errors: NotFound, PolicyViolation.
    async fn set_password(&self, caller: &Caller, user: &IamUserName, password: &Password, reset_required: bool) -> IamResult<()>;

    // --- access keys ---

    /// `ListAccessKeys`: active and inactive keys, oldest first.
    async fn list_access_keys(&self, caller: &Caller, user: &IamUserName) -> IamResult<Vec<AccessKeySummary>>;

    /// `CreateAccessKey`: a new active key; its secret is returned here and never again. Not idempotent.
    /// Errors: LimitExceeded (2 keys, active or not), NotFound.
    async fn create_access_key(&self, caller: &Caller, user: &IamUserName) -> IamResult<CreatedAccessKey>;

    /// `UpdateAccessKey` to Active or Inactive. Idempotent. Errors: NotFound.
    async fn update_access_key(&self, caller: &Caller, user: &IamUserName, key: &AccessKeyId, status: SetStatus) -> IamResult<()>;

    /// `DeleteAccessKey`. Errors: NotFound (also on a second delete).
    async fn delete_access_key(&self, caller: &Caller, user: &IamUserName, key: &AccessKeyId) -> IamResult<()>;

    /// `GetAccessKeyLastUsed` plus the owner: IAM answers for any key id in the account.
    /// Errors: NotFound (as AccessDenied in real IAM for unknown ids; reported as NotFound here).
    async fn access_key_last_used(&self, caller: &Caller, key: &AccessKeyId) -> IamResult<(IamUserName, KeyLastUsed)>;

    /// `ListGroupsForUser`: the names of the IAM groups `user` belongs to, sorted. Errors: NotFound.
    async fn list_groups_for_user(&self, caller: &Caller, user: &IamUserName) -> IamResult<Vec<String>>;

    /// `GetGroup`: whether an IAM group of this name exists (names compare case-insensitively).
    /// Administrators and keydesk itself.
    async fn group_exists(&self, caller: &Caller, group: &str) -> IamResult<bool>;

    /// `ListAttachedUserPolicies`: the ARNs of the managed policies attached to `user` (AWS attaches
    /// [`QUARANTINE_POLICY_ARN`] when it finds a key exposed). Help desk, admins and keydesk itself.
    async fn list_attached_user_policies(&self, caller: &Caller, user: &IamUserName) -> IamResult<Vec<String>>;

    /// `DetachUserPolicy`. Help desk (and keydesk itself). Errors: NotFound (not attached).
    async fn detach_user_policy(&self, caller: &Caller, user: &IamUserName, policy_arn: &str) -> IamResult<()>;

    /// `ListUserTags`.
    async fn list_user_tags(&self, caller: &Caller, user: &IamUserName) -> IamResult<Vec<(String, String)>>;

    /// `TagUser` with one tag (replaces the value of an existing key). Errors: InvalidInput (value over
    /// 256 characters), LimitExceeded (50 tags).
    async fn tag_user(&self, caller: &Caller, user: &IamUserName, key: &str, value: &str) -> IamResult<()>;

    /// `UntagUser`. Idempotent.
    async fn untag_user(&self, caller: &Caller, user: &IamUserName, key: &str) -> IamResult<()>;

    // --- MFA ---

    /// `CreateVirtualMFADevice` named `name` under `path` (`/` or `/a/b/`): returns the serial
    /// (`arn:aws:iam::<account>:mfa<path><name>`) and the Base32 seed, once. The device stays unassigned
    /// until enabled. Not idempotent. Errors: EntityAlreadyExists (same path and name), InvalidInput.
    async fn create_virtual_mfa(&self, caller: &Caller, path: &str, name: &str) -> IamResult<CreatedVirtualMfa>;

    /// `EnableMFADevice` with two consecutive codes. Errors: InvalidAuthenticationCode, NotFound,
    /// EntityAlreadyExists (already assigned), LimitExceeded (8 devices).
    async fn enable_mfa(&self, caller: &Caller, user: &IamUserName, serial: &str, code1: &str, code2: &str) -> IamResult<()>;

    /// `ResyncMFADevice` with two consecutive codes. Errors: InvalidAuthenticationCode, NotFound.
    async fn resync_mfa(&self, caller: &Caller, user: &IamUserName, serial: &str, code1: &str, code2: &str) -> IamResult<()>;

    /// `DeactivateMFADevice`: unassigns it (a virtual device then shows as unassigned). Errors: NotFound.
    async fn deactivate_mfa(&self, caller: &Caller, user: &IamUserName, serial: &str) -> IamResult<()>;

    /// `DeleteVirtualMFADevice`. Errors: NotFound, Conflict (still assigned).
    async fn delete_virtual_mfa(&self, caller: &Caller, serial: &str) -> IamResult<()>;

    /// `ListMFADevices` of a user.
    async fn list_mfa_devices(&self, caller: &Caller, user: &IamUserName) -> IamResult<Vec<MfaDevice>>;

    /// `ListVirtualMFADevices` with status Unassigned: serials only, never seeds.
    async fn list_unassigned_virtual_mfa(&self, caller: &Caller) -> IamResult<Vec<String>>;

    // --- service-specific credentials (CodeCommit, Keyspaces, Bedrock, CloudWatch Logs) ---

    /// `CreateServiceSpecificCredential`: the password (or an API key's secret) is returned here and never
    /// again. `age_days` is `CredentialAgeDays` (API keys only, 1-36600; None: never expires). Not
    /// idempotent. Errors: LimitExceeded (2 per service), NotFound, InvalidInput (unknown service, an
    /// expiry for a service whose credentials do not expire, out of range).
    async fn create_service_credential(
        &self,
        caller: &Caller,
        user: &IamUserName,
        service: &str,
        age_days: Option<u32>,
    ) -> IamResult<CreatedServiceCredential>;

    /// `ListServiceSpecificCredentials`, optionally for one service.
    async fn list_service_credentials(
        &self,
        caller: &Caller,
        user: &IamUserName,
        service: Option<&str>,
    ) -> IamResult<Vec<ServiceCredential>>;

    /// `UpdateServiceSpecificCredential`. Errors: NotFound.
    async fn update_service_credential(
        &self,
        caller: &Caller,
        user: &IamUserName,
        id: &ServiceCredentialId,
        status: SetStatus,
    ) -> IamResult<()>;

    /// `ResetServiceSpecificCredential`: a new password, returned once; the old one stops working.
    /// Errors: NotFound.
    async fn reset_service_credential(
        &self,
        caller: &Caller,
        user: &IamUserName,
        id: &ServiceCredentialId,
    ) -> IamResult<CreatedServiceCredential>;

    /// `DeleteServiceSpecificCredential`. Errors: NotFound.
    async fn delete_service_credential(&self, caller: &Caller, user: &IamUserName, id: &ServiceCredentialId) -> IamResult<()>;

    // --- SSH public keys ---

    /// `UploadSSHPublicKey`. Errors: InvalidInput (format, type, size), EntityAlreadyExists (duplicate),
    /// LimitExceeded (5 keys).
    async fn upload_ssh_key(&self, caller: &Caller, user: &IamUserName, body: &str) -> IamResult<SshKeySummary>;

    /// `ListSSHPublicKeys`.
    async fn list_ssh_keys(&self, caller: &Caller, user: &IamUserName) -> IamResult<Vec<SshKeySummary>>;

    /// `GetSSHPublicKey` in SSH or PEM encoding, with IAM's MD5 fingerprint. Errors: NotFound.
    async fn get_ssh_key(&self, caller: &Caller, user: &IamUserName, id: &SshKeyId, encoding: SshEncoding) -> IamResult<SshKeyDetail>;

    /// `UpdateSSHPublicKey`. Errors: NotFound.
    async fn update_ssh_key(&self, caller: &Caller, user: &IamUserName, id: &SshKeyId, status: SetStatus) -> IamResult<()>;

    /// `DeleteSSHPublicKey`. Errors: NotFound.
    async fn delete_ssh_key(&self, caller: &Caller, user: &IamUserName, id: &SshKeyId) -> IamResult<()>;

    // --- X.509 signing certificates ---

    /// `UploadSigningCertificate` (Active). Errors: LimitExceeded (2), EntityAlreadyExists (the same
    /// certificate), InvalidInput (not a certificate).
    async fn upload_signing_cert(
        &self,
        caller: &Caller,
        user: &IamUserName,
        body: &str,
    ) -> IamResult<app::domain::signing_cert::SigningCert>;

    /// `ListSigningCertificates`, bodies included.
    async fn list_signing_certs(&self, caller: &Caller, user: &IamUserName) -> IamResult<Vec<app::domain::signing_cert::SigningCert>>;

    /// `UpdateSigningCertificate`. Errors: NotFound.
    async fn update_signing_cert(&self, caller: &Caller, user: &IamUserName, id: &str, status: SetStatus) -> IamResult<()>;

    /// `DeleteSigningCertificate`. Errors: NotFound.
    async fn delete_signing_cert(&self, caller: &Caller, user: &IamUserName, id: &str) -> IamResult<()>;

    // --- credential report ---

    /// `GenerateCredentialReport`: starts a new report unless the current one is under 4 hours old.
    async fn generate_credential_report(&self, caller: &Caller) -> IamResult<ReportState>;

    /// `GetCredentialReport`. Errors: NotFound (never generated), Conflict (not ready yet).
    async fn get_credential_report(&self, caller: &Caller) -> IamResult<CredentialReport>;

    // --- work roles (temporary credentials) ---

    /// `sts:AssumeRole` of a person's work role by keydesk's own principal (only [`Caller::keydesk`];
    /// the portal decides who may use which role): `RoleSessionName` `keydesk-<person>`,
    /// `SourceIdentity` the person, the session tags, an optional narrowing session policy. Not
    /// idempotent: each call is a new session. Errors: AccessDenied (the role's trust policy does not
    /// admit keydesk with sts:SetSourceIdentity and sts:TagSession, or the role does not exist: STS
    /// does not tell the two apart), InvalidInput (a duration over the role's maximum), Throttled,
    /// Unavailable.
    async fn assume_work_role(&self, caller: &Caller, request: &WorkRoleRequest) -> IamResult<temporary::TemporaryCredentials>;

    /// `GetRolePolicy`: the inline policy `name` of the role `role_arn` (decoded), `None` when the role
    /// has no policy of that name. keydesk's own principal only. Errors: NotFound (no such role),
    /// AccessDenied, Throttled, Unavailable.
    async fn role_policy(&self, caller: &Caller, role_arn: &str, name: &str) -> IamResult<Option<String>>;

    /// `PutRolePolicy` (creates or replaces). keydesk's own principal only. Errors: NotFound (no such
    /// role), InvalidInput (malformed or too large), AccessDenied, Throttled, Unavailable.
    async fn put_role_policy(&self, caller: &Caller, role_arn: &str, name: &str, document: &str) -> IamResult<()>;

    /// `DeleteRolePolicy`; a policy already gone is not an error. keydesk's own principal only.
    async fn delete_role_policy(&self, caller: &Caller, role_arn: &str, name: &str) -> IamResult<()>;

    // --- the credentials page ---

    /// Whether [`IamBackend::credentials_snapshot`] is a read of the backend's own rather than the
    /// single calls (so that a wrapper counting calls counts the single calls where they are made).
    fn reads_snapshots(&self) -> bool {
        false
    }

    /// A person's credentials in one go (see [`snapshot`]): the single calls' answers, for the parts
    /// asked, with the same errors.
    async fn credentials_snapshot(
        &self,
        caller: &Caller,
        user: &IamUserName,
        parts: snapshot::SnapshotParts,
    ) -> IamResult<snapshot::CredentialsSnapshot> {
        snapshot::by_calls(self, caller, user, parts).await
    }
}

/// One issuance of a work role's temporary credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkRoleRequest {
    pub role_arn: String,
    /// The person, as their portal user name: the session's source identity and name.
    pub person: String,
    pub duration_secs: u32,
    /// Session tags (at most 50; keys ≤ 128, values ≤ 256 characters).
    pub tags: Vec<(String, String)>,
    /// A session policy narrowing the role (≤ 2048 characters of JSON).
    pub policy: Option<String>,
}

/// The name of a role in a role ARN (`arn:aws:iam::<account>:role/<path/><name>`), and its account.
pub fn role_arn_parts(arn: &str) -> Option<(&str, &str)> {
    let rest = arn.strip_prefix("arn:aws:iam::")?;
    let (account, resource) = rest.split_once(':')?;
    let path_and_name = resource.strip_prefix("role/")?;
    let name = path_and_name.rsplit('/').next()?;
    let ok_account = account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit());
    let ok_name = !name.is_empty() && name.len() <= 64 && name.chars().all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c));
    (ok_account && ok_name).then_some((account, name))
}

/// The managed policy AWS attaches to a user whose access key it found exposed: it denies the user's own
/// key and password changes, among others, until an administrator detaches it.
pub const QUARANTINE_POLICY_ARN: &str = "arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV3";

/// The service name of AWS CodeCommit HTTPS Git credentials.
pub const CODECOMMIT: &str = "codecommit.amazonaws.com";
