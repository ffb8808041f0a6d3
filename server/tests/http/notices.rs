//! Key deadlines, reminders, notices and "My activity": every change told to its owner (who, when, why;
//! never a secret or a full key id); 120 simulated days of reminders sent exactly once per key and stage,
//! across a restart and with two instances on PostgreSQL; enforcement's dry run and run with exemptions;
//! real e-mail through a local SMTP sink; sessions listed and signed out.

use crate::support::*;
use app::api::activity::ActivityView;
use app::api::deadlines::{DeadlinesView, OverdueKeyView};
use app::domain::deadlines::KeyPolicy;
use app::domain::{AccessKeyId, IamUserName, Role};
use app::error::AppError;
use http::StatusCode;
use server::iam::Caller;
use server::portal::Portal;
use std::collections::BTreeSet;
use std::sync::Arc;
use time::{Duration, OffsetDateTime};

async fn activity(app: &TestApp, cookie: &str) -> ActivityView {
    let r = app.server_fn(Some(cookie), "get_activity", &[]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    serde_json::from_str(&r.body).unwrap()
}

fn name(s: &str) -> IamUserName {
    IamUserName::parse(s).unwrap()
}

#[tokio::test]
async fn every_change_is_told_to_its_owner_with_who_when_and_why_and_no_full_key_id() {
    let (app, _, alice) = admin_and_employee().await;
    app.add_account("carol", Role::Helpdesk).await;
    let carol = app.sign_in("carol", PASSWORD).await.unwrap();
    let r = app.server_fn(Some(&alice), "create_access_key", &[]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let created: app::domain::CreatedAccessKey = serde_json::from_str(&r.body).unwrap();
    let id = created.key.id.to_string();
    let form = [("user", "alice"), ("key_id", id.as_str()), ("active", "false"), ("reason", "found in a public gist"), ("ticket", "SEC-1")];
    let r = app.server_fn(Some(&carol), "helpdesk_set_key_status", &form).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);

    let a = activity(&app, &alice).await;
    // Her own change, made in this very session, is recorded but not unread here; the help desk's is.
    assert_eq!(a.unread, 1);
    assert_eq!(a.notifications.iter().map(|n| n.read).collect::<Vec<_>>(), [false, true]);
    let titles: Vec<&str> = a.notifications.iter().map(|n| n.title.as_str()).collect();
    assert_eq!(titles, ["An access key was deactivated", "A new access key was created"], "newest first");
    let last4 = &id[16..];
    assert!(a.notifications[0].body.contains(&format!("…{last4} was deactivated")), "{}", a.notifications[0].body);
    assert!(a.notifications[0].body.contains("by carol (help desk). Reason given: found in a public gist."));
    assert!(a.notifications[1].body.contains("by you"));
    // "If this was not you" only where it could be someone else in her name.
    assert!(a.notifications[1].body.contains("If this was not you"), "{}", a.notifications[1].body);
    assert!(!a.notifications[0].body.contains("If this was not you"), "{}", a.notifications[0].body);
    assert!(a.notifications[0].body.contains("Questions about it? Ask"), "{}", a.notifications[0].body);
    for n in &a.notifications {
        assert!(!n.body.contains(&id) && !n.title.contains(&id), "never the full key id");
        assert!(!n.body.contains(created.secret.expose()));
    }
    assert_eq!(a.email, None, "no address: in-portal only");
    let page = app.get(Some(&alice), "/").await;
    assert!(page.body.contains("Notifications: 1 unread"), "the header shows the unread count");
    // In another session of hers both are unread: a change made elsewhere in her name must stand out.
    let elsewhere = app.sign_in("alice", PASSWORD).await.unwrap();
    assert_eq!(activity(&app, &elsewhere).await.unread, 2);
    assert!(app.get(Some(&elsewhere), "/").await.body.contains("Notifications: 2 unread"));
    // The history shows both changes with who made them.
    let who: Vec<(&str, &str)> = a.history.iter().map(|h| (h.action.as_str(), h.actor.as_str())).collect();
    assert_eq!(who, [("helpdesk.access_key.deactivate", "carol"), ("access_key.create", "alice")]);
    assert!(a.history[1].by_you && !a.history[0].by_you);

    assert_eq!(app.server_fn(Some(&alice), "mark_notifications_read", &[]).await.status, StatusCode::OK);
    let a = activity(&app, &alice).await;
    assert_eq!((a.unread, a.notifications.iter().all(|n| n.read)), (0, true));
    // Carol's own list is untouched: notices go to the credentials' owner only.
    assert!(activity(&app, &carol).await.notifications.is_empty());
}

/// A seeded population for the reminder simulation: users with active keys of many ages (and one
/// inactive, idle key), one of them exempt for a while. Returns (user, key id, created) of active keys.
async fn seed_population(app: &TestApp) -> Vec<(IamUserName, AccessKeyId, OffsetDateTime)> {
    let iam = app.portal.embedded.clone().unwrap();
    let now = start_time();
    let mut keys = Vec::new();
    // Ages chosen to cross every stage boundary within 120 days, some already late at the start.
    for (i, age) in [0i64, 10, 45, 70, 77, 80, 84, 88, 89, 90, 95, 130].into_iter().enumerate() {
        let user = name(&format!("sim{i:02}"));
        iam.create_user(&user, "/", now - Duration::days(400)).await.unwrap();
        let k = app.portal.iam.create_access_key(&Caller::keydesk(), &user).await.unwrap().key.id;
        let created = now - Duration::days(age) - Duration::hours(i as i64);
        iam.backdate_key(&user, &k, created).await.unwrap();
        keys.push((user, k, created));
    }
    let idle = name("sim-idle");
    iam.create_user(&idle, "/", now - Duration::days(400)).await.unwrap();
    let k = app.portal.iam.create_access_key(&Caller::keydesk(), &idle).await.unwrap().key.id;
    iam.backdate_key(&idle, &k, now - Duration::days(10)).await.unwrap();
    app.portal.iam.update_access_key(&Caller::keydesk(), &idle, &k, app::domain::SetStatus::Inactive).await.unwrap();
    // sim05 is exempt for the first 20 days.
    app.portal.db.set_exemption("sim05", "migration in progress", now + Duration::days(20), "dave", now).await.unwrap();
    keys
}

/// What a daily job must have sent over `days` days: each key's stage on each day (exemptions
/// respected), as the domain rules compute it — independently of the job's own bookkeeping.
fn expected(keys: &[(IamUserName, AccessKeyId, OffsetDateTime)], days: i64) -> BTreeSet<(String, String)> {
    let policy = KeyPolicy::default();
    let exempt_until = start_time() + Duration::days(20);
    let mut out = BTreeSet::new();
    for day in 0..=days {
        let now = start_time() + Duration::days(day);
        for (user, id, created) in keys {
            let exempt = (user.as_str() == "sim05").then_some(exempt_until);
            if let Some(stage) = policy.deadline(*created, now, exempt).stage.reminder_id() {
                out.insert((id.to_string(), stage));
            }
        }
    }
    out
}

async fn ledger(portal: &Portal) -> Vec<(String, String)> {
    portal.db.reminders().await.unwrap().into_iter().map(|(k, s, _, _)| (k, s)).collect()
}

/// Run the daily job for `days` days on the given instances (all at once each day).
async fn simulate(app: &TestApp, instances: &[Arc<Portal>], from: i64, to: i64) {
    for day in from..=to {
        app.clock.set(start_time() + Duration::days(day) + Duration::hours(9));
        let runs = futures::future::join_all(instances.iter().map(|p| p.run_key_job())).await;
        let ran = runs.into_iter().map(Result::unwrap).filter(Option::is_some).count();
        assert!(ran >= 1, "day {day}: some instance ran the job");
    }
}

fn check_against(ledger: Vec<(String, String)>, keys: &[(IamUserName, AccessKeyId, OffsetDateTime)], idle_key_suggested: bool) {
    let mut expect = expected(keys, 120);
    let got: BTreeSet<_> = ledger.iter().cloned().collect();
    assert_eq!(got.len(), ledger.len(), "no reminder twice");
    let suggestions: Vec<_> = got.iter().filter(|(_, s)| s == "delete-suggested").cloned().collect();
    assert_eq!(suggestions.len(), usize::from(idle_key_suggested), "one deletion suggestion for the idle inactive key");
    for s in suggestions {
        expect.insert(s);
    }
    assert_eq!(got, expect);
}

#[tokio::test]
async fn reminders_over_120_simulated_days_go_out_once_per_key_and_stage_across_a_restart() {
    let app = TestApp::new().await;
    let keys = seed_population(&app).await;
    simulate(&app, std::slice::from_ref(&app.portal), 0, 60).await;
    // A restart in the middle: a new process on the same databases.
    let restarted = app.another_instance().await;
    simulate(&app, std::slice::from_ref(&restarted), 61, 120).await;
    let ledger = ledger(&restarted).await;
    check_against(ledger.clone(), &keys, true);
    // The exact set per stage, printed.
    for stage in ["remind-14", "remind-7", "remind-1", "overdue", "delete-suggested"] {
        println!("reminders {stage}: {}", ledger.iter().filter(|(_, s)| s == stage).count());
    }
    // Each recorded reminder reached its owner's notification list exactly once.
    let notes: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM notifications WHERE kind = 'reminder'").fetch_one(&restarted.db.pool).await.unwrap();
    assert_eq!(notes as usize, ledger.len());
    // The exempt user got nothing during the exemption.
    let sim05: Vec<_> = restarted.db.reminders().await.unwrap().into_iter().filter(|(_, _, u, _)| u == "sim05").collect();
    assert!(sim05.iter().all(|(_, _, _, at)| *at >= start_time() + Duration::days(20)), "{sim05:?}");
}

#[tokio::test]
async fn two_instances_on_postgres_send_each_reminder_once() {
    testkit::require_env!("KEYDESK_TEST_POSTGRES_URL", "two-instance reminder test");
    let app = TestApp::with(Backend::Postgres, &[]).await;
    let keys = seed_population(&app).await;
    let b = app.another_instance().await;
    simulate(&app, &[app.portal.clone(), b.clone()], 0, 120).await;
    check_against(ledger(&b).await, &keys, true);
}

#[tokio::test]
async fn deactivate_enforcement_dry_run_lists_exactly_the_overdue_keys_and_respects_exemptions() {
    let app = TestApp::with(Backend::Sqlite, &["--key-enforcement", "deactivate"]).await;
    app.add_account("dave", Role::Admin).await;
    let dave = app.sign_in("dave", PASSWORD).await.unwrap();
    let iam = app.portal.embedded.clone().unwrap();
    let mut ids = Vec::new();
    for (user, age) in [("late", 100), ("exempt", 120), ("fresh", 10)] {
        let u = name(user);
        iam.create_user(&u, "/", start_time() - Duration::days(400)).await.unwrap();
        let k = app.portal.iam.create_access_key(&Caller::keydesk(), &u).await.unwrap().key.id;
        iam.backdate_key(&u, &k, start_time() - Duration::days(age)).await.unwrap();
        ids.push(k);
    }
    // Exemptions: bad input is refused by field, a good one is audited.
    for (form, field) in [
        ([("user", "nobody!"), ("reason", "vendor contract"), ("until", "2027-01-01")], "user"),
        ([("user", "exempt"), ("reason", "x"), ("until", "2027-01-01")], "reason"),
        ([("user", "exempt"), ("reason", "vendor contract"), ("until", "01/01/2027")], "until"),
        ([("user", "exempt"), ("reason", "vendor contract"), ("until", "2020-01-01")], "until"),
    ] {
        let r = app.server_fn(Some(&dave), "set_key_exemption", &form).await;
        assert!(matches!(r.app_error(), AppError::InvalidInput { field: f, .. } if f == field), "{form:?}: {}", r.body);
    }
    let r = app
        .server_fn(Some(&dave), "set_key_exemption", &[("user", "exempt"), ("reason", "vendor contract"), ("until", "2027-01-31")])
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(audit_trail(&app, "admin.key_exemption").await.len(), 2, "intent and outcome");

    let r = app.server_fn(Some(&dave), "preview_enforcement", &[]).await;
    let dry: Vec<OverdueKeyView> = serde_json::from_str(&r.body).unwrap();
    assert_eq!(dry.iter().map(|k| k.key_id.as_str()).collect::<Vec<_>>(), [ids[0].as_str()], "exactly the overdue, unexempt key");
    assert_eq!(dry[0].days_over, 10);

    // The page's dry run is a link: the server renders it (no JavaScript needed).
    let page = app.get(Some(&dave), "/admin?dry-run=1").await;
    let table = page.body.split("data-testid=\"dry-run\"").nth(1).and_then(|t| t.split("</table>").next()).expect("rendered on the server");
    assert!(table.contains(ids[0].as_str()) && !table.contains(ids[1].as_str()) && !table.contains(ids[2].as_str()), "{table}");

    let report = app.portal.run_key_job().await.unwrap().unwrap();
    assert_eq!(report.deactivated, 1);
    let status = |u: &'static str| {
        let app = &app;
        async move { app.portal.iam.list_access_keys(&Caller::keydesk(), &name(u)).await.unwrap()[0].status.is_active() }
    };
    assert_eq!((status("late").await, status("exempt").await, status("fresh").await), (false, true, true));
    let audited: Vec<(String, String)> =
        sqlx::query_as("SELECT outcome, subject FROM audit_events WHERE action = 'enforcement.access_key.deactivate' ORDER BY id")
            .fetch_all(&app.portal.db.pool)
            .await
            .unwrap();
    assert_eq!(audited, [("pending".to_owned(), ids[0].to_string()), ("success".to_owned(), ids[0].to_string())]);
    let told: Vec<String> =
        sqlx::query_scalar("SELECT title FROM notifications WHERE iam_user = 'late'").fetch_all(&app.portal.db.pool).await.unwrap();
    assert_eq!(told, [format!("Access key …{} was deactivated: past its deadline", &ids[0].as_str()[16..])]);
    // A second run changes nothing and tells nobody again; the dry run is empty now.
    assert_eq!(app.portal.run_key_job().await.unwrap().unwrap().deactivated, 0);
    let dry: Vec<OverdueKeyView> = serde_json::from_str(&app.server_fn(Some(&dave), "preview_enforcement", &[]).await.body).unwrap();
    assert!(dry.is_empty());
    let d: DeadlinesView = serde_json::from_str(&app.server_fn(Some(&dave), "get_deadlines", &[]).await.body).unwrap();
    assert_eq!((d.exemptions.len(), d.last_job.unwrap().users), (1, 4));
    // Only admins see any of it.
    let (app2, _, alice) = admin_and_employee().await;
    for f in ["get_deadlines", "preview_enforcement"] {
        assert_eq!(app2.server_fn(Some(&alice), f, &[]).await.status, StatusCode::FORBIDDEN, "{f}");
    }
}

/// An aiosmtpd sink on a free loopback port writing each message into a Maildir; killed on drop.
struct SmtpSink {
    child: std::process::Child,
    port: u16,
    maildir: tempfile::TempDir,
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

impl SmtpSink {
    fn start() -> Option<SmtpSink> {
        let python = testkit::require_env!("KEYDESK_TEST_SMTP_SINK", "SMTP tests");
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let maildir = tempfile::tempdir().unwrap();
        let mut child = std::process::Command::new(python)
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}"), "-c", "aiosmtpd.handlers.Mailbox"])
            .arg(maildir.path().join("box"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start aiosmtpd");
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Some(SmtpSink { child, port, maildir });
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        // Not left running behind the failed test.
        let _ = child.kill();
        let _ = child.wait();
        panic!("aiosmtpd did not start");
    }

    /// Every message received so far, as text.
    fn messages(&self) -> Vec<String> {
        let dir = self.maildir.path().join("box").join("new");
        let mut out: Vec<String> =
            std::fs::read_dir(dir).map(|d| d.flatten().map(|e| std::fs::read_to_string(e.path()).unwrap()).collect()).unwrap_or_default();
        out.sort();
        out
    }
}

fn header<'a>(message: &'a str, name: &str) -> Option<&'a str> {
    message.lines().find_map(|l| l.strip_prefix(&format!("{name}: ")))
}

#[tokio::test]
async fn notices_and_reminders_arrive_as_real_e_mail_without_secrets_and_failures_are_retried() {
    let Some(sink) = SmtpSink::start() else { return };
    let url = format!("smtp://127.0.0.1:{}", sink.port);
    let app = TestApp::with(Backend::Sqlite, &["--smtp-url", &url, "--smtp-from", "keydesk <keydesk@example.com>"]).await;
    app.add_account("alice", Role::Employee).await;
    app.portal.db.set_email(&app::domain::PortalUserName::parse("alice").unwrap(), Some("alice@example.com")).await.unwrap();
    let alice = app.sign_in("alice", PASSWORD).await.unwrap();
    let r = app.server_fn(Some(&alice), "create_access_key", &[]).await;
    let created: app::domain::CreatedAccessKey = serde_json::from_str(&r.body).unwrap();
    let id = created.key.id.to_string();
    // A reminder too: the key made old, the job run.
    app.portal.embedded.clone().unwrap().backdate_key(&name("alice"), &created.key.id, start_time() - Duration::days(84)).await.unwrap();
    app.portal.run_key_job().await.unwrap().unwrap();
    assert_eq!(app.portal.deliver_due().await, (2, 0));
    let messages = sink.messages();
    assert_eq!(messages.len(), 2, "{messages:?}");
    let subjects: BTreeSet<&str> = messages.iter().map(|m| header(m, "Subject").unwrap()).collect();
    let last4 = &id[16..];
    assert_eq!(subjects, BTreeSet::from(["A new access key was created", &*format!("Rotate access key ...{last4} within 6 days")]));
    for m in &messages {
        assert_eq!(header(m, "Content-Transfer-Encoding"), Some("7bit"), "plain text: the checks below read it as sent: {m}");
        assert_eq!(header(m, "To"), Some("alice@example.com"));
        assert_eq!(header(m, "From"), Some("keydesk <keydesk@example.com>"));
        assert!(m.contains(last4), "the key's last 4 characters");
        assert!(!m.contains(&id), "never the full key id");
        assert!(!m.contains(created.secret.expose()), "never the secret");
    }
    let reminder = messages.iter().find(|m| header(m, "Subject").unwrap().starts_with("Rotate")).unwrap();
    let link = format!("http://127.0.0.1:3000/?rotate-ending={last4}#access-keys");
    assert!(reminder.contains(&link), "{reminder}");
    // The link works: the page opens the rotation guide for that key.
    let page = app.get(Some(&alice), &format!("/?rotate-ending={last4}")).await;
    let guide = page.body.find("data-testid=\"rotation\"").expect("the guide opens");
    assert!(page.body[guide..(guide + 1500).min(page.body.len())].contains(&id), "for that key");
    assert_eq!(app.portal.deliver_due().await, (0, 0), "each message once");

    // The SMTP server goes away: the change still succeeds, delivery is retried later, admins see it.
    drop(sink);
    let r = app.server_fn(Some(&alice), "set_access_key_status", &[("key_id", id.as_str()), ("active", "false")]).await;
    assert_eq!(r.status, StatusCode::OK, "a notice never blocks a change: {}", r.body);
    assert_eq!(app.portal.deliver_due().await, (0, 1));
    let summary = app.portal.db.outbox_summary().await.unwrap();
    assert_eq!((summary.pending, summary.problems.len()), (1, 1));
    assert_eq!(app.portal.deliver_due().await, (0, 0), "not again before the back-off");
    app.clock.advance(Duration::minutes(3));
    assert_eq!(app.portal.deliver_due().await, (0, 1), "retried after the back-off");
}

#[tokio::test]
async fn sessions_are_listed_without_their_ids_and_another_one_can_be_signed_out() {
    let (app, _, first) = admin_and_employee().await;
    let second = app.sign_in("alice", PASSWORD).await.unwrap();
    let third = app.sign_in("alice", PASSWORD).await.unwrap();
    let a = activity(&app, &first).await;
    assert_eq!(a.sessions.len(), 3);
    assert_eq!(a.sessions.iter().filter(|s| s.current).count(), 1);
    for s in &a.sessions {
        for cookie in [&first, &second, &third] {
            assert!(!cookie.contains(&s.handle), "a handle is not a session id");
        }
    }
    assert_eq!(a.sign_ins.len(), 3);
    // Sign out the second session from the first: its cookie stops working, the others keep going.
    let from_second = activity(&app, &second).await;
    let second_handle = from_second.sessions.iter().find(|s| s.current).unwrap().handle.clone();
    let r = app.server_fn(Some(&first), "end_sessions", &[("handle", &second_handle)]).await;
    assert_eq!(r.body, "1");
    assert_eq!(app.server_fn(Some(&second), "get_my_credentials", &[]).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.server_fn(Some(&third), "get_my_credentials", &[]).await.status, StatusCode::OK);
    // The current session cannot end itself this way; "others" ends the rest.
    let current = activity(&app, &first).await.sessions.into_iter().find(|s| s.current).unwrap().handle;
    assert_eq!(app.server_fn(Some(&first), "end_sessions", &[("handle", &current)]).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.server_fn(Some(&first), "end_sessions", &[("handle", "others")]).await.body, "1");
    assert_eq!(app.server_fn(Some(&third), "get_my_credentials", &[]).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(activity(&app, &first).await.sessions.len(), 1);
    // Someone else's handle does nothing to their session.
    app.add_account("bob", Role::Employee).await;
    let bob = app.sign_in("bob", PASSWORD).await.unwrap();
    let bob_handle = activity(&app, &bob).await.sessions[0].handle.clone();
    assert_eq!(app.server_fn(Some(&first), "end_sessions", &[("handle", &bob_handle)]).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.server_fn(Some(&bob), "get_my_credentials", &[]).await.status, StatusCode::OK);
}

#[tokio::test]
async fn changing_the_keydesk_password_signs_out_other_sessions_by_default() {
    let (app, _, first) = admin_and_employee().await;
    let second = app.sign_in("alice", PASSWORD).await.unwrap();
    let new = "a-river-of-lanterns-at-dusk";
    let change = |current: &'static str, new: &'static str, repeat: &'static str, others: Option<&'static str>| {
        let mut f = vec![("current", current), ("new_password", new), ("repeat_password", repeat)];
        if let Some(o) = others {
            f.push(("sign_out_others", o));
        }
        f
    };
    for (form, field) in [
        (change("wrong-password-here", new, new, Some("on")), "current"),
        (change(PASSWORD, "short", "short", Some("on")), "new_password"),
        (change(PASSWORD, new, "a-river-of-lanterns-at-dawn", Some("on")), "repeat_password"),
        (change(PASSWORD, PASSWORD, PASSWORD, Some("on")), "new_password"),
    ] {
        let r = app.server_fn(Some(&first), "change_portal_password", &form).await;
        assert!(matches!(r.app_error(), AppError::InvalidInput { field: f, .. } if f == field), "{field}: {}", r.body);
    }
    assert_eq!(app.server_fn(Some(&second), "get_my_credentials", &[]).await.status, StatusCode::OK, "nothing changed yet");
    let r = app.server_fn(Some(&first), "change_portal_password", &change(PASSWORD, new, new, Some("on"))).await;
    assert_eq!((r.status, r.body.as_str()), (StatusCode::OK, "1"), "one other session ended");
    let first = r.session_cookie().unwrap_or(first);
    assert_eq!(app.server_fn(Some(&first), "get_my_credentials", &[]).await.status, StatusCode::OK, "this session goes on");
    assert_eq!(app.server_fn(Some(&second), "get_my_credentials", &[]).await.status, StatusCode::UNAUTHORIZED);
    assert!(app.sign_in("alice", PASSWORD).await.is_err(), "the old password is gone");
    let third = app.sign_in("alice", new).await.unwrap();
    // Without the box ticked, other sessions stay.
    let r = app
        .server_fn(Some(&third), "change_portal_password", &change(new, "violet-harbour-in-the-fog", "violet-harbour-in-the-fog", None))
        .await;
    assert_eq!((r.status, r.body.as_str()), (StatusCode::OK, "0"));
    assert_eq!(app.server_fn(Some(&first), "get_my_credentials", &[]).await.status, StatusCode::OK);
    let outcomes: Vec<String> = audit_trail(&app, "portal.password.change").await.into_iter().map(|(_, o)| o).collect();
    assert_eq!(outcomes, ["failure", "success", "success"], "the wrong current password is audited too");
}

/// A form drawn on the server posts with or without JavaScript, and its answer sends the browser back
/// to the page: to the form's own section (`#deadlines`), where the new exemption or the refusal shows,
/// not to the top of the long admin page. Forms outside the map go back as they came.
#[tokio::test]
async fn a_posted_exemption_comes_back_to_its_section() {
    let app = TestApp::new().await;
    app.add_account("dave", Role::Admin).await;
    app.add_account("alice", Role::Employee).await;
    let cookie = app.sign_in("dave", PASSWORD).await.unwrap();
    let post = |endpoint: &'static str, form: &'static [(&'static str, &'static str)]| {
        app.send(page_form_request(Some(&cookie), &format!("/api/{endpoint}"), "http://127.0.0.1:3000/admin", form))
    };
    let done = post("set_key_exemption", &[("user", "alice"), ("reason", "migration to roles in progress"), ("until", "2027-03-01")]).await;
    assert_eq!(done.location(), Some("http://127.0.0.1:3000/admin#deadlines"));
    let refused = post("set_key_exemption", &[("user", "alice"), ("reason", "migration"), ("until", "tomorrow")]).await;
    let location = refused.location().unwrap();
    assert!(location.starts_with("http://127.0.0.1:3000/admin?__path=") && location.contains("__err="), "{location}");
    assert!(location.ends_with("#deadlines"), "{location}");
    let ended = post("remove_key_exemption", &[("user", "alice")]).await;
    assert_eq!(ended.location(), Some("http://127.0.0.1:3000/admin#deadlines"));
    // Not a section's form: back to where it came from.
    let other = post("confirm_password", &[("password", "not-it-at-all")]).await;
    assert!(other.location().is_some_and(|l| !l.contains('#')), "{:?}", other.location());
}
