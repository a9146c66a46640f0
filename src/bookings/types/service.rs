//! Booking types of a user: list, read, create, change and delete. A user reaches only their own
//! types and an admin everyone's; a type out of reach, or deleted, is "not found". A deleted type is
//! switched off and marked, never removed, so that the bookings made with it keep it; the last type
//! of an account cannot be deleted (switching bookings off closes the public page instead).
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter,
    QueryOrder, Set,
};
use serde_json::Value;

use super::entity;
use crate::{
    audit::{self, Action, Changes},
    bookings::model::{BookingType, BookingTypeFields, LocationKind},
    server::state::AppState,
    shared::AppError,
    users::model::CurrentUser,
};

const ENTITY: &str = "booking_type";

fn not_found() -> AppError {
    AppError::NotFound("This booking type".to_owned())
}

fn minutes(value: i32) -> u32 {
    u32::try_from(value).unwrap_or(0)
}

pub fn type_of(model: &entity::Model) -> BookingType {
    BookingType {
        id: model.id,
        owner_id: model.owner_id,
        name: model.name.clone(),
        slug: model.slug.clone(),
        duration_min: minutes(model.duration_min),
        slot_interval_min: minutes(model.slot_interval_min),
        buffer_before_min: minutes(model.buffer_before_min),
        buffer_after_min: minutes(model.buffer_after_min),
        min_notice_min: minutes(model.min_notice_min),
        rolling_days: minutes(model.rolling_days),
        max_per_day: model.max_per_day.map(minutes),
        location_kind: LocationKind::parse(&model.location_kind).unwrap_or(LocationKind::Text),
        location_value: model.location_value.clone().unwrap_or_default(),
        description: model.description.clone().unwrap_or_default(),
        active: model.active,
    }
}

fn fields_of(model: &entity::Model) -> BookingTypeFields {
    type_of(model).fields()
}

fn audited(fields: &BookingTypeFields) -> [(&'static str, Value); 13] {
    [
        ("name", fields.name.clone().into()),
        ("slug", fields.slug.clone().into()),
        ("duration_min", fields.duration_min.into()),
        ("slot_interval_min", fields.slot_interval_min.into()),
        ("buffer_before_min", fields.buffer_before_min.into()),
        ("buffer_after_min", fields.buffer_after_min.into()),
        ("min_notice_min", fields.min_notice_min.into()),
        ("rolling_days", fields.rolling_days.into()),
        ("max_per_day", fields.max_per_day.into()),
        ("location_kind", fields.location_kind.as_str().into()),
        ("location_value", fields.location_value.clone().into()),
        ("description", fields.description.clone().into()),
        ("active", fields.active.into()),
    ]
}

/// Validation caps every number far below `i32::MAX`.
fn int(value: u32) -> i32 {
    i32::try_from(value).unwrap_or(i32::MAX)
}

fn optional(value: &str) -> Option<String> {
    let value = value.trim();
    (!value.is_empty()).then(|| value.to_owned())
}

fn assign(active: &mut entity::ActiveModel, fields: &BookingTypeFields) {
    active.name = Set(fields.name.trim().to_owned());
    active.slug = Set(fields.slug.clone());
    active.duration_min = Set(int(fields.duration_min));
    active.slot_interval_min = Set(int(fields.slot_interval_min));
    active.buffer_before_min = Set(int(fields.buffer_before_min));
    active.buffer_after_min = Set(int(fields.buffer_after_min));
    active.min_notice_min = Set(int(fields.min_notice_min));
    active.rolling_days = Set(int(fields.rolling_days));
    active.max_per_day = Set(fields.max_per_day.map(int));
    active.location_kind = Set(fields.location_kind.as_str().to_owned());
    active.location_value = Set(optional(&fields.location_value));
    active.description = Set(optional(&fields.description));
    active.active = Set(fields.active);
}

fn slug_taken(error: sea_orm::DbErr) -> AppError {
    if crate::server::sql::is_unique_violation(&error) {
        AppError::field("slug", "Another of your booking types has this slug.")
    } else {
        error.into()
    }
}

/// The type `id` if `user` reaches it.
pub async fn find_reachable<C: ConnectionTrait>(
    db: &C,
    user: &CurrentUser,
    id: i64,
) -> Result<entity::Model, AppError> {
    let model = entity::Entity::find_by_id(id)
        .filter(entity::Column::DeletedAt.is_null())
        .one(db)
        .await?
        .ok_or_else(not_found)?;
    if model.owner_id != user.id && !user.is_admin() {
        return Err(not_found());
    }
    Ok(model)
}

/// Inserts a type of `owner_id` and audits it, with `db` the caller's transaction.
pub async fn insert<C: ConnectionTrait>(
    db: &C,
    actor_id: Option<i64>,
    owner_id: i64,
    fields: &BookingTypeFields,
) -> Result<entity::Model, AppError> {
    let now = crate::bookings::service::now();
    let mut active = entity::ActiveModel {
        owner_id: Set(owner_id),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    assign(&mut active, fields);
    let model = active.insert(db).await.map_err(slug_taken)?;
    let changes = audited(fields).into_iter().fold(Changes::new().set("owner_id", owner_id), |c, (f, v)| c.set(f, v));
    audit::record(db, actor_id, ENTITY, model.id, Action::Create, changes).await?;
    Ok(model)
}

/// The types of `owner_id` (not deleted), by name.
pub async fn list(state: &AppState, user: &CurrentUser, owner_id: i64) -> Result<Vec<BookingType>, AppError> {
    if owner_id != user.id && !user.is_admin() {
        return Err(AppError::NotFound("This user".to_owned()));
    }
    Ok(entity::Entity::find()
        .filter(entity::Column::OwnerId.eq(owner_id))
        .filter(entity::Column::DeletedAt.is_null())
        .order_by_asc(entity::Column::Name)
        .order_by_asc(entity::Column::Id)
        .all(&state.db)
        .await?
        .iter()
        .map(type_of)
        .collect())
}

pub async fn get(state: &AppState, user: &CurrentUser, id: i64) -> Result<BookingType, AppError> {
    Ok(type_of(&find_reachable(&state.db, user, id).await?))
}

/// A new type of `owner_id` (the user, or anyone for an admin).
pub async fn create(
    state: &AppState,
    user: &CurrentUser,
    owner_id: i64,
    fields: &BookingTypeFields,
) -> Result<BookingType, AppError> {
    fields.validate().map_err(AppError::Validation)?;
    if owner_id != user.id && !user.is_admin() {
        return Err(AppError::NotFound("This user".to_owned()));
    }
    let txn = crate::server::db::begin_write(&state.db).await?;
    if crate::users::entity::Entity::find_by_id(owner_id).one(&txn).await?.is_none() {
        return Err(AppError::NotFound("This user".to_owned()));
    }
    let model = insert(&txn, Some(user.id), owner_id, fields).await?;
    txn.commit().await?;
    Ok(type_of(&model))
}

pub async fn update(
    state: &AppState,
    user: &CurrentUser,
    id: i64,
    fields: &BookingTypeFields,
) -> Result<BookingType, AppError> {
    fields.validate().map_err(AppError::Validation)?;
    let txn = crate::server::db::begin_write(&state.db).await?;
    let model = find_reachable(&txn, user, id).await?;
    let changes = audited(&fields_of(&model))
        .into_iter()
        .zip(audited(fields))
        .fold(Changes::new(), |c, ((field, from), (_, to))| c.diff(field, from, to));
    if changes.is_empty() {
        return Ok(type_of(&model));
    }
    let mut active = model.into_active_model();
    assign(&mut active, fields);
    active.updated_at = Set(crate::bookings::service::now());
    let model = active.update(&txn).await.map_err(slug_taken)?;
    audit::record(&txn, Some(user.id), ENTITY, model.id, Action::Update, changes).await?;
    txn.commit().await?;
    Ok(type_of(&model))
}

/// Deletes the type `id`: it is switched off and marked deleted, so it leaves the settings, the
/// public page and the new-booking form, while the bookings made with it keep it (their type's
/// name, buffers and feed entries). Its slug is free again. The owner's last type is refused: the
/// public page would have nothing to offer, and switching bookings off says so better.
pub async fn delete(state: &AppState, user: &CurrentUser, id: i64) -> Result<(), AppError> {
    let txn = crate::server::db::begin_write(&state.db).await?;
    let model = find_reachable(&txn, user, id).await?;
    let others = entity::Entity::find()
        .filter(entity::Column::OwnerId.eq(model.owner_id))
        .filter(entity::Column::DeletedAt.is_null())
        .filter(entity::Column::Id.ne(model.id))
        .count(&txn)
        .await?;
    if others == 0 {
        return Err(AppError::Conflict(
            "This is the last booking type, so it stays: add another first, or switch bookings off in Settings to \
             close the booking page."
                .to_owned(),
        ));
    }
    let now = crate::bookings::service::now();
    let (name, slug) = (model.name.clone(), model.slug.clone());
    let mut active = model.into_active_model();
    active.active = Set(false);
    active.deleted_at = Set(Some(now));
    active.updated_at = Set(now);
    active.update(&txn).await?;
    let changes = Changes::new().set("name", name).set("slug", slug);
    audit::record(&txn, Some(user.id), ENTITY, id, Action::Delete, changes).await?;
    txn.commit().await?;
    Ok(())
}
