//! The browser entry point. Pages are rendered on the server; only their islands (`#[island]`
//! components of the `app` crate, exported by name) are hydrated. `hydrate` starts the reactive system;
//! the page's script then hydrates each `<leptos-island>` with its export (`app::pages::Hydration`).

// Linked for its islands' exports, which nothing here names.
extern crate app;

use wasm_bindgen::prelude::wasm_bindgen;

#[wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_islands();
}
