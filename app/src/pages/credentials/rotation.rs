//! The guided "rotate without downtime" of one access key (`?rotate=<old>[&new=<replacement>]`): the
//! steps derived from the keys IAM lists now (`domain::rotation`), step 1 creating the key in place, and
//! step 2 reading both keys' last use again without a reload.

use super::access_keys::CredentialActions;
use super::new_key::NEW_KEY_PATH;
use crate::api::access_keys::*;
use crate::api::credentials::AccessKeyView;
use crate::components::{ErrorView, BUTTON, DANGER, SECONDARY};
use crate::domain::*;
use crate::error::AppError;
use leptos::form::ActionForm;
use leptos::prelude::*;

/// The rotation guide for `?rotate=<old key id>[&new=<replacement>]`: every step derived from the keys
/// IAM lists now and the replacement the person named.
#[component]
pub(super) fn RotationGuide(
    old: AccessKeyId,
    keys: Vec<AccessKeyView>,
    iam_user: String,
    /// The section's own forms' actions: the guide's deactivate and delete steps post the same way.
    set_status: ServerAction<SetAccessKeyStatus>,
    delete: ServerAction<DeleteAccessKey>,
) -> impl IntoView {
    use crate::domain::rotation::{progress, Progress, Step, STEPS};
    let query = crate::components::location::use_query_map();
    let flag = move |name: &str| query.with_untracked(|q| q.get(name).is_some_and(|v| v == "1"));
    let (watched, verified) = (flag("watched"), flag("verified"));
    let named = query.with_untracked(|q| q.get("new")).and_then(|id| AccessKeyId::parse(&id).ok());
    let listed: Vec<_> = keys.iter().map(|k| (k.key.clone(), k.last_used.clone())).collect();
    let state = progress(&old, named.as_ref(), &listed, watched, verified);
    let view_of = |id: &AccessKeyId| keys.iter().find(|k| &k.key.id == id).cloned();
    let heading = old.to_string();
    let current = match &state {
        Progress::At { step, .. } => STEPS.iter().position(|(s, _)| s == step).unwrap_or(0),
        Progress::Blocked | Progress::Choose { .. } => 0,
        Progress::Done => STEPS.len(),
    };
    let base = match &state {
        Progress::At { new_key: Some(new), .. } => format!("/?rotate={old}&new={new}"),
        _ => format!("/?rotate={old}"),
    };
    let body = match state {
        Progress::Blocked => view! {
            <p>"Both key slots are taken, and your other key is not a replacement for this one. Delete your other, inactive key first (or deactivate one you no longer need), then create the new one here."</p>
        }.into_any(),
        Progress::Done => view! {
            <p class="font-medium text-emerald-800">"Rotation complete: the old key is deleted and your applications use the new one."</p>
            <a href="/" class="mt-2 inline-block text-indigo-700 underline" data-testid="rotate-close">"Close the guide"</a>
        }.into_any(),
        Progress::Choose { candidate } => {
            let about = view_of(&candidate).map(|k| format!("created {} UTC, {}", fmt_utc(k.key.created_at), k.last_use_words())).unwrap_or_default();
            view! {
                <p>"You already have another active key, " <span class="font-mono">{candidate.to_string()}</span> " (" {about} "). "
                    "Is it the replacement for " <span class="font-mono">{old.to_string()}</span> "?"</p>
                <div class="mt-2 flex flex-wrap gap-2">
                    <a href=format!("/?rotate={old}&new={candidate}") class=BUTTON data-testid="rotate-choose">{format!("Yes: {candidate} replaces it")}</a>
                </div>
                <p class="mt-2 text-slate-600">"If it serves something else, it must stay: IAM allows two keys, so deactivate and delete a key you no longer need before rotating this one."</p>
            }.into_any()
        }
        Progress::At { step: Step::CreateNew, .. } => super::section_island(super::Part::KeyCreateInGuide { old: old.clone(), iam_user }),
        Progress::At { step: Step::UpdateAndWatch, new_key } => {
            let new_key = new_key.unwrap_or_else(|| old.clone());
            super::section_island(super::Part::KeyWatch { old: old.clone(), new_key, base: base.clone(), keys: keys.clone() })
        }
        Progress::At { step: Step::Deactivate, .. } => view! {
            <ActionForm action=set_status>
                <input type="hidden" name="key_id" value=old.to_string()/>
                <input type="hidden" name="active" value="false"/>
                <button type="submit" class=BUTTON data-testid="rotate-deactivate">{format!("Deactivate {old}")}</button>
            </ActionForm>
        }.into_any(),
        Progress::At { step: Step::Verify, .. } => view! {
            <p>"Check your applications, jobs and scripts. Anything still using the old key now fails with InvalidClientTokenId."</p>
            <div class="mt-2 flex flex-wrap gap-2">
                <a href=format!("{base}&watched=1&verified=1") class=BUTTON data-testid="rotate-verified">"Everything works"</a>
                <ActionForm action=set_status>
                    <input type="hidden" name="key_id" value=old.to_string()/>
                    <input type="hidden" name="active" value="true"/>
                    <button type="submit" class=SECONDARY>"Something broke: reactivate the old key"</button>
                </ActionForm>
            </div>
        }.into_any(),
        Progress::At { step: Step::Delete, .. } => view! {
            <ActionForm action=delete attr:class="flex flex-wrap items-center gap-2">
                <input type="hidden" name="key_id" value=old.to_string()/>
                <input name="confirm" required placeholder="Type the old key id" aria-label="Type the old key id to confirm"
                    class="w-60 rounded-md border border-slate-300 px-2 py-1 font-mono text-xs" data-testid="rotate-delete-confirm"/>
                <button type="submit" class=DANGER data-testid="rotate-delete">"Delete the old key"</button>
            </ActionForm>
        }.into_any(),
    };
    view! {
        <section aria-label="Key rotation" class="mb-4 rounded-lg border border-indigo-200 bg-indigo-50/60 p-4 text-sm" data-testid="rotation">
            <div class="flex items-center justify-between">
                <h3 class="font-semibold text-indigo-900">"Rotating " <span class="font-mono">{heading}</span></h3>
                <a href="/" class="text-xs text-indigo-700 underline" data-testid="rotate-leave">"Leave the guide"</a>
            </div>
            <ol class="mt-3 grid gap-1">
                {STEPS.iter().enumerate().map(|(i, (_, label))| {
                    let (mark, class) = if i < current { ("✓", "text-emerald-700") } else if i == current { ("→", "font-semibold text-indigo-900") } else { ("○", "text-slate-500") };
                    view! { <li class=class aria-current=(i == current).then_some("step")>{mark} " " {format!("{}. {label}", i + 1)}</li> }
                }).collect_view()}
            </ol>
            <div class="mt-3 rounded-md bg-white p-3 ring-1 ring-indigo-100">{body}</div>
        </section>
    }
}

/// Step 1 inside the guide: create the replacement here (with JavaScript the create action, whose
/// one-time dialog opens over the page; without it the one-time page, which links back to step 2).
#[component]
pub fn CreateInGuide(old: AccessKeyId, iam_user: String) -> impl IntoView {
    let actions = expect_context::<CredentialActions>();
    // The key created here is the replacement: name it in the address at once, under the open dialog,
    // so closing the dialog (which loads the page anew) and any later reload are at step 2.
    #[cfg(feature = "hydrate")]
    {
        let old = old.clone();
        let navigate = crate::components::location::use_replace_address();
        Effect::new(move |_| {
            let created = actions.create().value().with(|v| v.as_ref().and_then(|r| r.as_ref().ok()).map(|k| k.key.id.clone()));
            if let Some(new) = created {
                navigate(&format!("/?rotate={old}&new={new}"));
            }
        });
    }
    let description = format!("replaces {old}");
    let dispatch_description = description.clone();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        actions.create().dispatch(CreateAccessKey { description: Some(dispatch_description.clone()) });
    };
    let error = move || actions.create().value().get().and_then(Result::err).filter(|e| *e != AppError::ReauthRequired);
    view! {
        <super::access_keys::SecretView iam_user/>
        <p>"Create the replacement key now. The old key keeps working while you switch your applications over."</p>
        <form method="post" action=NEW_KEY_PATH class="mt-2 flex flex-wrap items-center gap-2" on:submit=submit>
            <input type="hidden" name="description" value=description/>
            <input type="hidden" name="rotate" value=old.to_string()/>
            <button type="submit" class=BUTTON data-testid="rotate-create" disabled=move || actions.create().pending().get()>
                {move || if actions.create().pending().get() { "Creating…" } else { "Create the new key" }}
            </button>
        </form>
        {move || error().map(|error| view! { <div class="mt-2"><ErrorView error/></div> })}
    }
}

/// Step 2: the last use of both keys, read again every minute and on demand (without a reload, so a
/// one-time secret on screen is not lost), and a warning when the old key was used after the new one
/// was made.
#[component]
pub fn WatchOldKey(old: AccessKeyId, new_key: AccessKeyId, base: String, keys: Vec<AccessKeyView>) -> impl IntoView {
    use crate::domain::rotation::old_key_still_used;
    let tick = RwSignal::new(0_u32);
    let hydrated = crate::components::use_hydrated();
    #[cfg(feature = "hydrate")]
    {
        if let Ok(handle) = set_interval_with_handle(move || tick.update(|t| *t += 1), std::time::Duration::from_secs(60)) {
            on_cleanup(move || handle.clear());
        }
    }
    // Read again in the browser only; the page's own data serves the first render. A signal filled by
    // an effect, not a resource: effects never run on the server, while a resource read inside the
    // page's <Transition> could leave a server render on its "Loading" placeholder (a page without
    // JavaScript then never showed this step).
    let fresh = RwSignal::new(None::<(Vec<AccessKeyView>, u32)>);
    Effect::new(move |_| {
        let n = tick.get();
        if n == 0 {
            return;
        }
        leptos::task::spawn_local(async move {
            if let Ok(keys) = crate::api::credentials::get_my_access_keys().await {
                fresh.set(Some((keys, n)));
            }
        });
    });
    let listed = StoredValue::new(keys);
    let latest = move || fresh.get().map(|(k, _)| k).unwrap_or_else(|| listed.get_value());
    let checks = move || fresh.get().map(|(_, n)| n).unwrap_or(0);
    let (old_for_view, new_for_view) = (old.clone(), new_key.clone());
    let summary = move || {
        let keys = latest();
        let find = |id: &AccessKeyId| keys.iter().find(|k| &k.key.id == id).cloned();
        let (o, n) = (find(&old_for_view), find(&new_for_view));
        let words = |k: &Option<AccessKeyView>| k.as_ref().map_or_else(|| "—".to_owned(), |k| k.last_use_words());
        let still_used = match (&o, &n) {
            (Some(o), Some(n)) => old_key_still_used(&o.last_used, &n.key).then(|| o.last_used.at.map(fmt_utc).unwrap_or_default()),
            _ => None,
        };
        (words(&n), words(&o), still_used)
    };
    let summary = Memo::new(move |_| summary());
    let watched = format!("{base}&watched=1");
    let reload = base.clone();
    view! {
        <p>"Put the new key " <span class="font-mono">{new_key.to_string()}</span> " into every application that used the old one."</p>
        <p class="mt-1" aria-live="polite">"New key: " <strong data-testid="new-last-used">{move || summary.get().0}</strong>
            " · old key: " <strong data-testid="old-last-used">{move || summary.get().1}</strong>
            {move || (checks() > 0).then(|| view! { <span class="text-slate-500">" (checked again just now)"</span> })}</p>
        {move || summary.get().2.map(|at| view! {
            <p class="mt-2 rounded-md bg-amber-50 px-3 py-2 text-amber-950 ring-1 ring-amber-300" role="alert" data-testid="rotate-still-used">
                {format!("The old key was used at {at} UTC, after the new key was made: something still uses it. Find it before you deactivate the old key, or it will break.")}
            </p>
        })}
        <p class="mt-1 text-slate-600">"keydesk reads the last use again every minute. AWS records it within a few hours of a call, so wait a while after your last switch."</p>
        <div class="mt-2 flex flex-wrap gap-2">
            {move || if hydrated.get() {
                view! { <button type="button" class=SECONDARY on:click=move |_| tick.update(|t| *t += 1) data-testid="rotate-check">"Check again"</button> }.into_any()
            } else {
                view! { <a href=reload.clone() class=SECONDARY data-testid="rotate-check">"Check again"</a> }.into_any()
            }}
            <a href=watched class=BUTTON data-testid="rotate-watched">
                {move || if summary.get().2.is_some() { "Continue anyway: nothing uses the old key now" } else { "Nothing uses the old key any more" }}
            </a>
        </div>
    }
}
