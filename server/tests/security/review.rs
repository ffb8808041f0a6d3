//! The findings of the security review of 245c3bc (issue #22), each measured as a row: H1 (every portal
//! password check goes through the sign-in admission, found from the router), M1-M3 and L1-L13.

use crate::report::{on, Report};
use crate::support::*;
use app::domain::Role;
use app::error::AppError;
use http::StatusCode;
use server::clock::Clock;

const WRONG: &str = "not-the-password-1";
const NEW: &str = "a-brand-new-portal-passphrase";

/// The form of each server function that checks a portal password, with `guess` as the password.
fn password_form(name: &str, guess: &str) -> Vec<(&'static str, String)> {
    match name {
        "sign_in" => vec![("username", "alice".into()), ("password", guess.into())],
        "confirm_password" => vec![("password", guess.into())],
        "change_portal_password" => {
            vec![("current", guess.into()), ("new_password", NEW.into()), ("repeat_password", NEW.into())]
        }
        _ => vec![],
    }
}

/// The functions that check a portal password. Any other registered function is probed too: it must
/// run no verification at all.
const PASSWORD_CHECKS: &[&str] = &["sign_in", "confirm_password", "change_portal_password"];

/// H1 / G23: every check of a portal password, wherever it is, gets the sign-in admission. Each of the
/// three functions that check one is locked after five failures (the next 200 guesses evaluate
/// nothing); an hour of guessing through all three evaluates at most 100; and every function the
/// router registers, called with a password in every field a password travels in while the account is
/// locked, runs no verification (the hasher counts them; it verifies only with an admission ticket).
pub async fn h1_every_password_check_is_admitted(report: &mut Report) {
    let mut problems = Vec::new();
    let mut past_backoff = Vec::new();
    for name in PASSWORD_CHECKS {
        let app = TestApp::new().await;
        app.add_account("alice", Role::Employee).await;
        let cookie = app.sign_in("alice", PASSWORD).await.unwrap();
        let cookie = (*name != "sign_in").then_some(cookie);
        let call = |guess: &str| {
            let form = password_form(name, guess);
            let (app, cookie) = (&app, cookie.clone());
            async move { app.server_fn(cookie.as_deref(), name, &borrowed(&form)).await }
        };
        for i in 0..5 {
            let r = call(WRONG).await;
            if r.status == StatusCode::TOO_MANY_REQUESTS || r.status.is_server_error() {
                problems.push(format!("{name}: failure {i} answered {}", r.status));
            }
        }
        let before = app.portal.hasher.verifications();
        let mut refused = 0;
        for _ in 0..200 {
            if call(WRONG).await.status == StatusCode::TOO_MANY_REQUESTS {
                refused += 1;
            }
        }
        let evaluated = app.portal.hasher.verifications() - before;
        if refused != 200 {
            problems.push(format!("{name}: {refused}/200 refused"));
        }
        past_backoff.push(format!("{name} {evaluated}"));
        if evaluated != 0 {
            problems.push(format!("{name}: {evaluated} evaluated past the back-off"));
        }
    }

    // An hour of guessing through all three, as fast as the back-off lets each.
    let app = TestApp::new().await;
    app.add_account("alice", Role::Employee).await;
    let cookie = app.sign_in("alice", PASSWORD).await.unwrap();
    let before = app.portal.hasher.verifications();
    let mut elapsed = 0i64;
    'hour: while elapsed < 3600 {
        let mut wait = i64::MAX;
        for name in PASSWORD_CHECKS {
            let form = password_form(name, WRONG);
            let cookie = (*name != "sign_in").then_some(cookie.as_str());
            let r = app.server_fn(cookie, name, &borrowed(&form)).await;
            match serde_json::from_str::<AppError>(&r.body).ok() {
                Some(AppError::TooManyAttempts { retry_after_secs }) => wait = wait.min(retry_after_secs as i64),
                _ if r.status.is_server_error() => {
                    problems.push(format!("{name}: {}", r.status));
                    break 'hour;
                }
                _ => wait = 0,
            }
        }
        // Every one refused: wait for the first to open again.
        if wait > 0 {
            app.clock.advance(time::Duration::seconds(wait));
            elapsed += wait;
        }
    }
    let hour = app.portal.hasher.verifications() - before;

    // Every registered function, with a password everywhere one could travel, while both of alice's
    // counters are in back-off: nothing may be verified.
    let probe = TestApp::new().await;
    probe.add_account("alice", Role::Employee).await;
    let cookie = probe.sign_in("alice", PASSWORD).await.unwrap();
    for name in PASSWORD_CHECKS {
        for _ in 0..6 {
            let form = password_form(name, WRONG);
            probe.server_fn((*name != "sign_in").then_some(cookie.as_str()), name, &borrowed(&form)).await;
        }
    }
    let mut registered: Vec<String> =
        leptos::server_fn::axum::server_fn_paths().map(|(p, _)| p.trim_start_matches("/api/").to_owned()).collect();
    // Signing out would end the probe's session: last.
    registered.sort_by_key(|n| n == "sign_out");
    let everywhere = [
        ("username", "alice"),
        ("password", WRONG),
        ("current", WRONG),
        ("current_password", WRONG),
        ("new_password", NEW),
        ("repeat_password", NEW),
    ];
    let mut bypass = Vec::new();
    for name in &registered {
        let before = probe.portal.hasher.verifications();
        probe.server_fn(Some(&cookie), name, &everywhere).await;
        if probe.portal.hasher.verifications() != before {
            bypass.push(name.clone());
        }
    }
    if !bypass.is_empty() {
        problems.push(format!("verified without admission: {bypass:?}"));
    }
    report.add(
        "H1",
        "SQLite",
        format!(
            "0 guesses may be evaluated past the back-off over 200 tries each: {}; an hour of guessing through all three evaluates {hour} (goal ≤ 100); {} registered functions probed with a password in every field while locked: {} verified one{}",
            past_backoff.join(", "),
            registered.len(),
            bypass.len(),
            if problems.is_empty() { String::new() } else { format!("; PROBLEMS: {}", problems.join("; ")) }
        ),
        problems.is_empty() && hour <= 100,
    );
}

/// L5: anonymous failures lock the sign-in name, but not the signed-in person's step-up (counted on its
/// own counter, which locks after five failures of its own).
pub async fn l5_anonymous_failures_do_not_freeze_step_up(report: &mut Report, db: Backend) {
    let app = TestApp::with(db, &[]).await;
    app.add_account("alice", Role::Employee).await;
    let cookie = app.sign_in("alice", PASSWORD).await.unwrap();
    for _ in 0..8 {
        app.server_fn(None, "sign_in", &[("username", "alice"), ("password", WRONG)]).await;
    }
    let locked = app.server_fn(None, "sign_in", &[("username", "alice"), ("password", PASSWORD)]).await.status;
    let step_up = app.server_fn(Some(&cookie), "confirm_password", &[("password", PASSWORD)]).await;
    let cookie = step_up.session_cookie().unwrap_or(cookie);
    for _ in 0..5 {
        app.server_fn(Some(&cookie), "confirm_password", &[("password", WRONG)]).await;
    }
    let own_lock = app.server_fn(Some(&cookie), "confirm_password", &[("password", PASSWORD)]).await.status;
    report.add(
        "L5",
        on(db),
        format!(
            "sign-in locked by 8 anonymous failures: {locked}; the signed-in person's step-up meanwhile: {}; after 5 wrong step-ups of its own: {own_lock}",
            step_up.status
        ),
        locked == StatusCode::TOO_MANY_REQUESTS && step_up.status == StatusCode::OK && own_lock == StatusCode::TOO_MANY_REQUESTS,
    );
}

async fn signed_in_on(router: &axum::Router, cookie: &str) -> bool {
    let r = TestApp::server_fn_on(router, Some(cookie), "get_frame", &[]).await;
    serde_json::from_str::<app::domain::Frame>(&r.body).ok().and_then(|f| f.viewer).is_some()
}

/// M1 / G24: a request in flight across a revocation does not bring the session back. Instance A serves
/// a slow page (IAM answers after 150 ms) that refreshes the session's last-seen time; meanwhile
/// instance B signs the session out, ends it as "the others" from a second session, or changes the
/// password signing out the others. Afterwards the cookie must be dead on both instances. Before the
/// fix the store's save was an upsert and the slow request wrote the session back.
pub async fn m1_revoked_sessions_stay_revoked(report: &mut Report, db: Backend) {
    const TRIALS_PER_KIND: usize = 25;
    let app = TestApp::with(db, &[]).await;
    app.add_account("alice", Role::Employee).await;
    let b = app.instance_b().await;
    app.portal.embedded.as_ref().unwrap().faults().latency_ms.store(150, std::sync::atomic::Ordering::SeqCst);
    let passwords = [PASSWORD, "a-second-portal-passphrase-9"];
    let mut current = 0usize;
    let mut resurrected = Vec::new();
    let mut trials = 0;
    for kind in ["sign out", "end the others", "password change"] {
        for _ in 0..TRIALS_PER_KIND {
            let victim = app.sign_in("alice", passwords[current]).await.unwrap();
            let other = app.sign_in("alice", passwords[current]).await.unwrap();
            // Past the last-seen granularity: the slow request modifies (and saves) its session.
            app.clock.advance(time::Duration::seconds(61));
            let router = app.router.clone();
            let slow_cookie = victim.clone();
            let slow = tokio::spawn(async move {
                let req = http::Request::get("/").header(http::header::COOKIE, slow_cookie).body(axum::body::Body::empty()).unwrap();
                TestApp::send_to(&router, req).await
            });
            tokio::time::sleep(std::time::Duration::from_millis(40)).await;
            let r = match kind {
                "sign out" => TestApp::server_fn_on(&b, Some(&victim), "sign_out", &[]).await,
                "end the others" => TestApp::server_fn_on(&b, Some(&other), "end_sessions", &[("handle", "others")]).await,
                _ => {
                    let next = passwords[1 - current];
                    let form =
                        [("current", passwords[current]), ("new_password", next), ("repeat_password", next), ("sign_out_others", "on")];
                    let r = TestApp::server_fn_on(&b, Some(&other), "change_portal_password", &form).await;
                    if r.status == StatusCode::OK {
                        current = 1 - current;
                    }
                    r
                }
            };
            assert!(r.status.is_success() || r.status.is_redirection(), "{kind}: {} {}", r.status, r.body);
            let _ = slow.await;
            trials += 1;
            if signed_in_on(&app.router, &victim).await || signed_in_on(&b, &victim).await {
                resurrected.push(kind);
            }
        }
    }
    app.portal.embedded.as_ref().unwrap().faults().latency_ms.store(0, std::sync::atomic::Ordering::SeqCst);
    report.add(
        "M1",
        on(db),
        format!(
            "{} resurrections over {trials} trials of a slow request in flight across sign-out, \"end the others\" and a password change (revoked on B, request on A){}",
            resurrected.len(),
            if resurrected.is_empty() { String::new() } else { format!(": {resurrected:?}") }
        ),
        resurrected.is_empty(),
    );
}

/// M2 / G25: a key the help desk deactivated, and any key while AWS's quarantine policy is attached,
/// is never switched back on by its owner (0 of N tries); each try is audited as refused and told to
/// the help desk; the credentials page offers no "Activate" for it and says why.
pub async fn m2_held_keys_stay_off(report: &mut Report) {
    const TRIES: usize = 10;
    let app = TestApp::new().await;
    app.add_account("alice", Role::Employee).await;
    app.add_account("harry", Role::Helpdesk).await;
    let alice = app.sign_in("alice", PASSWORD).await.unwrap();
    let harry = app.sign_in("harry", PASSWORD).await.unwrap();
    let created = |r: Reply| serde_json::from_str::<app::domain::CreatedAccessKey>(&r.body).unwrap().key.id.to_string();
    let leaked = created(app.server_fn(Some(&alice), "create_access_key", &[]).await);
    let other = created(app.server_fn(Some(&alice), "create_access_key", &[]).await);
    let r = app
        .server_fn(
            Some(&harry),
            "helpdesk_set_key_status",
            &[("user", "alice"), ("key_id", &leaked), ("active", "false"), ("reason", "found on a public repository")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let mut reactivated = 0;
    let mut problems = Vec::new();
    let activate = |id: String| {
        let (app, alice) = (&app, alice.clone());
        async move { app.server_fn(Some(&alice), "set_access_key_status", &[("key_id", &id), ("active", "true")]).await }
    };
    for _ in 0..TRIES {
        let r = activate(leaked.clone()).await;
        if r.status == StatusCode::OK {
            reactivated += 1;
        } else if !matches!(r.app_error(), AppError::NotAllowed { .. }) {
            problems.push(format!("held key: {} {}", r.status, r.body));
        }
    }
    let page = app.get(Some(&alice), "/").await.body;
    if !page.contains("data-testid=\"key-held\"") {
        problems.push("the credentials page does not mark the held key".into());
    }
    // The quarantine holds every key, even one its owner switched off.
    let r = app.server_fn(Some(&alice), "set_access_key_status", &[("key_id", &other), ("active", "false")]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let iam = app.portal.embedded.clone().unwrap();
    iam.attach_user_policy(&app::domain::IamUserName::parse("alice").unwrap(), server::iam::QUARANTINE_POLICY_ARN).await.unwrap();
    for _ in 0..TRIES {
        let r = activate(other.clone()).await;
        if r.status == StatusCode::OK {
            reactivated += 1;
        } else if !matches!(r.app_error(), AppError::NotAllowed { .. }) {
            problems.push(format!("quarantined key: {} {}", r.status, r.body));
        }
    }
    let refused: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_events WHERE action = 'access_key.activate' AND outcome = 'refused' AND target_user = 'alice'",
    )
    .fetch_one(&app.portal.db.pool)
    .await
    .unwrap();
    let told: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM notifications WHERE title LIKE '%tried to reactivate%'")
        .fetch_one(&app.portal.db.pool)
        .await
        .unwrap_or(0);
    if refused != 2 * TRIES as i64 {
        problems.push(format!("{refused} refusals audited"));
    }
    if told < 2 * TRIES as i64 {
        problems.push(format!("the help desk was told {told} times"));
    }
    report.add(
        "M2",
        "SQLite",
        format!(
            "{reactivated}/{} self-service reactivations succeeded ({TRIES} of a key the help desk deactivated, {TRIES} under AWS's quarantine); {refused} refusals audited, the help desk told {told} times{}",
            2 * TRIES,
            if problems.is_empty() { String::new() } else { format!("; PROBLEMS: {}", problems.join("; ")) }
        ),
        reactivated == 0 && problems.is_empty(),
    );
}

/// L4: addresses are canonical and IPv6 clients are counted per /64. The trusted proxy reached over
/// a dual-stack socket (`[::ffff:10.0.0.1]`) is still the trusted proxy, so its clients are told apart;
/// a client rotating through 120 addresses of one /64 gets no more than the per-address limit.
pub async fn l4_addresses_are_canonical(report: &mut Report) {
    use axum::extract::ConnectInfo;
    use std::net::SocketAddr;
    let app = TestApp::with(Backend::Sqlite, &["--trusted-proxies", "10.0.0.1"]).await;
    let attempt = |peer: String, forwarded: Option<String>, name: String| {
        let mut req = form_request(None, "/api/sign_in", "application/json", &[("username", &name), ("password", WRONG)]);
        req.extensions_mut().insert(ConnectInfo(peer.parse::<SocketAddr>().unwrap()));
        if let Some(f) = forwarded {
            req.headers_mut().insert("x-forwarded-for", f.parse().unwrap());
        }
        let app = &app;
        async move { app.send(req).await.status }
    };
    let mut rotated = 0;
    for i in 0..120 {
        if attempt(format!("[2001:db8:1:2::{:x}]:40000", i + 1), None, format!("v6guess{i}")).await == StatusCode::UNAUTHORIZED {
            rotated += 1;
        }
    }
    // Through the mapped proxy address: 100 failures of one client, then that client is limited and a
    // neighbour behind the same proxy is not.
    for i in 0..100 {
        attempt("[::ffff:10.0.0.1]:50000".into(), Some("198.51.100.20".into()), format!("mapped{i}")).await;
    }
    let same = attempt("[::ffff:10.0.0.1]:50000".into(), Some("198.51.100.20".into()), "mapped-next".into()).await;
    let neighbour = attempt("[::ffff:10.0.0.1]:50000".into(), Some("198.51.100.21".into()), "mapped-other".into()).await;
    report.add(
        "L4",
        "SQLite",
        format!(
            "120 addresses of one IPv6 /64: {rotated} evaluated (limit 100); via the proxy's IPv4-mapped address the forwarded client is limited ({same}) and its neighbour is not ({neighbour})"
        ),
        rotated <= 100 && same == StatusCode::TOO_MANY_REQUESTS && neighbour == StatusCode::UNAUTHORIZED,
    );
}

/// L10: the help desk cannot lift AWS's quarantine while the leaked key is on, nor before any key is
/// recorded as leaked while one is active; once the case's key is off it can.
pub async fn l10_quarantine_stays_while_the_leak_is_on(report: &mut Report) {
    let app = TestApp::with(Backend::Sqlite, &["--four-eyes", "none"]).await;
    app.add_account("alice", Role::Employee).await;
    app.add_account("harry", Role::Helpdesk).await;
    let alice = app.sign_in("alice", PASSWORD).await.unwrap();
    let harry = app.sign_in("harry", PASSWORD).await.unwrap();
    let r = app.server_fn(Some(&alice), "create_access_key", &[]).await;
    let key = serde_json::from_str::<app::domain::CreatedAccessKey>(&r.body).unwrap().key.id.to_string();
    app.portal
        .embedded
        .clone()
        .unwrap()
        .attach_user_policy(&app::domain::IamUserName::parse("alice").unwrap(), server::iam::QUARANTINE_POLICY_ARN)
        .await
        .unwrap();
    let why = ("reason", "AWS Health: key exposed");
    let lift_form = [("user", "alice"), why, ("confirm", "yes")];
    let lift = || app.server_fn(Some(&harry), "helpdesk_detach_quarantine", &lift_form);
    let unrecorded = lift().await.status;
    app.server_fn(Some(&harry), "helpdesk_notify_leak", &[("user", "alice"), ("key_id", &key), why]).await;
    let still_on = lift().await.status;
    app.server_fn(Some(&harry), "helpdesk_set_key_status", &[("user", "alice"), ("key_id", &key), ("active", "false"), why]).await;
    let off = lift().await.status;
    report.add(
        "L10",
        "SQLite",
        format!("lifting the quarantine: with no key recorded as leaked {unrecorded}, with the reported key still active {still_on}, once it is off {off}"),
        unrecorded == StatusCode::FORBIDDEN && still_on == StatusCode::FORBIDDEN && off == StatusCode::OK,
    );
}

/// L11: failed sign-ins do not grow the database without bound. 100 evaluated failures of one name
/// leave about a tenth as many audit rows (the first of the streak, every tenth, the back-off's start),
/// 30 unknown names one row each, and a day later the idle throttle rows are gone.
pub async fn l11_failures_stay_bounded(report: &mut Report) {
    let app = TestApp::new().await;
    app.add_account("alice", Role::Employee).await;
    let audit =
        || async { sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM audit_events").fetch_one(&app.portal.db.pool).await.unwrap() };
    let before = audit().await;
    let mut evaluated = 0;
    while evaluated < 100 {
        let r = app.server_fn(None, "sign_in", &[("username", "alice"), ("password", WRONG)]).await;
        match serde_json::from_str::<AppError>(&r.body).ok() {
            Some(AppError::TooManyAttempts { retry_after_secs }) => app.clock.advance(time::Duration::seconds(retry_after_secs as i64)),
            _ => evaluated += 1,
        }
    }
    let one_name = audit().await - before;
    let before = audit().await;
    for i in 0..30 {
        app.server_fn(None, "sign_in", &[("username", &format!("nobody{i}")), ("password", WRONG)]).await;
    }
    let unknown = audit().await - before;
    let rows =
        || async { sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM sign_in_throttle").fetch_one(&app.portal.db.pool).await.unwrap() };
    let held = rows().await;
    app.clock.advance(time::Duration::hours(25));
    app.portal.db.purge_idle_throttle(app.clock.now().unix_timestamp()).await.unwrap();
    let left = rows().await;
    report.add(
        "L11",
        "SQLite",
        format!("100 failures of one name: {one_name} audit rows; 30 unknown names: {unknown}; throttle rows {held}, a day later {left}"),
        one_name <= 15 && unknown <= 30 && left == 0,
    );
}
