//! Creating access keys: step-up, the one-time secret, per-user serialisation, audit intent, and the
//! reconciliation of lost responses.

use crate::support::*;
use app::domain::{CreatedAccessKey, Role};
use app::error::AppError;
use http::StatusCode;

async fn audit(app: &TestApp) -> Vec<(String, String)> {
    audit_trail(app, "access_key.").await
}

#[tokio::test]
async fn creating_a_key_needs_a_recent_password_confirmation_which_rotates_the_session() {
    let app = TestApp::new().await;
    app.add_account("alice", Role::Employee).await;
    let cookie = app.sign_in("alice", PASSWORD).await.unwrap();
    app.clock.advance(time::Duration::minutes(11));
    let r = app.server_fn(Some(&cookie), "create_access_key", &[]).await;
    assert_eq!((r.status, r.app_error()), (StatusCode::UNAUTHORIZED, AppError::ReauthRequired));
    assert_eq!(keys_of(&app, "alice").await.len(), 0, "refused before anything happened");

    let wrong = app.server_fn(Some(&cookie), "confirm_password", &[("password", "not-it")]).await;
    assert_eq!(wrong.app_error(), AppError::SignInFailed);
    let ok = app.server_fn(Some(&cookie), "confirm_password", &[("password", PASSWORD)]).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    let stepped_up = ok.session_cookie().expect("step-up cycles the session id");
    assert_ne!(stepped_up, cookie);
    let r = app.server_fn(Some(&cookie), "create_access_key", &[]).await;
    assert_eq!(r.app_error(), AppError::NotSignedIn, "the pre-step-up id is dead");

    let r = app.server_fn(Some(&stepped_up), "create_access_key", &[("description", "laptop CLI")]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.headers["cache-control"], "no-store", "the secret-bearing answer is never stored");
    let created: CreatedAccessKey = serde_json::from_str(&r.body).unwrap();
    let secret = created.secret.expose().to_owned();
    assert_eq!(secret.len(), 40);

    // The canary secret appears in this one response and nowhere after it.
    let page = app.get(Some(&stepped_up), "/").await;
    assert!(page.body.contains(created.key.id.as_str()) && page.body.contains("laptop CLI"));
    assert!(!page.body.contains(&secret));
    for read in ["get_my_credentials", "get_my_access_keys"] {
        let api = app.server_fn(Some(&stepped_up), read, &[]).await;
        assert_eq!(api.status, StatusCode::OK, "{read}: {}", api.body);
        assert!(api.body.contains(created.key.id.as_str()) && !api.body.contains(&secret), "{read}");
    }
    let everything: Vec<(Option<String>, Option<String>)> =
        sqlx::query_as("SELECT subject, detail FROM audit_events").fetch_all(&app.portal.db.pool).await.unwrap();
    assert!(!format!("{everything:?}").contains(&secret), "no secret in the audit log");
    let sessions: Vec<String> = sqlx::query_scalar("SELECT data FROM sessions").fetch_all(&app.portal.db.pool).await.unwrap();
    assert!(!sessions.concat().contains(&secret), "no secret in the session store");
    assert_eq!(audit(&app).await, [("access_key.create".into(), "pending".into()), ("access_key.create".into(), "success".into())]);
}

/// The rotation guide's watch reads the caller's keys alone: theirs, nobody else's, and only when
/// signed in.
#[tokio::test]
async fn the_key_list_read_is_the_callers_own() {
    let app = TestApp::new().await;
    app.add_account("alice", Role::Employee).await;
    app.add_account("bob", Role::Employee).await;
    let alice = app.sign_in("alice", PASSWORD).await.unwrap();
    let bob = app.sign_in("bob", PASSWORD).await.unwrap();
    let r = app.server_fn(Some(&alice), "create_access_key", &[("description", "watched")]).await;
    let id = serde_json::from_str::<CreatedAccessKey>(&r.body).unwrap().key.id.to_string();
    let keys = |body: &str| -> Vec<String> {
        serde_json::from_str::<Vec<app::api::credentials::AccessKeyView>>(body).unwrap().into_iter().map(|k| k.key.id.to_string()).collect()
    };
    let r = app.server_fn(Some(&alice), "get_my_access_keys", &[]).await;
    assert_eq!(keys(&r.body), [id]);
    let r = app.server_fn(Some(&bob), "get_my_access_keys", &[]).await;
    assert_eq!(keys(&r.body), Vec::<String>::new());
    let r = app.server_fn(None, "get_my_access_keys", &[]).await;
    assert_eq!((r.status, r.app_error()), (StatusCode::UNAUTHORIZED, AppError::NotSignedIn));
}

#[tokio::test]
async fn descriptions_are_validated_and_state_is_unchanged() {
    let app = TestApp::new().await;
    app.add_account("alice", Role::Employee).await;
    let cookie = app.sign_in("alice", PASSWORD).await.unwrap();
    let long = "x".repeat(257);
    let r = app.server_fn(Some(&cookie), "create_access_key", &[("description", &long)]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.app_error().to_string().contains("at most 256 characters (this one has 257)"));
    assert_eq!(keys_of(&app, "alice").await.len(), 0);
}

#[tokio::test]
async fn deactivate_then_delete_with_typed_confirmation() {
    let app = TestApp::new().await;
    app.add_account("alice", Role::Employee).await;
    app.add_account("bob", Role::Employee).await;
    let cookie = app.sign_in("alice", PASSWORD).await.unwrap();
    let r = app.server_fn(Some(&cookie), "create_access_key", &[("description", "temp")]).await;
    let id = serde_json::from_str::<CreatedAccessKey>(&r.body).unwrap().key.id.to_string();

    let r = app.server_fn(Some(&cookie), "delete_access_key", &[("key_id", &id), ("confirm", &id)]).await;
    assert!(matches!(r.app_error(), AppError::NotAllowed { .. }), "active keys are not deleted: {}", r.body);
    let r = app.server_fn(Some(&cookie), "set_access_key_status", &[("key_id", &id), ("active", "false")]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = app.server_fn(Some(&cookie), "delete_access_key", &[("key_id", &id), ("confirm", "AKIA-wrong")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.app_error().to_string().contains(&format!("Type the key id {id} exactly")));
    let r = app.server_fn(Some(&cookie), "delete_access_key", &[("key_id", &id), ("confirm", &id)]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(keys_of(&app, "alice").await.len(), 0);
    let r = app.server_fn(Some(&cookie), "delete_access_key", &[("key_id", &id), ("confirm", &id)]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "a second delete says the key is gone");
    let r = app.server_fn(Some(&cookie), "set_access_key_status", &[("key_id", "not-a-key"), ("active", "true")]).await;
    assert!(r.app_error().to_string().contains("is not an access key id"));
    let actions: Vec<(String, String)> = audit(&app).await;
    assert_eq!(
        actions.iter().filter(|(_, o)| o != "pending").map(|(a, o)| format!("{a}:{o}")).collect::<Vec<_>>(),
        ["access_key.create:success", "access_key.deactivate:success", "access_key.delete:success"]
    );
}

#[tokio::test]
async fn nobody_touches_another_users_key_even_with_its_valid_id() {
    use server::iam::Caller;
    let app = TestApp::new().await;
    app.add_account("alice", Role::Employee).await;
    app.add_account("bob", Role::Employee).await;
    let bob = app::domain::IamUserName::parse("bob").unwrap();
    let bobs = app.portal.iam.create_access_key(&Caller::keydesk(), &bob).await.unwrap().key.id.to_string();
    app.portal
        .iam
        .update_access_key(&Caller::keydesk(), &bob, &app::domain::AccessKeyId::parse(&bobs).unwrap(), app::domain::SetStatus::Inactive)
        .await
        .unwrap();
    let alice = app.sign_in("alice", PASSWORD).await.unwrap();
    for (name, form) in [
        ("set_access_key_status", vec![("key_id", bobs.as_str()), ("active", "true")]),
        ("delete_access_key", vec![("key_id", bobs.as_str()), ("confirm", bobs.as_str())]),
    ] {
        let r = app.server_fn(Some(&alice), name, &form).await;
        assert!(matches!(r.status, StatusCode::NOT_FOUND), "{name}: {} {}", r.status, r.body);
    }
    let keys = app.portal.iam.list_access_keys(&Caller::keydesk(), &bob).await.unwrap();
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0].status, app::domain::Status::Inactive, "bob's key is untouched");
}

#[tokio::test]
async fn credential_changes_from_another_site_are_refused() {
    let app = TestApp::new().await;
    app.add_account("alice", Role::Employee).await;
    let cookie = app.sign_in("alice", PASSWORD).await.unwrap();
    for (name, body) in [
        ("create_access_key", String::new()),
        ("set_access_key_status", "key_id=AKIAAAAAAAAAAAAAAAAA&active=false".to_owned()),
        ("delete_access_key", "key_id=AKIAAAAAAAAAAAAAAAAA&confirm=AKIAAAAAAAAAAAAAAAAA".to_owned()),
        ("confirm_password", format!("password={PASSWORD}")),
    ] {
        let req = http::Request::post(format!("/api/{name}"))
            .header(http::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(http::header::COOKIE, &cookie)
            .header("sec-fetch-site", "cross-site")
            .body(axum::body::Body::from(body))
            .unwrap();
        let r = app.send(req).await;
        assert_eq!((r.status, r.app_error()), (StatusCode::FORBIDDEN, AppError::CrossSite), "{name}");
    }
    assert_eq!(keys_of(&app, "alice").await.len(), 0);
}

#[tokio::test]
async fn the_key_lifecycle_works_on_the_aws_backend_against_moto() {
    let url = testkit::require_env!("KEYDESK_TEST_MOTO_URL", "AWS-backend access-key test");
    let (app, admin) = TestApp::on_moto(&url).await;
    let name = app.moto_employee(&admin).await;
    let cookie = app.sign_in(&name, PASSWORD).await.unwrap();
    let r = app.server_fn(Some(&cookie), "create_access_key", &[("description", "moto key")]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let id = serde_json::from_str::<CreatedAccessKey>(&r.body).unwrap().key.id.to_string();
    let page = app.get(Some(&cookie), "/").await;
    assert!(page.body.contains(&id) && page.body.contains("moto key"));
    let r = app.server_fn(Some(&cookie), "set_access_key_status", &[("key_id", &id), ("active", "false")]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = app.server_fn(Some(&cookie), "delete_access_key", &[("key_id", &id), ("confirm", &id)]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(!app.get(Some(&cookie), "/").await.body.contains(&id));
}

#[tokio::test]
async fn without_javascript_the_create_post_answers_with_the_one_time_page() {
    let app = TestApp::new().await;
    app.add_account("alice", Role::Employee).await;
    let cookie = app.sign_in("alice", PASSWORD).await.unwrap();
    let path = app::pages::NEW_KEY_PATH;

    // Stale: a password prompt that keeps what was typed, and nothing created.
    app.clock.advance(time::Duration::minutes(11));
    let r = app.post_form(Some(&cookie), path, &[("description", "build box")]).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("data-testid=\"reauth\"") && r.body.contains("value=\"build box\""), "{}", r.body);
    assert_eq!(keys_of(&app, "alice").await.len(), 0);
    let r = app.post_form(Some(&cookie), path, &[("description", "build box"), ("password", "nope")]).await;
    assert!(r.body.contains("That password is not correct."));
    assert_eq!(keys_of(&app, "alice").await.len(), 0);

    // The right password: the key is created and its secret is in this answer, which is never stored
    // and carries no hydration script (the browser's WASM could not know the secret).
    let r = app.post_form(Some(&cookie), path, &[("description", "build box"), ("password", PASSWORD)]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.headers["cache-control"], "no-store");
    let stepped_up = r.session_cookie().expect("the step-up cycles the session id");
    let secret = r
        .body
        .split("data-testid=\"new-key-secret\"")
        .nth(1)
        .and_then(|s| s.split('>').nth(1))
        .and_then(|s| s.split('<').next())
        .unwrap_or_else(|| panic!("{}", r.body))
        .to_owned();
    assert_eq!(secret.len(), 40, "{}", r.body);
    assert!(!r.body.contains("_bg.wasm") && !r.body.contains(r#"type="module""#), "the one-time page starts no WASM");
    assert_eq!(keys_of(&app, "alice").await.len(), 1);

    // The page's .csv button posts back what the page shows and gets the console's file, as a download
    // that is never stored; the file is named after the signed-in person's IAM user, whatever is sent.
    let id = keys_of(&app, "alice").await.remove(0);
    assert!(r.body.contains(&format!("action=\"{}\"", app::pages::NEW_KEY_CSV_PATH)), "{}", r.body);
    let csv = app.post_form(Some(&stepped_up), app::pages::NEW_KEY_CSV_PATH, &[("key_id", &id), ("secret", &secret)]).await;
    assert_eq!(csv.status, StatusCode::OK, "{}", csv.body);
    assert_eq!(csv.headers["cache-control"], "no-store");
    assert_eq!(csv.headers["content-disposition"], "attachment; filename=\"alice_accessKeys.csv\"");
    assert!(csv.headers.get("content-encoding").is_none(), "a secret-bearing answer is never compressed");
    assert!(csv.body.starts_with(&format!("Access key ID,Secret access key\r\n{id},")) && csv.body.contains(&secret));
    for bad in [[("key_id", "not-a-key"), ("secret", secret.as_str())], [("key_id", id.as_str()), ("secret", "two\nlines")]] {
        let r = app.post_form(Some(&stepped_up), app::pages::NEW_KEY_CSV_PATH, &bad).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    }
    let r = app.post_form(None, app::pages::NEW_KEY_CSV_PATH, &[("key_id", &id), ("secret", &secret)]).await;
    assert_eq!(r.location(), Some("/sign-in"));
    assert!(!r.body.contains(&secret));

    // Afterwards the secret is nowhere: not on the page, not on a GET of the same address.
    for page in ["/", path] {
        let p = app.get(Some(&stepped_up), page).await;
        assert_eq!(p.status, StatusCode::OK);
        assert!(!p.body.contains(&secret), "{page} shows the secret");
    }
    assert!(app.get(Some(&stepped_up), path).await.body.contains("Nothing to show"));

    // Errors are shown on the page with their status: the third key is refused.
    app.post_form(Some(&stepped_up), path, &[]).await;
    let r = app.post_form(Some(&stepped_up), path, &[]).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(r.body.contains("2"), "{}", r.body);
    assert_eq!(keys_of(&app, "alice").await.len(), 2);
    // Anonymous posts go to sign-in.
    let r = app.post_form(None, path, &[]).await;
    assert_eq!(r.location(), Some("/sign-in"));
}

/// The rotation guide's step 2 without JavaScript: every server render shows the step, never the
/// page's "Loading your credentials…" placeholder. Its minute-by-minute re-read was a `LocalResource`
/// read inside the page's `<Transition>`; now and then (5 of 240 renders under 4 concurrent requests)
/// the server render finished with that resource still pending, and a browser without JavaScript was
/// left with the placeholder for good.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rotation_guide_renders_its_step_on_the_server_every_time() {
    let app = std::sync::Arc::new(TestApp::new().await);
    app.add_account("alice", Role::Employee).await;
    let cookie = app.sign_in("alice", PASSWORD).await.unwrap();
    let mut ids = Vec::new();
    for description in ["old", "new"] {
        let r = app.server_fn(Some(&cookie), "create_access_key", &[("description", description)]).await;
        let created: CreatedAccessKey = serde_json::from_str(&r.body).unwrap();
        ids.push(created.key.id.to_string());
    }
    let path = format!("/?rotate={}&new={}", ids[0], ids[1]);
    let mut placeholders = 0;
    for _ in 0..60 {
        let renders = (0..4).map(|_| {
            let (app, cookie, path) = (app.clone(), cookie.clone(), path.clone());
            tokio::spawn(async move { app.get(Some(&cookie), &path).await })
        });
        for page in futures::future::join_all(renders).await {
            let page = page.unwrap();
            assert_eq!(page.status, StatusCode::OK);
            if page.body.contains("Loading your credentials") || !page.body.contains("2. Update your applications") {
                placeholders += 1;
            }
        }
    }
    assert_eq!(placeholders, 0, "{placeholders} of 240 renders showed the placeholder instead of step 2");
}
