//! G31–G33: sign-in against an LDAP directory (a real slapd, testkit/src/ldap.rs), its TLS, and the
//! step-up of a person the directory signed in.

use crate::report::{on, Report};
use crate::support::ldap::{self, Slapd};
use crate::support::*;
use app::domain::{Frame, Role, SignedInWith};
use app::error::AppError;
use http::StatusCode;

async fn app_on(dir: &Slapd, url: &str, db: Backend, extra: &[&str]) -> TestApp {
    let mut args = dir.args_for(url);
    args.extend(extra.iter().map(|s| s.to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    TestApp::with(db, &args).await
}

async fn directory_sign_in(app: &TestApp, login: &str, password: &str) -> Reply {
    app.server_fn(None, "directory_sign_in", &[("username", login), ("password", password)]).await
}

async fn frame(app: &TestApp, cookie: &str) -> Frame {
    serde_json::from_str(&app.server_fn(Some(cookie), "get_frame", &[]).await.body).unwrap()
}

/// The role of `login` after a directory sign-in with the seeded password, or the HTTP status.
async fn role_of(app: &TestApp, login: &str) -> Result<(Role, SignedInWith), StatusCode> {
    let r = directory_sign_in(app, login, ldap::PASSWORD).await;
    let cookie = r.session_cookie().filter(|_| r.status == StatusCode::OK).ok_or(r.status)?;
    let f = frame(app, &cookie).await;
    Ok((f.viewer.unwrap().role, f.signed_in_with))
}

/// G31: the directory signs people in with the role its groups give, over StartTLS and LDAPS, and
/// nobody else: wrong and empty passwords, unknown logins and filter injection with the right password
/// all fail alike; people in no mapped group or with a name IAM cannot have are refused and audited.
pub async fn g31_directory_sign_in(report: &mut Report, db: Backend) {
    let Some(dir) = Slapd::start().await else { return };
    for (transport, url) in [("StartTLS", dir.ldap_url.clone()), ("LDAPS", dir.ldaps_url.clone())] {
        let app = app_on(&dir, &url, db, &[]).await;
        let roles = [
            ("erin", role_of(&app, "erin").await),
            ("frank", role_of(&app, "frank").await),
            ("grace", role_of(&app, "grace").await),
            ("ERIN", role_of(&app, "ERIN").await),
        ];
        let expected = [Role::Employee, Role::Helpdesk, Role::Admin, Role::Employee];
        let met = roles.iter().zip(expected).all(|((_, got), want)| *got == Ok((want, SignedInWith::Directory)));
        let listed = roles
            .iter()
            .map(|(who, r)| format!("{who} → {}", r.map(|(role, _)| role.as_str().to_owned()).unwrap_or_else(|s| s.to_string())));
        // The same person twice is one account: the first sign-in made it, keyed by the entry's DN.
        let account = app.portal.db.find_idp_account("ldap:ou=people,dc=corp,dc=example", &ldap::person_dn("erin")).await.unwrap();
        report.add(
            "G31",
            format!("{}, {transport}", on(db)),
            format!("{}; erin's account keyed by (directory, DN): {}", listed.collect::<Vec<_>>().join(", "), account.is_some()),
            met && account.is_some_and(|a| a.user.as_str() == "erin"),
        );
    }
    let app = app_on(&dir, &dir.ldap_url, db, &[]).await;
    // The server accepts a name with an empty password as an unauthenticated bind: keydesk never asks.
    let (conn, mut raw) = ldap3::LdapConnAsync::new(&dir.ldap_url).await.unwrap();
    ldap3::drive!(conn);
    let unauthenticated = raw.simple_bind(&ldap::person_dn("erin"), "").await.unwrap().rc == 0;
    let bad: [(&str, &str, &str); 8] = [
        ("wrong password", "erin", "not-the-password"),
        ("empty password", "erin", ""),
        ("unknown login", "nobody", ldap::PASSWORD),
        ("injection *", "*", ldap::PASSWORD),
        ("injection er*", "er*", ldap::PASSWORD),
        ("injection erin)(uid=erin", "erin)(uid=erin", ldap::PASSWORD),
        ("injection *)(uid=*", "*)(uid=*", ldap::PASSWORD),
        ("injection NUL", "erin\0", ldap::PASSWORD),
    ];
    let mut signed_in = Vec::new();
    let mut statuses = std::collections::BTreeSet::new();
    for (what, login, password) in bad {
        let r = directory_sign_in(&app, login, password).await;
        statuses.insert(r.status.as_u16());
        if r.status == StatusCode::OK || r.session_cookie().is_some() {
            signed_in.push(what);
        }
    }
    report.add(
        "G31",
        on(db),
        format!(
            "0 sign-ins expected over 8 bad attempts (wrong, empty — which this slapd accepts as an unauthenticated bind: {unauthenticated} —, unknown, 5 filter injections with the right password): {} signed in {signed_in:?}, answers {statuses:?}",
            signed_in.len()
        ),
        unauthenticated && signed_in.is_empty() && statuses.iter().all(|s| *s == 401),
    );
    let heidi = directory_sign_in(&app, "heidi", ldap::PASSWORD).await;
    let bad_name = directory_sign_in(&app, "bad name", ldap::PASSWORD).await;
    let refusals = audit_trail(&app, "portal.sign_in").await.into_iter().filter(|(_, o)| o == "failure").count();
    let named = |r: &Reply, text: &str| r.status == StatusCode::FORBIDDEN && r.body.contains(text);
    report.add(
        "G31",
        on(db),
        format!(
            "no mapped group: {} ({}); not an IAM user name: {} ({}); {refusals} failures audited",
            heidi.status,
            heidi.app_error(),
            bad_name.status,
            bad_name.app_error()
        ),
        named(&heidi, "none of your directory groups") && named(&bad_name, "not a valid IAM user name") && refusals >= 2,
    );
}

/// G32: nothing is sent to a directory before TLS. A server that does not answer StartTLS receives
/// the StartTLS request and nothing else (no bind, no name, no password); a certificate from another
/// authority signs nobody in, on LDAPS or StartTLS; a directory that is down is a 503 that says so,
/// and the administrators' break-glass still works.
pub async fn g32_directory_tls(report: &mut Report) {
    let Some(dir) = Slapd::start().await else { return };
    // A listener that records what arrives and answers nothing.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let plain = format!("ldap://{}", listener.local_addr().unwrap());
    let received = std::sync::Arc::new(tokio::sync::Mutex::new(Vec::<u8>::new()));
    let sink = received.clone();
    tokio::spawn(async move {
        use tokio::io::AsyncReadExt;
        while let Ok((mut s, _)) = listener.accept().await {
            let sink = sink.clone();
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                while let Ok(n) = s.read(&mut buf).await {
                    if n == 0 {
                        break;
                    }
                    sink.lock().await.extend_from_slice(&buf[..n]);
                }
            });
        }
    });
    let app = app_on(&dir, &plain, Backend::Sqlite, &["--ldap-timeout-seconds", "1"]).await;
    let r = directory_sign_in(&app, "erin", ldap::PASSWORD).await;
    let bytes = received.lock().await.clone();
    let contains = |needle: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
    let starttls = contains(b"1.3.6.1.4.1.1466.20037");
    let leaked: Vec<&str> = [("service DN", ldap::SERVICE_DN), ("password", ldap::PASSWORD), ("login", "erin")]
        .into_iter()
        .filter(|(_, v)| contains(v.as_bytes()))
        .map(|(what, _)| what)
        .collect();
    let service_password = std::fs::read_to_string(&dir.password_file).unwrap();
    let service_leaked = contains(service_password.trim().as_bytes());
    report.add(
        "G32",
        "a server that never answers StartTLS",
        format!(
            "{} bytes received: the StartTLS request {}, then nothing; sent in the clear: {leaked:?}, service password: {service_leaked}; the person saw {} ({})",
            bytes.len(),
            if starttls { "first" } else { "MISSING" },
            r.status,
            r.app_error()
        ),
        starttls && leaked.is_empty() && !service_leaked && r.app_error() == AppError::DirectoryUnavailable,
    );
    let mut untrusted = Vec::new();
    for url in [&dir.ldaps_url, &dir.ldap_url] {
        let mut args = dir.args_for(url);
        let at = args.iter().position(|a| a == "--ldap-ca-file").unwrap();
        args[at + 1] = dir.other_ca_file.to_string_lossy().into_owned();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let app = TestApp::with(Backend::Sqlite, &args).await;
        let r = directory_sign_in(&app, "erin", ldap::PASSWORD).await;
        untrusted.push((r.status, r.session_cookie().is_some()));
    }
    report.add(
        "G32",
        "a certificate from another authority",
        format!("LDAPS: {} (session: {}); StartTLS: {} (session: {})", untrusted[0].0, untrusted[0].1, untrusted[1].0, untrusted[1].1),
        untrusted.iter().all(|(s, c)| *s == StatusCode::SERVICE_UNAVAILABLE && !c),
    );
    let refused: Vec<bool> = ["ldapi:///", "http://127.0.0.1:389", "ldaps://127.0.0.1:636/ou=x?uid"]
        .iter()
        .map(|url| {
            let mut args = dir.args_for(url);
            args.insert(0, "keydesk".into());
            let cli = <server::config::Cli as clap::Parser>::try_parse_from(&args).unwrap();
            server::config::Config::from_settings(cli.settings).is_err()
        })
        .collect();
    report.add(
        "G32",
        "configuration",
        format!("ldapi://, http:// and a URL with a search part refused at start: {refused:?}"),
        refused.iter().all(|r| *r),
    );
    let app = app_on(&dir, &dir.ldap_url, Backend::Sqlite, &[]).await;
    app.add_account("dave", Role::Admin).await;
    let before = directory_sign_in(&app, "erin", ldap::PASSWORD).await.status;
    drop(dir);
    let down = directory_sign_in(&app, "erin", ldap::PASSWORD).await;
    let break_glass = app.sign_in("dave", PASSWORD).await.is_ok();
    report.add(
        "G32",
        "the directory stopped",
        format!(
            "before: {before}; after: {} \"{}\"; break-glass sign-in of an administrator: {break_glass}",
            down.status,
            down.app_error()
        ),
        before == StatusCode::OK && down.app_error() == AppError::DirectoryUnavailable && break_glass,
    );
}

/// G33: a person the directory signed in confirms it is them with the directory password, bound again
/// as their own entry, through the same admission as every password check: wrong is refused, five
/// wrong ones start their own back-off, and keydesk's password form is not theirs to use.
pub async fn g33_directory_step_up(report: &mut Report, db: Backend) {
    let Some(dir) = Slapd::start().await else { return };
    let app = app_on(&dir, &dir.ldap_url, db, &[]).await;
    let r = directory_sign_in(&app, "frank", ldap::PASSWORD).await;
    let cookie = r.session_cookie().unwrap();
    app.clock.advance(time::Duration::minutes(11));
    let asked = app.server_fn(Some(&cookie), "end_sessions", &[("handle", "others")]).await.app_error();
    let wrong = app.server_fn(Some(&cookie), "confirm_password", &[("password", "not-the-password")]).await.status;
    let empty = app.server_fn(Some(&cookie), "confirm_password", &[("password", "")]).await.status;
    let right = app.server_fn(Some(&cookie), "confirm_password", &[("password", ldap::PASSWORD)]).await;
    let cookie = right.session_cookie().unwrap_or(cookie);
    let then = app.server_fn(Some(&cookie), "end_sessions", &[("handle", "others")]).await.status;
    for _ in 0..5 {
        app.server_fn(Some(&cookie), "confirm_password", &[("password", "not-the-password")]).await;
    }
    let locked = app.server_fn(Some(&cookie), "confirm_password", &[("password", ldap::PASSWORD)]).await.status;
    let portal_password = app
        .server_fn(
            Some(&cookie),
            "change_portal_password",
            &[("current", ldap::PASSWORD), ("new_password", "A-new-password-1"), ("repeat_password", "A-new-password-1")],
        )
        .await
        .status;
    report.add(
        "G33",
        on(db),
        format!(
            "after the window: {asked:?}; wrong directory password: {wrong}; empty: {empty}; right: {} and the action then: {then}; after 5 wrong: {locked}; keydesk password change: {portal_password}",
            right.status
        ),
        asked == AppError::ReauthRequired
            && wrong == StatusCode::UNAUTHORIZED
            && empty != StatusCode::OK
            && right.status == StatusCode::OK
            && right.session_cookie().is_some()
            && then == StatusCode::OK
            && locked == StatusCode::TOO_MANY_REQUESTS
            && portal_password == StatusCode::FORBIDDEN,
    );
}
