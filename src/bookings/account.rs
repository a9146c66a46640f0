//! What every new account gets for bookings, in the transaction that creates it: a unique booking
//! slug made from its name, a calendar feed token, the default "30-minute call" type and weekly
//! hours matching settings' default working hours. Called by each place that inserts a user
//! (sign-up, an admin adding a user, the admin bootstrap), so no account is ever without them.
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter, QuerySelect,
    TransactionTrait, sea_query::Expr,
};

use super::{
    availability::service::{replace_weekly, windows_from_working_hours},
    model::{BookingTypeFields, slugify},
    types::service as types,
};
use crate::{
    shared::AppError,
    users::{entity as users, profile::WorkingHours},
};

/// 128 random bits as 32 hex digits: manage links, feed URLs.
pub fn random_token() -> String {
    rand::random::<[u8; 16]>().iter().map(|byte| format!("{byte:02x}")).collect()
}

/// `base`, or `base-2`, `base-3`... whichever no account has yet.
async fn free_slug<C: ConnectionTrait>(db: &C, base: &str) -> Result<String, AppError> {
    let taken: std::collections::HashSet<String> = users::Entity::find()
        .select_only()
        .column(users::Column::BookingSlug)
        .filter(
            Condition::any()
                .add(users::Column::BookingSlug.eq(base))
                .add(users::Column::BookingSlug.like(format!("{base}-%"))),
        )
        .into_tuple::<Option<String>>()
        .all(db)
        .await?
        .into_iter()
        .flatten()
        .collect();
    Ok((1..)
        .map(|n| if n == 1 { base.to_owned() } else { format!("{base}-{n}") })
        .find(|slug| !taken.contains(slug))
        .unwrap_or_else(|| base.to_owned()))
}

async fn set_slug(txn: &DatabaseTransaction, user_id: i64, slug: &str) -> Result<(), sea_orm::DbErr> {
    users::Entity::update_many()
        .col_expr(users::Column::BookingSlug, Expr::value(slug))
        .col_expr(users::Column::CalendarFeedToken, Expr::value(random_token()))
        .filter(users::Column::Id.eq(user_id))
        .exec(txn)
        .await
        .map(|_| ())
}

pub async fn set_up(txn: &DatabaseTransaction, actor_id: Option<i64>, user: &users::Model) -> Result<(), AppError> {
    let base = slugify(&user.name);
    // Another account with the same name may take the slug between the look-up and the update
    // (several sign-ups at once): each try runs in a savepoint, and after the first the slug gets
    // a random suffix (a clash with a numbered slug such as `base-2` is tried again).
    let mut slug = free_slug(txn, &base).await?;
    for attempt in 0.. {
        let savepoint = txn.begin().await?;
        match set_slug(&savepoint, user.id, &slug).await {
            Ok(()) => {
                savepoint.commit().await?;
                break;
            }
            Err(error) if crate::server::sql::is_unique_violation(&error) && attempt < 5 => {
                savepoint.rollback().await?;
                slug = format!("{base}-{}", &random_token()[..6]);
            }
            Err(error) => return Err(error.into()),
        }
    }
    types::insert(txn, actor_id, user.id, &BookingTypeFields::default_call()).await?;
    replace_weekly(txn, user.id, &windows_from_working_hours(&WorkingHours::default())).await?;
    Ok(())
}
