//! The UI kit every page draws with: button and field classes, status badges, and a credential's
//! status toggle (deactivating goes through the in-page [`super::Confirm`]).

use super::Confirm;
use crate::domain::Status;
use leptos::prelude::*;

pub const BUTTON: &str = "rounded-md bg-indigo-600 px-3 py-1.5 text-sm font-semibold text-white shadow-sm hover:bg-indigo-500 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600 disabled:cursor-not-allowed disabled:bg-slate-300";
pub const SECONDARY: &str = "rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm font-medium text-slate-700 shadow-sm hover:bg-slate-50 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600";
pub const DANGER: &str = "rounded-md bg-red-600 px-3 py-1.5 text-sm font-semibold text-white shadow-sm hover:bg-red-500 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-red-600";
/// A table header cell, as every credentials table draws it.
pub const TH: &str = "py-2 pr-4 text-left text-xs font-semibold uppercase tracking-wide text-slate-500";
pub const INPUT: &str = "block w-full rounded-md border border-slate-300 px-3 py-1.5 text-sm shadow-sm focus:border-indigo-500 focus:outline-2 focus:outline-indigo-500";

pub fn badge(text: impl Into<String>, class: &'static str) -> impl IntoView {
    view! { <span class=format!("inline-flex items-center rounded-full px-2 py-0.5 text-xs font-medium ring-1 {class}")>{text.into()}</span> }
}

pub fn status_badge(s: &Status) -> AnyView {
    match s {
        Status::Active => badge("Active", "bg-emerald-50 text-emerald-800 ring-emerald-200").into_any(),
        Status::Inactive => badge("Inactive", "bg-slate-100 text-slate-700 ring-slate-300").into_any(),
        Status::Expired => badge("Expired", "bg-red-50 text-red-800 ring-red-200").into_any(),
        Status::Other(_) => view! { <span class="text-xs text-slate-600">{s.to_string()}</span> }.into_any(),
    }
}

/// A credential's Deactivate (behind an in-page confirmation saying what breaks) or Activate (at once:
/// switching a credential back on breaks nothing). `form` is the status form; its submit button is the
/// confirmation's own when deactivating.
pub fn status_form(active: bool, consequence: String, testid: &'static str, form: impl IntoView + 'static) -> AnyView {
    if active {
        view! { <Confirm label="Deactivate" consequence testid>{form}</Confirm> }.into_any()
    } else {
        form.into_any()
    }
}

/// The inside of a status form after its id field: the new status and the button that sends it — the
/// confirmation's own button (`<testid>-confirm`, saying `deactivate`) when deactivating, "Activate"
/// (`<testid>`) otherwise.
pub fn status_button(active: bool, testid: &'static str, deactivate: &'static str) -> impl IntoView {
    let (class, id, words) =
        if active { (DANGER, format!("{testid}-confirm"), deactivate) } else { (SECONDARY, testid.to_owned(), "Activate") };
    view! {
        <input type="hidden" name="active" value=(!active).to_string()/>
        <button type="submit" class=class data-testid=id>{words}</button>
    }
}

/// The inside of a delete form after its id fields: `what` typed back (labelled for screen readers)
/// and the Delete button. The server compares what was typed; deleting cannot be undone.
pub fn typed_delete(what: String, input_id: String, input_testid: &'static str, button_testid: &'static str) -> impl IntoView {
    let label_for = input_id.clone();
    view! {
        <label class="sr-only" for=label_for>{format!("Type {what} to confirm")}</label>
        <input id=input_id name="confirm" required placeholder=format!("Type {what}") autocomplete="off"
            class="w-56 max-w-full rounded-md border border-slate-300 px-2 py-1 font-mono text-xs" data-testid=input_testid/>
        <button type="submit" class=DANGER data-testid=button_testid>"Delete"</button>
    }
}
