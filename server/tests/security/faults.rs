//! Faults injected through the embedded IAM's switches (lost responses, throttling, outages), a broken
//! audit table, and changes interrupted by a crash.

use crate::report::{on, Report};
use crate::support::*;
use app::domain::{CreatedAccessKey, IamUserName, Role};
use app::error::AppError;
use http::StatusCode;
use server::clock::Clock;
use std::sync::atomic::Ordering;

/// Audit intents that do not have exactly one final record naming them (G22's invariant, checked after
/// each run): (intents, unmatched).
pub async fn unmatched_intents(app: &TestApp) -> (usize, usize) {
    let rows: Vec<(i64, String, Option<i64>, Option<String>)> =
        sqlx::query_as("SELECT id, outcome, intent_id, detail FROM audit_events ORDER BY id").fetch_all(&app.portal.db.pool).await.unwrap();
    let intents: Vec<i64> = rows.iter().filter(|(_, o, _, _)| o == "pending").map(|(id, _, _, _)| *id).collect();
    let finals_of = |id: i64| {
        let tag = format!("intent={id}");
        rows.iter()
            .filter(|(_, o, link, d)| {
                o != "pending" && *link == Some(id) && d.as_deref().is_some_and(|d| d == tag || d.starts_with(&format!("{tag};")))
            })
            .count()
    };
    (intents.len(), intents.iter().filter(|id| finals_of(**id) != 1).count())
}

/// G4: 100 trials of "IAM committed the create, the response was lost".
pub async fn g4_lost_responses(report: &mut Report, db: Backend) {
    let app = TestApp::with(db, &[]).await;
    app.add_account("alice", Role::Employee).await;
    let cookie = app.sign_in("alice", PASSWORD).await.unwrap();
    let faults = app.portal.embedded.as_ref().unwrap().faults();
    let (mut secrets_shown, mut active_unseen, mut outcomes) = (0, 0, std::collections::BTreeMap::<String, usize>::new());
    for trial in 0..100 {
        // Every tenth trial starts with a key the person did see: reconciliation must leave it alone.
        let seen = if trial % 10 == 9 {
            let r = app.server_fn(Some(&cookie), "create_access_key", &[]).await;
            Some(serde_json::from_str::<CreatedAccessKey>(&r.body).unwrap().key.id.to_string())
        } else {
            None
        };
        faults.lose_responses.store(1, Ordering::SeqCst);
        let r = app.server_fn(Some(&cookie), "create_access_key", &[]).await;
        if r.status == StatusCode::OK {
            secrets_shown += 1;
        }
        let keys = keys_of(&app, "alice").await;
        active_unseen += keys.iter().filter(|k| Some(*k) != seen.as_ref()).count();
        let last: Vec<(String, String)> = audit_trail(&app, "access_key.create").await;
        *outcomes.entry(last.last().unwrap().1.clone()).or_default() += 1;
        if let Some(id) = seen {
            let _ = app.server_fn(Some(&cookie), "set_access_key_status", &[("key_id", &id), ("active", "false")]).await;
            let _ = app.server_fn(Some(&cookie), "delete_access_key", &[("key_id", &id), ("confirm", &id)]).await;
        }
    }
    let settled =
        outcomes.iter().filter(|(o, _)| matches!(o.as_str(), "orphan_deleted" | "resolved_not_created")).map(|(_, n)| n).sum::<usize>();
    let (intents, unmatched) = unmatched_intents(&app).await;
    report.add(
        "G4",
        on(db).replace(", 2 instances", ""),
        format!(
            "100 lost create responses: outcomes {outcomes:?}; {active_unseen} active keys nobody saw, {secrets_shown} secrets shown for a lost create; {intents} intents, {unmatched} without exactly one final record"
        ),
        settled == 100 && active_unseen == 0 && secrets_shown == 0 && unmatched == 0,
    );
}

/// keydesk killed between the audit intent and IAM's answer: a restarted instance settles every
/// intent left pending (start-up and every half minute, once it is older than any lease).
pub async fn interrupted_changes_are_settled(report: &mut Report, db: Backend) {
    use server::audit::AuditEvent;
    let app = TestApp::with(db, &[]).await;
    for u in ["alice", "bob", "carol"] {
        app.add_account(u, Role::Employee).await;
    }
    let intent = |user: &str, action: &str, subject: Option<String>| AuditEvent {
        actor: Some(user.into()),
        actor_role: Some("employee".into()),
        target_user: Some(user.into()),
        action: action.into(),
        subject,
        outcome: server::audit::Outcome::Pending,
        ..AuditEvent::default()
    };
    let now = app.clock.now();
    // alice: IAM made the key, keydesk died before answering — nobody has the secret.
    app.portal.db.append_audit(now, &intent("alice", "access_key.create", None)).await.unwrap();
    let alice = IamUserName::parse("alice").unwrap();
    let made = app.portal.iam.create_access_key(&server::iam::Caller::keydesk(), &alice).await.unwrap();
    // bob: keydesk died before IAM was called. carol: a deactivation whose answer never came.
    app.portal.db.append_audit(now, &intent("bob", "access_key.create", None)).await.unwrap();
    app.portal.db.append_audit(now, &intent("carol", "access_key.deactivate", Some("AKIAIOSFODNN7EXAMPLE".into()))).await.unwrap();

    let restarted = app.another_instance().await;
    let too_early = restarted.settle_unfinished_intents().await.unwrap();
    app.clock.advance(time::Duration::seconds(server::portal::mutation::SETTLE_AFTER_SECONDS + 1));
    let settled = restarted.settle_unfinished_intents().await.unwrap();
    let again = restarted.settle_unfinished_intents().await.unwrap();
    let finals: Vec<(String, String)> =
        sqlx::query_as("SELECT target_user, outcome FROM audit_events WHERE outcome <> 'pending' ORDER BY target_user")
            .fetch_all(&app.portal.db.pool)
            .await
            .unwrap();
    let (_, unmatched) = unmatched_intents(&app).await;
    let left = keys_of(&app, "alice").await;
    let expected: Vec<(String, String)> =
        [("alice", "orphan_deleted"), ("bob", "resolved_not_created"), ("carol", "interrupted")].map(|(u, o)| (u.into(), o.into())).into();
    report.add(
        "G4",
        on(db).replace(", 2 instances", ", restarted instance"),
        format!(
            "3 changes interrupted by a crash: {too_early} settled while they might still run, {settled} settled after {} s ({finals:?}), {again} on the next round; {} pending for ever; key {} {}",
            server::portal::mutation::SETTLE_AFTER_SECONDS,
            unmatched,
            made.key.id,
            if left.is_empty() { "deleted (its secret was shown to nobody)" } else { "STILL THERE" }
        ),
        too_early == 0 && settled == 3 && again == 0 && unmatched == 0 && left.is_empty() && finals == expected,
    );
}

/// The requests of one throttling run: page loads, reads, and a create/deactivate/delete cycle.
async fn busy_run(app: &TestApp, cookie: &str, rounds: usize) -> (usize, Vec<u16>) {
    let mut statuses = Vec::new();
    for _ in 0..rounds {
        statuses.push(app.get(Some(cookie), "/").await.status.as_u16());
        statuses.push(app.server_fn(Some(cookie), "get_my_credentials", &[]).await.status.as_u16());
        let r = app.server_fn(Some(cookie), "create_access_key", &[]).await;
        statuses.push(r.status.as_u16());
        if let Ok(c) = serde_json::from_str::<CreatedAccessKey>(&r.body) {
            let id = c.key.id.to_string();
            for _ in 0..5 {
                let r = app.server_fn(Some(cookie), "set_access_key_status", &[("key_id", &id), ("active", "false")]).await;
                statuses.push(r.status.as_u16());
                if r.status == StatusCode::OK {
                    break;
                }
            }
            for _ in 0..5 {
                let r = app.server_fn(Some(cookie), "delete_access_key", &[("key_id", &id), ("confirm", &id)]).await;
                statuses.push(r.status.as_u16());
                if r.status == StatusCode::OK {
                    break;
                }
            }
        }
    }
    (statuses.len(), statuses)
}

/// One throttled run's figure and verdict: 5xx answers, "busy" answers, calls that reached IAM per
/// request against the unthrottled run's `baseline` (`None`: this is the unthrottled run), and audit
/// intents without exactly one final record.
async fn throttled_figures(app: &TestApp, statuses: &[u16], calls: u64, baseline: f64) -> Option<(String, bool)> {
    let requests = statuses.len();
    let per_request = calls as f64 / requests as f64;
    if baseline == 0.0 {
        return None;
    }
    let server_errors = statuses.iter().filter(|s| **s >= 500).count();
    let busy = statuses.iter().filter(|s| **s == 429).count();
    let (intents, unmatched) = unmatched_intents(app).await;
    let ratio = per_request / baseline;
    Some((
        format!(
            "{requests} requests: {server_errors} answered 5xx, {busy} \"IAM is busy, try again\" (429); {calls} calls reached IAM = {per_request:.1} per request, {ratio:.2}× the unthrottled run; {intents} audit intents, {unmatched} without exactly one final record"
        ),
        server_errors == 0 && unmatched == 0 && ratio <= 3.0,
    ))
}

/// G5 on the embedded IAM: throttling at 10, 50 and 100 % of calls.
pub async fn g5_throttling(report: &mut Report) {
    let mut baseline_per_request = 0.0;
    for pct in [0u32, 10, 50, 100] {
        let app = TestApp::new().await;
        app.add_account("alice", Role::Employee).await;
        let cookie = app.sign_in("alice", PASSWORD).await.unwrap();
        let faults = app.portal.embedded.as_ref().unwrap().faults();
        faults.throttle_percent.store(pct, Ordering::SeqCst);
        let before = faults.calls.load(Ordering::SeqCst);
        let (requests, statuses) = busy_run(&app, &cookie, 20).await;
        let calls = faults.calls.load(Ordering::SeqCst) - before;
        match throttled_figures(&app, &statuses, calls, baseline_per_request).await {
            None => baseline_per_request = calls as f64 / requests as f64,
            Some((figure, met)) => report.add("G5", format!("embedded IAM, {pct} % throttled"), figure, met),
        }
    }
}

/// G7: IAM unreachable — sign-in and every page still answer, with a banner; no write reports success.
pub async fn g7_iam_down(report: &mut Report) {
    let app = TestApp::new().await;
    for (u, role) in [("alice", Role::Employee), ("harry", Role::Helpdesk), ("dave", Role::Admin)] {
        app.add_account(u, role).await;
    }
    let alice_before = app.sign_in("alice", PASSWORD).await.unwrap();
    let key = app.server_fn(Some(&alice_before), "create_access_key", &[]).await;
    let key_id = serde_json::from_str::<CreatedAccessKey>(&key.body).unwrap().key.id.to_string();
    app.portal.embedded.as_ref().unwrap().faults().unavailable.store(true, Ordering::SeqCst);
    let (mut sign_ins, mut signed_in) = (0, 0);
    let mut cookies = Vec::new();
    for u in ["alice", "harry", "dave"] {
        sign_ins += 1;
        if let Ok(c) = app.sign_in(u, PASSWORD).await {
            signed_in += 1;
            cookies.push((u, c));
        }
    }
    let (mut pages, mut answered, mut failures) = (0, 0, Vec::new());
    for (u, cookie) in &cookies {
        for path in ["/", "/activity", "/settings", "/helpdesk", "/admin", "/audit", "/access-keys/new", "/sign-in"] {
            pages += 1;
            let r = app.get(Some(cookie), path).await;
            let ok = r.status != StatusCode::INTERNAL_SERVER_ERROR
                && (r.status.is_success()
                    || r.status.is_redirection()
                    || r.status == StatusCode::FORBIDDEN
                    || r.body.contains("AWS IAM cannot be reached"))
                && (r.status.is_redirection() || r.body.contains("</html>"));
            if ok {
                answered += 1;
            } else {
                failures.push(format!("{u} {path}: {}", r.status));
            }
        }
    }
    let alice = &cookies.iter().find(|(u, _)| *u == "alice").unwrap().1;
    let writes: [(&str, Vec<(&str, &str)>); 5] = [
        ("create_access_key", vec![]),
        ("set_access_key_status", vec![("key_id", &key_id), ("active", "false")]),
        ("create_git_credential", vec![]),
        ("start_mfa_enrolment", vec![("device_name", "alice-phone")]),
        ("change_password", vec![("new_password", "A-new-console-pass-77!"), ("repeat_password", "A-new-console-pass-77!")]),
    ];
    let mut false_successes = Vec::new();
    for (name, form) in &writes {
        let r = app.server_fn(Some(alice), name, form).await;
        if r.status.is_success() {
            false_successes.push(*name);
        }
    }
    report.add(
        "G7",
        "embedded IAM, unreachable",
        format!(
            "{signed_in}/{sign_ins} sign-ins and {answered}/{pages} page loads answered (with the \"cannot be reached\" banner where IAM data was needed){}; {} of {} writes reported success",
            if failures.is_empty() { String::new() } else { format!(" — {}", failures.join(", ")) },
            false_successes.len(),
            writes.len()
        ),
        signed_in == sign_ins && answered == pages && false_successes.is_empty(),
    );
}

/// G8: with the audit table unwritable, no mutation reaches IAM.
pub async fn g8_no_mutation_without_an_audit_intent(report: &mut Report) {
    let app = TestApp::new().await;
    app.add_account("alice", Role::Employee).await;
    let cookie = app.sign_in("alice", PASSWORD).await.unwrap();
    let key = app.server_fn(Some(&cookie), "create_access_key", &[]).await;
    let key_id = serde_json::from_str::<CreatedAccessKey>(&key.body).unwrap().key.id.to_string();
    let state = || async { app.server_fn(Some(&cookie), "get_my_credentials", &[]).await.body };
    let before = state().await;
    sqlx::query("ALTER TABLE audit_events RENAME TO audit_events_gone").execute(&app.portal.db.pool).await.unwrap();
    let ssh = rsa_key(2048, 3);
    let attempts: [(&str, Vec<(&str, &str)>); 7] = [
        ("create_access_key", vec![]),
        ("set_access_key_status", vec![("key_id", &key_id), ("active", "false")]),
        ("create_git_credential", vec![]),
        ("upload_ssh_key", vec![("public_key", &ssh)]),
        ("start_mfa_enrolment", vec![("device_name", "alice-phone")]),
        ("create_service_credential", vec![("service", "bedrock"), ("age_days", "30")]),
        ("change_password", vec![("new_password", "A-new-console-pass-77!"), ("repeat_password", "A-new-console-pass-77!")]),
    ];
    let mut refused = 0;
    let mut wrong = Vec::new();
    for (name, form) in &attempts {
        let r = app.server_fn(Some(&cookie), name, form).await;
        // The incident id people quote to support is the request id on the answer and in the logs.
        let request_id = r.headers.get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
        if matches!(serde_json::from_str::<AppError>(&r.body), Ok(AppError::Internal { incident }) if incident == request_id) {
            refused += 1;
        } else {
            wrong.push(format!("{name}: {} {}", r.status, r.body));
        }
    }
    let password_changed = app.portal.embedded.as_ref().unwrap().password_changed_at(&IamUserName::parse("alice").unwrap()).await.unwrap();
    let after = state().await;
    let unchanged = before == after && password_changed.is_none();
    report.add(
        "G8",
        "SQLite",
        format!(
            "audit table unwritable: {refused}/{} mutations refused with an incident id, IAM state {}{}",
            attempts.len(),
            if unchanged { "unchanged (0 IAM mutations)" } else { "CHANGED" },
            if wrong.is_empty() { String::new() } else { format!(" — {}", wrong.join("; ")) }
        ),
        refused == attempts.len() && unchanged,
    );
}

/// A stand-in for IAM's front door between keydesk's AWS SDK and moto: answers `pct` % of requests with
/// IAM's own Throttling error and forwards the rest; counts every request it sees. Returns its URL.
async fn throttling_proxy(
    moto: &str,
    pct: std::sync::Arc<std::sync::atomic::AtomicU32>,
    seen: std::sync::Arc<std::sync::atomic::AtomicU64>,
) -> String {
    use axum::response::IntoResponse;
    use http_body_util::BodyExt;
    use rand::Rng;
    let upstream = moto.trim_start_matches("http://").trim_end_matches('/').to_owned();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let proxy = axum::Router::new().fallback(move |req: axum::extract::Request| {
        let (upstream, pct, seen) = (upstream.clone(), pct.clone(), seen.clone());
        async move {
            seen.fetch_add(1, Ordering::SeqCst);
            if rand::thread_rng().gen_range(0..100) < pct.load(Ordering::SeqCst) {
                let body = "<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>proxy</RequestId></ErrorResponse>";
                return (StatusCode::BAD_REQUEST, [(http::header::CONTENT_TYPE, "text/xml")], body).into_response();
            }
            let (parts, body) = req.into_parts();
            let bytes = body.collect().await.unwrap().to_bytes();
            let stream = tokio::net::TcpStream::connect(&upstream).await.unwrap();
            let (mut sender, conn) = hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await.unwrap();
            tokio::spawn(conn);
            let mut forward = http::Request::builder().method(parts.method).uri(parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/"));
            for (k, v) in &parts.headers {
                forward = forward.header(k, v);
            }
            let answer = sender.send_request(forward.body(http_body_util::Full::new(bytes)).unwrap()).await.unwrap();
            let (parts, body) = answer.into_parts();
            let bytes = body.collect().await.unwrap().to_bytes();
            axum::response::Response::from_parts(parts, axum::body::Body::from(bytes))
        }
    });
    tokio::spawn(async move { axum::serve(listener, proxy).await.unwrap() });
    format!("http://{addr}")
}

/// G5 on the AWS backend: the SDK's own retries (standard mode: at most 3 attempts, exponential
/// back-off with jitter) against IAM's Throttling answer, counted where IAM would see them.
pub async fn g5_throttling_through_the_aws_sdk(report: &mut Report) {
    use std::sync::atomic::{AtomicU32, AtomicU64};
    let moto = testkit::require_env!("KEYDESK_TEST_MOTO_URL", "G5 through the AWS SDK");
    let (pct, seen) = (std::sync::Arc::new(AtomicU32::new(0)), std::sync::Arc::new(AtomicU64::new(0)));
    let url = throttling_proxy(&moto, pct.clone(), seen.clone()).await;
    let (app, admin) = TestApp::on_moto(&url).await;
    let mut baseline = 0.0;
    for p in [0u32, 10, 50, 100] {
        let name = app.moto_employee(&admin).await;
        let cookie = app.sign_in(&name, PASSWORD).await.unwrap();
        pct.store(p, Ordering::SeqCst);
        let before = seen.load(Ordering::SeqCst);
        let (requests, statuses) = busy_run(&app, &cookie, 3).await;
        let upstream = seen.load(Ordering::SeqCst) - before;
        pct.store(0, Ordering::SeqCst);
        match throttled_figures(&app, &statuses, upstream, baseline).await {
            None => baseline = upstream as f64 / requests as f64,
            Some((figure, met)) => report.add("G5", format!("AWS SDK → moto, {p} % throttled (SDK: ≤ 3 attempts a call)"), figure, met),
        }
    }
}
