//! Several keydesk routers on several Tokio runtimes in one process: the in-process stall.
//!
//! Cause: building a router generates Leptos's route list, and while any thread does that,
//! `leptos_server` sets a process-wide flag (`SuppressResourceLoad`) that makes every resource whose
//! fetch starts anywhere in the process await `std::future::pending()` for ever. A page rendered on
//! another runtime at that moment never finished: a lost wake-up with nothing pending but timers.
//! keydesk now generates the route list once per process (`server::http::router`), so no page can be
//! rendered while it is generated. These tests stalled within seconds before that change.

use crate::support::{TestApp, PASSWORD};
use app::domain::Role;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Sign in on a fresh keydesk on this thread's own runtime and render pages `rounds` times; each page
/// must answer within 10 s (a render takes milliseconds).
fn render_on_own_runtime(n: usize, rounds: usize) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async move {
        let app = TestApp::new().await;
        let user = format!("user{n}");
        app.add_account(&user, Role::Employee).await;
        let cookie = app.sign_in(&user, PASSWORD).await.unwrap();
        for round in 0..rounds {
            for path in ["/", "/activity", "/access-keys/new"] {
                let req = http::Request::get(path)
                    .header(http::header::ACCEPT, "text/html")
                    .header(http::header::COOKIE, &cookie)
                    .body(axum::body::Body::empty())
                    .unwrap();
                let res = tokio::time::timeout(Duration::from_secs(10), tower::ServiceExt::oneshot(app.router.clone(), req))
                    .await
                    .unwrap_or_else(|_| panic!("runtime {n}, round {round}: GET {path} stalled"))
                    .unwrap();
                assert!(res.status().is_success(), "runtime {n}, round {round}: GET {path} answered {}", res.status());
            }
        }
    });
}

/// Pages render on four runtimes while a fifth thread keeps building routers (what parallel tests do).
#[test]
fn pages_render_while_other_routers_are_built() {
    let stop = Arc::new(AtomicBool::new(false));
    let builder = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            rt.block_on(async move {
                let app = TestApp::new().await;
                let mut built = 0;
                while !stop.load(Ordering::SeqCst) || built == 0 {
                    let options = server::http::leptos_options(&app.dir.path().to_string_lossy(), "127.0.0.1:3000".parse().unwrap());
                    let _ = server::http::router(server::http::AppState { leptos_options: options, portal: app.portal.clone() });
                    built += 1;
                }
                built
            })
        })
    };
    let renderers: Vec<_> = (0..4).map(|n| std::thread::spawn(move || render_on_own_runtime(n, 15))).collect();
    let outcomes: Vec<_> = renderers.into_iter().map(std::thread::JoinHandle::join).collect();
    stop.store(true, Ordering::SeqCst);
    let built = builder.join().unwrap();
    assert!(built > 0);
    for outcome in outcomes {
        outcome.unwrap();
    }
}

/// Runtimes that come and go, as `#[tokio::test]`s do: each builds its keydesk, renders, and ends.
#[test]
fn pages_render_on_runtimes_that_come_and_go() {
    let threads: Vec<_> = (0..4).map(|n| std::thread::spawn(move || (0..5).for_each(|k| render_on_own_runtime(n * 100 + k, 2)))).collect();
    for t in threads {
        t.join().unwrap();
    }
}
