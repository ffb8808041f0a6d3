//! Self-service entitlements by IAM group: every self-service server function of each capability is
//! refused with 403 and whom to ask when the capability is not granted, and works when it is; the
//! credentials page does not read what the employee may not manage; groups come from IAM and are cached
//! for a minute; an explicit grant overrides "users may not change their own password"; only freshly
//! authenticated admins change entitlements, audited with both versions.

use crate::support::*;
use app::api::credentials::CredentialsOverview;
use app::domain::entitlements::{managed_by_administrators, Capability, Entitlements};
use app::domain::{IamUserName, Role};
use app::error::AppError;
use http::StatusCode;

/// The settings form granting `default` to users in no listed group and each group its capabilities.
fn form(default: &[Capability], groups: &[(&str, &[Capability])], ask: &str) -> Vec<(String, String)> {
    let mut f: Vec<(String, String)> = default.iter().map(|c| (format!("grant[*:{}]", c.id()), "on".into())).collect();
    for (g, caps) in groups {
        f.push((format!("group[{g}]"), "1".into()));
        f.extend(caps.iter().map(|c| (format!("grant[{g}:{}]", c.id()), "on".to_owned())));
    }
    f.push(("ask".into(), ask.into()));
    f
}

async fn save(app: &TestApp, admin: &str, f: &[(String, String)]) -> Vec<String> {
    let pairs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let r = app.server_fn(Some(admin), "update_entitlements", &pairs).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    serde_json::from_str(&r.body).unwrap()
}

fn all_but(cap: Capability) -> Vec<Capability> {
    Capability::ALL.into_iter().filter(|c| *c != cap).collect()
}

async fn overview(app: &TestApp, cookie: &str) -> CredentialsOverview {
    let r = app.server_fn(Some(cookie), "get_my_credentials", &[]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    serde_json::from_str(&r.body).unwrap()
}

/// Every self-service server function of `cap`, with inputs that are well-formed.
fn calls(cap: Capability) -> Vec<(&'static str, Vec<(&'static str, String)>)> {
    let pw = "Granite-Tulip-42-fox-lake!".to_owned();
    let serial = "arn:aws:iam::123456789012:mfa/alice-phone".to_owned();
    let cred = "ACCA0123456789ABCDEF".to_owned();
    let ssh = "APKA0123456789ABCDEF".to_owned();
    let key = "AKIA0123456789ABCDEF".to_owned();
    match cap {
        Capability::ConsolePassword => vec![("change_password", vec![("new_password", pw.clone()), ("repeat_password", pw)])],
        Capability::AccessKeys => vec![
            ("create_access_key", vec![]),
            ("set_access_key_status", vec![("key_id", key.clone()), ("active", "false".into())]),
            ("delete_access_key", vec![("key_id", key.clone()), ("confirm", key)]),
        ],
        Capability::Mfa => vec![
            ("start_mfa_enrolment", vec![("device_name", "alice-phone".into())]),
            ("enable_mfa", vec![("serial", serial.clone()), ("code1", "123456".into()), ("code2", "234567".into())]),
            ("cancel_mfa_enrolment", vec![("serial", serial.clone())]),
            ("resync_mfa", vec![("serial", serial.clone()), ("code1", "123456".into()), ("code2", "234567".into())]),
            ("remove_mfa", vec![("serial", serial), ("password", PASSWORD.into())]),
        ],
        Capability::GitCredentials => vec![
            ("create_git_credential", vec![]),
            ("reset_git_credential", vec![("credential_id", cred.clone())]),
            ("set_git_credential_status", vec![("credential_id", cred.clone()), ("active", "false".into())]),
            ("delete_git_credential", vec![("credential_id", cred), ("confirm", "alice-at-123456789012".into())]),
        ],
        Capability::SshKeys => vec![
            ("upload_ssh_key", vec![("public_key", rsa_key(2048, 7))]),
            ("set_ssh_key_status", vec![("key_id", ssh.clone()), ("active", "false".into())]),
            ("delete_ssh_key", vec![("key_id", ssh.clone()), ("confirm", ssh)]),
        ],
        Capability::SigningCertificates => {
            let pem = certificate_at("alice", start_time());
            let id = "TA7SMP42TDN5Z26OBPJE7EXAMPLE".to_owned();
            vec![
                ("upload_signing_cert", vec![("certificate", pem)]),
                ("set_signing_cert_status", vec![("certificate_id", id.clone()), ("active", "false".into())]),
                ("delete_signing_cert", vec![("certificate_id", id.clone()), ("confirm", id)]),
            ]
        }
        Capability::ServiceCredentials => {
            let svc = |s: &str| ("service", s.to_owned());
            vec![
                ("create_service_credential", vec![svc("bedrock"), ("age_days", "30".into())]),
                ("reset_service_credential", vec![svc("keyspaces"), ("credential_id", cred.clone())]),
                ("set_service_credential_status", vec![svc("logs"), ("credential_id", cred.clone()), ("active", "false".into())]),
                ("delete_service_credential", vec![svc("bedrock"), ("credential_id", cred), ("confirm", "x".into())]),
            ]
        }
    }
}

#[tokio::test]
async fn each_capability_not_granted_is_refused_in_every_server_function_and_granted_works() {
    let (app, dave, alice) = admin_and_employee().await;
    let ask = "the IT help desk (#it-help)";
    for cap in Capability::ALL {
        save(&app, &dave, &form(&all_but(cap), &[], ask)).await;
        let before = app.portal.iam.list_access_keys(&server::iam::Caller::keydesk(), &IamUserName::parse("alice").unwrap()).await.unwrap();
        for (name, args) in calls(cap) {
            let pairs = borrowed(&args);
            let r = app.server_fn(Some(&alice), name, &pairs).await;
            assert_eq!(
                (r.status, r.app_error()),
                (StatusCode::FORBIDDEN, AppError::NotAllowed { message: managed_by_administrators(cap, ask) }),
                "{name} without {cap:?}"
            );
        }
        let after = app.portal.iam.list_access_keys(&server::iam::Caller::keydesk(), &IamUserName::parse("alice").unwrap()).await.unwrap();
        assert_eq!(before, after, "a refused call changes nothing");
        // The page names whom to ask and reads nothing of the section.
        let o = overview(&app, &alice).await;
        assert!(!o.entitled.contains(&cap) && o.entitled.len() == Capability::ALL.len() - 1, "{cap:?}: {:?}", o.entitled);
        assert_eq!(o.ask, ask);
        assert_eq!(o.password.is_none(), cap == Capability::ConsolePassword);
    }
    assert_eq!(audit_trail(&app, "access_key").await, vec![], "nothing refused reached the audit log as an attempt");

    // Granted: each capability's first call goes through (the page creates what it needs).
    save(&app, &dave, &form(&Capability::ALL, &[], ask)).await;
    for cap in Capability::ALL {
        let (name, args) = calls(cap).remove(0);
        let pairs = borrowed(&args);
        let r = app.server_fn(Some(&alice), name, &pairs).await;
        assert_eq!(r.status, StatusCode::OK, "{name} with {cap:?}: {}", r.body);
    }
    let o = overview(&app, &alice).await;
    assert_eq!((o.access_keys.len(), o.ssh_keys.unwrap().len(), o.git_credentials.unwrap().len()), (1, 1, 1));
    assert_eq!(o.service_credentials.unwrap().len(), 1, "the Bedrock key, and not the Git credential");
}

#[tokio::test]
async fn groups_come_from_iam_add_up_and_are_cached_for_a_minute() {
    let (app, dave, alice) = admin_and_employee().await;
    app.add_account("bob", Role::Employee).await;
    let bob = app.sign_in("bob", PASSWORD).await.unwrap();
    let iam = app.portal.embedded.clone().unwrap();
    iam.add_user_to_group(&IamUserName::parse("alice").unwrap(), "Developers").await.unwrap();
    let typical = form(&[Capability::ConsolePassword, Capability::Mfa], &[("developers", &[Capability::AccessKeys])], "");
    let changes = save(&app, &dave, &typical).await;
    assert!(changes.contains(&"Group developers added: Access keys".to_owned()), "{changes:?}");
    assert!(!changes.iter().any(|c| c.starts_with(app::domain::entitlements::NO_SUCH_GROUP)), "developers exists: {changes:?}");
    // A group IAM does not have is saved as asked, with a warning that it grants nobody anything.
    let typo = form(
        &[Capability::ConsolePassword, Capability::Mfa],
        &[("developers", &[Capability::AccessKeys]), ("develoeprs", &[Capability::Mfa])],
        "",
    );
    let changes = save(&app, &dave, &typo).await;
    assert_eq!(
        changes.last().map(String::as_str),
        Some("No such IAM group: develoeprs — nobody gets these rights yet. Check the spelling, or create the group in IAM.")
    );
    save(&app, &dave, &typical).await;

    let a = overview(&app, &alice).await;
    assert_eq!(a.entitled, [Capability::AccessKeys].into(), "a listed group replaces the default (group names ignore case)");
    let r = app.server_fn(Some(&alice), "create_access_key", &[]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let b = overview(&app, &bob).await;
    assert_eq!(b.entitled, [Capability::ConsolePassword, Capability::Mfa].into());
    let r = app.server_fn(Some(&bob), "create_access_key", &[]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.body.contains("Ask your AWS administrators"), "the default wording names whom to ask: {}", r.body);

    // Membership changes reach keydesk within the cache's minute.
    iam.add_user_to_group(&IamUserName::parse("bob").unwrap(), "developers").await.unwrap();
    assert_eq!(app.server_fn(Some(&bob), "create_access_key", &[]).await.status, StatusCode::FORBIDDEN, "still cached");
    app.clock.advance(time::Duration::seconds(61));
    let bob = app.sign_in("bob", PASSWORD).await.unwrap();
    let r = app.server_fn(Some(&bob), "create_access_key", &[]).await;
    assert_eq!(r.status, StatusCode::OK, "after the minute: {}", r.body);
}

#[tokio::test]
async fn an_explicit_grant_overrides_the_policy_that_forbids_users_to_change_passwords() {
    let (app, dave, alice) = admin_and_employee().await;
    app.add_account("bob", Role::Employee).await;
    let bob = app.sign_in("bob", PASSWORD).await.unwrap();
    let iam = app.portal.embedded.clone().unwrap();
    iam.add_user_to_group(&IamUserName::parse("alice").unwrap(), "it").await.unwrap();
    let policy = [("minimum_length", "14"), ("require_lowercase", "on")];
    assert_eq!(app.server_fn(Some(&dave), "update_password_policy", &policy).await.status, StatusCode::OK);
    save(&app, &dave, &form(&[Capability::ConsolePassword], &[("it", &[Capability::ConsolePassword])], "")).await;

    let settings = app.get(Some(&dave), app::pages::SETTINGS_PATH).await;
    assert!(settings.body.contains("Override: the account password policy does not let users change their own password"), "admins see it");
    assert!(settings.body.contains("granted explicitly to group it."), "naming the group");
    // The help matches what employees can do: service credentials are managed on their page.
    assert!(!settings.body.contains("not managed in keydesk yet"), "stale help text");
    let pw = "granite-tulip-fox-lake";
    let a = overview(&app, &alice).await;
    assert_eq!(a.password.unwrap().cannot_change, None, "the explicit grant overrides");
    let r = app.server_fn(Some(&alice), "change_password", &[("new_password", pw), ("repeat_password", pw)]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // The default row is not an explicit grant: the policy stands for bob.
    let b = overview(&app, &bob).await;
    assert!(b.password.unwrap().cannot_change.unwrap().contains("does not let users change their own password"));
    let r = app.server_fn(Some(&bob), "change_password", &[("new_password", pw), ("repeat_password", pw)]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
}

#[tokio::test]
async fn only_freshly_authenticated_admins_change_entitlements_audited_with_both_versions() {
    let (app, dave, alice) = admin_and_employee().await;
    app.add_account("carol", Role::Helpdesk).await;
    let carol = app.sign_in("carol", PASSWORD).await.unwrap();
    let f = form(&[Capability::Mfa], &[("developers", &Capability::ALL)], "IT");
    let pairs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    for cookie in [&alice, &carol] {
        for (name, form) in [("get_entitlements", &[][..]), ("update_entitlements", &pairs[..])] {
            let r = app.server_fn(Some(cookie), name, form).await;
            assert_eq!((r.status, r.app_error()), (StatusCode::FORBIDDEN, AppError::Forbidden), "{name}");
        }
    }
    assert_eq!(app.server_fn(None, "update_entitlements", &pairs).await.status, StatusCode::UNAUTHORIZED);

    // Bad input: a clear message by field, nothing saved.
    let bad = [("new_group", "no spaces allowed"), ("grant[+:mfa]", "on")];
    let r = app.server_fn(Some(&dave), "update_entitlements", &bad).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(matches!(r.app_error(), AppError::InvalidInput { field, .. } if field == "new_group"), "{}", r.body);

    // Stale sign-in: re-authentication first.
    app.clock.advance(time::Duration::minutes(11));
    let r = app.server_fn(Some(&dave), "update_entitlements", &pairs).await;
    assert_eq!(r.app_error(), AppError::ReauthRequired);
    let current: Entitlements = serde_json::from_str(&app.server_fn(Some(&dave), "get_entitlements", &[]).await.body).unwrap();
    assert_eq!(current, Entitlements::default(), "nothing saved so far");

    let dave = app.sign_in("dave", PASSWORD).await.unwrap();
    let changes = save(&app, &dave, &f).await;
    assert_eq!(
        changes[0],
        "Users in no listed group: no longer Console password, Access keys, HTTPS Git credentials, SSH public keys, Signing certificates, Keyspaces, Bedrock & Logs credentials"
    );
    let current: Entitlements = serde_json::from_str(&app.server_fn(Some(&dave), "get_entitlements", &[]).await.body).unwrap();
    assert_eq!((current.default.len(), current.groups["developers"].len(), current.ask.as_str()), (1, Capability::ALL.len(), "IT"));
    assert!(save(&app, &dave, &f).await.is_empty(), "saving the same again changes nothing and is not audited");
    let rows: Vec<(String, String, Option<String>)> =
        sqlx::query_as("SELECT outcome, actor, detail FROM audit_events WHERE action = 'admin.entitlements.update' ORDER BY id")
            .fetch_all(&app.portal.db.pool)
            .await
            .unwrap()
            .into_iter()
            .map(|(o, a, d): (String, Option<String>, Option<String>)| (o, a.unwrap_or_default(), d))
            .collect();
    assert_eq!(rows.len(), 2, "intent and outcome: {rows:?}");
    assert_eq!((rows[1].0.as_str(), rows[1].1.as_str()), ("success", "dave"));
    let detail = rows[1].2.as_deref().unwrap();
    assert!(
        detail.contains("before: default: password, access-keys, mfa, git, ssh, certificates, services; ask: your AWS administrators; after: default: mfa; group developers: password, access-keys, mfa, git, ssh, certificates, services; ask: IT"),
        "{detail}"
    );

    // Removing the group takes its row away.
    let mut f2 = f.clone();
    f2.push(("remove[developers]".into(), "on".into()));
    assert_eq!(save(&app, &dave, &f2).await, ["Group developers removed"]);
}

#[tokio::test]
async fn on_moto_entitlements_come_from_iam_groups_and_shape_the_assumed_session() {
    let url = testkit::require_env!("KEYDESK_TEST_MOTO_URL", "entitlements on moto");
    let (app, admin) = TestApp::on_moto(&url).await;
    let name = app.moto_employee(&admin).await;
    let group = format!("{name}-devs");
    admin.create_group().group_name(&group).send().await.unwrap();
    admin.add_user_to_group().group_name(&group).user_name(&name).send().await.unwrap();
    app.add_account("dave", Role::Admin).await;
    let dave = app.sign_in("dave", PASSWORD).await.unwrap();
    save(&app, &dave, &form(&[Capability::ConsolePassword], &[(group.as_str(), &[Capability::AccessKeys, Capability::Mfa])], "")).await;

    let cookie = app.sign_in(&name, PASSWORD).await.unwrap();
    let o = overview(&app, &cookie).await;
    assert_eq!(o.entitled, [Capability::AccessKeys, Capability::Mfa].into(), "membership read through ListGroupsForUser");
    assert!(o.password.is_none());
    let r = app.server_fn(Some(&cookie), "create_access_key", &[]).await;
    assert_eq!(r.status, StatusCode::OK, "through a session assumed with the entitled policy: {}", r.body);
    let pw = "Granite-Tulip-42-fox-lake!";
    let r = app.server_fn(Some(&cookie), "change_password", &[("new_password", pw), ("repeat_password", pw)]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let page = app.get(Some(&cookie), "/").await;
    assert!(page.body.contains("Your console password is managed by your administrators"), "the page explains instead of failing");
}

/// Review L2: an employee entitled to Git credentials only cannot switch a Bedrock API key on or off
/// by its id through the Git form (the CodeCommit path skipped the service check), nor reset or
/// delete it.
#[tokio::test]
async fn the_git_forms_reach_only_git_credentials() {
    use server::iam::{Caller, IamBackend};
    let (app, dave, alice) = admin_and_employee().await;
    save(&app, &dave, &form(&[Capability::GitCredentials], &[], "the help desk")).await;
    let iam = app.portal.embedded.clone().unwrap();
    let me = IamUserName::parse("alice").unwrap();
    let other = app::domain::services::SERVICES.iter().find(|s| !s.is_codecommit()).unwrap();
    let created = iam.create_service_credential(&Caller::keydesk(), &me, other.service_name, None).await.unwrap();
    let id = created.credential.id.to_string();
    for (name, form) in [
        ("set_git_credential_status", vec![("credential_id", id.as_str()), ("active", "false")]),
        ("reset_git_credential", vec![("credential_id", id.as_str())]),
        ("delete_git_credential", vec![("credential_id", id.as_str()), ("confirm", id.as_str())]),
    ] {
        let r = app.server_fn(Some(&alice), name, &form).await;
        assert!(matches!(r.app_error(), AppError::NotFound { .. }), "{name}: {} {}", r.status, r.body);
    }
    let now = iam.list_service_credentials(&Caller::keydesk(), &me, Some(other.service_name)).await.unwrap();
    assert_eq!(now.len(), 1);
    assert!(now[0].status.is_active(), "the {} credential is untouched", other.slug);
}
