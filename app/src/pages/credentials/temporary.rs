//! "Temporary credentials": the work roles a person may use, and a session of one in every format
//! people paste — shown once in the one-time dialog, with its expiry counting down. Also shown to
//! people with no IAM user, for whom it is the whole page's offer.

use crate::api::access_keys::ConfirmPassword;
use crate::api::temporary::IssueTemporaryCredentials;
use crate::components::{
    ErrorView, InlineReauth, NoJsPasswordPrompt, OneTimeSecretDialog, SecretField, SecretSnippet, SectionCard, BUTTON, INPUT,
};
use crate::components::{Snippet, SECONDARY};
use crate::domain::fmt_utc;
use crate::domain::temporary::{formats, human_duration, IssuedSession, MyWorkRoles, SsoSetup, WorkRoleOffer};
use crate::error::AppError;
use crate::paths::NEW_TEMPORARY_PATH;
use leptos::prelude::*;
use time::OffsetDateTime;

/// The duration offered first: an hour when the role allows it, else its longest.
fn default_duration(durations: &[u32]) -> u32 {
    if durations.contains(&3600) {
        3600
    } else {
        durations.last().copied().unwrap_or(900)
    }
}

/// The names of the roles the person may use, for the access-key wizard's "temporary credentials
/// instead" (provided by the access-key section's island; read once per page, on the server).
#[derive(Clone, Debug, Default)]
pub struct Instead(pub Vec<String>);

/// Where the access-key wizard points people who could use temporary credentials instead: the roles
/// they may use, linked to the section (nothing when they may use none).
#[component]
pub fn TemporaryInstead() -> impl IntoView {
    let names = use_context::<Instead>().map(|Instead(names)| names).unwrap_or_default();
    (!names.is_empty()).then(|| view! {
        <p class="mt-2 rounded-md bg-emerald-50 px-3 py-2 text-sm text-emerald-900 ring-1 ring-emerald-200" data-testid="temporary-instead">
            "Safest here: temporary credentials instead of a key. You may use "{names.join(", ")}" — "
            <a href="#temporary-credentials" class="font-medium underline">"get temporary credentials"</a>
            " for as long as the task needs (up to each role's limit), in the shell, credentials-file or credential_process format, with nothing to leak or rotate."
        </p>
    })
}

/// The section, for the roles the person may use (the credentials page shows it when there is one).
#[component]
pub fn TemporaryCredentialsSection(roles: MyWorkRoles) -> impl IntoView {
    let issue = ServerAction::<IssueTemporaryCredentials>::new();
    // The last request, for "get new ones for the same role" (the reason included: the same task).
    let last = StoredValue::new(None::<IssueTemporaryCredentials>);
    let confirm = ServerAction::<ConfirmPassword>::new();
    let asks = Signal::derive(move || matches!(issue.value().get(), Some(Err(AppError::ReauthRequired))));
    let error = move || issue.value().get().and_then(Result::err).filter(|e| *e != AppError::ReauthRequired);
    let MyWorkRoles { offers: list, identity_center: sso } = roles;
    view! {
        <IssuedDialog issue last/>
        <SectionCard id="temporary-credentials" title="Temporary credentials"
            subtitle="Short-lived credentials for the AWS roles you may use: nothing long-term to leak or rotate. Prefer them to access keys for the CLI and code on your machine.">
            <InlineReauth confirm asks message="Issuing credentials needs a recent sign-in. Confirm your password, then ask again."/>
            {move || error().map(|error| view! { <div class="mb-3"><ErrorView error/></div> })}
            {list.iter().any(|o| o.chained).then(|| view! {
                <p class="mb-3 text-sm text-slate-600" data-testid="chained-note">
                    "keydesk itself runs on an AWS role, so AWS limits these sessions to one hour (role chaining)."
                </p>
            })}
            <ul class="divide-y divide-slate-100" data-testid="work-roles">
                {list.into_iter().map(|offer| view! { <OfferRow offer issue last/> }).collect_view()}
            </ul>
            {sso.map(|setup| view! { <IdentityCenterSetup setup/> })}
        </SectionCard>
    }
}

/// The `~/.aws/config` blocks `aws configure sso` would write for the person's roles, and the sign-in
/// command: the AWS CLI then fetches and renews such credentials itself.
#[component]
fn IdentityCenterSetup(setup: SsoSetup) -> impl IntoView {
    let SsoSetup { config, login, profiles } = setup;
    view! {
        <details class="mt-4 rounded-lg border border-slate-200 p-4" data-testid="sso-setup">
            <summary class="cursor-pointer text-sm font-medium text-slate-900">"Or let the AWS CLI get them itself: IAM Identity Center"</summary>
            <div class="mt-3 grid gap-3 text-sm text-slate-700">
                <p>"Add these lines to "<code>"~/.aws/config"</code>" (what "<code>"aws configure sso"</code>" would write), sign in once with the command below, then use "
                    <code>{format!("--profile {}", profiles.join(" / "))}</code>". The CLI renews the credentials while your Identity Center sign-in lasts: nothing to paste again."</p>
                <Snippet title="~/.aws/config" text=config caption="text-slate-700" testid="sso-config"/>
                <Snippet title="Sign in" text=login caption="text-slate-700" testid="sso-login"/>
            </div>
        </details>
    }
}

#[component]
fn OfferRow(
    offer: WorkRoleOffer,
    issue: ServerAction<IssueTemporaryCredentials>,
    last: StoredValue<Option<IssueTemporaryCredentials>>,
) -> impl IntoView {
    let chosen = default_duration(&offer.durations);
    let select_id = format!("duration-{}", offer.id);
    let reason_id = format!("reason-{}", offer.id);
    let (select_for, reason_for) = (select_id.clone(), reason_id.clone());
    let WorkRoleOffer { id, display_name, account_alias, role_arn, durations, sensitive, .. } = offer;
    let options =
        durations.iter().map(|d| view! { <option value=d.to_string() selected=*d == chosen>{human_duration(*d)}</option> }).collect_view();
    let alias = (!account_alias.is_empty())
        .then(|| view! { <span class="ml-2 rounded bg-slate-100 px-1.5 py-0.5 text-xs font-normal text-slate-600">{account_alias}</span> });
    let data_role = id.clone();
    // With JavaScript the form runs the server action and the session stays in this page's memory.
    // Without it the browser posts to NEW_TEMPORARY_PATH, which answers with the one-time page itself.
    let submit = move |ev: leptos::ev::SubmitEvent| {
        use leptos::form::FromFormData;
        ev.prevent_default();
        if let Ok(input) = IssueTemporaryCredentials::from_event(&ev) {
            last.set_value(Some(input.clone()));
            issue.dispatch(input);
        }
    };
    view! {
        <li class="grid gap-3 py-4 md:grid-cols-[1fr_auto] md:items-end" data-testid="work-role" data-role=data_role>
            <div>
                <p class="font-medium text-slate-900">{display_name}
                    {alias}
                    {sensitive.then(|| view! { <span class="ml-2 rounded bg-amber-100 px-1.5 py-0.5 text-xs font-normal text-amber-900">"asks for a reason"</span> })}
                </p>
                <p class="mt-0.5 break-all font-mono text-xs text-slate-500">{role_arn}</p>
            </div>
            <form method="post" action=NEW_TEMPORARY_PATH class="flex flex-wrap items-end gap-2" on:submit=submit>
                <input type="hidden" name="role" value=id/>
                <label class="text-xs font-medium text-slate-700" for=select_for>"For"
                    <select id=select_id name="duration_secs" class=format!("mt-1 block {INPUT}") data-testid="work-role-duration">
                        {options}
                    </select>
                </label>
                {sensitive.then(|| view! {
                    <label class="text-xs font-medium text-slate-700" for=reason_for.clone()>"Reason"
                        <input id=reason_id.clone() name="reason" required minlength="4" maxlength="500" placeholder="e.g. ticket 4711"
                            class=format!("mt-1 block w-56 {INPUT}") data-testid="work-role-reason"/>
                    </label>
                })}
                <button type="submit" class=BUTTON data-testid="work-role-issue" disabled=move || issue.pending().get()>
                    {move || if issue.pending().get() { "Issuing…" } else { "Get credentials" }}
                </button>
            </form>
        </li>
    }
}

/// The one-time view of an issued session; closing it forgets the session. The credentials-file block
/// follows the profile name the person types.
#[component]
fn IssuedDialog(issue: ServerAction<IssueTemporaryCredentials>, last: StoredValue<Option<IssueTemporaryCredentials>>) -> impl IntoView {
    let forget = Callback::new(move |()| issue.value().set(None));
    // New credentials for the same role: this view closes (its secret forgotten), the next one opens.
    let again = move |_| {
        if let Some(input) = last.get_value() {
            issue.value().set(None);
            issue.dispatch(input);
        }
    };
    move || {
        issue.value().get().and_then(Result::ok).map(|s: IssuedSession| {
            let c = s.credentials.clone();
            let profile = RwSignal::new(format!("keydesk-{}", s.role.id));
            let f = formats(&c, &profile.get_untracked());
            let credentials_file = Signal::derive(move || formats(&c, &profile.get()).credentials_file);
            let c = &s.credentials;
            let fields = vec![
                SecretField { label: "Access key ID", value: c.access_key_id.clone(), secret: false, testid: "temp-key-id" },
                SecretField { label: "Secret access key", value: c.secret_access_key.expose().to_owned(), secret: true, testid: "temp-secret" },
                SecretField { label: "Session token", value: c.session_token.expose().to_owned(), secret: true, testid: "temp-token" },
            ];
            let snippets = vec![
                SecretSnippet { title: "bash / zsh", text: f.posix.into(), holds_secret: true },
                SecretSnippet { title: "fish", text: f.fish.into(), holds_secret: true },
                SecretSnippet { title: "PowerShell", text: f.powershell.into(), holds_secret: true },
                SecretSnippet { title: "Windows (cmd.exe)", text: f.windows.into(), holds_secret: true },
                SecretSnippet { title: "~/.aws/credentials", text: credentials_file, holds_secret: true },
                SecretSnippet { title: "credential_process (JSON)", text: f.process_json.into(), holds_secret: true },
            ];
            let title = format!("{} for {}", s.role.display_name, human_duration(s.duration_secs));
            let intro = format!(
                "Temporary credentials of {} as {}. This is the only time they can be viewed: keydesk does not keep them.",
                s.role.role_arn,
                c.assumed_role_arn.rsplit('/').next().unwrap_or_default()
            );
            let expiration = c.expiration;
            view! {
                <OneTimeSecretDialog title intro fields snippets what="session token" testid="temp-secret-view" prefix="temp" on_close=forget>
                    <Expiry at=expiration/>
                    <div class="mt-3 flex flex-wrap items-end gap-3">
                        <label class="text-xs font-medium text-emerald-950">"Profile name in ~/.aws/credentials"
                            <input class=format!("mt-1 block w-56 {INPUT}") data-testid="temp-profile" spellcheck="false" autocomplete="off"
                                prop:value=move || profile.get() on:input=move |ev| profile.set(event_target_value(&ev))/>
                        </label>
                        <p class="text-xs">"Use it with "<code>{move || format!("aws --profile {}", crate::domain::export::profile_name(&profile.get()))}</code>"."</p>
                    </div>
                    <button type="button" class=format!("{SECONDARY} mt-3") on:click=again data-testid="temp-again">
                        "Get new ones for the same role"
                    </button>
                </OneTimeSecretDialog>
            }
        })
    }
}

/// The expiry in UTC and local time, and the time left, updated every 15 seconds; a warning in the
/// last ten minutes.
#[component]
fn Expiry(at: OffsetDateTime) -> impl IntoView {
    let now = RwSignal::new(None::<i64>);
    #[cfg(feature = "hydrate")]
    {
        let read = move || now.set(Some((js_sys::Date::now() / 1000.0) as i64));
        read();
        if let Ok(handle) = set_interval_with_handle(read, std::time::Duration::from_secs(15)) {
            on_cleanup(move || handle.clear());
        }
    }
    let local = local_time(at);
    let left = move || now.get().map(|n| at.unix_timestamp() - n);
    view! {
        <p data-testid="temp-expiry">
            {format!("Expires {} UTC", fmt_utc(at))}
            {local.map(|l| format!(" ({l} your time)"))}
            {move || left().map(|s| match s {
                s if s <= 0 => " — expired: issue new ones.".to_owned(),
                s => format!(" — in {}.", human_duration(((s + 59) / 60 * 60) as u32)),
            })}
        </p>
        {move || left().filter(|s| *s > 0 && *s <= 600).map(|_| view! {
            <p class="mt-1 font-medium text-amber-800" role="status" data-testid="temp-expiry-warning">
                "These credentials expire within ten minutes: get new ones for the same role when you need them."
            </p>
        })}
    }
}

/// `at` in the browser's own time zone (`None` on the server, which does not know it).
fn local_time(at: OffsetDateTime) -> Option<String> {
    #[cfg(feature = "hydrate")]
    {
        let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(at.unix_timestamp() as f64 * 1000.0));
        Some(String::from(d.to_locale_string("default", &wasm_bindgen::JsValue::UNDEFINED)))
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = at;
        None
    }
}

/// The outcome of an issuance posted without JavaScript, provided as context by the server's handler.
#[derive(Clone, Debug)]
pub enum NoJsIssue {
    Issued(Box<IssuedSession>),
    /// The step-up window has passed (or the password was wrong): ask for it, keeping the request.
    NeedsPassword {
        role: String,
        duration_secs: u32,
        reason: Option<String>,
        wrong: bool,
    },
    Failed(AppError),
}

/// The one-time page of temporary credentials issued without JavaScript (a GET has nothing to show:
/// nothing was kept).
#[component]
pub fn NewTemporaryPage() -> impl IntoView {
    let outcome = use_context::<NoJsIssue>();
    view! {
        <leptos_meta::Title text="Temporary credentials"/>
        <crate::components::Shell>
            <crate::components::Gate>
                <h1 class="text-2xl font-semibold tracking-tight">"Temporary credentials"</h1>
                <div class="mt-6 max-w-3xl">{match outcome.clone() {
                    None => view! {
                        <p class="rounded-md bg-slate-100 px-3 py-2 text-sm text-slate-700" data-testid="secret-gone">
                            "Nothing to show: temporary credentials are shown once, in the answer to the request that issued them, and keydesk never keeps them. Get new ones from your credentials page."
                        </p>
                        <a href="/#temporary-credentials" class="mt-4 inline-block text-sm text-indigo-700 underline">"Back to my credentials"</a>
                    }.into_any(),
                    Some(NoJsIssue::Issued(s)) => view! { <StaticSession s=*s/> }.into_any(),
                    Some(NoJsIssue::NeedsPassword { role, duration_secs, reason, wrong }) => {
                        let mut hidden = vec![("role", role), ("duration_secs", duration_secs.to_string())];
                        hidden.extend(reason.map(|r| ("reason", r)));
                        view! {
                            <NoJsPasswordPrompt what="get the credentials" needs="Issuing credentials" action=NEW_TEMPORARY_PATH hidden
                                back="/#temporary-credentials" wrong/>
                        }.into_any()
                    }
                    Some(NoJsIssue::Failed(error)) => view! {
                        <ErrorView error/>
                        <a href="/#temporary-credentials" class="mt-4 inline-block text-sm text-indigo-700 underline">"Back to my credentials"</a>
                    }.into_any(),
                }}</div>
            </crate::components::Gate>
        </crate::components::Shell>
    }
}

/// The one-time view without JavaScript: `<details>` reveal the secret, the token and the formats.
#[component]
fn StaticSession(s: IssuedSession) -> impl IntoView {
    let c = s.credentials.clone();
    let profile = format!("keydesk-{}", s.role.id);
    let f = formats(&c, &profile);
    let secret = |label: &'static str, value: String, testid: &'static str| {
        view! {
            <div class="flex flex-wrap gap-2"><dt class="w-40 font-medium">{label}</dt>
                <dd class="min-w-0 flex-1"><details><summary class="cursor-pointer text-indigo-700 underline">"Show"</summary>
                    <span class="break-all font-mono" data-testid=testid>{value}</span></details></dd></div>
        }
    };
    view! {
        <div role="region" aria-label="Temporary credentials" class="rounded-xl border-2 border-emerald-300 bg-emerald-50 p-5" data-testid="temp-secret-view">
            <h2 class="text-base font-semibold text-emerald-900">{format!("{} for {}", s.role.display_name, human_duration(s.duration_secs))}</h2>
            <p class="mt-1 text-sm text-emerald-900">"This is the only time these credentials can be viewed: keydesk does not keep them, and reloading this page would not show them again."</p>
            <dl class="mt-4 grid gap-3 text-sm">
                <div class="flex flex-wrap gap-2"><dt class="w-40 font-medium">"Access key ID"</dt><dd class="font-mono" data-testid="temp-key-id">{c.access_key_id.clone()}</dd></div>
                {secret("Secret access key", c.secret_access_key.expose().to_owned(), "temp-secret")}
                {secret("Session token", c.session_token.expose().to_owned(), "temp-token")}
            </dl>
            <p class="mt-3 text-sm text-emerald-950" data-testid="temp-expiry">{format!("Expires {} UTC.", fmt_utc(c.expiration))}</p>
            <details class="mt-4"><summary class="cursor-pointer text-sm font-medium text-emerald-900">"Ready-to-paste formats"</summary>
                <div class="mt-3 grid gap-3">
                    <Snippet title="bash / zsh" text=f.posix/>
                    <Snippet title="fish" text=f.fish/>
                    <Snippet title="PowerShell" text=f.powershell/>
                    <Snippet title="Windows (cmd.exe)" text=f.windows/>
                    <Snippet title="~/.aws/credentials" text=f.credentials_file/>
                    <Snippet title="credential_process (JSON)" text=f.process_json/>
                </div>
            </details>
            <div class="mt-4 flex flex-wrap items-end gap-3">
                <a href="/#temporary-credentials" class=BUTTON data-testid="close-secret">"Done — back to my credentials"</a>
                <form method="post" action=NEW_TEMPORARY_PATH class="flex flex-wrap items-end gap-2" data-testid="temp-again-form">
                    <input type="hidden" name="role" value=s.role.id.clone()/>
                    <input type="hidden" name="duration_secs" value=s.duration_secs.to_string()/>
                    {s.role.sensitive.then(|| view! {
                        <label class="text-xs font-medium text-emerald-950">"Reason"
                            <input name="reason" required minlength="4" maxlength="500" class=format!("mt-1 block w-56 {INPUT}")/>
                        </label>
                    })}
                    <button type="submit" class=SECONDARY data-testid="temp-again">"Get new ones for the same role"</button>
                </form>
            </div>
        </div>
    }
}
