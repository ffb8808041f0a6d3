//! Service-specific credentials beyond CodeCommit through the server functions: Amazon Keyspaces
//! (user name + password) and Amazon Bedrock API keys (alias + secret, an expiry within the
//! administrators' maximum, `Expired` once past it), 2 per service, one-time secrets, every bad input
//! refused with its own message and nothing changed, audit and notices, and a lost answer reconciled.

use crate::support::*;
use app::api::activity::ActivityView;
use app::api::credentials::CredentialsOverview;
use app::domain::{CreatedServiceCredential, Role, Status};
use app::error::AppError;
use http::StatusCode;
use std::sync::atomic::Ordering;

async fn overview(app: &TestApp, cookie: &str) -> (CredentialsOverview, String) {
    let r = app.server_fn(Some(cookie), "get_my_credentials", &[]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    (serde_json::from_str(&r.body).unwrap(), r.body)
}

async fn create(app: &TestApp, cookie: &str, service: &str, days: Option<&str>) -> Reply {
    let mut form = vec![("service", service)];
    if let Some(d) = days {
        form.push(("age_days", d));
    }
    app.server_fn(Some(cookie), "create_service_credential", &form).await
}

fn invalid(r: &Reply) -> (String, String) {
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    match r.app_error() {
        AppError::InvalidInput { field, message } => (field, message),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn keyspaces_and_bedrock_credentials_full_lifecycle() {
    let app = TestApp::new().await;
    app.add_account("alice", Role::Employee).await;
    let cookie = app.sign_in("alice", PASSWORD).await.unwrap();

    // Bad input, each with its own message; nothing is created.
    let (field, message) = invalid(&create(&app, &cookie, "keyspaces", Some("30")).await);
    assert_eq!((field.as_str(), message.contains("do not expire")), ("age_days", true), "{message}");
    let (field, message) = invalid(&create(&app, &cookie, "bedrock", None).await);
    assert_eq!(field, "age_days");
    assert!(message.contains("Choose after how many days") && message.contains("1 to 90"), "{message}");
    let (_, message) = invalid(&create(&app, &cookie, "bedrock", Some("91")).await);
    assert!(message.contains("between 1 and 90"), "{message}");
    let (_, message) = invalid(&create(&app, &cookie, "bedrock", Some("ten")).await);
    assert!(message.contains("not a number of days"), "{message}");
    let (field, message) = invalid(&create(&app, &cookie, "ec2", None).await);
    assert_eq!(field, "service");
    assert!(message.contains("keyspaces") && message.contains("bedrock"), "names the known services: {message}");
    assert!(overview(&app, &cookie).await.0.service_credentials.unwrap().is_empty(), "refusals changed nothing");

    // Keyspaces: a user name and a password, never expiring.
    let r = create(&app, &cookie, "keyspaces", None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.headers.get(http::header::CACHE_CONTROL).unwrap(), "no-store");
    let cassandra: CreatedServiceCredential = serde_json::from_str(&r.body).unwrap();
    assert_eq!(cassandra.credential.service_name, "cassandra.amazonaws.com");
    assert!(cassandra.credential.service_user_name.starts_with("alice-at-"));

    // Bedrock: alias + secret, expiring in the chosen 30 days.
    let r = create(&app, &cookie, "bedrock", Some("30")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let key: CreatedServiceCredential = serde_json::from_str(&r.body).unwrap();
    let alias = key.credential.alias.clone().unwrap();
    let secret = key.password.expose().to_owned();
    assert_eq!(key.credential.expires_at, Some(start_time() + time::Duration::days(30)));
    let (o, body) = overview(&app, &cookie).await;
    assert!(!body.contains(&secret) && !body.contains(cassandra.password.expose()), "no secret in the list");
    assert!(!app.get(Some(&cookie), "/").await.body.contains(&secret), "nor in the page");
    let listed = o.service_credentials.unwrap();
    assert_eq!(listed.len(), 2);
    let bedrock = listed.iter().find(|c| c.credential.id == key.credential.id).unwrap();
    assert_eq!((bedrock.expires_in_days, bedrock.credential.public_part()), (Some(30), alias.as_str()));
    assert!(o.git_credentials.unwrap().is_empty(), "the Git list has no Keyspaces or Bedrock credential");
    assert_eq!(o.api_key_max_days, 90);

    // Two per service, each service counted on its own.
    assert_eq!(create(&app, &cookie, "bedrock", Some("1")).await.status, StatusCode::OK);
    let third = create(&app, &cookie, "bedrock", Some("1")).await;
    assert_eq!(third.status, StatusCode::CONFLICT);
    assert!(matches!(third.app_error(), AppError::LimitExceeded { message } if message.contains("2 Bedrock API keys")), "{}", third.body);
    assert_eq!(create(&app, &cookie, "keyspaces", None).await.status, StatusCode::OK, "Keyspaces has its own two");

    // Reset: a new secret under the same alias.
    let id = key.credential.id.to_string();
    let r = app.server_fn(Some(&cookie), "reset_service_credential", &[("service", "bedrock"), ("credential_id", &id)]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let reset: CreatedServiceCredential = serde_json::from_str(&r.body).unwrap();
    assert_ne!(reset.password.expose(), secret);
    assert_eq!(reset.credential.alias.as_deref(), Some(alias.as_str()));

    // A form naming the wrong service cannot touch the credential.
    let r = app
        .server_fn(Some(&cookie), "set_service_credential_status", &[("service", "keyspaces"), ("credential_id", &id), ("active", "false")])
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    let r = app
        .server_fn(Some(&cookie), "set_service_credential_status", &[("service", "bedrock"), ("credential_id", &id), ("active", "false")])
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let status = |o: CredentialsOverview| {
        o.service_credentials.unwrap().into_iter().find(|c| c.credential.id.as_str() == id).unwrap().credential.status
    };
    assert_eq!(status(overview(&app, &cookie).await.0), Status::Inactive);

    // Delete asks for the alias.
    let wrong = app
        .server_fn(Some(&cookie), "delete_service_credential", &[("service", "bedrock"), ("credential_id", &id), ("confirm", &id)])
        .await;
    let (field, message) = invalid(&wrong);
    assert_eq!(field, "confirm");
    assert!(message.contains(&format!("Type the alias {alias}")), "{message}");
    let r = app
        .server_fn(Some(&cookie), "delete_service_credential", &[("service", "bedrock"), ("credential_id", &id), ("confirm", &alias)])
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(overview(&app, &cookie).await.0.service_credentials.unwrap().len(), 3);

    let trail: Vec<String> = audit_trail(&app, "service_credential.")
        .await
        .into_iter()
        .filter(|(_, o)| o != "pending")
        .map(|(a, o)| format!("{a}:{o}"))
        .collect();
    assert_eq!(
        trail,
        [
            "service_credential.create:success",
            "service_credential.create:success",
            "service_credential.create:success",
            "service_credential.create:success",
            "service_credential.reset:success",
            "service_credential.deactivate:success",
            "service_credential.delete:success"
        ]
    );
    let r = app.server_fn(Some(&cookie), "get_activity", &[]).await;
    let activity: ActivityView = serde_json::from_str(&r.body).unwrap();
    let deleted = activity.notifications.iter().find(|n| n.title == "Service credential deleted").expect("the owner is told");
    assert!(deleted.body.contains("(Amazon Bedrock)") && !deleted.body.contains(&id), "{}", deleted.body);
    assert!(activity.notifications.iter().all(|n| !n.body.contains(&secret) && !n.body.contains(reset.password.expose())));

    // Past its expiry, IAM reports the other Bedrock key as Expired; the page says so.
    app.clock.advance(time::Duration::days(2));
    let cookie = app.sign_in("alice", PASSWORD).await.unwrap();
    let (o, _) = overview(&app, &cookie).await;
    let one_day = o.service_credentials.unwrap().into_iter().find(|c| c.credential.service_name == "bedrock.amazonaws.com").unwrap();
    assert_eq!((one_day.credential.status, one_day.expires_in_days), (Status::Expired, Some(-1)));
}

#[tokio::test]
async fn the_administrators_maximum_bounds_the_expiry() {
    let app = TestApp::with(Backend::Sqlite, &["--api-key-max-days", "7"]).await;
    app.add_account("alice", Role::Employee).await;
    let cookie = app.sign_in("alice", PASSWORD).await.unwrap();
    let (_, message) = invalid(&create(&app, &cookie, "bedrock", Some("8")).await);
    assert!(message.contains("between 1 and 7"), "{message}");
    assert_eq!(create(&app, &cookie, "logs", Some("7")).await.status, StatusCode::OK, "CloudWatch Logs keys too");
    assert_eq!(overview(&app, &cookie).await.0.api_key_max_days, 7);
}

#[tokio::test]
async fn an_ambiguous_create_deletes_the_key_nobody_saw() {
    let app = TestApp::new().await;
    app.add_account("alice", Role::Employee).await;
    let cookie = app.sign_in("alice", PASSWORD).await.unwrap();
    let faults = app.portal.embedded.as_ref().unwrap().faults();
    faults.lose_responses.store(1, Ordering::SeqCst);
    let r = create(&app, &cookie, "bedrock", Some("30")).await;
    assert!(matches!(r.app_error(), AppError::Ambiguous { message } if message.contains("deleted")), "{}", r.body);
    assert!(overview(&app, &cookie).await.0.service_credentials.unwrap().is_empty(), "no key nobody saw remains");
    let outcomes: Vec<String> = audit_trail(&app, "service_credential.").await.into_iter().map(|(a, o)| format!("{a}:{o}")).collect();
    assert!(outcomes.contains(&"service_credential.create:orphan_deleted".to_owned()), "{outcomes:?}");
}

/// The service-credential lists are drawn on the server and their forms post: a refused deletion
/// comes back beside the service it was for (`?at=svc-<slug>`), not in every service's block.
#[tokio::test]
async fn a_refused_deletion_comes_back_beside_its_service() {
    let app = TestApp::new().await;
    app.add_account("alice", Role::Employee).await;
    let cookie = app.sign_in("alice", PASSWORD).await.unwrap();
    let created: CreatedServiceCredential = serde_json::from_str(&create(&app, &cookie, "keyspaces", None).await.body).unwrap();
    let id = created.credential.id.to_string();
    let form = [("service", "keyspaces"), ("credential_id", id.as_str()), ("confirm", "not-the-user-name")];
    let refused = app
        .send(page_form_request(Some(&cookie), "/api/delete_service_credential?at=svc-keyspaces", "http://127.0.0.1:3000/", &form))
        .await;
    let location = refused.location().unwrap();
    assert!(location.contains("__err=") && location.ends_with("&open=svc-keyspaces#svc-keyspaces"), "{location}");
    let proof = format!("{cookie}; {}", refused.error_proof().expect("a proof"));
    let page = app.get(Some(&proof), refused.answer_path().unwrap()).await;
    assert_eq!(page.status, StatusCode::OK);
    let keyspaces = page.body.split(r#" id="svc-keyspaces""#).nth(1).expect("the Keyspaces block");
    let (keyspaces, others) = keyspaces.split_once(r#" id="svc-bedrock""#).expect("then the Bedrock block");
    assert!(keyspaces.contains("Type the user name"), "the refusal is beside Keyspaces");
    assert!(!others.contains("Type the user name"), "and nowhere else");
    assert_eq!(overview(&app, &cookie).await.0.service_credentials.unwrap().len(), 1, "nothing deleted");
}
