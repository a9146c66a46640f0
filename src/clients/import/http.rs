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
    shared::AppError,
    users::model::CurrentUser,
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

fn interrupted() -> (StatusCode, String) {
    (StatusCode::BAD_REQUEST, "The upload was interrupted; try again.".to_owned())
}

fn no_file() -> (StatusCode, String) {
    (StatusCode::UNPROCESSABLE_ENTITY, "Choose a CSV file to upload.".to_owned())
}

fn refusal(error: &AppError) -> (StatusCode, String) {
    let status = StatusCode::from_u16(error.status_code()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, error.field_message("file").map(str::to_owned).unwrap_or_else(|| error.to_string()))
}

/// Stores the `file` field as it arrives, a network chunk at a time (see `storage::Upload`):
/// the server never holds more than about a stored piece of it. Refuses it as soon as it passes
/// [`MAX_UPLOAD_BYTES`] or fails a check, deleting what was stored. Returns the draft's id.
async fn receive(
    state: &AppState,
    user: &CurrentUser,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<i64, (StatusCode, String)> {
    let mut multipart =
        multipart.map_err(|_| (StatusCode::BAD_REQUEST, "Send the file as a multipart form upload.".to_owned()))?;
    let mut field = loop {
        match multipart.next_field().await {
            Ok(Some(field)) if field.name() == Some("file") => break field,
            Ok(Some(_)) => continue,
            Ok(None) => return Err(no_file()),
            Err(error) if error.status() == StatusCode::PAYLOAD_TOO_LARGE => return Err(too_big()),
            Err(_) => return Err(interrupted()),
        }
    };
    let name = field.file_name().unwrap_or_default().to_owned();
    let mut upload = service::begin_upload(state, user, &name).await.map_err(|error| refusal(&error))?;
    let mut received = 0usize;
    let outcome = loop {
        let chunk = match field.chunk().await {
            Ok(Some(chunk)) => chunk,
            Ok(None) => break Ok(()),
            Err(error) if error.status() == StatusCode::PAYLOAD_TOO_LARGE => break Err(too_big()),
            Err(_) => break Err(interrupted()),
        };
        received += chunk.len();
        if received > MAX_UPLOAD_BYTES {
            break Err(too_big());
        }
        if let Err(error) = upload.write(&state.db, &chunk).await {
            break Err(refusal(&error));
        }
    };
    let outcome = match outcome {
        Ok(()) if received == 0 && name.is_empty() => Err(no_file()),
        other => other,
    };
    if let Err(refused) = outcome {
        if let Err(error) = upload.abandon(&state.db).await {
            tracing::warn!(%error, "could not delete a refused upload");
        }
        return Err(refused);
    }
    service::complete_upload(state, user, &mut upload).await.map_err(|error| refusal(&error))
}

/// `POST /clients/imports`: checks the file and stores it as a draft, then sends the browser to
/// its mapping page (303). A refused file leaves nothing stored.
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
    if let Err(error) = service::check_quota(&state.db, user.id, 0, None).await {
        let (status, message) = refusal(&error);
        return refuse(&headers, status, &message);
    }
    match receive(&state, &user, multipart).await {
        Ok(id) => (StatusCode::SEE_OTHER, [(header::LOCATION, format!("/clients/imports/{id}"))]).into_response(),
        Err((status, message)) => refuse(&headers, status, &message),
    }
}

/// A request body that hands on one network chunk per poll. The multipart parser reads every
/// chunk that is ready before it yields any of the file, so a fast client would otherwise have
/// the whole upload buffered; this way it holds one chunk, which is stored before the next is read.
struct OneChunkPerPoll<S> {
    inner: S,
    handed_one: bool,
}

impl<S: futures::Stream + Unpin> futures::Stream for OneChunkPerPoll<S> {
    type Item = S::Item;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        if std::mem::take(&mut self.handed_one) {
            cx.waker().wake_by_ref();
            return std::task::Poll::Pending;
        }
        let item = std::pin::Pin::new(&mut self.inner).poll_next(cx);
        self.handed_one = matches!(item, std::task::Poll::Ready(Some(_)));
        item
    }
}

/// The upload route's body, read as [`OneChunkPerPoll`].
pub async fn one_chunk_per_poll(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let request =
        request.map(|body| Body::from_stream(OneChunkPerPoll { inner: body.into_data_stream(), handed_one: false }));
    next.run(request).await
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
