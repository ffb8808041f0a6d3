//! ID tokens: a compact JWS checked against an allow-list of algorithms and the issuer's keys, then its
//! claims against what this attempt expects (OpenID Connect Core §3.1.3.7). `none` and every HMAC
//! algorithm are never accepted: an allow-list can only name the asymmetric algorithms below, and a key
//! is used only for the algorithm family of its type, so a public key can never serve as an HMAC secret.

use aws_lc_rs::signature::{self, RsaPublicKeyComponents, UnparsedPublicKey, VerificationAlgorithm};
use base64::Engine as _;
use serde::Deserialize;
use serde_json::{Map, Value};

/// The signature algorithms keydesk can check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alg {
    RS256,
    RS384,
    RS512,
    PS256,
    ES256,
    ES384,
}

impl Alg {
    pub const ALL: [Alg; 6] = [Alg::RS256, Alg::RS384, Alg::RS512, Alg::PS256, Alg::ES256, Alg::ES384];

    pub fn name(self) -> &'static str {
        match self {
            Alg::RS256 => "RS256",
            Alg::RS384 => "RS384",
            Alg::RS512 => "RS512",
            Alg::PS256 => "PS256",
            Alg::ES256 => "ES256",
            Alg::ES384 => "ES384",
        }
    }

    pub fn parse(s: &str) -> Option<Alg> {
        Alg::ALL.into_iter().find(|a| a.name() == s)
    }
}

/// One key of a JWK Set, as far as keydesk reads it.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct Jwk {
    pub kty: String,
    #[serde(default)]
    pub kid: Option<String>,
    #[serde(default)]
    pub alg: Option<String>,
    #[serde(default, rename = "use")]
    pub use_: Option<String>,
    #[serde(default)]
    pub n: Option<String>,
    #[serde(default)]
    pub e: Option<String>,
    #[serde(default)]
    pub crv: Option<String>,
    #[serde(default)]
    pub x: Option<String>,
    #[serde(default)]
    pub y: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct JwkSet {
    pub keys: Vec<Jwk>,
}

impl Jwk {
    /// May this key check a signature made with `alg`? Its type and curve must fit, its `use` (if any)
    /// must be `sig` and its `alg` (if any) must be `alg`.
    pub fn fits(&self, alg: Alg) -> bool {
        if self.use_.as_deref().is_some_and(|u| u != "sig") || self.alg.as_deref().is_some_and(|a| a != alg.name()) {
            return false;
        }
        match alg {
            Alg::RS256 | Alg::RS384 | Alg::RS512 | Alg::PS256 => self.kty == "RSA",
            Alg::ES256 => self.kty == "EC" && self.crv.as_deref() == Some("P-256"),
            Alg::ES384 => self.kty == "EC" && self.crv.as_deref() == Some("P-384"),
        }
    }
}

/// Why a token was refused. Safe to log and to audit: no token content beyond claim names.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum TokenError {
    #[error("the ID token is not a compact JWS")]
    Malformed,
    #[error("the ID token's algorithm {0:?} is not allowed")]
    Algorithm(String),
    #[error("the ID token names a critical header extension keydesk does not understand")]
    CriticalHeader,
    #[error("no key of the issuer fits the ID token (kid {0:?})")]
    UnknownKey(Option<String>),
    #[error("the ID token's signature does not verify")]
    Signature,
    #[error("the ID token's issuer is not the configured issuer")]
    Issuer,
    #[error("the ID token is not meant for keydesk (aud)")]
    Audience,
    #[error("the ID token's authorized party (azp) is not keydesk")]
    AuthorizedParty,
    #[error("the ID token has expired")]
    Expired,
    #[error("the ID token was issued in the future (iat)")]
    IssuedInFuture,
    #[error("the ID token was issued too long ago (iat)")]
    IssuedTooLongAgo,
    #[error("the ID token's nonce is missing or not this attempt's")]
    Nonce,
    #[error("the ID token has no auth_time although max_age was asked")]
    AuthTimeMissing,
    #[error("the sign-in at the provider is older than asked (auth_time)")]
    AuthTimeStale,
    #[error("the ID token has no subject")]
    Subject,
    #[error("the token's type {0:?} is not a logout token's")]
    WrongType(String),
    #[error("the logout token carries no back-channel logout event")]
    NotALogoutEvent,
    #[error("a logout token must not carry a nonce")]
    NonceInLogoutToken,
    #[error("the logout token names neither a session (sid) nor a subject (sub)")]
    NothingToEnd,
    #[error("the logout token has no jti")]
    NoJti,
}

/// A compact JWS split into its parts; nothing is trusted yet.
pub struct Compact<'a> {
    pub alg: Alg,
    pub kid: Option<String>,
    /// The header's `typ`, if any.
    pub typ: Option<String>,
    signing_input: &'a str,
    payload: Vec<u8>,
    signature: Vec<u8>,
}

fn b64(s: &str) -> Result<Vec<u8>, TokenError> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(s).map_err(|_| TokenError::Malformed)
}

#[derive(Deserialize)]
struct Header {
    alg: String,
    #[serde(default)]
    kid: Option<String>,
    #[serde(default)]
    crit: Option<Value>,
    #[serde(default)]
    typ: Option<String>,
}

/// Split `token` and read its header; refuses an algorithm outside `allowed` before any key is looked at.
pub fn split<'a>(token: &'a str, allowed: &[Alg]) -> Result<Compact<'a>, TokenError> {
    let mut parts = token.split('.');
    let (Some(h), Some(p), Some(s), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return Err(TokenError::Malformed);
    };
    let header: Header = serde_json::from_slice(&b64(h)?).map_err(|_| TokenError::Malformed)?;
    if header.crit.is_some() {
        return Err(TokenError::CriticalHeader);
    }
    let alg = Alg::parse(&header.alg).filter(|a| allowed.contains(a)).ok_or(TokenError::Algorithm(header.alg.clone()))?;
    let signing_input = &token[..h.len() + 1 + p.len()];
    Ok(Compact { alg, kid: header.kid, typ: header.typ, signing_input, payload: b64(p)?, signature: b64(s)? })
}

impl Compact<'_> {
    /// Check the signature with `key` (which must [`Jwk::fits`] the algorithm) and return the claims.
    pub fn verify(&self, key: &Jwk) -> Result<Map<String, Value>, TokenError> {
        if !key.fits(self.alg) {
            return Err(TokenError::UnknownKey(self.kid.clone()));
        }
        let field = |v: &Option<String>| v.as_deref().ok_or(TokenError::Signature).and_then(|s| b64(s).map_err(|_| TokenError::Signature));
        let ok = match self.alg {
            Alg::RS256 | Alg::RS384 | Alg::RS512 | Alg::PS256 => {
                let params: &signature::RsaParameters = match self.alg {
                    Alg::RS256 => &signature::RSA_PKCS1_2048_8192_SHA256,
                    Alg::RS384 => &signature::RSA_PKCS1_2048_8192_SHA384,
                    Alg::RS512 => &signature::RSA_PKCS1_2048_8192_SHA512,
                    _ => &signature::RSA_PSS_2048_8192_SHA256,
                };
                let (n, e) = (field(&key.n)?, field(&key.e)?);
                RsaPublicKeyComponents { n: &n, e: &e }.verify(params, self.signing_input.as_bytes(), &self.signature).is_ok()
            }
            Alg::ES256 | Alg::ES384 => {
                let (alg, len): (&'static dyn VerificationAlgorithm, usize) = if self.alg == Alg::ES256 {
                    (&signature::ECDSA_P256_SHA256_FIXED, 32)
                } else {
                    (&signature::ECDSA_P384_SHA384_FIXED, 48)
                };
                let (x, y) = (field(&key.x)?, field(&key.y)?);
                if x.len() != len || y.len() != len {
                    return Err(TokenError::Signature);
                }
                let point: Vec<u8> = [&[4u8][..], &x, &y].concat();
                UnparsedPublicKey::new(alg, &point).verify(self.signing_input.as_bytes(), &self.signature).is_ok()
            }
        };
        if !ok {
            return Err(TokenError::Signature);
        }
        match serde_json::from_slice(&self.payload) {
            Ok(Value::Object(map)) => Ok(map),
            _ => Err(TokenError::Malformed),
        }
    }
}

/// What one attempt expects of its ID token.
#[derive(Debug, Clone)]
pub struct Expected<'a> {
    pub issuer: &'a str,
    pub client_id: &'a str,
    /// The nonce this attempt sent.
    pub nonce: &'a str,
    /// Now, Unix seconds.
    pub now: i64,
    /// Clock skew forgiven on `exp`, `iat` and `auth_time`.
    pub leeway: i64,
    /// `max_age` sent with the request: `auth_time` is then required and must be that recent.
    pub max_age: Option<i64>,
    /// A step-up: the sign-in at the provider must be later than this (Unix seconds).
    pub authenticated_after: Option<i64>,
}

/// The longest an ID token may have been issued before it arrives (beyond the leeway): the code is
/// redeemed at once, so an older `iat` means a token kept somewhere.
const MAX_TOKEN_AGE: i64 = 600;

/// A verified ID token's identity.
#[derive(Debug, Clone, PartialEq)]
pub struct IdToken {
    pub sub: String,
    pub auth_time: Option<i64>,
    /// The provider's session id (for back-channel logout), when it sends one.
    pub sid: Option<String>,
    pub claims: Map<String, Value>,
}

/// A numeric claim (some providers send times as floats).
fn int_claim(claims: &Map<String, Value>, k: &str) -> Option<i64> {
    claims.get(k).and_then(|v| v.as_i64().or_else(|| v.as_f64().map(|f| f as i64)))
}

/// The checks every token from the issuer gets (Core §3.1.3.7 items 2-5, 9-10): `iss` is the issuer;
/// `aud` names keydesk, and with several audiences `azp` is required; `azp`, when present, is keydesk;
/// `exp` (required when `exp_required`) not passed and `iat` neither in the future nor older than
/// [`MAX_TOKEN_AGE`], both within the leeway. Returns `iat`.
fn check_issued(
    claims: &Map<String, Value>,
    issuer: &str,
    client_id: &str,
    now: i64,
    leeway: i64,
    exp_required: bool,
) -> Result<i64, TokenError> {
    let str_claim = |k: &str| claims.get(k).and_then(Value::as_str);
    if str_claim("iss") != Some(issuer) {
        return Err(TokenError::Issuer);
    }
    let audiences: Vec<&str> = match claims.get("aud") {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    };
    if !audiences.contains(&client_id) {
        return Err(TokenError::Audience);
    }
    match str_claim("azp") {
        Some(azp) if azp != client_id => return Err(TokenError::AuthorizedParty),
        None if audiences.len() > 1 => return Err(TokenError::AuthorizedParty),
        _ => {}
    }
    match int_claim(claims, "exp") {
        Some(exp) if now > exp + leeway => return Err(TokenError::Expired),
        None if exp_required => return Err(TokenError::Expired),
        _ => {}
    }
    let iat = int_claim(claims, "iat").ok_or(TokenError::IssuedInFuture)?;
    if iat > now + leeway {
        return Err(TokenError::IssuedInFuture);
    }
    if iat < now - MAX_TOKEN_AGE - leeway {
        return Err(TokenError::IssuedTooLongAgo);
    }
    Ok(iat)
}

/// Check the claims of a token whose signature verified.
pub fn check_claims(claims: Map<String, Value>, want: &Expected<'_>) -> Result<IdToken, TokenError> {
    let str_claim = |k: &str| claims.get(k).and_then(Value::as_str);
    let int_claim = |k: &str| int_claim(&claims, k);
    check_issued(&claims, want.issuer, want.client_id, want.now, want.leeway, true)?;
    let nonce_ok = str_claim("nonce").is_some_and(|n| constant_time_eq(n.as_bytes(), want.nonce.as_bytes()));
    if !nonce_ok {
        return Err(TokenError::Nonce);
    }
    let auth_time = int_claim("auth_time");
    if let Some(max_age) = want.max_age {
        let at = auth_time.ok_or(TokenError::AuthTimeMissing)?;
        if at + max_age + want.leeway < want.now {
            return Err(TokenError::AuthTimeStale);
        }
    }
    if let Some(after) = want.authenticated_after {
        // The provider's clock may run a little behind keydesk's: the leeway again, no more.
        let at = auth_time.ok_or(TokenError::AuthTimeMissing)?;
        if at + want.leeway < after {
            return Err(TokenError::AuthTimeStale);
        }
    }
    let sub = str_claim("sub").filter(|s| !s.is_empty() && s.len() <= 255).ok_or(TokenError::Subject)?.to_owned();
    let sid = str_claim("sid").map(str::to_owned);
    Ok(IdToken { sub, auth_time, sid, claims })
}

/// The back-channel logout event (OpenID Connect Back-Channel Logout 1.0 §2.4).
pub const LOGOUT_EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";

/// What a verified logout token asks to end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogoutToken {
    pub sid: Option<String>,
    pub sub: Option<String>,
    pub jti: String,
    /// Until when the token could be accepted (for the replay cache), Unix seconds.
    pub accepted_until: i64,
}

/// Check a logout token's header type and claims (Back-Channel Logout 1.0 §2.6): `iss`, `aud` (and
/// `azp`), `iat` within the leeway, the logout event, no `nonce`, a `sid` or a `sub`, a `jti`.
pub fn check_logout_claims(
    typ: Option<&str>,
    claims: &Map<String, Value>,
    issuer: &str,
    client_id: &str,
    now: i64,
    leeway: i64,
) -> Result<LogoutToken, TokenError> {
    if let Some(t) = typ.filter(|t| !t.eq_ignore_ascii_case("logout+jwt") && !t.eq_ignore_ascii_case("JWT")) {
        return Err(TokenError::WrongType(t.to_owned()));
    }
    let str_claim = |k: &str| claims.get(k).and_then(Value::as_str);
    // Back-Channel Logout 1.0 §2.6: iss, aud, iat and exp are checked as in ID tokens (exp is optional).
    let iat = check_issued(claims, issuer, client_id, now, leeway, false)?;
    let event = claims.get("events").and_then(Value::as_object).and_then(|e| e.get(LOGOUT_EVENT));
    if !event.is_some_and(Value::is_object) {
        return Err(TokenError::NotALogoutEvent);
    }
    if claims.contains_key("nonce") {
        return Err(TokenError::NonceInLogoutToken);
    }
    let sid = str_claim("sid").filter(|s| !s.is_empty()).map(str::to_owned);
    let sub = str_claim("sub").filter(|s| !s.is_empty()).map(str::to_owned);
    if sid.is_none() && sub.is_none() {
        return Err(TokenError::NothingToEnd);
    }
    let jti = str_claim("jti").filter(|s| !s.is_empty() && s.len() <= 255).ok_or(TokenError::NoJti)?.to_owned();
    Ok(LogoutToken { sid, sub, jti, accepted_until: iat + MAX_TOKEN_AGE + 2 * leeway })
}

/// Compare without an early exit, so timing tells nothing about how much of a value matched.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
