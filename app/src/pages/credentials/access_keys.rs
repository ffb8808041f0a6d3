//! The access-keys section of "My security credentials": the table with its activate/deactivate and
//! delete forms (drawn on the server), and the live create wizard with its one-time secret view.
//! The secret lives only in the create action's value; closing the view clears it for good.

use super::new_key::NEW_KEY_PATH;
use crate::api::access_keys::*;
use crate::api::credentials::{AccessKeyView, RotationDue, MAX_ACCESS_KEYS};
use crate::components::{
    code_spans, typed_delete, Confirm, ErrorView, OneTimeSecretDialog, SecretField, SecretSnippet, SectionReauth, BUTTON, DANGER, INPUT,
    SECONDARY, TH,
};
use crate::domain::deadlines::{KeyDeadline, Stage};
use crate::domain::export::{access_key_csv, snippets};
use crate::domain::*;
use crate::error::AppError;
use leptos::form::ActionForm;
use leptos::prelude::*;

/// The actions of the live parts of "My security credentials" (the forms drawn on the server post
/// without one). Each island has its own set, with its own password prompt ([`Self::needs_reauth`]),
/// which replays the action that asked for it.
///
/// An action is made when its part first asks for it, under the island's owner (so it lives as long
/// as the island): a part uses one to four of the eleven, and making all eleven in every island took
/// over a third of the page body's server render (docs/performance.md, step eight).
#[derive(Clone, Copy)]
pub struct CredentialActions(StoredValue<Slots>);

/// The actions made so far, and the island's owner they are made under.
#[derive(Default)]
struct Slots {
    owner: Option<Owner>,
    create: Option<ServerAction<CreateAccessKey>>,
    confirm: Option<ServerAction<ConfirmPassword>>,
    password: Option<ServerAction<crate::api::password::ChangePassword>>,
    mfa_start: Option<ServerAction<crate::api::mfa::StartMfaEnrolment>>,
    mfa_enable: Option<ServerAction<crate::api::mfa::EnableMfa>>,
    mfa_cancel: Option<ServerAction<crate::api::mfa::CancelMfaEnrolment>>,
    git_create: Option<ServerAction<crate::api::codecommit::CreateGitCredential>>,
    git_reset: Option<ServerAction<crate::api::codecommit::ResetGitCredential>>,
    ssh_upload: Option<ServerAction<crate::api::codecommit::UploadSshKey>>,
    svc_create: Option<ServerAction<crate::api::services::CreateServiceCredential>>,
    svc_reset: Option<ServerAction<crate::api::services::ResetServiceCredential>>,
}

/// After a successful password confirmation, run again the action that asked for it, with the input
/// it had (the person already said what they wanted; they should not have to say it twice).
macro_rules! replay_after_confirm {
    ($confirm:expr, $action:expr) => {{
        let (confirm, action) = ($confirm, $action);
        let pending = StoredValue::new(None);
        Effect::new(move |_| {
            if let Some(input) = action.input().get() {
                pending.set_value(Some(input));
            }
        });
        Effect::new(move |_| {
            if let Some(Ok(())) = confirm.value().get() {
                if let Some(Err(AppError::ReauthRequired)) = action.value().get_untracked() {
                    if let Some(input) = pending.get_value() {
                        action.dispatch(input);
                    }
                }
            }
        });
    }};
}

/// Whose actions a section's password prompt answers for (see [`CredentialActions::needs_reauth`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReauthSection {
    None,
    Password,
    AccessKeys,
    Mfa,
    Git,
    SshUpload,
    Services,
}

/// The accessor of one action: made on first use under the island's owner, then `$wire` (run under
/// that owner too) sets up what the action does with the others.
macro_rules! lazy_action {
    ($(#[$doc:meta])* $name:ident: $ty:ty, |$this:ident, $action:ident| $wire:expr) => {
        $(#[$doc])*
        pub fn $name(&self) -> ServerAction<$ty> {
            if let Some(made) = self.0.with_value(|s| s.$name) {
                return made;
            }
            let $action = self.under_owner(ServerAction::<$ty>::new);
            self.0.update_value(|s| s.$name = Some($action));
            let $this = *self;
            self.under_owner(move || $wire);
            $action
        }
    };
}

impl CredentialActions {
    /// The island's set: nothing made yet.
    pub fn new() -> Self {
        CredentialActions(StoredValue::new(Slots { owner: Owner::current(), ..Slots::default() }))
    }

    /// Run `f` under the island's owner, tracking nothing (a part may first ask for an action while
    /// a reactive closure of its view runs).
    fn under_owner<T>(&self, f: impl FnOnce() -> T) -> T {
        match self.0.with_value(|s| s.owner.clone()) {
            Some(owner) => owner.with(|| untrack(f)),
            None => untrack(f),
        }
    }

    lazy_action!(
        /// The password confirmation every other action's step-up answers with.
        confirm: ConfirmPassword,
        |_this, _action| ()
    );
    lazy_action!(create: CreateAccessKey, |this, a| replay_after_confirm!(this.confirm(), a));
    lazy_action!(password: crate::api::password::ChangePassword, |_this, _action| ());
    lazy_action!(mfa_start: crate::api::mfa::StartMfaEnrolment, |this, a| replay_after_confirm!(this.confirm(), a));
    lazy_action!(
        /// A section's message lasts until its next action: when enabling or cancelling is
        /// dispatched, both answers are forgotten, so "MFA device assigned" does not stand beside a
        /// device just removed.
        mfa_enable: crate::api::mfa::EnableMfa,
        |this, a| {
            let cancel = this.mfa_cancel();
            Effect::new(move |_| {
                if a.input().get().is_some() || cancel.input().get().is_some() {
                    a.value().set(None);
                    cancel.value().set(None);
                }
            });
        }
    );
    lazy_action!(
        /// Made with [`Self::mfa_enable`], whose wiring covers both.
        mfa_cancel: crate::api::mfa::CancelMfaEnrolment,
        |this, _action| {
            this.mfa_enable();
        }
    );
    lazy_action!(git_create: crate::api::codecommit::CreateGitCredential, |this, a| replay_after_confirm!(this.confirm(), a));
    lazy_action!(git_reset: crate::api::codecommit::ResetGitCredential, |this, a| replay_after_confirm!(this.confirm(), a));
    lazy_action!(ssh_upload: crate::api::codecommit::UploadSshKey, |this, a| replay_after_confirm!(this.confirm(), a));
    lazy_action!(svc_create: crate::api::services::CreateServiceCredential, |this, a| replay_after_confirm!(this.confirm(), a));
    lazy_action!(svc_reset: crate::api::services::ResetServiceCredential, |this, a| replay_after_confirm!(this.confirm(), a));

    /// True while an action of `section` asks for a password confirmation. Each section's island has
    /// its own prompt, so only its own actions count: an error in the address (a JavaScript-free post)
    /// is seen by every island's actions.
    pub fn needs_reauth(&self, section: ReauthSection) -> bool {
        let asks = |v: Option<Result<(), AppError>>| matches!(v, Some(Err(AppError::ReauthRequired)));
        // Read only where an action asks, so a part with no prompt makes no confirmation action.
        let confirmed = || matches!(self.confirm().value().get(), Some(Ok(())));
        match section {
            ReauthSection::None => false,
            ReauthSection::Password => asks(self.password().value().get()),
            ReauthSection::AccessKeys => matches!(self.create().value().get(), Some(Err(AppError::ReauthRequired))) && !confirmed(),
            // Only the enrolment's own answers: `enable_mfa` in the address is the hardware token's form,
            // which is drawn on the server and has its own prompt (an action run here has a version).
            ReauthSection::Mfa => {
                matches!(self.mfa_start().value().get(), Some(Err(AppError::ReauthRequired))) && !confirmed()
                    || asks(self.mfa_enable().value().get()) && self.mfa_enable().version().get() > 0
            }
            // JavaScript only: no other island of the page sees these answers.
            ReauthSection::Git => {
                (asks(self.git_create().value().get().map(|r| r.map(drop))) || asks(self.git_reset().value().get().map(|r| r.map(drop))))
                    && !confirmed()
            }
            // Also posted without JavaScript: an answer in the address is this island's alone.
            ReauthSection::SshUpload => asks(self.ssh_upload().value().get().map(|r| r.map(drop))) && !confirmed(),
            ReauthSection::Services => {
                (asks(self.svc_create().value().get().map(|r| r.map(drop))) || asks(self.svc_reset().value().get().map(|r| r.map(drop))))
                    && !confirmed()
            }
        }
    }
}

impl Default for CredentialActions {
    fn default() -> Self {
        Self::new()
    }
}

/// The section, drawn on the server: the keys with their activate/deactivate and delete forms, which
/// post with or without JavaScript (the page comes back with the answer), and the rotation guide of
/// `?rotate=`. What is live is an island: the create wizard and the one-time secret
/// ([`KeyCreate`]), and the guide's own create and last-use watch.
#[component]
pub fn AccessKeysSection(keys: Vec<AccessKeyView>, iam_user: String, instead: Vec<String>) -> impl IntoView {
    let (set_status, delete) = (ServerAction::<SetAccessKeyStatus>::new(), ServerAction::<DeleteAccessKey>::new());
    let (asks, action_error) = crate::components::answer::refusal([set_status.value().get_untracked(), delete.value().get_untracked()]);
    let used = keys.len();
    let full = used >= MAX_ACCESS_KEYS;
    let th = TH;
    let query = crate::components::location::use_query_map();
    let (rotate, rotate_ending, done) = query.with_untracked(|q| (q.get("rotate"), q.get("rotate-ending"), q.get("done")));
    // A reminder's link names the key by its last 4 characters only (it travels by e-mail): find it
    // among this person's active keys.
    let rotating = rotate.and_then(|id| AccessKeyId::parse(&id).ok()).or_else(|| {
        let end = rotate_ending?;
        let mut found = keys.iter().filter(|k| k.key.status.is_active() && end.len() == 4 && k.key.id.as_str().ends_with(end.as_str()));
        match (found.next(), found.next()) {
            (Some(one), None) => Some(one.key.id.clone()),
            _ => None,
        }
    });
    let guide = rotating
        .clone()
        .map(|old| view! { <super::rotation::RotationGuide old keys=keys.clone() iam_user=iam_user.clone() set_status delete/> });
    let create = super::section_island(super::Part::KeyCreate { full, iam_user, instead });
    view! {
        <SectionReauth place="access-keys" asks/>
        {guide}
        {(done.as_deref() == Some("create_access_key")).then(|| view! {
            <p class="mb-4 rounded-md bg-slate-100 px-3 py-2 text-sm text-slate-700" data-testid="secret-gone">
                "The secret access key is gone for good: keydesk never stored it. If you did not save it, deactivate that key and create a new one."
            </p>
        })}
        {action_error.map(|error| view! { <div class="mb-3"><ErrorView error/></div> })}
        <div class="mb-3 flex flex-wrap items-center justify-between gap-3">
            <p class="text-sm text-slate-700" data-testid="key-count">
                {format!("{used} of {MAX_ACCESS_KEYS} access keys used")}
                {full.then(|| view! { <span class="text-slate-500">" — inactive keys count too; delete one to make room."</span> })}
            </p>
        </div>
        {create}
        {if keys.is_empty() {
            view! { <p class="mt-4 text-sm text-slate-600">"You have no access keys. Prefer temporary credentials (aws configure sso) where you can."</p> }.into_any()
        } else {
            let rotating = rotating.is_some();
            view! {
                <div class="mt-4 overflow-x-auto">
                    <table class="min-w-full divide-y divide-slate-200 text-sm">
                        <thead><tr>
                            <th scope="col" class=th>"Access key ID"</th>
                            <th scope="col" class=th>"Status"</th>
                            <th scope="col" class=th>"Created (UTC)"</th>
                            <th scope="col" class=th>"Age"</th>
                            <th scope="col" class=th>"Last used"</th>
                            <th scope="col" class=th>"Description"</th>
                            <th scope="col" class=th><span class="sr-only">"Actions"</span></th>
                        </tr></thead>
                        <tbody class="divide-y divide-slate-100">
                            {keys.into_iter().map(|k| view! { <AccessKeyRow k rotating set_status delete/> }.into_any()).collect_view()}
                        </tbody>
                    </table>
                </div>
            }.into_any()
        }}
    }
}

/// The create wizard and the new key's one-time secret: the island of the access-key section.
#[component]
pub fn KeyCreate(full: bool, iam_user: String) -> impl IntoView {
    view! {
        <SecretView iam_user/>
        <CreateWizard full/>
    }
}

/// Use cases the console asks about, with the safer alternative for each.
const USE_CASES: &[(&str, &str, &str)] = &[
    (
        "cli",
        "Command line interface (CLI)",
        "Safer: run `aws configure sso` and sign in through IAM Identity Center — short-lived credentials, nothing to rotate.",
    ),
    (
        "local-code",
        "Local code",
        "Safer: use an IDE toolkit or `aws configure sso` so your code picks up temporary credentials from the SDK's default chain.",
    ),
    (
        "aws-compute",
        "Application running on AWS compute",
        "Safer: give the EC2 instance, ECS task or Lambda function an IAM role; the SDK gets rotating credentials automatically.",
    ),
    (
        "third-party",
        "Third-party service",
        "Safer: if the service supports it, let it assume an IAM role in your account with an external id instead of holding a key.",
    ),
    ("other", "Other", "Store the key in a secrets manager, never in source code, and rotate it at least every 90 days."),
];

#[component]
fn CreateWizard(full: bool) -> impl IntoView {
    let actions = expect_context::<CredentialActions>();
    let create_error = move || actions.create().value().get().and_then(Result::err).filter(|e| *e != AppError::ReauthRequired);
    // With JavaScript the wizard runs the server action and the secret stays in this page's memory.
    // Without it the browser posts to NEW_KEY_PATH, which answers with the one-time page itself.
    let description = NodeRef::<leptos::html::Input>::new();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let text = description.get_untracked().map(|i| i.value()).unwrap_or_default();
        actions.create().dispatch(CreateAccessKey { description: Some(text) });
    };
    view! {
        <details class="group rounded-lg border border-slate-200 bg-slate-50 open:bg-white" data-testid="create-key">
            <summary class="cursor-pointer list-none rounded-lg px-4 py-3 text-sm font-semibold text-indigo-700 focus-visible:outline-2 focus-visible:outline-indigo-600"
                class:pointer-events-none=full class:text-slate-400=full aria-disabled=full.to_string()>
                {if full { "Create access key — unavailable: you already have 2 keys; delete one first" } else { "Create access key" }}
            </summary>
            {(!full).then(|| view! {
                <form method="post" action=NEW_KEY_PATH class="space-y-4 px-4 pb-4" on:submit=submit>
                    // Each use case's advice is shown by CSS for the checked radio (style/tailwind.css,
                    // `.use-cases`), so it follows the choice with JavaScript off too.
                    <fieldset class="use-cases">
                        <legend class="text-sm font-medium text-slate-800">"What will you use it for?"</legend>
                        <div class="mt-2 grid gap-2 sm:grid-cols-2">
                            {USE_CASES.iter().map(|(id, label, _)| view! {
                                <label class="flex items-center gap-2 text-sm">
                                    <input type="radio" name="use_case_ui" value=*id checked=*id == "cli"/>
                                    {*label}
                                </label>
                            }).collect_view()}
                        </div>
                        {USE_CASES.iter().map(|(id, _, advice)| view! {
                            <div data-advice=*id>
                                <p class="mt-2 rounded-md bg-sky-50 px-3 py-2 text-sm text-sky-900 ring-1 ring-sky-200" data-testid="alternative">{code_spans(advice)}</p>
                                // Where temporary credentials serve (the CLI, code on one's machine).
                                {["cli", "local-code"].contains(id).then(|| view! { <super::temporary::TemporaryInstead/> })}
                            </div>
                        }).collect_view()}
                    </fieldset>
                    <div>
                        <label for="key-description" class="block text-sm font-medium text-slate-800">"Description (optional)"</label>
                        <input id="key-description" name="description" node_ref=description maxlength="256" placeholder="e.g. laptop CLI" class=INPUT/>
                        <p class="mt-1 text-xs text-slate-500">"Saved as a tag on your IAM user, as the AWS console does."</p>
                    </div>
                    {move || create_error().map(|error| view! { <ErrorView error/> })}
                    <button type="submit" class=BUTTON disabled=move || actions.create().pending().get()>
                        {move || if actions.create().pending().get() { "Creating…" } else { "Create access key" }}
                    </button>
                </form>
            })}
        </details>
    }
}

/// The new key's one-time dialog, fed by the create action. "Done" forgets the secret for good and
/// loads the page anew, which lists the key and says the secret is gone.
#[component]
pub(super) fn SecretView(iam_user: String) -> impl IntoView {
    let actions = expect_context::<CredentialActions>();
    let created = move || actions.create().value().get().and_then(Result::ok);
    // Forget the secret: the action's value is the only place it lived.
    let forget = Callback::new(move |()| {
        actions.create().value().set(None);
        crate::components::browser::show_answer(Some("create_access_key"), "access-keys");
    });
    view! {
        {move || created().map(|k| {
            let (file, csv) = access_key_csv(&iam_user, &k);
            let snip = snippets(&k.key.id, &k.secret, "default", "us-east-1");
            let fields = vec![
                SecretField { label: "Access key ID", value: k.key.id.to_string(), secret: false, testid: "new-key-id" },
                SecretField { label: "Secret access key", value: k.secret.expose().to_owned(), secret: true, testid: "new-key-secret" },
            ];
            let snippets = vec![
                SecretSnippet { title: "aws configure", text: snip.aws_configure.into(), holds_secret: true },
                SecretSnippet { title: "~/.aws/credentials", text: snip.credentials_file.into(), holds_secret: true },
                SecretSnippet { title: "Environment variables", text: snip.exports.into(), holds_secret: true },
            ];
            view! {
                <OneTimeSecretDialog title="Your new access key"
                    intro="This is the only time the secret access key can be viewed or downloaded. Save it now."
                    fields csv=(file, csv, "Download .csv file") snippets what="secret access key"
                    testid="secret-view" prefix="key" on_close=forget/>
            }
        })}
    }
}

/// The rotation deadline under a key's age: the date and how near it is, coloured by stage.
fn deadline_line(d: KeyDeadline) -> impl IntoView {
    let (text, class) = match d.stage {
        Stage::Overdue => (format!("Overdue since {}", fmt_utc(d.due)), "text-red-700 font-medium"),
        Stage::Reminder(_) => (format!("Rotate within {} (by {})", days(d.days_left), fmt_utc(d.due)), "text-amber-800 font-medium"),
        Stage::OnTrack => (format!("Rotate by {}", fmt_utc(d.due)), "text-slate-500"),
        Stage::Exempt(until) => (format!("Exempt from the deadline until {}", fmt_utc(until)), "text-slate-500"),
    };
    view! { <span class=format!("block text-xs {class}") data-testid="key-deadline">{text}</span> }
}

#[component]
fn AccessKeyRow(
    k: AccessKeyView,
    rotating: bool,
    set_status: ServerAction<SetAccessKeyStatus>,
    delete: ServerAction<DeleteAccessKey>,
) -> impl IntoView {
    let mut flags = Vec::new();
    match k.rotation_due() {
        Some(RotationDue::PastDeadline(due)) => {
            flags.push(format!("Past its rotation deadline ({} UTC): rotate it now (CIS 2.11).", fmt_utc(due)))
        }
        Some(RotationDue::Old) => flags.push(format!("Older than {} days: rotate it (CIS 2.11).", super::ROTATE_AFTER_DAYS)),
        None => {}
    }
    if k.key.status.is_active() && k.idle_days >= super::IDLE_AFTER_DAYS {
        flags.push(match k.last_used.at {
            Some(_) => format!("Unused for {} days: deactivate it if nothing needs it (CIS 2.12).", k.idle_days),
            None => format!("Never used in {} days: deactivate it if nothing needs it (CIS 2.12).", k.idle_days),
        });
    }
    let last = match (&k.last_used.at, &k.last_used.service, &k.last_used.region) {
        (Some(at), service, region) => format!(
            "{} · {} · {}",
            fmt_utc(*at),
            service.clone().unwrap_or_else(|| "unknown service".into()),
            region.clone().unwrap_or_else(|| "unknown region".into())
        ),
        (None, _, _) => "Never".to_owned(),
    };
    let id = k.key.id.to_string();
    let active = k.key.status.is_active();
    let held = k.hold.clone();
    if let Some(why) = &held {
        flags.push(why.clone());
    }
    let consequence = format!("Anything that still uses {id} stops working at once: it was {}. You can reactivate it.", k.last_use_words());
    let (id_for_delete, id_label) = (id.clone(), id.clone());
    view! {
        <tr data-testid="access-key-row">
            <td class="py-2 pr-4 align-top font-mono">{id.clone()}</td>
            <td class="py-2 pr-4 align-top">{crate::components::status_badge(&k.key.status)}</td>
            <td class="py-2 pr-4 align-top tabular-nums">{fmt_utc(k.key.created_at)}</td>
            <td class="py-2 pr-4 align-top tabular-nums">{format!("{} days", k.age_days)}{k.deadline.map(deadline_line)}</td>
            <td class="py-2 pr-4 align-top">{last}</td>
            <td class="py-2 pr-4 align-top">{k.description.unwrap_or_default()}</td>
            <td class="py-2 align-top">
                <div class="flex flex-col items-end gap-2">
                    {(active && !rotating).then(|| view! {
                        <a href=format!("/?rotate={id}") class="text-xs font-medium text-indigo-700 underline" data-testid="rotate-key">"Rotate without downtime"</a>
                    })}
                    {match held.is_some() {
                        // Held after a leak: no Activate button; the flag row below says what to do.
                        true => view! {
                            <span class="rounded-full bg-red-50 px-2 py-0.5 text-xs font-medium text-red-800 ring-1 ring-red-200" data-testid="key-held">"Exposed · held by the help desk"</span>
                        }.into_any(),
                        false if active => view! {
                            <Confirm label="Deactivate" consequence testid="toggle-key">
                                <ActionForm action=set_status>
                                    <input type="hidden" name="key_id" value=id.clone()/>
                                    <input type="hidden" name="active" value="false"/>
                                    <button type="submit" class=DANGER data-testid="toggle-key-confirm">"Deactivate it"</button>
                                </ActionForm>
                            </Confirm>
                        }.into_any(),
                        false => view! {
                            <ActionForm action=set_status>
                                <input type="hidden" name="key_id" value=id.clone()/>
                                <input type="hidden" name="active" value="true"/>
                                <button type="submit" class=SECONDARY data-testid="toggle-key">"Activate"</button>
                            </ActionForm>
                        }.into_any(),
                    }}
                    {(!active).then(|| view! {
                        <ActionForm action=delete attr:class="flex items-center gap-2">
                            <input type="hidden" name="key_id" value=id_for_delete/>
                            {typed_delete("the key id".into(), format!("confirm-{id_label}"), "delete-confirm", "delete-key")}
                        </ActionForm>
                    })}
                </div>
            </td>
        </tr>
        {(!flags.is_empty()).then(|| view! {
            <tr>
                <td colspan="7" class="pb-3">
                    <ul class="rounded-md bg-amber-50 px-3 py-2 text-xs text-amber-900 ring-1 ring-amber-200" data-testid="key-flags">
                        {flags.into_iter().map(|f| view! { <li>{f}</li> }).collect_view()}
                    </ul>
                </td>
            </tr>
        })}
    }
}
