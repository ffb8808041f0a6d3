//! The one way keydesk shows a one-time secret (an access key, a Git password, a service credential):
//! a modal `<dialog>` (the rest of the page is inert, so focus stays inside), each value alone with its
//! Copy button, the secret masked until "Show", ready-to-paste snippets each with Copy, the console's
//! .csv, and "Done". Esc means "Done". Closing before the secret was copied or downloaded asks inside
//! the dialog, not through the browser's `confirm()`; leaving the page meanwhile asks too.
//!
//! The dialog exists only with JavaScript (the secrets it shows are answers to server actions); the
//! no-JavaScript one-time page of an access key is `pages::access_keys::NewKeyPage`.

use super::CopyButton;
use leptos::prelude::*;

/// One value of the dialog: the public part (an id, a user name) or the secret itself.
#[derive(Clone)]
pub struct SecretField {
    pub label: &'static str,
    pub value: String,
    /// Masked until "Show"; copying it counts as saving it.
    pub secret: bool,
    pub testid: &'static str,
}

/// A ready-to-paste block: its title is a command or a path, shown as written.
#[derive(Clone)]
pub struct SecretSnippet {
    pub title: &'static str,
    /// The block's text (it may follow a field of the dialog, such as a profile name).
    pub text: Signal<String>,
    /// The block holds the secret: it shows only with the secret, and copying it counts as saving it.
    pub holds_secret: bool,
}

#[component]
pub fn OneTimeSecretDialog(
    #[prop(into)] title: String,
    #[prop(into)] intro: String,
    fields: Vec<SecretField>,
    /// The .csv file the AWS console offers (its name and contents) and its button's words, if any.
    #[prop(optional)]
    csv: Option<(String, String, &'static str)>,
    #[prop(optional)] snippets: Vec<SecretSnippet>,
    /// What the warnings call the secret: "secret access key", "password".
    what: &'static str,
    /// The dialog's data-testid; its buttons are `<prefix>-show`, `<prefix>-download`, `<prefix>-done`.
    /// What the warnings call the secret is `what`.
    testid: &'static str,
    prefix: &'static str,
    /// Called once the person is done with the secret; the caller forgets it.
    on_close: Callback<()>,
    #[prop(optional)] children: Option<Children>,
) -> impl IntoView {
    let dialog = NodeRef::<leptos::html::Dialog>::new();
    let shown = RwSignal::new(false);
    let saved = RwSignal::new(false);
    let asking = RwSignal::new(false);
    let (title_id, labelled_by) = (format!("{testid}-title"), format!("{testid}-title"));
    // Open as a modal once mounted: the browser makes the rest of the page inert and traps focus.
    Effect::new(move |_| {
        #[cfg(feature = "hydrate")]
        if let Some(d) = dialog.get() {
            if !d.open() {
                let _ = d.show_modal();
            }
        }
    });
    #[cfg(feature = "hydrate")]
    {
        let guard = window_event_listener(leptos::ev::beforeunload, move |ev: web_sys::BeforeUnloadEvent| {
            if !saved.get_untracked() {
                ev.prevent_default();
                ev.set_return_value(&format!("The {what} has not been saved."));
            }
        });
        on_cleanup(move || guard.remove());
    }
    let finish = move || {
        #[cfg(feature = "hydrate")]
        if let Some(d) = dialog.get_untracked() {
            d.close();
        }
        on_close.run(());
    };
    let done = move || {
        if saved.get_untracked() {
            finish();
        } else {
            asking.set(true);
        }
    };
    // Esc fires `cancel`: treat it as "Done" (which asks first when the secret was not saved).
    let on_cancel = move |ev: leptos::ev::Event| {
        ev.prevent_default();
        done();
    };
    // Tab and Shift+Tab wrap around inside the dialog. A modal dialog makes the page behind it inert,
    // but Tab past its last control would leave the document (to the browser's own controls).
    let on_key = move |_ev: leptos::ev::KeyboardEvent| {
        #[cfg(feature = "hydrate")]
        if _ev.key() == "Tab" {
            if let Some(d) = dialog.get_untracked() {
                wrap_focus(&d, &_ev);
            }
        }
    };
    let mark_saved = Callback::new(move |()| {
        saved.set(true);
        asking.set(false);
    });
    let masked_len = fields.iter().find(|f| f.secret).map_or(40, |f| f.value.chars().count().min(44));
    view! {
        <dialog node_ref=dialog aria-labelledby=labelled_by on:cancel=on_cancel on:keydown=on_key data-testid=testid
            class="m-auto max-h-[calc(100%-2rem)] w-[calc(100%-2rem)] max-w-2xl overflow-y-auto rounded-xl border-2 border-emerald-300 bg-emerald-50 p-5 text-left shadow-xl backdrop:bg-slate-900/40">
            <h2 id=title_id class="text-base font-semibold text-emerald-900">{title}</h2>
            <p class="mt-1 text-sm text-emerald-900">{intro}</p>
            <dl class="mt-4 grid gap-3 text-sm">
                {fields.into_iter().map(|f| {
                    let SecretField { label, value, secret, testid } = f;
                    let copy_label = format!("Copy the {}", label.to_lowercase());
                    let shown_value = value.clone();
                    let masked = "•".repeat(masked_len);
                    view! {
                        <div class="flex flex-wrap items-center gap-2">
                            <dt class="w-40 font-medium">{label}</dt>
                            <dd class="flex min-w-0 flex-1 flex-wrap items-center gap-2">
                                <span class="min-w-0 break-all font-mono" data-testid=testid>
                                    {move || if !secret || shown.get() { shown_value.clone() } else { masked.clone() }}
                                </span>
                                {secret.then(|| view! {
                                    <button type="button" aria-pressed=move || shown.get().to_string() on:click=move |_| shown.update(|v| *v = !*v)
                                        data-testid=format!("{prefix}-show")
                                        class="rounded-md border border-slate-300 bg-white px-2.5 py-1 text-xs font-medium text-slate-700 shadow-sm hover:bg-slate-50">
                                        {move || if shown.get() { "Hide" } else { "Show" }}
                                    </button>
                                })}
                                {if secret {
                                    view! { <CopyButton text=value label=copy_label on_copied=mark_saved/> }.into_any()
                                } else {
                                    view! { <CopyButton text=value label=copy_label/> }.into_any()
                                }}
                            </dd>
                        </div>
                    }
                }).collect_view()}
            </dl>
            <div class="mt-4 flex flex-wrap gap-2">
                {csv.map(|(file, body, words)| view! {
                    <button type="button" data-testid=format!("{prefix}-download")
                        class="rounded-md bg-indigo-600 px-3 py-1.5 text-sm font-semibold text-white shadow-sm hover:bg-indigo-500 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600"
                        on:click=move |_| { if super::browser::download(&file, "text/csv", &body) { mark_saved.run(()); } }>{words}</button>
                })}
                <button type="button" data-testid=format!("{prefix}-done") on:click=move |_| done()
                    class="rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm font-medium text-slate-700 shadow-sm hover:bg-slate-50 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600">
                    "Done"
                </button>
            </div>
            {move || asking.get().then(|| view! {
                <div role="alert" class="mt-3 rounded-md bg-amber-100 p-3 text-sm text-amber-950 ring-1 ring-amber-300" data-testid="secret-unsaved">
                    <p>{format!("You have not copied or downloaded the {what}. It cannot be shown again: keydesk does not keep it.")}</p>
                    <div class="mt-2 flex flex-wrap gap-2">
                        <button type="button" on:click=move |_| asking.set(false) data-testid="secret-keep"
                            class="rounded-md bg-indigo-600 px-3 py-1.5 text-sm font-semibold text-white shadow-sm hover:bg-indigo-500">"Keep it open"</button>
                        <button type="button" on:click=move |_| finish() data-testid="secret-discard"
                            class="rounded-md border border-red-300 bg-white px-3 py-1.5 text-sm font-medium text-red-800 shadow-sm hover:bg-red-50">"Close anyway"</button>
                    </div>
                </div>
            })}
            {(!snippets.is_empty()).then(|| view! {
                <div class="mt-4 grid gap-3">
                    {snippets.into_iter().map(|s| {
                        let SecretSnippet { title, text, holds_secret } = s;
                        if holds_secret {
                            view! {
                                <Show when=move || shown.get() fallback=move || view! {
                                    <p class="text-xs text-emerald-900">{format!("{title}: press Show to see it.")}</p>
                                }>
                                    <Snippet title text on_copied=Some(mark_saved)/>
                                </Show>
                            }.into_any()
                        } else {
                            view! { <Snippet title text/> }.into_any()
                        }
                    }).collect_view()}
                </div>
            })}
            {children.map(|c| view! { <div class="mt-5 text-sm text-emerald-950">{c()}</div> })}
        </dialog>
    }
}

/// Keep Tab inside `dialog`: from its last focusable element to its first, and back with Shift+Tab.
#[cfg(feature = "hydrate")]
fn wrap_focus(dialog: &web_sys::HtmlDialogElement, ev: &web_sys::KeyboardEvent) {
    use wasm_bindgen::JsCast;
    const FOCUSABLE: &str =
        "button:not([disabled]), a[href], input:not([disabled]):not([type=hidden]), textarea, select, [tabindex]:not([tabindex='-1'])";
    let Ok(list) = dialog.query_selector_all(FOCUSABLE) else { return };
    let items: Vec<web_sys::HtmlElement> = (0..list.length())
        .filter_map(|i| list.item(i))
        .filter_map(|n| n.dyn_into::<web_sys::HtmlElement>().ok())
        // Rendered ones only (a collapsed part has no layout box).
        .filter(|e| e.get_client_rects().length() > 0)
        .collect();
    let (Some(first), Some(last)) = (items.first(), items.last()) else { return };
    let active = web_sys::window().and_then(|w| w.document()).and_then(|d| d.active_element());
    let at = |e: &web_sys::HtmlElement| active.as_ref().is_some_and(|a| a == e.unchecked_ref::<web_sys::Element>());
    let inside = active.as_ref().is_some_and(|a| dialog.contains(Some(a)));
    if ev.shift_key() && (at(first) || !inside) {
        ev.prevent_default();
        let _ = last.focus();
    } else if !ev.shift_key() && (at(last) || !inside) {
        ev.prevent_default();
        let _ = first.focus();
    }
}

/// A titled block of text with its own Copy button.
#[component]
pub fn Snippet(
    title: &'static str,
    #[prop(into)] text: Signal<String>,
    #[prop(default = None)] on_copied: Option<Callback<()>>,
    /// The caption's colour: emerald inside a secret's dialog, the page's own elsewhere.
    #[prop(default = "text-emerald-900")]
    caption: &'static str,
    #[prop(optional)] testid: Option<&'static str>,
) -> impl IntoView {
    let copy = match on_copied {
        Some(done) => view! { <CopyButton text label=format!("Copy {title}") on_copied=done/> }.into_any(),
        None => view! { <CopyButton text label=format!("Copy {title}")/> }.into_any(),
    };
    view! {
        <figure class="min-w-0">
            // Not upper-cased: the titles are paths and commands (`~/.aws/credentials`).
            <figcaption class=format!("flex items-center justify-between gap-2 text-xs font-semibold {caption}")>
                <span>{title}</span>
                {copy}
            </figcaption>
            <pre tabindex="0" class="mt-1 overflow-x-auto rounded-md bg-slate-900 p-3 text-xs text-slate-100" data-testid=testid>{move || text.get()}</pre>
        </figure>
    }
}
