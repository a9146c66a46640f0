//! The calendar's reads (week, day and agenda views, a booking's page, the new-booking form) and
//! its two form posts that speak in local times. Every write goes through [`super::service`]; the
//! free times come from [`free_slots`], the one slot computation.
use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::{
    availability::service::{free_slots, load},
    calendar::{
        AGENDA_PAGE_SIZE, BookingForm, BookingFormData, BookingPage, CalendarData, CalendarDay, CalendarEntry,
        CalendarQuery, CalendarView, MINUTES_PER_ROW, parse_local,
    },
    entity,
    model::{Booking, BookingStatus, NewBooking},
    service::booking_of,
};
use crate::{
    clients::entity as clients,
    server::{local_time, state::AppState},
    shared::AppError,
    users::{entity as users, model::CurrentUser},
};

/// The calendar owner `requested` (default: the caller) if `user` reaches them.
async fn owner_for<C: ConnectionTrait>(
    db: &C,
    user: &CurrentUser,
    requested: Option<i64>,
) -> Result<users::Model, AppError> {
    let owner_id = requested.unwrap_or(user.id);
    if owner_id != user.id && !user.is_admin() {
        return Err(AppError::NotFound("This user".to_owned()));
    }
    users::Entity::find_by_id(owner_id).one(db).await?.ok_or_else(|| AppError::NotFound("This user".to_owned()))
}

/// Everyone, for an admin's owner select (empty for anyone else).
pub async fn owner_choices<C: ConnectionTrait>(db: &C, user: &CurrentUser) -> Result<Vec<(i64, String)>, AppError> {
    if !user.is_admin() {
        return Ok(Vec::new());
    }
    Ok(users::Entity::find()
        .select_only()
        .columns([users::Column::Id, users::Column::Name])
        .order_by_asc(users::Column::Name)
        .into_tuple()
        .all(db)
        .await?)
}

/// The first instant of `date` in `zone` (a midnight the clocks skip: the first hour after it).
pub fn day_start(zone: Tz, date: NaiveDate) -> DateTime<Utc> {
    (0..3)
        .find_map(|hour| zone.from_local_datetime(&date.and_hms_opt(hour, 0, 0)?).earliest())
        .map_or_else(|| date.and_time(NaiveTime::MIN).and_utc(), |at| at.with_timezone(&Utc))
}

/// `date` at `time` in `zone`; a time the clocks skip is refused, a repeated one is the first.
pub fn to_utc(zone: Tz, date: NaiveDate, time: NaiveTime) -> Result<DateTime<Utc>, AppError> {
    zone.from_local_datetime(&date.and_time(time)).earliest().map(|at| at.with_timezone(&Utc)).ok_or_else(|| {
        AppError::field("time", "That time does not exist on that day (the clocks change). Choose another.")
    })
}

async fn client_names<C: ConnectionTrait>(
    db: &C,
    bookings: &[Booking],
) -> Result<std::collections::HashMap<i64, String>, AppError> {
    let mut ids: Vec<i64> = bookings.iter().filter_map(|b| b.client_id).collect();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return Ok(Default::default());
    }
    let rows: Vec<(i64, String)> = clients::Entity::find()
        .select_only()
        .columns([clients::Column::Id, clients::Column::Name])
        .filter(clients::Column::Id.is_in(ids))
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().collect())
}

fn minute_of(at: DateTime<Tz>) -> u16 {
    u16::try_from(at.hour() * 60 + at.minute()).unwrap_or(0)
}

/// The time grid's hours: at least 08:00–18:00, widened to the working hours and bookings shown.
fn grid_hours(spans: impl Iterator<Item = (u16, u16)>) -> (u16, u16) {
    spans.fold((8, 18), |(first, last), (start, end)| (first.min(start / 60), last.max(end.div_ceil(60).min(24))))
}

fn rows_of(first_hour: u16, (start, end): (u16, u16)) -> (u16, u16) {
    let start = start.max(first_hour * 60);
    let row = (start - first_hour * 60) / MINUTES_PER_ROW + 1;
    let span = end.saturating_sub(start).div_ceil(MINUTES_PER_ROW).max(1);
    (row, span)
}

/// A booking's minutes on the day it starts (to midnight at most).
fn local_span(booking: &Booking, zone: Tz) -> (u16, u16) {
    let start = booking.starts_at.with_timezone(&zone);
    let end = booking.ends_at.with_timezone(&zone);
    let end_minute = if end.date_naive() > start.date_naive() { 1440 } else { minute_of(end) };
    (minute_of(start), end_minute.max(minute_of(start) + 1))
}

fn entry_of(
    booking: &Booking,
    zone: Tz,
    first_hour: u16,
    names: &std::collections::HashMap<i64, String>,
) -> CalendarEntry {
    let (row, span) = rows_of(first_hour, local_span(booking, zone));
    let time = |at: DateTime<Utc>| at.with_timezone(&zone).format("%H:%M").to_string();
    CalendarEntry {
        id: booking.id,
        booking_type: booking.booking_type.clone(),
        subject: booking.subject.clone(),
        client_id: booking.client_id,
        client_name: booking.client_id.and_then(|id| names.get(&id).cloned()),
        time_label: format!("{}–{}", time(booking.starts_at), time(booking.ends_at)),
        location: booking.location.clone(),
        status: booking.status,
        row,
        span,
    }
}

fn day_of(date: NaiveDate, today: NaiveDate) -> CalendarDay {
    CalendarDay {
        date,
        short_label: date.format("%a %-d").to_string(),
        long_label: date.format("%A %-d %B").to_string(),
        is_today: date == today,
        working: Vec::new(),
        entries: Vec::new(),
    }
}

/// `{unix seconds}.{id}`, the agenda's keyset cursor.
fn parse_cursor(text: &str) -> Option<(DateTime<Utc>, i64)> {
    let (seconds, id) = text.trim().split_once('.')?;
    Some((DateTime::from_timestamp(seconds.parse().ok()?, 0)?, id.parse().ok()?))
}

/// The owner's bookings from `from` on, after `cursor`, by start: one page on
/// `bookings_owner_starts_idx`, never an OFFSET.
async fn agenda_page<C: ConnectionTrait>(
    db: &C,
    owner_id: i64,
    from: DateTime<Utc>,
    cursor: Option<(DateTime<Utc>, i64)>,
) -> Result<(Vec<Booking>, Option<String>), AppError> {
    let mut select =
        entity::Entity::find().filter(entity::Column::OwnerId.eq(owner_id)).filter(entity::Column::StartsAt.gte(from));
    if let Some((at, id)) = cursor {
        select = select.filter(
            Condition::any()
                .add(entity::Column::StartsAt.gt(at))
                .add(Condition::all().add(entity::Column::StartsAt.eq(at)).add(entity::Column::Id.gt(id))),
        );
    }
    let mut rows: Vec<Booking> = select
        .order_by_asc(entity::Column::StartsAt)
        .order_by_asc(entity::Column::Id)
        .limit(AGENDA_PAGE_SIZE + 1)
        .all(db)
        .await?
        .iter()
        .map(booking_of)
        .collect();
    let more = rows.len() as u64 > AGENDA_PAGE_SIZE;
    rows.truncate(AGENDA_PAGE_SIZE as usize);
    let after = more.then(|| rows.last().map(|b| format!("{}.{}", b.starts_at.timestamp(), b.id))).flatten();
    Ok((rows, after))
}

/// A calendar page for `user`: the owner's week or day as a time grid with the working hours, or
/// the agenda from the date on (both without a chosen view), in the owner's zone.
pub async fn calendar(
    state: &AppState,
    user: &CurrentUser,
    query: &CalendarQuery,
    now: DateTime<Utc>,
) -> Result<CalendarData, AppError> {
    let owner = owner_for(&state.db, user, query.owner()).await?;
    let zone = local_time::zone(&owner.timezone);
    let today = now.with_timezone(&zone).date_naive();
    let view = query.view();
    let date = query.date().unwrap_or(today);
    let (first, count, step) = match view {
        Some(CalendarView::Day) => (date, 1, 1),
        Some(CalendarView::Agenda) => (date, 0, 7),
        _ => (date - Duration::days(i64::from(date.weekday().num_days_from_monday())), 7, 7),
    };
    let last = first + Duration::days(count.max(1) - 1);
    let mut days: Vec<CalendarDay> = (0..count).map(|i| day_of(first + Duration::days(i), today)).collect();
    let mut grid = (8, 18);
    if count > 0 {
        let bookings: Vec<Booking> = super::service::list(
            state,
            user,
            owner.id,
            day_start(zone, first),
            day_start(zone, last.succ_opt().unwrap_or(last)),
        )
        .await?
        .into_iter()
        .filter(|b| b.status != BookingStatus::Cancelled)
        .collect();
        let names = client_names(&state.db, &bookings).await?;
        let availability = load(&state.db, &owner, first, last).await?;
        let windows =
            |date: NaiveDate| availability.windows_on(date).iter().map(|w| (w.start, w.end)).collect::<Vec<_>>();
        grid = grid_hours(
            days.iter().flat_map(|day| windows(day.date)).chain(bookings.iter().map(|b| local_span(b, zone))),
        );
        for day in &mut days {
            day.working = windows(day.date).into_iter().map(|span| rows_of(grid.0, span)).collect();
        }
        for booking in &bookings {
            let date = booking.starts_at.with_timezone(&zone).date_naive();
            if let Some(day) = days.iter_mut().find(|day| day.date == date) {
                day.entries.push(entry_of(booking, zone, grid.0, &names));
            }
        }
    }
    let (mut agenda, mut agenda_after) = (Vec::new(), None);
    if view.is_none_or(|view| view == CalendarView::Agenda) {
        let from = day_start(zone, if view.is_some() { date } else { today.max(first) });
        let (bookings, after) = agenda_page(&state.db, owner.id, from, parse_cursor(&query.after)).await?;
        let names = client_names(&state.db, &bookings).await?;
        for booking in &bookings {
            let date = booking.starts_at.with_timezone(&zone).date_naive();
            if agenda.last().is_none_or(|day: &CalendarDay| day.date != date) {
                agenda.push(day_of(date, today));
            }
            if let Some(day) = agenda.last_mut() {
                day.entries.push(entry_of(booking, zone, 0, &names));
            }
        }
        agenda_after = after;
    }
    let local_now = now.with_timezone(&zone);
    let now_minute = minute_of(local_now);
    let now_row = (days.iter().any(|day| day.is_today) && (grid.0 * 60..grid.1 * 60).contains(&now_minute))
        .then(|| (now_minute - grid.0 * 60) / MINUTES_PER_ROW + 1);
    let title = match view {
        Some(CalendarView::Day) => date.format("%A %-d %B %Y").to_string(),
        Some(CalendarView::Agenda) => format!("From {}", date.format("%a %-d %b %Y")),
        _ if first.month() == last.month() => format!("{} – {}", first.format("%-d"), last.format("%-d %b %Y")),
        _ => format!("{} – {}", first.format("%-d %b"), last.format("%-d %b %Y")),
    };
    Ok(CalendarData {
        view,
        date,
        today,
        previous: date - Duration::days(step),
        next: date + Duration::days(step),
        title,
        timezone: owner.timezone.clone(),
        owner_id: owner.id,
        owner_name: owner.name.clone(),
        owners: owner_choices(&state.db, user).await?,
        hour_labels: (grid.0..grid.1).map(|hour| format!("{hour:02}:00")).collect(),
        rows: (grid.1 - grid.0) * (60 / MINUTES_PER_ROW),
        now_row,
        days,
        agenda,
        agenda_after,
    })
}

/// `/bookings/{id}`: another user's booking is "not found".
pub async fn page(state: &AppState, user: &CurrentUser, id: i64, now: DateTime<Utc>) -> Result<BookingPage, AppError> {
    let booking = super::service::get(state, user, id).await?;
    let owner = users::Entity::find_by_id(booking.owner_id).one(&state.db).await?.ok_or(AppError::Internal)?;
    let zone = local_time::zone(&owner.timezone);
    let names = client_names(&state.db, std::slice::from_ref(&booking)).await?;
    let start = booking.starts_at.with_timezone(&zone);
    Ok(BookingPage {
        client_name: booking.client_id.and_then(|id| names.get(&id).cloned()),
        owner_name: owner.name,
        timezone: owner.timezone,
        when: format!(
            "{}–{}",
            local_time::format(booking.starts_at, zone),
            booking.ends_at.with_timezone(&zone).format("%H:%M")
        ),
        date: start.format("%Y-%m-%d").to_string(),
        time: start.format("%H:%M").to_string(),
        started: booking.starts_at <= now,
        booking,
    })
}

/// What `/bookings/new` asks for: `owner`, `client`, `booking_type` and `date` from its address,
/// and `start` ("2026-12-07T10:00" in the owner's zone) for a time of one's own.
#[derive(Debug, Clone, Default)]
pub struct FormRequest {
    pub owner: Option<i64>,
    pub client: Option<i64>,
    pub booking_type: Option<i64>,
    pub date: String,
    pub start: String,
    /// A search of the owner's clients by name or email, for the form's client select.
    pub client_q: String,
}

/// How many clients the new-booking form's search offers.
pub const CLIENT_CHOICES: u64 = 20;

/// The owner's clients matching `q` (every word in the name, email, phone or company: the client
/// list's own search, on its indexes), by name; none for an empty search.
async fn client_matches<C: ConnectionTrait>(
    db: &C,
    user: &CurrentUser,
    owner_id: i64,
    q: &str,
) -> Result<Vec<(i64, String, String)>, AppError> {
    if q.trim().is_empty() {
        return Ok(Vec::new());
    }
    crate::shared::search::check_search(q)?;
    let query = crate::clients::model::ClientQuery { owner: Some(owner_id), q: q.to_owned(), ..Default::default() };
    let rows = crate::clients::list_query::filtered(db.get_database_backend(), user, &query)
        .filter(clients::Column::OwnerId.eq(owner_id))
        .order_by_asc(clients::Column::Name)
        .order_by_asc(clients::Column::Id)
        .limit(CLIENT_CHOICES)
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|c| (c.id, c.name, c.email.unwrap_or_default())).collect())
}

/// The new-booking form: the owner's active types, and the free slots of the chosen one for the
/// seven days from `date`, from [`free_slots`]. A client of another owner (an admin booking for
/// them) makes that owner the calendar's.
pub async fn form_data(
    state: &AppState,
    user: &CurrentUser,
    request: &FormRequest,
    now: DateTime<Utc>,
) -> Result<BookingFormData, AppError> {
    let client = match request.client {
        Some(id) => Some(crate::clients::service::find(&state.db, user, id).await?),
        None => None,
    };
    let owner = owner_for(&state.db, user, request.owner.or(client.as_ref().map(|c| c.owner_id))).await?;
    if client.as_ref().is_some_and(|c| c.owner_id != owner.id) {
        return Err(AppError::field("client_id", "This client belongs to someone else's calendar."));
    }
    let zone = local_time::zone(&owner.timezone);
    let types: Vec<_> =
        super::types::service::list(state, user, owner.id).await?.into_iter().filter(|t| t.active).collect();
    let type_id = request.booking_type.filter(|id| types.iter().any(|t| t.id == *id)).or(types.first().map(|t| t.id));
    let start = chrono::NaiveDateTime::parse_from_str(request.start.trim(), "%Y-%m-%dT%H:%M").ok();
    let today = now.with_timezone(&zone).date_naive();
    let date = NaiveDate::parse_from_str(request.date.trim(), "%Y-%m-%d")
        .ok()
        .or(start.map(|s| s.date()))
        .unwrap_or(today)
        .max(today);
    let mut slot_days: Vec<(String, Vec<super::model::Slot>)> = Vec::new();
    if let Some(type_id) = type_id {
        let booking_type = super::types::service::find_reachable(&state.db, user, type_id).await?;
        let range = (day_start(zone, date).max(now), day_start(zone, date + Duration::days(7)));
        for slot in free_slots(&state.db, &owner, &booking_type, range, zone, now).await? {
            let label = slot.date.format("%A %-d %B").to_string();
            match slot_days.last_mut() {
                Some((last, slots)) if *last == label => slots.push(slot),
                _ => slot_days.push((label, vec![slot])),
            }
        }
    }
    let mut client_choices: Vec<(i64, String, String)> =
        client.iter().map(|c| (c.id, c.name.clone(), c.email.clone().unwrap_or_default())).collect();
    for found in client_matches(&state.db, user, owner.id, &request.client_q).await? {
        if client_choices.iter().all(|(id, _, _)| *id != found.0) {
            client_choices.push(found);
        }
    }
    Ok(BookingFormData {
        owner_id: owner.id,
        owners: owner_choices(&state.db, user).await?,
        timezone: owner.timezone.clone(),
        types,
        type_id,
        client: client.map(|c| (c.id, c.name)),
        client_q: request.client_q.trim().to_owned(),
        client_choices,
        date,
        slot_days,
        start_date: start.map_or_else(|| date.to_string(), |s| s.date().to_string()),
        start_time: start.map(|s| s.format("%H:%M").to_string()).unwrap_or_default(),
    })
}

fn optional_id(text: &str, field: &str) -> Result<Option<i64>, AppError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    text.parse().map(Some).map_err(|_| AppError::field(field, "Choose one from the list."))
}

/// Books from the new-booking form: a free slot, or a time of one's own (by hand: the owner's
/// hours do not apply, overlaps are refused with the clash named).
pub async fn book(state: &AppState, user: &CurrentUser, form: &BookingForm) -> Result<Booking, AppError> {
    let owner = owner_for(&state.db, user, optional_id(&form.owner_id, "owner_id")?).await?;
    let booking_type_id = optional_id(&form.booking_type_id, "booking_type_id")?;
    if form.slot.trim().is_empty() && form.time.trim().is_empty() {
        return Err(AppError::field("slot", "Choose a free time, or a date and start of your own."));
    }
    let (starts_at, ends_at) = if form.slot.trim().is_empty() {
        let (date, time) =
            parse_local(&form.date, &form.time).map_err(|(field, message)| AppError::field(field, message))?;
        let starts_at = to_utc(local_time::zone(&owner.timezone), date, time)?;
        let ends_at = match form.duration_min.trim() {
            "" => None,
            text => {
                let minutes: i64 = text
                    .parse()
                    .ok()
                    .filter(|m| (5..=1440).contains(m))
                    .ok_or_else(|| AppError::field("duration_min", "Choose 5 minutes to 24 hours."))?;
                Some(starts_at + Duration::minutes(minutes))
            }
        };
        (starts_at, ends_at)
    } else {
        let starts_at = DateTime::parse_from_rfc3339(form.slot.trim())
            .map_err(|_| AppError::field("slot", "Choose one of the free times."))?
            .with_timezone(&Utc);
        (starts_at, None)
    };
    let input = NewBooking {
        owner_id: owner.id,
        booking_type_id,
        client_id: optional_id(&form.client_id, "client_id")?,
        starts_at,
        ends_at,
        timezone: String::new(),
        subject: form.subject.clone(),
        location: form.location.clone(),
        notes: form.notes.clone(),
    };
    super::service::create(state, user, input).await
}

/// Moves a booking to `date` at `time` in its owner's zone.
pub async fn reschedule_local(
    state: &AppState,
    user: &CurrentUser,
    id: i64,
    date: &str,
    time: &str,
) -> Result<Booking, AppError> {
    let booking = super::service::get(state, user, id).await?;
    let owner = users::Entity::find_by_id(booking.owner_id).one(&state.db).await?.ok_or(AppError::Internal)?;
    let (date, time) = parse_local(date, time).map_err(|(field, message)| AppError::field(field, message))?;
    let starts_at = to_utc(local_time::zone(&owner.timezone), date, time)?;
    super::service::reschedule(state, user, id, starts_at).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_quarter_hours_from_the_grids_first_hour() {
        assert_eq!(rows_of(8, (8 * 60, 8 * 60 + 30)), (1, 2));
        assert_eq!(rows_of(8, (10 * 60 + 10, 10 * 60 + 20)), (9, 1));
        // Before the grid: clipped to its top.
        assert_eq!(rows_of(8, (7 * 60, 9 * 60)), (1, 4));
        assert_eq!(grid_hours([(6 * 60 + 30, 7 * 60), (13 * 60, 21 * 60 + 15)].into_iter()), (6, 22));
    }

    #[test]
    fn skipped_local_times_are_refused_and_midnights_found() {
        let lisbon = local_time::zone("Europe/Lisbon");
        let spring = NaiveDate::from_ymd_opt(2026, 3, 29).unwrap();
        assert!(to_utc(lisbon, spring, NaiveTime::from_hms_opt(1, 30, 0).unwrap()).is_err());
        assert_eq!(
            to_utc(lisbon, spring, NaiveTime::from_hms_opt(2, 30, 0).unwrap()).unwrap().to_rfc3339(),
            "2026-03-29T01:30:00+00:00"
        );
        assert_eq!(day_start(lisbon, spring).to_rfc3339(), "2026-03-29T00:00:00+00:00");
        assert_eq!(parse_cursor("1796000000.42").map(|(_, id)| id), Some(42));
        assert_eq!(parse_cursor("soon"), None);
    }
}
