//! Browser-only helpers (no-ops during server rendering): the clipboard, and downloads built from a
//! Blob, so a secret never appears in a URL. There is deliberately no `confirm()`: a destructive action
//! asks in the page (`components::Confirm`), where it can say what breaks.

/// Copy text to the clipboard. Returns false when the browser refuses.
pub fn copy(_text: &str) -> bool {
    #[cfg(feature = "hydrate")]
    {
        if let Some(w) = web_sys::window() {
            let _ = w.navigator().clipboard().write_text(_text);
            return true;
        }
    }
    false
}

/// Load the page anew (what a finished action that changes the server-drawn page does).
pub fn reload() {
    #[cfg(feature = "hydrate")]
    if let Some(w) = web_sys::window() {
        let _ = w.location().reload();
    }
}

/// Load the page anew to show what an action in an island did, as a server-drawn form's answer does
/// (`server/src/url_errors.rs`): the address keeps its own query, forgets the previous answer, says
/// `done=<done>` (if any) for the page's fixed message, and lands on `#<place>`.
pub fn show_answer(_done: Option<&str>, _place: &str) {
    #[cfg(feature = "hydrate")]
    if let Some(w) = web_sys::window() {
        let location = w.location();
        let search = location.search().unwrap_or_default();
        let mut kept: Vec<&str> = search
            .trim_start_matches('?')
            .split('&')
            .filter(|p| !p.is_empty() && !["done=", "open=", "__path=", "__err="].iter().any(|n| p.starts_with(n)))
            .collect();
        let done = _done.map(|d| format!("done={d}"));
        kept.extend(done.as_deref());
        let path = location.pathname().unwrap_or_else(|_| "/".into());
        let query = if kept.is_empty() { String::new() } else { format!("?{}", kept.join("&")) };
        if query == search {
            // The same address again would only scroll: land on the place, then load it anew.
            let _ = location.set_hash(_place);
            let _ = location.reload();
        } else {
            let _ = location.replace(&format!("{path}{query}#{_place}"));
        }
    }
}

/// Add fields to every form of the page marked with the attribute `marker` as it is sent: the
/// `formdata` event, which a native submission and `new FormData(form)` (Leptos' `ActionForm`) both
/// fire, so forms drawn on the server and forms in other islands alike. `fields` says what to set.
#[cfg(feature = "hydrate")]
pub fn on_form_data(marker: &'static str, fields: impl Fn() -> Vec<(&'static str, String)> + 'static) {
    use wasm_bindgen::JsCast;
    let Some(document) = web_sys::window().and_then(|w| w.document()) else { return };
    let listener = wasm_bindgen::closure::Closure::<dyn Fn(web_sys::Event)>::new(move |ev: web_sys::Event| {
        let marked = ev.target().and_then(|t| t.dyn_into::<web_sys::Element>().ok()).is_some_and(|form| form.has_attribute(marker));
        let data = js_sys::Reflect::get(&ev, &"formData".into()).ok().and_then(|d| d.dyn_into::<web_sys::FormData>().ok());
        if let (true, Some(data)) = (marked, data) {
            for (name, value) in fields() {
                let _ = data.set_with_str(name, &value);
            }
        }
    });
    if document.add_event_listener_with_callback("formdata", listener.as_ref().unchecked_ref()).is_ok() {
        // Listens as long as the page: the island that set it up lives as long.
        listener.forget();
    }
}

/// Offer `body` as a file download (a Blob URL, revoked right after the click).
pub fn download(_file_name: &str, _mime: &str, _body: &str) -> bool {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        let run = || -> Option<()> {
            let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(_body));
            let options = web_sys::BlobPropertyBag::new();
            options.set_type(_mime);
            let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options).ok()?;
            let url = web_sys::Url::create_object_url_with_blob(&blob).ok()?;
            let document = web_sys::window()?.document()?;
            let a = document.create_element("a").ok()?.dyn_into::<web_sys::HtmlAnchorElement>().ok()?;
            a.set_href(&url);
            a.set_download(_file_name);
            a.click();
            let _ = web_sys::Url::revoke_object_url(&url);
            Some(())
        };
        return run().is_some();
    }
    #[allow(unreachable_code)]
    false
}

/// Read the text of the file chosen in `input`, refusing files over `max_bytes` without reading them.
#[cfg(feature = "hydrate")]
pub async fn read_text_file(input: &web_sys::HtmlInputElement, max_bytes: u32) -> Result<String, &'static str> {
    let file = input.files().and_then(|list| list.get(0)).ok_or("No file was chosen.")?;
    if file.size() > f64::from(max_bytes) {
        return Err("That file is too large to be an SSH public key: choose the .pub file.");
    }
    let text = wasm_bindgen_futures::JsFuture::from(file.text()).await.map_err(|_| "The file could not be read.")?;
    text.as_string().ok_or("The file could not be read as text.")
}

/// Fetch the common-password list for the strength estimate, once per page (later calls do nothing),
/// and call `ready` when the estimator has it. A failed fetch leaves the estimate without it: the
/// server, which always has the list, still refuses a common password.
pub fn load_common_passwords(_ready: impl FnOnce() + 'static) {
    #[cfg(feature = "hydrate")]
    {
        use std::sync::atomic::{AtomicBool, Ordering};
        use wasm_bindgen::JsCast;
        static ASKED: AtomicBool = AtomicBool::new(false);
        if ASKED.swap(true, Ordering::Relaxed) {
            return;
        }
        wasm_bindgen_futures::spawn_local(async move {
            let fetched = async {
                let window = web_sys::window()?;
                let path = crate::domain::strength::common_list_path();
                let response = wasm_bindgen_futures::JsFuture::from(window.fetch_with_str(&path)).await.ok()?;
                let response = response.dyn_into::<web_sys::Response>().ok().filter(web_sys::Response::ok)?;
                let text = wasm_bindgen_futures::JsFuture::from(response.text().ok()?).await.ok()?;
                text.as_string()
            };
            if let Some(text) = fetched.await {
                crate::domain::strength::provide_common_list(text);
                _ready();
            }
        });
    }
}
