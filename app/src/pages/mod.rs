//! The HTML shell and the router. Every route renders in `SsrMode::Async` so that redirects and status
//! codes (401/403/404) are decided before the first byte is sent and pages work without JavaScript.

mod activity;
mod admin;
mod credentials;
mod helpdesk;
mod not_found;
mod settings;
mod sign_in;

pub use activity::{ActivityPage, ACTIVITY_PATH};
pub use admin::{AdminPage, AuditPage, AUDIT_CSV_PATH, REPORT_CSV_PATH, REVIEW_CSV_PATH};
pub use credentials::new_key::{NewKeyPage, NoJsCreate, NEW_KEY_CSV_PATH, NEW_KEY_PATH};
pub use credentials::temporary::{NewTemporaryPage, NoJsIssue};
pub use credentials::CredentialsPage;
pub use helpdesk::HelpdeskPage;
pub use not_found::NotFoundPage;
pub use settings::{SettingsPage, SETTINGS_PATH};
pub use sign_in::{BreakGlassSignInPage, SignInPage};

use crate::components::SessionCtx;
use crate::paths::*;
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, Link, MetaTags, Script, Title};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{path, SsrMode, StaticSegment};

/// The document around the app; rendered on the server only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    document(options, true)
}

/// The same document that never loads the WASM, for answers that must never hydrate: the one-time
/// page a JavaScript-free create posts to is rendered from context the browser's WASM would not have.
pub fn static_shell(options: LeptosOptions) -> impl IntoView {
    document(options, false)
}

/// The stylesheet shares the build's content-hashed name with the script and the WASM
/// (`output_name` = `keydesk-<hash>`), so all three can be cached for a year and a new build is never
/// mixed with an old one.
fn document(options: LeptosOptions, scripts: bool) -> impl IntoView {
    // The page is rendered as not hydrating; each island turns hydration on for itself (as Leptos's
    // own `HydrationScripts` does in islands mode), so only islands' resources are sent to the browser.
    if let Some(context) = Owner::current_shared_context() {
        context.set_is_hydrating(false);
    }
    let css = format!("/{}/{}.css", options.site_pkg_dir, options.output_name);
    provide_context(ScriptsFor { options, allowed: scripts });
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                <link rel="stylesheet" id="keydesk" href=css/>
                <MetaTags/>
            </head>
            <body class="antialiased">
                <App/>
            </body>
        </html>
    }
}

/// Whether this document may load the WASM.
#[derive(Clone)]
struct ScriptsFor {
    options: LeptosOptions,
    allowed: bool,
}

/// The WASM a page loads: one per family of pages, holding only that family's islands, so a page
/// downloads, decodes and compiles none of the others' code (docs/architecture.md, "One WASM per
/// family of pages"). `.ci/build-site` builds each with the `frontend` feature of its [`Bundle::name`]
/// (which turns on the `app` feature `islands-<name>`); an island is compiled as one only in the
/// builds of the families whose pages render it, and as a plain component elsewhere.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bundle {
    /// "My security credentials" and its one-time pages: the live parts and temporary credentials.
    Credentials,
    /// The sign-in pages' password form.
    SignIn,
    /// A help-desk case's live parts.
    Helpdesk,
    /// The account settings' editors.
    Settings,
    /// "My activity": the sessions list and the keydesk-password form.
    Activity,
    /// The credential review's progress and "Refresh".
    Admin,
}

impl Bundle {
    /// Every family, as `.ci/build-site` builds them.
    pub const ALL: [Bundle; 6] = [Bundle::Credentials, Bundle::SignIn, Bundle::Helpdesk, Bundle::Settings, Bundle::Activity, Bundle::Admin];

    /// The family's name: the `frontend` feature that builds it, and the suffix of its script and WASM
    /// (`pkg/<output_name>-<name>.js`, `pkg/<output_name>-<name>_bg.wasm`).
    pub fn name(self) -> &'static str {
        match self {
            Bundle::Credentials => "credentials",
            Bundle::SignIn => "sign-in",
            Bundle::Helpdesk => "helpdesk",
            Bundle::Settings => "settings",
            Bundle::Activity => "activity",
            Bundle::Admin => "admin",
        }
    }

    /// The family's script and WASM under the site's `pkg` directory.
    pub fn files(self, output_name: &str) -> [String; 2] {
        let name = self.name();
        [format!("{output_name}-{name}.js"), format!("{output_name}-{name}_bg.wasm")]
    }
}

/// Rendered on the server next to every island (outside it): puts the scripts that start the WASM of
/// the island's family (`bundle`) and hydrate the page's islands into the head, through the meta
/// context. A page that renders no island has none of them, and downloads no WASM.
///
/// Each island's copy is registered when it is rendered to HTML: a view Leptos builds and throws away
/// (a `Suspense` builds its children once to find their resources) registers nothing, so the copies
/// cannot be counted while building. A page with two islands has the scripts twice, and the script
/// starts the WASM only once; a page's islands are all of one family.
///
/// What Leptos's `HydrationScripts` renders in islands mode (its island walk written out here), with
/// `crossorigin="anonymous"` on the two resource hints: Leptos puts the CSP nonce there, where a
/// page's markup can read it back and CSS selectors can match it (browsers hide only the `nonce`
/// attribute itself). The script and WASM names are the build's content-hashed ones
/// ([`Bundle::files`]).
#[component]
pub fn IslandScripts(bundle: Bundle) -> impl IntoView {
    let options = use_context::<ScriptsFor>().filter(|s| s.allowed)?.options;
    let [js, wasm] = bundle.files(&options.output_name).map(|file| format!("/{}/{file}", options.site_pkg_dir));
    // The script is `async`: it starts the WASM as soon as it is parsed, while the rest of the page
    // is, and waits for the whole document only to hydrate (a deferred script started the WASM after
    // the document's parse, behind its first style, layout and paint: docs/performance.md, step nine).
    // After the WASM has started and the document is parsed, hydrate each `<leptos-island>` in the
    // page's order with the function the WASM exports under its `data-component` name (an island
    // inside an island is hydrated by the outer one), then say so: a `data-hydrated` attribute for
    // tests and a `performance.mark` for the hydration benchmark, which also reads the mark set once
    // the WASM is compiled and instantiated.
    // An island the family's WASM does not hold is a build error shown in the console, and the page is
    // then not marked hydrated (the browser suite waits for the mark on every page with islands).
    let start = format!(
        "if (!window.keydeskStarted) {{ window.keydeskStarted = true; \
         const parsed = document.readyState === 'loading' ? new Promise((ok) => document.addEventListener('DOMContentLoaded', ok, {{ once: true }})) : null; \
         import({js:?}).then(async (m) => {{ await m.default({{ module_or_path: {wasm:?} }}); performance.mark('keydesk-wasm-ready'); await parsed; m.hydrate(); \
         const missing = []; \
         const walk = async (node) => {{ for (const el of node.children) {{ \
           if (el.tagName === 'LEPTOS-ISLAND') {{ const f = m[el.dataset.component]; \
             if (f) {{ const r = f(el); if (r && r.then) await r; }} else missing.push(el.dataset.component); }} \
           else await walk(el); }} }}; \
         await walk(document.body); \
         if (missing.length) {{ console.error('keydesk: the {} WASM holds no island', missing.join(', ')); return; }} \
         document.documentElement.setAttribute('data-hydrated', 'true'); performance.mark('keydesk-hydrated'); }}); }}",
        bundle.name()
    );
    Some(view! {
        <Link rel="modulepreload" href=js crossorigin="anonymous"/>
        <Link rel="preload" href=wasm as_="fetch" type_="application/wasm" crossorigin="anonymous"/>
        <Script type_="module" async_="">{start}</Script>
    })
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Title formatter=|t: String| if t.is_empty() { "keydesk".to_owned() } else { format!("{t} · keydesk") }/>
        <Router>
            <AppRoutes/>
        </Router>
    }
}

/// The route of a one-segment address (`/admin` → `admin`).
fn segment(path: &'static str) -> StaticSegment<&'static str> {
    StaticSegment(path.trim_start_matches('/'))
}

/// The route of a two-segment address (`/access-keys/new`).
fn two_segments(path: &'static str) -> (StaticSegment<&'static str>, StaticSegment<&'static str>) {
    let (first, second) = path.trim_start_matches('/').split_once('/').unwrap_or((path, ""));
    (StaticSegment(first), StaticSegment(second))
}

/// The routes. The session context is created inside the router because server actions read errors
/// of JavaScript-free form posts (`?__err=…`) from the router's location.
#[component]
fn AppRoutes() -> impl IntoView {
    SessionCtx::provide();
    view! {
        <Routes fallback=|| view! { <NotFoundPage/> }>
            <Route path=path!("/") view=CredentialsPage ssr=SsrMode::Async/>
            <Route path=segment(SIGN_IN_PATH) view=SignInPage ssr=SsrMode::Async/>
            <Route path=two_segments(BREAK_GLASS_PATH) view=BreakGlassSignInPage ssr=SsrMode::Async/>
            <Route path=two_segments(NEW_KEY_PATH) view=NewKeyPage ssr=SsrMode::Async/>
            <Route path=two_segments(crate::paths::NEW_TEMPORARY_PATH) view=NewTemporaryPage ssr=SsrMode::Async/>
            <Route path=segment(ADMIN_PATH) view=AdminPage ssr=SsrMode::Async/>
            <Route path=segment(HELPDESK_PATH) view=HelpdeskPage ssr=SsrMode::Async/>
            <Route path=segment(AUDIT_PATH) view=AuditPage ssr=SsrMode::Async/>
            <Route path=segment(SETTINGS_PATH) view=SettingsPage ssr=SsrMode::Async/>
            <Route path=segment(ACTIVITY_PATH) view=ActivityPage ssr=SsrMode::Async/>
        </Routes>
    }
}
