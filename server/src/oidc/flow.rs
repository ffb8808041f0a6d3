//! The sign-in flow's HTTP side.
//!
//! 1. `GET /auth/oidc/start` makes an attempt — the hash of `state` and the `nonce`, kept server-side
//!    (`oidc_attempts`, by the hash of a random attempt id; the PKCE verifier is derived from the attempt
//!    id and never stored) — puts the attempt id in a cookie of its own and sends the browser there.
//! 2. `GET /auth/oidc/callback` (the one redirect URI) needs that cookie: it binds the answer to the
//!    browser that asked. The `state` must be the attempt's, the attempt is claimed once (a replayed
//!    callback finds nothing), the code is redeemed with the verifier, the ID token checked and the
//!    person mapped. The outcome (no token) is kept with the attempt.
//! 3. `GET /auth/oidc/finish`, reached from a page keydesk serves, applies it to the session.
//!
//! Why three steps: keydesk's session cookie is `SameSite=Strict`, so the browser leaves it out of the
//! callback, a navigation that another site (the provider) started. Relaxing it to `Lax` would send it on
//! every cross-site navigation to keydesk. Instead the attempt cookie alone is `Lax` (it only ever
//! reaches `/auth/oidc/`, lives ten minutes and names an attempt, not a person), and the callback
//! answers with a page that moves on to `/finish` itself: that navigation starts on keydesk's own page,
//! so the session cookie comes along, and a step-up can check it is the same person's session.

use super::identity::Person;
use super::jwt::{constant_time_eq, Expected};
use super::{digest, AttemptSecrets, FreshSignIn, OidcError, FINISH_PATH};
use crate::audit::Outcome;
use crate::auth::{SessionAuth, SESSION_KEY};
use crate::db::oidc::{AttemptRow, Purpose};
use crate::http::{notice_page, AppState};
use crate::portal::{client_details, Portal};
use app::domain::PortalUserName;
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use http::request::Parts;
use http::{header, HeaderValue, StatusCode};
use std::collections::HashMap;

/// An attempt not completed within this long is void (seconds).
pub const ATTEMPT_TTL: i64 = 600;

/// What a callback established, kept with its attempt (never a token) until `/finish`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Verified {
    pub issuer: String,
    pub subject: String,
    pub sid: Option<String>,
    pub person: Person,
}

fn cookie_name(secure: bool) -> &'static str {
    if secure {
        "__Host-keydesk-oidc"
    } else {
        "keydesk-oidc"
    }
}

fn attempt_cookie(secure: bool, value: &str, max_age: i64) -> HeaderValue {
    let s = format!(
        "{}={value}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Lax{}",
        cookie_name(secure),
        if secure { "; Secure" } else { "" }
    );
    HeaderValue::from_str(&s).unwrap_or_else(|_| HeaderValue::from_static("keydesk-oidc=; Max-Age=0"))
}

fn attempt_id(parts: &Parts, secure: bool) -> Option<String> {
    let name = cookie_name(secure);
    parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
        .filter(|v| v.len() == 43 && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
}

/// A local path to return to, or `/`: only `/…`, never `//…` or `/\…` (another host), no control
/// characters, bounded.
pub fn local_path(p: Option<&str>) -> String {
    match p {
        Some(p)
            if p.starts_with('/')
                && !p.starts_with("//")
                && !p.starts_with("/\\")
                && p.len() <= 512
                && !p.chars().any(|c| c.is_control() || c == '\\') =>
        {
            p.to_owned()
        }
        _ => "/".to_owned(),
    }
}

fn query(parts: &Parts) -> HashMap<String, String> {
    url::form_urlencoded::parse(parts.uri.query().unwrap_or("").as_bytes()).into_owned().collect()
}

fn page(status: StatusCode, heading: &str, message: &str) -> Response {
    notice_page(status, heading, message, (app::paths::SIGN_IN_PATH, "Back to sign-in"), false)
}

/// The provider cannot be reached: say so, and where administrators still get in.
fn provider_down(portal: &Portal, e: &OidcError) -> Response {
    tracing::warn!(error = %e, "identity provider unavailable");
    let breakglass = portal.config.local_sign_in != super::config::LocalSignIn::Disabled;
    let also = if breakglass { " Administrators can still sign in with keydesk's own password (break-glass)." } else { "" };
    // The details (addresses, the provider's own words) are for the log, not the person.
    let (heading, what) = match e {
        OidcError::Misconfigured(_) => (
            "Sign-in through your identity provider is not working",
            "Your identity provider's configuration does not match keydesk's. Tell your administrator: the details are in keydesk's log.",
        ),
        _ => (
            "Your identity provider cannot be reached",
            "keydesk could not reach your identity provider just now. Try again in a few minutes.",
        ),
    };
    page(StatusCode::SERVICE_UNAVAILABLE, heading, &format!("{what}{also}"))
}

/// `GET /auth/oidc/start[?return_to=/path]`, also the provider's `initiate_login_uri` (`iss`,
/// `target_link_uri`): always a fresh attempt; a code is never accepted here.
pub async fn start(State(state): State<AppState>, req: Request) -> Response {
    let (parts, _) = req.into_parts();
    let portal = &state.portal;
    let Some(oidc) = portal.oidc.as_ref() else { return StatusCode::NOT_FOUND.into_response() };
    let q = query(&parts);
    if q.get("iss").is_some_and(|iss| *iss != oidc.cfg.issuer) {
        return page(StatusCode::BAD_REQUEST, "Sign-in not started", "The sign-in link names another identity provider.");
    }
    let target = q.get("target_link_uri").and_then(|t| t.strip_prefix(portal.config.public_origin.as_str()));
    let return_to = local_path(q.get("return_to").map(String::as_str).or(target));
    begin(portal, Purpose::SignIn, return_to, None, None).await
}

/// Make an attempt and send the browser to the provider.
pub(crate) async fn begin(
    portal: &Portal,
    purpose: Purpose,
    return_to: String,
    started_by: Option<String>,
    fresh: Option<FreshSignIn>,
) -> Response {
    let Some(oidc) = portal.oidc.as_ref() else { return StatusCode::NOT_FOUND.into_response() };
    let now = portal.clock.now().unix_timestamp();
    let secrets = AttemptSecrets::new();
    let url = match oidc.authorize_url(&secrets, fresh, now).await {
        Ok(u) => u,
        Err(e) => return provider_down(portal, &e),
    };
    let id = secrets.id.clone();
    let row = AttemptRow {
        id_hash: digest(&id),
        state_hash: digest(&secrets.state),
        nonce: secrets.nonce,
        purpose,
        return_to,
        started_by,
        started_at: now,
        result: None,
    };
    if let Err(e) = portal.db.insert_oidc_attempt(&row).await {
        tracing::error!(error = %e, "could not record a sign-in attempt");
        return crate::http::unavailable_page("keydesk cannot record the sign-in attempt right now.");
    }
    let secure = portal.config.secure_cookie;
    let mut res = (StatusCode::SEE_OTHER, [(header::CACHE_CONTROL, "no-store")]).into_response();
    if let Ok(loc) = HeaderValue::from_str(&url) {
        res.headers_mut().insert(header::LOCATION, loc);
    }
    res.headers_mut().append(header::SET_COOKIE, attempt_cookie(secure, &id, ATTEMPT_TTL));
    res
}

/// `GET /auth/oidc/callback`.
pub async fn callback(State(state): State<AppState>, req: Request) -> Response {
    let (parts, _) = req.into_parts();
    let portal = &state.portal;
    let Some(oidc) = portal.oidc.as_ref() else { return StatusCode::NOT_FOUND.into_response() };
    let now = portal.clock.now().unix_timestamp();
    let q = query(&parts);
    let stale = || {
        page(
            StatusCode::BAD_REQUEST,
            "This sign-in cannot be completed",
            "It was not started in this browser, it was already used, or it took longer than ten minutes. Nothing was signed in; start again.",
        )
    };
    let Some(id) = attempt_id(&parts, portal.config.secure_cookie) else { return stale() };
    let id_hash = digest(&id);
    let attempt = match portal.db.pending_oidc_attempt(&id_hash, now - ATTEMPT_TTL).await {
        Ok(Some(a)) => a,
        Ok(None) => return stale(),
        Err(e) => {
            tracing::error!(error = %e, "could not read a sign-in attempt");
            return crate::http::unavailable_page("keydesk cannot read the sign-in attempt right now.");
        }
    };
    let state_ok = q.get("state").is_some_and(|s| constant_time_eq(digest(s).as_bytes(), attempt.state_hash.as_bytes()));
    if !state_ok {
        tracing::warn!("sign-in callback with a state that is not the attempt's; refused");
        return page(
            StatusCode::BAD_REQUEST,
            "This sign-in cannot be completed",
            "The answer does not belong to the sign-in this browser started. Nothing was signed in; start again.",
        );
    }
    // Claimed once: a second callback for the same attempt (a replay) finds nothing to claim.
    match portal.db.claim_oidc_attempt(&id_hash).await {
        Ok(true) => {}
        Ok(false) => return stale(),
        Err(e) => {
            tracing::error!(error = %e, "could not claim a sign-in attempt");
            return crate::http::unavailable_page("keydesk cannot complete the sign-in right now.");
        }
    }
    let refuse = |status: StatusCode, why: String| async move {
        portal.audit_sign_in(&parts, attempt.started_by.as_deref(), attempt.purpose.audit_action(), Outcome::Failure).await;
        tracing::warn!(reason = %why, "sign-in through the identity provider refused");
        page(status, "You are not signed in", &why)
    };
    if let Some(err) = q.get("error") {
        let code: String = err.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '_').take(40).collect();
        return refuse(StatusCode::FORBIDDEN, format!("Your identity provider did not sign you in ({code}).")).await;
    }
    // RFC 9207: an `iss` that is not the issuer is a mix-up; when the provider advertises it, it is required.
    let sends_iss = match oidc.sends_iss(now).await {
        Ok(b) => b,
        Err(e) => return provider_down(portal, &e),
    };
    match q.get("iss") {
        Some(iss) if *iss != oidc.cfg.issuer => {
            return refuse(StatusCode::BAD_REQUEST, "The answer names another identity provider (iss).".into()).await;
        }
        None if sends_iss => return refuse(StatusCode::BAD_REQUEST, "The answer does not name its identity provider (iss).".into()).await,
        _ => {}
    }
    let Some(code) = q.get("code").filter(|c| !c.is_empty() && c.len() <= 2048) else {
        return refuse(StatusCode::BAD_REQUEST, "The answer carries no authorization code.".into()).await;
    };
    let fresh = attempt.purpose == Purpose::StepUp;
    let want = Expected {
        issuer: &oidc.cfg.issuer,
        client_id: &oidc.cfg.client_id,
        nonce: &attempt.nonce,
        now,
        leeway: oidc.cfg.leeway,
        max_age: fresh.then(|| portal.reauth_window_secs()),
        authenticated_after: fresh.then_some(attempt.started_at),
    };
    let token = match oidc.redeem(code, &super::code_verifier(&id), &want).await {
        Ok(t) => t,
        Err(e @ OidcError::Unavailable(_)) => return provider_down(portal, &e),
        Err(e) => {
            return refuse(StatusCode::FORBIDDEN, format!("keydesk could not accept the answer of your identity provider: {e}.")).await
        }
    };
    let person = match super::identity::person(&oidc.cfg, &token.claims) {
        Ok(p) => p,
        Err(r) => return refuse(StatusCode::FORBIDDEN, format!("keydesk refused the sign-in: {r}.")).await,
    };
    let outcome = Verified { issuer: oidc.cfg.issuer.clone(), subject: token.sub, sid: token.sid, person };
    let json = serde_json::to_string(&outcome).unwrap_or_default();
    if let Err(e) = portal.db.complete_oidc_attempt(&id_hash, &json).await {
        tracing::error!(error = %e, "could not record a sign-in outcome");
        return crate::http::unavailable_page("keydesk cannot complete the sign-in right now.");
    }
    notice_page(
        StatusCode::OK,
        "Signing you in…",
        "Your identity provider signed you in; keydesk is opening your page.",
        (FINISH_PATH, "Continue"),
        true,
    )
}

/// `GET /auth/oidc/finish`: apply the callback's outcome to this browser's session.
pub async fn finish(State(state): State<AppState>, req: Request) -> Response {
    let (parts, _) = req.into_parts();
    let portal = &state.portal;
    if portal.oidc.is_none() {
        return StatusCode::NOT_FOUND.into_response();
    }
    let now = portal.clock.now();
    let secure = portal.config.secure_cookie;
    let stale = || {
        page(StatusCode::BAD_REQUEST, "This sign-in cannot be completed", "There is no completed sign-in for this browser. Start again.")
    };
    let Some(id) = attempt_id(&parts, secure) else { return stale() };
    let taken = portal.db.take_finished_oidc_attempt(&digest(&id), now.unix_timestamp() - 2 * ATTEMPT_TTL).await;
    let (attempt, outcome) = match taken {
        Ok(Some(a)) => match a.result.as_deref().and_then(|r| serde_json::from_str::<Verified>(r).ok()) {
            Some(o) => (a, o),
            None => return stale(),
        },
        Ok(None) => return stale(),
        Err(e) => {
            tracing::error!(error = %e, "could not read a sign-in outcome");
            return crate::http::unavailable_page("keydesk cannot complete the sign-in right now.");
        }
    };
    let mut res = match attempt.purpose {
        Purpose::SignIn => sign_in(portal, &parts, &attempt, outcome).await,
        Purpose::StepUp => step_up(portal, &parts, &attempt, outcome).await,
    };
    res.headers_mut().append(header::SET_COOKIE, attempt_cookie(secure, "", 0));
    res
}

fn see_other(to: &str) -> Response {
    let mut res = (StatusCode::SEE_OTHER, [(header::CACHE_CONTROL, "no-store")]).into_response();
    if let Ok(v) = HeaderValue::from_str(&local_path(Some(to))) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    res
}

async fn sign_in(portal: &Portal, parts: &Parts, attempt: &AttemptRow, o: Verified) -> Response {
    let now = portal.clock.now();
    let account = match portal.idp_account(&o.issuer, &o.subject, &o.person, now).await {
        Ok(a) => a,
        Err(why) => {
            portal
                .audit_sign_in(
                    parts,
                    PortalUserName::parse(&o.person.iam_user).ok().as_ref().map(|u| u.as_str()),
                    "portal.sign_in",
                    Outcome::Failure,
                )
                .await;
            tracing::warn!(reason = %why, "sign-in through the identity provider refused");
            return page(StatusCode::FORBIDDEN, "You are not signed in", &why.to_string());
        }
    };
    let Some(session) = parts.extensions.get::<tower_sessions::Session>() else {
        return crate::http::unavailable_page("keydesk cannot start a session right now.");
    };
    let link = crate::auth::IdpLink { issuer: o.issuer, subject: o.subject, sid: o.sid };
    let mut auth = SessionAuth::fresh(account.user.to_string(), now.unix_timestamp(), client_details(parts), Some(link));
    auth.idp_groups = o.person.groups;
    if !store_session(session, auth).await {
        return crate::http::unavailable_page("keydesk cannot start a session right now.");
    }
    let _ = portal.db.touch_sign_in(&account.user, now).await;
    portal.audit_sign_in(parts, Some(account.user.as_str()), "portal.sign_in", Outcome::Success).await;
    tracing::info!(user = %account.user, role = account.role.as_str(), "signed in through the identity provider");
    see_other(&attempt.return_to)
}

/// `GET /auth/oidc/step-up?return_to=/path`: a signed-in person confirms who they are with a fresh
/// sign-in at the provider (`prompt=login`, `max_age`), then lands back on `return_to`.
pub async fn begin_step_up(State(state): State<AppState>, req: Request) -> Response {
    let (parts, _) = req.into_parts();
    let portal = &state.portal;
    if portal.oidc.is_none() {
        return StatusCode::NOT_FOUND.into_response();
    }
    let return_to = local_path(query(&parts).get("return_to").map(String::as_str));
    let Some(auth) = session_auth(&parts).await else {
        return see_other(app::paths::SIGN_IN_PATH);
    };
    if auth.idp.is_none() {
        return page(
            StatusCode::BAD_REQUEST,
            "Confirm with your keydesk password",
            "You signed in with a keydesk password, so keydesk asks for that password, not your identity provider.",
        );
    }
    let fresh = FreshSignIn { max_age_secs: portal.reauth_window_secs() };
    begin(portal, Purpose::StepUp, return_to, Some(auth.user), Some(fresh)).await
}

/// The session's sign-in record, if the request carries a live session.
async fn session_auth(parts: &Parts) -> Option<SessionAuth> {
    parts.extensions.get::<app::ssr::Principal>()?;
    let session = parts.extensions.get::<tower_sessions::Session>()?;
    session.get::<SessionAuth>(SESSION_KEY).await.ok().flatten()
}

/// A step-up came back: the same person (issuer and subject of the session) confirms, and the session
/// gets a new id and a fresh `authenticated_at`; another person ends the session.
async fn step_up(portal: &Portal, parts: &Parts, attempt: &AttemptRow, o: Verified) -> Response {
    let Some(session) = parts.extensions.get::<tower_sessions::Session>() else {
        return crate::http::unavailable_page("keydesk cannot read your session right now.");
    };
    let Some(auth) = session_auth(parts).await.filter(|a| Some(&a.user) == attempt.started_by.as_ref()) else {
        // The session this step-up started in is gone (signed out, timed out, or ended by the provider's
        // back-channel logout when another person signed in there) or is someone else's.
        return page(
            StatusCode::FORBIDDEN,
            "Your keydesk session has ended",
            "The session this confirmation was started in has ended (signed out, timed out, or ended by your identity provider). Sign in again.",
        );
    };
    let Some(link) = auth.idp.clone().filter(|l| l.issuer == o.issuer && l.subject == o.subject) else {
        let _ = session.flush().await;
        portal.audit_sign_in(parts, Some(&auth.user), "portal.reauth", Outcome::Failure).await;
        tracing::warn!(user = %auth.user, "step-up at the identity provider came back as another person; session ended");
        return page(
            StatusCode::FORBIDDEN,
            "Your keydesk session has ended",
            "You confirmed at your identity provider as another person than the one signed in here. For safety, keydesk ended this session: sign in again.",
        );
    };
    let now = portal.clock.now().unix_timestamp();
    let link = crate::auth::IdpLink { sid: o.sid.or(link.sid.clone()), ..link };
    // The groups as the provider names them now: a group taken away there closes its work roles at the
    // step-up that precedes any issuance.
    let renewed = SessionAuth { authenticated_at: now, last_seen: now, idp: Some(link), idp_groups: o.person.groups, ..auth.clone() };
    if !store_session(session, renewed).await {
        return crate::http::unavailable_page("keydesk cannot update your session right now.");
    }
    portal.audit_sign_in(parts, Some(&auth.user), "portal.reauth", Outcome::Success).await;
    see_other(&attempt.return_to)
}

/// `POST /auth/oidc/backchannel-logout` (Back-Channel Logout 1.0): the provider says a session of its
/// ended. Every keydesk session of that provider session (or, with only `sub`, of that person) ends, on
/// every instance (sessions live in the shared database). A token is acted on once.
pub async fn backchannel_logout(State(state): State<AppState>, req: Request) -> Response {
    let portal = &state.portal;
    let Some(oidc) = portal.oidc.as_ref() else { return StatusCode::NOT_FOUND.into_response() };
    let (parts, body) = req.into_parts();
    let refuse = |why: String| {
        tracing::warn!(reason = %why, "back-channel logout refused");
        let body = serde_json::json!({ "error": "invalid_request", "error_description": why }).to_string();
        (StatusCode::BAD_REQUEST, [(header::CONTENT_TYPE, "application/json"), (header::CACHE_CONTROL, "no-store")], body).into_response()
    };
    let Ok(bytes) = axum::body::to_bytes(body, 64 * 1024).await else { return refuse("the request body is too large".into()) };
    let form: HashMap<String, String> = url::form_urlencoded::parse(&bytes).into_owned().collect();
    let Some(token) = form.get("logout_token") else { return refuse("no logout_token".into()) };
    let now = portal.clock.now().unix_timestamp();
    let logout = match oidc.verify_logout_token(token, now).await {
        Ok(l) => l,
        Err(e @ OidcError::Unavailable(_)) => {
            tracing::warn!(error = %e, "back-channel logout: the provider's keys cannot be read");
            return (StatusCode::SERVICE_UNAVAILABLE, [(header::CACHE_CONTROL, "no-store")]).into_response();
        }
        Err(e) => return refuse(e.to_string()),
    };
    match portal.db.remember_logout_token(&digest(&format!("{}\n{}", oidc.cfg.issuer, logout.jti)), logout.accepted_until).await {
        Ok(true) => {}
        Ok(false) => return refuse("this logout token was already used".into()),
        Err(e) => {
            tracing::error!(error = %e, "back-channel logout: the replay cache cannot be written");
            return (StatusCode::SERVICE_UNAVAILABLE, [(header::CACHE_CONTROL, "no-store")]).into_response();
        }
    }
    let store = crate::auth::session_store::DbSessionStore::new(portal.db.clone());
    let ended = match (&logout.sid, &logout.sub) {
        (Some(sid), _) => {
            store.end_idp_sessions(&crate::auth::session_store::idp_session_key(&oidc.cfg.issuer, sid)).await.map_err(|e| e.to_string())
        }
        (None, Some(sub)) => match portal.db.find_idp_account(&oidc.cfg.issuer, sub).await {
            Ok(Some(a)) => store.end_all_sessions(a.user.as_str()).await.map_err(|e| e.to_string()),
            Ok(None) => Ok(0),
            Err(e) => Err(e.to_string()),
        },
        (None, None) => Ok(0),
    };
    match ended {
        Ok(n) => {
            tracing::info!(sessions = n, "back-channel logout from the identity provider");
            portal.audit_sign_in(&parts, None, "portal.idp_logout", Outcome::Success).await;
            (StatusCode::OK, [(header::CACHE_CONTROL, "no-store")]).into_response()
        }
        Err(e) => {
            tracing::error!(error = %e, "back-channel logout: sessions could not be ended");
            (StatusCode::SERVICE_UNAVAILABLE, [(header::CACHE_CONTROL, "no-store")]).into_response()
        }
    }
}

/// Write `auth` into the session under a new id (a new id at every sign-in and step-up defeats session
/// fixation); `false`, logged, when the store cannot be written.
async fn store_session(session: &tower_sessions::Session, auth: SessionAuth) -> bool {
    let saved = async {
        session.cycle_id().await?;
        session.insert(SESSION_KEY, auth).await?;
        session.save().await
    };
    match saved.await {
        Ok(()) => true,
        Err(e) => {
            tracing::error!(error = %e, "session write failed");
            false
        }
    }
}

/// Why an account cannot be had for a person the provider signed in.
#[derive(Debug, thiserror::Error)]
pub enum AccountRefusal {
    #[error("a keydesk account named {0} already exists and belongs to someone else; an administrator must resolve this")]
    NameTaken(String),
    #[error("your keydesk account is disabled")]
    Disabled,
    #[error("keydesk cannot read its accounts right now")]
    Unavailable,
}

impl Portal {
    /// The account of (issuer, subject): created at the first sign-in, its role, name and IAM user
    /// updated from the provider at every sign-in. Never linked to an existing account by name.
    pub(crate) async fn idp_account(
        &self,
        issuer: &str,
        subject: &str,
        person: &Person,
        now: time::OffsetDateTime,
    ) -> Result<crate::db::accounts::AccountRow, AccountRefusal> {
        let unavailable = |e: crate::db::DbError| {
            tracing::error!(error = %e, "account lookup failed");
            AccountRefusal::Unavailable
        };
        let iam_user = app::domain::IamUserName::parse(&person.iam_user).map_err(|_| AccountRefusal::Unavailable)?;
        if let Some(mut account) = self.db.find_idp_account(issuer, subject).await.map_err(unavailable)? {
            if account.disabled {
                return Err(AccountRefusal::Disabled);
            }
            if account.role != person.role || account.display_name != person.display_name || account.iam_user != iam_user {
                if account.role != person.role {
                    tracing::info!(user = %account.user, from = account.role.as_str(), to = person.role.as_str(), "role changed at the identity provider");
                }
                self.db.update_idp_account(&account.user, person.role, &person.display_name, &iam_user, now).await.map_err(unavailable)?;
                account.role = person.role;
                account.display_name = person.display_name.clone();
                account.iam_user = iam_user;
            }
            return Ok(account);
        }
        let user = PortalUserName::parse(&person.iam_user).map_err(|_| AccountRefusal::NameTaken(person.iam_user.clone()))?;
        let row = crate::db::accounts::AccountRow {
            user: user.clone(),
            display_name: person.display_name.clone(),
            password_hash: crate::db::oidc::NO_LOCAL_PASSWORD.into(),
            role: person.role,
            iam_user,
            disabled: false,
            created_at: now,
            last_sign_in_at: None,
        };
        if !self.db.insert_idp_account(&row, issuer, subject, now).await.map_err(unavailable)? {
            return Err(AccountRefusal::NameTaken(user.to_string()));
        }
        tracing::info!(user = %user, role = person.role.as_str(), "account created at its first sign-in through the identity provider");
        Ok(row)
    }
}
