//! The axum router: Leptos pages and server functions, static files, health probes, and the layers every
//! response goes through (request id, security headers, cross-site request refusal, sessions).

mod assets;
mod downloads;
mod headers;

use assets::*;
pub use assets::{leptos_options, site_assets, ASSETS_FILE};
use downloads::*;
use headers::*;
pub(crate) use headers::{notice_page, unavailable_page};
pub use headers::{page_csp, DEFAULT_CSP};

use crate::auth::{client_ip, resolve_principal};
use crate::portal::Portal;
use app::api::PortHandle;
use app::{shell, App};
use axum::extract::{FromRef, Request, State};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use http::{header, HeaderValue, Method, StatusCode};
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use std::sync::Arc;
use tower_http::compression::predicate::{DefaultPredicate, Predicate};
use tower_http::compression::CompressionLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

#[derive(Clone)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub portal: Arc<Portal>,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(s: &AppState) -> Self {
        s.leptos_options.clone()
    }
}

/// The built site's stylesheet, for pages keydesk writes without Leptos (set when the router is built).
static STYLESHEET: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// keydesk's page routes, generated once per process.
///
/// Generating them renders the app with `leptos_server::SuppressResourceLoad` held, and that is a
/// process-wide flag: while it is set, every resource that starts loading anywhere in the process
/// waits for ever. Generating the list again for a second router (another instance in the same
/// process, parallel tests) froze pages being rendered at that moment on other runtimes. Once, before
/// the first router exists, nothing can be rendering yet (`tests/http/runtimes.rs` proves both).
fn page_routes() -> Vec<leptos_axum::AxumRouteListing> {
    static ROUTES: std::sync::OnceLock<Vec<leptos_axum::AxumRouteListing>> = std::sync::OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

pub fn router(state: AppState) -> Router {
    let portal = state.portal.clone();
    let context = {
        let port: Arc<dyn app::api::Port> = portal.clone();
        let provider = portal.provider_origin();
        move || {
            provide_context(PortHandle(port.clone()));
            provide_context(app::ssr::RenderMemo::default());
            page_csp_with_nonce(provider.as_deref());
        }
    };
    let secure = portal.config.secure_cookie;
    let idle = time::Duration::minutes(i64::from(portal.config.settings.idle_timeout_minutes));
    let sessions = SessionManagerLayer::new(crate::auth::session_store::DbSessionStore::new(portal.db.clone()))
        .with_name(if secure { "__Host-keydesk" } else { "keydesk" })
        .with_secure(secure)
        .with_http_only(true)
        .with_same_site(SameSite::Strict)
        .with_path("/")
        .with_expiry(Expiry::OnInactivity(idle));
    let signed_in = routes(&state, context).layer(middleware::from_fn_with_state(portal, resolve_principal)).layer(sessions);
    outer_layers(signed_in, state)
}

/// keydesk's listener: every accepted connection with `TCP_NODELAY`. A page goes out in several writes
/// (the streamed shell, then each resource as it resolves); with Nagle's algorithm on, a write after
/// the first waited for the client's ACK, which Linux delays by up to 40 ms: in the load bench, a few
/// page loads a second at 4 connections took 44–52 ms instead of ~4.
pub fn listener(tcp: tokio::net::TcpListener) -> axum::serve::TapIo<tokio::net::TcpListener, fn(&mut tokio::net::TcpStream)> {
    use axum::serve::ListenerExt;
    fn no_delay(stream: &mut tokio::net::TcpStream) {
        if let Err(e) = stream.set_nodelay(true) {
            tracing::warn!(error = %e, "TCP_NODELAY could not be set on a connection");
        }
    }
    tcp.tap_io(no_delay as fn(&mut tokio::net::TcpStream))
}

/// keydesk's pages rendered from memory, for the load bench's "render only" reference: the same
/// routes and layers as [`router`], but `who` is signed in without a session (no session or account
/// read) and every request shares one [`app::ssr::RenderMemo`], so each page's reads are made by the
/// first request only and every later render is answered from memory.
pub fn render_only_router(state: AppState, who: app::ssr::Principal) -> Router {
    let memo = app::ssr::RenderMemo::default();
    let context = {
        let port: Arc<dyn app::api::Port> = state.portal.clone();
        let provider = state.portal.provider_origin();
        move || {
            provide_context(PortHandle(port.clone()));
            provide_context(memo.clone());
            page_csp_with_nonce(provider.as_deref());
        }
    };
    let signed_in = routes(&state, context).layer(middleware::from_fn(move |mut req: axum::extract::Request, next: middleware::Next| {
        req.extensions_mut().insert(who.clone());
        next.run(req)
    }));
    outer_layers(signed_in, state)
}

/// The pages (with `context` provided to each render), the server functions and keydesk's own routes.
fn routes(state: &AppState, context: impl Fn() + Clone + Send + Sync + 'static) -> Router<AppState> {
    let _ = STYLESHEET.set(format!("/pkg/{}.css", state.leptos_options.output_name));
    crate::metrics::handle(); // install the recorder before the first request
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics_on_main))
        .route(&app::domain::strength::common_list_path(), get(assets::common_passwords))
        .nest_service(&format!("/{}", state.leptos_options.site_pkg_dir), assets::built_assets(&state.leptos_options))
        .route(app::pages::NEW_KEY_PATH, axum::routing::post(create_key_without_js))
        .route(app::paths::NEW_TEMPORARY_PATH, axum::routing::post(issue_temporary_without_js))
        .route(app::pages::NEW_KEY_CSV_PATH, axum::routing::post(new_key_csv))
        .route(app::pages::REVIEW_CSV_PATH, get(review_csv))
        .route(app::pages::REPORT_CSV_PATH, get(raw_report_csv))
        .route(app::pages::AUDIT_CSV_PATH, get(audit_csv))
        .route(crate::oidc::START_PATH, get(crate::oidc::flow::start))
        .route(crate::oidc::CALLBACK_PATH, get(crate::oidc::flow::callback))
        .route(crate::oidc::FINISH_PATH, get(crate::oidc::flow::finish))
        .route(crate::oidc::STEP_UP_PATH, get(crate::oidc::flow::begin_step_up))
        .route(crate::oidc::BACKCHANNEL_LOGOUT_PATH, axum::routing::post(crate::oidc::flow::backchannel_logout))
        .leptos_routes_with_context(state, page_routes(), context.clone(), {
            let options = state.leptos_options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler_with_context::<AppState, _>(context, shell))
}

/// What every answer passes through, outside the session: the URL-error filter, cross-site refusal,
/// security headers, compression, body limit, timeout, metrics and the request id.
fn outer_layers(signed_in: Router<AppState>, state: AppState) -> Router {
    let portal = state.portal.clone();
    signed_in
        .layer(middleware::from_fn_with_state(portal.clone(), crate::url_errors::only_own_url_errors))
        .layer(middleware::from_fn_with_state(portal.clone(), refuse_cross_site))
        .layer(middleware::from_fn_with_state(portal.clone(), security_headers))
        // Pages, scripts, styles and WASM go out gzip- or brotli-compressed; never a `no-store` answer
        // (server functions, one-time secret pages, CSV downloads), where compression next to
        // reflected input would open a BREACH-style side channel on the secret.
        .layer(CompressionLayer::new().compress_when(DefaultPredicate::new().and(NotSecretBearing)))
        .layer(RequestBodyLimitLayer::new(MAX_REQUEST_BODY))
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, REQUEST_TIMEOUT))
        .layer(middleware::from_fn(observe_http))
        .layer(middleware::from_fn_with_state(portal, request_id))
        .with_state(state)
}

/// The largest request body accepted (a PEM certificate or an SSH key is a few KiB): 413 above it.
pub const MAX_REQUEST_BODY: usize = 256 * 1024;

/// A request still unanswered after this gets 408 (the review's first report may take 30 s to generate).
pub const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// Compress only what may be stored: `Cache-Control: no-store` marks answers that can carry a secret.
#[derive(Clone, Copy)]
struct NotSecretBearing;

impl Predicate for NotSecretBearing {
    fn should_compress<B: axum::body::HttpBody>(&self, response: &http::Response<B>) -> bool {
        !response.headers().get(header::CACHE_CONTROL).and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains("no-store"))
    }
}

/// Count and time every request by its route template (never the raw path: unmatched paths share one
/// label, so a scanner cannot grow the metric set).
async fn observe_http(req: Request, next: Next) -> Response {
    let started = std::time::Instant::now();
    let route = match req.extensions().get::<axum::extract::MatchedPath>() {
        Some(p) => p.as_str().to_owned(),
        None if req.uri().path().starts_with("/pkg/") => "/pkg/{file}".to_owned(),
        None => "unmatched".to_owned(),
    };
    let method = match *req.method() {
        Method::GET | Method::HEAD | Method::POST | Method::PUT | Method::DELETE | Method::OPTIONS | Method::PATCH => req.method().clone(),
        _ => Method::from_bytes(b"OTHER").unwrap_or(Method::GET),
    };
    let res = next.run(req).await;
    crate::metrics::http_request(&route, &method, res.status(), started.elapsed());
    res
}

/// `/metrics` on the main address: only when asked for (`--metrics-on-main`) and no separate metrics
/// address is configured, and only to a loopback client that did not come through a proxy (a scraper
/// on the same host). Others get 404.
async fn metrics_on_main(State(state): State<AppState>, req: Request) -> Response {
    let local = client_ip(&req, &[]).is_some_and(|ip| ip.is_loopback());
    let proxied = req.headers().contains_key("x-forwarded-for") || req.headers().contains_key(header::FORWARDED);
    let settings = &state.portal.config.settings;
    if !settings.metrics_on_main || settings.metrics_listen.is_some() || !local || proxied {
        return StatusCode::NOT_FOUND.into_response();
    }
    metrics_text().into_response()
}

/// The Prometheus text exposition.
pub fn metrics_text() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], crate::metrics::render())
}

/// The router of the separate metrics address (`--metrics-listen`).
pub fn metrics_router() -> Router {
    Router::new().route("/metrics", get(|| async { metrics_text() }))
}

async fn healthz() -> &'static str {
    "ok"
}

async fn readyz(State(state): State<AppState>) -> Response {
    match state.portal.db.ping().await {
        Ok(()) => "ready".into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unreachable").into_response()
        }
    }
}

/// Give every request an id: the trusted proxy's `X-Request-Id`, or a fresh one. Echoed in the response.
async fn request_id(State(portal): State<Arc<Portal>>, mut req: Request, next: Next) -> Response {
    let from_proxy = client_ip(&req, &[]).is_some_and(|peer| portal.config.settings.trusted_proxies.contains(&peer));
    let incoming = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| from_proxy && !v.is_empty() && v.len() <= 128 && v.chars().all(|c| c.is_ascii_graphic()))
        .map(str::to_owned);
    let id = incoming.unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string());
    let value = HeaderValue::from_str(&id).unwrap_or_else(|_| HeaderValue::from_static("invalid"));
    req.headers_mut().insert("x-request-id", value.clone());
    let span = tracing::info_span!("request", id = %id, method = %req.method(), path = %req.uri().path());
    let mut res = tracing::Instrument::instrument(crate::portal::REQUEST_ID.scope(id, next.run(req)), span).await;
    res.headers_mut().insert("x-request-id", value);
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_is_rebuilt_only_from_a_script_nonce() {
        assert_eq!(script_nonce(b"<p>nonce=\"evil\"</p><script nonce=\"abc+/=_-9\">x</script>"), Some("abc+/=_-9"));
        assert_eq!(script_nonce(b"<p>&lt;script nonce=\"evil\"</p>"), None);
        assert_eq!(script_nonce(b"<script nonce=\"a b\">"), None);
    }

    /// The CSP gap fails closed: an error page with a strict policy and the incident id, not the page.
    #[test]
    fn a_page_without_its_policy_becomes_an_error_page_with_one() {
        let res = page_without_policy("/admin", "req-42");
        assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(res.headers()[header::CONTENT_SECURITY_POLICY], UNAVAILABLE_CSP);
        assert_eq!(res.headers()[header::CACHE_CONTROL], "no-store");
    }
}

#[cfg(test)]
mod listener_tests {
    #[tokio::test]
    async fn accepted_connections_send_without_delay() {
        use axum::serve::Listener;
        let tcp = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = tcp.local_addr().unwrap();
        let mut listener = super::listener(tcp);
        let _client = tokio::net::TcpStream::connect(addr).await.unwrap();
        let (accepted, _) = listener.accept().await;
        assert!(accepted.nodelay().unwrap(), "Nagle's algorithm would hold a page's later writes for the client's delayed ACK");
    }
}
