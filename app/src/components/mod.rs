//! Building blocks shared by the pages: the layout frame (header, navigation, demo badge), the access
//! gate that redirects anonymous visitors and refuses the wrong role, and the error view.

pub mod browser;
mod error_view;
mod layout;

pub use error_view::ErrorView;

use leptos::prelude::*;

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
pub use layout::{set_status, use_session, Gate, ManagedNotice, SectionCard, SessionCtx, Shell};
