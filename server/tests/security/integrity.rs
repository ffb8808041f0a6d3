//! G20 (the parsers and builders that take outside input never panic, and keep their promises) and
//! G22 (one final audit record per change; the audit table refuses updates and deletes).

use crate::faults::unmatched_intents;
use crate::report::Report;
use crate::support::*;
use app::domain::entitlements::Capability;
use app::domain::{IamUserName, Role};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

const CASES: u32 = 3000;

/// RFC 4180: split one CSV line into cells (quoted cells may hold commas and doubled quotes).
pub fn csv_cells(line: &str) -> Vec<String> {
    let (mut cells, mut cell, mut quoted, mut chars) = (Vec::new(), String::new(), false, line.chars().peekable());
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                cell.push('"');
            }
            ('"', _) => quoted = !quoted,
            (',', false) => cells.push(std::mem::take(&mut cell)),
            (c, _) => cell.push(c),
        }
    }
    cells.push(cell);
    cells
}

fn run<S: Strategy>(what: &str, strategy: S, test: impl Fn(S::Value) -> Result<(), TestCaseError>) -> (String, bool)
where
    S::Value: std::fmt::Debug,
{
    let mut runner = TestRunner::new(Config { cases: CASES, failure_persistence: None, ..Config::default() });
    match runner.run(&strategy, test) {
        Ok(()) => (format!("{what}: {CASES} cases, 0 panics"), true),
        Err(e) => (format!("{what}: FAILED {e}"), false),
    }
}

pub fn g20_parsers_never_panic(report: &mut Report) {
    use app::domain::password_policy::{refusal, EffectivePolicy};
    let policies = [EffectivePolicy::IamDefault, EffectivePolicy::Custom(app::domain::PasswordPolicy::cis_recommended())];
    let results = [
        run("password validator", ("\\PC{0,160}", "[a-z]{1,20}", any::<bool>()), |(pw, user, block)| {
            for p in &policies {
                let verdict = p.check(&pw);
                // The checklist and the server's refusal agree: a refused policy rule is always named.
                if !verdict.is_ok() {
                    prop_assert!(refusal(p, &pw, &pw, &user, block).is_some());
                }
            }
            Ok(())
        }),
        run(
            "SSH public-key parser",
            prop_oneof!["\\PC{0,400}", "(ssh-rsa|ssh-ed25519|ecdsa-sha2-nistp256) [A-Za-z0-9+/]{0,600}={0,2}( [ -~]{0,20})?"],
            |s| {
                let _ = app::domain::ssh_key::parse(&s);
                Ok(())
            },
        ),
        run(
            "session-policy builder",
            ("[A-Za-z0-9+=,.@_-]{1,64}", proptest::collection::btree_set(0usize..Capability::ALL.len(), 0..=Capability::ALL.len())),
            |(name, caps)| {
                let user = IamUserName::parse(&name).unwrap();
                let caps = caps.into_iter().map(|i| Capability::ALL[i]).collect();
                let doc: serde_json::Value =
                    serde_json::from_str(&server::iam::policy::entitled_policy("123456789012", &user, &caps)).unwrap();
                // Every user resource the policy names is this user: never a wildcard, never someone else.
                for st in doc["Statement"].as_array().unwrap() {
                    for r in st["Resource"].as_array().into_iter().flatten().filter_map(|r| r.as_str()) {
                        if let Some(rest) = r.strip_prefix("arn:aws:iam::123456789012:user/") {
                            prop_assert!(rest == name || rest == format!("*/{name}"), "{r}");
                        }
                    }
                }
                Ok(())
            },
        ),
        run("CSV writer", "\\PC{0,60}", |cell| {
            let line = app::domain::export::csv_report_cell_row(&[cell.clone(), "x".into()]);
            let back = csv_cells(&line);
            prop_assert_eq!(back.len(), 2);
            let formula = cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
            prop_assert_eq!(&back[0], &if formula { format!("'{cell}") } else { cell.clone() });
            prop_assert!(!back[0].starts_with(['=', '+', '-', '@']));
            // Credential files keep the secret byte for byte, quoted when it looks like a formula.
            let raw = csv_cells(&app::domain::export::csv_cell(&cell));
            prop_assert_eq!(&raw[0], &cell);
            Ok(())
        }),
    ];
    let met = results.iter().all(|(_, ok)| *ok);
    report.add("G20", "property tests", results.map(|(f, _)| f).join("; "), met);
}

/// G22: a mixed run of changes — successes, refusals, IAM failures — leaves exactly one final record
/// per intent; the audit table refuses UPDATE and DELETE on every database.
pub async fn g22_audit_records(report: &mut Report) {
    for db in databases() {
        let app = TestApp::with(db, &[]).await;
        app.add_account("alice", Role::Employee).await;
        app.add_account("harry", Role::Helpdesk).await;
        let alice = app.sign_in("alice", PASSWORD).await.unwrap();
        let harry = app.sign_in("harry", PASSWORD).await.unwrap();
        let mut calls = 0;
        let mut call = |cookie: &str, name: &str, form: Vec<(&'static str, String)>| {
            calls += 1;
            let cookie = cookie.to_owned();
            let name = name.to_owned();
            let app = &app;
            async move {
                let form = borrowed(&form);
                app.server_fn(Some(&cookie), &name, &form).await
            }
        };
        let key = call(&alice, "create_access_key", vec![]).await;
        let id = serde_json::from_str::<app::domain::CreatedAccessKey>(&key.body).unwrap().key.id.to_string();
        call(&alice, "set_access_key_status", vec![("key_id", id.clone()), ("active", "false".into())]).await;
        call(&alice, "delete_access_key", vec![("key_id", id.clone()), ("confirm", id.clone())]).await;
        call(&alice, "create_git_credential", vec![]).await;
        call(&alice, "upload_ssh_key", vec![("public_key", rsa_key(2048, 40))]).await;
        call(&alice, "create_access_key", vec![]).await;
        let embedded = app.portal.embedded.as_ref().unwrap().faults();
        embedded.unavailable.store(true, std::sync::atomic::Ordering::SeqCst);
        call(&alice, "create_access_key", vec![]).await; // IAM down: a failure record
        embedded.unavailable.store(false, std::sync::atomic::Ordering::SeqCst);
        embedded.lose_responses.store(1, std::sync::atomic::Ordering::SeqCst);
        call(&alice, "create_access_key", vec![]).await; // lost response: reconciled
        call(&harry, "helpdesk_reset_password", vec![("user", "alice".into()), ("reason", "locked out, ticket 12".into())]).await;
        let (intents, unmatched) = unmatched_intents(&app).await;
        let pool = &app.portal.db.pool;
        let update = sqlx::query("UPDATE audit_events SET outcome = 'success'").execute(pool).await.is_err();
        let delete = sqlx::query("DELETE FROM audit_events").execute(pool).await.is_err();
        report.add(
            "G22",
            crate::report::on(db).replace(", 2 instances", ""),
            format!(
                "{calls} state-changing calls (successes, an IAM outage, a lost response, a help-desk reset): {intents} intents, {unmatched} without exactly one final record; UPDATE {}, DELETE {}",
                if update { "refused" } else { "ALLOWED" },
                if delete { "refused" } else { "ALLOWED" }
            ),
            unmatched == 0 && intents >= 8 && update && delete,
        );
    }
}
