//! G16 canaries (every secret kind, logs at TRACE in both formats, database files, sessions, audit,
//! later pages) and G19 (stored password hashes).

use crate::report::Report;
use crate::support::*;
use app::domain::{CreatedAccessKey, Role};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use tracing_subscriber::prelude::*;

static RECORDING: AtomicBool = AtomicBool::new(false);

/// Log lines captured in memory, JSON and human formats at once, at TRACE, with the `log` bridge (sqlx
/// logs its statements through `log`) as the real binary has it — while [`RECORDING`] is on.
#[derive(Clone, Default)]
pub struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Captured {
        self.clone()
    }
}

pub struct LogCapture {
    json: Captured,
    pretty: Captured,
}

impl LogCapture {
    /// The process-wide capture, installed by the first caller (the subscriber is global).
    pub fn get() -> &'static LogCapture {
        static CAPTURE: std::sync::OnceLock<LogCapture> = std::sync::OnceLock::new();
        CAPTURE.get_or_init(LogCapture::install)
    }

    fn install() -> LogCapture {
        let (json, pretty) = (Captured::default(), Captured::default());
        let on = || tracing_subscriber::filter::filter_fn(|_| RECORDING.load(Ordering::Relaxed));
        tracing_subscriber::registry()
            .with(tracing_subscriber::fmt::layer().json().with_writer(json.clone()).with_filter(on()))
            .with(tracing_subscriber::fmt::layer().with_writer(pretty.clone()).with_filter(on()))
            .with(tracing_subscriber::filter::LevelFilter::TRACE)
            .try_init()
            .unwrap();
        LogCapture { json, pretty }
    }
}

/// Everywhere a secret could have gone once a test's requests are done: the captured logs, the session
/// store, the audit rows, the pages given, and the files of the app's directory.
struct Traces {
    json: String,
    pretty: String,
    sessions: Vec<String>,
    audit: String,
    pages: String,
}

impl Traces {
    async fn read(app: &TestApp, logs: &LogCapture, pages: String) -> Self {
        let sessions = sqlx::query_scalar("SELECT data FROM sessions").fetch_all(&app.portal.db.pool).await.unwrap();
        let audit: Vec<(Option<String>, Option<String>, Option<String>)> =
            sqlx::query_as("SELECT subject, detail, reason FROM audit_events").fetch_all(&app.portal.db.pool).await.unwrap();
        Traces {
            json: String::from_utf8_lossy(&logs.json.0.lock().unwrap()).into_owned(),
            pretty: String::from_utf8_lossy(&logs.pretty.0.lock().unwrap()).into_owned(),
            sessions,
            audit: format!("{audit:?}"),
            pages,
        }
    }

    /// Where `secret` was found; files for which `allowed(file)` holds are not counted.
    fn places(&self, app: &TestApp, secret: &str, allowed: impl Fn(&str) -> bool) -> Vec<String> {
        let mut places: Vec<String> = Vec::new();
        for (place, text) in [("JSON logs", &self.json), ("text logs", &self.pretty), ("pages", &self.pages), ("audit rows", &self.audit)] {
            if text.contains(secret) {
                places.push(place.into());
            }
        }
        if self.sessions.iter().any(|s| s.contains(secret)) {
            places.push("session store".into());
        }
        places.extend(files_containing(app.dir.path(), secret).into_iter().filter(|f| !allowed(f)).map(|f| format!("file {f}")));
        places
    }
}

/// G16: each secret kind appears in its create response once and nowhere else.
pub async fn g16_canaries(report: &mut Report) {
    let logs = LogCapture::get();
    RECORDING.store(true, Ordering::SeqCst);
    let app = TestApp::new().await;
    app.add_account("alice", Role::Employee).await;
    let cookie = app.sign_in("alice", PASSWORD).await.unwrap();
    let later = |c: String| {
        let app = &app;
        async move {
            [
                app.get(Some(&c), "/").await.body,
                app.server_fn(Some(&c), "get_my_credentials", &[]).await.body,
                app.get(Some(&c), "/activity").await.body,
            ]
            .concat()
        }
    };
    let mut secrets: Vec<(&str, String)> = Vec::new();
    let mut in_response = Vec::new();

    let r = app.server_fn(Some(&cookie), "create_access_key", &[("description", "canary")]).await;
    let created: CreatedAccessKey = serde_json::from_str(&r.body).unwrap();
    in_response.push(r.body.matches(created.secret.expose()).count());
    secrets.push(("access-key secret", created.secret.expose().to_owned()));
    // The no-JavaScript one-time page's .csv: the secret travels back once more, and must leave no trace.
    let form = [("key_id", created.key.id.as_str()), ("secret", created.secret.expose())];
    let r = app.post_form(Some(&cookie), app::pages::NEW_KEY_CSV_PATH, &form).await;
    assert_eq!(r.status, http::StatusCode::OK, "{}", r.body);

    const CONSOLE: &str = "Canary-Console-Pass-42!";
    let r = app.server_fn(Some(&cookie), "change_password", &[("new_password", CONSOLE), ("repeat_password", CONSOLE)]).await;
    assert_eq!(r.status, http::StatusCode::OK, "{}", r.body);
    secrets.push(("console password", CONSOLE.into()));

    let r = app.server_fn(Some(&cookie), "start_mfa_enrolment", &[("device_name", "alice-canary")]).await;
    let enrolment: app::api::mfa::MfaEnrolment = serde_json::from_str(&r.body).unwrap();
    in_response.push(r.body.matches(enrolment.seed.expose()).count());
    secrets.push(("MFA seed", enrolment.seed.expose().to_owned()));

    let r = app.server_fn(Some(&cookie), "create_git_credential", &[]).await;
    let git: app::domain::CreatedServiceCredential = serde_json::from_str(&r.body).unwrap();
    in_response.push(r.body.matches(git.password.expose()).count());
    secrets.push(("Git password", git.password.expose().to_owned()));

    let r = app.server_fn(Some(&cookie), "create_service_credential", &[("service", "bedrock"), ("age_days", "30")]).await;
    let api_key: app::domain::CreatedServiceCredential = serde_json::from_str(&r.body).unwrap();
    in_response.push(r.body.matches(api_key.password.expose()).count());
    secrets.push(("Bedrock API key", api_key.password.expose().to_owned()));

    // A private key pasted by mistake into the SSH and certificate uploads: refused, never echoed.
    const PRIVATE: &str = "CanaryPrivateKeyMaterialB64x";
    let pasted = format!("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjE{PRIVATE}\n-----END OPENSSH PRIVATE KEY-----");
    let mut echoed = 0;
    for (f, field) in [("upload_ssh_key", "public_key"), ("upload_signing_cert", "certificate")] {
        let r = app.server_fn(Some(&cookie), f, &[(field, &pasted)]).await;
        assert_eq!(r.status, http::StatusCode::UNPROCESSABLE_ENTITY);
        echoed += r.body.matches(PRIVATE).count();
    }
    secrets.push(("pasted private key", PRIVATE.into()));

    const NEW_PORTAL: &str = "canary-lanterns-over-the-bay";
    let form = [("current", PASSWORD), ("new_password", NEW_PORTAL), ("repeat_password", NEW_PORTAL), ("sign_out_others", "on")];
    let r = app.server_fn(Some(&cookie), "change_portal_password", &form).await;
    assert_eq!(r.status, http::StatusCode::OK, "{}", r.body);
    let cookie = r.session_cookie().unwrap_or(cookie);
    secrets.push(("portal password", PASSWORD.into()));
    secrets.push(("changed portal password", NEW_PORTAL.into()));

    // A password typed into the user-name field, often enough to start the back-off.
    const TYPED_AS_NAME: &str = "Canary-Typed-As-A-Name-77!";
    for _ in 0..6 {
        app.server_fn(None, "sign_in", &[("username", TYPED_AS_NAME), ("password", "x")]).await;
    }
    secrets.push(("password typed as a user name", TYPED_AS_NAME.into()));
    secrets.push(("password typed as a user name, lower-cased", TYPED_AS_NAME.to_lowercase()));

    let later_pages = later(cookie).await;
    RECORDING.store(false, Ordering::SeqCst);
    let traces = Traces::read(&app, logs, later_pages).await;
    let captured_statements = traces.json.contains("INSERT INTO audit_events") && traces.pretty.contains("INSERT INTO audit_events");

    let mut found = Vec::new();
    for (kind, secret) in &secrets {
        // The embedded IAM's own file legitimately holds the MFA seed (IAM keeps it); keydesk's portal
        // database never does, nor anything else.
        let places = traces.places(&app, secret, |f| *kind == "MFA seed" && f.starts_with("iam.db"));
        if !places.is_empty() {
            found.push(format!("{kind}: {}", places.join(", ")));
        }
    }
    let seen_key_id = files_containing(app.dir.path(), created.key.id.as_str()).iter().any(|f| f.starts_with("iam.db"));
    report.add(
        "G16",
        "SQLite",
        format!(
            "{} canaries ({}); in their create response {:?} times; {} KB of TRACE logs (JSON and text, sqlx statements included), database files, session store, audit rows, later pages: {} found{}",
            secrets.len(),
            secrets.iter().map(|(k, _)| *k).collect::<Vec<_>>().join(", "),
            in_response,
            (traces.json.len() + traces.pretty.len()) / 1024,
            found.len() + echoed,
            if found.is_empty() { String::new() } else { format!(" — {found:?}") }
        ),
        found.is_empty() && echoed == 0 && in_response.iter().all(|n| *n == 1) && captured_statements && seen_key_id,
    );
}

/// G16 for sign-in through an identity provider: the authorization code, the ID and access tokens, the
/// PKCE verifier and the client secret appear in no log, file, session or audit row, nor in any page.
pub async fn g16_oidc_canaries(report: &mut Report) {
    use crate::support::idp::{FakeIdp, ACCESS_TOKEN, CLIENT_SECRET};
    let logs = LogCapture::get();
    let idp = FakeIdp::start().await;
    // The groups come from the userinfo endpoint, so the access token is used too (and must leave no trace).
    let mut args = idp.args();
    args.extend(["--oidc-groups-source".to_owned(), "userinfo".to_owned()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    idp.with(|i| i.userinfo = Some(serde_json::json!({"sub": "sub-canary", "groups": ["staff"]})));
    RECORDING.store(true, Ordering::SeqCst);
    let app = TestApp::with(Backend::Sqlite, &args).await;
    const CODE: &str = "canary-authorization-code-5e1f";
    let flow = idp.begin(&app, "/auth/oidc/start", None).await;
    let now = {
        use server::clock::Clock;
        app.clock.now().unix_timestamp()
    };
    let claims = idp.claims("sub-canary", "erin", &[], flow.nonce(), now);
    let id_token = idp.sign(&claims);
    idp.issue_raw(id_token.clone());
    let back = idp.callback(&app, &flow.attempt, &[("code", CODE), ("state", flow.state()), ("iss", &idp.issuer)]).await;
    assert_eq!(back.status, http::StatusCode::OK, "{}", back.body);
    let cookie = idp.finish(&app, &flow.attempt, None).await.unwrap();
    let pages = [app.get(Some(&cookie), "/").await.body, app.get(Some(&cookie), "/activity").await.body, back.body].concat();
    RECORDING.store(false, Ordering::SeqCst);
    let verifier =
        idp.with(|i| i.token_requests.last().and_then(|f| f.iter().find(|(k, _)| k == "code_verifier").map(|(_, v)| v.clone()))).unwrap();
    let sent_code = idp.with(|i| i.token_requests.last().is_some_and(|f| f.iter().any(|(k, v)| k == "code" && v == CODE)));
    let secrets = [
        ("authorization code", CODE.to_owned()),
        ("ID token", id_token),
        ("access token", ACCESS_TOKEN.into()),
        ("PKCE verifier", verifier),
        ("client secret", CLIENT_SECRET.into()),
    ];
    let traces = Traces::read(&app, logs, pages).await;
    let logged = traces.json.contains("signed in through the identity provider");
    let setting = ("SQLite, OpenID Connect", "a sign-in through the provider, groups from userinfo");
    canary_row(report, &app, &traces, setting, &secrets, sent_code && logged);
}

/// G16 for sign-in against a directory: the person's password (right and wrong, at sign-in and at
/// step-up) and the service account's password appear in no log, file, session or audit row, nor in any
/// page.
pub async fn g16_ldap_canaries(report: &mut Report) {
    use crate::support::ldap::{Slapd, PASSWORD as DIRECTORY_PASSWORD};
    let Some(dir) = Slapd::start().await else { return };
    let logs = LogCapture::get();
    let args = dir.args();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    RECORDING.store(true, Ordering::SeqCst);
    let app = TestApp::with(Backend::Sqlite, &args).await;
    const WRONG: &str = "canary-wrong-directory-password-2b7d";
    let wrong = app.server_fn(None, "directory_sign_in", &[("username", "erin"), ("password", WRONG)]).await;
    let right = app.server_fn(None, "directory_sign_in", &[("username", "erin"), ("password", DIRECTORY_PASSWORD)]).await;
    let cookie = right.session_cookie().unwrap();
    let step_up = app.server_fn(Some(&cookie), "confirm_password", &[("password", DIRECTORY_PASSWORD)]).await;
    let cookie = step_up.session_cookie().unwrap_or(cookie);
    let pages = [app.get(Some(&cookie), "/").await.body, app.get(Some(&cookie), "/activity").await.body, wrong.body].concat();
    RECORDING.store(false, Ordering::SeqCst);
    let service = std::fs::read_to_string(&dir.password_file).unwrap().trim().to_owned();
    let secrets = [
        ("directory password", DIRECTORY_PASSWORD.to_owned()),
        ("wrong password", WRONG.to_owned()),
        ("service account password", service),
    ];
    let traces = Traces::read(&app, logs, pages).await;
    let logged = traces.json.contains("signed in through the directory");
    let setting = ("SQLite, LDAP directory", "a failed and a right sign-in and a step-up against slapd");
    let answered = wrong.status == http::StatusCode::UNAUTHORIZED && step_up.status == http::StatusCode::OK;
    canary_row(report, &app, &traces, setting, &secrets, logged && answered);
}

/// G16 for temporary credentials: a work role's secret access key and session token are in the answer
/// that issued them and nowhere else — no log, file, session or audit row, and no later page (the
/// audit names the session by its access key id).
pub async fn g16_temporary_credentials(report: &mut Report) {
    use app::domain::temporary::IssuedSession;
    let logs = LogCapture::get();
    RECORDING.store(true, Ordering::SeqCst);
    let app = TestApp::new().await;
    app.add_account("alice", Role::Employee).await;
    offer_read_only(&app).await;
    let cookie = app.sign_in("alice", PASSWORD).await.unwrap();
    let r = app.server_fn(Some(&cookie), "issue_temporary_credentials", &[("role", "read-only"), ("duration_secs", "900")]).await;
    let issued: IssuedSession = serde_json::from_str(&r.body).unwrap();
    let no_js = app.post_form(Some(&cookie), app::paths::NEW_TEMPORARY_PATH, &[("role", "read-only"), ("duration_secs", "900")]).await;
    let pages = [app.get(Some(&cookie), "/").await.body, app.get(Some(&cookie), "/activity").await.body].concat();
    RECORDING.store(false, Ordering::SeqCst);
    let c = &issued.credentials;
    let secrets = [("secret access key", c.secret_access_key.expose().to_owned()), ("session token", c.session_token.expose().to_owned())];
    let traces = Traces::read(&app, logs, pages).await;
    let audited = traces.audit.contains(&c.access_key_id);
    let setting = ("SQLite, temporary credentials", "a work role's session (and a second one issued without JavaScript)");
    canary_row(report, &app, &traces, setting, &secrets, audited && no_js.body.contains("ASIA"));
}

/// The G16 row of a sign-in's canaries: where each of `secrets` (kind, value) was found, if anywhere;
/// met when nowhere and `also` holds.
fn canary_row(report: &mut Report, app: &TestApp, traces: &Traces, setting: (&str, &str), secrets: &[(&str, String)], also: bool) {
    let mut found = Vec::new();
    for (kind, secret) in secrets {
        let places = traces.places(app, secret, |_| false);
        if !places.is_empty() {
            found.push(format!("{kind}: {}", places.join(", ")));
        }
    }
    report.add(
        "G16",
        setting.0.to_owned(),
        format!(
            "{} canaries ({}) of {}; TRACE logs, database files, session store, audit rows, pages: {} found{}",
            secrets.len(),
            secrets.iter().map(|(k, _)| *k).collect::<Vec<_>>().join(", "),
            setting.1,
            found.len(),
            if found.is_empty() { String::new() } else { format!(" — {found:?}") }
        ),
        found.is_empty() && also,
    );
}

/// G19: every stored portal hash is argon2id m ≥ 19456 KiB, t ≥ 2, p ≥ 1, and weaker hashes are
/// replaced at the next sign-in.
pub async fn g19_password_hashes(report: &mut Report) {
    use argon2::password_hash::{rand_core::OsRng, PasswordHasher, SaltString};
    let app = TestApp::new().await;
    for u in ["alice", "bob", "harry"] {
        app.add_account(u, Role::Employee).await;
    }
    // Two legacy hashes: weak argon2id and argon2i.
    let legacy = [
        ("alice", argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, argon2::Params::new(8192, 1, 1, None).unwrap())),
        ("bob", argon2::Argon2::new(argon2::Algorithm::Argon2i, argon2::Version::V0x13, argon2::Params::new(19456, 2, 1, None).unwrap())),
    ];
    for (u, a) in &legacy {
        let weak = a.hash_password(PASSWORD.as_bytes(), &SaltString::generate(&mut OsRng)).unwrap().to_string();
        app.portal.db.set_password_hash(&app::domain::PortalUserName::parse(u).unwrap(), &weak, start_time()).await.unwrap();
    }
    for u in ["alice", "bob"] {
        app.sign_in(u, PASSWORD).await.unwrap();
    }
    let strong = |h: &str| {
        let Ok(p) = argon2::PasswordHash::new(h) else { return false };
        let Ok(params) = argon2::Params::try_from(&p) else { return false };
        p.algorithm.as_str() == "argon2id" && params.m_cost() >= 19456 && params.t_cost() >= 2 && params.p_cost() >= 1
    };
    let hashes: Vec<String> = sqlx::query_scalar("SELECT password_hash FROM portal_accounts").fetch_all(&app.portal.db.pool).await.unwrap();
    let ok = hashes.iter().filter(|h| strong(h)).count();
    report.add(
        "G19",
        "SQLite",
        format!("{ok}/{} stored hashes argon2id m ≥ 19456 KiB, t ≥ 2, p ≥ 1, after 2 legacy hashes (weak argon2id, argon2i) were replaced at sign-in", hashes.len()),
        ok == hashes.len(),
    );
}
