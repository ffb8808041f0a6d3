//! keydesk's real state and router around throw-away databases and a manual clock, driven with
//! `tower::ServiceExt::oneshot` (no sockets), and the accounts and requests tests make with it.

use crate::postgres::FreshDatabase;
use crate::reply::{form_request, Reply};
use app::domain::{IamUserName, PortalUserName, Role};
use axum::body::Body;
use axum::Router;
use clap::Parser;
use http::{header, Request, StatusCode};
use server::clock::ManualClock;
use server::config::{Cli, Config};
use server::db::accounts::AccountRow;
use server::portal::Portal;
use std::sync::Arc;
use tower::ServiceExt;

pub const PASSWORD: &str = "correct-horse-battery";

pub struct TestApp {
    pub router: Router,
    pub portal: Arc<Portal>,
    pub clock: Arc<ManualClock>,
    /// The databases live here (the canary test scans these files).
    pub dir: tempfile::TempDir,
    /// The command line this keydesk was configured with (another instance reuses it).
    pub argv: Vec<String>,
    /// PostgreSQL databases made for this app, dropped with it (after the portal's pools above).
    pub databases: Vec<FreshDatabase>,
}

pub fn start_time() -> time::OffsetDateTime {
    time::macros::datetime!(2026-11-23 09:00 UTC)
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The databases to run a test against: SQLite always, PostgreSQL when configured.
pub fn databases() -> Vec<Backend> {
    let mut v = vec![Backend::Sqlite];
    if crate::postgres::configured().is_some() {
        v.push(Backend::Postgres);
    } else {
        eprintln!("note: PostgreSQL variant skipped (KEYDESK_TEST_POSTGRES_URL is not set)");
    }
    v
}

impl TestApp {
    pub async fn new() -> Self {
        Self::with(Backend::Sqlite, &[]).await
    }

    pub async fn with(backend: Backend, extra_args: &[&str]) -> Self {
        Self::build(backend, extra_args, None).await
    }

    /// keydesk on the AWS backend talking to moto at `moto_url` (roles are created there first).
    pub async fn on_moto(moto_url: &str) -> (Self, aws_sdk_iam::Client) {
        let (base, admin) = crate::moto::setup(moto_url).await;
        let args = crate::moto::args(moto_url);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let app = Self::build(Backend::Sqlite, &args, Some(base)).await;
        (app, admin)
    }

    /// On moto: a fresh IAM user and a portal employee account acting for it; returns the name.
    pub async fn moto_employee(&self, admin: &aws_sdk_iam::Client) -> String {
        let name = format!("kd-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
        admin.create_user().user_name(&name).send().await.unwrap();
        let row = AccountRow {
            user: PortalUserName::parse(&name).unwrap(),
            display_name: "Moto User".into(),
            password_hash: self.portal.hasher.hash(PASSWORD).await.unwrap(),
            role: Role::Employee,
            iam_user: IamUserName::parse(&name).unwrap(),
            disabled: false,
            created_at: start_time(),
            last_sign_in_at: None,
        };
        assert!(self.portal.db.insert_account(&row, start_time()).await.unwrap());
        name
    }

    async fn build(backend: Backend, extra_args: &[&str], aws: Option<aws_config::SdkConfig>) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut databases = Vec::new();
        // On PostgreSQL the embedded IAM's state is there too: every instance shares it, as in production.
        let (url, iam_url) = match backend {
            Backend::Sqlite => {
                let at = |file: &str| format!("sqlite://{}", dir.path().join(file).display());
                (at("portal.db"), at("iam.db"))
            }
            Backend::Postgres => {
                databases.push(FreshDatabase::create().await);
                databases.push(FreshDatabase::create().await);
                (databases[0].url.clone(), databases[1].url.clone())
            }
        };
        let mut argv = vec!["keydesk", "--database-url", &url, "--embedded-iam-database-url", &iam_url];
        argv.extend_from_slice(extra_args);
        let argv: Vec<String> = argv.into_iter().map(str::to_owned).collect();
        let config = Config::from_settings(Cli::try_parse_from(&argv).unwrap().settings).unwrap();
        let clock = ManualClock::new(start_time());
        let portal = match aws {
            None => server::build_portal(config, clock.clone()).await.unwrap(),
            Some(base) => {
                let iam = server::iam::aws::AwsIam::new(server::aws_settings(&config.settings), base, clock.clone()).unwrap();
                iam.check().await.unwrap();
                server::build_portal_with(config, clock.clone(), Arc::new(iam), None).await.unwrap()
            }
        };
        let state = server::http::AppState {
            leptos_options: server::http::leptos_options(&dir.path().to_string_lossy(), "127.0.0.1:3000".parse().unwrap()),
            portal: portal.clone(),
        };
        TestApp { router: server::http::router(state), portal, clock, dir, argv, databases }
    }

    /// Another keydesk instance on the same databases and clock: a second instance behind the load
    /// balancer, or this one after a restart.
    pub async fn another_instance(&self) -> Arc<Portal> {
        let config = Config::from_settings(Cli::try_parse_from(&self.argv).unwrap().settings).unwrap();
        server::build_portal(config, self.clock.clone()).await.unwrap()
    }

    /// A second keydesk instance with its own router on the same databases and clock (instance B behind
    /// the load balancer).
    pub async fn instance_b(&self) -> Router {
        let portal = self.another_instance().await;
        let options = server::http::leptos_options(&self.dir.path().to_string_lossy(), "127.0.0.1:3000".parse().unwrap());
        server::http::router(server::http::AppState { leptos_options: options, portal })
    }

    /// Send one request to `router` (another instance), with the same 30 s bound as [`TestApp::send`].
    pub async fn send_to(router: &Router, req: Request<Body>) -> Reply {
        let what = format!("{} {}", req.method(), req.uri());
        let res = tokio::time::timeout(std::time::Duration::from_secs(30), router.clone().oneshot(req))
            .await
            .unwrap_or_else(|_| panic!("{what} did not answer within 30 s"))
            .unwrap();
        Reply::read(res).await
    }

    /// A portal account and, on the embedded backend, its IAM user.
    pub async fn add_account(&self, name: &str, role: Role) {
        if let Some(iam) = &self.portal.embedded {
            iam.create_user(&IamUserName::parse(name).unwrap(), "/", start_time()).await.unwrap();
        }
        self.add_account_acting_for(name, role, name).await;
    }

    /// A portal account `name` for an existing IAM user `iam_user` (a second account of one person, say).
    pub async fn add_account_acting_for(&self, name: &str, role: Role, iam_user: &str) {
        let row = AccountRow {
            user: PortalUserName::parse(name).unwrap(),
            display_name: format!("{name} (test)"),
            password_hash: self.portal.hasher.hash(PASSWORD).await.unwrap(),
            role,
            iam_user: IamUserName::parse(iam_user).unwrap(),
            disabled: false,
            created_at: start_time(),
            last_sign_in_at: None,
        };
        assert!(self.portal.db.insert_account(&row, start_time()).await.unwrap());
    }

    /// Give the (embedded) IAM user `user` a console password, as an administrator would.
    pub async fn give_console_password(&self, user: &str) {
        use server::iam::IamBackend;
        let iam = self.portal.embedded.clone().unwrap();
        let console = app::domain::Password::new("Initial-Console-Pass-17!".to_owned());
        iam.set_password(&server::iam::Caller::keydesk(), &IamUserName::parse(user).unwrap(), &console, false).await.unwrap();
    }

    /// Send one request. A request that does not answer within 30 s fails the test with its name
    /// instead of hanging the suite.
    pub async fn send(&self, req: Request<Body>) -> Reply {
        Self::send_to(&self.router, req).await
    }

    /// Call a server function the way the browser's WASM client does.
    pub async fn server_fn(&self, cookie: Option<&str>, name: &str, form: &[(&str, &str)]) -> Reply {
        self.post(cookie, &format!("/api/{name}"), "application/json", form).await
    }

    /// Post a form the way a browser without JavaScript does.
    pub async fn post_form(&self, cookie: Option<&str>, path: &str, form: &[(&str, &str)]) -> Reply {
        self.post(cookie, path, "text/html", form).await
    }

    async fn post(&self, cookie: Option<&str>, path: &str, accept: &str, form: &[(&str, &str)]) -> Reply {
        Self::send_to(&self.router, form_request(cookie, path, accept, form)).await
    }

    /// Call a server function on another instance's router.
    pub async fn server_fn_on(router: &Router, cookie: Option<&str>, name: &str, form: &[(&str, &str)]) -> Reply {
        Self::send_to(router, form_request(cookie, &format!("/api/{name}"), "application/json", form)).await
    }

    pub async fn get(&self, cookie: Option<&str>, path: &str) -> Reply {
        let mut req = Request::get(path).header(header::ACCEPT, "text/html");
        if let Some(c) = cookie {
            req = req.header(header::COOKIE, c);
        }
        self.send(req.body(Body::empty()).unwrap()).await
    }

    /// Sign in and return the session cookie (`name=value`).
    pub async fn sign_in(&self, user: &str, password: &str) -> Result<String, Reply> {
        let r = self.server_fn(None, "sign_in", &[("username", user), ("password", password)]).await;
        match (r.status, r.session_cookie()) {
            (StatusCode::OK, Some(c)) => Ok(c),
            _ => Err(r),
        }
    }
}

/// The embedded IAM's role `ReadOnly` (trusting keydesk, an hour at most) and a catalogue that offers
/// it to every employee as `read-only`.
pub async fn offer_read_only(app: &TestApp) {
    use app::domain::temporary::{WorkRole, WorkRoleCatalogue};
    let iam = app.portal.embedded.clone().unwrap();
    let arn = iam.create_role("ReadOnly", 3600, server::iam::embedded::RoleTrust::Keydesk).await.unwrap();
    let role = WorkRole {
        id: "read-only".into(),
        role_arn: arn,
        display_name: "Read-only".into(),
        account_alias: String::new(),
        max_session_secs: 3600,
        portal_roles: vec![Role::Employee],
        iam_groups: vec![],
        sensitive: false,
        session_policy: None,
        ..Default::default()
    };
    let doc = serde_json::to_string(&WorkRoleCatalogue { roles: vec![role], identity_center: None }).unwrap();
    app.portal.db.put_setting(server::portal::temporary::CATALOGUE, &doc, start_time(), "test").await.unwrap();
}

/// A fresh app with admin dave and employee alice, both signed in: (app, dave's cookie, alice's).
pub async fn admin_and_employee() -> (TestApp, String, String) {
    let app = TestApp::new().await;
    app.add_account("alice", Role::Employee).await;
    app.add_account("dave", Role::Admin).await;
    let dave = app.sign_in("dave", PASSWORD).await.unwrap();
    let alice = app.sign_in("alice", PASSWORD).await.unwrap();
    (app, dave, alice)
}

/// The ids of `user`'s access keys, as IAM lists them.
pub async fn keys_of(app: &TestApp, user: &str) -> Vec<String> {
    let u = IamUserName::parse(user).unwrap();
    app.portal.iam.list_access_keys(&server::iam::Caller::keydesk(), &u).await.unwrap().into_iter().map(|k| k.id.to_string()).collect()
}

/// A form whose values were built as owned strings, borrowed the way the request helpers take it.
pub fn borrowed<'a>(form: &'a [(&'a str, String)]) -> Vec<(&'a str, &'a str)> {
    form.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

/// The audit trail's (action, outcome) pairs whose action starts with `prefix`, oldest first.
pub async fn audit_trail(app: &TestApp, prefix: &str) -> Vec<(String, String)> {
    sqlx::query_as("SELECT action, outcome FROM audit_events WHERE action LIKE $1 ORDER BY id")
        .bind(format!("{prefix}%"))
        .fetch_all(&app.portal.db.pool)
        .await
        .unwrap()
}

/// Names of the files directly in `dir` whose bytes contain `needle` (database files, WAL included).
pub fn files_containing(dir: &std::path::Path, needle: &str) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| std::fs::read(e.path()).is_ok_and(|b| b.windows(needle.len()).any(|w| w == needle.as_bytes())))
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect()
}
