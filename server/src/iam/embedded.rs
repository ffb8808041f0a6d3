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
const MAX_ACCESS_KEYS: usize = 2;
const MAX_SSH_KEYS: usize = 5;
const MAX_SERVICE_CREDENTIALS: usize = 2;
const MAX_MFA: usize = 8;
const MAX_TAGS: usize = 50;
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

impl EmbeddedIam {
    pub fn new(db: Db, clock: SharedClock) -> Self {
        Self { db, clock, faults: Arc::new(Faults::default()) }
    }

    /// The fault switches (tests only).
    /// The database it keeps IAM's state in (the schema parity test reads its tables).
    pub fn db(&self) -> &Db {
        &self.db
    }

    pub fn faults(&self) -> Arc<Faults> {
        self.faults.clone()
    }

    fn now(&self) -> i64 {
        self.clock.now().unix_timestamp()
    }

    async fn enter(&self) -> IamResult<()> {
        self.faults.calls.fetch_add(1, Ordering::Relaxed);
        let latency = self.faults.latency_ms.load(Ordering::Relaxed);
        if latency > 0 {
            tokio::time::sleep(std::time::Duration::from_millis(latency)).await;
        }
        if self.faults.unavailable.load(Ordering::Relaxed) {
            return Err(IamError::Unavailable("injected outage".into()));
        }
        let pct = self.faults.throttle_percent.load(Ordering::Relaxed);
        if pct > 0 && OsRng.gen_range(0..100) < pct {
            return Err(IamError::Throttled);
        }
        Ok(())
    }

    /// After a committed mutation: maybe pretend the response was lost.
    fn leave<T>(&self, value: T) -> IamResult<T> {
        let lost = self.faults.lose_responses.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok();
        if lost {
            Err(IamError::Ambiguous("injected: the change was applied but the response was lost".into()))
        } else {
            Ok(value)
        }
    }

    // ---------- authority (what the assumed role's policy would allow) ----------

    /// Whether `caller` may read (or change, with `write`) `user`'s credentials of kind `need` (`None`:
    /// the user itself and its groups). A self-service session needs its own user and, like the AWS
    /// session policy keydesk generates, the capability among its entitlements.
    /// Whether `caller` may read (or `write`) `user`'s credentials; a self-service session also needs one
    /// of the capabilities in `need` (any of them; none listed: the base actions every session has).
    fn may_touch(&self, caller: &Caller, user: &IamUserName, write: bool, need: &[Capability]) -> IamResult<()> {
        if let (Caller::SelfService { caps, .. }, Some(first)) = (caller, need.first()) {
            if !need.iter().any(|c| caps.contains(c)) {
                return Err(IamError::AccessDenied(format!("the session policy grants no {} actions", first.id())));
            }
        }
        let ok = match caller {
            Caller::SelfService { iam_user, .. } => iam_user.fold() == user.fold(),
            Caller::Helpdesk { .. } | Caller::Service { .. } => true,
            Caller::Admin { .. } => !write,
        };
        if ok {
            Ok(())
        } else {
            Err(IamError::AccessDenied(format!(
                "{} may not {} credentials of IAM user {user}",
                caller.portal_user(),
                if write { "change" } else { "read" }
            )))
        }
    }

    fn may_list(&self, caller: &Caller) -> IamResult<()> {
        match caller {
            Caller::SelfService { .. } => Err(IamError::AccessDenied("listing all users needs the help-desk or admin role".into())),
            _ => Ok(()),
        }
    }

    /// The session policy's `aws:TagKeys` condition: a self-service session tags only with access key
    /// ids (`AKIA*`, key descriptions).
    fn may_tag(&self, caller: &Caller, key: &str) -> IamResult<()> {
        match caller {
            Caller::SelfService { .. } if !key.starts_with(super::policy::SELF_SERVICE_TAG_KEYS.trim_end_matches('*')) => {
                Err(IamError::AccessDenied(format!("the session policy allows tag keys {} only", super::policy::SELF_SERVICE_TAG_KEYS)))
            }
            _ => Ok(()),
        }
    }

    fn may_manage_device(&self, caller: &Caller, serial: &str) -> IamResult<()> {
        match caller {
            Caller::SelfService { caps, .. } if !caps.contains(&Capability::Mfa) => {
                Err(IamError::AccessDenied("the session policy grants no MFA device actions".into()))
            }
            Caller::SelfService { iam_user, .. } if !is_own_mfa_serial(iam_user, serial) => {
                Err(IamError::AccessDenied(format!("a self-service session may only manage MFA devices under mfa/{iam_user}/")))
            }
            Caller::Admin { .. } => Err(IamError::AccessDenied("administrators review; they do not change MFA devices".into())),
            _ => Ok(()),
        }
    }

    // ---------- storage ----------

    async fn load_user(&self, user: &IamUserName) -> IamResult<(UserDoc, i64)> {
        let row = sqlx::query("SELECT doc, version FROM iam_users WHERE name_fold = $1")
            .bind(user.fold())
            .fetch_optional(&self.db.pool)
            .await
            .map_err(db_err)?
            .ok_or_else(|| IamError::NotFound(format!("The user with name {user} cannot be found.")))?;
        let doc: String = row.try_get("doc").map_err(db_err)?;
        let version: i64 = row.try_get("version").map_err(db_err)?;
        Ok((serde_json::from_str(&doc).map_err(db_err)?, version))
    }

    /// Write `doc` back if nobody changed it since `version` was read; `Ok(false)` when someone did.
    async fn write_user(conn: &mut sqlx::AnyConnection, user: &IamUserName, doc: &UserDoc, version: i64) -> IamResult<bool> {
        let res = sqlx::query("UPDATE iam_users SET doc = $1, version = version + 1 WHERE name_fold = $2 AND version = $3")
            .bind(serde_json::to_string(doc).map_err(db_err)?)
            .bind(user.fold())
            .bind(version)
            .execute(conn)
            .await
            .map_err(db_err)?;
        Ok(res.rows_affected() == 1)
    }

    /// Apply `f` to the user's document atomically; `f` may also return index rows to insert and ids to
    /// remove from the index. Retries when another writer got there first.
    async fn mutate<T>(
        &self,
        user: &IamUserName,
        f: impl Fn(&mut UserDoc) -> IamResult<(T, Vec<(String, &'static str)>, Vec<String>)>,
    ) -> IamResult<T> {
        for _ in 0..CAS_ATTEMPTS {
            let (mut doc, version) = self.load_user(user).await?;
            let (out, add, remove) = f(&mut doc)?;
            let mut tx = self.db.pool.begin().await.map_err(db_err)?;
            if !Self::write_user(&mut tx, user, &doc, version).await? {
                tx.rollback().await.map_err(db_err)?;
                tokio::task::yield_now().await;
                continue;
            }
            for (id, kind) in &add {
                sqlx::query("INSERT INTO iam_credential_index (id, kind, user_fold) VALUES ($1, $2, $3)")
                    .bind(id)
                    .bind(*kind)
                    .bind(user.fold())
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?;
            }
            for id in &remove {
                sqlx::query("DELETE FROM iam_credential_index WHERE id = $1").bind(id).execute(&mut *tx).await.map_err(db_err)?;
            }
            tx.commit().await.map_err(db_err)?;
            return Ok(out);
        }
        Err(IamError::Conflict("too much concurrent modification; try again".into()))
    }

    async fn load_device(&self, serial: &str) -> IamResult<(MfaDoc, i64)> {
        let row = sqlx::query("SELECT doc, version FROM iam_virtual_mfa WHERE serial = $1")
            .bind(serial)
            .fetch_optional(&self.db.pool)
            .await
            .map_err(db_err)?
            .ok_or_else(|| IamError::NotFound(format!("MFA device with serial number {serial} not found.")))?;
        let doc: String = row.try_get("doc").map_err(db_err)?;
        Ok((serde_json::from_str(&doc).map_err(db_err)?, row.try_get("version").map_err(db_err)?))
    }

    async fn save_device(&self, conn: &mut sqlx::AnyConnection, doc: &MfaDoc, version: i64) -> IamResult<bool> {
        let res =
            sqlx::query("UPDATE iam_virtual_mfa SET doc = $1, version = version + 1, user_fold = $2 WHERE serial = $3 AND version = $4")
                .bind(serde_json::to_string(doc).map_err(db_err)?)
                .bind(doc.user.as_ref().map(|u| u.to_ascii_lowercase()))
                .bind(&doc.serial)
                .bind(version)
                .execute(conn)
                .await
                .map_err(db_err)?;
        Ok(res.rows_affected() == 1)
    }

    async fn account_value(&self, key: &str) -> IamResult<Option<String>> {
        sqlx::query_scalar("SELECT value FROM iam_account WHERE key = $1").bind(key).fetch_optional(&self.db.pool).await.map_err(db_err)
    }

    async fn set_account_value(&self, key: &str, value: Option<&str>) -> IamResult<()> {
        match value {
            Some(v) => {
                sqlx::query("INSERT INTO iam_account (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
                    .bind(key)
                    .bind(v)
                    .execute(&self.db.pool)
                    .await
                    .map_err(db_err)?
            }
            None => sqlx::query("DELETE FROM iam_account WHERE key = $1").bind(key).execute(&self.db.pool).await.map_err(db_err)?,
        };
        Ok(())
    }

    async fn effective_policy(&self) -> IamResult<EffectivePolicy> {
        Ok(match self.account_value("password_policy").await? {
            Some(json) => EffectivePolicy::Custom(serde_json::from_str(&json).map_err(db_err)?),
            None => EffectivePolicy::IamDefault,
        })
    }

    fn user_view(&self, d: &UserDoc) -> IamResult<IamUser> {
        Ok(IamUser {
            name: IamUserName::parse(&d.name).map_err(db_err)?,
            user_id: d.user_id.clone(),
            arn: format!("arn:aws:iam::{ACCOUNT_ID}:user{}{}", d.path, d.name),
            path: d.path.clone(),
            created_at: t(d.created_at),
            password_last_used: d.password_last_used.map(t),
        })
    }

    /// `Update*` for any stored credential kind: set the status of credential `id` of `user`.
    async fn set_credential_status<C: StoredCredential>(
        &self,
        caller: &Caller,
        user: &IamUserName,
        id: &str,
        status: SetStatus,
        list: fn(&mut UserDoc) -> &mut Vec<C>,
    ) -> IamResult<()> {
        self.enter().await?;
        self.may_touch(caller, user, true, C::CAPABILITIES)?;
        self.mutate(user, |d| {
            let c = list(d).iter_mut().find(|c| c.id() == id).ok_or_else(|| not_found(C::WHAT, id))?;
            c.set_status(status);
            Ok(((), vec![], vec![]))
        })
        .await?;
        self.leave(())
    }

    /// `Delete*` for any stored credential kind; the id leaves the owner index too.
    async fn delete_credential<C: StoredCredential>(
        &self,
        caller: &Caller,
        user: &IamUserName,
        id: &str,
        list: fn(&mut UserDoc) -> &mut Vec<C>,
    ) -> IamResult<()> {
        self.enter().await?;
        self.may_touch(caller, user, true, C::CAPABILITIES)?;
        self.mutate(user, |d| {
            let items = list(d);
            let before = items.len();
            items.retain(|c| c.id() != id);
            if items.len() == before {
                return Err(not_found(C::WHAT, id));
            }
            Ok(((), vec![], vec![id.to_owned()]))
        })
        .await?;
        self.leave(())
    }

    // ---------- administration of the emulation itself (demo seeding, tests) ----------

    /// Make a hardware TOTP token known, as AWS knows the seeds of the tokens it sells: it can then be
    /// enabled for a user by its serial number and two codes. For the demo and tests.
    pub async fn register_hardware_token(&self, serial: &str, seed_b32: &str) -> IamResult<()> {
        if totp::base32_decode(seed_b32).is_none() {
            return Err(IamError::InvalidInput("the seed is not Base32".into()));
        }
        let doc = MfaDoc {
            serial: serial.to_owned(),
            seed_b32: seed_b32.to_owned(),
            created_at: self.now(),
            user: None,
            enabled_at: None,
            last_step: None,
        };
        sqlx::query(
            "INSERT INTO iam_virtual_mfa (serial, doc, version, user_fold) VALUES ($1, $2, 0, NULL) ON CONFLICT (serial) DO NOTHING",
        )
        .bind(serial)
        .bind(serde_json::to_string(&doc).map_err(db_err)?)
        .execute(&self.db.pool)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    /// Create an IAM user (`CreateUser`). Errors: EntityAlreadyExists (names are case-insensitive).
    pub async fn create_user(&self, user: &IamUserName, path: &str, created_at: OffsetDateTime) -> IamResult<IamUser> {
        if !(path.starts_with('/') && path.ends_with('/')) {
            return Err(IamError::InvalidInput("a path starts and ends with /".into()));
        }
        let doc = UserDoc {
            name: user.to_string(),
            user_id: new_id("AIDA"),
            path: path.to_owned(),
            created_at: created_at.unix_timestamp(),
            password_last_used: None,
            login: None,
            password_history: vec![],
            access_keys: vec![],
            tags: vec![],
            mfa: vec![],
            service_credentials: vec![],
            ssh_keys: vec![],
            groups: vec![],
            signing_certs: vec![],
            attached_policies: vec![],
        };
        let res = sqlx::query("INSERT INTO iam_users (name_fold, doc, version) VALUES ($1, $2, 0) ON CONFLICT (name_fold) DO NOTHING")
            .bind(user.fold())
            .bind(serde_json::to_string(&doc).map_err(db_err)?)
            .execute(&self.db.pool)
            .await
            .map_err(db_err)?;
        if res.rows_affected() == 0 {
            return Err(IamError::EntityAlreadyExists(format!("User with name {user} already exists.")));
        }
        self.user_view(&doc)
    }

    /// Set or delete (`None`) the account password policy.
    pub async fn set_password_policy(&self, policy: Option<&PasswordPolicy>) -> IamResult<()> {
        if let Some(p) = policy {
            if !(6..=128).contains(&p.minimum_length)
                || p.max_age_days.is_some_and(|d| !(1..=1095).contains(&d))
                || p.reuse_prevention.is_some_and(|n| !(1..=24).contains(&n))
            {
                return Err(IamError::InvalidInput("password policy value out of range".into()));
            }
        }
        let json = policy.map(serde_json::to_string).transpose().map_err(db_err)?;
        self.set_account_value("password_policy", json.as_deref()).await
    }

    /// `AddUserToGroup` (the group is created on first use; IAM's group names: 1-128 of
    /// `[A-Za-z0-9+=,.@_-]`). Idempotent. For demos and tests: keydesk never changes membership.
    pub async fn add_user_to_group(&self, user: &IamUserName, group: &str) -> IamResult<()> {
        let valid = |c: char| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c);
        if group.is_empty() || group.chars().count() > 128 || !group.chars().all(valid) {
            return Err(IamError::InvalidInput(format!("{group:?} is not a valid IAM group name")));
        }
        self.mutate(user, |d| {
            if !d.groups.iter().any(|g| g.eq_ignore_ascii_case(group)) {
                d.groups.push(group.to_owned());
                d.groups.sort();
            }
            Ok(((), vec![], vec![]))
        })
        .await
    }

    /// Attach a managed policy (`AttachUserPolicy`), as AWS does with the quarantine policy when it finds
    /// a key exposed. For the demo and tests.
    pub async fn attach_user_policy(&self, user: &IamUserName, policy_arn: &str) -> IamResult<()> {
        self.mutate(user, |d| {
            if !d.attached_policies.iter().any(|p| p == policy_arn) {
                d.attached_policies.push(policy_arn.to_owned());
            }
            Ok(((), vec![], vec![]))
        })
        .await
    }

    /// Record that a key signed a request (what AWS does when a key is used).
    pub async fn record_key_use(&self, key: &AccessKeyId, at: OffsetDateTime, service: &str, region: &str) -> IamResult<()> {
        let owner = self.owner_of(key.as_str()).await?;
        let id = key.to_string();
        self.mutate(&owner, |d| {
            let k = d.access_keys.iter_mut().find(|k| k.id == id).ok_or_else(|| IamError::NotFound(id.clone()))?;
            k.last_used = Some((at.unix_timestamp(), service.to_owned(), region.to_owned()));
            Ok(((), vec![], vec![]))
        })
        .await
    }

    /// Backdate a key's creation (demo data with realistic ages).
    pub async fn backdate_key(&self, user: &IamUserName, key: &AccessKeyId, created_at: OffsetDateTime) -> IamResult<()> {
        let id = key.to_string();
        self.mutate(user, |d| {
            let k = d.access_keys.iter_mut().find(|k| k.id == id).ok_or_else(|| IamError::NotFound(id.clone()))?;
            k.created_at = created_at.unix_timestamp();
            Ok(((), vec![], vec![]))
        })
        .await
    }

    /// Backdate a console password's last change and record a last console sign-in (demo data).
    pub async fn backdate_password(
        &self,
        user: &IamUserName,
        changed_at: OffsetDateTime,
        last_used: Option<OffsetDateTime>,
    ) -> IamResult<()> {
        self.mutate(user, |d| {
            let l = d.login.as_mut().ok_or_else(|| IamError::NotFound("no login profile".into()))?;
            l.changed_at = changed_at.unix_timestamp();
            l.created_at = l.created_at.min(l.changed_at);
            d.password_last_used = last_used.map(|t| t.unix_timestamp());
            Ok(((), vec![], vec![]))
        })
        .await
    }

    /// Would Git's sign-in with this service user name and password succeed (credential active, password
    /// current)? What CodeCommit asks IAM; for tests and demos.
    pub async fn service_password_works(&self, user: &IamUserName, service_user_name: &str, password: &str) -> IamResult<bool> {
        let (d, _) = self.load_user(user).await?;
        Ok(d.service_credentials
            .iter()
            .any(|c| c.service_user_name == service_user_name && c.status == "Active" && password_matches(&c.password_hash, password)))
    }

    /// When the console password last changed (the credential report's `password_last_changed`).
    pub async fn password_changed_at(&self, user: &IamUserName) -> IamResult<Option<OffsetDateTime>> {
        Ok(self.load_user(user).await?.0.login.map(|l| t(l.changed_at)))
    }

    async fn owner_of(&self, id: &str) -> IamResult<IamUserName> {
        let fold: Option<String> = sqlx::query_scalar("SELECT user_fold FROM iam_credential_index WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.db.pool)
            .await
            .map_err(db_err)?;
        let fold = fold.ok_or_else(|| IamError::NotFound(format!("The Access Key with id {id} cannot be found.")))?;
        let row =
            sqlx::query("SELECT doc FROM iam_users WHERE name_fold = $1").bind(&fold).fetch_one(&self.db.pool).await.map_err(db_err)?;
        let doc: UserDoc = serde_json::from_str(&row.try_get::<String, _>("doc").map_err(db_err)?).map_err(db_err)?;
        IamUserName::parse(&doc.name).map_err(db_err)
    }

    fn check_codes(code1: &str, code2: &str) -> IamResult<()> {
        if totp::well_formed(code1) && totp::well_formed(code2) {
            Ok(())
        } else {
            Err(IamError::InvalidAuthenticationCode("Authentication codes are six digits.".into()))
        }
    }

    async fn all_users(&self) -> IamResult<Vec<UserDoc>> {
        let rows = sqlx::query("SELECT doc FROM iam_users ORDER BY name_fold").fetch_all(&self.db.pool).await.map_err(db_err)?;
        rows.iter().map(|r| serde_json::from_str::<UserDoc>(&r.try_get::<String, _>("doc").map_err(db_err)?).map_err(db_err)).collect()
    }

    async fn build_report(&self) -> IamResult<String> {
        let policy = self.effective_policy().await?;
        let rfc = |s: i64| t(s).format(&time::format_description::well_known::Rfc3339).unwrap_or_default();
        let mut csv = CREDENTIAL_REPORT_COLUMNS.join(",");
        for d in self.all_users().await? {
            let key = |i: usize| d.access_keys.get(i);
            let mut row: Vec<String> = vec![
                d.name.clone(),
                format!("arn:aws:iam::{ACCOUNT_ID}:user{}{}", d.path, d.name),
                rfc(d.created_at),
                d.login.is_some().to_string(),
                d.password_last_used.map_or_else(|| "no_information".into(), rfc),
                d.login.as_ref().map_or_else(|| "N/A".into(), |l| rfc(l.changed_at)),
                match (&d.login, policy.max_age_days()) {
                    (Some(l), Some(days)) => rfc(l.changed_at + i64::from(days) * 86_400),
                    _ => "N/A".into(),
                },
                (!d.mfa.is_empty()).to_string(),
            ];
            for i in 0..2 {
                match key(i) {
                    Some(k) => {
                        row.push((k.status == "Active").to_string());
                        row.push(rfc(k.created_at));
                        match &k.last_used {
                            Some((at, service, region)) => row.extend([rfc(*at), region.clone(), service.clone()]),
                            None => row.extend(["N/A".into(), "N/A".into(), "N/A".into()]),
                        }
                    }
                    None => row.extend(["false".into(), "N/A".into(), "N/A".into(), "N/A".into(), "N/A".into()]),
                }
            }
            row.extend(["false".into(), "N/A".into(), "false".into(), "N/A".into()]);
            csv.push('\n');
            csv.push_str(&row.join(","));
        }
        Ok(csv)
    }
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

fn ssh_view(k: &SshDoc) -> IamResult<SshKeySummary> {
    Ok(SshKeySummary { id: SshKeyId::parse(&k.id).map_err(db_err)?, status: Status::parse(&k.status), uploaded_at: t(k.uploaded_at) })
}

fn not_found(what: &str, id: &str) -> IamError {
    IamError::NotFound(format!("The {what} with id {id} cannot be found."))
}

#[async_trait]
impl IamBackend for EmbeddedIam {
    fn kind(&self) -> BackendKind {
        BackendKind::Embedded
    }

    fn account_id(&self) -> &str {
        ACCOUNT_ID
    }

    async fn get_user(&self, caller: &Caller, user: &IamUserName) -> IamResult<IamUser> {
        self.enter().await?;
        self.may_touch(caller, user, false, &[])?;
        self.user_view(&self.load_user(user).await?.0)
    }

    async fn list_users(&self, caller: &Caller, marker: Option<String>, max_items: u32) -> IamResult<UserPage> {
        self.enter().await?;
        self.may_list(caller)?;
        let max = i64::from(max_items.clamp(1, 1000));
        let rows = sqlx::query("SELECT name_fold, doc FROM iam_users WHERE name_fold > $1 ORDER BY name_fold LIMIT $2")
            .bind(marker.unwrap_or_default())
            .bind(max + 1)
            .fetch_all(&self.db.pool)
            .await
            .map_err(db_err)?;
        let mut users = Vec::new();
        let mut next_marker = None;
        for (i, r) in rows.iter().enumerate() {
            if i as i64 == max {
                next_marker = users.last().map(|u: &IamUser| u.name.fold());
                break;
            }
            let d: UserDoc = serde_json::from_str(&r.try_get::<String, _>("doc").map_err(db_err)?).map_err(db_err)?;
            users.push(self.user_view(&d)?);
        }
        Ok(UserPage { users, next_marker })
    }

    async fn password_state(&self, caller: &Caller, user: &IamUserName) -> IamResult<PasswordState> {
        self.enter().await?;
        self.may_touch(caller, user, false, &[Capability::ConsolePassword])?;
        let (d, _) = self.load_user(user).await?;
        Ok(PasswordState {
            profile: d.login.map(|l| LoginProfile { created_at: t(l.created_at), reset_required: l.reset_required }),
            policy: self.effective_policy().await?,
        })
    }

    async fn account_password_policy(&self, _caller: &Caller) -> IamResult<EffectivePolicy> {
        self.enter().await?;
        self.effective_policy().await
    }

    async fn set_account_password_policy(&self, caller: &Caller, policy: Option<&PasswordPolicy>) -> IamResult<()> {
        self.enter().await?;
        if !matches!(caller, Caller::Admin { .. } | Caller::Service { .. }) {
            return Err(IamError::AccessDenied(format!("{} may not change the account password policy", caller.portal_user())));
        }
        if policy.is_none() && self.effective_policy().await? == EffectivePolicy::IamDefault {
            return Err(IamError::NotFound("The account policy with name PasswordPolicy cannot be found.".into()));
        }
        self.set_password_policy(policy).await
    }

    async fn set_password(&self, caller: &Caller, user: &IamUserName, password: &Password, reset_required: bool) -> IamResult<()> {
        self.enter().await?;
        self.may_touch(caller, user, true, &[Capability::ConsolePassword])?;
        let policy = self.effective_policy().await?;
        if let Some(msg) = policy.check(password.expose()).first_failure() {
            return Err(IamError::PolicyViolation(msg));
        }
        let (d, _) = self.load_user(user).await?;
        let reuse = usize::from(policy.reuse_prevention().unwrap_or(0));
        // Hash checks are slow by design: run them off the async threads.
        let history: Vec<String> = d.password_history.iter().take(reuse).cloned().collect();
        let pw = password.expose().to_owned();
        let (reused, new_hash) =
            tokio::task::spawn_blocking(move || (history.iter().any(|h| password_matches(h, &pw)), hash_password(&pw)))
                .await
                .map_err(db_err)?;
        if reused {
            return Err(IamError::PolicyViolation(format!(
                "Policy constraint violation: the password was one of the last {reuse} passwords used."
            )));
        }
        let now = self.now();
        self.mutate(user, |d| {
            let created_at = d.login.as_ref().map_or(now, |l| l.created_at);
            d.login = Some(LoginDoc { created_at, changed_at: now, reset_required });
            d.password_history.insert(0, new_hash.clone());
            d.password_history.truncate(24);
            Ok(((), vec![], vec![]))
        })
        .await?;
        self.leave(())
    }

    async fn list_access_keys(&self, caller: &Caller, user: &IamUserName) -> IamResult<Vec<AccessKeySummary>> {
        self.enter().await?;
        self.may_touch(caller, user, false, &[Capability::AccessKeys])?;
        self.load_user(user).await?.0.access_keys.iter().map(key_view).collect()
    }

    async fn create_access_key(&self, caller: &Caller, user: &IamUserName) -> IamResult<CreatedAccessKey> {
        self.enter().await?;
        self.may_touch(caller, user, true, &[Capability::AccessKeys])?;
        let now = self.now();
        let (id, secret) = (new_id("AKIA"), new_secret(40));
        let summary = self
            .mutate(user, |d| {
                if d.access_keys.len() >= MAX_ACCESS_KEYS {
                    return Err(IamError::LimitExceeded(format!("Cannot exceed quota for AccessKeysPerUser: {MAX_ACCESS_KEYS}")));
                }
                let k = KeyDoc { id: id.clone(), status: "Active".into(), created_at: now, last_used: None };
                let v = key_view(&k)?;
                d.access_keys.push(k);
                Ok((v, vec![(id.clone(), "access_key")], vec![]))
            })
            .await?;
        self.leave(CreatedAccessKey { key: summary, secret: OneTimeSecret::new(secret) })
    }

    async fn update_access_key(&self, caller: &Caller, user: &IamUserName, key: &AccessKeyId, status: SetStatus) -> IamResult<()> {
        self.set_credential_status(caller, user, key.as_str(), status, |d| &mut d.access_keys).await
    }

    async fn delete_access_key(&self, caller: &Caller, user: &IamUserName, key: &AccessKeyId) -> IamResult<()> {
        self.delete_credential(caller, user, key.as_str(), |d| &mut d.access_keys).await
    }

    async fn access_key_last_used(&self, caller: &Caller, key: &AccessKeyId) -> IamResult<(IamUserName, KeyLastUsed)> {
        self.enter().await?;
        let owner = self.owner_of(key.as_str()).await?;
        self.may_touch(caller, &owner, false, &[Capability::AccessKeys])?;
        let (d, _) = self.load_user(&owner).await?;
        let k = d.access_keys.iter().find(|k| k.id == key.as_str()).ok_or_else(|| not_found("Access Key", key.as_str()))?;
        let last = match &k.last_used {
            Some((at, service, region)) => KeyLastUsed { at: Some(t(*at)), service: Some(service.clone()), region: Some(region.clone()) },
            None => KeyLastUsed::default(),
        };
        Ok((owner, last))
    }

    async fn list_user_tags(&self, caller: &Caller, user: &IamUserName) -> IamResult<Vec<(String, String)>> {
        self.enter().await?;
        self.may_touch(caller, user, false, &[Capability::AccessKeys])?;
        Ok(self.load_user(user).await?.0.tags)
    }

    async fn list_groups_for_user(&self, caller: &Caller, user: &IamUserName) -> IamResult<Vec<String>> {
        self.enter().await?;
        self.may_touch(caller, user, false, &[])?;
        Ok(self.load_user(user).await?.0.groups)
    }

    /// The embedded IAM keeps groups only as its users' memberships: a group exists while it has one.
    async fn group_exists(&self, caller: &Caller, group: &str) -> IamResult<bool> {
        self.enter().await?;
        if matches!(caller, Caller::SelfService { .. }) {
            return Err(IamError::AccessDenied("the self-service session policy grants no iam:GetGroup".into()));
        }
        Ok(self.all_users().await?.iter().any(|u| u.groups.iter().any(|g| g.eq_ignore_ascii_case(group))))
    }

    async fn list_attached_user_policies(&self, caller: &Caller, user: &IamUserName) -> IamResult<Vec<String>> {
        self.enter().await?;
        if matches!(caller, Caller::SelfService { .. }) {
            return Err(IamError::AccessDenied("the self-service session policy grants no iam:ListAttachedUserPolicies".into()));
        }
        Ok(self.load_user(user).await?.0.attached_policies)
    }

    async fn detach_user_policy(&self, caller: &Caller, user: &IamUserName, policy_arn: &str) -> IamResult<()> {
        self.enter().await?;
        if !matches!(caller, Caller::Helpdesk { .. } | Caller::Service { .. }) {
            return Err(IamError::AccessDenied(format!("{} may not detach policies", caller.portal_user())));
        }
        self.mutate(user, |d| {
            let before = d.attached_policies.len();
            d.attached_policies.retain(|p| p != policy_arn);
            if d.attached_policies.len() == before {
                return Err(IamError::NotFound(format!("Policy {policy_arn} was not found attached to user {user}.")));
            }
            Ok(((), vec![], vec![]))
        })
        .await?;
        self.leave(())
    }

    async fn tag_user(&self, caller: &Caller, user: &IamUserName, key: &str, value: &str) -> IamResult<()> {
        self.enter().await?;
        self.may_touch(caller, user, true, &[Capability::AccessKeys])?;
        self.may_tag(caller, key)?;
        if key.is_empty() || key.chars().count() > 128 {
            return Err(IamError::InvalidInput("A tag key has 1 to 128 characters.".into()));
        }
        if value.chars().count() > 256 {
            return Err(IamError::InvalidInput("A tag value has at most 256 characters.".into()));
        }
        self.mutate(user, |d| {
            let count = d.tags.len();
            match d.tags.iter_mut().find(|(k, _)| k == key) {
                Some(tag) => tag.1 = value.to_owned(),
                None if count >= MAX_TAGS => return Err(IamError::LimitExceeded(format!("A user can have at most {MAX_TAGS} tags."))),
                None => d.tags.push((key.to_owned(), value.to_owned())),
            }
            Ok(((), vec![], vec![]))
        })
        .await?;
        self.leave(())
    }

    async fn untag_user(&self, caller: &Caller, user: &IamUserName, key: &str) -> IamResult<()> {
        self.enter().await?;
        self.may_touch(caller, user, true, &[Capability::AccessKeys])?;
        self.may_tag(caller, key)?;
        self.mutate(user, |d| {
            d.tags.retain(|(k, _)| k != key);
            Ok(((), vec![], vec![]))
        })
        .await?;
        self.leave(())
    }

    async fn create_virtual_mfa(&self, caller: &Caller, path: &str, name: &str) -> IamResult<CreatedVirtualMfa> {
        self.enter().await?;
        if !super::mfa_name_well_formed(name) {
            return Err(IamError::InvalidInput("A device name has 1 to 226 letters, digits and + = , . @ _ -.".into()));
        }
        if !super::path_well_formed(path) {
            return Err(IamError::InvalidInput("A path is / or /segments/ of printable characters, at most 512.".into()));
        }
        let serial = format!("arn:aws:iam::{ACCOUNT_ID}:mfa{path}{name}");
        self.may_manage_device(caller, &serial)?;
        let mut seed = [0u8; 40];
        OsRng.fill_bytes(&mut seed);
        let doc = MfaDoc {
            serial: serial.clone(),
            seed_b32: totp::base32_encode(&seed),
            created_at: self.now(),
            user: None,
            enabled_at: None,
            last_step: None,
        };
        let res = sqlx::query(
            "INSERT INTO iam_virtual_mfa (serial, doc, version, user_fold) VALUES ($1, $2, 0, NULL) ON CONFLICT (serial) DO NOTHING",
        )
        .bind(&serial)
        .bind(serde_json::to_string(&doc).map_err(db_err)?)
        .execute(&self.db.pool)
        .await
        .map_err(db_err)?;
        if res.rows_affected() == 0 {
            return Err(IamError::EntityAlreadyExists(format!("MFADevice entity at the same path and name already exists: {name}")));
        }
        self.leave(CreatedVirtualMfa { serial, seed: OneTimeSecret::new(doc.seed_b32) })
    }

    async fn enable_mfa(&self, caller: &Caller, user: &IamUserName, serial: &str, code1: &str, code2: &str) -> IamResult<()> {
        self.enter().await?;
        self.may_touch(caller, user, true, &[Capability::Mfa])?;
        Self::check_codes(code1, code2)?;
        let now_step = totp::step_at(self.now());
        for _ in 0..CAS_ATTEMPTS {
            let (mut dev, dev_version) = self.load_device(serial).await?;
            if dev.user.is_some() {
                return Err(IamError::EntityAlreadyExists("MFA device is already in use.".into()));
            }
            let seed = totp::base32_decode(&dev.seed_b32).ok_or_else(|| db_err("corrupt seed"))?;
            // code2 may be the current code or one step either side (clock skew).
            let step = totp::find_consecutive(&seed, code1, code2, now_step - 2, now_step)
                .ok_or_else(|| IamError::InvalidAuthenticationCode("Authentication code for device is not valid.".into()))?;
            let (mut doc, version) = self.load_user(user).await?;
            if doc.mfa.len() >= MAX_MFA {
                return Err(IamError::LimitExceeded(format!("Cannot exceed quota for MFADevicesPerUser: {MAX_MFA}")));
            }
            let now = self.now();
            doc.mfa.push(AssignedMfa { serial: serial.to_owned(), enabled_at: now });
            dev.user = Some(doc.name.clone());
            dev.enabled_at = Some(now);
            dev.last_step = Some(step + 1);
            let mut tx = self.db.pool.begin().await.map_err(db_err)?;
            let user_ok = Self::write_user(&mut tx, user, &doc, version).await?;
            if user_ok && self.save_device(&mut tx, &dev, dev_version).await? {
                tx.commit().await.map_err(db_err)?;
                return self.leave(());
            }
            tx.rollback().await.map_err(db_err)?;
        }
        Err(IamError::Conflict("too much concurrent modification; try again".into()))
    }

    async fn resync_mfa(&self, caller: &Caller, user: &IamUserName, serial: &str, code1: &str, code2: &str) -> IamResult<()> {
        self.enter().await?;
        self.may_touch(caller, user, true, &[Capability::Mfa])?;
        Self::check_codes(code1, code2)?;
        let now_step = totp::step_at(self.now());
        for _ in 0..CAS_ATTEMPTS {
            let (mut dev, version) = self.load_device(serial).await?;
            if dev.user.as_deref().map(str::to_ascii_lowercase) != Some(user.fold()) {
                return Err(IamError::NotFound(format!("MFA device {serial} is not assigned to {user}.")));
            }
            let seed = totp::base32_decode(&dev.seed_b32).ok_or_else(|| db_err("corrupt seed"))?;
            // Resync accepts a wider window (drifted clocks), but never a step already used.
            let earliest = dev.last_step.map_or(now_step - 20, |l| (l + 1).max(now_step - 20));
            let step = totp::find_consecutive(&seed, code1, code2, earliest, now_step + 20)
                .ok_or_else(|| IamError::InvalidAuthenticationCode("Authentication code for device is not valid.".into()))?;
            dev.last_step = Some(step + 1);
            let mut conn = self.db.pool.acquire().await.map_err(db_err)?;
            if self.save_device(&mut conn, &dev, version).await? {
                return self.leave(());
            }
        }
        Err(IamError::Conflict("too much concurrent modification; try again".into()))
    }

    async fn deactivate_mfa(&self, caller: &Caller, user: &IamUserName, serial: &str) -> IamResult<()> {
        self.enter().await?;
        self.may_touch(caller, user, true, &[Capability::Mfa])?;
        for _ in 0..CAS_ATTEMPTS {
            let (mut doc, version) = self.load_user(user).await?;
            let before = doc.mfa.len();
            doc.mfa.retain(|m| m.serial != serial);
            if doc.mfa.len() == before {
                return Err(IamError::NotFound(format!("MFA device {serial} is not assigned to {user}.")));
            }
            let mut tx = self.db.pool.begin().await.map_err(db_err)?;
            let user_ok = Self::write_user(&mut tx, user, &doc, version).await?;
            // Hardware devices have no virtual-device row; virtual ones go back to "unassigned".
            let dev_ok = match self.load_device(serial).await {
                Ok((mut dev, v)) => {
                    dev.user = None;
                    dev.enabled_at = None;
                    self.save_device(&mut tx, &dev, v).await?
                }
                Err(IamError::NotFound(_)) => true,
                Err(e) => return Err(e),
            };
            if user_ok && dev_ok {
                tx.commit().await.map_err(db_err)?;
                return self.leave(());
            }
            tx.rollback().await.map_err(db_err)?;
        }
        Err(IamError::Conflict("too much concurrent modification; try again".into()))
    }

    async fn delete_virtual_mfa(&self, caller: &Caller, serial: &str) -> IamResult<()> {
        self.enter().await?;
        self.may_manage_device(caller, serial)?;
        if !serial.contains(":mfa/") {
            return Err(IamError::NotFound(format!("VirtualMFADevice with serial {serial} not found.")));
        }
        let (dev, version) = self.load_device(serial).await?;
        if dev.user.is_some() {
            return Err(IamError::Conflict("MFA device is still assigned to a user; deactivate it first.".into()));
        }
        let res = sqlx::query("DELETE FROM iam_virtual_mfa WHERE serial = $1 AND version = $2")
            .bind(serial)
            .bind(version)
            .execute(&self.db.pool)
            .await
            .map_err(db_err)?;
        if res.rows_affected() == 0 {
            return Err(IamError::Conflict("the device changed meanwhile; try again".into()));
        }
        self.leave(())
    }

    async fn list_mfa_devices(&self, caller: &Caller, user: &IamUserName) -> IamResult<Vec<MfaDevice>> {
        self.enter().await?;
        self.may_touch(caller, user, false, &[Capability::Mfa])?;
        Ok(self.load_user(user).await?.0.mfa.iter().map(|m| MfaDevice { serial: m.serial.clone(), enabled_at: t(m.enabled_at) }).collect())
    }

    async fn list_unassigned_virtual_mfa(&self, caller: &Caller) -> IamResult<Vec<String>> {
        self.enter().await?;
        let serials: Vec<String> = sqlx::query_scalar("SELECT serial FROM iam_virtual_mfa WHERE user_fold IS NULL ORDER BY serial")
            .fetch_all(&self.db.pool)
            .await
            .map_err(db_err)?;
        // Hardware tokens share the device store but are no virtual devices.
        let serials: Vec<String> = serials.into_iter().filter(|s| s.contains(":mfa/")).collect();
        Ok(match caller {
            // A self-service session sees only its own devices (its policy names only those).
            Caller::SelfService { iam_user, .. } => serials.into_iter().filter(|s| is_own_mfa_serial(iam_user, s)).collect(),
            _ => serials,
        })
    }

    async fn create_service_credential(
        &self,
        caller: &Caller,
        user: &IamUserName,
        service: &str,
        age_days: Option<u32>,
    ) -> IamResult<CreatedServiceCredential> {
        use app::domain::services::{ServiceSpec, MAX_CREDENTIAL_AGE_DAYS};
        self.enter().await?;
        // The session policy scopes creation by `iam:ServiceSpecificCredentialServiceName`.
        let needed = ServiceSpec::by_service_name(service).map_or(Capability::ServiceCredentials, ServiceSpec::capability);
        self.may_touch(caller, user, true, &[needed])?;
        let Some(spec) = ServiceSpec::by_service_name(service) else {
            return Err(IamError::InvalidInput(format!("{service} does not issue service-specific credentials.")));
        };
        match age_days {
            Some(_) if !spec.expires() => {
                return Err(IamError::InvalidInput(format!("CredentialAgeDays is not valid for {service}: its credentials do not expire.")))
            }
            Some(d) if !(1..=MAX_CREDENTIAL_AGE_DAYS).contains(&d) => {
                return Err(IamError::InvalidInput(format!("CredentialAgeDays must be between 1 and {MAX_CREDENTIAL_AGE_DAYS}.")))
            }
            _ => {}
        }
        let (now, id) = (self.now(), new_id("ACCA"));
        let (service_user_name, alias, secret) = if spec.expires() {
            // The alias is the IAM user name with a version and creation suffix, as IAM documents it.
            let alias = format!("{user}+1-at-{ACCOUNT_ID}-{now}");
            let secret = new_api_key_secret(&alias);
            (String::new(), Some(alias), secret)
        } else {
            (format!("{user}-at-{ACCOUNT_ID}"), None, new_service_password())
        };
        let password_hash = hash_password(&secret);
        let expires_at = age_days.map(|d| now + i64::from(d) * 86_400);
        let cred = self
            .mutate(user, |d| {
                if d.service_credentials.iter().filter(|c| c.service == service).count() >= MAX_SERVICE_CREDENTIALS {
                    return Err(IamError::LimitExceeded(format!(
                        "Cannot exceed quota for ServiceSpecificCredentialsPerUserPerService: {MAX_SERVICE_CREDENTIALS}"
                    )));
                }
                let c = ServiceCredDoc {
                    id: id.clone(),
                    service: service.to_owned(),
                    // The stored name follows the stored user's spelling of its own name.
                    service_user_name: if service_user_name.is_empty() { String::new() } else { format!("{}-at-{ACCOUNT_ID}", d.name) },
                    status: "Active".into(),
                    created_at: now,
                    password_hash: password_hash.clone(),
                    alias: alias.clone(),
                    expires_at,
                };
                let v = cred_view(&c, now)?;
                d.service_credentials.push(c);
                Ok((v, vec![(id.clone(), "service_credential")], vec![]))
            })
            .await?;
        self.leave(CreatedServiceCredential { credential: cred, password: OneTimeSecret::new(secret) })
    }

    async fn list_service_credentials(
        &self,
        caller: &Caller,
        user: &IamUserName,
        service: Option<&str>,
    ) -> IamResult<Vec<ServiceCredential>> {
        self.enter().await?;
        self.may_touch(caller, user, false, &[Capability::GitCredentials, Capability::ServiceCredentials])?;
        let (d, _) = self.load_user(user).await?;
        let now = self.now();
        d.service_credentials.iter().filter(|c| service.is_none_or(|s| c.service == s)).map(|c| cred_view(c, now)).collect()
    }

    async fn update_service_credential(
        &self,
        caller: &Caller,
        user: &IamUserName,
        id: &ServiceCredentialId,
        status: SetStatus,
    ) -> IamResult<()> {
        self.set_credential_status(caller, user, id.as_str(), status, |d| &mut d.service_credentials).await
    }

    async fn reset_service_credential(
        &self,
        caller: &Caller,
        user: &IamUserName,
        id: &ServiceCredentialId,
    ) -> IamResult<CreatedServiceCredential> {
        self.enter().await?;
        self.may_touch(caller, user, true, &[Capability::GitCredentials, Capability::ServiceCredentials])?;
        let now = self.now();
        let (credential, password) = self
            .mutate(user, |d| {
                let c = d
                    .service_credentials
                    .iter_mut()
                    .find(|c| c.id == id.as_str())
                    .ok_or_else(|| not_found("service-specific credential", id.as_str()))?;
                // An API key gets a new secret under the same alias; the expiry stays.
                let secret = match &c.alias {
                    Some(alias) => new_api_key_secret(alias),
                    None => new_service_password(),
                };
                c.password_hash = hash_password(&secret);
                Ok(((cred_view(c, now)?, secret), vec![], vec![]))
            })
            .await?;
        self.leave(CreatedServiceCredential { credential, password: OneTimeSecret::new(password) })
    }

    async fn delete_service_credential(&self, caller: &Caller, user: &IamUserName, id: &ServiceCredentialId) -> IamResult<()> {
        self.delete_credential(caller, user, id.as_str(), |d| &mut d.service_credentials).await
    }

    async fn upload_ssh_key(&self, caller: &Caller, user: &IamUserName, body: &str) -> IamResult<SshKeySummary> {
        self.enter().await?;
        self.may_touch(caller, user, true, &[Capability::SshKeys])?;
        let parsed = ssh_key::parse(body).map_err(|e| IamError::InvalidInput(e.to_string()))?;
        use base64::Engine;
        let blob = base64::engine::general_purpose::STANDARD.encode(&parsed.blob);
        let (now, id) = (self.now(), new_id("APKA"));
        let summary = self
            .mutate(user, |d| {
                if d.ssh_keys.iter().any(|k| k.blob == blob) {
                    return Err(IamError::EntityAlreadyExists("The SSH public key has already been uploaded for this user.".into()));
                }
                if d.ssh_keys.len() >= MAX_SSH_KEYS {
                    return Err(IamError::LimitExceeded(format!("Cannot exceed quota for PublicKeysPerUser: {MAX_SSH_KEYS}")));
                }
                let k = SshDoc { id: id.clone(), status: "Active".into(), uploaded_at: now, blob: blob.clone() };
                let v = ssh_view(&k)?;
                d.ssh_keys.push(k);
                Ok((v, vec![(id.clone(), "ssh_key")], vec![]))
            })
            .await?;
        self.leave(summary)
    }

    async fn list_ssh_keys(&self, caller: &Caller, user: &IamUserName) -> IamResult<Vec<SshKeySummary>> {
        self.enter().await?;
        self.may_touch(caller, user, false, &[Capability::SshKeys])?;
        self.load_user(user).await?.0.ssh_keys.iter().map(ssh_view).collect()
    }

    async fn get_ssh_key(&self, caller: &Caller, user: &IamUserName, id: &SshKeyId, encoding: SshEncoding) -> IamResult<SshKeyDetail> {
        self.enter().await?;
        self.may_touch(caller, user, false, &[Capability::SshKeys])?;
        let (d, _) = self.load_user(user).await?;
        let k = d.ssh_keys.iter().find(|k| k.id == id.as_str()).ok_or_else(|| not_found("SSH public key", id.as_str()))?;
        let parsed = ssh_key::parse(&format!("ssh-rsa {}", k.blob)).map_err(db_err)?;
        let body = match encoding {
            SshEncoding::Ssh => parsed.openssh(),
            SshEncoding::Pem => parsed.pem(),
        };
        Ok(SshKeyDetail { summary: ssh_view(k)?, fingerprint: parsed.md5_fingerprint(), body })
    }

    async fn upload_signing_cert(&self, caller: &Caller, user: &IamUserName, body: &str) -> IamResult<SigningCert> {
        self.enter().await?;
        self.may_touch(caller, user, true, &[Capability::SigningCertificates])?;
        // IAM parses the certificate; compare certificates by their DER bytes, not by PEM text.
        let der = cert_der(body)
            .ok_or_else(|| IamError::InvalidInput("The certificate is malformed: it is not a PEM X.509 certificate.".into()))?;
        let (now, id) = (self.now(), format!("{}{}", new_id("TA"), &new_id("")[..10]));
        let cert = self
            .mutate(user, |d| {
                if d.signing_certs.iter().any(|c| cert_der(&c.body).as_deref() == Some(&der[..])) {
                    return Err(IamError::EntityAlreadyExists("The certificate has already been uploaded for this user.".into()));
                }
                if d.signing_certs.len() >= MAX_SIGNING_CERTS {
                    return Err(IamError::LimitExceeded(format!(
                        "Cannot exceed quota for SigningCertificatesPerUser: {MAX_SIGNING_CERTS}"
                    )));
                }
                let c = CertDoc { id: id.clone(), status: "Active".into(), uploaded_at: now, body: body.trim().to_owned() };
                let view = cert_view(&c);
                d.signing_certs.push(c);
                Ok((view, vec![], vec![]))
            })
            .await?;
        self.leave(cert)
    }

    async fn list_signing_certs(&self, caller: &Caller, user: &IamUserName) -> IamResult<Vec<SigningCert>> {
        self.enter().await?;
        self.may_touch(caller, user, false, &[Capability::SigningCertificates])?;
        Ok(self.load_user(user).await?.0.signing_certs.iter().map(cert_view).collect())
    }

    async fn update_signing_cert(&self, caller: &Caller, user: &IamUserName, id: &str, status: SetStatus) -> IamResult<()> {
        self.set_credential_status(caller, user, id, status, |d| &mut d.signing_certs).await
    }

    async fn delete_signing_cert(&self, caller: &Caller, user: &IamUserName, id: &str) -> IamResult<()> {
        self.delete_credential(caller, user, id, |d| &mut d.signing_certs).await
    }

    async fn update_ssh_key(&self, caller: &Caller, user: &IamUserName, id: &SshKeyId, status: SetStatus) -> IamResult<()> {
        self.set_credential_status(caller, user, id.as_str(), status, |d| &mut d.ssh_keys).await
    }

    async fn delete_ssh_key(&self, caller: &Caller, user: &IamUserName, id: &SshKeyId) -> IamResult<()> {
        self.delete_credential(caller, user, id.as_str(), |d| &mut d.ssh_keys).await
    }

    async fn generate_credential_report(&self, caller: &Caller) -> IamResult<ReportState> {
        self.enter().await?;
        self.may_list(caller)?;
        let now = self.clock.now();
        if let Some(at) = self.account_value("report_generated_at").await? {
            if now - t(at.parse().unwrap_or(0)) < REPORT_TTL {
                return Ok(ReportState::Complete);
            }
        }
        let csv = self.build_report().await?;
        self.set_account_value("report_csv", Some(&csv)).await?;
        self.set_account_value("report_generated_at", Some(&now.unix_timestamp().to_string())).await?;
        Ok(ReportState::Started)
    }

    async fn get_credential_report(&self, caller: &Caller) -> IamResult<CredentialReport> {
        self.enter().await?;
        self.may_list(caller)?;
        let (Some(at), Some(csv)) = (self.account_value("report_generated_at").await?, self.account_value("report_csv").await?) else {
            return Err(IamError::NotFound("Credential report not present; generate one first.".into()));
        };
        Ok(CredentialReport { generated_at: t(at.parse().unwrap_or(0)), csv })
    }
}
