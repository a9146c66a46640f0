//! CSV imports: store a checked upload as a draft, start it with a mapping, and run it in the
//! background in batches. A user reaches only their own imports (anyone else's is "not found")
//! and imports into their own clients.
//!
//! The file is stored apart from the import (`client_import_chunks`, about a megabyte a row), so
//! that the progress polls and the history read counters only; it is deleted once the import
//! ends, and a draft nobody starts is deleted after [`DRAFT_HOURS`] by a periodic sweep. A user
//! keeps at most [`MAX_DRAFTS_PER_USER`] drafts and [`MAX_STORED_BYTES_PER_USER`] of stored files.
//!
//! A duplicate row never destroys what a person wrote: by default it only fills the client's
//! empty fields, and its notes are added below the client's own under a line that names the file
//! and the day. Replacing values is an explicit choice of the import. A row whose key matches
//! several clients is refused as ambiguous. Every change is audited with its previous value.
//!
//! Each batch is one write transaction that validates its rows with the client form's rules,
//! finds duplicates with one query, inserts new clients with a multi-row insert, updates
//! duplicates when asked, records row errors, audits, and moves the progress counters. Because
//! `processed` moves in that same transaction, an import that crashes halfway resumes after its
//! last committed batch and never adds a row twice.
use std::{collections::HashMap, sync::Arc, time::Duration};

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, EntityTrait, IntoActiveModel,
    QueryFilter, QueryOrder, QuerySelect, Set,
};

use super::{
    entity::{import, row_error},
    model::{
        DRAFT_HOURS, DUPLICATE_KEYS, HISTORY_LENGTH, IMPORT_FIELDS, ImportProgress, ImportSettings, ImportSummary,
        ImportView, MAX_DRAFTS_PER_USER, MAX_STORED_BYTES_PER_USER, ON_DUPLICATE, SEPARATORS, STATUS_DONE,
        STATUS_DRAFT, STATUS_FAILED, STATUS_QUEUED, STATUS_RUNNING, field_label, guess_mapping, row_form, row_problem,
        separator_byte, separator_value,
    },
    parse,
    storage::{self, StoredRecords, Upload},
};
use crate::{
    audit::{self, Action, Changes},
    clients::{
        entity as clients,
        model::{ClientFields, MAX_NOTES_CHARS},
        service::{CLIENT_ENTITY, creation_changes, new_client, strategy_usable_by},
    },
    server::{
        infra::Job,
        state::AppState,
        worker::{JobOutcome, PeriodicTask, QueueHandler, Shutdown, is_last_attempt},
    },
    shared::AppError,
    users::{entity as users, model::CurrentUser},
};

/// The job queue of imports; a job's payload is the import id.
pub const QUEUE: &str = "client_imports";
/// Rows per transaction: big enough for multi-row statements, small enough for steady progress.
pub const BATCH_ROWS: usize = 500;
/// An import that runs longer than this is handed to another worker, which resumes it.
const LEASE: Duration = Duration::from_secs(15 * 60);
const MAX_FILE_NAME_CHARS: usize = 255;
/// An upload not complete after this long was cut off (the server's body timeout is far shorter).
const UPLOAD_HOURS: i64 = 1;
/// How often the sweep of expired drafts runs.
const SWEEP_EVERY: Duration = Duration::from_secs(15 * 60);
/// Statuses whose file is still stored.
const STORED: [&str; 3] = [STATUS_DRAFT, STATUS_QUEUED, STATUS_RUNNING];

fn not_found() -> AppError {
    AppError::NotFound("This import".to_owned())
}

/// The import if it is `user`'s own.
pub async fn find<C: ConnectionTrait>(db: &C, user: &CurrentUser, id: i64) -> Result<import::Model, AppError> {
    import::Entity::find_by_id(id)
        .filter(import::Column::OwnerId.eq(user.id))
        .filter(import::Column::Uploading.eq(false))
        .one(db)
        .await?
        .ok_or_else(not_found)
}

fn file_name(name: &str) -> String {
    let name = name.rsplit(['/', '\\']).next().unwrap_or_default().trim();
    let name: String = name.chars().filter(|c| !c.is_control()).take(MAX_FILE_NAME_CHARS).collect();
    if name.is_empty() { "clients.csv".to_owned() } else { name }
}

/// Refuses (409) a new file of `incoming` bytes when the user already keeps
/// [`MAX_DRAFTS_PER_USER`] drafts (uploads being received count as drafts) or it would take their
/// stored files over [`MAX_STORED_BYTES_PER_USER`]. `except` is the upload being checked itself.
pub async fn check_quota<C: ConnectionTrait>(
    db: &C,
    owner_id: i64,
    incoming: u64,
    except: Option<i64>,
) -> Result<(), AppError> {
    let stored: Vec<(String, i64)> = import::Entity::find()
        .filter(import::Column::OwnerId.eq(owner_id))
        .filter(import::Column::Status.is_in(STORED))
        .filter(import::Column::Id.ne(except.unwrap_or(0)))
        .select_only()
        .columns([import::Column::Status, import::Column::FileSize])
        .into_tuple()
        .all(db)
        .await?;
    let drafts = stored.iter().filter(|(status, _)| status == STATUS_DRAFT).count() as u64;
    if drafts >= MAX_DRAFTS_PER_USER {
        return Err(AppError::Conflict(format!(
            "You already have {drafts} imports waiting to be started: start or discard one of them first \
             (see \"Recent imports\")."
        )));
    }
    let bytes: u64 = stored.iter().map(|(_, size)| count(*size)).sum();
    if bytes.saturating_add(incoming) > MAX_STORED_BYTES_PER_USER {
        return Err(AppError::Conflict(format!(
            "Your imports waiting or running already keep {} MB of files, and at most {} MB are kept: \
             start or discard a waiting import, or wait for a running one to finish.",
            bytes.div_ceil(1024 * 1024),
            MAX_STORED_BYTES_PER_USER / (1024 * 1024)
        )));
    }
    Ok(())
}

/// Starts receiving a file for `user`: refused at once when they are over the quota.
pub async fn begin_upload(state: &AppState, user: &CurrentUser, name: &str) -> Result<Upload, AppError> {
    check_quota(&state.db, user.id, 0, None).await?;
    Upload::begin(&state.db, user.id, file_name(name)).await
}

/// Ends a received file: its last checks, then the draft is shown with a guessed mapping. A
/// refused file is deleted with what was stored of it.
pub async fn complete_upload(state: &AppState, user: &CurrentUser, upload: &mut Upload) -> Result<i64, AppError> {
    let outcome = finish_upload(state, user, upload).await;
    if outcome.is_err() {
        upload.abandon(&state.db).await?;
    }
    outcome
}

async fn finish_upload(state: &AppState, user: &CurrentUser, upload: &mut Upload) -> Result<i64, AppError> {
    let (file, size) = upload.finish(&state.db).await?;
    let mapping = guess_mapping(&file.header);
    let default_strategy = crate::strategies::service::default_for(&state.db, user.id).await?;
    let txn = crate::server::db::begin_write(&state.db).await?;
    // Two uploads at once take turns here (the user's row is locked on PostgreSQL; SQLite's
    // write transaction is exclusive), so that both cannot pass the quota.
    users::Entity::find_by_id(user.id)
        .select_only()
        .column(users::Column::Id)
        .lock_exclusive()
        .into_tuple::<i64>()
        .one(&txn)
        .await?;
    check_quota(&txn, user.id, size, Some(upload.id)).await?;
    import::Entity::update_many()
        .col_expr(import::Column::Uploading, false.into())
        .col_expr(import::Column::FileSize, i64::try_from(size).unwrap_or(i64::MAX).into())
        .col_expr(import::Column::Separator, separator_value(file.separator).into())
        .col_expr(import::Column::Header, serde_json::to_string(&file.header).map_err(|_| AppError::Internal)?.into())
        .col_expr(import::Column::RowCount, i64::try_from(file.row_count).unwrap_or(i64::MAX).into())
        .col_expr(
            import::Column::Mapping,
            Some(serde_json::to_string(&mapping).map_err(|_| AppError::Internal)?).into(),
        )
        .col_expr(import::Column::StrategyId, default_strategy.into())
        .col_expr(import::Column::DuplicateKey, if mapping[1].is_some() { "email" } else { "none" }.into())
        .col_expr(import::Column::UpdatedAt, Utc::now().into())
        .filter(import::Column::Id.eq(upload.id))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(upload.id)
}

/// Checks a file held in memory and stores it as a draft, as an upload is, a piece at a time;
/// returns its id. A refused file leaves nothing stored.
pub async fn create_draft(
    state: &AppState,
    user: &CurrentUser,
    name: &str,
    bytes: impl AsRef<[u8]>,
) -> Result<i64, AppError> {
    let mut upload = begin_upload(state, user, name).await?;
    for piece in bytes.as_ref().chunks(64 * 1024) {
        if let Err(error) = upload.write(&state.db, piece).await {
            upload.abandon(&state.db).await?;
            return Err(error);
        }
    }
    complete_upload(state, user, &mut upload).await
}

fn replace_fields_of(model: &import::Model) -> Vec<String> {
    model.replace_fields.split(',').filter(|field| !field.is_empty()).map(str::to_owned).collect()
}

fn header_of(model: &import::Model) -> Vec<String> {
    serde_json::from_str(&model.header).unwrap_or_default()
}

fn mapping_of(model: &import::Model) -> Vec<Option<usize>> {
    let mut mapping: Vec<Option<usize>> =
        model.mapping.as_deref().and_then(|text| serde_json::from_str(text).ok()).unwrap_or_default();
    mapping.resize(IMPORT_FIELDS.len(), None);
    mapping
}

fn count(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

fn progress_of(model: &import::Model) -> ImportProgress {
    ImportProgress {
        status: model.status.clone(),
        row_count: count(model.row_count),
        processed: count(model.processed),
        created: count(model.created),
        updated: count(model.updated),
        skipped: count(model.skipped),
        failed: count(model.failed),
        error: model.error.clone(),
    }
}

/// The mapping page: header, the first rows, the settings and the strategies to choose from.
/// Reads the first piece of the file only.
pub async fn view(state: &AppState, user: &CurrentUser, id: i64) -> Result<ImportView, AppError> {
    let model = find(&state.db, user, id).await?;
    let preview = if model.status == STATUS_DRAFT {
        let start = storage::first_piece(&state.db, id).await?;
        let whole = i64::try_from(start.len()).unwrap_or(i64::MAX) >= model.file_size;
        parse::preview_rows(&start, separator_byte(&model.separator), whole)
    } else {
        Vec::new()
    };
    Ok(ImportView {
        id: model.id,
        file_name: model.file_name.clone(),
        header: header_of(&model),
        preview,
        mapping: mapping_of(&model),
        strategy_id: model.strategy_id,
        duplicate_key: model.duplicate_key.clone(),
        on_duplicate: model.on_duplicate.clone(),
        replace_existing: model.replace_existing,
        replace_fields: replace_fields_of(&model),
        separator: model.separator.clone(),
        strategies: crate::clients::service::strategy_choices(state, user.id).await?,
        progress: progress_of(&model),
    })
}

/// The columns a progress poll reads: status and counters, never the file or the mapping.
type ProgressRow = (String, i64, i64, i64, i64, i64, i64, Option<String>);

fn progress_columns() -> [import::Column; 8] {
    [
        import::Column::Status,
        import::Column::RowCount,
        import::Column::Processed,
        import::Column::Created,
        import::Column::Updated,
        import::Column::Skipped,
        import::Column::Failed,
        import::Column::Error,
    ]
}

fn progress_from_row(
    (status, row_count, processed, created, updated, skipped, failed, error): ProgressRow,
) -> ImportProgress {
    ImportProgress {
        status,
        row_count: count(row_count),
        processed: count(processed),
        created: count(created),
        updated: count(updated),
        skipped: count(skipped),
        failed: count(failed),
        error,
    }
}

/// What the progress page polls: one query of the status and counters.
pub async fn progress(state: &AppState, user: &CurrentUser, id: i64) -> Result<ImportProgress, AppError> {
    let row: Option<ProgressRow> = import::Entity::find_by_id(id)
        .filter(import::Column::OwnerId.eq(user.id))
        .filter(import::Column::Uploading.eq(false))
        .select_only()
        .columns(progress_columns())
        .into_tuple()
        .one(&state.db)
        .await?;
    row.map(progress_from_row).ok_or_else(not_found)
}

/// A history line as read: id, file name, upload time, then a [`ProgressRow`].
type HistoryRow = (i64, String, DateTime<Utc>, String, i64, i64, i64, i64, i64, i64, Option<String>);

/// The user's latest imports, newest first, with what each did (the files are not read).
pub async fn history(state: &AppState, user: &CurrentUser) -> Result<Vec<ImportSummary>, AppError> {
    let zone = crate::clients::detail_service::viewer_zone(&state.db, user).await?;
    let rows: Vec<HistoryRow> = import::Entity::find()
        .filter(import::Column::OwnerId.eq(user.id))
        .filter(import::Column::Uploading.eq(false))
        .select_only()
        .columns([import::Column::Id, import::Column::FileName, import::Column::CreatedAt])
        .columns(progress_columns())
        .order_by_desc(import::Column::Id)
        .limit(HISTORY_LENGTH)
        .into_tuple()
        .all(&state.db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(id, file_name, created_at, status, row_count, processed, created, updated, skipped, failed, error)| {
            ImportSummary {
                id,
                file_name,
                at: crate::server::local_time::format(created_at, zone),
                progress: progress_from_row((status, row_count, processed, created, updated, skipped, failed, error)),
            }
        })
        .collect())
}

/// Reads a draft's file again with another column separator: new header, row count and guessed
/// mapping. A separator the file cannot be read with is refused and changes nothing.
pub async fn set_separator(state: &AppState, user: &CurrentUser, id: i64, separator: &str) -> Result<(), AppError> {
    let Some((value, byte, _)) = SEPARATORS.iter().find(|(value, _, _)| *value == separator.trim()) else {
        return Err(AppError::field("separator", "Choose comma, semicolon or tab."));
    };
    let model = find(&state.db, user, id).await?;
    if model.status != STATUS_DRAFT {
        return Err(AppError::Conflict("This import has already started.".to_owned()));
    }
    let file = storage::check_stored(&state.db, id, *byte).await?;
    let mapping = guess_mapping(&file.header);
    let header = serde_json::to_string(&file.header).map_err(|_| AppError::Internal)?;
    let mapping_text = serde_json::to_string(&mapping).map_err(|_| AppError::Internal)?;
    let txn = crate::server::db::begin_write(&state.db).await?;
    let updated = import::Entity::update_many()
        .col_expr(import::Column::Separator, (*value).into())
        .col_expr(import::Column::Header, header.into())
        .col_expr(import::Column::RowCount, i64::try_from(file.row_count).unwrap_or(i64::MAX).into())
        .col_expr(import::Column::Mapping, Some(mapping_text).into())
        .col_expr(import::Column::DuplicateKey, if mapping[1].is_some() { "email" } else { "none" }.into())
        .col_expr(import::Column::UpdatedAt, Utc::now().into())
        .filter(import::Column::Id.eq(id))
        .filter(import::Column::OwnerId.eq(user.id))
        .filter(import::Column::Status.eq(STATUS_DRAFT))
        .exec(&txn)
        .await?;
    if updated.rows_affected == 0 {
        return Err(AppError::Conflict("This import has already started.".to_owned()));
    }
    txn.commit().await?;
    Ok(())
}

/// Deletes a draft and its file; an import that has started cannot be discarded.
pub async fn discard(state: &AppState, user: &CurrentUser, id: i64) -> Result<(), AppError> {
    let txn = crate::server::db::begin_write(&state.db).await?;
    let model = find(&txn, user, id).await?;
    if model.status != STATUS_DRAFT {
        return Err(AppError::Conflict("This import has already started; only a draft can be discarded.".to_owned()));
    }
    storage::drop_files(&txn, vec![id]).await?;
    import::Entity::delete_by_id(id).exec(&txn).await?;
    txn.commit().await?;
    Ok(())
}

/// Deletes the drafts created before `now` minus [`DRAFT_HOURS`], and uploads still being
/// received after [`UPLOAD_HOURS`] (their connection died with a server), with their files;
/// returns how many. Running it again (or on two servers at once) deletes nothing more.
pub async fn sweep_expired_drafts(db: &sea_orm::DatabaseConnection, now: DateTime<Utc>) -> Result<u64, AppError> {
    let cutoff = now - chrono::Duration::hours(DRAFT_HOURS);
    let upload_cutoff = now - chrono::Duration::hours(UPLOAD_HOURS);
    let txn = crate::server::db::begin_write(db).await?;
    let ids: Vec<i64> = import::Entity::find()
        .filter(import::Column::Status.eq(STATUS_DRAFT))
        .filter(Condition::any().add(import::Column::CreatedAt.lt(cutoff)).add(
            Condition::all().add(import::Column::Uploading.eq(true)).add(import::Column::CreatedAt.lt(upload_cutoff)),
        ))
        .select_only()
        .column(import::Column::Id)
        .into_tuple()
        .all(&txn)
        .await?;
    if ids.is_empty() {
        return Ok(0);
    }
    storage::drop_files(&txn, ids.clone()).await?;
    let deleted = import::Entity::delete_many().filter(import::Column::Id.is_in(ids)).exec(&txn).await?;
    txn.commit().await?;
    Ok(deleted.rows_affected)
}

/// The periodic sweep of expired drafts, run by the worker.
pub fn draft_sweep() -> PeriodicTask {
    PeriodicTask {
        name: "expired import drafts",
        every: SWEEP_EVERY,
        task: Arc::new(|state: AppState| {
            Box::pin(async move {
                let deleted = sweep_expired_drafts(&state.db, Utc::now()).await.map_err(|error| error.to_string())?;
                if deleted > 0 {
                    tracing::info!(deleted, "deleted expired import drafts");
                }
                Ok(())
            })
        }),
    }
}

/// Field key of the posted column of `IMPORT_FIELDS[index]`.
fn column_field(index: usize) -> String {
    format!("col_{}", IMPORT_FIELDS[index].0)
}

/// Checks the mapping page's choices against the file: returns the column of each field.
fn checked_mapping(settings: &ImportSettings, columns: usize) -> Result<Vec<Option<usize>>, AppError> {
    let mut errors = std::collections::BTreeMap::new();
    let mut mapping = Vec::with_capacity(IMPORT_FIELDS.len());
    for (index, posted) in settings.columns().iter().enumerate() {
        let posted = posted.trim();
        let column = if posted.is_empty() {
            None
        } else {
            match posted.parse::<usize>() {
                Ok(column) if column < columns => Some(column),
                _ => {
                    errors.insert(column_field(index), "Choose one of the file's columns.".to_owned());
                    None
                }
            }
        };
        if let Some(column) = column
            && let Some(earlier) = mapping.iter().position(|used| *used == Some(column))
        {
            errors
                .insert(column_field(index), format!("This column is already used for {}.", IMPORT_FIELDS[earlier].1));
        }
        mapping.push(column);
    }
    if mapping[0].is_none() && !errors.contains_key("col_name") {
        errors.insert("col_name".to_owned(), "Choose the column that holds the clients' names.".to_owned());
    }
    if !DUPLICATE_KEYS.iter().any(|(key, _)| *key == settings.duplicate_key) {
        errors.insert("duplicate_key".to_owned(), "Choose what makes a row a duplicate.".to_owned());
    } else if let Some(index) = IMPORT_FIELDS.iter().position(|(field, _)| *field == settings.duplicate_key)
        && mapping[index].is_none()
    {
        errors.insert(
            "duplicate_key".to_owned(),
            format!("Choose the {} column to find duplicates by it.", field_label(&settings.duplicate_key)),
        );
    }
    if !ON_DUPLICATE.iter().any(|(value, _)| *value == settings.on_duplicate) {
        errors.insert("on_duplicate".to_owned(), "Choose what to do with a duplicate.".to_owned());
    }
    if errors.is_empty() { Ok(mapping) } else { Err(AppError::Validation(errors)) }
}

/// Saves the mapping page's choices and queues the import.
pub async fn start(state: &AppState, user: &CurrentUser, id: i64, settings: &ImportSettings) -> Result<(), AppError> {
    let txn = crate::server::db::begin_write(&state.db).await?;
    let model = find(&txn, user, id).await?;
    if model.status != STATUS_DRAFT {
        return Err(AppError::Conflict("This import has already started.".to_owned()));
    }
    let mapping = checked_mapping(settings, header_of(&model).len())?;
    let strategy_id = settings.strategy_id.trim().parse::<i64>().ok();
    let usable = match strategy_id {
        Some(id) => strategy_usable_by(&txn, id, user.id).await?,
        None => false,
    };
    if !usable {
        return Err(AppError::field(
            "strategy_id",
            "Choose one of your strategies or a shared one for the new clients.",
        ));
    }
    let mut active = model.into_active_model();
    active.mapping = Set(Some(serde_json::to_string(&mapping).map_err(|_| AppError::Internal)?));
    active.strategy_id = Set(strategy_id);
    active.duplicate_key = Set(settings.duplicate_key.clone());
    active.on_duplicate = Set(settings.on_duplicate.clone());
    active.replace_existing = Set(settings.replaces_existing());
    active.replace_fields = Set(settings.replaced_fields().join(","));
    active.status = Set(STATUS_QUEUED.to_owned());
    active.updated_at = Set(Utc::now());
    active.update(&txn).await?;
    txn.commit().await?;
    if let Err(error) = state.infra.jobs.enqueue(QUEUE, &id.to_string(), Duration::ZERO).await {
        // Back to a draft, so that the user can start it again.
        import::Entity::update_many()
            .col_expr(import::Column::Status, STATUS_DRAFT.into())
            .filter(import::Column::Id.eq(id))
            .exec(&state.db)
            .await?;
        return Err(error.into());
    }
    Ok(())
}

/// The error rows of an import after row-error id `after`, in file order, at most `limit`.
pub async fn error_rows<C: ConnectionTrait>(
    db: &C,
    import_id: i64,
    after: i64,
    limit: u64,
) -> Result<Vec<row_error::Model>, AppError> {
    Ok(row_error::Entity::find()
        .filter(row_error::Column::ImportId.eq(import_id))
        .filter(row_error::Column::Id.gt(after))
        .order_by_asc(row_error::Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}

/// Records why an import stopped for good, and deletes its file.
async fn mark_failed(state: &AppState, id: i64, message: &str) -> Result<(), AppError> {
    let now = Utc::now();
    let txn = crate::server::db::begin_write(&state.db).await?;
    storage::drop_files(&txn, vec![id]).await?;
    import::Entity::update_many()
        .col_expr(import::Column::Status, STATUS_FAILED.into())
        .col_expr(import::Column::Error, message.into())
        .col_expr(import::Column::UpdatedAt, now.into())
        .col_expr(import::Column::FinishedAt, Some(now).into())
        .filter(import::Column::Id.eq(id))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(())
}

/// The worker's handler of [`QUEUE`].
pub fn queue_handler() -> QueueHandler {
    QueueHandler {
        queue: QUEUE,
        lease: LEASE,
        concurrency: 1,
        handler: Arc::new(|state: AppState, job: Job, shutdown: Shutdown| {
            Box::pin(async move {
                let Ok(id) = job.payload.trim().parse::<i64>() else {
                    tracing::warn!(payload = %job.payload, "dropping an import job without an import id");
                    return Ok(JobOutcome::Done);
                };
                match run(&state, id, &shutdown).await {
                    Ok(outcome) => Ok(outcome),
                    Err(error) if is_last_attempt(&job) => {
                        let message = format!("The import stopped after repeated errors: {error}");
                        mark_failed(&state, id, &message).await.map_err(|error| error.to_string())?;
                        Ok(JobOutcome::Done)
                    }
                    Err(error) => Err(error.to_string()),
                }
            })
        }),
    }
}

/// Row counts of one batch.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Counts {
    created: i64,
    updated: i64,
    skipped: i64,
    failed: i64,
}

/// A data row of the file: the line it starts on and its cells.
struct Row {
    line: i64,
    cells: Vec<String>,
}

/// Runs (or resumes) an import until it is done, or until shutdown is requested between batches.
pub async fn run(state: &AppState, id: i64, shutdown: &Shutdown) -> Result<JobOutcome, AppError> {
    run_batches(state, id, shutdown, usize::MAX).await
}

/// [`run`], stopping as if interrupted after `max_batches` batches (tests use it to stop an
/// import halfway, as a crash would).
pub async fn run_batches(
    state: &AppState,
    id: i64,
    shutdown: &Shutdown,
    max_batches: usize,
) -> Result<JobOutcome, AppError> {
    let Some(model) = import::Entity::find_by_id(id).one(&state.db).await? else {
        return Ok(JobOutcome::Done);
    };
    if model.status != STATUS_QUEUED && model.status != STATUS_RUNNING {
        return Ok(JobOutcome::Done);
    }
    let strategy_ok = match model.strategy_id {
        Some(strategy_id) => strategy_usable_by(&state.db, strategy_id, model.owner_id).await?,
        None => false,
    };
    if !strategy_ok {
        mark_failed(state, id, "The strategy chosen for new clients no longer exists; upload the file again.").await?;
        return Ok(JobOutcome::Done);
    }
    let plan = Plan {
        import_id: id,
        owner_id: model.owner_id,
        strategy_id: model.strategy_id.unwrap_or_default().to_string(),
        mapping: mapping_of(&model),
        duplicate_key: model.duplicate_key.clone(),
        update: model.on_duplicate == "update",
        replace_all: model.replace_existing,
        replace_fields: replace_fields_of(&model),
        notes_heading: format!("--- Imported from {} on {} ---", model.file_name, model.created_at.format("%Y-%m-%d")),
    };
    import::Entity::update_many()
        .col_expr(import::Column::Status, STATUS_RUNNING.into())
        .col_expr(import::Column::UpdatedAt, Utc::now().into())
        .filter(import::Column::Id.eq(id))
        .filter(import::Column::Status.eq(STATUS_QUEUED))
        .exec(&state.db)
        .await?;
    let mut records = StoredRecords::new(id, separator_byte(&model.separator));
    let mut consumed: i64 = 0;
    for _ in 0..max_batches {
        if shutdown.is_requested() {
            return Ok(JobOutcome::Interrupted);
        }
        let txn = crate::server::db::begin_write(&state.db).await?;
        crate::clients::service::one_batch_at_a_time(&txn).await?;
        // Locked (FOR UPDATE on PostgreSQL, the write lock on SQLite): two deliveries of one job
        // take turns, and each starts from the other's committed position.
        let Some(current) = import::Entity::find_by_id(id).lock_exclusive().one(&txn).await? else {
            return Ok(JobOutcome::Done);
        };
        if current.status != STATUS_RUNNING {
            return Ok(JobOutcome::Done);
        }
        let mut batch = Vec::with_capacity(BATCH_ROWS);
        while batch.len() < BATCH_ROWS {
            let Some(record) = records.next(&txn).await? else { break };
            if record.is_blank() {
                continue;
            }
            consumed += 1;
            if consumed <= current.processed {
                continue;
            }
            batch.push(Row { line: i64::try_from(record.line).unwrap_or(i64::MAX), cells: record.cells });
        }
        let now = Utc::now();
        let mut active = current.clone().into_active_model();
        active.updated_at = Set(now);
        if batch.is_empty() {
            active.status = Set(STATUS_DONE.to_owned());
            active.finished_at = Set(Some(now));
            // The file is not needed any more: the error report keeps the rows it lists.
            active.update(&txn).await?;
            storage::drop_files(&txn, vec![id]).await?;
            txn.commit().await?;
            return Ok(JobOutcome::Done);
        }
        let counts = apply_batch(&txn, &plan, &batch).await?;
        active.processed = Set(current.processed + batch.len() as i64);
        active.created = Set(current.created + counts.created);
        active.updated = Set(current.updated + counts.updated);
        active.skipped = Set(current.skipped + counts.skipped);
        active.failed = Set(current.failed + counts.failed);
        active.update(&txn).await?;
        txn.commit().await?;
    }
    Ok(JobOutcome::Interrupted)
}

/// What an import does with each row.
struct Plan {
    import_id: i64,
    owner_id: i64,
    strategy_id: String,
    mapping: Vec<Option<usize>>,
    duplicate_key: String,
    update: bool,
    /// Whether a duplicate replaces every field's values rather than only filling empty fields.
    replace_all: bool,
    /// Fields a duplicate replaces when not all are.
    replace_fields: Vec<String>,
    /// The line put between a client's notes and notes added by this import.
    notes_heading: String,
}

impl Plan {
    fn key_of(&self, fields: &ClientFields) -> Option<String> {
        match self.duplicate_key.as_str() {
            "email" => fields.email.clone(),
            "phone" => fields.phone.clone(),
            "external_id" => fields.external_id.clone(),
            _ => None,
        }
    }

    fn key_of_model(&self, model: &clients::Model) -> Option<String> {
        match self.duplicate_key.as_str() {
            "email" => model.email.clone(),
            "phone" => model.phone.clone(),
            "external_id" => model.external_id.clone(),
            _ => None,
        }
    }

    fn replaces(&self, field: &str) -> bool {
        self.replace_all || self.replace_fields.iter().any(|replaced| replaced == field)
    }

    fn mapped(&self, field: &str) -> bool {
        IMPORT_FIELDS.iter().position(|(key, _)| *key == field).and_then(|index| self.mapping[index]).is_some()
    }
}

/// A client a row may land on: one already stored (index into the batch's existing clients) or
/// one an earlier row of this batch adds (index into the new clients).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    Existing(usize),
    New(usize),
}

/// `added` below `existing` notes, under `heading`; nothing is added twice (a file imported
/// again leaves the notes as they are).
fn append_notes(existing: Option<&str>, added: &str, heading: &str) -> String {
    match existing.map(str::trim_end) {
        None | Some("") => added.to_owned(),
        Some(existing) if existing.contains(added) => existing.to_owned(),
        Some(existing) => format!("{existing}\n\n{heading}\n{added}"),
    }
}

/// The fields a duplicate row writes to a stored client: mapped fields with a value (a blank cell
/// erases nothing); unless the import replaces that field's values (all fields, or the fields
/// chosen one by one), only fields that are empty. Notes are
/// added below the client's own, never replaced.
fn merge_into_model(plan: &Plan, model: &mut clients::Model, fields: &ClientFields, status_given: bool) {
    if plan.replaces("name") {
        model.name = fields.name.clone();
    }
    for (field, target, value) in [
        ("email", &mut model.email, &fields.email),
        ("phone", &mut model.phone, &fields.phone),
        ("company", &mut model.company, &fields.company),
        ("position", &mut model.position, &fields.position),
        ("external_id", &mut model.external_id, &fields.external_id),
    ] {
        if plan.mapped(field) && value.is_some() && (plan.replaces(field) || target.is_none()) {
            *target = value.clone();
        }
    }
    if plan.mapped("notes")
        && let Some(added) = &fields.notes
    {
        model.notes = Some(append_notes(model.notes.as_deref(), added, &plan.notes_heading));
    }
    if status_given && plan.replaces("status") {
        model.status = fields.status.clone();
    }
}

/// A later row of the file for a client an earlier row adds: the same rules as for a stored
/// client, without a heading between the rows' notes.
fn merge_into_new(plan: &Plan, new: &mut ClientFields, fields: &ClientFields, status_given: bool) {
    if plan.replaces("name") {
        new.name = fields.name.clone();
    }
    for (field, target, value) in [
        ("email", &mut new.email, &fields.email),
        ("phone", &mut new.phone, &fields.phone),
        ("company", &mut new.company, &fields.company),
        ("position", &mut new.position, &fields.position),
        ("external_id", &mut new.external_id, &fields.external_id),
    ] {
        if value.is_some() && (plan.replaces(field) || target.is_none()) {
            *target = value.clone();
        }
    }
    if let Some(added) = &fields.notes {
        let joined = match new.notes.as_deref() {
            Some(existing) if !existing.contains(added.as_str()) => format!("{existing}\n\n{added}"),
            Some(existing) => existing.to_owned(),
            None => added.clone(),
        };
        new.notes = Some(joined);
    }
    if status_given && plan.replaces("status") {
        new.status = fields.status.clone();
    }
}

fn update_changes(from: &clients::Model, to: &clients::Model) -> Changes {
    Changes::new()
        .diff("name", from.name.clone(), to.name.clone())
        .diff("email", from.email.clone(), to.email.clone())
        .diff("phone", from.phone.clone(), to.phone.clone())
        .diff("company", from.company.clone(), to.company.clone())
        .diff("position", from.position.clone(), to.position.clone())
        .diff("external_id", from.external_id.clone(), to.external_id.clone())
        .diff("status", from.status.clone(), to.status.clone())
        .diff("notes", from.notes.clone(), to.notes.clone())
}

/// Why a row whose key several stored clients share is refused: "Email: 2 clients have this
/// email: Ana (#3), Ana B (#7). …".
fn ambiguous(plan: &Plan, existing: &[clients::Model], matches: &[usize]) -> String {
    let label = field_label(&plan.duplicate_key);
    let shown = 5;
    let mut names: Vec<String> = matches
        .iter()
        .take(shown)
        .map(|index| format!("{} (#{})", existing[*index].name, existing[*index].id))
        .collect();
    if matches.len() > shown {
        names.push(format!("and {} more", matches.len() - shown));
    }
    format!(
        "{label}: {} clients have this {}: {}. Nothing was changed; merge them, or find duplicates by another column.",
        matches.len(),
        label.to_lowercase(),
        names.join(", ")
    )
}

/// Whether adding the row's notes would take the client's notes past what the notes field holds.
fn notes_overflow(plan: &Plan, current: Option<&str>, fields: &ClientFields) -> bool {
    match &fields.notes {
        Some(added) if plan.mapped("notes") => {
            append_notes(current, added, &plan.notes_heading).chars().count() > MAX_NOTES_CHARS
        }
        _ => false,
    }
}

static NOTES_TOO_LONG: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "Notes: with this row's notes added, the client's notes would pass {} characters; nothing was changed.",
        crate::shared::numbers::group_thousands(MAX_NOTES_CHARS as u64)
    )
});

const EXTERNAL_ID_TAKEN: &str = "External id: Another client already has this external id.";

/// Validates, deduplicates and writes one batch in `txn`; returns its counts.
async fn apply_batch(txn: &DatabaseTransaction, plan: &Plan, rows: &[Row]) -> Result<Counts, AppError> {
    let mut counts = Counts::default();
    let mut errors: Vec<(i64, String, &Row)> = Vec::new();
    let mut valid: Vec<(&Row, ClientFields, bool)> = Vec::new();
    for row in rows {
        let form = row_form(&row.cells, &plan.mapping, &plan.strategy_id);
        match form.validate() {
            Ok(fields) => valid.push((row, fields, !form.status.trim().is_empty())),
            Err(_) => errors.push((row.line, row_problem(&form).unwrap_or_default(), row)),
        }
    }

    // One query finds every stored client a row of this batch may collide with.
    let keys: Vec<String> = valid.iter().filter_map(|(_, fields, _)| plan.key_of(fields)).collect();
    let external_ids: Vec<String> = valid.iter().filter_map(|(_, fields, _)| fields.external_id.clone()).collect();
    let mut any = Condition::any();
    if !external_ids.is_empty() {
        any = any.add(clients::Column::ExternalId.is_in(external_ids));
    }
    if !keys.is_empty() {
        any = any.add(match plan.duplicate_key.as_str() {
            "email" => clients::Column::Email.is_in(keys),
            "phone" => clients::Column::Phone.is_in(keys),
            _ => clients::Column::ExternalId.is_in(keys),
        });
    }
    let mut existing: Vec<clients::Model> = if any.is_empty() {
        Vec::new()
    } else {
        clients::Entity::find()
            .filter(clients::Column::OwnerId.eq(plan.owner_id))
            .filter(any)
            .order_by_asc(clients::Column::Id)
            .all(txn)
            .await?
    };
    let originals = existing.clone();
    // Every stored client with each key, oldest first: a key of several clients is ambiguous.
    let mut existing_by_key: HashMap<String, Vec<usize>> = HashMap::new();
    let mut new_by_key: HashMap<String, usize> = HashMap::new();
    let mut by_external_id: HashMap<String, Target> = HashMap::new();
    for (index, model) in existing.iter().enumerate() {
        if let Some(key) = plan.key_of_model(model) {
            existing_by_key.entry(key).or_default().push(index);
        }
        if let Some(external_id) = &model.external_id {
            by_external_id.insert(external_id.clone(), Target::Existing(index));
        }
    }

    let mut new: Vec<ClientFields> = Vec::new();
    for (row, fields, status_given) in valid {
        let key = plan.key_of(&fields);
        let matches = key.as_ref().and_then(|key| existing_by_key.get(key)).map_or(&[][..], Vec::as_slice);
        if matches.len() > 1 {
            errors.push((row.line, ambiguous(plan, &existing, matches), row));
            continue;
        }
        let target = match matches.first() {
            Some(index) => Some(Target::Existing(*index)),
            None => key.as_ref().and_then(|key| new_by_key.get(key)).map(|index| Target::New(*index)),
        };
        let external_owner = fields.external_id.as_ref().and_then(|id| by_external_id.get(id).copied());
        match target {
            Some(_) if !plan.update => counts.skipped += 1,
            Some(target) => {
                if external_owner.is_some_and(|owner| owner != target) {
                    errors.push((row.line, EXTERNAL_ID_TAKEN.to_owned(), row));
                    continue;
                }
                let current_notes = match target {
                    Target::Existing(index) => existing[index].notes.as_deref(),
                    Target::New(index) => new[index].notes.as_deref(),
                };
                if notes_overflow(plan, current_notes, &fields) {
                    errors.push((row.line, NOTES_TOO_LONG.clone(), row));
                    continue;
                }
                match target {
                    Target::Existing(index) => merge_into_model(plan, &mut existing[index], &fields, status_given),
                    Target::New(index) => merge_into_new(plan, &mut new[index], &fields, status_given),
                }
                if let Some(external_id) = &fields.external_id {
                    by_external_id.insert(external_id.clone(), target);
                }
                counts.updated += 1;
            }
            None => {
                if external_owner.is_some() {
                    errors.push((row.line, EXTERNAL_ID_TAKEN.to_owned(), row));
                    continue;
                }
                let target = Target::New(new.len());
                if let Some(key) = key {
                    new_by_key.insert(key, new.len());
                }
                if let Some(external_id) = &fields.external_id {
                    by_external_id.insert(external_id.clone(), target);
                }
                new.push(fields);
                counts.created += 1;
            }
        }
    }

    let actor = Some(plan.owner_id);
    let now = Utc::now();
    if !new.is_empty() {
        let models = new.iter().map(|fields| new_client(plan.owner_id, fields, now));
        let mut ids = clients::Entity::insert_many(models).exec_with_returning_keys(txn).await?;
        // One statement numbers its rows in order on both databases; the order in which
        // RETURNING lists them is not promised, so sort.
        ids.sort_unstable();
        let entries = ids.into_iter().zip(new.iter()).map(|(id, fields)| (id, creation_changes(fields)));
        audit::record_many(txn, actor, CLIENT_ENTITY, Action::Create, entries).await?;
    }

    let mut updates = Vec::new();
    for (original, model) in originals.iter().zip(existing) {
        let changes = update_changes(original, &model);
        if changes.is_empty() {
            continue;
        }
        let mut active = model.clone().into_active_model();
        for column in [
            clients::Column::Name,
            clients::Column::Email,
            clients::Column::Phone,
            clients::Column::Company,
            clients::Column::Position,
            clients::Column::ExternalId,
            clients::Column::Status,
            clients::Column::Notes,
        ] {
            active.reset(column);
        }
        active.updated_at = Set(now);
        active.update(txn).await?;
        updates.push((model.id, changes));
    }
    audit::record_many(txn, actor, CLIENT_ENTITY, Action::Update, updates).await?;

    counts.failed = errors.len() as i64;
    if !errors.is_empty() {
        errors.sort_by_key(|(line, _, _)| *line);
        let models: Vec<row_error::ActiveModel> = errors
            .into_iter()
            .map(|(line, message, row)| row_error::ActiveModel {
                import_id: Set(plan.import_id),
                row_number: Set(line),
                message: Set(message),
                row_values: Set(serde_json::to_string(&row.cells).unwrap_or_else(|_| "[]".to_owned())),
                ..Default::default()
            })
            .collect();
        // Four values a row: far below both databases' bound-parameter limits.
        row_error::Entity::insert_many(models).exec_without_returning(txn).await?;
    }
    Ok(counts)
}
