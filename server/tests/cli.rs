//! The `keydesk` binary: configuration errors are one clear line with exit code 2, and `keydesk user`
//! manages accounts with the password read from standard input (never argv).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout, clippy::print_stderr)] // test code: a panic is the failure
use std::io::Write;
use std::process::{Command, Stdio};

fn keydesk(args: &[&str], stdin: Option<&str>) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_keydesk"))
        .args(args)
        .env_remove("KEYDESK_DATABASE_URL")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(input) = stdin {
        child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    }
    drop(child.stdin.take());
    let out = child.wait_with_output().unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into(), String::from_utf8_lossy(&out.stderr).into())
}

/// The aws backend, fully configured, pointing at an IAM and STS that do not answer.
const AWS_NOT_ANSWERING: &[&str] = &[
    "--iam-backend",
    "aws",
    "--aws-user-role-arn",
    "arn:aws:iam::123456789012:role/u",
    "--aws-helpdesk-role-arn",
    "arn:aws:iam::123456789012:role/h",
    "--aws-admin-role-arn",
    "arn:aws:iam::123456789012:role/a",
    "--sts-endpoint",
    "http://127.0.0.1:9",
    "--iam-endpoint",
    "http://127.0.0.1:9",
];

#[test]
fn bad_configuration_fails_fast_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-site");
    let db = format!("sqlite://{}", dir.path().join("p.db").display());
    let cases: [(&[&str], &str); 5] = [
        (&["--database-url", "mysql://x"], "--database-url: unsupported database URL"),
        (&["--iam-backend", "ldap"], "invalid value 'ldap' for '--iam-backend <IAM_BACKEND>' [possible values: embedded, aws]"),
        (&["--listen", "nonsense"], "invalid value 'nonsense' for '--listen <LISTEN>'"),
        (&["--log-format", "xml"], "[possible values: pretty, json]"),
        (&["--database-url", &db, "--site-root", missing.to_str().unwrap()], "is missing or unreadable"),
    ];
    for (args, expected) in cases {
        let (code, _, err) = keydesk(args, None);
        assert_ne!(code, 0, "{args:?}");
        assert_eq!(err.lines().count(), 1, "{args:?} gave: {err}");
        assert!(err.starts_with("keydesk: error: ") && err.contains(expected), "{args:?} gave: {err}");
        assert!(!err.contains("panicked") && !err.contains("backtrace"));
    }
    let (code, out, _) = keydesk(&["--help"], None);
    assert_eq!(code, 0);
    for flag in [
        "--listen",
        "--public-url",
        "--database-url",
        "--iam-backend",
        "--idle-timeout-minutes",
        "--absolute-timeout-minutes",
        "--trusted-proxies",
        "--log-format",
        "KEYDESK_DATABASE_URL",
    ] {
        assert!(out.contains(flag), "--help does not document {flag}");
    }
}

#[test]
fn user_subcommands_manage_accounts_without_argv_passwords() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("p.db").display());
    let base = ["--database-url", db.as_str()];
    let run = |extra: &[&str], stdin: Option<&str>| {
        let args: Vec<&str> = base.iter().copied().chain(extra.iter().copied()).collect();
        keydesk(&args, stdin)
    };
    let (code, out, err) = run(&["user", "add", "Erin", "--role", "admin", "--iam-user", "erin.ops"], Some("a-long-enough-passphrase\n"));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("created erin (admin)"));
    let (code, _, err) = run(&["user", "add", "erin"], Some("another-long-passphrase\n"));
    assert_eq!(code, 1);
    assert!(err.contains("already exists"));
    let (code, _, err) = run(&["user", "passwd", "erin"], Some("short\n"));
    assert_eq!(code, 1);
    assert!(err.contains("at least 12 characters"), "{err}");
    // Review L7: a new password signs out every session of the account.
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let sessions = |sql: &'static str| {
        let db = db.clone();
        rt.block_on(async move {
            let pool = sqlx::SqlitePool::connect(&db).await.unwrap();
            sqlx::query_scalar::<_, i64>(sql).fetch_one(&pool).await.unwrap()
        })
    };
    sessions("INSERT INTO sessions (id, data, expires_at, username) VALUES ('s1', '{}', 9999999999, 'erin') RETURNING 1");
    let (code, out, err) = run(&["user", "passwd", "erin"], Some("a-fresh-long-passphrase\n"));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("1 session(s) signed out"), "{out}");
    assert_eq!(sessions("SELECT COUNT(*) FROM sessions WHERE username = 'erin'"), 0);
    let (code, _, _) = run(&["user", "disable", "erin"], None);
    assert_eq!(code, 0);
    let (_, out, _) = run(&["user", "list"], None);
    assert!(out.contains("erin") && out.contains("admin") && out.contains("iam=erin.ops") && out.contains("disabled"), "{out}");
    let (code, _, err) = run(&["user", "disable", "nobody"], None);
    assert_eq!((code, err.trim()), (1, "keydesk: error: no portal account nobody"));
}

/// Run keydesk with `args` and fake AWS credentials in the environment (nothing else to fall back on).
fn keydesk_with_fake_aws(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_keydesk"))
        .args(args)
        .env("AWS_ACCESS_KEY_ID", "AKIAAAAAAAAAAAAAAAAA")
        .env("AWS_SECRET_ACCESS_KEY", "not-a-real-secret-for-this-test")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .output()
        .unwrap()
}

#[test]
fn an_unreachable_aws_endpoint_fails_start_up_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("p.db").display());
    let out = keydesk_with_fake_aws(&[&["--database-url", db.as_str()][..], AWS_NOT_ANSWERING, &["user", "list"]].concat());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("keydesk: error: AWS credentials for keydesk itself do not work (unavailable"), "{err}");
    assert!(!err.contains("not-a-real-secret"), "credentials never reach an error message");
}

/// A deployment `keydesk check` passes: fresh databases and a built site in a new directory, and the
/// arguments naming them.
fn deployment() -> (tempfile::TempDir, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("site");
    testkit::unbuilt_site(&site);
    let db = format!("sqlite://{}", dir.path().join("p.db").display());
    let iam = format!("sqlite://{}", dir.path().join("i.db").display());
    let args = ["--database-url", &db, "--embedded-iam-database-url", &iam, "--site-root", site.to_str().unwrap()];
    let args = args.iter().map(|s| s.to_string()).collect();
    (dir, args)
}

#[test]
fn keydesk_check_passes_a_good_deployment_and_names_the_first_failure() {
    let (dir, base) = deployment();
    let base: Vec<&str> = base.iter().map(String::as_str).collect();
    // `extra` replaces the base value of any flag it names.
    let run = |extra: &[&str]| {
        let mut args: Vec<&str> = Vec::new();
        for pair in base.chunks(2) {
            if !extra.chunks(2).any(|e| e[0] == pair[0]) {
                args.extend_from_slice(pair);
            }
        }
        args.extend_from_slice(extra);
        args.push("check");
        keydesk(&args, None)
    };

    // Good: every line ok; a new database reports its migrations pending (applied at start), and
    // nothing was changed by the check.
    let (code, out, err) = run(&[]);
    assert_eq!(code, 0, "{out}{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 5, "{out}");
    assert!(lines.iter().all(|l| l.starts_with("ok   ")), "{out}");
    assert!(lines[1].starts_with("ok   portal database: SQLite reachable; 0 migrations applied,"), "{out}");
    let (_, again, _) = run(&[]);
    assert!(again.contains("0 migrations applied"), "check applies nothing: {again}");
    // After a start (here `keydesk user list`, which migrates), nothing is pending.
    assert_eq!(keydesk(&[&base[..], &["user", "list"]].concat(), None).0, 0);
    let (_, migrated, _) = run(&[]);
    assert!(migrated.contains(", 0 pending"), "{migrated}");
    assert!(migrated.contains("ok   work roles: none in the catalogue"), "{migrated}");

    // Bad 1: the database cannot be reached.
    let (code, out, _) = run(&["--database-url", "postgres://keydesk:nope@127.0.0.1:9/keydesk"]);
    assert_eq!(code, 1);
    assert!(out.lines().last().unwrap().starts_with("FAIL portal database: unreachable"), "{out}");
    // Bad 2: the site was never built.
    let (code, out, _) = run(&["--site-root", dir.path().join("none").to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(out.lines().last().unwrap().starts_with("FAIL site: ") && out.contains("build the site"), "{out}");
    // Bad 3: the aws backend with roles but an IAM/STS that does not answer.
    let out = keydesk_with_fake_aws(&[&base[..], AWS_NOT_ANSWERING, &["check"]].concat());
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.lines().last().unwrap().starts_with("FAIL AWS: AWS credentials for keydesk itself do not work"), "{text}");
    assert!(!text.contains("not-a-real-secret"));
    // Bad 4: a configuration error stops before any check, with exit code 2.
    let (code, _, err) = run(&["--iam-backend", "aws"]);
    assert_eq!(code, 2, "{err}");
}

/// Review L12: configuration errors and `keydesk check` never print a URL's password.
#[test]
fn configuration_errors_never_print_a_urls_password() {
    for url in ["mysql://keydesk:hunter2-topsecret@db.internal/portal", "postgres://keydesk:hunter2-topsecret@127.0.0.1:1/portal"] {
        for cmd in [&["user", "list"][..], &["check"][..]] {
            let args: Vec<&str> = ["--database-url", url].iter().copied().chain(cmd.iter().copied()).collect();
            let (code, out, err) = keydesk(&args, None);
            assert_ne!(code, 0, "{url} {cmd:?}");
            assert!(!out.contains("hunter2") && !err.contains("hunter2"), "{url} {cmd:?} printed the password: {out} {err}");
        }
    }
    let (code, _, err) = keydesk(&["--smtp-url", "ftp://mailer:hunter2-topsecret@mail", "user", "list"], None);
    assert_ne!(code, 0);
    assert!(!err.contains("hunter2"), "{err}");
}

/// `keydesk check` with an identity provider: discovery and the key set are read and described; a
/// discovery document naming another issuer fails the check; the client secret is never printed.
#[tokio::test(flavor = "multi_thread")]
async fn keydesk_check_reads_the_identity_providers_discovery_and_keys() {
    let idp = testkit::idp::FakeIdp::start().await;
    let (_dir, mut args) = deployment();
    args.extend(idp.args());
    args.push("check".into());
    let run = |args: Vec<String>| {
        tokio::task::spawn_blocking(move || {
            let a: Vec<&str> = args.iter().map(String::as_str).collect();
            keydesk(&a, None)
        })
    };
    let (code, out, err) = run(args.clone()).await.unwrap();
    assert_eq!(code, 0, "{out}{err}");
    let line = out.lines().find(|l| l.contains("identity provider")).unwrap_or_default().to_owned();
    assert!(
        line.starts_with(&format!("ok   identity provider: {} answers discovery; 1 signing key(s) fit RS256/ES256; sends iss", idp.issuer)),
        "{out}"
    );
    assert!(line.ends_with("redirect URI http://127.0.0.1:3000/auth/oidc/callback"), "{line}");

    idp.with(|i| i.stated_issuer = Some("https://impostor.example".into()));
    let (code, out, _) = run(args.clone()).await.unwrap();
    assert_eq!(code, 1, "{out}");
    assert!(out.lines().last().unwrap().starts_with("FAIL identity provider: the identity provider's configuration is not acceptable: its discovery document names the issuer \"https://impostor.example\""), "{out}");

    // Without the secret file: one line, exit 2; with it, the secret never appears in any output.
    let without: Vec<String> = args.iter().filter(|a| !a.contains("client-secret")).cloned().collect();
    let without: Vec<String> = without.iter().filter(|a| !idp.secret_file.path().to_string_lossy().eq(a.as_str())).cloned().collect();
    let (code, _, err) = run(without).await.unwrap();
    assert_eq!(code, 2, "{err}");
    assert_eq!(err.trim(), "keydesk: error: --oidc-issuer needs --oidc-client-secret-file", "{err}");
    let (_, out, err) = run(args).await.unwrap();
    assert!(!out.contains(testkit::idp::CLIENT_SECRET) && !err.contains(testkit::idp::CLIENT_SECRET), "{out}{err}");
}

/// `keydesk check` assumes each work role of the catalogue once and names the ones it cannot assume,
/// with what the administrator must fix.
#[test]
fn keydesk_check_assumes_each_work_role() {
    use app::domain::temporary::{WorkRole, WorkRoleCatalogue};
    use server::iam::embedded::{EmbeddedIam, RoleTrust};
    let (_dir, base) = deployment();
    let base: Vec<&str> = base.iter().map(String::as_str).collect();
    let (db_url, iam_url) = (base[1].to_owned(), base[3].to_owned());
    let write = |roles: Vec<(&'static str, &'static str, Option<RoleTrust>)>| {
        let (db_url, iam_url) = (db_url.clone(), iam_url.clone());
        tokio::runtime::Runtime::new().unwrap().block_on(async move {
            let db = server::db::Db::connect(&db_url, 1).await.unwrap();
            let iam_db = server::db::Db::connect_schema(&iam_url, 1, server::db::Schema::EmbeddedIam).await.unwrap();
            let iam = EmbeddedIam::new(iam_db, std::sync::Arc::new(server::clock::SystemClock));
            let mut catalogue = WorkRoleCatalogue::default();
            for (id, name, trust) in roles {
                if let Some(trust) = trust {
                    let _ = iam.create_role(name, 3600, trust).await;
                }
                catalogue.roles.push(WorkRole {
                    id: id.into(),
                    role_arn: format!("arn:aws:iam::{}:role/{name}", server::iam::IamBackend::account_id(&iam)),
                    display_name: name.into(),
                    max_session_secs: 3600,
                    portal_roles: vec![app::domain::Role::Employee],
                    ..Default::default()
                });
            }
            let doc = serde_json::to_string(&catalogue).unwrap();
            db.put_setting(server::portal::temporary::CATALOGUE, &doc, time::OffsetDateTime::now_utc(), "test").await.unwrap();
        })
    };
    let check = || keydesk(&[&base[..], &["check"]].concat(), None);

    write(vec![("read-only", "ReadOnly", Some(RoleTrust::Keydesk))]);
    let (code, out, err) = check();
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("ok   work roles: keydesk assumed each of the 1 role of the catalogue"), "{out}");

    write(vec![
        ("read-only", "ReadOnly", Some(RoleTrust::Keydesk)),
        ("closed", "Closed", Some(RoleTrust::Others)),
        ("missing", "Missing", None),
    ]);
    let (code, out, _) = check();
    assert_eq!(code, 1, "{out}");
    let last = out.lines().last().unwrap();
    assert!(last.starts_with("FAIL work roles: keydesk cannot assume 2 of 3: closed (arn:aws:iam::"), "{last}");
    assert!(last.contains("; missing (arn:aws:iam::") && !last.contains("read-only ("), "{last}");
    assert!(last.contains("sts:SetSourceIdentity and sts:TagSession"), "{last}");
}
