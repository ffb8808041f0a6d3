//! Help-desk workflows: the leaked-key path, password reset with a generated password, lost MFA;
//! role, reason, fresh re-authentication, staff protection; the affected person sees what was done.

use crate::support::*;
use app::api::credentials::CredentialsOverview;
use app::api::helpdesk::{HelpdeskView, RequestView, ResetOutcome};
use app::domain::{CreatedAccessKey, IamUserName, OneTimeSecret, PasswordPolicy, Role, Status};
use app::error::AppError;
use http::StatusCode;
use server::iam::{Caller, IamBackend};

struct Desk {
    app: TestApp,
    carol: String,
    alice: String,
    key: CreatedAccessKey,
}

async fn desk() -> Desk {
    desk_with(&["--four-eyes", "none"]).await
}

async fn desk_with(args: &[&str]) -> Desk {
    let app = TestApp::with(Backend::Sqlite, args).await;
    for (name, role) in [("alice", Role::Employee), ("carol", Role::Helpdesk), ("dave", Role::Admin), ("erin", Role::Helpdesk)] {
        app.add_account(name, role).await;
    }
    // alice has a console password (a help-desk reset replaces one; it never creates one).
    app.give_console_password("alice").await;
    let alice = app.sign_in("alice", PASSWORD).await.unwrap();
    let r = app.server_fn(Some(&alice), "create_access_key", &[("description", "laptop")]).await;
    let key: CreatedAccessKey = serde_json::from_str(&r.body).unwrap();
    let carol = app.sign_in("carol", PASSWORD).await.unwrap();
    Desk { app, carol, alice, key }
}

fn form<'a>(pairs: &'a [(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    pairs.to_vec()
}

#[tokio::test]
async fn the_leaked_key_path_finds_the_owner_deactivates_with_a_reason_and_tells_the_owner() {
    let d = desk().await;
    let id = d.key.key.id.to_string();
    let r = d.app.server_fn(Some(&d.carol), "helpdesk_find", &[("query", &id)]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let view: HelpdeskView = serde_json::from_str(&r.body).unwrap();
    assert_eq!((view.user.name.as_str(), view.found_by_key.as_deref()), ("alice", Some(id.as_str())));
    assert!(view.protected.is_none());
    assert!(!r.body.contains(d.key.secret.expose()), "never a secret");
    // Pasted from chat in lower case, with spaces around it: the same key, the same owner.
    let pasted = format!("  {}\t", id.to_lowercase());
    let r = d.app.server_fn(Some(&d.carol), "helpdesk_find", &[("query", &pasted)]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let view: HelpdeskView = serde_json::from_str(&r.body).unwrap();
    assert_eq!((view.user.name.as_str(), view.found_by_key.as_deref()), ("alice", Some(id.as_str())));

    let base = [("user", "alice"), ("key_id", id.as_str()), ("active", "false")];
    let r = d.app.server_fn(Some(&d.carol), "helpdesk_set_key_status", &[&base[..], &[("reason", "  ")]].concat()).await;
    assert_eq!(
        (r.status, r.app_error()),
        (StatusCode::UNPROCESSABLE_ENTITY, AppError::invalid("reason", "Give a reason: it is recorded and shown to the person."))
    );
    // A reason the person cannot learn anything from is refused too, and changes nothing.
    for placeholder in ["x", "test", "........"] {
        let r = d.app.server_fn(Some(&d.carol), "helpdesk_set_key_status", &[&base[..], &[("reason", placeholder)]].concat()).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{placeholder:?}: {}", r.body);
        assert!(r.body.contains("at least 8 characters"), "{}", r.body);
    }
    let r = d
        .app
        .server_fn(
            Some(&d.carol),
            "helpdesk_set_key_status",
            &[&base[..], &[("reason", "Key posted on a public gist"), ("ticket", "SEC-42")]].concat(),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);

    let r = d.app.server_fn(Some(&d.alice), "get_my_credentials", &[]).await;
    let o: CredentialsOverview = serde_json::from_str(&r.body).unwrap();
    assert_eq!(o.access_keys[0].key.status, Status::Inactive);
    let notice = &o.helpdesk_actions[0];
    assert_eq!((notice.actor.as_str(), notice.reason.as_deref()), ("carol", Some("Key posted on a public gist")));
    assert_eq!(notice.what, format!("deactivated your access key {id}"));

    // A help-desk member's changes to their own credentials are self-service, not help-desk notices.
    let r = d.app.server_fn(Some(&d.carol), "create_access_key", &[]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let mine: CredentialsOverview = serde_json::from_str(&d.app.server_fn(Some(&d.carol), "get_my_credentials", &[]).await.body).unwrap();
    assert!(mine.helpdesk_actions.is_empty(), "{:?}", mine.helpdesk_actions);

    let rows: Vec<(String, String, Option<String>, Option<String>, Option<String>, Option<String>)> = sqlx::query_as(
        "SELECT action, outcome, actor, target_user, reason, detail FROM audit_events WHERE action LIKE 'helpdesk.%' ORDER BY id",
    )
    .fetch_all(&d.app.portal.db.pool)
    .await
    .unwrap();
    let intent: (i64,) = sqlx::query_as("SELECT id FROM audit_events WHERE action LIKE 'helpdesk.%' AND outcome = 'pending'")
        .fetch_one(&d.app.portal.db.pool)
        .await
        .unwrap();
    let expect = |outcome: &str, detail: String| {
        (
            "helpdesk.access_key.deactivate".to_owned(),
            outcome.to_owned(),
            Some("carol".to_owned()),
            Some("alice".to_owned()),
            Some("Key posted on a public gist".to_owned()),
            Some(detail),
        )
    };
    assert_eq!(rows, [expect("pending", "ticket=SEC-42".into()), expect("success", format!("intent={}; ticket=SEC-42", intent.0))]);
}

#[tokio::test]
async fn a_reset_password_is_generated_to_the_policy_shown_once_and_must_be_changed() {
    let d = desk().await;
    let iam = d.app.portal.embedded.clone().unwrap();
    iam.set_password_policy(Some(&PasswordPolicy::cis_recommended())).await.unwrap();
    let r = d
        .app
        .server_fn(
            Some(&d.carol),
            "helpdesk_reset_password",
            &form(&[("user", "alice"), ("reason", "Forgot it; identity checked by phone")]),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let outcome: ResetOutcome = serde_json::from_str(&r.body).unwrap();
    let password: OneTimeSecret = outcome.password.expect("done at once without four eyes");
    let policy = app::domain::EffectivePolicy::Custom(PasswordPolicy::cis_recommended());
    assert_eq!(app::domain::password_policy::refusal(&policy, password.expose(), password.expose(), "alice", true), None);
    let state = iam.password_state(&Caller::keydesk(), &IamUserName::parse("alice").unwrap()).await.unwrap();
    assert!(state.profile.unwrap().reset_required, "alice must choose her own at the next sign-in");
    let page = d.app.get(Some(&d.carol), "/helpdesk").await;
    assert!(!page.body.contains(password.expose()));
    let logs_and_db = files_containing(d.app.dir.path(), password.expose());
    assert!(logs_and_db.is_empty(), "the generated password was stored: {logs_and_db:?}");
}

#[tokio::test]
async fn only_the_help_desk_acts_freshly_authenticated_and_never_on_staff_or_itself() {
    let d = desk().await;
    let id = d.key.key.id.to_string();
    let act = [("user", "alice"), ("key_id", id.as_str()), ("active", "false"), ("reason", "ticket from the test suite")];
    let dave = d.app.sign_in("dave", PASSWORD).await.unwrap();
    let why = ("reason", "ticket from the test suite");
    let every: [(&str, Vec<(&str, &str)>); 6] = [
        ("helpdesk_find", vec![("query", "alice")]),
        ("helpdesk_set_key_status", act.to_vec()),
        ("helpdesk_delete_key", vec![("user", "alice"), ("key_id", id.as_str()), why]),
        ("helpdesk_reset_password", vec![("user", "alice"), why]),
        ("helpdesk_remove_mfa", vec![("user", "alice"), ("serial", "arn:aws:iam::123456789012:mfa/alice"), why]),
        ("helpdesk_deactivate_codecommit", vec![("user", "alice"), ("kind", "ssh"), ("id", "APKAEIBAERJR2EXAMPLE"), why]),
    ];
    for (name, f) in &every {
        for cookie in [&d.alice, &dave] {
            let r = d.app.server_fn(Some(cookie), name, f).await;
            assert_eq!((r.status, r.app_error()), (StatusCode::FORBIDDEN, AppError::Forbidden), "{name}");
        }
        assert_eq!(d.app.server_fn(None, name, f).await.status, StatusCode::UNAUTHORIZED, "{name}");
    }
    assert!(audit_trail(&d.app, "helpdesk.").await.is_empty(), "nothing refused was attempted");

    for (target, words) in [("dave", "administrator account"), ("erin", "help desk account"), ("carol", "your own IAM user")] {
        let r = d
            .app
            .server_fn(Some(&d.carol), "helpdesk_reset_password", &form(&[("user", target), ("reason", "ticket from the test suite")]))
            .await;
        let e = r.app_error();
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{target}: {e:?}");
        assert!(e.to_string().contains(words), "{target}: {e}");
        let view: HelpdeskView =
            serde_json::from_str(&d.app.server_fn(Some(&d.carol), "helpdesk_find", &[("query", target)]).await.body).unwrap();
        assert!(view.protected.is_some(), "{target}: looking is fine, the page says why acting is not");
    }

    d.app.clock.advance(time::Duration::minutes(11));
    let r = d.app.server_fn(Some(&d.carol), "helpdesk_set_key_status", &act).await;
    assert_eq!((r.status, r.app_error()), (StatusCode::UNAUTHORIZED, AppError::ReauthRequired));
    let r = d.app.server_fn(Some(&d.carol), "helpdesk_find", &[("query", "AKIAAAAAAAAAAAAAAAAA")]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.app_error().to_string().contains("No IAM user"));
}

#[tokio::test]
async fn inactive_keys_are_deleted_and_git_credentials_and_ssh_keys_deactivated_with_a_reason() {
    let d = desk().await;
    let iam = d.app.portal.embedded.clone().unwrap();
    let alice = IamUserName::parse("alice").unwrap();
    let git = iam.create_service_credential(&Caller::keydesk(), &alice, server::iam::CODECOMMIT, None).await.unwrap();
    let ssh = iam.upload_ssh_key(&Caller::keydesk(), &alice, &rsa_key(2048, 3)).await.unwrap();
    iam.add_user_to_group(&alice, "developers").await.unwrap();
    let id = d.key.key.id.to_string();
    let why = [("reason", "Laptop stolen"), ("ticket", "SEC-7")];
    let act = |name: &'static str, f: Vec<(&'static str, String)>| {
        let (app, carol) = (&d.app, d.carol.clone());
        async move {
            let f: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).chain(why).collect();
            app.server_fn(Some(&carol), name, &f).await
        }
    };
    let delete = || act("helpdesk_delete_key", vec![("user", "alice".into()), ("key_id", id.clone())]);

    let r = delete().await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert!(r.app_error().to_string().contains("deactivate it first"), "{}", r.app_error());
    let r = act("helpdesk_set_key_status", vec![("user", "alice".into()), ("key_id", id.clone()), ("active", "false".into())]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = delete().await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = delete().await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "deleting twice says it is gone");

    let deactivate = |kind: &'static str, id: String| {
        act("helpdesk_deactivate_codecommit", vec![("user", "alice".into()), ("kind", kind.into()), ("id", id)])
    };
    assert_eq!(deactivate("git", git.credential.id.to_string()).await.status, StatusCode::OK);
    assert_eq!(deactivate("ssh", ssh.id.to_string()).await.status, StatusCode::OK);
    let r = deactivate("ssh", git.credential.id.to_string()).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "a Git credential id is not an SSH key id");
    let r = deactivate("pgp", ssh.id.to_string()).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);

    let view: HelpdeskView =
        serde_json::from_str(&d.app.server_fn(Some(&d.carol), "helpdesk_find", &[("query", "alice")]).await.body).unwrap();
    assert!(view.keys.is_empty());
    assert_eq!(view.groups, ["developers"], "the card names the user's IAM groups");
    assert_eq!(view.git_credentials.unwrap()[0].status, Status::Inactive);
    assert_eq!(view.ssh_keys.unwrap()[0].status, Status::Inactive);
    let works = iam.service_password_works(&alice, &git.credential.service_user_name, git.password.expose()).await.unwrap();
    assert!(!works, "a deactivated Git credential no longer signs in");

    let o: CredentialsOverview = serde_json::from_str(&d.app.server_fn(Some(&d.alice), "get_my_credentials", &[]).await.body).unwrap();
    let said: Vec<&str> = o.helpdesk_actions.iter().map(|n| n.what.as_str()).collect();
    assert!(said.contains(&format!("deleted your inactive access key {id}").as_str()), "{said:?}");
    assert!(said.contains(&format!("deactivated your HTTPS Git credential {}", git.credential.id).as_str()), "{said:?}");
    assert!(said.contains(&format!("deactivated your SSH key {}", ssh.id).as_str()), "{said:?}");
    assert_eq!(
        audit_trail(&d.app, "helpdesk.").await.iter().filter(|(_, o)| o != "pending").map(|(a, o)| format!("{a} {o}")).collect::<Vec<_>>(),
        [
            "helpdesk.access_key.delete failure",
            "helpdesk.access_key.deactivate success",
            "helpdesk.access_key.delete success",
            "helpdesk.access_key.delete failure",
            "helpdesk.git_credential.deactivate success",
            "helpdesk.ssh_key.deactivate success",
        ]
    );
}

#[tokio::test]
async fn on_moto_the_leaked_key_path_and_the_review_work_through_the_assumed_roles() {
    let url = testkit::require_env!("KEYDESK_TEST_MOTO_URL", "AWS-backend help-desk test");
    let (app, admin) = TestApp::on_moto(&url).await;
    let name = app.moto_employee(&admin).await;
    let key = admin.create_access_key().user_name(&name).send().await.unwrap().access_key.unwrap();
    let id = key.access_key_id;
    app.add_account("carol", Role::Helpdesk).await;
    app.add_account("dave", Role::Admin).await;
    let carol = app.sign_in("carol", PASSWORD).await.unwrap();

    let r = app.server_fn(Some(&carol), "helpdesk_find", &[("query", &id)]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let view: HelpdeskView = serde_json::from_str(&r.body).unwrap();
    assert_eq!(view.user.name.as_str(), name);
    assert!(view.git_credentials.is_err(), "moto lists no service-specific credentials; the rest of the card works");
    let why = [("reason", "Key in a public repo")];
    let r = app
        .server_fn(
            Some(&carol),
            "helpdesk_set_key_status",
            &[&[("user", name.as_str()), ("key_id", &id), ("active", "false")][..], &why].concat(),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = app.server_fn(Some(&carol), "helpdesk_delete_key", &[&[("user", name.as_str()), ("key_id", &id)][..], &why].concat()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let left = admin.list_access_keys().user_name(&name).send().await.unwrap();
    assert!(left.access_key_metadata().is_empty(), "deleted in moto");
    // The person had a password (moto's CreateLoginProfile ignores PasswordResetRequired; the reset of
    // an existing one is UpdateLoginProfile, which keeps it).
    admin.create_login_profile().user_name(&name).password("Forgotten-Pass-1").send().await.unwrap();
    let r = app.server_fn(Some(&carol), "helpdesk_reset_password", &[("user", name.as_str()), ("reason", "forgot the password")]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let profile = admin.get_login_profile().user_name(&name).send().await.unwrap().login_profile.unwrap();
    assert!(profile.password_reset_required);

    // The employee sees it on their own page.
    let me = app.sign_in(&name, PASSWORD).await.unwrap();
    let o: CredentialsOverview = serde_json::from_str(&app.server_fn(Some(&me), "get_my_credentials", &[]).await.body).unwrap();
    assert_eq!(o.helpdesk_actions.len(), 3, "{:?}", o.helpdesk_actions);

    // The admin review on moto: the report, then per-user details (moto has no Git credentials: n/a).
    let dave = app.sign_in("dave", PASSWORD).await.unwrap();
    let mut page = None;
    for _ in 0..400 {
        let r = app.server_fn(Some(&dave), "get_credential_review", &[("search", name.as_str())]).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let p: app::api::admin::ReviewPage = serde_json::from_str(&r.body).unwrap();
        if p.details.finished {
            page = Some(p);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let page = page.expect("details finished");
    eprintln!("moto review: {} users, details {:?}", page.total, page.details);
    assert_eq!(page.details.stopped, None);
    let line = &page.lines[0];
    assert_eq!(line.row.user, name);
    let details = line.details.as_ref().unwrap();
    assert_eq!((details.ssh_keys, details.git_credentials), (Some(0), None));
}

#[tokio::test]
async fn without_javascript_the_page_offers_no_reset_that_would_lose_the_password() {
    let d = desk().await;
    let page = d.app.get(Some(&d.carol), "/helpdesk?q=alice").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("desk-toggle-key"), "the key actions work without JavaScript");
    assert!(!page.body.contains("desk-reset-password"), "a reset whose password the redirect would drop");
    assert!(page.body.contains("Resetting a password needs JavaScript"));
}

#[tokio::test]
async fn the_audit_log_filters_pages_and_exports_for_staff_only() {
    for db in databases() {
        let app = TestApp::with(db, &[]).await;
        for (name, role) in [("alice", Role::Employee), ("carol", Role::Helpdesk), ("dave", Role::Admin)] {
            app.add_account(name, role).await;
        }
        let alice = app.sign_in("alice", PASSWORD).await.unwrap();
        let r = app.server_fn(Some(&alice), "create_access_key", &[]).await;
        let key: CreatedAccessKey = serde_json::from_str(&r.body).unwrap();
        let carol = app.sign_in("carol", PASSWORD).await.unwrap();
        let id = key.key.id.to_string();
        let r = app
            .server_fn(
                Some(&carol),
                "helpdesk_set_key_status",
                &[("user", "alice"), ("key_id", &id), ("active", "false"), ("reason", "=cmd|' /C calc'!A0")],
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{db:?}: {}", r.body);

        let r = app.server_fn(Some(&alice), "get_audit_log", &[]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{db:?}: employees do not read the log");
        for cookie in [&carol, &app.sign_in("dave", PASSWORD).await.unwrap()] {
            let r = app.server_fn(Some(cookie), "get_audit_log", &[("target", "alice"), ("action", "helpdesk.")]).await;
            assert_eq!(r.status, StatusCode::OK, "{db:?}: {}", r.body);
            let page: app::api::audit::AuditPage = serde_json::from_str(&r.body).unwrap();
            assert_eq!(page.total, 1, "{db:?}: one row per change, not its intent and its outcome");
            assert_eq!(page.entries[0].outcome, "success", "{db:?}");
            assert_eq!(page.entries[0].subject.as_deref(), Some(id.as_str()));
            assert!(page.entries[0].intent.as_ref().is_some_and(|i| i.id < page.entries[0].id), "{db:?}: the intent on demand");
            let r =
                app.server_fn(Some(cookie), "get_audit_log", &[("target", "alice"), ("action", "helpdesk."), ("outcome", "pending")]).await;
            let intents: app::api::audit::AuditPage = serde_json::from_str(&r.body).unwrap();
            assert_eq!((intents.total, intents.entries[0].outcome.as_str()), (1, "pending"), "{db:?}: the intents when asked for");
        }
        let r = app.server_fn(Some(&carol), "get_audit_log", &[("from", "23/11/2026")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{db:?}");
        assert!(r.app_error().to_string().contains("YYYY-MM-DD"));
        let today = start_time().date().to_string();
        let r = app.server_fn(Some(&carol), "get_audit_log", &[("from", &today), ("to", &today), ("outcome", "success")]).await;
        let page: app::api::audit::AuditPage = serde_json::from_str(&r.body).unwrap();
        assert!(page.total >= 3, "{db:?}: sign-ins, the create and the help-desk action today");

        let csv = app.get(Some(&carol), &format!("{}?action=helpdesk.", app::pages::AUDIT_CSV_PATH)).await;
        assert_eq!(csv.status, StatusCode::OK);
        assert!(csv.body.starts_with("id,at,actor,actor_role,target_user,action,subject,outcome,reason,detail\r\n"));
        assert_eq!(csv.body.lines().count(), 3);
        assert!(csv.body.contains(",'=cmd|' /C calc'!A0,"), "a formula-looking reason is neutralised: {}", csv.body);
        assert_eq!(app.get(Some(&alice), app::pages::AUDIT_CSV_PATH).await.status, StatusCode::FORBIDDEN);
    }
}

#[tokio::test]
async fn a_quarantined_leak_is_worked_step_by_step_to_closed_each_step_audited() {
    use app::domain::leak::StepState::{self, *};
    use server::clock::Clock;
    let d = desk().await;
    let (app, carol) = (&d.app, d.carol.as_str());
    let iam = app.portal.embedded.clone().unwrap();
    let alice_user = IamUserName::parse("alice").unwrap();
    let leaked = d.key.key.id.to_string();
    iam.record_key_use(&d.key.key.id, app.clock.now(), "s3", "eu-west-1").await.unwrap();
    iam.attach_user_policy(&alice_user, server::iam::QUARANTINE_POLICY_ARN).await.unwrap();
    let find = || async {
        let r = app.server_fn(Some(carol), "helpdesk_find", &[("query", &leaked)]).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        serde_json::from_str::<HelpdeskView>(&r.body).unwrap()
    };
    let states = |v: &HelpdeskView| v.case.as_ref().unwrap().steps().into_iter().map(|(_, s)| s).collect::<Vec<StepState>>();
    let act = |name: &'static str, extra: Vec<(&'static str, String)>| async move {
        let mut pairs: Vec<(&str, String)> =
            vec![("user", "alice".into()), ("reason", "key posted in a public repo".into()), ("ticket", "SEC-7".into())];
        pairs.extend(extra);
        let form = borrowed(&pairs);
        app.server_fn(Some(carol), name, &form).await
    };

    let v = find().await;
    assert_eq!(v.quarantined, Some(true));
    let case = v.case.clone().unwrap();
    assert_eq!(case.last_used.as_ref().and_then(|u| u.region.as_deref()), Some("eu-west-1"), "time, service and region of the last use");
    assert_eq!(states(&v), [Next, Waiting, Waiting, Waiting, Waiting]);
    assert!(app.get(Some(carol), &format!("/helpdesk?q={leaked}")).await.body.contains("AWS quarantined this user"));

    // 1. Deactivate now.
    let r = act("helpdesk_set_key_status", vec![("key_id", leaked.clone()), ("active", "false".into())]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(states(&find().await), [Done, Next, Waiting, Waiting, Waiting]);

    // 2. Tell the owner: a notice that opens the rotation guide for that key.
    let r = act("helpdesk_notify_leak", vec![("key_id", leaked.clone())]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let activity: app::api::activity::ActivityView =
        serde_json::from_str(&app.server_fn(Some(&d.alice), "get_activity", &[]).await.body).unwrap();
    let notice = activity.notifications.iter().find(|n| n.title == "Your access key was exposed").expect("the owner is told");
    assert_eq!(notice.link.as_deref(), Some(format!("/?rotate-ending={}#access-keys", &leaked[16..]).as_str()));
    assert!(notice.body.contains("by carol") && notice.body.contains("key posted in a public repo") && !notice.body.contains(&leaked));
    let v = find().await;
    assert_eq!(states(&v), [Done, Done, Waiting, Waiting, Waiting]);
    assert!(v.case.unwrap().summary().contains("Waiting for the owner"));

    // 3. The owner creates a replacement through keydesk (its role session is not the quarantined
    //    user's own identity) and uses it.
    let alice = app.sign_in("alice", PASSWORD).await.unwrap();
    let r = app.server_fn(Some(&alice), "create_access_key", &[]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let replacement: CreatedAccessKey = serde_json::from_str(&r.body).unwrap();
    assert_eq!(states(&find().await)[2], Waiting, "created is not yet used");
    app.clock.advance(time::Duration::minutes(5));
    iam.record_key_use(&replacement.key.id, app.clock.now(), "s3", "eu-west-1").await.unwrap();
    assert_eq!(states(&find().await), [Done, Done, Done, Next, Waiting]);

    // 4. Delete the leaked key: the case stays findable by its id.
    let r = act("helpdesk_delete_key", vec![("key_id", leaked.clone())]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let v = find().await;
    assert_eq!((v.case.as_ref().unwrap().status.clone(), states(&v)), (None, vec![Done, Done, Done, Done, Next]));

    // 5. Lift the quarantine, with confirmation.
    let r = act("helpdesk_detach_quarantine", vec![]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.app_error().to_string().contains("Tick the box"));
    assert_eq!(find().await.quarantined, Some(true), "nothing changed");
    let r = act("helpdesk_detach_quarantine", vec![("confirm", "yes".into())]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let v = find().await;
    assert_eq!((v.quarantined, states(&v)), (Some(false), vec![Done, Done, Done, Done, Done]));
    assert!(v.case.unwrap().summary().starts_with("Closed"));
    let again = act("helpdesk_detach_quarantine", vec![("confirm", "yes".into())]).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND, "{}", again.body);

    let trail: Vec<String> =
        audit_trail(app, "helpdesk.").await.into_iter().filter(|(_, o)| o != "pending").map(|(a, o)| format!("{a}:{o}")).collect();
    for step in ["helpdesk.access_key.deactivate", "helpdesk.leak.notify", "helpdesk.access_key.delete", "helpdesk.quarantine.detach"] {
        assert!(trail.contains(&format!("{step}:success")), "{step} audited: {trail:?}");
    }
    // Employees cannot take these steps.
    let r = app.server_fn(Some(&alice), "helpdesk_notify_leak", &[("user", "alice"), ("key_id", &leaked), ("reason", "x")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

async fn requests(app: &TestApp, cookie: &str) -> Vec<RequestView> {
    let r = app.server_fn(Some(cookie), "helpdesk_requests", &[]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    serde_json::from_str(&r.body).unwrap()
}

#[tokio::test]
async fn four_eyes_requests_need_another_person_execute_once_and_lapse() {
    use server::clock::Clock;
    let d = desk_with(&[]).await;
    let app = &d.app;
    let alice_user = IamUserName::parse("alice").unwrap();
    let iam = app.portal.embedded.clone().unwrap();
    let why = ("reason", "locked out; identity checked by phone");

    // Filing: nothing changes yet, the person is told, the request waits.
    let before = iam.password_state(&Caller::keydesk(), &alice_user).await.unwrap().profile;
    let r = app.server_fn(Some(&d.carol), "helpdesk_reset_password", &[("user", "alice"), why, ("ticket", "HD-1")]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let outcome: ResetOutcome = serde_json::from_str(&r.body).unwrap();
    assert!(outcome.password.is_none() && outcome.requested.as_deref().unwrap().contains("needs a second person"), "{outcome:?}");
    assert_eq!(iam.password_state(&Caller::keydesk(), &alice_user).await.unwrap().profile, before, "no password was set");
    let pending = requests(app, &d.carol).await;
    assert_eq!((pending.len(), pending[0].state.as_str(), pending[0].mine), (1, "pending", true));
    assert_eq!(pending[0].what, "reset the console password of alice");
    let id = pending[0].id.clone();
    let activity: app::api::activity::ActivityView =
        serde_json::from_str(&app.server_fn(Some(&d.alice), "get_activity", &[]).await.body).unwrap();
    assert!(activity.notifications.iter().any(|n| n.title == "A help-desk request about your credentials" && n.body.contains("by carol")));

    // Not by the requester, not by an employee.
    let decide = |cookie: String, approve: &'static str| {
        let id = id.clone();
        async move { app.server_fn(Some(&cookie), "helpdesk_decide", &[("id", id.as_str()), ("approve", approve)]).await }
    };
    let own = decide(d.carol.clone(), "true").await;
    assert_eq!(own.status, StatusCode::FORBIDDEN, "{}", own.body);
    assert!(own.app_error().to_string().contains("You filed this request"));
    assert_eq!(decide(d.alice.clone(), "true").await.status, StatusCode::FORBIDDEN, "an employee cannot approve");
    assert_eq!(requests(app, &d.carol).await[0].state, "pending");

    // Another help-desk member approves: executed, the generated password shown to the approver once.
    let erin = app.sign_in("erin", PASSWORD).await.unwrap();
    let r = decide(erin.clone(), "true").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let password: Option<OneTimeSecret> = serde_json::from_str(&r.body).unwrap();
    let password = password.expect("the approver hands over the generated password");
    assert!(files_containing(app.dir.path(), password.expose()).is_empty(), "the approved reset's password is stored nowhere");
    assert!(requests(app, &erin).await.iter().all(|r| !format!("{r:?}").contains(password.expose())), "nor listed");
    assert!(iam.password_state(&Caller::keydesk(), &alice_user).await.unwrap().profile.unwrap().reset_required);
    assert_eq!(decide(erin.clone(), "true").await.status, StatusCode::CONFLICT, "decided once");
    let done = requests(app, &d.carol).await;
    assert_eq!((done[0].state.as_str(), done[0].decided_by.as_deref()), ("executed", Some("erin")));

    // Two approvers at once: exactly one executes.
    let key = d.key.key.id.to_string();
    let deactivate = [("user", "alice"), ("key_id", key.as_str()), ("active", "false"), why];
    assert_eq!(
        app.server_fn(Some(&d.carol), "helpdesk_set_key_status", &deactivate).await.status,
        StatusCode::OK,
        "deactivating is immediate"
    );
    let reactivate =
        [("user", "alice"), ("key_id", key.as_str()), ("active", "true"), ("reason", "false alarm: the key was never exposed")];
    let r = app.server_fn(Some(&d.carol), "helpdesk_set_key_status", &reactivate).await;
    let message: Option<String> = serde_json::from_str(&r.body).unwrap();
    assert!(message.is_some(), "reactivation is filed, not done");
    let second = requests(app, &d.carol).await.into_iter().find(|r| r.state == "pending").unwrap();
    assert!(second.what.contains("reactivate the access key"));
    let dave = app.sign_in("dave", PASSWORD).await.unwrap();
    let form = [("id", second.id.as_str()), ("approve", "true")];
    let (a, b) = tokio::join!(app.server_fn(Some(&erin), "helpdesk_decide", &form), app.server_fn(Some(&dave), "helpdesk_decide", &form));
    let mut statuses = [a.status, b.status];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::OK, StatusCode::CONFLICT], "{} / {}", a.body, b.body);
    let keys = iam.list_access_keys(&Caller::keydesk(), &alice_user).await.unwrap();
    assert_eq!(keys[0].status, Status::Active);
    let activations = audit_trail(app, "helpdesk.access_key.activate").await.into_iter().filter(|(_, o)| o == "success").count();
    assert_eq!(activations, 1, "executed exactly once");

    // Rejected: nothing changes, the person is told.
    let r = app.server_fn(Some(&d.carol), "helpdesk_reset_password", &[("user", "alice"), why]).await;
    assert_eq!(r.status, StatusCode::OK);
    let third = requests(app, &d.carol).await.into_iter().find(|r| r.state == "pending").unwrap();
    let r = app.server_fn(Some(&dave), "helpdesk_decide", &[("id", third.id.as_str()), ("approve", "false")]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(requests(app, &dave).await.iter().find(|r| r.id == third.id).unwrap().state, "rejected");

    // Lapsed after the window (default 4 hours): it cannot be approved any more.
    let r = app.server_fn(Some(&d.carol), "helpdesk_reset_password", &[("user", "alice"), why]).await;
    assert_eq!(r.status, StatusCode::OK);
    let fourth = requests(app, &d.carol).await.into_iter().find(|r| r.state == "pending").unwrap();
    assert_eq!(fourth.expires_at, app.clock.now() + time::Duration::hours(4));
    app.clock.advance(time::Duration::hours(4) + time::Duration::minutes(1));
    let erin = app.sign_in("erin", PASSWORD).await.unwrap();
    let r = app.server_fn(Some(&erin), "helpdesk_decide", &[("id", fourth.id.as_str()), ("approve", "true")]).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(r.app_error().to_string().contains("lapsed"));
    assert_eq!(requests(app, &erin).await.iter().find(|r| r.id == fourth.id).unwrap().state, "lapsed");

    let trail: Vec<String> = audit_trail(app, "helpdesk.request.").await.into_iter().map(|(a, o)| format!("{a}:{o}")).collect();
    for step in ["helpdesk.request.create:success", "helpdesk.request.reject:success", "helpdesk.request.lapse:success"] {
        assert!(trail.contains(&step.to_owned()), "{step}: {trail:?}");
    }
    let alice = app.sign_in("alice", PASSWORD).await.unwrap();
    let activity: app::api::activity::ActivityView =
        serde_json::from_str(&app.server_fn(Some(&alice), "get_activity", &[]).await.body).unwrap();
    let titles: Vec<&str> = activity.notifications.iter().map(|n| n.title.as_str()).collect();
    assert!(titles.contains(&"A help-desk request was rejected") && titles.contains(&"A help-desk request lapsed"), "{titles:?}");
}

#[tokio::test]
async fn a_temporary_password_left_unchanged_past_its_time_is_reset_again_once_and_both_are_told() {
    let d = desk().await;
    let app = &d.app;
    let iam = app.portal.embedded.clone().unwrap();
    let alice = IamUserName::parse("alice").unwrap();
    app.add_account("bob", Role::Employee).await;
    app.give_console_password("bob").await;
    let carol = d.carol.as_str();
    let reset = |user: &'static str| async move {
        let r = app.server_fn(Some(carol), "helpdesk_reset_password", &[("user", user), ("reason", "locked out")]).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    };
    reset("alice").await;
    reset("bob").await;
    let first = iam.password_changed_at(&alice).await.unwrap();
    // Bob changes his at once (IAM then no longer requires a reset).
    let bob = IamUserName::parse("bob").unwrap();
    iam.set_password(&Caller::keydesk(), &bob, &app::domain::Password::new("Bob-Chose-This-One-9!"), false).await.unwrap();

    app.clock.advance(time::Duration::hours(23));
    assert_eq!(app.portal.follow_up_temporary_passwords().await.unwrap(), 0, "still within its 24 hours");
    app.clock.advance(time::Duration::hours(2));
    assert_eq!(app.portal.follow_up_temporary_passwords().await.unwrap(), 1, "alice's only: bob changed his");
    let state = iam.password_state(&Caller::keydesk(), &alice).await.unwrap();
    assert!(state.profile.unwrap().reset_required, "still to be changed at sign-in");
    assert!(iam.password_changed_at(&alice).await.unwrap() > first, "replaced by an unknown password");
    assert_eq!(app.portal.follow_up_temporary_passwords().await.unwrap(), 0, "once per reset");

    let alice_cookie = app.sign_in("alice", PASSWORD).await.unwrap();
    let activity: app::api::activity::ActivityView =
        serde_json::from_str(&app.server_fn(Some(&alice_cookie), "get_activity", &[]).await.body).unwrap();
    assert!(activity.notifications.iter().any(|n| n.title == "Your temporary console password was replaced"), "the person is told");
    let carol = app.sign_in("carol", PASSWORD).await.unwrap();
    let activity: app::api::activity::ActivityView =
        serde_json::from_str(&app.server_fn(Some(&carol), "get_activity", &[]).await.body).unwrap();
    assert!(activity.notifications.iter().any(|n| n.title == "alice's temporary password was reset again"), "the help desk is told");
    let trail: Vec<(String, String)> = audit_trail(app, "helpdesk.password.followup").await;
    assert!(trail.contains(&("helpdesk.password.followup".to_owned(), "success".to_owned())));
    assert!(trail.contains(&("helpdesk.password.followup".to_owned(), "not_needed".to_owned())), "bob's check is recorded too");
}

/// Review M3: the help desk reaches only IAM users that belong to an employee's keydesk account or
/// that the operators' allow-list names; a reset never creates a console password where none was.
#[tokio::test]
async fn the_help_desk_reaches_only_employees_and_the_allow_list() {
    for (args, allowed) in
        [(vec![], false), (vec!["--helpdesk-allow-path", "/people/"], true), (vec!["--helpdesk-allow-tag", "desk=yes"], true)]
    {
        let mut all = vec!["--four-eyes", "none"];
        all.extend(args.iter().copied());
        let d = desk_with(&all).await;
        let iam = d.app.portal.embedded.clone().unwrap();
        let svc = IamUserName::parse("svc-backup").unwrap();
        let path = if args.first() == Some(&"--helpdesk-allow-path") { "/people/" } else { "/service/" };
        iam.create_user(&svc, path, start_time()).await.unwrap();
        if args.first() == Some(&"--helpdesk-allow-tag") {
            iam.tag_user(&server::iam::Caller::keydesk(), &svc, "desk", "yes").await.unwrap();
        }
        let r = d
            .app
            .server_fn(Some(&d.carol), "helpdesk_reset_password", &form(&[("user", "svc-backup"), ("reason", "asked by its owner")]))
            .await;
        let error = r.app_error();
        let message = error.to_string();
        assert!(matches!(error, AppError::NotAllowed { .. }), "{args:?}: {}", r.body);
        if allowed {
            assert!(message.contains("does not create"), "{args:?}: on the list, but no console password to reset: {message}");
        } else {
            assert!(message.contains("allow-list"), "{args:?}: {message}");
        }
        assert!(iam.password_state(&server::iam::Caller::keydesk(), &svc).await.unwrap().profile.is_none(), "no login profile was created");
        let found = d.app.server_fn(Some(&d.carol), "helpdesk_find", &[("query", "svc-backup")]).await;
        let view: HelpdeskView = serde_json::from_str(&found.body).unwrap();
        assert_eq!(view.protected.is_none(), allowed, "{args:?}: {:?}", view.protected);
    }
}

/// Review L6: four eyes are two people. A second keydesk account acting for the filer's IAM user
/// cannot approve the filer's request, and nobody decides a request about their own IAM user.
#[tokio::test]
async fn one_person_with_two_accounts_cannot_approve_their_own_request() {
    let d = desk_with(&[]).await;
    let app = &d.app;
    app.add_account_acting_for("carol-admin", Role::Admin, "carol").await;
    let r =
        app.server_fn(Some(&d.carol), "helpdesk_reset_password", &[("user", "alice"), ("reason", "locked out; checked by phone")]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let id = requests(app, &d.carol).await[0].id.clone();
    let twin = app.sign_in("carol-admin", PASSWORD).await.unwrap();
    let r = app.server_fn(Some(&twin), "helpdesk_decide", &[("id", id.as_str()), ("approve", "true")]).await;
    assert!(r.app_error().to_string().contains("You filed this request"), "{}", r.body);
    assert_eq!(requests(app, &d.carol).await[0].state, "pending");
    // erin files one about carol; carol may not decide it.
    let erin = app.sign_in("erin", PASSWORD).await.unwrap();
    app.give_console_password("carol").await;
    let r = app.server_fn(Some(&erin), "helpdesk_reset_password", &[("user", "carol"), ("reason", "locked out; checked by phone")]).await;
    let about_carol = requests(app, &erin).await.into_iter().find(|q| q.target_user == "carol");
    if let Some(q) = about_carol {
        let r = app.server_fn(Some(&d.carol), "helpdesk_decide", &[("id", q.id.as_str()), ("approve", "true")]).await;
        assert!(r.app_error().to_string().contains("your own IAM user"), "{}", r.body);
    } else {
        // Staff are protected by default: the request is refused outright, which is as good.
        assert!(matches!(r.app_error(), AppError::NotAllowed { .. }), "{}", r.body);
    }
}

/// The help desk's page is drawn on the server and its forms post with or without JavaScript, so each
/// action loads the page anew. The case's reason and ticket, sent with one action, come back with the
/// page for the same person (asked once per case, nothing typed lost), and not for another person; an
/// action filed for a second person comes back saying so, in the page's own words.
#[tokio::test]
async fn the_desk_keeps_its_case_across_actions_and_says_when_a_second_person_is_needed() {
    let d = desk_with(&[]).await;
    let app = &d.app;
    let id = d.key.key.id.to_string();
    let post = |form: Vec<(&'static str, String)>| {
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        app.send(page_form_request(
            Some(&d.carol),
            "/api/helpdesk_set_key_status?at=find-user",
            "http://127.0.0.1:3000/helpdesk?q=alice",
            &form,
        ))
    };
    let case = |active: &str| {
        vec![
            ("user", "alice".to_owned()),
            ("key_id", id.clone()),
            ("active", active.to_owned()),
            ("reason", "Key found in a public gist".to_owned()),
            ("ticket", "SEC-9".to_owned()),
        ]
    };
    let fresh = app.get(Some(&d.carol), "/helpdesk?q=alice").await;
    assert!(!fresh.body.contains("Key found in a public gist"), "nothing to offer before the first action");

    // Deactivating is immediate: back to the case, no line of its own (the list shows it).
    let done = post(case("false")).await;
    assert_eq!(done.location(), Some("http://127.0.0.1:3000/helpdesk?q=alice#find-user"));
    let page = app.get(Some(&d.carol), "/helpdesk?q=alice").await;
    assert!(page.body.contains(r#"value="Key found in a public gist""#), "the case's reason comes back");
    assert!(page.body.contains(r#"value="SEC-9""#), "and its ticket");
    let carol = d.carol.as_str();
    let note = |person: &'static str| async move {
        let r = app.server_fn(Some(carol), "helpdesk_case_note", &[("person", person)]).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        serde_json::from_str::<app::api::helpdesk::CaseNote>(&r.body).unwrap()
    };
    assert_eq!(note("alice").await.reason, "Key found in a public gist");
    assert_eq!(note("bob").await, Default::default(), "another person, another case");
    let bob = app.get(Some(&d.carol), "/helpdesk?q=bob").await;
    assert!(!bob.body.contains("Key found in a public gist"));
    // Only the help desk's own session: another help-desk member starts empty, employees get nothing.
    let erin = app.sign_in("erin", PASSWORD).await.unwrap();
    let r = app.server_fn(Some(&erin), "helpdesk_case_note", &[("person", "alice")]).await;
    assert_eq!(serde_json::from_str::<app::api::helpdesk::CaseNote>(&r.body).unwrap(), Default::default());
    let r = app.server_fn(Some(&d.alice), "helpdesk_case_note", &[("person", "alice")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // Reactivating needs a second person: the answer says so, and the page states it in a fixed line.
    let filed = post(case("true")).await;
    assert_eq!(filed.location(), Some("http://127.0.0.1:3000/helpdesk?q=alice&done=desk-requested#find-user"));
    assert!(filed.headers.get(app::ssr::ANSWER_DONE_HEADER).is_none(), "the function's note to the rewrite stays inside");
    let page = app.get(Some(&d.carol), "/helpdesk?q=alice&done=desk-requested").await;
    assert!(page.body.contains(r#"data-testid="desk-requested""#) && page.body.contains("needs a second person"));
    assert!(page.body.contains("reactivate"), "the request is listed: {}", page.body.len());
    assert!(!app.get(Some(&d.carol), "/helpdesk?q=alice").await.body.contains(r#"data-testid="desk-requested""#));
}
