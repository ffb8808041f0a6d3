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
