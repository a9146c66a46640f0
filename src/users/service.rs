//! Account logic that does not depend on a request (the request-facing parts come with auth).
use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, Set};

use super::{
    entity::{self, ROLE_ADMIN},
    password,
};
use crate::server::config::AdminBootstrap;

#[derive(Debug, PartialEq, Eq)]
pub enum BootstrapOutcome {
    /// An admin already exists: nothing was changed.
    AdminExists,
    Created,
    /// The email belonged to a user, who is now an admin (their password is kept).
    Promoted,
}

#[derive(Debug, thiserror::Error)]
pub enum BootstrapError {
    #[error(transparent)]
    Database(#[from] sea_orm::DbErr),
    #[error(transparent)]
    Password(#[from] password::PasswordError),
}

/// Creates the configured admin when the database has no admin yet (`CRM_ADMIN_EMAIL`/`_PASSWORD`).
pub async fn ensure_admin(db: &DatabaseConnection, admin: &AdminBootstrap) -> Result<BootstrapOutcome, BootstrapError> {
    let admins = entity::Entity::find().filter(entity::Column::Role.eq(ROLE_ADMIN)).count(db).await?;
    if admins > 0 {
        return Ok(BootstrapOutcome::AdminExists);
    }
    let email = admin.email.trim().to_lowercase();
    if let Some(existing) = entity::Entity::find().filter(entity::Column::Email.eq(&email)).one(db).await? {
        let mut active: entity::ActiveModel = existing.into();
        active.role = Set(ROLE_ADMIN.to_owned());
        active.is_active = Set(true);
        active.updated_at = Set(Utc::now());
        active.update(db).await?;
        return Ok(BootstrapOutcome::Promoted);
    }
    let password_hash = password::hash(admin.password.clone()).await?;
    let name = email.split('@').next().unwrap_or("Admin").to_owned();
    let txn = crate::server::db::begin_write(db).await?;
    let user = entity::ActiveModel::new_account(email, name, password_hash, ROLE_ADMIN).insert(&txn).await?;
    crate::domains::set_up_account(&txn, None, &user)
        .await
        .map_err(|error| sea_orm::DbErr::Custom(format!("setting up bookings of the admin: {error}")))?;
    txn.commit().await?;
    Ok(BootstrapOutcome::Created)
}
