//! The account password policy editor: admins only, every bound with its message, fresh
//! re-authentication, audited before/after, delete back to IAM's default, and the employees' form and
//! the server's validator following the new policy at once.

use crate::support::*;
use app::api::credentials::CredentialsOverview;
use app::domain::password_policy::{refusal, EffectivePolicy, PasswordPolicy};
use app::domain::Role;
use app::error::AppError;
use http::StatusCode;

const CIS: &[(&str, &str)] = &[
    ("minimum_length", "14"),
    ("require_symbols", "on"),
    ("require_numbers", "on"),
    ("require_uppercase", "on"),
    ("require_lowercase", "on"),
    ("allow_users_to_change", "on"),
    ("max_age_days", "90"),
    ("reuse_prevention", "24"),
];

fn with<'a>(base: &[(&'a str, &'a str)], field: &'a str, value: Option<&'a str>) -> Vec<(&'a str, &'a str)> {
    let mut form: Vec<(&str, &str)> = base.iter().copied().filter(|(k, _)| *k != field).collect();
    if let Some(v) = value {
        form.push((field, v));
    }
    form
}

async fn policy(app: &TestApp, cookie: &str) -> EffectivePolicy {
    let r = app.server_fn(Some(cookie), "get_password_policy", &[]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    serde_json::from_str(&r.body).unwrap()
}

#[tokio::test]
async fn only_admins_read_and_change_the_policy() {
    let (app, _, alice) = admin_and_employee().await;
    app.add_account("carol", Role::Helpdesk).await;
    let carol = app.sign_in("carol", PASSWORD).await.unwrap();
    for cookie in [&alice, &carol] {
        for (name, form) in
            [("get_password_policy", &[][..]), ("update_password_policy", CIS), ("delete_password_policy", &[("confirm", "on")][..])]
        {
            let r = app.server_fn(Some(cookie), name, form).await;
            assert_eq!((r.status, r.app_error()), (StatusCode::FORBIDDEN, AppError::Forbidden), "{name}");
        }
    }
    assert_eq!(app.server_fn(None, "update_password_policy", CIS).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.get(Some(&alice), app::pages::SETTINGS_PATH).await.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn bad_values_are_refused_by_field_and_change_nothing() {
    let (app, dave, _) = admin_and_employee().await;
    for (field, value, message) in [
        ("minimum_length", Some("5"), "The minimum length must be between 6 and 128 (IAM's limits), not 5."),
        ("minimum_length", Some("129"), "The minimum length must be between 6 and 128 (IAM's limits), not 129."),
        ("minimum_length", Some(""), "Enter the minimum length (6–128)."),
        ("max_age_days", Some("1096"), "The maximum age in days must be between 1 and 1095 (IAM's limits), not 1096."),
        ("max_age_days", Some("0"), "The maximum age in days must be between 1 and 1095 (IAM's limits), not 0."),
        ("reuse_prevention", Some("25"), "The number of previous passwords must be between 1 and 24 (IAM's limits), not 25."),
        ("reuse_prevention", Some("two"), "The number of previous passwords must be a whole number between 1 and 24."),
    ] {
        let r = app.server_fn(Some(&dave), "update_password_policy", &with(CIS, field, value)).await;
        assert_eq!((r.status, r.app_error()), (StatusCode::UNPROCESSABLE_ENTITY, AppError::invalid(field, message)), "{field}={value:?}");
    }
    let r =
        app.server_fn(Some(&dave), "update_password_policy", &with(&with(CIS, "max_age_days", Some("")), "hard_expiry", Some("on"))).await;
    assert_eq!(r.app_error(), AppError::invalid("hard_expiry", "Hard expiry needs a maximum age: without one no password ever expires."));
    assert_eq!(policy(&app, &dave).await, EffectivePolicy::IamDefault, "nothing was saved");
    assert!(audit_trail(&app, "admin.password_policy").await.is_empty());
}

#[tokio::test]
async fn a_saved_policy_is_audited_before_and_after_and_binds_the_employees_form_and_the_server() {
    let (app, dave, alice) = admin_and_employee().await;
    let r = app.server_fn(Some(&dave), "update_password_policy", CIS).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let saved = EffectivePolicy::Custom(PasswordPolicy::cis_recommended());
    assert_eq!(policy(&app, &dave).await, saved);
    let again: Vec<String> = serde_json::from_str(&app.server_fn(Some(&dave), "update_password_policy", CIS).await.body).unwrap();
    assert!(again.is_empty(), "saving the same values changes nothing and is not audited again");

    let r = app.server_fn(Some(&dave), "update_password_policy", &with(CIS, "minimum_length", Some("20"))).await;
    let changed: Vec<String> = serde_json::from_str(&r.body).unwrap();
    assert_eq!(changed, ["Minimum length 14 characters → 20 characters"]);
    let rows: Vec<(String, String, Option<String>, Option<String>)> =
        sqlx::query_as("SELECT action, outcome, actor, detail FROM audit_events WHERE action LIKE 'admin.password_policy.%' ORDER BY id")
            .fetch_all(&app.portal.db.pool)
            .await
            .unwrap();
    assert_eq!(rows.len(), 4, "{rows:?}");
    assert_eq!((rows[1].0.as_str(), rows[1].1.as_str(), rows[1].2.as_deref()), ("admin.password_policy.update", "success", Some("dave")));
    assert!(
        rows[1].3.as_deref().unwrap().contains("before: policy=IAM default; after: minimum_length=14 require_symbols=true"),
        "{rows:?}"
    );
    assert!(
        rows[3].3.as_deref().unwrap().contains("before: minimum_length=14 ")
            && rows[3].3.as_deref().unwrap().contains("after: minimum_length=20 ")
    );

    // The employee's page carries the new policy on its next load, and the server refuses by it with
    // the very words the browser's (WASM) checklist computes from that policy.
    let o: CredentialsOverview = serde_json::from_str(&app.server_fn(Some(&alice), "get_my_credentials", &[]).await.body).unwrap();
    let now = o.password.unwrap().policy.clone();
    assert_eq!(now.min_length(), 20);
    let candidate = "Granite-Tulip-42!";
    let expected = refusal(&now, candidate, candidate, "alice", false).expect("17 characters are too few now");
    let r = app.server_fn(Some(&alice), "change_password", &[("new_password", candidate), ("repeat_password", candidate)]).await;
    assert_eq!((r.status, r.app_error()), (StatusCode::UNPROCESSABLE_ENTITY, AppError::invalid("new_password", expected)));
    let good = "Granite-Tulip-42-fox-lake!";
    assert_eq!(refusal(&now, good, good, "alice", false), None);
    let r = app.server_fn(Some(&alice), "change_password", &[("new_password", good), ("repeat_password", good)]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
}

#[tokio::test]
async fn users_not_allowed_to_change_are_told_and_refused() {
    let (app, dave, alice) = admin_and_employee().await;
    let r = app.server_fn(Some(&dave), "update_password_policy", &with(CIS, "allow_users_to_change", None)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let o: CredentialsOverview = serde_json::from_str(&app.server_fn(Some(&alice), "get_my_credentials", &[]).await.body).unwrap();
    assert!(o.password.unwrap().cannot_change.unwrap().contains("does not let users change their own password"));
    let pw = "Granite-Tulip-42-fox-lake!";
    let r = app.server_fn(Some(&alice), "change_password", &[("new_password", pw), ("repeat_password", pw)]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
}

#[tokio::test]
async fn changes_need_a_fresh_sign_in_and_delete_needs_confirmation() {
    let (app, dave, _) = admin_and_employee().await;
    assert_eq!(app.server_fn(Some(&dave), "update_password_policy", CIS).await.status, StatusCode::OK);
    let r = app.server_fn(Some(&dave), "delete_password_policy", &[]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.app_error().to_string().contains("Tick the box"));
    app.clock.advance(time::Duration::minutes(11));
    let r = app.server_fn(Some(&dave), "delete_password_policy", &[("confirm", "on")]).await;
    assert_eq!((r.status, r.app_error()), (StatusCode::UNAUTHORIZED, AppError::ReauthRequired));
    let r = app.server_fn(Some(&dave), "confirm_password", &[("password", PASSWORD)]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let dave = r.session_cookie().unwrap();
    let r = app.server_fn(Some(&dave), "delete_password_policy", &[("confirm", "on")]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(policy(&app, &dave).await, EffectivePolicy::IamDefault);
    let r = app.server_fn(Some(&dave), "delete_password_policy", &[("confirm", "on")]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.app_error().to_string().contains("IAM's default already applies"));
    let trail = audit_trail(&app, "admin.password_policy").await;
    assert_eq!(trail.last().unwrap(), &("admin.password_policy.delete".to_owned(), "success".to_owned()));
}
