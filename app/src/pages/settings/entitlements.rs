//! The self-service entitlements editor on the account settings page: one row per listed IAM group and
//! one for users in none of them, one checkbox per capability. The server enforces what is saved in
//! every server function and in the AWS session policy; this page only edits it (fresh password
//! confirmation, audited with both versions).

use crate::api::access_keys::ConfirmPassword;
use crate::api::settings::*;
use crate::components::ErrorView;
use crate::components::{InlineReauth, BUTTON, INPUT};
use crate::domain::entitlements::{group_name_ok, Capability, Entitlements, DEFAULT_ROW, NEW_ROW};
use crate::error::AppError;
use leptos::form::ActionForm;
use leptos::prelude::*;

#[component]
pub fn EntitlementsEditor(
    /// Versions of the password policy's save and delete actions: the override note follows them.
    policy_changes: Signal<(usize, usize)>,
) -> impl IntoView {
    let save = ServerAction::<UpdateEntitlements>::new();
    let confirm = ServerAction::<ConfirmPassword>::new();
    let current = Resource::new(move || save.version().get(), |_| get_entitlements());
    let policy = Resource::new(move || policy_changes.get(), |_| get_password_policy());
    let asks = Signal::derive(move || matches!(save.value().get(), Some(Err(AppError::ReauthRequired))));
    view! {
        <InlineReauth confirm asks message="Changing entitlements needs a recent sign-in. Confirm your password, then save again."/>
        <Transition fallback=|| view! { <p class="text-sm text-slate-500">"Reading the entitlements…"</p> }>
            {move || Suspend::new(async move {
                match (current.await, policy.await) {
                    (Err(error), _) => view! { <ErrorView error/> }.into_any(),
                    (Ok(entitlements), policy) => {
                        // Without the policy the override note is left out; the editor still works.
                        let users_may_change = policy.map(|p| p.allow_users_to_change()).unwrap_or(true);
                        view! { <EntitlementsForm entitlements users_may_change save/> }.into_any()
                    }
                }
            })}
        </Transition>
    }
}

#[component]
fn EntitlementsForm(entitlements: Entitlements, users_may_change: bool, save: ServerAction<UpdateEntitlements>) -> impl IntoView {
    let new_group = RwSignal::new(String::new());
    let new_group_error = move || {
        let name = new_group.get();
        let name = name.trim();
        if name.is_empty() {
            None
        } else if !group_name_ok(name) {
            Some("An IAM group name has 1 to 128 letters, digits and + = , . @ _ - only.".to_owned())
        } else {
            None
        }
    };
    let overrides: Vec<String> = if users_may_change {
        vec![]
    } else {
        entitlements.groups.iter().filter(|(_, caps)| caps.contains(&Capability::ConsolePassword)).map(|(g, _)| g.clone()).collect()
    };
    // The answer lists what changed, then warnings about groups IAM does not have (shown apart).
    let answer = move || {
        save.value().get().and_then(Result::ok).map(|lines| {
            let (warnings, changes): (Vec<String>, Vec<String>) =
                lines.into_iter().partition(|l| l.starts_with(crate::domain::entitlements::NO_SUCH_GROUP));
            (changes, warnings)
        })
    };
    let saved = move || match answer() {
        Some((changes, _)) if changes.is_empty() => Some("Nothing changed.".to_owned()),
        Some((changes, _)) => Some(format!("Saved. {}.", changes.join("; "))),
        None => None,
    };
    let warnings = move || answer().map(|(_, w)| w).unwrap_or_default();
    let error = move || save.value().get().and_then(Result::err).filter(|e| *e != AppError::ReauthRequired);
    let default_caps = entitlements.default.clone();
    let groups: Vec<_> = entitlements.groups.clone().into_iter().collect();
    let none_listed = groups.is_empty();
    view! {
        <p class="text-sm text-slate-700">
            "Which credentials people may manage themselves. A member of listed groups gets what those groups allow together; everyone else gets the first row. Sections someone may not manage show them whom to ask instead; the server refuses those actions and, on AWS, their session policy does not contain them."
        </p>
        {(!overrides.is_empty()).then(|| view! {
            <p class="mt-3 rounded-md bg-amber-50 px-3 py-2 text-sm text-amber-950 ring-1 ring-amber-300" role="note" data-testid="password-override">
                {format!(
                    "Override: the account password policy does not let users change their own password, but the console password is granted explicitly to {}. Their members can still change theirs in keydesk (IAM's UpdateLoginProfile); everyone else cannot.",
                    overrides.iter().map(|g| format!("group {g}")).collect::<Vec<_>>().join(", "),
                )}
            </p>
        })}
        {move || saved().map(|s| view! { <p class="mt-3 rounded-md bg-emerald-50 px-3 py-2 text-sm text-emerald-900 ring-1 ring-emerald-200" role="status" data-testid="entitlements-saved">{s}</p> })}
        {move || warnings().into_iter().map(|w| view! {
            <p class="mt-2 rounded-md bg-amber-50 px-3 py-2 text-sm text-amber-950 ring-1 ring-amber-300" role="status" data-testid="entitlements-warning">{w}</p>
        }).collect_view()}
        {move || error().map(|error| view! { <div class="mt-3"><ErrorView error/></div> })}
        <ActionForm action=save attr:class="mt-4" attr:data-testid="entitlements-form">
            <div class="overflow-x-auto">
                <table class="min-w-full text-sm">
                    <caption class="sr-only">"Self-service entitlements by IAM group"</caption>
                    <thead>
                        <tr class="border-b border-slate-200 text-left text-xs uppercase tracking-wide text-slate-500">
                            <th scope="col" class="py-2 pr-4 font-medium">"Who"</th>
                            {Capability::ALL.map(|c| view! { <th scope="col" class="px-2 py-2 text-center font-medium">{c.label()}</th> }).collect_view()}
                            <th scope="col" class="px-2 py-2 text-center font-medium">"Remove"</th>
                        </tr>
                    </thead>
                    <tbody class="divide-y divide-slate-100">
                        <tr data-testid="row-default">
                            <th scope="row" class="py-2 pr-4 text-left font-normal text-slate-800">
                                {if none_listed { "Everyone" } else { "Users in no listed group" }}
                            </th>
                            {Capability::ALL.map(|c| view! { <CapCell row=DEFAULT_ROW.to_owned() who="users in no listed group".to_owned() cap=c checked=default_caps.contains(&c)/> }).collect_view()}
                            <td></td>
                        </tr>
                        {groups.into_iter().map(|(g, caps)| {
                            let who = format!("group {g}");
                            view! {
                                <tr data-testid=format!("row-{g}")>
                                    <th scope="row" class="py-2 pr-4 text-left font-normal">
                                        <span class="font-mono text-slate-900">{g.clone()}</span>
                                        <input type="hidden" name=format!("group[{g}]") value="1"/>
                                    </th>
                                    {Capability::ALL.map(|c| view! { <CapCell row=g.clone() who=who.clone() cap=c checked=caps.contains(&c)/> }).collect_view()}
                                    <td class="px-2 py-2 text-center">
                                        <input type="checkbox" name=format!("remove[{g}]") prop:checked=false aria-label=format!("Remove group {g}")
                                            class="h-4 w-4 accent-red-600" data-testid=format!("remove-{g}")/>
                                    </td>
                                </tr>
                            }
                        }).collect_view()}
                        <tr data-testid="row-new" class="bg-slate-50/60">
                            <th scope="row" class="py-2 pr-4 text-left font-normal">
                                <input type="text" name="new_group" placeholder="Add an IAM group…" aria-label="IAM group to add" autocomplete="off"
                                    class="block w-44 rounded-md border border-slate-300 px-2 py-1 font-mono text-sm"
                                    prop:value=move || new_group.get() on:input=move |ev| new_group.set(event_target_value(&ev))
                                    aria-invalid=move || new_group_error().is_some().to_string() data-testid="new-group"/>
                            </th>
                            {Capability::ALL.map(|c| view! { <CapCell row=NEW_ROW.to_owned() who="the new group".to_owned() cap=c checked=false/> }).collect_view()}
                            <td></td>
                        </tr>
                    </tbody>
                </table>
            </div>
            <p class="mt-1 text-sm text-red-700" role="alert" data-testid="error-new-group">{new_group_error}</p>
            <p class="mt-2 text-xs text-slate-500">
                "Group membership is read from IAM (ListGroupsForUser) and reused for a minute. Keyspaces, Bedrock and CloudWatch Logs credentials follow the “Keyspaces, Bedrock & Logs credentials” column; CodeCommit’s follow “HTTPS Git credentials”."
            </p>
            <label class="mt-4 block max-w-xl text-sm font-medium text-slate-800">"Whom employees should ask"
                <input type="text" name="ask" class=format!("mt-1 {INPUT}") value=entitlements.ask.clone() prop:value=entitlements.ask.clone() maxlength="200"
                    data-testid="entitlements-ask"/>
                <span class="mt-1 block text-xs font-normal text-slate-500">"Shown beside every section someone may not manage, e.g. \"the IT help desk (#it-help)\"."</span>
            </label>
            <div class="mt-4">
                <button type="submit" class=BUTTON data-testid="entitlements-save"
                    disabled=move || save.pending().get() || new_group_error().is_some()>
                    {move || if save.pending().get() { "Saving…" } else { "Save the entitlements" }}
                </button>
            </div>
        </ActionForm>
    }
}

// After a save the table is rebuilt in place (same DOM nodes), so each box sets its `checked`
// property too, not only the attribute the server renders: otherwise a box ticked before the save
// would stay ticked.
#[component]
fn CapCell(row: String, who: String, cap: Capability, checked: bool) -> impl IntoView {
    view! {
        <td class="px-2 py-2 text-center">
            <input type="checkbox" name=format!("grant[{row}:{}]", cap.id()) checked=checked prop:checked=checked class="h-4 w-4 accent-indigo-600"
                aria-label=format!("{} for {who}", cap.label()) data-testid=format!("grant-{row}-{}", cap.id())/>
        </td>
    }
}
