//! The clients list as SQL: scope, filters, search, keyset pagination and a bounded count. Every
//! sort walks an index ending in `id`; no page uses OFFSET, so page 2,000 costs what page 1 costs.
use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseBackend, DbErr, EntityTrait, FromQueryResult, Order, QueryFilter,
    QueryOrder, QuerySelect, QueryTrait, Select, Value,
    sea_query::{Alias, Asterisk, BinOper, Expr, LikeExpr, PostgresQueryBuilder, Query, QueryBuilder, SimpleExpr},
};

use super::{
    entity::{self, Column},
    model::{COUNT_LIMIT, ClientQuery, Direction, PAGE_SIZE, SEARCH_COUNT_LIMIT, SortKey, Total},
};
use crate::{server::sql::like_pattern, users::model::CurrentUser};

/// How many rows next in the sort a PostgreSQL search with over [`SEARCH_COUNT_LIMIT`] matches
/// tests before it sorts them all: about 4 ms of reading at a million clients.
pub const SEARCH_WINDOW: u64 = 2_000;

/// Where a page starts: the sort value and id of the row just outside it.
#[derive(Debug, Clone, PartialEq)]
pub enum SortValue {
    Text(String),
    Time(DateTime<Utc>),
    Rank(i64),
}

impl SortValue {
    fn of(key: SortKey, row: &entity::Model) -> SortValue {
        match key {
            SortKey::Name => SortValue::Text(row.name.clone()),
            SortKey::Created => SortValue::Time(row.created_at),
            SortKey::Activity => SortValue::Time(row.last_activity_at),
            SortKey::Status => SortValue::Rank(i64::from(row.status_rank)),
        }
    }

    fn into_value(self) -> Value {
        match self {
            SortValue::Text(text) => text.into(),
            SortValue::Time(time) => time.into(),
            SortValue::Rank(rank) => rank.into(),
        }
    }
}

/// `{id}.{value}`: the id first, because a name may contain anything. Times are nanoseconds, so
/// that the value compares equal to what is stored (SQLite keeps chrono's full precision).
pub fn encode_cursor(key: SortKey, row: &entity::Model) -> String {
    let value = match SortValue::of(key, row) {
        SortValue::Text(text) => text,
        SortValue::Time(time) => time.timestamp_nanos_opt().unwrap_or_default().to_string(),
        SortValue::Rank(rank) => rank.to_string(),
    };
    format!("{}.{value}", row.id)
}

/// A cursor that does not parse (edited by hand, or from another sort) starts from the top.
pub fn decode_cursor(key: SortKey, cursor: &str) -> Option<(SortValue, i64)> {
    let (id, value) = cursor.split_once('.')?;
    let id = id.parse().ok()?;
    let value = match key {
        SortKey::Name => SortValue::Text(value.to_owned()),
        SortKey::Created | SortKey::Activity => SortValue::Time(DateTime::from_timestamp_nanos(value.parse().ok()?)),
        SortKey::Status => SortValue::Rank(value.parse().ok()?),
    };
    Some((value, id))
}

fn sort_column(key: SortKey) -> Column {
    match key {
        SortKey::Name => Column::Name,
        SortKey::Created => Column::CreatedAt,
        SortKey::Activity => Column::LastActivityAt,
        SortKey::Status => Column::StatusRank,
    }
}

/// The `ORDER BY` terms of a page: the sort column, then the id.
///
/// A search on PostgreSQL orders by the same values through no-op expressions (`name || ''`,
/// `id + 0`), which no index matches. Otherwise the planner, which cannot estimate how rare a
/// trigram match is, may walk the sort index and test every row against the search (80 ms for a
/// rare phone number at 100,000 clients, seconds at a million) instead of asking the trigram index
/// for the matches and sorting those (a few ms).
pub fn order_terms(backend: DatabaseBackend, query: &ClientQuery, column: Column) -> [SimpleExpr; 2] {
    let fenced = backend == DatabaseBackend::Postgres && !search_words(&query.q).is_empty();
    let term = |column: Column| -> SimpleExpr {
        let qualified = Expr::col((entity::Entity, column));
        if !fenced {
            return qualified;
        }
        let name = sea_orm::IdenStatic::as_str(&column);
        match column {
            Column::Name => Expr::cust(format!("(\"clients\".\"{name}\" || '')")),
            Column::CreatedAt | Column::LastActivityAt => {
                Expr::cust(format!("(\"clients\".\"{name}\" + interval '0 seconds')"))
            }
            _ => Expr::cust(format!("(\"clients\".\"{name}\" + 0)")),
        }
    };
    [term(column), term(Column::Id)]
}

/// Search words: each must appear in the name, email, phone or company. (No stored text holds a
/// NUL, which PostgreSQL refuses in a string.)
fn search_words(q: &str) -> Vec<String> {
    q.split(|c: char| c.is_whitespace() || c == '\0')
        .filter(|word| !word.is_empty())
        .take(8)
        .map(str::to_lowercase)
        .collect()
}

/// Whether `q` holds a word to search for.
pub fn is_search(q: &str) -> bool {
    !search_words(q).is_empty()
}

/// SQLite's trigram index answers words of three characters or more; it needs a phrase query.
fn fts_phrase(word: &str) -> String {
    format!("\"{}\"", word.replace('"', "\"\""))
}

fn search_condition(backend: DatabaseBackend, q: &str) -> Condition {
    // Scoped: ExprTrait is implemented for every type and would shadow `Ord::max` elsewhere.
    use sea_orm::sea_query::ExprTrait as _;
    let mut condition = Condition::all();
    for word in search_words(q) {
        let indexed_by_fts = backend == DatabaseBackend::Sqlite && word.chars().count() >= 3;
        condition = condition.add(if indexed_by_fts {
            let matches = Query::select()
                .column(Alias::new("rowid"))
                .from(Alias::new("clients_fts"))
                .and_where(Expr::col(Alias::new("clients_fts")).binary(BinOper::Custom("MATCH"), fts_phrase(&word)))
                .to_owned();
            Expr::col((entity::Entity, Column::Id)).in_subquery(matches)
        } else if backend == DatabaseBackend::Postgres {
            // The pg_trgm GIN index on this very expression. The pattern is written into the
            // statement (quoted by sea-query), not bound: a prepared statement switches to a
            // generic plan after five runs, and planned without the pattern a search's count read
            // every row of the owner instead of asking the index (27 ms instead of 3 at 100k).
            let pattern = PostgresQueryBuilder.value_to_string(&Value::from(like_pattern(&word)));
            Expr::cust(format!("({}) LIKE {pattern} ESCAPE E'\\\\'", migration::CLIENT_SEARCH_EXPRESSION))
        } else {
            Expr::cust(migration::CLIENT_SEARCH_EXPRESSION).like(LikeExpr::new(like_pattern(&word)).escape('\\'))
        });
    }
    condition
}

/// The clients list's search condition for `q` as SQL, its values written in (quoted), over the
/// columns of a table named `clients`: for a statement elsewhere that joins the clients.
pub fn search_condition_sql(backend: DatabaseBackend, q: &str) -> String {
    let select =
        Query::select().expr(Expr::cust("1")).from(entity::Entity).cond_where(search_condition(backend, q)).to_owned();
    let sql = match backend {
        DatabaseBackend::Postgres => select.to_string(PostgresQueryBuilder),
        _ => select.to_string(sea_orm::sea_query::SqliteQueryBuilder),
    };
    // The statement's own WHERE is the first (a subquery's comes later in the condition).
    sql.split_once(" WHERE ").map_or_else(|| "1 = 1".to_owned(), |(_, condition)| condition.to_owned())
}

/// The statement of the ids of the clients (of `owner`, when given) that the search `q` finds,
/// with the clients list's own index-backed condition, written out with its values quoted: for a
/// page elsewhere (the inbox) that searches clients inside a query of its own.
pub fn matching_ids_sql(backend: DatabaseBackend, owner: Option<i64>, q: &str) -> String {
    let mut select = Query::select()
        .column((entity::Entity, Column::Id))
        .from(entity::Entity)
        .cond_where(search_condition(backend, q))
        .to_owned();
    if let Some(owner) = owner {
        use sea_orm::sea_query::ExprTrait as _;
        select.and_where(Expr::col((entity::Entity, Column::OwnerId)).eq(owner));
    }
    match backend {
        DatabaseBackend::Postgres => select.to_string(PostgresQueryBuilder),
        _ => select.to_string(sea_orm::sea_query::SqliteQueryBuilder),
    }
}

/// Scope and filters, without sort or page.
pub fn filtered(backend: DatabaseBackend, user: &CurrentUser, query: &ClientQuery) -> Select<entity::Entity> {
    let mut select = entity::Entity::find();
    if user.is_admin() {
        if let Some(owner) = query.owner {
            select = select.filter(Column::OwnerId.eq(owner));
        }
    } else {
        select = select.filter(Column::OwnerId.eq(user.id));
    }
    if let Some(status) = query.status_filter() {
        select = select.filter(Column::Status.eq(status));
    }
    if let Some(strategy) = query.strategy {
        select = select.filter(Column::StrategyId.eq(strategy));
    }
    let (from, to) = query.created_days();
    let zone = crate::server::local_time::zone(&user.timezone);
    if let Some(from) = from {
        select = select.filter(Column::CreatedAt.gte(crate::server::local_time::day_start(zone, from)));
    }
    if let Some(to) = to.and_then(|to| to.succ_opt()) {
        select = select.filter(Column::CreatedAt.lt(crate::server::local_time::day_start(zone, to)));
    }
    if !query.q.trim().is_empty() {
        select = select.filter(search_condition(backend, &query.q));
    }
    select
}

pub struct Window {
    pub rows: Vec<entity::Model>,
    pub next: Option<String>,
    pub prev: Option<String>,
    /// How many rows match the filters on every page, when finding the page counted them anyway.
    pub matches: Option<Total>,
}

/// One page of rows in display order, with the cursors of its neighbours.
pub async fn page<C: ConnectionTrait>(db: &C, user: &CurrentUser, query: &ClientQuery) -> Result<Window, DbErr> {
    page_of(db, user, query, PAGE_SIZE).await
}

/// [`page`] with `size` rows a page (the CSV export walks the list in bigger pages).
pub async fn page_of<C: ConnectionTrait>(
    db: &C,
    user: &CurrentUser,
    query: &ClientQuery,
    size: u64,
) -> Result<Window, DbErr> {
    let key = query.sort_key();
    let direction = query.direction();
    let after = decode_cursor(key, &query.after);
    let before = if after.is_none() { decode_cursor(key, &query.before) } else { None };
    // Paging backwards walks the index the other way, then puts the rows back in display order.
    let walk = if before.is_some() { direction.flipped() } else { direction };
    let start = after.clone().or_else(|| before.clone());
    let (mut rows, matches) =
        if db.get_database_backend() == DatabaseBackend::Postgres && !search_words(&query.q).is_empty() {
            postgres_search(db, user, query, walk, start, size).await?
        } else {
            (plain_page(db, user, query, walk, start, size).await?, None)
        };
    let more = rows.len() as u64 > size;
    rows.truncate(usize::try_from(size).unwrap_or(usize::MAX));
    if before.is_some() {
        rows.reverse();
    }
    let first = rows.first().map(|row| encode_cursor(key, row));
    let last = rows.last().map(|row| encode_cursor(key, row));
    let (next, prev) = if before.is_some() {
        (last, if more { first } else { None })
    } else {
        (if more { last } else { None }, if after.is_some() { first } else { None })
    };
    Ok(Window { rows, next, prev, matches })
}

/// `size` + 1 rows after `start`, straight from the sort index (or, searching on SQLite, FTS5).
async fn plain_page<C: ConnectionTrait>(
    db: &C,
    user: &CurrentUser,
    query: &ClientQuery,
    walk: Direction,
    start: Option<(SortValue, i64)>,
    size: u64,
) -> Result<Vec<entity::Model>, DbErr> {
    let backend = db.get_database_backend();
    let [by_value, by_id] = order_terms(backend, query, sort_column(query.sort_key()));
    filtered_after(backend, user, query, walk, start)
        .order_by(by_value, order(walk))
        .order_by(by_id, order(walk))
        .limit(size + 1)
        .all(db)
        .await
}

/// A search on PostgreSQL, in the fewest statements for how common its words are:
/// - at most [`SEARCH_COUNT_LIMIT`] matches (a name, a phone number, two words): one statement
///   finds them all with the trigram index, counts them and sorts out the page;
/// - more: the [`SEARCH_WINDOW`] rows next in the sort hold the page when the words are common
///   there; otherwise the trigram index's matches are sorted.
async fn postgres_search<C: ConnectionTrait>(
    db: &C,
    user: &CurrentUser,
    query: &ClientQuery,
    walk: Direction,
    start: Option<(SortValue, i64)>,
    size: u64,
) -> Result<(Vec<entity::Model>, Option<Total>), DbErr> {
    let total = match few_matches(db, user, query, walk, start.clone(), size).await? {
        Found::All { rows, matches } => return Ok((rows, Some(Total::exact(matches)))),
        Found::Many => Some(Total::bounded(SEARCH_COUNT_LIMIT + 1, SEARCH_COUNT_LIMIT)),
        Found::Unknown => None,
    };
    if let Some(rows) = matches_in_window(db, user, query, walk, start.clone(), size).await? {
        return Ok((rows, total));
    }
    if start.is_none() {
        let (rows, matches) = all_matches_counted(db, user, query, walk, size).await?;
        return Ok((rows, Some(Total::exact(matches))));
    }
    Ok((plain_page(db, user, query, walk, start, size).await?, total))
}

fn order(walk: Direction) -> Order {
    match walk {
        Direction::Asc => Order::Asc,
        Direction::Desc => Order::Desc,
    }
}

/// [`filtered`], from the row after `start` in the `walk` direction of the sort.
fn filtered_after(
    backend: DatabaseBackend,
    user: &CurrentUser,
    query: &ClientQuery,
    walk: Direction,
    start: Option<(SortValue, i64)>,
) -> Select<entity::Entity> {
    let select = filtered(backend, user, query);
    match after_start(query.sort_key(), walk, start) {
        Some(after) => select.filter(after),
        None => select,
    }
}

/// The rows after `start` in the `walk` direction of the sort, as one row comparison, which both
/// databases answer with one range scan of the sort index.
fn after_start(key: SortKey, walk: Direction, start: Option<(SortValue, i64)>) -> Option<SimpleExpr> {
    use sea_orm::sea_query::ExprTrait as _;
    let (value, id) = start?;
    let row = Expr::tuple([Expr::col((entity::Entity, sort_column(key))), Expr::col((entity::Entity, Column::Id))]);
    let start = Expr::tuple([Expr::val(value.into_value()), Expr::val(id)]);
    Some(if walk == Direction::Asc { row.gt(start) } else { row.lt(start) })
}

/// A row of a search's page and the number of matches on every page.
struct CountedRow {
    row: entity::Model,
    matches: i64,
}

impl FromQueryResult for CountedRow {
    fn from_query_result(result: &sea_orm::QueryResult, prefix: &str) -> Result<Self, DbErr> {
        Ok(CountedRow {
            row: entity::Model::from_query_result(result, prefix)?,
            matches: result.try_get(prefix, "matches")?,
        })
    }
}

/// What [`few_matches`] learnt.
enum Found {
    /// Every match is known: the page and their number.
    All { rows: Vec<entity::Model>, matches: u64 },
    /// More than [`SEARCH_COUNT_LIMIT`] rows match.
    Many,
    /// The page after the cursor is empty, which says nothing of the number.
    Unknown,
}

/// Up to [`SEARCH_COUNT_LIMIT`] + 1 matches from the trigram index, counted, and the page of them
/// after `start`. Rare words are answered in this one statement, which reads each match once.
async fn few_matches<C: ConnectionTrait>(
    db: &C,
    user: &CurrentUser,
    query: &ClientQuery,
    walk: Direction,
    start: Option<(SortValue, i64)>,
    size: u64,
) -> Result<Found, DbErr> {
    let backend = db.get_database_backend();
    let key = query.sort_key();
    let found = filtered(backend, user, query).limit(SEARCH_COUNT_LIMIT + 1).into_query();
    // Each level is named like the table, so that the cursor and order expressions read its columns.
    let counted = Query::select()
        .column(Asterisk)
        .expr_as(Expr::cust("COUNT(*) OVER ()"), Alias::new("matches"))
        .from_subquery(found, entity::Entity)
        .to_owned();
    let [by_value, by_id] = order_terms(backend, query, sort_column(key));
    let mut page = Query::select();
    page.column(Asterisk).from_subquery(counted, entity::Entity);
    if let Some(after) = after_start(key, walk, start.clone()) {
        page.and_where(after);
    }
    page.order_by_expr(by_value, order(walk)).order_by_expr(by_id, order(walk)).limit(size + 1);
    let rows = CountedRow::find_by_statement(backend.build(&page)).all(db).await?;
    let Some(first) = rows.first() else {
        return Ok(if start.is_none() { Found::All { rows: Vec::new(), matches: 0 } } else { Found::Unknown });
    };
    let matches = first.matches.max(0) as u64;
    if matches > SEARCH_COUNT_LIMIT {
        return Ok(Found::Many);
    }
    Ok(Found::All { rows: rows.into_iter().map(|counted| counted.row).collect(), matches })
}

/// A first page of matches from the trigram index, with their number. Sorting them reads every
/// match, so counting them in the same statement (`COUNT(*) OVER ()`) is free and exact, where a
/// separate count would scan the index again.
async fn all_matches_counted<C: ConnectionTrait>(
    db: &C,
    user: &CurrentUser,
    query: &ClientQuery,
    walk: Direction,
    size: u64,
) -> Result<(Vec<entity::Model>, u64), DbErr> {
    let backend = db.get_database_backend();
    let [by_value, by_id] = order_terms(backend, query, sort_column(query.sort_key()));
    let counted = filtered(backend, user, query)
        .column_as(Expr::cust("COUNT(*) OVER ()"), "matches")
        .order_by(by_value, order(walk))
        .order_by(by_id, order(walk))
        .limit(size + 1)
        .into_model::<CountedRow>()
        .all(db)
        .await?;
    let matches = counted.first().map_or(0, |first| first.matches.max(0) as u64);
    Ok((counted.into_iter().map(|counted| counted.row).collect(), matches))
}

/// The page of a common search from the [`SEARCH_WINDOW`] rows that come next in the sort (one
/// range scan of the sort index), when `size` + 1 of them match: found without reading and sorting
/// the thousands of matches ("silva" matches 3% of a million clients: about 4 ms instead of 25–50).
/// `None` when the window holds fewer.
async fn matches_in_window<C: ConnectionTrait>(
    db: &C,
    user: &CurrentUser,
    query: &ClientQuery,
    walk: Direction,
    start: Option<(SortValue, i64)>,
    size: u64,
) -> Result<Option<Vec<entity::Model>>, DbErr> {
    let backend = db.get_database_backend();
    let key = query.sort_key();
    let unsearched = ClientQuery { q: String::new(), ..query.clone() };
    let [by_value, by_id] = order_terms(backend, &unsearched, sort_column(key));
    let window = filtered_after(backend, user, &unsearched, walk, start)
        .order_by(by_value.clone(), order(walk))
        .order_by(by_id.clone(), order(walk))
        .limit(SEARCH_WINDOW)
        .into_query();
    // Named like the table, so that the search and order expressions read the window's columns.
    let matches = Query::select()
        .column(Asterisk)
        .from_subquery(window, entity::Entity)
        .cond_where(search_condition(backend, &query.q))
        .order_by_expr(by_value, order(walk))
        .order_by_expr(by_id, order(walk))
        .limit(size + 1)
        .to_owned();
    let rows = entity::Model::find_by_statement(backend.build(&matches)).all(db).await?;
    Ok((rows.len() as u64 > size).then_some(rows))
}

/// How far counting goes before the list says "N+". A search stops sooner: each match it counts
/// is a row read to confirm it, where the other filters count index entries.
fn count_limit(query: &ClientQuery) -> u64 {
    if search_words(&query.q).is_empty() { COUNT_LIMIT } else { SEARCH_COUNT_LIMIT }
}

/// Matching rows, counted up to [`count_limit`] + 1: exact for ordinary lists, and "10,000+"
/// without counting a million rows for huge ones.
pub async fn bounded_count<C: ConnectionTrait>(
    db: &C,
    user: &CurrentUser,
    query: &ClientQuery,
) -> Result<Total, DbErr> {
    let limit = count_limit(query);
    let inner =
        filtered(db.get_database_backend(), user, query).select_only().column(Column::Id).limit(limit + 1).into_query();
    let statement = Query::select().expr(Expr::cust("COUNT(*)")).from_subquery(inner, Alias::new("bounded")).to_owned();
    let row = db.query_one_raw(db.get_database_backend().build(&statement)).await?;
    let counted = row.and_then(|row| row.try_get_by_index::<i64>(0).ok()).unwrap_or(0).max(0) as u64;
    Ok(Total::bounded(counted, limit))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_for_every_sort() {
        let now = DateTime::from_timestamp_nanos(1_764_000_000_123_456_789);
        let row = entity::Model {
            id: 42,
            owner_id: 1,
            strategy_id: 1,
            name: "Ana. Lima".into(),
            email: None,
            phone: None,
            company: None,
            position: None,
            external_id: None,
            status: "won".into(),
            notes: None,
            last_message: None,
            last_message_at: None,
            created_at: now,
            updated_at: now,
            status_rank: 4,
            worked_at: None,
            last_activity_at: now,
            timezone: None,
        };
        for key in SortKey::ALL {
            let cursor = encode_cursor(key, &row);
            let (value, id) = decode_cursor(key, &cursor).unwrap();
            assert_eq!((value, id), (SortValue::of(key, &row), 42), "{key:?}");
        }
        assert_eq!(decode_cursor(SortKey::Created, "x.1"), None);
        assert_eq!(decode_cursor(SortKey::Created, "5.soon"), None);
    }

    #[test]
    fn fts_phrases_quote_their_quotes() {
        assert_eq!(fts_phrase("say \"hi\""), "\"say \"\"hi\"\"\"");
    }
}
