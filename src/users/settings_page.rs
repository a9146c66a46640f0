//! `/settings`: the signed-in user's profile, scheduling, integrations, password and sessions.
//! Every form is an `ActionForm`, so it also works as a plain form post without JavaScript.
use leptos::{form::ActionForm, prelude::*, server_fn::ServerFn as _};
use leptos_router::hooks::use_query_map;

use super::{
    api::{ChangePassword, LogoutElsewhere, UpdateProfile, get_settings},
    profile::{SettingsData, WEEKDAYS},
};
use crate::{
    shared::AppError,
    ui::{
        form_flash::kept_form,
        forms::{FieldError, FormError, action_error, invalid},
        page::PageHeader,
    },
};

#[component]
pub fn SettingsPage() -> impl IntoView {
    let update = ServerAction::<UpdateProfile>::new();
    // Loaded once: after a save the form already shows what was saved, and after a failed one it
    // must keep what was typed (reloading it would put the stored values back).
    let settings = Resource::new(|| (), |_| get_settings());
    view! {
        <PageHeader title="Settings" subtitle="Your profile, working hours and integrations." />
        <SavedAfterPlainPost />
        <Transition fallback=|| view! { <crate::ui::page::Skeleton label="Loading your settings…" lines=5 /> }>
            {move || Suspend::new(async move {
                match settings.await {
                    Ok(data) => view! { <ProfileForm data action=update /> }.into_any(),
                    Err(error) => view! { <p class="card error-panel" role="alert">{error.to_string()}</p> }.into_any(),
                }
            })}
        </Transition>
        <crate::bookings::public::settings::BookingLinksSection />
        <crate::chat::public::embed::section::EmbedSection />
        <PasswordSection />
        <SessionsSection />
    }
}

/// Without JavaScript a successful save redirects to `?saved=…`; this says what was saved.
#[component]
fn SavedAfterPlainPost() -> impl IntoView {
    let query = use_query_map();
    // A later failed post returns to the same address: not saved then.
    let failed = crate::ui::form_flash::has_failure();
    let message = move || match query.read().get("saved").filter(|_| !failed).as_deref() {
        Some("profile") => Some("Your settings are saved."),
        Some("password") => Some("Your password is changed; your other sessions were signed out."),
        Some("booking-link") => Some("Your booking link is saved."),
        Some("embed") => Some("The websites that may show your chat are saved."),
        Some("feed") => Some("Your calendar feed has a new address; the old one no longer works."),
        _ => None,
    };
    view! {
        {move || message().map(|text| view! { <p class="notice notice-success" role="status">{text}</p> })}
    }
}

/// The profile as the person left it, when this page shows its failed post (without JavaScript).
fn with_kept_values(mut profile: super::profile::Profile) -> super::profile::Profile {
    let Some(mut typed) = kept_form(UpdateProfile::PATH) else { return profile };
    let take = |typed: &mut std::collections::BTreeMap<String, String>, field: &str, value: &mut String| {
        if let Some(text) = typed.remove(field) {
            *value = text;
        }
    };
    take(&mut typed, "name", &mut profile.name);
    take(&mut typed, "company", &mut profile.company);
    take(&mut typed, "timezone", &mut profile.timezone);
    take(&mut typed, "ghl_calendar_id", &mut profile.ghl_calendar_id);
    take(&mut typed, "ghl_location_id", &mut profile.ghl_location_id);
    take(&mut typed, "ghl_assigned_user_id", &mut profile.ghl_assigned_user_id);
    for day in &mut profile.working_hours.days {
        take(&mut typed, &format!("hours[{}_start]", day.day), &mut day.start);
        take(&mut typed, &format!("hours[{}_end]", day.day), &mut day.end);
        day.enabled = typed.contains_key(&format!("hours[{}_on]", day.day));
    }
    profile.booking_enabled = typed.contains_key("booking_enabled");
    profile
}

#[component]
fn ProfileForm(data: SettingsData, action: ServerAction<UpdateProfile>) -> impl IntoView {
    let error = action_error(action);
    let saved = move || matches!(action.value().get(), Some(Ok(())));
    let profile = with_kept_values(data.profile);
    let timezone = profile.timezone.clone();
    view! {
        <ActionForm action attr:class="card settings-section form-stack" attr:aria-labelledby="profile-title">
            <h2 id="profile-title">"Profile"</h2>
            <FormError error />
            <div class="form-grid">
                <div class="field">
                    <label for="name">"Name"</label>
                    <input id="name" name="name" autocomplete="name" required maxlength="200" value=profile.name
                        aria-invalid=invalid(error, "name") aria-describedby="name-error" />
                    <FieldError error field="name" />
                </div>
                <div class="field">
                    <label for="email">"Email"</label>
                    <input id="email" type="email" value=profile.email readonly aria-describedby="email-hint" />
                    <p class="hint" id="email-hint">"Ask an admin to change the email you sign in with."</p>
                </div>
                <div class="field">
                    <label for="company">"Company"</label>
                    <input id="company" name="company" autocomplete="organization" maxlength="200"
                        value=profile.company aria-invalid=invalid(error, "company") aria-describedby="company-error" />
                    <FieldError error field="company" />
                </div>
                <div class="field">
                    <label for="timezone">"Time zone"</label>
                    <select id="timezone" name="timezone" aria-invalid=invalid(error, "timezone")
                        aria-describedby="timezone-error">
                        {data
                            .timezones
                            .into_iter()
                            .map(|zone| {
                                let selected = zone == timezone;
                                view! { <option value=zone.clone() selected=selected>{zone.replace('_', " ")}</option> }
                            })
                            .collect_view()}
                    </select>
                    <FieldError error field="timezone" />
                </div>
            </div>

            <h2 id="booking-title">"Bookings"</h2>
            <label class="checkbox">
                <input type="checkbox" name="booking_enabled" value="on" checked=profile.booking_enabled
                    aria-describedby="booking_enabled-error" />
                " Let the AI persona book appointments during my working hours"
            </label>
            <FieldError error field="booking_enabled" />
            <p class="hint">
                "Several windows a day, days off and booking types: "
                <a href="/bookings/settings" data-testid="availability-link">"Availability"</a>
                ". A day with several windows there keeps them when these hours are saved."
            </p>
            <fieldset class="working-hours">
                <legend>"Working hours"</legend>
                {profile
                    .working_hours
                    .days
                    .into_iter()
                    .zip(WEEKDAYS)
                    .map(|(day, (key, label))| {
                        let field = format!("hours_{key}");
                        let message = {
                            let field = field.clone();
                            move || error.get().and_then(|e| e.field_message(&field).map(str::to_owned))
                        };
                        view! {
                            <div class="working-day" data-day=key>
                                <label class="checkbox">
                                    <input type="checkbox" name=format!("hours[{key}_on]") value="on" checked=day.enabled />
                                    " " {label}
                                </label>
                                <label class="visually-hidden" for=format!("{key}-start")>{format!("{label} start")}</label>
                                <input type="time" id=format!("{key}-start") name=format!("hours[{key}_start]")
                                    value=day.start />
                                <span aria-hidden="true">"–"</span>
                                <label class="visually-hidden" for=format!("{key}-end")>{format!("{label} end")}</label>
                                <input type="time" id=format!("{key}-end") name=format!("hours[{key}_end]") value=day.end />
                                {move || message().map(|text| view! { <p class="field-error" role="alert">{text}</p> })}
                            </div>
                        }
                    })
                    .collect_view()}
            </fieldset>

            <h2 id="integrations-title">"GoHighLevel"</h2>
            <p class="muted">"Where booked appointments are created. Leave empty to keep bookings in the CRM only."</p>
            <div class="form-grid">
                <IdField error field="ghl_calendar_id" label="Calendar id" value=profile.ghl_calendar_id />
                <IdField error field="ghl_location_id" label="Location id" value=profile.ghl_location_id />
                <IdField error field="ghl_assigned_user_id" label="Assigned user id"
                    value=profile.ghl_assigned_user_id />
            </div>
            <div class="form-actions">
                <button type="submit" class="button" disabled=move || action.pending().get()>
                    {move || if action.pending().get() { "Saving…" } else { "Save settings" }}
                </button>
                <p role="status" class="outcome" data-testid="profile-outcome">
                    {move || saved().then_some("Saved.")}
                </p>
            </div>
        </ActionForm>
    }
}

#[component]
fn IdField(error: Signal<Option<AppError>>, field: &'static str, label: &'static str, value: String) -> impl IntoView {
    view! {
        <div class="field">
            <label for=field>{label}</label>
            <input id=field name=field value=value maxlength="100" autocomplete="off" spellcheck="false"
                aria-invalid=invalid(error, field) aria-describedby=format!("{field}-error") />
            <FieldError error field />
        </div>
    }
}

#[component]
fn PasswordSection() -> impl IntoView {
    let change = ServerAction::<ChangePassword>::new();
    let error = action_error(change);
    let form = NodeRef::<leptos::html::Form>::new();
    // A changed password must not linger in the fields.
    Effect::new(move || {
        if matches!(change.value().get(), Some(Ok(_)))
            && let Some(form) = form.get()
        {
            form.reset();
        }
    });
    let outcome = move || match change.value().get() {
        Some(Ok(0)) => Some("Password changed.".to_owned()),
        Some(Ok(ended)) => {
            Some(format!("Password changed. Signed out of {ended} other session{}.", if ended == 1 { "" } else { "s" }))
        }
        _ => None,
    };
    view! {
        <section class="card settings-section" aria-labelledby="password-title">
            <h2 id="password-title">"Password"</h2>
            <p class="muted">"Changing it signs you out of every other session."</p>
            <ActionForm action=change node_ref=form attr:class="form-stack narrow">
                <FormError error />
                <input type="text" name="username" autocomplete="username" hidden />
                <div class="field">
                    <label for="current_password">"Current password"</label>
                    <input id="current_password" name="current_password" type="password"
                        autocomplete="current-password" required aria-invalid=invalid(error, "current_password")
                        aria-describedby="current_password-error" />
                    <FieldError error field="current_password" />
                </div>
                <div class="field">
                    <label for="new_password">"New password"</label>
                    <input id="new_password" name="new_password" type="password" autocomplete="new-password"
                        required minlength="8" aria-invalid=invalid(error, "new_password")
                        aria-describedby="new_password-hint new_password-error" />
                    <p class="hint" id="new_password-hint">"At least 8 characters. A few unrelated words work well."</p>
                    <FieldError error field="new_password" />
                </div>
                <div class="field">
                    <label for="confirm_password">"Repeat the new password"</label>
                    <input id="confirm_password" name="confirm_password" type="password" autocomplete="new-password"
                        required aria-invalid=invalid(error, "confirm_password")
                        aria-describedby="confirm_password-error" />
                    <FieldError error field="confirm_password" />
                </div>
                <div class="form-actions">
                    <button type="submit" class="button" disabled=move || change.pending().get()>
                        {move || if change.pending().get() { "Changing…" } else { "Change password" }}
                    </button>
                    <p role="status" class="outcome" data-testid="password-outcome">{outcome}</p>
                </div>
            </ActionForm>
        </section>
    }
}

#[component]
fn SessionsSection() -> impl IntoView {
    let logout_elsewhere = ServerAction::<LogoutElsewhere>::new();
    let outcome = move || {
        logout_elsewhere.value().get().map(|result| match result {
            Ok(0) => "No other session was open.".to_owned(),
            Ok(1) => "Signed out of 1 other session.".to_owned(),
            Ok(ended) => format!("Signed out of {ended} other sessions."),
            Err(error) => error.to_string(),
        })
    };
    view! {
        <section class="card settings-section" aria-labelledby="sessions-title">
            <h2 id="sessions-title">"Sessions"</h2>
            <p class="muted">"Signed in on a shared or lost device? End every session but this one."</p>
            <ActionForm action=logout_elsewhere>
                <button type="submit" class="button">"Sign out everywhere else"</button>
            </ActionForm>
            <p role="status" data-testid="logout-elsewhere-outcome">{outcome}</p>
        </section>
    }
}
