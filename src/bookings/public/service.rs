//! The public booking flow over the one booking service: the page's data (the owner by slug, their
//! active types, the chosen type's free slots from [`free_slots`]), booking a slot as a visitor,
//! and the manage link's view, reschedule and cancel. Every write is rate limited per client
//! address and queues the confirmation e-mails.
use std::net::IpAddr;

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use super::model::{GuestForm, ManageView, PublicPage, PublicType, SLOT_DAYS};
use crate::{
    bookings::{
        availability::service::free_slots,
        email::service::{Event, queue_confirmations},
        entity as bookings,
        model::{BookingStatus, NewBooking, Slot, is_valid_slug},
        service::{self as booking_service, Reach},
        types::{entity as booking_types, service::type_of},
    },
    server::{local_time, state::AppState},
    shared::AppError,
    users::{
        entity as users,
        settings_service::{is_known_timezone, timezone_names},
    },
};

/// The window of the per-address limit on public writes.
const LIMIT_WINDOW: std::time::Duration = std::time::Duration::from_secs(15 * 60);

fn page_not_found() -> AppError {
    AppError::NotFound("This booking page".to_owned())
}

/// How many more reads than writes an address may make.
const READS_PER_WRITE: u32 = 10;

/// Counts one public call of `client_ip`; refuses it with the wait once the address used its
/// budget: `CRM_BOOKING_ATTEMPTS_PER_IP` writes (bookings, moves, cancellations) per 15 minutes,
/// and ten times as many reads.
pub async fn limit(state: &AppState, client_ip: Option<IpAddr>, write: bool) -> Result<(), AppError> {
    let address = crate::users::auth::address_key(client_ip);
    let budget = state.config.booking_attempts_per_ip;
    let (key, limit) = if write {
        (format!("booking:write:{address}"), budget)
    } else {
        (format!("booking:read:{address}"), budget.saturating_mul(READS_PER_WRITE))
    };
    let decision = state.infra.rate_limiter.hit(&key, limit, LIMIT_WINDOW).await?;
    if decision.allowed {
        Ok(())
    } else {
        Err(AppError::RateLimited { retry_after_secs: decision.retry_after.as_secs().max(1) })
    }
}

/// The account whose public page is `/book/{slug}`.
pub async fn owner_by_slug<C: ConnectionTrait>(db: &C, slug: &str) -> Result<users::Model, AppError> {
    if !is_valid_slug(slug) {
        return Err(page_not_found());
    }
    users::Entity::find().filter(users::Column::BookingSlug.eq(slug)).one(db).await?.ok_or_else(page_not_found)
}

fn is_open(owner: &users::Model) -> bool {
    booking_service::check_open(owner).is_ok()
}

async fn active_types<C: ConnectionTrait>(db: &C, owner_id: i64) -> Result<Vec<booking_types::Model>, AppError> {
    Ok(booking_types::Entity::find()
        .filter(booking_types::Column::OwnerId.eq(owner_id))
        .filter(booking_types::Column::Active.eq(true))
        .filter(booking_types::Column::DeletedAt.is_null())
        .order_by_asc(booking_types::Column::Name)
        .order_by_asc(booking_types::Column::Id)
        .all(db)
        .await?)
}

fn public_type(model: &booking_types::Model) -> PublicType {
    let t = type_of(model);
    PublicType {
        name: t.name,
        slug: t.slug,
        duration_min: t.duration_min,
        location_kind: t.location_kind,
        description: t.description,
    }
}

/// The zone named by the visitor, or why it cannot be used.
fn viewer_zone(asked: &str) -> Result<Option<Tz>, String> {
    let asked = asked.trim();
    if asked.is_empty() {
        return Ok(None);
    }
    if is_known_timezone(asked) {
        Ok(Some(local_time::zone(asked)))
    } else {
        Err("Choose a time zone from the list.".to_owned())
    }
}

/// The slots of the next [`SLOT_DAYS`] days of `booking_type`, labelled in `zone`.
async fn upcoming<C: ConnectionTrait>(
    db: &C,
    owner: &users::Model,
    booking_type: &booking_types::Model,
    zone: Tz,
    now: DateTime<Utc>,
) -> Result<Vec<Slot>, AppError> {
    free_slots(db, owner, booking_type, (now, now + Duration::days(SLOT_DAYS)), zone, now).await
}

/// `/book/{slug}` (with `type_slug`: `/book/{slug}/{type}`) in the zone `tz` (empty: the owner's).
/// An owner with one type has it chosen on the first page.
pub async fn page(
    state: &AppState,
    slug: &str,
    type_slug: Option<&str>,
    tz: &str,
    now: DateTime<Utc>,
) -> Result<PublicPage, AppError> {
    let owner = owner_by_slug(&state.db, slug).await?;
    let types = active_types(&state.db, owner.id).await?;
    let chosen = match type_slug {
        Some(wanted) => Some(
            types
                .iter()
                .find(|t| t.slug == wanted)
                .ok_or_else(|| AppError::NotFound("This booking type".to_owned()))?,
        ),
        None if types.len() == 1 => types.first(),
        None => None,
    };
    let (zone, timezone_error) = match viewer_zone(tz) {
        Ok(zone) => (zone.unwrap_or_else(|| local_time::zone(&owner.timezone)), None),
        Err(message) => (local_time::zone(&owner.timezone), Some(message)),
    };
    let open = is_open(&owner);
    let slots = match chosen {
        Some(booking_type) if open => upcoming(&state.db, &owner, booking_type, zone, now).await?,
        _ => Vec::new(),
    };
    Ok(PublicPage {
        owner_name: owner.name.clone(),
        slug: slug.to_owned(),
        open,
        types: types.iter().map(public_type).collect(),
        chosen: chosen.map(public_type),
        timezone: zone.name().to_owned(),
        timezone_error,
        timezones: timezone_names().to_vec(),
        slots,
        email_enabled: state.config.smtp.is_some(),
    })
}

fn checked_zone(tz: &str) -> Result<String, AppError> {
    match viewer_zone(tz) {
        Ok(Some(zone)) => Ok(zone.name().to_owned()),
        Ok(None) => Err(AppError::field("timezone", "Choose a time zone.")),
        Err(message) => Err(AppError::field("timezone", message)),
    }
}

/// The refusal of a slot someone else took meanwhile, naming it in the visitor's zone.
fn taken(error: AppError, starts_at: DateTime<Utc>, zone: &str) -> AppError {
    match error {
        AppError::Conflict(_) => AppError::Conflict(format!(
            "{} ({zone}) was just taken by someone else. Choose another time.",
            local_time::format(starts_at, local_time::zone(zone))
        )),
        other => other,
    }
}

/// Books `starts_at` of `slug`'s type `type_slug` for the visitor; returns the manage token.
/// Input is checked before anything is read; the client and the booking are written in one
/// transaction, and a slot taken meanwhile is a [`AppError::Conflict`] that names it.
pub async fn book(
    state: &AppState,
    (slug, type_slug): (&str, &str),
    tz: &str,
    starts_at: DateTime<Utc>,
    form: &GuestForm,
    now: DateTime<Utc>,
) -> Result<String, AppError> {
    let checked = form.validate();
    let zone = checked_zone(tz);
    let (guest, note, timezone) = match (checked, zone) {
        (Ok((guest, note)), Ok(zone)) => (guest, note, zone),
        (checked, zone) => {
            let mut errors = checked.err().unwrap_or_default();
            if let Err(AppError::Validation(more)) = zone {
                errors.extend(more);
            }
            return Err(AppError::Validation(errors));
        }
    };
    if starts_at <= now {
        return Err(AppError::field("starts_at", "This time has passed. Choose one of the free times."));
    }
    let owner = owner_by_slug(&state.db, slug).await?;
    booking_service::check_open(&owner)?;
    let booking_type = active_types(&state.db, owner.id)
        .await?
        .into_iter()
        .find(|t| t.slug == type_slug)
        .ok_or_else(|| AppError::NotFound("This booking type".to_owned()))?;
    let input = NewBooking {
        owner_id: owner.id,
        booking_type_id: Some(booking_type.id),
        starts_at,
        timezone: timezone.clone(),
        subject: format!("{} with {}", booking_type.name, guest.name).chars().take(300).collect(),
        notes: note,
        ..Default::default()
    };
    let model = booking_service::book_offered_slot_for_guest(state, input, guest, now)
        .await
        .map_err(|error| taken(error, starts_at, &timezone))?;
    queue_confirmations(state, &model, Event::Booked).await;
    Ok(model.manage_token.unwrap_or_default())
}

fn manage_not_found() -> AppError {
    AppError::NotFound("This booking".to_owned())
}

async fn by_token(state: &AppState, token: &str) -> Result<bookings::Model, AppError> {
    if token.is_empty() || token.len() > 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(manage_not_found());
    }
    booking_service::find_by_token(&state.db, token).await.map_err(|_| manage_not_found())
}

/// `/booking/{token}`, with the slots it could move to, in `tz` (empty: the booker's zone).
pub async fn manage(state: &AppState, token: &str, tz: &str, now: DateTime<Utc>) -> Result<ManageView, AppError> {
    let model = by_token(state, token).await?;
    let owner = users::Entity::find_by_id(model.owner_id).one(&state.db).await?.ok_or_else(manage_not_found)?;
    let zone = match viewer_zone(tz) {
        Ok(Some(zone)) => zone,
        _ => local_time::zone(&model.timezone),
    };
    let status = BookingStatus::parse(&model.status).unwrap_or(BookingStatus::Cancelled);
    let changeable = status.is_active() && model.starts_at > now;
    let booking_type = match model.booking_type_id {
        Some(id) => booking_types::Entity::find_by_id(id).one(&state.db).await?,
        None => None,
    };
    let slots = match &booking_type {
        Some(booking_type) if changeable && is_open(&owner) => {
            let taken_by_itself = |slot: &Slot| slot.starts_at == model.starts_at;
            let mut slots = upcoming(&state.db, &owner, booking_type, zone, now).await?;
            slots.retain(|slot| !taken_by_itself(slot));
            slots
        }
        _ => Vec::new(),
    };
    let end = model.ends_at.with_timezone(&zone).format("%H:%M");
    Ok(ManageView {
        token: token.to_owned(),
        owner_name: owner.name,
        type_name: model.booking_type.clone(),
        starts_at: model.starts_at,
        ends_at: model.ends_at,
        when: format!("{}–{end}", local_time::format(model.starts_at, zone)),
        timezone: zone.name().to_owned(),
        status,
        cancel_reason: model.cancel_reason.clone().unwrap_or_default(),
        location: model.location.clone().unwrap_or_default(),
        guest_name: model.guest_name.clone().unwrap_or_default(),
        email_enabled: state.config.smtp.is_some(),
        changeable,
        slots,
        timezones: timezone_names().to_vec(),
    })
}

/// Moves the booking of the manage link `token` to another offered slot.
pub async fn reschedule(
    state: &AppState,
    token: &str,
    starts_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let model = by_token(state, token).await?;
    if starts_at <= now {
        return Err(AppError::field("starts_at", "This time has passed. Choose one of the free times."));
    }
    let moved = booking_service::reschedule_as(state, Reach::Guest(token), model.id, starts_at, now)
        .await
        .map_err(|error| taken(error, starts_at, &model.timezone))?;
    queue_confirmations(state, &moved, Event::Rescheduled).await;
    Ok(())
}

/// Cancels the booking of the manage link `token`, with the visitor's reason (may be empty).
pub async fn cancel(state: &AppState, token: &str, reason: &str) -> Result<(), AppError> {
    let model = by_token(state, token).await?;
    let cancelled = booking_service::cancel_as(state, Reach::Guest(token), model.id, reason).await?;
    if cancelled.sequence != model.sequence {
        queue_confirmations(state, &cancelled, Event::Cancelled).await;
    }
    Ok(())
}
