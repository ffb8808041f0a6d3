//! The AWS CodeCommit section of "My security credentials": HTTPS Git credentials (generate, reset,
//! activate/deactivate, delete; the password shown once) and SSH public keys (upload with a live
//! fingerprint, activate/deactivate, delete, the `~/.ssh/config` block). Passwords live only in the
//! create/reset actions' values; "Done" forgets them.

use super::access_keys::CredentialActions;
use crate::api::codecommit::*;
use crate::api::credentials::{MAX_GIT_CREDENTIALS, MAX_SSH_KEYS};
use crate::components::answer::{posts_to, refusal, use_answer};
use crate::components::status_badge;
use crate::components::{status_button, status_form, typed_delete, BUTTON, DANGER, INPUT, TH};
use crate::components::{Confirm, CopyButton, ErrorView, ManagedNotice, OneTimeSecretDialog, SecretField, SectionReauth};
use crate::domain::codecommit::{https_clone, ssh_clone, ssh_config, CREDENTIAL_HELPERS};
use crate::domain::entitlements::Capability;
use crate::domain::export::git_credentials_csv;
use crate::domain::ssh_key::{self, SshKeyError};
use crate::domain::*;
use crate::error::AppError;
use leptos::form::ActionForm;
use leptos::prelude::*;

const SMALL_INPUT: &str = "rounded-md border border-slate-300 px-2 py-1 font-mono text-xs";

fn error_of<T: Clone + Send + Sync + 'static>(v: Option<Result<T, AppError>>) -> Option<AppError> {
    v.and_then(Result::err).filter(|e| *e != AppError::ReauthRequired)
}

/// The region and repository the clone commands name, owned by the page (not by the section, which is
/// re-rendered after every change) so the one-time dialog and every row share them.
#[derive(Clone, Copy)]
pub struct CloneTargetState {
    pub region: RwSignal<String>,
    pub repo: RwSignal<String>,
}

impl CloneTargetState {
    pub fn new() -> Self {
        CloneTargetState { region: RwSignal::new(String::new()), repo: RwSignal::new(String::new()) }
    }
}

impl Default for CloneTargetState {
    fn default() -> Self {
        Self::new()
    }
}

/// The section, drawn on the server: the lists with their activate/deactivate and delete forms, which
/// post with or without JavaScript (the page comes back with the answer beside the list it was for).
/// What is live is an island: generating and resetting a Git password (shown once), the SSH key
/// upload (its fingerprint checked while typing) and each key's SSH config and clone command.
#[component]
pub fn CodeCommitSection(
    git: Result<Vec<GitCredentialView>, AppError>,
    ssh: Result<Vec<SshKeyView>, AppError>,
    region: String,
    /// Whom to ask, when the employee may not manage Git credentials (shown instead of them).
    git_managed: Option<String>,
    /// Whom to ask, when the employee may not manage SSH keys (shown instead of them).
    ssh_managed: Option<String>,
) -> impl IntoView {
    let (git_status, git_delete) = (ServerAction::<SetGitCredentialStatus>::new(), ServerAction::<DeleteGitCredential>::new());
    let (ssh_status, ssh_delete) = (ServerAction::<SetSshKeyStatus>::new(), ServerAction::<DeleteSshKey>::new());
    let (asks, error) = refusal([
        git_status.value().get_untracked(),
        git_delete.value().get_untracked(),
        ssh_status.value().get_untracked(),
        ssh_delete.value().get_untracked(),
    ]);
    let open = use_answer().open;
    let error_at = move |place: &str| error.clone().filter(|_| open == place);
    let (git_error, ssh_error) = (error_at("git-credentials"), error_at("ssh-keys"));
    view! {
        <SectionReauth place="codecommit" asks/>
        <div class="grid gap-8">
            <section id="git-credentials" aria-labelledby="git-heading">
                <h3 id="git-heading" class="text-base font-semibold text-slate-900">"HTTPS Git credentials"</h3>
                <p class="mt-1 text-sm text-slate-600">"A user name and password for HTTPS connections to CodeCommit. IAM allows 2 per user."</p>
                <div class="mt-3">{match git {
                    _ if git_managed.is_some() => view! { <ManagedNotice cap=Capability::GitCredentials ask=git_managed.unwrap_or_default()/> }.into_any(),
                    Ok(creds) => view! { <GitCredentials creds region=region.clone() error=git_error/> }.into_any(),
                    Err(error) => view! { <ErrorView error/> }.into_any(),
                }}</div>
            </section>
            <section id="ssh-keys" aria-labelledby="ssh-heading">
                <h3 id="ssh-heading" class="text-base font-semibold text-slate-900">"SSH public keys"</h3>
                <p class="mt-1 text-sm text-slate-600">"RSA public keys (2048 bits or more) for SSH connections to CodeCommit. IAM allows 5 per user."</p>
                <div class="mt-3">{match ssh {
                    _ if ssh_managed.is_some() => view! { <ManagedNotice cap=Capability::SshKeys ask=ssh_managed.unwrap_or_default()/> }.into_any(),
                    Ok(keys) => view! { <SshKeys keys region error=ssh_error/> }.into_any(),
                    Err(error) => view! { <ErrorView error/> }.into_any(),
                }}</div>
            </section>
        </div>
    }
}

/// Region and repository inputs for the clone commands.
#[component]
fn CloneTarget(region: RwSignal<String>, repo: RwSignal<String>) -> impl IntoView {
    view! {
        <div class="flex flex-wrap gap-3 text-xs">
            <label class="text-slate-700">"Region"
                <input class=format!("ml-1 w-32 {SMALL_INPUT}") prop:value=move || region.get()
                    on:input=move |ev| region.set(event_target_value(&ev))/></label>
            <label class="text-slate-700">"Repository"
                <input class=format!("ml-1 w-40 {SMALL_INPUT}") placeholder="MyDemoRepo" prop:value=move || repo.get()
                    on:input=move |ev| repo.set(event_target_value(&ev))/></label>
        </div>
    }
}

fn code_block(text: String, testid: &'static str) -> impl IntoView {
    view! {
        <div class="mt-1 flex items-start gap-2">
            <pre tabindex="0" class="min-w-0 flex-1 overflow-x-auto rounded-md bg-slate-900 p-3 text-xs text-slate-100" data-testid=testid>{text.clone()}</pre>
            <CopyButton text label="Copy the command"/>
        </div>
    }
}

#[component]
fn GitCredentials(creds: Vec<GitCredentialView>, region: String, error: Option<AppError>) -> impl IntoView {
    let used = creds.len();
    let full = used >= MAX_GIT_CREDENTIALS;
    let generate = super::section_island(super::Part::GitGenerate { full, region: region.clone() });
    view! {
        {error.map(|error| view! { <div class="mb-3"><ErrorView error/></div> })}
        <div class="mb-3 flex flex-wrap items-center justify-between gap-3">
            <p class="text-sm text-slate-700" data-testid="git-count">
                {format!("{used} of {MAX_GIT_CREDENTIALS} HTTPS Git credentials used")}
                {full.then(|| view! { <span class="text-slate-500">" — inactive ones count too."</span> })}
            </p>
            {generate}
        </div>
        {if creds.is_empty() {
            view! { <p class="text-sm text-slate-600">"You have no HTTPS Git credentials."</p> }.into_any()
        } else {
            view! {
                <div class="overflow-x-auto">
                    <table class="min-w-full divide-y divide-slate-200 text-sm">
                        <thead><tr>
                            <th scope="col" class=TH>"Git user name"</th>
                            <th scope="col" class=TH>"Credential ID"</th>
                            <th scope="col" class=TH>"Status"</th>
                            <th scope="col" class=TH>"Created (UTC)"</th>
                            <th scope="col" class=TH>"Age"</th>
                            <th scope="col" class=TH><span class="sr-only">"Actions"</span></th>
                        </tr></thead>
                        <tbody class="divide-y divide-slate-100">
                            {creds.into_iter().map(|c| view! { <GitRow c region=region.clone()/> }).collect_view()}
                        </tbody>
                    </table>
                </div>
            }.into_any()
        }}
    }
}

/// "Generate credentials": the password is shown once, so it needs JavaScript (it says so before).
#[component]
pub fn GitGenerate(full: bool) -> impl IntoView {
    let actions = expect_context::<CredentialActions>();
    let hydrated = crate::components::use_hydrated();
    let create_error = move || error_of(actions.git_create().value().get());
    view! {
        <GitSecretDialog/>
        {move || if hydrated.get() {
            view! {
                <button type="button" class=BUTTON data-testid="git-generate"
                    disabled=move || full || actions.git_create().pending().get()
                    title=if full { "You already have 2 HTTPS Git credentials: delete one first" } else { "" }
                    on:click=move |_| { actions.git_create().dispatch(CreateGitCredential {}); }>
                    {move || if actions.git_create().pending().get() { "Generating…" } else { "Generate credentials" }}
                </button>
            }.into_any()
        } else {
            view! { <p class="text-xs text-slate-500">"Generating or resetting a password needs JavaScript: it is shown once."</p> }.into_any()
        }}
        {move || create_error().map(|error| view! { <div class="mt-3 w-full"><ErrorView error/></div> })}
    }
}

/// A credential's "Reset password": the new password is shown once, so it needs JavaScript.
#[component]
pub fn GitReset(id: String, user: String) -> impl IntoView {
    let actions = expect_context::<CredentialActions>();
    let hydrated = crate::components::use_hydrated();
    let consequence = format!("The current password of {user} stops working at once; the new one is shown once.");
    let reset = Callback::new(move |()| {
        actions.git_reset().dispatch(ResetGitCredential { credential_id: id.clone() });
    });
    let reset_error = move || error_of(actions.git_reset().value().get());
    let pending = actions.git_reset().pending();
    view! {
        <GitSecretDialog/>
        {move || hydrated.get().then(|| reset_behind_confirm("Reset password", "Reset the password".into(), consequence.clone(), "git-reset", pending, reset))}
        {move || reset_error().map(|error| view! { <div class="mt-2"><ErrorView error/></div> })}
    }
}

/// A reset's button behind its in-page confirmation (`<testid>`, `<testid>-confirm`): the new secret
/// is shown once, so it is offered only once the page is interactive.
pub(super) fn reset_behind_confirm(
    label: impl Into<String>,
    words: String,
    consequence: String,
    testid: &'static str,
    pending: Memo<bool>,
    reset: Callback<()>,
) -> impl IntoView {
    view! {
        <Confirm label=label.into() consequence testid>
            <button type="button" class=DANGER on:click=move |_| reset.run(()) data-testid=format!("{testid}-confirm")
                disabled=move || pending.get()>{words}</button>
        </Confirm>
    }
}

#[component]
fn GitRow(c: GitCredentialView, region: String) -> impl IntoView {
    let id = c.credential.id.to_string();
    let user = c.credential.service_user_name.clone();
    let active = c.credential.status.is_active();
    let toggle_consequence = format!("Git clients that use {user} stop working at once. You can reactivate them.");
    let confirm_id = format!("git-confirm-{id}");
    let reset = super::section_island(super::Part::GitReset { id: id.clone(), user: user.clone(), region });
    view! {
        <tr data-testid="git-row">
            <td class="py-2 pr-4 align-top font-mono" data-testid="git-user">{user.clone()}</td>
            <td class="py-2 pr-4 align-top font-mono text-xs">{id.clone()}</td>
            <td class="py-2 pr-4 align-top">{status_badge(&c.credential.status)}</td>
            <td class="py-2 pr-4 align-top tabular-nums">{fmt_utc(c.credential.created_at)}</td>
            <td class="py-2 pr-4 align-top tabular-nums">{format!("{} days", c.age_days)}</td>
            <td class="py-2 align-top">
                <div class="flex flex-col items-end gap-2">
                    {reset}
                    {status_form(active, toggle_consequence, "git-toggle", view! {
                        <form method="post" action={posts_to::<SetGitCredentialStatus>("git-credentials")}>
                            <input type="hidden" name="credential_id" value=id.clone()/>
                            {status_button(active, "git-toggle", "Deactivate them")}
                        </form>
                    })}
                    <form method="post" action={posts_to::<DeleteGitCredential>("git-credentials")} class="flex items-center gap-2">
                        <input type="hidden" name="credential_id" value=id.clone()/>
                        {typed_delete("the Git user name".into(), confirm_id, "git-delete-confirm", "git-delete")}
                    </form>
                </div>
            </td>
        </tr>
    }
}

type SecretSlot = MappedSignal<Option<Result<CreatedServiceCredential, AppError>>>;

/// The newest successful answer of a create and a reset action that both yield a one-time secret (and
/// whether it came from the create), and the callback that forgets both. Each action clears the other
/// when it succeeds, so one dialog shows one secret.
pub(super) fn newest_secret(
    create: SecretSlot,
    reset: SecretSlot,
) -> (impl Fn() -> Option<(CreatedServiceCredential, bool)> + Copy, Callback<()>) {
    for (this, other) in [(create, reset), (reset, create)] {
        Effect::new(move |_| {
            if matches!(this.get(), Some(Ok(_))) {
                other.set(None);
            }
        });
    }
    let current = move || {
        let created = create.get().and_then(Result::ok).map(|c| (c, true));
        created.or_else(|| reset.get().and_then(Result::ok).map(|c| (c, false)))
    };
    let forget = Callback::new(move |()| {
        create.set(None);
        reset.set(None);
    });
    (current, forget)
}

/// The one-time view of a generated or reset Git password, in the island that made it. Closing it
/// forgets the password and loads the page anew, which lists the change.
#[component]
fn GitSecretDialog() -> impl IntoView {
    let actions = expect_context::<CredentialActions>();
    let CloneTargetState { region, repo } = expect_context::<CloneTargetState>();
    let (current, forget) = newest_secret(actions.git_create().value(), actions.git_reset().value());
    let forget = Callback::new(move |()| {
        forget.run(());
        crate::components::browser::show_answer(None, "git-credentials");
    });
    move || {
        current().map(|(c, created)| {
            // The Git user name is `<IAM user>-at-<account id>`; the console names the file after the IAM user.
            let user = c.credential.service_user_name.clone();
            let iam_user = user.rsplit_once("-at-").map_or(user.as_str(), |(u, _)| u).to_owned();
            let (file, csv) = git_credentials_csv(&iam_user, &user, &c.password);
            let fields = vec![
                SecretField { label: "User name", value: user, secret: false, testid: "git-new-user" },
                SecretField { label: "Password", value: c.password.expose().to_owned(), secret: true, testid: "git-new-password" },
            ];
            let (title, intro) = if created {
                ("Your new HTTPS Git credentials", "This is the only time the password can be viewed or downloaded. Save it now.")
            } else {
                (
                    "The new password of your HTTPS Git credentials",
                    "The old password no longer works. This is the only time the new one can be viewed or downloaded.",
                )
            };
            view! {
                <OneTimeSecretDialog title intro fields csv=(file, csv, "Download credentials") what="Git password"
                    testid="git-secret" prefix="git" on_close=forget>
                    <div class="grid gap-3">
                        <div>
                            <p class="font-medium">"Clone over HTTPS — Git asks for this user name and password:"</p>
                            <div class="mt-2"><CloneTarget region repo/></div>
                            {move || code_block(https_clone(&region.get(), &repo.get()), "git-clone")}
                        </div>
                        <div>
                            <p class="font-medium">"Let a credential helper remember it (not a plain-text file):"</p>
                            <ul class="mt-1 grid gap-1 font-mono text-xs">
                                {CREDENTIAL_HELPERS.iter().map(|(os, cmd)| view! { <li><span class="font-sans font-medium">{*os}": "</span>{*cmd}</li> }).collect_view()}
                            </ul>
                            <p class="mt-1 text-xs">"If you configured the AWS CLI credential helper (credential.helper '!aws codecommit credential-helper $@') for these repositories, remove it: it would be used instead of these credentials."</p>
                        </div>
                    </div>
                </OneTimeSecretDialog>
            }
        })
    }
}

/// What the upload form says about the pasted text, live (the same parser the server runs).
#[derive(Clone, PartialEq)]
enum Preview {
    Empty,
    Valid { bits: usize, sha256: String, md5: String },
    Invalid(String),
}

fn preview(text: &str) -> Preview {
    if text.trim().is_empty() {
        return Preview::Empty;
    }
    match ssh_key::parse(text) {
        Ok(k) => Preview::Valid { bits: k.bits, sha256: k.sha256_fingerprint(), md5: k.md5_fingerprint() },
        Err(e) => Preview::Invalid(e.to_string()),
    }
}

#[component]
fn SshKeys(keys: Vec<SshKeyView>, region: String, error: Option<AppError>) -> impl IntoView {
    let used = keys.len();
    let full = used >= MAX_SSH_KEYS;
    // Back from an upload: the newest key is the one just uploaded.
    let uploaded = use_answer().done == "upload_ssh_key";
    let newest = uploaded.then(|| keys.iter().max_by_key(|k| k.key.uploaded_at).map(|k| k.key.id.to_string())).flatten();
    view! {
        {error.map(|error| view! { <div class="mb-3"><ErrorView error/></div> })}
        {newest.map(|id| view! {
            <div class="mb-4 rounded-md bg-emerald-50 px-3 py-2 text-sm text-emerald-900 ring-1 ring-emerald-200" role="status" data-testid="ssh-uploaded">
                "Uploaded. Your SSH user name for CodeCommit is " <span class="font-mono font-semibold">{id}</span>
                " — open “SSH config” on its row for the ~/.ssh/config block."
            </div>
        })}
        <p class="mb-3 text-sm text-slate-700" data-testid="ssh-count">
            {format!("{used} of {MAX_SSH_KEYS} SSH public keys used")}
            {full.then(|| view! { <span class="text-slate-500">" — inactive keys count too."</span> })}
        </p>
        {if full {
            view! { <p class="mb-3 text-sm text-slate-600">"Upload unavailable: you already have 5 keys. Delete one first."</p> }.into_any()
        } else {
            super::section_island(super::Part::SshUpload)
        }}
        {if keys.is_empty() {
            view! { <p class="mt-4 text-sm text-slate-600">"You have no SSH public keys."</p> }.into_any()
        } else {
            view! {
                <div class="mt-4 overflow-x-auto">
                    <table class="min-w-full divide-y divide-slate-200 text-sm">
                        <thead><tr>
                            <th scope="col" class=TH>"SSH key ID"</th>
                            <th scope="col" class=TH>"Fingerprint"</th>
                            <th scope="col" class=TH>"Status"</th>
                            <th scope="col" class=TH>"Uploaded (UTC)"</th>
                            <th scope="col" class=TH><span class="sr-only">"Actions"</span></th>
                        </tr></thead>
                        <tbody class="divide-y divide-slate-100">
                            {keys.into_iter().map(|k| view! { <SshRow k region=region.clone()/> }).collect_view()}
                        </tbody>
                    </table>
                </div>
            }.into_any()
        }}
    }
}

/// The upload form, live: the same parser as the server's says what the pasted key is while it is
/// typed, and a private key is cleared before it can be sent. A successful upload loads the page anew.
#[component]
pub fn UploadForm() -> impl IntoView {
    let actions = expect_context::<CredentialActions>();
    Effect::new(move |_| {
        if matches!(actions.ssh_upload().value().get(), Some(Ok(_))) {
            crate::components::browser::show_answer(Some("upload_ssh_key"), "ssh-keys");
        }
    });
    let text = RwSignal::new(String::new());
    let file_note = RwSignal::new(None::<String>);
    let hydrated = crate::components::use_hydrated();
    let state = Memo::new(move |_| text.with(|t| preview(t)));
    // A private key never stays in the form: it is cleared as soon as it is recognised.
    // The warning lasts until a public key is in the field. Not "until the next input": a pasted
    // private key arrives as several input events, and clearing the field after the first left the
    // rest to arrive without its header, unrecognised, and took the warning away.
    Effect::new(move |_| {
        match text.with(|t| (ssh_key::parse(t), t.trim_start().starts_with("ssh-") || t.trim_start().starts_with("ecdsa-"))) {
            (Err(SshKeyError::PrivateKey), _) => {
                text.set(String::new());
                file_note.set(Some(SshKeyError::PrivateKey.to_string()));
            }
            (Ok(_), _) | (_, true) => file_note.set(None),
            _ => {}
        }
    });
    let server_error = move || error_of(actions.ssh_upload().value().get());
    let open = move || server_error().is_some() || !text.with(String::is_empty) || file_note.with(Option::is_some);
    let on_file = move |_ev: leptos::ev::Event| {
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::JsCast;
            let Some(input) = _ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok()) else {
                return;
            };
            leptos::task::spawn_local(async move {
                match crate::components::browser::read_text_file(&input, 64 * 1024).await {
                    Ok(body) => match ssh_key::parse(&body) {
                        Err(SshKeyError::PrivateKey) => {
                            text.set(String::new());
                            file_note.set(Some(format!("{} (That file was not uploaded.)", SshKeyError::PrivateKey)));
                        }
                        _ => {
                            file_note.set(None);
                            text.set(body);
                        }
                    },
                    Err(message) => file_note.set(Some(message.to_owned())),
                }
                // Forget the file: nothing of it stays in the form but the text above.
                input.set_value("");
            });
        }
    };
    view! {
        <details class="rounded-lg border border-slate-200 bg-slate-50 open:bg-white" open=open data-testid="ssh-upload">
            <summary class="cursor-pointer list-none rounded-lg px-4 py-3 text-sm font-semibold text-indigo-700 focus-visible:outline-2 focus-visible:outline-indigo-600">"Upload SSH public key"</summary>
            <ActionForm action=actions.ssh_upload() attr:class="space-y-3 px-4 pb-4">
                <div>
                    <label for="ssh-public-key" class="block text-sm font-medium text-slate-800">"Public key"</label>
                    <p class="text-xs text-slate-500">"Paste the contents of your .pub file (ssh-rsa …), or a PEM / RFC 4716 public key. Make one with: ssh-keygen -t rsa -b 4096 -f ~/.ssh/codecommit_rsa"</p>
                    <textarea id="ssh-public-key" name="public_key" rows="4" required spellcheck="false" autocomplete="off"
                        class=format!("mt-1 font-mono text-xs {INPUT}") data-testid="ssh-key-input"
                        prop:value=move || text.get() on:input=move |ev| text.set(event_target_value(&ev))></textarea>
                </div>
                {move || hydrated.get().then(|| view! {
                    <label class="block text-sm text-slate-700">"…or choose the .pub file: "
                        <input type="file" accept=".pub,.pem,text/plain" class="text-xs" on:change=on_file data-testid="ssh-key-file"/>
                    </label>
                })}
                {move || file_note.get().map(|m| view! { <p class="text-sm text-red-700" role="alert" data-testid="ssh-file-note">{m}</p> })}
                <div aria-live="polite" data-testid="ssh-preview">
                    {move || match state.get() {
                        Preview::Empty => ().into_any(),
                        Preview::Valid { bits, sha256, md5 } => view! {
                            <p class="text-sm text-emerald-800">"✓ RSA " {bits} " bits · " <span class="font-mono" data-testid="ssh-preview-sha256">{sha256}</span></p>
                            <p class="text-xs text-slate-500">"MD5 (as IAM shows it): " <span class="font-mono">{md5}</span></p>
                        }.into_any(),
                        Preview::Invalid(m) => view! { <p class="text-sm text-red-700" data-testid="ssh-preview-error">{m}</p> }.into_any(),
                    }}
                </div>
                {move || server_error().map(|error| view! { <ErrorView error/> })}
                <button type="submit" class=BUTTON data-testid="ssh-upload-submit"
                    disabled=move || actions.ssh_upload().pending().get() || (hydrated.get() && !matches!(state.get(), Preview::Valid { .. }))>
                    {move || if actions.ssh_upload().pending().get() { "Uploading…" } else { "Upload" }}
                </button>
            </ActionForm>
        </details>
    }
}

#[component]
fn SshRow(k: SshKeyView, region: String) -> impl IntoView {
    let id = k.key.id.to_string();
    let active = k.key.status.is_active();
    let toggle_consequence = format!("Git over SSH with {id} stops working at once. You can reactivate it.");
    let confirm_id = format!("ssh-confirm-{id}");
    let details = format!("{}{} days old", k.bits.map(|b| format!("RSA {b} bits · ")).unwrap_or_default(), k.age_days);
    let config = super::section_island(super::Part::SshConfig { id: id.clone(), region });
    view! {
        <tr data-testid="ssh-row">
            <td class="py-2 pr-4 align-top font-mono" data-testid="ssh-id">{id.clone()}</td>
            <td class="py-2 pr-4 align-top">
                <div class="font-mono text-xs" data-testid="ssh-sha256">{k.sha256_fingerprint.clone().unwrap_or_else(|| "—".into())}</div>
                <div class="font-mono text-xs text-slate-500" title="IAM's MD5 fingerprint">{k.md5_fingerprint.clone().unwrap_or_default()}</div>
                <div class="text-xs text-slate-500">{details}</div>
            </td>
            <td class="py-2 pr-4 align-top">{status_badge(&k.key.status)}</td>
            <td class="py-2 pr-4 align-top tabular-nums">{fmt_utc(k.key.uploaded_at)}</td>
            <td class="py-2 align-top">
                <div class="flex flex-col items-end gap-2">
                    {status_form(active, toggle_consequence, "ssh-toggle", view! {
                        <form method="post" action={posts_to::<SetSshKeyStatus>("ssh-keys")}>
                            <input type="hidden" name="key_id" value=id.clone()/>
                            {status_button(active, "ssh-toggle", "Deactivate the key")}
                        </form>
                    })}
                    <form method="post" action={posts_to::<DeleteSshKey>("ssh-keys")} class="flex items-center gap-2">
                        <input type="hidden" name="key_id" value=id.clone()/>
                        {typed_delete("the SSH key id".into(), confirm_id, "ssh-delete-confirm", "ssh-delete")}
                    </form>
                </div>
            </td>
        </tr>
        <tr>
            <td colspan="5" class="pb-3">{config}</td>
        </tr>
    }
}

/// A key's `~/.ssh/config` block and clone command, following the private key file, region and
/// repository typed beside them.
#[component]
pub fn SshConfig(id: String) -> impl IntoView {
    let CloneTargetState { region, repo } = expect_context::<CloneTargetState>();
    let identity = RwSignal::new("~/.ssh/codecommit_rsa".to_owned());
    view! {
        <details class="text-sm" data-testid="ssh-config">
            <summary class="cursor-pointer text-xs font-medium text-indigo-700">"SSH config and clone command"</summary>
            <div class="mt-2 grid gap-2">
                <label class="text-xs text-slate-700">"Private key file"
                    <input class=format!("ml-1 w-64 {SMALL_INPUT}") prop:value=move || identity.get()
                        on:input=move |ev| identity.set(event_target_value(&ev))/></label>
                <p class="text-xs text-slate-600">"Add to ~/.ssh/config:"</p>
                {move || code_block(ssh_config(&id, &identity.get()), "ssh-config-block")}
                <CloneTarget region repo/>
                {move || code_block(ssh_clone(&region.get(), &repo.get()), "ssh-clone")}
            </div>
        </details>
    }
}
