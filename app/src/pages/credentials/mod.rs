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

use self::access_keys::{AccessKeysSection, CredentialActions, ReauthSection};
use self::codecommit::{CloneTargetState, CodeCommitSection};
use self::mfa::MfaSection;
use self::password::PasswordSection;
use crate::api::credentials::*;
use crate::components::ReauthPrompt;
use crate::components::{gate_frame, ErrorView, Gate, ManagedNotice, SectionCard, Shell};
use crate::domain::entitlements::Capability;
use crate::domain::*;
use crate::pages::{Bundle, IslandScripts};
use leptos::prelude::*;
use leptos_meta::Title;

pub use crate::domain::deadlines::{IDLE_AFTER_DAYS, ROTATE_AFTER_DAYS};

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

/// The page, drawn on the server: the person's credentials are read once, and each section's live part
/// is an island of its own ([`Section`], [`Temporary`]) with that section's data as its props.
#[component]
fn Overview() -> impl IntoView {
    let frame = gate_frame();
    let overview = Resource::new(|| (), |_| get_my_credentials());
    // The work roles the person may use: read once, for the temporary-credentials section and the
    // access-key wizard's "temporary credentials instead".
    let roles = Resource::new(|| (), |_| crate::api::temporary::get_my_work_roles());
    let live = LiveParts::default();
    provide_context(live.clone());
    view! {
        <Suspense fallback=|| view! { <p class="text-sm text-slate-500">"Loading your credentials…"</p> }>
            {move || {
                let (frame, live) = (frame.clone(), live.clone());
                Suspend::new(async move {
                    let (overview, roles) = (overview.await, roles.await);
                    let instead: Vec<String> =
                        roles.as_ref().map(|r| r.offers.iter().map(|o| o.display_name.clone()).collect()).unwrap_or_default();
                    let temporary = match roles {
                        Ok(mine) if mine.offers.is_empty() => ().into_any(),
                        Ok(mine) => {
                            live.0.store(true, std::sync::atomic::Ordering::Relaxed);
                            view! { <Temporary frame=frame.clone() roles=mine/> }.into_any()
                        }
                        Err(error) => view! { <ErrorView error/> }.into_any(),
                    };
                    let body = match overview {
                        Err(crate::error::AppError::NoIamUser { user }) => view! { <NoIamUser user/> }.into_any(),
                        Err(error) => view! {
                            <h1 class="text-2xl font-semibold tracking-tight">"My security credentials"</h1>
                            <div class="mt-6"><ErrorView error/></div>
                        }.into_any(),
                        Ok(o) => view! { <OverviewBody o instead/> }.into_any(),
                    };
                    // The WASM only if something is live: an employee with no IAM user and no work role,
                    // or who manages nothing here, gets a page with nothing to start.
                    let scripts = live.0.load(std::sync::atomic::Ordering::Relaxed).then(|| view! { <IslandScripts bundle=Bundle::Credentials/> });
                    // Shown also to people with no IAM user.
                    view! { {scripts}{body}<div class="mt-6 grid gap-6">{temporary}</div> }
                })
            }}
        </Suspense>
    }
}

/// The live parts of the page, each an island of its own ([`Section`]) with what it needs as props;
/// everything around them is drawn on the server. A part whose action changes what the page lists
/// loads the page anew when it is done (`components::browser::show_answer`), so the server draws the
/// change, with the same words a form posted without JavaScript comes back with.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Part {
    /// The console password's change form (the password's state is drawn on the server).
    PasswordForm { policy: crate::domain::password_policy::EffectivePolicy, block_weak: bool, iam_user: String, autofocus: bool },
    /// The access-key create wizard and the new key's one-time secret.
    KeyCreate { full: bool, iam_user: String, instead: Vec<String> },
    /// The rotation guide's step 1: the replacement key, created in the guide.
    KeyCreateInGuide { old: AccessKeyId, iam_user: String },
    /// The rotation guide's step 2: both keys' last use, read again without a reload.
    KeyWatch { old: AccessKeyId, new_key: AccessKeyId, base: String, keys: Vec<AccessKeyView> },
    /// The enrolment of a virtual MFA device (the device list is drawn on the server).
    MfaEnrolment { suggested: String },
    /// "Generate credentials" for CodeCommit over HTTPS; `region` starts the clone command the
    /// one-time dialog shows.
    GitGenerate { full: bool, region: String },
    /// A Git credential's "Reset password".
    GitReset { id: String, user: String, region: String },
    /// The SSH public key upload.
    SshUpload,
    /// An SSH key's config block and clone command.
    SshConfig { id: String, region: String },
    /// A service's "Generate".
    ServiceGenerate { slug: String, max_days: u32, full: bool },
    /// A service credential's "Reset".
    ServiceReset { slug: String, id: String, public: String },
}

impl Part {
    /// Whose actions this part's password prompt answers for.
    fn reauth(&self) -> ReauthSection {
        match self {
            Part::PasswordForm { .. } => ReauthSection::Password,
            Part::KeyCreate { .. } | Part::KeyCreateInGuide { .. } => ReauthSection::AccessKeys,
            Part::MfaEnrolment { .. } => ReauthSection::Mfa,
            Part::GitGenerate { .. } | Part::GitReset { .. } => ReauthSection::Git,
            Part::SshUpload => ReauthSection::SshUpload,
            Part::ServiceGenerate { .. } | Part::ServiceReset { .. } => ReauthSection::Services,
            Part::KeyWatch { .. } | Part::SshConfig { .. } => ReauthSection::None,
        }
    }

    fn view(self) -> AnyView {
        match self {
            Part::PasswordForm { policy, block_weak, iam_user, autofocus } => {
                view! { <self::password::ChangeForm policy block_weak iam_user autofocus/> }.into_any()
            }
            Part::KeyCreate { full, iam_user, .. } => view! { <self::access_keys::KeyCreate full iam_user/> }.into_any(),
            Part::KeyCreateInGuide { old, iam_user } => view! { <self::rotation::CreateInGuide old iam_user/> }.into_any(),
            Part::KeyWatch { old, new_key, base, keys } => view! { <self::rotation::WatchOldKey old new_key base keys/> }.into_any(),
            Part::MfaEnrolment { suggested } => view! { <self::mfa::MfaEnrolment suggested/> }.into_any(),
            Part::GitGenerate { full, .. } => view! { <self::codecommit::GitGenerate full/> }.into_any(),
            Part::GitReset { id, user, .. } => view! { <self::codecommit::GitReset id user/> }.into_any(),
            Part::SshUpload => view! { <self::codecommit::UploadForm/> }.into_any(),
            Part::SshConfig { id, .. } => view! { <self::codecommit::SshConfig id/> }.into_any(),
            Part::ServiceGenerate { slug, max_days, full } => view! { <self::services::ServiceGenerate slug max_days full/> }.into_any(),
            Part::ServiceReset { slug, id, public } => view! { <self::services::ServiceReset slug id public/> }.into_any(),
        }
    }
}

/// Whether the page drawn so far has a live part (set by [`section_island`], read once the page's
/// sections are built): the page names the WASM only then.
#[derive(Clone, Default)]
struct LiveParts(std::sync::Arc<std::sync::atomic::AtomicBool>);

/// A part's island, inside a page drawn on the server (which provides the frame).
pub(crate) fn section_island(part: Part) -> AnyView {
    if let Some(live) = use_context::<LiveParts>() {
        live.0.store(true, std::sync::atomic::Ordering::Relaxed);
    }
    view! { <Section frame=gate_frame() part/> }.into_any()
}

/// A live part's island: its actions and its own password confirmation (over the page, replaying the
/// action that asked for it).
#[cfg_attr(any(feature = "ssr", feature = "islands-credentials"), island)]
#[cfg_attr(not(any(feature = "ssr", feature = "islands-credentials")), component)]
fn Section(frame: Frame, part: Part) -> impl IntoView {
    provide_context(frame);
    let actions = CredentialActions::new();
    provide_context(actions);
    let clone_target = CloneTargetState::new();
    if let Part::GitGenerate { region, .. } | Part::GitReset { region, .. } | Part::SshConfig { region, .. } = &part {
        clone_target.region.set(region.clone());
    }
    provide_context(clone_target);
    if let Part::KeyCreate { instead, .. } = &part {
        provide_context(self::temporary::Instead(instead.clone()));
    }
    let reauth = part.reauth();
    view! {
        <Show when=move || actions.needs_reauth(reauth)><ReauthPrompt confirm=actions.confirm()/></Show>
        {part.view()}
    }
}

/// The temporary-credentials section's island.
#[cfg_attr(any(feature = "ssr", feature = "islands-credentials"), island)]
#[cfg_attr(not(any(feature = "ssr", feature = "islands-credentials")), component)]
fn Temporary(frame: Frame, roles: crate::domain::temporary::MyWorkRoles) -> impl IntoView {
    provide_context(frame);
    view! { <self::temporary::TemporaryCredentialsSection roles/> }
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
fn OverviewBody(o: CredentialsOverview, instead: Vec<String>) -> impl IntoView {
    let attention = view! { <AttentionSummary items=o.needs_attention()/> };
    // Each list goes to its section as it is (no copies: this is every page load's work).
    let CredentialsOverview {
        user,
        entitled,
        ask,
        password,
        access_keys,
        mfa_devices,
        git_credentials,
        ssh_keys,
        signing_certs,
        helpdesk_actions,
        codecommit_region,
        service_credentials,
        api_key_max_days,
    } = o;
    let name = user.name.to_string();
    let may = |c: Capability| entitled.contains(&c);
    let managed_notice = |cap: Capability| view! { <ManagedNotice cap ask=ask.clone()/> }.into_any();
    let managed = |c: Capability| (!may(c)).then(|| ask.clone());
    let (git_managed, ssh_managed) = (managed(Capability::GitCredentials), managed(Capability::SshKeys));
    let password = match password {
        Some(password) => view! { <PasswordSection password iam_user=name.clone()/> }.into_any(),
        None => managed_notice(Capability::ConsolePassword),
    };
    let keys = match may(Capability::AccessKeys) {
        true => view! { <AccessKeysSection keys=access_keys iam_user=name.clone() instead/> }.into_any(),
        false => managed_notice(Capability::AccessKeys),
    };
    let mfa = match (may(Capability::Mfa), mfa_devices) {
        (false, _) => managed_notice(Capability::Mfa),
        (true, Ok(devices)) => {
            let enrolment = section_island(Part::MfaEnrolment { suggested: self::mfa::suggested_name(&devices) });
            view! { <MfaSection devices enrolment/> }.into_any()
        }
        (true, Err(error)) => view! { <ErrorView error/> }.into_any(),
    };
    let codecommit =
        view! { <CodeCommitSection git=git_credentials ssh=ssh_keys region=codecommit_region git_managed ssh_managed/> }.into_any();
    let certs = match may(Capability::SigningCertificates) {
        // Drawn on the server: nothing in it is live.
        true => view! { <self::certificates::SigningCertsSection certs=signing_certs/> }.into_any(),
        false => managed_notice(Capability::SigningCertificates),
    };
    let services = match may(Capability::ServiceCredentials) {
        true => view! { <self::services::ServiceCredentialsSection creds=service_credentials max_days=api_key_max_days/> }.into_any(),
        false => managed_notice(Capability::ServiceCredentials),
    };
    view! {
        <h1 class="text-2xl font-semibold tracking-tight">"My security credentials"</h1>
        <p class="mt-1 text-sm text-slate-600">
            "IAM user " <span class="font-mono font-medium text-slate-800" data-testid="iam-user">{name}</span>
            <span class="mx-2 text-slate-300">"|"</span>
            <span class="break-all font-mono text-xs text-slate-500" data-testid="iam-arn">{user.arn}</span>
        </p>
        {(!helpdesk_actions.is_empty()).then(|| view! {
            <section aria-label="Help-desk actions" class="mt-4 rounded-lg border border-amber-300 bg-amber-50 p-4 text-sm text-amber-950" data-testid="helpdesk-notices">
                <h2 class="font-semibold">"The help desk changed your credentials"</h2>
                <ul class="mt-2 grid gap-1">
                    {helpdesk_actions.iter().map(|n| view! {
                        <li data-testid="helpdesk-notice">{format!("{} UTC — {} {}", fmt_utc(n.at), n.actor, n.what)}
                            {n.reason.clone().map(|r| view! { <span class="text-amber-900">{format!(" · reason: {r}")}</span> })}</li>
                    }).collect_view()}
                </ul>
                <p class="mt-2 text-xs">"Not expected? Contact your security team."</p>
            </section>
        })}
        {attention}
        <div class="mt-6 grid gap-6">
            <SectionCard id="password" title="Console password"
                subtitle="The password you use to sign in to the AWS Management Console.">
                {password}
            </SectionCard>
            <SectionCard id="access-keys" title="Access keys"
                subtitle="Long-term credentials for the AWS CLI, SDKs and API calls. IAM allows 2 per user, active or not.">
                {keys}
            </SectionCard>
            <SectionCard id="mfa" title="Multi-factor authentication (MFA)"
                subtitle="Devices that protect your console sign-in. IAM allows up to 8.">
                {mfa}
            </SectionCard>
            <SectionCard id="codecommit" title="AWS CodeCommit credentials"
                subtitle="HTTPS Git credentials and SSH public keys for CodeCommit repositories.">
                {codecommit}
            </SectionCard>
            <SectionCard id="signing-certificates" title="X.509 signing certificates"
                subtitle="Certificates that sign requests to the few AWS services that still accept them. IAM allows 2 per user.">
                {certs}
            </SectionCard>
            <SectionCard id="service-credentials" title="Other service credentials"
                subtitle="Credentials that work for one AWS service only: Amazon Keyspaces, Amazon Bedrock and CloudWatch Logs. IAM allows 2 per service.">
                {services}
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
