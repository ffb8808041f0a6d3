//! The admin credential review at scale: seeds N IAM users (default 10,000; `KEYDESK_BENCH_USERS`) with
//! mixed keys, ages, passwords and MFA in the embedded IAM, then prints
//!   1. the first review page, cold (GenerateCredentialReport + GetCredentialReport + parse + select),
//!   2. further pages, warm (filter/sort/page over the cached rows), median of 20,
//!   3. the naive approach on the same backend (ListUsers + ListAccessKeys + GetAccessKeyLastUsed per
//!      user, sequential as a simple admin tool would do it), and the ratio.
//! Run: `cargo bench -p server --bench review` (release build). Figures, not assertions.

use app::domain::review::{Filter, ReviewQuery, SortKey};
use app::domain::{IamUserName, Password, PortalUserName, Role, SetStatus, Viewer};
use app::ssr::{Port, Principal};
use clap::Parser;
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
            let k = iam.create_access_key(&Caller::Service, &user).await.unwrap();
            iam.backdate_key(&user, &k.key.id, now - time::Duration::days((i % 365) as i64)).await.unwrap();
            if i % 6 == 0 {
                iam.record_key_use(&k.key.id, now - time::Duration::days((i % 90) as i64), "s3", "us-east-1").await.unwrap();
            }
            if i % 10 == 0 {
                iam.update_access_key(&Caller::Service, &user, &k.key.id, SetStatus::Inactive).await.unwrap();
            }
        }
        if i % 3 == 0 {
            iam.set_password(&Caller::Service, &user, &Password::new("Granite-Tulip-42-fox"), false).await.unwrap();
        }
    }
    println!("seeded {n} IAM users in {:.1} s", seeding.elapsed().as_secs_f64());

    let admin = Principal {
        viewer: Viewer {
            user: PortalUserName::parse("bench").unwrap(),
            display_name: "Bench".into(),
            role: Role::Admin,
            iam_user: IamUserName::parse("bench").unwrap(),
        },
        authenticated_at: now,
        request_id: String::new(),
    };
    let cold = Instant::now();
    let first = portal.credential_review(&admin, &ReviewQuery::default()).await.unwrap();
    let cold = cold.elapsed();
    println!(
        "review, first page cold (report generate + get + parse + select): {} for {} users, {} lines",
        ms(cold),
        first.total,
        first.lines.len()
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

    let caller = Caller::Admin { portal_user: "bench".into() };
    let naive = Instant::now();
    let (mut marker, mut users, mut keys) = (None, 0usize, 0usize);
    loop {
        let page = iam.list_users(&caller, marker, 1000).await.unwrap();
        for u in &page.users {
            users += 1;
            for k in iam.list_access_keys(&caller, &u.name).await.unwrap() {
                iam.access_key_last_used(&caller, &k.id).await.unwrap();
                keys += 1;
            }
        }
        match page.next_marker {
            Some(m) => marker = Some(m),
            None => break,
        }
    }
    let naive = naive.elapsed();
    println!("naive per-user calls (ListUsers + ListAccessKeys + GetAccessKeyLastUsed): {} for {users} users and {keys} keys", ms(naive));
    println!(
        "ratio naive / report-based first page: {:.1}x; naive / warm page: {:.0}x",
        naive.as_secs_f64() / cold.as_secs_f64(),
        naive.as_secs_f64() / warm[10].as_secs_f64()
    );
    println!("(embedded backend, in-process SQLite: every IAM call is a local query; against real IAM each of the naive calls is a network round trip and throttled.)");
}
