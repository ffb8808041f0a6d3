//! Portal authentication: password hashing, the session store, and the middleware that turns a session
//! cookie into a [`Principal`]. Idle and absolute timeouts are enforced here with the injected clock
//! (tower-sessions' own expiry only counts writes and has no absolute limit).

pub mod admission;
pub mod password;
pub mod session_store;

use crate::portal::Portal;
use app::domain::{PortalUserName, Viewer};
use app::ssr::Principal;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use time::{Duration, OffsetDateTime};
use tower_sessions::Session;

/// The only key keydesk stores in a session. No secret ever goes here.
pub const SESSION_KEY: &str = "auth";

/// What a session remembers about its sign-in (Unix seconds).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SessionAuth {
    pub user: String,
    /// First sign-in of this session: the absolute timeout counts from here.
    pub signed_in_at: i64,
    /// Last time the password was verified (sign-in or step-up re-authentication).
    pub authenticated_at: i64,
    /// Last request seen: the idle timeout counts from here.
    pub last_seen: i64,
    /// Where and with what the session signed in (client IP as seen through the trusted proxy; the
    /// browser's User-Agent, shortened), for "My activity".
    #[serde(default)]
    pub ip: Option<String>,
    #[serde(default)]
    pub agent: Option<String>,
    /// A random mark of this sign-in, kept across step-up's new session ids: a change made in this
    /// session is recorded as read here, and unread in the owner's other sessions (notices.rs).
    #[serde(default)]
    pub mark: String,
    /// Set when the identity provider signed this session in: who it says the person is. Never a token.
    #[serde(default)]
    pub idp: Option<IdpLink>,
    /// Set when the company directory (LDAP) signed this session in: the person's entry, which their
    /// step-up binds as. Never a password.
    #[serde(default)]
    pub directory_dn: Option<String>,
    /// The groups the identity provider or directory named at this sign-in (names, not secrets): the
    /// work roles offered to the person's groups follow them.
    #[serde(default)]
    pub idp_groups: Vec<String>,
}

impl SessionAuth {
    /// The record of a sign-in at `at` (Unix seconds), from `client` = (address, browser), with a
    /// fresh mark; `idp` when the identity provider signed the person in.
    pub fn fresh(user: String, at: i64, client: (Option<String>, Option<String>), idp: Option<IdpLink>) -> Self {
        let mark = uuid::Uuid::new_v4().simple().to_string();
        SessionAuth {
            user,
            signed_in_at: at,
            authenticated_at: at,
            last_seen: at,
            ip: client.0,
            agent: client.1,
            mark,
            idp,
            directory_dn: None,
            idp_groups: vec![],
        }
    }

    /// How this session signed in.
    pub fn signed_in_with(&self) -> app::domain::SignedInWith {
        use app::domain::SignedInWith;
        match (&self.idp, &self.directory_dn) {
            (Some(_), _) => SignedInWith::Provider,
            (None, Some(_)) => SignedInWith::Directory,
            (None, None) => SignedInWith::Password,
        }
    }
}

/// The identity provider's view of a session: the person (issuer, subject) and its session id there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdpLink {
    pub issuer: String,
    pub subject: String,
    #[serde(default)]
    pub sid: Option<String>,
}

/// Refresh `last_seen` at most this often, so reads do not turn into a write per request.
const LAST_SEEN_GRANULARITY: Duration = Duration::seconds(60);

/// Facts about the client, established once per request.
#[derive(Debug, Clone)]
pub struct ClientInfo {
    pub ip: Option<IpAddr>,
    pub request_id: String,
    pub user_agent: Option<String>,
}

/// The client address: the socket peer, or the right-most untrusted `X-Forwarded-For` entry when the
/// peer is a configured trusted proxy. Every address is canonical (an IPv4-mapped IPv6 address such as
/// `::ffff:10.0.0.1`, which a dual-stack socket reports, is the IPv4 address; review L4), so it compares
/// equal to the configured proxy and counts against the same limit.
pub fn client_ip(req: &Request, trusted: &[IpAddr]) -> Option<IpAddr> {
    let peer = req.extensions().get::<axum::extract::ConnectInfo<SocketAddr>>().map(|c| c.0.ip().to_canonical())?;
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|t| t.to_canonical() == *ip);
    if !is_trusted(&peer) {
        return Some(peer);
    }
    let forwarded = req.headers().get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok()).collect::<Vec<_>>().join(",");
    forwarded
        .split(',')
        .rev()
        .filter_map(|s| s.trim().parse::<IpAddr>().ok())
        .map(|ip| ip.to_canonical())
        .find(|ip| !is_trusted(ip))
        .or(Some(peer))
}

/// Middleware: validate the session, enforce timeouts, load the account (disabled accounts and role
/// changes take effect at once) and attach the [`Principal`] and [`ClientInfo`] to the request.
pub async fn resolve_principal(State(portal): State<Arc<Portal>>, mut req: Request, next: Next) -> Response {
    let request_id = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let info = ClientInfo {
        ip: client_ip(&req, &portal.config.settings.trusted_proxies),
        request_id: request_id.clone(),
        user_agent: req.headers().get(http::header::USER_AGENT).and_then(|v| v.to_str().ok()).map(|s| s.chars().take(200).collect()),
    };
    req.extensions_mut().insert(info);
    if let Some(session) = req.extensions().get::<Session>().cloned() {
        match portal.principal_for(&session, request_id).await {
            Ok(Some(principal)) => {
                req.extensions_mut().insert(principal);
            }
            Ok(None) => {}
            // The database is gone for a moment: say so, rather than treat the person as signed out
            // (which would send them to sign in, and fail again). The session row is left untouched.
            Err(()) => return portal_unavailable(req.uri().path()),
        }
    }
    next.run(req).await
}

/// The answer while keydesk's database cannot be reached: 503 with `Retry-After`, as the server-function
/// error the browser's code shows, or as a small page for a browser navigating.
fn portal_unavailable(path: &str) -> Response {
    use axum::response::IntoResponse;
    let e = app::error::AppError::PortalUnavailable;
    if path.starts_with("/api/") {
        let headers =
            [(http::header::RETRY_AFTER, "5"), (http::header::CACHE_CONTROL, "no-store"), (http::header::CONTENT_TYPE, "application/json")];
        return (e.status(), headers, serde_json::to_string(&e).unwrap_or_default()).into_response();
    }
    crate::http::unavailable_page(&e.to_string())
}

impl Portal {
    /// The principal behind a session, `None` (anonymous, expired, disabled), or `Err` when the session
    /// store or the account table cannot be read.
    async fn principal_for(&self, session: &Session, request_id: String) -> Result<Option<Principal>, ()> {
        let auth = match session.get::<SessionAuth>(SESSION_KEY).await {
            Ok(Some(a)) => a,
            Ok(None) => return Ok(None),
            Err(e) => {
                tracing::error!(error = %e, "the session store cannot be read; answering 503");
                return Err(());
            }
        };
        let now = self.clock.now();
        let t = |s: i64| OffsetDateTime::from_unix_timestamp(s).unwrap_or(OffsetDateTime::UNIX_EPOCH);
        let s = &self.config.settings;
        let idle = Duration::minutes(i64::from(s.idle_timeout_minutes));
        let absolute = Duration::minutes(i64::from(s.absolute_timeout_minutes));
        let expired = if now - t(auth.last_seen) > idle {
            Some("idle")
        } else if now - t(auth.signed_in_at) > absolute {
            Some("absolute")
        } else {
            None
        };
        if let Some(which) = expired {
            tracing::info!(user = %auth.user, timeout = which, "session expired");
            let _ = session.flush().await;
            return Ok(None);
        }
        let Ok(user) = PortalUserName::parse(&auth.user) else { return Ok(None) };
        let account = match self.db.find_account(&user).await {
            Ok(Some(a)) if !a.disabled => a,
            Ok(_) => {
                let _ = session.flush().await;
                return Ok(None);
            }
            Err(e) => {
                tracing::error!(error = %e, "the account table cannot be read; answering 503");
                return Err(());
            }
        };
        if now - t(auth.last_seen) >= LAST_SEEN_GRANULARITY {
            let updated = SessionAuth { last_seen: now.unix_timestamp(), ..auth.clone() };
            if let Err(e) = session.insert(SESSION_KEY, updated).await {
                tracing::warn!(error = %e, "could not refresh session activity");
            }
        }
        Ok(Some(Principal {
            viewer: Viewer { user: account.user, display_name: account.display_name, role: account.role, iam_user: account.iam_user },
            authenticated_at: t(auth.authenticated_at),
            request_id,
            session_mark: Some(auth.mark.clone()).filter(|m| !m.is_empty()),
            signed_in_with: auth.signed_in_with(),
            directory_dn: auth.directory_dn.clone(),
            idp_groups: auth.idp_groups.clone(),
        }))
    }
}

/// Background task: every ten minutes, delete expired session rows, idle sign-in throttle rows and the
/// temporary-session ledger's old rows; and remove revocation statements that can match nothing.
pub async fn session_cleanup(portal: Arc<Portal>) {
    let store = session_store::DbSessionStore::new(portal.db.clone());
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(600));
    loop {
        tick.tick().await;
        let now = portal.clock.now().unix_timestamp();
        match store.delete_expired(now).await {
            Ok(n) if n > 0 => tracing::debug!(deleted = n, "expired sessions removed"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "expired-session cleanup failed"),
        }
        match portal.sweep_revocations().await {
            Ok(n) if n > 0 => tracing::info!(roles = n, "expired revocation statements removed from work roles"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "revocation sweep failed"),
        }
        match portal.db.prune_temporary_sessions(portal.clock.now()).await {
            Ok(n) if n > 0 => tracing::debug!(deleted = n, "old temporary-session ledger rows removed"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "temporary-session ledger cleanup failed"),
        }
        if let Err(e) = portal.db.purge_logout_tokens(now).await {
            tracing::warn!(error = %e, "logout-token cleanup failed");
        }
        match portal.db.purge_oidc_attempts(now - 2 * crate::oidc::flow::ATTEMPT_TTL).await {
            Ok(n) if n > 0 => tracing::debug!(deleted = n, "expired sign-in attempts removed"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "sign-in attempt cleanup failed"),
        }
        match portal.db.purge_idle_throttle(now).await {
            Ok(n) if n > 0 => tracing::debug!(deleted = n, "idle sign-in throttle rows removed"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "sign-in throttle cleanup failed"),
        }
    }
}
