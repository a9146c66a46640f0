//! Clients: list, read, create, update, delete and bulk changes. A user reaches only their own
//! clients and an admin all of them; someone else's client is "not found", so ids do not leak.
//! Every change is audited in the transaction that makes it.
use std::collections::{BTreeMap, HashMap};

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, IntoActiveModel, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};

use super::{
    entity::{self, Column},
    list_query,
    model::{
        ClientFields, ClientForm, ClientHit, ClientPage, ClientQuery, ClientRow, DUPLICATE_FIELD, DUPLICATE_ID_FIELD,
        QUICK_FIND_LIMIT, QUICK_FIND_MIN_CHARS, StrategyChoice, is_status,
    },
};
use crate::{
    audit::{self, Action, Changes},
    server::{sql::is_unique_violation, state::AppState},
    shared::AppError,
    strategies::entity as strategies,
    users::{entity as users, model::CurrentUser},
};

pub const CLIENT_ENTITY: &str = "client";
/// The most clients one bulk action may change.
pub const MAX_BULK: usize = 500;

fn not_found() -> AppError {
    AppError::NotFound("This client".to_owned())
}

/// `(id, name)` of the strategies `select` finds, by name.
async fn id_and_name<C: ConnectionTrait>(
    db: &C,
    select: sea_orm::Select<strategies::Entity>,
) -> Result<Vec<StrategyChoice>, AppError> {
    Ok(select
        .select_only()
        .columns([strategies::Column::Id, strategies::Column::Name])
        .order_by_asc(strategies::Column::Name)
        .order_by_asc(strategies::Column::Id)
        .into_tuple()
        .all(db)
        .await?)
}

/// The strategies a client of `owner_id` may be given: the owner's own and the shared ones, by name.
pub async fn strategy_choices(state: &AppState, owner_id: i64) -> Result<Vec<StrategyChoice>, AppError> {
    id_and_name(&state.db, strategies::Entity::find().filter(usable_by(owner_id))).await
}

/// Strategies a client of `owner_id` may have: the owner's own, and those shared with the team.
fn usable_by(owner_id: i64) -> sea_orm::Condition {
    sea_orm::Condition::any().add(strategies::Column::OwnerId.eq(owner_id)).add(strategies::Column::Shared.eq(true))
}

/// Whether a client of `owner_id` may have strategy `strategy_id`.
pub(crate) async fn strategy_usable_by<C: ConnectionTrait>(
    db: &C,
    strategy_id: i64,
    owner_id: i64,
) -> Result<bool, AppError> {
    let found = strategies::Entity::find_by_id(strategy_id).filter(usable_by(owner_id)).count(db).await?;
    Ok(found > 0)
}

/// The list's filter choices: strategies the user can filter by and, for admins, the owners.
pub async fn filters(state: &AppState, user: &CurrentUser) -> Result<super::api::FilterChoices, AppError> {
    if !user.is_admin() {
        return Ok(super::api::FilterChoices { strategies: strategy_choices(state, user.id).await?, owners: vec![] });
    }
    let strategies = id_and_name(&state.db, strategies::Entity::find()).await?;
    let owners = users::Entity::find()
        .select_only()
        .columns([users::Column::Id, users::Column::Name])
        .order_by_asc(users::Column::Name)
        .into_tuple()
        .all(&state.db)
        .await?;
    Ok(super::api::FilterChoices { strategies, owners })
}

fn to_row(
    model: entity::Model,
    strategies: &HashMap<i64, String>,
    owners: &HashMap<i64, String>,
    zone: chrono_tz::Tz,
) -> ClientRow {
    ClientRow {
        strategy_name: strategies.get(&model.strategy_id).cloned().unwrap_or_default(),
        owner_name: owners.get(&model.owner_id).cloned(),
        id: model.id,
        name: model.name,
        email: model.email,
        phone: model.phone,
        company: model.company,
        status: model.status,
        strategy_id: model.strategy_id,
        last_activity_at: crate::server::local_time::format_date(model.last_activity_at, zone),
        created_at: crate::server::local_time::format_date(model.created_at, zone),
    }
}

fn distinct(ids: impl IntoIterator<Item = i64>) -> Vec<i64> {
    let mut ids: Vec<i64> = ids.into_iter().collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// The names of the given strategies, by id: one query (none for no ids).
pub(crate) async fn strategy_names<C: ConnectionTrait>(
    db: &C,
    ids: impl IntoIterator<Item = i64>,
) -> Result<HashMap<i64, String>, AppError> {
    let ids = distinct(ids);
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(id_and_name(db, strategies::Entity::find().filter(strategies::Column::Id.is_in(ids)))
        .await?
        .into_iter()
        .collect())
}

/// The names of the given users, by id: one query (none for no ids).
pub(crate) async fn user_names<C: ConnectionTrait>(
    db: &C,
    ids: impl IntoIterator<Item = i64>,
) -> Result<HashMap<i64, String>, AppError> {
    let ids = distinct(ids);
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(users::Entity::find()
        .filter(users::Column::Id.is_in(ids))
        .select_only()
        .columns([users::Column::Id, users::Column::Name])
        .into_tuple::<(i64, String)>()
        .all(db)
        .await?
        .into_iter()
        .collect())
}

/// One page of the list, with its strategies' and (for admins) owners' names, and its total:
/// four queries, whatever the page size. A PostgreSQL search counts its matches in passing: rare
/// words take one statement for page and total, common ones two or three.
pub async fn list(state: &AppState, user: &CurrentUser, query: &ClientQuery) -> Result<ClientPage, AppError> {
    crate::shared::search::check_search(&query.q)?;
    let window = list_query::page(&state.db, user, query).await?;
    let total = match window.matches {
        Some(total) => total,
        None => super::counts::total(&state.db, user, query).await?,
    };
    let strategies = strategy_names(&state.db, window.rows.iter().map(|row| row.strategy_id)).await?;
    let owners = if user.is_admin() {
        user_names(&state.db, window.rows.iter().map(|row| row.owner_id)).await?
    } else {
        HashMap::new()
    };
    let zone = crate::server::local_time::zone(&user.timezone);
    let rows = window.rows.into_iter().map(|row| to_row(row, &strategies, &owners, zone)).collect();
    Ok(ClientPage { rows, next: window.next, prev: window.prev, total })
}

/// The few best matches for the command palette: the most recently active first, no count.
pub async fn quick_find(state: &AppState, user: &CurrentUser, text: &str) -> Result<Vec<ClientHit>, AppError> {
    crate::shared::search::check_search(text)?;
    if text.trim().chars().count() < QUICK_FIND_MIN_CHARS {
        return Ok(Vec::new());
    }
    let query = ClientQuery { q: text.to_owned(), ..ClientQuery::default() };
    let window = list_query::page_of(&state.db, user, &query, QUICK_FIND_LIMIT).await?;
    Ok(window
        .rows
        .into_iter()
        .map(|row| {
            let detail = [row.company, row.email, row.phone].into_iter().flatten().find(|value| !value.is_empty());
            ClientHit { id: row.id, name: row.name, detail: detail.unwrap_or_default() }
        })
        .collect())
}

/// The client if `user` may reach it.
pub async fn find<C: ConnectionTrait>(db: &C, user: &CurrentUser, id: i64) -> Result<entity::Model, AppError> {
    let mut select = entity::Entity::find_by_id(id);
    if !user.is_admin() {
        select = select.filter(Column::OwnerId.eq(user.id));
    }
    select.one(db).await?.ok_or_else(not_found)
}

fn validation(errors: BTreeMap<String, String>) -> AppError {
    AppError::Validation(errors)
}

/// The strategy must be the client's owner's, or shared with the team.
async fn check_strategy<C: ConnectionTrait>(db: &C, strategy_id: i64, owner_id: i64) -> Result<(), AppError> {
    if strategy_usable_by(db, strategy_id, owner_id).await? {
        Ok(())
    } else {
        Err(AppError::field("strategy_id", "Choose one of the client owner's strategies or a shared one."))
    }
}

async fn check_external_id_free<C: ConnectionTrait>(
    db: &C,
    owner_id: i64,
    external_id: Option<&str>,
    except: Option<i64>,
) -> Result<(), AppError> {
    let Some(external_id) = external_id else { return Ok(()) };
    let mut select =
        entity::Entity::find().filter(Column::OwnerId.eq(owner_id)).filter(Column::ExternalId.eq(external_id));
    if let Some(id) = except {
        select = select.filter(Column::Id.ne(id));
    }
    if select.count(db).await? > 0 {
        return Err(AppError::field("external_id", "Another client already has this external id."));
    }
    Ok(())
}

fn external_id_conflict(error: sea_orm::DbErr) -> AppError {
    if is_unique_violation(&error) {
        AppError::field("external_id", "Another client already has this external id.")
    } else {
        AppError::from(error)
    }
}

pub(crate) fn creation_changes(fields: &ClientFields) -> Changes {
    let mut changes = Changes::new().set("name", fields.name.clone()).set("status", fields.status.clone());
    changes = changes.set("strategy_id", fields.strategy_id);
    for (field, value) in [
        ("email", &fields.email),
        ("phone", &fields.phone),
        ("company", &fields.company),
        ("position", &fields.position),
        ("external_id", &fields.external_id),
    ] {
        if let Some(value) = value {
            changes = changes.set(field, value.clone());
        }
    }
    changes
}

/// The row of a new client of `owner_id` (the form and the CSV import both add clients).
pub(crate) fn new_client(owner_id: i64, fields: &ClientFields, now: chrono::DateTime<Utc>) -> entity::ActiveModel {
    entity::ActiveModel {
        owner_id: Set(owner_id),
        strategy_id: Set(fields.strategy_id),
        name: Set(fields.name.clone()),
        email: Set(fields.email.clone()),
        phone: Set(fields.phone.clone()),
        company: Set(fields.company.clone()),
        position: Set(fields.position.clone()),
        external_id: Set(fields.external_id.clone()),
        status: Set(fields.status.clone()),
        notes: Set(fields.notes.clone()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
}

/// What `create` does when the new client's email or phone is already one of the owner's clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Duplicates {
    /// Refuse with a [`DUPLICATE_FIELD`] message naming the existing client ([`DUPLICATE_ID_FIELD`]).
    Warn,
    /// The person saw the warning and adds the client all the same.
    Allow,
}

/// The owner's oldest client with the same email or phone as `fields`, as a warning.
async fn duplicate_warning<C: ConnectionTrait>(
    db: &C,
    owner_id: i64,
    fields: &ClientFields,
) -> Result<Option<AppError>, AppError> {
    let mut same = sea_orm::Condition::any();
    if let Some(email) = &fields.email {
        same = same.add(Column::Email.eq(email.clone()));
    }
    if let Some(phone) = &fields.phone {
        same = same.add(Column::Phone.eq(phone.clone()));
    }
    if same.is_empty() {
        return Ok(None);
    }
    let existing = entity::Entity::find()
        .filter(Column::OwnerId.eq(owner_id))
        .filter(same)
        .order_by_asc(Column::Id)
        .one(db)
        .await?;
    Ok(existing.map(|client| {
        let what = if fields.email.is_some() && client.email == fields.email { "email" } else { "phone number" };
        AppError::Validation(BTreeMap::from([
            (DUPLICATE_FIELD.to_owned(), format!("{} already has this {what}.", client.name)),
            (DUPLICATE_ID_FIELD.to_owned(), client.id.to_string()),
        ]))
    }))
}

/// Creates a client owned by `user`; returns its id.
pub async fn create(
    state: &AppState,
    user: &CurrentUser,
    form: &ClientForm,
    duplicates: Duplicates,
) -> Result<i64, AppError> {
    let fields = form.validate().map_err(validation)?;
    let txn = crate::server::db::begin_write(&state.db).await?;
    not_during_a_batch(&txn).await?;
    check_strategy(&txn, fields.strategy_id, user.id).await?;
    if duplicates == Duplicates::Warn
        && let Some(warning) = duplicate_warning(&txn, user.id, &fields).await?
    {
        return Err(warning);
    }
    check_external_id_free(&txn, user.id, fields.external_id.as_deref(), None).await?;
    let id = entity::Entity::insert(new_client(user.id, &fields, Utc::now()))
        .exec(&txn)
        .await
        .map_err(external_id_conflict)?
        .last_insert_id;
    audit::record(&txn, Some(user.id), CLIENT_ENTITY, id, Action::Create, creation_changes(&fields)).await?;
    txn.commit().await?;
    Ok(id)
}

/// Saves the form over the client; only changed fields are written and audited. The notes given
/// when the client was added are not part of it: later notes go to the notes log.
pub async fn update(state: &AppState, user: &CurrentUser, id: i64, form: &ClientForm) -> Result<(), AppError> {
    let fields = form.validate().map_err(validation)?;
    let txn = crate::server::db::begin_write(&state.db).await?;
    not_during_a_batch(&txn).await?;
    let client = find(&txn, user, id).await?;
    if fields.strategy_id != client.strategy_id {
        check_strategy(&txn, fields.strategy_id, client.owner_id).await?;
    }
    check_external_id_free(&txn, client.owner_id, fields.external_id.as_deref(), Some(id)).await?;
    let changes = Changes::new()
        .diff("name", client.name.clone(), fields.name.clone())
        .diff("email", client.email.clone(), fields.email.clone())
        .diff("phone", client.phone.clone(), fields.phone.clone())
        .diff("company", client.company.clone(), fields.company.clone())
        .diff("position", client.position.clone(), fields.position.clone())
        .diff("external_id", client.external_id.clone(), fields.external_id.clone())
        .diff("status", client.status.clone(), fields.status.clone())
        .diff("strategy_id", client.strategy_id, fields.strategy_id);
    if changes.is_empty() {
        return Ok(());
    }
    let mut model = client.into_active_model();
    model.name = Set(fields.name);
    model.email = Set(fields.email);
    model.phone = Set(fields.phone);
    model.company = Set(fields.company);
    model.position = Set(fields.position);
    model.external_id = Set(fields.external_id);
    model.status = Set(fields.status);
    model.strategy_id = Set(fields.strategy_id);
    let now = Utc::now();
    model.updated_at = Set(now);
    model.worked_at = Set(Some(now));
    model.update(&txn).await.map_err(external_id_conflict)?;
    audit::record(&txn, Some(user.id), CLIENT_ENTITY, id, Action::Update, changes).await?;
    txn.commit().await?;
    Ok(())
}

/// Records that someone worked client `id` at `now` (a booking made, moved or settled for it), so
/// that its last activity moves; in the caller's transaction.
pub async fn mark_worked<C: ConnectionTrait>(db: &C, id: i64, now: chrono::DateTime<Utc>) -> Result<(), AppError> {
    entity::Entity::update_many()
        .col_expr(entity::Column::WorkedAt, now.into())
        .filter(entity::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// The clients a bulk action changes: those ticked on the page, or every client that matches the
/// list's filters ("all N matching"), read in the action's own transaction.
#[derive(Debug, Clone, Copy)]
pub enum Target<'a> {
    Ids(&'a [i64]),
    Matching(&'a ClientQuery),
}

const MANY_CLIENTS_LOCK: i64 = 0x636c_6965_6e74_7321; // "clients!"

/// Makes changes of many clients at once (bulk actions, import batches) run one after another on
/// PostgreSQL. Their triggers update shared counts row by row in the order of the clients, so two at
/// once could each hold a count the other needs next: a deadlock the database breaks by rolling one
/// back. Taken first in the transaction, before any client row is touched.
pub async fn one_batch_at_a_time<C: ConnectionTrait>(txn: &C) -> Result<(), AppError> {
    Ok(crate::server::sql::serialize_on(txn, MANY_CLIENTS_LOCK).await?)
}

/// Keeps a change of one client (a new one, the form, the AI's stage change) out of the way of a
/// change of many: it waits for a running one to finish and holds the next until this transaction
/// ends, while changes of single clients run side by side (their triggers take the counts they
/// share in one order). Otherwise a batch's row triggers could hold a count this change needs next
/// while it holds one the batch needs. Take it before touching any client or count.
pub async fn not_during_a_batch<C: ConnectionTrait>(txn: &C) -> Result<(), AppError> {
    Ok(crate::server::sql::share_on(txn, MANY_CLIENTS_LOCK).await?)
}

/// The most clients "all matching" may change at once (a change is audited row by row).
pub const MAX_BULK_MATCHING: u64 = super::model::COUNT_LIMIT;

/// The clients of `target` that `user` may change, locked in `txn`'s snapshot; refuses an empty
/// or oversized selection.
async fn selection(
    txn: &DatabaseTransaction,
    user: &CurrentUser,
    target: Target<'_>,
) -> Result<Vec<entity::Model>, AppError> {
    let ids = match target {
        Target::Ids(ids) => ids,
        Target::Matching(query) => return matching(txn, user, query).await,
    };
    if ids.is_empty() {
        return Err(AppError::field("ids", "Select at least one client."));
    }
    if ids.len() > MAX_BULK {
        return Err(AppError::field("ids", format!("Select at most {MAX_BULK} clients at a time.")));
    }
    let mut select = entity::Entity::find().filter(Column::Id.is_in(ids.to_vec()));
    if !user.is_admin() {
        select = select.filter(Column::OwnerId.eq(user.id));
    }
    let clients = select.order_by_asc(Column::Id).all(txn).await?;
    if clients.is_empty() {
        return Err(not_found());
    }
    Ok(clients)
}

/// Every client `user` may change that matches `query`'s search and filters (its page ignored).
async fn matching(
    txn: &DatabaseTransaction,
    user: &CurrentUser,
    query: &ClientQuery,
) -> Result<Vec<entity::Model>, AppError> {
    crate::shared::search::check_search(&query.q)?;
    let clients = list_query::filtered(txn.get_database_backend(), user, &query.first_page())
        .order_by_asc(Column::Id)
        .limit(MAX_BULK_MATCHING + 1)
        .all(txn)
        .await?;
    if clients.is_empty() {
        return Err(AppError::field("ids", "No client matches these filters any more."));
    }
    if clients.len() as u64 > MAX_BULK_MATCHING {
        let limit = crate::shared::numbers::group_thousands(MAX_BULK_MATCHING);
        return Err(AppError::field("ids", format!("More than {limit} clients match: narrow the filters first.")));
    }
    Ok(clients)
}

/// Moves clients to a pipeline stage; returns how many changed.
pub async fn set_status(state: &AppState, user: &CurrentUser, ids: &[i64], status: &str) -> Result<u64, AppError> {
    set_status_of(state, user, Target::Ids(ids), status).await
}

/// [`set_status`] for the ticked clients or all that match the filters, in one transaction.
pub async fn set_status_of(
    state: &AppState,
    user: &CurrentUser,
    target: Target<'_>,
    status: &str,
) -> Result<u64, AppError> {
    if !is_status(status) {
        return Err(AppError::field("status", "Choose a status from the list."));
    }
    crate::server::db::retry_when_contended(|| set_status_once(state, user, target, status)).await
}

async fn set_status_once(
    state: &AppState,
    user: &CurrentUser,
    target: Target<'_>,
    status: &str,
) -> Result<u64, AppError> {
    let txn = crate::server::db::begin_write(&state.db).await?;
    one_batch_at_a_time(&txn).await?;
    let clients = selection(&txn, user, target).await?;
    let changing: Vec<entity::Model> = clients.into_iter().filter(|client| client.status != status).collect();
    let now = Utc::now();
    let entries = changing
        .iter()
        .map(|client| (client.id, Changes::new().diff("status", client.status.clone(), status.to_owned())));
    audit::record_many(&txn, Some(user.id), CLIENT_ENTITY, Action::Update, entries).await?;
    let ids: Vec<i64> = changing.iter().map(|client| client.id).collect();
    let result = entity::Entity::update_many()
        .col_expr(Column::Status, status.into())
        .col_expr(Column::UpdatedAt, now.into())
        .col_expr(Column::WorkedAt, now.into())
        .filter(Column::Id.is_in(ids))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(result.rows_affected)
}

/// Moves one client to `status` in the caller's transaction, audited as `actor_id` (`None`: the
/// app itself, such as the AI persona). Nothing changes when it is there already. The caller takes
/// [`not_during_a_batch`] first, before its transaction touches any client.
pub async fn set_status_in<C: ConnectionTrait>(
    txn: &C,
    actor_id: Option<i64>,
    client: &entity::Model,
    status: &str,
) -> Result<(), AppError> {
    if !is_status(status) {
        return Err(AppError::field("status", "Choose a status from the list."));
    }
    if client.status == status {
        return Ok(());
    }
    let changes = Changes::new().diff("status", client.status.clone(), status.to_owned());
    audit::record(txn, actor_id, CLIENT_ENTITY, client.id, Action::Update, changes).await?;
    entity::Entity::update_many()
        .col_expr(Column::Status, status.into())
        .col_expr(Column::UpdatedAt, Utc::now().into())
        .filter(Column::Id.eq(client.id))
        .exec(txn)
        .await?;
    Ok(())
}

/// Gives clients another strategy, which must belong to every selected client's owner.
pub async fn set_strategy(
    state: &AppState,
    user: &CurrentUser,
    ids: &[i64],
    strategy_id: i64,
) -> Result<u64, AppError> {
    set_strategy_of(state, user, Target::Ids(ids), strategy_id).await
}

/// [`set_strategy`] for the ticked clients or all that match the filters, in one transaction.
pub async fn set_strategy_of(
    state: &AppState,
    user: &CurrentUser,
    target: Target<'_>,
    strategy_id: i64,
) -> Result<u64, AppError> {
    crate::server::db::retry_when_contended(|| set_strategy_once(state, user, target, strategy_id)).await
}

async fn set_strategy_once(
    state: &AppState,
    user: &CurrentUser,
    target: Target<'_>,
    strategy_id: i64,
) -> Result<u64, AppError> {
    let txn = crate::server::db::begin_write(&state.db).await?;
    one_batch_at_a_time(&txn).await?;
    let clients = selection(&txn, user, target).await?;
    for owner_id in distinct(clients.iter().map(|client| client.owner_id)) {
        if !strategy_usable_by(&txn, strategy_id, owner_id).await? {
            return Err(AppError::field(
                "strategy_id",
                "Choose a strategy of the selected clients' owner or a shared one.",
            ));
        }
    }
    let changing: Vec<entity::Model> = clients.into_iter().filter(|client| client.strategy_id != strategy_id).collect();
    let entries =
        changing.iter().map(|client| (client.id, Changes::new().diff("strategy_id", client.strategy_id, strategy_id)));
    audit::record_many(&txn, Some(user.id), CLIENT_ENTITY, Action::Update, entries).await?;
    let ids: Vec<i64> = changing.iter().map(|client| client.id).collect();
    let result = entity::Entity::update_many()
        .col_expr(Column::StrategyId, strategy_id.into())
        .col_expr(Column::UpdatedAt, Utc::now().into())
        .filter(Column::Id.is_in(ids))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(result.rows_affected)
}

/// Everything a deleted client held, for the audit log.
fn deletion_changes(client: &entity::Model) -> Changes {
    let mut changes = Changes::new()
        .removed("name", client.name.clone())
        .removed("status", client.status.clone())
        .removed("strategy_id", client.strategy_id)
        .removed("owner_id", client.owner_id);
    for (field, value) in [
        ("email", &client.email),
        ("phone", &client.phone),
        ("company", &client.company),
        ("position", &client.position),
        ("external_id", &client.external_id),
        ("notes", &client.notes),
    ] {
        if let Some(value) = value {
            changes = changes.removed(field, value.clone());
        }
    }
    changes
}

/// Deletes clients (their messages go with them; bookings stay, detached); returns how many.
pub async fn delete(state: &AppState, user: &CurrentUser, ids: &[i64]) -> Result<u64, AppError> {
    delete_of(state, user, Target::Ids(ids)).await
}

/// [`delete`] for the ticked clients or all that match the filters, in one transaction.
pub async fn delete_of(state: &AppState, user: &CurrentUser, target: Target<'_>) -> Result<u64, AppError> {
    crate::server::db::retry_when_contended(|| delete_once(state, user, target)).await
}

async fn delete_once(state: &AppState, user: &CurrentUser, target: Target<'_>) -> Result<u64, AppError> {
    let txn = crate::server::db::begin_write(&state.db).await?;
    one_batch_at_a_time(&txn).await?;
    let clients = selection(&txn, user, target).await?;
    let entries = clients.iter().map(|client| (client.id, deletion_changes(client)));
    audit::record_many(&txn, Some(user.id), CLIENT_ENTITY, Action::Delete, entries).await?;
    let ids: Vec<i64> = clients.iter().map(|client| client.id).collect();
    let result = entity::Entity::delete_many().filter(Column::Id.is_in(ids)).exec(&txn).await?;
    txn.commit().await?;
    Ok(result.rows_affected)
}

/// The form's values for an existing client.
pub fn form_of(client: &entity::Model) -> ClientForm {
    ClientForm {
        name: client.name.clone(),
        email: client.email.clone().unwrap_or_default(),
        phone: client.phone.clone().unwrap_or_default(),
        company: client.company.clone().unwrap_or_default(),
        position: client.position.clone().unwrap_or_default(),
        external_id: client.external_id.clone().unwrap_or_default(),
        status: client.status.clone(),
        strategy_id: client.strategy_id.to_string(),
        notes: client.notes.clone().unwrap_or_default(),
    }
}
