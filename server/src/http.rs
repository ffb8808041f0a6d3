//! The axum router: Leptos pages and server functions, static files, health probes, and the layers every
//! response goes through (request id, security headers, cross-site request refusal, sessions).

use crate::auth::{client_ip, resolve_principal};
use crate::portal::Portal;
use app::api::PortHandle;
use app::error::AppError;
use app::{shell, App};
use axum::extract::{FromRef, FromRequest, Request, State};
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

/// The file naming the current build's content-hashed assets (written by `.ci/build-site`).
pub const ASSETS_FILE: &str = "assets.txt";

/// The built site's asset name under `site_root/pkg`: `keydesk-<hash>` from `assets.txt` (its
/// `.js`, `_bg.wasm` and `.css` are then immutable), or plain `keydesk` for a site built without hashes.
/// Errors name what is missing and how to build it.
pub fn site_assets(site_root: &std::path::Path) -> Result<String, String> {
    let name = match std::fs::read_to_string(site_root.join(ASSETS_FILE)) {
        Ok(text) => text.trim().to_owned(),
        Err(_) => "keydesk".to_owned(),
    };
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        return Err(format!("{}: {name:?} is not an asset name; rebuild the site (.ci/build-site)", site_root.join(ASSETS_FILE).display()));
    }
    let js = site_root.join("pkg").join(format!("{name}.js"));
    if !js.is_file() {
        return Err(format!("{} is missing or unreadable: build the site (.ci/build-site) or set --site-root", js.display()));
    }
    Ok(name)
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

/// Only keydesk's own stylesheet; no script at all.
const UNAVAILABLE_CSP: &str = "default-src 'none'; style-src 'self'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

/// The page a browser gets while keydesk cannot answer for a moment (its database is unreachable):
/// 503, `Retry-After: 5`, never stored, styled like the rest of keydesk, a link to try again.
pub(crate) fn unavailable_page(message: &str) -> Response {
    let mut res = plain_page(StatusCode::SERVICE_UNAVAILABLE, "keydesk is briefly unavailable", message);
    res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
    res
}

/// A small static page (no script, the stylesheet only) under a strict policy of its own: for answers
/// given without Leptos (the database is gone, a page that cannot be sent safely). `message` is
/// keydesk's own text, never input.
fn plain_page(status: StatusCode, heading: &str, message: &str) -> Response {
    let css = STYLESHEET.get().map(String::as_str).unwrap_or("/pkg/keydesk.css");
    let page = format!(
        r#"<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>keydesk — {heading}</title><link rel="stylesheet" href="{css}"></head><body class="min-h-screen bg-slate-50 text-slate-900"><main class="mx-auto max-w-md px-4 py-16"><div class="rounded-xl border border-slate-200 bg-white p-6 shadow-sm"><h1 class="text-lg font-semibold">{heading}</h1><p class="mt-2 text-sm text-slate-700">{message}</p><a href="" class="mt-4 inline-block rounded-md bg-indigo-600 px-3 py-1.5 text-sm font-semibold text-white shadow-sm hover:bg-indigo-500 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600">Try again</a></div></main></body></html>"#
    );
    let headers = [(header::CACHE_CONTROL, "no-store"), (header::CONTENT_SECURITY_POLICY, UNAVAILABLE_CSP)];
    (status, headers, axum::response::Html(page)).into_response()
}

/// A page whose nonce policy went missing: the policy rebuilt from the nonce on its own scripts (the
/// only nonce the browser will check), or, when none is found, the error page below. A `<script`
/// cannot come from text keydesk renders (`<` is escaped there), so the first `<script nonce="…">` is
/// keydesk's own.
async fn with_recovered_policy(res: Response, path: &str, incident: &str) -> Response {
    let (mut parts, body) = res.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 16 * 1024 * 1024).await else {
        return page_without_policy(path, incident);
    };
    match script_nonce(&bytes) {
        Some(nonce) => {
            tracing::warn!(path, incident, "a page was rendered without its Content-Security-Policy; rebuilt from its script nonce");
            match HeaderValue::from_str(&page_csp(nonce)) {
                Ok(v) => {
                    parts.headers.insert(header::CONTENT_SECURITY_POLICY, v);
                    parts.headers.remove(header::CONTENT_LENGTH);
                    Response::from_parts(parts, axum::body::Body::from(bytes))
                }
                Err(_) => page_without_policy(path, incident),
            }
        }
        None => {
            let mut refused = page_without_policy(path, incident);
            for (name, value) in parts.headers.iter().filter(|(n, _)| *n != header::CONTENT_TYPE && *n != header::CONTENT_LENGTH) {
                refused.headers_mut().entry(name.clone()).or_insert(value.clone());
            }
            refused
        }
    }
}

/// The nonce of the first `<script nonce="…">` in a page, if it is a plausible nonce.
fn script_nonce(html: &[u8]) -> Option<&str> {
    const MARK: &[u8] = b"<script nonce=\"";
    let start = html.windows(MARK.len()).position(|w| w == MARK)? + MARK.len();
    let len = html[start..].iter().position(|b| *b == b'"')?;
    let nonce = std::str::from_utf8(&html[start..start + len]).ok()?;
    (!nonce.is_empty() && nonce.len() <= 128 && nonce.bytes().all(|b| b.is_ascii_alphanumeric() || b"+/=_-".contains(&b))).then_some(nonce)
}

/// The answer instead of a page that was rendered without its nonce policy: such a page never goes
/// out without a policy (review, CSP gap). 500 with the incident id people quote.
fn page_without_policy(path: &str, incident: &str) -> Response {
    tracing::error!(path, incident, "a page was rendered without its Content-Security-Policy; answered with an error page instead");
    plain_page(
        StatusCode::INTERNAL_SERVER_ERROR,
        "This page could not be shown safely",
        &format!("keydesk refused to send this page without its security policy. Try again; if it happens again, tell your administrators incident {}.", incident.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-').collect::<String>()),
    )
}

/// The site's icon (`style/public/favicon.svg`, copied into the site by `.ci/build-site`).
const FAVICON: &str = "/favicon.svg";

/// An immutable asset: `keydesk-<16 hex>` followed by `.js`, `_bg.wasm` or `.css`.
fn is_hashed_asset(path: &str) -> bool {
    path.strip_prefix("/pkg/keydesk-")
        .and_then(|rest| rest.get(..16).zip(rest.get(16..)))
        .is_some_and(|(hash, ext)| hash.chars().all(|c| c.is_ascii_hexdigit()) && matches!(ext, ".js" | "_bg.wasm" | ".css"))
}

/// Leptos options for the built site under `site_root` (`pkg/<assets>.js`, `pkg/<assets>_bg.wasm`).
pub fn leptos_options(site_root: &str, addr: std::net::SocketAddr) -> LeptosOptions {
    let name = site_assets(std::path::Path::new(site_root)).unwrap_or_else(|_| "keydesk".to_owned());
    LeptosOptions::builder()
        .output_name(name)
        .site_root(site_root)
        .site_pkg_dir("pkg")
        .site_addr(addr)
        .env(leptos::config::Env::PROD)
        .build()
}

pub fn router(state: AppState) -> Router {
    let portal = state.portal.clone();
    let _ = STYLESHEET.set(format!("/pkg/{}.css", state.leptos_options.output_name));
    crate::metrics::handle(); // install the recorder before the first request
    let routes = page_routes();
    let context = {
        let port: Arc<dyn app::api::Port> = portal.clone();
        move || {
            provide_context(PortHandle(port.clone()));
            provide_context(app::ssr::RenderMemo::default());
            page_csp_with_nonce();
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

    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics_on_main))
        .route(app::pages::NEW_KEY_PATH, axum::routing::post(create_key_without_js))
        .route(app::pages::NEW_KEY_CSV_PATH, axum::routing::post(new_key_csv))
        .route(app::pages::REVIEW_CSV_PATH, get(review_csv))
        .route(app::pages::REPORT_CSV_PATH, get(raw_report_csv))
        .route(app::pages::AUDIT_CSV_PATH, get(audit_csv))
        .leptos_routes_with_context(&state, routes, context.clone(), {
            let options = state.leptos_options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler_with_context::<AppState, _>(context, shell))
        .layer(middleware::from_fn_with_state(portal.clone(), resolve_principal))
        .layer(sessions)
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

/// The Content-Security-Policy of a rendered page (SECURITY.md G17): scripts only from keydesk itself
/// or inline with this response's nonce (Leptos puts it on its hydration and resource scripts), WASM
/// may compile, no inline styles or event handlers, no plugins, no framing, no `<base>`, forms post
/// only to keydesk.
pub fn page_csp(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self'; \
         connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    )
}

/// Everything that is not a rendered page (server functions, CSVs, assets, probes) may load nothing.
pub const DEFAULT_CSP: &str = "default-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'";

/// Give the page being rendered a fresh nonce and send the policy that names it.
fn page_csp_with_nonce() {
    // Server functions share this context but answer JSON: they keep the policy that allows nothing.
    if use_context::<http::request::Parts>().is_some_and(|p| p.uri.path().starts_with("/api/")) {
        return;
    }
    leptos::nonce::provide_nonce();
    if let (Some(nonce), Some(res)) = (leptos::nonce::use_nonce(), use_context::<leptos_axum::ResponseOptions>()) {
        if let Ok(v) = HeaderValue::from_str(&page_csp(&nonce)) {
            res.insert_header(header::CONTENT_SECURITY_POLICY, v);
        }
    }
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

#[derive(serde::Deserialize)]
struct NoJsCreateForm {
    #[serde(default)]
    description: String,
    password: Option<String>,
    /// The old key, when the create comes from its rotation guide (the one-time page links back).
    rotate: Option<String>,
}

/// The create wizard's form post when JavaScript is off. The secret cannot survive a redirect (it is
/// never stored), so this answers with the one-time page itself, rendered without hydration scripts and
/// marked `no-store`. A stale session first gets a password prompt that posts back here.
async fn create_key_without_js(State(state): State<AppState>, req: Request) -> Response {
    use app::api::access_keys::AccessKeysPort;
    use app::pages::NoJsCreate;
    use app::ssr::{Ctx, Principal};
    let (parts, body) = req.into_parts();
    let Some(mut who) = parts.extensions.get::<Principal>().cloned() else {
        return axum::response::Redirect::to("/sign-in").into_response();
    };
    let form = match axum::Form::<NoJsCreateForm>::from_request(Request::from_parts(parts.clone(), body), &state).await {
        Ok(axum::Form(form)) => form,
        Err(rejection) => return rejection.into_response(),
    };
    let portal = state.portal.clone();
    let rotating = form.rotate.as_deref().and_then(|id| app::domain::AccessKeyId::parse(id).ok());
    let outcome = async {
        if let Some(password) = form.password.as_deref() {
            let password = app::domain::Password::new(password);
            match portal.confirm_password(&Ctx { req: parts.clone(), who: who.clone() }, &password).await {
                Ok(()) => who.authenticated_at = portal.clock.now(),
                Err(AppError::SignInFailed) => {
                    return NoJsCreate::NeedsPassword { description: form.description.clone(), rotating: rotating.clone(), wrong: true };
                }
                Err(e) => return NoJsCreate::Failed(e),
            }
        }
        match portal.create_access_key(&Ctx { req: parts.clone(), who: who.clone() }, Some(form.description.clone())).await {
            Ok(key) => NoJsCreate::Created { key, rotating: rotating.clone() },
            Err(AppError::ReauthRequired) => {
                NoJsCreate::NeedsPassword { description: form.description.clone(), rotating: rotating.clone(), wrong: false }
            }
            Err(e) => NoJsCreate::Failed(e),
        }
    }
    .await;
    let status = match &outcome {
        NoJsCreate::Failed(e) => e.status(),
        _ => StatusCode::OK,
    };
    let port: Arc<dyn app::api::Port> = portal.clone();
    let options = state.leptos_options.clone();
    let render = leptos_axum::render_app_async_with_context(
        move || {
            provide_context(PortHandle(port.clone()));
            provide_context(outcome.clone());
            page_csp_with_nonce();
        },
        move || app::static_shell(options.clone()),
    );
    let mut page = Request::from_parts(parts, axum::body::Body::empty());
    *page.method_mut() = Method::GET;
    let mut res = render(page).await.into_response();
    if status != StatusCode::OK {
        *res.status_mut() = status;
    }
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

#[derive(serde::Deserialize)]
struct NewKeyCsvForm {
    key_id: String,
    secret: String,
}

/// The no-JavaScript one-time page's .csv: it posts back the id and secret it shows, and gets the
/// console's file as a download. Nothing is looked up, kept or logged: the answer holds only what the
/// signed-in person sent, under their IAM user's file name (`no-store`, never compressed).
async fn new_key_csv(req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let Some(who) = parts.extensions.get::<app::ssr::Principal>().cloned() else {
        return ([(header::CACHE_CONTROL, "no-store")], axum::response::Redirect::to("/sign-in")).into_response();
    };
    let form = match axum::Form::<NewKeyCsvForm>::from_request(Request::from_parts(parts.clone(), body), &()).await {
        Ok(axum::Form(form)) => form,
        Err(rejection) => return rejection.into_response(),
    };
    let secret_ok = (1..=128).contains(&form.secret.len()) && form.secret.chars().all(|c| c.is_ascii_graphic());
    let result = match app::domain::AccessKeyId::parse(&form.key_id) {
        Ok(id) if secret_ok => Ok(app::domain::export::access_key_csv_of(who.viewer.iam_user.as_str(), id.as_str(), &form.secret)),
        _ => Err(AppError::invalid("secret", "That is not an access key id and secret that keydesk made.")),
    };
    csv_download(&parts, result)
}

/// A CSV download: `attachment`, never cached; errors as the page shows them.
fn csv_download(req: &http::request::Parts, result: Result<(String, String), AppError>) -> Response {
    // Every answer on an export's address is `no-store`, the refusals too: a cache keyed by the URL must
    // never hold either.
    let no_store = [(header::CACHE_CONTROL, "no-store")];
    if req.extensions.get::<app::ssr::Principal>().is_none() {
        return (no_store, axum::response::Redirect::to("/sign-in")).into_response();
    }
    match result {
        Ok((file, body)) => (
            no_store,
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
                (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{file}\"")),
            ],
            body,
        )
            .into_response(),
        Err(e) => (e.status(), no_store, e.to_string()).into_response(),
    }
}

#[derive(serde::Deserialize)]
struct ReviewParams {
    search: Option<String>,
    filter: Option<String>,
    age: Option<String>,
    sort: Option<String>,
    desc: Option<String>,
}

/// The review table as CSV: every row the page's query selects (not only the page shown).
async fn review_csv(State(state): State<AppState>, axum::extract::Query(p): axum::extract::Query<ReviewParams>, req: Request) -> Response {
    let (parts, _) = req.into_parts();
    let query = app::domain::review::ReviewQuery::from_params(
        p.search.as_deref(),
        p.filter.as_deref(),
        p.age.as_deref(),
        p.sort.as_deref(),
        p.desc.as_deref(),
        None,
    );
    let result = match parts.extensions.get::<app::ssr::Principal>() {
        Some(who) => state.portal.review_csv(who, &query).await,
        None => Err(AppError::NotSignedIn),
    };
    csv_download(&parts, result)
}

/// The audit log's matching events as CSV.
async fn audit_csv(
    State(state): State<AppState>,
    axum::extract::Query(q): axum::extract::Query<app::api::audit::AuditQuery>,
    req: Request,
) -> Response {
    use app::api::audit::AuditPort;
    let (parts, _) = req.into_parts();
    let result = match parts.extensions.get::<app::ssr::Principal>() {
        Some(who) => state.portal.audit_csv(&app::ssr::Ctx { req: parts.clone(), who: who.clone() }, &q).await,
        None => Err(AppError::NotSignedIn),
    };
    csv_download(&parts, result)
}

/// IAM's credential report, as IAM wrote it.
async fn raw_report_csv(State(state): State<AppState>, req: Request) -> Response {
    let (parts, _) = req.into_parts();
    let result = match parts.extensions.get::<app::ssr::Principal>() {
        Some(who) => state.portal.raw_credential_report(who).await,
        None => Err(AppError::NotSignedIn),
    };
    csv_download(&parts, result)
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

/// Headers on every response. Server-function answers may carry a one-time secret, so they are never
/// stored; pages are revalidated. `Referrer-Policy: same-origin` (not `no-referrer`) because forms that
/// post without JavaScript are sent back to the page they came from using the same-origin Referer.
async fn security_headers(State(portal): State<Arc<Portal>>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_owned();
    let is_api = path.starts_with("/api/");
    let is_asset = path.starts_with("/pkg/");
    let immutable = is_hashed_asset(&path);
    let incident = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let mut res = next.run(req).await;
    let found = res.status() == StatusCode::OK;
    let h = res.headers_mut();
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        "permissions-policy",
        HeaderValue::from_static("camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()"),
    );
    h.insert("cross-origin-opener-policy", HeaderValue::from_static("same-origin"));
    let html = h.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with("text/html"));
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) && !html {
        h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(DEFAULT_CSP));
    }
    if portal.config.secure_cookie {
        h.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=63072000; includeSubDomains"));
    }
    if is_api {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    } else if immutable && found {
        // Content-hashed: a new build has a new name, so browsers and proxies may keep this for a year.
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=31536000, immutable"));
    } else if is_asset {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    } else if path == FAVICON && found {
        // Asked for by every page; not content-hashed, so kept a day rather than a year.
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=86400"));
    } else if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache, private"));
    }
    if !res.headers().contains_key(header::CONTENT_SECURITY_POLICY) {
        // A page rendered without its nonce policy (seen in Chromium on /admin, /activity and /helpdesk
        // when the render's context ran twice; cause inside the render not found): it never goes out
        // without one.
        return with_recovered_policy(res, &path, &incident).await;
    }
    res
}

/// Refuse state-changing requests that a browser marks as coming from another site (Fetch Metadata
/// first, `Origin` as the fallback; leptos server functions have no CSRF protection of their own).
/// Requests with neither header come from non-browser clients, which cannot ride a user's cookie.
async fn refuse_cross_site(State(portal): State<Arc<Portal>>, req: Request, next: Next) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.run(req).await;
    }
    let headers = req.headers();
    let site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
    let allowed = match (site, origin) {
        (Some(site), _) => matches!(site, "same-origin" | "none"),
        (None, Some(origin)) => origin.eq_ignore_ascii_case(&portal.config.public_origin),
        (None, None) => true,
    };
    if allowed {
        return next.run(req).await;
    }
    tracing::warn!(path = %req.uri().path(), sec_fetch_site = ?site, origin = ?origin, "refused cross-site request");
    let body = serde_json::to_string(&AppError::CrossSite).unwrap_or_default();
    (StatusCode::FORBIDDEN, [(header::CONTENT_TYPE, "application/json")], body).into_response()
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
