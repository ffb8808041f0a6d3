//! The console password (policy, strength, step-up, IAM's reuse rule) and virtual MFA enrolment, resync
//! and removal, through the server functions.

use crate::support::*;
use app::api::mfa::MfaEnrolment;
use app::domain::{IamUserName, PasswordPolicy, Role};
use app::error::AppError;
use http::StatusCode;
use server::clock::Clock;
use server::iam::{Caller, IamBackend};

fn alice() -> IamUserName {
    IamUserName::parse("alice").unwrap()
}

async fn signed_in(app: &TestApp) -> String {
    app.add_account("alice", Role::Employee).await;
    app.sign_in("alice", PASSWORD).await.unwrap()
}

async fn change(app: &TestApp, cookie: &str, new: &str, repeat: &str) -> Result<(), (StatusCode, AppError)> {
    let r = app.server_fn(Some(cookie), "change_password", &[("new_password", new), ("repeat_password", repeat)]).await;
    if r.status == StatusCode::OK {
        Ok(())
    } else {
        Err((r.status, r.app_error()))
    }
}

fn invalid(message: &str) -> (StatusCode, AppError) {
    (StatusCode::UNPROCESSABLE_ENTITY, AppError::invalid("new_password", message))
}

#[tokio::test]
async fn the_server_refuses_what_the_checklist_refuses_with_the_same_words() {
    let app = TestApp::new().await;
    let embedded = app.portal.embedded.clone().unwrap();
    embedded.set_password_policy(Some(&PasswordPolicy::cis_recommended())).await.unwrap();
    let cookie = signed_in(&app).await;
    let policy = app::domain::EffectivePolicy::Custom(PasswordPolicy::cis_recommended());
    for bad in ["Short1!a", "nouppercase-123!", "NOLOWERCASE-123!", "No-Numbers-Here!", "NoSymbols12345ab", "Ünïcødé-ok-1Aа"] {
        let words = policy.check(bad).first_failure().unwrap();
        assert_eq!(change(&app, &cookie, bad, bad).await, Err(invalid(&words)), "{bad}");
    }
    assert_eq!(
        change(&app, &cookie, "Granite-Tulip-42-fox", "Granite-Tulip-42-fax").await,
        Err(invalid("The two passwords are not the same."))
    );
    let state = embedded.password_state(&Caller::keydesk(), &alice()).await.unwrap();
    assert!(state.profile.is_none(), "nothing was set by refused attempts");

    assert_eq!(change(&app, &cookie, "Granite-Tulip-42-fox", "Granite-Tulip-42-fox").await, Ok(()));
    // IAM's reuse rule (24 remembered under the CIS policy) is IAM's to check; keydesk words it.
    let reused = change(&app, &cookie, "Granite-Tulip-42-fox", "Granite-Tulip-42-fox").await.unwrap_err();
    assert_eq!(reused.0, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(reused.1.to_string().contains("last 24 passwords") && reused.1.to_string().contains("not used recently"), "{}", reused.1);

    let audit: Vec<(String, String)> =
        sqlx::query_as("SELECT action, outcome FROM audit_events WHERE action = 'password.change' ORDER BY id")
            .fetch_all(&app.portal.db.pool)
            .await
            .unwrap();
    assert_eq!(audit.iter().map(|(_, o)| o.as_str()).collect::<Vec<_>>(), ["pending", "success", "pending", "failure"]);
    let portal_db = std::fs::read(app.dir.path().join("portal.db")).unwrap();
    assert!(!String::from_utf8_lossy(&portal_db).contains("Granite-Tulip"), "the portal never stores the password");
}

#[tokio::test]
async fn weak_passwords_warn_by_default_and_are_refused_when_configured() {
    let weak = "Password123!alice";
    let app = TestApp::new().await;
    let cookie = signed_in(&app).await;
    assert_eq!(change(&app, &cookie, weak, weak).await, Ok(()), "only a warning by default");

    let app = TestApp::with(Backend::Sqlite, &["--block-weak-passwords"]).await;
    let cookie = signed_in(&app).await;
    let (status, error) = change(&app, &cookie, weak, weak).await.unwrap_err();
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let expected = app::domain::password_policy::refusal(&app::domain::EffectivePolicy::IamDefault, weak, weak, "alice", true).unwrap();
    assert_eq!(error.to_string(), expected);
    assert!(expected.contains("user name"), "{expected}");
}

#[tokio::test]
async fn changing_needs_a_fresh_sign_in_and_respects_the_policy_switches() {
    let app = TestApp::new().await;
    let embedded = app.portal.embedded.clone().unwrap();
    // A console password 20 days old (IAM's login profile dates from then).
    app.add_account("alice", Role::Employee).await;
    app.give_console_password("alice").await;
    app.clock.advance(time::Duration::days(20));
    let cookie = app.sign_in("alice", PASSWORD).await.unwrap();
    app.clock.advance(time::Duration::minutes(11));
    assert_eq!(
        change(&app, &cookie, "Granite-Tulip-42-fox", "Granite-Tulip-42-fox").await,
        Err((StatusCode::UNAUTHORIZED, AppError::ReauthRequired))
    );
    let ok = app.server_fn(Some(&cookie), "confirm_password", &[("password", PASSWORD)]).await;
    let cookie = ok.session_cookie().unwrap();
    assert_eq!(change(&app, &cookie, "Granite-Tulip-42-fox", "Granite-Tulip-42-fox").await, Ok(()));
    // The card counts the password's age from this change, not from when IAM's login profile was made
    // (20 days earlier): a change does not move the profile's date.
    let o = app.server_fn(Some(&cookie), "get_my_credentials", &[]).await;
    let o: app::api::credentials::CredentialsOverview = serde_json::from_str(&o.body).unwrap();
    assert_eq!(o.password.as_ref().and_then(|p| p.age_days), Some(0), "just changed");

    let mut policy = PasswordPolicy::cis_recommended();
    policy.allow_users_to_change = false;
    embedded.set_password_policy(Some(&policy)).await.unwrap();
    let (status, error) = change(&app, &cookie, "Granite-Tulip-42-owl", "Granite-Tulip-42-owl").await.unwrap_err();
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(error.to_string().contains("does not let users change their own password"));

    policy.allow_users_to_change = true;
    policy.hard_expiry = true;
    policy.max_age_days = Some(90);
    embedded.set_password_policy(Some(&policy)).await.unwrap();
    // 91 days after the change (a new sign-in: the old session has timed out).
    app.clock.advance(time::Duration::days(91));
    let cookie = app.sign_in("alice", PASSWORD).await.unwrap();
    let (status, error) = change(&app, &cookie, "Granite-Tulip-42-owl", "Granite-Tulip-42-owl").await.unwrap_err();
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(error.to_string().contains("hard expiry"), "{error}");
    let page = app.get(Some(&cookie), "/").await;
    assert!(page.body.contains("Expired 1 day ago") && page.body.contains("data-testid=\"cannot-change\""), "the page says so too");
}

async fn start(app: &TestApp, cookie: &str, name: &str) -> Result<MfaEnrolment, AppError> {
    let r = app.server_fn(Some(cookie), "start_mfa_enrolment", &[("device_name", name)]).await;
    if r.status == StatusCode::OK {
        assert_eq!(r.headers["cache-control"], "no-store");
        Ok(serde_json::from_str(&r.body).unwrap())
    } else {
        Err(r.app_error())
    }
}

async fn unassigned(app: &TestApp) -> usize {
    app.portal.iam.list_unassigned_virtual_mfa(&Caller::keydesk()).await.unwrap().len()
}

#[tokio::test]
async fn enrol_resync_and_remove_a_virtual_mfa_device() {
    let app = TestApp::new().await;
    let cookie = signed_in(&app).await;
    for bad in ["alice-ph one", "", "alice/phone", &"x".repeat(227)] {
        assert!(matches!(start(&app, &cookie, bad).await, Err(AppError::InvalidInput { .. })), "{bad}");
    }
    assert_eq!(unassigned(&app).await, 0);

    // An abandoned enrolment is cleaned up by the next attempt with the same name...
    let first = start(&app, &cookie, "alice-phone").await.unwrap();
    let second = start(&app, &cookie, "alice-phone").await.unwrap();
    assert_ne!(first.seed.expose(), second.seed.expose());
    assert_eq!(unassigned(&app).await, 1);
    assert!(second.qr_svg.expose().starts_with("<?xml") || second.qr_svg.expose().contains("<svg"));
    // ...and cancelling deletes it.
    let r = app.server_fn(Some(&cookie), "cancel_mfa_enrolment", &[("serial", &second.serial)]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(unassigned(&app).await, 0);

    let e = start(&app, &cookie, "alice-phone").await.unwrap();
    let enable = |c1: String, c2: String| {
        let (app, cookie, serial) = (&app, cookie.clone(), e.serial.clone());
        async move { app.server_fn(Some(&cookie), "enable_mfa", &[("serial", &serial), ("code1", &c1), ("code2", &c2)]).await }
    };
    let r = enable("123456".into(), "123456".into()).await;
    assert!(r.app_error().to_string().contains("two different, consecutive codes"));
    let r = enable("12345".into(), "654321".into()).await;
    assert!(r.app_error().to_string().contains("6 digits"));
    let (c1, c2) = totp_codes(e.seed.expose(), app.clock.now(), 0);
    let r = enable(c2.clone(), c1.clone()).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "codes in the wrong order");
    assert!(r.app_error().to_string().contains("consecutive codes"));
    // Typed as the 30 s step turns: the pair read a step ago is still accepted (IAM's window), so a
    // person — or a browser test — never has to wait for a fresh step.
    app.clock.advance(time::Duration::seconds(30));
    let r = enable(c1.clone(), c2.clone()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let devices = app.portal.iam.list_mfa_devices(&Caller::keydesk(), &alice()).await.unwrap();
    assert_eq!(devices.len(), 1);

    // Resync: codes already used are refused; fresh consecutive ones work.
    let resync = |c1: String, c2: String| {
        let (app, cookie, serial) = (&app, cookie.clone(), e.serial.clone());
        async move { app.server_fn(Some(&cookie), "resync_mfa", &[("serial", &serial), ("code1", &c1), ("code2", &c2)]).await }
    };
    assert_eq!(resync(c1, c2).await.status, StatusCode::UNPROCESSABLE_ENTITY, "reused codes");
    app.clock.advance(time::Duration::seconds(90));
    let (n1, n2) = totp_codes(e.seed.expose(), app.clock.now(), 0);
    let r = resync(n1, n2).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);

    // Removal takes the password every time, inside the step-up window too, and a wrong one removes
    // nothing.
    let r = app.server_fn(Some(&cookie), "remove_mfa", &[("serial", &e.serial)]).await;
    assert!(!r.status.is_success(), "no password: {}", r.body);
    let r = app.server_fn(Some(&cookie), "remove_mfa", &[("serial", &e.serial), ("password", "not-the-password")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.app_error().to_string().contains("not correct"), "{}", r.body);
    assert_eq!(app.portal.iam.list_mfa_devices(&Caller::keydesk(), &alice()).await.unwrap().len(), 1, "a wrong password removes nothing");
    app.clock.advance(time::Duration::minutes(11));
    assert!(matches!(start(&app, &cookie, "alice-tablet").await, Err(AppError::ReauthRequired)));
    // Past the window the password given with the removal is the step-up.
    let r = app.server_fn(Some(&cookie), "remove_mfa", &[("serial", &e.serial), ("password", PASSWORD)]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(app.portal.iam.list_mfa_devices(&Caller::keydesk(), &alice()).await.unwrap().is_empty());
    assert_eq!(unassigned(&app).await, 0, "the virtual device is deleted, not left unassigned");

    let actions: Vec<(String, String)> =
        sqlx::query_as("SELECT action, outcome FROM audit_events WHERE action LIKE 'mfa.%' AND outcome <> 'pending' ORDER BY id")
            .fetch_all(&app.portal.db.pool)
            .await
            .unwrap();
    let actions: Vec<String> = actions.into_iter().map(|(a, o)| format!("{a}:{o}")).collect();
    assert_eq!(
        actions,
        [
            "mfa.create:success",
            "mfa.create:success",
            "mfa.cancel:success",
            "mfa.create:success",
            "mfa.enable:failure",
            "mfa.enable:success",
            "mfa.resync:failure",
            "mfa.resync:success",
            "mfa.remove:success"
        ]
    );
    // The seed is IAM's: nothing in the portal's database or on the page carries it.
    let portal_db = std::fs::read(app.dir.path().join("portal.db")).unwrap();
    for seed in [first.seed.expose(), second.seed.expose(), e.seed.expose()] {
        assert!(!String::from_utf8_lossy(&portal_db).contains(seed));
        assert!(!app.get(Some(&cookie), "/").await.body.contains(seed));
    }
}

#[tokio::test]
async fn mfa_changes_from_another_site_are_refused() {
    let app = TestApp::new().await;
    let cookie = signed_in(&app).await;
    let req = http::Request::post("/api/start_mfa_enrolment")
        .header(http::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(http::header::COOKIE, &cookie)
        .header("sec-fetch-site", "cross-site")
        .body(axum::body::Body::from("device_name=alice-evil"))
        .unwrap();
    assert_eq!(app.send(req).await.status, StatusCode::FORBIDDEN);
    assert_eq!(unassigned(&app).await, 0);
}

#[tokio::test]
async fn hardware_totp_tokens_are_assigned_by_serial_and_two_codes_and_removed() {
    let app = TestApp::new().await;
    let cookie = signed_in(&app).await;
    app.add_account("bob", Role::Employee).await;
    let iam = app.portal.embedded.clone().unwrap();
    const SEED: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
    iam.register_hardware_token("GAHT10000001", SEED).await.unwrap();
    let enable = |serial: &'static str, c1: String, c2: String| {
        let (app, cookie) = (&app, cookie.clone());
        async move { app.server_fn(Some(&cookie), "enable_mfa", &[("serial", serial), ("code1", &c1), ("code2", &c2)]).await }
    };
    let (c1, c2) = totp_codes(SEED, app.clock.now(), 0);
    let devices = || async { iam.list_mfa_devices(&server::iam::Caller::keydesk(), &alice()).await.unwrap() };

    // Bad input: each refusal says what is wrong, and nothing is assigned.
    for (serial, expect) in [("GAHT1", "9 to 256"), ("GAHT 1000 0001", "cannot contain"), ("GAHT99999999", "knows no hardware MFA token")] {
        let r = enable(serial, c1.clone(), c2.clone()).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{serial}: {}", r.body);
        assert!(r.app_error().to_string().contains(expect), "{serial}: {}", r.body);
    }
    let r = enable("GAHT10000001", "000000".into(), "000001".into()).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "wrong codes: {}", r.body);
    assert!(devices().await.is_empty());

    let r = enable("GAHT10000001", c1, c2).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let listed = devices().await;
    assert_eq!((listed.len(), listed[0].kind()), (1, app::domain::MfaKind::HardwareTotp));
    assert!(audit_trail(&app, "mfa.enable").await.contains(&("mfa.enable".to_owned(), "success".to_owned())));
    assert_eq!(
        iam.list_unassigned_virtual_mfa(&server::iam::Caller::keydesk()).await.unwrap(),
        Vec::<String>::new(),
        "not a virtual device"
    );

    // Another user cannot take the same token.
    let bob = app.sign_in("bob", PASSWORD).await.unwrap();
    app.clock.advance(time::Duration::seconds(60));
    let (b1, b2) = totp_codes(SEED, app.clock.now(), 0);
    let r = app.server_fn(Some(&bob), "enable_mfa", &[("serial", "GAHT10000001"), ("code1", &b1), ("code2", &b2)]).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(r.app_error().to_string().contains("already assigned"), "{}", r.body);

    // It resyncs (it gives codes) and is removed like any device, after which it can be assigned again.
    let (r1, r2) = totp_codes(SEED, app.clock.now(), 0);
    let r = app.server_fn(Some(&cookie), "resync_mfa", &[("serial", "GAHT10000001"), ("code1", &r1), ("code2", &r2)]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = app.server_fn(Some(&cookie), "remove_mfa", &[("serial", "GAHT10000001"), ("password", PASSWORD)]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(devices().await.is_empty());
    app.clock.advance(time::Duration::seconds(60));
    let (a1, a2) = totp_codes(SEED, app.clock.now(), 0);
    let r = app.server_fn(Some(&bob), "enable_mfa", &[("serial", "GAHT10000001"), ("code1", &a1), ("code2", &a2)]).await;
    assert_eq!(r.status, StatusCode::OK, "free again after removal: {}", r.body);
}

/// SECURITY.md L1: self-service devices live under `mfa/<user>/`, so `alice` reaches none of
/// `alice-admin`'s devices (the old `mfa/alice-*` grant matched them), and cancelling an enrolment asks
/// for the password again like enrolment and removal do.
#[tokio::test]
async fn a_name_prefix_reaches_no_other_users_devices_and_cancelling_needs_step_up() {
    let app = TestApp::new().await;
    let alice = signed_in(&app).await;
    app.add_account("alice-admin", Role::Employee).await;
    let admin = app.sign_in("alice-admin", PASSWORD).await.unwrap();
    let theirs = start(&app, &admin, "phone").await.unwrap();
    assert!(theirs.serial.ends_with(":mfa/alice-admin/phone"), "{}", theirs.serial);
    let legacy = "arn:aws:iam::123456789012:mfa/alice-admin-phone";
    for serial in [theirs.serial.as_str(), legacy] {
        let r = app.server_fn(Some(&alice), "cancel_mfa_enrolment", &[("serial", serial)]).await;
        assert!(matches!(r.app_error(), AppError::InvalidInput { .. }), "{serial}: {}", r.body);
    }
    assert_eq!(unassigned(&app).await, 1, "alice-admin's pending device is still there");
    let mine = start(&app, &alice, "alice-admin").await.unwrap();
    assert!(mine.serial.ends_with(":mfa/alice/alice-admin"), "{}", mine.serial);
    app.clock.advance(time::Duration::minutes(11));
    let r = app.server_fn(Some(&alice), "cancel_mfa_enrolment", &[("serial", &mine.serial)]).await;
    assert_eq!(r.app_error(), AppError::ReauthRequired);
    assert_eq!(unassigned(&app).await, 2, "nothing was cancelled without the password");
}

/// The MFA section is drawn on the server, and its forms post with or without JavaScript: the page
/// comes back with the answer. An assigned hardware token is said to be assigned, once; a refused
/// removal comes back with that device's confirmation open beside the refusal, so the person can
/// correct the password where they typed it.
#[tokio::test]
async fn mfa_forms_drawn_on_the_server_come_back_with_their_answer() {
    let app = TestApp::new().await;
    let cookie = signed_in(&app).await;
    let iam = app.portal.embedded.clone().unwrap();
    const SEED: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
    iam.register_hardware_token("GAHT10000001", SEED).await.unwrap();
    let post = |path: &'static str, form: Vec<(&'static str, String)>, referer: &'static str| {
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        app.send(page_form_request(Some(&cookie), path, referer, &form))
    };
    let (c1, c2) = totp_codes(SEED, app.clock.now(), 0);
    // The page's address still holds an earlier answer: it is forgotten.
    let assigned = post(
        "/api/enable_mfa?at=add-hardware",
        vec![("serial", "GAHT10000001".into()), ("code1", c1), ("code2", c2)],
        "http://127.0.0.1:3000/?done=mfa-resync-x",
    )
    .await;
    assert_eq!(assigned.location(), Some("http://127.0.0.1:3000/?done=add-hardware#add-hardware"));
    let page = app.get(Some(&cookie), "/?done=add-hardware").await;
    assert!(page.body.contains(r#"data-testid="hardware-enabled""#), "said once it is done");
    assert!(page.body.contains("GAHT10000001"), "and listed");
    assert!(!page.body.contains("Device resynchronised"), "not the earlier answer");

    let refused = post(
        "/api/remove_mfa?at=mfa-remove-gaht10000001",
        vec![("serial", "GAHT10000001".into()), ("password", "not-the-password".into())],
        "http://127.0.0.1:3000/?done=add-hardware",
    )
    .await;
    let location = refused.location().unwrap().to_owned();
    assert!(location.contains("__err=") && location.ends_with("&open=mfa-remove-gaht10000001#mfa-remove-gaht10000001"), "{location}");
    assert!(!location.contains("done="), "{location}");
    let proof = format!("{cookie}; {}", refused.error_proof().expect("a proof"));
    let page = app.get(Some(&proof), refused.answer_path().unwrap()).await;
    assert_eq!(page.status, StatusCode::OK);
    let panel = page.body.split(r#"id="mfa-remove-gaht10000001""#).nth(1).expect("the device's removal panel");
    assert!(panel.split('>').next().unwrap().contains("open"), "open again: {}", &panel[..80]);
    assert!(page.body.contains("not correct"), "beside the refusal");
    assert!(!page.body.contains(r#"data-testid="hardware-enabled""#), "the earlier success is not said again");
    assert_eq!(app.portal.iam.list_mfa_devices(&Caller::keydesk(), &alice()).await.unwrap().len(), 1, "nothing removed");
}
