//! Availability from the database, and THE free-slot function: the calendar, the public page and
//! the AI persona all ask [`free_slots`], and booking an offered slot checks against it.
use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set};

use super::{
    override_entity as overrides,
    slots::{self, Availability, Busy, Interval, SlotRules, Window},
    window_entity as windows,
};
use crate::{
    bookings::{
        entity as bookings,
        model::{BookingStatus, MAX_SLOT_RANGE_DAYS, Slot},
        types::entity as booking_types,
    },
    server::local_time,
    shared::AppError,
    users::{entity as users, profile::WorkingHours},
};

fn window_of(start: i32, end: i32) -> Option<Window> {
    Window::new(u16::try_from(start).ok()?, u16::try_from(end).ok()?)
}

/// The owner's weekly windows and the overrides of the dates from `first` to `last`.
pub async fn load<C: ConnectionTrait>(
    db: &C,
    owner: &users::Model,
    first: NaiveDate,
    last: NaiveDate,
) -> Result<Availability, AppError> {
    let mut weekly: [Vec<Window>; 7] = Default::default();
    for row in windows::Entity::find()
        .filter(windows::Column::UserId.eq(owner.id))
        .order_by_asc(windows::Column::Weekday)
        .order_by_asc(windows::Column::StartMinute)
        .all(db)
        .await?
    {
        if let (Some(day), Some(window)) =
            (weekly.get_mut(usize::try_from(row.weekday).unwrap_or(7)), window_of(row.start_minute, row.end_minute))
        {
            day.push(window);
        }
    }
    let mut dated: BTreeMap<NaiveDate, Vec<Window>> = BTreeMap::new();
    for row in overrides::Entity::find()
        .filter(overrides::Column::UserId.eq(owner.id))
        .filter(overrides::Column::Date.between(first, last))
        .all(db)
        .await?
    {
        let day = dated.entry(row.date).or_default();
        if let (Some(start), Some(end)) = (row.start_minute, row.end_minute)
            && let Some(window) = window_of(start, end)
        {
            day.push(window);
        }
    }
    Ok(Availability { zone: local_time::zone(&owner.timezone), weekly, overrides: dated })
}

pub fn rules_of(booking_type: &booking_types::Model) -> SlotRules {
    let minutes = |value: i32| u32::try_from(value).unwrap_or(0);
    SlotRules {
        duration: minutes(booking_type.duration_min),
        interval: minutes(booking_type.slot_interval_min),
        buffer_before: minutes(booking_type.buffer_before_min),
        buffer_after: minutes(booking_type.buffer_after_min),
        min_notice: minutes(booking_type.min_notice_min),
        rolling_days: minutes(booking_type.rolling_days),
        max_per_day: booking_type.max_per_day.and_then(|cap| u32::try_from(cap).ok()),
    }
}

/// Blocked from, blocked until, start, type.
type BusyRow = (DateTime<Utc>, DateTime<Utc>, DateTime<Utc>, Option<i64>);

/// The owner's active bookings whose blocked interval meets `[from, to)`: one query on
/// `bookings_active_interval_idx`. `per_day` counts those of `booking_type_id` per local date.
pub async fn busy<C: ConnectionTrait>(
    db: &C,
    owner_id: i64,
    booking_type_id: i64,
    zone: Tz,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Busy, AppError> {
    let rows: Vec<BusyRow> = bookings::Entity::find()
        .select_only()
        .columns([
            bookings::Column::BlockedFrom,
            bookings::Column::BlockedUntil,
            bookings::Column::StartsAt,
            bookings::Column::BookingTypeId,
        ])
        .filter(bookings::Column::OwnerId.eq(owner_id))
        .filter(bookings::Column::Status.is_in(BookingStatus::ACTIVE))
        .filter(bookings::Column::BlockedUntil.gt(from))
        .filter(bookings::Column::BlockedFrom.lt(to))
        .into_tuple()
        .all(db)
        .await?;
    let mut busy = Busy { blocked: Vec::with_capacity(rows.len()), per_day: HashMap::new() };
    for (blocked_from, blocked_until, starts_at, type_id) in rows {
        busy.blocked.push(Interval { from: blocked_from, until: blocked_until });
        if type_id == Some(booking_type_id) {
            *busy.per_day.entry(starts_at.with_timezone(&zone).date_naive()).or_default() += 1;
        }
    }
    Ok(busy)
}

/// The free slots of `owner`'s `booking_type` that start in `range` (at most
/// [`MAX_SLOT_RANGE_DAYS`]), labelled in `viewer_zone`. An inactive type has none. Five indexed
/// queries; the computation is a sweep over the days and the range's bookings.
pub async fn free_slots<C: ConnectionTrait>(
    db: &C,
    owner: &users::Model,
    booking_type: &booking_types::Model,
    range: (DateTime<Utc>, DateTime<Utc>),
    viewer_zone: Tz,
    now: DateTime<Utc>,
) -> Result<Vec<Slot>, AppError> {
    let (from, to) = range;
    if to <= from {
        return Ok(Vec::new());
    }
    if to - from > Duration::days(MAX_SLOT_RANGE_DAYS) {
        return Err(AppError::field("range", format!("Ask for at most {MAX_SLOT_RANGE_DAYS} days of slots at once.")));
    }
    if !booking_type.active || booking_type.deleted_at.is_some() || booking_type.owner_id != owner.id {
        return Ok(Vec::new());
    }
    let zone = local_time::zone(&owner.timezone);
    let first = from.with_timezone(&zone).date_naive() - Duration::days(1);
    let last = to.with_timezone(&zone).date_naive() + Duration::days(1);
    let availability = load(db, owner, first, last).await?;
    let rules = rules_of(booking_type);
    // Whole local days on both sides, so that the per-day cap counts every booking of a day the
    // range cuts, and buffers reaching into the range are seen (buffers are at most a day).
    let busy = busy(db, owner.id, booking_type.id, zone, from - Duration::days(2), to + Duration::days(2)).await?;
    Ok(slots::compute(&availability, &rules, &busy, from, to, now)
        .into_iter()
        .map(|slot| {
            let local = slot.from.with_timezone(&viewer_zone);
            Slot {
                starts_at: slot.from,
                ends_at: slot.until,
                date: local.date_naive(),
                time: local.format("%H:%M").to_string(),
            }
        })
        .collect())
}

/// The weekly windows of settings' working hours: one per enabled day.
pub fn windows_from_working_hours(hours: &WorkingHours) -> Vec<(i16, Window)> {
    let parse = crate::users::profile::parse_time;
    hours
        .days
        .iter()
        .filter(|day| day.enabled)
        .filter_map(|day| {
            let weekday = crate::users::profile::WEEKDAYS.iter().position(|(key, _)| *key == day.day)?;
            let window = Window::new(parse(&day.start)?, parse(&day.end)?)?;
            Some((i16::try_from(weekday).ok()?, window))
        })
        .collect()
}

/// Settings' single "working hours" per weekday, saved: each weekday whose hours changed there gets
/// them as its one window (none when switched off), unless the availability editor gave that day
/// several windows, which are kept as they are. Saving settings never destroys windows a person
/// set. In the caller's transaction.
pub async fn apply_working_hours<C: ConnectionTrait>(
    db: &C,
    user_id: i64,
    before: &WorkingHours,
    after: &WorkingHours,
) -> Result<(), AppError> {
    let new_windows = windows_from_working_hours(after);
    for (weekday, (key, _)) in crate::users::profile::WEEKDAYS.iter().enumerate() {
        let day = |hours: &WorkingHours| hours.days.iter().find(|day| day.day == *key).cloned();
        if day(before) == day(after) {
            continue;
        }
        let weekday = i16::try_from(weekday).unwrap_or_default();
        let on_day = windows::Entity::find()
            .filter(windows::Column::UserId.eq(user_id))
            .filter(windows::Column::Weekday.eq(weekday))
            .count(db)
            .await?;
        if on_day > 1 {
            continue;
        }
        windows::Entity::delete_many()
            .filter(windows::Column::UserId.eq(user_id))
            .filter(windows::Column::Weekday.eq(weekday))
            .exec(db)
            .await?;
        let rows: Vec<_> = new_windows
            .iter()
            .filter(|(day, _)| *day == weekday)
            .map(|(_, window)| windows::ActiveModel {
                user_id: Set(user_id),
                weekday: Set(weekday),
                start_minute: Set(i32::from(window.start)),
                end_minute: Set(i32::from(window.end)),
                ..Default::default()
            })
            .collect();
        if !rows.is_empty() {
            windows::Entity::insert_many(rows).exec_without_returning(db).await?;
        }
    }
    Ok(())
}

/// Replaces the user's weekly windows, in the caller's transaction.
pub async fn replace_weekly<C: ConnectionTrait>(
    db: &C,
    user_id: i64,
    weekly: &[(i16, Window)],
) -> Result<(), AppError> {
    windows::Entity::delete_many().filter(windows::Column::UserId.eq(user_id)).exec(db).await?;
    if weekly.is_empty() {
        return Ok(());
    }
    let rows = weekly.iter().map(|(weekday, window)| windows::ActiveModel {
        user_id: Set(user_id),
        weekday: Set(*weekday),
        start_minute: Set(i32::from(window.start)),
        end_minute: Set(i32::from(window.end)),
        ..Default::default()
    });
    windows::Entity::insert_many(rows).exec_without_returning(db).await?;
    Ok(())
}

/// [`free_slots`] for a signed-in `user`: their own types (anyone's for an admin), labelled in
/// `viewer_zone` (empty: the user's own zone). Another user's type is "not found".
pub async fn slots_for(
    state: &crate::server::state::AppState,
    user: &crate::users::model::CurrentUser,
    booking_type_id: i64,
    range: (DateTime<Utc>, DateTime<Utc>),
    viewer_zone: &str,
    now: DateTime<Utc>,
) -> Result<Vec<Slot>, AppError> {
    let booking_type = crate::bookings::types::service::find_reachable(&state.db, user, booking_type_id).await?;
    let owner = users::Entity::find_by_id(booking_type.owner_id)
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::NotFound("This user".to_owned()))?;
    let zone_name = if viewer_zone.trim().is_empty() { user.timezone.as_str() } else { viewer_zone.trim() };
    if !crate::users::settings_service::is_known_timezone(zone_name) {
        return Err(AppError::field("timezone", "Choose a time zone from the list."));
    }
    free_slots(&state.db, &owner, &booking_type, range, local_time::zone(zone_name), now).await
}

fn reachable_owner(user: &crate::users::model::CurrentUser, owner_id: i64) -> Result<(), AppError> {
    if owner_id == user.id || user.is_admin() { Ok(()) } else { Err(AppError::NotFound("This user".to_owned())) }
}

async fn owner_of<C: ConnectionTrait>(db: &C, owner_id: i64) -> Result<users::Model, AppError> {
    users::Entity::find_by_id(owner_id).one(db).await?.ok_or_else(|| AppError::NotFound("This user".to_owned()))
}

/// The weekly hours and the overrides from today on (at most 200) of `owner_id` (the caller, or
/// anyone for an admin, who also gets everyone's names for the owner picker).
pub async fn view(
    state: &crate::server::state::AppState,
    user: &crate::users::model::CurrentUser,
    owner_id: i64,
) -> Result<crate::bookings::model::AvailabilityView, AppError> {
    use crate::bookings::model::{AvailabilityView, DateOverride, format_hours};
    reachable_owner(user, owner_id)?;
    let owner = owner_of(&state.db, owner_id).await?;
    let today = Utc::now().with_timezone(&local_time::zone(&owner.timezone)).date_naive();
    let availability = load(&state.db, &owner, today, today).await?;
    let pairs = |windows: &[Window]| windows.iter().map(|w| (w.start, w.end)).collect::<Vec<_>>();
    let weekly = availability.weekly.iter().map(|day| format_hours(&pairs(day))).collect();
    let mut dated: BTreeMap<NaiveDate, Vec<(u16, u16)>> = BTreeMap::new();
    for row in overrides::Entity::find()
        .filter(overrides::Column::UserId.eq(owner_id))
        .filter(overrides::Column::Date.gte(today))
        .order_by_asc(overrides::Column::Date)
        .limit(200)
        .all(&state.db)
        .await?
    {
        let day = dated.entry(row.date).or_default();
        if let (Some(start), Some(end)) = (row.start_minute, row.end_minute)
            && let Some(window) = window_of(start, end)
        {
            day.push((window.start, window.end));
        }
    }
    let overrides = dated
        .into_iter()
        .map(|(date, mut windows)| {
            windows.sort_unstable();
            DateOverride { date, hours: format_hours(&windows) }
        })
        .collect();
    let owners = crate::bookings::calendar_service::owner_choices(&state.db, user).await?;
    Ok(AvailabilityView { owner_id, owner_name: owner.name, owners, timezone: owner.timezone, weekly, overrides })
}

/// Replaces the weekly hours of `owner_id`; errors are keyed by day (`mon`...).
pub async fn set_weekly_hours(
    state: &crate::server::state::AppState,
    user: &crate::users::model::CurrentUser,
    owner_id: i64,
    form: &crate::bookings::model::WeeklyHoursForm,
) -> Result<(), AppError> {
    reachable_owner(user, owner_id)?;
    let mut errors = std::collections::BTreeMap::new();
    let mut weekly = Vec::new();
    for (weekday, (field, text)) in form.days().into_iter().enumerate() {
        match crate::bookings::model::parse_hours(text) {
            Ok(windows) => weekly.extend(
                windows.into_iter().filter_map(|(start, end)| Some((weekday as i16, Window::new(start, end)?))),
            ),
            Err(message) => {
                errors.insert(field.to_owned(), message);
            }
        }
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let txn = crate::server::db::begin_write(&state.db).await?;
    owner_of(&txn, owner_id).await?;
    replace_weekly(&txn, owner_id, &weekly).await?;
    let text: Vec<String> = form.days().iter().map(|(_, hours)| hours.trim().to_owned()).collect();
    let changes = crate::audit::Changes::new().set("weekly_hours", text);
    crate::audit::record(&txn, Some(user.id), "availability", owner_id, crate::audit::Action::Update, changes).await?;
    txn.commit().await?;
    Ok(())
}

/// Gives `date` its own hours (`hours` empty: a day off), or with `hours: None` gives it back to
/// its weekday.
pub async fn set_date_override(
    state: &crate::server::state::AppState,
    user: &crate::users::model::CurrentUser,
    owner_id: i64,
    date: NaiveDate,
    hours: Option<&str>,
) -> Result<(), AppError> {
    reachable_owner(user, owner_id)?;
    let windows = match hours {
        Some(text) => {
            Some(crate::bookings::model::parse_hours(text).map_err(|message| AppError::field("hours", message))?)
        }
        None => None,
    };
    let txn = crate::server::db::begin_write(&state.db).await?;
    owner_of(&txn, owner_id).await?;
    overrides::Entity::delete_many()
        .filter(overrides::Column::UserId.eq(owner_id))
        .filter(overrides::Column::Date.eq(date))
        .exec(&txn)
        .await?;
    let row = |window: Option<(u16, u16)>| overrides::ActiveModel {
        user_id: Set(owner_id),
        date: Set(date),
        start_minute: Set(window.map(|w| i32::from(w.0))),
        end_minute: Set(window.map(|w| i32::from(w.1))),
        ..Default::default()
    };
    let changes = match &windows {
        Some(windows) if windows.is_empty() => {
            overrides::Entity::insert(row(None)).exec_without_returning(&txn).await?;
            crate::audit::Changes::new().set("date", date.to_string()).set("hours", "day off")
        }
        Some(windows) => {
            overrides::Entity::insert_many(windows.iter().map(|w| row(Some(*w)))).exec_without_returning(&txn).await?;
            let text = crate::bookings::model::format_hours(windows);
            crate::audit::Changes::new().set("date", date.to_string()).set("hours", text)
        }
        None => crate::audit::Changes::new().set("date", date.to_string()).set("hours", "weekly"),
    };
    crate::audit::record(&txn, Some(user.id), "availability", owner_id, crate::audit::Action::Update, changes).await?;
    txn.commit().await?;
    Ok(())
}
