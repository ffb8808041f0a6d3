//! An in-process OpenID Provider on 127.0.0.1 for what no real provider will produce: every ID token it
//! issues is exactly what the test asked for (wrong issuer, `alg: none`, HS256 signed with the public
//! key, an unknown key id…). Discovery, JWKS and the token endpoint are real HTTP, so keydesk's relying
//! party talks to it as to any provider. The browser suite uses a real provider (npm oidc-provider).

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use base64::Engine as _;
use http::StatusCode;
use serde_json::{json, Value};
use server::clock::Clock;
use std::sync::{Arc, Mutex};

pub const CLIENT_ID: &str = "keydesk";
pub const CLIENT_SECRET: &str = "fake-idp-client-secret-7d1c";
/// The access token every redemption hands out (keydesk has no use for it, and must not keep it).
pub const ACCESS_TOKEN: &str = "fake-idp-access-token-c4n4ry";

fn b64(b: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

/// A P-256 signing key with its id.
pub struct SigningKey {
    pub kid: String,
    pair: EcdsaKeyPair,
}

impl SigningKey {
    pub fn generate(kid: &str) -> Self {
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &SystemRandom::new()).unwrap();
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref()).unwrap();
        Self { kid: kid.into(), pair }
    }

    pub fn jwk(&self) -> Value {
        let point = self.pair.public_key().as_ref();
        json!({"kty": "EC", "crv": "P-256", "kid": self.kid, "use": "sig", "alg": "ES256", "x": b64(&point[1..33]), "y": b64(&point[33..65])})
    }

    /// A compact JWS of `claims` with this key (ES256), under `header` (its `alg` and `kid` as given).
    pub fn sign(&self, header: &Value, claims: &Value) -> String {
        let input = format!("{}.{}", b64(header.to_string().as_bytes()), b64(claims.to_string().as_bytes()));
        let sig = self.pair.sign(&SystemRandom::new(), input.as_bytes()).unwrap();
        format!("{input}.{}", b64(sig.as_ref()))
    }

    pub fn header(&self) -> Value {
        json!({"alg": "ES256", "kid": self.kid, "typ": "JWT"})
    }
}

/// HS256 over `claims`, keyed with `key` (the public key, for the algorithm-confusion case).
pub fn hs256(key: &[u8], claims: &Value, kid: &str) -> String {
    use hmac::Mac;
    let header = json!({"alg": "HS256", "kid": kid});
    let input = format!("{}.{}", b64(header.to_string().as_bytes()), b64(claims.to_string().as_bytes()));
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(key).unwrap();
    mac.update(input.as_bytes());
    format!("{input}.{}", b64(&mac.finalize().into_bytes()))
}

/// An unsigned token (`alg: none`).
pub fn unsigned(claims: &Value) -> String {
    format!("{}.{}.", b64(json!({"alg": "none"}).to_string().as_bytes()), b64(claims.to_string().as_bytes()))
}

pub struct Inner {
    pub issuer: String,
    /// The `issuer` the discovery document states (normally `issuer`).
    pub stated_issuer: Option<String>,
    pub keys: Vec<SigningKey>,
    /// The JWK Set served, when not the keys above (an oversized one).
    pub jwks_override: Option<String>,
    /// Answer the JWKS URL with a redirect to this.
    pub jwks_redirect: Option<String>,
    pub jwks_fetches: u64,
    /// The ID token the token endpoint hands out next.
    pub next_id_token: Option<String>,
    /// Codes redeemed, and the forms sent to the token endpoint.
    pub token_requests: Vec<Vec<(String, String)>>,
    pub advertise_iss: bool,
    /// The userinfo endpoint's answer (to the access token handed out).
    pub userinfo: Option<Value>,
}

#[derive(Clone)]
pub struct FakeIdp {
    pub issuer: String,
    pub inner: Arc<Mutex<Inner>>,
    /// The file holding the client secret, for `--oidc-client-secret-file`.
    pub secret_file: Arc<tempfile::NamedTempFile>,
}

impl FakeIdp {
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let issuer = format!("http://{}", listener.local_addr().unwrap());
        let inner = Arc::new(Mutex::new(Inner {
            issuer: issuer.clone(),
            stated_issuer: None,
            keys: vec![SigningKey::generate("key-1")],
            jwks_override: None,
            jwks_redirect: None,
            jwks_fetches: 0,
            next_id_token: None,
            token_requests: vec![],
            advertise_iss: true,
            userinfo: None,
        }));
        let app = Router::new()
            .route("/.well-known/openid-configuration", get(discovery))
            .route("/jwks", get(jwks))
            .route("/token", post(token))
            .route("/userinfo", get(userinfo))
            .with_state(inner.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        let secret_file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(secret_file.path(), format!("{CLIENT_SECRET}\n")).unwrap();
        FakeIdp { issuer, inner, secret_file: Arc::new(secret_file) }
    }

    /// keydesk's command-line arguments for this provider (roles: admins, support, staff).
    pub fn args(&self) -> Vec<String> {
        [
            "--oidc-issuer",
            &self.issuer,
            "--oidc-client-id",
            CLIENT_ID,
            "--oidc-client-secret-file",
            &self.secret_file.path().to_string_lossy(),
            "--oidc-role-map",
            "admin=admins,helpdesk=support,employee=staff",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    }

    /// Claims of a well-formed ID token for `sub` at `now`, answering `nonce`.
    pub fn claims(&self, sub: &str, username: &str, groups: &[&str], nonce: &str, now: i64) -> Value {
        json!({
            "iss": self.issuer, "sub": sub, "aud": CLIENT_ID, "exp": now + 300, "iat": now, "auth_time": now,
            "nonce": nonce, "preferred_username": username, "name": format!("{username} (IdP)"), "groups": groups, "sid": format!("sid-{sub}"),
        })
    }

    /// `claims` signed with the provider's current key, as its ID tokens are.
    pub fn sign(&self, claims: &Value) -> String {
        let inner = self.inner.lock().unwrap();
        inner.keys[0].sign(&inner.keys[0].header(), claims)
    }

    /// Sign `claims` with the current key and hand the token out at the next code redemption.
    pub fn issue(&self, claims: &Value) {
        let token = self.sign(claims);
        self.issue_raw(token);
    }

    /// Hand out exactly this token next.
    pub fn issue_raw(&self, token: String) {
        self.inner.lock().unwrap().next_id_token = Some(token);
    }

    pub fn jwks_fetches(&self) -> u64 {
        self.inner.lock().unwrap().jwks_fetches
    }

    pub fn with<R>(&self, f: impl FnOnce(&mut Inner) -> R) -> R {
        f(&mut self.inner.lock().unwrap())
    }
}

type Shared = Arc<Mutex<Inner>>;

async fn discovery(State(s): State<Shared>) -> Response {
    let inner = s.lock().unwrap();
    let base = &inner.issuer;
    axum::Json(json!({
        "issuer": inner.stated_issuer.clone().unwrap_or_else(|| base.clone()),
        "authorization_endpoint": format!("{base}/authorize"),
        "token_endpoint": format!("{base}/token"),
        "jwks_uri": format!("{base}/jwks"),
        "end_session_endpoint": format!("{base}/logout"),
        "userinfo_endpoint": format!("{base}/userinfo"),
        "code_challenge_methods_supported": ["S256"],
        "id_token_signing_alg_values_supported": ["ES256", "RS256"],
        "authorization_response_iss_parameter_supported": inner.advertise_iss,
    }))
    .into_response()
}

async fn jwks(State(s): State<Shared>) -> Response {
    let mut inner = s.lock().unwrap();
    inner.jwks_fetches += 1;
    if let Some(to) = &inner.jwks_redirect {
        return (StatusCode::FOUND, [(http::header::LOCATION, to.clone())]).into_response();
    }
    if let Some(body) = &inner.jwks_override {
        return ([(http::header::CONTENT_TYPE, "application/json")], body.clone()).into_response();
    }
    let keys: Vec<Value> = inner.keys.iter().map(SigningKey::jwk).collect();
    axum::Json(json!({ "keys": keys })).into_response()
}

async fn userinfo(State(s): State<Shared>, headers: http::HeaderMap) -> Response {
    let inner = s.lock().unwrap();
    let bearer = format!("Bearer {ACCESS_TOKEN}");
    match (&inner.userinfo, headers.get(http::header::AUTHORIZATION).and_then(|v| v.to_str().ok())) {
        (Some(info), Some(h)) if h == bearer => axum::Json(info.clone()).into_response(),
        _ => StatusCode::UNAUTHORIZED.into_response(),
    }
}

async fn token(State(s): State<Shared>, headers: http::HeaderMap, body: String) -> Response {
    let mut inner = s.lock().unwrap();
    let form: Vec<(String, String)> = url::form_urlencoded::parse(body.as_bytes()).into_owned().collect();
    inner.token_requests.push(form);
    let expected = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{CLIENT_ID}:{CLIENT_SECRET}")));
    if headers.get(http::header::AUTHORIZATION).and_then(|v| v.to_str().ok()) != Some(expected.as_str()) {
        return (StatusCode::UNAUTHORIZED, axum::Json(json!({"error": "invalid_client"}))).into_response();
    }
    match inner.next_id_token.take() {
        Some(t) => axum::Json(json!({"access_token": ACCESS_TOKEN, "token_type": "Bearer", "id_token": t})).into_response(),
        None => (StatusCode::BAD_REQUEST, axum::Json(json!({"error": "invalid_grant"}))).into_response(),
    }
}

impl FakeIdp {
    /// A back-channel logout token of `claims` merged over a well-formed one (sid, no sub) at `now`.
    pub fn logout_token(
        &self,
        sid: Option<&str>,
        sub: Option<&str>,
        now: i64,
        change: impl FnOnce(&mut serde_json::Map<String, Value>),
    ) -> String {
        let mut c = json!({
            "iss": self.issuer, "aud": CLIENT_ID, "iat": now, "jti": uuid::Uuid::new_v4().to_string(),
            "events": { "http://schemas.openid.net/event/backchannel-logout": {} },
        });
        if let Some(sid) = sid {
            c["sid"] = json!(sid);
        }
        if let Some(sub) = sub {
            c["sub"] = json!(sub);
        }
        let mut map = c.as_object().unwrap().clone();
        change(&mut map);
        let inner = self.inner.lock().unwrap();
        let key = &inner.keys[0];
        key.sign(&json!({"alg": "ES256", "kid": key.kid, "typ": "logout+jwt"}), &Value::Object(map))
    }
}

/// The provider's back-channel logout POST to `router`.
pub async fn post_logout(router: &axum::Router, token: &str) -> crate::Reply {
    let body = format!("logout_token={}", crate::urlencode(token));
    let req = http::Request::post("/auth/oidc/backchannel-logout")
        .header(http::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(axum::body::Body::from(body))
        .unwrap();
    crate::TestApp::send_to(router, req).await
}

/// One sign-in through the provider, step by step, as the browser makes it.
pub struct Flow {
    /// `/auth/oidc/start`'s answer.
    pub start: crate::Reply,
    /// The attempt cookie (`name=value`), from the start.
    pub attempt: String,
    /// The query keydesk sent to the authorization endpoint.
    pub authorize: std::collections::HashMap<String, String>,
}

impl Flow {
    pub fn state(&self) -> &str {
        &self.authorize["state"]
    }
    pub fn nonce(&self) -> &str {
        &self.authorize["nonce"]
    }
}

impl FakeIdp {
    /// `GET /auth/oidc/start` (or `path`, e.g. a step-up) with `cookie`; panics unless it redirects here.
    pub async fn begin(&self, app: &crate::TestApp, path: &str, cookie: Option<&str>) -> Flow {
        let start = app.get(cookie, path).await;
        assert_eq!(start.status, StatusCode::SEE_OTHER, "{}", start.body);
        let location = start.location().unwrap().to_owned();
        assert!(location.starts_with(&format!("{}/authorize?", self.issuer)), "{location}");
        let authorize = url::Url::parse(&location).unwrap().query_pairs().into_owned().collect();
        let attempt = start
            .set_cookie_headers()
            .into_iter()
            .find(|c| c.contains("keydesk-oidc="))
            .map(|c| c.split(';').next().unwrap().to_owned())
            .expect("an attempt cookie");
        Flow { start, attempt, authorize }
    }

    /// The provider's redirect back: `GET /auth/oidc/callback?query` with the attempt cookie (and the
    /// session cookie, which a browser leaves out here: it is `SameSite=Strict`).
    pub async fn callback(&self, app: &crate::TestApp, attempt: &str, query: &[(&str, &str)]) -> crate::Reply {
        let q = query.iter().map(|(k, v)| format!("{k}={}", crate::urlencode(v))).collect::<Vec<_>>().join("&");
        app.get(Some(attempt), &format!("/auth/oidc/callback?{q}")).await
    }

    /// A whole sign-in: start, the token `token(nonce)` handed out, callback with a code, finish. `Ok`
    /// with the session cookie, or the reply that refused.
    pub async fn sign_in_with(&self, app: &crate::TestApp, token: impl FnOnce(&str) -> String) -> Result<String, crate::Reply> {
        let flow = self.begin(app, "/auth/oidc/start", None).await;
        self.issue_raw(token(flow.nonce()));
        let back = self.callback(app, &flow.attempt, &[("code", "code-1"), ("state", flow.state()), ("iss", &self.issuer)]).await;
        if back.status != StatusCode::OK {
            return Err(back);
        }
        self.finish(app, &flow.attempt, None).await
    }

    /// `GET /auth/oidc/finish` with the attempt cookie and, when given, the session cookie.
    pub async fn finish(&self, app: &crate::TestApp, attempt: &str, session: Option<&str>) -> Result<String, crate::Reply> {
        let cookies = match session {
            Some(s) => format!("{attempt}; {s}"),
            None => attempt.to_owned(),
        };
        let done = app.get(Some(&cookies), "/auth/oidc/finish").await;
        match (done.status, done.session_cookie()) {
            (StatusCode::SEE_OTHER, Some(c)) => Ok(c),
            _ => Err(done),
        }
    }

    /// A well-formed sign-in of `sub` as `username` in `groups` at the app's current time.
    pub async fn sign_in(&self, app: &crate::TestApp, sub: &str, username: &str, groups: &[&str]) -> Result<String, crate::Reply> {
        let now = app.clock.now().unix_timestamp();
        self.sign_in_with(app, |nonce| self.sign(&self.claims(sub, username, groups, nonce, now))).await
    }
}
