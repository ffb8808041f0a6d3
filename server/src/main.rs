//! The `keydesk` binary: serve the portal, check a deployment (`keydesk check`), or manage portal
//! accounts (`keydesk user …`).
//! Configuration errors end the process with one line on stderr and exit code 2.

use clap::Parser;
use server::clock::{SharedClock, SystemClock};
use server::config::{Cli, Command, Config, SimulateCommand, UserCommand};
use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::sync::Arc;

/// mimalloc instead of glibc malloc: argon2 allocates and frees a 19 MiB work area per sign-in, and
/// glibc's adaptive mmap threshold then kept such areas resident (bench: 133 MB idle and 825 MB peak
/// with glibc, against 30 MB and 154 MB with the threshold pinned; docs/performance.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => {
            // --help and --version
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) => return fail(2, &one_line(&e.to_string())),
    };
    let config = match Config::from_settings(cli.settings) {
        Ok(c) => c,
        Err(e) => return fail(2, &e),
    };
    if let Err(e) = server::telemetry::init(config.settings.log_format, &config.settings.log) {
        return fail(2, &e);
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => return fail(1, &format!("cannot start the runtime: {e}")),
    };
    let result = runtime.block_on(async move {
        match cli.command {
            None | Some(Command::Serve) => serve(config).await,
            Some(Command::Check) => {
                if server::check::run(&config, &mut |l| out(&l)).await {
                    Ok(())
                } else {
                    Err(anyhow::anyhow!("keydesk check failed (see the FAIL line above)"))
                }
            }
            Some(Command::User(cmd)) => user_command(config, cmd).await,
            Some(Command::Simulate(cmd)) => simulate_command(config, cmd).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(1, &format!("{e:#}")),
    }
}

/// clap's multi-line usage error as one line: the message plus the possible values, if any.
fn one_line(rendered: &str) -> String {
    let mut lines = rendered.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with("For more information"));
    let first = lines.next().unwrap_or("invalid arguments").trim_start_matches("error: ").to_owned();
    match lines.find(|l| l.starts_with("[possible values")) {
        Some(values) => format!("{first} {values}"),
        None => first,
    }
}

fn fail(code: u8, message: &str) -> ExitCode {
    let _ = writeln!(std::io::stderr(), "keydesk: error: {}", server::config::redact_userinfo(message));
    ExitCode::from(code)
}

fn out(line: &str) {
    let _ = writeln!(std::io::stdout(), "{}", server::config::redact_userinfo(line));
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let site_root = config.settings.site_root.clone();
    if let Err(e) = server::http::site_assets(&site_root) {
        anyhow::bail!("--site-root {}: {e}", site_root.display());
    }
    let listen = config.settings.listen;
    let metrics_listen = config.settings.metrics_listen;
    let demo = config.settings.demo;
    let clock: SharedClock = Arc::new(SystemClock);
    let portal = server::build_portal(config, clock).await?;
    if demo {
        let lines = server::demo::seed(&portal).await?;
        let users = server::demo::seed_iam(&portal).await?;
        if users > 0 {
            out(&format!("seeded {users} demo IAM users with keys, last-use data and MFA devices"));
        }
        out("keydesk demo accounts (embedded IAM, demo data only):");
        for l in lines {
            out(&l);
        }
    }
    let state = server::http::AppState {
        leptos_options: server::http::leptos_options(&site_root.to_string_lossy(), listen),
        portal: portal.clone(),
    };
    let app = server::http::router(state);
    let listener = tokio::net::TcpListener::bind(listen).await.map_err(|e| anyhow::anyhow!("cannot listen on {listen}: {e}"))?;
    out(&format!("keydesk listening on http://{listen}"));
    if let Some(addr) = metrics_listen {
        let metrics = tokio::net::TcpListener::bind(addr).await.map_err(|e| anyhow::anyhow!("--metrics-listen {addr}: {e}"))?;
        out(&format!("metrics on http://{addr}/metrics"));
        tokio::spawn(async move {
            if let Err(e) = axum::serve(metrics, server::http::metrics_router()).await {
                tracing::error!(error = %e, "the metrics listener stopped");
            }
        });
    }
    tracing::info!(%listen, "keydesk started");
    tokio::spawn(server::auth::session_cleanup(portal.clone()));
    tokio::spawn(server::jobs::run_forever(portal));
    axum::serve(server::http::listener(listener), app.into_make_service_with_connect_info::<std::net::SocketAddr>())
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    tracing::info!("keydesk stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutdown requested; finishing in-flight requests");
}

/// Read a password from the terminal (twice, to catch typos) or, when stdin is not a terminal, one line.
fn read_new_password(user: &str) -> anyhow::Result<String> {
    let pw = if std::io::stdin().is_terminal() {
        let a = rpassword::prompt_password(format!("New password for {user}: "))?;
        let b = rpassword::prompt_password("Repeat it: ")?;
        if a != b {
            anyhow::bail!("the two passwords differ; nothing was changed");
        }
        a
    } else {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line)?;
        line.trim_end_matches(['\r', '\n']).to_owned()
    };
    server::auth::password::check_portal_password(user, &pw).map_err(|e| anyhow::anyhow!(e))?;
    Ok(pw)
}

async fn simulate_command(config: Config, cmd: SimulateCommand) -> anyhow::Result<()> {
    let clock: SharedClock = Arc::new(SystemClock);
    let portal = server::build_portal(config, clock.clone()).await?;
    let Some(embedded) = portal.embedded.clone() else {
        anyhow::bail!("simulate works on the embedded IAM only: real AWS records key use by itself");
    };
    match cmd {
        SimulateCommand::KeyUse { key_id, service, region } => {
            let id = app::domain::AccessKeyId::parse(&key_id).map_err(|e| anyhow::anyhow!(e))?;
            embedded.record_key_use(&id, clock.now(), &service, &region).await.map_err(|e| anyhow::anyhow!("{e}"))?;
            out(&format!("recorded a use of {id} by {service} in {region}"));
        }
    }
    Ok(())
}

async fn user_command(config: Config, cmd: UserCommand) -> anyhow::Result<()> {
    use app::domain::{IamUserName, PortalUserName, Role};
    use server::db::accounts::AccountRow;
    let clock: SharedClock = Arc::new(SystemClock);
    let portal = server::build_portal(config, clock.clone()).await?;
    let now = clock.now();
    let name_of = |s: &str| PortalUserName::parse(s).map_err(|e| anyhow::anyhow!(e));
    match cmd {
        UserCommand::Add { name, role, iam_user, display_name, email } => {
            let user = name_of(&name)?;
            let email = email.map(|e| server::notices::check_address(&e).map_err(|m| anyhow::anyhow!(m))).transpose()?;
            let iam = IamUserName::parse(iam_user.as_deref().unwrap_or(&name)).map_err(|e| anyhow::anyhow!(e))?;
            let role = Role::parse(&role).ok_or_else(|| anyhow::anyhow!("unknown role {role}"))?;
            if portal.db.find_account(&user).await?.is_some() {
                anyhow::bail!("portal account {user} already exists");
            }
            let pw = read_new_password(user.as_str())?;
            let row = AccountRow {
                display_name: display_name.unwrap_or_else(|| name.clone()),
                password_hash: portal.hasher.hash(&pw).await?,
                user: user.clone(),
                role,
                iam_user: iam,
                disabled: false,
                created_at: now,
                last_sign_in_at: None,
            };
            if !portal.db.insert_account(&row, now).await? {
                anyhow::bail!("portal account {user} already exists");
            }
            if let Some(e) = &email {
                portal.db.set_email(&user, Some(e)).await?;
            }
            out(&format!("created {user} ({})", role.as_str()));
        }
        UserCommand::Email { name, address } => {
            let user = name_of(&name)?;
            let address = address.map(|e| server::notices::check_address(&e).map_err(|m| anyhow::anyhow!(m))).transpose()?;
            if !portal.db.set_email(&user, address.as_deref()).await? {
                anyhow::bail!("no portal account {user}");
            }
            match address {
                Some(a) => out(&format!("notices for {user} go to {a}")),
                None => out(&format!("{user} has no e-mail address: notices stay in the portal")),
            }
        }
        UserCommand::Passwd { name } => {
            let user = name_of(&name)?;
            if portal.db.find_account(&user).await?.is_none() {
                anyhow::bail!("no portal account {user}");
            }
            let pw = read_new_password(user.as_str())?;
            portal.db.set_password_hash(&user, &portal.hasher.hash(&pw).await?, now).await?;
            // A new password is no use while whoever knew the old one stays signed in (review L7).
            let ended = server::auth::session_store::DbSessionStore::new(portal.db.clone()).end_all_sessions(user.as_str()).await?;
            out(&format!("password changed for {user}; {ended} session(s) signed out"));
        }
        UserCommand::Disable { name } => {
            let user = name_of(&name)?;
            if !portal.db.set_disabled(&user, true, now).await? {
                anyhow::bail!("no portal account {user}");
            }
            out(&format!("disabled {user}"));
        }
        UserCommand::Enable { name } => {
            let user = name_of(&name)?;
            if !portal.db.set_disabled(&user, false, now).await? {
                anyhow::bail!("no portal account {user}");
            }
            out(&format!("enabled {user}"));
        }
        UserCommand::List => {
            for a in portal.db.list_accounts().await? {
                out(&format!(
                    "{:<20} {:<9} iam={:<20} {}",
                    a.user.as_str(),
                    a.role.as_str(),
                    a.iam_user.as_str(),
                    if a.disabled { "disabled" } else { "active" }
                ));
            }
        }
    }
    Ok(())
}
