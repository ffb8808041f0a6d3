//! "Other service credentials" on "My security credentials": one block per service of the services
//! table (Amazon Keyspaces, Amazon Bedrock, CloudWatch Logs) with its help, its 2-per-service count, a
//! generate form (with the expiry of an API key), and each credential's status, expiry, reset,
//! activate/deactivate and delete. The secret is shown once, in a dialog owned by the page.

use super::access_keys::CredentialActions;
use super::codecommit::{newest_secret, reset_behind_confirm};
use crate::api::services::*;
use crate::components::answer::{posts_to, refusal, use_answer};
use crate::components::{badge, status_badge, typed_delete};
use crate::components::{status_button, status_form};
use crate::components::{ErrorView, OneTimeSecretDialog, SecretField, SectionReauth};
use crate::components::{BUTTON, INPUT, TH};
use crate::domain::services::{CredentialShape, ServiceSpec, PER_SERVICE};
use crate::domain::*;
use crate::error::AppError;
use leptos::prelude::*;

fn error_of<T: Clone + Send + Sync + 'static>(v: Option<Result<T, AppError>>) -> Option<AppError> {
    v.and_then(Result::err).filter(|e| *e != AppError::ReauthRequired)
}

/// The section, drawn on the server: each service's list, with its activate/deactivate and delete
/// forms posting with or without JavaScript (the page comes back with the answer, beside the service it
/// was for). Generating and resetting show a secret once, so they are islands ([`ServiceGenerate`],
/// [`ServiceReset`]); closing the secret's dialog loads the page anew with the change listed.
#[component]
pub fn ServiceCredentialsSection(creds: Result<Vec<ServiceCredentialView>, AppError>, max_days: u32) -> impl IntoView {
    let creds = match creds {
        Ok(c) => c,
        Err(error) => return view! { <ErrorView error/> }.into_any(),
    };
    let (status, delete) = (ServerAction::<SetServiceCredentialStatus>::new(), ServerAction::<DeleteServiceCredential>::new());
    let (asks, error) = refusal([status.value().get_untracked(), delete.value().get_untracked()]);
    // The refusal shows beside the service whose form was refused (`?at=svc-<slug>`).
    let open = use_answer().open;
    view! {
        <SectionReauth place="service-credentials" asks/>
        <div class="grid gap-8">
            {ServiceSpec::generic().map(|spec| {
                let mine: Vec<ServiceCredentialView> = creds.iter().filter(|c| c.credential.service_name == spec.service_name).cloned().collect();
                let error = error.clone().filter(|_| open == format!("svc-{}", spec.slug));
                view! { <ServiceBlock spec mine max_days error/> }
            }).collect_view()}
        </div>
    }
    .into_any()
}

#[component]
fn ServiceBlock(spec: &'static ServiceSpec, mine: Vec<ServiceCredentialView>, max_days: u32, error: Option<AppError>) -> impl IntoView {
    let slug = spec.slug;
    let used = mine.len();
    let full = used >= PER_SERVICE;
    let place = format!("svc-{slug}");
    let heading = format!("svc-{slug}-heading");
    let heading_ref = heading.clone();
    let generate = super::section_island(super::Part::ServiceGenerate { slug: slug.to_owned(), max_days, full });
    view! {
        <section id=place aria-labelledby=heading_ref data-testid=format!("svc-{slug}")>
            <h3 id=heading class="text-base font-semibold text-slate-900">{spec.label}</h3>
            <p class="mt-1 text-sm text-slate-600">{spec.help}" "
                <a href=spec.docs target="_blank" rel="noreferrer" class="text-indigo-700 underline">"AWS documentation"</a></p>
            {error.map(|error| view! { <div class="mt-3"><ErrorView error/></div> })}
            <div class="mt-3 flex flex-wrap items-end justify-between gap-3">
                <p class="text-sm text-slate-700" data-testid="svc-count">
                    {format!("{used} of {PER_SERVICE} {} used", spec.plural())}
                    {full.then(|| view! { <span class="text-slate-500">" — inactive and expired ones count too; delete one first."</span> })}
                </p>
                {generate}
            </div>
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
                                {mine.into_iter().map(|c| view! { <ServiceRow spec c/> }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                }.into_any()
            }}
        </section>
    }
}

/// A service's "Generate" form: the secret is shown once, so it needs JavaScript (it says so before).
#[component]
pub fn ServiceGenerate(slug: String, max_days: u32, full: bool) -> impl IntoView {
    let actions = expect_context::<CredentialActions>();
    let Some(spec) = ServiceSpec::by_slug(&slug) else { return ().into_any() };
    let hydrated = crate::components::use_hydrated();
    let days = RwSignal::new(max_days.min(30).to_string());
    let create_error = move || error_of(actions.svc_create().value().get());
    let generate = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let age_days = spec.expires().then(|| days.get_untracked());
        actions.svc_create().dispatch(CreateServiceCredential { service: spec.slug.to_owned(), age_days });
    };
    view! {
        <ServiceSecretDialog/>
        {move || if !hydrated.get() {
            view! { <p class="text-xs text-slate-500">"Generating or resetting needs JavaScript: the secret is shown once."</p> }.into_any()
        } else if full {
            ().into_any()
        } else {
            let days_id = format!("svc-{}-days", spec.slug);
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
                    <button type="submit" class=BUTTON data-testid="svc-generate" disabled=move || actions.svc_create().pending().get()>
                        {move || if actions.svc_create().pending().get() { "Generating…".to_owned() } else { format!("Generate {}", spec.noun) }}
                    </button>
                </form>
            }.into_any()
        }}
        {move || create_error().map(|error| view! { <div class="mt-3 w-full"><ErrorView error/></div> })}
    }
    .into_any()
}

/// A credential's "Reset": the new secret is shown once, so it needs JavaScript (absent before).
#[component]
pub fn ServiceReset(slug: String, id: String, public: String) -> impl IntoView {
    let actions = expect_context::<CredentialActions>();
    let Some(spec) = ServiceSpec::by_slug(&slug) else { return ().into_any() };
    let hydrated = crate::components::use_hydrated();
    let secret_word = if spec.expires() { "secret" } else { "password" };
    let consequence = format!("The current {secret_word} of {public} stops working at once; the new one is shown once.");
    let reset = Callback::new(move |()| {
        actions.svc_reset().dispatch(ResetServiceCredential { service: spec.slug.to_owned(), credential_id: id.clone() });
    });
    let reset_error = move || error_of(actions.svc_reset().value().get());
    let pending = actions.svc_reset().pending();
    view! {
        <ServiceSecretDialog/>
        {move || {
            let (label, words) = (format!("Reset {secret_word}"), format!("Reset the {secret_word}"));
            hydrated.get().then(|| reset_behind_confirm(label, words, consequence.clone(), "svc-reset", pending, reset))
        }}
        {move || reset_error().map(|error| view! { <div class="mt-2"><ErrorView error/></div> })}
    }
    .into_any()
}

#[component]
fn ServiceRow(spec: &'static ServiceSpec, c: ServiceCredentialView) -> impl IntoView {
    let id = c.credential.id.to_string();
    let public = c.credential.public_part().to_owned();
    let active = c.credential.status.is_active();
    let expired = c.credential.status == Status::Expired;
    let toggle_consequence = format!("Clients that use {public} stop working at once. You can reactivate it.");
    let confirm_id = format!("svc-confirm-{id}");
    let place = format!("svc-{}", spec.slug);
    let (status_action, delete_action) = (posts_to::<SetServiceCredentialStatus>(&place), posts_to::<DeleteServiceCredential>(&place));
    let reset = (!expired)
        .then(|| super::section_island(super::Part::ServiceReset { slug: spec.slug.to_owned(), id: id.clone(), public: public.clone() }));
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
                    {reset}
                    {(!expired).then(|| status_form(active, toggle_consequence, "svc-toggle", view! {
                        <form method="post" action=status_action>
                            <input type="hidden" name="service" value=spec.slug/>
                            <input type="hidden" name="credential_id" value=id.clone()/>
                            {status_button(active, "svc-toggle", "Deactivate it")}
                        </form>
                    }))}
                    <form method="post" action=delete_action class="flex items-center gap-2">
                        <input type="hidden" name="service" value=spec.slug/>
                        <input type="hidden" name="credential_id" value=id.clone()/>
                        {typed_delete(format!("the {}", spec.public_label()), confirm_id, "svc-delete-confirm", "svc-delete")}
                    </form>
                </div>
            </td>
        </tr>
    }
}

/// The one-time view of a generated or reset service credential, in the island that made it. Closing
/// it forgets the secret and loads the page anew, which lists the change.
#[component]
fn ServiceSecretDialog() -> impl IntoView {
    let actions = expect_context::<CredentialActions>();
    let (current, forget) = newest_secret(actions.svc_create().value(), actions.svc_reset().value());
    let forget = Callback::new(move |()| {
        forget.run(());
        crate::components::browser::show_answer(None, "service-credentials");
    });
    move || {
        current().and_then(|(c, created)| {
            let spec = ServiceSpec::by_service_name(&c.credential.service_name)?;
            let public = c.credential.public_part().to_owned();
            // The IAM user is the part before `-at-` (user-name credentials) or before `+` (aliases).
            let base = public.split('+').next().unwrap_or(&public);
            let iam_user = base.rsplit_once("-at-").map_or(base, |(u, _)| u).to_owned();
            let (file, csv) = spec.csv(&iam_user, &public, &c.password);
            let (public_label, secret_label) = match spec.shape {
                CredentialShape::ApiKey => ("Alias", "Secret (the API key)"),
                CredentialShape::UserAndPassword => ("User name", "Password"),
            };
            let fields = vec![
                SecretField { label: public_label, value: public, secret: false, testid: "svc-new-public" },
                SecretField { label: secret_label, value: c.password.expose().to_owned(), secret: true, testid: "svc-new-secret" },
            ];
            let title = if created { format!("Your new {}", spec.noun) } else { format!("The new secret of your {}", spec.noun) };
            let mut intro = if created {
                "This is the only time the secret can be viewed or downloaded. Save it now.".to_owned()
            } else {
                "The old one no longer works. This is the only time the new one can be viewed or downloaded.".to_owned()
            };
            if let Some(at) = c.credential.expires_at {
                intro.push_str(&format!(" It expires on {} UTC.", fmt_utc(at)));
            }
            Some(view! {
                <OneTimeSecretDialog title intro fields csv=(file, csv, "Download .csv") what="secret"
                    testid="svc-secret" prefix="svc" on_close=forget>
                    <p class="text-xs">{spec.help}</p>
                </OneTimeSecretDialog>
            })
        })
    }
}
