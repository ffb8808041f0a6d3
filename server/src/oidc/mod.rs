//! keydesk as an OpenID Connect relying party: the authorization code flow with PKCE (S256), `state`
//! and `nonce` per attempt, discovery from the configured issuer (which must match the document's
//! `issuer` exactly), RFC 9207's `iss` response parameter when the provider advertises it, and ID
//! tokens checked as `jwt.rs` describes. The flow's HTTP side is `flow.rs`; who a token names is
//! `identity.rs`. No code, token or client secret is ever logged, kept or put in a URL keydesk makes.

pub mod config;
pub mod fetch;
pub mod flow;
pub mod identity;
pub mod jwt;
pub mod keys;

use base64::Engine as _;
use config::{acceptable_url, OidcConfig};
use fetch::{FetchError, Fetcher};
use jwt::{Expected, IdToken, TokenError};
use keys::{KeyCache, KeyError};
use secrecy::ExposeSecret;
use serde::Deserialize;
use std::sync::Arc;
use tokio::sync::RwLock;

/// Where the flow starts (also the `initiate_login_uri` for a provider's dashboard tile).
pub const START_PATH: &str = "/auth/oidc/start";
/// The one redirect URI registered at the provider.
pub const CALLBACK_PATH: &str = "/auth/oidc/callback";
/// Where the browser lands after the callback, on keydesk's own site (so the session cookie, which is
/// `SameSite=Strict`, comes along; see flow.rs).
pub const FINISH_PATH: &str = "/auth/oidc/finish";
/// A sensitive action's fresh sign-in at the provider.
pub const STEP_UP_PATH: &str = "/auth/oidc/step-up";
/// The provider's back-channel logout (a POST from the provider itself, not a browser).
pub const BACKCHANNEL_LOGOUT_PATH: &str = "/auth/oidc/backchannel-logout";

/// A discovery document larger than this is refused.
const MAX_DISCOVERY_BYTES: usize = 64 * 1024;
/// A token endpoint answer larger than this is refused.
const MAX_TOKEN_BYTES: usize = 64 * 1024;
/// Discovery is read again after this long (seconds); a failed read keeps the last good document.
const DISCOVERY_REFRESH: i64 = 24 * 3600;

/// The parts of the provider's discovery document keydesk uses.
#[derive(Debug, Clone, Deserialize)]
pub struct Metadata {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub jwks_uri: String,
    #[serde(default)]
    pub end_session_endpoint: Option<String>,
    #[serde(default)]
    pub userinfo_endpoint: Option<String>,
    #[serde(default)]
    pub authorization_response_iss_parameter_supported: bool,
    #[serde(default)]
    pub code_challenge_methods_supported: Option<Vec<String>>,
    #[serde(default)]
    pub id_token_signing_alg_values_supported: Vec<String>,
}

/// Why a sign-in through the provider did not happen; each is shown to the person in these words.
#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    #[error("the identity provider cannot be reached ({0})")]
    Unavailable(String),
    #[error("the identity provider's configuration is not acceptable: {0}")]
    Misconfigured(String),
    #[error("the identity provider refused to issue tokens ({0})")]
    TokenEndpoint(String),
    #[error("its userinfo answer is not acceptable ({0})")]
    Userinfo(String),
    #[error("{0}")]
    Token(#[from] TokenError),
}

struct Provider {
    meta: Arc<Metadata>,
    keys: Arc<KeyCache>,
    fetched_at: i64,
}

pub struct Oidc {
    pub cfg: OidcConfig,
    fetcher: Fetcher,
    provider: RwLock<Option<Provider>>,
}

/// The values of one attempt: its id (256 random bits, held only by the browser, in the attempt
/// cookie), `state` and `nonce` (256 random bits each), and the PKCE verifier, derived from the id so
/// that keydesk never stores it: the database holds only the id's hash, from which it cannot be had.
pub struct AttemptSecrets {
    pub id: String,
    pub state: String,
    pub nonce: String,
}

/// 32 random bytes, base64url.
pub fn random_token() -> String {
    use rand::RngCore;
    let mut b = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut b);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

/// Hex SHA-256, for values kept only to be compared.
pub fn digest(s: &str) -> String {
    use sha2::Digest;
    data_encoding::HEXLOWER.encode(&sha2::Sha256::digest(s.as_bytes()))
}

/// The PKCE code verifier of the attempt `id` (43 characters of base64url, as RFC 7636 §4.1 asks).
pub fn code_verifier(id: &str) -> String {
    use sha2::Digest;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(format!("keydesk pkce verifier {id}").as_bytes()))
}

impl AttemptSecrets {
    pub fn new() -> Self {
        Self { id: random_token(), state: random_token(), nonce: random_token() }
    }

    /// The S256 code challenge of the verifier (RFC 7636 §4.2).
    pub fn challenge(&self) -> String {
        use sha2::Digest;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(code_verifier(&self.id).as_bytes()))
    }
}

impl Default for AttemptSecrets {
    fn default() -> Self {
        Self::new()
    }
}

/// A step-up's demands on the provider.
#[derive(Debug, Clone, Copy)]
pub struct FreshSignIn {
    pub max_age_secs: i64,
}

impl Oidc {
    pub fn new(cfg: OidcConfig) -> Result<Self, String> {
        Ok(Self { cfg, fetcher: Fetcher::new(std::time::Duration::from_secs(5))?, provider: RwLock::new(None) })
    }

    /// Read and check the discovery document (also `keydesk check`).
    pub async fn discover(&self) -> Result<Metadata, OidcError> {
        let url = format!("{}/.well-known/openid-configuration", self.cfg.issuer.trim_end_matches('/'));
        let meta: Metadata = self.fetcher.get_json(&url, MAX_DISCOVERY_BYTES).await.map_err(|e| OidcError::Unavailable(e.to_string()))?;
        if meta.issuer != self.cfg.issuer {
            return Err(OidcError::Misconfigured(format!(
                "its discovery document names the issuer {:?}, not {:?} as configured",
                meta.issuer, self.cfg.issuer
            )));
        }
        for (what, url) in [
            ("authorization_endpoint", &meta.authorization_endpoint),
            ("token_endpoint", &meta.token_endpoint),
            ("jwks_uri", &meta.jwks_uri),
        ] {
            if !acceptable_url(url) {
                return Err(OidcError::Misconfigured(format!("{what} is not an https URL")));
            }
        }
        if meta.code_challenge_methods_supported.as_ref().is_some_and(|m| !m.iter().any(|x| x == "S256")) {
            return Err(OidcError::Misconfigured("it does not support PKCE with S256".into()));
        }
        Ok(meta)
    }

    /// The provider's metadata and key cache, discovered on first use and again after a day.
    async fn provider(&self, now: i64) -> Result<(Arc<Metadata>, Arc<KeyCache>), OidcError> {
        self.load(now, false).await
    }

    /// `force`: read the discovery document now, and fail if the provider does not answer (a sign-in
    /// is about to be sent there). Otherwise a cached document younger than a day serves, and a failed
    /// read keeps the last good one.
    async fn load(&self, now: i64, force: bool) -> Result<(Arc<Metadata>, Arc<KeyCache>), OidcError> {
        let young = |p: &&Provider| !force && now - p.fetched_at < DISCOVERY_REFRESH;
        if let Some(p) = self.provider.read().await.as_ref().filter(young) {
            return Ok((p.meta.clone(), p.keys.clone()));
        }
        let mut slot = self.provider.write().await;
        if let Some(p) = slot.as_ref().filter(young) {
            return Ok((p.meta.clone(), p.keys.clone()));
        }
        match self.discover().await {
            Ok(meta) => {
                // The key cache survives a rediscovery that names the same JWKS URL.
                let keys = match slot.as_ref() {
                    Some(p) if p.meta.jwks_uri == meta.jwks_uri => p.keys.clone(),
                    _ => Arc::new(KeyCache::new(meta.jwks_uri.clone())),
                };
                let meta = Arc::new(meta);
                *slot = Some(Provider { meta: meta.clone(), keys: keys.clone(), fetched_at: now });
                Ok((meta, keys))
            }
            Err(e) => match slot.as_ref() {
                Some(p) if !force => {
                    tracing::warn!(error = %e, "identity provider discovery failed; keeping the last good document");
                    Ok((p.meta.clone(), p.keys.clone()))
                }
                _ => Err(e),
            },
        }
    }

    /// `keydesk check`: discovery and the key set, described in one line.
    pub async fn check(&self, now: i64) -> Result<String, OidcError> {
        let (meta, keys) = self.provider(now).await?;
        let usable = keys
            .usable(&self.fetcher, &self.cfg.algorithms, now)
            .await
            .map_err(|e| OidcError::Unavailable(format!("its signing keys: {e}")))?;
        if usable == 0 {
            return Err(OidcError::Misconfigured(format!(
                "none of its signing keys fits the accepted algorithms ({})",
                self.cfg.algorithms.iter().map(|a| a.name()).collect::<Vec<_>>().join(", ")
            )));
        }
        let iss = if meta.authorization_response_iss_parameter_supported { "sends iss (RFC 9207)" } else { "does not send iss" };
        Ok(format!(
            "{} answers discovery; {usable} signing key(s) fit {}; {iss}; redirect URI {}",
            meta.issuer,
            self.cfg.algorithms.iter().map(|a| a.name()).collect::<Vec<_>>().join("/"),
            self.cfg.redirect_uri
        ))
    }

    /// How many times the signing keys were fetched (tests: one refetch for an unknown key id).
    pub async fn key_fetches(&self) -> u64 {
        self.provider.read().await.as_ref().map(|p| p.keys.fetches()).unwrap_or(0)
    }

    /// Does the provider put `iss` in its authorization responses (RFC 9207)?
    pub async fn sends_iss(&self, now: i64) -> Result<bool, OidcError> {
        Ok(self.provider(now).await?.0.authorization_response_iss_parameter_supported)
    }

    /// The provider's logout endpoint, if it has one.
    pub async fn end_session_endpoint(&self, now: i64) -> Option<String> {
        self.provider(now).await.ok().and_then(|(m, _)| m.end_session_endpoint.clone())
    }

    /// Where to send the browser for this attempt. The provider is asked for its discovery document
    /// first: when it does not answer, the person gets keydesk's page saying so instead of a browser
    /// error at the provider's address (a sign-in is started a few times a day per person).
    pub async fn authorize_url(&self, s: &AttemptSecrets, fresh: Option<FreshSignIn>, now: i64) -> Result<String, OidcError> {
        let (meta, _) = self.load(now, true).await?;
        let mut url =
            url::Url::parse(&meta.authorization_endpoint).map_err(|_| OidcError::Misconfigured("authorization_endpoint".into()))?;
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("response_type", "code")
                .append_pair("client_id", &self.cfg.client_id)
                .append_pair("redirect_uri", &self.cfg.redirect_uri)
                .append_pair("scope", &self.cfg.scopes.join(" "))
                .append_pair("state", &s.state)
                .append_pair("nonce", &s.nonce)
                .append_pair("code_challenge", &s.challenge())
                .append_pair("code_challenge_method", "S256");
            if let Some(f) = fresh {
                q.append_pair("prompt", "login").append_pair("max_age", &f.max_age_secs.to_string());
                if let Some(acr) = &self.cfg.step_up_acr {
                    q.append_pair("acr_values", acr);
                }
            }
        }
        Ok(url.into())
    }

    /// Redeem `code` at the token endpoint and verify the ID token it gives. With
    /// `--oidc-groups-source userinfo`, the groups claim is then read from the userinfo endpoint with the
    /// access token (held in memory for that one call, never kept), after checking its `sub` is the ID
    /// token's (Core §5.3.2).
    pub async fn redeem(&self, code: &str, verifier: &str, want: &Expected<'_>) -> Result<IdToken, OidcError> {
        #[derive(Deserialize)]
        struct TokenAnswer {
            #[serde(default)]
            id_token: Option<String>,
            #[serde(default)]
            access_token: Option<secrecy::SecretString>,
            #[serde(default)]
            error: Option<String>,
        }
        let (meta, keys) = self.provider(want.now).await?;
        let form = [
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", self.cfg.redirect_uri.as_str()),
            ("code_verifier", verifier),
            ("client_id", self.cfg.client_id.as_str()),
        ];
        let basic = (self.cfg.client_id.as_str(), self.cfg.client_secret.expose_secret());
        let (status, answer): (_, TokenAnswer) =
            self.fetcher.post_form(&meta.token_endpoint, basic, &form, MAX_TOKEN_BYTES).await.map_err(|e| match e {
                FetchError::Status(s) => OidcError::TokenEndpoint(format!("HTTP {s}")),
                e => OidcError::Unavailable(e.to_string()),
            })?;
        if !status.is_success() || answer.error.is_some() {
            // Only the error code (RFC 6749 §5.2), a fixed vocabulary, is repeated.
            let code = answer.error.filter(|e| e.len() <= 40 && e.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
            return Err(OidcError::TokenEndpoint(code.unwrap_or_else(|| format!("HTTP {}", status.as_u16()))));
        }
        let token = answer.id_token.ok_or(OidcError::TokenEndpoint("no id_token in the answer".into()))?;
        let mut id = self.verify(&token, &keys, want).await?;
        if self.cfg.groups_source == config::GroupsSource::Userinfo {
            let access = answer.access_token.ok_or(OidcError::TokenEndpoint("no access_token for the userinfo endpoint".into()))?;
            let endpoint = meta.userinfo_endpoint.as_deref().filter(|u| acceptable_url(u));
            let endpoint = endpoint.ok_or(OidcError::Misconfigured("it has no https userinfo endpoint".into()))?;
            let info: serde_json::Map<String, serde_json::Value> = self
                .fetcher
                .get_json_bearer(endpoint, access.expose_secret(), MAX_TOKEN_BYTES)
                .await
                .map_err(|e| OidcError::Unavailable(format!("its userinfo endpoint: {e}")))?;
            if info.get("sub").and_then(serde_json::Value::as_str) != Some(id.sub.as_str()) {
                return Err(OidcError::Userinfo("it names another subject than the ID token".into()));
            }
            // Only the groups come from userinfo; everything else stays as the signed ID token says.
            match info.get(&self.cfg.groups_claim) {
                Some(groups) => id.claims.insert(self.cfg.groups_claim.clone(), groups.clone()),
                None => id.claims.remove(&self.cfg.groups_claim),
            };
        }
        Ok(id)
    }

    async fn verify(&self, token: &str, keys: &KeyCache, want: &Expected<'_>) -> Result<IdToken, OidcError> {
        let (_, claims) = self.signed_claims(token, keys, want.now).await?;
        Ok(jwt::check_claims(claims, want)?)
    }

    /// A token's header type and claims, once its signature checked out with one of the issuer's keys.
    async fn signed_claims(
        &self,
        token: &str,
        keys: &KeyCache,
        now: i64,
    ) -> Result<(Option<String>, serde_json::Map<String, serde_json::Value>), OidcError> {
        let jws = jwt::split(token, &self.cfg.algorithms)?;
        let key = match keys.key_for(&self.fetcher, jws.alg, jws.kid.as_deref(), now).await {
            Ok(k) => k,
            Err(KeyError::NoKey) => return Err(TokenError::UnknownKey(jws.kid.clone()).into()),
            Err(KeyError::Unavailable(e)) => return Err(OidcError::Unavailable(format!("its signing keys: {e}"))),
        };
        let claims = jws.verify(&key)?;
        Ok((jws.typ.clone(), claims))
    }

    /// Verify a back-channel logout token.
    pub async fn verify_logout_token(&self, token: &str, now: i64) -> Result<jwt::LogoutToken, OidcError> {
        let (_, keys) = self.provider(now).await?;
        let (typ, claims) = self.signed_claims(token, &keys, now).await?;
        Ok(jwt::check_logout_claims(typ.as_deref(), &claims, &self.cfg.issuer, &self.cfg.client_id, now, self.cfg.leeway)?)
    }

    /// The issuer's origin (`https://corp.okta.com`), where keydesk's sign-out form may be redirected.
    pub fn origin(&self) -> Option<String> {
        let url = url::Url::parse(&self.cfg.issuer).ok()?;
        let origin = url.origin();
        origin.is_tuple().then(|| origin.ascii_serialization())
    }

    /// Where to send the browser after keydesk's own sign-out, to end the session at the provider too
    /// (RP-Initiated Logout 1.0 with `client_id`: no ID token is kept, nor put in a URL, so the provider
    /// may ask the person to confirm). `None` when the provider has no logout endpoint or cannot be read.
    /// The endpoint must be on the issuer's origin, the one keydesk's pages let forms continue to
    /// ([`Oidc::origin`]): signing out without JavaScript is a form post redirected there.
    pub async fn logout_url(&self, post_logout: &str, now: i64) -> Option<String> {
        let endpoint = self.end_session_endpoint(now).await.filter(|e| acceptable_url(e))?;
        let mut url = url::Url::parse(&endpoint).ok()?;
        if Some(url.origin().ascii_serialization()) != self.origin() {
            return None;
        }
        url.query_pairs_mut().append_pair("client_id", &self.cfg.client_id).append_pair("post_logout_redirect_uri", post_logout);
        Some(url.into())
    }
}
