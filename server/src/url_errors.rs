//! Errors in page URLs only for the browser they were made for (review L3). A form posted without
//! JavaScript that fails is redirected back with the error in the query (`?__path=…&__err=…`, Leptos'
//! progressive enhancement), and the page shows it in its error box. Anyone could write such a link
//! with text of their choosing and send it to a colleague: keydesk's own page would show it. So the
//! redirect that carries an error also sets a short-lived, same-site cookie holding the error's digest,
//! and a page request shows an error only when that cookie proves this browser was sent it; otherwise
//! the browser is sent to the same page without the error parameters (a redirect rather than a quiet
//! rewrite, because the hydrated page reads them from the browser's address too).
//!
//! The same redirect lands on the form's own section of the page (`app::paths::form_section`).

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
    let section = req.uri().path().strip_prefix("/api/").and_then(app::paths::form_section);
    let mut res = next.run(req).await;
    if let Some(section) = section {
        to_section(&mut res, section);
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

/// A redirect back to a page (a form's answer) that lands on `section` of it, unless it already names
/// a place on the page.
fn to_section(res: &mut Response, section: &str) {
    if !res.status().is_redirection() {
        return;
    }
    // Leptos leaves an empty query (`/admin?`) where it stripped an earlier error: not kept.
    let landed = res
        .headers()
        .get(LOCATION)
        .and_then(|l| l.to_str().ok())
        .filter(|l| !l.contains('#'))
        .map(|l| format!("{}#{section}", l.strip_suffix('?').unwrap_or(l)));
    if let Some(v) = landed.and_then(|l| HeaderValue::from_str(&l).ok()) {
        res.headers_mut().insert(LOCATION, v);
    }
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
}
