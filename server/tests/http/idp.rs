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
