//! "My security credentials": the signed-in employee's own IAM credentials, one section per kind.

use crate::components::{use_session, Gate, SectionCard, Shell};
use crate::domain::Frame;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn CredentialsPage() -> impl IntoView {
    view! {
        <Title text="My security credentials"/>
        <Shell>
            <Gate>
                <PageHeading/>
                <div class="mt-6 grid gap-6">
                    <SectionCard id="password" title="Console password"
                        subtitle="The password you use to sign in to the AWS Management Console.">
                        <p class="text-sm text-slate-500">"Password management is not available in this build yet."</p>
                    </SectionCard>
                    <SectionCard id="access-keys" title="Access keys"
                        subtitle="Long-term credentials for the AWS CLI, SDKs and API calls. At most 2 per user.">
                        <p class="text-sm text-slate-500">"Access key management is not available in this build yet."</p>
                    </SectionCard>
                    <SectionCard id="mfa" title="Multi-factor authentication (MFA)"
                        subtitle="Virtual authenticator apps that protect your console sign-in.">
                        <p class="text-sm text-slate-500">"MFA management is not available in this build yet."</p>
                    </SectionCard>
                    <SectionCard id="codecommit" title="AWS CodeCommit credentials"
                        subtitle="HTTPS Git credentials and SSH public keys for CodeCommit repositories.">
                        <p class="text-sm text-slate-500">"CodeCommit credential management is not available in this build yet."</p>
                    </SectionCard>
                </div>
            </Gate>
        </Shell>
    }
}

#[component]
fn PageHeading() -> impl IntoView {
    let session = use_session();
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let who = match session.frame.await {
                    Ok(Frame { viewer: Some(v), .. }) => v.iam_user.to_string(),
                    _ => String::new(),
                };
                view! {
                    <h1 class="text-2xl font-semibold tracking-tight">"My security credentials"</h1>
                    <p class="mt-1 text-sm text-slate-600">
                        "IAM user " <span class="font-mono font-medium text-slate-800" data-testid="iam-user">{who}</span>
                    </p>
                }
            })}
        </Transition>
    }
}
