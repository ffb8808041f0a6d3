//! Server-rendered pages: redirects, role gating with real status codes, 404, health probes, headers.

use crate::support::*;
use app::domain::Role;
use http::StatusCode;

#[tokio::test]
async fn anonymous_visitors_are_sent_to_sign_in() {
    let app = TestApp::new().await;
    for path in ["/", "/admin", "/helpdesk"] {
        let r = app.get(None, path).await;
        assert_eq!(r.status, StatusCode::FOUND, "{path}");
        assert_eq!(r.location(), Some("/sign-in"), "{path}");
    }
    let r = app.get(None, "/sign-in").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("Sign in to keydesk"));
    assert!(r.body.contains(r#"name="password""#));
}

#[tokio::test]
async fn pages_are_gated_by_role_with_real_status_codes() {
    let app = TestApp::new().await;
    app.add_account("alice", Role::Employee).await;
    app.add_account("carol", Role::Helpdesk).await;
    app.add_account("dave", Role::Admin).await;
    let alice = app.sign_in("alice", PASSWORD).await.unwrap();
    let carol = app.sign_in("carol", PASSWORD).await.unwrap();
    let dave = app.sign_in("dave", PASSWORD).await.unwrap();

    let r = app.get(Some(&alice), "/").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("My security credentials"));
    assert!(r.body.contains("alice (test)"), "the header names the viewer");
    assert!(r.body.contains("Local IAM — demo data"), "embedded backend shows the badge");
    assert!(!r.body.contains(r#"href="/admin""#), "no admin link for employees");

    for (cookie, path, status) in [
        (&alice, "/admin", StatusCode::FORBIDDEN),
        (&alice, "/helpdesk", StatusCode::FORBIDDEN),
        (&carol, "/admin", StatusCode::FORBIDDEN),
        (&carol, "/helpdesk", StatusCode::OK),
        (&dave, "/admin", StatusCode::OK),
        (&dave, "/helpdesk", StatusCode::FORBIDDEN),
    ] {
        let r = app.get(Some(cookie), path).await;
        assert_eq!(r.status, status, "{path}");
    }
    let admin = app.get(Some(&dave), "/admin").await;
    assert!(admin.body.contains("Portal accounts") && admin.body.contains("carol (test)"));

    let r = app.get(Some(&alice), "/sign-in").await;
    assert_eq!((r.status, r.location()), (StatusCode::FOUND, Some("/")), "signed-in users skip the sign-in page");
}

#[tokio::test]
async fn unknown_paths_get_a_404_page() {
    let app = TestApp::new().await;
    let r = app.get(None, "/no/such/page").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.body.contains("Page not found"));
}

#[tokio::test]
async fn health_and_readiness() {
    let app = TestApp::new().await;
    let r = app.get(None, "/healthz").await;
    assert_eq!((r.status, r.body.as_str()), (StatusCode::OK, "ok"));
    let r = app.get(None, "/readyz").await;
    assert_eq!((r.status, r.body.as_str()), (StatusCode::OK, "ready"));
    app.portal.db.pool.close().await;
    let r = app.get(None, "/readyz").await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let app = TestApp::new().await;
    app.add_account("alice", Role::Employee).await;
    let cookie = app.sign_in("alice", PASSWORD).await.unwrap();
    let page = app.get(Some(&cookie), "/").await;
    let api = app.server_fn(Some(&cookie), "get_frame", &[]).await;
    let health = app.get(None, "/healthz").await;
    for r in [&page, &api, &health] {
        assert_eq!(r.headers["x-content-type-options"], "nosniff");
        assert_eq!(r.headers["referrer-policy"], "same-origin");
        assert_eq!(r.headers["x-frame-options"], "DENY");
        assert!(r.headers["strict-transport-security"].to_str().unwrap().starts_with("max-age="));
        assert!(r.headers.contains_key("permissions-policy"));
        assert_eq!(r.headers["x-request-id"].len(), 32);
    }
    assert_eq!(api.headers["cache-control"], "no-store");
    assert_eq!(page.headers["cache-control"], "no-cache, private");
}

#[tokio::test]
async fn request_ids_from_untrusted_clients_are_replaced() {
    let app = TestApp::new().await;
    let req = http::Request::get("/healthz").header("x-request-id", "attacker-chosen").body(axum::body::Body::empty()).unwrap();
    let r = app.send(req).await;
    assert_ne!(r.headers["x-request-id"], "attacker-chosen");
}
