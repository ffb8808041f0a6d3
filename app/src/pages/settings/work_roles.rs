//! The catalogue of work roles on `/settings`: each role (ARN, names, longest session, who may use it,
//! a narrowing session policy, its Identity Center permission set) edited in place, one added, one
//! removed; and IAM Identity Center's start URL and region. Every save needs a recent password
//! confirmation and is audited with the entry before and after.

use crate::api::access_keys::ConfirmPassword;
use crate::api::settings::{get_work_role_catalogue, RemoveWorkRole, SaveIdentityCenter, SaveWorkRole};
use crate::components::{ErrorView, InlineReauth, BUTTON, DANGER, INPUT, SECONDARY};
use crate::domain::temporary::{duration_choices, human_duration, IdentityCenter, WorkRole, MAX_SESSION_SECS};
use crate::domain::work_roles::{IdentityCenterInput, WorkRoleInput};
use crate::domain::Role;
use crate::error::AppError;
use leptos::form::ActionForm;
use leptos::prelude::*;

#[derive(Clone, Copy)]
struct Actions {
    save: ServerAction<SaveWorkRole>,
    remove: ServerAction<RemoveWorkRole>,
    sso: ServerAction<SaveIdentityCenter>,
}

#[component]
pub fn WorkRolesEditor() -> impl IntoView {
    let a = Actions { save: ServerAction::new(), remove: ServerAction::new(), sso: ServerAction::new() };
    let confirm = ServerAction::<ConfirmPassword>::new();
    let catalogue =
        Resource::new(move || (a.save.version().get(), a.remove.version().get(), a.sso.version().get()), |_| get_work_role_catalogue());
    let errors = move || {
        [
            a.save.value().get().and_then(Result::err),
            a.remove.value().get().and_then(Result::err),
            a.sso.value().get().and_then(Result::err),
        ]
    };
    let asks = Signal::derive(move || errors().contains(&Some(AppError::ReauthRequired)));
    let error = move || errors().into_iter().flatten().find(|e| *e != AppError::ReauthRequired);
    // The newest outcome of the three forms, worded for the administrator.
    let done = move || {
        let newest = [a.save.version().get(), a.remove.version().get(), a.sso.version().get()];
        let latest = newest.iter().enumerate().max_by_key(|(_, v)| **v).filter(|(_, v)| **v > 0).map(|(i, _)| i)?;
        match latest {
            0 => {
                a.save.value().get()?.ok().map(|c| if c.is_empty() { "Nothing changed.".to_owned() } else { format!("{}.", c.join("; ")) })
            }
            1 => a.remove.value().get()?.ok().map(|()| "Removed. Sessions already issued last until they expire.".to_owned()),
            _ => a.sso.value().get()?.ok().map(|changed| if changed { "Identity Center saved." } else { "Nothing changed." }.to_owned()),
        }
    };
    view! {
        <InlineReauth confirm asks message="Changing the work roles needs a recent sign-in. Confirm your password, then save again."/>
        {move || done().map(|s| view! { <p class="mb-3 rounded-md bg-emerald-50 px-3 py-2 text-sm text-emerald-900 ring-1 ring-emerald-200" role="status" data-testid="work-roles-saved">{s}</p> })}
        {move || error().map(|error| view! { <div class="mb-3"><ErrorView error/></div> })}
        <Transition fallback=|| view! { <p class="text-sm text-slate-500">"Reading the work roles…"</p> }>
            {move || Suspend::new(async move {
                match catalogue.await {
                    Err(error) => view! { <ErrorView error/> }.into_any(),
                    Ok(cat) => view! {
                        {cat.roles.is_empty().then(|| view! { <p class="text-sm text-slate-600">"No work roles yet: add the first one below."</p> })}
                        <ul class="divide-y divide-slate-100" data-testid="catalogue">
                            {cat.roles.into_iter().map(|role| view! { <CatalogueRow role a/> }).collect_view()}
                        </ul>
                        <details class="mt-4 rounded-lg border border-slate-200 p-4" data-testid="add-work-role">
                            <summary class="cursor-pointer text-sm font-medium text-indigo-700">"Add a work role"</summary>
                            <RoleForm role=None a/>
                        </details>
                        <IdentityCenterForm current=cat.identity_center a/>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}

/// Who may use `role`, in words.
fn who(role: &WorkRole) -> String {
    let every = |r: &Role| match r {
        Role::Employee => "every employee",
        Role::Helpdesk => "every help-desk agent",
        Role::Admin => "every administrator",
    };
    let mut parts: Vec<String> = role.portal_roles.iter().map(|r| every(r).to_owned()).collect();
    parts.extend(role.iam_groups.iter().map(|g| format!("IAM group {g}")));
    parts.extend(role.idp_groups.iter().map(|g| format!("directory group {g}")));
    parts.join(", ")
}

#[component]
fn CatalogueRow(role: WorkRole, a: Actions) -> impl IntoView {
    let (id, data_role) = (role.id.clone(), role.id.clone());
    let summary = format!("{} · up to {} · {}", role.role_arn, human_duration(role.max_session_secs), who(&role));
    view! {
        <li class="py-3" data-testid="catalogue-role" data-role=data_role>
            <details>
                <summary class="cursor-pointer">
                    <span class="font-medium text-slate-900">{role.display_name.clone()}</span>
                    {role.sensitive.then(|| view! { <span class="ml-2 rounded bg-amber-100 px-1.5 py-0.5 text-xs text-amber-900">"asks for a reason"</span> })}
                    <span class="mt-0.5 block break-all text-xs text-slate-500">{summary}</span>
                </summary>
                <RoleForm role=Some(role) a/>
                <ActionForm action=a.remove attr:class="mt-4 flex flex-wrap items-center gap-3 border-t border-slate-200 pt-3">
                    <input type="hidden" name="id" value=id/>
                    <label class="flex items-center gap-2 text-sm text-slate-800">
                        <input type="checkbox" name="confirm" required/>
                        "Remove: nobody can get new credentials for it (sessions already issued last until they expire)"
                    </label>
                    <button type="submit" class=DANGER data-testid="remove-work-role">"Remove"</button>
                </ActionForm>
            </details>
        </li>
    }
}

/// A role's form: prefilled to edit `role`, or blank to add one.
#[component]
fn RoleForm(role: Option<WorkRole>, a: Actions) -> impl IntoView {
    let original = role.as_ref().map(|r| r.id.clone()).unwrap_or_default();
    let v = role.as_ref().map(WorkRoleInput::from_role).unwrap_or_else(|| WorkRoleInput { portal_roles: vec![], ..Default::default() });
    let key = if original.is_empty() { "new".to_owned() } else { original.clone() };
    let fid = move |f: &str| format!("wr-{key}-{f}");
    let (policy_id, max_id) = (fid("session_policy"), fid("max_session_secs"));
    let (policy_for, max_for) = (policy_id.clone(), max_id.clone());
    let max = v.max_session_secs.parse::<u32>().unwrap_or(3600);
    let options = duration_choices(MAX_SESSION_SECS)
        .into_iter()
        .map(|d| view! { <option value=d.to_string() selected=d == max>{human_duration(d)}</option> })
        .collect_view();
    let text = move |name: &'static str, label: &'static str, value: String, hint: &'static str, required: bool| {
        let id = fid(name);
        let label_for = id.clone();
        view! {
            <label for=label_for class="block text-sm font-medium text-slate-800">{label}
                <input id=id name=name value=value required=required class=format!("mt-1 {INPUT}") spellcheck="false" data-testid=format!("wr-{name}")/>
                <span class="mt-0.5 block text-xs font-normal text-slate-500">{hint}</span>
            </label>
        }
    };
    let check = |name: &'static str, label: String, on: bool| {
        view! {
            <label class="flex items-center gap-2 text-sm text-slate-800">
                <input type="checkbox" name=name checked=on data-testid=format!("wr-{name}")/>{label}
            </label>
        }
    };
    let roles = v.portal_roles.clone();
    let has = move |r: Role| roles.contains(&r);
    view! {
        <ActionForm action=a.save attr:class="mt-3 grid gap-3 md:grid-cols-2" attr:data-testid="work-role-form">
            <input type="hidden" name="original" value=original/>
            {text("id", "Short name", v.id.clone(), "Letters, digits and dashes: the profile name people get.", true)}
            {text("display_name", "Display name", v.display_name.clone(), "As people know the role.", true)}
            <div class="md:col-span-2">{text("role_arn", "Role ARN", v.role_arn.clone(), "arn:aws:iam::<account>:role/<name>, in any account that trusts keydesk.", true)}</div>
            {text("account_alias", "Account alias", v.account_alias.clone(), "Optional, e.g. corp-prod.", false)}
            <label for=max_for class="block text-sm font-medium text-slate-800">"Longest session"
                <select id=max_id name="max_session_secs" class=format!("mt-1 {INPUT}") data-testid="wr-max_session_secs">{options}</select>
                <span class="mt-0.5 block text-xs font-normal text-slate-500">"At most the role's own maximum session duration in IAM."</span>
            </label>
            <fieldset class="grid gap-1 md:col-span-2">
                <legend class="text-sm font-medium text-slate-800">"Who may use it"</legend>
                {check("for_employee", "Every employee".into(), has(Role::Employee))}
                {check("for_helpdesk", "Every help-desk agent".into(), has(Role::Helpdesk))}
                {check("for_admin", "Every administrator".into(), has(Role::Admin))}
            </fieldset>
            {text("iam_groups", "IAM groups", v.iam_groups.clone(), "Comma-separated: members may use it.", false)}
            {text("idp_groups", "Identity provider or directory groups", v.idp_groups.clone(), "Comma-separated, as your provider names them (a directory group by its name or DN).", false)}
            <div class="md:col-span-2">{check("sensitive", "Ask for a reason at each issuance (audited, and sent as a session tag)".into(), v.sensitive)}</div>
            <label for=policy_for class="block text-sm font-medium text-slate-800 md:col-span-2">"Session policy (optional)"
                <textarea id=policy_id name="session_policy" rows="3" spellcheck="false" class=format!("mt-1 font-mono {INPUT}") data-testid="wr-session_policy">{v.session_policy.clone()}</textarea>
                <span class="mt-0.5 block text-xs font-normal text-slate-500">"A JSON policy that narrows what the role may do in sessions issued here (at most 2,048 characters)."</span>
            </label>
            {text("sso_account_id", "Identity Center account id", v.sso_account_id.clone(), "Optional: with the permission set, people also get the ~/.aws/config profile.", false)}
            {text("sso_role_name", "Identity Center permission set", v.sso_role_name.clone(), "Its name, e.g. DeveloperAccess.", false)}
            <div class="md:col-span-2">
                <button type="submit" class=BUTTON data-testid="save-work-role" disabled=move || a.save.pending().get()>
                    {if role.is_some() { "Save the role" } else { "Add the role" }}
                </button>
            </div>
        </ActionForm>
    }
}

#[component]
fn IdentityCenterForm(current: Option<IdentityCenter>, a: Actions) -> impl IntoView {
    let v = IdentityCenterInput::from_settings(current.as_ref());
    let field = |name: &'static str, label: &'static str, value: String, hint: &'static str| {
        let id = format!("ic-{name}");
        let label_for = id.clone();
        view! {
            <label for=label_for class="block text-sm font-medium text-slate-800">{label}
                <input id=id name=name value=value class=format!("mt-1 {INPUT}") spellcheck="false" data-testid=format!("ic-{name}")/>
                <span class="mt-0.5 block text-xs font-normal text-slate-500">{hint}</span>
            </label>
        }
    };
    view! {
        <div class="mt-6 border-t border-slate-200 pt-4" data-testid="identity-center">
            <h3 class="text-sm font-semibold text-slate-900">"IAM Identity Center"</h3>
            <p class="mt-1 text-sm text-slate-600">"When set, people also get the ~/.aws/config lines aws configure sso would write for their roles that name an account and a permission set, and the aws sso login command. Leave both blank to turn it off."</p>
            <ActionForm action=a.sso attr:class="mt-3 grid gap-3 md:grid-cols-3">
                {field("start_url", "AWS access portal URL", v.start_url, "https://d-xxxxxxxxxx.awsapps.com/start")}
                {field("region", "Region", v.region, "Where Identity Center runs, e.g. eu-west-1.")}
                {field("session_name", "sso-session name", v.session_name, "Optional; keydesk if blank.")}
                <div class="md:col-span-3">
                    <button type="submit" class=SECONDARY data-testid="save-identity-center">"Save Identity Center"</button>
                </div>
            </ActionForm>
        </div>
    }
}
