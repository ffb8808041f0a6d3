//! The one-time page of an access key created without JavaScript: the server answers the create form's
//! POST with this page (`no-store`), its `.csv` comes back from a second POST, and a GET shows nothing.

use crate::components::{ErrorView, NoJsPasswordPrompt, Snippet, BUTTON, SECONDARY};
use crate::domain::export::snippets;
use crate::domain::*;
use crate::error::AppError;
use leptos::prelude::*;

/// Where the create wizard posts when JavaScript is off. The server answers that POST with the one-time
/// page rendered from a [`NoJsCreate`] it provides as context (and `Cache-Control: no-store`); a GET
/// here has nothing to show, because the secret was never stored.
pub use crate::paths::NEW_KEY_PATH;

/// Where the no-JavaScript one-time page posts the new key's id and secret to get the console's .csv
/// back as a download (`no-store`; nothing is kept or logged). The page already holds both values: this
/// only turns them into a file, which a page without JavaScript cannot do by itself.
pub const NEW_KEY_CSV_PATH: &str = "/access-keys/new/csv";

/// The outcome of a create posted without JavaScript, provided as context by the server's handler.
#[derive(Clone, Debug)]
pub enum NoJsCreate {
    /// Created; `rotating` is the old key when the create came from its rotation guide.
    Created {
        key: CreatedAccessKey,
        rotating: Option<AccessKeyId>,
    },
    /// The re-authentication window has passed (or the password given was wrong): ask for it, keeping
    /// the description the user typed (and the rotation it belongs to).
    NeedsPassword {
        description: String,
        rotating: Option<AccessKeyId>,
        wrong: bool,
    },
    Failed(AppError),
}

#[component]
pub fn NewKeyPage() -> impl IntoView {
    let outcome = use_context::<NoJsCreate>();
    view! {
        <leptos_meta::Title text="New access key"/>
        <crate::components::Shell>
            <crate::components::Gate>
                <h1 class="text-2xl font-semibold tracking-tight">"New access key"</h1>
                <div class="mt-6 max-w-3xl">{match outcome.clone() {
                    None => view! {
                        <p class="rounded-md bg-slate-100 px-3 py-2 text-sm text-slate-700" data-testid="secret-gone">
                            "Nothing to show: a secret access key is shown once, in the answer to the request that created it, and keydesk never stores it. "
                            "If you did not save it, deactivate that key and create a new one."
                        </p>
                        <a href="/" class="mt-4 inline-block text-sm text-indigo-700 underline">"Back to my credentials"</a>
                    }.into_any(),
                    Some(NoJsCreate::Created { key, rotating }) => view! { <StaticSecret k=key rotating/> }.into_any(),
                    Some(NoJsCreate::NeedsPassword { description, rotating, wrong }) => {
                        let mut hidden = vec![("description", description)];
                        hidden.extend(rotating.map(|old| ("rotate", old.to_string())));
                        view! { <NoJsPasswordPrompt what="create the key" needs="Creating a key" action=NEW_KEY_PATH hidden back="/" wrong/> }.into_any()
                    }
                    Some(NoJsCreate::Failed(error)) => view! {
                        <ErrorView error/>
                        <a href="/" class="mt-4 inline-block text-sm text-indigo-700 underline">"Back to my credentials"</a>
                    }.into_any(),
                }}</div>
            </crate::components::Gate>
        </crate::components::Shell>
    }
}

/// The one-time view without JavaScript: `<details>` reveals the secret and the snippets.
#[component]
fn StaticSecret(k: CreatedAccessKey, rotating: Option<AccessKeyId>) -> impl IntoView {
    let snip = snippets(&k.key.id, &k.secret, "default", "us-east-1");
    let (back, back_words) = match rotating {
        Some(old) => (format!("/?rotate={old}&new={}", k.key.id), "Done — back to the rotation guide"),
        None => ("/".to_owned(), "Done — back to my credentials"),
    };
    view! {
        <div role="region" aria-label="New access key" class="rounded-xl border-2 border-emerald-300 bg-emerald-50 p-5" data-testid="secret-view">
            <p class="text-sm text-emerald-900">"This is the only time the secret access key can be viewed. Save it now: keydesk does not keep it, and reloading this page would ask to create another key."</p>
            <dl class="mt-4 grid gap-3 text-sm">
                <div class="flex flex-wrap gap-2"><dt class="w-40 font-medium">"Access key ID"</dt><dd class="font-mono" data-testid="new-key-id">{k.key.id.to_string()}</dd></div>
                <div class="flex flex-wrap gap-2"><dt class="w-40 font-medium">"Secret access key"</dt>
                    <dd><details><summary class="cursor-pointer text-indigo-700 underline">"Show"</summary>
                        <span class="font-mono" data-testid="new-key-secret">{k.secret.expose().to_owned()}</span></details></dd></div>
            </dl>
            <details class="mt-4"><summary class="cursor-pointer text-sm font-medium text-emerald-900">"Ready-to-paste configuration"</summary>
                <div class="mt-3 grid gap-3">
                    <Snippet title="aws configure" text=snip.aws_configure/>
                    <Snippet title="~/.aws/credentials" text=snip.credentials_file/>
                    <Snippet title="Environment variables" text=snip.exports/>
                </div>
            </details>
            <div class="mt-4 flex flex-wrap items-center gap-2">
                <form method="post" action=NEW_KEY_CSV_PATH>
                    <input type="hidden" name="key_id" value=k.key.id.to_string()/>
                    <input type="hidden" name="secret" value=k.secret.expose().to_owned()/>
                    <button type="submit" class=SECONDARY data-testid="key-download">"Download .csv file"</button>
                </form>
                <a href=back class=BUTTON data-testid="close-secret">{back_words}</a>
            </div>
        </div>
    }
}
