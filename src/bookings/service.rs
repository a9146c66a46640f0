//! The one booking service: every booking is created, moved, cancelled, closed and edited here, in
//! one write transaction each that also writes its audit record.
//!
//! Two ways in:
//! - [`create`]: a signed-in owner (or an admin for them) books by hand from the calendar. Like
//!   Cal.com, an owner may book outside their hours or against a type's notice; only the overlap
//!   rule applies, since it protects what is already promised.
//! - [`book_offered_slot`]: the public page and the AI persona. They may book exactly the slots
//!   [`free_slots`](super::availability::service::free_slots) offers, computed inside the writing
//!   transaction.
//!
//! No two active bookings of an owner overlap, buffers included: the database refuses it (an
//! exclusion constraint on PostgreSQL; on SQLite a trigger, with writers serialised by `BEGIN
//! IMMEDIATE`, so the check before the insert sees every committed booking). The check here only
//! words the refusal; the loser of a race gets the same [`AppError::Conflict`], and nothing is
//! written.
//!
//! After each commit that makes or moves a booking, its reminders are scheduled
//! ([`reminders::schedule`]); after every commit, the team's open pages are told ([`live`]).
use chrono::{DateTime, Duration, SubsecRound, Utc};
use chrono_tz::Tz;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend, DbErr, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder, QuerySelect, RuntimeErr, Select, Set, sea_query::LockType,
};

use super::{
    account::random_token,
    availability::{
        service::{busy, free_slots, rules_of},
        slots::Interval,
    },
    email::service::{Event, queue_owner_change},
    entity, live,
    model::{
        Booking, BookingDetails, BookingStatus, Guest, MAX_CANCEL_REASON_CHARS, MAX_LOCATION_CHARS, MAX_NOTES_CHARS,
        MAX_SLOT_RANGE_DAYS, MAX_SUBJECT_CHARS, NewBooking, Outcome,
    },
    reminders,
    types::entity as booking_types,
};
use crate::{
    audit::{self, Action, Changes},
    clients::entity as clients,
    server::{local_time, state::AppState},
    shared::AppError,
    users::{entity as users, model::CurrentUser, settings_service::is_known_timezone},
};

const ENTITY: &str = "booking";
/// The longest booking that can be made by hand.
const MAX_BOOKING_HOURS: i64 = 24;

/// Now, to the microsecond that PostgreSQL keeps.
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

fn not_found() -> AppError {
    AppError::NotFound("This booking".to_owned())
}

fn status_of(model: &entity::Model) -> BookingStatus {
    BookingStatus::parse(&model.status).unwrap_or(BookingStatus::Cancelled)
}

pub fn booking_of(model: &entity::Model) -> Booking {
    Booking {
        id: model.id,
        owner_id: model.owner_id,
        client_id: model.client_id,
        booking_type_id: model.booking_type_id,
        booking_type: model.booking_type.clone(),
        starts_at: model.starts_at,
        ends_at: model.ends_at,
        blocked_from: model.blocked_from,
        blocked_until: model.blocked_until,
        timezone: model.timezone.clone(),
        location: model.location.clone().unwrap_or_default(),
        subject: model.subject.clone().unwrap_or_default(),
        notes: model.notes.clone().unwrap_or_default(),
        status: status_of(model),
        cancel_reason: model.cancel_reason.clone().unwrap_or_default(),
        sequence: model.sequence,
    }
}

/// Who changes a booking: a signed-in user (their own bookings; everyone's for an admin), or the
/// person who booked it, through the private manage link's token.
#[derive(Debug, Clone, Copy)]
pub enum Reach<'a> {
    User(&'a CurrentUser),
    Guest(&'a str),
}

impl Reach<'_> {
    /// The audit log's "who": nobody signed in for a guest.
    fn actor(self) -> Option<i64> {
        match self {
            Reach::User(user) => Some(user.id),
            Reach::Guest(_) => None,
        }
    }
}

/// The bookings `user` may see: their own, or everyone's for an admin.
fn scoped(user: &CurrentUser) -> Select<entity::Entity> {
    let select = entity::Entity::find();
    if user.is_admin() { select } else { select.filter(entity::Column::OwnerId.eq(user.id)) }
}

async fn find_reachable<C: ConnectionTrait>(db: &C, user: &CurrentUser, id: i64) -> Result<entity::Model, AppError> {
    find_reached(db, Reach::User(user), id).await
}

async fn find_reached<C: ConnectionTrait>(db: &C, reach: Reach<'_>, id: i64) -> Result<entity::Model, AppError> {
    let select = match reach {
        Reach::User(user) => scoped(user),
        Reach::Guest(token) => entity::Entity::find().filter(entity::Column::ManageToken.eq(token)),
    };
    select.filter(entity::Column::Id.eq(id)).one(db).await?.ok_or_else(not_found)
}

/// The booking whose manage link carries `token`.
pub async fn find_by_token<C: ConnectionTrait>(db: &C, token: &str) -> Result<entity::Model, AppError> {
    entity::Entity::find().filter(entity::Column::ManageToken.eq(token)).one(db).await?.ok_or_else(not_found)
}

fn optional(value: &str) -> Option<String> {
    let value = value.trim();
    (!value.is_empty()).then(|| value.to_owned())
}

fn check_length(errors: &mut std::collections::BTreeMap<String, String>, field: &str, value: &str, max: usize) {
    if value.trim().chars().count() > max {
        errors.insert(field.to_owned(), format!("Use at most {max} characters."));
    }
}

fn validate_details(details: &BookingDetails) -> Result<(), AppError> {
    let mut errors = std::collections::BTreeMap::new();
    check_length(&mut errors, "subject", &details.subject, MAX_SUBJECT_CHARS);
    check_length(&mut errors, "location", &details.location, MAX_LOCATION_CHARS);
    check_length(&mut errors, "notes", &details.notes, MAX_NOTES_CHARS);
    if errors.is_empty() { Ok(()) } else { Err(AppError::Validation(errors)) }
}

fn whole_minute(at: DateTime<Utc>) -> bool {
    at.timestamp() % 60 == 0 && at.timestamp_subsec_nanos() == 0
}

fn check_times(starts_at: DateTime<Utc>, ends_at: DateTime<Utc>) -> Result<(), AppError> {
    if !whole_minute(starts_at) {
        return Err(AppError::field("starts_at", "Choose a start on a whole minute."));
    }
    if !whole_minute(ends_at) || ends_at <= starts_at {
        return Err(AppError::field("ends_at", "Choose an end after the start, on a whole minute."));
    }
    if ends_at - starts_at > Duration::hours(MAX_BOOKING_HOURS) {
        return Err(AppError::field("ends_at", "A booking lasts at most 24 hours."));
    }
    Ok(())
}

/// The booker's zone: the one given, else the owner's.
fn zone_name(given: &str, owner: &users::Model) -> Result<String, AppError> {
    let given = given.trim();
    if given.is_empty() {
        return Ok(owner.timezone.clone());
    }
    if !is_known_timezone(given) {
        return Err(AppError::field("timezone", "Choose a time zone from the list."));
    }
    Ok(given.to_owned())
}

/// An active booking of `owner_id` whose blocked interval overlaps `blocked`, other than `except`.
async fn clash<C: ConnectionTrait>(
    db: &C,
    owner_id: i64,
    blocked: Interval,
    except: Option<i64>,
) -> Result<Option<entity::Model>, DbErr> {
    let mut select = entity::Entity::find()
        .filter(entity::Column::OwnerId.eq(owner_id))
        .filter(entity::Column::Status.is_in(BookingStatus::ACTIVE))
        .filter(entity::Column::BlockedUntil.gt(blocked.from))
        .filter(entity::Column::BlockedFrom.lt(blocked.until));
    if let Some(id) = except {
        select = select.filter(entity::Column::Id.ne(id));
    }
    select.order_by_asc(entity::Column::BlockedFrom).limit(1).one(db).await
}

fn conflict_with(other: &entity::Model, zone: Tz) -> AppError {
    let start = local_time::format(other.starts_at, zone);
    let end = other.ends_at.with_timezone(&zone).format("%H:%M");
    AppError::Conflict(format!(
        "This time is no longer free: it overlaps the booking of {start}–{end} ({}), buffers included. \
         Choose another time.",
        zone.name()
    ))
}

fn sqlstate(error: &DbErr) -> Option<String> {
    let runtime = match error {
        DbErr::Exec(runtime) | DbErr::Query(runtime) => runtime,
        _ => return None,
    };
    match runtime {
        RuntimeErr::SqlxError(error) => match error.as_ref() {
            sea_orm::sqlx::Error::Database(database) => database.code().map(|code| code.into_owned()),
            _ => None,
        },
        _ => None,
    }
}

/// PostgreSQL's exclusion violation (SQLSTATE 23P01 on `bookings_no_overlap`), or SQLite's guard
/// trigger, which raises with the same name.
pub fn is_overlap_violation(error: &DbErr) -> bool {
    sqlstate(error).as_deref() == Some("23P01") || error.to_string().contains("bookings_no_overlap")
}

/// A failed write: a refusal to show, or the database's overlap refusal (the transaction is then
/// unusable on PostgreSQL, so the clash is looked up afterwards).
enum WriteError {
    App(AppError),
    Overlap,
}

impl From<AppError> for WriteError {
    fn from(error: AppError) -> Self {
        WriteError::App(error)
    }
}

impl From<DbErr> for WriteError {
    fn from(error: DbErr) -> Self {
        if is_overlap_violation(&error) { WriteError::Overlap } else { WriteError::App(error.into()) }
    }
}

/// Commits `txn` after a successful write; an overlap refusal rolls back and names the clash in
/// `zone`.
async fn finish(
    state: &AppState,
    txn: DatabaseTransaction,
    written: Result<entity::Model, WriteError>,
    (owner_id, blocked, except): (i64, Interval, Option<i64>),
    zone: Tz,
) -> Result<entity::Model, AppError> {
    match written {
        Ok(model) => match txn.commit().await {
            Ok(()) => {
                live::announce(state, &model).await;
                Ok(model)
            }
            Err(error) if is_overlap_violation(&error) => {
                Err(overlap_refusal(state, owner_id, blocked, except, zone).await)
            }
            Err(error) => Err(error.into()),
        },
        Err(WriteError::App(error)) => Err(error),
        Err(WriteError::Overlap) => {
            txn.rollback().await.ok();
            Err(overlap_refusal(state, owner_id, blocked, except, zone).await)
        }
    }
}

async fn overlap_refusal(
    state: &AppState,
    owner_id: i64,
    blocked: Interval,
    except: Option<i64>,
    zone: Tz,
) -> AppError {
    match clash(&state.db, owner_id, blocked, except).await {
        Ok(Some(other)) => conflict_with(&other, zone),
        Ok(None) => AppError::Conflict("This time was just taken. Choose another time.".to_owned()),
        Err(error) => error.into(),
    }
}

/// A booking checked and ready to insert.
struct Insert {
    owner: users::Model,
    booking_type: Option<booking_types::Model>,
    client_id: Option<i64>,
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    blocked: Interval,
    timezone: String,
    details: BookingDetails,
    /// Who booked on the public page (matched to a client inside the writing transaction).
    guest: Option<Guest>,
}

impl Insert {
    fn zone(&self) -> Tz {
        local_time::zone(&self.timezone)
    }
}

async fn insert<C: ConnectionTrait>(db: &C, actor_id: Option<i64>, plan: &Insert) -> Result<entity::Model, WriteError> {
    if let Some(other) = clash(db, plan.owner.id, plan.blocked, None).await? {
        return Err(conflict_with(&other, plan.zone()).into());
    }
    let now = now();
    let type_name = plan.booking_type.as_ref().map_or_else(|| "call".to_owned(), |t| t.name.clone());
    let location =
        optional(&plan.details.location).or_else(|| plan.booking_type.as_ref().and_then(|t| t.location_value.clone()));
    let model = entity::ActiveModel {
        owner_id: Set(plan.owner.id),
        client_id: Set(plan.client_id),
        booking_type: Set(type_name.chars().take(64).collect()),
        booking_type_id: Set(plan.booking_type.as_ref().map(|t| t.id)),
        starts_at: Set(plan.starts_at),
        ends_at: Set(plan.ends_at),
        blocked_from: Set(plan.blocked.from),
        blocked_until: Set(plan.blocked.until),
        timezone: Set(plan.timezone.clone()),
        location: Set(location),
        subject: Set(optional(&plan.details.subject)),
        notes: Set(optional(&plan.details.notes)),
        status: Set(BookingStatus::Confirmed.as_str().to_owned()),
        cancel_reason: Set(None),
        manage_token: Set(Some(random_token())),
        ical_uid: Set(Some(format!("{}@crm", random_token()))),
        sequence: Set(0),
        guest_name: Set(plan.guest.as_ref().map(|guest| guest.name.clone())),
        guest_email: Set(plan.guest.as_ref().map(|guest| guest.email.clone())),
        guest_phone: Set(plan.guest.as_ref().and_then(|guest| optional(&guest.phone))),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    let changes = Changes::new()
        .set("owner_id", model.owner_id)
        .set("booking_type", model.booking_type.clone())
        .set("client_id", model.client_id)
        .set("starts_at", model.starts_at.to_rfc3339())
        .set("ends_at", model.ends_at.to_rfc3339())
        .set("status", model.status.clone());
    audit::record(db, actor_id, ENTITY, model.id, Action::Create, changes).await?;
    worked_client(db, &model).await?;
    Ok(model)
}

/// A booking made or changed for a client moves the client's last activity.
async fn worked_client<C: ConnectionTrait>(db: &C, model: &entity::Model) -> Result<(), AppError> {
    match model.client_id {
        Some(client_id) => crate::clients::service::mark_worked(db, client_id, model.updated_at).await,
        None => Ok(()),
    }
}

async fn load_owner<C: ConnectionTrait>(db: &C, owner_id: i64) -> Result<users::Model, AppError> {
    users::Entity::find_by_id(owner_id).one(db).await?.ok_or_else(|| AppError::NotFound("This user".to_owned()))
}

async fn load_type<C: ConnectionTrait>(
    db: &C,
    owner_id: i64,
    type_id: Option<i64>,
) -> Result<Option<booking_types::Model>, AppError> {
    let Some(type_id) = type_id else { return Ok(None) };
    booking_types::Entity::find_by_id(type_id)
        .filter(booking_types::Column::OwnerId.eq(owner_id))
        .filter(booking_types::Column::DeletedAt.is_null())
        .one(db)
        .await?
        .map(Some)
        .ok_or_else(|| AppError::field("booking_type_id", "Choose one of the owner's booking types."))
}

async fn check_client<C: ConnectionTrait>(db: &C, owner_id: i64, client_id: Option<i64>) -> Result<(), AppError> {
    let Some(client_id) = client_id else { return Ok(()) };
    let found = clients::Entity::find_by_id(client_id)
        .filter(clients::Column::OwnerId.eq(owner_id))
        .select_only()
        .column(clients::Column::Id)
        .into_tuple::<i64>()
        .one(db)
        .await?;
    found.map(|_| ()).ok_or_else(|| AppError::field("client_id", "Choose one of the owner's clients."))
}

/// Reads and checks what both ways in share; `Err` names the field.
async fn plan<C: ConnectionTrait>(db: &C, input: &NewBooking) -> Result<Insert, AppError> {
    let details =
        BookingDetails { subject: input.subject.clone(), location: input.location.clone(), notes: input.notes.clone() };
    validate_details(&details)?;
    let owner = load_owner(db, input.owner_id).await?;
    let timezone = zone_name(&input.timezone, &owner)?;
    let booking_type = load_type(db, owner.id, input.booking_type_id).await?;
    let ends_at = match (&booking_type, input.ends_at) {
        (_, Some(ends_at)) => ends_at,
        (Some(t), None) => input.starts_at + Duration::minutes(i64::from(t.duration_min)),
        (None, None) => return Err(AppError::field("ends_at", "Choose an end, or a booking type.")),
    };
    check_times(input.starts_at, ends_at)?;
    check_client(db, owner.id, input.client_id).await?;
    let blocked = match &booking_type {
        Some(t) => rules_of(t).blocked(input.starts_at, ends_at),
        None => Interval { from: input.starts_at, until: ends_at },
    };
    Ok(Insert {
        owner,
        booking_type,
        client_id: input.client_id,
        starts_at: input.starts_at,
        ends_at,
        blocked,
        timezone,
        details,
        guest: None,
    })
}

/// A booking made by hand by `user` for `input.owner_id` (themselves; anyone for an admin). The
/// owner's hours and the type's notice and window do not apply; overlaps are refused.
pub async fn create(state: &AppState, user: &CurrentUser, input: NewBooking) -> Result<Booking, AppError> {
    if input.owner_id != user.id && !user.is_admin() {
        return Err(AppError::NotFound("This user".to_owned()));
    }
    let plan = plan(&state.db, &input).await?;
    let txn = crate::server::db::begin_write(&state.db).await?;
    let written = insert(&txn, Some(user.id), &plan).await;
    let model = finish(state, txn, written, (plan.owner.id, plan.blocked, None), plan.zone()).await?;
    reminders::schedule(state, &model).await;
    Ok(booking_of(&model))
}

/// A booking on a slot that [`free_slots`] offers: what the public page and the AI persona book.
/// `actor_id` is the signed-in user acting, if any (the audit log's "who"). The type is required
/// and `ends_at` follows from it. The owner must be active with bookings switched on.
pub async fn book_offered_slot(
    state: &AppState,
    actor_id: Option<i64>,
    input: NewBooking,
    now: DateTime<Utc>,
) -> Result<Booking, AppError> {
    Ok(booking_of(&book_offered(state, actor_id, input, None, now).await?))
}

/// [`book_offered_slot`] for a visitor of the public page: in the same transaction as the booking,
/// the visitor becomes a client of the owner (an existing one with their email, else their phone,
/// else a new one with the owner's default strategy), and the booking keeps what they typed.
pub async fn book_offered_slot_for_guest(
    state: &AppState,
    input: NewBooking,
    guest: Guest,
    now: DateTime<Utc>,
) -> Result<entity::Model, AppError> {
    book_offered(state, None, input, Some(guest), now).await
}

/// Whether the owner takes bookings from the public page and the AI persona.
pub fn check_open(owner: &users::Model) -> Result<(), AppError> {
    if owner.is_active && owner.booking_enabled {
        Ok(())
    } else {
        Err(AppError::Refused(format!("{} is not taking bookings at the moment.", owner.name)))
    }
}

async fn book_offered(
    state: &AppState,
    actor_id: Option<i64>,
    input: NewBooking,
    guest: Option<Guest>,
    now: DateTime<Utc>,
) -> Result<entity::Model, AppError> {
    if input.booking_type_id.is_none() {
        return Err(AppError::field("booking_type_id", "Choose a booking type."));
    }
    let input = NewBooking { ends_at: None, ..input };
    let mut plan = plan(&state.db, &input).await?;
    check_open(&plan.owner)?;
    plan.guest = guest;
    let txn = crate::server::db::begin_write(&state.db).await?;
    let written = insert_offered(&txn, actor_id, &mut plan, now).await;
    let model = finish(state, txn, written, (plan.owner.id, plan.blocked, None), plan.zone()).await?;
    reminders::schedule(state, &model).await;
    Ok(model)
}

/// Inside the writing transaction: on SQLite no other writer can change what it reads.
async fn insert_offered(
    txn: &DatabaseTransaction,
    actor_id: Option<i64>,
    plan: &mut Insert,
    now: DateTime<Utc>,
) -> Result<entity::Model, WriteError> {
    let owner = load_owner(txn, plan.owner.id).await?;
    check_open(&owner)?;
    let type_id = plan.booking_type.as_ref().map(|t| t.id);
    let booking_type = load_type(txn, owner.id, type_id).await?.ok_or_else(not_found)?;
    hold_cap(txn, &booking_type).await?;
    if let Some(other) = clash(txn, owner.id, plan.blocked, None).await? {
        return Err(conflict_with(&other, plan.zone()).into());
    }
    if let Err(refusal) = check_offered(txn, &owner, &booking_type, plan.starts_at, plan.zone(), now).await {
        // On PostgreSQL another booking may have committed between the two reads: then the time
        // is not offered because it was just taken, and the refusal says so.
        if let Some(other) = clash(txn, owner.id, plan.blocked, None).await? {
            return Err(conflict_with(&other, plan.zone()).into());
        }
        return Err(day_full(txn, &owner, &booking_type, plan.starts_at, plan.zone()).await?.unwrap_or(refusal).into());
    }
    if let Some(guest) = &plan.guest {
        use super::public::clients::{BOOKING_PAGE, learn_zone, match_or_create};
        plan.client_id = match_or_create(txn, &owner, guest, BOOKING_PAGE).await?;
        if let Some(client_id) = plan.client_id {
            learn_zone(txn, client_id, plan.zone()).await?;
        }
    }
    insert(txn, actor_id, plan).await
}

/// A type's cap per day holds under concurrency: two visitors booking different free times of one
/// day must not both count the day's bookings before either is written. SQLite has one writer at a
/// time already (`BEGIN IMMEDIATE`); on PostgreSQL the booking type's row is locked until the
/// transaction ends, so the bookings of a capped type are written one after the other, and each
/// one's reads (in READ COMMITTED, a fresh snapshot per statement) see those committed before it.
/// `FOR NO KEY UPDATE` leaves the foreign-key checks of other bookings of the type unblocked. A type
/// without a cap takes no lock: the exclusion constraint alone keeps bookings apart.
async fn hold_cap(txn: &DatabaseTransaction, booking_type: &booking_types::Model) -> Result<(), DbErr> {
    if booking_type.max_per_day.is_none() || txn.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    booking_types::Entity::find_by_id(booking_type.id)
        .select_only()
        .column(booking_types::Column::Id)
        .lock(LockType::NoKeyUpdate)
        .into_tuple::<i64>()
        .one(txn)
        .await
        .map(|_| ())
}

/// The refusal of a start whose day has reached the type's cap (the last free place of the day was
/// just taken), in the booker's `zone`; `None` when the day is not full.
async fn day_full<C: ConnectionTrait>(
    db: &C,
    owner: &users::Model,
    booking_type: &booking_types::Model,
    starts_at: DateTime<Utc>,
    zone: Tz,
) -> Result<Option<AppError>, AppError> {
    let Some(cap) = booking_type.max_per_day.and_then(|cap| u32::try_from(cap).ok()) else { return Ok(None) };
    let owner_zone = local_time::zone(&owner.timezone);
    let around = (starts_at - Duration::days(2), starts_at + Duration::days(2));
    let busy = busy(db, owner.id, booking_type.id, owner_zone, around.0, around.1).await?;
    let date = starts_at.with_timezone(&owner_zone).date_naive();
    if busy.per_day.get(&date).copied().unwrap_or(0) < cap {
        return Ok(None);
    }
    Ok(Some(AppError::Conflict(format!(
        "{} is now fully booked. Choose another day.",
        starts_at.with_timezone(&zone).format("%A %-d %B")
    ))))
}

/// Refuses a start that [`free_slots`] does not offer (read in the caller's transaction).
async fn check_offered<C: ConnectionTrait>(
    db: &C,
    owner: &users::Model,
    booking_type: &booking_types::Model,
    starts_at: DateTime<Utc>,
    zone: Tz,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let window = (starts_at, starts_at + Duration::minutes(1));
    let offered = free_slots(db, owner, booking_type, window, zone, now).await?;
    if offered.iter().any(|slot| slot.starts_at == starts_at) {
        Ok(())
    } else {
        Err(AppError::field("starts_at", "This time is not offered. Choose one of the free times."))
    }
}

pub async fn get(state: &AppState, user: &CurrentUser, id: i64) -> Result<Booking, AppError> {
    Ok(booking_of(&find_reachable(&state.db, user, id).await?))
}

/// The bookings of `owner_id` that start in `[from, to)` (at most [`MAX_SLOT_RANGE_DAYS`] days),
/// by start; on `bookings_owner_starts_idx`.
pub async fn list(
    state: &AppState,
    user: &CurrentUser,
    owner_id: i64,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<Booking>, AppError> {
    if owner_id != user.id && !user.is_admin() {
        return Err(AppError::NotFound("This user".to_owned()));
    }
    if to <= from || to - from > Duration::days(MAX_SLOT_RANGE_DAYS) {
        return Err(AppError::field("range", format!("Ask for 1 to {MAX_SLOT_RANGE_DAYS} days at once.")));
    }
    Ok(entity::Entity::find()
        .filter(entity::Column::OwnerId.eq(owner_id))
        .filter(entity::Column::StartsAt.gte(from))
        .filter(entity::Column::StartsAt.lt(to))
        .order_by_asc(entity::Column::StartsAt)
        .order_by_asc(entity::Column::Id)
        .all(&state.db)
        .await?
        .iter()
        .map(booking_of)
        .collect())
}

fn must_be_active(model: &entity::Model) -> Result<(), AppError> {
    if status_of(model).is_active() {
        Ok(())
    } else {
        Err(AppError::Conflict("This booking is no longer active; it cannot be changed this way.".to_owned()))
    }
}

/// Moves a booking to `starts_at`, keeping its length and buffers (by hand: hours do not apply).
/// Raises the iCalendar SEQUENCE, and the person it is booked with is told by e-mail.
pub async fn reschedule(
    state: &AppState,
    user: &CurrentUser,
    id: i64,
    starts_at: DateTime<Utc>,
) -> Result<Booking, AppError> {
    let moved = reschedule_as(state, Reach::User(user), id, starts_at, now()).await?;
    queue_owner_change(state, &moved, Event::Rescheduled, user.id).await;
    Ok(booking_of(&moved))
}

/// Moves a booking: by hand for a user (see [`reschedule`]); for a guest only to a start that
/// [`free_slots`] offers for the booking's type (its own time aside), the owner taking bookings.
pub async fn reschedule_as(
    state: &AppState,
    reach: Reach<'_>,
    id: i64,
    starts_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<entity::Model, AppError> {
    let model = find_reached(&state.db, reach, id).await?;
    must_be_active(&model)?;
    let ends_at = starts_at + (model.ends_at - model.starts_at);
    check_times(starts_at, ends_at)?;
    let blocked = Interval {
        from: starts_at - (model.starts_at - model.blocked_from),
        until: ends_at + (model.blocked_until - model.ends_at),
    };
    let zone = local_time::zone(&model.timezone);
    let txn = crate::server::db::begin_write(&state.db).await?;
    let written = move_booking(&txn, reach, id, (starts_at, ends_at), blocked, now).await;
    let moved = finish(state, txn, written, (model.owner_id, blocked, Some(id)), zone).await?;
    reminders::schedule(state, &moved).await;
    Ok(moved)
}

async fn move_booking(
    txn: &DatabaseTransaction,
    reach: Reach<'_>,
    id: i64,
    (starts_at, ends_at): (DateTime<Utc>, DateTime<Utc>),
    blocked: Interval,
    now: DateTime<Utc>,
) -> Result<entity::Model, WriteError> {
    let model = find_reached(txn, reach, id).await?;
    must_be_active(&model)?;
    if let Some(other) = clash(txn, model.owner_id, blocked, Some(id)).await? {
        return Err(conflict_with(&other, local_time::zone(&model.timezone)).into());
    }
    if let Reach::Guest(_) = reach {
        let owner = load_owner(txn, model.owner_id).await?;
        check_open(&owner)?;
        let booking_type = load_type(txn, owner.id, model.booking_type_id).await?.ok_or_else(not_found)?;
        hold_cap(txn, &booking_type).await?;
        // The booking's own time is free for it: offered slots are computed as if it were gone.
        let mut freed = model.clone().into_active_model();
        freed.status = Set(BookingStatus::Cancelled.as_str().to_owned());
        freed.update(txn).await?;
        let zone = local_time::zone(&model.timezone);
        if let Err(refusal) = check_offered(txn, &owner, &booking_type, starts_at, zone, now).await {
            return Err(day_full(txn, &owner, &booking_type, starts_at, zone).await?.unwrap_or(refusal).into());
        }
    }
    let changes = Changes::new().diff("starts_at", model.starts_at.to_rfc3339(), starts_at.to_rfc3339()).diff(
        "ends_at",
        model.ends_at.to_rfc3339(),
        ends_at.to_rfc3339(),
    );
    let mut active = model.clone().into_active_model();
    active.starts_at = Set(starts_at);
    active.ends_at = Set(ends_at);
    active.blocked_from = Set(blocked.from);
    active.blocked_until = Set(blocked.until);
    active.sequence = Set(model.sequence + 1);
    active.status = Set(model.status.clone());
    active.updated_at = Set(self::now());
    let model = active.update(txn).await?;
    audit::record(txn, reach.actor(), ENTITY, model.id, Action::Update, changes).await?;
    worked_client(txn, &model).await?;
    Ok(model)
}

/// Writes a change that cannot create an overlap (it frees time or edits text).
async fn change<F>(state: &AppState, reach: Reach<'_>, id: i64, apply: F) -> Result<entity::Model, AppError>
where
    F: FnOnce(&entity::Model, &mut entity::ActiveModel) -> Result<Changes, AppError>,
{
    let txn = crate::server::db::begin_write(&state.db).await?;
    let model = find_reached(&txn, reach, id).await?;
    let mut active = model.clone().into_active_model();
    let changes = apply(&model, &mut active)?;
    if changes.is_empty() {
        return Ok(model);
    }
    active.updated_at = Set(now());
    let model = active.update(&txn).await?;
    audit::record(&txn, reach.actor(), ENTITY, model.id, Action::Update, changes).await?;
    worked_client(&txn, &model).await?;
    txn.commit().await?;
    live::announce(state, &model).await;
    Ok(model)
}

/// Cancels an active booking, which frees its time. Raises the SEQUENCE (calendars see the change),
/// and the person it was booked with is told by e-mail.
pub async fn cancel(state: &AppState, user: &CurrentUser, id: i64, reason: &str) -> Result<Booking, AppError> {
    let cancelled = cancel_as(state, Reach::User(user), id, reason).await?;
    queue_owner_change(state, &cancelled, Event::Cancelled, user.id).await;
    Ok(booking_of(&cancelled))
}

/// [`cancel`] by a user or by the guest who booked it.
pub async fn cancel_as(state: &AppState, reach: Reach<'_>, id: i64, reason: &str) -> Result<entity::Model, AppError> {
    if reason.trim().chars().count() > MAX_CANCEL_REASON_CHARS {
        return Err(AppError::field("reason", format!("Use at most {MAX_CANCEL_REASON_CHARS} characters.")));
    }
    change(state, reach, id, |model, active| {
        must_be_active(model)?;
        active.status = Set(BookingStatus::Cancelled.as_str().to_owned());
        active.cancel_reason = Set(optional(reason));
        active.sequence = Set(model.sequence + 1);
        Ok(Changes::new()
            .diff("status", model.status.clone(), BookingStatus::Cancelled.as_str().to_owned())
            .set("cancel_reason", reason.trim().to_owned()))
    })
    .await
}

/// Marks a booking that has started as completed or a no-show (either may be corrected later).
pub async fn record_outcome(
    state: &AppState,
    user: &CurrentUser,
    id: i64,
    outcome: Outcome,
    now: DateTime<Utc>,
) -> Result<Booking, AppError> {
    let status = match outcome {
        Outcome::Completed => BookingStatus::Completed,
        Outcome::NoShow => BookingStatus::NoShow,
    };
    let model = change(state, Reach::User(user), id, |model, active| {
        if status_of(model) == BookingStatus::Cancelled {
            return Err(AppError::Conflict("A cancelled booking cannot be completed or missed.".to_owned()));
        }
        if model.starts_at > now {
            return Err(AppError::Conflict("Only a booking that has started can be completed or missed.".to_owned()));
        }
        active.status = Set(status.as_str().to_owned());
        Ok(Changes::new().diff("status", model.status.clone(), status.as_str().to_owned()))
    })
    .await?;
    Ok(booking_of(&model))
}

/// Changes the subject, location and notes.
pub async fn edit_details(
    state: &AppState,
    user: &CurrentUser,
    id: i64,
    details: &BookingDetails,
) -> Result<Booking, AppError> {
    validate_details(details)?;
    let model = change(state, Reach::User(user), id, |model, active| {
        let text = |value: &Option<String>| value.clone().unwrap_or_default();
        active.subject = Set(optional(&details.subject));
        active.location = Set(optional(&details.location));
        active.notes = Set(optional(&details.notes));
        Ok(Changes::new()
            .diff("subject", text(&model.subject), details.subject.trim().to_owned())
            .diff("location", text(&model.location), details.location.trim().to_owned())
            .diff("notes", text(&model.notes), details.notes.trim().to_owned()))
    })
    .await?;
    Ok(booking_of(&model))
}
