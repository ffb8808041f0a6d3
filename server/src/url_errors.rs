//! Errors in page URLs only for the browser they were made for (review L3). A form posted without
//! JavaScript that fails is redirected back with the error in the query (`?__path=…&__err=…`, Leptos'
//! progressive enhancement), and the page shows it in its error box. Anyone could write such a link
//! with text of their choosing and send it to a colleague: keydesk's own page would show it. So the
//! redirect that carries an error also sets a short-lived, same-site cookie holding the error's digest,
//! and a page request shows an error only when that cookie proves this browser was sent it; otherwise
//! the browser is sent to the same page without the error parameters (a redirect rather than a quiet
//! rewrite, because the hydrated page reads them from the browser's address too).
//!
//! The same redirect lands on the form's own section of the page (`app::paths::form_section`), or on
//! the place the form names in its own address (`/api/<endpoint>?at=<id>`, for a form in a list's
//! row). Forms drawn on the server post like this with or without JavaScript, and the page is drawn
//! anew with the answer: a refusal adds `open=<id>`, so the page opens that form again (its
//! confirmation panel, its password prompt) beside the error; a success of an endpoint that reports
//! one (`app::paths::reports_done`) adds `done=<id>` (or `done=<endpoint>` for a form without a place
//! of its own), for a fixed message the page knows, never text from the address.

use crate::portal::Portal;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::header::{COOKIE, LOCATION, SET_COOKIE};
use http::{HeaderValue, Uri};
use std::sync::Arc;

/// How long a redirected error may take to be shown.
const PROOF_SECS: u32 = 60;

fn cookie_name(secure: bool) -> &'static str {
    if secure {
        "__Host-keydesk-err"
    } else {
        "keydesk-err"
    }
}

/// The raw (still percent-encoded) value of `name` in a query string.
fn param<'a>(query: &'a str, name: &str) -> Option<&'a str> {
    query.split('&').find_map(|pair| pair.strip_prefix(name)?.strip_prefix('='))
}

fn digest(value: &str) -> String {
    use sha2::Digest;
    data_encoding::HEXLOWER.encode(&sha2::Sha256::digest(value.as_bytes()))
}

fn cookie<'a>(headers: &'a http::HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| c.trim().strip_prefix(name)?.strip_prefix('='))
}

/// `uri` without the error parameters.
fn without_error(uri: &Uri) -> Uri {
    let kept: Vec<&str> =
        uri.query().unwrap_or_default().split('&').filter(|p| !(p.starts_with("__err=") || p.starts_with("__path="))).collect();
    let path_and_query =
        if kept.iter().all(|p| p.is_empty()) { uri.path().to_owned() } else { format!("{}?{}", uri.path(), kept.join("&")) };
    path_and_query.parse().unwrap_or_else(|_| Uri::from_static("/"))
}

/// Middleware: prove redirected errors for their browser; drop the ones this browser was not sent.
pub async fn only_own_url_errors(State(portal): State<Arc<Portal>>, req: Request, next: Next) -> Response {
    let secure = portal.config.secure_cookie;
    let name = cookie_name(secure);
    let mut shown = false;
    if let Some(err) = req.uri().query().and_then(|q| param(q, "__err")) {
        let proven = cookie(req.headers(), name).is_some_and(|proof| proof == digest(err));
        if proven {
            shown = true;
        } else {
            tracing::warn!(path = req.uri().path(), "a link carried an error this browser was not sent: not shown");
            let clean = without_error(req.uri()).to_string();
            let mut res = http::StatusCode::SEE_OTHER.into_response();
            if let Ok(v) = HeaderValue::from_str(&clean) {
                res.headers_mut().insert(LOCATION, v);
            }
            return res;
        }
    }
    let endpoint = req.uri().path().strip_prefix("/api/").map(str::to_owned);
    let at = req.uri().query().and_then(|q| param(q, "at")).filter(|id| app::paths::is_place(id)).map(str::to_owned);
    let mut res = next.run(req).await;
    if let Some(endpoint) = endpoint {
        to_answer(&mut res, &endpoint, at.as_deref());
    }
    let attrs = format!("Path=/; HttpOnly; SameSite=Strict{}", if secure { "; Secure" } else { "" });
    let redirected = res.headers().get(LOCATION).and_then(|l| l.to_str().ok()).and_then(|l| l.split_once('?')).and_then(|(_, q)| {
        let q = q.split('#').next().unwrap_or_default();
        param(q, "__err").map(digest)
    });
    let set = match redirected {
        Some(proof) => Some(format!("{name}={proof}; Max-Age={PROOF_SECS}; {attrs}")),
        // Shown once: the proof is spent.
        None if shown => Some(format!("{name}=; Max-Age=0; {attrs}")),
        None => None,
    };
    if let Some(v) = set.and_then(|v| HeaderValue::from_str(&v).ok()) {
        res.headers_mut().append(SET_COOKIE, v);
    }
    res
}

/// A redirect back to a page (a form's answer to `endpoint`), rewritten to say the answer: the
/// previous answer's `done`/`open` dropped, this one's added, and the place to land on.
fn to_answer(res: &mut Response, endpoint: &str, at: Option<&str>) {
    // A server function's own name for its success line (`app::ssr::answer_done`): for this rewrite
    // only, never sent to the browser.
    let named = res.headers_mut().remove(app::ssr::ANSWER_DONE_HEADER);
    if !res.status().is_redirection() {
        return;
    }
    let named = named.as_ref().and_then(|v| v.to_str().ok()).filter(|d| app::paths::is_place(d));
    let answered = res.headers().get(LOCATION).and_then(|l| l.to_str().ok()).and_then(|l| answer_location(l, endpoint, at, named));
    if let Some(v) = answered.and_then(|l| HeaderValue::from_str(&l).ok()) {
        res.headers_mut().insert(LOCATION, v);
    }
}

/// The page address a form's answer goes back to (see the module's documentation); `None` leaves the
/// redirect as it is (a form outside the map, or a redirect that already names a place).
fn answer_location(location: &str, endpoint: &str, at: Option<&str>, named: Option<&str>) -> Option<String> {
    if location.contains('#') {
        return None;
    }
    let place = at.or_else(|| app::paths::form_section(endpoint))?;
    let (path, query) = location.split_once('?').unwrap_or((location, ""));
    let mut kept: Vec<String> =
        query.split('&').filter(|p| !p.is_empty() && !p.starts_with("done=") && !p.starts_with("open=")).map(str::to_owned).collect();
    // Leptos appends a refusal's `__path`/`__err` to the page's address, which may still hold an
    // earlier refusal's: only the last is this answer's.
    let last = |name: &str| kept.iter().rev().find(|p| p.starts_with(name)).cloned();
    let (error_path, error) = (last("__path="), last("__err="));
    kept.retain(|p| !p.starts_with("__path=") && !p.starts_with("__err="));
    let refused = error.is_some();
    kept.extend(error_path.into_iter().chain(error));
    match (refused, at, named) {
        (true, Some(at), _) => kept.push(format!("open={at}")),
        (false, _, Some(named)) => kept.push(format!("done={named}")),
        (false, _, None) if app::paths::reports_done(endpoint) => kept.push(format!("done={}", at.unwrap_or(endpoint))),
        _ => {}
    }
    // Leptos leaves an empty query (`/admin?`) where it stripped an earlier error: not kept.
    Some(if kept.is_empty() { format!("{path}#{place}") } else { format!("{path}?{}#{place}", kept.join("&")) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_parameters_are_found_and_dropped() {
        assert_eq!(param("a=1&__err=abc%3D&__path=/api/x", "__err"), Some("abc%3D"));
        assert_eq!(param("x__err=1", "__err"), None);
        let uri: Uri = "/helpdesk?q=alice&__path=/api/x&__err=abc".parse().unwrap();
        assert_eq!(without_error(&uri), "/helpdesk?q=alice");
        assert_eq!(without_error(&"/?__err=abc".parse().unwrap()), "/");
    }

    #[test]
    fn an_answer_lands_on_its_place_and_says_what_happened() {
        // A form in the map, no place of its own: its section, as it came.
        assert_eq!(answer_location("/admin?", "set_key_exemption", None, None).as_deref(), Some("/admin#deadlines"));
        // A refusal of a row's form opens that row's form again; a success forgets the last answer.
        assert_eq!(
            answer_location("/?x=1&done=resync_mfa&__path=/api/remove_mfa&__err=e", "remove_mfa", Some("mfa-remove-p"), None).as_deref(),
            Some("/?x=1&__path=/api/remove_mfa&__err=e&open=mfa-remove-p#mfa-remove-p")
        );
        assert_eq!(answer_location("/?open=mfa-remove-p", "remove_mfa", Some("mfa-remove-p"), None).as_deref(), Some("/#mfa-remove-p"));
        // A refusal after a refusal: only the last one is in the answer.
        assert_eq!(
            answer_location("/?__path=/api/a&__err=1&__path=/api/confirm_password&__err=2", "confirm_password", Some("mfa"), None)
                .as_deref(),
            Some("/?__path=/api/confirm_password&__err=2&open=mfa#mfa")
        );
        // An endpoint that reports its success says so.
        assert_eq!(
            answer_location("/?open=x", "upload_signing_cert", None, None).as_deref(),
            Some("/?done=upload_signing_cert#signing-certificates")
        );
        // A success the server function named itself (a help-desk action filed for a second person):
        // that line, even for an endpoint that otherwise reports nothing; a refusal still opens the form.
        assert_eq!(
            answer_location("/helpdesk?q=alice", "helpdesk_set_key_status", Some("find-user"), Some("desk-requested")).as_deref(),
            Some("/helpdesk?q=alice&done=desk-requested#find-user")
        );
        assert_eq!(
            answer_location("/helpdesk?q=a&__path=/api/x&__err=e", "helpdesk_set_key_status", Some("find-user"), Some("desk-requested"))
                .as_deref(),
            Some("/helpdesk?q=a&__path=/api/x&__err=e&open=find-user#find-user")
        );
        // Outside the map and with no place: left alone; a place already named: left alone.
        assert_eq!(answer_location("/?done=resync_mfa", "get_my_credentials", None, None), None);
        assert_eq!(answer_location("/#top", "remove_mfa", Some("mfa"), None), None);
    }
}
