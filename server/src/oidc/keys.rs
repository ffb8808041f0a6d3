//! The issuer's signing keys: fetched from its `jwks_uri`, kept for an hour, fetched again at once (but
//! at most once a minute) when a token names a key id keydesk has not seen (the provider rotated its
//! keys), and kept as they were when a fetch fails, so a provider's hiccup does not stop sign-ins.

use super::fetch::{FetchError, Fetcher};
use super::jwt::{Alg, Jwk, JwkSet};
use tokio::sync::Mutex;

/// A JWK Set larger than this is refused (a handful of keys is a few kilobytes).
pub const MAX_JWKS_BYTES: usize = 64 * 1024;
/// And one with more keys than this.
const MAX_KEYS: usize = 100;
/// Keys are fetched again after this long (seconds).
const REFRESH_AFTER: i64 = 3600;
/// An unknown key id causes at most one fetch per this many seconds.
const UNKNOWN_KID_REFETCH_EVERY: i64 = 60;

#[derive(Default)]
struct Cached {
    keys: Vec<Jwk>,
    /// When `keys` were fetched (Unix seconds); 0 when never.
    fetched_at: i64,
    /// The last fetch made because of an unknown key id.
    refetched_for_unknown_at: Option<i64>,
}

pub struct KeyCache {
    url: String,
    cached: Mutex<Cached>,
    fetches: std::sync::atomic::AtomicU64,
}

/// Why no key could be had.
#[derive(Debug)]
pub enum KeyError {
    /// The set was read; no key fits the token.
    NoKey,
    /// The set could not be fetched and none is cached.
    Unavailable(FetchError),
}

impl KeyCache {
    pub fn new(url: String) -> Self {
        Self { url, cached: Mutex::new(Cached::default()), fetches: Default::default() }
    }

    /// How many times the set was fetched (for the tests and `keydesk check`).
    pub fn fetches(&self) -> u64 {
        self.fetches.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// The key for a token signed with `alg` naming `kid`, fetching the set when needed.
    pub async fn key_for(&self, fetcher: &Fetcher, alg: Alg, kid: Option<&str>, now: i64) -> Result<Jwk, KeyError> {
        let mut cached = self.cached.lock().await;
        if cached.fetched_at == 0 || now - cached.fetched_at >= REFRESH_AFTER {
            if let Err(e) = self.refresh(&mut cached, fetcher, now).await {
                if cached.keys.is_empty() {
                    return Err(KeyError::Unavailable(e));
                }
                tracing::warn!(error = %e, "the identity provider's keys could not be fetched again; keeping the last good set");
            }
        }
        if let Some(k) = pick(&cached.keys, alg, kid) {
            return Ok(k);
        }
        let recently = cached.refetched_for_unknown_at.is_some_and(|t| now - t < UNKNOWN_KID_REFETCH_EVERY);
        if recently {
            return Err(KeyError::NoKey);
        }
        cached.refetched_for_unknown_at = Some(now);
        if let Err(e) = self.refresh(&mut cached, fetcher, now).await {
            tracing::warn!(error = %e, "the identity provider's keys could not be fetched for an unknown key id");
        }
        pick(&cached.keys, alg, kid).ok_or(KeyError::NoKey)
    }

    /// Fetch the set now and count the keys that fit one of `algs` (`keydesk check`).
    pub async fn usable(&self, fetcher: &Fetcher, algs: &[Alg], now: i64) -> Result<usize, FetchError> {
        let mut cached = self.cached.lock().await;
        self.refresh(&mut cached, fetcher, now).await?;
        Ok(cached.keys.iter().filter(|k| algs.iter().any(|a| k.fits(*a))).count())
    }

    async fn refresh(&self, cached: &mut Cached, fetcher: &Fetcher, now: i64) -> Result<(), FetchError> {
        self.fetches.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let set: JwkSet = fetcher.get_json(&self.url, MAX_JWKS_BYTES).await?;
        if set.keys.len() > MAX_KEYS {
            return Err(FetchError::NotJson(format!("more than {MAX_KEYS} keys")));
        }
        cached.keys = set.keys;
        cached.fetched_at = now;
        Ok(())
    }
}

/// The key named `kid` that fits `alg`; without a `kid`, the only key that fits.
fn pick(keys: &[Jwk], alg: Alg, kid: Option<&str>) -> Option<Jwk> {
    let mut fitting = keys.iter().filter(|k| k.fits(alg));
    match kid {
        Some(kid) => fitting.find(|k| k.kid.as_deref() == Some(kid)).cloned(),
        None => {
            let first = fitting.next()?;
            fitting.next().is_none().then(|| first.clone())
        }
    }
}
