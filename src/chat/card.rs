//! The client's card beside a thread: who the lead is, their stage, strategy and owner, and their
//! next bookings. It comes with the thread, which the page reads again when the AI has acted (a
//! booking moves the stage and adds a booking while the page is open).
use chrono_tz::Tz;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::model::{CardBooking, ClientCard};
use crate::{
    bookings::entity as bookings,
    clients::{
        entity as clients,
        service::{strategy_names, user_names},
    },
    server::local_time,
    shared::AppError,
};

/// Upcoming bookings the card lists.
const CARD_BOOKINGS: u64 = 3;

/// The card of `client`, times in `zone`: three statements (strategy, owner, bookings).
pub async fn of<C: ConnectionTrait>(db: &C, client: clients::Model, zone: Tz) -> Result<ClientCard, AppError> {
    let strategy_name = strategy_names(db, [client.strategy_id]).await?.remove(&client.strategy_id);
    let owner_name = user_names(db, [client.owner_id]).await?.remove(&client.owner_id);
    let upcoming = bookings::Entity::find()
        .filter(bookings::Column::ClientId.eq(client.id))
        .filter(bookings::Column::Status.eq("confirmed"))
        .filter(bookings::Column::StartsAt.gte(chrono::Utc::now()))
        .order_by_asc(bookings::Column::StartsAt)
        .order_by_asc(bookings::Column::Id)
        .limit(CARD_BOOKINGS)
        .all(db)
        .await?
        .into_iter()
        .map(|booking| CardBooking {
            id: booking.id,
            title: booking.subject.filter(|subject| !subject.is_empty()).unwrap_or(booking.booking_type),
            starts: local_time::format(booking.starts_at, zone),
        })
        .collect();
    Ok(ClientCard {
        id: client.id,
        name: client.name,
        status: client.status,
        email: client.email,
        phone: client.phone,
        company: client.company,
        strategy_id: client.strategy_id,
        strategy_name: strategy_name.unwrap_or_default(),
        owner_name: owner_name.unwrap_or_default(),
        upcoming,
    })
}
