//! User management for admins: list, create, change role, disable/enable, reset password.
//! Every function takes the acting admin, checked by the caller with [`super::auth::require_admin`].
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
    sea_query::{Expr, Func, LikeExpr},
};

use super::{
    auth::{EMAIL_TAKEN, email_conflict, hashing_error, new_password_problem, validate_new_account},
    entity,
    model::{CurrentUser, Role, normalize_email},
    password,
    roster::{USERS_PER_PAGE, UserList, UserRow},
};
use crate::{
    audit::{self, Action, Changes},
    server::state::AppState,
    shared::AppError,
};

const USER_ENTITY: &str = "user";

fn row_of(user: entity::Model, admin: &CurrentUser) -> UserRow {
    UserRow {
        id: user.id,
        role: Role::parse(&user.role).unwrap_or(Role::User),
        active: user.is_active,
        created_on: crate::server::local_time::format_date(
            user.created_at,
            crate::server::local_time::zone(&admin.timezone),
        ),
        name: user.name,
        email: user.email,
    }
}

/// One page of users whose name or email contains `query`, by name.
pub async fn list(state: &AppState, admin: &CurrentUser, query: &str, page: u64) -> Result<UserList, AppError> {
    crate::shared::search::check_search(query)?;
    let mut select = entity::Entity::find();
    if !query.trim().is_empty() {
        // Scoped: ExprTrait is implemented for every type and would shadow `Ord::max` below.
        use sea_orm::sea_query::ExprTrait as _;
        let pattern = crate::server::sql::like_pattern(query);
        let lower = |column: entity::Column| Expr::expr(Func::lower(Expr::col(column)));
        select = select.filter(
            Condition::any()
                .add(lower(entity::Column::Name).like(LikeExpr::new(&pattern).escape('\\')))
                .add(lower(entity::Column::Email).like(LikeExpr::new(&pattern).escape('\\'))),
        );
    }
    let total = select.clone().count(&state.db).await?;
    let pages = total.div_ceil(USERS_PER_PAGE).max(1);
    let page = page.clamp(1, pages);
    let rows = select
        .order_by_asc(entity::Column::Name)
        .order_by_asc(entity::Column::Id)
        .offset((page - 1) * USERS_PER_PAGE)
        .limit(USERS_PER_PAGE)
        .all(&state.db)
        .await?
        .into_iter()
        .map(|user| row_of(user, admin))
        .collect();
    Ok(UserList { rows, total, page, pages, viewer_id: admin.id })
}

pub struct NewUser {
    pub name: String,
    pub email: String,
    pub role: String,
    pub password: String,
}

fn parse_role(role: &str) -> Result<Role, AppError> {
    Role::parse(role.trim()).ok_or_else(|| AppError::field("role", "Choose admin or user."))
}

pub async fn create(state: &AppState, admin: &CurrentUser, input: NewUser) -> Result<UserRow, AppError> {
    let role = parse_role(&input.role);
    let account = validate_new_account(&input.name, &input.email, &input.password);
    let role = match (role, account) {
        (Ok(role), Ok(())) => role,
        (Err(AppError::Validation(mut a)), Err(AppError::Validation(b))) => {
            a.extend(b);
            return Err(AppError::Validation(a));
        }
        (Err(error), _) | (_, Err(error)) => return Err(error),
    };
    let email = normalize_email(&input.email);
    let hash = password::hash(input.password).await.map_err(hashing_error)?;
    let txn = crate::server::db::begin_write(&state.db).await?;
    if entity::Entity::find().filter(entity::Column::Email.eq(&email)).count(&txn).await? > 0 {
        return Err(AppError::field("email", EMAIL_TAKEN));
    }
    let user = entity::ActiveModel::new_account(email, input.name.trim().to_owned(), hash, role.as_str())
        .insert(&txn)
        .await
        .map_err(email_conflict)?;
    crate::domains::set_up_account(&txn, Some(admin.id), &user).await?;
    let changes =
        Changes::new().set("name", user.name.clone()).set("email", user.email.clone()).set("role", role.as_str());
    audit::record(&txn, Some(admin.id), USER_ENTITY, user.id, Action::Create, changes).await?;
    txn.commit().await?;
    Ok(row_of(user, admin))
}

/// Loads the target account in `txn`, refusing changes to the admin's own account (so that the
/// last admin cannot lock everyone out).
async fn target<C: sea_orm::ConnectionTrait>(
    txn: &C,
    admin: &CurrentUser,
    user_id: i64,
    refusal: &str,
) -> Result<entity::Model, AppError> {
    if user_id == admin.id {
        return Err(AppError::Refused(refusal.to_owned()));
    }
    entity::Entity::find_by_id(user_id).one(txn).await?.ok_or_else(|| AppError::NotFound("This user".to_owned()))
}

pub async fn set_role(state: &AppState, admin: &CurrentUser, user_id: i64, role: &str) -> Result<UserRow, AppError> {
    let role = parse_role(role)?;
    let txn = crate::server::db::begin_write(&state.db).await?;
    let user = target(&txn, admin, user_id, "You cannot change your own role; ask another admin.").await?;
    if user.role == role.as_str() {
        return Ok(row_of(user, admin));
    }
    let changes = Changes::new().diff("role", user.role.clone(), role.as_str().to_owned());
    let mut active = user.into_active_model();
    active.role = Set(role.as_str().to_owned());
    active.updated_at = Set(chrono::Utc::now());
    let user = active.update(&txn).await?;
    audit::record(&txn, Some(admin.id), USER_ENTITY, user.id, Action::Update, changes).await?;
    txn.commit().await?;
    Ok(row_of(user, admin))
}

/// Changes a user's name and sign-in email (an admin's own too); the email stays unique.
pub async fn rename(
    state: &AppState,
    admin: &CurrentUser,
    user_id: i64,
    name: &str,
    email: &str,
) -> Result<UserRow, AppError> {
    let mut errors = std::collections::BTreeMap::new();
    if let Err(message) = super::model::validate_name(name) {
        errors.insert("name".to_owned(), message);
    }
    if let Err(message) = super::model::validate_email(email.trim()) {
        errors.insert("email".to_owned(), message.to_owned());
    }
    if !errors.is_empty() {
        errors.insert("user_id".to_owned(), user_id.to_string());
        return Err(AppError::Validation(errors));
    }
    let (name, email) = (name.trim().to_owned(), normalize_email(email));
    let txn = crate::server::db::begin_write(&state.db).await?;
    let user = entity::Entity::find_by_id(user_id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::NotFound("This user".to_owned()))?;
    let changes =
        Changes::new().diff("name", user.name.clone(), name.clone()).diff("email", user.email.clone(), email.clone());
    if changes.is_empty() {
        return Ok(row_of(user, admin));
    }
    let taken = entity::Entity::find()
        .filter(entity::Column::Email.eq(&email))
        .filter(entity::Column::Id.ne(user_id))
        .count(&txn)
        .await?;
    let taken_error = || {
        AppError::Validation(
            [("email".to_owned(), EMAIL_TAKEN.to_owned()), ("user_id".to_owned(), user_id.to_string())].into(),
        )
    };
    if taken > 0 {
        return Err(taken_error());
    }
    let mut model = user.into_active_model();
    model.name = Set(name);
    model.email = Set(email);
    model.updated_at = Set(chrono::Utc::now());
    let user = model.update(&txn).await.map_err(|error| match email_conflict(error) {
        AppError::Validation(_) => taken_error(),
        other => other,
    })?;
    audit::record(&txn, Some(admin.id), USER_ENTITY, user.id, Action::Update, changes).await?;
    txn.commit().await?;
    Ok(row_of(user, admin))
}

async fn end_sessions_of(state: &AppState, user_id: i64) -> Result<(), AppError> {
    state.sessions.delete_user_sessions(user_id, None).await.map(|_| ()).map_err(|error| {
        tracing::error!(%error, "could not end the user's sessions");
        AppError::Unavailable
    })
}

/// Disables (ending every session of the user at once) or re-enables an account.
pub async fn set_active(
    state: &AppState,
    admin: &CurrentUser,
    user_id: i64,
    active: bool,
) -> Result<UserRow, AppError> {
    let txn = crate::server::db::begin_write(&state.db).await?;
    let user = target(&txn, admin, user_id, "You cannot disable your own account.").await?;
    if user.is_active == active {
        return Ok(row_of(user, admin));
    }
    let changes = Changes::new().diff("is_active", user.is_active, active);
    let mut model = user.into_active_model();
    model.is_active = Set(active);
    model.updated_at = Set(chrono::Utc::now());
    let user = model.update(&txn).await?;
    audit::record(&txn, Some(admin.id), USER_ENTITY, user.id, Action::Update, changes).await?;
    txn.commit().await?;
    // After the commit: a sign-in racing with this sees the account disabled either way.
    if !active {
        end_sessions_of(state, user_id).await?;
    }
    Ok(row_of(user, admin))
}

/// Sets a new password for another user and ends all of their sessions.
pub async fn reset_password(
    state: &AppState,
    admin: &CurrentUser,
    user_id: i64,
    new_password: String,
) -> Result<UserRow, AppError> {
    if let Some(message) = new_password_problem(&new_password) {
        return Err(AppError::field("password", message));
    }
    let hash = password::hash(new_password).await.map_err(hashing_error)?;
    let txn = crate::server::db::begin_write(&state.db).await?;
    let user = target(&txn, admin, user_id, "Change your own password on the settings page.").await?;
    let mut model = user.into_active_model();
    model.password_hash = Set(hash);
    model.updated_at = Set(chrono::Utc::now());
    let user = model.update(&txn).await?;
    audit::record(&txn, Some(admin.id), USER_ENTITY, user.id, Action::Update, Changes::new().secret("password"))
        .await?;
    txn.commit().await?;
    end_sessions_of(state, user_id).await?;
    Ok(row_of(user, admin))
}
