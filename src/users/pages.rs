//! Sign-in and sign-up pages. Both are plain forms that work without JavaScript; with it, they
//! submit in place and show errors next to the fields.
use leptos::{form::ActionForm, prelude::*};
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::{
    api::{Login, Signup, signup_status},
    model::SignupStatus,
};
use crate::ui::{
    form_flash::{kept, kept_form},
    forms::{FieldError, FormError, action_error, invalid},
};
use leptos::server_fn::ServerFn as _;

/// The centred card around the sign-in and sign-up forms (no sidebar: the visitor is not in yet).
#[component]
fn AuthFrame(title: &'static str, children: Children) -> impl IntoView {
    view! {
        <Title text=title />
        <main class="auth-page" id="main">
            <section class="card auth-card">
                <p class="brand auth-brand"><span class="brand-mark"><crate::ui::icon::Icon name="brand" /></span>" CRM"</p>
                <h1>{title}</h1>
                {children()}
            </section>
        </main>
    }
}

fn next_from_query() -> Signal<String> {
    let query = use_query_map();
    Signal::derive(move || query.read().get("next").unwrap_or_default())
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let login = ServerAction::<Login>::new();
    let error = action_error(login);
    let next = next_from_query();
    view! {
        <AuthFrame title="Sign in">
            <ActionForm action=login attr:class="form-stack">
                <FormError error />
                <input type="hidden" name="next" value=next />
                <div class="field">
                    <label for="email">"Email"</label>
                    <input id="email" name="email" type="email" autocomplete="username" required autofocus
                        value=kept(Login::PATH, "email") />
                </div>
                <div class="field">
                    <label for="password">"Password"</label>
                    <input id="password" name="password" type="password" autocomplete="current-password" required />
                </div>
                <label class="checkbox">
                    <input type="checkbox" name="remember" value="on"
                        checked=kept_form(Login::PATH).is_some_and(|form| form.contains_key("remember")) />
                    " Keep me signed in for 30 days"
                </label>
                <button type="submit" class="button" disabled=move || login.pending().get()>
                    {move || if login.pending().get() { "Signing in…" } else { "Sign in" }}
                </button>
            </ActionForm>
            <p class="muted">"No account yet? " <a href="/signup">"Create one"</a></p>
        </AuthFrame>
    }
}

#[component]
pub fn SignupPage() -> impl IntoView {
    let signup = ServerAction::<Signup>::new();
    let error = action_error(signup);
    let next = next_from_query();
    let status = Resource::new(|| (), |_| signup_status());
    view! {
        <AuthFrame title="Create your account">
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match status.await {
                        Ok(SignupStatus::FirstAccount) => view! {
                            <p class="notice notice-success" id="signup-status">
                                "No account exists yet: the account you create now becomes the administrator."
                            </p>
                        }
                        .into_any(),
                        Ok(SignupStatus::Closed) => view! {
                            <p class="notice form-error" id="signup-status" role="status">
                                "Sign-up is closed. Ask an administrator for an account: admins add people on the Users page."
                            </p>
                        }
                        .into_any(),
                        _ => ().into_any(),
                    }
                })}
            </Suspense>
            <ActionForm action=signup attr:class="form-stack">
                <FormError error />
                <input type="hidden" name="next" value=next />
                <input type="hidden" name="timezone" value=crate::ui::forms::browser_time_zone() />
                <div class="field">
                    <label for="name">"Name"</label>
                    <input id="name" name="name" autocomplete="name" required maxlength="200"
                        value=kept(Signup::PATH, "name")
                        aria-invalid=invalid(error, "name") aria-describedby="name-error" />
                    <FieldError error field="name" />
                </div>
                <div class="field">
                    <label for="email">"Email"</label>
                    <input id="email" name="email" type="email" autocomplete="email" required
                        value=kept(Signup::PATH, "email")
                        aria-invalid=invalid(error, "email") aria-describedby="email-error" />
                    <FieldError error field="email" />
                </div>
                <div class="field">
                    <label for="password">"Password"</label>
                    <input id="password" name="password" type="password" autocomplete="new-password" required
                        minlength="8" aria-invalid=invalid(error, "password") aria-describedby="password-hint password-error" />
                    <p class="hint" id="password-hint">"At least 8 characters. A few unrelated words work well."</p>
                    <FieldError error field="password" />
                </div>
                <button type="submit" class="button" disabled=move || signup.pending().get()>
                    {move || if signup.pending().get() { "Creating your account…" } else { "Create account" }}
                </button>
            </ActionForm>
            <p class="muted">"Already have an account? " <a href="/login">"Sign in"</a></p>
        </AuthFrame>
    }
}
