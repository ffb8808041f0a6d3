//! "Other service credentials" on "My security credentials": one block per service of the services
//! table (Amazon Keyspaces, Amazon Bedrock, CloudWatch Logs) with its help, its 2-per-service count, a
//! generate form (with the expiry of an API key), and each credential's status, expiry, reset,
//! activate/deactivate and delete. The secret is shown once, in a dialog owned by the page.

use super::access_keys::{CredentialActions, BUTTON, DANGER, INPUT, SECONDARY, TH};
use super::codecommit::{one_time_secret, OneTimeSecretState};
use super::credentials::{badge, status_badge};
use crate::api::services::*;
use crate::components::{browser, ErrorView};
use crate::domain::services::{CredentialShape, ServiceSpec, PER_SERVICE};
use crate::domain::*;
use crate::error::AppError;
use leptos::form::ActionForm;
use leptos::prelude::*;

const SMALL_INPUT: &str = "rounded-md border border-slate-300 px-2 py-1 font-mono text-xs";

fn error_of<T: Clone + Send + Sync + 'static>(v: Option<Result<T, AppError>>) -> Option<AppError> {
    v.and_then(Result::err).filter(|e| *e != AppError::ReauthRequired)
}

#[component]
pub fn ServiceCredentialsSection(creds: Result<Vec<ServiceCredentialView>, AppError>, max_days: u32) -> impl IntoView {
    let creds = match creds {
        Ok(c) => c,
        Err(error) => return view! { <ErrorView error/> }.into_any(),
    };
    view! {
        <div class="grid gap-8">
            {ServiceSpec::generic().map(|spec| {
                let mine: Vec<ServiceCredentialView> = creds.iter().filter(|c| c.credential.service_name == spec.service_name).cloned().collect();
                view! { <ServiceBlock spec mine max_days/> }
            }).collect_view()}
        </div>
    }
    .into_any()
}

#[component]
fn ServiceBlock(spec: &'static ServiceSpec, mine: Vec<ServiceCredentialView>, max_days: u32) -> impl IntoView {
    let actions = expect_context::<CredentialActions>();
    let slug = spec.slug;
    let used = mine.len();
    let full = used >= PER_SERVICE;
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    let days = RwSignal::new(max_days.min(30).to_string());
    // Errors show beside the service the latest action was for, not in every block.
    let here = move || actions.svc_last.get().is_some_and(|s| s == slug);
    let create_error = move || here().then(|| error_of(actions.svc_create.value().get())).flatten();
    let list_error = move || {
        here()
            .then(|| {
                error_of(actions.svc_status.value().get())
                    .or_else(|| error_of(actions.svc_delete.value().get()))
                    .or_else(|| error_of(actions.svc_reset.value().get()))
            })
            .flatten()
    };
    let heading = format!("svc-{slug}-heading");
    let heading_ref = heading.clone();
    let generate = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let age_days = spec.expires().then(|| days.get_untracked());
        actions.svc_create.dispatch(CreateServiceCredential { service: slug.to_owned(), age_days });
    };
    view! {
        <section aria-labelledby=heading_ref data-testid=format!("svc-{slug}")>
            <h3 id=heading class="text-base font-semibold text-slate-900">{spec.label}</h3>
            <p class="mt-1 text-sm text-slate-600">{spec.help}" "
                <a href=spec.docs target="_blank" rel="noreferrer" class="text-indigo-700 underline">"AWS documentation"</a></p>
            {move || list_error().map(|error| view! { <div class="mt-3"><ErrorView error/></div> })}
            <div class="mt-3 flex flex-wrap items-end justify-between gap-3">
                <p class="text-sm text-slate-700" data-testid="svc-count">
                    {format!("{used} of {PER_SERVICE} {} used", spec.plural())}
                    {full.then(|| view! { <span class="text-slate-500">" — inactive and expired ones count too; delete one first."</span> })}
                </p>
                {move || if !hydrated.get() {
                    view! { <p class="text-xs text-slate-500">"Generating or resetting needs JavaScript: the secret is shown once."</p> }.into_any()
                } else if full {
                    ().into_any()
                } else {
                    let days_id = format!("svc-{slug}-days");
                    view! {
                        <form class="flex flex-wrap items-end gap-2" on:submit=generate>
                            {spec.expires().then(|| view! {
                                <label class="grid gap-1 text-xs font-medium text-slate-700" for=days_id.clone()>
                                    {format!("Expires after (days, at most {max_days})")}
                                    <input id=days_id.clone() type="number" min="1" max=max_days.to_string() required
                                        class=format!("w-28 {INPUT}") prop:value=move || days.get() value=days.get_untracked()
                                        on:input=move |ev| days.set(event_target_value(&ev)) data-testid="svc-days"/>
                                </label>
                            })}
                            <button type="submit" class=BUTTON data-testid="svc-generate" disabled=move || actions.svc_create.pending().get()>
                                {move || if actions.svc_create.pending().get() { "Generating…".to_owned() } else { format!("Generate {}", spec.noun) }}
                            </button>
                        </form>
                    }.into_any()
                }}
            </div>
            {move || create_error().map(|error| view! { <div class="mt-3"><ErrorView error/></div> })}
            {if mine.is_empty() {
                view! { <p class="mt-3 text-sm text-slate-600">{format!("You have no {}.", spec.plural())}</p> }.into_any()
            } else {
                let public = match spec.shape { CredentialShape::ApiKey => "Alias", CredentialShape::UserAndPassword => "User name" };
                view! {
                    <div class="mt-3 overflow-x-auto">
                        <table class="min-w-full divide-y divide-slate-200 text-sm">
                            <thead><tr>
                                <th scope="col" class=TH>{public}</th>
                                <th scope="col" class=TH>"Credential ID"</th>
                                <th scope="col" class=TH>"Status"</th>
                                <th scope="col" class=TH>"Created (UTC)"</th>
                                {spec.expires().then(|| view! { <th scope="col" class=TH>"Expires (UTC)"</th> })}
                                <th scope="col" class=TH><span class="sr-only">"Actions"</span></th>
                            </tr></thead>
                            <tbody class="divide-y divide-slate-100">
                                {mine.into_iter().map(|c| view! { <ServiceRow spec c hydrated/> }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                }.into_any()
            }}
        </section>
    }
}

#[component]
fn ServiceRow(spec: &'static ServiceSpec, c: ServiceCredentialView, hydrated: RwSignal<bool>) -> impl IntoView {
    let actions = expect_context::<CredentialActions>();
    let id = c.credential.id.to_string();
    let public = c.credential.public_part().to_owned();
    let active = c.credential.status.is_active();
    let expired = c.credential.status == Status::Expired;
    let secret_word = if spec.expires() { "secret" } else { "password" };
    let reset_warning =
        format!("Reset the {secret_word} of {public}? The current one stops working immediately; the new one is shown once.");
    let reset_id = id.clone();
    let reset = move |_| {
        if browser::confirm(&reset_warning) {
            actions.svc_reset.dispatch(ResetServiceCredential { service: spec.slug.to_owned(), credential_id: reset_id.clone() });
        }
    };
    let toggle_warning = if active {
        format!("Deactivate {public}? Clients using it stop working (you can reactivate it).")
    } else {
        format!("Reactivate {public}?")
    };
    let on_toggle = move |ev: leptos::ev::MouseEvent| {
        if !browser::confirm(&toggle_warning) {
            ev.prevent_default();
        }
    };
    let confirm_id = format!("svc-confirm-{id}");
    let (status_id, delete_id) = (id.clone(), id.clone());
    let expiry = c.credential.expires_at.map(|at| {
        let note = match c.expires_in_days {
            Some(d) if d < 0 || expired => "expired".to_owned(),
            Some(0) => "today".to_owned(),
            Some(d) => format!("in {}", crate::domain::days(d)),
            None => String::new(),
        };
        format!("{} ({note})", fmt_utc(at))
    });
    view! {
        <tr data-testid="svc-row">
            <td class="max-w-xs break-all py-2 pr-4 align-top font-mono text-xs" data-testid="svc-public">{public.clone()}</td>
            <td class="py-2 pr-4 align-top font-mono text-xs">{id.clone()}</td>
            <td class="py-2 pr-4 align-top" data-testid="svc-status">{status_badge(&c.credential.status)}</td>
            <td class="py-2 pr-4 align-top tabular-nums">{fmt_utc(c.credential.created_at)}</td>
            {spec.expires().then(|| view! {
                <td class="py-2 pr-4 align-top tabular-nums" data-testid="svc-expiry">
                    {expiry.clone().unwrap_or_else(|| "never".to_owned())}
                    {c.expires_in_days.filter(|d| (0..=7).contains(d) && !expired).map(|_| view! { <span class="ml-1">{badge("Soon", "bg-amber-50 text-amber-800 ring-amber-200")}</span> })}
                </td>
            })}
            <td class="py-2 align-top">
                <div class="flex flex-col items-end gap-2">
                    {move || (hydrated.get() && !expired).then(|| view! {
                        <button type="button" class=SECONDARY on:click=reset.clone() data-testid="svc-reset"
                            disabled=move || actions.svc_reset.pending().get()>{format!("Reset {secret_word}")}</button>
                    })}
                    {(!expired).then(|| view! {
                        <ActionForm action=actions.svc_status>
                            <input type="hidden" name="service" value=spec.slug/>
                            <input type="hidden" name="credential_id" value=status_id.clone()/>
                            <input type="hidden" name="active" value=(!active).to_string()/>
                            <button type="submit" class=SECONDARY on:click=on_toggle.clone() data-testid="svc-toggle">
                                {if active { "Deactivate" } else { "Activate" }}
                            </button>
                        </ActionForm>
                    })}
                    <ActionForm action=actions.svc_delete attr:class="flex items-center gap-2">
                        <input type="hidden" name="service" value=spec.slug/>
                        <input type="hidden" name="credential_id" value=delete_id/>
                        <label class="sr-only" for=confirm_id.clone()>{format!("Type the {} to confirm", spec.public_label())}</label>
                        <input id=confirm_id name="confirm" required placeholder=format!("Type the {}", spec.public_label()) autocomplete="off"
                            class=format!("w-56 {SMALL_INPUT}") data-testid="svc-delete-confirm"/>
                        <button type="submit" class=DANGER data-testid="svc-delete">"Delete"</button>
                    </ActionForm>
                </div>
            </td>
        </tr>
    }
}

/// The one-time view of a generated or reset service credential, a dialog over the page (rendered by
/// the page, outside the sections that are re-rendered after each change).
#[component]
pub fn ServiceSecretDialog() -> impl IntoView {
    let actions = expect_context::<CredentialActions>();
    let OneTimeSecretState { shown, saved, current, done } =
        one_time_secret(actions.svc_create.value(), actions.svc_reset.value(), "The new secret has not been saved.", "secret");
    view! {
        {move || current().and_then(|(c, created)| {
            let spec = ServiceSpec::by_service_name(&c.credential.service_name)?;
            let public = c.credential.public_part().to_owned();
            // The IAM user is the part before `-at-` (user-name credentials) or before `+` (aliases).
            let base = public.split('+').next().unwrap_or(&public);
            let iam_user = base.rsplit_once("-at-").map_or(base, |(u, _)| u).to_owned();
            let (file, csv) = spec.csv(&iam_user, &public, &c.password);
            let secret = c.password.expose().to_owned();
            let (public_copy, secret_copy) = (public.clone(), secret.clone());
            let masked = "•".repeat(secret.chars().count().min(44));
            let (public_label, secret_label) = match spec.shape {
                CredentialShape::ApiKey => ("Alias", "Secret (the API key)"),
                CredentialShape::UserAndPassword => ("User name", "Password"),
            };
            let expiry = c.credential.expires_at.map(|at| format!("It expires on {} UTC.", fmt_utc(at)));
            Some(view! {
                <div class="fixed inset-0 z-30 flex items-center justify-center overflow-y-auto bg-slate-900/40 p-4">
                <div role="dialog" aria-modal="true" aria-labelledby="svc-secret-title" class="w-full max-w-2xl rounded-xl border-2 border-emerald-300 bg-emerald-50 p-5 shadow-xl" data-testid="svc-secret">
                    <h4 id="svc-secret-title" class="text-base font-semibold text-emerald-900">
                        {if created { format!("Your new {}", spec.noun) } else { format!("The new secret of your {}", spec.noun) }}
                    </h4>
                    <p class="mt-1 text-sm text-emerald-900">
                        {if created { "This is the only time the secret can be viewed or downloaded. Save it now." }
                         else { "The old one no longer works. This is the only time the new one can be viewed or downloaded." }}
                        {expiry.map(|e| format!(" {e}"))}
                    </p>
                    <dl class="mt-4 grid gap-3 text-sm">
                        <div class="flex flex-wrap items-center gap-2">
                            <dt class="w-40 font-medium">{public_label}</dt>
                            <dd class="flex min-w-0 flex-1 flex-wrap items-center gap-2"><span class="break-all font-mono" data-testid="svc-new-public">{public.clone()}</span>
                            <button type="button" class=SECONDARY on:click=move |_| { browser::copy(&public_copy); }>"Copy"</button>
                            </dd>
                        </div>
                        <div class="flex flex-wrap items-center gap-2">
                            <dt class="w-40 font-medium">{secret_label}</dt>
                            <dd class="flex min-w-0 flex-1 flex-wrap items-center gap-2"><span class="break-all font-mono" data-testid="svc-new-secret">
                                {let p = secret.clone(); move || if shown.get() { p.clone() } else { masked.clone() }}
                            </span>
                            <button type="button" class=SECONDARY aria-pressed=move || shown.get().to_string()
                                on:click=move |_| shown.update(|v| *v = !*v) data-testid="svc-show">{move || if shown.get() { "Hide" } else { "Show" }}</button>
                            <button type="button" class=SECONDARY on:click=move |_| { if browser::copy(&secret_copy) { saved.set(true); } }>"Copy"</button>
                            </dd>
                        </div>
                    </dl>
                    <p class="mt-3 text-xs text-emerald-950">{spec.help}</p>
                    <div class="mt-4 flex flex-wrap gap-2">
                        <button type="button" class=BUTTON data-testid="svc-download"
                            on:click=move |_| { if browser::download(&file, "text/csv", &csv) { saved.set(true); } }>"Download .csv"</button>
                        <button type="button" class=SECONDARY data-testid="svc-done" on:click=done autofocus>"Done"</button>
                    </div>
                </div>
                </div>
            })
        })}
    }
}
