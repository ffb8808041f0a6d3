//! The page's address, for islands.
//!
//! On the server the router knows the request's address. In the browser there is no router (every
//! page is a server page and links load pages): an island reads `window.location`, and the one change
//! of address made without loading a page (the rotation guide naming the key it created) goes through
//! [`use_replace_address`], which every island's [`use_query_map`] follows.

use leptos::prelude::*;
use leptos_router::params::ParamsMap;

/// The query string of the address, as a map that follows the address when an island replaces it.
pub fn use_query_map() -> Memo<ParamsMap> {
    #[cfg(feature = "hydrate")]
    {
        let version = browser::version();
        Memo::new(move |_| {
            version.track();
            browser::query_of(&browser::search())
        })
    }
    #[cfg(not(feature = "hydrate"))]
    {
        leptos_router::hooks::use_query_map()
    }
}

/// A function that replaces the address (path and query) without loading the page or adding to the
/// history: the page stays as it is, and queries from [`use_query_map`] follow. Nothing on the server.
pub fn use_replace_address() -> impl Fn(&str) + Clone + 'static {
    #[cfg(feature = "hydrate")]
    {
        let version = browser::version();
        move |to: &str| {
            if let Some(history) = web_sys::window().and_then(|w| w.history().ok()) {
                let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(to));
                version.notify();
            }
        }
    }
    #[cfg(not(feature = "hydrate"))]
    {
        |_: &str| {}
    }
}

/// The path and query of the address now (`/?rotate=AKIA…`), not followed.
pub fn current_address() -> String {
    #[cfg(feature = "hydrate")]
    let (path, search) = (web_sys::window().and_then(|w| w.location().pathname().ok()).unwrap_or_else(|| "/".into()), browser::search());
    #[cfg(not(feature = "hydrate"))]
    let (path, search) = {
        let location = leptos_router::hooks::use_location();
        (location.pathname.get_untracked(), location.search.get_untracked().trim_start_matches('?').to_owned())
    };
    if search.is_empty() {
        path
    } else {
        format!("{path}?{search}")
    }
}

#[cfg(feature = "hydrate")]
mod browser {
    use leptos::prelude::*;
    use leptos_router::params::ParamsMap;

    thread_local! {
        /// Notified when an island replaces the address; shared by every island of the page.
        static VERSION: ArcTrigger = ArcTrigger::new();
    }

    pub fn version() -> ArcTrigger {
        VERSION.with(Clone::clone)
    }

    /// The query string without its `?`.
    pub fn search() -> String {
        let search = web_sys::window().and_then(|w| w.location().search().ok()).unwrap_or_default();
        search.trim_start_matches('?').to_owned()
    }

    /// `a=1&b=x%20y` as a map, decoded as a form is (`+` is a space).
    pub fn query_of(search: &str) -> ParamsMap {
        let decode = |s: &str| {
            let s = s.replace('+', " ");
            js_sys::decode_uri_component(&s).ok().and_then(|d| d.as_string()).unwrap_or(s)
        };
        search
            .split('&')
            .filter(|pair| !pair.is_empty())
            .map(|pair| {
                let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                (decode(k), decode(v))
            })
            .collect()
    }
}
