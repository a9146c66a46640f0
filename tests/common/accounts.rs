//! Accounts and strategies for service tests, made through the app's own sign-up.
use crm::users::{auth, model::CurrentUser};
use sea_orm::{ConnectionTrait, Statement};

use super::app::TestApp;

pub const PASSWORD: &str = "violet staircase at noon";

/// Signs up an account (the first one of a database becomes its admin).
pub async fn account(app: &TestApp, name: &str, email: &str) -> CurrentUser {
    let user = auth::signup(
        &app.state,
        auth::SignupInput { name: name.into(), email: email.into(), password: PASSWORD.into(), timezone: None },
    )
    .await
    .unwrap();
    current_user(user)
}

/// The account as the services see it signed in.
pub fn current_user(user: crm::users::entity::Model) -> CurrentUser {
    CurrentUser {
        id: user.id,
        email: user.email,
        name: user.name,
        role: crm::users::model::Role::parse(&user.role).unwrap(),
        timezone: user.timezone,
    }
}

/// The account with `email`, as the services see it signed in.
pub async fn signed_in_as(app: &TestApp, email: &str) -> CurrentUser {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let user = crm::users::entity::Entity::find()
        .filter(crm::users::entity::Column::Email.eq(email))
        .one(&app.db.conn)
        .await
        .unwrap()
        .unwrap();
    current_user(user)
}

/// A strategy of `owner` with only a name; returns its id.
pub async fn strategy(app: &TestApp, owner: i64, name: &str) -> i64 {
    let db = &app.db.conn;
    let backend = db.get_database_backend();
    let sql = match backend {
        sea_orm::DatabaseBackend::Postgres => "INSERT INTO strategies (owner_id, name) VALUES ($1, $2) RETURNING id",
        _ => "INSERT INTO strategies (owner_id, name) VALUES (?, ?) RETURNING id",
    };
    let row =
        db.query_one_raw(Statement::from_sql_and_values(backend, sql, [owner.into(), name.into()])).await.unwrap();
    row.unwrap().try_get_by_index::<i64>(0).unwrap()
}
