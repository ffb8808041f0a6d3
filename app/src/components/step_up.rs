//! The step-up prompts: the password confirmation a sensitive action may ask for, as a dialog over the
//! page (actions replayed by themselves) or inline (the person repeats the action).

use super::kit::{BUTTON, INPUT};
use crate::api::access_keys::ConfirmPassword;
use leptos::form::ActionForm;
use leptos::prelude::*;

/// The identity provider's name when the viewer signed in through it: their step-up is a fresh sign-in
/// there, not a keydesk password.
fn provider_step_up() -> Option<String> {
    use_context::<crate::domain::Frame>()
        .filter(|f| f.signed_in_with == crate::domain::SignedInWith::Provider)
        .map(|f| f.sign_in.provider.unwrap_or_else(|| "your identity provider".into()))
}

/// The password a step-up asks for, by how the viewer signed in: keydesk's own, or the directory's.
pub fn own_password_name() -> &'static str {
    match use_context::<crate::domain::Frame>().map(|f| f.signed_in_with) {
        Some(crate::domain::SignedInWith::Directory) => "directory password",
        _ => "keydesk password",
    }
}

/// The link to a fresh sign-in at the provider that comes back to this page.
fn step_up_href() -> String {
    let here = super::location::current_address();
    format!("{}?return_to={}", crate::paths::IDP_STEP_UP_PATH, crate::domain::percent_encode(&here))
}

/// The explanation and the button of a step-up at the identity provider.
#[component]
fn ProviderStepUp(provider: String) -> impl IntoView {
    view! {
        <p class="mt-1 text-sm text-indigo-900">
            {format!("Changing credentials needs a recent sign-in. keydesk sends you to {provider} to sign in again, then brings you back to this page: repeat the action there.")}
        </p>
        <a href=step_up_href() rel="external" class=format!("{BUTTON} mt-3 inline-block") data-testid="idp-step-up">{format!("Sign in again with {provider}")}</a>
    }
}

/// The password confirmation every sensitive action may ask for, as a modal dialog over the page.
#[component]
pub fn ReauthPrompt(confirm: ServerAction<ConfirmPassword>) -> impl IntoView {
    let failed = move || matches!(confirm.value().get(), Some(Err(_)));
    if let Some(provider) = provider_step_up() {
        return view! {
            <div class="fixed inset-0 z-40 flex items-center justify-center bg-slate-900/40 p-4">
            <div role="dialog" aria-modal="true" aria-labelledby="reauth-title" class="w-full max-w-md rounded-lg border border-indigo-200 bg-indigo-50 p-5 shadow-xl" data-testid="reauth">
                <h3 id="reauth-title" class="text-sm font-semibold text-indigo-900">"Confirm it is you"</h3>
                <ProviderStepUp provider/>
            </div>
            </div>
        }
        .into_any();
    }
    view! {
        <div class="fixed inset-0 z-40 flex items-center justify-center bg-slate-900/40 p-4">
        <div role="dialog" aria-modal="true" aria-labelledby="reauth-title" class="w-full max-w-md rounded-lg border border-indigo-200 bg-indigo-50 p-5 shadow-xl" data-testid="reauth">
            <h3 id="reauth-title" class="text-sm font-semibold text-indigo-900">"Confirm your password"</h3>
            <p class="mt-1 text-sm text-indigo-900">{format!("Changing credentials needs a recent sign-in. Enter your {} to continue.", own_password_name())}</p>
            <ActionForm action=confirm attr:class="mt-3 flex flex-wrap items-end gap-2">
                <label class="text-sm">
                    <span class="sr-only">"Password"</span>
                    <input type="password" name="password" required autocomplete="current-password" class=INPUT autofocus/>
                </label>
                <button type="submit" class=BUTTON>"Confirm"</button>
            </ActionForm>
            {move || failed().then(|| view! { <p class="mt-2 text-sm text-red-700" role="alert">"That password is not correct."</p> })}
        </div>
        </div>
    }
    .into_any()
}

/// The password confirmation of a section drawn on the server, whose forms post and come back: shown
/// when one of them came back asking for it (`asks`), or when this confirmation itself was refused (it
/// posts with `?at=<place>`, and a refusal comes back with `open=<place>`). The person then repeats the
/// action: what they posted is not kept.
#[component]
pub fn SectionReauth(
    /// The section's id: the confirmation lands there.
    place: &'static str,
    asks: bool,
) -> impl IntoView {
    let refused = super::answer::use_answer().open == place
        && super::location::use_query_map().with_untracked(|q| q.get("__path")).is_some_and(|p| p.ends_with("/confirm_password"));
    if !(asks || refused) {
        return ().into_any();
    }
    if let Some(provider) = provider_step_up() {
        return view! {
            <div class="mb-4 rounded-lg border border-indigo-200 bg-indigo-50 p-4" data-testid="reauth"><ProviderStepUp provider/></div>
        }
        .into_any();
    }
    let action = super::answer::posts_to::<ConfirmPassword>(place);
    view! {
        <div class="mb-4 rounded-lg border border-indigo-200 bg-indigo-50 p-4" data-testid="reauth">
            <p class="text-sm text-indigo-900">{format!("Changing credentials needs a recent sign-in. Enter your {}, then repeat the action.", own_password_name())}</p>
            <form method="post" action=action class="mt-2 flex flex-wrap gap-2">
                <input type="password" name="password" required autocomplete="current-password" class=INPUT aria-label="Password" autofocus/>
                <button type="submit" class=BUTTON>"Confirm"</button>
            </form>
            {refused.then(|| view! { <p class="mt-2 text-sm text-red-700" role="alert">"That password is not correct."</p> })}
        </div>
    }
    .into_any()
}

/// The same confirmation inline, for pages whose actions are replayed by hand ("then repeat the
/// action"): shown while `asks` is true and the password has not been confirmed yet.
#[component]
pub fn InlineReauth(confirm: ServerAction<ConfirmPassword>, asks: Signal<bool>, message: &'static str) -> impl IntoView {
    let confirmed = move || matches!(confirm.value().get(), Some(Ok(())));
    let failed = move || matches!(confirm.value().get(), Some(Err(_)));
    if let Some(provider) = provider_step_up() {
        return view! {
            {move || asks.get().then(|| view! {
                <div class="my-4 rounded-lg border border-indigo-200 bg-indigo-50 p-4" data-testid="reauth">
                    <ProviderStepUp provider=provider.clone()/>
                </div>
            })}
        }
        .into_any();
    }
    view! {
        {move || (asks.get() && !confirmed()).then(|| view! {
            <div class="my-4 rounded-lg border border-indigo-200 bg-indigo-50 p-4" data-testid="reauth">
                <p class="text-sm text-indigo-900">{message}</p>
                <ActionForm action=confirm attr:class="mt-2 flex gap-2">
                    <input type="password" name="password" required autocomplete="current-password" class=INPUT aria-label="Password"/>
                    <button type="submit" class=BUTTON>"Confirm"</button>
                </ActionForm>
                {move || failed().then(|| view! { <p class="mt-2 text-sm text-red-700" role="alert">"That password is not correct."</p> })}
            </div>
        })}
        {move || confirmed().then(|| view! {
            <p class="my-4 text-sm text-emerald-800" role="status">"Password confirmed: repeat the action."</p>
        })}
    }
    .into_any()
}

/// The password prompt of a one-time page reached without JavaScript (a new access key, temporary
/// credentials): it posts the request's own fields (`hidden`) back to `action` with the password.
#[component]
pub fn NoJsPasswordPrompt(
    /// "create the key", "get the credentials": what the confirmation is for.
    what: &'static str,
    /// "Creating a key", "Issuing credentials": what needs the recent sign-in.
    needs: &'static str,
    action: &'static str,
    hidden: Vec<(&'static str, String)>,
    /// Where "Cancel" goes.
    back: &'static str,
    wrong: bool,
) -> impl IntoView {
    view! {
        <div class="rounded-lg border border-indigo-200 bg-indigo-50 p-4" data-testid="reauth">
            <h2 class="text-sm font-semibold text-indigo-900">{format!("Confirm your password to {what}")}</h2>
            <p class="mt-1 text-sm text-indigo-900">{format!("{needs} needs a recent sign-in. Enter your {} to continue.", own_password_name())}</p>
            <form method="post" action=action class="mt-3 flex flex-wrap items-end gap-2">
                {hidden.into_iter().map(|(name, value)| view! { <input type="hidden" name=name value=value/> }).collect_view()}
                <label class="text-sm">
                    <span class="sr-only">"Password"</span>
                    <input type="password" name="password" required autocomplete="current-password" class=INPUT autofocus/>
                </label>
                <button type="submit" class=BUTTON>{format!("Confirm and {what}")}</button>
                <a href=back class=super::kit::SECONDARY>"Cancel"</a>
            </form>
            {wrong.then(|| view! { <p class="mt-2 text-sm text-red-700" role="alert">"That password is not correct."</p> })}
        </div>
    }
}
