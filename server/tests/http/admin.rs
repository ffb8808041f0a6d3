//! The administrators' credential review: one credential report for the whole account, filtered,
//! sorted and paged on the server; "who owns this key"; CSV exports; admins only.

use crate::support::*;
use app::api::admin::ReviewPage;
use app::domain::review::Verdict;
use app::domain::{CreatedAccessKey, IamUserName, Role};
use app::error::AppError;
use http::StatusCode;
use server::clock::Clock;
use server::iam::{Caller, IamBackend};

async fn review(app: &TestApp, cookie: &str, form: &[(&str, &str)]) -> ReviewPage {
    let r = app.server_fn(Some(cookie), "get_credential_review", form).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    serde_json::from_str(&r.body).unwrap()
}

/// 120 IAM users: every third has an old active key, every fifth a console password without MFA.
async fn seeded() -> (TestApp, String, CreatedAccessKey) {
    let app = TestApp::new().await;
    let iam = app.portal.embedded.clone().unwrap();
    for i in 0..120 {
        let user = IamUserName::parse(&format!("user{i:03}")).unwrap();
        iam.create_user(&user, if i % 2 == 0 { "/eng/" } else { "/" }, start_time()).await.unwrap();
        if i % 3 == 0 {
            let k = iam.create_access_key(&Caller::keydesk(), &user).await.unwrap();
            iam.backdate_key(&user, &k.key.id, start_time() - time::Duration::days(200)).await.unwrap();
        }
        if i % 5 == 0 {
            iam.set_password(&Caller::keydesk(), &user, &app::domain::Password::new("Granite-Tulip-42-fox"), false).await.unwrap();
        }
    }
    let leaked = iam.create_access_key(&Caller::keydesk(), &IamUserName::parse("user077").unwrap()).await.unwrap();
    app.add_account("dave", Role::Admin).await;
    let cookie = app.sign_in("dave", PASSWORD).await.unwrap();
    (app, cookie, leaked)
}

#[tokio::test]
async fn only_admins_get_the_review_and_its_downloads() {
    let (app, _, _) = seeded().await;
    app.add_account("alice", Role::Employee).await;
    app.add_account("carol", Role::Helpdesk).await;
    for who in ["alice", "carol"] {
        let cookie = app.sign_in(who, PASSWORD).await.unwrap();
        let r = app.server_fn(Some(&cookie), "get_credential_review", &[]).await;
        assert_eq!((r.status, r.app_error()), (StatusCode::FORBIDDEN, AppError::Forbidden), "{who}");
        assert_eq!(app.get(Some(&cookie), app::pages::REVIEW_CSV_PATH).await.status, StatusCode::FORBIDDEN, "{who}");
        assert_eq!(app.get(Some(&cookie), app::pages::REPORT_CSV_PATH).await.status, StatusCode::FORBIDDEN, "{who}");
        let r = app.server_fn(Some(&cookie), "refresh_credential_review", &[]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{who}");
    }
    let r = app.server_fn(None, "get_credential_review", &[]).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.get(None, app::pages::REPORT_CSV_PATH).await.location(), Some("/sign-in"));
}

#[tokio::test]
async fn filters_sorting_paging_and_who_owns_a_key() {
    let (app, cookie, leaked) = seeded().await;
    let all = review(&app, &cookie, &[]).await;
    assert_eq!(all.total, 121, "120 users and dave");
    assert_eq!((all.lines.len(), all.pages), (50, 3));
    let second = review(&app, &cookie, &[("page", "2")]).await;
    assert_eq!(second.lines[0].row.user, "user049", "pages continue in name order");

    let old = review(&app, &cookie, &[("filter", "old-keys")]).await;
    assert_eq!(old.matched, 40, "every third user has a 200-day-old key");
    assert!(old.lines.iter().all(|l| l.assessment.verdict == Verdict::AtRisk));
    let none = review(&app, &cookie, &[("filter", "old-keys"), ("age", "365")]).await;
    assert_eq!(none.matched, 0, "N is the query's");
    let no_mfa = review(&app, &cookie, &[("filter", "no-mfa")]).await;
    assert_eq!(no_mfa.matched, 24);
    let sorted = review(&app, &cookie, &[("sort", "active-key-age"), ("desc", "1")]).await;
    assert_eq!(sorted.lines[0].assessment.active_key_age_days, Some(200));
    let search = review(&app, &cookie, &[("search", "USER07")]).await;
    assert_eq!(search.matched, 10);

    let owner = review(&app, &cookie, &[("search", leaked.key.id.as_str())]).await;
    assert_eq!(owner.key_owner.as_ref().unwrap().user.as_str(), "user077");
    assert_eq!(owner.lines.iter().map(|l| l.row.user.as_str()).collect::<Vec<_>>(), ["user077"]);
    // A key id pasted in lower case finds the same owner instead of silently matching nothing.
    let lower = leaked.key.id.as_str().to_lowercase();
    let owner = review(&app, &cookie, &[("search", lower.as_str())]).await;
    assert_eq!(owner.key_owner.as_ref().map(|o| o.user.as_str()), Some("user077"));
    let unknown = review(&app, &cookie, &[("search", "AKIAAAAAAAAAAAAAAAAA")]).await;
    assert!(unknown.notice.unwrap().contains("No IAM user"));
    assert!(unknown.lines.is_empty());
}

#[tokio::test]
async fn exports_are_the_filtered_rows_and_iams_own_report() {
    let (app, cookie, _) = seeded().await;
    let r = app.get(Some(&cookie), &format!("{}?filter=no-mfa&sort=user", app::pages::REVIEW_CSV_PATH)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.headers["cache-control"], "no-store");
    assert!(r.headers["content-disposition"].to_str().unwrap().starts_with("attachment; filename=\"keydesk-review-"));
    let lines: Vec<&str> = r.body.lines().collect();
    assert!(lines[0].starts_with("user,path,password_enabled,password_age_days"));
    assert_eq!(lines.len(), 25, "all 24 matching rows, not one page");
    assert!(lines[1].starts_with("user000,/eng/,true,"));
    let raw = app.get(Some(&cookie), app::pages::REPORT_CSV_PATH).await;
    assert_eq!(raw.status, StatusCode::OK);
    assert!(raw.body.starts_with(&app::domain::CREDENTIAL_REPORT_COLUMNS.join(",")));
    assert_eq!(raw.body.lines().count(), 122);
}

/// Polls the review until the per-user details are all read (bounded: fails after 20 s).
async fn with_details(app: &TestApp, cookie: &str, form: &[(&str, &str)]) -> ReviewPage {
    for _ in 0..400 {
        let page = review(app, cookie, form).await;
        if page.details.finished {
            return page;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the per-user details never finished");
}

#[tokio::test]
async fn per_user_details_fill_in_key_ids_and_counts_and_sort() {
    let (app, cookie, leaked) = seeded().await;
    let iam = app.portal.embedded.clone().unwrap();
    let u = |n: &str| IamUserName::parse(n).unwrap();
    for seed in 0..3 {
        iam.upload_ssh_key(&Caller::keydesk(), &u("user010"), &rsa_key(2048, seed)).await.unwrap();
    }
    iam.upload_ssh_key(&Caller::keydesk(), &u("user011"), &rsa_key(2048, 9)).await.unwrap();
    iam.create_service_credential(&Caller::keydesk(), &u("user012"), server::iam::CODECOMMIT, None).await.unwrap();
    iam.create_service_credential(&Caller::keydesk(), &u("user012"), server::iam::CODECOMMIT, None).await.unwrap();
    for name in ["phone", "tablet"] {
        let device = iam.create_virtual_mfa(&Caller::keydesk(), "/user013/", name).await.unwrap();
        let (c1, c2) = totp_codes(device.seed.expose(), app.clock.now(), 0);
        iam.enable_mfa(&Caller::keydesk(), &u("user013"), &device.serial, &c1, &c2).await.unwrap();
    }

    // The first page is served from the report at once; the details follow.
    let first = review(&app, &cookie, &[]).await;
    assert_eq!((first.details.total, first.details.concurrency), (121, 8));
    let page = with_details(&app, &cookie, &[("sort", "ssh-keys"), ("desc", "1")]).await;
    assert_eq!((page.details.done, page.details.failed, page.details.stopped.as_deref()), (121, 0, None));
    let users = |p: &ReviewPage| p.lines.iter().take(2).map(|l| l.row.user.clone()).collect::<Vec<_>>();
    assert_eq!(users(&page), ["user010", "user011"]);
    assert_eq!(page.lines[0].details.as_ref().unwrap().ssh_keys, Some(3));
    let git = review(&app, &cookie, &[("sort", "git-credentials"), ("desc", "1")]).await;
    assert_eq!((git.lines[0].row.user.as_str(), git.lines[0].details.as_ref().unwrap().git_credentials), ("user012", Some(2)));
    let mfa = review(&app, &cookie, &[("sort", "mfa"), ("desc", "1")]).await;
    assert_eq!((mfa.lines[0].row.user.as_str(), mfa.lines[0].details.as_ref().unwrap().mfa_devices), ("user013", Some(2)));
    assert!(mfa.lines[0].row.mfa_active);

    // The key ids are those of the report's slots.
    let owner = review(&app, &cookie, &[("search", "user077")]).await;
    let ids = &owner.lines[0].details.as_ref().unwrap().key_ids;
    assert_eq!(ids, &[Some(leaked.key.id.to_string()), None]);
    let r = app.get(Some(&cookie), &format!("{}?search=user077", app::pages::REVIEW_CSV_PATH)).await;
    assert!(r.body.lines().nth(1).unwrap().contains(leaked.key.id.as_str()), "{}", r.body);

    // A refresh reads them again for the new report.
    let r = app.server_fn(Some(&cookie), "refresh_credential_review", &[]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let again = with_details(&app, &cookie, &[]).await;
    assert_eq!(again.details.done, 121);
}

#[tokio::test]
async fn the_inventory_covers_every_credential_kind_and_filters_quarantined_users() {
    let (app, cookie, _) = seeded().await;
    let iam = app.portal.embedded.clone().unwrap();
    let u = |n: &str| IamUserName::parse(n).unwrap();
    let svc = Caller::keydesk();
    iam.create_service_credential(&svc, &u("user020"), "cassandra.amazonaws.com", None).await.unwrap();
    for _ in 0..2 {
        iam.create_service_credential(&svc, &u("user020"), "bedrock.amazonaws.com", Some(30)).await.unwrap();
    }
    let pem = certificate_at("user020", start_time());
    iam.upload_signing_cert(&svc, &u("user020"), &pem).await.unwrap();
    const SEED: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
    iam.register_hardware_token("GAHT20000020", SEED).await.unwrap();
    let (c1, c2) = totp_codes(SEED, app.clock.now(), 0);
    iam.enable_mfa(&svc, &u("user020"), "GAHT20000020", &c1, &c2).await.unwrap();
    iam.attach_user_policy(&u("user021"), server::iam::QUARANTINE_POLICY_ARN).await.unwrap();

    let page = with_details(&app, &cookie, &[("search", "user020")]).await;
    assert!(page.details.finished_at.is_some(), "the inventory's freshness is known");
    let d = page.lines[0].details.clone().unwrap();
    assert_eq!(d.mfa_by_type, ["hardware GAHT20000020"]);
    assert_eq!(d.service_credentials, Some(vec![("keyspaces".to_owned(), 1), ("bedrock".to_owned(), 2)]));
    assert_eq!((d.signing_certs, d.git_credentials, d.quarantined), (Some(1), Some(0), Some(false)));

    let quarantined = review(&app, &cookie, &[("filter", "quarantined")]).await;
    assert_eq!(quarantined.lines.iter().map(|l| l.row.user.as_str()).collect::<Vec<_>>(), ["user021"]);
    let html = app.get(Some(&cookie), "/admin?filter=quarantined").await.body;
    assert!(html.contains("Quarantined") && html.contains("user021"), "the page marks the user");

    let csv = app.get(Some(&cookie), &format!("{}?search=user020", app::pages::REVIEW_CSV_PATH)).await.body;
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let row: Vec<&str> = lines.next().unwrap().split(',').collect();
    let cell = |name: &str| row[header.iter().position(|h| *h == name).unwrap()];
    assert_eq!(
        (cell("mfa_device_types"), cell("service_credentials"), cell("signing_certificates"), cell("quarantined")),
        ("hardware GAHT20000020", "keyspaces 1; bedrock 2", "1", "false")
    );
}
