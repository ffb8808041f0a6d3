//! The credentials page's database budget (#28): a signed-in person's page, with one of each credential
//! to read, in at most three round trips — the session with everything a request needs about who asks,
//! keydesk's own records, and the person's IAM document. Its own test binary: the statement counter is
//! a process-wide tracing subscriber, and no other test may run statements beside it.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure

use app::domain::{IamUserName, Role};
use http::StatusCode;
use server::iam::{Caller, IamBackend};
use testkit::*;

#[tokio::test]
async fn the_credentials_page_reads_the_database_three_times() {
    let trips = testkit::round_trips::install();
    let app = TestApp::new().await;
    app.add_account("alice", Role::Employee).await;
    app.give_console_password("alice").await;
    let iam = app.portal.embedded.clone().unwrap();
    let alice = IamUserName::parse("alice").unwrap();
    iam.create_access_key(&Caller::keydesk(), &alice).await.unwrap();
    let cookie = app.sign_in("alice", PASSWORD).await.unwrap();
    assert!(app.get(Some(&cookie), "/").await.body.contains("1 of 2 access keys used"));

    for _ in 0..3 {
        trips.start();
        let page = app.get(Some(&cookie), "/").await;
        let (portal, iam) = trips.stop();
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("1 of 2 access keys used") && page.body.contains("Change password"));
        assert_eq!((portal, iam), (2, 1), "round trips (portal, embedded IAM) of one credentials page");
    }

    // A request that refreshes the session's activity writes it back without what the load read with it.
    app.clock.advance(time::Duration::minutes(5));
    trips.start();
    assert_eq!(app.get(Some(&cookie), "/").await.status, StatusCode::OK);
    let (portal, _) = trips.stop();
    assert_eq!(portal, 3, "the same reads and one session write");
    let stored: Vec<String> = sqlx::query_scalar("SELECT data FROM sessions").fetch_all(&app.portal.db.pool).await.unwrap();
    assert!(!stored.is_empty());
    assert!(stored.iter().all(|d| !d.contains(server::auth::session_store::PRELOADED_KEY)), "{stored:?}");
}
