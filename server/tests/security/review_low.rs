//! The review's remaining findings as rows (issue #22): M3 and the low ones that review.rs does not
//! measure (L1-L3, L6-L9, L12, L13). Each drives the real router, the real binary or the real
//! policy builder; the fuller tests of each live beside the feature (server/tests/http, unit tests).

use crate::report::Report;
use crate::support::*;
use app::domain::{IamUserName, Role};
use app::error::AppError;
use http::StatusCode;
use server::iam::{Caller, IamBackend};

fn problems_suffix(problems: &[String]) -> String {
    if problems.is_empty() {
        String::new()
    } else {
        format!("; PROBLEMS: {}", problems.join("; "))
    }
}

/// M3: the help desk reaches only employees' IAM users (and the allow-list); a reset never creates a
/// console password.
pub async fn m3_help_desk_scope(report: &mut Report) {
    let app = TestApp::with(Backend::Sqlite, &["--four-eyes", "none"]).await;
    app.add_account("alice", Role::Employee).await;
    app.add_account("harry", Role::Helpdesk).await;
    let harry = app.sign_in("harry", PASSWORD).await.unwrap();
    let iam = app.portal.embedded.clone().unwrap();
    let (svc, admin) = (IamUserName::parse("svc-backup").unwrap(), IamUserName::parse("aws-admin").unwrap());
    iam.create_user(&svc, "/service/", start_time()).await.unwrap();
    iam.create_user(&admin, "/", start_time()).await.unwrap();
    let reason = ("reason", "ticket 12: asked by phone");
    let mut reached = Vec::new();
    for user in ["svc-backup", "aws-admin"] {
        for (name, extra) in [("helpdesk_reset_password", vec![]), ("helpdesk_remove_mfa", vec![("serial", "GAHT10000001")])] {
            let mut form = vec![("user", user), reason];
            form.extend(extra);
            let r = app.server_fn(Some(&harry), name, &form).await;
            if !matches!(serde_json::from_str::<AppError>(&r.body), Ok(AppError::NotAllowed { .. })) {
                reached.push(format!("{name} on {user}: {} {}", r.status, r.body));
            }
        }
    }
    let created = iam.password_state(&Caller::keydesk(), &svc).await.unwrap().profile.is_some()
        || iam.password_state(&Caller::keydesk(), &admin).await.unwrap().profile.is_some();
    // alice is an employee without a console password: the reset is refused, nothing is created.
    let r = app.server_fn(Some(&harry), "helpdesk_reset_password", &[("user", "alice"), reason]).await;
    let alice_profile = iam.password_state(&Caller::keydesk(), &IamUserName::parse("alice").unwrap()).await.unwrap().profile;
    report.add(
        "M3",
        "SQLite",
        format!(
            "help-desk resets and MFA removals on 2 IAM users without a keydesk account (a service user, an AWS admin): {} reached; login profiles created: {}; a reset for an employee without a console password: {}{}",
            reached.len(),
            if created || alice_profile.is_some() { "SOME" } else { "0" },
            r.status,
            problems_suffix(&reached)
        ),
        reached.is_empty() && !created && alice_profile.is_none() && r.status == StatusCode::FORBIDDEN,
    );
}

/// L1 (router half; the policy half is the G26 property test): alice reaches none of alice-admin's
/// devices, and cancelling an enrolment needs a fresh password check.
pub async fn l1_mfa_devices_of_a_longer_name(report: &mut Report) {
    let app = TestApp::new().await;
    app.add_account("alice", Role::Employee).await;
    app.add_account("alice-admin", Role::Employee).await;
    let alice = app.sign_in("alice", PASSWORD).await.unwrap();
    let other = app.sign_in("alice-admin", PASSWORD).await.unwrap();
    let r = app.server_fn(Some(&other), "start_mfa_enrolment", &[("device_name", "phone")]).await;
    let theirs: app::api::mfa::MfaEnrolment = serde_json::from_str(&r.body).unwrap();
    let mut reached = 0;
    for (name, extra) in [
        ("cancel_mfa_enrolment", vec![]),
        ("enable_mfa", vec![("code1", "123456"), ("code2", "654321")]),
        ("remove_mfa", vec![("password", PASSWORD)]),
        ("resync_mfa", vec![("code1", "123456"), ("code2", "654321")]),
    ] {
        let mut form = vec![("serial", theirs.serial.as_str())];
        form.extend(extra);
        if app.server_fn(Some(&alice), name, &form).await.status.is_success() {
            reached += 1;
        }
    }
    let still = app.portal.iam.list_unassigned_virtual_mfa(&Caller::keydesk()).await.unwrap().contains(&theirs.serial);
    let r = app.server_fn(Some(&alice), "start_mfa_enrolment", &[("device_name", "phone")]).await;
    let mine: app::api::mfa::MfaEnrolment = serde_json::from_str(&r.body).unwrap();
    app.clock.advance(time::Duration::minutes(11));
    let cancel = app.server_fn(Some(&alice), "cancel_mfa_enrolment", &[("serial", &mine.serial)]).await;
    report.add(
        "L1",
        "SQLite",
        format!(
            "alice on alice-admin's pending device ({}): {reached}/4 operations succeeded, device still there: {still}; alice's own under {}; cancelling 11 min after the last password check: {}",
            theirs.serial,
            mine.serial.rsplit_once(":mfa/").map(|(_, p)| p).unwrap_or_default(),
            cancel.status
        ),
        reached == 0 && still && mine.serial.contains(":mfa/alice/") && cancel.app_error() == AppError::ReauthRequired,
    );
}

/// L2: the Git forms reach Git credentials only, whatever else the person holds.
pub async fn l2_git_forms_stay_on_git(report: &mut Report) {
    let app = TestApp::new().await;
    app.add_account("alice", Role::Employee).await;
    let alice = app.sign_in("alice", PASSWORD).await.unwrap();
    let me = IamUserName::parse("alice").unwrap();
    let iam = app.portal.embedded.clone().unwrap();
    let mut changed = 0;
    let mut tried = 0;
    for spec in app::domain::services::SERVICES.iter().filter(|s| !s.is_codecommit()) {
        let id = iam.create_service_credential(&Caller::keydesk(), &me, spec.service_name, None).await.unwrap().credential.id.to_string();
        for (name, form) in [
            ("set_git_credential_status", vec![("credential_id", id.as_str()), ("active", "false")]),
            ("reset_git_credential", vec![("credential_id", id.as_str())]),
            ("delete_git_credential", vec![("credential_id", id.as_str()), ("confirm", id.as_str())]),
        ] {
            tried += 1;
            if app.server_fn(Some(&alice), name, &form).await.status.is_success() {
                changed += 1;
            }
        }
    }
    report.add(
        "L2",
        "SQLite",
        format!("{changed}/{tried} Git-form calls on other services' credentials succeeded"),
        changed == 0 && tried > 0,
    );
}

/// L3: a forged `?__err=` link shows nothing; the browser is sent to the clean page.
pub async fn l3_no_error_text_from_links(report: &mut Report) {
    use base64::Engine as _;
    let app = TestApp::new().await;
    app.add_account("alice", Role::Employee).await;
    let alice = app.sign_in("alice", PASSWORD).await.unwrap();
    let lure = AppError::invalid("x", "Call +1 555 0100 now");
    let forged = base64::engine::general_purpose::URL_SAFE.encode(serde_json::to_string(&lure).unwrap());
    let mut shown = 0;
    let pages = ["/", "/sign-in", "/activity", "/access-keys/new"];
    for page in pages {
        let r = app.get(Some(&alice), &format!("{page}?__path=/api/create_access_key&__err={forged}")).await;
        if r.body.contains("555 0100") || r.status != StatusCode::SEE_OTHER {
            shown += 1;
        }
    }
    report.add(
        "L3",
        "SQLite",
        format!("{shown}/{} pages showed a forged error (each answered 303 to the clean page)", pages.len()),
        shown == 0,
    );
}

/// L6: four eyes are two people: a second account for the filer's IAM user cannot approve.
pub async fn l6_four_eyes_are_two_people(report: &mut Report) {
    let app = TestApp::new().await;
    app.add_account("alice", Role::Employee).await;
    app.add_account("harry", Role::Helpdesk).await;
    app.give_console_password("alice").await;
    app.add_account_acting_for("harry-admin", Role::Admin, "harry").await;
    let harry = app.sign_in("harry", PASSWORD).await.unwrap();
    app.server_fn(Some(&harry), "helpdesk_reset_password", &[("user", "alice"), ("reason", "locked out")]).await;
    let list: Vec<app::api::helpdesk::RequestView> =
        serde_json::from_str(&app.server_fn(Some(&harry), "helpdesk_requests", &[]).await.body).unwrap_or_default();
    let twin = app.sign_in("harry-admin", PASSWORD).await.unwrap();
    let r = match list.first() {
        Some(q) => app.server_fn(Some(&twin), "helpdesk_decide", &[("id", q.id.as_str()), ("approve", "true")]).await.status,
        None => StatusCode::NOT_FOUND,
    };
    report.add(
        "L6",
        "SQLite",
        format!("a request filed by harry, approved by harry's second account (same IAM user): {r}"),
        r == StatusCode::FORBIDDEN,
    );
}

/// L7: `keydesk user passwd` signs out every session of the account.
pub async fn l7_passwd_ends_sessions(report: &mut Report) {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("p.db").display());
    let run = |args: &[&str], stdin: &str| {
        use std::io::Write;
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_keydesk"))
            .args(["--database-url", db.as_str()])
            .args(args)
            .env_remove("KEYDESK_DATABASE_URL")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
        child.wait_with_output().unwrap()
    };
    run(&["user", "add", "erin"], "a-long-enough-passphrase\n");
    let pool = sqlx::SqlitePool::connect(&db).await.unwrap();
    for id in ["s1", "s2", "s3"] {
        sqlx::query("INSERT INTO sessions (id, data, expires_at, username) VALUES ($1, '{}', 9999999999, 'erin')")
            .bind(id)
            .execute(&pool)
            .await
            .unwrap();
    }
    let out = run(&["user", "passwd", "erin"], "a-fresh-long-passphrase\n");
    let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sessions WHERE username = 'erin'").fetch_one(&pool).await.unwrap();
    report.add(
        "L7",
        "SQLite, the keydesk binary",
        format!("3 live sessions, then `keydesk user passwd` (exit {:?}): {left} left", out.status.code()),
        out.status.success() && left == 0,
    );
}

/// L8: a self-service session tags only with access key ids, in the session policy (for generated
/// names) and in the embedded IAM.
pub async fn l8_tags_only_for_key_descriptions(report: &mut Report) {
    use proptest::strategy::{Strategy, ValueTree};
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let names = "[A-Za-z0-9+=,.@_-]{1,64}";
    let mut restricted = 0;
    for _ in 0..500 {
        let name = names.new_tree(&mut runner).unwrap().current();
        let user = IamUserName::parse(&name).unwrap();
        let doc: serde_json::Value = serde_json::from_str(&server::iam::policy::self_service_policy("123456789012", &user)).unwrap();
        let deny = doc["Statement"].as_array().unwrap().iter().any(|s| {
            s["Effect"] == "Deny" && s["Condition"]["ForAnyValue:StringNotLike"]["aws:TagKeys"] == "AKIA*" && s["Resource"] == "*"
        });
        if deny {
            restricted += 1;
        }
    }
    let app = TestApp::new().await;
    app.add_account("alice", Role::Employee).await;
    let me = IamUserName::parse("alice").unwrap();
    let alice = Caller::self_service_all("alice".to_owned(), me.clone());
    let other_tag = app.portal.iam.tag_user(&alice, &me, "CostCenter", "free-lunch").await;
    let key_tag = app.portal.iam.tag_user(&alice, &me, "AKIAIOSFODNN7EXAMPLE", "laptop").await;
    report.add(
        "L8",
        "policy builder + embedded IAM",
        format!(
            "500 generated user names: {restricted} session policies deny tag keys other than AKIA*; embedded IAM, self-service: tag CostCenter → {}, a key-description tag → {}",
            if matches!(other_tag, Err(server::iam::IamError::AccessDenied(_))) { "AccessDenied" } else { "ALLOWED" },
            if key_tag.is_ok() { "ok" } else { "refused" }
        ),
        restricted == 500 && matches!(other_tag, Err(server::iam::IamError::AccessDenied(_))) && key_tag.is_ok(),
    );
}

/// L9: `/metrics` is not served on the main address unless asked for.
pub async fn l9_metrics_not_public_by_default(report: &mut Report) {
    use axum::extract::ConnectInfo;
    let get = |app: &TestApp| {
        let mut req = http::Request::get("/metrics").body(axum::body::Body::empty()).unwrap();
        req.extensions_mut().insert(ConnectInfo("127.0.0.1:40000".parse::<std::net::SocketAddr>().unwrap()));
        let app = app.router.clone();
        async move { TestApp::send_to(&app, req).await.status }
    };
    let default = get(&TestApp::new().await).await;
    let asked = get(&TestApp::with(Backend::Sqlite, &["--metrics-on-main"]).await).await;
    report.add(
        "L9",
        "SQLite",
        format!(
            "/metrics on the main address from loopback without a forwarding header: by default {default}; with --metrics-on-main {asked}"
        ),
        default == StatusCode::NOT_FOUND && asked == StatusCode::OK,
    );
}

/// L12: configuration errors and `keydesk check` lines never carry a URL's password.
pub async fn l12_no_passwords_in_configuration_errors(report: &mut Report) {
    let mut leaked = Vec::new();
    let cases: &[&[&str]] = &[
        &["--database-url", "mysql://keydesk:hunter2-canary@db/portal", "user", "list"],
        &["--database-url", "mysql://keydesk:hunter2-canary@db/portal", "check"],
        &["--smtp-url", "ftp://mailer:hunter2-canary@mail", "user", "list"],
    ];
    for args in cases {
        let out =
            std::process::Command::new(env!("CARGO_BIN_EXE_keydesk")).args(*args).env_remove("KEYDESK_DATABASE_URL").output().unwrap();
        let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        if text.contains("hunter2") || out.status.success() {
            leaked.push(format!("{args:?}: {text}"));
        }
    }
    report.add(
        "L12",
        "the keydesk binary",
        format!("{} bad configurations with a password in a URL: {} printed it", cases.len(), leaked.len()),
        leaked.is_empty(),
    );
}

/// L13: signing the other sessions out needs a fresh password check, so a stale (stolen) session
/// cannot end its owner's newer one.
pub async fn l13_ending_sessions_needs_step_up(report: &mut Report) {
    let app = TestApp::new().await;
    app.add_account("alice", Role::Employee).await;
    let thief = app.sign_in("alice", PASSWORD).await.unwrap();
    app.clock.advance(time::Duration::minutes(11));
    let owner = app.sign_in("alice", PASSWORD).await.unwrap();
    let r = app.server_fn(Some(&thief), "end_sessions", &[("handle", "others")]).await;
    let owner_alive = app.server_fn(Some(&owner), "get_frame", &[]).await.body.contains("\"viewer\":{");
    report.add(
        "L13",
        "SQLite",
        format!("\"sign out the others\" from a session 11 min past its password check: {}; the owner's newer session still signed in: {owner_alive}", r.status),
        r.app_error() == AppError::ReauthRequired && owner_alive,
    );
}
