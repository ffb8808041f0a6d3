//! X.509 signing certificates on "My security credentials": the list (subject, SHA-256 fingerprint,
//! key, expiry, status) and an upload form. The server inspects each certificate and says exactly what
//! is wrong; a pasted private key is refused and never shown again.

use crate::api::credentials::{DeleteSigningCert, SetSigningCertStatus, UploadSigningCert};
use crate::components::answer::{refusal, use_answer};
use crate::components::status_badge;
use crate::components::{typed_delete, BUTTON};
use crate::components::{ErrorView, SectionReauth};
use crate::domain::fmt_utc;
use crate::domain::signing_cert::{SigningCertView, MAX_SIGNING_CERTS};
use crate::error::AppError;
use leptos::form::ActionForm;
use leptos::prelude::*;

/// Drawn on the server, with or without JavaScript: each form posts, and the page comes back with the
/// answer (the new list, or the refusal under the section's heading). Nothing here is live: the server
/// inspects the certificate, so there is nothing to check while typing.
#[component]
pub fn SigningCertsSection(certs: Result<Vec<SigningCertView>, AppError>) -> impl IntoView {
    let certs = match certs {
        Ok(c) => c,
        Err(error) => return view! { <ErrorView error/> }.into_any(),
    };
    // The answer of the form that brought the page back, if it was one of these (read from the address).
    let (upload, status, delete) =
        (ServerAction::<UploadSigningCert>::new(), ServerAction::<SetSigningCertStatus>::new(), ServerAction::<DeleteSigningCert>::new());
    let upload_answer = upload.value().get_untracked().map(|r| r.map(drop));
    let (asks, error) = refusal([upload_answer.clone(), status.value().get_untracked(), delete.value().get_untracked()]);
    // A refused upload comes back open (the box is empty: a pasted private key must not linger).
    let upload_refused = matches!(upload_answer, Some(Err(_)));
    let uploaded = use_answer().done == "upload_signing_cert";
    let used = certs.len();
    view! {
        <SectionReauth place="signing-certificates" asks/>
        {error.map(|error| view! { <div class="mb-3"><ErrorView error/></div> })}
        {uploaded.then(|| view! { <p class="mb-3 text-sm text-emerald-800" role="status" data-testid="cert-uploaded">"Signing certificate uploaded."</p> })}
        <p class="text-sm text-slate-700" data-testid="cert-count">{format!("{used} of {MAX_SIGNING_CERTS} signing certificates")}</p>
        {(!certs.is_empty()).then(|| view! {
            <ul class="mt-3 grid gap-3">
                {certs.into_iter().map(|c| view! { <CertRow c status delete/> }).collect_view()}
            </ul>
        })}
        {if used >= MAX_SIGNING_CERTS {
            view! { <p class="mt-3 text-sm text-slate-600">"IAM allows 2 signing certificates per user: delete one to upload another."</p> }.into_any()
        } else {
            view! {
                <details class="mt-3 rounded-lg border border-slate-200 bg-slate-50 open:bg-white" open=upload_refused data-testid="cert-upload">
                    <summary class="cursor-pointer px-4 py-2 text-sm font-medium text-indigo-700">"Upload a signing certificate"</summary>
                    <ActionForm action=upload attr:class="grid gap-2 px-4 pb-4">
                        <label class="text-sm font-medium text-slate-800" for="cert-body">"PEM certificate"</label>
                        <textarea id="cert-body" name="certificate" rows="6" required spellcheck="false" autocomplete="off"
                            placeholder="-----BEGIN CERTIFICATE-----"
                            class="w-full rounded-md border border-slate-300 px-3 py-2 font-mono text-xs" data-testid="cert-input"></textarea>
                        <p class="text-xs text-slate-500">"The certificate only (public). RSA of 2048 bits or more, or EC P-256/P-384/P-521, valid today. Never paste the private key."</p>
                        <div><button type="submit" class=BUTTON data-testid="cert-upload-submit">"Upload"</button></div>
                    </ActionForm>
                </details>
            }.into_any()
        }}
    }
    .into_any()
}

#[component]
fn CertRow(c: SigningCertView, status: ServerAction<SetSigningCertStatus>, delete: ServerAction<DeleteSigningCert>) -> impl IntoView {
    let active = c.status.is_active();
    let id = c.id.clone();
    let (id2, id3) = (id.clone(), id.clone());
    view! {
        <li class="rounded-lg border border-slate-200 p-3 text-sm" data-testid="cert-row">
            <div class="flex flex-wrap items-center justify-between gap-2">
                <span class="font-mono text-xs text-slate-700">{id.clone()}</span>
                <span class="flex items-center gap-2">
                    {c.expired.then(|| crate::components::badge("Expired", "bg-red-50 text-red-800 ring-red-200"))}
                    {status_badge(&c.status)}
                </span>
            </div>
            {match c.info {
                Some(i) => view! {
                    <dl class="mt-2 grid gap-1 text-xs sm:grid-cols-[8rem_1fr]">
                        <dt class="text-slate-500">"Subject"</dt><dd class="break-all" data-testid="cert-subject">{i.subject}</dd>
                        <dt class="text-slate-500">"SHA-256"</dt><dd class="break-all font-mono" data-testid="cert-sha256">{i.sha256}</dd>
                        <dt class="text-slate-500">"Key"</dt><dd>{i.key}</dd>
                        <dt class="text-slate-500">"Valid until"</dt><dd class="tabular-nums" data-testid="cert-expiry">{format!("{} UTC", fmt_utc(i.not_after))}</dd>
                        <dt class="text-slate-500">"Uploaded"</dt><dd class="tabular-nums">{format!("{} UTC", fmt_utc(c.uploaded_at))}</dd>
                    </dl>
                }.into_any(),
                None => view! { <p class="mt-2 text-xs text-slate-500">"keydesk cannot read this certificate (uploaded elsewhere)."</p> }.into_any(),
            }}
            <div class="mt-3 flex flex-wrap items-center gap-2">
                {crate::components::status_form(active, "Requests signed with this certificate are refused at once. You can reactivate it.".to_owned(), "cert-toggle", view! {
                    <ActionForm action=status>
                        <input type="hidden" name="certificate_id" value=id2/>
                        {crate::components::status_button(active, "cert-toggle", "Deactivate it")}
                    </ActionForm>
                })}
                {(!active).then(|| view! {
                    <ActionForm action=delete attr:class="flex items-center gap-2">
                        <input type="hidden" name="certificate_id" value=id3.clone()/>
                        {typed_delete("the certificate id".into(), format!("cert-confirm-{id3}"), "cert-delete-confirm", "cert-delete")}
                    </ActionForm>
                })}
            </div>
        </li>
    }
}
