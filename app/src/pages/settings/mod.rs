//! Account settings (administrators): the account password policy editor, the self-service
//! entitlements (entitlements.rs) and the catalogue of work roles (work_roles.rs). Every field of
//! `UpdateAccountPasswordPolicy`, checked live by the same code the server runs, each beside its CIS
//! recommendation; "Apply the CIS recommendations" fills the form for review (with JavaScript off,
//! `?recommended=1` does). Saving and deleting need a recent password confirmation.

mod entitlements;
mod work_roles;

use self::entitlements::EntitlementsEditor;
use self::work_roles::WorkRolesEditor;
use crate::api::access_keys::ConfirmPassword;
use crate::api::settings::*;
use crate::components::{ErrorView, Gate, SectionCard, Shell};
use crate::components::{InlineReauth, BUTTON, DANGER, SECONDARY};
use crate::domain::password_policy::{EffectivePolicy, PasswordPolicy};
use crate::domain::policy_editor::{cis_check, CisSource, PolicyInput};
use crate::domain::Role;
use crate::error::AppError;
use crate::pages::{Bundle, IslandScripts};
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;

const NUMBER: &str = "block w-28 rounded-md border border-slate-300 px-3 py-1.5 text-sm shadow-sm focus:border-indigo-500 focus:outline-2 focus:outline-indigo-500 aria-[invalid=true]:border-red-500";

pub use crate::paths::SETTINGS_PATH;

#[component]
pub fn SettingsPage() -> impl IntoView {
    view! {
        <Title text="Account settings"/>
        <Shell>
            <Gate role=Role::Admin>
                <IslandScripts bundle=Bundle::Settings/><SettingsBody frame=crate::components::gate_frame()/>
            </Gate>
        </Shell>
    }
}

/// The page's island: each editor saves in place.
#[cfg_attr(any(feature = "ssr", feature = "islands-settings"), island)]
#[cfg_attr(not(any(feature = "ssr", feature = "islands-settings")), component)]
fn SettingsBody(frame: crate::domain::Frame) -> impl IntoView {
    provide_context(frame);
    let actions = PolicyActions { save: ServerAction::new(), delete: ServerAction::new(), confirm: ServerAction::new() };
    let policy_changes = Signal::derive(move || (actions.save.version().get(), actions.delete.version().get()));
    view! {
                <h1 class="text-2xl font-semibold tracking-tight">"Account settings"</h1>
                <div class="mt-6 grid gap-6">
                    <SectionCard id="password-policy" title="Account password policy"
                        subtitle="The rules IAM applies to every IAM user's console password, here and on the AWS console. Changing them needs a recent password confirmation and is audited with the values before and after.">
                        <PolicyEditor actions/>
                    </SectionCard>
                    <SectionCard id="entitlements" title="Self-service entitlements"
                        subtitle="Who may manage which of their own credentials, by IAM group. Changes need a recent password confirmation and are audited with the settings before and after.">
                        <EntitlementsEditor policy_changes/>
                    </SectionCard>
                    <SectionCard id="work-roles" title="Work roles"
                        subtitle="The AWS roles people may get temporary credentials for, and who may use each. Each role's trust policy must let keydesk's principal call sts:AssumeRole, sts:SetSourceIdentity and sts:TagSession. Changes need a recent password confirmation and are audited with the role before and after.">
                        <WorkRolesEditor/>
                    </SectionCard>
                </div>
    }
}

#[derive(Clone, Copy)]
struct PolicyActions {
    save: ServerAction<UpdatePasswordPolicy>,
    delete: ServerAction<DeletePasswordPolicy>,
    confirm: ServerAction<ConfirmPassword>,
}

#[component]
fn PolicyEditor(actions: PolicyActions) -> impl IntoView {
    let params = crate::components::location::use_query_map();
    let recommended = params.with_untracked(|q| q.get_str("recommended") == Some("1"));
    let policy = Resource::new(move || (actions.save.version().get(), actions.delete.version().get()), |_| get_password_policy());
    let asks = Signal::derive(move || {
        let asks = |e: Option<AppError>| matches!(e, Some(AppError::ReauthRequired));
        asks(actions.save.value().get().and_then(Result::err)) || asks(actions.delete.value().get().and_then(Result::err))
    });
    view! {
        <InlineReauth confirm=actions.confirm asks message="Changing the password policy needs a recent sign-in. Confirm your password, then save again."/>
        <Transition fallback=|| view! { <p class="text-sm text-slate-500">"Reading the password policy…"</p> }>
            {move || Suspend::new(async move {
                match policy.await {
                    Err(error) => view! { <ErrorView error/> }.into_any(),
                    Ok(current) => {
                        let prefill = if recommended {
                            PolicyInput::from_policy(&EffectivePolicy::Custom(PasswordPolicy::cis_recommended()))
                        } else {
                            PolicyInput::from_policy(&current)
                        };
                        view! { <PolicyForm current prefill actions/> }.into_any()
                    }
                }
            })}
        </Transition>
    }
}

/// What IAM does without a custom policy.
const IAM_DEFAULT: &str = "No custom policy: IAM's default applies — at least 8 characters with at least three of upper case, lower case, numbers and symbols, not the account name or e-mail address; users may change their own password; passwords never expire.";

#[component]
fn PolicyForm(current: EffectivePolicy, prefill: PolicyInput, actions: PolicyActions) -> impl IntoView {
    let text = |v: String| RwSignal::new(v);
    let flag = |v: bool| RwSignal::new(v);
    let min = text(prefill.minimum_length.clone());
    let max_age = text(prefill.max_age_days.clone());
    let reuse = text(prefill.reuse_prevention.clone());
    let (symbols, numbers, upper, lower) =
        (flag(prefill.require_symbols), flag(prefill.require_numbers), flag(prefill.require_uppercase), flag(prefill.require_lowercase));
    let (allow, hard) = (flag(prefill.allow_users_to_change), flag(prefill.hard_expiry));
    let input = move || PolicyInput {
        minimum_length: min.get(),
        require_symbols: symbols.get(),
        require_numbers: numbers.get(),
        require_uppercase: upper.get(),
        require_lowercase: lower.get(),
        allow_users_to_change: allow.get(),
        max_age_days: max_age.get(),
        reuse_prevention: reuse.get(),
        hard_expiry: hard.get(),
    };
    let parsed = Memo::new(move |_| input().parse());
    let sketch = Memo::new(move |_| input().best_effort());
    let form = PolicyMemos { parsed, sketch };
    let error_of = move |field: &'static str| {
        move || parsed.with(|p| p.as_ref().err().and_then(|errors| errors.iter().find(|e| e.field == field).map(|e| e.message.clone())))
    };
    let apply_cis = move |_| {
        let cis = PolicyInput::from_policy(&EffectivePolicy::Custom(PasswordPolicy::cis_recommended()));
        min.set(cis.minimum_length);
        max_age.set(cis.max_age_days);
        reuse.set(cis.reuse_prevention);
        for (s, v) in [(symbols, true), (numbers, true), (upper, true), (lower, true), (allow, true)] {
            s.set(v);
        }
        hard.set(false);
    };
    let hydrated = crate::components::use_hydrated();
    let is_custom = matches!(current, EffectivePolicy::Custom(_));
    let saved = move || match actions.save.value().get() {
        Some(Ok(changes)) if changes.is_empty() => Some("Nothing changed: the policy already had these values.".to_owned()),
        Some(Ok(changes)) => Some(format!("Saved. Changed: {}.", changes.join("; "))),
        _ => None,
    };
    let deleted = move || matches!(actions.delete.value().get(), Some(Ok(())));
    let error = move || {
        actions
            .save
            .value()
            .get()
            .and_then(Result::err)
            .or_else(|| actions.delete.value().get().and_then(Result::err))
            .filter(|e| *e != AppError::ReauthRequired)
    };
    view! {
        <p class="text-sm text-slate-700" data-testid="policy-status">
            {match &current {
                EffectivePolicy::IamDefault => IAM_DEFAULT.to_owned(),
                EffectivePolicy::Custom(_) => "A custom policy is set. Employees' password forms follow it on their next page load.".to_owned(),
            }}
        </p>
        {move || saved().map(|s| view! { <p class="mt-3 rounded-md bg-emerald-50 px-3 py-2 text-sm text-emerald-900 ring-1 ring-emerald-200" role="status" data-testid="policy-saved">{s}</p> })}
        {move || deleted().then(|| view! { <p class="mt-3 rounded-md bg-emerald-50 px-3 py-2 text-sm text-emerald-900 ring-1 ring-emerald-200" role="status" data-testid="policy-deleted">"Deleted: IAM's default applies again."</p> })}
        {move || error().map(|error| view! { <div class="mt-3"><ErrorView error/></div> })}
        <div class="mt-4 flex flex-wrap items-center gap-3 text-sm">
            {move || if hydrated.get() {
                view! { <button type="button" class=SECONDARY on:click=apply_cis data-testid="apply-cis">"Apply the CIS recommendations"</button> }.into_any()
            } else {
                view! { <a href=format!("{SETTINGS_PATH}?recommended=1") class="text-indigo-700 underline" data-testid="apply-cis">"Fill in the CIS recommendations"</a> }.into_any()
            }}
            <span class="text-slate-500">"The form is filled in for you to review; nothing is saved until you press Save."</span>
        </div>
        <p class="mt-2 text-xs text-slate-500">"CIS AWS Foundations Benchmark: 1.8 and 1.9 are current. The CIS v1.2 items were withdrawn from later versions, following NIST SP 800-63B, which advises against composition rules and forced expiry; keep them if your auditors still ask for them."</p>
        <ActionForm action=actions.save attr:class="mt-4 grid gap-4" attr:data-testid="policy-form">
            <NumberField name="minimum_length" label="Minimum length" hint="6–128 characters" value=min error=Signal::derive(error_of("minimum_length")) form/>
            <fieldset class="grid gap-2">
                <legend class="text-sm font-medium text-slate-800">"Require at least one"</legend>
                <CheckField name="require_uppercase" label="upper-case letter (A–Z)" value=upper form/>
                <CheckField name="require_lowercase" label="lower-case letter (a–z)" value=lower form/>
                <CheckField name="require_numbers" label="number (0–9)" value=numbers form/>
                <CheckField name="require_symbols" label="symbol ( ! @ # $ % ^ & * ( ) _ + - = [ ] { } | ' )" value=symbols form/>
            </fieldset>
            <CheckField name="allow_users_to_change" label="Allow users to change their own password" value=allow form/>
            <NumberField name="max_age_days" label="Passwords expire after (days)" hint="1–1095; blank: never" value=max_age error=Signal::derive(error_of("max_age_days")) form/>
            <NumberField name="reuse_prevention" label="Prevent reuse of the last (passwords)" hint="1–24; blank: allow reuse" value=reuse error=Signal::derive(error_of("reuse_prevention")) form/>
            <CheckField name="hard_expiry" label="Hard expiry: an expired password can only be reset by an administrator" value=hard form/>
            <p class="text-sm text-red-700" role="alert">{error_of("hard_expiry")}</p>
            <div>
                <button type="submit" class=BUTTON data-testid="policy-save"
                    disabled=move || actions.save.pending().get() || (hydrated.get() && parsed.with(Result::is_err))>
                    {move || if actions.save.pending().get() { "Saving…" } else { "Save the policy" }}
                </button>
            </div>
        </ActionForm>
        {is_custom.then(|| view! {
            <ActionForm action=actions.delete attr:class="mt-6 flex flex-wrap items-center gap-3 border-t border-slate-200 pt-4" attr:data-testid="policy-delete-form">
                <label class="flex items-center gap-2 text-sm text-slate-800">
                    <input type="checkbox" name="confirm" required data-testid="policy-delete-confirm"/>
                    "Delete the custom policy: IAM's default rules apply again"
                </label>
                <button type="submit" class=DANGER data-testid="policy-delete">"Delete the policy"</button>
            </ActionForm>
        })}
    }
}

/// The form's values checked (errors by field) and read as far as they go (for the CIS verdicts).
#[derive(Clone, Copy)]
struct PolicyMemos {
    parsed: Memo<Result<PasswordPolicy, Vec<crate::domain::policy_editor::FieldError>>>,
    sketch: Memo<PasswordPolicy>,
}

/// The CIS recommendation for `field` and whether the form's value meets it (nothing when CIS says
/// nothing about the field, or the value is not valid yet).
fn cis_line(field: &'static str, form: PolicyMemos) -> impl IntoView {
    move || {
        // Other fields' errors do not hide this field's verdict; its own error does.
        if form.parsed.with(|p| p.as_ref().err().is_some_and(|errors| errors.iter().any(|e| e.field == field))) {
            return None;
        }
        form.sketch.with(|p| {
            let check = cis_check(p, field)?;
            let (mark, class) = if check.met { ("✓ meets", "text-emerald-700") } else { ("✗ does not meet", "text-amber-800") };
            let note = match check.source {
                CisSource::Current => "",
                CisSource::Withdrawn => " (withdrawn later)",
            };
            Some(view! {
                <span class=format!("block text-xs {class}") data-testid=format!("cis-{field}") data-met=check.met.to_string()>
                    {format!("{mark} {}{note}", check.recommendation)}
                </span>
            })
        })
    }
}

#[component]
fn NumberField(
    name: &'static str,
    label: &'static str,
    hint: &'static str,
    value: RwSignal<String>,
    error: Signal<Option<String>>,
    form: PolicyMemos,
) -> impl IntoView {
    let id = format!("policy-{name}");
    view! {
        <div>
            <label for=id.clone() class="block text-sm font-medium text-slate-800">{label}</label>
            <div class="mt-1 flex items-center gap-3">
                <input id=id type="text" inputmode="numeric" name=name class=NUMBER value=value.get_untracked() prop:value=move || value.get()
                    on:input=move |ev| value.set(event_target_value(&ev)) aria-invalid=move || error.get().is_some().to_string()
                    data-testid=format!("policy-{name}")/>
                <span class="text-xs text-slate-500">{hint}</span>
            </div>
            <p class="mt-1 text-sm text-red-700" role="alert" data-testid=format!("error-{name}")>{move || error.get()}</p>
            {cis_line(name, form)}
        </div>
    }
}

#[component]
fn CheckField(name: &'static str, label: &'static str, value: RwSignal<bool>, form: PolicyMemos) -> impl IntoView {
    view! {
        <div>
            <label class="flex items-center gap-2 text-sm text-slate-800">
                <input type="checkbox" name=name prop:checked=move || value.get() checked=value.get_untracked()
                    on:change=move |ev| value.set(event_target_checked(&ev)) data-testid=format!("policy-{name}")/>
                {label}
            </label>
            {cis_line(name, form)}
        </div>
    }
}
