//! The sign-in page. A plain form posting to the `sign_in` server function, so it works before the WASM
//! loads and with JavaScript disabled; after hydration the "Show" toggle reveals the password.

use crate::api::auth::SignIn;
use crate::components::{use_session, ErrorView};
use crate::domain::Frame;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Redirect;

#[component]
pub fn SignInPage() -> impl IntoView {
    let session = use_session();
    let signed_in = move || {
        Suspend::new(
            async move { matches!(session.frame.await, Ok(Frame { viewer: Some(_), .. })).then(|| view! { <Redirect path="/"/> }) },
        )
    };
    // Created here, under the routes, so that a JavaScript-free post's error (`?__err=…`) is picked up.
    let sign_in = ServerAction::<SignIn>::new();
    let error = move || sign_in.value().get().and_then(Result::err);
    let show = RwSignal::new(false);
    let input = "mt-1 block w-full rounded-md border border-slate-300 bg-white px-3 py-2 text-sm shadow-sm placeholder:text-slate-400 focus:border-indigo-500 focus:outline-2 focus:outline-indigo-500";
    view! {
        <Title text="Sign in"/>
        <Transition fallback=|| ()>{signed_in}</Transition>
        <div class="flex min-h-screen items-center justify-center bg-slate-50 px-4">
            <div class="w-full max-w-sm">
                <div class="mb-8 text-center">
                    <span aria-hidden="true" class="inline-flex h-12 w-12 items-center justify-center rounded-xl bg-indigo-600 text-2xl font-bold text-white shadow">"k"</span>
                    <h1 class="mt-4 text-2xl font-semibold tracking-tight text-slate-900">"Sign in to keydesk"</h1>
                    <p class="mt-1 text-sm text-slate-600">"Manage your AWS IAM passwords, access keys and MFA."</p>
                </div>
                <div class="rounded-xl border border-slate-200 bg-white p-6 shadow-sm">
                    <ActionForm action=sign_in attr:class="space-y-4" attr:aria-label="Sign in">
                        <div>
                            <label for="username" class="block text-sm font-medium text-slate-700">"User name"</label>
                            <input id="username" name="username" type="text" required autocomplete="username"
                                autocapitalize="none" spellcheck="false" maxlength="64" class=input/>
                        </div>
                        <div>
                            <div class="flex items-center justify-between">
                                <label for="password" class="block text-sm font-medium text-slate-700">"Password"</label>
                                <button type="button" data-testid="toggle-password"
                                    class="rounded text-xs font-medium text-indigo-700 hover:underline focus-visible:outline-2 focus-visible:outline-indigo-600"
                                    aria-controls="password" aria-pressed=move || show.get().to_string()
                                    on:click=move |_| show.update(|s| *s = !*s)>
                                    {move || if show.get() { "Hide" } else { "Show" }}
                                </button>
                            </div>
                            <input id="password" name="password" required autocomplete="current-password"
                                maxlength="1024" class=input type=move || if show.get() { "text" } else { "password" }/>
                        </div>
                        {move || error().map(|error| view! { <ErrorView error/> })}
                        <button type="submit"
                            class="flex w-full justify-center rounded-md bg-indigo-600 px-3 py-2 text-sm font-semibold text-white shadow-sm hover:bg-indigo-500 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600 disabled:opacity-60"
                            disabled=move || sign_in.pending().get()>
                            {move || if sign_in.pending().get() { "Signing in…" } else { "Sign in" }}
                        </button>
                    </ActionForm>
                </div>
                <p class="mt-6 text-center text-xs text-slate-500">
                    "Your portal password is separate from your AWS console password."
                </p>
            </div>
        </div>
    }
}
