//! Account settings for administrators: the account password policy (`UpdateAccountPasswordPolicy`,
//! `DeleteAccountPasswordPolicy`). Changing it is a sensitive action: a fresh password confirmation,
//! audited with the values before and after. And the self-service entitlements by IAM group.
// The policy form has nine fields, one argument each; #[server] does not carry an item-level allow
// over to the client function it generates for the hydrate build, so the allow is the module's.
#![allow(clippy::too_many_arguments)]

use crate::domain::password_policy::EffectivePolicy;
use crate::error::AppError;
use leptos::prelude::*;

/// The policy in force. Admins only.
#[server(endpoint = "get_password_policy")]
pub async fn get_password_policy() -> Result<EffectivePolicy, AppError> {
    use crate::ssr::*;
    page_read("password_policy", |port, cx| async move { port.password_policy(&cx).await }).await
}

/// Save the policy (every field; a blank age or reuse count means "never" / "off"). Returns what
/// changed, worded for a person (empty when nothing did).
#[server(endpoint = "update_password_policy")]
pub async fn update_password_policy(
    minimum_length: String,
    require_symbols: Option<String>,
    require_numbers: Option<String>,
    require_uppercase: Option<String>,
    require_lowercase: Option<String>,
    allow_users_to_change: Option<String>,
    max_age_days: Option<String>,
    reuse_prevention: Option<String>,
    hard_expiry: Option<String>,
) -> Result<Vec<String>, AppError> {
    use crate::domain::policy_editor::PolicyInput;
    use crate::{api::port, ssr::*};
    // Checkboxes arrive only when ticked (as "on", or "true" from the hydrated form).
    let ticked = |v: Option<String>| v.is_some_and(|v| v != "false");
    let input = PolicyInput {
        minimum_length,
        require_symbols: ticked(require_symbols),
        require_numbers: ticked(require_numbers),
        require_uppercase: ticked(require_uppercase),
        require_lowercase: ticked(require_lowercase),
        allow_users_to_change: ticked(allow_users_to_change),
        max_age_days: max_age_days.unwrap_or_default(),
        reuse_prevention: reuse_prevention.unwrap_or_default(),
        hard_expiry: ticked(hard_expiry),
    };
    respond(port()?.update_password_policy(&ctx()?, &input).await)
}

/// Delete the custom policy: IAM's default applies again. `confirm` must be ticked.
#[server(endpoint = "delete_password_policy")]
pub async fn delete_password_policy(confirm: Option<String>) -> Result<(), AppError> {
    use crate::{api::port, ssr::*};
    if confirm.is_none() {
        return respond(Err(AppError::invalid("confirm", "Tick the box to confirm: users fall back to IAM's default rules.")));
    }
    respond(port()?.delete_password_policy(&ctx()?).await)
}

/// The self-service entitlements. Admins only.
#[server(endpoint = "get_entitlements")]
pub async fn get_entitlements() -> Result<crate::domain::entitlements::Entitlements, AppError> {
    use crate::ssr::*;
    page_read("entitlements", |port, cx| async move { port.entitlements(&cx).await }).await
}

/// Save the entitlements. The form posts `grant[<row>:<capability>]` for each ticked box, a hidden
/// `group[<name>]` per listed group, `remove[<name>]` to drop one, a new group's name and whom to ask.
/// Returns what changed, worded for a person (empty when nothing did).
#[server(endpoint = "update_entitlements")]
pub async fn update_entitlements(
    grant: Option<std::collections::BTreeMap<String, String>>,
    group: Option<std::collections::BTreeMap<String, String>>,
    remove: Option<std::collections::BTreeMap<String, String>>,
    new_group: Option<String>,
    ask: Option<String>,
) -> Result<Vec<String>, AppError> {
    use crate::domain::entitlements::EntitlementsInput;
    use crate::{api::port, ssr::*};
    let input = EntitlementsInput {
        grant: grant.unwrap_or_default(),
        group: group.unwrap_or_default(),
        remove: remove.unwrap_or_default(),
        new_group: new_group.unwrap_or_default(),
        ask: ask.unwrap_or_default(),
    };
    respond(port()?.update_entitlements(&ctx()?, &input).await)
}

/// The catalogue of work roles (and Identity Center's settings). Admins only.
#[server(endpoint = "get_work_role_catalogue")]
pub async fn get_work_role_catalogue() -> Result<crate::domain::temporary::WorkRoleCatalogue, AppError> {
    use crate::ssr::*;
    page_read("work_role_catalogue", |port, cx| async move { port.work_role_catalogue(&cx).await }).await
}

/// Add a work role (`original` blank) or save the one whose short name was `original`. Checkboxes
/// `for_employee`, `for_helpdesk`, `for_admin` and `sensitive` arrive only when ticked; groups are
/// comma-separated. Returns what changed, worded for a person (empty when nothing did).
#[server(endpoint = "save_work_role")]
pub async fn save_work_role(
    original: Option<String>,
    id: String,
    role_arn: String,
    display_name: String,
    account_alias: Option<String>,
    max_session_secs: String,
    for_employee: Option<String>,
    for_helpdesk: Option<String>,
    for_admin: Option<String>,
    iam_groups: Option<String>,
    idp_groups: Option<String>,
    sensitive: Option<String>,
    session_policy: Option<String>,
    sso_account_id: Option<String>,
    sso_role_name: Option<String>,
) -> Result<Vec<String>, AppError> {
    use crate::domain::{work_roles::WorkRoleInput, Role};
    use crate::{api::port, ssr::*};
    let ticked = |v: &Option<String>| v.as_ref().is_some_and(|v| v != "false");
    let portal_roles = [(Role::Employee, &for_employee), (Role::Helpdesk, &for_helpdesk), (Role::Admin, &for_admin)]
        .into_iter()
        .filter(|(_, v)| ticked(v))
        .map(|(r, _)| r)
        .collect();
    let input = WorkRoleInput {
        id,
        role_arn,
        display_name,
        account_alias: account_alias.unwrap_or_default(),
        max_session_secs,
        portal_roles,
        iam_groups: iam_groups.unwrap_or_default(),
        idp_groups: idp_groups.unwrap_or_default(),
        sensitive: ticked(&sensitive),
        session_policy: session_policy.unwrap_or_default(),
        sso_account_id: sso_account_id.unwrap_or_default(),
        sso_role_name: sso_role_name.unwrap_or_default(),
    };
    respond(port()?.save_work_role(&ctx()?, original.as_deref(), &input).await)
}

/// Remove the work role `id`; `confirm` must be ticked.
#[server(endpoint = "remove_work_role")]
pub async fn remove_work_role(id: String, confirm: Option<String>) -> Result<(), AppError> {
    use crate::{api::port, ssr::*};
    if confirm.is_none() {
        return respond(Err(AppError::invalid("confirm", "Tick the box to confirm: nobody can get new credentials for this role.")));
    }
    respond(port()?.remove_work_role(&ctx()?, &id).await)
}

/// Set IAM Identity Center's start URL, region and session name (all blank: turn it off). True when
/// something changed.
#[server(endpoint = "save_identity_center")]
pub async fn save_identity_center(start_url: String, region: String, session_name: Option<String>) -> Result<bool, AppError> {
    use crate::domain::work_roles::IdentityCenterInput;
    use crate::{api::port, ssr::*};
    let input = IdentityCenterInput { start_url, region, session_name: session_name.unwrap_or_default() };
    respond(port()?.save_identity_center(&ctx()?, &input).await)
}

/// What the server does for these functions: Account settings: the password policy and the entitlements. Implemented by the server's portal
/// (`server/src/portal/`), reached through [`crate::api::port`].
#[cfg(feature = "ssr")]
pub use port::SettingsPort;

#[cfg(feature = "ssr")]
mod port {
    use crate::error::AppError;
    use crate::ssr::Ctx;

    #[async_trait::async_trait]
    pub trait SettingsPort: Send + Sync {
        /// The account password policy in force (administrators only).
        async fn password_policy(&self, cx: &Ctx) -> Result<crate::domain::password_policy::EffectivePolicy, AppError>;

        /// Save the account password policy (administrators, freshly authenticated); what changed.
        async fn update_password_policy(
            &self,
            cx: &Ctx,
            input: &crate::domain::policy_editor::PolicyInput,
        ) -> Result<Vec<String>, AppError>;

        /// Delete the account password policy (administrators, freshly authenticated).
        async fn delete_password_policy(&self, cx: &Ctx) -> Result<(), AppError>;

        /// The self-service entitlements (administrators only).
        async fn entitlements(&self, cx: &Ctx) -> Result<crate::domain::entitlements::Entitlements, AppError>;

        /// Save the entitlements a form describes (administrators, freshly authenticated); what changed.
        async fn update_entitlements(
            &self,
            cx: &Ctx,
            input: &crate::domain::entitlements::EntitlementsInput,
        ) -> Result<Vec<String>, AppError>;

        /// The catalogue of work roles (administrators only).
        async fn work_role_catalogue(&self, cx: &Ctx) -> Result<crate::domain::temporary::WorkRoleCatalogue, AppError>;

        /// Add or replace a work role (administrators, freshly authenticated, audited before/after).
        async fn save_work_role(
            &self,
            cx: &Ctx,
            original: Option<&str>,
            input: &crate::domain::work_roles::WorkRoleInput,
        ) -> Result<Vec<String>, AppError>;

        /// Remove a work role (administrators, freshly authenticated, audited).
        async fn remove_work_role(&self, cx: &Ctx, id: &str) -> Result<(), AppError>;

        /// Set or clear IAM Identity Center's settings (administrators, freshly authenticated, audited).
        async fn save_identity_center(&self, cx: &Ctx, input: &crate::domain::work_roles::IdentityCenterInput) -> Result<bool, AppError>;
    }
}
