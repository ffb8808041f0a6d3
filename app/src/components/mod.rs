//! Building blocks shared by the pages: the layout frame (header, navigation, demo badge), the access
//! gate that redirects anonymous visitors and refuses the wrong role, and the error view.

pub mod answer;
pub mod browser;
mod confirm;
mod error_view;
pub mod kit;
mod layout;
pub mod location;
mod secret_dialog;
mod step_up;

pub use confirm::Confirm;
pub use error_view::ErrorView;
pub use kit::{badge, status_badge, status_button, status_form, typed_delete, BUTTON, DANGER, INPUT, SECONDARY, TH};
pub use secret_dialog::{OneTimeSecretDialog, SecretField, SecretSnippet, Snippet};
pub use step_up::{own_password_name, InlineReauth, NoJsPasswordPrompt, ReauthPrompt, SectionReauth};

use leptos::prelude::*;

/// Whether this part runs in the browser yet: false when drawn on the server and until it is hydrated,
/// then true (effects run only in the browser). What needs JavaScript is offered only once it works.
pub fn use_hydrated() -> ReadSignal<bool> {
    let (hydrated, set) = signal(false);
    Effect::new(move |_| set.set(true));
    hydrated
}

/// A Copy button that says "Copied" — also to screen readers — once `text` is on the clipboard, and
/// then runs `on_copied`. Rendered only once the page is hydrated: without JavaScript it could not copy.
#[component]
pub fn CopyButton(
    #[prop(into)] text: Signal<String>,
    #[prop(into)] label: String,
    #[prop(optional)] on_copied: Option<Callback<()>>,
) -> impl IntoView {
    let hydrated = use_hydrated();
    let copied = RwSignal::new(false);
    let copy = move |_| {
        if browser::copy(&text.get_untracked()) {
            copied.set(true);
            if let Some(done) = on_copied {
                done.run(());
            }
            set_timeout(move || _ = copied.try_set(false), std::time::Duration::from_secs(2));
        }
    };
    move || {
        hydrated.get().then(|| {
            view! {
                <button type="button" on:click=copy aria-label=label.clone() data-testid="copy"
                    class="rounded-md border border-slate-300 bg-white px-2.5 py-1 text-xs font-medium text-slate-700 shadow-sm hover:bg-slate-50">
                    {move || if copied.get() { "Copied" } else { "Copy" }}
                </button>
                <span class="sr-only" role="status" aria-live="polite">{move || copied.get().then_some("Copied to the clipboard")}</span>
            }
        })
    }
}

/// Text whose `backticked` parts are commands or names: those become `<code>`, the rest stays text.
pub fn code_spans(text: &str) -> impl IntoView {
    text.split('`')
        .enumerate()
        .map(|(i, part)| {
            let part = part.to_owned();
            if i % 2 == 1 {
                view! { <code class="rounded bg-slate-100 px-1 font-mono text-[0.9em] text-slate-800">{part}</code> }.into_any()
            } else {
                part.into_any()
            }
        })
        .collect_view()
}
pub use layout::{gate_frame, set_status, use_session, Gate, ManagedNotice, SectionCard, SessionCtx, Shell};
