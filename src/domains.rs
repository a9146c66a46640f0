//! The domains' server-side parts, listed in this one place above them: HTTP routes that are
//! neither pages nor server functions, job queues, periodic tasks, and what every new account
//! gets. The server and the users domain call these lists and never name another domain.
use axum::Router;
use sea_orm::DatabaseTransaction;

use crate::{
    server::{
        state::AppState,
        worker::{PeriodicTask, QueueHandler},
    },
    shared::AppError,
};

/// Every domain's own HTTP routes (downloads, uploads, feeds), merged into the app's router.
pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(crate::clients::routes())
        .merge(crate::bookings::feed::route::routes())
        .merge(crate::chat::events::routes())
        .merge(crate::chat::public::stream::routes())
}

/// Address prefixes that are public on purpose (no sign-in): the booking page, the manage link,
/// calendar files and the public chat. Each page there reaches only what its slug or secret token
/// grants.
pub fn public_prefixes() -> &'static [&'static str] {
    &["/book/", "/booking/", "/calendar/", "/talk/"]
}

/// Every queue the worker serves.
pub fn queue_handlers() -> Vec<QueueHandler> {
    vec![
        crate::clients::import::service::queue_handler(),
        crate::bookings::email::service::queue_handler(),
        crate::ai::reply::queue_handler(),
        crate::ai::reply::followup::queue_handler(),
        crate::bookings::reminders::queue_handler(),
    ]
}

/// After a conversation message is committed (from anyone): what other domains do about it.
pub async fn message_committed(
    state: &AppState,
    message: &crate::chat::entity::Model,
    conversation: &crate::chat::conversation_entity::Model,
) {
    crate::ai::reply::on_message(state, message, conversation).await;
    crate::ai::reply::followup::on_message(state, message, conversation).await;
}

/// A booking's reminder is due (checked by the bookings domain: still confirmed, at its time, ahead):
/// the persona says it in the client's conversation. Answers the message written, if any.
pub async fn booking_reminder_due(
    state: &AppState,
    booking: &crate::bookings::entity::Model,
    kind: crate::bookings::reminders::Kind,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Option<i64>, AppError> {
    crate::ai::reminders::write(state, booking, kind, now).await
}

/// Every periodic task of the app.
pub fn periodic_tasks() -> Vec<PeriodicTask> {
    vec![crate::clients::import::service::draft_sweep()]
}

/// What each domain gives a new account, in the transaction that inserts it. Every place that
/// inserts a user calls this, so no account is ever without it.
pub async fn set_up_account(
    txn: &DatabaseTransaction,
    actor_id: Option<i64>,
    user: &crate::users::entity::Model,
) -> Result<(), AppError> {
    crate::bookings::account::set_up(txn, actor_id, user).await
}
