//! keydesk under load, side by side with a reference, in one run: `cargo bench -p server --bench load`.
//!
//! Starts keydesk's real router in-process on 127.0.0.1 (embedded IAM, the demo's users and data, the
//! built site when `.ci/build-site` has run) and, on another port, a bare axum handler that serves the
//! same bytes as keydesk's signed-in "My security credentials" page. Both are measured with the same
//! client: hyper's HTTP/1.1 client on N keep-alive connections, each sending one request at a time in a
//! loop that stops at a deadline (a closed loop, bounded in time and in concurrency). hyper rather than a
//! load-testing framework because it is already in the dependency tree, adds nothing to build, and
//! measures exactly one request per round trip with no scheduler of its own in between.
//!
//! Prints one table (figure, goal, measured, verdict) and writes it to `<target>/bench-report.md`.
//! Environment: `KEYDESK_BENCH_SECONDS` (default 10) per load step; `KEYDESK_BENCH_ONLY=page` stops after
//! the page steps (for profiling them under `perf record`). Client and server share the
//! machine's cores, as they do for the reference, so the ratio is fair and the absolute figures are a
//! lower bound of what a dedicated server does. Figures, never assertions.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout, clippy::print_stderr)] // a benchmark prints its figures; a panic is its failure
use axum::body::Bytes;
use clap::Parser;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;
use server::config::{Cli, Config};
use server::iam::Caller;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The allocator the `keydesk` binary uses (src/main.rs), so memory figures are the binary's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const USER: &str = "alice";
const PASSWORD: &str = "amber-falcon-river";

type Send = http1::SendRequest<Full<Bytes>>;

/// One request to send: method, path, cookie, form body.
#[derive(Clone)]
struct Req {
    method: http::Method,
    path: String,
    cookie: Option<String>,
    form: Option<String>,
}

impl Req {
    fn get(path: &str, cookie: &str) -> Req {
        Req { method: http::Method::GET, path: path.into(), cookie: Some(cookie.into()), form: None }
    }
    fn post(path: &str, cookie: Option<&str>, form: String) -> Req {
        Req { method: http::Method::POST, path: path.into(), cookie: cookie.map(str::to_owned), form: Some(form) }
    }
    fn build(&self, addr: SocketAddr) -> http::Request<Full<Bytes>> {
        let mut b = http::Request::builder().method(self.method.clone()).uri(&self.path).header(http::header::HOST, addr.to_string());
        if let Some(c) = &self.cookie {
            b = b.header(http::header::COOKIE, c);
        }
        if self.form.is_some() {
            b = b
                .header(http::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(http::header::ACCEPT, "application/json")
                .header("sec-fetch-site", "same-origin");
        }
        b.body(Full::new(Bytes::from(self.form.clone().unwrap_or_default()))).unwrap()
    }
}

struct Reply {
    status: http::StatusCode,
    cookie: Option<String>,
    body: Bytes,
}

async fn connect(addr: SocketAddr) -> Send {
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.set_nodelay(true).unwrap();
    let (sender, conn) = http1::handshake(TokioIo::new(stream)).await.unwrap();
    tokio::spawn(conn);
    sender
}

async fn send(sender: &mut Send, addr: SocketAddr, req: &Req) -> Reply {
    sender.ready().await.unwrap();
    let res = sender.send_request(req.build(addr)).await.unwrap();
    let status = res.status();
    let cookie =
        res.headers().get(http::header::SET_COOKIE).and_then(|v| v.to_str().ok()).map(|c| c.split(';').next().unwrap_or("").to_owned());
    let body = res.into_body().collect().await.unwrap().to_bytes();
    Reply { status, cookie, body }
}

async fn once(addr: SocketAddr, req: &Req) -> Reply {
    send(&mut connect(addr).await, addr, req).await
}

/// What a load step measured.
struct Load {
    latencies: Vec<Duration>,
    errors: usize,
    /// 429 answers (sign-in back-pressure), counted apart from other non-200s.
    busy: usize,
    elapsed: Duration,
}

impl Load {
    fn rate(&self) -> f64 {
        self.latencies.len() as f64 / self.elapsed.as_secs_f64()
    }
    fn ok_rate(&self) -> f64 {
        (self.latencies.len() - self.errors - self.busy) as f64 / self.elapsed.as_secs_f64()
    }
    fn pct(&self, p: f64) -> Duration {
        testkit::stats::percentile(&self.latencies, p)
    }
}

/// `conns` connections, each sending `req` in a loop until `length` has passed.
async fn hammer(addr: SocketAddr, conns: usize, length: Duration, req: Req) -> Load {
    hammer_each(addr, length, vec![req; conns]).await
}

/// One connection per request in `reqs`, each sending its own in a loop until `length` has passed.
async fn hammer_each(addr: SocketAddr, length: Duration, reqs: Vec<Req>) -> Load {
    let started = Instant::now();
    let deadline = started + length;
    let tasks: Vec<_> = reqs
        .into_iter()
        .map(|req| {
            tokio::spawn(async move {
                let mut sender = connect(addr).await;
                let (mut lat, mut errors, mut busy) = (Vec::new(), 0, 0);
                while Instant::now() < deadline {
                    let t = Instant::now();
                    let r = send(&mut sender, addr, &req).await;
                    lat.push(t.elapsed());
                    match r.status {
                        http::StatusCode::OK => {}
                        http::StatusCode::TOO_MANY_REQUESTS => busy += 1,
                        _ => errors += 1,
                    }
                }
                (lat, errors, busy)
            })
        })
        .collect();
    let mut load = Load { latencies: Vec::new(), errors: 0, busy: 0, elapsed: Duration::ZERO };
    for t in tasks {
        let (lat, errors, busy) = t.await.unwrap();
        load.latencies.extend(lat);
        load.errors += errors;
        load.busy += busy;
    }
    load.elapsed = started.elapsed();
    load
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn errors_note(l: &Load) -> String {
    if l.errors == 0 {
        String::new()
    } else {
        format!(" ({} non-200 answers)", l.errors)
    }
}

struct Row {
    figure: String,
    goal: String,
    measured: String,
    verdict: String,
}

fn row(figure: impl Into<String>, goal: impl Into<String>, measured: impl Into<String>, met: Option<bool>) -> Row {
    let verdict = match met {
        Some(true) => "met",
        Some(false) => "MISSED",
        None => "—",
    };
    Row { figure: figure.into(), goal: goal.into(), measured: measured.into(), verdict: verdict.into() }
}

/// Counts the database round trips sqlx reports (its `sqlx::query` events, one per statement run),
/// split between the embedded IAM's tables and the portal's, while switched on: off during the load
/// steps, where building each event's statement summary would cost time of its own.
#[derive(Default)]
struct RoundTrips {
    on: std::sync::atomic::AtomicBool,
    portal: std::sync::atomic::AtomicU64,
    iam: std::sync::atomic::AtomicU64,
}

/// The embedded IAM's tables (migrations/embedded-iam); every other table is the portal's.
const IAM_TABLES: [&str; 4] = ["iam_users", "iam_virtual_mfa", "iam_credential_index", "iam_account"];

struct CountRoundTrips(Arc<RoundTrips>);

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for CountRoundTrips {
    fn register_callsite(&self, meta: &'static tracing::Metadata<'static>) -> tracing::subscriber::Interest {
        if meta.target() == "sqlx::query" {
            tracing::subscriber::Interest::sometimes()
        } else {
            tracing::subscriber::Interest::never()
        }
    }

    fn enabled(&self, meta: &tracing::Metadata<'_>, _: tracing_subscriber::layer::Context<'_, S>) -> bool {
        meta.target() == "sqlx::query" && self.0.on.load(std::sync::atomic::Ordering::Relaxed)
    }

    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        struct Statement(String);
        impl tracing::field::Visit for Statement {
            fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
                if field.name() == "db.statement" || field.name() == "summary" {
                    self.0.push_str(&format!("{value:?} "));
                }
            }
            fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
                if field.name() == "db.statement" || field.name() == "summary" {
                    self.0.push_str(value);
                    self.0.push(' ');
                }
            }
        }
        let mut text = Statement(String::new());
        event.record(&mut text);
        let iam = IAM_TABLES.iter().any(|t| {
            text.0.match_indices(t).any(|(i, _)| !text.0[i + t.len()..].starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_'))
        });
        if std::env::var_os("KEYDESK_BENCH_TRACE_SQL").is_some() {
            eprintln!(
                "sql {}: {}",
                if iam { "iam" } else { "portal" },
                text.0.split_whitespace().collect::<Vec<_>>().join(" ").chars().take(140).collect::<String>()
            );
        }
        let counter = if iam { &self.0.iam } else { &self.0.portal };
        counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
}

fn proc_status_kb(field: &str) -> Option<u64> {
    proc_status_kb_of("/proc/self/status", field)
}

fn proc_status_kb_of(path: &str, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(path).ok()?;
    status.lines().find_map(|l| l.strip_prefix(field)?.trim().strip_suffix("kB")?.trim().parse().ok())
}

/// The resident memory of the release `keydesk` binary started as `.ci/demo` starts it (`--demo`, the
/// embedded IAM, throw-away SQLite files), once it answers `/readyz` and has then sat idle for two
/// seconds: the figure the goal is about, which this process's own RSS (keydesk in-process beside both
/// references and the client) is not.
async fn binary_idle_rss(site: &Path) -> Option<u64> {
    struct Killed(std::process::Child);
    impl Drop for Killed {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let dir = tempfile::tempdir().ok()?;
    let addr = std::net::TcpListener::bind("127.0.0.1:0").ok()?.local_addr().ok()?;
    let child = Killed(
        std::process::Command::new(env!("CARGO_BIN_EXE_keydesk"))
            .args(["--demo", "--insecure-cookie", "--listen", &addr.to_string(), "--site-root"])
            .arg(site)
            .arg("--database-url")
            .arg(format!("sqlite://{}", dir.path().join("portal.db").display()))
            .arg("--embedded-iam-database-url")
            .arg(format!("sqlite://{}", dir.path().join("iam.db").display()))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .ok()?,
    );
    for _ in 0..600 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let listening = tokio::net::TcpStream::connect(addr).await.is_ok();
        if listening && once(addr, &Req::get("/readyz", "")).await.status == http::StatusCode::OK {
            tokio::time::sleep(Duration::from_secs(2)).await;
            return proc_status_kb_of(&format!("/proc/{}/status", child.0.id()), "VmRSS:");
        }
    }
    None
}

/// Runs `end2end/bench/hydration.mjs` with `args` from the repository's root, echoes its output and
/// returns it; None when it could not run.
fn hydration_script(root: &Path, args: &[&str]) -> Option<String> {
    let out = std::process::Command::new("node").arg(root.join("end2end/bench/hydration.mjs")).args(args).current_dir(root).output();
    match out {
        Ok(o) => {
            let text = String::from_utf8_lossy(&o.stdout).into_owned();
            print!("{text}");
            if !o.status.success() {
                eprintln!("{}", String::from_utf8_lossy(&o.stderr));
            }
            Some(text)
        }
        Err(e) => {
            eprintln!("node: {e}");
            None
        }
    }
}

/// The value of the script's line `<name> median: N ms`.
fn printed_median(text: &str, name: &str) -> Option<f64> {
    text.lines().find_map(|l| l.strip_prefix(name)?.strip_prefix(" median: ")?.strip_suffix(" ms")?.parse::<f64>().ok())
}

/// The medians `end2end/bench/hydration.mjs` prints for one page as one role.
struct Hydration {
    /// Navigation start to interactive.
    interactive: f64,
    /// To the document alone parsed: the page's floor with no script.
    parsed: f64,
    /// To the WASM's last byte read (a warm load reads it from the cache); None for a page with no island.
    wasm_read: Option<f64>,
}

fn hydration_median(root: &Path, addr: std::net::SocketAddr, user: &str, password: &str, page: &str) -> Option<Hydration> {
    let text = hydration_script(root, &[&format!("http://{addr}"), user, password, "10", page])?;
    Some(Hydration {
        interactive: printed_median(&text, "hydration")?,
        parsed: printed_median(&text, "document")?,
        wasm_read: printed_median(&text, "wasm read"),
    })
}

fn mb(kb: Option<u64>) -> String {
    kb.map(|k| format!("{:.1} MB", k as f64 / 1024.0)).unwrap_or_else(|| "unknown".into())
}

fn machine() -> String {
    let cpus = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0);
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| c.lines().find_map(|l| l.strip_prefix("model name").map(|m| m.trim_start_matches([' ', '\t', ':']).to_owned())))
        .unwrap_or_else(|| "unknown CPU".into());
    format!("{cpus} cores ({model})")
}

fn gzip9(path: &Path) -> Option<u64> {
    let out = std::process::Command::new("gzip").args(["-9", "-c"]).arg(path).output().ok()?;
    out.status.success().then_some(out.stdout.len() as u64)
}

#[tokio::main]
async fn main() {
    let seconds: u64 = std::env::var("KEYDESK_BENCH_SECONDS").ok().and_then(|v| v.parse().ok()).unwrap_or(10);
    let step = Duration::from_secs(seconds);
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_owned();
    let round_trips = Arc::new(RoundTrips::default());
    {
        use tracing_subscriber::layer::SubscriberExt;
        tracing::subscriber::set_global_default(tracing_subscriber::registry().with(CountRoundTrips(round_trips.clone()))).unwrap();
    }
    let target = std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| root.join("target"));
    let site = target.join("site");
    let site_built = server::http::site_assets(&site).is_ok();

    // keydesk, in-process, on the demo data.
    let dir = tempfile::tempdir().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (portal_db, iam_db) =
        (format!("sqlite://{}", dir.path().join("portal.db").display()), format!("sqlite://{}", dir.path().join("iam.db").display()));
    let site_arg = if site_built { site.clone() } else { dir.path().to_owned() };
    let listen = addr.to_string();
    let argv = [
        "keydesk",
        "--database-url",
        &portal_db,
        "--embedded-iam-database-url",
        &iam_db,
        "--site-root",
        site_arg.to_str().unwrap(),
        "--listen",
        &listen,
        "--four-eyes",
        "none",
    ];
    let config = Config::from_settings(Cli::try_parse_from(argv).unwrap().settings).unwrap();
    let portal = server::build_portal(config, Arc::new(server::clock::SystemClock)).await.unwrap();
    server::demo::seed(&portal).await.unwrap();
    server::demo::seed_iam(&portal).await.unwrap();
    let state =
        server::http::AppState { leptos_options: server::http::leptos_options(&site_arg.to_string_lossy(), addr), portal: portal.clone() };
    let app = server::http::router(state);
    tokio::spawn(async move {
        axum::serve(server::http::listener(listener), app.into_make_service_with_connect_info::<SocketAddr>()).await.unwrap();
    });

    let signed_in = once(addr, &Req::post("/api/sign_in", None, format!("username={USER}&password={PASSWORD}"))).await;
    assert_eq!(signed_in.status, http::StatusCode::OK, "sign-in failed: {:?}", signed_in.body);
    let cookie = signed_in.cookie.expect("a session cookie");
    let page = Req::get("/", &cookie);
    let html = once(addr, &page).await;
    assert_eq!(html.status, http::StatusCode::OK);
    assert!(String::from_utf8_lossy(&html.body).contains("access key"), "not the credentials page");
    // The database round trips of one credentials page, once the pools hold their connections (a new
    // connection's PRAGMAs are not the page's).
    for _ in 0..3 {
        once(addr, &page).await;
    }
    use std::sync::atomic::Ordering::Relaxed;
    // Ten loads, one at a time. Work a render abandons may finish after its answer: quiet before each,
    // and counted until quiet after. The count varies: a render whose resource settles mid-way runs the
    // page's components again (see app::ssr::RenderMemo), and their reads with them.
    let mut trips: Vec<(u64, u64)> = Vec::new();
    for _ in 0..10 {
        tokio::time::sleep(Duration::from_millis(300)).await;
        round_trips.portal.store(0, Relaxed);
        round_trips.iam.store(0, Relaxed);
        if std::env::var_os("KEYDESK_BENCH_TRACE_SQL").is_some() {
            eprintln!("--- one credentials page");
        }
        round_trips.on.store(true, Relaxed);
        let counted = once(addr, &page).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        round_trips.on.store(false, Relaxed);
        assert_eq!(counted.status, http::StatusCode::OK);
        trips.push((round_trips.portal.load(Relaxed), round_trips.iam.load(Relaxed)));
    }
    trips.sort_by_key(|(p, i)| p + i);
    let (portal_trips, iam_trips) = trips[trips.len() / 2];
    let (fewest, most) = (trips[0].0 + trips[0].1, trips[trips.len() - 1].0 + trips[trips.len() - 1].1);

    // The reference: a bare axum handler serving the same bytes.
    let bare_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let bare_addr = bare_listener.local_addr().unwrap();
    let bytes = html.body.clone();
    let bare = axum::Router::new().route(
        "/",
        axum::routing::get(move || {
            let bytes = bytes.clone();
            async move { ([(http::header::CONTENT_TYPE, "text/html; charset=utf-8")], bytes) }
        }),
    );
    tokio::spawn(async move { axum::serve(server::http::listener(bare_listener), bare).await.unwrap() });
    // The same page rendered from memory: keydesk's routes and layers with alice signed in without a
    // session, every read made by the first request only (server::http::render_only_router).
    let memory_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let memory_addr = memory_listener.local_addr().unwrap();
    let account = portal.db.find_account(&app::domain::PortalUserName::parse(USER).unwrap()).await.unwrap().unwrap();
    let who = app::ssr::Principal {
        viewer: app::domain::Viewer {
            user: account.user,
            display_name: account.display_name,
            role: account.role,
            iam_user: account.iam_user,
        },
        authenticated_at: time::OffsetDateTime::now_utc(),
        request_id: String::new(),
        session_mark: None,
        signed_in_with: Default::default(),
        directory_dn: None,
        idp_groups: vec![],
    };
    let memory_state =
        server::http::AppState { leptos_options: server::http::leptos_options(&site_arg.to_string_lossy(), addr), portal: portal.clone() };
    let from_memory = server::http::render_only_router(memory_state, who);
    tokio::spawn(async move {
        axum::serve(server::http::listener(memory_listener), from_memory.into_make_service_with_connect_info::<SocketAddr>())
            .await
            .unwrap();
    });
    let rendered = once(memory_addr, &Req::get("/", &cookie)).await;
    assert_eq!(rendered.status, http::StatusCode::OK);
    assert!(String::from_utf8_lossy(&rendered.body).contains("access key"), "not the credentials page from memory");
    let idle_rss = proc_status_kb("VmRSS:");
    println!(
        "keydesk on http://{addr}, from memory on http://{memory_addr}, reference on http://{bare_addr}; page {} bytes ({} from memory); {seconds} s per step",
        html.body.len(),
        rendered.body.len()
    );

    let mut rows = Vec::new();
    let median = portal_trips + iam_trips;
    println!(
        "database round trips of one credentials page, 10 loads: median {median} (portal {portal_trips}, embedded IAM {iam_trips}), fewest {fewest}, most {most}"
    );
    rows.push(row(
        "database round trips per credentials page (sqlx statements, counted over 10 loads)",
        "≤ 3",
        format!("median {median} (portal {portal_trips}, embedded IAM {iam_trips}); fewest {fewest}, most {most}"),
        Some(most <= 3),
    ));
    let memory =
        |after: &str| println!("memory after {after}: RSS {}, peak {}", mb(proc_status_kb("VmRSS:")), mb(proc_status_kb("VmHWM:")));
    memory("start");

    // 1–2. SSR throughput against the same page rendered from memory, and latency, at 32 and 128
    //      connections; the bare handler is the machine's ceiling, not a goal.
    for conns in [32usize, 128] {
        let reference = hammer(bare_addr, conns, step, Req::get("/", &cookie)).await;
        let render = hammer(memory_addr, conns, step, Req::get("/", &cookie)).await;
        let ours = hammer(addr, conns, step, page.clone()).await;
        let ratio = ours.rate() / render.rate();
        println!(
            "{conns} connections: keydesk {:.0} req/s, from memory {:.0} req/s, bare {:.0} req/s, p50 {} p99 {}{}",
            ours.rate(),
            render.rate(),
            reference.rate(),
            ms(ours.pct(0.5)),
            ms(ours.pct(0.99)),
            errors_note(&ours)
        );
        rows.push(row(
            format!("credentials page throughput ÷ the same page rendered from memory, {conns} connections"),
            if conns == 32 { "≥ 0.5" } else { "—" },
            format!("{:.0} req/s ÷ {:.0} req/s = {ratio:.2}{}", ours.rate(), render.rate(), errors_note(&ours)),
            (conns == 32).then_some(ratio >= 0.5 && ours.errors == 0),
        ));
        rows.push(row(
            format!("the machine's ceiling: a bare handler serving the page's bytes, {conns} connections"),
            "— (not a goal)",
            format!("{:.0} req/s; keydesk ÷ bare = {:.3}", reference.rate(), ours.rate() / reference.rate()),
            None,
        ));
        let (goal, met) = if conns == 32 { ("p99 ≤ 30 ms", Some(ours.pct(0.99) <= Duration::from_millis(30))) } else { ("—", None) };
        rows.push(row(
            format!("page latency, {conns} connections"),
            goal,
            format!(
                "p50 {} / p99 {} (from memory p99 {}, bare p99 {})",
                ms(ours.pct(0.5)),
                ms(ours.pct(0.99)),
                ms(render.pct(0.99)),
                ms(reference.pct(0.99))
            ),
            met,
        ));
    }
    // 4 connections, nothing else running.
    let few = hammer(addr, 4, step, page.clone()).await;
    println!("4 connections: keydesk {:.0} req/s, p50 {} p99 {} max {}", few.rate(), ms(few.pct(0.5)), ms(few.pct(0.99)), ms(few.pct(1.0)));
    rows.push(row(
        "page latency, 4 connections, nothing else running",
        "p99 ≤ 10 ms",
        format!("p50 {} / p99 {} / max {}", ms(few.pct(0.5)), ms(few.pct(0.99)), ms(few.pct(1.0))),
        Some(few.pct(0.99) <= Duration::from_millis(10)),
    ));

    memory("the page steps");
    if std::env::var("KEYDESK_BENCH_ONLY").as_deref() == Ok("page") {
        return;
    }

    // 3. Create, deactivate and delete an access key through the server functions (the console's order:
    //    only an inactive key can be deleted), against the same three IAM calls made straight on the
    //    backend.
    let rounds = 200;
    let mut sender = connect(addr).await;
    let mut through_portal = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let t = Instant::now();
        let created = send(&mut sender, addr, &Req::post("/api/create_access_key", Some(&cookie), "description=bench".into())).await;
        assert_eq!(created.status, http::StatusCode::OK, "{:?}", created.body);
        let v: serde_json::Value = serde_json::from_slice(&created.body).unwrap();
        let id = v["key"]["id"].as_str().unwrap().to_owned();
        let off =
            send(&mut sender, addr, &Req::post("/api/set_access_key_status", Some(&cookie), format!("key_id={id}&active=false"))).await;
        assert_eq!(off.status, http::StatusCode::OK, "{:?}", off.body);
        let deleted =
            send(&mut sender, addr, &Req::post("/api/delete_access_key", Some(&cookie), format!("key_id={id}&confirm={id}"))).await;
        assert_eq!(deleted.status, http::StatusCode::OK, "{:?}", deleted.body);
        through_portal.push(t.elapsed());
    }
    let iam_user = app::domain::IamUserName::parse(USER).unwrap();
    let caller = Caller::self_service_all(USER, iam_user.clone());
    let mut direct = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let t = Instant::now();
        let k = portal.iam.create_access_key(&caller, &iam_user).await.unwrap();
        portal.iam.update_access_key(&caller, &iam_user, &k.key.id, app::domain::SetStatus::Inactive).await.unwrap();
        portal.iam.delete_access_key(&caller, &iam_user, &k.key.id).await.unwrap();
        direct.push(t.elapsed());
    }
    let (p50, p99) = (testkit::stats::percentile(&through_portal, 0.5), testkit::stats::percentile(&through_portal, 0.99));
    let (d50, d99) = (testkit::stats::percentile(&direct, 0.5), testkit::stats::percentile(&direct, 0.99));
    let overhead99 = p99.saturating_sub(d99);
    rows.push(row(
        "create + deactivate + delete an access key via server functions (portal overhead)",
        "overhead p99 < 20 ms",
        format!(
            "p50 {} / p99 {}; backend alone p50 {} / p99 {}; overhead p50 {} / p99 {}",
            ms(p50),
            ms(p99),
            ms(d50),
            ms(d99),
            ms(p50.saturating_sub(d50)),
            ms(overhead99)
        ),
        Some(overhead99 < Duration::from_millis(20)),
    ));

    memory("the key round trips");
    // 4. Sign-in (argon2id) under a 50-client hammer, and what it does to page loads.
    let watchers = 4;
    let unloaded = hammer(addr, watchers, step, page.clone()).await;
    // Fifty accounts, one per client: the per-account back-off (G10) would otherwise turn one account's
    // concurrent sign-ins into refusals, which is not what this step measures.
    let now = time::OffsetDateTime::now_utc();
    let mut sign_ins = Vec::new();
    for i in 0..50 {
        let user = format!("bench{i:02}");
        let row = server::db::accounts::AccountRow {
            user: app::domain::PortalUserName::parse(&user).unwrap(),
            display_name: user.clone(),
            password_hash: portal.hasher.hash(PASSWORD).await.unwrap(),
            role: app::domain::Role::Employee,
            iam_user: app::domain::IamUserName::parse(USER).unwrap(),
            disabled: false,
            created_at: now,
            last_sign_in_at: None,
        };
        portal.db.insert_account(&row, now).await.unwrap();
        sign_ins.push(Req::post("/api/sign_in", None, format!("username={user}&password={PASSWORD}")));
    }
    let hammering = tokio::spawn(hammer_each(addr, step, sign_ins));
    let loaded = hammer(addr, watchers, step, page.clone()).await;
    let sign_ins = hammering.await.unwrap();
    let factor = loaded.pct(0.99).as_secs_f64() / unloaded.pct(0.99).as_secs_f64().max(1e-6);
    rows.push(row(
        "sign-in (argon2id) with 50 clients",
        "bounded: argon2 on the blocking pool, excess refused quickly",
        format!(
            "{:.1} sign-ins/s; {:.0}/s more answered 429 at once (queue full); p50 {} / p99 {} over all answers{}",
            sign_ins.ok_rate(),
            sign_ins.busy as f64 / sign_ins.elapsed.as_secs_f64(),
            ms(sign_ins.pct(0.5)),
            ms(sign_ins.pct(0.99)),
            errors_note(&sign_ins)
        ),
        None,
    ));
    rows.push(row(
        format!("page p99 ({watchers} connections) while 50 clients sign in"),
        "≤ 3× unloaded",
        format!("{} vs {} unloaded = {factor:.1}×", ms(loaded.pct(0.99)), ms(unloaded.pct(0.99))),
        Some(factor <= 3.0),
    ));

    memory("the sign-in hammer");
    // 5. The WASM: one per family of pages (app::pages::Bundle). A page loads its family's alone; the
    // whole app is all of them.
    match server::http::site_assets(&site) {
        Ok(name) => {
            let sizes: Vec<(&str, u64, u64)> = app::pages::Bundle::ALL
                .iter()
                .map(|b| {
                    let wasm = site.join("pkg").join(&b.files(&name)[1]);
                    (b.name(), std::fs::metadata(&wasm).map(|m| m.len()).unwrap_or(0), gzip9(&wasm).unwrap_or(0))
                })
                .collect();
            let each =
                sizes.iter().map(|(family, raw, gz)| format!("{family} {} KB ({} KB raw)", gz / 1000, raw / 1000)).collect::<Vec<_>>();
            let largest = sizes.iter().map(|s| s.2).max().unwrap_or(0);
            let (raw, gz) = sizes.iter().fold((0, 0), |(r, g), s| (r + s.1, g + s.2));
            rows.push(row(
                "WASM a page loads: its family's (release, wasm-opt -Oz, gzip -9)",
                "≤ 200 KB gzipped",
                format!("largest {} KB: {}", largest / 1000, each.join(", ")),
                Some(largest <= 200_000),
            ));
            rows.push(row(
                "WASM of the whole app: every family's together",
                "≤ 200 KB gzipped",
                format!("{} KB raw, {} KB gzip -9", raw / 1000, gz / 1000),
                Some(gz <= 200_000),
            ));
        }
        Err(e) => rows.push(row("WASM bundle", "≤ 200 KB gzipped", format!("not measured: {e}"), None)),
    }

    // 6. Hydration in Chromium: each role's own first page, as that role; first the browser's own floor
    // on this machine in the same sitting (no keydesk: an empty document, and one starting an empty WASM).
    let chromium = Path::new("/usr/bin/chromium").exists();
    let floor = if chromium { hydration_script(&root, &["--floor", "10"]) } else { None };
    let floors = floor.as_deref().and_then(|t| Some((printed_median(t, "blank")?, printed_median(t, "empty wasm")?)));
    rows.push(row(
        "the browser's floor on this machine: an empty document from a local server, navigation start to parsed (Chromium, median of 10)",
        "— (not a goal)",
        match floors {
            Some((blank, empty)) => format!("{blank:.0} ms; {empty:.0} ms to an empty WASM module started as keydesk starts its WASM"),
            None => "not measured: needs node and /usr/bin/chromium".to_owned(),
        },
        None,
    ));
    for (user, page, role) in [("alice", "/", "employee"), ("carol", "/helpdesk", "help desk"), ("dave", "/admin", "administrator")] {
        let password = server::demo::DEMO_ACCOUNTS.iter().find(|a| a.0 == user).map(|a| a.3).unwrap_or_default();
        let hydration = if site_built && chromium { hydration_median(&root, addr, user, password, page) } else { None };
        let what = format!("hydration of {page} as the {role}, navigation start to the app's mark (Chromium, median of 10)");
        rows.push(match hydration {
            // The page has nothing to start: interactive once parsed.
            Some(Hydration { interactive, wasm_read: None, .. }) => {
                row(what, "≤ 60 ms", format!("{interactive:.0} ms: no island, no WASM; interactive once parsed"), Some(interactive <= 60.0))
            }
            Some(Hydration { interactive, parsed, wasm_read: Some(read) }) => row(
                what,
                "≤ 60 ms",
                format!(
                    "{interactive:.0} ms (the document alone, parsed: {parsed:.0} ms; the WASM's last byte read from the cache: {read:.0} ms; \
                     its compile, start and the islands: the rest)"
                ),
                Some(interactive <= 60.0),
            ),
            None => row(what, "≤ 60 ms", "not measured: needs .ci/build-site, node and /usr/bin/chromium", None),
        });
    }

    // 7. Memory (the whole bench process: keydesk, its SQLite databases in memory and the client).
    let peak = proc_status_kb("VmHWM:");
    let binary_rss = binary_idle_rss(&site_arg).await;
    rows.push(row("RSS idle after start (demo data): the keydesk binary", "≤ 60 MB", mb(binary_rss), binary_rss.map(|k| k <= 60 * 1024)));
    rows.push(row("RSS of this bench process after start (keydesk in-process, both references, the client)", "—", mb(idle_rss), None));
    rows.push(row("peak RSS (VmHWM) after the load steps", "≤ 200 MB", mb(peak), peak.map(|k| k <= 200 * 1024)));

    let date = time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).unwrap();
    let mut table = format!(
        "Measured {date} on {}; `cargo bench -p server --bench load`, {seconds} s per load step.\n\n| figure | goal | measured | verdict |\n|---|---|---|---|\n",
        machine()
    );
    for r in &rows {
        table.push_str(&format!("| {} | {} | {} | {} |\n", r.figure, r.goal, r.measured, r.verdict));
    }
    println!("\n{table}");
    let report = target.join("bench-report.md");
    match std::fs::write(&report, &table) {
        Ok(()) => println!("written to {}", report.display()),
        Err(e) => eprintln!("could not write {}: {e}", report.display()),
    }
}
