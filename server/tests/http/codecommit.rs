//! AWS CodeCommit credentials through the server functions: HTTPS Git credentials (generate, reset,
//! status, delete; limits; ambiguous creates and resets) and SSH public keys (upload with IAM's rules,
//! duplicates, the 5-key limit, private keys refused unechoed, status, delete).

use crate::support::*;
use app::api::codecommit::SshKeyView;
use app::api::credentials::CredentialsOverview;
use app::domain::{ssh_key, CreatedServiceCredential, Role, Status};
use app::error::AppError;
use http::StatusCode;
use std::sync::atomic::Ordering;

async fn signed_in(app: &TestApp) -> String {
    app.add_account("alice", Role::Employee).await;
    app.sign_in("alice", PASSWORD).await.unwrap()
}

async fn overview(app: &TestApp, cookie: &str) -> (CredentialsOverview, String) {
    let r = app.server_fn(Some(cookie), "get_my_credentials", &[]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    (serde_json::from_str(&r.body).unwrap(), r.body)
}

fn err(r: &Reply) -> (StatusCode, AppError) {
    (r.status, r.app_error())
}

#[tokio::test]
async fn git_credentials_full_lifecycle_with_the_limit_and_one_time_passwords() {
    let app = TestApp::new().await;
    let cookie = signed_in(&app).await;

    let r = app.server_fn(Some(&cookie), "create_git_credential", &[]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.headers.get(http::header::CACHE_CONTROL).unwrap(), "no-store");
    let first: CreatedServiceCredential = serde_json::from_str(&r.body).unwrap();
    let password = first.password.expose().to_owned();
    assert!(first.credential.service_user_name.starts_with("alice-at-"), "{}", first.credential.service_user_name);
    let (o, body) = overview(&app, &cookie).await;
    assert!(!body.contains(&password), "the list never carries a password");
    assert!(!app.get(Some(&cookie), "/").await.body.contains(&password));
    assert_eq!(o.git_credentials.as_ref().unwrap().len(), 1);

    assert_eq!(app.server_fn(Some(&cookie), "create_git_credential", &[]).await.status, StatusCode::OK);
    let third = app.server_fn(Some(&cookie), "create_git_credential", &[]).await;
    let (status, error) = err(&third);
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(matches!(&error, AppError::LimitExceeded { message } if message.contains("2 HTTPS Git credentials")), "{error:?}");
    assert_eq!(overview(&app, &cookie).await.0.git_credentials.unwrap().len(), 2, "the refused third changed nothing");

    let id = first.credential.id.to_string();
    let r = app.server_fn(Some(&cookie), "reset_git_credential", &[("credential_id", &id)]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let reset: CreatedServiceCredential = serde_json::from_str(&r.body).unwrap();
    assert_ne!(reset.password.expose(), password, "a new password");
    assert_eq!(reset.credential.id, first.credential.id);
    let embedded = app.portal.embedded.clone().unwrap();
    let (alice, git_user) = (app::domain::IamUserName::parse("alice").unwrap(), first.credential.service_user_name.clone());
    assert!(!embedded.service_password_works(&alice, &git_user, &password).await.unwrap(), "the old password stops working");
    assert!(embedded.service_password_works(&alice, &git_user, reset.password.expose()).await.unwrap(), "the new one works");

    let r = app.server_fn(Some(&cookie), "set_git_credential_status", &[("credential_id", &id), ("active", "false")]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let listed = overview(&app, &cookie).await.0.git_credentials.unwrap();
    assert_eq!(listed.iter().find(|c| c.credential.id.as_str() == id).unwrap().credential.status, Status::Inactive);
    assert!(!embedded.service_password_works(&alice, &git_user, reset.password.expose()).await.unwrap(), "inactive: Git is refused");

    let wrong = app.server_fn(Some(&cookie), "delete_git_credential", &[("credential_id", &id), ("confirm", &id)]).await;
    let (status, error) = err(&wrong);
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(error.to_string().contains(&first.credential.service_user_name), "asks for the Git user name: {error}");
    let user = first.credential.service_user_name.clone();
    let r = app.server_fn(Some(&cookie), "delete_git_credential", &[("credential_id", &id), ("confirm", &user)]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(overview(&app, &cookie).await.0.git_credentials.unwrap().len(), 1);
    let again = app.server_fn(Some(&cookie), "delete_git_credential", &[("credential_id", &id), ("confirm", &user)]).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);

    for bad in ["", "AKIAIOSFODNN7EXAMPLE", "ACCA<script>"] {
        let r = app.server_fn(Some(&cookie), "reset_git_credential", &[("credential_id", bad)]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {}", r.body);
    }
    let actions: Vec<String> =
        audit_trail(&app, "git_credential.").await.into_iter().filter(|(_, o)| o != "pending").map(|(a, o)| format!("{a}:{o}")).collect();
    assert_eq!(
        actions,
        [
            "git_credential.create:success",
            "git_credential.create:success",
            "git_credential.reset:success",
            "git_credential.deactivate:success",
            "git_credential.delete:success"
        ]
    );
}

#[tokio::test]
async fn git_changes_need_a_fresh_sign_in_and_another_users_credential_is_not_found() {
    let app = TestApp::new().await;
    let cookie = signed_in(&app).await;
    app.add_account("bob", Role::Employee).await;
    let bob = app.sign_in("bob", PASSWORD).await.unwrap();
    let r = app.server_fn(Some(&bob), "create_git_credential", &[]).await;
    let bobs: CreatedServiceCredential = serde_json::from_str(&r.body).unwrap();
    let id = bobs.credential.id.to_string();
    for (name, form) in [
        ("reset_git_credential", vec![("credential_id", id.as_str())]),
        ("set_git_credential_status", vec![("credential_id", id.as_str()), ("active", "false")]),
        ("delete_git_credential", vec![("credential_id", id.as_str()), ("confirm", bobs.credential.service_user_name.as_str())]),
    ] {
        let r = app.server_fn(Some(&cookie), name, &form).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{name}: alice cannot touch bob's credential: {}", r.body);
    }
    let (o, _) = overview(&app, &bob).await;
    assert_eq!(o.git_credentials.unwrap()[0].credential.status, Status::Active, "bob's credential is untouched");

    app.clock.advance(time::Duration::minutes(11));
    let r = app.server_fn(Some(&cookie), "create_git_credential", &[]).await;
    assert_eq!(err(&r), (StatusCode::UNAUTHORIZED, AppError::ReauthRequired));
    assert!(overview(&app, &cookie).await.0.git_credentials.unwrap().is_empty());
}

#[tokio::test]
async fn an_ambiguous_git_create_deletes_the_orphan_and_an_ambiguous_reset_resets_again() {
    let app = TestApp::new().await;
    let cookie = signed_in(&app).await;
    let faults = app.portal.embedded.as_ref().unwrap().faults();

    faults.lose_responses.store(1, Ordering::SeqCst);
    let r = app.server_fn(Some(&cookie), "create_git_credential", &[]).await;
    let (_, error) = err(&r);
    assert!(matches!(&error, AppError::Ambiguous { message } if message.contains("deleted")), "{error:?}");
    assert!(overview(&app, &cookie).await.0.git_credentials.unwrap().is_empty(), "no credential nobody saw remains");

    let r = app.server_fn(Some(&cookie), "create_git_credential", &[]).await;
    let created: CreatedServiceCredential = serde_json::from_str(&r.body).unwrap();
    faults.lose_responses.store(1, Ordering::SeqCst);
    let r = app.server_fn(Some(&cookie), "reset_git_credential", &[("credential_id", created.credential.id.as_str())]).await;
    assert_eq!(r.status, StatusCode::OK, "the second reset's password is shown: {}", r.body);
    let reset: CreatedServiceCredential = serde_json::from_str(&r.body).unwrap();
    assert_ne!(reset.password.expose(), created.password.expose());
    let outcomes: Vec<String> = audit_trail(&app, "git_credential.").await.into_iter().map(|(a, o)| format!("{a}:{o}")).collect();
    assert!(outcomes.contains(&"git_credential.create:orphan_deleted".to_owned()), "{outcomes:?}");
}

#[tokio::test]
async fn ssh_keys_full_lifecycle_with_iams_rules() {
    let app = TestApp::new().await;
    let cookie = signed_in(&app).await;
    let upload = |body: String| {
        let (app, cookie) = (&app, cookie.clone());
        async move { app.server_fn(Some(&cookie), "upload_ssh_key", &[("public_key", &body)]).await }
    };

    let key = rsa_key(2048, 1);
    let r = upload(key.clone()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let view: SshKeyView = serde_json::from_str(&r.body).unwrap();
    let parsed = ssh_key::parse(&key).unwrap();
    assert_eq!(view.sha256_fingerprint.as_deref(), Some(parsed.sha256_fingerprint().as_str()));
    assert_eq!(view.md5_fingerprint.as_deref(), Some(parsed.md5_fingerprint().as_str()));
    assert_eq!(view.bits, Some(2048));

    // The same key again, even in another encoding, is a duplicate naming the key it duplicates.
    let (status, error) = err(&upload(parsed.pem()).await);
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(error.to_string().contains(view.key.id.as_str()), "{error}");

    // IAM's refusals, each specific; none echoes the input.
    const CANARY: &str = "CANARYPRIVATEKEYMATERIAL";
    let private = format!("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA{CANARY}\n-----END OPENSSH PRIVATE KEY-----\n");
    let cases = [
        (private, "PRIVATE key"),
        (rsa_key(1024, 2), "1024 bits"),
        (
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGHWYAQkq5bi7Ea4kJVwCVkDr8xUCGnR9y9xI3+/AcQr me@host".to_owned(),
            "ssh-ed25519 keys are not accepted",
        ),
        (key[..200].to_owned(), "truncated"),
        ("x".repeat(20_000), "at most 16384"),
        ("hello world".to_owned(), "not a valid SSH public key"),
    ];
    for (body, words) in cases {
        let r = upload(body.clone()).await;
        let (status, error) = err(&r);
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{words}");
        assert!(error.to_string().contains(words), "{words}: {error}");
        assert!(!r.body.contains(CANARY), "the private key is not echoed");
    }

    for seed in 3..7 {
        assert_eq!(upload(rsa_key(4096, seed)).await.status, StatusCode::OK);
    }
    let (status, error) = err(&upload(rsa_key(2048, 9)).await);
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(matches!(&error, AppError::LimitExceeded { message } if message.contains("5 SSH public keys")), "{error:?}");

    let (o, _) = overview(&app, &cookie).await;
    let keys = o.ssh_keys.unwrap();
    assert_eq!(keys.len(), 5);
    assert!(keys.iter().all(|k| k.sha256_fingerprint.is_some() && k.md5_fingerprint.is_some()), "the list shows fingerprints");

    let id = view.key.id.to_string();
    let r = app.server_fn(Some(&cookie), "set_ssh_key_status", &[("key_id", &id), ("active", "false")]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let keys = overview(&app, &cookie).await.0.ssh_keys.unwrap();
    assert_eq!(keys.iter().find(|k| k.key.id.as_str() == id).unwrap().key.status, Status::Inactive);
    let r = app.server_fn(Some(&cookie), "delete_ssh_key", &[("key_id", &id), ("confirm", "APKA")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = app.server_fn(Some(&cookie), "delete_ssh_key", &[("key_id", &id), ("confirm", &id)]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(overview(&app, &cookie).await.0.ssh_keys.unwrap().len(), 4);

    let outcomes: Vec<String> =
        audit_trail(&app, "ssh_key.").await.into_iter().filter(|(_, o)| o != "pending").map(|(a, o)| format!("{a}:{o}")).collect();
    assert_eq!(outcomes.iter().filter(|o| *o == "ssh_key.upload:success").count(), 5);
    assert!(outcomes.ends_with(&["ssh_key.deactivate:success".to_owned(), "ssh_key.delete:success".to_owned()]), "{outcomes:?}");
    let logs_and_db = files_containing(app.dir.path(), CANARY);
    assert!(logs_and_db.is_empty(), "the private key reached {logs_and_db:?}");
}

#[tokio::test]
async fn cross_site_codecommit_changes_are_refused_and_change_nothing() {
    let app = TestApp::new().await;
    let cookie = signed_in(&app).await;
    let key = rsa_key(2048, 1);
    for (name, body) in [("create_git_credential", String::new()), ("upload_ssh_key", format!("public_key={}", urlencode(&key)))] {
        let req = http::Request::post(format!("/api/{name}"))
            .header(http::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(http::header::COOKIE, &cookie)
            .header("sec-fetch-site", "cross-site")
            .body(axum::body::Body::from(body))
            .unwrap();
        let r = app.send(req).await;
        assert_eq!(err(&r), (StatusCode::FORBIDDEN, AppError::CrossSite), "{name}");
    }
    let (o, _) = overview(&app, &cookie).await;
    assert!(o.git_credentials.unwrap().is_empty() && o.ssh_keys.unwrap().is_empty());
}

#[tokio::test]
async fn on_moto_ssh_keys_work_and_the_git_section_says_what_is_missing() {
    let url = testkit::require_env!("KEYDESK_TEST_MOTO_URL", "AWS-backend CodeCommit test");
    let (app, admin) = TestApp::on_moto(&url).await;
    let name = app.moto_employee(&admin).await;
    let cookie = app.sign_in(&name, PASSWORD).await.unwrap();

    // moto implements no service-specific credential operation: the section fails alone, the page works.
    let (o, _) = overview(&app, &cookie).await;
    let git_error = o.git_credentials.expect_err("moto has no service-specific credentials");
    eprintln!("moto: the HTTPS Git section shows: {git_error}");
    assert!(o.ssh_keys.is_ok(), "the rest of the page is there");

    let key = rsa_key(2048, 7);
    let r = app.server_fn(Some(&cookie), "upload_ssh_key", &[("public_key", &key)]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let view: SshKeyView = serde_json::from_str(&r.body).unwrap();
    // keydesk validates before IAM does, so a bad key is refused on moto as on IAM.
    let r = app.server_fn(Some(&cookie), "upload_ssh_key", &[("public_key", &rsa_key(1024, 8))]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let id = view.key.id.to_string();
    let r = app.server_fn(Some(&cookie), "set_ssh_key_status", &[("key_id", &id), ("active", "false")]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = app.server_fn(Some(&cookie), "delete_ssh_key", &[("key_id", &id), ("confirm", &id)]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(overview(&app, &cookie).await.0.ssh_keys.unwrap().is_empty());
}
