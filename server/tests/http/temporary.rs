//! Temporary credentials for work roles, through the server functions: the roles a person may use,
//! an issuance (audited with its access key id, never the secret) and every refusal.

use crate::support::*;
use app::domain::temporary::{IssuedSession, MyWorkRoles, WorkRole, WorkRoleCatalogue};
use app::domain::Role;
use app::error::AppError;
use http::StatusCode;
use server::iam::embedded::RoleTrust;

fn entry(id: &str, arn: &str, max: u32, everyone: bool, group: Option<&str>, sensitive: bool) -> WorkRole {
    WorkRole {
        id: id.into(),
        role_arn: arn.into(),
        display_name: format!("{id} role"),
        account_alias: "corp-test".into(),
        max_session_secs: max,
        portal_roles: if everyone { vec![Role::Employee] } else { vec![] },
        iam_groups: group.map(|g| vec![g.to_owned()]).unwrap_or_default(),
        sensitive,
        session_policy: None,
        ..Default::default()
    }
}

/// An app whose IAM has three roles (one not trusting keydesk) and whose catalogue offers them.
async fn app_with_roles() -> TestApp {
    let app = TestApp::new().await;
    let iam = app.portal.embedded.clone().unwrap();
    let read_only = iam.create_role("ReadOnly", 4 * 3600, RoleTrust::Keydesk).await.unwrap();
    let billing = iam.create_role("BillingAdmin", 3600, RoleTrust::Keydesk).await.unwrap();
    let broken = iam.create_role("Untrusting", 3600, RoleTrust::Others).await.unwrap();
    let catalogue = WorkRoleCatalogue {
        roles: vec![
            entry("read-only", &read_only, 4 * 3600, true, None, false),
            entry("billing", &billing, 3600, false, Some("finance"), true),
            entry("broken", &broken, 3600, true, None, false),
        ],
        identity_center: None,
    };
    let doc = serde_json::to_string(&catalogue).unwrap();
    app.portal.db.put_setting(server::portal::temporary::CATALOGUE, &doc, start_time(), "test").await.unwrap();
    app
}

async fn issue(app: &TestApp, cookie: &str, role: &str, secs: &str, reason: Option<&str>) -> Reply {
    let mut form = vec![("role", role), ("duration_secs", secs)];
    if let Some(r) = reason {
        form.push(("reason", r));
    }
    app.server_fn(Some(cookie), "issue_temporary_credentials", &form).await
}

#[tokio::test]
async fn an_employee_gets_a_session_of_a_role_they_may_use_once() {
    let app = app_with_roles().await;
    app.add_account("alice", Role::Employee).await;
    let alice = app.sign_in("alice", PASSWORD).await.unwrap();
    let offers = serde_json::from_str::<MyWorkRoles>(&app.server_fn(Some(&alice), "get_my_work_roles", &[]).await.body).unwrap().offers;
    let ids: Vec<&str> = offers.iter().map(|o| o.id.as_str()).collect();
    assert_eq!(ids, ["read-only", "broken"], "billing is for the finance group only");
    assert_eq!(offers[0].durations, vec![900, 1800, 3600, 7200, 10800, 14400]);
    let r = issue(&app, &alice, "read-only", "3600", None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.header("cache-control"), Some("no-store"));
    let issued: IssuedSession = serde_json::from_str(&r.body).unwrap();
    let c = &issued.credentials;
    assert!(c.access_key_id.starts_with("ASIA"));
    assert!(c.assumed_role_arn.ends_with(":assumed-role/ReadOnly/keydesk-alice"), "{}", c.assumed_role_arn);
    use server::clock::Clock;
    assert_eq!(c.expiration, app.clock.now() + time::Duration::hours(1));
    // The audit names the session by its access key id, never by its secret or token.
    let rows: Vec<(String, Option<String>, Option<String>)> =
        sqlx::query_as("SELECT outcome, subject, detail FROM audit_events WHERE action = 'temporary.issue' ORDER BY id")
            .fetch_all(&app.portal.db.pool)
            .await
            .unwrap();
    let last = rows.last().unwrap();
    assert_eq!(last.0, "success");
    assert!(last.2.as_deref().unwrap().contains(&format!("access_key_id={}", c.access_key_id)), "{last:?}");
    let everything = format!("{rows:?}");
    assert!(!everything.contains(c.secret_access_key.expose()) && !everything.contains(c.session_token.expose()));
}

#[tokio::test]
async fn refusals_issue_nothing() {
    let app = app_with_roles().await;
    app.add_account("alice", Role::Employee).await;
    app.add_account("frank", Role::Employee).await;
    app.portal.embedded.clone().unwrap().add_user_to_group(&app::domain::IamUserName::parse("frank").unwrap(), "finance").await.unwrap();
    let alice = app.sign_in("alice", PASSWORD).await.unwrap();
    // A role the person may not use: 403, nothing assumed.
    let not_hers = issue(&app, &alice, "billing", "900", Some("month end")).await;
    assert_eq!(not_hers.status, StatusCode::FORBIDDEN, "{}", not_hers.body);
    assert_eq!(audit_trail(&app, "temporary.issue").await.len(), 0, "nothing was even attempted");
    // Over the role's maximum, and under 15 minutes.
    let long = issue(&app, &alice, "read-only", "18000", None).await;
    assert!(matches!(long.app_error(), AppError::InvalidInput { ref field, .. } if field == "duration_secs"), "{}", long.body);
    assert_eq!(issue(&app, &alice, "read-only", "60", None).await.status, StatusCode::UNPROCESSABLE_ENTITY);
    // The role's trust policy does not admit keydesk: the message says what to fix.
    let broken = issue(&app, &alice, "broken", "900", None).await;
    assert_eq!(broken.status, StatusCode::FORBIDDEN);
    assert!(broken.body.contains("trust policy") && broken.body.contains("sts:SetSourceIdentity"), "{}", broken.body);
    // A sensitive role asks for a reason.
    let frank = app.sign_in("frank", PASSWORD).await.unwrap();
    let no_reason = issue(&app, &frank, "billing", "900", None).await;
    assert!(matches!(no_reason.app_error(), AppError::InvalidInput { ref field, .. } if field == "reason"));
    let with_reason = issue(&app, &frank, "billing", "900", Some("closing the month (ticket #42)")).await;
    assert_eq!(with_reason.status, StatusCode::OK, "{}", with_reason.body);
    // After the step-up window, the action asks for the password again.
    app.clock.advance(time::Duration::minutes(11));
    assert_eq!(issue(&app, &alice, "read-only", "900", None).await.app_error(), AppError::ReauthRequired);
}

#[tokio::test]
async fn a_person_with_no_iam_user_still_gets_the_roles_everyone_may_use() {
    let app = app_with_roles().await;
    app.add_account_acting_for("zoe", Role::Employee, "zoe").await;
    let zoe = app.sign_in("zoe", PASSWORD).await.unwrap();
    let offers = serde_json::from_str::<MyWorkRoles>(&app.server_fn(Some(&zoe), "get_my_work_roles", &[]).await.body).unwrap().offers;
    assert_eq!(offers.iter().map(|o| o.id.as_str()).collect::<Vec<_>>(), ["read-only", "broken"]);
    let r = issue(&app, &zoe, "read-only", "900", None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
}

#[tokio::test]
async fn without_javascript_the_answer_is_the_one_time_page() {
    let app = app_with_roles().await;
    app.add_account("alice", Role::Employee).await;
    let alice = app.sign_in("alice", PASSWORD).await.unwrap();
    let path = app::paths::NEW_TEMPORARY_PATH;
    let page = app.post_form(Some(&alice), path, &[("role", "read-only"), ("duration_secs", "3600")]).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.header("cache-control"), Some("no-store"));
    let id_at = page.body.find("temp-key-id").expect("the session's id field");
    assert!(page.body[id_at..].chars().take(80).collect::<String>().contains(">ASIA"), "the session's id is on the page");
    assert!(page.body.contains("export AWS_SESSION_TOKEN="), "with its formats");
    // Past the step-up window the page asks for the password, keeping the request, then issues.
    app.clock.advance(time::Duration::minutes(11));
    let ask = app.post_form(Some(&alice), path, &[("role", "read-only"), ("duration_secs", "900")]).await;
    assert!(ask.body.contains("Confirm your password to get the credentials") && ask.body.contains("value=\"900\""), "{}", ask.status);
    let wrong = app.post_form(Some(&alice), path, &[("role", "read-only"), ("duration_secs", "900"), ("password", "nope")]).await;
    assert!(wrong.body.contains("That password is not correct."));
    let issued = app.post_form(Some(&alice), path, &[("role", "read-only"), ("duration_secs", "900"), ("password", PASSWORD)]).await;
    assert!(issued.body.contains("for 15 minutes"), "{}", issued.status);
    // The step-up gave the session a new id.
    let alice = issued.session_cookie().expect("a new session id after the password check");
    // A refusal is shown on the page with its status; a GET shows nothing.
    let refused = app.post_form(Some(&alice), path, &[("role", "billing"), ("duration_secs", "900")]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(app.get(Some(&alice), path).await.body.contains("Nothing to show"));
}

/// The catalogue as an administrator reads it.
async fn catalogue(app: &TestApp, cookie: &str) -> WorkRoleCatalogue {
    let r = app.server_fn(Some(cookie), "get_work_role_catalogue", &[]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    serde_json::from_str(&r.body).unwrap()
}

/// The audit details of `action`'s outcomes, oldest first.
async fn outcomes(app: &TestApp, action: &str) -> Vec<(String, String)> {
    sqlx::query_as::<_, (String, Option<String>)>(
        "SELECT outcome, detail FROM audit_events WHERE action = $1 AND outcome <> 'pending' ORDER BY id",
    )
    .bind(action)
    .fetch_all(&app.portal.db.pool)
    .await
    .unwrap()
    .into_iter()
    .map(|(o, d)| (o, d.unwrap_or_default()))
    .collect()
}

#[tokio::test]
async fn only_freshly_authenticated_admins_edit_the_catalogue_audited_before_and_after() {
    let (app, dave, alice) = admin_and_employee().await;
    let arn = app.portal.embedded.clone().unwrap().create_role("Developer", 4 * 3600, RoleTrust::Keydesk).await.unwrap();
    let form = |max: &'static str| {
        vec![
            ("original", String::new()),
            ("id", "developer".to_owned()),
            ("role_arn", arn.clone()),
            ("display_name", "Developer".to_owned()),
            ("max_session_secs", max.to_owned()),
            ("iam_groups", "developers".to_owned()),
            ("for_admin", "on".to_owned()),
        ]
    };
    let f = form("14400");
    // Not an administrator, or not signed in: nothing read or saved.
    for name in ["get_work_role_catalogue", "save_work_role"] {
        let r = app.server_fn(Some(&alice), name, &borrowed(&f)).await;
        assert_eq!((r.status, r.app_error()), (StatusCode::FORBIDDEN, AppError::Forbidden), "{name}");
    }
    assert_eq!(app.server_fn(None, "save_work_role", &borrowed(&f)).await.status, StatusCode::UNAUTHORIZED);
    // Bad input, by field.
    let mut bad = form("14400");
    bad[2].1 = "arn:aws:iam::123:user/x".into();
    let r = app.server_fn(Some(&dave), "save_work_role", &borrowed(&bad)).await;
    assert!(matches!(r.app_error(), AppError::InvalidInput { ref field, .. } if field == "role_arn"), "{}", r.body);
    // Added, then changed: each audited with the entry before and after.
    let r = app.server_fn(Some(&dave), "save_work_role", &borrowed(&f)).await;
    assert_eq!(serde_json::from_str::<Vec<String>>(&r.body).unwrap(), ["Added Developer"], "{}", r.body);
    let again = app.server_fn(Some(&dave), "save_work_role", &borrowed(&f)).await;
    assert!(matches!(again.app_error(), AppError::InvalidInput { ref field, .. } if field == "id"), "a second role of that name");
    let mut edit = form("3600");
    edit[0].1 = "developer".into();
    let r = app.server_fn(Some(&dave), "save_work_role", &borrowed(&edit)).await;
    assert_eq!(serde_json::from_str::<Vec<String>>(&r.body).unwrap(), ["Saved Developer: maximum session"]);
    let same = app.server_fn(Some(&dave), "save_work_role", &borrowed(&edit)).await;
    assert_eq!(serde_json::from_str::<Vec<String>>(&same.body).unwrap(), Vec::<String>::new(), "nothing changed, nothing audited");
    let c = catalogue(&app, &dave).await;
    assert_eq!((c.roles.len(), c.roles[0].max_session_secs, c.roles[0].portal_roles.clone()), (1, 3600, vec![Role::Admin]));
    let mut first = c.roles[0].clone();
    first.max_session_secs = 14400;
    let added = outcomes(&app, "admin.work_roles.add").await;
    assert_eq!((added.len(), added[0].0.as_str()), (1, "success"));
    assert!(added[0].1.ends_with(&format!("added: {}", first.describe())), "{added:?}");
    let updated = outcomes(&app, "admin.work_roles.update").await;
    assert_eq!(updated.len(), 1);
    assert!(
        updated[0].1.contains("max=14400s") && updated[0].1.contains("; after: developer ") && updated[0].1.contains("max=3600s"),
        "{updated:?}"
    );
    // The catalogue's change reaches the people at once: dave (an administrator) is offered it.
    let mine: MyWorkRoles = serde_json::from_str(&app.server_fn(Some(&dave), "get_my_work_roles", &[]).await.body).unwrap();
    assert_eq!(mine.offers.iter().map(|o| o.id.as_str()).collect::<Vec<_>>(), ["developer"]);

    // Past the step-up window: the password first, nothing saved.
    app.clock.advance(time::Duration::minutes(11));
    let r = app.server_fn(Some(&dave), "remove_work_role", &[("id", "developer"), ("confirm", "on")]).await;
    assert_eq!(r.app_error(), AppError::ReauthRequired);
    let dave = app.sign_in("dave", PASSWORD).await.unwrap();
    let unconfirmed = app.server_fn(Some(&dave), "remove_work_role", &[("id", "developer")]).await;
    assert!(matches!(unconfirmed.app_error(), AppError::InvalidInput { ref field, .. } if field == "confirm"));
    let r = app.server_fn(Some(&dave), "remove_work_role", &[("id", "developer"), ("confirm", "on")]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(catalogue(&app, &dave).await.roles.is_empty());
    let removed = outcomes(&app, "admin.work_roles.remove").await;
    assert!(removed[0].1.contains("before: developer arn=") && removed[0].1.ends_with("after: (none)"), "{removed:?}");
    let gone = app.server_fn(Some(&dave), "remove_work_role", &[("id", "developer"), ("confirm", "on")]).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn identity_center_gives_people_the_config_aws_configure_sso_writes() {
    let (app, dave, alice) = admin_and_employee().await;
    offer_read_only(&app).await;
    let set = |url: &'static str, region: &'static str| vec![("start_url", url), ("region", region), ("session_name", "corp")];
    let bad = app.server_fn(Some(&dave), "save_identity_center", &set("http://d-1.awsapps.com/start", "eu-west-1")).await;
    assert!(matches!(bad.app_error(), AppError::InvalidInput { ref field, .. } if field == "start_url"), "{}", bad.body);
    assert_eq!(app.server_fn(Some(&alice), "save_identity_center", &set("", "")).await.status, StatusCode::FORBIDDEN);
    let ok = app.server_fn(Some(&dave), "save_identity_center", &set("https://d-1234567890.awsapps.com/start", "eu-west-1")).await;
    assert_eq!(ok.body, "true", "{}", ok.body);
    // Only roles with an account id and a permission set get a profile: none yet.
    let mine = || {
        let (app, alice) = (&app, alice.clone());
        async move { serde_json::from_str::<MyWorkRoles>(&app.server_fn(Some(&alice), "get_my_work_roles", &[]).await.body).unwrap() }
    };
    assert_eq!(mine().await.identity_center, None);
    let c = catalogue(&app, &dave).await;
    let mut input = app::domain::work_roles::WorkRoleInput::from_role(&c.roles[0]);
    input.sso_account_id = "111122223333".into();
    input.sso_role_name = "ReadOnlyAccess".into();
    let f = [
        ("original", "read-only".to_owned()),
        ("id", input.id),
        ("role_arn", input.role_arn),
        ("display_name", input.display_name),
        ("max_session_secs", input.max_session_secs),
        ("for_employee", "on".to_owned()),
        ("sso_account_id", input.sso_account_id),
        ("sso_role_name", input.sso_role_name),
    ];
    let r = app.server_fn(Some(&dave), "save_work_role", &borrowed(&f)).await;
    assert_eq!(serde_json::from_str::<Vec<String>>(&r.body).unwrap(), ["Saved Read-only: Identity Center"], "{}", r.body);
    let setup = mine().await.identity_center.expect("the config, now that a role names its permission set");
    assert!(setup.config.starts_with("[sso-session corp]\nsso_start_url = https://d-1234567890.awsapps.com/start\n"), "{}", setup.config);
    assert!(setup
        .config
        .contains("[profile read-only]\nsso_session = corp\nsso_account_id = 111122223333\nsso_role_name = ReadOnlyAccess\n"));
    assert_eq!(setup.login, "aws sso login --profile read-only");
    let audited = outcomes(&app, "admin.identity_center.update").await;
    assert!(audited[0].1.ends_with("before: (none); after: https://d-1234567890.awsapps.com/start eu-west-1 session=corp"), "{audited:?}");
}

#[tokio::test]
async fn my_activity_lists_live_sessions_and_the_review_counts_issuances() {
    let (app, dave, alice) = admin_and_employee().await;
    offer_read_only(&app).await;
    let mut ids = Vec::new();
    for secs in ["900", "3600"] {
        let r = issue(&app, &alice, "read-only", secs, None).await;
        ids.push(serde_json::from_str::<IssuedSession>(&r.body).unwrap().credentials.access_key_id);
    }
    let activity = |cookie: String| {
        let app = &app;
        async move {
            let r = app.server_fn(Some(&cookie), "get_activity", &[]).await;
            serde_json::from_str::<app::api::activity::ActivityView>(&r.body).unwrap().temporary_sessions
        }
    };
    let live = activity(alice.clone()).await;
    assert_eq!(live.iter().map(|s| s.access_key_id.clone()).collect::<Vec<_>>(), [ids[1].clone(), ids[0].clone()], "newest first");
    assert_eq!(live[0].role, "Read-only");
    assert!(activity(dave.clone()).await.is_empty(), "only one's own sessions");
    let page = app.get(Some(&alice), "/activity").await;
    assert!(page.body.contains("My temporary sessions") && page.body.contains(&ids[0]), "rendered on the server");
    // The review counts per role and person; for administrators only.
    let r = app.server_fn(Some(&dave), "get_temporary_issuance", &[]).await;
    let counts: Vec<app::domain::temporary::IssuanceCount> = serde_json::from_str(&r.body).unwrap();
    assert_eq!(counts.iter().map(|c| (c.role_id.as_str(), c.person.as_str(), c.issued)).collect::<Vec<_>>(), [("read-only", "alice", 2)]);
    assert_eq!(app.server_fn(Some(&alice), "get_temporary_issuance", &[]).await.status, StatusCode::FORBIDDEN);
    // Past the first session's end only the second is listed; past both, none.
    app.clock.advance(time::Duration::minutes(16));
    assert_eq!(activity(alice.clone()).await.len(), 1);
    // (A new sign-in: an hour without a request ends a session.)
    app.clock.advance(time::Duration::hours(1));
    assert!(activity(app.sign_in("alice", PASSWORD).await.unwrap()).await.is_empty());
    let dave = app.sign_in("dave", PASSWORD).await.unwrap();
    assert_eq!(app.server_fn(Some(&dave), "get_temporary_issuance", &[]).await.body.matches("\"issued\":2").count(), 1, "still counted");
}

#[tokio::test]
async fn the_help_desk_revokes_a_persons_sessions_by_a_pasted_key_and_the_deny_goes_when_it_can() {
    use app::domain::temporary::{RevokeOutcome, TemporaryCase};
    use server::iam::revocation::POLICY_NAME;
    use server::iam::{Caller, IamBackend};
    let (app, _dave, alice) = admin_and_employee().await;
    offer_read_only(&app).await;
    app.add_account("bob", Role::Employee).await;
    app.add_account("carol", Role::Helpdesk).await;
    let (bob, carol) = (app.sign_in("bob", PASSWORD).await.unwrap(), app.sign_in("carol", PASSWORD).await.unwrap());
    let key = |r: Reply| serde_json::from_str::<IssuedSession>(&r.body).unwrap().credentials.access_key_id;
    let alices = key(issue(&app, &alice, "read-only", "3600", None).await);
    let bobs = key(issue(&app, &bob, "read-only", "3600", None).await);
    let iam = app.portal.embedded.clone().unwrap();
    iam.authorize_session(&alices).await.expect("a fresh session works");

    // The pasted key opens the case: whose session, which role.
    let case = app.server_fn(Some(&carol), "helpdesk_temporary_case", &[("query", &alices)]).await;
    let case: TemporaryCase = serde_json::from_str(&case.body).unwrap();
    assert_eq!((case.person.as_str(), case.found.as_ref().map(|s| s.role.as_str())), ("alice", Some("Read-only")));
    assert_eq!(case.roles.len(), 1);
    let role_arn = case.roles[0].0.clone();
    let unknown = app.server_fn(Some(&carol), "helpdesk_temporary_case", &[("query", "ASIAZZZZZZZZZZZZZZZZ")]).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert!(unknown.body.contains("CloudTrail"), "{}", unknown.body);
    assert_eq!(app.server_fn(Some(&alice), "helpdesk_temporary_case", &[("query", &alices)]).await.status, StatusCode::FORBIDDEN);

    // A reason is required; then the deny is in place for alice's earlier sessions only.
    let revoke = |reason: &'static str| {
        let (app, carol) = (&app, carol.clone());
        async move {
            app.server_fn(Some(&carol), "helpdesk_revoke_temporary", &[("person", "alice"), ("role", "all"), ("reason", reason)]).await
        }
    };
    assert!(matches!(revoke("").await.app_error(), AppError::InvalidInput { ref field, .. } if field == "reason"));
    let done: RevokeOutcome = serde_json::from_str(&revoke("laptop stolen, ticket 4711").await.body).unwrap();
    assert_eq!((done.revoked, done.failed), (vec!["Read-only".to_owned()], vec![]));
    assert!(matches!(iam.authorize_session(&alices).await, Err(server::iam::IamError::AccessDenied(m)) if m.contains("explicit deny")));
    iam.authorize_session(&bobs).await.expect("bob's session is not alice's");
    app.clock.advance(time::Duration::seconds(1));
    let alice = app.sign_in("alice", PASSWORD).await.unwrap();
    let after = key(issue(&app, &alice, "read-only", "900", None).await);
    iam.authorize_session(&after).await.expect("credentials issued after the revocation work");
    // Safe to repeat: still one statement for alice, now covering the newer session too.
    app.clock.advance(time::Duration::seconds(1));
    let carol = app.sign_in("carol", PASSWORD).await.unwrap();
    let again = app
        .server_fn(
            Some(&carol),
            "helpdesk_revoke_temporary",
            &[("person", "alice"), ("role", &role_arn), ("reason", "the same laptop, again")],
        )
        .await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.body);
    let doc = iam.role_policy(&Caller::keydesk(), &role_arn, POLICY_NAME).await.unwrap().unwrap();
    assert_eq!(server::iam::revocation::parse(&doc).len(), 1, "{doc}");
    assert!(iam.authorize_session(&after).await.is_err());
    let audited = outcomes(&app, "helpdesk.temporary.revoke").await;
    assert_eq!(audited.len(), 2);
    assert!(audited.iter().all(|(o, d)| o == "success" && d.contains("person=alice")), "{audited:?}");
    // Nothing to revoke for someone with no live session.
    let none =
        app.server_fn(Some(&carol), "helpdesk_revoke_temporary", &[("person", "dave"), ("role", "all"), ("reason", "just in case")]).await;
    assert_eq!(none.status, StatusCode::NOT_FOUND);

    // Once the longest session it could match has expired, the sweep removes the deny.
    assert_eq!(app.portal.sweep_revocations().await.unwrap(), 0, "too early");
    assert!(iam.role_policy(&Caller::keydesk(), &role_arn, POLICY_NAME).await.unwrap().is_some());
    app.clock.advance(time::Duration::hours(12) + time::Duration::minutes(1));
    assert_eq!(app.portal.sweep_revocations().await.unwrap(), 1);
    assert_eq!(iam.role_policy(&Caller::keydesk(), &role_arn, POLICY_NAME).await.unwrap(), None, "role policies never fill up");
    assert_eq!(app.portal.sweep_revocations().await.unwrap(), 0, "nothing left to sweep");
}

#[tokio::test]
async fn the_key_wizard_points_to_temporary_credentials_only_for_people_who_may_use_a_role() {
    let (app, _dave, alice) = admin_and_employee().await;
    let before = app.get(Some(&alice), "/").await;
    assert!(!before.body.contains("temporary-instead"), "no role to offer: no pointer");
    offer_read_only(&app).await;
    let page = app.get(Some(&alice), "/").await;
    let at = page.body.find("data-testid=\"temporary-instead\"").expect("the pointer, rendered on the server");
    let pointer: String = page.body[at..].chars().take(400).collect::<String>().replace("<!---->", "").replace("<!>", "");
    assert!(pointer.contains("You may use Read-only"), "with the roles: {pointer}");
    assert_eq!(page.body.matches("data-testid=\"temporary-instead\"").count(), 2, "for the CLI and for local code");
}

#[tokio::test]
async fn sts_throttled_or_down_follows_the_rules_of_every_call() {
    use std::sync::atomic::Ordering;
    let (app, _dave, alice) = admin_and_employee().await;
    offer_read_only(&app).await;
    let faults = app.portal.embedded.as_ref().unwrap().faults();
    faults.throttle_percent.store(100, Ordering::SeqCst);
    let r = issue(&app, &alice, "read-only", "900", None).await;
    assert_eq!((r.status, r.app_error()), (StatusCode::TOO_MANY_REQUESTS, AppError::IamBusy), "retryable, never a 5xx");
    faults.throttle_percent.store(0, Ordering::SeqCst);
    faults.unavailable.store(true, Ordering::SeqCst);
    let r = issue(&app, &alice, "read-only", "900", None).await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{}", r.body);
    faults.unavailable.store(false, Ordering::SeqCst);
    let failed: Vec<(String, String)> = outcomes(&app, "temporary.issue").await;
    assert_eq!(failed.len(), 2);
    assert!(failed.iter().all(|(o, _)| o == "failure"), "each attempt audited as failed: {failed:?}");
    assert!(serde_json::from_str::<app::api::activity::ActivityView>(&app.server_fn(Some(&alice), "get_activity", &[]).await.body)
        .unwrap()
        .temporary_sessions
        .is_empty());
    assert_eq!(issue(&app, &alice, "read-only", "900", None).await.status, StatusCode::OK, "and it works again");
}

/// Two administrators saving different roles at once both land: the catalogue is one document, read,
/// changed and written under its lease, so neither save overwrites the other's.
#[tokio::test]
async fn concurrent_catalogue_saves_are_not_lost() {
    let (app, dave, _alice) = admin_and_employee().await;
    let forms: Vec<Vec<(&str, String)>> = (0..8)
        .map(|i| {
            vec![
                ("id", format!("role-{i}")),
                ("role_arn", format!("arn:aws:iam::123456789012:role/Role{i}")),
                ("display_name", format!("Role {i}")),
                ("max_session_secs", "3600".to_owned()),
                ("for_employee", "on".to_owned()),
            ]
        })
        .collect();
    let saves = forms.iter().map(|f| {
        let (app, dave) = (&app, dave.clone());
        async move { app.server_fn(Some(&dave), "save_work_role", &borrowed(f)).await }
    });
    for r in futures::future::join_all(saves).await {
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    }
    let mut ids: Vec<String> = catalogue(&app, &dave).await.roles.into_iter().map(|r| r.id).collect();
    ids.sort();
    assert_eq!(ids, (0..8).map(|i| format!("role-{i}")).collect::<Vec<_>>(), "every save kept");
}
