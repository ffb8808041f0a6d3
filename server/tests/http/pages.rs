//! Server-rendered pages: redirects, role gating with real status codes, 404, health probes, headers.

use crate::support::*;
use app::domain::Role;
use http::StatusCode;

#[tokio::test]
async fn anonymous_visitors_are_sent_to_sign_in() {
    let app = TestApp::new().await;
    for path in ["/", "/admin", "/helpdesk"] {
        let r = app.get(None, path).await;
        assert_eq!(r.status, StatusCode::FOUND, "{path}");
        assert_eq!(r.location(), Some("/sign-in"), "{path}");
    }
    let r = app.get(None, "/sign-in").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("Sign in to keydesk"));
    assert!(r.body.contains(r#"name="password""#));
}

#[tokio::test]
async fn pages_are_gated_by_role_with_real_status_codes() {
    let app = TestApp::new().await;
    app.add_account("alice", Role::Employee).await;
    app.add_account("carol", Role::Helpdesk).await;
    app.add_account("dave", Role::Admin).await;
    let alice = app.sign_in("alice", PASSWORD).await.unwrap();
    let carol = app.sign_in("carol", PASSWORD).await.unwrap();
    let dave = app.sign_in("dave", PASSWORD).await.unwrap();

    let r = app.get(Some(&alice), "/").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("My security credentials"));
    assert!(r.body.contains("alice (test)"), "the header names the viewer");
    assert!(r.body.contains("Local IAM — demo data"), "embedded backend shows the badge");
    assert!(!r.body.contains(r#"href="/admin""#), "no admin link for employees");

    for (cookie, path, status) in [
        (&alice, "/admin", StatusCode::FORBIDDEN),
        (&alice, "/helpdesk", StatusCode::FORBIDDEN),
        (&carol, "/admin", StatusCode::FORBIDDEN),
        (&carol, "/helpdesk", StatusCode::OK),
        (&dave, "/admin", StatusCode::OK),
        // Administrators reach the help-desk page for the four-eyes requests only.
        (&dave, "/helpdesk", StatusCode::OK),
    ] {
        let r = app.get(Some(cookie), path).await;
        assert_eq!(r.status, status, "{path}");
    }
    let desk = app.get(Some(&dave), "/helpdesk").await.body;
    assert!(desk.contains("Requests needing a second person") && !desk.contains("Find a user"), "admins see the requests, not the desk");
    let admin = app.get(Some(&dave), "/admin").await;
    assert!(admin.body.contains("Portal accounts") && admin.body.contains("carol (test)"));

    let r = app.get(Some(&alice), "/sign-in").await;
    assert_eq!((r.status, r.location()), (StatusCode::FOUND, Some("/")), "signed-in users skip the sign-in page");
}

#[tokio::test]
async fn unknown_paths_get_a_404_page() {
    let app = TestApp::new().await;
    let r = app.get(None, "/no/such/page").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.body.contains("Page not found"));
}

#[tokio::test]
async fn health_and_readiness() {
    let app = TestApp::new().await;
    let r = app.get(None, "/healthz").await;
    assert_eq!((r.status, r.body.as_str()), (StatusCode::OK, "ok"));
    let r = app.get(None, "/readyz").await;
    assert_eq!((r.status, r.body.as_str()), (StatusCode::OK, "ready"));
    app.portal.db.pool.close().await;
    let r = app.get(None, "/readyz").await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let app = TestApp::new().await;
    app.add_account("alice", Role::Employee).await;
    let cookie = app.sign_in("alice", PASSWORD).await.unwrap();
    let page = app.get(Some(&cookie), "/").await;
    let api = app.server_fn(Some(&cookie), "get_frame", &[]).await;
    let health = app.get(None, "/healthz").await;
    for r in [&page, &api, &health] {
        assert_eq!(r.headers["x-content-type-options"], "nosniff");
        assert_eq!(r.headers["referrer-policy"], "same-origin");
        assert_eq!(r.headers["x-frame-options"], "DENY");
        assert!(r.headers["strict-transport-security"].to_str().unwrap().starts_with("max-age="));
        assert!(r.headers.contains_key("permissions-policy"));
        assert_eq!(r.headers["x-request-id"].len(), 32);
    }
    assert_eq!(api.headers["cache-control"], "no-store");
    assert_eq!(page.headers["cache-control"], "no-cache, private");
}

#[tokio::test]
async fn request_ids_from_untrusted_clients_are_replaced() {
    let app = TestApp::new().await;
    let req = http::Request::get("/healthz").header("x-request-id", "attacker-chosen").body(axum::body::Body::empty()).unwrap();
    let r = app.send(req).await;
    assert_ne!(r.headers["x-request-id"], "attacker-chosen");
}

#[tokio::test]
async fn the_credentials_page_shows_real_iam_data_and_never_a_secret() {
    use server::iam::{Caller, IamBackend};
    let app = TestApp::new().await;
    app.add_account("alice", Role::Employee).await;
    let iam = app.portal.embedded.clone().unwrap();
    let alice = app::domain::IamUserName::parse("alice").unwrap();
    let created = iam.create_access_key(&Caller::keydesk(), &alice).await.unwrap();
    iam.backdate_key(&alice, &created.key.id, start_time() - time::Duration::days(120)).await.unwrap();
    let cookie = app.sign_in("alice", PASSWORD).await.unwrap();
    let page = app.get(Some(&cookie), "/").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains(created.key.id.as_str()), "the key id is listed");
    assert!(page.body.contains("1 of 2 access keys used"));
    assert!(page.body.contains("120 days") && page.body.contains("Past its rotation deadline"));
    assert!(page.body.contains("rotate it now (CIS 2.11)") && page.body.contains("Overdue since"), "the 90-day deadline");
    assert!(page.body.contains("Never used in 120 days"));
    assert!(page.body.contains("No MFA device"));
    assert!(page.body.contains("register a passkey or FIDO security key only on the AWS console"), "passkeys handled honestly");
    assert!(page.body.contains("aws sts get-session-token --token-code"));
    assert!(page.body.contains("arn:aws:iam::123456789012:user/alice"));
    assert!(!page.body.contains(created.secret.expose()), "a secret never reaches a page");
}

#[tokio::test]
async fn iam_outages_show_a_clear_retryable_message_not_a_500() {
    use std::sync::atomic::Ordering;
    let app = TestApp::new().await;
    app.add_account("alice", Role::Employee).await;
    let cookie = app.sign_in("alice", PASSWORD).await.unwrap();
    let faults = app.portal.embedded.as_ref().unwrap().faults();
    faults.unavailable.store(true, Ordering::SeqCst);
    let page = app.get(Some(&cookie), "/").await;
    assert_eq!(page.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(page.body.contains("AWS IAM cannot be reached right now"), "{}", page.body);
    assert!(page.body.contains("alice (test)"), "the frame still renders: sign-in does not depend on IAM");
    faults.unavailable.store(false, Ordering::SeqCst);
    faults.throttle_percent.store(100, Ordering::SeqCst);
    let r = app.server_fn(Some(&cookie), "get_my_credentials", &[]).await;
    assert_eq!(r.app_error(), app::error::AppError::IamBusy);
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "throttling is retryable, never a 5xx (G5)");
    let page = app.get(Some(&cookie), "/").await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(page.body.contains("AWS IAM is busy right now"), "{}", page.body);
}

#[tokio::test]
async fn the_aws_backend_against_moto_serves_the_same_pages() {
    use server::iam::Caller;
    let url = testkit::require_env!("KEYDESK_TEST_MOTO_URL", "AWS-backend page test");
    let (app, admin) = TestApp::on_moto(&url).await;
    let name = app.moto_employee(&admin).await;
    let key = app.portal.iam.create_access_key(&Caller::keydesk(), &app::domain::IamUserName::parse(&name).unwrap()).await.unwrap();
    let cookie = app.sign_in(&name, PASSWORD).await.unwrap();
    let page = app.get(Some(&cookie), "/").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(!page.body.contains("Local IAM — demo data"), "no demo badge on the AWS backend");
    assert!(page.body.contains(&format!("arn:aws:iam::123456789012:user/{name}")));
    assert!(page.body.contains(key.key.id.as_str()));
    assert!(page.body.contains("1 of 2 access keys used"));
    assert!(!page.body.contains(key.secret.expose()));
    assert!(page.body.contains("AWS IAM cannot be reached"), "moto lacks Git credentials: only that section says so");
}

#[tokio::test]
async fn pages_are_compressed_secret_bearing_answers_are_not_and_bodies_are_bounded() {
    use axum::body::Body;
    use http::{header, Request};
    let app = TestApp::new().await;
    app.add_account("alice", Role::Employee).await;
    let cookie = app.sign_in("alice", PASSWORD).await.unwrap();
    let get = |encoding: &'static str| {
        let cookie = cookie.clone();
        let app = &app;
        async move {
            let req =
                Request::get("/").header(header::COOKIE, cookie).header(header::ACCEPT_ENCODING, encoding).body(Body::empty()).unwrap();
            app.send(req).await
        }
    };
    for (asked, got) in [("br", Some("br")), ("gzip", Some("gzip")), ("identity", None)] {
        let r = get(asked).await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.headers.get(header::CONTENT_ENCODING).and_then(|v| v.to_str().ok()), got, "Accept-Encoding: {asked}");
    }
    // A server function's answer may carry a secret next to reflected input: never compressed.
    let req = Request::post("/api/create_access_key")
        .header(header::COOKIE, cookie.clone())
        .header(header::ACCEPT_ENCODING, "br, gzip")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header("sec-fetch-site", "same-origin")
        .body(Body::from("description=laptop"))
        .unwrap();
    let r = app.send(req).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.headers.get(header::CONTENT_ENCODING).is_none(), "a one-time secret is never compressed");
    assert_eq!(r.headers.get(header::CACHE_CONTROL).unwrap(), "no-store");

    // A body over the limit is refused before anything reads it, and changes nothing.
    let big = format!("public_key={}", "A".repeat(server::http::MAX_REQUEST_BODY));
    let req = Request::post("/api/upload_ssh_key")
        .header(header::COOKIE, cookie)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::CONTENT_LENGTH, big.len())
        .header("sec-fetch-site", "same-origin")
        .body(Body::from(big))
        .unwrap();
    assert_eq!(app.send(req).await.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(audit_trail(&app, "ssh_key.").await, vec![], "nothing was attempted");
}

/// A built site in the test's directory (`assets.txt` naming `name`, `files` under `pkg/`) and
/// keydesk's router serving it.
fn site_router(app: &TestApp, name: &str, files: impl IntoIterator<Item = (String, Vec<u8>)>) -> (std::path::PathBuf, axum::Router) {
    let site = app.dir.path().join("site");
    std::fs::create_dir_all(site.join("pkg")).unwrap();
    std::fs::write(site.join(server::http::ASSETS_FILE), format!("{name}\n")).unwrap();
    for (file, bytes) in files {
        std::fs::write(site.join("pkg").join(file), bytes).unwrap();
    }
    let options = server::http::leptos_options(&site.to_string_lossy(), "127.0.0.1:3000".parse().unwrap());
    let router = server::http::router(server::http::AppState { leptos_options: options, portal: app.portal.clone() });
    (site, router)
}

#[tokio::test]
async fn hashed_assets_are_immutable_and_pages_revalidate() {
    use axum::body::Body;
    use http::{header, Request};
    use tower::ServiceExt;
    let app = TestApp::new().await;
    let name = "keydesk-0123456789abcdef";
    let mut built: Vec<String> = app::pages::Bundle::ALL.iter().flat_map(|b| b.files(name)).collect();
    // Beside it, a development build's files under the plain name.
    built.extend(app::pages::Bundle::ALL.iter().flat_map(|b| b.files("keydesk")));
    built.push(format!("{name}.css"));
    let (site, router) = site_router(&app, name, built.into_iter().map(|f| (f, b"/* built */".to_vec())));
    std::fs::write(site.join("favicon.svg"), "<svg xmlns=\"http://www.w3.org/2000/svg\"/>").unwrap();
    let get = |path: &str| {
        let req = Request::get(path).body(Body::empty()).unwrap();
        let router = router.clone();
        async move {
            let res = router.oneshot(req).await.unwrap();
            let cache = res.headers().get(header::CACHE_CONTROL).map(|v| v.to_str().unwrap().to_owned());
            let body = http_body_util::BodyExt::collect(res.into_body()).await.unwrap().to_bytes();
            (cache, String::from_utf8_lossy(&body).into_owned())
        }
    };
    // The page names this build's script, WASM and stylesheet, and is revalidated itself.
    let (cache, page) = get("/sign-in").await;
    assert_eq!(cache.as_deref(), Some("no-cache, private"));
    let [js, wasm] = app::pages::Bundle::SignIn.files(name);
    for file in [format!("/pkg/{js}"), format!("/pkg/{wasm}"), format!("/pkg/{name}.css")] {
        assert!(page.contains(&file), "the page does not reference {file}");
        assert_eq!(get(&file).await.0.as_deref(), Some("public, max-age=31536000, immutable"), "{file}");
    }
    // Every family's files are immutable; a family that does not exist is not.
    for file in app::pages::Bundle::ALL.iter().flat_map(|b| b.files(name)) {
        assert_eq!(get(&format!("/pkg/{file}")).await.0.as_deref(), Some("public, max-age=31536000, immutable"), "{file}");
    }
    assert_eq!(get(&format!("/pkg/{name}-nobody.js")).await.0.as_deref(), Some("no-cache"));
    assert_eq!(get(&format!("/pkg/{name}.js")).await.0.as_deref(), Some("no-cache"));
    // Unhashed files and missing hashed ones are never cached as immutable.
    assert_eq!(get("/pkg/keydesk-sign-in.js").await.0.as_deref(), Some("no-cache"));
    assert_eq!(get("/pkg/keydesk-fedcba9876543210.js").await.0.as_deref(), Some("no-cache"));
    // The icon every page asks for is kept a day, not revalidated on every page view.
    assert_eq!(get("/favicon.svg").await.0.as_deref(), Some("public, max-age=86400"));
    // A site without hashes (a development build) still works under the plain name.
    assert!(server::http::site_assets(app.dir.path()).unwrap_err().contains("keydesk-credentials.js is missing"));
    // A site that lacks one family's script is refused, naming it.
    std::fs::remove_file(site.join("pkg").join(&app::pages::Bundle::Admin.files(name)[0])).unwrap();
    assert!(server::http::site_assets(&site).unwrap_err().contains(&format!("{name}-admin.js is missing")));
    std::fs::remove_file(site.join(server::http::ASSETS_FILE)).unwrap();
    assert_eq!(server::http::site_assets(&site).unwrap(), "keydesk");
}

/// #28: the WASM, script and stylesheet go out as the site build compressed them (brotli quality 11,
/// gzip -9), chosen by the browser's `Accept-Encoding` and marked `Vary`; the server compresses nothing
/// per request (brotli of the 3.4 MB WASM took 65–69 ms on every cold load). Without the files, or for a
/// client that takes neither, the plain file.
#[tokio::test]
async fn built_assets_go_out_precompressed() {
    use axum::body::Body;
    use http::{header, Request};
    use tower::ServiceExt;
    let app = TestApp::new().await;
    let name = "keydesk-00112233445566ff";
    let [_, wasm] = app::pages::Bundle::Credentials.files(name);
    let scripts = app::pages::Bundle::ALL.map(|b| (b.files(name)[0].clone(), b"/* built */".to_vec()));
    let (_, router) = site_router(
        &app,
        name,
        [
            (wasm.clone(), vec![b'w'; 4096]),
            (format!("{wasm}.br"), b"brotli made by the build".to_vec()),
            (format!("{wasm}.gz"), b"gzip made by the build".to_vec()),
            (format!("{name}.css"), vec![b'c'; 4096]),
        ]
        .into_iter()
        .chain(scripts),
    );
    let get = |path: String, accept: &'static str| {
        let req = Request::get(path).header(header::ACCEPT_ENCODING, accept).body(Body::empty()).unwrap();
        let router = router.clone();
        async move {
            let res = router.oneshot(req).await.unwrap();
            let h = |n: header::HeaderName| res.headers().get(n).map(|v| v.to_str().unwrap().to_owned());
            let (encoding, vary, kind, cache) =
                (h(header::CONTENT_ENCODING), h(header::VARY), h(header::CONTENT_TYPE), h(header::CACHE_CONTROL));
            let body = http_body_util::BodyExt::collect(res.into_body()).await.unwrap().to_bytes();
            (encoding, vary, kind, cache, body)
        }
    };
    let path = format!("/pkg/{wasm}");
    for (accept, encoding, body) in [
        ("gzip, deflate, br", Some("br"), &b"brotli made by the build"[..]),
        ("gzip", Some("gzip"), &b"gzip made by the build"[..]),
        ("identity", None, &[b'w'; 4096][..]),
    ] {
        let (got, vary, kind, cache, sent) = get(path.clone(), accept).await;
        assert_eq!(got.as_deref(), encoding, "{accept}");
        assert_eq!(&sent[..], body, "{accept}: not the build's file");
        assert!(vary.is_some_and(|v| v.to_ascii_lowercase().contains("accept-encoding")), "{accept}: no Vary");
        assert_eq!(kind.as_deref(), Some("application/wasm"), "{accept}");
        assert_eq!(cache.as_deref(), Some("public, max-age=31536000, immutable"), "{accept}");
    }
    // A file the build did not compress is still compressed for the wire, and a missing one is 404.
    let (encoding, ..) = get(format!("/pkg/{name}.css"), "br").await;
    assert_eq!(encoding.as_deref(), Some("br"));
    let missing = router.clone().oneshot(Request::get("/pkg/keydesk-ffffffffffffffff.js").body(Body::empty()).unwrap()).await.unwrap();
    assert_eq!(missing.status(), http::StatusCode::NOT_FOUND);
}

/// The common-password list leaves the WASM bundle (#28): the server serves it, named by its content,
/// for the browser's strength estimate; the same list the server's own check uses.
#[tokio::test]
async fn the_common_password_list_is_served_by_name_and_kept() {
    let app = TestApp::new().await;
    let path = app::domain::strength::common_list_path();
    assert!(
        path.starts_with("/common-passwords-") && path.ends_with(".txt") && path.len() == "/common-passwords-.txt".len() + 16,
        "{path}"
    );
    let r = app.get(None, &path).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.headers["cache-control"], "public, max-age=31536000, immutable");
    assert!(r.headers["content-type"].to_str().unwrap().starts_with("text/plain"));
    assert_eq!(r.body.lines().count(), app::domain::strength::COMMON_COUNT);
    assert_eq!(r.body, app::domain::strength::COMMON_LIST);
    assert!(r.body.lines().any(|l| l == "password"));
    // Another name is not the list.
    assert_eq!(app.get(None, "/common-passwords-0000000000000000.txt").await.status, StatusCode::NOT_FOUND);
}

/// G17: every rendered page (including the 404 page and the JavaScript-free one-time page) has a CSP
/// whose script nonce is fresh per response and is the one on the page's own scripts; no inline style
/// attribute is rendered; everything else gets a policy that allows nothing.
#[tokio::test]
async fn pages_get_a_strict_csp_with_a_fresh_nonce_and_other_answers_allow_nothing() {
    let app = TestApp::new().await;
    app.add_account("alice", Role::Employee).await;
    let cookie = app.sign_in("alice", PASSWORD).await.unwrap();
    let nonce_of = |r: &Reply| {
        let csp = r.headers["content-security-policy"].to_str().unwrap().to_owned();
        for required in ["'wasm-unsafe-eval'", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'", "style-src 'self'"] {
            assert!(csp.contains(required), "{required} missing: {csp}");
        }
        assert!(!csp.contains("unsafe-inline") && !csp.contains("'unsafe-eval'"), "{csp}");
        let nonce = csp.split("'nonce-").nth(1).and_then(|s| s.split('\'').next()).unwrap_or_else(|| panic!("{csp}")).to_owned();
        assert!(nonce.len() >= 16, "{nonce}");
        nonce
    };
    let mut seen = std::collections::HashSet::new();
    for path in ["/", "/activity", "/settings", "/no-such-page", "/sign-in?x=1"] {
        let r = app.get(Some(&cookie), path).await;
        let nonce = nonce_of(&r);
        assert!(seen.insert(nonce.clone()), "{path}: a nonce was reused");
        // Every script the page carries names the nonce.
        let scripts = r.body.matches("<script").count();
        assert!(r.body.matches(&format!("nonce=\"{nonce}\"")).count() >= scripts, "{path}: a script without the nonce");
        assert!(!r.body.contains(" style=\""), "{path}: an inline style attribute");
        // The nonce appears only as a script's `nonce`, never as another attribute's value (Leptos's own
        // hydration scripts put it into the resource hints' `crossorigin`).
        assert_eq!(r.body.matches(&nonce).count(), r.body.matches(&format!("nonce=\"{nonce}\"")).count(), "{path}: the nonce elsewhere");
        // Pages with an island carry the resource hints; the 404 page and the refusal of the settings to
        // an employee have no island and no WASM.
        let hints = r.body.contains(r#"rel="modulepreload""#) && r.body.contains(r#"crossorigin="anonymous""#);
        assert_eq!(hints, !["/settings", "/no-such-page"].contains(&path), "{path}: the hints");
    }
    let anonymous = app.get(None, "/sign-in").await;
    nonce_of(&anonymous);
    for r in [app.server_fn(Some(&cookie), "get_frame", &[]).await, app.get(None, "/healthz").await] {
        assert_eq!(r.headers["content-security-policy"], server::http::DEFAULT_CSP);
    }
}

/// #28: a page loads the WASM exactly when it renders an island. Pages drawn only on the server (the
/// audit log, the 404 page, the JavaScript-free key and temporary-credential pages, a refusal) carry no
/// script, no resource hint and no reference to the WASM; every page with an island has them, once
/// started however many islands it has, and names its own family's WASM only.
#[tokio::test]
async fn only_pages_with_islands_load_the_wasm() {
    let app = TestApp::new().await;
    for (name, role) in [("alice", Role::Employee), ("carol", Role::Helpdesk), ("dave", Role::Admin)] {
        app.add_account(name, role).await;
    }
    // zed acts for an IAM user that does not exist, and has no work role: nothing on "My security
    // credentials" is live for them.
    app.add_account_acting_for("zed", Role::Employee, "nobody-here").await;
    use app::pages::Bundle;
    let mut seen = (0, 0);
    // The family of pages whose WASM each page loads (#28): its own islands and no other family's.
    for (who, path, family) in [
        (None, "/sign-in", Some(Bundle::SignIn)),
        (Some("alice"), "/", Some(Bundle::Credentials)),
        (Some("zed"), "/", None),
        (Some("alice"), "/activity", Some(Bundle::Activity)),
        (Some("alice"), "/access-keys/new", None),
        (Some("alice"), "/temporary-credentials/new", None),
        (Some("alice"), "/admin", None),
        (Some("alice"), "/no-such-page", None),
        // The search alone is a plain form; a person's case has its reason's island.
        (Some("carol"), "/helpdesk", None),
        (Some("carol"), "/helpdesk?q=alice", Some(Bundle::Helpdesk)),
        (Some("carol"), "/audit", None),
        (Some("dave"), "/admin", Some(Bundle::Admin)),
        // No request waits for a decision: nothing live.
        (Some("dave"), "/helpdesk", None),
        (Some("dave"), "/settings", Some(Bundle::Settings)),
        (Some("dave"), "/audit", None),
    ] {
        let cookie = match who {
            Some(name) => Some(app.sign_in(name, PASSWORD).await.unwrap()),
            None => None,
        };
        let body = app.get(cookie.as_deref(), path).await.body;
        assert_eq!(body.contains("<leptos-island"), family.is_some(), "{who:?} {path}: islands");
        let starts = body.matches("keydeskStarted = true").count();
        let scripts = body.matches(r#"type="module""#).count();
        if let Some(family) = family {
            seen.0 += 1;
            assert!(starts >= 1 && starts == scripts, "{who:?} {path}: {starts} start scripts, {scripts} module scripts");
            assert!(body.contains(r#"rel="modulepreload""#) && body.contains("_bg.wasm"), "{who:?} {path}: the hints");
            // Every script and WASM the page names is its family's (the site here is unbuilt: `keydesk`).
            let [js, wasm] = family.files("keydesk");
            let named: Vec<&str> =
                body.split("/pkg/").skip(1).filter_map(|s| s.split('"').next()).filter(|f| !f.ends_with(".css")).collect();
            assert!(!named.is_empty() && named.iter().all(|f| *f == js || *f == wasm), "{who:?} {path}: {named:?}, not {family:?}'s");
        } else {
            seen.1 += 1;
            assert_eq!((starts, scripts), (0, 0), "{who:?} {path}: scripts on a page with no island");
            assert!(!body.contains("modulepreload") && !body.contains(".wasm"), "{who:?} {path}: the WASM is named");
        }
    }
    assert_eq!(seen, (6, 9));
}

/// #28: on "My security credentials" only the live parts are islands, each with its own props; the
/// lists, badges, notices and forms that post are drawn on the server, outside every island (before,
/// the whole page was one island, and every table of it was hydrated in the browser).
#[tokio::test]
async fn the_credentials_page_hydrates_only_its_live_parts() {
    let app = TestApp::new().await;
    app.add_account("alice", Role::Employee).await;
    let cookie = app.sign_in("alice", PASSWORD).await.unwrap();
    let body = app.get(Some(&cookie), "/").await.body;
    // What is outside the islands: cut every `<leptos-island …>…</leptos-island>` out of the page
    // (islands are not nested here).
    let mut outside = String::new();
    let mut rest = body.as_str();
    let mut islands = 0;
    while let Some(start) = rest.find("<leptos-island") {
        outside.push_str(&rest[..start]);
        let end = rest[start..].find("</leptos-island>").expect("a closed island") + start;
        assert!(!rest[start + 1..end].contains("<leptos-island"), "islands are not nested");
        rest = &rest[end + "</leptos-island>".len()..];
        islands += 1;
    }
    outside.push_str(rest);
    for drawn in [
        r#"data-testid="password-status""#,
        r#"data-testid="key-count""#,
        r#"data-testid="mfa-count""#,
        r#"data-testid="add-hardware""#,
        r#"data-testid="git-count""#,
        r#"data-testid="ssh-count""#,
        r#"data-testid="cert-upload""#,
        r#"data-testid="svc-count""#,
    ] {
        assert!(outside.contains(drawn), "{drawn} is drawn on the server, outside the islands");
    }
    // The change form, the key wizard, the MFA enrolment, Git's generate, the SSH upload and three
    // services' generate (alice has no work role here, so no temporary credentials).
    assert_eq!(islands, 8, "the live parts");
    for live in [r#"data-testid="change-password-submit""#, r#"data-testid="create-key""#, r#"data-testid="ssh-upload""#] {
        assert!(!outside.contains(live), "{live} is in an island");
    }
}
