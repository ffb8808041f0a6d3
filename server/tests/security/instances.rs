//! Goals that depend on state shared by every instance: per-user serialisation (G1), sessions, the
//! sign-in back-off (G10), and a database that goes away for a while.

use crate::report::{on, Report};
use crate::support::*;
use app::domain::Role;
use app::error::AppError;
use http::StatusCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// G1: 50 concurrent creates for one user, alternating between instances A and B.
pub async fn g1_concurrent_creates_across_two_instances(report: &mut Report, db: Backend) {
    let app = Arc::new(TestApp::with(db, &[]).await);
    app.add_account("alice", Role::Employee).await;
    let b = app.instance_b().await;
    let cookie = app.sign_in("alice", PASSWORD).await.unwrap();
    let tasks: Vec<_> = (0..50)
        .map(|i| {
            let (app, b, cookie) = (app.clone(), b.clone(), cookie.clone());
            tokio::spawn(async move {
                let router = if i % 2 == 0 { &app.router } else { &b };
                TestApp::server_fn_on(router, Some(&cookie), "create_access_key", &[]).await
            })
        })
        .collect();
    let (mut created, mut refused, mut other) = (Vec::new(), 0, Vec::new());
    for t in tasks {
        let r = t.await.unwrap();
        match r.status {
            StatusCode::OK => created.push(serde_json::from_str::<app::domain::CreatedAccessKey>(&r.body).unwrap().key.id.to_string()),
            StatusCode::CONFLICT if matches!(r.app_error(), AppError::LimitExceeded { .. }) => refused += 1,
            s => other.push(format!("{s} {}", r.body)),
        }
    }
    let in_iam = keys_of(&app, "alice").await;
    let audited: Vec<String> =
        sqlx::query_scalar("SELECT subject FROM audit_events WHERE action = 'access_key.create' AND outcome = 'success'")
            .fetch_all(&app.portal.db.pool)
            .await
            .unwrap();
    let orphans = in_iam.iter().filter(|k| !created.contains(k) || !audited.contains(k)).count();
    let met = created.len() == 2 && refused == 48 && other.is_empty() && in_iam.len() == 2 && orphans == 0;
    report.add(
        "G1",
        on(db),
        format!(
            "50 concurrent creates over A and B: {} keys, {refused} clear \"limit reached\", {} other{}, {} audited, {orphans} orphans",
            created.len(),
            other.len(),
            other.first().map(|o| format!(" ({o})")).unwrap_or_default(),
            audited.len()
        ),
        met,
    );
}

/// A session made on A works on B; signing out on B kills it on A.
pub async fn sessions_are_shared_by_the_instances(report: &mut Report, db: Backend) {
    let app = TestApp::with(db, &[]).await;
    app.add_account("alice", Role::Employee).await;
    let b = app.instance_b().await;
    let cookie = app.sign_in("alice", PASSWORD).await.unwrap();
    let on_b = TestApp::server_fn_on(&b, Some(&cookie), "get_frame", &[]).await;
    let works_on_b = on_b.status == StatusCode::OK && on_b.body.contains("alice");
    let out = TestApp::server_fn_on(&b, Some(&cookie), "sign_out", &[]).await;
    let replay = app.server_fn(Some(&cookie), "get_my_credentials", &[]).await;
    let dead_on_a = replay.status == StatusCode::UNAUTHORIZED && replay.app_error() == AppError::NotSignedIn;
    report.add(
        "G12",
        on(db),
        format!(
            "session from A used on B: {}; signed out on B ({}), the cookie on A: {}",
            if works_on_b { "works" } else { "REFUSED" },
            out.status,
            if dead_on_a { "rejected" } else { "STILL WORKS" }
        ),
        works_on_b && out.status == StatusCode::OK && dead_on_a,
    );
}

/// G10: failures are counted per account name in the database, so both instances apply one back-off;
/// unknown names are treated like real ones; an hour of guessing evaluates at most 100 passwords.
pub async fn g10_back_off_is_shared_and_bounded(report: &mut Report, db: Backend) {
    let app = TestApp::with(db, &[]).await;
    app.add_account("alice", Role::Employee).await;
    let b = app.instance_b().await;
    let on_instance = |i: usize, user: &'static str, password: &'static str| {
        let router = if i.is_multiple_of(2) { app.router.clone() } else { b.clone() };
        async move { TestApp::server_fn_on(&router, None, "sign_in", &[("username", user), ("password", password)]).await }
    };
    let mut problems = Vec::new();
    // Five free failures, alternating; the sixth attempt is refused before its password is looked at,
    // even the right one, on either instance.
    for i in 0..5 {
        let r = on_instance(i, "alice", "wrong-password-here").await;
        if r.status != StatusCode::UNAUTHORIZED {
            problems.push(format!("failure {i}: {}", r.status));
        }
    }
    let locked = on_instance(1, "alice", PASSWORD).await;
    if locked.status != StatusCode::TOO_MANY_REQUESTS || !matches!(locked.app_error(), AppError::TooManyAttempts { .. }) {
        problems.push(format!("6th attempt on B: {} {}", locked.status, locked.body));
    }
    for i in 0..5 {
        on_instance(i, "mallory", "wrong-password-here").await;
    }
    let unknown = on_instance(0, "mallory", PASSWORD).await;
    if (unknown.status, &unknown.body) != (locked.status, &locked.body) {
        problems.push("an unknown name is locked differently".into());
    }
    app.clock.advance(time::Duration::seconds(2));
    if on_instance(0, "alice", PASSWORD).await.status != StatusCode::OK {
        problems.push("the right password after the back-off failed".into());
    }
    // An hour of guessing as fast as the back-off allows.
    let (mut elapsed, mut evaluated, mut refused) = (0i64, 0, 0);
    while elapsed < 3600 {
        let r = on_instance(evaluated % 2, "alice", "wrong-password-here").await;
        match r.status {
            StatusCode::UNAUTHORIZED => evaluated += 1,
            StatusCode::TOO_MANY_REQUESTS => {
                refused += 1;
                let AppError::TooManyAttempts { retry_after_secs } = r.app_error() else { panic!("{}", r.body) };
                app.clock.advance(time::Duration::seconds(retry_after_secs as i64));
                elapsed += retry_after_secs as i64;
            }
            other => panic!("{other}: {}", r.body),
        }
    }
    let recorded = !audit_trail(&app, "portal.sign_in_backoff").await.is_empty();
    if !recorded {
        problems.push("the back-off is not in the audit log".into());
    }
    // The lock-out is visible to the help desk.
    app.add_account("harry", Role::Helpdesk).await;
    let harry = app.sign_in("harry", PASSWORD).await.unwrap();
    let found = app.server_fn(Some(&harry), "helpdesk_find", &[("query", "alice")]).await;
    let pauses = serde_json::from_str::<app::api::helpdesk::HelpdeskView>(&found.body).map(|v| v.sign_in_pauses).unwrap_or_default();
    if !pauses.iter().any(|p| p.account == "alice" && p.failures >= 5) {
        problems.push(format!("the help desk does not see the lock-out: {}", found.body));
    }
    report.add(
        "G10",
        on(db),
        format!(
            "back-off after 5 failures, shared by A and B; {evaluated} wrong passwords evaluated for one account in an hour of guessing (goal ≤ 100), {refused} refused; unknown names locked alike{}",
            if problems.is_empty() { String::new() } else { format!("; PROBLEMS: {}", problems.join("; ")) }
        ),
        evaluated <= 100 && problems.is_empty(),
    );
}

/// The portal database (PostgreSQL) refuses every connection for 5 s under load: requests get a clear
/// error quickly, keydesk recovers without a restart, and sessions survive.
pub async fn database_gone_for_five_seconds(report: &mut Report) {
    let base = testkit::require_env!("KEYDESK_TEST_POSTGRES_URL", "the database-outage run");
    let app = Arc::new(TestApp::with(Backend::Postgres, &[]).await);
    app.add_account("alice", Role::Employee).await;
    let cookie = app.sign_in("alice", PASSWORD).await.unwrap();
    let db_name = app.databases[0].name.clone();
    let admin = sqlx::PgPool::connect(&base).await.unwrap();
    let gone = |allow: bool| {
        let (admin, db_name) = (admin.clone(), db_name.clone());
        async move {
            sqlx::query(&format!("ALTER DATABASE {db_name} WITH ALLOW_CONNECTIONS {allow}")).execute(&admin).await.unwrap();
            if !allow {
                sqlx::query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1")
                    .bind(&db_name)
                    .execute(&admin)
                    .await
                    .unwrap();
            }
        }
    };
    gone(false).await;
    let outage = Instant::now();
    let (mut answered, mut clear, mut slowest, mut statuses) = (0, 0, Duration::ZERO, std::collections::BTreeMap::new());
    while outage.elapsed() < Duration::from_secs(5) {
        let t = Instant::now();
        // Pages and server functions alike.
        let r = if answered % 2 == 0 {
            app.get(Some(&cookie), "/").await
        } else {
            app.server_fn(Some(&cookie), "get_my_credentials", &[]).await
        };
        slowest = slowest.max(t.elapsed());
        answered += 1;
        *statuses.entry(r.status.as_u16()).or_insert(0) += 1;
        let said = r.body.contains("cannot reach its database")
            || serde_json::from_str::<AppError>(&r.body).ok() == Some(AppError::PortalUnavailable);
        let headers = ["retry-after", "content-security-policy", "x-content-type-options"].iter().all(|h| r.headers.contains_key(*h));
        if r.status == StatusCode::SERVICE_UNAVAILABLE && said && headers {
            clear += 1;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    gone(true).await;
    let back = Instant::now();
    let mut recovered = None;
    while back.elapsed() < Duration::from_secs(30) {
        let r = app.get(Some(&cookie), "/").await;
        if r.status == StatusCode::OK && r.body.contains("alice (test)") {
            recovered = Some(back.elapsed());
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let create = app.server_fn(Some(&cookie), "create_access_key", &[]).await;
    report.add(
        "faults",
        "PostgreSQL",
        format!(
            "database refused connections for 5 s: {answered} page loads and function calls answered (statuses {statuses:?}), {clear} with a clear retryable message, slowest {} ms; back {} after, same session, a key created: {}",
            slowest.as_millis(),
            recovered.map(|d| format!("{} ms", d.as_millis())).unwrap_or("NEVER (30 s)".into()),
            create.status
        ),
        answered > 0 && clear == answered && recovered.is_some() && create.status == StatusCode::OK && slowest < Duration::from_secs(10),
    );
}

/// G10's per-address limit: 100 failures from one client address in 10 minutes, whatever names they
/// try; `X-Forwarded-For` counts only when the connection comes from the configured proxy.
pub async fn g10_per_address_limit(report: &mut Report) {
    use axum::extract::ConnectInfo;
    use std::net::SocketAddr;
    let app = TestApp::with(Backend::Sqlite, &["--trusted-proxies", "10.0.0.1"]).await;
    let attempt = |peer: &str, forwarded: &str, name: String| {
        let mut req = form_request(None, "/api/sign_in", "application/json", &[("username", &name), ("password", "wrong-password-here")]);
        req.extensions_mut().insert(ConnectInfo(peer.parse::<SocketAddr>().unwrap()));
        req.headers_mut().insert("x-forwarded-for", forwarded.parse().unwrap());
        let app = &app;
        async move { app.send(req).await.status }
    };
    // A direct client rotating names and a forged X-Forwarded-For on every try.
    let mut evaluated = 0;
    for i in 0..120 {
        let status = attempt("203.0.113.7:40000", &format!("198.51.100.{}", i % 250), format!("guess{i}")).await;
        if status == StatusCode::UNAUTHORIZED {
            evaluated += 1;
        }
    }
    let other_direct = attempt("203.0.113.8:40000", "203.0.113.7", "someone".into()).await;
    // Behind the trusted proxy: the forwarded client is the one counted, and another client of the
    // same proxy is not held back by it.
    for i in 0..100 {
        attempt("10.0.0.1:50000", "198.51.100.9", format!("proxied{i}")).await;
    }
    let same_client = attempt("10.0.0.1:50000", "198.51.100.9", "proxied-next".into()).await;
    let other_client = attempt("10.0.0.1:50000", "198.51.100.10", "proxied-other".into()).await;
    report.add(
        "G10",
        "SQLite, per address",
        format!(
            "one address trying 120 names with forged X-Forwarded-For: {evaluated} evaluated (limit 100 per 10 min), the rest 429; another address: {other_direct}; behind the trusted proxy the forwarded client is limited ({same_client}) and its neighbour is not ({other_client})"
        ),
        evaluated == 100
            && other_direct == StatusCode::UNAUTHORIZED
            && same_client == StatusCode::TOO_MANY_REQUESTS
            && other_client == StatusCode::UNAUTHORIZED,
    );
}

/// G10's other half: argon2 cannot be used to exhaust keydesk. 300 sign-ins at once (distinct names, so
/// no back-off applies): those beyond the bounded hashing queue get 429 at once, the rest are evaluated,
/// and a page still loads meanwhile.
pub async fn g10_hashing_is_bounded(report: &mut Report) {
    let app = Arc::new(TestApp::new().await);
    app.add_account("alice", Role::Employee).await;
    let cookie = app.sign_in("alice", PASSWORD).await.unwrap();
    let started = Instant::now();
    let tasks: Vec<_> = (0..300)
        .map(|i| {
            let app = app.clone();
            tokio::spawn(async move {
                let t = Instant::now();
                let r = app.server_fn(None, "sign_in", &[("username", &format!("flood{i}")), ("password", "wrong-password-here")]).await;
                (r.status, t.elapsed())
            })
        })
        .collect();
    let page_t = Instant::now();
    let page = app.get(Some(&cookie), "/").await.status;
    let page_took = page_t.elapsed();
    let mut busy = Vec::new();
    let mut evaluated = 0;
    for t in tasks {
        let (status, took) = t.await.unwrap();
        match status {
            StatusCode::TOO_MANY_REQUESTS => busy.push(took),
            StatusCode::UNAUTHORIZED => evaluated += 1,
            other => panic!("{other}"),
        }
    }
    let p99 = testkit::stats::percentile(&busy, 0.99);
    report.add(
        "G10",
        "SQLite, 300 sign-ins at once",
        format!(
            "{evaluated} evaluated (the bounded hashing queue), {} refused with 429 (p99 {:.1} ms after arriving), all done in {} ms; a page meanwhile: {page} in {} ms",
            busy.len(),
            p99.as_secs_f64() * 1e3,
            started.elapsed().as_millis(),
            page_took.as_millis()
        ),
        !busy.is_empty() && p99 < Duration::from_millis(500) && page == StatusCode::OK,
    );
}
