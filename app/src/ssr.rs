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

/// Reads done once per page render. Leptos may run a page's components more than once while
/// rendering it on the server (a `Transition` whose resource settles mid-render runs its children
/// again), and each run creates its resources anew. Without this, each run read the database again,
/// often while the previous run's reads were still going (the credentials page made 20 to 64 round
/// trips instead of 20), and a read whose answer changes from one moment to the next (the review's
/// per-user details, arriving in the background) rendered one answer and serialised another for
/// hydration, which the browser's hydration panics on. Page reads go through [`RenderMemo::read`]:
/// the first run starts the read, and every run of the render, concurrent or later, awaits that one.
#[derive(Clone, Default)]
pub struct RenderMemo(Arc<std::sync::Mutex<std::collections::HashMap<String, Arc<dyn std::any::Any + Send + Sync>>>>);

type SharedRead<T> = futures::future::Shared<futures::future::BoxFuture<'static, T>>;

impl RenderMemo {
    /// `read`'s answer, read once per render for `key` (which names the read and its arguments); outside
    /// a page render (a server function called by the browser) it is simply read.
    pub async fn read<T, F>(key: String, read: F) -> T
    where
        T: Clone + Send + Sync + 'static,
        F: std::future::Future<Output = T> + Send + 'static,
    {
        use futures::FutureExt;
        let Some(memo) = use_context::<RenderMemo>() else { return read.await };
        let shared = {
            let mut reads = memo.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            match reads.get(&key).and_then(|r| r.clone().downcast::<SharedRead<T>>().ok()) {
                Some(started) => (*started).clone(),
                None => {
                    let started: SharedRead<T> = read.boxed().shared();
                    reads.insert(key, Arc::new(started.clone()));
                    started
                }
            }
        };
        shared.await
    }
}

/// A page's read through the server's port, once per render (see [`RenderMemo`]), for the signed-in
/// caller: `key` names the read and its arguments.
pub async fn page_read<T, F, Fut>(key: impl Into<String>, read: F) -> Result<T, AppError>
where
    T: Clone + Send + Sync + 'static,
    F: FnOnce(Arc<dyn crate::api::Port>, Ctx) -> Fut,
    Fut: std::future::Future<Output = Result<T, AppError>> + Send + 'static,
{
    let (port, cx) = (crate::api::port()?, ctx()?);
    respond(RenderMemo::read(key.into(), read(port, cx)).await)
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

/// The header by which a server function names the fixed line its answer's page shows
/// (`server/src/url_errors.rs` turns it into `done=<place>` and does not send it on).
pub const ANSWER_DONE_HEADER: &str = "x-keydesk-done";

/// Name the fixed success line (`done=<place>`) of this answer's page, for an outcome the endpoint alone
/// does not tell (a help-desk action filed for a second person rather than done).
pub fn answer_done(place: &'static str) {
    if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
        res.insert_header(http::HeaderName::from_static(ANSWER_DONE_HEADER), http::HeaderValue::from_static(place));
    }
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

    #[test]
    fn concurrent_runs_of_one_render_share_one_read() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        Owner::new().with(|| {
            provide_context(RenderMemo::default());
            let reads = Arc::new(AtomicUsize::new(0));
            let (gate_tx, gate_rx) = futures::channel::oneshot::channel::<()>();
            let counted = |answer: &'static str, gate: Option<futures::channel::oneshot::Receiver<()>>| {
                let reads = reads.clone();
                async move {
                    reads.fetch_add(1, Ordering::SeqCst);
                    if let Some(gate) = gate {
                        let _ = gate.await;
                    }
                    answer
                }
            };
            // The first run's read is still under way when the second run asks.
            let mut first = Box::pin(RenderMemo::read("credentials".into(), counted("first", Some(gate_rx))));
            let mut second = Box::pin(RenderMemo::read("credentials".into(), counted("second", None)));
            let mut cx = Context::from_waker(Waker::noop());
            assert!(first.as_mut().poll(&mut cx).is_pending());
            assert!(second.as_mut().poll(&mut cx).is_pending(), "the second run waits for the first run's read");
            gate_tx.send(()).unwrap();
            assert_eq!(second.as_mut().poll(&mut cx), Poll::Ready("first"));
            assert_eq!(first.as_mut().poll(&mut cx), Poll::Ready("first"));
            assert_eq!(reads.load(Ordering::SeqCst), 1, "one read for both runs");
        });
    }
}
