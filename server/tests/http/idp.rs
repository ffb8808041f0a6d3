//! Sign-in through an identity provider, as the pages see it: break-glass sign-ins shown to every
//! administrator, and people whose identity maps to no IAM user.

use crate::support::idp::FakeIdp;
use crate::support::*;
use app::domain::Role;
use http::StatusCode;

async fn app_with(idp: &FakeIdp) -> TestApp {
    let args = idp.args();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    TestApp::with(Backend::Sqlite, &args).await
}

#[tokio::test]
async fn break_glass_sign_ins_are_shown_to_every_administrator() {
    let idp = FakeIdp::start().await;
    let app = app_with(&idp).await;
    app.add_account("dave", Role::Admin).await;
    app.add_account("erin", Role::Admin).await;
    app.add_account("alice", Role::Employee).await;
    // An employee's correct password is refused on the break-glass path, and recorded.
    let refused = app.sign_in("alice", PASSWORD).await.unwrap_err();
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
    assert!(refused.body.contains("break-glass sign-in only"), "{}", refused.body);
    let dave = app.sign_in("dave", PASSWORD).await.unwrap();
    // Another administrator (here through the provider... or break-glass too) sees both.
    let erin = app.sign_in("erin", PASSWORD).await.unwrap();
    for cookie in [&dave, &erin] {
        let r = app.server_fn(Some(cookie), "list_break_glass_sign_ins", &[]).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let uses: Vec<app::api::admin::BreakGlassUse> = serde_json::from_str(&r.body).unwrap();
        let seen: Vec<(Option<&str>, bool)> = uses.iter().map(|u| (u.user.as_deref(), u.succeeded)).collect();
        assert_eq!(seen, vec![(Some("erin"), true), (Some("dave"), true), (Some("alice"), false)]);
    }
    let page = app.get(Some(&dave), "/admin").await;
    assert!(page.body.contains("Break-glass sign-ins in the last 30 days"), "the admin page shows them");
    // Employees never see the list.
    let ana = idp.sign_in(&app, "sub-ana", "ana", &["staff"]).await.unwrap();
    assert_eq!(app.server_fn(Some(&ana), "list_break_glass_sign_ins", &[]).await.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn without_a_provider_keydesk_passwords_are_no_break_glass() {
    let app = TestApp::new().await;
    app.add_account("dave", Role::Admin).await;
    let dave = app.sign_in("dave", PASSWORD).await.unwrap();
    let r = app.server_fn(Some(&dave), "list_break_glass_sign_ins", &[]).await;
    assert_eq!(r.body, "[]");
}

#[tokio::test]
async fn a_person_with_no_iam_user_is_told_so() {
    let idp = FakeIdp::start().await;
    let app = app_with(&idp).await;
    let zoe = idp.sign_in(&app, "sub-zoe", "zoe", &["staff"]).await.unwrap();
    let r = app.server_fn(Some(&zoe), "get_my_credentials", &[]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.app_error(), app::error::AppError::NoIamUser { user: "zoe".into() });
    let page = app.get(Some(&zoe), "/").await;
    assert!(page.body.contains("You have no IAM user"), "the page explains it");
    assert!(page.body.contains("aws configure sso"), "and what to do instead");
}

#[tokio::test]
async fn groups_can_come_from_the_userinfo_endpoint() {
    let idp = FakeIdp::start().await;
    let mut args = idp.args();
    args.extend(["--oidc-groups-source".to_owned(), "userinfo".to_owned()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let app = TestApp::with(Backend::Sqlite, &args).await;
    // The ID token says staff; userinfo (the source configured) says admins.
    idp.with(|i| i.userinfo = Some(serde_json::json!({"sub": "sub-ana", "groups": ["admins"]})));
    let ana = idp.sign_in(&app, "sub-ana", "ana", &["staff"]).await.unwrap();
    let frame: app::domain::Frame = serde_json::from_str(&app.server_fn(Some(&ana), "get_frame", &[]).await.body).unwrap();
    assert_eq!(frame.viewer.unwrap().role, Role::Admin);
    // Another subject's userinfo is refused; so is a userinfo without groups (no mapped group).
    idp.with(|i| i.userinfo = Some(serde_json::json!({"sub": "sub-mallory", "groups": ["admins"]})));
    let other = idp.sign_in(&app, "sub-ana", "ana", &["staff"]).await.unwrap_err();
    assert!(other.body.contains("names another subject"), "{}", other.body);
    idp.with(|i| i.userinfo = Some(serde_json::json!({"sub": "sub-ana"})));
    let none = idp.sign_in(&app, "sub-ana", "ana", &["admins"]).await.unwrap_err();
    assert!(none.body.contains("none of your groups"), "the ID token's groups do not count: {}", none.body);
}

/// The provider's dashboard tile (`initiate_login_uri`): a fresh attempt, back on the page it names
/// when that page is keydesk's; another issuer, or another site's page, is not followed.
#[tokio::test]
async fn a_dashboard_tile_starts_a_fresh_sign_in() {
    let idp = FakeIdp::start().await;
    let app = app_with(&idp).await;
    let other = app.get(None, "/auth/oidc/start?iss=https%3A%2F%2Fevil.example").await;
    assert_eq!(other.status, StatusCode::BAD_REQUEST);
    let target = crate::support::urlencode("http://127.0.0.1:3000/activity");
    let flow =
        idp.begin(&app, &format!("/auth/oidc/start?iss={}&target_link_uri={target}", crate::support::urlencode(&idp.issuer)), None).await;
    let now = {
        use server::clock::Clock;
        app.clock.now().unix_timestamp()
    };
    idp.issue(&idp.claims("sub-ana", "ana", &["staff"], flow.nonce(), now));
    let back = idp.callback(&app, &flow.attempt, &[("code", "c"), ("state", flow.state()), ("iss", &idp.issuer)]).await;
    assert_eq!(back.status, StatusCode::OK);
    let done = app.get(Some(&flow.attempt), "/auth/oidc/finish").await;
    assert_eq!(done.location(), Some("/activity"));
    // Another site's page is never a destination.
    let evil = crate::support::urlencode("https://evil.example/phish");
    let flow = idp.begin(&app, &format!("/auth/oidc/start?target_link_uri={evil}"), None).await;
    idp.issue(&idp.claims("sub-ana", "ana", &["staff"], flow.nonce(), now));
    idp.callback(&app, &flow.attempt, &[("code", "c"), ("state", flow.state()), ("iss", &idp.issuer)]).await;
    let done = app.get(Some(&flow.attempt), "/auth/oidc/finish").await;
    assert_eq!(done.location(), Some("/"));
}

#[test]
fn only_local_paths_are_returned_to() {
    use server::oidc::flow::local_path;
    for (given, kept) in [
        (Some("/activity?x=1"), "/activity?x=1"),
        (Some("//evil.example/x"), "/"),
        (Some("/\\evil.example"), "/"),
        (Some("https://evil.example/"), "/"),
        (Some("/a\nb"), "/"),
        (None, "/"),
    ] {
        assert_eq!(local_path(given), kept, "{given:?}");
    }
}

/// Signing out without JavaScript is a form post whose answer redirects to the provider's logout
/// endpoint; browsers hold every redirect of a form's submission to `form-action`, which allowed only
/// keydesk and so refused it. Pages now name the provider's origin there, and nothing else is opened.
#[tokio::test]
async fn the_sign_out_form_may_continue_to_the_provider_and_nowhere_else() {
    let idp = FakeIdp::start().await;
    let app = app_with(&idp).await;
    let origin = idp.issuer.trim_end_matches('/').split('/').take(3).collect::<Vec<_>>().join("/");
    for path in ["/sign-in", "/no-such-page"] {
        let r = app.get(None, path).await;
        let csp = r.headers["content-security-policy"].to_str().unwrap().to_owned();
        let form_action = csp.split(';').map(str::trim).find(|d| d.starts_with("form-action")).unwrap_or_else(|| panic!("{csp}"));
        assert_eq!(form_action, format!("form-action 'self' {origin}"), "{path}: {csp}");
    }
    // Without a provider, keydesk alone.
    let plain = TestApp::with(Backend::Sqlite, &[]).await;
    let csp = plain.get(None, "/sign-in").await.headers["content-security-policy"].to_str().unwrap().to_owned();
    assert!(csp.ends_with("form-action 'self'"), "{csp}");
}
