//! How an [`AppError`] looks on a page: a clear message, a retry hint where retrying can help, and the
//! incident id for unexpected failures so support can find the server-side log entry.

use crate::error::AppError;
use leptos::prelude::*;

#[component]
pub fn ErrorView(error: AppError) -> impl IntoView {
    let incident = match &error {
        AppError::Internal { incident } => Some(incident.clone()),
        _ => None,
    };
    let retry = error.is_retryable();
    view! {
        <div role="alert" class="rounded-lg border border-red-200 bg-red-50 p-4 text-sm text-red-800">
            <p class="font-medium">{error.to_string()}</p>
            {retry.then(|| view! { <p class="mt-1 text-red-700">"This is usually temporary."</p> })}
            {incident.map(|id| view! {
                <p class="mt-2 text-xs text-red-700">
                    "Incident id: " <code class="font-mono" data-testid="incident-id">{id}</code>
                </p>
            })}
        </div>
    }
}
