//! Server-only glue between the server functions and the server crate. The server implements [`Port`]
//! and provides it as context; its middleware resolves the session into a [`Principal`] stored in the
//! request's extensions. Server functions stay thin: find who is asking, call the port, return.

use crate::domain::Viewer;
use crate::error::AppError;
use http::request::Parts;
use leptos::prelude::*;
use std::sync::Arc;
use time::OffsetDateTime;

/// The authenticated caller of a request, as established by the server's session middleware.
#[derive(Debug, Clone)]
pub struct Principal {
    pub viewer: Viewer,
    /// When the portal password was last verified in this session (sign-in or step-up).
    pub authenticated_at: OffsetDateTime,
    /// Opaque id used to correlate audit records with one request.
    pub request_id: String,
    /// The random mark of this sign-in (not the session id): notices of changes made here start read.
    pub session_mark: Option<String>,
    /// How this session signed in (a provider's step-up happens there, a directory's asks its password).
    pub signed_in_with: crate::domain::SignedInWith,
    /// The person's entry, when the directory signed them in: their step-up binds as it.
    pub directory_dn: Option<String>,
    /// The groups the identity provider or directory named at sign-in (for the work roles they open).
    pub idp_groups: Vec<String>,
}

/// One request of a signed-in person, as every feature port receives it: the request (for the session,
/// headers and client address) and who is asking.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub req: Parts,
    pub who: Principal,
}

/// Answers read once per page render. Leptos may run a page's components more than once while
/// rendering it on the server (a `Transition` whose resource settles mid-render runs its children
/// again), and each run creates its resources anew. A read whose answer changes from one moment to the
/// next (the review's per-user details, arriving in the background) then renders one answer and
/// serialises another for hydration, and the browser's hydration panics on the difference. Such reads
/// go through [`RenderMemo::read`]: every run of one render gets the first answer.
#[derive(Clone, Default)]
pub struct RenderMemo(Arc<std::sync::Mutex<std::collections::HashMap<String, Arc<dyn std::any::Any + Send + Sync>>>>);

impl RenderMemo {
    /// `read`'s answer, taken once per render for `key` (the first answer stored wins; outside a page
    /// render — a server function called by the browser — it is simply read).
    pub async fn read<T, F>(key: String, read: F) -> T
    where
        T: Clone + Send + Sync + 'static,
        F: std::future::Future<Output = T>,
    {
        let Some(memo) = use_context::<RenderMemo>() else { return read.await };
        let stored = |memo: &RenderMemo| {
            memo.0.lock().ok().and_then(|m| m.get(&key).and_then(|v| v.clone().downcast::<T>().ok())).map(|v| (*v).clone())
        };
        if let Some(v) = stored(&memo) {
            return v;
        }
        let fresh = read.await;
        if let Ok(mut m) = memo.0.lock() {
            m.entry(key.clone()).or_insert_with(|| Arc::new(fresh.clone()));
        }
        stored(&memo).unwrap_or(fresh)
    }
}

/// A programming error (the server forgot to provide something): logged under a fresh incident id.
pub fn incident(what: &str) -> AppError {
    let incident = uuid::Uuid::new_v4().simple().to_string()[..12].to_owned();
    tracing::error!(incident = %incident, "{what} missing from the request context");
    AppError::Internal { incident }
}

// Each helper below goes through `respond`, so a server function may use `?` on it and still answer
// with the right status code.

/// The signed-in caller's request context, or `NotSignedIn` (401).
pub fn ctx() -> Result<Ctx, AppError> {
    Ok(Ctx { req: request()?, who: principal()? })
}

pub fn request() -> Result<Parts, AppError> {
    respond(use_context::<Parts>().ok_or_else(|| incident("request parts")))
}

/// The signed-in caller, or `NotSignedIn` (401).
pub fn principal() -> Result<Principal, AppError> {
    respond(request()?.extensions.get::<Principal>().cloned().ok_or(AppError::NotSignedIn))
}

/// Finish a server function: an error sets the matching HTTP status on the response. Plain HTML form
/// posts (no JavaScript) are left alone: Leptos answers them with a 302 back to the form, carrying the
/// error in the URL, and a 4xx status would stop the browser from following it.
pub fn respond<T>(result: Result<T, AppError>) -> Result<T, AppError> {
    if let Err(e) = &result {
        let html_form_post = use_context::<Parts>().is_some_and(|p| {
            p.method == http::Method::POST
                && p.headers.get(http::header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|a| a.contains("text/html"))
        });
        if let (false, Some(res)) = (html_form_post, use_context::<leptos_axum::ResponseOptions>()) {
            res.set_status(e.status());
        }
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::future::Future;
    use std::task::{Context, Poll, Waker};

    /// The answer of a future that is ready at once (the reads below are).
    fn now<T>(f: impl Future<Output = T>) -> T {
        match std::pin::pin!(f).poll(&mut Context::from_waker(Waker::noop())) {
            Poll::Ready(v) => v,
            Poll::Pending => unreachable!("these reads are ready at once"),
        }
    }

    #[test]
    fn every_run_of_one_render_gets_the_first_answer() {
        Owner::new().with(|| {
            provide_context(RenderMemo::default());
            assert_eq!(now(RenderMemo::read("review".into(), async { "3 of 9" })), "3 of 9");
            assert_eq!(now(RenderMemo::read("review".into(), async { "8 of 9" })), "3 of 9", "a second run renders the first answer");
            assert_eq!(now(RenderMemo::read("other".into(), async { "x" })), "x");
        });
        let outside = Owner::new().with(|| now(RenderMemo::read("review".into(), async { "9 of 9" })));
        assert_eq!(outside, "9 of 9", "another request (or a server-function call) reads afresh");
    }
}
