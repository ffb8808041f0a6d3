//! Sign-in against an LDAP directory, as the pages see it (the security goals G31–G33 hold the
//! refusals): the sign-in page's form, a directory person's pages, and one with no IAM user.

use crate::support::ldap::{self, Slapd};
use crate::support::*;
use app::domain::Role;
use http::StatusCode;

async fn app_on(dir: &Slapd) -> TestApp {
    let args = dir.args();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    TestApp::with(Backend::Sqlite, &args).await
}

async fn directory_sign_in(app: &TestApp, login: &str) -> String {
    let r = app.server_fn(None, "directory_sign_in", &[("username", login), ("password", ldap::PASSWORD)]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.session_cookie().unwrap()
}

#[tokio::test]
async fn the_sign_in_page_asks_for_the_directory_account_and_posts_without_javascript() {
    let Some(dir) = Slapd::start().await else { return };
    let app = app_on(&dir).await;
    let page = app.get(None, "/sign-in").await;
    assert!(page.body.contains("Sign in with your company account"), "the directory named");
    assert!(page.body.contains("/api/directory_sign_in"), "the form posts to the directory's server function");
    assert!(page.body.contains("Break-glass sign-in"), "administrators' break-glass is linked");
    // A plain form post (no JavaScript): a wrong password comes back to the page with the error; the
    // right one lands signed in on the credentials page.
    let post = |password: &'static str| {
        page_form_request(None, "/api/directory_sign_in", "http://127.0.0.1:3000/sign-in", &[("username", "erin"), ("password", password)])
    };
    let wrong = app.send(post("nope")).await;
    assert!(wrong.location().is_some_and(|l| l.contains("__err=")), "the error is carried back: {:?}", wrong.location());
    assert!(wrong.session_cookie().is_none());
    let right = app.send(post(ldap::PASSWORD)).await;
    assert_eq!(right.location(), Some("/"));
    assert!(right.session_cookie().is_some());
}

#[tokio::test]
async fn a_directory_person_has_no_keydesk_password_and_steps_up_with_the_directorys() {
    let Some(dir) = Slapd::start().await else { return };
    let app = app_on(&dir).await;
    app.add_account("dave", Role::Admin).await;
    let erin = directory_sign_in(&app, "erin").await;
    let activity = app.get(Some(&erin), "/activity").await;
    assert!(!activity.body.contains("Change your keydesk password"), "no keydesk password to change");
    // Someone with a keydesk password still has the card.
    let dave = app.sign_in("dave", PASSWORD).await.unwrap();
    assert!(app.get(Some(&dave), "/activity").await.body.contains("Change your keydesk password"));
    let frame: app::domain::Frame = serde_json::from_str(&app.server_fn(Some(&erin), "get_frame", &[]).await.body).unwrap();
    assert_eq!(frame.signed_in_with, app::domain::SignedInWith::Directory, "the step-up dialog asks for the directory password");
    assert_eq!(frame.sign_in.directory.as_deref(), Some("your company account"));
}

#[tokio::test]
async fn a_directory_person_with_no_iam_user_is_told_so() {
    let Some(dir) = Slapd::start().await else { return };
    let app = app_on(&dir).await;
    let zoe = directory_sign_in(&app, "zoe").await;
    let r = app.server_fn(Some(&zoe), "get_my_credentials", &[]).await;
    assert_eq!(r.app_error(), app::error::AppError::NoIamUser { user: "zoe".into() });
    assert!(app.get(Some(&zoe), "/").await.body.contains("You have no IAM user"));
}

/// A work role offered to a directory group: the directory's members get it (the group named by its
/// common name or its DN), nobody else does, and an issuance works through it.
#[tokio::test]
async fn work_roles_follow_the_directorys_groups() {
    use app::domain::temporary::{MyWorkRoles, WorkRole, WorkRoleCatalogue};
    let Some(dir) = Slapd::start().await else { return };
    let app = app_on(&dir).await;
    let iam = app.portal.embedded.clone().unwrap();
    let support = iam.create_role("SupportTools", 3600, server::iam::embedded::RoleTrust::Keydesk).await.unwrap();
    let admins = iam.create_role("IamAdmins", 3600, server::iam::embedded::RoleTrust::Keydesk).await.unwrap();
    let role = |id: &str, arn: &str, group: String| WorkRole {
        id: id.into(),
        role_arn: arn.into(),
        display_name: id.into(),
        max_session_secs: 3600,
        idp_groups: vec![group],
        ..Default::default()
    };
    let catalogue = WorkRoleCatalogue {
        roles: vec![role("support-tools", &support, "Support".into()), role("iam-admin", &admins, ldap::group_dn("iam-admins"))],
        identity_center: None,
    };
    let doc = serde_json::to_string(&catalogue).unwrap();
    app.portal.db.put_setting(server::portal::temporary::CATALOGUE, &doc, start_time(), "test").await.unwrap();
    let offered = |cookie: String| {
        let app = &app;
        async move {
            let r = app.server_fn(Some(&cookie), "get_my_work_roles", &[]).await;
            let mine: MyWorkRoles = serde_json::from_str(&r.body).unwrap();
            mine.offers.into_iter().map(|o| o.id).collect::<Vec<_>>()
        }
    };
    assert_eq!(offered(directory_sign_in(&app, "frank").await).await, ["support-tools"], "frank is in support");
    assert_eq!(offered(directory_sign_in(&app, "grace").await).await, ["iam-admin"], "grace's group named by its DN");
    assert!(offered(directory_sign_in(&app, "erin").await).await.is_empty(), "erin is in neither");
    let frank = directory_sign_in(&app, "frank").await;
    let r = app.server_fn(Some(&frank), "issue_temporary_credentials", &[("role", "support-tools"), ("duration_secs", "900")]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("assumed-role/SupportTools/keydesk-frank"), "{}", r.body);
    let erin = directory_sign_in(&app, "erin").await;
    let r = app.server_fn(Some(&erin), "issue_temporary_credentials", &[("role", "support-tools"), ("duration_secs", "900")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
}
