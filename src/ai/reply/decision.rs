//! The reply chosen for a lead's message, kept (`ai_decisions`) before it books or moves a call,
//! outside the transaction that stores it: the booking service commits the call on its own. A job
//! run again after its worker died in between finds the kept reply and carries it out once more
//! (booking and moving keep a call already where the reply puts it) rather than asking the
//! responder, who may pick another time and book a second call.
use sea_orm::ConnectionTrait;

use crate::{ai::responder::Reply, server::sql::statement, shared::AppError};

/// The reply kept for `message_id` by a job given the conversation at `version`, if it got as far
/// as choosing one that acts. One kept at another version (a person acted since) is none.
pub async fn kept<C: ConnectionTrait>(db: &C, message_id: i64, version: i64) -> Result<Option<Reply>, AppError> {
    let row = db
        .query_one_raw(statement(
            db.get_database_backend(),
            "SELECT reply FROM ai_decisions WHERE message_id = ? AND version = ?",
            vec![message_id.into(), version.into()],
        ))
        .await?;
    let Some(row) = row else { return Ok(None) };
    let json: String = row.try_get("", "reply")?;
    // A row this code cannot read (written by another version) is no decision: ask again.
    Ok(serde_json::from_str(&json).ok())
}

/// Keeps `reply` for `message_id` at `version` (replacing one kept at another version) and answers
/// the reply kept: this one, or the one a job that raced this one kept first, so that both carry
/// out the same.
pub async fn keep<C: ConnectionTrait>(db: &C, message_id: i64, version: i64, reply: Reply) -> Result<Reply, AppError> {
    let json = serde_json::to_string(&reply).map_err(|_| AppError::Internal)?;
    db.execute_raw(statement(
        db.get_database_backend(),
        "INSERT INTO ai_decisions (message_id, version, reply) VALUES (?, ?, ?) ON CONFLICT (message_id) \
         DO UPDATE SET version = excluded.version, reply = excluded.reply WHERE ai_decisions.version <> excluded.version",
        vec![message_id.into(), version.into(), json.into()],
    ))
    .await?;
    Ok(kept(db, message_id, version).await?.unwrap_or(reply))
}

/// Forgets the reply kept for `message_id`, in the transaction that stores it.
pub async fn forget<C: ConnectionTrait>(db: &C, message_id: i64) -> Result<(), AppError> {
    db.execute_raw(statement(
        db.get_database_backend(),
        "DELETE FROM ai_decisions WHERE message_id = ?",
        vec![message_id.into()],
    ))
    .await?;
    Ok(())
}
