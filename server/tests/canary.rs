//! G16 canaries, in a test binary of their own because it installs the process-wide log subscriber:
//! TRACE level, JSON and pretty output at once, with the `log` bridge (sqlx logs its statements through
//! `log`) as the real binary has it. The access-key secret and the portal password must appear in the
//! create response only: never in a log line, a database file (portal and embedded IAM, WAL included),
//! an audit row, a session or a later page.

#[path = "http/support.rs"]
#[allow(dead_code)]
mod support;

use app::domain::{CreatedAccessKey, Role};
use std::sync::{Arc, Mutex};
use support::*;
use tracing_subscriber::prelude::*;

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

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

#[tokio::test]
async fn secrets_never_reach_logs_database_files_audit_or_sessions() {
    let (json, pretty) = (Captured::default(), Captured::default());
    tracing_subscriber::registry()
        .with(tracing_subscriber::fmt::layer().json().with_writer(json.clone()))
        .with(tracing_subscriber::fmt::layer().with_writer(pretty.clone()))
        .with(tracing_subscriber::filter::LevelFilter::TRACE)
        .try_init()
        .unwrap();

    let app = TestApp::new().await;
    app.add_account("alice", Role::Employee).await;
    let cookie = app.sign_in("alice", PASSWORD).await.unwrap();
    let r = app.server_fn(Some(&cookie), "create_access_key", &[("description", "canary")]).await;
    let created: CreatedAccessKey = serde_json::from_str(&r.body).unwrap();
    let secret = created.secret.expose().to_owned();
    assert!(r.body.contains(&secret), "the create response carries it, once");
    let later = [app.get(Some(&cookie), "/").await.body, app.server_fn(Some(&cookie), "get_my_credentials", &[]).await.body];
    assert!(later.iter().all(|b| !b.contains(&secret)), "no later page or answer shows it");

    // A new console password and an MFA seed: IAM keeps them (the embedded IAM's own file holds the seed
    // and a password hash); keydesk's logs and its portal database never do.
    const CONSOLE: &str = "Canary-Console-Pass-42!";
    let r = app.server_fn(Some(&cookie), "change_password", &[("new_password", CONSOLE), ("repeat_password", CONSOLE)]).await;
    assert_eq!(r.status, http::StatusCode::OK, "{}", r.body);
    let r = app.server_fn(Some(&cookie), "start_mfa_enrolment", &[("device_name", "alice-canary")]).await;
    let enrolment: app::api::mfa::MfaEnrolment = serde_json::from_str(&r.body).unwrap();
    let seed = enrolment.seed.expose().to_owned();
    assert!(!app.get(Some(&cookie), "/").await.body.contains(&seed));

    // A CodeCommit Git password, and a private key pasted by mistake into the SSH upload.
    let r = app.server_fn(Some(&cookie), "create_git_credential", &[]).await;
    let git: app::domain::CreatedServiceCredential = serde_json::from_str(&r.body).unwrap();
    let git_password = git.password.expose().to_owned();
    assert!(!app.server_fn(Some(&cookie), "get_my_credentials", &[]).await.body.contains(&git_password));
    // A Bedrock API key: its secret is the key itself.
    let r = app.server_fn(Some(&cookie), "create_service_credential", &[("service", "bedrock"), ("age_days", "30")]).await;
    assert_eq!(r.status, http::StatusCode::OK, "{}", r.body);
    let api_key: app::domain::CreatedServiceCredential = serde_json::from_str(&r.body).unwrap();
    let api_secret = api_key.password.expose().to_owned();
    assert!(!app.server_fn(Some(&cookie), "get_my_credentials", &[]).await.body.contains(&api_secret));
    const PRIVATE: &str = "CanaryPrivateKeyMaterialB64x";
    let pasted = format!("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjE{PRIVATE}\n-----END OPENSSH PRIVATE KEY-----");
    let r = app.server_fn(Some(&cookie), "upload_ssh_key", &[("public_key", &pasted)]).await;
    assert_eq!(r.status, http::StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!r.body.contains(PRIVATE), "the refusal does not echo the private key");
    // The same private key pasted as a signing certificate, and a new keydesk (portal) password.
    let r = app.server_fn(Some(&cookie), "upload_signing_cert", &[("certificate", &pasted)]).await;
    assert_eq!(r.status, http::StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!r.body.contains(PRIVATE), "the certificate refusal does not echo the private key");
    const NEW_PORTAL: &str = "canary-lanterns-over-the-bay";
    let form = [("current", PASSWORD), ("new_password", NEW_PORTAL), ("repeat_password", NEW_PORTAL), ("sign_out_others", "on")];
    let r = app.server_fn(Some(&cookie), "change_portal_password", &form).await;
    assert_eq!(r.status, http::StatusCode::OK, "{}", r.body);

    // A password typed into the user-name field, often enough to start the back-off: the throttle
    // keeps its count under a hash, and nothing logs or stores what was typed.
    const TYPED_AS_NAME: &str = "Canary-Typed-As-A-Name-77!";
    for _ in 0..6 {
        let r = app.server_fn(None, "sign_in", &[("username", TYPED_AS_NAME), ("password", "x")]).await;
        assert!(r.status == http::StatusCode::UNAUTHORIZED || r.status == http::StatusCode::TOO_MANY_REQUESTS, "{}", r.body);
    }

    for (name, logs) in [("JSON", &json), ("pretty", &pretty)] {
        let text = String::from_utf8_lossy(&logs.0.lock().unwrap()).into_owned();
        assert!(text.contains("INSERT INTO audit_events"), "{name}: TRACE statements were captured");
        assert!(!text.contains(&secret), "{name}: the access-key secret is in the logs");
        assert!(!text.contains(PASSWORD), "{name}: the portal password is in the logs");
        assert!(!text.contains(NEW_PORTAL), "{name}: the new portal password is in the logs");
        assert!(!text.contains(CONSOLE), "{name}: the console password is in the logs");
        assert!(!text.contains(&seed), "{name}: the MFA seed is in the logs");
        assert!(!text.contains(&git_password), "{name}: the Git password is in the logs");
        assert!(!text.contains(&api_secret), "{name}: the Bedrock API key is in the logs");
        assert!(!text.contains(PRIVATE), "{name}: the pasted private key is in the logs");
        let typed_lower = TYPED_AS_NAME.to_lowercase();
        assert!(!text.contains(TYPED_AS_NAME) && !text.contains(&typed_lower), "{name}: a password typed as a user name is in the logs");
        eprintln!("G16 canary [{name} logs]: {} bytes at TRACE; key secret, portal (old and changed) and console passwords, MFA seed, Git password, Bedrock API key, pasted private key, a password typed as a user name 0 times each", text.len());
    }
    let leaked = files_containing(app.dir.path(), &secret);
    assert!(leaked.is_empty(), "secret found in database files {leaked:?}");
    assert!(files_containing(app.dir.path(), PASSWORD).is_empty(), "portal password stored in clear");
    assert!(files_containing(app.dir.path(), NEW_PORTAL).is_empty(), "the changed portal password stored in clear");
    assert!(files_containing(app.dir.path(), CONSOLE).is_empty(), "console password stored in clear");
    assert!(files_containing(app.dir.path(), PRIVATE).is_empty(), "the pasted private key was stored");
    for typed in [TYPED_AS_NAME.to_owned(), TYPED_AS_NAME.to_lowercase()] {
        assert!(files_containing(app.dir.path(), &typed).is_empty(), "a password typed as a user name was stored");
    }
    let git_files = files_containing(app.dir.path(), &git_password);
    assert!(git_files.is_empty(), "the Git password was stored in clear: {git_files:?}");
    assert!(files_containing(app.dir.path(), &api_secret).is_empty(), "the Bedrock API key was stored in clear");
    let seed_files = files_containing(app.dir.path(), &seed);
    assert!(seed_files.iter().all(|f| f.starts_with("iam.db")), "the MFA seed is only in the IAM's own store: {seed_files:?}");
    assert!(
        files_containing(app.dir.path(), created.key.id.as_str()).iter().any(|f| f.starts_with("iam.db")),
        "the file scan does see what is stored (the key id)"
    );
}
