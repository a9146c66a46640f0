//! The visitor of a public page (the booking page, the public chat) as a client of the owner,
//! inside the caller's transaction: the owner's oldest client with the visitor's email, else with
//! their phone, else a new client with the owner's default strategy (their oldest own strategy
//! when none is set). An owner without any strategy gets no client: a booking keeps the visitor's
//! name, email and phone itself.
//!
//! There is no unique rule on a client's email or phone (an owner may keep two clients with one
//! address), so two visitors arriving at once with the same new address are serialised per owner
//! instead: the second one's lookup runs after the first one's client is committed and finds it.
use chrono::Utc;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    sea_query::{Expr, ExprTrait as _, Func},
};

use crate::{
    audit::{self, Action},
    bookings::model::Guest,
    clients::{
        entity as clients,
        model::ClientFields,
        service::{CLIENT_ENTITY, creation_changes, new_client},
    },
    shared::AppError,
    strategies::entity as strategies,
    users::entity as users,
};

/// Where a new client came from: the stage it starts in and what its audit entry says.
#[derive(Debug, Clone, Copy)]
pub struct Origin {
    pub status: &'static str,
    pub source: &'static str,
}

/// The per-owner lock key of [`match_or_create`] ("visi" above the owner's id; two owners sharing
/// a key would only wait for each other).
fn visitors_lock(owner_id: i64) -> i64 {
    0x7669_7369_i64 << 32 | (owner_id & 0xffff_ffff)
}

/// A visitor who booked a time.
pub const BOOKING_PAGE: Origin = Origin { status: "booked", source: "public booking page" };

async fn oldest<C: ConnectionTrait>(
    db: &C,
    owner_id: i64,
    condition: sea_orm::Condition,
) -> Result<Option<i64>, AppError> {
    Ok(clients::Entity::find()
        .select_only()
        .column(clients::Column::Id)
        .filter(clients::Column::OwnerId.eq(owner_id))
        .filter(condition)
        .order_by_asc(clients::Column::Id)
        .into_tuple::<i64>()
        .one(db)
        .await?)
}

/// The strategy a new client of `owner` gets, if the owner has any.
pub async fn strategy_for<C: ConnectionTrait>(db: &C, owner: &users::Model) -> Result<Option<i64>, AppError> {
    if let Some(id) = owner.default_strategy_id {
        return Ok(Some(id));
    }
    Ok(strategies::Entity::find()
        .select_only()
        .column(strategies::Column::Id)
        .filter(strategies::Column::OwnerId.eq(owner.id))
        .order_by_asc(strategies::Column::Id)
        .into_tuple::<i64>()
        .one(db)
        .await?)
}

/// Keeps `zone`, where a visitor of a public page said they are, as the client's time zone (the
/// persona offers times in it), unless the client has one already.
pub async fn learn_zone<C: ConnectionTrait>(db: &C, client_id: i64, zone: chrono_tz::Tz) -> Result<(), AppError> {
    clients::Entity::update_many()
        .col_expr(clients::Column::Timezone, zone.name().into())
        .filter(clients::Column::Id.eq(client_id))
        .filter(clients::Column::Timezone.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// The client `guest` is, or becomes, for `owner` (written and audited in `db`, the caller's
/// transaction). `None` when the owner has no strategy to give a new client.
pub async fn match_or_create<C: ConnectionTrait>(
    db: &C,
    owner: &users::Model,
    guest: &Guest,
    origin: Origin,
) -> Result<Option<i64>, AppError> {
    crate::clients::service::not_during_a_batch(db).await?;
    crate::server::sql::serialize_on(db, visitors_lock(owner.id)).await?;
    let email = guest.email.trim().to_lowercase();
    let by_email =
        sea_orm::Condition::all().add(Expr::expr(Func::lower(Expr::col(clients::Column::Email))).eq(email.clone()));
    if !email.is_empty()
        && let Some(id) = oldest(db, owner.id, by_email).await?
    {
        return Ok(Some(id));
    }
    let phone = guest.phone.trim();
    if !phone.is_empty()
        && let Some(id) = oldest(db, owner.id, sea_orm::Condition::all().add(clients::Column::Phone.eq(phone))).await?
    {
        return Ok(Some(id));
    }
    let Some(strategy_id) = strategy_for(db, owner).await? else { return Ok(None) };
    let fields = ClientFields {
        name: guest.name.trim().to_owned(),
        email: (!email.is_empty()).then(|| guest.email.trim().to_owned()),
        phone: (!phone.is_empty()).then(|| phone.to_owned()),
        company: None,
        position: None,
        external_id: None,
        status: origin.status.to_owned(),
        strategy_id,
        notes: None,
    };
    let id = clients::Entity::insert(new_client(owner.id, &fields, Utc::now())).exec(db).await?.last_insert_id;
    let changes = creation_changes(&fields).set("source", origin.source);
    audit::record(db, None, CLIENT_ENTITY, id, Action::Create, changes).await?;
    Ok(Some(id))
}
