//! The admin credential review at scale: seeds N IAM users (default 10,000; `KEYDESK_BENCH_USERS`) with
//! mixed keys, ages, passwords and MFA in the embedded IAM, then prints
//!   1. the first review page, cold (GenerateCredentialReport + GetCredentialReport + parse + select),
//!   2. further pages, warm (filter/sort/page over the cached rows), median of 20,
//!   3. how long the per-user inventory (6 calls per user, `--review-concurrency` at a time) takes,
//!   4. the naive approach on the same backend (ListUsers + ListAccessKeys + GetAccessKeyLastUsed per
//!      user, sequential as a simple admin tool would do it), and the ratio,
//!   5. the first page in Chromium (cold and warm) from a server on 127.0.0.1 over the same data, when
//!      node, playwright-core and Chromium are there (`end2end/bench/review-page.mjs`),
//!   6. with `KEYDESK_BENCH_MOTO_URL` (a fresh `moto_server`): the same users seeded in moto
//!      (`KEYDESK_BENCH_MOTO_USERS`, default N) and the report path against the naive calls there.
//!
//! Run: `cargo bench -p server -p app --features app/ssr --bench review`. Figures, not assertions.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout, clippy::print_stderr)] // a benchmark prints its figures; a panic is its failure
use app::api::admin::AdminPort;
use app::domain::review::{Filter, ReviewQuery, SortKey};
use app::domain::{IamUserName, Password, PortalUserName, Role, SetStatus, Viewer};
use app::ssr::{Ctx, Principal};
use clap::Parser;
use futures::StreamExt;
use server::clock::SystemClock;
use server::config::{Cli, Config};
use server::iam::{Caller, IamBackend};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

#[tokio::main]
async fn main() {
    let n: usize = std::env::var("KEYDESK_BENCH_USERS").ok().and_then(|v| v.parse().ok()).unwrap_or(10_000);
    let dir = tempfile::tempdir().unwrap();
    let portal_db = format!("sqlite://{}", dir.path().join("portal.db").display());
    let iam_db = format!("sqlite://{}", dir.path().join("iam.db").display());
    let argv = ["keydesk", "--database-url", &portal_db, "--embedded-iam-database-url", &iam_db];
    let config = Config::from_settings(Cli::try_parse_from(argv).unwrap().settings).unwrap();
    let clock: server::clock::SharedClock = Arc::new(SystemClock);
    let portal = server::build_portal(config, clock.clone()).await.unwrap();
    let iam = portal.embedded.clone().unwrap();

    let seeding = Instant::now();
    let now = time::OffsetDateTime::now_utc();
    for i in 0..n {
        let user = IamUserName::parse(&format!("user{i:05}")).unwrap();
        iam.create_user(&user, ["/", "/eng/", "/data/", "/ops/"][i % 4], now - time::Duration::days(400)).await.unwrap();
        if i % 2 == 0 {
            let k = iam.create_access_key(&Caller::keydesk(), &user).await.unwrap();
            iam.backdate_key(&user, &k.key.id, now - time::Duration::days((i % 365) as i64)).await.unwrap();
            if i % 6 == 0 {
                iam.record_key_use(&k.key.id, now - time::Duration::days((i % 90) as i64), "s3", "us-east-1").await.unwrap();
            }
            if i % 10 == 0 {
                iam.update_access_key(&Caller::keydesk(), &user, &k.key.id, SetStatus::Inactive).await.unwrap();
            }
        }
        if i % 3 == 0 {
            iam.set_password(&Caller::keydesk(), &user, &Password::new("Granite-Tulip-42-fox"), false).await.unwrap();
        }
    }
    println!("seeded {n} IAM users in {:.1} s", seeding.elapsed().as_secs_f64());

    let who = Principal {
        viewer: Viewer {
            user: PortalUserName::parse("bench").unwrap(),
            display_name: "Bench".into(),
            role: Role::Admin,
            iam_user: IamUserName::parse("bench").unwrap(),
        },
        authenticated_at: now,
        request_id: String::new(),
        session_mark: None,
        signed_in_with: Default::default(),
        directory_dn: None,
        idp_groups: vec![],
    };
    let admin = Ctx { req: http::Request::new(()).into_parts().0, who };
    let cold = Instant::now();
    let first = portal.credential_review(&admin, &ReviewQuery::default()).await.unwrap();
    let cold = cold.elapsed();
    println!(
        "review, first page cold (report generate + get + parse + select): {} for {} users, {} lines",
        ms(cold),
        first.total,
        first.lines.len()
    );
    let details = details_time(&portal, &admin).await;
    println!(
        "review, per-user inventory of every credential kind (ListAccessKeys + ListMFADevices + ListSSHPublicKeys + ListServiceSpecificCredentials + ListSigningCertificates + ListAttachedUserPolicies, {} users at a time): {:.1} s, {:.0} users/s",
        first.details.concurrency,
        details.as_secs_f64(),
        first.total as f64 / details.as_secs_f64()
    );

    let mut warm = Vec::new();
    for i in 0..20 {
        let q = ReviewQuery {
            filter: Filter::ALL[i % Filter::ALL.len()].0,
            sort: SortKey::ALL[i % SortKey::ALL.len()].0,
            descending: i % 2 == 0,
            page: i % 3,
            ..ReviewQuery::default()
        };
        let t = Instant::now();
        portal.credential_review(&admin, &q).await.unwrap();
        warm.push(t.elapsed());
    }
    warm.sort();
    println!(
        "review, a filtered and sorted page warm: median {} (min {}, max {}) over 20 queries",
        ms(warm[10]),
        ms(warm[0]),
        ms(warm[19])
    );

    let caller = Caller::admin("bench");
    let (naive, users, keys) = naive_calls(iam.as_ref(), &caller).await;
    println!("naive per-user calls (ListUsers + ListAccessKeys + GetAccessKeyLastUsed): {} for {users} users and {keys} keys", ms(naive));
    println!(
        "ratio naive / report-based first page: {:.1}x; naive / warm page: {:.0}x",
        naive.as_secs_f64() / cold.as_secs_f64(),
        naive.as_secs_f64() / warm[10].as_secs_f64()
    );
    println!("(embedded backend, in-process SQLite: every IAM call is a local query; against real IAM each of the naive calls is a network round trip and throttled.)");

    chromium(&portal_db, &iam_db).await;
    if let Ok(url) = std::env::var("KEYDESK_BENCH_MOTO_URL") {
        let m = std::env::var("KEYDESK_BENCH_MOTO_USERS").ok().and_then(|v| v.parse().ok()).unwrap_or(n);
        moto(&url, m, &admin).await;
    } else {
        println!("moto: skipped (set KEYDESK_BENCH_MOTO_URL to a fresh moto_server)");
    }
}

/// ListUsers, then ListAccessKeys and GetAccessKeyLastUsed for every user, one after another.
async fn naive_calls(iam: &dyn IamBackend, caller: &Caller) -> (Duration, usize, usize) {
    let started = Instant::now();
    let (mut marker, mut users, mut keys) = (None, 0usize, 0usize);
    loop {
        let page = iam.list_users(caller, marker, 1000).await.unwrap();
        for u in &page.users {
            users += 1;
            for k in iam.list_access_keys(caller, &u.name).await.unwrap() {
                iam.access_key_last_used(caller, &k.id).await.unwrap();
                keys += 1;
            }
        }
        match page.next_marker {
            Some(m) => marker = Some(m),
            None => break,
        }
    }
    (started.elapsed(), users, keys)
}

/// From the first page until the per-user details are all read.
async fn details_time(portal: &server::portal::Portal, admin: &Ctx) -> Duration {
    let started = Instant::now();
    // A search that matches nobody keeps each poll cheap.
    let probe = ReviewQuery { search: "no-such-user-zz".into(), ..ReviewQuery::default() };
    loop {
        let page = portal.credential_review(admin, &probe).await.unwrap();
        if page.details.finished {
            assert_eq!(page.details.stopped, None);
            return started.elapsed();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Serve the same databases on 127.0.0.1 (a new portal: nothing cached) and time the page in Chromium.
async fn chromium(portal_db: &str, iam_db: &str) {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_owned();
    let site = root.join("target/site");
    if server::http::site_assets(&site).is_err() || !std::path::Path::new("/usr/bin/chromium").exists() {
        println!("chromium: skipped (needs .ci/build-site and /usr/bin/chromium)");
        return;
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let listen = addr.to_string();
    let site_root = site.to_string_lossy().into_owned();
    let argv = [
        "keydesk",
        "--database-url",
        portal_db,
        "--embedded-iam-database-url",
        iam_db,
        "--listen",
        &listen,
        "--insecure-cookie",
        "--site-root",
        &site_root,
    ];
    let config = Config::from_settings(Cli::try_parse_from(argv).unwrap().settings).unwrap();
    let portal = server::build_portal(config, Arc::new(SystemClock)).await.unwrap();
    let password = "bench-admin-password-42";
    let row = server::db::accounts::AccountRow {
        user: PortalUserName::parse("bench").unwrap(),
        display_name: "Bench".into(),
        password_hash: portal.hasher.hash(password).await.unwrap(),
        role: Role::Admin,
        iam_user: IamUserName::parse("user00001").unwrap(),
        disabled: false,
        created_at: time::OffsetDateTime::now_utc(),
        last_sign_in_at: None,
    };
    portal.db.insert_account(&row, time::OffsetDateTime::now_utc()).await.unwrap();
    let state = server::http::AppState { leptos_options: server::http::leptos_options(&site_root, addr), portal };
    let app = server::http::router(state);
    let server = tokio::spawn(async move {
        axum::serve(server::http::listener(listener), app.into_make_service_with_connect_info::<std::net::SocketAddr>()).await.unwrap();
    });
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new("node")
            .arg(root.join("end2end/bench/review-page.mjs"))
            .args([format!("http://{listen}"), "bench".into(), password.into()])
            .current_dir(&root)
            .output()
    })
    .await
    .unwrap();
    match out {
        Ok(o) if o.status.success() => print!("{}", String::from_utf8_lossy(&o.stdout)),
        Ok(o) => println!("chromium: failed: {}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr)),
        Err(e) => println!("chromium: skipped (node: {e})"),
    }
    server.abort();
}

/// The same mix of users in moto, then the report path against the naive per-user calls there.
async fn moto(url: &str, m: usize, admin: &Ctx) {
    let (base, client) = testkit::moto::setup(url).await;
    let seeding = Instant::now();
    futures::stream::iter(0..m)
        .for_each_concurrent(16, |i| {
            let client = client.clone();
            async move {
                let name = format!("mu{i:05}");
                client.create_user().user_name(&name).path(["/", "/eng/", "/data/", "/ops/"][i % 4]).send().await.unwrap();
                if i % 2 == 0 {
                    client.create_access_key().user_name(&name).send().await.unwrap();
                }
                if i % 3 == 0 {
                    client.create_login_profile().user_name(&name).password("Granite-Tulip-42-fox").send().await.unwrap();
                }
            }
        })
        .await;
    println!("moto: seeded {m} IAM users in {:.1} s", seeding.elapsed().as_secs_f64());

    let dir = tempfile::tempdir().unwrap();
    let portal_db = format!("sqlite://{}", dir.path().join("portal.db").display());
    let mut argv = vec!["keydesk".to_owned(), "--database-url".into(), portal_db];
    argv.extend(testkit::moto::args(url));
    let config = Config::from_settings(Cli::try_parse_from(argv).unwrap().settings).unwrap();
    let clock: server::clock::SharedClock = Arc::new(SystemClock);
    let iam = server::iam::aws::AwsIam::new(server::aws_settings(&config.settings), base, clock.clone()).unwrap();
    iam.check().await.unwrap();
    let iam: Arc<dyn IamBackend> = Arc::new(iam);
    let portal = server::build_portal_with(config, clock, iam.clone(), None).await.unwrap();

    let cold = Instant::now();
    let first = portal.credential_review(admin, &ReviewQuery::default()).await.unwrap();
    let cold = cold.elapsed();
    println!("moto: review first page cold (report generate + get + parse + select): {} for {} users", ms(cold), first.total);
    let details = details_time(&portal, admin).await;
    println!("moto: per-user details, {} users at a time: {:.1} s", first.details.concurrency, details.as_secs_f64());

    let caller = Caller::admin("bench");
    let (naive, users, keys) = naive_calls(iam.as_ref(), &caller).await;
    println!("moto: naive per-user calls: {} for {users} users and {keys} keys", ms(naive));
    println!("moto: ratio naive / report-based first page: {:.1}x", naive.as_secs_f64() / cold.as_secs_f64());
}
