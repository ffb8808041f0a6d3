//! The in-page confirmation every destructive action goes through: the action's button opens a panel
//! that says what breaks, and only the panel's own button acts. It is a `<details>` disclosure, so it
//! works with the keyboard and without JavaScript (the summary opens and closes it); with JavaScript,
//! Esc and "Cancel" close it too. Nothing here depends on the browser's `confirm()`, which a browser
//! may suppress and which cannot say what breaks.

use super::kit::{DANGER, SECONDARY};
use leptos::prelude::*;

/// `label` opens a panel saying `consequence`; `children` is what acts (a form with its submit button,
/// whose data-testid is by convention `<testid>-confirm`).
#[component]
pub fn Confirm(
    #[prop(into)] label: String,
    #[prop(into)] consequence: String,
    #[prop(optional)] danger: bool,
    testid: &'static str,
    /// The panel's element id, where a server-drawn form's answer lands (`?at=<id>`).
    #[prop(optional, into)]
    id: Option<String>,
    /// Open from the start: the page came back with this panel's refusal (`open=<id>`).
    #[prop(optional)]
    open: bool,
    children: Children,
) -> impl IntoView {
    let details = NodeRef::<leptos::html::Details>::new();
    let hydrated = super::use_hydrated();
    let close = move || {
        #[cfg(feature = "hydrate")]
        if let Some(d) = details.get_untracked() {
            use wasm_bindgen::JsCast;
            d.set_open(false);
            // Back to the opener, so the keyboard stays where the person was.
            if let Some(summary) = d.first_element_child().and_then(|s| s.dyn_into::<web_sys::HtmlElement>().ok()) {
                let _ = summary.focus();
            }
        }
    };
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        if ev.key() == "Escape" {
            ev.prevent_default();
            close();
        }
    };
    // The kit's button look, on a `<summary>`: no marker, and kept at the right as the panel opens.
    let opener = format!("ml-auto block w-fit cursor-pointer list-none {}", if danger { DANGER } else { SECONDARY });
    // Opened inside a table that scrolls sideways (a phone), the panel is brought into view.
    let on_toggle = move |_| {
        #[cfg(feature = "hydrate")]
        if let Some(d) = details.get_untracked() {
            if d.open() {
                let options = web_sys::ScrollIntoViewOptions::new();
                options.set_block(web_sys::ScrollLogicalPosition::Nearest);
                options.set_inline(web_sys::ScrollLogicalPosition::Nearest);
                d.scroll_into_view_with_scroll_into_view_options(&options);
            }
        }
    };
    view! {
        <details node_ref=details id=id open=open class="text-left" on:keydown=on_key on:toggle=on_toggle data-testid=format!("{testid}-panel")>
            <summary class=opener data-testid=testid>{label.clone()}</summary>
            <div role="group" aria-label=label
                class="ml-auto mt-2 w-72 max-w-[80vw] rounded-md border border-amber-300 bg-amber-50 p-3 text-sm text-amber-950 shadow-sm">
                <p class="break-words" data-testid="confirm-consequence">{consequence}</p>
                <div class="mt-3 flex flex-wrap items-end gap-2">
                    {children()}
                    {move || hydrated.get().then(|| view! {
                        <button type="button" on:click=move |_| close() data-testid="confirm-cancel"
                            class="rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm font-medium text-slate-700 shadow-sm hover:bg-slate-50">
                            "Cancel"
                        </button>
                    })}
                </div>
            </div>
        </details>
    }
}
