//! "My security credentials": the signed-in employee's own IAM credentials, one section per kind, read
//! in one call through their own scoped IAM session. Nothing secret is ever in this page's resource.

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
    let overview = Resource::new(|| (), |_| get_my_credentials());
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
                <AccessKeyTable keys=o.access_keys/>
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

fn status_badge(s: &Status) -> AnyView {
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
fn AccessKeyTable(keys: Vec<AccessKeyView>) -> impl IntoView {
    let used = keys.len();
    let th = "py-2 pr-4 text-left text-xs font-semibold uppercase tracking-wide text-slate-500";
    view! {
        <p class="mb-3 text-sm text-slate-700" data-testid="key-count">
            {format!("{used} of {MAX_ACCESS_KEYS} access keys used")}
            {(used >= MAX_ACCESS_KEYS).then(|| view! { <span class="text-slate-500">" — inactive keys count too; delete one to make room."</span> })}
        </p>
        {if keys.is_empty() {
            view! { <p class="text-sm text-slate-600">"You have no access keys. Prefer temporary credentials (aws configure sso) where you can."</p> }.into_any()
        } else {
            view! {
                <div class="overflow-x-auto">
                    <table class="min-w-full divide-y divide-slate-200 text-sm">
                        <thead><tr>
                            <th scope="col" class=th>"Access key ID"</th>
                            <th scope="col" class=th>"Status"</th>
                            <th scope="col" class=th>"Created (UTC)"</th>
                            <th scope="col" class=th>"Age"</th>
                            <th scope="col" class=th>"Last used"</th>
                            <th scope="col" class=th>"Description"</th>
                        </tr></thead>
                        <tbody class="divide-y divide-slate-100">
                            {keys.into_iter().map(|k| view! { <AccessKeyRow k/> }).collect_view()}
                        </tbody>
                    </table>
                </div>
            }.into_any()
        }}
    }
}

#[component]
fn AccessKeyRow(k: AccessKeyView) -> impl IntoView {
    let mut flags = Vec::new();
    if k.key.status.is_active() && k.age_days > ROTATE_AFTER_DAYS {
        flags.push(format!("Older than {ROTATE_AFTER_DAYS} days: rotate it (CIS 2.11)."));
    }
    if k.key.status.is_active() && k.idle_days >= IDLE_AFTER_DAYS {
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
    view! {
        <tr data-testid="access-key-row">
            <td class="py-2 pr-4 align-top font-mono">{k.key.id.to_string()}</td>
            <td class="py-2 pr-4 align-top">{status_badge(&k.key.status)}</td>
            <td class="py-2 pr-4 align-top tabular-nums">{fmt_utc(k.key.created_at)}</td>
            <td class="py-2 pr-4 align-top tabular-nums">{format!("{} days", k.age_days)}</td>
            <td class="py-2 pr-4 align-top">{last}</td>
            <td class="py-2 pr-4 align-top">{k.description.unwrap_or_default()}</td>
        </tr>
        {(!flags.is_empty()).then(|| view! {
            <tr>
                <td colspan="6" class="pb-3">
                    <ul class="rounded-md bg-amber-50 px-3 py-2 text-xs text-amber-900 ring-1 ring-amber-200" data-testid="key-flags">
                        {flags.into_iter().map(|f| view! { <li>{f}</li> }).collect_view()}
                    </ul>
                </td>
            </tr>
        })}
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
