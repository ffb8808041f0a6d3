//! The 404 page.

use crate::components::{set_status, Shell};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn NotFoundPage() -> impl IntoView {
    set_status(404);
    view! {
        <Title text="Page not found"/>
        <Shell>
            <div class="mx-auto max-w-md py-16 text-center">
                <p class="text-sm font-semibold text-indigo-600">"404"</p>
                <h1 class="mt-2 text-3xl font-semibold tracking-tight">"Page not found"</h1>
                <p class="mt-3 text-slate-600">"There is nothing at this address. Check the link, or go back to your credentials."</p>
                <a href="/" class="mt-6 inline-block rounded-md bg-indigo-600 px-4 py-2 text-sm font-semibold text-white hover:bg-indigo-500 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600">
                    "Go to My credentials"
                </a>
            </div>
        </Shell>
    }
}
