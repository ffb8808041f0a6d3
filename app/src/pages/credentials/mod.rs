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
    view! {
        <IslandScripts/>
        <Suspense fallback=|| view! { <p class="text-sm text-slate-500">"Loading your credentials…"</p> }>
            {move || {
                let frame = frame.clone();
                Suspend::new(async move {
                    let (overview, roles) = (overview.await, roles.await);
                    let instead: Vec<String> =
                        roles.as_ref().map(|r| r.offers.iter().map(|o| o.display_name.clone()).collect()).unwrap_or_default();
                    let temporary = match roles {
                        Ok(mine) if mine.offers.is_empty() => ().into_any(),
                        Ok(mine) => view! { <Temporary frame=frame.clone() roles=mine/> }.into_any(),
                        Err(error) => view! { <ErrorView error/> }.into_any(),
                    };
                    let body = match overview {
                        Err(crate::error::AppError::NoIamUser { user }) => view! { <NoIamUser user/> }.into_any(),
                        Err(error) => view! {
                            <h1 class="text-2xl font-semibold tracking-tight">"My security credentials"</h1>
                            <div class="mt-6"><ErrorView error/></div>
                        }.into_any(),
                        Ok(o) => view! { <OverviewBody o frame instead/> }.into_any(),
                    };
                    // Shown also to people with no IAM user.
                    view! { {body}<div class="mt-6 grid gap-6">{temporary}</div> }
                })
            }}
        </Suspense>
    }
}

/// One section's share of the overview: the props of its island, and what the island takes anew from
/// the overview each time an action changes something.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Part {
    Attention(Vec<Attention>),
    Password {
        password: PasswordView,
        iam_user: String,
    },
    AccessKeys {
        keys: Vec<AccessKeyView>,
        iam_user: String,
        instead: Vec<String>,
    },
    /// The enrolment of a virtual MFA device (the device list is drawn on the server).
    MfaEnrolment {
        suggested: String,
    },
    CodeCommit {
        git: Result<Vec<crate::api::codecommit::GitCredentialView>, crate::error::AppError>,
        ssh: Result<Vec<crate::api::codecommit::SshKeyView>, crate::error::AppError>,
        region: String,
        git_managed: Option<String>,
        ssh_managed: Option<String>,
    },
    Services {
        creds: Result<Vec<crate::api::services::ServiceCredentialView>, crate::error::AppError>,
        max_days: u32,
    },
}

impl Part {
    /// The same section's share of a newer overview. What the overview does not hold (the roles
    /// behind "temporary credentials instead") is kept; a section that is no longer there (a password
    /// that went away) keeps what it showed.
    fn refreshed(&self, o: &CredentialsOverview) -> Part {
        match self {
            Part::Attention(_) => Part::Attention(o.needs_attention()),
            Part::Password { iam_user, .. } => match &o.password {
                Some(password) => Part::Password { password: password.clone(), iam_user: iam_user.clone() },
                None => self.clone(),
            },
            Part::AccessKeys { iam_user, instead, .. } => {
                Part::AccessKeys { keys: o.access_keys.clone(), iam_user: iam_user.clone(), instead: instead.clone() }
            }
            Part::MfaEnrolment { .. } => self.clone(),
            Part::CodeCommit { region, git_managed, ssh_managed, .. } => Part::CodeCommit {
                git: o.git_credentials.clone(),
                ssh: o.ssh_keys.clone(),
                region: region.clone(),
                git_managed: git_managed.clone(),
                ssh_managed: ssh_managed.clone(),
            },
            Part::Services { max_days, .. } => Part::Services { creds: o.service_credentials.clone(), max_days: *max_days },
        }
    }

    /// Whose actions this section's password prompt answers for.
    fn reauth(&self) -> ReauthSection {
        match self {
            Part::Attention(_) => ReauthSection::None,
            Part::Password { .. } => ReauthSection::Password,
            Part::AccessKeys { .. } => ReauthSection::AccessKeys,
            Part::MfaEnrolment { .. } => ReauthSection::Mfa,
            Part::CodeCommit { .. } => ReauthSection::CodeCommit,
            Part::Services { .. } => ReauthSection::Services,
        }
    }

    fn view(self) -> AnyView {
        match self {
            Part::Attention(items) => view! { <AttentionSummary items/> }.into_any(),
            Part::Password { password, iam_user } => view! { <PasswordSection password iam_user/> }.into_any(),
            Part::AccessKeys { keys, iam_user, .. } => view! { <AccessKeysSection keys iam_user/> }.into_any(),
            Part::MfaEnrolment { suggested } => view! { <self::mfa::MfaEnrolment suggested/> }.into_any(),
            Part::CodeCommit { git, ssh, region, git_managed, ssh_managed } => {
                view! { <CodeCommitSection git ssh region git_managed ssh_managed/> }.into_any()
            }
            Part::Services { creds, max_days } => view! { <self::services::ServiceCredentialsSection creds max_days/> }.into_any(),
        }
    }
}

/// The newest overview the page has read since it was drawn, shared by the page's islands: an action
/// in one section reads the overview again, and every section (and the attention summary) shows it.
/// Only in the browser; on the server each island draws its props.
#[cfg(feature = "hydrate")]
fn latest_overview() -> Option<ArcRwSignal<Option<CredentialsOverview>>> {
    thread_local! {
        static LATEST: ArcRwSignal<Option<CredentialsOverview>> = ArcRwSignal::new(None);
    }
    Some(LATEST.with(Clone::clone))
}

#[cfg(not(feature = "hydrate"))]
fn latest_overview() -> Option<ArcRwSignal<Option<CredentialsOverview>>> {
    None
}

/// A section's island: its actions, its password confirmation, and its part of the overview, read
/// again after each change it makes.
#[island]
fn Section(frame: Frame, part: Part) -> impl IntoView {
    provide_context(frame);
    let actions = CredentialActions::new();
    provide_context(actions);
    provide_context(CloneTargetState::new());
    if let Part::AccessKeys { instead, .. } = &part {
        provide_context(self::temporary::Instead(instead.clone()));
    }
    let reauth = part.reauth();
    let latest = latest_overview();
    let refresh = {
        let latest = latest.clone();
        move || {
            let latest = latest.clone();
            leptos::task::spawn_local(async move {
                // A failed read keeps what the page shows: the next change or a reload reads again.
                if let (Ok(o), Some(latest)) = (get_my_credentials().await, latest) {
                    latest.set(Some(o));
                }
            });
        }
    };
    // Read again after every completed access-key action (a refused one may still have changed the
    // list: a key created by another tab), and after every other action that succeeded: a refusal
    // (IAM's reuse rule, a bad key) keeps the section, and so what was typed in its form.
    Effect::new(move |previous: Option<([usize; 3], Vec<(usize, bool)>)>| {
        let (keys, others) = (actions.changes(), actions.self_changes());
        if let Some((keys_before, others_before)) = &previous {
            let succeeded = others_before.iter().zip(&others).any(|((before, _), (after, ok))| before != after && *ok);
            if *keys_before != keys || succeeded {
                refresh();
            }
        }
        (keys, others)
    });
    let dialogs = match &part {
        Part::CodeCommit { .. } => view! { <GitSecretDialog/> }.into_any(),
        Part::Services { .. } => view! { <self::services::ServiceSecretDialog/> }.into_any(),
        _ => ().into_any(),
    };
    // Memoised: a section whose share did not change is not drawn again (what is typed in it stays).
    let shown = Memo::new(move |_| match latest.as_ref().and_then(|l| l.get()) {
        Some(o) => part.refreshed(&o),
        None => part.clone(),
    });
    view! {
        <Show when=move || actions.needs_reauth(reauth)><ReauthPrompt confirm=actions.confirm/></Show>
        {dialogs}
        {move || shown.get().view()}
    }
}

/// The temporary-credentials section's island.
#[island]
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
fn OverviewBody(o: CredentialsOverview, frame: Frame, instead: Vec<String>) -> impl IntoView {
    let name = o.user.name.to_string();
    let (name1, name2) = (name.clone(), name.clone());
    let island = |part: Part| view! { <Section frame=frame.clone() part/> }.into_any();
    let managed_notice = |cap: Capability| view! { <ManagedNotice cap ask=o.ask.clone()/> }.into_any();
    let may = |c: Capability| o.entitled.contains(&c);
    let managed = |c: Capability| (!may(c)).then(|| o.ask.clone());
    let (git_managed, ssh_managed) = (managed(Capability::GitCredentials), managed(Capability::SshKeys));
    let attention = island(Part::Attention(o.needs_attention()));
    let password = match o.password.clone() {
        Some(password) => island(Part::Password { password, iam_user: name1 }),
        None => managed_notice(Capability::ConsolePassword),
    };
    let keys = match may(Capability::AccessKeys) {
        true => island(Part::AccessKeys { keys: o.access_keys.clone(), iam_user: name2, instead }),
        false => managed_notice(Capability::AccessKeys),
    };
    let mfa = match may(Capability::Mfa) {
        true => match o.mfa_devices.clone() {
            Ok(devices) => {
                let enrolment = island(Part::MfaEnrolment { suggested: self::mfa::suggested_name(&devices) });
                view! { <MfaSection devices enrolment/> }.into_any()
            }
            Err(error) => view! { <ErrorView error/> }.into_any(),
        },
        false => managed_notice(Capability::Mfa),
    };
    let codecommit = island(Part::CodeCommit {
        git: o.git_credentials.clone(),
        ssh: o.ssh_keys.clone(),
        region: o.codecommit_region.clone(),
        git_managed,
        ssh_managed,
    });
    let certs = match may(Capability::SigningCertificates) {
        // Drawn on the server: nothing in it is live.
        true => view! { <self::certificates::SigningCertsSection certs=o.signing_certs.clone()/> }.into_any(),
        false => managed_notice(Capability::SigningCertificates),
    };
    let services = match may(Capability::ServiceCredentials) {
        true => island(Part::Services { creds: o.service_credentials.clone(), max_days: o.api_key_max_days }),
        false => managed_notice(Capability::ServiceCredentials),
    };
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
