//! "My security credentials": the signed-in employee's own IAM credentials, one section per kind, read
//! in one call through their own scoped IAM session. Nothing secret is ever in this page's resource.

pub(crate) mod access_keys;
mod certificates;
pub(crate) mod codecommit;
mod mfa;
pub(crate) mod new_key;
mod password;
mod rotation;
mod services;
pub(crate) mod temporary;

use self::access_keys::{AccessKeysSection, CredentialActions};
use self::codecommit::{CloneTargetState, CodeCommitSection, GitSecretDialog};
use self::mfa::MfaSection;
use self::password::PasswordSection;
use crate::api::credentials::*;
use crate::components::ReauthPrompt;
use crate::components::{gate_frame, ErrorView, Gate, ManagedNotice, SectionCard, Shell};
use crate::domain::entitlements::Capability;
use crate::domain::*;
use crate::pages::IslandScripts;
use leptos::prelude::*;
use leptos_meta::Title;

pub use crate::domain::deadlines::{IDLE_AFTER_DAYS, ROTATE_AFTER_DAYS};

#[component]
pub fn CredentialsPage() -> impl IntoView {
    view! {
        <Title text="My security credentials"/>
        <Shell>
            <Gate>
                <IslandScripts/><Overview frame=gate_frame()/>
            </Gate>
        </Shell>
    }
}

/// The page's island: everything on it changes in place.
#[island]
fn Overview(frame: Frame) -> impl IntoView {
    provide_context(frame);
    let actions = CredentialActions::new();
    provide_context(actions);
    provide_context(CloneTargetState::new());
    // The work roles the person may use: read once, by the temporary-credentials section and by the
    // access-key wizard's "temporary credentials instead".
    provide_context(self::temporary::MyRoles(Resource::new(|| (), |_| crate::api::temporary::get_my_work_roles())));
    let overview = Resource::new(move || actions.changes(), |_| get_my_credentials());
    // The password and MFA actions refresh the page from here: keyed into the resource's source, their
    // completions did not refetch it in Chromium (the key actions do; cause not pinned down, the browser
    // tests cover both), so an effect of the page, which outlives every section, refetches explicitly.
    Effect::new(move |previous: Option<Vec<(usize, bool)>>| {
        let now = actions.self_changes();
        // An action completed since the last run, and succeeded: a refusal changes nothing to show.
        let succeeded = previous.is_some_and(|p| p.iter().zip(&now).any(|((before, _), (after, ok))| before != after && *ok));
        if succeeded {
            overview.refetch();
        }
        now
    });
    view! {
        <Show when=move || actions.needs_reauth()><ReauthPrompt confirm=actions.confirm/></Show>
        <GitSecretDialog/>
        <self::services::ServiceSecretDialog/>
        <Transition fallback=|| view! { <p class="text-sm text-slate-500">"Loading your credentials…"</p> }>
            {move || Suspend::new(async move {
                match overview.await {
                    Err(crate::error::AppError::NoIamUser { user }) => view! { <NoIamUser user/> }.into_any(),
                    Err(error) => view! {
                        <h1 class="text-2xl font-semibold tracking-tight">"My security credentials"</h1>
                        <div class="mt-6"><ErrorView error/></div>
                    }.into_any(),
                    Ok(o) => view! { <OverviewBody o/> }.into_any(),
                }
            })}
        </Transition>
        // Outside the overview's Transition, so the overview's refetch after every change does not make
        // it anew (a resource created inside a Transition's refetch held that Transition pending: the
        // page stopped showing changes). Shown also to people with no IAM user.
        <div class="mt-6 grid gap-6"><self::temporary::TemporaryCredentialsSection/></div>
    }
}

/// Signed in, but with no IAM user: what that means and what to do instead (keydesk never creates IAM
/// users). Typical of people who reach AWS through IAM Identity Center or federation.
#[component]
fn NoIamUser(user: String) -> impl IntoView {
    view! {
        <h1 class="text-2xl font-semibold tracking-tight">"My security credentials"</h1>
        <section class="mt-6 max-w-2xl rounded-xl border border-slate-200 bg-white p-6 shadow-sm" data-testid="no-iam-user" aria-labelledby="no-iam-user-title">
            <h2 id="no-iam-user-title" class="text-lg font-semibold">"You have no IAM user"</h2>
            <p class="mt-2 text-sm text-slate-700">
                {format!("keydesk knows you as {user}, but this AWS account has no IAM user of that name. That is usual when you reach AWS through IAM Identity Center or your company's federation, and keydesk never creates IAM users.")}
            </p>
            <h3 class="mt-4 text-sm font-semibold">"What you can do instead"</h3>
            <ul class="mt-1 list-disc space-y-1 pl-5 text-sm text-slate-700">
                <li>"Sign in to the AWS console through your company's AWS access portal."</li>
                <li>"For the AWS CLI and your code, use temporary credentials: run " <code class="rounded bg-slate-100 px-1 font-mono text-xs">"aws configure sso"</code> " once, then " <code class="rounded bg-slate-100 px-1 font-mono text-xs">"aws sso login"</code> " when they expire. There is no long-term key to leak."</li>
                <li>{format!("Expected an IAM user named {user}? Ask your administrator: keydesk takes the name from your identity provider.")}</li>
            </ul>
        </section>
    }
}

#[component]
fn OverviewBody(o: CredentialsOverview) -> impl IntoView {
    let name = o.user.name.to_string();
    let (name1, name2) = (name.clone(), name.clone());
    let entitled = o.entitled.clone();
    let (may_keys, may_mfa) = (entitled.contains(&Capability::AccessKeys), entitled.contains(&Capability::Mfa));
    let may_certs = entitled.contains(&Capability::SigningCertificates);
    let may_services = entitled.contains(&Capability::ServiceCredentials);
    let managed = |c: Capability| (!entitled.contains(&c)).then(|| o.ask.clone());
    let (git_managed, ssh_managed) = (managed(Capability::GitCredentials), managed(Capability::SshKeys));
    let ask = o.ask.clone();
    let (ask1, ask2, ask3, ask4, ask5) = (ask.clone(), ask.clone(), ask.clone(), ask.clone(), ask.clone());
    let max_days = o.api_key_max_days;
    view! {
        <h1 class="text-2xl font-semibold tracking-tight">"My security credentials"</h1>
        <p class="mt-1 text-sm text-slate-600">
            "IAM user " <span class="font-mono font-medium text-slate-800" data-testid="iam-user">{name}</span>
            <span class="mx-2 text-slate-300">"|"</span>
            <span class="break-all font-mono text-xs text-slate-500" data-testid="iam-arn">{o.user.arn.clone()}</span>
        </p>
        {(!o.helpdesk_actions.is_empty()).then(|| view! {
            <section aria-label="Help-desk actions" class="mt-4 rounded-lg border border-amber-300 bg-amber-50 p-4 text-sm text-amber-950" data-testid="helpdesk-notices">
                <h2 class="font-semibold">"The help desk changed your credentials"</h2>
                <ul class="mt-2 grid gap-1">
                    {o.helpdesk_actions.iter().map(|n| view! {
                        <li data-testid="helpdesk-notice">{format!("{} UTC — {} {}", fmt_utc(n.at), n.actor, n.what)}
                            {n.reason.clone().map(|r| view! { <span class="text-amber-900">{format!(" · reason: {r}")}</span> })}</li>
                    }).collect_view()}
                </ul>
                <p class="mt-2 text-xs">"Not expected? Contact your security team."</p>
            </section>
        })}
        <AttentionSummary items=o.needs_attention()/>
        <div class="mt-6 grid gap-6">
            <SectionCard id="password" title="Console password"
                subtitle="The password you use to sign in to the AWS Management Console.">
                {match o.password {
                    Some(password) => view! { <PasswordSection password iam_user=name1/> }.into_any(),
                    None => view! { <ManagedNotice cap=Capability::ConsolePassword ask=ask1/> }.into_any(),
                }}
            </SectionCard>
            <SectionCard id="access-keys" title="Access keys"
                subtitle="Long-term credentials for the AWS CLI, SDKs and API calls. IAM allows 2 per user, active or not.">
                {if may_keys {
                    view! { <AccessKeysSection keys=o.access_keys iam_user=name2/> }.into_any()
                } else {
                    view! { <ManagedNotice cap=Capability::AccessKeys ask=ask2/> }.into_any()
                }}
            </SectionCard>
            <SectionCard id="mfa" title="Multi-factor authentication (MFA)"
                subtitle="Devices that protect your console sign-in. IAM allows up to 8.">
                {match o.mfa_devices {
                    _ if !may_mfa => view! { <ManagedNotice cap=Capability::Mfa ask=ask3/> }.into_any(),
                    Ok(devices) => view! { <MfaSection devices/> }.into_any(),
                    Err(error) => view! { <ErrorView error/> }.into_any(),
                }}
            </SectionCard>
            <SectionCard id="codecommit" title="AWS CodeCommit credentials"
                subtitle="HTTPS Git credentials and SSH public keys for CodeCommit repositories.">
                <CodeCommitSection git=o.git_credentials ssh=o.ssh_keys region=o.codecommit_region git_managed ssh_managed/>
            </SectionCard>
            <SectionCard id="signing-certificates" title="X.509 signing certificates"
                subtitle="Certificates that sign requests to the few AWS services that still accept them. IAM allows 2 per user.">
                {if may_certs {
                    view! { <self::certificates::SigningCertsSection certs=o.signing_certs/> }.into_any()
                } else {
                    view! { <ManagedNotice cap=Capability::SigningCertificates ask=ask4/> }.into_any()
                }}
            </SectionCard>
            <SectionCard id="service-credentials" title="Other service credentials"
                subtitle="Credentials that work for one AWS service only: Amazon Keyspaces, Amazon Bedrock and CloudWatch Logs. IAM allows 2 per service.">
                {if may_services {
                    view! { <self::services::ServiceCredentialsSection creds=o.service_credentials max_days/> }.into_any()
                } else {
                    view! { <ManagedNotice cap=Capability::ServiceCredentials ask=ask5/> }.into_any()
                }}
            </SectionCard>
        </div>
    }
}

/// "Needs your attention": expired passwords, overdue keys, no MFA — each a link to its section.
#[component]
fn AttentionSummary(items: Vec<Attention>) -> impl IntoView {
    let urgent = items.iter().any(|a| a.urgency == Urgency::Now);
    let frame = if urgent { "border-red-200 bg-red-50 text-red-950" } else { "border-amber-300 bg-amber-50 text-amber-950" };
    (!items.is_empty()).then(|| {
        view! {
            <section aria-labelledby="attention-title" class=format!("mt-4 rounded-lg border p-4 text-sm {frame}") data-testid="attention">
                <h2 id="attention-title" class="font-semibold">"Needs your attention"</h2>
                <ul class="mt-2 grid list-inside list-disc gap-1">
                    {items.into_iter().map(|a| view! {
                        <li data-testid="attention-item" data-section=a.section data-urgency=if a.urgency == Urgency::Now { "now" } else { "soon" }>
                            <a href=format!("#{}", a.section) class="underline decoration-1 underline-offset-2 hover:no-underline">{a.text}</a>
                        </li>
                    }).collect_view()}
                </ul>
            </section>
        }
    })
}
