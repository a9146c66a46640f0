//! A user's own settings: reading and saving the profile, and changing the password.
use std::{collections::BTreeMap, sync::LazyLock};

use sea_orm::{ActiveModelTrait, EntityTrait, IntoActiveModel, Set};
use tower_sessions::Session;

use super::{
    auth::{self, hashing_error, new_password_problem},
    entity,
    model::{CurrentUser, MAX_PASSWORD_BYTES, validate_name},
    password,
    profile::{Profile, ProfileForm, SettingsData, WorkingHours, validate_company, validate_external_id},
};
use crate::{
    audit::{self, Action, Changes},
    server::state::AppState,
    shared::AppError,
};

/// IANA zones people live in (Area/City), plus UTC; aliases and Etc/ zones are left out.
static TIMEZONES: LazyLock<Vec<String>> = LazyLock::new(|| {
    const AREAS: &[&str] =
        &["Africa/", "America/", "Antarctica/", "Asia/", "Atlantic/", "Australia/", "Europe/", "Indian/", "Pacific/"];
    let mut zones: Vec<String> = chrono_tz::TZ_VARIANTS
        .iter()
        .map(|zone| zone.name())
        .filter(|name| AREAS.iter().any(|area| name.starts_with(area)))
        .map(str::to_owned)
        .collect();
    zones.sort_unstable();
    zones.insert(0, "UTC".to_owned());
    zones
});

/// The zones a person may choose (settings, the public booking page), UTC first.
pub fn timezone_names() -> &'static [String] {
    &TIMEZONES
}

pub fn is_known_timezone(name: &str) -> bool {
    TIMEZONES.binary_search_by(|zone| zone.as_str().cmp(name)).is_ok() || name == "UTC"
}

async fn load_account(state: &AppState, user: &CurrentUser) -> Result<entity::Model, AppError> {
    entity::Entity::find_by_id(user.id).one(&state.db).await?.ok_or(AppError::Unauthenticated)
}

fn working_hours_of(account: &entity::Model) -> WorkingHours {
    account
        .working_hours
        .clone()
        .and_then(|json| serde_json::from_value::<WorkingHours>(json).ok())
        .map(WorkingHours::normalized)
        .unwrap_or_default()
}

fn profile_of(account: &entity::Model) -> Profile {
    Profile {
        name: account.name.clone(),
        email: account.email.clone(),
        company: account.company.clone().unwrap_or_default(),
        timezone: account.timezone.clone(),
        booking_enabled: account.booking_enabled,
        working_hours: working_hours_of(account),
        ghl_calendar_id: account.ghl_calendar_id.clone().unwrap_or_default(),
        ghl_location_id: account.ghl_location_id.clone().unwrap_or_default(),
        ghl_assigned_user_id: account.ghl_assigned_user_id.clone().unwrap_or_default(),
    }
}

pub async fn settings(state: &AppState, user: &CurrentUser) -> Result<SettingsData, AppError> {
    let account = load_account(state, user).await?;
    Ok(SettingsData { profile: profile_of(&account), timezones: TIMEZONES.clone() })
}

fn validate(update: &ProfileForm) -> Result<WorkingHours, AppError> {
    let mut errors = BTreeMap::new();
    if let Err(message) = validate_name(&update.name) {
        errors.insert("name".to_owned(), message);
    }
    if let Err(message) = validate_company(&update.company) {
        errors.insert("company".to_owned(), message);
    }
    if !is_known_timezone(update.timezone.trim()) {
        errors.insert("timezone".to_owned(), "Choose a time zone from the list.".to_owned());
    }
    for (field, value) in [
        ("ghl_calendar_id", &update.ghl_calendar_id),
        ("ghl_location_id", &update.ghl_location_id),
        ("ghl_assigned_user_id", &update.ghl_assigned_user_id),
    ] {
        if let Err(message) = validate_external_id(value) {
            errors.insert(field.to_owned(), message);
        }
    }
    let hours = WorkingHours::from_form(&update.hours).map_err(|hour_errors| errors.extend(hour_errors)).ok();
    if update.booking_enabled.is_some() && hours.as_ref().is_some_and(|hours| hours.days.iter().all(|day| !day.enabled))
    {
        errors.insert("booking_enabled".to_owned(), "Bookings need at least one working day.".to_owned());
    }
    match hours {
        Some(hours) if errors.is_empty() => Ok(hours),
        _ => Err(AppError::Validation(errors)),
    }
}

fn optional(value: &str) -> Option<String> {
    let value = value.trim();
    (!value.is_empty()).then(|| value.to_owned())
}

/// Saves the profile and audits the fields that changed, in one transaction.
pub async fn update_profile(state: &AppState, user: &CurrentUser, update: ProfileForm) -> Result<(), AppError> {
    let hours = validate(&update)?;
    let booking_enabled = update.booking_enabled.is_some();
    let txn = crate::server::db::begin_write(&state.db).await?;
    let account = entity::Entity::find_by_id(user.id).one(&txn).await?.ok_or(AppError::Unauthenticated)?;
    let before = profile_of(&account);
    let hours_json = serde_json::to_value(&hours).map_err(|_| AppError::Internal)?;
    let changes = Changes::new()
        .diff("name", before.name.clone(), update.name.trim().to_owned())
        .diff("company", before.company.clone(), update.company.trim().to_owned())
        .diff("timezone", before.timezone.clone(), update.timezone.trim().to_owned())
        .diff("booking_enabled", before.booking_enabled, booking_enabled)
        .diff("working_hours", serde_json::to_value(&before.working_hours).unwrap_or_default(), hours_json.clone())
        .diff("ghl_calendar_id", before.ghl_calendar_id.clone(), update.ghl_calendar_id.trim().to_owned())
        .diff("ghl_location_id", before.ghl_location_id.clone(), update.ghl_location_id.trim().to_owned())
        .diff(
            "ghl_assigned_user_id",
            before.ghl_assigned_user_id.clone(),
            update.ghl_assigned_user_id.trim().to_owned(),
        );
    if changes.is_empty() {
        return Ok(());
    }
    let mut active = account.into_active_model();
    active.name = Set(update.name.trim().to_owned());
    active.company = Set(optional(&update.company));
    active.timezone = Set(update.timezone.trim().to_owned());
    active.booking_enabled = Set(booking_enabled);
    active.working_hours = Set(Some(hours_json));
    active.ghl_calendar_id = Set(optional(&update.ghl_calendar_id));
    active.ghl_location_id = Set(optional(&update.ghl_location_id));
    active.ghl_assigned_user_id = Set(optional(&update.ghl_assigned_user_id));
    active.updated_at = Set(chrono::Utc::now());
    active.update(&txn).await?;
    if before.working_hours != hours {
        // Only the days changed here, and never a day the availability editor gave several windows.
        crate::bookings::availability::service::apply_working_hours(&txn, user.id, &before.working_hours, &hours)
            .await?;
    }
    audit::record(&txn, Some(user.id), "user", user.id, Action::Update, changes).await?;
    txn.commit().await?;
    Ok(())
}

/// Changes the signed-in user's password after checking the current one, then ends every other
/// session of theirs and gives this one a new id. Returns how many other sessions ended.
pub async fn change_password(
    state: &AppState,
    session: &Session,
    current: String,
    new: String,
    confirm: String,
) -> Result<u64, AppError> {
    let user = auth::require_user(state, session).await?;
    let mut errors = BTreeMap::new();
    if let Some(message) = new_password_problem(&new) {
        errors.insert("new_password".to_owned(), message);
    } else if new != confirm {
        errors.insert("confirm_password".to_owned(), "The two new passwords differ.".to_owned());
    } else if new == current {
        errors.insert("new_password".to_owned(), "Choose a password different from the current one.".to_owned());
    }
    if current.is_empty() {
        errors.insert("current_password".to_owned(), "Enter your current password.".to_owned());
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }

    // Guessing the current password through this form is limited like signing in.
    let limiter = &state.infra.rate_limiter;
    let key = format!("password-change:{}", user.id);
    let attempt = limiter.hit(&key, state.auth.attempts_per_account, state.auth.attempt_window).await?;
    if !attempt.allowed {
        return Err(AppError::RateLimited { retry_after_secs: attempt.retry_after.as_secs().max(1) });
    }
    let account = load_account(state, &user).await?;
    let matches = current.len() <= MAX_PASSWORD_BYTES
        && password::verify(current, account.password_hash.clone()).await.map_err(hashing_error)?;
    if !matches {
        return Err(AppError::field("current_password", "This is not your current password."));
    }
    limiter.reset(&key).await?;

    let new_hash = password::hash(new).await.map_err(hashing_error)?;
    let txn = crate::server::db::begin_write(&state.db).await?;
    let mut active = account.into_active_model();
    active.password_hash = Set(new_hash);
    active.updated_at = Set(chrono::Utc::now());
    active.update(&txn).await?;
    audit::record(&txn, Some(user.id), "user", user.id, Action::Update, Changes::new().secret("password")).await?;
    txn.commit().await?;

    let ended = state.sessions.delete_user_sessions(user.id, session.id()).await.map_err(|error| {
        tracing::error!(%error, "could not end the other sessions");
        AppError::Unavailable
    })?;
    session.cycle_id().await.map_err(|error| {
        tracing::error!(%error, "could not renew the session id");
        AppError::Unavailable
    })?;
    Ok(ended)
}
