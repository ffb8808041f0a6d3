//! Answers that are not pages: the no-JavaScript create and its one-time page, and the CSV downloads
//! (the key's .csv, the review, IAM's credential report, the audit log).

use super::*;
use app::api::PortHandle;
use app::error::AppError;
use axum::extract::{FromRequest, Request, State};
use axum::response::{IntoResponse, Response};
use http::{header, HeaderValue, Method, StatusCode};
use leptos::prelude::*;
use std::sync::Arc;

#[derive(serde::Deserialize)]
pub(super) struct NoJsCreateForm {
    #[serde(default)]
    description: String,
    password: Option<String>,
    /// The old key, when the create comes from its rotation guide (the one-time page links back).
    rotate: Option<String>,
}

/// What a JavaScript-free post of a one-time page came to: done, the password asked for (again, when
/// `wrong`), or failed.
enum Posted<T> {
    Done(T),
    AskPassword { wrong: bool },
    Failed(AppError),
}

/// The signed-in person and their form, or the answer that ends the request (sign in first, a bad form).
async fn signed_in_form<F: serde::de::DeserializeOwned>(
    state: &AppState,
    req: Request,
) -> Result<(http::request::Parts, app::ssr::Principal, F), Response> {
    let (parts, body) = req.into_parts();
    let Some(who) = parts.extensions.get::<app::ssr::Principal>().cloned() else {
        return Err(axum::response::Redirect::to(app::paths::SIGN_IN_PATH).into_response());
    };
    match axum::Form::<F>::from_request(Request::from_parts(parts.clone(), body), state).await {
        Ok(axum::Form(form)) => Ok((parts, who, form)),
        Err(rejection) => Err(rejection.into_response()),
    }
}

/// Confirm the password the prompt posted (if any), then `act`; a stale sign-in asks for the password.
async fn confirm_then<T>(
    state: &AppState,
    parts: &http::request::Parts,
    mut who: app::ssr::Principal,
    password: Option<&str>,
    act: impl AsyncFnOnce(&app::ssr::Ctx) -> Result<T, AppError>,
) -> Posted<T> {
    use app::api::access_keys::AccessKeysPort;
    let portal = &state.portal;
    if let Some(password) = password {
        let password = app::domain::Password::new(password);
        match portal.confirm_password(&app::ssr::Ctx { req: parts.clone(), who: who.clone() }, &password).await {
            Ok(()) => who.authenticated_at = portal.clock.now(),
            Err(AppError::SignInFailed) => return Posted::AskPassword { wrong: true },
            Err(e) => return Posted::Failed(e),
        }
    }
    match act(&app::ssr::Ctx { req: parts.clone(), who }).await {
        Ok(done) => Posted::Done(done),
        Err(AppError::ReauthRequired) => Posted::AskPassword { wrong: false },
        Err(e) => Posted::Failed(e),
    }
}

/// The create wizard's form post when JavaScript is off. The secret cannot survive a redirect (it is
/// never stored), so this answers with the one-time page itself, rendered without hydration scripts and
/// marked `no-store`. A stale session first gets a password prompt that posts back here.
pub(super) async fn create_key_without_js(State(state): State<AppState>, req: Request) -> Response {
    use app::api::access_keys::AccessKeysPort;
    use app::pages::NoJsCreate;
    let (parts, who, form) = match signed_in_form::<NoJsCreateForm>(&state, req).await {
        Ok(signed_in) => signed_in,
        Err(answer) => return answer,
    };
    let rotating = form.rotate.as_deref().and_then(|id| app::domain::AccessKeyId::parse(id).ok());
    let portal = state.portal.clone();
    let act = async |cx: &app::ssr::Ctx| portal.create_access_key(cx, Some(form.description.clone())).await;
    let outcome = match confirm_then(&state, &parts, who, form.password.as_deref(), act).await {
        Posted::Done(key) => NoJsCreate::Created { key, rotating },
        Posted::AskPassword { wrong } => NoJsCreate::NeedsPassword { description: form.description.clone(), rotating, wrong },
        Posted::Failed(e) => NoJsCreate::Failed(e),
    };
    let status = match &outcome {
        NoJsCreate::Failed(e) => e.status(),
        _ => StatusCode::OK,
    };
    one_time_page(state, parts, outcome, status).await
}

#[derive(serde::Deserialize)]
pub(super) struct NoJsIssueForm {
    role: String,
    duration_secs: String,
    reason: Option<String>,
    password: Option<String>,
}

/// The temporary-credentials form's post when JavaScript is off: as for a key, the session cannot
/// survive a redirect (it is never stored), so this answers with the one-time page itself (`no-store`);
/// a stale sign-in first gets a password prompt that posts back here with the same request.
pub(super) async fn issue_temporary_without_js(State(state): State<AppState>, req: Request) -> Response {
    use app::api::temporary::TemporaryPort;
    use app::pages::NoJsIssue;
    let (parts, who, form) = match signed_in_form::<NoJsIssueForm>(&state, req).await {
        Ok(signed_in) => signed_in,
        Err(answer) => return answer,
    };
    let reason = form.reason.clone().filter(|r| !r.trim().is_empty());
    let outcome = match form.duration_secs.trim().parse::<u32>() {
        Err(_) => NoJsIssue::Failed(AppError::invalid("duration_secs", "Choose how long the credentials should last.")),
        Ok(duration) => {
            let portal = state.portal.clone();
            let act = async |cx: &app::ssr::Ctx| portal.issue_temporary_credentials(cx, &form.role, duration, reason.as_deref()).await;
            match confirm_then(&state, &parts, who, form.password.as_deref(), act).await {
                Posted::Done(session) => NoJsIssue::Issued(Box::new(session)),
                Posted::AskPassword { wrong } => {
                    NoJsIssue::NeedsPassword { role: form.role.clone(), duration_secs: duration, reason: reason.clone(), wrong }
                }
                Posted::Failed(e) => NoJsIssue::Failed(e),
            }
        }
    };
    let status = match &outcome {
        NoJsIssue::Failed(e) => e.status(),
        _ => StatusCode::OK,
    };
    one_time_page(state, parts, outcome, status).await
}

/// A page rendered from `outcome` (provided as context) without hydration scripts, `no-store`.
async fn one_time_page<T: Clone + Send + Sync + 'static>(
    state: AppState,
    parts: http::request::Parts,
    outcome: T,
    status: StatusCode,
) -> Response {
    let port: Arc<dyn app::api::Port> = state.portal.clone();
    let options = state.leptos_options.clone();
    let provider = state.portal.provider_origin();
    let render = leptos_axum::render_app_async_with_context(
        move || {
            provide_context(PortHandle(port.clone()));
            provide_context(outcome.clone());
            page_csp_with_nonce(provider.as_deref());
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
pub(super) struct NewKeyCsvForm {
    key_id: String,
    secret: String,
}

/// The no-JavaScript one-time page's .csv: it posts back the id and secret it shows, and gets the
/// console's file as a download. Nothing is looked up, kept or logged: the answer holds only what the
/// signed-in person sent, under their IAM user's file name (`no-store`, never compressed).
pub(super) async fn new_key_csv(req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let Some(who) = parts.extensions.get::<app::ssr::Principal>().cloned() else {
        return ([(header::CACHE_CONTROL, "no-store")], axum::response::Redirect::to(app::paths::SIGN_IN_PATH)).into_response();
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
pub(super) fn csv_download(req: &http::request::Parts, result: Result<(String, String), AppError>) -> Response {
    // Every answer on an export's address is `no-store`, the refusals too: a cache keyed by the URL must
    // never hold either.
    let no_store = [(header::CACHE_CONTROL, "no-store")];
    if req.extensions.get::<app::ssr::Principal>().is_none() {
        return (no_store, axum::response::Redirect::to(app::paths::SIGN_IN_PATH)).into_response();
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
pub(super) struct ReviewParams {
    search: Option<String>,
    filter: Option<String>,
    age: Option<String>,
    sort: Option<String>,
    desc: Option<String>,
}

/// The review table as CSV: every row the page's query selects (not only the page shown).
pub(super) async fn review_csv(
    State(state): State<AppState>,
    axum::extract::Query(p): axum::extract::Query<ReviewParams>,
    req: Request,
) -> Response {
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
pub(super) async fn audit_csv(
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
pub(super) async fn raw_report_csv(State(state): State<AppState>, req: Request) -> Response {
    let (parts, _) = req.into_parts();
    let result = match parts.extensions.get::<app::ssr::Principal>() {
        Some(who) => state.portal.raw_credential_report(who).await,
        None => Err(AppError::NotSignedIn),
    };
    csv_download(&parts, result)
}
