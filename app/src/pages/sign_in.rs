//! The sign-in pages. With an identity provider configured, its button is the front door (a plain link
//! to the server's `/auth/oidc/start`); keydesk's own password form is shown to everyone only when no
//! provider is configured, and otherwise to administrators on the break-glass page. The form posts to
//! the `sign_in` server function, so it works before the WASM loads and with JavaScript disabled; after
//! hydration the "Show" toggle reveals the password.

use crate::api::auth::{DirectorySignIn, SignIn};
use crate::components::{use_session, ErrorView};
use crate::domain::{Frame, LocalPasswords, SignInOptions};
use crate::pages::{Bundle, IslandScripts};
use crate::paths::{BREAK_GLASS_PATH, IDP_SIGN_IN_PATH, SIGN_IN_PATH};
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Redirect;

const PRIMARY: &str = "flex w-full justify-center rounded-md bg-indigo-600 px-3 py-2 text-sm font-semibold text-white shadow-sm hover:bg-indigo-500 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600 disabled:opacity-60";

/// The page frame of both sign-in pages: the mark, a heading, and a redirect home when signed in.
#[component]
fn SignInFrame(#[prop(into)] heading: String, #[prop(into)] lead: String, children: Children) -> impl IntoView {
    let session = use_session();
    let signed_in = move || {
        Suspend::new(
            async move { matches!(session.frame.await, Ok(Frame { viewer: Some(_), .. })).then(|| view! { <Redirect path="/"/> }) },
        )
    };
    view! {
        <Transition fallback=|| ()>{signed_in}</Transition>
        <div class="flex min-h-screen items-center justify-center bg-slate-50 px-4">
            <div class="w-full max-w-sm">
                <div class="mb-8 text-center">
                    <span aria-hidden="true" class="inline-flex h-12 w-12 items-center justify-center rounded-xl bg-indigo-600 text-2xl font-bold text-white shadow">"k"</span>
                    <h1 class="mt-4 text-2xl font-semibold tracking-tight text-slate-900">{heading}</h1>
                    <p class="mt-1 text-sm text-slate-600">{lead}</p>
                </div>
                {children()}
            </div>
        </div>
    }
}

/// The sign-in options from the frame; when the frame cannot be read, the password form alone.
fn with_options<V: IntoView + 'static>(f: impl Fn(SignInOptions) -> V + Send + Sync + Copy + 'static) -> impl IntoView {
    let session = use_session();
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let options = session.frame.await.map(|f| f.sign_in).unwrap_or_default();
                f(options)
            })}
        </Transition>
    }
}

#[component]
pub fn SignInPage() -> impl IntoView {
    view! {
        <Title text="Sign in"/>
        <SignInFrame heading="Sign in to keydesk" lead="Manage your AWS IAM passwords, access keys and MFA.">
            {with_options(|o: SignInOptions| {
                let provider = o.provider.clone();
                let form = o.local == LocalPasswords::Everyone && o.directory.is_none();
                view! {
                    <div class="rounded-xl border border-slate-200 bg-white p-6 shadow-sm">
                        {o.directory.clone().map(|name| view! {
                            <p class="mb-4 text-sm text-slate-700">{format!("Sign in with {name}: the user name and password you use at work.")}</p>
                            <IslandScripts bundle=Bundle::SignIn/><PasswordForm directory=true/>
                        })}
                        {provider.clone().map(|name| view! {
                            <a href=IDP_SIGN_IN_PATH rel="external" class=PRIMARY data-testid="idp-sign-in">
                                {format!("Sign in with {name}")}
                            </a>
                        })}
                        {(provider.is_some() && form).then(|| view! {
                            <p class="my-4 text-center text-xs uppercase tracking-wide text-slate-500">"or with a keydesk password"</p>
                        })}
                        {form.then(|| view! { <IslandScripts bundle=Bundle::SignIn/><PasswordForm directory=false/> })}
                        {(o.local == LocalPasswords::Off && provider.is_none() && o.directory.is_none()).then(|| view! {
                            <p class="text-sm text-slate-700">"Sign-in is not configured. Ask your administrator."</p>
                        })}
                    </div>
                    {form.then(|| view! {
                        <p class="mt-6 text-center text-xs text-slate-500">"Your portal password is separate from your AWS console password."</p>
                    })}
                    {(o.local == LocalPasswords::BreakGlass).then(|| view! {
                        <p class="mt-6 text-center text-xs text-slate-500">
                            {if o.directory.is_some() { "Administrator, and the directory is down? " } else { "Administrator, and your identity provider is down? " }}
                            <a href=BREAK_GLASS_PATH class="font-medium text-indigo-700 underline hover:text-indigo-600" data-testid="break-glass-link">"Break-glass sign-in"</a>
                        </p>
                    })}
                }
            })}
        </SignInFrame>
    }
}

/// Administrators' sign-in with a keydesk password while the identity provider is the front door.
#[component]
pub fn BreakGlassSignInPage() -> impl IntoView {
    view! {
        <Title text="Break-glass sign-in"/>
        <SignInFrame heading="Break-glass sign-in" lead="For administrators, when the identity provider cannot sign them in.">
            {with_options(|o: SignInOptions| match o.local {
                LocalPasswords::Off => view! {
                    <div class="rounded-xl border border-slate-200 bg-white p-6 text-sm text-slate-700 shadow-sm">
                        "Sign-in with keydesk passwords is turned off here. "
                        <a href=SIGN_IN_PATH class="font-medium text-indigo-700 underline">"Back to sign-in"</a>
                    </div>
                }.into_any(),
                _ => view! {
                    <div class="rounded-xl border border-slate-200 bg-white p-6 shadow-sm">
                        {(o.local == LocalPasswords::BreakGlass).then(|| view! {
                            <p class="mb-4 rounded-md border border-amber-300 bg-amber-50 p-3 text-sm text-amber-900" data-testid="break-glass-warning">
                                "Only administrators can sign in here. Every break-glass sign-in is recorded and shown to every administrator."
                            </p>
                        })}
                        <IslandScripts bundle=Bundle::SignIn/><PasswordForm directory=false/>
                    </div>
                    <p class="mt-6 text-center text-xs text-slate-500">
                        <a href=SIGN_IN_PATH class="font-medium text-indigo-700 underline hover:text-indigo-600">"Back to sign-in"</a>
                    </p>
                }.into_any(),
            })}
        </SignInFrame>
    }
}

/// User name and password, posted to the `sign_in` server function (a keydesk password) or, with
/// `directory`, to `directory_sign_in` (the company directory's).
#[cfg_attr(any(feature = "ssr", feature = "islands-sign-in"), island)]
#[cfg_attr(not(any(feature = "ssr", feature = "islands-sign-in")), component)]
fn PasswordForm(directory: bool) -> impl IntoView {
    // Created here, under the routes, so that a JavaScript-free post's error (`?__err=…`) is picked up.
    if directory {
        let action = ServerAction::<DirectorySignIn>::new();
        let (pending, error) = (action.pending(), Signal::derive(move || action.value().get().and_then(Result::err)));
        view! { <ActionForm action attr:class="space-y-4" attr:aria-label="Sign in"><PasswordFields pending error/></ActionForm> }
            .into_any()
    } else {
        let action = ServerAction::<SignIn>::new();
        let (pending, error) = (action.pending(), Signal::derive(move || action.value().get().and_then(Result::err)));
        view! { <ActionForm action attr:class="space-y-4" attr:aria-label="Sign in"><PasswordFields pending error/></ActionForm> }
            .into_any()
    }
}

/// The fields and the button of a sign-in form; after hydration "Show" reveals the password.
#[component]
fn PasswordFields(pending: Memo<bool>, error: Signal<Option<crate::error::AppError>>) -> impl IntoView {
    let show = RwSignal::new(false);
    let input = "mt-1 block w-full rounded-md border border-slate-300 bg-white px-3 py-2 text-sm shadow-sm placeholder:text-slate-400 focus:border-indigo-500 focus:outline-2 focus:outline-indigo-500";
    view! {
        <div>
            <label for="username" class="block text-sm font-medium text-slate-700">"User name"</label>
            <input id="username" name="username" type="text" required autocomplete="username"
                autocapitalize="none" spellcheck="false" maxlength="256" class=input/>
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
        {move || error.get().map(|error| view! { <ErrorView error/> })}
        <button type="submit" class=PRIMARY disabled=move || pending.get()>
            {move || if pending.get() { "Signing in…" } else { "Sign in" }}
        </button>
    }
}
