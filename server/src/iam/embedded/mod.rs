//! The embedded IAM: an in-process IAM with IAM's observable rules, persisted through sqlx in its own
//! database so the portal runs and demos with no AWS account and several instances can share it.
//!
//! Invariants:
//! - Each IAM user is one JSON document with a version; every mutation reads, applies the change to a
//!   copy, and writes back only if the version is unchanged (retrying otherwise). Per-user limits (2
//!   access keys, 5 SSH keys, 2 credentials per service, 8 MFA devices) therefore hold under any
//!   concurrency, across processes.
//! - Secrets are generated from the OS CSPRNG, returned once, and never stored. The only secret kept is
//!   what IAM itself must keep: the MFA seed (to verify codes) and slow hashes of console passwords
//!   (for reuse prevention).
//! - Fault injection ([`Faults`]) is reachable only from Rust code (tests), never from configuration.

use super::snapshot::{CredentialsSnapshot, SnapshotParts};
use super::totp;
use super::*;
use crate::clock::SharedClock;
use crate::db::{Db, DbError};
use app::domain::entitlements::Capability;
use app::domain::password_policy::EffectivePolicy;
use app::domain::signing_cert::{SigningCert, MAX_SIGNING_CERTS};
use app::domain::ssh_key;
use rand::rngs::OsRng;
use rand::{Rng, RngCore};
use serde::{Deserialize, Serialize};
use sqlx::Row;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;
use time::OffsetDateTime;

const ACCOUNT_ID: &str = "123456789012";
use app::domain::limits::{
    MAX_ACCESS_KEYS, MAX_CREDENTIALS_PER_SERVICE as MAX_SERVICE_CREDENTIALS, MAX_MFA_DEVICES as MAX_MFA, MAX_SSH_KEYS, MAX_TAGS,
};
/// How long a credential report is reused before a new one is generated.
const REPORT_TTL: time::Duration = time::Duration::hours(4);
const CAS_ATTEMPTS: usize = 50;

/// Faults a test can switch on. Each is checked at the start of every call (throttle, outage,
/// latency) or after a mutation committed (lost response).
#[derive(Debug, Default)]
pub struct Faults {
    /// Percentage (0-100) of calls answered with `Throttled` before doing anything.
    pub throttle_percent: AtomicU32,
    /// Every call fails with `Unavailable`.
    pub unavailable: AtomicBool,
    /// The next N mutations commit, then report `Ambiguous` as if the response had been lost.
    pub lose_responses: AtomicU32,
    /// Added latency per call, in milliseconds.
    pub latency_ms: AtomicU64,
    /// Calls seen (for "upstream calls ≤ 3× requests").
    pub calls: AtomicU64,
}

// ---------- stored documents ----------

#[derive(Debug, Clone, Serialize, Deserialize)]
struct UserDoc {
    name: String,
    user_id: String,
    path: String,
    created_at: i64,
    password_last_used: Option<i64>,
    login: Option<LoginDoc>,
    /// Slow hashes of earlier console passwords, newest first (for reuse prevention).
    password_history: Vec<String>,
    access_keys: Vec<KeyDoc>,
    tags: Vec<(String, String)>,
    mfa: Vec<AssignedMfa>,
    service_credentials: Vec<ServiceCredDoc>,
    ssh_keys: Vec<SshDoc>,
    /// IAM group names (documents written before groups existed have none).
    #[serde(default)]
    groups: Vec<String>,
    #[serde(default)]
    signing_certs: Vec<CertDoc>,
    /// ARNs of the managed policies attached to the user (the quarantine policy among them).
    #[serde(default)]
    attached_policies: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct CertDoc {
    id: String,
    status: String,
    uploaded_at: i64,
    /// The PEM certificate (public data).
    body: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct LoginDoc {
    created_at: i64,
    changed_at: i64,
    reset_required: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct KeyDoc {
    id: String,
    status: String,
    created_at: i64,
    last_used: Option<(i64, String, String)>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct AssignedMfa {
    serial: String,
    enabled_at: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct ServiceCredDoc {
    id: String,
    service: String,
    service_user_name: String,
    status: String,
    created_at: i64,
    /// A slow hash of the current password (IAM checks it when Git signs in); never the password.
    #[serde(default)]
    password_hash: String,
    /// The public part of an API key (Bedrock, CloudWatch Logs).
    #[serde(default)]
    alias: Option<String>,
    /// When an API key created with `CredentialAgeDays` expires (Unix seconds).
    #[serde(default)]
    expires_at: Option<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct SshDoc {
    id: String,
    status: String,
    uploaded_at: i64,
    /// The key blob in OpenSSH wire format, base64 (public data).
    blob: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct MfaDoc {
    serial: String,
    seed_b32: String,
    created_at: i64,
    user: Option<String>,
    enabled_at: Option<i64>,
    /// The last TOTP step accepted: codes at or before it are refused (no reuse).
    last_step: Option<i64>,
}

/// What the three stored credential kinds (access keys, service credentials, SSH keys) share.
trait StoredCredential {
    const WHAT: &'static str;
    /// The entitlements that let a self-service session act on this kind (any one of them).
    const CAPABILITIES: &'static [Capability];
    fn id(&self) -> &str;
    fn set_status(&mut self, status: SetStatus);
}

macro_rules! stored_credential {
    ($ty:ty, $what:literal, $cap:expr) => {
        impl StoredCredential for $ty {
            const WHAT: &'static str = $what;
            const CAPABILITIES: &'static [Capability] = $cap;
            fn id(&self) -> &str {
                &self.id
            }
            fn set_status(&mut self, status: SetStatus) {
                self.status = status.as_str().to_owned();
            }
        }
    };
}

stored_credential!(KeyDoc, "Access Key", &[Capability::AccessKeys]);
// Update, reset and delete take no service name, so IAM cannot tell Git credentials from the others:
// the session policy grants them with either capability (only the create is scoped by service).
stored_credential!(ServiceCredDoc, "service-specific credential", &[Capability::GitCredentials, Capability::ServiceCredentials]);
stored_credential!(SshDoc, "SSH public key", &[Capability::SshKeys]);
stored_credential!(CertDoc, "signing certificate", &[Capability::SigningCertificates]);

fn cert_view(c: &CertDoc) -> SigningCert {
    SigningCert { id: c.id.clone(), status: Status::parse(&c.status), uploaded_at: t(c.uploaded_at), body: c.body.clone() }
}

/// The DER bytes of the one PEM certificate in `body`, if that is what it is.
fn cert_der(body: &str) -> Option<Vec<u8>> {
    let (_, pem) = x509_parser::pem::parse_x509_pem(body.trim().as_bytes()).ok()?;
    (pem.label == "CERTIFICATE" && pem.parse_x509().is_ok()).then_some(pem.contents)
}

fn t(s: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(s).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

fn db_err(e: impl std::fmt::Display) -> IamError {
    IamError::Unavailable(format!("embedded IAM storage: {e}"))
}

impl From<DbError> for IamError {
    fn from(e: DbError) -> Self {
        db_err(e)
    }
}

/// `AKIA` + 16 characters from IAM's alphabet (upper-case letters and digits 2-7).
fn new_id(prefix: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut rng = OsRng;
    let tail: String = (0..16).map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char).collect();
    format!("{prefix}{tail}")
}

/// A 40-character secret access key from letters, digits, `+` and `/`.
fn new_secret(len: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut rng = OsRng;
    (0..len).map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char).collect()
}

/// A service-specific password: 44 characters of letters, digits and a few symbols, like IAM's.
fn new_service_password() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=";
    let mut rng = OsRng;
    (0..44).map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char).collect()
}

fn hash_password(pw: &str) -> String {
    use argon2::password_hash::{PasswordHasher, SaltString};
    // Cheaper than the portal's hashes: up to 24 of them are checked per change. Still a slow hash.
    let params = argon2::Params::new(4096, 1, 1, None).unwrap_or_default();
    argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
        .hash_password(pw.as_bytes(), &SaltString::generate(&mut argon2::password_hash::rand_core::OsRng))
        .map(|h| h.to_string())
        .unwrap_or_default()
}

fn password_matches(hash: &str, pw: &str) -> bool {
    use argon2::password_hash::{PasswordHash, PasswordVerifier};
    PasswordHash::new(hash).is_ok_and(|h| argon2::Argon2::default().verify_password(pw.as_bytes(), &h).is_ok())
}

/// The embedded IAM.
pub struct EmbeddedIam {
    db: Db,
    clock: SharedClock,
    faults: Arc<Faults>,
}

fn key_view(k: &KeyDoc) -> IamResult<AccessKeySummary> {
    Ok(AccessKeySummary { id: AccessKeyId::parse(&k.id).map_err(db_err)?, status: Status::parse(&k.status), created_at: t(k.created_at) })
}

/// A service credential as IAM reports it at `now`: an API key past its expiry reads `Expired`.
fn cred_view(c: &ServiceCredDoc, now: i64) -> IamResult<ServiceCredential> {
    let expired = c.expires_at.is_some_and(|at| at <= now);
    Ok(ServiceCredential {
        id: ServiceCredentialId::parse(&c.id).map_err(db_err)?,
        service_name: c.service.clone(),
        service_user_name: c.service_user_name.clone(),
        alias: c.alias.clone(),
        status: if expired { Status::Expired } else { Status::parse(&c.status) },
        created_at: t(c.created_at),
        expires_at: c.expires_at.map(t),
    })
}

/// An API key's secret: `ABSK` and the base64 of `alias:random`, the shape Bedrock keys have.
fn new_api_key_secret(alias: &str) -> String {
    use base64::Engine;
    let random = new_service_password();
    format!("ABSK{}", base64::engine::general_purpose::STANDARD.encode(format!("{alias}:{random}")))
}

fn key_last_used(k: &KeyDoc) -> KeyLastUsed {
    match &k.last_used {
        Some((at, service, region)) => KeyLastUsed { at: Some(t(*at)), service: Some(service.clone()), region: Some(region.clone()) },
        None => KeyLastUsed::default(),
    }
}

fn login_profile(d: &UserDoc) -> Option<LoginProfile> {
    d.login.as_ref().map(|l| LoginProfile { created_at: t(l.created_at), reset_required: l.reset_required })
}

fn mfa_views(d: &UserDoc) -> Vec<MfaDevice> {
    d.mfa.iter().map(|m| MfaDevice { serial: m.serial.clone(), enabled_at: t(m.enabled_at) }).collect()
}

/// `GetSSHPublicKey`'s answer for a stored key.
fn ssh_detail(k: &SshDoc, encoding: SshEncoding) -> IamResult<SshKeyDetail> {
    let parsed = ssh_key::parse(&format!("ssh-rsa {}", k.blob)).map_err(db_err)?;
    let body = match encoding {
        SshEncoding::Ssh => parsed.openssh(),
        SshEncoding::Pem => parsed.pem(),
    };
    Ok(SshKeyDetail { summary: ssh_view(k)?, fingerprint: parsed.md5_fingerprint(), body })
}

fn ssh_view(k: &SshDoc) -> IamResult<SshKeySummary> {
    Ok(SshKeySummary { id: SshKeyId::parse(&k.id).map_err(db_err)?, status: Status::parse(&k.status), uploaded_at: t(k.uploaded_at) })
}

fn not_found(what: &str, id: &str) -> IamError {
    IamError::NotFound(format!("The {what} with id {id} cannot be found."))
}

mod backend;
mod roles;
mod store;

pub use roles::RoleTrust;
