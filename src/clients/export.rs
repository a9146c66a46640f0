//! `GET /clients/export.csv?<list query>`: the clients the list shows with the same filters and
//! sort, as CSV, streamed. Rows are read by the list's own keyset pages, 1,000 at a time, and
//! written as they come, so a million clients never sit in memory together.
use axum::{
    body::{Body, Bytes},
    extract::{RawQuery, State},
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use futures::stream::{self, Stream};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
use std::collections::HashMap;
use tower_sessions::Session;

use super::{list_query, model::ClientQuery, model::status_label};
use crate::{
    server::state::AppState,
    shared::AppError,
    strategies::entity as strategies,
    users::{entity as users, model::CurrentUser},
};

/// Rows fetched per query.
pub const EXPORT_BATCH: u64 = 1_000;

/// A cell a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, or a leading tab or carriage
/// return, OWASP's "CSV injection") gets a leading apostrophe, which spreadsheets show as text.
/// The importer takes it off again (`import::model::cell_value`), so exported files import back.
/// A number (a phone number such as `+44 20 7946 0000`, `-12.5`) is left as it is: made of digits,
/// spaces and `+-().` only, it can call no function and reach no other cell.
pub fn neutralise(cell: &str) -> std::borrow::Cow<'_, str> {
    let is_number = |cell: &str| {
        cell.chars().any(|c| c.is_ascii_digit())
            && cell.chars().all(|c| c.is_ascii_digit() || matches!(c, ' ' | '+' | '-' | '(' | ')' | '.'))
    };
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) && !is_number(cell) {
        std::borrow::Cow::Owned(format!("'{cell}"))
    } else {
        std::borrow::Cow::Borrowed(cell)
    }
}

/// Rows as CSV (RFC 4180 quoting by the csv crate), every cell neutralised.
pub fn csv_lines<I, R, S>(rows: I) -> Result<Bytes, csv::Error>
where
    I: IntoIterator<Item = R>,
    R: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let mut writer = csv::WriterBuilder::new().flexible(true).from_writer(Vec::new());
    for row in rows {
        let cells: Vec<String> = row.into_iter().map(|cell| neutralise(cell.as_ref()).into_owned()).collect();
        writer.write_record(&cells)?;
    }
    writer.into_inner().map(Bytes::from).map_err(|error| csv::Error::from(error.into_error()))
}

/// A streamed CSV download named `{stem}-YYYY-MM-DD.csv`.
pub fn attachment(stem: &str, body: Body) -> Response {
    let name = format!("{stem}-{}.csv", chrono::Utc::now().format("%Y-%m-%d"));
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

/// An error as a plain response with its status (these routes are downloads, not pages).
pub fn error_response(error: AppError) -> Response {
    let status = StatusCode::from_u16(error.status_code()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, error.to_string()).into_response()
}

/// Excel reads a UTF-8 file as UTF-8 only after this byte-order mark.
const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// The header; the times' column names say the zone they are in (the reader's own).
fn header_row(admin: bool, zone: chrono_tz::Tz) -> Vec<String> {
    let mut header: Vec<String> =
        ["Name", "Email", "Phone", "Company", "Position", "External id", "Status", "Strategy", "Notes"]
            .map(str::to_owned)
            .to_vec();
    if admin {
        header.push("Owner".to_owned());
    }
    header.extend([format!("Created ({zone})"), format!("Last activity ({zone})")]);
    header
}

struct Cursor {
    state: AppState,
    user: CurrentUser,
    query: ClientQuery,
    started: bool,
    done: bool,
}

async fn names<E>(
    state: &AppState,
    select: sea_orm::Select<E>,
    id: E::Column,
    name: E::Column,
    ids: Vec<i64>,
) -> Result<HashMap<i64, String>, AppError>
where
    E: EntityTrait,
{
    Ok(select
        .filter(id.is_in(ids))
        .select_only()
        .columns([id, name])
        .into_tuple::<(i64, String)>()
        .all(&state.db)
        .await?
        .into_iter()
        .collect())
}

/// The next chunk of the file: the header first, then one batch of rows a time.
async fn next_chunk(cursor: &mut Cursor) -> Result<Option<Bytes>, AppError> {
    let admin = cursor.user.is_admin();
    let zone = crate::server::local_time::zone(&cursor.user.timezone);
    if !cursor.started {
        cursor.started = true;
        let mut bytes = UTF8_BOM.to_vec();
        bytes.extend_from_slice(&csv_lines([header_row(admin, zone)]).map_err(|_| AppError::Internal)?);
        return Ok(Some(Bytes::from(bytes)));
    }
    if cursor.done {
        return Ok(None);
    }
    let window = list_query::page_of(&cursor.state.db, &cursor.user, &cursor.query, EXPORT_BATCH).await?;
    match window.next {
        Some(next) => cursor.query.after = next,
        None => cursor.done = true,
    }
    if window.rows.is_empty() {
        return Ok(None);
    }
    let mut strategy_ids: Vec<i64> = window.rows.iter().map(|row| row.strategy_id).collect();
    strategy_ids.sort_unstable();
    strategy_ids.dedup();
    let strategy_names = names(
        &cursor.state,
        strategies::Entity::find(),
        strategies::Column::Id,
        strategies::Column::Name,
        strategy_ids,
    )
    .await?;
    let owner_names = if admin {
        let mut owner_ids: Vec<i64> = window.rows.iter().map(|row| row.owner_id).collect();
        owner_ids.sort_unstable();
        owner_ids.dedup();
        names(&cursor.state, users::Entity::find(), users::Column::Id, users::Column::Name, owner_ids).await?
    } else {
        HashMap::new()
    };
    let mut logged =
        super::notes::service::texts_of(&cursor.state.db, window.rows.iter().map(|row| row.id).collect(), zone).await?;
    let rows = window.rows.into_iter().map(|row| {
        // The notes given when the client was added, then the log, oldest first.
        let notes = match (row.notes, logged.remove(&row.id)) {
            (Some(initial), Some(log)) if !initial.trim().is_empty() => format!("{initial}\n\n{log}"),
            (initial, log) => log.or(initial).unwrap_or_default(),
        };
        let mut cells = vec![
            row.name,
            row.email.unwrap_or_default(),
            row.phone.unwrap_or_default(),
            row.company.unwrap_or_default(),
            row.position.unwrap_or_default(),
            row.external_id.unwrap_or_default(),
            status_label(&row.status).to_owned(),
            strategy_names.get(&row.strategy_id).cloned().unwrap_or_default(),
            notes,
        ];
        if admin {
            cells.push(owner_names.get(&row.owner_id).cloned().unwrap_or_default());
        }
        cells.push(crate::server::local_time::format_for_files(row.created_at, zone));
        cells.push(crate::server::local_time::format_for_files(row.last_activity_at, zone));
        cells
    });
    Ok(Some(csv_lines(rows).map_err(|_| AppError::Internal)?))
}

/// The export as a stream of CSV chunks. A database error mid-way ends the stream with an error,
/// so the download fails visibly rather than stopping short.
pub fn stream_clients(
    state: AppState,
    user: CurrentUser,
    query: ClientQuery,
) -> impl Stream<Item = Result<Bytes, std::io::Error>> + Send {
    let cursor = Cursor { state, user, query: query.first_page(), started: false, done: false };
    stream::unfold(Some(cursor), |cursor| async move {
        let mut cursor = cursor?;
        match next_chunk(&mut cursor).await {
            Ok(Some(bytes)) => Some((Ok(bytes), Some(cursor))),
            Ok(None) => None,
            Err(error) => Some((Err(std::io::Error::other(error.to_string())), None)),
        }
    })
}

fn query_of(raw: Option<&str>) -> ClientQuery {
    let pairs: Vec<(String, String)> =
        url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes()).into_owned().collect();
    ClientQuery::from_pairs(|key| pairs.iter().find(|(k, _)| k == key).map(|(_, value)| value.clone()))
}

pub async fn export_clients(State(state): State<AppState>, session: Session, RawQuery(raw): RawQuery) -> Response {
    let user = match crate::users::auth::require_user(&state, &session).await {
        Ok(user) => user,
        Err(error) => return error_response(error),
    };
    let query = query_of(raw.as_deref());
    if let Err(error) = crate::shared::search::check_search(&query.q) {
        return error_response(error);
    }
    // Fused: the compression layer may poll a finished body again, which `unfold` answers with a panic.
    use futures::StreamExt as _;
    attachment("clients", Body::from_stream(stream_clients(state, user, query).fuse()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised_and_cells_quoted() {
        let bytes = csv_lines([["=SUM(A1)", "Ana, \"Jr\"", "+351 912", "plain", "line\nbreak"]]).unwrap();
        assert_eq!(
            std::str::from_utf8(&bytes).unwrap(),
            "'=SUM(A1),\"Ana, \"\"Jr\"\"\",+351 912,plain,\"line\nbreak\"\n"
        );
        assert_eq!(neutralise("@cmd"), "'@cmd");
        assert_eq!(neutralise("-1"), "-1");
        assert_eq!(neutralise("+44 (20) 7946-0000"), "+44 (20) 7946-0000");
        // Anything beyond a number's characters can be a formula.
        assert_eq!(neutralise("+1+cmd|' /C calc'!A0"), "'+1+cmd|' /C calc'!A0");
        assert_eq!(neutralise("-2+3*SUM(A1)"), "'-2+3*SUM(A1)");
        assert_eq!(neutralise("+"), "'+");
        assert_eq!(neutralise("=1"), "'=1");
    }

    #[test]
    fn the_query_string_is_the_lists() {
        let query = query_of(Some("q=acme%20co&status=won&sort=name&after=5.x"));
        assert_eq!(query.q, "acme co");
        assert_eq!(query.status, "won");
        assert_eq!(query.first_page().after, "");
    }
}
