//! Portal passwords: argon2id hashing (OWASP minimum m=19456 KiB, t=2, p=1) on the blocking pool with a
//! bound on concurrent hashes, a dummy verification for unknown users so timing does not reveal which
//! accounts exist, and the portal's own password rules (ASVS 6.2: length, not common, not contextual).

use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher as _, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use std::sync::Arc;
use tokio::sync::Semaphore;

pub const M_COST_KIB: u32 = 19_456;
pub const T_COST: u32 = 2;
pub const P_COST: u32 = 1;

pub const MIN_LEN: usize = 12;
pub const MAX_LEN: usize = 256;

#[derive(Debug, thiserror::Error)]
pub enum HashError {
    #[error("argon2: {0}")]
    Argon2(String),
    #[error("the hashing task failed: {0}")]
    Join(#[from] tokio::task::JoinError),
    #[error("the hashing pool is closed")]
    Closed,
}

fn argon2() -> Result<Argon2<'static>, HashError> {
    let params = Params::new(M_COST_KIB, T_COST, P_COST, None).map_err(|e| HashError::Argon2(e.to_string()))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Hashes and verifies portal passwords without starving the async runtime: at most `permits` hashes run
/// at once (each takes ~19 MiB and tens of milliseconds of CPU).
#[derive(Debug, Clone)]
pub struct Hasher {
    permits: Arc<Semaphore>,
    dummy: Arc<str>,
    /// Sign-ins admitted and not finished (running or waiting for a permit), bounded by `queue`.
    admitted: Arc<std::sync::atomic::AtomicUsize>,
    queue: usize,
    /// Password verifications run so far (real and dummy): what the security run counts as "evaluated".
    verified: Arc<std::sync::atomic::AtomicU64>,
}

/// A password check's place in the hashing queue; dropping it frees the place. Made only by
/// [`Hasher::admit`].
#[derive(Debug)]
pub struct Admitted(Arc<std::sync::atomic::AtomicUsize>);

impl Drop for Admitted {
    fn drop(&mut self) {
        self.0.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
}

impl Hasher {
    pub fn new(permits: usize) -> Result<Self, HashError> {
        // The dummy hash has the same parameters as real ones, so verifying against it costs the same.
        let dummy = hash_blocking("keydesk-dummy-password-for-timing")?;
        let permits = permits.max(1);
        Ok(Self {
            permits: Arc::new(Semaphore::new(permits)),
            dummy: dummy.into(),
            admitted: Default::default(),
            // Eight waiting per running hash: at tens of milliseconds each, nobody admitted waits long.
            queue: permits * 8,
            verified: Default::default(),
        })
    }

    /// A place for one password verification, or `None` when so many are queued that this one would
    /// wait too long: the caller answers 429 at once instead of spending memory and time on it, so a
    /// flood of sign-ins cannot exhaust the server (SECURITY.md G10).
    pub(in crate::auth) fn admit(&self) -> Option<Admitted> {
        let now = self.admitted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let place = Admitted(self.admitted.clone());
        (now < self.queue).then_some(place)
    }

    /// How many password verifications have run (sign-in, step-up, password change, dummy ones alike).
    pub fn verifications(&self) -> u64 {
        self.verified.load(std::sync::atomic::Ordering::SeqCst)
    }

    pub async fn hash(&self, password: &str) -> Result<String, HashError> {
        let _permit = self.permits.acquire().await.map_err(|_| HashError::Closed)?;
        let pw = password.to_owned();
        tokio::task::spawn_blocking(move || hash_blocking(&pw)).await?
    }

    /// `true` when `password` matches `phc`. A malformed hash verifies as `false`. Only with a place in
    /// the queue, which only the admission (auth/admission.rs) hands out: no password check bypasses it.
    pub(in crate::auth) async fn verify(&self, _place: &Admitted, phc: &str, password: &str) -> Result<bool, HashError> {
        let _permit = self.permits.acquire().await.map_err(|_| HashError::Closed)?;
        self.verified.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let (phc, pw) = (phc.to_owned(), password.to_owned());
        Ok(tokio::task::spawn_blocking(move || verify_blocking(&phc, &pw)).await?)
    }

    /// Spend the same work as a real verification, for unknown or disabled accounts.
    pub(in crate::auth) async fn verify_dummy(&self, place: &Admitted, password: &str) -> Result<(), HashError> {
        let dummy = self.dummy.clone();
        self.verify(place, &dummy, password).await.map(|_| ())
    }
}

fn hash_blocking(password: &str) -> Result<String, HashError> {
    let salt = SaltString::generate(&mut OsRng);
    argon2()?.hash_password(password.as_bytes(), &salt).map(|h| h.to_string()).map_err(|e| HashError::Argon2(e.to_string()))
}

fn verify_blocking(phc: &str, password: &str) -> bool {
    // Verify with the parameters recorded in the hash itself, so older hashes still verify.
    match PasswordHash::new(phc) {
        Ok(parsed) => Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok(),
        Err(_) => false,
    }
}

/// True when a stored hash is weaker than today's parameters (or not argon2id) and should be replaced
/// after the next successful sign-in.
pub fn needs_rehash(phc: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(phc) else { return true };
    if parsed.algorithm.as_str() != "argon2id" {
        return true;
    }
    let Ok(params) = Params::try_from(&parsed) else { return true };
    params.m_cost() < M_COST_KIB || params.t_cost() < T_COST || params.p_cost() < P_COST
}

/// A few of the most common passwords; longer lists are checked by the IAM password validator.
const COMMON: &[&str] = &[
    "password",
    "123456789012",
    "passwordpassword",
    "qwertyuiopas",
    "letmein12345",
    "administrator",
    "welcome12345",
    "iloveyou1234",
    "changeme1234",
    "password1234",
    "password123!",
    "qwerty123456",
    "111111111111",
    "000000000000",
    "abcdefghijkl",
    "trustno1trustno1",
];

/// The portal's rules for its own passwords (ASVS 6.2): 12 to 256 characters, no composition rules,
/// not a common password, not built around the user name or the product name.
pub fn check_portal_password(user: &str, password: &str) -> Result<(), String> {
    let len = password.chars().count();
    if len < MIN_LEN {
        return Err(format!("Use at least {MIN_LEN} characters (this one has {len}). A short phrase works well."));
    }
    if len > MAX_LEN {
        return Err(format!("Use at most {MAX_LEN} characters."));
    }
    let lower = password.to_lowercase();
    if COMMON.contains(&lower.as_str()) {
        return Err("This password is too common; choose something less guessable.".to_owned());
    }
    if !user.is_empty() && lower.contains(&user.to_lowercase()) {
        return Err("Do not include your user name in your password.".to_owned());
    }
    if lower.contains("keydesk") {
        return Err("Do not include the product name in your password.".to_owned());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// G10: a flood of sign-ins is refused at once beyond eight waiting per running hash, and every
    /// place comes back when its sign-in ends.
    #[test]
    fn the_hashing_queue_is_bounded_and_places_come_back() {
        let h = Hasher::new(1).unwrap();
        let places: Vec<_> = (0..8).map(|_| h.admit().expect("a place")).collect();
        assert!(h.admit().is_none(), "the ninth waits too long: refused");
        drop(places);
        assert!(h.admit().is_some());
    }

    #[tokio::test]
    async fn hashes_are_argon2id_with_owasp_minimum_and_verify() {
        let h = Hasher::new(2).unwrap();
        let phc = h.hash("correct horse battery").await.unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(!needs_rehash(&phc));
        let place = h.admit().unwrap();
        assert!(h.verify(&place, &phc, "correct horse battery").await.unwrap());
        assert!(!h.verify(&place, &phc, "wrong").await.unwrap());
        assert!(!h.verify(&place, "not a hash", "x").await.unwrap());
        h.verify_dummy(&place, "anything").await.unwrap();
    }

    #[test]
    fn weaker_hashes_need_rehash() {
        let salt = SaltString::generate(&mut OsRng);
        let weak = Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::new(4096, 1, 1, None).unwrap())
            .hash_password(b"pw", &salt)
            .unwrap()
            .to_string();
        assert!(needs_rehash(&weak));
        let argon2i = Argon2::new(Algorithm::Argon2i, Version::V0x13, Params::new(M_COST_KIB, 2, 1, None).unwrap())
            .hash_password(b"pw", &salt)
            .unwrap()
            .to_string();
        assert!(needs_rehash(&argon2i));
        assert!(needs_rehash("garbage"));
    }

    #[test]
    fn portal_password_rules() {
        assert!(check_portal_password("alice", "amber-falcon-river").is_ok());
        assert!(check_portal_password("alice", "short").unwrap_err().contains("at least 12"));
        assert!(check_portal_password("alice", &"x".repeat(11)).is_err());
        assert!(check_portal_password("alice", &"x".repeat(12)).is_ok());
        assert!(check_portal_password("alice", &"x".repeat(257)).is_err());
        assert!(check_portal_password("alice", "Password1234").unwrap_err().contains("too common"));
        assert!(check_portal_password("alice", "my-name-is-ALICE-ok").unwrap_err().contains("user name"));
        assert!(check_portal_password("bob", "i-love-keydesk-so-much").is_err());
    }
}
