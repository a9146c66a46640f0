//! Which conversations make an inbox page: the filters, the keyset and a search by client that
//! stays bounded at a million clients.
//!
//! A search first asks the clients list's index for the clients it finds (that have a
//! conversation), up to [`SearchBounds::exact`] + 1. When that is all of them, the page is their
//! conversations, newest first: a few index probes and a small sort. When more match, the word is
//! common enough that the newest conversations hold matches, and the page is searched for among
//! the next [`SearchBounds::window`] conversations of the keyset; when those hold less than a page,
//! the page says how far it searched and its cursor continues after them, so every request reads a
//! bounded number of rows and paging on still finds every match.
//!
//! A stage filter is bounded the same way: a stage with at most [`SearchBounds::stage_listed`]
//! clients (counted in `client_counts`) lists them by id first; a stage with more is common
//! enough that the walk through the inbox's order finds a page soon.
//!
//! So is a range of days of activity (the conversations with a public message in it, as the
//! dashboard counts them, from the quarter hours in `conversation_activity`): when the range
//! holds at most [`SearchBounds::activity_listed`] conversations, their clients are listed by id;
//! with more, each page looks for active ones among the next [`SearchBounds::window`]
//! conversations, as a common search does.
use sea_orm::{ConnectionTrait, FromQueryResult, Statement, Value};

use super::{
    conversation_entity as conversations,
    model::{AiMode, INBOX_PAGE_SIZE, InboxQuery},
};
use crate::{
    clients::{list_query, model::is_status, timeline},
    server::{local_time, sql::statement},
    shared::AppError,
    users::model::CurrentUser,
};

/// How far an inbox search goes in one request.
#[derive(Debug, Clone, Copy)]
pub struct SearchBounds {
    /// At most this many matching clients are listed by id and their conversations sorted.
    pub exact: u64,
    /// With more, a page is searched for among this many conversations next in the inbox's order.
    pub window: u64,
}

impl SearchBounds {
    pub const DEFAULT: SearchBounds = SearchBounds { exact: 1_000, window: 2_000 };

    /// A stage filter lists the stage's clients first when it holds at most this many: fewer than
    /// a search, because the walk it saves is short for all but a rare stage (at a million clients,
    /// listing 1,000 cost 33 ms where walking to a page of a stage that size cost about as much).
    pub fn stage_listed(&self) -> u64 {
        self.exact / 4
    }

    /// A range of days of activity lists its conversations when it holds at most this many:
    /// more than a search, because reading them is cheap (an index range, 3 ms
    /// for 10,000 at 100,000 clients) and a range's conversations are often not the newest (one
    /// day a month ago), which a window would find only a few "Search older" clicks later. Not
    /// more, because the page then sorts their conversations from a list of ids that PostgreSQL
    /// plans one by one (11 ms to plan 6,000).
    pub fn activity_listed(&self) -> u64 {
        self.exact.saturating_mul(4)
    }
}

/// The conversations of one page, before they are dressed as inbox rows.
pub struct Rows {
    pub rows: Vec<conversations::Model>,
    pub next: Option<String>,
    /// Set when a search read its whole window without filling the page: how many conversations
    /// it searched. `next` then continues after them.
    pub searched: Option<u64>,
}

/// How a search narrows the page.
enum Search {
    None,
    /// Every matching client with a conversation: no more than [`SearchBounds::exact`].
    Clients(Vec<i64>),
    /// More match: look for them among the conversations next in order.
    Window,
}

/// The conversations of the page `query` asks for, `owner`'s (everyone's when `None`).
pub async fn page<C: ConnectionTrait>(
    db: &C,
    user: &CurrentUser,
    owner: Option<i64>,
    query: &InboxQuery,
    bounds: SearchBounds,
) -> Result<Rows, AppError> {
    let backend = db.get_database_backend();
    let q = query.q.trim();
    let search =
        if !list_query::is_search(q) { Search::None } else { matching_clients(db, owner, q, bounds.exact).await? };
    if let Search::Clients(ids) = &search
        && ids.is_empty()
    {
        return Ok(Rows { rows: Vec::new(), next: None, searched: None });
    }

    let active = match active_in(db, user, owner, query, bounds.activity_listed()).await? {
        Active::Nowhere => return Ok(Rows { rows: Vec::new(), next: None, searched: None }),
        active => active,
    };

    let stage = is_status(&query.stage).then_some(query.stage.as_str());
    let in_stage = match stage {
        Some(stage) => clients_in_stage(db, owner, stage, bounds.stage_listed()).await?,
        None => None,
    };
    if in_stage.as_ref().is_some_and(Vec::is_empty) {
        return Ok(Rows { rows: Vec::new(), next: None, searched: None });
    }

    let mut filters = String::from(" WHERE 1 = 1");
    let mut values: Vec<Value> = Vec::new();
    if let Some(owner) = owner {
        filters.push_str(" AND v.owner_id = ?");
        values.push(owner.into());
    }
    match query.show.as_str() {
        "waiting" => filters.push_str(" AND v.state = 'waiting'"),
        "unread" => {
            filters.push_str(
                " AND v.last_message_id > COALESCE((SELECT r.last_seen_message_id FROM conversation_reads r \
                 WHERE r.conversation_id = v.id AND r.user_id = ?), 0)",
            );
            values.push(user.id.into());
        }
        _ => {}
    }
    if let Some(mode) = AiMode::parse(&query.ai) {
        filters.push_str(" AND v.ai_mode = ?");
        values.push(mode.as_str().into());
    }
    if let Some(stage) = stage {
        filters.push_str(" AND clients.status = ?");
        values.push(stage.into());
    }
    let listed = [
        in_stage.as_ref(),
        if let Search::Clients(ids) = &search { Some(ids) } else { None },
        if let Active::Clients(ids) = &active { Some(ids) } else { None },
    ];
    for ids in listed.into_iter().flatten() {
        let list = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(", ");
        filters.push_str(&format!(" AND v.client_id IN ({list})"));
    }
    if let Some((at, id)) = timeline::decode(&query.after) {
        // A row value, which both databases use as a bound of the index's range (an `OR` of the
        // two cases is only a filter: a deep page would walk every row before it).
        filters.push_str(" AND (v.last_activity_at, v.id) < (?, ?)");
        values.extend([at.into(), id.into()]);
    }
    let from = "FROM conversations v JOIN clients ON clients.id = v.client_id";
    let order = "ORDER BY v.last_activity_at DESC, v.id DESC";
    let page_size = INBOX_PAGE_SIZE as usize;

    // What each row of a window is tested for. The conditions carry their values in the SQL (a
    // search's words quoted, which `statement` leaves as they are, so a `?` typed in the search
    // stays text; the quarter hours as numbers), because they come before the filters' values.
    let mut tests = Vec::new();
    if matches!(search, Search::Window) {
        tests.push(list_query::search_condition_sql(backend, q));
    }
    if let Active::Window { first, after } = active {
        // One probe of (client, quarter hour) per row read, and only for the rows read: written as
        // `EXISTS`, PostgreSQL hashed the whole range's activity first (12 ms for an admin's last
        // 30 days at 100,000 clients, growing with the range, against 1.6 ms).
        tests.push(format!(
            "(SELECT 1 FROM conversation_activity a WHERE a.client_id = v.client_id{}{} LIMIT 1) = 1",
            first.map(|first| format!(" AND a.bucket >= {first}")).unwrap_or_default(),
            after.map(|after| format!(" AND a.bucket < {after}")).unwrap_or_default(),
        ));
    }
    if tests.is_empty() {
        let sql = format!("SELECT v.* {from}{filters} {order} LIMIT {}", page_size + 1);
        let mut rows = conversations::Model::find_by_statement(statement(backend, &sql, values)).all(db).await?;
        let more = rows.len() > page_size;
        rows.truncate(page_size);
        let next = if more { rows.last().map(cursor) } else { None };
        return Ok(Rows { rows, next, searched: None });
    }

    // The window, numbered and each row's match found as it is read (with its client, by key),
    // and of it the matches and its last row (to continue after it).
    let window = bounds.window.max(1);
    let condition = tests.join(" AND ");
    let sql = format!(
        "SELECT w.* FROM (SELECT v.*, ROW_NUMBER() OVER ({order}) AS place, \
         CASE WHEN {condition} THEN 1 ELSE 0 END AS hit {from}{filters} {order} LIMIT {window}) w \
         WHERE w.hit = 1 OR w.place = {window} ORDER BY w.last_activity_at DESC, w.id DESC LIMIT {}",
        page_size + 1
    );
    let statement = statement(backend, &sql, values);
    let found = WindowRow::find_by_statement(statement).all(db).await?;
    let last_of_window = found.iter().find(|row| row.place == window as i64).map(|row| cursor(&row.row));
    let mut rows: Vec<conversations::Model> = found.into_iter().filter(|row| row.hit == 1).map(|row| row.row).collect();
    if rows.len() > page_size {
        rows.truncate(page_size);
        let next = rows.last().map(cursor);
        return Ok(Rows { rows, next, searched: None });
    }
    Ok(match last_of_window {
        Some(next) => Rows { rows, next: Some(next), searched: Some(window) },
        None => Rows { rows, next: None, searched: None },
    })
}

fn cursor(row: &conversations::Model) -> String {
    timeline::encode(row.last_activity_at, row.id)
}

/// A conversation of a search's window, where it stands in it and whether it matches.
struct WindowRow {
    row: conversations::Model,
    place: i64,
    hit: i32,
}

impl FromQueryResult for WindowRow {
    fn from_query_result(result: &sea_orm::QueryResult, prefix: &str) -> Result<Self, sea_orm::DbErr> {
        Ok(WindowRow {
            row: conversations::Model::from_query_result(result, prefix)?,
            place: result.try_get(prefix, "place")?,
            hit: result.try_get(prefix, "hit")?,
        })
    }
}

/// The clients (of `owner`) with a conversation that the search `q` finds, when there are at most
/// `exact` of them; [`Search::Window`] when there are more.
async fn matching_clients<C: ConnectionTrait>(
    db: &C,
    owner: Option<i64>,
    q: &str,
    exact: u64,
) -> Result<Search, AppError> {
    let backend = db.get_database_backend();
    let sql = format!(
        "{} AND EXISTS (SELECT 1 FROM conversations v WHERE v.client_id = clients.id) LIMIT {}",
        list_query::matching_ids_sql(backend, owner, q),
        exact + 1
    );
    let ids: Vec<i64> = db
        .query_all_raw(Statement::from_string(backend, sql))
        .await?
        .iter()
        .map(|row| row.try_get_by_index::<i64>(0))
        .collect::<Result<_, _>>()?;
    Ok(if ids.len() as u64 > exact { Search::Window } else { Search::Clients(ids) })
}

/// The clients (of `owner`) in `stage` that have a conversation, when the stage holds at most
/// `exact` clients (as `client_counts` keeps them): a rare stage is then a few index probes, where
/// walking the inbox's order would read every conversation to find its few. `None` when it holds
/// more: the walk then finds a page soon.
async fn clients_in_stage<C: ConnectionTrait>(
    db: &C,
    owner: Option<i64>,
    stage: &str,
    exact: u64,
) -> Result<Option<Vec<i64>>, AppError> {
    let backend = db.get_database_backend();
    let mut values: Vec<Value> = vec![stage.into()];
    let owner_filter = match owner {
        Some(owner) => {
            values.push(owner.into());
            " AND owner_id = ?"
        }
        None => "",
    };
    let total =
        format!("SELECT CAST(COALESCE(SUM(count), 0) AS BIGINT) FROM client_counts WHERE status = ?{owner_filter}");
    let total = match db.query_one_raw(statement(backend, &total, values.clone())).await? {
        Some(row) => row.try_get_by_index::<i64>(0)?,
        None => 0,
    };
    if u64::try_from(total).unwrap_or(0) > exact {
        return Ok(None);
    }
    // The order is the stage index's (`clients_owner_status_activity_idx`): without it PostgreSQL
    // may walk the owner's clients by creation and filter them (144 ms instead of 16 at 1M).
    let sql = format!(
        "SELECT id FROM clients WHERE status = ?{owner_filter} \
         AND EXISTS (SELECT 1 FROM conversations v WHERE v.client_id = clients.id) \
         ORDER BY last_activity_at DESC, id DESC LIMIT {}",
        exact + 1
    );
    let ids: Vec<i64> = db
        .query_all_raw(statement(backend, &sql, values))
        .await?
        .iter()
        .map(|row| row.try_get_by_index::<i64>(0))
        .collect::<Result<_, _>>()?;
    // Clients moved into the stage since it was counted: walk after all.
    Ok((ids.len() as u64 <= exact).then_some(ids))
}

/// How a range of days of activity narrows the page.
enum Active {
    /// No range asked for.
    Any,
    /// A range no conversation was active in (or that ends before it starts).
    Nowhere,
    /// The clients whose conversations were active in it, no more than
    /// [`SearchBounds::activity_listed`].
    Clients(Vec<i64>),
    /// More rows: test the conversations next in order for activity from quarter hour `first` to
    /// before `after`.
    Window { first: Option<i64>, after: Option<i64> },
}

/// The quarter hour (seconds since 1970 / 900) of `at`: the unit of `conversation_activity`.
fn quarter_hour(at: chrono::DateTime<chrono::Utc>) -> i64 {
    at.timestamp().div_euclid(900)
}

/// The range of days of activity `query` asks for, in `user`'s time zone (each local day from its
/// own midnight, so a daylight-saving day lasts 23 or 25 hours, as on the dashboard).
async fn active_in<C: ConnectionTrait>(
    db: &C,
    user: &CurrentUser,
    owner: Option<i64>,
    query: &InboxQuery,
    listed: u64,
) -> Result<Active, AppError> {
    let (from, to) = query.active_days();
    if from.is_none() && to.is_none() {
        return Ok(Active::Any);
    }
    if from.zip(to).is_some_and(|(from, to)| from > to) {
        return Ok(Active::Nowhere);
    }
    let zone = local_time::zone(&user.timezone);
    let first = from.map(|day| quarter_hour(local_time::day_start(zone, day)));
    let after = to.and_then(|day| day.succ_opt()).map(|day| quarter_hour(local_time::day_start(zone, day)));
    let mut conditions = Vec::new();
    let mut values: Vec<Value> = Vec::new();
    for (condition, bound) in [("bucket >= ?", first), ("bucket < ?", after)] {
        if let Some(bound) = bound {
            conditions.push(condition);
            values.push(bound.into());
        }
    }
    // Each conversation once, by its first quarter hour in the range (as the dashboard counts).
    if let Some(first) = first {
        conditions.push("(previous_bucket IS NULL OR previous_bucket < ?)");
        values.push(first.into());
    } else {
        conditions.push("previous_bucket IS NULL");
    }
    if let Some(owner) = owner {
        conditions.push("owner_id = ?");
        values.push(owner.into());
    }
    let sql =
        format!("SELECT client_id FROM conversation_activity WHERE {} LIMIT {}", conditions.join(" AND "), listed + 1);
    let rows = db.query_all_raw(statement(db.get_database_backend(), &sql, values)).await?;
    if rows.len() as u64 > listed {
        return Ok(Active::Window { first, after });
    }
    let mut ids: Vec<i64> = rows.iter().map(|row| row.try_get_by_index::<i64>(0)).collect::<Result<_, _>>()?;
    ids.sort_unstable();
    ids.dedup();
    Ok(if ids.is_empty() { Active::Nowhere } else { Active::Clients(ids) })
}
