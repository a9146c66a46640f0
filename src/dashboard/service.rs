//! The dashboard of a signed-in person: their figures (an admin's: everyone's or one owner's) over
//! a range of days in their time zone, computed by aggregate queries and cached per viewer, range
//! and owner. The cache key holds a stamp of the data (the newest client, message and booking
//! change, and the stage counters), so a new lead, message or booking makes the next load compute
//! afresh; entries live a minute, which bounds how stale "upcoming" can be.
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{ConnectionTrait, DbErr, EntityTrait, QueryOrder, QuerySelect, Value};

use super::{
    figures::{self, Scope},
    model::{
        Dashboard, DashboardQuery, DayCount, DayMessages, Figure, FunnelStep, OwnerOption, Speed, SpeedToLead,
        StrategyRow, Tile, UpcomingBooking, UserRow, share,
    },
    range::{self, Resolved, day_of_local},
};
use crate::{
    bookings::list::model::BookingListQuery,
    clients::model::STATUSES,
    server::{local_time, sql::statement, state::AppState},
    shared::AppError,
    users::{entity as users, model::CurrentUser},
};

const CACHE_TTL: Duration = Duration::from_secs(60);
const UPCOMING: u64 = 5;

/// Where a dashboard came from, for the tests of the cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Served {
    Cache,
    Computed,
}

/// The dashboard `user` asks for with `query`.
pub async fn dashboard(state: &AppState, user: &CurrentUser, query: &DashboardQuery) -> Result<Dashboard, AppError> {
    Ok(load(state, user, query, Utc::now()).await?.0)
}

/// [`dashboard`] at `now`, saying whether the cache answered.
pub async fn load(
    state: &AppState,
    user: &CurrentUser,
    query: &DashboardQuery,
    now: DateTime<Utc>,
) -> Result<(Dashboard, Served), AppError> {
    let db = &state.db;
    // The signed-in user was read from the database for this very request, zone included.
    let zone = local_time::zone(&user.timezone);
    let resolved = range::resolve(query, zone, now)?;
    let scope: Scope = if user.is_admin() { query.owner } else { Some(user.id) };
    let key = format!(
        "dashboard:v1:{}:{}:{}:{}:{}:{}",
        user.id,
        scope.map_or_else(|| "all".to_owned(), |owner| owner.to_string()),
        resolved.range.from,
        resolved.range.to,
        zone.name(),
        stamp(db, scope).await?,
    );
    let cache = &state.infra.cache;
    match cache.get(&key).await {
        Ok(Some(json)) => {
            if let Ok(cached) = serde_json::from_str::<Dashboard>(&json) {
                return Ok((cached, Served::Cache));
            }
        }
        Ok(None) => {}
        Err(error) => tracing::warn!(%error, "the dashboard cache did not answer"),
    }
    let dashboard = compute(db, user, scope, &resolved, now).await?;
    if let Ok(json) = serde_json::to_string(&dashboard)
        && let Err(error) = cache.set(&key, &json, CACHE_TTL).await
    {
        tracing::warn!(%error, "the dashboard cache did not store");
    }
    Ok((dashboard, Served::Computed))
}

/// What changes when any figure can: the newest client, message and booking change, and the
/// scope's stage counters (a stage moved, a client deleted). Two statements, each reading the ends
/// of indexes.
async fn stamp<C: ConnectionTrait>(db: &C, scope: Scope) -> Result<String, DbErr> {
    let backend = db.get_database_backend();
    let newest = "SELECT (SELECT MAX(id) FROM clients), (SELECT MAX(id) FROM messages), \
                  (SELECT MAX(id) FROM bookings), (SELECT MAX(updated_at) FROM bookings)";
    let mut parts = Vec::with_capacity(4 + STATUSES.len());
    if let Some(row) = db.query_one_raw(statement(backend, newest, vec![])).await? {
        for index in 0..3 {
            let max: Option<i64> = row.try_get_by_index(index)?;
            parts.push(max.unwrap_or(0).to_string());
        }
        let updated: Option<DateTime<Utc>> = row.try_get_by_index(3)?;
        parts.push(updated.map(|at| at.timestamp_micros()).unwrap_or(0).to_string());
    }
    let (sql, values): (&str, Vec<Value>) = match scope {
        Some(owner) => {
            ("SELECT status, count FROM client_counts WHERE owner_id = ? ORDER BY status", vec![owner.into()])
        }
        None => {
            ("SELECT status, CAST(SUM(count) AS BIGINT) FROM client_counts GROUP BY status ORDER BY status", vec![])
        }
    };
    for row in db.query_all_raw(statement(backend, sql, values)).await? {
        let status: String = row.try_get_by_index(0)?;
        let count: Option<i64> = row.try_get_by_index(1)?;
        parts.push(format!("{status}={}", count.unwrap_or(0)));
    }
    Ok(parts.join(","))
}

/// Sums of one series over the current range (per day) and the period before.
struct Series {
    days: Vec<u64>,
    current: u64,
    previous: u64,
}

impl Series {
    fn new(resolved: &Resolved) -> Self {
        Series { days: vec![0; resolved.range.days as usize], current: 0, previous: 0 }
    }

    /// Adds `n` on `day`: to the previous period before the range's first day, else to its day.
    fn add(&mut self, resolved: &Resolved, day: NaiveDate, n: u64) {
        if day < resolved.first_day {
            self.previous += n;
            return;
        }
        self.current += n;
        if let Some(index) = resolved.day_index(day) {
            self.days[index] += n;
        }
    }
}

fn owner_query(scope: Scope, user: &CurrentUser) -> String {
    match scope {
        Some(owner) if user.is_admin() => format!("owner={owner}"),
        _ => String::new(),
    }
}

/// The owner filter of a list an admin opens from a figure of one owner's; members' lists hold
/// only their own anyway.
fn list_owner(scope: Scope, user: &CurrentUser) -> String {
    match scope {
        Some(owner) if user.is_admin() => owner.to_string(),
        _ => String::new(),
    }
}

/// The bookings list of those made on the days `from` to `to`, newest first.
fn made_in(from: &str, to: &str, scope: Scope, user: &CurrentUser) -> String {
    BookingListQuery {
        made_from: from.to_owned(),
        made_to: to.to_owned(),
        owner: list_owner(scope, user),
        sort: "-made".to_owned(),
        ..Default::default()
    }
    .href()
}

/// The bookings list of those starting on the days `from` to `to` that are completed or missed
/// (only a booking that has started can be): what the show rate divides.
fn attended_in(from: &str, to: &str, scope: Scope, user: &CurrentUser) -> String {
    BookingListQuery {
        from: from.to_owned(),
        to: to.to_owned(),
        status: "attended".to_owned(),
        owner: list_owner(scope, user),
        sort: "starts".to_owned(),
        ..Default::default()
    }
    .href()
}

/// `path` with `params` (those not empty) as its query string.
fn link(path: &str, params: &[&str]) -> String {
    let params: Vec<&str> = params.iter().copied().filter(|param| !param.is_empty()).collect();
    if params.is_empty() { path.to_owned() } else { format!("{path}?{}", params.join("&")) }
}

async fn compute<C: ConnectionTrait>(
    db: &C,
    user: &CurrentUser,
    scope: Scope,
    resolved: &Resolved,
    now: DateTime<Utc>,
) -> Result<Dashboard, AppError> {
    let (current, previous) = (resolved.current, resolved.previous);
    let both = range::Window { start: previous.start, end: current.end };
    let offsets = range::offsets(resolved.zone, both);
    // The people table's figures, for an admin.
    let people = async {
        if !user.is_admin() {
            return Ok(None);
        }
        let names = users::Entity::find()
            .select_only()
            .columns([users::Column::Id, users::Column::Name])
            .order_by_asc(users::Column::Name)
            .order_by_asc(users::Column::Id)
            .into_tuple::<(i64, String)>()
            .all(db);
        let (names, bookings, medians) = futures::try_join!(
            names,
            figures::bookings_by_owner(db, scope, current, now),
            figures::median_first_reply_by_owner(db, scope, current),
        )?;
        Ok::<_, DbErr>(Some((names, bookings, medians)))
    };
    // Every figure's statement at once, the people table's too: on PostgreSQL each runs on its own
    // pooled connection, so a computed dashboard takes about as long as its slowest statement
    // rather than their sum.
    let (
        created,
        messages,
        lead_hours,
        bookings,
        (completed, no_shows),
        (completed_before, no_shows_before),
        active,
        active_before,
        now_replies,
        before_replies,
        new_leads,
        upcoming_rows,
        people,
    ) = futures::try_join!(
        figures::clients_created(db, scope, both, &offsets),
        figures::messages(db, scope, both, &offsets),
        figures::lead_hours(db, scope, current, &offsets),
        figures::bookings_made(db, scope, both, &offsets),
        figures::attendance(db, scope, current, now),
        figures::attendance(db, scope, previous, now),
        figures::active_conversations(db, scope, current),
        figures::active_conversations(db, scope, previous),
        figures::first_replies(db, scope, current),
        figures::first_replies(db, scope, previous),
        figures::new_leads(db, scope, current),
        figures::upcoming(db, scope, now, UPCOMING),
        people,
    )?;
    let owner_param = owner_query(scope, user);
    let range_params = format!("from={}&to={}", resolved.range.from, resolved.range.to);

    // Clients created: the new-leads series, and the stages they are in now.
    let mut leads = Series::new(resolved);
    let mut stages_now = [0u64; STATUSES.len()];
    let (mut won, mut lost, mut won_before, mut lost_before) = (0, 0, 0, 0);
    for (day, status, n) in created {
        let day = day_of_local(day);
        leads.add(resolved, day, n);
        let in_current = day >= resolved.first_day;
        match (status.as_str(), in_current) {
            ("won", true) => won += n,
            ("lost", true) => lost += n,
            ("won", false) => won_before += n,
            ("lost", false) => lost_before += n,
            _ => {}
        }
        if in_current && let Some(rank) = STATUSES.iter().position(|(value, _)| *value == status) {
            stages_now[rank] += n;
        }
    }

    // Messages: per role and day, and the lead's by weekday and hour.
    let (mut from_leads, mut from_ai, mut from_team) =
        (Series::new(resolved), Series::new(resolved), Series::new(resolved));
    for (day, role, n) in messages {
        let series = match role.as_str() {
            "client" => &mut from_leads,
            "ai" => &mut from_ai,
            _ => &mut from_team,
        };
        series.add(resolved, day_of_local(day), n);
    }
    let mut heatmap = vec![vec![0u64; 24]; 7];
    for (weekday, hour, n) in lead_hours {
        if let Some(cell) = usize::try_from(weekday)
            .ok()
            .zip(usize::try_from(hour).ok())
            .and_then(|(weekday, hour)| heatmap.get_mut(weekday)?.get_mut(hour))
        {
            *cell += n;
        }
    }

    // Bookings made, by week.
    let weeks = resolved.weeks();
    let mut bookings_by_week = vec![0u64; weeks.len()];
    let (mut booked_now, mut booked_before) = (0, 0);
    for (day, n) in bookings {
        let day = day_of_local(day);
        if day < resolved.first_day {
            booked_before += n;
            continue;
        }
        booked_now += n;
        if let Some(week) = resolved.week_index(day) {
            bookings_by_week[week] += n;
        }
    }

    let speed = |quantiles: figures::Quantiles| Speed {
        answered: quantiles.count,
        median_secs: quantiles.median,
        p90_secs: quantiles.p90,
    };
    let speed = SpeedToLead {
        ai: speed(now_replies.ai),
        human: speed(now_replies.agent),
        ai_previous: speed(before_replies.ai),
        human_previous: speed(before_replies.agent),
        unanswered: now_replies.unanswered,
    };

    let tiles = vec![
        Tile {
            label: "New leads".into(),
            value: Figure::Count(leads.current),
            previous: Figure::Count(leads.previous),
            help: "Clients created in the range, by hand, by import or from the public chat.".into(),
            href: Some(link("/clients", &[&range_params, &owner_param])),
        },
        Tile {
            label: "Active conversations".into(),
            value: Figure::Count(active),
            previous: Figure::Count(active_before),
            help: "Conversations with a message from the lead, the AI or the team in the range.".into(),
            href: Some(link("/chat", &[&range_params, &owner_param])),
        },
        Tile {
            label: "Messages in".into(),
            value: Figure::Count(from_leads.current),
            previous: Figure::Count(from_leads.previous),
            help: "Messages leads wrote in the range.".into(),
            href: Some(link("/chat", &[&range_params, &owner_param])),
        },
        Tile {
            label: "Messages out".into(),
            value: Figure::Count(from_ai.current + from_team.current),
            previous: Figure::Count(from_ai.previous + from_team.previous),
            help: format!(
                "Answers sent in the range: {} by the AI, {} by the team (private notes not counted).",
                from_ai.current, from_team.current
            ),
            href: Some(link("/chat", &[&range_params, &owner_param])),
        },
        Tile {
            label: "Bookings made".into(),
            value: Figure::Count(booked_now),
            previous: Figure::Count(booked_before),
            help: "Appointments booked in the range, whatever became of them since.".into(),
            href: Some(made_in(&resolved.range.from, &resolved.range.to, scope, user)),
        },
        Tile {
            label: "Show rate".into(),
            value: Figure::Share(share(completed, completed + no_shows)),
            previous: Figure::Share(share(completed_before, completed_before + no_shows_before)),
            help: format!(
                "Of the past appointments in the range marked completed or no-show: {completed} completed, {no_shows} no-shows."
            ),
            href: Some(attended_in(&resolved.range.from, &resolved.range.to, scope, user)),
        },
        Tile {
            label: "Win rate".into(),
            value: Figure::Share(share(won, won + lost)),
            previous: Figure::Share(share(won_before, won_before + lost_before)),
            help: format!("Of the leads created in the range that are won or lost now: {won} won, {lost} lost."),
            href: Some(link("/clients", &[&range_params, "status=won", &owner_param])),
        },
    ];

    // The funnel: every lead created in the range starts it; each later step counts the leads at
    // that stage or a later one, lost leads aside.
    let lost_index = STATUSES.len() - 1;
    let funnel = STATUSES[..lost_index]
        .iter()
        .enumerate()
        .map(|(rank, (status, label))| FunnelStep {
            status: (*status).to_owned(),
            label: (*label).to_owned(),
            reached: if rank == 0 { leads.current } else { stages_now[rank..lost_index].iter().sum() },
        })
        .collect();

    let figures::NewLeads { strategies, by_owner: leads_by_owner } = new_leads;
    let mut strategies: Vec<StrategyRow> = strategies
        .into_iter()
        .map(|(id, name, leads, booked, handed_off)| StrategyRow { id, name, leads, booked, handed_off })
        .collect();
    strategies.sort_by(|a, b| {
        let rate = |row: &StrategyRow| share(row.booked, row.leads).unwrap_or(0.0);
        rate(b).total_cmp(&rate(a)).then(b.leads.cmp(&a.leads)).then(a.name.cmp(&b.name))
    });

    let upcoming = upcoming_rows
        .into_iter()
        .map(|(id, client_id, who, what, at)| UpcomingBooking {
            id,
            client_id,
            who: if who.is_empty() { "A guest".to_owned() } else { who },
            what,
            when: local_time::format(at, resolved.zone),
        })
        .collect();

    let (owners, users) = if let Some((people, bookings_by_owner, medians)) = people {
        let mut rows = Vec::new();
        for (id, name) in &people {
            if scope.is_some_and(|owner| owner != *id) {
                continue;
            }
            let (leads, wins) = leads_by_owner.get(id).copied().unwrap_or_default();
            let (bookings, shows) = bookings_by_owner.get(id).copied().unwrap_or_default();
            rows.push(UserRow {
                id: *id,
                name: name.clone(),
                leads,
                median_first_reply_secs: medians.get(id).copied(),
                bookings,
                shows,
                wins,
                bookings_href: made_in(&resolved.range.from, &resolved.range.to, Some(*id), user),
                shows_href: BookingListQuery {
                    from: resolved.range.from.clone(),
                    to: resolved.range.to.clone(),
                    status: "completed".to_owned(),
                    owner: id.to_string(),
                    sort: "starts".to_owned(),
                    ..Default::default()
                }
                .href(),
            });
        }
        let owners = people.into_iter().map(|(id, name)| OwnerOption { id, name }).collect();
        (owners, Some(rows))
    } else {
        (Vec::new(), None)
    };

    let days: Vec<NaiveDate> = resolved.days().collect();
    let day_count = |day: &NaiveDate, count: u64, href: String| DayCount {
        day: day.to_string(),
        label: day.format("%-d %b").to_string(),
        full_label: day.format("%a %-d %b %Y").to_string(),
        count,
        href,
    };
    let new_leads_on =
        |day: &NaiveDate| link("/clients", &[&format!("from={day}&to={day}"), "sort=created", &owner_param]);
    // A week's bar counts the days of it inside the range.
    let made_in_week = |week: &NaiveDate| {
        let first = (*week).max(resolved.first_day);
        let last = (*week + chrono::Duration::days(6)).min(resolved.last_day);
        made_in(&first.to_string(), &last.to_string(), scope, user)
    };
    Ok(Dashboard {
        range: resolved.range.clone(),
        owner: scope,
        tiles,
        speed,
        new_leads: days.iter().zip(&leads.days).map(|(day, count)| day_count(day, *count, new_leads_on(day))).collect(),
        messages: days
            .iter()
            .enumerate()
            .map(|(index, day)| DayMessages {
                day: day.to_string(),
                label: day.format("%-d %b").to_string(),
                full_label: day.format("%a %-d %b %Y").to_string(),
                lead: from_leads.days[index],
                ai: from_ai.days[index],
                agent: from_team.days[index],
            })
            .collect(),
        bookings_by_week: weeks
            .iter()
            .zip(bookings_by_week)
            .map(|(week, count)| DayCount {
                full_label: format!("Week of {}", week.format("%-d %b %Y")),
                ..day_count(week, count, made_in_week(week))
            })
            .collect(),
        funnel,
        lost,
        heatmap,
        upcoming,
        strategies,
        users,
        owners,
    })
}
