//! G27–G29: sign-in through an OpenID Connect provider. The in-process provider (testkit/src/idp.rs)
//! hands out exactly the ID token each case needs; everything else is keydesk's real router.

use crate::report::{on, Report};
use crate::support::idp::{hs256, unsigned, FakeIdp, SigningKey};
use crate::support::*;
use app::domain::{Frame, Role};
use http::StatusCode;
use serde_json::{json, Value};

async fn frame(app: &TestApp, cookie: &str) -> Frame {
    let r = app.server_fn(Some(cookie), "get_frame", &[]).await;
    serde_json::from_str(&r.body).unwrap()
}

async fn app_with(idp: &FakeIdp, db: Backend) -> TestApp {
    let args = idp.args();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    TestApp::with(db, &args).await
}

fn now(app: &TestApp) -> i64 {
    use server::clock::Clock;
    app.clock.now().unix_timestamp()
}

/// A token of `claims` changed by `f`, signed with the provider's key.
fn signed(idp: &FakeIdp, claims: Value, f: impl FnOnce(&mut serde_json::Map<String, Value>)) -> String {
    let mut c = claims.as_object().unwrap().clone();
    f(&mut c);
    idp.sign(&Value::Object(c))
}

type Case = (&'static str, Box<dyn Fn(&FakeIdp, &str, i64) -> String + Send + Sync>);

/// The ID tokens no sign-in may come from (each with the nonce of its own attempt).
fn bad_tokens() -> Vec<Case> {
    let base = |idp: &FakeIdp, nonce: &str, now: i64| idp.claims("sub-m", "mallory", &["admins"], nonce, now);
    vec![
        (
            "wrong iss",
            Box::new(move |i, n, t| {
                signed(i, base(i, n, t), |c| {
                    c.insert("iss".into(), json!("https://evil.example"));
                })
            }),
        ),
        (
            "wrong aud",
            Box::new(move |i, n, t| {
                signed(i, base(i, n, t), |c| {
                    c.insert("aud".into(), json!("another-client"));
                })
            }),
        ),
        (
            "several aud, no azp",
            Box::new(move |i, n, t| {
                signed(i, base(i, n, t), |c| {
                    c.insert("aud".into(), json!(["keydesk", "other"]));
                })
            }),
        ),
        (
            "wrong azp",
            Box::new(move |i, n, t| {
                signed(i, base(i, n, t), |c| {
                    c.insert("azp".into(), json!("other"));
                })
            }),
        ),
        (
            "expired",
            Box::new(move |i, n, t| {
                signed(i, base(i, n, t), |c| {
                    c.insert("exp".into(), json!(t - 61));
                    c.insert("iat".into(), json!(t - 400));
                })
            }),
        ),
        (
            "iat beyond leeway",
            Box::new(move |i, n, t| {
                signed(i, base(i, n, t), |c| {
                    c.insert("iat".into(), json!(t + 120));
                })
            }),
        ),
        (
            "no nonce",
            Box::new(move |i, n, t| {
                signed(i, base(i, n, t), |c| {
                    c.remove("nonce");
                })
            }),
        ),
        (
            "wrong nonce",
            Box::new(move |i, n, t| {
                signed(i, base(i, n, t), |c| {
                    c.insert("nonce".into(), json!("a-nonce-of-another-attempt"));
                })
            }),
        ),
        ("alg none", Box::new(move |i, n, t| unsigned(&base(i, n, t)))),
        (
            "HS256 keyed with the public key",
            Box::new(move |i, n, t| {
                let jwk = i.with(|x| x.keys[0].jwk());
                hs256(jwk.to_string().as_bytes(), &base(i, n, t), "key-1")
            }),
        ),
        (
            "signature of another key",
            Box::new(move |i, n, t| {
                let other = SigningKey::generate("key-1");
                other.sign(&other.header(), &base(i, n, t))
            }),
        ),
        (
            "payload changed after signing",
            Box::new(move |i, n, t| {
                let token = signed(i, base(i, n, t), |_| {});
                let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
                let mut c = base(i, n, t);
                c["preferred_username"] = json!("dave");
                parts[1] = base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, c.to_string());
                parts.join(".")
            }),
        ),
    ]
}

pub async fn g27_token_matrix(report: &mut Report, db: Backend) {
    let idp = FakeIdp::start().await;
    let app = app_with(&idp, db).await;
    // The control: a well-formed token signs in, so a refusal below is the token's doing.
    let t = now(&app);
    let control = idp.sign_in(&app, "sub-ok", "olga", &["staff"]).await;
    assert!(control.is_ok(), "the well-formed token must sign in: {:?}", control.err().map(|r| r.body));
    let within = idp
        .sign_in_with(&app, |n| {
            signed(&idp, idp.claims("sub-ok", "olga", &["staff"], n, t), |c| {
                c.insert("iat".into(), json!(t + 30));
            })
        })
        .await;
    assert!(within.is_ok(), "iat 30 s ahead is within the 60 s leeway");

    let cases = bad_tokens();
    let mut successes = vec![];
    for (name, make) in &cases {
        if idp.sign_in_with(&app, |n| make(&idp, n, t)).await.is_ok() {
            successes.push(*name);
        }
    }
    // An unknown key id: exactly one fetch of the key set, then refusal; a second one within the
    // minute fetches nothing.
    let before = idp.jwks_fetches();
    let stranger = SigningKey::generate("key-unknown");
    let unknown = idp.sign_in_with(&app, |n| stranger.sign(&stranger.header(), &idp.claims("sub-m", "mallory", &["admins"], n, t))).await;
    let refetches = idp.jwks_fetches() - before;
    let again = idp.sign_in_with(&app, |n| stranger.sign(&stranger.header(), &idp.claims("sub-m", "mallory", &["admins"], n, t))).await;
    let refetches_again = idp.jwks_fetches() - before - refetches;
    if unknown.is_ok() || again.is_ok() {
        successes.push("unknown kid");
    }

    // Step-up: max_age sent, then no auth_time, or one older than the step-up.
    let cookie = control.unwrap();
    let mut step_up_successes = vec![];
    for (name, auth_time) in [("no auth_time", None), ("stale auth_time", Some(t - 3600)), ("auth_time before the step-up", Some(t - 120))]
    {
        let flow = idp.begin(&app, "/auth/oidc/step-up?return_to=/", Some(&cookie)).await;
        assert_eq!(flow.authorize.get("prompt").map(String::as_str), Some("login"));
        assert!(flow.authorize.contains_key("max_age"));
        idp.issue_raw(signed(&idp, idp.claims("sub-ok", "olga", &["staff"], flow.nonce(), t), |c| match auth_time {
            None => {
                c.remove("auth_time");
            }
            Some(at) => {
                c.insert("auth_time".into(), json!(at));
            }
        }));
        let back = idp.callback(&app, &flow.attempt, &[("code", "c"), ("state", flow.state()), ("iss", &idp.issuer)]).await;
        if back.status == StatusCode::OK {
            step_up_successes.push(name);
        }
    }

    // Callbacks: replayed, with no attempt, with a tampered state.
    let flow = idp.begin(&app, "/auth/oidc/start", None).await;
    idp.issue(&idp.claims("sub-r", "rita", &["staff"], flow.nonce(), t));
    let q = [("code", "c"), ("state", flow.state()), ("iss", idp.issuer.as_str())];
    assert_eq!(idp.callback(&app, &flow.attempt, &q).await.status, StatusCode::OK);
    idp.issue(&idp.claims("sub-r", "rita", &["staff"], flow.nonce(), t));
    let replayed = idp.callback(&app, &flow.attempt, &q).await.status;
    let no_attempt = app.get(None, &format!("/auth/oidc/callback?code=c&state={}", flow.state())).await.status;
    let flow2 = idp.begin(&app, "/auth/oidc/start", None).await;
    idp.issue(&idp.claims("sub-r", "rita", &["staff"], flow2.nonce(), t));
    let tampered =
        idp.callback(&app, &flow2.attempt, &[("code", "c"), ("state", &format!("{}x", flow2.state())), ("iss", &idp.issuer)]).await.status;
    let callbacks_400 = [replayed, no_attempt, tampered].iter().filter(|s| **s == StatusCode::BAD_REQUEST).count();
    let mallory = app::domain::PortalUserName::parse("mallory").unwrap();
    let mallory_exists = app.portal.db.find_account(&mallory).await.unwrap().is_some();

    let n = cases.len() + 1 + 3;
    report.add(
        "G27",
        on(db),
        format!(
            "{} successes over {n} bad tokens ({} + unknown kid + 3 step-up auth_time cases; the well-formed control and iat within leeway signed in); unknown kid: {refetches} key-set fetch, then refused, {refetches_again} more within the minute; replayed / state-less / tampered callbacks: {callbacks_400} of 3 answered 400",
            successes.len() + step_up_successes.len(),
            cases.len()
        ),
        successes.is_empty() && step_up_successes.is_empty() && refetches == 1 && refetches_again == 0 && callbacks_400 == 3 && !mallory_exists,
    );
    assert!(successes.is_empty(), "signed in with: {successes:?}");
    assert!(step_up_successes.is_empty(), "stepped up with: {step_up_successes:?}");
}

/// The provider itself misbehaves: discovery names another issuer, the JWKS URL redirects, the key set
/// is oversized. No sign-in, a clear page, and a redirect is never followed.
pub async fn g27_provider_faults(report: &mut Report) {
    let mut figures = vec![];
    let mut met = true;

    let idp = FakeIdp::start().await;
    idp.with(|i| i.stated_issuer = Some("https://impostor.example".into()));
    let app = app_with(&idp, Backend::Sqlite).await;
    let start = app.get(None, "/auth/oidc/start").await;
    let ok = start.status == StatusCode::SERVICE_UNAVAILABLE && start.body.contains("does not match keydesk") && start.location().is_none();
    figures.push(format!("discovery issuer mismatch: HTTP {}, no redirect to the provider", start.status.as_u16()));
    met &= ok;

    for (what, setup) in [
        (
            "a redirecting JWKS URL",
            Box::new(|i: &mut crate::support::idp::Inner| i.jwks_redirect = Some("http://127.0.0.1:9/jwks".into())) as Box<dyn Fn(&mut _)>,
        ),
        (
            "a 100 KiB JWKS",
            Box::new(|i: &mut crate::support::idp::Inner| {
                i.jwks_override = Some(format!("{{\"keys\":[],\"pad\":\"{}\"}}", "x".repeat(100 * 1024)))
            }),
        ),
    ] {
        let idp = FakeIdp::start().await;
        idp.with(setup);
        let app = app_with(&idp, Backend::Sqlite).await;
        let r = idp.sign_in(&app, "sub-1", "olga", &["staff"]).await;
        let refused = r.as_ref().is_err_and(|r| r.status == StatusCode::SERVICE_UNAVAILABLE);
        figures.push(format!("{what}: {}", if refused { "refused (503), nothing followed" } else { "NOT refused" }));
        met &= refused && idp.jwks_fetches() == 1;
    }
    report.add("G27", "provider faults", figures.join("; "), met);
}

pub async fn g28_identity(report: &mut Report, db: Backend) {
    let idp = FakeIdp::start().await;
    let app = app_with(&idp, db).await;
    app.add_account("alice", Role::Employee).await;

    // (iss, sub) is the identity: the same name under another subject is never linked.
    let ana = idp.sign_in(&app, "sub-ana", "ana", &["staff"]).await.unwrap();
    let created = frame(&app, &ana).await.viewer.unwrap();
    let impostor = idp.sign_in(&app, "sub-other", "ana", &["admins"]).await;
    let local_name = idp.sign_in(&app, "sub-alice", "alice", &["staff"]).await;
    let linked_by_name = usize::from(impostor.is_ok()) + usize::from(local_name.is_ok());
    let taken_message = impostor.as_ref().err().is_some_and(|r| r.status == StatusCode::FORBIDDEN && r.body.contains("already exists"));

    // The role follows the groups at every sign-in; no mapped group, no sign-in.
    let as_admin = idp.sign_in(&app, "sub-ana", "ana", &["staff", "admins"]).await.unwrap();
    let promoted = frame(&app, &as_admin).await.viewer.unwrap().role;
    let again = idp.sign_in(&app, "sub-ana", "ana", &["staff"]).await.unwrap();
    let demoted = frame(&app, &again).await.viewer.unwrap().role;
    let unmapped = idp.sign_in(&app, "sub-ana", "ana", &["marketing"]).await;
    let unmapped_refused =
        unmapped.as_ref().err().is_some_and(|r| r.status == StatusCode::FORBIDDEN && r.body.contains("none of your groups"));

    // Entra ID's group overage: refused, saying so.
    let t = now(&app);
    let overage = idp
        .sign_in_with(&app, |n| {
            signed(&idp, idp.claims("sub-big", "bigteam", &[], n, t), |c| {
                c.remove("groups");
                c.insert("_claim_names".into(), json!({"groups": "src1"}));
                c.insert("_claim_sources".into(), json!({"src1": {"endpoint": "https://graph.example/x"}}));
            })
        })
        .await;
    let overage_named = overage.as_ref().err().is_some_and(|r| r.body.contains("group overage"));
    let failures = audit_trail(&app, "portal.sign_in").await.into_iter().filter(|(_, o)| o == "failure").count();

    let met = created.user.as_str() == "ana"
        && created.role == Role::Employee
        && linked_by_name == 0
        && taken_message
        && promoted == Role::Admin
        && demoted == Role::Employee
        && unmapped_refused
        && overage_named
        && failures >= 4;
    report.add(
        "G28",
        on(db),
        format!(
            "{linked_by_name} sign-ins linked by name (same name, other subject; a local account's name); role at the IdP: staff → {}, +admins → {}, admins removed → {}; no mapped group: {}; Entra group overage: {}; {failures} refusals audited",
            created.role.as_str(),
            promoted.as_str(),
            demoted.as_str(),
            if unmapped_refused { "refused" } else { "NOT refused" },
            if overage_named { "refused, named" } else { "NOT named" },
        ),
        met,
    );
}

pub async fn g29_step_up(report: &mut Report, db: Backend) {
    let idp = FakeIdp::start().await;
    let app = app_with(&idp, db).await;
    let cookie = idp.sign_in(&app, "sub-ana", "ana", &["staff"]).await.unwrap();
    app.clock.advance(time::Duration::minutes(30));
    let t = now(&app);

    // The same person: a fresh auth_time later than the step-up's start renews the window.
    let flow = idp.begin(&app, "/auth/oidc/step-up?return_to=/activity", Some(&cookie)).await;
    idp.issue(&idp.claims("sub-ana", "ana", &["staff"], flow.nonce(), t + 5));
    let back = idp.callback(&app, &flow.attempt, &[("code", "c"), ("state", flow.state()), ("iss", &idp.issuer)]).await;
    let finished = idp.finish(&app, &flow.attempt, Some(&cookie)).await;
    let renewed = finished.as_ref().ok().cloned();
    let lands = back.status == StatusCode::OK && renewed.as_ref().is_some_and(|c| *c != cookie);
    let still_in = match &renewed {
        Some(c) => frame(&app, c).await.viewer.is_some(),
        None => false,
    };

    // Another person at the provider: the session ends.
    let session = renewed.unwrap_or(cookie);
    let flow = idp.begin(&app, "/auth/oidc/step-up?return_to=/", Some(&session)).await;
    idp.issue(&idp.claims("sub-bob", "bob", &["staff"], flow.nonce(), t + 10));
    let _ = idp.callback(&app, &flow.attempt, &[("code", "c"), ("state", flow.state()), ("iss", &idp.issuer)]).await;
    let other = idp.finish(&app, &flow.attempt, Some(&session)).await;
    let ended = other.as_ref().err().is_some_and(|r| r.status == StatusCode::FORBIDDEN) && frame(&app, &session).await.viewer.is_none();
    report.add(
        "G29",
        on(db),
        format!(
            "same subject, fresh auth_time: {} (new session id, back on its page); another subject: {}",
            if lands && still_in { "window renewed" } else { "NOT renewed" },
            if ended { "session ended" } else { "session NOT ended" }
        ),
        lands && still_in && ended,
    );
}

pub async fn g30_logout(report: &mut Report, db: Backend) {
    use crate::support::idp::post_logout;
    let idp = FakeIdp::start().await;
    let app = app_with(&idp, db).await;
    let b = app.instance_b().await;
    let live = |cookie: String| {
        let (app, b) = (&app, &b);
        async move {
            let on_a = frame(app, &cookie).await.viewer.is_some();
            let r = TestApp::send_to(b, form_request(Some(&cookie), "/api/get_frame", "application/json", &[])).await;
            let on_b = serde_json::from_str::<Frame>(&r.body).unwrap().viewer.is_some();
            (on_a, on_b)
        }
    };
    // Two keydesk sessions of one provider session (sid-sub-ana), and one of another.
    let ana1 = idp.sign_in(&app, "sub-ana", "ana", &["staff"]).await.unwrap();
    let ana2 = idp.sign_in(&app, "sub-ana", "ana", &["staff"]).await.unwrap();
    let bob = idp.sign_in(&app, "sub-bob", "bob", &["staff"]).await.unwrap();
    assert_eq!(live(ana1.clone()).await, (true, true));
    let t = now(&app);

    // Bad logout tokens end nothing and get 400.
    let bad = [
        (
            "nonce",
            idp.logout_token(Some("sid-sub-ana"), None, t, |c| {
                c.insert("nonce".into(), json!("n"));
            }),
        ),
        (
            "no event",
            idp.logout_token(Some("sid-sub-ana"), None, t, |c| {
                c.remove("events");
            }),
        ),
        (
            "wrong aud",
            idp.logout_token(Some("sid-sub-ana"), None, t, |c| {
                c.insert("aud".into(), json!("other"));
            }),
        ),
        (
            "wrong iss",
            idp.logout_token(Some("sid-sub-ana"), None, t, |c| {
                c.insert("iss".into(), json!("https://evil.example"));
            }),
        ),
        ("no sid or sub", idp.logout_token(None, None, t, |_| {})),
        (
            "no jti",
            idp.logout_token(Some("sid-sub-ana"), None, t, |c| {
                c.remove("jti");
            }),
        ),
        (
            "old iat",
            idp.logout_token(Some("sid-sub-ana"), None, t, |c| {
                c.insert("iat".into(), json!(t - 3600));
            }),
        ),
        (
            "alg none",
            unsigned(&json!({"iss": idp.issuer, "aud": "keydesk", "iat": t, "jti": "j", "sid": "sid-sub-ana",
            "events": {"http://schemas.openid.net/event/backchannel-logout": {}}})),
        ),
    ];
    let mut accepted_bad = vec![];
    for (name, token) in &bad {
        if post_logout(&b, token).await.status != StatusCode::BAD_REQUEST {
            accepted_bad.push(*name);
        }
    }
    let survived_bad = live(ana1.clone()).await == (true, true);

    // A good one, posted to instance B, ends both of ana's sessions on A and B; bob's stays.
    let token = idp.logout_token(Some("sid-sub-ana"), None, t, |_| {});
    let first = post_logout(&b, &token).await.status;
    let ended = [live(ana1.clone()).await, live(ana2.clone()).await] == [(false, false), (false, false)];
    let bob_stays = live(bob.clone()).await == (true, true);
    let replay = post_logout(&app.router, &token).await.status;
    // With only `sub`: every session of that person.
    let by_sub = post_logout(&app.router, &idp.logout_token(None, Some("sub-bob"), t, |_| {})).await.status;
    let bob_ended = live(bob).await == (false, false);

    // RP-initiated logout: keydesk's session first, then the provider's logout with client_id (no ID
    // token is kept, so none is sent).
    let carl = idp.sign_in(&app, "sub-carl", "carl", &["staff"]).await.unwrap();
    let out = app.server_fn(Some(&carl), "sign_out", &[]).await;
    let to = out.location().unwrap_or_default().to_owned();
    let rp_logout = to.starts_with(&format!("{}/logout?", idp.issuer))
        && to.contains("client_id=keydesk")
        && to.contains("post_logout_redirect_uri=http%3A%2F%2F127.0.0.1%3A3000%2Fsign-in")
        && !to.contains("id_token_hint");
    let carl_gone = live(carl).await == (false, false);

    let met = accepted_bad.is_empty()
        && survived_bad
        && first == StatusCode::OK
        && ended
        && bob_stays
        && replay == StatusCode::BAD_REQUEST
        && by_sub == StatusCode::OK
        && bob_ended
        && rp_logout
        && carl_gone;
    report.add(
        "G30",
        on(db),
        format!(
            "back-channel logout posted to B: {} of 2 sessions of that provider session ended on A and B, the other person's {}; replayed: HTTP {}; by sub only: {}; {} of {} malformed logout tokens accepted; sign-out: keydesk session ended, then the provider's logout with client_id and no ID token ({})",
            if ended { 2 } else { 0 },
            if bob_stays { "kept" } else { "ended too" },
            replay.as_u16(),
            if bob_ended { "all of that person's sessions ended" } else { "NOT ended" },
            accepted_bad.len(),
            bad.len(),
            if rp_logout && carl_gone { "checked" } else { "NOT as expected" }
        ),
        met,
    );
    assert!(accepted_bad.is_empty(), "accepted: {accepted_bad:?}");
}
