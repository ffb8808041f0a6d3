//! The headers every answer carries: the Content-Security-Policy (a nonce per page), HSTS and the
//! rest, the refusal of cross-site requests, and the strict page keydesk answers when a render lost
//! its policy.

use super::*;
use crate::portal::Portal;
use app::error::AppError;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::{header, HeaderValue, Method, StatusCode};
use leptos::prelude::*;
use std::sync::Arc;

/// Only keydesk's own stylesheet; no script at all.
pub(super) const UNAVAILABLE_CSP: &str =
    "default-src 'none'; style-src 'self'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

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
pub(super) fn plain_page(status: StatusCode, heading: &str, message: &str) -> Response {
    notice_page(status, heading, message, ("", "Try again"), false)
}

/// [`plain_page`] with its own link (`href`, label); with `follow`, the browser follows the link at
/// once (a `<meta>` refresh: no script, so the strict policy holds and JavaScript may be off). The
/// heading, message and link are escaped.
pub(crate) fn notice_page(status: StatusCode, heading: &str, message: &str, link: (&str, &str), follow: bool) -> Response {
    let css = STYLESHEET.get().map(String::as_str).unwrap_or("/pkg/keydesk.css");
    let (heading, message, href, label) = (escape(heading), escape(message), escape(link.0), escape(link.1));
    let refresh = if follow { format!(r#"<meta http-equiv="refresh" content="0;url={href}">"#) } else { String::new() };
    let page = format!(
        r#"<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">{refresh}<title>keydesk — {heading}</title><link rel="stylesheet" href="{css}"></head><body class="min-h-screen bg-slate-50 text-slate-900"><main class="mx-auto max-w-md px-4 py-16"><div class="rounded-xl border border-slate-200 bg-white p-6 shadow-sm"><h1 class="text-lg font-semibold">{heading}</h1><p class="mt-2 text-sm text-slate-700" data-testid="notice-message">{message}</p><a href="{href}" class="mt-4 inline-block rounded-md bg-indigo-600 px-3 py-1.5 text-sm font-semibold text-white shadow-sm hover:bg-indigo-500 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600">{label}</a></div></main></body></html>"#
    );
    let headers = [(header::CACHE_CONTROL, "no-store"), (header::CONTENT_SECURITY_POLICY, UNAVAILABLE_CSP)];
    (status, headers, axum::response::Html(page)).into_response()
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}

/// A page whose nonce policy went missing: the policy rebuilt from the nonce on its own scripts (the
/// only nonce the browser will check), or, when none is found, the error page below. A `<script`
/// cannot come from text keydesk renders (`<` is escaped there), so the first `<script nonce="…">` is
/// keydesk's own.
pub(super) async fn with_recovered_policy(res: Response, path: &str, incident: &str, provider_origin: Option<&str>) -> Response {
    let (mut parts, body) = res.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 16 * 1024 * 1024).await else {
        return page_without_policy(path, incident);
    };
    match script_nonce(&bytes) {
        Some(nonce) => {
            tracing::warn!(path, incident, "a page was rendered without its Content-Security-Policy; rebuilt from its script nonce");
            match HeaderValue::from_str(&page_csp(nonce, provider_origin)) {
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
pub(super) fn script_nonce(html: &[u8]) -> Option<&str> {
    const MARK: &[u8] = b"<script nonce=\"";
    let start = html.windows(MARK.len()).position(|w| w == MARK)? + MARK.len();
    let len = html[start..].iter().position(|b| *b == b'"')?;
    let nonce = std::str::from_utf8(&html[start..start + len]).ok()?;
    (!nonce.is_empty() && nonce.len() <= 128 && nonce.bytes().all(|b| b.is_ascii_alphanumeric() || b"+/=_-".contains(&b))).then_some(nonce)
}

/// The answer instead of a page that was rendered without its nonce policy: such a page never goes
/// out without a policy (review, CSP gap). 500 with the incident id people quote.
pub(super) fn page_without_policy(path: &str, incident: &str) -> Response {
    tracing::error!(path, incident, "a page was rendered without its Content-Security-Policy; answered with an error page instead");
    plain_page(
        StatusCode::INTERNAL_SERVER_ERROR,
        "This page could not be shown safely",
        &format!("keydesk refused to send this page without its security policy. Try again; if it happens again, tell your administrators incident {}.", incident.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-').collect::<String>()),
    )
}

/// The Content-Security-Policy of a rendered page (SECURITY.md G17): scripts only from keydesk itself
/// or inline with this response's nonce (Leptos puts it on its hydration and resource scripts), WASM
/// may compile, no inline styles or event handlers, no plugins, no framing, no `<base>`, forms post
/// only to keydesk — and, when people sign in through an identity provider, may continue there:
/// signing out posts a form whose answer redirects to the provider's logout endpoint, and browsers
/// hold every redirect of a form's submission to `form-action`.
pub fn page_csp(nonce: &str, provider_origin: Option<&str>) -> String {
    let provider = provider_origin.map(|o| format!(" {o}")).unwrap_or_default();
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self'; \
         connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'{provider}"
    )
}

/// Everything that is not a rendered page (server functions, CSVs, assets, probes) may load nothing.
pub const DEFAULT_CSP: &str = "default-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'";

/// Give the page being rendered a fresh nonce and send the policy that names it.
pub(super) fn page_csp_with_nonce(provider_origin: Option<&str>) {
    // Server functions share this context but answer JSON: they keep the policy that allows nothing.
    if use_context::<http::request::Parts>().is_some_and(|p| p.uri.path().starts_with("/api/")) {
        return;
    }
    leptos::nonce::provide_nonce();
    if let (Some(nonce), Some(res)) = (leptos::nonce::use_nonce(), use_context::<leptos_axum::ResponseOptions>()) {
        if let Ok(v) = HeaderValue::from_str(&page_csp(&nonce, provider_origin)) {
            res.insert_header(header::CONTENT_SECURITY_POLICY, v);
        }
    }
}

/// Headers on every response. Server-function answers may carry a one-time secret, so they are never
/// stored; pages are revalidated. `Referrer-Policy: same-origin` (not `no-referrer`) because forms that
/// post without JavaScript are sent back to the page they came from using the same-origin Referer.
pub(super) async fn security_headers(State(portal): State<Arc<Portal>>, req: Request, next: Next) -> Response {
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
    if is_asset && found {
        // Sent compressed as the browser asked (a file the build compressed, or compressed for the wire):
        // a shared cache must key on the encoding.
        h.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    }
    if !res.headers().contains_key(header::CONTENT_SECURITY_POLICY) {
        // A page rendered without its nonce policy (seen in Chromium on /admin, /activity and /helpdesk
        // when the render's context ran twice; cause inside the render not found): it never goes out
        // without one.
        return with_recovered_policy(res, &path, &incident, portal.provider_origin().as_deref()).await;
    }
    res
}

/// Refuse state-changing requests that a browser marks as coming from another site (Fetch Metadata
/// first, `Origin` as the fallback; leptos server functions have no CSRF protection of their own).
/// Requests with neither header come from non-browser clients, which cannot ride a user's cookie.
pub(super) async fn refuse_cross_site(State(portal): State<Arc<Portal>>, req: Request, next: Next) -> Response {
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
