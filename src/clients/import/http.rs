//! The import's plain axum routes: `POST /clients/imports` takes the file (multipart, works
//! without JavaScript) and `GET /clients/imports/{id}/errors.csv` streams the rows it could not
//! import. Both authenticate through the session; the upload, being a POST, also passes the
//! router's cross-site check.
use axum::{
    body::Body,
    extract::{Multipart, Path, State, multipart::MultipartRejection},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};
use futures::stream;
use tower_sessions::Session;

use super::{model::MAX_UPLOAD_BYTES, service};
use crate::{
    clients::export::{attachment, csv_lines, error_response},
    server::state::AppState,
};

/// The request body may exceed the file by the multipart framing.
pub const UPLOAD_BODY_LIMIT: usize = MAX_UPLOAD_BYTES + 64 * 1024;

fn too_big() -> (StatusCode, String) {
    (StatusCode::PAYLOAD_TOO_LARGE, format!("The file is larger than {} MB.", MAX_UPLOAD_BYTES / (1024 * 1024)))
}

/// A browser posting the form (no JavaScript) is sent back to the upload page with the message;
/// any other caller gets the status and the message.
fn refuse(headers: &HeaderMap, status: StatusCode, message: &str) -> Response {
    let browser = headers
        .get(header::ACCEPT)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"));
    if browser {
        let encoded: String = url::form_urlencoded::byte_serialize(message.as_bytes()).collect();
        (StatusCode::SEE_OTHER, [(header::LOCATION, format!("/clients/import?error={encoded}"))]).into_response()
    } else {
        (status, message.to_owned()).into_response()
    }
}

/// Reads the `file` field into one buffer, a network chunk at a time, refusing it as soon as it
/// passes [`MAX_UPLOAD_BYTES`]: the file is held once, not as the request body and then again as
/// the field's bytes. `Err` is the status and message to refuse the upload with.
/// `size_hint` (the request's length) sizes the buffer once, so that it does not grow by copying.
async fn read_file(
    multipart: Result<Multipart, MultipartRejection>,
    size_hint: usize,
) -> Result<(String, Vec<u8>), (StatusCode, String)> {
    let mut multipart =
        multipart.map_err(|_| (StatusCode::BAD_REQUEST, "Send the file as a multipart form upload.".to_owned()))?;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => return Err((StatusCode::UNPROCESSABLE_ENTITY, "Choose a CSV file to upload.".to_owned())),
            Err(error) if error.status() == StatusCode::PAYLOAD_TOO_LARGE => return Err(too_big()),
            Err(_) => return Err((StatusCode::BAD_REQUEST, "The upload was interrupted; try again.".to_owned())),
        };
        if field.name() != Some("file") {
            continue;
        }
        let name = field.file_name().unwrap_or_default().to_owned();
        let mut field = field;
        let mut bytes: Vec<u8> = Vec::with_capacity(size_hint.min(MAX_UPLOAD_BYTES));
        loop {
            match field.chunk().await {
                Ok(Some(chunk)) => {
                    if bytes.len() + chunk.len() > MAX_UPLOAD_BYTES {
                        return Err(too_big());
                    }
                    bytes.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(error) if error.status() == StatusCode::PAYLOAD_TOO_LARGE => return Err(too_big()),
                Err(_) => return Err((StatusCode::BAD_REQUEST, "The upload was interrupted; try again.".to_owned())),
            }
        }
        if name.is_empty() && bytes.is_empty() {
            return Err((StatusCode::UNPROCESSABLE_ENTITY, "Choose a CSV file to upload.".to_owned()));
        }
        return Ok((name, bytes));
    }
}

/// `POST /clients/imports`: checks the file and stores it as a draft, then sends the browser to
/// its mapping page (303). A refused file stores nothing.
pub async fn upload(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    multipart: Result<Multipart, MultipartRejection>,
) -> Response {
    let user = match crate::users::auth::require_user(&state, &session).await {
        Ok(user) => user,
        Err(error) => return error_response(error),
    };
    // A user over the quota is refused before the file is read at all.
    if let Err(error) = service::check_quota(&state.db, user.id, 0).await {
        let status = StatusCode::from_u16(error.status_code()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        return refuse(&headers, status, &error.to_string());
    }
    let size_hint = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<usize>().ok())
        .unwrap_or(0);
    let (name, bytes) = match read_file(multipart, size_hint).await {
        Ok(file) => file,
        Err((status, message)) => return refuse(&headers, status, &message),
    };
    match service::create_draft(&state, &user, &name, bytes).await {
        Ok(id) => (StatusCode::SEE_OTHER, [(header::LOCATION, format!("/clients/imports/{id}"))]).into_response(),
        Err(error) => {
            let status = StatusCode::from_u16(error.status_code()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let message = error.field_message("file").map(str::to_owned).unwrap_or_else(|| error.to_string());
            refuse(&headers, status, &message)
        }
    }
}

/// Error rows read per query.
const REPORT_BATCH: u64 = 1_000;

/// `GET /clients/imports/{id}/errors.csv`: line, error, then the row's cells under the file's header.
pub async fn error_report(State(state): State<AppState>, session: Session, Path(id): Path<i64>) -> Response {
    let user = match crate::users::auth::require_user(&state, &session).await {
        Ok(user) => user,
        Err(error) => return error_response(error),
    };
    let import = match service::find(&state.db, &user, id).await {
        Ok(import) => import,
        Err(error) => return error_response(error),
    };
    let mut header = vec!["Line".to_owned(), "Error".to_owned()];
    header.extend(serde_json::from_str::<Vec<String>>(&import.header).unwrap_or_default());
    let first = csv_lines([header]).map_err(|error| std::io::Error::other(error.to_string()));
    let rows = stream::unfold(Some(0i64), move |after| {
        let state = state.clone();
        async move {
            let after = after?;
            match service::error_rows(&state.db, id, after, REPORT_BATCH).await {
                Ok(rows) if rows.is_empty() => None,
                Ok(rows) => {
                    let last = rows.last().map(|row| row.id);
                    let lines = rows.into_iter().map(|row| {
                        let mut cells = vec![row.row_number.to_string(), row.message];
                        cells.extend(serde_json::from_str::<Vec<String>>(&row.row_values).unwrap_or_default());
                        cells
                    });
                    let chunk = csv_lines(lines).map_err(|error| std::io::Error::other(error.to_string()));
                    Some((chunk, last))
                }
                Err(error) => Some((Err(std::io::Error::other(error.to_string())), None)),
            }
        }
    });
    use futures::StreamExt as _;
    // Fused: the compression layer may poll a finished body again, which `unfold` answers with a panic.
    let body = stream::once(async move { first }).chain(rows).fuse();
    attachment(&format!("import-{id}-errors"), Body::from_stream(body))
}
