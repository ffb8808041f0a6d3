//! Demo mode (embedded backend only): portal accounts of every role, created if missing, with
//! sign-in details printed at start-up. Refused with the AWS backend by configuration validation.

use crate::db::accounts::AccountRow;
use crate::portal::Portal;
use app::domain::{IamUserName, PortalUserName, Role};

/// (user, display name, role, password). Passwords are fixed so the README can name them; they only
/// ever exist on a demo instance bound to loopback.
pub const DEMO_ACCOUNTS: &[(&str, &str, Role, &str)] = &[
    ("alice", "Alice Martin", Role::Employee, "amber-falcon-river"),
    ("bob", "Bob Okafor", Role::Employee, "birch-canyon-ember"),
    ("carol", "Carol Nguyen", Role::Helpdesk, "coral-meadow-quartz"),
    ("dave", "Dave Schmidt", Role::Admin, "dune-harbor-violet"),
];

/// Create the demo accounts that do not exist yet; returns the lines to print.
pub async fn seed(portal: &Portal) -> anyhow::Result<Vec<String>> {
    let now = portal.clock.now();
    let mut lines = Vec::new();
    seed_work_roles(portal).await?;
    for (user, name, role, password) in DEMO_ACCOUNTS {
        let row = AccountRow {
            user: PortalUserName::parse(user)?,
            display_name: (*name).to_owned(),
            password_hash: portal.hasher.hash(password).await?,
            role: *role,
            iam_user: IamUserName::parse(user)?,
            disabled: false,
            created_at: now,
            last_sign_in_at: None,
        };
        if !portal.db.insert_account(&row, now).await? {
            portal.db.set_password_hash(&row.user, &row.password_hash, now).await?;
        }
        lines.push(format!("  {:<8} {:<14} password: {}", user, role.label(), password));
    }
    Ok(lines)
}

/// One demo IAM user: (name, path, days since creation, console password age in days, last console
/// sign-in days ago, keys as (age days, last used days ago + service + region, active, description),
/// MFA device enabled).
type DemoKey = (i64, Option<(i64, &'static str, &'static str)>, bool, Option<&'static str>);
type DemoUser = (&'static str, &'static str, i64, Option<(i64, Option<i64>)>, &'static [DemoKey], bool);

const DEMO_IAM_USERS: &[DemoUser] = &[
    ("alice", "/engineering/", 400, Some((121, Some(2))), &[(134, Some((1, "s3", "eu-west-1")), true, Some("laptop CLI"))], false),
    (
        "bob",
        "/engineering/",
        700,
        Some((30, Some(0))),
        &[(30, Some((0, "ec2", "us-east-1")), true, Some("deploy script")), (200, Some((150, "sts", "us-east-1")), false, None)],
        true,
    ),
    ("carol", "/it/", 900, Some((45, Some(1))), &[], true),
    ("dave", "/it/", 1200, Some((10, Some(0))), &[(10, None, true, None)], true),
    ("erin", "/engineering/", 300, Some((95, Some(40))), &[(95, Some((60, "lambda", "eu-central-1")), true, None)], false),
    ("frank", "/finance/", 250, Some((20, Some(3))), &[], false),
    ("grace", "/engineering/", 150, None, &[(150, None, true, Some("CI pipeline"))], false),
    (
        "heidi",
        "/data/",
        500,
        Some((300, Some(300))),
        &[(480, Some((5, "athena", "us-west-2")), true, None), (20, Some((0, "s3", "us-west-2")), true, None)],
        true,
    ),
    ("svc-backup", "/service/", 1000, None, &[(365, Some((0, "s3", "eu-west-1")), true, Some("nightly backup"))], false),
];

/// Heidi's CodeCommit SSH public key (a public key: nothing secret; its private half was never kept).
const DEMO_SSH_KEY: &str = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQDrODF7/NEVceb2JErpe56vk5t089IwcQT/rUnqE8V/FL23H2E/i/fFp1NHJZNkqebItjMfJeqzqBOEA8U2InuH7kvRM4PAa3cBVpnDaqnKUBlEuVVu7LuCJs4ozmyCAW5r+V/sq7pLVYtLXXRisD5TWwoug+5Cy2UdI8izZAW9MBbEMhhpGCebHgWnKcaXDVF0/Boo4nX6TZhFDHSG3TbLx54L/gU3EXc4h6dQo8kW7cSm2hZZiCj94EtT9FNegNIuBnCtiwr1JuRW2EDoiHC1YnkOFluijjjSLyoVTdvZUS97zZeD2ERqQYNbVjfNdyrWxgILm32tyxNashIv4zNB heidi@workstation";

/// Create the demo IAM users in the embedded IAM (once; existing users are left alone).
/// The tag that puts the demo's people (not its service user) on the help desk's allow-list.
pub const HELPDESK_TAG: (&str, &str) = ("keydesk-helpdesk", "allowed");

/// Demo hardware TOTP tokens: serial number and Base32 seed (public: demo data only).
pub const DEMO_HARDWARE_TOKENS: &[(&str, &str)] =
    &[("GAHT10000001", "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"), ("GAHT10000002", "MFRGGZDFMZTWQ2LKNNWG23TPOBYXE43U")];

/// The demo's catalogue of work roles (unless an administrator saved one): read-only for everyone,
/// Developer for the developers group, BillingAdmin for finance, which asks for a reason.
async fn seed_work_roles(portal: &Portal) -> anyhow::Result<()> {
    use app::domain::temporary::{WorkRole, WorkRoleCatalogue};
    use app::domain::Role;
    if portal.db.setting(crate::portal::temporary::CATALOGUE).await?.is_some() {
        return Ok(());
    }
    let account = portal.iam.account_id().to_owned();
    let role = |id: &str, name: &str, display: &str, max: u32, everyone: bool, group: Option<&str>, sensitive: bool| WorkRole {
        id: id.into(),
        role_arn: format!("arn:aws:iam::{account}:role/{name}"),
        display_name: display.into(),
        account_alias: "keydesk-demo".into(),
        max_session_secs: max,
        portal_roles: if everyone { vec![Role::Employee, Role::Helpdesk, Role::Admin] } else { vec![] },
        iam_groups: group.map(|g| vec![g.to_owned()]).unwrap_or_default(),
        sensitive,
        session_policy: None,
        ..Default::default()
    };
    let catalogue = WorkRoleCatalogue {
        roles: vec![
            role("read-only", "ReadOnly", "Read-only", 4 * 3600, true, None, false),
            role("developer", "Developer", "Developer", 4 * 3600, false, Some("developers"), false),
            role("billing-admin", "BillingAdmin", "Billing administrator", 3600, false, Some("finance"), true),
        ],
        identity_center: None,
    };
    let now = portal.clock.now();
    portal.db.put_setting(crate::portal::temporary::CATALOGUE, &serde_json::to_string(&catalogue)?, now, "keydesk demo").await?;
    Ok(())
}

/// The demo's work roles and their maximum session lengths.
pub const DEMO_WORK_ROLES: &[(&str, u32)] = &[("ReadOnly", 12 * 3600), ("Developer", 4 * 3600), ("BillingAdmin", 3600)];

pub async fn seed_iam(portal: &Portal) -> anyhow::Result<usize> {
    use crate::iam::{totp, Caller, IamBackend, IamError};
    use app::domain::{Password, PasswordPolicy, SetStatus};
    use time::Duration;
    let Some(iam) = portal.embedded.clone() else { return Ok(0) };
    let now = portal.clock.now();
    let days = |d: i64| now - Duration::days(d);
    iam.set_password_policy(Some(&PasswordPolicy::cis_recommended())).await?;
    let svc = Caller::keydesk();
    let mut created = 0;
    for (name, path, age, password, keys, mfa) in DEMO_IAM_USERS {
        let user = IamUserName::parse(name)?;
        match iam.create_user(&user, path, days(*age)).await {
            Ok(_) => created += 1,
            Err(IamError::EntityAlreadyExists(_)) => continue,
            Err(e) => return Err(e.into()),
        }
        if !path.starts_with("/service/") {
            iam.tag_user(&svc, &user, HELPDESK_TAG.0, HELPDESK_TAG.1).await?;
        }
        if let Some((changed, last_sign_in)) = password {
            // A random console password nobody knows: the demo is about managing it, not using it.
            let pw = format!("Demo-{}-9!", uuid::Uuid::new_v4().simple());
            iam.set_password(&svc, &user, &Password::new(pw), false).await?;
            iam.backdate_password(&user, days(*changed), last_sign_in.map(days)).await?;
        }
        for (key_age, used, active, description) in keys.iter() {
            let k = iam.create_access_key(&svc, &user).await?.key;
            iam.backdate_key(&user, &k.id, days(*key_age)).await?;
            if let Some((ago, service, region)) = used {
                iam.record_key_use(&k.id, days(*ago), service, region).await?;
            }
            if !active {
                iam.update_access_key(&svc, &user, &k.id, SetStatus::Inactive).await?;
            }
            if let Some(d) = description {
                iam.tag_user(&svc, &user, k.id.as_str(), d).await?;
            }
        }
        if *mfa {
            let dev = iam.create_virtual_mfa(&svc, &format!("/{name}/"), "phone").await?;
            let seed = totp::base32_decode(dev.seed.expose()).ok_or_else(|| anyhow::anyhow!("bad seed"))?;
            let step = totp::step_at(now.unix_timestamp());
            iam.enable_mfa(&svc, &user, &dev.serial, &totp::code(&seed, step - 1), &totp::code(&seed, step)).await?;
        }
        // IAM groups (the help desk shows them; self-service entitlements will key on them).
        let group = match *name {
            "alice" | "bob" | "grace" | "heidi" => "developers",
            "carol" | "dave" => "it",
            "frank" => "finance",
            "erin" => "data",
            _ => "service-accounts",
        };
        iam.add_user_to_group(&user, group).await?;
        // CodeCommit credentials for the review's SSH and Git columns (the Git password is dropped unseen).
        if matches!(*name, "grace" | "heidi") {
            drop(iam.create_service_credential(&svc, &user, crate::iam::CODECOMMIT, None).await?);
        }
        if *name == "heidi" {
            iam.upload_ssh_key(&svc, &user, DEMO_SSH_KEY).await?;
        }
        // Keyspaces and Bedrock credentials for the inventory (their secrets are dropped unseen).
        if *name == "erin" {
            drop(iam.create_service_credential(&svc, &user, "cassandra.amazonaws.com", None).await?);
            drop(iam.create_service_credential(&svc, &user, "bedrock.amazonaws.com", Some(30)).await?);
            // As if AWS had found erin's key in a public repository: the triage has a case to work.
            iam.attach_user_policy(&user, crate::iam::QUARANTINE_POLICY_ARN).await?;
        }
    }
    // Hardware TOTP tokens anyone may assign to themselves in the demo (README: their seeds, to make
    // codes with `oathtool --totp -b SEED`), as AWS knows the tokens it sells.
    for (serial, seed) in DEMO_HARDWARE_TOKENS {
        iam.register_hardware_token(serial, seed).await?;
    }
    // Work roles people may use through temporary credentials, trusting keydesk's principal.
    for (role, max_secs) in DEMO_WORK_ROLES {
        iam.create_role(role, *max_secs, crate::iam::embedded::RoleTrust::Keydesk).await?;
    }
    Ok(created)
}
