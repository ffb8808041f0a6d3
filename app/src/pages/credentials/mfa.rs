//! The MFA section: the user's devices (resync, remove) and the enrolment of a virtual device. The seed
//! and QR code live only in the start action's value and are forgotten when enrolment ends.

use super::access_keys::CredentialActions;
use crate::api::mfa::*;
use crate::components::answer::{posts_to, refusal, use_answer, Answer};
use crate::components::{Confirm, ErrorView, SectionReauth};
use crate::components::{BUTTON, DANGER, INPUT, SECONDARY};
use crate::domain::*;
use crate::error::AppError;
use leptos::form::ActionForm;
use leptos::prelude::*;

fn error_of<T: Clone + Send + Sync + 'static>(v: Option<Result<T, AppError>>) -> Option<AppError> {
    v.and_then(Result::err).filter(|e| *e != AppError::ReauthRequired)
}

/// The element-id tail of a device: the last part of its serial, as a place name (`?at=`).
fn place_of(serial: &str) -> String {
    let tail = serial.rsplit(['/', ':']).next().unwrap_or_default();
    tail.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' }).take(60).collect()
}

/// The section, drawn on the server: the devices with their resync and remove forms, and the hardware
/// token form, all posting with or without JavaScript (the page comes back with the answer). Only the
/// enrolment of a virtual device is live ([`MfaEnrolment`], in the page's island): its seed is shown
/// once and cannot survive a page load.
#[component]
pub fn MfaSection(devices: Vec<MfaDevice>, enrolment: AnyView) -> impl IntoView {
    let (resync, remove, hardware) = (ServerAction::<ResyncMfa>::new(), ServerAction::<RemoveMfa>::new(), ServerAction::<EnableMfa>::new());
    // The hardware token's refusal shows in its own form, the list's above the list.
    let (list_asks, list_error) = refusal([remove.value().get_untracked(), resync.value().get_untracked()]);
    let asks = list_asks || matches!(hardware.value().get_untracked(), Some(Err(AppError::ReauthRequired)));
    let Answer { done, open } = use_answer();
    let count = devices.len();
    view! {
        <SectionReauth place="mfa" asks/>
        <p class="mb-3 text-sm text-slate-700" data-testid="mfa-count">{format!("{count} of {MAX_MFA_DEVICES} MFA devices")}</p>
        {list_error.map(|error| view! { <div class="mb-3"><ErrorView error/></div> })}
        {done.starts_with("mfa-resync-").then(|| view! { <p class="mb-3 text-sm text-emerald-800" role="status">"Device resynchronised."</p> })}
        {(done == "mfa-enrolment").then(|| view! {
            <p class="mb-3 text-sm font-medium text-emerald-800" role="status" data-testid="mfa-enabled">"MFA device assigned. The AWS console will ask for its code at your next sign-in."</p>
        })}
        {(done == "add-hardware").then(|| view! {
            <p class="mb-3 text-sm font-medium text-emerald-800" role="status" data-testid="hardware-enabled">"Hardware token assigned. The AWS console will ask for its code at your next sign-in."</p>
        })}
        {if devices.is_empty() {
            view! { <p class="text-sm text-amber-900" data-testid="no-mfa">"No MFA device: your console sign-in is protected by your password alone."</p> }.into_any()
        } else {
            view! {
                <ul class="divide-y divide-slate-100 text-sm">
                    {devices.into_iter().map(|d| view! { <DeviceRow d open=open.clone()/> }).collect_view()}
                </ul>
            }.into_any()
        }}
        {(count < MAX_MFA_DEVICES).then_some(enrolment)}
        {(count < MAX_MFA_DEVICES).then(|| view! { <HardwareToken hardware open=open == "add-hardware"/> })}
        <details class="mt-4 text-sm text-slate-700" data-testid="passkey-note">
            <summary class="cursor-pointer font-medium text-indigo-700">"Passkeys and security keys"</summary>
            <div class="mt-2 grid gap-2">
                <p>"AWS lets you register a passkey or FIDO security key only on the AWS console, not through its API, so keydesk cannot enrol one for you. Register it on the console's "
                    <a class="text-indigo-700 underline" href="https://console.aws.amazon.com/iam/home#/security_credentials" rel="noreferrer" target="_blank">"My security credentials"</a>
                    " page; it then appears here, and you can remove it here."</p>
                <p>"A passkey gives no one-time code, so it cannot answer "<code class="font-mono text-xs">"aws sts get-session-token --token-code"</code>
                    ". If you use the AWS CLI with MFA, keep an authenticator app or hardware TOTP token as well."</p>
            </div>
        </details>
    }
}

/// The name a new virtual device is offered: "phone", or the first "phoneN" not taken.
pub fn suggested_name(devices: &[MfaDevice]) -> String {
    let taken: Vec<&str> = devices.iter().map(|d| d.serial.rsplit('/').next().unwrap_or_default()).collect();
    // Devices live under the person's own IAM path (mfa/<user>/<name>): the name need not repeat it.
    let mut name = "phone".to_owned();
    let mut n = 2;
    while taken.contains(&name.as_str()) {
        name = format!("phone{n}");
        n += 1;
    }
    name
}

/// The live part: "Assign a virtual MFA device", the QR code and seed, and the two codes. Its success
/// loads the page anew, which then lists the device and says it was assigned.
#[component]
pub fn MfaEnrolment(suggested: String) -> impl IntoView {
    let actions = expect_context::<CredentialActions>();
    // Enrolment needs JavaScript (the seed cannot survive a redirect); offer it once hydrated.
    let hydrated = crate::components::use_hydrated();
    Effect::new(move |_| {
        if matches!(actions.mfa_enable().value().get(), Some(Ok(()))) {
            crate::components::browser::show_answer(Some("mfa-enrolment"), "mfa");
        }
    });
    view! {
        <Enrolment/>
        {move || (!hydrated.get()).then(|| view! {
            <p class="mt-4 text-sm text-slate-600">"Assigning an MFA device needs JavaScript: the secret seed is shown once and cannot survive a page reload."</p>
        })}
        {move || (hydrated.get() && !matches!(actions.mfa_start().value().get(), Some(Ok(_)))).then(|| {
            let suggested = suggested.clone();
            view! {
                <details class="mt-4 rounded-lg border border-slate-200 bg-slate-50 open:bg-white" data-testid="add-mfa">
                    <summary class="cursor-pointer list-none rounded-lg px-4 py-3 text-sm font-semibold text-indigo-700 focus-visible:outline-2 focus-visible:outline-indigo-600">"Assign a virtual MFA device"</summary>
                    <ActionForm action=actions.mfa_start() attr:class="flex flex-wrap items-end gap-2 px-4 pb-4">
                        <label class="text-sm">
                            <span class="block font-medium text-slate-800">"Device name"</span>
                            <input name="device_name" value=suggested required maxlength="226" class=format!("{INPUT} w-64 font-mono") data-testid="mfa-name"/>
                        </label>
                        <button type="submit" class=BUTTON disabled=move || actions.mfa_start().pending().get() data-testid="mfa-start">"Continue"</button>
                    </ActionForm>
                    {move || error_of(actions.mfa_start().value().get()).map(|error| view! { <div class="px-4 pb-4"><ErrorView error/></div> })}
                </details>
            }
        })}
    }
}

#[component]
fn DeviceRow(d: MfaDevice, open: String) -> impl IntoView {
    let serial = d.serial.clone();
    let (serial_resync, serial_remove) = (serial.clone(), serial.clone());
    let place = place_of(&serial);
    let (resync_at, remove_at) = (format!("mfa-resync-{place}"), format!("mfa-remove-{place}"));
    // Signed in through the identity provider, there is no keydesk password: a sign-in there within
    // the last two minutes is asked instead (the step-up prompt offers it).
    let via_provider = use_context::<crate::domain::Frame>().is_some_and(|f| f.signed_in_with == crate::domain::SignedInWith::Provider);
    let password_name = crate::components::own_password_name();
    let consequence = if via_provider {
        format!("After removing {serial}, your console sign-in no longer asks for its codes. keydesk asks you to sign in again at your identity provider first, however recently you signed in.")
    } else {
        format!("After removing {serial}, your console sign-in no longer asks for its codes. Enter your {password_name} to confirm it is you (asked every time, however recently you signed in).")
    };
    let password_id = format!("mfa-remove-password-{place}");
    let password_for = password_id.clone();
    let resync_open = open == resync_at;
    let remove_open = open == remove_at;
    let (resync_action, remove_action) = (posts_to::<ResyncMfa>(&resync_at), posts_to::<RemoveMfa>(&remove_at));
    view! {
        <li class="grid gap-2 py-3" data-testid="mfa-row">
            <div class="flex flex-wrap items-center justify-between gap-2">
                <span class="font-mono text-xs">{serial}</span>
                <span class="text-slate-600" data-testid="mfa-kind">{d.kind().label()} " · enabled " {fmt_utc(d.enabled_at)} " UTC"</span>
            </div>
            <div class="flex flex-wrap items-start gap-3">
                {d.kind().gives_codes().then(|| view! {
                    <details class="text-sm" id=resync_at open=resync_open>
                        <summary class="cursor-pointer text-indigo-700 underline">"Resync"</summary>
                        <form method="post" action=resync_action class="mt-2 flex flex-wrap items-end gap-2">
                            <input type="hidden" name="serial" value=serial_resync/>
                            <CodeInputs/>
                            <button type="submit" class=SECONDARY>"Resync"</button>
                        </form>
                    </details>
                })}
                <Confirm label="Remove" consequence danger=true testid="mfa-remove" id=remove_at open=remove_open>
                    <form method="post" action=remove_action class="flex flex-wrap items-end gap-2">
                        <input type="hidden" name="serial" value=serial_remove/>
                        {if via_provider {
                            view! { <input type="hidden" name="password" value=""/> }.into_any()
                        } else {
                            view! {
                                <label class="text-xs font-medium first-letter:uppercase" for=password_for>{password_name}
                                    <input id=password_id type="password" name="password" required autocomplete="current-password"
                                        class=format!("mt-1 {INPUT}") data-testid="mfa-remove-password"/></label>
                            }.into_any()
                        }}
                        <button type="submit" class=DANGER data-testid="mfa-remove-confirm">"Remove the device"</button>
                    </form>
                </Confirm>
            </div>
        </li>
    }
}

/// Assign a hardware TOTP token by the serial number printed on it and two consecutive codes. No
/// secret is involved, so it is a plain form: with or without JavaScript, the page comes back with
/// the answer (open again after a refusal).
#[component]
fn HardwareToken(hardware: ServerAction<EnableMfa>, open: bool) -> impl IntoView {
    let error = error_of(hardware.value().get_untracked()).filter(|_| open);
    let action = posts_to::<EnableMfa>("add-hardware");
    view! {
        <details id="add-hardware" class="mt-4 rounded-lg border border-slate-200 bg-slate-50 open:bg-white" data-testid="add-hardware" open=open>
            <summary class="cursor-pointer list-none rounded-lg px-4 py-3 text-sm font-semibold text-indigo-700 focus-visible:outline-2 focus-visible:outline-indigo-600">"Assign a hardware TOTP token"</summary>
            <div class="px-4 pb-4">
                <p class="text-sm text-slate-600">"A key-fob or display card that shows 6-digit codes, bought for use with AWS. Press its button twice and enter both codes."</p>
                <form method="post" action=action class="mt-2 flex flex-wrap items-end gap-2">
                    <label class="text-xs text-slate-700" for="hardware-serial">"Serial number"
                        <input id="hardware-serial" name="serial" required minlength="9" maxlength="256" autocomplete="off" spellcheck="false"
                            placeholder="GAHT12345678" class=format!("block w-44 {INPUT} font-mono") data-testid="hardware-serial"/></label>
                    <CodeInputs/>
                    <button type="submit" class=BUTTON data-testid="hardware-enable">"Assign token"</button>
                </form>
                {error.map(|error| view! { <div class="mt-2"><ErrorView error/></div> })}
            </div>
        </details>
    }
}

#[component]
fn CodeInputs() -> impl IntoView {
    let code = "w-28 rounded-md border border-slate-300 px-2 py-1 font-mono text-sm tracking-widest";
    view! {
        <label class="text-xs text-slate-700">"First code"
            <input name="code1" required inputmode="numeric" pattern="[0-9]{6}" maxlength="6" autocomplete="one-time-code" class=format!("block {code}") data-testid="code1"/></label>
        <label class="text-xs text-slate-700">"Next code"
            <input name="code2" required inputmode="numeric" pattern="[0-9]{6}" maxlength="6" autocomplete="off" class=format!("block {code}") data-testid="code2"/></label>
    }
}

/// The enrolment panel: QR code, the seed behind a button, two codes. Shown while the start action
/// holds a device; enabling or cancelling forgets the seed.
#[component]
fn Enrolment() -> impl IntoView {
    let actions = expect_context::<CredentialActions>();
    let show_seed = RwSignal::new(false);
    // Forget the seed as soon as the device is enabled or the enrolment is cancelled.
    Effect::new(move |_| {
        let enabled = matches!(actions.mfa_enable().value().get(), Some(Ok(())));
        if (enabled || matches!(actions.mfa_cancel().value().get(), Some(Ok(()))))
            && actions.mfa_start().value().with_untracked(Option::is_some)
        {
            actions.mfa_start().value().set(None);
            show_seed.set(false);
        }
    });
    let enrolment = move || actions.mfa_start().value().get().and_then(Result::ok);
    let enable_error = move || error_of(actions.mfa_enable().value().get());
    view! {
        {move || enrolment().map(|e| {
            let seed = e.seed.expose().to_owned();
            let grouped = seed.as_bytes().chunks(4).map(|c| String::from_utf8_lossy(c).into_owned()).collect::<Vec<_>>().join(" ");
            let serial = e.serial.clone();
            let cancel_serial = e.serial.clone();
            view! {
                <div role="region" aria-label="Assign a virtual MFA device" class="mt-4 rounded-xl border-2 border-indigo-200 bg-indigo-50/50 p-5" data-testid="mfa-enrolment">
                    <h3 class="text-base font-semibold text-slate-900">"Assign " <span class="font-mono">{serial.rsplit('/').next().unwrap_or_default().to_owned()}</span></h3>
                    <ol class="mt-3 grid gap-4 text-sm sm:grid-cols-2">
                        <li>
                            <p class="font-medium">"1. Scan this QR code with your authenticator app"</p>
                            <div class="mt-2 inline-block rounded bg-white p-2 ring-1 ring-slate-200" data-testid="mfa-qr" inner_html=e.qr_svg.expose().to_owned()></div>
                            <p class="mt-2">"Cannot scan it? "
                                <button type="button" class="text-indigo-700 underline" aria-pressed=move || show_seed.get().to_string()
                                    on:click=move |_| show_seed.update(|v| *v = !*v) data-testid="mfa-show-seed">
                                    {move || if show_seed.get() { "Hide secret key" } else { "Show secret key" }}
                                </button>
                            </p>
                            {let grouped = grouped.clone(); move || show_seed.get().then(|| view! {
                                <p class="mt-1 break-all font-mono text-xs" data-testid="mfa-seed" data-seed=seed.clone()>{grouped.clone()}</p>
                            })}
                        </li>
                        <li>
                            <p class="font-medium">"2. Enter two consecutive codes from the app"</p>
                            <ActionForm action=actions.mfa_enable() attr:class="mt-2 flex flex-wrap items-end gap-2">
                                <input type="hidden" name="serial" value=serial.clone()/>
                                <CodeInputs/>
                                <button type="submit" class=BUTTON disabled=move || actions.mfa_enable().pending().get() data-testid="mfa-enable">"Assign MFA"</button>
                            </ActionForm>
                            {move || enable_error().map(|error| view! { <div class="mt-2"><ErrorView error/></div> })}
                            <button type="button" class=format!("mt-3 {SECONDARY}") data-testid="mfa-cancel"
                                on:click=move |_| { actions.mfa_cancel().dispatch(CancelMfaEnrolment { serial: cancel_serial.clone() }); }>"Cancel"</button>
                        </li>
                    </ol>
                </div>
            }
        })}
    }
}
