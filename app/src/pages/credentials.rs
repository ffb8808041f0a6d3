//! "My security credentials": the signed-in employee's own IAM credentials, one section per kind, read
//! in one call through their own scoped IAM session. Nothing secret is ever in this page's resource.

use super::access_keys::{AccessKeysSection, KeyActions};
use crate::api::credentials::*;
use crate::components::{ErrorView, Gate, SectionCard, Shell};
use crate::domain::password_policy::EffectivePolicy;
use crate::domain::*;
use crate::error::AppError;
use leptos::prelude::*;
use leptos_meta::Title;

/// Keys older than this are flagged (CIS AWS Foundations: rotate access keys every 90 days).
pub const ROTATE_AFTER_DAYS: i64 = 90;
/// Keys unused for this long are flagged (CIS: disable credentials unused for 45 days or more).
pub const IDLE_AFTER_DAYS: i64 = 45;

#[component]
pub fn CredentialsPage() -> impl IntoView {
    view! {
        <Title text="My security credentials"/>
        <Shell>
            <Gate>
                <Overview/>
            </Gate>
        </Shell>
    }
}

#[component]
fn Overview() -> impl IntoView {
    let actions = KeyActions::new();
    provide_context(actions);
    let overview = Resource::new(
        move || (actions.create.version().get(), actions.set_status.version().get(), actions.delete.version().get()),
        |_| get_my_credentials(),
    );
    view! {
        <Transition fallback=|| view! { <p class="text-sm text-slate-500">"Loading your credentials…"</p> }>
            {move || Suspend::new(async move {
                match overview.await {
                    Err(error) => view! {
                        <h1 class="text-2xl font-semibold tracking-tight">"My security credentials"</h1>
                        <div class="mt-6"><ErrorView error/></div>
                    }.into_any(),
                    Ok(o) => view! { <OverviewBody o/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn OverviewBody(o: CredentialsOverview) -> impl IntoView {
    view! {
        <h1 class="text-2xl font-semibold tracking-tight">"My security credentials"</h1>
        <p class="mt-1 text-sm text-slate-600">
            "IAM user " <span class="font-mono font-medium text-slate-800" data-testid="iam-user">{o.user.name.to_string()}</span>
            <span class="mx-2 text-slate-300">"|"</span>
            <span class="font-mono text-xs text-slate-500" data-testid="iam-arn">{o.user.arn.clone()}</span>
        </p>
        <div class="mt-6 grid gap-6">
            <SectionCard id="password" title="Console password"
                subtitle="The password you use to sign in to the AWS Management Console.">
                <PasswordSummary password=o.password/>
            </SectionCard>
            <SectionCard id="access-keys" title="Access keys"
                subtitle="Long-term credentials for the AWS CLI, SDKs and API calls. IAM allows 2 per user, active or not.">
                <AccessKeysSection keys=o.access_keys iam_user=o.user.name.to_string()/>
            </SectionCard>
            <SectionCard id="mfa" title="Multi-factor authentication (MFA)"
                subtitle="Devices that protect your console sign-in. IAM allows up to 8.">
                {match o.mfa_devices {
                    Ok(devices) => view! { <MfaList devices/> }.into_any(),
                    Err(error) => view! { <ErrorView error/> }.into_any(),
                }}
            </SectionCard>
            <SectionCard id="codecommit" title="AWS CodeCommit credentials"
                subtitle="HTTPS Git credentials and SSH public keys for CodeCommit repositories.">
                <CodeCommitSummary git=o.git_credentials ssh=o.ssh_keys/>
            </SectionCard>
        </div>
    }
}

fn badge(text: &'static str, class: &'static str) -> impl IntoView {
    view! { <span class=format!("inline-flex items-center rounded-full px-2 py-0.5 text-xs font-medium ring-1 {class}")>{text}</span> }
}

pub(super) fn status_badge(s: &Status) -> AnyView {
    match s {
        Status::Active => badge("Active", "bg-emerald-50 text-emerald-800 ring-emerald-200").into_any(),
        Status::Inactive => badge("Inactive", "bg-slate-100 text-slate-700 ring-slate-300").into_any(),
        Status::Expired => badge("Expired", "bg-red-50 text-red-800 ring-red-200").into_any(),
        Status::Other(_) => view! { <span class="text-xs text-slate-600">{s.to_string()}</span> }.into_any(),
    }
}

#[component]
fn PasswordSummary(password: PasswordView) -> impl IntoView {
    let policy = match &password.policy {
        EffectivePolicy::IamDefault => "No custom policy: IAM's default applies (at least 8 characters, 3 of uppercase, lowercase, numbers, symbols).".to_owned(),
        EffectivePolicy::Custom(p) => {
            let mut parts = vec![format!("at least {} characters", p.minimum_length)];
            for (on, what) in [(p.require_uppercase, "an uppercase letter"), (p.require_lowercase, "a lowercase letter"), (p.require_numbers, "a number"), (p.require_symbols, "a symbol")] {
                if on {
                    parts.push(what.to_owned());
                }
            }
            if let Some(d) = p.max_age_days {
                parts.push(format!("expires after {d} days"));
            }
            if let Some(n) = p.reuse_prevention {
                parts.push(format!("not one of your last {n}"));
            }
            format!("Account policy: {}.", parts.join(", "))
        }
    };
    view! {
        <dl class="grid gap-3 text-sm sm:grid-cols-3">
            <div>
                <dt class="text-slate-500">"Status"</dt>
                <dd class="mt-0.5 font-medium" data-testid="password-status">
                    {match &password.profile {
                        Some(p) if p.reset_required => view! { <span>"Set — "{badge("reset required", "bg-amber-50 text-amber-900 ring-amber-300")}</span> }.into_any(),
                        Some(_) => view! { <span>"Set"</span> }.into_any(),
                        None => view! { <span>"No console password"</span> }.into_any(),
                    }}
                </dd>
            </div>
            <div>
                <dt class="text-slate-500">"Created (UTC)"</dt>
                <dd class="mt-0.5 tabular-nums">{password.profile.as_ref().map(|p| fmt_utc(p.created_at)).unwrap_or_else(|| "—".into())}</dd>
            </div>
            <div class="sm:col-span-3">
                <dt class="text-slate-500">"Password policy"</dt>
                <dd class="mt-0.5">{policy}</dd>
            </div>
        </dl>
    }
}

#[component]
fn MfaList(devices: Vec<MfaDevice>) -> impl IntoView {
    if devices.is_empty() {
        return view! {
            <p class="text-sm text-amber-900" data-testid="no-mfa">
                "No MFA device: your console sign-in is protected by your password alone."
            </p>
        }
        .into_any();
    }
    view! {
        <ul class="divide-y divide-slate-100 text-sm">
            {devices.into_iter().map(|d| view! {
                <li class="flex flex-wrap items-center justify-between gap-2 py-2">
                    <span class="font-mono text-xs">{d.serial.clone()}</span>
                    <span class="text-slate-600">
                        {if d.is_virtual() { "Virtual device" } else { "Hardware or security key" }}
                        " · enabled " {fmt_utc(d.enabled_at)}
                    </span>
                </li>
            }).collect_view()}
        </ul>
    }
    .into_any()
}

#[component]
fn CodeCommitSummary(git: Result<Vec<ServiceCredential>, AppError>, ssh: Result<Vec<SshKeySummary>, AppError>) -> impl IntoView {
    let git = match git {
        Err(error) => view! { <ErrorView error/> }.into_any(),
        Ok(git) => view! {
            <p class="mt-1 text-xs text-slate-500">{format!("{} of {MAX_GIT_CREDENTIALS} used", git.len())}</p>
            <ul class="mt-2 space-y-1 text-sm">
                {git.into_iter().map(|c| view! {
                    <li class="flex items-center gap-2"><span class="font-mono">{c.service_user_name}</span>{status_badge(&c.status)}</li>
                }).collect_view()}
            </ul>
        }.into_any(),
    };
    let ssh = match ssh {
        Err(error) => view! { <ErrorView error/> }.into_any(),
        Ok(ssh) => view! {
            <p class="mt-1 text-xs text-slate-500">{format!("{} of {MAX_SSH_KEYS} used", ssh.len())}</p>
            <ul class="mt-2 space-y-1 text-sm">
                {ssh.into_iter().map(|k| view! {
                    <li class="flex items-center gap-2"><span class="font-mono">{k.id.to_string()}</span>{status_badge(&k.status)}</li>
                }).collect_view()}
            </ul>
        }.into_any(),
    };
    view! {
        <div class="grid gap-6 sm:grid-cols-2">
            <div><h3 class="text-sm font-semibold">"HTTPS Git credentials"</h3>{git}</div>
            <div><h3 class="text-sm font-semibold">"SSH public keys"</h3>{ssh}</div>
        </div>
    }
}
