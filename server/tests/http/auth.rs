//! Sign-in, sessions, timeouts, sign-out, role gating and cross-site refusal.

use crate::support::*;
use app::domain::{Frame, Role};
use app::error::AppError;
use http::StatusCode;

async fn frame(app: &TestApp, cookie: &str) -> Frame {
    let r = app.server_fn(Some(cookie), "get_frame", &[]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    serde_json::from_str(&r.body).unwrap()
}

#[tokio::test]
async fn sign_in_sets_a_hardened_session_cookie_on_every_database() {
    for db in databases() {
        let app = TestApp::with(db, &[]).await;
        app.add_account("alice", Role::Employee).await;
        let r = app.server_fn(None, "sign_in", &[("username", "Alice"), ("password", PASSWORD)]).await;
        assert_eq!(r.status, StatusCode::OK, "{db:?}: {}", r.body);
        let set = r.set_cookie_headers().join("\n");
        assert!(set.starts_with("__Host-keydesk="), "{set}");
        for attr in ["HttpOnly", "SameSite=Strict", "Secure", "Path=/"] {
            assert!(set.contains(attr), "{db:?}: missing {attr} in {set}");
        }
        assert!(!set.contains("Domain"), "{set}");
        let cookie = r.session_cookie().unwrap();
        let f = frame(&app, &cookie).await;
        assert_eq!(f.viewer.unwrap().user.as_str(), "alice", "{db:?}");
    }
}

#[tokio::test]
async fn every_sign_in_failure_gives_the_same_answer() {
    for db in databases() {
        let app = TestApp::with(db, &[]).await;
        app.add_account("alice", Role::Employee).await;
        let wrong_pw = app.sign_in("alice", "not-the-password").await.unwrap_err();
        let unknown = app.sign_in("mallory", PASSWORD).await.unwrap_err();
        let malformed = app.sign_in("bad name!", PASSWORD).await.unwrap_err();
        for r in [&wrong_pw, &unknown, &malformed] {
            assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{db:?}");
            assert_eq!(r.app_error(), AppError::SignInFailed);
            assert_eq!(r.body, wrong_pw.body);
            assert!(r.session_cookie().is_none(), "a failed sign-in must not start a session");
        }
    }
}

#[tokio::test]
async fn disabling_an_account_refuses_sign_in_and_ends_its_sessions() {
    let app = TestApp::new().await;
    app.add_account("alice", Role::Employee).await;
    let cookie = app.sign_in("alice", PASSWORD).await.unwrap();
    let alice = app::domain::PortalUserName::parse("alice").unwrap();
    app.portal.db.set_disabled(&alice, true, start_time()).await.unwrap();
    assert!(frame(&app, &cookie).await.viewer.is_none());
    assert_eq!(app.sign_in("alice", PASSWORD).await.unwrap_err().app_error(), AppError::SignInFailed);
}

#[tokio::test]
async fn admin_functions_are_gated_by_role() {
    let app = TestApp::new().await;
    app.add_account("alice", Role::Employee).await;
    app.add_account("carol", Role::Helpdesk).await;
    app.add_account("dave", Role::Admin).await;
    let anon = app.server_fn(None, "list_portal_accounts", &[]).await;
    assert_eq!(anon.status, StatusCode::UNAUTHORIZED);
    assert_eq!(anon.app_error(), AppError::NotSignedIn);
    for who in ["alice", "carol"] {
        let c = app.sign_in(who, PASSWORD).await.unwrap();
        let r = app.server_fn(Some(&c), "list_portal_accounts", &[]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{who}");
        assert_eq!(r.app_error(), AppError::Forbidden);
    }
    let c = app.sign_in("dave", PASSWORD).await.unwrap();
    let r = app.server_fn(Some(&c), "list_portal_accounts", &[]).await;
    assert_eq!(r.status, StatusCode::OK);
    let rows: Vec<app::api::admin::PortalAccountSummary> = serde_json::from_str(&r.body).unwrap();
    assert_eq!(rows.iter().map(|r| r.user.as_str()).collect::<Vec<_>>(), ["alice", "carol", "dave"]);
    assert!(!r.body.contains("argon2"), "no hash may leave the server");
}

#[tokio::test]
async fn cross_site_posts_are_refused_and_change_nothing() {
    let app = TestApp::new().await;
    app.add_account("alice", Role::Employee).await;
    let form = format!("username=alice&password={}", urlencode(PASSWORD));
    for (name, value) in [("sec-fetch-site", "cross-site"), ("sec-fetch-site", "same-site"), ("origin", "https://evil.example")] {
        let req = http::Request::post("/api/sign_in")
            .header(http::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(name, value)
            .body(axum::body::Body::from(form.clone()))
            .unwrap();
        let r = app.send(req).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{name}: {value}");
        assert_eq!(r.app_error(), AppError::CrossSite);
        assert!(r.session_cookie().is_none());
    }
    let audit: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_events").fetch_one(&app.portal.db.pool).await.unwrap();
    assert_eq!(audit, 0, "a refused request never reaches the portal");
}

#[tokio::test]
async fn sign_ins_are_audited_and_the_audit_log_is_append_only() {
    for db in databases() {
        let app = TestApp::with(db, &[]).await;
        app.add_account("alice", Role::Employee).await;
        let _ = app.sign_in("alice", "wrong-password-here").await;
        let _ = app.sign_in("alice", PASSWORD).await.unwrap();
        let rows: Vec<(String, String)> =
            sqlx::query_as("SELECT action, outcome FROM audit_events ORDER BY id").fetch_all(&app.portal.db.pool).await.unwrap();
        assert_eq!(rows, [("portal.sign_in".into(), "failure".into()), ("portal.sign_in".into(), "success".into())]);
        let pool = &app.portal.db.pool;
        assert!(sqlx::query("UPDATE audit_events SET outcome = 'success'").execute(pool).await.is_err(), "{db:?}");
        assert!(sqlx::query("DELETE FROM audit_events").execute(pool).await.is_err(), "{db:?}");
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_events").fetch_one(pool).await.unwrap();
        assert_eq!(n, 2);
    }
}

/// Review L3: an error in a page link shows only in the browser keydesk redirected it to. A crafted
/// `?__err=` (attacker's words in keydesk's own error box) is dropped with a redirect to the clean
/// page; the real error of a JavaScript-free sign-in still shows.
#[tokio::test]
async fn errors_in_links_show_only_for_their_own_browser() {
    use base64::Engine as _;
    let app = TestApp::new().await;
    app.add_account("alice", Role::Employee).await;
    let lure = app::error::AppError::invalid("password", "Your account is locked: call +1 555 0100 and read your password to us");
    let forged = base64::engine::general_purpose::URL_SAFE.encode(serde_json::to_string(&lure).unwrap());
    let r = app.get(None, &format!("/sign-in?__path=/api/sign_in&__err={forged}")).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body.chars().take(200).collect::<String>());
    assert_eq!(r.location(), Some("/sign-in"));
    assert!(!r.body.contains("555 0100"));

    // A real failure, posted without JavaScript: redirected with its error and the proof.
    let form = [("username", "alice"), ("password", "wrong-password-1")];
    let post = app.send(page_form_request(None, "/api/sign_in", "http://127.0.0.1:3000/sign-in", &form)).await;
    let location = post.location().expect("redirected back").to_owned();
    assert!(location.contains("__err="), "{location}");
    let proof = post
        .set_cookie_headers()
        .into_iter()
        .find(|c| c.starts_with("keydesk-err=") || c.starts_with("__Host-keydesk-err="))
        .map(|c| c.split(';').next().unwrap().to_owned())
        .expect("a proof cookie");
    let path = location.trim_start_matches("http://127.0.0.1:3000");
    let shown = app.get(Some(&proof), path).await;
    assert_eq!(shown.status, StatusCode::OK);
    assert!(shown.body.contains("The user name or password is incorrect."), "the real error is shown");
    // The same link without the proof (another browser) is not.
    assert_eq!(app.get(None, path).await.status, StatusCode::SEE_OTHER);
}
